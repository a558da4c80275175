/*
 * IPv4 (RFC 791, RFC 1122): header, per-packet control block and the input
 * and output paths.
 *
 * Input:  ip_rcv (validate, RFC 1122 3.2.1) -> ip_rcv_finish (route) ->
 *         dst.input: ip_local_deliver (reassemble) -> ip_local_deliver_finish
 *         -> raw_local_deliver + inet_protos[protocol]->handler
 *         or ip_forward -> ip_forward_finish -> dst_output.
 * Output: ip_queue_xmit (connected sockets) / ip_send_skb (datagrams,
 *         header already built by ip_build_header) -> ip_local_out ->
 *         dst.output = ip_output -> ip_finish_output (fragment to the path
 *         MTU) -> ip_finish_output2 -> neigh_output -> dev_queue_xmit.
 */
#ifndef SL_IP_H
#define SL_IP_H

#include <netinet/in.h>

#include "sl/route.h"
#include "sl/skbuff.h"
#include "sl/types.h"

struct sock;
struct net;
struct net_device;
struct packet_type;

struct iphdr {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	u8 ihl : 4, version : 4;
#else
	u8 version : 4, ihl : 4;
#endif
	u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	u8 ttl;
	u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
} __packed;

#define IP_CE 0x8000        /* congestion (reserved bit) */
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF
#define IPDEFTTL 64
#define IPV4_MIN_MTU 68

static inline struct iphdr *ip_hdr(const struct sk_buff *skb)
{
	return (struct iphdr *)skb_network_header(skb);
}
static inline unsigned int ip_hdrlen(const struct sk_buff *skb)
{
	return ip_hdr(skb)->ihl * 4u;
}
static inline bool ip_is_fragment(const struct iphdr *iph)
{
	return (iph->frag_off & htons(IP_MF | IP_OFFSET)) != 0;
}

/* Per-packet IPv4 state in skb->cb (Linux's inet_skb_parm). */
struct inet_skb_parm {
	int iif;
	u16 flags;
#define IPSKB_FORWARDED 1
#define IPSKB_XFRM_TUNNEL_SIZE 2
#define IPSKB_FRAG_COMPLETE 4
#define IPSKB_REROUTED 16
#define IPSKB_DOREDIRECT 32
#define IPSKB_FRAG_PMTU 64
	u16 frag_max_size;   /* largest fragment of a reassembled datagram */
};
#define IPCB(skb) ((struct inet_skb_parm *)((skb)->cb))

/* --- input (src/ipv4/ip_input.c) ---------------------------------------- */

/* ptype_base handler for ETH_P_IP. Consumes skb. */
int ip_rcv(struct sk_buff *skb, struct net_device *dev, struct packet_type *pt,
	   struct net_device *orig_dev);
int ip_local_deliver(struct sk_buff *skb);
/* Deliver to raw sockets bound to the packet's protocol (clones). */
bool raw_local_deliver(struct sk_buff *skb, int protocol);

/* --- output (src/ipv4/ip_output.c) -------------------------------------- */

/*
 * Send a TCP-style segment on a connected socket: route (cached in
 * sk_dst_cache), build the IP header from the socket, ip_local_out.
 * skb->data at the transport header. Consumes skb. 0 or -errno.
 */
int ip_queue_xmit(struct sock *sk, struct sk_buff *skb, struct flowi4 *fl4);

/* Parameters of one datagram's IP header (UDP, ping, ICMP, raw). */
struct ipcm_cookie {
	__be32 addr;         /* IP_PKTINFO ipi_spec_dst or 0 */
	int oif;
	u8 ttl;              /* 0: socket/stack default */
	u8 tos;
	bool df;             /* set DF */
	u16 id;              /* 0: generate */
};

/*
 * Push an IPv4 header in front of skb->data (the transport header) for
 * @fl4 with @proto, TTL @ttl, TOS @tos, DF per @df, and the datagram ID
 * (generated when @id == 0). Sets the network header and checksum.
 */
void ip_build_header(struct net *net, struct sk_buff *skb,
		     const struct flowi4 *fl4, u8 proto, u8 ttl, u8 tos,
		     bool df);
