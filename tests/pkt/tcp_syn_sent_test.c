/*
 * SYN-SENT: the SYN Linux sends, its retransmissions and connect's
 * results (EINPROGRESS, ECONNREFUSED, ETIMEDOUT).
 */
#include "pkt_harness.h"

static int nb_socket(struct pkt *h)
{
	return PKT_OK(h, "0", pkt_socket(h, SOCK_STREAM | SOCK_NONBLOCK));
}

/*
 * With Linux's default tcp_rmem (4096 131072 6291456) the SYN offers
 * rcv_wnd = rounddown(131072 / 2, MSS) = 64240 and window scale 7 (from
 * tcp_rmem[2]), as `tcpdump` shows on any Linux host.
 */
static void test_syn_has_linux_options_and_default_window(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_flow(h, 8080, 0);
	fd = nb_socket(h);
	PKT_ERR(h, "0", pkt_connect(h, fd), EINPROGRESS);
	PKT(h, "0.000 > S 0:0(0) win 64240 <mss 1460,sackOK,TS val * ecr 0,nop,wscale 7>");
	pkt_strict(h, false);
	pkt_free(h);
}

/*
 * With the receive buffers of the kernel's packetdrill selftests
 * (tcp_rmem 4096 540000 15728640) the window is larger than 16 bits: the
 * SYN's unscaled field says 65535 and the scale grows to 8.
 */
static void test_syn_window_65535_with_large_rmem(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_rmem", "4096 540000 15728640");
	pkt_flow(h, 8080, 0);
	fd = nb_socket(h);
	PKT_ERR(h, "0", pkt_connect(h, fd), EINPROGRESS);
	PKT(h, "0.000 > S 0:0(0) win 65535 <mss 1460,sackOK,TS val * ecr 0,nop,wscale 8>");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_syn_without_timestamps_uses_nop_padding(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_timestamps", "0");
	pkt_flow(h, 8080, 0);
	fd = nb_socket(h);
	PKT_ERR(h, "0", pkt_connect(h, fd), EINPROGRESS);
	PKT(h, "0.000 > S 0:0(0) win 64240 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	pkt_strict(h, false);
	pkt_free(h);
}

static void test_syn_retries_then_etimedout(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_syn_retries", "2");
	pkt_flow(h, 8080, 0);
	fd = nb_socket(h);
	PKT_ERR(h, "0", pkt_connect(h, fd), EINPROGRESS);
	PKT(h, "0.000 > S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,nop,wscale 7>");
	PKT(h, "1.000 > S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,nop,wscale 7>");
	PKT(h, "3.000 > S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,nop,wscale 7>");
	PKT_SILENT(h, "7.100");
	assert_int_equal(pkt_so_error(h, fd), ETIMEDOUT);
	pkt_free(h);
}

static void test_rst_to_syn_gives_econnrefused(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_timestamps", "0");
	pkt_flow(h, 8080, 0);
	fd = nb_socket(h);
	PKT_ERR(h, "0", pkt_connect(h, fd), EINPROGRESS);
	PKT(h, "0.000 > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	PKT(h, "0.100 < R. 0:0(0) ack 1 win 0");
	assert_int_equal(pkt_so_error(h, fd), ECONNREFUSED);
	pkt_free(h);
}

static void test_synack_completes_connect_and_is_acked(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_timestamps", "0");
	pkt_flow(h, 8080, 0);
	fd = nb_socket(h);
	PKT_ERR(h, "0", pkt_connect(h, fd), EINPROGRESS);
	PKT(h, "0.000 > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	PKT(h, "0.100 < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	PKT(h, "0.100 > . 1:1(0) ack 1");
	assert_int_equal(pkt_so_error(h, fd), 0);
	/* Linux's __inet_stream_connect: the first connect(2) after the
	 * handshake finds SS_CONNECTING with an established sock and returns
	 * 0 (marking the socket SS_CONNECTED); the next one gets EISCONN. */
	PKT_RET(h, "0.100", pkt_connect(h, fd), 0);
	PKT_ERR(h, "0.100", pkt_connect(h, fd), EISCONN);
	assert_int_equal(pkt_counter(h, "TcpActiveOpens"), 1);
	pkt_free(h);
}

static void test_close_in_syn_sent_sends_no_rst(void **state)
{
	struct pkt *h;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_flow(h, 8080, 0);
	fd = nb_socket(h);
	PKT_ERR(h, "0", pkt_connect(h, fd), EINPROGRESS);
	PKT(h, "0.000 > S 0:0(0) <mss 1460,sackOK,TS val * ecr 0,nop,wscale 7>");
	PKT_RET(h, "0.050", pkt_close(h, fd), 0);
	PKT_SILENT(h, "5.000");
	pkt_free(h);
}

static long blocking_connect(struct pkt *h, void *arg)
{
	return pkt_connect(h, *(int *)arg);
}

static void test_blocking_connect_returns_when_synack_arrives(void **state)
{
	struct pkt *h;
	struct pkt_async *a;
	int fd;

	PKT_NEW_TCP(h, NULL);
	pkt_sysctl(h, "tcp_timestamps", "0");
	pkt_flow(h, 8080, 0);
	fd = PKT_OK(h, "0", pkt_socket(h, SOCK_STREAM));
	a = pkt_async(h, "0", blocking_connect, &fd);
	PKT(h, "0.000 > S 0:0(0) <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	PKT(h, "0.200 < S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
	PKT(h, "0.200 > . 1:1(0) ack 1");
	PKT_ASYNC_END(h, a, "0.200", 0, 0);
	pkt_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_has_linux_options_and_default_window),
		cmocka_unit_test(test_syn_window_65535_with_large_rmem),
		cmocka_unit_test(test_syn_without_timestamps_uses_nop_padding),
		cmocka_unit_test(test_syn_retries_then_etimedout),
		cmocka_unit_test(test_rst_to_syn_gives_econnrefused),
		cmocka_unit_test(test_synack_completes_connect_and_is_acked),
		cmocka_unit_test(test_close_in_syn_sent_sends_no_rst),
		cmocka_unit_test(test_blocking_connect_returns_when_synack_arrives),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
