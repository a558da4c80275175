/*
 * The system calls: every public sl_* socket call of <sockline/socket.h>.
 *
 * Each sl_foo() is a one-line wrapper around __sys_foo(), which does what
 * Linux's __sys_foo in net/socket.c does and returns 0/a count or -errno;
 * sl_ret() turns a negative errno into -1 + errno exactly once, here.
 *
 * User memory: sockline runs in the caller's address space, so "copying"
 * from or to the user is a memcpy. Linux's EFAULT for an unmapped buffer
 * cannot be detected; a NULL pointer with a non-zero length is reported as
 * EFAULT. Deviation: that check happens before the protocol runs (Linux
 * finds the fault only when it copies, e.g. after a datagram has been
 * dequeued, which it then drops).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "internal.h"
#include "sl/inet_sock.h"
#include "sl/pernet.h"
#include "sl/signal.h"
#include "sl/socket.h"
#include "sockline/socket.h"

static inline long sl_ret(long err)
{
	if (err < 0) {
		errno = (int)-err;
		return -1;
	}
	return err;
}

/*
 * A call that may block (connect, accept, send, recv, poll, epoll_wait):
 * a signal handler that runs in this thread meanwhile cuts its wait short
 * (sl/signal.h). -ERESTARTSYS, Linux's "restart the system call" for a
 * socket without a timeout and a handler with SA_RESTART, issues it
 * again, as the kernel does on the way back to user space.
 */
#define SL_SIGNAL_CALL(expr)                                   \
	({                                                     \
		long __ret;                                    \
		do {                                           \
			signal_call_begin();                   \
			__ret = signal_call_end(expr);         \
		} while (__ret == -ERESTARTSYS);               \
		__ret;                                         \
	})

/* --- addresses (Linux's move_addr_to_kernel / move_addr_to_user) --------- */

static int move_addr_to_kernel(const void *uaddr, int ulen,
			       struct sockaddr_storage *kaddr)
{
	if (ulen < 0 || ulen > (int)sizeof(struct sockaddr_storage))
		return -EINVAL;
	if (ulen == 0)
		return 0;
	if (!uaddr)
		return -EFAULT;
	memcpy(kaddr, uaddr, (size_t)ulen);
	return 0;
}

/*
 * Copy @klen bytes of address out, truncated to the caller's *@ulen, and
 * store the untruncated length in *@ulen: POSIX (recvfrom, getsockname)
 * lets a caller detect a short buffer by comparing the two.
 */
static int move_addr_to_user(const struct sockaddr_storage *kaddr, int klen,
			     void *uaddr, socklen_t *ulen)
{
	int len;

	if (!ulen)
		return -EFAULT;
	len = (int)*ulen;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len) {
		if (!uaddr)
			return -EFAULT;
		memcpy(uaddr, kaddr, (size_t)len);
	}
	*ulen = (socklen_t)klen;
	return 0;
}

/* A single user buffer as an iterator (Linux's import_ubuf). */
static int import_ubuf(const void *buf, size_t len, struct iovec *iov,
		       struct iov_iter *i)
{
	if (len > SL_MAX_RW_COUNT)
		len = SL_MAX_RW_COUNT;
	if (!buf && len)
		return -EFAULT;
	iov->iov_base = (void *)buf;
	iov->iov_len = len;
	iov_iter_init(i, iov, 1, len);
	return 0;
}

/*
 * The caller's iovec array as an iterator (Linux's import_iovec): more
 * than UIO_MAXIOV segments is @toomany (-EINVAL for readv/writev,
 * -EMSGSIZE for sendmsg/recvmsg), a negative length -EINVAL, a NULL base
 * with a length -EFAULT; the total is capped at MAX_RW_COUNT.
 */
static int import_iovec(const struct iovec *iov, size_t nr_segs, int toomany,
			struct iov_iter *i)
{
	size_t total = 0;

