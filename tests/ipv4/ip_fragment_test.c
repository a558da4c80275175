/*
 * ip_fragment.c: reassembly in order, reversed, shuffled, with duplicates;
 * overlaps kill the datagram; a missing fragment times out with ICMP time
 * exceeded; the memory cap; malformed fragments. Fragments are injected
 * on stack b's wire0 as if sent by a (10.0.0.1 -> 10.0.0.2).
 */
#include "ip_test_util.h"

struct ctx {
	struct sl_pair p;
	struct net *a, *b;
	struct net_device *dev;
};

static int setup(void **state)
{
	static struct ctx c;

	sl_pair_setup(&c.p, NULL);
	c.a = c.p.a;
	c.b = c.p.b;
	c.dev = devn(c.b, "wire0");
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

/* Inject the fragment [@off, @off + @len) of datagram @id. */
static void frag(struct ctx *c, u16 id, unsigned int off, unsigned int len,
		 bool mf)
{
	struct frame_spec fs = {
		.saddr = ipa("10.0.0.1"), .daddr = ipa("10.0.0.2"),
		.id = id, .paylen = len, .payoff = off,
		.frag_off = (u16)((mf ? IP_MF : 0) | (off >> 3)),
	};

	inject(build_frame(c->dev, &fs));
}

static u32 expected_sum(unsigned int len)
{
	static u8 buf[70000];
	unsigned int i;

	for (i = 0; i < len; i++)
		buf[i] = pat(i);
	return payload_sum(buf, len);
}

static void assert_delivered(unsigned int len)
{
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.len[0], len);
	assert_int_equal(rec.sum[0], expected_sum(len));
}

static void test_in_order(void **state)
{
	struct ctx *c = *state;

	frag(c, 1, 0, 1480, true);
	frag(c, 1, 1480, 1480, true);
	assert_int_equal(rec.n, 0);
	assert_true(ip_frag_mem(c->b) > 2960);
	frag(c, 1, 2960, 1040, false);
	assert_delivered(4000);
	assert_int_equal(snmp(c->b, "IpReasmReqds"), 3);
	assert_int_equal(snmp(c->b, "IpReasmOKs"), 1);
	assert_int_equal(snmp(c->b, "IpReasmFails"), 0);
	assert_int_equal(ip_frag_mem(c->b), 0);
}

static void test_reversed(void **state)
{
	struct ctx *c = *state;

	frag(c, 2, 2960, 1040, false);
	frag(c, 2, 1480, 1480, true);
	frag(c, 2, 0, 1480, true);
	assert_delivered(4000);
}

static void test_random_order(void **state)
{
	struct ctx *c = *state;
	unsigned int order[10], i, j, t;
	u32 seed = 12345;

	for (i = 0; i < 10; i++)
		order[i] = i;
	for (i = 9; i > 0; i--) { /* seeded Fisher-Yates */
		seed = seed * 1103515245u + 12345u;
		j = (seed >> 16) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < 10; i++)
		frag(c, 3, order[i] * 800, 800, order[i] != 9);
	assert_delivered(8000);
	assert_int_equal(snmp(c->b, "IpReasmReqds"), 10);
}

static void test_duplicates_ignored(void **state)
{
	struct ctx *c = *state;

	frag(c, 4, 0, 1000, true);
	frag(c, 4, 0, 1000, true);      /* exact duplicate */
	frag(c, 4, 1000, 1000, true);
	frag(c, 4, 504, 800, true);     /* inside what we hold, no gap */
	assert_int_equal(drops(c->b, SKB_DROP_REASON_IP_FRAG), 2);
	frag(c, 4, 2000, 100, false);
	assert_delivered(2100);
	assert_int_equal(snmp(c->b, "IpReasmFails"), 0);
}

static void test_overlap_discards_datagram(void **state)
{
	struct ctx *c = *state;

	frag(c, 5, 0, 1480, true);
	frag(c, 5, 1000, 1000, true);   /* overlaps [1000, 1480) */
	assert_int_equal(snmp(c->b, "IpReasmFails"), 1);
	assert_int_equal(drops(c->b, SKB_DROP_REASON_IP_FRAG_OVERLAP), 2);
	assert_int_equal(ip_frag_mem(c->b), 0);
	/* the rest no longer completes anything */
	frag(c, 5, 1480, 100, false);
	assert_int_equal(rec.n, 0);
}

