/*
 * The small TCP socks (Linux's net/ipv4/tcp_minisocks.c):
 *
 *  - TIME_WAIT: tcp_time_wait turns a closing socket into a timewait sock
 *    (src/ipv4/inet_timewait_sock.c); tcp_timewait_state_process handles
 *    the segments that still arrive for it (RFC 9293 3.10.7.4, RFC 1122
 *    4.2.2.13 reopening on a newer SYN, RFC 1337 left off as Linux).
 *  - SYN_RECV: tcp_check_req handles segments for a request sock (RFC 9293
 *    3.10.7.4 for SYN-RECEIVED) and, on the ACK that completes the
 *    handshake, creates the child (tcp_v4_syn_recv_sock ->
 *    tcp_create_openreq_child) and queues it for accept(2);
 *    tcp_child_process feeds that ACK to the child.
 *
 * Context: softirq (tcp_v4_rcv), listener not locked, as Linux.
 */
#include <errno.h>

#include "sl/inet_connection_sock.h"
#include "sl/inet_hashtables.h"
#include "sl/inet_sock.h"
#include "sl/inet_timewait_sock.h"
#include "sl/net_namespace.h"
#include "sl/snmp.h"
#include "sl/tcp.h"

/* Seconds on the stack clock (ts_recent_stamp's unit). */
static u32 tcp_seconds(const struct net *net)
{
	return (u32)(net_now(net) / NSEC_PER_SEC);
}

/* RFC 9293 3.10.7.4 acceptability test (Linux's tcp_in_window). */
static bool tcp_in_window(u32 seq, u32 end_seq, u32 s_win, u32 e_win)
{
	if (seq == s_win)
		return true;
	if (after(end_seq, s_win) && before(seq, e_win))
		return true;
	return seq == e_win && seq == end_seq;
}

/* --- TIME_WAIT ------------------------------------------------------------------ */

/*
 * Answer an out-of-window segment with an ACK unless rate limited
 * (tcp_invalid_ratelimit); when limited, the lookup reference goes here.
 */
static enum tcp_tw_status
tcp_timewait_check_oow_rate_limit(struct inet_timewait_sock *tw,
				  const struct sk_buff *skb, int mib_idx)
{
	if (!tcp_oow_rate_limited(tw->tw_net, skb, mib_idx,
				  &tw->tw_last_oow_ack_time))
		return TCP_TW_ACK;
	inet_twsk_put(tw);
	return TCP_TW_SUCCESS;
}

/* The segment's timestamp option, PAWS-checked against the timewait sock. */
static bool tcp_tw_paws_reject(struct inet_timewait_sock *tw,
			       const struct sk_buff *skb,
			       const struct sl_tcphdr *th,
			       struct tcp_options_received *tmp_opt)
{
	tmp_opt->saw_tstamp = 0;
	if (th->doff <= sizeof(*th) / 4 || !tw->tw_ts_recent_stamp)
		return false;
	tcp_parse_options(tw->tw_net, skb, tmp_opt, 0);
	if (!tmp_opt->saw_tstamp)
		return false;
	if (tmp_opt->rcv_tsecr)
		tmp_opt->rcv_tsecr -= tw->tw_ts_offset;
	tmp_opt->ts_recent = tw->tw_ts_recent;
	tmp_opt->ts_recent_stamp = tw->tw_ts_recent_stamp;
	return tcp_paws_reject(tmp_opt, th->rst);
}

/* An orphan's FIN_WAIT2 as a timewait sock: repeat tcp_rcv_state_process's
 * checks for FIN_WAIT2. */
