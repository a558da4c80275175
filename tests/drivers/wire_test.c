/*
 * src/drivers/wire.c: the virtual wire between two stacks. Every
 * impairment is drawn from the wire's seed, so each test checks both the
 * statistics (within bounds) and that the same seed replays the same
 * delivery pattern.
 */
#include <errno.h>

#include "../net/net_test_util.h"

#define PAYLOAD_FILL 0x5a

struct run {
	sl_clock_t *clk;
	struct net *a, *b;
	struct net_device *deva, *devb;
	struct packet_type tap;
	struct rec *r;
	u64 sent_at[REC_MAX];
};

static void run_start(struct run *x, const struct sl_wire_config *cfg)
{
	int ia, ib;

	memset(x, 0, sizeof(*x));
	x->clk = sl_clock_new(true);
	x->a = test_net_create(x->clk, "wa", 1);
	x->b = test_net_create(x->clk, "wb", 2);
	assert_int_equal(sl_wire_create(x->a, x->b, cfg, &ia, &ib), 0);
	x->deva = dev_get_by_index(x->a, ia);
	x->devb = dev_get_by_index(x->b, ib);
	assert_non_null(x->deva);
	assert_non_null(x->devb);
	x->r = calloc(1, sizeof(*x->r));
	/* A receive tap on b's device sees each frame whole, as it arrived. */
	x->tap.type = htons(ETH_P_ALL);
	x->tap.dev = x->devb;
	x->tap.func = rec_func;
	x->tap.af_packet_priv = x->r;
	dev_add_pack(&x->tap);
}

static void run_send(struct run *x, u32 seq, unsigned int len)
{
	struct sk_buff *skb = test_frame(x->deva, x->devb->dev_addr, ETH_P_TEST,
					 len, PAYLOAD_FILL);

	memcpy(skb->data + ETH_HLEN, &seq, sizeof(seq));
	if (seq < REC_MAX)
		x->sent_at[seq] = sl_clock_now_ns(x->clk);
	dev_queue_xmit(skb);
}

/* Send @n frames @gap ns apart, then let everything arrive. */
static void run_pattern(struct run *x, int n, u64 gap, unsigned int len)
{
	int i;

	for (i = 0; i < n; i++) {
		run_send(x, (u32)i, len);
		if (gap)
			sl_clock_advance(x->clk, gap);
		else
			while (sl_net_poll_all(x->clk) > 0)
				;
	}
	sl_clock_advance(x->clk, 2 * NSEC_PER_SEC);
}

static u32 rec_seq(const struct rec *r, int i)
{
	u32 seq;

	memcpy(&seq, r->first[i] + ETH_HLEN, sizeof(seq));
	return seq;
}

static void run_end(struct run *x)
{
	dev_remove_pack(&x->tap);
	sl_net_destroy(x->a);
	sl_net_destroy(x->b);
	sl_clock_free(x->clk);
	free(x->r);
	sl_assert_no_leaks();
}

/* Delivered sequence numbers of a run with @cfg (caller frees). */
static u32 *pattern_of(const struct sl_wire_config *cfg, int n, u64 gap,
		       int *count)
{
	struct run x;
	u32 *seqs;
	int i;

	run_start(&x, cfg);
	run_pattern(&x, n, gap, 12);
	seqs = calloc((size_t)x.r->n + 1, sizeof(*seqs));
	for (i = 0; i < x.r->n; i++)
		seqs[i] = rec_seq(x.r, i);
	*count = x.r->n;
	run_end(&x);
	return seqs;
}

static bool same_pattern(const u32 *s1, int n1, const u32 *s2, int n2)
{
	return n1 == n2 && !memcmp(s1, s2, (size_t)n1 * sizeof(*s1));
}

static void test_clean_wire(void **state)
{
	struct sl_wire_config cfg = { .seed = 42 };
	struct run x;
	int i;

	run_start(&x, &cfg);
	assert_string_equal(x.deva->name, "wire0");
	assert_string_equal(x.devb->name, "wire0");
	assert_true(x.deva->flags & IFF_UP);
	assert_int_equal(x.deva->mtu, 1500);
	assert_int_equal(x.deva->features, 0);
	assert_true(is_valid_ether_addr(x.deva->dev_addr));
	assert_memory_not_equal(x.deva->dev_addr, x.devb->dev_addr, ETH_ALEN);

	run_pattern(&x, 100, 0, 12);
	assert_int_equal(x.r->n, 100);
	for (i = 0; i < 100; i++) {
		assert_int_equal(rec_seq(x.r, i), i);
		assert_int_equal(x.r->t[i], x.sent_at[i]); /* no delay */
		assert_int_equal(x.r->pkt_type[i], PACKET_HOST);
	}
	assert_int_equal(x.deva->stats.tx_packets, 100);
	assert_int_equal(x.devb->stats.rx_packets, 100);
	run_end(&x);
}

