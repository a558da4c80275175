/*
 * IPv4 forwarding (RFC 1812 5.2, RFC 791), reached through dst.input of a
 * non-local route when net.ipv4.ip_forward = 1 (off by default, as Linux:
 * ip_route_input_noref hands such packets to ip_error instead).
 *
 *   ip_forward          TTL check (ICMP time exceeded), MTU check with DF
 *                       (ICMP fragmentation needed), private copy, TTL - 1
 *   ip_forward_finish   ForwDatagrams, dst.output (ip_output fragments
 *                       to the output MTU when DF is clear)
 *
 * We send no ICMP redirects (Linux would when in and out device are the
 * same) and do no source routing.
 */
#include <errno.h>
#include <string.h>

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/tcp.h"

static int ip_forward_finish(struct net *net, struct sk_buff *skb)
{
	IP_INC_STATS(net, IPSTATS_MIB_FORWDATAGRAMS);
	return skb_dst(skb)->output(net, NULL, skb);
}

/* Linux's ip_exceeds_mtu: too big for the next link and DF set. */
static bool ip_exceeds_mtu(const struct sk_buff *skb, unsigned int mtu)
{
	if (skb->len <= mtu)
		return false;
	if (!(ip_hdr(skb)->frag_off & htons(IP_DF)))
		return false;
	/* A reassembled datagram: its largest fragment decides. */
	if (IPCB(skb)->frag_max_size > mtu)
		return true;
	/* A large segment is sent as gso_size pieces: those must fit. */
	if (skb_is_gso(skb))
		return skb_gso_network_seglen(skb) > mtu;
	return true;
}

/* RFC 1812 5.3.1: decrement the TTL, update the checksum incrementally
 * (RFC 1624) instead of recomputing it. */
static void ip_decrease_ttl(struct iphdr *iph)
{
	u8 *ttl_proto = &iph->ttl;  /* ttl and protocol: one 16-bit word */
	__be16 old, new_;
	__sum16 check = iph->check;

	memcpy(&old, ttl_proto, sizeof(old));
	iph->ttl--;
	memcpy(&new_, ttl_proto, sizeof(new_));
	csum_replace2(&check, old, new_);
	iph->check = check;
}

/*
 * dst.input of forwarded routes. skb->data at the IP header, dst set by
 * input routing. Consumes skb. Softirq context.
 */
int ip_forward(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	enum skb_drop_reason reason = SKB_DROP_REASON_NOT_SPECIFIED;
	struct rtable *rt = skb_rtable(skb);
	unsigned int mtu;

	skb_trace(skb);
	/* Only unicast frames addressed to us at the link layer. */
	if (skb->pkt_type != PACKET_HOST)
		goto drop;
	/* RFC 1812 5.3.1: a datagram arriving with TTL 1 (or 0) must not be
	 * forwarded; the router SHOULD send ICMP time exceeded. Linux counts
	 * it as a header error. */
	if (ip_hdr(skb)->ttl <= 1)
		goto too_many_hops;

	IPCB(skb)->flags |= IPSKB_FORWARDED;
	mtu = dst_mtu(&rt->dst);
	if (ip_exceeds_mtu(skb, mtu)) {
		/* RFC 1191: report the next-hop MTU. */
		IP_INC_STATS(net, IPSTATS_MIB_FRAGFAILS);
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
		reason = SKB_DROP_REASON_PKT_TOO_BIG;
		goto drop;
	}
	/* The TTL update below writes into the header; a clone shares
	 * its data with another holder (a tap), so take a private copy. */
	if (skb_cloned(skb)) {
		skb = skb_unshare(skb);
		if (!skb)
			return NET_RX_DROP; /* consumed by skb_unshare */
	}
	if (skb_cow_head(skb, rt->dst.dev->hard_header_len +
				      rt->dst.dev->needed_headroom)) {
		reason = SKB_DROP_REASON_NOMEM;
		goto drop;
	}
	ip_decrease_ttl(ip_hdr(skb));
	return ip_forward_finish(net, skb);

too_many_hops:
	IP_INC_STATS(net, IPSTATS_MIB_INHDRERRORS);
	icmp_send(skb, ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0);
	reason = SKB_DROP_REASON_IP_TTL_EXCEEDED;
drop:
	kfree_skb_reason(skb, reason);
	return NET_RX_DROP;
}
