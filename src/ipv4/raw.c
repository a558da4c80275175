/*
 * Raw IPv4 sockets (SOCK_RAW), as Linux's net/ipv4/raw.c.
 *
 *   socket()  -> inet_create (inet_num = protocol) -> raw_sk_init ->
 *                raw_hash_sk (per-stack table by protocol).
 *   receive   -> ip_local_deliver_finish -> raw_local_deliver: a clone of
 *                the datagram, IP header included, to every matching
 *                socket (protocol, bound/connected addresses, device,
 *                ICMP_FILTER) -> raw_rcv -> sock_queue_rcv_skb.
 *   errors    -> icmp_socket_deliver -> raw_icmp_error -> raw_err.
 *   sendmsg   -> raw_sendmsg: we build the IP header (fragmenting as IP
 *                output does) or, with IP_HDRINCL (always for
 *                IPPROTO_RAW), send the user's header after filling
 *                tot_len, the checksum, a zero id and a zero source
 *                (raw_send_hdrinc).
 *
 * Privilege: Linux requires CAP_NET_RAW; a user-space stack runs with the
 * caller's rights, so any caller may open raw sockets here.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/inet_diag.h"
#include "sl/inet_dgram.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/raw.h"
#include "sl/route.h"
#include "sl/skbuff.h"
#include "sl/snmp.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/tcp_states.h"
#include "sl/udp.h"

#define RAW_HTABLE_SIZE 256      /* one slot per protocol number */

struct raw_hashinfo {
	rwlock_t lock;
	struct hlist_head ht[RAW_HTABLE_SIZE];
};

static struct raw_hashinfo *raw_hashinfo(const struct net *net)
{
	return net->ipv4.raw;
}

/* --- table ------------------------------------------------------------------ */

static int raw_hash_sk(struct sock *sk)
{
	struct raw_hashinfo *h = raw_hashinfo(sock_net(sk));

	write_lock(&h->lock);
	if (sk_unhashed(sk))
		hlist_add_head(&sk->sk_node,
			       &h->ht[inet_sk(sk)->inet_num & (RAW_HTABLE_SIZE - 1)]);
	rwlock_unlock(&h->lock);
	return 0;
}

static void raw_unhash_sk(struct sock *sk)
{
	struct raw_hashinfo *h = raw_hashinfo(sock_net(sk));

	write_lock(&h->lock);
	hlist_del_init(&sk->sk_node);
	rwlock_unlock(&h->lock);
}

/* Linux's raw_v4_match: protocol, and the addresses/device bound. */
static bool raw_v4_match(const struct sock *sk, unsigned short num,
			 __be32 raddr, __be32 laddr, int dif)
{
	const struct inet_sock *inet = inet_sk(sk);

	return inet->inet_num == num &&
	       !(inet->inet_daddr && inet->inet_daddr != raddr) &&
	       !(inet->inet_rcv_saddr && inet->inet_rcv_saddr != laddr) &&
	       !(sk->sk_bound_dev_if && sk->sk_bound_dev_if != dif);
}

/*
 * Collect (referenced) the raw sockets matching a datagram, so that
 * delivery happens without the table lock. Returns how many.
 */
static unsigned int raw_collect(struct net *net, int protocol, __be32 raddr,
				__be32 laddr, int dif, struct sock **out,
				unsigned int max)
{
	struct raw_hashinfo *h = raw_hashinfo(net);
	struct hlist_head *head = &h->ht[protocol & (RAW_HTABLE_SIZE - 1)];
	unsigned int n = 0;
	struct sock *sk;

	/* No raw socket for this protocol (the usual case): skip the lock.
	 * One bound concurrently sees the next datagram, as with RCU. */
	if (!__atomic_load_n(&head->first, __ATOMIC_ACQUIRE))
		return 0;
	read_lock(&h->lock);
	hlist_for_each_entry(sk, head, sk_node) {
		if (n == max)
			break;
		if (raw_v4_match(sk, (unsigned short)protocol, raddr, laddr,
				 dif)) {
			sock_hold(sk);
			out[n++] = sk;
		}
	}
	rwlock_unlock(&h->lock);
	return n;
}

