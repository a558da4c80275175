/*
 * The fd table (src/socket/file.c): lowest-free numbering, host mode
 * (real kernel placeholders), fcntl/ioctl, stack teardown closing its
 * fds, and a close racing with a recv blocked in another thread.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "sl/socket.h"
#include "sock_test_util.h"

static void test_lowest_free(void **state)
{
	struct one_stack s;
	int fd[4];

	one_stack_setup(&s, SL_NET_POLLED);
	for (int i = 0; i < 4; i++)
		fd[i] = sl_socket(AF_INET, SOCK_DGRAM, 0);
	/* Internal numbers start at 3 and are handed out lowest first. */
	assert_int_equal(fd[0], 3);
	assert_int_equal(fd[1], 4);
	assert_int_equal(fd[3], 6);
	assert_int_equal(sl_close(fd[1]), 0);
	assert_false(sl_is_fd(fd[1]));
	assert_int_equal(sl_socket(AF_INET, SOCK_DGRAM, 0), 4);
	assert_int_equal(sl_close(fd[0]), 0);
	assert_int_equal(sl_epoll_create1(0), 3); /* epoll fds share the table */
	for (int i = 0; i < 4; i++)
		sl_close(fd[i]);
	assert_false(sl_is_fd(3));
	one_stack_teardown(&s);
}

