/*
 * Signals and blocked socket calls (src/core/signal.c, sk_wait_block in
 * src/core/sock.c): a handler that runs in a thread blocked in a sockline
 * call (and calls sl_signal_delivered, as the preload shim's trampoline
 * does) makes the call fail with EINTR as Linux's would, or restart when
 * the handler has SA_RESTART and the socket no timeout. Data already
 * moved is returned as a count. A handler between calls changes nothing.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "host_test_util.h"

enum op { OP_RECV_TCP, OP_RECV_UDP, OP_ACCEPT, OP_POLL, OP_EPOLL, OP_SEND };

struct blocked {
	enum op op;
	int fd;
	long ret;
	int err;
	volatile int done;
	char buf[64];
	size_t len;              /* OP_SEND: bytes to send from big */
	char *big;
};

static void *blocked_thread(void *arg)
{
	struct blocked *b = arg;
	struct pollfd p = { .fd = b->fd, .events = POLLIN };
	struct epoll_event ev;

	switch (b->op) {
	case OP_RECV_TCP:
	case OP_RECV_UDP:
		b->ret = sl_recv(b->fd, b->buf, sizeof(b->buf), 0);
		break;
	case OP_ACCEPT:
		b->ret = sl_accept(b->fd, NULL, NULL);
		break;
	case OP_POLL:
		b->ret = sl_poll(&p, 1, -1);
		break;
	case OP_EPOLL:
		b->ret = sl_epoll_wait(b->fd, &ev, 1, -1);
		break;
	case OP_SEND:
		b->ret = sl_send(b->fd, b->big, b->len, 0);
		break;
	}
	b->err = errno;
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Block @b in a thread, signal it with @sig until it returns. */
static void run_signalled(struct blocked *b, int sig)
{
	pthread_t t;

	b->done = 0;
	assert_int_equal(pthread_create(&t, NULL, blocked_thread, b), 0);
	host_kill_until(t, sig, &b->done);
	pthread_join(t, NULL);
}

static void expect_eintr(enum op op, int fd, int sig)
{
	struct blocked b = { .op = op, .fd = fd };

	run_signalled(&b, sig);
	assert_int_equal(b.ret, -1);
	assert_int_equal(b.err, EINTR);
}

/* No SA_RESTART: every blocked call fails with EINTR. */
static void test_eintr(void **state)
{
	sl_net_t *net = host_stack_setup();
	int c, s, u, l, ep;
	struct epoll_event e = { .events = EPOLLIN };

	host_signals_install();
	host_tcp_pair(9400, &c, &s);
	u = udp_bound("127.0.0.1", 9100);
	l = host_listener(9401);
	ep = sl_epoll_create1(0);
	assert_int_equal(sl_epoll_ctl(ep, EPOLL_CTL_ADD, u, &e), 0);

	expect_eintr(OP_RECV_TCP, s, SIGUSR1);
	expect_eintr(OP_RECV_UDP, u, SIGUSR1);
	expect_eintr(OP_ACCEPT, l, SIGUSR1);
	expect_eintr(OP_POLL, u, SIGUSR1);
	expect_eintr(OP_EPOLL, ep, SIGUSR1);
	/* poll and epoll_wait are never restarted. */
	expect_eintr(OP_POLL, u, SIGUSR2);
	expect_eintr(OP_EPOLL, ep, SIGUSR2);
	/* The connection is still fine afterwards. */
	assert_int_equal(sl_send(c, "ok", 2, 0), 2);
	char buf[4];
	assert_int_equal(sl_recv(s, buf, sizeof(buf), 0), 2);

	sl_close(ep);
	sl_close(l);
	sl_close(u);
	sl_close(c);
	sl_close(s);
	host_stack_teardown(net);
}

/* SA_RESTART and no timeout: the recv goes on waiting, then gets data. */
static void test_restart(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct blocked b = { .op = OP_RECV_TCP };
	pthread_t t;
	int c, s, rounds;

	host_signals_install();
	host_tcp_pair(9402, &c, &s);
	b.fd = s;
	host_sig_count = 0;
	assert_int_equal(pthread_create(&t, NULL, blocked_thread, &b), 0);
	/* Several handlers run in the blocked thread; it stays blocked. */
	for (rounds = 0; rounds < 10; rounds++) {
		host_sleep_ms(20);
		pthread_kill(t, SIGUSR2);
	}
	host_sleep_ms(20);
	assert_true(host_sig_count >= 5);
	assert_false(__atomic_load_n(&b.done, __ATOMIC_ACQUIRE));
	assert_int_equal(sl_send(c, "late", 4, 0), 4);
	pthread_join(t, NULL);
	assert_int_equal(b.ret, 4);
	assert_memory_equal(b.buf, "late", 4);

	/* Same for accept. */
	int l = host_listener(9403), cc;
	struct blocked a = { .op = OP_ACCEPT, .fd = l };

	assert_int_equal(pthread_create(&t, NULL, blocked_thread, &a), 0);
	for (rounds = 0; rounds < 5; rounds++) {
		host_sleep_ms(20);
		pthread_kill(t, SIGUSR2);
	}
	assert_false(__atomic_load_n(&a.done, __ATOMIC_ACQUIRE));
	cc = host_connect(9403);
	pthread_join(t, NULL);
	assert_true(a.ret >= 0);
	sl_close((int)a.ret);
	sl_close(cc);
	sl_close(l);
	sl_close(c);
	sl_close(s);
	host_stack_teardown(net);
}

/* SA_RESTART but SO_RCVTIMEO set: EINTR (Linux's sock_intr_errno). */
static void test_timeout_no_restart(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct timeval tv = { .tv_sec = 5 };
	int c, s;

	host_signals_install();
	host_tcp_pair(9404, &c, &s);
	assert_int_equal(sl_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
				       sizeof(tv)), 0);
	expect_eintr(OP_RECV_TCP, s, SIGUSR2);
	sl_close(c);
	sl_close(s);
	host_stack_teardown(net);
}

/* A send cut short after moving data returns the count, as Linux. */
static void test_partial_send(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct blocked b = { .op = OP_SEND };
	int c, s, small = 8192;
	size_t len = 8 << 20;

	host_signals_install();
	host_tcp_pair(9405, &c, &s);
	assert_int_equal(sl_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small,
				       sizeof(small)), 0);
	assert_int_equal(sl_setsockopt(s, SOL_SOCKET, SO_RCVBUF, &small,
				       sizeof(small)), 0);
	b.big = calloc(1, len);
	assert_non_null(b.big);
	b.len = len;
	b.fd = c;
	/* Nobody reads: the send blocks once the buffers are full. */
	run_signalled(&b, SIGUSR1);
	assert_true(b.ret > 0);
	assert_true((size_t)b.ret < len);
	free(b.big);
	sl_close(c);
	sl_close(s);
	host_stack_teardown(net);
}

/* A handler that ran between calls does not interrupt the next one. */
static void test_handler_between_calls(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct timeval tv = { .tv_usec = 100 * 1000 };
	long long t0;
	char c;
	int u;

	host_signals_install();
	u = udp_bound("127.0.0.1", 9100);
	assert_int_equal(sl_setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv,
				       sizeof(tv)), 0);
	raise(SIGUSR1);
	t0 = host_now_ms();
	assert_errno(sl_recv(u, &c, 1, 0), EAGAIN);   /* its own timeout */
	assert_true(host_now_ms() - t0 >= 90);
	sl_close(u);
	host_stack_teardown(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eintr),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_timeout_no_restart),
		cmocka_unit_test(test_partial_send),
		cmocka_unit_test(test_handler_between_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
