/*
 * Stack instances (struct net), the role of Linux's network namespaces, and
 * the softirq that drives each one.
 *
 * Order of things:
 *   sl_init (once)      -> net_dev_init, ip_init, arp_init, inet_init
 *   sl_net_create       -> clock, timer wheel, skb pool, sysctl defaults,
 *                          pernet_ops[] init in order, optional thread
 *   net_poll            -> net_rx_action (NAPI) + run_timers, under
 *                          softirq_lock (the softirq is never re-entered)
 *   net_wait            -> how a blocked application thread waits: sleep
 *                          (threaded) or drive the stacks itself (polled)
 *   sl_net_destroy      -> close the stack's fds, stop the thread,
 *                          unregister devices, pernet exits in reverse
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "sockline/sockline.h"
#include "sl/inet_sock.h"
#include "sl/neighbour.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/signal.h"
#include "sl/socket.h"

/* Per-stack subsystems, initialised in this order and torn down in reverse. */
static const struct pernet_operations *const pernet_ops[] = {
	&fib_net_ops,      /* routes and addresses first: lo's address needs them */
	&arp_net_ops,
	&loopback_net_ops, /* lo comes up: devinet adds 127.0.0.1/8 */
	&ipfrag_net_ops,
	&icmp_net_ops,
	&udp_net_ops,
	&tcp_net_ops,
	&raw_net_ops,
	&ping_net_ops,
	&hostlink_net_ops, /* host links: their devices are gone by exit */
};

static pthread_once_t sl_init_once = PTHREAD_ONCE_INIT;
static rwlock_t net_list_lock = RWLOCK_UNLOCKED;
static LIST_HEAD(net_list);
static u32 net_ids;
static struct net *default_net;
static __thread struct net *current_net;

static void sl_do_init(void)
{
	net_dev_init();
	ip_init();
	arp_init();
	inet_init();
}

void sl_init(void)
{
	pthread_once(&sl_init_once, sl_do_init);
}

