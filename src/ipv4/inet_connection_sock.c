/*
 * Connection-oriented socket support (Linux's
 * net/ipv4/inet_connection_sock.c), used by TCP:
 *
 *  - ports: inet_csk_get_port (bind(2), listen(2) autobind) with Linux's
 *    inet_csk_bind_conflict rules and the odd-port ephemeral search;
 *  - listen: inet_csk_listen_start / inet_csk_listen_stop;
 *  - request socks: reqsk_alloc, inet_csk_reqsk_queue_hash_add (ehash +
 *    SYN-ACK timer), reqsk_timer_handler (SYN-ACK retransmission with
 *    exponential backoff, tcp_synack_retries), inet_csk_reqsk_queue_drop;
 *  - accept: inet_csk_reqsk_queue_add (child ready) -> inet_csk_accept;
 *  - children: inet_csk_clone_lock; the end of a sock:
 *    inet_csk_destroy_sock;
 *  - the timer events (xmit, delayed ACK, keepalive) multiplexed on
 *    sk_timer: inet_csk_reset_xmit_timer & co. As Linux's
 *    sk_reset_timer, the armed timer holds a reference on the socket: its
 *    handler ends with sock_put(sk).
 *
 * Request sock references: one for ehash membership, one while rsk_timer
 * is armed, one for the accept queue (the lookup reference of the ACK
 * that completed it), one per lookup.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>

#include "sl/inet_connection_sock.h"
#include "sl/inet_hashtables.h"
#include "sl/inet_sock.h"
#include "sl/inet_timewait_sock.h"
#include "sl/net_namespace.h"
#include "sl/route.h"
#include "sl/snmp.h"
#include "sl/tcp.h"

/* The accept queue's spin word (Linux's rskq_lock). */
static void rskq_lock(struct request_sock_queue *q)
{
	unsigned int spins = 0;

	while (__atomic_exchange_n(&q->lock, 1, __ATOMIC_ACQUIRE))
		if (++spins > 64)
			sched_yield();
}

static void rskq_unlock(struct request_sock_queue *q)
{
	__atomic_store_n(&q->lock, 0, __ATOMIC_RELEASE);
}

/* --- bind(2): ports --------------------------------------------------------------- */

/* Both addresses equal, or either the wildcard (Linux's
 * inet_rcv_saddr_equal with match_wildcard). */
static bool inet_rcv_saddr_equal(const struct sock *sk, const struct sock *sk2)
{
	return sk->sk_rcv_saddr == sk2->sk_rcv_saddr || !sk->sk_rcv_saddr ||
	       !sk2->sk_rcv_saddr;
}

/*
 * Linux's inet_bind_conflict for one owner @sk2 (a sock or a timewait
 * sock) on overlapping devices. SO_REUSEADDR on both lets them share
 * unless @sk2 listens (and, when !@relax, never); SO_REUSEPORT on both
 * (one user) lets them share when @reuseport_ok. A TIME_WAIT owner counts
 * with the SO_REUSEADDR its socket had.
 */
static bool inet_bind_conflict(const struct sock *sk, const struct sock *sk2,
			       bool relax, bool reuseport_ok)
{
	if (sk == sk2)
		return false;
	if (sk->sk_bound_dev_if && sk2->sk_bound_dev_if &&
	    sk->sk_bound_dev_if != sk2->sk_bound_dev_if)
		return false;
	if (sk->sk_reuse && sk2->sk_reuse && sk2->sk_state != TCP_LISTEN)
		return !relax || (!reuseport_ok && sk->sk_reuseport &&
				  sk2->sk_reuseport);
	return !reuseport_ok || !sk->sk_reuseport || !sk2->sk_reuseport;
}

static bool inet_csk_bind_conflict(const struct sock *sk,
				   const struct inet_bind_bucket *tb, bool relax,
				   bool reuseport_ok)
{
	struct sock *sk2;

	hlist_for_each_entry(sk2, &tb->owners, sk_bind_node) {
		if (inet_bind_conflict(sk, sk2, relax, reuseport_ok) &&
		    inet_rcv_saddr_equal(sk, sk2))
			return true;
	}
	return false;
}

/*
 * bind(0) / listen(2) without bind: a free port (Linux's
 * inet_csk_find_open_port). Odd offsets from a random start, so that
 * connect(2), which starts on even ones, keeps its half; with
 * SO_REUSEADDR the lower half of the range first. Returns the bucket
 * (NULL when the port has none yet) and the port, or 0. bhash_lock held.
 */
