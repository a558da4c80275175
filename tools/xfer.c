/*
 * sockline send | recv: one bulk TCP transfer between a stack on a real
 * link and any peer, with a progress bar on stderr and a final line of
 * bytes, seconds, throughput and retransmissions (TCP_INFO's
 * tcpi_total_retrans of our end).
 *
 * send: connect -> write -n BYTES of generated data, or stdin to its end
 *       -> shutdown(SHUT_WR) -> wait for the peer's FIN, so that the
 *       figures cover data the peer has read, not data still queued here.
 * recv: listen on HOST:PORT -> accept one connection -> read to its end
 *       into stdout or -o FILE.
 * Both answer `sockline ss` while they run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"
#include "tools.h"

#define XFER_BUF (256 * 1024)
#define XFER_FIN_WAIT 30        /* s to wait for the peer's FIN */

struct xfer_opts {
	struct devopts dev;
	struct sockaddr_in addr;
	const char *out;        /* recv: NULL or "-": stdout */
	uint64_t bytes;         /* send: -n, 0 = stdin */
	bool has_bytes;
	bool quiet, progress;
};

struct xfer {
	struct xfer_opts o;
	struct tool_stack st;
	const char *prog;
	int fd, lfd, io_fd;     /* connection, listener, host file */
	uint64_t done;
	double start;
	struct progress bar;
	char *buf;
};

/* --- the progress bar ----------------------------------------------------- */

static void human_bytes(char *buf, size_t len, uint64_t n)
{
	if (n >= 1ULL << 30)
		snprintf(buf, len, "%.2f GiB", n / 1073741824.0);
	else if (n >= 1ULL << 20)
		snprintf(buf, len, "%.1f MiB", n / 1048576.0);
	else if (n >= 1ULL << 10)
		snprintf(buf, len, "%.1f KiB", n / 1024.0);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)n);
}

void progress_init(struct progress *p, const char *label, uint64_t total,
		   bool show)
{
	p->label = label;
	p->total = total;
	p->start = p->last = tool_now();
	p->show = show;
}

/* Redraw at most ten times a second (or now with @force). */
void progress_update(struct progress *p, uint64_t done, bool force)
{
	static const char bar[] = "########################################";
	double now = tool_now(), secs;
	int width = (int)sizeof(bar) - 1, fill;
	char amount[32];

	if (!p->show || (!force && now - p->last < 0.1))
		return;
	p->last = now;
	secs = now - p->start;
	human_bytes(amount, sizeof(amount), done);
	if (p->total) {
		fill = (int)((double)done / (double)p->total * width);
		fill = fill > width ? width : fill;
		fprintf(stderr, "\r%s [%.*s%*s] %3d%% %s", p->label, fill, bar,
			width - fill, "", (int)(100.0 * (double)done / (double)p->total),
			amount);
	} else {
		fprintf(stderr, "\r%s %s", p->label, amount);
	}
	fprintf(stderr, "  %.1f Mbit/s   ", secs > 0 ? done * 8 / secs / 1e6 : 0.0);
}

void progress_end(struct progress *p)
{
	if (p->show)
		fputc('\n', stderr);
}

/* --- options -------------------------------------------------------------- */

static void xfer_usage(FILE *out, bool send)
{
	if (send)
		fprintf(out,
			"usage: sockline send [device options] [options] HOST:PORT\n\n"
			"Connect to HOST:PORT from a sockline stack on a real link and\n"
			"send -n BYTES of generated data, or stdin to its end; then wait\n"
			"for the peer to close. Prints a progress bar on stderr and a\n"
			"final line: bytes, seconds, Mbit/s, retransmissions.\n\n"
			"options:\n"
			"  -n, --bytes N        send N bytes (K, M, G: KiB, MiB, GiB)\n");
	else
		fprintf(out,
			"usage: sockline recv [device options] [options] HOST:PORT\n\n"
			"Listen on HOST:PORT (HOST may be 0.0.0.0) in a sockline stack on\n"
			"a real link, accept one connection and write what it carries to\n"
			"stdout or FILE. Prints a progress bar on stderr and a final\n"
			"line: bytes, seconds, Mbit/s, retransmissions.\n\n"
			"options:\n"
			"  -o, --output FILE    write to FILE (default, or -: stdout)\n");
	fprintf(out,
		"      --progress       draw the bar even when stderr is no terminal\n"
		"  -q, --quiet          no bar nor final line\n"
		"  -h, --help           this text\n\n");
	devopts_usage(out);
}

