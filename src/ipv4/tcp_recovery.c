/*
 * RACK-TLP loss detection (RFC 8985), as Linux's net/ipv4/tcp_recovery.c.
 *
 * Order of use:
 *  - tcp_ack / tcp_sacktag (tcp_input.c) call tcp_rack_advance for every
 *    segment newly (S)ACKed: RACK remembers the most recently sent
 *    delivered segment (rack.mstamp, rack.end_seq) and its RTT (RFC 8985
 *    6.2 steps 1-2).
 *  - after the ACK, tcp_rack_update_reo_wnd adapts the reordering window
 *    to D-SACKs (RFC 8985 6.2.4), and loss detection (tcp_fastretrans_alert
 *    -> tcp_rack_mark_lost) marks lost every segment sent before RACK's by
 *    more than RTT + reo_wnd (RFC 8985 6.2 step 5), arming the reordering
 *    timer (ICSK_TIME_REO_TIMEOUT) for those not yet due.
 *  - tcp_rack_reo_timeout runs when that timer fires (tcp_timer.c).
 *  - TLP (RFC 8985 7): tcp_schedule_loss_probe arms the probe timeout
 *    after sending new data or on an ACK; io's tcp_send_loss_probe sends
 *    the probe; tcp_process_tlp_ack ends the TLP episode on ACKs and
 *    reduces cwnd when the probe repaired a loss (TCPLossProbeRecovery).
 *
 * Linux walks a list of sent segments sorted by send time; sockline's
 * retransmit queue is in sequence order, where only segments currently
 * retransmitted (TCPCB_SACKED_RETRANS) can be out of time order, so the
 * walk stops at the first never-retransmitted segment sent after RACK's
 * unless retransmissions are in flight.
 *
 * Context: bh_lock_sock or owned, like the rest of TCP input.
 */
#include "sl/snmp.h"
#include "sl/sock.h"
#include "sl/tcp.h"

/* Linux's tcp_stamp_us_delta: t1 - t0 in us, never negative. */
static u32 tcp_stamp_us_delta(u64 t1, u64 t0)
{
	return t1 > t0 ? (u32)(t1 - t0) : 0;
}

/* Was the segment (t1, seq1) sent after (t2, seq2)? Ties on the send
 * time (one GSO burst) are broken by sequence (RFC 8985 6.2 step 2). */
static bool tcp_skb_sent_after(u64 t1, u64 t2, u32 seq1, u32 seq2)
{
	return t1 > t2 || (t1 == t2 && after(seq1, seq2));
}

/*
 * The reordering window (RFC 8985 6.2.4, Linux's tcp_rack_reo_wnd): 0
 * while no reordering was ever seen and we are in recovery or past the
 * DupThresh (sacked_out >= reordering), so that loss is declared at once;
 * otherwise min_rtt/4 per step (steps grow with D-SACKs), at most SRTT.
 */
static u32 tcp_rack_reo_wnd(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 wnd;

	if (!tp->reord_seen) {
		if (inet_csk(sk)->icsk_ca_state >= TCP_CA_Recovery)
			return 0;
		if (tp->sacked_out >= tp->reordering &&
		    !(READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_recovery) &
		      TCP_RACK_NO_DUPTHRESH))
			return 0;
	}
	/* min_rtt rather than srtt: reordering is a path property. With no
	 * RTT sample yet, min_rtt is ~0U and srtt 0 bounds it. */
	wnd = (tcp_min_rtt(tp) >> 2) * (u32)tp->rack.reo_wnd_steps;
	if (tp->rack.reo_wnd_steps && wnd / tp->rack.reo_wnd_steps !=
				      tcp_min_rtt(tp) >> 2)
		wnd = ~0U;   /* overflow */
	return min_t(u32, wnd, tp->srtt_us >> 3);
}

/**
 * tcp_rack_skb_timeout - us left before @skb counts as lost: RACK.rtt +
 * @reo_wnd - (now - the segment's send time) (RFC 8985 6.2 step 5). May
 * be negative (overdue). Uses tp->tcp_mstamp as "now".
 */
s32 tcp_rack_skb_timeout(struct tcp_sock *tp, struct sk_buff *skb, u32 reo_wnd)
{
	return (s32)(tp->xfer->rack.rtt_us + reo_wnd -
		     tcp_stamp_us_delta(tp->tcp_mstamp,
					tcp_skb_timestamp_us(skb)));
}

