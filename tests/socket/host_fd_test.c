/*
 * The fd table in host mode (src/socket/file.c): sl_dup and sl_dup3 give a
 * socket a second number (the kernel's numbering, the placeholder
 * duplicated), and sl_atfork_child lets a fork child start afresh with a
 * stack of its own while the parent's stack carries on.
 */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "host_test_util.h"

static bool same_socket(int a, int b)
{
	struct sockaddr_in x, y;
	socklen_t lx = sizeof(x), ly = sizeof(y);

	assert_int_equal(sl_getsockname(a, (struct sockaddr *)&x, &lx), 0);
	assert_int_equal(sl_getsockname(b, (struct sockaddr *)&y, &ly), 0);
	return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
}

/* The lowest free kernel number right now. */
static int lowest_free(void)
{
	int fd = open("/dev/null", O_RDONLY);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

static void test_dup(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct sockaddr_in to = sl_sin("127.0.0.1", 9100);
	int u, d, want, tx;
	char c;

	u = udp_bound("127.0.0.1", 9100);
	assert_int_equal(sl_fcntl(u, F_SETFD, (long)FD_CLOEXEC), 0);
	want = lowest_free();
	d = sl_dup(u);
	assert_int_equal(d, want);
	assert_true(sl_is_fd(d));
	assert_true(fcntl(d, F_GETFD) >= 0);        /* a placeholder */
	assert_int_equal(sl_fcntl(d, F_GETFD), 0);  /* dup clears cloexec */
	assert_true(same_socket(u, d));
	/* One file: O_NONBLOCK is shared. */
	assert_int_equal(sl_fcntl(u, F_SETFL, (long)O_NONBLOCK), 0);
	assert_int_equal(sl_fcntl(d, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	/* The socket lives on through the second number. */
	assert_int_equal(sl_close(u), 0);
	assert_int_equal(fcntl(u, F_GETFD), -1);
	assert_errno(sl_dup(u), EBADF);
	tx = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_sendto(tx, "q", 1, 0, (struct sockaddr *)&to,
				   sizeof(to)), 1);
	assert_int_equal(sl_recv(d, &c, 1, 0), 1);
	assert_int_equal(c, 'q');
	assert_errno(sl_dup(-1), EBADF);
	sl_close(d);
	sl_close(tx);
	host_stack_teardown(net);
}

static void test_dup3(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct pollfd p;
	int u, v, pp[2], n;

	u = udp_bound("127.0.0.1", 9100);
	v = udp_bound("127.0.0.1", 9101);
	assert_int_equal(pipe(pp), 0);

	/* Onto a kernel descriptor: the pipe's write end is replaced. */
	assert_int_equal(sl_dup3(u, pp[1], O_CLOEXEC), pp[1]);
	assert_true(sl_is_fd(pp[1]));
	assert_true(same_socket(u, pp[1]));
	assert_int_equal(sl_fcntl(pp[1], F_GETFD), FD_CLOEXEC);
	p = (struct pollfd){ .fd = pp[0], .events = POLLIN };
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_true(p.revents & POLLHUP);           /* no writer left */

	/* Onto another socket's number: that socket is closed. */
	n = (int)sl_sock_live();
	assert_int_equal(sl_dup3(u, v, 0), v);
	assert_int_equal((int)sl_sock_live(), n - 1);
	assert_true(same_socket(u, v));
	assert_int_equal(sl_fcntl(v, F_GETFD), 0);

	assert_errno(sl_dup3(u, u, 0), EINVAL);
	assert_errno(sl_dup3(u, pp[1], O_NONBLOCK), EINVAL);
	assert_errno(sl_dup3(u, -1, 0), EBADF);
	assert_errno(sl_dup3(pp[0], u, 0), EBADF);  /* not a sockline fd */
	sl_close(u);
	sl_close(v);
	sl_close(pp[1]);
	assert_int_equal(fcntl(pp[1], F_GETFD), -1);
	close(pp[0]);
	host_stack_teardown(net);
}

/* A dup of an epoll fd is the same instance, kernel side included. */
static void test_dup_epoll(void **state)
{
	sl_net_t *net = host_stack_setup();
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = 4 }, ev[2];
	int ep, d, pp[2];

	assert_int_equal(pipe(pp), 0);
	ep = sl_epoll_create1(0);
	assert_int_equal(sl_epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &e), 0);
	d = sl_dup(ep);
	assert_true(d >= 0);
	assert_int_equal(sl_close(ep), 0);
	assert_int_equal(write(pp[1], "a", 1), 1);
	assert_int_equal(sl_epoll_wait(d, ev, 2, 1000), 1);
	assert_int_equal(ev[0].data.u64, 4);
	sl_close(d);
	close(pp[0]);
	close(pp[1]);
	host_stack_teardown(net);
}

/* The child (no cmocka here): forget the parent's stacks, make one and
 * talk TCP over its loopback. The exit status says what failed. */
static int child_main(int parent_fd)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 9300);
	sl_net_t *net;
	int l, c, s, n;
	char buf[8];

	sl_atfork_child();
	if (sl_is_fd(parent_fd))
		return 10;
	if (fcntl(parent_fd, F_GETFD) != -1)
		return 11;                  /* the placeholder copy is closed */
	net = sl_net_create(&(struct sl_net_config){ .name = "child",
						     .mode = SL_NET_THREADED });
	if (!net || sl_net_enter(net))
		return 12;
	l = sl_socket(AF_INET, SOCK_STREAM, 0);
	c = sl_socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 || sl_bind(l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    sl_listen(l, 1))
		return 13;
	if (sl_connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		return 14;
	s = sl_accept(l, NULL, NULL);
	if (s < 0 || sl_send(c, "child", 5, 0) != 5)
		return 15;
	n = (int)sl_recv(s, buf, sizeof(buf), 0);
	if (n != 5 || memcmp(buf, "child", 5))
		return 16;
	sl_close(l);
	sl_close(c);
	sl_close(s);
	sl_net_destroy(net);
	return 0;
}

static void test_atfork_child(void **state)
{
	sl_net_t *net = host_stack_setup();
	int l, c, s, status;
	char buf[8];
	pid_t pid;

	l = host_listener(9300);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_main(l));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's stack and listener are untouched. */
	assert_true(sl_is_fd(l));
	assert_true(fcntl(l, F_GETFD) >= 0);
	c = host_connect(9300);
	s = sl_accept(l, NULL, NULL);
	assert_true(s >= 0);
	assert_int_equal(sl_send(s, "parent", 6, 0), 6);
	assert_int_equal(sl_recv(c, buf, sizeof(buf), 0), 6);
	sl_close(c);
	sl_close(s);
	sl_close(l);
	host_stack_teardown(net);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dup),
		cmocka_unit_test(test_dup3),
		cmocka_unit_test(test_dup_epoll),
		cmocka_unit_test(test_atfork_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
