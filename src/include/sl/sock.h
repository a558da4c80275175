/*
 * struct sock: the network-layer half of a socket (src/core/sock.c).
 *
 * Locking, as Linux's:
 *  - sk_lock.slock is a short spinlock ("bh_lock_sock"); softirq code takes
 *    it around per-socket receive processing.
 *  - lock_sock()/release_sock() give process context ownership (owned != 0)
 *    for a long operation (sendmsg, recvmsg, setsockopt) without holding
 *    the spinlock. While a socket is owned, softirq code does not wait: it
 *    appends the skb to sk_backlog (sk_add_backlog), and release_sock()
 *    processes the backlog through sk_backlog_rcv before giving ownership
 *    up. So receive processing never waits for an application thread.
 *
 * Wakeups: receive processing calls sk->sk_data_ready(sk) (default
 * sock_def_readable), which wakes sleepers on sk->sk_wq with POLLIN: a
 * reader blocked in sk_wait_data, poll(), or an epoll instance.
 */
#ifndef SL_SOCK_H
#define SL_SOCK_H

#include <poll.h>
#include <sys/socket.h>

#include "sl/list.h"
#include "sl/net_namespace.h"
#include "sl/skbuff.h"
#include "sl/timer.h"
#include "sl/types.h"
#include "sl/wait.h"

struct socket;
struct proto;
struct sl_msghdr;
struct dst_entry;

/* sk_flags bits (Linux's enum sock_flags, the ones we use). */
enum sock_flags {
	SOCK_DEAD,
	SOCK_DONE,
	SOCK_URGINLINE,
	SOCK_KEEPOPEN,
	SOCK_LINGER,
	SOCK_DESTROY,
	SOCK_BROADCAST,
	SOCK_TIMESTAMP,
	SOCK_ZAPPED,
	SOCK_USE_WRITE_QUEUE,
	SOCK_DBG,
	SOCK_RCVTSTAMP,
	SOCK_RCVTSTAMPNS,
	SOCK_LOCALROUTE,
	SOCK_QUEUE_SHRUNK,
	SOCK_RXQ_OVFL,
	SOCK_ZEROCOPY,
	SOCK_SELECT_ERR_QUEUE,
	SOCK_NOFCS,
};

/* sk_shutdown bits */
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

/* SO_REUSEADDR values (sk_reuse) */
#define SK_NO_REUSE 0
#define SK_CAN_REUSE 1
#define SK_FORCE_REUSE 2

/*
 * Linux's socket_lock_t without its wait queue: threads waiting for
 * ownership sleep on the owned word itself (a futex), 8 bytes in all.
 */
typedef struct {
	int slock;                   /* spinlock word, see bh_lock_sock */
	u32 owned;                   /* SOCK_OWNED_*: process context owns it */
} socket_lock_t;
#define SOCK_OWNED 1                 /* owned, nobody waits in lock_sock */
#define SOCK_OWNED_WAITERS 2         /* owned, lock_sock sleepers on owned */

/*
 * Fields shared with timewait sockets (Linux's sock_common): the lookup
 * keys come first so that hash walks touch one cache line.
 */
struct sock_common {
	__be32 skc_daddr;            /* foreign IPv4 address */
	__be32 skc_rcv_saddr;        /* bound local IPv4 address */
	__be16 skc_dport;            /* foreign port */
	u16 skc_num;                 /* local port, host order */
	unsigned short skc_family;
	volatile unsigned char skc_state;
	unsigned char skc_reuse : 4;
	unsigned char skc_reuseport : 1;
	int skc_bound_dev_if;
	u32 skc_hash;
	struct hlist_node skc_node;      /* main lookup table */
	struct hlist_node skc_bind_node; /* port (bind) table */
	struct net *skc_net;
	u32 skc_refcnt;                  /* atomic */
};

struct sock {
	struct sock_common __sk_common;
#define sk_daddr __sk_common.skc_daddr
#define sk_rcv_saddr __sk_common.skc_rcv_saddr
#define sk_dport __sk_common.skc_dport
#define sk_num __sk_common.skc_num
#define sk_family __sk_common.skc_family
#define sk_state __sk_common.skc_state
#define sk_reuse __sk_common.skc_reuse
#define sk_reuseport __sk_common.skc_reuseport
#define sk_bound_dev_if __sk_common.skc_bound_dev_if
#define sk_node __sk_common.skc_node
#define sk_bind_node __sk_common.skc_bind_node
#define sk_hash __sk_common.skc_hash
#define sk_net __sk_common.skc_net
#define sk_refcnt __sk_common.skc_refcnt

