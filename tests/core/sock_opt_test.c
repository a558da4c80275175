/*
 * SOL_SOCKET options (src/core/sock_opt.c): round trips with Linux's
 * doubling, clamping and minimums, flags normalised to 0/1, timeouts
 * (and their effect on a virtual clock), linger, bind-to-device, and
 * getsockopt's truncation of a short buffer.
 */
#include <limits.h>
#include <net/if.h>
#include <sys/time.h>

#include "sl/net_namespace.h"
#include "sl/skbuff.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/types.h"
#include "../socket/sock_test_util.h"

static struct one_stack st;
static int fd;

static int setup(void **state)
{
	one_stack_setup(&st, SL_NET_POLLED);
	fd = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	return 0;
}

static int teardown(void **state)
{
	sl_close(fd);
	one_stack_teardown(&st);
	return 0;
}

static int set_int(int name, int v)
{
	return sl_setsockopt(fd, SOL_SOCKET, name, &v, sizeof(v));
}

static int get_int(int name)
{
	socklen_t len = sizeof(int);
	int v = -12345;

	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, name, &v, &len), 0);
	assert_int_equal(len, sizeof(int));
	return v;
}

static void test_rcvbuf(void **state)
{
	/* Default: net.core.rmem_default. */
	assert_int_equal(get_int(SO_RCVBUF), 212992);
	assert_int_equal(set_int(SO_RCVBUF, 10000), 0);
	assert_int_equal(get_int(SO_RCVBUF), 20000);
	/* Minimum SOCK_MIN_RCVBUF. */
	assert_int_equal(set_int(SO_RCVBUF, 1), 0);
	assert_int_equal(get_int(SO_RCVBUF), 2304);
	/* Clamped to net.core.rmem_max, then doubled; negative = huge. */
	assert_int_equal(set_int(SO_RCVBUF, 1 << 30), 0);
	assert_int_equal(get_int(SO_RCVBUF), 2 * 212992);
	assert_int_equal(set_int(SO_RCVBUF, -1), 0);
	assert_int_equal(get_int(SO_RCVBUF), 2 * 212992);
	assert_int_equal(sl_sysctl_set(st.net, "net.core.rmem_max", "1000000"), 0);
	assert_int_equal(set_int(SO_RCVBUF, 1 << 30), 0);
	assert_int_equal(get_int(SO_RCVBUF), 2000000);
	/* FORCE ignores rmem_max; negative becomes 0 -> the minimum. */
	assert_int_equal(set_int(SO_RCVBUFFORCE, 4 << 20), 0);
	assert_int_equal(get_int(SO_RCVBUF), 8 << 20);
	assert_int_equal(set_int(SO_RCVBUFFORCE, -5), 0);
	assert_int_equal(get_int(SO_RCVBUF), 2304);
	/* INT_MAX / 2 keeps the doubling positive. */
	assert_int_equal(set_int(SO_RCVBUFFORCE, INT_MAX), 0);
	assert_int_equal(get_int(SO_RCVBUF), (INT_MAX / 2) * 2);
}

static void test_sndbuf(void **state)
{
	assert_int_equal(get_int(SO_SNDBUF), 212992);
	assert_int_equal(set_int(SO_SNDBUF, 10000), 0);
	assert_int_equal(get_int(SO_SNDBUF), 20000);
	assert_int_equal(set_int(SO_SNDBUF, 0), 0);
	assert_int_equal(get_int(SO_SNDBUF), 4608);
	assert_int_equal(set_int(SO_SNDBUF, 1 << 30), 0);
	assert_int_equal(get_int(SO_SNDBUF), 2 * 212992);
	assert_int_equal(set_int(SO_SNDBUFFORCE, 1 << 20), 0);
	assert_int_equal(get_int(SO_SNDBUF), 2 << 20);
}

static void test_flags_round_trip(void **state)
{
	static const int opts[] = { SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE,
				    SO_BROADCAST, SO_DONTROUTE, SO_OOBINLINE,
				    SO_DEBUG, SO_RXQ_OVFL, SO_SELECT_ERR_QUEUE };

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		assert_int_equal(get_int(opts[i]), 0);
		assert_int_equal(set_int(opts[i], 5), 0);
		assert_int_equal(get_int(opts[i]), 1);
		assert_int_equal(set_int(opts[i], 0), 0);
		assert_int_equal(get_int(opts[i]), 0);
	}
}

