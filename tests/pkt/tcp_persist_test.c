/*
 * The persist timer (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17): with data
 * queued and a zero window from the peer, Linux sends window probes (a
 * segment with seq = snd_una - 1 and no data, tcp_xmit_probe_skb) after
 * max(RTO, 200 ms), doubling the interval each time (tcp_probe0_when);
 * an ACK still closing the window restarts the wait from its arrival;
 * the window reopening releases the data at once.
 */
#include "pkt_harness.h"

/* Established (RTT 100 ms: RTO 300 ms); the peer closes its window at
 * 0.200; 1000 bytes written at 0.300 stay queued. */
static int zero_window_start(struct pkt *h)
{
	int fd;

	fd = pkt_server_established(h, false, NULL);
	PKT(h, "0.200 < . 1:1(0) ack 1 win 0");
	PKT_RET(h, "0.300", pkt_write(h, fd, 1000), 1000);
	return fd;
}

static void test_zero_window_probes_back_off_exponentially(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	zero_window_start(h);
	PKT_SILENT(h, "0.590");
	PKT(h, "0.600 > . 0:0(0) ack 1");
	PKT(h, "1.200 > . 0:0(0) ack 1");
	PKT(h, "2.400 > . 0:0(0) ack 1");
	PKT(h, "4.800 > . 0:0(0) ack 1");
	/* The window opens: the queued data goes out with the ACK. */
	PKT(h, "5.000 < . 1:1(0) ack 1 win 1000");
	PKT(h, "5.000 > P. 1:1001(1000) ack 1");
	PKT(h, "5.100 < . 1:1(0) ack 1001 win 1000");
	PKT_SILENT(h, "20.000");
	assert_int_equal(pkt_counter(h, "TCPWinProbe"), 4);
	assert_int_equal(pkt_counter(h, "TcpRetransSegs"), 0);
	pkt_free(h);
}

/*
 * Each probe answered by a zero-window ACK 100 ms later: the next probe
 * is timed from that ACK (tcp_ack_probe), with the interval still
 * doubling.
 */
static void test_zero_window_ack_restarts_probe_timer(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	zero_window_start(h);
	PKT(h, "0.600 > . 0:0(0) ack 1");
	PKT(h, "0.700 < . 1:1(0) ack 1 win 0");
	PKT_SILENT(h, "1.290");
	PKT(h, "1.300 > . 0:0(0) ack 1");
	PKT(h, "1.400 < . 1:1(0) ack 1 win 0");
	PKT_SILENT(h, "2.590");
	PKT(h, "2.600 > . 0:0(0) ack 1");
	PKT(h, "2.700 < . 1:1(0) ack 1 win 1000");
	PKT(h, "2.700 > P. 1:1001(1000) ack 1");
	PKT(h, "2.800 < . 1:1(0) ack 1001 win 1000");
	PKT_SILENT(h, "20.000");
	pkt_free(h);
}

/*
 * A window smaller than a segment is not used by the normal send path
 * (sender SWS avoidance, RFC 1122 4.2.3.4); the next probe, timed from
 * the window update, carries what fits, pushed (tcp_write_wakeup).
 */
static void test_small_window_probe_carries_data(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT(h, "0.200 < . 1:1(0) ack 1 win 0");
	PKT_RET(h, "0.300", pkt_write(h, fd, 3000), 3000);
	PKT(h, "0.600 > . 0:0(0) ack 1");
	/* 4 << 7 = 512 bytes of window. */
	PKT(h, "0.700 < . 1:1(0) ack 1 win 4");
	PKT_SILENT(h, "1.290");
	PKT(h, "1.300 > P. 1:513(512) ack 1");
	PKT(h, "+0.100 < . 1:1(0) ack 513 win 1000");
	/* The rest of the first MSS-sized skb keeps the probe's PSH. */
	PKT(h, "+0 > P. 513:1461(948) ack 1");
	PKT(h, "+0 > . 1461:2921(1460) ack 1");
	/* Nagle (Minshall's variant): the 80 bytes wait for the ACK of
	 * the small 948-byte segment. */
	PKT(h, "+0.100 < . 1:1(0) ack 2921 win 1000");
	PKT(h, "+0 > P. 2921:3001(80) ack 1");
	PKT(h, "+0.100 < . 1:1(0) ack 3001 win 1000");
	PKT_SILENT(h, "+10.000");
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_window_probes_back_off_exponentially),
		cmocka_unit_test(test_zero_window_ack_restarts_probe_timer),
		cmocka_unit_test(test_small_window_probe_carries_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
