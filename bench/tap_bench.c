/*
 * Real links (issue 4): sockline, lwIP and the Linux kernel, each facing
 * the kernel's own stack, in the same run, with ratios and the targets.
 *
 * The process first moves into a network namespace of its own (root), so
 * every device, address and kernel socket it makes vanishes with it.
 * In each leg the stack under test (X) serves echo (7), discard (9), a
 * one-shot echo (13: one byte back, then close after the client's close)
 * and an endless source (19); the kernel (K, this namespace) is the
 * client. Legs:
 *   tap       sockline, threaded stack, on a TAP with IFF_VNET_HDR (TSO/GSO
 *             super-segments and partial checksums both ways);
 *   tap1500   the same with the offloads off: every frame <= 1514 bytes;
 *   veth      the kernel in a second namespace, over a veth pair with the
 *             same MTU (1500), default offloads (TSO, GSO, checksums);
 *   veth1500  the same with every offload off (ethtool -K);
 *   lwip      Debian's lwIP (liblwip-dev) on a TAP, raw-API servers in
 *             the thread that runs lwIP, in the helper program
 *             bench/lwip_tap.c (see there why apart);
 *   lwipsock  the same with lwIP's socket API in blocking threads.
 * (lwIP is compared at its best: each figure the better of the two.)
 * Measured in each: bulk K->X and X->K (Gbit/s, one flow: the receiver's
 * bytes over the time they took), 1-byte request/response RTT (us) and
 * connections/s (connect, one byte each way, close) with K as the client,
 * then (not lwIP) RTT and connections/s with X as the client of K's
 * servers. Targets: sockline >= 3x lwIP each direction, >= 0.5x kernel to
 * kernel throughput, RTT <= kernel to kernel.
 *
 * usage: tap_bench [seconds-per-test] [legs] [tests]
 *   legs: "all" (default) or some of tap,tap1500,veth,veth1500,lwip,lwipsock;
 *   tests: "all" (default) or some of rx,tx,rtt,conn; comma-separated, e.g.
 *   `tap_bench 5 tap1500 tx` to profile one path alone. A full run takes
 *   about 32 x seconds-per-test (a minute at the default 2 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"

enum { P_ECHO = 7, P_DISCARD = 9, P_ONESHOT = 13, P_SOURCE = 19 };

static double secs_per_test = 2.0;
static const char *only;
static int ns_main = -1;     /* this process's own namespace (K) */

static const char *only_tests;

/* Is @name in the comma-separated @list (everything is when NULL)? */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!p)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static bool want(const char *leg)
{
	return listed(only, leg);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Run a shell command in the calling thread's namespace; its status. */
static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* Write a sysctl of the calling thread's namespace. */
static void sysctl_w(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "tap_bench: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * The same knobs in every namespace and stack: connection-rate tests make
 * tens of thousands of connections to one peer, more than the default
 * port range holds while they sit in TIME_WAIT.
 */
static void kernel_ns_setup(void)
{
	sh("ip link set lo up");
	sysctl_w("/proc/sys/net/ipv4/ip_local_port_range", "1024 65535");
	sysctl_w("/proc/sys/net/ipv4/tcp_tw_reuse", "1");
}

static int ns_self(void)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("/proc/thread-self/ns/net");
	return fd;
}

static void ns_enter(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns");
}

/* --- socket operations, for either implementation --------------------- */

struct sockops {
	int (*socket)(void *ctx);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*shutdown)(int, int);
	int (*close)(int);
	void *ctx;
};

static int k_socket(void *ctx)
{
	(void)ctx;
	return socket(AF_INET, SOCK_STREAM, 0);
}
static int k_connect(int fd, const struct sockaddr *a, socklen_t l)
{
	return connect(fd, a, l);
}
static int k_accept(int fd, struct sockaddr *a, socklen_t *l)
{
	return accept(fd, a, l);
}

static const struct sockops kernel_ops = {
	.socket = k_socket, .connect = k_connect, .bind = bind,
	.listen = listen, .accept = k_accept, .send = send, .recv = recv,
	.setsockopt = setsockopt, .shutdown = shutdown, .close = close,
};

