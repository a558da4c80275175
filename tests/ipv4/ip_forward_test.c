/*
 * ip_forward.c: a router stack m between two wires,
 *
 *   a 10.0.0.1/24 --wire0-- 10.0.0.254 m 10.1.0.254 --wire1-- 10.1.0.2/24 b
 *
 * (a and b route by default via m). Forwarding decrements the TTL, TTL
 * expiry answers ICMP time exceeded, DF datagrams too big for the next
 * link answer ICMP fragmentation needed with the next-hop MTU, others are
 * fragmented; with net.ipv4.ip_forward = 0 nothing passes. A TCP flow
 * whose large segments (GSO) m receives on a wire that carries them is cut
 * into packets for a wire that does not (tcp_gso_segment).
 */
#include "ip_test_util.h"

struct ctx {
	sl_clock_t *clk;
	struct net *a, *m, *b;
};

static struct net *mknet(sl_clock_t *clk, const char *name, u64 seed)
{
	struct sl_net_config nc = {
		.name = name, .mode = SL_NET_POLLED, .clock = clk, .seed = seed,
	};
	struct net *net = sl_net_create(&nc);

	assert_non_null(net);
	return net;
}

static void settle(struct ctx *c)
{
	int guard = 0;

	while (sl_net_poll_all(c->clk) > 0 && ++guard < 100000)
		;
}

/* a, m and b joined by wires @w0 (a-m) and @w1 (m-b), addressed, routed. */
static int setup_wires(void **state, const struct sl_wire_config *w0,
		       const struct sl_wire_config *w1)
{
	static struct ctx c;

	c.clk = sl_clock_new(true);
	c.a = mknet(c.clk, "a", 1);
	c.m = mknet(c.clk, "m", 2);
	c.b = mknet(c.clk, "b", 3);
	assert_int_equal(sl_wire_create(c.m, c.a, w0, NULL, NULL), 0);
	assert_int_equal(sl_wire_create(c.m, c.b, w1, NULL, NULL), 0);
	assert_int_equal(sl_addr_add(c.a, "wire0", "10.0.0.1/24"), 0);
	assert_int_equal(sl_addr_add(c.m, "wire0", "10.0.0.254/24"), 0);
	assert_int_equal(sl_addr_add(c.m, "wire1", "10.1.0.254/24"), 0);
	assert_int_equal(sl_addr_add(c.b, "wire0", "10.1.0.2/24"), 0);
	assert_int_equal(sl_route_add(c.a, "default", "10.0.0.254", NULL), 0);
	assert_int_equal(sl_route_add(c.b, "default", "10.1.0.254", NULL), 0);
	assert_int_equal(sl_sysctl_set(c.m, "net.ipv4.ip_forward", "1"), 0);
	settle(&c);
	*state = &c;
	return 0;
}

static int setup(void **state)
{
	struct sl_wire_config w0 = { .name_a = "wire0", .name_b = "wire0", .seed = 1 };
	struct sl_wire_config w1 = { .name_a = "wire1", .name_b = "wire0", .seed = 2,
				     .mtu = 1000 };

	setup_wires(state, &w0, &w1);
	rec_register();
	return 0;
}

static int teardown_wires(void **state)
{
	struct ctx *c = *state;

	sl_net_destroy(c->a);
	sl_net_destroy(c->m);
	sl_net_destroy(c->b);
	sl_clock_free(c->clk);
	sl_assert_no_leaks();
	return 0;
}

static int teardown(void **state)
{
	rec_unregister();
	return teardown_wires(state);
}

static void test_forwarded_with_ttl_decremented(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(send_test_dgram(c->a, ipa("10.1.0.2"), 300, false, 20), 0);
	settle(c);
	assert_int_equal(rec.n, 1);
	assert_ptr_equal(rec.net[0], c->b);
	assert_int_equal(rec.ttl[0], 19);
	assert_int_equal(rec.saddr[0], ipa("10.0.0.1"));
	assert_int_equal(snmp(c->m, "IpForwDatagrams"), 1);
	assert_int_equal(snmp(c->m, "IpInDelivers"), 0);
	/* and back */
	assert_int_equal(send_test_dgram(c->b, ipa("10.0.0.1"), 10, false, 0), 0);
	settle(c);
	assert_int_equal(rec.n, 2);
	assert_ptr_equal(rec.net[1], c->a);
	assert_int_equal(rec.ttl[1], 63);
}

static void test_ttl_expiry_sends_time_exceeded(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(send_test_dgram(c->a, ipa("10.1.0.2"), 100, false, 1), 0);
	settle(c);
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->m, "IpInHdrErrors"), 1);
	assert_int_equal(snmp(c->m, "IpForwDatagrams"), 0);
	assert_int_equal(drops(c->m, SKB_DROP_REASON_IP_TTL_EXCEEDED), 1);
	assert_int_equal(snmp(c->m, "IcmpOutTimeExcds"), 1);
	assert_int_equal(snmp(c->a, "IcmpInTimeExcds"), 1);

	/* TTL 2 still passes, arriving with 1 */
	assert_int_equal(send_test_dgram(c->a, ipa("10.1.0.2"), 100, false, 2), 0);
	settle(c);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ttl[0], 1);
}

