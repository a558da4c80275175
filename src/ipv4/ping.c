/*
 * Ping sockets (SOCK_DGRAM, IPPROTO_ICMP), as Linux's net/ipv4/ping.c:
 * unprivileged ICMP echo for the groups in net.ipv4.ping_group_range.
 *
 *   socket()  -> inet_create -> ping_init_sock (group check, -EACCES)
 *   bind()    -> ping_bind -> ping_get_port: the "port" is the echo
 *                identifier, owned by the stack; autobind picks a free one.
 *   sendmsg   -> ping_v4_sendmsg: the user supplies an ICMP echo header
 *                (type ECHO, code 0) and data; we overwrite the identifier
 *                with the socket's, sum the message and send it.
 *   receive   -> icmp_rcv -> ping_rcv (echo replies, matched by id) ->
 *                queue a clone with the ICMP header in front.
 *   errors    -> icmp_err -> ping_err (errors quoting our echo requests).
 *
 * The per-stack table (net->ipv4.ping) hashes sockets by identifier under
 * one rwlock, as the UDP table.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/inet_diag.h"
#include "sl/inet_dgram.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/ping.h"
#include "sl/route.h"
#include "sl/skbuff.h"
#include "sl/snmp.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/tcp_states.h"
#include "sl/udp.h"

#define PING_HTABLE_SIZE 64

struct ping_table {
	rwlock_t lock;
	u16 rover;                      /* last identifier handed out */
	struct hlist_head hash[PING_HTABLE_SIZE];
};

static struct ping_table *ping_table(const struct net *net)
{
	return net->ipv4.ping;
}

static struct hlist_head *ping_hashslot(struct ping_table *t, u16 ident)
{
	return &t->hash[ident & (PING_HTABLE_SIZE - 1)];
}

/* --- identifiers ------------------------------------------------------------ */

static bool ping_ident_inuse(struct ping_table *t, u16 ident,
			     const struct sock *sk)
{
	struct sock *sk2;

	hlist_for_each_entry(sk2, ping_hashslot(t, ident), sk_node)
		if (sk2->sk_num == ident && sk2 != sk &&
		    (!sk2->sk_reuse || !sk->sk_reuse))
			return true;
	return false;
}

/*
 * sk_prot->get_port: claim echo identifier @ident, or the next free one
 * after the rover when 0 (Linux walks from its rover, skipping 0).
 * 0 or -EADDRINUSE.
 */
static int ping_get_port(struct sock *sk, unsigned short ident)
{
	struct ping_table *t = ping_table(sock_net(sk));
	u32 i;
	u16 id;

	write_lock(&t->lock);
	if (!ident) {
		for (i = 0, id = (u16)(t->rover + 1); i < 0x10000; i++, id++) {
			if (!id)
				continue;
			if (!ping_ident_inuse(t, id, sk))
				break;
		}
		if (i == 0x10000)
			goto fail;
		t->rover = id;
		ident = id;
	} else if (ping_ident_inuse(t, ident, sk)) {
		goto fail;
	}
	inet_sk(sk)->inet_num = ident;
	if (sk_unhashed(sk))
		hlist_add_head(&sk->sk_node, ping_hashslot(t, ident));
	rwlock_unlock(&t->lock);
	return 0;
fail:
	rwlock_unlock(&t->lock);
	return -EADDRINUSE;
}

static int ping_hash(struct sock *sk)
{
	return 0;       /* hashed by get_port */
}

static void ping_unhash(struct sock *sk)
{
	struct ping_table *t = ping_table(sock_net(sk));

	write_lock(&t->lock);
	if (sk_hashed(sk)) {
		hlist_del_init(&sk->sk_node);
		inet_sk(sk)->inet_num = 0;
		inet_sk(sk)->inet_sport = 0;
	}
	rwlock_unlock(&t->lock);
}

