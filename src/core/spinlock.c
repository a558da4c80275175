/*
 * The contended half of spinlock_t (sl/spinlock.h) and the futex calls
 * that lock_sock also sleeps on.
 *
 * Lock: try to swap 0 -> 1 (inline fast path); if that fails, spin a few
 * rounds while the holder is probably running, then mark the word 2
 * ("sleepers") and sleep on it until an unlock finds 2 and wakes one.
 * A woken thread takes the lock with 2, not 1: it cannot know whether
 * others still sleep, and a spare wakeup is harmless while a lost one
 * is not.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core_priv.h"
#include "sl/spinlock.h"

#define SPIN_ROUNDS 64

/* (See sl/spinlock.h.) */
void sl_futex_wait(u32 *uaddr, u32 val)
{
	syscall(SYS_futex, uaddr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

/* (See sl/spinlock.h.) */
void sl_futex_wake(u32 *uaddr, int n)
{
	syscall(SYS_futex, uaddr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/* spin_lock found the word taken: spin, then sleep until it is ours. */
void __spin_lock_slow(spinlock_t *lock)
{
	unsigned int i;
	u32 c;

	for (i = 0; i < SPIN_ROUNDS; i++) {
		c = __atomic_load_n(&lock->val, __ATOMIC_RELAXED);
		if (c == 2)
			break;          /* others already sleep: join them */
		if (c == 0 && spin_trylock(lock))
			return;
		cpu_relax();
	}
	while (__atomic_exchange_n(&lock->val, 2, __ATOMIC_ACQUIRE) != 0)
		sl_futex_wait(&lock->val, 2);
}

/* spin_unlock released a word that had sleepers: wake one of them. */
void __spin_unlock_wake(spinlock_t *lock)
{
	sl_futex_wake(&lock->val, 1);
}
