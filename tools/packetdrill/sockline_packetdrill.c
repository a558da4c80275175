/*
 * libsockline-packetdrill.so: google/packetdrill's shared-object interface
 * (packetdrill.h) on one sockline stack.
 *
 * packetdrill_interface_init builds, from the flags:
 *   a virtual clock (time moves only through usleep, gettimeofday's 1 us
 *   tick and netdev_receive), a THREADED stack on it (so a blocking call
 *   made from packetdrill's syscall thread sleeps on a condition variable
 *   while the main thread injects packets and moves time; a timeout is a
 *   timer on the stack that fires when virtual time reaches it), one pktdev
 *   "pd0" with local_ip/prefix_len and the MTU, and a route to remote_ip via
 *   gateway_ip (on-link through pd0 when the gateway is our own address,
 *   packetdrill's default, which a Linux route would refuse).
 * Each socket() first copies the net.ipv4.tcp_* sysctls of the network
 *   namespace we run in (sysctl_dir, /proc/sys/net/ipv4 by default) into
 *   the stack, so what configures Linux's TCP configures sockline's.
 * Socket calls map to sl_* calls with host-numbered fds (sl_fd_host_mode);
 *   descriptors that are not sockline's (pipes) go to the host's calls.
 * netdev_send injects one datagram to completion (pktdev_inject);
 *   netdev_receive pops the next datagram sent, running the stack's timers
 *   one by one at their own instants until one is sent, or reports length
 *   0 when no timer is left within PD_RECEIVE_HORIZON.
 *
 * Locking: pd->time_lock serialises every member that moves the clock or
 *   runs the softirq from the caller's thread (netdev_*, usleep,
 *   gettimeofday); socket calls take only the stack's own locks, so a
 *   blocked call never holds it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sockline/socket.h"
#include "sockline/sockline.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pktdev.h"

#include "packetdrill.h"

/* netdev_receive gives up when the next timer is further than this. */
#define PD_RECEIVE_HORIZON (4ULL * 3600 * NSEC_PER_SEC)
#define PD_DEFAULT_SYSCTL_DIR "/proc/sys/net/ipv4"
#define PD_MAX_CALLERS 64
/* pd_settle: consecutive looks that must find every caller asleep, and
 * the real time it gives up after (a caller that never sleeps). */
#define PD_SETTLE_LOOKS 3
#define PD_SETTLE_GIVEUP_NS (2ULL * NSEC_PER_SEC)

struct sl_pd {
	sl_clock_t *clk;
	sl_net_t *net;
	struct net_device *dev;
	pthread_mutex_t time_lock;
	char sysctl_dir[PATH_MAX];     /* "" = do not import */
	char local_ip[INET_ADDRSTRLEN];
	char remote_ip[INET_ADDRSTRLEN];
	char gateway_ip[INET_ADDRSTRLEN];
	int prefix_len;
	unsigned int mtu;
	u64 id;
	/* Threads inside a socket call (see pd_settle). */
	pthread_mutex_t calls_lock;
	pid_t calls[PD_MAX_CALLERS];
	int ncalls;
};

/*
 * The virtual instant the calling thread's last socket call returned at,
 * until its next gettimeofday reads it: packetdrill's syscall thread reads
 * the time right after a call returns, and that reading must be the call's
 * completion instant even if the main thread moved time meanwhile.
 */
static __thread u64 pd_done_ns;
static __thread u64 pd_done_set;  /* the instance's id, or 0 */
static u64 pd_ids;                /* atomic: instance ids, from 1 */

static struct sl_pd *pd_of(void *userdata)
{
	if (!userdata)
		errno = ENODEV;
	return userdata;
}

/* --- configuration ------------------------------------------------------- */

static int pd_copy_ip(char *dst, const char *val)
{
	struct in_addr a;

	if (inet_pton(AF_INET, val, &a) != 1)
		return -EINVAL;
	snprintf(dst, INET_ADDRSTRLEN, "%s", val);
	return 0;
}

