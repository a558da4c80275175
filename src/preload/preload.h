/*
 * libsockline-preload.so: unmodified programs on sockline (LD_PRELOAD).
 *
 * The shim interposes the libc calls that touch descriptors. A descriptor
 * is sockline's when the shim's own table (preload_fd) says so; every other
 * call goes to the real libc at once. The library runs in host fd mode, so
 * a sockline fd's number is a real kernel descriptor (an eventfd
 * placeholder) and never collides with the program's other fds.
 *
 *   preload.c   the real functions (dlsym RTLD_NEXT), the fd table, the
 *               lazy start of the stack, --trace, exit linger, fork
 *   socket.c    socket ... getsockopt, the send and recv families
 *   fdio.c      read/write, close/dup/fcntl/ioctl/close_range, fstat,
 *               sendfile and splice (copied), the __*_chk variants
 *   poll.c      poll, ppoll, select, pselect, epoll_*
 *   inet6.c     AF_INET6 dual-stack sockets as IPv4 sockets (the facade)
 *   signal.c    sigaction/signal: a trampoline that tells sockline
 *
 * Recursion: sockline itself calls libc (close, readv, writev, ppoll,
 * epoll_*, socket for interface ioctls). Every sl_* call the shim makes is
 * wrapped in SL_CALL, which raises a per-thread depth: while it is up, the
 * wrappers go straight to libc.
 */
#ifndef SL_PRELOAD_H
#define SL_PRELOAD_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include "sockline/socket.h"

#define PRELOAD_EXPORT __attribute__((visibility("default")))
#define PRELOAD_PROG "sockline-preload"

/* --- the real libc functions ---------------------------------------------- */

struct preload_real {
	int (*socket)(int, int, int);
	int (*socketpair)(int, int, int, int[2]);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*sendto)(int, const void *, size_t, int,
			  const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	int (*sendmmsg)(int, struct mmsghdr *, unsigned int, int);
	ssize_t (*recv)(int, void *, size_t, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
			    socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	int (*recvmmsg)(int, struct mmsghdr *, unsigned int, int,
			struct timespec *);
	int (*shutdown)(int, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);

	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*pread64)(int, void *, size_t, off64_t);
	ssize_t (*pwrite64)(int, const void *, size_t, off64_t);
	ssize_t (*preadv)(int, const struct iovec *, int, off_t);
	ssize_t (*pwritev)(int, const struct iovec *, int, off_t);
	int (*close)(int);
	int (*close_range)(unsigned int, unsigned int, int);
	void (*closefrom)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*fstat)(int, struct stat *);
	int (*fstat64)(int, struct stat64 *);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	ssize_t (*sendfile64)(int, int, off64_t *, size_t);
	ssize_t (*splice)(int, off64_t *, int, off64_t *, size_t,
			  unsigned int);

	int (*poll)(struct pollfd *, nfds_t, int);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		     const sigset_t *);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *,
		       const struct timespec *, const sigset_t *);
	int (*epoll_create)(int);
	int (*epoll_create1)(int);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_wait)(int, struct epoll_event *, int, int);
	int (*epoll_pwait)(int, struct epoll_event *, int, int,
			   const sigset_t *);
	int (*epoll_pwait2)(int, struct epoll_event *, int,
			    const struct timespec *, const sigset_t *);

	int (*sigaction)(int, const struct sigaction *, struct sigaction *);
	void (*_exit)(int) __attribute__((noreturn));
	void (*_Exit)(int) __attribute__((noreturn));
};

extern struct preload_real preload_real;
/* Fill preload_real (the constructor does; a call before it, too). */
void preload_resolve(void);

/* The real @fn, resolving the table if a call came before the constructor. */
#define REAL(fn)                                                         \
	(*(__builtin_expect(preload_real.fn != NULL, 1)                   \
		   ? preload_real.fn                                          \
		   : (preload_resolve(), preload_real.fn)))

/* --- the shim's fd table -------------------------------------------------- */

enum {
	PFD_SL = 1 << 0,        /* a sockline fd (socket or epoll instance) */
	PFD_EPOLL = 1 << 1,     /* a sockline epoll instance (kernel epoll inside) */
	PFD_INET6 = 1 << 2,     /* an AF_INET6 facade over an AF_INET socket */
	PFD_BOUND = 1 << 3,     /* facade bound, connected or sent from: it
	                         * stays sockline's (IPv4) */
};

