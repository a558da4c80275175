/*
 * Ping sockets (src/ipv4/ping.c): SOCK_DGRAM/IPPROTO_ICMP with the echo
 * identifier owned by the stack, as Linux's.
 */
#include <unistd.h>

#include "dgram_test_util.h"

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/inet_dgram.h"
#include "sl/ip.h"

static int ping_sock(sl_net_t *net)
{
	int fd = sl_socket_net(net, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);

	assert_true(fd >= 0);
	return fd;
}

static void echo_req(struct icmphdr *h, u8 type, u16 id, u16 seq)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->un.echo.id = htons(id);
	h->un.echo.sequence = htons(seq);
}

static void test_ping_request_reply(void **state)
{
	struct {
		struct icmphdr h;
		char data[56];
	} req, rep;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct sl_pair p;
	uint16_t ident;
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = ping_sock(p.a);
	echo_req(&req.h, ICMP_ECHO, 0x1234, 7);
	memset(req.data, 'q', sizeof(req.data));
	assert_int_equal(send_to(fd, &req, sizeof(req), "10.0.0.2", 0),
			 sizeof(req));
	/* Autobound: the stack chose the identifier. */
	ident = local_port(fd);
	assert_int_not_equal(ident, 0);
	sl_pair_settle(&p);

	assert_int_equal(sl_recvfrom(fd, &rep, sizeof(rep), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl),
			 sizeof(rep));
	assert_int_equal(rep.h.type, ICMP_ECHOREPLY);
	assert_int_equal(rep.h.code, 0);
	/* The user's id was replaced by the socket's. */
	assert_int_equal(ntohs(rep.h.un.echo.id), ident);
	assert_int_equal(ntohs(rep.h.un.echo.sequence), 7);
	assert_memory_equal(rep.data, req.data, sizeof(req.data));
	assert_int_equal(from.sin_addr.s_addr, inet_addr("10.0.0.2"));
	assert_int_equal(ctr(p.a, "IcmpOutEchos"), 1);
	assert_int_equal(ctr(p.b, "IcmpInEchos"), 1);
	assert_int_equal(ctr(p.a, "IcmpInEchoReps"), 1);

	/* Truncated read: MSG_TRUNC flag, the copied length returned. */
	assert_int_equal(send_to(fd, &req, sizeof(req), "10.0.0.2", 0),
			 sizeof(req));
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fd, &rep, 8, 0), 8);
	assert_int_equal(recv_nb(fd, &rep, sizeof(rep), 0), -EAGAIN);
	sl_close(fd);
	sl_pair_teardown(&p);
}

static void test_ping_sendmsg_validates(void **state)
{
	struct icmphdr h;
	struct sl_pair p;
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = ping_sock(p.a);
	echo_req(&h, ICMP_TIMESTAMP, 1, 1);
	assert_int_equal(send_to(fd, &h, sizeof(h), "10.0.0.2", 0), -EINVAL);
	echo_req(&h, ICMP_ECHO, 1, 1);
	h.code = 1;
	assert_int_equal(send_to(fd, &h, sizeof(h), "10.0.0.2", 0), -EINVAL);
	h.code = 0;
	assert_int_equal(send_to(fd, &h, 4, "10.0.0.2", 0), -EINVAL);
	assert_int_equal(sl_send(fd, &h, sizeof(h), 0), -1);
	assert_int_equal(errno, EDESTADDRREQ);
	assert_int_equal(send_to(fd, &h, sizeof(h), "10.0.0.255", 0), -EACCES);
	sl_close(fd);
	sl_pair_teardown(&p);
}

/* Identifiers are a per-stack namespace: distinct, and bind checks them. */
static void test_ping_identifiers(void **state)
{
	struct icmphdr h, rep;
	struct sl_pair p;
	int a, b, c;

	(void)state;
	sl_pair_setup(&p, NULL);
	a = ping_sock(p.a);
	b = ping_sock(p.a);
	c = ping_sock(p.a);
	assert_int_equal(try_bind(a, "0.0.0.0", 0), 0);
	assert_int_equal(try_bind(b, "10.0.0.1", 0), 0);
	assert_int_not_equal(local_port(a), local_port(b));
	/* As Linux, ping sockets are created with SO_REUSEADDR
	 * (INET_PROTOSW_REUSE): sharing an identifier needs it cleared. */
	assert_int_equal(set_int(c, SOL_SOCKET, SO_REUSEADDR, 0), 0);
	assert_int_equal(try_bind(c, "0.0.0.0", local_port(a)), -EADDRINUSE);
	assert_int_equal(try_bind(c, "10.0.0.9", 0), -EADDRNOTAVAIL);
	assert_int_equal(try_bind(c, "0.0.0.0", 999), 0);
	assert_int_equal(local_port(c), 999);
	assert_int_equal(try_bind(c, "0.0.0.0", 0), -EINVAL);

	/* Each socket sees only replies to its own identifier. */
	echo_req(&h, ICMP_ECHO, 0, 1);
	assert_int_equal(send_to(c, &h, sizeof(h), "10.0.0.2", 0), sizeof(h));
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(a, &rep, sizeof(rep), 0), -EAGAIN);
	assert_int_equal(recv_nb(b, &rep, sizeof(rep), 0), -EAGAIN);
	assert_int_equal(recv_nb(c, &rep, sizeof(rep), 0), sizeof(rep));
	assert_int_equal(ntohs(rep.un.echo.id), 999);
	sl_close(a);
	sl_close(b);
	sl_close(c);
	sl_pair_teardown(&p);
}

