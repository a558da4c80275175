/*
 * Host links: what the TAP and AF_PACKET drivers share (see hostlink.h).
 *
 * Order of things:
 *   sl_dev_attach      -> hostlink_kinds[] by the spec's prefix -> the
 *                         driver's attach (host side open) ->
 *                         hostlink_alloc -> hostlink_register (device
 *                         registered and up, link on the stack's set)
 *   softirq            -> hostlink_napi_poll: retry a blocked transmit,
 *                         then ops->rx -> hostlink_rx_frame ->
 *                         netif_receive_skb
 *   dev_queue_xmit     -> hostlink_start_xmit (batch on hl->txq) ...
 *                         hostlink_xmit_flush -> ops->tx, or (threaded
 *                         stack, data frames) hostlink_xmit_thread_kick
 *                         ... hostlink_xmit_thread_fn -> ops->tx
 *   threaded stack     -> hostlink_sleep (ppoll) / hostlink_kick (eventfd)
 *   busy poller        -> hostlink_busy_poll (lease, napi_busy_poll) ...
 *                         hostlink_busy_poll_end
 *   polled stack       -> hostlink_poll on every net_poll
 *   unregister         -> hostlink_uninit; hostlink_net_exit frees the set
 *
 * Offloads (the vnet header, struct virtio_net_hdr): a frame we send with
 * a partial checksum carries NEEDS_CSUM and where the sum goes; a GSO skb
 * carries GSO_TCPV4 and its segment size, and the host kernel segments
 * it. A frame we receive with NEEDS_CSUM becomes CHECKSUM_PARTIAL (TCP)
 * or is summed here (anything else: our UDP and ICMP verify in software);
 * a large segment keeps its gso_size, so that TCP counts and sizes its
 * segments as Linux does for a GRO'd skb.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <endian.h>

#include "sockline/sockline.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/signal.h"
#include "sl/wait.h"

#include "hostlink.h"

/* Received frames up to this size are copied out of a 64 KiB buffer. */
#define HOSTLINK_RX_COPYBREAK (16384 - NET_SKB_PAD)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

/* Every host link of one stack, and how its thread sleeps on them. */
struct hostlink_set {
	pthread_mutex_t lock;
	struct list_head links;
	unsigned int count;
	u32 gen;            /* bumped when a link goes: older ppoll sets are stale */
	int efd;            /* eventfd: hostlink_kick -> the thread in ppoll */
	u32 sleeping;       /* atomic: HL_AWAKE, HL_SLEEPING, HL_SIGNALLED */
	u64 busy_until;     /* atomic, CLOCK_MONOTONIC ns: a busy poller's lease */
	u64 last_rx;        /* atomic, CLOCK_MONOTONIC ns: a poll last got frames */
	bool app_sleeper;   /* atomic: a poller sleeps on them (busy_sleep) */
	u64 lease_slack;    /* the thread's: how long past a lease it sleeps */
};
enum { HL_AWAKE, HL_SLEEPING, HL_SIGNALLED };

static struct hostlink_set *hostlink_set_of(struct net *net)
{
	return __atomic_load_n(&net->hostlinks, __ATOMIC_ACQUIRE);
}

/* The stack's set, created with its first link. NULL and *@err if not. */
static struct hostlink_set *hostlink_set_get(struct net *net, int *err)
{
	struct hostlink_set *hs = hostlink_set_of(net), *old = NULL;

