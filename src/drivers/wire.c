/*
 * The virtual wire: an in-process Ethernet link joining two stacks, the
 * role of a veth pair with netem on it (Linux's drivers/net/veth.c and
 * net/sched/sch_netem.c).
 *
 * Transmit (stack A, dev_queue_xmit -> wire_xmit): the skb itself moves to
 * the peer, no copy (veth-style scrub: orphan, drop route, clear cb, dev =
 * peer). Impairments of the A->B direction are drawn from a seeded
 * xorshift PRNG in transmit order, so a run replays exactly: loss,
 * duplication, corruption, rate (serialisation after the previous frame),
 * delay + jitter, reordering (an extra hold so later frames pass), and a
 * limit of frames in flight.
 * Delivery (stack B): a frame due now goes on B's rx ring and B's NAPI is
 * scheduled; a later one waits in B's delay queue (ordered by delivery
 * time) and B's timer moves it to the ring when due. B's NAPI poll takes a
 * burst off the ring under one lock and calls netif_receive_skb for each.
 *
 * Lifetime: each device's ndo_uninit detaches its end (purging frames
 * bound for it); the wire is freed when both ends are gone. An end whose
 * peer is gone drops what it sends.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockline/sockline.h"
#include "sl/spinlock.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/route.h"

#define WIRE_QUEUE_LIMIT_DEFAULT 10000
#define WIRE_NAPI_WEIGHT NAPI_POLL_WEIGHT

struct sl_wire;

/* One side of the wire: what arrives at this device, and how it leaves. */
struct wire_end {
	struct sl_wire *wire;
	int idx;
	struct net *net;
	struct net_device *dev;        /* NULL once detached */
	struct napi_struct napi;
	struct sk_buff_head rx_ring;   /* due frames for this device */
	struct sk_buff_head delayq;    /* later frames, by tstamp (wire->lock) */
	struct timer_list timer;       /* on this stack: delayq -> rx_ring */

	/* Outbound direction (this end -> peer), under wire->lock. */
	struct sl_wire_impair imp;
	u64 rng;                       /* xorshift64 state */
	u64 last_departure;            /* rate limiting: previous frame leaves */
};

struct sl_wire {
	spinlock_t lock;
	u32 refcnt;                    /* one per attached end */
	bool gso;
	struct wire_end end[2];
};

struct wire_priv {
	struct wire_end *end;
};

static struct wire_end *wire_end_of(const struct net_device *dev)
{
	return ((struct wire_priv *)netdev_priv(dev))->end;
}

static struct wire_end *wire_peer(struct wire_end *e)
{
	return &e->wire->end[!e->idx];
}

/* --- PRNG (deterministic per direction) ----------------------------------- */

static u64 wire_rand(struct wire_end *e)
{
	u64 x = e->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	e->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, 1). */
static double wire_rand_unit(struct wire_end *e)
{
	return (double)(wire_rand(e) >> 11) * (1.0 / 9007199254740992.0);
}

/* True with probability @p; draws nothing when @p is 0 (replays stay aligned). */
static bool wire_chance(struct wire_end *e, double p)
{
	if (p <= 0.0)
		return false;
	return wire_rand_unit(e) < p;
}

static u64 splitmix64(u64 x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return (x ^ (x >> 31)) | 1;
}

/* --- delivery on the receiving stack -------------------------------------- */

/* Put a due frame on @e's ring and make its stack poll. wire->lock held. */
static void wire_ring_add(struct wire_end *e, struct sk_buff *skb)
{
	skb_queue_tail(&e->rx_ring, skb);
	napi_schedule(&e->napi);
}

/* Move every frame due at @now from @e's delay queue to its ring; re-arm. */
static void wire_deliver_due(struct wire_end *e, u64 now)
{
	struct sk_buff *skb;

	while ((skb = skb_peek(&e->delayq)) && skb->tstamp <= now) {
		__skb_unlink(skb, &e->delayq);
		wire_ring_add(e, skb);
	}
	if (skb)
		mod_timer(&e->timer, skb->tstamp);
}

static void wire_timer_fn(struct timer_list *t)
{
	struct wire_end *e = from_timer(e, t, timer);
	struct sl_wire *w = e->wire;

	spin_lock(&w->lock);
	if (e->dev)
		wire_deliver_due(e, net_now(e->net));
	spin_unlock(&w->lock);
}

