/*
 * IPv4 output (RFC 791, RFC 1122 3.2.1), in the order a datagram meets it:
 *
 *   ip_queue_xmit      connected sockets (TCP): route from sk_dst_cache or
 *                      the flow, build the header from the socket
 *   ip_build_header    datagrams (UDP, ICMP, raw): header from arguments
 *   ip_send_skb        attach the route, ip_local_out
 *   ip_local_out       total length, header checksum, OutRequests,
 *                      dst.output
 *   ip_output          dst.output of every route: device, protocol
 *   ip_finish_output   fragment to the path MTU (ip_do_fragment) or not
 *   ip_finish_output2  next hop -> neighbour (ARP) -> dev_queue_xmit;
 *                      broadcast and loopback need no resolution
 *
 * Every function here consumes the skb it is given, on every path.
 */
#include <errno.h>

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/neighbour.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/sock.h"
#include "sl/tcp.h"

static void ip_send_check(struct iphdr *iph)
{
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
}

/* --- identification and TTL ------------------------------------------- */

/*
 * Next IP ID towards @daddr. RFC 6864 4.1: unique per (src, dst,
 * protocol) for the datagram's lifetime, and RFC 6864 / RFC 7739 advise
 * against one predictable global counter. Like Linux's __ip_select_ident
 * (a hashed array of counters) the sequence seen by one destination is
 * offset by a per-stack secret hash of (daddr, proto); the counter behind
 * it is shared, so IDs towards one peer still increase per datagram.
 */
__be16 ip_select_ident(struct net *net, __be32 daddr, u8 proto)
{
	u32 h = (u32)daddr ^ net->ipv4.ip_id_seed ^ ((u32)proto << 24);
	u32 n = __atomic_add_fetch(&net->ipv4.ip_ids, 1, __ATOMIC_RELAXED);

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return htons((u16)(h + n));
}

/* IP ID as Linux's ip_select_ident_segs: connected sockets count on their
 * own, unconnected DF datagrams carry 0 (RFC 6864 4.1: the field has no
 * meaning for atomic datagrams), the rest use the hashed generator. */
static __be16 ip_datagram_ident(struct net *net, struct sk_buff *skb,
				const struct iphdr *iph)
{
	struct sock *sk = skb->sk;

	if (sk && sk->sk_family == AF_INET && inet_sk(sk)->inet_daddr) {
		u16 id = __atomic_fetch_add(&inet_sk(sk)->inet_id, 1,
					    __ATOMIC_RELAXED);
		return htons(id);
	}
	if (iph->frag_off & htons(IP_DF))
		return 0;
	return ip_select_ident(net, iph->daddr, iph->protocol);
}

/* The socket's IP_TTL, else net.ipv4.ip_default_ttl. */
int ip_select_ttl(const struct sock *sk, struct net *net)
{
	if (sk && sk->sk_family == AF_INET && inet_sk(sk)->uc_ttl >= 0)
		return inet_sk(sk)->uc_ttl;
	return READ_ONCE(net->ipv4.sysctl_ip_default_ttl);
}

/*
 * Push a 20-byte IPv4 header (no options) for @fl4 in front of skb->data
 * and set the network header. tot_len and the checksum are filled by
 * ip_local_out. @ttl 0 means the stack default. Does not consume.
 */
void ip_build_header(struct net *net, struct sk_buff *skb,
		     const struct flowi4 *fl4, u8 proto, u8 ttl, u8 tos,
		     bool df)
{
	struct iphdr *iph;

	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = tos;
	iph->tot_len = htons((u16)skb->len);
	iph->frag_off = df ? htons(IP_DF) : 0;
	iph->ttl = ttl ? ttl : (u8)ip_select_ttl(skb->sk, net);
	iph->protocol = proto;
	iph->saddr = fl4->saddr;
	iph->daddr = fl4->daddr;
	iph->id = ip_datagram_ident(net, skb, iph);
	ip_send_check(iph);
	skb->protocol = htons(ETH_P_IP);
}

