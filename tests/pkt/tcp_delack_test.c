/*
 * Delayed ACKs as Linux times them (RFC 1122 4.2.3.2, RFC 5681 4.2):
 * quick-ack mode at the start of a connection (tcp_incr_quickack: up to
 * 16 ACKs, bounded by rcv_wnd / (2 * rcv_mss)), then an ACK for at least
 * every second full-sized segment and a 40 ms delayed-ACK timer
 * (TCP_ATO_MIN / TCP_DELACK_MIN) for an isolated one; TCP_QUICKACK.
 */
#include <stdio.h>

#include "pkt_harness.h"

#define MSS 1460
#define QUICKACKS 16               /* TCP_MAX_QUICKACKS; rcv_wnd allows it */
#define SOL_TCP_ 6
#define TCP_QUICKACK_ 12

/* Inject full segment @i (0-based) of the peer's stream at @when. */
static void seg_in(struct pkt *h, const char *when, int i)
{
	char line[160];

	snprintf(line, sizeof(line), "%s < . %d:%d(%d) ack 1 win 1000", when,
		 1 + i * MSS, 1 + (i + 1) * MSS, MSS);
	PKT(h, line);
}

/* Expect an ACK of the peer's first @n segments at @when. */
static void ack_out(struct pkt *h, const char *when, int n)
{
	char line[160];

	snprintf(line, sizeof(line), "%s > . 1:1(0) ack %d", when, 1 + n * MSS);
	PKT(h, line);
}

/*
 * The quick-ack phase: segments 0..@n-1 at 10 ms intervals from 0.200,
 * each ACKed at once and read by the application.
 */
static void quick_phase(struct pkt *h, int fd, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		seg_in(h, i ? "+0.010" : "0.200", i);
		ack_out(h, "+0", i + 1);
		PKT_RET(h, "+0", pkt_read(h, fd, 4 * MSS), MSS);
	}
}

static void test_first_sixteen_segments_each_acked_at_once(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	quick_phase(h, fd, QUICKACKS);
	/* Quick-ack mode is over: the 17th segment alone is not ACKed... */
	seg_in(h, "+0.010", QUICKACKS);
	PKT_RET(h, "+0", pkt_read(h, fd, 4 * MSS), MSS);
	PKT_SILENT(h, "+0.010");
	/* ...the 18th makes two full segments unacknowledged: ACK now. */
	seg_in(h, "+0", QUICKACKS + 1);
	ack_out(h, "+0", QUICKACKS + 2);
	PKT_RET(h, "+0", pkt_read(h, fd, 4 * MSS), MSS);
	PKT_SILENT(h, "+1.000");
	pkt_free(h);
}

static void test_isolated_segment_acked_after_40ms(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	quick_phase(h, fd, QUICKACKS);
	/* 0.360: within an RTO of the last segment, so no new quick-ack. */
	seg_in(h, "0.360", QUICKACKS);
	PKT_RET(h, "+0", pkt_read(h, fd, 4 * MSS), MSS);
	PKT_SILENT(h, "0.395");
	ack_out(h, "0.400", QUICKACKS + 1);
	PKT_SILENT(h, "+1.000");
	pkt_free(h);
}

/* Every second full segment is ACKed, however long the stream. */
static void test_every_second_full_segment_acked(void **state)
{
	struct pkt *h;
	int fd, i;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	quick_phase(h, fd, QUICKACKS);
	for (i = QUICKACKS; i < QUICKACKS + 20; i += 2) {
		seg_in(h, "+0.005", i);
		PKT_RET(h, "+0", pkt_read(h, fd, 4 * MSS), MSS);
		seg_in(h, "+0.005", i + 1);
		ack_out(h, "+0", i + 2);
		PKT_RET(h, "+0", pkt_read(h, fd, 4 * MSS), MSS);
	}
	PKT_SILENT(h, "+1.000");
	pkt_free(h);
}

/*
 * A segment after an idle longer than the RTO puts the receiver back in
 * quick-ack mode (tcp_event_data_recv): ACKed at once.
 */
static void test_segment_after_idle_is_quick_acked_again(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	quick_phase(h, fd, QUICKACKS);
	seg_in(h, "+2.000", QUICKACKS);
	ack_out(h, "+0", QUICKACKS + 1);
	PKT_RET(h, "+0", pkt_read(h, fd, 4 * MSS), MSS);
	PKT_SILENT(h, "+1.000");
	pkt_free(h);
}

/*
 * setsockopt(TCP_QUICKACK, 1) with an ACK pending and the data read sends
 * the ACK at once (Linux's __tcp_sock_set_quickack -> tcp_cleanup_rbuf).
 */
static void test_quickack_sockopt_sends_pending_ack_now(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	quick_phase(h, fd, QUICKACKS);
	seg_in(h, "+0.010", QUICKACKS);
	PKT_RET(h, "+0.005", pkt_read(h, fd, 4 * MSS), MSS);
	PKT_SILENT(h, "+0.005");
	PKT_RET(h, "+0",
		pkt_setsockopt_int(h, fd, SOL_TCP_, TCP_QUICKACK_, 1), 0);
	ack_out(h, "+0", QUICKACKS + 1);
	PKT_SILENT(h, "+1.000");
	pkt_free(h);
}

/*
 * setsockopt(TCP_QUICKACK, 0) enters interactive (pingpong) mode: even
 * the first data segment waits for the 40 ms delayed-ACK timer;
 * getsockopt reports 0 until TCP_QUICKACK 1 leaves that mode again.
 */
static void test_quickack_zero_delays_even_first_ack(void **state)
{
	struct pkt *h;
	int fd, v = -1;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.150",
		pkt_setsockopt_int(h, fd, SOL_TCP_, TCP_QUICKACK_, 0), 0);
	PKT_RET(h, "0.150",
		pkt_getsockopt_int(h, fd, SOL_TCP_, TCP_QUICKACK_, &v), 0);
	assert_int_equal(v, 0);
	seg_in(h, "0.200", 0);
	PKT_SILENT(h, "0.235");
	ack_out(h, "0.240", 1);
	PKT_RET(h, "0.250", pkt_read(h, fd, 4 * MSS), MSS);
	PKT_RET(h, "0.250",
		pkt_setsockopt_int(h, fd, SOL_TCP_, TCP_QUICKACK_, 1), 0);
	PKT_RET(h, "0.250",
		pkt_getsockopt_int(h, fd, SOL_TCP_, TCP_QUICKACK_, &v), 0);
	assert_int_equal(v, 1);
	seg_in(h, "0.260", 1);
	ack_out(h, "0.260", 2);
	PKT_SILENT(h, "+1.000");
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sixteen_segments_each_acked_at_once),
		cmocka_unit_test(test_isolated_segment_acked_after_40ms),
		cmocka_unit_test(test_every_second_full_segment_acked),
		cmocka_unit_test(test_segment_after_idle_is_quick_acked_again),
		cmocka_unit_test(test_quickack_sockopt_sends_pending_ack_now),
		cmocka_unit_test(test_quickack_zero_delays_even_first_ack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
