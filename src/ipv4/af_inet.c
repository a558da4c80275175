/*
 * AF_INET: the IPv4 address family above the socket layer, as Linux's
 * net/ipv4/af_inet.c.
 *
 * inet_init() (once, from sl_init) registers inet_family_ops with
 * sock_register, fills the inetsw protocol switch from inetsw_array and
 * adds the ICMP, UDP and TCP receive handlers to inet_protos.
 *
 * socket(AF_INET, type, protocol) -> __sock_create -> inet_create: walk
 * inetsw[type] for the protocol, take the entry's proto_ops
 * (inet_stream_ops, inet_dgram_ops, inet_sockraw_ops) and struct proto
 * (tcp_prot, udp_prot, ping_prot, raw_prot), sk_alloc + sock_init_data +
 * sk_prot->init. Afterwards each proto_ops member here does the
 * family-generic part (address checks, autobind, locking) and calls the
 * struct proto member that does the protocol's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "sl/icmp.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/ping.h"
#include "sl/protocol.h"
#include "sl/raw.h"
#include "sl/route.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/tcp.h"
#include "sl/tcp_states.h"
#include "sl/udp.h"


/* Linux's IPPROTO_MAX: protocol numbers are one byte. */
#define INET_IPPROTO_MAX 256
/* Linux's SOCK_MAX. */
#define INET_SOCK_MAX (SOCK_PACKET + 1)

/*
 * The protocol switch: one list per socket type. Written at init (and by
 * inet_(un)register_protosw), read by every socket(2).
 */
static struct list_head inetsw[INET_SOCK_MAX];
static rwlock_t inetsw_lock = RWLOCK_UNLOCKED;
static pthread_once_t inetsw_once = PTHREAD_ONCE_INIT;

static void inetsw_init_lists(void)
{
	for (int i = 0; i < INET_SOCK_MAX; i++)
		INIT_LIST_HEAD(&inetsw[i]);
}

/**
 * inet_register_protosw - add a (type, protocol) entry to inetsw
 *
 * The entry goes after the last permanent entry of its type, so that a
 * wildcard lookup keeps finding the permanent one first; an entry that
 * would override a permanent protocol is refused (as Linux, with a log
 * line there and silence here).
 */
void inet_register_protosw(struct inet_protosw *p)
{
	struct list_head *lh, *last_perm;
	struct inet_protosw *answer;

	pthread_once(&inetsw_once, inetsw_init_lists);
	if (p->type >= INET_SOCK_MAX)
		return;
	write_lock(&inetsw_lock);
	last_perm = &inetsw[p->type];
	list_for_each(lh, &inetsw[p->type]) {
		answer = list_entry(lh, struct inet_protosw, list);
		/* Permanent entries sit first; stop at the first other one.
		 * A permanent entry with this exact protocol wins. */
		if (!(answer->flags & INET_PROTOSW_PERMANENT))
			break;
		if (p->protocol == answer->protocol)
			goto out;
		last_perm = lh;
	}
	list_add(&p->list, last_perm);
out:
	rwlock_unlock(&inetsw_lock);
}

/**
 * inet_unregister_protosw - remove an entry (permanent ones stay)
 */
void inet_unregister_protosw(struct inet_protosw *p)
{
	if (p->flags & INET_PROTOSW_PERMANENT)
		return;
	write_lock(&inetsw_lock);
	list_del(&p->list);
	rwlock_unlock(&inetsw_lock);
}

/*
 * Find the inetsw entry for (type, *protocol). IPPROTO_IP asks for the
 * type's default (its first entry) and gets the real protocol back in
 * *protocol; an entry registered with IPPROTO_IP (raw) takes any other
 * protocol. Returns 0, -ESOCKTNOSUPPORT for a type with no entries, or
 * -EPROTONOSUPPORT, exactly as Linux's loop in inet_create.
 */
static int inetsw_lookup(int type, int *protocol, struct inet_protosw *out)
{
	struct inet_protosw *answer;
	int err = -ESOCKTNOSUPPORT;

	read_lock(&inetsw_lock);
	list_for_each_entry(answer, &inetsw[type], list) {
		err = 0;
		/* Exact protocol: done, unless both are IPPROTO_IP. */
		if (*protocol == answer->protocol) {
			if (*protocol != IPPROTO_IP)
				break;
		} else {
			/* IPPROTO_IP on either side matches: the caller's
			 * asks for the type's default, the entry's accepts
			 * any protocol. */
			if (*protocol == IPPROTO_IP) {
				*protocol = answer->protocol;
				break;
			}
			if (answer->protocol == IPPROTO_IP)
				break;
		}
		err = -EPROTONOSUPPORT;
	}
	if (!err)
		*out = *answer;
	rwlock_unlock(&inetsw_lock);
	return err;
}

