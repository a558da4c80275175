/*
 * CUBIC (src/ipv4/tcp_cubic.c, RFC 9438 with Linux's constants): the
 * integer cube root, the multiplicative decrease (beta 717/1024) and fast
 * convergence, the window following W(t) = C (t - K)^3 + W_max with
 * C = 0.4 after a loss, and HyStart's delay and ACK-train exits from slow
 * start (with their counters), only from 16 segments up.
 */
#include <math.h>
#include <netinet/in.h>

#include "sl_test.h"

#include "sl/sock.h"
#include "sl/tcp.h"

#define RTT_NS (100ULL * 1000 * 1000)

static struct proto test_tcp_prot = {
	.name = "TCP-test",
	.obj_size = sizeof(struct tcp_sock),
	.max_header = SL_MAX_HEADER,
};

/* A bare tcp_sock on @net running cubic, cwnd-limited. */
static struct sock *cubic_sock(sl_net_t *net)
{
	struct sock *sk = sk_alloc(net, AF_INET, &test_tcp_prot);

	assert_non_null(sk);
	sock_init_data(NULL, sk);
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_type = SOCK_STREAM;
	tcp_init_sock(sk);
	assert_int_equal(tcp_set_congestion_control(sk, "cubic"), 0);
	tcp_sk(sk)->is_cwnd_limited = 1;
	tcp_sk(sk)->snd_cwnd_clamp = ~0U;
	tcp_init_congestion_control(sk);
	return sk;
}

static void cubic_sock_free(struct sl_pair *p, struct sock *sk)
{
	tcp_cleanup_congestion_control(sk);
	inet_csk_clear_xmit_timers(sk);
	tcp_write_queue_purge(sk);
	sk->sk_state = TCP_CLOSE;
	sl_pair_settle(p);
	sock_put(sk);
}

static void rtt_sample(struct sock *sk, s32 rtt_us)
{
	struct ack_sample s = { .pkts_acked = 1, .rtt_us = rtt_us };

	inet_csk(sk)->icsk_ca_ops->pkts_acked(sk, &s);
}

static uint64_t counter(sl_net_t *net, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(sl_snmp_get(net, name, &v), 0);
	return v;
}

static int cube_ok(uint64_t a, uint32_t r)
{
	unsigned __int128 c = (unsigned __int128)r * r * r;
	unsigned __int128 d = (unsigned __int128)(r + 1) * (r + 1) * (r + 1);

	return c <= a && d > a;
}

/* floor(cbrt(a)) everywhere in 64 bits, including the top and exact cubes. */
static void test_cubic_root_is_floor_of_cube_root(void **state)
{
	uint64_t a, x = 88172645463325252ULL;
	uint32_t r;
	int i;

	(void)state;
	for (a = 0; a < 200000; a++)
		assert_true(cube_ok(a, cubic_root(a)));
	for (r = 1; r < 2642245; r += 997) {
		a = (uint64_t)r * r * r;
		assert_int_equal(cubic_root(a), r);
		assert_int_equal(cubic_root(a - 1), r - 1);
	}
	assert_int_equal(cubic_root(~0ULL), 2642245);
	assert_int_equal(cubic_root(2642245ULL * 2642245 * 2642245), 2642245);
	for (i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		a = x >> (i % 64);
		assert_true(cube_ok(a, cubic_root(a)));
	}
}

/* RFC 9438 4.6/4.7: ssthresh = 0.7 cwnd (717/1024), W_max remembered,
 * reduced further when it shrank (fast convergence). */
static void test_cubic_beta_and_fast_convergence(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	u32 (*ssthresh)(struct sock *);

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = cubic_sock(p.a);
	tp = tcp_sk(sk);
	ssthresh = inet_csk(sk)->icsk_ca_ops->ssthresh;
	tcp_snd_cwnd_set(tp, 100);
	assert_int_equal(ssthresh(sk), 70);        /* 100 * 717 / 1024 */
	tcp_snd_cwnd_set(tp, 2);
	assert_int_equal(ssthresh(sk), 2);
	cubic_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/*
 * Drive cubic one RTT (100 ms) at a time, cwnd ACKs per RTT, and return
 * cwnd after @rtts rounds.
 */
static u32 run_rounds(struct sl_pair *p, struct sock *sk, int rtts)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int r;
	u32 i, n;

	for (r = 0; r < rtts; r++) {
		n = tcp_snd_cwnd(tp);
		for (i = 0; i < n; i++)
			inet_csk(sk)->icsk_ca_ops->cong_avoid(sk, 0, 1);
		sl_pair_run(p, RTT_NS);
	}
	return tcp_snd_cwnd(tp);
}

