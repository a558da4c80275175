/*
 * Packet tests for what is not TCP, through the packetdrill adapter: UDP
 * in and out, ICMP port unreachable, ping replies, and the adapter's own
 * contract (host fds, virtual time, netdev_receive at the end of time,
 * blocking calls from a second thread, sysctls read at socket()).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "pkt_harness.h"

static int udp_bound(struct pkt *h, uint16_t port)
{
	int fd = PKT_OK(h, "0", pkt_socket(h, SOCK_DGRAM));

	PKT_RET(h, "0", pkt_bind_port(h, fd, port), 0);
	return fd;
}

static void test_udp_datagram_in_is_received(void **state)
{
	struct pkt *h = pkt_new(NULL);
	int fd = udp_bound(h, 8080);

	PKT(h, "0.010 < udp (10)");
	PKT_RET(h, "0.010", pkt_recv(h, fd, 100, MSG_DONTWAIT), 10);
	PKT_ERR(h, "0.020", pkt_recv(h, fd, 100, MSG_DONTWAIT), EAGAIN);
	pkt_free(h);
}

static void test_udp_sendto_goes_out_at_once(void **state)
{
	struct pkt *h = pkt_new(NULL);
	int fd = udp_bound(h, 8080);
	struct sockaddr_in to = pkt_remote_sin(h, 40000);
	char buf[5] = "hello";

	PKT_RET(h, "0.100", pkt_ifc(h)->sendto(pkt_ud(h), fd, buf, 5, 0,
					       (struct sockaddr *)&to,
					       sizeof(to)), 5);
	PKT(h, "0.100 > udp (5)");
	PKT_SILENT(h, "1.000");
	pkt_free(h);
}

static void test_udp_to_closed_port_gets_port_unreachable(void **state)
{
	struct pkt *h = pkt_new(NULL);

	pkt_flow(h, 40000, 9);
	PKT(h, "0.050 < udp (20)");
	pkt_flow(h, 0, 0);
	PKT(h, "0.050 > icmp unreachable port_unreachable");
	assert_int_equal(pkt_counter(h, "UdpNoPorts"), 1);
	pkt_free(h);
}

static void test_ping_gets_echo_reply_with_same_payload(void **state)
{
	struct pkt *h = pkt_new(NULL);

	PKT(h, "0.000 < icmp echo_request id 7 seq 1 (56)");
	PKT(h, "0.000 > icmp echo_reply (56)");
	PKT(h, "1.000 < icmp echo_request id 7 seq 2 (56)");
	PKT(h, "1.000 > icmp echo_reply (56)");
	pkt_free(h);
}

static void test_socket_returns_a_real_host_descriptor(void **state)
{
	struct pkt *h = pkt_new(NULL);
	int fd = PKT_OK(h, "0", pkt_socket(h, SOCK_DGRAM));

	/* The caller may close leftovers with the host's close(2). */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	PKT_RET(h, "0", pkt_close(h, fd), 0);
	pkt_free(h);
}

static void test_netdev_receive_reports_nothing_when_nothing_can_come(void **state)
{
	struct pkt *h = pkt_new(NULL);
	unsigned char buf[2048];
	size_t n = sizeof(buf);
	long long t = -1;

	assert_int_equal(pkt_ifc(h)->netdev_receive(pkt_ud(h), buf, &n, &t), 0);
	assert_int_equal(n, 0);
	pkt_free(h);
}

static void test_gettimeofday_ticks_and_usleep_moves_virtual_time(void **state)
{
	struct pkt *h = pkt_new(NULL);
	struct timeval a, b;

	pkt_ifc(h)->gettimeofday(pkt_ud(h), &a, NULL);
	pkt_ifc(h)->gettimeofday(pkt_ud(h), &b, NULL);
	assert_int_equal((b.tv_sec - a.tv_sec) * 1000000 + b.tv_usec - a.tv_usec, 1);
	assert_int_equal(pkt_ifc(h)->usleep(pkt_ud(h), 2500000), 0);
	pkt_ifc(h)->gettimeofday(pkt_ud(h), &a, NULL);
	assert_int_equal((a.tv_sec - b.tv_sec) * 1000000 + a.tv_usec - b.tv_usec,
			 2500001);
	pkt_free(h);
}

static long blocking_recv(struct pkt *h, void *arg)
{
	return pkt_recv(h, *(int *)arg, 100, 0);
}

static void test_blocking_recv_in_second_thread_wakes_at_arrival(void **state)
{
	struct pkt *h = pkt_new(NULL);
	int fd = udp_bound(h, 8080);
	struct pkt_async *a = pkt_async(h, "0.000", blocking_recv, &fd);

	PKT(h, "0.250 < udp (20)");
	PKT_ASYNC_END(h, a, "0.250", 20, 0);
	pkt_free(h);
}

static long poll_100ms(struct pkt *h, void *arg)
{
	return pkt_poll(h, *(int *)arg, POLLIN, 100, NULL);
}

static void test_poll_timeout_runs_in_virtual_time(void **state)
{
	struct pkt *h = pkt_new(NULL);
	int fd = udp_bound(h, 8080);
	struct pkt_async *a = pkt_async(h, "0.000", poll_100ms, &fd);

	PKT_SILENT(h, "0.300");
	PKT_ASYNC_END(h, a, "0.100", 0, 0);
	pkt_free(h);
}

