/*
 * TCP timers (src/ipv4/tcp_timer.c) on a bare tcp_sock of stack a that
 * sends to stack b: giving up as Linux (SYN retries, tcp_retries2 as a
 * time of ~924.6 s, TCP_USER_TIMEOUT) with ETIMEDOUT; the RTO doubling on
 * each expiry; the delayed-ACK timer inflating ato or leaving pingpong
 * mode; keepalive probes every TCP_KEEPINTVL after TCP_KEEPIDLE and
 * ETIMEDOUT after TCP_KEEPCNT; timer work deferred to release_sock while
 * the user owns the socket.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "sl_test.h"

#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/sock.h"
#include "sl/tcp.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static struct proto test_tcp_prot = {
	.name = "TCP-test",
	.obj_size = sizeof(struct tcp_sock),
	.max_header = SL_MAX_HEADER,
	.release_cb = tcp_release_cb,
};

/* An established-looking tcp_sock 10.0.0.1:40000 -> 10.0.0.2:80. */
static struct sock *bare_sock(sl_net_t *net)
{
	struct sock *sk = sk_alloc(net, AF_INET, &test_tcp_prot);
	struct inet_sock *inet;

	assert_non_null(sk);
	sock_init_data(NULL, sk);
	inet = inet_sk(sk);
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_type = SOCK_STREAM;
	inet->uc_ttl = -1;
	inet->pmtudisc = IP_PMTUDISC_WANT;
	tcp_init_sock(sk);
	inet->inet_saddr = inet->inet_rcv_saddr = inet_addr("10.0.0.1");
	inet->inet_daddr = inet_addr("10.0.0.2");
	inet->inet_num = 40000;
	inet->inet_sport = htons(40000);
	inet->inet_dport = htons(80);
	sk->sk_state = TCP_ESTABLISHED;
	tcp_sk(sk)->snd_wnd = 65535;
	tcp_sk(sk)->mss_cache = 1460;
	return sk;
}

static void bare_sock_free(struct sl_pair *p, struct sock *sk)
{
	inet_csk_clear_xmit_timers(sk);
	tcp_write_queue_purge(sk);
	sk->sk_state = TCP_CLOSE;
	sl_pair_settle(p);
	sock_put(sk);
}

/* One sent, unacknowledged segment of @len bytes at the head. */
static void queue_sent(struct sock *sk, u32 len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = alloc_skb_with_headroom(sock_net(sk), len);

	assert_non_null(skb);
	memset(skb_put(skb, len), 'x', len);
	TCP_SKB_CB(skb)->seq = tp->snd_una;
	TCP_SKB_CB(skb)->end_seq = tp->snd_una + len;
	TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
	TCP_SKB_CB(skb)->sacked = 0;
	skb->tstamp = net_now(sock_net(sk));
	sk->sk_wmem_queued += (int)skb->truesize;
	__skb_queue_tail(&tp->xfer->tcp_rtx_queue, skb);
	tp->packets_out = 1;
	tp->snd_nxt = tp->write_seq = tp->snd_una + len;
}

static uint64_t counter(sl_net_t *net, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(sl_snmp_get(net, name, &v), 0);
	return v;
}

