/*
 * The neighbour cache and its NUD state machine (Linux's
 * net/core/neighbour.c), for ARP (RFC 826, RFC 1122 2.3.2).
 *
 * Output: ip_finish_output2 -> ipv4_neigh_lookup -> __neigh_lookup (find or
 * create, arp_constructor) -> neigh_output: a connected entry pushes the
 * link header and calls dev_queue_xmit (neigh_connected_output); any other
 * goes through neigh_resolve_output -> __neigh_event_send, which starts
 * resolution (NONE/FAILED -> INCOMPLETE, first probe at once), moves STALE
 * to DELAY, and queues packets while INCOMPLETE (unres_qlen_bytes, oldest
 * dropped first).
 * Input:  arp_process -> neigh_update (lladdr learned or confirmed) ->
 *         queued packets leave with the new address.
 * Timers: neigh_timer_handler drives REACHABLE -> DELAY/STALE, DELAY ->
 *         REACHABLE/PROBE, INCOMPLETE/PROBE -> probe again or FAILED
 *         (queued packets reported via error_report: ICMP host
 *         unreachable). neigh_periodic_work garbage-collects unused
 *         entries and redraws the random reachable time.
 *
 * Locking: tbl->lock (rwlock) guards the hash chains, then n->lock guards
 * one entry. Nothing is sent and no error is reported with a lock held.
 * References: the table holds one per hashed entry, a pending timer holds
 * one, every lookup returns one (neigh_release).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/route.h"

#include "neighbour_priv.h"

#define NEIGH_MIN_TIMER (10 * NSEC_PER_MSEC) /* Linux's HZ/100 floor */
#define NEIGH_RAND_PERIOD (300 * NSEC_PER_SEC)
#define NEIGH_FORCED_GC_PERIOD (5 * NSEC_PER_SEC)

static void neigh_timer_handler(struct timer_list *t);

static u64 neigh_now(const struct neighbour *n)
{
	return net_now(dev_net(n->dev));
}

static struct neigh_parms *neigh_parms(const struct neighbour *n)
{
	return n->tbl->parms;
}

static u32 neigh_hash(const void *key, const struct net_device *dev)
{
	u32 k;

	memcpy(&k, key, sizeof(k));
	return ((k ^ (u32)dev->ifindex) * 0x9E3779B1u) >> (32 - NEIGH_HASH_BITS);
}

/* Linux's neigh_rand_reach_time: uniform in [base/2, 3*base/2). */
static u64 neigh_rand_reach_time(struct net *net, u64 base)
{
	return base ? base / 2 + net_random_u64(net) % base : 0;
}

/* --- references and timers ---------------------------------------------- */

static void neigh_destroy(struct neighbour *n)
{
	SL_BUG_ON(!n->dead, "freeing a live neighbour");
	skb_queue_purge(&n->arp_queue);
	free(n);
}

/* Drop a reference; the last one frees a dead (unhashed) entry. */
void neigh_release(struct neighbour *n)
{
	if (n && __atomic_sub_fetch(&n->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		neigh_destroy(n);
}

/* Arm the state timer; a newly pending timer holds a reference. n->lock held. */
static void neigh_add_timer(struct neighbour *n, u64 when)
{
	if (!mod_timer(&n->timer, when))
		neigh_hold(n);
}

/* Disarm; drops the timer's reference (never the last: the caller has one). */
static void neigh_del_timer(struct neighbour *n)
{
	if (del_timer(&n->timer))
		__atomic_sub_fetch(&n->refcnt, 1, __ATOMIC_ACQ_REL);
}

/* --- transmit helpers ---------------------------------------------------- */

/* Drop: the entry's device is gone. Consumes @skb. */
static int neigh_blackhole(struct neighbour *n, struct sk_buff *skb)
{
	kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_DEAD);
	return -ENETDOWN;
}

/*
 * Push the link header towards @ha and transmit. Consumes @skb. Returns
 * dev_queue_xmit's result or -EINVAL/-ENOMEM.
 */
static int neigh_fill_and_xmit(struct neighbour *n, struct sk_buff *skb,
			       const u8 *ha)
{
	struct net_device *dev = n->dev;
	u16 proto = skb->protocol ? ntohs(skb->protocol) : ETH_P_IP;

	skb->dev = dev;
	if (skb_headroom(skb) < dev->hard_header_len &&
	    skb_cow_head(skb, dev->hard_header_len)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return -ENOMEM;
	}
	if (dev->header_ops &&
	    dev->header_ops->create(skb, dev, proto, ha, NULL, skb->len) < 0) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return -EINVAL;
	}
	return dev_queue_xmit(skb);
}