static int s_socket(void *ctx)
{
	return sl_socket_net(ctx, AF_INET, SOCK_STREAM, 0);
}

static struct sockops sockline_ops(sl_net_t *net)
{
	struct sockops o = {
		.socket = s_socket, .connect = sl_connect, .bind = sl_bind,
		.listen = sl_listen, .accept = sl_accept, .send = sl_send,
		.recv = sl_recv, .setsockopt = sl_setsockopt,
		.shutdown = sl_shutdown, .close = sl_close, .ctx = net,
	};
	return o;
}

static struct sockaddr_in sin_of(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* A client socket that gives up after 10 s rather than hang the run. */
static int client_socket(const struct sockops *o, const struct sockaddr_in *to,
			 bool nodelay)
{
	struct timeval tv = { .tv_sec = 10 };
	int fd = o->socket(o->ctx), one = 1;

	if (fd < 0)
		return -1;
	o->setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	o->setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (nodelay)
		o->setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o->connect(fd, (const struct sockaddr *)to, sizeof(*to))) {
		o->close(fd);
		return -1;
	}
	return fd;
}

/* --- servers (the stack under test, or K for the reverse tests) ---------- */

#define BULK (1 << 20)

struct server {
	struct sockops o;
	int port, lfd;
	volatile int stop;
	pthread_t th;
	char *buf;
};

static void serve_one(struct server *s, int fd)
{
	const struct sockops *o = &s->o;
	int one = 1;
	ssize_t n;

	switch (s->port) {
	case P_ECHO:
		o->setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while ((n = o->recv(fd, s->buf, 256, 0)) > 0)
			if (o->send(fd, s->buf, (size_t)n, MSG_NOSIGNAL) != n)
				break;
		break;
	case P_ONESHOT:
		/* The client closes first: TIME_WAIT stays on its side, as
		 * in most request/response protocols. */
		o->setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (o->recv(fd, s->buf, 1, 0) == 1 &&
		    o->send(fd, s->buf, 1, MSG_NOSIGNAL) == 1)
			o->recv(fd, s->buf, 1, 0);
		break;
	case P_DISCARD:
		while (o->recv(fd, s->buf, BULK, 0) > 0)
			;
		break;
	case P_SOURCE:
		while (o->send(fd, s->buf, BULK, MSG_NOSIGNAL) > 0)
			;
		break;
	}
}

/* One connection at a time, until told to stop (and woken by a connect). */
static void *server_main(void *arg)
{
	struct server *s = arg;
	int fd;

	while (!s->stop) {
		fd = s->o.accept(s->lfd, NULL, NULL);
		if (fd < 0) {
			usleep(1000);
			continue;
		}
		if (!s->stop)
			serve_one(s, fd);
		s->o.close(fd);
	}
	return NULL;
}

/* Listen on @port (any address) in the calling thread's namespace. */
static void server_start(struct server *s, const struct sockops *o, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->port = port;
	s->buf = malloc(BULK);
	if (!s->buf)
		die("malloc");
	memset(s->buf, 'x', BULK);
	s->lfd = o->socket(o->ctx);
	if (s->lfd < 0)
		die("server socket");
	o->setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o->bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    o->listen(s->lfd, 4096))
		die("server bind/listen");
	if (pthread_create(&s->th, NULL, server_main, s))
		die("pthread_create");
}

/* Stop: flag, then one connection from K (this thread) to wake accept. */
static void server_stop(struct server *s, const char *ip)
{
	struct sockaddr_in a = sin_of(ip, s->port);
	int fd;

	s->stop = 1;
	fd = client_socket(&kernel_ops, &a, false);
	pthread_join(s->th, NULL);
	if (fd >= 0)
		close(fd);
	s->o.close(s->lfd);
	free(s->buf);
}

/* The four servers of a stack under test. */
struct servers {
	struct server echo, discard, oneshot, source;
};

