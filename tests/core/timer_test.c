/*
 * Tests for src/core/timer.c on a virtual clock: every timer runs in
 * (expiry, arming) order with the clock reading its own expiry, through
 * cascades from hours away down to 1 us; cancel, re-arm (also from the
 * callback), next expiry, the notify hook, and del_timer_sync waiting for
 * a callback running on another thread; a real clock's readings in wall
 * time.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sl_test.h"
#include "sl/timer.h"

#define NT 3000

struct rec_timer {
	struct timer_list t;
	int id;
	int fired;
	u64 fired_at;
};

static struct sl_clock *clk;
static struct timer_base *base;
static struct rec_timer timers[NT];
static int order[NT];
static int nfired;

static u64 rng = 88172645463325252ULL;
static u64 rnd64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int setup(void **state)
{
	clk = sl_clock_create(true);
	base = timer_base_create(clk);
	nfired = 0;
	memset(timers, 0, sizeof(timers));
	return 0;
}

static int teardown(void **state)
{
	timer_base_destroy(base);
	sl_clock_put(clk);
	return 0;
}

static void record_fn(struct timer_list *t)
{
	struct rec_timer *r = from_timer(r, t, t);

	/* The clock reads this timer's own instant. */
	assert_int_equal(sl_clock_now(clk), t->expires);
	assert_false(timer_pending(t));
	r->fired++;
	r->fired_at = sl_clock_now(clk);
	order[nfired++] = r->id;
}

/* Expiry spread: 1 us .. 5 hours, many duplicates. */
static u64 random_expiry(u64 now)
{
	switch (rnd64() % 5) {
	case 0:
		return now + 1000 * (1 + rnd64() % 1000);          /* <= 1 ms */
	case 1:
		return now + rnd64() % (10 * NSEC_PER_SEC);        /* <= 10 s */
	case 2:
		return now + rnd64() % (5 * 3600 * NSEC_PER_SEC);  /* <= 5 h */
	case 3:
		return now + 1000 * (rnd64() % 4);                 /* ties */
	default:
		return now + rnd64() % 100000;                     /* ns apart */
	}
}

static int cmp_expiry_seq(const void *a, const void *b)
{
	const struct rec_timer *x = &timers[*(const int *)a];
	const struct rec_timer *y = &timers[*(const int *)b];

	if (x->t.expires != y->t.expires)
		return x->t.expires < y->t.expires ? -1 : 1;
	/* Equal expiries run in arming order: timers are armed by id. */
	return x->id < y->id ? -1 : (x->id > y->id);
}

static void check_order(int n)
{
	int *want = malloc(sizeof(int) * (size_t)n), i;

	for (i = 0; i < n; i++)
		want[i] = i;
	qsort(want, (size_t)n, sizeof(int), cmp_expiry_seq);
	assert_int_equal(nfired, n);
	for (i = 0; i < n; i++)
		assert_int_equal(order[i], want[i]);
	free(want);
}

/* All at once: one run_timers to the far end. */
static void test_random_timers_in_order(void **state)
{
	u64 last = 0;
	int i;

	for (i = 0; i < NT; i++) {
		timers[i].id = i;
		timer_setup(&timers[i].t, record_fn, base);
		assert_int_equal(mod_timer(&timers[i].t, random_expiry(0)), 0);
		if (timers[i].t.expires > last)
			last = timers[i].t.expires;
	}
	assert_int_equal(run_timers(base, last), NT);
	check_order(NT);
	assert_int_equal(sl_clock_now(clk), last);
	assert_int_equal(timer_base_next_expiry(base), UINT64_MAX);
	sl_assert_no_leaks();
}

/* The same, advancing the clock in random steps (small and large). */
static void test_random_timers_stepwise(void **state)
{
	u64 now = 0, next;
	int i, ran = 0;

	for (i = 0; i < NT; i++) {
		timers[i].id = i;
		timer_setup(&timers[i].t, record_fn, base);
		mod_timer(&timers[i].t, random_expiry(0));
	}
	while ((next = timer_base_next_expiry(base)) != UINT64_MAX) {
		assert_true(next >= now);
		switch (rnd64() % 3) {
		case 0:
			now = next;                       /* exactly to the next */
			break;
		case 1:
			now += 1 + rnd64() % 5000;        /* a few us */
			break;
		default:
			now += rnd64() % (600 * NSEC_PER_SEC);
		}
		ran += run_timers(base, now);
		assert_int_equal(sl_clock_now(clk), now);
		/* Nothing due is left behind. */
		assert_true(timer_base_next_expiry(base) > now);
	}
	assert_int_equal(ran, NT);
	check_order(NT);
	sl_assert_no_leaks();
}

