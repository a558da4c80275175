/*
 * Ethernet II framing (src/net/eth.c).
 */
#ifndef SL_IF_ETHER_H
#define SL_IF_ETHER_H

#include "sl/types.h"

#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_ZLEN 60           /* minimum frame without FCS */
#define ETH_DATA_LEN 1500
#define ETH_FRAME_LEN 1514
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86DD
#define ETH_P_ALL 0x0003      /* taps: every protocol */

struct ethhdr {
	u8 h_dest[ETH_ALEN];
	u8 h_source[ETH_ALEN];
	__be16 h_proto;
} __packed;

struct sk_buff;
struct net_device;

static inline struct ethhdr *eth_hdr(const struct sk_buff *skb);

/*
 * Set skb->pkt_type and skb->mac_header, pull the Ethernet header and
 * return the payload's ethertype (network order). The caller has checked
 * that skb->len >= ETH_HLEN.
 */
__be16 eth_type_trans(struct sk_buff *skb, struct net_device *dev);
/* header_ops->create for Ethernet: push a header; returns ETH_HLEN. */
int eth_header(struct sk_buff *skb, struct net_device *dev, u16 type,
	       const void *daddr, const void *saddr, unsigned int len);
/* Defaults for an Ethernet device: MTU 1500, broadcast, header ops. */
void ether_setup(struct net_device *dev);
/* A random locally administered unicast MAC (seeded per stack). */
void eth_random_addr(u8 *addr, u64 *seed);

static inline bool is_broadcast_ether_addr(const u8 *a)
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}
static inline bool is_multicast_ether_addr(const u8 *a)
{
	return a[0] & 0x01;
}
static inline bool is_zero_ether_addr(const u8 *a)
{
	return (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) == 0;
}
static inline bool is_valid_ether_addr(const u8 *a)
{
	return !is_multicast_ether_addr(a) && !is_zero_ether_addr(a);
}
static inline bool ether_addr_equal(const u8 *a, const u8 *b)
{
	return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		(a[4] ^ b[4]) | (a[5] ^ b[5])) == 0;
}

#include "sl/skbuff.h"
static inline struct ethhdr *eth_hdr(const struct sk_buff *skb)
{
	return (struct ethhdr *)skb_mac_header(skb);
}

#endif
