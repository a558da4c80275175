/*
 * TCP (RFC 9293 and friends), as Linux structures it.
 *
 * Out: tcp_sendmsg (tcp.c) -> tcp_push -> tcp_write_xmit (tcp_output.c:
 *      cwnd, receive window, Nagle, TSO) -> tcp_transmit_skb (clone, header,
 *      options, checksum) -> ip_queue_xmit.
 * In:  ip_local_deliver_finish -> tcp_v4_rcv (tcp_ipv4.c: checksum, lookup,
 *      bh_lock_sock / backlog) -> tcp_v4_do_rcv -> tcp_rcv_established
 *      (tcp_input.c: fast path) or tcp_rcv_state_process (every other
 *      state) -> tcp_ack, tcp_data_queue -> tcp_queue_rcv -> sk_data_ready.
 * Timers (tcp_timer.c): retransmit/RTO, zero-window probe, TLP and RACK
 *      reordering on icsk_retransmit_timer; delayed ACK; keepalive on
 *      sk_timer. Congestion control through tcp_congestion_ops (tcp_cong.c:
 *      reno; tcp_cubic.c: cubic, the default).
 *
 * Units: sequence numbers u32 with before()/after(); times on the stack
 * clock in ns for timers, us for RTT (tcp_mstamp, srtt_us), ms for the
 * TCP timestamp option clock (tcp_time_stamp, RFC 7323: 1 ms ticks as
 * Linux).
 */
#ifndef SL_TCP_H
#define SL_TCP_H

#include <linux/tcp.h>

#include "sl/inet_connection_sock.h"
#include "sl/inet_hashtables.h"
#include "sl/skbuff.h"
#include "sl/tcp_states.h"
#include "sl/types.h"

struct file;
struct poll_table_struct;
struct socket;
struct sl_msghdr;
struct tcp_info;
typedef unsigned int __poll_t;

struct sl_tcphdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	u16 res1 : 4, doff : 4, fin : 1, syn : 1, rst : 1, psh : 1, ack : 1,
	    urg : 1, ece : 1, cwr : 1;
#else
	u16 doff : 4, res1 : 4, cwr : 1, ece : 1, urg : 1, ack : 1, psh : 1,
	    rst : 1, syn : 1, fin : 1;
#endif
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
} __packed;

/* Flag byte (13th octet of the header), as Linux's TCPHDR_*. */
#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02
#define TCPHDR_RST 0x04
#define TCPHDR_PSH 0x08
#define TCPHDR_ACK 0x10
#define TCPHDR_URG 0x20
#define TCPHDR_ECE 0x40
#define TCPHDR_CWR 0x80

static inline struct sl_tcphdr *tcp_hdr(const struct sk_buff *skb)
{
	return (struct sl_tcphdr *)skb_transport_header(skb);
}
static inline u8 tcp_flag_byte(const struct sl_tcphdr *th)
{
	return ((const u8 *)th)[13];
}

/* Option kinds and lengths (RFC 9293 3.2, RFC 7323, RFC 2018). */
#define TCPOPT_NOP 1
#define TCPOPT_EOL 0
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TIMESTAMP 8
#define TCPOLEN_MSS 4
#define TCPOLEN_WINDOW 3
#define TCPOLEN_SACK_PERM 2
#define TCPOLEN_TIMESTAMP 10
#define TCPOLEN_TSTAMP_ALIGNED 12
#define TCPOLEN_SACK_BASE 2
#define TCPOLEN_SACK_PERBLOCK 8
#define TCP_NUM_SACKS 4
#define TCP_MAX_WSCALE 14

/* Linux's constants. */
#define TCP_MSS_DEFAULT 536U
#define TCP_MIN_MSS 88U
#define TCP_INIT_CWND 10                 /* RFC 6928 */
#define TCP_TIMEOUT_INIT (1000 * 1000U)  /* us: RFC 6298 2.1 initial RTO */
#define TCP_RTO_MIN (200 * 1000U)        /* us */
#define TCP_RTO_MAX (120 * 1000 * 1000U) /* us */
#define TCP_DELACK_MIN (40 * 1000U)      /* us */
#define TCP_DELACK_MAX (200 * 1000U)     /* us */
#define TCP_ATO_MIN (40 * 1000U)         /* us */
#define TCP_TIMEWAIT_LEN (60ULL * NSEC_PER_SEC)
#define TCP_FIN_TIMEOUT TCP_TIMEWAIT_LEN
#define TCP_SYNQ_INTERVAL (200ULL * NSEC_PER_MSEC)
#define TCP_RESOURCE_PROBE_INTERVAL (500ULL * NSEC_PER_MSEC)
#define TCP_KEEPALIVE_TIME (7200ULL * NSEC_PER_SEC)
#define TCP_KEEPALIVE_INTVL (75ULL * NSEC_PER_SEC)
#define TCP_KEEPALIVE_PROBES 9
#define TCP_INFINITE_SSTHRESH 0x7fffffff
#define MAX_TCP_WINDOW 32767U
#define TCP_MAX_QUICKACKS 16U

/* Sequence space arithmetic (RFC 9293 3.4). */
static inline bool before(u32 seq1, u32 seq2)
{
	return (s32)(seq1 - seq2) < 0;
}
#define after(seq2, seq1) before(seq1, seq2)
static inline bool between(u32 seq1, u32 seq2, u32 seq3)
{
	return seq3 - seq2 >= seq1 - seq2;
}

/*
 * Per-segment state in skb->cb (Linux's tcp_skb_cb). On receive,
 * tcp_v4_rcv fills it from the header; on send, tcp_sendmsg and
 * tcp_output keep the segment's sequence range and SACK state here.
 */
struct tcp_skb_cb {
	u32 seq;                 /* sequence number of the first octet */
	u32 end_seq;             /* seq + SEG.LEN (RFC 9293 3.4) */
	u32 ack_seq;             /* received: the ACK field */
	u8 tcp_flags;            /* TCPHDR_* */
	u8 sacked;               /* TCPCB_* */
	u8 ip_dsfield;
	u8 eor : 1, has_rxtstamp : 1, unused : 6;
	int iif;                 /* received: input interface */
	union {
		struct {                 /* sent segments: rate sampling */
			u32 is_app_limited : 1, unused2 : 31;
			u32 delivered;
			u64 first_tx_mstamp;     /* us */
			u64 delivered_mstamp;    /* us */
		} tx;
		u32 tcp_tw_isn;
	};
};
#define TCP_SKB_CB(skb) ((struct tcp_skb_cb *)&((skb)->cb[0]))
_Static_assert(sizeof(struct tcp_skb_cb) <= SKB_CB_SIZE, "tcp_skb_cb too big");

