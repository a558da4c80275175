/*
 * ARP for IPv4 over Ethernet (RFC 826, RFC 1122 2.3.2; Linux's
 * net/ipv4/arp.c).
 *
 * Receive: netif_receive_skb -> arp_rcv (validate) -> arp_process: answer
 * requests for our addresses (arp_ignore=0: any local address), learn the
 * sender (RFC 826 merge), confirm entries with replies.
 * Transmit: neighbour resolution -> arp_solicit -> arp_send -> arp_create
 * -> dev_queue_xmit; address add -> arp_announce (gratuitous request).
 * Failure: arp_error_report sends ICMP host unreachable for each packet
 * that waited in vain.
 *
 * arp_init registers arp_rcv for ETH_P_ARP and a device notifier that
 * flushes a device's entries when it goes down; arp_net_ops creates and
 * destroys each stack's table (net->ipv4.arp_tbl).
 */
#include <errno.h>
#include <string.h>

#include "sl/icmp.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"

#include "neighbour_priv.h"

#define ARP_HLEN ((unsigned int)sizeof(struct arphdr))

static struct arphdr *arp_hdr(const struct sk_buff *skb)
{
	return (struct arphdr *)skb_network_header(skb);
}

/* --- transmit ------------------------------------------------------------- */

/*
 * Build an ARP packet with its Ethernet header (Linux's arp_create).
 * @dest_hw NULL: broadcast; @src_hw NULL: the device's address;
 * @target_hw NULL: zeros. Returns the skb (owned by the caller) or NULL.
 */
static struct sk_buff *arp_create(int type, int ptype, __be32 dest_ip,
				  struct net_device *dev, __be32 src_ip,
				  const u8 *dest_hw, const u8 *src_hw,
				  const u8 *target_hw)
{
	struct sk_buff *skb;
	struct arphdr *arp;

	skb = alloc_skb(dev_net(dev), ARP_HLEN + dev->hard_header_len +
					      dev->needed_headroom);
	if (!skb)
		return NULL;
	skb_reserve(skb, dev->hard_header_len + dev->needed_headroom);
	skb_reset_network_header(skb);
	arp = (struct arphdr *)skb_put(skb, ARP_HLEN);
	skb->dev = dev;
	skb->protocol = htons(ETH_P_ARP);
	if (!src_hw)
		src_hw = dev->dev_addr;
	if (!dest_hw)
		dest_hw = dev->broadcast;

	/* RFC 826 packet format: Ethernet hardware, IPv4 protocol. */
	arp->ar_hrd = htons(ARPHRD_ETHER);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = 4;
	arp->ar_op = htons((u16)type);
	memcpy(arp->ar_sha, src_hw, ETH_ALEN);
	arp->ar_sip = src_ip;
	if (target_hw)
		memcpy(arp->ar_tha, target_hw, ETH_ALEN);
	else
		memset(arp->ar_tha, 0, ETH_ALEN);
	arp->ar_tip = dest_ip;

	if (dev->header_ops &&
	    dev->header_ops->create(skb, dev, (u16)ptype, dest_hw, src_hw,
				    skb->len) < 0) {
		kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
		return NULL;
	}
	return skb;
}

/*
 * Create and transmit an ARP packet (see arp_create for the NULL
 * defaults). Nothing is sent on NOARP devices.
 */
void arp_send(int type, int ptype, __be32 dest_ip, struct net_device *dev,
	      __be32 src_ip, const u8 *dest_hw, const u8 *src_hw,
	      const u8 *target_hw)
{
	struct sk_buff *skb;

	if (dev->flags & IFF_NOARP)
		return;
	skb = arp_create(type, ptype, dest_ip, dev, src_ip, dest_hw, src_hw,
			 target_hw);
	if (skb)
		dev_queue_xmit(skb);
}

/*
 * Gratuitous ARP for @addr on @dev: a broadcast request with sender and
 * target protocol address both @addr and a zero target hardware address
 * (RFC 5227 2.3; what Linux sends when an address is added).
 */
void arp_announce(struct net_device *dev, __be32 addr)
{
	arp_send(ARPOP_REQUEST, ETH_P_ARP, addr, dev, addr, NULL, dev->dev_addr,
		 NULL);
}

/*
 * Solicit @n's address (Linux's arp_solicit). Source: the queued packet's
 * source when it is ours (arp_announce=0), else the device's address for
 * the target's subnet. @dst_hw set: unicast probe of a cached address.
 */
static void arp_solicit(struct neighbour *n, __be32 saddr_hint,
			const u8 *dst_hw)
{
	struct net_device *dev = n->dev;
	__be32 target = n->primary_key;
	__be32 saddr = 0;

	if (saddr_hint && inet_addr_is_local(dev_net(dev), saddr_hint))
		saddr = saddr_hint;
	if (!saddr)
		saddr = inet_select_addr(dev, target, RT_SCOPE_LINK);
	arp_send(ARPOP_REQUEST, ETH_P_ARP, target, dev, saddr, dst_hw,
		 dev->dev_addr, NULL);
}