static void servers_start(struct servers *v, const struct sockops *o)
{
	server_start(&v->echo, o, P_ECHO);
	server_start(&v->discard, o, P_DISCARD);
	server_start(&v->oneshot, o, P_ONESHOT);
	server_start(&v->source, o, P_SOURCE);
}

static void servers_stop(struct servers *v, const char *ip)
{
	server_stop(&v->echo, ip);
	server_stop(&v->discard, ip);
	server_stop(&v->oneshot, ip);
	server_stop(&v->source, ip);
}

/* --- clients: the measurements --------------------------------------------- */

static char cbuf[BULK];

/* Bulk to @to's discard server: bytes over the time until it closed after
 * our FIN, so every byte counted has arrived. Gbit/s, or -1. */
static double push_gbps(const struct sockops *o, const char *ip)
{
	struct sockaddr_in to = sin_of(ip, P_DISCARD);
	unsigned long long sent = 0;
	double t0, t;
	ssize_t n;
	int fd;

	if (!listed(only_tests, "rx"))
		return -1;
	fd = client_socket(o, &to, false);
	if (fd < 0)
		return -1;
	t0 = now_s();
	do {
		n = o->send(fd, cbuf, sizeof(cbuf), MSG_NOSIGNAL);
		if (n > 0)
			sent += (unsigned long long)n;
		t = now_s();
	} while (n > 0 && t - t0 < secs_per_test);
	o->shutdown(fd, SHUT_WR);
	while ((n = o->recv(fd, cbuf, sizeof(cbuf), 0)) > 0)
		;
	t = now_s();
	o->close(fd);
	return n < 0 ? -1 : (double)sent * 8 / (t - t0) / 1e9;
}

/* Bulk from @ip's source server for the test's duration. Gbit/s, or -1. */
static double pull_gbps(const struct sockops *o, const char *ip)
{
	struct sockaddr_in from = sin_of(ip, P_SOURCE);
	unsigned long long got = 0;
	double t0, t;
	ssize_t n;
	int fd;

	if (!listed(only_tests, "tx"))
		return -1;
	fd = client_socket(o, &from, false);
	if (fd < 0)
		return -1;
	t0 = now_s();
	do {
		n = o->recv(fd, cbuf, sizeof(cbuf), 0);
		if (n > 0)
			got += (unsigned long long)n;
		t = now_s();
	} while (n > 0 && t - t0 < secs_per_test);
	o->close(fd);
	return n <= 0 ? -1 : (double)got * 8 / (t - t0) / 1e9;
}

/* Mean round trip of 1 byte each way through @ip's echo server, in us. */
static double rtt_us(const struct sockops *o, const char *ip)
{
	struct sockaddr_in to = sin_of(ip, P_ECHO);
	unsigned long n = 0;
	double t0, t;
	char c = 'x';
	int fd;

	if (!listed(only_tests, "rtt"))
		return -1;
	fd = client_socket(o, &to, true);
	if (fd < 0)
		return -1;
	t0 = now_s();
	do {
		for (int i = 0; i < 100; i++, n++)
			if (o->send(fd, &c, 1, MSG_NOSIGNAL) != 1 ||
			    o->recv(fd, &c, 1, 0) != 1) {
				o->close(fd);
				return -1;
			}
		t = now_s();
	} while (t - t0 < secs_per_test);
	o->close(fd);
	return (t - t0) / (double)n * 1e6;
}

/* Connections/s to @ip's one-shot server: connect, 1 byte each way, close. */
static double conn_per_s(const struct sockops *o, const char *ip)
{
	struct sockaddr_in to = sin_of(ip, P_ONESHOT);
	unsigned long n = 0;
	double t0 = now_s(), t;
	char c = 'x';
	int fd;

	if (!listed(only_tests, "conn"))
		return -1;
	do {
		fd = client_socket(o, &to, true);
		if (fd < 0 || o->send(fd, &c, 1, MSG_NOSIGNAL) != 1 ||
		    o->recv(fd, &c, 1, 0) != 1) {
			fprintf(stderr, "tap_bench: connection %lu: %s\n", n,
				strerror(errno));
			if (fd >= 0)
				o->close(fd);
			return -1;
		}
		o->close(fd);
		n++;
		t = now_s();
	} while (t - t0 < secs_per_test);
	return (double)n / (t - t0);
}

