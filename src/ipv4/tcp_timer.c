/*
 * TCP timers (Linux's net/ipv4/tcp_timer.c).
 *
 * Linux's three timers per socket are three events on one timer, sk_timer
 * (tcp_timer; see inet_csk_timer_sync for the multiplexing):
 *  - ICSK_EV_XMIT (tcp_write_timer_handler): icsk_pending says which event
 *    it stands for (as Linux): the RTO (tcp_retransmit_timer, RFC 6298
 *    5.4-5.7, giving up through tcp_write_timeout), the persist timer
 *    (tcp_probe_timer, RFC 9293 3.8.6.1), the tail loss probe (io's
 *    tcp_send_loss_probe, RFC 8985 7) and RACK's reordering timeout
 *    (tcp_rack_reo_timeout, RFC 8985 6.3).
 *  - ICSK_EV_DACK (tcp_delack_timer_handler): the delayed ACK (RFC 1122
 *    4.2.3.2, RFC 5681 4.2) with Linux's ato inflation and pingpong exit.
 *  - ICSK_EV_KEEPALIVE (tcp_keepalive_timer_handler): keepalive probes
 *    (RFC 1122 4.2.3.6, RFC 9293 3.8.4) and the FIN_WAIT2 lifetime of
 *    orphans.
 *
 * sk_timer fires in softirq context with a reference on the socket; its
 * handler takes bh_lock_sock and runs the due events, or, when the user
 * owns the socket, defers each to tcp_release_cb (io, tcp_output.c)
 * through TCP_{WRITE,DELACK,KEEPALIVE}_TIMER_DEFERRED with a reference of
 * its own, then drops the timer's reference. (Linux's keepalive timer
 * retries 50 ms later instead; a deferred keepalive runs when the owner
 * releases the socket, which is no later than that in practice.)
 *
 * Time: timers in ns on the stack clock; icsk_rto in us; retrans_stamp,
 * lsndtime, rcv_tstamp, lrcvtime in ms (tcp_time_stamp_ms, no offset).
 */
#include <errno.h>

#include "sl/route.h"
#include "sl/snmp.h"
#include "sl/sock.h"
#include "sl/tcp.h"

#define TCP_THIN_LINEAR_RETRIES 6   /* after this, exponential backoff */
#define TCP_ORPHAN_RETRIES_ALIVE 8  /* > 100 s at a 200 ms RTO (Linux) */

static u64 us_to_ns(u64 us)
{
	return us * NSEC_PER_USEC;
}

/* Defer timer work to tcp_release_cb: set @bit, hold the socket once. */
static void tcp_defer_to_release_cb(struct sock *sk, int bit)
{
	unsigned long old;

	old = __atomic_fetch_or(&tcp_sk(sk)->tsq_flags, 1UL << bit,
				__ATOMIC_ACQ_REL);
	if (!(old & (1UL << bit)))
		sock_hold(sk);
}

/**
 * tcp_rto_ns - the current retransmission timeout in ns (icsk_rto, with
 * its backoff already folded in by tcp_retransmit_timer)
 */
u64 tcp_rto_ns(const struct sock *sk)
{
	return us_to_ns(inet_csk(sk)->icsk_rto);
}

/**
 * tcp_write_err - give up on the connection after too many
 * retransmissions or probes: sk_err = the soft error an ICMP left, else
 * ETIMEDOUT; queues purged, tcp_done. Counts TCPAbortOnTimeout.
 * Context: bh_lock_sock or owned. The socket may be destroyed on return
 * when it was an orphan (the caller's reference keeps the memory).
 */
void tcp_write_err(struct sock *sk)
{
	int err = READ_ONCE(sk->sk_err_soft);

	WRITE_ONCE(sk->sk_err, err ? err : ETIMEDOUT);
	tcp_write_queue_purge(sk);
	if (!sock_flag(sk, SOCK_DEAD) && sk->sk_error_report)
		sk->sk_error_report(sk);
	tcp_done(sk);
	NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTONTIMEOUT);
}

