/*
 * Calls on any descriptor: read and write, close, dup, fcntl, ioctl,
 * fstat, close_range, sendfile and splice, and glibc's fortified __*_chk
 * variants of the ones programs built with _FORTIFY_SOURCE call.
 *
 * sendfile and splice have no sockline path in the kernel: with a sockline
 * socket at one end they are copies through a per-thread buffer (what goes
 * in a chunk is sent whole, so nothing read from a pipe is lost).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "preload.h"

extern void __chk_fail(void) __attribute__((noreturn));

/* --- read and write -------------------------------------------------------- */

PRELOAD_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	ssize_t r;

	if (!preload_fd(fd))
		return REAL(read)(fd, buf, len);
	r = SL_CALL(sl_read(fd, buf, len));
	TRACE(r, "read(%d, %zu)", fd, len);
	return r;
}

PRELOAD_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	ssize_t r;

	if (!preload_fd(fd))
		return REAL(write)(fd, buf, len);
	r = SL_CALL(sl_write(fd, buf, len));
	TRACE(r, "write(%d, %zu)", fd, len);
	return r;
}

PRELOAD_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	ssize_t r;

	if (!preload_fd(fd))
		return REAL(readv)(fd, iov, cnt);
	r = SL_CALL(sl_readv(fd, iov, cnt));
	TRACE(r, "readv(%d, %d)", fd, cnt);
	return r;
}

PRELOAD_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	ssize_t r;

	if (!preload_fd(fd))
		return REAL(writev)(fd, iov, cnt);
	r = SL_CALL(sl_writev(fd, iov, cnt));
	TRACE(r, "writev(%d, %d)", fd, cnt);
	return r;
}

/* A socket has no file position: Linux's ESPIPE. */
static ssize_t espipe(const char *call, int fd)
{
	errno = ESPIPE;
	TRACE(-1, "%s(%d)", call, fd);
	return -1;
}

PRELOAD_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	if (!preload_fd(fd))
		return REAL(pread)(fd, buf, len, off);
	return espipe("pread", fd);
}

PRELOAD_EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (!preload_fd(fd))
		return REAL(pwrite)(fd, buf, len, off);
	return espipe("pwrite", fd);
}

PRELOAD_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
	if (!preload_fd(fd))
		return REAL(pread64)(fd, buf, len, off);
	return espipe("pread64", fd);
}

PRELOAD_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len,
				off64_t off)
{
	if (!preload_fd(fd))
		return REAL(pwrite64)(fd, buf, len, off);
	return espipe("pwrite64", fd);
}

PRELOAD_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int cnt,
			      off_t off)
{
	if (!preload_fd(fd))
		return REAL(preadv)(fd, iov, cnt, off);
	return espipe("preadv", fd);
}

PRELOAD_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt,
			       off_t off)
{
	if (!preload_fd(fd))
		return REAL(pwritev)(fd, iov, cnt, off);
	return espipe("pwritev", fd);
}

/* --- fortified variants ---------------------------------------------------- */

PRELOAD_EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return read(fd, buf, len);
}

PRELOAD_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t len, off_t off,
				   size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return pread(fd, buf, len, off);
}

PRELOAD_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t len,
				     off64_t off, size_t buflen)
{
	if (len > buflen)
		__chk_fail();
	return pread64(fd, buf, len, off);
}

PRELOAD_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen,
				  int flags)
{
	if (len > buflen)
		__chk_fail();
	return recv(fd, buf, len, flags);
}

PRELOAD_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len,
				      size_t buflen, int flags,
				      struct sockaddr *addr, socklen_t *alen)
{
	if (len > buflen)
		__chk_fail();
	return recvfrom(fd, buf, len, flags, addr, alen);
}

/* --- close -------------------------------------------------------------------- */

/* Forget @fd in the table first: once sockline closes it, the kernel may
 * hand its number to another thread's open at once. */
static int sl_close_fd(int fd)
{
	fdt_set(fd, 0);
	return SL_CALL(sl_close(fd));
}

PRELOAD_EXPORT int close(int fd)
{
	int r;

	if (!preload_fd(fd))
		return REAL(close)(fd);
	r = sl_close_fd(fd);
	TRACE(r, "close(%d)", fd);
	return r;
}

/*
 * close_range(2) over sockline fds closes them through sockline (their
 * placeholders must not just vanish under it); the kernel closes the rest.
 */