/* TCP_SKB_CB(skb)->sacked bits, as Linux's. */
#define TCPCB_SACKED_ACKED 0x01
#define TCPCB_SACKED_RETRANS 0x02
#define TCPCB_LOST 0x04
#define TCPCB_TAGBITS 0x07
#define TCPCB_REPAIRED 0x10
#define TCPCB_EVER_RETRANS 0x80
#define TCPCB_RETRANS (TCPCB_SACKED_RETRANS | TCPCB_EVER_RETRANS)

/* Send time of a segment (us on the stack clock); kept in skb->tstamp. */
static inline u64 tcp_skb_timestamp_us(const struct sk_buff *skb)
{
	return skb->tstamp / NSEC_PER_USEC;
}
/* Segments an skb counts for (TSO/GSO large segments count several). */
static inline int tcp_skb_pcount(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->gso_segs ? skb_shinfo(skb)->gso_segs : 1;
}

struct tcp_sack_block {
	u32 start_seq;
	u32 end_seq;
};

/* Options of a received segment (tcp_parse_options). */
struct tcp_options_received {
	u32 ts_recent_stamp;     /* s: age of ts_recent, for PAWS */
	u32 ts_recent;           /* TS.Recent (RFC 7323 4.3): next TSecr */
	u32 rcv_tsval;
	u32 rcv_tsecr;
	u16 saw_tstamp : 1, tstamp_ok : 1, dsack : 1, wscale_ok : 1, sack_ok : 3,
	    smc_ok : 1, snd_wscale : 4, rcv_wscale : 4;
	u8 num_sacks;
	u16 user_mss;            /* TCP_MAXSEG */
	u16 mss_clamp;           /* the peer's MSS option, clamped */
};

/*
 * State of data in transit (Linux keeps all of it in tcp_sock): the
 * retransmission and out-of-order queues, the SACK blocks we send, and the
 * per-flight state of RACK, TLP, PRR and rate sampling. An idle connection
 * has none of it (issue 3: at most 1 KB per idle connection; "buffers
 * allocated only when data is queued"): tp->xfer points to the shared,
 * read-only tcp_xfer_idle (empty queues, zeros) until tcp_xfer_get
 * allocates a block, which happens before data is queued for sending
 * (tcp_sendmsg, FIN, SYN), before an out-of-order segment is queued and
 * before a D-SACK is recorded. tcp_xfer_put_idle gives the block back when
 * the connection is quiescent again (nothing queued or in flight, no SACK
 * block to send, no TLP episode, CA_Open). Every field here is meaningless
 * once quiescent: rate sampling restarts when packets_out is 0, and RACK's
 * newest delivered segment is older than anything sent later, exactly as a
 * zeroed one is. Writing to the idle block faults (it is const): writers
 * must call tcp_xfer_get first, readers need not.
 */
struct tcp_xfer {
	struct sk_buff_head tcp_rtx_queue;       /* sent, not yet acked */
	struct sk_buff_head out_of_order_queue;  /* received beyond rcv_nxt */
	u64 first_tx_mstamp;     /* rate sampling: start of the send window */
	u64 delivered_mstamp;
	struct {                 /* RACK (RFC 8985) */
		u64 mstamp;          /* us: (re)sent time of the newest delivered */
		u32 rtt_us;
		u32 end_seq;
		u8 advanced : 1;     /* mstamp moved on this ACK */
	} rack;
	u32 prr_delivered;       /* RFC 6937 */
	u32 prr_out;
	u32 tlp_high_seq;        /* snd_nxt at the tail loss probe */
	u32 tlp_retrans;
	/* Added by in (tcp_input.c): the right edge of the highest SACKed
	 * segment (Linux keeps an skb pointer, highest_sack; a sequence
	 * number cannot dangle). */
	u32 highest_sack_end;    /* valid while sacked_out != 0 */
	/* SACK (RFC 2018, RFC 2883) */
	struct tcp_sack_block duplicate_sack[1]; /* D-SACK block to send */
	struct tcp_sack_block selective_acks[4]; /* SACKs we send */
};

/*
 * What most connections leave at zero, out of line (issue 3: at most 1 KB
 * per idle connection): per-socket TCP options whose 0 means "the
 * sysctl", and TCP_INFO statistics that only data transfer moves. tp->ext
 * points to the read-only tcp_ext_idle (all zeros) until tcp_ext_get
 * allocates the socket's own block: at a setsockopt of one of the options
 * or at the first of these counts (a count that finds no memory is lost,
 * nothing else). Freed with the sock; a child gets a copy of its
 * listener's options, as Linux's children inherit them.
 */
struct tcp_ext {
	u64 bytes_received;      /* RFC 4898 tcpEStatsAppHCThruOctetsReceived */
	u64 bytes_sent;          /* RFC 4898 tcpEStatsPerfHCDataOctetsOut */
	u64 bytes_retrans;       /* RFC 4898 tcpEStatsPerfOctetsRetrans */
	u32 data_segs_in;        /* RFC 4898 tcpEStatsDataSegsIn */
	u32 data_segs_out;       /* RFC 4898 tcpEStatsDataSegsOut */
	u32 rcv_ooopack;         /* out-of-order packets received */
	u32 total_rto;           /* RTO expirations (tcp_info) */
	u32 chrono_start;        /* ms (Linux: jiffies) */
	u32 chrono_stat[3];      /* ms: busy, rwnd- and sndbuf-limited */
	u8 chrono_type;          /* TCP_CHRONO_* */
	/* Options (setsockopt); 0 = the stack's sysctl. */
	u8 keepalive_probes;     /* TCP_KEEPCNT */
	/* Added by io: TCP_DEFER_ACCEPT as a number of SYN-ACK retransmits
	 * (Linux's rskq_defer_accept); 0 = off. */
	u8 defer_accept;
	u32 keepalive_time;      /* s, TCP_KEEPIDLE */
	u32 keepalive_intvl;     /* s, TCP_KEEPINTVL */
	int linger2;             /* TCP_LINGER2 (s), <0 = none */
	u32 notsent_lowat;       /* TCP_NOTSENT_LOWAT */
	u32 user_timeout;        /* TCP_USER_TIMEOUT (ms), Linux's
				  * icsk_user_timeout; 0 = none */
	/* Rare events, 0 until they happen. */
	u32 urg_data;            /* TCP_URG_* and the urgent byte */
	u32 urg_seq;             /* where the urgent byte is */
	u32 mtu_info;            /* ICMP frag-needed MTU pending */
};

/*
 * Fields are grouped by size, widest first, so that nothing pads (issue 3:
 * at most 1 KB per idle connection, everything included); times that
 * Linux keeps in 32-bit jiffies are 32-bit ms here.
 */