/* IPv4 defaults of a new inet_sock (after sock_init_data). */
static void inet_sock_init(struct sock *sk, struct inet_protosw *answer,
			   int protocol)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);

	if (answer->flags & INET_PROTOSW_REUSE)
		sk->sk_reuse = SK_CAN_REUSE;
	if (answer->type == SOCK_RAW) {
		/* Raw sockets are "bound" to their protocol from the start. */
		inet->inet_num = (u16)protocol;
		if (protocol == IPPROTO_RAW)
			inet->hdrincl = 1;
	}
	/* net.ipv4.ip_no_pmtu_disc decides, for every socket type. */
	inet->pmtudisc = READ_ONCE(net->ipv4.sysctl_ip_no_pmtu_disc)
				 ? IP_PMTUDISC_DONT
				 : IP_PMTUDISC_WANT;
	inet->inet_id = 0;
	sk->sk_protocol = (u8)protocol;
	sk->sk_backlog_rcv = sk->sk_prot->backlog_rcv;
	/* sk_destruct stays the core's (queues and cached route go in sk_free). */
	inet->uc_ttl = -1;
	inet->mc_loop = 1;
	inet->mc_ttl = 1;
	inet->mc_index = 0;
	inet->rcv_tos = 0;
}

/**
 * inet_create - the AF_INET family's create (socket(2))
 * @net: the stack, @sock: the new socket (type set), @protocol: IPPROTO_*
 *
 * Returns 0 with sock->ops and sock->sk set, or -EINVAL (protocol out of
 * range), -ESOCKTNOSUPPORT, -EPROTONOSUPPORT, -ENOBUFS, or the protocol
 * init's error. On error no sock is
 * left behind. SOCK_RAW needs no CAP_NET_RAW here: sockline runs with the
 * user's rights over its own stack.
 */
static int inet_create(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct inet_protosw answer;
	struct inet_sock *inet;
	struct sock *sk;
	int err;

	if (protocol < 0 || protocol >= INET_IPPROTO_MAX)
		return -EINVAL;
	sock->state = SS_UNCONNECTED;

	/* Resolve (type, protocol) to its inetsw entry. */
	err = inetsw_lookup(sock->type, &protocol, &answer);
	if (err)
		return err;

	sock->ops = answer.ops;
	err = -ENOBUFS;
	sk = sk_alloc(net, AF_INET, answer.prot);
	if (!sk)
		goto out;
	sock_init_data(sock, sk);
	inet_sock_init(sk, &answer, protocol);
	inet = inet_sk(sk);

	if (inet->inet_num) {
		/*
		 * A protocol number fixed at socket(2) time (raw) acts as
		 * the local "port"; such sockets never exclude each other.
		 */
		inet->inet_sport = htons(inet->inet_num);
		/* Make the socket findable by the receive path now. */
		err = sk->sk_prot->hash ? sk->sk_prot->hash(sk) : 0;
		if (err)
			goto out_sk_release;
	}
	if (sk->sk_prot->init) {
		err = sk->sk_prot->init(sk);
		if (err)
			goto out_sk_release;
	}
	return 0;

out_sk_release:
	sk_common_release(sk);
	sock->sk = NULL;
out:
	return err;
}

static const struct net_proto_family inet_family_ops = {
	.family = AF_INET,
	.create = inet_create,
};

/**
 * inet_release - close(2) of an AF_INET socket
 *
 * With SO_LINGER the protocol may wait up to the linger time; the close
 * itself (sk_prot->close) is the same either way and drops the socket's
 * reference to the sock. Always 0.
 */
int inet_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	long timeout = 0;

	if (!sk)
		return 0;
	/* SO_LINGER: let the protocol's close block for the linger time. */
	if (sock_flag(sk, SOCK_LINGER))
		timeout = (long)sk->sk_lingertime;
	sock->sk = NULL;
	sk->sk_prot->close(sk, timeout);
	return 0;
}

/*
 * Linux's inet_addr_type for binding: local, broadcast (limited, zeronet
 * or a directed broadcast of one of our subnets), multicast or unicast.
 */
