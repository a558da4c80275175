/*
 * Signal handlers and sockline's EINTR.
 *
 * A thread blocked in a kernel call learns of a handled signal from the
 * kernel; one blocked in sockline does not. So every handler the program
 * installs runs behind a trampoline that first tells sockline
 * (sl_signal_delivered, with the handler's SA_RESTART): the call blocked
 * in that thread then returns EINTR, or goes on as Linux would restart it.
 *
 * sigaction(2) keeps the program's view: the kernel holds the trampoline
 * (always SA_SIGINFO, the program's other flags and mask), the shim the
 * program's action, which queries return. SIG_IGN and SIG_DFL go to the
 * kernel as they are. signal() keeps glibc's BSD semantics (SA_RESTART),
 * sysv_signal SysV's (one shot, no mask).
 */
#include <errno.h>
#include <string.h>

#include "preload.h"

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

__thread unsigned int preload_in_handler __attribute__((tls_model("initial-exec")));

/* The program's actions of the signals whose handler is a trampoline. */
static struct sigaction app_action[_NSIG];
static bool app_hooked[_NSIG];

static void trampoline(int sig, siginfo_t *info, void *uc)
{
	struct sigaction act = app_action[sig];
	unsigned int depth = preload_depth;

	/* The kernel already reset a one-shot handler to SIG_DFL. */
	if (act.sa_flags & SA_RESETHAND) {
		app_hooked[sig] = false;
		app_action[sig].sa_handler = SIG_DFL;
	}
	if (__atomic_load_n(&preload_fds_live, __ATOMIC_RELAXED))
		sl_signal_delivered(act.sa_flags & SA_RESTART);
	/* The handler is the program's: its calls are the program's too. */
	preload_depth = 0;
	preload_in_handler++;
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, info, uc);
	else if (act.sa_handler != SIG_IGN && act.sa_handler != SIG_DFL)
		act.sa_handler(sig);
	preload_in_handler--;
	preload_depth = depth;
}

static bool is_handler(const struct sigaction *act)
{
	if (act->sa_flags & SA_SIGINFO)
		return act->sa_sigaction != NULL;
	return act->sa_handler != SIG_IGN && act->sa_handler != SIG_DFL;
}

PRELOAD_EXPORT int sigaction(int sig, const struct sigaction *act,
			     struct sigaction *old)
{
	struct sigaction k, kold, prev;
	bool hooked, want;
	int r;

	if (sig <= 0 || sig >= _NSIG || sig == SIGKILL || sig == SIGSTOP)
		return REAL(sigaction)(sig, act, old);
	prev = app_action[sig];
	hooked = app_hooked[sig];
	want = act && is_handler(act);
	if (want) {
		k = *act;
		k.sa_flags = (act->sa_flags | SA_SIGINFO) & ~SA_RESTORER;
		k.sa_sigaction = trampoline;
		/* The program's action first: a signal may come at once. */
		app_action[sig] = *act;
		app_hooked[sig] = true;
		r = REAL(sigaction)(sig, &k, &kold);
		if (r) {
			app_action[sig] = prev;
			app_hooked[sig] = hooked;
		}
	} else {
		r = REAL(sigaction)(sig, act, &kold);
		if (!r && act)
			app_hooked[sig] = false;
	}
	if (!r && old) {
		/* The kernel's view unless it still holds our trampoline. */
		if (hooked && (kold.sa_flags & SA_SIGINFO) &&
		    kold.sa_sigaction == trampoline)
			*old = prev;
		else
			*old = kold;
	}
	return r;
}

static __sighandler_t set_handler(int sig, __sighandler_t h, int flags)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = h;
	act.sa_flags = flags;
	sigemptyset(&act.sa_mask);
	if (!(flags & SA_NODEFER))
		sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

PRELOAD_EXPORT __sighandler_t signal(int sig, __sighandler_t h)
{
	if (h == SIG_ERR || sig <= 0 || sig >= _NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	return set_handler(sig, h, SA_RESTART);
}

PRELOAD_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t h)
{
	return signal(sig, h);
}

PRELOAD_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t h)
{
	if (h == SIG_ERR || sig <= 0 || sig >= _NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	return set_handler(sig, h, SA_RESETHAND | SA_NODEFER);
}
