/*
 * sl_ppoll_host (src/socket/poll.c): one ppoll over sockline sockets and
 * kernel descriptors (pipes) in host fd mode. A call blocked on both is
 * woken by either (the kernel in ppoll, sockline through the thread's
 * doorbell), times out, reports each entry's revents, and honours the
 * signal mask as ppoll(2) does.
 */
#include <fcntl.h>
#include <poll.h>

#include "host_test_util.h"

static void write_pipe(void *arg)
{
	assert_int_equal(write(*(int *)arg, "x", 1), 1);
}

static void send_udp(void *arg)
{
	struct sockaddr_in to = sl_sin("127.0.0.1", 9100);
	int fd = sl_socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(sl_sendto(fd, "y", 1, 0, (struct sockaddr *)&to,
				   sizeof(to)), 1);
	sl_close(fd);
	(void)arg;
}

/* No sockline fd: the kernel's ppoll, revents and all. */
static void test_kernel_only(void **state)
{
	struct timespec zero = { 0, 0 };
	struct pollfd p[2];
	int pp[2];

	assert_int_equal(pipe(pp), 0);
	p[0] = (struct pollfd){ .fd = pp[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = pp[1], .events = POLLOUT };
	assert_int_equal(sl_ppoll_host(p, 1, &zero, NULL), 0);
	assert_int_equal(sl_ppoll_host(p, 2, &zero, NULL), 1);
	assert_int_equal(p[1].revents, POLLOUT);
	assert_int_equal(write(pp[1], "a", 1), 1);
	assert_int_equal(sl_ppoll_host(p, 2, NULL, NULL), 2);
	assert_int_equal(p[0].revents, POLLIN);
	close(pp[0]);
	close(pp[1]);
}

/* Blocked on a pipe and a socket: the pipe wakes it. */
static void test_mixed_pipe_wakes(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct host_later l;
	struct pollfd p[2];
	int pp[2], u;
	long long t0;

	u = udp_bound("127.0.0.1", 9100);
	assert_int_equal(pipe(pp), 0);
	p[0] = (struct pollfd){ .fd = u, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = pp[0], .events = POLLIN };
	t0 = host_now_ms();
	host_later_start(&l, 60, write_pipe, &pp[1]);
	assert_int_equal(sl_ppoll_host(p, 2, NULL, NULL), 1);
	assert_true(host_now_ms() - t0 >= 50);
	assert_int_equal(p[0].revents, 0);
	assert_int_equal(p[1].revents, POLLIN);
	host_later_join(&l);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	host_stack_teardown(net);
}

/* Blocked on a pipe and a socket: a datagram wakes it (the doorbell). */
static void test_mixed_socket_wakes(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct host_later l;
	struct pollfd p[2];
	int pp[2], u;
	long long t0;
	char c;

	u = udp_bound("127.0.0.1", 9100);
	assert_int_equal(pipe(pp), 0);
	p[0] = (struct pollfd){ .fd = pp[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = u, .events = POLLIN | POLLOUT };
	/* POLLOUT of the socket is ready at once: ask only for POLLIN. */
	p[1].events = POLLIN;
	t0 = host_now_ms();
	host_later_start(&l, 60, send_udp, NULL);
	assert_int_equal(sl_ppoll_host(p, 2, NULL, NULL), 1);
	assert_true(host_now_ms() - t0 >= 50);
	assert_int_equal(p[0].revents, 0);
	assert_int_equal(p[1].revents, POLLIN);
	assert_int_equal(sl_recv(u, &c, 1, 0), 1);
	host_later_join(&l);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	host_stack_teardown(net);
}

/* Both ready at once, a bad kernel fd, and negative fds. */
static void test_mixed_revents(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct timespec zero = { 0, 0 };
	struct pollfd p[4];
	int pp[2], u, bad;

	u = udp_bound("127.0.0.1", 9100);
	assert_int_equal(pipe(pp), 0);
	bad = open("/dev/null", O_RDONLY);
	close(bad);                       /* a closed kernel number */
	p[0] = (struct pollfd){ .fd = u, .events = POLLOUT };
	p[1] = (struct pollfd){ .fd = pp[1], .events = POLLOUT };
	p[2] = (struct pollfd){ .fd = -1, .events = POLLIN, .revents = 7 };
	p[3] = (struct pollfd){ .fd = bad, .events = POLLIN };
	assert_int_equal(sl_ppoll_host(p, 4, &zero, NULL), 3);
	assert_int_equal(p[0].revents, POLLOUT);
	assert_int_equal(p[1].revents, POLLOUT);
	assert_int_equal(p[2].revents, 0);
	assert_int_equal(p[3].revents, POLLNVAL);
	/* The same with a blocking call: it does not sleep. */
	assert_int_equal(sl_ppoll_host(p, 2, NULL, NULL), 2);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	host_stack_teardown(net);
}

static void test_mixed_timeout(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct timespec tmo = { 0, 120 * 1000 * 1000 }, bad = { 0, -1 };
	struct pollfd p[2];
	int pp[2], u;
	long long t0;

	u = udp_bound("127.0.0.1", 9100);
	assert_int_equal(pipe(pp), 0);
	p[0] = (struct pollfd){ .fd = u, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = pp[0], .events = POLLIN };
	t0 = host_now_ms();
	assert_int_equal(sl_ppoll_host(p, 2, &tmo, NULL), 0);
	assert_true(host_now_ms() - t0 >= 115);
	assert_true(host_now_ms() - t0 < 2000);
	assert_int_equal(p[0].revents, 0);
	assert_int_equal(p[1].revents, 0);
	/* Sockline fds alone: the usual path, same timeout. */
	t0 = host_now_ms();
	assert_int_equal(sl_ppoll_host(p, 1, &tmo, NULL), 0);
	assert_true(host_now_ms() - t0 >= 115);
	assert_errno(sl_ppoll_host(p, 2, &bad, NULL), EINVAL);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	host_stack_teardown(net);
}

/*
 * The signal mask: SIGUSR1 blocked in the thread and already pending is
 * delivered when the call's mask unblocks it, and the call fails with
 * EINTR (no signal lost between the check and the sleep); with the mask
 * keeping it blocked, the call times out and the signal stays pending.
 */
static void test_sigmask(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct timespec tmo = { 0, 80 * 1000 * 1000 };
	sigset_t block, open_mask, pend, old;
	struct pollfd p[2];
	int pp[2], u;

	host_signals_install();
	u = udp_bound("127.0.0.1", 9100);
	assert_int_equal(pipe(pp), 0);
	p[0] = (struct pollfd){ .fd = u, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = pp[0], .events = POLLIN };
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
	open_mask = old;
	sigdelset(&open_mask, SIGUSR1);
	for (nfds_t n = 1; n <= 2; n++) {   /* sockline only, then mixed */
		host_sig_count = 0;
		/* Blocked by the call's mask: stays pending, time runs out. */
		pthread_kill(pthread_self(), SIGUSR1);
		assert_int_equal(sl_ppoll_host(p, n, &tmo, &block), 0);
		assert_int_equal(host_sig_count, 0);
		sigpending(&pend);
		assert_true(sigismember(&pend, SIGUSR1));
		/* Unblocked by it: delivered, EINTR at once. */
		assert_errno(sl_ppoll_host(p, n, NULL, &open_mask), EINTR);
		assert_int_equal(host_sig_count, 1);
		/* The thread's own mask is back. */
		sigpending(&pend);
		assert_false(sigismember(&pend, SIGUSR1));
		pthread_sigmask(SIG_BLOCK, NULL, &pend);
		assert_true(sigismember(&pend, SIGUSR1));
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	host_stack_teardown(net);
}

struct blocked_ppoll {
	struct pollfd p[2];
	int ret, err;
	volatile int done;
};

static void *ppoll_thread(void *arg)
{
	struct blocked_ppoll *b = arg;

	b->ret = sl_ppoll_host(b->p, 2, NULL, NULL);
	b->err = errno;
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A handler in the blocked thread: EINTR, even with SA_RESTART. */
static void test_signal_interrupts(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct blocked_ppoll b = { 0 };
	pthread_t t;
	int pp[2], u;

	host_signals_install();
	u = udp_bound("127.0.0.1", 9100);
	assert_int_equal(pipe(pp), 0);
	b.p[0] = (struct pollfd){ .fd = u, .events = POLLIN };
	b.p[1] = (struct pollfd){ .fd = pp[0], .events = POLLIN };
	assert_int_equal(pthread_create(&t, NULL, ppoll_thread, &b), 0);
	host_kill_until(t, SIGUSR2, &b.done);
	pthread_join(t, NULL);
	assert_int_equal(b.ret, -1);
	assert_int_equal(b.err, EINTR);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	host_stack_teardown(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_only),
		cmocka_unit_test(test_mixed_pipe_wakes),
		cmocka_unit_test(test_mixed_socket_wakes),
		cmocka_unit_test(test_mixed_revents),
		cmocka_unit_test(test_mixed_timeout),
		cmocka_unit_test(test_sigmask),
		cmocka_unit_test(test_signal_interrupts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