/* --- local out -------------------------------------------------------------- */

/*
 * Fill tot_len and the header checksum of a locally built datagram, count
 * it (OutRequests) and hand it to its route's output. skb's dst must be
 * set. Consumes skb; 0, a positive NET_XMIT_* code, or -errno.
 */
int ip_local_out(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	struct iphdr *iph = ip_hdr(skb);
	struct dst_entry *dst = skb_dst(skb);

	skb_trace(skb);
	iph->tot_len = htons((u16)skb->len);
	ip_send_check(iph);
	skb->protocol = htons(ETH_P_IP);
	IP_INC_STATS(net, IPSTATS_MIB_OUTREQUESTS);
	if (unlikely(!dst)) {
		IP_INC_STATS(net, IPSTATS_MIB_OUTNOROUTES);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
		return -EHOSTUNREACH;
	}
	return dst->output(net, sk, skb);
}

/* Linux's net_xmit_errno: congestion is not an error for the sender. */
static int net_xmit_errno(int err)
{
	return err != NET_XMIT_CN ? -ENOBUFS : 0;
}

/*
 * Send a datagram whose header ip_build_header made, through @rt (a new
 * reference is attached to skb). Consumes skb. 0 or -errno; -EMSGSIZE when
 * DF is set and the datagram exceeds the path MTU. OutDiscards on failure.
 */
int ip_send_skb(struct net *net, struct sk_buff *skb, struct rtable *rt)
{
	int err;

	skb_trace(skb);
	skb_dst_drop(skb);
	dst_hold(&rt->dst);
	skb_dst_set(skb, &rt->dst);
	err = ip_local_out(net, skb->sk, skb);
	if (err) {
		if (err > 0)
			err = net_xmit_errno(err);
		if (err)
			IP_INC_STATS(net, IPSTATS_MIB_OUTDISCARDS);
	}
	return err;
}

/* Linux's ip_dont_fragment: DF unless the socket disabled PMTU discovery. */
static bool ip_dont_fragment(const struct sock *sk)
{
	u8 pmtudisc = inet_sk(sk)->pmtudisc;

	return pmtudisc == IP_PMTUDISC_DO || pmtudisc == IP_PMTUDISC_PROBE ||
	       pmtudisc == IP_PMTUDISC_WANT;
}

/* The connected socket's route: cached, or looked up and cached. */
static struct rtable *ip_queue_route(struct sock *sk, struct flowi4 *fl4)
{
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst = __sk_dst_check(sk);
	struct rtable *rt;

	if (dst) {
		fl4->saddr = inet->inet_saddr;
		fl4->daddr = inet->inet_daddr;
		return (struct rtable *)dst;
	}
	memset(fl4, 0, sizeof(*fl4));
	fl4->daddr = inet->inet_daddr;
	fl4->saddr = inet->inet_saddr;
	fl4->flowi4_oif = sk->sk_bound_dev_if;
	fl4->flowi4_proto = sk->sk_protocol;
	fl4->flowi4_tos = inet->tos;
	fl4->fl4_sport = inet->inet_sport;
	fl4->fl4_dport = inet->inet_dport;
	rt = ip_route_output_key(sock_net(sk), fl4);
	if (IS_ERR(rt))
		return rt;
	dst_hold(&rt->dst);
	sk_dst_set(sk, &rt->dst); /* the socket keeps its own reference */
	return rt;
}

/*
 * Send a segment of a connected socket (Linux's __ip_queue_xmit): route
 * from sk_dst_cache (or a fresh lookup, cached), header from the socket:
 * TTL (ip_select_ttl), TOS, DF per IP_MTU_DISCOVER (Linux's default for
 * TCP, IP_PMTUDISC_WANT, sets DF), the socket's ID counter. skb->data at
 * the transport header; @fl4 may be NULL. Consumes skb. 0 or -errno
 * (-EHOSTUNREACH when there is no route, counted OutNoRoutes).
 */