	if (hs)
		return hs;
	hs = calloc(1, sizeof(*hs));
	if (!hs) {
		*err = -ENOMEM;
		return NULL;
	}
	hs->efd = hostif_eventfd();
	if (hs->efd < 0) {
		*err = hs->efd;
		free(hs);
		return NULL;
	}
	pthread_mutex_init(&hs->lock, NULL);
	INIT_LIST_HEAD(&hs->links);
	if (!__atomic_compare_exchange_n(&net->hostlinks, &old, hs, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		close(hs->efd);
		pthread_mutex_destroy(&hs->lock);
		free(hs);
		return old;
	}
	return hs;
}

/* pernet exit: the devices are gone and the thread has stopped. */
static void hostlink_net_exit(struct net *net)
{
	struct hostlink_set *hs = hostlink_set_of(net);

	if (!hs)
		return;
	net->hostlinks = NULL;
	close(hs->efd);
	pthread_mutex_destroy(&hs->lock);
	free(hs);
}

/*
 * fork child (sl_atfork_child): close the child's copies of @net's link
 * descriptors and of its eventfd, so that the parent's links are the only
 * holders again. Raw system calls (under the preload shim close() is the
 * shim's); no lock (a thread that is gone may hold it); the set is
 * abandoned with the stack.
 */
void hostlink_atfork_child(struct net *net)
{
	struct hostlink_set *hs = hostlink_set_of(net);
	struct hostlink *hl;

	if (!hs)
		return;
	list_for_each_entry(hl, &hs->links, list) {
		if (!hl->closed && hl->fd >= 0)
			syscall(SYS_close, hl->fd);
		/* Its transmit thread stayed in the parent. */
		hl->xt.on = false;
	}
	syscall(SYS_close, hs->efd);
}

const struct pernet_operations hostlink_net_ops = {
	.name = "hostlink",
	.exit = hostlink_net_exit,
};

/* --- waking the stack ---------------------------------------------------- */

static bool hostlink_failed(const struct hostlink *hl)
{
	return __atomic_load_n(&hl->failed, __ATOMIC_RELAXED);
}

/*
 * Wake a threaded stack's thread out of ppoll. The thread announces that
 * it sleeps before it looks for work (hostlink_sleep); we publish work
 * before we look at the announcement: with a full fence on each side one
 * of us sees the other, so no wakeup is lost. One eventfd write per sleep.
 */
void hostlink_kick(struct net *net)
{
	struct hostlink_set *hs = hostlink_set_of(net);
	u32 sleeping = HL_SLEEPING;

	if (!hs)
		return;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&hs->sleeping, __ATOMIC_RELAXED) != HL_SLEEPING)
		return;
	if (__atomic_compare_exchange_n(&hs->sleeping, &sleeping, HL_SIGNALLED,
					false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		hostif_eventfd_signal(hs->efd);
}

/*
 * The ppoll set: the eventfd, then each working link: POLLIN unless a busy
 * poller holds the lease (@rx false), POLLOUT if its transmit is blocked.
 */
static int hostlink_pollfds(struct hostlink_set *hs, struct pollfd *pfd,
			    struct hostlink **who, u32 *gen, bool rx)
{
	short events;

	struct hostlink *hl;
	int n = 1;

	pfd[0] = (struct pollfd){ .fd = hs->efd, .events = POLLIN };
	who[0] = NULL;
	pthread_mutex_lock(&hs->lock);
	*gen = hs->gen;
	list_for_each_entry(hl, &hs->links, list) {
		/* Two attaches racing past the ENOSPC check: poll the first. */
		if (n > HOSTLINK_MAX)
			break;
		if (hostlink_failed(hl))
			continue;
		events = rx ? POLLIN : 0;
		if (__atomic_load_n(&hl->tx_blocked, __ATOMIC_RELAXED))
			events |= POLLOUT;
		if (!events)
			continue;
		pfd[n].fd = hl->fd;
		pfd[n].events = events;
		pfd[n].revents = 0;
		who[n++] = hl;
	}
	pthread_mutex_unlock(&hs->lock);
	return n;
}

/* Schedule the NAPI instance of every link ppoll found ready. */
static void hostlink_poll_events(struct hostlink_set *hs, struct pollfd *pfd,
				 struct hostlink **who, int n, u32 gen)
{
	int i;

	pthread_mutex_lock(&hs->lock);
	if (gen == hs->gen)
		for (i = 1; i < n; i++)
			if (pfd[i].revents)
				napi_schedule(&who[i]->napi);
	pthread_mutex_unlock(&hs->lock);
}

static u64 hostlink_mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/*
 * The threaded stack's sleep when it has host links: until a link's
 * descriptor is ready, net_softirq_kick signals the eventfd, or
 * CLOCK_MONOTONIC reaches @abs_ns (0: no deadline). Ready links are
 * scheduled for the softirq that follows. While a busy poller's lease
 * runs, the links' receive side is its: we sleep at most until the lease
 * ends (hostlink_busy_poll_end wakes us sooner).
 */
/*
 * The thread's busy polling: while frames keep coming (the last one less
 * than a busy-poll budget ago) and no application thread polls the links
 * (no lease), look at them with zero-timeout ppolls instead of sleeping.
 * A sleeping reader costs every frame the host queues a wakeup, which on
 * a virtual machine is an inter-processor interrupt and an exit on the
 * sender's side (at 1500-byte frames, most of its time); a spinning one
 * costs nothing there. It yields the CPU every round, so threads that
 * share the CPU still run. True when a link is ready (its NAPI
 * scheduled) or the thread was kicked; false when it should sleep.
 */
static bool hostlink_spin(struct net *net, struct hostlink_set *hs,
			  u64 abs_ns)
{
	static const struct timespec zero;
	struct pollfd pfd[HOSTLINK_MAX + 1];
	struct hostlink *who[HOSTLINK_MAX + 1];
	u64 budget = sl_busy_poll_ns(), now, until;
	u32 gen;
	int n;

	if (!budget)
		return false;
	now = hostlink_mono_now();
	if (__atomic_load_n(&hs->busy_until, __ATOMIC_RELAXED) > now)
		return false;
	until = __atomic_load_n(&hs->last_rx, __ATOMIC_RELAXED) + budget;
	if (abs_ns && abs_ns < until)
		until = abs_ns;
	if (now >= until)
		return false;
	n = hostlink_pollfds(hs, pfd, who, &gen, true);
	if (n < 2)
		return false;
	do {
		if (sl_waiter_take(&net->softirq_waiter))
			return true;
		if (ppoll(pfd + 1, (nfds_t)n - 1, &zero, NULL) > 0) {
			hostlink_poll_events(hs, pfd, who, n, gen);
			return true;
		}
		sched_yield();
		now = hostlink_mono_now();
	} while (now < until);
	return false;
}

/*
 * How long one busy-poll round keeps the links' receive side away from the
 * stack's thread. A poller that is woken leaves without ending its lease,
 * and usually comes back within a round trip; one that stops calling lets
 * frames wait until the thread looks (below).
 */
#define HOSTLINK_BUSY_LEASE_NS (50 * NSEC_PER_USEC)

/*
 * A poller that keeps renewing its lease keeps reading the links: each
 * time the thread finds the lease renewed it looks again twice as late,
 * up to this much past the lease, instead of waking at every lease's end
 * for nothing (8,000 times a second under nginx; the CPU that took went
 * to iperf3 receiving, +12-20%). A poller that stops cleanly ends its
 * lease and kicks the thread (hostlink_busy_poll_end, and
 * hostlink_busy_poll_release before a sleep on kernel descriptors); one
 * that just goes away (returns to compute) leaves frames to wait up to
 * the lease plus this.
 */
#define HOSTLINK_LEASE_SLACK_MAX_NS (200 * NSEC_PER_USEC)

static void hostlink_lease_slack_grow(struct hostlink_set *hs)
{
	u64 slack = hs->lease_slack ? 2 * hs->lease_slack : HOSTLINK_BUSY_LEASE_NS;

	hs->lease_slack = min_t(u64, slack, HOSTLINK_LEASE_SLACK_MAX_NS);
}

void hostlink_sleep(struct net *net, u64 abs_ns)
{
	struct hostlink_set *hs = hostlink_set_of(net);
	struct pollfd pfd[HOSTLINK_MAX + 1];
	struct hostlink *who[HOSTLINK_MAX + 1];
	struct timespec ts, *tsp = NULL;
	bool ready = false, rx = true;
	u64 now, lease;
	u32 gen;
	int n;

	if (hostlink_spin(net, hs, abs_ns))
		return;

	__atomic_store_n(&hs->sleeping, HL_SLEEPING, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Read after the announcement: what blocked before it is seen here,
	 * and a lease ended without our seeing it kicks us. */
	lease = __atomic_load_n(&hs->busy_until, __ATOMIC_SEQ_CST);
	if (lease) {
		now = hostlink_mono_now();
		if (lease > now) {
			rx = false;
			lease += hs->lease_slack;
			if (!abs_ns || lease < abs_ns)
				abs_ns = lease;
			hostlink_lease_slack_grow(hs);
		} else {
			hs->lease_slack = 0;
		}
	} else {
		hs->lease_slack = 0;
	}
	n = hostlink_pollfds(hs, pfd, who, &gen, rx);
	if (!sl_waiter_take(&net->softirq_waiter)) {
		if (abs_ns) {
			now = hostlink_mono_now();
			now = abs_ns > now ? abs_ns - now : 0;
			ts.tv_sec = (time_t)(now / NSEC_PER_SEC);
			ts.tv_nsec = (long)(now % NSEC_PER_SEC);
			tsp = &ts;
		}
		ready = ppoll(pfd, (nfds_t)n, tsp, NULL) > 0;
	}
	/*
	 * Drain what a kick wrote. One that signalled just before we woke
	 * for another reason may write after this drain: its count wakes
	 * the next ppoll at once, and that one drains it (revents).
	 */
	if (__atomic_exchange_n(&hs->sleeping, HL_AWAKE, __ATOMIC_SEQ_CST) ==
		    HL_SIGNALLED ||
	    (ready && pfd[0].revents))
		hostif_eventfd_drain(hs->efd);
	/* Whatever kicked us is handled by the softirq we run next. */
	sl_waiter_take(&net->softirq_waiter);
	if (ready)
		hostlink_poll_events(hs, pfd, who, n, gen);
}

/* Polled stack: every net_poll looks at every link (non-blocking reads). */
void hostlink_poll(struct net *net)
{
	struct hostlink_set *hs = hostlink_set_of(net);
	struct hostlink *hl;

	if (!hs)
		return;
	pthread_mutex_lock(&hs->lock);
	list_for_each_entry(hl, &hs->links, list)
		if (!hostlink_failed(hl))
			napi_schedule(&hl->napi);
	pthread_mutex_unlock(&hs->lock);
}

/* --- busy polling ---------------------------------------------------------- */

/*
 * One round: take the lease, then read up to @budget frames of every link
 * (napi_busy_poll caps it at the link's weight). Softirq lock held.
 */
void hostlink_busy_poll(struct net *net, int budget)
{
	struct hostlink_set *hs = hostlink_set_of(net);
	struct hostlink *hl;

	if (!hs)
		return;
	__atomic_store_n(&hs->busy_until,
			 hostlink_mono_now() + HOSTLINK_BUSY_LEASE_NS,
			 __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&hs->lock);
	list_for_each_entry(hl, &hs->links, list)
		if (!hostlink_failed(hl))
			napi_busy_poll(&hl->napi, budget);
	pthread_mutex_unlock(&hs->lock);
}

/*
 * A blocked poller's sleep on the links (net_busy_sleep): ppoll on every
 * link and on its doorbell, so that a frame wakes this thread and no
 * other. The lease runs to @abs_ns meanwhile (the stack's thread sleeps
 * without the links), and for a short one after, while the caller reads
 * what woke it. One such sleeper per stack: a second one sleeps on its
 * waiter instead, and the frames it waits for come through the first.
 */
int hostlink_busy_sleep(struct net *net, struct sl_waiter *w, u64 abs_ns)
{
	struct hostlink_set *hs = hostlink_set_of(net);
	struct pollfd pfd[HOSTLINK_MAX + 1];
	struct hostlink *who[HOSTLINK_MAX + 1];
	struct timespec ts;
	int db, n, i, ready = 0;
	bool woken;
	u64 now;
	u32 gen;

	if (!hs)
		return -ENODEV;
	db = sl_doorbell_fd();
	if (db < 0)
		return db;
	if (__atomic_exchange_n(&hs->app_sleeper, true, __ATOMIC_ACQUIRE))
		return -EBUSY;
	__atomic_store_n(&hs->busy_until, abs_ns, __ATOMIC_SEQ_CST);
	n = hostlink_pollfds(hs, pfd, who, &gen, true);
	pfd[0] = (struct pollfd){ .fd = db, .events = POLLIN };
	for (i = 1; i < n; i++)
		pfd[i].events = POLLIN;
	if (sl_waiter_kernel_begin(w, db)) {
		now = hostlink_mono_now();
		now = abs_ns > now ? abs_ns - now : 0;
		ts.tv_sec = (time_t)(now / NSEC_PER_SEC);
		ts.tv_nsec = (long)(now % NSEC_PER_SEC);
		if (ppoll(pfd, (nfds_t)n, &ts, NULL) > 0)
			for (i = 1; i < n; i++)
				if (pfd[i].revents)
					ready = 1;
		woken = sl_waiter_kernel_end(w);
	} else {
		woken = true;
	}
	__atomic_store_n(&hs->busy_until,
			 hostlink_mono_now() + HOSTLINK_BUSY_LEASE_NS,
			 __ATOMIC_SEQ_CST);
	__atomic_store_n(&hs->app_sleeper, false, __ATOMIC_RELEASE);
	return (woken ? HOSTLINK_SLEEP_WOKEN : 0) |
	       (ready ? HOSTLINK_SLEEP_READY : 0);
}

/*
 * A thread that may hold a lease (taken by a socket call's busy poll) is
 * about to sleep where frames do not wake it: end the lease, unless a
 * poller sleeps on the links holding it (frames wake that one).
 */
void hostlink_busy_poll_release(struct net *net)
{
	struct hostlink_set *hs = hostlink_set_of(net);

	if (hs && !__atomic_load_n(&hs->app_sleeper, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&hs->busy_until, __ATOMIC_SEQ_CST) >
		    hostlink_mono_now())
		hostlink_busy_poll_end(net);
}

/* Does a busy poller's lease keep the stack's thread off the links now? */
bool hostlink_busy_leased(struct net *net)
{
	struct hostlink_set *hs = hostlink_set_of(net);

	return hs && __atomic_load_n(&hs->busy_until, __ATOMIC_SEQ_CST) >
			     hostlink_mono_now();
}

/* The poller is going to sleep: give the links back to the thread now. */
void hostlink_busy_poll_end(struct net *net)
{
	struct hostlink_set *hs = hostlink_set_of(net);

	if (!hs)
		return;
	/* Pairs with hostlink_sleep: it sees the lease gone, or we see it
	 * in ppoll and kick it out to re-plan with the links. */
	__atomic_store_n(&hs->busy_until, 0, __ATOMIC_SEQ_CST);
	hostlink_kick(net);
}

/* --- transmit ------------------------------------------------------------ */

/* Drop what @q holds: the link is going (ndo_uninit). */
static void hostlink_tx_purge(struct hostlink *hl, struct sk_buff_head *q)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(q))) {
		DEV_STATS_INC(hl->dev, tx_dropped);
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_READY);
	}
}

