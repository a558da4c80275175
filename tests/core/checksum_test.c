/*
 * Tests for src/core/checksum.c: the RFC 1071 sums against known vectors
 * and against a byte-at-a-time reference, at every alignment and length.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "sl_test.h"
#include "sl/checksum.h"
#include "sl/skbuff.h"

/* Straight from RFC 1071 section 4.1: big-endian 16-bit words, folded. */
static u16 ref_csum(const u8 *p, size_t len)
{
	u32 sum = 0;

	while (len > 1) {
		sum += (u32)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (u32)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)~sum;
}

static bool csum_eq(__sum16 x, __sum16 y)
{
	bool xz = x == 0 || x == 0xffff, yz = y == 0 || y == 0xffff;

	return x == y || (xz && yz);
}

static u64 rng = 0x9e3779b97f4a7c15ULL;
static u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (u32)(rng >> 11);
}

/* RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static void test_rfc1071_example(void **state)
{
	static const u8 data[] = { 0x00, 0x01, 0xf2, 0x03,
				   0xf4, 0xf5, 0xf6, 0xf7 };
	__sum16 c = csum_fold(csum_partial(data, sizeof(data), 0));

	assert_int_equal(ntohs(c), (u16)~0xddf2);
	assert_int_equal(ntohs(c), ref_csum(data, sizeof(data)));
	sl_assert_no_leaks();
}

/* A real IPv4 header: the checksum field b861 verifies, and is recomputed. */
static void test_ipv4_header(void **state)
{
	u8 iph[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
		       0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
		       0xc0, 0xa8, 0x00, 0xc7 };
	__sum16 c;

	assert_int_equal(ip_fast_csum(iph, 5), 0);
	iph[10] = iph[11] = 0;
	c = ip_fast_csum(iph, 5);
	memcpy(&iph[10], &c, 2);
	assert_int_equal(iph[10], 0xb8);
	assert_int_equal(iph[11], 0x61);
	/* One bit flipped: no longer verifies. */
	iph[8] ^= 1;
	assert_int_not_equal(ip_fast_csum(iph, 5), 0);
	sl_assert_no_leaks();
}

/* Every length 0..300 at every alignment 0..7 matches the reference. */
static void test_odd_lengths_and_alignment(void **state)
{
	u8 buf[320];
	size_t len, off;
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (u8)rnd();
	for (off = 0; off < 8; off++)
		for (len = 0; len <= 300; len++)
			assert_int_equal(ntohs(csum_fold(csum_partial(buf + off, len, 0))),
					 ref_csum(buf + off, len));
	/* All 0xff bytes: carries on every word. */
	memset(buf, 0xff, sizeof(buf));
	for (len = 0; len <= 300; len++)
		assert_int_equal(ntohs(csum_fold(csum_partial(buf, len, 0))),
				 ref_csum(buf, len));
	sl_assert_no_leaks();
}

/* Random buffers up to 64 KiB against the reference. */
static void test_random_vs_reference(void **state)
{
	size_t max = 65536 + 7;
	u8 *buf = malloc(max);
	int round;

	assert_non_null(buf);
	for (round = 0; round < 200; round++) {
		size_t len = rnd() % 65536, off = rnd() % 8, i;

		for (i = 0; i < len; i++)
			buf[off + i] = (u8)rnd();
		assert_int_equal(ntohs(csum_fold(csum_partial(buf + off, len, 0))),
				 ref_csum(buf + off, len));
	}
	free(buf);
	sl_assert_no_leaks();
}

/* Copying folds the same sum and copies the bytes. */
static void test_partial_copy(void **state)
{
	u8 src[2000], dst[2000];
	size_t len;

	for (len = 0; len < sizeof(src); len++)
		src[len] = (u8)rnd();
	for (len = 0; len < 1100; len += 1 + len / 8) {
		memset(dst, 0, sizeof(dst));
		assert_int_equal(csum_fold(csum_partial_copy(src + 1, dst + 3, len, 0)),
				 csum_fold(csum_partial(src + 1, len, 0)));
		assert_memory_equal(dst + 3, src + 1, len);
	}
	sl_assert_no_leaks();
}

/* A buffer summed in two blocks (odd split) equals the whole sum. */
static void test_block_add_and_sub(void **state)
{
	u8 buf[999];
	int split;

	for (split = 0; split < (int)sizeof(buf); split++)
		buf[split] = (u8)rnd();
	for (split = 0; split < (int)sizeof(buf); split += 7) {
		__wsum a = csum_partial(buf, (size_t)split, 0);
		__wsum b = csum_partial(buf + split, sizeof(buf) - (size_t)split, 0);
		__wsum whole = csum_partial(buf, sizeof(buf), 0);

		assert_int_equal(csum_fold(csum_block_add(a, b, split)),
				 csum_fold(whole));
		/* Removing the second block gives back the first (0x0000
		 * and 0xffff are both zero in one's complement). */
		assert_true(csum_eq(csum_fold(csum_sub(csum_block_add(a, b, split),
						       split & 1 ? (b >> 8 | b << 24) : b)),
				    csum_fold(a)));
	}
	assert_int_equal(csum_add(0xffffffffu, 1), 1);
	sl_assert_no_leaks();
}

/* The pseudo header sum equals summing a built pseudo header. */
static void test_tcpudp_pseudo_header(void **state)
{
	u8 pkt[12 + 41];
	__be32 saddr = inet_addr("10.0.0.1"), daddr = inet_addr("192.168.7.200");
	u16 ulen = 41;
	int i;

	memcpy(pkt, &saddr, 4);
	memcpy(pkt + 4, &daddr, 4);
	pkt[8] = 0;
	pkt[9] = 17;
	pkt[10] = (u8)(ulen >> 8);
	pkt[11] = (u8)ulen;
	for (i = 0; i < 41; i++)
		pkt[12 + i] = (u8)rnd();
	assert_int_equal(ntohs(csum_tcpudp_magic(saddr, daddr, ulen, 17,
						 csum_partial(pkt + 12, ulen, 0))),
			 ref_csum(pkt, sizeof(pkt)));
	sl_assert_no_leaks();
}

/* RFC 1624 incremental updates equal recomputation. */
static void test_csum_replace(void **state)
{
	u8 iph[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
		       0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
		       0xc0, 0xa8, 0x00, 0xc7 };
	__sum16 c = ip_fast_csum(iph, 5), fresh;
	__be16 old16, new16;
	__be32 old32, new32;
	int round;

	memcpy(&iph[10], &c, 2);
	for (round = 0; round < 1000; round++) {
		/* TTL/protocol word */
		memcpy(&old16, &iph[8], 2);
		new16 = (__be16)rnd();
		memcpy(&iph[8], &new16, 2);
		csum_replace2(&c, old16, new16);
		/* source address */
		memcpy(&old32, &iph[12], 4);
		new32 = rnd();
		memcpy(&iph[12], &new32, 4);
		csum_replace4(&c, old32, new32);

		memcpy(&iph[10], &c, 2);
		assert_int_equal(ip_fast_csum(iph, 5), 0);
		iph[10] = iph[11] = 0;
		fresh = ip_fast_csum(iph, 5);
		/* 0x0000 and 0xffff are the same in one's complement. */
		assert_true(csum_eq(fresh, c));
		memcpy(&iph[10], &c, 2);
	}
	sl_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_odd_lengths_and_alignment),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_partial_copy),
		cmocka_unit_test(test_block_add_and_sub),
		cmocka_unit_test(test_tcpudp_pseudo_header),
		cmocka_unit_test(test_csum_replace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