static void test_many_fds_grow(void **state)
{
	struct one_stack s;
	enum { N = 300 };
	int fds[N];

	one_stack_setup(&s, SL_NET_POLLED);
	for (int i = 0; i < N; i++) {
		fds[i] = sl_socket(AF_INET, SOCK_DGRAM, 0);
		assert_int_equal(fds[i], 3 + i);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(sl_close(fds[i]), 0);
	assert_int_equal(sl_sock_live(), 0);
	one_stack_teardown(&s);
}

static void test_host_mode(void **state)
{
	struct one_stack s;
	int a, b, k;

	one_stack_setup(&s, SL_NET_POLLED);
	assert_int_equal(sl_fd_host_mode(true), 0);
	a = sl_socket(AF_INET, SOCK_DGRAM, 0);
	b = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(a >= 0 && b >= 0 && a != b);
	/* The numbers are real kernel descriptors, reserved for us... */
	assert_true(fcntl(a, F_GETFD) >= 0);
	assert_true(fcntl(b, F_GETFD) >= 0);
	/* ...so the kernel never hands them out again while we hold them. */
	k = open("/dev/null", O_RDONLY);
	assert_true(k >= 0);
	assert_true(k != a && k != b);
	assert_false(sl_is_fd(k));
	/* No switching while fds are open. */
	assert_errno(sl_fd_host_mode(false), EBUSY);
	assert_int_equal(sl_close(a), 0);
	/* Closing releases the placeholder. */
	assert_int_equal(fcntl(a, F_GETFD), -1);
	assert_int_equal(sl_close(b), 0);
	close(k);
	assert_int_equal(sl_fd_host_mode(false), 0);
	assert_int_equal(sl_socket(AF_INET, SOCK_DGRAM, 0), 3);
	sl_close(3);
	one_stack_teardown(&s);
}

static void test_fcntl(void **state)
{
	struct one_stack s;
	int fd;

	one_stack_setup(&s, SL_NET_POLLED);
	fd = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_fcntl(fd, F_GETFL), O_RDWR);
	/* Only O_NONBLOCK changes; the access mode and O_APPEND do not. */
	assert_int_equal(sl_fcntl(fd, F_SETFL, (long)(O_NONBLOCK | O_APPEND |
						      O_WRONLY)), 0);
	assert_int_equal(sl_fcntl(fd, F_GETFL), O_RDWR | O_NONBLOCK);
	assert_int_equal(sl_fcntl(fd, F_SETFL, 0L), 0);
	assert_int_equal(sl_fcntl(fd, F_GETFL), O_RDWR);
	assert_int_equal(sl_fcntl(fd, F_SETFD, (long)FD_CLOEXEC), 0);
	assert_int_equal(sl_fcntl(fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(sl_fcntl(fd, F_SETFD, 0L), 0);
	assert_int_equal(sl_fcntl(fd, F_GETFD), 0);
	sl_close(fd);
	one_stack_teardown(&s);
}

static void test_ioctl_queues(void **state)
{
	struct sockaddr_in to = sl_sin("127.0.0.1", 8000);
	struct one_stack s;
	int rx, tx, n = -1, on = 1, off = 0;
	char buf[32];

	one_stack_setup(&s, SL_NET_POLLED);
	rx = udp_bound("127.0.0.1", 8000);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_ioctl(rx, FIONREAD, &n), 0);
	assert_int_equal(n, 0);
	sl_sendto(tx, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to));
	sl_sendto(tx, "goodbye", 7, 0, (struct sockaddr *)&to, sizeof(to));
	sl_net_poll_all(s.clk);
	/* udp_ioctl: the size of the next datagram, not the queue's bytes. */
	assert_int_equal(sl_ioctl(rx, FIONREAD, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(sl_recv(rx, buf, sizeof(buf), 0), 5);
	assert_int_equal(sl_ioctl(rx, SIOCINQ, &n), 0);
	assert_int_equal(n, 7);
	/* Everything sent has left: nothing charged to the send side. */
	assert_int_equal(sl_ioctl(tx, SIOCOUTQ, &n), 0);
	assert_int_equal(n, 0);
	/* FIONBIO flips O_NONBLOCK on the file. */
	assert_int_equal(sl_ioctl(rx, FIONBIO, &on), 0);
	assert_int_equal(sl_fcntl(rx, F_GETFL), O_RDWR | O_NONBLOCK);
	assert_int_equal(sl_ioctl(rx, FIONBIO, &off), 0);
	assert_int_equal(sl_fcntl(rx, F_GETFL), O_RDWR);
	assert_errno(sl_ioctl(rx, FIONBIO, NULL), EFAULT);
	sl_close(rx);
	sl_close(tx);
	one_stack_teardown(&s);
}

static void test_stack_destroy_closes_its_fds(void **state)
{
	struct sl_pair p;
	int fa, fb, ep;

	sl_pair_setup(&p, NULL);
	fa = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	fb = sl_socket_net(p.b, AF_INET, SOCK_DGRAM, 0);
	ep = sl_epoll_create1(0);
	sl_net_destroy(p.a);
	p.a = NULL;
	assert_false(sl_is_fd(fa));
	assert_true(sl_is_fd(fb));
	assert_true(sl_is_fd(ep)); /* not a socket of a */
	sl_close(fb);
	sl_close(ep);
	sl_net_destroy(p.b);
	sl_clock_free(p.clk);
	sl_assert_no_leaks();
}

struct blocked_recv {
	int fd;
	ssize_t ret;
	int err;
	char buf[16];
};

static void *recv_thread(void *arg)
{
	struct blocked_recv *br = arg;

	br->ret = sl_recv(br->fd, br->buf, sizeof(br->buf), 0);
	br->err = errno;
	return NULL;
}

/* Is somebody sleeping on @fd's socket? (the blocked recv) */
static bool socket_has_sleeper(int fd)
{
	struct socket *sock;
	bool active;
	int err;

	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return false;
	active = waitqueue_active(&sock->wq.wait);
	sockfd_put(sock);
	return active;
}

/*
 * close(2) while another thread is blocked in recv on the same fd: close
 * returns at once and the fd number is free, but the blocked call keeps
 * its reference, so the socket lives on until recv returns (as on Linux,
 * close does not interrupt it: the next datagram does).
 */
static void test_close_while_blocked_in_recv(void **state)
{
	struct sockaddr_in to = sl_sin("127.0.0.1", 9000);
	struct blocked_recv br = { 0 };
	struct one_stack s;
	pthread_t t;
	int tx;

	one_stack_setup(&s, SL_NET_THREADED);
	br.fd = udp_bound("127.0.0.1", 9000);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(pthread_create(&t, NULL, recv_thread, &br), 0);
	while (!socket_has_sleeper(br.fd))
		sched_yield();

	assert_int_equal(sl_close(br.fd), 0);
	assert_false(sl_is_fd(br.fd));
	assert_int_equal(sl_sock_live(), 2); /* still alive: recv holds it */

	assert_int_equal(sl_sendto(tx, "late", 4, 0, (struct sockaddr *)&to,
				   sizeof(to)), 4);
	pthread_join(t, NULL);
	assert_int_equal(br.ret, 4);
	assert_memory_equal(br.buf, "late", 4);
	/*
	 * The last file reference went with recv; the stack thread may still
	 * hold its delivery reference on the sock for a moment.
	 */
	for (int i = 0; i < 1000000 && sl_sock_live() != 1; i++)
		sched_yield();
	assert_int_equal(sl_sock_live(), 1);
	sl_close(tx);
	one_stack_teardown(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_free),
		cmocka_unit_test(test_many_fds_grow),
		cmocka_unit_test(test_host_mode),
		cmocka_unit_test(test_fcntl),
		cmocka_unit_test(test_ioctl_queues),
		cmocka_unit_test(test_stack_destroy_closes_its_fds),
		cmocka_unit_test(test_close_while_blocked_in_recv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