/*
 * How many retries an orphan gets (Linux's tcp_orphan_retries): the
 * sysctl (0 means 8 while the connection looks alive), none when an ICMP
 * already told us the peer is unreachable.
 */
static int tcp_orphan_retries(struct sock *sk, bool alive)
{
	int retries = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_orphan_retries);

	if (READ_ONCE(sk->sk_err_soft) && !alive)
		retries = 0;
	if (retries == 0 && alive)
		retries = TCP_ORPHAN_RETRIES_ALIVE;
	return retries;
}

/*
 * Linux's tcp_model_timeout: the time (ms) @boundary exponentially backed
 * off retransmissions take from an initial RTO of @rto_base us, the RTO
 * doubling up to TCP_RTO_MAX and staying there. This turns tcp_retries2
 * (15) into ~924.6 s at the 200 ms floor, whatever the actual RTT.
 */
static u64 tcp_model_timeout(unsigned int boundary, u32 rto_base)
{
	unsigned int thresh = 0;
	u64 timeout;

	while (((u64)rto_base << (thresh + 1)) <= TCP_RTO_MAX)
		thresh++;          /* ilog2(TCP_RTO_MAX / rto_base) */
	if (boundary <= thresh)
		timeout = ((2ULL << boundary) - 1) * rto_base;
	else
		timeout = ((2ULL << thresh) - 1) * rto_base +
			  (u64)(boundary - thresh) * TCP_RTO_MAX;
	return timeout / 1000;
}

/*
 * Linux's retransmits_timed_out: has the time since the first
 * retransmission (retrans_stamp) reached @timeout_ms, or, when it is 0,
 * the modelled time of @boundary backed-off retransmissions? Time based,
 * so a small RTT does not shorten the connection's life.
 */
static bool retransmits_timed_out(struct sock *sk, unsigned int boundary,
				  u32 timeout_ms)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u64 timeout = timeout_ms;

	if (!inet_csk(sk)->icsk_retransmits)
		return false;
	if (timeout == 0) {
		u32 rto_base = TCP_RTO_MIN;

		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			rto_base = TCP_TIMEOUT_INIT;
		timeout = tcp_model_timeout(boundary, rto_base);
	}
	return (s64)((u32)(tcp_time_stamp_ms(sk) - tp->retrans_stamp)) -
	       (s64)timeout >= 0;
}

/*
 * Linux's tcp_out_of_resources for orphans. sockline has no orphan count
 * limit nor memory pressure state: nothing to abort for; the hook stays so
 * the shape of tcp_write_timeout matches Linux's.
 */
static bool tcp_out_of_resources(struct sock *sk, bool do_reset)
{
	(void)sk;
	(void)do_reset;
	return false;
}

/*
 * Linux's tcp_write_timeout, called on each RTO: true when the connection
 * was aborted (tcp_write_err).
 *  - SYN_SENT / SYN_RECV: after TCP_SYNCNT or tcp_syn_retries (6)
 *    retransmissions (RFC 9293 3.8.3 R2 for SYNs: at least 3 minutes is
 *    RFC 1122's advice; Linux's default gives up after 127 s).
 *  - otherwise: after the time tcp_retries2 (15) backed-off retransmits
 *    take (R2, RFC 1122 4.2.3.5), or TCP_USER_TIMEOUT (RFC 5482) when set;
 *    tcp_retries1 (R1) resets the route (negative advice). Orphans use
 *    tcp_orphan_retries.
 */