/* Is @skb a candidate for RACK at all? Not SACKed, and not marked lost
 * and still waiting for its retransmission. */
static bool tcp_rack_skb_candidate(const struct sk_buff *skb)
{
	u8 sacked = TCP_SKB_CB(skb)->sacked;

	if (sacked & TCPCB_SACKED_ACKED)
		return false;
	if ((sacked & TCPCB_LOST) && !(sacked & TCPCB_SACKED_RETRANS))
		return false;
	return true;
}

/*
 * RFC 8985 6.2 step 5 (Linux's tcp_rack_detect_loss): mark lost each
 * segment sent before RACK.segment whose RACK.rtt + reo_wnd has elapsed;
 * *@reo_timeout = the longest wait (us) among the others, 0 if none.
 */
static void tcp_rack_detect_loss(struct sock *sk, u32 *reo_timeout)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool only_retrans = false;
	struct sk_buff *skb, *n;
	u32 reo_wnd;

	*reo_timeout = 0;
	reo_wnd = tcp_rack_reo_wnd(sk);
	skb_queue_walk_safe(&tp->xfer->tcp_rtx_queue, skb, n) {
		struct tcp_skb_cb *scb = TCP_SKB_CB(skb);
		bool retrans = scb->sacked & TCPCB_SACKED_RETRANS;
		s32 remaining;

		if (!tcp_rack_skb_candidate(skb) || (only_retrans && !retrans))
			continue;
		if (!tcp_skb_sent_after(tp->xfer->rack.mstamp,
					tcp_skb_timestamp_us(skb),
					tp->xfer->rack.end_seq, scb->end_seq)) {
			/* Sequence order is send order for the rest, except
			 * for segments being retransmitted. */
			if (retrans)
				continue;
			if (!tp->retrans_out)
				break;
			only_retrans = true;
			continue;
		}
		/* RFC 8985 6.2 step 5: sent before RACK.segment and older
		 * than RACK.rtt + reo_wnd means lost; a younger one may
		 * still be merely reordered, so remember how long to wait. */
		remaining = tcp_rack_skb_timeout(tp, skb, reo_wnd);
		if (remaining <= 0)
			tcp_mark_skb_lost(sk, skb);
		else if ((u32)remaining > *reo_timeout)
			*reo_timeout = (u32)remaining;   /* longest so far */
	}
}

/**
 * tcp_rack_mark_lost - RACK loss detection after an ACK that advanced
 * RACK (RFC 8985 6.2 step 5): mark overdue segments lost, arm the
 * reordering timer (ICSK_TIME_REO_TIMEOUT, capped by the RTO) for the
 * rest. The caller (tcp_fastretrans_alert) retransmits what was marked.
 */
void tcp_rack_mark_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 timeout;

	if (!tp->xfer->rack.advanced)
		return;
	/* Consume the flag: until RACK advances again, a rescan of the
	 * queue could not find anything new. */
	tp->xfer->rack.advanced = 0;
	tcp_rack_detect_loss(sk, &timeout);
	if (timeout) {
		/* RFC 8985 6.3: RACK_reo_timeout, plus Linux's 2 ms slack. */
		tcp_reset_xmit_timer(sk, ICSK_TIME_REO_TIMEOUT,
				     (u64)timeout + TCP_TIMEOUT_MIN_US,
				     inet_csk(sk)->icsk_rto);
	}
}

/**
 * tcp_rack_advance - a segment (re)sent at @xmit_time (us) with TCPCB_*
 * state @sacked and end @end_seq was newly delivered (ACKed or SACKed):
 * RFC 8985 6.2 steps 1-2. A retransmitted segment whose RTT is below
 * min_rtt is ambiguous (the original may have been delivered), and
 * ignored, as Linux. Uses tp->tcp_mstamp as "now".
 */
void tcp_rack_advance(struct tcp_sock *tp, u8 sacked, u32 end_seq,
		      u64 xmit_time)
{
	u32 rtt_us = tcp_stamp_us_delta(tp->tcp_mstamp, xmit_time);

	if (rtt_us < tcp_min_rtt(tp) && (sacked & TCPCB_RETRANS))
		return;
	tp->xfer->rack.advanced = 1;
	tp->xfer->rack.rtt_us = rtt_us;
	if (tcp_skb_sent_after(xmit_time, tp->xfer->rack.mstamp, end_seq,
			       tp->xfer->rack.end_seq)) {
		tp->xfer->rack.mstamp = xmit_time;
		tp->xfer->rack.end_seq = end_seq;
	}
}