/*
 * The transmit thread. A write to a TAP or a packet socket is not a NIC's
 * DMA post: the host kernel delivers the frame to the peer's stack inside
 * the call (tun's receive, IP, TCP, waking the reader), several
 * microseconds per data frame that a NIC would take off the CPU. So in a
 * threaded stack each link has a thread of its own that writes its frames,
 * as a NIC's DMA engine would, and the thread that sent them goes on
 * (nginx under the shim spent ~40% of its time in these writes: +10%
 * requests/s with them moved to the other core).
 *
 * Small frames (pure ACKs, small datagrams) are written inline when the
 * thread holds nothing: they cost little to write, and the hop to another
 * thread would delay the ACKs that clock the peer's sending (iperf3
 * receiving through the shim lost ~15% that way). Order on the wire is
 * kept: a frame goes inline only when every frame before it is written,
 * which xt.busy, read and written under dev->tx_lock, tells.
 */

/* dev->tx_lock held: write hl->txq here and now? */
static bool hostlink_tx_inline(const struct hostlink *hl)
{
	const struct sk_buff *skb;

	if (!hl->xt.on)
		return true;
	if (hl->xt.busy)
		return false;
	skb_queue_walk(&hl->txq, skb)
		if (skb->len > HOSTLINK_TX_INLINE_LEN)
			return false;
	return true;
}

