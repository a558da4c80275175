/*
 * sl_bug: the target of SL_BUG_ON. A broken invariant in a network stack
 * corrupts memory later and far from the cause, so we print where and why
 * and abort at once (the kernel's BUG()). Library code never calls exit().
 */
#include <stdio.h>
#include <stdlib.h>

#include "sl/types.h"

/*
 * Report a violated invariant (@msg at @file:@line in @func) on stderr and
 * abort the process. Never returns.
 */
void sl_bug(const char *file, int line, const char *func, const char *msg)
{
	fprintf(stderr, "sockline: BUG at %s:%d in %s(): %s\n", file, line,
		func, msg ? msg : "(no message)");
	fflush(stderr);
	abort();
}
