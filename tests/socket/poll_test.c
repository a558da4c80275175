/*
 * poll(2) (src/socket/poll.c): masks from datagram_poll, POLLNVAL for
 * fds that are not sockline's, waiting across two stacks on one virtual
 * clock, timeouts measured on that clock, a wakeup from another thread
 * (threaded stack), and POLLERR/POLLHUP reported unasked.
 */
#include <pthread.h>

#include "sock_test_util.h"

#define MS 1000000ULL

static void test_masks_and_nval(void **state)
{
	struct one_stack s;
	struct pollfd pfd[3];
	int fd;

	one_stack_setup(&s, SL_NET_POLLED);
	fd = udp_bound("127.0.0.1", 5000);
	pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	pfd[1] = (struct pollfd){ .fd = 777, .events = POLLIN };
	pfd[2] = (struct pollfd){ .fd = -1, .events = POLLIN };
	assert_int_equal(sl_poll(pfd, 3, 0), 2);
	assert_int_equal(pfd[0].revents, POLLOUT);  /* writable, nothing to read */
	assert_int_equal(pfd[1].revents, POLLNVAL); /* not a sockline fd */
	assert_int_equal(pfd[2].revents, 0);        /* negative: ignored */

	/* Only what was asked for (plus ERR/HUP) is reported. */
	pfd[0].events = POLLIN;
	assert_int_equal(sl_poll(pfd, 1, 0), 0);
	assert_int_equal(pfd[0].revents, 0);
	sl_close(fd);
	assert_errno(sl_poll(NULL, 1, 0), EFAULT);
	one_stack_teardown(&s);
}

static void test_hup_unasked(void **state)
{
	struct one_stack s;
	struct pollfd pfd;
	int fd;

	one_stack_setup(&s, SL_NET_POLLED);
	fd = udp_bound("127.0.0.1", 5001);
	sl_shutdown(fd, SHUT_RDWR);
	pfd = (struct pollfd){ .fd = fd, .events = 0 };
	assert_int_equal(sl_poll(&pfd, 1, 0), 1);
	assert_true(pfd.revents & POLLHUP);
	sl_close(fd);
	one_stack_teardown(&s);
}

