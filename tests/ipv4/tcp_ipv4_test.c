/*
 * Connection management through the socket API (src/ipv4/tcp_ipv4.c,
 * inet_connection_sock.c, af_inet.c stream calls, core/secure_seq.c):
 * bind conflicts as Linux's inet_csk_bind_conflict, ephemeral ports,
 * listen/accept/connect errors, ISNs per RFC 6528.
 */
#include "tcp_conn_test_util.h"

/* Two sockets on one port: the errno Linux gives to the second. */
struct bind_row {
	const char *ip1, *ip2;
	int opt1, opt2;          /* SO_REUSEADDR / SO_REUSEPORT / 0 */
	bool listen1;            /* the first one listens */
	int err;
};

static const struct bind_row bind_rows[] = {
	{ "0.0.0.0", "0.0.0.0", 0, 0, false, -EADDRINUSE },
	{ "10.0.0.1", "0.0.0.0", 0, 0, false, -EADDRINUSE },
	{ "0.0.0.0", "10.0.0.1", 0, 0, false, -EADDRINUSE },
	{ "10.0.0.1", "127.0.0.1", 0, 0, false, 0 },
	{ "0.0.0.0", "0.0.0.0", SO_REUSEADDR, SO_REUSEADDR, false, 0 },
	{ "0.0.0.0", "0.0.0.0", SO_REUSEADDR, SO_REUSEADDR, true, -EADDRINUSE },
	{ "0.0.0.0", "0.0.0.0", SO_REUSEADDR, 0, false, -EADDRINUSE },
	{ "0.0.0.0", "0.0.0.0", SO_REUSEPORT, SO_REUSEPORT, false, 0 },
	{ "0.0.0.0", "0.0.0.0", SO_REUSEPORT, SO_REUSEPORT, true, 0 },
	{ "0.0.0.0", "0.0.0.0", SO_REUSEPORT, 0, true, -EADDRINUSE },
};

static void test_bind_conflicts_as_linux(void **state)
{
	struct sl_pair p;
	size_t i;
	int a, b;

	(void)state;
	sl_pair_setup(&p, NULL);
	for (i = 0; i < ARRAY_SIZE(bind_rows); i++) {
		const struct bind_row *r = &bind_rows[i];

		a = tcp_socket(p.a);
		b = tcp_socket(p.a);
		if (r->opt1)
			set_int_opt(a, SOL_SOCKET, r->opt1, 1);
		if (r->opt2)
			set_int_opt(b, SOL_SOCKET, r->opt2, 1);
		assert_int_equal(try_bind(a, r->ip1, 7000), 0);
		if (r->listen1)
			assert_int_equal(try_listen(a, 5), 0);
		if (try_bind(b, r->ip2, 7000) != r->err)
			fail_msg("row %zu: bind gave %d", i, try_bind(b, r->ip2, 7000));
		sl_close(a);
		sl_close(b);
	}
	sl_pair_teardown(&p);
}

/* Two SO_REUSEADDR sockets share a port until one listens; then the
 * other cannot listen (Linux's re-check in inet_csk_listen_start). */
static void test_listen_rechecks_port(void **state)
{
	struct sl_pair p;
	int a, b;

	(void)state;
	sl_pair_setup(&p, NULL);
	a = tcp_socket(p.a);
	b = tcp_socket(p.a);
	set_int_opt(a, SOL_SOCKET, SO_REUSEADDR, 1);
	set_int_opt(b, SOL_SOCKET, SO_REUSEADDR, 1);
	assert_int_equal(try_bind(a, "0.0.0.0", 7001), 0);
	assert_int_equal(try_bind(b, "0.0.0.0", 7001), 0);
	assert_int_equal(try_listen(a, 5), 0);
	assert_int_equal(try_listen(b, 5), -EADDRINUSE);
	/* listening again only changes the backlog */
	assert_int_equal(try_listen(a, 50), 0);
	assert_int_equal(fd_sock(a)->sk_max_ack_backlog, 50);
	/* bind twice, or after listen: EINVAL */
	assert_int_equal(try_bind(a, "0.0.0.0", 7002), -EINVAL);
	sl_close(a);
	sl_close(b);
	sl_pair_teardown(&p);
}

/* bind(0) and listen(2) without bind take odd ports (connect keeps the
 * even ones), inside ip_local_port_range; backlog capped by somaxconn. */
static void test_ephemeral_bind_and_listen_ports(void **state)
{
	struct sl_pair p;
	uint16_t port;
	int a, b;

	(void)state;
	sl_pair_setup(&p, NULL);
	a = tcp_socket(p.a);
	assert_int_equal(try_bind(a, "0.0.0.0", 0), 0);
	port = local_port(a);
	assert_true(port >= 32768 && port <= 60999);
	assert_int_equal(port % 2, 1);
	b = tcp_socket(p.a);
	assert_int_equal(sl_sysctl_set(p.a, "net.core.somaxconn", "8"), 0);
	assert_int_equal(try_listen(b, 1000), 0);
	port = local_port(b);
	assert_true(port >= 32768 && port <= 60999);
	assert_int_equal(port % 2, 1);
	assert_int_equal(fd_sock(b)->sk_max_ack_backlog, 8);
	sl_close(a);
	sl_close(b);
	sl_pair_teardown(&p);
}