/* --- legs -------------------------------------------------------------------- */

enum leg { L_TAP, L_TAP1500, L_VETH, L_VETH1500, L_LWIP, L_LWIPSOCK, L_NR };

static const char *const leg_key[L_NR] = {
	"tap", "tap1500", "veth", "veth1500", "lwip", "lwipsock",
};
static const char *const leg_title[L_NR] = {
	"sockline, TAP, offloads on", "sockline, TAP, 1500-byte frames",
	"kernel, veth, offloads on", "kernel, veth, 1500-byte frames",
	"lwIP, TAP, raw API", "lwIP, TAP, socket API",
};

struct result {
	bool ran;
	double rx, tx;              /* Gbit/s: K -> X, X -> K */
	double rtt_k, conn_k;       /* K the client, X the server */
	double rtt_x, conn_x;       /* X the client of K's servers (not lwIP) */
	double frame_in, frame_out; /* sockline: mean data frame, rx and tx */
};

static struct result res[L_NR];
static struct servers kservers;  /* K's echo and one-shot, for X clients */

static void measure_from_kernel(struct result *r, const char *x_ip)
{
	r->rx = push_gbps(&kernel_ops, x_ip);
	r->tx = pull_gbps(&kernel_ops, x_ip);
	r->rtt_k = rtt_us(&kernel_ops, x_ip);
	r->conn_k = conn_per_s(&kernel_ops, x_ip);
	r->rtt_x = r->conn_x = -1;
	r->ran = true;
}

static double per(uint64_t bytes, uint64_t packets)
{
	return packets ? (double)bytes / (double)packets : 0;
}

/* sockline on a TAP it creates, the kernel's address on the host side. */
static void leg_sockline(struct result *r, const char *tap, int offload,
			 const char *host_cidr, const char *host_ip,
			 const char *our_cidr, const char *our_ip)
{
	struct sl_net_config nc = { .name = tap, .mode = SL_NET_THREADED };
	struct sl_dev_config dc = { .offload = offload, .mtu = 1500 };
	struct sl_link_stats st0, st1, st2;
	struct servers v;
	struct sockops o;
	char spec[32];
	sl_net_t *net;
	int ifindex;

	snprintf(spec, sizeof(spec), "tap:%s", tap);
	dc.spec = spec;
	net = sl_net_create(&nc);
	if (!net || sl_dev_attach(net, &dc, &ifindex) ||
	    sl_addr_add(net, tap, our_cidr) ||
	    sl_sysctl_set(net, "net.ipv4.ip_local_port_range", "1024 65535") ||
	    sl_sysctl_set(net, "net.ipv4.tcp_tw_reuse", "1") ||
	    sh("ip addr add %s dev %s", host_cidr, tap))
		die("sockline on a TAP");
	o = sockline_ops(net);
	servers_start(&v, &o);
	/* the mean size of the data frames each way, from the TAP's counters */
	sl_link_stats(net, tap, &st0);
	r->rx = push_gbps(&kernel_ops, our_ip);
	sl_link_stats(net, tap, &st1);
	r->tx = pull_gbps(&kernel_ops, our_ip);
	sl_link_stats(net, tap, &st2);
	r->frame_in = per(st1.rx_bytes - st0.rx_bytes, st1.rx_packets - st0.rx_packets);
	r->frame_out = per(st2.tx_bytes - st1.tx_bytes, st2.tx_packets - st1.tx_packets);
	r->rtt_k = rtt_us(&kernel_ops, our_ip);
	r->conn_k = conn_per_s(&kernel_ops, our_ip);
	r->ran = true;
	r->rtt_x = rtt_us(&o, host_ip);
	r->conn_x = conn_per_s(&o, host_ip);
	servers_stop(&v, our_ip);
	sl_net_destroy(net);
}

