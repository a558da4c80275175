/*
 * Closing: FIN-WAIT-1/2, CLOSE-WAIT/LAST-ACK, TIME-WAIT for 60 s.
 */
#include "pkt_harness.h"

static void test_active_close_sends_fin_and_time_wait_reacks_fin(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_close(h, fd), 0);
	PKT(h, "0.200 > F. 1:1(0) ack 1");
	PKT(h, "0.300 < . 1:1(0) ack 2 win 1000");
	PKT(h, "0.400 < F. 1:1(0) ack 2 win 1000");
	PKT(h, "0.400 > . 2:2(0) ack 2");
	/* TIME-WAIT: a retransmitted FIN is acknowledged again... */
	PKT(h, "30.000 < F. 1:1(0) ack 2 win 1000");
	PKT(h, "30.000 > . 2:2(0) ack 2");
	pkt_free(h);
}

static void test_time_wait_lasts_60_seconds(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_close(h, fd), 0);
	PKT(h, "0.200 > F. 1:1(0) ack 1");
	PKT(h, "0.300 < F. 1:1(0) ack 2 win 1000");
	PKT(h, "0.300 > . 2:2(0) ack 2");
	/* ... and 60 s later the tuple is gone: an ACK meets a RST. */
	PKT(h, "61.000 < . 2:2(0) ack 2 win 1000");
	PKT(h, "61.000 > R 2:2(0)");
	pkt_free(h);
}

static void test_passive_close_acks_fin_then_last_ack(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT(h, "0.200 < F. 1:1(0) ack 1 win 1000");
	PKT(h, "0.200 > . 1:1(0) ack 2");
	PKT_RET(h, "0.300", pkt_read(h, fd, 10), 0);
	PKT_RET(h, "0.300", pkt_close(h, fd), 0);
	PKT(h, "0.300 > F. 1:1(0) ack 2");
	PKT(h, "0.400 < . 2:2(0) ack 2 win 1000");
	PKT_SILENT(h, "5.000");
	pkt_free(h);
}

static void test_shutdown_wr_half_close_still_receives(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_shutdown(h, fd, SHUT_WR), 0);
	PKT(h, "0.200 > F. 1:1(0) ack 1");
	PKT(h, "0.300 < P. 1:101(100) ack 2 win 1000");
	PKT(h, "0.300 > . 2:2(0) ack 101");
	PKT_RET(h, "0.300", pkt_read(h, fd, 1000), 100);
	PKT_ERR(h, "0.300", pkt_write(h, fd, 10), EPIPE);
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_fin_wait_2_times_out_after_60_seconds(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_close(h, fd), 0);
	PKT(h, "0.200 > F. 1:1(0) ack 1");
	PKT(h, "0.300 < . 1:1(0) ack 2 win 1000");
	/* Orphaned FIN-WAIT-2 lasts tcp_fin_timeout (60 s), then the tuple
	 * is gone. */
	PKT(h, "61.000 < . 1:1(0) ack 2 win 1000");
	PKT(h, "61.000 > R 2:2(0)");
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_close_sends_fin_and_time_wait_reacks_fin),
		cmocka_unit_test(test_time_wait_lasts_60_seconds),
		cmocka_unit_test(test_passive_close_acks_fin_then_last_ack),
		cmocka_unit_test(test_shutdown_wr_half_close_still_receives),
		cmocka_unit_test(test_fin_wait_2_times_out_after_60_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