static void sl_close_range(unsigned int first, unsigned int last, int flags)
{
	int hi = fdt_max();
	unsigned int fd;

	if (hi < 0 || first > (unsigned int)hi)
		return;
	if (last > (unsigned int)hi)
		last = (unsigned int)hi;
	for (fd = first; fd <= last; fd++) {
		if (!preload_fd((int)fd))
			continue;
		if (flags & CLOSE_RANGE_CLOEXEC)
			SL_CALL(sl_fcntl((int)fd, F_SETFD, FD_CLOEXEC));
		else
			sl_close_fd((int)fd);
	}
}

PRELOAD_EXPORT int close_range(unsigned int first, unsigned int last,
			       int flags)
{
	if (first <= last && !(flags & ~(CLOSE_RANGE_CLOEXEC |
					 CLOSE_RANGE_UNSHARE)))
		sl_close_range(first, last, flags);
	if (preload_real.close_range || (preload_resolve(), preload_real.close_range))
		return preload_real.close_range(first, last, flags);
	return (int)syscall(SYS_close_range, first, last, flags);
}

PRELOAD_EXPORT void closefrom(int lowfd)
{
	if (lowfd < 0)
		lowfd = 0;
	sl_close_range((unsigned int)lowfd, ~0U, 0);
	if (preload_real.closefrom || (preload_resolve(), preload_real.closefrom))
		preload_real.closefrom(lowfd);
	else
		syscall(SYS_close_range, (unsigned int)lowfd, ~0U, 0);
}

/* --- dup ------------------------------------------------------------------------ */

PRELOAD_EXPORT int dup(int fd)
{
	unsigned int pfd = preload_fd(fd);
	int nfd;

	if (!pfd)
		return REAL(dup)(fd);
	nfd = preload_new_fd(SL_CALL(sl_dup(fd)), pfd);
	TRACE(nfd, "dup(%d)", fd);
	return nfd;
}

/*
 * dup2/dup3 onto or from a sockline fd. From one: sockline replaces
 * @newfd (a kernel fd of that number included). Onto one from a kernel
 * fd: sockline closes its socket, then the kernel dups (not atomic, as
 * Linux's is, against another thread's open of that number).
 */
static int sl_dup3_common(const char *call, int oldfd, int newfd, int flags)
{
	unsigned int po = preload_fd(oldfd), pn = preload_fd(newfd);
	int r;

	if (po) {
		r = SL_CALL(sl_dup3(oldfd, newfd, flags));
		if (r >= 0)
			fdt_set(newfd, po);
	} else {
		if (fcntl(oldfd, F_GETFD) < 0)
			return -1;      /* EBADF: newfd stays open */
		if (pn)
			sl_close_fd(newfd);
		r = REAL(dup3)(oldfd, newfd, flags);
	}
	TRACE(r, "%s(%d, %d)", call, oldfd, newfd);
	return r;
}

PRELOAD_EXPORT int dup2(int oldfd, int newfd)
{
	unsigned int po = preload_fd(oldfd);

	if (!po && !preload_fd(newfd))
		return REAL(dup2)(oldfd, newfd);
	if (oldfd == newfd)
		return po ? newfd : REAL(dup2)(oldfd, newfd);
	return sl_dup3_common("dup2", oldfd, newfd, 0);
}

PRELOAD_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	if (!preload_fd(oldfd) && !preload_fd(newfd))
		return REAL(dup3)(oldfd, newfd, flags);
	if (oldfd == newfd || (flags & ~O_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	return sl_dup3_common("dup3", oldfd, newfd, flags);
}

/* --- fcntl, ioctl, fstat ---------------------------------------------------- */

/*
 * F_DUPFD with a floor: the kernel picks the number (a dup of the
 * placeholder at or above @min), then sockline puts the socket there.
 */
static int sl_dupfd(int fd, unsigned int pfd, int cmd, long min)
{
	int nfd = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, min);

	if (nfd < 0)
		return -1;
	if (SL_CALL(sl_dup3(fd, nfd, cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0)) < 0) {
		int err = errno;

		REAL(close)(nfd);
		errno = err;
		return -1;
	}
	return preload_new_fd(nfd, pfd);
}

static int sl_fcntl_common(int fd, unsigned int pfd, int cmd, long arg)
{
	int r;

	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		r = sl_dupfd(fd, pfd, cmd, arg);
	else
		r = SL_CALL(sl_fcntl(fd, cmd, arg));
	TRACE(r, "fcntl(%d, %d, %#lx)", fd, cmd, arg);
	return r;
}

