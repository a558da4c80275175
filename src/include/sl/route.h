/*
 * IPv4 routing (src/ipv4/route.c): a per-stack table with longest-prefix
 * match, and the dst_entry/rtable results that the output path follows.
 *
 * Output: ip_route_output_key(net, fl4) -> struct rtable (dst.output =
 *         ip_output, or ip_local-loop for local destinations).
 * Input:  ip_route_input_noref(skb, daddr, saddr, tos, dev) sets the skb's
 *         dst: dst.input = ip_local_deliver, ip_forward or ip_error.
 */
#ifndef SL_ROUTE_H
#define SL_ROUTE_H

#include "sl/skbuff.h"
#include "sl/types.h"

struct net;
struct net_device;
struct sock;

/* rt_type, as Linux's RTN_* */
enum {
	RTN_UNSPEC,
	RTN_UNICAST,
	RTN_LOCAL,
	RTN_BROADCAST,
	RTN_ANYCAST,
	RTN_MULTICAST,
	RTN_BLACKHOLE,
	RTN_UNREACHABLE,
	RTN_PROHIBIT,
};

/* Route scopes, as Linux's RT_SCOPE_* */
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254
#define RT_SCOPE_NOWHERE 255

struct flowi4 {
	int flowi4_oif;             /* output device, 0 = any */
	int flowi4_iif;
	u32 flowi4_mark;
	u8 flowi4_tos;
	u8 flowi4_scope;
	u8 flowi4_proto;
	u8 flowi4_flags;
	__be32 saddr;               /* 0: the route picks one (filled in) */
	__be32 daddr;
	__be16 fl4_sport;
	__be16 fl4_dport;
};

struct dst_entry {
	struct net_device *dev;
	u32 refcnt;                 /* atomic */
	u32 mtu;                    /* path MTU (PMTU-learned or device MTU) */
	u64 expires;                /* PMTU entry expiry (ns), 0 = none */
	int error;                  /* for RTN_UNREACHABLE etc: -errno */
	bool obsolete;              /* routing changed: look it up again */
	/* Consume the skb. */
	int (*input)(struct sk_buff *skb);
	int (*output)(struct net *net, struct sock *sk, struct sk_buff *skb);
};

struct rtable {
	struct dst_entry dst;
	u16 rt_type;                /* RTN_* */
	u8 rt_uses_gateway;
	u8 rt_is_input;
	__be32 rt_gateway;          /* next hop; 0 = directly connected */
	__be32 rt_spec_dst;         /* local address for replies */
	int rt_iif;
	u32 rt_pmtu;
};

/* The skb's route (set by input routing or output), kept in its cb area. */
static inline struct dst_entry *skb_dst(const struct sk_buff *skb)
{
	return skb->_skb_dst;
}
/* Takes over the caller's reference to @dst. */
static inline void skb_dst_set(struct sk_buff *skb, struct dst_entry *dst)
{
	skb->_skb_dst = dst;
}
static inline void skb_dst_drop(struct sk_buff *skb)
{
	if (skb->_skb_dst) {
		dst_release(skb->_skb_dst);
		skb->_skb_dst = NULL;
	}
}
static inline struct rtable *skb_rtable(const struct sk_buff *skb)
{
	return (struct rtable *)skb_dst(skb);
}
void dst_hold(struct dst_entry *dst);
void dst_release(struct dst_entry *dst);
static inline void ip_rt_put(struct rtable *rt)
{
	if (rt)
		dst_release(&rt->dst);
}
static inline u32 dst_mtu(const struct dst_entry *dst)
{
	return dst->mtu;
}
/* Next hop for @rt towards @daddr. */
static inline __be32 rt_nexthop(const struct rtable *rt, __be32 daddr)
{
	return rt->rt_gateway ? rt->rt_gateway : daddr;
}

/*
 * Route an outgoing flow. Fills fl4->saddr when 0. Returns a referenced
 * rtable, or an error pointer: use IS_ERR/PTR_ERR (-ENETUNREACH,
 * -EHOSTUNREACH, -EINVAL).
 */
struct rtable *ip_route_output_key(struct net *net, struct flowi4 *fl4);
/* Route a received packet: set skb's dst. 0 or -errno (skb not consumed). */
int ip_route_input_noref(struct sk_buff *skb, __be32 daddr, __be32 saddr,
			 u8 tos, struct net_device *dev);
/* Record a smaller path MTU for @daddr (from ICMP frag needed). */
void ipv4_update_pmtu(struct net *net, __be32 daddr, u32 mtu);
/* Cached socket route still valid? Returns it referenced, or NULL. */
struct dst_entry *__sk_dst_check(struct sock *sk);
void sk_dst_set(struct sock *sk, struct dst_entry *dst);
void sk_dst_reset(struct sock *sk);

/* Table configuration, by the stack API and address code. */
int fib_route_add(struct net *net, __be32 dst, int prefix_len, __be32 gw,
		  int oif, u8 type, u8 scope, u32 metric, __be32 prefsrc);
int fib_route_del(struct net *net, __be32 dst, int prefix_len, __be32 gw,
		  int oif);
/* Remove every route through @dev (device down/unregistered). */
void fib_flush_dev(struct net *net, struct net_device *dev);
/* Print the table in `ip route` form. */
void fib_dump(struct net *net, void (*emit)(void *arg, const char *line),
	      void *arg);

/* Error pointers, as Linux's. */
#define MAX_ERRNO 4095
static inline void *ERR_PTR(long error)
{
	return (void *)error;
}
static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}
static inline bool IS_ERR(const void *ptr)
{
	return (unsigned long)ptr >= (unsigned long)-MAX_ERRNO;
}
static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR(ptr);
}

#endif
