/*
 * UDP (RFC 768, RFC 1122 4.1), as Linux's net/ipv4/udp.c.
 *
 * Binding:  inet_bind / autobind -> udp_v4_get_port -> udp_lib_get_port
 *           (conflict rules of udp_lib_lport_inuse; an ephemeral port from
 *           a random start in net.ipv4.ip_local_port_range).
 * Send:     inet_sendmsg -> udp_sendmsg -> ip_dgram_route -> one skb with
 *           the payload copied and summed at once -> udp_send_skb (header,
 *           pseudo-header checksum) -> ip_build_header -> ip_send_skb.
 * Receive:  ip_local_deliver_finish -> udp_rcv (length, checksum) ->
 *           __udp4_lib_lookup (best score: connected 4-tuple > bound
 *           address > wildcard; SO_REUSEPORT groups by hash) ->
 *           udp_queue_rcv_skb -> __sock_queue_rcv_skb; broadcasts and
 *           multicasts go to every matching socket
 *           (__udp4_lib_mcast_deliver); no socket -> ICMP port unreachable.
 *           recvmsg -> udp_recvmsg (UdpInDatagrams counted here, as Linux).
 * Errors:   icmp_unreach -> udp_err -> sk_err / IP_RECVERR queue.
 *
 * The per-stack table (net->ipv4.udp_table) hashes sockets by local port
 * under one rwlock: softirq lookups read, bind/unhash write. Sockets are
 * found with a reference (sock_hold) and delivered after the lock is gone.
 * Not implemented: UDP_CORK / MSG_MORE (corking), UDP-Lite, GSO, encap.
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
#include "sl/protocol.h"
#include "sl/route.h"
#include "sl/skbuff.h"
#include "sl/snmp.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/tcp_states.h"
#include "sl/udp.h"

#define UDP_HTABLE_SIZE 512      /* power of two */
#define UDP_MCAST_MAX 32         /* sockets per broadcast delivery batch */
#define CSUM_MANGLED_0 0xffff
#ifndef SOL_UDP
#define SOL_UDP IPPROTO_UDP
#endif

struct udp_hslot {
	struct hlist_head head;
	int count;
};

struct udp_table {
	rwlock_t lock;
	u32 hash_secret;
	struct udp_hslot hash[UDP_HTABLE_SIZE];
};

static struct udp_table *udp_table(const struct net *net)
{
	return net->ipv4.udp_table;
}

static struct udp_hslot *udp_hashslot(struct udp_table *t, u16 num)
{
	return &t->hash[num & (UDP_HTABLE_SIZE - 1)];
}

/* --- binding ---------------------------------------------------------------- */

/* Either address is the wildcard, or both are equal. */
static bool inet_rcv_saddr_equal(const struct sock *sk, const struct sock *sk2)
{
	return !sk->sk_rcv_saddr || !sk2->sk_rcv_saddr ||
	       sk->sk_rcv_saddr == sk2->sk_rcv_saddr;
}

/*
 * Is local port @num taken for @sk (Linux's udp_lib_lport_inuse)? Two
 * sockets conflict on overlapping addresses and devices unless both set
 * SO_REUSEADDR, or both set SO_REUSEPORT.
 */
static bool udp_lib_lport_inuse(const struct udp_hslot *hslot, u16 num,
				const struct sock *sk)
{
	struct sock *sk2;

	hlist_for_each_entry(sk2, &hslot->head, sk_node) {
		if (sk2 == sk || sk2->sk_num != num)
			continue;
		if (sk2->sk_reuse && sk->sk_reuse)
			continue;
		if (sk2->sk_bound_dev_if && sk->sk_bound_dev_if &&
		    sk2->sk_bound_dev_if != sk->sk_bound_dev_if)
			continue;
		if (!inet_rcv_saddr_equal(sk, sk2))
			continue;
		if (sk2->sk_reuseport && sk->sk_reuseport)
			return false;   /* joins the reuseport group */
		return true;
	}
	return false;
}

