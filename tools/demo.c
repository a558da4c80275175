/*
 * sockline demo: two stacks in this process joined by a virtual wire,
 * then ARP resolution, a ping exchange with RTT statistics, a UDP echo
 * exchange, the traced path of one datagram through the layers of both
 * stacks, and the counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"
#include "tools.h"

struct demo_opts {
	struct sl_wire_impair imp;
	unsigned int mtu;
	int pings;
	int ping_size;
	int udp_count;
	int udp_size;
	int tcp_mib;
	const char *pcap;
	unsigned long long seed;
	bool threaded;
	bool virtual_clock;
	bool trace;
	bool gso;
};

static void demo_usage(FILE *out)
{
	fprintf(out,
		"usage: sockline demo [options]\n\n"
		"Two sockline stacks, a (10.0.0.1/24) and b (10.0.0.2/24), in this\n"
		"process, joined by an in-process virtual wire. The demo resolves b's\n"
		"address with ARP, pings it, runs a UDP echo exchange, prints the path\n"
		"one datagram took through both stacks, the counters, and then moves\n"
		"data over a TCP connection with a progress bar.\n\n"
		"options:\n"
		"  -c, --count N        ping packets to send (default 5)\n"
		"  -s, --size N         ping payload bytes (default 56)\n"
		"  -n, --udp N          UDP datagrams to echo (default 1000)\n"
		"  -l, --udp-size N     UDP payload bytes (default 512)\n"
		"  -t, --tcp MIB        MiB to send over TCP, 0 to skip (default 64)\n"
		"      --mtu N          wire MTU (default 1500)\n"
		"      --loss P         wire loss probability, each way (0..1)\n"
		"      --delay MS       one-way wire delay in milliseconds\n"
		"      --jitter MS      extra random delay up to MS milliseconds\n"
		"      --reorder P      probability a frame is held back (0..1)\n"
		"      --duplicate P    probability a frame is delivered twice (0..1)\n"
		"      --corrupt P      probability a frame gets a flipped bit (0..1)\n"
		"      --rate MBIT      wire rate limit in Mbit/s (default unlimited)\n"
		"      --seed N         seed for the wire's impairments (default 1)\n"
		"      --pcap FILE      capture stack a's wire traffic to FILE (pcap)\n"
		"      --threaded       give each stack its own thread (default: this\n"
		"                       thread drives both stacks, run to completion)\n"
		"      --virtual        run on a virtual clock (deterministic times)\n"
		"      --no-trace       do not trace a packet's path\n"
		"      --gso            the wire carries segments up to 64 KiB whole\n"
		"                       (as TSO and loopback do)\n"
		"  -h, --help           this text\n");
}

static int parse_prob(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0 || v > 1)
		return -1;
	*out = v;
	return 0;
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum { O_MTU = 256, O_LOSS, O_DELAY, O_JITTER, O_REORDER, O_DUP, O_CORRUPT,
       O_RATE, O_SEED, O_PCAP, O_THREADED, O_VIRTUAL, O_NOTRACE, O_GSO };

static int demo_parse_one(struct demo_opts *o, int c, const char *arg)
{
	long v;

	switch (c) {
	case 'c': if (parse_num(arg, 1, 1000000, &v)) return -1; o->pings = (int)v; break;
	case 's': if (parse_num(arg, 0, 65507 - 8, &v)) return -1; o->ping_size = (int)v; break;
	case 'n': if (parse_num(arg, 0, 100000000, &v)) return -1; o->udp_count = (int)v; break;
	case 'l': if (parse_num(arg, 1, 65507, &v)) return -1; o->udp_size = (int)v; break;
	case 't': if (parse_num(arg, 0, 1 << 20, &v)) return -1; o->tcp_mib = (int)v; break;
	case O_MTU: if (parse_num(arg, 68, 65535, &v)) return -1; o->mtu = (unsigned)v; break;
	case O_LOSS: return parse_prob(arg, &o->imp.loss);
	case O_REORDER: return parse_prob(arg, &o->imp.reorder);
	case O_DUP: return parse_prob(arg, &o->imp.duplicate);
	case O_CORRUPT: return parse_prob(arg, &o->imp.corrupt);
	case O_DELAY: if (parse_num(arg, 0, 100000, &v)) return -1;
		o->imp.delay_ns = (uint64_t)v * 1000000; break;
	case O_JITTER: if (parse_num(arg, 0, 100000, &v)) return -1;
		o->imp.jitter_ns = (uint64_t)v * 1000000; break;
	case O_RATE: if (parse_num(arg, 1, 1000000000, &v)) return -1;
		o->imp.rate_bps = (uint64_t)v * 1000000; break;
	case O_SEED: if (parse_num(arg, 0, 0x7fffffffffffffffL, &v)) return -1;
		o->seed = (unsigned long long)v; break;
	case O_PCAP: o->pcap = arg; break;
	case O_THREADED: o->threaded = true; break;
	case O_VIRTUAL: o->virtual_clock = true; break;
	case O_NOTRACE: o->trace = false; break;
	case O_GSO: o->gso = true; break;
	default: return -1;
	}
	return 0;
}

static int demo_parse(int argc, char **argv, struct demo_opts *o)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "udp", required_argument, NULL, 'n' },
		{ "udp-size", required_argument, NULL, 'l' },
		{ "tcp", required_argument, NULL, 't' },
		{ "mtu", required_argument, NULL, O_MTU },
		{ "loss", required_argument, NULL, O_LOSS },
		{ "delay", required_argument, NULL, O_DELAY },
		{ "jitter", required_argument, NULL, O_JITTER },
		{ "reorder", required_argument, NULL, O_REORDER },
		{ "duplicate", required_argument, NULL, O_DUP },
		{ "corrupt", required_argument, NULL, O_CORRUPT },
		{ "rate", required_argument, NULL, O_RATE },
		{ "seed", required_argument, NULL, O_SEED },
		{ "pcap", required_argument, NULL, O_PCAP },
		{ "threaded", no_argument, NULL, O_THREADED },
		{ "virtual", no_argument, NULL, O_VIRTUAL },
		{ "no-trace", no_argument, NULL, O_NOTRACE },
		{ "gso", no_argument, NULL, O_GSO },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->pings = 5;
	o->ping_size = 56;
	o->udp_count = 1000;
	o->udp_size = 512;
	o->tcp_mib = 64;
	o->seed = 1;
	o->trace = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:n:l:t:h", longopts, NULL)) != -1) {
		if (c == 'h') {
			demo_usage(stdout);
			exit(0);
		}
		if (c == '?' || demo_parse_one(o, c, optarg)) {
			if (c != '?')
				fprintf(stderr, "sockline demo: bad value '%s' for option\n",
					optarg);
			demo_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sockline demo: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->threaded && o->virtual_clock) {
		fprintf(stderr, "sockline demo: --threaded and --virtual do not mix "
				"(a virtual clock is moved by the caller)\n");
		return -1;
	}
	return 0;
}

struct demo {
	struct demo_opts o;
	sl_clock_t *clk;
	sl_net_t *a, *b;
	char trace_line[4096];
	bool traced;
	int pcap_handle;
};

static uint64_t now_ns(struct demo *d)
{
	return sl_clock_now_ns(d->clk);
}

static int demo_setup(struct demo *d)
{
	struct sl_net_config nc = { .mode = d->o.threaded ? SL_NET_THREADED : SL_NET_POLLED };
	struct sl_wire_config wc = { .mtu = d->o.mtu, .seed = d->o.seed,
				     .gso = d->o.gso };

	d->clk = sl_clock_new(d->o.virtual_clock);
	nc.clock = d->clk;
	nc.name = "a";
	nc.seed = 0xa;
	d->a = sl_net_create(&nc);
	nc.name = "b";
	nc.seed = 0xb;
	d->b = sl_net_create(&nc);
	if (!d->a || !d->b) {
		perror("sockline demo: stack creation");
		return -1;
	}
	wc.a_to_b = d->o.imp;
	wc.b_to_a = d->o.imp;
	if (sl_wire_create(d->a, d->b, &wc, NULL, NULL) < 0 ||
	    sl_addr_add(d->a, "wire0", "10.0.0.1/24") < 0 ||
	    sl_addr_add(d->b, "wire0", "10.0.0.2/24") < 0) {
		perror("sockline demo: wire setup");
		return -1;
	}
	if (d->o.pcap &&
	    (d->pcap_handle = sl_pcap_start(d->a, "wire0", d->o.pcap)) < 0) {
		fprintf(stderr, "sockline demo: --pcap %s: %s\n", d->o.pcap,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void print_header(struct demo *d)
{
	const struct sl_wire_impair *i = &d->o.imp;

	printf("sockline demo: two stacks on an in-process virtual wire (%s, %s clock)\n",
	       d->o.threaded ? "one thread per stack" : "run to completion",
	       d->o.virtual_clock ? "virtual" : "real");
	printf("  stack a: wire0 10.0.0.1/24    stack b: wire0 10.0.0.2/24\n");
	printf("  wire: mtu %u, loss %.1f%%, delay %.1f ms, jitter %.1f ms, reorder "
	       "%.1f%%, duplicate %.1f%%, corrupt %.1f%%",
	       d->o.mtu ? d->o.mtu : 1500, i->loss * 100, i->delay_ns / 1e6,
	       i->jitter_ns / 1e6, i->reorder * 100, i->duplicate * 100,
	       i->corrupt * 100);
	if (i->rate_bps)
		printf(", rate %llu Mbit/s", (unsigned long long)(i->rate_bps / 1000000));
	printf("\n\n");
}

/* Print one section of sl_net_dump (the lines after @marker). */
static void print_dump_section(sl_net_t *net, const char *marker)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	bool on = false;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	sl_net_dump(net, f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#') {
			on = strstr(line, marker) != NULL;
			continue;
		}
		if (on)
			printf("    %s\n", line);
	}
	free(buf);
}

