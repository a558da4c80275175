/*
 * TCP receive processing (RFC 9293 3.10.7 "SEGMENT ARRIVES"), as Linux's
 * net/ipv4/tcp_input.c structures it.
 *
 * tcp_v4_do_rcv (tcp_ipv4.c) hands every segment of a full socket here with
 * skb->data at the TCP header and TCP_SKB_CB filled:
 *   ESTABLISHED  -> tcp_rcv_established: header prediction fast path, else
 *                   the validation steps (tcp_validate_incoming), tcp_ack,
 *                   tcp_data_queue, __tcp_ack_snd_check;
 *   other states -> tcp_rcv_state_process (LISTEN, SYN-SENT, SYN-RECEIVED,
 *                   FIN-WAIT-1/2, CLOSING, LAST-ACK, CLOSE-WAIT).
 * Also here: option parsing and PAWS (RFC 7323), RFC 5961 challenge ACKs,
 * the ACK engine (window update, RTT estimation per RFC 6298, SACK/D-SACK
 * scoreboard per RFC 2018/2883, loss recovery per RFC 6675/6582/6937,
 * F-RTO per RFC 5682, undo), the receive queue and out-of-order queue,
 * delayed ACK decisions and receive-buffer autotuning.
 *
 * Every function taking an skb consumes it unless its comment says
 * otherwise. Context: the socket is bh-locked (softirq) or owned by the
 * caller (backlog processing in release_sock).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "sl/checksum.h"
#include "sl/net_namespace.h"
#include "sl/route.h"
#include "sl/socket.h"
#include "sl/snmp.h"
#include "sl/sock.h"
#include "sl/tcp.h"


#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))

/* tcp_ack()'s FLAG_* bits are in sl/tcp.h (shared with tcp_recovery.c). */

/* TCP_SKB_CB(skb)->sacked of received segments: offset of the SACK option
 * (tcp_parse_options), 0 when none. */
#define TCP_SACK_SEEN (1 << 0)
#define TCP_DSACK_SEEN (1 << 2)

/* tp->ext->urg_data (the same values as tcp.c's). */
#define TCP_URG_VALID 0x0100
#define TCP_URG_NOTYET 0x0200
#define TCP_URG_READ 0x0400

/* Linux's sk_buff and shared-info footprints: tcp_sndbuf_expand sizes the
 * send buffer in these units so SO_SNDBUF reads as on Linux. */
#define TCP_LINUX_MAX_HEADER 320
#define TCP_LINUX_SHINFO 320
#define TCP_LINUX_SKB 256

#define TCP_REMNANT (TCPHDR_FIN | TCPHDR_URG | TCPHDR_SYN | TCPHDR_PSH)
#define TCP_HP_BITS (~(TCPHDR_PSH) & 0xff)

static inline u32 tcp_now_ms(const struct sock *sk)
{
	return tcp_time_stamp_ms(sk);
}
static inline u32 tcp_now_s(const struct net *net)
{
	return (u32)(net_now(net) / NSEC_PER_SEC);
}
static inline void tcp_mstamp_refresh(struct tcp_sock *tp)
{
	tp->tcp_mstamp = tcp_clock_us((struct sock *)tp);
}
static inline u64 tcp_stamp_us_delta(u64 t1, u64 t0)
{
	return t1 > t0 ? t1 - t0 : 0;
}
/* Payload bytes of a received segment (SYN and FIN take no bytes). */
static inline u32 tcp_seg_len(const struct sk_buff *skb)
{
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

	return tcb->end_seq - tcb->seq -
	       !!(tcb->tcp_flags & TCPHDR_SYN) - !!(tcb->tcp_flags & TCPHDR_FIN);
}
static inline void inet_csk_schedule_ack(struct sock *sk)
{
	inet_csk(sk)->icsk_ack.pending |= ICSK_ACK_SCHED;
}
static inline void tcp_init_wl(struct tcp_sock *tp, u32 seq)
{
	tp->snd_wl1 = seq;
}
static inline void tcp_update_wl(struct tcp_sock *tp, u32 seq)
{
	tp->snd_wl1 = seq;
}
static inline bool tcp_skb_is_last_rtx(const struct sock *sk,
				       const struct sk_buff *skb)
{
	return skb_queue_is_last(&tcp_sk(sk)->xfer->tcp_rtx_queue, skb);
}
static inline struct sk_buff *tcp_rtx_next(const struct sock *sk,
					   struct sk_buff *skb)
{
	return tcp_skb_is_last_rtx(sk, skb) ? NULL : skb->next;
}

/* --- options (RFC 9293 3.1/3.2, RFC 7323, RFC 2018) ---------------------- */

static inline u16 get_be16(const u8 *p)
{
	return (u16)((p[0] << 8) | p[1]);
}
static inline u32 get_be32(const u8 *p)
{
	return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}

/* One option of kind @opcode and total size @opsize (RFC 9293 3.2: MSS,
 * window scale and SACK-permitted count only on a SYN). */
static void tcp_parse_one_option(const struct net *net,
				 const struct sk_buff *skb,
				 const struct sl_tcphdr *th, const u8 *ptr,
				 int opcode, int opsize,
				 struct tcp_options_received *opt_rx, int estab)
{
	switch (opcode) {
	case TCPOPT_MSS:
		if (opsize == TCPOLEN_MSS && th->syn && !estab) {
			u16 in_mss = get_be16(ptr);

			if (in_mss) {
				if (opt_rx->user_mss && opt_rx->user_mss < in_mss)
					in_mss = opt_rx->user_mss;
				opt_rx->mss_clamp = in_mss;
			}
		}
		break;
	case TCPOPT_WINDOW:
		/* RFC 7323 2.3: a shift above 14 is used as 14 (Linux warns). */
		if (opsize == TCPOLEN_WINDOW && th->syn && !estab &&
		    READ_ONCE(net->ipv4.sysctl_tcp_window_scaling)) {
			u8 snd_wscale = *ptr;

			opt_rx->wscale_ok = 1;
			if (snd_wscale > TCP_MAX_WSCALE)
				snd_wscale = TCP_MAX_WSCALE;
			opt_rx->snd_wscale = snd_wscale & 0xf;
		}
		break;
	case TCPOPT_TIMESTAMP:
		if (opsize == TCPOLEN_TIMESTAMP &&
		    ((estab && opt_rx->tstamp_ok) ||
		     (!estab && READ_ONCE(net->ipv4.sysctl_tcp_timestamps)))) {
			opt_rx->saw_tstamp = 1;
			opt_rx->rcv_tsval = get_be32(ptr);
			opt_rx->rcv_tsecr = get_be32(ptr + 4);
		}
		break;
	case TCPOPT_SACK_PERM:
		if (opsize == TCPOLEN_SACK_PERM && th->syn && !estab &&
		    READ_ONCE(net->ipv4.sysctl_tcp_sack)) {
			opt_rx->sack_ok = TCP_SACK_SEEN;
			opt_rx->dsack = 0;
			opt_rx->num_sacks = 0;
		}
		break;
	case TCPOPT_SACK:
		/* RFC 2018 3: remember where the blocks are (Linux keeps the
		 * option's offset in the cb; tcp_sacktag reads them). */
		if (opsize >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK &&
		    !((opsize - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK) &&
		    opt_rx->sack_ok)
			TCP_SKB_CB(skb)->sacked =
				(u8)((ptr - 2) - (const u8 *)th);
		break;
	default:
		break;
	}
}

/**
 * tcp_parse_options - read the options of the segment @skb (data at or
 * after its TCP header; the header is found through the transport header)
 * @estab: the connection is synchronized: only TS and SACK count
 *
 * Malformed lengths stop parsing (RFC 9293 3.1: options are parsed until
 * an inconsistency). Sets opt_rx->saw_tstamp; the rest only when seen.
 * Does not consume @skb. Context: any.
 */
void tcp_parse_options(const struct net *net, const struct sk_buff *skb,
		       struct tcp_options_received *opt_rx, int estab)
{
	const struct sl_tcphdr *th = tcp_hdr(skb);
	const u8 *ptr = (const u8 *)(th + 1);
	int length = th->doff * 4 - (int)sizeof(*th);

	opt_rx->saw_tstamp = 0;
	while (length > 0) {
		int opcode = *ptr++;
		int opsize;

		switch (opcode) {
		case TCPOPT_EOL:
			return;
		case TCPOPT_NOP:
			length--;
			continue;
		default:
			if (length < 2)
				return;
			opsize = *ptr++;
			if (opsize < 2 || opsize > length)
				return; /* malformed length */
			tcp_parse_one_option(net, skb, th, ptr, opcode, opsize,
					     opt_rx, estab);
			ptr += opsize - 2;
			length -= opsize;
		}
	}
}

/* The common NOP NOP TS layout (Linux's tcp_parse_aligned_timestamp). */
static bool tcp_parse_aligned_timestamp(struct tcp_sock *tp,
					const struct sl_tcphdr *th)
{
	const u8 *p = (const u8 *)(th + 1);

	if (get_be32(p) != ((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			    (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP))
		return false;
	tp->rx_opt.saw_tstamp = 1;
	tp->rx_opt.rcv_tsval = get_be32(p + 4);
	tp->rx_opt.rcv_tsecr = get_be32(p + 8);
	if (tp->rx_opt.rcv_tsecr)
		tp->rx_opt.rcv_tsecr -= tp->tsoffset;
	return true;
}

/* Options of a segment on a synchronized connection; false when the
 * header has none (Linux's tcp_fast_parse_options). TSecr is made
 * relative to our clock (minus tsoffset). */
static bool tcp_fast_parse_options(const struct net *net,
				   const struct sk_buff *skb,
				   const struct sl_tcphdr *th,
				   struct tcp_sock *tp)
{
	if (th->doff == sizeof(*th) / 4) {
		tp->rx_opt.saw_tstamp = 0;
		return false;
	}
	if (tp->rx_opt.tstamp_ok &&
	    th->doff == (sizeof(*th) + TCPOLEN_TSTAMP_ALIGNED) / 4) {
		if (tcp_parse_aligned_timestamp(tp, th))
			return true;
	}
	tcp_parse_options(net, skb, &tp->rx_opt, 1);
	if (tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr)
		tp->rx_opt.rcv_tsecr -= tp->tsoffset;
	return true;
}

/* --- PAWS (RFC 7323 5) ------------------------------------------------------ */

/* RFC 7323 5.3 R1 with Linux's escapes: a TSval not older than ts_recent
 * (within @paws_win), a ts_recent idle for 24 days, or none recorded. */
static bool tcp_paws_check_at(const struct tcp_options_received *rx_opt,
			      int paws_win, u32 now_s, bool have_now)
{
	if ((s32)(rx_opt->ts_recent - rx_opt->rcv_tsval) <= paws_win)
		return true;
	if (have_now &&
	    (s32)(now_s - (rx_opt->ts_recent_stamp + TCP_PAWS_24DAYS)) >= 0)
		return true;
	if (!rx_opt->ts_recent)
		return true;
	return false;
}

static bool tcp_paws_reject_at(const struct tcp_options_received *rx_opt,
			       int rst, u32 now_s, bool have_now)
{
	if (tcp_paws_check_at(rx_opt, 0, now_s, have_now))
		return false;
	/* RFC 7323 5.2 advises against applying PAWS to a RST: tearing down a
	 * dead connection matters more than timestamp ordering. We take a RST
	 * once ts_recent has aged past TCP_PAWS_MSL. When the caller passes no
	 * clock the RST is taken as well; its sequence number is still
	 * validated later. */
	if (rst && (!have_now ||
		    (s32)(now_s - (rx_opt->ts_recent_stamp + TCP_PAWS_MSL)) >= 0))
		return false;
	return true;
}

/**
 * tcp_paws_reject - RFC 7323 5.3 R1 for a segment whose options are in
 * @rx_opt (rcv_tsval) against ts_recent/ts_recent_stamp in the same
 * structure. True = reject. Used by timewait and request socks (conn).
 */
bool tcp_paws_reject(const struct tcp_options_received *rx_opt, int rst)
{
	return tcp_paws_reject_at(rx_opt, rst, 0, false);
}

/**
 * tcp_paws_reject_net - tcp_paws_reject with the stack clock of @net, so
 * the 24-day and TCP_PAWS_MSL escapes apply exactly as in Linux.
 */
bool tcp_paws_reject_net(const struct net *net,
			 const struct tcp_options_received *rx_opt, int rst)
{
	return tcp_paws_reject_at(rx_opt, rst, tcp_now_s(net), true);
}

static void tcp_store_ts_recent(struct tcp_sock *tp)
{
	tp->rx_opt.ts_recent = tp->rx_opt.rcv_tsval;
	tp->rx_opt.ts_recent_stamp = tcp_now_s(sock_net((struct sock *)tp));
}

/* RFC 7323 4.3 (2): TS.Recent is updated from segments covering
 * Last.ACK.sent (rcv_wup), when the TSval is not older. */
static void tcp_replace_ts_recent(struct tcp_sock *tp, u32 seq)
{
	const struct net *net = sock_net((struct sock *)tp);

	if (tp->rx_opt.saw_tstamp && !after(seq, tp->rcv_wup)) {
		if (tcp_paws_check_at(&tp->rx_opt, 0, tcp_now_s(net), true))
			tcp_store_ts_recent(tp);
	}
}

/* RFC 9293 3.10.7.4 (ACK processing): SND.WND is updated when
 * SND.WL1 < SEG.SEQ, or SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK (Linux also
 * takes a new ACK, and a same-sequence growing or zero window). */
static inline bool tcp_may_update_window(const struct tcp_sock *tp, u32 ack,
					 u32 ack_seq, u32 nwin)
{
	return after(ack, tp->snd_una) || after(ack_seq, tp->snd_wl1) ||
	       (ack_seq == tp->snd_wl1 && (nwin > tp->snd_wnd || !nwin));
}

/* Linux's tcp_disordered_ack: a pure duplicate ACK whose timestamp went
 * backwards by less than one RTO is reordering, not an old duplicate
 * (RFC 7323 5.6 discussion; PAWS must not drop it). */
static bool tcp_disordered_ack(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct sl_tcphdr *th = tcp_hdr(skb);
	u32 seq = TCP_SKB_CB(skb)->seq;
	u32 ack = TCP_SKB_CB(skb)->ack_seq;

	return th->ack && seq == TCP_SKB_CB(skb)->end_seq &&
	       seq == tp->rcv_nxt && ack == tp->snd_una &&
	       !tcp_may_update_window(tp, ack, seq,
				      (u32)ntohs(th->window)
					      << tp->rx_opt.snd_wscale) &&
	       (s32)(tp->rx_opt.ts_recent - tp->rx_opt.rcv_tsval) <=
		       (s32)((u64)inet_csk(sk)->icsk_rto * 1024 / 1000000);
}

/* RFC 7323 5.3 R1 for a synchronized connection: reject unless the
 * segment is a disordered pure ACK (Linux's tcp_paws_discard). */
static bool tcp_paws_discard(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return !tcp_paws_check_at(&tp->rx_opt, TCP_PAWS_WINDOW,
				  tcp_now_s(sock_net(sk)), true) &&
	       !tcp_disordered_ack(sk, skb);
}

/* --- rate limits and challenge ACKs (RFC 5961 with Linux's limits) ------- */

static bool __tcp_oow_rate_limited(struct net *net, int mib_idx,
				   u32 *last_oow_ack_time)
{
	u32 now = (u32)(net_now(net) / NSEC_PER_MSEC);
	u32 last = READ_ONCE(*last_oow_ack_time);

	if (last) {
		s32 elapsed = (s32)(now - last);

		if (elapsed >= 0 &&
		    elapsed < READ_ONCE(net->ipv4.sysctl_tcp_invalid_ratelimit)) {
			NET_INC_STATS(net, mib_idx);
			return true; /* too soon: suppress it */
		}
	}
	WRITE_ONCE(*last_oow_ack_time, now ? now : 1);
	return false; /* interval elapsed: this ACK may go out */
}

/**
 * tcp_oow_rate_limited - may an ACK answering an out-of-window segment go?
 * Data segments (without SYN) are never limited; others at most one per
 * tcp_invalid_ratelimit ms per @last_oow_ack_time (counted in @mib_idx).
 * True = do not send. Does not consume @skb.
 */
bool tcp_oow_rate_limited(struct net *net, const struct sk_buff *skb,
			  int mib_idx, u32 *last_oow_ack_time)
{
	/* A plain data segment cannot feed an endless ACK exchange, so it is
	 * never throttled. */
	if (TCP_SKB_CB(skb)->seq != TCP_SKB_CB(skb)->end_seq &&
	    !(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN))
		return false;
	return __tcp_oow_rate_limited(net, mib_idx, last_oow_ack_time);
}

/**
 * tcp_send_challenge_ack - RFC 5961 3.2/4.2/5.2 challenge ACK, limited per
 * socket (tcp_invalid_ratelimit) and per stack (tcp_challenge_ack_limit
 * per second, randomized as Linux; INT_MAX = no stack limit). Counts
 * TCPChallengeACK. Context: socket locked.
 */
void tcp_send_challenge_ack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	u32 count, now;
	int ack_limit;

	/* Per-connection throttle comes first. */
	if (__tcp_oow_rate_limited(net, LINUX_MIB_TCPACKSKIPPEDCHALLENGE,
				   &tp->last_oow_ack_time))
		return;
	ack_limit = READ_ONCE(net->ipv4.sysctl_tcp_challenge_ack_limit);
	if (ack_limit == INT_MAX)
		goto send_ack;
	/* Then the stack-wide per-second budget (RFC 5961 7). */
	now = tcp_now_s(net);
	if (now != READ_ONCE(net->ipv4.tcp_challenge_timestamp)) {
		u32 half = ((u32)ack_limit + 1) >> 1;

		WRITE_ONCE(net->ipv4.tcp_challenge_timestamp, now);
		WRITE_ONCE(net->ipv4.tcp_challenge_count,
			   ack_limit > 0 ?
				   half + net_random_u32(net) % (u32)ack_limit :
				   0);
	}
	count = READ_ONCE(net->ipv4.tcp_challenge_count);
	if (count > 0) {
		WRITE_ONCE(net->ipv4.tcp_challenge_count, count - 1);
send_ack:
		NET_INC_STATS(net, LINUX_MIB_TCPCHALLENGEACK);
		tcp_send_ack(sk);
	}
}

/* --- receiver MSS, quick ACKs, delayed-ACK timing ------------------------- */

/**
 * tcp_initialize_rcv_mss - first guess of the peer's segment size (for
 * delayed ACKs) until segments arrive: min(advmss, mss_cache, rcv_wnd/2,
 * 536), at least 88 (Linux's). Context: socket locked.
 */
void tcp_initialize_rcv_mss(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	unsigned int hint = min_t(unsigned int, tp->advmss, tp->mss_cache);

	hint = min(hint, tp->rcv_wnd / 2);
	hint = min(hint, TCP_MSS_DEFAULT);
	hint = max(hint, TCP_MIN_MSS);
	inet_csk(sk)->icsk_ack.rcv_mss = (u16)hint;
}

/* Adapt rcv_mss to the segments the peer sends (Linux's
 * tcp_measure_rcv_mss); small pushed segments mark ICSK_ACK_PUSHED. */
static void tcp_measure_rcv_mss(struct sock *sk, const struct sk_buff *skb,
				u32 len)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	const unsigned int lss = icsk->icsk_ack.last_seg_size;
	u32 gso = skb_shinfo(skb)->gso_size;

	icsk->icsk_ack.last_seg_size = 0;
	if (gso && gso < len)
		len = gso;
	if (len >= icsk->icsk_ack.rcv_mss) {
		icsk->icsk_ack.rcv_mss =
			(u16)min_t(unsigned int, len, tcp_sk(sk)->advmss);
		return;
	}
	/* The header length varies with the SACK blocks carried, so estimate
	 * the payload size from what is left once the usual option bytes are
	 * removed. */
	len += tcp_sk(sk)->tcp_header_len;
	if (len >= TCP_MSS_DEFAULT + sizeof(struct sl_tcphdr) ||
	    (len >= TCP_MIN_MSS + sizeof(struct sl_tcphdr) &&
	     !(TCP_SKB_CB(skb)->tcp_flags & TCP_REMNANT))) {
		len -= tcp_sk(sk)->tcp_header_len;
		icsk->icsk_ack.last_seg_size = (u16)len;
		if (len == lss) {
			icsk->icsk_ack.rcv_mss = (u16)len;
			return;
		}
	}
	if (icsk->icsk_ack.pending & ICSK_ACK_PUSHED)
		icsk->icsk_ack.pending |= ICSK_ACK_PUSHED2;
	icsk->icsk_ack.pending |= ICSK_ACK_PUSHED;
}

static void tcp_incr_quickack(struct sock *sk, unsigned int max_quickacks)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	unsigned int quickacks;

	quickacks = tcp_sk(sk)->rcv_wnd / (2 * icsk->icsk_ack.rcv_mss);
	if (quickacks == 0)
		quickacks = 2;
	quickacks = min(quickacks, max_quickacks);
	if (quickacks > icsk->icsk_ack.quick)
		icsk->icsk_ack.quick = (u8)quickacks;
}

