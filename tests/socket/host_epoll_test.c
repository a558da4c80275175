/*
 * Host-mode epoll (src/socket/eventpoll.c): a sockline epoll fd is also a
 * kernel epoll instance that watches the program's kernel descriptors; one
 * epoll_wait reports both, and a blocked one is woken by either.
 * sl_epoll_adopt turns an existing kernel epoll fd into such an instance.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>

#include "host_test_util.h"

static bool is_kernel_epoll(int fd)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return strcmp(link, "anon_inode:[eventpoll]") == 0;
}

static void ep_add(int ep, int fd, unsigned int events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	assert_int_equal(sl_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
}

static void write_pipe(void *arg)
{
	assert_int_equal(write(*(int *)arg, "x", 1), 1);
}

static void connect_later(void *arg)
{
	int fd = host_connect(9200);

	*(int *)arg = fd;
}

/* Both kinds in one set; the placeholder is a real kernel epoll. */
static void test_both_kinds(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct sockaddr_in to = sl_sin("127.0.0.1", 9100);
	struct epoll_event ev[4];
	int ep, pp[2], u, tx;
	char c;

	ep = sl_epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	assert_true(is_kernel_epoll(ep));
	assert_int_equal(sl_fcntl(ep, F_GETFD), FD_CLOEXEC);
	u = udp_bound("127.0.0.1", 9100);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(pipe(pp), 0);
	ep_add(ep, u, EPOLLIN, 1);
	ep_add(ep, pp[0], EPOLLIN, 2);
	assert_int_equal(sl_epoll_wait(ep, ev, 4, 0), 0);

	assert_int_equal(write(pp[1], "a", 1), 1);
	assert_int_equal(sl_epoll_wait(ep, ev, 4, 0), 1);
	assert_int_equal(ev[0].data.u64, 2);
	assert_int_equal(ev[0].events, EPOLLIN);

	assert_int_equal(sl_sendto(tx, "b", 1, 0, (struct sockaddr *)&to,
				   sizeof(to)), 1);
	assert_int_equal(sl_epoll_wait(ep, ev, 4, 1000), 2);
	assert_true(ev[0].data.u64 + ev[1].data.u64 == 3);

	/* Neither world starves the other: one slot, both ready. */
	assert_int_equal(sl_epoll_wait(ep, ev, 1, 0), 1);
	c = (char)ev[0].data.u64;
	assert_int_equal(sl_epoll_wait(ep, ev, 1, 0), 1);
	assert_int_equal((char)ev[0].data.u64 + c, 3);

	/* ctl on the kernel side answers as the kernel's epoll_ctl. */
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 9 };

	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &e), EEXIST);
	assert_int_equal(sl_epoll_ctl(ep, EPOLL_CTL_MOD, pp[0], &e), 0);
	assert_int_equal(sl_epoll_ctl(ep, EPOLL_CTL_DEL, pp[0], NULL), 0);
	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_DEL, pp[0], NULL), ENOENT);
	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_ADD, 100000, &e), EBADF);
	/* Only the datagram is left. */
	assert_int_equal(sl_epoll_wait(ep, ev, 4, 0), 1);
	assert_int_equal(ev[0].data.u64, 1);
	assert_int_equal(sl_recv(u, &c, 1, 0), 1);
	assert_int_equal(sl_epoll_wait(ep, ev, 4, 0), 0);

	/* Closing the sockline epoll fd closes the kernel instance. */
	assert_int_equal(sl_close(ep), 0);
	assert_int_equal(fcntl(ep, F_GETFD), -1);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	sl_close(tx);
	host_stack_teardown(net);
}

struct blocked_wait {
	int ep, n, err;
	struct epoll_event ev[4];
	volatile int done;
};