/* --- receive ------------------------------------------------------------------ */

/* ICMP_FILTER: true when @sk does not want this ICMP type. */
static bool icmp_filter(const struct sock *sk, const struct sk_buff *skb)
{
	const struct icmphdr *hdr;
	u8 type;

	if (skb->tail < skb_transport_header(skb) + 1)
		return true;
	hdr = (const struct icmphdr *)skb_transport_header(skb);
	type = hdr->type;
	if (type < 32)
		return (1u << type) & raw_sk(sk)->filter.data;
	return false;           /* types >= 32 have no filter bit: pass */
}

/* Queue a clone, IP header in front. Consumes @skb. */
static int raw_rcv(struct sock *sk, struct sk_buff *skb)
{
	skb_push(skb, (unsigned int)(skb->data - skb_network_header(skb)));
	ipv4_pktinfo_prepare(sk, skb);
	if (sock_queue_rcv_skb(sk, skb) < 0) {
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return NET_RX_DROP;
	}
	return NET_RX_SUCCESS;
}

/*
 * Give every raw socket of @protocol a clone of @skb (skb->data at the
 * transport header; @skb is not consumed). Returns true when at least one
 * socket matched, even if its ICMP_FILTER dropped the packet (Linux's
 * raw_v4_input), so that no protocol-unreachable is sent.
 */
bool raw_local_deliver(struct sk_buff *skb, int protocol)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct net *net = dev_net(skb->dev);
	struct sock *socks[32];
	struct sk_buff *clone;
	unsigned int n, i;

	if (!raw_hashinfo(net))
		return false;
	n = raw_collect(net, protocol, iph->saddr, iph->daddr,
			skb->dev ? skb->dev->ifindex : 0, socks,
			ARRAY_SIZE(socks));
	for (i = 0; i < n; i++) {
		if (protocol != IPPROTO_ICMP || !icmp_filter(socks[i], skb)) {
			clone = skb_clone(skb);
			if (clone)
				raw_rcv(socks[i], clone);
		}
		sock_put(socks[i]);
	}
	return n > 0;
}

/* One socket's share of an ICMP error (Linux's raw_err). */
static void raw_err(struct sock *sk, struct sk_buff *skb, u32 info)
{
	struct inet_sock *inet = inet_sk(sk);
	const int type = icmp_hdr(skb)->type;
	const int code = icmp_hdr(skb)->code;
	bool harderr = false;
	const u8 *payload;
	int err;

	/* Frag needed: icmp_unreach updated the path MTU; the cached route
	 * fails its generation check at next use. */
	/* Report only with IP_RECVERR, or on a connected socket. */
	if (!inet->recverr && sk->sk_state != TCP_ESTABLISHED)
		return;

	switch (type) {
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
		return;
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH) {
			err = EHOSTUNREACH;
			break;
		}
		if (code == ICMP_FRAG_NEEDED) {
			harderr = inet->pmtudisc != IP_PMTUDISC_DONT;
			err = EMSGSIZE;
		} else {
			err = icmp_err_convert(type, code, &harderr);
		}
		break;
	default:
		err = icmp_err_convert(type, code, &harderr);
		break;
	}

	if (inet->recverr) {
		const struct iphdr *iph = (const struct iphdr *)skb->data;

		payload = inet->hdrincl ? skb->data : skb->data + (iph->ihl << 2);
		ip_icmp_error(sk, skb, err, 0, info, payload);
	}
	if (inet->recverr || harderr) {
		WRITE_ONCE(sk->sk_err, err);
		if (sk->sk_error_report)
			sk->sk_error_report(sk);
	}
}

/*
 * ICMP error about a datagram of @protocol (skb->data at the quoted IP
 * header): tell every raw socket that could have sent it. Not consumed.
 */