/**
 * tcp_enter_quickack_mode - ACK the next @max_quickacks segments at once
 * (Linux's: leaves interactive mode, ato back to its minimum).
 */
void tcp_enter_quickack_mode(struct sock *sk, unsigned int max_quickacks)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	tcp_incr_quickack(sk, max_quickacks);
	icsk->icsk_ack.pingpong = 0;
	icsk->icsk_ack.ato = TCP_ATO_MIN;
}

static bool tcp_in_quickack_mode(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	return icsk->icsk_ack.quick && !inet_csk_in_pingpong_mode(sk);
}

/* --- receiver RTT and buffer autotuning (Linux's DRS) --------------------- */

static void tcp_rcv_rtt_update(struct tcp_sock *tp, u32 sample, int win_dep)
{
	u32 new_sample = tp->rcv_rtt_est.rtt_us;
	long m = sample;

	if (new_sample != 0) {
		/* Without timestamps one sample spans a whole window and
		 * overstates the RTT, so keep the smallest of those; timestamp
		 * samples are per segment and can be smoothed with an EWMA. */
		if (!win_dep) {
			m -= (new_sample >> 3);
			new_sample = (u32)((long)new_sample + m);
		} else {
			m <<= 3;
			if (m < (long)new_sample)
				new_sample = (u32)m;
		}
	} else {
		/* First sample: adopt it as is. */
		new_sample = (u32)(m << 3);
	}
	tp->rcv_rtt_est.rtt_us = new_sample;
}

/* One receive window's worth of data arrived: a per-window RTT sample. */
static void tcp_rcv_rtt_measure(struct tcp_sock *tp)
{
	u64 delta_us;

	if (tp->rcv_rtt_est.time == 0)
		goto new_measure;
	if (before(tp->rcv_nxt, tp->rcv_rtt_est.seq))
		return;
	delta_us = tcp_stamp_us_delta(tp->tcp_mstamp, tp->rcv_rtt_est.time);
	if (!delta_us)
		delta_us = 1;
	tcp_rcv_rtt_update(tp, (u32)min_t(u64, delta_us, UINT_MAX >> 4), 1);
new_measure:
	tp->rcv_rtt_est.seq = tp->rcv_nxt + tp->rcv_wnd;
	tp->rcv_rtt_est.time = tp->tcp_mstamp;
}

/* RTT sample from the timestamp echo, in us (1 ms TS clock); -1 if none. */
static s32 tcp_rtt_tsopt_us(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 delta = tcp_now_ms(sk) - tp->rx_opt.rcv_tsecr;

	if (delta < INT_MAX / 1000) {
		if (!delta)
			delta = 1;
		return (s32)(delta * 1000);
	}
	return -1;
}

static void tcp_rcv_rtt_measure_ts(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->rx_opt.saw_tstamp || !tp->rx_opt.rcv_tsecr ||
	    tp->rx_opt.rcv_tsecr == tp->rcv_rtt_last_tsecr)
		return;
	tp->rcv_rtt_last_tsecr = tp->rx_opt.rcv_tsecr;
	if (TCP_SKB_CB(skb)->end_seq - TCP_SKB_CB(skb)->seq >=
	    inet_csk(sk)->icsk_ack.rcv_mss) {
		s32 delta = tcp_rtt_tsopt_us(sk);

		if (delta >= 0)
			tcp_rcv_rtt_update(tp, (u32)delta, 0);
	}
}

/**
 * tcp_rcv_space_adjust - receive-buffer autotuning (Linux's dynamic
 * right-sizing): once per receiver RTT, if the reader copied more than
 * last time, grow sk_rcvbuf (up to tcp_rmem[2], unless SO_RCVBUF locked
 * it) to hold twice what was copied plus the growth. Called by recvmsg
 * (io). Context: socket owned.
 */
void tcp_rcv_space_adjust(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	u64 time;
	u32 copied;

	tcp_mstamp_refresh(tp);
	time = tcp_stamp_us_delta(tp->tcp_mstamp, tp->rcvq_space.time);
	if (time < (tp->rcv_rtt_est.rtt_us >> 3) || tp->rcv_rtt_est.rtt_us == 0)
		return;
	/* bytes the reader consumed during the last receiver RTT */
	copied = tp->copied_seq - tp->rcvq_space.seq;
	if (copied <= tp->rcvq_space.space)
		goto new_measure;
	if (READ_ONCE(net->ipv4.sysctl_tcp_moderate_rcvbuf) &&
	    !(sk->sk_userlocks & SOCK_RCVBUF_LOCK) && tp->rcvq_space.space) {
		u64 rcvwin, grow;
		int rcvbuf;

		/* Room for two RTTs of reading, so a lost segment does not
		 * stall the sender while we wait for its retransmission. */
		rcvwin = ((u64)copied << 1) + 16 * (u64)tp->advmss;
		/* The sender may still be speeding up (slow start): add the
		 * growth seen since the previous round. */
		grow = rcvwin * (copied - tp->rcvq_space.space);
		grow /= tp->rcvq_space.space;
		rcvwin += (grow << 1);
		rcvwin = min_t(u64, rcvwin, INT_MAX / 2);
		rcvbuf = min_t(s64, tcp_space_from_win(sk, (int)rcvwin),
			       READ_ONCE(net->ipv4.sysctl_tcp_rmem[2]));
		if (rcvbuf > sk->sk_rcvbuf) {
			WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
			/* Let the largest window we may offer grow with the
			 * buffer. */
			tp->window_clamp = (u32)tcp_win_from_space(sk, rcvbuf);
		}
	}
	tp->rcvq_space.space = copied;
new_measure:
	tp->rcvq_space.seq = tp->copied_seq;
	tp->rcvq_space.time = tp->tcp_mstamp;
}

/* Grow rcv_ssthresh (the advertised window) when segments use the buffer
 * well (Linux's tcp_grow_window; RFC 1122 4.2.3.3 receiver SWS is in
 * __tcp_select_window). */
static int __tcp_grow_window(const struct sock *sk, u32 truesize, u32 len)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int tsz = tcp_win_from_space(sk, (int)truesize) >> 1;
	int window = tcp_win_from_space(
			     sk, READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2])) >>
		     1;

	while (tp->rcv_ssthresh <= (u32)window) {
		if (tsz <= (int)len)
			return 2 * inet_csk(sk)->icsk_ack.rcv_mss;
		tsz >>= 1;
		window >>= 1;
	}
	return 0;
}

static void tcp_grow_window(struct sock *sk, u32 truesize, u32 len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int room, incr;

	room = min_t(int, (int)tp->window_clamp, tcp_space(sk)) -
	       (int)tp->rcv_ssthresh;
	if (room <= 0)
		return;
	if (tcp_win_from_space(sk, (int)truesize) <= (int)len)
		incr = 2 * (int)tp->advmss;
	else
		incr = __tcp_grow_window(sk, truesize, len);
	if (incr) {
		incr = max_t(int, incr, 2 * (int)len);
		tp->rcv_ssthresh += (u32)min(room, incr);
		inet_csk(sk)->icsk_ack.quick |= 1;
	}
}

/* Send-buffer growth to twice cwnd (or reordering) segments, sized in
 * Linux's per-segment footprint (Linux's tcp_sndbuf_expand). */
static void tcp_sndbuf_expand(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 per_mss, nr_segs, pow = 1;
	int sndmem;

	per_mss = max_t(u32, tp->rx_opt.mss_clamp, tp->mss_cache) +
		  TCP_LINUX_MAX_HEADER + TCP_LINUX_SHINFO;
	while (pow < per_mss)
		pow <<= 1;
	per_mss = pow + TCP_LINUX_SKB;
	nr_segs = max_t(u32, TCP_INIT_CWND, tcp_snd_cwnd(tp));
	nr_segs = max_t(u32, nr_segs, tp->reordering + 1);
	sndmem = (int)min_t(u64, 2ULL * nr_segs * per_mss, INT_MAX);
	if (sk->sk_sndbuf < sndmem)
		WRITE_ONCE(sk->sk_sndbuf,
			   min(sndmem, READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_wmem[2])));
}

/**
 * tcp_init_buffer_space - at connection start: send buffer sized for the
 * initial window, the autotuning baseline, window_clamp and rcv_ssthresh
 * within the receive buffer (Linux's, with tcp_app_win). Context: locked.
 */
void tcp_init_buffer_space(struct sock *sk)
{
	int tcp_app_win = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_app_win);
	struct tcp_sock *tp = tcp_sk(sk);
	u32 maxwin;

	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK))
		tcp_sndbuf_expand(sk);
	tcp_mstamp_refresh(tp);
	tp->rcvq_space.time = tp->tcp_mstamp;
	tp->rcvq_space.seq = tp->copied_seq;
	maxwin = (u32)tcp_full_space(sk);
	if (tp->window_clamp >= maxwin) {
		tp->window_clamp = maxwin;
		if (tcp_app_win && maxwin > 4 * tp->advmss)
			tp->window_clamp = max(maxwin - (maxwin >> tcp_app_win),
					       4 * tp->advmss);
	}
	/* The buffer must hold at least one full segment. */
	if (tcp_app_win && tp->window_clamp > 2 * tp->advmss &&
	    tp->window_clamp + tp->advmss > maxwin)
		tp->window_clamp = max(2 * tp->advmss, maxwin - tp->advmss);
	tp->rcv_ssthresh = min(tp->rcv_ssthresh, tp->window_clamp);
	tp->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	tp->rcvq_space.space = min(min(tp->rcv_ssthresh, tp->rcv_wnd),
				   (u32)TCP_INIT_CWND * tp->advmss);
}

static bool tcp_should_expand_sndbuf(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	/* SO_SNDBUF fixed the size: leave it alone. */
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return false;
	/* A full cwnd means the network, not the buffer, is the limit; growing
	 * the buffer would not help. */
	if (tcp_packets_in_flight(tp) >= tcp_snd_cwnd(tp))
		return false;
	return true;
}

static void tcp_new_space(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tcp_should_expand_sndbuf(sk)) {
		tcp_sndbuf_expand(sk);
		tp->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	}
	sk->sk_write_space(sk);
}

/**
 * tcp_check_space - after acked data left the send queue: grow the send
 * buffer (tcp_wmem[2] at most) and wake writers that found it full
 * (SOCK_NOSPACE). Context: socket locked.
 */
void tcp_check_space(struct sock *sk)
{
	if (!sock_flag(sk, SOCK_QUEUE_SHRUNK))
		return;
	sock_reset_flag(sk, SOCK_QUEUE_SHRUNK);
	if (sk->sk_socket &&
	    (READ_ONCE(sk->sk_socket->flags) & (1UL << SOCK_NOSPACE))) {
		tcp_new_space(sk);
		if (!(READ_ONCE(sk->sk_socket->flags) & (1UL << SOCK_NOSPACE)))
			tcp_chrono_stop(sk, TCP_CHRONO_SNDBUF_LIMITED);
	}
}

/* Data arrived (in order or not): schedule an ACK, learn rcv_mss and the
 * receiver RTT, estimate ato (Linux's tcp_event_data_recv). */
static void tcp_event_data_recv(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	u32 now;

	inet_csk_schedule_ack(sk);
	tcp_measure_rcv_mss(sk, skb, len);
	tcp_rcv_rtt_measure(tp);
	now = tcp_now_ms(sk);
	if (!icsk->icsk_ack.ato) {
		/* First payload on this connection: start delayed-ACK timing
		 * from scratch. */
		tcp_incr_quickack(sk, TCP_MAX_QUICKACKS);
		icsk->icsk_ack.ato = TCP_ATO_MIN;
	} else {
		u32 m = (now - icsk->icsk_ack.lrcvtime) * 1000U;

		if (m <= TCP_ATO_MIN / 2) {
			/* Gap under ato/2: segments come quickly, shrink ato
			 * toward the gap. */
			icsk->icsk_ack.ato = (icsk->icsk_ack.ato >> 1) +
					     TCP_ATO_MIN / 2;
		} else if (m < icsk->icsk_ack.ato) {
			icsk->icsk_ack.ato = (icsk->icsk_ack.ato >> 1) + m;
			if (icsk->icsk_ack.ato > icsk->icsk_rto)
				icsk->icsk_ack.ato = icsk->icsk_rto;
		} else if (m > icsk->icsk_rto) {
			/* A gap longer than the RTO suggests the sender
			 * restarted from idle; ACK promptly so its window
			 * reopens fast. */
			tcp_incr_quickack(sk, TCP_MAX_QUICKACKS);
		}
	}
	icsk->icsk_ack.lrcvtime = now;
	if (len >= 128)
		tcp_grow_window(sk, skb->truesize, len);
}

/* --- RTT estimation and the retransmission timer (RFC 6298) -------------- */

/*
 * RFC 6298 2.2/2.3 in Linux's form: srtt_us holds 8*SRTT, mdev_us 4*mdev;
 * RTTVAR follows the largest mdev seen in the last RTT (mdev_max_us) and
 * never drops below tcp_rto_min, so RTO = SRTT + RTTVAR >= SRTT + 200 ms.
 */
static void tcp_rtt_estimator(struct sock *sk, long mrtt_us)
{
	struct tcp_sock *tp = tcp_sk(sk);
	long m = mrtt_us; /* the new sample, us */
	u32 srtt = tp->srtt_us;

	if (srtt != 0) {
		m -= (srtt >> 3);           /* m = sample - SRTT */
		srtt = (u32)((long)srtt + m); /* SRTT += err/8 */
		if (m < 0) {
			m = -m;             /* m = |err| */
			m -= (tp->mdev_us >> 2); /* |err| - mdev/4 */
			/* Linux: a decreasing RTT must not inflate mdev as
			 * much (the Eifel "RTO jump" problem). */
			if (m > 0)
				m >>= 3;
		} else {
			m -= (tp->mdev_us >> 2); /* err - mdev/4 */
		}
		tp->mdev_us = (u32)((long)tp->mdev_us + m); /* mdev += that */
		if (tp->mdev_us > tp->mdev_max_us) {
			tp->mdev_max_us = tp->mdev_us;
			if (tp->mdev_max_us > tp->rttvar_us)
				tp->rttvar_us = tp->mdev_max_us;
		}
		if (after(tp->snd_una, tp->rtt_seq)) {
			if (tp->mdev_max_us < tp->rttvar_us)
				tp->rttvar_us -= (tp->rttvar_us - tp->mdev_max_us) >> 2;
			tp->rtt_seq = tp->snd_nxt;
			tp->mdev_max_us = tcp_rto_min_us(sk);
		}
	} else {
		/* RFC 6298 2.2: no previous measure. */
		srtt = (u32)(m << 3);   /* SRTT = R (stored scaled by 8) */
		tp->mdev_us = (u32)(m << 1); /* RTO = 3R */
		tp->rttvar_us = max(tp->mdev_us, tcp_rto_min_us(sk));
		tp->mdev_max_us = tp->rttvar_us;
		tp->rtt_seq = tp->snd_nxt;
	}
	tp->srtt_us = max(1U, srtt);
}

/**
 * tcp_set_rto - RTO = SRTT + RTTVAR (RFC 6298 2.3, Linux's form: RTTVAR
 * already holds 4*mdev and at least rto_min), at most TCP_RTO_MAX (RFC
 * 6298 2.5 allows a maximum; Linux's is 120 s).
 */
void tcp_set_rto(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 rto = (tp->srtt_us >> 3) + tp->rttvar_us;

	inet_csk(sk)->icsk_rto = min(rto, TCP_RTO_MAX);
}

/* Windowed minimum RTT (tcp_min_rtt_wlen seconds), one-sample form. */
static void tcp_update_rtt_min(struct sock *sk, u32 rtt_us, int flag)
{
	struct tcp_sock *tp = tcp_sk(sk);
	/* ms, as Linux's minmax runs on jiffies */
	u32 wlen = (u32)READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_min_rtt_wlen) *
		   1000U;
	u32 now = (u32)(tp->tcp_mstamp / 1000);

	if ((flag & FLAG_ACK_MAYBE_DELAYED) && rtt_us > tcp_min_rtt(tp))
		return;
	if (!rtt_us)
		rtt_us = 1;
	if (rtt_us <= tcp_min_rtt(tp) || now - tp->rtt_min.stamp > wlen) {
		tp->rtt_min.rtt_us = rtt_us;
		tp->rtt_min.stamp = now;
	}
}

/*
 * An RTT sample from this ACK (Linux's tcp_ack_update_rtt): from a
 * never-retransmitted segment (Karn's rule, RFC 6298 3), else from a SACK,
 * else from the timestamp echo (RFC 7323 4.1: only when new data is
 * acknowledged). A valid sample clears the backoff (RFC 6298 5.7).
 */
static bool tcp_ack_update_rtt(struct sock *sk, int flag, long seq_rtt_us,
			       long sack_rtt_us, long ca_rtt_us,
			       struct rate_sample *rs)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (seq_rtt_us < 0)
		seq_rtt_us = sack_rtt_us;
	if (seq_rtt_us < 0 && tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr &&
	    (flag & FLAG_ACKED))
		seq_rtt_us = ca_rtt_us = tcp_rtt_tsopt_us(sk);
	rs->rtt_us = ca_rtt_us;
	if (seq_rtt_us < 0)
		return false;
	tcp_update_rtt_min(sk, (u32)ca_rtt_us, flag);
	tcp_rtt_estimator(sk, seq_rtt_us);
	tcp_set_rto(sk);
	/* RFC 6298 5.7: the backoff is cleared only by a trustworthy sample. */
	inet_csk(sk)->icsk_backoff = 0;
	return true;
}

/**
 * tcp_rto_delta_us - us until the head segment's RTO expires, measured
 * from its send time (negative when overdue); icsk_rto if nothing is
 * queued.
 */
s64 tcp_rto_delta_us(const struct sock *sk)
{
	const struct sk_buff *skb = tcp_rtx_queue_head(sk);
	u32 rto = inet_csk(sk)->icsk_rto;

	if (!skb)
		return rto;
	return (s64)(tcp_skb_timestamp_us(skb) + rto) -
	       (s64)tcp_sk(sk)->tcp_mstamp;
}

/**
 * tcp_rearm_rto - RFC 6298 5.1/5.2: stop the timer when nothing is
 * outstanding, else (re)start it for RTO (from the head's send time when a
 * TLP or RACK timer had replaced it).
 */
void tcp_rearm_rto(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->packets_out) {
		inet_csk_clear_xmit_timer(sk, ICSK_TIME_RETRANS);
	} else {
		u64 rto = icsk->icsk_rto;

		if (icsk->icsk_pending == ICSK_TIME_REO_TIMEOUT ||
		    icsk->icsk_pending == ICSK_TIME_LOSS_PROBE) {
			s64 delta_us = tcp_rto_delta_us(sk);

			/* The head may already be overdue when the timer fired
			 * while the socket was owned and got deferred; fire
			 * again right away. */
			rto = (u64)max_t(s64, delta_us, 1);
		}
		tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, rto, TCP_RTO_MAX);
	}
}

/**
 * tcp_set_xmit_timer - after an ACK: a tail loss probe if one may be
 * scheduled (RFC 8985 7.2), else the RTO.
 */
void tcp_set_xmit_timer(struct sock *sk)
{
	if (!tcp_schedule_loss_probe(sk, true))
		tcp_rearm_rto(sk);
}

/* --- the scoreboard: lost, SACKed, retransmitted segments ----------------- */

struct tcp_sacktag_state {
	u64 first_sackt;         /* us: send time of the first newly SACKed */
	u64 last_sackt;
	u32 reord;               /* lowest newly SACKed never-retransmitted seq */
	u32 sack_delivered;
	int flag;
	unsigned int mss_now;
	struct rate_sample *rate;
};

static inline bool tcp_is_rack(const struct sock *sk)
{
	return READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_recovery) &
	       TCP_RACK_LOSS_DETECTION;
}

/* Right edge of the highest SACKed segment (snd_una without SACKs). */
static inline u32 tcp_highest_sack_seq(const struct tcp_sock *tp)
{
	if (!tp->sacked_out)
		return tp->snd_una;
	return tp->xfer->highest_sack_end;
}

static inline unsigned int tcp_skb_mss(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->gso_size ? skb_shinfo(skb)->gso_size : skb->len;
}

static inline void tcp_count_delivered(struct tcp_sock *tp, u32 delivered)
{
	tp->delivered += delivered;
}

/**
 * tcp_mark_skb_lost - mark a sent segment lost (not when SACKed); a lost
 * retransmission loses its SACKED_RETRANS mark (TCPLostRetransmit).
 * Context: socket locked; @skb stays on the rtx queue.
 */
void tcp_mark_skb_lost(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u8 sacked = TCP_SKB_CB(skb)->sacked;
	u32 pcount = (u32)tcp_skb_pcount(skb);

	if (sacked & TCPCB_SACKED_ACKED)
		return;
	if (sacked & TCPCB_LOST) {
		if (sacked & TCPCB_SACKED_RETRANS) {
			/* The retransmission itself was lost: it no longer
			 * counts in flight. */
			TCP_SKB_CB(skb)->sacked &= (u8)~TCPCB_SACKED_RETRANS;
			tp->retrans_out -= pcount;
			NET_ADD_STATS(sock_net(sk), LINUX_MIB_TCPLOSTRETRANSMIT,
				      pcount);
			tp->lost += pcount;
		}
	} else {
		tp->lost_out += pcount;
		TCP_SKB_CB(skb)->sacked |= TCPCB_LOST;
		tp->lost += pcount;
	}
}

