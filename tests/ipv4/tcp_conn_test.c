/*
 * Handshakes end to end on two stacks joined by the virtual wire (every
 * TCP file together): active and passive open, accept, refused and
 * non-blocking connects, accept queue overflow, SYN cookies, TIME_WAIT
 * after an active close, a listener closing with queued children.
 */
#include <poll.h>

#include "tcp_conn_test_util.h"

/* b listens on 10.0.0.2:@port; a connects (blocking: the polled stacks
 * are driven by the wait). Returns the connected fd, *@acc the accepted. */
static int connect_pair(struct sl_pair *p, int l, uint16_t port, int *acc)
{
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int c = tcp_socket(p->a);

	assert_int_equal(try_connect(c, "10.0.0.2", port), 0);
	*acc = sl_accept(l, (struct sockaddr *)&peer, &len);
	if (*acc < 0)
		fail_msg("accept: errno %d", errno);
	assert_true(*acc >= 0);
	assert_int_equal(peer.sin_addr.s_addr, ipa("10.0.0.1"));
	assert_int_equal(ntohs(peer.sin_port), local_port(c));
	return c;
}

static void test_handshake_connect_accept(void **state)
{
	struct sl_pair p;
	int l, c, s;

	(void)state;
	sl_pair_setup(&p, NULL);
	l = tcp_listener(p.b, "0.0.0.0", 80, 0, 8);
	c = connect_pair(&p, l, 80, &s);
	assert_int_equal(fd_sock(c)->sk_state, TCP_ESTABLISHED);
	assert_int_equal(fd_sock(s)->sk_state, TCP_ESTABLISHED);
	assert_int_equal(ctr(p.a, "TcpActiveOpens"), 1);
	assert_int_equal(ctr(p.b, "TcpPassiveOpens"), 1);
	assert_int_equal(try_connect(c, "10.0.0.2", 80), -EISCONN);
	sl_close(c);
	sl_close(s);
	sl_close(l);
	sl_pair_run(&p, 61 * NSEC);
	sl_pair_teardown(&p);
}

/* RST to a SYN: ECONNREFUSED (blocking), and through SO_ERROR after a
 * non-blocking connect. */
static void test_connect_refused(void **state)
{
	struct sl_pair p;
	socklen_t len = sizeof(int);
	int c, err = 0;

	(void)state;
	sl_pair_setup(&p, NULL);
	c = tcp_socket(p.a);
	assert_int_equal(try_connect(c, "10.0.0.2", 81), -ECONNREFUSED);
	sl_close(c);
	c = tcp_socket(p.a);
	assert_int_equal(sl_fcntl(c, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(try_connect(c, "10.0.0.2", 81), -EINPROGRESS);
	sl_pair_settle(&p);
	assert_int_equal(sl_getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, ECONNREFUSED);
	sl_close(c);
	assert_int_equal(ctr(p.b, "TcpOutRsts"), 2);
	sl_pair_teardown(&p);
}

/* A full accept queue drops the handshake's ACK (ListenOverflows); the
 * client's retransmissions complete it once accept(2) made room. */
static void test_accept_queue_overflow(void **state)
{
	struct sl_pair p;
	int l, c[3], s, i;

	(void)state;
	sl_pair_setup(&p, NULL);
	l = tcp_listener(p.b, "0.0.0.0", 80, 0, 1);
	for (i = 0; i < 3; i++) {
		c[i] = tcp_socket(p.a);
		assert_int_equal(sl_fcntl(c[i], F_SETFL, O_NONBLOCK), 0);
		assert_int_equal(try_connect(c[i], "10.0.0.2", 80), -EINPROGRESS);
		sl_pair_settle(&p);
	}
	assert_true(ctr(p.b, "ListenOverflows") >= 1);
	assert_int_equal(fd_sock(l)->sk_ack_backlog, 2);
	for (i = 0; i < 2; i++) {
		s = sl_accept4(l, NULL, NULL, SOCK_NONBLOCK);
		assert_true(s >= 0);
		sl_close(s);
	}
	for (i = 0; i < 3; i++)
		sl_close(c[i]);
	sl_close(l);
	sl_pair_run(&p, 130 * NSEC);
	sl_pair_teardown(&p);
}

/* tcp_syncookies=2: every SYN gets a cookie; the ACK makes the child. */
static void test_syncookie_handshake(void **state)
{
	struct sl_pair p;
	int l, c, s;

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(sl_sysctl_set(p.b, "net.ipv4.tcp_syncookies", "2"), 0);
	l = tcp_listener(p.b, "0.0.0.0", 80, 0, 8);
	c = connect_pair(&p, l, 80, &s);
	assert_int_equal(ctr(p.b, "SyncookiesSent"), 1);
	assert_int_equal(ctr(p.b, "SyncookiesRecv"), 1);
	assert_int_equal(fd_sock(s)->sk_state, TCP_ESTABLISHED);
	sl_close(c);
	sl_close(s);
	sl_close(l);
	sl_pair_run(&p, 61 * NSEC);
	sl_pair_teardown(&p);
}

/* The active closer ends in TIME_WAIT for 60 s; the passive one closes. */
static void test_active_close_time_wait(void **state)
{
	struct sl_pair p;
	int l, c, s;
	uint16_t port;
	struct sock *tw;

	(void)state;
	sl_pair_setup(&p, NULL);
	l = tcp_listener(p.b, "0.0.0.0", 80, 0, 8);
	c = connect_pair(&p, l, 80, &s);
	port = local_port(c);
	sl_close(c);
	sl_pair_settle(&p);
	sl_close(s);
	sl_pair_run(&p, NSEC);
	tw = __inet_lookup_established(p.a, tcp_hashinfo(p.a), ipa("10.0.0.2"),
				       htons(80), ipa("10.0.0.1"), port, 0);
	assert_non_null(tw);
	assert_int_equal(tw->sk_state, TCP_TIME_WAIT);
	sock_gen_put(tw);
	sl_pair_run(&p, 60 * NSEC);
	assert_null(__inet_lookup_established(p.a, tcp_hashinfo(p.a),
					      ipa("10.0.0.2"), htons(80),
					      ipa("10.0.0.1"), port, 0));
	sl_close(l);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_connect_accept),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_accept_queue_overflow),
		cmocka_unit_test(test_syncookie_handshake),
		cmocka_unit_test(test_active_close_time_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
