/*
 * The listener's queues under pressure, as Linux with tcp_syncookies=1:
 * listen(fd, 1) allows one request in the SYN queue
 * (inet_csk_reqsk_queue_is_full: qlen >= backlog); the next SYN gets a
 * SYN cookie SYN-ACK (TCPReqQFullDoCookies, SyncookiesSent) that keeps no
 * state, the ACK returning a valid cookie creates the connection
 * (SyncookiesRecv) and accept() returns it; an invalid one is answered
 * with a RST (SyncookiesFailed). The accept queue holds backlog + 1
 * (sk_acceptq_is_full: ack_backlog > backlog); past that a SYN is
 * dropped (ListenOverflows, ListenDrops).
 */
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "pkt_harness.h"

#define SYN_NOTS "< S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>"
#define SYNACK_NOTS "> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>"

/* accept(); returns the fd and the peer's port in *@port. */
static int accept_port(struct pkt *h, int lfd, uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	memset(&sin, 0, sizeof(sin));
	fd = pkt_ifc(h)->accept(pkt_ud(h), lfd, (struct sockaddr *)&sin, &len);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Line @text of flow @rport -> 8080 at @when ("0.000 " is prefixed). */
static void flow_line(struct pkt *h, uint16_t rport, const char *when,
		      const char *text)
{
	char line[256];

	pkt_flow(h, rport, 8080);
	snprintf(line, sizeof(line), "%s %s", when, text);
	PKT(h, line);
}

static void test_syn_queue_full_gets_cookie_and_ack_creates_child(void **state)
{
	struct pkt *h;
	int l, fd;
	uint16_t port = 0;

	PKT_NEW_TCP(h, NULL);
	l = pkt_listen(h, 8080, 1);
	flow_line(h, 40000, "0.000", SYN_NOTS);
	flow_line(h, 40000, "0.000", SYNACK_NOTS);
	/* The SYN queue is full: a cookie, and without timestamps nothing
	 * but the MSS can be encoded (no SACK, no window scaling). */
	flow_line(h, 40001, "0.010", SYN_NOTS);
	flow_line(h, 40001, "0.010", "> S. 0:0(0) ack 1 <mss 1460>");
	assert_int_equal(pkt_counter(h, "SyncookiesSent"), 1);
	assert_int_equal(pkt_counter(h, "TCPReqQFullDoCookies"), 1);
	flow_line(h, 40001, "0.110", "< . 1:1(0) ack 1 win 1000");
	assert_int_equal(pkt_counter(h, "SyncookiesRecv"), 1);
	fd = PKT_OK(h, "0.120", accept_port(h, l, &port));
	assert_int_equal(port, 40001);
	/* The connection works; the window is not scaled. */
	PKT_RET(h, "0.130", pkt_write(h, fd, 100), 100);
	flow_line(h, 40001, "0.130", "> P. 1:101(100) ack 1 <>");
	flow_line(h, 40001, "0.230", "< . 1:1(0) ack 101 win 1000");
	/* The other request was kept and completes normally. */
	flow_line(h, 40000, "0.240", "< . 1:1(0) ack 1 win 1000");
	PKT_OK(h, "0.250", accept_port(h, l, &port));
	assert_int_equal(port, 40000);
	assert_int_equal(pkt_counter(h, "SyncookiesSent"), 1);
	assert_int_equal(pkt_counter(h, "SyncookiesFailed"), 0);
	PKT_SILENT(h, "5.000");
	pkt_free(h);
}

/* A cookie SYN-ACK is not retransmitted: nothing is remembered. */
static void test_cookie_synack_not_retransmitted(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_listen(h, 8080, 1);
	flow_line(h, 40000, "0.000", SYN_NOTS);
	flow_line(h, 40000, "0.000", SYNACK_NOTS);
	flow_line(h, 40001, "0.010", SYN_NOTS);
	flow_line(h, 40001, "0.010", "> S. 0:0(0) ack 1 <mss 1460>");
	/* Only the queued request's SYN-ACK is retransmitted (1 s). */
	flow_line(h, 40000, "1.000", SYNACK_NOTS);
	flow_line(h, 40000, "1.100", "< . 1:1(0) ack 1 win 1000");
	PKT_SILENT(h, "10.000");
	pkt_free(h);
}

/*
 * With timestamps the cookie carries SACK and the window scale in the
 * TSval's low bits: the connection gets them all.
 */
static void test_cookie_with_timestamps_keeps_options(void **state)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	struct pkt *h;
	int l, fd;
	uint16_t port = 0;

	PKT_NEW_TCP(h, NULL);
	l = pkt_listen(h, 8080, 1);
	flow_line(h, 40000, "0.000", SYN_NOTS);
	flow_line(h, 40000, "0.000", SYNACK_NOTS);
	flow_line(h, 40001, "0.010",
		  "< S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
	flow_line(h, 40001, "0.010",
		  "> S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>");
	flow_line(h, 40001, "0.110",
		  "< . 1:1(0) ack 1 win 1000 <nop,nop,TS val 200 ecr *>");
	assert_int_equal(pkt_counter(h, "SyncookiesRecv"), 1);
	fd = PKT_OK(h, "0.120", accept_port(h, l, &port));
	assert_int_equal(port, 40001);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(pkt_ifc(h)->getsockopt(pkt_ud(h), fd, IPPROTO_TCP,
						TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_options &
			 (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE),
			 TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	assert_int_equal(ti.tcpi_snd_wscale, 7);
	PKT_RET(h, "0.130", pkt_write(h, fd, 100), 100);
	flow_line(h, 40001, "0.130",
		  "> P. 1:101(100) ack 1 <nop,nop,TS val * ecr 200>");
	pkt_strict(h, false);
	pkt_free(h);
}

/* An ACK that does not carry a valid cookie: RST (seq = its ack). */
static void test_invalid_cookie_ack_gets_rst(void **state)
{
	struct pkt *h;

	PKT_NEW_TCP(h, NULL);
	pkt_listen(h, 8080, 1);
	flow_line(h, 40000, "0.000", SYN_NOTS);
	flow_line(h, 40000, "0.000", SYNACK_NOTS);
	flow_line(h, 40001, "0.010", SYN_NOTS);
	flow_line(h, 40001, "0.010", "> S. 0:0(0) ack 1 <mss 1460>");
	flow_line(h, 40001, "0.110", "< . 1:1(0) ack 1001 win 1000");
	flow_line(h, 40001, "0.110", "> R 1001:1001(0) <>");
	assert_int_equal(pkt_counter(h, "SyncookiesFailed"), 1);
	assert_int_equal(pkt_counter(h, "SyncookiesRecv"), 0);
	pkt_strict(h, false);
	pkt_free(h);
}

/* tcp_syncookies=0: the SYN is dropped; the peer's retry gets in. */
static void test_no_syncookies_drops_syn_when_queue_full(void **state)
{
	struct pkt *h;
	int l;
	uint16_t port = 0;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_syncookies", "0");
	l = pkt_listen(h, 8080, 1);
	flow_line(h, 40000, "0.000", SYN_NOTS);
	flow_line(h, 40000, "0.000", SYNACK_NOTS);
	flow_line(h, 40001, "0.010", SYN_NOTS);
	PKT_SILENT(h, "0.090");
	assert_int_equal(pkt_counter(h, "TCPReqQFullDrop"), 1);
	assert_int_equal(pkt_counter(h, "ListenDrops"), 1);
	assert_int_equal(pkt_counter(h, "SyncookiesSent"), 0);
	flow_line(h, 40000, "0.100", "< . 1:1(0) ack 1 win 1000");
	flow_line(h, 40001, "1.010", SYN_NOTS);
	flow_line(h, 40001, "1.010", SYNACK_NOTS);
	flow_line(h, 40001, "1.110", "< . 1:1(0) ack 1 win 1000");
	PKT_OK(h, "1.200", accept_port(h, l, &port));
	assert_int_equal(port, 40000);
	PKT_OK(h, "1.200", accept_port(h, l, &port));
	assert_int_equal(port, 40001);
	PKT_SILENT(h, "5.000");
	pkt_free(h);
}

/*
 * Two connections wait in the accept queue of listen(fd, 1): a third SYN
 * is dropped without an answer (ListenOverflows); after one accept() the
 * peer's retransmitted SYN is served.
 */
static void test_accept_queue_full_drops_syn(void **state)
{
	struct pkt *h;
	int l;
	uint16_t port = 0;

	PKT_NEW_TCP(h, NULL);
	l = pkt_listen(h, 8080, 1);
	flow_line(h, 40000, "0.000", SYN_NOTS);
	flow_line(h, 40000, "0.000", SYNACK_NOTS);
	flow_line(h, 40000, "0.100", "< . 1:1(0) ack 1 win 1000");
	flow_line(h, 40001, "0.110", SYN_NOTS);
	flow_line(h, 40001, "0.110", SYNACK_NOTS);
	flow_line(h, 40001, "0.210", "< . 1:1(0) ack 1 win 1000");
	flow_line(h, 40002, "0.300", SYN_NOTS);
	PKT_SILENT(h, "0.900");
	assert_int_equal(pkt_counter(h, "ListenOverflows"), 1);
	assert_int_equal(pkt_counter(h, "ListenDrops"), 1);
	assert_int_equal(pkt_counter(h, "SyncookiesSent"), 0);
	PKT_OK(h, "1.000", accept_port(h, l, &port));
	assert_int_equal(port, 40000);
	flow_line(h, 40002, "1.300", SYN_NOTS);
	flow_line(h, 40002, "1.300", SYNACK_NOTS);
	pkt_strict(h, false);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_queue_full_gets_cookie_and_ack_creates_child),
		cmocka_unit_test(test_cookie_synack_not_retransmitted),
		cmocka_unit_test(test_cookie_with_timestamps_keeps_options),
		cmocka_unit_test(test_invalid_cookie_ack_gets_rst),
		cmocka_unit_test(test_no_syncookies_drops_syn_when_queue_full),
		cmocka_unit_test(test_accept_queue_full_drops_syn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
