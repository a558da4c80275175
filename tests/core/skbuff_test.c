/*
 * Tests for src/core/skbuff.c and trace.c: layout of a new skb, push/pull,
 * size classes, clones sharing data, copies, unshare, cow, destructors,
 * drop counting, queues (also across threads), pools outliving their
 * stack, and packet traces.
 */
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>

#include "sl_test.h"
#include "sl/netdevice.h"
#include "sl/skbuff.h"
#include "core_test_net.h"

static struct net net;

static int setup(void **state)
{
	core_net_init(&net, true);
	return 0;
}

static int teardown(void **state)
{
	core_net_fini(&net);
	return 0;
}

static void test_alloc_layout(void **state)
{
	struct sk_buff *skb = alloc_skb(&net, 100);
	unsigned char *p;

	assert_non_null(skb);
	assert_int_equal(skb_headroom(skb), NET_SKB_PAD);
	assert_int_equal(skb->len, 0);
	assert_true(skb_tailroom(skb) >= 100);
	assert_ptr_equal(skb->data, skb->tail);
	assert_false(skb_mac_header_was_set(skb));
	assert_int_equal(skb_shinfo(skb)->dataref, 1);
	assert_int_equal(skb_pool_in_use(net.pool), 1);
	assert_int_equal(skb_live_count(), 1);

	p = skb_put(skb, 20);
	memset(p, 0xab, 20);
	assert_int_equal(skb->len, 20);
	p = skb_push(skb, 14);
	assert_int_equal(skb->len, 34);
	assert_int_equal(skb_headroom(skb), NET_SKB_PAD - 14);
	skb_reset_mac_header(skb);
	assert_non_null(skb_pull(skb, 14));
	skb_reset_network_header(skb);
	assert_int_equal(skb_network_header(skb) - skb_mac_header(skb), 14);
	assert_null(skb_pull(skb, 21));
	assert_int_equal(skb->len, 20);
	skb_trim(skb, 10);
	assert_int_equal(skb->len, 10);
	consume_skb(skb);
	assert_int_equal(skb_pool_in_use(net.pool), 0);
	sl_assert_no_leaks();
}

static void test_size_classes(void **state)
{
	static const unsigned int sizes[] = { 0, 1, 400, 1500, 2048, 9000,
					      16384, 65536, 200000 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct sk_buff *skb = alloc_skb_with_headroom(&net, sizes[i]);

		assert_non_null(skb);
		assert_int_equal(skb_headroom(skb), NET_SKB_PAD + SL_MAX_HEADER);
		assert_true(skb_tailroom(skb) >= (int)sizes[i]);
		/* The whole room is writable. */
		memset(skb_put(skb, sizes[i]), 0x5a, sizes[i]);
		assert_true(skb->truesize > sizes[i]);
		kfree_skb(skb);
	}
	/* Freed buffers are reused. */
	for (i = 0; i < 100; i++)
		consume_skb(alloc_skb(&net, 1500));
	sl_assert_no_leaks();
}

static void test_clone_shares_data(void **state)
{
	struct sk_buff *skb = alloc_skb(&net, 64), *c;

	memcpy(skb_put(skb, 5), "hello", 5);
	skb->mark = 7;
	c = skb_clone(skb);
	assert_non_null(c);
	assert_ptr_equal(c->data, skb->data);
	assert_true(skb_cloned(skb));
	assert_true(skb_cloned(c));
	assert_int_equal(c->mark, 7);
	assert_int_equal(c->len, 5);
	assert_int_equal(skb_shinfo(skb)->dataref, 2);
	assert_int_equal(skb_live_count(), 2);
	/* The original goes; the clone's bytes stay valid. */
	consume_skb(skb);
	assert_memory_equal(c->data, "hello", 5);
	assert_false(skb_cloned(c));
	consume_skb(c);
	sl_assert_no_leaks();
}

