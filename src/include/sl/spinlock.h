/*
 * spinlock_t: a 4-byte lock for short critical sections (wait queues, a
 * file's epoll links), and the futex wait/wake primitives under it.
 *
 * Linux's spinlock_t is 4 bytes and never sleeps; in user space the holder
 * may be descheduled, so ours spins a little and then sleeps on a futex
 * (Drepper's "Futexes Are Tricky", mutex #3: 0 free, 1 held, 2 held with
 * sleepers). The word replaces a 40-byte pthread_mutex_t in every socket,
 * wait queue and file (issue 3: memory per idle connection).
 */
#ifndef SL_SPINLOCK_H
#define SL_SPINLOCK_H

#include "sl/types.h"

typedef struct {
	u32 val;                 /* 0 free, 1 held, 2 held with sleepers */
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED { 0 }

static inline void spin_lock_init(spinlock_t *lock)
{
	lock->val = 0;
}

/* Contended paths (src/core/spinlock.c). */
void __spin_lock_slow(spinlock_t *lock);
void __spin_unlock_wake(spinlock_t *lock);

static inline void spin_lock(spinlock_t *lock)
{
	u32 c = 0;

	if (likely(__atomic_compare_exchange_n(&lock->val, &c, 1, false,
					       __ATOMIC_ACQUIRE,
					       __ATOMIC_RELAXED)))
		return;
	__spin_lock_slow(lock);
}

static inline bool spin_trylock(spinlock_t *lock)
{
	u32 c = 0;

	return __atomic_compare_exchange_n(&lock->val, &c, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(spinlock_t *lock)
{
	if (unlikely(__atomic_exchange_n(&lock->val, 0, __ATOMIC_RELEASE) == 2))
		__spin_unlock_wake(lock);
}

/*
 * Sleep while *@uaddr == @val (returns at once when it differs, or on a
 * spurious wakeup: callers re-check their condition), and wake up to @n
 * threads sleeping on @uaddr. Process-private futexes.
 */
void sl_futex_wait(u32 *uaddr, u32 val);
void sl_futex_wake(u32 *uaddr, int n);

#endif
