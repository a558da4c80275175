/*
 * TCP on sockline vs TCP on the Linux kernel, in the same run.
 *
 * sockline: two stacks in this process joined by the virtual wire.
 * kernel:   two threads of this process over the kernel's loopback.
 *
 * Measured (each printed for both, with the ratio and the target):
 *   1. single-flow bulk throughput (the wire carries 64 KiB segments, as
 *      loopback with TSO does);
 *   2. the same with 1500-byte frames on the wire (no segmentation offload),
 *      against the kernel over a veth pair with every offload off
 *      (bench/veth_kernel.sh: root, iperf3 and ethtool);
 *   3. 1-byte request/response round trip: sockline with blocking
 *      application threads (threaded stacks) and in run-to-completion mode;
 *   4. connections per second (connect, 1 byte each way, close), one thread;
 *   5. memory per idle established connection.
 *
 * usage: tcp_bench [seconds-per-test] [connections-for-memory] [tests]
 *   tests: comma-separated subset of bulk,frames,rtt,rtc,conn,mem (all by
 *   default), e.g. `tcp_bench 2 10000 rtc` to profile one path alone.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"

static double secs_per_test = 2.0;
static const char *only;

/* Is test @name selected on the command line (all are by default)? */
static bool want(const char *name)
{
	size_t n = strlen(name);
	const char *p = only;

	if (!p)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == only || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
		p += n;
	}
	return false;
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

/* --- socket operations, for either implementation --------------------- */

struct sockops {
	const char *name;
	int (*socket)(void *ctx, int type);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	ssize_t (*send)(int, const void *, size_t, int);
	ssize_t (*recv)(int, void *, size_t, int);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*close)(int);
	void (*poll)(void *ctx);  /* run-to-completion: drive the stacks */
	void *ctx;
};

static int k_socket(void *ctx, int type)
{
	(void)ctx;
	return socket(AF_INET, type, 0);
}
static int k_accept(int fd, struct sockaddr *a, socklen_t *l)
{
	return accept(fd, a, l);
}
static int k_connect(int fd, const struct sockaddr *a, socklen_t l)
{
	return connect(fd, a, l);
}

static const struct sockops kernel_ops = {
	.name = "kernel", .socket = k_socket, .bind = bind, .listen = listen,
	.accept = k_accept, .connect = k_connect, .send = send, .recv = recv,
	.setsockopt = setsockopt, .close = close,
};

struct sl_pair_ctx {
	sl_clock_t *clk;
	sl_net_t *a, *b;
	int use_b;   /* which stack the next socket is created in */
};

static int s_socket(void *ctx, int type)
{
	struct sl_pair_ctx *c = ctx;

	return sl_socket_net(c->use_b ? c->b : c->a, AF_INET, type, 0);
}
static void s_poll(void *ctx)
{
	struct sl_pair_ctx *c = ctx;

	while (sl_net_poll_all(c->clk) > 0)
		;
}

static struct sockops sockline_ops(struct sl_pair_ctx *c, bool polled)
{
	struct sockops o = {
		.name = "sockline", .socket = s_socket, .bind = sl_bind,
		.listen = sl_listen, .accept = sl_accept, .connect = sl_connect,
		.send = sl_send, .recv = sl_recv, .setsockopt = sl_setsockopt,
		.close = sl_close, .poll = polled ? s_poll : NULL, .ctx = c,
	};
	return o;
}

static void sl_pair_make(struct sl_pair_ctx *c, bool threaded, bool gso)
{
	struct sl_net_config nc = { .mode = threaded ? SL_NET_THREADED : SL_NET_POLLED };
	struct sl_wire_config wc = { .seed = 1, .gso = gso };

	memset(c, 0, sizeof(*c));
	c->clk = sl_clock_new(false);
	nc.clock = c->clk;
	nc.name = "a";
	c->a = sl_net_create(&nc);
	nc.name = "b";
	c->b = sl_net_create(&nc);
	if (!c->a || !c->b || sl_wire_create(c->a, c->b, &wc, NULL, NULL) ||
	    sl_addr_add(c->a, "wire0", "10.0.0.1/24") ||
	    sl_addr_add(c->b, "wire0", "10.0.0.2/24"))
		die("sockline setup");
}

static void sl_pair_free(struct sl_pair_ctx *c)
{
	sl_net_destroy(c->a);
	sl_net_destroy(c->b);
	sl_clock_free(c->clk);
}

