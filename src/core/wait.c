/*
 * Wait queues and sleeping threads.
 *
 * A wait_queue_head is a mutex-protected list of entries; __wake_up calls
 * each entry's function with the poll mask that became true. A thread that
 * sleeps owns a struct sl_waiter (mutex + condition variable on
 * CLOCK_MONOTONIC + woken flag); its entry's function is
 * default_wake_function, which sets the flag and signals. The flag makes
 * a wakeup that arrives before the thread sleeps count: sl_waiter_sleep
 * returns at once and clears it.
 *
 * Entry functions run with the queue's lock held: they must not add or
 * remove entries of the same queue (they may take other locks).
 */
#include <errno.h>
#include <time.h>

#include "sl/wait.h"

/* Initialise an empty wait queue. */
void init_waitqueue_head(struct wait_queue_head *wq)
{
	pthread_mutex_init(&wq->lock, NULL);
	INIT_LIST_HEAD(&wq->head);
}

/* Tear a wait queue down; it must be empty. */
void destroy_waitqueue_head(struct wait_queue_head *wq)
{
	pthread_mutex_lock(&wq->lock);
	SL_BUG_ON(!list_empty(&wq->head), "destroying a wait queue in use");
	pthread_mutex_unlock(&wq->lock);
	pthread_mutex_destroy(&wq->lock);
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
	pthread_mutex_lock(&wq->lock);
	list_add_tail(&e->entry, &wq->head);
	pthread_mutex_unlock(&wq->lock);
}

/* Remove @e from @wq; removing an entry not on a queue is harmless. */
void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e)
{
	pthread_mutex_lock(&wq->lock);
	if (e->entry.next && !list_empty(&e->entry))
		list_del_init(&e->entry);
	pthread_mutex_unlock(&wq->lock);
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

	pthread_mutex_lock(&wq->lock);
	list_for_each_safe(pos, n, &wq->head) {
		struct wait_queue_entry *e =
			list_entry(pos, struct wait_queue_entry, entry);

		e->func(e, mode, key);
	}
	pthread_mutex_unlock(&wq->lock);
}

/* Wake the entry's sleeper whatever the key: it re-checks its condition. */
int default_wake_function(struct wait_queue_entry *e, unsigned int mode,
			  void *key)
{
	sl_waiter_wake(e->private);
	return 1;
}

/* Initialise a sleeper: its condvar times out on CLOCK_MONOTONIC. */
void sl_waiter_init(struct sl_waiter *w)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	w->woken = false;
}

/* Release a sleeper's mutex and condition variable. */
void sl_waiter_destroy(struct sl_waiter *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
}

/* Set the woken flag and signal the sleeper. Safe from any thread. */
void sl_waiter_wake(struct sl_waiter *w)
{
	pthread_mutex_lock(&w->mu);
	w->woken = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

/*
 * Sleep until woken or until CLOCK_MONOTONIC reaches @abs_ns (0: no
 * deadline). Returns true when woken (and clears the flag).
 */
bool sl_waiter_sleep(struct sl_waiter *w, u64 abs_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(abs_ns / NSEC_PER_SEC),
		.tv_nsec = (long)(abs_ns % NSEC_PER_SEC),
	};
	bool woken;
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	while (!w->woken && rc != ETIMEDOUT) {
		if (abs_ns)
			rc = pthread_cond_timedwait(&w->cond, &w->mu, &ts);
		else
			pthread_cond_wait(&w->cond, &w->mu);
	}
	woken = w->woken;
	w->woken = false;
	pthread_mutex_unlock(&w->mu);
	return woken;
}