/* Socket with echo id @ident for a packet to @daddr, referenced. */
static struct sock *ping_lookup(struct net *net, u16 ident, __be32 daddr,
				int dif)
{
	struct ping_table *t = ping_table(net);
	struct sock *sk, *found = NULL;

	read_lock(&t->lock);
	hlist_for_each_entry(sk, ping_hashslot(t, ident), sk_node) {
		if (sk->sk_num != ident)
			continue;
		if (sk->sk_rcv_saddr && sk->sk_rcv_saddr != daddr)
			continue;
		if (sk->sk_bound_dev_if && sk->sk_bound_dev_if != dif)
			continue;
		found = sk;
		sock_hold(sk);
		break;
	}
	rwlock_unlock(&t->lock);
	return found;
}

/* --- socket creation, bind, close ------------------------------------------ */

static bool ping_gid_in_range(gid_t gid, int low, int high)
{
	return (long)low <= (long)gid && (long)gid <= (long)high;
}

/*
 * Creation is allowed only to a process whose effective or supplementary
 * group is in net.ipv4.ping_group_range (Linux's ping_init_sock).
 */
static int ping_init_sock(struct sock *sk)
{
	struct net *net = sock_net(sk);
	int low = READ_ONCE(net->ipv4.sysctl_ping_group_range[0]);
	int high = READ_ONCE(net->ipv4.sysctl_ping_group_range[1]);
	gid_t groups[64];
	int n, i;

	sk->sk_state = TCP_CLOSE;
	if (ping_gid_in_range(getegid(), low, high))
		return 0;
	n = getgroups(ARRAY_SIZE(groups), groups);
	for (i = 0; i < n; i++)
		if (ping_gid_in_range(groups[i], low, high))
			return 0;
	return -EACCES;
}

static void ping_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

/*
 * bind(2): an optional local address and an optional identifier
 * (sin_port). 0, -EINVAL (short or already bound), -EAFNOSUPPORT,
 * -EADDRNOTAVAIL, -EADDRINUSE.
 */
static int ping_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *addr = (const struct sockaddr_in *)uaddr;
	struct inet_sock *isk = inet_sk(sk);
	__be32 saddr;
	u16 snum;
	int err;

	if (addr_len < (int)sizeof(*addr))
		return -EINVAL;
	saddr = addr->sin_addr.s_addr;
	if (addr->sin_family != AF_INET &&
	    !(addr->sin_family == AF_UNSPEC && saddr == htonl(INADDR_ANY)))
		return -EAFNOSUPPORT;
	if (saddr && !inet_addr_is_local(sock_net(sk), saddr) &&
	    !isk->freebind && !isk->transparent)
		return -EADDRNOTAVAIL;

	lock_sock(sk);
	err = -EINVAL;
	if (isk->inet_num)
		goto out;
	isk->inet_rcv_saddr = isk->inet_saddr = saddr;
	snum = ntohs(addr->sin_port);
	err = -EADDRINUSE;
	if (ping_get_port(sk, snum)) {
		isk->inet_rcv_saddr = isk->inet_saddr = 0;
		goto out;
	}
	err = 0;
	if (snum)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	if (saddr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	isk->inet_sport = htons(isk->inet_num);
	isk->inet_daddr = 0;
	isk->inet_dport = 0;
	sk_dst_reset(sk);
out:
	release_sock(sk);
	return err;
}

/* --- receive ----------------------------------------------------------------- */

/*
 * An echo reply (skb->data after the ICMP header): queue a clone, with the
 * ICMP header back in front, on the socket owning its identifier. The
 * caller keeps @skb. True when a socket took it.
 */
bool ping_rcv(struct sk_buff *skb)
{
	const struct icmphdr *icmph = icmp_hdr(skb);
	struct net *net = dev_net(skb->dev);
	struct sk_buff *skb2;
	struct sock *sk;
	bool ok = false;

	sk = ping_lookup(net, ntohs(icmph->un.echo.id), ip_hdr(skb)->daddr,
			 skb->dev->ifindex);
	if (!sk)
		return false;
	skb2 = skb_clone(skb);
	if (skb2) {
		skb_push(skb2, (unsigned int)(skb2->data - (u8 *)icmph));
		ipv4_pktinfo_prepare(sk, skb2);
		if (sock_queue_rcv_skb(sk, skb2) == 0)
			ok = true;
		else
			kfree_skb_reason(skb2, SKB_DROP_REASON_SOCKET_RCVBUFF);
	}
	sock_put(sk);
	return ok;
}

