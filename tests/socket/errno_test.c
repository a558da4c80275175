/*
 * The errno table: one test per misuse, each giving the errno Linux gives
 * and naming the kernel function it comes from (net/socket.c,
 * net/ipv4/af_inet.c, net/ipv4/udp.c, net/core/sock.c, fs/eventpoll.c).
 *
 *  row                                         errno            Linux source
 *  send on a never-opened fd                   EBADF            sockfd_lookup_light
 *  getsockname on a closed fd                  EBADF            fdget
 *  close twice                                 EBADF            close_fd
 *  bind on an epoll fd                         ENOTSOCK         sock_from_file
 *  socket(AF_INET6)                            EAFNOSUPPORT     __sock_create
 *  socket(AF_INET, SOCK_SEQPACKET)             ESOCKTNOSUPPORT  inet_create
 *  socket(AF_INET, SOCK_RAW, 0)                EPROTONOSUPPORT  inet_create
 *  socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)   EPROTONOSUPPORT  inet_create
 *  socket(type | unknown flag)                 EINVAL           __sys_socket
 *  bind with addrlen < sockaddr_in             EINVAL           inet_bind_sk
 *  bind with addrlen > sockaddr_storage        EINVAL           move_addr_to_kernel
 *  bind twice                                  EINVAL           __inet_bind
 *  bind sin_family AF_INET6                    EAFNOSUPPORT     __inet_bind
 *  bind AF_UNSPEC + non-any address            EAFNOSUPPORT     __inet_bind
 *  bind AF_UNSPEC + INADDR_ANY                 (works)          __inet_bind
 *  bind to an address not on the stack        EADDRNOTAVAIL    __inet_bind
 *  bind to a port in use                       EADDRINUSE       udp_lib_get_port
 *  listen on UDP                               EOPNOTSUPP       sock_no_listen
 *  accept on UDP                               EOPNOTSUPP       sock_no_accept
 *  connect with addrlen 0                      EINVAL           inet_dgram_connect
 *  connect sin_family AF_INET6                 EAFNOSUPPORT     __ip4_datagram_connect
 *  send on unconnected UDP                     EDESTADDRREQ     udp_sendmsg
 *  sendto with a short address                 EINVAL           udp_sendmsg
 *  UDP payload of 65508 bytes                  EMSGSIZE         udp_sendmsg/ip_append_data
 *  sendto a network with no route              ENETUNREACH      ip_route_output_flow
 *  sendto broadcast without SO_BROADCAST       EACCES           udp_sendmsg
 *  sendmsg with 1025 iovecs                    EMSGSIZE         __copy_msghdr
 *  recvmsg with 1025 iovecs                    EMSGSIZE         __copy_msghdr
 *  writev with 1025 / -1 iovecs                EINVAL           iovec_from_user
 *  send(NULL, 10)                              EFAULT           import_ubuf/copy
 *  recv(NULL, 10)                              EFAULT           import_ubuf/copy
 *  getpeername unconnected                     ENOTCONN         inet_getname
 *  shutdown unconnected UDP (bits still set)   ENOTCONN         inet_shutdown
 *  shutdown how 3                              EINVAL           inet_shutdown
 *  send after SHUT_WR                          EPIPE            sock_alloc_send_pskb
 *  recv MSG_DONTWAIT on an empty queue         EAGAIN           __skb_wait_for_more_packets
 *  recv on an O_NONBLOCK socket                EAGAIN           ____sys_recvmsg
 *  setsockopt(SOL_SOCKET, unknown)             ENOPROTOOPT      sk_setsockopt
 *  setsockopt(SO_TYPE) (read-only)             ENOPROTOOPT      sk_setsockopt
 *  setsockopt optlen < sizeof(int)             EINVAL           sk_setsockopt
 *  setsockopt negative optlen                  EINVAL           __sys_setsockopt
 *  SO_RCVTIMEO with tv_usec = 1000000          EDOM             sock_set_timeout
 *  SO_RCVTIMEO shorter than a timeval          EINVAL           sock_copy_user_timeval
 *  SO_BINDTODEVICE unknown name                ENODEV           sock_setbindtodevice
 *  getsockopt(SOL_SOCKET, unknown)             ENOPROTOOPT      sk_getsockopt
 *  getsockopt negative optlen                  EINVAL           sk_getsockopt
 *  getsockopt NULL optlen                      EFAULT           get_user
 *  ioctl unknown request                       ENOTTY           sock_do_ioctl
 *  fcntl unsupported command                   EINVAL           (sockline: only FL/FD)
 *  epoll_create1(bad flag)                     EINVAL           do_epoll_create
 *  epoll_ctl ADD twice                         EEXIST           do_epoll_ctl
 *  epoll_ctl DEL/MOD of a non-member           ENOENT           do_epoll_ctl
 *  epoll_ctl ADD epfd to itself                EINVAL           do_epoll_ctl
 *  epoll_ctl on a closed target                EBADF            do_epoll_ctl
 *  epoll_ctl with a socket as epfd             EINVAL           do_epoll_ctl
 *  epoll_ctl ADD with NULL event               EFAULT           do_epoll_ctl
 *  epoll_wait maxevents 0                      EINVAL           do_epoll_wait
 *  epoll_wait on a socket fd                   EINVAL           do_epoll_wait
 *
 * EISCONN is TCP's (connect on a connected stream socket); datagram
 * sockets reconnect freely, so it has no row until TCP arrives.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "sock_test_util.h"

static struct one_stack st;

static int setup(void **state)
{
	one_stack_setup(&st, SL_NET_POLLED);
	return 0;
}

static int teardown(void **state)
{
	one_stack_teardown(&st);
	return 0;
}

static int udp(void)
{
	int fd = sl_socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	return fd;
}

static void ebadf_never_opened(void **state)
{
	assert_errno(sl_send(4242, "x", 1, 0), EBADF);
	assert_errno(sl_send(-1, "x", 1, 0), EBADF);
}

static void ebadf_closed(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = udp();

	assert_int_equal(sl_close(fd), 0);
	assert_errno(sl_getsockname(fd, (struct sockaddr *)&sin, &len), EBADF);
	assert_errno(sl_close(fd), EBADF);
}

static void enotsock_epoll_fd(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 1);
	int ep = sl_epoll_create1(0);

	assert_errno(sl_bind(ep, (struct sockaddr *)&sin, sizeof(sin)),
		     ENOTSOCK);
	assert_errno(sl_send(ep, "x", 1, 0), ENOTSOCK);
	sl_close(ep);
}

static void socket_family_type_protocol(void **state)
{
	assert_errno(sl_socket(AF_INET6, SOCK_DGRAM, 0), EAFNOSUPPORT);
	assert_errno(sl_socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	assert_errno(sl_socket(AF_INET, SOCK_RAW, 0), EPROTONOSUPPORT);
	assert_errno(sl_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP),
		     EPROTONOSUPPORT);
	assert_errno(sl_socket(AF_INET, SOCK_DGRAM | 0x40000000, 0), EINVAL);
}

static void bind_addrlen(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	int fd = udp();

	memset(&ss, 0, sizeof(ss));
	*sin = sl_sin("127.0.0.1", 0);
	assert_errno(sl_bind(fd, (struct sockaddr *)sin, sizeof(*sin) - 1),
		     EINVAL);
	assert_errno(sl_bind(fd, (struct sockaddr *)sin, sizeof(ss) + 1),
		     EINVAL);
	sl_close(fd);
}

static void bind_twice(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 0);
	int fd = udp();

	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_errno(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), EINVAL);
	sl_close(fd);
}

static void bind_family(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 0);
	int fd = udp();

	sin.sin_family = AF_INET6;
	assert_errno(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)),
		     EAFNOSUPPORT);
	sin.sin_family = AF_UNSPEC;
	assert_errno(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)),
		     EAFNOSUPPORT);
	/* Compatibility: AF_UNSPEC with INADDR_ANY is taken as AF_INET. */
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sl_close(fd);
}

