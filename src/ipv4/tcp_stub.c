/*
 * A placeholder tcp_prot until TCP arrives (a later issue).
 *
 * The inetsw entry for SOCK_STREAM/IPPROTO_TCP exists and points here, so
 * socket(AF_INET, SOCK_STREAM, 0) walks the same path it will take with
 * TCP: __sock_create -> inet_create -> sk_alloc -> sock_init_data ->
 * sk_prot->init. That init refuses with -EPROTONOSUPPORT, inet_create
 * releases the half-made sock (sk_common_release) and socket(2) fails
 * cleanly with EPROTONOSUPPORT. This file goes away when src/ipv4/tcp*.c
 * define the real tcp_prot.
 */
#include <errno.h>

#include "sl/inet_sock.h"
#include "sl/sock.h"

/* TCP is not there yet: refuse the socket. */
static int tcp_stub_init(struct sock *sk)
{
	return -EPROTONOSUPPORT;
}

/* sk_common_release calls these on the refused sock: nothing to undo. */
static void tcp_stub_destroy(struct sock *sk)
{
}

static void tcp_stub_unhash(struct sock *sk)
{
}

static void tcp_stub_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

struct proto tcp_prot = {
	.name = "TCP",
	.init = tcp_stub_init,
	.destroy = tcp_stub_destroy,
	.unhash = tcp_stub_unhash,
	.close = tcp_stub_close,
	.obj_size = sizeof(struct inet_sock),
};