/* NUD_CONNECTED: the address is good, send right away. Consumes @skb. */
static int neigh_connected_output(struct neighbour *n, struct sk_buff *skb)
{
	u8 ha[ETH_ALEN];

	spin_lock(&n->lock);
	memcpy(ha, n->ha, sizeof(ha));
	spin_unlock(&n->lock);
	return neigh_fill_and_xmit(n, skb, ha);
}

/* --- probes -------------------------------------------------------------- */

/* What one solicitation sends, decided under n->lock, sent after it. */
struct neigh_probe {
	bool send;
	__be32 saddr_hint;
	bool unicast;
	u8 dst_hw[ETH_ALEN];
};

/*
 * Count a probe and decide its kind (Linux's arp_solicit): the first
 * ucast_probes of a probe cycle go to the cached address (unicast), the
 * next app_probes are left to an application (we have none), the rest are
 * broadcast. INCOMPLETE starts at probes = ucast_probes, so an unresolved
 * entry only broadcasts. n->lock held.
 */
static void neigh_probe_prepare(struct neighbour *n, struct neigh_probe *p)
{
	struct neigh_parms *parms = neigh_parms(n);
	struct sk_buff *last = skb_peek_tail(&n->arp_queue);
	int probes = n->probes++;

	memset(p, 0, sizeof(*p));
	if (last && last->network_header != SKB_HDR_UNSET)
		p->saddr_hint = ip_hdr(last)->saddr;
	probes -= parms->ucast_probes;
	if (probes < 0) {
		p->unicast = true;
		memcpy(p->dst_hw, n->ha, ETH_ALEN);
	} else if (probes - parms->app_probes < 0) {
		return; /* an application probe: no such application here */
	}
	p->send = true;
}

static void neigh_probe_send(struct neighbour *n, const struct neigh_probe *p)
{
	if (p->send && n->tbl->solicit)
		n->tbl->solicit(n, p->saddr_hint, p->unicast ? p->dst_hw : NULL);
}

static int neigh_max_probes(const struct neighbour *n)
{
	struct neigh_parms *p = neigh_parms(n);

	/* Linux: ucast + app + (PROBE ? mcast_reprobes (0) : mcast_probes) */
	return p->ucast_probes + p->app_probes +
	       (n->nud_state & NUD_PROBE ? 0 : p->mcast_probes);
}

/*
 * Resolution failed: take every queued packet off the entry for
 * error_report (ICMP host unreachable, then drop). n->lock held; the
 * caller reports @failed after unlocking.
 */
static void neigh_invalidate(struct neighbour *n, struct sk_buff_head *failed)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&n->arp_queue)))
		__skb_queue_tail(failed, skb);
	n->arp_queue_len_bytes = 0;
}

static void neigh_report_failed(struct neighbour *n, struct sk_buff_head *failed)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(failed))) {
		if (n->tbl->error_report)
			n->tbl->error_report(n, skb);
		else
			kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_FAILED);
	}
}

/* --- the state timer ------------------------------------------------------ */