static void test_ping_group_range(void **state)
{
	struct sl_pair p;

	(void)state;
	sl_pair_setup(&p, NULL);
	/* Linux's "1 0": nobody may create ping sockets. */
	assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.ping_group_range", "1 0"),
			 0);
	assert_int_equal(sl_socket_net(p.a, AF_INET, SOCK_DGRAM, IPPROTO_ICMP),
			 -1);
	assert_int_equal(errno, EACCES);
	{
		char range[64];

		snprintf(range, sizeof(range), "%u %u", (unsigned)getegid(),
			 (unsigned)getegid());
		assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.ping_group_range",
					       range), 0);
		sl_close(ping_sock(p.a));
	}
	sl_pair_teardown(&p);
}

/* Stack b sends stack a an ICMP error quoting an echo request of @ident. */
static void forge_error(sl_net_t *b, u8 code, uint16_t ident)
{
	struct {
		struct icmphdr h;
		struct iphdr ip;
		struct icmphdr echo;
	} __attribute__((packed)) err;
	int raw = sl_socket_net(b, AF_INET, SOCK_RAW, IPPROTO_ICMP);

	assert_true(raw >= 0);
	memset(&err, 0, sizeof(err));
	err.h.type = ICMP_DEST_UNREACH;
	err.h.code = code;
	err.ip.version = 4;
	err.ip.ihl = 5;
	err.ip.ttl = 64;
	err.ip.protocol = IPPROTO_ICMP;
	err.ip.tot_len = htons(28);
	err.ip.saddr = inet_addr("10.0.0.1");
	err.ip.daddr = inet_addr("10.0.0.2");
	err.echo.type = ICMP_ECHO;
	err.echo.un.echo.id = htons(ident);
	err.h.checksum = csum_fold(csum_partial(&err, sizeof(err), 0));
	assert_int_equal(send_to(raw, &err, sizeof(err), "10.0.0.1", 0),
			 sizeof(err));
	sl_close(raw);
}

/* Errors about our echo requests reach the socket that sent them. */
static void test_ping_errors(void **state)
{
	struct sockaddr_in dst = sl_sin("10.0.0.2", 0);
	struct sock_extended_err ee;
	char data[64], cbuf[256];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	struct icmphdr h;
	struct sl_pair p;
	int fd, fd2;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = ping_sock(p.a);
	fd2 = ping_sock(p.a);
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	assert_int_equal(sl_connect(fd2, (struct sockaddr *)&dst, sizeof(dst)),
			 0);
	assert_int_equal(set_int(fd, SOL_IP, IP_RECVERR, 1), 0);
	echo_req(&h, ICMP_ECHO, 0, 1);
	assert_int_equal(sl_send(fd, &h, sizeof(h), 0), sizeof(h));
	assert_int_equal(sl_send(fd2, &h, sizeof(h), 0), sizeof(h));
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fd, &h, sizeof(h), 0), sizeof(h));
	assert_int_equal(recv_nb(fd2, &h, sizeof(h), 0), sizeof(h));

	/* Soft error: IP_RECVERR socket gets it, the other one does not. */
	forge_error(p.b, ICMP_HOST_UNREACH, local_port(fd));
	forge_error(p.b, ICMP_HOST_UNREACH, local_port(fd2));
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fd2, &h, sizeof(h), 0), -EAGAIN);
	assert_int_equal(recv_nb(fd, &h, sizeof(h), 0), -EHOSTUNREACH);
	assert_int_equal(sl_recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT),
			 sizeof(struct icmphdr));
	assert_true(msg.msg_flags & MSG_ERRQUEUE);
	cm = CMSG_FIRSTHDR(&msg);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_level, SOL_IP);
	assert_int_equal(cm->cmsg_type, IP_RECVERR);
	memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
	assert_int_equal(ee.ee_errno, EHOSTUNREACH);
	assert_int_equal(ee.ee_origin, SO_EE_ORIGIN_ICMP);
	assert_int_equal(ee.ee_type, ICMP_DEST_UNREACH);
	assert_int_equal(ee.ee_code, ICMP_HOST_UNREACH);

	/* Hard error on a connected socket: reported without IP_RECVERR. */
	forge_error(p.b, ICMP_PORT_UNREACH, local_port(fd2));
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fd2, &h, sizeof(h), 0), -ECONNREFUSED);
	sl_close(fd);
	sl_close(fd2);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_request_reply),
		cmocka_unit_test(test_ping_sendmsg_validates),
		cmocka_unit_test(test_ping_identifiers),
		cmocka_unit_test(test_ping_group_range),
		cmocka_unit_test(test_ping_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