/*
 * The kernel facing itself: a second namespace (made by unshare in this
 * thread, which then returns to ours) holds the veth's other end and the
 * servers; both ends MTU 1500, 10.9.3.0/24 and 10.9.4.0/24 on both.
 */
static int ns_peer = -1;

static bool veth_up(void)
{
	if (ns_peer >= 0)
		return true;
	if (unshare(CLONE_NEWNET)) {
		perror("tap_bench: unshare");
		return false;
	}
	ns_peer = ns_self();
	kernel_ns_setup();
	ns_enter(ns_main);
	if (sh("ip link add sltbv0 mtu 1500 type veth peer name sltbv1 mtu 1500 "
	       "netns /proc/%d/fd/%d", (int)getpid(), ns_peer) ||
	    sh("ip addr add 10.9.3.1/24 dev sltbv0 && ip addr add 10.9.4.1/24 "
	       "dev sltbv0 && ip link set sltbv0 up"))
		return false;
	ns_enter(ns_peer);
	if (sh("ip addr add 10.9.3.2/24 dev sltbv1 && ip addr add 10.9.4.2/24 "
	       "dev sltbv1 && ip link set sltbv1 up")) {
		ns_enter(ns_main);
		return false;
	}
	ns_enter(ns_main);
	return true;
}

/* Every offload off on both ends: frames <= 1514 bytes (for good: the
 * legs run in order, veth before veth1500). */
static bool veth_offloads_off(void)
{
#define ETHTOOL_OFF "ethtool -K %s tso off gso off gro off tx off rx off " \
		    "sg off >/dev/null 2>&1"
	int rc;

	rc = sh(ETHTOOL_OFF, "sltbv0");
	ns_enter(ns_peer);
	rc |= sh(ETHTOOL_OFF, "sltbv1");
	ns_enter(ns_main);
	return rc == 0;
}

/* Each leg on a subnet of its own: the other's TIME_WAIT sockets (see
 * leg_lwip) are towards other addresses. */
static void leg_veth(struct result *r, bool offloads)
{
	const char *k_ip = offloads ? "10.9.3.1" : "10.9.4.1";
	const char *x_ip = offloads ? "10.9.3.2" : "10.9.4.2";
	struct servers v;

	if (!veth_up()) {
		fprintf(stderr, "tap_bench: no veth pair (iproute2?)\n");
		return;
	}
	if (!offloads && !veth_offloads_off()) {
		fprintf(stderr, "tap_bench: ethtool -K failed (ethtool?)\n");
		return;
	}
	ns_enter(ns_peer);
	servers_start(&v, &kernel_ops);
	ns_enter(ns_main);
	measure_from_kernel(r, x_ip);
	ns_enter(ns_peer);
	r->rtt_x = rtt_us(&kernel_ops, k_ip);
	r->conn_x = conn_per_s(&kernel_ops, k_ip);
	ns_enter(ns_main);
	servers_stop(&v, x_ip);
}

/*
 * lwIP: bench/lwip_tap on a TAP made here (persistent until deleted, so
 * that the host side can be up and addressed before lwIP attaches). Each
 * mode has a subnet of its own: the previous one's connection test left
 * tens of thousands of TIME_WAIT sockets towards its address (lwIP sends
 * no timestamps, so they cannot be reused), and connect(2) would crawl
 * through them looking for a free port.
 */
