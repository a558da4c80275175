/*
 * epoll (src/socket/eventpoll.c) on UDP sockets: level-triggered,
 * edge-triggered and one-shot items across two stacks, timeouts on the
 * virtual clock, a blocked epoll_wait woken from another thread (threaded
 * stack), closing a watched fd, maxevents fairness, ERR/HUP always
 * reported, and one level of nesting.
 */
#include <pthread.h>

#include "sock_test_util.h"

#define MS 1000000ULL

struct duo {
	struct sl_pair p;
	int rx, tx, ep;
	struct sockaddr_in to;
};

static void duo_setup(struct duo *d)
{
	sl_pair_setup(&d->p, NULL);
	d->to = sl_sin("10.0.0.2", 7000);
	d->rx = sl_socket_net(d->p.b, AF_INET, SOCK_DGRAM, 0);
	d->tx = sl_socket_net(d->p.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_bind(d->rx, (struct sockaddr *)&d->to,
				 sizeof(d->to)), 0);
	d->ep = sl_epoll_create1(0);
	assert_true(d->ep >= 0);
}

static void duo_send(struct duo *d, const char *s)
{
	assert_int_equal(sl_sendto(d->tx, s, strlen(s), 0,
				   (struct sockaddr *)&d->to, sizeof(d->to)),
			 (ssize_t)strlen(s));
}

static void duo_teardown(struct duo *d)
{
	sl_close(d->ep);
	sl_close(d->rx);
	sl_close(d->tx);
	sl_pair_teardown(&d->p);
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return sl_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void test_level_triggered(void **state)
{
	struct epoll_event out[4];
	struct duo d;
	char buf[8];

	duo_setup(&d);
	assert_int_equal(add(d.ep, d.rx, EPOLLIN, 42), 0);
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 0);
	duo_send(&d, "one");
	duo_send(&d, "two");
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 1000), 1);
	assert_int_equal(out[0].events, EPOLLIN);
	assert_int_equal(out[0].data.u64, 42);
	/* Still readable: reported again. */
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 1);
	assert_int_equal(sl_recv(d.rx, buf, sizeof(buf), 0), 3);
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 1);
	assert_int_equal(sl_recv(d.rx, buf, sizeof(buf), 0), 3);
	/* Drained: not reported any more. */
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 0);
	duo_teardown(&d);
}

static void test_edge_triggered(void **state)
{
	struct epoll_event out[4];
	struct duo d;

	duo_setup(&d);
	assert_int_equal(add(d.ep, d.rx, EPOLLIN | EPOLLET, 1), 0);
	duo_send(&d, "one");
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 1000), 1);
	/* Data is still queued, but no new edge: nothing. */
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 0);
	duo_send(&d, "two");
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 1000), 1);
	assert_int_equal(out[0].events, EPOLLIN);
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 0);
	duo_teardown(&d);
}

static void test_oneshot(void **state)
{
	struct epoll_event out[4], ev = { .events = EPOLLIN | EPOLLONESHOT };
	struct duo d;

	duo_setup(&d);
	assert_int_equal(add(d.ep, d.rx, EPOLLIN | EPOLLONESHOT, 5), 0);
	duo_send(&d, "one");
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 1000), 1);
	duo_send(&d, "two");
	sl_pair_settle(&d.p);
	/* Disabled after firing, even with new data. */
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 0);
	/* MOD re-arms (with new data). */
	ev.data.u64 = 6;
	assert_int_equal(sl_epoll_ctl(d.ep, EPOLL_CTL_MOD, d.rx, &ev), 0);
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 1);
	assert_int_equal(out[0].data.u64, 6);
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 0);
	duo_teardown(&d);
}

static void test_timeout_on_virtual_clock(void **state)
{
	struct epoll_event out[1];
	struct duo d;
	uint64_t t0;

	duo_setup(&d);
	assert_int_equal(add(d.ep, d.rx, EPOLLIN, 0), 0);
	t0 = sl_clock_now_ns(d.p.clk);
	assert_int_equal(sl_epoll_wait(d.ep, out, 1, 100), 0);
	assert_int_equal(sl_clock_now_ns(d.p.clk) - t0, 100 * MS);
	duo_teardown(&d);
}