/* A listener on the server side, and the address clients connect to. */
static int make_listener(const struct sockops *o, struct sockaddr_in *addr)
{
	int one = 1, fd;

	if (o->ctx)
		((struct sl_pair_ctx *)o->ctx)->use_b = 1;
	fd = o->socket(o->ctx, SOCK_STREAM);
	if (o->ctx)
		((struct sl_pair_ctx *)o->ctx)->use_b = 0;
	if (fd < 0)
		die("listener socket");
	o->setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o->bind(fd, (struct sockaddr *)addr, sizeof(*addr)) || o->listen(fd, 4096))
		die("bind/listen");
	if (!o->ctx) {
		/* kernel: port 0 picked a free port; tell the clients */
		socklen_t len = sizeof(*addr);

		getsockname(fd, (struct sockaddr *)addr, &len);
	}
	return fd;
}

/* --- 1, 2: bulk throughput ------------------------------------------------ */

struct bulk_rx {
	const struct sockops *o;
	int fd;
	double seconds;
	unsigned long long bytes;
};

static void *bulk_receiver(void *arg)
{
	struct bulk_rx *r = arg;
	static char buf[1 << 20];
	ssize_t n;

	while ((n = r->o->recv(r->fd, buf, sizeof(buf), 0)) > 0)
		r->bytes += (unsigned long long)n;
	return NULL;
}