static void bind_eaddrnotavail(void **state)
{
	struct sockaddr_in sin = sl_sin("10.9.9.9", 0);
	int fd = udp();

	assert_errno(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)),
		     EADDRNOTAVAIL);
	sl_close(fd);
}

static void bind_eaddrinuse(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 4000);
	int a = udp_bound("127.0.0.1", 4000), b = udp();

	assert_errno(sl_bind(b, (struct sockaddr *)&sin, sizeof(sin)),
		     EADDRINUSE);
	sl_close(a);
	sl_close(b);
}

static void listen_accept_udp(void **state)
{
	int fd = udp();

	assert_errno(sl_listen(fd, 1), EOPNOTSUPP);
	assert_errno(sl_accept(fd, NULL, NULL), EOPNOTSUPP);
	sl_close(fd);
}

static void connect_bad_address(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 9);
	int fd = udp();

	assert_errno(sl_connect(fd, (struct sockaddr *)&sin, 0), EINVAL);
	sin.sin_family = AF_INET6;
	assert_errno(sl_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
		     EAFNOSUPPORT);
	sl_close(fd);
}

static void send_edestaddrreq(void **state)
{
	int fd = udp();

	assert_errno(sl_send(fd, "x", 1, 0), EDESTADDRREQ);
	sl_close(fd);
}