static bool tcp_write_timeout(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct net *net = sock_net(sk);
	bool expired = false;
	int retry_until;

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		if (icsk->icsk_retransmits)
			sk_dst_reset(sk);
		retry_until = icsk->icsk_syn_retries ?
			      icsk->icsk_syn_retries :
			      READ_ONCE(net->ipv4.sysctl_tcp_syn_retries);
		expired = icsk->icsk_retransmits >= retry_until;
	} else {
		/* RFC 1122 4.2.3.5 R1: tell the IP layer (Linux: route
		 * negative advice). */
		if (retransmits_timed_out(sk,
			READ_ONCE(net->ipv4.sysctl_tcp_retries1), 0))
			sk_dst_reset(sk);
		retry_until = READ_ONCE(net->ipv4.sysctl_tcp_retries2);
		if (sock_flag(sk, SOCK_DEAD)) {
			const bool alive = icsk->icsk_rto < TCP_RTO_MAX;

			retry_until = tcp_orphan_retries(sk, alive);
			if (tcp_out_of_resources(sk, alive ||
				!retransmits_timed_out(sk, (unsigned)retry_until, 0)))
				return true;
		}
	}
	if (!expired)
		expired = retransmits_timed_out(sk, (unsigned int)retry_until,
						READ_ONCE(tcp_sk(sk)->ext->user_timeout));
	if (expired) {
		/* Retry limit or user timeout reached: give up. */
		tcp_write_err(sk);
		return true;
	}
	return false;
}

/*
 * RTO for the next timer: icsk_rto, but never past what TCP_USER_TIMEOUT
 * leaves since the first retransmission (Linux's
 * tcp_clamp_rto_to_user_timeout). In us.
 */
static u32 tcp_clamp_rto_to_user_timeout(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	u32 user_timeout = READ_ONCE(tcp_sk(sk)->ext->user_timeout);
	s64 remaining;
	u32 elapsed;

	if (!user_timeout)
		return icsk->icsk_rto;
	elapsed = tcp_time_stamp_ms(sk) - tcp_sk(sk)->retrans_stamp;
	remaining = (s64)user_timeout - (s64)elapsed;
	if (remaining <= 0)
		return 1000;   /* user timeout has passed: fire ASAP (1 ms) */
	return min_t(u64, icsk->icsk_rto, (u64)remaining * 1000);
}

/* The first RTO of a recovery episode: count how the episode failed
 * (TCPSackFailures, TCPRenoFailures, TCPLossFailures as Linux). */
static void tcp_count_rto_failure(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	int mib = 0;

	if (icsk->icsk_retransmits)
		return;
	if (icsk->icsk_ca_state == TCP_CA_Loss)
		mib = LINUX_MIB_TCPLOSSFAILURES;
	else if (icsk->icsk_ca_state == TCP_CA_Recovery ||
		 icsk->icsk_ca_state == TCP_CA_Disorder || tp->sacked_out)
		mib = tcp_is_sack(tp) ? LINUX_MIB_TCPSACKFAILURES :
					LINUX_MIB_TCPRENOFAILURES;
	if (mib)
		NET_INC_STATS(sock_net(sk), mib);
}

/*
 * The peer shrank its window to zero while data was in flight: our
 * retransmissions act as zero-window probes and, as Linux does, the
 * connection is only timed out by TCP_USER_TIMEOUT or, beyond
 * TCP_RTO_MAX without any answer, by the persist rules (Linux's
 * tcp_rtx_probe0_timed_out). True = abort.
 */
static bool tcp_rtx_probe0_timed_out(const struct sock *sk, u32 rtx_delta_ms)
{
	u32 user_timeout = READ_ONCE(tcp_sk(sk)->ext->user_timeout);
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 rcv_delta;

	if (user_timeout) {
		/* Not yet: the ACKs keep the window closed, but answer. */
		if (rtx_delta_ms > user_timeout)
			return true;
		return false;
	}
	rcv_delta = tcp_time_stamp_ms(sk) - tp->rcv_tstamp;
	if (rcv_delta <= TCP_TIMEOUT_INIT / 1000)
		return false;   /* heard from the peer within 1 s */
	return rtx_delta_ms > TCP_RTO_MAX / 1000;
}

/* Zero-window case of the RTO (Linux's branch in tcp_retransmit_timer):
 * false = the connection was aborted. */