/* Append, so that a reuseport group keeps bind order (hash selection). */
static void udp_hslot_add_tail(struct udp_hslot *hslot, struct sock *sk)
{
	struct hlist_node **pprev = &hslot->head.first;

	while (*pprev)
		pprev = &(*pprev)->next;
	sk->sk_node.next = NULL;
	sk->sk_node.pprev = pprev;
	*pprev = &sk->sk_node;
	hslot->count++;
}

static int udp_pick_ephemeral(struct udp_table *t, struct sock *sk)
{
	struct net *net = sock_net(sk);
	int low = READ_ONCE(net->ipv4.sysctl_ip_local_port_range[0]);
	int high = READ_ONCE(net->ipv4.sysctl_ip_local_port_range[1]);
	u32 remaining, offset, i;
	u16 port;

	if (high < low)
		return -EADDRINUSE;
	remaining = (u32)(high - low) + 1;
	offset = net_random_u32(net) % remaining;
	/* Linux starts at a random port of the range and walks it. */
	for (i = 0; i < remaining; i++) {
		port = (u16)(low + (offset + i) % remaining);
		if (!udp_lib_lport_inuse(udp_hashslot(t, port), port, sk))
			return port;
	}
	return -EADDRINUSE;
}

/*
 * sk_prot->get_port: bind @sk to @snum (0: an ephemeral port) and hash it.
 * 0, or -EADDRINUSE (non-zero means failure, as Linux's get_port).
 */
static int udp_v4_get_port(struct sock *sk, unsigned short snum)
{
	struct udp_table *t = udp_table(sock_net(sk));
	int port = snum;

	write_lock(&t->lock);
	if (!port) {
		port = udp_pick_ephemeral(t, sk);
		if (port < 0)
			goto fail;
	} else if (udp_lib_lport_inuse(udp_hashslot(t, (u16)port), (u16)port,
				       sk)) {
		goto fail;
	}
	inet_sk(sk)->inet_num = (u16)port;
	if (sk_unhashed(sk))
		udp_hslot_add_tail(udp_hashslot(t, (u16)port), sk);
	rwlock_unlock(&t->lock);
	return 0;
fail:
	rwlock_unlock(&t->lock);
	return -EADDRINUSE;
}

static int udp_lib_hash(struct sock *sk)
{
	/* UDP sockets are hashed by get_port. */
	return 0;
}

/* Remove @sk from the table (close, disconnect without a bound port). */
static void udp_lib_unhash(struct sock *sk)
{
	struct udp_table *t = udp_table(sock_net(sk));

	write_lock(&t->lock);
	if (sk_hashed(sk)) {
		udp_hashslot(t, sk->sk_num)->count--;
		hlist_del_init(&sk->sk_node);
		inet_sk(sk)->inet_num = 0;
	}
	rwlock_unlock(&t->lock);
}

/* The address part of the key changed (connect): lookups score by
 * address within the port slot, so only publish the change. */
static void udp_v4_rehash(struct sock *sk)
{
	struct udp_table *t = udp_table(sock_net(sk));

	write_lock(&t->lock);
	rwlock_unlock(&t->lock);
}

/* --- lookup ------------------------------------------------------------------ */

/* Linux's compute_score: -1 = no match; more specific sockets score more. */
static int compute_score(const struct sock *sk, __be32 saddr, __be16 sport,
			 __be32 daddr, u16 hnum, int dif)
{
	int score;

	if (sk->sk_num != hnum || sk->sk_family != AF_INET)
		return -1;
	score = 2;
	if (sk->sk_rcv_saddr) {
		if (sk->sk_rcv_saddr != daddr)
			return -1;
		score += 4;
	}
	if (sk->sk_daddr) {
		if (sk->sk_daddr != saddr)
			return -1;
		score += 4;
	}
	if (sk->sk_dport) {
		if (sk->sk_dport != sport)
			return -1;
		score += 4;
	}
	if (sk->sk_bound_dev_if) {
		if (sk->sk_bound_dev_if != dif)
			return -1;
		score += 4;
	}
	return score;
}

static u32 udp_ehashfn(const struct udp_table *t, __be32 laddr, u16 lport,
		       __be32 faddr, __be16 fport)
{
	u32 h = t->hash_secret;

	h ^= ntohl(laddr) * 0x9E3779B1u;
	h ^= (u32)lport << 16 | ntohs(fport);
	h *= 0x85EBCA6Bu;
	h ^= ntohl(faddr);
	h ^= h >> 13;
	h *= 0xC2B2AE35u;
	return h ^ (h >> 16);
}

