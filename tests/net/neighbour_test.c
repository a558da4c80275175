/*
 * src/net/neighbour.c: the NUD state machine on a virtual clock, driven by
 * real traffic between two stacks (a = 10.0.0.1, b = 10.0.0.2 on wire0).
 */
#include <arpa/inet.h>
#include <errno.h>

#include "net_test_util.h"

#include "sl/ip.h"
#include "sl/neighbour.h"

#define NSEC NSEC_PER_SEC

struct env {
	struct sl_pair p;
	struct net_device *deva, *devb;
	int fa, fb;
};

static int setup(void **state)
{
	static struct env e;
	struct sockaddr_in sin;

	sl_pair_setup(&e.p, NULL);
	e.deva = dev_get_by_name(e.p.a, "wire0");
	e.devb = dev_get_by_name(e.p.b, "wire0");
	e.fa = sl_socket_net(e.p.a, AF_INET, SOCK_DGRAM, 0);
	e.fb = sl_socket_net(e.p.b, AF_INET, SOCK_DGRAM, 0);
	sin = sl_sin("10.0.0.2", 7000);
	assert_int_equal(sl_bind(e.fb, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*state = &e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	sl_close(e->fa);
	sl_close(e->fb);
	sl_pair_teardown(&e->p);
	return 0;
}

static void send_to(struct env *e, const char *ip, const char *msg)
{
	struct sockaddr_in sin = sl_sin(ip, 7000);

	assert_int_equal(sl_sendto(e->fa, msg, strlen(msg), 0,
				   (struct sockaddr *)&sin, sizeof(sin)),
			 (ssize_t)strlen(msg));
}

static __be32 ip4(const char *s)
{
	__be32 a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* State of @net's entry for @ip on @dev, NUD_NONE when there is none. */
static u8 state_of(struct net *net, struct net_device *dev, const char *ip)
{
	__be32 key = ip4(ip);
	struct neighbour *n = neigh_lookup(net->ipv4.arp_tbl, &key, dev);
	u8 s;

	if (!n)
		return NUD_NONE;
	s = n->nud_state;
	neigh_release(n);
	return s;
}

static int drain(struct env *e)
{
	char buf[64];
	int n = 0;

	while (sl_recv(e->fb, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		n++;
	return n;
}

/* ARP requests for @tip seen arriving at b, with their times. */
struct arp_seen {
	struct packet_type pt;
	__be32 tip;
	int n, unicast;
	u64 t[16];
};

static int arp_tap(struct sk_buff *skb, struct net_device *dev,
		   struct packet_type *pt, struct net_device *orig)
{
	struct arp_seen *s = container_of(pt, struct arp_seen, pt);
	const struct ethhdr *eth = (const struct ethhdr *)skb->data;
	const struct arphdr *arp = (const struct arphdr *)(skb->data + ETH_HLEN);

	if (skb->len >= ETH_HLEN + sizeof(*arp) &&
	    eth->h_proto == htons(ETH_P_ARP) &&
	    arp->ar_op == htons(ARPOP_REQUEST) && arp->ar_tip == s->tip &&
	    s->n < 16) {
		s->t[s->n++] = net_now(dev_net(dev));
		if (!is_multicast_ether_addr(eth->h_dest))
			s->unicast++;
	}
	consume_skb(skb);
	return 0;
}

static void arp_seen_start(struct arp_seen *s, struct net_device *dev,
			   const char *tip)
{
	memset(s, 0, sizeof(*s));
	s->tip = ip4(tip);
	s->pt.type = htons(ETH_P_ALL);
	s->pt.dev = dev;
	s->pt.func = arp_tap;
	dev_add_pack(&s->pt);
}

static void test_incomplete_then_reachable_on_reply(void **state)
{
	struct env *e = *state;
	__be32 key = ip4("10.0.0.2");
	struct neighbour *n;

	send_to(e, "10.0.0.2", "hello");
	n = neigh_lookup(e->p.a->ipv4.arp_tbl, &key, e->deva);
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_INCOMPLETE);
	assert_int_equal(skb_queue_len(&n->arp_queue), 1);
	sl_pair_settle(&e->p);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	assert_memory_equal(n->ha, e->devb->dev_addr, ETH_ALEN);
	assert_int_equal(skb_queue_len(&n->arp_queue), 0);
	assert_int_equal(n->arp_queue_len_bytes, 0);
	neigh_release(n);
	/* The queued datagram left once resolved. */
	assert_int_equal(drain(e), 1);
	/* b learned a from the request for its own address (RFC 826). */
	assert_int_equal(state_of(e->p.b, e->devb, "10.0.0.1"), NUD_STALE);
	/* Connected now: the next datagram goes at once, no new ARP. */
	send_to(e, "10.0.0.2", "again");
	sl_pair_settle(&e->p);
	assert_int_equal(drain(e), 1);
}

static void test_unresolved_queue_drops_oldest(void **state)
{
	struct env *e = *state;
	__be32 key = ip4("10.0.0.9");
	struct neighbour *n;
	unsigned int one;
	u64 full0 = e->p.a->drops[SKB_DROP_REASON_NEIGH_QUEUEFULL];
	char msg[2] = "0";
	struct sk_buff *skb;

	send_to(e, "10.0.0.9", msg);
	n = neigh_lookup(e->p.a->ipv4.arp_tbl, &key, e->deva);
	assert_non_null(n);
	one = n->arp_queue_len_bytes;
	assert_true(one > 0);
	e->p.a->ipv4.arp_parms.unres_qlen_bytes = (int)(3 * one);
	for (msg[0] = '1'; msg[0] <= '4'; msg[0]++)
		send_to(e, "10.0.0.9", msg);
	assert_int_equal(skb_queue_len(&n->arp_queue), 3);
	assert_int_equal(n->arp_queue_len_bytes, 3 * one);
	assert_int_equal(e->p.a->drops[SKB_DROP_REASON_NEIGH_QUEUEFULL], full0 + 2);
	/* Linux drops the oldest: "2", "3", "4" are left. */
	skb = skb_peek(&n->arp_queue);
	assert_int_equal(skb_network_header(skb)[28], '2');
	neigh_release(n);
	e->p.a->ipv4.arp_parms.unres_qlen_bytes = 212992;
}

static void test_failed_after_three_broadcast_probes(void **state)
{
	struct env *e = *state;
	struct arp_seen seen;
	u64 t0, unreach0 = 0, unreach1 = 0;
	u64 failed0 = e->p.a->drops[SKB_DROP_REASON_NEIGH_FAILED];

	arp_seen_start(&seen, e->devb, "10.0.0.9");
	sl_snmp_get(e->p.a, "IcmpOutDestUnreachs", &unreach0);
	t0 = sl_clock_now_ns(e->p.clk);
	send_to(e, "10.0.0.9", "lost");
	sl_pair_run(&e->p, 2500 * NSEC_PER_MSEC);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.9"), NUD_INCOMPLETE);
	sl_pair_run(&e->p, 600 * NSEC_PER_MSEC);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.9"), NUD_FAILED);

	/* mcast_probes = 3 broadcasts, retrans_time = 1 s apart. */
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.unicast, 0);
	assert_int_equal(seen.t[0] - t0, 0);
	assert_int_equal(seen.t[1] - t0, NSEC);
	assert_int_equal(seen.t[2] - t0, 2 * NSEC);
	/* The waiting datagram: ICMP host unreachable to its sender, dropped. */
	assert_int_equal(e->p.a->drops[SKB_DROP_REASON_NEIGH_FAILED], failed0 + 1);
	sl_snmp_get(e->p.a, "IcmpOutDestUnreachs", &unreach1);
	assert_int_equal(unreach1, unreach0 + 1);
	dev_remove_pack(&seen.pt);

	/* A new packet restarts resolution from FAILED. */
	send_to(e, "10.0.0.9", "retry");
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.9"), NUD_INCOMPLETE);
}

static void resolve_b(struct env *e)
{
	send_to(e, "10.0.0.2", "x");
	sl_pair_settle(&e->p);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_REACHABLE);
	drain(e);
}

static void test_reachable_goes_stale(void **state)
{
	struct env *e = *state;
	__be32 key = ip4("10.0.0.2");
	struct neighbour *n;

	resolve_b(e);
	n = neigh_lookup(e->p.a->ipv4.arp_tbl, &key, e->deva);
	/* Still reachable within base_reachable_time / 2 = 15 s. */
	sl_pair_run(&e->p, 14 * NSEC);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	/* Random reachable time < 1.5 * 30 s: stale afterwards. */
	sl_pair_run(&e->p, 32 * NSEC);
	assert_int_equal(n->nud_state, NUD_STALE);
	assert_memory_equal(n->ha, e->devb->dev_addr, ETH_ALEN);
	neigh_release(n);
}

static void go_stale(struct env *e)
{
	resolve_b(e);
	sl_pair_run(&e->p, 46 * NSEC);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_STALE);
}

static void test_stale_delay_probe_reachable(void **state)
{
	struct env *e = *state;
	struct arp_seen seen;

	go_stale(e);
	arp_seen_start(&seen, e->devb, "10.0.0.2");
	/* Use of a stale entry: sent at once with the old address, DELAY. */
	send_to(e, "10.0.0.2", "stale");
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_DELAY);
	sl_pair_settle(&e->p);
	assert_int_equal(drain(e), 1);
	sl_pair_run(&e->p, 4 * NSEC);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_DELAY);
	assert_int_equal(seen.n, 0);
	/* delay_probe_time (5 s) without confirmation: PROBE, unicast probe,
	 * b answers, REACHABLE again. */
	sl_pair_run(&e->p, 1500 * NSEC_PER_MSEC);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.unicast, 1);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_REACHABLE);
	dev_remove_pack(&seen.pt);
}