void raw_icmp_error(struct sk_buff *skb, int protocol, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	struct net *net = dev_net(skb->dev);
	struct sock *socks[32];
	unsigned int n, i;

	n = raw_collect(net, protocol, iph->daddr, iph->saddr,
			skb->dev ? skb->dev->ifindex : 0, socks,
			ARRAY_SIZE(socks));
	for (i = 0; i < n; i++) {
		raw_err(socks[i], skb, info);
		sock_put(socks[i]);
	}
}

/*
 * recvmsg: the whole datagram from its IP header; MSG_TRUNC returns the
 * real length; msg_name is the sender (port 0).
 */
static int raw_recvmsg(struct sock *sk, struct sl_msghdr *msg, size_t len,
		       int flags, int *addr_len)
{
	struct sk_buff *skb;
	unsigned int copied;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return ip_recv_error(sk, msg, (int)len, addr_len);

	skb = skb_recv_datagram(sk, (unsigned int)flags, &err);
	if (!skb)
		return err;
	skb_trace(skb);
	copied = skb->len;
	if (len < copied) {
		msg->msg_flags |= MSG_TRUNC;
		copied = (unsigned int)len;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, (int)copied);
	if (!err) {
		ip_dgram_put_name(msg, ip_hdr(skb)->saddr, 0, addr_len);
		if (inet_sk(sk)->cmsg_flags)
			ip_cmsg_recv(msg, skb);
		sock_recv_timestamp(msg, sk, skb);
		err = (flags & MSG_TRUNC) ? (int)skb->len : (int)copied;
	}
	skb_free_datagram(sk, skb);
	return err;
}

/* --- send ------------------------------------------------------------------- */

/*
 * IP_HDRINCL: the user's bytes are the datagram. As Linux's
 * raw_send_hdrinc we refuse more than the device MTU, fill tot_len and the
 * header checksum, and the id and source when zero. Deviation: a header
 * with ihl < 5 is refused (-EINVAL) where Linux sends it unmodified.
 */
static int raw_send_hdrinc(struct sock *sk, struct flowi4 *fl4,
			   struct sl_msghdr *msg, size_t length,
			   struct rtable *rt)
{
	struct net *net = sock_net(sk);
	unsigned int dev_mtu = rt->dst.dev ? rt->dst.dev->mtu : dst_mtu(&rt->dst);
	struct sk_buff *skb;
	struct iphdr *iph;
	unsigned int iphlen;
	int err;

	if (length > dev_mtu) {
		ip_local_error(sk, EMSGSIZE, fl4->daddr, inet_sk(sk)->inet_dport,
			       dev_mtu);
		return -EMSGSIZE;
	}
	if (length < sizeof(struct iphdr))
		return -EINVAL;

	skb = sock_alloc_send_skb(sk, SL_MAX_HEADER + length,
				  msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb)
		return err;
	skb_reserve(skb, SL_MAX_HEADER);
	skb_reset_network_header(skb);
	iph = (struct iphdr *)skb_put(skb, (unsigned int)length);
	skb->ip_summed = CHECKSUM_NONE;
	err = memcpy_from_msg(iph, msg, (int)length);
	if (err)
		goto error_free;

	iphlen = iph->ihl * 4u;
	err = -EINVAL;
	if (iphlen > length || iph->ihl < 5)
		goto error_free;
	if (!iph->saddr)
		iph->saddr = fl4->saddr;
	iph->tot_len = htons((u16)length);
	if (!iph->id)
		iph->id = ip_select_ident(net, iph->daddr, iph->protocol);
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
	skb_set_transport_header(skb, (int)iphlen);
	if (iph->protocol == IPPROTO_ICMP &&
	    length >= iphlen + sizeof(struct icmphdr))
		icmp_out_count(net, icmp_hdr(skb)->type);
	return ip_send_skb(net, skb, rt);

error_free:
	kfree_skb(skb);
	return err;
}