struct tcp_sock {
	struct inet_connection_sock inet_conn;   /* must be first */

	u64 tcp_mstamp;          /* us: time of the most recent packet event */
	u64 bytes_acked;         /* RFC 4898 tcpEStatsAppHCThruOctetsAcked */

	/* Data in transit (see struct tcp_xfer); never NULL. sk_write_queue
	 * holds unsent data, xfer->tcp_rtx_queue sent and unacked. */
	struct tcp_xfer *xfer;
	/* Options and statistics left at zero (see struct tcp_ext); never
	 * NULL. */
	struct tcp_ext *ext;

	/* receive buffer autotuning (Linux's rcvq_space, rcv_rtt_est) */
	struct {
		u32 space;
		u32 seq;
		u64 time;        /* us */
	} rcvq_space;
	struct {
		u32 rtt_us;
		u32 seq;
		u64 time;        /* us */
	} rcv_rtt_est;

	/* RFC 9293 3.3.1 receive sequence variables */
	u32 rcv_nxt;             /* RCV.NXT */
	u32 copied_seq;          /* the application has read up to here */
	u32 rcv_wup;             /* RCV.NXT when we last sent a window */
	u32 rcv_wnd;             /* RCV.WND as last advertised */
	u32 rcv_ssthresh;        /* advertised window grows up to this */
	u32 window_clamp;        /* never advertise more than this */
	u32 rcv_tstamp;          /* ms: last ACK received (keepalive) */
	u32 tsval_sent;          /* ms: the last TSval sent, less tsoffset */

	/* RFC 9293 3.3.1 send sequence variables */
	u32 snd_una;             /* SND.UNA */
	u32 snd_nxt;             /* SND.NXT */
	u32 snd_wl1;             /* SND.WL1 (RFC 9293 3.10.7.4) */
	u32 snd_wnd;             /* SND.WND, as the peer offered it */
	u32 max_window;          /* largest SND.WND seen */
	u32 write_seq;           /* one past the last byte queued to send */
	u32 pushed_seq;          /* write_seq at the last push, for Nagle */
	u32 snd_up;              /* SND.UP */
	u32 mss_cache;           /* MSS for the path, before SACK options */
	u32 advmss;              /* the MSS option we send */
	struct tcp_options_received rx_opt;

	/* RTT (RFC 6298), in us scaled as Linux: srtt_us is srtt << 3 */
	u32 srtt_us;
	u32 mdev_us;             /* mean deviation of samples, << 2 */
	u32 mdev_max_us;
	u32 rttvar_us;
	u32 rtt_seq;             /* snd_nxt when rttvar was last updated */
	struct {                 /* windowed min RTT (tcp_min_rtt_wlen) */
		u32 rtt_us;
		u32 stamp;       /* ms, as Linux's minmax in jiffies */
	} rtt_min;
	u32 tsoffset;            /* timestamp offset (RFC 7323 5.4) */
	u32 retrans_stamp;       /* ms: first retransmit time (timeouts) */

	/* congestion control (RFC 5681, RFC 6582, RFC 6675, RFC 6937) */
	u32 snd_ssthresh;
	u32 snd_cwnd;            /* cwnd (RFC 5681), in segments */
	u32 snd_cwnd_cnt;        /* ACKed segments toward the next +1 */
	u32 snd_cwnd_clamp;
	u32 snd_cwnd_used;
	u32 snd_cwnd_stamp;      /* ms */
	u32 prior_cwnd;          /* cwnd at the start of recovery */
	u32 prior_ssthresh;      /* for undo */
	u32 high_seq;            /* recovery point (RFC 6582 "recover") */
	u32 undo_marker;
	int undo_retrans;
	u32 lost;                /* segments ever marked lost */
	u32 delivered;           /* segments ever ACKed or SACKed */
	u32 app_limited;
	u32 packets_out;         /* sent and not cumulatively ACKed */
	u32 retrans_out;         /* of those, retransmissions in flight */
	u32 sacked_out;          /* of those, SACKed */
	u32 lost_out;            /* of those, marked lost */
	u32 max_packets_out;
	u32 reordering;          /* DupThresh in use (RFC 6675) */
	u32 reord_seen;
	u32 total_retrans;
	u32 segs_in, segs_out;
	u32 dsack_dups;
	u32 last_oow_ack_time;   /* ms: rate limit of out-of-window ACKs */

	/* RACK (RFC 8985): what outlives a flight (the rest is in xfer) */
	struct {
		u32 last_delivered;
		u8 reo_wnd_steps;
		u8 reo_wnd_persist : 5, dsack_seen : 1;
	} rack;

	u32 snd_sml;             /* end_seq of the last sub-MSS segment */
	u32 lsndtime;            /* ms: last data sent (slow start after idle) */
	/* Added by io: work deferred while the socket is owned by the user
	 * (TCP_*_DEFERRED bits, atomic), run by tcp_release_cb. */
	u32 tsq_flags;
	/* Added by in (tcp_input.c): receiver RTT from timestamps. */
	u32 rcv_rtt_last_tsecr;

	u16 tcp_header_len;      /* 20 + aligned timestamp option */
	u16 gso_segs;
	u8 nonagle : 4;          /* TCP_NAGLE_* */
	u8 thin_lto : 1, recvmsg_inq : 1, frto : 1, is_sack_reneg : 1;
	u8 is_cwnd_limited : 1, save_syn : 1;
};

/*
 * Added by io: deferred work bits in tp->tsq_flags (Linux's enum
 * tsq_enum). A timer or ICMP handler that finds the socket owned sets
 * its bit (and takes a sock reference, as Linux does with sock_hold);
 * tcp_release_cb, run by release_sock, clears it, runs the handler and
 * drops that reference.
 */
enum tsq_enum {
	TSQ_THROTTLED,
	TSQ_QUEUED,
	TCP_TSQ_DEFERRED,          /* push of queued frames waits */
	TCP_WRITE_TIMER_DEFERRED,  /* RTO/probe/TLP/RACK event waits */
	TCP_DELACK_TIMER_DEFERRED, /* delayed ACK waits */
	TCP_MTU_REDUCED_DEFERRED,  /* ICMP frag-needed handling waits
				    * (tp->mtu_info) */
	/* The keepalive event came due while the socket was owned (Linux
	 * retries its own keepalive timer 50 ms later; ours shares sk_timer
	 * with the other events, so it waits for tcp_release_cb as they do). */
	TCP_KEEPALIVE_TIMER_DEFERRED,
};
#define TSQF_THROTTLED (1UL << TSQ_THROTTLED)
#define TSQF_QUEUED (1UL << TSQ_QUEUED)
#define TCPF_TSQ_DEFERRED (1UL << TCP_TSQ_DEFERRED)
#define TCPF_WRITE_TIMER_DEFERRED (1UL << TCP_WRITE_TIMER_DEFERRED)
#define TCPF_DELACK_TIMER_DEFERRED (1UL << TCP_DELACK_TIMER_DEFERRED)
#define TCPF_MTU_REDUCED_DEFERRED (1UL << TCP_MTU_REDUCED_DEFERRED)
#define TCPF_KEEPALIVE_TIMER_DEFERRED (1UL << TCP_KEEPALIVE_TIMER_DEFERRED)

