/*
 * preload_probe: a plain libc program that tests/interop/preload_basic_test.sh
 * runs under libsockline-preload.so, one job per subcommand. Each prints
 * "ok NAME" lines for what it checked by itself and exits 0, or prints
 * "FAIL NAME: why" and exits 1; what needs the kernel's view (data that
 * arrived, addresses seen) the script checks on the kernel side.
 *
 *   mix IP PORT        poll, select and epoll over a pipe and a TCP socket
 *                      to a kernel echo server (IP:PORT): each wakes on
 *                      either, times out without spinning
 *   eintr PORT         blocking accept: EINTR from a handler without
 *                      SA_RESTART, restarted with it; poll EINTR
 *   dup2 IP PORT       dup2 of a socket onto fd 1, write(1) reaches the
 *                      kernel (IP:PORT); F_DUPFD; dup2 of a pipe onto it
 *   v6 PORT            [::]:PORT dual-stack server: accepts one kernel
 *                      connection, prints the addresses it sees, echoes
 *   fork IP PORT       a child with sockets of its own next to the
 *                      parent's connection; inherited fds are EBADF
 *   exec IP PORT SELF  exec'd children (plain, and through sh -c) make
 *                      connections of their own; sockline fds, with or
 *                      without CLOEXEC, are not open in the new image
 *   send IP PORT MSG   connect, send MSG, close (the exec'd child's job)
 *   closed FD...       each FD is closed (EBADF)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fails;

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok %s\n", name);
	} else {
		printf("FAIL %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(" (errno %s)\n", strerror(errno));
		fails++;
	}
	fflush(stdout);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds this process used (user + system). */
