/*
 * ip_output.c: header building, IDs and TTLs, sending over the wire and
 * through loopback, fragmentation of large datagrams (reassembled by the
 * peer), DF handling, broadcast, and ip_queue_xmit for connected sockets.
 */
#include "ip_test_util.h"

#include "sl/inet_sock.h"

struct ctx {
	struct sl_pair p;
	struct net *a, *b;
};

static int setup(void **state)
{
	static struct ctx c;

	sl_pair_setup(&c.p, NULL);
	c.a = c.p.a;
	c.b = c.p.b;
	rec_register();
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	rec_unregister();
	sl_pair_teardown(&c->p);
	return 0;
}

static void test_build_header_fields(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4 = { .saddr = ipa("10.0.0.1"), .daddr = ipa("10.0.0.2") };
	struct sk_buff *skb = build_payload(c->a, 10);
	struct iphdr *iph;

	ip_build_header(c->a, skb, &fl4, TEST_PROTO, 0, 0x10, true);
	iph = ip_hdr(skb);
	assert_ptr_equal((u8 *)iph, skb->data);
	assert_int_equal(iph->version, 4);
	assert_int_equal(iph->ihl, 5);
	assert_int_equal(iph->tos, 0x10);
	assert_int_equal(ntohs(iph->tot_len), 30);
	assert_int_equal(iph->ttl, 64); /* net.ipv4.ip_default_ttl */
	assert_int_equal(iph->protocol, TEST_PROTO);
	assert_int_equal(ntohs(iph->frag_off), IP_DF);
	assert_int_equal(iph->id, 0); /* Linux: atomic datagram, no socket */
	assert_int_equal(iph->saddr, fl4.saddr);
	assert_int_equal(iph->daddr, fl4.daddr);
	assert_int_equal(ip_fast_csum(iph, 5), 0);
	consume_skb(skb);

	skb = build_payload(c->a, 10);
	ip_build_header(c->a, skb, &fl4, TEST_PROTO, 9, 0, false);
	assert_int_equal(ip_hdr(skb)->ttl, 9);
	assert_int_equal(ip_hdr(skb)->frag_off, 0);
	consume_skb(skb);
}

static void test_ident_per_destination(void **state)
{
	struct ctx *c = *state;
	u16 a1 = ntohs(ip_select_ident(c->a, ipa("10.0.0.2"), TEST_PROTO));
	u16 a2 = ntohs(ip_select_ident(c->a, ipa("10.0.0.2"), TEST_PROTO));
	u16 b1 = ntohs(ip_select_ident(c->a, ipa("10.0.0.3"), TEST_PROTO));
	u16 b2 = ntohs(ip_select_ident(c->a, ipa("10.0.0.3"), TEST_PROTO));

	assert_int_equal((u16)(a2 - a1), 1); /* successive, per destination */
	assert_int_equal((u16)(b2 - b1), 1);
	assert_int_not_equal((u16)(b1 - a2), 1); /* offsets differ */
}

static void test_ttl_selection(void **state)
{
	struct ctx *c = *state;
	struct inet_sock inet;

	assert_int_equal(ip_select_ttl(NULL, c->a), 64);
	assert_int_equal(sl_sysctl_set(c->a, "net.ipv4.ip_default_ttl", "33"), 0);
	assert_int_equal(ip_select_ttl(NULL, c->a), 33);
	memset(&inet, 0, sizeof(inet));
	inet.sk.sk_family = AF_INET;
	inet.uc_ttl = -1;
	assert_int_equal(ip_select_ttl(&inet.sk, c->a), 33);
	inet.uc_ttl = 7;
	assert_int_equal(ip_select_ttl(&inet.sk, c->a), 7);
}

static u32 expected_sum(unsigned int len)
{
	static u8 buf[70000];
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[i] = pat(i);
	return payload_sum(buf, len);
}

static void test_send_to_peer(void **state)
{
	struct ctx *c = *state;
	u64 out = snmp(c->a, "IpOutRequests");

	assert_int_equal(send_test_dgram(c->a, ipa("10.0.0.2"), 200, true, 0), 0);
	sl_pair_settle(&c->p); /* ARP, then the datagram */
	assert_int_equal(rec.n, 1);
	assert_ptr_equal(rec.net[0], c->b);
	assert_int_equal(rec.len[0], 200);
	assert_int_equal(rec.saddr[0], ipa("10.0.0.1"));
	assert_int_equal(rec.sum[0], expected_sum(200));
	assert_int_equal(rec.frag_off[0], IP_DF);
	assert_int_equal(snmp(c->a, "IpOutRequests"), out + 1);
}

static void test_large_datagram_fragmented_and_reassembled(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(send_test_dgram(c->a, ipa("10.0.0.2"), 4000, false, 0), 0);
	sl_pair_settle(&c->p);
	/* 1480 + 1480 + 1040 */
	assert_int_equal(snmp(c->a, "IpFragCreates"), 3);
	assert_int_equal(snmp(c->a, "IpFragOKs"), 1);
	assert_int_equal(snmp(c->b, "IpReasmReqds"), 3);
	assert_int_equal(snmp(c->b, "IpReasmOKs"), 1);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.len[0], 4000);
	assert_int_equal(rec.sum[0], expected_sum(4000));
	assert_int_equal(ip_frag_mem(c->b), 0);

	/* the largest IPv4 datagram */
	assert_int_equal(send_test_dgram(c->a, ipa("10.0.0.2"), 65515, false, 0), 0);
	sl_pair_settle(&c->p);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.len[1], 65515);
	assert_int_equal(rec.sum[1], expected_sum(65515));
}