/* Same expiry: arming order; re-arming moves a timer to the back. */
static void test_ties_in_arming_order(void **state)
{
	int i;

	for (i = 0; i < 10; i++) {
		timers[i].id = i;
		timer_setup(&timers[i].t, record_fn, base);
		mod_timer(&timers[i].t, 5000);
	}
	assert_int_equal(mod_timer(&timers[3].t, 5000), 1);
	assert_int_equal(run_timers(base, 4999), 0);
	assert_int_equal(run_timers(base, 5000), 10);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[3], 4);
	assert_int_equal(order[9], 3);
	sl_assert_no_leaks();
}

static void test_cancel(void **state)
{
	int i;

	for (i = 0; i < 100; i++) {
		timers[i].id = i;
		timer_setup(&timers[i].t, record_fn, base);
		mod_timer(&timers[i].t, (u64)(i + 1) * NSEC_PER_SEC * 100);
	}
	for (i = 1; i < 100; i += 2) {
		assert_true(timer_pending(&timers[i].t));
		assert_int_equal(del_timer(&timers[i].t), 1);
		assert_false(timer_pending(&timers[i].t));
		assert_int_equal(del_timer(&timers[i].t), 0);
	}
	/* Cancelling the earliest updates the next expiry. */
	assert_int_equal(timer_base_next_expiry(base), 100 * NSEC_PER_SEC);
	del_timer(&timers[0].t);
	assert_int_equal(timer_base_next_expiry(base), 300 * NSEC_PER_SEC);
	assert_int_equal(run_timers(base, 100000 * NSEC_PER_SEC), 49);
	for (i = 0; i < 100; i++)
		assert_int_equal(timers[i].fired, i % 2 == 0 && i > 0);
	/* Never-armed and already-run timers: nothing to delete. */
	assert_int_equal(del_timer_sync(&timers[2].t), 0);
	sl_assert_no_leaks();
}

static int periodic_runs;
static void periodic_fn(struct timer_list *t)
{
	periodic_runs++;
	assert_int_equal(sl_clock_now(clk), (u64)periodic_runs * NSEC_PER_MSEC);
	if (periodic_runs < 10)
		mod_timer(t, t->expires + NSEC_PER_MSEC);
}

/* A callback re-arms itself: it runs again within the same run_timers. */
static void test_rearm_from_callback(void **state)
{
	struct timer_list t;

	periodic_runs = 0;
	timer_setup(&t, periodic_fn, base);
	mod_timer(&t, NSEC_PER_MSEC);
	assert_int_equal(run_timers(base, 5 * NSEC_PER_MSEC), 5);
	assert_int_equal(periodic_runs, 5);
	assert_int_equal(run_timers(base, NSEC_PER_SEC), 5);
	assert_int_equal(periodic_runs, 10);
	assert_false(timer_pending(&t));
	sl_assert_no_leaks();
}

static struct timer_list past_timer;
static u64 past_ran_at;
static void past_fn(struct timer_list *t)
{
	past_ran_at = sl_clock_now(clk);
}

static void arm_past_fn(struct timer_list *t)
{
	/* Arm another timer in the past: it still runs in this pass. */
	mod_timer(&past_timer, 10);
}

/* A timer armed in the past runs at once, the clock not going back. */
static void test_callback_arms_past_timer(void **state)
{
	struct timer_list t;

	past_ran_at = 0;
	timer_setup(&past_timer, past_fn, base);
	timer_setup(&t, arm_past_fn, base);
	mod_timer(&t, 1000);
	assert_int_equal(run_timers(base, 5000), 2);
	assert_int_equal(past_ran_at, 1000);
	assert_false(timer_pending(&past_timer));
	sl_assert_no_leaks();
}

/* Far future and near timers together; clock left at now after runs. */
static void test_far_and_near(void **state)
{
	const u64 hour = 3600 * NSEC_PER_SEC;
	int i;

	for (i = 0; i < 4; i++) {
		timers[i].id = i;
		timer_setup(&timers[i].t, record_fn, base);
	}
	mod_timer(&timers[0].t, 5 * hour);
	mod_timer(&timers[1].t, 1000);            /* 1 us */
	mod_timer(&timers[2].t, 5 * hour + 1);    /* 1 ns after the far one */
	mod_timer(&timers[3].t, 2 * hour);
	assert_int_equal(timer_base_next_expiry(base), 1000);
	assert_int_equal(run_timers(base, hour), 1);
	assert_int_equal(sl_clock_now(clk), hour);
	assert_int_equal(timer_base_next_expiry(base), 2 * hour);
	assert_int_equal(run_timers(base, 5 * hour), 2);
	assert_int_equal(timers[0].fired_at, 5 * hour);
	assert_false(timers[2].fired);
	assert_int_equal(run_timers(base, 6 * hour), 1);
	assert_int_equal(timers[2].fired_at, 5 * hour + 1);
	/* After the wheel moved on, 1 us timers are still exact. */
	mod_timer(&timers[1].t, 6 * hour + 1000);
	assert_int_equal(run_timers(base, 7 * hour), 1);
	assert_int_equal(timers[1].fired_at, 6 * hour + 1000);
	sl_assert_no_leaks();
}

