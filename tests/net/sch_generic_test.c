/*
 * src/net/sch_generic.c: the pfifo qdisc (limit, drops, FIFO order,
 * requeue of frames a busy driver refused, one drainer at a time).
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
	e.net = test_net_create(e.clk, "sch", 3);
	e.dev = fake_dev_add(e.net, "q%d");
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

static void test_pfifo_limit_from_tx_queue_len(void **state)
{
	struct env *e = *state;
	struct Qdisc *q;
	int i;

	e->dev->tx_queue_len = 3;
	q = qdisc_create_dflt(e->dev);
	assert_string_equal(q->id, "pfifo");
	assert_int_equal(q->limit, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(q->enqueue(test_frame(e->dev, NULL, ETH_P_TEST, 20,
						       (u8)i), q),
				 NET_XMIT_SUCCESS);
	assert_int_equal(q->enqueue(test_frame(e->dev, NULL, ETH_P_TEST, 20, 9), q),
			 NET_XMIT_DROP);
	assert_int_equal(q->drops, 1);
	for (i = 0; i < 3; i++) {
		struct sk_buff *skb = q->dequeue(q);

		assert_int_equal(skb->data[ETH_HLEN], i);
		consume_skb(skb);
	}
	assert_null(q->dequeue(q));
	/* Destroy frees whatever is still queued. */
	q->enqueue(test_frame(e->dev, NULL, ETH_P_TEST, 20, 1), q);
	qdisc_destroy(q);
	e->dev->tx_queue_len = 1000;
}

static void test_run_drains_in_one_burst(void **state)
{
	struct env *e = *state;
	struct Qdisc *q = e->dev->qdisc;
	int i;

	/* Fill while "someone else" runs the qdisc, then drain once. */
	q->running = 1;
	for (i = 0; i < 5; i++)
		dev_queue_xmit(test_frame(e->dev, NULL, ETH_P_TEST, 20, (u8)i));
	assert_int_equal(fake_priv(e->dev)->xmits, 0);
	q->running = 0;
	__atomic_store_n(&q->running, 1, __ATOMIC_SEQ_CST);
	__qdisc_run(q);
	q->running = 0;
	assert_int_equal(fake_priv(e->dev)->xmits, 5);
	assert_int_equal(fake_priv(e->dev)->flushes, 1); /* one flush per burst */
	assert_int_equal(q->packets, 5);
}

static void test_busy_stops_drain_and_requeues(void **state)
{
	struct env *e = *state;
	struct Qdisc *q = e->dev->qdisc;
	struct sk_buff *skb;
	int i;

	q->running = 1;
	for (i = 0; i < 3; i++)
		dev_queue_xmit(test_frame(e->dev, NULL, ETH_P_TEST, 20, (u8)i));
	fake_priv(e->dev)->busy_next = 1;
	__qdisc_run(q); /* first dequeued skb refused: back at the head */
	assert_int_equal(fake_priv(e->dev)->xmits, 0);
	assert_int_equal(skb_queue_len(&q->q), 3);
	assert_int_equal(q->requeues, 1);
	__qdisc_run(q);
	q->running = 0;
	assert_int_equal(fake_priv(e->dev)->xmits, 3);
	for (i = 0; i < 3; i++) {
		skb = skb_dequeue(&fake_priv(e->dev)->txq);
		assert_int_equal(skb->data[ETH_HLEN], i);
		consume_skb(skb);
	}
}

static void test_close_purges_queue(void **state)
{
	struct env *e = *state;
	struct Qdisc *q = e->dev->qdisc;

	q->running = 1;
	dev_queue_xmit(test_frame(e->dev, NULL, ETH_P_TEST, 20, 1));
	dev_queue_xmit(test_frame(e->dev, NULL, ETH_P_TEST, 20, 2));
	assert_int_equal(skb_queue_len(&q->q), 2);
	q->running = 0;
	dev_close(e->dev);
	assert_int_equal(skb_queue_len(&q->q), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pfifo_limit_from_tx_queue_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_drains_in_one_burst, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_stops_drain_and_requeues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_purges_queue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
