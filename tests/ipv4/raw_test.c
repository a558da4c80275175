/*
 * Raw sockets (src/ipv4/raw.c): receive with the IP header, ICMP_FILTER,
 * address filters, IP_HDRINCL send and its checks.
 */
#include "dgram_test_util.h"

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/ip.h"
#include "sl/raw.h"
#include "sl/udp.h"

static int raw_sock(sl_net_t *net, int proto)
{
	int fd = sl_socket_net(net, AF_INET, SOCK_RAW, proto);

	assert_true(fd >= 0);
	return fd;
}

static void ping_from(sl_net_t *net, const char *dst)
{
	struct icmphdr h;
	int fd = sl_socket_net(net, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

	assert_true(fd >= 0);
	memset(&h, 0, sizeof(h));
	h.type = ICMP_ECHO;
	assert_int_equal(send_to(fd, &h, sizeof(h), dst, 0), sizeof(h));
	sl_close(fd);
}

/* A raw ICMP socket sees the echo reply a ping socket elicited. */
static void test_raw_icmp_sees_echo_replies(void **state)
{
	unsigned char buf[128];
	const struct iphdr *iph = (const void *)buf;
	const struct icmphdr *icmph = (const void *)(buf + 20);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct sl_pair p;
	int raw, filtered, other;
	struct icmp_filter filt = { 1u << ICMP_ECHOREPLY };

	(void)state;
	sl_pair_setup(&p, NULL);
	raw = raw_sock(p.a, IPPROTO_ICMP);
	filtered = raw_sock(p.a, IPPROTO_ICMP);
	other = raw_sock(p.a, IPPROTO_ICMP);
	assert_int_equal(sl_setsockopt(filtered, SOL_RAW, ICMP_FILTER, &filt,
				       sizeof(filt)), 0);
	/* Bound to another local address: not for it. */
	assert_int_equal(try_bind(other, "127.0.0.1", 0), 0);
	ping_from(p.a, "10.0.0.2");
	sl_pair_settle(&p);
	assert_int_equal(sl_recvfrom(raw, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl), 28);
	assert_int_equal(iph->version, 4);
	assert_int_equal(iph->saddr, inet_addr("10.0.0.2"));
	assert_int_equal(icmph->type, ICMP_ECHOREPLY);
	assert_int_equal(from.sin_addr.s_addr, inet_addr("10.0.0.2"));
	assert_int_equal(from.sin_port, 0);
	assert_int_equal(recv_nb(filtered, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(recv_nb(other, buf, sizeof(buf), 0), -EAGAIN);
	/* MSG_TRUNC: the datagram's length. */
	ping_from(p.a, "10.0.0.2");
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(raw, buf, 4, MSG_TRUNC), 28);
	sl_close(raw);
	sl_close(filtered);
	sl_close(other);
	sl_pair_teardown(&p);
}

static void build_udp(unsigned char *pkt, __be32 saddr, __be32 daddr,
		      uint16_t dport, const char *data, size_t dlen)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *uh = (struct udphdr *)(pkt + 20);

	memset(pkt, 0, 28);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 9;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = saddr;
	ip->daddr = daddr;
	uh->source = htons(4321);
	uh->dest = htons(dport);
	uh->len = htons((uint16_t)(8 + dlen));
	memcpy(pkt + 28, data, dlen);
	uh->check = csum_tcpudp_magic(inet_addr("10.0.0.1"), daddr,
				      (u32)(8 + dlen), IPPROTO_UDP,
				      csum_partial(uh, 8 + dlen, 0));
}

/* IP_HDRINCL: our header goes out with tot_len, id, source, sum filled. */
static void test_hdrincl_send(void **state)
{
	unsigned char pkt[64];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[16];
	struct sl_pair p;
	int raw, fb;

	(void)state;
	sl_pair_setup(&p, NULL);
	fb = udp_bound(p.b, "0.0.0.0", 7000);
	raw = raw_sock(p.a, IPPROTO_RAW);
	/* saddr 0 is filled in with the route's source. */
	build_udp(pkt, 0, inet_addr("10.0.0.2"), 7000, "rawdata", 7);
	assert_int_equal(send_to(raw, pkt, 35, "10.0.0.2", 0), 35);
	sl_pair_settle(&p);
	assert_int_equal(sl_recvfrom(fb, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl), 7);
	assert_memory_equal(buf, "rawdata", 7);
	assert_int_equal(from.sin_addr.s_addr, inet_addr("10.0.0.1"));
	assert_int_equal(ntohs(from.sin_port), 4321);

	/* Too short, or a header length below 5 words: refused. */
	assert_int_equal(send_to(raw, pkt, 19, "10.0.0.2", 0), -EINVAL);
	((struct iphdr *)pkt)->ihl = 4;
	assert_int_equal(send_to(raw, pkt, 35, "10.0.0.2", 0), -EINVAL);
	((struct iphdr *)pkt)->ihl = 15;
	assert_int_equal(send_to(raw, pkt, 35, "10.0.0.2", 0), -EINVAL);
	/* Larger than the device MTU: no fragmentation with HDRINCL. */
	{
		static unsigned char big[1600];

		build_udp(big, 0, inet_addr("10.0.0.2"), 7000, "", 0);
		assert_int_equal(send_to(raw, big, sizeof(big), "10.0.0.2", 0),
				 -EMSGSIZE);
	}
	sl_close(raw);
	sl_close(fb);
	sl_pair_teardown(&p);
}

/* Without IP_HDRINCL the stack builds the header with our protocol. */
static void test_raw_send_builds_header(void **state)
{
	unsigned char buf[64];
	const struct iphdr *iph = (const void *)buf;
	struct sl_pair p;
	int tx, rx;

	(void)state;
	sl_pair_setup(&p, NULL);
	tx = raw_sock(p.a, 253);
	rx = raw_sock(p.b, 253);
	assert_int_equal(send_to(tx, "exp", 3, "10.0.0.2", 0), 3);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(rx, buf, sizeof(buf), 0), 23);
	assert_int_equal(iph->protocol, 253);
	assert_int_equal(iph->ttl, 64);
	assert_int_equal(iph->saddr, inet_addr("10.0.0.1"));
	assert_memory_equal(buf + 20, "exp", 3);
	/* Connected to another peer: filtered out. */
	{
		struct sockaddr_in peer = sl_sin("10.0.0.7", 0);

		assert_int_equal(sl_connect(rx, (struct sockaddr *)&peer,
					    sizeof(peer)), 0);
		assert_int_equal(send_to(tx, "exp", 3, "10.0.0.2", 0), 3);
		sl_pair_settle(&p);
		assert_int_equal(recv_nb(rx, buf, sizeof(buf), 0), -EAGAIN);
	}
	sl_close(tx);
	sl_close(rx);
	sl_pair_teardown(&p);
}

static void test_raw_protocol_zero(void **state)
{
	struct sl_pair p;

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(sl_socket_net(p.a, AF_INET, SOCK_RAW, 0), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_icmp_sees_echo_replies),
		cmocka_unit_test(test_hdrincl_send),
		cmocka_unit_test(test_raw_send_builds_header),
		cmocka_unit_test(test_raw_protocol_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