/* Up while the thread is inside sockline (SL_CALL), or after a fork child
 * reset; the wrappers then pass everything to libc. */
extern __thread unsigned int preload_depth
	__attribute__((tls_model("initial-exec")));
/* True once this process made a sockline fd (the one load of the fast
 * path until then). */
extern bool preload_fds_live;

unsigned int fdt_get(int fd);
void fdt_set(int fd, unsigned int flags);
/* The highest fd ever set (close_range, exit). */
int fdt_max(void);

/* The shim's flags of @fd when it is sockline's and the call is the
 * program's own (not sockline's internals); 0: hand it to libc. */
static inline unsigned int preload_fd(int fd)
{
	if (!__atomic_load_n(&preload_fds_live, __ATOMIC_RELAXED) ||
	    preload_depth)
		return 0;
	return fdt_get(fd);
}

/* Call into sockline with the recursion guard up. */
#define SL_CALL(expr)                                                    \
	({                                                                \
		__typeof__(expr) __r;                                      \
		preload_depth++;                                           \
		__r = (expr);                                              \
		preload_depth--;                                           \
		__r;                                                       \
	})

/* --- starting the stack ----------------------------------------------------- */

/*
 * The stack of this process, started on the first socket that sockline
 * carries: host fd mode, one threaded stack on SOCKLINE_DEV. NULL and
 * errno ENETDOWN (the reason printed once) when it cannot start.
 */
sl_net_t *preload_net(void);

/* A socket sockline has made, or -1: mark it in the table. */
int preload_new_fd(int fd, unsigned int flags);

/* --- tracing (SOCKLINE_TRACE=1, `sockline run --trace`) ------------------- */

extern bool preload_tracing;
/* One stderr line: "sockline: CALL = RET" or "= -1 ERRNO"; errno kept. */
void preload_trace(long ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define TRACE(ret, ...)                                                  \
	do {                                                              \
		if (__builtin_expect(preload_tracing, 0))                  \
			preload_trace((long)(ret), __VA_ARGS__);          \
	} while (0)
/* A line of its own (not a call): "sockline: MESSAGE". */
void preload_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- the IPv6 facade (inet6.c) ------------------------------------------------ */

enum inet6_use { INET6_BIND, INET6_CONNECT, INET6_SENDTO };

/*
 * The program's address for a facade socket @pfd, as the AF_INET address
 * sockline takes. Returns 0 (@sin filled), 1 (pass @ua unchanged: AF_UNSPEC
 * connect, AF_INET to a datagram socket), 2 (a native IPv6 address on a
 * facade still free: hand it to the kernel, inet6_to_kernel) or -errno.
 */
int inet6_addr_in(const struct sockaddr *ua, socklen_t ulen,
		  struct sockaddr_in *sin, enum inet6_use use, unsigned int pfd,
		  int type);
/* Replace the facade @fd by a kernel AF_INET6 socket (@why: for the
 * note). 0 or -1. */
int inet6_to_kernel(int fd, const char *why);
/* sockline's AF_INET address @sin as the facade's AF_INET6 one, into the
 * program's buffer (truncated like Linux; *@ulen is the full size). */
void inet6_addr_out(const struct sockaddr_in *sin, struct sockaddr *ua,
		    socklen_t *ulen);
/* IPPROTO_IPV6 and SO_DOMAIN on a facade: 1 when answered here (@ret set). */
int inet6_setsockopt(int fd, unsigned int pfd, int level, int name,
		     const void *val, socklen_t len, int *ret);
int inet6_getsockopt(int fd, unsigned int pfd, int level, int name, void *val,
		     socklen_t *len, int *ret);

/* --- copies (fdio.c) ------------------------------------------------------------ */

/* Write all of @buf to a sockline fd, waiting for room even when it is
 * non-blocking (bytes already taken from a pipe must not be lost). */
ssize_t preload_sl_write_all(int fd, const char *buf, size_t len);

/* --- signals (signal.c) ------------------------------------------------------ */

/* The app's handler is a trampoline's: is this thread inside one? */
extern __thread unsigned int preload_in_handler
	__attribute__((tls_model("initial-exec")));

/* --- exit ---------------------------------------------------------------------- */

/* Close sockline fds and let TCP send what it holds (SOCKLINE_EXIT_LINGER
 * seconds at most). Once per process; not from a signal handler. */
void preload_exit_linger(void);

#endif