static void *wait_thread(void *arg)
{
	struct blocked_wait *b = arg;

	b->n = sl_epoll_wait(b->ep, b->ev, 4, -1);
	b->err = errno;
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A blocked epoll_wait watching a pipe is woken by a connection. */
static void test_blocked_woken_by_connection(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct blocked_wait b = { 0 };
	struct host_later l;
	int pp[2], lfd, cfd = -1, afd;
	long long t0;
	pthread_t t;

	lfd = host_listener(9200);
	assert_int_equal(pipe(pp), 0);
	b.ep = sl_epoll_create1(0);
	ep_add(b.ep, lfd, EPOLLIN, 7);
	ep_add(b.ep, pp[0], EPOLLIN, 8);
	t0 = host_now_ms();
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &b), 0);
	host_later_start(&l, 60, connect_later, &cfd);
	pthread_join(t, NULL);
	host_later_join(&l);
	assert_true(host_now_ms() - t0 >= 50);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.ev[0].data.u64, 7);
	assert_int_equal(b.ev[0].events, EPOLLIN);
	afd = sl_accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	sl_close(afd);
	sl_close(cfd);
	sl_close(lfd);
	sl_close(b.ep);
	close(pp[0]);
	close(pp[1]);
	host_stack_teardown(net);
}

/* A blocked epoll_wait watching a listener is woken by a pipe write. */
static void test_blocked_woken_by_pipe(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct blocked_wait b = { 0 };
	struct host_later l;
	int pp[2], lfd;
	long long t0;
	pthread_t t;

	lfd = host_listener(9200);
	assert_int_equal(pipe(pp), 0);
	b.ep = sl_epoll_create1(0);
	ep_add(b.ep, lfd, EPOLLIN, 7);
	ep_add(b.ep, pp[0], EPOLLIN | EPOLLET, 8);
	t0 = host_now_ms();
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &b), 0);
	host_later_start(&l, 60, write_pipe, &pp[1]);
	pthread_join(t, NULL);
	host_later_join(&l);
	assert_true(host_now_ms() - t0 >= 50);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.ev[0].data.u64, 8);
	/* Edge-triggered in the kernel: reported once. */
	assert_int_equal(sl_epoll_wait(b.ep, b.ev, 4, 0), 0);
	sl_close(lfd);
	sl_close(b.ep);
	close(pp[0]);
	close(pp[1]);
	host_stack_teardown(net);
}

/* A kernel fd added while another thread already sleeps on sockline's
 * items alone: the sleeper starts watching it. */
static void test_kernel_fd_added_while_blocked(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct blocked_wait b = { 0 };
	int pp[2], lfd;
	pthread_t t;

	lfd = host_listener(9200);
	assert_int_equal(pipe(pp), 0);
	b.ep = sl_epoll_create1(0);
	ep_add(b.ep, lfd, EPOLLIN, 7);
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &b), 0);
	host_sleep_ms(50);
	ep_add(b.ep, pp[0], EPOLLIN, 8);
	host_sleep_ms(20);
	assert_int_equal(write(pp[1], "z", 1), 1);
	pthread_join(t, NULL);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.ev[0].data.u64, 8);
	sl_close(lfd);
	sl_close(b.ep);
	close(pp[0]);
	close(pp[1]);
	host_stack_teardown(net);
}

/* ppoll of an epoll fd sees both worlds' items (nested event loops). */
static void test_ppoll_of_epoll_fd(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct sockaddr_in to = sl_sin("127.0.0.1", 9100);
	struct timespec zero = { 0, 0 };
	struct host_later l;
	struct pollfd p;
	int ep, pp[2], u, tx;
	char c;

	ep = sl_epoll_create1(0);
	u = udp_bound("127.0.0.1", 9100);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(pipe(pp), 0);
	ep_add(ep, u, EPOLLIN, 1);
	ep_add(ep, pp[0], EPOLLIN, 2);
	p = (struct pollfd){ .fd = ep, .events = POLLIN };
	assert_int_equal(sl_ppoll_host(&p, 1, &zero, NULL), 0);
	/* A kernel item wakes a blocked ppoll of the epoll fd... */
	host_later_start(&l, 50, write_pipe, &pp[1]);
	assert_int_equal(sl_ppoll_host(&p, 1, NULL, NULL), 1);
	assert_int_equal(p.revents, POLLIN);
	host_later_join(&l);
	assert_int_equal(read(pp[0], &c, 1), 1);
	assert_int_equal(sl_ppoll_host(&p, 1, &zero, NULL), 0);
	/* ...and so does a sockline item. */
	assert_int_equal(sl_sendto(tx, "b", 1, 0, (struct sockaddr *)&to,
				   sizeof(to)), 1);
	assert_int_equal(sl_ppoll_host(&p, 1, NULL, NULL), 1);
	assert_int_equal(p.revents, POLLIN);
	sl_close(ep);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	sl_close(tx);
	host_stack_teardown(net);
}

