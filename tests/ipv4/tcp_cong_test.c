/*
 * The congestion control framework and Reno (src/ipv4/tcp_cong.c): the
 * registry (reno and cubic present before any socket asks, duplicates and
 * incomplete tables refused), per-socket TCP_CONGESTION (ENOENT for an
 * unknown name, the stack's default otherwise), and Reno's arithmetic:
 * slow start growing by the segments each ACK covers (RFC 5681 3.1,
 * RFC 3465 as Linux), one segment per window in congestion avoidance,
 * ssthresh = max(cwnd/2, 2), undo, no growth unless cwnd-limited.
 */
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>

#include "sl_test.h"

#include "sl/sock.h"
#include "sl/tcp.h"

static struct proto test_tcp_prot = {
	.name = "TCP-test",
	.obj_size = sizeof(struct tcp_sock),
	.max_header = SL_MAX_HEADER,
};

/* A bare, unconnected tcp_sock on @net (cwnd-limited, SS threshold set). */
static struct sock *bare_sock(sl_net_t *net)
{
	struct sock *sk = sk_alloc(net, AF_INET, &test_tcp_prot);

	assert_non_null(sk);
	sock_init_data(NULL, sk);
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_type = SOCK_STREAM;
	tcp_init_sock(sk);
	tcp_sk(sk)->is_cwnd_limited = 1;
	return sk;
}

static void bare_sock_free(struct sl_pair *p, struct sock *sk)
{
	tcp_cleanup_congestion_control(sk);
	inet_csk_clear_xmit_timers(sk);
	tcp_write_queue_purge(sk);
	sk->sk_state = TCP_CLOSE;
	sl_pair_settle(p);
	sock_put(sk);
}

static void test_reno_and_cubic_registered(void **state)
{
	(void)state;
	assert_ptr_equal(tcp_ca_find("reno"), &tcp_reno);
	assert_ptr_equal(tcp_ca_find("cubic"), &cubictcp);
	assert_null(tcp_ca_find("bbr"));
	assert_null(tcp_ca_find(""));
}

static u32 dummy_ssthresh(struct sock *sk)
{
	(void)sk;
	return 7;
}

static struct tcp_congestion_ops dup_reno = {
	.ssthresh = tcp_reno_ssthresh,
	.cong_avoid = tcp_reno_cong_avoid,
	.undo_cwnd = tcp_reno_undo_cwnd,
	.name = "reno",
};
static struct tcp_congestion_ops incomplete = {
	.ssthresh = dummy_ssthresh,
	.name = "incomplete",
};
static struct tcp_congestion_ops test_ca = {
	.ssthresh = dummy_ssthresh,
	.cong_avoid = tcp_reno_cong_avoid,
	.undo_cwnd = tcp_reno_undo_cwnd,
	.name = "sltest",
};

static void test_register_refuses_duplicates_and_incomplete(void **state)
{
	(void)state;
	assert_int_equal(tcp_register_congestion_control(&dup_reno), -EEXIST);
	assert_int_equal(tcp_register_congestion_control(&incomplete), -EINVAL);
	assert_null(tcp_ca_find("incomplete"));
	assert_int_equal(tcp_register_congestion_control(&test_ca), 0);
	assert_ptr_equal(tcp_ca_find("sltest"), &test_ca);
	assert_int_equal(tcp_register_congestion_control(&test_ca), -EEXIST);
}

/* The socket API: the stack's default (cubic), TCP_CONGESTION switching,
 * ENOENT for an unknown name and the old one kept. */
static void test_tcp_congestion_sockopt(void **state)
{
	struct sl_pair p;
	char name[TCP_CA_NAME_MAX];
	socklen_t len = sizeof(name);
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = sl_socket_net(p.a, AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(sl_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
				       &len), 0);
	assert_string_equal(name, "cubic");
	assert_int_equal(sl_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno",
				       4), 0);
	len = sizeof(name);
	assert_int_equal(sl_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
				       &len), 0);
	assert_string_equal(name, "reno");
	assert_int_equal(sl_setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION,
				       "nosuch", 6), -1);
	assert_int_equal(errno, ENOENT);
	len = sizeof(name);
	assert_int_equal(sl_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
				       &len), 0);
	assert_string_equal(name, "reno");
	sl_close(fd);
	sl_pair_teardown(&p);
}

/* net.ipv4.tcp_congestion_control picks what new sockets get. */
static void test_stack_default_from_sysctl(void **state)
{
	struct sl_pair p;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.tcp_congestion_control",
				       "reno"), 0);
	sk = bare_sock(p.a);
	assert_ptr_equal(inet_csk(sk)->icsk_ca_ops, &tcp_reno);
	assert_int_equal(tcp_set_congestion_control(sk, "nosuch"), -ENOENT);
	assert_int_equal(tcp_set_congestion_control(sk, "cubic"), 0);
	assert_ptr_equal(inet_csk(sk)->icsk_ca_ops, &cubictcp);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 5681 3.1 with RFC 3465 as Linux: cwnd += segments ACKed, capped at
 * ssthresh; the rest goes to congestion avoidance. */
