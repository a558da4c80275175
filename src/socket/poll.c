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
 *
 * Last, ppoll over sockline and kernel descriptors (the preload shim):
 * do_ppoll_host splits the array by owner; sockline's entries go through
 * the passes above, and while nothing is ready the call sleeps in the
 * kernel's ppoll on the kernel entries plus the thread's doorbell, which
 * the poll wait entries ring through the sleeper's waiter
 * (poll_sleeper_sleep_kernel). That timeout is real time.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sl/signal.h"
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
	/* A signal handler wakes the call (it then returns -EINTR). */
	signal_wait_begin(&s->waiter);
}

/* A watched file lives in @net: the first one fixes the clock. */
void poll_sleeper_note(struct poll_sleeper *s, struct net *net)
{
	struct sl_clock *clk;
	int i;

	if (!net)
		return;
	clk = net->clock;
	if (!net->threaded)
		s->polled = true;
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
	net_busy_poll_release(s->net);
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

/* The real-time deadline of a sleep in the kernel: the call's, or the
 * end of a nap when polled stacks need us. 0: none. */
static u64 poll_sleeper_kernel_until(struct poll_sleeper *s)
{
	u64 until = s->timeout_ms >= 0 ? s->real_deadline : 0;
	u64 nap;

	if (s->polled) {
		nap = mono_now() + POLL_NAP_NS;
		if (!until || nap < until)
			until = nap;
	}
	return until;
}

int poll_sleeper_sleep_kernel(struct poll_sleeper *s, struct pollfd *kfds,
			      nfds_t n)
{
	int db = sl_doorbell_fd(), err;
	struct timespec ts, *tsp = NULL;
	u64 until, now;
	long ret;

	if (db < 0)
		return db;
	kfds[n] = (struct pollfd){ .fd = db, .events = POLLIN };
	/* Polled stacks move only when somebody polls them. */
	for (int i = 0; s->polled && i < s->nclocks; i++)
		net_poll_group(s->clocks[i]);
	until = poll_sleeper_kernel_until(s);
	if (until) {
		now = mono_now();
		now = until > now ? until - now : 0;
		ts.tv_sec = (time_t)(now / NSEC_PER_SEC);
		ts.tv_nsec = (long)(now % NSEC_PER_SEC);
		tsp = &ts;
	}
	/* Frames do not wake a sleep on kernel descriptors: the stack's
	 * thread must read the links meanwhile. */
	net_busy_poll_release(s->net);
	if (!sl_waiter_kernel_begin(&s->waiter, db))
		return 0;
	/* Raw: under the preload shim ppoll() is the shim's (it would come
	 * back here). The kernel writes the time left into ts. */
	ret = syscall(SYS_ppoll, kfds, n + 1, tsp, NULL, _NSIG / 8);
	err = errno;
	sl_waiter_kernel_end(&s->waiter);
	if (ret < 0)
		return -err;
	if (kfds[n].revents)
		ret--;
	return (int)ret;
}

/* End of the call: cancel the deadline timer (waits for a running one). */
void poll_sleeper_destroy(struct poll_sleeper *s)
{
	signal_wait_end();
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
	/* What the caller asked for; errors and hangups always count. */
	filter = demangle_poll(pollfd->events) | POLLERR | POLLHUP;
	pwait->_key = filter;
	mask = f->f_op->poll ? f->f_op->poll(f, pwait) : 0;
	mask &= filter; /* drop events nobody asked about */
	fput(f);
out:
	pollfd->revents = (short)mask;
	return mask;
}

/*
 * One pass over the entries @idx[0..n) of @fds (@idx NULL: fds[0..n)):
 * the count with revents, or the error queueing ran into.
 */
static int do_poll_pass(struct pollfd *fds, const nfds_t *idx, nfds_t n,
			struct poll_wqueues *wait, struct poll_sleeper *s)
{
	struct poll_table_struct *pt = &wait->pt;
	int count = 0;

	for (nfds_t i = 0; i < n; i++) {
		if (do_pollfd(&fds[idx ? idx[i] : i], pt, s)) {
			count++;
			pt->_qproc = NULL;
		}
	}
	/* Later passes only look: the wait entries exist by now. */
	pt->_qproc = NULL;
	if (!count)
		count = wait->error;
	return count;
}

/* Linux's do_poll: pass, then sleep, until something or the deadline. */
static int do_poll(struct pollfd *fds, nfds_t nfds, struct poll_wqueues *wait,
		   struct poll_sleeper *s)
{
	bool timed_out = s->timeout_ms == 0;
	int count;

	/* timeout 0 never sleeps: hanging wait entries would be waste. */
	if (timed_out)
		wait->pt._qproc = NULL;
	for (;;) {
		count = do_poll_pass(fds, NULL, nfds, wait, s);
		if (count || timed_out)
			break;
		/* A handler ran: poll is never restarted (-ERESTARTNOHAND
		 * becomes -EINTR once a handler has run). */
		if (signal_pending()) {
			count = -EINTR;
			break;
		}
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
/* Linux's check: more entries than RLIMIT_NOFILE, or no array. */
static int poll_check_args(const struct pollfd *fds, nfds_t nfds)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    nfds > rl.rlim_cur)
		return -EINVAL;
	if (nfds && !fds)
		return -EFAULT;
	return 0;
}

int do_sys_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct poll_wqueues table;
	struct poll_sleeper s;
	int ret;

	ret = poll_check_args(fds, nfds);
	if (ret)
		return ret;
	poll_sleeper_init(&s, timeout < 0 ? -1 : timeout);
	poll_initwait(&table, &s);
	ret = do_poll(fds, nfds, &table, &s);
	poll_freewait(&table);
	poll_sleeper_destroy(&s);
	return ret;
}