/*
 * Regression: an entry learned right after the virtual clock starts has
 * "confirmed = now - 2 * base_reachable_time" below zero; the wrap must not
 * make it look freshly confirmed (DELAY has to probe).
 */
static void test_learned_entry_probed_near_clock_start(void **state)
{
	struct env *e = *state;
	struct arp_seen seen;
	struct neighbour *n;
	struct sk_buff *skb;
	__be32 key = ip4("10.0.0.1");

	send_to(e, "10.0.0.2", "learn me");
	sl_pair_settle(&e->p);
	assert_true(sl_clock_now_ns(e->p.clk) < NSEC);
	n = neigh_lookup(e->p.b->ipv4.arp_tbl, &key, e->devb);
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_STALE);
	arp_seen_start(&seen, e->deva, "10.0.0.1");
	skb = alloc_skb(e->p.b, 128);
	memset(skb_put(skb, 20), 0, 20);
	skb_reset_network_header(skb);
	skb->protocol = htons(ETH_P_TEST);
	neigh_output(n, skb);
	assert_int_equal(n->nud_state, NUD_DELAY);
	sl_pair_run(&e->p, 5500 * NSEC_PER_MSEC);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.unicast, 1);
	assert_int_equal(n->nud_state, NUD_REACHABLE);
	neigh_release(n);
	dev_remove_pack(&seen.pt);
	drain(e);
}