static enum tcp_tw_status
tcp_tw_fin_wait2(struct inet_timewait_sock *tw, struct sk_buff *skb,
		 const struct sl_tcphdr *th,
		 const struct tcp_options_received *tmp_opt, bool paws_reject)
{
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

	/* not acceptable: ACK it (RFC 9293 3.10.7.4) */
	if (paws_reject || !tcp_in_window(tcb->seq, tcb->end_seq, tw->tw_rcv_nxt,
					  tw->tw_rcv_nxt + tw->tw_rcv_wnd))
		return tcp_timewait_check_oow_rate_limit(
			tw, skb, LINUX_MIB_TCPACKSKIPPEDFINWAIT2);
	if (th->rst) {
		inet_twsk_deschedule_put(tw);
		return TCP_TW_SUCCESS;
	}
	if (th->syn && !before(tcb->seq, tw->tw_rcv_nxt))
		return TCP_TW_RST;
	/* bare ACK adding nothing: drop */
	if (!th->ack || !after(tcb->end_seq, tw->tw_rcv_nxt) ||
	    tcb->end_seq == tcb->seq) {
		inet_twsk_put(tw);
		return TCP_TW_SUCCESS;
	}
	/* Data after our receive side closed calls for a reset (RFC 1122
	 * 4.2.2.13); a FIN moves us on. */
	if (!th->fin || tcb->end_seq != tw->tw_rcv_nxt + 1)
		return TCP_TW_RST;
	/* The peer's FIN: from here on this is genuine TIME-WAIT. */
	tw->tw_substate = TCP_TIME_WAIT;
	tw->tw_rcv_nxt = tcb->end_seq;
	if (tmp_opt->saw_tstamp) {
		tw->tw_ts_recent_stamp = tcp_seconds(tw->tw_net);
		tw->tw_ts_recent = tmp_opt->rcv_tsval;
	}
	inet_twsk_reschedule(tw, TCP_TIMEWAIT_LEN);
	return TCP_TW_ACK;
}

/**
 * tcp_timewait_state_process - a segment for a timewait sock
 * @tw: found by tcp_v4_rcv, with the lookup reference
 * @tw_isn: for TCP_TW_SYN, the ISN the new connection must use
 *
 * Returns what tcp_v4_rcv must do; on TCP_TW_SUCCESS the lookup
 * reference is gone. The skb stays the caller's.
 */
enum tcp_tw_status tcp_timewait_state_process(struct inet_timewait_sock *tw,
					      struct sk_buff *skb,
					      const struct sl_tcphdr *th,
					      u32 *tw_isn)
{
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	struct tcp_options_received tmp_opt;
	bool paws_reject;
	u32 isn;

	paws_reject = tcp_tw_paws_reject(tw, skb, th, &tmp_opt);
	if (tw->tw_substate == TCP_FIN_WAIT2)
		return tcp_tw_fin_wait2(tw, skb, th, &tmp_opt, paws_reject);

	/* TIME-WAIT proper. An acceptable segment here can only be a RST or a
	 * bare ACK. */
	if (!paws_reject && tcb->seq == tw->tw_rcv_nxt &&
	    (tcb->seq == tcb->end_seq || th->rst)) {
		if (th->rst) {
			/* TIME_WAIT assassination (RFC 1337): Linux lets the
			 * RST kill it unless tcp_rfc1337 is set. */
			if (!READ_ONCE(tw->tw_net->ipv4.sysctl_tcp_rfc1337)) {
				inet_twsk_deschedule_put(tw);
				return TCP_TW_SUCCESS;
			}
		} else {
			inet_twsk_reschedule(tw, TCP_TIMEWAIT_LEN);
		}
		if (tmp_opt.saw_tstamp) {
			tw->tw_ts_recent = tmp_opt.rcv_tsval;
			tw->tw_ts_recent_stamp = tcp_seconds(tw->tw_net);
		}
		inet_twsk_put(tw);
		return TCP_TW_SUCCESS;
	}

	/* RFC 1122 4.2.2.13: a new SYN may reopen the connection if its
	 * sequence number is above the old incarnation's (or, with
	 * timestamps, its TSval is newer); our ISN then starts above
	 * everything we sent. */
	if (th->syn && !th->rst && !th->ack && !paws_reject &&
	    (after(tcb->seq, tw->tw_rcv_nxt) ||
	     (tmp_opt.saw_tstamp &&
	      (s32)(tw->tw_ts_recent - tmp_opt.rcv_tsval) < 0))) {
		isn = tw->tw_snd_nxt + 65535 + 2;
		if (isn == 0)
			isn++;
		*tw_isn = isn;
		return TCP_TW_SYN;
	}
	if (paws_reject)
		NET_INC_STATS(tw->tw_net, LINUX_MIB_PAWSESTAB);
	if (!th->rst) {
		/* RFC 9293 3.10.7.4: an out-of-window segment in TIME_WAIT is
		 * acknowledged and restarts the 2 MSL timeout (but not an
		 * ACK-less SYN with an old sequence number). */
		if (paws_reject || th->ack)
			inet_twsk_reschedule(tw, TCP_TIMEWAIT_LEN);
		return tcp_timewait_check_oow_rate_limit(
			tw, skb, LINUX_MIB_TCPACKSKIPPEDTIMEWAIT);
	}
	inet_twsk_put(tw);
	return TCP_TW_SUCCESS;
}

