/*
 * Per-stack timers: a hierarchical timer wheel with exact expiry.
 *
 * Time is in ns on the stack's clock. The wheel has LVL_DEPTH levels of 64
 * slots; base->clk is the wheel's position. A timer's key is its expiry
 * (or clk, if it expires in the past) and it sits at the level of the
 * highest 6-bit digit in which key and clk differ, in the slot given by
 * that digit of the key. So level L holds timers that are all later than
 * every timer of levels below L, and within a level a lower slot is
 * earlier: the earliest timer is in the first set slot of the lowest
 * non-empty level (a bitmap per level finds it with one ctz).
 *
 * Arming and cancelling are O(1) list operations. A level-0 slot holds
 * timers of one exact nanosecond (plus past-due ones), kept sorted by
 * (expires, arming sequence), so equal expiries run in arming order.
 * When the earliest timers are at a level L > 0, the wheel moves clk to
 * the start of their slot and re-files ("cascades") that one slot into
 * lower levels; each timer cascades at most LVL_DEPTH times in its life.
 * Unlike Linux's current wheel we never round expiries: tests on a
 * virtual clock observe every timer at its own instant.
 *
 * Order of work: mod_timer/del_timer from any thread (under base->lock);
 * run_timers in the stack's softirq: find earliest -> detach -> unlock ->
 * set the virtual clock to its expiry -> callback -> relock.
 */
#include <errno.h>
#include <stdlib.h>

#include "sl/timer.h"

#define LVL_BITS 6
#define LVL_SIZE (1 << LVL_BITS)
#define LVL_MASK (LVL_SIZE - 1)
#define LVL_DEPTH 11 /* 66 bits >= 64-bit ns */

#define TIMER_PENDING (1u << 31)
#define TIMER_IDX_MASK 0x3ffu

struct timer_base {
	pthread_mutex_t lock;
	pthread_cond_t sync_cond;      /* del_timer_sync waits here */
	struct sl_clock *clock;
	u64 clk;                       /* wheel position, see the file head */
	u64 seq;                       /* arming sequence */
	long pending;                  /* timers in the wheel */
	bool next_valid;               /* next_cached is the earliest expiry */
	u64 next_cached;
	struct timer_list *running;    /* callback in progress, if any */
	pthread_t running_thread;
	void (*notify)(void *arg);
	void *notify_arg;
	u64 pending_map[LVL_DEPTH];    /* bit s: slot s of the level in use */
	struct list_head vectors[LVL_DEPTH * LVL_SIZE];
};

/* Create a wheel reading @clk (a reference is taken). NULL on ENOMEM. */
struct timer_base *timer_base_create(struct sl_clock *clk)
{
	struct timer_base *base = calloc(1, sizeof(*base));
	pthread_condattr_t attr;
	int i;

	if (!base)
		return NULL;
	pthread_mutex_init(&base->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&base->sync_cond, &attr);
	pthread_condattr_destroy(&attr);
	base->clock = sl_clock_get(clk);
	base->clk = sl_clock_now(clk);
	for (i = 0; i < LVL_DEPTH * LVL_SIZE; i++)
		INIT_LIST_HEAD(&base->vectors[i]);
	return base;
}

/* Free the wheel; every timer must have been deleted before. */
void timer_base_destroy(struct timer_base *base)
{
	if (!base)
		return;
	pthread_mutex_lock(&base->lock);
	SL_BUG_ON(base->pending != 0, "timer_base_destroy with pending timers");
	SL_BUG_ON(base->running != NULL, "timer_base_destroy while running");
	pthread_mutex_unlock(&base->lock);
	pthread_cond_destroy(&base->sync_cond);
	pthread_mutex_destroy(&base->lock);
	sl_clock_put(base->clock);
	free(base);
}

/* (See timer.h.) */
void timer_base_set_notify(struct timer_base *base, void (*fn)(void *arg),
			   void *arg)
{
	pthread_mutex_lock(&base->lock);
	base->notify = fn;
	base->notify_arg = arg;
	pthread_mutex_unlock(&base->lock);
}