/* One step of the timed part of the state machine. n->lock held. */
static bool neigh_timer_step(struct neighbour *n, u64 now, u64 *next)
{
	struct neigh_parms *p = neigh_parms(n);
	u64 reachable = n->tbl->reachable_time;
	u8 state = n->nud_state;

	*next = now + max_t(u64, p->retrans_time, NEIGH_MIN_TIMER);
	if (state & NUD_REACHABLE) {
		if (neigh_time_before_eq(now, n->confirmed + reachable)) {
			*next = n->confirmed + reachable;
		} else if (neigh_time_before_eq(now, n->used + p->delay_probe_time)) {
			n->nud_state = NUD_DELAY;
			n->updated = now;
			*next = now + p->delay_probe_time;
		} else {
			n->nud_state = NUD_STALE;
			n->updated = now;
		}
	} else if (state & NUD_DELAY) {
		if (neigh_time_before_eq(now, n->confirmed + p->delay_probe_time)) {
			n->nud_state = NUD_REACHABLE;
			n->updated = now;
			*next = n->confirmed + reachable;
		} else {
			n->nud_state = NUD_PROBE;
			n->updated = now;
			n->probes = 0;
		}
	}
	/* NUD_INCOMPLETE and NUD_PROBE: probe again, or give up. */
	if ((n->nud_state & (NUD_INCOMPLETE | NUD_PROBE)) &&
	    n->probes >= neigh_max_probes(n)) {
		n->nud_state = NUD_FAILED;
		n->updated = now;
		return false;
	}
	return true;
}

static void neigh_timer_handler(struct timer_list *t)
{
	struct neighbour *n = from_timer(n, t, timer);
	struct sk_buff_head failed;
	struct neigh_probe probe = { 0 };
	u64 now, next;

	skb_queue_head_init(&failed);
	spin_lock(&n->lock);
	/* Re-armed or moved out of a timed state while we waited for the lock. */
	if (timer_pending(&n->timer) || !(n->nud_state & NUD_IN_TIMER) || n->dead)
		goto out_unlock;
	now = neigh_now(n);
	if (!neigh_timer_step(n, now, &next)) {
		neigh_invalidate(n, &failed);
		goto out_unlock;
	}
	if (n->nud_state & NUD_IN_TIMER)
		neigh_add_timer(n, max_t(u64, next, now + NEIGH_MIN_TIMER));
	if (n->nud_state & (NUD_INCOMPLETE | NUD_PROBE))
		neigh_probe_prepare(n, &probe);
out_unlock:
	spin_unlock(&n->lock);
	neigh_probe_send(n, &probe);
	neigh_report_failed(n, &failed);
	neigh_release(n); /* the timer's reference */
}

/* --- event send: the output side of the state machine -------------------- */

/* Queue @skb on an INCOMPLETE entry, dropping the oldest over the limit. */
static void neigh_queue_unresolved(struct neighbour *n, struct sk_buff *skb)
{
	int limit = neigh_parms(n)->unres_qlen_bytes;
	struct sk_buff *old;

	while (n->arp_queue_len_bytes + skb->truesize > (unsigned int)limit) {
		old = __skb_dequeue(&n->arp_queue);
		if (!old)
			break;
		n->arp_queue_len_bytes -= old->truesize;
		kfree_skb_reason(old, SKB_DROP_REASON_NEIGH_QUEUEFULL);
	}
	__skb_queue_tail(&n->arp_queue, skb);
	n->arp_queue_len_bytes += skb->truesize;
}

/*
 * Linux's __neigh_event_send: returns 0 when @skb may be sent now with the
 * cached address (not consumed), 1 when it was queued or dropped
 * (consumed).
 */