/* Frames wait on hl->txq: wake the thread unless it is awake already. */
static void hostlink_xmit_thread_kick(struct hostlink *hl)
{
	if (!__atomic_exchange_n(&hl->xt.kick, 1, __ATOMIC_SEQ_CST))
		sl_futex_wake(&hl->xt.kick, 1);
}

/* Write xt.q, waiting for POLLOUT while the host says EAGAIN. */
static void hostlink_xmit_thread_write(struct hostlink *hl)
{
	struct hostlink_xmit_thread *xt = &hl->xt;
	struct pollfd pfd = { .fd = hl->fd, .events = POLLOUT };
	/* A slice, so that hostlink_uninit's stop is seen. */
	struct timespec slice = { 0, 20 * NSEC_PER_MSEC };
	u32 before = skb_queue_len(&xt->q);

	while (hl->ops->tx(hl, &xt->q) == -EAGAIN) {
		__atomic_fetch_add(&hl->tx_waits, 1, __ATOMIC_RELAXED);
		if (__atomic_load_n(&xt->stop, __ATOMIC_ACQUIRE))
			break;
		ppoll(&pfd, 1, &slice, NULL);
	}
	__atomic_fetch_add(&xt->frames, before - skb_queue_len(&xt->q),
			   __ATOMIC_RELAXED);
}

/*
 * Take what waits on hl->txq (false if nothing). xt.busy stays true
 * until the thread comes back with every frame written.
 */
static bool hostlink_xmit_thread_take(struct hostlink *hl)
{
	struct hostlink_xmit_thread *xt = &hl->xt;
	bool took;

	spin_lock(&hl->dev->tx_lock);
	skb_queue_splice_tail_init(&hl->txq, &xt->q);
	took = !skb_queue_empty(&xt->q);
	xt->busy = took;
	spin_unlock(&hl->dev->tx_lock);
	return took;
}

