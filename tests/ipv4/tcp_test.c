/*
 * TCP socket calls (src/ipv4/tcp.c) through the public API: defaults and
 * errors of a fresh socket as Linux gives them, socket options with
 * Linux's bounds and values, readiness. Values checked against Linux 6.x.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>

#include "sl_test.h"

static int tcp_socket(sl_net_t *net)
{
	int fd = sl_socket_net(net, AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	return fd;
}

static int get_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -12345;

	assert_int_equal(sl_getsockopt(fd, level, name, &v, &len), 0);
	assert_int_equal(len, sizeof(int));
	return v;
}

static void set_int(int fd, int level, int name, int v, int want_errno)
{
	int rc = sl_setsockopt(fd, level, name, &v, sizeof(v));

	if (want_errno) {
		assert_int_equal(rc, -1);
		assert_int_equal(errno, want_errno);
	} else {
		assert_int_equal(rc, 0);
	}
}

/* A fresh socket: send EPIPE (Linux, not ENOTCONN), recv ENOTCONN,
 * FIONREAD 0, poll POLLOUT|POLLHUP, SIOCOUTQ 0. */
static void test_fresh_socket_errors_as_linux(void **state)
{
	struct pollfd pfd;
	struct sl_pair p;
	char c = 'x';
	int fd, n = -1;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = tcp_socket(p.a);
	assert_int_equal(sl_send(fd, &c, 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(sl_recv(fd, &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(sl_ioctl(fd, FIONREAD, &n), 0);
	assert_int_equal(n, 0);
	n = -1;
	assert_int_equal(sl_ioctl(fd, SIOCOUTQ, &n), 0);
	assert_int_equal(n, 0);
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT | POLLRDHUP;
	pfd.revents = 0;
	assert_int_equal(sl_poll(&pfd, 1, 0), 1);
	assert_int_equal(pfd.revents, POLLOUT | POLLHUP);
	sl_close(fd);
	sl_pair_teardown(&p);
}

/* Defaults: TCP_MAXSEG 536 before connect, buffers tcp_wmem[1] and
 * tcp_rmem[1], keepalive 7200/75/9, SYN retries 6, FIN timeout 60,
 * cubic, Nagle on, quick ACK on. */
static void test_default_options_as_linux(void **state)
{
	struct sl_pair p;
	char name[16];
	socklen_t len = sizeof(name);
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = tcp_socket(p.a);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_MAXSEG), 536);
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_SNDBUF), 16384);
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_RCVBUF), 131072);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPINTVL), 75);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 9);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_SYNCNT), 6);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_LINGER2), 60);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_CORK), 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_QUICKACK), 1);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 0);
	memset(name, 0, sizeof(name));
	assert_int_equal(sl_getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
				       &len), 0);
	assert_int_equal(len, 16);
	if (name[0])
		assert_string_equal(name, "cubic");
	sl_close(fd);
	sl_pair_teardown(&p);
}

/* Bounds and errno of the SOL_TCP options, and the values read back. */
static void test_option_bounds_as_linux(void **state)
{
	struct sl_pair p;
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = tcp_socket(p.a);
	set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 87, EINVAL);
	set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 32768, EINVAL);
	set_int(fd, IPPROTO_TCP, TCP_MAXSEG, 1000, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_MAXSEG), 1000);
	set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 0, EINVAL);
	set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 32768, EINVAL);
	set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 30, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
	set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 128, EINVAL);
	set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 3, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_KEEPCNT), 3);
	set_int(fd, IPPROTO_TCP, TCP_SYNCNT, 0, EINVAL);
	set_int(fd, IPPROTO_TCP, TCP_SYNCNT, 2, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_SYNCNT), 2);
	/* TCP_DEFER_ACCEPT rounds up to whole SYN-ACK retransmits. */
	set_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 7);
	set_int(fd, IPPROTO_TCP, TCP_LINGER2, 500, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_LINGER2), 120);
	set_int(fd, IPPROTO_TCP, TCP_LINGER2, -5, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_LINGER2), -1);
	set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
	set_int(fd, IPPROTO_TCP, TCP_CORK, 1, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_CORK), 1);
	set_int(fd, IPPROTO_TCP, TCP_QUICKACK, 0, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_QUICKACK), 0);
	set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, -1, EINVAL);
	set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, 5000, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT), 5000);
	set_int(fd, IPPROTO_TCP, TCP_WINDOW_CLAMP, 100, 0);
	assert_int_equal(get_int(fd, IPPROTO_TCP, TCP_WINDOW_CLAMP), 1152);
	set_int(fd, IPPROTO_TCP, 9999, 1, ENOPROTOOPT);
	assert_int_equal(sl_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, "", 1), -1);
	assert_int_equal(errno, EINVAL);
	/* SO_SNDBUF/SO_RCVBUF report double the value set. */
	set_int(fd, SOL_SOCKET, SO_SNDBUF, 50000, 0);
	assert_int_equal(get_int(fd, SOL_SOCKET, SO_SNDBUF), 100000);
	sl_close(fd);
	sl_pair_teardown(&p);
}

/* TCP_INFO of a closed socket: state, RTO 1 s, cwnd 10, MSS 536, ssthresh
 * infinite; truncated to the caller's length. */
