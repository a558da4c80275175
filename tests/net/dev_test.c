/*
 * src/net/dev.c: device registration, configuration events, the transmit
 * path through the qdisc, taps, the receive dispatcher and the backlog;
 * a busy poller's NAPI poll and its budget.
 */
#include <errno.h>

#include "net_test_util.h"

struct env {
	sl_clock_t *clk;
	struct net *net;
};

static int setup(void **state)
{
	static struct env e;

	e.clk = sl_clock_new(true);
	e.net = test_net_create(e.clk, "dev", 11);
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

/* --- notifier that records events -------------------------------------- */

static unsigned long events[64];
static int nevents;

static int record_event(struct notifier_block *nb, unsigned long event,
			void *ptr)
{
	if (nevents < 64)
		events[nevents++] = event;
	return 0;
}

static struct notifier_block rec_nb = { .notifier_call = record_event,
					.priority = -100 };

static void test_register_names_and_ifindex(void **state)
{
	struct env *e = *state;
	struct net_device *d0, *d1, *d2, *dup, *again;
	int lo_index = e->net->loopback_dev->ifindex;

	d0 = fake_dev_add(e->net, "fake%d");
	d1 = fake_dev_add(e->net, "fake%d");
	d2 = fake_dev_add(e->net, "fake%d");
	assert_string_equal(d0->name, "fake0");
	assert_string_equal(d1->name, "fake1");
	assert_string_equal(d2->name, "fake2");
	assert_true(d0->ifindex > lo_index);
	assert_int_equal(d1->ifindex, d0->ifindex + 1);
	assert_ptr_equal(dev_get_by_name(e->net, "fake1"), d1);
	assert_ptr_equal(dev_get_by_index(e->net, d2->ifindex), d2);

	/* An explicit name that exists: -EEXIST, as Linux. */
	dup = alloc_netdev(e->net, sizeof(struct fake_priv), "fake1", fake_setup);
	assert_int_equal(register_netdevice(dup), -EEXIST);
	free_netdev(dup);
	/* Names with '/' are invalid. */
	dup = alloc_netdev(e->net, sizeof(struct fake_priv), "a/b", fake_setup);
	assert_int_equal(register_netdevice(dup), -EINVAL);
	free_netdev(dup);

	/* The lowest free unit is reused, the ifindex is not. */
	unregister_netdevice(d1);
	assert_null(dev_get_by_name(e->net, "fake1"));
	again = fake_dev_add(e->net, "fake%d");
	assert_string_equal(again->name, "fake1");
	assert_true(again->ifindex > d2->ifindex);

	unregister_netdevice(d0);
	unregister_netdevice(d2);
	unregister_netdevice(again);
	assert_null(dev_get_by_name(e->net, "fake0"));
}

static void test_open_close_mtu_events(void **state)
{
	struct env *e = *state;
	struct net_device *dev;
	struct sk_buff *skb;

	nevents = 0;
	assert_int_equal(register_netdevice_notifier(&rec_nb), 0);
	dev = fake_dev_add(e->net, "ev%d");
	assert_int_equal(nevents, 2);
	assert_int_equal(events[0], NETDEV_REGISTER);
	assert_int_equal(events[1], NETDEV_UP);
	assert_true(dev->flags & IFF_UP);

	/* MTU outside [min_mtu, max_mtu] is -EINVAL and changes nothing. */
	assert_int_equal(dev_set_mtu(dev, 67), -EINVAL);
	assert_int_equal(dev_set_mtu(dev, 65536), -EINVAL);
	assert_int_equal(dev->mtu, 1500);
	assert_int_equal(nevents, 2);
	assert_int_equal(dev_set_mtu(dev, 9000), 0);
	assert_int_equal(dev->mtu, 9000);
	assert_int_equal(events[2], NETDEV_CHANGEMTU);
	assert_int_equal(dev_set_mtu(dev, 9000), 0);
	assert_int_equal(nevents, 3);

	assert_int_equal(dev_close(dev), 0);
	assert_int_equal(events[3], NETDEV_DOWN);
	assert_false(dev->flags & IFF_UP);
	/* Down: the skb is consumed, -ENETDOWN, counted. */
	skb = test_frame(dev, NULL, ETH_P_TEST, 60, 1);
	assert_int_equal(dev_queue_xmit(skb), -ENETDOWN);
	assert_int_equal(dev->stats.tx_dropped, 1);
	assert_int_equal(fake_priv(dev)->xmits, 0);

	unregister_netdevice(dev);
	assert_int_equal(events[nevents - 1], NETDEV_UNREGISTER);
	assert_int_equal(unregister_netdevice_notifier(&rec_nb), 0);
}

static void test_qdisc_bypass_when_idle(void **state)
{
	struct env *e = *state;
	struct net_device *dev = fake_dev_add(e->net, "byp%d");
	struct sk_buff *skb = test_frame(dev, NULL, ETH_P_TEST, 100, 2);

	assert_int_equal(dev_queue_xmit(skb), NET_XMIT_SUCCESS);
	assert_int_equal(fake_priv(dev)->xmits, 1);
	assert_int_equal(fake_priv(dev)->flushes, 1);
	assert_int_equal(skb_queue_len(&dev->qdisc->q), 0);
	assert_int_equal(dev->qdisc->packets, 1);
	assert_int_equal(dev->stats.tx_packets, 1);
	assert_int_equal(dev->stats.tx_bytes, 114);
	unregister_netdevice(dev);
}

static void test_qdisc_limit_drops_and_order(void **state)
{
	struct env *e = *state;
	struct net_device *dev = fake_dev_add(e->net, "drop%d");
	struct Qdisc *q = dev->qdisc;
	struct sk_buff *skb;
	u64 drops0 = e->net->drops[SKB_DROP_REASON_QDISC_DROP];
	int i;

	q->limit = 2;
	q->running = 1; /* as if another thread were draining */
	for (i = 0; i < 2; i++)
		assert_int_equal(dev_queue_xmit(test_frame(dev, NULL, ETH_P_TEST,
							   60, (u8)(10 + i))),
				 NET_XMIT_SUCCESS);
	assert_int_equal(dev_queue_xmit(test_frame(dev, NULL, ETH_P_TEST, 60, 99)),
			 NET_XMIT_DROP);
	assert_int_equal(q->drops, 1);
	assert_int_equal(dev->stats.tx_dropped, 1);
	assert_int_equal(e->net->drops[SKB_DROP_REASON_QDISC_DROP], drops0 + 1);
	assert_int_equal(fake_priv(dev)->xmits, 0);

	/* The drainer is gone; the next transmission drains in FIFO order. */
	q->running = 0;
	q->limit = 1000;
	assert_int_equal(dev_queue_xmit(test_frame(dev, NULL, ETH_P_TEST, 60, 12)),
			 NET_XMIT_SUCCESS);
	assert_int_equal(fake_priv(dev)->xmits, 3);
	for (i = 0; i < 3; i++) {
		skb = skb_dequeue(&fake_priv(dev)->txq);
		assert_int_equal(skb->data[ETH_HLEN], 10 + i);
		consume_skb(skb);
	}
	unregister_netdevice(dev);
}

static void test_busy_driver_requeues(void **state)
{
	struct env *e = *state;
	struct net_device *dev = fake_dev_add(e->net, "busy%d");
	struct sk_buff *skb;

	fake_priv(dev)->busy_next = 1;
	assert_int_equal(dev_queue_xmit(test_frame(dev, NULL, ETH_P_TEST, 60, 1)),
			 NET_XMIT_SUCCESS);
	assert_int_equal(fake_priv(dev)->xmits, 0);
	assert_int_equal(skb_queue_len(&dev->qdisc->q), 1);
	assert_int_equal(dev->qdisc->requeues, 1);
	assert_int_equal(dev->qdisc->running, 0);

	assert_int_equal(dev_queue_xmit(test_frame(dev, NULL, ETH_P_TEST, 60, 2)),
			 NET_XMIT_SUCCESS);
	assert_int_equal(fake_priv(dev)->xmits, 2);
	skb = skb_dequeue(&fake_priv(dev)->txq);
	assert_int_equal(skb->data[ETH_HLEN], 1);
	consume_skb(skb);
	unregister_netdevice(dev);
}

static void test_taps_see_tx_and_rx(void **state)
{
	struct env *e = *state;
	struct net_device *dev = fake_dev_add(e->net, "tap%d");
	struct packet_type tap = { 0 };
	struct rec *r = calloc(1, sizeof(*r));
	struct sk_buff *skb;
	u64 nohandler0 = e->net->drops[SKB_DROP_REASON_UNHANDLED_PROTO];

	tap.type = htons(ETH_P_ALL);
	tap.dev = dev;
	tap.func = rec_func;
	tap.af_packet_priv = r;
	dev_add_pack(&tap);

	assert_int_equal(dev_queue_xmit(test_frame(dev, NULL, ETH_P_TEST, 50, 3)),
			 NET_XMIT_SUCCESS);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->pkt_type[0], PACKET_OUTGOING);
	assert_int_equal(r->len[0], 64);
	assert_memory_equal(r->first[0], dev->broadcast, ETH_ALEN);

	/* Received: taps see the link header; nobody handles 0x88b6. */
	skb = test_frame(dev, dev->dev_addr, 0x88b6, 50, 4);
	assert_int_equal(netif_receive_skb(skb), NET_RX_DROP);
	assert_int_equal(r->n, 2);
	assert_int_equal(r->pkt_type[1], PACKET_HOST);
	assert_int_equal(r->len[1], 64);
	assert_memory_equal(r->first[1], dev->dev_addr, ETH_ALEN);
	assert_int_equal(dev->stats.rx_nohandler, 1);
	assert_int_equal(dev->stats.rx_packets, 1);
	assert_int_equal(e->net->drops[SKB_DROP_REASON_UNHANDLED_PROTO],
			 nohandler0 + 1);

	dev_remove_pack(&tap);
	assert_int_equal(dev_queue_xmit(test_frame(dev, NULL, ETH_P_TEST, 50, 3)),
			 NET_XMIT_SUCCESS);
	assert_int_equal(r->n, 2);
	free(r);
	unregister_netdevice(dev);
}