int ip_queue_xmit(struct sock *sk, struct sk_buff *skb, struct flowi4 *fl4)
{
	struct net *net = sock_net(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 local_fl4;
	struct rtable *rt;
	struct iphdr *iph;

	if (!fl4)
		fl4 = &local_fl4;
	rt = skb_rtable(skb);
	if (rt) {
		fl4->saddr = inet->inet_saddr;
		fl4->daddr = inet->inet_daddr;
	} else {
		rt = ip_queue_route(sk, fl4);
		if (IS_ERR(rt)) {
			IP_INC_STATS(net, IPSTATS_MIB_OUTNOROUTES);
			kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
			return -EHOSTUNREACH;
		}
		skb_dst_set(skb, &rt->dst);
	}
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = inet->tos;
	iph->frag_off = ip_dont_fragment(sk) ? htons(IP_DF) : 0;
	iph->ttl = (u8)ip_select_ttl(sk, net);
	iph->protocol = sk->sk_protocol;
	iph->saddr = fl4->saddr;
	iph->daddr = fl4->daddr;
	/* Linux: a connected socket numbers its datagrams itself, one ID per
	 * segment the device will produce from a GSO skb. */
	iph->id = htons(__atomic_fetch_add(&inet->inet_id,
					   skb_is_gso(skb) ?
						   skb_shinfo(skb)->gso_segs : 1,
					   __ATOMIC_RELAXED));
	skb->priority = sk->sk_priority;
	skb->mark = sk->sk_mark;
	return ip_local_out(net, sk, skb);
}

/* --- finish ----------------------------------------------------------------- */

/* Make room for the link header (Linux's LL_RESERVED_SPACE). */
static int ip_ll_headroom(struct sk_buff *skb, struct net_device *dev)
{
	unsigned int need = dev->hard_header_len + dev->needed_headroom;

	if (skb_headroom(skb) >= need)
		return 0;
	return skb_cow_head(skb, need);
}

/* Frame @skb without resolution: broadcast or loopback/NOARP devices. */
static int ip_finish_direct(struct sk_buff *skb, struct net_device *dev,
			    const u8 *daddr)
{
	if (dev->header_ops && dev->header_ops->create &&
	    dev->header_ops->create(skb, dev, ETH_P_IP, daddr, NULL,
				    skb->len) < 0) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return -EINVAL;
	}
	return dev_queue_xmit(skb);
}

/*
 * Linux's ip_mc_output for RTN_BROADCAST: a locally sent broadcast is
 * also delivered to this host. The copy goes through lo (a private copy:
 * the original's link header will be written into the same headroom), and
 * input routing on lo classifies it as broadcast again.
 */
static void ip_broadcast_loop(struct net *net, struct sk_buff *skb,
			      struct net_device *dev)
{
	static const u8 zero_ha[ETH_ALEN];
	struct net_device *lo = net->loopback_dev;
	struct sk_buff *copy;

	if (!lo || dev == lo || (IPCB(skb)->flags & IPSKB_FORWARDED))
		return;
	copy = skb_copy(skb);
	if (!copy)
		return;
	skb_dst_drop(copy);
	copy->dev = lo;
	ip_finish_direct(copy, lo, zero_ha);
}

/*
 * Hand one datagram (data at the IP header) to the link: broadcast to the
 * Ethernet broadcast address (RFC 1122 3.3.6: link-layer broadcast for IP
 * broadcasts), loopback and NOARP devices directly (Linux gives them a
 * NUD_NOARP neighbour; there is nothing to resolve), everything else
 * through the next hop's neighbour (ARP). Consumes skb.
 */
static int ip_finish_output2(struct net *net, struct sock *sk,
			     struct sk_buff *skb)
{
	struct rtable *rt = skb_rtable(skb);
	struct net_device *dev = rt->dst.dev;
	static const u8 zero_ha[ETH_ALEN];
	struct neighbour *n;
	__be32 nexthop;
	int ret;

