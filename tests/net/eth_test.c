/*
 * src/net/eth.c: classification of received frames, header building,
 * Ethernet defaults and random MACs.
 */
#include "net_test_util.h"

struct env {
	sl_clock_t *clk;
	struct net *net;
	struct net_device *dev;
};

static int setup(void **state)
{
	static struct env e;

	e.clk = sl_clock_new(true);
	e.net = test_net_create(e.clk, "eth", 5);
	e.dev = fake_dev_add(e.net, "eth%d");
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sl_net_destroy(e->net);
	sl_clock_free(e->clk);
	sl_assert_no_leaks();
	return 0;
}

static u8 classify(struct net_device *dev, const u8 *dst, u16 *proto)
{
	struct sk_buff *skb = test_frame(dev, dst, ETH_P_IP, 20, 0);
	unsigned int len = skb->len;
	u8 type;

	*proto = ntohs(eth_type_trans(skb, dev));
	assert_int_equal(skb->len, len - ETH_HLEN);
	assert_int_equal(skb->mac_len, ETH_HLEN);
	assert_ptr_equal(eth_hdr(skb), skb->data - ETH_HLEN);
	type = skb->pkt_type;
	consume_skb(skb);
	return type;
}

static void test_pkt_type(void **state)
{
	struct env *e = *state;
	const u8 mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	u8 other[ETH_ALEN];
	u16 proto;

	memcpy(other, e->dev->dev_addr, ETH_ALEN);
	other[5] ^= 1;
	assert_int_equal(classify(e->dev, e->dev->dev_addr, &proto), PACKET_HOST);
	assert_int_equal(proto, ETH_P_IP);
	assert_int_equal(classify(e->dev, NULL, &proto), PACKET_BROADCAST);
	assert_int_equal(classify(e->dev, mcast, &proto), PACKET_MULTICAST);
	assert_int_equal(classify(e->dev, other, &proto), PACKET_OTHERHOST);
}

static void test_eth_header(void **state)
{
	struct env *e = *state;
	struct sk_buff *skb = alloc_skb(e->net, 64);
	const u8 dst[ETH_ALEN] = { 2, 1, 2, 3, 4, 5 };
	struct ethhdr *eth;

	skb_put(skb, 10);
	assert_int_equal(eth_header(skb, e->dev, ETH_P_ARP, dst, NULL, 10), ETH_HLEN);
	eth = (struct ethhdr *)skb->data;
	assert_memory_equal(eth->h_dest, dst, ETH_ALEN);
	assert_memory_equal(eth->h_source, e->dev->dev_addr, ETH_ALEN);
	assert_int_equal(ntohs(eth->h_proto), ETH_P_ARP);
	assert_int_equal(skb->len, 24);
	/* No destination yet: header pushed, length returned negative. */
	assert_int_equal(eth_header(skb, e->dev, ETH_P_IP, NULL, NULL, 24), -ETH_HLEN);
	/* Loopback: zero destination regardless. */
	assert_int_equal(eth_header(skb, e->net->loopback_dev, ETH_P_IP, dst, NULL, 38),
			 ETH_HLEN);
	eth = (struct ethhdr *)skb->data;
	assert_true(is_zero_ether_addr(eth->h_dest));
	consume_skb(skb);
}

static void test_ether_setup_defaults(void **state)
{
	struct env *e = *state;
	struct net_device *dev = e->dev;

	assert_int_equal(dev->mtu, 1500);
	assert_int_equal(dev->min_mtu, 68);
	assert_int_equal(dev->max_mtu, 65535);
	assert_int_equal(dev->hard_header_len, ETH_HLEN);
	assert_int_equal(dev->addr_len, ETH_ALEN);
	assert_int_equal(dev->tx_queue_len, 1000);
	assert_int_equal(dev->qdisc->limit, 1000);
	assert_int_equal(dev->type, ARPHRD_ETHER);
	assert_true(is_broadcast_ether_addr(dev->broadcast));
	assert_true(dev->flags & IFF_BROADCAST);
	assert_true(dev->flags & IFF_MULTICAST);
}

static void test_random_addr(void **state)
{
	u8 a[ETH_ALEN], b[ETH_ALEN], c[ETH_ALEN];
	u64 s1 = 1234, s2 = 1234;
	int i;

	eth_random_addr(a, &s1);
	eth_random_addr(b, &s2);
	assert_memory_equal(a, b, ETH_ALEN); /* same seed, same MAC */
	eth_random_addr(c, &s1);
	assert_memory_not_equal(a, c, ETH_ALEN);
	for (i = 0; i < 100; i++) {
		eth_random_addr(a, &s1);
		assert_true(is_valid_ether_addr(a));
		assert_true(a[0] & 0x02); /* locally administered */
	}
}

static void test_short_frame_counted(void **state)
{
	struct env *e = *state;
	struct sk_buff *skb = alloc_skb(e->net, 64);
	u64 before = e->net->drops[SKB_DROP_REASON_PKT_TOO_SMALL];

	memset(skb_put(skb, ETH_HLEN - 1), 0xff, ETH_HLEN - 1);
	skb->dev = e->dev;
	assert_int_equal(netif_receive_skb(skb), NET_RX_DROP);
	assert_int_equal(e->dev->stats.rx_length_errors, 1);
	assert_int_equal(e->net->drops[SKB_DROP_REASON_PKT_TOO_SMALL], before + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pkt_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eth_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ether_setup_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_addr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_frame_counted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
