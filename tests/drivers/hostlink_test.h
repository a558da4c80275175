/*
 * What tests/drivers/tap_test.c and af_packet_test.c share: a sockline
 * stack on a real link facing the Linux kernel's own stack in the same
 * process and network namespace (each test program unshares one first,
 * so everything it makes vanishes when it exits), and the checks run over
 * it: ARP and ping both ways (with fragmentation), UDP both ways (with
 * datagrams larger than the MTU), TCP both ways with SHA-256 of the bytes.
 * Kernel tools (ip, ping) run through system() in the same namespace.
 */
#ifndef SL_TEST_HOSTLINK_H
#define SL_TEST_HOSTLINK_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"
#include "sl_test.h"

#include "sl/net_namespace.h"
#include "sl/netdevice.h"

#define HL_OUR_PORT 7000
#define HL_HOST_PORT 7001

/* Bytes each TCP transfer moves (HL_BULK_MB overrides; default 8 MiB). */
static size_t hl_bulk_bytes(void)
{
	const char *mb = getenv("HL_BULK_MB");

	return (size_t)(mb ? atol(mb) : 8) << 20;
}

/* Run a shell command; returns its exit status. */
static int __attribute__((format(printf, 1, 2))) hl_sh(const char *fmt, ...)
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

/* The first line of a command's output (trailing newline removed). */
static void hl_sh_read(char *out, size_t len, const char *cmd)
{
	FILE *f = popen(cmd, "r");

	out[0] = '\0';
	assert_non_null(f);
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	pclose(f);
}

/* A network namespace of our own, with lo up: CI runs this as root. */
static int hl_unshare(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (needs root)\n",
			strerror(errno));
		return -1;
	}
	return hl_sh("ip link set lo up");
}

static double hl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One stack on one real link, and the kernel's side of it. */
struct hl_link {
	sl_net_t *net;
	int ifindex;
	const char *dev;            /* device name in the stack */
	const char *host_if;        /* the kernel's interface facing us */
	const char *our_ip, *host_ip;
	const char *label;          /* for the throughput lines */
	bool polled;
	bool tx_inline;             /* cfg.tx_inline: no transmit thread */
	pthread_t poller;
	volatile int poll_stop;
};

static sl_net_t *hl_stack(bool polled, const char *name)
{
	struct sl_net_config cfg = {
		.name = name,
		.mode = polled ? SL_NET_POLLED : SL_NET_THREADED,
	};
	sl_net_t *net = sl_net_create(&cfg);

	assert_non_null(net);
	return net;
}

/* Attach @spec to a new stack and give both sides their addresses. */
static void hl_link_up(struct hl_link *l, const struct sl_dev_config *cfg,
		       const char *host_cidr, const char *our_cidr)
{
	l->net = hl_stack(l->polled, l->label);
	assert_int_equal(sl_dev_attach(l->net, cfg, &l->ifindex), 0);
	assert_true(l->ifindex > 0);
	assert_int_equal(sl_addr_add(l->net, l->dev, our_cidr), 0);
	assert_int_equal(hl_sh("ip addr add %s dev %s", host_cidr, l->host_if), 0);
}

static void hl_link_down(struct hl_link *l)
{
	sl_net_destroy(l->net);
	l->net = NULL;
	sl_assert_no_leaks();
}

static struct net_device *hl_dev(struct hl_link *l)
{
	struct net_device *dev = dev_get_by_index(l->net, l->ifindex);

	assert_non_null(dev);
	return dev;
}

/* Polled stacks: somebody must poll while the kernel alone works. */
static void *hl_poller_fn(void *arg)
{
	struct hl_link *l = arg;

	while (!l->poll_stop) {
		if (sl_net_poll(l->net) == 0)
			usleep(20);
	}
	return NULL;
}

static void hl_poller_start(struct hl_link *l)
{
	if (!l->polled)
		return;
	l->poll_stop = 0;
	assert_int_equal(pthread_create(&l->poller, NULL, hl_poller_fn, l), 0);
}

static void hl_poller_stop(struct hl_link *l)
{
	if (!l->polled)
		return;
	l->poll_stop = 1;
	pthread_join(l->poller, NULL);
}

static void hl_timeouts(int fd, bool ours)
{
	struct timeval tv = { .tv_sec = 20 };

	if (ours) {
		assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
		assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	} else {
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	}
}

/* --- ARP and ping ---------------------------------------------------------- */

static void hl_mac_str(char *out, const u8 *m)
{
	sprintf(out, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3],
		m[4], m[5]);
}