static void test_probe_fails_without_answers(void **state)
{
	struct env *e = *state;
	struct sl_wire_impair lossy = { .loss = 1.0 };
	struct arp_seen seen;

	go_stale(e);
	assert_int_equal(sl_wire_set_impair(e->p.b, "wire0", &lossy), 0);
	arp_seen_start(&seen, e->devb, "10.0.0.2");
	send_to(e, "10.0.0.2", "stale");
	sl_pair_run(&e->p, 5500 * NSEC_PER_MSEC);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_PROBE);
	sl_pair_run(&e->p, 2 * NSEC);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_PROBE);
	sl_pair_run(&e->p, NSEC);
	/* ucast_probes = 3 unicast probes, then FAILED. */
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_FAILED);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.unicast, 3);
	dev_remove_pack(&seen.pt);
	memset(&lossy, 0, sizeof(lossy));
	sl_wire_set_impair(e->p.b, "wire0", &lossy);
}

static void test_gc_removes_unused_entries(void **state)
{
	struct env *e = *state;

	e->p.a->ipv4.arp_parms.gc_thresh1 = 0;
	go_stale(e);
	/* Unused for gc_stale_time (60 s): collected by the periodic GC. */
	sl_pair_run(&e->p, 80 * NSEC);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_NONE);
	e->p.a->ipv4.arp_parms.gc_thresh1 = 128;
}