/* --- ppoll over sockline and kernel descriptors (the preload shim) ------- */

/*
 * The temporary signal mask of ppoll/epoll_pwait (Linux's set_user_sigmask
 * and restore_saved_sigmask_unless). Set at the start of the call, not in
 * the wait: a signal it unblocks that is already pending is delivered
 * right here, its handler marks the call interrupted (signal_pending) and
 * the wait never starts; one that comes later wakes the waiter. So none
 * is lost between a check and the sleep, which is what ppoll's atomic
 * mask is for. @mask NULL: nothing to do.
 */
int poll_set_sigmask(const sigset_t *mask, sigset_t *old)
{
	if (!mask)
		return 0;
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, mask, old, _NSIG / 8))
		return -errno;
	return 0;
}

void poll_restore_sigmask(const sigset_t *mask, const sigset_t *old)
{
	if (mask)
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}

/*
 * A ppoll call split by owner: sockline entries are polled in place,
 * kernel entries through a copy (room for the doorbell at the end). A
 * sockline epoll fd whose placeholder watches kernel fds is both: its
 * sockline items are sockline's to poll, its kernel items the kernel
 * instance's, which has the same number.
 */
struct ppoll_split {
	nfds_t *slidx;            /* indexes of sockline (or negative) fds */
	nfds_t nsl;
	nfds_t *kidx;             /* indexes of kernel fds */
	struct pollfd *kfds;      /* their copies, + 1 for the doorbell */
	nfds_t nk;
	void *mem;
};

enum { PP_SOCKLINE = 1, PP_KERNEL = 2 };

/* Who polls @fd: PP_SOCKLINE, PP_KERNEL or both. */
static int ppoll_owner(int fd)
{
	struct file *f;
	int who;

	if (fd < 0)
		return PP_SOCKLINE;     /* skipped, revents 0 */
	f = fget(fd);
	if (!f)
		return PP_KERNEL;
	who = PP_SOCKLINE | (file_epoll_has_kernel(f) ? PP_KERNEL : 0);
	fput(f);
	return who;
}

static int ppoll_split(struct ppoll_split *sp, struct pollfd *fds, nfds_t nfds)
{
	nfds_t i;

	memset(sp, 0, sizeof(*sp));
	sp->mem = malloc(nfds * 2 * sizeof(nfds_t) +
			 (nfds + 1) * sizeof(struct pollfd));
	if (!sp->mem)
		return -ENOMEM;
	sp->kfds = sp->mem;
	sp->slidx = (nfds_t *)(sp->kfds + nfds + 1);
	sp->kidx = sp->slidx + nfds;
	for (i = 0; i < nfds; i++) {
		int who = ppoll_owner(fds[i].fd);

		fds[i].revents = 0;
		if (who & PP_SOCKLINE)
			sp->slidx[sp->nsl++] = i;
		if (!(who & PP_KERNEL))
			continue;
		sp->kidx[sp->nk] = i;
		sp->kfds[sp->nk++] = (struct pollfd){ .fd = fds[i].fd,
						     .events = fds[i].events };
	}
	return 0;
}

/*
 * The kernel entries' revents into the caller's array (added to what
 * sockline found for an entry of both), and the count of entries with
 * revents.
 */
static int ppoll_finish(struct ppoll_split *sp, struct pollfd *fds,
			nfds_t nfds)
{
	int count = 0;

	for (nfds_t i = 0; i < sp->nk; i++)
		fds[sp->kidx[i]].revents |= sp->kfds[i].revents;
	for (nfds_t i = 0; i < nfds; i++)
		if (fds[i].revents)
			count++;
	return count;
}

/* Poll the kernel entries without waiting: count with revents or -errno. */
static int ppoll_kernel_now(struct ppoll_split *sp)
{
	struct timespec zero = { 0, 0 };
	long ret = syscall(SYS_ppoll, sp->kfds, sp->nk, &zero, NULL, _NSIG / 8);

	return ret < 0 ? -errno : (int)ret;
}