#ifdef SL_LWIP_TAP
static void leg_lwip(struct result *r, const char *mode, int subnet)
{
	int to_child[2], from_child[2];
	char line[32] = "", tap[16], ip[16], cidr[20];
	FILE *in;
	pid_t pid;

	snprintf(tap, sizeof(tap), "sltbl%d", subnet);
	snprintf(ip, sizeof(ip), "10.9.%d.2", subnet);
	snprintf(cidr, sizeof(cidr), "%s/24", ip);
	if (sh("ip tuntap add dev %s mode tap && ip link set %s mtu 1500 up"
	       " && ip addr add 10.9.%d.1/24 dev %s", tap, tap, subnet, tap))
		return;
	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(to_child[0], 0);
		dup2(from_child[1], 1);
		execl(SL_LWIP_TAP, "lwip_tap", tap, cidr, mode, (char *)NULL);
		perror(SL_LWIP_TAP);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	in = fdopen(from_child[0], "r");
	if (in && fgets(line, sizeof(line), in) && !strcmp(line, "ready\n"))
		measure_from_kernel(r, ip);
	else
		fprintf(stderr, "tap_bench: lwip_tap did not start\n");
	close(to_child[1]);  /* lwip_tap exits at EOF */
	waitpid(pid, NULL, 0);
	if (in)
		fclose(in);
	sh("ip link del %s", tap);
}
#else
static void leg_lwip(struct result *r, const char *mode, int subnet)
{
	(void)r;
	(void)mode;
	(void)subnet;
	fprintf(stderr, "tap_bench: built without lwIP (liblwip-dev missing)\n");
}
#endif

/* --- output and main ----------------------------------------------------------- */

static void cell(double v)
{
	if (v < 0 || isnan(v))
		printf(" %9s", "-");
	else if (v >= 1000)
		printf(" %9.0f", v);
	else
		printf(" %9.2f", v);
}

static void print_leg(enum leg l)
{
	const struct result *r = &res[l];

	printf("  %-32s", leg_title[l]);
	cell(r->rx);
	cell(r->tx);
	cell(r->rtt_k);
	cell(r->rtt_x);
	cell(r->conn_k);
	cell(r->conn_x);
	printf("\n");
	fflush(stdout);
}

/* @x against @ref: the ratio, and ok/MISSED when there is a target. */
static void row(const char *what, double x, double ref, const char *unit,
		double target, bool higher_better)
{
	double ratio;
	bool ok;

	if (x < 0 || ref <= 0) {
		printf("  %-46s %9s %9s %-7s (not measured)\n", what, "-", "-", unit);
		return;
	}
	ratio = x / ref;
	ok = higher_better ? ratio >= target : ratio <= target;
	printf("  %-46s %9.2f %9.2f %-7s %6.2fx", what, x, ref, unit, ratio);
	if (target > 0)
		printf("  (target %s%.1fx) %s\n", higher_better ? ">=" : "<=",
		       target, ok ? "ok" : "MISSED");
	else
		printf("\n");
}

/* sockline leg @s against the kernel's leg @k (same offloads). */
static void rows_vs_kernel(enum leg s, enum leg k, const char *tag)
{
	const struct result *a = &res[s], *b = &res[k];

	if (!a->ran || !b->ran)
		return;
	printf(" sockline vs kernel to kernel over veth, %s:\n", tag);
	row("receive (kernel -> X)", a->rx, b->rx, "Gbit/s", 0.5, true);
	row("send (X -> kernel)", a->tx, b->tx, "Gbit/s", 0.5, true);
	row("1-byte RTT, the kernel's client", a->rtt_k, b->rtt_k, "us", 1.0, false);
	row("1-byte RTT, X's client", a->rtt_x, b->rtt_x, "us", 1.0, false);
	row("connections/s, the kernel's client", a->conn_k, b->conn_k, "conn/s", 0, true);
	row("connections/s, X's client", a->conn_x, b->conn_x, "conn/s", 0, true);
}

static double best(double a, double b, bool higher_better)
{
	if (a < 0 || b < 0)
		return a < 0 ? b : a;
	return (a > b) == higher_better ? a : b;
}

/* lwIP at its best: each figure the better of its raw and socket API. */
static struct result lwip_best(void)
{
	const struct result *r = &res[L_LWIP], *s = &res[L_LWIPSOCK];
	struct result b = { .rx = -1, .tx = -1, .rtt_k = -1, .conn_k = -1 };

	if (r->ran && s->ran) {
		b.rx = best(r->rx, s->rx, true);
		b.tx = best(r->tx, s->tx, true);
		b.rtt_k = best(r->rtt_k, s->rtt_k, false);
		b.conn_k = best(r->conn_k, s->conn_k, true);
		b.ran = true;
	} else if (r->ran || s->ran) {
		b = r->ran ? *r : *s;
	}
	return b;
}

