/*
 * SACK generation (RFC 2018) and D-SACK (RFC 2883) as Linux sends them:
 * the block of the most recently received out-of-order segment first,
 * a duplicate segment reported by a D-SACK block placed before the SACK
 * blocks (options "nop,nop,sack ..."), counted in TCPDSACKOldSent /
 * TCPDSACKOfoSent; and D-SACKs received undoing a spurious
 * retransmission's cwnd reduction (TCPDSACKRecv, TCPDSACKUndo).
 */
#include "pkt_harness.h"

/* Peer data 1:1001 at 0.200, ACKed at once (quick-ack mode). */
static void first_kb(struct pkt *h)
{
	PKT(h, "0.200 < P. 1:1001(1000) ack 1 win 1000");
	PKT(h, "0.200 > . 1:1(0) ack 1001 <>");
}

static void test_duplicate_segment_is_dsacked(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_server_established(h, false, NULL);
	first_kb(h);
	PKT(h, "0.300 < P. 1:1001(1000) ack 1 win 1000");
	PKT(h, "0.300 > . 1:1(0) ack 1001 <nop,nop,sack 1:1001>");
	/* The D-SACK is reported once. */
	PKT(h, "0.400 < P. 1001:2001(1000) ack 1 win 1000");
	PKT(h, "0.400 > . 1:1(0) ack 2001 <>");
	assert_int_equal(pkt_counter(h, "TCPDSACKOldSent"), 1);
	pkt_strict(h, false);
	pkt_free(h);
}

/* Only the old part of a partly new segment is D-SACKed. */
static void test_partial_duplicate_dsacks_old_part(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_server_established(h, false, NULL);
	first_kb(h);
	PKT(h, "0.300 < P. 501:1501(1000) ack 1 win 1000");
	PKT(h, "0.300 > . 1:1(0) ack 1501 <nop,nop,sack 501:1001>");
	assert_int_equal(pkt_counter(h, "TCPDSACKOldSent"), 1);
	pkt_strict(h, false);
	pkt_free(h);
}

/* RFC 2018 4: the block holding the latest segment comes first. */
static void test_sack_blocks_most_recent_first(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_server_established(h, false, NULL);
	first_kb(h);
	PKT(h, "0.300 < P. 2001:3001(1000) ack 1 win 1000");
	PKT(h, "0.300 > . 1:1(0) ack 1001 <nop,nop,sack 2001:3001>");
	PKT(h, "0.310 < P. 4001:5001(1000) ack 1 win 1000");
	PKT(h, "0.310 > . 1:1(0) ack 1001 <nop,nop,sack 4001:5001 2001:3001>");
	PKT(h, "0.320 < P. 1001:2001(1000) ack 1 win 1000");
	PKT(h, "0.320 > . 1:1(0) ack 3001 <nop,nop,sack 4001:5001>");
	PKT(h, "0.330 < P. 3001:4001(1000) ack 1 win 1000");
	PKT(h, "0.330 > . 1:1(0) ack 5001 <>");
	pkt_strict(h, false);
	pkt_free(h);
}

/*
 * A duplicate of out-of-order data: the D-SACK block first, then the
 * SACK block that contains it (RFC 2883 4.1.2's example shape).
 */
static void test_out_of_order_duplicate_dsack_first(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_server_established(h, false, NULL);
	first_kb(h);
	PKT(h, "0.300 < P. 2001:3001(1000) ack 1 win 1000");
	PKT(h, "0.300 > . 1:1(0) ack 1001 <nop,nop,sack 2001:3001>");
	PKT(h, "0.310 < P. 2001:3001(1000) ack 1 win 1000");
	PKT(h, "0.310 > . 1:1(0) ack 1001 <nop,nop,sack 2001:3001 2001:3001>");
	assert_int_equal(pkt_counter(h, "TCPDSACKOfoSent"), 1);
	assert_int_equal(pkt_counter(h, "TCPDSACKOldSent"), 0);
	pkt_strict(h, false);
	pkt_free(h);
}

/*
 * With timestamps the SACK option follows TS, each padded by two NOPs.
 * The duplicate (SEG.SEQ <= Last.ACK.sent) also updates TS.Recent, as
 * Linux's tcp_replace_ts_recent does: its TSval is echoed.
 */
static void test_dsack_with_timestamps(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_server_established(h, true, NULL);
	PKT(h, "0.200 < P. 1:1001(1000) ack 1 win 1000 <nop,nop,TS val 300 ecr *>");
	PKT(h, "0.200 > . 1:1(0) ack 1001 <nop,nop,TS val * ecr 300>");
	PKT(h, "0.300 < P. 1:1001(1000) ack 1 win 1000 <nop,nop,TS val 400 ecr *>");
	PKT(h, "0.300 > . 1:1(0) ack 1001 <nop,nop,TS val * ecr 400,nop,nop,sack 1:1001>");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_no_dsack_when_sysctl_off(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_dsack", "0");
	pkt_server_established(h, false, NULL);
	first_kb(h);
	PKT(h, "0.300 < P. 1:1001(1000) ack 1 win 1000");
	PKT(h, "0.300 > . 1:1(0) ack 1001 <>");
	assert_int_equal(pkt_counter(h, "TCPDSACKOldSent"), 0);
	pkt_strict(h, false);
	pkt_free(h);
}

/*
 * Sender side: RACK resends segment 1, but the original arrives after
 * all; the peer's D-SACK for the retransmission shows it was spurious and
 * the cwnd reduction is undone (Linux's tcp_try_undo_dsack).
 */
static void test_received_dsack_undoes_spurious_retransmit(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 5840), 5840);
	PKT(h, "0.200 > . 1:1461(1460) ack 1");
	PKT(h, "0.200 > . 1461:2921(1460) ack 1");
	PKT(h, "0.200 > . 2921:4381(1460) ack 1");
	PKT(h, "0.200 > P. 4381:5841(1460) ack 1");
	PKT(h, "0.300 < . 1:1(0) ack 1 win 1000 <sack 1461:2921,nop,nop>");
	PKT(h, "0.320~0.327 > . 1:1461(1460) ack 1");
	PKT(h, "0.340 < . 1:1(0) ack 5841 win 1000");
	PKT(h, "0.430 < . 1:1(0) ack 5841 win 1000 <sack 1:1461,nop,nop>");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TCPDSACKRecv"), 1);
	assert_int_equal(pkt_counter(h, "TCPDSACKUndo"), 1);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_segment_is_dsacked),
		cmocka_unit_test(test_partial_duplicate_dsacks_old_part),
		cmocka_unit_test(test_sack_blocks_most_recent_first),
		cmocka_unit_test(test_out_of_order_duplicate_dsack_first),
		cmocka_unit_test(test_dsack_with_timestamps),
		cmocka_unit_test(test_no_dsack_when_sysctl_off),
		cmocka_unit_test(test_received_dsack_undoes_spurious_retransmit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
