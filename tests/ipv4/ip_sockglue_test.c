/*
 * IPPROTO_IP socket options and control messages
 * (src/ipv4/ip_sockglue.c): values and errors as Linux's.
 */
#include <time.h>
#include <linux/errqueue.h>

#include "dgram_test_util.h"

static int get_int(int fd, int name, int *val)
{
	socklen_t len = sizeof(*val);

	return sl_getsockopt(fd, SOL_IP, name, val, &len) ? -errno : (int)len;
}

static void test_ttl_tos_options(void **state)
{
	struct sl_pair p;
	unsigned char c;
	socklen_t len;
	int fd, v;

	(void)state;
	sl_pair_setup(&p, NULL);
	fd = udp_sock(p.a);
	assert_int_equal(get_int(fd, IP_TTL, &v), 4);
	assert_int_equal(v, 64);
	assert_int_equal(set_int(fd, SOL_IP, IP_TTL, 33), 0);
	assert_int_equal(get_int(fd, IP_TTL, &v), 4);
	assert_int_equal(v, 33);
	assert_int_equal(set_int(fd, SOL_IP, IP_TTL, 0), -EINVAL);
	assert_int_equal(set_int(fd, SOL_IP, IP_TTL, 256), -EINVAL);
	assert_int_equal(set_int(fd, SOL_IP, IP_TTL, -1), 0);
	assert_int_equal(get_int(fd, IP_TTL, &v), 4);
	assert_int_equal(v, 64);
	assert_int_equal(sl_setsockopt(fd, SOL_IP, IP_TTL, &v, 0), -1);
	assert_int_equal(errno, EINVAL);
	/* A one-byte value is accepted, and read back as one byte. */
	c = 20;
	assert_int_equal(sl_setsockopt(fd, SOL_IP, IP_TTL, &c, 1), 0);
	c = 0;
	len = 1;
	assert_int_equal(sl_getsockopt(fd, SOL_IP, IP_TTL, &c, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(c, 20);

	assert_int_equal(set_int(fd, SOL_IP, IP_TOS, 0x10), 0);
	assert_int_equal(get_int(fd, IP_TOS, &v), 4);
	assert_int_equal(v, 0x10);
	/* Unknown option, IP_HDRINCL outside raw sockets. */
	assert_int_equal(set_int(fd, SOL_IP, 9999, 1), -ENOPROTOOPT);
	assert_int_equal(get_int(fd, 9999, &v), -ENOPROTOOPT);
	assert_int_equal(set_int(fd, SOL_IP, IP_HDRINCL, 1), -ENOPROTOOPT);
	/* IP_MTU_DISCOVER range. */
	assert_int_equal(set_int(fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_OMIT),
			 0);
	assert_int_equal(set_int(fd, SOL_IP, IP_MTU_DISCOVER, 6), -EINVAL);
	/* IP_OPTIONS: clearing works, setting is not supported. */
	assert_int_equal(sl_setsockopt(fd, SOL_IP, IP_OPTIONS, NULL, 0), 0);
	sl_close(fd);
	sl_pair_teardown(&p);
}

static void test_mtu_and_pmtudisc(void **state)
{
	struct sockaddr_in peer = sl_sin("10.0.0.2", 7001);
	static char big[2000];
	struct sl_pair p;
	int fa, fb, v;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_sock(p.a);
	fb = udp_bound(p.b, "0.0.0.0", 7001);
	assert_int_equal(get_int(fa, IP_MTU, &v), -ENOTCONN);
	assert_int_equal(sl_connect(fa, (struct sockaddr *)&peer, sizeof(peer)),
			 0);
	assert_int_equal(get_int(fa, IP_MTU, &v), 4);
	assert_int_equal(v, 1500);
	/* Linux's default (WANT): bigger datagrams are fragmented. */
	assert_int_equal(get_int(fa, IP_MTU_DISCOVER, &v), 4);
	assert_int_equal(v, IP_PMTUDISC_WANT);
	assert_int_equal(sl_send(fa, big, sizeof(big), 0), sizeof(big));
	/* DO: refused above the path MTU. */
	assert_int_equal(set_int(fa, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO),
			 0);
	assert_int_equal(sl_send(fa, big, sizeof(big), 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(sl_send(fa, big, 1472, 0), 1472);
	assert_int_equal(sl_send(fa, big, 1473, 0), -1);
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(fb, big, sizeof(big), 0), sizeof(big));
	assert_int_equal(recv_nb(fb, big, sizeof(big), 0), 1472);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

/* IP_RECVTTL, IP_RECVTOS and IP_PKTINFO on receive; IP_TTL on send. */
static void test_recv_cmsgs(void **state)
{
	char data[16], cbuf[256];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct sockaddr_in dst = sl_sin("10.0.0.2", 7002);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} out;
	struct msghdr smsg = { 0 };
	struct iovec siov = { "ttl", 3 };
	struct in_pktinfo info;
	struct cmsghdr *cm;
	struct sl_pair p;
	int fa, fb, ttl = -1, tos = -1, seen = 0;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_sock(p.a);
	fb = udp_bound(p.b, "0.0.0.0", 7002);
	assert_int_equal(set_int(fb, SOL_IP, IP_RECVTTL, 1), 0);
	assert_int_equal(set_int(fb, SOL_IP, IP_RECVTOS, 1), 0);
	assert_int_equal(set_int(fb, SOL_IP, IP_PKTINFO, 1), 0);
	assert_int_equal(set_int(fa, SOL_IP, IP_TOS, 0x20), 0);

	/* IP_TTL as a sendmsg control message overrides the socket's. */
	memset(&out, 0, sizeof(out));
	smsg.msg_name = &dst;
	smsg.msg_namelen = sizeof(dst);
	smsg.msg_iov = &siov;
	smsg.msg_iovlen = 1;
	smsg.msg_control = out.buf;
	smsg.msg_controllen = sizeof(out.buf);
	cm = CMSG_FIRSTHDR(&smsg);
	cm->cmsg_level = SOL_IP;
	cm->cmsg_type = IP_TTL;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	ttl = 17;
	memcpy(CMSG_DATA(cm), &ttl, sizeof(int));
	assert_int_equal(sl_sendmsg(fa, &smsg, 0), 3);
	sl_pair_settle(&p);

	assert_int_equal(sl_recvmsg(fb, &msg, MSG_DONTWAIT), 3);
	ttl = -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		assert_int_equal(cm->cmsg_level, SOL_IP);
		if (cm->cmsg_type == IP_TTL) {
			memcpy(&ttl, CMSG_DATA(cm), sizeof(int));
			seen |= 1;
		} else if (cm->cmsg_type == IP_TOS) {
			tos = *(unsigned char *)CMSG_DATA(cm);
			seen |= 2;
		} else if (cm->cmsg_type == IP_PKTINFO) {
			memcpy(&info, CMSG_DATA(cm), sizeof(info));
			seen |= 4;
		}
	}
	assert_int_equal(seen, 7);
	assert_int_equal(ttl, 17);
	assert_int_equal(tos, 0x20);
	assert_int_equal(info.ipi_addr.s_addr, inet_addr("10.0.0.2"));
	assert_int_equal(info.ipi_spec_dst.s_addr, inet_addr("10.0.0.2"));
	assert_int_equal(info.ipi_ifindex, p.ifindex_b);
	/* A bad send cmsg is refused. */
	ttl = 0;
	cm = CMSG_FIRSTHDR(&smsg);
	memcpy(CMSG_DATA(cm), &ttl, sizeof(int));
	assert_int_equal(sl_sendmsg(fa, &smsg, 0), -1);
	assert_int_equal(errno, EINVAL);
	sl_close(fa);
	sl_close(fb);
	sl_pair_teardown(&p);
}

/* IP_RECVERR: an unconnected socket reads the error from its queue. */
static void test_recverr_queue(void **state)
{
	char data[16], cbuf[256];
	struct sockaddr_in name;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_name = &name, .msg_namelen = sizeof(name),
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct {
		struct sock_extended_err ee;
		struct sockaddr_in offender;
	} e;
	struct cmsghdr *cm;
	struct sl_pair p;
	int fa;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_sock(p.a);
	assert_int_equal(set_int(fa, SOL_IP, IP_RECVERR, 1), 0);
	assert_int_equal(sl_recvmsg(fa, &msg, MSG_ERRQUEUE | MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(send_to(fa, "lost", 4, "10.0.0.2", 9), 4);
	sl_pair_settle(&p);
	{
		struct pollfd pfd = { .fd = fa, .events = POLLIN };

		assert_int_equal(sl_poll(&pfd, 1, 0), 1);
		assert_true(pfd.revents & POLLERR);
	}
	assert_int_equal(sl_recvmsg(fa, &msg, MSG_ERRQUEUE | MSG_DONTWAIT), 4);
	assert_memory_equal(data, "lost", 4);
	assert_true(msg.msg_flags & MSG_ERRQUEUE);
	assert_int_equal(name.sin_addr.s_addr, inet_addr("10.0.0.2"));
	assert_int_equal(ntohs(name.sin_port), 9);
	cm = CMSG_FIRSTHDR(&msg);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_type, IP_RECVERR);
	memcpy(&e, CMSG_DATA(cm), sizeof(e));
	assert_int_equal(e.ee.ee_errno, ECONNREFUSED);
	assert_int_equal(e.ee.ee_origin, SO_EE_ORIGIN_ICMP);
	assert_int_equal(e.ee.ee_type, 3);
	assert_int_equal(e.ee.ee_code, 3);
	assert_int_equal(e.offender.sin_addr.s_addr, inet_addr("10.0.0.2"));
	/* Reading the queue cleared the pending error. */
	assert_int_equal(recv_nb(fa, data, sizeof(data), 0), -EAGAIN);
	sl_close(fa);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_tos_options),
		cmocka_unit_test(test_mtu_and_pmtudisc),
		cmocka_unit_test(test_recv_cmsgs),
		cmocka_unit_test(test_recverr_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
