/*
 * Timewait sockets (Linux's inet_timewait_sock + tcp_timewait_sock in one):
 * what is left of a TCP connection in TIME_WAIT (or an orphaned FIN_WAIT2)
 * once the full socket is gone. It begins with sock_common, so it stays in
 * the established hash under the same 4-tuple (state TCP_TIME_WAIT) and in
 * its port's bind bucket, and is found by the same lookups as full socks.
 * About 180 bytes instead of a tcp_sock's few kilobytes.
 *
 * Lifetime (src/ipv4/tcp_minisocks.c): tcp_time_wait allocates it, hashes
 * it in place of the full socket (inet_twsk_hashdance) and arms tw_timer;
 * references: one for the hash tables, one for the armed timer, one per
 * lookup. The timer (or a RST, or a new SYN reusing the 4-tuple) unhashes
 * it (inet_twsk_kill); the last inet_twsk_put frees it.
 */
#ifndef SL_INET_TIMEWAIT_SOCK_H
#define SL_INET_TIMEWAIT_SOCK_H

#include "sl/inet_hashtables.h"
#include "sl/sock.h"
#include "sl/timer.h"
#include "sl/types.h"

struct sl_tcphdr;

struct inet_timewait_sock {
	struct sock_common __tw_common;          /* must be first */
#define tw_daddr __tw_common.skc_daddr
#define tw_rcv_saddr __tw_common.skc_rcv_saddr
#define tw_dport __tw_common.skc_dport
#define tw_num __tw_common.skc_num
#define tw_state __tw_common.skc_state
#define tw_reuse __tw_common.skc_reuse
#define tw_reuseport __tw_common.skc_reuseport
#define tw_bound_dev_if __tw_common.skc_bound_dev_if
#define tw_node __tw_common.skc_node
#define tw_bind_node __tw_common.skc_bind_node
#define tw_hash __tw_common.skc_hash
#define tw_net __tw_common.skc_net
#define tw_refcnt __tw_common.skc_refcnt
	volatile unsigned char tw_substate;      /* TCP_TIME_WAIT / TCP_FIN_WAIT2 */
	unsigned char tw_rcv_wscale;
	u8 tw_kill;                              /* short timeout (<= 4 s) */
	u8 tw_hashed;                            /* atomic: holds the tables' ref */
	__be16 tw_sport;
	u32 tw_mark;
	struct inet_bind_bucket *tw_tb;          /* port ownership */
	struct timer_list tw_timer;              /* end of TIME_WAIT */
	/* tcp_timewait_sock */
	u32 tw_rcv_nxt;
	u32 tw_snd_nxt;
	u32 tw_rcv_wnd;
	u32 tw_ts_offset;
	u32 tw_ts_recent;
	u32 tw_ts_recent_stamp;                  /* s, 0 = no timestamps */
	u32 tw_last_oow_ack_time;                /* ms */
};

static inline struct inet_timewait_sock *inet_twsk(const struct sock *sk)
{
	return (struct inet_timewait_sock *)sk;
}

/* Drop a reference; the last frees it. */
void inet_twsk_put(struct inet_timewait_sock *tw);
/* Cancel the timer and unhash now (RST, reuse), then drop the caller's
 * reference. */
void inet_twsk_deschedule_put(struct inet_timewait_sock *tw);
/* Restart the TIME_WAIT period: @timeo ns from now. */
void inet_twsk_reschedule(struct inet_timewait_sock *tw, u64 timeo);
/* Leave the port's bind bucket (bhash_lock held by the caller). */
void inet_twsk_unbind_locked(struct inet_timewait_sock *tw);
/* Replace the full socket @sk in ehash and join its bind bucket, and arm
 * the timer for @timeo ns (tcp_time_wait). */
void inet_twsk_hashdance_schedule(struct inet_timewait_sock *tw,
				  struct sock *sk, u64 timeo);
/* A timewait sock for @sk in @state (TIME_WAIT or FIN_WAIT2), not yet
 * hashed; NULL when tcp_max_tw_buckets are in use or out of memory. */
struct inet_timewait_sock *inet_twsk_alloc(const struct sock *sk, int state);
/* Stack teardown: unhash and free every timewait sock at once. */
void inet_twsk_purge(struct inet_hashinfo *h);

/* What tcp_v4_rcv must do with a segment for a timewait sock. */
enum tcp_tw_status {
	TCP_TW_SUCCESS = 0,   /* consumed/ignored; the lookup reference is gone */
	TCP_TW_RST = 1,       /* send a RST, then deschedule and put */
	TCP_TW_ACK = 2,       /* send an ACK (tcp_v4_timewait_ack puts) */
	TCP_TW_SYN = 3,       /* a new SYN may reuse the 4-tuple (*tw_isn) */
};

/* RFC 9293 3.10.7.4 for TIME_WAIT (and FIN_WAIT2 timewait socks), with
 * Linux's RFC 1122 4.2.2.13 reopening on a newer SYN. */
enum tcp_tw_status tcp_timewait_state_process(struct inet_timewait_sock *tw,
					      struct sk_buff *skb,
					      const struct sl_tcphdr *th,
					      u32 *tw_isn);
/* Is the connect(2) of @sk allowed to take over @tw's 4-tuple
 * (net.ipv4.tcp_tw_reuse)? On yes, @sk inherits write_seq and ts_recent. */
int tcp_twsk_unique(struct sock *sk, struct sock *sktw);

#endif