static int inet_csk_find_open_port(struct sock *sk,
				   struct inet_bind_bucket **tb_ret)
{
	struct net *net = sock_net(sk);
	struct inet_hashinfo *h = tcp_hashinfo(net);
	int attempt_half = sk->sk_reuse == SK_CAN_REUSE ? 1 : 0;
	int low, high, port, i, remaining, offset;
	struct inet_bind_bucket *tb;

other_half_scan:
	low = READ_ONCE(net->ipv4.sysctl_ip_local_port_range[0]);
	high = READ_ONCE(net->ipv4.sysctl_ip_local_port_range[1]) + 1;
	if (high - low < 4)
		attempt_half = 0;
	if (attempt_half) {
		int half = low + (((high - low) >> 2) << 1);

		if (attempt_half == 1)
			high = half;
		else
			low = half;
	}
	remaining = high - low;
	if (remaining <= 0)
		return 0;
	if (remaining > 1)
		remaining &= ~1;
	offset = (int)(net_random_u32(net) % (u32)remaining);
	offset |= 1;
other_parity_scan:
	port = low + offset;
	for (i = 0; i < remaining; i += 2, port += 2) {
		if (port >= high)
			port -= remaining;
		tb = inet_bind_bucket_get(h, (u16)port, false);
		if (!tb || !inet_csk_bind_conflict(sk, tb, false, false)) {
			*tb_ret = tb;
			return port;
		}
	}
	offset--;
	if (!(offset & 1))
		goto other_parity_scan;
	if (attempt_half == 1) {
		/* Nothing free in the lower half: scan the upper half. */
		attempt_half = 2;
		goto other_half_scan;
	}
	return 0;
}

/* Linux's inet_csk_update_fastreuse: what the bucket's owners allow. */
static void inet_csk_update_fastreuse(struct inet_bind_bucket *tb,
				      const struct sock *sk)
{
	bool reuse = sk->sk_reuse && sk->sk_state != TCP_LISTEN;

	if (!tb->owners.first) {
		tb->fastreuse = reuse;
		tb->fastreuseport = sk->sk_reuseport ? 1 : 0;
		return;
	}
	if (!reuse)
		tb->fastreuse = 0;
	if (!sk->sk_reuseport)
		tb->fastreuseport = 0;
	else if (tb->fastreuseport < 0)
		tb->fastreuseport = 1;
}

/**
 * inet_csk_get_port - proto->get_port of TCP
 * @snum: the port (host order), 0 for an ephemeral one
 *
 * Makes @sk an owner of the port unless an owner conflicts (see
 * inet_bind_conflict); called again by listen(2) for a bound socket, which
 * re-checks against owners that became listeners. 0 or -EADDRINUSE.
 */
int inet_csk_get_port(struct sock *sk, unsigned short snum)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	struct inet_bind_bucket *tb = NULL;
	int port = snum, ret = -EADDRINUSE;

	pthread_mutex_lock(&h->bhash_lock);
	if (!port) {
		port = inet_csk_find_open_port(sk, &tb);
		if (!port)
			goto out;
	} else {
		tb = inet_bind_bucket_get(h, (u16)port, false);
		if (tb && tb->owners.first && sk->sk_reuse != SK_FORCE_REUSE &&
		    inet_csk_bind_conflict(sk, tb, true, true))
			goto out;
	}
	if (!tb)
		tb = inet_bind_bucket_get(h, (u16)port, true);
	if (!tb)
		goto out;
	inet_csk_update_fastreuse(tb, sk);
	if (!inet_csk(sk)->icsk_bind_hash)
		inet_bind_hash(sk, tb, (u16)port);
	ret = 0;
out:
	pthread_mutex_unlock(&h->bhash_lock);
	return ret;
}

/* --- request socks -------------------------------------------------------------- */

/* A request sock for a SYN to @listener (referenced), one reference.
 * NULL on ENOMEM. */
struct request_sock *reqsk_alloc(struct sock *listener)
{
	struct net *net = sock_net(listener);
	struct request_sock *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->__req_common.skc_family = AF_INET;
	req->__req_common.skc_state = TCP_NEW_SYN_RECV;
	req->__req_common.skc_net = net;
	req->__req_common.skc_bound_dev_if = listener->sk_bound_dev_if;
	INIT_HLIST_NODE(&req->__req_common.skc_node);
	INIT_HLIST_NODE(&req->__req_common.skc_bind_node);
	sock_hold(listener);
	req->rsk_listener = listener;
	req->__req_common.skc_refcnt = 1;
	return req;
}

/* Drop @n references at once; the last frees the request and its
 * listener ref. (One subtraction: gcc -O3 cannot tell that a first
 * reqsk_put of two leaves the request alive, and warns.) */
static void reqsk_put_n(struct request_sock *req, u32 n)
{
	if (!n ||
	    __atomic_sub_fetch(&req->__req_common.skc_refcnt, n, __ATOMIC_ACQ_REL))
		return;
	SL_BUG_ON(req->rsk_timer.base && timer_pending(&req->rsk_timer),
		  "request sock freed with its timer armed");
	if (req->rsk_listener)
		sock_put(req->rsk_listener);
	free(req);
}

/* Drop a reference; the last frees the request and its listener ref. */
void reqsk_put(struct request_sock *req)
{
	reqsk_put_n(req, 1);
}

