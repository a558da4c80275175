/*
 * What the process does to sockline behind its back: signal handlers that
 * run in a thread blocked in a sockline call, and fork (src/core/signal.c
 * and the *_atfork_child functions of each layer).
 *
 * Signals. Linux's blocked socket calls sleep interruptibly: a signal makes
 * signal_pending() true, the wait loop notices, and the call returns
 * sock_intr_errno(timeo): -ERESTARTSYS when the socket has no timeout
 * (restarted if the handler has SA_RESTART, else -EINTR), -EINTR when it
 * has one; poll and epoll_wait always give -EINTR. Ours: the preload
 * shim's handler trampoline calls sl_signal_delivered(restart), which marks
 * the signal pending in its thread, but only while a sockline call that
 * may block runs there (a handler between calls must not interrupt the
 * next one), and wakes the waiter that thread sleeps on.
 *
 *	sys.c:   signal_call_begin(); ret = __sys_recvfrom(...);
 *	         ret = signal_call_end(ret);   -ERESTARTSYS: call again
 *	waits:   signal_wait_begin(&waiter) ... if (signal_pending()) stop ...
 *	         signal_wait_end()
 *
 * The socket waits (sk_wait_event) stop the way a timeout stops them, and
 * record sock_intr_errno (signal_interrupted): the protocol then returns
 * what a timeout gives (-EAGAIN, -EINPROGRESS or -EALREADY for connect,
 * or the bytes already moved), and signal_call_end turns a "timed out"
 * into the recorded error. Bytes already moved stay a count, as Linux's.
 */
#ifndef SL_SIGNAL_H
#define SL_SIGNAL_H

#include "sl/types.h"
#include "sl/wait.h"

struct net;

/* Linux's restart code (include/linux/errno.h): never seen by callers. */
#ifndef ERESTARTSYS
#define ERESTARTSYS 512
#endif

/* A sockline call that may block starts / ends in this thread. The end
 * maps a wait cut short by a signal: returns @ret, -EINTR or -ERESTARTSYS
 * (issue the call again). */
void signal_call_begin(void);
long signal_call_end(long ret);
/* Did a signal handler run in this thread during the current call? */
bool signal_pending(void);
/* Linux's sock_intr_errno: the error of a socket wait with @timeo ns left
 * (INT64_MAX: no timeout) that a signal cut short. */
int sock_intr_errno(s64 timeo);
/* A socket wait stops because of a signal, and the call fails with @err
 * unless it moved data. */
void signal_interrupted(int err);
/* The thread sleeps on @w until signal_wait_end: a handler wakes it. */
void signal_wait_begin(struct sl_waiter *w);
void signal_wait_end(void);

/*
 * fork(2) child (sl_atfork_child): each layer forgets what it had. Only
 * the forking thread survives; every lock another thread may have held is
 * made anew and the memory behind it abandoned, and the child's copies of
 * kernel descriptors that belong to the parent's stacks are closed with
 * raw system calls (the preload shim interposes close()).
 */
void signal_atfork_child(void);
/* src/core/net_namespace.c: every stack forgotten (their host links'
 * descriptors closed), an empty stack list. */
void net_atfork_child(void);
/* src/drivers/hostlink.c: close the child's copies of @net's link and
 * eventfd descriptors. */
void hostlink_atfork_child(struct net *net);

#endif
