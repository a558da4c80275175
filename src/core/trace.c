/*
 * Packet tracing: the path one skb takes through the stacks.
 *
 * alloc_skb calls skb_trace_begin while its stack has trace budget (set by
 * sl_trace_start, src/core/trace_ctl.c): the skb gets a record (malloc is
 * fine: tracing is off the fast path) with a new id and remembers its
 * origin stack and that stack's report function. Each function on the
 * path calls skb_trace(skb), appending its name and the stack it runs in.
 * When the skb's life ends, skb_trace_end reports the record to the origin
 * stack and frees it. Clones are never traced: the original carries the
 * record, so each packet is reported once.
 */
#include <stdlib.h>

#include "core_priv.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/sock.h"

struct skb_trace_rec {
	struct skb_trace t;
	struct net *origin;
	/* The report function as it was when tracing began (a later
	 * sl_trace_start keeps earlier sinks alive for packets in flight). */
	void (*done)(struct net *net, const struct skb_trace *t, void *arg);
	void *arg;
};

/* Take one unit of @net's trace budget; false when none is left. */
static bool trace_budget_take(struct net *net)
{
	u32 b = __atomic_load_n(&net->trace_budget, __ATOMIC_ACQUIRE);

	while (b > 0) {
		if (__atomic_compare_exchange_n(&net->trace_budget, &b, b - 1,
						true, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}

/* (core_priv.h) Start a trace record for @skb allocated in @net. */
void skb_trace_begin(struct sk_buff *skb, struct net *net)
{
	struct skb_trace_rec *rec;

	if (!trace_budget_take(net))
		return;
	rec = calloc(1, sizeof(*rec));
	if (!rec)
		return;
	rec->t.id = __atomic_add_fetch(&net->trace_ids, 1, __ATOMIC_RELAXED);
	/* The origin stack stays until the report (as a sock holds its
	 * stack): a traced packet may outlive sl_net_destroy. */
	rec->origin = get_net(net);
	rec->done = __atomic_load_n(&net->trace_done, __ATOMIC_ACQUIRE);
	rec->arg = __atomic_load_n(&net->trace_arg, __ATOMIC_ACQUIRE);
	skb->trace = &rec->t;
	skb->traced = 1;
}

/* The stack @skb is in now: its device's, else its socket's, else origin. */
static struct net *skb_trace_net(const struct sk_buff *skb,
				 const struct skb_trace_rec *rec)
{
	if (skb->dev)
		return dev_net(skb->dev);
	if (skb->sk)
		return sock_net(skb->sk);
	return rec->origin;
}

/*
 * Record that @skb passed through @fn (use the skb_trace() macro). Entries
 * beyond SKB_TRACE_MAX are not recorded. Does not change ownership.
 */
void __skb_trace(struct sk_buff *skb, const char *fn)
{
	struct skb_trace_rec *rec;
	struct skb_trace *t = skb->trace;

	if (!t || t->n >= SKB_TRACE_MAX)
		return;
	rec = container_of(t, struct skb_trace_rec, t);
	t->fn[t->n] = fn;
	t->net[t->n] = skb_trace_net(skb, rec);
	t->n++;
}

/* (core_priv.h) Report and free @skb's record at the end of its life. */
void skb_trace_end(struct sk_buff *skb)
{
	struct skb_trace_rec *rec =
		container_of(skb->trace, struct skb_trace_rec, t);

	skb->trace = NULL;
	skb->traced = 0;
	if (rec->done)
		rec->done(rec->origin, &rec->t, rec->arg);
	put_net(rec->origin);
	free(rec);
}