	socket_lock_t sk_lock;
	struct {                         /* softirq -> owner hand-off */
		struct sk_buff *head;
		struct sk_buff *tail;
		int len;
	} sk_backlog;

	struct sk_buff_head sk_receive_queue;
	struct sk_buff_head sk_write_queue;
	/* IP_RECVERR errors: allocated by the first one queued, NULL before
	 * (Linux embeds it; few sockets ever use it, issue 3). Published
	 * atomically, freed by sk_free. Use sk_error_queue_empty. */
	struct sk_buff_head *sk_error_queue;

	/* Ordered by size so that nothing pads (issue 3: memory per idle
	 * connection). */
	int sk_rcvbuf;                   /* bytes, as SO_RCVBUF reports */
	int sk_sndbuf;
	int sk_rmem_alloc;               /* atomic: bytes charged on receive */
	int sk_wmem_alloc;               /* atomic: bytes in flight below us */
	int sk_wmem_queued;              /* bytes queued in the write queue */
	int sk_drops;                    /* atomic */
	u32 sk_userlocks;                /* SOCK_SNDBUF_LOCK | SOCK_RCVBUF_LOCK */
#define SOCK_SNDBUF_LOCK 1
#define SOCK_RCVBUF_LOCK 2
#define SOCK_BINDADDR_LOCK 4
#define SOCK_BINDPORT_LOCK 8
	int sk_err;                      /* pending error (positive errno) */
	int sk_err_soft;
	u8 sk_shutdown;
	u8 sk_protocol;
	u16 sk_type;
	int sk_rcvlowat;
	u32 sk_priority;
	u32 sk_mark;
	int sk_max_ack_backlog;
	int sk_ack_backlog;              /* atomic */
	u32 sk_pacing_rate;
	u16 sk_gso_max_segs;
	unsigned int sk_gso_max_size;
	unsigned long sk_flags;          /* enum sock_flags bits */
	s64 sk_rcvtimeo;                 /* ns; INT64_MAX = forever */
	s64 sk_sndtimeo;
	s64 sk_lingertime;               /* ns */
	struct dst_entry *sk_dst_cache;  /* cached route (connected sockets) */

	struct socket *sk_socket;        /* back pointer, NULL when orphaned */
	struct wait_queue_head *sk_wq;   /* the socket's wait queue */
	struct proto *sk_prot;
	/* TCP: the one timer of every timer event (inet_csk_timer_sync). */
	struct timer_list sk_timer;

	void (*sk_state_change)(struct sock *sk);
	void (*sk_data_ready)(struct sock *sk);
	void (*sk_write_space)(struct sock *sk);
	void (*sk_error_report)(struct sock *sk);
	int (*sk_backlog_rcv)(struct sock *sk, struct sk_buff *skb);
	void (*sk_destruct)(struct sock *sk);
};

