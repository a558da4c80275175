/*
 * IPv4 input (RFC 791, RFC 1122 3.2.1), in the order a datagram meets it:
 *
 *   ip_rcv             ptype_base handler for ETH_P_IP: validate the header
 *                      (RFC 1122 3.2.1.1-3.2.1.2), trim link padding
 *   ip_rcv_finish      route it (ip_route_input_noref) and follow dst.input
 *   ip_local_deliver   reassemble fragments (ip_defrag)
 *   ip_local_deliver_finish
 *                      raw sockets (raw_local_deliver), then the transport
 *                      handler from inet_protos[], else ICMP protocol
 *                      unreachable
 *
 * Forwarding continues in ip_forward.c. Also here: the inet_protos table
 * and ip_init, the one-time registration of ip_rcv and the address
 * notifier.
 */
#include <errno.h>

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/protocol.h"
#include "sl/route.h"

#include "fib_internal.h"

/* Transport handlers by IP protocol number (filled by inet_init). */
const struct net_protocol *inet_protos[MAX_INET_PROTOS];

/* Register @prot for protocol @num. 0, or -1 when the slot is taken. */
int inet_add_protocol(const struct net_protocol *prot, unsigned char num)
{
	const struct net_protocol *expected = NULL;

	return __atomic_compare_exchange_n(&inet_protos[num], &expected, prot,
					   false, __ATOMIC_RELEASE,
					   __ATOMIC_RELAXED) ? 0 : -1;
}

/* Unregister @prot from @num. 0, or -1 when another handler is there. */
int inet_del_protocol(const struct net_protocol *prot, unsigned char num)
{
	const struct net_protocol *expected = prot;

	return __atomic_compare_exchange_n(&inet_protos[num], &expected, NULL,
					   false, __ATOMIC_RELEASE,
					   __ATOMIC_RELAXED) ? 0 : -1;
}

/* --- local delivery ------------------------------------------------------ */

static int ip_local_deliver_finish(struct net *net, struct sk_buff *skb)
{
	const struct net_protocol *ipprot;
	int protocol = ip_hdr(skb)->protocol;
	bool raw;

	skb_trace(skb);
	skb_pull(skb, ip_hdrlen(skb));
	skb_reset_transport_header(skb);

	raw = raw_local_deliver(skb, protocol);
	ipprot = __atomic_load_n(&inet_protos[protocol], __ATOMIC_ACQUIRE);
	if (ipprot) {
		ipprot->handler(skb);
		IP_INC_STATS(net, IPSTATS_MIB_INDELIVERS);
		return 0;
	}
	if (raw) {
		/* A raw socket took a clone: the datagram was delivered. */
		IP_INC_STATS(net, IPSTATS_MIB_INDELIVERS);
		consume_skb(skb);
		return 0;
	}
	/* RFC 1122 3.2.2.1: SHOULD send protocol unreachable. */
	IP_INC_STATS(net, IPSTATS_MIB_INUNKNOWNPROTOS);
	icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0);
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_NOPROTO);
	return 0;
}

/*
 * dst.input for local and broadcast routes: reassemble when the datagram
 * is a fragment (RFC 791 3.2), then hand it to the transport. Consumes
 * skb. Softirq context.
 */
int ip_local_deliver(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);

	skb_trace(skb);
	if (ip_is_fragment(ip_hdr(skb))) {
		if (ip_defrag(net, &skb))
			return 0; /* queued or dropped: consumed either way */
	}
	return ip_local_deliver_finish(net, skb);
}

/* --- receive ---------------------------------------------------------------- */

/*
 * A dst that came with the skb: only a packet looped back through our own
 * loopback device (or a PACKET_LOOPBACK copy) keeps its output route,
 * whose dst.input delivers it locally, as Linux's loopback_xmit does.
 * Anything else (a frame from another stack) is routed here.
 */
static void ip_rcv_check_dst(struct sk_buff *skb, struct net_device *dev)
{
	struct dst_entry *dst = skb_dst(skb);

	if (!dst)
		return;
	if (!dst->input || READ_ONCE(dst->obsolete) ||
	    (!(dev->flags & IFF_LOOPBACK) && skb->pkt_type != PACKET_LOOPBACK))
		skb_dst_drop(skb);
}