static int pd_parse_flag(struct sl_pd *pd, const char *key, const char *val)
{
	char *end;
	long v;

	if (!strcmp(key, "ip_version"))
		return strcmp(val, "ipv4") ? -EAFNOSUPPORT : 0;
	if (!strcmp(key, "local_ip"))
		return pd_copy_ip(pd->local_ip, val);
	if (!strcmp(key, "remote_ip"))
		return pd_copy_ip(pd->remote_ip, val);
	if (!strcmp(key, "gateway_ip"))
		return pd_copy_ip(pd->gateway_ip, val);
	if (!strcmp(key, "sysctl_dir")) {
		snprintf(pd->sysctl_dir, sizeof(pd->sysctl_dir), "%s",
			 strcmp(val, "none") ? val : "");
		return 0;
	}
	v = strtol(val, &end, 10);
	if (*end || end == val)
		return -EINVAL;
	if (!strcmp(key, "prefix_len") && v >= 0 && v <= 32) {
		pd->prefix_len = (int)v;
		return 0;
	}
	if (!strcmp(key, "mtu") && v >= 68 && v <= 65535) {
		pd->mtu = (unsigned int)v;
		return 0;
	}
	return -EINVAL;
}

/* "k=v,k=v": every key must be known and every value valid. */
static int pd_parse_flags(struct sl_pd *pd, const char *flags)
{
	char *copy, *tok, *save = NULL, *eq;
	int err = 0;

	if (!flags || !*flags)
		return 0;
	copy = strdup(flags);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq) {
			err = -EINVAL;
			break;
		}
		*eq = '\0';
		err = pd_parse_flag(pd, tok, eq + 1);
		if (err)
			fprintf(stderr, "sockline-packetdrill: bad flag %s=%s\n",
				tok, eq + 1);
	}
	free(copy);
	return err;
}

static void pd_defaults(struct sl_pd *pd)
{
	snprintf(pd->local_ip, sizeof(pd->local_ip), "192.168.0.1");
	snprintf(pd->remote_ip, sizeof(pd->remote_ip), "192.0.2.1");
	snprintf(pd->gateway_ip, sizeof(pd->gateway_ip), "192.168.0.1");
	snprintf(pd->sysctl_dir, sizeof(pd->sysctl_dir), "%s",
		 PD_DEFAULT_SYSCTL_DIR);
	pd->prefix_len = 16;
	pd->mtu = 1500;
}

/* The stack, its device, address and route to the remote. */
static int pd_net_setup(struct sl_pd *pd)
{
	struct sl_net_config nc = { 0 };
	char cidr[64], dst[64];
	int err;

	pd->clk = sl_clock_new(true);
	if (!pd->clk)
		return -ENOMEM;
	nc.name = "packetdrill";
	nc.mode = SL_NET_THREADED;
	nc.clock = pd->clk;
	nc.seed = 1;
	pd->net = sl_net_create(&nc);
	if (!pd->net)
		return -errno;
	pd->dev = pktdev_create(pd->net, "pd0", pd->mtu, &err);
	if (!pd->dev)
		return err;
	snprintf(cidr, sizeof(cidr), "%s/%d", pd->local_ip, pd->prefix_len);
	if (sl_addr_add(pd->net, pd->dev->name, cidr))
		return -errno;
	snprintf(dst, sizeof(dst), "%s/32", pd->remote_ip);
	if (sl_route_add(pd->net, dst, pd->gateway_ip, pd->dev->name) &&
	    sl_route_add(pd->net, dst, NULL, pd->dev->name) && errno != EEXIST)
		return -errno;
	return 0;
}

/* --- sysctls from the namespace we run in ---------------------------------- */

/* "4096\t131072\t6291456\n" -> "4096 131072 6291456" */
static void pd_normalise(char *s)
{
	char *r = s, *w = s;
	bool space = false;

	while (*r == ' ' || *r == '\t' || *r == '\n')
		r++;
	for (; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n') {
			space = true;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
}

static void pd_import_one(struct sl_pd *pd, const char *name)
{
	char path[PATH_MAX + 64], val[256], key[320];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pd->sysctl_dir, name);
	f = fopen(path, "r");
	if (!f)
		return;
	n = fread(val, 1, sizeof(val) - 1, f);
	fclose(f);
	val[n] = '\0';
	pd_normalise(val);
	snprintf(key, sizeof(key), "net.ipv4.%s", name);
	/* A knob sockline lacks (ENOENT) or a value it refuses (a congestion
	 * control it does not have) leaves the stack's setting. */
	sl_sysctl_set(pd->net, key, val);
}