/* SO_REUSEPORT: pick a member of @sk's group by the flow hash. */
static struct sock *udp_reuseport_select(struct udp_hslot *hslot,
					 struct sock *sk, u32 hash)
{
	struct sock *sk2, *members[64];
	unsigned int n = 0;

	hlist_for_each_entry(sk2, &hslot->head, sk_node) {
		if (sk2->sk_reuseport && sk2->sk_num == sk->sk_num &&
		    sk2->sk_rcv_saddr == sk->sk_rcv_saddr &&
		    sk2->sk_bound_dev_if == sk->sk_bound_dev_if &&
		    sk2->sk_state != TCP_ESTABLISHED && n < ARRAY_SIZE(members))
			members[n++] = sk2;
	}
	if (!n)
		return sk;
	return members[((u64)hash * n) >> 32];
}

/*
 * Find the socket for a datagram saddr:sport -> daddr:dport arriving on
 * @dif. Returns it with a reference (sock_put when done), or NULL.
 */
static struct sock *__udp4_lib_lookup(struct net *net, __be32 saddr,
				      __be16 sport, __be32 daddr, __be16 dport,
				      int dif)
{
	struct udp_table *t = udp_table(net);
	u16 hnum = ntohs(dport);
	struct sock *sk, *result = NULL;
	struct udp_hslot *hslot;
	int score, badness = 0;

	read_lock(&t->lock);
	hslot = udp_hashslot(t, hnum);
	hlist_for_each_entry(sk, &hslot->head, sk_node) {
		score = compute_score(sk, saddr, sport, daddr, hnum, dif);
		if (score > badness) {
			result = sk;
			badness = score;
		}
	}
	if (result && result->sk_reuseport &&
	    result->sk_state != TCP_ESTABLISHED)
		result = udp_reuseport_select(
			hslot, result,
			udp_ehashfn(t, daddr, hnum, saddr, sport));
	if (result)
		sock_hold(result);
	rwlock_unlock(&t->lock);
	return result;
}

/* --- receive ----------------------------------------------------------------- */

/*
 * Queue one datagram on @sk (Linux's udp_queue_rcv_skb): pull the header,
 * remember IP_PKTINFO data, charge rcvbuf. Consumes @skb; a full receive
 * buffer counts UdpRcvbufErrors + UdpInErrors.
 */
static int udp_queue_rcv_skb(struct sock *sk, struct sk_buff *skb)
{
	struct net *net = sock_net(sk);
	int rc;

	skb_trace(skb);
	skb_pull(skb, sizeof(struct udphdr));
	ipv4_pktinfo_prepare(sk, skb);
	rc = __sock_queue_rcv_skb(sk, skb);
	if (rc < 0) {
		if (rc == -ENOMEM)
			UDP_INC_STATS(net, UDP_MIB_RCVBUFERRORS);
		else
			UDP_INC_STATS(net, UDP_MIB_MEMERRORS);
		UDP_INC_STATS(net, UDP_MIB_INERRORS);
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return -1;
	}
	return 0;
}

static bool __udp_is_mcast_sock(const struct sock *sk, __be16 loc_port,
				__be32 loc_addr, __be16 rmt_port,
				__be32 rmt_addr, int dif)
{
	if (sk->sk_num != ntohs(loc_port))
		return false;
	if (sk->sk_daddr && sk->sk_daddr != rmt_addr)
		return false;
	if (sk->sk_dport && sk->sk_dport != rmt_port)
		return false;
	if (sk->sk_rcv_saddr && sk->sk_rcv_saddr != loc_addr)
		return false;
	if (sk->sk_bound_dev_if && sk->sk_bound_dev_if != dif)
		return false;
	return true;
}

/*
 * Broadcast and multicast: every matching socket gets the datagram (a
 * clone each, the last one the original). No listener: UdpIgnoredMulti,
 * and never an ICMP error (RFC 1122 3.2.2). Consumes @skb.
 */
