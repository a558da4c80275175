/*
 * RST generation (RFC 9293 3.10.7.1, as Linux): segments to a closed port,
 * SO_LINGER 0, close with unread data (RFC 2525 2.17).
 */
#include "pkt_harness.h"

static void test_ack_to_closed_port_gets_rst_with_seq_of_its_ack(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	PKT(h, "0.000 < . 1:1(0) ack 1000 win 65535");
	PKT(h, "0.000 > R 1000:1000(0)");
	assert_int_equal(pkt_counter(h, "TcpOutRsts"), 1);
	pkt_free(h);
}

static void test_syn_to_closed_port_gets_rst_ack_of_seq_plus_one(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	PKT(h, "0.000 < S 0:0(0) win 65535 <mss 1460>");
	PKT(h, "0.000 > R. 0:0(0) ack 1");
	pkt_free(h);
}

static void test_data_without_ack_to_closed_port_acks_seq_plus_len(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	PKT(h, "0.000 < P 1:101(100) win 65535");
	PKT(h, "0.000 > R. 0:0(0) ack 101");
	pkt_free(h);
}

static void test_rst_to_closed_port_is_never_answered(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	PKT(h, "0.000 < R 1:1(0) win 0");
	PKT_SILENT(h, "1.000");
	pkt_free(h);
}

static void test_so_linger_zero_close_sends_rst(void **state)
{
	struct pkt *h;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_ifc(h)->setsockopt(pkt_ud(h), fd, SOL_SOCKET,
						   SO_LINGER, &lg, sizeof(lg)), 0);
	PKT_RET(h, "0.200", pkt_close(h, fd), 0);
	PKT(h, "0.200 > R. 1:1(0) ack 1");
	pkt_free(h);
}

static void test_close_with_unread_data_sends_rst(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT(h, "0.200 < P. 1:11(10) ack 1 win 1000");
	PKT(h, "0.200 > . 1:1(0) ack 11");
	PKT_RET(h, "0.300", pkt_close(h, fd), 0);
	PKT(h, "0.300 > R. 1:1(0) ack 11");
	pkt_free(h);
}

static void test_rst_in_window_resets_established(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT(h, "0.200 < R. 1:1(0) ack 1 win 0");
	PKT_ERR(h, "0.200", pkt_read(h, fd, 10), ECONNRESET);
	pkt_free(h);
}

static void test_rst_out_of_window_is_ignored_and_challenged(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	/* RFC 5961 3.2: not exactly rcv_nxt but in window -> challenge ACK. */
	PKT(h, "0.200 < R. 11:11(0) ack 1 win 0");
	PKT(h, "0.200 > . 1:1(0) ack 1");
	PKT_RET(h, "0.300", pkt_fcntl_nonblock(h, fd), 0);
	PKT_ERR(h, "0.300", pkt_read(h, fd, 10), EAGAIN);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_to_closed_port_gets_rst_with_seq_of_its_ack),
		cmocka_unit_test(test_syn_to_closed_port_gets_rst_ack_of_seq_plus_one),
		cmocka_unit_test(test_data_without_ack_to_closed_port_acks_seq_plus_len),
		cmocka_unit_test(test_rst_to_closed_port_is_never_answered),
		cmocka_unit_test(test_so_linger_zero_close_sends_rst),
		cmocka_unit_test(test_close_with_unread_data_sends_rst),
		cmocka_unit_test(test_rst_in_window_resets_established),
		cmocka_unit_test(test_rst_out_of_window_is_ignored_and_challenged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