	if (nr_segs > SL_UIO_MAXIOV)
		return toomany;
	if (nr_segs && !iov)
		return -EFAULT;
	for (size_t s = 0; s < nr_segs; s++) {
		size_t len = iov[s].iov_len;

		if ((ssize_t)len < 0)
			return -EINVAL;
		if (len && !iov[s].iov_base)
			return -EFAULT;
		if (len > (size_t)SL_MAX_RW_COUNT - total)
			len = (size_t)SL_MAX_RW_COUNT - total;
		total += len;
	}
	iov_iter_init(i, iov, nr_segs, total);
	return 0;
}

static bool file_nonblock(const struct socket *sock)
{
	return READ_ONCE(sock->file->f_flags) & O_NONBLOCK;
}

/* --- socket, bind, connect, listen, accept -------------------------------- */

static int __sys_socket(struct net *net, int family, int type, int protocol)
{
	struct socket *sock;
	int flags, err;

	/* Above the low four type bits only SOCK_CLOEXEC/NONBLOCK may be. */
	flags = type & ~0xf;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	type &= 0xf;

	sl_init();
	err = __sock_create(net, family, type, protocol, &sock, 0);
	if (err < 0)
		return err;
	return sock_map_fd(sock, flags & (O_CLOEXEC | O_NONBLOCK));
}

SL_EXPORT int sl_socket(int domain, int type, int protocol)
{
	return (int)sl_ret(__sys_socket(sl_net_current(), domain, type,
					protocol));
}

SL_EXPORT int sl_socket_net(sl_net_t *net, int domain, int type, int protocol)
{
	return (int)sl_ret(__sys_socket(net, domain, type, protocol));
}

static int __sys_bind(int fd, const struct sockaddr *umyaddr, int addrlen)
{
	struct sockaddr_storage address;
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	memset(&address, 0, sizeof(address));
	err = move_addr_to_kernel(umyaddr, addrlen, &address);
	if (!err)
		err = sock->ops->bind(sock, (struct sockaddr *)&address,
				      addrlen);
	sockfd_put(sock);
	return err;
}

SL_EXPORT int sl_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	return (int)sl_ret(__sys_bind(fd, addr, (int)len));
}

static int __sys_connect(int fd, const struct sockaddr *uservaddr, int addrlen)
{
	struct sockaddr_storage address;
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	memset(&address, 0, sizeof(address));
	err = move_addr_to_kernel(uservaddr, addrlen, &address);
	if (!err)
		err = sock->ops->connect(sock, (struct sockaddr *)&address,
					 addrlen,
					 (int)READ_ONCE(sock->file->f_flags));
	sockfd_put(sock);
	return err;
}

SL_EXPORT int sl_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	return (int)sl_ret(SL_SIGNAL_CALL(__sys_connect(fd, addr, (int)len)));
}

static int __sys_listen(int fd, int backlog)
{
	struct socket *sock;
	int somaxconn, err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	somaxconn = READ_ONCE(sock_net(sock->sk)->core.sysctl_somaxconn);
	if ((unsigned int)backlog > (unsigned int)somaxconn)
		backlog = somaxconn;
	err = sock->ops->listen(sock, backlog);
	sockfd_put(sock);
	return err;
}

SL_EXPORT int sl_listen(int fd, int backlog)
{
	return (int)sl_ret(__sys_listen(fd, backlog));
}