static long so_rcvtimeo_recv(struct pkt *h, void *arg)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };
	int fd = *(int *)arg;

	if (pkt_ifc(h)->setsockopt(pkt_ud(h), fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv)))
		return -2;
	return pkt_recv(h, fd, 100, 0);
}

static void test_so_rcvtimeo_expires_in_virtual_time(void **state)
{
	struct pkt *h = pkt_new(NULL);
	int fd = udp_bound(h, 8080);
	struct pkt_async *a = pkt_async(h, "0.000", so_rcvtimeo_recv, &fd);

	PKT_SILENT(h, "1.000");
	PKT_ASYNC_END(h, a, "0.500", -1, EAGAIN);
	pkt_free(h);
}

static void test_tcp_sysctls_are_read_at_socket_creation(void **state)
{
	struct pkt *h = pkt_new(NULL);
	sl_net_t *net = (sl_net_t *)sockline_packetdrill_net(pkt_ud(h));
	char v[64];

	pkt_sysctl(h, "tcp_syn_retries", "2");
	pkt_sysctl(h, "tcp_rmem", "4096\t87380\t6291456");
	pkt_sysctl(h, "tcp_no_such_knob", "1");
	PKT_OK(h, "0", pkt_socket(h, SOCK_DGRAM));
	assert_int_equal(sl_sysctl_get(net, "net.ipv4.tcp_syn_retries", v,
				       sizeof(v)), 0);
	assert_string_equal(v, "2");
	assert_int_equal(sl_sysctl_get(net, "net.ipv4.tcp_rmem", v, sizeof(v)), 0);
	assert_string_equal(v, "4096\t87380\t6291456");
	pkt_free(h);
}

static void test_unknown_congestion_control_in_namespace_is_ignored(void **state)
{
	struct pkt *h;
	sl_net_t *net;
	char v[64];

	h = pkt_new(NULL);
	net = (sl_net_t *)sockline_packetdrill_net(pkt_ud(h));
	/* This host runs bbr, which sockline lacks: the stack keeps its own. */
	pkt_sysctl(h, "tcp_congestion_control", "no_such_cc");
	PKT_OK(h, "0", pkt_socket(h, SOCK_DGRAM));
	assert_int_equal(sl_sysctl_get(net, "net.ipv4.tcp_congestion_control",
				       v, sizeof(v)), 0);
	assert_string_equal(v, "cubic");
	pkt_free(h);
}

static void test_flags_set_addresses_and_mtu(void **state)
{
	struct pkt *h = pkt_new("local_ip=10.1.0.2,remote_ip=10.9.9.9,"
				"gateway_ip=10.1.0.1,prefix_len=24,mtu=1400");
	int fd = udp_bound(h, 8080);
	struct sockaddr_in to = pkt_remote_sin(h, 40000);
	static char big[2000];
	size_t n;
	const uint8_t *p;

	PKT_RET(h, "0", pkt_ifc(h)->sendto(pkt_ud(h), fd, big, 1500, 0,
					   (struct sockaddr *)&to, sizeof(to)),
		1500);
	/* 1508 bytes of UDP over a 1400-byte MTU: two fragments. */
	pkt_strict(h, false);
	PKT(h, "0 > udp (1500)");
	p = pkt_last_out(h, &n);
	assert_int_equal(n, 1396);
	assert_int_equal(p[12], 10);
	assert_int_equal(p[16], 10);
	assert_int_equal(p[17], 9);
	pkt_free(h);
}

static void test_bad_flags_leave_userdata_null(void **state)
{
	struct packetdrill_interface ifc;

	packetdrill_interface_init("ip_version=ipv6", &ifc);
	assert_null(ifc.userdata);
	assert_non_null(ifc.socket);
	assert_int_equal(ifc.socket(NULL, AF_INET, SOCK_DGRAM, 0), -1);
	assert_int_equal(errno, ENODEV);
	ifc.free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_datagram_in_is_received),
		cmocka_unit_test(test_udp_sendto_goes_out_at_once),
		cmocka_unit_test(test_udp_to_closed_port_gets_port_unreachable),
		cmocka_unit_test(test_ping_gets_echo_reply_with_same_payload),
		cmocka_unit_test(test_socket_returns_a_real_host_descriptor),
		cmocka_unit_test(test_netdev_receive_reports_nothing_when_nothing_can_come),
		cmocka_unit_test(test_gettimeofday_ticks_and_usleep_moves_virtual_time),
		cmocka_unit_test(test_blocking_recv_in_second_thread_wakes_at_arrival),
		cmocka_unit_test(test_poll_timeout_runs_in_virtual_time),
		cmocka_unit_test(test_so_rcvtimeo_expires_in_virtual_time),
		cmocka_unit_test(test_tcp_sysctls_are_read_at_socket_creation),
		cmocka_unit_test(test_unknown_congestion_control_in_namespace_is_ignored),
		cmocka_unit_test(test_flags_set_addresses_and_mtu),
		cmocka_unit_test(test_bad_flags_leave_userdata_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
