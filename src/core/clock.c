/*
 * Clocks (struct sl_clock): what every stack reads time from.
 *
 * A real clock reads CLOCK_MONOTONIC minus the instant it was created, so
 * every clock starts at 0 ns. A virtual clock is a u64 that only the
 * caller moves (sl_clock_set, and sl_clock_advance in net_namespace.c,
 * which also runs the timers on the way); it never moves backwards, so
 * readers on other threads see a monotonic time too.
 *
 * Clocks are reference counted: the creator holds one reference and each
 * stack or timer base that uses the clock holds another.
 */
#include <stdlib.h>
#include <time.h>

#include "sl/timer.h"
#include "sockline/sockline.h"

static u64 monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/*
 * Create a clock with one reference. Virtual clocks start at 0 and move
 * only with sl_clock_set; real clocks start at 0 and follow
 * CLOCK_MONOTONIC. Returns NULL when out of memory.
 */
struct sl_clock *sl_clock_create(bool is_virtual)
{
	struct sl_clock *clk = calloc(1, sizeof(*clk));

	if (!clk)
		return NULL;
	clk->is_virtual = is_virtual;
	clk->epoch = is_virtual ? 0 : monotonic_ns();
	clk->refcnt = 1;
	return clk;
}

/* Take a reference to @clk; returns @clk. */
struct sl_clock *sl_clock_get(struct sl_clock *clk)
{
	__atomic_fetch_add(&clk->refcnt, 1, __ATOMIC_RELAXED);
	return clk;
}

/* Drop a reference; the last one frees the clock. NULL is a no-op. */
void sl_clock_put(struct sl_clock *clk)
{
	if (!clk)
		return;
	if (__atomic_sub_fetch(&clk->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		free(clk);
}

/* Nanoseconds since the clock was created (virtual: as last set). */
u64 sl_clock_now(const struct sl_clock *clk)
{
	if (clk->is_virtual)
		return __atomic_load_n(&clk->now, __ATOMIC_ACQUIRE);
	return monotonic_ns() - clk->epoch;
}

/*
 * @t (a reading of @clk) as CLOCK_REALTIME ns, for what Linux reports in
 * wall-clock time (SO_TIMESTAMP cmsgs: ping computes each reply's RTT
 * from its receive stamp and its send time, and warns "time of day goes
 * back" at a stamp from 1970). The offset is read now, so a wall clock
 * stepped since @t moves the stamp with it, as Linux's ktime_get_real
 * stamps would not; that only matters across a step. Virtual clocks have
 * no wall time: their readings are returned as they are.
 */
u64 sl_clock_realtime(const struct sl_clock *clk, u64 t)
{
	struct timespec rt;

	if (clk->is_virtual)
		return t;
	clock_gettime(CLOCK_REALTIME, &rt);
	return t + clk->epoch + ((u64)rt.tv_sec * NSEC_PER_SEC +
				 (u64)rt.tv_nsec - monotonic_ns());
}

/*
 * Move a virtual clock forward to @t. A @t in the past is ignored (the
 * clock never goes back, even with several threads setting it). Real
 * clocks cannot be set.
 */
void sl_clock_set(struct sl_clock *clk, u64 t)
{
	u64 cur;

	SL_BUG_ON(!clk->is_virtual, "sl_clock_set on a real clock");
	cur = __atomic_load_n(&clk->now, __ATOMIC_RELAXED);
	while (cur < t &&
	       !__atomic_compare_exchange_n(&clk->now, &cur, t, true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
}

/* Public API (sockline.h): a new clock owned by the caller. */
SL_EXPORT sl_clock_t *sl_clock_new(bool is_virtual)
{
	return sl_clock_create(is_virtual);
}

/* Public API: drop the caller's reference (stacks keep their own). */
SL_EXPORT void sl_clock_free(sl_clock_t *clk)
{
	sl_clock_put(clk);
}

/* Public API: nanoseconds since the clock's creation. */
SL_EXPORT uint64_t sl_clock_now_ns(const sl_clock_t *clk)
{
	return sl_clock_now(clk);
}