static void *hostlink_xmit_thread_fn(void *arg)
{
	struct hostlink *hl = arg;
	struct hostlink_xmit_thread *xt = &hl->xt;

	for (;;) {
		if (!hostlink_xmit_thread_take(hl)) {
			if (__atomic_load_n(&xt->stop, __ATOMIC_ACQUIRE))
				break;
			/* Say we sleep, then look once more: a sender that
			 * queued meanwhile shows here or sees 0 and wakes us. */
			__atomic_store_n(&xt->kick, 0, __ATOMIC_SEQ_CST);
			if (!hostlink_xmit_thread_take(hl)) {
				sl_futex_wait(&xt->kick, 0);
				continue;
			}
		}
		hostlink_xmit_thread_write(hl);
		/* The qdisc held frames while the queue was full. */
		if (__atomic_exchange_n(&xt->held, false, __ATOMIC_SEQ_CST))
			netif_tx_wake_queue(hl->dev);
	}
	return NULL;
}

/*
 * Start @hl's transmit thread (a threaded stack's link, not asked to
 * write inline). It takes no signal: the program's handlers run on its
 * own threads. Without it (no thread to be had) frames go out inline.
 */
static void hostlink_xmit_thread_start(struct hostlink *hl)
{
	sigset_t all, old;

	if (hl->tx_inline || !hl->net->threaded)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	hl->xt.on = !pthread_create(&hl->xt.thread, NULL,
				    hostlink_xmit_thread_fn, hl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* End the thread; what it had not written is dropped. */
static void hostlink_xmit_thread_stop(struct hostlink *hl)
{
	struct hostlink_xmit_thread *xt = &hl->xt;

	if (!xt->on)
		return;
	__atomic_store_n(&xt->stop, true, __ATOMIC_RELEASE);
	hostlink_xmit_thread_kick(hl);
	pthread_join(xt->thread, NULL);
	xt->on = false;
	hostlink_tx_purge(hl, &xt->q);
}

/* (See sockline.h.) Frames on hl->txq, and what the thread holds. */
SL_EXPORT int sl_net_tx_pending(sl_net_t *net)
{
	struct hostlink_set *hs = hostlink_set_of(net);
	struct hostlink *hl;
	int n = 0;

	if (!hs)
		return 0;
	pthread_mutex_lock(&hs->lock);
	list_for_each_entry(hl, &hs->links, list) {
		spin_lock(&hl->dev->tx_lock);
		n += (int)skb_queue_len(&hl->txq);
		if (hl->xt.busy)  /* it writes xt.q without the lock */
			n += (int)skb_queue_len(&hl->xt.q) ?: 1;
		spin_unlock(&hl->dev->tx_lock);
	}
	pthread_mutex_unlock(&hs->lock);
	return n;
}

/* Drop a frame the host refused (or could not be offered). Consumes it. */
void hostlink_tx_drop(struct hostlink *hl, struct sk_buff *skb, bool error)
{
	DEV_STATS_INC(hl->dev, tx_dropped);
	if (error)
		DEV_STATS_INC(hl->dev, tx_errors);
	kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
}

/*
 * Write the batch (dev->tx_lock held). On EAGAIN the rest stays queued
 * and the link asks for POLLOUT: a threaded stack's thread re-plans its
 * ppoll, a polled one retries on its next poll.
 */
static void hostlink_tx_flush(struct hostlink *hl)
{
	if (skb_queue_empty(&hl->txq))
		return;
	if (!hostlink_tx_inline(hl)) {
		__atomic_store_n(&hl->tx_blocked, 0, __ATOMIC_RELAXED);
		hostlink_xmit_thread_kick(hl);
		return;
	}
	if (hl->ops->tx(hl, &hl->txq) != -EAGAIN) {
		__atomic_store_n(&hl->tx_blocked, 0, __ATOMIC_RELAXED);
		return;
	}
	__atomic_fetch_add(&hl->tx_waits, 1, __ATOMIC_RELAXED);
	if (!__atomic_exchange_n(&hl->tx_blocked, 1, __ATOMIC_SEQ_CST))
		hostlink_kick(hl->net);
}

/*
 * ndo_start_xmit: queue @skb (data at the Ethernet header) for the next
 * flush. Consumes it, unless the host has refused so many frames that the
 * queue is full: NETDEV_TX_BUSY, and the qdisc keeps it.
 */
netdev_tx_t hostlink_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct hostlink *hl = hostlink_of(dev);

	skb_trace(skb);
	if (unlikely(skb_queue_len(&hl->txq) >= HOSTLINK_TXQ_MAX)) {
		hostlink_tx_flush(hl);
		if (skb_queue_len(&hl->txq) >= HOSTLINK_TXQ_MAX) {
			if (hl->xt.on)  /* the thread restarts the qdisc */
				__atomic_store_n(&hl->xt.held, true,
						 __ATOMIC_SEQ_CST);
			return NETDEV_TX_BUSY;
		}
	}
	__skb_queue_tail(&hl->txq, skb);
	/* A long burst goes out in batches, not all at the end. */
	if (skb_queue_len(&hl->txq) >= HOSTIF_BATCH_MAX &&
	    !__atomic_load_n(&hl->tx_blocked, __ATOMIC_RELAXED))
		hostlink_tx_flush(hl);
	return NETDEV_TX_OK;
}

/* ndo_xmit_flush: the qdisc's burst is over, write the batch. */
void hostlink_xmit_flush(struct net_device *dev)
{
	hostlink_tx_flush(hostlink_of(dev));
}

/* The host can take frames again: write the backlog, restart the qdisc. */
static void hostlink_tx_retry(struct hostlink *hl)
{
	struct net_device *dev = hl->dev;
	bool drained;

	spin_lock(&dev->tx_lock);
	hostlink_tx_flush(hl);
	drained = skb_queue_empty(&hl->txq);
	spin_unlock(&dev->tx_lock);
	if (drained)
		netif_tx_wake_queue(dev);
}

/* Where the TCP header of a partial-checksum IPv4 TCP frame ends. */
static int hostlink_tcp_hdr_end(const struct sk_buff *skb, unsigned int start)
{
	unsigned int doff;

	if (start + 20 > skb->len)
		return -EINVAL;
	doff = (skb->data[start + 12] >> 4) * 4u;
	if (doff < 20 || start + doff > skb->len)
		return -EINVAL;
	return (int)(start + doff);
}

int hostlink_tx_vnet_hdr(const struct hostlink *hl, const struct sk_buff *skb,
			 struct hostif_vnet_hdr *vh)
{
	unsigned int start;
	int end;

	memset(vh, 0, sizeof(*vh));
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		start = skb->csum_start - skb_headroom(skb);
		vh->flags = HOSTIF_VNET_F_NEEDS_CSUM;
		vh->csum_start = htole16((u16)start);
		vh->csum_offset = htole16(skb->csum_offset);
	}
	if (!skb_is_gso(skb))
		return 0;
	/* Our GSO skbs are IPv4 TCP with the checksum left to the device. */
	if (!(hl->dev->features & NETIF_F_GSO) ||
	    skb->ip_summed != CHECKSUM_PARTIAL)
		return -EINVAL;
	end = hostlink_tcp_hdr_end(skb, skb->csum_start - skb_headroom(skb));
	if (end < 0)
		return end;
	vh->gso_type = HOSTIF_VNET_GSO_TCPV4;
	/* CWR belongs on the first segment only (Linux's SKB_GSO_TCP_ECN). */
	if (skb->data[skb->csum_start - skb_headroom(skb) + 13] & 0x80)
		vh->gso_type |= HOSTIF_VNET_GSO_ECN;
	vh->gso_size = htole16(skb_shinfo(skb)->gso_size);
	vh->hdr_len = htole16((u16)end);
	return 0;
}

