/*
 * pktdev: the L3 test device (a TUN device's role for packetdrill).
 *
 * Transmit: dev_queue_xmit -> (no link header: data at the IP header) ->
 *   pktdev_xmit keeps the skb itself on the device's tx queue, stamped with
 *   the stack clock (its emission time). pktdev_pop copies the oldest one
 *   out for the harness, finishing a partial checksum in the copy, and
 *   frees it. The skb may be a TCP clone sharing data with the
 *   retransmission queue: nothing here writes into it.
 * Receive: pktdev_inject copies the datagram into a pool skb (protocol
 *   ETH_P_IP, dev set), queues it on the stack's backlog (netif_rx) and
 *   runs the softirq in the calling thread until it has no work left
 *   (net_poll_wait waits for a softirq thread that got there first), so
 *   the datagram and everything it caused (replies, wakeups, timers due
 *   now) are done when it returns.
 *
 * Lifetime: the device belongs to its stack (unregistered with it);
 * ndo_uninit purges what the harness did not collect.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "sl/checksum.h"
#include "sl/if_ether.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pktdev.h"
#include "sl/route.h"

#define PKTDEV_MAX_DGRAM 65535u
#define PKTDEV_TXQ_LIMIT 100000u

struct pktdev_priv {
	pthread_mutex_t lock;
	struct sk_buff_head txq;   /* sent, not popped; skb->tstamp = sent at */
};

static struct pktdev_priv *pktdev_priv(const struct net_device *dev)
{
	return netdev_priv(dev);
}

/*
 * ndo_start_xmit: keep @skb (data at the IP header) for the harness.
 * Always consumes @skb (queued, or dropped over the limit).
 */
static netdev_tx_t pktdev_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct pktdev_priv *p = pktdev_priv(dev);

	skb_trace(skb);
	skb_orphan(skb);
	skb_dst_drop(skb);
	skb->tstamp = net_now(dev_net(dev));
	pthread_mutex_lock(&p->lock);
	if (skb_queue_len(&p->txq) >= PKTDEV_TXQ_LIMIT) {
		pthread_mutex_unlock(&p->lock);
		DEV_STATS_INC(dev, tx_dropped);
		kfree_skb_reason(skb, SKB_DROP_REASON_FULL_RING);
		return NETDEV_TX_OK;
	}
	__skb_queue_tail(&p->txq, skb);
	pthread_mutex_unlock(&p->lock);
	return NETDEV_TX_OK;
}

static int pktdev_init(struct net_device *dev)
{
	struct pktdev_priv *p = pktdev_priv(dev);

	pthread_mutex_init(&p->lock, NULL);
	skb_queue_head_init(&p->txq);
	return 0;
}

static void pktdev_uninit(struct net_device *dev)
{
	pktdev_purge(dev);
}

static const struct net_device_ops pktdev_ops = {
	.ndo_init = pktdev_init,
	.ndo_uninit = pktdev_uninit,
	.ndo_start_xmit = pktdev_xmit,
};

/* As Linux's tun_net_init for IFF_TUN: no header, point-to-point, NOARP. */
static void pktdev_setup(struct net_device *dev)
{
	dev->type = ARPHRD_NONE;
	dev->hard_header_len = 0;
	dev->needed_headroom = 0;
	dev->addr_len = 0;
	dev->header_ops = NULL;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP | IFF_MULTICAST;
	dev->mtu = ETH_DATA_LEN;
	dev->min_mtu = 68;
	dev->max_mtu = PKTDEV_MAX_DGRAM;
	/* No offloads: full checksums, no segment larger than the MTU, as
	 * packetdrill's tun device is set up. */
	dev->features = 0;
	dev->tx_queue_len = 500;
	dev->netdev_ops = &pktdev_ops;
}

