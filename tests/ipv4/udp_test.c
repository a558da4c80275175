/*
 * UDP (src/ipv4/udp.c) on two stacks joined by the virtual wire: data both
 * ways, ports, bind conflicts, recv flags, ICMP errors reaching sockets,
 * counters for every drop, broadcast policy and fragmentation.
 */
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netinet/ip_icmp.h>

#include "sl/checksum.h"

#include "dgram_test_util.h"

static void test_udp_both_ways(void **state)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct sl_pair p;
	char buf[64];
	int fa, fb;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_bound(p.a, "0.0.0.0", 1000);
	fb = udp_bound(p.b, "10.0.0.2", 2000);
	assert_int_equal(send_to(fa, "hello", 5, "10.0.0.2", 2000), 5);
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.a, "UdpOutDatagrams"), 1);
	/* Linux counts InDatagrams when the application reads. */
	assert_int_equal(ctr(p.b, "UdpInDatagrams"), 0);
	assert_int_equal(sl_recvfrom(fb, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(fl, sizeof(from));
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(ntohs(from.sin_port), 1000);
	assert_int_equal(from.sin_addr.s_addr, inet_addr("10.0.0.1"));
	assert_int_equal(ctr(p.b, "UdpInDatagrams"), 1);

	assert_int_equal(send_to(fb, "world!", 6, "10.0.0.1", 1000), 6);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fa, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "world!", 6);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

/* Autobind and bind(port 0) pick distinct ports inside the range. */
static void test_ephemeral_ports_in_range(void **state)
{
	int fds[11], fd, i, j;
	struct sl_pair p;
	uint16_t port[11];

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.ip_local_port_range",
				       "40000 40010"), 0);
	for (i = 0; i < 11; i++) {
		fds[i] = udp_sock(p.a);
		if (i % 2)
			assert_int_equal(try_bind(fds[i], "0.0.0.0", 0), 0);
		else
			assert_int_equal(send_to(fds[i], "x", 1, "10.0.0.2", 9), 1);
		port[i] = local_port(fds[i]);
		assert_true(port[i] >= 40000 && port[i] <= 40010);
		for (j = 0; j < i; j++)
			assert_int_not_equal(port[i], port[j]);
	}
	/* The range is exhausted. */
	fd = udp_sock(p.a);
	assert_int_equal(try_bind(fd, "0.0.0.0", 0), -EADDRINUSE);
	sl_close(fd);
	for (i = 0; i < 11; i++)
		sl_close(fds[i]);
	sl_pair_teardown(&p);
}

