/*
 * poll(2) over sockline fds, as Linux's fs/select.c do_sys_poll.
 *
 * do_sys_poll -> do_poll: each pass asks every fd's f_op->poll for its
 * mask (do_pollfd). On the first pass the poll_table's _qproc
 * (__pollwait) adds one wait entry per (file, wait queue) to the
 * per-call poll_wqueues, holding a file reference; those entries wake the
 * call's sl_waiter (pollwake) when a wakeup's key matches what the fd
 * asked for. If nothing is ready and time is left, the call sleeps
 * (poll_sleeper_sleep) and passes again. The entries are removed before
 * returning.
 *
 * Also here: the sleeper shared with epoll_wait. Waiting follows the
 * stacks: the first socket's stack decides the clock of the timeout, a
 * one-shot timer on that stack wakes the sleeper at the deadline, and
 * net_wait() sleeps (threaded stacks) or drives every stack of the clock
 * (polled stacks). With sockets from stacks on different clocks, or with
 * no socket at all, the timeout is real time (CLOCK_MONOTONIC) and the
 * sleeper naps in 1 ms slices, polling the polled stacks it knows between
 * naps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "internal.h"
#include "sl/sock.h"
#include "sl/socket.h"

#define POLL_INLINE_ENTRIES 16
#define POLL_NAP_NS (1 * NSEC_PER_MSEC)

static u64 mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/* --- the sleeper --------------------------------------------------------- */

/* Start a blocked call: @timeout_ms from now (< 0: forever). */
void poll_sleeper_init(struct poll_sleeper *s, int timeout_ms)
{
	memset(s, 0, sizeof(*s));
	sl_waiter_init(&s->waiter);
	s->timeout_ms = timeout_ms;
	s->net_deadline = UINT64_MAX;
	if (timeout_ms >= 0)
		s->real_deadline = mono_now() + (u64)timeout_ms * NSEC_PER_MSEC;
}

/* A watched file lives in @net: the first one fixes the clock. */
void poll_sleeper_note(struct poll_sleeper *s, struct net *net)
{
	struct sl_clock *clk;
	int i;

	if (!net)
		return;
	clk = net->clock;
	if (!s->net)
		s->net = net;
	else if (s->net->clock != clk)
		s->mixed = true;
	for (i = 0; i < s->nclocks; i++)
		if (s->clocks[i] == clk)
			return;
	if (s->nclocks < POLL_SLEEPER_CLOCKS)
		s->clocks[s->nclocks++] = clk;
}

/* The deadline timer: runs in the stack's softirq. */
static void poll_sleeper_timeout(struct timer_list *t)
{
	struct poll_sleeper *s = from_timer(s, t, timer);

	__atomic_store_n(&s->timed_out, true, __ATOMIC_RELEASE);
	sl_waiter_wake(&s->waiter);
}

/* First sleep on a stack clock: fix the deadline there and arm the timer. */
static void poll_sleeper_arm(struct poll_sleeper *s)
{
	struct net *net = s->net;

	if (s->armed || s->timeout_ms < 0 ||
	    s->net_deadline != UINT64_MAX)
		return;
	s->net_deadline = net_now(net) + (u64)s->timeout_ms * NSEC_PER_MSEC;
	timer_setup(&s->timer, poll_sleeper_timeout, net->timers);
	mod_timer(&s->timer, s->net_deadline);
	s->armed = true;
}

/* Has the deadline passed (on the stack clock, or in real time)? */
bool poll_sleeper_expired(struct poll_sleeper *s)
{
	if (s->timeout_ms == 0)
		return true;
	if (s->timeout_ms < 0)
		return false;
	if (__atomic_load_n(&s->timed_out, __ATOMIC_ACQUIRE))
		return true;
	if (s->net && !s->mixed && s->net_deadline != UINT64_MAX)
		return net_now(s->net) >= s->net_deadline;
	return mono_now() >= s->real_deadline;
}

