/*
 * src/net/arp.c: answering requests, learning senders (RFC 826 merge),
 * gratuitous ARP, validation of malformed packets.
 * a = 10.0.0.1 and b = 10.0.0.2 on wire0; a's raw ARP frames go to b.
 */
#include <arpa/inet.h>

#include "net_test_util.h"

#include "sl/neighbour.h"

struct env {
	struct sl_pair p;
	struct net_device *deva, *devb;
};

static int setup(void **state)
{
	static struct env e;

	sl_pair_setup(&e.p, NULL);
	e.deva = dev_get_by_name(e.p.a, "wire0");
	e.devb = dev_get_by_name(e.p.b, "wire0");
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sl_pair_teardown(&e->p);
	return 0;
}

static __be32 ip4(const char *s)
{
	__be32 a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct neighbour *entry(struct net *net, struct net_device *dev,
			       const char *ip)
{
	__be32 key = ip4(ip);

	return neigh_lookup(net->ipv4.arp_tbl, &key, dev);
}

static u8 state_of(struct net *net, struct net_device *dev, const char *ip)
{
	struct neighbour *n = entry(net, dev, ip);
	u8 s;

	if (!n)
		return NUD_NONE;
	s = n->nud_state;
	neigh_release(n);
	return s;
}

/* A raw ARP frame from a to b's MAC (or broadcast), @len bytes of ARP. */
static void send_raw_arp(struct env *e, const struct arphdr *arp,
			 unsigned int len, bool bcast)
{
	struct sk_buff *skb = alloc_skb(e->p.a, 128);

	memcpy(skb_put(skb, len), arp, len);
	eth_header(skb, e->deva, ETH_P_ARP, bcast ? NULL : e->devb->dev_addr,
		   NULL, len);
	if (bcast)
		memset(skb->data, 0xff, ETH_ALEN);
	skb->dev = e->deva;
	dev_queue_xmit(skb);
	sl_pair_settle(&e->p);
}

static void good_request(struct env *e, struct arphdr *arp, const char *sip,
			 const char *tip)
{
	memset(arp, 0, sizeof(*arp));
	arp->ar_hrd = htons(ARPHRD_ETHER);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = 4;
	arp->ar_op = htons(ARPOP_REQUEST);
	memcpy(arp->ar_sha, e->deva->dev_addr, ETH_ALEN);
	arp->ar_sip = ip4(sip);
	arp->ar_tip = ip4(tip);
}

static u64 tx_of(struct net_device *dev)
{
	return dev->stats.tx_packets;
}

static void test_request_for_local_address_answered(void **state)
{
	struct env *e = *state;
	u64 tx0 = tx_of(e->devb);
	struct neighbour *n;

	assert_int_equal(state_of(e->p.b, e->devb, "10.0.0.1"), NUD_NONE);
	arp_send(ARPOP_REQUEST, ETH_P_ARP, ip4("10.0.0.2"), e->deva,
		 ip4("10.0.0.1"), NULL, NULL, NULL);
	sl_pair_settle(&e->p);
	/* One reply; the requester is learned (target was us), STALE. */
	assert_int_equal(tx_of(e->devb), tx0 + 1);
	n = entry(e->p.b, e->devb, "10.0.0.1");
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_STALE);
	assert_memory_equal(n->ha, e->deva->dev_addr, ETH_ALEN);
	neigh_release(n);
	/* The reply reached a, which had no entry and creates none (Linux:
	 * arp_accept = 0). */
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_NONE);
}

static void test_request_for_other_address_ignored(void **state)
{
	struct env *e = *state;
	u64 tx0 = tx_of(e->devb);

	arp_send(ARPOP_REQUEST, ETH_P_ARP, ip4("10.0.0.77"), e->deva,
		 ip4("10.0.0.1"), NULL, NULL, NULL);
	sl_pair_settle(&e->p);
	assert_int_equal(tx_of(e->devb), tx0);
	/* Not for us and no entry: nothing learned (RFC 826 merge flag). */
	assert_int_equal(state_of(e->p.b, e->devb, "10.0.0.1"), NUD_NONE);
}

static void test_gratuitous_arp_updates_existing_entry(void **state)
{
	struct env *e = *state;
	u8 newmac[ETH_ALEN] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	struct neighbour *n;

	arp_send(ARPOP_REQUEST, ETH_P_ARP, ip4("10.0.0.2"), e->deva,
		 ip4("10.0.0.1"), NULL, NULL, NULL);
	sl_pair_settle(&e->p);
	n = entry(e->p.b, e->devb, "10.0.0.1");
	assert_non_null(n);
	/* Within locktime, but gratuitous: the new address wins. */
	memcpy(e->deva->dev_addr, newmac, ETH_ALEN);
	arp_announce(e->deva, ip4("10.0.0.1"));
	sl_pair_settle(&e->p);
	assert_memory_equal(n->ha, newmac, ETH_ALEN);
	assert_int_equal(n->nud_state, NUD_STALE);
	neigh_release(n);
	/* Gratuitous ARP for an unknown address creates nothing. */
	arp_announce(e->deva, ip4("10.0.0.44"));
	sl_pair_settle(&e->p);
	assert_int_equal(state_of(e->p.b, e->devb, "10.0.0.44"), NUD_NONE);
}

