/*
 * Tests for src/core/iov.c: copies across iovec segments (including empty
 * ones), advancing, the checksum folded into the copy, and put_cmsg's
 * truncation rules (Linux's).
 */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "sl_test.h"
#include "sl/checksum.h"
#include "sl/uio.h"

static void fill(u8 *p, size_t n, u8 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(seed + i * 7);
}

static void test_copy_from_across_segments(void **state)
{
	u8 a[3], b[1], c[10], out[32];
	u8 src[14];
	struct iovec iov[4] = {
		{ a, sizeof(a) }, { NULL, 0 }, { b, sizeof(b) }, { c, sizeof(c) },
	};
	struct iov_iter it;

	fill(a, 3, 1);
	fill(b, 1, 50);
	fill(c, 10, 90);
	memcpy(src, a, 3);
	memcpy(src + 3, b, 1);
	memcpy(src + 4, c, 10);

	iov_iter_init(&it, iov, 4, 14);
	assert_int_equal(copy_from_iter(out, 5, &it), 5);
	assert_memory_equal(out, src, 5);
	assert_int_equal(iov_iter_count(&it), 9);
	/* Asking for more than is left copies what is left. */
	assert_int_equal(copy_from_iter(out + 5, 100, &it), 9);
	assert_memory_equal(out, src, 14);
	assert_int_equal(iov_iter_count(&it), 0);
	assert_int_equal(copy_from_iter(out, 1, &it), 0);
	sl_assert_no_leaks();
}

static void test_copy_to_and_advance(void **state)
{
	u8 a[4] = { 0 }, b[6] = { 0 }, src[10];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iov_iter it;

	fill(src, sizeof(src), 3);
	iov_iter_init(&it, iov, 2, 10);
	iov_iter_advance(&it, 3);
	assert_int_equal(iov_iter_count(&it), 7);
	assert_int_equal(copy_to_iter(src, 5, &it), 5);
	assert_int_equal(a[3], src[0]);
	assert_memory_equal(b, src + 1, 4);
	assert_int_equal(a[0], 0);
	/* count limits the copy even when the segments are longer */
	iov_iter_init(&it, iov, 2, 2);
	assert_int_equal(copy_to_iter(src, 10, &it), 2);
	sl_assert_no_leaks();
}

/* The folded sum of a scattered copy equals the sum of the flat bytes,
 * whatever the (odd) segment boundaries. */
static void test_csum_and_copy(void **state)
{
	u8 flat[101], seg[101], out[101];
	size_t cut1, cut2;

	fill(flat, sizeof(flat), 11);
	memcpy(seg, flat, sizeof(flat));
	for (cut1 = 0; cut1 < 20; cut1++) {
		for (cut2 = cut1; cut2 < 40; cut2 += 3) {
			struct iovec iov[3] = {
				{ seg, cut1 },
				{ seg + cut1, cut2 - cut1 },
				{ seg + cut2, sizeof(seg) - cut2 },
			};
			struct iov_iter it;
			__wsum sum = 0;

			iov_iter_init(&it, iov, 3, sizeof(seg));
			memset(out, 0, sizeof(out));
			assert_int_equal(csum_and_copy_from_iter(out, sizeof(out), &sum, &it),
					 sizeof(out));
			assert_memory_equal(out, flat, sizeof(flat));
			assert_int_equal(csum_fold(sum),
					 csum_fold(csum_partial(flat, sizeof(flat), 0)));

			iov_iter_init(&it, iov, 3, sizeof(seg));
			sum = 0;
			assert_int_equal(csum_and_copy_to_iter(flat, sizeof(flat), &sum, &it),
					 sizeof(flat));
			assert_int_equal(csum_fold(sum),
					 csum_fold(csum_partial(flat, sizeof(flat), 0)));
		}
	}
	sl_assert_no_leaks();
}

static void test_memcpy_from_msg(void **state)
{
	u8 a[4] = { 1, 2, 3, 4 }, out[8];
	struct iovec iov = { a, sizeof(a) };
	struct sl_msghdr msg = { 0 };

	iov_iter_init(&msg.msg_iter, &iov, 1, sizeof(a));
	assert_int_equal(memcpy_from_msg(out, &msg, 3), 0);
	assert_int_equal(memcpy_from_msg(out, &msg, 3), -14);
	sl_assert_no_leaks();
}

static void test_put_cmsg(void **state)
{
	union {
		char buf[CMSG_SPACE(sizeof(int)) * 2 + 8];
		struct cmsghdr align;
	} u;
	struct sl_msghdr msg = { 0 };
	struct cmsghdr *cm;
	int ttl = 64, tos = 0x10, v;

	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	assert_int_equal(put_cmsg(&msg, IPPROTO_IP, IP_TTL, sizeof(ttl), &ttl), 0);
	assert_int_equal(msg.msg_controlused, CMSG_SPACE(sizeof(int)));
	assert_int_equal(msg.msg_flags & MSG_CTRUNC, 0);
	cm = (struct cmsghdr *)u.buf;
	assert_int_equal(cm->cmsg_len, CMSG_LEN(sizeof(int)));
	assert_int_equal(cm->cmsg_level, IPPROTO_IP);
	assert_int_equal(cm->cmsg_type, IP_TTL);
	memcpy(&v, CMSG_DATA(cm), sizeof(v));
	assert_int_equal(v, 64);

	/* Second fits too. */
	assert_int_equal(put_cmsg(&msg, IPPROTO_IP, IP_TOS, sizeof(tos), &tos), 0);
	assert_int_equal(msg.msg_controlused, 2 * CMSG_SPACE(sizeof(int)));
	/* 8 bytes left: less than a header, only MSG_CTRUNC. */
	assert_int_equal(put_cmsg(&msg, IPPROTO_IP, IP_TTL, sizeof(ttl), &ttl), 0);
	assert_true(msg.msg_flags & MSG_CTRUNC);
	assert_int_equal(msg.msg_controlused, 2 * CMSG_SPACE(sizeof(int)));

	/* Room for the header and part of the data: truncated message. */
	memset(&msg, 0, sizeof(msg));
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(struct cmsghdr) + 2;
	assert_int_equal(put_cmsg(&msg, IPPROTO_IP, IP_TTL, sizeof(ttl), &ttl), 0);
	assert_true(msg.msg_flags & MSG_CTRUNC);
	assert_int_equal(cm->cmsg_len, sizeof(struct cmsghdr) + 2);
	assert_int_equal(msg.msg_controllen, 0);

	/* No buffer at all. */
	memset(&msg, 0, sizeof(msg));
	assert_int_equal(put_cmsg(&msg, IPPROTO_IP, IP_TTL, sizeof(ttl), &ttl), 0);
	assert_true(msg.msg_flags & MSG_CTRUNC);
	sl_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_from_across_segments),
		cmocka_unit_test(test_copy_to_and_advance),
		cmocka_unit_test(test_csum_and_copy),
		cmocka_unit_test(test_memcpy_from_msg),
		cmocka_unit_test(test_put_cmsg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