/* accept4's SOCK_NONBLOCK is for the new fd: a blocking listener still
 * waits for the connection (Linux's do_accept; nc -l depends on it). */
static void test_accept4_nonblock_flag_is_for_new_fd(void **state)
{
	struct sl_pair p;
	int l, c, s;

	(void)state;
	sl_pair_setup(&p, NULL);
	l = tcp_listener(p.b, "0.0.0.0", 80, 0, 5);
	c = tcp_socket(p.a);
	assert_int_equal(sl_fcntl(c, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(try_connect(c, "10.0.0.2", 80), -EINPROGRESS);
	/* The SYN has not even arrived: the call waits (driving the stacks). */
	s = sl_accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(s >= 0);
	assert_true(sl_fcntl(s, F_GETFL) & O_NONBLOCK);
	assert_int_equal(sl_fcntl(s, F_GETFD), FD_CLOEXEC);
	assert_false(sl_fcntl(l, F_GETFL) & O_NONBLOCK);
	sl_close(s);
	sl_close(c);
	sl_close(l);
	sl_pair_run(&p, 130 * 1000000000ULL);
	sl_pair_teardown(&p);
}

/* The errors of connect(2) and accept(2) that need no peer. */
static void test_connect_and_accept_errors(void **state)
{
	struct sockaddr_in sin = sl_sin("10.0.0.2", 80);
	struct sl_pair p;
	int fd, l;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = tcp_socket(p.a);
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&sin, 4), -1);
	assert_int_equal(errno, EINVAL);
	sin.sin_family = AF_INET6;
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
			 -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_int_equal(try_connect(fd, "192.168.7.7", 80), -ENETUNREACH);
	/* accept: not listening, then listening without a connection */
	assert_int_equal(sl_accept(fd, NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
	l = tcp_listener(p.a, "0.0.0.0", 81, 0, 5);
	assert_int_equal(sl_fcntl(l, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(sl_accept4(l, NULL, NULL, SOCK_NONBLOCK), -1);
	assert_int_equal(errno, EAGAIN);
	/* a listener cannot connect */
	assert_int_equal(try_connect(l, "10.0.0.2", 80), -EISCONN);
	/* non-blocking connect: EINPROGRESS, then EALREADY */
	assert_int_equal(sl_fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(try_connect(fd, "10.0.0.2", 80), -EINPROGRESS);
	assert_int_equal(try_connect(fd, "10.0.0.2", 80), -EALREADY);
	assert_int_equal(fd_sock(fd)->sk_state, TCP_SYN_SENT);
	sl_close(fd);
	sl_close(l);
	sl_pair_teardown(&p);
}

/* RFC 6528: a keyed hash per 4-tuple plus a clock (64 ns ticks, as
 * Linux's seq_scale); different stacks have different keys. */
static void test_isn_keyed_per_tuple_and_clocked(void **state)
{
	__be32 l = ipa("10.0.0.1"), r = ipa("10.0.0.2");
	struct sl_pair p;
	u32 a1, a2, b1;

	(void)state;
	sl_pair_setup(&p, NULL);
	a1 = secure_tcp_seq(p.a, l, r, htons(40000), htons(80));
	a2 = secure_tcp_seq(p.a, l, r, htons(40002), htons(80));
	b1 = secure_tcp_seq(p.b, l, r, htons(40000), htons(80));
	assert_int_not_equal(a1, a2);
	assert_int_not_equal(a1, b1);
	assert_int_equal(secure_tcp_seq(p.a, l, r, htons(40000), htons(80)), a1);
	sl_pair_run(&p, MSEC);
	assert_int_equal(secure_tcp_seq(p.a, l, r, htons(40000), htons(80)) - a1,
			 (u32)((p.a->clock->now >> 6) -
			       ((p.a->clock->now - MSEC) >> 6)));
	/* timestamps: an offset per address pair, none with tcp_timestamps=2 */
	assert_int_not_equal(secure_tcp_ts_off(p.a, l, r),
			     secure_tcp_ts_off(p.a, l, ipa("10.0.0.3")));
	assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.tcp_timestamps", "2"), 0);
	assert_int_equal(secure_tcp_ts_off(p.a, l, r), 0);
	sl_pair_teardown(&p);
}

/* SipHash-2-4 reference vectors (key 00..0f, message 00..n-1). */
static void test_siphash_reference_vectors(void **state)
{
	const u64 key[2] = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	const u32 msg[2] = { 0x03020100, 0x07060504 };

	(void)state;
	assert_true(siphash_u32s(msg, 0, key) == 0x726fdb47dd0e0e31ULL);
	assert_true(siphash_u32s(msg, 2, key) == 0x93f5f5799a932462ULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_conflicts_as_linux),
		cmocka_unit_test(test_listen_rechecks_port),
		cmocka_unit_test(test_ephemeral_bind_and_listen_ports),
		cmocka_unit_test(test_connect_and_accept_errors),
		cmocka_unit_test(test_accept4_nonblock_flag_is_for_new_fd),
		cmocka_unit_test(test_isn_keyed_per_tuple_and_clocked),
		cmocka_unit_test(test_siphash_reference_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