static int __neigh_event_send(struct neighbour *n, struct sk_buff *skb)
{
	struct neigh_parms *p = neigh_parms(n);
	struct neigh_probe probe = { 0 };
	u64 now = neigh_now(n);
	int rc = 0;

	spin_lock(&n->lock);
	n->used = now;
	if (n->dead) {
		spin_unlock(&n->lock);
		kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_DEAD);
		return 1;
	}
	if (n->nud_state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE))
		goto out_unlock;
	if (!(n->nud_state & (NUD_STALE | NUD_INCOMPLETE))) {
		if (p->mcast_probes + p->app_probes == 0) {
			n->nud_state = NUD_FAILED;
			n->updated = now;
			spin_unlock(&n->lock);
			kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_FAILED);
			return 1;
		}
		/* RFC 1122 2.3.2.1: start resolving; probe at once, then
		 * every retrans_time. */
		n->probes = p->ucast_probes;
		neigh_del_timer(n);
		n->nud_state = NUD_INCOMPLETE;
		n->updated = now;
		neigh_add_timer(n, now + max_t(u64, p->retrans_time,
					       NEIGH_MIN_TIMER));
		probe.send = true;
	} else if (n->nud_state & NUD_STALE) {
		/* Use a stale address, but check it within delay_probe_time. */
		neigh_del_timer(n);
		n->nud_state = NUD_DELAY;
		n->updated = now;
		neigh_add_timer(n, now + p->delay_probe_time);
	}
	if (n->nud_state == NUD_INCOMPLETE) {
		/* RFC 1122 2.3.2.2: SHOULD save (at least one) packet. */
		neigh_queue_unresolved(n, skb);
		rc = 1;
	}
	if (probe.send)
		neigh_probe_prepare(n, &probe);
out_unlock:
	spin_unlock(&n->lock);
	neigh_probe_send(n, &probe);
	return rc;
}

/* Not connected: resolve first, send now if the state allows. Consumes. */
static int neigh_resolve_output(struct neighbour *n, struct sk_buff *skb)
{
	u8 ha[ETH_ALEN];

	if (__neigh_event_send(n, skb))
		return 0;
	spin_lock(&n->lock);
	memcpy(ha, n->ha, sizeof(ha));
	spin_unlock(&n->lock);
	return neigh_fill_and_xmit(n, skb, ha);
}

/*
 * Send @skb (data at the network header, skb->protocol set) to @n's
 * address. Consumes @skb on every path. Returns 0 when sent or queued for
 * resolution, else a negative errno or NET_XMIT_DROP.
 */
int neigh_output(struct neighbour *n, struct sk_buff *skb)
{
	skb_trace(skb);
	if (unlikely(READ_ONCE(n->dead)))
		return neigh_blackhole(n, skb);
	if (READ_ONCE(n->nud_state) & NUD_CONNECTED)
		return neigh_connected_output(n, skb);
	return neigh_resolve_output(n, skb);
}

/* --- updates from the protocol (ARP) ------------------------------------- */

/* Take the queued packets off an entry that just became valid. n->lock held. */
static void neigh_take_queue(struct neighbour *n, struct sk_buff_head *out)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&n->arp_queue)))
		__skb_queue_tail(out, skb);
	n->arp_queue_len_bytes = 0;
}

/*
 * Linux's __neigh_update with n->lock held. Returns 0 or -errno; fills
 * @resend with packets to send and @failed with packets to report.
 */
static int __neigh_update(struct neighbour *n, const u8 *lladdr, u8 new,
			  u32 flags, struct sk_buff_head *resend,
			  struct sk_buff_head *failed)
{
	u8 old = n->nud_state;
	u64 now = neigh_now(n);
	bool changed_addr;

	if (!(flags & NEIGH_UPDATE_F_ADMIN) && (old & (NUD_NOARP | NUD_PERMANENT)))
		return -EPERM;
	if (n->dead)
		return -ENOENT;
	if (!(new & NUD_VALID)) {
		neigh_del_timer(n);
		n->nud_state = new;
		if ((old & (NUD_INCOMPLETE | NUD_PROBE)) && (new & NUD_FAILED))
			neigh_invalidate(n, failed);
		return 0;
	}
	if (!lladdr) {
		if (!(old & NUD_VALID))
			return -EINVAL;
		lladdr = n->ha;
	} else if ((old & NUD_VALID) && !memcmp(lladdr, n->ha, ETH_ALEN)) {
		lladdr = n->ha;
	}
	if (new & NUD_CONNECTED)
		n->confirmed = now;

