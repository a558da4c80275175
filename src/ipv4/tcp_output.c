/*
 * TCP output (RFC 9293 3.8-3.10, RFC 7323, RFC 2018, RFC 5681), as Linux's
 * net/ipv4/tcp_output.c.
 *
 * Data:   tcp_push (tcp.c) -> __tcp_push_pending_frames -> tcp_write_xmit:
 *         for each skb at the send head: tcp_cwnd_test (cwnd - in flight),
 *         tcp_snd_wnd_test (receiver's window), tcp_nagle_test (RFC 896,
 *         Minshall's variant as Linux), tcp_mss_split_point/tcp_fragment
 *         (GSO sizing), tcp_transmit_skb, tcp_event_new_data_sent (the skb
 *         moves from sk_write_queue to tp->xfer->tcp_rtx_queue).
 * Segment: tcp_transmit_skb -> __tcp_transmit_skb: clone (or copy while a
 *         previous clone still shares the buffer), push the header and the
 *         options (tcp_options_write, Linux's order), select the window
 *         (tcp_select_window, RFC 1122 4.2.3.3 as Linux), checksum (partial
 *         on HW_CSUM devices, else folded from the sum of the copy in
 *         tcp_sendmsg), delayed-ACK bookkeeping, ip_queue_xmit.
 * Control: tcp_connect (SYN), tcp_send_synack (request socks),
 *         tcp_send_ack / tcp_send_delayed_ack, tcp_send_fin,
 *         tcp_send_active_reset, tcp_v4_send_reset / tcp_v4_send_ack
 *         (segments without a full socket).
 * Recovery: tcp_retransmit_skb, tcp_xmit_retransmit_queue, tcp_send_loss_probe
 *         (RFC 8985 7), tcp_send_probe0 / tcp_write_wakeup (zero window).
 * Deferred: tcp_release_cb runs the timers that fired while the socket was
 *         owned by the user.
 *
 * Context: everything here runs with the socket owned (lock_sock) or under
 * bh_lock_sock in softirq. Units: timers in ns, RTT in us, TCP timestamp
 * option in ms (tcp_time_stamp_ms).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sl/checksum.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/snmp.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/tcp.h"

#define TCPOLEN_MSS_ALIGNED 4
#define TCPOLEN_WSCALE_ALIGNED 4
#define TCPOLEN_SACKPERM_ALIGNED 4
#define TCPOLEN_SACK_BASE_ALIGNED 4

#define OPTION_SACK_ADVERTISE (1u << 0)
#define OPTION_TS (1u << 1)
#define OPTION_WSCALE (1u << 3)

#define TCP_IPV4_HDRLEN 20U
/* Linux's TCP_TIMEOUT_MIN (2 jiffies), the shortest probe0 interval. */
#define TCP_TIMEOUT_MIN_NS (2ULL * NSEC_PER_MSEC)

#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define clamp_t(t, v, lo, hi) min_t(t, max_t(t, v, lo), hi)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

/* The options of one outgoing segment (Linux's tcp_out_options). */
struct tcp_out_options {
	u16 options;            /* OPTION_* */
	u16 mss;                /* 0: no MSS option */
	u8 ws;                  /* window scale, with OPTION_WSCALE */
	u8 num_sack_blocks;
	u32 tsval, tsecr;
	struct tcp_sack_block sacks[TCP_NUM_SACKS]; /* D-SACK first (RFC 2883) */
};

/* --- small helpers ----------------------------------------------------------- */

static inline bool tcp_urg_mode(const struct tcp_sock *tp)
{
	return tp->snd_una != tp->snd_up;
}

static inline u64 usec_to_nsec(u64 us)
{
	return us * NSEC_PER_USEC;
}

static inline bool tcp_skb_is_last(const struct sock *sk,
				   const struct sk_buff *skb)
{
	return skb_queue_is_last(&sk->sk_write_queue, skb);
}

static inline bool tcp_rtx_and_write_queues_empty(const struct sock *sk)
{
	return skb_queue_empty(&sk->sk_write_queue) &&
	       skb_queue_empty(&tcp_sk(sk)->xfer->tcp_rtx_queue);
}

/* Segments of @skb at @mss_now: gso_segs/gso_size in the shared info. */
static void tcp_set_skb_tso_segs(struct sk_buff *skb, unsigned int mss_now)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (skb->len <= mss_now) {
		shinfo->gso_size = 0;
		shinfo->gso_segs = 1;
	} else {
		shinfo->gso_segs = (u16)DIV_ROUND_UP(skb->len, mss_now);
		shinfo->gso_size = (u16)mss_now;
	}
}

/* Initialise the TSO state of an skb; returns its segment count. */
static int tcp_init_tso_segs(struct sk_buff *skb, unsigned int mss_now)
{
	int tso_segs = tcp_skb_pcount(skb);

	if (!skb_shinfo(skb)->gso_segs ||
	    (tso_segs > 1 && skb_shinfo(skb)->gso_size != mss_now) ||
	    (tso_segs == 1 && skb->len > mss_now)) {
		tcp_set_skb_tso_segs(skb, mss_now);
		tso_segs = tcp_skb_pcount(skb);
	}
	return tso_segs;
}

/* A header-only skb (SYN, FIN, ACK, RST) at @seq with @flags. */
static void tcp_init_nondata_skb(struct sk_buff *skb, u32 seq, u8 flags)
{
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

	skb->ip_summed = CHECKSUM_NONE;
	skb->csum = 0;
	tcb->tcp_flags = flags;
	tcb->sacked = 0;
	skb_shinfo(skb)->gso_segs = 1;
	skb_shinfo(skb)->gso_size = 0;
	tcb->seq = seq;
	if (flags & (TCPHDR_SYN | TCPHDR_FIN))
		seq++;
	tcb->end_seq = seq;
}

/* An skb for a control segment, with headroom for every header. */
static struct sk_buff *tcp_alloc_ctl_skb(struct net *net)
{
	struct sk_buff *skb = alloc_skb_with_headroom(net, 0);

	if (skb) {
		memset(skb->cb, 0, sizeof(skb->cb));
		skb->ip_summed = CHECKSUM_NONE;
	}
	return skb;
}

/*
 * The sequence number for a segment without data: snd_nxt, unless the
 * peer shrank its window below it (Linux's tcp_acceptable_seq).
 */
static u32 tcp_acceptable_seq(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (!before(tcp_wnd_end(tp), tp->snd_nxt) ||
	    (tp->rx_opt.wscale_ok &&
	     ((tp->snd_nxt - tcp_wnd_end(tp)) < (1U << tp->rx_opt.rcv_wscale))))
		return tp->snd_nxt;
	return tcp_wnd_end(tp);
}

/*
 * The route's device offloads: checksum (NETIF_F_HW_CSUM) and large
 * segments (NETIF_F_GSO). Returns the referenced dst or NULL.
 */
static struct dst_entry *tcp_sk_dst(struct sock *sk, u32 *features)
{
	struct dst_entry *dst = __sk_dst_check(sk);

	*features = dst && dst->dev ? dst->dev->features : 0;
	return dst;
}

/*
 * The connected socket's route, looked up and cached when missing (as
 * ip_queue_xmit would). Returns the referenced dst or NULL.
 */
static struct dst_entry *tcp_sk_route(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst = __sk_dst_check(sk);
	struct flowi4 fl4;
	struct rtable *rt;

	if (dst || !inet->inet_daddr)
		return dst;
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = inet->inet_daddr;
	fl4.saddr = inet->inet_saddr;
	fl4.flowi4_oif = sk->sk_bound_dev_if;
	fl4.flowi4_proto = IPPROTO_TCP;
	fl4.flowi4_tos = inet->tos;
	fl4.fl4_sport = inet->inet_sport;
	fl4.fl4_dport = inet->inet_dport;
	rt = ip_route_output_key(sock_net(sk), &fl4);
	if (IS_ERR(rt))
		return NULL;
	dst_hold(&rt->dst);
	sk_dst_set(sk, &rt->dst); /* the socket keeps its own reference */
	return &rt->dst;
}

/* --- options ----------------------------------------------------------------- */

static u8 *tcp_opt_put32(u8 *p, u32 v)
{
	__be32 b = htonl(v);

	memcpy(p, &b, sizeof(b));
	return p + 4;
}

/*
 * Write the options in Linux's order and alignment: MSS; timestamps
 * (sharing their word with SACK-permitted when both go, else behind two
 * NOPs); SACK-permitted alone behind two NOPs; NOP + window scale; then
 * NOP NOP + SACK blocks. Linux: "we learned this through the hard way"
 * that some middleboxes only accept this layout.
 */