/*
 * Resolution failed for the packet @skb (network header set): tell its
 * sender (ICMP host unreachable, as Linux's dst_link_failure) and drop it.
 * Consumes @skb.
 */
static void arp_error_report(struct neighbour *n, struct sk_buff *skb)
{
	if (skb->network_header != SKB_HDR_UNSET)
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	kfree_skb_reason(skb, SKB_DROP_REASON_NEIGH_FAILED);
}

/* Multicast group MAC: 01:00:5e + the low 23 bits of the group (RFC 1112 6.4). */
static void arp_mc_map(__be32 addr, u8 *ha)
{
	u32 a = ntohl(addr);

	ha[0] = 0x01;
	ha[1] = 0x00;
	ha[2] = 0x5e;
	ha[3] = (u8)((a >> 16) & 0x7f);
	ha[4] = (u8)(a >> 8);
	ha[5] = (u8)a;
}

/*
 * New entry (Linux's arp_constructor): multicast, broadcast and every
 * address on a NOARP/loopback device need no resolution (NUD_NOARP).
 */
static int arp_constructor(struct neighbour *n)
{
	struct net_device *dev = n->dev;
	__be32 addr = n->primary_key;

	if (ipv4_is_multicast(addr)) {
		n->nud_state = NUD_NOARP;
		arp_mc_map(addr, n->ha);
	} else if (dev->flags & (IFF_NOARP | IFF_LOOPBACK)) {
		n->nud_state = NUD_NOARP;
		memcpy(n->ha, dev->dev_addr, ETH_ALEN);
	} else if (ipv4_is_lbcast(addr) || inet_addr_is_broadcast(dev, addr)) {
		n->nud_state = NUD_NOARP;
		memcpy(n->ha, dev->broadcast, ETH_ALEN);
	}
	return 0;
}

/* --- receive -------------------------------------------------------------- */

static bool arp_hdr_valid(const struct arphdr *arp, const struct net_device *dev)
{
	/* RFC 826: only Ethernet hardware and IPv4 protocol addresses. */
	if (arp->ar_hrd != htons(ARPHRD_ETHER) || arp->ar_pro != htons(ETH_P_IP))
		return false;
	if (arp->ar_hln != dev->addr_len || arp->ar_hln != ETH_ALEN ||
	    arp->ar_pln != 4)
		return false;
	return arp->ar_op == htons(ARPOP_REQUEST) ||
	       arp->ar_op == htons(ARPOP_REPLY);
}

/* Linux's arp_is_garp: an announcement of the sender's own address. */
static bool arp_is_garp(const struct arphdr *arp)
{
	if (arp->ar_sip != arp->ar_tip)
		return false;
	/* A gratuitous reply also carries tha == sha. */
	return arp->ar_op == htons(ARPOP_REQUEST) ||
	       !memcmp(arp->ar_tha, arp->ar_sha, ETH_ALEN);
}

/* A request for one of our addresses: learn the sender, answer it. */
static void arp_reply_local(struct neigh_table *tbl, struct net_device *dev,
			    const struct arphdr *arp)
{
	struct neighbour *n;

	/* RFC 826: merge the sender, then swap fields and reply. */
	n = neigh_event_ns(tbl, arp->ar_sha, &arp->ar_sip, dev);
	if (!n)
		return;
	arp_send(ARPOP_REPLY, ETH_P_ARP, arp->ar_sip, dev, arp->ar_tip,
		 arp->ar_sha, dev->dev_addr, arp->ar_sha);
	neigh_release(n);
}

/*
 * RFC 826 merge for an existing entry: update the sender's address.
 * Replies to us confirm reachability; requests and broadcast replies
 * only make it STALE. Back-to-back different replies within locktime keep
 * the first (Linux), unless the packet is a gratuitous announcement.
 */
static void arp_update_sender(struct neigh_table *tbl, struct sk_buff *skb,
			      const struct arphdr *arp, struct net_device *dev)
{
	struct neighbour *n;
	bool override;
	u8 state = NUD_REACHABLE;

	n = __neigh_lookup(tbl, &arp->ar_sip, dev, false);
	if (!n)
		return;
	override = neigh_time_after(net_now(dev_net(dev)),
				    n->updated + tbl->parms->locktime) ||
		   arp_is_garp(arp);
	if (arp->ar_op != htons(ARPOP_REPLY) || skb->pkt_type != PACKET_HOST)
		state = NUD_STALE;
	neigh_update(n, arp->ar_sha, state,
		     override ? NEIGH_UPDATE_F_OVERRIDE : 0);
	neigh_release(n);
}