static bool tcp_retransmit_zero_window(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 start = tp->retrans_stamp ? tp->retrans_stamp :
		    (u32)(tcp_skb_timestamp_us(skb) / 1000);
	u32 rtx_delta = tcp_time_stamp_ms(sk) - start;

	if (tcp_rtx_probe0_timed_out(sk, rtx_delta)) {
		tcp_write_err(sk);
		return false;
	}
	tcp_enter_loss(sk);
	tcp_retransmit_skb(sk, skb, 1);
	sk_dst_reset(sk);
	return true;
}

/* RTO with exponential backoff (RFC 6298 5.5, capped at TCP_RTO_MAX), and
 * the timer re-armed (RFC 6298 5.6). Linear while the stream is thin and
 * tcp_thin_linear_timeouts asks for it, as Linux. */
static void tcp_rto_backoff_rearm(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	if (sk->sk_state == TCP_ESTABLISHED &&
	    (tp->thin_lto ||
	     READ_ONCE(net->ipv4.sysctl_tcp_thin_linear_timeouts)) &&
	    tp->packets_out < 4 &&
	    icsk->icsk_retransmits <= TCP_THIN_LINEAR_RETRIES) {
		icsk->icsk_backoff = 0;
		tcp_set_rto(sk);
	} else {
		/* RFC 6298 5.5: RTO <- RTO * 2 ("back off the timer"). */
		icsk->icsk_rto = min_t(u32, icsk->icsk_rto << 1, TCP_RTO_MAX);
	}
	tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
			     tcp_clamp_rto_to_user_timeout(sk), TCP_RTO_MAX);
	if (retransmits_timed_out(sk,
		READ_ONCE(net->ipv4.sysctl_tcp_retries1) + 1, 0))
		sk_dst_reset(sk);
}

/**
 * tcp_retransmit_timer - the retransmission timer expired (RFC 6298 5.4:
 * retransmit the earliest segment not yet acknowledged; 5.5 back off; 5.6
 * restart): enter Loss (tcp_enter_loss: ssthresh, cwnd 1, everything in
 * flight marked lost, F-RTO as tcp_frto allows), resend the head, double
 * the RTO. Gives up via tcp_write_timeout (SYN retries, tcp_retries2,
 * TCP_USER_TIMEOUT). Counts TCPTimeouts. Context: bh_lock_sock, not owned
 * (or owned, from tcp_release_cb).
 */
void tcp_retransmit_timer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	if (!tp->packets_out)
		return;
	skb = tcp_rtx_queue_head(sk);
	if (!skb)
		return;
	if (!tp->snd_wnd && !sock_flag(sk, SOCK_DEAD) &&
	    !((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))) {
		/* The peer closed its window with data outstanding: our
		 * retransmissions now act as window probes, so retries2 does
		 * not apply. */
		if (tcp_retransmit_zero_window(sk, skb))
			tcp_rto_backoff_rearm(sk);
		return;
	}
	NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPTIMEOUTS);
	if (tcp_write_timeout(sk))
		return;
	tcp_count_rto_failure(sk);
	tcp_enter_loss(sk);
	icsk->icsk_retransmits++;
	TCP_EXT_ADD(sk, total_rto, 1);
	if (tcp_retransmit_skb(sk, tcp_rtx_queue_head(sk), 1) > 0) {
		/* The local queue refused the send: retry at the resource
		 * interval, no backoff, since the network lost nothing. */
		tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
				     TCP_RESOURCE_PROBE_INTERVAL / NSEC_PER_USEC,
				     TCP_RTO_MAX);
		return;
	}
	/* RFC 6298 5.5: double the RTO per expiry; SRTT and RTTVAR are not
	 * touched, as Karn's rule gives no sample for resent data. */
	icsk->icsk_backoff++;
	tcp_rto_backoff_rearm(sk);
}

/*
 * The persist timer fired (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17: keep
 * probing a zero window as long as the receiver answers; Linux's
 * tcp_probe_timer). Aborts after tcp_retries2 unanswered probes only for
 * orphans or with TCP_USER_TIMEOUT; an ACK resets icsk_probes_out.
 */
