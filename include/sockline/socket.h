/*
 * sockline's POSIX-like socket calls: one per system call, same arguments
 * and same errno as Linux. The fds are sockline's (see sl_fd_host_mode).
 * Types and constants are the system's (<sys/socket.h>, <netinet/in.h>,
 * <poll.h>, <sys/epoll.h>): sockline uses Linux's values.
 */
#ifndef SOCKLINE_SOCKET_H
#define SOCKLINE_SOCKET_H

#include <poll.h>
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

#ifdef __cplusplus
}
#endif

#endif
