/*
 * Turning packet tracing on from the application (sl_trace_start).
 *
 * alloc_skb marks the next N packets a stack originates as traced; every
 * function on the path records itself with skb_trace(); when a traced
 * packet's life ends (src/core/trace.c) the stack it started in reports the
 * chain through the callback set here, as "function" + "stack name" pairs.
 */
#include <errno.h>
#include <stdlib.h>

#include "sockline/sockline.h"
#include "sl/net_namespace.h"
#include "sl/skbuff.h"

struct trace_sink {
	sl_trace_fn fn;
	void *arg;
	/* Earlier sinks stay alive: packets traced for them may be in flight. */
	struct trace_sink *prev;
};

void trace_sinks_free(struct net *net)
{
	struct trace_sink *s = net->trace_arg, *prev;

	for (; s; s = prev) {
		prev = s->prev;
		free(s);
	}
	net->trace_arg = NULL;
}

static void trace_report(struct net *net, const struct skb_trace *t, void *arg)
{
	const struct trace_sink *sink = arg;
	const char *stacks[SKB_TRACE_MAX];
	u32 i;

	for (i = 0; i < t->n; i++)
		stacks[i] = t->net[i] ? t->net[i]->name : "?";
	sink->fn(sink->arg, t->n, t->fn, stacks);
}

SL_EXPORT int sl_trace_start(struct net *net, unsigned int count,
			     sl_trace_fn done, void *arg)
{
	struct trace_sink *sink;

	if (!net || !done) {
		errno = EINVAL;
		return -1;
	}
	sink = malloc(sizeof(*sink));
	if (!sink) {
		errno = ENOMEM;
		return -1;
	}
	sink->fn = done;
	sink->arg = arg;
	/* Stop tracing before swapping the sink a traced packet may use. */
	__atomic_store_n(&net->trace_budget, 0, __ATOMIC_RELEASE);
	sink->prev = net->trace_arg;
	net->trace_arg = sink;
	net->trace_done = trace_report;
	__atomic_store_n(&net->trace_budget, count, __ATOMIC_RELEASE);
	return 0;
}
