/*
 * Connection-oriented sockets (Linux's inet_connection_sock): the accept
 * queue and request socks of a listener, the timer events (retransmit,
 * delayed ACK, keepalive, all on one timer), RTO and backoff, the
 * congestion control hook, and the bind bucket.
 * Implemented in src/ipv4/inet_connection_sock.c; TCP builds on it.
 */
#ifndef SL_INET_CONNECTION_SOCK_H
#define SL_INET_CONNECTION_SOCK_H

#include <linux/tcp.h>

#include "sl/inet_sock.h"
#include "sl/timer.h"
#include "sl/types.h"

struct tcp_congestion_ops;
struct inet_bind_bucket;
struct request_sock;

/*
 * A connection being set up on a listener (SYN received, SYN-ACK sent):
 * Linux's request_sock + inet_request_sock + tcp_request_sock in one. It
 * begins with sock_common so that it lives in the established hash in state
 * TCP_NEW_SYN_RECV and is found by the same lookup as full sockets.
 */
struct request_sock {
	struct sock_common __req_common;
#define ir_rmt_addr __req_common.skc_daddr
#define ir_loc_addr __req_common.skc_rcv_saddr
#define ir_rmt_port __req_common.skc_dport
#define ir_num __req_common.skc_num
	struct request_sock *dl_next;   /* accept queue link */
	struct sock *rsk_listener;      /* referenced */
	struct sock *sk;                /* the child once created */
	struct timer_list rsk_timer;    /* SYN-ACK retransmission */
	u16 mss;                        /* peer's MSS option (clamped) */
	u8 num_retrans;                 /* SYN-ACKs retransmitted */
	u8 num_timeout;
	u8 snd_wscale : 4, rcv_wscale : 4;
	u8 tstamp_ok : 1, sack_ok : 1, wscale_ok : 1, ecn_ok : 1, syncookie : 1,
	   acked : 1;
	u32 rcv_isn;                    /* peer's ISN */
	u32 snt_isn;                    /* our ISN */
	u32 ts_recent;                  /* peer's TSval */
	u32 ts_off;                     /* our timestamp offset (RFC 7323 5.4) */
	u32 rsk_rcv_wnd;                /* window offered in the SYN-ACK */
	u32 rsk_window_clamp;
	u64 snt_synack;                 /* first SYN-ACK time (us), for RTT */
	u32 rsk_refcnt;                 /* unused: the count is
					 * __req_common.skc_refcnt, which the
					 * shared lookups take (conn) */
	/* Added by conn: */
	u32 last_oow_ack_time;          /* ms: rate limit of out-of-window ACKs */
};

/* Completed connections waiting for accept(2) (Linux's request_sock_queue). */
struct request_sock_queue {
	int lock;                       /* spin word, see skb_queue_lock style */
	struct request_sock *rskq_accept_head;
	struct request_sock *rskq_accept_tail;
	u32 qlen;                       /* atomic: request socks (SYN_RECV) */
	u32 young;                      /* atomic: not yet retransmitted */
};

/* icsk_pending: which xmit timer is armed on icsk_retransmit_timer. */
#define ICSK_TIME_RETRANS 1
#define ICSK_TIME_DACK 2
#define ICSK_TIME_PROBE0 3
#define ICSK_TIME_LOSS_PROBE 5
#define ICSK_TIME_REO_TIMEOUT 6

/* icsk_ack.pending bits */
#define ICSK_ACK_SCHED 1
#define ICSK_ACK_TIMER 2
#define ICSK_ACK_PUSHED 4
#define ICSK_ACK_PUSHED2 8
#define ICSK_ACK_NOW 16

/* icsk_ca_state takes Linux's enum tcp_ca_state (TCP_CA_Open ... TCP_CA_Loss)
 * from <linux/tcp.h>, which also gives struct tcp_info and the TCP_* option
 * numbers. Internal code must not include glibc's <netinet/tcp.h>: it
 * redefines the TCP state names of sl/tcp_states.h. */

/*
 * Timer events of a connection, all carried by sk->sk_timer (see
 * inet_csk_timer_sync): Linux's icsk_retransmit_timer events, its
 * icsk_delack_timer and its sk_timer keepalive.
 */
