/*
 * Internals shared by the device layer's own files (src/net/dev.c,
 * sch_generic.c, loopback.c): the qdisc run protocol and the per-stack
 * backlog NAPI instance that netif_rx feeds. Not part of any contract
 * with other layers.
 */
#ifndef SL_NET_DEV_PRIV_H
#define SL_NET_DEV_PRIV_H

#include "sl/net_namespace.h"
#include "sl/netdevice.h"

/* --- sch_generic.c ------------------------------------------------------ */

/* Become the one thread that dequeues from @q; false if another is. */
static inline bool qdisc_run_begin(struct Qdisc *q)
{
	u32 idle = 0;

	return __atomic_compare_exchange_n(&q->running, &idle, 1, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
}

static inline void qdisc_run_end(struct Qdisc *q)
{
	__atomic_store_n(&q->running, 0, __ATOMIC_SEQ_CST);
}

/*
 * Send one skb to the driver under the device's tx lock. Returns true when
 * the caller may go on dequeuing, false when the driver was busy (the skb
 * went back to the head of @q). Consumes or requeues @skb.
 */
bool sch_direct_xmit(struct sk_buff *skb, struct Qdisc *q,
		     struct net_device *dev);
/*
 * Drain @q from any thread: loops run_begin/__qdisc_run/run_end until the
 * queue is empty, the driver is busy, or another thread runs it.
 */
void qdisc_run(struct Qdisc *q);
/* Drop every queued skb (device going down). */
void qdisc_reset(struct Qdisc *q);

/* --- dev.c --------------------------------------------------------------- */

/* Create / free net->softnet.backlog (called by loopback_net_ops). */
int netdev_backlog_init(struct net *net);
void netdev_backlog_exit(struct net *net);
/* Unlink @napi from its stack's poll list if scheduled. */
void napi_unschedule(struct napi_struct *napi);

#endif