static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int tcp_connect(const char *ip, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, ip, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- mix -------------------------------------------------------------------- */

struct delayed_write {
	int fd;
	int ms;
	const char *what;
};

static void *delayed_write(void *arg)
{
	struct delayed_write *d = arg;

	sleep_ms(d->ms);
	if (write(d->fd, d->what, strlen(d->what)) < 0)
		perror("delayed write");
	return NULL;
}

/* Write @what to @fd from another thread after @ms. */
static pthread_t later(struct delayed_write *d, int fd, int ms,
		       const char *what)
{
	pthread_t t;

	*d = (struct delayed_write){ fd, ms, what };
	pthread_create(&t, NULL, delayed_write, d);
	return t;
}

static void drain(int fd)
{
	char buf[256];

	(void)!read(fd, buf, sizeof(buf));
}

static void mix_poll(int p[2], int s)
{
	struct pollfd pfd[2] = { { .fd = p[0], .events = POLLIN },
				 { .fd = s, .events = POLLIN } };
	struct delayed_write d;
	double t0, c0;
	pthread_t t;
	int r;

	t0 = now();
	c0 = cpu();
	r = poll(pfd, 2, 300);
	check(r == 0 && now() - t0 > 0.25, "poll timeout", "r=%d after %.3f s",
	      r, now() - t0);
	check(cpu() - c0 < 0.1, "poll sleeps (no busy loop)",
	      "%.3f s of CPU in a 300 ms wait", cpu() - c0);

	t = later(&d, p[1], 100, "x");
	r = poll(pfd, 2, 5000);
	pthread_join(t, NULL);
	check(r == 1 && pfd[0].revents == POLLIN && !pfd[1].revents,
	      "poll wakes on the pipe", "r=%d revents %#x %#x", r,
	      pfd[0].revents, pfd[1].revents);
	drain(p[0]);

	t = later(&d, s, 100, "echo-poll\n");
	r = poll(pfd, 2, 5000);
	pthread_join(t, NULL);
	check(r == 1 && !pfd[0].revents && (pfd[1].revents & POLLIN),
	      "poll wakes on the socket", "r=%d revents %#x %#x", r,
	      pfd[0].revents, pfd[1].revents);
	drain(s);
}

static void mix_select(int p[2], int s)
{
	struct delayed_write d;
	struct timeval tv;
	fd_set rd;
	pthread_t t;
	double t0;
	int r, n = (p[0] > s ? p[0] : s) + 1;

	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(s, &rd);
	tv = (struct timeval){ 0, 200000 };
	t0 = now();
	r = select(n, &rd, NULL, NULL, &tv);
	check(r == 0 && now() - t0 > 0.15 && !FD_ISSET(s, &rd),
	      "select timeout", "r=%d after %.3f s", r, now() - t0);

	t = later(&d, s, 100, "echo-select\n");
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(s, &rd);
	tv = (struct timeval){ 5, 0 };
	r = select(n, &rd, NULL, NULL, &tv);
	pthread_join(t, NULL);
	check(r == 1 && FD_ISSET(s, &rd) && !FD_ISSET(p[0], &rd) &&
	      tv.tv_sec < 5, "select wakes on the socket (time left written)",
	      "r=%d tv %ld.%06ld", r, (long)tv.tv_sec, (long)tv.tv_usec);
	drain(s);

	t = later(&d, p[1], 100, "y");
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(s, &rd);
	r = select(n, &rd, NULL, NULL, NULL);
	pthread_join(t, NULL);
	check(r == 1 && FD_ISSET(p[0], &rd) && !FD_ISSET(s, &rd),
	      "select wakes on the pipe", "r=%d", r);
	drain(p[0]);
}

/* @ep: created before or after the socket (adopted or not). */
static void mix_epoll(const char *name, int ep, int p[2], int s)
{
	struct epoll_event ev, out[4];
	struct delayed_write d;
	char label[96];
	pthread_t t;
	double c0;
	int r;

	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = p[0] };
	r = epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = s };
	r |= epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	snprintf(label, sizeof(label), "%s: epoll_ctl both", name);
	check(r == 0, label, "r=%d", r);

	c0 = cpu();
	r = epoll_wait(ep, out, 4, 300);
	snprintf(label, sizeof(label), "%s: epoll_wait timeout, no busy loop",
		 name);
	check(r == 0 && cpu() - c0 < 0.1, label, "r=%d cpu %.3f", r, cpu() - c0);

	t = later(&d, s, 100, "echo-epoll\n");
	r = epoll_wait(ep, out, 4, 5000);
	pthread_join(t, NULL);
	snprintf(label, sizeof(label), "%s: epoll_wait wakes on the socket",
		 name);
	check(r == 1 && out[0].data.fd == s, label, "r=%d fd %d", r,
	      r > 0 ? out[0].data.fd : -1);
	drain(s);

	t = later(&d, p[1], 100, "z");
	r = epoll_wait(ep, out, 4, 5000);
	pthread_join(t, NULL);
	snprintf(label, sizeof(label), "%s: epoll_wait wakes on the pipe", name);
	check(r == 1 && out[0].data.fd == p[0], label, "r=%d fd %d", r,
	      r > 0 ? out[0].data.fd : -1);
	drain(p[0]);
	r = epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL) |
	    epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
	snprintf(label, sizeof(label), "%s: epoll_ctl DEL", name);
	check(r == 0, label, "r=%d", r);
	close(ep);
}

static int do_mix(const char *ip, int port)
{
	int early = epoll_create1(EPOLL_CLOEXEC);   /* before any socket */
	int p[2], s;

	if (pipe(p) < 0)
		return 1;
	s = tcp_connect(ip, port);
	check(s >= 0, "connect to the kernel's echo server", "%s:%d", ip, port);
	if (s < 0)
		return 1;
	mix_poll(p, s);
	mix_select(p, s);
	mix_epoll("kernel epoll made before the socket", early, p, s);
	mix_epoll("epoll made after", epoll_create1(0), p, s);
	close(s);
	return fails ? 1 : 0;
}

/* --- eintr ------------------------------------------------------------------- */

static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
	handled++;
}

static void handle_alarm(bool restart)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
}