static void tcp_options_write(u8 *p, const struct tcp_out_options *opts)
{
	u16 options = opts->options;

	if (opts->mss)
		p = tcp_opt_put32(p, (TCPOPT_MSS << 24) | (TCPOLEN_MSS << 16) |
					     opts->mss);
	if (options & OPTION_TS) {
		if (options & OPTION_SACK_ADVERTISE)
			p = tcp_opt_put32(p, (TCPOPT_SACK_PERM << 24) |
						     (TCPOLEN_SACK_PERM << 16) |
						     (TCPOPT_TIMESTAMP << 8) |
						     TCPOLEN_TIMESTAMP);
		else
			p = tcp_opt_put32(p, (TCPOPT_NOP << 24) |
						     (TCPOPT_NOP << 16) |
						     (TCPOPT_TIMESTAMP << 8) |
						     TCPOLEN_TIMESTAMP);
		p = tcp_opt_put32(p, opts->tsval);
		p = tcp_opt_put32(p, opts->tsecr);
	}
	if ((options & OPTION_SACK_ADVERTISE) && !(options & OPTION_TS))
		p = tcp_opt_put32(p, (TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
					     (TCPOPT_SACK_PERM << 8) |
					     TCPOLEN_SACK_PERM);
	if (options & OPTION_WSCALE)
		p = tcp_opt_put32(p, (TCPOPT_NOP << 24) | (TCPOPT_WINDOW << 16) |
					     (TCPOLEN_WINDOW << 8) | opts->ws);
	if (opts->num_sack_blocks) {
		p = tcp_opt_put32(p, (TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
					     (TCPOPT_SACK << 8) |
					     (TCPOLEN_SACK_BASE +
					      opts->num_sack_blocks *
						      TCPOLEN_SACK_PERBLOCK));
		for (int i = 0; i < opts->num_sack_blocks; i++) {
			p = tcp_opt_put32(p, opts->sacks[i].start_seq);
			p = tcp_opt_put32(p, opts->sacks[i].end_seq);
		}
	}
}

/* MSS we advertise: advmss, lowered to the route's (Linux's tcp_advertise_mss). */
static u16 tcp_advertise_mss(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct dst_entry *dst = __sk_dst_check(sk);
	u32 mss = tp->advmss;

	if (dst) {
		u32 metric = dst_mtu(dst) - TCP_IPV4_HDRLEN -
			     (u32)sizeof(struct sl_tcphdr);

		if (metric < mss) {
			mss = metric;
			tp->advmss = mss;
		}
		dst_release(dst);
	}
	return (u16)mss;
}

/*
 * The TSval of a segment, before tsoffset: the stack clock in ms, but never
 * behind the last one this connection sent. RFC 7323 5.4 wants TSval
 * monotone, and a receiver drops a segment whose TSval is more than one
 * tick behind TS.Recent (PAWS, 5.3). Segments of one connection go out
 * from an application's socket call and from the stack's softirq, each
 * with a clock reading cached at its start (net_now); a call preempted
 * for a few ms on a busy machine would otherwise send older TSvals after
 * the softirq's newer ones, and the peer would drop them as old
 * duplicates. A last TSval more than a second ahead of the clock is no
 * cached reading but 32 bits of ms wrapping on a connection idle for
 * weeks: take the clock then.
 */
static u32 tcp_tsval(const struct sock *sk)
{
	u32 now = tcp_time_stamp_ms(sk), last = tcp_sk(sk)->tsval_sent;

	if (after(last, now) && last - now < MSEC_PER_SEC)
		return last;
	return now;
}

/* Options of our SYN, from the sysctls (Linux's tcp_syn_options). */
static unsigned int tcp_syn_options(struct sock *sk,
				    struct tcp_out_options *opts)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	unsigned int remaining = MAX_TCP_OPTION_SPACE;

	opts->mss = tcp_advertise_mss(sk);
	remaining -= TCPOLEN_MSS_ALIGNED;
	/* RFC 7323 3.2: TSopt in the SYN; TSecr 0. */
	if (READ_ONCE(net->ipv4.sysctl_tcp_timestamps)) {
		opts->options |= OPTION_TS;
		opts->tsval = tcp_tsval(sk) + tp->tsoffset;
		opts->tsecr = tp->rx_opt.ts_recent;
		remaining -= TCPOLEN_TSTAMP_ALIGNED;
	}
	/* RFC 7323 2.2: window scale only in a SYN. */
	if (READ_ONCE(net->ipv4.sysctl_tcp_window_scaling)) {
		opts->ws = tp->rx_opt.rcv_wscale;
		opts->options |= OPTION_WSCALE;
		remaining -= TCPOLEN_WSCALE_ALIGNED;
	}
	/* RFC 2018 2: SACK-permitted only in a SYN. */
	if (READ_ONCE(net->ipv4.sysctl_tcp_sack)) {
		opts->options |= OPTION_SACK_ADVERTISE;
		if (!(opts->options & OPTION_TS))
			remaining -= TCPOLEN_SACKPERM_ALIGNED;
	}
	return MAX_TCP_OPTION_SPACE - remaining;
}

/*
 * Options of an established segment: timestamps when negotiated, then as
 * many SACK blocks as fit, the D-SACK block first (RFC 2883 4). @opts may
 * be used only for sizing (tcp_current_mss).
 */
static unsigned int tcp_established_options(const struct sock *sk,
					    struct tcp_out_options *opts)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	unsigned int size = 0, eff_sacks, remaining, n, i = 0;

	if (tp->rx_opt.tstamp_ok) {
		opts->options |= OPTION_TS;
		opts->tsval = tcp_tsval(sk) + tp->tsoffset;
		opts->tsecr = tp->rx_opt.ts_recent;
		size += TCPOLEN_TSTAMP_ALIGNED;
	}
	eff_sacks = tp->rx_opt.num_sacks + tp->rx_opt.dsack;
	if (likely(!eff_sacks))
		return size;
	remaining = MAX_TCP_OPTION_SPACE - size;
	if (remaining < TCPOLEN_SACK_BASE_ALIGNED + TCPOLEN_SACK_PERBLOCK)
		return size;
	n = min_t(unsigned int, eff_sacks,
		  (remaining - TCPOLEN_SACK_BASE_ALIGNED) / TCPOLEN_SACK_PERBLOCK);
	if (tp->rx_opt.dsack)
		opts->sacks[i++] = tp->xfer->duplicate_sack[0];
	for (unsigned int j = 0; i < n && j < tp->rx_opt.num_sacks; j++)
		opts->sacks[i++] = tp->xfer->selective_acks[j];
	opts->num_sack_blocks = (u8)n;
	return size + TCPOLEN_SACK_BASE_ALIGNED + n * TCPOLEN_SACK_PERBLOCK;
}

/*
 * Options of a SYN-ACK: only what the peer's SYN offered (RFC 7323 2.2,
 * 3.2; RFC 2018 2), in the same order as our SYN (Linux's
 * tcp_synack_options).
 */
static unsigned int tcp_synack_options(const struct request_sock *req,
				       u16 mss, u32 tsval,
				       struct tcp_out_options *opts)
{
	unsigned int remaining = MAX_TCP_OPTION_SPACE;

	opts->mss = mss;
	remaining -= TCPOLEN_MSS_ALIGNED;
	if (req->wscale_ok) {
		opts->ws = req->rcv_wscale;
		opts->options |= OPTION_WSCALE;
		remaining -= TCPOLEN_WSCALE_ALIGNED;
	}
	if (req->tstamp_ok) {
		opts->options |= OPTION_TS;
		opts->tsval = tsval;
		opts->tsecr = READ_ONCE(req->ts_recent);
		remaining -= TCPOLEN_TSTAMP_ALIGNED;
	}
	if (req->sack_ok) {
		opts->options |= OPTION_SACK_ADVERTISE;
		if (!req->tstamp_ok)
			remaining -= TCPOLEN_SACKPERM_ALIGNED;
	}
	return MAX_TCP_OPTION_SPACE - remaining;
}

/* --- window selection (RFC 1122 4.2.3.3, RFC 7323 2.3) ------------------------ */

/**
 * tcp_select_initial_window - the first window and its scale
 * @space: the receive space (tcp_full_space) @mss: MSS of the peer's data
 *
 * As Linux: the window is @space rounded down to a multiple of @mss and at
 * most 65535 (so a 131072-byte buffer at adv_win_scale 1 offers 64240 with
 * MSS 1460); the scale comes from the largest buffer the socket may grow
 * to (max of tcp_rmem[2] and rmem_max: 7 with Linux's defaults), RFC 7323
 * 2.3 capping it at 14.
 */
void tcp_select_initial_window(const struct sock *sk, int __space, u32 mss,
			       u32 *rcv_wnd, u32 *window_clamp, int wscale_ok,
			       u8 *rcv_wscale, u32 init_rcv_wnd)
{
	struct net *net = sock_net(sk);
	u32 space = __space < 0 ? 0 : (u32)__space;
	int wscale;

	/* No clamp from the user: allow the largest window the scale can
	 * express. */
	if (*window_clamp == 0)
		*window_clamp = 65535U << TCP_MAX_WSCALE;
	space = min(*window_clamp, space);
	/* Offer whole segments only, so the peer is not invited to send a runt.
	 */
	if (space > mss && mss)
		space = space / mss * mss;
	/* Offering an initial window larger than 32767 breaks some buggy
	 * stacks; Linux only avoids it when told to. */
	if (READ_ONCE(net->ipv4.sysctl_tcp_workaround_signed_windows))
		*rcv_wnd = min(space, MAX_TCP_WINDOW);
	else
		*rcv_wnd = min(space, 65535U);
	if (init_rcv_wnd)
		*rcv_wnd = min(*rcv_wnd, init_rcv_wnd * mss);
	*rcv_wscale = 0;
	if (wscale_ok) {
		/* Pick the smallest shift that lets the largest possible buffer
		 * be advertised (RFC 7323 2.3). */
		space = max_t(u32, space,
			      (u32)READ_ONCE(net->ipv4.sysctl_tcp_rmem[2]));
		space = max_t(u32, space,
			      (u32)READ_ONCE(net->core.sysctl_rmem_max));
		space = min_t(u32, space, *window_clamp);
		wscale = space ? 31 - __builtin_clz(space) - 15 : 0;
		*rcv_wscale = (u8)clamp_t(int, wscale, 0, TCP_MAX_WSCALE);
	}
	/* The clamp cannot exceed what 16 bits under this shift can carry. */
	*window_clamp = min_t(u32, 65535U << *rcv_wscale, *window_clamp);
}

/**
 * __tcp_select_window - the window we may offer now (unscaled bytes)
 *
 * RFC 1122 4.2.3.3 receiver SWS avoidance as Linux does it: below half the
 * full space, offer zero rather than less than an MSS (or 1/16 of the
 * buffer); never more than rcv_ssthresh; with window scaling, round up to
 * the scale unit, else keep the window a multiple of the peer's MSS.
 */
u32 __tcp_select_window(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	int mss = icsk->icsk_ack.rcv_mss;
	int free_space = tcp_space(sk);
	int allowed_space = tcp_full_space(sk);
	int full_space, window;

	full_space = min_t(int, (int)tp->window_clamp, allowed_space);
	if (unlikely(mss <= 0))
		mss = (int)min_t(u32, tp->advmss ? tp->advmss : TCP_MSS_DEFAULT,
				 TCP_MSS_DEFAULT);
	if (unlikely(mss > full_space)) {
		mss = full_space;
		if (mss <= 0)
			return 0;
	}
	if (free_space < (full_space >> 1)) {
		icsk->icsk_ack.quick = 0;
		/* Round free_space down to the scale granularity, so the scaled
		 * field never offers more than we hold. */
		free_space = free_space & ~((1 << tp->rx_opt.rcv_wscale) - 1);
		if (free_space < (allowed_space >> 4) || free_space < mss)
			return 0;
	}
	if (free_space > (int)tp->rcv_ssthresh)
		free_space = (int)tp->rcv_ssthresh;
	if (tp->rx_opt.rcv_wscale) {
		/* Round up to whole scale units, so a window below one unit is
		 * not announced as zero. */
		window = ALIGN_UP(free_space, 1 << tp->rx_opt.rcv_wscale);
	} else {
		window = (int)tp->rcv_wnd;
		/* Offer whole segments; if the current offer is already within
		 * one mss of free space, keep it to avoid churning the
		 * advertised edge. */
		if (window <= free_space - mss || window > free_space)
			window = free_space / mss * mss;
		else if (mss == full_space &&
			 free_space > window + (full_space >> 1))
			window = free_space;
	}
	return (u32)window;
}

/*
 * The window field of an outgoing non-SYN segment: never shrink what was
 * offered (RFC 9293 3.8.6.2.2 SHOULD NOT shrink; Linux never does by
 * default), remember it (rcv_wnd, rcv_wup) and scale it (RFC 7323 2.3).
 */
static u16 tcp_select_window(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	u32 old_win = tp->rcv_wnd;
	u32 cur_win = tcp_receive_window(tp);
	u32 new_win = __tcp_select_window(sk);

	if (new_win < cur_win) {
		/* Do not pull back the right edge we already announced (RFC
		 * 9293 3.8.6.2.2). */
		if (new_win == 0)
			NET_INC_STATS(net, LINUX_MIB_TCPWANTZEROWINDOWADV);
		new_win = ALIGN_UP(cur_win, 1U << tp->rx_opt.rcv_wscale);
	}
	tp->rcv_wnd = new_win;
	tp->rcv_wup = tp->rcv_nxt;
	if (!tp->rx_opt.rcv_wscale &&
	    READ_ONCE(net->ipv4.sysctl_tcp_workaround_signed_windows))
		new_win = min(new_win, MAX_TCP_WINDOW);
	else
		new_win = min(new_win, 65535U << tp->rx_opt.rcv_wscale);
	new_win >>= tp->rx_opt.rcv_wscale;
	if (new_win == 0) {
		if (old_win)
			NET_INC_STATS(net, LINUX_MIB_TCPTOZEROWINDOWADV);
	} else if (old_win == 0) {
		NET_INC_STATS(net, LINUX_MIB_TCPFROMZEROWINDOWADV);
	}
	return (u16)new_win;
}