/* accept4 (Linux's do_accept): a new socket of the same type and ops. */
static int do_accept(struct socket *sock, struct sockaddr *upeer,
		     socklen_t *upeer_len, int flags)
{
	struct sockaddr_storage address;
	struct socket *newsock;
	int err, len, fd;

	newsock = sock_alloc();
	if (!newsock)
		return -ENFILE;
	newsock->type = sock->type;
	newsock->ops = sock->ops;
	/* Whether to wait is the listener's business (its O_NONBLOCK):
	 * accept4's SOCK_NONBLOCK is for the new fd only, as on Linux. */
	err = sock->ops->accept(sock, newsock,
				(int)READ_ONCE(sock->file->f_flags), false);
	if (err < 0)
		goto out_release;
	if (upeer) {
		len = newsock->ops->getname(newsock,
					    (struct sockaddr *)&address, 2);
		err = -ECONNABORTED;
		if (len < 0)
			goto out_release;
		err = move_addr_to_user(&address, len, upeer, upeer_len);
		if (err < 0)
			goto out_release;
	}
	fd = sock_map_fd(newsock, flags);
	return fd;

out_release:
	if (!newsock->sk)
		newsock->ops = NULL; /* nothing to release below the socket */
	sock_release(newsock);
	return err;
}

static int __sys_accept4(int fd, struct sockaddr *upeer, socklen_t *upeer_len,
			 int flags)
{
	struct socket *sock;
	int err;

	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	err = do_accept(sock, upeer, upeer_len, flags);
	sockfd_put(sock);
	return err;
}

SL_EXPORT int sl_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return (int)sl_ret(SL_SIGNAL_CALL(__sys_accept4(fd, addr, len, 0)));
}

SL_EXPORT int sl_accept4(int fd, struct sockaddr *addr, socklen_t *len,
			 int flags)
{
	return (int)sl_ret(SL_SIGNAL_CALL(__sys_accept4(fd, addr, len, flags)));
}

/* getsockname (peer 0) / getpeername (peer 1). */
static int __sys_getname(int fd, struct sockaddr *usockaddr,
			 socklen_t *usockaddr_len, int peer)
{
	struct sockaddr_storage address;
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	memset(&address, 0, sizeof(address));
	err = sock->ops->getname(sock, (struct sockaddr *)&address, peer);
	/* getname returns the address length on success, not 0. */
	if (err >= 0)
		err = move_addr_to_user(&address, err, usockaddr,
					usockaddr_len);
	sockfd_put(sock);
	return err;
}

SL_EXPORT int sl_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return (int)sl_ret(__sys_getname(fd, addr, len, 0));
}

SL_EXPORT int sl_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return (int)sl_ret(__sys_getname(fd, addr, len, 1));
}

/* --- send ------------------------------------------------------------------ */

static long __sys_sendto(int fd, const void *buff, size_t len,
			 unsigned int flags, const struct sockaddr *addr,
			 int addr_len)
{
	struct sockaddr_storage address;
	struct sl_msghdr msg = { 0 };
	struct socket *sock;
	struct iovec iov;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	err = import_ubuf(buff, len, &iov, &msg.msg_iter);
	if (err)
		goto out_put;
	if (addr) {
		err = move_addr_to_kernel(addr, addr_len, &address);
		if (err < 0)
			goto out_put;
		msg.msg_name = &address;
		msg.msg_namelen = addr_len;
	}
	if (file_nonblock(sock))
		flags |= MSG_DONTWAIT;
	msg.msg_flags = flags;
	/* MSG_NOSIGNAL is accepted: sockline never raises SIGPIPE. */
	err = sock_sendmsg(sock, &msg);
out_put:
	sockfd_put(sock);
	return err;
}

SL_EXPORT ssize_t sl_send(int fd, const void *buf, size_t len, int flags)
{
	return sl_ret(SL_SIGNAL_CALL(__sys_sendto(fd, buf, len,
						 (unsigned int)flags, NULL, 0)));
}

SL_EXPORT ssize_t sl_sendto(int fd, const void *buf, size_t len, int flags,
			    const struct sockaddr *addr, socklen_t alen)
{
	return sl_ret(SL_SIGNAL_CALL(__sys_sendto(fd, buf, len,
						 (unsigned int)flags, addr,
						 (int)alen)));
}

