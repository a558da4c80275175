/*
 * Network devices: lifetime, configuration events, the transmit entry
 * point, the receive dispatcher and NAPI (Linux's net/core/dev.c).
 *
 * Lifetime:  alloc_netdev -> register_netdevice (name, ifindex, qdisc,
 *            NETDEV_REGISTER) -> dev_open (NETDEV_UP) ... dev_close
 *            (NETDEV_DOWN) -> unregister_netdevice (NETDEV_UNREGISTER,
 *            ndo_uninit, last dev_put frees).
 * Transmit:  dev_queue_xmit -> validate (software checksum when the device
 *            cannot) -> __dev_xmit_skb (bypass an idle empty qdisc, or
 *            enqueue + qdisc_run) -> sch_direct_xmit -> dev_hard_start_xmit
 *            -> dev_queue_xmit_nit (taps) -> ndo_start_xmit.
 * Receive:   napi_schedule (driver, any thread) -> net_rx_action (softirq)
 *            -> napi->poll -> netif_receive_skb -> taps -> ptype_base
 *            handler (ip_rcv, arp_rcv). netif_rx queues on the stack's
 *            backlog, polled by process_backlog.
 *
 * Tables: ptype_base (protocol handlers by ethertype) and the notifier
 * chain are process-wide and filled once at library init; taps live on
 * the device or on the stack (net->ptype_all) under net->ptype_lock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockline/sockline.h"
#include "sl/checksum.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/route.h"

#include "dev_priv.h"

#define PTYPE_HASH_SIZE 16
#define NAPI_STATE_MISSED 1 /* scheduled again while being polled */

static struct list_head ptype_base[PTYPE_HASH_SIZE];
static rwlock_t ptype_base_lock = RWLOCK_UNLOCKED;
static pthread_once_t net_dev_once = PTHREAD_ONCE_INIT;

static struct notifier_block *netdev_chain;
static rwlock_t netdev_chain_lock = RWLOCK_UNLOCKED;

static void __net_dev_init(void)
{
	int i;

	for (i = 0; i < PTYPE_HASH_SIZE; i++)
		INIT_LIST_HEAD(&ptype_base[i]);
}

/*
 * One-time init of the process-wide tables (ptype_base). Idempotent: the
 * registration helpers call it too, so init order cannot bite.
 */
void net_dev_init(void)
{
	pthread_once(&net_dev_once, __net_dev_init);
}

/* --- device lifetime ---------------------------------------------------- */

/*
 * Allocate a device in @net with @sizeof_priv bytes of zeroed driver state
 * right after it, and run @setup. The caller owns the one reference: it
 * either registers the device (unregister drops it) or calls free_netdev.
 */
struct net_device *alloc_netdev(struct net *net, size_t sizeof_priv,
				const char *name,
				void (*setup)(struct net_device *dev))
{
	size_t head = ALIGN_UP(sizeof(struct net_device), (size_t)64);
	struct net_device *dev;

	if (!name || strlen(name) >= IFNAMSIZ)
		return NULL;
	dev = calloc(1, head + sizeof_priv);
	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->nd_net = net;
	dev->refcnt = 1;
	INIT_LIST_HEAD(&dev->dev_list);
	INIT_LIST_HEAD(&dev->ptype_all);
	spin_lock_init(&dev->tx_lock);
	dev->tx_queue_len = 1000;
	dev->gso_max_size = 65536;
	if (sizeof_priv)
		dev->priv = (char *)dev + head;
	if (setup)
		setup(dev);
	return dev;
}

/* Free a device that was never registered, or whose last reference went. */
void free_netdev(struct net_device *dev)
{
	if (!dev)
		return;
	if (dev->priv_destructor)
		dev->priv_destructor(dev);
	free(dev);
}

/* Take a reference that keeps @dev's memory alive past unregister. */
void dev_hold(struct net_device *dev)
{
	__atomic_fetch_add(&dev->refcnt, 1, __ATOMIC_RELAXED);
}

