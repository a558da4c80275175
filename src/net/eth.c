/*
 * Ethernet II framing (Linux's net/ethernet/eth.c).
 *
 * Receive: netif_receive_skb -> eth_type_trans (classify the destination,
 * pull the header, return the ethertype). Transmit: neigh_output / arp_send
 * -> dev->header_ops->create = eth_header (push the header).
 * ether_setup gives a new device Ethernet defaults; eth_random_addr makes
 * locally administered MACs for virtual devices.
 */
#include "sl/if_ether.h"
#include "sl/netdevice.h"

/*
 * Classify the frame at skb->data for @dev (skb->pkt_type), set the MAC
 * header, pull ETH_HLEN and return the ethertype in network order. The
 * caller checked skb->len >= ETH_HLEN. Does not consume @skb.
 */
__be16 eth_type_trans(struct sk_buff *skb, struct net_device *dev)
{
	const struct ethhdr *eth;

	skb->dev = dev;
	skb_reset_mac_header(skb);
	eth = (const struct ethhdr *)skb->data;
	skb_pull(skb, ETH_HLEN);
	skb->mac_len = ETH_HLEN;

	if (unlikely(is_multicast_ether_addr(eth->h_dest))) {
		if (ether_addr_equal(eth->h_dest, dev->broadcast))
			skb->pkt_type = PACKET_BROADCAST;
		else
			skb->pkt_type = PACKET_MULTICAST;
	} else if (unlikely(!ether_addr_equal(eth->h_dest, dev->dev_addr))) {
		skb->pkt_type = PACKET_OTHERHOST;
	} else {
		skb->pkt_type = PACKET_HOST;
	}
	return eth->h_proto;
}

/*
 * header_ops->create: push an Ethernet header for @type. @saddr NULL means
 * the device's address. Loopback and NOARP devices get a zero destination
 * (as Linux's lo). Returns ETH_HLEN, or -ETH_HLEN when the destination is
 * still unknown (@daddr NULL: the header is pushed but incomplete).
 */
int eth_header(struct sk_buff *skb, struct net_device *dev, u16 type,
	       const void *daddr, const void *saddr, unsigned int len)
{
	struct ethhdr *eth = (struct ethhdr *)skb_push(skb, ETH_HLEN);

	eth->h_proto = htons(type);
	memcpy(eth->h_source, saddr ? saddr : dev->dev_addr, ETH_ALEN);
	if (dev->flags & (IFF_LOOPBACK | IFF_NOARP)) {
		memset(eth->h_dest, 0, ETH_ALEN);
		return ETH_HLEN;
	}
	if (daddr) {
		memcpy(eth->h_dest, daddr, ETH_ALEN);
		return ETH_HLEN;
	}
	return -ETH_HLEN;
}

static const struct header_ops eth_header_ops = {
	.create = eth_header,
};

/*
 * Ethernet defaults: MTU 1500 (68..65535, the range Linux gives virtual
 * Ethernet devices such as veth), broadcast ff:ff:ff:ff:ff:ff,
 * IFF_BROADCAST|IFF_MULTICAST, tx_queue_len 1000.
 */
void ether_setup(struct net_device *dev)
{
	dev->header_ops = &eth_header_ops;
	dev->type = ARPHRD_ETHER;
	dev->hard_header_len = ETH_HLEN;
	dev->mtu = ETH_DATA_LEN;
	dev->min_mtu = 68;
	dev->max_mtu = 65535;
	dev->addr_len = ETH_ALEN;
	dev->tx_queue_len = 1000;
	dev->flags = IFF_BROADCAST | IFF_MULTICAST;
	memset(dev->broadcast, 0xff, ETH_ALEN);
}

/*
 * A random MAC from the xorshift64* state *@seed: unicast (bit 0 of the
 * first octet clear) and locally administered (bit 1 set), as Linux's.
 */
void eth_random_addr(u8 *addr, u64 *seed)
{
	u64 x = *seed ? *seed : 0x9E3779B97F4A7C15ULL;
	u64 r;
	int i;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*seed = x;
	r = x * 0x2545F4914F6CDD1DULL;
	for (i = 0; i < ETH_ALEN; i++)
		addr[i] = (u8)(r >> (8 * i));
	addr[0] &= 0xfe; /* I/G bit 0: an individual (unicast) address */
	addr[0] |= 0x02; /* U/L bit 1: locally administered, IEEE 802 */
}
