/*
 * sockline ping: ICMP echo (RFC 792) from a stack on a real link, printed
 * as iputils' ping prints it. A ping socket (SOCK_DGRAM, IPPROTO_ICMP, as
 * unprivileged iputils uses): the stack picks the identifier, IP_RECVTTL
 * gives each reply's TTL, IP_RECVERR the ICMP errors about our requests.
 *
 * Loop: send a request every INTERVAL (the first at once) -> poll for
 * replies and errors until the next send is due -> after the last request,
 * wait for the missing replies (2 x the longest RTT, at least INTERVAL,
 * once any reply came; TIMEOUT while none did, as iputils) -> statistics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <math.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>
#include <string.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"
#include "tools.h"

#define PING_MAX_SIZE 65507     /* 65535 - 20 (IP) - 8 (ICMP) */
#define PING_SENT_MAX 65536     /* send times kept, by sequence number */
/* One message buffer (ICMP header + data), 8-byte aligned: two are
 * allocated, for sending and receiving. */
#define PING_BUF ((sizeof(struct icmphdr) + PING_MAX_SIZE + 7) & ~(size_t)7)

struct ping_opts {
	struct devopts dev;
	long count;             /* 0: until interrupted */
	size_t size;
	double interval;        /* s */
	double timeout;         /* s, -W */
	double deadline;        /* s, -w; 0 none */
	bool quiet;
	const char *host;
};

struct ping {
	struct ping_opts o;
	struct tool_stack st;
	struct in_addr dst;
	int fd;
	double start;
	double *sent;           /* send time by seq (mod PING_SENT_MAX), 0 none */
	unsigned char *seen;    /* a reply was counted for this seq */
	long transmitted, received, dups, errors;
	double tmin, tmax, tsum, tsum2;   /* ms */
	unsigned char *buf;
};

static void ping_usage(FILE *out)
{
	fprintf(out,
		"usage: sockline ping [device options] [options] HOST\n\n"
		"Send ICMP echo requests to HOST from a sockline stack on a real link\n"
		"and print the replies and statistics as iputils' ping does. Exits 0\n"
		"if any reply came, 1 otherwise, 2 on usage errors.\n\n"
		"options:\n"
		"  -c N                 stop after N requests (default: until SIGINT)\n"
		"  -s SIZE              data bytes per request (default 56)\n"
		"  -i INTERVAL          seconds between requests (default 1)\n"
		"  -W TIMEOUT           seconds to wait for a reply (default 10)\n"
		"  -w DEADLINE          stop after DEADLINE seconds in all\n"
		"  -q                   only the summary\n"
		"  -h, --help           this text\n\n");
	devopts_usage(out);
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0) || v > 1e6)
		return -1;
	*out = v;
	return 0;
}

/* 0 and the options, or an exit status (help: 0 with o->host NULL). */
static int ping_parse(struct ping_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		DEVOPTS_LONGOPTS,
		{ 0 },
	};
	char *end;
	int c, r;

	devopts_init(&o->dev);
	o->size = 56;
	o->interval = 1;
	o->timeout = 10;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:i:W:w:qh", longopts, NULL)) != -1) {
		r = devopts_parse(&o->dev, "sockline ping", c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'c':
			o->count = strtol(optarg, &end, 10);
			if (end == optarg || *end || o->count <= 0) {
				fprintf(stderr, "sockline ping: bad count '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			o->size = strtoul(optarg, &end, 10);
			if (end == optarg || *end || *optarg == '-' ||
			    o->size > PING_MAX_SIZE) {
				fprintf(stderr, "sockline ping: bad size '%s' "
					"(0..%d)\n", optarg, PING_MAX_SIZE);
				return EXIT_USAGE;
			}
			break;
		case 'i':
		case 'W':
		case 'w':
			if (parse_seconds(optarg, c == 'i' ? &o->interval :
					  c == 'W' ? &o->timeout : &o->deadline)) {
				fprintf(stderr, "sockline ping: bad -%c '%s'\n",
					c, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			ping_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'sockline ping --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sockline ping: %s\nTry 'sockline ping --help'.\n",
			optind < argc ? "one HOST only" : "no HOST given");
		return EXIT_USAGE;
	}
	o->host = argv[optind];
	return -1;
}

/* iputils' precision: 3 decimals under 1 ms, fewer as the time grows. */
static void print_ms(double ms)
{
	if (ms >= 100)
		printf("%.0f", floor(ms));
	else if (ms >= 10)
		printf("%.1f", floor(ms * 10) / 10);
	else if (ms >= 1)
		printf("%.2f", floor(ms * 100) / 100);
	else
		printf("%.3f", ms);
}

static void ping_from(struct ping *p, char *buf, size_t len, struct in_addr a)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (a.s_addr == p->dst.s_addr && strcmp(p->o.host, ip))
		snprintf(buf, len, "%s (%s)", p->o.host, ip);
	else
		snprintf(buf, len, "%s", ip);
}

static int ping_send(struct ping *p)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = p->dst };
	unsigned int seq = (unsigned int)(p->transmitted + 1) & 0xffff;
	struct icmphdr *icmp = (struct icmphdr *)p->buf;
	size_t i;

	memset(icmp, 0, sizeof(*icmp));
	icmp->type = ICMP_ECHO;
	icmp->un.echo.sequence = htons((uint16_t)seq);
	/* iputils' pattern after the timestamp: each byte its offset. */
	for (i = 0; i < p->o.size; i++)
		p->buf[sizeof(*icmp) + i] = (unsigned char)i;
	p->sent[seq] = tool_now();
	p->seen[seq] = 0;
	p->transmitted++;
	if (sl_sendto(p->fd, p->buf, sizeof(*icmp) + p->o.size, 0,
		      (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "sockline ping: sendmsg: %s\n", strerror(errno));
		p->errors++;
		return -1;
	}
	return 0;
}