	if (old & NUD_VALID) {
		if (lladdr != n->ha && !(flags & NEIGH_UPDATE_F_OVERRIDE)) {
			/* A different address without override: keep ours,
			 * but doubt it (Linux's weak override). */
			if ((flags & NEIGH_UPDATE_F_WEAK_OVERRIDE) &&
			    (old & NUD_CONNECTED)) {
				lladdr = n->ha;
				new = NUD_STALE;
			} else {
				return 0;
			}
		} else if (lladdr == n->ha && new == NUD_STALE &&
			   !(flags & NEIGH_UPDATE_F_ADMIN)) {
			new = old; /* same address seen again: no news */
		}
	}
	changed_addr = lladdr != n->ha;
	if (new != old || changed_addr)
		n->updated = now;
	if (new != old) {
		neigh_del_timer(n);
		if (new & NUD_PROBE)
			n->probes = 0;
		if (new & NUD_IN_TIMER)
			neigh_add_timer(n, now + ((new & NUD_REACHABLE)
							  ? n->tbl->reachable_time
							  : 0));
		n->nud_state = new;
	}
	if (changed_addr) {
		memcpy(n->ha, lladdr, ETH_ALEN);
		if (!(new & NUD_CONNECTED))
			n->confirmed = now - 2 * neigh_parms(n)->base_reachable_time;
	}
	if (new != old && !(old & NUD_VALID))
		neigh_take_queue(n, resend);
	return 0;
}

/*
 * Update @n's state and address (an ARP packet, or an administrator).
 * Packets waiting for resolution leave when the entry becomes valid.
 * 0 or -EPERM (NOARP/PERMANENT without F_ADMIN), -EINVAL, -ENOENT (dead).
 */
int neigh_update(struct neighbour *n, const u8 *lladdr, u8 new_state,
		 u32 flags)
{
	struct sk_buff_head resend, failed;
	struct sk_buff *skb;
	int err;

	skb_queue_head_init(&resend);
	skb_queue_head_init(&failed);
	spin_lock(&n->lock);
	err = __neigh_update(n, lladdr, new_state, flags, &resend, &failed);
	spin_unlock(&n->lock);
	while ((skb = __skb_dequeue(&resend)))
		neigh_output(n, skb);
	neigh_report_failed(n, &failed);
	return err;
}

/*
 * Linux's neigh_event_ns: a request from @saddr at @lladdr was for us;
 * create or refresh the sender as STALE. Returns it referenced, or NULL.
 */
struct neighbour *neigh_event_ns(struct neigh_table *tbl, const u8 *lladdr,
				 const void *saddr, struct net_device *dev)
{
	struct neighbour *n = __neigh_lookup(tbl, saddr, dev, true);

	if (n)
		neigh_update(n, lladdr, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE);
	return n;
}

/* --- lookup and creation -------------------------------------------------- */

static struct neighbour *__neigh_find(struct neigh_table *tbl, const void *key,
				      struct net_device *dev)
{
	struct neighbour *n;

	hlist_for_each_entry(n, &tbl->hash[neigh_hash(key, dev)], hash)
		if (n->dev == dev && !memcmp(&n->primary_key, key, 4))
			return n;
	return NULL;
}

/* Find @key on @dev, referenced; NULL when absent. */
struct neighbour *neigh_lookup(struct neigh_table *tbl, const void *key,
			       struct net_device *dev)
{
	struct neighbour *n;

