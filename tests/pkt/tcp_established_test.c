/*
 * ESTABLISHED: data in and out, ACK timing (quick-ack at start, every
 * second full segment, 40 ms delayed ACK), PSH on the last segment of a
 * write, Nagle.
 */
#include "pkt_harness.h"

static void test_first_data_is_quick_acked(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT(h, "0.200 < P. 1:1001(1000) ack 1 win 1000");
	PKT(h, "0.200 > . 1:1(0) ack 1001");
	PKT_RET(h, "0.210", pkt_read(h, fd, 2000), 1000);
	pkt_free(h);
}

/*
 * At the start of a connection Linux is in quick-ack mode (tcp_incr_quickack
 * on the first data: up to 16 segments, bounded by rcv_wnd / (2 * rcv_mss)):
 * each full segment is acknowledged at once, not every second one.
 */
static void test_first_full_segments_each_quick_acked(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_server_established(h, false, NULL);
	PKT(h, "0.200 < . 1:1461(1460) ack 1 win 1000");
	PKT(h, "0.200 > . 1:1(0) ack 1461");
	PKT(h, "0.200 < . 1461:2921(1460) ack 1 win 1000");
	PKT(h, "0.200 > . 1:1(0) ack 2921");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_write_is_sent_with_psh_on_last_segment(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 3000), 3000);
	PKT(h, "0.200 > . 1:1461(1460) ack 1");
	PKT(h, "0.200 > . 1461:2921(1460) ack 1");
	PKT(h, "0.200 > P. 2921:3001(80) ack 1");
	PKT(h, "0.300 < . 1:1(0) ack 3001 win 1000");
	PKT_SILENT(h, "1.000");
	pkt_free(h);
}

static void test_nagle_holds_small_segment_until_ack(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 100), 100);
	PKT(h, "0.200 > P. 1:101(100) ack 1");
	/* RFC 896: a small segment waits while data is unacknowledged. */
	PKT_RET(h, "0.210", pkt_write(h, fd, 100), 100);
	PKT_SILENT(h, "0.290");
	PKT(h, "0.300 < . 1:1(0) ack 101 win 1000");
	PKT(h, "0.300 > P. 101:201(100) ack 1");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_nodelay_sends_small_segments_at_once(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_setsockopt_int(h, fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, 1), 0);
	PKT_RET(h, "0.200", pkt_write(h, fd, 100), 100);
	PKT(h, "0.200 > P. 1:101(100) ack 1");
	PKT_RET(h, "0.210", pkt_write(h, fd, 100), 100);
	PKT(h, "0.210 > P. 101:201(100) ack 1");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_segments_carry_df_and_ttl_64(void **state)
{
	struct pkt *h;
	const uint8_t *p;
	size_t n;

	PKT_NEW_TCP(h, NULL);
	pkt_listen(h, 8080, 1);
	PKT(h, "0.000 < S 0:0(0) win 65535 <mss 1460>");
	PKT(h, "0.000 > S. 0:0(0) ack 1 <mss 1460>");
	p = pkt_last_out(h, &n);
	assert_true(n >= 20);
	assert_int_equal(p[6] & 0x40, 0x40);
	assert_int_equal(p[8], 64);
	pkt_strict(h, false);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_data_is_quick_acked),
		cmocka_unit_test(test_first_full_segments_each_quick_acked),
		cmocka_unit_test(test_write_is_sent_with_psh_on_last_segment),
		cmocka_unit_test(test_nagle_holds_small_segment_until_ack),
		cmocka_unit_test(test_nodelay_sends_small_segments_at_once),
		cmocka_unit_test(test_segments_carry_df_and_ttl_64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