static void test_int_values(void **state)
{
	assert_int_equal(set_int(SO_PRIORITY, 7), 0);
	assert_int_equal(get_int(SO_PRIORITY), 7);
	assert_int_equal(set_int(SO_MARK, 0x1234), 0);
	assert_int_equal(get_int(SO_MARK), 0x1234);
	/* SO_RCVLOWAT: 0 means 1, negative means INT_MAX. */
	assert_int_equal(get_int(SO_RCVLOWAT), 1);
	assert_int_equal(set_int(SO_RCVLOWAT, 10), 0);
	assert_int_equal(get_int(SO_RCVLOWAT), 10);
	assert_int_equal(set_int(SO_RCVLOWAT, 0), 0);
	assert_int_equal(get_int(SO_RCVLOWAT), 1);
	assert_int_equal(set_int(SO_RCVLOWAT, -1), 0);
	assert_int_equal(get_int(SO_RCVLOWAT), INT_MAX);
	/* SO_SNDLOWAT reads 1 and cannot be set (1003.1g 7). */
	assert_int_equal(get_int(SO_SNDLOWAT), 1);
	assert_errno(set_int(SO_SNDLOWAT, 5), ENOPROTOOPT);
	/* Read-only facts. */
	assert_int_equal(get_int(SO_TYPE), SOCK_DGRAM);
	assert_int_equal(get_int(SO_PROTOCOL), IPPROTO_UDP);
	assert_int_equal(get_int(SO_DOMAIN), AF_INET);
	assert_int_equal(get_int(SO_ACCEPTCONN), 0);
	assert_int_equal(get_int(SO_ERROR), 0);
	/* SO_PEEK_OFF is not offered. */
	assert_errno(set_int(SO_PEEK_OFF, 0), EOPNOTSUPP);
}

static void test_timestamp_flags(void **state)
{
	assert_int_equal(set_int(SO_TIMESTAMPNS, 1), 0);
	assert_int_equal(get_int(SO_TIMESTAMPNS), 1);
	assert_int_equal(get_int(SO_TIMESTAMP), 0);
	assert_int_equal(set_int(SO_TIMESTAMP, 1), 0);
	assert_int_equal(get_int(SO_TIMESTAMP), 1);
	assert_int_equal(get_int(SO_TIMESTAMPNS), 0);
	assert_int_equal(set_int(SO_TIMESTAMP, 0), 0);
	assert_int_equal(get_int(SO_TIMESTAMP), 0);
}

static void get_tv(int name, struct timeval *tv)
{
	socklen_t len = sizeof(*tv);

	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, name, tv, &len), 0);
	assert_int_equal(len, sizeof(*tv));
}

static void test_timeouts(void **state)
{
	struct timeval tv = { .tv_sec = 1, .tv_usec = 500000 }, out;
	struct sockaddr_in sin = sl_sin("127.0.0.1", 3000);
	uint64_t t0;
	char buf[4];

	get_tv(SO_RCVTIMEO, &out);
	assert_int_equal(out.tv_sec, 0); /* forever reads as zero */
	assert_int_equal(out.tv_usec, 0);
	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
				       sizeof(tv)), 0);
	get_tv(SO_SNDTIMEO, &out);
	assert_int_equal(out.tv_sec, 1);
	assert_int_equal(out.tv_usec, 500000);

	/* A receive timeout runs on the stack's virtual clock. */
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	tv = (struct timeval){ .tv_sec = 0, .tv_usec = 50000 };
	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				       sizeof(tv)), 0);
	t0 = sl_clock_now_ns(st.clk);
	assert_errno(sl_recv(fd, buf, sizeof(buf), 0), EAGAIN);
	assert_int_equal(sl_clock_now_ns(st.clk) - t0, 50000000ULL);

	/* A negative timeout means "don't wait" (and reads back as 0). */
	tv = (struct timeval){ .tv_sec = -1, .tv_usec = 0 };
	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				       sizeof(tv)), 0);
	t0 = sl_clock_now_ns(st.clk);
	assert_errno(sl_recv(fd, buf, sizeof(buf), 0), EAGAIN);
	assert_int_equal(sl_clock_now_ns(st.clk), t0);
}