/* A datagram from stack a wakes a poll on stack b (polled, one clock). */
static void test_wait_across_two_stacks(void **state)
{
	struct sockaddr_in to = sl_sin("10.0.0.2", 5000);
	struct pollfd pfd;
	struct sl_pair p;
	uint64_t t0;
	int rx, tx;
	char buf[8];

	sl_pair_setup(&p, NULL);
	rx = sl_socket_net(p.b, AF_INET, SOCK_DGRAM, 0);
	tx = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_bind(rx, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(sl_sendto(tx, "hi", 2, 0, (struct sockaddr *)&to,
				   sizeof(to)), 2);
	t0 = sl_clock_now_ns(p.clk);
	pfd = (struct pollfd){ .fd = rx, .events = POLLIN };
	/* The poll itself drives both stacks (ARP, then the datagram). */
	assert_int_equal(sl_poll(&pfd, 1, 1000), 1);
	assert_int_equal(pfd.revents, POLLIN);
	assert_true(sl_clock_now_ns(p.clk) - t0 < 1000 * MS);
	assert_int_equal(sl_recv(rx, buf, sizeof(buf), 0), 2);
	sl_close(rx);
	sl_close(tx);
	sl_pair_teardown(&p);
}

/* The timeout is measured on the stack's virtual clock, exactly. */
static void test_timeout_on_virtual_clock(void **state)
{
	struct one_stack s;
	struct pollfd pfd;
	uint64_t t0;
	int fd;

	one_stack_setup(&s, SL_NET_POLLED);
	fd = udp_bound("127.0.0.1", 5002);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	t0 = sl_clock_now_ns(s.clk);
	assert_int_equal(sl_poll(&pfd, 1, 250), 0);
	assert_int_equal(sl_clock_now_ns(s.clk) - t0, 250 * MS);
	assert_int_equal(pfd.revents, 0);
	/* Timeout 0 never moves the clock. */
	t0 = sl_clock_now_ns(s.clk);
	assert_int_equal(sl_poll(&pfd, 1, 0), 0);
	assert_int_equal(sl_clock_now_ns(s.clk), t0);
	sl_close(fd);
	one_stack_teardown(&s);
}

/* A connected socket learns ECONNREFUSED: POLLERR, then SO_ERROR clears it. */
static void test_pollerr_after_port_unreachable(void **state)
{
	struct sockaddr_in to = sl_sin("10.0.0.2", 6666);
	struct pollfd pfd;
	struct sl_pair p;
	socklen_t len = sizeof(int);
	int fd, err = 0;

	sl_pair_setup(&p, NULL);
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(sl_send(fd, "x", 1, 0), 1);
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(sl_poll(&pfd, 1, 1000), 1);
	assert_true(pfd.revents & POLLERR);
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, ECONNREFUSED);
	assert_int_equal(sl_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	assert_int_equal(err, 0);
	assert_int_equal(sl_poll(&pfd, 1, 0), 0);
	sl_close(fd);
	sl_pair_teardown(&p);
}

struct poller {
	int fd;
	int ret;
	short revents;
};

static void *poll_thread(void *arg)
{
	struct poller *pl = arg;
	struct pollfd pfd = { .fd = pl->fd, .events = POLLIN };

	pl->ret = sl_poll(&pfd, 1, -1);
	pl->revents = pfd.revents;
	return NULL;
}

/* Threaded stack: a poll blocked forever in one thread, woken by a send. */
static void test_wakeup_from_other_thread(void **state)
{
	struct sockaddr_in to = sl_sin("127.0.0.1", 5003);
	struct poller pl = { 0 };
	struct one_stack s;
	pthread_t t;
	int tx;

	one_stack_setup(&s, SL_NET_THREADED);
	pl.fd = udp_bound("127.0.0.1", 5003);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(pthread_create(&t, NULL, poll_thread, &pl), 0);
	assert_int_equal(sl_sendto(tx, "wake", 4, 0, (struct sockaddr *)&to,
				   sizeof(to)), 4);
	pthread_join(t, NULL);
	assert_int_equal(pl.ret, 1);
	assert_int_equal(pl.revents, POLLIN);
	sl_close(pl.fd);
	sl_close(tx);
	one_stack_teardown(&s);
}

/* An epoll fd is pollable: readable when one of its items is ready. */
static void test_poll_epoll_fd(void **state)
{
	struct sockaddr_in to = sl_sin("127.0.0.1", 5004);
	struct epoll_event ev = { .events = EPOLLIN };
	struct one_stack s;
	struct pollfd pfd;
	int rx, tx, ep;

	one_stack_setup(&s, SL_NET_POLLED);
	rx = udp_bound("127.0.0.1", 5004);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	ep = sl_epoll_create1(0);
	assert_int_equal(sl_epoll_ctl(ep, EPOLL_CTL_ADD, rx, &ev), 0);
	pfd = (struct pollfd){ .fd = ep, .events = POLLIN };
	assert_int_equal(sl_poll(&pfd, 1, 0), 0);
	sl_sendto(tx, "e", 1, 0, (struct sockaddr *)&to, sizeof(to));
	assert_int_equal(sl_poll(&pfd, 1, 100), 1);
	assert_true(pfd.revents & POLLIN);
	sl_close(ep);
	sl_close(rx);
	sl_close(tx);
	one_stack_teardown(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masks_and_nval),
		cmocka_unit_test(test_hup_unasked),
		cmocka_unit_test(test_wait_across_two_stacks),
		cmocka_unit_test(test_timeout_on_virtual_clock),
		cmocka_unit_test(test_pollerr_after_port_unreachable),
		cmocka_unit_test(test_wakeup_from_other_thread),
		cmocka_unit_test(test_poll_epoll_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