/* --- receive ------------------------------------------------------------- */

/* Room for one frame of the link's MTU (and a VLAN tag) in a plain skb. */
static unsigned int hostlink_rx_room(const struct hostlink *hl)
{
	return READ_ONCE(hl->dev->mtu) + ETH_HLEN + 4;
}

int hostlink_rx_iov(struct hostlink *hl, int i, struct iovec *iov)
{
	struct hostlink_rx_slot *s = &hl->rx[i];
	int n = 0;

	if (!s->skb) {
		s->skb = alloc_skb(hl->net, hl->rx_big ? HOSTLINK_RX_OVERFLOW
						       : hostlink_rx_room(hl));
		if (!s->skb)
			return 0;
	}
	if (!hl->rx_big && !s->overflow) {
		s->overflow = malloc(HOSTLINK_RX_OVERFLOW);
		if (!s->overflow)
			return 0;
	}
	if (hl->vnet_hdr)
		iov[n++] = (struct iovec){ &hl->rx_vh[i], sizeof(hl->rx_vh[i]) };
	iov[n++] = (struct iovec){ s->skb->data, (size_t)skb_tailroom(s->skb) };
	if (!hl->rx_big)
		iov[n++] = (struct iovec){ s->overflow, HOSTLINK_RX_OVERFLOW };
	return n;
}

/*
 * The @len-byte frame in slot @s as an skb of its own size: a copy when it
 * overflowed the spare or is small for a 64 KiB buffer (the spare stays
 * for the next read), else the spare itself. NULL when out of memory.
 */
static struct sk_buff *hostlink_rx_take(struct hostlink *hl,
					struct hostlink_rx_slot *s, size_t len)
{
	size_t room = (size_t)skb_tailroom(s->skb), head;
	struct sk_buff *skb;

	if (len <= room && !(hl->rx_big && len <= HOSTLINK_RX_COPYBREAK)) {
		skb = s->skb;
		s->skb = NULL;
		skb_put(skb, (unsigned int)len);
		return skb;
	}
	skb = alloc_skb(hl->net, (unsigned int)len);
	if (!skb)
		return NULL;
	head = len < room ? len : room;
	skb_put_data(skb, s->skb->data, (unsigned int)head);
	if (len > head)
		skb_put_data(skb, s->overflow, (unsigned int)(len - head));
	return skb;
}

/* The IPv4 header of a frame, or NULL (not IPv4, or too short). */
static const struct iphdr *hostlink_rx_iph(const struct sk_buff *skb)
{
	const struct iphdr *iph = (const struct iphdr *)(skb->data + ETH_HLEN);

	if (skb->len < ETH_HLEN + sizeof(*iph) ||
	    ((const struct ethhdr *)skb->data)->h_proto != htons(ETH_P_IP) ||
	    iph->ihl < 5 || ETH_HLEN + iph->ihl * 4u > skb->len)
		return NULL;
	return iph;
}

/*
 * A partial checksum on receive. TCP keeps it (tcp_v4_rcv takes
 * CHECKSUM_PARTIAL as verified, as Linux does); for anything else we
 * finish the sum here and mark the frame verified, since our UDP and ICMP
 * check in software and the field only holds the pseudo-header sum.
 */
static int hostlink_rx_partial(struct sk_buff *skb, unsigned int start,
			       unsigned int off)
{
	const struct iphdr *iph = hostlink_rx_iph(skb);

	if ((u32)start + off + 2 > skb->len)
		return -EINVAL;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u16)(skb_headroom(skb) + start);
	skb->csum_offset = (u16)off;
	if (iph && iph->protocol == IPPROTO_TCP &&
	    start == ETH_HLEN + iph->ihl * 4u)
		return 0;
	if (skb_checksum_help(skb))
		return -EINVAL;
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	return 0;
}

