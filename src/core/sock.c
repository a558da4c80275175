/*
 * The generic struct sock (Linux's net/core/sock.c): lifetime, locking,
 * memory accounting, the default wakeup callbacks and sleeping.
 *
 * Lifetime: sk_alloc (one reference, counted in the stack and process
 * wide, holding a reference on its stack) -> sock_init_data (defaults from
 * net.core.*) -> ... -> sk_common_release / sock_orphan -> sock_put ->
 * sk_free on the last reference. Every skb charged with skb_set_owner_w
 * holds a reference too (Linux keeps the same guarantee through
 * sk_wmem_alloc), so a sock outlives the packets it sent.
 *
 * Locking: bh_lock_sock is a spinlock taken by softirq code around
 * per-socket receive work; lock_sock gives a process-context thread
 * ownership (sk_lock.owned) for a whole operation. While owned, softirq
 * code queues to sk_backlog (sk_add_backlog) and release_sock runs the
 * backlog through sk_backlog_rcv before giving ownership back.
 *
 * Sleeping: sk_wait_begin -> sk_wait_sleep -> sk_wait_end (the
 * sk_wait_event macro). The sleeper is a thread-local struct sl_waiter on
 * sk->sk_wq; the timeout is a one-shot timer on the stack's own timer
 * wheel (so a virtual clock times out at exactly the right instant), and
 * net_wait decides how to block (sleep, or drive the stack when polled).
 * A signal handler that runs meanwhile (sl_signal_delivered) wakes the
 * sleeper and ends the wait like a timeout (sk_wait_signalled).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "core_priv.h"
#include "sl/net_namespace.h"
#include "sl/route.h"
#include "sl/signal.h"
#include "sl/sock.h"
#include "sl/spinlock.h"
#include "sl/socket.h"
#include "sl/tcp_states.h"
#include "sockline/sockline.h"

static long sk_live;   /* atomic, process-wide */

/* --- lifetime --------------------------------------------------------------------- */

/* Live socks in the process (every test ends with it at zero). */
long sk_live_count(void)
{
	return __atomic_load_n(&sk_live, __ATOMIC_RELAXED);
}

/* Public API (sockline.h): live socks, for leak checks. */
SL_EXPORT long sl_sock_live(void)
{
	return sk_live_count();
}

/*
 * Allocate a zeroed sock of @prot->obj_size bytes (at least a struct sock)
 * with one reference, holding a reference on @net. Queues, lock and hash
 * nodes are initialised; sock_init_data fills the rest. NULL on ENOMEM.
 */
struct sock *sk_alloc(struct net *net, int family, struct proto *prot)
{
	size_t size = prot && prot->obj_size ? prot->obj_size : sizeof(struct sock);
	struct sock *sk;

	SL_BUG_ON(size < sizeof(struct sock), "proto obj_size too small");
	sk = calloc(1, size);
	if (!sk)
		return NULL;
	sk->sk_family = (unsigned short)family;
	sk->sk_prot = prot;
	sk->sk_net = get_net(net);
	sk->sk_refcnt = 1;
	INIT_HLIST_NODE(&sk->sk_node);
	INIT_HLIST_NODE(&sk->sk_bind_node);
	skb_queue_head_init(&sk->sk_receive_queue);
	skb_queue_head_init(&sk->sk_write_queue);
	timer_setup(&sk->sk_timer, NULL, net->timers);
	__atomic_fetch_add(&sk_live, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&net->sockets, 1, __ATOMIC_RELAXED);
	return sk;
}

static void sk_set_socket(struct sock *sk, struct socket *sock)
{
	sk->sk_socket = sock;
	if (sock) {
		sk->sk_type = (u16)sock->type;
		sk->sk_wq = &sock->wq.wait;
		sock->sk = sk;
	} else {
		sk->sk_wq = NULL;
	}
}

/*
 * Linux's defaults for a new sock, linked with @sock (may be NULL):
 * buffers from net.core.rmem_default/wmem_default, SO_RCVLOWAT 1, no
 * timeouts, state TCP_CLOSE, the sock_def_* callbacks.
 */