/**
 * tcp_rack_reo_timeout - the reordering timer fired (RFC 8985 6.3): run
 * loss detection again; if it marked anything, enter recovery (PRR
 * reduction) and retransmit. Re-arms the RTO unless it is already the
 * pending event. Called by tcp_write_timer_handler, bh_lock_sock held.
 */
void tcp_rack_reo_timeout(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 timeout, prior_inflight;
	u32 lost = tp->lost;

	prior_inflight = tcp_packets_in_flight(tp);
	tcp_rack_detect_loss(sk, &timeout);
	if (prior_inflight != tcp_packets_in_flight(tp)) {
		if (inet_csk(sk)->icsk_ca_state != TCP_CA_Recovery) {
			tcp_enter_recovery(sk, false);
			if (!inet_csk(sk)->icsk_ca_ops ||
			    !inet_csk(sk)->icsk_ca_ops->cong_control)
				tcp_cwnd_reduction(sk, 1, (int)(tp->lost - lost),
						   0);
		}
		tcp_xmit_retransmit_queue(sk);
	}
	if (inet_csk(sk)->icsk_pending != ICSK_TIME_RETRANS)
		tcp_rearm_rto(sk);
}

/**
 * tcp_rack_update_reo_wnd - after an ACK (rate sample @rs): RFC 8985
 * 6.2.4's D-SACK driven reordering window. A D-SACK seen (dsack_seen,
 * set by tcp_sacktag) at least a round trip after the last change adds a
 * step (min_rtt/4 more) and keeps the window for 16 recoveries
 * (reo_wnd_persist, decremented by tcp_try_undo_recovery); once that runs
 * out, back to one step. Nothing with tcp_recovery's static-window bit.
 */
void tcp_rack_update_reo_wnd(struct sock *sk, const struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if ((READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_recovery) &
	     TCP_RACK_STATIC_REO_WND) || !rs->prior_delivered)
		return;
	/* A D-SACK for data sent before the last widening is about the
	 * old window (RFC 8985 6.2.4: at most one step per round trip). */
	if (before(rs->prior_delivered, tp->rack.last_delivered))
		tp->rack.dsack_seen = 0;
	if (tp->rack.dsack_seen) {
		if (tp->rack.reo_wnd_steps < 0xFF)
			tp->rack.reo_wnd_steps++;
		tp->rack.dsack_seen = 0;
		tp->rack.last_delivered = tp->delivered;
		tp->rack.reo_wnd_persist = TCP_RACK_RECOVERY_THRESH;
	} else if (!tp->rack.reo_wnd_persist) {
		tp->rack.reo_wnd_steps = 1;
	}
}

/**
 * tcp_schedule_loss_probe - arm the tail loss probe (RFC 8985 7.2) for
 * what is in flight: PTO = 2*SRTT, plus tcp_rto_min (200 ms, the delayed
 * ACK allowance) with a single segment out, else plus 2 ms; 1 s without
 * an RTT sample; never later than the RTO would fire (@advancing_rto: the
 * RTO is about to be restarted from now, so a full icsk_rto). Only for
 * SACK connections in Open or CWR with tcp_early_retrans 3 or 4 (Linux's
 * default 3). Returns true when the probe timer was armed.
 * Called after new data is sent (io's tcp_write_xmit) and on ACKs
 * (tcp_set_xmit_timer); bh_lock_sock or owned.
 */
bool tcp_schedule_loss_probe(struct sock *sk, bool advancing_rto)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	int early_retrans;
	u64 timeout_us;
	s64 rto_delta_us;

	early_retrans = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_early_retrans);
	/* RFC 8985 7.2: TLP needs SACK to learn what the probe repaired,
	 * data in flight, and no recovery already under way (Open or CWR);
	 * tcp_early_retrans 3 and 4 are the settings that enable it. */
	if ((early_retrans != 3 && early_retrans != 4) || !tp->packets_out ||
	    !tcp_is_sack(tp) ||
	    (icsk->icsk_ca_state != TCP_CA_Open &&
	     icsk->icsk_ca_state != TCP_CA_CWR))
		return false;
	if (tp->srtt_us) {
		/* RFC 8985 7.2: PTO = 2 * SRTT (srtt_us is srtt << 3). */
		timeout_us = tp->srtt_us >> 2;
		/* ... + WCDelAckT when FlightSize is 1 (Linux: rto_min). */
		if (tp->packets_out == 1)
			timeout_us += tcp_rto_min_us(sk);
		else
			timeout_us += TCP_TIMEOUT_MIN_US;
	} else {
		timeout_us = TCP_TIMEOUT_INIT;
	}
	/* RFC 8985 7.2: PTO = min(PTO, RTO) - never after the RTO. */
	rto_delta_us = advancing_rto ? (s64)icsk->icsk_rto :
				       tcp_rto_delta_us(sk);
	if (rto_delta_us > 0 && (u64)rto_delta_us < timeout_us)
		timeout_us = (u64)rto_delta_us;
	tcp_reset_xmit_timer(sk, ICSK_TIME_LOSS_PROBE, timeout_us, TCP_RTO_MAX);
	return true;
}

