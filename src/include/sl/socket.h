/*
 * The BSD socket layer (src/socket/): struct socket, proto_ops, address
 * families, the fd table and poll/epoll.
 *
 *   fd --(fd table, src/socket/file.c)--> struct file --f_op--> socket_file_ops
 *      --private_data--> struct socket --ops--> proto_ops (inet_stream_ops,
 *      inet_dgram_ops, inet_sockraw_ops) --sk--> struct sock --sk_prot-->
 *      struct proto (tcp_prot, udp_prot, ping_prot, raw_prot)
 */
#ifndef SL_SOCKET_H
#define SL_SOCKET_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "sl/sock.h"
#include "sl/types.h"
#include "sl/uio.h"
#include "sl/wait.h"

struct file;
struct poll_table_struct;

/* Kernel-internal errno (never reaches the caller): "ioctl not handled
 * here, try the next layer" (added by the socket layer). */
#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD 515
#endif
typedef unsigned int __poll_t;

/* socket->state (Linux's socket_state) */
typedef enum {
	SS_FREE = 0,
	SS_UNCONNECTED,
	SS_CONNECTING,
	SS_CONNECTED,
	SS_DISCONNECTING
} socket_state;

struct socket_wq {
	struct wait_queue_head wait;
};

/* 56 bytes: narrow state and flags words (issue 3, memory per socket). */
struct socket {
	short type;                 /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW */
	u8 state;                   /* socket_state */
	unsigned int flags;         /* SOCK_NOSPACE, ... (atomic bit ops) */
	struct file *file;          /* back pointer */
	struct sock *sk;
	const struct proto_ops *ops;
	struct socket_wq wq;        /* sk->sk_wq points here */
};

struct proto_ops {
	int family;
	int (*release)(struct socket *sock);
	int (*bind)(struct socket *sock, struct sockaddr *addr, int addr_len);
	int (*connect)(struct socket *sock, struct sockaddr *addr, int addr_len,
		       int flags);
	int (*socketpair)(struct socket *a, struct socket *b);
	int (*accept)(struct socket *sock, struct socket *newsock, int flags,
		      bool kern);
	/* peer != 0: the peer's name. Returns the length or -errno. */
	int (*getname)(struct socket *sock, struct sockaddr *addr, int peer);
	__poll_t (*poll)(struct file *file, struct socket *sock,
			 struct poll_table_struct *wait);
	int (*ioctl)(struct socket *sock, unsigned int cmd, unsigned long arg);
	int (*listen)(struct socket *sock, int len);
	int (*shutdown)(struct socket *sock, int flags);
	int (*setsockopt)(struct socket *sock, int level, int optname,
			  const void *optval, socklen_t optlen);
	int (*getsockopt)(struct socket *sock, int level, int optname,
			  void *optval, socklen_t *optlen);
	int (*sendmsg)(struct socket *sock, struct sl_msghdr *m, size_t total_len);
	int (*recvmsg)(struct socket *sock, struct sl_msghdr *m, size_t total_len,
		       int flags);
};

struct net_proto_family {
	int family;
	int (*create)(struct net *net, struct socket *sock, int protocol,
		      int kern);
};

/* Register an address family's create function (AF_INET: inet_create). */
int sock_register(const struct net_proto_family *ops);
void sock_unregister(int family);

/*
 * socket(2) inside the stack: allocate a struct socket, look up the family
 * and call its create. 0 and *res, or -EAFNOSUPPORT, -EINVAL,
 * -ESOCKTNOSUPPORT, -EPROTONOSUPPORT, -EACCES, -ENOBUFS.
 */
int __sock_create(struct net *net, int family, int type, int protocol,
		  struct socket **res, int kern);
struct socket *sock_alloc(void);
void sock_release(struct socket *sock);
int sock_sendmsg(struct socket *sock, struct sl_msghdr *msg);
int sock_recvmsg(struct socket *sock, struct sl_msghdr *msg, int flags);

/* --- files and the fd table (src/socket/file.c) ---------------------------- */