/* SYN-ACK timeout of the next retransmission: 1 s doubled per timeout,
 * capped at TCP_RTO_MAX (Linux's reqsk_timeout), in ns. */
u64 reqsk_timeout(const struct request_sock *req)
{
	u64 t = (u64)TCP_TIMEOUT_INIT * NSEC_PER_USEC;
	u64 max = (u64)TCP_RTO_MAX * NSEC_PER_USEC;
	unsigned int i;

	for (i = 0; i < req->num_timeout && t < max; i++)
		t <<= 1;
	return t < max ? t : max;
}

/* Linux's tcp_rtx_synack: resend the SYN-ACK, counted as a retransmission. */
static int tcp_rtx_synack(const struct sock *sk, struct request_sock *req)
{
	int res = tcp_send_synack(sk, req);

	if (!res) {
		TCP_INC_STATS(sock_net(sk), TCP_MIB_RETRANSSEGS);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPSYNRETRANS);
	}
	return res;
}

/* Resend the SYN-ACK of @req (timer, or a retransmitted SYN). 0 or -errno. */
int inet_rtx_syn_ack(const struct sock *parent, struct request_sock *req)
{
	req->num_retrans++;
	return tcp_rtx_synack(parent, req);
}

/* Out of ehash: true when this call did it (and dropped that reference). */
static bool reqsk_queue_unlink(struct request_sock *req)
{
	struct sock *sk = (struct sock *)req;
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	struct inet_ehash_bucket *head = inet_ehash_bucket(h, sk->sk_hash);
	bool found = false;

	write_lock(&head->lock);
	if (sk_hashed(sk)) {
		hlist_del_init(&sk->sk_node);
		found = true;
	}
	rwlock_unlock(&head->lock);
	if (found)
		__atomic_fetch_sub(&h->ehash_count, 1, __ATOMIC_RELAXED);
	return found;
}

static void reqsk_queue_removed(struct request_sock_queue *q,
				const struct request_sock *req)
{
	if (req->num_timeout == 0)
		__atomic_fetch_sub(&q->young, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&q->qlen, 1, __ATOMIC_RELAXED);
}

/* Linux's __inet_csk_reqsk_queue_drop: unhash, stop the timer (unless we
 * are its handler), leave the SYN queue. True when it was unhashed here. */
static bool __inet_csk_reqsk_queue_drop(struct sock *sk,
					struct request_sock *req,
					bool from_timer)
{
	bool unlinked = reqsk_queue_unlink(req);
	u32 puts = 0;

	if (!from_timer && del_timer_sync(&req->rsk_timer))
		puts++;                 /* the timer's reference */
	if (unlinked) {
		reqsk_queue_removed(inet_csk(sk)->icsk_accept_queue, req);
		puts++;                 /* the hash's reference */
	}
	reqsk_put_n(req, puts);
	return unlinked;
}

/* Forget @req: an RST, an ICMP error, a listener going away. The
 * caller keeps its own reference. True when this call unhashed it. */
bool inet_csk_reqsk_queue_drop(struct sock *sk, struct request_sock *req)
{
	return __inet_csk_reqsk_queue_drop(sk, req, false);
}

/* Same, and drop the caller's reference. */
void inet_csk_reqsk_queue_drop_and_put(struct sock *sk,
				       struct request_sock *req)
{
	inet_csk_reqsk_queue_drop(sk, req);
	reqsk_put(req);
}

/*
 * rsk_timer: retransmit the SYN-ACK until net.ipv4.tcp_synack_retries
 * (or TCP_SYNCNT of the listener) timeouts, then forget the request
 * (Linux's reqsk_timer_handler). Under a SYN flood the queue fills with
 * requests whose SYN-ACK went unanswered: when it is more than half full
 * and requests never retransmitted ("young") are a small share of it,
 * the retry budget shrinks (down to 2) so that stale requests leave
 * sooner and new SYNs find room. Softirq.
 */
static void reqsk_timer_handler(struct timer_list *t)
{
	struct request_sock *req = from_timer(req, t, rsk_timer);
	struct sock *sk_listener = req->rsk_listener;
	struct inet_connection_sock *icsk = inet_csk(sk_listener);
	struct request_sock_queue *queue = icsk->icsk_accept_queue;
	struct net *net = sock_net(sk_listener);
	int max_syn_ack_retries, qlen, expire;

	if (sk_listener->sk_state != TCP_LISTEN)
		goto drop;
	max_syn_ack_retries = icsk->icsk_syn_retries ?
		icsk->icsk_syn_retries :
		READ_ONCE(net->ipv4.sysctl_tcp_synack_retries);
	qlen = (int)READ_ONCE(queue->qlen);
	if ((qlen << 1) > (sk_listener->sk_max_ack_backlog > 8 ?
			   sk_listener->sk_max_ack_backlog : 8)) {
		int young = (int)READ_ONCE(queue->young) << 1;

		while (max_syn_ack_retries > 2) {
			if (qlen < young)
				break;
			max_syn_ack_retries--;
			young <<= 1;
		}
	}
	expire = req->num_timeout >= max_syn_ack_retries;
	/* tcp_syn_ack_timeout */
	NET_INC_STATS(net, LINUX_MIB_TCPTIMEOUTS);
	if (!expire && (!inet_rtx_syn_ack(sk_listener, req) || req->acked)) {
		if (req->num_timeout++ == 0)
			__atomic_fetch_sub(&queue->young, 1, __ATOMIC_RELAXED);
		mod_timer(&req->rsk_timer, net_now(net) + reqsk_timeout(req));
		return;
	}
drop:
	__inet_csk_reqsk_queue_drop(sk_listener, req, true);
	reqsk_put(req);   /* the timer's reference */
}