/* --- MSS (RFC 9293 3.7.1, RFC 6691, RFC 1191) ------------------------------- */

/* MSS without options for @pmtu, clamped by the peer's MSS. */
static int __tcp_mtu_to_mss(struct sock *sk, int pmtu)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int mss_now;

	/* payload of a bare header: MTU less IP and TCP base headers */
	mss_now = pmtu - (int)TCP_IPV4_HDRLEN - (int)sizeof(struct sl_tcphdr);
	if (mss_now > tp->rx_opt.mss_clamp)
		mss_now = tp->rx_opt.mss_clamp;
	mss_now -= inet_csk(sk)->icsk_ext_hdr_len;
	/* Leave space for the largest option set plus 8 data bytes, so a
	 * segment never carries only headers. */
	mss_now = max_t(int, mss_now,
			READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_min_snd_mss));
	return mss_now;
}

/**
 * tcp_mtu_to_mss - payload per segment for a path MTU, with the usual
 * options (tcp_header_len) taken off
 */
int tcp_mtu_to_mss(struct sock *sk, int pmtu)
{
	return __tcp_mtu_to_mss(sk, pmtu) -
	       (tcp_sk(sk)->tcp_header_len - (int)sizeof(struct sl_tcphdr));
}

/** tcp_mss_to_mtu - the inverse of tcp_mtu_to_mss */
int tcp_mss_to_mtu(struct sock *sk, int mss)
{
	return mss + tcp_sk(sk)->tcp_header_len +
	       inet_csk(sk)->icsk_ext_hdr_len + (int)TCP_IPV4_HDRLEN;
}

/*
 * Do not send segments larger than half the largest window the peer ever
 * offered (Linux's tcp_bound_to_half_wnd; RFC 1122 4.2.3.4's spirit).
 */
static int tcp_bound_to_half_wnd(const struct tcp_sock *tp, int pktsize)
{
	int cutoff;

	if (tp->max_window > TCP_MSS_DEFAULT)
		cutoff = (int)(tp->max_window >> 1);
	else
		cutoff = (int)tp->max_window;
	if (cutoff && pktsize > cutoff)
		return max_t(int, cutoff, 68 - tp->tcp_header_len);
	return pktsize;
}

/**
 * tcp_mtup_init - MTU probing state (RFC 4821)
 *
 * sockline does not probe (tcp_mtu_probing 0, Linux's default): the path
 * MTU comes from the route and ICMP frag-needed only.
 */
void tcp_mtup_init(struct sock *sk)
{
	inet_csk(sk)->icsk_pmtu_cookie = 0;
}

/**
 * tcp_sync_mss - recompute mss_cache for @pmtu (route MTU or ICMP)
 *
 * Returns the new mss_cache. Context: socket owned or bh-locked.
 */
unsigned int tcp_sync_mss(struct sock *sk, u32 pmtu)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int mss_now;

	mss_now = tcp_mtu_to_mss(sk, (int)pmtu);
	mss_now = tcp_bound_to_half_wnd(tp, mss_now);
	inet_csk(sk)->icsk_pmtu_cookie = pmtu;
	tp->mss_cache = (u32)mss_now;
	return (unsigned int)mss_now;
}

/**
 * tcp_current_mss - payload per segment now: mss_cache for the current
 * route MTU, less what this segment's options take beyond tcp_header_len
 * (SACK blocks)
 */
unsigned int tcp_current_mss(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_out_options opts;
	struct dst_entry *dst;
	unsigned int header_len;
	u32 mss_now = tp->mss_cache;
	u32 features;

	dst = tcp_sk_dst(sk, &features);
	if (dst) {
		u32 mtu = dst_mtu(dst);

		if (mtu != inet_csk(sk)->icsk_pmtu_cookie)
			mss_now = tcp_sync_mss(sk, mtu);
		dst_release(dst);
	}
	memset(&opts, 0, sizeof(opts));
	header_len = tcp_established_options(sk, &opts) +
		     (unsigned int)sizeof(struct sl_tcphdr);
	/* mss_cache was computed for tcp_header_len; SACK blocks in this
	 * segment make the header longer, so subtract the excess. */
	if (header_len != tp->tcp_header_len)
		mss_now -= header_len - tp->tcp_header_len;
	return mss_now;
}

/* --- checksum ---------------------------------------------------------------- */

/*
 * Fill th->check of @skb (data at the TCP header, @hlen header bytes):
 * with HW_CSUM the pseudo-header sum and CHECKSUM_PARTIAL for the device;
 * else the full sum, reusing the payload sum tcp_sendmsg folded into its
 * copy (skb->csum, valid while ip_summed is CHECKSUM_NONE).
 */
void tcp_v4_send_check(struct sk_buff *skb, __be32 saddr, __be32 daddr,
		       unsigned int hlen, bool hw)
{
	struct sl_tcphdr *th = tcp_hdr(skb);
	__wsum data_csum;

	if (hw) {
		skb->ip_summed = CHECKSUM_PARTIAL;
		th->check = (__sum16)~csum_tcpudp_magic(saddr, daddr, skb->len,
							IPPROTO_TCP, 0);
		skb->csum_start = (u16)(skb_transport_header(skb) - skb->head);
		skb->csum_offset = (u16)offsetof(struct sl_tcphdr, check);
		return;
	}
	if (skb->ip_summed == CHECKSUM_NONE)
		data_csum = skb->csum;
	else
		data_csum = csum_partial(skb->data + hlen, skb->len - hlen, 0);
	th->check = csum_tcpudp_magic(saddr, daddr, skb->len, IPPROTO_TCP,
				      csum_partial(th, hlen, data_csum));
	skb->ip_summed = CHECKSUM_NONE;
}

/* --- transmit ---------------------------------------------------------------- */

/* Linux's tcp_dec_quickack_mode: one quick ACK used. */
static void tcp_dec_quickack_mode(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ack.quick) {
		unsigned int pkts = inet_csk_ack_scheduled(sk) ? 1 : 0;

		if (pkts >= icsk->icsk_ack.quick) {
			icsk->icsk_ack.quick = 0;
			/* Quick ACKs used up: go back to the minimum ACK
			 * timeout. */
			icsk->icsk_ack.ato = TCP_ATO_MIN;
		} else {
			icsk->icsk_ack.quick = (u8)(icsk->icsk_ack.quick - pkts);
		}
	}
}

/* An ACK went out: the delayed ACK is no longer due. */
static void tcp_event_ack_sent(struct sock *sk, u32 rcv_nxt)
{
	if (unlikely(rcv_nxt != tcp_sk(sk)->rcv_nxt))
		return;
	tcp_dec_quickack_mode(sk);
	inet_csk_clear_xmit_timer(sk, ICSK_TIME_DACK);
}

/* Data went out: congestion restart hook and interactive (pingpong) mode. */
static void tcp_event_data_sent(struct tcp_sock *tp, struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	u32 now = tcp_time_stamp_ms(sk);

	if (tcp_packets_in_flight(tp) == 0)
		tcp_ca_event(sk, CA_EVENT_TX_START);
	tp->lsndtime = now;
	/* We answered data within one ato: the exchange looks request/response,
	 * so switch to interactive delayed ACKs. */
	if ((u32)(now - icsk->icsk_ack.lrcvtime) < icsk->icsk_ack.ato / 1000 &&
	    icsk->icsk_ack.pingpong < 255)
		icsk->icsk_ack.pingpong++;
}

/* Rate sampling state of a sent segment (Linux's tcp_rate_skb_sent). */
static void tcp_rate_skb_sent(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);

	if (!tp->packets_out) {
		u64 tstamp_us = tcp_skb_timestamp_us(skb);

		tp->xfer->first_tx_mstamp = tstamp_us;
		tp->xfer->delivered_mstamp = tstamp_us;
	}
	tcb->tx.first_tx_mstamp = tp->xfer->first_tx_mstamp;
	tcb->tx.delivered_mstamp = tp->xfer->delivered_mstamp;
	tcb->tx.delivered = tp->delivered;
	tcb->tx.is_app_limited = tp->app_limited ? 1 : 0;
}

/* The skb that goes to IP: a clone of @skb, or a copy while an earlier
 * clone still shares the header room. NULL on ENOMEM. */
static struct sk_buff *tcp_xmit_clone(struct sk_buff *skb)
{
	if (unlikely(skb_cloned(skb)))
		return skb_copy_expand(skb, MAX_TCP_HEADER, 0);
	return skb_clone(skb);
}

/* Push the 20-byte header of @skb (@hlen with options) for @sk. */
static struct sl_tcphdr *tcp_build_header(struct sock *sk, struct sk_buff *skb,
					  unsigned int hlen, u32 rcv_nxt)
{
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	struct inet_sock *inet = inet_sk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct sl_tcphdr *th;
	u8 flags = tcb->tcp_flags;

	skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	th = (struct sl_tcphdr *)skb->data;
	th->source = inet->inet_sport;
	th->dest = inet->inet_dport;
	th->seq = htonl(tcb->seq);
	th->ack_seq = htonl(rcv_nxt);
	th->check = 0;
	th->urg_ptr = 0;
	/* RFC 9293 3.8.5 / RFC 6093: the urgent pointer points past the
	 * urgent byte, as Linux (and every stack) does. */
	if (unlikely(tcp_urg_mode(tp) && before(tcb->seq, tp->snd_up))) {
		if (before(tp->snd_up, tcb->seq + 0x10000)) {
			th->urg_ptr = htons((u16)(tp->snd_up - tcb->seq));
			flags |= TCPHDR_URG;
		} else if (after(tcb->seq + 0xFFFF, tp->snd_nxt)) {
			th->urg_ptr = htons(0xFFFF);
			flags |= TCPHDR_URG;
		}
	}
	((u8 *)th)[12] = (u8)((hlen >> 2) << 4);
	((u8 *)th)[13] = flags;
	if (likely(!(flags & TCPHDR_SYN)))
		th->window = htons(tcp_select_window(sk));
	else
		/* RFC 7323 2.2: the window of a SYN is never scaled. */
		th->window = htons((u16)min(tp->rcv_wnd, 65535U));
	return th;
}

/* After the header: delayed-ACK and data bookkeeping, counters. */
static void tcp_xmit_account(struct sock *sk, const struct sk_buff *skb,
			     unsigned int hlen, u32 rcv_nxt, int pcount)
{
	const struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	struct tcp_sock *tp = tcp_sk(sk);

	if (likely(tcb->tcp_flags & TCPHDR_ACK))
		tcp_event_ack_sent(sk, rcv_nxt);
	if (skb->len != hlen) {
		tcp_event_data_sent(tp, sk);
		TCP_EXT_ADD(sk, data_segs_out, (u32)pcount);
		TCP_EXT_ADD(sk, bytes_sent, skb->len - hlen);
	}
	/* Retransmissions count in RetransSegs, not OutSegs (Linux). */
	if (after(tcb->end_seq, tp->snd_nxt) || tcb->seq == tcb->end_seq)
		TCP_ADD_STATS(sock_net(sk), TCP_MIB_OUTSEGS, pcount);
	tp->segs_out += (u32)pcount;
}

