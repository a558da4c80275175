/*
 * The default queue discipline: pfifo (Linux's net/sched/sch_generic.c and
 * sch_fifo.c, reduced to one band).
 *
 * dev_queue_xmit -> enqueue (pfifo_enqueue: drop when tx_queue_len frames
 * wait) -> qdisc_run: one thread at a time (q->running) dequeues and calls
 * sch_direct_xmit -> dev_hard_start_xmit under dev->tx_lock; a driver that
 * answers NETDEV_TX_BUSY gets the skb back at the head of the queue
 * (dev_requeue_skb) and the drain stops until the next transmission.
 * ndo_xmit_flush runs once after each burst.
 */
#include <stdlib.h>

#include "sl/net_namespace.h"
#include "sl/netdevice.h"

#include "dev_priv.h"

/* Consumes @skb: queued, or dropped when the fifo is at its limit. */
static int pfifo_enqueue(struct sk_buff *skb, struct Qdisc *q)
{
	skb_queue_lock(&q->q);
	if (likely(q->q.qlen < q->limit)) {
		__skb_queue_tail(&q->q, skb);
		skb_queue_unlock(&q->q);
		return NET_XMIT_SUCCESS;
	}
	skb_queue_unlock(&q->q);
	__atomic_fetch_add(&q->drops, 1, __ATOMIC_RELAXED);
	DEV_STATS_INC(q->dev, tx_dropped);
	kfree_skb_reason(skb, SKB_DROP_REASON_QDISC_DROP);
	return NET_XMIT_DROP;
}

static struct sk_buff *pfifo_dequeue(struct Qdisc *q)
{
	return skb_dequeue(&q->q);
}

/* A pfifo for @dev with limit dev->tx_queue_len (at least 1). */
struct Qdisc *qdisc_create_dflt(struct net_device *dev)
{
	struct Qdisc *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->id = "pfifo";
	q->enqueue = pfifo_enqueue;
	q->dequeue = pfifo_dequeue;
	skb_queue_head_init(&q->q);
	q->limit = dev->tx_queue_len ? dev->tx_queue_len : 1;
	q->dev = dev;
	return q;
}

/* Drop every queued skb (device going down). */
void qdisc_reset(struct Qdisc *q)
{
	skb_queue_purge(&q->q);
}

/* Free @q and whatever it still holds. The device no longer transmits. */
void qdisc_destroy(struct Qdisc *q)
{
	if (!q)
		return;
	qdisc_reset(q);
	free(q);
}

/* The driver was busy: put @skb back first in line. */
static void dev_requeue_skb(struct sk_buff *skb, struct Qdisc *q)
{
	skb_queue_head(&q->q, skb);
	__atomic_fetch_add(&q->requeues, 1, __ATOMIC_RELAXED);
}

static void dev_xmit_flush(struct net_device *dev)
{
	if (dev->netdev_ops->ndo_xmit_flush)
		dev->netdev_ops->ndo_xmit_flush(dev);
}

/*
 * Send one skb under the device's tx lock, then flush. Consumes or
 * requeues @skb; false when the driver was busy.
 */
bool sch_direct_xmit(struct sk_buff *skb, struct Qdisc *q,
		     struct net_device *dev)
{
	netdev_tx_t rc;

	spin_lock(&dev->tx_lock);
	rc = dev_hard_start_xmit(skb, dev);
	dev_xmit_flush(dev);
	spin_unlock(&dev->tx_lock);
	if (rc == NETDEV_TX_BUSY) {
		dev_requeue_skb(skb, q);
		return false;
	}
	return true;
}

/*
 * Drain @q into the driver until it is empty or the driver is busy. The
 * caller owns q->running (qdisc_run_begin). One tx-lock hold and one
 * flush per burst.
 */
void __qdisc_run(struct Qdisc *q)
{
	struct net_device *dev = q->dev;
	struct sk_buff *skb;
	netdev_tx_t rc = NETDEV_TX_OK;

	if (skb_queue_empty(&q->q))
		return;
	spin_lock(&dev->tx_lock);
	while ((skb = q->dequeue(q))) {
		__atomic_fetch_add(&q->packets, 1, __ATOMIC_RELAXED);
		rc = dev_hard_start_xmit(skb, dev);
		if (rc == NETDEV_TX_BUSY) {
			__atomic_fetch_sub(&q->packets, 1, __ATOMIC_RELAXED);
			dev_requeue_skb(skb, q);
			break;
		}
	}
	dev_xmit_flush(dev);
	spin_unlock(&dev->tx_lock);
}

/*
 * Run @q from any thread. After giving up q->running we look at the queue
 * again: an skb enqueued by a thread whose qdisc_run_begin failed while we
 * were draining would otherwise wait for the next transmission.
 */
void qdisc_run(struct Qdisc *q)
{
	unsigned int guard = 0;

	while (!skb_queue_empty(&q->q) && qdisc_run_begin(q)) {
		u32 requeues = __atomic_load_n(&q->requeues, __ATOMIC_RELAXED);

		__qdisc_run(q);
		qdisc_run_end(q);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		/* Driver busy: stop, the next transmission retries. */
		if (__atomic_load_n(&q->requeues, __ATOMIC_RELAXED) != requeues ||
		    ++guard > 1000)
			break;
	}
}

/* (added by drivers) The driver is no longer busy: drain the qdisc. */
void netif_tx_wake_queue(struct net_device *dev)
{
	if (dev->qdisc)
		qdisc_run(dev->qdisc);
}