	if (!tbl)
		return NULL;
	read_lock(&tbl->lock);
	n = __neigh_find(tbl, key, dev);
	if (n)
		neigh_hold(n);
	rwlock_unlock(&tbl->lock);
	return n;
}

/* Unhash @n onto @dead (reusing its hash node). tbl->lock write-held. */
static void neigh_unhash_locked(struct neigh_table *tbl, struct neighbour *n,
				struct hlist_head *dead)
{
	hlist_del_init(&n->hash);
	tbl->entries--;
	WRITE_ONCE(n->dead, 1);
	hlist_add_head(&n->hash, dead);
}

/* Drop the table's reference of every entry on @dead. */
static void neigh_release_dead(struct hlist_head *dead)
{
	struct neighbour *n;
	struct hlist_node *tmp;

	hlist_for_each_entry_safe(n, tmp, dead, hash) {
		hlist_del_init(&n->hash);
		neigh_release(n);
	}
}

/*
 * Linux's neigh_forced_gc: the table is full, drop every entry nobody
 * uses (only the table's reference) that is not PERMANENT. Returns the
 * number removed.
 */
static int neigh_forced_gc(struct neigh_table *tbl)
{
	struct hlist_head dead = { NULL };
	struct hlist_node *tmp;
	struct neighbour *n;
	unsigned int i;
	int shrunk = 0;

	write_lock(&tbl->lock);
	for (i = 0; i < NEIGH_HASH_SIZE; i++) {
		hlist_for_each_entry_safe(n, tmp, &tbl->hash[i], hash) {
			if (READ_ONCE(n->refcnt) != 1 ||
			    (n->nud_state & NUD_PERMANENT))
				continue;
			neigh_unhash_locked(tbl, n, &dead);
			shrunk++;
		}
	}
	tbl->last_flush = net_now(tbl->net);
	rwlock_unlock(&tbl->lock);
	neigh_release_dead(&dead);
	return shrunk;
}

static bool neigh_table_full(struct neigh_table *tbl)
{
	struct neigh_parms *p = tbl->parms;
	u32 entries = READ_ONCE(tbl->entries);
	u64 now = net_now(tbl->net);

	if (entries >= (u32)p->gc_thresh3 ||
	    (entries >= (u32)p->gc_thresh2 &&
	     neigh_time_after(now, tbl->last_flush + NEIGH_FORCED_GC_PERIOD))) {
		if (!neigh_forced_gc(tbl) &&
		    READ_ONCE(tbl->entries) >= (u32)p->gc_thresh3)
			return true;
	}
	return false;
}

static struct neighbour *neigh_alloc(struct neigh_table *tbl, const void *key,
				     struct net_device *dev)
{
	struct neighbour *n = calloc(1, sizeof(*n));
	u64 now = net_now(tbl->net);

	if (!n)
		return NULL;
	INIT_HLIST_NODE(&n->hash);
	n->tbl = tbl;
	n->dev = dev;
	memcpy(&n->primary_key, key, 4);
	n->nud_state = NUD_NONE;
	n->refcnt = 1;
	n->updated = now;
	n->used = now;
	n->confirmed = now - 2 * tbl->parms->base_reachable_time;
	spin_lock_init(&n->lock);
	skb_queue_head_init(&n->arp_queue);
	timer_setup(&n->timer, neigh_timer_handler, tbl->net->timers);
	n->output = neigh_resolve_output;
	return n;
}

static void neigh_free_unhashed(struct neighbour *n)
{
	n->dead = 1;
	neigh_release(n);
}

/* Linux's ___neigh_create: new entry, constructor, hash (race-checked). */
static struct neighbour *neigh_create(struct neigh_table *tbl, const void *key,
				      struct net_device *dev)
{
	struct neighbour *n, *other;

	if (!netif_running(dev) || neigh_table_full(tbl))
		return NULL;
	n = neigh_alloc(tbl, key, dev);
	if (!n)
		return NULL;
	if (tbl->constructor && tbl->constructor(n)) {
		neigh_free_unhashed(n);
		return NULL;
	}
	if (n->nud_state & NUD_CONNECTED)
		n->output = neigh_connected_output;