/* Insert by delivery time, after frames due at the same instant (FIFO). */
static void wire_delayq_insert(struct wire_end *e, struct sk_buff *skb)
{
	struct sk_buff *pos;

	for (pos = skb_peek_tail(&e->delayq); pos;
	     pos = pos->prev == (struct sk_buff *)&e->delayq ? NULL : pos->prev) {
		if (pos->tstamp <= skb->tstamp) {
			__skb_queue_after(&e->delayq, pos, skb);
			return;
		}
	}
	__skb_queue_head(&e->delayq, skb);
}

/*
 * NAPI poll of the receiving device: take up to @budget frames off the
 * ring in one lock hold, then feed them to the stack.
 */
static int wire_napi_poll(struct napi_struct *napi, int budget)
{
	struct wire_end *e = container_of(napi, struct wire_end, napi);
	struct sk_buff_head batch;
	struct sk_buff *skb;
	int work = 0;

	skb_queue_head_init(&batch);
	skb_queue_lock(&e->rx_ring);
	while (work < budget && (skb = __skb_dequeue(&e->rx_ring))) {
		__skb_queue_tail(&batch, skb);
		work++;
	}
	skb_queue_unlock(&e->rx_ring);
	while ((skb = __skb_dequeue(&batch))) {
		skb_trace(skb);
		netif_receive_skb(skb);
	}
	if (work < budget)
		napi_complete_done(napi, work);
	return work;
}

/* --- transmit ------------------------------------------------------------- */

/* Veth-style scrub: the frame leaves its stack and becomes the peer's. */
static void wire_scrub(struct sk_buff *skb, struct net_device *peer, u64 when)
{
	/*
	 * A GSO wire carries segments whole and never damages them unless
	 * told to (corruption finished the checksum first): a partial
	 * checksum arrives as verified, as over veth.
	 */
	if (skb->ip_summed == CHECKSUM_PARTIAL && (peer->features & NETIF_F_RXCSUM))
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb_orphan(skb);
	skb_dst_drop(skb);
	memset(skb->cb, 0, sizeof(skb->cb));
	skb->dev = peer;
	skb->pkt_type = PACKET_HOST;
	skb->mark = 0;
	skb->priority = 0;
	skb->tstamp = when;
}

/*
 * Flip one random bit of the frame (netem corrupt). The data is made
 * private first, and a partial checksum is finished so that the damage is
 * detectable. Returns the skb to send, or NULL when it was dropped.
 */
static struct sk_buff *wire_corrupt(struct wire_end *e, struct sk_buff *skb)
{
	u64 bit;

	if (skb_cloned(skb)) {
		skb = skb_unshare(skb);
		if (!skb)
			return NULL;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return NULL;
	}
	if (skb->len) {
		bit = wire_rand(e) % ((u64)skb->len * 8);
		skb->data[bit / 8] ^= (u8)(1u << (bit % 8));
	}
	return skb;
}

/* Delivery time of @skb on the receiving end's clock. wire->lock held. */
static u64 wire_schedule(struct wire_end *e, struct wire_end *peer,
			 struct sk_buff *skb, u64 now)
{
	const struct sl_wire_impair *imp = &e->imp;
	u64 depart = now, at;

	if (imp->rate_bps) {
		/* Serialisation: a frame leaves after the previous one. */
		if (e->last_departure > depart)
			depart = e->last_departure;
		depart += (u64)skb->len * 8 * NSEC_PER_SEC / imp->rate_bps;
		e->last_departure = depart;
	}
	at = depart + imp->delay_ns;
	if (imp->jitter_ns)
		at += wire_rand(e) % imp->jitter_ns;
	if (wire_chance(e, imp->reorder))
		at += imp->delay_ns ? imp->delay_ns : NSEC_PER_MSEC;
	return at;
}

static bool wire_impaired(const struct sl_wire_impair *imp)
{
	return imp->loss > 0 || imp->duplicate > 0 || imp->reorder > 0 ||
	       imp->corrupt > 0 || imp->delay_ns || imp->jitter_ns ||
	       imp->rate_bps;
}

static u32 wire_queue_limit(const struct sl_wire_impair *imp)
{
	return imp->queue_limit ? imp->queue_limit : WIRE_QUEUE_LIMIT_DEFAULT;
}

/* Hand one scheduled frame to the peer end. wire->lock held; consumes. */
static void wire_enqueue(struct wire_end *peer, struct sk_buff *skb, u64 at,
			 u64 now)
{
	wire_scrub(skb, peer->dev, at);
	if (at <= now && skb_queue_empty(&peer->delayq)) {
		wire_ring_add(peer, skb);
		return;
	}
	wire_delayq_insert(peer, skb);
	wire_deliver_due(peer, now);
}