/*
 * A new request in the SYN queue: into ehash (found by the handshake's
 * final ACK), SYN-ACK timer armed for @timeout ns. Takes its own
 * references; false when the 4-tuple is already in ehash.
 */
bool inet_csk_reqsk_queue_hash_add(struct sock *sk, struct request_sock *req,
				   u64 timeout)
{
	struct request_sock_queue *q = inet_csk(sk)->icsk_accept_queue;

	timer_setup(&req->rsk_timer, reqsk_timer_handler, sock_net(sk)->timers);
	if (inet_ehash_insert((struct sock *)req, NULL))
		return false;
	__atomic_fetch_add(&req->__req_common.skc_refcnt, 1, __ATOMIC_RELAXED);
	mod_timer(&req->rsk_timer, net_now(sock_net(sk)) + timeout);
	__atomic_fetch_add(&q->qlen, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&q->young, 1, __ATOMIC_RELAXED);
	return true;
}

/* --- the accept queue ----------------------------------------------------------- */

/* Linux's inet_child_forget: a child nobody will accept — disconnect
 * (a RST for a synchronized connection), orphan and destroy it. The
 * caller holds the child's lock and a reference. */
static void inet_child_forget(struct sock *sk, struct request_sock *req,
			      struct sock *child)
{
	sk->sk_prot->disconnect(child, O_NONBLOCK);
	sock_orphan(child);
	inet_csk_destroy_sock(child);
}

/**
 * inet_csk_reqsk_queue_add - a completed connection waits for accept(2)
 * @req: its request sock (the caller's reference moves to the queue)
 * @child: the new socket, locked by the caller
 *
 * Returns @child, or NULL when the listener is no longer listening (the
 * child was forgotten; @req's reference is still the caller's).
 */
struct sock *inet_csk_reqsk_queue_add(struct sock *sk, struct request_sock *req,
				      struct sock *child)
{
	struct request_sock_queue *queue = inet_csk(sk)->icsk_accept_queue;

	rskq_lock(queue);
	if (sk->sk_state != TCP_LISTEN) {
		rskq_unlock(queue);
		inet_child_forget(sk, req, child);
		return NULL;
	}
	req->sk = child;
	req->dl_next = NULL;
	if (!queue->rskq_accept_head)
		queue->rskq_accept_head = req;
	else
		queue->rskq_accept_tail->dl_next = req;
	queue->rskq_accept_tail = req;
	__atomic_fetch_add(&sk->sk_ack_backlog, 1, __ATOMIC_RELAXED);
	rskq_unlock(queue);
	return child;
}

static struct request_sock *reqsk_queue_remove(struct request_sock_queue *q,
					       struct sock *parent)
{
	struct request_sock *req;

	rskq_lock(q);
	req = q->rskq_accept_head;
	if (req) {
		__atomic_fetch_sub(&parent->sk_ack_backlog, 1, __ATOMIC_RELAXED);
		q->rskq_accept_head = req->dl_next;
		if (!q->rskq_accept_head)
			q->rskq_accept_tail = NULL;
	}
	rskq_unlock(q);
	return req;
}

static bool reqsk_queue_empty(const struct request_sock_queue *q)
{
	return READ_ONCE(q->rskq_accept_head) == NULL;
}

/**
 * inet_csk_accept - proto->accept: the next completed connection
 * @flags: O_NONBLOCK for -EAGAIN instead of waiting
 *
 * Waits up to SO_RCVTIMEO (-EAGAIN when it runs out). -EINVAL when @sk
 * is not listening (or stops while we wait). Returns the child with the
 * reference its struct socket will own.
 */
struct sock *inet_csk_accept(struct sock *sk, int flags, int *err, bool kern)
{
	struct request_sock_queue *queue = inet_csk(sk)->icsk_accept_queue;
	struct request_sock *req = NULL;
	struct sock *newsk = NULL;
	int error;
	s64 timeo;