/*
 * Build and send one segment of a full socket. With @clone_it the queued
 * @skb stays (its send time in skb->tstamp) and a clone goes out;
 * without, @skb itself goes (and is consumed). @rcv_nxt is the ACK field.
 */
static int __tcp_transmit_skb(struct sock *sk, struct sk_buff *skb,
			      int clone_it, u32 rcv_nxt)
{
	struct inet_sock *inet = inet_sk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *oskb = NULL;
	struct tcp_out_options opts;
	struct dst_entry *dst;
	unsigned int hlen;
	u32 features;
	int pcount, err;

	tp->tcp_mstamp = tcp_clock_us(sk);
	if (clone_it) {
		oskb = skb;
		oskb->tstamp = usec_to_nsec(tp->tcp_mstamp);
		skb = tcp_xmit_clone(oskb);
		if (unlikely(!skb))
			return -ENOBUFS;
	}
	memset(&opts, 0, sizeof(opts));
	if (unlikely(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN))
		hlen = tcp_syn_options(sk, &opts);
	else
		hlen = tcp_established_options(sk, &opts);
	hlen += (unsigned int)sizeof(struct sl_tcphdr);
	if (opts.options & OPTION_TS)
		tp->tsval_sent = opts.tsval - tp->tsoffset;

	skb_orphan(skb);
	skb_set_owner_w(skb, sk);
	tcp_build_header(sk, skb, hlen, rcv_nxt);
	tcp_options_write((u8 *)tcp_hdr(skb) + sizeof(struct sl_tcphdr), &opts);
	if (opts.num_sack_blocks && tp->rx_opt.dsack)
		tp->rx_opt.dsack = 0; /* the D-SACK block went out once */

	/* The route, looked up again when a PMTU update or a route change
	 * dropped it: its device's offloads decide the checksum and GSO
	 * below, and a GSO skb must not leave with a full checksum (no
	 * device takes that; the TAP driver drops it). */
	dst = tcp_sk_route(sk);
	features = dst && dst->dev ? dst->dev->features : 0;
	if (dst) {
		skb_dst_drop(skb);
		skb_dst_set(skb, dst);
	}
	tcp_v4_send_check(skb, inet->inet_saddr, inet->inet_daddr, hlen,
			  features & NETIF_F_HW_CSUM);
	pcount = tcp_skb_pcount(skb);
	tcp_xmit_account(sk, skb, hlen, rcv_nxt, pcount);
	if (!(features & NETIF_F_GSO) && skb_shinfo(skb)->gso_size &&
	    skb->len - hlen <= skb_shinfo(skb)->gso_size)
		skb_shinfo(skb)->gso_size = 0;

	/* The IP layer's control block overlays ours. */
	memset(skb->cb, 0, sizeof(struct inet_skb_parm));
	skb_trace(skb);
	err = ip_queue_xmit(sk, skb, NULL);
	if (unlikely(err > 0))
		err = err == NET_XMIT_CN ? 0 : -ENOBUFS;
	if (!err && oskb)
		tcp_rate_skb_sent(sk, oskb);
	return err;
}

/**
 * tcp_transmit_skb - send one segment of a full socket
 * @clone_it: non-zero for queued data (the original stays on its queue);
 *            0 for control skbs, which are consumed
 *
 * Returns 0 or -errno (-ENOBUFS when no clone could be made, the IP
 * layer's error otherwise). Context: socket owned or bh-locked.
 */
int tcp_transmit_skb(struct sock *sk, struct sk_buff *skb, int clone_it)
{
	return __tcp_transmit_skb(sk, skb, clone_it, tcp_sk(sk)->rcv_nxt);
}

/* --- queue manipulation ------------------------------------------------------- */

/* Recompute the folded payload sum after the payload changed. */
static void tcp_skb_resum(struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_NONE)
		skb->csum = csum_partial(skb->data, skb->len, 0);
}

/* Make @skb's buffer private (an in-flight clone shares it) before its
 * shared info or bytes change. 0 or -ENOMEM. */
static int tcp_skb_unclone(struct sk_buff *skb)
{
	return skb_cloned(skb) ? skb_cow_head(skb, 0) : 0;
}

/* Account a change of @skb's segment count in flight (tcp_adjust_pcount). */
static void tcp_adjust_pcount(struct sock *sk, const struct sk_buff *skb,
			      int decr)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u8 sacked = TCP_SKB_CB(skb)->sacked;

	tp->packets_out -= (u32)decr;
	if (sacked & TCPCB_SACKED_ACKED)
		tp->sacked_out -= (u32)decr;
	if (sacked & TCPCB_SACKED_RETRANS)
		tp->retrans_out -= (u32)decr;
	if (sacked & TCPCB_LOST)
		tp->lost_out -= (u32)decr;
}

/* Split the TCP state of @skb at @len into @buff (Linux's tcp_fragment). */
static void tcp_fragment_cb(struct sk_buff *skb, struct sk_buff *buff, u32 len)
{
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb), *bcb = TCP_SKB_CB(buff);
	u8 flags = tcb->tcp_flags;

	memcpy(buff->cb, skb->cb, sizeof(buff->cb));
	bcb->seq = tcb->seq + len;
	bcb->end_seq = tcb->end_seq;
	tcb->end_seq = bcb->seq;
	/* PSH and FIN belong to the end of the data, i.e. the tail part. */
	tcb->tcp_flags = flags & (u8)~(TCPHDR_FIN | TCPHDR_PSH);
	bcb->tcp_flags = flags;
	bcb->sacked = tcb->sacked;
	bcb->eor = tcb->eor;
	tcb->eor = 0;
	buff->tstamp = skb->tstamp;
}

/**
 * tcp_fragment - split @skb (on @queue) at @len bytes
 *
 * The tail part, a new skb, goes right after @skb on @queue with its own
 * sequence range, flags (PSH/FIN move to it) and segment count; sent
 * segments keep their SACK/retransmit marks and the in-flight counts are
 * adjusted. Returns 0, -EINVAL (nothing to split), -ENOMEM.
 */
int tcp_fragment(struct sock *sk, struct sk_buff_head *queue,
		 struct sk_buff *skb, u32 len, unsigned int mss_now)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *buff;
	int nsize, old_factor;
	u32 nlen;

	nsize = (int)(skb->len - len);
	if (nsize <= 0)
		return -EINVAL;
	if (tcp_skb_unclone(skb))
		return -ENOMEM;
	buff = alloc_skb_with_headroom(sock_net(sk), (unsigned int)nsize);
	if (!buff)
		return -ENOMEM;
	nlen = (u32)nsize;
	skb_put_data(buff, skb->data + len, nlen);
	buff->ip_summed = skb->ip_summed;
	skb_trim(skb, len);
	tcp_skb_resum(skb);
	tcp_skb_resum(buff);
	tcp_fragment_cb(skb, buff, len);
	sk->sk_wmem_queued += (int)buff->truesize;

	old_factor = tcp_skb_pcount(skb);
	tcp_set_skb_tso_segs(skb, mss_now);
	tcp_set_skb_tso_segs(buff, mss_now);
	/* Sent segments: fix the in-flight counts (the rtx queue only). */
	if (queue == &tp->xfer->tcp_rtx_queue) {
		int diff = old_factor - tcp_skb_pcount(skb) -
			   tcp_skb_pcount(buff);

		if (diff)
			tcp_adjust_pcount(sk, skb, diff);
	}
	__skb_queue_after(queue, skb, buff);
	return 0;
}

/*
 * __tcp_trim_head - drop the first @len (acknowledged) bytes of a sent
 * @skb: the buffer is made private first, then seq, checksum and the
 * segment count at @mss follow. Returns how many segments the skb no
 * longer counts (the in-flight counters are the caller's), or -ENOMEM.
 * The core of Linux's tcp_trim_head, shared by retransmission and by
 * tcp_clean_rtx_queue for partly acked GSO skbs.
 */
int __tcp_trim_head(struct sk_buff *skb, u32 len, unsigned int mss)
{
	int delta;

	if (tcp_skb_unclone(skb))
		return -ENOMEM;
	if (len > skb->len)
		len = skb->len;
	skb_pull(skb, len);
	tcp_skb_resum(skb);
	TCP_SKB_CB(skb)->seq += len;
	delta = tcp_skb_pcount(skb);
	tcp_set_skb_tso_segs(skb, mss);
	return delta - tcp_skb_pcount(skb);
}

/* Trim before a retransmission: the segments dropped leave the flight. */
static int tcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len)
{
	int delta = __tcp_trim_head(skb, len, tcp_current_mss(sk));

	if (delta < 0)
		return delta;
	if (delta)
		tcp_adjust_pcount(sk, skb, delta);
	return 0;
}

/* --- the send loop ---------------------------------------------------------- */

/*
 * Congestion window test (RFC 5681 3.1): how many segments may go now.
 * Linux hands out at most half the window per skb so that at least two
 * GSO skbs are in flight.
 */
static u32 tcp_cwnd_test(const struct tcp_sock *tp)
{
	u32 in_flight = tcp_packets_in_flight(tp), cwnd = tcp_snd_cwnd(tp);
	u32 halfcwnd;

	if (in_flight >= cwnd)
		return 0;
	halfcwnd = max(cwnd >> 1, 1U);
	return min(halfcwnd, cwnd - in_flight);
}

/* RFC 9293 3.8.6.2.1: the first segment of @skb fits the offered window. */
static bool tcp_snd_wnd_test(const struct tcp_sock *tp,
			     const struct sk_buff *skb, unsigned int cur_mss)
{
	u32 end_seq = TCP_SKB_CB(skb)->end_seq;

	if (skb->len > cur_mss)
		end_seq = TCP_SKB_CB(skb)->seq + cur_mss;
	return !after(end_seq, tcp_wnd_end(tp));
}

/* Minshall's Nagle refinement: true while a sub-MSS segment we sent is still
 * unacknowledged. */
static bool tcp_minshall_check(const struct tcp_sock *tp)
{
	return after(tp->snd_sml, tp->snd_una) &&
	       !after(tp->snd_sml, tp->snd_nxt);
}

static void tcp_minshall_update(struct tcp_sock *tp, unsigned int mss_now,
				const struct sk_buff *skb)
{
	if (skb->len < tcp_skb_pcount(skb) * mss_now)
		tp->snd_sml = TCP_SKB_CB(skb)->end_seq;
}

/*
 * RFC 896 (Nagle) as Linux: hold a partial segment while corked, or while
 * a previous small segment is unacknowledged (unless TCP_NODELAY).
 */
static bool tcp_nagle_check(bool partial, const struct tcp_sock *tp,
			    int nonagle)
{
	return partial && ((nonagle & TCP_NAGLE_CORK) ||
			   (!nonagle && tp->packets_out &&
			    tcp_minshall_check(tp)));
}

static bool tcp_nagle_test(const struct tcp_sock *tp,
			   const struct sk_buff *skb, unsigned int cur_mss,
			   int nonagle)
{
	/* Only the tail of the queue can still grow; an skb with more queued
	 * after it is as full as it will get, so holding it gains nothing. */
	if (nonagle & TCP_NAGLE_PUSH)
		return true;
	/* Urgent data and the final FIN go out without delay. */
	if (tcp_urg_mode(tp) || (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN))
		return true;
	return !tcp_nagle_check(skb->len < cur_mss, tp, nonagle);
}

