/*
 * Loss detection and recovery as Linux does it by default:
 *  - tail loss probe (RFC 8985 7, tcp_early_retrans=3): PTO = 2 * SRTT
 *    (+ 2 jiffies, or + TCP_RTO_MIN for a delayed ACK when one segment is
 *    in flight), never later than the RTO; the probe is new data when the
 *    window allows, else the last segment;
 *  - RACK (RFC 8985 6, tcp_recovery=1): a segment sent before a SACKed one
 *    is lost once RACK.rtt + min_rtt/4 has elapsed; retransmitted once;
 *  - F-RTO (RFC 5682, tcp_frto=2): after an RTO the first ACK advancing
 *    snd_una releases new data; an ACK for never-retransmitted data then
 *    proves the timeout spurious and the cwnd reduction is undone.
 */
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "pkt_harness.h"

#define MSS 1460

/*
 * Passive open as pkt_server_established (no timestamps, SACK, wscale 7)
 * with the handshake's RTT chosen by the peer's ACK time @ack_at.
 */
static int server_rtt(struct pkt *h, const char *ack_at)
{
	char line[160];
	int l;

	pkt_at(h, "0");
	l = pkt_listen(h, 8080, 1);
	PKT(h, "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>");
	PKT(h, "0.000 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	snprintf(line, sizeof(line), "%s < . 1:1(0) ack 1 win 1000", ack_at);
	PKT(h, line);
	return PKT_OK(h, ack_at, pkt_accept(h, l));
}

/* Expect full segments @from..@to (1-based) at @when, PSH on @psh. */
static void segs_out(struct pkt *h, const char *when, int from, int to,
		     int psh)
{
	char line[160];
	int i;

	for (i = from; i <= to; i++) {
		snprintf(line, sizeof(line), "%s > %s %d:%d(%d) ack 1", when,
			 i == psh ? "P." : ".", 1 + (i - 1) * MSS, 1 + i * MSS,
			 MSS);
		PKT(h, line);
	}
}

static void tcp_info_of(struct pkt *h, int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	assert_int_equal(pkt_ifc(h)->getsockopt(pkt_ud(h), fd, IPPROTO_TCP,
						TCP_INFO, ti, &len), 0);
}

/* --- tail loss probe ---------------------------------------------------- */

static void test_tlp_probes_last_segment_after_two_srtt(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 4 * MSS), 4 * MSS);
	segs_out(h, "0.200", 1, 4, 4);
	/* SRTT 100 ms: PTO = 200 ms + 2 ms, before the RTO at 0.500. */
	PKT(h, "0.402 > P. 4381:5841(1460) ack 1");
	PKT(h, "0.502 < . 1:1(0) ack 5841 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TCPLossProbes"), 1);
	assert_int_equal(pkt_counter(h, "TCPTimeouts"), 0);
	assert_int_equal(pkt_counter(h, "TcpRetransSegs"), 1);
	pkt_free(h);
}

/*
 * One segment in flight: the peer may be delaying its ACK, so the PTO
 * adds TCP_RTO_MIN. RTT 250 ms: PTO = 500 + 200 ms, the RTO 750 ms.
 */
static void test_tlp_single_segment_allows_for_delayed_ack(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = server_rtt(h, "0.250");
	PKT_RET(h, "0.300", pkt_write(h, fd, 1000), 1000);
	PKT(h, "0.300 > P. 1:1001(1000) ack 1");
	PKT_SILENT(h, "0.990");
	PKT(h, "1.000 > P. 1:1001(1000) ack 1");
	/* The probe re-arms the RTO from now: 1.750. */
	PKT(h, "1.750 > P. 1:1001(1000) ack 1");
	PKT(h, "1.800 < . 1:1(0) ack 1001 win 1000");
	PKT_SILENT(h, "10.000");
	assert_int_equal(pkt_counter(h, "TCPLossProbes"), 1);
	assert_int_equal(pkt_counter(h, "TCPTimeouts"), 1);
	pkt_free(h);
}