static int inet_addr_type(struct net *net, __be32 addr)
{
	struct net_device *dev;
	int type = RTN_UNICAST;

	if (ipv4_is_zeronet(addr) || ipv4_is_lbcast(addr))
		return RTN_BROADCAST;
	if (ipv4_is_multicast(addr))
		return RTN_MULTICAST;
	if (inet_addr_is_local(net, addr))
		return RTN_LOCAL;
	pthread_mutex_lock(&net->dev_lock);
	list_for_each_entry(dev, &net->dev_base_head, dev_list) {
		if (inet_addr_is_broadcast(dev, addr)) {
			type = RTN_BROADCAST;
			break;
		}
	}
	pthread_mutex_unlock(&net->dev_lock);
	return type;
}

/*
 * May a socket bind to @addr? Ours, INADDR_ANY, a broadcast or a
 * multicast address, or anything at all with IP_FREEBIND/IP_TRANSPARENT.
 * No RFC mandates the broadcast/multicast cases; applications rely on
 * them, so we keep Linux's behaviour.
 */
static bool inet_addr_valid_or_nonlocal(struct inet_sock *inet, __be32 addr,
					int addr_type)
{
	return inet->freebind || inet->transparent ||
	       addr == htonl(INADDR_ANY) || addr_type == RTN_LOCAL ||
	       addr_type == RTN_MULTICAST || addr_type == RTN_BROADCAST;
}

/**
 * __inet_bind - bind an AF_INET sock to an address and port
 * @flags: 0 (the caller already owns the socket) or 1 (take lock_sock)
 *
 * Returns 0 or -EAFNOSUPPORT (family not AF_INET, except AF_UNSPEC with
 * INADDR_ANY), -EADDRNOTAVAIL (not our address), -EINVAL (already bound
 * or not closed), -EADDRINUSE (sk_prot->get_port). Ports below 1024 need
 * no privilege: sockline's stacks belong to the calling user, who has
 * every capability over them (Linux would check CAP_NET_BIND_SERVICE).
 */