/* Drop a reference; the last one (after unregister) frees the device. */
void dev_put(struct net_device *dev)
{
	if (__atomic_sub_fetch(&dev->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		free_netdev(dev);
}

static struct net_device *__dev_get_by_name(struct net *net, const char *name)
{
	struct net_device *dev;

	list_for_each_entry(dev, &net->dev_base_head, dev_list)
		if (!strncmp(dev->name, name, IFNAMSIZ))
			return dev;
	return NULL;
}

/* Lookup by name; no reference taken (see netdevice.h). */
struct net_device *dev_get_by_name(struct net *net, const char *name)
{
	struct net_device *dev;

	pthread_mutex_lock(&net->dev_lock);
	dev = __dev_get_by_name(net, name);
	pthread_mutex_unlock(&net->dev_lock);
	return dev;
}

/* Lookup by ifindex; no reference taken. */
struct net_device *dev_get_by_index(struct net *net, int ifindex)
{
	struct net_device *dev, *found = NULL;

	pthread_mutex_lock(&net->dev_lock);
	list_for_each_entry(dev, &net->dev_base_head, dev_list) {
		if (dev->ifindex == ifindex) {
			found = dev;
			break;
		}
	}
	pthread_mutex_unlock(&net->dev_lock);
	return found;
}

/*
 * Resolve a "%d" template to the lowest unused unit, as Linux's
 * __dev_alloc_name. Caller holds dev_lock. 0, -EINVAL or -ENFILE.
 */
static int __dev_alloc_name(struct net *net, struct net_device *dev)
{
	char tmpl[IFNAMSIZ], buf[IFNAMSIZ + 16];
	const char *p = strchr(dev->name, '%');
	int i;

	if (!p || p[1] != 'd' || strchr(p + 2, '%'))
		return -EINVAL;
	memcpy(tmpl, dev->name, sizeof(tmpl));
	for (i = 0; i < 32768; i++) {
		snprintf(buf, sizeof(buf), tmpl, i);
		if (strlen(buf) >= IFNAMSIZ)
			return -EINVAL;
		if (!__dev_get_by_name(net, buf)) {
			memcpy(dev->name, buf, IFNAMSIZ);
			return 0;
		}
	}
	return -ENFILE;
}

static int dev_get_valid_name(struct net *net, struct net_device *dev)
{
	if (!dev->name[0] || !strcmp(dev->name, ".") || !strcmp(dev->name, ".."))
		return -EINVAL;
	if (strchr(dev->name, '/') || strchr(dev->name, ':'))
		return -EINVAL;
	if (strchr(dev->name, '%'))
		return __dev_alloc_name(net, dev);
	if (__dev_get_by_name(net, dev->name))
		return -EEXIST;
	return 0;
}

/*
 * Make @dev visible in its stack: unique name, next ifindex, default qdisc
 * (pfifo of tx_queue_len), then NETDEV_REGISTER. 0, -EEXIST, -EINVAL,
 * -ENOMEM or the driver's ndo_init error.
 */
int register_netdevice(struct net_device *dev)
{
	struct net *net = dev_net(dev);
	int err;

	pthread_mutex_lock(&net->dev_lock);
	err = dev_get_valid_name(net, dev);
	if (err)
		goto out_unlock;
	if (dev->netdev_ops && dev->netdev_ops->ndo_init) {
		err = dev->netdev_ops->ndo_init(dev);
		if (err)
			goto out_unlock;
	}
	dev->qdisc = qdisc_create_dflt(dev);
	if (!dev->qdisc) {
		err = -ENOMEM;
		goto out_uninit;
	}
	dev->ifindex = ++net->ifindex;
	list_add_tail(&dev->dev_list, &net->dev_base_head);
	pthread_mutex_unlock(&net->dev_lock);

	call_netdevice_notifiers(NETDEV_REGISTER, dev);
	return 0;

out_uninit:
	if (dev->netdev_ops && dev->netdev_ops->ndo_uninit)
		dev->netdev_ops->ndo_uninit(dev);
out_unlock:
	pthread_mutex_unlock(&net->dev_lock);
	return err;
}

/* Remove every tap still bound to @dev (their owners were told). */
static void dev_flush_taps(struct net_device *dev)
{
	struct net *net = dev_net(dev);
	struct list_head *pos, *n;

	write_lock(&net->ptype_lock);
	list_for_each_safe(pos, n, &dev->ptype_all)
		list_del_init(pos);
	rwlock_unlock(&net->ptype_lock);
}

/*
 * Close @dev, unlink it from its stack, tell the other layers
 * (NETDEV_UNREGISTER: routes, neighbours and captures let go), let the
 * driver detach (ndo_uninit), free the qdisc and drop the registration
 * reference; the device is freed when the last dev_put runs.
 */
void unregister_netdevice(struct net_device *dev)
{
	struct net *net = dev_net(dev);

	dev_close(dev);
	pthread_mutex_lock(&net->dev_lock);
	list_del_init(&dev->dev_list);
	pthread_mutex_unlock(&net->dev_lock);

	call_netdevice_notifiers(NETDEV_UNREGISTER, dev);
	if (dev->netdev_ops && dev->netdev_ops->ndo_uninit)
		dev->netdev_ops->ndo_uninit(dev);
	dev_flush_taps(dev);
	if (dev->qdisc) {
		qdisc_destroy(dev->qdisc);
		dev->qdisc = NULL;
	}
	if (net->loopback_dev == dev)
		net->loopback_dev = NULL;
	dev_put(dev);
}

/* Bring @dev up: ndo_open, IFF_UP|IFF_RUNNING, NETDEV_UP. 0 or -errno. */
int dev_open(struct net_device *dev)
{
	int err;

	if (dev->flags & IFF_UP)
		return 0;
	if (dev->netdev_ops && dev->netdev_ops->ndo_open) {
		err = dev->netdev_ops->ndo_open(dev);
		if (err)
			return err;
	}
	__atomic_fetch_or(&dev->flags, IFF_UP | IFF_RUNNING, __ATOMIC_RELEASE);
	call_netdevice_notifiers(NETDEV_UP, dev);
	return 0;
}

/*
 * Take @dev down: clear IFF_UP first so no new transmission starts,
 * NETDEV_DOWN (routes and neighbours flush), ndo_stop, drop the queued
 * frames. Always 0.
 */
int dev_close(struct net_device *dev)
{
	if (!(dev->flags & IFF_UP))
		return 0;
	__atomic_fetch_and(&dev->flags, ~(unsigned int)(IFF_UP | IFF_RUNNING),
			   __ATOMIC_RELEASE);
	call_netdevice_notifiers(NETDEV_DOWN, dev);
	if (dev->netdev_ops && dev->netdev_ops->ndo_stop)
		dev->netdev_ops->ndo_stop(dev);
	if (dev->qdisc)
		qdisc_reset(dev->qdisc);
	return 0;
}

/* Change the MTU within [min_mtu, max_mtu] (else -EINVAL), NETDEV_CHANGEMTU. */
int dev_set_mtu(struct net_device *dev, int new_mtu)
{
	int err;

	if (new_mtu == (int)dev->mtu)
		return 0;
	if (new_mtu < 0 || (unsigned int)new_mtu < dev->min_mtu ||
	    (dev->max_mtu && (unsigned int)new_mtu > dev->max_mtu))
		return -EINVAL;
	if (dev->netdev_ops && dev->netdev_ops->ndo_change_mtu) {
		err = dev->netdev_ops->ndo_change_mtu(dev, new_mtu);
		if (err)
			return err;
	} else {
		WRITE_ONCE(dev->mtu, (unsigned int)new_mtu);
	}
	call_netdevice_notifiers(NETDEV_CHANGEMTU, dev);
	return 0;
}

/* --- notifier chain ----------------------------------------------------- */

/*
 * Add @nb to the global chain, kept sorted by descending priority (higher
 * priority is called first, as Linux). Registered once at library init.
 */
int register_netdevice_notifier(struct notifier_block *nb)
{
	struct notifier_block **p;

	write_lock(&netdev_chain_lock);
	for (p = &netdev_chain; *p; p = &(*p)->next) {
		if (*p == nb) {
			rwlock_unlock(&netdev_chain_lock);
			return -EEXIST;
		}
		if (nb->priority > (*p)->priority)
			break;
	}
	nb->next = *p;
	*p = nb;
	rwlock_unlock(&netdev_chain_lock);
	return 0;
}

int unregister_netdevice_notifier(struct notifier_block *nb)
{
	struct notifier_block **p;
	int err = -ENOENT;

	write_lock(&netdev_chain_lock);
	for (p = &netdev_chain; *p; p = &(*p)->next) {
		if (*p == nb) {
			*p = nb->next;
			nb->next = NULL;
			err = 0;
			break;
		}
	}
	rwlock_unlock(&netdev_chain_lock);
	return err;
}

/*
 * Tell every notifier about @event on @dev, in priority order. The chain
 * is read-locked while calling, so notifiers must not (un)register
 * notifiers; they may call back into the device layer.
 */
void call_netdevice_notifiers(unsigned long event, struct net_device *dev)
{
	struct notifier_block *nb;

	read_lock(&netdev_chain_lock);
	for (nb = netdev_chain; nb; nb = nb->next)
		nb->notifier_call(nb, event, dev);
	rwlock_unlock(&netdev_chain_lock);
}

/* --- protocol handlers and taps ----------------------------------------- */

static struct list_head *ptype_head(struct packet_type *pt)
{
	if (pt->type == htons(ETH_P_ALL))
		return pt->dev ? &pt->dev->ptype_all
			       : &pt->af_packet_net->ptype_all;
	return &ptype_base[ntohs(pt->type) & (PTYPE_HASH_SIZE - 1)];
}

static rwlock_t *ptype_lock_of(struct packet_type *pt)
{
	if (pt->type != htons(ETH_P_ALL))
		return &ptype_base_lock;
	return pt->dev ? &dev_net(pt->dev)->ptype_lock
		       : &pt->af_packet_net->ptype_lock;
}

/*
 * Register a protocol handler (by ethertype, process-wide) or a tap
 * (ETH_P_ALL: on pt->dev, or on every device of pt->af_packet_net).
 */
void dev_add_pack(struct packet_type *pt)
{
	rwlock_t *lock = ptype_lock_of(pt);

	net_dev_init();
	SL_BUG_ON(pt->type == htons(ETH_P_ALL) && !pt->dev && !pt->af_packet_net,
		  "tap without device or stack");
	write_lock(lock);
	/* Protocol handlers are read without a lock (deliver_ptype). */
	if (pt->type == htons(ETH_P_ALL))
		list_add_tail(&pt->list, ptype_head(pt));
	else
		list_add_tail_rcu(&pt->list, ptype_head(pt));
	rwlock_unlock(lock);
}

/*
 * Unregister; once this returns no thread is inside pt->func any more.
 * Taps are called under the read side of their lock. Protocol handlers
 * are read without one (deliver_ptype), so the entry is unlinked keeping
 * its own next pointer (a reader standing on it still finds the rest of
 * the list) and then every stack's softirq is waited for, as Linux's
 * dev_remove_pack waits for an RCU grace period (synchronize_net).
 * Process context only, never from a softirq.
 */
void dev_remove_pack(struct packet_type *pt)
{
	rwlock_t *lock = ptype_lock_of(pt);
	bool proto = pt->type != htons(ETH_P_ALL);

	write_lock(lock);
	if (pt->list.next && pt->list.next != &pt->list) {
		if (proto)
			list_del_rcu(&pt->list);
		else
			list_del_init(&pt->list);
	}
	rwlock_unlock(lock);
	if (proto) {
		synchronize_net();
		INIT_LIST_HEAD(&pt->list);
	}
}

/* Hand one reference of @skb to each tap on @head (caller read-locks). */
static void deliver_taps(struct sk_buff *skb, struct net_device *dev,
			 struct list_head *head)
{
	struct packet_type *pt;

	list_for_each_entry(pt, head, list)
		pt->func(skb_get(skb), dev, pt, dev);
}

static bool dev_has_taps(struct net_device *dev)
{
	return !list_empty(&dev->ptype_all) ||
	       !list_empty(&dev_net(dev)->ptype_all);
}

/*
 * Deliver an extra reference of an outgoing @skb (data at the link header)
 * to every tap of @dev and of its stack, marked PACKET_OUTGOING. Taps
 * consume what they get and must not modify it. @skb is not consumed.
 */
void dev_queue_xmit_nit(struct sk_buff *skb, struct net_device *dev)
{
	struct net *net = dev_net(dev);

	skb->pkt_type = PACKET_OUTGOING;
	read_lock(&net->ptype_lock);
	deliver_taps(skb, dev, &net->ptype_all);
	deliver_taps(skb, dev, &dev->ptype_all);
	rwlock_unlock(&net->ptype_lock);
}

/* --- transmit ----------------------------------------------------------- */

/*
 * Finish a CHECKSUM_PARTIAL checksum in software: sum from csum_start to
 * the end and store the folded result at csum_start + csum_offset (the
 * field holds the pseudo-header sum). The data must be private to @skb
 * (-EINVAL if it is still shared with a clone). Does not consume @skb.
 */
int skb_checksum_help(struct sk_buff *skb)
{
	unsigned char *start;
	__sum16 *field;
	__wsum csum;
	int len;

	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return 0;
	if (skb_cloned(skb))
		return -EINVAL;
	start = skb->head + skb->csum_start;
	len = (int)(skb->tail - start);
	if (start < skb->data || len < 0 ||
	    skb->csum_offset + sizeof(__sum16) > (unsigned int)len)
		return -EINVAL;
	csum = csum_partial(start, (size_t)len, 0);
	field = (__sum16 *)(start + skb->csum_offset);
	/* Linux writes CSUM_MANGLED_0 for a zero result (0 means "none" in UDP). */
	*field = csum_fold(csum) ? csum_fold(csum) : (__sum16)0xffff;
	skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/*
 * Make @skb acceptable to @dev (Linux's validate_xmit_skb): finish a
 * partial checksum the device cannot do. Returns the skb to send, or NULL
 * when it was dropped (consumed).
 */
static struct sk_buff *validate_xmit_skb(struct sk_buff *skb,
					 struct net_device *dev)
{
	if (skb->ip_summed != CHECKSUM_PARTIAL || (dev->features & NETIF_F_HW_CSUM))
		return skb;
	if (skb_cloned(skb)) {
		skb = skb_unshare(skb);
		if (!skb)
			goto out_drop_counted;
	}
	if (skb_checksum_help(skb))
		goto out_drop;
	return skb;

out_drop:
	kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
out_drop_counted:
	DEV_STATS_INC(dev, tx_dropped);
	return NULL;
}

/*
 * Hand one skb to the driver, after the taps. Called with dev->tx_lock
 * held. Consumes @skb unless it returns NETDEV_TX_BUSY.
 */
netdev_tx_t dev_hard_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	unsigned int len = skb->len;
	netdev_tx_t rc;

	skb_trace(skb);
	if (dev_has_taps(dev))
		dev_queue_xmit_nit(skb, dev);
	rc = dev->netdev_ops->ndo_start_xmit(skb, dev);
	if (rc == NETDEV_TX_OK) {
		DEV_STATS_INC(dev, tx_packets);
		DEV_STATS_ADD(dev, tx_bytes, len);
	}
	return rc;
}

/*
 * Linux's __dev_xmit_skb: an idle, empty qdisc is bypassed (the skb goes
 * straight to the driver); otherwise the skb is enqueued and whoever gets
 * to run the qdisc drains it. Consumes @skb.
 */
static int __dev_xmit_skb(struct sk_buff *skb, struct Qdisc *q,
			  struct net_device *dev)
{
	u32 requeues = __atomic_load_n(&q->requeues, __ATOMIC_RELAXED);
	int rc = NET_XMIT_SUCCESS;

	if (!qdisc_run_begin(q)) {
		rc = q->enqueue(skb, q);
		qdisc_run(q);
		return rc;
	}
	if (skb_queue_empty(&q->q)) {
		__atomic_fetch_add(&q->packets, 1, __ATOMIC_RELAXED);
		if (sch_direct_xmit(skb, q, dev))
			__qdisc_run(q);
	} else {
		rc = q->enqueue(skb, q);
		__qdisc_run(q);
	}
	qdisc_run_end(q);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Driver busy: the next transmission retries (no tx-wake here). */
	if (__atomic_load_n(&q->requeues, __ATOMIC_RELAXED) != requeues)
		return rc;
	/* A thread may have enqueued while we ran: look again. */
	qdisc_run(q);
	return rc;
}

/*
 * Transmit @skb (data at the link header) on skb->dev. Every outcome
 * takes @skb from the caller, a failure included (it is freed then).
 * NET_XMIT_SUCCESS, NET_XMIT_DROP (qdisc full) or -ENETDOWN (device
 * missing or down: dropped, tx_dropped++).
 */
int dev_queue_xmit(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;

	skb_trace(skb);
	if (unlikely(!dev || !netif_running(dev) || !dev->qdisc)) {
		if (dev)
			DEV_STATS_INC(dev, tx_dropped);
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_READY);
		return -ENETDOWN;
	}
	skb_reset_mac_header(skb);
	skb = validate_xmit_skb(skb, dev);
	if (!skb)
		return NET_XMIT_DROP;
	return __dev_xmit_skb(skb, dev->qdisc, dev);
}

/* --- receive ------------------------------------------------------------ */

static bool dev_is_ethernet(const struct net_device *dev)
{
	return dev->type == ARPHRD_ETHER || dev->type == ARPHRD_LOOPBACK;
}

/*
 * Receive taps see the frame as it was on the wire: data at the MAC
 * header (pcap needs the link header), restored afterwards.
 */
static void deliver_rx_taps(struct sk_buff *skb, struct net_device *dev)
{
	struct net *net = dev_net(dev);
	unsigned int mac_len = (unsigned int)(skb->data - skb_mac_header(skb));

	skb_push(skb, mac_len);
	read_lock(&net->ptype_lock);
	deliver_taps(skb, dev, &net->ptype_all);
	deliver_taps(skb, dev, &dev->ptype_all);
	rwlock_unlock(&net->ptype_lock);
	skb_pull(skb, mac_len);
}

/*
 * Hand @skb to every ptype_base handler for its ethertype, Linux's
 * deliver_skb pattern: all but the last get an extra reference.
 * Consumes @skb; false when no handler wanted it (and @skb is untouched).
 */
static bool deliver_ptype(struct sk_buff *skb, struct net_device *dev, int *ret)
{
	struct list_head *head = &ptype_base[ntohs(skb->protocol) &
					     (PTYPE_HASH_SIZE - 1)];
	struct packet_type *pt, *pt_prev = NULL;
	struct list_head *pos;

	/* No lock: protocol handlers are only ever added (at library init),
	 * each published whole by dev_add_pack; the data path of every stack
	 * reads this table, so a shared lock would bounce between cores. */
	for (pos = __atomic_load_n(&head->next, __ATOMIC_ACQUIRE); pos != head;
	     pos = __atomic_load_n(&pos->next, __ATOMIC_ACQUIRE)) {
		pt = list_entry(pos, struct packet_type, list);
		if (pt->type != skb->protocol || (pt->dev && pt->dev != dev))
			continue;
		if (pt_prev)
			pt_prev->func(skb_get(skb), dev, pt_prev, dev);
		pt_prev = pt;
	}
	if (!pt_prev)
		return false;
	*ret = pt_prev->func(skb, dev, pt_prev, dev);
	return true;
}

/*
 * Deliver one received frame (skb->data at the link header, skb->dev set)
 * to taps and the protocol for its ethertype. Softirq context. Consumes
 * @skb. NET_RX_SUCCESS or NET_RX_DROP.
 */
int netif_receive_skb(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	int ret = NET_RX_SUCCESS;

	skb_trace(skb);
	if (unlikely(!netif_running(dev))) {
		DEV_STATS_INC(dev, rx_dropped);
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_READY);
		return NET_RX_DROP;
	}
	skb_reset_mac_header(skb);
	if (dev_is_ethernet(dev) && skb->len < ETH_HLEN) {
		DEV_STATS_INC(dev, rx_length_errors);
		DEV_STATS_INC(dev, rx_errors);
		kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
		return NET_RX_DROP;
	}
	DEV_STATS_INC(dev, rx_packets);
	DEV_STATS_ADD(dev, rx_bytes, skb->len);
	if (dev_is_ethernet(dev))
		skb->protocol = eth_type_trans(skb, dev);
	if (skb->pkt_type == PACKET_MULTICAST || skb->pkt_type == PACKET_BROADCAST)
		DEV_STATS_INC(dev, multicast);
	skb_reset_network_header(skb);
	skb_reset_transport_header(skb);
	skb->mac_len = (u16)(skb->data - skb_mac_header(skb));

	if (dev_has_taps(dev))
		deliver_rx_taps(skb, dev);
	/* PACKET_OTHERHOST goes on: ip_rcv drops it itself, as Linux. */
	if (!deliver_ptype(skb, dev, &ret)) {
		DEV_STATS_INC(dev, rx_nohandler);
		kfree_skb_reason(skb, SKB_DROP_REASON_UNHANDLED_PROTO);
		return NET_RX_DROP;
	}
	return ret;
}

