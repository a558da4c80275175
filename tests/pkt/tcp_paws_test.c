/*
 * PAWS (RFC 7323 5): with timestamps on, a segment whose TSval is older
 * than TS.Recent is dropped and answered with a duplicate ACK
 * (PAWSEstab; those ACKs are rate-limited per socket by
 * tcp_invalid_ratelimit, 500 ms, as TCPACKSkippedPAWS counts); a RST is
 * still accepted (RFC 7323 5.3 R1, Linux's tcp_validate_incoming).
 *
 * pkt_server_established(ts=true): peer TSvals 100 (SYN) and 200 (ACK).
 */
#include "pkt_harness.h"

/* First data at 0.200 with TSval 300: TS.Recent = 300. */
static int paws_start(struct pkt *h)
{
	int fd;

	fd = pkt_server_established(h, true, NULL);
	PKT(h, "0.200 < P. 1:1001(1000) ack 1 win 1000 <nop,nop,TS val 300 ecr *>");
	PKT(h, "0.200 > . 1:1(0) ack 1001 <nop,nop,TS val * ecr 300>");
	PKT_RET(h, "0.200", pkt_read(h, fd, 5000), 1000);
	return fd;
}

static void test_old_tsval_dropped_with_dupack(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = paws_start(h);
	PKT(h, "0.300 < P. 1001:2001(1000) ack 1 win 1000 <nop,nop,TS val 250 ecr *>");
	/* The ACK still echoes TS.Recent = 300: the old segment is ignored. */
	PKT(h, "0.300 > . 1:1(0) ack 1001 <nop,nop,TS val * ecr 300>");
	PKT_ERR(h, "0.310", pkt_recv(h, fd, 5000, MSG_DONTWAIT), EAGAIN);
	assert_int_equal(pkt_counter(h, "PAWSEstab"), 1);
	/* The same bytes with a fresh TSval are taken. */
	PKT(h, "0.400 < P. 1001:2001(1000) ack 1 win 1000 <nop,nop,TS val 400 ecr *>");
	PKT(h, "0.400 > . 1:1(0) ack 2001 <nop,nop,TS val * ecr 400>");
	PKT_RET(h, "0.400", pkt_read(h, fd, 5000), 1000);
	PKT_SILENT(h, "1.000");
	pkt_free(h);
}

/*
 * Data segments failing PAWS each get their duplicate ACK; pure ACKs
 * failing it only one per 500 ms (tcp_oow_rate_limited: a data-less
 * segment may be part of an ACK loop).
 */
static void test_paws_dupacks_rate_limited_for_pure_acks(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	paws_start(h);
	PKT(h, "0.300 < P. 1001:2001(1000) ack 1 win 1000 <nop,nop,TS val 250 ecr *>");
	PKT(h, "0.300 > . 1:1(0) ack 1001 <nop,nop,TS val * ecr 300>");
	PKT(h, "0.310 < P. 1001:2001(1000) ack 1 win 1000 <nop,nop,TS val 251 ecr *>");
	PKT(h, "0.310 > . 1:1(0) ack 1001 <nop,nop,TS val * ecr 300>");
	/* Data did not start the 500 ms period: this one is answered. */
	PKT(h, "0.320 < . 1001:1001(0) ack 1 win 1000 <nop,nop,TS val 252 ecr *>");
	PKT(h, "0.320 > . 1:1(0) ack 1001 <nop,nop,TS val * ecr 300>");
	PKT(h, "0.400 < . 1001:1001(0) ack 1 win 1000 <nop,nop,TS val 253 ecr *>");
	PKT_SILENT(h, "0.790");
	PKT(h, "0.820 < . 1001:1001(0) ack 1 win 1000 <nop,nop,TS val 254 ecr *>");
	PKT(h, "0.820 > . 1:1(0) ack 1001 <nop,nop,TS val * ecr 300>");
	assert_int_equal(pkt_counter(h, "PAWSEstab"), 5);
	assert_int_equal(pkt_counter(h, "TCPACKSkippedPAWS"), 1);
	PKT_SILENT(h, "2.000");
	pkt_free(h);
}

/* A RST is accepted even with a TSval that fails PAWS. */
static void test_rst_with_old_tsval_still_accepted(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = paws_start(h);
	PKT(h, "0.300 < R. 1001:1001(0) ack 1 win 1000 <nop,nop,TS val 250 ecr *>");
	PKT_ERR(h, "0.310", pkt_read(h, fd, 5000), ECONNRESET);
	PKT_SILENT(h, "2.000");
	assert_int_equal(pkt_counter(h, "PAWSEstab"), 0);
	pkt_free(h);
}

/*
 * An equal TSval passes (TS.Recent is not newer); the window of one tick
 * (TCP_PAWS_WINDOW) also lets TSval one less through.
 */
static void test_equal_or_one_tick_older_tsval_accepted(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	fd = paws_start(h);
	PKT(h, "0.300 < P. 1001:2001(1000) ack 1 win 1000 <nop,nop,TS val 300 ecr *>");
	PKT(h, "0.300 > . 1:1(0) ack 2001 <nop,nop,TS val * ecr 300>");
	PKT(h, "0.310 < P. 2001:3001(1000) ack 1 win 1000 <nop,nop,TS val 299 ecr *>");
	PKT(h, "0.310 > . 1:1(0) ack 3001 <nop,nop,TS val * ecr 300>");
	PKT_RET(h, "0.320", pkt_read(h, fd, 5000), 2000);
	assert_int_equal(pkt_counter(h, "PAWSEstab"), 0);
	PKT_SILENT(h, "2.000");
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_tsval_dropped_with_dupack),
		cmocka_unit_test(test_paws_dupacks_rate_limited_for_pure_acks),
		cmocka_unit_test(test_rst_with_old_tsval_still_accepted),
		cmocka_unit_test(test_equal_or_one_tick_older_tsval_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
