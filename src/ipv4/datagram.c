/*
 * Connecting and routing IPv4 datagram sockets (Linux's
 * net/ipv4/datagram.c plus the shared parts of udp_sendmsg):
 *
 *   connect(2)  -> inet_dgram_connect -> sk_prot->connect =
 *                  ip4_datagram_connect: route, choose the source address,
 *                  set the peer, rehash, state TCP_ESTABLISHED, cache the
 *                  route.
 *   sendmsg     -> ip_dgram_daddr (msg_name or the connected peer) ->
 *                  ip_dgram_route -> ip_dgram_df.
 */
#include <errno.h>
#include <string.h>

#include "sl/icmp.h"
#include "sl/inet_dgram.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/sock.h"
#include "sl/tcp_states.h"

/* Connect with the socket locked by the caller. 0 or -errno. */
int __ip4_datagram_connect(struct sock *sk, struct sockaddr *uaddr,
			   int addr_len)
{
	const struct sockaddr_in *usin = (const struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 fl4;
	struct rtable *rt;
	__be32 saddr;
	int oif;

	if (addr_len < (int)sizeof(*usin))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;

	sk_dst_reset(sk);
	oif = sk->sk_bound_dev_if;
	saddr = inet->inet_saddr;
	if (ipv4_is_multicast(usin->sin_addr.s_addr)) {
		if (!oif)
			oif = inet->mc_index;
		if (!saddr)
			saddr = inet->mc_addr;
	}

	memset(&fl4, 0, sizeof(fl4));
	fl4.flowi4_oif = oif;
	fl4.flowi4_tos = inet->tos & 0x1E;
	fl4.flowi4_proto = sk->sk_protocol;
	fl4.flowi4_mark = sk->sk_mark;
	fl4.saddr = saddr;
	fl4.daddr = usin->sin_addr.s_addr;
	fl4.fl4_sport = inet->inet_sport;
	fl4.fl4_dport = usin->sin_port;
	rt = ip_route_output_key(sock_net(sk), &fl4);
	if (IS_ERR(rt)) {
		if (PTR_ERR(rt) == -ENETUNREACH)
			IP_INC_STATS(sock_net(sk), IPSTATS_MIB_OUTNOROUTES);
		return (int)PTR_ERR(rt);
	}
	if (rt->rt_type == RTN_BROADCAST && !sock_flag(sk, SOCK_BROADCAST)) {
		ip_rt_put(rt);
		return -EACCES;
	}

	if (!inet->inet_saddr)
		inet->inet_saddr = fl4.saddr;     /* the route's source */
	if (!inet->inet_rcv_saddr) {
		inet->inet_rcv_saddr = fl4.saddr;
		if (sk->sk_prot->rehash)
			sk->sk_prot->rehash(sk);
	}
	inet->inet_daddr = fl4.daddr;
	inet->inet_dport = usin->sin_port;
	sk->sk_state = TCP_ESTABLISHED;
	inet->inet_id = (__be16)net_random_u32(sock_net(sk));
	sk_dst_set(sk, &rt->dst);                 /* the socket owns rt now */
	return 0;
}

/*
 * connect(2) of a UDP, ping or raw socket (AF_UNSPEC is handled by the
 * caller through sk_prot->disconnect). 0, -EINVAL, -EAFNOSUPPORT,
 * -EACCES (broadcast without SO_BROADCAST), -ENETUNREACH, ...
 */
int ip4_datagram_connect(struct sock *sk, struct sockaddr *uaddr,
			 int addr_len)
{
	int res;

	lock_sock(sk);
	res = __ip4_datagram_connect(sk, uaddr, addr_len);
	release_sock(sk);
	return res;
}

/* Destination of a datagram: msg_name, or the connected peer. */
int ip_dgram_daddr(struct sock *sk, const struct sl_msghdr *msg,
		   __be32 *daddr, __be16 *dport, bool *connected)
{
	const struct sockaddr_in *usin = msg->msg_name;
	struct inet_sock *inet = inet_sk(sk);

	*connected = false;
	if (usin) {
		if (msg->msg_namelen < (int)sizeof(*usin))
			return -EINVAL;
		if (usin->sin_family != AF_INET &&
		    usin->sin_family != AF_UNSPEC)
			return -EAFNOSUPPORT;
		*daddr = usin->sin_addr.s_addr;
		*dport = usin->sin_port;
		return 0;
	}
	if (sk->sk_state != TCP_ESTABLISHED)
		return -EDESTADDRREQ;
	*daddr = inet->inet_daddr;
	*dport = inet->inet_dport;
	*connected = true;
	return 0;
}

static void ip_dgram_flow(struct sock *sk, struct flowi4 *fl4, __be32 daddr,
			  __be16 dport, const struct ipcm_cookie *ipc)
{
	struct inet_sock *inet = inet_sk(sk);

	memset(fl4, 0, sizeof(*fl4));
	fl4->flowi4_oif = ipc->oif ? ipc->oif : sk->sk_bound_dev_if;
	fl4->flowi4_tos = ipc->tos & 0x1E;
	fl4->flowi4_proto = inet->hdrincl ? IPPROTO_RAW : sk->sk_protocol;
	fl4->flowi4_mark = sk->sk_mark;
	fl4->saddr = ipc->addr ? ipc->addr : inet->inet_saddr;
	fl4->daddr = daddr;
	fl4->fl4_sport = inet->inet_sport;
	fl4->fl4_dport = dport;
	if (ipv4_is_multicast(daddr)) {
		if (!fl4->flowi4_oif)
			fl4->flowi4_oif = inet->mc_index;
		if (!fl4->saddr)
			fl4->saddr = inet->mc_addr;
	}
}

/*
 * Route a datagram (see sl/inet_dgram.h). A connected socket without
 * per-call overrides reuses (and refreshes) its cached route, as Linux's
 * udp_sendmsg.
 */
struct rtable *ip_dgram_route(struct sock *sk, struct flowi4 *fl4,
			      __be32 daddr, __be16 dport,
			      const struct ipcm_cookie *ipc, bool connected)
{
	struct inet_sock *inet = inet_sk(sk);
	struct rtable *rt = NULL;

	if (ipc->addr || ipc->oif || ipv4_is_multicast(daddr))
		connected = false;
	ip_dgram_flow(sk, fl4, daddr, dport, ipc);
	if (connected) {
		lock_sock(sk);
		rt = (struct rtable *)__sk_dst_check(sk);
		release_sock(sk);
		if (rt) {
			fl4->saddr = inet->inet_saddr;
			return rt;
		}
	}
	rt = ip_route_output_key(sock_net(sk), fl4);
	if (IS_ERR(rt)) {
		if (PTR_ERR(rt) == -ENETUNREACH)
			IP_INC_STATS(sock_net(sk), IPSTATS_MIB_OUTNOROUTES);
		return rt;
	}
	if (rt->rt_type == RTN_BROADCAST && !sock_flag(sk, SOCK_BROADCAST)) {
		ip_rt_put(rt);
		return ERR_PTR(-EACCES);
	}
	if (connected) {
		dst_hold(&rt->dst);
		lock_sock(sk);
		sk_dst_set(sk, &rt->dst);
		release_sock(sk);
	}
	return rt;
}

/* DF bit per IP_MTU_DISCOVER (see sl/inet_dgram.h). */
int ip_dgram_df(const struct inet_sock *inet, unsigned int len,
		unsigned int mtu, unsigned int dev_mtu, bool *df)
{
	switch (inet->pmtudisc) {
	case IP_PMTUDISC_DONT:
		*df = false;
		return 0;
	case IP_PMTUDISC_WANT:
		/* Linux: DF only when the datagram fits the path; bigger
		 * ones are fragmented without DF. */
		*df = len <= mtu;
		return 0;
	case IP_PMTUDISC_PROBE:
	case IP_PMTUDISC_INTERFACE:
	case IP_PMTUDISC_OMIT:
		/* Ignore the learned path MTU and refuse datagrams above the
		 * device MTU; only PROBE sets DF (Linux's __ip_make_skb). */
		*df = inet->pmtudisc == IP_PMTUDISC_PROBE;
		return len > dev_mtu ? -EMSGSIZE : 0;
	default: /* IP_PMTUDISC_DO */
		*df = true;
		return len > mtu ? -EMSGSIZE : 0;
	}
}

/* Bind to an ephemeral port/identifier, as Linux's inet_autobind. */
int ip_dgram_autobind(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	int err = 0;

	lock_sock(sk);
	if (!inet->inet_num) {
		if (sk->sk_prot->get_port(sk, 0))
			err = -EAGAIN;
		else
			inet->inet_sport = htons(inet->inet_num);
	}
	release_sock(sk);
	return err;
}

/*
 * The cached route of a connected datagram socket, looked up again when
 * routing or the path MTU changed since (Linux's ip4_datagram_release_cb
 * does the same). Returns it referenced, or NULL when not connected or
 * unroutable. Takes the socket lock: process context only.
 */
struct dst_entry *ip4_datagram_dst_get(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst;
	struct flowi4 fl4;
	struct rtable *rt;

	lock_sock(sk);
	dst = __sk_dst_check(sk);
	if (dst || sk->sk_state != TCP_ESTABLISHED || sk->sk_type == SOCK_STREAM)
		goto out;
	memset(&fl4, 0, sizeof(fl4));
	fl4.flowi4_oif = sk->sk_bound_dev_if;
	fl4.flowi4_tos = inet->tos & 0x1E;
	fl4.flowi4_proto = sk->sk_protocol;
	fl4.flowi4_mark = sk->sk_mark;
	fl4.saddr = inet->inet_saddr;
	fl4.daddr = inet->inet_daddr;
	fl4.fl4_sport = inet->inet_sport;
	fl4.fl4_dport = inet->inet_dport;
	rt = ip_route_output_key(sock_net(sk), &fl4);
	if (IS_ERR(rt))
		goto out;
	dst = &rt->dst;
	dst_hold(dst);
	sk_dst_set(sk, dst);
out:
	release_sock(sk);
	return dst;
}

/*
 * ip_dgram_icmp_err - report an ICMP error about a datagram @sk sent
 * @port: the datagram's destination port (UDP) or 0 (ping, raw)
 * @payload: the quoted transport payload, for the IP_RECVERR copy
 *
 * The common tail of Linux's __udp4_lib_err and ping_err. RFC 1122 4.1.3.3
 * passes ICMP errors to the application; as Linux, an unconnected socket
 * without IP_RECVERR ignores them and soft errors reach only IP_RECVERR
 * sockets. Source quench and redirects are not reported. Does not consume
 * @skb; the caller holds a reference on @sk.
 */
void ip_dgram_icmp_err(struct sock *sk, struct sk_buff *skb, int type, int code,
		       u32 info, __be16 port, const u8 *payload)
{
	struct inet_sock *inet = inet_sk(sk);
	bool harderr = false;
	int err;

	switch (type) {
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
		return;
	case ICMP_DEST_UNREACH:
		if (code == ICMP_FRAG_NEEDED) {
			/* icmp_unreach updated the path MTU, which bumps the
			 * routing generation: the cached route is looked up
			 * again at its next use (softirq leaves it alone). */
			if (inet->pmtudisc == IP_PMTUDISC_DONT)
				return;
			err = EMSGSIZE;
			harderr = true;
			break;
		}
		err = icmp_err_convert(type, code, &harderr);
		break;
	default:
		err = icmp_err_convert(type, code, &harderr);
		break;
	}

	if (!inet->recverr) {
		if (!harderr || sk->sk_state != TCP_ESTABLISHED)
			return;
	} else {
		ip_icmp_error(sk, skb, err, port, info, payload);
	}
	WRITE_ONCE(sk->sk_err, err);
	if (sk->sk_error_report)
		sk->sk_error_report(sk);
}