int __inet_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len,
		u32 flags)
{
	struct sockaddr_in *addr = (struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	unsigned short snum;
	int chk_addr_ret;
	int err;

	if (addr->sin_family != AF_INET) {
		/* Old callers pass AF_UNSPEC with a wildcard address;
		 * treat that one case as AF_INET, refuse the rest. */
		err = -EAFNOSUPPORT;
		if (addr->sin_family != AF_UNSPEC ||
		    addr->sin_addr.s_addr != htonl(INADDR_ANY))
			goto out;
	}
	chk_addr_ret = inet_addr_type(sock_net(sk), addr->sin_addr.s_addr);
	err = -EADDRNOTAVAIL;
	if (!inet_addr_valid_or_nonlocal(inet, addr->sin_addr.s_addr,
					 chk_addr_ret))
		goto out;
	snum = ntohs(addr->sin_port);

	if (flags)
		lock_sock(sk);
	/* A socket already connected, listening or bound: -EINVAL. */
	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE || inet->inet_num)
		goto out_release_sock;

	/*
	 * rcv_saddr is what incoming datagrams are matched against, saddr
	 * the source we send from. A broadcast or multicast address cannot
	 * be a source (RFC 1122 3.2.1.3), so for those binds saddr stays 0
	 * and routing supplies the outgoing device's address.
	 */
	inet->inet_rcv_saddr = inet->inet_saddr = addr->sin_addr.s_addr;
	if (chk_addr_ret == RTN_MULTICAST || chk_addr_ret == RTN_BROADCAST)
		inet->inet_saddr = 0; /* chosen per route */

	/* Claim the port (IP_BIND_ADDRESS_NO_PORT defers port 0). */
	if (snum || !inet->bind_address_no_port) {
		err = sk->sk_prot->get_port ? sk->sk_prot->get_port(sk, snum)
					    : -EOPNOTSUPP;
		if (err) {
			inet->inet_saddr = inet->inet_rcv_saddr = 0;
			goto out_release_sock;
		}
	}
	if (inet->inet_rcv_saddr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (snum)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	inet->inet_sport = htons(inet->inet_num);
	inet->inet_daddr = 0;
	inet->inet_dport = 0;
	sk_dst_reset(sk);
	err = 0;
out_release_sock:
	if (flags)
		release_sock(sk);
out:
	return err;
}

/**
 * inet_bind - bind(2) for AF_INET
 *
 * A protocol with its own bind (raw) decides alone; otherwise the address
 * must be a whole sockaddr_in (-EINVAL) and __inet_bind does the rest.
 */
int inet_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len)
{
	struct sock *sk = sock->sk;

	/* Raw and ping sockets have their own bind (no port rules). */
	if (sk->sk_prot->bind)
		return sk->sk_prot->bind(sk, uaddr, addr_len);
	if (addr_len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	return __inet_bind(sk, uaddr, addr_len, 1);
}

/* Pick an ephemeral port for a sock that has none (Linux's inet_autobind). */
static int inet_autobind(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	int err = 0;

	lock_sock(sk);
	if (!inet->inet_num) {
		if (!sk->sk_prot->get_port || sk->sk_prot->get_port(sk, 0))
			err = -EAGAIN;
		else
			inet->inet_sport = htons(inet->inet_num);
	}
	release_sock(sk);
	return err;
}

/**
 * inet_dgram_connect - connect(2) for datagram sockets
 *
 * AF_UNSPEC dissolves the association (sk_prot->disconnect); otherwise the
 * socket is autobound and sk_prot->connect (ip4_datagram_connect) routes
 * and records the peer. -EINVAL when even the family does not fit.
 */
int inet_dgram_connect(struct socket *sock, struct sockaddr *uaddr,
		       int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	struct proto *prot = READ_ONCE(sk->sk_prot);

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	if (uaddr->sa_family == AF_UNSPEC)
		return prot->disconnect ? prot->disconnect(sk, flags)
					: -EOPNOTSUPP;
	if (!READ_ONCE(inet_sk(sk)->inet_num) && inet_autobind(sk))
		return -EAGAIN;
	return prot->connect(sk, uaddr, addr_len);
}

/**
 * inet_getname - getsockname(2) (peer 0) / getpeername(2) (peer 1)
 *
 * Returns the address length, or -ENOTCONN for the peer of a socket that
 * has none.
 */
int inet_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sock *sk = sock->sk;
	struct inet_sock *inet = inet_sk(sk);
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;

	sin->sin_family = AF_INET;
	lock_sock(sk);
	if (peer) {
		if (!inet->inet_dport ||
		    (((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT)) &&
		     peer == 1)) {
			release_sock(sk);
			return -ENOTCONN;
		}
		sin->sin_port = inet->inet_dport;
		sin->sin_addr.s_addr = inet->inet_daddr;
	} else {
		__be32 addr = inet->inet_rcv_saddr;

		if (!addr)
			addr = inet->inet_saddr;
		sin->sin_port = inet->inet_sport;
		sin->sin_addr.s_addr = addr;
	}
	release_sock(sk);
	memset(sin->sin_zero, 0, sizeof(sin->sin_zero));
	return (int)sizeof(*sin);
}

/*
 * Generic queue sizes for protocols without their own ioctl: the length of
 * the first queued skb (its data as the protocol queued it) and the bytes
 * not yet sent.
 */
static int inet_queue_ioctl(struct sock *sk, unsigned int cmd, int *karg)
{
	struct sk_buff *skb;

	switch (cmd) {
	case SIOCOUTQ:
		*karg = sk_wmem_alloc_get(sk);
		return 0;
	case SIOCINQ:
		skb_queue_lock(&sk->sk_receive_queue);
		skb = skb_peek(&sk->sk_receive_queue);
		*karg = skb ? (int)skb->len : 0;
		skb_queue_unlock(&sk->sk_receive_queue);
		return 0;
	default:
		return -ENOIOCTLCMD;
	}
}

/**
 * inet_ioctl - ioctl(2) on an AF_INET socket
 * @arg: user pointer to an int (SIOCINQ/FIONREAD, SIOCOUTQ)
 *
 * Routing, ARP and interface ioctls are not offered (sockline configures
 * stacks through its own API): -EINVAL for SIOCRTMSG as Linux, the rest
 * goes to the protocol (sk_prot->ioctl, e.g. udp_ioctl's size of the next
 * datagram). -ENOIOCTLCMD when nobody knows @cmd.
 */
int inet_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	int *argp = (int *)arg;
	int karg = 0;
	int err;

	if (cmd == SIOCRTMSG)
		return -EINVAL;
	if (sk->sk_prot->ioctl)
		err = sk->sk_prot->ioctl(sk, (int)cmd, &karg);
	else
		err = inet_queue_ioctl(sk, cmd, &karg);
	if (err)
		return err;
	/* sk_ioctl: the protocol computed an int, copy it out. */
	if (!argp)
		return -EFAULT;
	*argp = karg;
	return 0;
}

