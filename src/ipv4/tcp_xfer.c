/*
 * The parts of tcp_sock an idle connection does not need, out of line:
 * the state of data in transit (struct tcp_xfer) and the options and
 * statistics most connections leave at zero (struct tcp_ext), sl/tcp.h.
 *
 * Linux keeps the retransmission and out-of-order queues, the SACK blocks
 * to send and the per-flight RACK/TLP/PRR/rate-sampling state in every
 * tcp_sock. An idle connection uses none of it, so here it lives in a
 * block that exists only while the connection has data in transit (issue
 * 3: at most 1 KB per idle established connection):
 *
 *   tcp_init_sock: a first block (the SYN or the first data needs it)
 *   -> tcp_xfer_get before data is queued to send (tcp_sendmsg, FIN, SYN),
 *      before an out-of-order segment is queued, before a D-SACK is noted
 *   -> tcp_xfer_put_idle after each segment (tcp_v4_do_rcv): the block
 *      goes back once nothing is queued, in flight or to be SACKed
 *   -> tcp_xfer_free on disconnect and destroy (and, for a sock freed
 *      without its protocol's destroy, tcp_sock_destruct).
 *
 * Meanwhile tp->xfer points to tcp_xfer_idle: const, so it sits in
 * read-only memory; its queues are empty and every number zero, which is
 * what a quiescent connection would read. A writer that forgot
 * tcp_xfer_get faults at once instead of corrupting a shared block.
 *
 * Context: socket owned or bh_lock_sock held, as for every tp field.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl/tcp.h"

/* Empty queue heads point to themselves. */
#define IDLE_QUEUE(q) { .next = (struct sk_buff *)&tcp_xfer_idle.q, \
			.prev = (struct sk_buff *)&tcp_xfer_idle.q }

const struct tcp_xfer tcp_xfer_idle = {
	.tcp_rtx_queue = IDLE_QUEUE(tcp_rtx_queue),
	.out_of_order_queue = IDLE_QUEUE(out_of_order_queue),
};

/*
 * The per-stack cache of free blocks. Bounded: a burst of connections
 * that all went quiet gives the memory back to malloc beyond the cap.
 */
#define TCP_XFER_CACHE_MAX 256

static struct tcp_xfer *tcp_xfer_alloc(struct net *net)
{
	struct tcp_xfer *x = NULL;

	if (__atomic_load_n(&net->ipv4.tcp_xfer_nfree, __ATOMIC_RELAXED)) {
		spin_lock(&net->ipv4.tcp_xfer_lock);
		x = net->ipv4.tcp_xfer_free;
		if (x) {
			net->ipv4.tcp_xfer_free = *(void **)x;
			net->ipv4.tcp_xfer_nfree--;
		}
		spin_unlock(&net->ipv4.tcp_xfer_lock);
	}
	if (x)
		memset(x, 0, sizeof(*x));
	else
		x = calloc(1, sizeof(*x));
	return x;
}

static void tcp_xfer_release(struct net *net, struct tcp_xfer *x)
{
	spin_lock(&net->ipv4.tcp_xfer_lock);
	if (!net->ipv4.tcp_xfer_dead &&
	    net->ipv4.tcp_xfer_nfree < TCP_XFER_CACHE_MAX) {
		*(void **)x = net->ipv4.tcp_xfer_free;
		net->ipv4.tcp_xfer_free = x;
		net->ipv4.tcp_xfer_nfree++;
		x = NULL;
	}
	spin_unlock(&net->ipv4.tcp_xfer_lock);
	free(x);
}

/* Stack teardown (tcp_sk_exit): empty the cache; later puts free(). */
void tcp_xfer_cache_exit(struct net *net)
{
	void *x, *next;

	spin_lock(&net->ipv4.tcp_xfer_lock);
	net->ipv4.tcp_xfer_dead = true;
	x = net->ipv4.tcp_xfer_free;
	net->ipv4.tcp_xfer_free = NULL;
	net->ipv4.tcp_xfer_nfree = 0;
	spin_unlock(&net->ipv4.tcp_xfer_lock);
	for (; x; x = next) {
		next = *(void **)x;
		free(x);
	}
}

/**
 * tcp_xfer_get - make sure @sk has its own transfer state
 *
 * Returns 0, or -ENOMEM (tp->xfer is still the idle block then: the
 * caller drops what it wanted to queue, as for a failed skb allocation).
 */
int tcp_xfer_get(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_xfer *x;

	if (likely(tcp_xfer_active(tp)))
		return 0;
	x = tcp_xfer_alloc(sock_net(sk));
	if (!x)
		return -ENOMEM;
	skb_queue_head_init(&x->tcp_rtx_queue);
	skb_queue_head_init(&x->out_of_order_queue);
	/* As tcp_clear_retrans leaves it (read only while sacked_out). */
	x->highest_sack_end = tp->snd_una;
	tp->xfer = x;
	return 0;
}