/* Linux's ____sys_sendmsg on a user msghdr. */
static long __sys_sendmsg(int fd, const struct msghdr *umsg,
			  unsigned int flags)
{
	struct sockaddr_storage address;
	struct sl_msghdr msg = { 0 };
	struct socket *sock;
	int namelen, err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	err = -EFAULT;
	if (!umsg)
		goto out_put;
	namelen = (int)umsg->msg_namelen;
	err = -EINVAL;
	if (namelen < 0)
		goto out_put;
	if (namelen > (int)sizeof(address))
		namelen = sizeof(address);
	if (umsg->msg_name && namelen) {
		memcpy(&address, umsg->msg_name, (size_t)namelen);
		msg.msg_name = &address;
		msg.msg_namelen = namelen;
	}
	err = import_iovec(umsg->msg_iov, umsg->msg_iovlen, -EMSGSIZE,
			   &msg.msg_iter);
	if (err)
		goto out_put;
	err = -ENOBUFS;
	if (umsg->msg_controllen > INT_MAX ||
	    umsg->msg_controllen >
		    (size_t)READ_ONCE(sock_net(sock->sk)->core.sysctl_optmem_max))
		goto out_put;
	err = -EFAULT;
	if (umsg->msg_controllen && !umsg->msg_control)
		goto out_put;
	msg.msg_control = umsg->msg_control;
	msg.msg_controllen = umsg->msg_controllen;
	if (file_nonblock(sock))
		flags |= MSG_DONTWAIT;
	msg.msg_flags = flags;
	err = sock_sendmsg(sock, &msg);
out_put:
	sockfd_put(sock);
	return err;
}

SL_EXPORT ssize_t sl_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return sl_ret(SL_SIGNAL_CALL(__sys_sendmsg(fd, msg, (unsigned int)flags)));
}

/* --- receive --------------------------------------------------------------- */

static long __sys_recvfrom(int fd, void *ubuf, size_t size, unsigned int flags,
			   struct sockaddr *addr, socklen_t *addr_len)
{
	struct sockaddr_storage address;
	struct sl_msghdr msg = { 0 };
	struct socket *sock;
	struct iovec iov;
	int err, err2;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	err = import_ubuf(ubuf, size, &iov, &msg.msg_iter);
	if (err)
		goto out_put;
	/* No msg_name without a buffer: the protocol then skips it. */
	if (addr) {
		memset(&address, 0, sizeof(address));
		msg.msg_name = &address;
	}
	if (file_nonblock(sock))
		flags |= MSG_DONTWAIT;
	err = sock_recvmsg(sock, &msg, (int)flags);
	if (err >= 0 && addr) {
		err2 = move_addr_to_user(&address, msg.msg_namelen, addr,
					 addr_len);
		if (err2 < 0)
			err = err2;
	}
out_put:
	sockfd_put(sock);
	return err;
}

SL_EXPORT ssize_t sl_recv(int fd, void *buf, size_t len, int flags)
{
	return sl_ret(SL_SIGNAL_CALL(__sys_recvfrom(fd, buf, len,
						   (unsigned int)flags, NULL,
						   NULL)));
}

SL_EXPORT ssize_t sl_recvfrom(int fd, void *buf, size_t len, int flags,
			      struct sockaddr *addr, socklen_t *alen)
{
	return sl_ret(SL_SIGNAL_CALL(__sys_recvfrom(fd, buf, len,
						   (unsigned int)flags, addr,
						   alen)));
}