/* Segments per GSO skb: what fits a 64 KiB IP datagram (tcp_tso_segs). */
static u32 tcp_tso_segs(struct sock *sk, unsigned int mss_now)
{
	u32 max_size = 65536U - 1 - MAX_TCP_HEADER;
	u32 segs = max_size / mss_now;

	return max(segs, 1U);
}

/*
 * How much of @skb may go in one GSO skb: up to @max_segs segments within
 * the receiver's window, whole segments only unless Nagle allows the
 * partial one (Linux's tcp_mss_split_point).
 */
static unsigned int tcp_mss_split_point(const struct sock *sk,
					const struct sk_buff *skb,
					unsigned int mss_now,
					unsigned int max_segs, int nonagle)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 partial, needed, window, max_len;

	window = tcp_wnd_end(tp) - TCP_SKB_CB(skb)->seq;
	max_len = mss_now * max_segs;
	if (likely(max_len <= window && skb != skb_peek_tail(&sk->sk_write_queue)))
		return max_len;
	needed = min(skb->len, window);
	if (max_len <= needed)
		return max_len;
	partial = needed % mss_now;
	/* A trailing partial segment joins this GSO skb only if Nagle would let
	 * it go now. */
	if (tcp_nagle_check(partial != 0, tp, nonagle))
		return needed - partial;
	return needed;
}

/* New data left: move @skb to the retransmit queue, count it in flight,
 * arm the RTO when it is the first (Linux's tcp_event_new_data_sent). */
static void tcp_event_new_data_sent(struct sock *sk, struct sk_buff *skb)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int prior_packets = tp->packets_out;

	WRITE_ONCE(tp->snd_nxt, TCP_SKB_CB(skb)->end_seq);
	__skb_unlink(skb, &sk->sk_write_queue);
	__skb_queue_tail(&tp->xfer->tcp_rtx_queue, skb);
	tp->packets_out += (u32)tcp_skb_pcount(skb);
	if (tp->packets_out > tp->max_packets_out)
		tp->max_packets_out = tp->packets_out;
	if (!prior_packets || icsk->icsk_pending == ICSK_TIME_LOSS_PROBE)
		tcp_rearm_rto(sk);
	NET_ADD_STATS(sock_net(sk), LINUX_MIB_TCPORIGDATASENT,
		      tcp_skb_pcount(skb));
}

/* RFC 7661 / Linux's tcp_cwnd_validate: remember whether cwnd limited us. */
static void tcp_cwnd_validate(struct sock *sk, bool is_cwnd_limited)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!before(tp->snd_una, tp->high_seq) || is_cwnd_limited ||
	    tp->packets_out > tp->max_packets_out) {
		tp->is_cwnd_limited = is_cwnd_limited;
	}
	if (tcp_packets_in_flight(tp) >= tcp_snd_cwnd(tp)) {
		tp->snd_cwnd_used = 0;
		tp->snd_cwnd_stamp = tcp_time_stamp_ms(sk);
	} else if (tcp_packets_in_flight(tp) > tp->snd_cwnd_used) {
		tp->snd_cwnd_used = tcp_packets_in_flight(tp);
	}
}

/**
 * tcp_write_xmit - send what the congestion window, the receiver's window
 * and Nagle allow from the send head
 * @push_one: 1 = at most one skb; 2 = one even past cwnd (loss probe)
 *
 * Returns true when nothing is in flight yet data waits (the caller arms
 * the zero-window probe timer), false otherwise. Context: owned/bh-locked.
 */
bool tcp_write_xmit(struct sock *sk, unsigned int mss_now, int nonagle,
		    int push_one)
{
	struct tcp_sock *tp = tcp_sk(sk);
	bool is_cwnd_limited = false, is_rwnd_limited = false;
	unsigned int sent_pkts = 0;
	struct sk_buff *skb;

	tp->tcp_mstamp = tcp_clock_us(sk);
	while ((skb = tcp_send_head(sk))) {
		unsigned int limit;
		u32 cwnd_quota;
		int tso_segs;

		tso_segs = tcp_init_tso_segs(skb, mss_now);
		cwnd_quota = tcp_cwnd_test(tp);
		if (!cwnd_quota) {
			if (push_one == 2)
				cwnd_quota = 1; /* TLP: ignore cwnd */
			else {
				is_cwnd_limited = true;
				break;
			}
		}
		if (unlikely(!tcp_snd_wnd_test(tp, skb, mss_now))) {
			is_rwnd_limited = true;
			break;
		}
		if (tso_segs == 1) {
			if (unlikely(!tcp_nagle_test(tp, skb, mss_now,
						     tcp_skb_is_last(sk, skb) ?
							     nonagle :
							     TCP_NAGLE_PUSH)))
				break;
		}
		limit = mss_now;
		if (tso_segs > 1 && !tcp_urg_mode(tp))
			limit = tcp_mss_split_point(
				sk, skb, mss_now,
				min(cwnd_quota, tcp_tso_segs(sk, mss_now)),
				nonagle);
		if (skb->len > limit &&
		    unlikely(tcp_fragment(sk, &sk->sk_write_queue, skb, limit,
					  mss_now)))
			break;
		if (unlikely(tcp_transmit_skb(sk, skb, 1)))
			break;
		tcp_event_new_data_sent(sk, skb);
		tcp_minshall_update(tp, mss_now, skb);
		sent_pkts += (unsigned int)tcp_skb_pcount(skb);
		if (push_one)
			break;
	}
	if (is_rwnd_limited)
		tcp_chrono_start(sk, TCP_CHRONO_RWND_LIMITED);
	else
		tcp_chrono_stop(sk, TCP_CHRONO_RWND_LIMITED);
	if (likely(sent_pkts)) {
		tcp_cwnd_validate(sk, is_cwnd_limited);
		/* PRR (RFC 6937) counts new data sent during recovery too. */
		if (inet_csk(sk)->icsk_ca_state == TCP_CA_Recovery ||
		    inet_csk(sk)->icsk_ca_state == TCP_CA_CWR)
			tp->xfer->prr_out += sent_pkts;
		/* RFC 8985 7.2: one loss probe per tail loss episode, armed
		 * when new data leaves (not by the probe itself). */
		if (push_one != 2)
			tcp_schedule_loss_probe(sk, false);
		return false;
	}
	return !tp->packets_out && !skb_queue_empty(&sk->sk_write_queue);
}

/* RTO-based base of the zero-window probe interval (tcp_probe0_base). */
static u64 tcp_probe0_base(const struct sock *sk)
{
	return usec_to_nsec(max_t(u32, inet_csk(sk)->icsk_rto, TCP_RTO_MIN));
}

/* Probe interval with backoff, capped at @max_when ns (tcp_probe0_when). */
static u64 tcp_probe0_when(const struct sock *sk, u64 max_when)
{
	u8 backoff = min_t(u8, inet_csk(sk)->icsk_backoff, 63 - 30);
	u64 when = tcp_probe0_base(sk) << backoff;

	return min(when, max_when);
}

/**
 * tcp_check_probe_timer - arm the persist timer (RFC 9293 3.8.6.1) when
 * nothing is in flight and no xmit timer is pending
 */
void tcp_check_probe_timer(struct sock *sk)
{
	if (!tcp_sk(sk)->packets_out && !inet_csk(sk)->icsk_pending)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_PROBE0,
					  tcp_probe0_base(sk),
					  usec_to_nsec(TCP_RTO_MAX));
}

/**
 * __tcp_push_pending_frames - send what may go; arm the persist timer when
 * nothing could (zero window)
 */
void __tcp_push_pending_frames(struct sock *sk, unsigned int cur_mss,
			       int nonagle)
{
	/* A closed socket cannot send; the queue is freed when teardown
	 * completes. */
	if (unlikely(sk->sk_state == TCP_CLOSE))
		return;
	if (tcp_write_xmit(sk, cur_mss, nonagle, 0))
		tcp_check_probe_timer(sk);
}

/** tcp_push_pending_frames - push with the socket's Nagle setting */
void tcp_push_pending_frames(struct sock *sk)
{
	if (tcp_send_head(sk))
		__tcp_push_pending_frames(sk, tcp_current_mss(sk),
					  tcp_sk(sk)->nonagle);
}

/**
 * tcp_push_one - send the single skb at the send head if allowed (the
 * first full segment of a write, sent at once while the rest is copied)
 */
void tcp_push_one(struct sock *sk, unsigned int mss_now)
{
	struct sk_buff *skb = tcp_send_head(sk);

	if (!skb || skb->len < mss_now)
		return;
	tcp_write_xmit(sk, mss_now, TCP_NAGLE_PUSH, 1);
}

/* --- control segments --------------------------------------------------------- */