/* Without IP_HDRINCL: the user's bytes are the payload of our header. */
static int raw_send_payload(struct sock *sk, struct flowi4 *fl4,
			    struct sl_msghdr *msg, size_t len,
			    struct rtable *rt, const struct ipcm_cookie *ipc)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct sk_buff *skb;
	bool df;
	int err;

	err = ip_dgram_df(inet, (unsigned int)(len + sizeof(struct iphdr)),
			  dst_mtu(&rt->dst),
			  rt->dst.dev ? rt->dst.dev->mtu : dst_mtu(&rt->dst), &df);
	if (err) {
		ip_local_error(sk, EMSGSIZE, fl4->daddr, 0, dst_mtu(&rt->dst));
		return err;
	}
	skb = sock_alloc_send_skb(sk, SL_MAX_HEADER + len,
				  msg->msg_flags & MSG_DONTWAIT, &err);
	if (!skb)
		return err;
	skb_reserve(skb, SL_MAX_HEADER);
	skb_reset_transport_header(skb);
	err = memcpy_from_msg(skb_put(skb, (unsigned int)len), msg, (int)len);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	if (sk->sk_protocol == IPPROTO_ICMP && len >= sizeof(struct icmphdr))
		icmp_out_count(net, icmp_hdr(skb)->type);
	ip_build_header(net, skb, fl4, sk->sk_protocol,
			ipc->ttl ? ipc->ttl : (u8)ip_select_ttl(sk, net),
			ipc->tos, df);
	return ip_send_skb(net, skb, rt);
}

/*
 * sendmsg for raw sockets. Returns @len or -errno: -EMSGSIZE, -EINVAL,
 * -EAFNOSUPPORT, -EDESTADDRREQ, -EACCES (broadcast without SO_BROADCAST).
 */
static int raw_sendmsg(struct sock *sk, struct sl_msghdr *msg, size_t len)
{
	struct inet_sock *inet = inet_sk(sk);
	struct ipcm_cookie ipc;
	struct flowi4 fl4;
	struct rtable *rt;
	bool connected;
	__be32 daddr;
	__be16 dport;
	int err;

	if (len > 0xFFFF)
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	err = ip_dgram_daddr(sk, msg, &daddr, &dport, &connected);
	if (err)
		return err;

	memset(&ipc, 0, sizeof(ipc));
	ipc.tos = inet->tos;
	err = ip_cmsg_send(sk, msg, &ipc);
	if (err)
		return err;

	rt = ip_dgram_route(sk, &fl4, daddr, 0, &ipc, connected);
	if (IS_ERR(rt))
		return (int)PTR_ERR(rt);
	if (inet->hdrincl)
		err = raw_send_hdrinc(sk, &fl4, msg, len, rt);
	else
		err = raw_send_payload(sk, &fl4, msg, len, rt, &ipc);
	ip_rt_put(rt);
	if (err == -ENOBUFS && !inet->recverr)
		err = 0;        /* Linux: a full device queue is not an error */
	return err ? err : (int)len;
}

/* --- the rest of struct proto ----------------------------------------------- */

static int raw_sk_init(struct sock *sk)
{
	/* Linux's inet_create refuses (SOCK_RAW, IPPROTO_IP). */
	if (!sk->sk_protocol)
		return -EPROTONOSUPPORT;
	sk->sk_state = TCP_CLOSE;
	if (!inet_sk(sk)->inet_num)
		inet_sk(sk)->inet_num = sk->sk_protocol;
	if (sk->sk_protocol == IPPROTO_RAW)
		inet_sk(sk)->hdrincl = 1;
	raw_sk(sk)->filter.data = 0;
	return 0;
}

static void raw_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

/*
 * bind(2): only the local address matters (raw sockets have no ports).
 * 0, -EINVAL (short, or connected), -EADDRNOTAVAIL.
 */