static void test_loss_replays_for_a_seed(void **state)
{
	struct sl_wire_config cfg = { .seed = 7 };
	u32 *p1, *p2, *p3;
	int n1, n2, n3;

	cfg.a_to_b.loss = 0.3;
	p1 = pattern_of(&cfg, 1000, 0, &n1);
	p2 = pattern_of(&cfg, 1000, 0, &n2);
	cfg.seed = 8;
	p3 = pattern_of(&cfg, 1000, 0, &n3);
	assert_in_range(n1, 620, 780);
	assert_true(same_pattern(p1, n1, p2, n2));
	assert_false(same_pattern(p1, n1, p3, n3));
	free(p1);
	free(p2);
	free(p3);
}

static void test_loss_counted_as_drop_reason(void **state)
{
	struct sl_wire_config cfg = { .seed = 3 };
	struct run x;

	cfg.a_to_b.loss = 1.0;
	run_start(&x, &cfg);
	run_pattern(&x, 50, 0, 12);
	assert_int_equal(x.r->n, 0);
	assert_int_equal(x.a->drops[SKB_DROP_REASON_WIRE_LOSS], 50);
	run_end(&x);
}

static void test_duplicate(void **state)
{
	struct sl_wire_config cfg = { .seed = 11 };
	u32 *p1, *p2;
	int n1, n2, i, dups = 0;

	cfg.a_to_b.duplicate = 0.2;
	p1 = pattern_of(&cfg, 1000, 0, &n1);
	p2 = pattern_of(&cfg, 1000, 0, &n2);
	assert_in_range(n1, 1130, 1270);
	assert_true(same_pattern(p1, n1, p2, n2));
	/* Copies arrive right after their original; every frame arrives. */
	for (i = 1; i < n1; i++)
		if (p1[i] == p1[i - 1])
			dups++;
	assert_int_equal(dups, n1 - 1000);
	free(p1);
	free(p2);
}

static void test_reorder(void **state)
{
	struct sl_wire_config cfg = { .seed = 5 };
	u32 *p1, *p2;
	int n1, n2, i, inversions = 0;

	cfg.a_to_b.reorder = 0.2;
	cfg.a_to_b.delay_ns = NSEC_PER_MSEC;
	p1 = pattern_of(&cfg, 1000, 100 * NSEC_PER_USEC, &n1);
	p2 = pattern_of(&cfg, 1000, 100 * NSEC_PER_USEC, &n2);
	assert_int_equal(n1, 1000);
	assert_true(same_pattern(p1, n1, p2, n2));
	for (i = 1; i < n1; i++)
		if (p1[i] < p1[i - 1])
			inversions++;
	assert_in_range(inversions, 100, 300);
	free(p1);
	free(p2);
}

static int bit_diff(const u8 *a, const u8 *b, unsigned int len)
{
	int bits = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		bits += __builtin_popcount((unsigned int)(a[i] ^ b[i]));
	return bits;
}

static void test_corrupt_flips_one_bit(void **state)
{
	struct sl_wire_config cfg = { .seed = 9 };
	struct run x;
	u8 want[ETH_HLEN + 12];
	int i, damaged = 0;
	u32 seq;

	cfg.a_to_b.corrupt = 0.5;
	run_start(&x, &cfg);
	run_pattern(&x, 1000, 0, 12);
	assert_int_equal(x.r->n, 1000);
	memcpy(want, x.devb->dev_addr, ETH_ALEN);
	memcpy(want + ETH_ALEN, x.deva->dev_addr, ETH_ALEN);
	want[12] = ETH_P_TEST >> 8;
	want[13] = ETH_P_TEST & 0xff;
	memset(want + ETH_HLEN, PAYLOAD_FILL, 12);
	for (i = 0; i < x.r->n; i++) {
		int d;

		seq = (u32)i; /* no reordering: frame i is seq i unless hit */
		memcpy(want + ETH_HLEN, &seq, sizeof(seq));
		d = bit_diff(want, x.r->first[i], sizeof(want));
		assert_true(d <= 1);
		damaged += d;
	}
	assert_in_range(damaged, 430, 570);
	run_end(&x);
}

static void test_delay_and_jitter(void **state)
{
	struct sl_wire_config cfg = { .seed = 13 };
	struct run x;
	int i;

	cfg.a_to_b.delay_ns = 10 * NSEC_PER_MSEC;
	cfg.a_to_b.jitter_ns = 2 * NSEC_PER_MSEC;
	run_start(&x, &cfg);
	run_pattern(&x, 200, NSEC_PER_MSEC, 12);
	assert_int_equal(x.r->n, 200);
	for (i = 0; i < x.r->n; i++) {
		u32 seq = rec_seq(x.r, i);
		u64 d = x.r->t[i] - x.sent_at[seq];

		assert_in_range(d, 10 * NSEC_PER_MSEC, 12 * NSEC_PER_MSEC - 1);
	}
	run_end(&x);
}