/* Echo of @size bytes from our stack to the kernel; checks the reply. */
static void hl_ping_from_us(struct hl_link *l, size_t size, uint16_t seq)
{
	unsigned char req[8 + 8192], rep[20 + 8 + 8192];
	struct sockaddr_in dst = sl_sin(l->host_ip, 0);
	ssize_t n;
	size_t i;
	int fd;

	assert_true(size <= 8192);
	fd = sl_socket_net(l->net, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	assert_true(fd >= 0);
	hl_timeouts(fd, true);
	memset(req, 0, 8);
	req[0] = 8; /* ICMP_ECHO; the stack fills the identifier and checksum */
	req[6] = (unsigned char)(seq >> 8);
	req[7] = (unsigned char)seq;
	for (i = 0; i < size; i++)
		req[8 + i] = (unsigned char)(i * 7 + seq);
	n = sl_sendto(fd, req, 8 + size, 0, (struct sockaddr *)&dst, sizeof(dst));
	assert_int_equal(n, (ssize_t)(8 + size));
	n = sl_recv(fd, rep, sizeof(rep), 0);
	assert_int_equal(n, (ssize_t)(8 + size));
	assert_int_equal(rep[0], 0); /* ICMP_ECHOREPLY */
	assert_memory_equal(rep + 6, req + 6, 2);
	assert_memory_equal(rep + 8, req + 8, size);
	assert_int_equal(sl_close(fd), 0);
}

/*
 * ARP both ways, then ping(8) from the kernel and echoes from our stack,
 * small and 4000 bytes (three fragments each way at MTU 1500).
 */
static void hl_check_ping(struct hl_link *l)
{
	char want[96], line[256], host_mac[32], our_mac[32];
	char *dump = NULL;
	size_t dlen = 0;
	FILE *f;

	hl_poller_start(l);
	assert_int_equal(hl_sh("ping -q -c 3 -i 0.2 -W 2 %s >/dev/null", l->our_ip), 0);
	assert_int_equal(hl_sh("ping -q -c 2 -i 0.2 -W 2 -s 4000 %s >/dev/null",
			       l->our_ip), 0);
	hl_poller_stop(l);
	hl_ping_from_us(l, 56, 1);
	hl_ping_from_us(l, 4000, 2);

	/* The kernel learned our MAC; we learned the kernel's. */
	hl_mac_str(our_mac, hl_dev(l)->dev_addr);
	snprintf(want, sizeof(want), "ip neigh show %s dev %s", l->our_ip, l->host_if);
	hl_sh_read(line, sizeof(line), want);
	assert_non_null(strstr(line, our_mac));
	/* /sys shows the namespace it was mounted in: ask ip(8). */
	snprintf(want, sizeof(want),
		 "ip -o link show dev %s | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2",
		 l->host_if);
	hl_sh_read(host_mac, sizeof(host_mac), want);
	assert_int_equal(strlen(host_mac), 17);
	f = open_memstream(&dump, &dlen);
	sl_net_dump(l->net, f);
	fclose(f);
	snprintf(want, sizeof(want), "%s dev %s lladdr %s", l->host_ip, l->dev, host_mac);
	assert_non_null(strstr(dump, want));
	free(dump);
}

/* --- UDP ----------------------------------------------------------------- */

static void hl_fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)((i * 31 + seed * 17) ^ (i >> 8));
}

