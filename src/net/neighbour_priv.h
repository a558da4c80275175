/*
 * The neighbour table, private to src/net/neighbour.c and src/net/arp.c
 * (other layers see struct neigh_table as opaque, net->ipv4.arp_tbl).
 */
#ifndef SL_NET_NEIGHBOUR_PRIV_H
#define SL_NET_NEIGHBOUR_PRIV_H

#include <pthread.h>

#include "sl/rwlock.h"
#include "sl/neighbour.h"
#include "sl/net_namespace.h"

#define NEIGH_HASH_BITS 8
#define NEIGH_HASH_SIZE (1u << NEIGH_HASH_BITS)

struct neigh_table {
	struct net *net;
	struct neigh_parms *parms;    /* net->ipv4.arp_parms */
	rwlock_t lock;        /* hash chains and entries */
	struct hlist_head hash[NEIGH_HASH_SIZE];
	u32 entries;
	u64 reachable_time;           /* ns: random in [0.5, 1.5) * base */
	u64 last_rand;                /* when reachable_time was drawn */
	u64 last_flush;               /* last forced GC */
	struct timer_list gc_timer;   /* periodic GC (neigh_periodic_work) */

	/* Protocol hooks (ARP): set up a new entry, send a solicitation,
	 * report a packet that will never be sent. */
	int (*constructor)(struct neighbour *n);
	void (*solicit)(struct neighbour *n, __be32 saddr_hint,
			const u8 *dst_hw);
	void (*error_report)(struct neighbour *n, struct sk_buff *skb);
};

/* Table lifetime for a stack (arp_net_ops). */
struct neigh_table *neigh_table_create(struct net *net,
				       struct neigh_parms *parms);
void neigh_table_destroy(struct neigh_table *tbl);
/* A request told us the sender's address: create/update as STALE. */
struct neighbour *neigh_event_ns(struct neigh_table *tbl, const u8 *lladdr,
				 const void *saddr, struct net_device *dev);
/*
 * Wrap-safe time comparisons (Linux's time_after/time_before_eq): stamps
 * like "confirmed = now - 2 * base_reachable_time" wrap below zero on a
 * virtual clock that starts at 0.
 */
static inline bool neigh_time_after(u64 a, u64 b)
{
	return (s64)(b - a) < 0;
}
static inline bool neigh_time_before_eq(u64 a, u64 b)
{
	return (s64)(a - b) <= 0;
}

static inline void neigh_hold(struct neighbour *n)
{
	__atomic_fetch_add(&n->refcnt, 1, __ATOMIC_RELAXED);
}

#endif