static void test_linger(void **state)
{
	struct linger l = { .l_onoff = 1, .l_linger = 5 }, out;
	socklen_t len = sizeof(out);

	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_LINGER, &l,
				       sizeof(l)), 0);
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_LINGER, &out, &len),
			 0);
	assert_int_equal(len, sizeof(out));
	assert_int_equal(out.l_onoff, 1);
	assert_int_equal(out.l_linger, 5);
	/* Turning it off keeps the time (Linux only clears the flag). */
	l.l_onoff = 0;
	l.l_linger = 9;
	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_LINGER, &l,
				       sizeof(l)), 0);
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_LINGER, &out, &len),
			 0);
	assert_int_equal(out.l_onoff, 0);
	assert_int_equal(out.l_linger, 5);
	assert_errno(sl_setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, 4), EINVAL);
}

static void test_bindtodevice(void **state)
{
	char name[IFNAMSIZ];
	socklen_t len = sizeof(name);
	int lo = sl_link_index(st.net, "lo");

	/* Unbound: length 0. */
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
				       &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo",
				       3), 0);
	assert_int_equal(get_int(SO_BINDTOIFINDEX), lo);
	len = sizeof(name);
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
				       &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(name, "lo");
	/* Reading it needs IFNAMSIZ bytes of room. */
	len = 4;
	assert_errno(sl_getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len),
		     EINVAL);
	/* "" unbinds. */
	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "", 1),
			 0);
	assert_int_equal(get_int(SO_BINDTOIFINDEX), 0);
	assert_int_equal(set_int(SO_BINDTOIFINDEX, lo), 0);
	assert_int_equal(get_int(SO_BINDTOIFINDEX), lo);
	/* As Linux, an index is not checked (only names are). */
	assert_int_equal(set_int(SO_BINDTOIFINDEX, 999), 0);
	assert_int_equal(get_int(SO_BINDTOIFINDEX), 999);
	assert_errno(set_int(SO_BINDTOIFINDEX, -1), EINVAL);
}

static void test_getsockopt_truncates(void **state)
{
	unsigned char b[4] = { 0xee, 0xee, 0xee, 0xee };
	socklen_t len = 1;

	/* A short buffer gets the first bytes of the value, no error. */
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_TYPE, b, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(b[0], SOCK_DGRAM);
	assert_int_equal(b[1], 0xee);
	len = 0;
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_TYPE, b, &len), 0);
	assert_int_equal(len, 0);
}

/* sock_recv_timestamp: the cmsg a receive path appends for SO_TIMESTAMP(NS). */
static void test_recv_timestamp_cmsg(void **state)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct sl_msghdr msg = { 0 };
	struct socket *sock;
	struct cmsghdr *cm;
	struct sk_buff *skb;
	struct timespec ts;
	struct timeval tv;
	int err;

	sock = sockfd_lookup(fd, &err);
	assert_non_null(sock);
	skb = alloc_skb(st.net, 64);
	assert_non_null(skb);
	skb->tstamp = 3 * NSEC_PER_SEC + 4567;

	/* Not asked for: nothing. */
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	sock_recv_timestamp(&msg, sock->sk, skb);
	assert_int_equal(msg.msg_controlused, 0);

	assert_int_equal(set_int(SO_TIMESTAMPNS, 1), 0);
	sock_recv_timestamp(&msg, sock->sk, skb);
	cm = (struct cmsghdr *)ctl.buf;
	assert_int_equal(cm->cmsg_level, SOL_SOCKET);
	assert_int_equal(cm->cmsg_type, SO_TIMESTAMPNS);
	memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
	assert_int_equal(ts.tv_sec, 3);
	assert_int_equal(ts.tv_nsec, 4567);

	assert_int_equal(set_int(SO_TIMESTAMP, 1), 0);
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	msg.msg_controlused = 0;
	sock_recv_timestamp(&msg, sock->sk, skb);
	assert_int_equal(cm->cmsg_type, SO_TIMESTAMP);
	memcpy(&tv, CMSG_DATA(cm), sizeof(tv));
	assert_int_equal(tv.tv_sec, 3);
	assert_int_equal(tv.tv_usec, 4);
	consume_skb(skb);
	sockfd_put(sock);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rcvbuf),
		T(test_sndbuf),
		T(test_flags_round_trip),
		T(test_int_values),
		T(test_timestamp_flags),
		T(test_timeouts),
		T(test_linger),
		T(test_bindtodevice),
		T(test_getsockopt_truncates),
		T(test_recv_timestamp_cmsg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
