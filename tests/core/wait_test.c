/*
 * Tests for src/core/wait.c: wakeups reach every entry with the poll key,
 * a wakeup before the sleep is not lost, a waiter blocked in another
 * thread is woken, removed entries are not called, deadlines expire.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <time.h>

#include "sl_test.h"
#include "sl/wait.h"

static unsigned int last_key;
static int calls;

static int key_fn(struct wait_queue_entry *e, unsigned int mode, void *key)
{
	last_key = (unsigned int)(uintptr_t)key;
	calls++;
	return 1;
}

static void test_func_entries_get_key(void **state)
{
	struct wait_queue_head wq;
	struct wait_queue_entry a, b;

	init_waitqueue_head(&wq);
	assert_false(waitqueue_active(&wq));
	init_waitqueue_func_entry(&a, key_fn);
	init_waitqueue_func_entry(&b, key_fn);
	add_wait_queue(&wq, &a);
	add_wait_queue(&wq, &b);
	assert_true(waitqueue_active(&wq));
	calls = 0;
	wake_up_interruptible_poll(&wq, EPOLLIN | EPOLLRDNORM);
	assert_int_equal(calls, 2);
	assert_int_equal(last_key, EPOLLIN | EPOLLRDNORM);
	remove_wait_queue(&wq, &a);
	calls = 0;
	wake_up_interruptible_all(&wq);
	assert_int_equal(calls, 1);
	assert_int_equal(last_key, 0);
	remove_wait_queue(&wq, &b);
	/* Removing twice is harmless. */
	remove_wait_queue(&wq, &b);
	assert_false(waitqueue_active(&wq));
	destroy_waitqueue_head(&wq);
	sl_assert_no_leaks();
}

/* A wakeup that comes before the sleep makes the sleep return at once. */
static void test_wake_before_sleep(void **state)
{
	struct wait_queue_head wq;
	struct wait_queue_entry e;
	struct sl_waiter w;

	init_waitqueue_head(&wq);
	sl_waiter_init(&w);
	init_waitqueue_entry(&e, &w);
	add_wait_queue(&wq, &e);
	wake_up_interruptible_poll(&wq, EPOLLOUT);
	assert_true(sl_waiter_sleep(&w, 0));
	remove_wait_queue(&wq, &e);
	sl_waiter_destroy(&w);
	destroy_waitqueue_head(&wq);
	sl_assert_no_leaks();
}

static u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/* With a deadline and no wakeup, the sleep ends not before the deadline. */
static void test_deadline(void **state)
{
	struct sl_waiter w;
	u64 deadline;

	sl_waiter_init(&w);
	deadline = mono_ns() + 2 * NSEC_PER_MSEC;
	assert_false(sl_waiter_sleep(&w, deadline));
	assert_true(mono_ns() >= deadline);
	sl_waiter_destroy(&w);
	sl_assert_no_leaks();
}

struct sleeper {
	struct wait_queue_head *wq;
	struct sl_waiter w;
	struct wait_queue_entry e;
	int added;
	int flag;       /* the condition, set by the waker */
	int saw_flag;
};

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;

	init_waitqueue_entry(&s->e, &s->w);
	add_wait_queue(s->wq, &s->e);
	__atomic_store_n(&s->added, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&s->flag, __ATOMIC_SEQ_CST))
		sl_waiter_sleep(&s->w, 0);
	s->saw_flag = 1;
	remove_wait_queue(s->wq, &s->e);
	return NULL;
}

/* A thread blocked with no deadline is woken by another thread. */
static void test_cross_thread_wakeup(void **state)
{
	struct wait_queue_head wq;
	struct sleeper s = { 0 };
	pthread_t th;

	init_waitqueue_head(&wq);
	s.wq = &wq;
	sl_waiter_init(&s.w);
	pthread_create(&th, NULL, sleeper_fn, &s);
	while (!__atomic_load_n(&s.added, __ATOMIC_SEQ_CST))
		sched_yield();
	__atomic_store_n(&s.flag, 1, __ATOMIC_SEQ_CST);
	wake_up_interruptible_poll(&wq, EPOLLIN);
	pthread_join(th, NULL);
	assert_int_equal(s.saw_flag, 1);
	assert_false(waitqueue_active(&wq));
	sl_waiter_destroy(&s.w);
	destroy_waitqueue_head(&wq);
	sl_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_func_entries_get_key),
		cmocka_unit_test(test_wake_before_sleep),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cross_thread_wakeup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