/* Anything retransmitted still in flight or at the head (Linux's
 * tcp_any_retrans_done). */
static bool tcp_any_retrans_done(const struct sock *sk)
{
	const struct sk_buff *skb;

	if (tcp_sk(sk)->retrans_out)
		return true;
	skb = tcp_rtx_queue_head(sk);
	return skb && (TCP_SKB_CB(skb)->sacked & TCPCB_EVER_RETRANS);
}

/*
 * The probe repaired a loss: a one-step cwnd reduction (Linux's
 * tcp_init_cwnd_reduction + CWR + tcp_end_cwnd_reduction), then Open or
 * Disorder as tcp_try_keep_open would choose.
 */
static void tcp_tlp_reduce_cwnd(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	int state = TCP_CA_Open;

	tp->high_seq = tp->snd_nxt;
	tp->xfer->tlp_high_seq = 0;
	tp->snd_cwnd_cnt = 0;
	tp->prior_cwnd = tcp_snd_cwnd(tp);
	tp->xfer->prr_delivered = 0;
	tp->xfer->prr_out = 0;
	tp->snd_ssthresh = icsk->icsk_ca_ops->ssthresh(sk);
	tcp_set_ca_state(sk, TCP_CA_CWR);
	if (!icsk->icsk_ca_ops->cong_control &&
	    tp->snd_ssthresh < TCP_INFINITE_SSTHRESH) {
		tcp_snd_cwnd_set(tp, tp->snd_ssthresh);
		tp->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	}
	tcp_ca_event(sk, CA_EVENT_COMPLETE_CWR);
	if (tcp_left_out(tp) || tcp_any_retrans_done(sk))
		state = TCP_CA_Disorder;
	if (icsk->icsk_ca_state != state) {
		tcp_set_ca_state(sk, state);
		tp->high_seq = tp->snd_nxt;
	}
}

/**
 * tcp_process_tlp_ack - an ACK during a TLP episode (RFC 8985 7.4, Linux's
 * tcp_process_tlp_ack): the episode ends when the ACK covers tlp_high_seq.
 * A probe of new data, a D-SACK of the probe (FLAG_DSACK_TLP) or a pure
 * duplicate ACK at tlp_high_seq mean no loss; an ACK beyond it means the
 * probe repaired a loss: reduce cwnd once (TCPLossProbeRecovery). @flag
 * holds tcp_ack's FLAG_* bits. Called from tcp_ack, bh_lock_sock held.
 */
void tcp_process_tlp_ack(struct sock *sk, u32 ack, int flag)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (before(ack, tp->xfer->tlp_high_seq))
		return;
	if (!tp->xfer->tlp_retrans) {
		/* The probe was new data, not a retransmission: its ACK
		 * proves nothing about a loss, the episode just ends. */
		tp->xfer->tlp_high_seq = 0;
	} else if (flag & FLAG_DSACK_TLP) {
		/* The probe was reported as a duplicate (RFC 8985 7.4):
		 * the original got through too, nothing was lost. */
		tp->xfer->tlp_high_seq = 0;
	} else if (after(ack, tp->xfer->tlp_high_seq)) {
		/* Beyond tlp_high_seq without a D-SACK: the probe filled a
		 * hole (RFC 8985 7.4), so respond to that loss once. */
		tcp_tlp_reduce_cwnd(sk);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPLOSSPROBERECOVERY);
	} else if (!(flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP |
			     FLAG_DATA_SACKED))) {
		/* A bare duplicate ACK at tlp_high_seq: both copies were
		 * delivered, so there was no loss to respond to. */
		tp->xfer->tlp_high_seq = 0;
	}
}