/*
 * An ICMP error quoting one of our echo requests (skb->data at the quoted
 * IP header, @offset its length). As Linux's ping_err: with IP_RECVERR the
 * error is queued; sk_err is set for IP_RECVERR sockets and for hard
 * errors on connected ones.
 */
void ping_err(struct sk_buff *skb, int offset, u32 info)
{
	const struct icmphdr *icmph =
		(const struct icmphdr *)(skb->data + offset);
	const int type = icmp_hdr(skb)->type;
	const int code = icmp_hdr(skb)->code;
	struct net *net = dev_net(skb->dev);
	struct sock *sk;

	if (icmph->type != ICMP_ECHO || icmph->code != 0)
		return;
	sk = ping_lookup(net, ntohs(icmph->un.echo.id), ip_hdr(skb)->daddr,
			 skb->dev->ifindex);
	if (!sk)
		return;
	ip_dgram_icmp_err(sk, skb, type, code, info, 0, (const u8 *)icmph);
	sock_put(sk);
}

/*
 * recvmsg: the ICMP header and data of an echo reply; msg_name is the
 * replying host. MSG_ERRQUEUE reads IP_RECVERR errors.
 */
static int ping_recvmsg(struct sock *sk, struct sl_msghdr *msg, size_t len,
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
	if (copied > len) {
		msg->msg_flags |= MSG_TRUNC;
		copied = (unsigned int)len;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, (int)copied);
	if (!err) {
		ip_dgram_put_name(msg, ip_hdr(skb)->saddr, 0, addr_len);
		if (inet_sk(sk)->cmsg_flags)
			ip_cmsg_recv(msg, skb);
		sock_recv_timestamp(msg, sk, skb);
		err = (int)copied;
	}
	skb_free_datagram(sk, skb);
	return err;
}

/* --- send -------------------------------------------------------------------- */

/* Copy the user's echo header; only ICMP_ECHO code 0 is allowed. */
static int ping_common_sendmsg(struct sl_msghdr *msg, size_t len,
			       struct icmphdr *user_icmph)
{
	if (len > 0xFFFF)
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (len < sizeof(*user_icmph))
		return -EINVAL;
	if (memcpy_from_msg(user_icmph, msg, sizeof(*user_icmph)))
		return -EFAULT;
	if (user_icmph->type != ICMP_ECHO || user_icmph->code != 0)
		return -EINVAL;
	return 0;
}

/* Build the echo request: our identifier, the user's sequence, the sum. */
static struct sk_buff *ping_build(struct sock *sk, struct sl_msghdr *msg,
				  size_t len, const struct icmphdr *user_icmph,
				  int *err)
{
	size_t dlen = len - sizeof(struct icmphdr);
	struct icmphdr *icmph;
	struct sk_buff *skb;
	__wsum csum = 0;

	skb = sock_alloc_send_skb(sk, SL_MAX_HEADER + len,
				  msg->msg_flags & MSG_DONTWAIT, err);
	if (!skb)
		return NULL;
	skb_reserve(skb, SL_MAX_HEADER);
	skb_reset_transport_header(skb);
	icmph = (struct icmphdr *)skb_put(skb, sizeof(*icmph));
	if (dlen && csum_and_copy_from_iter(skb_put(skb, (unsigned int)dlen),
					    dlen, &csum, &msg->msg_iter) != dlen) {
		kfree_skb(skb);
		*err = -EFAULT;
		return NULL;
	}
	icmph->type = user_icmph->type;
	icmph->code = user_icmph->code;
	icmph->checksum = 0;
	icmph->un.echo.id = inet_sk(sk)->inet_sport;
	icmph->un.echo.sequence = user_icmph->un.echo.sequence;
	icmph->checksum = csum_fold(csum_partial(icmph, sizeof(*icmph), csum));
	return skb;
}