/*
 * Copy every net.ipv4.tcp_* the directory holds into the stack (and
 * tcp_max_syn_backlog, which has the same prefix).
 */
static void pd_import_sysctls(struct sl_pd *pd)
{
	struct dirent *de;
	DIR *d;

	if (!pd->sysctl_dir[0])
		return;
	d = opendir(pd->sysctl_dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "tcp_", 4))
			pd_import_one(pd, de->d_name);
	closedir(d);
}

/* --- callers and settling ------------------------------------------------- */

static void pd_call_enter(struct sl_pd *pd)
{
	pthread_mutex_lock(&pd->calls_lock);
	if (pd->ncalls < PD_MAX_CALLERS)
		pd->calls[pd->ncalls++] = (pid_t)syscall(SYS_gettid);
	pthread_mutex_unlock(&pd->calls_lock);
}

static void pd_call_exit(struct sl_pd *pd)
{
	pid_t me = (pid_t)syscall(SYS_gettid);
	int i;

	pd_done_ns = sl_clock_now_ns(pd->clk);
	pd_done_set = pd->id;
	pthread_mutex_lock(&pd->calls_lock);
	for (i = 0; i < pd->ncalls; i++) {
		if (pd->calls[i] == me) {
			pd->calls[i] = pd->calls[--pd->ncalls];
			break;
		}
	}
	pthread_mutex_unlock(&pd->calls_lock);
}

/* Run @expr as a socket call of @pd, keeping errno. */
#define PD_CALL(pd, expr)                                                      \
	({                                                                     \
		__typeof__(expr) r__;                                          \
		int e__;                                                       \
		pd_call_enter(pd);                                             \
		r__ = (expr);                                                  \
		e__ = errno;                                                   \
		pd_call_exit(pd);                                              \
		errno = e__;                                                   \
		r__;                                                           \
	})

/* Is thread @tid asleep ("S" in /proc/self/task/<tid>/stat)? A thread a
 * wakeup made runnable shows "R" at once, before it runs. */
static bool pd_thread_sleeping(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return true;   /* gone */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

static bool pd_callers_asleep(struct sl_pd *pd)
{
	pid_t me = (pid_t)syscall(SYS_gettid);
	bool asleep = true;
	int i;

	pthread_mutex_lock(&pd->calls_lock);
	for (i = 0; i < pd->ncalls && asleep; i++)
		if (pd->calls[i] != me && !pd_thread_sleeping(pd->calls[i]))
			asleep = false;
	pthread_mutex_unlock(&pd->calls_lock);
	return asleep;
}

/*
 * Before time moves on: let every thread inside a socket call run until it
 * sleeps again or returns, so that a call woken at instant T completes at
 * T (what it sends is stamped T, and its completion instant is T), as on
 * a real clock. Real-time waiting only while other threads are in calls.
 */
static void pd_settle(struct sl_pd *pd)
{
	struct timespec nap = { 0, 50000 };
	struct timespec t0, t;
	int looks = 0;

	pthread_mutex_lock(&pd->calls_lock);
	if (!pd->ncalls) {
		pthread_mutex_unlock(&pd->calls_lock);
		return;
	}
	pthread_mutex_unlock(&pd->calls_lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (looks < PD_SETTLE_LOOKS) {
		looks = pd_callers_asleep(pd) ? looks + 1 : 0;
		if (looks == PD_SETTLE_LOOKS)
			break;
		nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((u64)(t.tv_sec - t0.tv_sec) * NSEC_PER_SEC + (u64)t.tv_nsec -
			    (u64)t0.tv_nsec > PD_SETTLE_GIVEUP_NS)
			break;
	}
}

/* Softirq work pending now (e.g. another thread's sends), then callers. */
static void pd_drain(struct sl_pd *pd)
{
	int guard;

	for (guard = 0; net_poll_wait(pd->net) > 0 && guard < 100000; guard++)
		;
	pd_settle(pd);
}

/*
 * Move the clock to @target (>= now) timer by timer, letting the socket
 * calls each timer wakes finish at the timer's instant. time_lock held.
 */
static void pd_advance_to(struct sl_pd *pd, u64 target)
{
	u64 now, next;
	int guard;

	for (guard = 0; guard < 1000000; guard++) {
		now = sl_clock_now_ns(pd->clk);
		next = timer_base_next_expiry(pd->net->timers);
		if (next > target)
			break;
		sl_clock_advance(pd->clk, next > now ? next - now : 0);
		pd_drain(pd);
	}
	now = sl_clock_now_ns(pd->clk);
	sl_clock_advance(pd->clk, target > now ? target - now : 0);
	pd_drain(pd);
}

/* --- socket calls -------------------------------------------------------- */

static int pd_socket(void *ud, int domain, int type, int protocol)
{
	struct sl_pd *pd = pd_of(ud);

	if (!pd)
		return -1;
	pd_import_sysctls(pd);
	return PD_CALL(pd, sl_socket_net(pd->net, domain, type, protocol));
}

static int pd_bind(void *ud, int fd, const struct sockaddr *a, socklen_t l)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_bind(fd, a, l)) : -1;
}

