/*
 * Helpers shared by the IPv4 network-layer tests (tests/ipv4/ip_*_test.c,
 * route_test.c, devinet_test.c): build IPv4 frames by hand, inject them
 * into a stack, and record what a test protocol (IP protocol 253, RFC 3692
 * experimentation) receives.
 */
#ifndef SL_TESTS_IP_TEST_UTIL_H
#define SL_TESTS_IP_TEST_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sl_test.h"

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/if_ether.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/protocol.h"
#include "sl/route.h"
#include "sl/skbuff.h"

#define TEST_PROTO 253

static inline __be32 ipa(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static inline u64 snmp(struct net *net, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(sl_snmp_get(net, name, &v), 0);
	return v;
}

static inline u64 drops(struct net *net, enum skb_drop_reason r)
{
	return __atomic_load_n(&net->drops[r], __ATOMIC_RELAXED);
}

/* --- the recording protocol ------------------------------------------- */

#define REC_MAX 16
struct rec {
	int n;
	unsigned int len[REC_MAX];
	u8 ttl[REC_MAX];
	u8 tos[REC_MAX];
	u16 frag_off[REC_MAX];      /* host order */
	__be32 saddr[REC_MAX];
	__be32 daddr[REC_MAX];
	struct net *net[REC_MAX];
	u8 data[REC_MAX][128];      /* first payload bytes */
	u32 sum[REC_MAX];           /* position-weighted payload sum */
};
static struct rec rec;

static inline u32 payload_sum(const u8 *p, unsigned int len)
{
	u32 s = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		s += (u32)p[i] * (i + 1);
	return s;
}

static int rec_handler(struct sk_buff *skb)
{
	int i = rec.n;

	if (i < REC_MAX) {
		rec.len[i] = skb->len;
		rec.ttl[i] = ip_hdr(skb)->ttl;
		rec.tos[i] = ip_hdr(skb)->tos;
		rec.frag_off[i] = ntohs(ip_hdr(skb)->frag_off);
		rec.saddr[i] = ip_hdr(skb)->saddr;
		rec.daddr[i] = ip_hdr(skb)->daddr;
		rec.net[i] = dev_net(skb->dev);
		memcpy(rec.data[i], skb->data, skb->len < 128 ? skb->len : 128);
		rec.sum[i] = payload_sum(skb->data, skb->len);
	}
	rec.n++;
	consume_skb(skb);
	return 0;
}

static const struct net_protocol rec_protocol = {
	.handler = rec_handler,
};

static inline void rec_register(void)
{
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(inet_add_protocol(&rec_protocol, TEST_PROTO), 0);
}

static inline void rec_unregister(void)
{
	assert_int_equal(inet_del_protocol(&rec_protocol, TEST_PROTO), 0);
}

/* Payload byte @i of every test datagram. */
static inline u8 pat(unsigned int i)
{
	return (u8)(i * 7 + 3);
}

/* --- frames ----------------------------------------------------------- */

struct frame_spec {
	__be32 saddr, daddr;
	u8 proto;
	u8 ttl;
	u8 tos;
	u16 id;
	u16 frag_off;        /* host order, flags + offset in 8-byte units */
	unsigned int ihl;    /* 0: 5 */
	unsigned int paylen; /* payload bytes, pattern from @payoff */
	unsigned int payoff;
	bool bad_csum;
	int tot_len_delta;   /* added to the right tot_len */
	u8 version;          /* 0: 4 */
	const u8 *dst_mac;   /* NULL: the device's own */
	unsigned int pad;    /* link padding after the datagram */
};

/* An Ethernet frame carrying the datagram @fs describes, for @dev. */
static inline struct sk_buff *build_frame(struct net_device *dev,
					  const struct frame_spec *fs)
{
	unsigned int ihl = fs->ihl ? fs->ihl : 5, i;
	unsigned int hl = ihl * 4;
	struct sk_buff *skb = alloc_skb(dev_net(dev), ETH_HLEN + hl + fs->paylen +
							      fs->pad + 64);
	struct ethhdr *eth;
	struct iphdr *iph;
	u8 *p;

	assert_non_null(skb);
	eth = (struct ethhdr *)skb_put(skb, ETH_HLEN);
	memcpy(eth->h_dest, fs->dst_mac ? fs->dst_mac : dev->dev_addr, ETH_ALEN);
	memset(eth->h_source, 0x02, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	iph = (struct iphdr *)skb_put(skb, hl);
	memset(iph, 0, hl);
	if (hl > 20)
		memset(iph + 1, 1, hl - 20); /* NOP options */
	iph->version = fs->version ? fs->version : 4;
	iph->ihl = ihl & 15;
	iph->tos = fs->tos;
	iph->tot_len = htons((u16)(hl + fs->paylen + fs->tot_len_delta));
	iph->id = htons(fs->id);
	iph->frag_off = htons(fs->frag_off);
	iph->ttl = fs->ttl ? fs->ttl : 64;
	iph->protocol = fs->proto ? fs->proto : TEST_PROTO;
	iph->saddr = fs->saddr;
	iph->daddr = fs->daddr;
	iph->check = ip_fast_csum(iph, iph->ihl);
	if (fs->bad_csum)
		iph->check ^= htons(0x1234);
	p = skb_put(skb, fs->paylen + fs->pad);
	for (i = 0; i < fs->paylen; i++)
		p[i] = pat(fs->payoff + i);
	memset(p + fs->paylen, 0, fs->pad);
	skb->dev = dev;
	return skb;
}

/* Deliver @skb (data at the link header) to @dev's stack, as NAPI would. */
static inline void inject(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);

	spin_lock(&net->softirq_lock);
	netif_receive_skb(skb);
	spin_unlock(&net->softirq_lock);
}

static inline struct net_device *devn(struct net *net, const char *name)
{
	struct net_device *dev = dev_get_by_name(net, name);

	assert_non_null(dev);
	return dev;
}

/* A datagram of @len payload bytes (pattern) ready for ip_build_header. */
static inline struct sk_buff *build_payload(struct net *net, unsigned int len)
{
	struct sk_buff *skb = alloc_skb_with_headroom(net, len);
	u8 *p;
	unsigned int i;

	assert_non_null(skb);
	p = skb_put(skb, len);
	for (i = 0; i < len; i++)
		p[i] = pat(i);
	return skb;
}

/* Route and send @len payload bytes of TEST_PROTO from @net to @daddr. */
static inline int send_test_dgram(struct net *net, __be32 daddr,
				  unsigned int len, bool df, u8 ttl)
{
	struct flowi4 fl4 = { .daddr = daddr, .flowi4_proto = TEST_PROTO };
	struct rtable *rt = ip_route_output_key(net, &fl4);
	struct sk_buff *skb;
	int err;

	if (IS_ERR(rt))
		return (int)PTR_ERR(rt);
	skb = build_payload(net, len);
	ip_build_header(net, skb, &fl4, TEST_PROTO, ttl, 0, df);
	err = ip_send_skb(net, skb, rt);
	ip_rt_put(rt);
	return err;
}

#endif