/**
 * tcp_clear_retrans - forget the recovery scoreboard counts (connection
 * start, disconnect).
 */
void tcp_clear_retrans(struct tcp_sock *tp)
{
	tp->retrans_out = 0;
	tp->lost_out = 0;
	tp->undo_marker = 0;
	tp->undo_retrans = -1;
	tp->sacked_out = 0;
	if (tcp_xfer_active(tp))
		tp->xfer->highest_sack_end = tp->snd_una;
}

static void tcp_init_undo(struct tcp_sock *tp)
{
	tp->undo_marker = tp->snd_una;
	/* Remember the resent segments: D-SACKs for them may still come back
	 * and prove the retransmissions unnecessary. */
	tp->undo_retrans = (int)tp->retrans_out;
	if (tp->xfer->tlp_high_seq && tp->xfer->tlp_retrans)
		tp->undo_retrans++;
	if (!tp->undo_retrans)
		tp->undo_retrans = -1;
}

/* ssthresh to restore on undo: the current one, or 3/4 of cwnd outside a
 * reduction (Linux's tcp_current_ssthresh). */
static u32 tcp_current_ssthresh(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (tcp_in_cwnd_reduction(sk))
		return tp->snd_ssthresh;
	return max(tp->snd_ssthresh,
		   (tcp_snd_cwnd(tp) >> 1) + (tcp_snd_cwnd(tp) >> 2));
}

static inline void tcp_reset_reno_sack(struct tcp_sock *tp)
{
	tp->sacked_out = 0;
}

/* NewReno: dupACKs stand in for SACKed segments; more of them than the
 * flight leaves holes for is reordering (TCPRenoReorder). */
static bool tcp_limit_reno_sacked(struct tcp_sock *tp)
{
	u32 holes = max(tp->lost_out, 1U);

	holes = min(holes, tp->packets_out);
	if (tp->sacked_out + holes > tp->packets_out) {
		tp->sacked_out = tp->packets_out - holes;
		return true;
	}
	return false;
}

static void tcp_check_reno_reordering(struct sock *sk, u32 addend)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_limit_reno_sacked(tp))
		return;
	tp->reordering = min_t(u32, tp->packets_out + addend,
			       (u32)READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_max_reordering));
	tp->reord_seen++;
	NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPRENOREORDER);
}

static void tcp_add_reno_sack(struct sock *sk, int num_dupack)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 prior_sacked = tp->sacked_out;
	s32 delivered;

	if (!num_dupack)
		return;
	tp->sacked_out += (u32)num_dupack;
	tcp_check_reno_reordering(sk, 0);
	delivered = (s32)(tp->sacked_out - prior_sacked);
	if (delivered > 0)
		tcp_count_delivered(tp, (u32)delivered);
}

static void tcp_remove_reno_sacks(struct sock *sk, int acked)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (acked > 0) {
		tcp_count_delivered(tp, (u32)max_t(int, acked - (int)tp->sacked_out, 1));
		if ((u32)acked - 1 >= tp->sacked_out)
			tp->sacked_out = 0;
		else
			tp->sacked_out -= (u32)acked - 1;
	}
	tcp_check_reno_reordering(sk, (u32)acked);
}

/* RFC 4737-style reordering degree from SACKs (Linux's
 * tcp_check_sack_reordering): TCPSACKReorder / TCPTSReorder. */
static void tcp_check_sack_reordering(struct sock *sk, u32 low_seq, int ts)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const u32 mss = tp->mss_cache;
	u32 fack, metric;

	fack = tcp_highest_sack_seq(tp);
	if (!before(low_seq, fack))
		return;
	metric = fack - low_seq;
	if (metric > tp->reordering * mss && mss) {
		tp->reordering = min_t(u32, (metric + mss - 1) / mss,
				       (u32)READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_max_reordering));
	}
	/* Count how often reordering was detected
	 * (TCPSACKReorder/TCPTSReorder). */
	tp->reord_seen++;
	NET_INC_STATS(sock_net(sk),
		      ts ? LINUX_MIB_TCPTSREORDER : LINUX_MIB_TCPSACKREORDER);
}

/* RTO: every segment sent too long ago counts lost (all of them after
 * SACK reneging), as Linux's tcp_timeout_mark_lost. */
static void tcp_timeout_mark_lost(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb, *head = tcp_rtx_queue_head(sk);
	bool is_reneg; /* peer dropped SACKed data? */

	is_reneg = head && (TCP_SKB_CB(head)->sacked & TCPCB_SACKED_ACKED);
	if (is_reneg) {
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPSACKRENEGING);
		tp->sacked_out = 0;
		/* Keep treating SACK info as unreliable for this whole loss
		 * episode. */
		tp->is_sack_reneg = 1;
	} else if (tcp_is_reno(tp)) {
		tcp_reset_reno_sack(tp);
	}
	skb_queue_walk(&tp->xfer->tcp_rtx_queue, skb) {
		if (is_reneg)
			TCP_SKB_CB(skb)->sacked &= (u8)~TCPCB_SACKED_ACKED;
		else if (skb != head && tcp_rack_skb_timeout(tp, skb, 0) > 0)
			continue; /* too recent to call lost */
		tcp_mark_skb_lost(sk, skb);
	}
}

/**
 * tcp_enter_loss - the RTO expired (RFC 6298 5.5, RFC 5681 3.1 eq. 4):
 * ssthresh from the congestion control (once per window), cwnd = in
 * flight + 1, segments marked lost, CA_Loss, undo state recorded and
 * F-RTO (RFC 5682, tcp_frto) armed. Called by tcp_retransmit_timer.
 */
void tcp_enter_loss(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	bool new_recovery = icsk->icsk_ca_state < TCP_CA_Recovery;
	u32 reordering;

	tcp_timeout_mark_lost(sk);
	/* Only one ssthresh reduction per window of data (RFC 5681 3.1): skip
	 * it if a recovery in this window already lowered it. */
	if (icsk->icsk_ca_state <= TCP_CA_Disorder ||
	    !after(tp->high_seq, tp->snd_una) ||
	    (icsk->icsk_ca_state == TCP_CA_Loss && !icsk->icsk_retransmits)) {
		tp->prior_ssthresh = tcp_current_ssthresh(sk);
		tp->prior_cwnd = tcp_snd_cwnd(tp);
		tp->snd_ssthresh = icsk->icsk_ca_ops->ssthresh(sk);
		tcp_ca_event(sk, CA_EVENT_LOSS);
		tcp_init_undo(tp);
	}
	tcp_snd_cwnd_set(tp, tcp_packets_in_flight(tp) + 1);
	tp->snd_cwnd_cnt = 0;
	tp->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	/* An RTO while dupACKs were piling up in Disorder means the reordering
	 * estimate kept us from a fast retransmit: shrink it back. */
	reordering = (u32)READ_ONCE(net->ipv4.sysctl_tcp_reordering);
	if (icsk->icsk_ca_state <= TCP_CA_Disorder && tp->sacked_out >= reordering)
		tp->reordering = min(tp->reordering, reordering);
	tcp_set_ca_state(sk, TCP_CA_Loss);
	tp->high_seq = tp->snd_nxt;
	tp->xfer->tlp_high_seq = 0;
	/* F-RTO (RFC 5682 3.1, first step) is armed only when no other recovery
	 * is in progress, except repeated RTOs for the same SND.UNA (RFC 5682
	 * 3.2). */
	tp->frto = READ_ONCE(net->ipv4.sysctl_tcp_frto) &&
		   (new_recovery || icsk->icsk_retransmits);
}

/* PRR and recovery entry (RFC 6937, RFC 6675 5). */
static void tcp_init_cwnd_reduction(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->high_seq = tp->snd_nxt;
	tp->xfer->tlp_high_seq = 0;
	tp->snd_cwnd_cnt = 0;
	tp->prior_cwnd = tcp_snd_cwnd(tp);
	tp->xfer->prr_delivered = 0;
	tp->xfer->prr_out = 0;
	tp->snd_ssthresh = inet_csk(sk)->icsk_ca_ops->ssthresh(sk);
}

/**
 * tcp_cwnd_reduction - RFC 6937 PRR: the segments this ACK lets us send
 * during recovery become cwnd = pipe + sndcnt. Proportional while pipe is
 * above ssthresh; slow-start reduction bound (PRR-SSRB, as Linux) below.
 * At least one segment goes on entering recovery (the fast retransmit).
 */
void tcp_cwnd_reduction(struct sock *sk, int newly_acked_sacked,
			int newly_lost, int flag)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int sndcnt = 0;
	int delta = (int)tp->snd_ssthresh - (int)tcp_packets_in_flight(tp);

	if (newly_acked_sacked <= 0 || !tp->prior_cwnd)
		return;
	tp->xfer->prr_delivered += (u32)newly_acked_sacked;
	if (delta < 0) {
		u64 dividend = (u64)tp->snd_ssthresh * tp->xfer->prr_delivered +
			       tp->prior_cwnd - 1;

		sndcnt = (int)(dividend / tp->prior_cwnd) - (int)tp->xfer->prr_out;
	} else {
		sndcnt = max_t(int, (int)tp->xfer->prr_delivered - (int)tp->xfer->prr_out,
			       newly_acked_sacked);
		if ((flag & FLAG_SND_UNA_ADVANCED) && !newly_lost)
			sndcnt++;
		sndcnt = min(delta, sndcnt);
	}
	/* On entry to recovery at least one segment (the fast retransmit) must
	 * go out. */
	sndcnt = max(sndcnt, (tp->xfer->prr_out ? 0 : 1));
	tcp_snd_cwnd_set(tp, tcp_packets_in_flight(tp) + (u32)sndcnt);
}

static void tcp_end_cwnd_reduction(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (inet_csk(sk)->icsk_ca_ops->cong_control)
		return;
	/* Leaving CWR or Recovery without undo: settle cwnd at the reduced
	 * ssthresh. */
	if (tp->snd_ssthresh < TCP_INFINITE_SSTHRESH &&
	    (inet_csk(sk)->icsk_ca_state == TCP_CA_CWR || tp->undo_marker)) {
		tcp_snd_cwnd_set(tp, tp->snd_ssthresh);
		tp->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	}
	tcp_ca_event(sk, CA_EVENT_COMPLETE_CWR);
}

/**
 * tcp_enter_recovery - start fast recovery (RFC 6675 5 / RFC 6582 3.2
 * step 2): TCPSackRecovery or TCPRenoRecovery, undo state, ssthresh from
 * the congestion control, PRR reset, CA_Recovery.
 */
void tcp_enter_recovery(struct sock *sk, bool ece_ack)
{
	struct tcp_sock *tp = tcp_sk(sk);

	NET_INC_STATS(sock_net(sk), tcp_is_reno(tp) ?
					    LINUX_MIB_TCPRENORECOVERY :
					    LINUX_MIB_TCPSACKRECOVERY);
	tp->prior_ssthresh = 0;
	tcp_init_undo(tp);
	if (!tcp_in_cwnd_reduction(sk)) {
		if (!ece_ack)
			tp->prior_ssthresh = tcp_current_ssthresh(sk);
		tcp_init_cwnd_reduction(sk);
	}
	tcp_set_ca_state(sk, TCP_CA_Recovery);
}

/* --- undo (Linux's Eifel-like detection of spurious retransmissions) ----- */

static bool tcp_any_retrans_done(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct sk_buff *skb;

	if (tp->retrans_out)
		return true;
	skb = tcp_rtx_queue_head(sk);
	return skb && (TCP_SKB_CB(skb)->sacked & TCPCB_EVER_RETRANS);
}

/* The ACK echoes a timestamp older than our first retransmission: the
 * original arrived (RFC 7323 / Eifel idea). */
static bool tcp_packet_delayed(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (tp->retrans_stamp && tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr &&
	    before(tp->rx_opt.rcv_tsecr, tp->retrans_stamp))
		return true;
	/* retrans_stamp is 0 when nothing was resent, as can happen in fast
	 * recovery. SYN_SENT never gets here with 0, since FLAG_SYN_ACKED
	 * clears it first. */
	if (!tp->retrans_stamp && sk->sk_state != TCP_SYN_SENT)
		return true;
	return false;
}

static bool tcp_may_undo(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return tp->undo_marker && (!tp->undo_retrans || tcp_packet_delayed(sk));
}

static void tcp_undo_cwnd_reduction(struct sock *sk, bool unmark_loss)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (unmark_loss) {
		struct sk_buff *skb;

		skb_queue_walk(&tp->xfer->tcp_rtx_queue, skb)
			TCP_SKB_CB(skb)->sacked &= (u8)~TCPCB_LOST;
		tp->lost_out = 0;
	}
	if (tp->prior_ssthresh) {
		const struct inet_connection_sock *icsk = inet_csk(sk);

		tcp_snd_cwnd_set(tp, icsk->icsk_ca_ops->undo_cwnd(sk));
		if (tp->prior_ssthresh > tp->snd_ssthresh)
			tp->snd_ssthresh = tp->prior_ssthresh;
	}
	tp->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	tp->undo_marker = 0;
	/* Have RACK look at every segment again after the undo; skipped when
	 * nothing is left in flight (a late D-SACK can undo after all data was
	 * acked). */
	if (tcp_xfer_active(tp))
		tp->xfer->rack.advanced = 1;
}

static bool tcp_is_non_sack_preventing_reopen(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->snd_una == tp->high_seq && tcp_is_reno(tp)) {
		/* Without SACK, stay in recovery until an ACK moves past
		 * high_seq, so that later duplicate ACKs for the same window do
		 * not retrigger it (RFC 6582 3.2 step 4; RFC 6582 4.1 explains
		 * the false fast retransmits this avoids). */
		if (!tcp_any_retrans_done(sk))
			tp->retrans_stamp = 0;
		return true;
	}
	return false;
}

/* Recovery is over: undo the reduction if it proved spurious. */
static bool tcp_try_undo_recovery(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tcp_may_undo(sk)) {
		/* Either nothing was resent or the originals got there: the
		 * reduction was unneeded. */
		tcp_undo_cwnd_reduction(sk, false);
		NET_INC_STATS(sock_net(sk),
			      inet_csk(sk)->icsk_ca_state == TCP_CA_Loss ?
				      LINUX_MIB_TCPLOSSUNDO :
				      LINUX_MIB_TCPFULLUNDO);
	} else if (tp->rack.reo_wnd_persist) {
		tp->rack.reo_wnd_persist--;
	}
	if (tcp_is_non_sack_preventing_reopen(sk))
		return true;
	tcp_set_ca_state(sk, TCP_CA_Open);
	tp->is_sack_reneg = 0;
	return false;
}

/* RFC 2883 4 / Linux: every retransmission was D-SACKed: undo. */
static bool tcp_try_undo_dsack(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->undo_marker && !tp->undo_retrans) {
		tp->rack.reo_wnd_persist =
			min(TCP_RACK_RECOVERY_THRESH, tp->rack.reo_wnd_persist + 1) &
			0x1f;
		tcp_undo_cwnd_reduction(sk, false);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPDSACKUNDO);
		return true;
	}
	return false;
}

/* Undo during loss recovery after an RTO (RFC 5682 F-RTO when @frto_undo). */
static bool tcp_try_undo_loss(struct sock *sk, bool frto_undo)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (frto_undo || tcp_may_undo(sk)) {
		tcp_undo_cwnd_reduction(sk, true);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPLOSSUNDO);
		if (frto_undo)
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPSPURIOUSRTOS);
		inet_csk(sk)->icsk_retransmits = 0;
		if (tcp_is_non_sack_preventing_reopen(sk))
			return true;
		if (frto_undo || tcp_is_sack(tp)) {
			tcp_set_ca_state(sk, TCP_CA_Open);
			tp->is_sack_reneg = 0;
		}
		return true;
	}
	return false;
}

static void tcp_try_keep_open(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int state = TCP_CA_Open;

	if (tcp_left_out(tp) || tcp_any_retrans_done(sk))
		state = TCP_CA_Disorder;
	if (inet_csk(sk)->icsk_ca_state != state) {
		tcp_set_ca_state(sk, (u8)state);
		tp->high_seq = tp->snd_nxt;
	}
}

static void tcp_try_to_open(struct sock *sk, int flag)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_any_retrans_done(sk))
		tp->retrans_stamp = 0;
	if (inet_csk(sk)->icsk_ca_state != TCP_CA_CWR)
		tcp_try_keep_open(sk);
}

/* More than reordering segments above snd_una are SACKed (RFC 6675
 * DupThresh in bytes, Linux's tcp_force_fast_retransmit). */
static bool tcp_force_fast_retransmit(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return after(tcp_highest_sack_seq(tp),
		     tp->snd_una + tp->reordering * tp->mss_cache);
}

static bool tcp_try_undo_partial(struct sock *sk, u32 prior_snd_una,
				 bool *do_lost)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->undo_marker && tcp_packet_delayed(sk)) {
		/* The hole closed with the delayed original, not our
		 * retransmission: evidence of reordering. */
		tcp_check_sack_reordering(sk, prior_snd_una, 1);
		/* Reordering is deeper than we assumed. If none of our
		 * retransmissions is still outstanding we can undo; if some
		 * are, keep sending new data but stop marking or resending more
		 * segments. */
		if (tp->retrans_out)
			return true;
		if (!tcp_any_retrans_done(sk))
			tp->retrans_stamp = 0;
		tcp_undo_cwnd_reduction(sk, true);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPPARTIALUNDO);
		tcp_try_keep_open(sk);
	} else {
		/* Partial ACK (RFC 6582 3.2 step 3): resend the next hole now.
		 */
		*do_lost = tcp_force_fast_retransmit(sk);
	}
	return false;
}

/* --- loss detection and the recovery state machine ------------------------ */

enum tcp_rexmit { REXMIT_NONE, REXMIT_LOST, REXMIT_NEW };

/* RFC 6582 3.2: without SACK, the head is lost after DupThresh dupACKs,
 * and each partial ACK in recovery makes the next hole lost. */
static void tcp_newreno_mark_lost(struct sock *sk, bool snd_una_advanced)
{
	const u8 state = inet_csk(sk)->icsk_ca_state;
	struct tcp_sock *tp = tcp_sk(sk);

	if ((state < TCP_CA_Recovery && tp->sacked_out >= tp->reordering) ||
	    (state == TCP_CA_Recovery && snd_una_advanced)) {
		struct sk_buff *skb = tcp_rtx_queue_head(sk);
		u32 mss;

		if (!skb || (TCP_SKB_CB(skb)->sacked & TCPCB_LOST))
			return;
		mss = tcp_skb_mss(skb);
		if (tcp_skb_pcount(skb) > 1 && skb->len > mss)
			tcp_fragment(sk, &tp->xfer->tcp_rtx_queue, skb, mss, mss);
		tcp_mark_skb_lost(sk, skb);
	}
}

/* RFC 6675 4 IsLost() without RACK (tcp_recovery=0): mark un-SACKed
 * segments lost from the head until @packets SACKed segments lie above
 * them (Linux's tcp_mark_head_lost). */
static void tcp_mark_head_lost(struct sock *sk, int packets, int mark_head)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	int cnt = 0;

	skb_queue_walk(&tp->xfer->tcp_rtx_queue, skb) {
		if (TCP_SKB_CB(skb)->sacked & TCPCB_SACKED_ACKED)
			cnt += tcp_skb_pcount(skb);
		if (cnt > packets)
			break;
		if (!(TCP_SKB_CB(skb)->sacked & TCPCB_LOST))
			tcp_mark_skb_lost(sk, skb);
		if (mark_head)
			break;
	}
}

static void tcp_update_scoreboard(struct sock *sk, int fast_rexmit)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int sacked_upto = (int)tp->sacked_out - (int)tp->reordering;

	if (tcp_is_reno(tp))
		return; /* already marked by tcp_newreno_mark_lost */
	if (sacked_upto >= 0)
		tcp_mark_head_lost(sk, sacked_upto, 0);
	else if (fast_rexmit)
		tcp_mark_head_lost(sk, 1, 1);
}

/* Which segments are lost now: NewReno's rule, else RACK (RFC 8985). */
static void tcp_identify_packet_loss(struct sock *sk, int *ack_flag)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (skb_queue_empty(&tp->xfer->tcp_rtx_queue))
		return;
	if (tcp_is_reno(tp)) {
		tcp_newreno_mark_lost(sk, *ack_flag & FLAG_SND_UNA_ADVANCED);
	} else if (tcp_is_rack(sk)) {
		u32 prior_retrans = tp->retrans_out;

		tcp_rack_mark_lost(sk);
		if (inet_csk(sk)->icsk_pending == ICSK_TIME_REO_TIMEOUT)
			*ack_flag &= ~FLAG_SET_XMIT_TIMER;
		if (prior_retrans > tp->retrans_out)
			*ack_flag |= FLAG_LOST_RETRANS;
	}
}

/* RFC 6675 5 (DupThresh) / RFC 8985: is recovery due? */
static bool tcp_time_to_recover(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	/* Segments are already marked lost: recover. */
	if (tp->lost_out)
		return true;
	/* The DupThresh test of RFC 6675 5 / RFC 5681 3.2. */
	if (!tcp_is_rack(sk) && tp->sacked_out + 1 > tp->reordering)
		return true;
	return false;
}