/**
 * tcp_time_wait - a closing connection enters TIME_WAIT (or an orphan's
 * FIN_WAIT2 times out) as a small timewait sock
 * @state: TCP_TIME_WAIT, or TCP_FIN_WAIT2 for an orphan waiting for FIN
 * @timeo_ns: FIN_WAIT2 lifetime; TIME_WAIT is always TCP_TIMEWAIT_LEN
 *
 * Without room (tcp_max_tw_buckets) the socket just closes
 * (TCPTimeWaitOverflow). Either way the full socket is done (tcp_done).
 * Context: the socket owned or locked.
 */
void tcp_time_wait(struct sock *sk, int state, u64 timeo_ns)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	struct inet_timewait_sock *tw;
	u64 rto;

	tw = inet_twsk_alloc(sk, state);
	if (tw) {
		/* 3.5 RTO, as Linux: never shorter than that. */
		rto = ((u64)icsk->icsk_rto * NSEC_PER_USEC * 7) / 2;
		tw->tw_rcv_wscale = tp->rx_opt.rcv_wscale;
		tw->tw_rcv_nxt = tp->rcv_nxt;
		tw->tw_snd_nxt = tp->snd_nxt;
		tw->tw_rcv_wnd = tcp_receive_window(tp);
		tw->tw_ts_recent = tp->rx_opt.ts_recent;
		tw->tw_ts_recent_stamp = tp->rx_opt.ts_recent_stamp;
		tw->tw_ts_offset = tp->tsoffset;
		tw->tw_last_oow_ack_time = 0;
		if (timeo_ns < rto)
			timeo_ns = rto;
		if (state == TCP_TIME_WAIT)
			timeo_ns = TCP_TIMEWAIT_LEN;
		inet_twsk_hashdance_schedule(tw, sk, timeo_ns);
	} else {
		/* No timewait sock could be allocated: close outright, giving
		 * up TIME-WAIT protection. */
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPTIMEWAITOVERFLOW);
	}
	tcp_update_metrics(sk);
	tcp_done(sk);
}

/* --- SYN_RECV: request socks -------------------------------------------------- */

/* Window offered in the SYN-ACK (never scaled, RFC 7323 2.2). */
static u32 tcp_synack_window(const struct request_sock *req)
{
	return req->rsk_rcv_wnd < 65535U ? req->rsk_rcv_wnd : 65535U;
}

/* Linux's tcp_v4_reqsk_send_ack: ACK an out-of-window segment for a
 * request sock, from the SYN-ACK's sequence space. */
static void tcp_reqsk_send_ack(const struct sock *sk, struct sk_buff *skb,
			       const struct request_sock *req)
{
	/* RFC 7323 2.3: the window of every segment but a SYN is shifted. */
	tcp_v4_send_ack(sk, skb, req->snt_isn + 1, req->rcv_isn + 1,
			tcp_synack_window(req) >> req->rcv_wscale,
			tcp_time_stamp_ms(sk) + req->ts_off, req->ts_recent,
			0);
}