/* Prepare @t to run @fn on @base; it is not pending afterwards. */
void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *),
		 struct timer_base *base)
{
	t->entry.next = NULL;
	t->entry.prev = NULL;
	t->expires = 0;
	t->function = fn;
	t->base = base;
	t->flags = 0;
	t->seq = 0;
}

/* True when @t is armed. Lock-free peek. */
bool timer_pending(const struct timer_list *t)
{
	return READ_ONCE(t->flags) & TIMER_PENDING;
}

static bool timer_before(const struct timer_list *a, const struct timer_list *b)
{
	return a->expires < b->expires ||
	       (a->expires == b->expires && a->seq < b->seq);
}

static unsigned int calc_wheel_index(const struct timer_base *base, u64 expires)
{
	u64 key = expires > base->clk ? expires : base->clk;
	u64 diff = key ^ base->clk;
	unsigned int lvl = diff ? (unsigned int)(63 - __builtin_clzll(diff)) / LVL_BITS : 0;

	return lvl * LVL_SIZE + (unsigned int)((key >> (lvl * LVL_BITS)) & LVL_MASK);
}

/* Level-0 slots stay sorted: walk back from the tail (usually 0 steps). */
static void slot_insert_sorted(struct list_head *slot, struct timer_list *t)
{
	struct list_head *pos = slot->prev;

	while (pos != slot &&
	       timer_before(t, list_entry(pos, struct timer_list, entry)))
		pos = pos->prev;
	__list_add(&t->entry, pos, pos->next);
}

static void enqueue_timer(struct timer_base *base, struct timer_list *t)
{
	unsigned int idx = calc_wheel_index(base, t->expires);
	struct list_head *slot = &base->vectors[idx];

	if (idx < LVL_SIZE)
		slot_insert_sorted(slot, t);
	else
		list_add_tail(&t->entry, slot);
	base->pending_map[idx / LVL_SIZE] |= 1ULL << (idx % LVL_SIZE);
	WRITE_ONCE(t->flags, TIMER_PENDING | idx);
}

static void detach_timer(struct timer_base *base, struct timer_list *t)
{
	unsigned int idx = t->flags & TIMER_IDX_MASK;

	list_del(&t->entry);
	if (list_empty(&base->vectors[idx]))
		base->pending_map[idx / LVL_SIZE] &= ~(1ULL << (idx % LVL_SIZE));
	WRITE_ONCE(t->flags, 0);
	base->pending--;
	if (base->next_valid && t->expires == base->next_cached)
		base->next_valid = false;
}

/* Move clk to the start of slot @slot of level @lvl and re-file the slot. */
static void cascade(struct timer_base *base, unsigned int lvl,
		    unsigned int slot)
{
	unsigned int shift = lvl * LVL_BITS;
	u64 high = shift + LVL_BITS >= 64 ? 0 : ~((1ULL << (shift + LVL_BITS)) - 1);
	struct list_head *head = &base->vectors[lvl * LVL_SIZE + slot];
	LIST_HEAD(moving);

	base->clk = (base->clk & high) | ((u64)slot << shift);
	if (!list_empty(head)) {
		/* Take the whole ring over: moving replaces head in it. */
		__list_add(&moving, head->prev, head->next);
		INIT_LIST_HEAD(head);
	}
	base->pending_map[lvl] &= ~(1ULL << slot);
	while (!list_empty(&moving)) {
		struct timer_list *t =
			list_first_entry(&moving, struct timer_list, entry);

		list_del(&t->entry);
		enqueue_timer(base, t);
	}
}

/* The earliest pending timer, cascading until it sits at level 0. */
static struct timer_list *__next_timer(struct timer_base *base)
{
	for (;;) {
		unsigned int lvl, slot;

		for (lvl = 0; lvl < LVL_DEPTH && !base->pending_map[lvl]; lvl++)
			;
		if (lvl == LVL_DEPTH)
			return NULL;
		slot = (unsigned int)__builtin_ctzll(base->pending_map[lvl]);
		if (lvl == 0)
			return list_first_entry(&base->vectors[slot],
						struct timer_list, entry);
		cascade(base, lvl, slot);
	}
}