static inline struct net *sock_net(const struct sock *sk)
{
	return sk->sk_net;
}
static inline bool sock_flag(const struct sock *sk, enum sock_flags f)
{
	return (READ_ONCE(sk->sk_flags) >> f) & 1;
}
static inline void sock_set_flag(struct sock *sk, enum sock_flags f)
{
	__atomic_fetch_or(&sk->sk_flags, 1UL << f, __ATOMIC_RELAXED);
}
static inline void sock_reset_flag(struct sock *sk, enum sock_flags f)
{
	__atomic_fetch_and(&sk->sk_flags, ~(1UL << f), __ATOMIC_RELAXED);
}
static inline void sock_valbool_flag(struct sock *sk, enum sock_flags f, int v)
{
	if (v)
		sock_set_flag(sk, f);
	else
		sock_reset_flag(sk, f);
}
static inline int sk_rmem_alloc_get(const struct sock *sk)
{
	return __atomic_load_n(&sk->sk_rmem_alloc, __ATOMIC_RELAXED);
}
static inline int sk_wmem_alloc_get(const struct sock *sk)
{
	return __atomic_load_n(&sk->sk_wmem_alloc, __ATOMIC_RELAXED);
}
static inline bool sk_has_allocations(const struct sock *sk)
{
	return sk_wmem_alloc_get(sk) || sk_rmem_alloc_get(sk);
}
static inline bool sock_writeable(const struct sock *sk)
{
	return sk_wmem_alloc_get(sk) < (READ_ONCE(sk->sk_sndbuf) >> 1);
}
static inline bool sk_unhashed(const struct sock *sk)
{
	return hlist_unhashed(&sk->sk_node);
}
static inline bool sk_hashed(const struct sock *sk)
{
	return !sk_unhashed(sk);
}
/* The error queue, or NULL while no error was ever queued. */
static inline struct sk_buff_head *sk_error_queue_get(const struct sock *sk)
{
	return __atomic_load_n(&sk->sk_error_queue, __ATOMIC_ACQUIRE);
}
static inline bool sk_error_queue_empty(const struct sock *sk)
{
	struct sk_buff_head *q = sk_error_queue_get(sk);

	return !q || skb_queue_empty(q);
}
/* Free every queued error (the queue itself stays until sk_free). */
void sk_error_queue_purge(struct sock *sk);

/* Error to report: fetch and clear sk_err, as a negative errno (or 0). */
int sock_error(struct sock *sk);

/* --- lifetime ------------------------------------------------------------- */

/*
 * Allocate a sock of prot->obj_size bytes, zeroed, with one reference,
 * counted in the stack and process-wide (sk_live_count).
 */
struct sock *sk_alloc(struct net *net, int family, struct proto *prot);
/* Fill defaults (queues, buffers from net.core.*mem_default, callbacks,
 * timeouts) and link @sk with @sock (which may be NULL). */
void sock_init_data(struct socket *sock, struct sock *sk);
void sock_hold(struct sock *sk);
/* Drop a reference; at zero run sk_destruct and free the memory. */
void sock_put(struct sock *sk);
/* Mark dead and detach from its struct socket (after close). */
void sock_orphan(struct sock *sk);
/* Release a sock's queued skbs and free it (on its last reference). */
void sk_free(struct sock *sk);
void sk_common_release(struct sock *sk);
long sk_live_count(void);

/* --- locking --------------------------------------------------------------- */

void lock_sock(struct sock *sk);
void release_sock(struct sock *sk);
void bh_lock_sock(struct sock *sk);
void bh_unlock_sock(struct sock *sk);
static inline bool sock_owned_by_user(const struct sock *sk)
{
	return READ_ONCE(sk->sk_lock.owned);
}
/*
 * Softirq, with bh_lock_sock held and the socket owned by a user: queue
 * @skb for release_sock. Consumes skb on error too (-ENOBUFS when the
 * backlog exceeds @limit bytes; the caller counts the drop).
 */
int sk_add_backlog(struct sock *sk, struct sk_buff *skb, unsigned int limit);

/* --- queues, memory accounting, wakeups ----------------------------------- */

/* Charge @skb to @sk's receive memory; skb's destructor uncharges it. */
void skb_set_owner_r(struct sk_buff *skb, struct sock *sk);
void skb_set_owner_w(struct sk_buff *skb, struct sock *sk);
/*
 * Queue a datagram on sk_receive_queue and call sk_data_ready. Consumes
 * skb on success. On -ENOMEM (rcvbuf full) the caller still owns it.
 */
int __sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb);
int sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb);
/* Queue on sk_error_queue (IP_RECVERR); same ownership as above. */
int sock_queue_err_skb(struct sock *sk, struct sk_buff *skb);

/*
 * Allocate an skb for sending, charged to sk_wmem_alloc; blocks (up to
 * @timeo ns) while the send buffer is full, unless @noblock. Returns NULL
 * with *err = -EAGAIN, -EPIPE, -EINTR, -ENOMEM or the socket error.
 */
struct sk_buff *sock_alloc_send_skb(struct sock *sk, unsigned long size,
				    int noblock, int *err);

void sock_def_readable(struct sock *sk);
void sock_def_write_space(struct sock *sk);
void sock_def_wakeup(struct sock *sk);
void sock_def_error_report(struct sock *sk);

/* --- sleeping ------------------------------------------------------------- */