enum {
	ICSK_EV_XMIT,          /* icsk_pending at icsk_timeout */
	ICSK_EV_DACK,          /* ICSK_ACK_TIMER at icsk_ack.timeout */
	ICSK_EV_KEEPALIVE,     /* keepalive / FIN_WAIT2 at icsk_ka_timeout */
	ICSK_EV_MAX,
};

/*
 * Ordered by size so that nothing pads (issue 3: memory per idle
 * connection); Linux's field names.
 */
struct inet_connection_sock {
	struct inet_sock icsk_inet;              /* must be first */
	/* Listeners only: allocated by inet_csk_listen_start, freed with
	 * the sock (Linux embeds it). */
	struct request_sock_queue *icsk_accept_queue;
	struct inet_bind_bucket *icsk_bind_hash; /* port ownership */
	const struct tcp_congestion_ops *icsk_ca_ops;
	u64 icsk_timeout;                        /* ICSK_EV_XMIT expiry (ns) */
	u64 icsk_ka_timeout;                     /* ICSK_EV_KEEPALIVE expiry (ns) */
	u64 icsk_probes_tstamp;                  /* first unanswered probe (ns) */
	u32 icsk_rto;                            /* retransmit timeout (us) */
	u32 icsk_delack_max;                     /* us, 200 ms */
	u32 icsk_pmtu_cookie;                    /* last PMTU seen */
	/* TCP_USER_TIMEOUT is tcp_ext's user_timeout (issue 3). */
	u8 icsk_ca_state : 5;
	u8 icsk_ca_initialized : 1;
	u8 icsk_ca_setsockopt : 1;
	u8 icsk_retransmits;                     /* RTO retransmits in a row */
	u8 icsk_pending;                         /* ICSK_TIME_* */
	u8 icsk_backoff;                         /* exponential backoff */
	u8 icsk_syn_retries;                     /* TCP_SYNCNT, 0 = sysctl */
	u8 icsk_probes_out;                      /* unanswered probes */
	u16 icsk_ext_hdr_len;                    /* IP options length */
	u8 icsk_ev_armed;                        /* bit per armed ICSK_EV_*
						  * (atomic) */
	u8 icsk_ev_order[ICSK_EV_MAX];           /* arming order of the timer
						  * events (ties fire in it) */
	struct {
		u8 pending;                      /* ICSK_ACK_* */
		u8 quick;                        /* quick ACKs left */
		u8 pingpong;                     /* interactive session */
		u8 retry;
		u32 ato;                         /* delayed ACK timeout (us) */
		u64 timeout;                     /* ICSK_EV_DACK expiry (ns) */
		u32 lrcvtime;                    /* last data received (ms) */
		u16 last_seg_size;
		u16 rcv_mss;                     /* estimated peer MSS */
	} icsk_ack;
	/* Congestion control state: two words (Linux: 13). An algorithm
	 * needing more keeps it out of line, allocated when first needed
	 * (CUBIC, tcp_cubic.c), and frees it in ->release. */
	u64 icsk_ca_priv[2];
};

static inline struct inet_connection_sock *inet_csk(const struct sock *sk)
{
	return (struct inet_connection_sock *)sk;
}
static inline void *inet_csk_ca(const struct sock *sk)
{
	return (void *)inet_csk(sk)->icsk_ca_priv;
}

/* --- src/ipv4/inet_connection_sock.c --------------------------------------- */

/* proto->get_port for TCP: bind-bucket conflicts as Linux (SO_REUSEADDR,
 * SO_REUSEPORT, TIME_WAIT owners); @snum 0 picks an ephemeral port. */
int inet_csk_get_port(struct sock *sk, unsigned short snum);
/* Move to LISTEN and hash in the listening table; -EADDRINUSE. */
int inet_csk_listen_start(struct sock *sk);
/* Drop every pending and queued child (close of a listener). */
void inet_csk_listen_stop(struct sock *sk);
/* proto->accept: dequeue a child, waiting unless O_NONBLOCK. */
struct sock *inet_csk_accept(struct sock *sk, int flags, int *err, bool kern);
/* Queue a child for accept(2); false when the listener is closing. */
struct sock *inet_csk_reqsk_queue_add(struct sock *sk, struct request_sock *req,
				      struct sock *child);
