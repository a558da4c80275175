/*
 * Helpers for the datagram-socket tests (tests/ipv4/udp_test.c,
 * icmp_test.c, ping_test.c, raw_test.c, ip_sockglue_test.c): sockets
 * through the public API on the two-stack pair of sl_test.h.
 */
#ifndef SL_TESTS_DGRAM_TEST_UTIL_H
#define SL_TESTS_DGRAM_TEST_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sl_test.h"

#define NSEC 1000000000ULL
#define MSEC 1000000ULL

static inline uint64_t ctr(sl_net_t *net, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(sl_snmp_get(net, name, &v), 0);
	return v;
}

static inline int udp_sock(sl_net_t *net)
{
	int fd = sl_socket_net(net, AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	return fd;
}

static inline int udp_bound(sl_net_t *net, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);
	int fd = udp_sock(net);

	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static inline int try_bind(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);

	return sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ? -errno : 0;
}

static inline ssize_t send_to(int fd, const void *buf, size_t len,
			      const char *ip, uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);
	ssize_t n = sl_sendto(fd, buf, len, 0, (struct sockaddr *)&sin,
			      sizeof(sin));

	return n < 0 ? -errno : n;
}

static inline ssize_t recv_nb(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = sl_recv(fd, buf, len, flags | MSG_DONTWAIT);

	return n < 0 ? -errno : n;
}

static inline uint16_t local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(sl_getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

static inline int set_int(int fd, int level, int name, int val)
{
	return sl_setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

#endif
