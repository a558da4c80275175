/*
 * LISTEN and SYN-RECEIVED: what Linux answers to a SYN, with which
 * options, and how the SYN-ACK is retransmitted.
 */
#include "pkt_harness.h"

static void test_synack_offers_linux_options_in_linux_order(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_listen(h, 8080, 1);
	PKT(h, "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	PKT(h, "0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_synack_offers_only_what_the_syn_offered(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_listen(h, 8080, 1);
	/* No timestamps, no SACK, no window scale in the SYN: none back. */
	PKT(h, "0.000 < S 0:0(0) win 65535 <mss 1460>");
	PKT(h, "0.000 > S. 0:0(0) ack 1 <mss 1460>");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_synack_mss_clamped_to_our_mtu(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_listen(h, 8080, 1);
	/* RFC 9293 3.7.1: we announce what our MTU allows, whatever theirs. */
	PKT(h, "0.000 < S 0:0(0) win 65535 <mss 9000,sackOK,nop,nop,nop,wscale 7>");
	PKT(h, "0.000 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_synack_retransmitted_with_exponential_backoff(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_listen(h, 8080, 1);
	PKT(h, "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>");
	PKT(h, "0.000 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	/* Initial RTO 1 s (RFC 6298 2.1), doubled each time. */
	PKT(h, "1.000 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	PKT(h, "3.000 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	PKT(h, "7.000 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_handshake_completes_and_accept_returns(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = pkt_server_established(h, true, NULL);
	assert_true(fd >= 0);
	assert_int_equal(pkt_counter(h, "TcpPassiveOpens"), 1);
	pkt_free(h);
}

static void test_accept_nonblocking_without_connection_is_eagain(void **state)
{
	struct pkt *h;
	int l;

	PKT_NEW_TCP(h, NULL);
	l = pkt_listen(h, 8080, 1);
	PKT_RET(h, "0", pkt_fcntl_nonblock(h, l), 0);
	PKT_ERR(h, "0.010", pkt_accept(h, l), EAGAIN);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synack_offers_linux_options_in_linux_order),
		cmocka_unit_test(test_synack_offers_only_what_the_syn_offered),
		cmocka_unit_test(test_synack_mss_clamped_to_our_mtu),
		cmocka_unit_test(test_synack_retransmitted_with_exponential_backoff),
		cmocka_unit_test(test_handshake_completes_and_accept_returns),
		cmocka_unit_test(test_accept_nonblocking_without_connection_is_eagain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