static void test_short_frame_dropped(void **state)
{
	struct env *e = *state;
	struct net_device *dev = fake_dev_add(e->net, "short%d");
	struct sk_buff *skb = alloc_skb(e->net, 64);

	memset(skb_put(skb, 10), 0xab, 10);
	skb->dev = dev;
	assert_int_equal(netif_receive_skb(skb), NET_RX_DROP);
	assert_int_equal(dev->stats.rx_length_errors, 1);
	assert_int_equal(dev->stats.rx_packets, 0);
	unregister_netdevice(dev);
}

static void test_ptype_dispatch_via_backlog(void **state)
{
	struct env *e = *state;
	struct net_device *dev = fake_dev_add(e->net, "bl%d");
	struct packet_type h = { 0 };
	struct rec *r = calloc(1, sizeof(*r));

	h.type = htons(ETH_P_TEST);
	h.func = rec_func;
	h.af_packet_priv = r;
	dev_add_pack(&h);

	assert_int_equal(netif_rx(test_frame(dev, dev->dev_addr, ETH_P_TEST, 40, 7)),
			 NET_RX_SUCCESS);
	assert_int_equal(netif_rx(test_frame(dev, NULL, ETH_P_TEST, 40, 8)),
			 NET_RX_SUCCESS);
	assert_int_equal(r->n, 0); /* nothing before the softirq runs */
	assert_int_equal(net_rx_action(e->net, 300), 2);
	assert_int_equal(r->n, 2);
	/* Handlers see data at the network header. */
	assert_int_equal(r->first[0][0], 7);
	assert_int_equal(r->len[0], 40);
	assert_int_equal(r->pkt_type[0], PACKET_HOST);
	assert_int_equal(r->pkt_type[1], PACKET_BROADCAST);
	assert_ptr_equal(r->dev[0], dev);
	assert_int_equal(net_rx_action(e->net, 300), 0);

	dev_remove_pack(&h);
	free(r);
	unregister_netdevice(dev);
}