/* Drop a frame we were asked to send; counted in the sending stack. */
static void wire_tx_drop(struct net_device *dev, struct sk_buff *skb,
			 enum skb_drop_reason reason)
{
	DEV_STATS_INC(dev, tx_dropped);
	kfree_skb_reason(skb, reason);
}

/*
 * ndo_start_xmit: move @skb (data at the Ethernet header) to the peer,
 * through this direction's impairments. Always consumes @skb.
 */
static netdev_tx_t wire_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct wire_end *e = wire_end_of(dev);
	struct sl_wire *w = e->wire;
	struct wire_end *peer = wire_peer(e);
	struct sk_buff *dup = NULL;
	int copies = 1;
	u64 now, at;

	skb_trace(skb);
	spin_lock(&w->lock);
	if (!peer->dev) {
		spin_unlock(&w->lock);
		wire_tx_drop(dev, skb, SKB_DROP_REASON_DEV_READY);
		return NETDEV_TX_OK;
	}
	now = net_now(peer->net);
	if (skb_queue_len(&peer->delayq) + skb_queue_len(&peer->rx_ring) >=
	    wire_queue_limit(&e->imp)) {
		spin_unlock(&w->lock);
		wire_tx_drop(dev, skb, SKB_DROP_REASON_FULL_RING);
		return NETDEV_TX_OK;
	}
	if (!wire_impaired(&e->imp)) {
		wire_enqueue(peer, skb, now, now);
		spin_unlock(&w->lock);
		return NETDEV_TX_OK;
	}

	/* netem order: duplicate and loss may cancel, then corrupt. */
	if (wire_chance(e, e->imp.duplicate))
		copies++;
	if (wire_chance(e, e->imp.loss))
		copies--;
	if (copies == 0) {
		spin_unlock(&w->lock);
		kfree_skb_reason(skb, SKB_DROP_REASON_WIRE_LOSS);
		return NETDEV_TX_OK;
	}
	if (copies > 1)
		dup = skb_clone(skb);
	if (wire_chance(e, e->imp.corrupt)) {
		skb = wire_corrupt(e, skb);
		if (!skb) {
			skb = dup;
			dup = NULL;
		}
	}
	if (skb) {
		at = wire_schedule(e, peer, skb, now);
		wire_enqueue(peer, skb, at, now);
	}
	if (dup) {
		at = wire_schedule(e, peer, dup, now);
		wire_enqueue(peer, dup, at, now);
	}
	spin_unlock(&w->lock);
	return NETDEV_TX_OK;
}

/* --- lifetime ------------------------------------------------------------- */

static void wire_put(struct sl_wire *w)
{
	if (__atomic_sub_fetch(&w->refcnt, 1, __ATOMIC_ACQ_REL) == 0) {
		free(w);
	}
}

/*
 * Detach @e: nothing more arrives for its device; frames in flight towards
 * it are dropped. Called from ndo_uninit (process context, the device's
 * stack not polling it concurrently).
 */
static void wire_end_detach(struct wire_end *e)
{
	struct sl_wire *w = e->wire;

	spin_lock(&w->lock);
	e->dev = NULL;
	spin_unlock(&w->lock);
	del_timer_sync(&e->timer);
	netif_napi_del(&e->napi);
	spin_lock(&w->lock);
	while (!skb_queue_empty(&e->delayq))
		kfree_skb_reason(__skb_dequeue(&e->delayq),
				 SKB_DROP_REASON_DEV_READY);
	spin_unlock(&w->lock);
	skb_queue_purge(&e->rx_ring);
	wire_put(w);
}

static void wire_uninit(struct net_device *dev)
{
	struct wire_end *e = wire_end_of(dev);

	if (e) {
		((struct wire_priv *)netdev_priv(dev))->end = NULL;
		wire_end_detach(e);
	}
}

static const struct net_device_ops wire_netdev_ops = {
	.ndo_uninit = wire_uninit,
	.ndo_start_xmit = wire_xmit,
};