/* Added by io: chronographs of tcp_info's busy/rwnd/sndbuf-limited times
 * (Linux's enum tcp_chrono); tp->ext->chrono_stat[type - 1] in ms. */
enum tcp_chrono {
	TCP_CHRONO_UNSPEC,
	TCP_CHRONO_BUSY,           /* data waiting in the write queue */
	TCP_CHRONO_RWND_LIMITED,   /* the peer's window is the limit */
	TCP_CHRONO_SNDBUF_LIMITED, /* our send buffer is the limit */
	__TCP_CHRONO_MAX,
};

/* Added by io: headroom of every TCP skb (link + IP + TCP with options),
 * and the option space of a TCP header. */
#ifndef MAX_TCP_HEADER
#define MAX_TCP_HEADER SL_MAX_HEADER
#endif
#define MAX_TCP_OPTION_SPACE 40

/* Added by io: struct socket flags bit (Linux's SOCK_NOSPACE): a writer
 * found the send buffer full; tcp_check_space / sk_stream_write_space
 * wake writers only then. */
#ifndef SOCK_NOSPACE
#define SOCK_NOSPACE 2
#endif

static inline struct tcp_sock *tcp_sk(const struct sock *sk)
{
	return (struct tcp_sock *)sk;
}

/* --- tcp_xfer.c: the state of data in transit (struct tcp_xfer) ------------ */

extern const struct tcp_xfer tcp_xfer_idle;
/* Has @tp a block of its own (else it reads the idle one)? */
static inline bool tcp_xfer_active(const struct tcp_sock *tp)
{
	return tp->xfer != &tcp_xfer_idle;
}
/* Point @tp at the idle block (new socket, clone, after a free). */
static inline void tcp_xfer_init(struct tcp_sock *tp)
{
	tp->xfer = (struct tcp_xfer *)&tcp_xfer_idle;
}
int tcp_xfer_get(struct sock *sk);
void tcp_xfer_put_idle(struct sock *sk);
void tcp_xfer_free(struct sock *sk);
void tcp_xfer_cache_exit(struct net *net);
void tcp_sock_destruct(struct sock *sk);

extern const struct tcp_ext tcp_ext_idle;
static inline bool tcp_ext_active(const struct tcp_sock *tp)
{
	return tp->ext != &tcp_ext_idle;
}
/* @sk's own block (allocated now if need be), or NULL without memory. */
struct tcp_ext *tcp_ext_get(struct sock *sk);
/* Add @n to statistic @field (struct tcp_ext); lost without memory. */
#define TCP_EXT_ADD(sk, field, n)                                      \
	do {                                                           \
		struct tcp_ext *__x = tcp_ext_get(sk);                 \
		if (likely(__x))                                       \
			__x->field += (n);                             \
	} while (0)
/* A new child: its own copy of the listener's options (inherited). */
void tcp_ext_clone(struct sock *newsk);
/* disconnect: statistics back to zero, options kept. */
void tcp_ext_reset_stats(struct sock *sk);

/* nonagle */
#define TCP_NAGLE_OFF 1    /* TCP_NODELAY */
#define TCP_NAGLE_CORK 2   /* TCP_CORK */
#define TCP_NAGLE_PUSH 4   /* flush what is queued despite a cork */

/* Packets in flight (RFC 6675 "pipe"), as Linux's tcp_packets_in_flight. */
static inline u32 tcp_packets_in_flight(const struct tcp_sock *tp)
{
	return tp->packets_out - (tp->sacked_out + tp->lost_out) + tp->retrans_out;
}
static inline u32 tcp_snd_cwnd(const struct tcp_sock *tp)
{
	return tp->snd_cwnd;
}
static inline void tcp_snd_cwnd_set(struct tcp_sock *tp, u32 val)
{
	tp->snd_cwnd = val;
}
static inline bool tcp_in_slow_start(const struct tcp_sock *tp)
{
	return tp->snd_cwnd < tp->snd_ssthresh;
}
/* Time for the timestamp option: ms on the stack clock plus the offset. */
static inline u32 tcp_time_stamp_ms(const struct sock *sk)
{
	return (u32)(net_now(sock_net(sk)) / NSEC_PER_MSEC);
}
/*
 * The clock of send stamps and RTT samples, read afresh (as Linux's
 * tcp_clock_ns), not net_now's per-round cache: a softirq round that began
 * before another thread's socket call stamped a segment would otherwise
 * take that segment's ACK, in the same round, for a 0 us RTT, and min_rtt
 * (RACK's reordering window, HyStart) would collapse to 1 us.
 */
static inline u64 tcp_clock_us(const struct sock *sk)
{
	return sl_clock_now(sock_net(sk)->clock) / NSEC_PER_USEC;
}
static inline struct sk_buff *tcp_write_queue_head(const struct sock *sk)
{
	return skb_peek(&sk->sk_write_queue);
}
static inline struct sk_buff *tcp_send_head(const struct sock *sk)
{
	return skb_peek(&sk->sk_write_queue);
}
static inline struct sk_buff *tcp_rtx_queue_head(const struct sock *sk)
{
	return skb_peek(&tcp_sk(sk)->xfer->tcp_rtx_queue);
}
static inline u32 tcp_receive_window(const struct tcp_sock *tp)
{
	s32 win = (s32)(tp->rcv_wup + tp->rcv_wnd - tp->rcv_nxt);

	return win < 0 ? 0 : (u32)win;
}

/* --- congestion control (tcp_cong.c, tcp_cubic.c) ------------------------ */

enum tcp_ca_event {
	CA_EVENT_TX_START,
	CA_EVENT_CWND_RESTART,
	CA_EVENT_COMPLETE_CWR,
	CA_EVENT_LOSS,
	CA_EVENT_ECN_NO_CE,
	CA_EVENT_ECN_IS_CE,
};

struct ack_sample {
	u32 pkts_acked;
	s32 rtt_us;
	u32 in_flight;
};