static void tcp_probe_timer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	u64 now = net_now(sock_net(sk));
	int max_probes;

	if (tp->packets_out || !tcp_send_head(sk)) {
		icsk->icsk_probes_out = 0;
		icsk->icsk_probes_tstamp = 0;
		return;
	}
	if (!icsk->icsk_probes_tstamp) {
		icsk->icsk_probes_tstamp = now;
	} else {
		u32 user_timeout = READ_ONCE(tcp_sk(sk)->ext->user_timeout);

		if (user_timeout && now - icsk->icsk_probes_tstamp >=
				    (u64)user_timeout * NSEC_PER_MSEC)
			goto abort;
	}
	max_probes = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_retries2);
	if (sock_flag(sk, SOCK_DEAD)) {
		u64 backed = (u64)icsk->icsk_rto << icsk->icsk_backoff;
		const bool alive = icsk->icsk_backoff < 32 &&
				   backed < TCP_RTO_MAX;

		max_probes = tcp_orphan_retries(sk, alive);
		if (!alive && icsk->icsk_backoff >= max_probes)
			goto abort;
		if (tcp_out_of_resources(sk, true))
			return;
	}
	if (icsk->icsk_probes_out >= max_probes)
		goto abort;
	/* No probe if the connection was closed meanwhile. */
	tcp_send_probe0(sk);
	return;
abort:
	tcp_write_err(sk);
}

/**
 * tcp_write_timer_handler - run the event icsk_pending names, if its time
 * has come (a deferred run may find it re-armed for later): RACK reorder
 * timeout, tail loss probe, RTO or zero-window probe. Called from the
 * timer (not owned) or from tcp_release_cb (owned). bh_lock_sock held.
 */
void tcp_write_timer_handler(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int event;

	if (((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)) ||
	    !icsk->icsk_pending)
		return;
	if (icsk->icsk_timeout > net_now(sock_net(sk))) {
		inet_csk_ev_arm(sk, ICSK_EV_XMIT);
		return;
	}
	tcp_sk(sk)->tcp_mstamp = tcp_clock_us(sk);
	event = icsk->icsk_pending;
	switch (event) {
	case ICSK_TIME_REO_TIMEOUT:
		tcp_rack_reo_timeout(sk);
		break;
	case ICSK_TIME_LOSS_PROBE:
		tcp_send_loss_probe(sk);
		break;
	case ICSK_TIME_RETRANS:
		icsk->icsk_pending = 0;
		tcp_retransmit_timer(sk);
		break;
	case ICSK_TIME_PROBE0:
		icsk->icsk_pending = 0;
		tcp_probe_timer(sk);
		break;
	}
}

/**
 * tcp_delack_timer_handler - the delayed ACK is due (RFC 1122 4.2.3.2:
 * at most 500 ms; Linux's ato): send it. A missed delayed ACK inflates
 * ato (doubling, up to the RTO) outside pingpong mode, or leaves pingpong
 * mode and resets ato to 40 ms, as Linux. Counts DelayedACKs. Called from
 * the timer or tcp_release_cb; bh_lock_sock held.
 */
void tcp_delack_timer_handler(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	if (!(icsk->icsk_ack.pending & ICSK_ACK_TIMER))
		return;
	if (icsk->icsk_ack.timeout > net_now(sock_net(sk))) {
		inet_csk_ev_arm(sk, ICSK_EV_DACK);
		return;
	}
	icsk->icsk_ack.pending &= (u8)~ICSK_ACK_TIMER;
	if (!inet_csk_ack_scheduled(sk))
		return;
	if (!inet_csk_in_pingpong_mode(sk)) {
		/* The timer fired before an ACK went out: the peer waits on us,
		 * so lengthen ato toward the RTO. */
		icsk->icsk_ack.ato = min_t(u32, icsk->icsk_ack.ato << 1,
					   icsk->icsk_rto);
	} else {
		/* In interactive mode no reply carried the ACK: leave that mode
		 * and shorten ato. */
		icsk->icsk_ack.pingpong = 0;
		icsk->icsk_ack.ato = TCP_ATO_MIN;
	}
	tcp_sk(sk)->tcp_mstamp = tcp_clock_us(sk);
	tcp_send_ack(sk);
	NET_INC_STATS(sock_net(sk), LINUX_MIB_DELAYEDACKS);
}