/*
 * do_poll for both worlds: pass over the sockline entries (queueing on
 * their wait queues the first time), and while nothing is ready sleep in
 * the kernel on the kernel entries and the doorbell that those wait
 * entries ring. Whatever ends the sleep, everything is looked at again
 * without waiting, so each entry's revents is current.
 */
static int do_poll_mixed(struct pollfd *fds, nfds_t nfds,
			 struct ppoll_split *sp, struct poll_wqueues *wait,
			 struct poll_sleeper *s)
{
	bool timed_out = s->timeout_ms == 0;
	int count, k;

	if (timed_out)
		wait->pt._qproc = NULL;
	for (;;) {
		count = do_poll_pass(fds, sp->slidx, sp->nsl, wait, s);
		if (count < 0)
			return count;
		if (count || timed_out)
			break;
		if (signal_pending())
			return -EINTR;
		k = poll_sleeper_sleep_kernel(s, sp->kfds, sp->nk);
		if (k < 0)
			return k;
		if (k > 0) {
			count = do_poll_pass(fds, sp->slidx, sp->nsl, wait, s);
			return count < 0 ? count : ppoll_finish(sp, fds, nfds);
		}
		if (poll_sleeper_expired(s))
			timed_out = true;
	}
	k = ppoll_kernel_now(sp);
	return k < 0 ? k : ppoll_finish(sp, fds, nfds);
}

/* ppoll's timespec as poll's milliseconds, rounded up (-1: forever). */
static int ppoll_timeout_ms(const struct timespec *tmo, int *ms)
{
	u64 v;

	*ms = -1;
	if (!tmo)
		return 0;
	if (tmo->tv_sec < 0 || tmo->tv_nsec < 0 ||
	    (u64)tmo->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	v = (u64)tmo->tv_nsec / NSEC_PER_MSEC +
	    ((u64)tmo->tv_nsec % NSEC_PER_MSEC ? 1 : 0);
	if ((u64)tmo->tv_sec >= INT_MAX / 1000 ||
	    (u64)tmo->tv_sec * 1000 + v > INT_MAX)
		*ms = INT_MAX;
	else
		*ms = (int)((u64)tmo->tv_sec * 1000 + v);
	return 0;
}

/* The pieces with the call's signal mask in place. */
static int __do_ppoll_host(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct poll_wqueues table;
	struct ppoll_split sp;
	struct poll_sleeper s;
	int ret;

	ret = ppoll_split(&sp, fds, nfds);
	if (ret)
		return ret;
	if (!sp.nk) {
		/* Sockline's alone: the usual sleep, busy polling included. */
		ret = do_sys_poll(fds, nfds, timeout);
	} else {
		poll_sleeper_init(&s, timeout);
		poll_initwait(&table, &s);
		ret = do_poll_mixed(fds, nfds, &sp, &table, &s);
		poll_freewait(&table);
		poll_sleeper_destroy(&s);
	}
	free(sp.mem);
	return ret;
}

/* Does any entry name a sockline fd? */
static bool ppoll_has_sockline(const struct pollfd *fds, nfds_t nfds)
{
	for (nfds_t i = 0; i < nfds; i++)
		if (fds[i].fd >= 0 && (ppoll_owner(fds[i].fd) & PP_SOCKLINE))
			return true;
	return false;
}

/**
 * do_ppoll_host - ppoll(2) over sockline and kernel descriptors
 * @tmo: NULL forever; real time when kernel descriptors are involved
 * @sigmask: the mask during the call, or NULL
 *
 * Without sockline fds this is the kernel's ppoll (raw: the shim's
 * ppoll would come back here). A number that is a sockline fd is
 * sockline's: in host mode no kernel descriptor can have it. Returns the
 * count of entries with revents, 0 on timeout, -EINTR (a handler ran),
 * -EINVAL, -EFAULT, -ENOMEM.
 */
int do_ppoll_host(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo,
		  const sigset_t *sigmask)
{
	struct timespec ts;
	sigset_t old;
	int timeout, ret;
	long kret;

	ret = poll_check_args(fds, nfds);
	if (!ret)
		ret = ppoll_timeout_ms(tmo, &timeout);
	if (ret)
		return ret;
	if (!ppoll_has_sockline(fds, nfds)) {
		if (tmo)
			ts = *tmo;      /* the kernel writes the time left */
		kret = syscall(SYS_ppoll, fds, nfds, tmo ? &ts : NULL, sigmask,
			       _NSIG / 8);
		return kret < 0 ? -errno : (int)kret;
	}
	ret = poll_set_sigmask(sigmask, &old);
	if (ret)
		return ret;
	ret = __do_ppoll_host(fds, nfds, timeout);
	poll_restore_sigmask(sigmask, &old);
	return ret;
}