/* Datagrams of 100 and 6000 bytes (fragmented) each way. */
static void hl_check_udp(struct hl_link *l)
{
	static const size_t sizes[] = { 100, 6000 };
	unsigned char out[6000], in[8192];
	struct sockaddr_in ours = sl_sin(l->our_ip, HL_OUR_PORT);
	struct sockaddr_in host = sl_sin(l->host_ip, HL_HOST_PORT);
	struct sockaddr_in from;
	socklen_t fl;
	int kfd, sfd;
	size_t i;

	kfd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(kfd >= 0);
	hl_timeouts(kfd, false);
	assert_int_equal(bind(kfd, (struct sockaddr *)&host, sizeof(host)), 0);
	sfd = sl_socket_net(l->net, AF_INET, SOCK_DGRAM, 0);
	assert_true(sfd >= 0);
	hl_timeouts(sfd, true);
	assert_int_equal(sl_bind(sfd, (struct sockaddr *)&ours, sizeof(ours)), 0);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		hl_fill(out, sizes[i], (unsigned int)i);
		assert_int_equal(sendto(kfd, out, sizes[i], 0, (struct sockaddr *)&ours,
					sizeof(ours)), (ssize_t)sizes[i]);
		fl = sizeof(from);
		assert_int_equal(sl_recvfrom(sfd, in, sizeof(in), 0,
					     (struct sockaddr *)&from, &fl),
				 (ssize_t)sizes[i]);
		assert_memory_equal(in, out, sizes[i]);
		assert_int_equal(from.sin_port, host.sin_port);
		assert_int_equal(from.sin_addr.s_addr, host.sin_addr.s_addr);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		hl_fill(out, sizes[i], (unsigned int)i + 5);
		assert_int_equal(sl_sendto(sfd, out, sizes[i], 0,
					   (struct sockaddr *)&host, sizeof(host)),
				 (ssize_t)sizes[i]);
		hl_poller_start(l);
		fl = sizeof(from);
		assert_int_equal(recvfrom(kfd, in, sizeof(in), 0,
					  (struct sockaddr *)&from, &fl),
				 (ssize_t)sizes[i]);
		hl_poller_stop(l);
		assert_memory_equal(in, out, sizes[i]);
		assert_int_equal(from.sin_port, ours.sin_port);
	}
	close(kfd);
	assert_int_equal(sl_close(sfd), 0);
}

/* --- TCP ----------------------------------------------------------------- */

/* A deterministic byte stream and its running hash. */
struct hl_stream {
	uint64_t x;
	struct sha256 sha;
};

static void hl_stream_init(struct hl_stream *s, uint64_t seed)
{
	s->x = seed | 1;
	sha256_init(&s->sha);
}

static void hl_stream_fill(struct hl_stream *s, unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		s->x ^= s->x << 13;
		s->x ^= s->x >> 7;
		s->x ^= s->x << 17;
		memcpy(buf + i, &s->x, len - i < 8 ? len - i : 8);
	}
	sha256_update(&s->sha, buf, len);
}

/* The kernel's half of a transfer, on its own thread. */
struct hl_peer {
	struct hl_link *l;
	int lfd;                    /* kernel listener (sockline -> kernel) */
	size_t bytes;
	uint8_t digest[32];
	size_t got;
	int err;
	volatile int done;
};

#define HL_CHUNK 65536

/* Kernel client: connect to our server and send the stream. */
static void *hl_kernel_sender(void *arg)
{
	struct hl_peer *p = arg;
	struct sockaddr_in dst = sl_sin(p->l->our_ip, HL_OUR_PORT);
	unsigned char *buf = malloc(HL_CHUNK);
	struct hl_stream s;
	size_t off = 0, n;
	ssize_t w;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	hl_stream_init(&s, 0x5eed);
	hl_timeouts(fd, false);
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		p->err = errno;
		goto out;
	}
	while (off < p->bytes) {
		n = p->bytes - off < HL_CHUNK ? p->bytes - off : HL_CHUNK;
		hl_stream_fill(&s, buf, n);
		for (size_t done = 0; done < n; done += (size_t)w) {
			w = send(fd, buf + done, n - done, MSG_NOSIGNAL);
			if (w <= 0) {
				p->err = errno;
				goto out;
			}
		}
		off += n;
	}
	sha256_final(&s.sha, p->digest);
out:
	close(fd);
	free(buf);
	p->done = 1;
	return NULL;
}

/* Kernel server: accept one connection and hash all it receives. */
static void *hl_kernel_receiver(void *arg)
{
	struct hl_peer *p = arg;
	unsigned char *buf = malloc(HL_CHUNK);
	struct sha256 sha;
	ssize_t r;
	int fd;

	sha256_init(&sha);
	fd = accept(p->lfd, NULL, NULL);
	if (fd < 0) {
		p->err = errno;
		goto out;
	}
	hl_timeouts(fd, false);
	while ((r = recv(fd, buf, HL_CHUNK, 0)) > 0) {
		sha256_update(&sha, buf, (size_t)r);
		p->got += (size_t)r;
	}
	if (r < 0)
		p->err = errno;
	sha256_final(&sha, p->digest);
	close(fd);
out:
	free(buf);
	p->done = 1;
	return NULL;
}

static void hl_report(struct hl_link *l, const char *dir, size_t bytes, double t)
{
	printf("[ %s ] %s: %zu MiB in %.3f s = %.1f MiB/s\n", l->label, dir,
	       bytes >> 20, t, (double)bytes / (1 << 20) / t);
}

