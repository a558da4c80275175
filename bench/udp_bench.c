/*
 * UDP and ping on two stacks in one process joined by the virtual wire,
 * run to completion (this thread drives both stacks), real clock.
 *
 * Prints, with the targets beside them:
 *   - 64-byte datagrams delivered per second        (target >= 1,000,000/s)
 *   - 1472-byte datagrams, delivered Gbit/s of payload (target >= 10 Gbit/s)
 *   - ping RTT through ping sockets                 (target < 5 us)
 *
 * usage: udp_bench [seconds-per-test]   (default 2)
 */
#include <arpa/inet.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench {
	sl_clock_t *clk;
	sl_net_t *a, *b;
	int tx, rx;
	struct sockaddr_in dst;
};

static void bench_setup(struct bench *bn)
{
	struct sl_net_config nc = { .mode = SL_NET_POLLED };
	struct sl_wire_config wc = { .seed = 1 };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9000) };
	int big = 64 << 20;

	bn->clk = sl_clock_new(false);
	nc.clock = bn->clk;
	nc.name = "a";
	bn->a = sl_net_create(&nc);
	nc.name = "b";
	bn->b = sl_net_create(&nc);
	if (!bn->a || !bn->b || sl_wire_create(bn->a, bn->b, &wc, NULL, NULL) ||
	    sl_addr_add(bn->a, "wire0", "10.0.0.1/24") ||
	    sl_addr_add(bn->b, "wire0", "10.0.0.2/24")) {
		perror("setup");
		exit(1);
	}
	sl_sysctl_set(bn->b, "net.core.rmem_max", "134217728");
	sl_sysctl_set(bn->a, "net.core.wmem_max", "134217728");
	bn->tx = sl_socket_net(bn->a, AF_INET, SOCK_DGRAM, 0);
	bn->rx = sl_socket_net(bn->b, AF_INET, SOCK_DGRAM, 0);
	sl_setsockopt(bn->rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	sl_setsockopt(bn->tx, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	inet_pton(AF_INET, "10.0.0.2", &sin.sin_addr);
	if (sl_bind(bn->rx, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("bind");
		exit(1);
	}
	bn->dst = sin;
	/* Resolve ARP before timing anything. */
	sl_sendto(bn->tx, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin));
	for (int i = 0; i < 1000; i++)
		sl_net_poll_all(bn->clk);
	char buf[16];
	while (sl_recv(bn->rx, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

/* Send bursts, let the stacks run, drain the receiver; returns datagrams/s. */
static double udp_flood(struct bench *bn, size_t size, double secs, double *gbps)
{
	static char buf[65536];
	const int burst = 64;
	unsigned long sent = 0, got = 0;
	double t0 = now_s(), t;
	ssize_t n;

	do {
		for (int i = 0; i < burst; i++)
			if (sl_sendto(bn->tx, buf, size, MSG_DONTWAIT,
				      (struct sockaddr *)&bn->dst, sizeof(bn->dst)) > 0)
				sent++;
		while (sl_net_poll(bn->b) > 0 || sl_net_poll(bn->a) > 0)
			;
		while ((n = sl_recv(bn->rx, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			got++;
		t = now_s();
	} while (t - t0 < secs);
	*gbps = (double)got * (double)size * 8 / (t - t0) / 1e9;
	if (got < sent * 99 / 100)
		printf("  (note: %lu of %lu datagrams delivered)\n", got, sent);
	return (double)got / (t - t0);
}

static double ping_rtt(struct bench *bn, int count)
{
	unsigned char pkt[64], in[128];
	struct icmphdr *ih = (struct icmphdr *)pkt;
	struct sockaddr_in dst = bn->dst;
	int fd = sl_socket_net(bn->a, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	double t0;
	int ok = 0;

	dst.sin_port = 0;
	memset(pkt, 0, sizeof(pkt));
	ih->type = ICMP_ECHO;
	t0 = now_s();
	for (int i = 0; i < count; i++) {
		ih->un.echo.sequence = htons((uint16_t)i);
		sl_sendto(fd, pkt, 64, 0, (struct sockaddr *)&dst, sizeof(dst));
		if (sl_recv(fd, in, sizeof(in), 0) > 0)
			ok++;
	}
	double rtt = (now_s() - t0) / count * 1e6;
	sl_close(fd);
	if (ok != count)
		printf("  (note: %d of %d pings answered)\n", ok, count);
	return rtt;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct bench bn;
	double pps, gbps, rtt;

	memset(&bn, 0, sizeof(bn));
	bench_setup(&bn);
	printf("sockline udp_bench: two stacks, one process, virtual wire, run to "
	       "completion\n");
	pps = udp_flood(&bn, 64, secs, &gbps);
	printf("  UDP 64-byte datagrams:   %10.0f datagrams/s  (target >= 1000000)  %s\n",
	       pps, pps >= 1e6 ? "ok" : "BELOW TARGET");
	pps = udp_flood(&bn, 1472, secs, &gbps);
	printf("  UDP 1472-byte datagrams: %10.2f Gbit/s       (target >= 10)       %s"
	       "  [%.0f datagrams/s]\n", gbps, gbps >= 10 ? "ok" : "BELOW TARGET", pps);
	rtt = ping_rtt(&bn, 20000);
	printf("  ping RTT:                %10.2f us           (target < 5)         %s\n",
	       rtt, rtt < 5 ? "ok" : "ABOVE TARGET");
	sl_close(bn.tx);
	sl_close(bn.rx);
	sl_net_destroy(bn.a);
	sl_net_destroy(bn.b);
	sl_clock_free(bn.clk);
	return 0;
}