static void test_close_removes_from_set(void **state)
{
	struct epoll_event out[4];
	struct duo d;
	int rx2;

	duo_setup(&d);
	assert_int_equal(add(d.ep, d.rx, EPOLLIN, 1), 0);
	duo_send(&d, "one");
	sl_pair_settle(&d.p);
	/* Ready, then closed: it leaves the set and is never reported. */
	assert_int_equal(sl_close(d.rx), 0);
	assert_int_equal(sl_epoll_wait(d.ep, out, 4, 0), 0);
	assert_errno(sl_epoll_ctl(d.ep, EPOLL_CTL_DEL, d.rx, NULL), EBADF);
	/* The number comes back for a new socket: not in the set. */
	rx2 = sl_socket_net(d.p.b, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(rx2, d.rx);
	assert_errno(sl_epoll_ctl(d.ep, EPOLL_CTL_DEL, rx2, NULL), ENOENT);
	assert_int_equal(sl_sock_live(), 2);
	duo_teardown(&d);
}

static void test_maxevents_round_robin(void **state)
{
	struct epoll_event out[3];
	struct one_stack s;
	int fd[3], ep;

	one_stack_setup(&s, SL_NET_POLLED);
	ep = sl_epoll_create1(0);
	for (int i = 0; i < 3; i++) {
		fd[i] = sl_socket(AF_INET, SOCK_DGRAM, 0);
		assert_int_equal(add(ep, fd[i], EPOLLOUT, (uint64_t)i), 0);
	}
	assert_int_equal(sl_epoll_wait(ep, out, 2, 0), 2);
	assert_int_equal(out[0].data.u64, 0);
	assert_int_equal(out[1].data.u64, 1);
	/* The one left over comes first next time. */
	assert_int_equal(sl_epoll_wait(ep, out, 2, 0), 2);
	assert_int_equal(out[0].data.u64, 2);
	assert_int_equal(out[0].events, EPOLLOUT);
	for (int i = 0; i < 3; i++)
		sl_close(fd[i]);
	sl_close(ep);
	one_stack_teardown(&s);
}

static void test_err_hup_always(void **state)
{
	struct epoll_event out[1];
	struct one_stack s;
	int fd, ep;

	one_stack_setup(&s, SL_NET_POLLED);
	ep = sl_epoll_create1(0);
	fd = udp_bound("127.0.0.1", 7100);
	assert_int_equal(add(ep, fd, 0, 9), 0);
	assert_int_equal(sl_epoll_wait(ep, out, 1, 0), 0);
	sl_shutdown(fd, SHUT_RDWR);
	assert_int_equal(sl_epoll_wait(ep, out, 1, 0), 1);
	assert_true(out[0].events & EPOLLHUP);
	sl_close(fd);
	sl_close(ep);
	one_stack_teardown(&s);
}

static void test_nested(void **state)
{
	struct epoll_event out[2];
	struct duo d;
	int outer, third;

	duo_setup(&d);
	outer = sl_epoll_create1(0);
	third = sl_epoll_create1(0);
	assert_int_equal(add(d.ep, d.rx, EPOLLIN, 1), 0);
	assert_int_equal(add(outer, d.ep, EPOLLIN, 2), 0);
	/* One level only: the inner set cannot take an epoll fd now. */
	assert_errno(add(d.ep, third, EPOLLIN, 3), ELOOP);
	assert_errno(add(third, outer, EPOLLIN, 3), ELOOP);
	assert_int_equal(sl_epoll_wait(outer, out, 2, 0), 0);
	duo_send(&d, "n");
	assert_int_equal(sl_epoll_wait(outer, out, 2, 1000), 1);
	assert_int_equal(out[0].data.u64, 2);
	assert_int_equal(out[0].events, EPOLLIN);
	sl_close(outer);
	sl_close(third);
	duo_teardown(&d);
}

struct waiter_arg {
	int ep;
	int ret;
	struct epoll_event ev;
};

static void *epoll_wait_thread(void *arg)
{
	struct waiter_arg *w = arg;

	w->ret = sl_epoll_wait(w->ep, &w->ev, 1, -1);
	return NULL;
}

/* Threaded stack: epoll_wait blocked forever, woken by a datagram. */
static void test_wakeup_from_other_thread(void **state)
{
	struct sockaddr_in to = sl_sin("127.0.0.1", 7200);
	struct waiter_arg w = { 0 };
	struct one_stack s;
	pthread_t t;
	int rx, tx;

	one_stack_setup(&s, SL_NET_THREADED);
	rx = udp_bound("127.0.0.1", 7200);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	w.ep = sl_epoll_create1(0);
	assert_int_equal(add(w.ep, rx, EPOLLIN | EPOLLET, 77), 0);
	assert_int_equal(pthread_create(&t, NULL, epoll_wait_thread, &w), 0);
	assert_int_equal(sl_sendto(tx, "go", 2, 0, (struct sockaddr *)&to,
				   sizeof(to)), 2);
	pthread_join(t, NULL);
	assert_int_equal(w.ret, 1);
	assert_int_equal(w.ev.events, EPOLLIN);
	assert_int_equal(w.ev.data.u64, 77);
	sl_close(w.ep);
	sl_close(rx);
	sl_close(tx);
	one_stack_teardown(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_triggered),
		cmocka_unit_test(test_edge_triggered),
		cmocka_unit_test(test_oneshot),
		cmocka_unit_test(test_timeout_on_virtual_clock),
		cmocka_unit_test(test_close_removes_from_set),
		cmocka_unit_test(test_maxevents_round_robin),
		cmocka_unit_test(test_err_hup_always),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_wakeup_from_other_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
