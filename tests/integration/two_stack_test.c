/*
 * Two stacks on the virtual wire, through the public API only: what a user
 * of libsockline sees. Ping, UDP both ways, large datagrams fragmented and
 * reassembled under loss and reordering, ARP retries and failure, ping and
 * raw sockets side by side, ICMP errors reaching sockets, and a threaded
 * stack serving a blocked reader. Every test ends with no skb or sock
 * alive.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "sl_test.h"

#define NSEC 1000000000ULL

static int udp_socket_bound(sl_net_t *net, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);
	int fd = sl_socket_net(net, AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static ssize_t send_to(int fd, const void *buf, size_t len, const char *ip,
		       uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);

	return sl_sendto(fd, buf, len, 0, (struct sockaddr *)&sin, sizeof(sin));
}

static void test_udp_both_ways(void **state)
{
	struct sl_pair p;
	char buf[64];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	int fa, fb;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_socket_bound(p.a, "10.0.0.1", 1000);
	fb = udp_socket_bound(p.b, "10.0.0.2", 2000);
	assert_int_equal(send_to(fa, "ping", 4, "10.0.0.2", 2000), 4);
	sl_pair_settle(&p);
	assert_int_equal(sl_recvfrom(fb, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl), 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(ntohs(from.sin_port), 1000);
	assert_int_equal(from.sin_addr.s_addr, inet_addr("10.0.0.1"));
	assert_int_equal(send_to(fb, "pong!", 5, "10.0.0.1", 1000), 5);
	sl_pair_settle(&p);
	assert_int_equal(sl_recv(fa, buf, sizeof(buf), MSG_DONTWAIT), 5);
	assert_memory_equal(buf, "pong!", 5);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

/* 60000-byte datagrams: 41 fragments each, through loss and reordering. */
static void test_fragmentation_under_impairment(void **state)
{
	struct sl_wire_config wc = { .seed = 7 };
	static char out[60000], in[65536];
	struct sl_pair p;
	int fa, fb, got = 0, i;
	uint64_t reasm_ok = 0, frags = 0;

	(void)state;
	wc.a_to_b.loss = 0.002;
	wc.a_to_b.reorder = 0.25;
	wc.a_to_b.delay_ns = 1000000;
	sl_pair_setup(&p, &wc);
	fa = udp_socket_bound(p.a, "10.0.0.1", 1000);
	fb = udp_socket_bound(p.b, "10.0.0.2", 2000);
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = (char)(i * 7);
	for (i = 0; i < 50; i++) {
		out[0] = (char)i;
		assert_int_equal(send_to(fa, out, sizeof(out), "10.0.0.2", 2000),
				 (ssize_t)sizeof(out));
		sl_pair_run(&p, 5000000);
		while (sl_recv(fb, in, sizeof(in), MSG_DONTWAIT) == (ssize_t)sizeof(out)) {
			assert_memory_equal(in + 1, out + 1, sizeof(out) - 1);
			got++;
		}
	}
	sl_snmp_get(p.b, "IpReasmOKs", &reasm_ok);
	sl_snmp_get(p.a, "IpFragCreates", &frags);
	assert_int_equal(frags, 50 * 41);
	assert_int_equal((int)reasm_ok, got);
	/* 0.2% loss of 41 fragments loses ~8% of datagrams; most arrive. */
	assert_true(got >= 35);
	/* Incomplete datagrams time out after ipfrag_time (30 s). */
	sl_pair_run(&p, 31 * NSEC);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

static void test_udp_port_unreachable_reaches_connected_socket(void **state)
{
	struct sl_pair p;
	struct sockaddr_in dst = sl_sin("10.0.0.2", 9);
	char buf[8];
	int fd, err = 0;
	socklen_t el = sizeof(err);
	uint64_t noports = 0;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	assert_int_equal(sl_send(fd, "x", 1, 0), 1);
	sl_pair_settle(&p);
	sl_snmp_get(p.b, "UdpNoPorts", &noports);
	assert_int_equal(noports, 1);
	/* Linux: the pending error is reported by the next call, then cleared. */
	assert_int_equal(sl_recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el), 0);
	assert_int_equal(err, 0);
	sl_close(fd);
	sl_pair_teardown(&p);
}

