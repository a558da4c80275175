/*
 * RACK-TLP (src/ipv4/tcp_recovery.c, RFC 8985) on a bare tcp_sock with a
 * hand-built retransmit queue: RACK follows the most recently sent
 * delivered segment, marks lost what was sent before it by more than
 * RTT + reo_wnd and arms the reordering timer for the rest; the window is
 * min_rtt/4, 0 past DupThresh without reordering, grows with D-SACKs up
 * to SRTT; the tail loss probe is armed at 2*SRTT (+200 ms with one
 * segment out, +2 ms otherwise, 1 s without RTT), never after the RTO; an
 * ACK beyond tlp_high_seq after a retransmitted probe reduces cwnd once.
 */
#include <netinet/in.h>

#include "sl_test.h"

#include "sl/sock.h"
#include "sl/tcp.h"

#define MS 1000000ULL

static struct proto test_tcp_prot = {
	.name = "TCP-test",
	.obj_size = sizeof(struct tcp_sock),
	.max_header = SL_MAX_HEADER,
};

static struct sock *bare_sock(sl_net_t *net)
{
	struct sock *sk = sk_alloc(net, AF_INET, &test_tcp_prot);
	struct tcp_sock *tp;

	assert_non_null(sk);
	sock_init_data(NULL, sk);
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_type = SOCK_STREAM;
	tcp_init_sock(sk);
	sk->sk_state = TCP_ESTABLISHED;
	tp = tcp_sk(sk);
	tp->rx_opt.sack_ok = 1;
	tp->reordering = 3;
	tp->rack.reo_wnd_steps = 1;
	tp->rtt_min.rtt_us = 100000;           /* min RTT 100 ms */
	tp->srtt_us = 100000 << 3;
	inet_csk(sk)->icsk_rto = 300000;
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

/* Queue a sent segment [seq, seq + len) sent at @sent_us. */
static struct sk_buff *queue_sent(struct sock *sk, u32 seq, u32 len,
				  u64 sent_us)
{
	struct sk_buff *skb = alloc_skb(sock_net(sk), 0);

	assert_non_null(skb);
	TCP_SKB_CB(skb)->seq = seq;
	TCP_SKB_CB(skb)->end_seq = seq + len;
	TCP_SKB_CB(skb)->sacked = 0;
	skb->tstamp = sent_us * 1000;
	sk->sk_wmem_queued += (int)skb->truesize;
	__skb_queue_tail(&tcp_sk(sk)->xfer->tcp_rtx_queue, skb);
	tcp_sk(sk)->packets_out++;
	tcp_sk(sk)->snd_nxt = seq + len;
	return skb;
}

static void sack(struct sock *sk, struct sk_buff *skb)
{
	TCP_SKB_CB(skb)->sacked |= TCPCB_SACKED_ACKED;
	tcp_sk(sk)->sacked_out++;
	tcp_rack_advance(tcp_sk(sk), 0, TCP_SKB_CB(skb)->end_seq,
			 tcp_skb_timestamp_us(skb));
}

static u64 timer_in_ns(struct sock *sk)
{
	return inet_csk(sk)->icsk_timeout - net_now(sock_net(sk));
}

/* RFC 8985 6.2 steps 1-2. */
static void test_rack_advance_keeps_most_recently_sent(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	tp->tcp_mstamp = 210000;
	tcp_rack_advance(tp, 0, 2000, 105000);
	assert_true(tp->xfer->rack.advanced);
	assert_int_equal(tp->xfer->rack.mstamp, 105000);
	assert_int_equal(tp->xfer->rack.end_seq, 2000);
	assert_int_equal(tp->xfer->rack.rtt_us, 105000);
	/* older send: RTT taken, RACK segment kept */
	tcp_rack_advance(tp, 0, 1000, 104000);
	assert_int_equal(tp->xfer->rack.mstamp, 105000);
	assert_int_equal(tp->xfer->rack.rtt_us, 106000);
	/* same send time (one burst): the higher sequence wins */
	tcp_rack_advance(tp, 0, 3000, 105000);
	assert_int_equal(tp->xfer->rack.end_seq, 3000);
	/* a retransmission ACKed sooner than min_rtt is ambiguous */
	tcp_rack_advance(tp, TCPCB_RETRANS, 4000, 200000);
	assert_int_equal(tp->xfer->rack.mstamp, 105000);
	assert_int_equal(tp->xfer->rack.rtt_us, 105000);
	tcp_rack_advance(tp, TCPCB_RETRANS, 4000, 100000);
	assert_int_equal(tp->xfer->rack.rtt_us, 110000);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 8985 6.2 step 5 and 6.3: not yet lost within RTT + min_rtt/4, the
 * reordering timer armed for the longest wait (+2 ms), lost after it. */
static void test_rack_marks_lost_after_rtt_plus_reo_wnd(void **state)
{
	struct sk_buff *s[4];
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	int i;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	tp->reord_seen = 1;                    /* reordering seen: min_rtt/4 */
	for (i = 0; i < 4; i++)
		s[i] = queue_sent(sk, (u32)i * 1000, 1000, (u64)i * 1000);
	tp->tcp_mstamp = 103000;
	sack(sk, s[3]);                        /* RACK.rtt = 100 ms */
	tcp_rack_mark_lost(sk);
	assert_int_equal(tp->lost_out, 0);
	assert_int_equal(inet_csk(sk)->icsk_pending, ICSK_TIME_REO_TIMEOUT);
	/* s[2]: 100 + 25 - 101 = 24 ms, + 2 ms */
	assert_int_equal(timer_in_ns(sk), 26 * MS);
	tcp_rack_mark_lost(sk);                /* RACK not advanced: no scan */
	assert_int_equal(tp->lost_out, 0);
	tp->tcp_mstamp = 126000;               /* s[0] and s[1] overdue */
	tp->xfer->rack.advanced = 1;
	tcp_rack_mark_lost(sk);
	assert_int_equal(tp->lost_out, 2);
	assert_true(TCP_SKB_CB(s[0])->sacked & TCPCB_LOST);
	assert_true(TCP_SKB_CB(s[1])->sacked & TCPCB_LOST);
	assert_false(TCP_SKB_CB(s[2])->sacked & TCPCB_LOST);
	assert_int_equal(timer_in_ns(sk), 3 * MS);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* Without reordering seen and past DupThresh, reo_wnd is 0 (unless
 * tcp_recovery has TCP_RACK_NO_DUPTHRESH). */
static void test_reo_wnd_zero_past_dupthresh(void **state)
{
	struct sk_buff *s[5];
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	int i, pass;

	(void)state;
	for (pass = 0; pass < 2; pass++) {
		sl_pair_setup(&p, NULL);
		if (pass)
			assert_int_equal(sl_sysctl_set(p.a,
				"net.ipv4.tcp_recovery", "5"), 0);
		sk = bare_sock(p.a);
		tp = tcp_sk(sk);
		for (i = 0; i < 5; i++)
			s[i] = queue_sent(sk, (u32)i * 1000, 1000,
					  (u64)i * 1000);
		tp->tcp_mstamp = 104500;
		for (i = 2; i < 5; i++)
			sack(sk, s[i]);        /* 3 SACKed: DupThresh */
		tcp_rack_mark_lost(sk);
		assert_int_equal(tp->lost_out, pass ? 0 : 2);
		bare_sock_free(&p, sk);
		sl_pair_teardown(&p);
	}
}

/* RFC 8985 6.2.4: a D-SACK adds a step (once per round trip), kept for
 * 16 recoveries; reo_wnd is capped at SRTT. */
static void test_reo_wnd_grows_with_dsack(void **state)
{
	struct rate_sample rs = { 0 };
	struct sk_buff *s[2];
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	tp->delivered = 10;
	rs.prior_delivered = 10;
	tp->rack.dsack_seen = 1;
	tcp_rack_update_reo_wnd(sk, &rs);
	assert_int_equal(tp->rack.reo_wnd_steps, 2);
	assert_int_equal(tp->rack.reo_wnd_persist, TCP_RACK_RECOVERY_THRESH);
	assert_int_equal(tp->rack.last_delivered, 10);
	/* a D-SACK within the same round trip is disregarded */
	rs.prior_delivered = 9;
	tp->rack.dsack_seen = 1;
	tcp_rack_update_reo_wnd(sk, &rs);
	assert_int_equal(tp->rack.reo_wnd_steps, 2);
	assert_false(tp->rack.dsack_seen);
	/* no D-SACK: steps persist while reo_wnd_persist lasts */
	rs.prior_delivered = 12;
	tcp_rack_update_reo_wnd(sk, &rs);
	assert_int_equal(tp->rack.reo_wnd_steps, 2);
	tp->rack.reo_wnd_persist = 0;
	tcp_rack_update_reo_wnd(sk, &rs);
	assert_int_equal(tp->rack.reo_wnd_steps, 1);
	/* 8 steps = 2 * min_rtt, capped at SRTT (100 ms): s[0] sent 0,
	 * RACK.rtt 100 ms, now 199 ms: 100 + 100 - 199 = 1 ms left. */
	tp->rack.reo_wnd_steps = 8;
	tp->reord_seen = 1;
	s[0] = queue_sent(sk, 0, 1000, 0);
	s[1] = queue_sent(sk, 1000, 1000, 99000);
	tp->tcp_mstamp = 199000;
	sack(sk, s[1]);
	tcp_rack_mark_lost(sk);
	assert_int_equal(tp->lost_out, 0);
	assert_int_equal(timer_in_ns(sk), 3 * MS);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* TCP_RACK_STATIC_REO_WND (tcp_recovery bit 2) freezes the window. */
static void test_static_reo_wnd(void **state)
{
	struct rate_sample rs = { .prior_delivered = 10 };
	struct sl_pair p;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.tcp_recovery", "3"), 0);
	sk = bare_sock(p.a);
	tcp_sk(sk)->rack.dsack_seen = 1;
	tcp_rack_update_reo_wnd(sk, &rs);
	assert_int_equal(tcp_sk(sk)->rack.reo_wnd_steps, 1);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 8985 7.2 with Linux's constants. */
static void test_tlp_timeout_values(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	inet_csk(sk)->icsk_rto = 1000000;
	queue_sent(sk, 0, 1000, 0);
	/* one segment out: 2 * SRTT + 200 ms */
	assert_true(tcp_schedule_loss_probe(sk, true));
	assert_int_equal(inet_csk(sk)->icsk_pending, ICSK_TIME_LOSS_PROBE);
	assert_int_equal(timer_in_ns(sk), 400 * MS);
	/* two: 2 * SRTT + 2 ms */
	queue_sent(sk, 1000, 1000, 0);
	assert_true(tcp_schedule_loss_probe(sk, true));
	assert_int_equal(timer_in_ns(sk), 202 * MS);
	/* never after the RTO */
	inet_csk(sk)->icsk_rto = 150000;
	assert_true(tcp_schedule_loss_probe(sk, true));
	assert_int_equal(timer_in_ns(sk), 150 * MS);
	/* no RTT sample: 1 s, then clamped by the RTO */
	inet_csk(sk)->icsk_rto = 3000000;
	tp->srtt_us = 0;
	assert_true(tcp_schedule_loss_probe(sk, true));
	assert_int_equal(timer_in_ns(sk), 1000 * MS);
	tp->srtt_us = 100000 << 3;
	/* not in recovery, not without SACK */
	inet_csk(sk)->icsk_ca_state = TCP_CA_Recovery;
	assert_false(tcp_schedule_loss_probe(sk, true));
	inet_csk(sk)->icsk_ca_state = TCP_CA_Open;
	tp->rx_opt.sack_ok = 0;
	assert_false(tcp_schedule_loss_probe(sk, true));
	tp->rx_opt.sack_ok = 1;
	/* tcp_early_retrans other than 3 or 4 turns TLP off */
	assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.tcp_early_retrans", "2"),
			 0);
	assert_false(tcp_schedule_loss_probe(sk, true));
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

/* RFC 8985 7.4: the episode ends at tlp_high_seq; a repaired loss (ACK
 * beyond it after a retransmitted probe) reduces cwnd once. */
static void test_tlp_ack_ends_episode(void **state)
{
	struct sl_pair p;
	struct tcp_sock *tp;
	struct sock *sk;
	uint64_t v = 0;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_sock(p.a);
	tp = tcp_sk(sk);
	assert_int_equal(tcp_set_congestion_control(sk, "reno"), 0);
	tcp_snd_cwnd_set(tp, 20);
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	tp->snd_nxt = 5000;
	/* probe of new data: any ACK covering it ends the episode */
	tp->xfer->tlp_high_seq = 5000;
	tp->xfer->tlp_retrans = 0;
	tcp_process_tlp_ack(sk, 4000, FLAG_DATA_ACKED);
	assert_int_equal(tp->xfer->tlp_high_seq, 5000);
	tcp_process_tlp_ack(sk, 5000, FLAG_DATA_ACKED);
	assert_int_equal(tp->xfer->tlp_high_seq, 0);
	/* retransmitted probe + pure dupack at tlp_high_seq: no loss */
	tp->xfer->tlp_high_seq = 5000;
	tp->xfer->tlp_retrans = 1;
	tcp_process_tlp_ack(sk, 5000, 0);
	assert_int_equal(tp->xfer->tlp_high_seq, 0);
	/* D-SACK of the probe: no loss */
	tp->xfer->tlp_high_seq = 5000;
	tcp_process_tlp_ack(sk, 5000, FLAG_DSACK_TLP | FLAG_DSACKING_ACK);
	assert_int_equal(tp->xfer->tlp_high_seq, 0);
	assert_int_equal(tcp_snd_cwnd(tp), 20);
	/* beyond: the probe repaired a loss */
	tp->xfer->tlp_high_seq = 5000;
	tp->snd_nxt = 6000;
	tcp_process_tlp_ack(sk, 6000, FLAG_DATA_ACKED | FLAG_SND_UNA_ADVANCED);
	assert_int_equal(tp->xfer->tlp_high_seq, 0);
	assert_int_equal(tp->snd_ssthresh, 10);
	assert_int_equal(tcp_snd_cwnd(tp), 10);
	assert_int_equal(inet_csk(sk)->icsk_ca_state, TCP_CA_Open);
	assert_int_equal(sl_snmp_get(p.a, "TCPLossProbeRecovery", &v), 0);
	assert_int_equal(v, 1);
	bare_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rack_advance_keeps_most_recently_sent),
		cmocka_unit_test(test_rack_marks_lost_after_rtt_plus_reo_wnd),
		cmocka_unit_test(test_reo_wnd_zero_past_dupthresh),
		cmocka_unit_test(test_reo_wnd_grows_with_dsack),
		cmocka_unit_test(test_static_reo_wnd),
		cmocka_unit_test(test_tlp_timeout_values),
		cmocka_unit_test(test_tlp_ack_ends_episode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