/* --- NAPI --------------------------------------------------------------- */

/* The backlog NAPI instance and the dummy device that ties it to a stack. */
struct softnet_backlog {
	struct napi_struct napi;
	struct net_device dummy;
};

static struct net *napi_net(const struct napi_struct *napi)
{
	return dev_net(napi->dev);
}

/* Set up @napi for @dev's driver: @poll gets at most @weight per call. */
void netif_napi_add(struct net_device *dev, struct napi_struct *napi,
		    int (*poll)(struct napi_struct *, int), int weight)
{
	INIT_LIST_HEAD(&napi->poll_list);
	napi->state = 0;
	napi->weight = weight > 0 ? weight : NAPI_POLL_WEIGHT;
	napi->poll = poll;
	napi->dev = dev;
}

/* Unlink a scheduled @napi from its stack's poll list. */
void napi_unschedule(struct napi_struct *napi)
{
	struct softnet_data *sd = &napi_net(napi)->softnet;

	spin_lock(&sd->lock);
	if (!list_empty(&napi->poll_list))
		list_del_init(&napi->poll_list);
	__atomic_store_n(&napi->state, 0, __ATOMIC_RELEASE);
	spin_unlock(&sd->lock);
}

/* Forget @napi; the caller guarantees its poll is not running. */
void netif_napi_del(struct napi_struct *napi)
{
	if (napi->dev)
		napi_unschedule(napi);
}