/* The PTO is capped by the RTO (RTT 100 ms: 2 * 100 + 200 > 300 ms). */
static void test_tlp_never_later_than_rto(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 1000), 1000);
	PKT(h, "0.200 > P. 1:1001(1000) ack 1");
	PKT(h, "0.500 > P. 1:1001(1000) ack 1");
	PKT(h, "0.600 < . 1:1(0) ack 1001 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TCPLossProbes"), 1);
	assert_int_equal(pkt_counter(h, "TCPTimeouts"), 0);
	pkt_free(h);
}

/* Data the cwnd held back goes out as the probe (RFC 8985 7.3). */
static void test_tlp_sends_new_data_when_available(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 11 * MSS), 11 * MSS);
	segs_out(h, "0.200", 1, 10, 0);      /* initial cwnd 10 */
	segs_out(h, "0.402", 11, 11, 11);
	PKT(h, "0.502 < . 1:1(0) ack 16061 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TCPLossProbes"), 1);
	assert_int_equal(pkt_counter(h, "TcpRetransSegs"), 0);
	pkt_free(h);
}

static void test_tlp_off_with_early_retrans_0(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_early_retrans", "0");
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 4 * MSS), 4 * MSS);
	segs_out(h, "0.200", 1, 4, 4);
	PKT(h, "0.500 > . 1:1461(1460) ack 1");
	PKT(h, "0.600 < . 1:1(0) ack 5841 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TCPLossProbes"), 0);
	assert_int_equal(pkt_counter(h, "TCPTimeouts"), 1);
	pkt_free(h);
}

/* --- RACK --------------------------------------------------------------- */

/*
 * Segment 2 is SACKed 100 ms after it was sent; segment 1, sent at the
 * same time, is lost once RACK.rtt (100 ms) + min_rtt / 4 (25 ms) have
 * passed since it was sent: at 0.325 (+ 2 ms of timer slack), with one
 * SACK only - no three duplicate ACKs needed.
 */
static void test_rack_marks_lost_after_quarter_min_rtt(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 4 * MSS), 4 * MSS);
	segs_out(h, "0.200", 1, 4, 4);
	PKT(h, "0.300 < . 1:1(0) ack 1 win 1000 <sack 1461:2921,nop,nop>");
	PKT_SILENT(h, "0.320");
	PKT(h, "0.320~0.327 > . 1:1461(1460) ack 1");
	PKT(h, "0.430 < . 1:1(0) ack 5841 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TCPSackRecovery"), 1);
	assert_int_equal(pkt_counter(h, "TcpRetransSegs"), 1);
	assert_int_equal(pkt_counter(h, "TCPLossProbes"), 0);
	pkt_free(h);
}

/* The hole fills within the reordering window: no retransmission. */
static void test_rack_tolerates_reordering_within_window(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 4 * MSS), 4 * MSS);
	segs_out(h, "0.200", 1, 4, 4);
	PKT(h, "0.300 < . 1:1(0) ack 1 win 1000 <sack 1461:2921,nop,nop>");
	PKT(h, "0.315 < . 1:1(0) ack 2921 win 1000");
	PKT(h, "0.320 < . 1:1(0) ack 5841 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TcpRetransSegs"), 0);
	assert_int_equal(pkt_counter(h, "TCPSackRecovery"), 0);
	pkt_free(h);
}

/*
 * Once retransmitted, the segment is not marked lost again by SACKs for
 * data sent before the retransmission; only the final ACK ends it.
 */
static void test_rack_retransmits_lost_segment_once(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 4 * MSS), 4 * MSS);
	segs_out(h, "0.200", 1, 4, 4);
	PKT(h, "0.300 < . 1:1(0) ack 1 win 1000 <sack 1461:2921,nop,nop>");
	PKT(h, "0.320~0.327 > . 1:1461(1460) ack 1");
	PKT(h, "0.330 < . 1:1(0) ack 1 win 1000 <sack 1461:4381,nop,nop>");
	PKT(h, "0.340 < . 1:1(0) ack 1 win 1000 <sack 1461:5841,nop,nop>");
	PKT_SILENT(h, "0.420");
	PKT(h, "0.430 < . 1:1(0) ack 5841 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TcpRetransSegs"), 1);
	pkt_free(h);
}

