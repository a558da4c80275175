/*
 * The socket layer (src/socket/socket.c, sys.c): socket(2) for every
 * (family, type, protocol) row, family registration, and data through the
 * sys_* calls (sendto/recvfrom address semantics, sendmsg/recvmsg,
 * read/write/readv/writev) on a loopback stack.
 */
#include <fcntl.h>
#include <netinet/in.h>

#include "sl/socket.h"
#include "sock_test_util.h"

struct create_row {
	int family, type, protocol;
	int err;              /* 0: created */
	int so_protocol;      /* SO_PROTOCOL of the created socket */
};

/* Linux's answers: __sock_create, then inet_create's inetsw walk. */
static const struct create_row create_rows[] = {
	{ AF_INET, SOCK_DGRAM, 0, 0, IPPROTO_UDP },
	{ AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, IPPROTO_UDP },
	{ AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 0, IPPROTO_ICMP },
	{ AF_INET, SOCK_RAW, IPPROTO_ICMP, 0, IPPROTO_ICMP },
	{ AF_INET, SOCK_RAW, IPPROTO_UDP, 0, IPPROTO_UDP },
	{ AF_INET, SOCK_RAW, IPPROTO_RAW, 0, IPPROTO_RAW },
	/* raw needs a protocol: the wildcard entry never matches IPPROTO_IP */
	{ AF_INET, SOCK_RAW, 0, EPROTONOSUPPORT, 0 },
	/* TCP: the stream default */
	{ AF_INET, SOCK_STREAM, 0, 0, IPPROTO_TCP },
	{ AF_INET, SOCK_STREAM, IPPROTO_TCP, 0, IPPROTO_TCP },
	{ AF_INET, SOCK_STREAM, IPPROTO_UDP, EPROTONOSUPPORT, 0 },
	{ AF_INET, SOCK_DGRAM, IPPROTO_TCP, EPROTONOSUPPORT, 0 },
	/* types with no inetsw entries */
	{ AF_INET, SOCK_SEQPACKET, 0, ESOCKTNOSUPPORT, 0 },
	{ AF_INET, SOCK_RDM, 0, ESOCKTNOSUPPORT, 0 },
	{ AF_INET, 0, 0, ESOCKTNOSUPPORT, 0 },
	/* type beyond SOCK_MAX, protocol beyond IPPROTO_MAX */
	{ AF_INET, 11, 0, EINVAL, 0 },
	{ AF_INET, SOCK_DGRAM, 256, EINVAL, 0 },
	{ AF_INET, SOCK_DGRAM, -1, EINVAL, 0 },
	/* SOCK_PACKET on AF_INET means AF_PACKET, not registered */
	{ AF_INET, SOCK_PACKET, 0, EAFNOSUPPORT, 0 },
	{ AF_INET6, SOCK_DGRAM, 0, EAFNOSUPPORT, 0 },
	{ AF_UNIX, SOCK_STREAM, 0, EAFNOSUPPORT, 0 },
	{ AF_PACKET, SOCK_RAW, 0, EAFNOSUPPORT, 0 },
	{ AF_MAX, SOCK_DGRAM, 0, EAFNOSUPPORT, 0 },
	{ -1, SOCK_DGRAM, 0, EAFNOSUPPORT, 0 },
	/* unknown flag bits in type */
	{ AF_INET, SOCK_DGRAM | 0x100000, 0, EINVAL, 0 },
};

static void test_create_rows(void **state)
{
	struct one_stack s;

	one_stack_setup(&s, SL_NET_POLLED);
	for (size_t i = 0; i < ARRAY_SIZE(create_rows); i++) {
		const struct create_row *r = &create_rows[i];
		int fd, val;
		socklen_t len = sizeof(val);

		errno = 0;
		fd = sl_socket(r->family, r->type, r->protocol);
		if (r->err) {
			if (fd != -1 || errno != r->err)
				fail_msg("row %zu (%d,%d,%d): fd %d errno %d, want %d",
					 i, r->family, r->type, r->protocol,
					 fd, errno, r->err);
			continue;
		}
		if (fd < 0)
			fail_msg("row %zu: errno %d", i, errno);
		assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &val,
					       &len), 0);
		assert_int_equal(val, r->so_protocol);
		assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_TYPE, &val,
					       &len), 0);
		assert_int_equal(val, r->type);
		assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &val,
					       &len), 0);
		assert_int_equal(val, AF_INET);
		assert_int_equal(sl_close(fd), 0);
	}
	/* Failed creations leave nothing behind. */
	assert_int_equal(sl_sock_live(), 0);
	one_stack_teardown(&s);
}