static int __udp4_lib_mcast_deliver(struct net *net, struct sk_buff *skb,
				    const struct udphdr *uh, __be32 saddr,
				    __be32 daddr)
{
	struct udp_table *t = udp_table(net);
	struct sock *stack[UDP_MCAST_MAX], *sk;
	int dif = skb->dev ? skb->dev->ifindex : 0;
	unsigned int count = 0, i;
	struct sk_buff *nskb;

	read_lock(&t->lock);
	hlist_for_each_entry(sk, &udp_hashslot(t, ntohs(uh->dest))->head,
			     sk_node) {
		if (count == UDP_MCAST_MAX)
			break;
		if (__udp_is_mcast_sock(sk, uh->dest, daddr, uh->source, saddr,
					dif)) {
			sock_hold(sk);
			stack[count++] = sk;
		}
	}
	rwlock_unlock(&t->lock);

	if (!count) {
		UDP_INC_STATS(net, UDP_MIB_IGNOREDMULTI);
		consume_skb(skb);
		return 0;
	}
	for (i = 0; i < count; i++) {
		if (i + 1 < count) {
			nskb = skb_clone(skb);
			if (!nskb) {
				__atomic_fetch_add(&stack[i]->sk_drops, 1,
						   __ATOMIC_RELAXED);
				UDP_INC_STATS(net, UDP_MIB_RCVBUFERRORS);
				UDP_INC_STATS(net, UDP_MIB_INERRORS);
				sock_put(stack[i]);
				continue;
			}
			udp_queue_rcv_skb(stack[i], nskb);
		} else {
			udp_queue_rcv_skb(stack[i], skb);
		}
		sock_put(stack[i]);
	}
	return 0;
}

/* RFC 768: checksum over pseudo header, header and data; 0 = none sent. */
static bool udp4_csum_ok(const struct sk_buff *skb, const struct udphdr *uh,
			 unsigned int ulen)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (!uh->check || skb->ip_summed == CHECKSUM_UNNECESSARY)
		return true;
	return csum_tcpudp_magic(iph->saddr, iph->daddr, ulen, IPPROTO_UDP,
				 csum_partial(uh, ulen, 0)) == 0;
}

/*
 * inet_protos handler for IPPROTO_UDP; skb->data at the UDP header.
 * Consumes @skb on every path.
 */
int udp_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct rtable *rt = skb_rtable(skb);
	enum skb_drop_reason reason = SKB_DROP_REASON_PKT_TOO_SMALL;
	const struct udphdr *uh;
	__be32 saddr, daddr;
	unsigned int ulen;
	struct sock *sk;

	skb_trace(skb);
	skb_reset_transport_header(skb);
	if (!pskb_may_pull(skb, sizeof(struct udphdr)))
		goto drop;
	uh = udp_hdr(skb);
	ulen = ntohs(uh->len);
	saddr = ip_hdr(skb)->saddr;
	daddr = ip_hdr(skb)->daddr;

	/* RFC 768: the length field covers header and data. */
	if (ulen > skb->len || ulen < sizeof(*uh))
		goto drop;
	pskb_trim_rcsum(skb, ulen);

	if (!udp4_csum_ok(skb, uh, ulen))
		goto csum_error;

	if (rt && (rt->rt_type == RTN_BROADCAST || rt->rt_type == RTN_MULTICAST))
		return __udp4_lib_mcast_deliver(net, skb, uh, saddr, daddr);

	sk = __udp4_lib_lookup(net, saddr, uh->source, daddr, uh->dest,
			       skb->dev ? skb->dev->ifindex : 0);
	if (sk) {
		udp_queue_rcv_skb(sk, skb);
		sock_put(sk);
		return 0;
	}

	/* RFC 1122 4.1.3.1: SHOULD send port unreachable. */
	UDP_INC_STATS(net, UDP_MIB_NOPORTS);
	icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	return 0;

csum_error:
	reason = SKB_DROP_REASON_UDP_CSUM;
	UDP_INC_STATS(net, UDP_MIB_INCSUMERRORS);
drop:
	UDP_INC_STATS(net, UDP_MIB_INERRORS);
	kfree_skb_reason(skb, reason);
	return 0;
}