static void rows_vs_lwip(enum leg s, const char *tag)
{
	const struct result *a = &res[s];
	struct result lw = lwip_best();
	const struct result *b = &lw;

	if (!a->ran || !b->ran)
		return;
	printf(" sockline (%s) vs lwIP (the better of its two APIs), both on "
	       "a TAP:\n", tag);
	row("receive (kernel -> X)", a->rx, b->rx, "Gbit/s", 3.0, true);
	row("send (X -> kernel)", a->tx, b->tx, "Gbit/s", 3.0, true);
	row("1-byte RTT, the kernel's client", a->rtt_k, b->rtt_k, "us", 0, false);
	row("connections/s, the kernel's client", a->conn_k, b->conn_k, "conn/s", 0, true);
}

static void watchdog(int sig)
{
	static const char msg[] = "tap_bench: watchdog: a test hung, giving up\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		secs_per_test = atof(argv[1]);
	if (argc > 2 && strcmp(argv[2], "all"))
		only = argv[2];
	if (argc > 3 && strcmp(argv[3], "all"))
		only_tests = argv[3];
	if (argc > 4 || secs_per_test <= 0) {
		fprintf(stderr, "usage: tap_bench [seconds-per-test] "
			"[tap,tap1500,veth,veth1500,lwip,lwipsock] "
			"[rx,tx,rtt,conn]\n");
		return 2;
	}
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "tap_bench: unshare(CLONE_NEWNET): %s (needs root)\n",
			strerror(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, watchdog);
	alarm((unsigned int)(secs_per_test * 40) + 120);
	ns_main = ns_self();
	kernel_ns_setup();
	memset(cbuf, 'x', sizeof(cbuf));
	servers_start(&kservers, &kernel_ops);

	printf("tap_bench: the kernel's TCP facing X over a real link, MTU 1500, "
	       "%.1f s per test\n", secs_per_test);
	printf("  rx: kernel -> X, tx: X -> kernel (one flow); K clt: the kernel's "
	       "client to X's server, X clt: X's client to the kernel's\n");
	printf("  %-32s %9s %9s %9s %9s %9s %9s\n", "X", "rx Gbit/s",
	       "tx Gbit/s", "RTT us", "RTT us", "conn/s", "conn/s");
	printf("  %-32s %9s %9s %9s %9s %9s %9s\n", "", "", "", "K clt", "X clt",
	       "K clt", "X clt");
	for (enum leg l = 0; l < L_NR; l++) {
		if (!want(leg_key[l]))
			continue;
		switch (l) {
		case L_TAP:
			leg_sockline(&res[l], "sltb1", 1, "10.9.1.1/24", "10.9.1.1",
				     "10.9.1.2/24", "10.9.1.2");
			break;
		case L_TAP1500:
			leg_sockline(&res[l], "sltb2", 0, "10.9.2.1/24", "10.9.2.1",
				     "10.9.2.2/24", "10.9.2.2");
			break;
		case L_VETH:
		case L_VETH1500:
			leg_veth(&res[l], l == L_VETH);
			break;
		case L_LWIP:
		case L_LWIPSOCK:
			leg_lwip(&res[l], l == L_LWIP ? "raw" : "socket",
				 l == L_LWIP ? 5 : 6);
			break;
		default:
			break;
		}
		if (res[l].ran)
			print_leg(l);
	}
	servers_stop(&kservers, "127.0.0.1");
	for (enum leg l = L_TAP; l <= L_TAP1500; l++)
		if (res[l].ran)
			printf("  (%s: mean frame %.0f bytes in rx, %.0f in "
			       "tx)\n", leg_title[l], res[l].frame_in,
			       res[l].frame_out);

	rows_vs_kernel(L_TAP, L_VETH, "offloads on");
	rows_vs_kernel(L_TAP1500, L_VETH1500, "1500-byte frames");
	rows_vs_lwip(L_TAP, "offloads on");
	rows_vs_lwip(L_TAP1500, "1500-byte frames");
	return 0;
}