static int xfer_parse(struct xfer *x, int argc, char **argv, bool send)
{
	static const struct option longopts[] = {
		{ "bytes", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		DEVOPTS_LONGOPTS,
		{ 0 },
	};
	struct xfer_opts *o = &x->o;
	int c, r;

	devopts_init(&o->dev);
	optind = 1;
	while ((c = getopt_long(argc, argv, send ? "n:qh" : "o:qh", longopts,
				NULL)) != -1) {
		r = devopts_parse(&o->dev, x->prog, c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'n':
			if (!send || tool_parse_size(optarg, &o->bytes)) {
				fprintf(stderr, "%s: bad byte count '%s'\n",
					x->prog, optarg);
				return EXIT_USAGE;
			}
			o->has_bytes = true;
			break;
		case 'o':
			if (send)
				goto bad;
			o->out = optarg;
			break;
		case 'q': o->quiet = true; break;
		case 'P': o->progress = true; break;
		case 'h': xfer_usage(stdout, send); return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: %s\n", x->prog,
			optind < argc ? "one HOST:PORT only" : "no HOST:PORT given");
		goto bad;
	}
	if (tool_parse_hostport(argv[optind], &o->addr) ||
	    (send && (!o->addr.sin_port || !o->addr.sin_addr.s_addr))) {
		fprintf(stderr, "%s: bad HOST:PORT '%s'\n", x->prog, argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
bad:
	fprintf(stderr, "Try '%s --help'.\n", x->prog);
	return EXIT_USAGE;
}

/* --- the transfer --------------------------------------------------------- */

/* The final line: "sockline send: N bytes in S s, R Mbit/s, K retransmissions". */
static void xfer_report(struct xfer *x)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	double secs = tool_now() - x->start;

	memset(&ti, 0, sizeof(ti));
	sl_getsockopt(x->fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
	progress_update(&x->bar, x->done, true);
	progress_end(&x->bar);
	if (x->o.quiet)
		return;
	fprintf(stderr, "%s: %llu bytes in %.3f s, %.1f Mbit/s, %u "
		"retransmissions\n", x->prog, (unsigned long long)x->done, secs,
		secs > 0 ? x->done * 8 / secs / 1e6 : 0.0, ti.tcpi_total_retrans);
}

/* Generated data: xorshift64, so that a checksum at the other end means
 * something (all zeros would pass many bugs). */
static void fill_pattern(char *buf, size_t len, uint64_t *state)
{
	uint64_t x = *state;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
	memset(buf + i, (int)(x & 0xff), len - i);
	*state = x;
}

static int send_all(struct xfer *x, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = sl_send(x->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR && !tool_stop)
				continue;
			fprintf(stderr, "%s: send: %s\n", x->prog,
				tool_stop ? "interrupted" : strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
		x->done += (uint64_t)w;
		progress_update(&x->bar, x->done, false);
	}
	return 0;
}

static int send_data(struct xfer *x)
{
	uint64_t state = 0x9E3779B97F4A7C15ULL, left = x->o.bytes;
	ssize_t n;

	while (!tool_stop) {
		if (x->o.has_bytes) {
			if (!left)
				return 0;
			n = (ssize_t)(left < XFER_BUF ? left : XFER_BUF);
			fill_pattern(x->buf, (size_t)n, &state);
			left -= (uint64_t)n;
		} else {
			n = read(STDIN_FILENO, x->buf, XFER_BUF);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				fprintf(stderr, "%s: stdin: %s\n", x->prog,
					strerror(errno));
				return -1;
			}
			if (!n)
				return 0;
		}
		if (send_all(x, x->buf, (size_t)n))
			return -1;
	}
	return -1;
}

/* After our FIN: the peer's FIN (it read everything). Data it still sends
 * is dropped. 0, or -1 when it reset or never closed. */
static int send_wait_fin(struct xfer *x)
{
	struct timeval tv = { .tv_sec = XFER_FIN_WAIT };
	ssize_t n;

	sl_setsockopt(x->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	do {
		n = sl_recv(x->fd, x->buf, XFER_BUF, 0);
	} while (n > 0 || (n < 0 && errno == EINTR && !tool_stop));
	if (!n)
		return 0;
	fprintf(stderr, "%s: waiting for the peer to close: %s\n", x->prog,
		errno == EAGAIN ? "timed out" : strerror(errno));
	return -1;
}

static int send_run(struct xfer *x)
{
	char ip[INET_ADDRSTRLEN];

	x->fd = sl_socket_net(x->st.net, AF_INET, SOCK_STREAM, 0);
	if (x->fd < 0)
		return 1;
	if (sl_connect(x->fd, (struct sockaddr *)&x->o.addr, sizeof(x->o.addr))) {
		inet_ntop(AF_INET, &x->o.addr.sin_addr, ip, sizeof(ip));
		fprintf(stderr, "%s: connect to %s port %u: %s\n", x->prog, ip,
			ntohs(x->o.addr.sin_port), strerror(errno));
		return 1;
	}
	x->start = tool_now();
	progress_init(&x->bar, "send", x->o.bytes,
		      !x->o.quiet && (x->o.progress || isatty(STDERR_FILENO)));
	if (send_data(x) || sl_shutdown(x->fd, SHUT_WR) || send_wait_fin(x)) {
		xfer_report(x);
		return 1;
	}
	xfer_report(x);
	return 0;
}

/* Accept one connection; SIGINT/SIGTERM stop the wait. */
static int recv_accept(struct xfer *x)
{
	struct pollfd pfd = { .fd = x->lfd, .events = POLLIN };

	while (!tool_stop) {
		if (sl_poll(&pfd, 1, 200) <= 0)
			continue;
		x->fd = sl_accept(x->lfd, NULL, NULL);
		if (x->fd >= 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			break;
	}
	fprintf(stderr, "%s: accept: %s\n", x->prog,
		tool_stop ? "interrupted" : strerror(errno));
	return -1;
}

static int recv_listen(struct xfer *x)
{
	char ip[INET_ADDRSTRLEN];
	int one = 1;

	inet_ntop(AF_INET, &x->o.addr.sin_addr, ip, sizeof(ip));
	x->lfd = sl_socket_net(x->st.net, AF_INET, SOCK_STREAM, 0);
	if (x->lfd < 0)
		return -1;
	sl_setsockopt(x->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sl_bind(x->lfd, (struct sockaddr *)&x->o.addr, sizeof(x->o.addr)) ||
	    sl_listen(x->lfd, 1)) {
		fprintf(stderr, "%s: listen on %s:%u: %s\n", x->prog, ip,
			ntohs(x->o.addr.sin_port), strerror(errno));
		return -1;
	}
	fprintf(stderr, "%s: listening on %s:%u\n", x->prog, ip,
		ntohs(x->o.addr.sin_port));
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_data(struct xfer *x)
{
	ssize_t n;

	for (;;) {
		n = sl_recv(x->fd, x->buf, XFER_BUF, 0);
		if (n < 0 && errno == EINTR && !tool_stop)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: receive: %s\n", x->prog,
				tool_stop ? "interrupted" : strerror(errno));
			return -1;
		}
		if (!n)
			return 0;
		if (write_all(x->io_fd, x->buf, (size_t)n)) {
			fprintf(stderr, "%s: write: %s\n", x->prog, strerror(errno));
			return -1;
		}
		x->done += (uint64_t)n;
		progress_update(&x->bar, x->done, false);
	}
}

/* The peer closed: send our FIN and wait (up to a second) for its ACK, so
 * that the stack is not torn down with our FIN still unacknowledged. */
static void recv_finish(struct xfer *x)
{
	struct tcp_info ti;
	socklen_t len;
	double until = tool_now() + 1;

	if (sl_shutdown(x->fd, SHUT_WR))
		return;
	while (tool_now() < until) {
		len = sizeof(ti);
		if (sl_getsockopt(x->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
		    ti.tcpi_state == TCP_CLOSE)
			return;
		usleep(2000);
	}
}

static int recv_run(struct xfer *x)
{
	int err;

	if (x->o.out && strcmp(x->o.out, "-")) {
		x->io_fd = open(x->o.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				0644);
		if (x->io_fd < 0) {
			fprintf(stderr, "%s: %s: %s\n", x->prog, x->o.out,
				strerror(errno));
			return 1;
		}
	} else {
		x->io_fd = STDOUT_FILENO;
	}
	if (recv_listen(x) || recv_accept(x))
		return 1;
	x->start = tool_now();
	progress_init(&x->bar, "recv", 0,
		      !x->o.quiet && (x->o.progress || isatty(STDERR_FILENO)));
	err = recv_data(x);
	xfer_report(x);
	if (!err)
		recv_finish(x);
	if (x->io_fd != STDOUT_FILENO && close(x->io_fd)) {
		fprintf(stderr, "%s: %s: %s\n", x->prog, x->o.out, strerror(errno));
		err = -1;
	}
	x->io_fd = -1;
	return err ? 1 : 0;
}

static int xfer_main(int argc, char **argv, bool send)
{
	struct xfer x = { .fd = -1, .lfd = -1, .io_fd = -1 };
	int err;

	x.prog = send ? "sockline send" : "sockline recv";
	err = xfer_parse(&x, argc, argv, send);
	if (err >= 0)
		return err;
	tool_signals();
	err = tool_stack_up(&x.st, &x.o.dev, x.prog);
	if (err)
		return err;
	x.buf = malloc(XFER_BUF);
	if (!x.buf) {
		err = 1;
		goto out;
	}
	tool_ctl_start(&x.st);
	err = send ? send_run(&x) : recv_run(&x);
out:
	if (x.fd >= 0)
		sl_close(x.fd);
	if (x.lfd >= 0)
		sl_close(x.lfd);
	if (x.io_fd > STDOUT_FILENO)
		close(x.io_fd);
	tool_stack_down(&x.st);
	free(x.buf);
	return err;
}

int send_main(int argc, char **argv)
{
	return xfer_main(argc, argv, true);
}

int recv_main(int argc, char **argv)
{
	return xfer_main(argc, argv, false);
}