static void *connect_later(void *arg)
{
	int port = *(int *)arg, fd;

	sleep_ms(700);
	fd = tcp_connect("127.0.0.1", port);
	sleep_ms(300);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int do_eintr(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port) };
	struct pollfd pfd;
	struct sigaction q;
	pthread_t t;
	int one = 1, l, c, r;
	double t0;

	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(l, 8)) {
		check(false, "listen", "port %d", port);
		return 1;
	}
	handle_alarm(false);
	sigaction(SIGALRM, NULL, &q);
	check(q.sa_handler == on_alarm && !(q.sa_flags & SA_RESTART),
	      "sigaction returns the program's handler", "%p flags %#x",
	      (void *)q.sa_handler, (unsigned int)q.sa_flags);
	t0 = now();
	ualarm(300000, 0);
	c = accept(l, NULL, NULL);
	check(c < 0 && errno == EINTR && handled == 1 && now() - t0 < 2,
	      "blocking accept: EINTR (no SA_RESTART)", "c=%d handled %d", c,
	      (int)handled);

	pfd = (struct pollfd){ .fd = l, .events = POLLIN };
	ualarm(200000, 0);
	r = poll(&pfd, 1, 5000);
	check(r < 0 && errno == EINTR && handled == 2, "poll: EINTR",
	      "r=%d handled %d", r, (int)handled);

	handle_alarm(true);
	pthread_create(&t, NULL, connect_later, &port);
	ualarm(300000, 0);
	t0 = now();
	c = accept(l, NULL, NULL);
	pthread_join(t, NULL);
	check(c >= 0 && handled == 3 && now() - t0 > 0.5,
	      "blocking accept: restarted (SA_RESTART), then a connection",
	      "c=%d handled %d after %.3f s", c, (int)handled, now() - t0);
	signal(SIGALRM, SIG_DFL);
	check(signal(SIGALRM, SIG_IGN) == SIG_DFL, "signal returns the old handler",
	      "");
	if (c >= 0)
		close(c);
	close(l);
	return fails ? 1 : 0;
}

/* --- dup2 -------------------------------------------------------------------- */

static int do_dup2(const char *ip, int port)
{
	static const char msg[] = "written to fd 1\n";
	struct stat st;
	int s = tcp_connect(ip, port), saved, d, p[2];
	ssize_t n;

	check(s >= 0, "connect", "%s:%d", ip, port);
	if (s < 0)
		return 1;
	check(fstat(s, &st) == 0 && S_ISSOCK(st.st_mode), "fstat: a socket",
	      "mode %o", (unsigned int)st.st_mode);
	saved = dup(1);
	check(dup2(s, 1) == 1, "dup2(socket, 1)", "");
	n = write(1, msg, sizeof(msg) - 1);
	dup2(saved, 1);
	check(n == sizeof(msg) - 1, "write(1) on the socket", "n=%zd", n);

	d = fcntl(s, F_DUPFD, 100);
	check(d >= 100, "fcntl(F_DUPFD, 100)", "d=%d", d);
	n = write(d, "via F_DUPFD\n", 12);
	check(n == 12, "write on the F_DUPFD copy", "n=%zd", n);
	check(!(fcntl(d, F_GETFD) & FD_CLOEXEC), "F_DUPFD copy without CLOEXEC",
	      "");

	/* A pipe onto the socket's number: it is a pipe from now on. */
	if (pipe(p) < 0)
		return 1;
	check(dup2(p[1], d) == d, "dup2(pipe, socket's number)", "");
	n = write(d, "p", 1);
	check(n == 1 && read(p[0], (char[2]){ 0 }, 1) == 1,
	      "the number is the pipe now", "n=%zd", n);
	close(d);
	shutdown(s, SHUT_WR);
	close(s);
	return fails ? 1 : 0;
}

/* --- v6 ------------------------------------------------------------------------ */

static int do_v6(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	char self[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN], buf[4096];
	socklen_t len = sizeof(int);
	int l, c, v = -1, dom = 0, one = 1;
	ssize_t n;

	l = socket(AF_INET6, SOCK_STREAM, 0);
	check(l >= 0, "socket(AF_INET6)", "");
	getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len);
	check(v == 0, "IPV6_V6ONLY is 0", "v=%d", v);
	len = sizeof(dom);
	getsockopt(l, SOL_SOCKET, SO_DOMAIN, &dom, &len);
	check(dom == AF_INET6, "SO_DOMAIN is AF_INET6", "dom=%d", dom);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 8)) {
		check(false, "bind [::] and listen", "");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	len = sizeof(a);
	c = accept(l, (struct sockaddr *)&a, &len);
	check(c >= 0 && len == sizeof(a) && a.sin6_family == AF_INET6,
	      "accept: an AF_INET6 peer address", "c=%d len %u", c,
	      (unsigned int)len);
	if (c < 0)
		return 1;
	inet_ntop(AF_INET6, &a.sin6_addr, peer, sizeof(peer));
	len = sizeof(a);
	getsockname(c, (struct sockaddr *)&a, &len);
	inet_ntop(AF_INET6, &a.sin6_addr, self, sizeof(self));
	printf("peer %s self %s\n", peer, self);
	fflush(stdout);
	while ((n = recv(c, buf, sizeof(buf), 0)) > 0)
		if (send(c, buf, (size_t)n, 0) != n)
			break;
	close(c);
	close(l);
	return fails ? 1 : 0;
}