	lock_sock(sk);
	error = -EINVAL;
	if (sk->sk_state != TCP_LISTEN)
		goto out_err;
	if (reqsk_queue_empty(queue)) {
		timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
		error = -EAGAIN;
		if (!timeo)
			goto out_err;
		for (;;) {
			sk_wait_event(sk, &timeo, !reqsk_queue_empty(queue) ||
						  sk->sk_state != TCP_LISTEN);
			error = 0;
			if (!reqsk_queue_empty(queue))
				break;
			error = -EINVAL;
			if (sk->sk_state != TCP_LISTEN)
				goto out_err;
			error = -EAGAIN;
			if (timeo <= 0)
				goto out_err;
		}
	}
	req = reqsk_queue_remove(queue, sk);
	newsk = req->sk;
out:
	release_sock(sk);
	if (req)
		reqsk_put(req);
	return newsk;
out_err:
	newsk = NULL;
	req = NULL;
	*err = error;
	goto out;
}

/* --- listening --------------------------------------------------------------------- */

/**
 * inet_csk_listen_start - move to LISTEN and into the listening hash
 *
 * The port is checked again (a SO_REUSEADDR neighbour that now listens
 * conflicts), or picked when the socket was never bound. 0 or
 * -EADDRINUSE (state back to CLOSE).
 */
int inet_csk_listen_start(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct inet_sock *inet = inet_sk(sk);
	int err;

	/* The accept queue only listeners need: out of line (issue 3),
	 * freed with the sock (tcp_sock_destruct), since request socks may
	 * still reach it after close. */
	if (!icsk->icsk_accept_queue) {
		icsk->icsk_accept_queue = calloc(1, sizeof(*icsk->icsk_accept_queue));
		if (!icsk->icsk_accept_queue)
			return -ENOMEM;
	} else {
		memset(icsk->icsk_accept_queue, 0,
		       sizeof(*icsk->icsk_accept_queue));
	}
	sk->sk_ack_backlog = 0;
	memset(&icsk->icsk_ack, 0, sizeof(icsk->icsk_ack));
	/* A listener never has data in transit. */
	tcp_xfer_put_idle(sk);
	/* LISTEN must be set before get_port re-checks the port, since
	 * the conflict rules differ for listeners. Nothing can find the
	 * socket in this state until hash() below, which runs only once
	 * the port check passed. */
	sk->sk_state = TCP_LISTEN;
	err = sk->sk_prot->get_port(sk, inet->inet_num);
	if (!err) {
		inet->inet_sport = htons(inet->inet_num);
		sk_dst_reset(sk);
		err = sk->sk_prot->hash(sk);
		if (!err)
			return 0;
	}
	sk->sk_state = TCP_CLOSE;
	return err;
}

/* The next pending request of listener @sk in ehash, referenced. */
static struct request_sock *inet_csk_next_req(struct inet_hashinfo *h,
					      u32 bucket, const struct sock *sk)
{
	struct request_sock *req = NULL;
	struct sock *s;

	read_lock(&h->ehash[bucket].lock);
	hlist_for_each_entry(s, &h->ehash[bucket].chain, sk_node) {
		if (s->sk_state == TCP_NEW_SYN_RECV &&
		    (!sk || ((struct request_sock *)s)->rsk_listener == sk)) {
			req = (struct request_sock *)s;
			sock_gen_hold(s);
			break;
		}
	}
	rwlock_unlock(&h->ehash[bucket].lock);
	return req;
}

/* Drop every pending request of @sk (NULL: of every listener). */
void inet_csk_reqsk_purge(struct inet_hashinfo *h, struct sock *sk)
{
	struct request_sock *req;
	u32 i;

	for (i = 0; i <= h->ehash_mask; i++)
		while ((req = inet_csk_next_req(h, i, sk)) != NULL)
			inet_csk_reqsk_queue_drop_and_put(req->rsk_listener, req);
}

/**
 * inet_csk_listen_stop - close of a listener
 *
 * Children waiting in the accept queue are disconnected (a RST each, as
 * Linux's inet_child_forget), orphaned and destroyed; requests still in
 * the SYN queue are dropped (Linux lets their timer or next segment find
 * the listener gone; dropping them now frees the listener at once).
 * The caller has moved @sk out of LISTEN and owns it.
 */
void inet_csk_listen_stop(struct sock *sk)
{
	struct request_sock_queue *queue = inet_csk(sk)->icsk_accept_queue;
	struct request_sock *req;
	struct sock *child;

	while ((req = reqsk_queue_remove(queue, sk)) != NULL) {
		child = req->sk;
		bh_lock_sock(child);
		sock_hold(child);
		inet_child_forget(sk, req, child);
		reqsk_put(req);
		bh_unlock_sock(child);
		sock_put(child);
	}
	if (READ_ONCE(queue->qlen))
		inet_csk_reqsk_purge(tcp_hashinfo(sock_net(sk)), sk);
}

/* --- children ------------------------------------------------------------------------ */

