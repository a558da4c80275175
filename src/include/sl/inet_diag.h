/*
 * Socket listings (src/ipv4/inet_diag.c, the sl_ss_dump behind `sockline
 * ss`): Linux's inet_diag asks each protocol's diag handler to walk its own
 * table (tcp_diag, udp_diag, raw_diag). Here the datagram tables are
 * private to udp.c, raw.c and ping.c, so each exports one walker; TCP's
 * tables are public (sl/inet_hashtables.h) and inet_diag.c walks them.
 */
#ifndef SL_INET_DIAG_H
#define SL_INET_DIAG_H

#include "sl/rwlock.h"
#include "sl/sock.h"

struct net;

/*
 * Called once per hashed socket with the table read-locked: it must not
 * sleep nor touch the table; it may take a reference (sock_hold) to look
 * at the socket after the walk.
 */
typedef void (*sk_diag_fn)(struct sock *sk, void *arg);

/* @fn on every socket of a table of @size hlist chains under @lock. */
static inline void sk_diag_walk_hlist(rwlock_t *lock, struct hlist_head *ht,
				      unsigned int size, sk_diag_fn fn,
				      void *arg)
{
	struct sock *sk;
	unsigned int i;

	read_lock(lock);
	for (i = 0; i < size; i++)
		hlist_for_each_entry(sk, &ht[i], sk_node)
			fn(sk, arg);
	rwlock_unlock(lock);
}

/* Every bound UDP socket of @net (src/ipv4/udp.c). */
void udp_diag_walk(struct net *net, sk_diag_fn fn, void *arg);
/* Every raw socket of @net (src/ipv4/raw.c). */
void raw_diag_walk(struct net *net, sk_diag_fn fn, void *arg);
/* Every ping socket of @net with an identifier (src/ipv4/ping.c). */
void ping_diag_walk(struct net *net, sk_diag_fn fn, void *arg);

#endif
