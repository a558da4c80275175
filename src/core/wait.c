/*
 * Wait queues and sleeping threads.
 *
 * A wait_queue_head is a spinlock-protected list of entries; __wake_up calls
 * each entry's function with the poll mask that became true. A thread that
 * sleeps owns a struct sl_waiter (a futex word, see below); its entry's
 * function is default_wake_function, which makes a wakeup pending. A
 * wakeup that arrives before the thread sleeps counts: sl_waiter_sleep
 * returns at once and clears it.
 *
 * Entry functions run with the queue's lock held: they must not add or
 * remove entries of the same queue (they may take other locks).
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sl/wait.h"

#include "core_priv.h"

/* Initialise an empty wait queue. */
void init_waitqueue_head(struct wait_queue_head *wq)
{
	spin_lock_init(&wq->lock);
	INIT_LIST_HEAD(&wq->head);
}

/* Tear a wait queue down; it must be empty. */
void destroy_waitqueue_head(struct wait_queue_head *wq)
{
	spin_lock(&wq->lock);
	SL_BUG_ON(!list_empty(&wq->head), "destroying a wait queue in use");
	spin_unlock(&wq->lock);
}

/* An entry that wakes sleeper @w. */
void init_waitqueue_entry(struct wait_queue_entry *e, struct sl_waiter *w)
{
	e->flags = 0;
	e->private = w;
	e->func = default_wake_function;
	INIT_LIST_HEAD(&e->entry);
}

/* An entry with a custom wake function (epoll's ep_poll_callback). */
void init_waitqueue_func_entry(struct wait_queue_entry *e, wait_queue_func_t f)
{
	e->flags = 0;
	e->private = NULL;
	e->func = f;
	INIT_LIST_HEAD(&e->entry);
}

/* Append @e to @wq. */
void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	spin_lock(&wq->lock);
	list_add_tail(&e->entry, &wq->head);
	spin_unlock(&wq->lock);
}

/* Remove @e from @wq; removing an entry not on a queue is harmless. */
void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	spin_lock(&wq->lock);
	if (e->entry.next && !list_empty(&e->entry))
		list_del_init(&e->entry);
	spin_unlock(&wq->lock);
}

/* Whether anybody waits on @wq (unlocked peek, as Linux's). */
bool waitqueue_active(struct wait_queue_head *wq)
{
	return READ_ONCE(wq->head.next) != &wq->head;
}

/*
 * Call every entry's wake function with @mode and @key (a poll mask cast
 * to a pointer, or NULL for "everything"). Safe from any thread.
 */
void __wake_up(struct wait_queue_head *wq, unsigned int mode, void *key)
{
	struct list_head *pos, *n;

	spin_lock(&wq->lock);
	list_for_each_safe(pos, n, &wq->head) {
		struct wait_queue_entry *e =
			list_entry(pos, struct wait_queue_entry, entry);

		e->func(e, mode, key);
	}
	spin_unlock(&wq->lock);
}

/* Wake the entry's sleeper whatever the key: it re-checks its condition. */
int default_wake_function(struct wait_queue_entry *e, unsigned int mode,
			  void *key)
{
	sl_waiter_wake(e->private);
	return 1;
}

/*
 * Sleepers. A waiter is one futex word: IDLE, WOKEN (a wakeup is pending),
 * SLEEPING (its thread is, or is about to be, in futex_wait) or KERNEL
 * (it sleeps in ppoll with its doorbell, see below). A wake makes the
 * word WOKEN and enters the kernel only when the thread sleeps, so a
 * wakeup that finds its thread busy-polling or not yet asleep costs one
 * atomic exchange.
 */
enum {
	SL_WAITER_IDLE = 0,
	SL_WAITER_WOKEN = 1,
	SL_WAITER_SLEEPING = 2,
	SL_WAITER_KERNEL = 3,
};

void sl_waiter_init(struct sl_waiter *w)
{
	w->state = SL_WAITER_IDLE;
	w->doorbell = -1;
}

void sl_waiter_destroy(struct sl_waiter *w)
{
	(void)w;
}

static void doorbell_ring(int fd);

/*
 * Make the wakeup pending and wake the sleeper: on its futex, or through
 * its doorbell when it sleeps in the kernel. Safe from any thread, and
 * from a signal handler (atomics and system calls only).
 */
void sl_waiter_wake(struct sl_waiter *w)
{
	switch (__atomic_exchange_n(&w->state, SL_WAITER_WOKEN,
				    __ATOMIC_ACQ_REL)) {
	case SL_WAITER_SLEEPING:
		sl_futex_wake(&w->state, 1);
		break;
	case SL_WAITER_KERNEL:
		/* Only the first waker sees KERNEL: one ring per sleep. */
		doorbell_ring(w->doorbell);
		break;
	}
}