struct rate_sample {
	u64 prior_mstamp;
	u32 prior_delivered;
	s32 delivered;
	long interval_us;
	u32 snd_interval_us;
	u32 rcv_interval_us;
	long rtt_us;
	int losses;
	u32 acked_sacked;
	u32 prior_in_flight;
	bool is_app_limited;
	bool is_retrans;
	bool is_ack_delayed;
};

#define TCP_CA_NAME_MAX 16
struct tcp_congestion_ops {
	struct list_head list;
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked);
	void (*set_state)(struct sock *sk, u8 new_state);
	void (*cwnd_event)(struct sock *sk, enum tcp_ca_event ev);
	void (*in_ack_event)(struct sock *sk, u32 flags);
	void (*pkts_acked)(struct sock *sk, const struct ack_sample *sample);
	u32 (*undo_cwnd)(struct sock *sk);
	void (*cong_control)(struct sock *sk, const struct rate_sample *rs);
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
	char name[TCP_CA_NAME_MAX];
};

extern struct tcp_congestion_ops tcp_reno;
extern struct tcp_congestion_ops cubictcp;
int tcp_register_congestion_control(struct tcp_congestion_ops *ca);
const struct tcp_congestion_ops *tcp_ca_find(const char *name);
/* TCP_CONGESTION: -ENOENT for an unknown name. */
int tcp_set_congestion_control(struct sock *sk, const char *name);
void tcp_init_congestion_control(struct sock *sk);
void tcp_cleanup_congestion_control(struct sock *sk);
u32 tcp_slow_start(struct tcp_sock *tp, u32 acked);
void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked);
void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked);
u32 tcp_reno_ssthresh(struct sock *sk);
u32 tcp_reno_undo_cwnd(struct sock *sk);
bool tcp_is_cwnd_limited(const struct sock *sk);
static inline void tcp_ca_event(struct sock *sk, enum tcp_ca_event event)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ca_ops && icsk->icsk_ca_ops->cwnd_event)
		icsk->icsk_ca_ops->cwnd_event(sk, event);
}
void tcp_set_ca_state(struct sock *sk, u8 ca_state);
/* Added by in (tcp_cubic.c): floor(cbrt(@a)), CUBIC's K. */
u32 cubic_root(u64 a);

/* --- tcp.c: the socket calls ------------------------------------------------ */

extern struct proto tcp_prot;
void tcp_init_sock(struct sock *sk);
int tcp_sendmsg(struct sock *sk, struct sl_msghdr *msg, size_t size);
int tcp_recvmsg(struct sock *sk, struct sl_msghdr *msg, size_t len, int flags,
		int *addr_len);
__poll_t tcp_poll(struct file *file, struct socket *sock,
		  struct poll_table_struct *wait);
void tcp_close(struct sock *sk, long timeout);
void tcp_shutdown(struct sock *sk, int how);
int tcp_disconnect(struct sock *sk, int flags);
int tcp_ioctl(struct sock *sk, int cmd, int *karg);
int tcp_setsockopt(struct sock *sk, int level, int optname, const void *optval,
		   socklen_t optlen);
int tcp_getsockopt(struct sock *sk, int level, int optname, void *optval,
		   socklen_t *optlen);
void tcp_set_state(struct sock *sk, int state);
/* Connection is over: final state, timers off, wake everyone. */
void tcp_done(struct sock *sk);
/* After the reader consumed data: maybe send a window update ACK. */
void tcp_cleanup_rbuf(struct sock *sk, int copied);
void tcp_get_info(struct sock *sk, struct tcp_info *info);
/* Queue @skb (in order, data at payload) on the receive queue. */
int tcp_queue_rcv(struct sock *sk, struct sk_buff *skb, bool *fragstolen);
void tcp_write_queue_purge(struct sock *sk);
int tcp_sk_rcvbuf_default(const struct sock *sk);
/* Added by io: the socket was released by its owner (release_sock, with the
 * socket spinlock held): run the work deferred in tp->tsq_flags (write and
 * delayed-ACK timers, PMTU reduction, pushing pending frames). */
void tcp_release_cb(struct sock *sk);
/* Added by io: sk->sk_write_space of TCP sockets: wake writers when the
 * stream is writeable again (Linux's sk_stream_write_space). */
void sk_stream_write_space(struct sock *sk);
/* Added by io: the send queue may take more data (sk_wmem_queued under
 * sk_sndbuf and unsent bytes under TCP_NOTSENT_LOWAT). */
bool sk_stream_memory_free(const struct sock *sk);

/* --- tcp_output.c ----------------------------------------------------------- */

/* Clone (unless @clone_it is false), build header + options, checksum,
 * ip_queue_xmit. The original stays queued. 0 or -errno. */
int tcp_transmit_skb(struct sock *sk, struct sk_buff *skb, int clone_it);
/* Send what cwnd, receive window and Nagle allow. True when nothing could
 * be sent while data is pending (the caller may arm the probe timer). */
bool tcp_write_xmit(struct sock *sk, unsigned int mss_now, int nonagle,
		    int push_one);
void __tcp_push_pending_frames(struct sock *sk, unsigned int cur_mss,
			       int nonagle);
void tcp_push_one(struct sock *sk, unsigned int mss_now);
void tcp_send_ack(struct sock *sk);
void tcp_send_delayed_ack(struct sock *sk);
void tcp_send_fin(struct sock *sk);
void tcp_send_active_reset(struct sock *sk);
/* Active open: build the SYN, queue it, send it, arm the RTO. */
int tcp_connect(struct sock *sk);
/* SYN-ACK for a request sock (listener side). Consumes nothing. */
int tcp_send_synack(const struct sock *listener, struct request_sock *req);
int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, int segs);
void tcp_xmit_retransmit_queue(struct sock *sk);
void tcp_send_probe0(struct sock *sk);
int tcp_write_wakeup(struct sock *sk);
void tcp_send_loss_probe(struct sock *sk);
unsigned int tcp_sync_mss(struct sock *sk, u32 pmtu);
unsigned int tcp_current_mss(struct sock *sk);
int tcp_mtu_to_mss(struct sock *sk, int pmtu);
int tcp_mss_to_mtu(struct sock *sk, int mss);
void tcp_select_initial_window(const struct sock *sk, int space, u32 mss,
			       u32 *rcv_wnd, u32 *window_clamp, int wscale_ok,
			       u8 *rcv_wscale, u32 init_rcv_wnd);
u32 __tcp_select_window(struct sock *sk);
/* Drop @len acked bytes off a sent skb's head; returns the segments it no
 * longer counts, or -ENOMEM. */