static void set_rcvtimeo(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	sl_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

struct rtt_stats {
	int sent, received;
	double min, max, sum, sum2;
};

static void rtt_add(struct rtt_stats *s, double us)
{
	if (!s->received || us < s->min)
		s->min = us;
	if (!s->received || us > s->max)
		s->max = us;
	s->sum += us;
	s->sum2 += us * us;
	s->received++;
}

static int ping_once(struct demo *d, int fd, const struct sockaddr_in *dst,
		     int seq, struct rtt_stats *st)
{
	unsigned char pkt[65536], in[65536];
	struct icmphdr *ih = (struct icmphdr *)pkt;
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	uint64_t t0;
	ssize_t n;

	memset(pkt, 0, sizeof(*ih) + (size_t)d->o.ping_size);
	ih->type = ICMP_ECHO;
	ih->un.echo.sequence = htons((uint16_t)seq);
	for (int i = 0; i < d->o.ping_size; i++)
		pkt[sizeof(*ih) + i] = (unsigned char)i;
	t0 = now_ns(d);
	if (sl_sendto(fd, pkt, sizeof(*ih) + (size_t)d->o.ping_size, 0,
		      (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
		printf("  ping: sendto: %s\n", strerror(errno));
		return -1;
	}
	st->sent++;
	for (;;) {
		n = sl_recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &flen);
		if (n < 0) {
			printf("  no reply for icmp_seq=%d (%s)\n", seq, strerror(errno));
			return 0;
		}
		ih = (struct icmphdr *)in;
		if (n >= (ssize_t)sizeof(*ih) && ih->type == ICMP_ECHOREPLY &&
		    ntohs(ih->un.echo.sequence) == seq)
			break;
	}
	double us = (double)(now_ns(d) - t0) / 1000.0;
	rtt_add(st, us);
	if (us >= 1000)
		printf("  %zd bytes from %s: icmp_seq=%d time=%.2f ms\n", n,
		       inet_ntoa(from.sin_addr), seq, us / 1000);
	else
		printf("  %zd bytes from %s: icmp_seq=%d time=%.1f us\n", n,
		       inet_ntoa(from.sin_addr), seq, us);
	return 0;
}

static void demo_ping(struct demo *d)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = 0 };
	struct rtt_stats st = { 0 };
	int fd, i;

	inet_pton(AF_INET, "10.0.0.2", &dst.sin_addr);
	printf("[1] ARP resolution, then ping 10.0.0.2 from a: %d packets of %d bytes "
	       "(ping socket: SOCK_DGRAM, IPPROTO_ICMP)\n", d->o.pings, d->o.ping_size);
	fd = sl_socket_net(d->a, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (fd < 0) {
		printf("  ping socket: %s\n", strerror(errno));
		return;
	}
	set_rcvtimeo(fd, 1000);
	for (i = 1; i <= d->o.pings; i++)
		if (ping_once(d, fd, &dst, i, &st) < 0)
			break;
	sl_close(fd);
	printf("  --- 10.0.0.2 ping statistics ---\n");
	printf("  %d packets transmitted, %d received, %.0f%% packet loss\n", st.sent,
	       st.received, st.sent ? 100.0 * (st.sent - st.received) / st.sent : 0.0);
	if (st.received) {
		double avg = st.sum / st.received;
		double var = st.sum2 / st.received - avg * avg;

		printf("  rtt min/avg/max/mdev = %.1f/%.1f/%.1f/%.1f us\n", st.min, avg,
		       st.max, sqrt(var > 0 ? var : 0));
	}
	printf("  a's neighbour table (resolved by ARP):\n");
	print_dump_section(d->a, "neighbours");
	printf("\n");
}

static void demo_trace_done(void *arg, unsigned int n, const char *const *fn,
			    const char *const *stack)
{
	struct demo *d = arg;
	size_t off = 0;
	const char *last = NULL;

	if (d->traced)
		return;
	d->traced = true;
	for (unsigned int i = 0; i < n && off < sizeof(d->trace_line) - 64; i++) {
		if (!last || strcmp(last, stack[i]))
			off += (size_t)snprintf(d->trace_line + off,
						sizeof(d->trace_line) - off, "%s[%s] ",
						last ? "\n      " : "", stack[i]);
		else
			off += (size_t)snprintf(d->trace_line + off,
						sizeof(d->trace_line) - off, " > ");
		off += (size_t)snprintf(d->trace_line + off, sizeof(d->trace_line) - off,
					"%s", fn[i]);
		last = stack[i];
	}
}

/*
 * Echo datagrams arriving on @fd back to their senders: wait (up to the
 * socket's receive timeout) for the first, then take whatever else is
 * queued. A blocking call also drives the stacks in run-to-completion mode.
 */
static int udp_echo_round(int fd, char *buf, size_t len)
{
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	int echoed = 0, flags = 0;

	for (;;) {
		fl = sizeof(from);
		n = sl_recvfrom(fd, buf, len, flags, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return echoed;
		sl_sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
		echoed++;
		flags = MSG_DONTWAIT;
	}
}

/* Receive what comes back: wait for the first, then drain the queue. */
static int udp_receive_round(int fd, char *buf, size_t len)
{
	int got = 0, flags = 0;

	while (sl_recv(fd, buf, len, flags) >= 0) {
		got++;
		flags = MSG_DONTWAIT;
	}
	return got;
}

struct udp_counts {
	int sent, echoed, received, send_errors;
};

/*
 * Keep up to a window of datagrams in flight, as a real application would:
 * send, let b echo, receive. A round in which nothing comes back means the
 * rest of the window was lost on the wire.
 */
static void udp_run(struct demo *d, int ca, int sb, const struct sockaddr_in *to,
		    struct udp_counts *c)
{
	const int window = 64;
	char *buf = malloc(65536);
	int in_flight = 0, got;

	memset(buf, 'x', 65536);
	while (c->sent + c->send_errors < d->o.udp_count || in_flight > 0) {
		while (c->sent + c->send_errors < d->o.udp_count && in_flight < window) {
			if (sl_sendto(ca, buf, (size_t)d->o.udp_size, 0,
				      (const struct sockaddr *)to, sizeof(*to)) < 0) {
				c->send_errors++;
				continue;
			}
			c->sent++;
			in_flight++;
		}
		c->echoed += udp_echo_round(sb, buf, 65536);
		got = udp_receive_round(ca, buf, 65536);
		c->received += got;
		in_flight = got ? in_flight - got : 0;
		if (in_flight < 0)
			in_flight = 0; /* duplicates on the wire */
	}
	free(buf);
}

static void demo_udp(struct demo *d)
{
	struct sockaddr_in bsin = { .sin_family = AF_INET, .sin_port = htons(7) };
	struct udp_counts c = { 0 };
	uint64_t t0, t1;
	int ca, sb;

	printf("[2] UDP: %d datagrams of %d bytes from a to b's echo port 7 and back\n",
	       d->o.udp_count, d->o.udp_size);
	inet_pton(AF_INET, "10.0.0.2", &bsin.sin_addr);
	ca = sl_socket_net(d->a, AF_INET, SOCK_DGRAM, 0);
	sb = sl_socket_net(d->b, AF_INET, SOCK_DGRAM, 0);
	if (ca < 0 || sb < 0 || sl_bind(sb, (struct sockaddr *)&bsin, sizeof(bsin)) < 0) {
		printf("  udp sockets: %s\n", strerror(errno));
		goto out;
	}
	set_rcvtimeo(ca, 200);
	set_rcvtimeo(sb, 200);
	if (d->o.trace)
		sl_trace_start(d->a, 1, demo_trace_done, d);
	t0 = now_ns(d);
	udp_run(d, ca, sb, &bsin, &c);
	t1 = now_ns(d);
	printf("  sent %d, echoed by b %d, received back %d (%.2f%% lost), %d send "
	       "errors, %.1f ms\n", c.sent, c.echoed, c.received,
	       c.sent ? 100.0 * (c.sent - c.received) / c.sent : 0.0, c.send_errors,
	       (double)(t1 - t0) / 1e6);
out:
	if (ca >= 0)
		sl_close(ca);
	if (sb >= 0)
		sl_close(sb);
	printf("\n");
}

static void demo_counters(struct demo *d)
{
	static const char *const names[] = {
		"IpInReceives", "IpInDelivers", "IpOutRequests", "IpFragCreates",
		"IpReasmOKs", "IcmpInEchos", "IcmpOutEchoReps", "IcmpInEchoReps",
		"UdpInDatagrams", "UdpOutDatagrams", "UdpNoPorts", "UdpRcvbufErrors",
		"UdpInCsumErrors",
	};
	struct sl_link_stats la, lb;

	printf("[4] Counters (as netstat -s names them)\n");
	printf("  %-18s %12s %12s\n", "", "a", "b");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t va = 0, vb = 0;

		sl_snmp_get(d->a, names[i], &va);
		sl_snmp_get(d->b, names[i], &vb);
		printf("  %-18s %12llu %12llu\n", names[i], (unsigned long long)va,
		       (unsigned long long)vb);
	}
	if (!sl_link_stats(d->a, "wire0", &la) && !sl_link_stats(d->b, "wire0", &lb)) {
		printf("  %-18s %12llu %12llu\n", "wire0 tx packets",
		       (unsigned long long)la.tx_packets, (unsigned long long)lb.tx_packets);
		printf("  %-18s %12llu %12llu\n", "wire0 rx packets",
		       (unsigned long long)la.rx_packets, (unsigned long long)lb.rx_packets);
	}
}

int demo_main(int argc, char **argv)
{
	struct demo d;

	memset(&d, 0, sizeof(d));
	if (demo_parse(argc, argv, &d.o))
		return 2;
	if (demo_setup(&d))
		return 1;
	print_header(&d);
	demo_ping(&d);
	demo_udp(&d);
	if (d.o.trace) {
		printf("[3] The path of one UDP datagram from a to b (sl_trace_start):\n");
		printf("      %s\n\n", d.traced ? d.trace_line : "(not traced)");
	}
	demo_counters(&d);
	printf("\n");
	if (d.o.tcp_mib)
		demo_tcp(d.a, d.b, d.clk, !d.o.threaded, d.o.virtual_clock,
			 (size_t)d.o.tcp_mib << 20);
	if (d.o.pcap) {
		sl_pcap_stop(d.a, d.pcap_handle);
		printf("\ncapture of a's wire0 written to %s (tcpdump -r %s)\n", d.o.pcap,
		       d.o.pcap);
	}
	sl_net_destroy(d.a);
	sl_net_destroy(d.b);
	sl_clock_free(d.clk);
	return 0;
}