static void test_df_too_big_gets_frag_needed(void **state)
{
	struct ctx *c = *state;

	/* 1200 bytes fit wire0 (1500) but not wire1 (1000) */
	assert_int_equal(send_test_dgram(c->a, ipa("10.1.0.2"), 1200, true, 0), 0);
	settle(c);
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->m, "IpFragFails"), 1);
	assert_int_equal(drops(c->m, SKB_DROP_REASON_PKT_TOO_BIG), 1);
	assert_int_equal(snmp(c->m, "IcmpOutDestUnreachs"), 1);
	assert_int_equal(snmp(c->a, "IcmpInDestUnreachs"), 1);
}

static void test_fragmented_to_next_hop_mtu(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(send_test_dgram(c->a, ipa("10.1.0.2"), 1400, false, 0), 0);
	settle(c);
	/* 980 + 420 on wire1, reassembled by b */
	assert_int_equal(snmp(c->m, "IpFragCreates"), 2);
	assert_int_equal(snmp(c->m, "IpFragOKs"), 1);
	assert_int_equal(snmp(c->b, "IpReasmOKs"), 1);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.len[0], 1400);
	assert_int_equal(rec.ttl[0], 63);
}

static void test_forwarding_off(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(sl_sysctl_set(c->m, "net.ipv4.ip_forward", "0"), 0);
	assert_int_equal(send_test_dgram(c->a, ipa("10.1.0.2"), 100, false, 0), 0);
	settle(c);
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->m, "IpInAddrErrors"), 1);
	assert_int_equal(snmp(c->m, "IpForwDatagrams"), 0);
	assert_int_equal(drops(c->m, SKB_DROP_REASON_IP_FORWARDING_OFF), 1);
}

static void test_no_route_on_router(void **state)
{
	struct ctx *c = *state;

	/* m has no route to 192.0.2.0/24: net unreachable, InNoRoutes */
	assert_int_equal(send_test_dgram(c->a, ipa("192.0.2.1"), 100, false, 0), 0);
	settle(c);
	assert_int_equal(snmp(c->m, "IpInNoRoutes"), 1);
	assert_int_equal(snmp(c->m, "IcmpOutDestUnreachs"), 1);
	assert_int_equal(snmp(c->a, "IcmpInDestUnreachs"), 1);
}


/* --- GSO in, no GSO out ---------------------------------------------------- */

static int setup_gso(void **state)
{
	struct sl_wire_config w0 = { .name_a = "wire0", .name_b = "wire0",
				     .seed = 1, .gso = true };
	struct sl_wire_config w1 = { .name_a = "wire1", .name_b = "wire0",
				     .seed = 2 };

	return setup_wires(state, &w0, &w1);
}

static void test_gso_segmented_for_plain_link(void **state)
{
	enum { TOTAL = 256 * 1024 };
	static unsigned char out[TOTAL], in[TOTAL];
	struct ctx *c = *state;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5001) };
	struct sl_link_stats a_tx, m_tx;
	size_t sent = 0, got = 0;
	int lfd, cfd, afd = -1, guard;
	ssize_t n;

	for (size_t i = 0; i < TOTAL; i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
	lfd = sl_socket_net(c->b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cfd = sl_socket_net(c->a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(lfd >= 0 && cfd >= 0);
	assert_int_equal(sl_bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(sl_listen(lfd, 4), 0);
	sa.sin_addr.s_addr = inet_addr("10.1.0.2");
	assert_int_equal(sl_connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	assert_int_equal(errno, EINPROGRESS);
	for (guard = 0; got < TOTAL && guard < 200000; guard++) {
		if (afd < 0)
			afd = sl_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (sent < TOTAL) {
			n = sl_send(cfd, out + sent, TOTAL - sent, 0);
			if (n > 0)
				sent += (size_t)n;
		}
		if (afd >= 0) {
			n = sl_recv(afd, in + got, TOTAL - got, 0);
			if (n > 0)
				got += (size_t)n;
		}
		if (sl_net_poll_all(c->clk) == 0)
			sl_clock_advance(c->clk, 1000000);
	}
	assert_int_equal(got, TOTAL);
	assert_memory_equal(in, out, TOTAL);
	/* a sent large segments; m sent the link's packets (< MTU each). */
	assert_int_equal(sl_link_stats(c->a, "wire0", &a_tx), 0);
	assert_int_equal(sl_link_stats(c->m, "wire1", &m_tx), 0);
	assert_true(a_tx.tx_packets < TOTAL / 1448 / 2);
	assert_true(m_tx.tx_packets >= TOTAL / 1448);
	assert_true(m_tx.tx_bytes / m_tx.tx_packets <= 1514);
	assert_int_equal(snmp(c->m, "IpOutDiscards"), 0);
	sl_close(afd);
	sl_close(cfd);
	sl_close(lfd);
	settle(c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_forwarded_with_ttl_decremented),
		T(test_ttl_expiry_sends_time_exceeded),
		T(test_df_too_big_gets_frag_needed),
		T(test_fragmented_to_next_hop_mtu),
		T(test_forwarding_off),
		T(test_no_route_on_router),
		cmocka_unit_test_setup_teardown(test_gso_segmented_for_plain_link,
						setup_gso, teardown_wires),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