/* The receiver dropped data it had SACKed (RFC 2018 8): wait a little
 * for it to be ACKed, then the RTO retransmits from snd_una. */
static bool tcp_check_sack_reneging(struct sock *sk, int *ack_flag)
{
	if ((*ack_flag & FLAG_SACK_RENEGING) &&
	    (*ack_flag & FLAG_SND_UNA_ADVANCED)) {
		const struct tcp_sock *tp = tcp_sk(sk);
		u64 delay = max_t(u64, tp->srtt_us >> 4, 10 * 1000U);

		tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS, delay, TCP_RTO_MAX);
		*ack_flag &= ~FLAG_SET_XMIT_TIMER;
		return true;
	}
	return false;
}

/* CA_Loss after an RTO, with F-RTO (RFC 5682 3.1, SACK-enhanced 4). */
static void tcp_process_loss(struct sock *sk, int flag, int num_dupack,
			     int *rexmit)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool recovered = !before(tp->snd_una, tp->high_seq);

	if ((flag & FLAG_SND_UNA_ADVANCED) && tcp_try_undo_loss(sk, false))
		return;
	if (tp->frto) { /* F-RTO, using the SACK-based variant of RFC 5682 4. */
		/* RFC 5682 step 3.b: if data never resent gets (S)ACKed, the
		 * originals arrived and the RTO was spurious. */
		if ((flag & FLAG_ORIG_SACK_ACKED) && tcp_try_undo_loss(sk, true))
			return;
		if (after(tp->snd_nxt, tp->high_seq)) {
			if ((flag & FLAG_DATA_SACKED) || num_dupack)
				tp->frto = 0; /* RFC 5682 3.a: real loss */
		} else if ((flag & FLAG_SND_UNA_ADVANCED) && !recovered) {
			tp->high_seq = tp->snd_nxt;
			/* RFC 5682 step 2.b: send new data; the actual transmit
			 * waits for tcp_ack to update cwnd. When there is none
			 * to send, continue with ordinary RTO recovery. */
			if (tcp_send_head(sk) &&
			    after(tcp_wnd_end(tp), tp->snd_nxt)) {
				*rexmit = REXMIT_NEW;
				return;
			}
			tp->frto = 0;
		}
	}
	if (recovered) {
		/* RFC 5682 step 2.a, and the first half of 3.a: a duplicate
		 * ACK, or no new data sent, ends F-RTO. */
		tcp_try_undo_recovery(sk);
		return;
	}
	if (tcp_is_reno(tp)) {
		/* Without SACK, a dupACK after step 2.b shows the new data
		 * arrived; undo the RTO recovery as the SACK variant would. */
		if (after(tp->snd_nxt, tp->high_seq) && num_dupack)
			tcp_add_reno_sack(sk, num_dupack);
		else if (flag & FLAG_SND_UNA_ADVANCED)
			tcp_reset_reno_sack(tp);
	}
	*rexmit = REXMIT_LOST;
}

/* Leave a finished Recovery/CWR episode (Linux's state exit checks). */
static bool tcp_fastretrans_exit(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	switch (inet_csk(sk)->icsk_ca_state) {
	case TCP_CA_CWR:
		/* Stay in CWR until an ACK covers data beyond high_seq, which
		 * shows the peer saw our CWR flag (RFC 3168 6.1.2). */
		if (tp->snd_una != tp->high_seq) {
			tcp_end_cwnd_reduction(sk);
			tcp_set_ca_state(sk, TCP_CA_Open);
		}
		break;
	case TCP_CA_Recovery:
		if (tcp_is_reno(tp))
			tcp_reset_reno_sack(tp);
		if (tcp_try_undo_recovery(sk))
			return true;
		tcp_end_cwnd_reduction(sk);
		break;
	}
	return false;
}

/* An ACK in CA_Recovery (RFC 6675 5 / RFC 6582 3.2 steps 3-5). */
static bool tcp_fastretrans_recovery(struct sock *sk, u32 prior_snd_una,
				     int num_dupack, int *ack_flag,
				     bool *do_lost)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int flag = *ack_flag;

	if (!(flag & FLAG_SND_UNA_ADVANCED)) {
		if (tcp_is_reno(tp))
			tcp_add_reno_sack(sk, num_dupack);
	} else if (tcp_try_undo_partial(sk, prior_snd_una, do_lost)) {
		return true;
	}
	if (tcp_try_undo_dsack(sk))
		tcp_try_to_open(sk, flag);
	tcp_identify_packet_loss(sk, ack_flag);
	if (inet_csk(sk)->icsk_ca_state != TCP_CA_Recovery) {
		if (!tcp_time_to_recover(sk))
			return true;
		/* After an undo, either return to normal or, if losses are
		 * still evident, begin a fresh recovery (reordering followed by
		 * real loss). */
		tcp_enter_recovery(sk, flag & FLAG_ECE);
	}
	return false;
}

/*
 * tcp_fastretrans_alert - the loss recovery state machine on a dubious
 * ACK (dupACK, SACK, or not in CA_Open): exits, undo, loss marking and
 * entry into fast recovery (RFC 5681 3.2, RFC 6675, RFC 6582, RFC 8985),
 * Loss state handling after an RTO (F-RTO). Sets *rexmit when lost
 * segments should go now (tcp_xmit_recovery).
 */
static void tcp_fastretrans_alert(struct sock *sk, u32 prior_snd_una,
				  int num_dupack, int *ack_flag, int *rexmit)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	int fast_rexmit = 0, flag = *ack_flag;
	bool ece_ack = flag & FLAG_ECE;
	bool do_lost = num_dupack || ((flag & FLAG_DATA_SACKED) &&
				      tcp_force_fast_retransmit(sk));

	if (!tp->packets_out && tp->sacked_out)
		tp->sacked_out = 0;
	/* ECN echo: the reduction is real, so undo must not revert it. */
	if (ece_ack)
		tp->prior_ssthresh = 0;
	/* Whatever the state, detect a peer discarding data it SACKed. */
	if (tcp_check_sack_reneging(sk, ack_flag))
		return;
	/* Can the current episode end? Only once high_seq is acknowledged. */
	if (icsk->icsk_ca_state == TCP_CA_Open) {
		tp->retrans_stamp = 0;
	} else if (!before(tp->snd_una, tp->high_seq)) {
		if (tcp_fastretrans_exit(sk))
			return;
	}
	/* Per-state handling of this ACK. */
	switch (icsk->icsk_ca_state) {
	case TCP_CA_Recovery:
		if (tcp_fastretrans_recovery(sk, prior_snd_una, num_dupack,
					     ack_flag, &do_lost))
			return;
		break;
	case TCP_CA_Loss:
		tcp_process_loss(sk, flag, num_dupack, rexmit);
		if (icsk->icsk_ca_state != TCP_CA_Loss)
			tcp_try_undo_dsack(sk);
		tcp_identify_packet_loss(sk, ack_flag);
		if (!(icsk->icsk_ca_state == TCP_CA_Open ||
		      (*ack_flag & FLAG_LOST_RETRANS)))
			return;
		/* Undo took effect or lost retransmissions were found: pick the
		 * state anew. */
		__attribute__((fallthrough));
	default:
		if (tcp_is_reno(tp)) {
			if (flag & FLAG_SND_UNA_ADVANCED)
				tcp_reset_reno_sack(tp);
			tcp_add_reno_sack(sk, num_dupack);
		}
		if (icsk->icsk_ca_state <= TCP_CA_Disorder)
			tcp_try_undo_dsack(sk);
		tcp_identify_packet_loss(sk, ack_flag);
		if (!tcp_time_to_recover(sk)) {
			tcp_try_to_open(sk, flag);
			return;
		}
		/* Loss is evident and we are not recovering yet: begin fast
		 * recovery. */
		tcp_enter_recovery(sk, ece_ack);
		fast_rexmit = 1;
	}
	if (!tcp_is_rack(sk) && do_lost)
		tcp_update_scoreboard(sk, fast_rexmit);
	*rexmit = REXMIT_LOST;
}

/* Send what recovery decided: new data (F-RTO step 2.b) or the lost
 * segments (RFC 6675 5 NextSeg), within the cwnd PRR set. */
static void tcp_xmit_recovery(struct sock *sk, int rexmit)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (rexmit == REXMIT_NONE || sk->sk_state == TCP_SYN_SENT)
		return;
	if (unlikely(rexmit == REXMIT_NEW)) {
		__tcp_push_pending_frames(sk, tcp_current_mss(sk), TCP_NAGLE_OFF);
		if (after(tp->snd_nxt, tp->high_seq))
			return;
		tp->frto = 0;
	}
	tcp_xmit_retransmit_queue(sk);
}

/**
 * tcp_simple_retransmit - the path MTU shrank (ICMP frag needed, conn's
 * tcp_v4_mtu_reduced): segments larger than the new MSS are lost; enter
 * CA_Loss without touching cwnd and retransmit them.
 */
void tcp_simple_retransmit(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mss = tcp_current_mss(sk);
	struct sk_buff *skb;

	skb_queue_walk(&tp->xfer->tcp_rtx_queue, skb) {
		if (tcp_skb_mss(skb) > mss)
			tcp_mark_skb_lost(sk, skb);
	}
	if (!tp->lost_out)
		return;
	if (tcp_is_reno(tp))
		tcp_limit_reno_sacked(tp);
	/* cwnd and ssthresh stay: the volume of data in flight did not change,
	 * only how it is cut into segments. */
	if (icsk->icsk_ca_state != TCP_CA_Loss) {
		tp->high_seq = tp->snd_nxt;
		tp->snd_ssthresh = tcp_current_ssthresh(sk);
		tp->prior_ssthresh = 0;
		tp->undo_marker = 0;
		tcp_set_ca_state(sk, TCP_CA_Loss);
	}
	tcp_xmit_retransmit_queue(sk);
}

/* --- SACK processing (RFC 2018, RFC 2883, RFC 6675 scoreboard) ------------ */

/* Delivery rate sampling: remember the most recently sent segment this ACK
 * delivered (Linux's tcp_rate_skb_delivered). */
static void tcp_rate_skb_delivered(struct sock *sk, struct sk_buff *skb,
				   struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *scb = TCP_SKB_CB(skb);
	u64 tx_tstamp = tcp_skb_timestamp_us(skb);

	if (!scb->tx.delivered_mstamp)
		return;
	if (!rs->prior_delivered || tx_tstamp >= tp->xfer->first_tx_mstamp) {
		rs->prior_delivered = scb->tx.delivered;
		rs->prior_mstamp = scb->tx.delivered_mstamp;
		rs->is_app_limited = scb->tx.is_app_limited;
		rs->is_retrans = scb->sacked & TCPCB_RETRANS;
		/* send time of the newest segment this ACK covered */
		tp->xfer->first_tx_mstamp = tx_tstamp;
		/* how long the sender took to emit what this ACK covers */
		rs->interval_us = (long)tcp_stamp_us_delta(tp->xfer->first_tx_mstamp,
							   scb->tx.first_tx_mstamp);
	}
	/* Clear the send time so a later cumulative ACK of this already SACKed
	 * segment does not sample it twice. */
	if (scb->sacked & TCPCB_SACKED_ACKED)
		scb->tx.delivered_mstamp = 0;
}

/* Finish the rate sample of this ACK (Linux's tcp_rate_gen). */
static void tcp_rate_gen(struct sock *sk, u32 delivered, u32 lost,
			 bool is_sack_reneg, struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 snd_us, ack_us;

	/* The application-limited stretch has been fully acked: samples count
	 * again. */
	if (tp->app_limited && after(tp->delivered, tp->app_limited))
		tp->app_limited = 0;
	if (delivered)
		tp->xfer->delivered_mstamp = tp->tcp_mstamp;
	rs->acked_sacked = delivered; /* newly delivered by this ACK */
	rs->losses = (int)lost;       /* newly declared lost by this ACK */
	if (!rs->prior_mstamp || is_sack_reneg) {
		rs->delivered = -1;
		rs->interval_us = -1;
		return;
	}
	rs->delivered = (s32)(tp->delivered - rs->prior_delivered);
	snd_us = (u32)rs->interval_us;
	ack_us = (u32)tcp_stamp_us_delta(tp->tcp_mstamp, rs->prior_mstamp);
	rs->interval_us = max(snd_us, ack_us);
	rs->snd_interval_us = snd_us;
	rs->rcv_interval_us = ack_us;
	if (rs->interval_us < (long)tcp_min_rtt(tp))
		rs->interval_us = -1;
}

/* RFC 2018 / Linux's tcp_is_sackblock_valid: blocks must lie within what
 * we sent; D-SACKs may cover data below snd_una back to undo_marker. */
static bool tcp_is_sackblock_valid(const struct tcp_sock *tp, bool is_dsack,
				   u32 start_seq, u32 end_seq)
{
	/* beyond snd_nxt, or with its edges swapped: unusable */
	if (after(end_seq, tp->snd_nxt) || !before(start_seq, end_seq))
		return false;
	/* start is past snd_una; still reject a block so wide the sequence
	 * space wrapped */
	if (!before(start_seq, tp->snd_nxt))
		return false;
	/* Within the outstanding data: a normal SACK; D-SACKs above snd_una
	 * also end here. */
	if (after(start_seq, tp->snd_una))
		return true;
	if (!is_dsack || !tp->undo_marker)
		return false;
	/* Below snd_una only a D-SACK makes sense, and it must end at or below
	 * snd_una. */
	if (after(end_seq, tp->snd_una))
		return false;
	if (!before(start_seq, tp->undo_marker))
		return true;
	/* older than the undo window, useless */
	if (!after(end_seq, tp->undo_marker))
		return false;
	/* It starts below undo_marker and ends at or above it: accept it only
	 * if it is no larger than a window. */
	return !before(start_seq, end_seq - tp->max_window);
}

/* A D-SACK of @start..@end: count it (RFC 2883 4, Linux's tcp_dsack_seen);
 * 0 when dubious (larger than any window, or more than we resent). */
static u32 tcp_dsack_seen(struct tcp_sock *tp, u32 start_seq, u32 end_seq,
			  struct tcp_sacktag_state *state)
{
	u32 seq_len, dup_segs = 1;

	if (!before(start_seq, end_seq))
		return 0;
	seq_len = end_seq - start_seq;
	/* larger than any window we advertised: ignore */
	if (seq_len > tp->max_window)
		return 0;
	if (seq_len > tp->mss_cache)
		dup_segs = (seq_len + tp->mss_cache - 1) / tp->mss_cache;
	else if (tp->xfer->tlp_high_seq && tp->xfer->tlp_high_seq == end_seq)
		state->flag |= FLAG_DSACK_TLP;
	tp->dsack_dups += dup_segs;
	/* we never resent this data, so the duplicate was not ours to explain
	 */
	if (tp->dsack_dups > tp->total_retrans)
		return 0;
	tp->rx_opt.sack_ok |= TCP_DSACK_SEEN;
	/* RACK widens its reordering window after DSACKs that reordering
	 * may have caused (RFC 8985 6.2.4). */
	if (tp->reord_seen && !(state->flag & FLAG_DSACK_TLP))
		tp->rack.dsack_seen = 1;
	state->flag |= FLAG_DSACKING_ACK;
	/* the peer got both copies: one retransmission was unneeded */
	state->sack_delivered += dup_segs;
	return dup_segs;
}

/* RFC 2883 4: the first block is a D-SACK when it lies below the ACK or
 * inside the second block (TCPDSACKRecv / TCPDSACKOfoRecv). */
static bool tcp_check_dsack(struct sock *sk, const struct sk_buff *ack_skb,
			    const struct tcp_sack_block *sp, int num_sacks,
			    u32 prior_snd_una, struct tcp_sacktag_state *state)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 start_seq_0 = sp[0].start_seq;
	u32 end_seq_0 = sp[0].end_seq;
	u32 dup_segs;

	if (before(start_seq_0, TCP_SKB_CB(ack_skb)->ack_seq)) {
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPDSACKRECV);
	} else if (num_sacks > 1) {
		u32 end_seq_1 = sp[1].end_seq;
		u32 start_seq_1 = sp[1].start_seq;

		if (after(end_seq_0, end_seq_1) || before(start_seq_0, start_seq_1))
			return false;
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPDSACKOFORECV);
	} else {
		return false;
	}
	dup_segs = tcp_dsack_seen(tp, start_seq_0, end_seq_0, state);
	if (!dup_segs) { /* ignored by tcp_dsack_seen */
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPDSACKIGNOREDDUBIOUS);
		return false;
	}
	NET_ADD_STATS(sock_net(sk), LINUX_MIB_TCPDSACKRECVSEGS, dup_segs);
	/* Below the data we still track: count it for undo only. */
	if (tp->undo_marker && tp->undo_retrans > 0 &&
	    !after(end_seq_0, prior_snd_una) && after(end_seq_0, tp->undo_marker))
		tp->undo_retrans = max_t(int, 0, tp->undo_retrans - (int)dup_segs);
	return true;
}

/* Does @skb lie in the block? A GSO skb partly inside is split at an MSS
 * boundary first (Linux's tcp_match_skb_to_sack). 1 in, 0 out, <0 error. */
static int tcp_match_skb_to_sack(struct sock *sk, struct sk_buff *skb,
				 u32 start_seq, u32 end_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool in_sack;
	u32 pkt_len, mss;

	in_sack = !after(start_seq, TCP_SKB_CB(skb)->seq) &&
		  !before(end_seq, TCP_SKB_CB(skb)->end_seq);
	if (tcp_skb_pcount(skb) > 1 && !in_sack &&
	    after(TCP_SKB_CB(skb)->end_seq, start_seq)) {
		mss = tcp_skb_mss(skb);
		in_sack = !after(start_seq, TCP_SKB_CB(skb)->seq);
		if (!in_sack) {
			pkt_len = start_seq - TCP_SKB_CB(skb)->seq;
			if (pkt_len < mss)
				pkt_len = mss;
		} else {
			pkt_len = end_seq - TCP_SKB_CB(skb)->seq;
			if (pkt_len < mss)
				return -EINVAL;
		}
		/* Cut at a multiple of the segment size so each part holds
		 * whole MSS units plus, at most, the short tail. */
		if (pkt_len > mss) {
			u32 new_len = (pkt_len / mss) * mss;

			if (!in_sack && new_len < pkt_len)
				new_len += mss;
			pkt_len = new_len;
		}
		if (pkt_len >= skb->len && !in_sack)
			return 0;
		if (tcp_fragment(sk, &tp->xfer->tcp_rtx_queue, skb, pkt_len, mss) < 0)
			return -ENOMEM;
	}
	return in_sack;
}

/* Tag one SACKed (or D-SACKed) segment and keep the counts (Linux's
 * tcp_sacktag_one); returns the new sacked bits. */
static u8 tcp_sacktag_one(struct sock *sk, struct tcp_sacktag_state *state,
			  u8 sacked, u32 start_seq, u32 end_seq, int dup_sack,
			  u32 pcount, u64 xmit_time)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* A D-SACK for data we resent: one fewer retransmission needs
	 * explaining before undo. */
	if (dup_sack && (sacked & TCPCB_RETRANS)) {
		if (tp->undo_marker && tp->undo_retrans > 0 &&
		    after(end_seq, tp->undo_marker))
			tp->undo_retrans = max_t(int, 0, tp->undo_retrans - (int)pcount);
		if ((sacked & TCPCB_SACKED_ACKED) && before(start_seq, state->reord))
			state->reord = start_seq;
	}
	/* already cumulatively acked, soon freed */
	if (!after(end_seq, tp->snd_una))
		return sacked;
	if (!(sacked & TCPCB_SACKED_ACKED)) {
		tcp_rack_advance(tp, sacked, end_seq, xmit_time);
		if (sacked & TCPCB_SACKED_RETRANS) {
			/* Without a LOST mark the retransmission may still be
			 * on the wire, so SACKED_RETRANS stays. */
			if (sacked & TCPCB_LOST) {
				sacked &= (u8)~(TCPCB_LOST | TCPCB_SACKED_RETRANS);
				tp->lost_out -= pcount;
				tp->retrans_out -= pcount;
			}
		} else {
			if (!(sacked & TCPCB_RETRANS)) {
				/* A SACK for an original sent before the
				 * highest SACKed data filled a gap: reordering.
				 */
				if (before(start_seq, tcp_highest_sack_seq(tp)) &&
				    before(start_seq, state->reord))
					state->reord = start_seq;
				if (!after(end_seq, tp->high_seq))
					state->flag |= FLAG_ORIG_SACK_ACKED;
				if (state->first_sackt == 0)
					state->first_sackt = xmit_time;
				state->last_sackt = xmit_time;
			}
			if (sacked & TCPCB_LOST) {
				sacked &= (u8)~TCPCB_LOST;
				tp->lost_out -= pcount;
			}
		}
		sacked |= TCPCB_SACKED_ACKED;
		state->flag |= FLAG_DATA_SACKED;
		tp->sacked_out += pcount;
		/* count what arrived out of order */
		state->sack_delivered += pcount;
		if (!after(tp->xfer->highest_sack_end, tp->snd_una) ||
		    after(end_seq, tp->xfer->highest_sack_end))
			tp->xfer->highest_sack_end = end_seq;
	}
	/* A D-SACK proves a retransmission redundant when the segment was
	 * SACKed or merely resent (not also lost); drop its RETRANS mark. Lost
	 * ones were handled above. */
	if (dup_sack && (sacked & TCPCB_SACKED_RETRANS)) {
		sacked &= (u8)~TCPCB_SACKED_RETRANS;
		tp->retrans_out -= pcount;
	}
	return sacked;
}