/* Threads for the kernel; one thread driving both stacks for sockline. */
static double bulk_gbps(const struct sockops *o, struct sockaddr_in *addr)
{
	static char buf[1 << 20];
	struct bulk_rx rx = { .o = o };
	int lfd = make_listener(o, addr), cfd, afd;
	unsigned long long sent = 0;
	pthread_t th;
	double t0, t;
	ssize_t n;

	cfd = o->socket(o->ctx, SOCK_STREAM);
	if (cfd < 0 || o->connect(cfd, (struct sockaddr *)addr, sizeof(*addr)))
		die("bulk connect");
	afd = o->accept(lfd, NULL, NULL);
	if (afd < 0)
		die("bulk accept");
	rx.fd = afd;
	t0 = now_s();
	if (!o->poll) {
		pthread_create(&th, NULL, bulk_receiver, &rx);
		do {
			n = o->send(cfd, buf, sizeof(buf), 0);
			if (n > 0)
				sent += (unsigned long long)n;
			t = now_s();
		} while (n > 0 && t - t0 < secs_per_test);
		shutdown(cfd, SHUT_WR);
		o->close(cfd);
		pthread_join(th, NULL);
	} else {
		do {
			n = o->send(cfd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n > 0)
				sent += (unsigned long long)n;
			o->poll(o->ctx);
			while ((n = o->recv(afd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				rx.bytes += (unsigned long long)n;
			t = now_s();
		} while (t - t0 < secs_per_test);
		o->close(cfd);
	}
	t = now_s();
	o->close(afd);
	o->close(lfd);
	return (double)rx.bytes * 8 / (t - t0) / 1e9;
}

/* --- 3: request/response ---------------------------------------------------- */

struct echo_srv {
	const struct sockops *o;
	int fd;
};

static void *echo_server(void *arg)
{
	struct echo_srv *s = arg;
	char c;

	while (s->o->recv(s->fd, &c, 1, 0) == 1)
		if (s->o->send(s->fd, &c, 1, 0) != 1)
			break;
	return NULL;
}

/* Mean round trip of a 1-byte request and 1-byte response, in us. */
static double rr_us(const struct sockops *o, struct sockaddr_in *addr)
{
	struct echo_srv srv = { .o = o };
	int lfd = make_listener(o, addr), cfd, one = 1;
	unsigned long n = 0;
	pthread_t th;
	double t0, t;
	char c = 'x';

	cfd = o->socket(o->ctx, SOCK_STREAM);
	if (cfd < 0 || o->connect(cfd, (struct sockaddr *)addr, sizeof(*addr)))
		die("rr connect");
	if (o->poll)
		o->poll(o->ctx);
	srv.fd = o->accept(lfd, NULL, NULL);
	o->setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	o->setsockopt(srv.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!o->poll)
		pthread_create(&th, NULL, echo_server, &srv);
	t0 = now_s();
	do {
		for (int i = 0; i < 100; i++) {
			o->send(cfd, &c, 1, 0);
			if (o->poll) {
				/* run to completion: serve the request in line */
				o->poll(o->ctx);
				if (o->recv(srv.fd, &c, 1, MSG_DONTWAIT) == 1)
					o->send(srv.fd, &c, 1, 0);
				o->poll(o->ctx);
			}
			if (o->recv(cfd, &c, 1, 0) != 1)
				die("rr recv");
			n++;
		}
		t = now_s();
	} while (t - t0 < secs_per_test);
	o->close(cfd);
	if (!o->poll)
		pthread_join(th, NULL);
	o->close(srv.fd);
	o->close(lfd);
	return (t - t0) / (double)n * 1e6;
}

/* --- 4: connections per second --------------------------------------------- */

struct acceptor {
	const struct sockops *o;
	int lfd;
	volatile int stop;
};

static void *accept_loop(void *arg)
{
	struct acceptor *a = arg;
	char c;
	int fd;

	while (!a->stop) {
		fd = a->o->accept(a->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		if (a->o->recv(fd, &c, 1, 0) == 1)
			a->o->send(fd, &c, 1, 0);
		a->o->close(fd);
	}
	return NULL;
}

static double conns_per_s(const struct sockops *o, struct sockaddr_in *addr)
{
	struct acceptor acc = { .o = o };
	unsigned long n = 0;
	pthread_t th;
	double t0, t;
	char c = 'x';
	int fd, afd;

	acc.lfd = make_listener(o, addr);
	if (!o->poll)
		pthread_create(&th, NULL, accept_loop, &acc);
	t0 = now_s();
	do {
		fd = o->socket(o->ctx, SOCK_STREAM);
		if (fd < 0 || o->connect(fd, (struct sockaddr *)addr, sizeof(*addr)))
			die("cps connect");
		o->send(fd, &c, 1, 0);
		if (o->poll) {
			o->poll(o->ctx);
			afd = o->accept(acc.lfd, NULL, NULL);
			if (o->recv(afd, &c, 1, MSG_DONTWAIT) == 1)
				o->send(afd, &c, 1, 0);
			o->close(afd);
			o->poll(o->ctx);
		}
		if (o->recv(fd, &c, 1, 0) != 1)
			die("cps recv");
		o->close(fd);
		n++;
		t = now_s();
	} while (t - t0 < secs_per_test);
	acc.stop = 1;
	if (!o->poll) {
		/* wake the acceptor with one last connection */
		fd = o->socket(o->ctx, SOCK_STREAM);
		o->connect(fd, (struct sockaddr *)addr, sizeof(*addr));
		o->send(fd, &c, 1, 0);
		pthread_join(th, NULL);
		o->close(fd);
	}
	o->close(acc.lfd);
	return (double)n / (t - t0);
}

/* --- 5: memory per idle connection ------------------------------------------ */

static long slab_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* Bytes per established connection (both ends counted as one each). */
static double idle_bytes(const struct sockops *o, struct sockaddr_in *addr, int n,
			 bool kernel)
{
	int lfd = make_listener(o, addr);
	int *fds = calloc((size_t)n * 2, sizeof(int));
	size_t before_heap = mallinfo2().uordblks;
	long before_slab = slab_kb();
	double per;
	int i;

	for (i = 0; i < n; i++) {
		fds[2 * i] = o->socket(o->ctx, SOCK_STREAM);
		if (fds[2 * i] < 0 ||
		    o->connect(fds[2 * i], (struct sockaddr *)addr, sizeof(*addr)))
			die("idle connect");
		if (o->poll)
			o->poll(o->ctx);
		fds[2 * i + 1] = o->accept(lfd, NULL, NULL);
		if (fds[2 * i + 1] < 0)
			die("idle accept");
	}
	if (kernel)
		per = (double)(slab_kb() - before_slab) * 1024 / (2.0 * n);
	else
		per = (double)(mallinfo2().uordblks - before_heap) / (2.0 * n);
	for (i = 0; i < 2 * n; i++)
		o->close(fds[i]);
	o->close(lfd);
	free(fds);
	return per;
}

/* --- main ------------------------------------------------------------------- */

/* Kernel to kernel over a veth pair, offloads off (bench/veth_kernel.sh). */
static double veth_kernel_gbps(void)
{
	char cmd[512], buf[64] = "";
	double v = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "bash %s/veth_kernel.sh %.0f 2>/dev/null",
		 SL_BENCH_DIR, secs_per_test < 1 ? 1 : secs_per_test);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	if (fgets(buf, sizeof(buf), p))
		v = atof(buf);
	pclose(p);
	return v;
}

static void row(const char *what, double sl, double k, const char *unit,
		double target_ratio, bool higher_better)
{
	double ratio = k > 0 ? sl / k : 0;
	bool ok = higher_better ? ratio >= target_ratio : ratio <= target_ratio;

	printf("  %-38s %10.2f %10.2f %-8s %6.2fx  (target %s%.1fx) %s\n", what, sl,
	       k, unit, ratio, higher_better ? ">=" : "<=", target_ratio,
	       ok ? "ok" : "MISSED");
}

int main(int argc, char **argv)
{
	struct sockaddr_in kaddr = { .sin_family = AF_INET, .sin_port = 0 };
	struct sockaddr_in saddr = { .sin_family = AF_INET, .sin_port = htons(5001) };
	int nidle = argc > 2 ? atoi(argv[2]) : 10000;
	struct sl_pair_ctx c;
	struct sockops so;
	double s, k;

	struct rlimit rl;

	if (argc > 1)
		secs_per_test = atof(argv[1]);
	if (argc > 3)
		only = argv[3];
	/* The kernel side of the memory test holds 2 fds per connection. */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	kaddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	inet_pton(AF_INET, "10.0.0.2", &saddr.sin_addr);
	sl_fd_host_mode(false);
	printf("tcp_bench: sockline (two stacks, virtual wire) vs kernel (loopback)\n");
	printf("  %-38s %10s %10s\n", "", "sockline", "kernel");

	if (want("bulk")) {
		sl_pair_make(&c, false, true);
		so = sockline_ops(&c, true);
		s = bulk_gbps(&so, &saddr);
		kaddr.sin_port = 0;
		k = bulk_gbps(&kernel_ops, &kaddr);
		row("bulk, one flow, 64 KiB segments", s, k, "Gbit/s", 1.5, true);
		sl_pair_free(&c);
	}

	if (want("frames")) {
		sl_pair_make(&c, false, false);
		so = sockline_ops(&c, true);
		saddr.sin_port = htons(5002);
		s = bulk_gbps(&so, &saddr);
		sl_pair_free(&c);
		k = veth_kernel_gbps();
		if (k > 0)
			row("bulk, 1500-byte frames (kernel: veth)", s, k, "Gbit/s",
			    1.5, true);
		else
			printf("  %-38s %10.2f %10s Gbit/s (kernel over veth needs "
			       "root, iperf3, ethtool)\n",
			       "bulk, one flow, 1500-byte frames", s, "-");
	}

	/* The kernel first: sockline's threaded stacks must not share the
	 * CPUs with it while it is measured. */
	k = 0;
	if (want("rtt") || want("rtc")) {
		kaddr.sin_port = 0;
		k = rr_us(&kernel_ops, &kaddr);
	}
	if (want("rtt")) {
		sl_pair_make(&c, true, true);
		so = sockline_ops(&c, false);
		saddr.sin_port = htons(5003);
		s = rr_us(&so, &saddr);
		row("1-byte RTT, blocking threads", s, k, "us", 0.5, false);
		sl_pair_free(&c);
	}

	sl_pair_make(&c, false, true);
	so = sockline_ops(&c, true);
	if (want("rtc")) {
		saddr.sin_port = htons(5004);
		s = rr_us(&so, &saddr);
		row("1-byte RTT, run to completion", s, k, "us", 0.1, false);
	}
	if (want("conn")) {
		saddr.sin_port = htons(5005);
		s = conns_per_s(&so, &saddr);
		kaddr.sin_port = 0;
		k = conns_per_s(&kernel_ops, &kaddr);
		row("connections/s (connect, 1B each way, close)", s, k, "conn/s", 3.0, true);
	}
	if (want("mem")) {
		saddr.sin_port = htons(5006);
		s = idle_bytes(&so, &saddr, nidle, false);
		kaddr.sin_port = 0;
		k = idle_bytes(&kernel_ops, &kaddr, nidle, true);
		row("memory per idle connection", s, k, "bytes", 1024.0 / (k > 0 ? k : 1), false);
		printf("  (memory target: <= 1024 bytes per idle established connection)\n");
	}
	sl_pair_free(&c);
	return 0;
}