static void test_skb_get_users(void **state)
{
	struct sk_buff *skb = alloc_skb(&net, 10);

	skb_get(skb);
	consume_skb(skb);
	assert_int_equal(skb_live_count(), 1);
	consume_skb(skb);
	consume_skb(NULL);
	kfree_skb(NULL);
	sl_assert_no_leaks();
}

static void test_copy_and_expand(void **state)
{
	struct sk_buff *skb = alloc_skb_with_headroom(&net, 100), *n;

	memcpy(skb_put(skb, 4), "data", 4);
	memcpy(skb_push(skb, 3), "hdr", 3);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, 3);
	skb->protocol = htons(0x0800);

	n = skb_copy(skb);
	assert_non_null(n);
	assert_ptr_not_equal(n->data, skb->data);
	assert_false(skb_cloned(n));
	assert_int_equal(n->len, 7);
	assert_memory_equal(n->data, "hdrdata", 7);
	assert_int_equal(skb_headroom(n), skb_headroom(skb));
	assert_ptr_equal(skb_network_header(n), n->data);
	assert_memory_equal(skb_transport_header(n), "data", 4);
	assert_int_equal(n->protocol, htons(0x0800));
	consume_skb(n);

	/* Bigger headroom: header offsets follow the data. */
	n = skb_copy_expand(skb, 300, 50);
	assert_non_null(n);
	assert_int_equal(skb_headroom(n), 300);
	assert_true(skb_tailroom(n) >= 50);
	assert_ptr_equal(skb_network_header(n), n->data);
	assert_memory_equal(skb_transport_header(n), "data", 4);
	consume_skb(n);
	/* Smaller headroom. */
	n = skb_copy_expand(skb, 8, 0);
	assert_int_equal(skb_headroom(n), 8);
	assert_memory_equal(skb_transport_header(n), "data", 4);
	consume_skb(n);
	consume_skb(skb);
	sl_assert_no_leaks();
}

static void test_unshare_and_cow_head(void **state)
{
	struct sk_buff *skb = alloc_skb(&net, 64), *c, *u;

	memcpy(skb_put(skb, 3), "abc", 3);
	/* Not shared: unshare returns the same skb. */
	assert_ptr_equal(skb_unshare(skb), skb);

	c = skb_clone(skb);
	u = skb_unshare(c);
	assert_non_null(u);
	assert_ptr_not_equal(u->data, skb->data);
	assert_memory_equal(u->data, "abc", 3);
	assert_false(skb_cloned(skb));
	consume_skb(u);

	/* cow_head on a clone: private data, room in front, same bytes. */
	c = skb_clone(skb);
	skb_reset_network_header(c);
	assert_int_equal(skb_cow_head(c, 200), 0);
	assert_true(skb_headroom(c) >= 200);
	assert_false(skb_cloned(c));
	assert_ptr_equal(skb_network_header(c), c->data);
	assert_memory_equal(c->data, "abc", 3);
	memcpy(skb_push(c, 2), "xy", 2);
	assert_memory_equal(skb->data, "abc", 3);
	/* Enough room and private: nothing to do. */
	assert_int_equal(skb_cow_head(skb, 10), 0);
	consume_skb(c);
	consume_skb(skb);
	sl_assert_no_leaks();
}

static int destructor_runs;
static void count_destructor(struct sk_buff *skb)
{
	destructor_runs++;
}