static void test_ping_and_raw_sockets(void **state)
{
	struct sl_pair p;
	struct sockaddr_in dst = sl_sin("10.0.0.2", 0);
	unsigned char pkt[64] = { 0 }, in[256];
	struct icmphdr *ih = (struct icmphdr *)pkt;
	int ping, raw;
	ssize_t n;

	(void)state;
	sl_pair_setup(&p, NULL);
	ping = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	raw = sl_socket_net(p.a, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	assert_true(ping >= 0 && raw >= 0);
	ih->type = ICMP_ECHO;
	ih->un.echo.id = htons(0x1234); /* the stack replaces it */
	ih->un.echo.sequence = htons(1);
	memcpy(pkt + sizeof(*ih), "hello", 5);
	assert_int_equal(sl_sendto(ping, pkt, sizeof(*ih) + 5, 0,
				   (struct sockaddr *)&dst, sizeof(dst)), (ssize_t)sizeof(*ih) + 5);
	sl_pair_settle(&p);
	/* The ping socket gets the reply: ICMP header + payload. */
	n = sl_recv(ping, in, sizeof(in), MSG_DONTWAIT);
	assert_int_equal(n, (ssize_t)sizeof(*ih) + 5);
	assert_int_equal(((struct icmphdr *)in)->type, ICMP_ECHOREPLY);
	assert_memory_equal(in + sizeof(*ih), "hello", 5);
	/* The raw socket sees the same reply with its IP header. */
	n = sl_recv(raw, in, sizeof(in), MSG_DONTWAIT);
	assert_int_equal(n, 20 + (ssize_t)sizeof(*ih) + 5);
	assert_int_equal(((struct iphdr *)in)->protocol, IPPROTO_ICMP);
	assert_int_equal(((struct icmphdr *)(in + 20))->type, ICMP_ECHOREPLY);
	sl_close(ping);
	sl_close(raw);
	sl_pair_teardown(&p);
}

/* Nobody answers ARP for 10.0.0.9: 3 probes 1 s apart, then failure. */
static void test_arp_retries_then_fails(void **state)
{
	struct sl_pair p;
	struct sl_link_stats st0, st1;
	int fd = -1;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_link_stats(p.a, "wire0", &st0), 0);
	assert_int_equal(send_to(fd, "x", 1, "10.0.0.9", 9), 1);
	sl_pair_run(&p, 5 * NSEC);
	assert_int_equal(sl_link_stats(p.a, "wire0", &st1), 0);
	/* mcast_solicit = 3 broadcast requests; the datagram never left. */
	assert_int_equal(st1.tx_packets - st0.tx_packets, 3);
	assert_true(sl_drops_get(p.a, "NEIGH_FAILED") >= 1);
	sl_close(fd);
	sl_pair_teardown(&p);
}

struct reader {
	int fd;
	ssize_t n;
	char buf[32];
};

static void *blocked_reader(void *arg)
{
	struct reader *r = arg;

	r->n = sl_recv(r->fd, r->buf, sizeof(r->buf), 0);
	return NULL;
}

/* Threaded stacks on a real clock: a reader blocks until data arrives. */
static void test_threaded_blocking_recv(void **state)
{
	struct sl_net_config nc = { .mode = SL_NET_THREADED };
	struct sl_wire_config wc = { .seed = 3 };
	struct reader r = { 0 };
	sl_net_t *a, *b;
	pthread_t th;
	int fa;

	(void)state;
	nc.name = "ta";
	a = sl_net_create(&nc);
	nc.name = "tb";
	b = sl_net_create(&nc);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(sl_wire_create(a, b, &wc, NULL, NULL), 0);
	assert_int_equal(sl_addr_add(a, "wire0", "10.0.0.1/24"), 0);
	assert_int_equal(sl_addr_add(b, "wire0", "10.0.0.2/24"), 0);
	r.fd = udp_socket_bound(b, "10.0.0.2", 5000);
	fa = sl_socket_net(a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(pthread_create(&th, NULL, blocked_reader, &r), 0);
	usleep(20000);
	assert_int_equal(send_to(fa, "wake up", 7, "10.0.0.2", 5000), 7);
	pthread_join(th, NULL);
	assert_int_equal(r.n, 7);
	assert_memory_equal(r.buf, "wake up", 7);
	sl_close(fa);
	sl_close(r.fd);
	sl_net_destroy(a);
	sl_net_destroy(b);
	sl_assert_no_leaks();
}

static void test_loopback_udp(void **state)
{
	struct sl_pair p;
	char buf[16];
	int fa, fb;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_socket_bound(p.a, "127.0.0.1", 7000);
	fb = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(send_to(fb, "lo", 2, "127.0.0.1", 7000), 2);
	sl_pair_settle(&p);
	assert_int_equal(sl_recv(fa, buf, sizeof(buf), MSG_DONTWAIT), 2);
	/* Our own wire address also goes through loopback; a socket bound to
	 * 127.0.0.1 does not receive datagrams sent to 10.0.0.1. */
	assert_int_equal(send_to(fb, "me", 2, "10.0.0.1", 7000), 2);
	sl_pair_settle(&p);
	assert_int_equal(sl_recv(fa, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	sl_close(fa);
	fa = udp_socket_bound(p.a, "0.0.0.0", 7001);
	assert_int_equal(send_to(fb, "me", 2, "10.0.0.1", 7001), 2);
	sl_pair_settle(&p);
	assert_int_equal(sl_recv(fa, buf, sizeof(buf), MSG_DONTWAIT), 2);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_both_ways),
		cmocka_unit_test(test_fragmentation_under_impairment),
		cmocka_unit_test(test_udp_port_unreachable_reaches_connected_socket),
		cmocka_unit_test(test_ping_and_raw_sockets),
		cmocka_unit_test(test_arp_retries_then_fails),
		cmocka_unit_test(test_threaded_blocking_recv),
		cmocka_unit_test(test_loopback_udp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
