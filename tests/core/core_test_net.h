/*
 * A minimal hand-built struct net for the core's unit tests: a clock, a
 * timer wheel, an skb pool and the net.core sysctls, nothing else. It lets
 * the core be tested alone (no devices, no protocols); the "threaded"
 * flag makes net_wait sleep on the waiter instead of polling stacks, so a
 * test thread plays the softirq by calling run_timers itself.
 */
#ifndef CORE_TEST_NET_H
#define CORE_TEST_NET_H

#include <string.h>

#include "sl/net_namespace.h"
#include "sl/skbuff.h"
#include "sl/timer.h"

static inline void core_net_init(struct net *net, bool virtual_clock)
{
	memset(net, 0, sizeof(*net));
	strcpy(net->name, "core-test");
	net->refcnt = 1;
	net->clock = sl_clock_create(virtual_clock);
	net->timers = timer_base_create(net->clock);
	net->pool = skb_pool_create();
	net->threaded = true;
	net->core.sysctl_rmem_default = 212992;
	net->core.sysctl_rmem_max = 212992;
	net->core.sysctl_wmem_default = 212992;
	net->core.sysctl_wmem_max = 212992;
	net->core.sysctl_somaxconn = 4096;
}

static inline void core_net_fini(struct net *net)
{
	timer_base_destroy(net->timers);
	skb_pool_release(net->pool);
	sl_clock_put(net->clock);
}

#endif
