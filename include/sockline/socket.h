/*
 * sockline's POSIX-like socket calls: one per system call, same arguments
 * and same errno as Linux. The fds are sockline's (see sl_fd_host_mode).
 * Types and constants are the system's (<sys/socket.h>, <netinet/in.h>,
 * <poll.h>, <sys/epoll.h>): sockline uses Linux's values.
 */
#ifndef SOCKLINE_SOCKET_H
#define SOCKLINE_SOCKET_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "sockline/sockline.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Create a socket in the calling thread's current stack (sl_net_enter). */
int sl_socket(int domain, int type, int protocol);
/* Create a socket in @net. */
int sl_socket_net(sl_net_t *net, int domain, int type, int protocol);
int sl_bind(int fd, const struct sockaddr *addr, socklen_t len);
int sl_connect(int fd, const struct sockaddr *addr, socklen_t len);
int sl_listen(int fd, int backlog);
int sl_accept(int fd, struct sockaddr *addr, socklen_t *len);
int sl_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int sl_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int sl_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
ssize_t sl_send(int fd, const void *buf, size_t len, int flags);
ssize_t sl_sendto(int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *addr, socklen_t alen);
ssize_t sl_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t sl_recv(int fd, void *buf, size_t len, int flags);
ssize_t sl_recvfrom(int fd, void *buf, size_t len, int flags,
		    struct sockaddr *addr, socklen_t *alen);
ssize_t sl_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t sl_read(int fd, void *buf, size_t len);
ssize_t sl_write(int fd, const void *buf, size_t len);
ssize_t sl_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t sl_writev(int fd, const struct iovec *iov, int iovcnt);
int sl_shutdown(int fd, int how);
int sl_close(int fd);
int sl_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int sl_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
/* F_GETFL, F_SETFL (O_NONBLOCK), F_GETFD, F_SETFD (FD_CLOEXEC). */
int sl_fcntl(int fd, int cmd, ... /* long arg */);
/* FIONREAD/SIOCINQ, SIOCOUTQ, FIONBIO. */
int sl_ioctl(int fd, unsigned long request, ... /* void *arg */);

/* poll over sockline fds; timeout in ms (-1: forever). */
int sl_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int sl_epoll_create1(int flags);
int sl_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int sl_epoll_wait(int epfd, struct epoll_event *events, int maxevents,
		  int timeout);

/* Is @fd a sockline descriptor? */
bool sl_is_fd(int fd);
/*
 * true: each sockline fd reserves a real host descriptor and uses its
 * number, so it never collides with the kernel's (the preload shim and the
 * packetdrill adapter use this). false (default): sockline's own numbers.
 * Set before creating the first socket.
 */
int sl_fd_host_mode(bool on);

/* F_DUPFD-like: a new fd for the same socket (lowest free; in host mode
 * the lowest free kernel number). -1/EBADF, EMFILE. */
int sl_dup(int fd);
/* dup3(2): @newfd names @oldfd's socket, whatever @newfd was (a sockline fd
 * is closed first; in host mode a kernel descriptor numbered @newfd is
 * replaced by the placeholder). @flags: 0 or O_CLOEXEC. EINVAL when equal. */
int sl_dup3(int oldfd, int newfd, int flags);

/*
 * --- Sharing a process with the kernel's descriptors (the preload shim) ---
 * All of these need host fd mode (sl_fd_host_mode(true)).
 *
 * ppoll(2) over any descriptors: entries whose fd is a sockline fd are
 * polled by sockline, the others by the kernel, and one blocked call waits
 * for both: the kernel's in ppoll, sockline's through a per-thread eventfd
 * that a sockline wakeup signals. @tmo NULL: forever; @sigmask as ppoll's.
 * Returns the count of entries with revents, -1/EINTR, EINVAL, EFAULT.
 */
int sl_ppoll_host(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo,
		  const sigset_t *sigmask);
/*
 * epoll across both worlds. In host mode a sockline epoll fd is also a real
 * kernel epoll instance (its placeholder). sl_epoll_ctl on it accepts any
 * fd: sockline fds are watched by sockline, others are handed to the
 * kernel's instance. sl_epoll_pwait reports both (@sigmask as epoll_pwait's;
 * sl_epoll_wait is sl_epoll_pwait with NULL). sl_epoll_adopt makes an
 * existing kernel epoll fd @epfd, created before sockline was involved, such
 * an instance, keeping what the kernel already watches: returns @epfd, or -1
 * (EINVAL: not an epoll fd; EEXIST: already a sockline fd).
 */
int sl_epoll_adopt(int epfd);
int sl_epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		   int timeout, const sigset_t *sigmask);

/*
 * A signal handler ran in the calling thread (the preload shim's handler
 * trampoline calls this first, from the handler; async-signal-safe). A
 * sockline call blocked in this thread then returns -1/EINTR, as Linux's
 * would: poll, epoll_wait and any call with a timeout always; other socket
 * calls only when !@restart (the handler lacks SA_RESTART), else they go
 * on waiting.
 */
void sl_signal_delivered(bool restart);

/*
 * fork(2), in the child (pthread_atfork's child handler): the stacks'
 * threads did not survive. Forget every stack and sockline fd inherited
 * (closing the child's copies of their kernel descriptors and placeholders;
 * their memory is abandoned, as other threads may have held its locks), so
 * that the child can create stacks and sockets of its own. The parent's
 * stacks and connections are not affected.
 */
void sl_atfork_child(void);

#ifdef __cplusplus
}
#endif

#endif