static int pd_listen(void *ud, int fd, int backlog)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_listen(fd, backlog)) : -1;
}

static int pd_accept(void *ud, int fd, struct sockaddr *a, socklen_t *l)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_accept(fd, a, l)) : -1;
}

static int pd_connect(void *ud, int fd, const struct sockaddr *a, socklen_t l)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_connect(fd, a, l)) : -1;
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t n)
{
	if (!pd_of(ud))
		return -1;
	return sl_is_fd(fd) ? PD_CALL(pd_of(ud), sl_read(fd, buf, n))
			    : read(fd, buf, n);
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int cnt)
{
	if (!pd_of(ud))
		return -1;
	return sl_is_fd(fd) ? PD_CALL(pd_of(ud), sl_readv(fd, iov, cnt))
			    : readv(fd, iov, cnt);
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t n, int flags)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_recv(fd, buf, n, flags)) : -1;
}

static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t n, int flags,
			   struct sockaddr *a, socklen_t *l)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_recvfrom(fd, buf, n, flags, a, l)) : -1;
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_recvmsg(fd, msg, flags)) : -1;
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t n)
{
	if (!pd_of(ud))
		return -1;
	return sl_is_fd(fd) ? PD_CALL(pd_of(ud), sl_write(fd, buf, n))
			    : write(fd, buf, n);
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int cnt)
{
	if (!pd_of(ud))
		return -1;
	return sl_is_fd(fd) ? PD_CALL(pd_of(ud), sl_writev(fd, iov, cnt))
			    : writev(fd, iov, cnt);
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t n, int flags)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_send(fd, buf, n, flags)) : -1;
}

static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t n,
			 int flags, const struct sockaddr *a, socklen_t l)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_sendto(fd, buf, n, flags, a, l)) : -1;
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_sendmsg(fd, msg, flags)) : -1;
}

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if (!pd_of(ud))
		return -1;
	return sl_is_fd(fd) ? PD_CALL(pd_of(ud), sl_fcntl(fd, cmd, arg))
			    : fcntl(fd, cmd, arg);
}

static int pd_ioctl(void *ud, int fd, unsigned long request, ...)
{
	va_list ap;
	void *argp;

	va_start(ap, request);
	argp = va_arg(ap, void *);
	va_end(ap);
	if (!pd_of(ud))
		return -1;
	return sl_is_fd(fd) ? PD_CALL(pd_of(ud), sl_ioctl(fd, request, argp))
			    : ioctl(fd, request, argp);
}

static int pd_close(void *ud, int fd)
{
	if (!pd_of(ud))
		return -1;
	return sl_is_fd(fd) ? PD_CALL(pd_of(ud), sl_close(fd)) : close(fd);
}

static int pd_shutdown(void *ud, int fd, int how)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_shutdown(fd, how)) : -1;
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val,
			 socklen_t *len)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_getsockopt(fd, level, name, val, len)) : -1;
}

static int pd_setsockopt(void *ud, int fd, int level, int name,
			 const void *val, socklen_t len)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_setsockopt(fd, level, name, val, len)) : -1;
}