/* Linux's inet_csk_complete_hashdance: the request leaves the SYN queue,
 * its child joins the accept queue. */
static struct sock *inet_csk_complete_hashdance(struct sock *sk,
						struct sock *child,
						struct request_sock *req,
						bool own_req)
{
	if (own_req) {
		/* ehash already swapped req for child: drop the timer and
		 * the SYN queue slot */
		if (del_timer_sync(&req->rsk_timer))
			reqsk_put(req);
		if (req->num_timeout == 0)
			__atomic_fetch_sub(&inet_csk(sk)->icsk_accept_queue->young,
					   1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&inet_csk(sk)->icsk_accept_queue->qlen, 1,
				   __ATOMIC_RELAXED);
		reqsk_put(req);   /* the hash reference */
		if (inet_csk_reqsk_queue_add(sk, req, child))
			return child;
	}
	/* Another CPU already made a child for this request: discard ours. */
	bh_unlock_sock(child);
	sock_put(child);
	return NULL;
}

/* PAWS for a segment to a request sock: the ts_recent of the SYN, stamped
 * as if recorded one maximal SYN-ACK timeout ago (Linux's estimate). */
static bool tcp_req_paws_reject(const struct request_sock *req,
				const struct sk_buff *skb,
				const struct sl_tcphdr *th,
				struct tcp_options_received *tmp_opt)
{
	const struct sock *sk = (const struct sock *)req;

	tmp_opt->saw_tstamp = 0;
	if (th->doff <= sizeof(*th) / 4)
		return false;
	tcp_parse_options(sock_net(sk), skb, tmp_opt, 0);
	if (!tmp_opt->saw_tstamp)
		return false;
	tmp_opt->ts_recent = req->ts_recent;
	if (tmp_opt->rcv_tsecr)
		tmp_opt->rcv_tsecr -= req->ts_off;
	tmp_opt->ts_recent_stamp = tcp_seconds(sock_net(sk)) -
				   TCP_RTO_MAX / 1000000;
	return tcp_paws_reject(tmp_opt, th->rst);
}

/* RST or SYN in the window (RFC 9293 3.10.7.4 second and fourth checks),
 * or a full accept queue with tcp_abort_on_overflow: reset the embryo. */
static struct sock *tcp_req_embryonic_reset(struct sock *sk,
					    struct sk_buff *skb,
					    struct request_sock *req, u8 flg)
{
	if (!(flg & TCPHDR_RST))
		tcp_v4_send_reset(sk, skb);
	if (inet_csk_reqsk_queue_drop(sk, req))
		NET_INC_STATS(sock_net(sk), LINUX_MIB_EMBRYONICRSTS);
	return NULL;
}

/**
 * tcp_check_req - a segment for a request sock (SYN-RECEIVED)
 * @sk: the listener (referenced by the caller)
 * @req: the request (the caller keeps its lookup reference)
 *
 * Returns NULL (segment handled or to be dropped: the caller frees it),
 * @sk (not for the request: the listener processes it, which resets an
 * unacceptable ACK), or the new child — locked, in the accept queue, the
 * caller's lookup reference of @req now the queue's.
 */
struct sock *tcp_check_req(struct sock *sk, struct sk_buff *skb,
			   struct request_sock *req)
{
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	const struct sl_tcphdr *th = tcp_hdr(skb);
	u8 flg = tcp_flag_byte(th) & (TCPHDR_RST | TCPHDR_SYN | TCPHDR_ACK);
	struct tcp_options_received tmp_opt;
	struct net *net = sock_net(sk);
	bool paws_reject;
	struct sock *child;
	u32 rcv_nxt = req->rcv_isn + 1;

	paws_reject = tcp_req_paws_reject(req, skb, th, &tmp_opt);