static void test_rate_serialises_frames(void **state)
{
	struct sl_wire_config cfg = { .seed = 1 };
	struct run x;
	int i;

	cfg.a_to_b.rate_bps = 8000000; /* 1 byte per microsecond */
	run_start(&x, &cfg);
	for (i = 0; i < 10; i++)
		run_send(&x, (u32)i, 1000 - ETH_HLEN); /* 1000-byte frames */
	sl_clock_advance(x.clk, NSEC_PER_SEC);
	assert_int_equal(x.r->n, 10);
	for (i = 0; i < 10; i++) {
		assert_int_equal(rec_seq(x.r, i), i);
		assert_int_equal(x.r->t[i] - x.sent_at[0],
				 (u64)(i + 1) * NSEC_PER_MSEC);
	}
	run_end(&x);
}

static void test_queue_limit(void **state)
{
	struct sl_wire_config cfg = { .seed = 1 };
	struct run x;
	int i;

	cfg.a_to_b.delay_ns = 10 * NSEC_PER_MSEC;
	cfg.a_to_b.queue_limit = 5;
	run_start(&x, &cfg);
	for (i = 0; i < 10; i++)
		run_send(&x, (u32)i, 12);
	sl_clock_advance(x.clk, NSEC_PER_SEC);
	assert_int_equal(x.r->n, 5);
	assert_int_equal(x.deva->stats.tx_dropped, 5);
	run_end(&x);
}

static void test_set_impair_by_name(void **state)
{
	struct sl_wire_config cfg = { .seed = 1 };
	struct sl_wire_impair lossy = { .loss = 1.0 };
	struct run x;

	run_start(&x, &cfg);
	assert_int_equal(sl_wire_set_impair(x.a, "wire0", &lossy), 0);
	run_pattern(&x, 10, 0, 12);
	assert_int_equal(x.r->n, 0);
	memset(&lossy, 0, sizeof(lossy));
	assert_int_equal(sl_wire_set_impair(x.a, "wire0", &lossy), 0);
	run_pattern(&x, 10, 0, 12);
	assert_int_equal(x.r->n, 10);
	assert_int_equal(sl_wire_set_impair(x.a, "lo", &lossy), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(sl_wire_set_impair(x.a, "nope", &lossy), -1);
	assert_int_equal(errno, ENODEV);
	run_end(&x);
}

static void test_destroy_with_frames_in_flight(void **state)
{
	struct sl_wire_config cfg = { .seed = 1 };
	struct run x;
	int i;

	cfg.a_to_b.delay_ns = NSEC_PER_SEC;
	cfg.b_to_a.delay_ns = NSEC_PER_SEC;
	run_start(&x, &cfg);
	dev_remove_pack(&x.tap);
	for (i = 0; i < 10; i++)
		run_send(&x, (u32)i, 12);
	/* b goes while a's frames are on the wire towards it. */
	sl_net_destroy(x.b);
	/* a keeps sending into a wire with no far end: dropped. */
	dev_queue_xmit(test_frame(x.deva, NULL, ETH_P_TEST, 12, 0));
	assert_int_equal(x.deva->stats.tx_dropped, 1);
	sl_clock_advance(x.clk, 2 * NSEC_PER_SEC);
	sl_net_destroy(x.a);
	sl_clock_free(x.clk);
	free(x.r);
	sl_assert_no_leaks();
}

static void test_gso_wire_carries_large_segments(void **state)
{
	struct sl_wire_config cfg = { .seed = 1, .gso = true };
	struct run x;
	struct sk_buff *skb;

	run_start(&x, &cfg);
	assert_true(x.deva->features & NETIF_F_HW_CSUM);
	assert_true(x.devb->features & NETIF_F_GSO);
	assert_int_equal(x.deva->gso_max_size, 65536);
	skb = test_frame(x.deva, x.devb->dev_addr, ETH_P_TEST, 20000, 1);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = (u16)(skb->data - skb->head + ETH_HLEN);
	skb->csum_offset = 4;
	dev_queue_xmit(skb);
	sl_clock_advance(x.clk, NSEC_PER_MSEC);
	assert_int_equal(x.r->n, 1);
	assert_int_equal(x.r->len[0], 20000 + ETH_HLEN);
	assert_int_equal(x.r->ip_summed[0], CHECKSUM_UNNECESSARY);
	run_end(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_wire),
		cmocka_unit_test(test_loss_replays_for_a_seed),
		cmocka_unit_test(test_loss_counted_as_drop_reason),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_corrupt_flips_one_bit),
		cmocka_unit_test(test_delay_and_jitter),
		cmocka_unit_test(test_rate_serialises_frames),
		cmocka_unit_test(test_queue_limit),
		cmocka_unit_test(test_set_impair_by_name),
		cmocka_unit_test(test_destroy_with_frames_in_flight),
		cmocka_unit_test(test_gso_wire_carries_large_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