/* Mixed clocks or no stack: real time, polled stacks polled between naps. */
static void poll_sleeper_nap(struct poll_sleeper *s)
{
	u64 until = mono_now() + POLL_NAP_NS;

	for (int i = 0; i < s->nclocks; i++)
		net_poll_group(s->clocks[i]);
	if (s->real_deadline && s->real_deadline < until)
		until = s->real_deadline;
	sl_waiter_sleep(&s->waiter, until);
}

/**
 * poll_sleeper_sleep - block until a wakeup or the deadline
 *
 * Returns false when the deadline has passed (the caller makes one last
 * pass and returns), true otherwise (woken, or a spurious return).
 */
bool poll_sleeper_sleep(struct poll_sleeper *s)
{
	bool woken;

	if (poll_sleeper_expired(s))
		return false;
	if (!s->net || s->mixed) {
		poll_sleeper_nap(s);
		return !poll_sleeper_expired(s);
	}
	poll_sleeper_arm(s);
	woken = net_wait(s->net, &s->waiter, s->net_deadline);
	if (!woken && !poll_sleeper_expired(s)) {
		/*
		 * A polled stack on a virtual clock with nothing left to do
		 * and no deadline: only another thread can wake us. Nap
		 * instead of spinning.
		 */
		sl_waiter_sleep(&s->waiter, mono_now() + POLL_NAP_NS);
	}
	return !poll_sleeper_expired(s);
}

/* End of the call: cancel the deadline timer (waits for a running one). */
void poll_sleeper_destroy(struct poll_sleeper *s)
{
	if (s->armed)
		del_timer_sync(&s->timer);
	sl_waiter_destroy(&s->waiter);
}

/* The stack a file's waits go through: a socket's, or an epoll set's. */
struct net *file_net(struct file *f)
{
	struct socket *sock = sock_from_file(f);

	if (sock)
		return sock->sk ? sock_net(sock->sk) : NULL;
	if (is_file_epoll(f))
		return ep_file_net(f);
	return NULL;
}

/* --- poll's wait entries (Linux's poll_wqueues) ------------------------- */

struct poll_table_entry {
	struct file *filp;             /* referenced while queued */
	__poll_t key;                  /* what the fd asked for */
	struct wait_queue_entry wait;
	struct wait_queue_head *wait_address;
	struct poll_wqueues *pwq;
};

/* Entries never move once queued: more of them come in new chunks. */
struct poll_table_page {
	struct poll_table_page *next;
	unsigned int nr, cap;
	struct poll_table_entry entries[];
};

struct poll_wqueues {
	struct poll_table_struct pt;
	struct poll_sleeper *sleeper;
	int error;
	unsigned int inline_nr;
	struct poll_table_page *table;      /* overflow chunks */
	struct poll_table_entry inline_entries[POLL_INLINE_ENTRIES];
};

/* Wake the poller when the event is one it waits for (Linux's pollwake). */
static int pollwake(struct wait_queue_entry *wait, unsigned int mode,
		    void *key)
{
	struct poll_table_entry *entry =
		container_of(wait, struct poll_table_entry, wait);
	__poll_t mask = (__poll_t)(uintptr_t)key;

	if (mask && !(mask & entry->key))
		return 0;
	sl_waiter_wake(&entry->pwq->sleeper->waiter);
	return 1;
}

static struct poll_table_entry *poll_get_entry(struct poll_wqueues *p)
{
	struct poll_table_page *t = p->table;
	unsigned int cap;

	if (p->inline_nr < POLL_INLINE_ENTRIES)
		return &p->inline_entries[p->inline_nr++];
	if (!t || t->nr == t->cap) {
		cap = t ? t->cap * 2 : 64;
		t = malloc(sizeof(*t) + cap * sizeof(t->entries[0]));
		if (!t)
			return NULL;
		t->nr = 0;
		t->cap = cap;
		t->next = p->table;
		p->table = t;
	}
	return &t->entries[t->nr++];
}

/* The poll_table's _qproc: queue on @wq for this call (Linux's __pollwait). */
static void __pollwait(struct file *filp, struct wait_queue_head *wq,
		       struct poll_table_struct *pt)
{
	struct poll_wqueues *p = container_of(pt, struct poll_wqueues, pt);
	struct poll_table_entry *entry = poll_get_entry(p);