static void test_tcp_info_of_fresh_socket(void **state)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct sl_pair p;
	unsigned char small[4];
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = tcp_socket(p.a);
	memset(&ti, 0xaa, sizeof(ti));
	assert_int_equal(sl_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(len, sizeof(ti));
	assert_int_equal(ti.tcpi_state, 7 /* TCP_CLOSE */);
	assert_int_equal(ti.tcpi_rto, 1000000);
	assert_int_equal(ti.tcpi_snd_cwnd, 10);
	assert_int_equal(ti.tcpi_snd_mss, 536);
	assert_int_equal(ti.tcpi_snd_ssthresh, 0x7fffffff);
	assert_int_equal(ti.tcpi_reordering, 3);
	assert_int_equal(ti.tcpi_unacked, 0);
	len = sizeof(small);
	assert_int_equal(sl_getsockopt(fd, IPPROTO_TCP, TCP_INFO, small, &len), 0);
	assert_int_equal(len, 4);
	assert_int_equal(small[0], 7);
	sl_close(fd);
	sl_pair_teardown(&p);
}


/* --- end to end: two stacks ------------------------------------------------- */

/* b listens on 10.0.0.2:5000; a connects; returns the three fds. */
static void tcp_connected_pair(struct sl_pair *p, int *lfd, int *cfd, int *afd)
{
	struct sockaddr_in sin = sl_sin("10.0.0.2", 5000);

	*lfd = tcp_socket(p->b);
	assert_int_equal(sl_bind(*lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(sl_listen(*lfd, 16), 0);
	*cfd = tcp_socket(p->a);
	if (sl_connect(*cfd, (struct sockaddr *)&sin, sizeof(sin)))
		fail_msg("connect: %s", strerror(errno));
	*afd = sl_accept(*lfd, NULL, NULL);
	assert_true(*afd >= 0);
}

/* Read exactly @len bytes (blocking, MSG_WAITALL). */
static void recv_all(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = sl_recv(fd, buf + got, len - got, MSG_WAITALL);

		assert_true(n > 0);
		got += (size_t)n;
	}
}

/* 200 KB one way, byte for byte; close both ends; TIME_WAIT ends. */
static void test_transfer_and_close(void **state)
{
	static unsigned char out[200000], in[200000];
	struct sl_pair p;
	int lfd, cfd, afd;
	char c;

	(void)state;
	sl_pair_setup(&p, NULL);
	tcp_connected_pair(&p, &lfd, &cfd, &afd);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (unsigned char)(i * 131 + 7);
	assert_int_equal(sl_send(cfd, out, sizeof(out), 0), sizeof(out));
	recv_all(afd, in, sizeof(in));
	assert_memory_equal(in, out, sizeof(out));
	assert_int_equal(sl_shutdown(cfd, SHUT_WR), 0);
	assert_int_equal(sl_recv(afd, &c, 1, 0), 0);
	sl_close(afd);
	assert_int_equal(sl_recv(cfd, &c, 1, 0), 0);
	sl_close(cfd);
	sl_close(lfd);
	sl_pair_run(&p, 61ULL * 1000000000ULL);
	sl_pair_teardown(&p);
}

/* RFC 2525 2.17: closing with unread data sends a RST: the peer reads
 * ECONNRESET. */
static void test_close_with_unread_data_resets(void **state)
{
	struct sl_pair p;
	int lfd, cfd, afd;
	uint64_t aborts = 0;
	char c;

	(void)state;
	sl_pair_setup(&p, NULL);
	tcp_connected_pair(&p, &lfd, &cfd, &afd);
	assert_int_equal(sl_send(cfd, "0123456789", 10, 0), 10);
	sl_pair_settle(&p);
	sl_close(afd);
	sl_pair_settle(&p);
	assert_int_equal(sl_recv(cfd, &c, 1, 0), -1);
	assert_int_equal(errno, ECONNRESET);
	assert_int_equal(sl_snmp_get(p.b, "TcpExtTCPAbortOnClose", &aborts), 0);
	assert_int_equal(aborts, 1);
	sl_close(cfd);
	sl_close(lfd);
	sl_pair_run(&p, 61ULL * 1000000000ULL);
	sl_pair_teardown(&p);
}

/* MSG_PEEK leaves data; FIONREAD and SIOCOUTQ count bytes; MSG_DONTWAIT
 * gives EAGAIN on an empty queue. */
static void test_peek_and_queue_sizes(void **state)
{
	struct sl_pair p;
	int lfd, cfd, afd, n = -1;
	char buf[16];

	(void)state;
	sl_pair_setup(&p, NULL);
	tcp_connected_pair(&p, &lfd, &cfd, &afd);
	assert_int_equal(sl_recv(afd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(sl_send(cfd, "hello", 5, 0), 5);
	sl_pair_settle(&p);
	assert_int_equal(sl_ioctl(afd, FIONREAD, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(sl_recv(afd, buf, 3, MSG_PEEK), 3);
	assert_memory_equal(buf, "hel", 3);
	assert_int_equal(sl_recv(afd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	sl_pair_run(&p, 1000000000ULL);
	assert_int_equal(sl_ioctl(cfd, SIOCOUTQ, &n), 0);
	assert_int_equal(n, 0);
	sl_close(afd);
	sl_close(cfd);
	sl_close(lfd);
	sl_pair_run(&p, 61ULL * 1000000000ULL);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_socket_errors_as_linux),
		cmocka_unit_test(test_default_options_as_linux),
		cmocka_unit_test(test_option_bounds_as_linux),
		cmocka_unit_test(test_tcp_info_of_fresh_socket),
		/* across two stacks */
		cmocka_unit_test(test_transfer_and_close),
		cmocka_unit_test(test_close_with_unread_data_resets),
		cmocka_unit_test(test_peek_and_queue_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