static void sendto_short_address(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 9);
	int fd = udp();

	assert_errno(sl_sendto(fd, "x", 1, 0, (struct sockaddr *)&sin, 8),
		     EINVAL);
	sl_close(fd);
}

static void send_emsgsize(void **state)
{
	static char big[65508];
	struct sockaddr_in sin = sl_sin("127.0.0.1", 9);
	int fd = udp();

	assert_errno(sl_sendto(fd, big, sizeof(big), 0, (struct sockaddr *)&sin,
			       sizeof(sin)),
		     EMSGSIZE);
	sl_close(fd);
}

static void sendto_enetunreach(void **state)
{
	struct sockaddr_in sin = sl_sin("192.168.77.1", 9);
	int fd = udp();

	assert_errno(sl_sendto(fd, "x", 1, 0, (struct sockaddr *)&sin,
			       sizeof(sin)),
		     ENETUNREACH);
	sl_close(fd);
}

static void sendto_broadcast_eacces(void **state)
{
	struct sockaddr_in sin = sl_sin("10.0.0.255", 9);
	struct sl_pair p;
	int fd, one = 1;

	/* Needs a broadcast-capable device: a wire, not just lo. */
	sl_pair_setup(&p, NULL);
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	assert_errno(sl_sendto(fd, "x", 1, 0, (struct sockaddr *)&sin,
			       sizeof(sin)),
		     EACCES);
	sin = sl_sin("255.255.255.255", 9);
	assert_errno(sl_sendto(fd, "x", 1, 0, (struct sockaddr *)&sin,
			       sizeof(sin)),
		     EACCES);
	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one,
				       sizeof(one)), 0);
	assert_int_equal(sl_sendto(fd, "x", 1, 0, (struct sockaddr *)&sin,
				   sizeof(sin)), 1);
	sl_close(fd);
	sl_pair_teardown(&p);
}

static void iov_limits(void **state)
{
	static struct iovec iov[1025];
	static char c;
	struct msghdr m = { 0 };
	int fd = udp_bound("127.0.0.1", 4100);

	for (int i = 0; i < 1025; i++) {
		iov[i].iov_base = &c;
		iov[i].iov_len = 1;
	}
	m.msg_iov = iov;
	m.msg_iovlen = 1025;
	assert_errno(sl_sendmsg(fd, &m, 0), EMSGSIZE);
	assert_errno(sl_recvmsg(fd, &m, MSG_DONTWAIT), EMSGSIZE);
	assert_errno(sl_writev(fd, iov, 1025), EINVAL);
	assert_errno(sl_writev(fd, iov, -1), EINVAL);
	assert_errno(sl_readv(fd, iov, 1025), EINVAL);
	sl_close(fd);
}

static void efault_null_buffers(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 4200);
	int fd = udp_bound("127.0.0.1", 4200);

	assert_errno(sl_sendto(fd, NULL, 10, 0, (struct sockaddr *)&sin,
			       sizeof(sin)),
		     EFAULT);
	assert_errno(sl_recv(fd, NULL, 10, MSG_DONTWAIT), EFAULT);
	assert_errno(sl_sendmsg(fd, NULL, 0), EFAULT);
	sl_close(fd);
}

static void getpeername_enotconn(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = udp();

	assert_errno(sl_getpeername(fd, (struct sockaddr *)&sin, &len),
		     ENOTCONN);
	sl_close(fd);
}

static void shutdown_unconnected(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 4300);
	struct pollfd pfd;
	int fd = udp();

	assert_errno(sl_shutdown(fd, 3), EINVAL);
	assert_errno(sl_shutdown(fd, -1), EINVAL);
	/* ENOTCONN, but the bits are set: EPOLLHUP is seen and sends fail. */
	assert_errno(sl_shutdown(fd, SHUT_RDWR), ENOTCONN);
	pfd.fd = fd;
	pfd.events = POLLIN;
	assert_int_equal(sl_poll(&pfd, 1, 0), 1);
	assert_true(pfd.revents & POLLHUP);
	assert_errno(sl_sendto(fd, "x", 1, 0, (struct sockaddr *)&sin,
			       sizeof(sin)),
		     EPIPE);
	sl_close(fd);
}