bool sl_waiter_take(struct sl_waiter *w)
{
	u32 c = SL_WAITER_WOKEN;

	return __atomic_load_n(&w->state, __ATOMIC_RELAXED) == SL_WAITER_WOKEN &&
	       __atomic_compare_exchange_n(&w->state, &c, SL_WAITER_IDLE, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* futex_wait while *@uaddr == @val, until CLOCK_MONOTONIC @abs_ns (0:
 * forever). Returns on a wakeup, a changed word, a signal or the time. */
static void sl_futex_wait_until(u32 *uaddr, u32 val, u64 abs_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(abs_ns / NSEC_PER_SEC),
		.tv_nsec = (long)(abs_ns % NSEC_PER_SEC),
	};

	syscall(SYS_futex, uaddr, FUTEX_WAIT_BITSET_PRIVATE, val,
		abs_ns ? &ts : NULL, NULL, FUTEX_BITSET_MATCH_ANY);
}

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/*
 * Sleep until woken or until CLOCK_MONOTONIC reaches @abs_ns (0: no
 * deadline). Returns true when woken (and clears the wakeup).
 */
bool sl_waiter_sleep(struct sl_waiter *w, u64 abs_ns)
{
	u32 c;

	for (;;) {
		if (sl_waiter_take(w))
			return true;
		c = SL_WAITER_IDLE;
		if (!__atomic_compare_exchange_n(&w->state, &c, SL_WAITER_SLEEPING,
						 false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE) &&
		    c != SL_WAITER_SLEEPING)
			continue;       /* woken meanwhile: take it */
		if (abs_ns && mono_ns() >= abs_ns)
			break;
		sl_futex_wait_until(&w->state, SL_WAITER_SLEEPING, abs_ns);
		if (abs_ns && mono_ns() >= abs_ns)
			break;
	}
	/* Timed out: leave SLEEPING unless a wakeup won the race. */
	c = SL_WAITER_SLEEPING;
	if (__atomic_compare_exchange_n(&w->state, &c, SL_WAITER_IDLE, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	return sl_waiter_take(w);
}

/*
 * Busy polling before sleeping. A futex sleep and wakeup costs the woken
 * thread a trip through the scheduler, and an idle virtual CPU tens of
 * microseconds to come back; a request/response peer answers faster than
 * that. So a thread about to sleep first spins, watching its waiter, for
 * up to SL_BUSY_POLL_NS, but only while its recent waits (an average kept
 * per thread) were short: a thread whose wakeups take long (an idle
 * connection) sleeps at once and costs no CPU. A stack on host links
 * passes a poll function: the spinning thread then reads the links itself
 * (napi_busy_loop), so the answer it waits for reaches it without any
 * thread being woken.
 */
#define SL_BUSY_POLL_NS (50 * NSEC_PER_USEC)
/* At most this long asleep on the work's source (sl_busy_poll.sleep)
 * before the thread hands it back and sleeps on its waiter. */
#define SL_LINK_SLEEP_NS (1000 * NSEC_PER_USEC)

static __thread u64 busy_avg_ns = SL_BUSY_POLL_NS;  /* recent wait length */
static u64 busy_poll_ns = UINT64_MAX;               /* UINT64_MAX: unread */

/* SOCKLINE_BUSY_POLL_US overrides the spin budget (0: never spin). */
u64 sl_busy_poll_ns(void)
{
	u64 v = __atomic_load_n(&busy_poll_ns, __ATOMIC_RELAXED);
	const char *env;

	if (v != UINT64_MAX)
		return v;
	env = getenv("SOCKLINE_BUSY_POLL_US");
	v = env ? strtoull(env, NULL, 10) * NSEC_PER_USEC : SL_BUSY_POLL_NS;
	__atomic_store_n(&busy_poll_ns, v, __ATOMIC_RELAXED);
	return v;
}

bool sl_waiter_sleep_busy(struct sl_waiter *w, u64 abs_ns,
			  const struct sl_busy_poll *bp)
{
	u64 start = mono_ns(), now = start, waited, limit;
	u64 budget = sl_busy_poll_ns();
	/* Polling costs a system call a round: watch the waiter less. */
	int relax = bp ? 8 : 64, i;
	bool woken, leased = false;   /* bp's source taken: give it back */

	if (budget && busy_avg_ns <= budget) {
		limit = start + budget;
		if (abs_ns && abs_ns < limit)
			limit = abs_ns;
		while (now < limit) {
			if (bp) {
				bp->poll(bp->arg);
				leased = true;
			}
			for (i = 0; i < relax; i++) {
				if (__atomic_load_n(&w->state, __ATOMIC_RELAXED) ==
				    SL_WAITER_WOKEN)
					break;
				cpu_relax();
			}
			if (sl_waiter_take(w)) {
				woken = true;
				now = mono_ns();
				goto out;
			}
			/* The thread that will wake us may be waiting for
			 * this very CPU: let it run (returns at once when
			 * nothing else is runnable here). */
			sched_yield();
			now = mono_ns();
		}
	}
	/*
	 * Then sleep on the work's source itself for a while, whatever the
	 * recent waits were: a frame that comes wakes this thread alone,
	 * which reads it (no thread of the stack in between), and a sleep
	 * costs no CPU. A paced sender's gaps are longer than the spin but
	 * shorter than this.
	 */
	if (budget && bp && bp->sleep) {
		u64 until = now + SL_LINK_SLEEP_NS;
		int r;

		if (abs_ns && abs_ns < until)
			until = abs_ns;
		r = bp->sleep(bp->arg, w, until);
		now = mono_ns();
		leased |= r >= 0;
		if (r > 0 || (r == 0 && abs_ns && now >= abs_ns)) {
			woken = r > 0;
			goto out;
		}
	}
	/* Not when another thread holds the source (sleep said -EBUSY). */
	if (leased)
		bp->stop(bp->arg);
	woken = sl_waiter_sleep(w, abs_ns);
	now = mono_ns();
out:
	/* EWMA (1/4) of how long waits last; a timeout counts as long. */
	waited = woken ? now - start : 4 * budget;
	if (waited > 4 * budget)
		waited = 4 * budget;
	busy_avg_ns = (3 * busy_avg_ns + waited) / 4;
	return woken;
}

/*
 * Doorbells: one eventfd per thread that sleeps in the kernel, made on
 * first use. Its counter is 0 whenever the thread is not asleep in the
 * kernel: a sleep is rung at most once (the waker that moved the waiter
 * out of KERNEL), and sl_waiter_kernel_end reads that ring before it
 * returns, waiting for it if the waker is still on its way. So no ring is
 * ever left over to wake a later sleep spuriously, and no waker writes to
 * the descriptor after its thread has gone on (and maybe exited, freeing
 * the number for some unrelated file).
 *
 * Every doorbell is listed, so that a fork child can close its copies of
 * the other threads' ones (sl_doorbell_atfork_child). The calls go
 * straight to the kernel (syscall): under the preload shim the libc
 * symbols are the shim's.
 */
struct doorbell {
	struct doorbell *next;
	int fd;
};

static struct doorbell *doorbells;
static int doorbells_lock;
static pthread_key_t doorbell_key;
static pthread_once_t doorbell_once = PTHREAD_ONCE_INIT;
static bool doorbell_key_made;
static __thread struct doorbell *thread_doorbell;

static void doorbell_ring(int fd)
{
	u64 one = 1;

	while (syscall(SYS_write, fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* Wait for the ring and clear it (eventfd read: counter -> 0). */
static void doorbell_answer(int fd)
{
	u64 v;

	while (syscall(SYS_read, fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

/* Thread exit (the key's destructor): unlist and close its doorbell. */
static void doorbell_release(void *arg)
{
	struct doorbell *db = arg, **pp;

	sl_spin_lock(&doorbells_lock);
	for (pp = &doorbells; *pp; pp = &(*pp)->next) {
		if (*pp == db) {
			*pp = db->next;
			break;
		}
	}
	sl_spin_unlock(&doorbells_lock);
	syscall(SYS_close, db->fd);
	free(db);
	thread_doorbell = NULL;
}

static void doorbell_key_init(void)
{
	doorbell_key_made = !pthread_key_create(&doorbell_key,
						doorbell_release);
}

int sl_doorbell_fd(void)
{
	struct doorbell *db = thread_doorbell;
	long fd;

	if (db)
		return db->fd;
	pthread_once(&doorbell_once, doorbell_key_init);
	db = malloc(sizeof(*db));
	if (!db)
		return -ENOMEM;
	/* Blocking: sl_waiter_kernel_end may have to wait for a ring. */
	fd = syscall(SYS_eventfd2, 0, EFD_CLOEXEC);
	if (fd < 0) {
		free(db);
		return -errno;
	}
	db->fd = (int)fd;
	sl_spin_lock(&doorbells_lock);
	db->next = doorbells;
	doorbells = db;
	sl_spin_unlock(&doorbells_lock);
	thread_doorbell = db;
	if (doorbell_key_made)
		pthread_setspecific(doorbell_key, db);
	return db->fd;
}

bool sl_waiter_kernel_begin(struct sl_waiter *w, int doorbell)
{
	u32 c = SL_WAITER_IDLE;

	w->doorbell = doorbell;
	/* The release pairs with the waker's exchange: it sees @doorbell. */
	if (__atomic_compare_exchange_n(&w->state, &c, SL_WAITER_KERNEL, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return true;
	sl_waiter_take(w);
	return false;
}

bool sl_waiter_kernel_end(struct sl_waiter *w)
{
	u32 c = SL_WAITER_KERNEL;

	if (__atomic_compare_exchange_n(&w->state, &c, SL_WAITER_IDLE, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	/* A waker took us out of KERNEL: its ring is (or will be) there. */
	doorbell_answer(w->doorbell);
	return sl_waiter_take(w);
}

/*
 * fork child: only the forking thread lives on. Close the child's copies
 * of every doorbell (the eventfds are shared with the parent's threads:
 * ringing one here would wake a thread there) and start afresh; the list
 * is abandoned, its lock may have been held by a thread that is gone.
 */
void sl_doorbell_atfork_child(void)
{
	struct doorbell *db;

	for (db = doorbells; db; db = db->next)
		syscall(SYS_close, db->fd);
	doorbells = NULL;
	doorbells_lock = 0;
	thread_doorbell = NULL;
	if (doorbell_key_made)
		pthread_setspecific(doorbell_key, NULL);
}