/*
 * AF_PACKET without a vnet header said CSUMNOTREADY: the kernel never
 * summed this frame (a veth peer's offload). Find the checksum field from
 * the headers: IPv4 TCP or UDP; anything else is taken as verified.
 */
static int hostlink_rx_partial_guess(struct sk_buff *skb)
{
	const struct iphdr *iph = hostlink_rx_iph(skb);
	unsigned int start;

	if (!iph || (iph->protocol != IPPROTO_TCP &&
		     iph->protocol != IPPROTO_UDP)) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		return 0;
	}
	start = ETH_HLEN + iph->ihl * 4u;
	return hostlink_rx_partial(skb, start,
				   iph->protocol == IPPROTO_TCP ? 16 : 6);
}

/* Apply the vnet header of a received frame: checksum state, GSO size. */
static int hostlink_rx_vnet(struct sk_buff *skb, const struct hostif_vnet_hdr *vh)
{
	unsigned int start = le16toh(vh->csum_start);
	unsigned int gso = le16toh(vh->gso_size);
	int end, err;

	switch (vh->gso_type & ~HOSTIF_VNET_GSO_ECN) {
	case HOSTIF_VNET_GSO_NONE:
		break;
	case HOSTIF_VNET_GSO_TCPV4:
		/* Large segments always come with a partial checksum. */
		if (!gso || !(vh->flags & HOSTIF_VNET_F_NEEDS_CSUM))
			return -EINVAL;
		end = hostlink_tcp_hdr_end(skb, start);
		if (end < 0)
			return end;
		if (skb->len - (unsigned int)end > gso) {
			skb_shinfo(skb)->gso_size = (u16)gso;
			skb_shinfo(skb)->gso_segs = (u16)DIV_ROUND_UP(
				skb->len - (unsigned int)end, gso);
		}
		break;
	default:
		/* UDP and IPv6 segmentation were never offered. */
		return -EINVAL;
	}
	if (vh->flags & HOSTIF_VNET_F_NEEDS_CSUM) {
		err = hostlink_rx_partial(skb, start, le16toh(vh->csum_offset));
		if (err)
			return err;
	} else if (vh->flags & HOSTIF_VNET_F_DATA_VALID) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	}
	return 0;
}

void hostlink_rx_frame(struct hostlink *hl, int i, size_t len,
		       bool csum_partial, bool csum_valid)
{
	size_t hdr = hl->vnet_hdr ? sizeof(struct hostif_vnet_hdr) : 0;
	struct net_device *dev = hl->dev;
	struct sk_buff *skb;
	int err = 0;

	if (len < hdr + ETH_HLEN) {
		DEV_STATS_INC(dev, rx_length_errors);
		DEV_STATS_INC(dev, rx_errors);
		return;
	}
	skb = hostlink_rx_take(hl, &hl->rx[i], len - hdr);
	if (!skb) {
		DEV_STATS_INC(dev, rx_dropped);
		return;
	}
	skb->dev = dev;
	skb->tstamp = net_now(hl->net);
	if (hdr)
		err = hostlink_rx_vnet(skb, &hl->rx_vh[i]);
	else if (csum_partial)
		err = hostlink_rx_partial_guess(skb);
	else if (csum_valid)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if (unlikely(err)) {
		DEV_STATS_INC(dev, rx_errors);
		kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return;
	}
	skb_trace(skb);
	netif_receive_skb(skb);
}

/*
 * NAPI poll of a host link: first what waits to be written (the host said
 * EAGAIN before), then up to @budget received frames.
 */
static int hostlink_napi_poll(struct napi_struct *napi, int budget)
{
	struct hostlink *hl = container_of(napi, struct hostlink, napi);
	int work;

	if (__atomic_load_n(&hl->tx_blocked, __ATOMIC_RELAXED))
		hostlink_tx_retry(hl);
	work = hl->ops->rx(hl, budget);
	if (work > 0)
		__atomic_store_n(&hostlink_set_of(hl->net)->last_rx,
				 hostlink_mono_now(), __ATOMIC_RELAXED);
	if (work < budget)
		napi_complete_done(napi, work);
	return work;
}

/*
 * A read failed. Errors a socket reports once (ENETDOWN when the
 * interface went down, say) pass; one that means the descriptor is dead
 * (the host deleted the interface: EBADFD, ENODEV, ENXIO) stops polling
 * the link, so that a descriptor in error does not spin the thread. The
 * device stays until the stack lets it go.
 */
void hostlink_rx_error(struct hostlink *hl, int err)
{
	switch (err) {
	case -EBADF:
	case -EBADFD:
	case -ENODEV:
	case -ENXIO:
	case -EFAULT:
	case -EINVAL:
		DEV_STATS_INC(hl->dev, rx_errors);
		__atomic_store_n(&hl->failed, true, __ATOMIC_RELAXED);
		break;
	default:
		break;
	}
}

/* --- lifetime ------------------------------------------------------------ */

struct hostlink *hostlink_alloc(struct net *net, const struct sl_dev_config *cfg,
				const char *dflt_name, size_t priv_size,
				const struct net_device_ops *netdev_ops,
				unsigned int mtu, bool offload)
{
	struct net_device *dev;
	struct hostlink *hl;
	u64 seed;

	dev = alloc_netdev(net, priv_size, cfg->name ? cfg->name : dflt_name,
			   ether_setup);
	if (!dev)
		return NULL;
	dev->netdev_ops = netdev_ops;
	dev->mtu = mtu;
	if (offload) {
		dev->features = NETIF_F_GSO | NETIF_F_TSO | NETIF_F_HW_CSUM |
				NETIF_F_RXCSUM | NETIF_F_SG;
		dev->gso_max_size = 65536;
	}
	if (cfg->mac) {
		memcpy(dev->dev_addr, cfg->mac, ETH_ALEN);
	} else {
		seed = net_random_u64(net);
		eth_random_addr(dev->dev_addr, &seed);
	}
	hl = netdev_priv(dev);
	hl->net = net;
	hl->dev = dev;
	hl->fd = -1;
	hl->rx_big = offload;
	hl->tx_inline = cfg->tx_inline;
	INIT_LIST_HEAD(&hl->list);
	skb_queue_head_init(&hl->txq);
	skb_queue_head_init(&hl->xt.q);
	netif_napi_add(dev, &hl->napi, hostlink_napi_poll, NAPI_POLL_WEIGHT);
	return hl;
}