/* Kernel client -> our server: every byte arrives, in order. */
static void hl_check_tcp_to_us(struct hl_link *l)
{
	struct sockaddr_in ours = sl_sin(l->our_ip, HL_OUR_PORT);
	struct hl_peer p = { .l = l, .bytes = hl_bulk_bytes() };
	unsigned char *buf = malloc(HL_CHUNK);
	uint8_t digest[32];
	struct sha256 sha;
	size_t got = 0;
	pthread_t th;
	ssize_t r;
	double t0;
	int lfd, fd, one = 1;

	lfd = sl_socket_net(l->net, AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(sl_setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(sl_bind(lfd, (struct sockaddr *)&ours, sizeof(ours)), 0);
	assert_int_equal(sl_listen(lfd, 16), 0);
	hl_timeouts(lfd, true);
	assert_int_equal(pthread_create(&th, NULL, hl_kernel_sender, &p), 0);
	fd = sl_accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	hl_timeouts(fd, true);
	t0 = hl_now();
	sha256_init(&sha);
	while ((r = sl_recv(fd, buf, HL_CHUNK, 0)) > 0) {
		sha256_update(&sha, buf, (size_t)r);
		got += (size_t)r;
	}
	assert_int_equal(r, 0);
	hl_report(l, "kernel -> sockline", got, hl_now() - t0);
	sha256_final(&sha, digest);
	pthread_join(th, NULL);
	assert_int_equal(p.err, 0);
	assert_int_equal(got, p.bytes);
	assert_memory_equal(digest, p.digest, 32);
	assert_int_equal(sl_close(fd), 0);
	assert_int_equal(sl_close(lfd), 0);
	free(buf);
}

/* Our client -> kernel server: every byte arrives, in order. */
static void hl_check_tcp_from_us(struct hl_link *l)
{
	struct sockaddr_in host = sl_sin(l->host_ip, HL_HOST_PORT);
	struct hl_peer p = { .l = l, .bytes = hl_bulk_bytes() };
	unsigned char *buf = malloc(HL_CHUNK);
	struct hl_stream s;
	uint8_t digest[32];
	size_t off = 0, n, done;
	pthread_t th;
	ssize_t w;
	double t0;
	int fd, one = 1;

	p.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p.lfd >= 0);
	setsockopt(p.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(p.lfd, (struct sockaddr *)&host, sizeof(host)), 0);
	assert_int_equal(listen(p.lfd, 16), 0);
	assert_int_equal(pthread_create(&th, NULL, hl_kernel_receiver, &p), 0);

	fd = sl_socket_net(l->net, AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	hl_timeouts(fd, true);
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&host, sizeof(host)), 0);
	t0 = hl_now();
	hl_stream_init(&s, 0xfeed);
	while (off < p.bytes) {
		n = p.bytes - off < HL_CHUNK ? p.bytes - off : HL_CHUNK;
		hl_stream_fill(&s, buf, n);
		for (done = 0; done < n; done += (size_t)w) {
			w = sl_send(fd, buf + done, n - done, 0);
			assert_true(w > 0);
		}
		off += n;
	}
	sha256_final(&s.sha, digest);
	assert_int_equal(sl_close(fd), 0);
	/* A polled stack finishes sending only while somebody polls it. */
	hl_poller_start(l);
	pthread_join(th, NULL);
	hl_poller_stop(l);
	hl_report(l, "sockline -> kernel", p.got, hl_now() - t0);
	close(p.lfd);
	assert_int_equal(p.err, 0);
	assert_int_equal(p.got, p.bytes);
	assert_memory_equal(digest, p.digest, 32);
	free(buf);
}

/* Average frame size a device sent / received since @st0. */
static void hl_frame_sizes(struct hl_link *l, const struct sl_link_stats *st0,
			   double *tx_avg, double *rx_avg)
{
	struct sl_link_stats st;

	assert_int_equal(sl_link_stats(l->net, l->dev, &st), 0);
	*tx_avg = (double)(st.tx_bytes - st0->tx_bytes) /
		  (double)(st.tx_packets - st0->tx_packets + !(st.tx_packets - st0->tx_packets));
	*rx_avg = (double)(st.rx_bytes - st0->rx_bytes) /
		  (double)(st.rx_packets - st0->rx_packets + !(st.rx_packets - st0->rx_packets));
}

/* Everything, in order: ping, UDP, TCP both ways. */
static void hl_check_all(struct hl_link *l)
{
	hl_check_ping(l);
	hl_check_udp(l);
	hl_check_tcp_to_us(l);
	hl_check_tcp_from_us(l);
}

#endif
