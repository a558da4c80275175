/*
 * AF_INET (src/ipv4/af_inet.c): what inet_create sets up for each inetsw
 * entry, __inet_bind's address rules and lock bits, autobind and
 * getsockname/getpeername, datagram connect/disconnect, inet_shutdown,
 * and the TCP stub refusing cleanly.
 */
#include <fcntl.h>
#include <netinet/in.h>

#include "sl/inet_sock.h"
#include "sl/net_namespace.h"
#include "sl/socket.h"
#include "sl/tcp_states.h"
#include "../socket/sock_test_util.h"

/* The sock behind @fd (the test holds the fd open meanwhile). */
static struct sock *fd_sk(int fd)
{
	struct socket *sock;
	struct sock *sk;
	int err;

	sock = sockfd_lookup(fd, &err);
	assert_non_null(sock);
	sk = sock->sk;
	sockfd_put(sock);
	return sk;
}

static const struct proto_ops *fd_ops(int fd)
{
	struct socket *sock;
	const struct proto_ops *ops;
	int err;

	sock = sockfd_lookup(fd, &err);
	assert_non_null(sock);
	ops = sock->ops;
	sockfd_put(sock);
	return ops;
}

static void test_inet_create_defaults(void **state)
{
	struct one_stack s;
	struct inet_sock *inet;
	int udp, ping, raw, rawraw;

	one_stack_setup(&s, SL_NET_POLLED);
	udp = sl_socket(AF_INET, SOCK_DGRAM, 0);
	ping = sl_socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	raw = sl_socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	rawraw = sl_socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

	inet = inet_sk(fd_sk(udp));
	assert_ptr_equal(fd_ops(udp), &inet_dgram_ops);
	assert_int_equal(inet->uc_ttl, -1);
	assert_int_equal(inet->pmtudisc, IP_PMTUDISC_WANT);
	assert_int_equal(inet->mc_ttl, 1);
	assert_int_equal(inet->mc_loop, 1);
	assert_int_equal(inet->inet_num, 0);
	assert_int_equal(inet->sk.sk_reuse, SK_NO_REUSE);
	assert_int_equal(inet->sk.sk_state, TCP_CLOSE);
	assert_int_equal(inet->sk.sk_protocol, IPPROTO_UDP);

	/* ping and raw: inet_sockraw_ops, INET_PROTOSW_REUSE. */
	assert_ptr_equal(fd_ops(ping), &inet_sockraw_ops);
	assert_int_equal(fd_sk(ping)->sk_reuse, SK_CAN_REUSE);
	assert_ptr_equal(fd_ops(raw), &inet_sockraw_ops);
	inet = inet_sk(fd_sk(raw));
	assert_int_equal(inet->sk.sk_reuse, SK_CAN_REUSE);
	/* Raw sockets are bound to their protocol from the start. */
	assert_int_equal(inet->inet_num, IPPROTO_ICMP);
	assert_int_equal(inet->inet_sport, htons(IPPROTO_ICMP));
	assert_int_equal(inet->hdrincl, 0);
	assert_int_equal(inet_sk(fd_sk(rawraw))->hdrincl, 1);

	/* net.ipv4.ip_no_pmtu_disc decides pmtudisc for new sockets. */
	assert_int_equal(sl_sysctl_set(s.net, "net.ipv4.ip_no_pmtu_disc", "1"),
			 0);
	sl_close(udp);
	udp = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(inet_sk(fd_sk(udp))->pmtudisc, IP_PMTUDISC_DONT);

	sl_close(udp);
	sl_close(ping);
	sl_close(raw);
	sl_close(rawraw);
	one_stack_teardown(&s);
}

static void test_tcp_socket_created_and_closed_cleanly(void **state)
{
	struct one_stack s;
	long before;
	int fd;

	one_stack_setup(&s, SL_NET_POLLED);
	before = sl_sock_live();
	fd = sl_socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(fd, 3);
	assert_int_equal(sl_sock_live(), before + 1);
	sl_close(fd);
	/* closed before any connection: nothing left */
	assert_int_equal(sl_sock_live(), before);
	assert_int_equal(__atomic_load_n(&s.net->sockets, __ATOMIC_RELAXED), 0);
	one_stack_teardown(&s);
}

static void test_bind_addresses_and_locks(void **state)
{
	struct sockaddr_in sin;
	struct inet_sock *inet;
	struct sl_pair p;
	int fd;

	sl_pair_setup(&p, NULL);
	/* A local address and a port: both locks, both addresses. */
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	sin = sl_sin("10.0.0.1", 53); /* < 1024: allowed, we own the stack */
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	inet = inet_sk(fd_sk(fd));
	assert_int_equal(inet->inet_rcv_saddr, inet_addr("10.0.0.1"));
	assert_int_equal(inet->inet_saddr, inet_addr("10.0.0.1"));
	assert_int_equal(inet->inet_sport, htons(53));
	assert_int_equal(inet->inet_num, 53);
	assert_int_equal(inet->sk.sk_userlocks &
				 (SOCK_BINDADDR_LOCK | SOCK_BINDPORT_LOCK),
			 SOCK_BINDADDR_LOCK | SOCK_BINDPORT_LOCK);
	sl_close(fd);

	/* Wildcard address, port 0: an ephemeral port, no lock bits. */
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	sin = sl_sin("0.0.0.0", 0);
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	inet = inet_sk(fd_sk(fd));
	assert_true(inet->inet_num >= 32768 && inet->inet_num <= 60999);
	assert_int_equal(inet->sk.sk_userlocks &
				 (SOCK_BINDADDR_LOCK | SOCK_BINDPORT_LOCK),
			 0);
	sl_close(fd);

	/* Subnet broadcast and multicast: receive address only. */
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	sin = sl_sin("10.0.0.255", 4000);
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	inet = inet_sk(fd_sk(fd));
	assert_int_equal(inet->inet_rcv_saddr, inet_addr("10.0.0.255"));
	assert_int_equal(inet->inet_saddr, 0);
	sl_close(fd);
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	sin = sl_sin("224.0.0.9", 4001);
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(inet_sk(fd_sk(fd))->inet_saddr, 0);
	sl_close(fd);

	/* The peer's address is not ours... unless IP_FREEBIND. */
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	sin = sl_sin("10.0.0.2", 4002);
	assert_errno(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)),
		     EADDRNOTAVAIL);
	inet_sk(fd_sk(fd))->freebind = 1;
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sl_close(fd);
	sl_pair_teardown(&p);
}

