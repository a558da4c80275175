/*
 * Helpers for the host-mode tests (tests/socket/host_*_test.c): a threaded
 * stack on a real clock with sockline fds numbered by the kernel (what the
 * preload shim runs), TCP over its loopback, a delayed action in another
 * thread, and a signal that keeps coming until the blocked call returns.
 */
#ifndef HOST_TEST_UTIL_H
#define HOST_TEST_UTIL_H

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "sock_test_util.h"

static inline sl_net_t *host_stack_setup(void)
{
	struct sl_net_config c = { 0 };
	sl_net_t *net;

	assert_int_equal(sl_fd_host_mode(true), 0);
	c.name = "h";
	c.mode = SL_NET_THREADED;
	c.seed = 11;
	net = sl_net_create(&c);
	assert_non_null(net);
	assert_int_equal(sl_net_enter(net), 0);
	return net;
}

static inline void host_stack_teardown(sl_net_t *net)
{
	sl_net_destroy(net);
	sl_assert_no_leaks();
}

static inline long long host_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void host_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A listening TCP socket on 127.0.0.1:@port. */
static inline int host_listener(uint16_t port)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", port);
	int one = 1, fd = sl_socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sl_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(sl_listen(fd, 8), 0);
	return fd;
}

static inline int host_connect(uint16_t port)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", port);
	int fd = sl_socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* A connected pair *@c (client) and *@s (accepted). */
static inline void host_tcp_pair(uint16_t port, int *c, int *s)
{
	int l = host_listener(port);

	*c = host_connect(port);
	*s = sl_accept(l, NULL, NULL);
	assert_true(*s >= 0);
	sl_close(l);
}

/* Run @fn(@arg) in a new thread after @ms milliseconds. */
struct host_later {
	pthread_t t;
	int ms;
	void (*fn)(void *arg);
	void *arg;
};

static inline void *host_later_thread(void *p)
{
	struct host_later *l = p;

	host_sleep_ms(l->ms);
	l->fn(l->arg);
	return NULL;
}

static inline void host_later_start(struct host_later *l, int ms,
				    void (*fn)(void *), void *arg)
{
	l->ms = ms;
	l->fn = fn;
	l->arg = arg;
	assert_int_equal(pthread_create(&l->t, NULL, host_later_thread, l), 0);
}

static inline void host_later_join(struct host_later *l)
{
	pthread_join(l->t, NULL);
}

/* Handlers as the preload shim's trampoline runs them: tell sockline
 * first. SIGUSR1 without SA_RESTART, SIGUSR2 with it. */
static volatile sig_atomic_t host_sig_count;

static inline void host_sig_handler(int sig)
{
	sl_signal_delivered(sig == SIGUSR2);
	host_sig_count++;
}

static inline void host_signals_install(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = host_sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	sa.sa_flags = SA_RESTART;
	assert_int_equal(sigaction(SIGUSR2, &sa, NULL), 0);
}

/*
 * A call blocked in thread @t: signal it with @sig every 20 ms until
 * *@done (it may not be blocked yet when the first signal comes).
 */
static inline void host_kill_until(pthread_t t, int sig, volatile int *done)
{
	while (!__atomic_load_n(done, __ATOMIC_ACQUIRE)) {
		host_sleep_ms(20);
		pthread_kill(t, sig);
	}
}

#endif