/* Reset what must not be shared with the listener a child was copied from. */
static void inet_csk_clone_reset(struct sock *newsk, struct net *net)
{
	struct inet_connection_sock *newicsk = inet_csk(newsk);
	struct tcp_sock *newtp = tcp_sk(newsk);

	newsk->sk_refcnt = 2;   /* ours and the one the caller passes on */
	newsk->sk_lock.slock = 0;
	newsk->sk_lock.owned = 0;
	memset(&newsk->sk_backlog, 0, sizeof(newsk->sk_backlog));
	INIT_HLIST_NODE(&newsk->sk_node);
	INIT_HLIST_NODE(&newsk->sk_bind_node);
	skb_queue_head_init(&newsk->sk_receive_queue);
	skb_queue_head_init(&newsk->sk_write_queue);
	newsk->sk_error_queue = NULL;     /* the listener's, if any */
	newsk->sk_rmem_alloc = 0;
	newsk->sk_wmem_alloc = 0;
	newsk->sk_wmem_queued = 0;
	newsk->sk_drops = 0;
	newsk->sk_err = 0;
	newsk->sk_err_soft = 0;
	newsk->sk_shutdown = 0;
	newsk->sk_ack_backlog = 0;
	newsk->sk_max_ack_backlog = 0;
	newsk->sk_dst_cache = NULL;
	newsk->sk_socket = NULL;
	newsk->sk_wq = NULL;
	sock_reset_flag(newsk, SOCK_DEAD);
	sock_reset_flag(newsk, SOCK_DONE);
	timer_setup(&newsk->sk_timer, NULL, net->timers);

	newicsk->icsk_accept_queue = NULL;   /* the listener's */
	newicsk->icsk_bind_hash = NULL;
	newicsk->icsk_pending = 0;
	newicsk->icsk_ev_armed = 0;
	newicsk->icsk_retransmits = 0;
	newicsk->icsk_backoff = 0;
	newicsk->icsk_probes_out = 0;
	newicsk->icsk_probes_tstamp = 0;
	newicsk->icsk_ca_initialized = 0;
	newicsk->icsk_ca_state = 0;
	memset(newicsk->icsk_ca_priv, 0, sizeof(newicsk->icsk_ca_priv));
	memset(&newicsk->icsk_ack, 0, sizeof(newicsk->icsk_ack));

	tcp_xfer_init(newtp);   /* nothing in transit yet (the listener's
				 * pointer must not be shared) */
	tcp_ext_clone(newsk);   /* a copy of the listener's options */
	newtp->tsq_flags = 0;
}

/**
 * inet_csk_clone_lock - a new socket for an accepted connection
 *
 * A copy of the listener (options, buffers, congestion control choice,
 * tcp_init_sock's defaults) in state SYN_RECV with @req's ports; queues,
 * timers, locks and counters fresh. Returned with bh_lock_sock held and
 * two references (the caller's and the one accept(2) hands to the
 * struct socket). NULL on ENOMEM.
 */
struct sock *inet_csk_clone_lock(const struct sock *sk,
				 const struct request_sock *req)
{
	struct net *net = sock_net(sk);
	struct sock *newsk = sk_alloc(net, sk->sk_family, sk->sk_prot);

	if (!newsk)
		return NULL;
	/* sk_alloc counted the sock and took a stack reference; the copy
	 * keeps both (same net pointer). */
	memcpy((void *)newsk, (const void *)sk, sk->sk_prot->obj_size);
	inet_csk_clone_reset(newsk, net);
	newsk->sk_state = TCP_SYN_RECV;
	inet_sk(newsk)->inet_dport = req->ir_rmt_port;
	inet_sk(newsk)->inet_num = req->ir_num;
	inet_sk(newsk)->inet_sport = htons(req->ir_num);
	bh_lock_sock(newsk);
	return newsk;
}

/**
 * inet_csk_destroy_sock - the end of a closed, orphaned connection socket
 *
 * proto->destroy (timers, queues, congestion control, port), the receive
 * queue, then the caller's reference. State must be TCP_CLOSE, the sock
 * dead and unhashed.
 */
void inet_csk_destroy_sock(struct sock *sk)
{
	SL_BUG_ON(sk->sk_state != TCP_CLOSE, "destroying a sock not closed");
	SL_BUG_ON(!sock_flag(sk, SOCK_DEAD), "destroying a sock not orphaned");
	SL_BUG_ON(sk_hashed(sk), "destroying a hashed sock");
	sk->sk_prot->destroy(sk);
	skb_queue_purge(&sk->sk_receive_queue);
	sk_error_queue_purge(sk);
	sock_put(sk);
}

/* --- xmit timers --------------------------------------------------------------------- */