/* --- F-RTO -------------------------------------------------------------- */

/*
 * Ten segments out (tcp_early_retrans=0: no probe), twelve written; the
 * RTO resends the head; at @ack_at an ACK advances snd_una over the head
 * only. Shared start of the F-RTO tests.
 */
static int frto_start(struct pkt *h, const char *frto, const char *ack_at)
{
	char line[160];
	int fd;

	pkt_sysctl(h, "tcp_early_retrans", "0");
	pkt_sysctl(h, "tcp_frto", frto);
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 12 * MSS), 12 * MSS);
	segs_out(h, "0.200", 1, 10, 0);
	PKT(h, "0.500 > . 1:1461(1460) ack 1");
	snprintf(line, sizeof(line), "%s < . 1:1(0) ack 1461 win 1000", ack_at);
	PKT(h, line);
	return fd;
}

/*
 * The path's delay grew: the ACK of the original head comes 20 ms after
 * the RTO (below min_rtt: RACK ignores it as ambiguous), then the ACKs of
 * the rest of the original flight.
 */
static void test_frto_spurious_rto_is_undone(void **state)
{
	struct tcp_info ti;
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = frto_start(h, "2", "0.520");
	/* F-RTO step 2b: two new segments rather than retransmissions. */
	segs_out(h, "0.520", 11, 12, 12);
	/* Never-retransmitted data acked: the RTO was spurious (3b). */
	PKT(h, "0.540 < . 1:1(0) ack 4381 win 1000");
	PKT_SILENT(h, "0.690");
	tcp_info_of(h, fd, &ti);
	assert_int_equal(ti.tcpi_ca_state, 0);  /* TCP_CA_Open */
	assert_true(ti.tcpi_snd_cwnd >= 10);     /* restored */
	PKT(h, "0.700 < . 1:1(0) ack 17521 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TCPSpuriousRTOs"), 1);
	assert_int_equal(pkt_counter(h, "TCPTimeouts"), 1);
	assert_int_equal(pkt_counter(h, "TcpRetransSegs"), 1);
	pkt_free(h);
}

/* The peer SACKs the new data instead: the loss was real (step 3a). */
static void test_frto_real_loss_continues_recovery(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	frto_start(h, "2", "0.600");
	segs_out(h, "0.600", 11, 12, 12);
	PKT(h, "0.700 < . 1:1(0) ack 1461 win 1000 <sack 14601:16061,nop,nop>");
	PKT(h, "0.700 > . 1461:2921(1460) ack 1");
	assert_int_equal(pkt_counter(h, "TCPSpuriousRTOs"), 0);
	pkt_strict(h, false);
	pkt_free(h);
}

/* tcp_frto=0: the same ACK brings retransmissions in slow start. */
static void test_frto_off_retransmits_instead_of_new_data(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	frto_start(h, "0", "0.600");
	PKT(h, "0.600 > . 1461:2921(1460) ack 1");
	PKT(h, "0.600 > . 2921:4381(1460) ack 1");
	PKT_SILENT(h, "0.690");
	PKT(h, "0.700 < . 1:1(0) ack 4381 win 1000");
	assert_int_equal(pkt_counter(h, "TCPSpuriousRTOs"), 0);
	pkt_strict(h, false);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlp_probes_last_segment_after_two_srtt),
		cmocka_unit_test(test_tlp_single_segment_allows_for_delayed_ack),
		cmocka_unit_test(test_tlp_never_later_than_rto),
		cmocka_unit_test(test_tlp_sends_new_data_when_available),
		cmocka_unit_test(test_tlp_off_with_early_retrans_0),
		cmocka_unit_test(test_rack_marks_lost_after_quarter_min_rtt),
		cmocka_unit_test(test_rack_tolerates_reordering_within_window),
		cmocka_unit_test(test_rack_retransmits_lost_segment_once),
		cmocka_unit_test(test_frto_spurious_rto_is_undone),
		cmocka_unit_test(test_frto_real_loss_continues_recovery),
		cmocka_unit_test(test_frto_off_retransmits_instead_of_new_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
