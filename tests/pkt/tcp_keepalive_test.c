/*
 * Keepalive (RFC 1122 4.2.3.6) as Linux's tcp_keepalive_timer: after
 * TCP_KEEPIDLE seconds without anything received, a probe (seq =
 * snd_una - 1, no data) every TCP_KEEPINTVL seconds; TCP_KEEPCNT probes
 * unanswered -> RST and ETIMEDOUT; anything received resets the count and
 * the idle time is measured again from it.
 */
#include "pkt_harness.h"

#define SOL_SOCKET_ SOL_SOCKET
#define SO_KEEPALIVE_ 9
#define SOL_TCP_ 6
#define TCP_KEEPIDLE_ 4
#define TCP_KEEPINTVL_ 5
#define TCP_KEEPCNT_ 6

/* Established at 0.100 (last segment received then); at 0.200 idle 10 s,
 * interval 5 s, 3 probes, then SO_KEEPALIVE: first probe due at 10.200. */
static int keepalive_start(struct pkt *h)
{
	int fd;

	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200",
		pkt_setsockopt_int(h, fd, SOL_TCP_, TCP_KEEPIDLE_, 10), 0);
	PKT_RET(h, "0.200",
		pkt_setsockopt_int(h, fd, SOL_TCP_, TCP_KEEPINTVL_, 5), 0);
	PKT_RET(h, "0.200",
		pkt_setsockopt_int(h, fd, SOL_TCP_, TCP_KEEPCNT_, 3), 0);
	PKT_RET(h, "0.200",
		pkt_setsockopt_int(h, fd, SOL_SOCKET_, SO_KEEPALIVE_, 1), 0);
	return fd;
}

static void test_unanswered_probes_reset_with_etimedout(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = keepalive_start(h);
	PKT_SILENT(h, "10.190");
	PKT(h, "10.200 > . 0:0(0) ack 1");
	PKT(h, "15.200 > . 0:0(0) ack 1");
	PKT(h, "20.200 > . 0:0(0) ack 1");
	/* The fourth expiry finds 3 probes unanswered: abort. */
	PKT(h, "25.200 > R. 1:1(0) ack 1");
	PKT_ERR(h, "25.300", pkt_read(h, fd, 100), ETIMEDOUT);
	PKT_RET(h, "25.300", pkt_read(h, fd, 100), 0);
	PKT_SILENT(h, "100.000");
	assert_int_equal(pkt_counter(h, "TCPKeepAlive"), 3);
	assert_int_equal(pkt_counter(h, "TCPAbortOnTimeout"), 1);
	assert_int_equal(pkt_counter(h, "TcpOutRsts"), 1);
	pkt_free(h);
}

/*
 * The peer answers the first probe: the connection stays up, and the
 * next probe comes a full idle time after that answer.
 */
static void test_answered_probe_keeps_connection(void **state)
{
	struct pkt *h;
	int fd;
	short rev = 0;

	PKT_NEW_TCP(h, NULL);
	fd = keepalive_start(h);
	PKT(h, "10.200 > . 0:0(0) ack 1");
	PKT(h, "10.300 < . 1:1(0) ack 1 win 1000");
	PKT_SILENT(h, "20.290");
	PKT(h, "20.300 > . 0:0(0) ack 1");
	PKT(h, "20.400 < . 1:1(0) ack 1 win 1000");
	PKT(h, "30.400 > . 0:0(0) ack 1");
	PKT(h, "30.500 < . 1:1(0) ack 1 win 1000");
	PKT_RET(h, "31.000", pkt_poll(h, fd, POLLIN | POLLOUT, 0, &rev), 1);
	assert_int_equal(rev, POLLOUT);
	assert_int_equal(pkt_so_error(h, fd), 0);
	PKT_RET(h, "31.000", pkt_write(h, fd, 100), 100);
	PKT(h, "31.000 > P. 1:101(100) ack 1");
	PKT(h, "31.100 < . 1:1(0) ack 101 win 1000");
	assert_int_equal(pkt_counter(h, "TCPKeepAlive"), 3);
	pkt_strict(h, false);
	pkt_free(h);
}

/* Data received resets the idle clock: no probe 10 s after the start. */
static void test_incoming_data_postpones_probe(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = keepalive_start(h);
	PKT(h, "8.000 < P. 1:101(100) ack 1 win 1000");
	PKT(h, "8.000 > . 1:1(0) ack 101");
	PKT_RET(h, "8.000", pkt_read(h, fd, 1000), 100);
	PKT_SILENT(h, "17.990");
	PKT(h, "18.000 > . 0:0(0) ack 101");
	PKT(h, "18.100 < . 101:101(0) ack 1 win 1000");
	assert_int_equal(pkt_counter(h, "TCPKeepAlive"), 1);
	pkt_strict(h, false);
	pkt_free(h);
}

/* Without SO_KEEPALIVE an idle connection sends nothing at all. */
static void test_no_probes_without_so_keepalive(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_keepalive_time", "10");
	pkt_server_established(h, false, NULL);
	PKT_SILENT(h, "100.000");
	assert_int_equal(pkt_counter(h, "TCPKeepAlive"), 0);
	pkt_free(h);
}

/* The sysctls give the defaults: tcp_keepalive_time/intvl/probes. */
static void test_sysctl_defaults_apply(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_keepalive_time", "20");
	pkt_sysctl(h, "tcp_keepalive_intvl", "2");
	pkt_sysctl(h, "tcp_keepalive_probes", "1");
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.100",
		pkt_setsockopt_int(h, fd, SOL_SOCKET_, SO_KEEPALIVE_, 1), 0);
	PKT(h, "20.100 > . 0:0(0) ack 1");
	PKT(h, "22.100 > R. 1:1(0) ack 1");
	assert_int_equal(pkt_so_error(h, fd), ETIMEDOUT);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unanswered_probes_reset_with_etimedout),
		cmocka_unit_test(test_answered_probe_keeps_connection),
		cmocka_unit_test(test_incoming_data_postpones_probe),
		cmocka_unit_test(test_no_probes_without_so_keepalive),
		cmocka_unit_test(test_sysctl_defaults_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
