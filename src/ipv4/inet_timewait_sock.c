/*
 * Timewait sockets (Linux's net/ipv4/inet_timewait_sock.c): allocation,
 * the hash dance that puts one in place of a full socket, the TIME_WAIT
 * timer, and the ways out (timer expiry, RST, reuse of the 4-tuple by a
 * new connection, stack teardown).
 *
 * References: tw_hashed = the tables' one (ehash + bind bucket together),
 * one for the armed tw_timer, one per lookup. inet_twsk_kill drops the
 * tables' one, whoever gets there first; the last inet_twsk_put frees.
 */
#include <stdlib.h>

#include "sl/inet_connection_sock.h"
#include "sl/inet_hashtables.h"
#include "sl/inet_sock.h"
#include "sl/inet_timewait_sock.h"
#include "sl/net_namespace.h"
#include "sl/snmp.h"
#include "sl/tcp.h"

/* Drop a reference; the last one frees the sock. */
void inet_twsk_put(struct inet_timewait_sock *tw)
{
	struct inet_hashinfo *h;

	if (__atomic_sub_fetch(&tw->tw_refcnt, 1, __ATOMIC_ACQ_REL))
		return;
	h = tcp_hashinfo(tw->tw_net);
	if (h)
		__atomic_fetch_sub(&h->tw_count, 1, __ATOMIC_RELAXED);
	free(tw);
}

/* Leave the bind bucket (bhash_lock held); the bucket goes when empty. */
void inet_twsk_unbind_locked(struct inet_timewait_sock *tw)
{
	struct inet_bind_bucket *tb = tw->tw_tb;

	if (!tb)
		return;
	hlist_del_init(&tw->tw_bind_node);
	tw->tw_tb = NULL;
	inet_bind_bucket_destroy(tb);
}

/* Out of ehash and the bind bucket; drop the tables' reference once. */
static void inet_twsk_kill(struct inet_timewait_sock *tw)
{
	struct inet_hashinfo *h = tcp_hashinfo(tw->tw_net);
	struct inet_ehash_bucket *head = inet_ehash_bucket(h, tw->tw_hash);
	bool was_hashed = false;

	write_lock(&head->lock);
	if (!hlist_unhashed(&tw->tw_node)) {
		hlist_del_init(&tw->tw_node);
		was_hashed = true;
	}
	rwlock_unlock(&head->lock);
	if (was_hashed)
		__atomic_fetch_sub(&h->ehash_count, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&h->bhash_lock);
	inet_twsk_unbind_locked(tw);
	pthread_mutex_unlock(&h->bhash_lock);
	if (__atomic_exchange_n(&tw->tw_hashed, 0, __ATOMIC_ACQ_REL))
		inet_twsk_put(tw);
}

/* The end of TIME_WAIT (or of the FIN_WAIT2 timeout). Softirq. */
static void tw_timer_handler(struct timer_list *t)
{
	struct inet_timewait_sock *tw = from_timer(tw, t, tw_timer);

	NET_INC_STATS(tw->tw_net, tw->tw_kill ? LINUX_MIB_TWKILLED : LINUX_MIB_TW);
	inet_twsk_kill(tw);
	inet_twsk_put(tw);   /* the timer's reference */
}

/* Kill now (RST in TIME_WAIT, 4-tuple reuse), then drop the caller's
 * reference. */
void inet_twsk_deschedule_put(struct inet_timewait_sock *tw)
{
	if (del_timer_sync(&tw->tw_timer)) {
		inet_twsk_kill(tw);
		inet_twsk_put(tw);   /* the timer's reference */
	} else {
		inet_twsk_kill(tw);
	}
	inet_twsk_put(tw);
}

/* Restart the period (RFC 9293 3.10.7.4: a retransmitted FIN restarts
 * the 2 MSL timeout), unless the sock is already on its way out. */
void inet_twsk_reschedule(struct inet_timewait_sock *tw, u64 timeo)
{
	if (timer_pending(&tw->tw_timer))
		mod_timer(&tw->tw_timer, net_now(tw->tw_net) + timeo);
}