/* sl_epoll_adopt: the program's kernel epoll fd, with what it watches. */
static void test_adopt(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct sockaddr_in to = sl_sin("127.0.0.1", 9100);
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 5 };
	struct epoll_event ev[4];
	int kep, pp[2], u, tx, other;

	assert_int_equal(pipe(pp), 0);
	kep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(kep >= 0);
	assert_int_equal(epoll_ctl(kep, EPOLL_CTL_ADD, pp[0], &e), 0);
	assert_false(sl_is_fd(kep));
	assert_int_equal(sl_epoll_adopt(kep), kep);
	assert_true(sl_is_fd(kep));
	assert_int_equal(sl_fcntl(kep, F_GETFD), FD_CLOEXEC);
	assert_errno(sl_epoll_adopt(kep), EEXIST);
	assert_errno(sl_epoll_adopt(pp[1]), EINVAL);
	other = open("/dev/null", O_RDONLY);
	close(other);
	assert_errno(sl_epoll_adopt(other), EBADF);

	u = udp_bound("127.0.0.1", 9100);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	ep_add(kep, u, EPOLLIN, 6);
	assert_int_equal(sl_epoll_wait(kep, ev, 4, 0), 0);
	/* What the kernel watched before adoption is reported. */
	assert_int_equal(write(pp[1], "a", 1), 1);
	assert_int_equal(sl_epoll_wait(kep, ev, 4, 1000), 1);
	assert_int_equal(ev[0].data.u64, 5);
	assert_int_equal(sl_sendto(tx, "b", 1, 0, (struct sockaddr *)&to,
				   sizeof(to)), 1);
	assert_int_equal(sl_epoll_wait(kep, ev, 4, 1000), 2);
	assert_int_equal(ev[0].data.u64 + ev[1].data.u64, 11);
	assert_int_equal(sl_close(kep), 0);
	assert_int_equal(fcntl(kep, F_GETFD), -1);
	close(pp[0]);
	close(pp[1]);
	sl_close(u);
	sl_close(tx);
	host_stack_teardown(net);
}

/* epoll_pwait: a handler in the blocked thread ends it with EINTR (never
 * restarted); the sigmask argument unblocks a pending signal. */
static void test_pwait_signals(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct blocked_wait b = { 0 };
	struct epoll_event ev[2];
	sigset_t block, open_mask, old;
	int pp[2], lfd;
	pthread_t t;

	host_signals_install();
	lfd = host_listener(9200);
	assert_int_equal(pipe(pp), 0);
	b.ep = sl_epoll_create1(0);
	ep_add(b.ep, lfd, EPOLLIN, 7);
	ep_add(b.ep, pp[0], EPOLLIN, 8);
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &b), 0);
	host_kill_until(t, SIGUSR2, &b.done);
	pthread_join(t, NULL);
	assert_int_equal(b.n, -1);
	assert_int_equal(b.err, EINTR);

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	open_mask = old;
	sigdelset(&open_mask, SIGUSR1);
	pthread_kill(pthread_self(), SIGUSR1);
	host_sig_count = 0;
	assert_int_equal(sl_epoll_pwait(b.ep, ev, 2, 50, &block), 0);
	assert_int_equal(host_sig_count, 0);
	assert_errno(sl_epoll_pwait(b.ep, ev, 2, -1, &open_mask), EINTR);
	assert_int_equal(host_sig_count, 1);
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	sl_close(lfd);
	sl_close(b.ep);
	close(pp[0]);
	close(pp[1]);
	host_stack_teardown(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_kinds),
		cmocka_unit_test(test_blocked_woken_by_connection),
		cmocka_unit_test(test_blocked_woken_by_pipe),
		cmocka_unit_test(test_kernel_fd_added_while_blocked),
		cmocka_unit_test(test_ppoll_of_epoll_fd),
		cmocka_unit_test(test_adopt),
		cmocka_unit_test(test_pwait_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