	if (!entry) {
		p->error = -ENOMEM;
		return;
	}
	get_file(filp);
	entry->filp = filp;
	entry->wait_address = wq;
	entry->key = pt->_key;
	entry->pwq = p;
	init_waitqueue_func_entry(&entry->wait, pollwake);
	add_wait_queue(wq, &entry->wait);
}

static void poll_initwait(struct poll_wqueues *p, struct poll_sleeper *s)
{
	p->pt._qproc = __pollwait;
	p->pt._key = ~0u;
	p->sleeper = s;
	p->error = 0;
	p->inline_nr = 0;
	p->table = NULL;
}

static void free_poll_entry(struct poll_table_entry *e)
{
	remove_wait_queue(e->wait_address, &e->wait);
	fput(e->filp);
}

static void poll_freewait(struct poll_wqueues *p)
{
	struct poll_table_page *t = p->table, *next;

	for (unsigned int i = 0; i < p->inline_nr; i++)
		free_poll_entry(&p->inline_entries[i]);
	for (; t; t = next) {
		for (unsigned int i = 0; i < t->nr; i++)
			free_poll_entry(&t->entries[i]);
		next = t->next;
		free(t);
	}
}

/* poll(2)'s short events <-> the kernel's __poll_t: the same bits here. */
static __poll_t demangle_poll(short events)
{
	return (__poll_t)(unsigned short)events;
}

/* One fd (Linux's do_pollfd): its mask filtered by what it asked for. */
static __poll_t do_pollfd(struct pollfd *pollfd, struct poll_table_struct *pwait,
			  struct poll_sleeper *s)
{
	__poll_t mask = 0, filter;
	struct file *f;

	if (pollfd->fd < 0)
		goto out;
	mask = POLLNVAL;
	f = fget(pollfd->fd);
	if (!f)
		goto out;
	poll_sleeper_note(s, file_net(f));
	/* userland u16 ->events contains POLL... bitmap */
	filter = demangle_poll(pollfd->events) | POLLERR | POLLHUP;
	pwait->_key = filter;
	mask = f->f_op->poll ? f->f_op->poll(f, pwait) : 0;
	mask &= filter; /* Mask out unneeded events. */
	fput(f);
out:
	pollfd->revents = (short)mask;
	return mask;
}

/* Linux's do_poll: pass, then sleep, until something or the deadline. */
static int do_poll(struct pollfd *fds, nfds_t nfds, struct poll_wqueues *wait,
		   struct poll_sleeper *s)
{
	struct poll_table_struct *pt = &wait->pt;
	bool timed_out = s->timeout_ms == 0;
	int count = 0;

	/* Optimise the no-wait case. */
	if (timed_out)
		pt->_qproc = NULL;
	for (;;) {
		for (nfds_t i = 0; i < nfds; i++) {
			if (do_pollfd(&fds[i], pt, s)) {
				count++;
				pt->_qproc = NULL;
			}
		}
		/* All entries are queued after the first pass. */
		pt->_qproc = NULL;
		if (!count)
			count = wait->error;
		if (count || timed_out)
			break;
		if (!poll_sleeper_sleep(s))
			timed_out = true;
	}
	return count;
}

/**
 * do_sys_poll - poll(2) over sockline fds
 * @timeout: milliseconds on the first socket's stack clock, < 0 forever
 *
 * Returns the number of fds with revents, 0 on timeout, -EINVAL (more
 * fds than RLIMIT_NOFILE) or -EFAULT. Fds that are not sockline's get
 * POLLNVAL (as Linux for a closed fd); negative fds are skipped.
 */
int do_sys_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct poll_wqueues table;
	struct poll_sleeper s;
	struct rlimit rl;
	int ret;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    nfds > rl.rlim_cur)
		return -EINVAL;
	if (nfds && !fds)
		return -EFAULT;
	poll_sleeper_init(&s, timeout < 0 ? -1 : timeout);
	poll_initwait(&table, &s);
	ret = do_poll(fds, nfds, &table, &s);
	poll_freewait(&table);
	poll_sleeper_destroy(&s);
	return ret;
}