/* Free what the receive slots hold. */
static void hostlink_rx_free(struct hostlink *hl)
{
	int i;

	for (i = 0; i < HOSTLINK_RX_BATCH; i++) {
		if (hl->rx[i].skb)
			consume_skb(hl->rx[i].skb);
		free(hl->rx[i].overflow);
		hl->rx[i].skb = NULL;
		hl->rx[i].overflow = NULL;
	}
}

/*
 * ndo_uninit: the stack no longer polls the link (the device is being
 * unregistered, its stack not in the softirq for it). Frames not yet
 * written are dropped; the driver closes its descriptor (a TAP we
 * created goes with it).
 */
void hostlink_uninit(struct net_device *dev)
{
	struct hostlink *hl = hostlink_of(dev);
	struct hostlink_set *hs = hostlink_set_of(hl->net);

	if (hl->closed)
		return;
	hl->closed = true;
	if (hs && !list_empty(&hl->list)) {
		pthread_mutex_lock(&hs->lock);
		list_del_init(&hl->list);
		hs->count--;
		hs->gen++;
		pthread_mutex_unlock(&hs->lock);
	}
	netif_napi_del(&hl->napi);
	hostlink_xmit_thread_stop(hl);
	spin_lock(&dev->tx_lock);
	hostlink_tx_purge(hl, &hl->txq);
	spin_unlock(&dev->tx_lock);
	hostlink_rx_free(hl);
	hl->ops->close(hl);
	hl->fd = -1;
}

int hostlink_register(struct hostlink *hl)
{
	struct net_device *dev = hl->dev;
	struct net *net = hl->net;
	struct hostlink_set *hs;
	int err = 0;

	hs = hostlink_set_get(net, &err);
	if (!hs)
		goto out_free;
	pthread_mutex_lock(&hs->lock);
	if (hs->count >= HOSTLINK_MAX)
		err = -ENOSPC;
	pthread_mutex_unlock(&hs->lock);
	if (err)
		goto out_free;
	err = register_netdevice(dev);
	if (err)
		goto out_free;
	pthread_mutex_lock(&hs->lock);
	list_add_tail(&hl->list, &hs->links);
	hs->count++;
	pthread_mutex_unlock(&hs->lock);
	hostlink_xmit_thread_start(hl);
	dev_open(dev);
	/* A threaded stack's thread may sleep on its waiter: re-plan. */
	net_softirq_kick(net);
	return 0;

out_free:
	hostlink_uninit(dev);
	free_netdev(dev);
	return err;
}

/* --- attach by name ------------------------------------------------------ */

static const struct hostlink_kind {
	const char *prefix;
	struct net_device *(*attach)(struct net *net, const char *name,
				     const struct sl_dev_config *cfg, int *err);
} hostlink_kinds[] = {
	{ "tap", tap_attach },
	{ "packet", packet_attach },
};

static int hostlink_check_config(const struct sl_dev_config *cfg)
{
	if (cfg->mtu && (cfg->mtu < 68 || cfg->mtu > 65535))
		return -EINVAL;
	if (cfg->offload < -1 || cfg->offload > 1)
		return -EINVAL;
	if (cfg->name && (!*cfg->name || strlen(cfg->name) >= IFNAMSIZ))
		return -EINVAL;
	if (cfg->mac && !is_valid_ether_addr(cfg->mac))
		return -EINVAL;
	return 0;
}

/*
 * Attach a real link named by @cfg->spec ("tap:NAME", "packet:IFNAME")
 * to @net: see <sockline/sockline.h>. 0 and *@ifindex, or -1 and errno:
 * EINVAL (spec or config), ENODEV (no such host interface), EPERM (no
 * CAP_NET_ADMIN), EBUSY (the TAP is in use), EEXIST (the name is taken in
 * the stack), ENOSPC (HOSTLINK_MAX links already), ENOMEM.
 */
SL_EXPORT int sl_dev_attach(sl_net_t *net, const struct sl_dev_config *cfg,
			    int *ifindex)
{
	const struct hostlink_kind *k;
	struct net_device *dev = NULL;
	const char *colon, *name;
	size_t plen;
	int err = -EINVAL;

	if (!net || !cfg || !cfg->spec || hostlink_check_config(cfg))
		goto out_err;
	colon = strchr(cfg->spec, ':');
	if (!colon)
		goto out_err;
	plen = (size_t)(colon - cfg->spec);
	name = colon + 1;
	if (!*name || strlen(name) >= IFNAMSIZ)
		goto out_err;
	for (k = hostlink_kinds; k < hostlink_kinds + ARRAY_SIZE(hostlink_kinds); k++)
		if (strlen(k->prefix) == plen && !strncmp(k->prefix, cfg->spec, plen))
			break;
	if (k == hostlink_kinds + ARRAY_SIZE(hostlink_kinds))
		goto out_err;
	dev = k->attach(net, name, cfg, &err);
	if (!dev)
		goto out_err;
	if (ifindex)
		*ifindex = dev->ifindex;
	return 0;

out_err:
	errno = -err;
	return -1;
}