static void test_reno_slow_start_grows_by_acked_segments(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	tcp_snd_cwnd_set(tp, 10);
	tp->snd_ssthresh = 20;
	tp->snd_cwnd_cnt = 0;
	tcp_reno_cong_avoid(sk, 0, 1);
	assert_int_equal(tcp_snd_cwnd(tp), 11);
	tcp_reno_cong_avoid(sk, 0, 4);       /* a stretch ACK of 4 segments */
	assert_int_equal(tcp_snd_cwnd(tp), 15);
	tcp_reno_cong_avoid(sk, 0, 9);       /* 5 to ssthresh, 4 left over */
	assert_int_equal(tcp_snd_cwnd(tp), 20);
	assert_int_equal(tp->snd_cwnd_cnt, 4);
	/* tcp_slow_start returns what is left over */
	tcp_snd_cwnd_set(tp, 10);
	assert_int_equal(tcp_slow_start(tp, 3), 0);
	assert_int_equal(tcp_snd_cwnd(tp), 13);
	assert_int_equal(tcp_slow_start(tp, 10), 3);
	assert_int_equal(tcp_snd_cwnd(tp), 20);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* Congestion avoidance: one segment per cwnd of ACKed segments. */
static void test_reno_congestion_avoidance_one_per_window(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	int i;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	tcp_snd_cwnd_set(tp, 20);
	tp->snd_ssthresh = 20;
	tp->snd_cwnd_cnt = 0;
	for (i = 0; i < 19; i++)
		tcp_reno_cong_avoid(sk, 0, 1);
	assert_int_equal(tcp_snd_cwnd(tp), 20);
	tcp_reno_cong_avoid(sk, 0, 1);
	assert_int_equal(tcp_snd_cwnd(tp), 21);
	for (i = 0; i < 21; i++)
		tcp_reno_cong_avoid(sk, 0, 1);
	assert_int_equal(tcp_snd_cwnd(tp), 22);
	/* A large stretch ACK earns several segments at once. */
	tcp_reno_cong_avoid(sk, 0, 44);
	assert_int_equal(tcp_snd_cwnd(tp), 24);
	/* The clamp holds. */
	tp->snd_cwnd_clamp = 24;
	tcp_reno_cong_avoid(sk, 0, 100);
	assert_int_equal(tcp_snd_cwnd(tp), 24);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* Growth is earned only when cwnd was the limit (RFC 7661, Linux). */
static void test_no_growth_unless_cwnd_limited(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	tp->is_cwnd_limited = 0;
	tcp_snd_cwnd_set(tp, 10);
	tp->snd_ssthresh = 100;
	tp->max_packets_out = 4;      /* app-limited: 10 >= 2 * 4 */
	assert_false(tcp_is_cwnd_limited(sk));
	tcp_reno_cong_avoid(sk, 0, 4);
	assert_int_equal(tcp_snd_cwnd(tp), 10);
	tp->max_packets_out = 6;      /* slow start: below twice in flight */
	assert_true(tcp_is_cwnd_limited(sk));
	tcp_reno_cong_avoid(sk, 0, 4);
	assert_int_equal(tcp_snd_cwnd(tp), 14);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 5681 (4): ssthresh = max(FlightSize/2, 2); undo restores. */
static void test_reno_ssthresh_and_undo(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	tcp_snd_cwnd_set(tp, 20);
	assert_int_equal(tcp_reno_ssthresh(sk), 10);
	tcp_snd_cwnd_set(tp, 5);
	assert_int_equal(tcp_reno_ssthresh(sk), 2);
	tcp_snd_cwnd_set(tp, 1);
	assert_int_equal(tcp_reno_ssthresh(sk), 2);
	tp->prior_cwnd = 30;
	assert_int_equal(tcp_reno_undo_cwnd(sk), 30);
	tcp_snd_cwnd_set(tp, 40);
	assert_int_equal(tcp_reno_undo_cwnd(sk), 40);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

static int ca_state_seen = -1;
static void record_state(struct sock *sk, u8 new_state)
{
	(void)sk;
	ca_state_seen = new_state;
}

/* tcp_set_ca_state tells the algorithm, then records the state. */
static void test_set_ca_state_notifies(void **state)
{
	static struct tcp_congestion_ops rec = {
		.ssthresh = tcp_reno_ssthresh,
		.cong_avoid = tcp_reno_cong_avoid,
		.undo_cwnd = tcp_reno_undo_cwnd,
		.set_state = record_state,
		.name = "slrecord",
	};
	struct sl_pair p;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(tcp_register_congestion_control(&rec), 0);
	sk = bare_sock(p.a);
	assert_int_equal(tcp_set_congestion_control(sk, "slrecord"), 0);
	tcp_set_ca_state(sk, TCP_CA_Recovery);
	assert_int_equal(ca_state_seen, TCP_CA_Recovery);
	assert_int_equal(inet_csk(sk)->icsk_ca_state, TCP_CA_Recovery);
	tcp_set_ca_state(sk, TCP_CA_Open);
	assert_int_equal(ca_state_seen, TCP_CA_Open);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reno_and_cubic_registered),
		cmocka_unit_test(test_register_refuses_duplicates_and_incomplete),
		cmocka_unit_test(test_tcp_congestion_sockopt),
		cmocka_unit_test(test_stack_default_from_sysctl),
		cmocka_unit_test(test_reno_slow_start_grows_by_acked_segments),
		cmocka_unit_test(test_reno_congestion_avoidance_one_per_window),
		cmocka_unit_test(test_no_growth_unless_cwnd_limited),
		cmocka_unit_test(test_reno_ssthresh_and_undo),
		cmocka_unit_test(test_set_ca_state_notifies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