/**
 * tcp_reset_keepalive_timer - (re)arm the keepalive event @len_ns from
 * now (Linux's inet_csk_reset_keepalive_timer): keepalive, or an orphan's
 * FIN_WAIT2 lifetime.
 */
void tcp_reset_keepalive_timer(struct sock *sk, u64 len_ns)
{
	inet_csk_reset_keepalive_timer(sk, len_ns);
}

/* Linux's inet_csk_delete_keepalive_timer. */
static void tcp_delete_keepalive_timer(struct sock *sk)
{
	inet_csk_delete_keepalive_timer(sk);
}

/**
 * tcp_set_keepalive - SO_KEEPALIVE changed to @val on a connected socket
 * (proto->keepalive in Linux, called before the flag itself changes): arm
 * the timer for the idle time (TCP_KEEPIDLE or tcp_keepalive_time) or stop
 * it. Nothing for listeners and closed sockets. Socket owned by the caller.
 */
void tcp_set_keepalive(struct sock *sk, int val)
{
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	if (val && !sock_flag(sk, SOCK_KEEPOPEN))
		tcp_reset_keepalive_timer(sk, keepalive_time_when(tcp_sk(sk)));
	else if (!val)
		tcp_delete_keepalive_timer(sk);
}

/* Time since the peer was last heard from (data or ACK), in ns (Linux's
 * keepalive_time_elapsed, from ms stamps). */
static u64 keepalive_time_elapsed(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 now = tcp_time_stamp_ms(sk);
	u32 a = now - inet_csk(sk)->icsk_ack.lrcvtime;
	u32 b = now - tp->rcv_tstamp;

	return (u64)(a < b ? a : b) * NSEC_PER_MSEC;
}

/*
 * An orphan's FIN_WAIT2 time is up (TCP_LINGER2 / tcp_fin_timeout): hand
 * what is left past 60 s to a timewait sock in FIN_WAIT2, or reset and
 * close (Linux). True when @sk is done.
 */
static bool tcp_fin_wait2_timeout(struct sock *sk)
{
	if (tcp_sk(sk)->ext->linger2 >= 0) {
		u64 fin = tcp_fin_time(sk);

		if (fin > TCP_TIMEWAIT_LEN) {
			tcp_time_wait(sk, TCP_FIN_WAIT2, fin - TCP_TIMEWAIT_LEN);
			return false;
		}
	}
	tcp_send_active_reset(sk);
	tcp_done(sk);
	return true;
}

/*
 * One keepalive step (RFC 1122 4.2.3.6, RFC 9293 3.8.4): after the idle
 * time, a probe every interval (tcp_write_wakeup: seq snd_una - 1, or new
 * data the window allows); after keepalive_probes unanswered probes, or
 * TCP_USER_TIMEOUT when set, RST and ETIMEDOUT. Returns ns until the next
 * run, 0 when the connection was aborted.
 */
static u64 tcp_keepalive_step(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	u32 user_timeout = READ_ONCE(tcp_sk(sk)->ext->user_timeout);
	u64 elapsed;

	/* Data is in flight or waiting to go: the retransmission and probe
	 * timers already watch the peer, so no keepalive is needed. */
	if (tp->packets_out || tcp_send_head(sk))
		return keepalive_time_when(tp);
	elapsed = keepalive_time_elapsed(sk);
	if (elapsed < keepalive_time_when(tp))
		return keepalive_time_when(tp) - elapsed;
	if ((user_timeout &&
	     elapsed >= (u64)user_timeout * NSEC_PER_MSEC &&
	     icsk->icsk_probes_out > 0) ||
	    (!user_timeout && icsk->icsk_probes_out >= keepalive_probes(tp))) {
		tcp_send_active_reset(sk);
		tcp_write_err(sk);
		return 0;
	}
	if (tcp_write_wakeup(sk) <= 0) {
		icsk->icsk_probes_out++;
		return keepalive_intvl_when(tp);
	}
	/* The probe never left (local congestion): retry soon without counting
	 * it. */
	return TCP_RESOURCE_PROBE_INTERVAL;
}