/**
 * inet_shutdown - shutdown(2)
 * @how: SHUT_RD, SHUT_WR or SHUT_RDWR, else -EINVAL
 *
 * Sets sk_shutdown and wakes pollers. A socket that is not connected
 * (TCP_CLOSE, e.g. an unconnected UDP socket) still gets the bits and the
 * wakeup but the call reports -ENOTCONN, as Linux does: a thread blocked
 * in poll on an unconnected UDP socket can be released this way.
 */
int inet_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	/* SHUT_RD/WR/RDWR (0/1/2) + 1 gives the RCV_SHUTDOWN and
	 * SEND_SHUTDOWN bits (1, 2, 3); anything else, including a
	 * value that wraps to 0, is invalid. */
	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;

	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if ((1 << sk->sk_state) &
		    (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		/* Not connected: -ENOTCONN, but record the shutdown and
		 * wake pollers all the same. */
		__attribute__((fallthrough));
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if (sk->sk_prot->shutdown)
			sk->sk_prot->shutdown(sk, how);
		break;
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		__attribute__((fallthrough));
	case TCP_SYN_SENT:
		err = sk->sk_prot->disconnect ? sk->sk_prot->disconnect(sk, 0)
					      : -EOPNOTSUPP;
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		break;
	}
	/* Pollers and blocked readers/writers re-check the state. */
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/**
 * inet_sendmsg - sendmsg for every AF_INET socket
 *
 * Autobinds an unbound socket (so the peer sees a port), then
 * sk_prot->sendmsg. Returns bytes sent or -errno; -EAGAIN when no
 * ephemeral port is free.
 */
int inet_sendmsg(struct socket *sock, struct sl_msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;

	/* A socket sending before bind(2) gets an ephemeral port. */
	if (!READ_ONCE(inet_sk(sk)->inet_num) && sk->sk_prot->get_port &&
	    inet_autobind(sk))
		return -EAGAIN;
	return sk->sk_prot->sendmsg(sk, msg, size);
}

/**
 * inet_recvmsg - recvmsg for every AF_INET socket
 *
 * sk_prot->recvmsg fills msg->msg_name (when given) and its length; the
 * length is stored in msg->msg_namelen on success.
 */
int inet_recvmsg(struct socket *sock, struct sl_msghdr *msg, size_t size,
		 int flags)
{
	struct sock *sk = sock->sk;
	int addr_len = 0;
	int err;

	err = sk->sk_prot->recvmsg(sk, msg, size, flags, &addr_len);
	if (err >= 0)
		msg->msg_namelen = addr_len;
	return err;
}

/**
 * inet_setsockopt - non-SOL_SOCKET options (Linux's sock_common_setsockopt)
 *
 * The protocol's setsockopt (udp_setsockopt, raw_setsockopt, ...) which
 * passes IPPROTO_IP on to ip_setsockopt; a protocol without one gets
 * ip_setsockopt for IPPROTO_IP and -ENOPROTOOPT for anything else.
 */
int inet_setsockopt(struct socket *sock, int level, int optname,
		    const void *optval, socklen_t optlen)
{
	struct sock *sk = sock->sk;

	if (sk->sk_prot->setsockopt)
		return sk->sk_prot->setsockopt(sk, level, optname, optval,
					       optlen);
	if (level == IPPROTO_IP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	return -ENOPROTOOPT;
}

/**
 * inet_getsockopt - non-SOL_SOCKET options (sock_common_getsockopt)
 */
int inet_getsockopt(struct socket *sock, int level, int optname, void *optval,
		    socklen_t *optlen)
{
	struct sock *sk = sock->sk;

	if (sk->sk_prot->getsockopt)
		return sk->sk_prot->getsockopt(sk, level, optname, optval,
					       optlen);
	if (level == IPPROTO_IP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	return -ENOPROTOOPT;
}

/* --- operations a family does not support (Linux's sock_no_*) ------------ */

static int sock_no_listen(struct socket *sock, int backlog)
{
	return -EOPNOTSUPP;
}

static int sock_no_accept(struct socket *sock, struct socket *newsock,
			  int flags, bool kern)
{
	return -EOPNOTSUPP;
}

static int sock_no_socketpair(struct socket *a, struct socket *b)
{
	return -EOPNOTSUPP;
}

/* --- stream sockets (TCP) ---------------------------------------------------- */

/* Linux's inet_wait_for_connect: sleep (socket released) while the
 * handshake is in progress, up to @timeo ns. Returns the time left. */
static s64 inet_wait_for_connect(struct sock *sk, s64 timeo)
{
	/* Leaving SYN_SENT/SYN_RECV is the only thing we wait for: a
	 * failed handshake always moves the socket to CLOSE as it sets
	 * sk_err, so the error is never missed here. */
	while ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		sk_wait_event(sk, &timeo,
			      !((1 << sk->sk_state) &
				(TCPF_SYN_SENT | TCPF_SYN_RECV)));
		if (timeo <= 0)
			break;
	}
	return timeo;
}

/* The handshake ended in TCP_CLOSE (RST, timeout, ICMP error): report
 * why and make the socket connectable again. */
static int inet_stream_connect_failed(struct socket *sock, int flags)
{
	struct sock *sk = sock->sk;
	int err = sock_error(sk);

	if (!err)
		err = -ECONNABORTED;
	sock->state = SS_UNCONNECTED;
	if (sk->sk_prot->disconnect(sk, flags))
		sock->state = SS_DISCONNECTING;
	return err;
}

/**
 * __inet_stream_connect - connect(2) of a stream socket, socket owned
 * @flags: the file's flags (O_NONBLOCK)
 *
 * Linux's socket-state logic: AF_UNSPEC disconnects; SS_CONNECTED ->
 * -EISCONN; SS_CONNECTING -> -EALREADY (still in progress) or the
 * handshake's result; SS_UNCONNECTED -> sk_prot->connect and
 * -EINPROGRESS for a non-blocking socket. A blocking one waits up to
 * SO_SNDTIMEO (-EINPROGRESS when it runs out). A handshake that failed
 * gives its error (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH...) once.
 */
int __inet_stream_connect(struct socket *sock, struct sockaddr *uaddr,
			  int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	s64 timeo;
	int err;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	if (uaddr->sa_family == AF_UNSPEC) {
		err = sk->sk_prot->disconnect(sk, flags);
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		return err;
	}
	switch (sock->state) {
	default:
		return -EINVAL;
	case SS_CONNECTED:
		return -EISCONN;
	case SS_CONNECTING:
		err = -EALREADY;
		/* Handshake still running: -EALREADY unless it ends below. */
		break;
	case SS_UNCONNECTED:
		if (sk->sk_state != TCP_CLOSE)
			return -EISCONN;
		err = sk->sk_prot->connect(sk, uaddr, addr_len);
		if (err < 0)
			return err;
		sock->state = SS_CONNECTING;
		/* First connect(2): a caller that does not wait for the
		 * handshake is told -EINPROGRESS (a later one -EALREADY). */
		err = -EINPROGRESS;
		break;
	}
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		/* Out of time: the -EINPROGRESS/-EALREADY chosen above. */
		if (timeo <= 0 || inet_wait_for_connect(sk, timeo) <= 0)
			return err;
	}
	/* CLOSE here means the handshake failed (RST, retransmission
	 * timeout, ICMP error) or another thread disconnected. */
	if (sk->sk_state == TCP_CLOSE)
		return inet_stream_connect_failed(sock, flags);
	/* Connected. An sk_err set after the connection was established
	 * (e.g. an IP_RECVERR report) is left for later socket calls. */
	sock->state = SS_CONNECTED;
	return 0;
}

/* proto_ops->connect of stream sockets. */
int inet_stream_connect(struct socket *sock, struct sockaddr *uaddr,
			int addr_len, int flags)
{
	int err;

	lock_sock(sock->sk);
	err = __inet_stream_connect(sock, uaddr, addr_len, flags);
	release_sock(sock->sk);
	return err;
}

/**
 * inet_listen - listen(2) (backlog already capped by net.core.somaxconn)
 *
 * -EINVAL unless an unconnected stream socket in CLOSE or LISTEN; a
 * listening socket only gets its backlog changed. Otherwise
 * inet_csk_listen_start (-EADDRINUSE when the port is now contested).
 */
int inet_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	unsigned char old_state;
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED || sock->type != SOCK_STREAM)
		goto out;
	old_state = sk->sk_state;
	if (!((1 << old_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	/* listen(2) on a listener only updates the backlog set above. */
	err = 0;
	if (old_state != TCP_LISTEN)
		err = inet_csk_listen_start(sk);
out:
	release_sock(sk);
	return err;
}

/* accept(2) (Linux's inet_accept): take a child from sk_prot->accept and
 * graft it on @newsock. */
int inet_accept(struct socket *sock, struct socket *newsock, int flags,
		bool kern)
{
	struct sock *sk1 = sock->sk, *sk2;
	int err = -EINVAL;

	if (!sk1->sk_prot->accept)
		return -EOPNOTSUPP;
	sk2 = sk1->sk_prot->accept(sk1, flags, &err, kern);
	if (!sk2)
		return err;
	lock_sock(sk2);
	sk2->sk_socket = newsock;
	sk2->sk_type = (u16)newsock->type;
	sk2->sk_wq = &newsock->wq.wait;
	newsock->sk = sk2;
	newsock->state = SS_CONNECTED;
	release_sock(sk2);
	return 0;
}

const struct proto_ops inet_stream_ops = {
	.family = AF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_stream_connect,
	.socketpair = sock_no_socketpair,
	.accept = inet_accept,
	.getname = inet_getname,
	.poll = tcp_poll,
	.ioctl = inet_ioctl,
	.listen = inet_listen,
	.shutdown = inet_shutdown,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
};

const struct proto_ops inet_dgram_ops = {
	.family = AF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_dgram_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = inet_getname,
	.poll = datagram_poll, /* Linux: udp_poll, datagram_poll + UDP's checks */
	.ioctl = inet_ioctl,
	.listen = sock_no_listen,
	.shutdown = inet_shutdown,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
};

/*
 * proto_ops of raw and ping sockets: inet_dgram_ops with the plain
 * datagram_poll, since UDP's poll checks do not apply to them.
 */
const struct proto_ops inet_sockraw_ops = {
	.family = AF_INET,
	.release = inet_release,
	.bind = inet_bind,
	.connect = inet_dgram_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = inet_getname,
	.poll = datagram_poll,
	.ioctl = inet_ioctl,
	.listen = sock_no_listen,
	.shutdown = inet_shutdown,
	.setsockopt = inet_setsockopt,
	.getsockopt = inet_getsockopt,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
};

/*
 * The built-in (type, protocol) pairs; inet_init registers each into
 * inetsw.
 */
static struct inet_protosw inetsw_array[] = {
	{
		.type = SOCK_STREAM,
		.protocol = IPPROTO_TCP,
		.prot = &tcp_prot,
		.ops = &inet_stream_ops,
		.flags = INET_PROTOSW_PERMANENT | INET_PROTOSW_ICSK,
	},
	{
		.type = SOCK_DGRAM,
		.protocol = IPPROTO_UDP,
		.prot = &udp_prot,
		.ops = &inet_dgram_ops,
		.flags = INET_PROTOSW_PERMANENT,
	},
	{
		.type = SOCK_DGRAM,
		.protocol = IPPROTO_ICMP,
		.prot = &ping_prot,
		.ops = &inet_sockraw_ops,
		.flags = INET_PROTOSW_REUSE,
	},
	{
		.type = SOCK_RAW,
		.protocol = IPPROTO_IP, /* matches any protocol */
		.prot = &raw_prot,
		.ops = &inet_sockraw_ops,
		.flags = INET_PROTOSW_REUSE,
	},
};

/**
 * inet_init - register AF_INET (once, from sl_init)
 *
 * The family's create, the inetsw entries and the ICMP, UDP and TCP
 * receive handlers. Returns 0 or the first registration error.
 */
int inet_init(void)
{
	static bool done;
	int err;

	if (__atomic_exchange_n(&done, true, __ATOMIC_ACQ_REL))
		return 0;
	pthread_once(&inetsw_once, inetsw_init_lists);
	for (size_t i = 0; i < ARRAY_SIZE(inetsw_array); i++)
		inet_register_protosw(&inetsw_array[i]);
	/* Receive handlers for the transports we implement. */
	err = inet_add_protocol(&icmp_protocol, IPPROTO_ICMP);
	if (err)
		return err;
	err = inet_add_protocol(&udp_protocol, IPPROTO_UDP);
	if (err)
		return err;
	err = inet_add_protocol(&tcp_protocol, IPPROTO_TCP);
	if (err)
		return err;
	return sock_register(&inet_family_ops);
}
