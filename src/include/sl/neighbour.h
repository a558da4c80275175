/*
 * The neighbour layer (src/net/neighbour.c) and ARP (src/net/arp.c,
 * RFC 826, RFC 1122 2.3.2).
 *
 * ip_finish_output2 looks up (or creates) the neighbour for the next hop
 * and calls neigh_output: a connected entry fills the link header and goes
 * to dev_queue_xmit; an unresolved one queues the packet (bounded by
 * unres_qlen_bytes) and starts resolution. State machine, as Linux's:
 * NONE -> INCOMPLETE (probing) -> REACHABLE -> STALE -> DELAY -> PROBE ->
 * REACHABLE or FAILED; NOARP and PERMANENT never change.
 */
#ifndef SL_NEIGHBOUR_H
#define SL_NEIGHBOUR_H

#include <pthread.h>

#include "sl/spinlock.h"
#include "sl/if_ether.h"
#include "sl/list.h"
#include "sl/skbuff.h"
#include "sl/timer.h"
#include "sl/types.h"

struct net;
struct net_device;
struct neigh_table;

#define NUD_INCOMPLETE 0x01
#define NUD_REACHABLE 0x02
#define NUD_STALE 0x04
#define NUD_DELAY 0x08
#define NUD_PROBE 0x10
#define NUD_FAILED 0x20
#define NUD_NOARP 0x40
#define NUD_PERMANENT 0x80
#define NUD_NONE 0x00
#define NUD_IN_TIMER (NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE)
#define NUD_VALID (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | \
		   NUD_STALE | NUD_DELAY)
#define NUD_CONNECTED (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE)

struct neighbour {
	struct hlist_node hash;
	struct neigh_table *tbl;
	struct net_device *dev;
	__be32 primary_key;         /* IPv4 next hop */
	u8 ha[ETH_ALEN];            /* resolved hardware address */
	u8 nud_state;
	u8 dead;
	u32 refcnt;                 /* atomic */
	int probes;
	u64 confirmed;              /* last reachability confirmation (ns) */
	u64 updated;                /* last state change (ns) */
	u64 used;
	spinlock_t lock;
	struct sk_buff_head arp_queue; /* packets waiting for resolution */
	unsigned int arp_queue_len_bytes;
	struct timer_list timer;
	int (*output)(struct neighbour *n, struct sk_buff *skb);
};

/*
 * Find or create the entry for @key on @dev (referenced). NULL on
 * allocation failure or table full.
 */
struct neighbour *__neigh_lookup(struct neigh_table *tbl, const void *key,
				 struct net_device *dev, bool creat);
struct neighbour *neigh_lookup(struct neigh_table *tbl, const void *key,
			       struct net_device *dev);
void neigh_release(struct neighbour *n);
/* Send @skb (data at the network header) to @n. Consumes skb. */
int neigh_output(struct neighbour *n, struct sk_buff *skb);
/*
 * Update an entry's state and address (ARP reply or request seen, manual
 * entry). NEIGH_UPDATE_F_* flags as Linux's.
 */
int neigh_update(struct neighbour *n, const u8 *lladdr, u8 new_state,
		 u32 flags);
#define NEIGH_UPDATE_F_OVERRIDE 0x1
#define NEIGH_UPDATE_F_WEAK_OVERRIDE 0x2
#define NEIGH_UPDATE_F_ADMIN 0x80000000
/* Drop every entry of @dev (device down). */
void neigh_ifdown(struct neigh_table *tbl, struct net_device *dev);
/* Iterate for dumps (`ip neigh`). */
void neigh_for_each(struct neigh_table *tbl,
		    void (*cb)(struct neighbour *n, void *arg), void *arg);
const char *neigh_state_name(u8 nud_state);

/* --- ARP -------------------------------------------------------------- */

struct arphdr {
	__be16 ar_hrd;
	__be16 ar_pro;
	u8 ar_hln;
	u8 ar_pln;
	__be16 ar_op;
	/* Ethernet/IPv4 payload */
	u8 ar_sha[ETH_ALEN];
	__be32 ar_sip;
	u8 ar_tha[ETH_ALEN];
	__be32 ar_tip;
} __packed;

#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2

/* One-time init: register arp_rcv for ETH_P_ARP. */
void arp_init(void);
/* Send an ARP packet. */
void arp_send(int type, int ptype, __be32 dest_ip, struct net_device *dev,
	      __be32 src_ip, const u8 *dest_hw, const u8 *src_hw,
	      const u8 *target_hw);
/* Gratuitous ARP announcing @addr on @dev (RFC 5227 2.3). */
void arp_announce(struct net_device *dev, __be32 addr);
/* Neighbour for an IPv4 next hop on @dev, created when missing. */
struct neighbour *ipv4_neigh_lookup(struct net_device *dev, __be32 nexthop);

#endif