/*
 * sendmsg: @len bytes starting with an ICMP echo header. Returns @len or
 * -errno (-EINVAL for another type/code or a short message, -EDESTADDRREQ,
 * -EACCES for broadcast without SO_BROADCAST, -EMSGSIZE).
 */
static int ping_v4_sendmsg(struct sock *sk, struct sl_msghdr *msg, size_t len)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct icmphdr user_icmph;
	struct ipcm_cookie ipc;
	struct sk_buff *skb;
	struct flowi4 fl4;
	struct rtable *rt;
	bool connected, df;
	__be32 daddr;
	__be16 dport;
	int err;

	err = ping_common_sendmsg(msg, len, &user_icmph);
	if (err)
		return err;
	err = ip_dgram_daddr(sk, msg, &daddr, &dport, &connected);
	if (err)
		return err;
	if (msg->msg_name && ((struct sockaddr_in *)msg->msg_name)->sin_family !=
				     AF_INET)
		return -EAFNOSUPPORT;
	err = ip_dgram_autobind(sk);
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
	err = ip_dgram_df(inet, (unsigned int)(len + sizeof(struct iphdr)),
			  dst_mtu(&rt->dst),
			  rt->dst.dev ? rt->dst.dev->mtu : dst_mtu(&rt->dst), &df);
	if (err)
		goto out;
	skb = ping_build(sk, msg, len, &user_icmph, &err);
	if (!skb)
		goto out;
	ip_build_header(net, skb, &fl4, IPPROTO_ICMP,
			ipc.ttl ? ipc.ttl : (u8)ip_select_ttl(sk, net), ipc.tos,
			df);
	err = ip_send_skb(net, skb, rt);
	if (!err)
		icmp_out_count(net, user_icmph.type);
out:
	ip_rt_put(rt);
	return err ? err : (int)len;
}

static int ping_setsockopt(struct sock *sk, int level, int optname,
			   const void *optval, socklen_t optlen)
{
	return ip_setsockopt(sk, level, optname, optval, optlen);
}

static int ping_getsockopt(struct sock *sk, int level, int optname,
			   void *optval, socklen_t *optlen)
{
	return ip_getsockopt(sk, level, optname, optval, optlen);
}

struct proto ping_prot = {
	.name = "PING",
	.close = ping_close,
	.init = ping_init_sock,
	.connect = ip4_datagram_connect,
	.disconnect = udp_disconnect,
	.setsockopt = ping_setsockopt,
	.getsockopt = ping_getsockopt,
	.sendmsg = ping_v4_sendmsg,
	.recvmsg = ping_recvmsg,
	.bind = ping_bind,
	.hash = ping_hash,
	.unhash = ping_unhash,
	.get_port = ping_get_port,
	.obj_size = sizeof(struct inet_sock),
	.max_header = SL_MAX_HEADER,
};

/* --- per-stack table ------------------------------------------------------------ */

static int ping_net_init(struct net *net)
{
	struct ping_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	rwlock_init(&t->lock);
	net->ipv4.ping = t;
	return 0;
}

static void ping_net_exit(struct net *net)
{
	struct ping_table *t = net->ipv4.ping;

	if (!t)
		return;
	rwlock_destroy(&t->lock);
	free(t);
	net->ipv4.ping = NULL;
}

const struct pernet_operations ping_net_ops = {
	.name = "ping",
	.init = ping_net_init,
	.exit = ping_net_exit,
};

/* sl_ss_dump (src/ipv4/inet_diag.c): @fn on each ping socket, the table
 * read-locked. */
void ping_diag_walk(struct net *net, sk_diag_fn fn, void *arg)
{
	struct ping_table *t = ping_table(net);

	if (t)
		sk_diag_walk_hlist(&t->lock, t->hash, PING_HTABLE_SIZE, fn, arg);
}