	skb_trace(skb);
	if (ip_ll_headroom(skb, dev)) {
		IP_INC_STATS(net, IPSTATS_MIB_OUTDISCARDS);
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return -ENOBUFS;
	}
	if (rt->rt_type == RTN_BROADCAST || ipv4_is_lbcast(ip_hdr(skb)->daddr)) {
		ip_broadcast_loop(net, skb, dev);
		return ip_finish_direct(skb, dev, dev->broadcast);
	}
	if (dev->flags & (IFF_LOOPBACK | IFF_NOARP))
		return ip_finish_direct(skb, dev, zero_ha);

	nexthop = rt_nexthop(rt, ip_hdr(skb)->daddr);
	n = ipv4_neigh_lookup(dev, nexthop);
	if (unlikely(!n)) {
		/* No ARP entry could be found or made for the next hop:
		 * drop with -EINVAL, the errno Linux gives. */
		kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_FAILED);
		return -EINVAL;
	}
	ret = neigh_output(n, skb);
	neigh_release(n);
	return ret;
}

/*
 * Segmentation offload: a GSO skb goes whole to a device that carries
 * large segments (NETIF_F_GSO: the virtual wire, a TAP with offloads).
 * For any other device (a forwarded large segment, received from a TAP)
 * it is cut into packets here (tcp_gso_segment), each sent on its own.
 */
static int ip_finish_output_gso(struct net *net, struct sock *sk,
				struct sk_buff *skb)
{
	struct sk_buff *segs, *next;
	int ret = 0, err;

	if (skb->dev->features & NETIF_F_GSO)
		return ip_finish_output2(net, sk, skb);
	segs = tcp_gso_segment(skb, skb->dev->features);
	if (!segs) {
		IP_INC_STATS(net, IPSTATS_MIB_OUTDISCARDS);
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return -ENOMEM;
	}
	consume_skb(skb);
	for (; segs; segs = next) {
		next = segs->next;
		segs->next = NULL;
		err = ip_finish_output2(net, sk, segs);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

static int ip_finish_output(struct net *net, struct sock *sk,
			    struct sk_buff *skb)
{
	u32 mtu = dst_mtu(skb_dst(skb));

	skb_trace(skb);
	if (skb_is_gso(skb))
		return ip_finish_output_gso(net, sk, skb);
	if (skb->len > mtu)
		return ip_do_fragment(net, sk, skb, mtu, ip_finish_output2);
	return ip_finish_output2(net, sk, skb);
}

/*
 * dst.output of every route: set the device and protocol and finish.
 * skb->data at the IP header. Consumes skb.
 */
int ip_output(struct net *net, struct sock *sk, struct sk_buff *skb)
{
	skb_trace(skb);
	skb->dev = skb_dst(skb)->dev;
	skb->protocol = htons(ETH_P_IP);
	return ip_finish_output(net, sk, skb);
}

/* --- fragmentation (RFC 791 3.2, RFC 815) ------------------------------- */

/*
 * RFC 791 3.1: options whose "copied" flag is clear travel in the first
 * fragment only. Like Linux's ip_options_fragment we overwrite them with
 * NOPs, so every fragment keeps the same header length.
 */
static void ip_options_fragment(u8 *opt, unsigned int len)
{
	unsigned int i = 0, optlen;

	while (i < len) {
		if (opt[i] == 0) /* end of option list */
			break;
		if (opt[i] == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= len || opt[i + 1] < 2 || i + opt[i + 1] > len)
			break; /* malformed: leave the rest */
		optlen = opt[i + 1];
		if (!(opt[i] & 0x80))
			memset(opt + i, 1, optlen);
		i += optlen;
	}
}

static void ip_copy_metadata(struct sk_buff *to, const struct sk_buff *from)
{
	to->dev = from->dev;
	to->protocol = from->protocol;
	to->priority = from->priority;
	to->mark = from->mark;
	to->pkt_type = from->pkt_type;
	to->tstamp = from->tstamp;
	to->traced = from->traced;
	memcpy(to->cb, from->cb, sizeof(to->cb));
	if (skb_dst(from)) {
		dst_hold(skb_dst(from));
		skb_dst_set(to, skb_dst(from));
	}
}

/* Build fragment [@offset, @offset + @len) of @skb's payload. */
static struct sk_buff *ip_frag_build(struct net *net, struct sk_buff *skb,
				     unsigned int hlen, unsigned int offset,
				     unsigned int len, bool last)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int ll = skb->dev ? skb->dev->hard_header_len +
					     skb->dev->needed_headroom : 0;
	u16 orig = ntohs(iph->frag_off);
	struct sk_buff *frag;
	struct iphdr *fiph;
	u16 frag_off;

	frag = alloc_skb(net, ll + hlen + len + 16);
	if (!frag)
		return NULL;
	skb_reserve(frag, (int)ALIGN_UP(ll, 16));
	ip_copy_metadata(frag, skb);
	skb_reset_network_header(frag);
	skb_put_data(frag, iph, hlen);
	if (skb_copy_bits(skb, (int)(hlen + offset), skb_put(frag, len), (int)len)) {
		kfree_skb(frag);
		return NULL;
	}
	frag->transport_header = (u16)(frag->network_header + hlen);
	fiph = ip_hdr(frag);
	if (offset && hlen > sizeof(*fiph))
		ip_options_fragment((u8 *)(fiph + 1), hlen - sizeof(*fiph));
	/* RFC 791: offset in 8-byte units, relative to the original datagram
	 * (which may itself be a fragment); MF on all but the last piece. */
	frag_off = (u16)((orig & IP_OFFSET) + (offset >> 3));
	frag_off |= orig & IP_DF;
	if (!last || (orig & IP_MF))
		frag_off |= IP_MF;
	fiph->frag_off = htons(frag_off);
	fiph->tot_len = htons((u16)(hlen + len));
	ip_send_check(fiph);
	return frag;
}

/*
 * Fragment @skb (data at the IP header) to @mtu and call @output on each
 * fragment (RFC 791 3.2: data in multiples of 8 bytes, MF on all but the
 * last, the first carries every option). Counts FragOKs, FragCreates and
 * FragFails. With DF set the datagram is dropped with -EMSGSIZE
 * (FragFails); a forwarded one also gets ICMP fragmentation needed with
 * @mtu (RFC 1191). Consumes skb.
 */
int ip_do_fragment(struct net *net, struct sock *sk, struct sk_buff *skb,
		   u32 mtu,
		   int (*output)(struct net *, struct sock *, struct sk_buff *))
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int hlen = ip_hdrlen(skb), left, offset = 0, len;
	struct sk_buff *frag;
	int err = 0;