struct file_operations {
	ssize_t (*read_iter)(struct file *f, struct iov_iter *to);
	ssize_t (*write_iter)(struct file *f, struct iov_iter *from);
	__poll_t (*poll)(struct file *f, struct poll_table_struct *pt);
	int (*ioctl)(struct file *f, unsigned int cmd, unsigned long arg);
	int (*release)(struct file *f);
};

struct file {
	const struct file_operations *f_op;
	void *private_data;         /* struct socket * or struct eventpoll * */
	unsigned int f_flags;       /* O_NONBLOCK, O_RDWR */
	u32 f_count;                /* atomic: fd slots + in-flight calls */
	spinlock_t f_ep_lock;       /* f_ep_links */
	struct list_head f_ep_links;/* epitems watching this file */
};

/*
 * Install @sock in the process-wide fd table: a new struct file with
 * socket_file_ops. Returns the fd or -EMFILE/-ENFILE. @flags: SOCK_NONBLOCK,
 * SOCK_CLOEXEC.
 */
int sock_map_fd(struct socket *sock, int flags);
/* fd -> socket with a reference on its file; -EBADF / -ENOTSOCK in *err. */
struct socket *sockfd_lookup(int fd, int *err);
void sockfd_put(struct socket *sock);
struct file *fget(int fd);
void fput(struct file *f);
/* Allocate an fd for @f (takes over the caller's reference). */
int fd_install_new(struct file *f, int flags);
/* Remove @fd from the table and drop its reference. 0 or -EBADF. */
int close_fd(int fd);
struct file *alloc_file(const struct file_operations *fop, void *priv,
			unsigned int flags);
/* Close every fd whose socket belongs to @net (stack teardown). */
void fd_close_net(struct net *net);

/* fd numbering: our own small integers, or real host fds as placeholders. */
enum sl_fd_mode { SL_FD_INTERNAL = 0, SL_FD_HOST = 1 };
void fd_set_mode(enum sl_fd_mode mode);
/*
 * Bound sockline's own fds (SL_FD_INTERNAL numbering) by @max instead of
 * RLIMIT_NOFILE (0: back to RLIMIT_NOFILE); at most 2^20, Linux's default
 * fs.nr_open. They are not kernel descriptors, so a process that may not
 * raise its hard limit can still hold a million sockets (issue 3's
 * million-connection test). Host-mode fds stay bounded by the kernel.
 */
void fd_set_limit(unsigned int max);

/* --- poll (src/socket/poll.c) --------------------------------------------- */

typedef void (*poll_queue_proc)(struct file *f, struct wait_queue_head *wq,
				struct poll_table_struct *pt);
struct poll_table_struct {
	poll_queue_proc _qproc;
	__poll_t _key;
};
static inline void poll_wait(struct file *f, struct wait_queue_head *wq,
			     struct poll_table_struct *p)
{
	if (p && p->_qproc && wq)
		p->_qproc(f, wq, p);
}
static inline struct wait_queue_head *sk_sleep(struct sock *sk)
{
	return sk->sk_wq;
}
/* Poll mask of a datagram socket (UDP, ping, raw), as Linux computes it. */
__poll_t datagram_poll(struct file *file, struct socket *sock,
		       struct poll_table_struct *wait);

/* --- datagram helpers (src/core/datagram.c) ------------------------------ */

/*
 * Dequeue (or peek at, with MSG_PEEK) the next datagram, waiting up to the
 * receive timeout unless MSG_DONTWAIT. Returns the skb (the caller frees it
 * with skb_free_datagram) or NULL with *err set.
 */
struct sk_buff *skb_recv_datagram(struct sock *sk, unsigned int flags,
				  int *err);
void skb_free_datagram(struct sock *sk, struct sk_buff *skb);
/* Copy @len bytes at @offset of @skb into the message's iterator. */
int skb_copy_datagram_msg(const struct sk_buff *skb, int offset,
			  struct sl_msghdr *msg, int len);
/* Copy and verify the checksum at once; -EINVAL on a bad sum. */
int skb_copy_and_csum_datagram_msg(struct sk_buff *skb, int hlen,
				   struct sl_msghdr *msg);

#endif