/**
 * tcp_keepalive_timer_handler - the keepalive event fired: an orphan's
 * FIN_WAIT2 lifetime, or one keepalive step (Linux's tcp_keepalive_timer).
 * Called from tcp_timer (not owned) or tcp_release_cb; bh_lock_sock held.
 */
void tcp_keepalive_timer_handler(struct sock *sk)
{
	u64 next;

	if (sk->sk_state == TCP_LISTEN)
		return;
	tcp_sk(sk)->tcp_mstamp = tcp_clock_us(sk);
	if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD)) {
		tcp_fin_wait2_timeout(sk);
		return;
	}
	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT)))
		return;
	next = tcp_keepalive_step(sk);
	if (next)
		tcp_reset_keepalive_timer(sk, next);
}

/* Run event @ev, which has fired (bh_lock_sock held, not owned). */
static void tcp_timer_event(struct sock *sk, int ev)
{
	switch (ev) {
	case ICSK_EV_XMIT:
		tcp_write_timer_handler(sk);
		break;
	case ICSK_EV_DACK:
		tcp_delack_timer_handler(sk);
		break;
	default:
		tcp_keepalive_timer_handler(sk);
		break;
	}
}

/* The user owns the socket: event @ev waits for tcp_release_cb. */
static void tcp_timer_defer(struct sock *sk, int ev)
{
	switch (ev) {
	case ICSK_EV_XMIT:
		tcp_defer_to_release_cb(sk, TCP_WRITE_TIMER_DEFERRED);
		break;
	case ICSK_EV_DACK:
		NET_INC_STATS(sock_net(sk), LINUX_MIB_DELAYEDACKLOCKED);
		tcp_defer_to_release_cb(sk, TCP_DELACK_TIMER_DEFERRED);
		break;
	default:
		tcp_defer_to_release_cb(sk, TCP_KEEPALIVE_TIMER_DEFERRED);
		break;
	}
}

/*
 * sk_timer expired (softirq, holds a socket reference): fire the due
 * events one by one, earliest first, as separate timers would (each
 * handler sees what the previous one did), then re-arm for the rest.
 */
static void tcp_timer(struct timer_list *t)
{
	struct sock *sk = from_timer(sk, t, sk_timer);
	u64 now = net_now(sock_net(sk));
	int ev, n;

	bh_lock_sock(sk);
	/* Bounded: an event re-armed for now fires again on the next run. */
	for (n = 0; n < ICSK_EV_MAX; n++) {
		ev = inet_csk_next_event(sk, now, true);
		if (ev < 0)
			break;
		__atomic_fetch_and(&inet_csk(sk)->icsk_ev_armed,
				   (u8)~(1u << ev), __ATOMIC_RELEASE);
		if (sock_owned_by_user(sk))
			tcp_timer_defer(sk, ev);
		else
			tcp_timer_event(sk, ev);
	}
	inet_csk_timer_sync(sk, -1);
	bh_unlock_sock(sk);
	sock_put(sk);
}

/**
 * tcp_init_xmit_timers - give a TCP socket its timer (socket
 * creation, tcp_init_sock; children, tcp_create_openreq_child).
 */
void tcp_init_xmit_timers(struct sock *sk)
{
	inet_csk_init_xmit_timers(sk, tcp_timer);
}

/**
 * tcp_clear_xmit_timers - stop every timer event, dropping the reference
 * the timer held (tcp_done, disconnect, destroy).
 */
void tcp_clear_xmit_timers(struct sock *sk)
{
	inet_csk_clear_xmit_timers(sk);
}
