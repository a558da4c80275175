/*
 * The BSD socket layer, as Linux's net/socket.c.
 *
 * socket(2) runs __sys_socket (sys.c) -> __sock_create: range checks,
 * sock_alloc, then the address family's create (net_families[family],
 * filled by sock_register; AF_INET registers inet_create from inet_init)
 * -> sock_map_fd puts the socket behind a struct file in the fd table.
 * Every later call goes fd -> file -> socket -> socket->ops (proto_ops) ->
 * sk->sk_prot (struct proto). The struct file's operations for sockets
 * (socket_file_ops) give read/write/poll/ioctl on a socket fd, and its
 * release (sock_close) runs sock_release when the last file reference goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "internal.h"
#include "sl/sock.h"
#include "sl/socket.h"

/*
 * Registered address families. Filled at library init and read on every
 * socket(2): the pointers are read and written atomically, so readers
 * take no lock.
 */
static const struct net_proto_family *net_families[AF_MAX];

/**
 * sock_register - register an address family's create function
 * @ops: the family (AF_INET: inet_family_ops with inet_create)
 *
 * Returns 0, -ENOBUFS for a family out of range, or -EEXIST when the
 * family is already registered (as Linux).
 */
int sock_register(const struct net_proto_family *ops)
{
	const struct net_proto_family *none = NULL;

	if (ops->family < 0 || ops->family >= AF_MAX)
		return -ENOBUFS;
	if (!__atomic_compare_exchange_n(&net_families[ops->family], &none, ops,
					 false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		return -EEXIST;
	return 0;
}

/**
 * sock_unregister - remove an address family
 * @family: AF_* number
 *
 * Sockets already created keep working; new socket(2) calls get
 * -EAFNOSUPPORT.
 */
void sock_unregister(int family)
{
	if (family < 0 || family >= AF_MAX)
		return;
	__atomic_store_n(&net_families[family], NULL, __ATOMIC_RELEASE);
}

/**
 * sock_alloc - allocate a bare struct socket
 *
 * The socket has no ops and no sock yet; its wait queue is ready (the sock
 * will point sk_wq at it). Returns NULL when out of memory.
 */
struct socket *sock_alloc(void)
{
	struct socket_alloc *sa = calloc(1, sizeof(*sa));
	struct socket *sock;

	if (!sa)
		return NULL;
	sock = &sa->socket;
	sock->state = SS_UNCONNECTED;
	init_waitqueue_head(&sock->wq.wait);
	return sock;
}

/**
 * sock_release - close a socket and free it
 * @sock: the socket; its file (if any) is going away
 *
 * Calls the family's release (inet_release -> sk_prot->close), which
 * orphans and drops the sock. Called by the file's release when the last
 * file reference goes, or directly for a socket that never got a file.
 */
void sock_release(struct socket *sock)
{
	const struct proto_ops *ops = sock->ops;
	/* Its file (the one in our allocation) is being released: __fput
	 * frees the memory once we return. */
	bool has_file = sock->file != NULL;

	if (ops) {
		ops->release(sock);
		sock->sk = NULL;
		sock->ops = NULL;
	}
	sock->file = NULL;
	/*
	 * Linux frees the socket after an RCU grace period so that a waker
	 * that read sk->sk_wq just before sock_orphan() cleared it is done.
	 * We have no RCU: destroying the queue takes its lock, so a __wake_up
	 * already inside the queue has left it before the memory goes.
	 */
	destroy_waitqueue_head(&sock->wq.wait);
	if (!has_file)
		free(SOCKET_ALLOC(sock));
}

/**
 * __sock_create - socket(2) inside the stack
 * @net: the stack the socket belongs to
 * @family: AF_*, @type: SOCK_* without flag bits, @protocol: IPPROTO_*
 * @res: the new socket on success
 * @kern: nonzero for sockets the stack makes for itself
 *
 * Returns 0, or (as Linux's __sock_create) -EAFNOSUPPORT for a family out
 * of range or not registered, -EINVAL for a type out of range, -ENFILE
 * when no socket can be allocated, or the family create's error
 * (-ESOCKTNOSUPPORT, -EPROTONOSUPPORT, -EACCES, -ENOBUFS...).
 */
int __sock_create(struct net *net, int family, int type, int protocol,
		  struct socket **res, int kern)
{
	const struct net_proto_family *pf;
	struct socket *sock;
	int err;

	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type > SOCK_PACKET)
		return -EINVAL;
	/* Linux: SOCK_PACKET on AF_INET is the old form of AF_PACKET. */
	if (family == AF_INET && type == SOCK_PACKET)
		family = AF_PACKET;
	if (!net)
		return -ENONET;

	sock = sock_alloc();
	if (!sock)
		return -ENFILE;
	sock->type = (short)type;

	err = -EAFNOSUPPORT;
	pf = __atomic_load_n(&net_families[family], __ATOMIC_ACQUIRE);
	if (!pf)
		goto out_release;

	err = pf->create(net, sock, protocol, kern);
	if (err < 0)
		goto out_ops_put;
	*res = sock;
	return 0;

out_ops_put:
	/* create failed: it already released the sock; skip ops->release. */
	sock->ops = NULL;
out_release:
	sock_release(sock);
	return err;
}

/**
 * sock_sendmsg - hand a message to the socket's family
 * @sock: the socket, @msg: the message (iterator over the caller's data)
 *
 * Returns the bytes sent or -errno. The caller keeps the user memory; the
 * protocol copies out of it once.
 */
int sock_sendmsg(struct socket *sock, struct sl_msghdr *msg)
{
	return sock->ops->sendmsg(sock, msg, iov_iter_count(&msg->msg_iter));
}

/**
 * sock_recvmsg - receive through the socket's family
 * @flags: MSG_* receive flags (MSG_DONTWAIT added by the caller for
 *         O_NONBLOCK files)
 *
 * Returns the bytes received (or the datagram's length with MSG_TRUNC) or
 * -errno.
 */
int sock_recvmsg(struct socket *sock, struct sl_msghdr *msg, int flags)
{
	return sock->ops->recvmsg(sock, msg, iov_iter_count(&msg->msg_iter),
				  flags);
}

/* The socket behind @f, or NULL for an epoll file (Linux's sock_from_file). */
struct socket *sock_from_file(struct file *f)
{
	if (f->f_op != &socket_file_ops)
		return NULL;
	return f->private_data;
}

/* read(2)/readv(2) on a socket: recvmsg with flags 0 (Linux's sock_read_iter). */
static ssize_t sock_read_iter(struct file *f, struct iov_iter *to)
{
	struct socket *sock = f->private_data;
	struct sl_msghdr msg = { .msg_iter = *to };
	int flags = 0;
	ssize_t res;

	if (READ_ONCE(f->f_flags) & O_NONBLOCK)
		flags = MSG_DONTWAIT;
	/* read(2) of 0 bytes returns 0 and leaves any datagram queued. */
	if (!iov_iter_count(to))
		return 0;
	res = sock_recvmsg(sock, &msg, flags);
	*to = msg.msg_iter;
	return res;
}

/* write(2)/writev(2) on a socket: sendmsg with flags 0 (sock_write_iter). */
static ssize_t sock_write_iter(struct file *f, struct iov_iter *from)
{
	struct socket *sock = f->private_data;
	struct sl_msghdr msg = { .msg_iter = *from };
	ssize_t res;

	if (READ_ONCE(f->f_flags) & O_NONBLOCK)
		msg.msg_flags = MSG_DONTWAIT;
	if (sock->type == SOCK_SEQPACKET)
		msg.msg_flags |= MSG_EOR;
	res = sock_sendmsg(sock, &msg);
	*from = msg.msg_iter;
	return res;
}

/* poll: the family's poll (datagram_poll for UDP, ping and raw). */
static __poll_t sock_poll(struct file *f, struct poll_table_struct *pt)
{
	struct socket *sock = f->private_data;

	if (!sock->ops || !sock->ops->poll)
		return 0;
	return sock->ops->poll(f, sock, pt);
}

/*
 * ioctl on a socket (Linux's sock_ioctl -> sock_do_ioctl): the family's
 * ioctl; what it does not know is not a device ioctl either here, so
 * -ENOIOCTLCMD becomes -ENOTTY as dev_ioctl returns for unknown commands.
 */
static int sock_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct socket *sock = f->private_data;
	int err;

	err = sock->ops->ioctl ? sock->ops->ioctl(sock, cmd, arg) : -ENOTTY;
	if (err == -ENOIOCTLCMD)
		err = -ENOTTY;
	return err;
}

/* The last file reference went: release the socket (Linux's sock_close). */
static int sock_close(struct file *f)
{
	struct socket *sock = f->private_data;

	f->private_data = NULL;
	if (sock)
		sock_release(sock);
	return 0;
}

const struct file_operations socket_file_ops = {
	.read_iter = sock_read_iter,
	.write_iter = sock_write_iter,
	.poll = sock_poll,
	.ioctl = sock_ioctl,
	.release = sock_close,
};