/* Linux's arp_process, for a validated packet. Consumes @skb. */
static int arp_process(struct sk_buff *skb, struct net_device *dev)
{
	struct net *net = dev_net(dev);
	struct neigh_table *tbl = net->ipv4.arp_tbl;
	const struct arphdr *arp = arp_hdr(skb);

	/* Our own frames looped back, and senders that cannot be unicast. */
	if (ether_addr_equal(arp->ar_sha, dev->dev_addr) ||
	    is_multicast_ether_addr(arp->ar_sha))
		goto out_consume;
	/* No host owns a multicast or 127/8 target on a link: ignore. */
	if (ipv4_is_multicast(arp->ar_tip) || ipv4_is_loopback(arp->ar_tip))
		goto out_consume;
	if (!tbl)
		goto out_consume;

	/* Duplicate address detection probe (RFC 5227 2.1.1, sip == 0). */
	if (arp->ar_sip == 0) {
		if (arp->ar_op == htons(ARPOP_REQUEST) &&
		    inet_addr_is_local(net, arp->ar_tip))
			arp_send(ARPOP_REPLY, ETH_P_ARP, 0, dev, arp->ar_tip,
				 arp->ar_sha, dev->dev_addr, arp->ar_sha);
		goto out_consume;
	}
	if (arp->ar_op == htons(ARPOP_REQUEST) &&
	    inet_addr_is_local(net, arp->ar_tip) && !arp_is_garp(arp)) {
		/* arp_ignore=0: answer for any local address on any device. */
		arp_reply_local(tbl, dev, arp);
		goto out_consume;
	}
	arp_update_sender(tbl, skb, arp, dev);
out_consume:
	consume_skb(skb);
	return NET_RX_SUCCESS;
}

/*
 * ptype_base handler for ETH_P_ARP (data at the ARP header). Consumes
 * @skb: malformed packets are dropped as ARP_INVALID; packets for other
 * hosts and on NOARP devices are ignored.
 */
static int arp_rcv(struct sk_buff *skb, struct net_device *dev,
		   struct packet_type *pt, struct net_device *orig_dev)
{
	skb_trace(skb);
	if ((dev->flags & IFF_NOARP) || skb->pkt_type == PACKET_OTHERHOST ||
	    skb->pkt_type == PACKET_LOOPBACK) {
		consume_skb(skb);
		return NET_RX_SUCCESS;
	}
	if (!pskb_may_pull(skb, ARP_HLEN))
		goto out_invalid;
	skb_reset_network_header(skb);
	if (!arp_hdr_valid(arp_hdr(skb), dev))
		goto out_invalid;
	return arp_process(skb, dev);

out_invalid:
	kfree_skb_reason(skb, SKB_DROP_REASON_ARP_INVALID);
	return NET_RX_DROP;
}

static struct packet_type arp_packet_type = {
	.func = arp_rcv, /* .type = htons(ETH_P_ARP), set in arp_init */
};

/* --- device events and per-stack tables ----------------------------------- */

static int arp_netdev_event(struct notifier_block *nb, unsigned long event,
			    void *ptr)
{
	struct net_device *dev = ptr;
	struct neigh_table *tbl = dev_net(dev)->ipv4.arp_tbl;

	switch (event) {
	case NETDEV_DOWN:
	case NETDEV_UNREGISTER:
	case NETDEV_CHANGEADDR:
		neigh_ifdown(tbl, dev);
		break;
	default:
		break;
	}
	return 0;
}

static struct notifier_block arp_netdev_notifier = {
	.notifier_call = arp_netdev_event,
};

/* One-time init: arp_rcv for ETH_P_ARP, the device notifier. */
void arp_init(void)
{
	arp_packet_type.type = htons(ETH_P_ARP);
	dev_add_pack(&arp_packet_type);
	register_netdevice_notifier(&arp_netdev_notifier);
}

/*
 * Neighbour entry for the IPv4 next hop @nexthop on @dev, created when
 * missing. Referenced (neigh_release), or NULL.
 */
struct neighbour *ipv4_neigh_lookup(struct net_device *dev, __be32 nexthop)
{
	return __neigh_lookup(dev_net(dev)->ipv4.arp_tbl, &nexthop, dev, true);
}

static int arp_net_init(struct net *net)
{
	struct neigh_table *tbl;

	tbl = neigh_table_create(net, &net->ipv4.arp_parms);
	if (!tbl)
		return -ENOMEM;
	tbl->constructor = arp_constructor;
	tbl->solicit = arp_solicit;
	tbl->error_report = arp_error_report;
	net->ipv4.arp_tbl = tbl;
	return 0;
}

static void arp_net_exit(struct net *net)
{
	struct neigh_table *tbl = net->ipv4.arp_tbl;

	net->ipv4.arp_tbl = NULL;
	neigh_table_destroy(tbl);
}

const struct pernet_operations arp_net_ops = {
	.name = "arp",
	.init = arp_net_init,
	.exit = arp_net_exit,
};