	skb_trace(skb);
	if (iph->frag_off & htons(IP_DF)) {
		IP_INC_STATS(net, IPSTATS_MIB_FRAGFAILS);
		if (IPCB(skb)->flags & IPSKB_FORWARDED)
			icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
				  htonl(mtu));
		kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_BIG);
		return -EMSGSIZE;
	}
	if (mtu < hlen + 8) {
		err = -EINVAL;
		goto fail;
	}
	left = min_t(unsigned int, skb->len, ntohs(iph->tot_len)) - hlen;
	while (left > 0) {
		len = left > mtu - hlen ? (mtu - hlen) & ~7u : left;
		frag = ip_frag_build(net, skb, hlen, offset, len, len == left);
		if (!frag) {
			err = -ENOMEM;
			goto fail;
		}
		IP_INC_STATS(net, IPSTATS_MIB_FRAGCREATES);
		err = output(net, sk, frag);
		if (err)
			goto fail;
		offset += len;
		left -= len;
	}
	IP_INC_STATS(net, IPSTATS_MIB_FRAGOKS);
	consume_skb(skb);
	return 0;

fail:
	IP_INC_STATS(net, IPSTATS_MIB_FRAGFAILS);
	kfree_skb_reason(skb, err == -ENOMEM ? SKB_DROP_REASON_NOMEM :
					       SKB_DROP_REASON_NOT_SPECIFIED);
	return err;
}
