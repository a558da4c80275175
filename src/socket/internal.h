/*
 * Private glue between the files of the socket layer (src/socket/): the
 * socket file operations, the epoll hooks that the fd table calls when a
 * file dies, close-on-exec bits, and the sleeper that poll and epoll_wait
 * share. Nothing here is used outside src/socket/.
 */
#ifndef SL_SOCKET_INTERNAL_H
#define SL_SOCKET_INTERNAL_H

#include <signal.h>

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
/* An epoll file whose kernel placeholder watches kernel fds (host mode). */
bool file_epoll_has_kernel(struct file *f);
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
int do_dup(int fd);
int do_dup3(int oldfd, int newfd, int flags);
/* Epoll files' placeholders (see file.c): a new kernel epoll instance
 * in host mode (*@host), or the kernel epoll fd @hfd itself. */
int fd_install_epoll(struct file *f, int flags, bool *host);
int fd_install_host(struct file *f, int hfd, int flags);
/* sl_atfork_child's parts: an empty fd table, fresh epoll locks. */
void fd_atfork_child(void);
void eventpoll_atfork_child(void);

/* The sys_* bodies of poll.c and eventpoll.c: 0/count or -errno. */
int do_sys_poll(struct pollfd *fds, nfds_t nfds, int timeout);
int do_ppoll_host(struct pollfd *fds, nfds_t nfds, const struct timespec *tmo,
		  const sigset_t *sigmask);
int do_epoll_create(int flags);
int do_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int do_epoll_wait(int epfd, struct epoll_event *events, int maxevents,
		  int timeout);
int do_epoll_pwait(int epfd, struct epoll_event *events, int maxevents,
		   int timeout, const sigset_t *sigmask);
int do_epoll_adopt(int epfd);

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
	bool polled;                  /* some noted stack has no thread */
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
/*
 * Sleep in the kernel: until a sockline wakeup (through the thread's
 * doorbell), one of the @n kernel descriptors of @kfds is ready, a signal
 * or the deadline (real time). @kfds has room for @n + 1 entries (the
 * doorbell goes last). Returns how many of the @n have revents, 0 (woken
 * or out of time: look again), -EINTR, or another -errno.
 */
int poll_sleeper_sleep_kernel(struct poll_sleeper *s, struct pollfd *kfds,
			      nfds_t n);
bool poll_sleeper_expired(struct poll_sleeper *s);
void poll_sleeper_destroy(struct poll_sleeper *s);
/* ppoll/epoll_pwait's temporary signal mask (@mask NULL: none). */
int poll_set_sigmask(const sigset_t *mask, sigset_t *old);
void poll_restore_sigmask(const sigset_t *mask, const sigset_t *old);

#endif