/*
 * err_handler: an ICMP error about a datagram we sent (skb->data at the
 * quoted IP header, 8 bytes of UDP header present). As Linux's
 * __udp4_lib_err: RFC 1122 4.1.3.3 passes errors to the application, but
 * an unconnected socket without IP_RECVERR ignores them, and soft errors
 * only reach IP_RECVERR sockets.
 */
int udp_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct udphdr *uh =
		(const struct udphdr *)(skb->data + (iph->ihl << 2));
	const int type = icmp_hdr(skb)->type;
	const int code = icmp_hdr(skb)->code;
	struct net *net = dev_net(skb->dev);
	struct sock *sk;

	sk = __udp4_lib_lookup(net, iph->daddr, uh->dest, iph->saddr,
			       uh->source, skb->dev->ifindex);
	if (!sk) {
		ICMP_INC_STATS(net, ICMP_MIB_INERRORS);
		return -ENOENT;
	}
	ip_dgram_icmp_err(sk, skb, type, code, info, uh->dest,
			  (const u8 *)(uh + 1));
	sock_put(sk);
	return 0;
}

const struct net_protocol udp_protocol = {
	.handler = udp_rcv,
	.err_handler = udp_err,
	.no_policy = 1,
};

/* --- send -------------------------------------------------------------------- */

/* Fill the UDP header and checksum, then the IP header, and send. */
static int udp_send_skb(struct sock *sk, struct sk_buff *skb,
			struct flowi4 *fl4, struct rtable *rt, __wsum csum,
			const struct ipcm_cookie *ipc, bool df)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct udphdr *uh = udp_hdr(skb);
	unsigned int ulen = skb->len;
	int err;

	uh->source = inet->inet_sport;
	uh->dest = fl4->fl4_dport;
	uh->len = htons((u16)ulen);
	uh->check = 0;
	csum = csum_partial(uh, sizeof(*uh), csum);
	uh->check = csum_tcpudp_magic(fl4->saddr, fl4->daddr, ulen, IPPROTO_UDP,
				      csum);
	if (uh->check == 0)
		uh->check = CSUM_MANGLED_0;   /* RFC 768: 0 means "none" */

	ip_build_header(net, skb, fl4, IPPROTO_UDP,
			ipc->ttl ? ipc->ttl : (u8)ip_select_ttl(sk, net),
			ipc->tos, df);
	err = ip_send_skb(net, skb, rt);
	if (err) {
		if (err == -ENOBUFS && !inet->recverr) {
			UDP_INC_STATS(net, UDP_MIB_SNDBUFERRORS);
			err = 0;
		}
	} else {
		UDP_INC_STATS(net, UDP_MIB_OUTDATAGRAMS);
	}
	return err;
}

/* Allocate the datagram and copy the payload, summing it on the way. */
static struct sk_buff *udp_alloc_payload(struct sock *sk, struct sl_msghdr *msg,
					 size_t len, __wsum *csum, int *err)
{
	struct sk_buff *skb;

	skb = sock_alloc_send_skb(sk, SL_MAX_HEADER + sizeof(struct udphdr) + len,
				  msg->msg_flags & MSG_DONTWAIT, err);
	if (!skb)
		return NULL;
	skb_reserve(skb, SL_MAX_HEADER);
	skb_reset_transport_header(skb);
	skb_put(skb, sizeof(struct udphdr));
	*csum = 0;
	if (len && csum_and_copy_from_iter(skb_put(skb, (unsigned int)len), len,
					   csum, &msg->msg_iter) != len) {
		kfree_skb(skb);
		*err = -EFAULT;
		return NULL;
	}
	return skb;
}

/*
 * sendmsg for UDP. Returns @len or -errno: -EMSGSIZE above 65507 bytes
 * (or above the path MTU with IP_PMTUDISC_DO), -EDESTADDRREQ unconnected
 * without an address, -EINVAL for port 0, -EACCES for broadcast without
 * SO_BROADCAST, -EAGAIN/-ENOBUFS when the send buffer is full.
 * MSG_MORE/UDP_CORK are not supported (each call sends one datagram).
 */