/* Linux's tcp_connect_init: MSS, window, scale and sequence state. */
static void tcp_connect_init(struct sock *sk)
{
	struct net *net = sock_net(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct dst_entry *dst;
	u32 mtu = 576;
	u8 rcv_wscale;

	tp->tcp_header_len = (u16)(sizeof(struct sl_tcphdr) +
				   (READ_ONCE(net->ipv4.sysctl_tcp_timestamps) ?
					    TCPOLEN_TSTAMP_ALIGNED : 0));
	if (tp->rx_opt.user_mss)
		tp->rx_opt.mss_clamp = tp->rx_opt.user_mss;
	if (!tp->rx_opt.mss_clamp)
		tp->rx_opt.mss_clamp = TCP_MSS_DEFAULT;
	tp->max_window = 0;
	tcp_mtup_init(sk);
	dst = tcp_sk_route(sk);
	if (dst) {
		mtu = dst_mtu(dst);
		dst_release(dst);
	}
	tcp_sync_mss(sk, mtu);
	/* RFC 9293 3.7.1, RFC 6691: the MSS option is the MTU less the
	 * fixed IP and TCP headers (1460 on Ethernet). */
	tp->advmss = mtu - TCP_IPV4_HDRLEN - (u32)sizeof(struct sl_tcphdr);
	if (tp->rx_opt.user_mss && tp->rx_opt.user_mss < tp->advmss)
		tp->advmss = tp->rx_opt.user_mss;
	tcp_initialize_rcv_mss(sk);
	/* SO_RCVBUF set by the user bounds the window we offer. */
	if ((sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    (tp->window_clamp > (u32)tcp_full_space(sk) || !tp->window_clamp))
		tp->window_clamp = (u32)tcp_full_space(sk);
	tcp_select_initial_window(sk, tcp_full_space(sk), tp->advmss,
				  &tp->rcv_wnd, &tp->window_clamp,
				  READ_ONCE(net->ipv4.sysctl_tcp_window_scaling),
				  &rcv_wscale, 0);
	tp->rx_opt.rcv_wscale = rcv_wscale & 0xf;
	tp->rcv_ssthresh = tp->rcv_wnd;
	WRITE_ONCE(sk->sk_err, 0);
	sock_reset_flag(sk, SOCK_DONE);
	tp->snd_wnd = 0;
	tp->snd_wl1 = 0;
	tp->snd_una = tp->write_seq;
	tp->snd_sml = tp->write_seq;
	tp->snd_up = tp->write_seq;
	WRITE_ONCE(tp->snd_nxt, tp->write_seq);
	tp->pushed_seq = tp->write_seq;
	tp->rcv_nxt = 0;
	tp->rcv_wup = 0;
	tp->copied_seq = 0;
	inet_csk(sk)->icsk_rto = TCP_TIMEOUT_INIT;
	inet_csk(sk)->icsk_retransmits = 0;
	tcp_clear_retrans(tp);
}

/**
 * tcp_connect - active open (RFC 9293 3.10.1): build the SYN with our
 * options, put it on the retransmit queue, send it and arm the RTO
 *
 * The caller (tcp_v4_connect) chose the ISN (write_seq), the route and the
 * state SYN-SENT, and counts TcpActiveOpens. Returns 0 or -ENOBUFS;
 * a failed first transmission is retried by the RTO like a loss.
 */
int tcp_connect(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *buff;
	int err;

	tcp_connect_init(sk);
	if (unlikely(tcp_xfer_get(sk)))
		return -ENOBUFS;
	buff = tcp_alloc_ctl_skb(sock_net(sk));
	if (unlikely(!buff))
		return -ENOBUFS;
	tcp_init_nondata_skb(buff, tp->write_seq++, TCPHDR_SYN);
	tp->tcp_mstamp = tcp_clock_us(sk);
	tp->retrans_stamp = tcp_time_stamp_ms(sk);
	/* The SYN goes straight to the retransmit queue (Linux's
	 * tcp_connect_queue_skb). */
	buff->tstamp = usec_to_nsec(tp->tcp_mstamp);
	sk->sk_wmem_queued += (int)buff->truesize;
	__skb_queue_tail(&tp->xfer->tcp_rtx_queue, buff);
	tp->packets_out += (u32)tcp_skb_pcount(buff);
	err = tcp_transmit_skb(sk, buff, 1);
	if (err == -ECONNREFUSED)
		return err;
	/* snd_nxt moves after the transmission so the SYN counts in OutSegs. */
	WRITE_ONCE(tp->snd_nxt, tp->write_seq);
	tp->pushed_seq = tp->write_seq;
	/* Timer for repeating the SYN until an answer (RFC 6298 2.1: 1 s). */
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
				  usec_to_nsec(inet_csk(sk)->icsk_rto),
				  usec_to_nsec(TCP_RTO_MAX));
	return 0;
}

/* Route a reply: from the segment's destination back to its source. */
static struct rtable *tcp_v4_reply_route(struct net *net, __be32 saddr,
					 __be32 daddr, int oif,
					 struct flowi4 *fl4)
{
	memset(fl4, 0, sizeof(*fl4));
	fl4->daddr = daddr;
	fl4->saddr = saddr;
	fl4->flowi4_oif = oif;
	fl4->flowi4_proto = IPPROTO_TCP;
	return ip_route_output_key(net, fl4);
}

/*
 * Send a segment built without a full socket (SYN-ACK, RST, bare ACK):
 * software checksum, IP header with DF (Linux's reply socket uses
 * IP_PMTUDISC_DO) and TTL from the stack, ip_send_skb. Consumes @skb.
 */
static int tcp_v4_send_ctl(struct net *net, struct sk_buff *skb,
			   __be32 saddr, __be32 daddr, int oif)
{
	struct sl_tcphdr *th = tcp_hdr(skb);
	struct flowi4 fl4;
	struct rtable *rt;
	int err;

	rt = tcp_v4_reply_route(net, saddr, daddr, oif, &fl4);
	if (IS_ERR(rt)) {
		IP_INC_STATS(net, IPSTATS_MIB_OUTNOROUTES);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	th->check = 0;
	th->check = csum_tcpudp_magic(fl4.saddr, fl4.daddr, skb->len,
				      IPPROTO_TCP,
				      csum_partial(th, skb->len, 0));
	skb->ip_summed = CHECKSUM_NONE;
	memset(skb->cb, 0, sizeof(struct inet_skb_parm));
	ip_build_header(net, skb, &fl4, IPPROTO_TCP, 0, 0, true);
	err = ip_send_skb(net, skb, rt);
	ip_rt_put(rt);
	return err;
}

/* Push a bare header (ports, seq, ack, flags, window) in front of @skb. */
static struct sl_tcphdr *tcp_push_ctl_header(struct sk_buff *skb,
					     unsigned int hlen, __be16 sport,
					     __be16 dport, u32 seq, u32 ack,
					     u8 flags, u16 window)
{
	struct sl_tcphdr *th;

	skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	th = (struct sl_tcphdr *)skb->data;
	memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	((u8 *)th)[12] = (u8)((hlen >> 2) << 4);
	((u8 *)th)[13] = flags;
	th->window = htons(window);
	return th;
}

/* Window and scale of a request sock, when the listener did not set them
 * (Linux's tcp_openreq_init_rwin). */
static void tcp_openreq_init_rwin(const struct sock *listener,
				  struct request_sock *req, u16 mss)
{
	u32 window_clamp = tcp_sk(listener)->window_clamp;
	int full_space = tcp_full_space(listener);
	u8 rcv_wscale;

	req->rsk_window_clamp = window_clamp;
	if ((listener->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    (req->rsk_window_clamp > (u32)full_space || !req->rsk_window_clamp))
		req->rsk_window_clamp = (u32)full_space;
	tcp_select_initial_window(listener, full_space,
				  mss - (req->tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED : 0),
				  &req->rsk_rcv_wnd, &req->rsk_window_clamp,
				  req->wscale_ok, &rcv_wscale, 0);
	req->rcv_wscale = rcv_wscale & 0xf;
}

/**
 * tcp_send_synack - SYN-ACK of a request sock (RFC 9293 3.10.7.2)
 *
 * Options mirror the peer's SYN (req->*_ok), our MSS is the route MTU less
 * 40 (clamped by the listener's TCP_MAXSEG), window = the request's
 * initial window, unscaled (RFC 7323 2.2). Sent through IP routing
 * directly (no full socket). Counts OutSegs; a retransmission
 * (req->num_retrans > 0) is counted by the caller. Returns 0 or -errno;
 * @req stays the caller's.
 */
int tcp_send_synack(const struct sock *listener, struct request_sock *req)
{
	struct net *net = sock_net(listener);
	const struct tcp_sock *ltp = tcp_sk(listener);
	struct tcp_out_options opts;
	struct sk_buff *skb;
	struct flowi4 fl4;
	struct rtable *rt;
	unsigned int hlen;
	u32 mss, tsval;
	int err;

	rt = tcp_v4_reply_route(net, req->ir_loc_addr, req->ir_rmt_addr,
				listener->sk_bound_dev_if, &fl4);
	if (IS_ERR(rt))
		return (int)PTR_ERR(rt);
	mss = dst_mtu(&rt->dst) - TCP_IPV4_HDRLEN - (u32)sizeof(struct sl_tcphdr);
	ip_rt_put(rt);
	if (ltp->rx_opt.user_mss && ltp->rx_opt.user_mss < mss)
		mss = ltp->rx_opt.user_mss;
	if (!req->rsk_rcv_wnd)
		tcp_openreq_init_rwin(listener, req, (u16)mss);
	if (!req->snt_synack)
		req->snt_synack = net_now(net) / NSEC_PER_USEC;

	skb = tcp_alloc_ctl_skb(net);
	if (!skb)
		return -ENOBUFS;
	memset(&opts, 0, sizeof(opts));
	tsval = (u32)(net_now(net) / NSEC_PER_MSEC);
	/* A SYN cookie with timestamps carries the options in TSval. */
	if (req->syncookie && req->tstamp_ok)
		tsval = cookie_init_timestamp(req, tsval);
	hlen = tcp_synack_options(req, (u16)mss, tsval + req->ts_off, &opts) +
	       (unsigned int)sizeof(struct sl_tcphdr);
	tcp_push_ctl_header(skb, hlen, htons(req->ir_num), req->ir_rmt_port,
			    req->snt_isn, req->rcv_isn + 1,
			    TCPHDR_SYN | TCPHDR_ACK,
			    (u16)min(req->rsk_rcv_wnd, 65535U));
	tcp_options_write(skb->data + sizeof(struct sl_tcphdr), &opts);
	err = tcp_v4_send_ctl(net, skb, req->ir_loc_addr, req->ir_rmt_addr,
			      listener->sk_bound_dev_if);
	if (!err)
		TCP_INC_STATS(net, TCP_MIB_OUTSEGS);
	return err;
}

/* The stack @skb arrived in. */
static struct net *tcp_skb_net(const struct sock *sk, const struct sk_buff *skb)
{
	if (sk)
		return sock_net(sk);
	return skb->dev ? dev_net(skb->dev) : NULL;
}

/**
 * tcp_v4_send_reset - RST in reply to @skb (RFC 9293 3.10.7.1, 3.5.2)
 * @sk: the socket the segment was for, or NULL (no socket)
 * @skb: the received segment (network and transport headers set); not
 *       consumed
 *
 * Never in reply to a RST. If the segment carried an ACK, the RST takes
 * its sequence number from that ACK field (<SEQ=SEG.ACK><CTL=RST>); else
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. No options, window 0, as
 * Linux. Not for broadcast/multicast. Counts OutSegs and OutRsts.
 */
void tcp_v4_send_reset(const struct sock *sk, struct sk_buff *skb)
{
	const struct sl_tcphdr *th = tcp_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct net *net = tcp_skb_net(sk, skb);
	struct sk_buff *rskb;
	u32 seq = 0, ack = 0, len;
	u8 flags = TCPHDR_RST;

	if (!net || th->rst)
		return;
	if (skb->pkt_type != PACKET_HOST || ipv4_is_multicast(iph->daddr) ||
	    ipv4_is_lbcast(iph->daddr))
		return;
	len = (u32)ntohs(iph->tot_len) - ip_hdrlen(skb) - th->doff * 4u;
	if (th->ack) {
		seq = ntohl(th->ack_seq);
	} else {
		flags |= TCPHDR_ACK;
		ack = ntohl(th->seq) + th->syn + th->fin + len;
	}
	rskb = tcp_alloc_ctl_skb(net);
	if (!rskb)
		return;
	tcp_push_ctl_header(rskb, sizeof(struct sl_tcphdr), th->dest,
			    th->source, seq, ack, flags, 0);
	if (!tcp_v4_send_ctl(net, rskb, iph->daddr, iph->saddr,
			     sk ? sk->sk_bound_dev_if : 0)) {
		TCP_INC_STATS(net, TCP_MIB_OUTSEGS);
		TCP_INC_STATS(net, TCP_MIB_OUTRSTS);
	}
}

/**
 * tcp_v4_send_ack - bare ACK in reply to @skb without a full socket
 * (TIME_WAIT, request socks, challenge ACKs)
 * @win: the window field as sent (already scaled)
 * @tsecr: non-zero adds the timestamp option (nop nop TS tsval tsecr), as
 *         Linux decides
 *
 * @skb is not consumed. Counts OutSegs.
 */
void tcp_v4_send_ack(const struct sock *sk, struct sk_buff *skb, u32 seq,
		     u32 ack, u32 win, u32 tsval, u32 tsecr, int oif)
{
	const struct sl_tcphdr *th = tcp_hdr(skb);
	const struct iphdr *iph = ip_hdr(skb);
	struct net *net = tcp_skb_net(sk, skb);
	struct tcp_out_options opts;
	struct sk_buff *rskb;
	unsigned int hlen = sizeof(struct sl_tcphdr);

	if (!net)
		return;
	rskb = tcp_alloc_ctl_skb(net);
	if (!rskb)
		return;
	memset(&opts, 0, sizeof(opts));
	if (tsecr) {
		opts.options = OPTION_TS;
		opts.tsval = tsval;
		opts.tsecr = tsecr;
		hlen += TCPOLEN_TSTAMP_ALIGNED;
	}
	tcp_push_ctl_header(rskb, hlen, th->dest, th->source, seq, ack,
			    TCPHDR_ACK, (u16)min(win, 65535U));
	tcp_options_write(rskb->data + sizeof(struct sl_tcphdr), &opts);
	if (!tcp_v4_send_ctl(net, rskb, iph->daddr, iph->saddr, oif))
		TCP_INC_STATS(net, TCP_MIB_OUTSEGS);
}

/* Send an ACK for @rcv_nxt now (Linux's __tcp_send_ack). */
static void __tcp_send_ack(struct sock *sk, u32 rcv_nxt)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct sk_buff *buff;

	/* After a reset (state CLOSE) nothing may be sent. */
	if (sk->sk_state == TCP_CLOSE)
		return;
	buff = tcp_alloc_ctl_skb(sock_net(sk));
	if (unlikely(!buff)) {
		/* Allocation failed: let the delayed-ACK timer try again
		 * shortly. */
		icsk->icsk_ack.pending |= ICSK_ACK_SCHED;
		icsk->icsk_ack.ato = TCP_ATO_MIN;
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK,
					  usec_to_nsec(TCP_DELACK_MAX),
					  usec_to_nsec(TCP_RTO_MAX));
		return;
	}
	tcp_init_nondata_skb(buff, tcp_acceptable_seq(sk), TCPHDR_ACK);
	__tcp_transmit_skb(sk, buff, 0, rcv_nxt);
}

/**
 * tcp_send_ack - send a pure ACK now, with the current window and options
 */
void tcp_send_ack(struct sock *sk)
{
	__tcp_send_ack(sk, tcp_sk(sk)->rcv_nxt);
}

/**
 * tcp_send_delayed_ack - schedule the delayed ACK (RFC 1122 4.2.3.2, RFC
 * 9293 3.8.6.3) with Linux's timing: the ACK timeout ato (40 ms minimum),
 * bounded by 500 ms, by 200 ms in interactive mode, by the smoothed RTT
 * when known, and by icsk_delack_max; an earlier deadline already set
 * stays, and one about to expire sends the ACK now.
 */
void tcp_send_delayed_ack(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 ato = icsk->icsk_ack.ato;
	u64 now = net_now(sock_net(sk)), timeout;

	if (ato > TCP_DELACK_MIN) {
		u32 max_ato = 500 * 1000U;

		if (inet_csk_in_pingpong_mode(sk) ||
		    (icsk->icsk_ack.pending & ICSK_ACK_PUSHED))
			max_ato = TCP_DELACK_MAX;
		/* Gaps between segments are long (non-interactive): cap the
		 * delay by the measured RTT rather than the RTO. */
		if (tp->srtt_us) {
			u32 rtt = max_t(u32, tp->srtt_us >> 3, TCP_DELACK_MIN);

			if (rtt < max_ato)
				max_ato = rtt;
		}
		ato = min(ato, max_ato);
	}
	if (icsk->icsk_delack_max)
		ato = min(ato, icsk->icsk_delack_max);
	timeout = now + usec_to_nsec(ato);
	if (icsk->icsk_ack.pending & ICSK_ACK_TIMER) {
		/* The pending timer would fire soon anyway: ACK right now
		 * instead. */
		if (icsk->icsk_ack.timeout <= now + usec_to_nsec(ato >> 2)) {
			tcp_send_ack(sk);
			return;
		}
		if (timeout >= icsk->icsk_ack.timeout)
			timeout = icsk->icsk_ack.timeout;
	}
	icsk->icsk_ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, timeout - now,
				  usec_to_nsec(TCP_RTO_MAX));
	icsk->icsk_ack.timeout = timeout;
}