PRELOAD_EXPORT int fcntl(int fd, int cmd, ...)
{
	unsigned int pfd = preload_fd(fd);
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (!pfd)
		return REAL(fcntl)(fd, cmd, arg);
	return sl_fcntl_common(fd, pfd, cmd, arg);
}

PRELOAD_EXPORT int fcntl64(int fd, int cmd, ...)
{
	unsigned int pfd = preload_fd(fd);
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (!pfd)
		return REAL(fcntl64)(fd, cmd, arg);
	return sl_fcntl_common(fd, pfd, cmd, arg);
}

PRELOAD_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!preload_fd(fd))
		return REAL(ioctl)(fd, req, arg);
	r = SL_CALL(sl_ioctl(fd, req, arg));
	TRACE(r, "ioctl(%d, %#lx)", fd, req);
	return r;
}

/* A sockline socket is a socket to fstat (S_ISSOCK), whatever its
 * placeholder; an epoll instance's placeholder is a kernel epoll, as is. */
static bool sl_socket_fd(int fd)
{
	unsigned int pfd = preload_fd(fd);

	return pfd && !(pfd & PFD_EPOLL);
}

PRELOAD_EXPORT int fstat(int fd, struct stat *st)
{
	int r = REAL(fstat)(fd, st);

	if (!r && sl_socket_fd(fd))
		st->st_mode = S_IFSOCK | 0777;
	return r;
}

PRELOAD_EXPORT int fstat64(int fd, struct stat64 *st)
{
	int r = REAL(fstat64)(fd, st);

	if (!r && sl_socket_fd(fd))
		st->st_mode = S_IFSOCK | 0777;
	return r;
}

/* --- sendfile and splice ------------------------------------------------------- */

#define COPY_CHUNK (128 * 1024)

static __thread char *copy_buf;

static char *copy_buffer(void)
{
	if (!copy_buf)
		copy_buf = malloc(COPY_CHUNK);
	return copy_buf;
}

ssize_t preload_sl_write_all(int fd, const char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = SL_CALL(sl_send(fd, buf + done, len - done, MSG_NOSIGNAL));
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return done ? (ssize_t)done : -1;
		if (n < 0 && errno == EAGAIN)
			SL_CALL(sl_poll(&pfd, 1, -1));
	}
	return (ssize_t)done;
}

/* Write all of @buf to a kernel fd (@off: pwrite there), waiting for room. */
static ssize_t kernel_write_all(int fd, const char *buf, size_t len,
				off64_t *off)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = off ? REAL(pwrite64)(fd, buf + done, len - done,
					 *off + (off64_t)done)
			: REAL(write)(fd, buf + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return done ? (ssize_t)done : -1;
		if (n < 0 && errno == EAGAIN)
			REAL(poll)(&pfd, 1, -1);
	}
	if (off)
		*off += (off64_t)done;
	return (ssize_t)done;
}

/* Is the sockline socket @fd non-blocking? */
static bool sl_nonblock(int fd)
{
	int fl = SL_CALL(sl_fcntl(fd, F_GETFL));

	return fl >= 0 && (fl & O_NONBLOCK);
}

/* Room in the kernel pipe @fd (0: full), or -1 when it is not a pipe. */
static long pipe_room(int fd)
{
	int size = REAL(fcntl)(fd, F_GETPIPE_SZ), queued = 0;

	if (size < 0)
		return -1;
	if (REAL(ioctl)(fd, FIONREAD, &queued) < 0)
		return -1;
	return size > queued ? size - queued : 0;
}

/*
 * sendfile's usual case, a file at an offset into a sockline socket: read
 * the chunk, send what the socket takes, and advance the offset by that
 * alone. Nothing read is lost, so there is no need to wait for room
 * before reading (a poll per call, as in the general case below).
 */
static ssize_t copy_file_to_sl(int in, off64_t *off_in, int out,
			       off64_t *off_out, char *buf, size_t len,
			       bool nonblock)
{
	ssize_t n, sent;

	if (off_out) {
		errno = ESPIPE;
		return -1;
	}
	n = REAL(pread64)(in, buf, len, *off_in);
	if (n <= 0)
		return n;
	if (nonblock)
		sent = SL_CALL(sl_send(out, buf, (size_t)n,
				       MSG_NOSIGNAL | MSG_DONTWAIT));
	else
		sent = preload_sl_write_all(out, buf, (size_t)n);
	if (sent > 0)
		*off_in += sent;
	return sent;
}