/* The first rtx-queue skb that may overlap @start_seq: from the tail when
 * the block is in the upper half of the flight (new SACKs usually are). */
static struct sk_buff *tcp_sacktag_find(struct sock *sk, u32 start_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff_head *q = &tp->xfer->tcp_rtx_queue;
	struct sk_buff *skb;

	if (start_seq - tp->snd_una > tp->snd_nxt - start_seq) {
		for (skb = q->prev; skb != (struct sk_buff *)q; skb = skb->prev)
			if (!after(TCP_SKB_CB(skb)->seq, start_seq))
				return skb;
		return q->next;
	}
	skb_queue_walk(q, skb)
		if (after(TCP_SKB_CB(skb)->end_seq, start_seq))
			return skb;
	return NULL;
}

static void tcp_sacktag_walk(struct sock *sk, struct tcp_sacktag_state *state,
			     u32 start_seq, u32 end_seq, bool dup_sack)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff_head *q = &tp->xfer->tcp_rtx_queue;
	struct sk_buff *skb = tcp_sacktag_find(sk, start_seq);

	while (skb && skb != (struct sk_buff *)q) {
		struct tcp_skb_cb *scb = TCP_SKB_CB(skb);
		int in_sack;

		if (!before(scb->seq, end_seq))
			break;
		if (!after(scb->end_seq, start_seq)) {
			skb = skb->next;
			continue;
		}
		in_sack = tcp_match_skb_to_sack(sk, skb, start_seq, end_seq);
		if (in_sack < 0)
			break;
		if (in_sack) {
			scb->sacked = tcp_sacktag_one(sk, state, scb->sacked,
						      scb->seq, scb->end_seq,
						      dup_sack,
						      (u32)tcp_skb_pcount(skb),
						      tcp_skb_timestamp_us(skb));
			tcp_rate_skb_delivered(sk, skb, state->rate);
		}
		skb = skb->next;
	}
}

/* Read the blocks of the SACK option the ACK carries (RFC 2018 3). */
static int tcp_sack_read_blocks(const struct sk_buff *ack_skb,
				struct tcp_sack_block *sp)
{
	const u8 *ptr = (const u8 *)tcp_hdr(ack_skb) + TCP_SKB_CB(ack_skb)->sacked;
	int i, num_sacks = min(TCP_NUM_SACKS, (ptr[1] - TCPOLEN_SACK_BASE) >> 3);

	for (i = 0; i < num_sacks; i++) {
		sp[i].start_seq = get_be32(ptr + 2 + 8 * i);
		sp[i].end_seq = get_be32(ptr + 6 + 8 * i);
	}
	return num_sacks;
}

/*
 * tcp_sacktag_write_queue - apply the SACK blocks of @ack_skb to the
 * retransmit queue (RFC 2018, RFC 6675 4 "Update()"): D-SACK detection
 * (RFC 2883), validity checks (TCPSACKDiscard, TCPDSACKIgnored*), tagging
 * with GSO splitting, reordering detection. Returns FLAG_* bits.
 */
static int tcp_sacktag_write_queue(struct sock *sk, const struct sk_buff *ack_skb,
				   u32 prior_snd_una,
				   struct tcp_sacktag_state *state)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_sack_block sp[TCP_NUM_SACKS];
	bool found_dup_sack;
	int i, num_sacks;

	state->flag = 0;
	state->reord = tp->snd_nxt;
	/* A D-SACK may come when nothing is in transit any more. */
	if (!tp->sacked_out && tcp_xfer_active(tp))
		tp->xfer->highest_sack_end = tp->snd_una;
	num_sacks = tcp_sack_read_blocks(ack_skb, sp);
	if (num_sacks <= 0)
		return 0;
	found_dup_sack = tcp_check_dsack(sk, ack_skb, sp, num_sacks,
					 prior_snd_una, state);
	/* An ACK below the undo point is stale, but a recent one may still
	 * carry useful SACK blocks. */
	if (before(TCP_SKB_CB(ack_skb)->ack_seq, prior_snd_una - tp->max_window))
		return 0;
	if (!tp->packets_out)
		goto out;
	for (i = 0; i < num_sacks; i++) {
		bool dup_sack = !i && found_dup_sack;

		if (!tcp_is_sackblock_valid(tp, dup_sack, sp[i].start_seq,
					    sp[i].end_seq)) {
			if (dup_sack) {
				NET_INC_STATS(sock_net(sk),
					      !tp->undo_marker ?
						      LINUX_MIB_TCPDSACKIGNOREDNOUNDO :
						      LINUX_MIB_TCPDSACKIGNOREDOLD);
			} else {
				/* reordered ACKs are not counted as stale */
				if (TCP_SKB_CB(ack_skb)->ack_seq != tp->snd_una &&
				    !after(sp[i].end_seq, tp->snd_una))
					continue;
				NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPSACKDISCARD);
			}
			continue;
		}
		/* fully below snd_una: only a D-SACK could use it */
		if (!after(sp[i].end_seq, prior_snd_una))
			continue;
		tcp_sacktag_walk(sk, state, sp[i].start_seq, sp[i].end_seq,
				 dup_sack);
	}
	if (inet_csk(sk)->icsk_ca_state != TCP_CA_Loss || tp->undo_marker)
		tcp_check_sack_reordering(sk, state->reord, 0);
out:
	return state->flag;
}

/* --- ACK processing (RFC 9293 3.10.7.4 fifth check, RFC 5681) ------------- */

static void tcp_snd_una_update(struct tcp_sock *tp, u32 ack)
{
	u32 delta = ack - tp->snd_una;

	tp->bytes_acked += delta;
	tp->snd_una = ack;
}

/* Drop the acknowledged head of a partly acked GSO skb (Linux's
 * tcp_tso_acked): returns the segments acked; the in-flight counts are the
 * caller's. */
static u32 tcp_tso_acked(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 len = tp->snd_una - TCP_SKB_CB(skb)->seq;
	unsigned int mss = skb_shinfo(skb)->gso_size;
	int acked;

	if (len >= skb->len)
		return 0;
	/* Re-segment at the size it was sent with (a single one otherwise). */
	acked = __tcp_trim_head(skb, len, mss ? mss : skb->len);
	return acked < 0 ? 0 : (u32)acked;
}

static void tcp_rtx_queue_unlink_and_free(struct sk_buff *skb, struct sock *sk)
{
	__skb_unlink(skb, &tcp_sk(sk)->xfer->tcp_rtx_queue);
	sk->sk_wmem_queued -= (int)skb->truesize;
	sock_set_flag(sk, SOCK_QUEUE_SHRUNK);
	consume_skb(skb);
}

struct tcp_clean_state {
	u64 first_ackt, last_ackt;  /* us: send times of acked original data */
	u32 reord;                  /* first plain-acked original */
	u32 pkts_acked;
	bool fully_acked;
	int flag;
};

/* Account one (partly) acknowledged skb of the rtx queue. */
static void tcp_clean_one(struct sock *sk, struct sk_buff *skb, u32 acked_pcount,
			  struct tcp_clean_state *cs, struct rate_sample *rs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *scb = TCP_SKB_CB(skb);
	u8 sacked = scb->sacked;

	if (unlikely(sacked & TCPCB_RETRANS)) {
		if (sacked & TCPCB_SACKED_RETRANS)
			tp->retrans_out -= acked_pcount;
		cs->flag |= FLAG_RETRANS_DATA_ACKED;
	} else if (!(sacked & TCPCB_SACKED_ACKED)) {
		cs->last_ackt = tcp_skb_timestamp_us(skb);
		if (!cs->first_ackt)
			cs->first_ackt = cs->last_ackt;
		if (before(scb->seq, cs->reord))
			cs->reord = scb->seq;
		if (!after(scb->end_seq, tp->high_seq))
			cs->flag |= FLAG_ORIG_SACK_ACKED;
	}
	if (sacked & TCPCB_SACKED_ACKED) {
		tp->sacked_out -= acked_pcount;
	} else if (tcp_is_sack(tp)) {
		tcp_count_delivered(tp, acked_pcount);
		tcp_rack_advance(tp, sacked, scb->end_seq,
				 tcp_skb_timestamp_us(skb));
	}
	if (sacked & TCPCB_LOST)
		tp->lost_out -= acked_pcount;
	tp->packets_out -= acked_pcount;
	cs->pkts_acked += acked_pcount;
	tcp_rate_skb_delivered(sk, skb, rs);
	/* The SYN is not data: slow start must not count it (Linux). */
	if (likely(!(scb->tcp_flags & TCPHDR_SYN))) {
		cs->flag |= FLAG_DATA_ACKED;
	} else {
		cs->flag |= FLAG_SYN_ACKED;
		tp->retrans_stamp = 0;
	}
}

/* RTT samples and timer decision after cleaning (the tail of Linux's
 * tcp_clean_rtx_queue). */
static int tcp_clean_rtt(struct sock *sk, struct sk_buff *skb, u32 prior_fack,
			 u32 prior_snd_una, u32 prior_sacked,
			 struct tcp_sacktag_state *sack,
			 struct tcp_clean_state *cs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	long sack_rtt_us = -1L, seq_rtt_us = -1L, ca_rtt_us = -1L;
	int flag = cs->flag;
	bool rtt_update;

	if (likely(cs->first_ackt) && !(flag & FLAG_RETRANS_DATA_ACKED)) {
		seq_rtt_us = (long)tcp_stamp_us_delta(tp->tcp_mstamp, cs->first_ackt);
		ca_rtt_us = (long)tcp_stamp_us_delta(tp->tcp_mstamp, cs->last_ackt);
		if (cs->pkts_acked == 1 && cs->fully_acked && !prior_sacked &&
		    (tp->snd_una - prior_snd_una) < tp->mss_cache &&
		    sack->rate->prior_delivered + 1 == tp->delivered &&
		    !(flag & (FLAG_CA_ALERT | FLAG_SYN_ACKED))) {
			/* A small acked segment suggests the peer held its ACK;
			 * note it for the rate sample. */
			flag |= FLAG_ACK_MAYBE_DELAYED;
		}
	}
	if (sack->first_sackt) {
		sack_rtt_us = (long)tcp_stamp_us_delta(tp->tcp_mstamp, sack->first_sackt);
		ca_rtt_us = (long)tcp_stamp_us_delta(tp->tcp_mstamp, sack->last_sackt);
	}
	rtt_update = tcp_ack_update_rtt(sk, flag, seq_rtt_us, sack_rtt_us,
					ca_rtt_us, sack->rate);
	if (flag & FLAG_ACKED) {
		flag |= FLAG_SET_XMIT_TIMER; /* re-arm TLP or RTO */
		if (tcp_is_reno(tp)) {
			tcp_remove_reno_sacks(sk, (int)cs->pkts_acked);
			/* Without SACK, progress cannot be attributed to an
			 * original transmission once anything was resent. */
			if (flag & FLAG_RETRANS_DATA_ACKED)
				flag &= ~FLAG_ORIG_SACK_ACKED;
		} else if (before(cs->reord, prior_fack)) {
			/* An original sent before the highest SACKed data was
			 * acked: reordering. */
			tcp_check_sack_reordering(sk, cs->reord, 0);
		}
	} else if (skb && rtt_update && sack_rtt_us >= 0 &&
		   sack_rtt_us > (long)tcp_stamp_us_delta(tp->tcp_mstamp,
							  tcp_skb_timestamp_us(skb))) {
		/* If the SACK sample comes from data sent after the head,
		 * restarting the timer would delay the head's RTO (RFC 6298 5.3
		 * speaks of new data). */
		flag |= FLAG_SET_XMIT_TIMER;
	}
	if (inet_csk(sk)->icsk_ca_ops->pkts_acked) {
		struct ack_sample sample = { .pkts_acked = cs->pkts_acked,
					     .rtt_us = (s32)sack->rate->rtt_us };

		sample.in_flight = tp->mss_cache *
				   (tp->delivered - sack->rate->prior_delivered);
		inet_csk(sk)->icsk_ca_ops->pkts_acked(sk, &sample);
	}
	return flag;
}

/*
 * tcp_clean_rtx_queue - free what the ACK covers (RFC 9293 3.10.7.4: "any
 * segments on the retransmission queue that are thereby entirely
 * acknowledged are removed"), trim a partly acked GSO skb, take RTT
 * samples (Karn), and say whether the RTO/TLP timer must be set. FLAG_*.
 */
static int tcp_clean_rtx_queue(struct sock *sk, u32 prior_fack,
			       u32 prior_snd_una,
			       struct tcp_sacktag_state *sack)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_clean_state cs = { .reord = tp->snd_nxt, .fully_acked = true };
	u32 prior_sacked = tp->sacked_out;
	struct sk_buff *skb, *next;

	for (skb = tcp_rtx_queue_head(sk); skb; skb = next) {
		struct tcp_skb_cb *scb = TCP_SKB_CB(skb);
		u32 acked_pcount;

		/* count the segments and bytes this ACK covers */
		if (after(scb->end_seq, tp->snd_una)) {
			if (tcp_skb_pcount(skb) == 1 || !after(tp->snd_una, scb->seq))
				break;
			acked_pcount = tcp_tso_acked(sk, skb);
			if (!acked_pcount)
				break;
			cs.fully_acked = false;
		} else {
			acked_pcount = (u32)tcp_skb_pcount(skb);
		}
		tcp_clean_one(sk, skb, acked_pcount, &cs, sack->rate);
		if (!cs.fully_acked)
			break;
		next = tcp_rtx_next(sk, skb);
		tcp_rtx_queue_unlink_and_free(skb, sk);
	}
	if (!skb)
		tcp_chrono_stop(sk, TCP_CHRONO_BUSY);
	if (likely(between(tp->snd_up, prior_snd_una, tp->snd_una)))
		tp->snd_up = tp->snd_una;
	if (skb && (TCP_SKB_CB(skb)->sacked & TCPCB_SACKED_ACKED))
		cs.flag |= FLAG_SACK_RENEGING;
	return tcp_clean_rtt(sk, skb, prior_fack, prior_snd_una, prior_sacked,
			     sack, &cs);
}

/* RFC 9293 3.10.7.4: update SND.WND (scaled, RFC 7323 2.3) when the
 * segment is newer by SND.WL1/SND.WL2; snd_una advances. FLAG_WIN_UPDATE. */
static int tcp_ack_update_window(struct sock *sk, const struct sk_buff *skb,
				 u32 ack, u32 ack_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int flag = 0;
	u32 nwin = ntohs(tcp_hdr(skb)->window);

	/* RFC 7323 2.2: the window of a SYN is never scaled. */
	if (likely(!tcp_hdr(skb)->syn))
		nwin <<= tp->rx_opt.snd_wscale;
	if (tcp_may_update_window(tp, ack, ack_seq, nwin)) {
		flag |= FLAG_WIN_UPDATE;
		tcp_update_wl(tp, ack_seq);
		if (tp->snd_wnd != nwin) {
			tp->snd_wnd = nwin;
			if (nwin > tp->max_window) {
				tp->max_window = nwin;
				tcp_sync_mss(sk, inet_csk(sk)->icsk_pmtu_cookie);
			}
		}
	}
	tcp_snd_una_update(tp, ack);
	return flag;
}

/* An ACK while probing a zero window (RFC 9293 3.8.6.1): stop probing
 * when the window opened for the head, else back the probe off. */
static void tcp_ack_probe(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct sk_buff *head = tcp_send_head(sk);
	const struct tcp_sock *tp = tcp_sk(sk);

	/* room for the whole head segment now? */
	if (!head)
		return;
	if (!after(TCP_SKB_CB(head)->end_seq, tcp_wnd_end(tp))) {
		icsk->icsk_backoff = 0;
		icsk->icsk_probes_tstamp = 0;
		inet_csk_clear_xmit_timer(sk, ICSK_TIME_PROBE0);
		/* The caller's tcp_data_snd_check sends the head and wakes
		 * writers. */
	} else {
		u8 backoff = min_t(u8, icsk->icsk_backoff, 63 - 30);
		u64 when = (u64)max_t(u32, icsk->icsk_rto, TCP_RTO_MIN) << backoff;

		tcp_reset_xmit_timer(sk, ICSK_TIME_PROBE0, min_t(u64, when, TCP_RTO_MAX),
				     TCP_RTO_MAX);
	}
}

static inline bool tcp_ack_is_dubious(const struct sock *sk, int flag)
{
	return !(flag & FLAG_NOT_DUP) || (flag & FLAG_CA_ALERT) ||
	       inet_csk(sk)->icsk_ca_state != TCP_CA_Open;
}

/* RFC 5681: grow cwnd on in-order delivery only, unless reordering is
 * known to be high (Linux's tcp_may_raise_cwnd). */
static inline bool tcp_may_raise_cwnd(const struct sock *sk, int flag)
{
	if (tcp_sk(sk)->reordering >
	    (u32)READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_reordering))
		return flag & FLAG_FORWARD_PROGRESS;
	return flag & FLAG_DATA_ACKED;
}

/* Congestion window update on an ACK: PRR during CWR/Recovery, else the
 * congestion control's slow start / avoidance (it checks cwnd-limited). */
static void tcp_cong_control(struct sock *sk, u32 ack, u32 acked_sacked,
			     int flag, const struct rate_sample *rs)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ca_ops->cong_control) {
		icsk->icsk_ca_ops->cong_control(sk, rs);
		return;
	}
	if (tcp_in_cwnd_reduction(sk)) {
		/* CWR/Recovery: PRR sets cwnd */
		tcp_cwnd_reduction(sk, (int)acked_sacked, rs->losses, flag);
	} else if (tcp_may_raise_cwnd(sk, flag)) {
		/* normal growth by the congestion control */
		icsk->icsk_ca_ops->cong_avoid(sk, ack, acked_sacked);
		tcp_sk(sk)->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	}
}

static u32 tcp_newly_delivered(struct sock *sk, u32 prior_delivered)
{
	u32 delivered = tcp_sk(sk)->delivered - prior_delivered;

	if (delivered)
		NET_ADD_STATS(sock_net(sk), LINUX_MIB_TCPDELIVERED, delivered);
	return delivered;
}

static void tcp_in_ack_event(struct sock *sk, u32 flags)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ca_ops->in_ack_event)
		icsk->icsk_ca_ops->in_ack_event(sk, flags);
}

/* Linux's CA_ACK_* for in_ack_event. */
#define CA_ACK_SLOWPATH (1 << 0)
#define CA_ACK_WIN_UPDATE (1 << 1)
#define CA_ACK_ECE (1 << 2)

/* The RFC 5961 5.2 / RFC 9293 3.10.7.4 ACK acceptability part of tcp_ack:
 * 0 = go on, 1 = old ACK (maybe SACK info), <0 = drop. */
static int tcp_ack_check(struct sock *sk, u32 ack, int flag)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	/* Below SND.UNA: a duplicate or late ACK, no new data acked. */
	if (before(ack, tp->snd_una)) {
		/* acks from before max_window of data: unverifiable */
		u32 max_window = (u32)min_t(u64, tp->max_window, tp->bytes_acked);

		/* RFC 5961 5.2: an ACK too old to be plausible draws a
		 * challenge ACK. */
		if (before(ack, tp->snd_una - max_window)) {
			if (!(flag & FLAG_NO_CHALLENGE_ACK))
				tcp_send_challenge_ack(sk);
			return -1;
		}
		return 1;
	}
	/* SEG.ACK > SND.NXT acknowledges something never sent: drop it (RFC
	 * 9293 3.10.7.4 also wants an ACK; our callers send it). */
	if (after(ack, tp->snd_nxt))
		return -2;
	return 0;
}

/* Window/SACK part of tcp_ack: the fast path for a pure forward advance,
 * else window update, SACK tagging. Returns FLAG_* bits. */
static int tcp_ack_update(struct sock *sk, const struct sk_buff *skb, u32 ack,
			  int flag, u32 prior_snd_una,
			  struct tcp_sacktag_state *sack_state)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 ack_seq = TCP_SKB_CB(skb)->seq;

	if ((flag & (FLAG_SLOWPATH | FLAG_SND_UNA_ADVANCED)) ==
	    FLAG_SND_UNA_ADVANCED) {
		/* Same window and snd_una moves forward: snd_wl1 only needs to
		 * follow the segment. SND.UNA >= SND.WL2 always holds, so the
		 * ACK is newer. */
		tcp_update_wl(tp, ack_seq);
		tcp_snd_una_update(tp, ack);
		flag |= FLAG_WIN_UPDATE;
		tcp_in_ack_event(sk, CA_ACK_WIN_UPDATE);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPHPACKS);
	} else {
		u32 ack_ev_flags = CA_ACK_SLOWPATH;

		if (ack_seq != TCP_SKB_CB(skb)->end_seq)
			flag |= FLAG_DATA;
		else
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPPUREACKS);
		flag |= tcp_ack_update_window(sk, skb, ack, ack_seq);
		if (TCP_SKB_CB(skb)->sacked)
			flag |= tcp_sacktag_write_queue(sk, skb, prior_snd_una,
							sack_state);
		if (sack_state->sack_delivered)
			tcp_count_delivered(tp, sack_state->sack_delivered);
		if (flag & FLAG_WIN_UPDATE)
			ack_ev_flags |= CA_ACK_WIN_UPDATE;
		tcp_in_ack_event(sk, ack_ev_flags);
	}
	return flag;
}