static void test_create_flags(void **state)
{
	struct one_stack s;
	int fd;

	one_stack_setup(&s, SL_NET_POLLED);
	fd = sl_socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 3);
	assert_int_equal(sl_fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	assert_int_equal(sl_fcntl(fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(sl_close(fd), 0);

	fd = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_fcntl(fd, F_GETFL), O_RDWR);
	assert_int_equal(sl_fcntl(fd, F_GETFD), 0);
	assert_int_equal(sl_close(fd), 0);
	one_stack_teardown(&s);
}

static void test_socket_net_explicit(void **state)
{
	struct sl_pair p;
	int fa, fb;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	sl_pair_setup(&p, NULL);
	fa = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	fb = sl_socket_net(p.b, AF_INET, SOCK_DGRAM, 0);
	assert_true(fa >= 0 && fb >= 0);
	/* 10.0.0.2 is b's, not a's: each socket lives in its own stack. */
	sin = sl_sin("10.0.0.2", 0);
	assert_errno(sl_bind(fa, (struct sockaddr *)&sin, sizeof(sin)),
		     EADDRNOTAVAIL);
	assert_int_equal(sl_bind(fb, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(sl_getsockname(fb, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(sin.sin_addr.s_addr, inet_addr("10.0.0.2"));
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

static int dummy_create(struct net *net, struct socket *sock, int protocol,
			int kern)
{
	return -EPROTONOSUPPORT;
}

static void test_sock_register(void **state)
{
	struct net_proto_family dup = { .family = AF_INET, .create = dummy_create };
	struct net_proto_family out = { .family = AF_MAX, .create = dummy_create };
	struct net_proto_family six = { .family = AF_INET6, .create = dummy_create };
	struct one_stack s;

	one_stack_setup(&s, SL_NET_POLLED);
	assert_int_equal(sock_register(&dup), -EEXIST);
	assert_int_equal(sock_register(&out), -ENOBUFS);
	/* A registered family gets the create call; unregistered again after. */
	assert_int_equal(sock_register(&six), 0);
	assert_errno(sl_socket(AF_INET6, SOCK_DGRAM, 0), EPROTONOSUPPORT);
	sock_unregister(AF_INET6);
	assert_errno(sl_socket(AF_INET6, SOCK_DGRAM, 0), EAFNOSUPPORT);
	one_stack_teardown(&s);
}

static void test_sendto_recvfrom_addrlen(void **state)
{
	struct one_stack s;
	struct sockaddr_in to, from;
	struct sockaddr_storage big;
	socklen_t alen;
	char buf[64];
	int rx, tx;

	one_stack_setup(&s, SL_NET_POLLED);
	rx = udp_bound("127.0.0.1", 5000);
	tx = udp_bound("127.0.0.1", 5001);
	to = sl_sin("127.0.0.1", 5000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(sl_sendto(tx, "hello", 5, 0,
					   (struct sockaddr *)&to, sizeof(to)),
				 5);
	sl_net_poll_all(s.clk);

	/* Full-size buffer: the whole sockaddr_in, length 16. */
	memset(&from, 0, sizeof(from));
	alen = sizeof(from);
	assert_int_equal(sl_recvfrom(rx, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &alen), 5);
	assert_int_equal(alen, sizeof(struct sockaddr_in));
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(ntohs(from.sin_port), 5001);
	assert_int_equal(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));

	/* Short buffer: truncated copy, *addrlen gets the full length. */
	memset(&from, 0xAA, sizeof(from));
	alen = 4;
	assert_int_equal(sl_recvfrom(rx, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &alen), 5);
	assert_int_equal(alen, sizeof(struct sockaddr_in));
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(ntohs(from.sin_port), 5001);
	assert_int_equal(from.sin_addr.s_addr, 0xAAAAAAAA); /* not copied */

	/* Bigger buffer: *addrlen shrinks to the address's length. */
	alen = sizeof(big);
	assert_int_equal(sl_recvfrom(rx, buf, sizeof(buf), 0,
				     (struct sockaddr *)&big, &alen), 5);
	assert_int_equal(alen, sizeof(struct sockaddr_in));
	sl_close(rx);
	sl_close(tx);
	one_stack_teardown(&s);
}

static void test_sendmsg_recvmsg(void **state)
{
	struct one_stack s;
	struct sockaddr_in to = sl_sin("127.0.0.1", 6000), from;
	char a[] = "abc", b[] = "defgh", r1[4], r2[16];
	struct iovec siov[2] = { { a, 3 }, { b, 5 } };
	struct iovec riov[2] = { { r1, 2 }, { r2, sizeof(r2) } };
	struct msghdr m = { 0 };
	int rx, tx;

	one_stack_setup(&s, SL_NET_POLLED);
	rx = udp_bound("127.0.0.1", 6000);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	m.msg_name = &to;
	m.msg_namelen = sizeof(to);
	m.msg_iov = siov;
	m.msg_iovlen = 2;
	assert_int_equal(sl_sendmsg(tx, &m, 0), 8);
	sl_net_poll_all(s.clk);

	memset(&m, 0, sizeof(m));
	m.msg_name = &from;
	m.msg_namelen = sizeof(from);
	m.msg_iov = riov;
	m.msg_iovlen = 2;
	assert_int_equal(sl_recvmsg(rx, &m, 0), 8);
	assert_int_equal(m.msg_namelen, sizeof(from));
	assert_int_equal(ntohs(from.sin_port), local_port(tx));
	assert_memory_equal(r1, "ab", 2);
	assert_memory_equal(r2, "cdefgh", 6);
	assert_int_equal(m.msg_flags & MSG_TRUNC, 0);

	/* A datagram larger than the buffer: MSG_TRUNC in msg_flags. */
	m.msg_name = &to;
	m.msg_namelen = sizeof(to);
	m.msg_iov = siov;
	m.msg_iovlen = 2;
	assert_int_equal(sl_sendmsg(tx, &m, 0), 8);
	sl_net_poll_all(s.clk);
	riov[1].iov_len = 1;
	m.msg_name = NULL;
	m.msg_namelen = 0;
	m.msg_iov = riov;
	assert_int_equal(sl_recvmsg(rx, &m, 0), 3);
	assert_true(m.msg_flags & MSG_TRUNC);
	sl_close(rx);
	sl_close(tx);
	one_stack_teardown(&s);
}

static void test_read_write_connected(void **state)
{
	struct one_stack s;
	struct sockaddr_in sin;
	char x[] = "12345", y[] = "678", out[16];
	struct iovec wv[2] = { { x, 5 }, { y, 3 } };
	struct iovec rv[2] = { { out, 4 }, { out + 4, 12 } };
	int a, b;

	one_stack_setup(&s, SL_NET_POLLED);
	a = udp_bound("127.0.0.1", 7000);
	b = udp_bound("127.0.0.1", 7001);
	sin = sl_sin("127.0.0.1", 7001);
	assert_int_equal(sl_connect(a, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sin = sl_sin("127.0.0.1", 7000);
	assert_int_equal(sl_connect(b, (struct sockaddr *)&sin, sizeof(sin)), 0);

	assert_int_equal(sl_write(a, "ping", 4), 4);
	assert_int_equal(sl_writev(a, wv, 2), 8);
	sl_net_poll_all(s.clk);
	/* read of length 0 consumes nothing (SYS5 behaviour) */
	assert_int_equal(sl_read(b, out, 0), 0);
	assert_int_equal(sl_read(b, out, sizeof(out)), 4);
	assert_memory_equal(out, "ping", 4);
	assert_int_equal(sl_readv(b, rv, 2), 8);
	assert_memory_equal(out, "12345678", 8);

	assert_int_equal(sl_send(b, "pong", 4, 0), 4);
	sl_net_poll_all(s.clk);
	assert_int_equal(sl_recv(a, out, sizeof(out), 0), 4);
	assert_memory_equal(out, "pong", 4);
	sl_close(a);
	sl_close(b);
	one_stack_teardown(&s);
}

static void test_accept_listen_on_dgram(void **state)
{
	struct one_stack s;
	int fd;

	one_stack_setup(&s, SL_NET_POLLED);
	fd = sl_socket(AF_INET, SOCK_DGRAM, 0);
	/* sock_no_listen / sock_no_accept */
	assert_errno(sl_listen(fd, 5), EOPNOTSUPP);
	assert_errno(sl_accept(fd, NULL, NULL), EOPNOTSUPP);
	assert_errno(sl_accept4(fd, NULL, NULL, SOCK_NONBLOCK), EOPNOTSUPP);
	assert_errno(sl_accept4(fd, NULL, NULL, 0x4), EINVAL);
	sl_close(fd);
	assert_int_equal(sl_sock_live(), 0);
	one_stack_teardown(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rows),
		cmocka_unit_test(test_create_flags),
		cmocka_unit_test(test_socket_net_explicit),
		cmocka_unit_test(test_sock_register),
		cmocka_unit_test(test_sendto_recvfrom_addrlen),
		cmocka_unit_test(test_sendmsg_recvmsg),
		cmocka_unit_test(test_read_write_connected),
		cmocka_unit_test(test_accept_listen_on_dgram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