u64 net_random_u64(struct net *net)
{
	/* xorshift64*: fast, seedable, good enough for MACs, IDs and ports. */
	u64 x = net->rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	net->rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Spread a user seed over 64 bits, so nearby seeds give unrelated streams
 * (and xorshift never starts from 0). */
static u64 splitmix64(u64 x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	x ^= x >> 31;
	return x ? x : 1;
}

/* --- the softirq ---------------------------------------------------------- */

/*
 * Per thread: how deep we are in some stack's softirq, and in socket calls,
 * and which threaded stacks got frames from us during the current call.
 */
static __thread int softirq_depth;
static __thread int syscall_depth;
static __thread struct net *deferred_rx[4];
static __thread int n_deferred_rx;

__thread struct net_clock_cache net_clock_cache
	__attribute__((tls_model("initial-exec")));

/*
 * One softirq round (softirq_lock held). @busy > 0: run by an application
 * thread busy-polling in a socket call, which reads up to @busy frames of
 * each host link itself (hostlink_busy_poll, Linux's napi_busy_loop).
 */
static int __net_poll(struct net *net, int busy)
{
	struct net_clock_cache old = net_clock_stamp(net);
	int work;

	softirq_depth++;
	if (busy > 0)
		hostlink_busy_poll(net, busy);
	/* Polled: nobody sleeps on host descriptors, so look at them now. */
	else if (!net->threaded && READ_ONCE(net->hostlinks))
		hostlink_poll(net);
	work = net_rx_action(net, net->core.sysctl_netdev_budget);
	work += run_timers(net->timers, net_now(net));
	softirq_depth--;
	net_clock_restore(old);
	return work;
}

int net_poll(struct net *net)
{
	int work;

	if (!spin_trylock(&net->softirq_lock))
		return 0;
	work = __net_poll(net, 0);
	spin_unlock(&net->softirq_lock);
	return work;
}

/* Like net_poll, but waits for a softirq running in another thread. */
int net_poll_wait(struct net *net)
{
	int work;

	spin_lock(&net->softirq_lock);
	work = __net_poll(net, 0);
	spin_unlock(&net->softirq_lock);
	return work;
}

/*
 * Wake the stack's thread wherever it sleeps: on its waiter, or in ppoll
 * on its host links (hostlink_kick signals its eventfd only then).
 */
static void net_thread_wake(struct net *net)
{
	sl_waiter_wake(&net->softirq_waiter);
	if (READ_ONCE(net->hostlinks))
		hostlink_kick(net);
}

/* The thread's sleep: on its waiter, or on its host links too. */
static void net_thread_sleep(struct net *net, u64 abs_ns)
{
	if (READ_ONCE(net->hostlinks))
		hostlink_sleep(net, abs_ns);
	else
		sl_waiter_sleep(&net->softirq_waiter, abs_ns);
}

void net_softirq_kick(struct net *net)
{
	if (net->threaded)
		net_thread_wake(net);
}

/*
 * Frames arrived for @net (napi_schedule). Inside a socket call of an
 * application thread, a threaded stack's receive processing is run by that
 * thread itself when the call ends (net_syscall_exit), the way Linux runs
 * a softirq raised by a sender at local_bh_enable: the frame reaches its
 * socket without waking the stack's thread. Anywhere else (softirq,
 * configuration calls), the stack's thread is woken as usual.
 */
void net_rx_kick(struct net *net)
{
	int i;

	if (!net->threaded)
		return;
	if (syscall_depth && !softirq_depth) {
		for (i = 0; i < n_deferred_rx; i++)
			if (deferred_rx[i] == net)
				return;
		if (n_deferred_rx < (int)ARRAY_SIZE(deferred_rx)) {
			deferred_rx[n_deferred_rx++] = net;
			return;
		}
	}
	net_thread_wake(net);
}

/* Run the receive processing deferred by net_rx_kick, here and now. */
void net_flush_deferred_rx(void)
{
	struct net *net;
	int rounds;

	while (n_deferred_rx > 0) {
		net = deferred_rx[--n_deferred_rx];
		if (!spin_trylock(&net->softirq_lock)) {
			/* Its thread is in the softirq right now: it may be on
			 * its way out, so make sure it looks again. */
			net_thread_wake(net);
			continue;
		}
		for (rounds = 0; rounds < 8 && __net_poll(net, 0) > 0; rounds++)
			;
		spin_unlock(&net->softirq_lock);
		if (rounds == 8)
			net_thread_wake(net);
	}
}

void net_syscall_enter(struct net *net)
{
	if (syscall_depth++ == 0 && net)
		net_clock_stamp(net);
}

void net_syscall_exit(void)
{
	if (--syscall_depth == 0) {
		net_clock_cache.clk = NULL;
		if (n_deferred_rx)
			net_flush_deferred_rx();
	}
}

int net_poll_group(struct sl_clock *clk)
{
	struct net *net;
	int work = 0;

	read_lock(&net_list_lock);
	list_for_each_entry(net, &net_list, list)
		if (net->clock == clk && !net->threaded)
			work += net_poll(net);
	rwlock_unlock(&net_list_lock);
	return work;
}

/*
 * Wait until no softirq that started before the call is still running,
 * in any stack: what lock-free readers of the data path may hold (an
 * unlinked protocol handler) is then unreachable. Linux's synchronize_net.
 */
void synchronize_net(void)
{
	struct net *net;

	read_lock(&net_list_lock);
	list_for_each_entry(net, &net_list, list) {
		spin_lock(&net->softirq_lock);
		spin_unlock(&net->softirq_lock);
	}
	rwlock_unlock(&net_list_lock);
}

/* Earliest timer of every stack on @clk. */
static u64 group_next_expiry(struct sl_clock *clk)
{
	u64 next = UINT64_MAX, t;
	struct net *net;

	read_lock(&net_list_lock);
	list_for_each_entry(net, &net_list, list) {
		if (net->clock != clk)
			continue;
		t = timer_base_next_expiry(net->timers);
		if (t < next)
			next = t;
	}
	rwlock_unlock(&net_list_lock);
	return next;
}

/* Run every stack on @clk once, waiting for busy softirqs. */
static int group_poll_wait(struct sl_clock *clk)
{
	struct net *net;
	int work = 0;

	read_lock(&net_list_lock);
	list_for_each_entry(net, &net_list, list)
		if (net->clock == clk)
			work += net_poll_wait(net);
	rwlock_unlock(&net_list_lock);
	return work;
}

/*
 * Move a virtual clock to @target, stopping at every timer on the way so
 * that each runs at its own instant, and letting the packets those timers
 * send be processed at that instant too.
 */
static void group_advance_to(struct sl_clock *clk, u64 target)
{
	u64 next;
	int guard;

	for (;;) {
		next = group_next_expiry(clk);
		if (next > target)
			break;
		sl_clock_set(clk, next);
		for (guard = 0; group_poll_wait(clk) > 0 && guard < 1000; guard++)
			;
	}
	sl_clock_set(clk, target);
	for (guard = 0; group_poll_wait(clk) > 0 && guard < 1000; guard++)
		;
}

void sl_clock_advance(sl_clock_t *clk, uint64_t ns)
{
	if (!clk || !clk->is_virtual)
		return;
	group_advance_to(clk, sl_clock_now(clk) + ns);
}

static u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/* A deadline on @net's clock as an absolute CLOCK_MONOTONIC time. */
static u64 deadline_to_real(struct net *net, u64 deadline)
{
	u64 now;

	if (deadline == UINT64_MAX || net->clock->is_virtual)
		return 0;
	now = net_now(net);
	return mono_now() + (deadline > now ? deadline - now : 0);
}

/* Polled mode: the waiting thread is the softirq of its clock group. */
static bool net_wait_polled(struct net *net, struct sl_waiter *w, u64 deadline)
{
	struct sl_clock *clk = net->clock;
	u64 now, next;
	int work;

	for (;;) {
		if (sl_waiter_take(w))
			return true;
		work = net_poll_group(clk);
		if (sl_waiter_take(w))
			return true;
		now = sl_clock_now(clk);
		if (now >= deadline)
			return false;
		if (work)
			continue;
		if (clk->is_virtual) {
			/* Nothing moves a virtual clock but us: jump to the next
			 * event, or give up when there will never be one. */
			next = group_next_expiry(clk);
			if (next == UINT64_MAX && deadline == UINT64_MAX) {
				/* Only another thread can make progress now
				 * (injecting a packet, closing the fd): wait
				 * for it without spinning. */
				if (sl_waiter_sleep(w, mono_now() + NSEC_PER_MSEC))
					return true;
				continue;
			}
			group_advance_to(clk, next < deadline ? next : deadline);
		} else {
			/* Real clock, nothing to do: nap briefly (devices
			 * that need polling are polled again after it). */
			u64 nap = mono_now() + 20 * NSEC_PER_USEC;

			if (sl_waiter_sleep(w, nap))
				return true;
		}
	}
}

/*
 * One round of busy polling by a thread in a socket call: read up to
 * @budget frames of each of the stack's host links here, unless the
 * softirq is running elsewhere (it reads them itself then).
 */
static void __net_busy_poll(struct net *net, int budget)
{
	if (!spin_trylock(&net->softirq_lock))
		return;
	__net_poll(net, budget);
	spin_unlock(&net->softirq_lock);
}

/* A blocked thread's round: each link up to its NAPI weight. */
static void net_busy_poll(void *arg)
{
	__net_busy_poll(arg, INT_MAX);
}

static void net_busy_poll_stop(void *arg)
{
	hostlink_busy_poll_end(arg);
}

/*
 * The blocked thread's sleep on the host links themselves: a frame wakes
 * it, it reads the links as in net_busy_poll, and it sleeps again unless
 * that (or anything else) woke its waiter.
 */
static int net_busy_sleep(void *arg, struct sl_waiter *w, u64 abs_ns)
{
	struct net *net = arg;
	int ret;

	for (;;) {
		ret = hostlink_busy_sleep(net, w, abs_ns);
		if (ret <= 0)
			return ret;
		if (ret & HOSTLINK_SLEEP_READY)
			net_busy_poll(net);
		if ((ret & HOSTLINK_SLEEP_WOKEN) || sl_waiter_take(w))
			return 1;
	}
}

void net_busy_poll_once(struct net *net, int budget)
{
	if (net->threaded && READ_ONCE(net->hostlinks) && sl_busy_poll_ns())
		__net_busy_poll(net, budget > 0 ? budget : INT_MAX);
}

void net_busy_poll_release(struct net *net)
{
	if (net && net->threaded && READ_ONCE(net->hostlinks))
		hostlink_busy_poll_release(net);
}

bool net_wait(struct net *net, struct sl_waiter *w, u64 deadline)
{
	/* Time passes while we wait: read the clock afresh from now on. */
	net_clock_cache.clk = NULL;
	/* Never sleep on frames we still owe another stack. */
	if (n_deferred_rx)
		net_flush_deferred_rx();
	if (net->threaded) {
		struct sl_busy_poll bp = {
			net_busy_poll, net_busy_poll_stop, net_busy_sleep, net
		};

		return sl_waiter_sleep_busy(w, deadline_to_real(net, deadline),
					    READ_ONCE(net->hostlinks) ? &bp
								      : NULL) ||
		       sl_waiter_take(w);
	}
	return net_wait_polled(net, w, deadline);
}

/* The wheel's earliest expiry moved earlier: the thread must re-plan. */
static void net_timer_kick(void *arg)
{
	struct net *net = arg;

	/* Pairs with the thread's store of softirq_wake_at before it looks
	 * at the wheel a last time: one of the two sees the other. */
	if (net->clock->is_virtual ||
	    timer_base_next_hint(net->timers) <
		    __atomic_load_n(&net->softirq_wake_at, __ATOMIC_SEQ_CST))
		net_softirq_kick(net);
}

/* Threaded mode: the stack's own softirq thread. */
static void *net_thread_fn(void *arg)
{
	struct net *net = arg;
	u64 next, now, wake;

	while (!__atomic_load_n(&net->thread_stop, __ATOMIC_ACQUIRE)) {
		if (net_poll_wait(net) > 0)
			continue;
		if (net->clock->is_virtual) {
			/* timers run from sl_clock_advance; only kicks wake us */
			net_thread_sleep(net, mono_now() + NSEC_PER_MSEC);
			continue;
		}
		/* Sleep until the next timer; a timer armed earlier by another
		 * thread kicks us through the wheel's notify hook. */
		now = net_now(net);
		next = timer_base_next_expiry(net->timers);
		wake = mono_now() + NSEC_PER_SEC;
		if (next != UINT64_MAX && next > now && next - now < NSEC_PER_SEC)
			wake = mono_now() + (next - now);
		if (next != UINT64_MAX && next <= now)
			continue;
		/* Publish when we wake by ourselves, then look once more: a
		 * timer armed meanwhile for earlier either shows here or
		 * sees the published time and kicks us (net_timer_kick). */
		__atomic_store_n(&net->softirq_wake_at,
				 next < now + NSEC_PER_SEC ? next
							   : now + NSEC_PER_SEC,
				 __ATOMIC_SEQ_CST);
		if (timer_base_next_expiry(net->timers) >= next)
			net_thread_sleep(net, wake);
		__atomic_store_n(&net->softirq_wake_at, 0, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* --- creation and teardown ------------------------------------------------ */

static void net_free(struct net *net)
{
	if (net->pool)
		skb_pool_release(net->pool);
	if (net->timers)
		timer_base_destroy(net->timers);
	if (net->clock)
		sl_clock_put(net->clock);
	sl_waiter_destroy(&net->softirq_waiter);
	trace_sinks_free(net);
	free(net);
}

void put_net(struct net *net)
{
	if (__atomic_sub_fetch(&net->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		net_free(net);
}

static void softnet_init(struct softnet_data *sd)
{
	spin_lock_init(&sd->lock);
	INIT_LIST_HEAD(&sd->poll_list);
	skb_queue_head_init(&sd->input_pkt_queue);
}

static int net_alloc_base(struct net *net, const struct sl_net_config *cfg)
{
	u64 seed = cfg ? cfg->seed : 0;

	net->clock = cfg && cfg->clock ? sl_clock_get(cfg->clock)
				       : sl_clock_create(false);
	net->timers = net->clock ? timer_base_create(net->clock) : NULL;
	net->pool = skb_pool_create();
	if (!net->clock || !net->timers || !net->pool)
		return -ENOMEM;
	if (!seed && getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = mono_now();
	net->rng_state = splitmix64(seed);
	net->ipv4.ip_id_seed = (u32)net_random_u64(net);
	return 0;
}

static void net_init_locks(struct net *net)
{
	pthread_mutex_init(&net->dev_lock, NULL);
	INIT_LIST_HEAD(&net->dev_base_head);
	INIT_LIST_HEAD(&net->ptype_all);
	rwlock_init(&net->ptype_lock);
	rwlock_init(&net->ipv4.fib_lock);
	spin_lock_init(&net->softirq_lock);
	sl_waiter_init(&net->softirq_waiter);
	softnet_init(&net->softnet);
}

static int net_pernet_init(struct net *net)
{
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(pernet_ops); i++) {
		err = pernet_ops[i]->init ? pernet_ops[i]->init(net) : 0;
		if (err)
			goto out_undo;
	}
	return 0;
out_undo:
	while (i-- > 0)
		if (pernet_ops[i]->exit)
			pernet_ops[i]->exit(net);
	return err;
}

SL_EXPORT sl_net_t *sl_net_create(const struct sl_net_config *cfg)
{
	struct net *net;
	int err;

	sl_init();
	net = calloc(1, sizeof(*net));
	if (!net) {
		errno = ENOMEM;
		return NULL;
	}
	net->refcnt = 1;
	net->id = __atomic_add_fetch(&net_ids, 1, __ATOMIC_RELAXED);
	if (cfg && cfg->name)
		snprintf(net->name, sizeof(net->name), "%s", cfg->name);
	else
		snprintf(net->name, sizeof(net->name), "net%u", net->id);
	net_init_locks(net);
	err = net_alloc_base(net, cfg);
	if (err)
		goto out_free;
	net_sysctl_defaults(net);
	err = net_pernet_init(net);
	if (err)
		goto out_free;

	write_lock(&net_list_lock);
	list_add_tail(&net->list, &net_list);
	if (!default_net)
		default_net = net;
	rwlock_unlock(&net_list_lock);

	if (cfg && cfg->mode == SL_NET_THREADED) {
		net->threaded = true;
		timer_base_set_notify(net->timers, net_timer_kick, net);
		err = -pthread_create(&net->thread, NULL, net_thread_fn, net);
		if (err) {
			net->threaded = false;
			sl_net_destroy(net);
			errno = -err;
			return NULL;
		}
	}
	return net;

out_free:
	net_free(net);
	errno = -err;
	return NULL;
}

/* Unregister every device but loopback (pernet exit handles lo). */
static void net_unregister_devices(struct net *net)
{
	struct net_device *dev, *victim;

	for (;;) {
		victim = NULL;
		pthread_mutex_lock(&net->dev_lock);
		list_for_each_entry(dev, &net->dev_base_head, dev_list) {
			if (dev != net->loopback_dev) {
				victim = dev;
				break;
			}
		}
		pthread_mutex_unlock(&net->dev_lock);
		if (!victim)
			break;
		unregister_netdevice(victim);
	}
}

SL_EXPORT void sl_net_destroy(sl_net_t *net)
{
	size_t i;

	if (!net)
		return;
	fd_close_net(net);
	if (net->threaded) {
		__atomic_store_n(&net->thread_stop, true, __ATOMIC_RELEASE);
		net_thread_wake(net);
		pthread_join(net->thread, NULL);
		net->threaded = false;
	}
	/* Let in-flight work (close handshakes, queued frames) finish. */
	for (i = 0; i < 64 && net_poll_wait(net) > 0; i++)
		;
	net_unregister_devices(net);
	spin_lock(&net->softirq_lock);
	for (i = ARRAY_SIZE(pernet_ops); i-- > 0;)
		if (pernet_ops[i]->exit)
			pernet_ops[i]->exit(net);
	skb_queue_purge(&net->softnet.input_pkt_queue);
	spin_unlock(&net->softirq_lock);

	write_lock(&net_list_lock);
	list_del(&net->list);
	if (default_net == net)
		default_net = list_empty(&net_list)
				      ? NULL
				      : list_first_entry(&net_list, struct net, list);
	rwlock_unlock(&net_list_lock);
	if (current_net == net)
		current_net = NULL;
	put_net(net);
}

/**
 * net_atfork_child - sl_atfork_child's part: forget every stack
 *
 * In a fork child the stacks' threads are gone and any lock they held
 * stays held: walk the list without its lock, close the child's copies
 * of each stack's host descriptors (the parent's links keep theirs), and
 * start with an empty list. The stacks' memory is abandoned.
 */
void net_atfork_child(void)
{
	struct net *net;

	list_for_each_entry(net, &net_list, list)
		if (READ_ONCE(net->hostlinks))
			hostlink_atfork_child(net);
	INIT_LIST_HEAD(&net_list);
	net_list_lock = (rwlock_t)RWLOCK_UNLOCKED;
	default_net = NULL;
	/* This thread's per-call state: it was in fork(), not in a call. */
	current_net = NULL;
	softirq_depth = 0;
	syscall_depth = 0;
	n_deferred_rx = 0;
	net_clock_cache.clk = NULL;
}

SL_EXPORT int sl_net_poll(sl_net_t *net)
{
	return net ? net_poll(net) : 0;
}

SL_EXPORT int sl_net_poll_all(sl_clock_t *clk)
{
	return net_poll_group(clk);
}

SL_EXPORT sl_clock_t *sl_net_clock(sl_net_t *net)
{
	return net->clock;
}

SL_EXPORT const char *sl_net_name(const sl_net_t *net)
{
	return net->name;
}

SL_EXPORT int sl_net_enter(sl_net_t *net)
{
	if (!net) {
		errno = EINVAL;
		return -1;
	}
	current_net = net;
	return 0;
}

SL_EXPORT sl_net_t *sl_net_current(void)
{
	struct net *net;

	if (current_net)
		return current_net;
	read_lock(&net_list_lock);
	net = default_net;
	rwlock_unlock(&net_list_lock);
	return net;
}