static void test_address_add_announces(void **state)
{
	struct env *e = *state;
	u8 newmac[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct neighbour *n;

	arp_send(ARPOP_REQUEST, ETH_P_ARP, ip4("10.0.0.2"), e->deva,
		 ip4("10.0.0.1"), NULL, NULL, NULL);
	sl_pair_settle(&e->p);
	n = entry(e->p.b, e->devb, "10.0.0.1");
	assert_non_null(n);
	memcpy(e->deva->dev_addr, newmac, ETH_ALEN);
	assert_int_equal(sl_addr_del(e->p.a, "wire0", "10.0.0.1/24"), 0);
	assert_int_equal(sl_addr_add(e->p.a, "wire0", "10.0.0.1/24"), 0);
	sl_pair_settle(&e->p);
	assert_memory_equal(n->ha, newmac, ETH_ALEN);
	neigh_release(n);
}

static void test_reply_confirms_incomplete_entry(void **state)
{
	struct env *e = *state;
	struct neighbour *n = ipv4_neigh_lookup(e->deva, ip4("10.0.0.2"));

	/* INCOMPLETE without traffic: make it so by hand. */
	assert_int_equal(neigh_update(n, NULL, NUD_INCOMPLETE, NEIGH_UPDATE_F_ADMIN), 0);
	/* A unicast reply from b to a: REACHABLE (confirmed). */
	arp_send(ARPOP_REPLY, ETH_P_ARP, ip4("10.0.0.1"), e->devb,
		 ip4("10.0.0.2"), e->deva->dev_addr, NULL, e->deva->dev_addr);
	sl_pair_settle(&e->p);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	assert_memory_equal(n->ha, e->devb->dev_addr, ETH_ALEN);
	neigh_release(n);
}

static void test_malformed_dropped_and_counted(void **state)
{
	struct env *e = *state;
	u64 inv0 = e->p.b->drops[SKB_DROP_REASON_ARP_INVALID];
	u64 tx0 = tx_of(e->devb);
	struct arphdr arp;

	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	arp.ar_hrd = htons(6);            /* IEEE 802 */
	send_raw_arp(e, &arp, sizeof(arp), false);
	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	arp.ar_pro = htons(ETH_P_IPV6);
	send_raw_arp(e, &arp, sizeof(arp), false);
	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	arp.ar_hln = 8;
	send_raw_arp(e, &arp, sizeof(arp), false);
	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	arp.ar_pln = 16;
	send_raw_arp(e, &arp, sizeof(arp), false);
	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	arp.ar_op = htons(3);             /* RARP request */
	send_raw_arp(e, &arp, sizeof(arp), false);
	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	send_raw_arp(e, &arp, 20, false); /* truncated */

	assert_int_equal(e->p.b->drops[SKB_DROP_REASON_ARP_INVALID], inv0 + 6);
	assert_int_equal(tx_of(e->devb), tx0);
	assert_int_equal(state_of(e->p.b, e->devb, "10.0.0.1"), NUD_NONE);

	/* The same request, well formed, is answered. */
	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	send_raw_arp(e, &arp, sizeof(arp), false);
	assert_int_equal(tx_of(e->devb), tx0 + 1);
}

static void test_own_and_multicast_senders_ignored(void **state)
{
	struct env *e = *state;
	u64 tx0 = tx_of(e->devb);
	struct arphdr arp;

	/* b's own MAC as sender (a loop, or a spoof). */
	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	memcpy(arp.ar_sha, e->devb->dev_addr, ETH_ALEN);
	send_raw_arp(e, &arp, sizeof(arp), true);
	/* A multicast sender hardware address. */
	good_request(e, &arp, "10.0.0.1", "10.0.0.2");
	arp.ar_sha[0] |= 1;
	send_raw_arp(e, &arp, sizeof(arp), true);
	/* Multicast and loopback targets are bogus. */
	good_request(e, &arp, "10.0.0.1", "224.0.0.1");
	send_raw_arp(e, &arp, sizeof(arp), true);
	good_request(e, &arp, "10.0.0.1", "127.0.0.1");
	send_raw_arp(e, &arp, sizeof(arp), true);

	assert_int_equal(tx_of(e->devb), tx0);
	assert_int_equal(state_of(e->p.b, e->devb, "10.0.0.1"), NUD_NONE);
}

static void test_duplicate_address_probe_answered(void **state)
{
	struct env *e = *state;
	u64 tx0 = tx_of(e->devb);
	struct arphdr arp;

	/* RFC 5227 probe: sender IP 0.0.0.0. Answered, nobody learned. */
	good_request(e, &arp, "0.0.0.0", "10.0.0.2");
	send_raw_arp(e, &arp, sizeof(arp), true);
	assert_int_equal(tx_of(e->devb), tx0 + 1);
	assert_int_equal(state_of(e->p.b, e->devb, "0.0.0.0"), NUD_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_for_local_address_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_for_other_address_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gratuitous_arp_updates_existing_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_add_announces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_confirms_incomplete_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_dropped_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_and_multicast_senders_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_address_probe_answered, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