	/* A retransmitted SYN identical to the first: RFC 9293 3.10.7.4 does
	 * not cover it; Linux resends the SYN-ACK and restarts the timer. */
	if (tcb->seq == req->rcv_isn && flg == TCPHDR_SYN && !paws_reject) {
		if (!tcp_oow_rate_limited(net, skb,
					  LINUX_MIB_TCPACKSKIPPEDSYNRECV,
					  &req->last_oow_ack_time) &&
		    !inet_rtx_syn_ack(sk, req) && timer_pending(&req->rsk_timer))
			mod_timer(&req->rsk_timer,
				  net_now(net) + reqsk_timeout(req));
		return NULL;
	}

	/* RFC 9293 3.10.7.4 (SYN-RECEIVED, fifth): an ACK outside
	 * snd_una..snd_nxt gets a reset — from the listener. */
	if ((flg & TCPHDR_ACK) && tcb->ack_seq != req->snt_isn + 1)
		return sk;

	/* RFC 9293 3.10.7.4 first check sequence number: not acceptable ->
	 * ACK (unless RST) and drop. */
	if (paws_reject || !tcp_in_window(tcb->seq, tcb->end_seq, rcv_nxt,
					  rcv_nxt + tcp_synack_window(req))) {
		if (!(flg & TCPHDR_RST) &&
		    !tcp_oow_rate_limited(net, skb,
					  LINUX_MIB_TCPACKSKIPPEDSYNRECV,
					  &req->last_oow_ack_time))
			tcp_reqsk_send_ack(sk, skb, req);
		if (paws_reject)
			NET_INC_STATS(net, LINUX_MIB_PAWSESTAB);
		return NULL;
	}

	/* Sequence and PAWS checks passed. */
	if (tmp_opt.saw_tstamp && !after(tcb->seq, rcv_nxt))
		req->ts_recent = tmp_opt.rcv_tsval;
	/* A SYN flag here lies before rcv_isn + 1, outside the window: ignore
	 * it. */
	if (tcb->seq == req->rcv_isn)
		flg &= (u8)~TCPHDR_SYN;

	/* RFC 9293 3.10.7.4 second (RST) and fourth (SYN) checks. */
	if (flg & (TCPHDR_RST | TCPHDR_SYN)) {
		TCP_INC_STATS(net, TCP_MIB_ATTEMPTFAILS);
		return tcp_req_embryonic_reset(sk, skb, req, flg);
	}
	/* The ACK number was checked; the ACK flag itself must be present. */
	if (!(flg & TCPHDR_ACK))
		return NULL;

	/* Valid handshake ACK: create the full socket and let it process this
	 * segment. */
	child = tcp_v4_syn_recv_sock(sk, skb, req);
	if (!child) {
		/* listen_overflow */
		if (!READ_ONCE(net->ipv4.sysctl_tcp_abort_on_overflow)) {
			req->acked = 1;
			return NULL;
		}
		return tcp_req_embryonic_reset(sk, skb, req, flg);
	}
	/* RFC 6298 2.2: the handshake gives the child its first RTT sample. */
	tcp_synack_rtt_meas(child, req);
	return inet_csk_complete_hashdance(sk, child, req, true);
}

/**
 * tcp_child_process - feed the handshake's final ACK to a new child
 * @child: locked (bh_lock_sock) by tcp_check_req, with the caller's
 *         reference, both released here
 *
 * Wakes the listener's accept(2) when the child left SYN_RECV. Returns
 * non-zero when the caller must reset (the skb is then the caller's);
 * 0 when the skb was consumed or queued to the child's backlog.
 */
int tcp_child_process(struct sock *parent, struct sock *child,
		      struct sk_buff *skb)
{
	int state = child->sk_state;
	int ret = 0;

	tcp_sk(child)->segs_in++;
	if (!sock_owned_by_user(child)) {
		ret = tcp_rcv_state_process(child, skb);
		/* let the listener's accept() and SIGIO users know */
		if (state == TCP_SYN_RECV && child->sk_state != state)
			parent->sk_data_ready(parent);
	} else {
		/* Possible: lookups use the main hash without the listener
		 * lock, so the child may already be owned. */
		sk_add_backlog(child, skb, ~0U);
	}
	bh_unlock_sock(child);
	sock_put(child);
	return ret;
}