static int udp_sendmsg(struct sock *sk, struct sl_msghdr *msg, size_t len)
{
	struct inet_sock *inet = inet_sk(sk);
	unsigned int tot_len = (unsigned int)(len + sizeof(struct udphdr) +
					      sizeof(struct iphdr));
	struct ipcm_cookie ipc;
	struct sk_buff *skb;
	struct flowi4 fl4;
	struct rtable *rt;
	bool connected, df;
	__be32 daddr;
	__be16 dport;
	__wsum csum;
	int err;

	if (len > IP_MAX_DGRAM)
		return -EMSGSIZE;
	if (msg->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	err = ip_dgram_daddr(sk, msg, &daddr, &dport, &connected);
	if (err)
		return err;
	if (!dport)
		return -EINVAL;
	if (tot_len > IP_MAX_DGRAM)
		return -EMSGSIZE;
	err = ip_dgram_autobind(sk);
	if (err)
		return err;

	memset(&ipc, 0, sizeof(ipc));
	ipc.tos = inet->tos;
	err = ip_cmsg_send(sk, msg, &ipc);
	if (err)
		return err;
	if (ipc.tos != inet->tos)
		connected = false;      /* another TOS may route differently */

	rt = ip_dgram_route(sk, &fl4, daddr, dport, &ipc, connected);
	if (IS_ERR(rt))
		return (int)PTR_ERR(rt);

	err = ip_dgram_df(inet, tot_len, dst_mtu(&rt->dst),
			  rt->dst.dev ? rt->dst.dev->mtu : dst_mtu(&rt->dst), &df);
	if (err) {
		ip_local_error(sk, EMSGSIZE, fl4.daddr, dport,
			       dst_mtu(&rt->dst));
		goto out;
	}

	skb = udp_alloc_payload(sk, msg, len, &csum, &err);
	if (!skb) {
		if (err == -ENOBUFS)
			UDP_INC_STATS(sock_net(sk), UDP_MIB_SNDBUFERRORS);
		goto out;
	}
	skb_trace(skb);
	err = udp_send_skb(sk, skb, &fl4, rt, csum, &ipc, df);
out:
	ip_rt_put(rt);
	return err ? err : (int)len;
}

/* --- recvmsg ------------------------------------------------------------------ */

/*
 * recvmsg for UDP: MSG_PEEK leaves the datagram queued, MSG_TRUNC returns
 * its real length, MSG_ERRQUEUE reads IP_RECVERR errors. A pending socket
 * error (ECONNREFUSED after a port unreachable) is returned first.
 */
static int udp_recvmsg(struct sock *sk, struct sl_msghdr *msg, size_t len,
		       int flags, int *addr_len)
{
	struct inet_sock *inet = inet_sk(sk);
	bool peeking = flags & MSG_PEEK;
	unsigned int ulen, copied;
	struct sk_buff *skb;
	int err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_ERRQUEUE)
		return ip_recv_error(sk, msg, (int)len, addr_len);

	skb = skb_recv_datagram(sk, (unsigned int)flags, &err);
	if (!skb)
		return err;
	skb_trace(skb);

	ulen = skb->len;
	copied = (unsigned int)min_t(size_t, len, ulen);
	if (copied < ulen)
		msg->msg_flags |= MSG_TRUNC;

	err = skb_copy_datagram_msg(skb, 0, msg, (int)copied);
	if (err) {
		if (!peeking) {
			__atomic_fetch_add(&sk->sk_drops, 1, __ATOMIC_RELAXED);
			UDP_INC_STATS(sock_net(sk), UDP_MIB_INERRORS);
		}
		kfree_skb(skb);
		return err;
	}
	if (!peeking)
		UDP_INC_STATS(sock_net(sk), UDP_MIB_INDATAGRAMS);

	ip_dgram_put_name(msg, ip_hdr(skb)->saddr, udp_hdr(skb)->source,
			  addr_len);
	if (inet->cmsg_flags)
		ip_cmsg_recv(msg, skb);
	sock_recv_timestamp(msg, sk, skb);

	err = (flags & MSG_TRUNC) ? (int)ulen : (int)copied;
	skb_free_datagram(sk, skb);
	return err;
}

/* --- the rest of struct proto -------------------------------------------------- */