static void test_missing_fragment_times_out_with_icmp(void **state)
{
	struct ctx *c = *state;

	frag(c, 6, 0, 1480, true);
	frag(c, 6, 2960, 100, false);
	sl_clock_advance(c->p.clk, 29ULL * NSEC_PER_SEC);
	sl_pair_settle(&c->p);
	assert_int_equal(snmp(c->b, "IpReasmTimeout"), 0);
	sl_clock_advance(c->p.clk, 2ULL * NSEC_PER_SEC);
	sl_pair_settle(&c->p);
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->b, "IpReasmTimeout"), 1);
	assert_int_equal(snmp(c->b, "IpReasmFails"), 1);
	assert_int_equal(drops(c->b, SKB_DROP_REASON_IP_FRAG_TIMEOUT), 2);
	assert_int_equal(ip_frag_mem(c->b), 0);
	/* RFC 1122 3.3.2: fragment 0 arrived, so the sender hears about it */
	assert_int_equal(snmp(c->b, "IcmpOutTimeExcds"), 1);
	assert_int_equal(snmp(c->a, "IcmpInTimeExcds"), 1);
}

static void test_timeout_without_first_fragment_is_silent(void **state)
{
	struct ctx *c = *state;

	frag(c, 7, 1480, 100, false);
	sl_clock_advance(c->p.clk, 31ULL * NSEC_PER_SEC);
	sl_pair_settle(&c->p);
	assert_int_equal(snmp(c->b, "IpReasmTimeout"), 1);
	assert_int_equal(snmp(c->b, "IcmpOutTimeExcds"), 0);
}

static void test_memory_cap(void **state)
{
	struct ctx *c = *state;
	u16 id;

	assert_int_equal(sl_sysctl_set(c->b, "net.ipv4.ipfrag_high_thresh",
				       "20000"), 0);
	for (id = 100; id < 140; id++)
		frag(c, id, 0, 1000, true);
	assert_true(snmp(c->b, "IpReasmFails") > 0);
	assert_true(drops(c->b, SKB_DROP_REASON_IP_FRAG_MEM) > 0);
	assert_true(ip_frag_mem(c->b) <= 20000 + 4096);
	/* a datagram whose queue exists cannot complete either, as Linux */
	frag(c, 100, 1000, 8, false);
	assert_int_equal(rec.n, 0);
	/* once the queues expire, memory is free again */
	sl_clock_advance(c->p.clk, 31ULL * NSEC_PER_SEC);
	sl_pair_settle(&c->p);
	assert_int_equal(ip_frag_mem(c->b), 0);
	frag(c, 200, 0, 8, true);
	frag(c, 200, 8, 8, false);
	assert_delivered(16);
}

static void test_beyond_64k_rejected(void **state)
{
	struct ctx *c = *state;

	frag(c, 8, 0, 64, true);
	frag(c, 8, 65528, 16, true); /* 20 + 65544 > 65535 */
	assert_int_equal(snmp(c->b, "IpReasmFails"), 1);
	assert_int_equal(ip_frag_mem(c->b), 0);
}

static void test_zero_length_middle_fragment_rejected(void **state)
{
	struct ctx *c = *state;

	frag(c, 9, 0, 64, true);
	frag(c, 9, 64, 0, true);
	assert_int_equal(snmp(c->b, "IpReasmFails"), 1);
	assert_int_equal(ip_frag_mem(c->b), 0);
}

static void test_ragged_more_fragments_trimmed_like_linux(void **state)
{
	struct ctx *c = *state;

	/* 13 bytes with MF: Linux keeps the first 8 (8-byte units) */
	frag(c, 10, 0, 13, true);
	frag(c, 10, 8, 5, false);
	assert_delivered(13);

	/* 7 bytes with MF: trimmed to nothing -> the datagram is dropped */
	memset(&rec, 0, sizeof(rec));
	frag(c, 11, 0, 7, true);
	assert_int_equal(snmp(c->b, "IpReasmFails"), 1);
}

static void test_conflicting_last_fragments(void **state)
{
	struct ctx *c = *state;

	frag(c, 12, 800, 80, false);
	frag(c, 12, 800, 120, false); /* a second, different end */
	assert_int_equal(snmp(c->b, "IpReasmFails"), 1);
	frag(c, 13, 800, 80, false);
	frag(c, 13, 880, 8, true);    /* data beyond the end */
	assert_int_equal(snmp(c->b, "IpReasmFails"), 2);
	assert_int_equal(ip_frag_mem(c->b), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_in_order),
		T(test_reversed),
		T(test_random_order),
		T(test_duplicates_ignored),
		T(test_overlap_discards_datagram),
		T(test_missing_fragment_times_out_with_icmp),
		T(test_timeout_without_first_fragment_is_silent),
		T(test_memory_cap),
		T(test_beyond_64k_rejected),
		T(test_zero_length_middle_fragment_rejected),
		T(test_ragged_more_fragments_trimmed_like_linux),
		T(test_conflicting_last_fragments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