/*
 * tcp_ack - process the acknowledgment of @skb (RFC 9293 3.10.7.4 fifth
 * check; RFC 5681; RFC 6675; RFC 8985). Returns 1 when the ACK was
 * acceptable, 0 for an old ACK (ignored), <0 to drop the segment (RFC 5961
 * 5.2 too old — a challenge ACK went out — or ACK of unsent data). Does
 * not consume @skb.
 */
static int tcp_ack(struct sock *sk, const struct sk_buff *skb, int flag)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_sacktag_state sack_state = { 0 };
	struct rate_sample rs = { .prior_delivered = 0 };
	u32 prior_snd_una = tp->snd_una;
	bool is_sack_reneg = tp->is_sack_reneg;
	u32 ack = TCP_SKB_CB(skb)->ack_seq;
	int num_dupack = 0;
	u32 prior_packets = tp->packets_out;
	u32 delivered = tp->delivered;
	u32 lost = tp->lost;
	int rexmit = REXMIT_NONE; /* set when recovery wants segments resent */
	u32 prior_fack;
	int ret;

	sack_state.rate = &rs;
	ret = tcp_ack_check(sk, ack, flag);
	if (ret < 0)
		return ret;
	if (ret > 0)
		goto old_ack;
	if (after(ack, prior_snd_una)) {
		flag |= FLAG_SND_UNA_ADVANCED;
		icsk->icsk_retransmits = 0;
	}
	prior_fack = tcp_is_sack(tp) ? tcp_highest_sack_seq(tp) : tp->snd_una;
	rs.prior_in_flight = tcp_packets_in_flight(tp);
	/* Take the peer's timestamp only now, after the segment passed the
	 * window checks (RFC 7323 4.3). */
	if (flag & FLAG_UPDATE_TS_RECENT)
		tcp_replace_ts_recent(tp, TCP_SKB_CB(skb)->seq);
	flag = tcp_ack_update(sk, skb, ack, flag, prior_snd_una, &sack_state);
	/* Data got through, so an earlier soft error (e.g. ICMP) is stale. */
	WRITE_ONCE(sk->sk_err_soft, 0);
	icsk->icsk_probes_out = 0;
	tp->rcv_tstamp = tcp_now_ms(sk);
	if (!prior_packets)
		goto no_queue;
	/* Free the segments this ACK fully covers. */
	flag |= tcp_clean_rtx_queue(sk, prior_fack, prior_snd_una, &sack_state);
	tcp_rack_update_reo_wnd(sk, &rs);
	if (tp->xfer->tlp_high_seq)
		tcp_process_tlp_ack(sk, ack, flag);
	if (tcp_ack_is_dubious(sk, flag)) {
		if (!(flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP |
			      FLAG_DSACKING_ACK)))
			num_dupack = 1;
		tcp_fastretrans_alert(sk, prior_snd_una, num_dupack, &flag,
				      &rexmit);
	}
	/* RACK did not arm its own timer: arm the TLP or RTO one. */
	if (flag & FLAG_SET_XMIT_TIMER)
		tcp_set_xmit_timer(sk);
	delivered = tcp_newly_delivered(sk, delivered);
	lost = tp->lost - lost; /* declared lost during this ACK */
	rs.is_ack_delayed = !!(flag & FLAG_ACK_MAYBE_DELAYED);
	tcp_rate_gen(sk, delivered, lost, is_sack_reneg, &rs);
	tcp_cong_control(sk, ack, delivered, flag, &rs);
	tcp_xmit_recovery(sk, rexmit);
	return 1;

no_queue:
	/* A D-SACK may prove the last reduction spurious. */
	if (flag & FLAG_DSACKING_ACK) {
		tcp_fastretrans_alert(sk, prior_snd_una, num_dupack, &flag,
				      &rexmit);
		tcp_newly_delivered(sk, delivered);
	}
	/* The ACK reopened a window we were probing: the probe backoff was for
	 * probing, not a real RTO, so reset it. */
	tcp_ack_probe(sk);
	if (tp->xfer->tlp_high_seq)
		tcp_process_tlp_ack(sk, ack, flag);
	return 1;

old_ack:
	/* An old ACK may still carry SACK blocks worth tagging, and a D-SACK
	 * worth an undo check. */
	if (TCP_SKB_CB(skb)->sacked) {
		flag |= tcp_sacktag_write_queue(sk, skb, prior_snd_una,
						&sack_state);
		tcp_fastretrans_alert(sk, prior_snd_una, num_dupack, &flag,
				      &rexmit);
		tcp_newly_delivered(sk, delivered);
		tcp_xmit_recovery(sk, rexmit);
	}
	return 0;
}

/* --- SACK blocks we send (RFC 2018 4, RFC 2883) --------------------------- */

static bool tcp_sack_extend(struct tcp_sack_block *sp, u32 seq, u32 end_seq)
{
	if (!after(seq, sp->end_seq) && !after(sp->start_seq, end_seq)) {
		if (before(seq, sp->start_seq))
			sp->start_seq = seq;
		if (after(end_seq, sp->end_seq))
			sp->end_seq = end_seq;
		return true;
	}
	return false;
}

/* RFC 2883 4: report a duplicate segment in the first block of the next
 * ACK (TCPDSACKOldSent below rcv_nxt, TCPDSACKOfoSent above). */
static void tcp_dsack_set(struct sock *sk, u32 seq, u32 end_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tcp_is_sack(tp) && READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_dsack) &&
	    !tcp_xfer_get(sk)) {
		NET_INC_STATS(sock_net(sk), before(seq, tp->rcv_nxt) ?
						    LINUX_MIB_TCPDSACKOLDSENT :
						    LINUX_MIB_TCPDSACKOFOSENT);
		tp->rx_opt.dsack = 1;
		tp->xfer->duplicate_sack[0].start_seq = seq;
		tp->xfer->duplicate_sack[0].end_seq = end_seq;
	}
}

static void tcp_dsack_extend(struct sock *sk, u32 seq, u32 end_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->rx_opt.dsack)
		tcp_dsack_set(sk, seq, end_seq);
	else
		tcp_sack_extend(tp->xfer->duplicate_sack, seq, end_seq);
}

/* Merge blocks the first one now touches. */
static void tcp_sack_maybe_coalesce(struct tcp_sock *tp)
{
	struct tcp_sack_block *sp = &tp->xfer->selective_acks[0];
	int this_sack = 1;

	while (this_sack < tp->rx_opt.num_sacks) {
		if (tcp_sack_extend(sp, sp[this_sack].start_seq,
				    sp[this_sack].end_seq)) {
			int i;

			/* drop it and close the gap in the array */
			tp->rx_opt.num_sacks--;
			for (i = this_sack; i < tp->rx_opt.num_sacks; i++)
				sp[i] = sp[i + 1];
			continue;
		}
		this_sack++;
	}
}

/* RFC 2018 4: the block holding the newest segment goes first; blocks
 * are merged when adjacent; the oldest drops out beyond four. */
static void tcp_sack_new_ofo_skb(struct sock *sk, u32 seq, u32 end_seq)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_sack_block *sp = &tp->xfer->selective_acks[0];
	int cur_sacks = tp->rx_opt.num_sacks;
	int this_sack;

	if (!cur_sacks)
		goto new_sack;
	for (this_sack = 0; this_sack < cur_sacks; this_sack++, sp++) {
		if (tcp_sack_extend(sp, seq, end_seq)) {
			/* Move the block just extended to the front (RFC 2018
			 * 4). */
			for (; this_sack > 0; this_sack--, sp--) {
				struct tcp_sack_block tmp = *sp;

				*sp = *(sp - 1);
				*(sp - 1) = tmp;
			}
			if (cur_sacks > 1)
				tcp_sack_maybe_coalesce(tp);
			return;
		}
	}
	/* No block touches the new segment: start one at the front and shift
	 * the rest down, losing the oldest if all slots are used. */
	if (this_sack >= TCP_NUM_SACKS) {
		this_sack--;
		tp->rx_opt.num_sacks--;
		sp--;
	}
	for (; this_sack > 0; this_sack--, sp--)
		*sp = *(sp - 1);
new_sack:
	/* fill in the front block */
	sp->start_seq = seq;
	sp->end_seq = end_seq;
	tp->rx_opt.num_sacks++;
}

/* Blocks rcv_nxt now covers are gone (the hole filled). */
static void tcp_sack_remove(struct tcp_sock *tp)
{
	struct tcp_sack_block *sp = &tp->xfer->selective_acks[0];
	int num_sacks = tp->rx_opt.num_sacks;
	int this_sack;

	/* Nothing is held out of order any more, so no block remains. */
	if (skb_queue_empty(&tp->xfer->out_of_order_queue)) {
		tp->rx_opt.num_sacks = 0;
		return;
	}
	for (this_sack = 0; this_sack < num_sacks;) {
		/* The block now lies at or below rcv_nxt: it reports nothing
		 * new. */
		if (!before(tp->rcv_nxt, sp->start_seq)) {
			int i;

			/* remove it, moving the later blocks up */
			for (i = this_sack + 1; i < num_sacks; i++)
				tp->xfer->selective_acks[i - 1] = tp->xfer->selective_acks[i];
			num_sacks--;
			continue;
		}
		this_sack++;
		sp++;
	}
	tp->rx_opt.num_sacks = (u8)num_sacks;
}

/* --- receive memory (Linux's tcp_prune_queue family) ---------------------- */

static void tcp_drop_reason(struct sock *sk, struct sk_buff *skb,
			    enum skb_drop_reason reason)
{
	__atomic_fetch_add(&sk->sk_drops, 1, __ATOMIC_RELAXED);
	kfree_skb_reason(skb, reason);
}

/* The buffer is full: let it grow to what is allocated (up to
 * tcp_rmem[2]) and stop growing the window (Linux's tcp_clamp_window). */
static void tcp_clamp_window(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int rmem2 = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[2]);

	inet_csk(sk)->icsk_ack.quick = 0;
	if (sk->sk_rcvbuf < rmem2 && !(sk->sk_userlocks & SOCK_RCVBUF_LOCK))
		WRITE_ONCE(sk->sk_rcvbuf, min(sk_rmem_alloc_get(sk), rmem2));
	if (sk_rmem_alloc_get(sk) > sk->sk_rcvbuf)
		tp->rcv_ssthresh = min(tp->window_clamp, 2U * tp->advmss);
}

/* Drop out-of-order data from the highest sequence down until the buffer
 * has room, never what lies below @in_skb (Linux's tcp_prune_ofo_queue,
 * OfoPruned). SACK state is reset as RFC 2018 8 allows. */
static bool tcp_prune_ofo_queue(struct sock *sk, const struct sk_buff *in_skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	bool pruned = false;

	if (skb_queue_empty(&tp->xfer->out_of_order_queue))
		return false;
	NET_INC_STATS(sock_net(sk), LINUX_MIB_OFOPRUNED);
	while ((skb = skb_peek_tail(&tp->xfer->out_of_order_queue)) != NULL) {
		/* The new segment would itself be the last one queued: freeing
		 * more gains nothing. */
		if (after(TCP_SKB_CB(in_skb)->seq, TCP_SKB_CB(skb)->seq))
			break;
		pruned = true;
		__skb_unlink(skb, &tp->xfer->out_of_order_queue);
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		if (sk_rmem_alloc_get(sk) <= sk->sk_rcvbuf)
			break;
	}
	if (pruned && tp->rx_opt.sack_ok) {
		tp->rx_opt.num_sacks = 0;
		tp->rx_opt.dsack = 0;
	}
	return pruned;
}

/* Make room for @in_skb (PruneCalled, RcvPruned); 0 or -1 (Linux's
 * tcp_prune_queue without collapsing: pooled skbs are already compact). */
static int tcp_prune_queue(struct sock *sk, const struct sk_buff *in_skb)
{
	NET_INC_STATS(sock_net(sk), LINUX_MIB_PRUNECALLED);
	if (sk_rmem_alloc_get(sk) >= sk->sk_rcvbuf)
		tcp_clamp_window(sk);
	if (sk_rmem_alloc_get(sk) <= sk->sk_rcvbuf)
		return 0;
	tcp_prune_ofo_queue(sk, in_skb);
	if (sk_rmem_alloc_get(sk) <= sk->sk_rcvbuf)
		return 0;
	NET_INC_STATS(sock_net(sk), LINUX_MIB_RCVPRUNED);
	return -1;
}

/* Linux's test: prune only once the buffer is already over its limit
 * (one segment may overshoot; the window keeps the sender within it). */
static int tcp_try_rmem_schedule(struct sock *sk, const struct sk_buff *skb,
				 unsigned int size)
{
	if (sk_rmem_alloc_get(sk) > sk->sk_rcvbuf && tcp_prune_queue(sk, skb) < 0)
		return -1;
	return 0;
}

/* --- FIN and RST (RFC 9293 3.10.7.4 eighth and second checks) ------------ */

/**
 * tcp_fin - RFC 9293 3.10.7.4 "eighth, check the FIN bit": the peer
 * finished sending. ESTABLISHED -> CLOSE_WAIT, FIN_WAIT1 -> CLOSING,
 * FIN_WAIT2 -> TIME_WAIT; RCV_SHUTDOWN, SOCK_DONE, the out-of-order queue
 * is purged (RFC 9293: data after the FIN is meaningless), readers are
 * woken (POLLIN|POLLRDHUP). Context: socket locked.
 */
void tcp_fin(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	inet_csk_schedule_ack(sk);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		/* ESTABLISHED: peer closed; we may still send (CLOSE-WAIT) */
		tcp_set_state(sk, TCP_CLOSE_WAIT);
		inet_csk(sk)->icsk_ack.pingpong = 1;
		break;
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
		/* A repeated FIN: the state is already right. */
		break;
	case TCP_LAST_ACK:
		/* RFC 9293 3.10.7.4 (eighth check): LAST-ACK stays as is. */
		break;
	case TCP_FIN_WAIT1:
		/* Both sides closed at once: acknowledge the FIN and wait in
		 * CLOSING for the ACK of ours. */
		tcp_send_ack(sk);
		tcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		/* FIN-WAIT-2: acknowledge the FIN and go to TIME-WAIT. */
		tcp_send_ack(sk);
		tcp_time_wait(sk, TCP_TIME_WAIT, 0);
		break;
	default:
		/* LISTEN and CLOSED cannot get here: no connection to finish.
		 */
		break;
	}
	/* Data beyond the FIN can sit in the out-of-order queue; it can never
	 * be delivered, so discard it (a reset would also be defensible). */
	__skb_queue_purge(&tp->xfer->out_of_order_queue);
	if (tcp_is_sack(tp)) {
		tp->rx_opt.num_sacks = 0;
		tp->rx_opt.dsack = 0;
	}
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		/* only a full close signals hang-up; half-close gets POLL_IN */
		sk->sk_data_ready(sk);
	}
}

/**
 * tcp_reset - an acceptable RST arrived (RFC 9293 3.10.7.3/3.10.7.4):
 * ECONNREFUSED in SYN_SENT, EPIPE in CLOSE_WAIT, ECONNRESET otherwise
 * (nothing in CLOSE); tcp_done.
 * Does not consume @skb (may be NULL).
 */
void tcp_reset(struct sock *sk, struct sk_buff *skb)
{
	int err;

	/* Pick the errno per state the way BSD-derived stacks report it. */
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		err = ECONNREFUSED;
		break;
	case TCP_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TCP_CLOSE:
		return;
	default:
		err = ECONNRESET;
	}
	WRITE_ONCE(sk->sk_err, err);
	tcp_write_queue_purge(sk);
	tcp_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_error_report(sk);
}

/* --- data (RFC 9293 3.10.7.4 seventh check: segment text) ----------------- */

/* Wake the reader when SO_RCVLOWAT bytes wait, or the window is nearly
 * closed (Linux's tcp_data_ready / tcp_epollin_ready). */
static void tcp_data_ready(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int avail = (int)(READ_ONCE(tp->rcv_nxt) - READ_ONCE(tp->copied_seq));
	int target = max(READ_ONCE(sk->sk_rcvlowat), 1);

	if ((avail > 0 &&
	     (avail >= target || tcp_receive_window(tp) <= inet_csk(sk)->icsk_ack.rcv_mss ||
	      sk_rmem_alloc_get(sk) > (sk->sk_rcvbuf >> 3) * 7)) ||
	    sock_flag(sk, SOCK_DONE))
		sk->sk_data_ready(sk);
}

/* Move segments the hole no longer blocks from the out-of-order queue to
 * the receive queue; duplicates below rcv_nxt extend the D-SACK. */
static void tcp_ofo_queue(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 dsack_high = tp->rcv_nxt;
	struct sk_buff *skb;

	while ((skb = skb_peek(&tp->xfer->out_of_order_queue)) != NULL) {
		struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
		bool fin;

		if (after(tcb->seq, tp->rcv_nxt))
			break;
		if (before(tcb->seq, dsack_high)) {
			u32 dsack = dsack_high;

			if (before(tcb->end_seq, dsack_high))
				dsack_high = tcb->end_seq;
			tcp_dsack_extend(sk, tcb->seq, dsack);
		}
		__skb_unlink(skb, &tp->xfer->out_of_order_queue);
		if (unlikely(!after(tcb->end_seq, tp->rcv_nxt))) {
			tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
			continue;
		}
		fin = tcb->tcp_flags & TCPHDR_FIN;
		tcp_queue_rcv(sk, skb, NULL);
		if (unlikely(fin)) {
			tcp_fin(sk);
			/* tcp_fin has emptied the out-of-order queue; stop
			 * walking it. */
			break;
		}
	}
}

/* Insert @skb in the ordered out-of-order queue, dropping or replacing
 * what it duplicates (D-SACK, TCPOFOMerge). Returns false when @skb
 * itself was a duplicate (consumed). */
static bool tcp_ofo_insert(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff_head *q = &tp->xfer->out_of_order_queue;
	u32 seq = TCP_SKB_CB(skb)->seq, end_seq = TCP_SKB_CB(skb)->end_seq;
	struct sk_buff *skb1, *next;

	/* Find the last segment starting at or before seq (typical: tail). */
	for (skb1 = q->prev; skb1 != (struct sk_buff *)q; skb1 = skb1->prev)
		if (!after(TCP_SKB_CB(skb1)->seq, seq))
			break;
	if (skb1 != (struct sk_buff *)q &&
	    before(seq, TCP_SKB_CB(skb1)->end_seq)) {
		if (!after(end_seq, TCP_SKB_CB(skb1)->end_seq)) {
			/* Already fully held: drop the duplicate. */
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPOFOMERGE);
			tcp_dsack_set(sk, seq, end_seq);
			tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
			return false;
		}
		if (after(seq, TCP_SKB_CB(skb1)->seq)) {
			/* overlaps the earlier segment's tail */
			tcp_dsack_set(sk, seq, TCP_SKB_CB(skb1)->end_seq);
		} else {
			/* Both start at seq and the new one is at least as
			 * long: it takes the old one's place. */
			struct sk_buff *prev = skb1->prev;

			tcp_dsack_extend(sk, TCP_SKB_CB(skb1)->seq,
					 TCP_SKB_CB(skb1)->end_seq);
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPOFOMERGE);
			__skb_unlink(skb1, q);
			tcp_drop_reason(sk, skb1, SKB_DROP_REASON_NOT_SPECIFIED);
			skb1 = prev;
		}
	}
	if (skb1 == (struct sk_buff *)q)
		__skb_queue_head(q, skb);
	else
		__skb_queue_after(q, skb1, skb);
	/* Drop later queued segments the new one fully covers. */
	for (skb1 = skb->next; skb1 != (struct sk_buff *)q; skb1 = next) {
		next = skb1->next;
		if (!after(end_seq, TCP_SKB_CB(skb1)->seq))
			break;
		if (before(end_seq, TCP_SKB_CB(skb1)->end_seq)) {
			tcp_dsack_extend(sk, TCP_SKB_CB(skb1)->seq, end_seq);
			break;
		}
		__skb_unlink(skb1, q);
		tcp_dsack_extend(sk, TCP_SKB_CB(skb1)->seq,
				 TCP_SKB_CB(skb1)->end_seq);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPOFOMERGE);
		tcp_drop_reason(sk, skb1, SKB_DROP_REASON_NOT_SPECIFIED);
	}
	return true;
}

/* A segment beyond rcv_nxt (RFC 9293 3.10.7.4: "segments with higher
 * beginning sequence numbers SHOULD be held for later processing"):
 * queue it, SACK it (RFC 2018 4), ACK at once (RFC 5681 4.2). */
