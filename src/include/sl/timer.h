/*
 * Clocks and timers.
 *
 * Every stack reads time from a struct sl_clock: either real (CLOCK_MONOTONIC)
 * or virtual (moved only by the caller, for deterministic tests). Stacks
 * that share a clock form a group that can be driven together (see
 * net_poll_group in sl/net_namespace.h).
 *
 * Timers live on a per-stack hierarchical timer wheel (struct timer_base):
 * mod_timer and del_timer are O(1), and expired timers run in expiry order,
 * each with the clock reading its own expiry instant when the clock is
 * virtual (run_timers advances a virtual clock timer by timer). Timer
 * callbacks run in the stack's softirq context (its thread, or the caller of
 * net_poll), never concurrently with each other on one stack.
 */
#ifndef SL_TIMER_H
#define SL_TIMER_H

#include <pthread.h>

#include "sl/list.h"
#include "sl/types.h"

struct sl_clock {
	bool is_virtual;
	u64 now;          /* atomic; virtual clocks only */
	u64 epoch;        /* real clocks: CLOCK_MONOTONIC at creation */
	u32 refcnt;       /* atomic */
};

struct sl_clock *sl_clock_create(bool is_virtual);
struct sl_clock *sl_clock_get(struct sl_clock *clk);
void sl_clock_put(struct sl_clock *clk);
/* Nanoseconds since the clock was created. */
u64 sl_clock_now(const struct sl_clock *clk);
/* A reading of @clk as CLOCK_REALTIME ns (virtual clocks: as it is). */
u64 sl_clock_realtime(const struct sl_clock *clk, u64 t);
/* Virtual clocks: move forward to @t (never backward). */
void sl_clock_set(struct sl_clock *clk, u64 t);

struct timer_base;

/* 40 bytes: it is embedded in every socket (issue 3). */
struct timer_list {
	struct list_head entry;  /* in a wheel slot while pending, else NULL */
	u64 expires;             /* ns on the stack's clock */
	void (*function)(struct timer_list *t);
	struct timer_base *base;
};

struct timer_base;
struct timer_base *timer_base_create(struct sl_clock *clk);
/* Every pending timer must be deleted first (SL_BUG_ON otherwise). */
void timer_base_destroy(struct timer_base *base);

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *),
		 struct timer_base *base);
/*
 * Arm (or re-arm) @t to fire at absolute time @expires. Returns 1 when the
 * timer was pending before, 0 otherwise. Safe from any thread.
 */
int mod_timer(struct timer_list *t, u64 expires);
/* Disarm; returns 1 when it was pending. Safe from any thread. */
int del_timer(struct timer_list *t);
/* del_timer that also waits until a running callback of @t has returned. */
int del_timer_sync(struct timer_list *t);
bool timer_pending(const struct timer_list *t);

/*
 * Run every timer whose expiry is <= @now, in expiry order. With a virtual
 * clock, the clock reads each timer's own expiry while it runs. Returns the
 * number of callbacks run.
 */
int run_timers(struct timer_base *base, u64 now);
/* Earliest pending expiry, or UINT64_MAX when none is pending. */
u64 timer_base_next_hint(struct timer_base *base);
u64 timer_base_next_expiry(struct timer_base *base);
/*
 * (core, added) Call @fn(@arg) whenever mod_timer makes the earliest
 * pending expiry earlier, so a stack thread sleeping until the old
 * earliest can be kicked (net_softirq_kick). Called without the base lock.
 */
void timer_base_set_notify(struct timer_base *base, void (*fn)(void *arg),
			   void *arg);

#define from_timer(var, callback_timer, timer_fieldname) \
	container_of(callback_timer, typeof(*var), timer_fieldname)

#endif
