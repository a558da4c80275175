/*
 * Wait queues: a list of entries, each with a wake function.
 *
 * A sleeping thread's entry wakes its condition variable (autoremove or
 * default wake function); epoll registers entries whose function marks the
 * epoll item ready (ep_poll_callback). Wakers pass a key: the poll mask
 * that became true (EPOLLIN, EPOLLOUT, ...), so waiters that do not care
 * are not woken.
 */
#ifndef SL_WAIT_H
#define SL_WAIT_H

#include <pthread.h>

#include "sl/list.h"
#include "sl/spinlock.h"
#include "sl/types.h"

struct wait_queue_entry;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry,
				 unsigned int mode, void *key);

struct wait_queue_entry {
	unsigned int flags;
	void *private;           /* the sleeper (struct sl_waiter) or epitem */
	wait_queue_func_t func;
	struct list_head entry;
};

/* 24 bytes: it sits in every socket (issue 3, memory per connection). */
struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;
};

/*
 * A sleeping thread: one futex word (IDLE, WOKEN, SLEEPING on the futex,
 * or KERNEL: sleeping in ppoll/epoll_wait on kernel descriptors, where a
 * wakeup rings @doorbell, the thread's eventfd).
 */
struct sl_waiter {
	u32 state;
	int doorbell;            /* eventfd while KERNEL, else -1 */
};

void init_waitqueue_head(struct wait_queue_head *wq);
void destroy_waitqueue_head(struct wait_queue_head *wq);
void init_waitqueue_entry(struct wait_queue_entry *e, struct sl_waiter *w);
void init_waitqueue_func_entry(struct wait_queue_entry *e, wait_queue_func_t f);
void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e);
void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e);
bool waitqueue_active(struct wait_queue_head *wq);
/* Call every entry's func with @key (a poll mask as uintptr_t). */
void __wake_up(struct wait_queue_head *wq, unsigned int mode, void *key);
#define wake_up_interruptible_poll(wq, mask) \
	__wake_up((wq), 1, (void *)(uintptr_t)(mask))
#define wake_up_interruptible_all(wq) __wake_up((wq), 1, NULL)

/* The default wake function: wakes the entry's sl_waiter. */
int default_wake_function(struct wait_queue_entry *e, unsigned int mode,
			  void *key);

void sl_waiter_init(struct sl_waiter *w);
void sl_waiter_destroy(struct sl_waiter *w);
void sl_waiter_wake(struct sl_waiter *w);
/*
 * Sleep until woken or until the real-time deadline @abs_ns
 * (CLOCK_MONOTONIC, 0 = no deadline). Clears the woken flag; returns true
 * when woken. Timeouts on a virtual clock are timers on the stack that wake
 * the waiter, so callers pass 0 here for them.
 */
bool sl_waiter_sleep(struct sl_waiter *w, u64 abs_ns);
/*
 * What a busy-polling waiter does while it spins: @poll looks for work
 * (reads the stack's host links) once per round. @sleep (NULL: none) then
 * sleeps on the work's source itself until CLOCK_MONOTONIC @abs_ns at
 * most, doing the work that comes: 1 when @w was woken, 0 at @abs_ns,
 * -errno when it cannot (another thread sleeps there). @stop runs before
 * the thread sleeps on its waiter: the source goes back to the stack.
 */
struct sl_busy_poll {
	void (*poll)(void *arg);
	void (*stop)(void *arg);
	int (*sleep)(void *arg, struct sl_waiter *w, u64 abs_ns);
	void *arg;
};
/*
 * The same for an application thread blocked in a socket call: first
 * busy-poll for a wakeup a little while (Linux's net.core.busy_read idea),
 * when this thread's recent waits were short enough for it to pay,
 * running @bp's poll (NULL: none) while it spins; then @bp's sleep, if
 * any, for up to a millisecond; then sleep on @w.
 */
bool sl_waiter_sleep_busy(struct sl_waiter *w, u64 abs_ns,
			  const struct sl_busy_poll *bp);
/* How long a thread may busy-poll before it sleeps, in ns (0: never):
 * 50 us, or SOCKLINE_BUSY_POLL_US. */
u64 sl_busy_poll_ns(void);
/* Take (and clear) a wakeup that arrived, without sleeping. */
bool sl_waiter_take(struct sl_waiter *w);

/*
 * Sleeping in the kernel. A thread that must also wait for kernel
 * descriptors (the preload shim's ppoll and epoll_wait over both worlds)
 * sleeps in ppoll on them and on its doorbell, an eventfd of its own that
 * sl_waiter_wake writes while the thread is there:
 *
 *	db = sl_doorbell_fd();
 *	if (sl_waiter_kernel_begin(w, db)) {
 *		ppoll(kernel fds + { db, POLLIN }, ...);
 *		sl_waiter_kernel_end(w);
 *	}
 *
 * sl_doorbell_fd: the calling thread's eventfd (created on first use,
 * closed when the thread exits), or -errno. sl_waiter_kernel_begin:
 * false when a wakeup is already pending (taken: do not sleep).
 * sl_waiter_kernel_end: true when woken; the doorbell is left unrung
 * (a waker that saw the thread sleeping has finished writing it).
 * sl_waiter_wake stays async-signal-safe: a signal handler may wake.
 */
int sl_doorbell_fd(void);
bool sl_waiter_kernel_begin(struct sl_waiter *w, int doorbell);
bool sl_waiter_kernel_end(struct sl_waiter *w);
/* fork child: forget (and close) every thread's doorbell. */
void sl_doorbell_atfork_child(void);

#endif