static void test_bind_conflicts(void **state)
{
	struct sl_pair p;
	int a, b, c, d;

	(void)state;
	sl_pair_setup(&p, NULL);
	/* Wildcard vs wildcard, wildcard vs specific: in use. */
	a = udp_bound(p.a, "0.0.0.0", 6000);
	b = udp_sock(p.a);
	assert_int_equal(try_bind(b, "0.0.0.0", 6000), -EADDRINUSE);
	assert_int_equal(try_bind(b, "10.0.0.1", 6000), -EADDRINUSE);
	/* Different specific addresses share a port. */
	c = udp_bound(p.a, "10.0.0.1", 7000);
	d = udp_bound(p.a, "127.0.0.1", 7000);
	sl_close(a);
	sl_close(b);
	sl_close(c);
	sl_close(d);

	/* SO_REUSEADDR on both: allowed; on one only: refused. */
	a = udp_sock(p.a);
	b = udp_sock(p.a);
	c = udp_sock(p.a);
	assert_int_equal(set_int(a, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(set_int(b, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(try_bind(a, "0.0.0.0", 6001), 0);
	assert_int_equal(try_bind(b, "10.0.0.1", 6001), 0);
	assert_int_equal(try_bind(c, "10.0.0.1", 6001), -EADDRINUSE);
	sl_close(a);
	sl_close(b);
	sl_close(c);

	/* SO_REUSEPORT on both: allowed. */
	a = udp_sock(p.a);
	b = udp_sock(p.a);
	assert_int_equal(set_int(a, SOL_SOCKET, SO_REUSEPORT, 1), 0);
	assert_int_equal(set_int(b, SOL_SOCKET, SO_REUSEPORT, 1), 0);
	assert_int_equal(try_bind(a, "0.0.0.0", 6002), 0);
	assert_int_equal(try_bind(b, "0.0.0.0", 6002), 0);
	/* Double bind of one socket. */
	assert_int_equal(try_bind(a, "0.0.0.0", 6003), -EINVAL);
	sl_close(a);
	sl_close(b);
	sl_pair_teardown(&p);
}

/* The most specific socket wins: connected > bound address > wildcard. */
static void test_lookup_prefers_specific(void **state)
{
	struct sockaddr_in peer = sl_sin("10.0.0.1", 1111);
	int wild, spec, conn, src, src2;
	struct sl_pair p;
	char buf[8];

	(void)state;
	sl_pair_setup(&p, NULL);
	wild = udp_sock(p.b);
	spec = udp_sock(p.b);
	conn = udp_sock(p.b);
	assert_int_equal(set_int(wild, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(set_int(spec, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(set_int(conn, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(try_bind(wild, "0.0.0.0", 3000), 0);
	assert_int_equal(try_bind(spec, "10.0.0.2", 3000), 0);
	assert_int_equal(try_bind(conn, "10.0.0.2", 3000), 0);
	assert_int_equal(sl_connect(conn, (struct sockaddr *)&peer,
				    sizeof(peer)), 0);
	src = udp_bound(p.a, "10.0.0.1", 1111);
	src2 = udp_bound(p.a, "10.0.0.1", 2222);
	assert_int_equal(send_to(src, "c", 1, "10.0.0.2", 3000), 1);
	assert_int_equal(send_to(src2, "s", 1, "10.0.0.2", 3000), 1);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(conn, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'c');
	assert_int_equal(recv_nb(spec, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 's');
	assert_int_equal(recv_nb(wild, buf, sizeof(buf), 0), -EAGAIN);
	sl_close(wild);
	sl_close(spec);
	sl_close(conn);
	sl_close(src);
	sl_close(src2);
	sl_pair_teardown(&p);
}

static void test_peek_trunc_dontwait(void **state)
{
	char out[100], buf[200];
	struct sl_pair p;
	struct iovec iov = { buf, 10 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fa, fb, i;

	(void)state;
	sl_pair_setup(&p, NULL);
	for (i = 0; i < 100; i++)
		out[i] = (char)i;
	fa = udp_sock(p.a);
	fb = udp_bound(p.b, "0.0.0.0", 4000);
	assert_int_equal(recv_nb(fb, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(send_to(fa, out, 100, "10.0.0.2", 4000), 100);
	sl_pair_settle(&p);

	/* Peek a part: MSG_TRUNC in msg_flags, the datagram stays. */
	assert_int_equal(sl_recvmsg(fb, &msg, MSG_PEEK | MSG_DONTWAIT), 10);
	assert_true(msg.msg_flags & MSG_TRUNC);
	assert_memory_equal(buf, out, 10);
	/* MSG_TRUNC: the real length is returned. */
	assert_int_equal(recv_nb(fb, buf, 10, MSG_TRUNC), 100);
	assert_memory_equal(buf, out, 10);
	assert_int_equal(recv_nb(fb, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(ctr(p.b, "UdpInDatagrams"), 1);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

/*
 * RFC 1122 4.1.3.3: a connected socket learns of a port unreachable; the
 * next send or receive reports ECONNREFUSED once, as Linux.
 */
static void test_connected_gets_econnrefused(void **state)
{
	struct sockaddr_in peer = sl_sin("10.0.0.2", 9);
	struct sl_pair p;
	char buf[8];
	int fa, fu;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_sock(p.a);
	fu = udp_sock(p.a);
	assert_int_equal(sl_connect(fa, (struct sockaddr *)&peer, sizeof(peer)),
			 0);
	assert_int_equal(sl_send(fa, "x", 1, 0), 1);
	assert_int_equal(send_to(fu, "y", 1, "10.0.0.2", 9), 1);
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.b, "UdpNoPorts"), 2);
	assert_int_equal(ctr(p.b, "IcmpOutDestUnreachs"), 2);
	assert_int_equal(ctr(p.a, "IcmpInDestUnreachs"), 2);

	/* The send after the error reports it, the next one works. */
	assert_int_equal(sl_send(fa, "x", 1, 0), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(sl_send(fa, "x", 1, 0), 1);
	sl_pair_settle(&p);
	/* A receive reports it too. */
	assert_int_equal(recv_nb(fa, buf, sizeof(buf), 0), -ECONNREFUSED);
	assert_int_equal(recv_nb(fa, buf, sizeof(buf), 0), -EAGAIN);
	/* The unconnected socket ignores it. */
	assert_int_equal(send_to(fu, "y", 1, "10.0.0.2", 9), 1);
	assert_int_equal(recv_nb(fu, buf, sizeof(buf), 0), -EAGAIN);

	/* connect(AF_UNSPEC) dissolves the association. */
	{
		struct sockaddr sa = { .sa_family = AF_UNSPEC };

		assert_int_equal(sl_connect(fa, &sa, sizeof(sa)), 0);
		assert_int_equal(sl_send(fa, "x", 1, 0), -1);
		assert_int_equal(errno, EDESTADDRREQ);
	}
	sl_pair_settle(&p);
	sl_close(fa);
	sl_close(fu);
	sl_pair_teardown(&p);
}

static void test_rcvbuf_overflow_counted(void **state)
{
	char out[1000] = { 0 }, buf[1000];
	struct sl_pair p;
	uint64_t errs;
	int fa, fb, got = 0, i;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_sock(p.a);
	fb = udp_bound(p.b, "0.0.0.0", 5000);
	assert_int_equal(set_int(fb, SOL_SOCKET, SO_RCVBUF, 4096), 0);
	for (i = 0; i < 40; i++) {
		assert_int_equal(send_to(fa, out, sizeof(out), "10.0.0.2", 5000),
				 sizeof(out));
		sl_pair_settle(&p);
	}
	while (recv_nb(fb, buf, sizeof(buf), 0) == sizeof(out))
		got++;
	errs = ctr(p.b, "UdpRcvbufErrors");
	assert_true(got > 0);
	assert_true(errs > 0);
	assert_int_equal(got + (int)errs, 40);
	assert_int_equal(ctr(p.b, "UdpInErrors"), errs);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

/* A datagram with a wrong checksum, sent with IP_HDRINCL from stack a. */
static void send_bad_csum(sl_net_t *net, uint16_t dport, bool zero_csum)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
		char data[4];
	} __attribute__((packed)) pkt;
	int raw = sl_socket_net(net, AF_INET, SOCK_RAW, IPPROTO_RAW);

	assert_true(raw >= 0);
	memset(&pkt, 0, sizeof(pkt));
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_UDP;
	pkt.ip.saddr = inet_addr("10.0.0.1");
	pkt.ip.daddr = inet_addr("10.0.0.2");
	pkt.udp.source = htons(1234);
	pkt.udp.dest = htons(dport);
	pkt.udp.len = htons(12);
	pkt.udp.check = zero_csum ? 0 : htons(0x1234);
	memcpy(pkt.data, "bad!", 4);
	assert_int_equal(send_to(raw, &pkt, sizeof(pkt), "10.0.0.2", 0),
			 sizeof(pkt));
	sl_close(raw);
}

static void test_checksum_errors_counted(void **state)
{
	struct sl_pair p;
	char buf[8];
	int fb;

	(void)state;
	sl_pair_setup(&p, NULL);
	fb = udp_bound(p.b, "0.0.0.0", 5001);
	send_bad_csum(p.a, 5001, false);
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.b, "UdpInCsumErrors"), 1);
	assert_int_equal(ctr(p.b, "UdpInErrors"), 1);
	assert_int_equal(recv_nb(fb, buf, sizeof(buf), 0), -EAGAIN);
	/* RFC 768: checksum 0 means none was computed: accepted. */
	send_bad_csum(p.a, 5001, true);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fb, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "bad!", 4);
	/* A bad datagram to a closed port gets no port unreachable. */
	send_bad_csum(p.a, 5999, false);
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.b, "UdpInCsumErrors"), 2);
	assert_int_equal(ctr(p.b, "UdpNoPorts"), 0);
	sl_close(fb);
	sl_pair_teardown(&p);
}

static void test_broadcast_needs_so_broadcast(void **state)
{
	struct sl_pair p;
	char buf[8];
	int fa, fb;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_sock(p.a);
	fb = udp_bound(p.b, "0.0.0.0", 5002);
	assert_int_equal(send_to(fa, "b", 1, "10.0.0.255", 5002), -EACCES);
	assert_int_equal(send_to(fa, "b", 1, "255.255.255.255", 5002), -EACCES);
	assert_int_equal(set_int(fa, SOL_SOCKET, SO_BROADCAST, 1), 0);
	assert_int_equal(send_to(fa, "b", 1, "10.0.0.255", 5002), 1);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fb, buf, sizeof(buf), 0), 1);
	/* No listener for a broadcast: ignored, no ICMP (RFC 1122 3.2.2). */
	assert_int_equal(send_to(fa, "b", 1, "10.0.0.255", 5003), 1);
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.b, "UdpIgnoredMulti"), 1);
	assert_int_equal(ctr(p.b, "UdpNoPorts"), 0);
	assert_int_equal(ctr(p.b, "IcmpOutMsgs"), 0);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

static void test_large_datagrams_fragmented(void **state)
{
	static char out[65507], in[65536];
	struct sl_pair p;
	int fa, fb, i;

	(void)state;
	sl_pair_setup(&p, NULL);
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = (char)(i * 7);
	fa = udp_sock(p.a);
	fb = udp_bound(p.b, "0.0.0.0", 5004);
	assert_int_equal(set_int(fb, SOL_SOCKET, SO_RCVBUF, 1 << 20), 0);
	assert_int_equal(send_to(fa, out, 20000, "10.0.0.2", 5004), 20000);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fb, in, sizeof(in), 0), 20000);
	assert_memory_equal(in, out, 20000);
	assert_true(ctr(p.a, "IpFragCreates") >= 14);
	assert_int_equal(ctr(p.b, "IpReasmOKs"), 1);
	/* The biggest payload one IPv4 datagram carries, and one more. */
	assert_int_equal(send_to(fa, out, 65507, "10.0.0.2", 5004), 65507);
	assert_int_equal(send_to(fa, out, 65508, "10.0.0.2", 5004), -EMSGSIZE);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fb, in, sizeof(in), 0), 65507);
	assert_memory_equal(in, out, 65507);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

static void test_send_errors(void **state)
{
	struct sl_pair p;
	int fa;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_sock(p.a);
	assert_int_equal(sl_send(fa, "x", 1, 0), -1);
	assert_int_equal(errno, EDESTADDRREQ);
	assert_int_equal(send_to(fa, "x", 1, "10.0.0.2", 0), -EINVAL);
	assert_int_equal(send_to(fa, "x", 1, "192.168.9.9", 53), -ENETUNREACH);
	sl_close(fa);
	sl_pair_teardown(&p);
}

/* Stack b tells stack a "fragmentation needed, next-hop MTU @mtu" about
 * a datagram 10.0.0.1:@sport -> 10.0.0.2:@dport (RFC 1191). */
static void forge_frag_needed(sl_net_t *b, uint16_t sport, uint16_t dport,
			      uint16_t mtu)
{
	struct {
		struct icmphdr h;
		struct iphdr ip;
		struct udphdr udp;
	} __attribute__((packed)) err;
	int raw = sl_socket_net(b, AF_INET, SOCK_RAW, IPPROTO_ICMP);

	assert_true(raw >= 0);
	memset(&err, 0, sizeof(err));
	err.h.type = ICMP_DEST_UNREACH;
	err.h.code = ICMP_FRAG_NEEDED;
	err.h.un.frag.mtu = htons(mtu);
	err.ip.version = 4;
	err.ip.ihl = 5;
	err.ip.ttl = 64;
	err.ip.protocol = IPPROTO_UDP;
	err.ip.tot_len = htons(1500);
	err.ip.frag_off = htons(IP_DF);
	err.ip.saddr = inet_addr("10.0.0.1");
	err.ip.daddr = inet_addr("10.0.0.2");
	err.udp.source = htons(sport);
	err.udp.dest = htons(dport);
	err.h.checksum = csum_fold(csum_partial(&err, sizeof(err), 0));
	assert_int_equal(send_to(raw, &err, sizeof(err), "10.0.0.1", 0),
			 sizeof(err));
	sl_close(raw);
}

/* RFC 1191: frag needed lowers the path MTU; IP_PMTUDISC_DO sockets get
 * EMSGSIZE (and the cached route is dropped). */
static void test_frag_needed_updates_pmtu(void **state)
{
	struct sockaddr_in peer = sl_sin("10.0.0.2", 5005);
	static char big[1400];
	struct sl_pair p;
	socklen_t len = sizeof(int);
	int fa, fb, mtu;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_bound(p.a, "0.0.0.0", 1500);
	fb = udp_bound(p.b, "0.0.0.0", 5005);
	assert_int_equal(set_int(fa, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO), 0);
	assert_int_equal(sl_connect(fa, (struct sockaddr *)&peer, sizeof(peer)),
			 0);
	assert_int_equal(sl_send(fa, big, sizeof(big), 0), sizeof(big));
	sl_pair_settle(&p);
	forge_frag_needed(p.b, 1500, 5005, 1280);
	sl_pair_settle(&p);
	assert_int_equal(sl_getsockopt(fa, SOL_IP, IP_MTU, &mtu, &len), 0);
	assert_int_equal(mtu, 1280);
	/* Above the new path MTU: refused before sending. */
	assert_int_equal(sl_send(fa, big, sizeof(big), 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* The ICMP error itself (hard with DO) is still pending, and, as in
	 * Linux, reported by the next send that gets as far as allocating. */
	assert_int_equal(sl_send(fa, big, 1252, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(sl_send(fa, big, 1252, 0), 1252);
	sl_pair_settle(&p);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

/* shutdown(SHUT_RD): reads see end of file, poll sees RDHUP. */
static void test_shutdown_read(void **state)
{
	struct pollfd pfd;
	struct sl_pair p;
	char buf[8];
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = udp_bound(p.a, "0.0.0.0", 5006);
	/* Linux: ENOTCONN on an unconnected UDP socket, but it applies. */
	assert_int_equal(sl_shutdown(fd, SHUT_RD), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(sl_recv(fd, buf, sizeof(buf), 0), 0);
	pfd.fd = fd;
	pfd.events = POLLIN | POLLRDHUP | POLLOUT;
	pfd.revents = 0;
	assert_int_equal(sl_poll(&pfd, 1, 0), 1);
	assert_int_equal(pfd.revents, POLLIN | POLLRDHUP | POLLOUT);
	sl_close(fd);
	sl_pair_teardown(&p);
}

/* SO_REUSEPORT: flows spread over the group by hash, each flow sticks. */
static void test_reuseport_spreads_flows(void **state)
{
	int g[2], src[16], got[2] = { 0, 0 }, i, k;
	struct sl_pair p;
	char buf[8];

	(void)state;
	sl_pair_setup(&p, NULL);
	for (k = 0; k < 2; k++) {
		g[k] = udp_sock(p.b);
		assert_int_equal(set_int(g[k], SOL_SOCKET, SO_REUSEPORT, 1), 0);
		assert_int_equal(try_bind(g[k], "0.0.0.0", 6100), 0);
	}
	for (i = 0; i < 16; i++) {
		src[i] = udp_sock(p.a);
		assert_int_equal(send_to(src[i], "a", 1, "10.0.0.2", 6100), 1);
		assert_int_equal(send_to(src[i], "b", 1, "10.0.0.2", 6100), 1);
	}
	sl_pair_settle(&p);
	for (k = 0; k < 2; k++)
		while (recv_nb(g[k], buf, sizeof(buf), 0) == 1)
			got[k]++;
	assert_int_equal(got[0] + got[1], 32);
	assert_true(got[0] > 0 && got[1] > 0);
	/* Both datagrams of a flow went to the same member: even counts. */
	assert_int_equal(got[0] % 2, 0);
	for (i = 0; i < 16; i++)
		sl_close(src[i]);
	sl_close(g[0]);
	sl_close(g[1]);
	sl_pair_teardown(&p);
}

/* Port unreachable over loopback reaches a connected socket too. */
static void test_loopback_econnrefused(void **state)
{
	struct sockaddr_in peer = sl_sin("127.0.0.1", 9);
	struct sl_pair p;
	char buf[4];
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = udp_sock(p.a);
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&peer, sizeof(peer)),
			 0);
	assert_int_equal(sl_send(fd, "x", 1, 0), 1);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fd, buf, sizeof(buf), 0), -ECONNREFUSED);
	sl_close(fd);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_both_ways),
		cmocka_unit_test(test_ephemeral_ports_in_range),
		cmocka_unit_test(test_bind_conflicts),
		cmocka_unit_test(test_lookup_prefers_specific),
		cmocka_unit_test(test_peek_trunc_dontwait),
		cmocka_unit_test(test_connected_gets_econnrefused),
		cmocka_unit_test(test_rcvbuf_overflow_counted),
		cmocka_unit_test(test_checksum_errors_counted),
		cmocka_unit_test(test_broadcast_needs_so_broadcast),
		cmocka_unit_test(test_large_datagrams_fragmented),
		cmocka_unit_test(test_send_errors),
		cmocka_unit_test(test_frag_needed_updates_pmtu),
		cmocka_unit_test(test_shutdown_read),
		cmocka_unit_test(test_reuseport_spreads_flows),
		cmocka_unit_test(test_loopback_econnrefused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