static void test_backlog_limit(void **state)
{
	struct env *e = *state;
	struct net_device *dev = fake_dev_add(e->net, "bll%d");
	int i, dropped = 0;

	e->net->core.sysctl_netdev_max_backlog = 5;
	for (i = 0; i < 8; i++)
		if (netif_rx(test_frame(dev, dev->dev_addr, 0x88b6, 40, 1)) ==
		    NET_RX_DROP)
			dropped++;
	assert_int_equal(dropped, 3);
	assert_int_equal(dev->stats.rx_dropped, 3);
	/* Budget 2: part now, the rest stays scheduled. */
	assert_int_equal(net_rx_action(e->net, 2) >= 2, 1);
	while (net_rx_action(e->net, 300) > 0)
		;
	assert_int_equal(dev->stats.rx_nohandler, 5);
	e->net->core.sysctl_netdev_max_backlog = 1000;
	unregister_netdevice(dev);
}

static void test_loopback_device(void **state)
{
	struct env *e = *state;
	struct net_device *lo = dev_get_by_name(e->net, "lo");
	struct packet_type h = { 0 };
	struct rec *r = calloc(1, sizeof(*r));
	struct sl_link_stats st;

	assert_non_null(lo);
	assert_ptr_equal(lo, e->net->loopback_dev);
	assert_true(lo->flags & IFF_LOOPBACK);
	assert_true(lo->flags & IFF_NOARP);
	assert_true(lo->flags & IFF_UP);
	assert_int_equal(lo->mtu, 65536);
	assert_true(lo->features & NETIF_F_HW_CSUM);

	h.type = htons(ETH_P_TEST);
	h.func = rec_func;
	h.af_packet_priv = r;
	dev_add_pack(&h);
	assert_int_equal(sl_link_stats(e->net, "lo", &st), 0);
	assert_int_equal(dev_queue_xmit(test_frame(lo, NULL, ETH_P_TEST, 30, 5)),
			 NET_XMIT_SUCCESS);
	while (net_rx_action(e->net, 300) > 0)
		;
	assert_int_equal(r->n, 1);
	assert_ptr_equal(r->dev[0], lo);
	/* lo's header has zero MACs: the frame is for us. */
	assert_int_equal(r->pkt_type[0], PACKET_HOST);
	{
		struct sl_link_stats st2;

		assert_int_equal(sl_link_stats(e->net, "lo", &st2), 0);
		assert_int_equal(st2.tx_packets, st.tx_packets + 1);
		assert_int_equal(st2.rx_packets, st.rx_packets + 1);
	}
	assert_int_equal(sl_link_stats(e->net, "nope0", &st), -1);
	assert_int_equal(errno, ENODEV);
	dev_remove_pack(&h);
	free(r);
}