static struct net_device *wire_dev_alloc(struct sl_wire *w, int idx,
					 struct net *net, const char *name,
					 const struct sl_wire_config *cfg)
{
	struct wire_end *e = &w->end[idx];
	struct net_device *dev;
	u64 seed;

	dev = alloc_netdev(net, sizeof(struct wire_priv), name ? name : "wire%d",
			   ether_setup);
	if (!dev)
		return NULL;
	dev->netdev_ops = &wire_netdev_ops;
	dev->mtu = cfg->mtu ? cfg->mtu : ETH_DATA_LEN;
	if (cfg->gso) {
		dev->features = NETIF_F_GSO | NETIF_F_TSO | NETIF_F_HW_CSUM |
				NETIF_F_RXCSUM | NETIF_F_SG;
		dev->gso_max_size = 65536;
	} else {
		dev->features = 0;
	}
	seed = net_random_u64(net);
	eth_random_addr(dev->dev_addr, &seed);
	((struct wire_priv *)netdev_priv(dev))->end = e;

	e->wire = w;
	e->idx = idx;
	e->net = net;
	e->dev = dev;
	e->imp = idx == 0 ? cfg->a_to_b : cfg->b_to_a;
	e->rng = splitmix64(cfg->seed ^ (u64)(idx + 1));
	skb_queue_head_init(&e->rx_ring);
	skb_queue_head_init(&e->delayq);
	timer_setup(&e->timer, wire_timer_fn, net->timers);
	netif_napi_add(dev, &e->napi, wire_napi_poll, WIRE_NAPI_WEIGHT);
	return dev;
}

static int sl_err(int err)
{
	errno = -err;
	return -1;
}

/*
 * Join @a and @b with a wire: an Ethernet device in each (cfg names or
 * "wire%d"), registered and up. 0 with the ifindexes, or -1 and errno
 * (EINVAL, ENOMEM, EEXIST).
 */
SL_EXPORT int sl_wire_create(sl_net_t *a, sl_net_t *b,
			     const struct sl_wire_config *cfg, int *ifindex_a,
			     int *ifindex_b)
{
	struct sl_wire_config def = { 0 };
	struct net_device *dev[2] = { NULL, NULL };
	struct sl_wire *w;
	int err, i;

	if (!a || !b)
		return sl_err(-EINVAL);
	if (!cfg)
		cfg = &def;
	if (cfg->mtu && (cfg->mtu < 68 || cfg->mtu > 65535))
		return sl_err(-EINVAL);
	w = calloc(1, sizeof(*w));
	if (!w)
		return sl_err(-ENOMEM);
	spin_lock_init(&w->lock);
	w->refcnt = 2;
	w->gso = cfg->gso;
	dev[0] = wire_dev_alloc(w, 0, a, cfg->name_a, cfg);
	dev[1] = wire_dev_alloc(w, 1, b, cfg->name_b, cfg);
	if (!dev[0] || !dev[1]) {
		err = -ENOMEM;
		goto out_free;
	}
	err = register_netdevice(dev[0]);
	if (err)
		goto out_free;
	err = register_netdevice(dev[1]);
	if (err) {
		unregister_netdevice(dev[0]);
		dev[0] = NULL;
		goto out_free;
	}
	for (i = 0; i < 2; i++)
		dev_open(dev[i]);
	if (ifindex_a)
		*ifindex_a = dev[0]->ifindex;
	if (ifindex_b)
		*ifindex_b = dev[1]->ifindex;
	return 0;

out_free:
	/* Unregistered devices: detach by hand, then free. */
	for (i = 0; i < 2; i++) {
		if (dev[i]) {
			wire_uninit(dev[i]);
			free_netdev(dev[i]);
		} else if (w->end[i].wire) {
			continue;
		} else {
			wire_put(w);
		}
	}
	return sl_err(err);
}

/*
 * Replace the impairments of the direction leaving @net's device @ifname.
 * 0, or -1 and errno (ENODEV: no such device, EINVAL: not a wire).
 */
SL_EXPORT int sl_wire_set_impair(sl_net_t *net, const char *ifname,
				 const struct sl_wire_impair *imp)
{
	struct net_device *dev;
	struct wire_end *e;
	int err = 0;

	if (!net || !ifname || !imp)
		return sl_err(-EINVAL);
	pthread_mutex_lock(&net->dev_lock);
	list_for_each_entry(dev, &net->dev_base_head, dev_list)
		if (!strncmp(dev->name, ifname, IFNAMSIZ))
			goto found;
	pthread_mutex_unlock(&net->dev_lock);
	return sl_err(-ENODEV);
found:
	if (dev->netdev_ops != &wire_netdev_ops || !wire_end_of(dev)) {
		err = -EINVAL;
	} else {
		e = wire_end_of(dev);
		spin_lock(&e->wire->lock);
		e->imp = *imp;
		spin_unlock(&e->wire->lock);
	}
	pthread_mutex_unlock(&net->dev_lock);
	return err ? sl_err(err) : 0;
}