static void test_destructor_and_drop_count(void **state)
{
	struct net_device dev;
	struct sk_buff *skb;

	memset(&dev, 0, sizeof(dev));
	dev.nd_net = &net;
	destructor_runs = 0;
	skb = netdev_alloc_skb(&dev, 60);
	assert_ptr_equal(skb->dev, &dev);
	assert_int_equal(skb_headroom(skb), NET_SKB_PAD);
	skb->destructor = count_destructor;
	skb_get(skb);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	/* Not the last reference: no drop counted yet. */
	assert_int_equal(net.drops[SKB_DROP_REASON_NO_SOCKET], 0);
	assert_int_equal(destructor_runs, 0);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	assert_int_equal(net.drops[SKB_DROP_REASON_NO_SOCKET], 1);
	assert_int_equal(destructor_runs, 1);

	/* consume_skb is not a drop. */
	skb = netdev_alloc_skb(&dev, 60);
	consume_skb(skb);
	assert_int_equal(net.drops[SKB_DROP_REASON_NOT_SPECIFIED], 0);

	/* skb_orphan runs the destructor once, not again at free. */
	skb = alloc_skb(&net, 10);
	skb->destructor = count_destructor;
	skb_orphan(skb);
	consume_skb(skb);
	assert_int_equal(destructor_runs, 2);
	sl_assert_no_leaks();
}

static void test_drop_reason_names(void **state)
{
	int i;

	for (i = 0; i < SKB_DROP_REASON_MAX; i++)
		assert_non_null(skb_drop_reason_names[i]);
	assert_string_equal(skb_drop_reason_names[SKB_DROP_REASON_NO_SOCKET],
			    "NO_SOCKET");
	assert_string_equal(skb_drop_reason_names[SKB_DROP_REASON_IP_CSUM],
			    "IP_CSUM");
	sl_assert_no_leaks();
}

static void test_copy_bits_and_iter(void **state)
{
	struct sk_buff *skb = alloc_skb(&net, 64);
	char out[16] = { 0 }, a[3], b[10];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } }, *ip = iov;
	size_t cnt = 2, off = 0;

	memcpy(skb_put(skb, 10), "0123456789", 10);
	assert_int_equal(skb_copy_bits(skb, 2, out, 5), 0);
	assert_memory_equal(out, "23456", 5);
	assert_int_equal(skb_copy_bits(skb, 6, out, 5), -EFAULT);
	assert_int_equal(skb_copy_datagram_iter(skb, 1, &ip, &cnt, &off, 100), 9);
	assert_memory_equal(a, "123", 3);
	assert_memory_equal(b, "456789", 6);
	assert_ptr_equal(ip, &iov[1]);
	assert_int_equal(off, 6);
	consume_skb(skb);
	sl_assert_no_leaks();
}

static void test_queue_ops(void **state)
{
	struct sk_buff_head q, q2;
	struct sk_buff *s[5];
	int i;

	skb_queue_head_init(&q);
	skb_queue_head_init(&q2);
	assert_true(skb_queue_empty(&q));
	assert_null(skb_peek(&q));
	assert_null(skb_dequeue(&q));
	for (i = 0; i < 5; i++) {
		s[i] = alloc_skb(&net, 1);
		s[i]->mark = (u32)i;
	}
	skb_queue_tail(&q, s[1]);
	skb_queue_tail(&q, s[3]);
	skb_queue_head(&q, s[0]);
	__skb_queue_after(&q, s[1], s[2]);
	__skb_queue_before(&q, (struct sk_buff *)&q, s[4]);
	assert_int_equal(skb_queue_len(&q), 5);
	assert_ptr_equal(skb_peek(&q), s[0]);
	assert_ptr_equal(skb_peek_tail(&q), s[4]);
	assert_true(skb_queue_is_last(&q, s[4]));
	__skb_unlink(s[2], &q);
	assert_int_equal(skb_queue_len(&q), 4);
	__skb_queue_tail(&q2, s[2]);
	skb_queue_splice_tail_init(&q, &q2);
	assert_true(skb_queue_empty(&q));
	assert_int_equal(skb_queue_len(&q), 0);
	assert_int_equal(skb_queue_len(&q2), 5);
	{
		static const u32 want[] = { 2, 0, 1, 3, 4 };
		struct sk_buff *skb;

		i = 0;
		skb_queue_walk(&q2, skb)
			assert_int_equal(skb->mark, want[i++]);
	}
	assert_ptr_equal(skb_dequeue_tail(&q2), s[4]);
	consume_skb(s[4]);
	assert_ptr_equal(__skb_dequeue(&q2), s[2]);
	consume_skb(s[2]);
	skb_queue_purge(&q2);
	assert_true(skb_queue_empty(&q2));
	sl_assert_no_leaks();
}