static void ____napi_schedule(struct net *net, struct napi_struct *napi)
{
	struct softnet_data *sd = &net->softnet;

	spin_lock(&sd->lock);
	list_add_tail(&napi->poll_list, &sd->poll_list);
	spin_unlock(&sd->lock);
	net_rx_kick(net);
}

/*
 * Ask the stack's softirq to poll @napi. Safe from any thread. If it is
 * already scheduled (possibly being polled right now), mark it MISSED so
 * napi_complete_done keeps it scheduled: no wakeup is lost.
 */
void napi_schedule(struct napi_struct *napi)
{
	unsigned long old, new;

	old = __atomic_load_n(&napi->state, __ATOMIC_RELAXED);
	do {
		new = old | (1UL << NAPI_STATE_SCHED);
		if (old & (1UL << NAPI_STATE_SCHED))
			new |= 1UL << NAPI_STATE_MISSED;
	} while (!__atomic_compare_exchange_n(&napi->state, &old, new, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	if (!(old & (1UL << NAPI_STATE_SCHED)))
		____napi_schedule(napi_net(napi), napi);
}

/*
 * A poll that did less than its budget is done. Returns false (and stays
 * scheduled, back on the poll list) when napi_schedule ran meanwhile.
 */
bool napi_complete_done(struct napi_struct *napi, int work_done)
{
	unsigned long old, new;

	old = __atomic_load_n(&napi->state, __ATOMIC_RELAXED);
	do {
		if (old & (1UL << NAPI_STATE_MISSED))
			new = old & ~(1UL << NAPI_STATE_MISSED);
		else
			new = old & ~(1UL << NAPI_STATE_SCHED);
	} while (!__atomic_compare_exchange_n(&napi->state, &old, new, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	if (old & (1UL << NAPI_STATE_MISSED)) {
		____napi_schedule(napi_net(napi), napi);
		return false;
	}
	return true;
}

/*
 * Busy polling: claim @napi as napi_schedule would, but off the poll list
 * and without a kick, and run its poll here with @budget (1 to the
 * weight). A poll that used its whole budget is completed anyway: the busy
 * poller comes back at once, and if it leaves instead, the frames still
 * waiting keep the descriptor readable for the softirq's own sleep. Caller
 * holds the softirq lock.
 */
int napi_busy_poll(struct napi_struct *napi, int budget)
{
	unsigned long old = 0;
	int work;

	if (!__atomic_compare_exchange_n(&napi->state, &old,
					 1UL << NAPI_STATE_SCHED, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return 0;
	if (budget <= 0 || budget > napi->weight)
		budget = napi->weight;
	work = napi->poll(napi, budget);
	if (work >= budget)
		napi_complete_done(napi, work);
	return work;
}

/*
 * The softirq's receive half: poll scheduled instances, each with at most
 * its weight, until @budget is spent or none is left. Instances that used
 * their whole weight still have work and go to the back of the list.
 * Returns the frames processed.
 */
int net_rx_action(struct net *net, int budget)
{
	struct softnet_data *sd = &net->softnet;
	struct napi_struct *napi;
	LIST_HEAD(list);
	int work, done = 0;

	if (budget <= 0)
		budget = 300;
	/* Nothing scheduled: no lock. napi_schedule adds under sd->lock and
	 * then kicks the softirq, so a poll that misses it here runs again. */
	if (__atomic_load_n(&sd->poll_list.next, __ATOMIC_ACQUIRE) == &sd->poll_list)
		return 0;
	spin_lock(&sd->lock);
	if (!list_empty(&sd->poll_list)) {
		list.next = sd->poll_list.next;
		list.prev = sd->poll_list.prev;
		list.next->prev = &list;
		list.prev->next = &list;
		INIT_LIST_HEAD(&sd->poll_list);
	}
	spin_unlock(&sd->lock);

	while (!list_empty(&list)) {
		if (done >= budget) {
			sd->time_squeeze++;
			break;
		}
		napi = list_first_entry(&list, struct napi_struct, poll_list);
		list_del_init(&napi->poll_list);
		work = napi->poll(napi, napi->weight);
		done += work;
		if (work >= napi->weight)
			list_add_tail(&napi->poll_list, &list);
	}
	if (!list_empty(&list)) {
		/* Out of budget: the rest goes first next time. */
		spin_lock(&sd->lock);
		list.prev->next = sd->poll_list.next;
		sd->poll_list.next->prev = list.prev;
		sd->poll_list.next = list.next;
		list.next->prev = &sd->poll_list;
		spin_unlock(&sd->lock);
		net_softirq_kick(net);
	}
	sd->processed += (u64)done;
	return done;
}

/* Poll the stack's backlog (netif_rx): one lock per burst of frames. */
static int process_backlog(struct napi_struct *napi, int quota)
{
	struct softnet_data *sd = &napi_net(napi)->softnet;
	struct sk_buff_head batch;
	struct sk_buff *skb;
	int work = 0;

	skb_queue_head_init(&batch);
	spin_lock(&sd->lock);
	while (work < quota && (skb = __skb_dequeue(&sd->input_pkt_queue))) {
		__skb_queue_tail(&batch, skb);
		work++;
	}
	spin_unlock(&sd->lock);
	while ((skb = __skb_dequeue(&batch)))
		netif_receive_skb(skb);
	if (work < quota)
		napi_complete_done(napi, work);
	return work;
}

/*
 * Queue @skb (data at the link header, skb->dev set) on the stack's
 * backlog for the next softirq. Consumes it. NET_RX_DROP when the backlog
 * holds net.core.netdev_max_backlog frames already.
 */
int netif_rx(struct sk_buff *skb)
{
	struct net_device *dev = skb->dev;
	struct net *net = dev_net(dev);
	struct softnet_data *sd = &net->softnet;
	u32 limit = net->core.sysctl_netdev_max_backlog > 0
			    ? (u32)net->core.sysctl_netdev_max_backlog
			    : 1000;

	skb_trace(skb);
	if (unlikely(!sd->backlog))
		goto out_drop;
	spin_lock(&sd->lock);
	if (skb_queue_len(&sd->input_pkt_queue) >= limit) {
		spin_unlock(&sd->lock);
		goto out_drop;
	}
	__skb_queue_tail(&sd->input_pkt_queue, skb);
	spin_unlock(&sd->lock);
	napi_schedule(sd->backlog);
	return NET_RX_SUCCESS;

out_drop:
	__atomic_fetch_add(&sd->dropped, 1, __ATOMIC_RELAXED);
	DEV_STATS_INC(dev, rx_dropped);
	kfree_skb_reason(skb, SKB_DROP_REASON_FULL_RING);
	return NET_RX_DROP;
}

/* Create the stack's backlog NAPI instance (loopback_net_ops init). */
int netdev_backlog_init(struct net *net)
{
	struct softnet_backlog *b;

	if (net->softnet.backlog)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	snprintf(b->dummy.name, sizeof(b->dummy.name), "backlog");
	b->dummy.nd_net = net;
	INIT_LIST_HEAD(&b->dummy.dev_list);
	INIT_LIST_HEAD(&b->dummy.ptype_all);
	netif_napi_add(&b->dummy, &b->napi, process_backlog,
		       net->core.sysctl_dev_weight);
	net->softnet.backlog = &b->napi;
	return 0;
}

/* Free the backlog instance and the frames still on it. */
void netdev_backlog_exit(struct net *net)
{
	struct napi_struct *napi = net->softnet.backlog;

	if (!napi)
		return;
	napi_unschedule(napi);
	skb_queue_purge(&net->softnet.input_pkt_queue);
	net->softnet.backlog = NULL;
	free(container_of(napi, struct softnet_backlog, napi));
}

/* --- public: device statistics ------------------------------------------ */

#define STAT(dev, f) __atomic_load_n(&(dev)->stats.f, __ATOMIC_RELAXED)

/* Copy @ifname's counters into @st. 0, or -1 with errno ENODEV/EINVAL. */
SL_EXPORT int sl_link_stats(sl_net_t *net, const char *ifname,
			    struct sl_link_stats *st)
{
	struct net_device *dev;

	if (!net || !ifname || !st) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&net->dev_lock);
	dev = __dev_get_by_name(net, ifname);
	if (dev) {
		st->rx_packets = STAT(dev, rx_packets);
		st->tx_packets = STAT(dev, tx_packets);
		st->rx_bytes = STAT(dev, rx_bytes);
		st->tx_bytes = STAT(dev, tx_bytes);
		st->rx_dropped = STAT(dev, rx_dropped);
		st->tx_dropped = STAT(dev, tx_dropped);
		st->rx_errors = STAT(dev, rx_errors);
		st->tx_errors = STAT(dev, tx_errors);
	}
	pthread_mutex_unlock(&net->dev_lock);
	if (!dev) {
		errno = ENODEV;
		return -1;
	}
	return 0;
}