	write_lock(&tbl->lock);
	other = __neigh_find(tbl, key, dev);
	if (other) {
		neigh_hold(other);
		rwlock_unlock(&tbl->lock);
		neigh_free_unhashed(n);
		return other;
	}
	hlist_add_head(&n->hash, &tbl->hash[neigh_hash(key, dev)]);
	tbl->entries++;
	neigh_hold(n); /* the table's reference; the caller has the first */
	rwlock_unlock(&tbl->lock);
	return n;
}

/*
 * Find the entry for @key on @dev, creating it when @creat. Returns it
 * referenced, or NULL (absent, device down, out of memory, table full).
 */
struct neighbour *__neigh_lookup(struct neigh_table *tbl, const void *key,
				 struct net_device *dev, bool creat)
{
	struct neighbour *n = neigh_lookup(tbl, key, dev);

	if (n || !creat || !tbl)
		return n;
	return neigh_create(tbl, key, dev);
}

/* --- device events, GC, dumps -------------------------------------------- */

/* Kill one unhashed entry: no timer, no queue, output drops. */
static void neigh_kill(struct neighbour *n)
{
	spin_lock(&n->lock);
	neigh_del_timer(n);
	while (!skb_queue_empty(&n->arp_queue))
		kfree_skb_reason(__skb_dequeue(&n->arp_queue),
				 SKB_DROP_REASON_NEIGH_DEAD);
	n->arp_queue_len_bytes = 0;
	n->nud_state = (n->nud_state & NUD_VALID) ? NUD_NOARP : NUD_NONE;
	n->output = neigh_blackhole;
	spin_unlock(&n->lock);
}

/*
 * Drop every entry of @dev (every entry when @dev is NULL): device down or
 * unregistered. Holders of a reference keep a dead entry that drops.
 */
void neigh_ifdown(struct neigh_table *tbl, struct net_device *dev)
{
	struct hlist_head dead = { NULL };
	struct hlist_node *tmp;
	struct neighbour *n;
	unsigned int i;

	if (!tbl)
		return;
	write_lock(&tbl->lock);
	for (i = 0; i < NEIGH_HASH_SIZE; i++) {
		hlist_for_each_entry_safe(n, tmp, &tbl->hash[i], hash) {
			if (dev && n->dev != dev)
				continue;
			neigh_unhash_locked(tbl, n, &dead);
			neigh_kill(n);
		}
	}
	rwlock_unlock(&tbl->lock);
	neigh_release_dead(&dead);
}

/*
 * Linux's neigh_periodic_work: every base_reachable_time/2, redraw the
 * reachable time every 300 s and, above gc_thresh1 entries, drop entries
 * nobody references that FAILED or were unused for gc_stale_time.
 */
static void neigh_periodic_work(struct timer_list *t)
{
	struct neigh_table *tbl = from_timer(tbl, t, gc_timer);
	struct neigh_parms *p = tbl->parms;
	struct hlist_head dead = { NULL };
	struct hlist_node *tmp;
	struct neighbour *n;
	u64 now = net_now(tbl->net);
	unsigned int i;

	if (now - tbl->last_rand >= NEIGH_RAND_PERIOD) {
		tbl->last_rand = now;
		tbl->reachable_time = neigh_rand_reach_time(tbl->net,
							    p->base_reachable_time);
	}
	write_lock(&tbl->lock);
	if (tbl->entries < (u32)p->gc_thresh1)
		goto out_unlock;
	for (i = 0; i < NEIGH_HASH_SIZE; i++) {
		hlist_for_each_entry_safe(n, tmp, &tbl->hash[i], hash) {
			u8 state;

			spin_lock(&n->lock);
			state = n->nud_state;
			if (neigh_time_after(n->confirmed, n->used))
				n->used = n->confirmed;
			spin_unlock(&n->lock);
			if (state & (NUD_PERMANENT | NUD_IN_TIMER))
				continue;
			if (READ_ONCE(n->refcnt) == 1 &&
			    (state == NUD_FAILED ||
			     !neigh_time_after(n->used + p->gc_stale_time, now)))
				neigh_unhash_locked(tbl, n, &dead);
		}
	}
out_unlock:
	rwlock_unlock(&tbl->lock);
	neigh_release_dead(&dead);
	mod_timer(&tbl->gc_timer,
		  now + max_t(u64, p->base_reachable_time / 2, NSEC_PER_SEC));
}