int __tcp_trim_head(struct sk_buff *skb, u32 len, unsigned int mss);
/* Split @skb at @len bytes; the tail goes after it in @queue. */
int tcp_fragment(struct sock *sk, struct sk_buff_head *queue,
		 struct sk_buff *skb, u32 len, unsigned int mss_now);
void tcp_mtup_init(struct sock *sk);
void tcp_chrono_start(struct sock *sk, int type);
void tcp_chrono_stop(struct sock *sk, int type);
/* Added by io: arm the zero-window probe timer when nothing is in flight
 * and data waits (Linux's tcp_check_probe_timer). */
void tcp_check_probe_timer(struct sock *sk);
/* Added by io: mss_now for the current path MTU and options (Linux's
 * tcp_current_mss is above); push everything pending with Nagle as the
 * socket has it (Linux's tcp_push_pending_frames). */
void tcp_push_pending_frames(struct sock *sk);
/* Reply to a segment with no socket, or abort: RST per RFC 9293 3.10.7.1. */
void tcp_v4_send_reset(const struct sock *sk, struct sk_buff *skb);
/* Bare ACK outside a full socket (TIME_WAIT, request socks, challenge). */
void tcp_v4_send_ack(const struct sock *sk, struct sk_buff *skb, u32 seq,
		     u32 ack, u32 win, u32 tsval, u32 tsecr, int oif);

/* --- tcp_input.c ------------------------------------------------------------ */

void tcp_rcv_established(struct sock *sk, struct sk_buff *skb);
/* Every state but ESTABLISHED and TIME_WAIT. Returns non-zero when the
 * caller must send a RST (and free the skb); 0 when @skb was consumed. */
int tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb);
void tcp_parse_options(const struct net *net, const struct sk_buff *skb,
		       struct tcp_options_received *opt_rx, int estab);
void tcp_init_transfer(struct sock *sk, int bpf_op, struct sk_buff *skb);
void tcp_finish_connect(struct sock *sk, struct sk_buff *skb);
void tcp_reset(struct sock *sk, struct sk_buff *skb);
void tcp_fin(struct sock *sk);
void tcp_enter_loss(struct sock *sk);
void tcp_clear_retrans(struct tcp_sock *tp);
void tcp_rearm_rto(struct sock *sk);
void tcp_init_buffer_space(struct sock *sk);
void tcp_rcv_space_adjust(struct sock *sk);
void tcp_enter_quickack_mode(struct sock *sk, unsigned int max_quickacks);
bool tcp_paws_reject(const struct tcp_options_received *rx_opt, int rst);
void tcp_update_metrics(struct sock *sk);
void tcp_set_rto(struct sock *sk);
void tcp_rack_mark_lost(struct sock *sk);
void tcp_rack_reo_timeout(struct sock *sk);
bool tcp_schedule_loss_probe(struct sock *sk, bool advancing_rto);
void tcp_check_space(struct sock *sk);
/* Challenge ACK (RFC 5961 3.2, 4.2, 5.2) with Linux's rate limits. */
void tcp_send_challenge_ack(struct sock *sk);
/*
 * Added by in: the parts of tcp_input.c that tcp_recovery.c, tcp_timer.c,
 * tcp_cong.c and the other engineers' files use (Linux has most of them in
 * include/net/tcp.h).
 */
#define TCP_TIMEOUT_MIN_US 2000U               /* us: Linux's TCP_TIMEOUT_MIN */
#define TCP_TIMEOUT_FALLBACK (3 * 1000 * 1000U) /* us: RFC 6298 5.7 */
#define TCP_PAWS_24DAYS (60 * 60 * 24 * 24)     /* s */
#define TCP_PAWS_MSL 60                         /* s */
#define TCP_PAWS_WINDOW 1
/* sysctl_tcp_recovery bits */
#define TCP_RACK_LOSS_DETECTION 0x1
#define TCP_RACK_STATIC_REO_WND 0x2
#define TCP_RACK_NO_DUPTHRESH 0x4
#define TCP_RACK_RECOVERY_THRESH 16

static inline bool tcp_is_sack(const struct tcp_sock *tp)
{
	return tp->rx_opt.sack_ok != 0;
}
static inline bool tcp_is_reno(const struct tcp_sock *tp)
{
	return !tcp_is_sack(tp);
}
static inline u32 tcp_left_out(const struct tcp_sock *tp)
{
	return tp->sacked_out + tp->lost_out;
}
/* Right edge of the peer's window: what we may send up to. */
static inline u32 tcp_wnd_end(const struct tcp_sock *tp)
{
	return tp->snd_una + tp->snd_wnd;
}
/* Windowed minimum RTT in us (~0U until the first sample). */
static inline u32 tcp_min_rtt(const struct tcp_sock *tp)
{
	return tp->rtt_min.rtt_us ? tp->rtt_min.rtt_us : ~0U;
}
/* Linux's tcp_rto_min: a route's RTAX_RTO_MIN or BPF's icsk_rto_min
 * may lower it there; neither exists here, so no field for it. */
static inline u32 tcp_rto_min_us(const struct sock *sk)
{
	(void)sk;
	return TCP_RTO_MIN;
}
static inline bool tcp_in_cwnd_reduction(const struct sock *sk)
{
	return ((1 << inet_csk(sk)->icsk_ca_state) &
		((1 << TCP_CA_CWR) | (1 << TCP_CA_Recovery))) != 0;
}
/* Bytes of window a buffer of @space bytes gives (tcp_adv_win_scale). */
static inline int tcp_win_from_space(const struct sock *sk, int space)
{
	int scale = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_adv_win_scale);

	return scale <= 0 ? space >> (-scale) : space - (space >> scale);
}
/* Inverse of tcp_win_from_space. */
static inline int tcp_space_from_win(const struct sock *sk, int win)
{
	int scale = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_adv_win_scale);

	if (scale <= 0)
		return win << (-scale);
	return (int)(((s64)win << scale) / ((1 << scale) - 1));
}
/* Window the free part of the receive buffer gives. */
static inline int tcp_space(const struct sock *sk)
{
	return tcp_win_from_space(sk, READ_ONCE(sk->sk_rcvbuf) -
				      READ_ONCE(sk->sk_backlog.len) -
				      sk_rmem_alloc_get(sk));
}
static inline int tcp_full_space(const struct sock *sk)
{
	return tcp_win_from_space(sk, READ_ONCE(sk->sk_rcvbuf));
}
/* Keepalive settings: the socket's (TCP_KEEP*) or the stack's, in ns. */
static inline u64 keepalive_time_when(const struct tcp_sock *tp)
{
	const struct sock *sk = (const struct sock *)tp;
	u32 s = tp->ext->keepalive_time ? tp->ext->keepalive_time :
		(u32)READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_keepalive_time);

	return (u64)s * NSEC_PER_SEC;
}
static inline u64 keepalive_intvl_when(const struct tcp_sock *tp)
{
	const struct sock *sk = (const struct sock *)tp;
	u32 s = tp->ext->keepalive_intvl ? tp->ext->keepalive_intvl :
		(u32)READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_keepalive_intvl);

	return (u64)s * NSEC_PER_SEC;
}
static inline int keepalive_probes(const struct tcp_sock *tp)
{
	const struct sock *sk = (const struct sock *)tp;

	return tp->ext->keepalive_probes ? tp->ext->keepalive_probes :
		READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_keepalive_probes);
}
/* FIN_WAIT2 lifetime of an orphan (TCP_LINGER2 or tcp_fin_timeout), ns;
 * never shorter than the RTO-based minimum Linux uses (3.5 RTO). */
