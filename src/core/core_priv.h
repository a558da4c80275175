/*
 * Helpers private to src/core: a tiny spinlock (the lock words of
 * sk_buff_head and socket_lock_t.slock) and the tracing hooks alloc_skb
 * and the free path call (src/core/trace.c).
 */
#ifndef SL_CORE_PRIV_H
#define SL_CORE_PRIV_H

#include <sched.h>

#include "sl/skbuff.h"

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/*
 * Test-and-test-and-set spinlock on an int word. Holders keep it for a
 * few list operations only; a waiter that spins long yields the CPU (we
 * share cores with application threads, which may be descheduled while
 * holding it).
 */
/*
 * One round of a wait loop on a word another thread will change soon:
 * pause, and every 64th round yield the CPU (the thread we wait for may
 * be descheduled on this very core).
 */
static inline void cpu_relax_or_yield(unsigned int *spins)
{
	if (++*spins < 64) {
		cpu_relax();
		return;
	}
	*spins = 0;
	sched_yield();
}

static inline void sl_spin_lock(int *lock)
{
	unsigned int spins = 0;

	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			cpu_relax_or_yield(&spins);
}

static inline void sl_spin_unlock(int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/* alloc_skb: trace @skb when @net still has trace budget. */
void skb_trace_begin(struct sk_buff *skb, struct net *net);
/* Final free of a traced skb: report it to its origin stack, free it. */
void skb_trace_end(struct sk_buff *skb);

#endif