#define XFER 20000
static struct sk_buff_head xq;

static void *producer(void *arg)
{
	struct net *other = arg;
	u32 i;

	for (i = 0; i < XFER; i++) {
		struct sk_buff *skb = alloc_skb(other, 100);

		skb->mark = i;
		skb_queue_tail(&xq, skb);
	}
	return NULL;
}

/* One thread allocates from its stack, another dequeues and frees: the
 * skbs go back to the producer's pool, which outlives its release. */
static void test_cross_thread_queue_and_pool(void **state)
{
	struct sk_buff *kept = NULL;
	struct net other;
	pthread_t th;
	u32 want = 0;

	core_net_init(&other, true);
	skb_queue_head_init(&xq);
	pthread_create(&th, NULL, producer, &other);
	while (want < XFER) {
		struct sk_buff *skb = skb_dequeue(&xq);

		if (!skb)
			continue;
		assert_int_equal(skb->mark, want);
		if (want++ == XFER / 2) {
			kept = skb;   /* kept past its stack's release */
			continue;
		}
		consume_skb(skb);
	}
	pthread_join(th, NULL);
	assert_int_equal(skb_pool_in_use(other.pool), 1);
	core_net_fini(&other);
	assert_int_equal(kept->mark, XFER / 2);
	consume_skb(kept);
	sl_assert_no_leaks();
}

static int traces_done;
static u32 trace_n[4];
static const char *trace_fn0;
static struct net *trace_net1;

static void trace_done(struct net *n, const struct skb_trace *t, void *arg)
{
	assert_ptr_equal(n, &net);
	assert_ptr_equal(arg, &traces_done);
	trace_n[traces_done] = t->n;
	trace_fn0 = t->fn[0];
	trace_net1 = t->n > 1 ? t->net[1] : NULL;
	traces_done++;
}

static void traced_fn(struct sk_buff *skb)
{
	skb_trace(skb);
}

static void test_trace(void **state)
{
	struct net other;
	struct net_device dev;
	struct sk_buff *a, *b, *c, *cl;
	int i;

	core_net_init(&other, true);
	memset(&dev, 0, sizeof(dev));
	dev.nd_net = &other;
	traces_done = 0;
	net.trace_done = trace_done;
	net.trace_arg = &traces_done;
	net.trace_budget = 2;

	a = alloc_skb(&net, 10);
	b = alloc_skb(&net, 10);
	c = alloc_skb(&net, 10);
	assert_true(a->traced);
	assert_true(b->traced);
	assert_false(c->traced);
	assert_int_equal(net.trace_budget, 0);
	assert_int_not_equal(a->trace->id, b->trace->id);

	traced_fn(a);
	a->dev = &dev;                  /* crossed the wire to "other" */
	traced_fn(a);
	cl = skb_clone(a);
	assert_false(cl->traced);
	consume_skb(cl);
	assert_int_equal(traces_done, 0);
	kfree_skb(a);
	assert_int_equal(traces_done, 1);
	assert_int_equal(trace_n[0], 2);
	assert_string_equal(trace_fn0, "traced_fn");
	assert_ptr_equal(trace_net1, &other);

	/* Only SKB_TRACE_MAX entries are kept. */
	for (i = 0; i < SKB_TRACE_MAX + 5; i++)
		traced_fn(b);
	consume_skb(b);
	assert_int_equal(trace_n[1], SKB_TRACE_MAX);
	consume_skb(c);
	assert_int_equal(traces_done, 2);
	net.trace_done = NULL;
	core_net_fini(&other);
	sl_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_classes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_shares_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_skb_get_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_and_expand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unshare_and_cow_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destructor_and_drop_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_reason_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_bits_and_iter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_thread_queue_and_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trace, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