/* Call @cb for every entry (read-locked: @cb must not change the table). */
void neigh_for_each(struct neigh_table *tbl,
		    void (*cb)(struct neighbour *n, void *arg), void *arg)
{
	struct neighbour *n;
	unsigned int i;

	if (!tbl)
		return;
	read_lock(&tbl->lock);
	for (i = 0; i < NEIGH_HASH_SIZE; i++)
		hlist_for_each_entry(n, &tbl->hash[i], hash)
			cb(n, arg);
	rwlock_unlock(&tbl->lock);
}

/* State names as `ip neigh` prints them. */
const char *neigh_state_name(u8 nud_state)
{
	switch (nud_state) {
	case NUD_NONE: return "NONE";
	case NUD_INCOMPLETE: return "INCOMPLETE";
	case NUD_REACHABLE: return "REACHABLE";
	case NUD_STALE: return "STALE";
	case NUD_DELAY: return "DELAY";
	case NUD_PROBE: return "PROBE";
	case NUD_FAILED: return "FAILED";
	case NUD_NOARP: return "NOARP";
	case NUD_PERMANENT: return "PERMANENT";
	default: return "UNKNOWN";
	}
}

/* Linux's net.ipv4.neigh.default.* values, when the stack set none. */
static void neigh_parms_default(struct neigh_parms *p)
{
	if (p->base_reachable_time)
		return;
	p->base_reachable_time = 30 * NSEC_PER_SEC;
	p->retrans_time = NSEC_PER_SEC;
	p->delay_probe_time = 5 * NSEC_PER_SEC;
	p->gc_stale_time = 60 * NSEC_PER_SEC;
	p->locktime = NSEC_PER_SEC;
	p->ucast_probes = 3;
	p->mcast_probes = 3;
	p->app_probes = 0;
	p->unres_qlen_bytes = 212992;
	p->gc_thresh1 = 128;
	p->gc_thresh2 = 512;
	p->gc_thresh3 = 1024;
}

/* A stack's table with its GC timer armed. NULL on allocation failure. */
struct neigh_table *neigh_table_create(struct net *net,
				       struct neigh_parms *parms)
{
	struct neigh_table *tbl = calloc(1, sizeof(*tbl));
	u64 now = net_now(net);

	if (!tbl)
		return NULL;
	neigh_parms_default(parms);
	tbl->net = net;
	tbl->parms = parms;
	rwlock_init(&tbl->lock);
	tbl->last_rand = now;
	tbl->last_flush = now;
	tbl->reachable_time = neigh_rand_reach_time(net, parms->base_reachable_time);
	timer_setup(&tbl->gc_timer, neigh_periodic_work, net->timers);
	mod_timer(&tbl->gc_timer,
		  now + max_t(u64, parms->base_reachable_time / 2, NSEC_PER_SEC));
	return tbl;
}

/* Stop the GC, kill every entry, free the table (stack teardown). */
void neigh_table_destroy(struct neigh_table *tbl)
{
	if (!tbl)
		return;
	del_timer_sync(&tbl->gc_timer);
	neigh_ifdown(tbl, NULL);
	rwlock_destroy(&tbl->lock);
	free(tbl);
}
