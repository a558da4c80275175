/*
 * Helpers for the socket-layer tests: one polled stack on a virtual clock
 * (loopback only), made current for sl_socket().
 */
#ifndef SOCK_TEST_UTIL_H
#define SOCK_TEST_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sl_test.h"

struct one_stack {
	sl_clock_t *clk;
	sl_net_t *net;
};

static inline void one_stack_setup(struct one_stack *s, enum sl_net_mode mode)
{
	struct sl_net_config c = { 0 };

	s->clk = sl_clock_new(true);
	assert_non_null(s->clk);
	c.name = "t";
	c.mode = mode;
	c.clock = s->clk;
	c.seed = 7;
	s->net = sl_net_create(&c);
	assert_non_null(s->net);
	assert_int_equal(sl_net_enter(s->net), 0);
}

static inline void one_stack_teardown(struct one_stack *s)
{
	sl_net_destroy(s->net);
	sl_clock_free(s->clk);
	sl_assert_no_leaks();
}

/* Expect a call to fail with @err. */
#define assert_errno(call, err)                      \
	do {                                         \
		errno = 0;                           \
		assert_int_equal((long)(call), -1);  \
		assert_int_equal(errno, (err));      \
	} while (0)

static inline int udp_bound(const char *ip, uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);
	int fd = sl_socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static inline uint16_t local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(sl_getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

#endif