static inline u64 tcp_fin_time(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u64 fin = (u64)(tp->ext->linger2 > 0 ? tp->ext->linger2 :
			READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_fin_timeout)) *
		  NSEC_PER_SEC;
	u64 rto3 = ((u64)inet_csk(sk)->icsk_rto * NSEC_PER_USEC * 7) / 2;

	return fin < rto3 ? rto3 : fin;
}
/* inet_csk_reset_xmit_timer with @when in us (icsk_rto's unit). */
static inline void tcp_reset_xmit_timer(struct sock *sk, int what, u64 when_us,
					u64 max_when_us)
{
	inet_csk_reset_xmit_timer(sk, what, when_us * NSEC_PER_USEC,
				  max_when_us * NSEC_PER_USEC);
}
/* Initial RCV.MSS guess until segments arrive (Linux's). */
void tcp_initialize_rcv_mss(struct sock *sk);
/* Rate limit for ACKs answering out-of-window segments (RFC 5961 and
 * tcp_invalid_ratelimit); true = do not send. Also used for timewait and
 * request socks (conn). */
bool tcp_oow_rate_limited(struct net *net, const struct sk_buff *skb,
			  int mib_idx, u32 *last_oow_ack_time);
/* Added by in-A: tcp_paws_reject on the stack clock of @net, so Linux's
 * 24-day and TCP_PAWS_MSL (RST) escapes apply; tcp_paws_reject (no clock)
 * skips the first and accepts RSTs. Preferred for timewait/request socks. */
bool tcp_paws_reject_net(const struct net *net,
			 const struct tcp_options_received *rx_opt, int rst);
/* Added by in-A: the handshake RTT sample of a passive open's child
 * (Linux's; conn's tcp_check_req calls it after creating the child). */
void tcp_synack_rtt_meas(struct sock *sk, struct request_sock *req);
/* Loss recovery pieces shared with tcp_recovery.c (RACK) and tcp_timer.c. */
void tcp_enter_recovery(struct sock *sk, bool ece_ack);
void tcp_cwnd_reduction(struct sock *sk, int newly_acked_sacked,
			int newly_lost, int flag);
void tcp_mark_skb_lost(struct sock *sk, struct sk_buff *skb);
/* us until the head segment's RTO expires (may be negative). */
s64 tcp_rto_delta_us(const struct sock *sk);
/* Cancel the RTO/probe timers and arm RTO or TLP for what is in flight. */
void tcp_set_xmit_timer(struct sock *sk);

/* --- tcp_recovery.c (added by in): RACK-TLP, RFC 8985 ---------------------- */

/* A segment (re)sent at @xmit_time (us) was (S)ACKed: advance RACK. */
void tcp_rack_advance(struct tcp_sock *tp, u8 sacked, u32 end_seq,
		      u64 xmit_time);
/* After an ACK: adapt the reordering window to DSACKs (RFC 8985 6.2.4). */
void tcp_rack_update_reo_wnd(struct sock *sk, const struct rate_sample *rs);
/* us left before @skb counts as lost (RACK.rtt + @reo_wnd - age). */
s32 tcp_rack_skb_timeout(struct tcp_sock *tp, struct sk_buff *skb, u32 reo_wnd);
/* Added by in-B: tcp_ack's FLAG_* bits (Linux's values and names, for
 * tcp_input.c and tcp_process_tlp_ack). */
#define FLAG_DATA 0x01               /* the segment carried payload */
#define FLAG_WIN_UPDATE 0x02         /* accepted as a window update */
#define FLAG_DATA_ACKED 0x04         /* SND.UNA covered new data */
#define FLAG_RETRANS_DATA_ACKED 0x08 /* a retransmitted one among them */
#define FLAG_SYN_ACKED 0x10          /* our SYN is now ACKed */
#define FLAG_DATA_SACKED 0x20        /* SACK blocks covered new data */
#define FLAG_ECE 0x40                /* ECN-Echo set (RFC 3168) */
#define FLAG_LOST_RETRANS 0x80       /* RACK found a retransmission lost */
#define FLAG_SLOWPATH 0x100          /* full window-update checks */
#define FLAG_ORIG_SACK_ACKED 0x200   /* first-transmission data (S)ACKed */
#define FLAG_SND_UNA_ADVANCED 0x400  /* SND.UNA moved (maybe no data) */
#define FLAG_DSACKING_ACK 0x800      /* carried a D-SACK (RFC 2883) */
#define FLAG_SET_XMIT_TIMER 0x1000   /* re-arm RTO or TLP afterwards */
#define FLAG_SACK_RENEGING 0x2000    /* SND.UNA stopped on SACKed data */
#define FLAG_UPDATE_TS_RECENT 0x4000 /* may take TSval as TS.Recent */
#define FLAG_NO_CHALLENGE_ACK 0x8000 /* suppress the RFC 5961 reply */
#define FLAG_ACK_MAYBE_DELAYED 0x10000 /* peer may have delayed it */
#define FLAG_DSACK_TLP 0x20000       /* the D-SACK covers the TLP probe */
#define FLAG_ACKED (FLAG_DATA_ACKED | FLAG_SYN_ACKED)
#define FLAG_NOT_DUP (FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED)
#define FLAG_CA_ALERT (FLAG_DATA_SACKED | FLAG_ECE | FLAG_DSACKING_ACK)
#define FLAG_FORWARD_PROGRESS (FLAG_ACKED | FLAG_DATA_SACKED)
/* Added by in-B: an ACK during a TLP episode (RFC 8985 7.4): end it, or
 * reduce cwnd when the probe repaired a loss. @flag: FLAG_* above. */
void tcp_process_tlp_ack(struct sock *sk, u32 ack, int flag);

/* --- tcp_timer.c ------------------------------------------------------------ */