/* Sockline fds (timeout in virtual time); host-only sets go to the host. */
static int pd_poll(void *ud, struct pollfd *fds, nfds_t nfds, int timeout)
{
	nfds_t i;

	if (!pd_of(ud))
		return -1;
	for (i = 0; i < nfds; i++)
		if (fds[i].fd >= 0 && sl_is_fd(fds[i].fd))
			return PD_CALL(pd_of(ud), sl_poll(fds, nfds, timeout));
	return poll(fds, nfds, nfds ? timeout : 0);
}

static int pd_epoll_create(void *ud, int size)
{
	if (!pd_of(ud))
		return -1;
	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	return PD_CALL(pd_of(ud), sl_epoll_create1(0));
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd,
			struct epoll_event *ev)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_epoll_ctl(epfd, op, fd, ev)) : -1;
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *evs, int max,
			 int timeout)
{
	struct sl_pd *pd = pd_of(ud);

	return pd ? PD_CALL(pd, sl_epoll_wait(epfd, evs, max, timeout)) : -1;
}

static int pd_pipe(void *ud, int fds[2])
{
	return pd_of(ud) ? pipe(fds) : -1;
}

/*
 * splice(2) between a sockline socket and a host pipe, by copy: sockline
 * has no pipes of its own. SPLICE_F_NONBLOCK makes the socket side
 * non-blocking, as Linux's splice does for the pipe side.
 */
static int pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out,
		     loff_t *off_out, size_t len, unsigned int flags)
{
	int msg_flags = (flags & SPLICE_F_NONBLOCK) ? MSG_DONTWAIT : 0;
	char buf[65536];
	ssize_t n, w;

	if (!pd_of(ud))
		return -1;
	if (off_in || off_out) {
		errno = ESPIPE;
		return -1;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (sl_is_fd(fd_in) && !sl_is_fd(fd_out)) {
		n = PD_CALL(pd_of(ud), sl_recv(fd_in, buf, len, msg_flags));
		if (n <= 0)
			return (int)n;
		w = write(fd_out, buf, (size_t)n);
		return (int)w;
	}
	if (!sl_is_fd(fd_in) && sl_is_fd(fd_out)) {
		n = read(fd_in, buf, len);
		if (n <= 0)
			return (int)n;
		return (int)PD_CALL(pd_of(ud),
				    sl_send(fd_out, buf, (size_t)n, msg_flags));
	}
	errno = EINVAL;
	return -1;
}

/* --- the device and time -------------------------------------------------- */

static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
	struct sl_pd *pd = pd_of(ud);
	int err;

	if (!pd)
		return -1;
	pd_done_set = 0;
	pthread_mutex_lock(&pd->time_lock);
	err = pktdev_inject(pd->dev, buf, count);
	pd_settle(pd);
	pthread_mutex_unlock(&pd->time_lock);
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

static int pd_netdev_receive(void *ud, void *buf, size_t *count,
			     long long *time_usecs)
{
	struct sl_pd *pd = pd_of(ud);
	u64 start, now, next, ts = 0;
	size_t room;

	if (!pd)
		return -1;
	room = *count;
	pd_done_set = 0;
	pthread_mutex_lock(&pd->time_lock);
	start = sl_clock_now_ns(pd->clk);
	for (;;) {
		*count = room;
		if (!pktdev_pop(pd->dev, buf, count, &ts))
			break;
		pd_drain(pd);
		*count = room;
		if (!pktdev_pop(pd->dev, buf, count, &ts))
			break;
		/* Nothing sent: move to the next timer, which may send. */
		now = sl_clock_now_ns(pd->clk);
		next = timer_base_next_expiry(pd->net->timers);
		if (next == UINT64_MAX || next > start + PD_RECEIVE_HORIZON) {
			*count = 0;
			ts = now;
			break;
		}
		pd_advance_to(pd, next > now ? next : now);
	}
	pthread_mutex_unlock(&pd->time_lock);
	*time_usecs = (long long)(ts / NSEC_PER_USEC);
	return 0;
}

static int pd_usleep(void *ud, useconds_t usec)
{
	struct sl_pd *pd = pd_of(ud);

	if (!pd)
		return -1;
	pd_done_set = 0;
	pthread_mutex_lock(&pd->time_lock);
	pd_advance_to(pd, sl_clock_now_ns(pd->clk) + (u64)usec * NSEC_PER_USEC);
	pthread_mutex_unlock(&pd->time_lock);
	return 0;
}

/* Virtual time; each call moves it 1 us, since callers spin on it. */
static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
	struct sl_pd *pd = pd_of(ud);
	u64 now;

	if (!pd)
		return -1;
	pthread_mutex_lock(&pd->time_lock);
	pd_advance_to(pd, sl_clock_now_ns(pd->clk) + NSEC_PER_USEC);
	now = sl_clock_now_ns(pd->clk);
	pthread_mutex_unlock(&pd->time_lock);
	if (pd_done_set == pd->id) {
		/* The first reading after a call: its completion instant. */
		now = pd_done_ns;
	}
	pd_done_set = 0;
	if (tv) {
		tv->tv_sec = (time_t)(now / NSEC_PER_SEC);
		tv->tv_usec = (suseconds_t)((now % NSEC_PER_SEC) / NSEC_PER_USEC);
	}
	if (tz)
		memset(tz, 0, sizeof(*tz));
	return 0;
}