/*
 * One chunk from @in to @out, one of them a sockline socket: at most
 * @len bytes, as much as a pipe @out has room for; what is read is
 * written whole. @nonblock: do not wait for input or for room to start.
 * Returns bytes moved, 0 at end of input, -1 with errno.
 */
static ssize_t copy_chunk(int in, bool sl_in, off64_t *off_in, int out,
			  bool sl_out, off64_t *off_out, size_t len,
			  bool nonblock)
{
	char *buf = copy_buffer();
	long room;
	ssize_t n;

	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	if (len > COPY_CHUNK)
		len = COPY_CHUNK;
	if (sl_out && !sl_in && off_in)
		return copy_file_to_sl(in, off_in, out, off_out, buf, len,
				       nonblock);
	if (sl_out) {
		struct pollfd p = { .fd = out, .events = POLLOUT };

		if (off_out) {
			errno = ESPIPE;
			return -1;
		}
		if (SL_CALL(sl_poll(&p, 1, nonblock ? 0 : -1)) == 0) {
			errno = EAGAIN;
			return -1;
		}
	} else if ((room = pipe_room(out)) >= 0) {
		struct pollfd p = { .fd = out, .events = POLLOUT };

		while (!room) {
			if (nonblock) {
				errno = EAGAIN;
				return -1;
			}
			REAL(poll)(&p, 1, -1);
			room = pipe_room(out);
		}
		if ((size_t)room < len)
			len = (size_t)room;
	}
	if (sl_in) {
		if (off_in) {
			errno = ESPIPE;
			return -1;
		}
		n = SL_CALL(sl_recv(in, buf, len, nonblock ? MSG_DONTWAIT : 0));
	} else if (off_in) {
		n = REAL(pread64)(in, buf, len, *off_in);
		if (n > 0)
			*off_in += n;
	} else {
		n = REAL(read)(in, buf, len);
	}
	if (n <= 0)
		return n;
	return sl_out ? preload_sl_write_all(out, buf, (size_t)n)
		      : kernel_write_all(out, buf, (size_t)n, off_out);
}

/*
 * sendfile(2) with a sockline end: chunks until @count, end of input, or
 * (non-blocking output) no room. @off: read there and advance it, the
 * file position stays.
 */
static ssize_t sl_sendfile(int out, int in, off64_t *off, size_t count)
{
	bool sl_out = preload_fd(out), sl_in = preload_fd(in);
	bool nonblock = sl_out ? sl_nonblock(out)
			       : (REAL(fcntl)(out, F_GETFL) & O_NONBLOCK);
	size_t done = 0;
	ssize_t n = 0;

	while (done < count) {
		n = copy_chunk(in, sl_in, off, out, sl_out, NULL, count - done,
			       nonblock);
		if (n <= 0)
			break;
		done += (size_t)n;
		if (sl_in)
			break;          /* what one receive brought, as a read */
	}
	if (done)
		return (ssize_t)done;
	return n;
}

PRELOAD_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	off64_t o;
	ssize_t r;

	if (!preload_fd(out) && !preload_fd(in))
		return REAL(sendfile)(out, in, off, count);
	o = off ? *off : 0;
	r = sl_sendfile(out, in, off ? &o : NULL, count);
	if (off)
		*off = (off_t)o;
	TRACE(r, "sendfile(%d, %d, %zu)", out, in, count);
	return r;
}

PRELOAD_EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t count)
{
	ssize_t r;

	if (!preload_fd(out) && !preload_fd(in))
		return REAL(sendfile64)(out, in, off, count);
	r = sl_sendfile(out, in, off, count);
	TRACE(r, "sendfile64(%d, %d, %zu)", out, in, count);
	return r;
}

PRELOAD_EXPORT ssize_t splice(int in, off64_t *off_in, int out,
			      off64_t *off_out, size_t len, unsigned int flags)
{
	bool sl_in = preload_fd(in), sl_out = preload_fd(out);
	bool nonblock;
	ssize_t r;

	if (!sl_in && !sl_out)
		return REAL(splice)(in, off_in, out, off_out, len, flags);
	if (sl_in && sl_out) {
		errno = EINVAL;         /* neither end is a pipe */
		r = -1;
	} else {
		nonblock = (flags & SPLICE_F_NONBLOCK) ||
			   (sl_in ? sl_nonblock(in) : sl_nonblock(out));
		r = copy_chunk(in, sl_in, off_in, out, sl_out, off_out, len,
			       nonblock);
	}
	TRACE(r, "splice(%d, %d, %zu, %#x)", in, out, len, flags);
	return r;
}