/* Create, register and open a pktdev (see sl/pktdev.h). */
struct net_device *pktdev_create(struct net *net, const char *name,
				 unsigned int mtu, int *err)
{
	struct net_device *dev;
	int e;

	if (mtu && (mtu < 68 || mtu > PKTDEV_MAX_DGRAM)) {
		*err = -EINVAL;
		return NULL;
	}
	dev = alloc_netdev(net, sizeof(struct pktdev_priv), name ? name : "pd%d",
			   pktdev_setup);
	if (!dev) {
		*err = -ENOMEM;
		return NULL;
	}
	if (mtu)
		dev->mtu = mtu;
	e = register_netdevice(dev);
	if (e) {
		free_netdev(dev);
		*err = e;
		return NULL;
	}
	e = dev_open(dev);
	if (e) {
		unregister_netdevice(dev);
		*err = e;
		return NULL;
	}
	*err = 0;
	return dev;
}

/* Inject one IP datagram and run the softirq to completion (sl/pktdev.h). */
int pktdev_inject(struct net_device *dev, const void *buf, size_t len)
{
	struct net *net = dev_net(dev);
	struct sk_buff *skb;
	int guard;

	if (!len || len > PKTDEV_MAX_DGRAM)
		return -EINVAL;
	if (!netif_running(dev))
		return -ENETDOWN;
	skb = alloc_skb(net, (unsigned int)len);
	if (!skb)
		return -ENOMEM;
	skb_put_data(skb, buf, (unsigned int)len);
	skb->dev = dev;
	skb->protocol = htons(ETH_P_IP);
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;
	skb->tstamp = net_now(net);
	netif_rx(skb);
	/* Run the softirq here until idle: the datagram, what it caused, and
	 * whatever it woke that the softirq handles, all at this instant. */
	for (guard = 0; net_poll_wait(net) > 0 && guard < 100000; guard++)
		;
	return 0;
}

/* Copy @skb's bytes to @buf (at most @room), finishing a partial checksum
 * in the copy; returns the bytes copied. */
static size_t pktdev_copy_out(const struct sk_buff *skb, u8 *buf, size_t room)
{
	size_t n = skb->len < room ? skb->len : room;
	size_t start, off;
	__wsum csum;
	__sum16 folded;

	memcpy(buf, skb->data, n);
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		return n;
	start = (size_t)(skb->head + skb->csum_start - skb->data);
	off = start + skb->csum_offset;
	if (start >= skb->len || off + sizeof(__sum16) > n)
		return n;
	csum = csum_partial(skb->data + start, skb->len - start, 0);
	folded = csum_fold(csum);
	if (!folded)
		folded = (__sum16)0xffff;
	memcpy(buf + off, &folded, sizeof(folded));
	return n;
}

/* Pop the oldest transmitted datagram (sl/pktdev.h). */
int pktdev_pop(struct net_device *dev, void *buf, size_t *len, u64 *tstamp)
{
	struct pktdev_priv *p = pktdev_priv(dev);
	struct sk_buff *skb;

	pthread_mutex_lock(&p->lock);
	skb = __skb_dequeue(&p->txq);
	pthread_mutex_unlock(&p->lock);
	if (!skb)
		return -EAGAIN;
	*len = pktdev_copy_out(skb, buf, *len);
	*tstamp = skb->tstamp;
	consume_skb(skb);
	return 0;
}

/* Number of datagrams waiting for pktdev_pop. */
unsigned int pktdev_queued(struct net_device *dev)
{
	struct pktdev_priv *p = pktdev_priv(dev);
	unsigned int n;

	pthread_mutex_lock(&p->lock);
	n = skb_queue_len(&p->txq);
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* Drop every datagram not popped yet. */
void pktdev_purge(struct net_device *dev)
{
	struct pktdev_priv *p = pktdev_priv(dev);
	struct sk_buff *skb;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		skb = __skb_dequeue(&p->txq);
		pthread_mutex_unlock(&p->lock);
		if (!skb)
			break;
		DEV_STATS_INC(dev, tx_dropped);
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_READY);
	}
}