static inline s64 sock_rcvtimeo(const struct sock *sk, bool noblock)
{
	return noblock ? 0 : sk->sk_rcvtimeo;
}
static inline s64 sock_sndtimeo(const struct sock *sk, bool noblock)
{
	return noblock ? 0 : sk->sk_sndtimeo;
}
/*
 * Wait (socket owned by the caller) until @cond becomes true, the timeout
 * *@timeo ns (on the stack's clock) runs out, or a wakeup arrives. The
 * socket is released while sleeping and re-owned afterwards, so that the
 * backlog is processed. Updates *@timeo with the time left. Returns true
 * when @cond holds.
 */
#define sk_wait_event(sk, timeo, cond)                             \
	({                                                         \
		bool __rc = (cond);                                \
		if (!__rc) {                                       \
			sk_wait_begin((sk), (timeo));              \
			__rc = (cond);                             \
			if (!__rc)                                 \
				sk_wait_sleep((sk), (timeo));      \
			sk_wait_end(sk);                           \
			__rc = (cond);                             \
		}                                                  \
		__rc;                                              \
	})
void sk_wait_begin(struct sock *sk, s64 *timeo);
void sk_wait_sleep(struct sock *sk, s64 *timeo);
void sk_wait_end(struct sock *sk);
/* Wait for data on sk_receive_queue (beyond @skb, the last one seen). */
int sk_wait_data(struct sock *sk, s64 *timeo, const struct sk_buff *skb);
/* Wait until the send buffer has room (sk_stream_wait_memory-like). */
int sk_wait_wspace(struct sock *sk, s64 *timeo);

/* --- generic options (src/core/sock_opt.c) -------------------------------- */

/* SOL_SOCKET level; optval is user memory. 0 or -errno. */
int sock_setsockopt(struct socket *sock, int level, int optname,
		    const void *optval, socklen_t optlen);
int sock_getsockopt(struct socket *sock, int level, int optname, void *optval,
		    socklen_t *optlen);
/*
 * SO_TIMESTAMP/SO_TIMESTAMPNS: append SCM_TIMESTAMP (timeval) or
 * SCM_TIMESTAMPNS (timespec) with @skb's receive time when the socket
 * asked for it; receive paths call it after copying the data (Linux's
 * sock_recv_timestamp). Added by the socket layer.
 */
void sock_recv_timestamp(struct sl_msghdr *msg, struct sock *sk,
			 const struct sk_buff *skb);

/* --- struct proto: one transport protocol ---------------------------------- */

struct proto {
	const char *name;
	void (*close)(struct sock *sk, long timeout);
	int (*pre_connect)(struct sock *sk, struct sockaddr *uaddr, int addr_len);
	int (*connect)(struct sock *sk, struct sockaddr *uaddr, int addr_len);
	int (*disconnect)(struct sock *sk, int flags);
	struct sock *(*accept)(struct sock *sk, int flags, int *err, bool kern);
	int (*ioctl)(struct sock *sk, int cmd, int *karg);
	int (*init)(struct sock *sk);
	void (*destroy)(struct sock *sk);
	void (*shutdown)(struct sock *sk, int how);
	/* SO_KEEPALIVE changed (TCP arms or stops its keepalive timer). */
	void (*keepalive)(struct sock *sk, int valbool);
	int (*setsockopt)(struct sock *sk, int level, int optname,
			  const void *optval, socklen_t optlen);
	int (*getsockopt)(struct sock *sk, int level, int optname, void *optval,
			  socklen_t *optlen);
	int (*sendmsg)(struct sock *sk, struct sl_msghdr *msg, size_t len);
	int (*recvmsg)(struct sock *sk, struct sl_msghdr *msg, size_t len,
		       int flags, int *addr_len);
	int (*bind)(struct sock *sk, struct sockaddr *addr, int addr_len);
	int (*backlog_rcv)(struct sock *sk, struct sk_buff *skb);
	void (*release_cb)(struct sock *sk);
	int (*hash)(struct sock *sk);
	void (*unhash)(struct sock *sk);
	void (*rehash)(struct sock *sk);
	int (*get_port)(struct sock *sk, unsigned short snum);
	unsigned int obj_size;
	int max_header;
	/* poll mask helper for protocols that need more than datagram_poll */
	int (*diag_destroy)(struct sock *sk, int err);
};

#endif