/* connect(AF_UNSPEC): forget the peer, keep what bind(2) chose (Linux's
 * __udp_disconnect; ping and raw sockets use it too). */
int udp_disconnect(struct sock *sk, int flags)
{
	struct inet_sock *inet = inet_sk(sk);

	lock_sock(sk);
	sk->sk_state = TCP_CLOSE;
	inet->inet_daddr = 0;
	inet->inet_dport = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK)) {
		inet->inet_saddr = 0;
		inet->inet_rcv_saddr = 0;
		if (sk->sk_prot->rehash && (sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			sk->sk_prot->rehash(sk);
	}
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK)) {
		if (sk->sk_prot->unhash)
			sk->sk_prot->unhash(sk);
		inet->inet_sport = 0;
	}
	sk_dst_reset(sk);
	release_sock(sk);
	return 0;
}

static void udp_lib_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

static int udp_init_sock(struct sock *sk)
{
	sk->sk_state = TCP_CLOSE;
	return 0;
}

static void udp_destroy_sock(struct sock *sk)
{
	/* Nothing corked to flush: every sendmsg sends at once. */
}

/* SIOCINQ: size of the next datagram's payload; SIOCOUTQ: bytes sent and
 * not yet freed by the device. */
static int udp_ioctl(struct sock *sk, int cmd, int *karg)
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
		return -ENOTTY;    /* what an unknown socket ioctl gives */
	}
}

/* SOL_UDP options (UDP_CORK, encapsulation) are not supported. */
static int udp_setsockopt(struct sock *sk, int level, int optname,
			  const void *optval, socklen_t optlen)
{
	if (level == SOL_UDP)
		return -ENOPROTOOPT;
	return ip_setsockopt(sk, level, optname, optval, optlen);
}

static int udp_getsockopt(struct sock *sk, int level, int optname,
			  void *optval, socklen_t *optlen)
{
	if (level == SOL_UDP)
		return -ENOPROTOOPT;
	return ip_getsockopt(sk, level, optname, optval, optlen);
}

/* Backlog: only used if someone queued while the socket was owned. */
static int udp_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	return udp_queue_rcv_skb(sk, skb);
}

struct proto udp_prot = {
	.name = "UDP",
	.close = udp_lib_close,
	.connect = ip4_datagram_connect,
	.disconnect = udp_disconnect,
	.ioctl = udp_ioctl,
	.init = udp_init_sock,
	.destroy = udp_destroy_sock,
	.setsockopt = udp_setsockopt,
	.getsockopt = udp_getsockopt,
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.backlog_rcv = udp_backlog_rcv,
	.hash = udp_lib_hash,
	.unhash = udp_lib_unhash,
	.rehash = udp_v4_rehash,
	.get_port = udp_v4_get_port,
	.obj_size = sizeof(struct udp_sock),
	.max_header = SL_MAX_HEADER,
};

/* --- per-stack table ------------------------------------------------------------- */

static int udp_net_init(struct net *net)
{
	struct udp_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	rwlock_init(&t->lock);
	t->hash_secret = net_random_u32(net);
	net->ipv4.udp_table = t;
	return 0;
}

static void udp_net_exit(struct net *net)
{
	struct udp_table *t = net->ipv4.udp_table;

	if (!t)
		return;
	rwlock_destroy(&t->lock);
	free(t);
	net->ipv4.udp_table = NULL;
}

const struct pernet_operations udp_net_ops = {
	.name = "udp",
	.init = udp_net_init,
	.exit = udp_net_exit,
};

/* sl_ss_dump (src/ipv4/inet_diag.c): @fn on each UDP socket, the table
 * read-locked, as Linux's udp_dump walks it. */
void udp_diag_walk(struct net *net, sk_diag_fn fn, void *arg)
{
	struct udp_table *t = udp_table(net);
	struct sock *sk;
	unsigned int i;

	if (!t)
		return;
	read_lock(&t->lock);
	for (i = 0; i < UDP_HTABLE_SIZE; i++)
		hlist_for_each_entry(sk, &t->hash[i].head, sk_node)
			fn(sk, arg);
	rwlock_unlock(&t->lock);
}