static void ping_reply(struct ping *p, const struct icmphdr *icmp, ssize_t len,
		       struct in_addr from, int ttl)
{
	unsigned int seq = ntohs(icmp->un.echo.sequence);
	double ms = (tool_now() - p->sent[seq]) * 1e3;
	char who[300];
	bool dup = p->seen[seq];

	if (icmp->type != ICMP_ECHOREPLY || !p->sent[seq])
		return;
	if (dup) {
		p->dups++;
	} else {
		p->seen[seq] = 1;
		p->received++;
		p->tsum += ms;
		p->tsum2 += ms * ms;
		if (p->received == 1 || ms < p->tmin)
			p->tmin = ms;
		if (ms > p->tmax)
			p->tmax = ms;
	}
	if (p->o.quiet)
		return;
	ping_from(p, who, sizeof(who), from);
	printf("%zd bytes from %s: icmp_seq=%u", len, who, seq);
	if (ttl >= 0)
		printf(" ttl=%d", ttl);
	printf(" time=");
	print_ms(ms);
	printf(" ms%s\n", dup ? " (DUP!)" : "");
	fflush(stdout);
}

static int cmsg_ttl(struct msghdr *msg)
{
	struct cmsghdr *cm;
	int ttl = -1;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm))
		if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_TTL)
			memcpy(&ttl, CMSG_DATA(cm), sizeof(ttl));
	return ttl;
}

static int ping_recv(struct ping *p)
{
	size_t cap = PING_BUF;
	unsigned char *rbuf = p->buf + PING_BUF;
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } cb;
	struct sockaddr_in from;
	struct iovec iov = { .iov_base = rbuf, .iov_len = cap };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cb.buf, .msg_controllen = sizeof(cb.buf),
	};
	ssize_t n = sl_recvmsg(p->fd, &msg, MSG_DONTWAIT);

	if (n < (ssize_t)sizeof(struct icmphdr))
		return -1;
	ping_reply(p, (struct icmphdr *)rbuf, n, from.sin_addr, cmsg_ttl(&msg));
	return 0;
}

static const char *icmp_error_text(const struct sock_extended_err *ee,
				   char *buf, size_t len)
{
	static const char *const unreach[] = {
		"Destination Net Unreachable", "Destination Host Unreachable",
		"Destination Protocol Unreachable", "Destination Port Unreachable",
		"Frag needed and DF set", "Source Route Failed",
	};

	if (ee->ee_origin != SO_EE_ORIGIN_ICMP)
		return strerror((int)ee->ee_errno);
	if (ee->ee_type == ICMP_DEST_UNREACH && ee->ee_code == ICMP_FRAG_NEEDED) {
		snprintf(buf, len, "Frag needed and DF set (mtu = %u)", ee->ee_info);
		return buf;
	}
	if (ee->ee_type == ICMP_DEST_UNREACH &&
	    ee->ee_code < sizeof(unreach) / sizeof(*unreach))
		return unreach[ee->ee_code];
	if (ee->ee_type == ICMP_TIME_EXCEEDED)
		return "Time to live exceeded";
	snprintf(buf, len, "ICMP type %u code %u", ee->ee_type, ee->ee_code);
	return buf;
}

