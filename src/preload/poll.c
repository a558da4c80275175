/*
 * Waiting on descriptors: poll, ppoll, select, pselect and epoll. A set
 * without a sockline fd is the kernel's business alone. A set with one
 * goes to sl_ppoll_host, which waits for both kinds in one blocked call
 * (the kernel's fds in ppoll, sockline's through a per-thread eventfd its
 * wakeups ring): no busy loop. select and pselect become a pollfd array.
 *
 * epoll instances are the kernel's until a sockline fd joins one: then
 * sl_epoll_adopt makes it a sockline instance that keeps what the kernel
 * already watches, and epoll_ctl and epoll_wait on it go to sockline.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preload.h"

extern void __chk_fail(void) __attribute__((noreturn));

/* glibc declares poll's array write-only (access attribute), so gcc takes
 * our read of the program's events for a read of uninitialised memory. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

/* --- poll ----------------------------------------------------------------- */

static bool pollfds_sl(const struct pollfd *fds, nfds_t n)
{
	nfds_t i;

	if (!__atomic_load_n(&preload_fds_live, __ATOMIC_RELAXED) ||
	    preload_depth)
		return false;
	for (i = 0; i < n; i++)
		if (fdt_get(fds[i].fd))
			return true;
	return false;
}

static int sl_ppoll_common(const char *call, struct pollfd *fds, nfds_t n,
			   const struct timespec *tmo, const sigset_t *mask)
{
	int r = SL_CALL(sl_ppoll_host(fds, n, tmo, mask));

	TRACE(r, "%s(%lu fds, %ld ms)", call, (unsigned long)n,
	      tmo ? (long)(tmo->tv_sec * 1000 + tmo->tv_nsec / 1000000) : -1L);
	return r;
}

static const struct timespec *ms_to_ts(int ms, struct timespec *ts)
{
	if (ms < 0)
		return NULL;
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
	return ts;
}

PRELOAD_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	struct timespec ts;

	if (!pollfds_sl(fds, n))
		return REAL(poll)(fds, n, timeout);
	return sl_ppoll_common("poll", fds, n, ms_to_ts(timeout, &ts), NULL);
}

PRELOAD_EXPORT int ppoll(struct pollfd *fds, nfds_t n,
			 const struct timespec *tmo, const sigset_t *mask)
{
	if (!pollfds_sl(fds, n))
		return REAL(ppoll)(fds, n, tmo, mask);
	return sl_ppoll_common("ppoll", fds, n, tmo, mask);
}

PRELOAD_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout,
			      size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

PRELOAD_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n,
			       const struct timespec *tmo,
			       const sigset_t *mask, size_t fdslen)
{
	if (fdslen / sizeof(*fds) < n)
		__chk_fail();
	return ppoll(fds, n, tmo, mask);
}

/* --- select ---------------------------------------------------------------- */

/* fd_set bits by hand: FD_ISSET's fortified check stops at FD_SETSIZE, and
 * programs pass larger sets for larger nfds. */
#define NBITS (8 * sizeof(unsigned long))

static bool bit_isset(const fd_set *s, int fd)
{
	const unsigned long *w = (const unsigned long *)s;

	return s && (w[fd / NBITS] >> (fd % NBITS)) & 1;
}

static void bit_set(fd_set *s, int fd)
{
	((unsigned long *)s)[fd / NBITS] |= 1UL << (fd % NBITS);
}

static void set_zero(fd_set *s, int nfds)
{
	if (s)
		memset(s, 0, (((size_t)nfds + NBITS - 1) / NBITS) *
			     sizeof(unsigned long));
}

static bool sets_sl(int nfds, const fd_set *r, const fd_set *w,
		    const fd_set *e)
{
	int fd;

	if (!__atomic_load_n(&preload_fds_live, __ATOMIC_RELAXED) ||
	    preload_depth)
		return false;
	for (fd = 0; fd < nfds; fd++)
		if ((bit_isset(r, fd) || bit_isset(w, fd) || bit_isset(e, fd)) &&
		    fdt_get(fd))
			return true;
	return false;
}

/* Linux's select masks (fs/select.c POLLIN_SET ...). */
#define SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX (POLLPRI)

/*
 * select over a pollfd array: one entry per fd in any set. POLLNVAL is
 * select's EBADF. Returns the count of bits set.
 */