/* Nothing queued, in flight, reordered or to be SACKed; no TLP episode,
 * no recovery under way: every field of the block is dead. */
static bool tcp_xfer_quiescent(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	const struct tcp_xfer *x = tp->xfer;

	return skb_queue_empty(&sk->sk_write_queue) &&
	       skb_queue_empty(&x->tcp_rtx_queue) &&
	       skb_queue_empty(&x->out_of_order_queue) &&
	       !tp->rx_opt.num_sacks && !tp->rx_opt.dsack &&
	       !x->tlp_high_seq &&
	       inet_csk(sk)->icsk_ca_state == TCP_CA_Open;
}

/**
 * tcp_xfer_put_idle - give the transfer state back if @sk is quiescent
 *
 * Cheap when it is not (the first queue test fails): called after every
 * segment. Nobody may hold a pointer into the block across the call.
 */
void tcp_xfer_put_idle(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!tcp_xfer_active(tp) || !tcp_xfer_quiescent(sk))
		return;
	tcp_xfer_release(sock_net(sk), tp->xfer);
	tcp_xfer_init(tp);
}

/**
 * tcp_xfer_free - drop the transfer state whatever it holds: the skbs
 * left on its queues are freed (the caller purged what it accounts for).
 * Disconnect and destroy; afterwards tp->xfer is the idle block.
 */
void tcp_xfer_free(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_xfer *x = tp->xfer;

	if (!tcp_xfer_active(tp))
		return;
	__skb_queue_purge(&x->tcp_rtx_queue);
	__skb_queue_purge(&x->out_of_order_queue);
	tcp_xfer_release(sock_net(sk), x);
	tcp_xfer_init(tp);
}

/**
 * tcp_sock_destruct - sk_destruct of TCP socks (sk_free, last reference):
 * whatever transfer state is left, the options and statistics block, and
 * a listener's accept queue, go with the sock.
 */
void tcp_sock_destruct(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* A sock freed without its protocol's destroy: its congestion
	 * control may hold memory (CUBIC's state). No-op after destroy. */
	tcp_cleanup_congestion_control(sk);
	tcp_xfer_free(sk);
	if (tcp_ext_active(tp))
		free(tp->ext);
	tp->ext = (struct tcp_ext *)&tcp_ext_idle;
	/* A listener's accept queue (inet_csk_listen_start): request socks
	 * hold the listener, so nothing reaches the queue any more. */
	free(inet_csk(sk)->icsk_accept_queue);
	inet_csk(sk)->icsk_accept_queue = NULL;
}

/* --- struct tcp_ext: options and statistics left at zero ------------------ */

const struct tcp_ext tcp_ext_idle = { .bytes_received = 0 };

/*
 * (See sl/tcp.h.) Softirq counts data_segs_in under bh_lock_sock even
 * while the user owns the socket (as Linux), so two threads may get here
 * at once: the block is published with a compare-and-swap, and a loser
 * frees its own. It is freed only with the sock, so lockless readers
 * (poll: notsent_lowat) are safe.
 */
struct tcp_ext *tcp_ext_get(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_ext *cur = __atomic_load_n(&tp->ext, __ATOMIC_ACQUIRE);
	struct tcp_ext *x;

	if (likely(cur != &tcp_ext_idle))
		return cur;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	if (__atomic_compare_exchange_n(&tp->ext, &cur, x, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return x;
	free(x);
	return cur;
}

/* (See sl/tcp.h.) Called on the copy of the listener (its pointer). */
void tcp_ext_clone(struct sock *newsk)
{
	struct tcp_sock *newtp = tcp_sk(newsk);
	const struct tcp_ext *l = newtp->ext;
	struct tcp_ext *x;

	newtp->ext = (struct tcp_ext *)&tcp_ext_idle;
	if (l == &tcp_ext_idle)
		return;
	/* Without memory the child runs on the stack's defaults. */
	x = tcp_ext_get(newsk);
	if (!x)
		return;
	x->keepalive_probes = l->keepalive_probes;
	x->defer_accept = l->defer_accept;
	x->keepalive_time = l->keepalive_time;
	x->keepalive_intvl = l->keepalive_intvl;
	x->linger2 = l->linger2;
	x->notsent_lowat = l->notsent_lowat;
	x->user_timeout = l->user_timeout;
}

/* (See sl/tcp.h.) */
void tcp_ext_reset_stats(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_ext *x = tp->ext;

	if (!tcp_ext_active(tp))
		return;
	x->bytes_received = x->bytes_sent = x->bytes_retrans = 0;
	x->data_segs_in = x->data_segs_out = 0;
	x->rcv_ooopack = 0;
}