void sock_init_data(struct socket *sock, struct sock *sk)
{
	struct net *net = sock_net(sk);

	sk_set_socket(sk, sock);
	sk->sk_rcvbuf = READ_ONCE(net->core.sysctl_rmem_default);
	sk->sk_sndbuf = READ_ONCE(net->core.sysctl_wmem_default);
	sk->sk_state = TCP_CLOSE;
	sock_set_flag(sk, SOCK_ZAPPED);
	sk->sk_rcvlowat = 1;
	sk->sk_rcvtimeo = INT64_MAX;
	sk->sk_sndtimeo = INT64_MAX;
	sk->sk_pacing_rate = ~0U;
	sk->sk_state_change = sock_def_wakeup;
	sk->sk_data_ready = sock_def_readable;
	sk->sk_write_space = sock_def_write_space;
	sk->sk_error_report = sock_def_error_report;
	if (!sk->sk_backlog_rcv && sk->sk_prot)
		sk->sk_backlog_rcv = sk->sk_prot->backlog_rcv;
}

/* Take a reference. */
void sock_hold(struct sock *sk)
{
	__atomic_fetch_add(&sk->sk_refcnt, 1, __ATOMIC_RELAXED);
}

/* Drop a reference; the last one frees the sock (sk_free). */
void sock_put(struct sock *sk)
{
	if (__atomic_sub_fetch(&sk->sk_refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		sk_free(sk);
}

/*
 * Free @sk now: run sk_destruct, free the skbs still queued on it, drop
 * its cached route and its stack reference. Called on the last reference
 * (sock_put) or on a sock nobody else has seen.
 */
void sk_free(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (sk->sk_destruct)
		sk->sk_destruct(sk);
	skb_queue_purge(&sk->sk_receive_queue);
	sk_error_queue_purge(sk);
	free(sk->sk_error_queue);
	skb_queue_purge(&sk->sk_write_queue);
	kfree_skb_list(sk->sk_backlog.head);
	sk->sk_backlog.head = sk->sk_backlog.tail = NULL;
	if (sk->sk_dst_cache) {
		dst_release(sk->sk_dst_cache);
		sk->sk_dst_cache = NULL;
	}
	SL_BUG_ON(timer_pending(&sk->sk_timer), "sk_free with sk_timer pending");
	__atomic_fetch_sub(&net->sockets, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&sk_live, 1, __ATOMIC_RELAXED);
	free(sk);
	put_net(net);
}

/* After close: mark dead and cut the link to the struct socket. */
void sock_orphan(struct sock *sk)
{
	sock_set_flag(sk, SOCK_DEAD);
	sk_set_socket(sk, NULL);
}

/*
 * The end of a socket without connection state (UDP, raw, ping): the
 * protocol's destroy, unhash, orphan, and drop the socket layer's
 * reference.
 */
void sk_common_release(struct sock *sk)
{
	struct proto *prot = sk->sk_prot;

	if (prot && prot->destroy)
		prot->destroy(sk);
	if (prot && prot->unhash)
		prot->unhash(sk);
	sock_orphan(sk);
	sock_put(sk);
}

/* Fetch and clear the pending error: 0 or -errno. */
int sock_error(struct sock *sk)
{
	int err;

	if (likely(!READ_ONCE(sk->sk_err)))
		return 0;
	err = __atomic_exchange_n(&sk->sk_err, 0, __ATOMIC_RELAXED);
	return -err;
}

/* --- locking ------------------------------------------------------------------- */

/* Softirq side: the short per-socket spinlock (never held while sleeping). */
void bh_lock_sock(struct sock *sk)
{
	sl_spin_lock(&sk->sk_lock.slock);
}

/* Release the spinlock taken by bh_lock_sock. */
void bh_unlock_sock(struct sock *sk)
{
	sl_spin_unlock(&sk->sk_lock.slock);
}

/*
 * Process context: become the owner of @sk, waiting while another thread
 * owns it. Softirq code meanwhile backlogs packets for us. A waiter marks
 * the word SOCK_OWNED_WAITERS under slock and sleeps on it; release_sock
 * clears it under slock and wakes every sleeper when it was marked, so a
 * release between our look and our sleep changes the word and the futex
 * returns at once. Winners after a sleep keep the mark: others may sleep.
 */
void lock_sock(struct sock *sk)
{
	u32 want = SOCK_OWNED;

	for (;;) {
		bh_lock_sock(sk);
		if (!sk->sk_lock.owned) {
			WRITE_ONCE(sk->sk_lock.owned, want);
			bh_unlock_sock(sk);
			return;
		}
		WRITE_ONCE(sk->sk_lock.owned, SOCK_OWNED_WAITERS);
		bh_unlock_sock(sk);
		sl_futex_wait(&sk->sk_lock.owned, SOCK_OWNED_WAITERS);
		want = SOCK_OWNED_WAITERS;
	}
}

/* Run the backlog with the spinlock dropped (the socket stays owned). */
static void __release_sock(struct sock *sk)
{
	struct sk_buff *skb, *next;

	while ((skb = sk->sk_backlog.head) != NULL) {
		sk->sk_backlog.head = sk->sk_backlog.tail = NULL;
		bh_unlock_sock(sk);
		do {
			next = skb->next;
			skb->next = NULL;
			if (sk->sk_backlog_rcv)
				sk->sk_backlog_rcv(sk, skb);
			else
				kfree_skb(skb);
			skb = next;
		} while (skb);
		bh_lock_sock(sk);
	}
	/* The count is cleared only here: during the loop it still holds
	 * the bytes already taken, so sk_add_backlog hits its limit and a
	 * sender cannot keep this loop going forever. */
	sk->sk_backlog.len = 0;
}

/*
 * Give up ownership: process the backlog (each skb through
 * sk_backlog_rcv, which consumes it) until it stays empty, run
 * prot->release_cb (as in Linux, with the spinlock held), clear owned and
 * wake threads waiting in lock_sock.
 */
void release_sock(struct sock *sk)
{
	bool waiters;

	bh_lock_sock(sk);
	if (sk->sk_backlog.tail)
		__release_sock(sk);
	if (sk->sk_prot && sk->sk_prot->release_cb)
		sk->sk_prot->release_cb(sk);
	waiters = sk->sk_lock.owned == SOCK_OWNED_WAITERS;
	WRITE_ONCE(sk->sk_lock.owned, 0);
	bh_unlock_sock(sk);
	if (waiters)
		sl_futex_wake(&sk->sk_lock.owned, INT_MAX);
}

/*
 * Softirq, bh_lock_sock held, socket owned: append @skb for release_sock.
 * -ENOBUFS (and @skb dropped) when backlog plus receive memory would
 * exceed @limit bytes. @skb is consumed either way.
 */
int sk_add_backlog(struct sock *sk, struct sk_buff *skb, unsigned int limit)
{
	unsigned int qsize = (unsigned int)sk->sk_backlog.len +
			     (unsigned int)sk_rmem_alloc_get(sk);

	if (qsize > limit) {
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return -ENOBUFS;
	}
	skb->next = NULL;
	if (!sk->sk_backlog.tail)
		sk->sk_backlog.head = skb;
	else
		sk->sk_backlog.tail->next = skb;
	sk->sk_backlog.tail = skb;
	sk->sk_backlog.len += (int)skb->truesize;
	return 0;
}

/* --- memory accounting ------------------------------------------------------------ */

/* Destructor of receive-charged skbs: give the memory back. */
static void sock_rfree(struct sk_buff *skb)
{
	__atomic_fetch_sub(&skb->sk->sk_rmem_alloc, (int)skb->truesize,
			   __ATOMIC_RELAXED);
}

/*
 * Destructor of send-charged skbs: uncharge, tell the socket about the
 * room (sk_write_space decides whether it is enough to wake writers), and
 * drop the reference skb_set_owner_w took.
 */
static void sock_wfree(struct sk_buff *skb)
{
	struct sock *sk = skb->sk;

	__atomic_fetch_sub(&sk->sk_wmem_alloc, (int)skb->truesize,
			   __ATOMIC_RELEASE);
	if (!sock_flag(sk, SOCK_USE_WRITE_QUEUE))
		sk->sk_write_space(sk);
	sock_put(sk);
}

/* Charge @skb to @sk's receive memory until the skb is freed or orphaned. */
void skb_set_owner_r(struct sk_buff *skb, struct sock *sk)
{
	skb_orphan(skb);
	skb->sk = sk;
	skb->destructor = sock_rfree;
	__atomic_fetch_add(&sk->sk_rmem_alloc, (int)skb->truesize,
			   __ATOMIC_RELAXED);
}

/* Charge @skb to @sk's send memory (and hold @sk) until it is freed. */
void skb_set_owner_w(struct sk_buff *skb, struct sock *sk)
{
	skb_orphan(skb);
	sock_hold(sk);
	skb->sk = sk;
	skb->destructor = sock_wfree;
	__atomic_fetch_add(&sk->sk_wmem_alloc, (int)skb->truesize,
			   __ATOMIC_RELAXED);
}

/*
 * Queue a received datagram (Linux's __sock_queue_rcv_skb): -ENOMEM and
 * sk_drops + 1 when receive memory is already at sk_rcvbuf (the caller
 * still owns @skb and counts the drop); else charge, queue (the queue
 * owns it) and call sk_data_ready unless the socket is dead.
 */
int __sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	if (sk_rmem_alloc_get(sk) >= READ_ONCE(sk->sk_rcvbuf)) {
		__atomic_fetch_add(&sk->sk_drops, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	skb_trace(skb);
	skb->dev = NULL;
	skb_set_owner_r(skb, sk);
	skb_queue_tail(&sk->sk_receive_queue, skb);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return 0;
}

/* Same as __sock_queue_rcv_skb (no socket filters in sockline). */
int sock_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	return __sock_queue_rcv_skb(sk, skb);
}

/* (See sl/sock.h.) */
void sk_error_queue_purge(struct sock *sk)
{
	struct sk_buff_head *q = sk_error_queue_get(sk);

	if (q)
		skb_queue_purge(q);
}

/*
 * Queue @skb on the error queue (IP_RECVERR). As Linux: -ENOMEM when it
 * would not fit in sk_rcvbuf (the caller keeps @skb); else charged,
 * queued (the queue owns it) and sk_error_report called unless dead.
 */
int sock_queue_err_skb(struct sock *sk, struct sk_buff *skb)
{
	struct sk_buff_head *q = sk_error_queue_get(sk), *nq;

	if ((unsigned int)sk_rmem_alloc_get(sk) + skb->truesize >=
	    (unsigned int)READ_ONCE(sk->sk_rcvbuf))
		return -ENOMEM;
	if (!q) {
		/* The first error: the queue comes now. */
		nq = malloc(sizeof(*nq));
		if (!nq)
			return -ENOMEM;
		skb_queue_head_init(nq);
		if (__atomic_compare_exchange_n(&sk->sk_error_queue, &q, nq,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			q = nq;
		else
			free(nq);   /* another thread won; q is its queue */
	}
	skb_set_owner_r(skb, sk);
	skb_queue_tail(q, skb);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_error_report(sk);
	return 0;
}

/* --- wakeups ---------------------------------------------------------------------- */

static struct wait_queue_head *sk_wq_active(struct sock *sk)
{
	struct wait_queue_head *wq = READ_ONCE(sk->sk_wq);

	return wq && waitqueue_active(wq) ? wq : NULL;
}

/* Default sk_data_ready: wake readers (poll, epoll, blocked recv). */
void sock_def_readable(struct sock *sk)
{
	struct wait_queue_head *wq = sk_wq_active(sk);

	if (wq)
		wake_up_interruptible_poll(wq, EPOLLIN | EPOLLPRI | EPOLLRDNORM |
						       EPOLLRDBAND);
}

/* Default sk_write_space: wake writers once half the send buffer is free. */
void sock_def_write_space(struct sock *sk)
{
	struct wait_queue_head *wq;

	if ((sk_wmem_alloc_get(sk) << 1) > READ_ONCE(sk->sk_sndbuf))
		return;
	wq = sk_wq_active(sk);
	if (wq)
		wake_up_interruptible_poll(wq, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
}

/* Default sk_state_change: wake everybody. */
void sock_def_wakeup(struct sock *sk)
{
	struct wait_queue_head *wq = sk_wq_active(sk);

	if (wq)
		wake_up_interruptible_all(wq);
}

/* Default sk_error_report: wake with EPOLLERR. */
void sock_def_error_report(struct sock *sk)
{
	struct wait_queue_head *wq = sk_wq_active(sk);

	if (wq)
		wake_up_interruptible_poll(wq, EPOLLERR);
}

/* --- sleeping --------------------------------------------------------------------- */

/* A thread's state while it waits on one socket. */
struct sk_wait_ctx {
	struct sl_waiter waiter;
	struct wait_queue_entry entry;
	struct wait_queue_head *wq;   /* where entry was added, or NULL */
	struct timer_list timer;      /* wakes us at the deadline */
	u64 deadline;                 /* stack clock; UINT64_MAX: none */
	bool ready;                   /* waiter initialised */
};

static __thread struct sk_wait_ctx sk_wait_ctx;

static void sk_wait_timeout(struct timer_list *t)
{
	struct sk_wait_ctx *ctx = from_timer(ctx, t, timer);

	sl_waiter_wake(&ctx->waiter);
}

/*
 * Start waiting on @sk: join sk->sk_wq and arm the timeout timer for
 * *@timeo ns from now (INT64_MAX: no timer). Wakeups from here on are not
 * lost, so the caller re-checks its condition before sk_wait_sleep.
 */
void sk_wait_begin(struct sock *sk, s64 *timeo)
{
	struct sk_wait_ctx *ctx = &sk_wait_ctx;
	struct net *net = sock_net(sk);
	u64 now;

	if (!ctx->ready) {
		sl_waiter_init(&ctx->waiter);
		ctx->ready = true;
	}
	sl_waiter_take(&ctx->waiter);
	/* A signal handler wakes us from here on (sk_wait_block looks). */
	signal_wait_begin(&ctx->waiter);

	init_waitqueue_entry(&ctx->entry, &ctx->waiter);
	ctx->wq = READ_ONCE(sk->sk_wq);
	if (ctx->wq)
		add_wait_queue(ctx->wq, &ctx->entry);

	/* A wait left without sk_wait_end must not leave its timer armed. */
	if (timer_pending(&ctx->timer))
		del_timer_sync(&ctx->timer);
	timer_setup(&ctx->timer, sk_wait_timeout, net->timers);
	ctx->deadline = UINT64_MAX;
	if (*timeo != INT64_MAX && *timeo > 0) {
		now = net_now(net);
		ctx->deadline = now + (u64)*timeo;
		mod_timer(&ctx->timer, ctx->deadline);
	}
}

/*
 * A signal handler ran during the call (Linux's signal_pending check of
 * the wait loops): the wait ends as if its time had run out, so every
 * caller stops the way it stops on a timeout, and the call's error is
 * recorded (sock_intr_errno: to restart, or -EINTR) for the system call
 * layer, which gives it instead of that timeout's -EAGAIN.
 */
static bool sk_wait_signalled(s64 *timeo)
{
	if (!signal_pending())
		return false;
	signal_interrupted(sock_intr_errno(*timeo));
	*timeo = 0;
	return true;
}

/* Block until woken or the deadline; the caller holds/handles the lock. */
static void sk_wait_block(struct sock *sk, s64 *timeo, bool release)
{
	struct sk_wait_ctx *ctx = &sk_wait_ctx;
	struct net *net = sock_net(sk);
	s64 before = *timeo;
	u64 now;

	if (*timeo <= 0 || sk_wait_signalled(timeo))
		return;
	if (release)
		release_sock(sk);
	net_wait(net, &ctx->waiter, ctx->deadline);
	if (release)
		lock_sock(sk);
	if (ctx->deadline != UINT64_MAX) {
		now = net_now(net);
		*timeo = ctx->deadline > now ? (s64)(ctx->deadline - now) : 0;
	}
	if (*timeo > 0 && signal_pending()) {
		/* The restart decision depends on the timeout the call had,
		 * not on what is left of it. */
		signal_interrupted(sock_intr_errno(before));
		*timeo = 0;
	}
}

/*
 * Sleep once (socket owned by the caller): release the socket so the
 * backlog runs, wait for a wakeup or the timeout, own it again, and set
 * *@timeo to the time left.
 */
void sk_wait_sleep(struct sock *sk, s64 *timeo)
{
	sk_wait_block(sk, timeo, true);
}

/* Stop waiting: leave the wait queue and cancel the timeout timer. */
void sk_wait_end(struct sock *sk)
{
	struct sk_wait_ctx *ctx = &sk_wait_ctx;

	signal_wait_end();
	if (ctx->wq) {
		remove_wait_queue(ctx->wq, &ctx->entry);
		ctx->wq = NULL;
	}
	del_timer_sync(&ctx->timer);
}

/*
 * Wait (socket owned) until the receive queue's tail is no longer @skb
 * (NULL: until it is not empty), or the timeout or a wakeup. Returns
 * non-zero when new data is there.
 */
int sk_wait_data(struct sock *sk, s64 *timeo, const struct sk_buff *skb)
{
	return sk_wait_event(sk, timeo,
			     skb_peek_tail(&sk->sk_receive_queue) != skb);
}

static bool sk_wspace_free(const struct sock *sk)
{
	int sndbuf = READ_ONCE(sk->sk_sndbuf);

	return sk_wmem_alloc_get(sk) < sndbuf &&
	       READ_ONCE(sk->sk_wmem_queued) < sndbuf;
}

static bool sk_send_stopped(const struct sock *sk)
{
	return READ_ONCE(sk->sk_err) ||
	       (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN);
}

/*
 * Wait (socket owned) until the send buffer has room: both the bytes below
 * us (sk_wmem_alloc) and the bytes queued (sk_wmem_queued) are under
 * sk_sndbuf. 0 when there is room, -EPIPE on a socket error or after
 * SHUT_WR (as Linux's sk_stream_wait_memory), -EAGAIN when time runs out.
 */
int sk_wait_wspace(struct sock *sk, s64 *timeo)
{
	for (;;) {
		if (sk_send_stopped(sk))
			return -EPIPE;
		if (sk_wspace_free(sk))
			return 0;
		if (*timeo <= 0)
			return -EAGAIN;
		sk_wait_event(sk, timeo, sk_send_stopped(sk) || sk_wspace_free(sk));
	}
}

/* Linux's sock_wait_for_wmem: sleep without touching socket ownership. */
static void sock_wait_for_wmem(struct sock *sk, s64 *timeo)
{
	sk_wait_begin(sk, timeo);
	if (!sk_send_stopped(sk) &&
	    sk_wmem_alloc_get(sk) >= READ_ONCE(sk->sk_sndbuf))
		sk_wait_block(sk, timeo, false);
	sk_wait_end(sk);
}

/*
 * Allocate an skb of @size bytes (plus the usual headroom) charged to
 * @sk's send memory. While sk_wmem_alloc >= sk_sndbuf it waits up to
 * SO_SNDTIMEO, unless @noblock. The socket's ownership is not changed.
 * NULL with *@err: the pending socket error, -EPIPE after SHUT_WR,
 * -EAGAIN when full and not waiting, -ENOBUFS when out of memory
 * (Linux's codes). The caller owns the result.
 */
struct sk_buff *sock_alloc_send_skb(struct sock *sk, unsigned long size,
				    int noblock, int *err)
{
	s64 timeo = sock_sndtimeo(sk, noblock);
	struct sk_buff *skb;
	int error;

	for (;;) {
		error = sock_error(sk);
		if (error)
			goto failure;
		error = -EPIPE;
		if (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN)
			goto failure;
		if (sk_wmem_alloc_get(sk) < READ_ONCE(sk->sk_sndbuf))
			break;
		error = -EAGAIN;
		if (timeo <= 0)
			goto failure;
		sock_wait_for_wmem(sk, &timeo);
	}
	skb = alloc_skb(sock_net(sk), (unsigned int)size);
	if (!skb) {
		error = -ENOBUFS;
		goto failure;
	}
	skb_set_owner_w(skb, sk);
	return skb;

failure:
	*err = error;
	return NULL;
}