/**
 * tcp_create_openreq_child - the tcp_sock of an accepted connection
 *
 * A clone of the listener (inet_csk_clone_lock) with the sequence
 * spaces, options, window and timestamps negotiated by @req and the SYN.
 * Counts TcpPassiveOpens. Locked, two references; NULL on ENOMEM.
 */
struct sock *tcp_create_openreq_child(const struct sock *sk,
				      struct request_sock *req,
				      struct sk_buff *skb)
{
	struct sock *newsk = inet_csk_clone_lock(sk, req);
	struct tcp_sock *newtp;
	u32 seq;

	if (!newsk)
		return NULL;
	newtp = tcp_sk(newsk);
	seq = req->rcv_isn + 1;
	newtp->rcv_wup = seq;
	newtp->copied_seq = seq;
	newtp->rcv_nxt = seq;
	newtp->segs_in = 1;
	seq = req->snt_isn + 1;
	newtp->snd_sml = newtp->snd_una = seq;
	newtp->snd_nxt = seq;
	newtp->snd_up = seq;
	newtp->snd_wl1 = req->rcv_isn;
	newtp->rtt_min.rtt_us = 0;
	newtp->rtt_min.stamp = tcp_time_stamp_ms(newsk);
	newtp->tsval_sent = newtp->rtt_min.stamp;
	inet_csk(newsk)->icsk_ack.lrcvtime = tcp_time_stamp_ms(newsk);
	newtp->lsndtime = tcp_time_stamp_ms(newsk);
	newtp->total_retrans = req->num_retrans;
	tcp_init_xmit_timers(newsk);
	newtp->write_seq = newtp->pushed_seq = req->snt_isn + 1;
	if (sock_flag(newsk, SOCK_KEEPOPEN))
		tcp_reset_keepalive_timer(newsk, keepalive_time_when(newtp));

	newtp->rx_opt.tstamp_ok = req->tstamp_ok;
	newtp->rx_opt.sack_ok = req->sack_ok;
	newtp->window_clamp = req->rsk_window_clamp;
	newtp->rcv_ssthresh = req->rsk_rcv_wnd;
	newtp->rcv_wnd = req->rsk_rcv_wnd;
	newtp->rx_opt.wscale_ok = req->wscale_ok;
	if (newtp->rx_opt.wscale_ok) {
		newtp->rx_opt.snd_wscale = req->snd_wscale;
		newtp->rx_opt.rcv_wscale = req->rcv_wscale;
	} else {
		newtp->rx_opt.snd_wscale = newtp->rx_opt.rcv_wscale = 0;
		if (newtp->window_clamp > 65535U)
			newtp->window_clamp = 65535U;
	}
	newtp->snd_wnd = (u32)ntohs(tcp_hdr(skb)->window)
			 << newtp->rx_opt.snd_wscale;
	newtp->max_window = newtp->snd_wnd;
	if (newtp->rx_opt.tstamp_ok) {
		newtp->rx_opt.ts_recent = req->ts_recent;
		newtp->rx_opt.ts_recent_stamp = tcp_seconds(sock_net(newsk));
		newtp->tcp_header_len = sizeof(struct sl_tcphdr) +
					TCPOLEN_TSTAMP_ALIGNED;
	} else {
		newtp->rx_opt.ts_recent_stamp = 0;
		newtp->tcp_header_len = sizeof(struct sl_tcphdr);
	}
	if (req->num_timeout) {
		newtp->undo_marker = req->snt_isn;
		newtp->retrans_stamp = (u32)(req->snt_synack / 1000);
	}
	newtp->tsoffset = req->ts_off;
	newtp->rx_opt.mss_clamp = req->mss;
	TCP_INC_STATS(sock_net(sk), TCP_MIB_PASSIVEOPENS);
	return newsk;
}
