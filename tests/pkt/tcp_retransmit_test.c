/*
 * Retransmission: RTO from the handshake RTT (RFC 6298 with Linux's
 * 200 ms floor), exponential backoff, fast retransmit on SACKed dupacks.
 */
#include "pkt_harness.h"

static void test_rto_backoff_doubles(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_early_retrans", "0");   /* no TLP: RTO alone */
	fd = pkt_server_established(h, false, NULL);
	PKT_RET(h, "0.200", pkt_write(h, fd, 1000), 1000);
	PKT(h, "0.200 > P. 1:1001(1000) ack 1");
	/* RTT 100 ms: RTO = srtt + max(4 * rttvar, 200 ms) = 300 ms. */
	PKT(h, "0.500 > P. 1:1001(1000) ack 1");
	PKT(h, "1.100 > P. 1:1001(1000) ack 1");
	PKT(h, "2.300 > P. 1:1001(1000) ack 1");
	PKT(h, "2.400 < . 1:1(0) ack 1001 win 1000");
	PKT_SILENT(h, "10.000");
	assert_int_equal(pkt_counter(h, "TcpRetransSegs"), 3);
	pkt_free(h);
}

static void test_three_sacked_dupacks_trigger_fast_retransmit(void **state)
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
	PKT(h, "0.300 < . 1:1(0) ack 1 win 1000 <sack 1461:4381,nop,nop>");
	PKT(h, "0.300 < . 1:1(0) ack 1 win 1000 <sack 1461:5841,nop,nop>");
	PKT(h, "0.300 > . 1:1461(1460) ack 1");
	PKT(h, "0.400 < . 1:1(0) ack 5841 win 1000");
	PKT_SILENT(h, "5.000");
	assert_int_equal(pkt_counter(h, "TCPSackRecovery"), 1);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rto_backoff_doubles),
		cmocka_unit_test(test_three_sacked_dupacks_trigger_fast_retransmit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