static void test_df_too_big_is_emsgsize(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(send_test_dgram(c->a, ipa("10.0.0.2"), 1481, true, 0),
			 -EMSGSIZE);
	assert_int_equal(snmp(c->a, "IpFragFails"), 1);
	assert_int_equal(snmp(c->a, "IpOutDiscards"), 1);
	/* exactly the MTU passes */
	assert_int_equal(send_test_dgram(c->a, ipa("10.0.0.2"), 1480, true, 0), 0);
	sl_pair_settle(&c->p);
	assert_int_equal(rec.n, 1);
}

static void test_pmtu_applies_to_output(void **state)
{
	struct ctx *c = *state;

	ipv4_update_pmtu(c->a, ipa("10.0.0.2"), 1000);
	/* connected route: no exception for on-link, Linux behaves the same
	 * only through a gateway; try a gatewayed destination */
	assert_int_equal(fib_route_add(c->a, ipa("90.0.0.0"), 8, ipa("10.0.0.2"),
				       0, RTN_UNICAST, 0, 0, 0), 0);
	ipv4_update_pmtu(c->a, ipa("90.0.0.1"), 1000);
	assert_int_equal(send_test_dgram(c->a, ipa("90.0.0.1"), 1200, true, 0),
			 -EMSGSIZE);
	assert_int_equal(send_test_dgram(c->a, ipa("90.0.0.1"), 1200, false, 0), 0);
	assert_int_equal(snmp(c->a, "IpFragCreates"), 2);
}

static void test_loopback_local_delivery(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(send_test_dgram(c->a, ipa("10.0.0.1"), 300, false, 0), 0);
	assert_int_equal(send_test_dgram(c->a, ipa("127.0.0.1"), 20000, false, 0), 0);
	sl_pair_settle(&c->p);
	assert_int_equal(rec.n, 2);
	assert_ptr_equal(rec.net[0], c->a);
	assert_ptr_equal(rec.net[1], c->a);
	assert_int_equal(rec.len[1], 20000);   /* lo's MTU is 64 KiB: whole */
	assert_int_equal(snmp(c->a, "IpFragCreates"), 0);
}

static void test_broadcast_reaches_peer_and_self(void **state)
{
	struct ctx *c = *state;
	int i, to_b = 0, to_a = 0;

	assert_int_equal(send_test_dgram(c->a, ipa("10.0.0.255"), 50, false, 0), 0);
	assert_int_equal(send_test_dgram(c->a, ipa("255.255.255.255"), 60, false, 0), 0);
	sl_pair_settle(&c->p);
	/* the peer gets both without ARP; as Linux, the sender loops a copy
	 * of each to itself */
	assert_int_equal(rec.n, 4);
	for (i = 0; i < rec.n; i++) {
		to_b += rec.net[i] == c->b;
		to_a += rec.net[i] == c->a;
		assert_int_equal(rec.saddr[i], ipa("10.0.0.1"));
	}
	assert_int_equal(to_a, 2);
	assert_int_equal(to_b, 2);
}

static void test_queue_xmit_connected_socket(void **state)
{
	struct ctx *c = *state;
	struct inet_sock inet;
	struct sk_buff *skb;

	memset(&inet, 0, sizeof(inet));
	inet.sk.sk_net = c->a;
	inet.sk.sk_family = AF_INET;
	inet.sk.sk_protocol = TEST_PROTO;
	inet.inet_daddr = ipa("10.0.0.2");
	inet.inet_saddr = ipa("10.0.0.1");
	inet.uc_ttl = -1;
	inet.pmtudisc = IP_PMTUDISC_WANT;
	inet.tos = 0x08;
	inet.inet_id = 100;

	skb = build_payload(c->a, 64);
	assert_int_equal(ip_queue_xmit(&inet.sk, skb, NULL), 0);
	assert_non_null(inet.sk.sk_dst_cache); /* the route is cached */
	skb = build_payload(c->a, 64);
	assert_int_equal(ip_queue_xmit(&inet.sk, skb, NULL), 0);
	sl_pair_settle(&c->p);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.ttl[0], 64);
	assert_int_equal(rec.tos[0], 0x08);
	assert_int_equal(rec.frag_off[0], IP_DF); /* IP_PMTUDISC_WANT */
	assert_int_equal(inet.inet_id, 102);

	/* no route: -EHOSTUNREACH, OutNoRoutes */
	sk_dst_reset(&inet.sk);
	inet.inet_daddr = ipa("203.0.113.1");
	skb = build_payload(c->a, 64);
	assert_int_equal(ip_queue_xmit(&inet.sk, skb, NULL), -EHOSTUNREACH);
	assert_int_equal(snmp(c->a, "IpOutNoRoutes"), 1);
	sk_dst_reset(&inet.sk);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_build_header_fields),
		T(test_ident_per_destination),
		T(test_ttl_selection),
		T(test_send_to_peer),
		T(test_large_datagram_fragmented_and_reassembled),
		T(test_df_too_big_is_emsgsize),
		T(test_pmtu_applies_to_output),
		T(test_loopback_local_delivery),
		T(test_broadcast_reaches_peer_and_self),
		T(test_queue_xmit_connected_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