/* After a loss at W_max = 100: cwnd 70, then concave growth to a plateau
 * at W_max around t = K = cbrt(30 / 0.4) = 4.2 s, then convex. */
static void test_cubic_window_follows_cubic_curve(void **state)
{
	const double K = cbrt(30.0 / 0.4);
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	double t = 0, w;
	u32 cwnd;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = cubic_sock(p.a);
	tp = tcp_sk(sk);
	rtt_sample(sk, 100000);
	tcp_snd_cwnd_set(tp, 100);
	tp->snd_ssthresh = inet_csk(sk)->icsk_ca_ops->ssthresh(sk);
	assert_int_equal(tp->snd_ssthresh, 70);
	tcp_snd_cwnd_set(tp, 70);
	/* 2 s: concave region, W = 0.4 (2 - K)^3 + 100 = 95.7 */
	cwnd = run_rounds(&p, sk, 20);
	t = 2.0;
	w = 0.4 * pow(t - K, 3) + 100;
	assert_true(fabs(cwnd - w) <= 3.0);
	/* K: the plateau at W_max */
	cwnd = run_rounds(&p, sk, 22);
	t = 4.2;
	assert_true(cwnd >= 98 && cwnd <= 102);
	/* 8 s: convex region, W = 0.4 (8 - K)^3 + 100 = 121.7 */
	cwnd = run_rounds(&p, sk, 38);
	t = 8.0;
	w = 0.4 * pow(t - K, 3) + 100;
	assert_true(fabs(cwnd - w) <= 4.0);
	cubic_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* Set up a loss at @cwnd after an earlier one at @wmax (RTT 100 ms). */
static void two_losses(struct sock *sk, u32 wmax, u32 cwnd)
{
	struct tcp_sock *tp = tcp_sk(sk);

	rtt_sample(sk, 100000);
	tcp_snd_cwnd_set(tp, wmax);
	inet_csk(sk)->icsk_ca_ops->ssthresh(sk);      /* W_max = wmax */
	tcp_snd_cwnd_set(tp, cwnd);                    /* loss below W_max */
	tp->snd_ssthresh = inet_csk(sk)->icsk_ca_ops->ssthresh(sk);
	tcp_snd_cwnd_set(tp, tp->snd_ssthresh);
}

/* RFC 9438 4.7 fast convergence: a loss below the last W_max remembers
 * W_max = cwnd (1 + beta) / 2, so the plateau is lower. */
static void test_cubic_fast_convergence_lowers_plateau(void **state)
{
	struct sl_pair p;
	struct sock *sk;
	u32 cwnd;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = cubic_sock(p.a);
	two_losses(sk, 1000, 900);
	assert_int_equal(tcp_sk(sk)->snd_ssthresh, 630);   /* 900 * 0.7 */
	/* W_max = 900 * 1741 / 2048 = 765: K = cbrt(135 / 0.4) = 7 s. */
	cwnd = run_rounds(&p, sk, 70);
	assert_true(cwnd >= 757 && cwnd <= 773);
	cubic_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 9438 4.3: where Reno would be faster (small windows), cwnd follows
 * W_est = W_max*beta + 3 (1 - beta) / (1 + beta) per RTT instead. */
static void test_cubic_reno_friendly_region(void **state)
{
	struct sl_pair p;
	struct sock *sk;
	u32 cwnd;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = cubic_sock(p.a);
	two_losses(sk, 100, 90);                /* cwnd 63, W_max 76 */
	/* After 32 RTTs: W_cubic(3.2 s) = 76, W_est = 63 + 0.53 * 32 = 80. */
	cwnd = run_rounds(&p, sk, 32);
	assert_true(cwnd >= 79 && cwnd <= 81);
	cubic_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* HyStart delay detection: a round whose minimum RTT exceeds delay_min +
 * max(4 ms, delay_min / 8) ends slow start at the current cwnd. */
static void test_hystart_delay_exits_slow_start(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	int i;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = cubic_sock(p.a);
	tp = tcp_sk(sk);
	tcp_snd_cwnd_set(tp, 32);
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	tp->snd_una = 0;
	tp->snd_nxt = 1000;
	tcp_init_congestion_control(sk);              /* round ends at 1000 */
	rtt_sample(sk, 10000);                         /* delay_min 10 ms */
	tp->snd_una = 1001;
	tp->snd_nxt = 50000;                           /* next round */
	for (i = 0; i < 8; i++)
		rtt_sample(sk, 13000);                 /* under 10 + 4 ms */
	rtt_sample(sk, 13000);
	assert_int_equal(tp->snd_ssthresh, TCP_INFINITE_SSTHRESH);
	tp->snd_una = 50001;
	tp->snd_nxt = 90000;
	for (i = 0; i < 9; i++)
		rtt_sample(sk, 15000);                 /* over 14 ms */
	assert_int_equal(tp->snd_ssthresh, 32);
	assert_int_equal(counter(p.a, "TCPHystartDelayDetect"), 1);
	assert_int_equal(counter(p.a, "TCPHystartDelayCwnd"), 32);
	assert_int_equal(counter(p.a, "TCPHystartTrainDetect"), 0);
	cubic_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* HyStart ACK train: closely spaced ACKs (<= 2 ms apart) spanning more
 * than delay_min / 2 since the round started end slow start. */
static void test_hystart_ack_train_exits_slow_start(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	int i;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = cubic_sock(p.a);
	tp = tcp_sk(sk);
	tcp_snd_cwnd_set(tp, 20);
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	tp->snd_una = 0;
	tp->snd_nxt = 1000;
	tcp_init_congestion_control(sk);
	rtt_sample(sk, 10000);                         /* delay_min 10 ms */
	tp->snd_una = 1001;
	tp->snd_nxt = 50000;
	for (i = 0; i < 5; i++) {                      /* 4 ms of train */
		rtt_sample(sk, 10000);
		sl_pair_run(&p, 1000000);
	}
	assert_int_equal(tp->snd_ssthresh, TCP_INFINITE_SSTHRESH);
	for (i = 0; i < 3; i++) {                      /* past 5 ms */
		rtt_sample(sk, 10000);
		sl_pair_run(&p, 1000000);
	}
	assert_int_equal(tp->snd_ssthresh, 20);
	assert_int_equal(counter(p.a, "TCPHystartTrainDetect"), 1);
	assert_int_equal(counter(p.a, "TCPHystartDelayDetect"), 0);
	cubic_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* Below hystart_low_window (16) HyStart stays out of the way. */
static void test_hystart_not_below_low_window(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	int i;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = cubic_sock(p.a);
	tp = tcp_sk(sk);
	tcp_snd_cwnd_set(tp, 15);
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	tcp_init_congestion_control(sk);
	rtt_sample(sk, 10000);
	tp->snd_una = tp->snd_nxt + 1;
	for (i = 0; i < 20; i++) {
		rtt_sample(sk, 40000);
		sl_pair_run(&p, 1000000);
	}
	assert_int_equal(tp->snd_ssthresh, TCP_INFINITE_SSTHRESH);
	/* slow start itself is Reno's: by the segments ACKed */
	inet_csk(sk)->icsk_ca_ops->cong_avoid(sk, 0, 3);
	assert_int_equal(tcp_snd_cwnd(tp), 18);
	cubic_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cubic_root_is_floor_of_cube_root),
		cmocka_unit_test(test_cubic_beta_and_fast_convergence),
		cmocka_unit_test(test_cubic_window_follows_cubic_curve),
		cmocka_unit_test(test_cubic_fast_convergence_lowers_plateau),
		cmocka_unit_test(test_cubic_reno_friendly_region),
		cmocka_unit_test(test_hystart_delay_exits_slow_start),
		cmocka_unit_test(test_hystart_ack_train_exits_slow_start),
		cmocka_unit_test(test_hystart_not_below_low_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
