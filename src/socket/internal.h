/*
 * Private glue between the files of the socket layer (src/socket/): the
 * socket file operations, the epoll hooks that the fd table calls when a
 * file dies, close-on-exec bits, and the sleeper that poll and epoll_wait
 * share. Nothing here is used outside src/socket/.
 */
#ifndef SL_SOCKET_INTERNAL_H
#define SL_SOCKET_INTERNAL_H

#include "sl/net_namespace.h"
#include "sl/socket.h"
#include "sl/timer.h"
#include "sl/wait.h"

/* Linux's MAX_RW_COUNT (INT_MAX & PAGE_MASK): one call moves at most this. */
#define SL_MAX_RW_COUNT 0x7ffff000L
/* Linux's UIO_MAXIOV. */
#define SL_UIO_MAXIOV 1024

/*
 * A socket and the file that will hold it, in one allocation (issue 3:
 * one malloc chunk instead of two per connection; Linux's socket_alloc
 * pairs the socket with its inode). sock_alloc allocates it; the file is
 * used once sock_map_fd gives the socket an fd, and then the file's last
 * reference frees the whole (__fput), else sock_release does.
 */
struct socket_alloc {
	struct socket socket;
	struct file file;
};
#define SOCKET_ALLOC(sock) container_of(sock, struct socket_alloc, socket)

/* src/socket/socket.c */
extern const struct file_operations socket_file_ops;
/* The socket behind @f, or NULL when @f is not a socket (Linux's sock_from_file). */
struct socket *sock_from_file(struct file *f);

/* src/socket/eventpoll.c */
bool is_file_epoll(const struct file *f);
/* The last reference to @f went: drop it from every epoll set (f_ep_links). */
void eventpoll_release(struct file *f);
/* The stack whose sockets an epoll instance watches (the first one found). */
struct net *ep_file_net(struct file *f);

/* src/socket/file.c */
/* Close-on-exec bit of @fd: 0/1, or -EBADF. */
int fd_get_cloexec(int fd);
int fd_set_cloexec(int fd, bool on);
/* Take one more reference to a file the caller already holds. */
void get_file(struct file *f);
int fd_host_mode(bool on);
int do_fcntl(int fd, int cmd, long arg);
int do_vfs_ioctl(int fd, unsigned long request, void *argp);

/* The sys_* bodies of poll.c and eventpoll.c: 0/count or -errno. */
int do_sys_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int do_epoll_create(int flags);
int do_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int do_epoll_wait(int epfd, struct epoll_event *events, int maxevents,
		  int timeout);

/*
 * src/socket/poll.c: one blocked poll()/epoll_wait() call.
 *
 * The caller notes the stack of every socket it watches; the sleeper then
 * waits on the first stack's clock (virtual or real): a timer on that stack
 * fires at the deadline, and net_wait() sleeps (threaded stacks) or drives
 * every stack on the clock (polled stacks). When the sockets belong to
 * stacks on different clocks, or there is no socket at all, the timeout is
 * real time (CLOCK_MONOTONIC) and polled stacks on the noted clocks are
 * polled between short sleeps.
 */
#define POLL_SLEEPER_CLOCKS 4
struct poll_sleeper {
	struct sl_waiter waiter;      /* woken by pollwake/ep wakeups */
	struct net *net;              /* first stack noted, or NULL */
	struct sl_clock *clocks[POLL_SLEEPER_CLOCKS];
	int nclocks;
	bool mixed;                   /* stacks on more than one clock */
	int timeout_ms;               /* < 0: forever */
	u64 real_deadline;            /* CLOCK_MONOTONIC ns, 0 = none */
	u64 net_deadline;             /* on net's clock, UINT64_MAX = none */
	bool armed;                   /* timer pending on net */
	bool timed_out;               /* atomic: the deadline has passed */
	struct timer_list timer;
};

void poll_sleeper_init(struct poll_sleeper *s, int timeout_ms);
/* Remember that a socket of @net is watched (NULL: ignore). */
void poll_sleeper_note(struct poll_sleeper *s, struct net *net);
/* The stack a file's waits go through (socket or epoll), or NULL. */
struct net *file_net(struct file *f);
/* Sleep until woken or the deadline. Returns false once timed out. */
bool poll_sleeper_sleep(struct poll_sleeper *s);
bool poll_sleeper_expired(struct poll_sleeper *s);
void poll_sleeper_destroy(struct poll_sleeper *s);

#endif