static void tcp_data_queue_ofo(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 seq = TCP_SKB_CB(skb)->seq, end_seq = TCP_SKB_CB(skb)->end_seq;
	u32 truesize = skb->truesize;

	/* The queue and the SACK blocks live in the transfer state. */
	if (unlikely(tcp_xfer_get(sk) ||
		     tcp_try_rmem_schedule(sk, skb, skb->truesize))) {
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPOFODROP);
		sk->sk_data_ready(sk);
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return;
	}
	inet_csk_schedule_ack(sk);
	TCP_EXT_ADD(sk, rcv_ooopack, (u32)max_t(u16, 1, skb_shinfo(skb)->gso_segs));
	NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPOFOQUEUE);
	if (skb_queue_empty(&tp->xfer->out_of_order_queue)) {
		/* First hole: a single SACK block for this segment. */
		if (tcp_is_sack(tp)) {
			tp->rx_opt.num_sacks = 1;
			tp->xfer->selective_acks[0].start_seq = seq;
			tp->xfer->selective_acks[0].end_seq = end_seq;
		}
		__skb_queue_tail(&tp->xfer->out_of_order_queue, skb);
	} else {
		bool queued = tcp_ofo_insert(sk, skb);

		if (tcp_is_sack(tp))
			tcp_sack_new_ofo_skb(sk, seq, end_seq);
		if (!queued)
			return;
	}
	/* Without SACK the sender learns of the hole only from duplicate ACKs,
	 * which must carry an unchanged window (RFC 5681 2), so the window
	 * stays put. */
	if (tcp_is_sack(tp))
		tcp_grow_window(sk, truesize, len);
	skb_dst_drop(skb);
	skb_set_owner_r(skb, sk);
}

/* In-order data that fits the window: to the reader (io's tcp_queue_rcv),
 * then FIN, holes the segment filled, SACK cleanup. */
static void tcp_data_queue_inorder(struct sock *sk, struct sk_buff *skb,
				   u32 len)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool fin = TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN;

	if (tcp_try_rmem_schedule(sk, skb, skb->truesize)) {
		inet_csk(sk)->icsk_ack.pending |= ICSK_ACK_NOW;
		inet_csk_schedule_ack(sk);
		sk->sk_data_ready(sk);
		if (skb_queue_len(&sk->sk_receive_queue) && len) {
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPRCVQDROP);
			tcp_drop_reason(sk, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
			return;
		}
	}
	tcp_queue_rcv(sk, skb, NULL);
	if (len)
		tcp_event_data_recv(sk, skb, len);
	if (fin)
		tcp_fin(sk);
	if (!skb_queue_empty(&tp->xfer->out_of_order_queue)) {
		tcp_ofo_queue(sk);
		/* RFC 5681 4.2: ACK at once when a segment fills a hole. */
		if (skb_queue_empty(&tp->xfer->out_of_order_queue))
			inet_csk(sk)->icsk_ack.pending |= ICSK_ACK_NOW;
	}
	if (tp->rx_opt.num_sacks)
		tcp_sack_remove(tp);
	if (!sock_flag(sk, SOCK_DEAD))
		tcp_data_ready(sk);
}

/* Data we must not queue: ACK at once (quick ACK mode) and drop. */
static void tcp_data_out_of_window(struct sock *sk, struct sk_buff *skb,
				   enum skb_drop_reason reason)
{
	tcp_enter_quickack_mode(sk, TCP_MAX_QUICKACKS);
	inet_csk_schedule_ack(sk);
	tcp_drop_reason(sk, skb, reason);
}

/*
 * tcp_data_queue - RFC 9293 3.10.7.4 "seventh, process the segment text"
 * for ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 (and the FIN it may carry).
 * In order -> receive queue; old duplicates -> D-SACK + immediate ACK;
 * beyond the window (zero window: TCPZeroWindowDrop) -> ACK + drop; a
 * partly old segment is trimmed logically; the rest -> out-of-order queue.
 * Consumes @skb; skb->data at the TCP header.
 */
static void tcp_data_queue(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 len = tcp_seg_len(skb);

	if (TCP_SKB_CB(skb)->seq == TCP_SKB_CB(skb)->end_seq) {
		consume_skb(skb);
		return;
	}
	skb_dst_drop(skb);
	skb_pull(skb, tcp_hdr(skb)->doff * 4u);
	tp->rx_opt.dsack = 0;
	/* In-sequence data goes to the reader; data beyond a hole waits in the
	 * out-of-order queue. */
	if (TCP_SKB_CB(skb)->seq == tp->rcv_nxt) {
		if (tcp_receive_window(tp) == 0) {
			/* Some stacks send bare FINs in a loop even when we
			 * advertise a zero window: take the FIN. */
			if (!len && (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN))
				goto queue_and_out;
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPZEROWINDOWDROP);
			tcp_data_out_of_window(sk, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
			return;
		}
queue_and_out:
		tcp_data_queue_inorder(sk, skb, len);
		return;
	}
	if (!after(TCP_SKB_CB(skb)->end_seq, tp->rcv_nxt)) {
		/* Entirely old data, usually a retransmission: report it with a
		 * D-SACK (RFC 2883) in an immediate ACK. */
		NET_INC_STATS(sock_net(sk), LINUX_MIB_DELAYEDACKLOST);
		tcp_dsack_set(sk, TCP_SKB_CB(skb)->seq, TCP_SKB_CB(skb)->end_seq);
		tcp_data_out_of_window(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return;
	}
	/* Starts at or past the right window edge, e.g. a zero window probe. */
	if (!before(TCP_SKB_CB(skb)->seq, tp->rcv_nxt + tcp_receive_window(tp))) {
		tcp_data_out_of_window(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return;
	}
	if (before(TCP_SKB_CB(skb)->seq, tp->rcv_nxt)) {
		/* Starts before rcv_nxt but carries new bytes too. */
		tcp_dsack_set(sk, TCP_SKB_CB(skb)->seq, tp->rcv_nxt);
		/* A closed window leaves no room even for the new part; the
		 * D-SACK for the old part is already noted. */
		if (!tcp_receive_window(tp)) {
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPZEROWINDOWDROP);
			tcp_data_out_of_window(sk, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
			return;
		}
		goto queue_and_out;
	}
	tcp_data_queue_ofo(sk, skb, len);
}

/* --- urgent data (RFC 9293 3.8.5, RFC 6093: as Linux, one byte) ---------- */

static void tcp_check_urg(struct sock *sk, const struct sl_tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 ptr = ntohs(th->urg_ptr);

	if (ptr && !READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_stdurg))
		ptr--;
	ptr += ntohl(th->seq);
	/* pointer at or before what was already read: stale */
	if (after(tp->copied_seq, ptr))
		return;
	/* a pointer we already announced must not re-announce */
	if (before(ptr, tp->rcv_nxt))
		return;
	/* Same as, or older than, the pointer we know: nothing new. */
	if (tp->ext->urg_data && !after(ptr, tp->ext->urg_seq))
		return;
	/* Kept in tcp_ext: without memory, no urgent data. */
	if (!tcp_ext_get(sk))
		return;
	/* Signal the owner (SIGURG) about the new urgent data. */
	sk->sk_data_ready(sk);
	tp->ext->urg_data = TCP_URG_NOTYET;
	WRITE_ONCE(tp->ext->urg_seq, ptr);
}

/* Urgent data handling per segment; both checks are usually false. */
static void tcp_urg(struct sock *sk, struct sk_buff *skb,
		    const struct sl_tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* URG set: record a new pointer if it moved. */
	if (unlikely(th->urg))
		tcp_check_urg(sk, th);
	/* An urgent byte is expected; see whether this segment holds it. */
	if (unlikely(tp->ext->urg_data == TCP_URG_NOTYET)) {
		u32 ptr = tp->ext->urg_seq - ntohl(th->seq) + (th->doff * 4u) - th->syn;

		/* Does the urgent byte fall inside this segment's payload? */
		if (ptr < skb->len) {
			u8 tmp;

			if (skb_copy_bits(skb, (int)ptr, &tmp, 1))
				return;
			WRITE_ONCE(tp->ext->urg_data, TCP_URG_VALID | tmp);
			if (!sock_flag(sk, SOCK_DEAD))
				sk->sk_data_ready(sk);
		}
	}
}

/* --- when to ACK (RFC 1122 4.2.3.2, RFC 5681 4.2, RFC 9293 3.8.6.3) ------- */

/*
 * RFC 1122 4.2.3.2 lets a receiver hold an ACK, but at most for every
 * second full-sized segment. We answer at once when more than one
 * rcv_mss of data is unacknowledged and the window we would offer now
 * does not shrink what we offered last (if it would, the reader's
 * tcp_cleanup_rbuf answers when it makes room, as Linux does); in
 * quick-ACK mode; or when the state asked for one immediate ACK. Out-of-
 * order data is answered at once too (RFC 5681 4.2); anything else waits
 * for the delayed-ACK timer (40 ms minimum ato, tcp_send_delayed_ack).
 */
static void __tcp_ack_snd_check(struct sock *sk, int ofo_possible)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct inet_connection_sock *icsk = inet_csk(sk);
	bool two_segments = tp->rcv_nxt - tp->rcv_wup > icsk->icsk_ack.rcv_mss;

	if ((two_segments && __tcp_select_window(sk) >= tp->rcv_wnd) ||
	    tcp_in_quickack_mode(sk) ||
	    (icsk->icsk_ack.pending & ICSK_ACK_NOW)) {
		tcp_send_ack(sk);
		return;
	}
	if (!ofo_possible || skb_queue_empty(&tp->xfer->out_of_order_queue)) {
		tcp_send_delayed_ack(sk);
		return;
	}
	/* Out-of-order data: RFC 5681 4.2 immediate duplicate ACK. */
	tcp_send_ack(sk);
}

static inline void tcp_ack_snd_check(struct sock *sk)
{
	if (!inet_csk_ack_scheduled(sk)) {
		/* Our data segment carried the ACK already. */
		return;
	}
	__tcp_ack_snd_check(sk, 1);
}

/* After an ACK: send what the window now allows, wake writers. */
static void tcp_data_snd_check(struct sock *sk)
{
	tcp_push_pending_frames(sk);
	tcp_check_space(sk);
}

/* --- RFC 9293 3.10.7.4 first to fourth checks (tcp_validate_incoming) ----- */

/* First check, sequence number (RFC 9293 3.10.7.4, the acceptability
 * table; Linux accepts a segment starting inside the window). */
static bool tcp_sequence(const struct tcp_sock *tp, u32 seq, u32 end_seq)
{
	return !before(end_seq, tp->rcv_wup) &&
	       !after(seq, tp->rcv_nxt + tcp_receive_window(tp));
}

/* An unacceptable segment gets an ACK (RFC 9293 3.10.7.4); a duplicate
 * data segment is D-SACKed (RFC 2883) and turns quick ACKs on. */
static void tcp_send_dupack(struct sock *sk, const struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (TCP_SKB_CB(skb)->end_seq != TCP_SKB_CB(skb)->seq &&
	    before(TCP_SKB_CB(skb)->seq, tp->rcv_nxt)) {
		NET_INC_STATS(sock_net(sk), LINUX_MIB_DELAYEDACKLOST);
		tcp_enter_quickack_mode(sk, TCP_MAX_QUICKACKS);
		if (tcp_is_sack(tp) && READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_dsack)) {
			u32 end_seq = TCP_SKB_CB(skb)->end_seq;

			if (after(TCP_SKB_CB(skb)->end_seq, tp->rcv_nxt))
				end_seq = tp->rcv_nxt;
			tcp_dsack_set(sk, TCP_SKB_CB(skb)->seq, end_seq);
		}
	}
	tcp_send_ack(sk);
}

/* A RST at rcv_nxt - 1 after the peer's FIN is accepted too (Linux). */
static bool tcp_reset_check(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return unlikely(TCP_SKB_CB(skb)->seq == (tp->rcv_nxt - 1) &&
			((1 << sk->sk_state) &
			 (TCPF_CLOSE_WAIT | TCPF_LAST_ACK | TCPF_CLOSING)));
}

/* RFC 5961 3.2: a RST is acted on only at exactly RCV.NXT (Linux also
 * takes the right edge of the highest SACK block we sent). */
static bool tcp_rst_exact(const struct sock *sk, const struct sk_buff *skb)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 seq = TCP_SKB_CB(skb)->seq;

	if (seq == tp->rcv_nxt || tcp_reset_check(sk, skb))
		return true;
	if (tcp_is_sack(tp) && tp->rx_opt.num_sacks > 0) {
		const struct tcp_sack_block *sp = &tp->xfer->selective_acks[0];
		u32 max_sack = sp[0].end_seq;
		int i;

		for (i = 1; i < tp->rx_opt.num_sacks; ++i)
			if (after(sp[i].end_seq, max_sack))
				max_sack = sp[i].end_seq;
		if (seq == max_sack)
			return true;
	}
	return false;
}

/* RFC 5961 4.2: a SYN in a synchronized state gets a challenge ACK. */
static void tcp_syn_challenge(struct sock *sk, struct sk_buff *skb,
			      int syn_inerr)
{
	if (syn_inerr)
		TCP_INC_STATS(sock_net(sk), TCP_MIB_INERRS);
	NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPSYNCHALLENGE);
	tcp_send_challenge_ack(sk);
	tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
}

/*
 * tcp_validate_incoming - RFC 9293 3.10.7.4 checks one to four for a
 * synchronized socket: PAWS (RFC 7323 5.3), sequence number, RST (RFC
 * 5961 3.2), SYN (RFC 5961 4.2). False when @skb was consumed (dropped,
 * or the connection was reset); true to continue with the ACK field.
 */
static bool tcp_validate_incoming(struct sock *sk, struct sk_buff *skb,
				  const struct sl_tcphdr *th, int syn_inerr)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* PAWS runs before the sequence check (RFC 7323 5.3 R1). */
	if (tcp_fast_parse_options(sock_net(sk), skb, th, tp) &&
	    tp->rx_opt.saw_tstamp && tcp_paws_discard(sk, skb)) {
		if (!th->rst) {
			if (unlikely(th->syn)) {
				tcp_syn_challenge(sk, skb, syn_inerr);
				return false;
			}
			NET_INC_STATS(sock_net(sk), LINUX_MIB_PAWSESTAB);
			if (!tcp_oow_rate_limited(sock_net(sk), skb,
						  LINUX_MIB_TCPACKSKIPPEDPAWS,
						  &tp->last_oow_ack_time))
				tcp_send_dupack(sk, skb);
			goto discard;
		}
		/* An RST skips PAWS (RFC 7323 5.3 R1 excepts it). */
	}
	/* RFC 9293 3.10.7.4, first: is the sequence number acceptable? */
	if (!tcp_sequence(tp, TCP_SKB_CB(skb)->seq, TCP_SKB_CB(skb)->end_seq)) {
		/* RFC 9293 3.10.7.4: "If an incoming segment is not
		 * acceptable, an acknowledgment should be sent in reply
		 * (unless the RST bit is set, if so drop the segment and
		 * return)". */
		if (!th->rst) {
			if (th->syn) {
				tcp_syn_challenge(sk, skb, syn_inerr);
				return false;
			}
			if (!tcp_oow_rate_limited(sock_net(sk), skb,
						  LINUX_MIB_TCPACKSKIPPEDSEQ,
						  &tp->last_oow_ack_time))
				tcp_send_dupack(sk, skb);
		} else if (tcp_reset_check(sk, skb)) {
			goto reset;
		}
		goto discard;
	}
	/* Second, the RST bit (RFC 5961 3.2: exact -> reset, else a
	 * challenge ACK). */
	if (th->rst) {
		if (tcp_rst_exact(sk, skb))
			goto reset;
		tcp_send_challenge_ack(sk);
		goto discard;
	}
	/* Third, security (RFC 9293 3.10.7.4): nothing to check here.
	 * Fourth, SYN: answered with a challenge ACK (RFC 5961 4.2), but for
	 * the SYN-ACK a simultaneous open sends again. */
	if (th->syn) {
		if (sk->sk_state == TCP_SYN_RECV && sk->sk_socket && th->ack &&
		    TCP_SKB_CB(skb)->seq + 1 == TCP_SKB_CB(skb)->end_seq &&
		    TCP_SKB_CB(skb)->seq + 1 == tp->rcv_nxt &&
		    TCP_SKB_CB(skb)->ack_seq == tp->snd_nxt)
			return true;
		tcp_syn_challenge(sk, skb, syn_inerr);
		return false;
	}
	return true;

discard:
	tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
	return false;
reset:
	tcp_reset(sk, skb);
	consume_skb(skb);
	return false;
}

/* --- ESTABLISHED: header prediction and the slow path --------------------- */

/* Linux's pred_flags test computed on the fly: only ACK (PSH ignored),
 * our expected header length, the same window, nothing unusual pending
 * (no holes, open window, buffer room, no urgent data). */
static bool tcp_header_predicted(const struct sock *sk,
				 const struct sl_tcphdr *th)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return (tcp_flag_byte(th) & TCP_HP_BITS) == TCPHDR_ACK &&
	       th->doff * 4u == tp->tcp_header_len &&
	       ntohs(th->window) == (tp->snd_wnd >> tp->rx_opt.snd_wscale) &&
	       skb_queue_empty(&tp->xfer->out_of_order_queue) && tp->rcv_wnd &&
	       sk_rmem_alloc_get(sk) < sk->sk_rcvbuf && !tp->ext->urg_data;
}

/* Fast path, pure ACK (Linux: "bulk data transfer: sender"). */
static void tcp_rcv_fast_ack(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* The fast path has seq == rcv_nxt and rcv_wup <= rcv_nxt, so the RFC
	 * 7323 4.3 timestamp rule reduces to this test: */
	if (tp->rx_opt.saw_tstamp && tp->rcv_nxt == tp->rcv_wup)
		tcp_store_ts_recent(tp);
	tcp_ack(sk, skb, 0);
	consume_skb(skb);
	tcp_data_snd_check(sk);
	/* A pure ACK on the fast path: save the echoed timestamp now; the
	 * receiver RTT sampler needs it only for data. */
	tp->rcv_rtt_last_tsecr = tp->rx_opt.rcv_tsecr;
}

/* Fast path, in-order data (Linux: "bulk data transfer: receiver"). */
static void tcp_rcv_fast_data(struct sock *sk, struct sk_buff *skb,
			      const struct sl_tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 len = tcp_seg_len(skb);

	if (tp->rx_opt.saw_tstamp && tp->rcv_nxt == tp->rcv_wup)
		tcp_store_ts_recent(tp);
	tcp_rcv_rtt_measure_ts(sk, skb);
	NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPHPHITS);
	/* in-order data that fits the buffer */
	skb_dst_drop(skb);
	skb_pull(skb, tp->tcp_header_len);
	tcp_queue_rcv(sk, skb, NULL);
	tcp_event_data_recv(sk, skb, len);
	if (TCP_SKB_CB(skb)->ack_seq != tp->snd_una) {
		/* After queueing, maybe ACK and then return: the only step
		 * beyond plain queueing. */
		tcp_ack(sk, skb, FLAG_DATA);
		tcp_data_snd_check(sk);
		if (!inet_csk_ack_scheduled(sk))
			goto no_ack;
	} else {
		tcp_update_wl(tp, TCP_SKB_CB(skb)->seq);
	}
	__tcp_ack_snd_check(sk, 0);
no_ack:
	tcp_data_ready(sk);
	(void)th;
}

/* Header prediction (Linux's fast path, from Van Jacobson's): true when
 * the segment was handled (consumed). */
static bool tcp_rcv_fast_path(struct sock *sk, struct sk_buff *skb,
			      const struct sl_tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_header_predicted(sk, th) ||
	    TCP_SKB_CB(skb)->seq != tp->rcv_nxt ||
	    after(TCP_SKB_CB(skb)->ack_seq, tp->snd_nxt))
		return false;
	/* The prediction matched the header length, so the only option
	 * expected is an aligned timestamp; anything else, and a timestamp
	 * older than ts_recent (PAWS, RFC 7323 5.3), takes the slow path. */
	if (tp->tcp_header_len == sizeof(*th) + TCPOLEN_TSTAMP_ALIGNED) {
		if (!tcp_parse_aligned_timestamp(tp, th))
			return false;
		if ((s32)(tp->rx_opt.rcv_tsval - tp->rx_opt.ts_recent) < 0)
			return false;
		/* ts_recent stays until the segment passes the in-window tests;
		 * a damaged timestamp stored early could make PAWS reject all
		 * later segments. */
	}
	if (TCP_SKB_CB(skb)->seq == TCP_SKB_CB(skb)->end_seq) {
		tcp_rcv_fast_ack(sk, skb);
		return true;
	}
	tcp_rcv_fast_data(sk, skb, th);
	return true;
}

/**
 * tcp_rcv_established - a segment for an ESTABLISHED socket (from
 * tcp_v4_do_rcv, skb->data at the TCP header, checksum verified):
 * header prediction, else RFC 9293 3.10.7.4 steps 1-8 (validation, ACK,
 * URG, text, FIN) and the ACK/transmit decisions. Consumes @skb.
 * Context: socket bh-locked or owned (backlog).
 */