static u64 __next_expiry(struct timer_base *base)
{
	struct timer_list *t;

	if (!base->next_valid) {
		t = __next_timer(base);
		base->next_cached = t ? t->expires : UINT64_MAX;
		base->next_valid = true;
	}
	return base->next_cached;
}

/*
 * Arm @t for absolute time @expires (re-arming moves it). Returns 1 when
 * it was pending before. Calls the base's notify hook (unlocked) when the
 * earliest expiry became earlier. Any thread.
 */
int mod_timer(struct timer_list *t, u64 expires)
{
	struct timer_base *base = t->base;
	void (*notify)(void *) = NULL;
	void *arg = NULL;
	int was_pending = 0;
	u64 earliest;

	SL_BUG_ON(!base || !t->function, "mod_timer on a timer not set up");
	pthread_mutex_lock(&base->lock);
	if (t->flags & TIMER_PENDING) {
		detach_timer(base, t);
		was_pending = 1;
	}
	earliest = __next_expiry(base);
	t->expires = expires;
	t->seq = ++base->seq;
	enqueue_timer(base, t);
	base->pending++;
	if (expires < earliest) {
		base->next_cached = expires;
		notify = base->notify;
		arg = base->notify_arg;
	}
	pthread_mutex_unlock(&base->lock);
	if (notify)
		notify(arg);
	return was_pending;
}

/* Disarm @t. Returns 1 when it was pending. A running callback goes on. */
int del_timer(struct timer_list *t)
{
	struct timer_base *base = t->base;
	int ret = 0;

	if (!base)
		return 0;
	pthread_mutex_lock(&base->lock);
	if (t->flags & TIMER_PENDING) {
		detach_timer(base, t);
		ret = 1;
	}
	pthread_mutex_unlock(&base->lock);
	return ret;
}

/*
 * Disarm @t and wait until its callback, if running on another thread, has
 * returned (re-disarming if the callback re-armed it). From inside its own
 * callback it does not wait. Returns 1 when it was pending.
 */
int del_timer_sync(struct timer_list *t)
{
	struct timer_base *base = t->base;
	int ret = 0;

	if (!base)
		return 0;
	pthread_mutex_lock(&base->lock);
	for (;;) {
		if (t->flags & TIMER_PENDING) {
			detach_timer(base, t);
			ret = 1;
		}
		if (base->running != t ||
		    pthread_equal(base->running_thread, pthread_self()))
			break;
		pthread_cond_wait(&base->sync_cond, &base->lock);
	}
	pthread_mutex_unlock(&base->lock);
	return ret;
}

/* Earliest pending expiry (ns), UINT64_MAX when nothing is pending. */
u64 timer_base_next_expiry(struct timer_base *base)
{
	u64 next;

	pthread_mutex_lock(&base->lock);
	next = __next_expiry(base);
	pthread_mutex_unlock(&base->lock);
	return next;
}

static void call_timer_fn(struct timer_base *base, struct timer_list *t)
{
	base->running = t;
	base->running_thread = pthread_self();
	pthread_mutex_unlock(&base->lock);

	/* A virtual clock reads the timer's own expiry while it runs (never
	 * backwards: a past-due timer runs at the current instant). */
	if (base->clock->is_virtual)
		sl_clock_set(base->clock, t->expires);
	t->function(t);

	pthread_mutex_lock(&base->lock);
	base->running = NULL;
	pthread_cond_broadcast(&base->sync_cond);
}

/*
 * Run every timer with expires <= @now in (expiry, arming) order, without
 * the base lock held during callbacks (they may arm or cancel timers,
 * including themselves). With a virtual clock, the clock is at @now
 * afterwards. Returns the number of callbacks run. Softirq context: one
 * caller at a time per base.
 */
int run_timers(struct timer_base *base, u64 now)
{
	struct timer_list *t;
	int n = 0;

	pthread_mutex_lock(&base->lock);
	while ((t = __next_timer(base)) && t->expires <= now) {
		detach_timer(base, t);
		call_timer_fn(base, t);
		n++;
	}
	/* Nothing pending expires at or before now: the wheel may move. */
	if (base->clk < now)
		base->clk = now;
	pthread_mutex_unlock(&base->lock);
	if (base->clock->is_virtual)
		sl_clock_set(base->clock, now);
	return n;
}