void tcp_init_xmit_timers(struct sock *sk);
void tcp_clear_xmit_timers(struct sock *sk);
void tcp_set_keepalive(struct sock *sk, int val);
void tcp_retransmit_timer(struct sock *sk);
/* The timer events, run from sk_timer (tcp_timer) or tcp_release_cb,
 * bh_lock_sock held; each re-arms sk_timer for what is left. */
void tcp_delack_timer_handler(struct sock *sk);
void tcp_write_timer_handler(struct sock *sk);
void tcp_keepalive_timer_handler(struct sock *sk);
void tcp_reset_keepalive_timer(struct sock *sk, u64 len_ns);
u64 tcp_rto_ns(const struct sock *sk);
/* Added by in: abort after too many retransmissions or probes
 * (ETIMEDOUT unless a soft error is pending). */
void tcp_write_err(struct sock *sk);
/* Added by in: the congestion control a new socket starts with (the
 * stack's tcp_congestion_control, else reno); io's tcp_init_sock calls it
 * so that TCP_CONGESTION reads a name before the connection starts. */
void tcp_assign_congestion_control(struct sock *sk);

/* --- tcp_ipv4.c, tcp_minisocks.c, syncookies (connection management) ----- */

/* inet_protos handler for IPPROTO_TCP. Consumes skb. */
int tcp_v4_rcv(struct sk_buff *skb);
/*
 * Fill th->check of @skb (data at the TCP header, @hlen header bytes):
 * @hw: the pseudo-header sum and CHECKSUM_PARTIAL for the device; else the
 * full sum, with skb->csum as the payload's sum while ip_summed is
 * CHECKSUM_NONE (src/ipv4/tcp_output.c).
 */
void tcp_v4_send_check(struct sk_buff *skb, __be32 saddr, __be32 daddr,
		       unsigned int hlen, bool hw);
/*
 * src/ipv4/tcp_offload.c: software segmentation of a TCPV4 GSO skb (data
 * at the IP header) for a device without NETIF_F_GSO. Returns the pieces
 * linked through ->next, or NULL; @skb is not consumed.
 */
struct sk_buff *tcp_gso_segment(struct sk_buff *skb, u32 features);
/* The IP length of a GSO skb's largest piece. */
unsigned int skb_gso_network_seglen(const struct sk_buff *skb);
int tcp_v4_err(struct sk_buff *skb, u32 info);
extern const struct net_protocol tcp_protocol;
int tcp_v4_do_rcv(struct sock *sk, struct sk_buff *skb);
int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
/* Listener got a SYN: request sock, SYN-ACK (or a SYN cookie). */
int tcp_conn_request(struct sock *sk, struct sk_buff *skb);
/* The final ACK of the handshake: create the child socket. */
struct sock *tcp_v4_syn_recv_sock(const struct sock *sk, struct sk_buff *skb,
				  struct request_sock *req);
struct sock *tcp_check_req(struct sock *sk, struct sk_buff *skb,
			   struct request_sock *req);
int tcp_child_process(struct sock *parent, struct sock *child,
		      struct sk_buff *skb);
/* Move @sk to TIME_WAIT (or FIN_WAIT2 timeout) as a small timewait sock. */
void tcp_time_wait(struct sock *sk, int state, u64 timeo_ns);
/* Added by io (owner conn, tcp_ipv4.c): apply tp->mtu_info (ICMP frag
 * needed) to the route and MSS and retransmit; tcp_release_cb calls it for
 * TCP_MTU_REDUCED_DEFERRED. */
void tcp_v4_mtu_reduced(struct sock *sk);
/* RFC 6528 ISN and RFC 6056 port offset (keyed SipHash + clock). */
u32 secure_tcp_seq(struct net *net, __be32 saddr, __be32 daddr, __be16 sport,
		   __be16 dport);
u32 secure_tcp_ts_off(struct net *net, __be32 saddr, __be32 daddr);
u64 secure_ipv4_port_ephemeral(struct net *net, __be32 saddr, __be32 daddr,
			       __be16 dport);
/* SYN cookies (Linux's tcp_syncookies=1 behaviour). */
u32 cookie_v4_init_sequence(const struct sk_buff *skb, u16 *mssp);
struct sock *cookie_v4_check(struct sock *sk, struct sk_buff *skb);
/* Added by conn (tcp_syncookies.c): the timestamp (ms clock, before the
 * offset) a cookie SYN-ACK sends, its low 6 bits carrying wscale, SACK
 * and ECN (Linux's cookie_init_timestamp); at most @now_ms. */
u32 cookie_init_timestamp(const struct request_sock *req, u32 now_ms);
/* Added by conn (tcp_syncookies.c): decode the options a cookie's echoed
 * timestamp carries; false when they are not acceptable now. */
bool cookie_timestamp_decode(const struct net *net,
			     struct tcp_options_received *tcp_opt);
/* Added by conn (tcp_ipv4.c): the child socket of a completed handshake,
 * replacing @req_unhash in ehash (NULL for a SYN cookie). Locked, two
 * references; NULL when the accept queue is full or on failure. */
struct sock *__tcp_v4_syn_recv_sock(const struct sock *sk, struct sk_buff *skb,
				    struct request_sock *req,
				    struct request_sock *req_unhash);
/* Added by conn (tcp_ipv4.c): no SYN queue overflow in the last two
 * minutes, so no ACK can carry a valid cookie. */
bool tcp_synq_no_recent_overflow(const struct sock *sk);
/* Added by conn (tcp_ipv4.c): proto->destroy of TCP. */
void tcp_v4_destroy_sock(struct sock *sk);
/* Added by conn (tcp_minisocks.c): the tcp_sock of an accepted connection,
 * cloned from the listener with @req's negotiated state. */
struct sock *tcp_create_openreq_child(const struct sock *sk,
				      struct request_sock *req,
				      struct sk_buff *skb);
/* Added by conn (src/core/secure_seq.c): SipHash-2-4 of @n (<= 4) 32-bit
 * words, little-endian, with a 128-bit key. */
u64 siphash_u32s(const u32 *w, unsigned int n, const u64 key[2]);
/* Added by conn (owner in, tcp_input.c): after a PMTU reduction, mark
 * every segment above the new MSS lost and retransmit them (Linux's
 * tcp_simple_retransmit). */
void tcp_simple_retransmit(struct sock *sk);

/* stream proto_ops members (src/ipv4/af_inet.c) */
int inet_stream_connect(struct socket *sock, struct sockaddr *uaddr,
			int addr_len, int flags);
int inet_listen(struct socket *sock, int backlog);
int inet_accept(struct socket *sock, struct socket *newsock, int flags,
		bool kern);

#endif