/* --- fork and exec ----------------------------------------------------------- */

static int send_msg(const char *ip, int port, const char *msg)
{
	int s = tcp_connect(ip, port);
	size_t len = strlen(msg);

	if (s < 0)
		return -1;
	if (send(s, msg, len, 0) != (ssize_t)len) {
		close(s);
		return -1;
	}
	close(s);
	return 0;
}

static int do_fork(const char *ip, int port)
{
	char msg[64];
	int s, st, i;
	pid_t pid;

	s = tcp_connect(ip, port);
	check(s >= 0, "parent connects", "");
	if (s < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		/* The inherited connection is the parent's alone. */
		bool ebadf = write(s, "x", 1) < 0 && errno == EBADF;

		for (i = 0; i < 2; i++) {
			snprintf(msg, sizeof(msg), "child %d\n", i);
			if (send_msg(ip, port, msg))
				_exit(2);
		}
		_exit(ebadf ? 0 : 3);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "child: two connections of its own, inherited fd EBADF",
	      "status %#x", st);
	snprintf(msg, sizeof(msg), "parent after the child\n");
	check(send(s, msg, strlen(msg), 0) == (ssize_t)strlen(msg),
	      "parent's connection still works", "");
	close(s);
	return fails ? 1 : 0;
}

static int do_exec(const char *ip, int port, const char *self)
{
	char ports[16], fds[2][16], cmd[512];
	int keep, cloexec, st;
	pid_t pid;

	/* The parent's stack is up, with one socket inheritable and one not. */
	keep = socket(AF_INET, SOCK_STREAM, 0);
	cloexec = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	check(keep >= 0 && cloexec >= 0, "parent's sockets", "");
	check(fcntl(cloexec, F_GETFD) == FD_CLOEXEC && fcntl(keep, F_GETFD) == 0,
	      "FD_CLOEXEC as asked", "");
	snprintf(ports, sizeof(ports), "%d", port);
	snprintf(fds[0], sizeof(fds[0]), "%d", keep);
	snprintf(fds[1], sizeof(fds[1]), "%d", cloexec);

	pid = fork();
	if (pid == 0) {
		execl(self, self, "closed", fds[0], fds[1], (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "exec'd image: sockline fds closed, CLOEXEC or not", "status %#x",
	      st);

	pid = fork();
	if (pid == 0) {
		execl(self, self, "send", ip, ports, "exec child\n", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "exec'd child connects on its own stack", "status %#x", st);

	snprintf(cmd, sizeof(cmd), "'%s' send %s %d 'sh child\n'", self, ip, port);
	st = system(cmd);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "system(): sh -c runs a child that connects", "status %#x", st);
	close(keep);
	close(cloexec);
	return fails ? 1 : 0;
}

static int do_closed(int argc, char **argv)
{
	int i, fd;

	for (i = 0; i < argc; i++) {
		fd = atoi(argv[i]);
		errno = 0;
		check(fcntl(fd, F_GETFD) < 0 && errno == EBADF, "fd closed after exec",
		      "fd %d", fd);
	}
	return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "mix") && argc == 4)
		return do_mix(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "eintr") && argc == 3)
		return do_eintr(atoi(argv[2]));
	if (!strcmp(cmd, "dup2") && argc == 4)
		return do_dup2(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "v6") && argc == 3)
		return do_v6(atoi(argv[2]));
	if (!strcmp(cmd, "fork") && argc == 4)
		return do_fork(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "exec") && argc == 5)
		return do_exec(argv[2], atoi(argv[3]), argv[4]);
	if (!strcmp(cmd, "send") && argc == 5)
		return send_msg(argv[2], atoi(argv[3]), argv[4]) ? 1 : 0;
	if (!strcmp(cmd, "closed"))
		return do_closed(argc - 2, argv + 2);
	fprintf(stderr, "usage: preload_probe mix|eintr|dup2|v6|fork|exec|send|closed ...\n");
	return 2;
}
