/*
 * The TCP part of `sockline demo`: one connection from a to b, a bulk
 * transfer with a progress bar, a final line (throughput, retransmissions,
 * SRTT, cwnd) and an `ss -ti`-like dump of the sender's connection from
 * TCP_INFO.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"
#include "tools.h"

static const char *const tcp_state_names[] = {
	"?", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
	"TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING",
};

static void progress(size_t done, size_t total, bool tty)
{
	int width = 40, fill = (int)((double)done / (double)total * width);

	if (!tty)
		return;
	printf("\r  [%.*s%*s] %3d%% %zu/%zu MiB", fill,
	       "########################################", width - fill, "",
	       (int)(100.0 * (double)done / (double)total), done >> 20, total >> 20);
	fflush(stdout);
}

/* `ss -ti` style: state, queues, addresses, then the TCP_INFO details. */
void demo_tcp_ss(int fd)
{
	struct sockaddr_in l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r), il;
	struct tcp_info ti;
	char ca[16] = "?", la[32], ra[32];
	int inq = 0, outq = 0;

	il = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (sl_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &il) < 0)
		return;
	il = sizeof(ca);
	sl_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, ca, &il);
	sl_getsockname(fd, (struct sockaddr *)&l, &ll);
	sl_getpeername(fd, (struct sockaddr *)&r, &rl);
	sl_ioctl(fd, FIONREAD, &inq);
	sl_ioctl(fd, TIOCOUTQ, &outq);
	snprintf(la, sizeof(la), "%s:%u", inet_ntoa(l.sin_addr), ntohs(l.sin_port));
	snprintf(ra, sizeof(ra), "%s:%u", inet_ntoa(r.sin_addr), ntohs(r.sin_port));
	printf("  State      Recv-Q Send-Q Local Address:Port  Peer Address:Port\n");
	printf("  %-10s %6d %6d %-19s %s\n",
	       ti.tcpi_state < sizeof(tcp_state_names) / sizeof(*tcp_state_names)
		       ? tcp_state_names[ti.tcpi_state] : "?",
	       inq, outq, la, ra);
	printf("\t %s%s%s wscale:%u,%u rto:%u rtt:%.3f/%.3f ato:%u mss:%u pmtu:%u "
	       "rcvmss:%u advmss:%u cwnd:%u", ca,
	       ti.tcpi_options & TCPI_OPT_SACK ? " sack" : "",
	       ti.tcpi_options & TCPI_OPT_TIMESTAMPS ? " ts" : "",
	       ti.tcpi_snd_wscale, ti.tcpi_rcv_wscale, ti.tcpi_rto / 1000,
	       ti.tcpi_rtt / 1000.0, ti.tcpi_rttvar / 1000.0, ti.tcpi_ato / 1000,
	       ti.tcpi_snd_mss, ti.tcpi_pmtu, ti.tcpi_rcv_mss, ti.tcpi_advmss,
	       ti.tcpi_snd_cwnd);
	if (ti.tcpi_snd_ssthresh < 0xffff)
		printf(" ssthresh:%u", ti.tcpi_snd_ssthresh);
	printf(" bytes_sent:%llu bytes_retrans:%llu bytes_acked:%llu "
	       "bytes_received:%llu segs_out:%u segs_in:%u data_segs_out:%u "
	       "retrans:%u/%u lost:%u sacked:%u reordering:%u rcv_space:%u "
	       "minrtt:%.3f snd_wnd:%u\n",
	       (unsigned long long)ti.tcpi_bytes_sent,
	       (unsigned long long)ti.tcpi_bytes_retrans,
	       (unsigned long long)ti.tcpi_bytes_acked,
	       (unsigned long long)ti.tcpi_bytes_received, ti.tcpi_segs_out,
	       ti.tcpi_segs_in, ti.tcpi_data_segs_out, ti.tcpi_retrans,
	       ti.tcpi_total_retrans, ti.tcpi_lost, ti.tcpi_sacked,
	       ti.tcpi_reordering, ti.tcpi_rcv_space, ti.tcpi_min_rtt / 1000.0,
	       ti.tcpi_snd_wnd);
}