static int notified;
static void notify_fn(void *arg)
{
	(*(int *)arg)++;
}

static void test_notify_on_earlier(void **state)
{
	struct timer_list a, b, c;

	timer_base_set_notify(base, notify_fn, &notified);
	notified = 0;
	timer_setup(&a, record_fn, base);
	timer_setup(&b, record_fn, base);
	timer_setup(&c, record_fn, base);
	mod_timer(&a, 1000000);
	assert_int_equal(notified, 1);
	mod_timer(&b, 2000000);   /* later: no notify */
	assert_int_equal(notified, 1);
	mod_timer(&c, 500);       /* earlier */
	assert_int_equal(notified, 2);
	del_timer(&a);
	del_timer(&b);
	del_timer(&c);
	timer_base_set_notify(base, NULL, NULL);
	sl_assert_no_leaks();
}

/* del_timer_sync waits for a callback running on another thread. */
static int cb_entered, cb_release, cb_done;

static void slow_fn(struct timer_list *t)
{
	__atomic_store_n(&cb_entered, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&cb_release, __ATOMIC_SEQ_CST))
		sched_yield();
	__atomic_store_n(&cb_done, 1, __ATOMIC_SEQ_CST);
}

static void *runner(void *arg)
{
	run_timers(base, 1000);
	return NULL;
}

static void *syncer(void *arg)
{
	del_timer_sync(arg);
	/* When del_timer_sync returns the callback must have finished. */
	return (void *)(long)__atomic_load_n(&cb_done, __ATOMIC_SEQ_CST);
}

static void test_del_timer_sync_waits(void **state)
{
	pthread_t r, s;
	struct timer_list t;
	void *done;

	cb_entered = cb_release = cb_done = 0;
	timer_setup(&t, slow_fn, base);
	mod_timer(&t, 1000);
	pthread_create(&r, NULL, runner, NULL);
	while (!__atomic_load_n(&cb_entered, __ATOMIC_SEQ_CST))
		sched_yield();
	pthread_create(&s, NULL, syncer, &t);
	usleep(20000); /* let the syncer block (not asserted on) */
	__atomic_store_n(&cb_release, 1, __ATOMIC_SEQ_CST);
	pthread_join(s, &done);
	pthread_join(r, NULL);
	assert_int_equal((long)done, 1);
	sl_assert_no_leaks();
}

/* sl_clock_realtime: a real clock's readings in CLOCK_REALTIME (what
 * SO_TIMESTAMP reports), a virtual clock's as they are. */
static void test_clock_realtime(void **state)
{
	struct sl_clock *real = sl_clock_create(false);
	struct timespec before, after;
	u64 t, lo, hi;

	(void)state;
	assert_non_null(real);
	clock_gettime(CLOCK_REALTIME, &before);
	t = sl_clock_realtime(real, sl_clock_now(real));
	clock_gettime(CLOCK_REALTIME, &after);
	lo = (u64)before.tv_sec * NSEC_PER_SEC + (u64)before.tv_nsec;
	hi = (u64)after.tv_sec * NSEC_PER_SEC + (u64)after.tv_nsec;
	/* Two clock reads apart: allow a millisecond either side. */
	assert_true(t + NSEC_PER_MSEC >= lo && t <= hi + NSEC_PER_MSEC);
	/* An earlier reading maps to an earlier wall time, 1:1. */
	assert_true(t - sl_clock_realtime(real, sl_clock_now(real) - NSEC_PER_SEC) <
		    NSEC_PER_SEC + NSEC_PER_MSEC);
	sl_clock_put(real);
	sl_clock_set(clk, 5 * NSEC_PER_SEC);
	assert_int_equal(sl_clock_realtime(clk, sl_clock_now(clk)), 5 * NSEC_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_timers_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_timers_stepwise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ties_in_arming_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_from_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_arms_past_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_far_and_near, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notify_on_earlier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_del_timer_sync_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_realtime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