/* A timewait sock mirroring @sk's identity, or NULL (TCPTimeWaitOverflow
 * is the caller's to count). */
struct inet_timewait_sock *inet_twsk_alloc(const struct sock *sk, int state)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	struct net *net = sock_net(sk);
	struct inet_timewait_sock *tw;

	if (__atomic_load_n(&h->tw_count, __ATOMIC_RELAXED) >=
	    (u32)READ_ONCE(net->ipv4.sysctl_tcp_max_tw_buckets))
		return NULL;
	tw = calloc(1, sizeof(*tw));
	if (!tw)
		return NULL;
	__atomic_fetch_add(&h->tw_count, 1, __ATOMIC_RELAXED);
	tw->tw_daddr = sk->sk_daddr;
	tw->tw_rcv_saddr = sk->sk_rcv_saddr;
	tw->tw_dport = sk->sk_dport;
	tw->tw_num = sk->sk_num;
	tw->__tw_common.skc_family = sk->sk_family;
	tw->tw_state = TCP_TIME_WAIT;
	tw->tw_substate = (unsigned char)state;
	tw->tw_reuse = sk->sk_reuse;
	tw->tw_reuseport = sk->sk_reuseport;
	tw->tw_bound_dev_if = sk->sk_bound_dev_if;
	tw->tw_hash = sk->sk_hash;
	tw->tw_net = net;
	tw->tw_sport = inet_sk(sk)->inet_sport;
	tw->tw_mark = sk->sk_mark;
	INIT_HLIST_NODE(&tw->tw_node);
	INIT_HLIST_NODE(&tw->tw_bind_node);
	timer_setup(&tw->tw_timer, tw_timer_handler, net->timers);
	return tw;
}

/*
 * Take @sk's place: join its bind bucket (the port stays owned after the
 * full socket lets go), replace it in ehash in one critical section (the
 * 4-tuple is never missing from the table), then arm the timer. @sk loses
 * its ehash reference.
 */
void inet_twsk_hashdance_schedule(struct inet_timewait_sock *tw,
				  struct sock *sk, u64 timeo)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	struct inet_ehash_bucket *head = inet_ehash_bucket(h, sk->sk_hash);
	bool sk_was_hashed = false;

	tw->tw_refcnt = 2;          /* the tables and the timer */
	tw->tw_hashed = 1;
	tw->tw_kill = timeo <= 4 * NSEC_PER_SEC;

	pthread_mutex_lock(&h->bhash_lock);
	tw->tw_tb = inet_csk(sk)->icsk_bind_hash;
	if (tw->tw_tb)
		hlist_add_head(&tw->tw_bind_node, &tw->tw_tb->owners);
	pthread_mutex_unlock(&h->bhash_lock);

	write_lock(&head->lock);
	hlist_add_head(&tw->tw_node, &head->chain);
	if (sk_hashed(sk)) {
		hlist_del_init(&sk->sk_node);
		sk_was_hashed = true;
	}
	rwlock_unlock(&head->lock);
	if (sk_was_hashed)
		sock_put(sk);       /* never the last: the caller holds one */
	else
		__atomic_fetch_add(&h->ehash_count, 1, __ATOMIC_RELAXED);
	mod_timer(&tw->tw_timer, net_now(sock_net(sk)) + timeo);
}

/* Stack teardown: every timewait sock goes now. */
void inet_twsk_purge(struct inet_hashinfo *h)
{
	struct inet_timewait_sock *tw;
	struct sock *sk;
	u32 i;

	for (i = 0; i <= h->ehash_mask; i++) {
restart:
		tw = NULL;
		read_lock(&h->ehash[i].lock);
		hlist_for_each_entry(sk, &h->ehash[i].chain, sk_node) {
			if (sk->sk_state == TCP_TIME_WAIT) {
				tw = inet_twsk(sk);
				sock_gen_hold(sk);
				break;
			}
		}
		rwlock_unlock(&h->ehash[i].lock);
		if (tw) {
			inet_twsk_deschedule_put(tw);
			goto restart;
		}
	}
}