void tcp_rcv_established(struct sock *sk, struct sk_buff *skb)
{
	const struct sl_tcphdr *th = tcp_hdr(skb);
	struct tcp_sock *tp = tcp_sk(sk);
	int ret;

	tcp_mstamp_refresh(tp);
	tp->rx_opt.saw_tstamp = 0;
	if (tcp_rcv_fast_path(sk, skb, th))
		return;
	/* everything the fast path declined */
	if (skb->len < th->doff * 4u) {
		TCP_INC_STATS(sock_net(sk), TCP_MIB_INERRS);
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_PKT_TOO_SMALL);
		return;
	}
	if (!th->ack && !th->rst && !th->syn) {
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return;
	}
	/* full validation of the segment */
	if (!tcp_validate_incoming(sk, skb, th, 1))
		return;
	/* RFC 9293 3.10.7.4, fifth check: the ACK field */
	ret = tcp_ack(sk, skb, FLAG_SLOWPATH | FLAG_UPDATE_TS_RECENT);
	if (ret < 0) {
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return;
	}
	tcp_rcv_rtt_measure_ts(sk, skb);
	/* sixth: URG bit */
	tcp_urg(sk, skb, th);
	/* seventh and eighth: payload, then FIN */
	tcp_data_queue(sk, skb);
	tcp_data_snd_check(sk);
	tcp_ack_snd_check(sk);
}

/* --- connection start ------------------------------------------------------- */

/**
 * tcp_update_metrics - Linux saves per-destination metrics here; sockline
 * has no metrics cache, so nothing is kept.
 */
void tcp_update_metrics(struct sock *sk)
{
}

/* No cached metrics: RFC 6298 5.7 — without an RTT sample from the
 * handshake the RTO falls back to 3 s (Linux's tcp_init_metrics). */
static void tcp_init_metrics(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	if (tp->srtt_us == 0) {
		tp->rttvar_us = TCP_TIMEOUT_FALLBACK;
		tp->mdev_us = tp->mdev_max_us = tp->rttvar_us;
		inet_csk(sk)->icsk_rto = TCP_TIMEOUT_FALLBACK;
	}
}

/**
 * tcp_init_transfer - the connection is established: MTU probing state,
 * initial window (RFC 6928: 10 segments; 1 if the SYN or SYN-ACK was
 * retransmitted, RFC 5681 3.1), congestion control init, buffer space.
 * @bpf_op is unused (Linux's BPF hook). Does not consume @skb.
 */
void tcp_init_transfer(struct sock *sk, int bpf_op, struct sk_buff *skb)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_mtup_init(sk);
	tcp_init_metrics(sk);
	/* A lost SYN or SYN-ACK makes the initial window 1 segment (RFC 5681
	 * 3.1, RFC 6298 5.7). */
	if (tp->total_retrans > 1 && tp->undo_marker)
		tcp_snd_cwnd_set(tp, 1);
	else
		tcp_snd_cwnd_set(tp, TCP_INIT_CWND);
	tp->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	if (!icsk->icsk_ca_initialized)
		tcp_init_congestion_control(sk);
	tcp_init_buffer_space(sk);
}

/**
 * tcp_finish_connect - active open complete (RFC 9293 3.10.7.3: "enter
 * ESTABLISHED"): state, transfer init, keepalive timer if SO_KEEPALIVE.
 * The caller wakes connect(2). Does not consume @skb (may be NULL).
 */
void tcp_finish_connect(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct inet_connection_sock *icsk = inet_csk(sk);

	tcp_set_state(sk, TCP_ESTABLISHED);
	icsk->icsk_ack.lrcvtime = tcp_now_ms(sk);
	tcp_init_transfer(sk, 0, skb);
	/* The first data send must not look like a restart after idle. */
	tp->lsndtime = tcp_now_ms(sk);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		tcp_reset_keepalive_timer(sk, keepalive_time_when(tp));
}

/* A SYN-ACK from a full socket (simultaneous open): the queued SYN gains
 * ACK and goes again (Linux's tcp_send_synack for full sockets); its RTO
 * timer keeps running. */
static void tcp_send_synack_full(struct sock *sk)
{
	struct sk_buff *skb = tcp_rtx_queue_head(sk);

	if (!skb || !(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN))
		return;
	TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_ACK;
	tcp_transmit_skb(sk, skb, 1);
}

/* The options of a SYN-ACK/SYN in SYN-SENT (RFC 7323, RFC 2018): what
 * both sides offered. */
static void tcp_synsent_apply_options(struct sock *sk, bool syn_ack)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tp->rx_opt.wscale_ok) {
		tp->rx_opt.snd_wscale = tp->rx_opt.rcv_wscale = 0;
		tp->window_clamp = min(tp->window_clamp, 65535U);
	}
	if (tp->rx_opt.saw_tstamp) {
		tp->rx_opt.tstamp_ok = 1;
		tp->tcp_header_len = sizeof(struct sl_tcphdr) + TCPOLEN_TSTAMP_ALIGNED;
		if (syn_ack)
			tp->advmss -= TCPOLEN_TSTAMP_ALIGNED;
		tcp_store_ts_recent(tp);
	} else {
		tp->rx_opt.tstamp_ok = 0;
		tp->tcp_header_len = sizeof(struct sl_tcphdr);
	}
}

/* RFC 9293 3.10.7.3, SYN-SENT, acceptable SYN-ACK: ESTABLISHED. Returns
 * -1 (ACK sent; the caller finishes with the segment) or 0 (consumed). */
static int tcp_rcv_synsent_synack(struct sock *sk, struct sk_buff *skb,
				  const struct sl_tcphdr *th)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_init_wl(tp, TCP_SKB_CB(skb)->seq);
	tcp_ack(sk, skb, FLAG_SLOWPATH);
	/* The SYN-ACK is acceptable: initialize receive state and become
	 * ESTABLISHED. */
	WRITE_ONCE(tp->rcv_nxt, TCP_SKB_CB(skb)->seq + 1);
	tp->rcv_wup = TCP_SKB_CB(skb)->seq + 1;
	/* RFC 7323 2.2: no scaling applies to a SYN-ACK's window. */
	tp->snd_wnd = ntohs(th->window);
	tp->max_window = max(tp->max_window, tp->snd_wnd);
	tcp_synsent_apply_options(sk, true);
	tcp_sync_mss(sk, icsk->icsk_pmtu_cookie);
	tcp_initialize_rcv_mss(sk);
	/* tcp_poll reads state without the lock, so copied_seq must be valid
	 * before the state leaves SYN-SENT. */
	WRITE_ONCE(tp->copied_seq, tp->rcv_nxt);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	tcp_finish_connect(sk, skb);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
	if (tp->ext->defer_accept || inet_csk_in_pingpong_mode(sk)) {
		/* Data should follow soon: let a delayed ACK, or the first data
		 * segment, acknowledge the SYN-ACK. */
		inet_csk_schedule_ack(sk);
		tcp_enter_quickack_mode(sk, TCP_MAX_QUICKACKS);
		tcp_reset_xmit_timer(sk, ICSK_TIME_DACK, TCP_DELACK_MAX,
				     TCP_RTO_MAX);
		consume_skb(skb);
		return 0;
	}
	tcp_send_ack(sk);
	return -1;
}

/* RFC 9293 3.10.7.3, SYN-SENT, SYN without ACK: simultaneous open (or a
 * connect to self): SYN-RECEIVED and a SYN-ACK. Consumes @skb. */
static int tcp_rcv_synsent_syn(struct sock *sk, struct sk_buff *skb,
			       const struct sl_tcphdr *th)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	tcp_set_state(sk, TCP_SYN_RECV);
	tcp_synsent_apply_options(sk, false);
	WRITE_ONCE(tp->rcv_nxt, TCP_SKB_CB(skb)->seq + 1);
	WRITE_ONCE(tp->copied_seq, tp->rcv_nxt);
	tp->rcv_wup = TCP_SKB_CB(skb)->seq + 1;
	/* RFC 7323 2.2: no scaling applies to a SYN's window. */
	tp->snd_wnd = ntohs(th->window);
	tp->snd_wl1 = TCP_SKB_CB(skb)->seq;
	tp->max_window = tp->snd_wnd;
	tcp_mtup_init(sk);
	tcp_sync_mss(sk, icsk->icsk_pmtu_cookie);
	tcp_initialize_rcv_mss(sk);
	tcp_send_synack_full(sk);
	consume_skb(skb);
	return 0;
}

/*
 * tcp_rcv_synsent_state_process - RFC 9293 3.10.7.3 SYN-SENT. Returns
 * >0: the caller sends a RST and frees @skb (unacceptable ACK); 0: @skb
 * consumed; -1: established, the caller finishes (@skb not consumed).
 */
static int tcp_rcv_synsent_state_process(struct sock *sk, struct sk_buff *skb,
					 const struct sl_tcphdr *th)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	u16 saved_clamp = tp->rx_opt.mss_clamp;

	tcp_parse_options(sock_net(sk), skb, &tp->rx_opt, 0);
	if (tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr)
		tp->rx_opt.rcv_tsecr -= tp->tsoffset;
	if (th->ack) {
		/* "If SEG.ACK =< ISS, or SEG.ACK > SND.NXT, send a reset
		 * (unless the RST bit is set, if so drop the segment and
		 * return)" */
		if (!after(TCP_SKB_CB(skb)->ack_seq, tp->snd_una) ||
		    after(TCP_SKB_CB(skb)->ack_seq, tp->snd_nxt)) {
			/* A FIN/ACK or RST/ACK from an old attempt may carry an
			 * ACK we must refuse. */
			if (icsk->icsk_retransmits == 0)
				tcp_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
						     TCP_TIMEOUT_MIN_US, TCP_RTO_MAX);
			goto reset_and_undo;
		}
		/* RFC 7323 5.5 / Linux: the echoed timestamp must be one we
		 * sent in this attempt. */
		if (tp->rx_opt.saw_tstamp && tp->rx_opt.rcv_tsecr &&
		    !between(tp->rx_opt.rcv_tsecr, tp->retrans_stamp,
			     tcp_now_ms(sk))) {
			NET_INC_STATS(sock_net(sk), LINUX_MIB_PAWSACTIVE);
			goto reset_and_undo;
		}
		/* The ACK is acceptable. RFC 9293 3.10.7.3: an RST with it
		 * reports "connection reset", drops the segment and enters
		 * CLOSED. */
		if (th->rst) {
			tcp_reset(sk, skb);
			consume_skb(skb);
			return 0;
		}
		/* "fifth, if neither of the SYN or RST bits is set then drop
		 * the segment and return." */
		if (!th->syn)
			goto discard_and_undo;
		return tcp_rcv_synsent_synack(sk, skb, th);
	}
	/* Neither ACK nor SYN usable: a bare RST is dropped (RFC 9293
	 * 3.10.7.3). */
	if (th->rst)
		goto discard_and_undo;
	/* RFC 7323 5.3 on the SYN too */
	if (tp->rx_opt.ts_recent_stamp && tp->rx_opt.saw_tstamp &&
	    tcp_paws_reject_net(sock_net(sk), &tp->rx_opt, 0))
		goto discard_and_undo;
	if (th->syn)
		return tcp_rcv_synsent_syn(sk, skb, th);
discard_and_undo:
	tp->rx_opt.saw_tstamp = 0;
	tp->rx_opt.mss_clamp = saved_clamp;
	tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
	return 0;
reset_and_undo:
	tp->rx_opt.saw_tstamp = 0;
	tp->rx_opt.mss_clamp = saved_clamp;
	return 1;
}

/**
 * tcp_synack_rtt_meas - RFC 6298 first RTT sample of a passive open: from
 * the SYN-ACK's send time unless it was retransmitted (Karn), else from
 * the timestamp echo. conn's tcp_check_req calls it for the new child, as
 * Linux does (@req may be NULL: timestamps only). Context: @sk locked.
 */
void tcp_synack_rtt_meas(struct sock *sk, struct request_sock *req)
{
	struct rate_sample rs = { 0 };
	long rtt_us = -1L;

	tcp_mstamp_refresh(tcp_sk(sk));
	if (req && !req->num_retrans && req->snt_synack)
		rtt_us = (long)tcp_stamp_us_delta(tcp_sk(sk)->tcp_mstamp,
						  req->snt_synack);
	tcp_ack_update_rtt(sk, FLAG_SYN_ACKED, rtt_us, -1L, rtt_us, &rs);
}

/* --- tcp_rcv_state_process: every state but ESTABLISHED and TIME_WAIT ----- */

/* RFC 9293 3.10.7.2 LISTEN (the listener's own segments; conn's cookie
 * check ran before): ACK -> RST, RST ignored, SYN -> request sock. */
static int tcp_rcv_listen(struct sock *sk, struct sk_buff *skb,
			  const struct sl_tcphdr *th)
{
	if (th->ack)
		return 1;
	if (th->rst || !th->syn || th->fin) {
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return 0;
	}
	tcp_conn_request(sk, skb);
	consume_skb(skb);
	return 0;
}

/* RFC 9293 3.10.7.4 fifth check, SYN-RECEIVED: "If SND.UNA < SEG.ACK =<
 * SND.NXT, then enter ESTABLISHED state". */
static void tcp_rcv_synrecv_established(struct sock *sk, struct sk_buff *skb,
					const struct sl_tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);

	tp->delivered++; /* tcp_ack does not count the SYN-ACK as delivered */
	if (!tp->srtt_us)
		tcp_synack_rtt_meas(sk, NULL);
	tp->retrans_stamp = 0;
	tcp_init_transfer(sk, 0, skb);
	WRITE_ONCE(tp->copied_seq, tp->rcv_nxt);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	tcp_set_state(sk, TCP_ESTABLISHED);
	sk->sk_state_change(sk);
	tp->snd_una = TCP_SKB_CB(skb)->ack_seq;
	tp->snd_wnd = (u32)ntohs(th->window) << tp->rx_opt.snd_wscale;
	tcp_init_wl(tp, TCP_SKB_CB(skb)->seq);
	if (tp->rx_opt.tstamp_ok)
		tp->advmss -= TCPOLEN_TSTAMP_ALIGNED;
	/* The first data send must not look like a restart after idle. */
	tp->lsndtime = tcp_now_ms(sk);
	tcp_initialize_rcv_mss(sk);
	if (sk->sk_shutdown & SEND_SHUTDOWN)
		tcp_shutdown(sk, SEND_SHUTDOWN);
}

/* FIN-WAIT-1: our FIN is acknowledged (RFC 9293 3.10.7.4 fifth check):
 * FIN-WAIT-2; an orphan gets the FIN_WAIT2 timer or a timewait sock.
 * Returns 1 = reset (caller), 0 = go on, -1 = @skb consumed. */
static int tcp_rcv_fin_wait1(struct sock *sk, struct sk_buff *skb,
			     const struct sl_tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u64 tmo;

	if (tp->snd_una != tp->write_seq)
		return 0;
	tcp_set_state(sk, TCP_FIN_WAIT2);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
	if (!sock_flag(sk, SOCK_DEAD)) {
		/* close() with SO_LINGER may be waiting for this */
		sk->sk_state_change(sk);
		return 0;
	}
	if (READ_ONCE(tp->ext->linger2) < 0) {
		tcp_done(sk);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTONDATA);
		return 1;
	}
	if (TCP_SKB_CB(skb)->end_seq != TCP_SKB_CB(skb)->seq &&
	    after(TCP_SKB_CB(skb)->end_seq - th->fin, tp->rcv_nxt)) {
		/* The peer's FIN already got past our data: finishing would
		 * lose it, so reset. */
		tcp_done(sk);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTONDATA);
		return 1;
	}
	tmo = tcp_fin_time(sk);
	if (tmo > TCP_TIMEWAIT_LEN) {
		tcp_reset_keepalive_timer(sk, tmo - TCP_TIMEWAIT_LEN);
	} else if (th->fin || sock_owned_by_user(sk)) {
		/* Keep the socket while FIN or data is in flight; a timewait
		 * sock would lose them. */
		tcp_reset_keepalive_timer(sk, tmo);
	} else {
		tcp_time_wait(sk, TCP_FIN_WAIT2, tmo);
		consume_skb(skb);
		return -1;
	}
	return 0;
}

/* The state transitions an acceptable ACK causes (RFC 9293 3.10.7.4
 * fifth check, per state). 1 = reset, 0 = go on, -1 = consumed. */
static int tcp_rcv_ack_state(struct sock *sk, struct sk_buff *skb,
			     const struct sl_tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
		tcp_rcv_synrecv_established(sk, skb, th);
		break;
	case TCP_FIN_WAIT1:
		return tcp_rcv_fin_wait1(sk, skb, th);
	case TCP_CLOSING:
		/* "if the ACK acknowledges our FIN then enter the TIME-WAIT
		 * state, otherwise ignore the segment" */
		if (tp->snd_una == tp->write_seq) {
			tcp_time_wait(sk, TCP_TIME_WAIT, 0);
			consume_skb(skb);
			return -1;
		}
		break;
	case TCP_LAST_ACK:
		/* "If our FIN is now acknowledged, delete the TCB, enter the
		 * CLOSED state, and return." */
		if (tp->snd_una == tp->write_seq) {
			tcp_update_metrics(sk);
			tcp_done(sk);
			consume_skb(skb);
			return -1;
		}
		break;
	}
	return 0;
}

/* Step 7 by state: text is processed in ESTABLISHED, FIN-WAIT-1/2;
 * after our receive side shut down new data resets (RFC 1122 4.2.2.13:
 * Linux's TCPAbortOnData). Returns 1 = reset, 0 = queued, -1 = not. */
static int tcp_rcv_state_text(struct sock *sk, struct sk_buff *skb,
			      const struct sl_tcphdr *th)
{
	struct tcp_sock *tp = tcp_sk(sk);

	switch (sk->sk_state) {
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		if (!before(TCP_SKB_CB(skb)->seq, tp->rcv_nxt))
			return -1;
		__attribute__((fallthrough));
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		/* RFC 9293 would buffer it in these states, but RFC 1122
		 * 4.2.2.13 requires a reset once the application can no longer
		 * read; BSD does the same. */
		if ((sk->sk_shutdown & RCV_SHUTDOWN) &&
		    TCP_SKB_CB(skb)->end_seq != TCP_SKB_CB(skb)->seq &&
		    after(TCP_SKB_CB(skb)->end_seq - th->fin, tp->rcv_nxt)) {
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTONDATA);
			tcp_reset(sk, skb);
			return 1;
		}
		__attribute__((fallthrough));
	case TCP_ESTABLISHED:
		tcp_data_queue(sk, skb);
		return 0;
	}
	return -1;
}

/*
 * tcp_rcv_state_process - RFC 9293 3.10.7 SEGMENT ARRIVES for every state
 * but ESTABLISHED (fast path elsewhere) and TIME_WAIT (timewait socks):
 * LISTEN, SYN-SENT, SYN-RECEIVED, FIN-WAIT-1/2, CLOSE-WAIT, CLOSING,
 * LAST-ACK, CLOSED. Returns non-zero when the caller must send a RST and
 * free @skb; 0 when @skb was consumed. skb->data at the TCP header.
 */
int tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	const struct sl_tcphdr *th = tcp_hdr(skb);
	int ret;

	switch (sk->sk_state) {
	case TCP_CLOSE:
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return 0;
	case TCP_LISTEN:
		return tcp_rcv_listen(sk, skb, th);
	case TCP_SYN_SENT:
		tp->rx_opt.saw_tstamp = 0;
		tcp_mstamp_refresh(tp);
		ret = tcp_rcv_synsent_state_process(sk, skb, th);
		if (ret >= 0)
			return ret;
		/* The rest of the checks for this SYN-SENT segment run here. */
		tcp_urg(sk, skb, th);
		consume_skb(skb);
		tcp_data_snd_check(sk);
		return 0;
	}
	tcp_mstamp_refresh(tp);
	tp->rx_opt.saw_tstamp = 0;
	if (!th->ack && !th->rst && !th->syn) {
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return 0;
	}
	if (!tcp_validate_incoming(sk, skb, th, 0))
		return 0;
	/* RFC 9293 3.10.7.4, fifth check: the ACK field */
	ret = tcp_ack(sk, skb, FLAG_SLOWPATH | FLAG_UPDATE_TS_RECENT |
				       FLAG_NO_CHALLENGE_ACK);
	if (ret <= 0) {
		/* RFC 9293 3.10.7.4: SYN-RECEIVED, unacceptable ACK: reset */
		if (sk->sk_state == TCP_SYN_RECV)
			return 1;
		/* an old ACK is harmless while closing */
		if (ret < 0) {
			tcp_send_challenge_ack(sk);
			tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
			return 0;
		}
	}
	ret = tcp_rcv_ack_state(sk, skb, th);
	if (ret)
		return ret > 0 ? 1 : 0;
	/* sixth: URG bit */
	tcp_urg(sk, skb, th);
	/* seventh and eighth: payload, then FIN */
	ret = tcp_rcv_state_text(sk, skb, th);
	if (ret > 0)
		return 1;
	/* the FIN may have moved us to TIME-WAIT */
	if (sk->sk_state != TCP_CLOSE) {
		tcp_data_snd_check(sk);
		tcp_ack_snd_check(sk);
	}
	if (ret < 0)
		tcp_drop_reason(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
	return 0;
}