/*
 * One timer per socket, sk_timer, carries every connection timer event:
 *  - ICSK_EV_XMIT: the event icsk_pending names (RTO, probe0, TLP, RACK
 *    reordering) at icsk_timeout; Linux already multiplexes these four on
 *    icsk_retransmit_timer;
 *  - ICSK_EV_DACK: the delayed ACK at icsk_ack.timeout;
 *  - ICSK_EV_KEEPALIVE: keepalive or an orphan's FIN_WAIT2 lifetime at
 *    icsk_ka_timeout (Linux's sk_timer).
 * Linux gives each of the three a timer_list; folding them into one saves
 * two per socket (issue 3: memory per idle connection). Bit ev of
 * icsk_ev_armed says event ev is armed, as timer_pending would for its own
 * timer: set when armed, cleared when it is stopped or fires. sk_timer is
 * armed for the earliest armed event; tcp_timer fires the due events in
 * (deadline, arming order) order, as three timers would, and re-arms for
 * the rest. As Linux's sk_reset_timer, the armed timer holds a reference
 * on the socket, dropped by its handler.
 *
 * The socket's owner (or softirq under bh_lock_sock) arms and stops
 * events, while the timer handler, finding the socket owned, clears the
 * bits of the events it defers: the bits change atomically, and
 * inet_csk_timer_sync computes and arms under ICSK_EV_LOCK so that the
 * last sync to run sees every event armed before it.
 */
#define ICSK_EV_LOCK 0x80       /* in icsk_ev_armed: a sync is running */
/* A timer due within this is left to fire early rather than moved. */
#define INET_CSK_LAZY_NS (2 * NSEC_PER_SEC)

static void icsk_ev_lock(struct inet_connection_sock *icsk)
{
	unsigned int spins = 0;

	while (__atomic_fetch_or(&icsk->icsk_ev_armed, ICSK_EV_LOCK,
				 __ATOMIC_ACQUIRE) & ICSK_EV_LOCK)
		if (++spins > 64)
			sched_yield();
}

static void icsk_ev_unlock(struct inet_connection_sock *icsk)
{
	__atomic_fetch_and(&icsk->icsk_ev_armed, (u8)~ICSK_EV_LOCK,
			   __ATOMIC_RELEASE);
}

/* Is event @ev (ICSK_EV_*) armed? */
bool inet_csk_ev_pending(const struct sock *sk, int ev)
{
	return READ_ONCE(inet_csk(sk)->icsk_ev_armed) & (1u << ev);
}

/* Deadline of event @ev (ns on the stack clock), armed or not. */
u64 inet_csk_ev_deadline(const struct sock *sk, int ev)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);

	switch (ev) {
	case ICSK_EV_XMIT:
		return icsk->icsk_timeout;
	case ICSK_EV_DACK:
		return icsk->icsk_ack.timeout;
	default:
		return icsk->icsk_ka_timeout;
	}
}

/**
 * inet_csk_next_event - the armed event that fires first (ICSK_EV_*), or
 * -1: earliest deadline, then earliest armed. With @due, only events
 * whose deadline is <= @now.
 */
int inet_csk_next_event(const struct sock *sk, u64 now, bool due)
{
	const u8 *order = inet_csk(sk)->icsk_ev_order;
	u64 best_d = 0, d;
	int best = -1, ev;

	for (ev = 0; ev < ICSK_EV_MAX; ev++) {
		if (!inet_csk_ev_pending(sk, ev))
			continue;
		d = inet_csk_ev_deadline(sk, ev);
		if (due && d > now)
			continue;
		if (best < 0 || d < best_d ||
		    (d == best_d && order[ev] < order[best])) {
			best = ev;
			best_d = d;
		}
	}
	return best;
}

/**
 * inet_csk_timer_sync - arm sk_timer for the earliest armed event, or
 * stop it (dropping its reference) when none is armed. @ev is the event
 * just (re)armed, -1 if none: like a separate timer given to mod_timer,
 * it takes a fresh place in the stack's arming order.
 */
static void __inet_csk_timer_sync(struct sock *sk, int ev, bool lazy)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct timer_list *t = &sk->sk_timer;
	int next, put = 0;
	u64 when;

	/* No handler installed (tcp_init_xmit_timers): nothing to run. */
	if (!t->base || !t->function)
		return;
	icsk_ev_lock(icsk);
	next = inet_csk_next_event(sk, 0, false);
	when = next < 0 ? UINT64_MAX : inet_csk_ev_deadline(sk, next);
	/*
	 * Lazy: a pending timer due soon and no later than needed is left
	 * alone, as Linux leaves a cleared delayed-ACK timer to expire: its
	 * handler finds nothing due and re-arms for what is left. A data
	 * flow re-arms the retransmit timer later and stops it on every
	 * ACK; this saves the wheel two updates per segment.
	 */
	if (lazy && timer_pending(t) && t->expires < when &&
	    t->expires <= net_now(sock_net(sk)) + INET_CSK_LAZY_NS) {
		icsk_ev_unlock(icsk);
		return;
	}
	if (next < 0) {
		put = del_timer(t);
	} else {
		if (!timer_pending(t) || t->expires != when ||
		    (ev >= 0 && inet_csk_ev_deadline(sk, ev) == when))
			if (!mod_timer(t, when))
				sock_hold(sk);
	}
	icsk_ev_unlock(icsk);
	if (put)
		sock_put(sk);
}

