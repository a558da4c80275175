/*
 * Signals delivered to a thread blocked in a sockline call (see
 * sl/signal.h for the whole picture).
 *
 * Order of things in one blocked call:
 *   signal_call_begin   the call may block: handlers from now on count
 *   signal_wait_begin   the thread is about to sleep on a waiter
 *   sl_signal_delivered (the shim's handler) pending + wake the waiter
 *   signal_pending      the wait loop looks, and stops
 *   signal_interrupted  a socket wait records -EINTR / -ERESTARTSYS
 *   signal_wait_end
 *   signal_call_end     "timed out" becomes the recorded error
 *
 * Everything is per thread and touched by a handler of that same thread,
 * which interrupts it at any instruction: the fields are read and written
 * with atomic operations so that neither side keeps a stale copy, and the
 * handler only sets bits, reads a pointer and wakes (atomics and system
 * calls): it is async-signal-safe. initial-exec TLS: a handler never makes
 * the dynamic linker allocate.
 */
#include <errno.h>
#include <stdint.h>

#include "sockline/socket.h"
#include "sl/signal.h"

enum {
	SIGSTATE_PENDING = 1,    /* a handler ran during the current call */
	SIGSTATE_NORESTART = 2,  /* ... and one of them lacks SA_RESTART */
};

struct signal_state {
	int depth;                 /* blocking sockline calls in progress */
	unsigned int pending;      /* SIGSTATE_* */
	int intr;                  /* recorded by a socket wait, or 0 */
	struct sl_waiter *waiter;  /* the sleep in progress, or NULL */
};

static __thread struct signal_state sigstate
	__attribute__((tls_model("initial-exec")));

SL_EXPORT void sl_signal_delivered(bool restart)
{
	struct signal_state *st = &sigstate;
	int saved_errno = errno;  /* a handler must leave errno alone */
	struct sl_waiter *w;

	if (!__atomic_load_n(&st->depth, __ATOMIC_RELAXED))
		return;
	__atomic_fetch_or(&st->pending,
			  SIGSTATE_PENDING | (restart ? 0 : SIGSTATE_NORESTART),
			  __ATOMIC_RELAXED);
	w = __atomic_load_n(&st->waiter, __ATOMIC_RELAXED);
	if (w)
		sl_waiter_wake(w);
	errno = saved_errno;
}

void signal_call_begin(void)
{
	struct signal_state *st = &sigstate;

	if (__atomic_fetch_add(&st->depth, 1, __ATOMIC_RELAXED) == 0) {
		__atomic_store_n(&st->pending, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&st->intr, 0, __ATOMIC_RELAXED);
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* What a wait that a signal stopped makes the protocols return. */
static bool signal_timed_out(long ret)
{
	return ret == -EAGAIN || ret == -EINPROGRESS || ret == -EALREADY;
}

long signal_call_end(long ret)
{
	struct signal_state *st = &sigstate;
	int intr = __atomic_load_n(&st->intr, __ATOMIC_RELAXED);

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__atomic_sub_fetch(&st->depth, 1, __ATOMIC_RELAXED) == 0) {
		__atomic_store_n(&st->pending, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&st->intr, 0, __ATOMIC_RELAXED);
	}
	if (intr && signal_timed_out(ret))
		return intr;
	return ret;
}

bool signal_pending(void)
{
	return __atomic_load_n(&sigstate.pending, __ATOMIC_RELAXED) != 0;
}

int sock_intr_errno(s64 timeo)
{
	unsigned int p = __atomic_load_n(&sigstate.pending, __ATOMIC_RELAXED);

	if (timeo == INT64_MAX && !(p & SIGSTATE_NORESTART))
		return -ERESTARTSYS;
	return -EINTR;
}

void signal_interrupted(int err)
{
	/* The first error stays: a later wait of the call saw the same
	 * signal, with less time left. */
	if (!__atomic_load_n(&sigstate.intr, __ATOMIC_RELAXED))
		__atomic_store_n(&sigstate.intr, err, __ATOMIC_RELAXED);
}

void signal_wait_begin(struct sl_waiter *w)
{
	__atomic_store_n(&sigstate.waiter, w, __ATOMIC_RELAXED);
	/* Published before the caller looks at signal_pending(). */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void signal_wait_end(void)
{
	__atomic_store_n(&sigstate.waiter, NULL, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* fork child: the forking thread was in fork(), not in a sockline call. */
void signal_atfork_child(void)
{
	struct signal_state *st = &sigstate;

	st->depth = 0;
	st->pending = 0;
	st->intr = 0;
	st->waiter = NULL;
}