static int sl_select_common(const char *call, int nfds, fd_set *r, fd_set *w,
			    fd_set *e, const struct timespec *tmo,
			    const sigset_t *mask)
{
	struct pollfd local[64], *pfd = local;
	int fd, n = 0, i, ret, count = 0;

	for (fd = 0; fd < nfds; fd++)
		if (bit_isset(r, fd) || bit_isset(w, fd) || bit_isset(e, fd))
			n++;
	if (n > (int)(sizeof(local) / sizeof(local[0]))) {
		pfd = calloc((size_t)n, sizeof(*pfd));
		if (!pfd) {
			errno = ENOMEM;
			return -1;
		}
	}
	for (fd = 0, i = 0; fd < nfds; fd++) {
		short ev = (short)((bit_isset(r, fd) ? POLLIN : 0) |
				   (bit_isset(w, fd) ? POLLOUT : 0) |
				   (bit_isset(e, fd) ? POLLPRI : 0));

		if (ev)
			pfd[i++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	ret = SL_CALL(sl_ppoll_host(pfd, (nfds_t)n, tmo, mask));
	for (i = 0; ret >= 0 && i < n; i++) {
		if (pfd[i].revents & POLLNVAL) {
			errno = EBADF;
			ret = -1;
		}
	}
	if (ret >= 0) {
		set_zero(r, nfds);
		set_zero(w, nfds);
		set_zero(e, nfds);
		for (i = 0; i < n; i++) {
			short ev = pfd[i].events, rev = pfd[i].revents;

			if ((ev & POLLIN) && (rev & SEL_IN) && ++count)
				bit_set(r, pfd[i].fd);
			if ((ev & POLLOUT) && (rev & SEL_OUT) && ++count)
				bit_set(w, pfd[i].fd);
			if ((ev & POLLPRI) && (rev & SEL_EX) && ++count)
				bit_set(e, pfd[i].fd);
		}
		ret = count;
	}
	if (pfd != local)
		free(pfd);
	TRACE(ret, "%s(%d)", call, nfds);
	return ret;
}

static void ts_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

PRELOAD_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
			  struct timeval *tv)
{
	struct timespec ts, t0, t1;
	long long left_ns;
	int ret;

	if (nfds < 0 || !sets_sl(nfds, r, w, e))
		return REAL(select)(nfds, r, w, e, tv);
	if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0)) {
		errno = EINVAL;
		return -1;
	}
	if (tv) {
		/* A timeval's microseconds may exceed a second; normalise. */
		ts.tv_sec = tv->tv_sec + tv->tv_usec / 1000000;
		ts.tv_nsec = (tv->tv_usec % 1000000) * 1000L;
		ts_now(&t0);
	}
	ret = sl_select_common("select", nfds, r, w, e, tv ? &ts : NULL, NULL);
	if (tv) {
		/* Linux writes back the time left (also on EINTR). */
		ts_now(&t1);
		left_ns = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec -
			  ((long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
			   (t1.tv_nsec - t0.tv_nsec));
		if (left_ns < 0 || ret == 0)
			left_ns = 0;
		tv->tv_sec = (time_t)(left_ns / 1000000000LL);
		tv->tv_usec = (suseconds_t)((left_ns % 1000000000LL) / 1000);
	}
	return ret;
}

PRELOAD_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
			   const struct timespec *tmo, const sigset_t *mask)
{
	if (nfds < 0 || !sets_sl(nfds, r, w, e))
		return REAL(pselect)(nfds, r, w, e, tmo, mask);
	return sl_select_common("pselect", nfds, r, w, e, tmo, mask);
}

/* --- epoll ---------------------------------------------------------------------- */

/* New instances are the kernel's (adopted when a sockline fd joins). */
PRELOAD_EXPORT int epoll_create(int size)
{
	return REAL(epoll_create)(size);
}

PRELOAD_EXPORT int epoll_create1(int flags)
{
	return REAL(epoll_create1)(flags);
}

PRELOAD_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	unsigned int pep = preload_fd(epfd), pfd = preload_fd(fd);
	int r;

	if (!pep && !pfd)
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	if (!pep) {
		/* A sockline fd joins a kernel instance: sockline's from now. */
		r = SL_CALL(sl_epoll_adopt(epfd));
		TRACE(r, "epoll_adopt(%d)", epfd);
		if (r < 0)
			return -1;
		preload_new_fd(epfd, PFD_EPOLL);
	}
	r = SL_CALL(sl_epoll_ctl(epfd, op, fd, ev));
	TRACE(r, "epoll_ctl(%d, %d, %d, %#x)", epfd, op, fd,
	      ev ? ev->events : 0);
	return r;
}

static int sl_epoll_wait_common(const char *call, int epfd,
				struct epoll_event *ev, int max, int timeout,
				const sigset_t *mask)
{
	int r = SL_CALL(sl_epoll_pwait(epfd, ev, max, timeout, mask));

	TRACE(r, "%s(%d, %d, %d ms)", call, epfd, max, timeout);
	return r;
}

PRELOAD_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max,
			      int timeout)
{
	if (!preload_fd(epfd))
		return REAL(epoll_wait)(epfd, ev, max, timeout);
	return sl_epoll_wait_common("epoll_wait", epfd, ev, max, timeout, NULL);
}

PRELOAD_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max,
			       int timeout, const sigset_t *mask)
{
	if (!preload_fd(epfd))
		return REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
	return sl_epoll_wait_common("epoll_pwait", epfd, ev, max, timeout, mask);
}

/* epoll_pwait2's timespec, in sockline's milliseconds (rounded up, so
 * that a short timeout does not become a busy 0). */
PRELOAD_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
				const struct timespec *tmo,
				const sigset_t *mask)
{
	long long ms;

	if (!preload_fd(epfd)) {
		if (!preload_real.epoll_pwait2) {
			errno = ENOSYS;
			return -1;
		}
		return preload_real.epoll_pwait2(epfd, ev, max, tmo, mask);
	}
	if (tmo && (tmo->tv_sec < 0 || tmo->tv_nsec < 0 ||
		    tmo->tv_nsec >= 1000000000L)) {
		errno = EINVAL;
		return -1;
	}
	ms = tmo ? (long long)tmo->tv_sec * 1000 + (tmo->tv_nsec + 999999) / 1000000
		 : -1;
	if (ms > INT_MAX)
		ms = INT_MAX;
	return sl_epoll_wait_common("epoll_pwait2", epfd, ev, max, (int)ms, mask);
}