static void test_below_gc_thresh1_entries_stay(void **state)
{
	struct env *e = *state;

	go_stale(e);
	sl_pair_run(&e->p, 80 * NSEC);
	/* Linux does not collect at all below gc_thresh1 (128) entries. */
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_STALE);
}

static void test_device_down_flushes_entries(void **state)
{
	struct env *e = *state;
	__be32 key = ip4("10.0.0.9");
	struct neighbour *n;
	u64 dead0 = e->p.a->drops[SKB_DROP_REASON_NEIGH_DEAD];

	resolve_b(e);
	send_to(e, "10.0.0.9", "queued");
	n = neigh_lookup(e->p.a->ipv4.arp_tbl, &key, e->deva);
	assert_non_null(n);
	assert_int_equal(sl_link_set_up(e->p.a, "wire0", false), 0);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.2"), NUD_NONE);
	assert_int_equal(state_of(e->p.a, e->deva, "10.0.0.9"), NUD_NONE);
	/* A holder keeps a dead entry that drops what it is given. */
	assert_true(n->dead);
	assert_int_equal(e->p.a->drops[SKB_DROP_REASON_NEIGH_DEAD], dead0 + 1);
	neigh_release(n);
	assert_int_equal(sl_link_set_up(e->p.a, "wire0", true), 0);
}

static void test_noarp_and_broadcast_entries(void **state)
{
	struct env *e = *state;
	struct neighbour *n;
	u8 mc[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };

	n = ipv4_neigh_lookup(e->p.a->loopback_dev, ip4("127.0.0.1"));
	assert_non_null(n);
	assert_int_equal(n->nud_state, NUD_NOARP);
	neigh_release(n);
	n = ipv4_neigh_lookup(e->deva, ip4("255.255.255.255"));
	assert_int_equal(n->nud_state, NUD_NOARP);
	assert_true(is_broadcast_ether_addr(n->ha));
	neigh_release(n);
	n = ipv4_neigh_lookup(e->deva, ip4("224.129.2.3"));
	assert_int_equal(n->nud_state, NUD_NOARP);
	assert_memory_equal(n->ha, mc, ETH_ALEN);
	/* NOARP entries do not change without the admin flag. */
	assert_int_equal(neigh_update(n, e->devb->dev_addr, NUD_REACHABLE, 0), -EPERM);
	neigh_release(n);
	assert_string_equal(neigh_state_name(NUD_STALE), "STALE");
}

static void test_weak_override_and_locktime(void **state)
{
	struct env *e = *state;
	__be32 key = ip4("10.0.0.2");
	u8 other[ETH_ALEN] = { 0x02, 9, 9, 9, 9, 9 };
	struct neighbour *n;

	resolve_b(e);
	n = neigh_lookup(e->p.a->ipv4.arp_tbl, &key, e->deva);
	/* Without override a different address is ignored. */
	assert_int_equal(neigh_update(n, other, NUD_REACHABLE, 0), 0);
	assert_memory_equal(n->ha, e->devb->dev_addr, ETH_ALEN);
	/* Weak override on a connected entry: keep address, become STALE. */
	assert_int_equal(neigh_update(n, other, NUD_REACHABLE,
				      NEIGH_UPDATE_F_WEAK_OVERRIDE), 0);
	assert_memory_equal(n->ha, e->devb->dev_addr, ETH_ALEN);
	assert_int_equal(n->nud_state, NUD_STALE);
	/* Override: take the new address. */
	assert_int_equal(neigh_update(n, other, NUD_STALE, NEIGH_UPDATE_F_OVERRIDE), 0);
	assert_memory_equal(n->ha, other, ETH_ALEN);
	neigh_release(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_incomplete_then_reachable_on_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unresolved_queue_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_after_three_broadcast_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reachable_goes_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_delay_probe_reachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learned_entry_probed_near_clock_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_fails_without_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_removes_unused_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_below_gc_thresh1_entries_stay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_down_flushes_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noarp_and_broadcast_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weak_override_and_locktime, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