/* An error about one of our requests (IP_RECVERR): "From X icmp_seq=N ...". */
static int ping_recv_error(struct ping *p)
{
	unsigned char data[sizeof(struct icmphdr) + 64];
	union { char buf[512]; struct cmsghdr align; } cb;
	struct sockaddr_in target;
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = {
		.msg_name = &target, .msg_namelen = sizeof(target),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cb.buf, .msg_controllen = sizeof(cb.buf),
	};
	struct sock_extended_err *ee = NULL;
	struct sockaddr_in *off;
	struct cmsghdr *cm;
	char who[300], text[64];
	ssize_t n = sl_recvmsg(p->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);

	if (n < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR)
			ee = (struct sock_extended_err *)CMSG_DATA(cm);
	if (!ee)
		return 0;
	p->errors++;
	if (p->o.quiet)
		return 0;
	off = (struct sockaddr_in *)SO_EE_OFFENDER(ee);
	ping_from(p, who, sizeof(who), off->sin_family == AF_INET ?
					       off->sin_addr : p->st.addr);
	printf("From %s icmp_seq=%u %s\n", who,
	       n >= (ssize_t)sizeof(struct icmphdr) ?
		       ntohs(((struct icmphdr *)data)->un.echo.sequence) : 0,
	       icmp_error_text(ee, text, sizeof(text)));
	fflush(stdout);
	return 0;
}

/* Wait for replies until @until (CLOCK_MONOTONIC s), or until every
 * request is answered once -c's last request is out. */
static void ping_wait(struct ping *p, double until, bool last)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN | POLLERR };
	double left;

	while (!tool_stop) {
		if (last && p->received + p->errors >= p->transmitted)
			return;
		left = until - tool_now();
		if (left <= 0)
			return;
		if (sl_poll(&pfd, 1, left > 0.1 ? 100 : (int)(left * 1e3) + 1) <= 0)
			continue;
		while (!ping_recv(p))
			;
		while (!ping_recv_error(p))
			;
	}
}

static void ping_stats(struct ping *p)
{
	double avg, mdev, loss;

	printf("\n--- %s ping statistics ---\n", p->o.host);
	printf("%ld packets transmitted, %ld received", p->transmitted,
	       p->received);
	if (p->dups)
		printf(", +%ld duplicates", p->dups);
	if (p->errors)
		printf(", +%ld errors", p->errors);
	loss = p->transmitted ?
		(double)(p->transmitted - p->received) * 100.0 / p->transmitted : 0;
	printf(", %g%% packet loss, time %.0fms\n", loss,
	       floor((tool_now() - p->start) * 1e3));
	if (!p->received)
		return;
	avg = p->tsum / p->received;
	mdev = sqrt(fmax(0, p->tsum2 / p->received - avg * avg));
	printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", p->tmin, avg,
	       p->tmax, mdev);
}

static void ping_run(struct ping *p)
{
	double next, end = 0;
	bool last;

	p->start = tool_now();
	if (p->o.deadline)
		end = p->start + p->o.deadline;
	next = p->start;
	while (!tool_stop) {
		if (end && tool_now() >= end)
			break;
		ping_send(p);
		next += p->o.interval;
		last = p->o.count && p->transmitted >= p->o.count;
		if (!last) {
			ping_wait(p, end && end < next ? end : next, false);
			continue;
		}
		/* The last one: 2 RTTs (at least one interval) after a reply
		 * came, the timeout while none did. */
		next = tool_now() + (p->received ?
				     fmax(2 * p->tmax / 1e3, p->o.interval) :
				     p->o.timeout);
		ping_wait(p, end && end < next ? end : next, true);
		break;
	}
}

static int ping_open(struct ping *p)
{
	int one = 1;

	p->fd = sl_socket_net(p->st.net, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (p->fd < 0) {
		fprintf(stderr, "sockline ping: socket: %s\n", strerror(errno));
		return -1;
	}
	sl_setsockopt(p->fd, SOL_IP, IP_RECVTTL, &one, sizeof(one));
	sl_setsockopt(p->fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
	return 0;
}

int ping_main(int argc, char **argv)
{
	struct ping p = { .fd = -1 };
	char ip[INET_ADDRSTRLEN];
	int err;

	err = ping_parse(&p.o, argc, argv);
	if (err >= 0)
		return err;
	if (tool_parse_host(p.o.host, &p.dst)) {
		fprintf(stderr, "sockline ping: %s: Name or service not known\n",
			p.o.host);
		return EXIT_USAGE;
	}
	tool_signals();
	err = tool_stack_up(&p.st, &p.o.dev, "sockline ping");
	if (err)
		return err;
	err = 1;
	p.sent = calloc(PING_SENT_MAX, sizeof(*p.sent));
	p.seen = calloc(PING_SENT_MAX, 1);
	p.buf = malloc(2 * PING_BUF);
	if (!p.sent || !p.seen || !p.buf || ping_open(&p))
		goto out;
	inet_ntop(AF_INET, &p.dst, ip, sizeof(ip));
	printf("PING %s (%s) %zu(%zu) bytes of data.\n", p.o.host, ip, p.o.size,
	       p.o.size + 28);
	fflush(stdout);
	ping_run(&p);
	ping_stats(&p);
	err = p.received ? 0 : 1;
out:
	if (p.fd >= 0)
		sl_close(p.fd);
	tool_stack_down(&p.st);
	free(p.sent);
	free(p.seen);
	free(p.buf);
	return err;
}
