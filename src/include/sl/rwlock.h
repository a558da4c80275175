/*
 * rwlock_t: a 4-byte reader-writer lock for read-mostly tables on the data
 * path (fd table, routes, neighbours, socket hash chains, stack list).
 *
 * Linux reads these tables under RCU and pays nothing on the read side; a
 * glibc rwlock_t costs ~80 instructions and two atomics per read
 * and is 56 bytes per hash bucket. Ours is one word: the reader count, or
 * RW_WRITER while a writer holds it. A reader adds one; if a writer holds
 * the lock it takes its count back and waits. A writer swaps 0 for
 * RW_WRITER, so it waits for a moment with no reader. Readers have
 * priority (as glibc's default), so a thread may take the read side again
 * while it holds it; writers (configuration, socket hashing) are brief and
 * rare and simply yield until the readers are gone.
 *
 * rwlock_unlock releases either side: while a reader holds the lock
 * RW_WRITER cannot be set, and while the writer holds it, it is.
 */
#ifndef SL_RWLOCK_H
#define SL_RWLOCK_H

#include "sl/types.h"

typedef struct {
	u32 cnt;                 /* readers, or RW_WRITER (+ readers backing off) */
} rwlock_t;

#define RW_WRITER 0x80000000u
#define RWLOCK_UNLOCKED { 0 }

static inline void rwlock_init(rwlock_t *l)
{
	l->cnt = 0;
}

static inline void rwlock_destroy(rwlock_t *l)
{
	(void)l;
}

/* Contended paths (src/core/rwlock.c). */
void __read_lock_slow(rwlock_t *l);
void __write_lock_slow(rwlock_t *l);

static inline void read_lock(rwlock_t *l)
{
	if (likely(!(__atomic_fetch_add(&l->cnt, 1, __ATOMIC_ACQUIRE) & RW_WRITER)))
		return;
	__read_lock_slow(l);
}

static inline void write_lock(rwlock_t *l)
{
	u32 c = 0;

	if (likely(__atomic_compare_exchange_n(&l->cnt, &c, RW_WRITER, false,
					       __ATOMIC_ACQUIRE,
					       __ATOMIC_RELAXED)))
		return;
	__write_lock_slow(l);
}

static inline void rwlock_unlock(rwlock_t *l)
{
	if (__atomic_load_n(&l->cnt, __ATOMIC_RELAXED) & RW_WRITER)
		__atomic_fetch_and(&l->cnt, ~RW_WRITER, __ATOMIC_RELEASE);
	else
		__atomic_fetch_sub(&l->cnt, 1, __ATOMIC_RELEASE);
}

#endif