/**
 * tcp_send_fin - queue our FIN (RFC 9293 3.10.4 CLOSE) after the data and
 * push
 *
 * The FIN rides on the last unsent skb when there is one; otherwise a new
 * header-only skb carries it. If even that cannot be allocated the FIN is
 * not sent now (Linux does the same; the close path's timers and a later
 * call retry).
 */
void tcp_send_fin(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *tskb = skb_peek_tail(&sk->sk_write_queue);
	struct sk_buff *skb;

	if (tskb) {
		TCP_SKB_CB(tskb)->tcp_flags |= TCPHDR_FIN;
		TCP_SKB_CB(tskb)->end_seq++;
		tp->write_seq++;
	} else {
		/* As for a failed skb allocation: no FIN (Linux retries). */
		if (unlikely(tcp_xfer_get(sk)))
			return;
		skb = tcp_alloc_ctl_skb(sock_net(sk));
		if (unlikely(!skb))
			return;
		/* The FIN occupies one sequence number (RFC 9293 3.4). */
		tcp_init_nondata_skb(skb, tp->write_seq,
				     TCPHDR_ACK | TCPHDR_FIN);
		tp->write_seq++;
		sk->sk_wmem_queued += (int)skb->truesize;
		__skb_queue_tail(&sk->sk_write_queue, skb);
	}
	__tcp_push_pending_frames(sk, tcp_current_mss(sk), TCP_NAGLE_OFF);
}

/**
 * tcp_send_active_reset - abort: RST|ACK at snd_nxt (RFC 9293 3.10.5
 * ABORT), with the usual options. Counts OutRsts.
 */
void tcp_send_active_reset(struct sock *sk)
{
	struct sk_buff *skb;

	TCP_INC_STATS(sock_net(sk), TCP_MIB_OUTRSTS);
	skb = tcp_alloc_ctl_skb(sock_net(sk));
	if (!skb) {
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTFAILED);
		return;
	}
	tcp_init_nondata_skb(skb, tcp_acceptable_seq(sk),
			     TCPHDR_ACK | TCPHDR_RST);
	if (tcp_transmit_skb(sk, skb, 0))
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTFAILED);
}

/* --- retransmission ------------------------------------------------------------ */

/*
 * Resend (part of) a sent @skb: up to @segs segments within the peer's
 * window, fragmenting at the current MSS (Linux's __tcp_retransmit_skb).
 */
static int __tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, int segs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int cur_mss;
	int diff, len, err;
	s32 avail_wnd;

	if (before(TCP_SKB_CB(skb)->seq, tp->snd_una)) {
		if (unlikely(before(TCP_SKB_CB(skb)->end_seq, tp->snd_una)))
			return -EINVAL;
		if (tcp_trim_head(sk, skb, tp->snd_una - TCP_SKB_CB(skb)->seq))
			return -ENOMEM;
	}
	cur_mss = tcp_current_mss(sk);
	avail_wnd = (s32)(tcp_wnd_end(tp) - TCP_SKB_CB(skb)->seq);
	/* The peer shrank its window below this segment: do not resend it,
	 * except with a zero window, where it doubles as a window probe. */
	if (avail_wnd <= 0) {
		if (TCP_SKB_CB(skb)->seq != tp->snd_una)
			return -EAGAIN;
		avail_wnd = (s32)cur_mss;
	}
	len = (int)cur_mss * segs;
	if (len > avail_wnd) {
		len = avail_wnd / (int)cur_mss * (int)cur_mss;
		if (!len)
			len = avail_wnd;
	}
	if (skb->len > (unsigned int)len) {
		if (tcp_fragment(sk, &tp->xfer->tcp_rtx_queue, skb, (u32)len, cur_mss))
			return -ENOMEM; /* retried on the next ACK or timeout */
	} else {
		if (tcp_skb_unclone(skb))
			return -ENOMEM;
		diff = tcp_skb_pcount(skb);
		tcp_set_skb_tso_segs(skb, cur_mss);
		diff -= tcp_skb_pcount(skb);
		if (diff)
			tcp_adjust_pcount(sk, skb, diff);
	}
	segs = tcp_skb_pcount(skb);
	TCP_ADD_STATS(sock_net(sk), TCP_MIB_RETRANSSEGS, segs);
	if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN)
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPSYNRETRANS);
	tp->total_retrans += (u32)segs;
	TCP_EXT_ADD(sk, bytes_retrans, skb->len);
	err = tcp_transmit_skb(sk, skb, 1);
	if (!err)
		TCP_SKB_CB(skb)->sacked |= TCPCB_EVER_RETRANS;
	else if (err != -EBUSY)
		NET_ADD_STATS(sock_net(sk), LINUX_MIB_TCPRETRANSFAIL, segs);
	return err;
}

/**
 * tcp_retransmit_skb - retransmit @skb (on the rtx queue), at most @segs
 * segments of it
 *
 * Marks it TCPCB_RETRANS and counts retrans_out, TcpRetransSegs,
 * total_retrans; records the first retransmission time (retrans_stamp)
 * and undo_retrans. The caller counts TCPFastRetrans/TCPSlowStartRetrans.
 * Returns 0 or -errno (the skb stays queued either way).
 */
int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, int segs)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int err = __tcp_retransmit_skb(sk, skb, segs);

	if (err == 0) {
		TCP_SKB_CB(skb)->sacked |= TCPCB_RETRANS;
		tp->retrans_out += (u32)tcp_skb_pcount(skb);
	}
	/* retrans_stamp marks when retransmitting began (undo, timeouts). */
	if (!tp->retrans_stamp)
		tp->retrans_stamp = (u32)(tcp_skb_timestamp_us(skb) / 1000);
	if (tp->undo_retrans < 0)
		tp->undo_retrans = 0;
	tp->undo_retrans += tcp_skb_pcount(skb);
	return err;
}

/**
 * tcp_xmit_retransmit_queue - retransmit the segments marked lost, in
 * sequence order, while the congestion window allows (RFC 6675 NextSeg
 * rule 1; PRR's allowance comes from cwnd set by tcp_cwnd_reduction)
 *
 * Counts TCPFastRetrans (recovery) or TCPSlowStartRetrans (after an RTO)
 * and prr_out; re-arms the RTO when the head was resent.
 */
