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
 * expiry, a new timer after those of equal expiry, so equal expiries run
 * in arming order. A timer is pending while it is on a slot's list
 * (entry.prev set); the slot it leaves is found from its neighbours, so
 * a timer_list needs no state word (40 bytes, one in every socket).
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
#include <sched.h>
#include <stdlib.h>

#include "sl/spinlock.h"
#include "sl/timer.h"

#define LVL_BITS 6
#define LVL_SIZE (1 << LVL_BITS)
#define LVL_MASK (LVL_SIZE - 1)
#define LVL_DEPTH 11 /* 66 bits >= 64-bit ns */


struct timer_base {
	spinlock_t lock;
	struct sl_clock *clock;
	u64 clk;                       /* wheel position, see the file head */
	long pending;                  /* timers in the wheel */
	bool next_valid;               /* next_cached is the earliest expiry */
	u64 next_cached;
	/* No pending timer expires before this (atomic; read unlocked by
	 * run_timers so an idle poll costs no lock). Lowered by mod_timer,
	 * raised only when the earliest expiry is recomputed. */
	u64 next_hint;
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
	int i;

	if (!base)
		return NULL;
	spin_lock_init(&base->lock);
	base->clock = sl_clock_get(clk);
	base->clk = sl_clock_now(clk);
	base->next_valid = true;
	base->next_cached = UINT64_MAX;
	base->next_hint = UINT64_MAX;
	for (i = 0; i < LVL_DEPTH * LVL_SIZE; i++)
		INIT_LIST_HEAD(&base->vectors[i]);
	return base;
}

/* Free the wheel; every timer must have been deleted before. */
void timer_base_destroy(struct timer_base *base)
{
	if (!base)
		return;
	spin_lock(&base->lock);
	SL_BUG_ON(base->pending != 0, "timer_base_destroy with pending timers");
	SL_BUG_ON(base->running != NULL, "timer_base_destroy while running");
	spin_unlock(&base->lock);
	sl_clock_put(base->clock);
	free(base);
}

/* (See timer.h.) */
void timer_base_set_notify(struct timer_base *base, void (*fn)(void *arg),
			   void *arg)
{
	spin_lock(&base->lock);
	base->notify = fn;
	base->notify_arg = arg;
	spin_unlock(&base->lock);
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
}

/* True when @t is armed. Lock-free peek. */
bool timer_pending(const struct timer_list *t)
{
	return READ_ONCE(t->entry.prev) != NULL;
}

/* Strictly earlier: a timer goes after those of equal expiry. */
static bool timer_before(const struct timer_list *a, const struct timer_list *b)
{
	return a->expires < b->expires;
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
}

static void detach_timer(struct timer_base *base, struct timer_list *t)
{
	struct list_head *next = t->entry.next;

	/* The last timer of its slot: both neighbours are the slot head. */
	if (next == t->entry.prev) {
		uintptr_t off = (uintptr_t)next - (uintptr_t)base->vectors;
		unsigned int idx = (unsigned int)(off / sizeof(*next));

		SL_BUG_ON(off >= sizeof(base->vectors), "timer off the wheel");
		base->pending_map[idx / LVL_SIZE] &= ~(1ULL << (idx % LVL_SIZE));
	}
	list_del(&t->entry);
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
		__atomic_store_n(&base->next_hint, base->next_cached,
				 __ATOMIC_RELEASE);
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
	spin_lock(&base->lock);
	if (timer_pending(t)) {
		detach_timer(base, t);
		was_pending = 1;
	}
	earliest = __next_expiry(base);
	t->expires = expires;
	enqueue_timer(base, t);
	base->pending++;
	if (expires < earliest) {
		base->next_cached = expires;
		__atomic_store_n(&base->next_hint, expires, __ATOMIC_RELEASE);
		notify = base->notify;
		arg = base->notify_arg;
	}
	spin_unlock(&base->lock);
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
	spin_lock(&base->lock);
	if (timer_pending(t)) {
		detach_timer(base, t);
		ret = 1;
	}
	spin_unlock(&base->lock);
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
	spin_lock(&base->lock);
	for (;;) {
		if (timer_pending(t)) {
			detach_timer(base, t);
			ret = 1;
		}
		if (base->running != t ||
		    pthread_equal(base->running_thread, pthread_self()))
			break;
		/* Its callback runs on another thread: let it finish. */
		spin_unlock(&base->lock);
		sched_yield();
		spin_lock(&base->lock);
	}
	spin_unlock(&base->lock);
	return ret;
}

/* A lower bound of the earliest expiry, read without the lock. */
u64 timer_base_next_hint(struct timer_base *base)
{
	return __atomic_load_n(&base->next_hint, __ATOMIC_ACQUIRE);
}

/* Earliest pending expiry (ns), UINT64_MAX when nothing is pending. */
u64 timer_base_next_expiry(struct timer_base *base)
{
	u64 next;

	spin_lock(&base->lock);
	next = __next_expiry(base);
	spin_unlock(&base->lock);
	return next;
}

static void call_timer_fn(struct timer_base *base, struct timer_list *t)
{
	base->running = t;
	base->running_thread = pthread_self();
	spin_unlock(&base->lock);

	/* A virtual clock reads the timer's own expiry while it runs (never
	 * backwards: a past-due timer runs at the current instant). */
	if (base->clock->is_virtual)
		sl_clock_set(base->clock, t->expires);
	t->function(t);

	spin_lock(&base->lock);
	base->running = NULL;
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

	if (__atomic_load_n(&base->next_hint, __ATOMIC_ACQUIRE) > now) {
		/* Nothing due: no lock. (A timer armed concurrently for an
		 * earlier time lowers the hint and kicks the softirq.) */
		if (base->clock->is_virtual)
			sl_clock_set(base->clock, now);
		return 0;
	}
	spin_lock(&base->lock);
	while ((t = __next_timer(base)) && t->expires <= now) {
		detach_timer(base, t);
		call_timer_fn(base, t);
		n++;
	}
	/* t is the earliest timer left (or none): remember it unlocked. */
	base->next_cached = t ? t->expires : UINT64_MAX;
	base->next_valid = true;
	__atomic_store_n(&base->next_hint, base->next_cached, __ATOMIC_RELEASE);
	/* Nothing pending expires at or before now: the wheel may move. */
	if (base->clk < now)
		base->clk = now;
	spin_unlock(&base->lock);
	if (base->clock->is_virtual)
		sl_clock_set(base->clock, now);
	return n;
}
