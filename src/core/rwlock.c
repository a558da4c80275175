/*
 * The contended paths of rwlock_t (see sl/rwlock.h). Critical sections are
 * short, so waiters spin a little and then yield the CPU rather than
 * sleep: a futex would put a sleeping-thread handshake on every unlock.
 */
#include "sl/rwlock.h"

#include "core_priv.h"

/* A writer holds the lock: take our count back, wait, try again. */
void __read_lock_slow(rwlock_t *l)
{
	unsigned int spins = 0;

	do {
		__atomic_fetch_sub(&l->cnt, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(&l->cnt, __ATOMIC_RELAXED) & RW_WRITER)
			cpu_relax_or_yield(&spins);
	} while (__atomic_fetch_add(&l->cnt, 1, __ATOMIC_ACQUIRE) & RW_WRITER);
}

/* Readers or another writer hold it: wait for a moment with neither. */
void __write_lock_slow(rwlock_t *l)
{
	unsigned int spins = 0;
	u32 c;

	for (;;) {
		c = 0;
		if (__atomic_load_n(&l->cnt, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&l->cnt, &c, RW_WRITER, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		cpu_relax_or_yield(&spins);
	}
}