/* New socket cloned from the listener for an accepted connection. */
struct sock *inet_csk_clone_lock(const struct sock *sk,
				 const struct request_sock *req);
void inet_csk_destroy_sock(struct sock *sk);
/* Give sk_timer @handler, which runs the timer events (tcp_timer). */
void inet_csk_init_xmit_timers(struct sock *sk,
			       void (*handler)(struct timer_list *));
/* Stop every timer event (and the timer, dropping its reference). */
void inet_csk_clear_xmit_timers(struct sock *sk);
bool inet_csk_ev_pending(const struct sock *sk, int ev);
u64 inet_csk_ev_deadline(const struct sock *sk, int ev);
int inet_csk_next_event(const struct sock *sk, u64 now, bool due);
void inet_csk_timer_sync(struct sock *sk, int ev);
/* Arm event @ev (ICSK_EV_*) at the deadline stored by the caller. */
void inet_csk_ev_arm(struct sock *sk, int ev);
void inet_csk_ev_stop(struct sock *sk, int ev);
void inet_csk_reset_keepalive_timer(struct sock *sk, u64 len_ns);
void inet_csk_delete_keepalive_timer(struct sock *sk);
/* Arm the xmit timer for @what (ICSK_TIME_*) @when ns from now. */
void inet_csk_reset_xmit_timer(struct sock *sk, int what, u64 when, u64 max_when);
void inet_csk_clear_xmit_timer(struct sock *sk, int what);
static inline bool inet_csk_in_pingpong_mode(const struct sock *sk)
{
	return inet_csk(sk)->icsk_ack.pingpong >= 1;
}
static inline bool inet_csk_ack_scheduled(const struct sock *sk)
{
	return inet_csk(sk)->icsk_ack.pending & ICSK_ACK_SCHED;
}
static inline int inet_csk_reqsk_queue_len(const struct sock *sk)
{
	return (int)READ_ONCE(inet_csk(sk)->icsk_accept_queue->qlen);
}
static inline bool inet_csk_reqsk_queue_is_full(const struct sock *sk)
{
	return inet_csk_reqsk_queue_len(sk) >= READ_ONCE(sk->sk_max_ack_backlog);
}
static inline bool sk_acceptq_is_full(const struct sock *sk)
{
	return READ_ONCE(sk->sk_ack_backlog) > READ_ONCE(sk->sk_max_ack_backlog);
}

struct request_sock *reqsk_alloc(struct sock *listener);
void reqsk_put(struct request_sock *req);

/* Added by conn (src/ipv4/inet_connection_sock.c): */
struct inet_hashinfo;
/* Put @req in the SYN queue: ehash + SYN-ACK timer in @timeout ns. False
 * when its 4-tuple is already hashed. */
bool inet_csk_reqsk_queue_hash_add(struct sock *sk, struct request_sock *req,
				   u64 timeout);
/* Forget @req (RST, ICMP, listener gone); the caller keeps its reference.
 * True when this call unhashed it. */
bool inet_csk_reqsk_queue_drop(struct sock *sk, struct request_sock *req);
void inet_csk_reqsk_queue_drop_and_put(struct sock *sk,
				       struct request_sock *req);
/* ns until @req's next SYN-ACK: 1 s << num_timeout, capped at 120 s. */
u64 reqsk_timeout(const struct request_sock *req);
/* Resend @req's SYN-ACK (num_retrans++, RetransSegs, TCPSynRetrans). */
int inet_rtx_syn_ack(const struct sock *parent, struct request_sock *req);
/* Drop every request of listener @sk (NULL: of all, stack teardown). */
void inet_csk_reqsk_purge(struct inet_hashinfo *h, struct sock *sk);
static inline struct request_sock *inet_reqsk(const struct sock *sk)
{
	return (struct request_sock *)sk;
}

#endif