/* Linux's ____sys_recvmsg: name, control length and flags go back. */
static long __sys_recvmsg(int fd, struct msghdr *umsg, unsigned int flags)
{
	struct sockaddr_storage address;
	struct sl_msghdr msg = { 0 };
	struct socket *sock;
	int err, len;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	err = -EFAULT;
	if (!umsg)
		goto out_put;
	err = -EINVAL;
	if ((int)umsg->msg_namelen < 0)
		goto out_put;
	err = import_iovec(umsg->msg_iov, umsg->msg_iovlen, -EMSGSIZE,
			   &msg.msg_iter);
	if (err)
		goto out_put;
	memset(&address, 0, sizeof(address));
	msg.msg_name = &address;
	msg.msg_control = umsg->msg_control;
	msg.msg_controllen = umsg->msg_control ? umsg->msg_controllen : 0;
	msg.msg_flags = flags & MSG_CMSG_CLOEXEC;
	if (file_nonblock(sock))
		flags |= MSG_DONTWAIT;
	err = sock_recvmsg(sock, &msg, (int)flags);
	if (err < 0)
		goto out_put;
	len = err;
	if (umsg->msg_name) {
		err = move_addr_to_user(&address, msg.msg_namelen,
					umsg->msg_name, &umsg->msg_namelen);
		if (err < 0)
			goto out_put;
	}
	umsg->msg_flags = (int)msg.msg_flags;
	umsg->msg_controllen = msg.msg_controlused;
	err = len;
out_put:
	sockfd_put(sock);
	return err;
}

SL_EXPORT ssize_t sl_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return sl_ret(SL_SIGNAL_CALL(__sys_recvmsg(fd, msg, (unsigned int)flags)));
}

/* --- read, write, readv, writev: the file's read_iter/write_iter --------- */

static long do_iter_rw(int fd, const struct iovec *iov, size_t nr_segs,
		       bool write)
{
	struct iov_iter iter;
	struct file *f;
	long err;

	f = fget(fd);
	if (!f)
		return -EBADF;
	err = import_iovec(iov, nr_segs, -EINVAL, &iter);
	if (err)
		goto out_put;
	if (write)
		err = f->f_op->write_iter ? f->f_op->write_iter(f, &iter)
					  : -EINVAL;
	else
		err = f->f_op->read_iter ? f->f_op->read_iter(f, &iter)
					 : -EINVAL;
out_put:
	fput(f);
	return err;
}

SL_EXPORT ssize_t sl_read(int fd, void *buf, size_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	if (len > SL_MAX_RW_COUNT)
		iov.iov_len = SL_MAX_RW_COUNT;
	return sl_ret(SL_SIGNAL_CALL(do_iter_rw(fd, &iov, 1, false)));
}

SL_EXPORT ssize_t sl_write(int fd, const void *buf, size_t len)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	if (len > SL_MAX_RW_COUNT)
		iov.iov_len = SL_MAX_RW_COUNT;
	return sl_ret(SL_SIGNAL_CALL(do_iter_rw(fd, &iov, 1, true)));
}

SL_EXPORT ssize_t sl_readv(int fd, const struct iovec *iov, int iovcnt)
{
	/* A negative count is a huge unsigned one: -EINVAL. */
	return sl_ret(SL_SIGNAL_CALL(do_iter_rw(fd, iov,
					   (size_t)(unsigned int)iovcnt,
					   false)));
}

SL_EXPORT ssize_t sl_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return sl_ret(SL_SIGNAL_CALL(do_iter_rw(fd, iov,
					   (size_t)(unsigned int)iovcnt,
					   true)));
}

/* --- shutdown, close, options -------------------------------------------- */

static int __sys_shutdown(int fd, int how)
{
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	err = sock->ops->shutdown(sock, how);
	sockfd_put(sock);
	return err;
}

SL_EXPORT int sl_shutdown(int fd, int how)
{
	return (int)sl_ret(__sys_shutdown(fd, how));
}

SL_EXPORT int sl_close(int fd)
{
	return (int)sl_ret(close_fd(fd));
}

static int __sys_setsockopt(int fd, int level, int optname, const void *optval,
			    int optlen)
{
	struct socket *sock;
	int err;

	if (optlen < 0)
		return -EINVAL;
	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	if (level == SOL_SOCKET)
		err = sock_setsockopt(sock, level, optname, optval,
				      (socklen_t)optlen);
	else if (!sock->ops->setsockopt)
		err = -EOPNOTSUPP;
	else
		err = sock->ops->setsockopt(sock, level, optname, optval,
					    (socklen_t)optlen);
	sockfd_put(sock);
	return err;
}