static void test_autobind_getname_connect(void **state)
{
	struct sockaddr_in sin, peer = sl_sin("10.0.0.2", 9999);
	socklen_t len = sizeof(sin);
	struct sl_pair p;
	int fd, rx;

	sl_pair_setup(&p, NULL);
	rx = sl_socket_net(p.b, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_bind(rx, (struct sockaddr *)&peer, sizeof(peer)), 0);
	fd = sl_socket_net(p.a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(len, sizeof(sin));
	assert_int_equal(sin.sin_family, AF_INET);
	assert_int_equal(sin.sin_port, 0);
	assert_int_equal(sin.sin_addr.s_addr, 0);

	/* sendto autobinds (inet_send_prepare): a port, still no address. */
	assert_int_equal(sl_sendto(fd, "x", 1, 0, (struct sockaddr *)&peer,
				   sizeof(peer)), 1);
	assert_int_equal(sl_getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	assert_true(ntohs(sin.sin_port) >= 32768 && ntohs(sin.sin_port) <= 60999);
	assert_int_equal(sin.sin_addr.s_addr, 0);
	assert_errno(sl_getpeername(fd, (struct sockaddr *)&sin, &len),
		     ENOTCONN);

	/* connect picks the source address; the peer is known. */
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&peer, sizeof(peer)),
			 0);
	assert_int_equal(sl_getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(sin.sin_addr.s_addr, inet_addr("10.0.0.1"));
	assert_int_equal(sl_getpeername(fd, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(sin.sin_addr.s_addr, inet_addr("10.0.0.2"));
	assert_int_equal(ntohs(sin.sin_port), 9999);
	assert_int_equal(sl_send(fd, "y", 1, 0), 1);

	/* AF_UNSPEC dissolves the association. */
	sin.sin_family = AF_UNSPEC;
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_errno(sl_getpeername(fd, (struct sockaddr *)&sin, &len),
		     ENOTCONN);
	assert_errno(sl_send(fd, "z", 1, 0), EDESTADDRREQ);
	sl_close(fd);
	sl_close(rx);
	sl_pair_teardown(&p);
}

/* connect on a fresh socket autobinds too (inet_dgram_connect). */
static void test_connect_autobinds(void **state)
{
	struct sockaddr_in sin = sl_sin("127.0.0.1", 12345);
	struct one_stack s;
	int fd;

	one_stack_setup(&s, SL_NET_POLLED);
	fd = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_true(local_port(fd) >= 32768);
	sl_close(fd);
	one_stack_teardown(&s);
}

static void test_shutdown_connected(void **state)
{
	struct sockaddr_in to = sl_sin("127.0.0.1", 8100);
	struct one_stack s;
	struct pollfd pfd;
	char buf[4];
	int a, b;

	one_stack_setup(&s, SL_NET_POLLED);
	a = udp_bound("127.0.0.1", 8100);
	b = sl_socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sl_connect(b, (struct sockaddr *)&to, sizeof(to)), 0);
	to = sl_sin("127.0.0.1", local_port(b));
	assert_int_equal(sl_connect(a, (struct sockaddr *)&to, sizeof(to)), 0);

	/* SHUT_RD on a connected socket: EOF for a blocking reader. */
	assert_int_equal(sl_shutdown(a, SHUT_RD), 0);
	assert_int_equal(sl_recv(a, buf, sizeof(buf), 0), 0);
	pfd = (struct pollfd){ .fd = a, .events = POLLIN | POLLRDHUP };
	assert_int_equal(sl_poll(&pfd, 1, 0), 1);
	assert_true(pfd.revents & POLLRDHUP);
	assert_false(pfd.revents & POLLHUP);
	/* Sending still works, until SHUT_WR too. */
	assert_int_equal(sl_send(a, "x", 1, 0), 1);
	assert_int_equal(sl_shutdown(a, SHUT_WR), 0);
	assert_errno(sl_send(a, "x", 1, 0), EPIPE);
	assert_int_equal(sl_poll(&pfd, 1, 0), 1);
	assert_true(pfd.revents & POLLHUP);
	sl_close(a);
	sl_close(b);
	one_stack_teardown(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet_create_defaults),
		cmocka_unit_test(test_tcp_socket_created_and_closed_cleanly),
		cmocka_unit_test(test_bind_addresses_and_locks),
		cmocka_unit_test(test_autobind_getname_connect),
		cmocka_unit_test(test_connect_autobinds),
		cmocka_unit_test(test_shutdown_connected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