static void test_checksum_help(void **state)
{
	struct env *e = *state;
	struct sk_buff *skb = alloc_skb(e->net, 128);
	u8 *p = skb_put(skb, 8);
	u16 sum;

	/* Bytes 0..3 covered, checksum field at offset 4. */
	p[0] = 0x12; p[1] = 0x34; p[2] = 0x56; p[3] = 0x78;
	p[4] = 0; p[5] = 0; p[6] = 0; p[7] = 0;
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u16)(skb->data - skb->head);
	skb->csum_offset = 4;
	assert_int_equal(skb_checksum_help(skb), 0);
	assert_int_equal(skb->ip_summed, CHECKSUM_NONE);
	memcpy(&sum, p + 4, 2);
	/* ~(0x1234 + 0x5678) = ~0x68ac = 0x9753 */
	assert_int_equal(ntohs(sum), 0x9753);
	consume_skb(skb);
}

/* --- busy polling: napi_busy_poll ----------------------------------------- */

struct bp_napi {
	struct napi_struct napi;
	int waiting;    /* frames the "device" holds */
	int budget;     /* the last poll's budget */
	int polls;
};

/* A driver's poll: up to @budget frames; done below budget. */
static int bp_poll(struct napi_struct *napi, int budget)
{
	struct bp_napi *b = container_of(napi, struct bp_napi, napi);
	int work = b->waiting < budget ? b->waiting : budget;

	b->waiting -= work;
	b->budget = budget;
	b->polls++;
	if (work < budget)
		napi_complete_done(napi, work);
	return work;
}

/*
 * The poll runs with the caller's budget, capped at the weight (0: the
 * weight); a poll that used all of it is completed too, so the next busy
 * poll runs again; an instance the softirq has scheduled is left to it.
 */
static void test_napi_busy_poll_budget(void **state)
{
	struct env *e = *state;
	struct net_device *dev = fake_dev_add(e->net, "bp%d");
	struct bp_napi b = { .waiting = 7 };

	netif_napi_add(dev, &b.napi, bp_poll, 4);
	spin_lock(&e->net->softirq_lock);
	assert_int_equal(napi_busy_poll(&b.napi, 1), 1);
	assert_int_equal(b.budget, 1);
	assert_int_equal(b.waiting, 6);
	assert_int_equal(b.napi.state, 0);
	assert_int_equal(napi_busy_poll(&b.napi, 100), 4);
	assert_int_equal(b.budget, 4);
	assert_int_equal(b.napi.state, 0);
	assert_int_equal(napi_busy_poll(&b.napi, 0), 2);
	assert_int_equal(b.budget, 4);
	assert_int_equal(b.waiting, 0);
	assert_int_equal(b.napi.state, 0);

	b.waiting = 1;
	napi_schedule(&b.napi);
	assert_int_equal(napi_busy_poll(&b.napi, 1), 0);
	assert_int_equal(b.polls, 3);
	spin_unlock(&e->net->softirq_lock);
	assert_int_equal(net_rx_action(e->net, 300), 1);
	assert_int_equal(b.polls, 4);
	assert_int_equal(b.napi.state, 0);

	netif_napi_del(&b.napi);
	unregister_netdevice(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_names_and_ifindex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_close_mtu_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qdisc_bypass_when_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qdisc_limit_drops_and_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_driver_requeues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_taps_see_tx_and_rx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_frame_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ptype_dispatch_via_backlog, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checksum_help, setup, teardown),
		cmocka_unit_test_setup_teardown(test_napi_busy_poll_budget, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