static enum skb_drop_reason ip_route_drop_reason(int err)
{
	return err == -EINVAL ? SKB_DROP_REASON_IP_INADDRERRORS :
				SKB_DROP_REASON_NOT_SPECIFIED;
}

/*
 * Route the validated datagram and follow its dst. Options are accepted
 * and ignored: unlike Linux (ip_rcv_options) we do not validate them, and
 * we implement no source routing (RFC 1122 3.2.1.8 allows a host not to
 * forward source-routed datagrams) nor record route / timestamps.
 */
static int ip_rcv_finish(struct net *net, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct net_device *dev = skb->dev;
	int err;

	skb_trace(skb);
	ip_rcv_check_dst(skb, dev);
	if (!skb_dst(skb)) {
		err = ip_route_input_noref(skb, iph->daddr, iph->saddr, iph->tos,
					   dev);
		if (unlikely(err)) {
			kfree_skb_reason(skb, ip_route_drop_reason(err));
			return NET_RX_DROP;
		}
	}
	return skb_dst(skb)->input(skb);
}

/*
 * ptype_base handler for ETH_P_IP (Linux's ip_rcv + ip_rcv_core):
 * validate the header as RFC 1122 3.2.1 requires, counting each failure
 * as Linux does, trim link-layer padding, then route. skb->data at the IP
 * header. Consumes skb. Softirq context.
 */
int ip_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt,
	   struct net_device *orig_dev)
{
	struct net *net = dev_net(dev);
	enum skb_drop_reason reason = SKB_DROP_REASON_NOT_SPECIFIED;
	const struct iphdr *iph;
	u32 len;

	skb_trace(skb);
	/* A frame for another host (promiscuous tap): not ours to analyse. */
	if (skb->pkt_type == PACKET_OTHERHOST) {
		kfree_skb_reason(skb, SKB_DROP_REASON_OTHERHOST);
		return NET_RX_DROP;
	}
	IP_INC_STATS(net, IPSTATS_MIB_INRECEIVES);

	if (!pskb_may_pull(skb, sizeof(struct iphdr)))
		goto inhdr_error;
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	/* RFC 1122 3.2.1.1: MUST silently discard a wrong version. RFC 791:
	 * the minimum header is 5 words. */
	if (iph->ihl < 5 || iph->version != 4)
		goto inhdr_error;
	if (!pskb_may_pull(skb, iph->ihl * 4u))
		goto inhdr_error;
	/* RFC 1122 3.2.1.2: MUST silently discard a bad header checksum. */
	if (unlikely(ip_fast_csum(iph, iph->ihl)))
		goto csum_error;

	len = ntohs(iph->tot_len);
	if (skb->len < len) {
		reason = SKB_DROP_REASON_PKT_TOO_SMALL;
		IP_INC_STATS(net, IPSTATS_MIB_INTRUNCATEDPKTS);
		goto drop;
	} else if (len < iph->ihl * 4u) {
		goto inhdr_error;
	}
	/* Ethernet pads short frames: the datagram ends at tot_len. */
	pskb_trim_rcsum(skb, len);
	skb->transport_header = (u16)(skb->network_header + iph->ihl * 4u);
	memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
	IPCB(skb)->iif = dev->ifindex;
	skb->protocol = htons(ETH_P_IP);
	return ip_rcv_finish(net, skb);

csum_error:
	reason = SKB_DROP_REASON_IP_CSUM;
	IP_INC_STATS(net, IPSTATS_MIB_INCSUMERRORS);
inhdr_error:
	if (reason == SKB_DROP_REASON_NOT_SPECIFIED)
		reason = SKB_DROP_REASON_IP_INHDR;
	IP_INC_STATS(net, IPSTATS_MIB_INHDRERRORS);
drop:
	kfree_skb_reason(skb, reason);
	return NET_RX_DROP;
}

static struct packet_type ip_packet_type = {
	.func = ip_rcv,
};

/*
 * One-time IPv4 registration (sl_init): ip_rcv for ETH_P_IP and the
 * device notifier that keeps addresses and routes in step with devices.
 */
void ip_init(void)
{
	ip_packet_type.type = htons(ETH_P_IP);
	dev_add_pack(&ip_packet_type);
	register_netdevice_notifier(&ip_netdev_notifier);
}