void inet_csk_timer_sync(struct sock *sk, int ev)
{
	__inet_csk_timer_sync(sk, ev, false);
}

/**
 * inet_csk_ev_arm - arm event @ev for the deadline the caller stored
 * (icsk_timeout, icsk_ack.timeout or icsk_ka_timeout). It becomes the
 * last in arming order (icsk_ev_order is a permutation, latest highest).
 */
void inet_csk_ev_arm(struct sock *sk, int ev)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	u8 *order = icsk->icsk_ev_order;
	int e;

	for (e = 0; e < ICSK_EV_MAX; e++)
		if (order[e] > order[ev])
			order[e]--;
	order[ev] = ICSK_EV_MAX - 1;
	__atomic_fetch_or(&icsk->icsk_ev_armed, (u8)(1u << ev),
			  __ATOMIC_RELEASE);
	__inet_csk_timer_sync(sk, ev, true);
}

/* Stop event @ev (re-arming sk_timer for the others). */
void inet_csk_ev_stop(struct sock *sk, int ev)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (!inet_csk_ev_pending(sk, ev))
		return;
	__atomic_fetch_and(&icsk->icsk_ev_armed, (u8)~(1u << ev),
			   __ATOMIC_RELEASE);
	__inet_csk_timer_sync(sk, -1, true);
}

/* Give sk_timer its handler (tcp_init_xmit_timers); no event armed. */
void inet_csk_init_xmit_timers(struct sock *sk,
			       void (*handler)(struct timer_list *))
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int ev;

	timer_setup(&sk->sk_timer, handler, sock_net(sk)->timers);
	for (ev = 0; ev < ICSK_EV_MAX; ev++)
		icsk->icsk_ev_order[ev] = (u8)ev;
	icsk->icsk_ev_armed = 0;
	icsk->icsk_pending = 0;
	icsk->icsk_ack.pending = 0;
}

/* Stop every timer event (and drop the reference the timer held). */
void inet_csk_clear_xmit_timers(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	icsk->icsk_pending = 0;
	icsk->icsk_ack.pending = 0;
	icsk->icsk_ack.retry = 0;
	__atomic_fetch_and(&icsk->icsk_ev_armed, (u8)ICSK_EV_LOCK,
			   __ATOMIC_RELEASE);
	inet_csk_timer_sync(sk, -1);
}

/**
 * inet_csk_reset_keepalive_timer - arm the keepalive event @len_ns from
 * now (keepalive, or an orphan's FIN_WAIT2 lifetime).
 */
void inet_csk_reset_keepalive_timer(struct sock *sk, u64 len_ns)
{
	inet_csk(sk)->icsk_ka_timeout = net_now(sock_net(sk)) + len_ns;
	inet_csk_ev_arm(sk, ICSK_EV_KEEPALIVE);
}

/* Stop the keepalive event. */
void inet_csk_delete_keepalive_timer(struct sock *sk)
{
	inet_csk_ev_stop(sk, ICSK_EV_KEEPALIVE);
}

/**
 * inet_csk_reset_xmit_timer - arm an xmit timer
 * @what: ICSK_TIME_RETRANS, _PROBE0, _LOSS_PROBE, _REO_TIMEOUT (the
 *        retransmit timer) or ICSK_TIME_DACK (the delayed-ACK timer)
 * @when: ns from now, capped at @max_when
 */
void inet_csk_reset_xmit_timer(struct sock *sk, int what, u64 when,
			       u64 max_when)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	u64 now = net_now(sock_net(sk));

	if (when > max_when)
		when = max_when;
	if (what == ICSK_TIME_RETRANS || what == ICSK_TIME_PROBE0 ||
	    what == ICSK_TIME_LOSS_PROBE || what == ICSK_TIME_REO_TIMEOUT) {
		icsk->icsk_pending = (u8)what;
		icsk->icsk_timeout = now + when;
		inet_csk_ev_arm(sk, ICSK_EV_XMIT);
	} else if (what == ICSK_TIME_DACK) {
		icsk->icsk_ack.pending |= ICSK_ACK_TIMER;
		icsk->icsk_ack.timeout = now + when;
		inet_csk_ev_arm(sk, ICSK_EV_DACK);
	}
}

/* Disarm an xmit timer event (Linux leaves its timer to fire idle; we
 * re-arm for the next event or stop, so a virtual clock has nothing
 * spurious to run). */
void inet_csk_clear_xmit_timer(struct sock *sk, int what)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (what == ICSK_TIME_RETRANS || what == ICSK_TIME_PROBE0 ||
	    what == ICSK_TIME_LOSS_PROBE || what == ICSK_TIME_REO_TIMEOUT) {
		icsk->icsk_pending = 0;
		inet_csk_ev_stop(sk, ICSK_EV_XMIT);
	} else if (what == ICSK_TIME_DACK) {
		icsk->icsk_ack.pending = 0;
		icsk->icsk_ack.retry = 0;
		inet_csk_ev_stop(sk, ICSK_EV_DACK);
	}
}