/*
 * Send a datagram whose IP header is built, through @rt (skb's dst is set
 * from it, with a new reference). Consumes skb. 0 or -errno
 * (-EMSGSIZE when DF is set and the packet exceeds the path MTU).
 */
int ip_send_skb(struct net *net, struct sk_buff *skb, struct rtable *rt);
/* Fill the header checksum and hand to dst.output. Consumes skb. */
int ip_local_out(struct net *net, struct sock *sk, struct sk_buff *skb);
/* dst.output for unicast routes. Consumes skb. */
int ip_output(struct net *net, struct sock *sk, struct sk_buff *skb);
/*
 * Fragment @skb to @mtu (RFC 791 3.2, fragment data in multiples of 8) and
 * call @output on each fragment. Consumes skb. -EMSGSIZE (and an ICMP
 * frag-needed for forwarded packets) when DF is set.
 */
int ip_do_fragment(struct net *net, struct sock *sk, struct sk_buff *skb,
		   u32 mtu,
		   int (*output)(struct net *, struct sock *, struct sk_buff *));
/* Next IP ID for a datagram to @daddr (RFC 6864: per destination). */
__be16 ip_select_ident(struct net *net, __be32 daddr, u8 proto);
/* Default TTL for a socket (IP_TTL or net.ipv4.ip_default_ttl). */
int ip_select_ttl(const struct sock *sk, struct net *net);

/* --- reassembly (src/ipv4/ip_fragment.c) -------------------------------- */

/*
 * Feed a fragment. Returns 0 with *@skb replaced by the reassembled
 * datagram when complete; -EINPROGRESS when the fragment was queued (skb
 * consumed); another -errno when it was dropped (consumed).
 */
int ip_defrag(struct net *net, struct sk_buff **skb);
/* Bytes held in reassembly queues (the memory cap counts these). */
long ip_frag_mem(struct net *net);

/* --- forwarding (src/ipv4/ip_forward.c) --------------------------------- */

int ip_forward(struct sk_buff *skb);

/* --- addresses (src/ipv4/devinet.c) -------------------------------------- */

struct in_ifaddr {
	struct in_ifaddr *ifa_next;
	__be32 ifa_local;
	__be32 ifa_address;
	__be32 ifa_mask;
	__be32 ifa_broadcast;
	u8 ifa_prefixlen;
	u8 ifa_scope;
	struct in_device *ifa_dev;
};

struct in_device {
	struct net_device *dev;
	struct in_ifaddr *ifa_list;
	u32 refcnt;
};

/* Add A.B.C.D/P to @dev: adds the local and prefix routes and sends a
 * gratuitous ARP. 0, -EEXIST, -EINVAL, -ENODEV. */
int inet_addr_add(struct net_device *dev, __be32 addr, int prefix_len);
int inet_addr_del(struct net_device *dev, __be32 addr, int prefix_len);
/* Is @addr one of the stack's own unicast addresses? */
bool inet_addr_is_local(struct net *net, __be32 addr);
/* Device owning @addr, or NULL. */
struct net_device *ip_dev_find(struct net *net, __be32 addr);
/* Primary address of @dev in @scope or narrower, 0 when none. */
__be32 inet_select_addr(const struct net_device *dev, __be32 dst, int scope);
/* Is @addr a broadcast address of @dev (limited or directed)? */
bool inet_addr_is_broadcast(const struct net_device *dev, __be32 addr);

static inline bool ipv4_is_multicast(__be32 addr)
{
	return (addr & htonl(0xf0000000)) == htonl(0xe0000000);
}
static inline bool ipv4_is_lbcast(__be32 addr)
{
	return addr == htonl(INADDR_BROADCAST);
}
static inline bool ipv4_is_zeronet(__be32 addr)
{
	return (addr & htonl(0xff000000)) == 0;
}
static inline bool ipv4_is_loopback(__be32 addr)
{
	return (addr & htonl(0xff000000)) == htonl(0x7f000000);
}
static inline __be32 inet_make_mask(int logmask)
{
	return logmask ? htonl(~((1u << (32 - logmask)) - 1)) : 0;
}

#endif