/* --- lifetime --------------------------------------------------------------- */

static void pd_destroy(struct sl_pd *pd)
{
	if (!pd)
		return;
	if (pd->net)
		sl_net_destroy(pd->net);
	if (pd->clk)
		sl_clock_free(pd->clk);
	pthread_mutex_destroy(&pd->time_lock);
	pthread_mutex_destroy(&pd->calls_lock);
	free(pd);
}

static void pd_free(void *ud)
{
	pd_destroy(ud);
}

static void pd_fill(struct packetdrill_interface *ifc)
{
	ifc->free = pd_free;
	ifc->socket = pd_socket;
	ifc->bind = pd_bind;
	ifc->listen = pd_listen;
	ifc->accept = pd_accept;
	ifc->connect = pd_connect;
	ifc->read = pd_read;
	ifc->readv = pd_readv;
	ifc->recv = pd_recv;
	ifc->recvfrom = pd_recvfrom;
	ifc->recvmsg = pd_recvmsg;
	ifc->write = pd_write;
	ifc->writev = pd_writev;
	ifc->send = pd_send;
	ifc->sendto = pd_sendto;
	ifc->sendmsg = pd_sendmsg;
	ifc->fcntl = pd_fcntl;
	ifc->ioctl = pd_ioctl;
	ifc->close = pd_close;
	ifc->shutdown = pd_shutdown;
	ifc->getsockopt = pd_getsockopt;
	ifc->setsockopt = pd_setsockopt;
	ifc->poll = pd_poll;
	ifc->netdev_send = pd_netdev_send;
	ifc->netdev_receive = pd_netdev_receive;
	ifc->usleep = pd_usleep;
	ifc->gettimeofday = pd_gettimeofday;
	ifc->epoll_create = pd_epoll_create;
	ifc->epoll_ctl = pd_epoll_ctl;
	ifc->epoll_wait = pd_epoll_wait;
	ifc->pipe = pd_pipe;
	ifc->splice = pd_splice;
}

/* The stack behind @ud (see packetdrill.h). */
struct net *sockline_packetdrill_net(void *ud)
{
	return ud ? ((struct sl_pd *)ud)->net : NULL;
}

/* Datagrams waiting for netdev_receive (see packetdrill.h). */
unsigned int sockline_packetdrill_queued(void *ud)
{
	return ud ? pktdev_queued(((struct sl_pd *)ud)->dev) : 0;
}

/* packetdrill's entry point (see packetdrill.h). */
SL_EXPORT void packetdrill_interface_init(const char *flags,
					  struct packetdrill_interface *ifc)
{
	struct sl_pd *pd;
	int err;

	memset(ifc, 0, sizeof(*ifc));
	pd_fill(ifc);
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return;
	pthread_mutex_init(&pd->time_lock, NULL);
	pthread_mutex_init(&pd->calls_lock, NULL);
	pd->id = __atomic_add_fetch(&pd_ids, 1, __ATOMIC_RELAXED);
	pd_defaults(pd);
	err = pd_parse_flags(pd, flags);
	if (!err && sl_fd_host_mode(true))
		err = -errno;
	if (!err)
		err = pd_net_setup(pd);
	if (err) {
		fprintf(stderr, "sockline-packetdrill: init failed: %s\n",
			strerror(-err));
		pd_destroy(pd);
		return;
	}
	ifc->userdata = pd;
}