static void send_after_shut_wr(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 4400);
	int rx = udp_bound("127.0.0.1", 4400), fd = udp();

	assert_int_equal(sl_connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	assert_int_equal(sl_shutdown(fd, SHUT_WR), 0);
	assert_errno(sl_send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	sl_close(fd);
	sl_close(rx);
}

static void recv_eagain(void **state)
{
	char buf[8];
	int fd = udp_bound("127.0.0.1", 4500);
	int on = 1;

	assert_errno(sl_recv(fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	assert_int_equal(sl_ioctl(fd, FIONBIO, &on), 0);
	assert_errno(sl_recv(fd, buf, sizeof(buf), 0), EAGAIN);
	assert_errno(sl_read(fd, buf, sizeof(buf)), EAGAIN);
	sl_close(fd);
}

static void setsockopt_errors(void **state)
{
	struct timeval tv = { .tv_sec = 1, .tv_usec = 1000000 };
	int fd = udp(), one = 1;

	assert_errno(sl_setsockopt(fd, SOL_SOCKET, 9999, &one, sizeof(one)),
		     ENOPROTOOPT);
	assert_errno(sl_setsockopt(fd, SOL_SOCKET, SO_TYPE, &one, sizeof(one)),
		     ENOPROTOOPT);
	assert_errno(sl_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 2),
		     EINVAL);
	assert_errno(sl_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				   (socklen_t)-1),
		     EINVAL);
	assert_errno(sl_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv)),
		     EDOM);
	assert_errno(sl_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				   sizeof(tv) - 1),
		     EINVAL);
	assert_errno(sl_setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "nope0", 6),
		     ENODEV);
	sl_close(fd);
}

static void getsockopt_errors(void **state)
{
	int fd = udp(), v;
	socklen_t len = sizeof(v);

	assert_errno(sl_getsockopt(fd, SOL_SOCKET, 9999, &v, &len),
		     ENOPROTOOPT);
	len = (socklen_t)-1;
	assert_errno(sl_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
	assert_errno(sl_getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
	sl_close(fd);
}

static void ioctl_fcntl_errors(void **state)
{
	int fd = udp(), v;

	assert_errno(sl_ioctl(fd, 0x89F0 /* SIOCDEVPRIVATE */, &v), ENOTTY);
	assert_errno(sl_fcntl(fd, F_DUPFD, 0L), EINVAL);
	assert_errno(sl_fcntl(4242, F_GETFL), EBADF);
	sl_close(fd);
}

static void epoll_errors(void **state)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, fd = udp(), closed = udp();

	assert_errno(sl_epoll_create1(1), EINVAL);
	ep = sl_epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	assert_int_equal(sl_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EEXIST);
	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_MOD, closed, &ev), ENOENT);
	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_DEL, closed, NULL), ENOENT);
	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_ADD, fd, NULL), EFAULT);
	assert_errno(sl_epoll_ctl(fd, EPOLL_CTL_ADD, closed, &ev), EINVAL);
	assert_errno(sl_epoll_ctl(ep, 42, fd, &ev), EINVAL);
	sl_close(closed);
	assert_errno(sl_epoll_ctl(ep, EPOLL_CTL_ADD, closed, &ev), EBADF);
	assert_errno(sl_epoll_wait(ep, &ev, 0, 0), EINVAL);
	assert_errno(sl_epoll_wait(fd, &ev, 1, 0), EINVAL);
	assert_errno(sl_epoll_wait(4242, &ev, 1, 0), EBADF);
	sl_close(fd);
	sl_close(ep);
}

#define ROW(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ROW(ebadf_never_opened),
		ROW(ebadf_closed),
		ROW(enotsock_epoll_fd),
		ROW(socket_family_type_protocol),
		ROW(bind_addrlen),
		ROW(bind_twice),
		ROW(bind_family),
		ROW(bind_eaddrnotavail),
		ROW(bind_eaddrinuse),
		ROW(listen_accept_udp),
		ROW(connect_bad_address),
		ROW(send_edestaddrreq),
		ROW(sendto_short_address),
		ROW(send_emsgsize),
		ROW(sendto_enetunreach),
		ROW(sendto_broadcast_eacces),
		ROW(iov_limits),
		ROW(efault_null_buffers),
		ROW(getpeername_enotconn),
		ROW(shutdown_unconnected),
		ROW(send_after_shut_wr),
		ROW(recv_eagain),
		ROW(setsockopt_errors),
		ROW(getsockopt_errors),
		ROW(ioctl_fcntl_errors),
		ROW(epoll_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