static int raw_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *addr = (const struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	__be32 a;

	if (sk->sk_state != TCP_CLOSE || addr_len < (int)sizeof(*addr))
		return -EINVAL;
	a = addr->sin_addr.s_addr;
	if (a && !ipv4_is_multicast(a) && !ipv4_is_lbcast(a) &&
	    !inet_addr_is_local(sock_net(sk), a) && !inet->freebind &&
	    !inet->transparent)
		return -EADDRNOTAVAIL;
	lock_sock(sk);
	inet->inet_rcv_saddr = inet->inet_saddr = a;
	if (ipv4_is_multicast(a) || ipv4_is_lbcast(a))
		inet->inet_saddr = 0;   /* use the device's */
	sk_dst_reset(sk);
	release_sock(sk);
	return 0;
}

/* SOL_RAW ICMP_FILTER, else IP level. */
static int raw_setsockopt(struct sock *sk, int level, int optname,
			  const void *optval, socklen_t optlen)
{
	if (level != SOL_RAW)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (optname != ICMP_FILTER)
		return -ENOPROTOOPT;
	if (inet_sk(sk)->inet_num != IPPROTO_ICMP)
		return -EOPNOTSUPP;
	if (optlen > sizeof(struct icmp_filter))
		optlen = sizeof(struct icmp_filter);
	memcpy(&raw_sk(sk)->filter, optval, optlen);
	return 0;
}

static int raw_getsockopt(struct sock *sk, int level, int optname,
			  void *optval, socklen_t *optlen)
{
	socklen_t len;

	if (level != SOL_RAW)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if (optname != ICMP_FILTER)
		return -ENOPROTOOPT;
	if (inet_sk(sk)->inet_num != IPPROTO_ICMP)
		return -EOPNOTSUPP;
	if ((int)*optlen < 0)
		return -EINVAL;
	len = *optlen;
	if (len > sizeof(struct icmp_filter))
		len = sizeof(struct icmp_filter);
	memcpy(optval, &raw_sk(sk)->filter, len);
	*optlen = len;
	return 0;
}

/* SIOCINQ: length of the next datagram (IP header included). */
static int raw_ioctl(struct sock *sk, int cmd, int *karg)
{
	struct sk_buff *skb;

	switch (cmd) {
	case TIOCOUTQ:
		*karg = sk_wmem_alloc_get(sk);
		return 0;
	case FIONREAD:
		skb_queue_lock(&sk->sk_receive_queue);
		skb = skb_peek(&sk->sk_receive_queue);
		*karg = skb ? (int)skb->len : 0;
		skb_queue_unlock(&sk->sk_receive_queue);
		return 0;
	default:
		return -ENOTTY;
	}
}

struct proto raw_prot = {
	.name = "RAW",
	.close = raw_close,
	.connect = ip4_datagram_connect,
	.disconnect = udp_disconnect,
	.ioctl = raw_ioctl,
	.init = raw_sk_init,
	.setsockopt = raw_setsockopt,
	.getsockopt = raw_getsockopt,
	.sendmsg = raw_sendmsg,
	.recvmsg = raw_recvmsg,
	.bind = raw_bind,
	.hash = raw_hash_sk,
	.unhash = raw_unhash_sk,
	.obj_size = sizeof(struct raw_sock),
	.max_header = SL_MAX_HEADER,
};

/* --- per-stack table --------------------------------------------------------- */

static int raw_net_init(struct net *net)
{
	struct raw_hashinfo *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	rwlock_init(&h->lock);
	net->ipv4.raw = h;
	return 0;
}

static void raw_net_exit(struct net *net)
{
	struct raw_hashinfo *h = net->ipv4.raw;

	if (!h)
		return;
	rwlock_destroy(&h->lock);
	free(h);
	net->ipv4.raw = NULL;
}

const struct pernet_operations raw_net_ops = {
	.name = "raw",
	.init = raw_net_init,
	.exit = raw_net_exit,
};

/* sl_ss_dump (src/ipv4/inet_diag.c): @fn on each raw socket, the table
 * read-locked, as Linux's raw_diag_dump walks it. */
void raw_diag_walk(struct net *net, sk_diag_fn fn, void *arg)
{
	struct raw_hashinfo *t = raw_hashinfo(net);

	if (t)
		sk_diag_walk_hlist(&t->lock, t->ht, RAW_HTABLE_SIZE, fn, arg);
}