/* A SYN_SENT socket gives up after tcp_syn_retries (or TCP_SYNCNT). */
static void test_syn_sent_gives_up_after_syn_retries(void **state)
{
	struct sl_pair p;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	sk->sk_state = TCP_SYN_SENT;
	queue_sent(sk, 0);
	inet_csk(sk)->icsk_syn_retries = 2;
	inet_csk(sk)->icsk_retransmits = 2;
	tcp_retransmit_timer(sk);
	assert_int_equal(sk->sk_state, TCP_CLOSE);
	assert_int_equal(sk->sk_err, ETIMEDOUT);
	assert_int_equal(counter(p.a, "TCPTimeouts"), 1);
	assert_int_equal(counter(p.a, "TCPAbortOnTimeout"), 1);
	assert_true(skb_queue_empty(&tcp_sk(sk)->xfer->tcp_rtx_queue));
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 1122 4.2.3.5 R2 as Linux: tcp_retries2 = 15 is a time, the 924.6 s
 * that 15 backed-off retransmissions from a 200 ms RTO take. */
static void test_retries2_is_a_time_of_924_6_seconds(void **state)
{
	struct sl_pair p;
	struct sock *sk;
	u32 now;

	(void)state;
	sl_pair_setup(&p, NULL);
	sl_clock_advance(p.clk, 1000 * SEC);
	sk = bare_sock(p.a);
	queue_sent(sk, 100);
	now = tcp_time_stamp_ms(sk);
	inet_csk(sk)->icsk_rto = TCP_RTO_MAX;
	inet_csk(sk)->icsk_retransmits = 15;
	tcp_sk(sk)->retrans_stamp = now - 924599;
	tcp_retransmit_timer(sk);
	assert_int_equal(sk->sk_state, TCP_ESTABLISHED);
	assert_int_equal(inet_csk(sk)->icsk_retransmits, 16);
	assert_int_equal(counter(p.a, "TcpRetransSegs"), 1);
	tcp_sk(sk)->retrans_stamp = now - 924600;
	tcp_retransmit_timer(sk);
	assert_int_equal(sk->sk_state, TCP_CLOSE);
	assert_int_equal(sk->sk_err, ETIMEDOUT);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 5482 TCP_USER_TIMEOUT replaces retries2; a soft error (ICMP) is
 * reported instead of ETIMEDOUT. */
static void test_user_timeout_and_soft_error(void **state)
{
	struct sl_pair p;
	struct sock *sk;
	u32 now;

	(void)state;
	sl_pair_setup(&p, NULL);
	sl_clock_advance(p.clk, 100 * SEC);
	sk = bare_sock(p.a);
	queue_sent(sk, 100);
	now = tcp_time_stamp_ms(sk);
	tcp_ext_get(sk)->user_timeout = 5000;
	inet_csk(sk)->icsk_retransmits = 1;
	tcp_sk(sk)->retrans_stamp = now - 4999;
	tcp_retransmit_timer(sk);
	assert_int_equal(sk->sk_state, TCP_ESTABLISHED);
	/* the next RTO never goes past the user timeout */
	assert_true(inet_csk(sk)->icsk_timeout - net_now(sock_net(sk)) <= MS);
	sk->sk_err_soft = EHOSTUNREACH;
	tcp_sk(sk)->retrans_stamp = now - 5000;
	tcp_retransmit_timer(sk);
	assert_int_equal(sk->sk_state, TCP_CLOSE);
	assert_int_equal(sk->sk_err, EHOSTUNREACH);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 6298 5.4-5.6: retransmit the head, double the RTO, re-arm. */
static void test_rto_doubles_on_each_expiry(void **state)
{
	struct sl_pair p;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	queue_sent(sk, 100);
	inet_csk(sk)->icsk_rto = 300000;
	tcp_rearm_rto(sk);
	sl_pair_run(&p, 301 * MS);
	assert_int_equal(counter(p.a, "TCPTimeouts"), 1);
	assert_int_equal(inet_csk(sk)->icsk_rto, 600000);
	assert_int_equal(inet_csk(sk)->icsk_backoff, 1);
	assert_int_equal(inet_csk(sk)->icsk_pending, ICSK_TIME_RETRANS);
	sl_pair_run(&p, 598 * MS);
	assert_int_equal(counter(p.a, "TCPTimeouts"), 1);
	sl_pair_run(&p, 2 * MS);
	assert_int_equal(counter(p.a, "TCPTimeouts"), 2);
	assert_int_equal(inet_csk(sk)->icsk_rto, 1200000);
	assert_int_equal(counter(p.a, "TcpRetransSegs"), 2);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* A missed delayed ACK doubles ato (up to the RTO) outside pingpong mode;
 * in pingpong mode it leaves it and resets ato to 40 ms. */
static void test_delack_timer_inflates_ato_or_leaves_pingpong(void **state)
{
	struct inet_connection_sock *icsk;
	struct sl_pair p;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	icsk = inet_csk(sk);
	icsk->icsk_rto = 200000;
	icsk->icsk_ack.ato = TCP_ATO_MIN;
	icsk->icsk_ack.pending = ICSK_ACK_SCHED;
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, 40 * MS, 200 * MS);
	sl_pair_run(&p, 39 * MS);
	assert_int_equal(counter(p.a, "DelayedACKs"), 0);
	sl_pair_run(&p, 2 * MS);
	assert_int_equal(counter(p.a, "DelayedACKs"), 1);
	assert_int_equal(icsk->icsk_ack.ato, 80000);
	icsk->icsk_ack.ato = 160000;
	icsk->icsk_ack.pending = ICSK_ACK_SCHED;
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, 40 * MS, 200 * MS);
	sl_pair_run(&p, 41 * MS);
	assert_int_equal(icsk->icsk_ack.ato, 200000);   /* capped at RTO */
	icsk->icsk_ack.pingpong = 1;
	icsk->icsk_ack.pending = ICSK_ACK_SCHED;
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, 40 * MS, 200 * MS);
	sl_pair_run(&p, 41 * MS);
	assert_int_equal(icsk->icsk_ack.pingpong, 0);
	assert_int_equal(icsk->icsk_ack.ato, TCP_ATO_MIN);
	assert_int_equal(counter(p.a, "DelayedACKs"), 3);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* Owned by the user: the timer defers to release_sock (tcp_release_cb). */
static void test_timers_defer_while_owned(void **state)
{
	struct inet_connection_sock *icsk;
	struct sl_pair p;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	icsk = inet_csk(sk);
	icsk->icsk_ack.ato = TCP_ATO_MIN;
	icsk->icsk_ack.pending = ICSK_ACK_SCHED;
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, 40 * MS, 200 * MS);
	queue_sent(sk, 100);
	icsk->icsk_rto = 200000;
	tcp_rearm_rto(sk);
	lock_sock(sk);
	sl_pair_run(&p, 300 * MS);
	assert_int_equal(counter(p.a, "DelayedACKs"), 0);
	assert_int_equal(counter(p.a, "DelayedACKLocked"), 1);
	assert_int_equal(counter(p.a, "TCPTimeouts"), 0);
	assert_true(tcp_sk(sk)->tsq_flags & TCPF_WRITE_TIMER_DEFERRED);
	assert_true(tcp_sk(sk)->tsq_flags & TCPF_DELACK_TIMER_DEFERRED);
	release_sock(sk);
	assert_int_equal(counter(p.a, "TCPTimeouts"), 1);
	/* the retransmission carried the ACK: no separate delayed ACK */
	assert_int_equal(counter(p.a, "DelayedACKs"), 0);
	assert_false(inet_csk_ack_scheduled(sk));
	assert_false(tcp_sk(sk)->tsq_flags &
		     (TCPF_WRITE_TIMER_DEFERRED | TCPF_DELACK_TIMER_DEFERRED));
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 1122 4.2.3.6: probes after TCP_KEEPIDLE, every TCP_KEEPINTVL,
 * ETIMEDOUT when TCP_KEEPCNT went unanswered (Linux's timing). */
static void test_keepalive_probes_then_etimedout(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	tcp_ext_get(sk)->keepalive_time = 10;
	tp->ext->keepalive_intvl = 5;
	tp->ext->keepalive_probes = 3;
	tp->rcv_tstamp = inet_csk(sk)->icsk_ack.lrcvtime = tcp_time_stamp_ms(sk);
	tcp_set_keepalive(sk, 1);
	sock_set_flag(sk, SOCK_KEEPOPEN);
	sl_pair_run(&p, 9900 * MS);
	assert_int_equal(counter(p.a, "TCPKeepAlive"), 0);
	sl_pair_run(&p, 200 * MS);
	assert_int_equal(counter(p.a, "TCPKeepAlive"), 1);
	assert_int_equal(inet_csk(sk)->icsk_probes_out, 1);
	sl_pair_run(&p, 10 * SEC);                     /* 20.1 s */
	assert_int_equal(counter(p.a, "TCPKeepAlive"), 3);
	assert_int_equal(sk->sk_state, TCP_ESTABLISHED);
	sl_pair_run(&p, 5 * SEC);                      /* 25.1 s */
	assert_int_equal(sk->sk_state, TCP_CLOSE);
	assert_int_equal(sk->sk_err, ETIMEDOUT);
	assert_int_equal(counter(p.a, "TcpOutRsts"), 1);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_sent_gives_up_after_syn_retries),
		cmocka_unit_test(test_retries2_is_a_time_of_924_6_seconds),
		cmocka_unit_test(test_user_timeout_and_soft_error),
		cmocka_unit_test(test_rto_doubles_on_each_expiry),
		cmocka_unit_test(test_delack_timer_inflates_ato_or_leaves_pingpong),
		cmocka_unit_test(test_timers_defer_while_owned),
		cmocka_unit_test(test_keepalive_probes_then_etimedout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