SL_EXPORT int sl_setsockopt(int fd, int level, int name, const void *val,
			    socklen_t len)
{
	return (int)sl_ret(__sys_setsockopt(fd, level, name, val, (int)len));
}

static int __sys_getsockopt(int fd, int level, int optname, void *optval,
			    socklen_t *optlen)
{
	struct socket *sock;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return err;
	if (!optlen)
		err = -EFAULT;
	else if (level == SOL_SOCKET)
		err = sock_getsockopt(sock, level, optname, optval, optlen);
	else if (!sock->ops->getsockopt)
		err = -EOPNOTSUPP;
	else
		err = sock->ops->getsockopt(sock, level, optname, optval,
					    optlen);
	sockfd_put(sock);
	return err;
}

SL_EXPORT int sl_getsockopt(int fd, int level, int name, void *val,
			    socklen_t *len)
{
	return (int)sl_ret(__sys_getsockopt(fd, level, name, val, len));
}

/* --- calls on any sockline fd -------------------------------------------- */

SL_EXPORT bool sl_is_fd(int fd)
{
	struct file *f = fget(fd);

	if (!f)
		return false;
	fput(f);
	return true;
}

SL_EXPORT int sl_fd_host_mode(bool on)
{
	return (int)sl_ret(fd_host_mode(on));
}

SL_EXPORT int sl_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return (int)sl_ret(do_fcntl(fd, cmd, arg));
}

SL_EXPORT int sl_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *argp;

	va_start(ap, request);
	argp = va_arg(ap, void *);
	va_end(ap);
	return (int)sl_ret(do_vfs_ioctl(fd, request, argp));
}

SL_EXPORT int sl_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	return (int)sl_ret(SL_SIGNAL_CALL(do_sys_poll(fds, nfds, timeout)));
}

SL_EXPORT int sl_epoll_create1(int flags)
{
	return (int)sl_ret(do_epoll_create(flags));
}

SL_EXPORT int sl_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	return (int)sl_ret(do_epoll_ctl(epfd, op, fd, ev));
}

SL_EXPORT int sl_epoll_wait(int epfd, struct epoll_event *events,
			    int maxevents, int timeout)
{
	return (int)sl_ret(SL_SIGNAL_CALL(do_epoll_pwait(epfd, events,
							 maxevents, timeout,
							 NULL)));
}

SL_EXPORT int sl_epoll_pwait(int epfd, struct epoll_event *events,
			     int maxevents, int timeout,
			     const sigset_t *sigmask)
{
	return (int)sl_ret(SL_SIGNAL_CALL(do_epoll_pwait(epfd, events,
							 maxevents, timeout,
							 sigmask)));
}

SL_EXPORT int sl_epoll_adopt(int epfd)
{
	return (int)sl_ret(do_epoll_adopt(epfd));
}

SL_EXPORT int sl_ppoll_host(struct pollfd *fds, nfds_t nfds,
			    const struct timespec *tmo,
			    const sigset_t *sigmask)
{
	return (int)sl_ret(SL_SIGNAL_CALL(do_ppoll_host(fds, nfds, tmo,
							sigmask)));
}

SL_EXPORT int sl_dup(int fd)
{
	return (int)sl_ret(do_dup(fd));
}

SL_EXPORT int sl_dup3(int oldfd, int newfd, int flags)
{
	return (int)sl_ret(do_dup3(oldfd, newfd, flags));
}

/*
 * fork child (see <sockline/socket.h>): every layer forgets its state
 * without taking a lock (another thread may have held it when fork
 * copied the process): the fd table and its placeholders, the epoll
 * locks, the stacks and their host links, the doorbells, this thread's
 * signal state.
 */
SL_EXPORT void sl_atfork_child(void)
{
	fd_atfork_child();
	eventpoll_atfork_child();
	net_atfork_child();
	sl_doorbell_atfork_child();
	signal_atfork_child();
}