void tcp_xmit_retransmit_queue(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb, *rtx_head = tcp_rtx_queue_head(sk), *next;
	bool rearm_timer = false;
	u32 max_segs;

	if (!tp->packets_out || !rtx_head)
		return;
	max_segs = tcp_tso_segs(sk, tcp_current_mss(sk));
	for (skb = rtx_head; skb != (struct sk_buff *)&tp->xfer->tcp_rtx_queue;
	     skb = next) {
		int segs, mib_idx;
		u8 sacked;

		next = skb->next;
		segs = (int)tcp_snd_cwnd(tp) - (int)tcp_packets_in_flight(tp);
		if (segs <= 0)
			break;
		sacked = TCP_SKB_CB(skb)->sacked;
		segs = min_t(int, segs, (int)max_segs);
		if (tp->retrans_out >= tp->lost_out)
			break;
		if (!(sacked & TCPCB_LOST))
			continue;
		mib_idx = icsk->icsk_ca_state != TCP_CA_Loss ?
				  LINUX_MIB_TCPFASTRETRANS :
				  LINUX_MIB_TCPSLOWSTARTRETRANS;
		if (sacked & (TCPCB_SACKED_ACKED | TCPCB_SACKED_RETRANS))
			continue;
		if (tcp_retransmit_skb(sk, skb, segs))
			break;
		/* A fragmented skb: its tail is next in the queue. */
		next = skb->next;
		NET_ADD_STATS(sock_net(sk), mib_idx, tcp_skb_pcount(skb));
		if (tcp_in_cwnd_reduction(sk))
			tp->xfer->prr_out += (u32)tcp_skb_pcount(skb);
		if (skb == rtx_head && icsk->icsk_pending != ICSK_TIME_REO_TIMEOUT)
			rearm_timer = true;
	}
	if (rearm_timer)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
					  usec_to_nsec(icsk->icsk_rto),
					  usec_to_nsec(TCP_RTO_MAX));
}

/**
 * tcp_send_loss_probe - the tail loss probe (RFC 8985 7.3): new data if
 * the window allows, else the last sent segment again (one segment).
 * Records tlp_high_seq, counts TCPLossProbes and re-arms the RTO.
 */
void tcp_send_loss_probe(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mss = tcp_current_mss(sk);
	struct sk_buff *skb;
	int pcount;

	/* At most one outstanding TLP (RFC 8985 7.3). */
	if (tp->xfer->tlp_high_seq)
		goto rearm_timer;
	tp->xfer->tlp_retrans = 0;
	skb = tcp_send_head(sk);
	if (skb && tcp_snd_wnd_test(tp, skb, mss)) {
		pcount = (int)tp->packets_out;
		tcp_write_xmit(sk, mss, TCP_NAGLE_OFF, 2);
		if ((int)tp->packets_out > pcount)
			goto probe_sent;
		goto rearm_timer;
	}
	skb = skb_peek_tail(&tp->xfer->tcp_rtx_queue);
	if (unlikely(!skb)) {
		inet_csk(sk)->icsk_pending = 0;
		return;
	}
	pcount = tcp_skb_pcount(skb);
	if (pcount > 1 && skb->len > (unsigned int)(pcount - 1) * mss) {
		if (tcp_fragment(sk, &tp->xfer->tcp_rtx_queue, skb,
				 (u32)(pcount - 1) * mss, mss))
			goto rearm_timer;
		skb = skb->next;
	}
	if (__tcp_retransmit_skb(sk, skb, 1))
		goto rearm_timer;
	tp->xfer->tlp_retrans = 1;
probe_sent:
	/* tlp_high_seq lets the ACK path tell whether the probe repaired a
	 * loss. */
	tp->xfer->tlp_high_seq = tp->snd_nxt;
	NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPLOSSPROBES);
	/* Clear the flag so tcp_rearm_rto measures the RTO from now. */
	inet_csk(sk)->icsk_pending = 0;
rearm_timer:
	tcp_rearm_rto(sk);
}

/* --- zero window probes and keepalives ------------------------------------------ */

/*
 * A segment the peer must answer with an ACK: seq snd_una - 1 (already
 * acknowledged), or snd_una with @urgent (Linux's tcp_xmit_probe_skb).
 */
static int tcp_xmit_probe_skb(struct sock *sk, int urgent, int mib)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	skb = tcp_alloc_ctl_skb(sock_net(sk));
	if (!skb)
		return -1;
	tcp_init_nondata_skb(skb, tp->snd_una - !urgent, TCPHDR_ACK);
	NET_INC_STATS(sock_net(sk), mib);
	return tcp_transmit_skb(sk, skb, 0);
}

/* Send new data that fits the window (split to it), or a probe. */
static int __tcp_write_wakeup(struct sock *sk, int mib)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;
	unsigned int mss, seg_size;
	int err;

	if (sk->sk_state == TCP_CLOSE)
		return -1;
	skb = tcp_send_head(sk);
	if (skb && before(TCP_SKB_CB(skb)->seq, tcp_wnd_end(tp))) {
		mss = tcp_current_mss(sk);
		seg_size = tcp_wnd_end(tp) - TCP_SKB_CB(skb)->seq;
		if (before(tp->pushed_seq, TCP_SKB_CB(skb)->end_seq))
			tp->pushed_seq = TCP_SKB_CB(skb)->end_seq;
		/* The window is not zero but too small for the skb: this is
		 * the sender SWS avoidance's result (RFC 1122 4.2.3.4). */
		if (seg_size < TCP_SKB_CB(skb)->end_seq - TCP_SKB_CB(skb)->seq ||
		    skb->len > mss) {
			seg_size = min(seg_size, mss);
			TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_PSH;
			if (seg_size < skb->len &&
			    tcp_fragment(sk, &sk->sk_write_queue, skb, seg_size,
					 mss))
				return -1;
		} else if (!tcp_skb_pcount(skb)) {
			tcp_set_skb_tso_segs(skb, mss);
		}
		tcp_set_skb_tso_segs(skb, mss);
		TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_PSH;
		err = tcp_transmit_skb(sk, skb, 1);
		if (!err)
			tcp_event_new_data_sent(sk, skb);
		return err;
	}
	if (between(tp->snd_up, tp->snd_una + 1, tp->snd_una + 0xFFFF))
		tcp_xmit_probe_skb(sk, 1, mib);
	return tcp_xmit_probe_skb(sk, 0, mib);
}

/**
 * tcp_write_wakeup - keepalive probe (RFC 9293 3.8.4, RFC 1122 4.2.3.6):
 * new data if the window has room, else an ACK with seq snd_una - 1.
 * Counts TCPKeepAlive for the probe. Returns 0, or non-zero when nothing
 * could be sent.
 */
int tcp_write_wakeup(struct sock *sk)
{
	return __tcp_write_wakeup(sk, LINUX_MIB_TCPKEEPALIVE);
}

/**
 * tcp_send_probe0 - the persist timer fired (RFC 9293 3.8.6.1, RFC 1122
 * 4.2.2.17): probe the zero window and re-arm with exponential backoff.
 * Counts TCPWinProbe.
 */
void tcp_send_probe0(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	u64 timeout;
	int err;

	err = __tcp_write_wakeup(sk, LINUX_MIB_TCPWINPROBE);
	if (tp->packets_out || skb_queue_empty(&sk->sk_write_queue)) {
		/* Data in flight or nothing queued: no window probe needed. */
		icsk->icsk_probes_out = 0;
		icsk->icsk_backoff = 0;
		icsk->icsk_probes_tstamp = 0;
		return;
	}
	icsk->icsk_probes_out++;
	if (err <= 0) {
		if (icsk->icsk_backoff <
		    READ_ONCE(net->ipv4.sysctl_tcp_retries2))
			icsk->icsk_backoff++;
		timeout = tcp_probe0_when(sk, usec_to_nsec(TCP_RTO_MAX));
	} else {
		/* The local queue refused the probe: retry at the base interval
		 * without backing off, as this was not a network loss. */
		timeout = TCP_RESOURCE_PROBE_INTERVAL;
	}
	if (tcp_sk(sk)->ext->user_timeout && icsk->icsk_probes_tstamp) {
		u64 elapsed = net_now(net) - icsk->icsk_probes_tstamp;
		u64 user = (u64)tcp_sk(sk)->ext->user_timeout * NSEC_PER_MSEC;
		u64 remaining = user > elapsed ? user - elapsed : 0;

		timeout = min(timeout, max_t(u64, remaining,
					     (u64)TCP_TIMEOUT_MIN_NS));
	}
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_PROBE0, timeout,
				  usec_to_nsec(TCP_RTO_MAX));
}

/* --- chronographs (tcp_info busy/rwnd/sndbuf limited) ------------------------- */

/* @now in ms: Linux counts the chronographs in jiffies. Nothing to do
 * from none to none (an idle connection keeps no tcp_ext for it). */
static void tcp_chrono_set(struct sock *sk, int new_type, u32 now)
{
	int old = (int)tcp_sk(sk)->ext->chrono_type;
	struct tcp_ext *x;

	if (old == TCP_CHRONO_UNSPEC && new_type == TCP_CHRONO_UNSPEC)
		return;
	x = tcp_ext_get(sk);
	if (unlikely(!x))
		return;
	if (old > TCP_CHRONO_UNSPEC && old < __TCP_CHRONO_MAX)
		x->chrono_stat[old - 1] += now - x->chrono_start;
	x->chrono_start = now;
	x->chrono_type = (u8)new_type;
}

/**
 * tcp_chrono_start - start timing @type (TCP_CHRONO_*); the more
 * interesting (higher) type takes precedence
 */
void tcp_chrono_start(struct sock *sk, int type)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (type > (int)tp->ext->chrono_type)
		tcp_chrono_set(sk, type, tcp_time_stamp_ms(sk));
}

/**
 * tcp_chrono_stop - stop timing @type: back to BUSY while data is queued,
 * else nothing
 */
void tcp_chrono_stop(struct sock *sk, int type)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tcp_rtx_and_write_queues_empty(sk))
		tcp_chrono_set(sk, TCP_CHRONO_UNSPEC, tcp_time_stamp_ms(sk));
	else if (type == (int)tp->ext->chrono_type)
		tcp_chrono_set(sk, TCP_CHRONO_BUSY, tcp_time_stamp_ms(sk));
}

/* --- deferred work ----------------------------------------------------------------- */

#define TCP_DEFERRED_ALL                                                  \
	(TCPF_TSQ_DEFERRED | TCPF_WRITE_TIMER_DEFERRED |                   \
	 TCPF_DELACK_TIMER_DEFERRED | TCPF_MTU_REDUCED_DEFERRED |          \
	 TCPF_KEEPALIVE_TIMER_DEFERRED)

/**
 * tcp_release_cb - run what softirq deferred while the user owned the
 * socket (release_sock calls it with the socket spinlock held)
 *
 * Each deferred bit was set by the timer (or ICMP handler) together with a
 * sock reference, which is dropped here after the handler ran.
 */
void tcp_release_cb(struct sock *sk)
{
	unsigned long flags;

	if (!(READ_ONCE(tcp_sk(sk)->tsq_flags) & TCP_DEFERRED_ALL))
		return;
	flags = __atomic_fetch_and(&tcp_sk(sk)->tsq_flags, (u32)~TCP_DEFERRED_ALL,
				   __ATOMIC_ACQ_REL) & TCP_DEFERRED_ALL;
	if (flags & TCPF_TSQ_DEFERRED) {
		tcp_push_pending_frames(sk);
		sock_put(sk);
	}
	if (flags & TCPF_WRITE_TIMER_DEFERRED) {
		tcp_write_timer_handler(sk);
		sock_put(sk);
	}
	if (flags & TCPF_DELACK_TIMER_DEFERRED) {
		tcp_delack_timer_handler(sk);
		sock_put(sk);
	}
	if (flags & TCPF_KEEPALIVE_TIMER_DEFERRED) {
		tcp_keepalive_timer_handler(sk);
		sock_put(sk);
	}
	if (flags & TCPF_MTU_REDUCED_DEFERRED) {
		tcp_v4_mtu_reduced(sk);
		sock_put(sk);
	}
}