static int set_nonblock(int fd)
{
	int fl = sl_fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : sl_fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Connect a to b: 10.0.0.1 -> 10.0.0.2:5001. Returns 0 and both fds. */
static int demo_tcp_connect(sl_net_t *a, sl_net_t *b, int *cfd, int *afd, int *lfd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5001) };

	inet_pton(AF_INET, "10.0.0.2", &sin.sin_addr);
	*lfd = sl_socket_net(b, AF_INET, SOCK_STREAM, 0);
	if (*lfd < 0)
		return -1;
	if (sl_bind(*lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    sl_listen(*lfd, 16) < 0)
		return -1;
	*cfd = sl_socket_net(a, AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0 || sl_connect(*cfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -1;
	*afd = sl_accept(*lfd, NULL, NULL);
	if (*afd < 0)
		return -1;
	return set_nonblock(*cfd) || set_nonblock(*afd) ? -1 : 0;
}

/*
 * Transfer @total bytes from a to b; both sockets non-blocking. With
 * threaded stacks the stacks run by themselves; polled ones are driven
 * here (and a virtual clock moved 1 ms whenever nothing moved).
 */
static size_t demo_tcp_pump(sl_clock_t *clk, bool polled, bool virtual_clock,
			    int cfd, int afd, size_t total)
{
	static char buf[256 * 1024];
	size_t sent = 0, got = 0, step = total / 100 ? total / 100 : 1, next = 0;
	bool tty = isatty(STDOUT_FILENO);
	ssize_t n;

	memset(buf, 's', sizeof(buf));
	while (got < total) {
		bool moved = false;

		if (sent < total) {
			size_t want = total - sent < sizeof(buf) ? total - sent : sizeof(buf);

			n = sl_send(cfd, buf, want, 0);
			if (n > 0) {
				sent += (size_t)n;
				moved = true;
			} else if (errno != EAGAIN) {
				break;
			}
		}
		if (polled && sl_net_poll_all(clk) > 0)
			moved = true;
		while ((n = sl_recv(afd, buf, sizeof(buf), 0)) > 0) {
			got += (size_t)n;
			moved = true;
		}
		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		if (got >= next) {
			progress(got, total, tty);
			next += step;
		}
		if (!moved) {
			if (virtual_clock)
				sl_clock_advance(clk, 1000000);
			else if (!polled)
				usleep(50);
		}
	}
	progress(got, total, tty);
	if (tty)
		printf("\n");
	return got;
}

void demo_tcp(sl_net_t *a, sl_net_t *b, sl_clock_t *clk, bool polled,
	      bool virtual_clock, size_t total)
{
	int cfd = -1, afd = -1, lfd = -1;
	struct tcp_info ti;
	socklen_t il = sizeof(ti);
	uint64_t t0, t1;
	size_t got;

	printf("[5] TCP: %zu MiB from a to b (10.0.0.1 -> 10.0.0.2:5001)\n", total >> 20);
	if (demo_tcp_connect(a, b, &cfd, &afd, &lfd) < 0) {
		printf("  TCP: %s\n\n", strerror(errno));
		goto out;
	}
	t0 = sl_clock_now_ns(clk);
	got = demo_tcp_pump(clk, polled, virtual_clock, cfd, afd, total);
	t1 = sl_clock_now_ns(clk);
	memset(&ti, 0, sizeof(ti));
	sl_getsockopt(cfd, IPPROTO_TCP, TCP_INFO, &ti, &il);
	printf("  %zu bytes in %.3f s: %.2f Gbit/s, %u retransmissions, srtt %.3f ms, "
	       "cwnd %u%s\n", got, (double)(t1 - t0) / 1e9,
	       (double)got * 8 / ((double)(t1 - t0 ? t1 - t0 : 1)), ti.tcpi_total_retrans,
	       ti.tcpi_rtt / 1000.0, ti.tcpi_snd_cwnd,
	       virtual_clock ? " (virtual time)" : "");
	demo_tcp_ss(cfd);
	printf("\n");
out:
	if (cfd >= 0)
		sl_close(cfd);
	if (afd >= 0)
		sl_close(afd);
	if (lfd >= 0)
		sl_close(lfd);
}
