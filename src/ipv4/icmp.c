/*
 * ICMP (RFC 792, RFC 1122 3.2.2), as Linux's net/ipv4/icmp.c.
 *
 * Receive:  ip_local_deliver_finish -> icmp_rcv (checksum, counters,
 *           broadcast policy) -> icmp_pointers[type].handler:
 *             echo request   -> icmp_echo -> icmp_reply
 *             echo reply     -> ping_rcv (ping sockets)
 *             timestamp      -> icmp_timestamp -> icmp_reply
 *             errors         -> icmp_unreach -> icmp_socket_deliver ->
 *                               raw_icmp_error + inet_protos[]->err_handler
 * Send:     icmp_send (errors about a received packet: RFC 1122 rules,
 *           global and per-destination rate limits, quote) and icmp_reply
 *           (echo/timestamp replies) -> icmp_push_reply -> ip_build_header
 *           -> ip_send_skb.
 *
 * Rate limiting follows Linux: a per-stack token bucket of
 * net.ipv4.icmp_msgs_per_sec / icmp_msgs_burst (icmp_global_allow), then a
 * per-destination bucket of icmp_ratelimit ms with a burst of 6
 * (inet_peer_xrlim_allow), both only for types in icmp_ratemask and never
 * for fragmentation-needed or on loopback. Time is counted in 1 ms
 * "jiffies" (HZ = 1000) on the stack's clock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/inet_dgram.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/ping.h"
#include "sl/protocol.h"
#include "sl/raw.h"
#include "sl/route.h"
#include "sl/skbuff.h"
#include "sl/snmp.h"

#define HZ 1000
#define XRLIM_BURST_FACTOR 6
#define ICMP_PEER_SLOTS 1024
#define IPTOS_TOS_MASK 0x1E
#define IPTOS_PREC_INTERNETCONTROL 0xC0
/* RFC 1122 3.2.2 / RFC 1812 4.3.2.3: an error fits in 576 bytes. */
#define ICMP_ERROR_MAX 576

/* Per-destination rate state (the part of Linux's inet_peer ICMP uses). */
struct icmp_peer {
	__be32 daddr;
	bool used;
	s64 rate_last;   /* jiffies */
	s64 rate_tokens; /* jiffies of credit */
};

/* Per-stack ICMP state (net->ipv4.icmp). */
struct icmp_state {
	pthread_mutex_t lock;    /* the buckets below */
	int global_credit;
	s64 global_stamp;        /* jiffies */
	struct icmp_peer peers[ICMP_PEER_SLOTS];
};

/* What to send: header template, optional extra head, copied data. */
struct icmp_bxm {
	struct sk_buff *skb;     /* packet replied to or quoted */
	const u8 *data;          /* bytes copied after the head */
	int data_len;
	struct {
		struct icmphdr icmph;
		__be32 times[3];
	} head;
	int head_len;
};

struct icmp_control {
	enum skb_drop_reason (*handler)(struct sk_buff *skb);
	bool error;              /* an ICMP error message type */
};

static const struct icmp_control icmp_pointers[NR_ICMP_TYPES + 1];

static s64 icmp_jiffies(const struct net *net)
{
	return (s64)(net_now(net) / NSEC_PER_MSEC);
}

static bool icmp_is_err(int type)
{
	return type >= 0 && type <= NR_ICMP_TYPES && icmp_pointers[type].error;
}

/* --- counters -------------------------------------------------------------- */

static int icmp_type_mib(unsigned char type, bool out)
{
	int mib;

	switch (type) {
	case ICMP_ECHOREPLY: mib = ICMP_MIB_INECHOREPS; break;
	case ICMP_DEST_UNREACH: mib = ICMP_MIB_INDESTUNREACHS; break;
	case ICMP_SOURCE_QUENCH: mib = ICMP_MIB_INSRCQUENCHS; break;
	case ICMP_REDIRECT: mib = ICMP_MIB_INREDIRECTS; break;
	case ICMP_ECHO: mib = ICMP_MIB_INECHOS; break;
	case ICMP_TIME_EXCEEDED: mib = ICMP_MIB_INTIMEEXCDS; break;
	case ICMP_PARAMETERPROB: mib = ICMP_MIB_INPARMPROBS; break;
	case ICMP_TIMESTAMP: mib = ICMP_MIB_INTIMESTAMPS; break;
	case ICMP_TIMESTAMPREPLY: mib = ICMP_MIB_INTIMESTAMPREPS; break;
	case ICMP_ADDRESS: mib = ICMP_MIB_INADDRMASKS; break;
	case ICMP_ADDRESSREPLY: mib = ICMP_MIB_INADDRMASKREPS; break;
	default: return -1;
	}
	/* The Out* counters follow the In* ones in the same order. */
	if (out)
		mib += ICMP_MIB_OUTDESTUNREACHS - ICMP_MIB_INDESTUNREACHS;
	return mib;
}

static void icmp_in_count(struct net *net, unsigned char type)
{
	int mib = icmp_type_mib(type, false);

	ICMPMSGIN_INC_STATS(net, type);
	if (mib >= 0)
		ICMP_INC_STATS(net, mib);
}

/* Count one ICMP message sent: IcmpOutMsgs, IcmpMsg OutTypeN, Out<type>. */
void icmp_out_count(struct net *net, unsigned char type)
{
	int mib = icmp_type_mib(type, true);

	ICMPMSGOUT_INC_STATS(net, type);
	ICMP_INC_STATS(net, ICMP_MIB_OUTMSGS);
	if (mib >= 0)
		ICMP_INC_STATS(net, mib);
}

/* --- error conversion ------------------------------------------------------ */

static const struct {
	int errno_;
	bool fatal;
} icmp_unreach_err[NR_ICMP_UNREACH + 1] = {
	[ICMP_NET_UNREACH] = { ENETUNREACH, false },
	[ICMP_HOST_UNREACH] = { EHOSTUNREACH, false },
	[ICMP_PROT_UNREACH] = { ENOPROTOOPT, true },
	[ICMP_PORT_UNREACH] = { ECONNREFUSED, true },
	[ICMP_FRAG_NEEDED] = { EMSGSIZE, false },
	[ICMP_SR_FAILED] = { EOPNOTSUPP, false },
	[ICMP_NET_UNKNOWN] = { ENETUNREACH, true },
	[ICMP_HOST_UNKNOWN] = { EHOSTDOWN, true },
	[ICMP_HOST_ISOLATED] = { ENONET, true },
	[ICMP_NET_ANO] = { ENETUNREACH, true },
	[ICMP_HOST_ANO] = { EHOSTUNREACH, true },
	[ICMP_NET_UNR_TOS] = { ENETUNREACH, false },
	[ICMP_HOST_UNR_TOS] = { EHOSTUNREACH, false },
	[ICMP_PKT_FILTERED] = { EHOSTUNREACH, true },
	[ICMP_PREC_VIOLATION] = { EHOSTUNREACH, true },
	[ICMP_PREC_CUTOFF] = { EHOSTUNREACH, true },
};

/*
 * The (positive) errno a socket reports for an ICMP error, and whether it
 * is hard (*fatal), as Linux's icmp_err_convert[] and the protocols' err
 * handlers: destination unreachable by code, time exceeded ->
 * EHOSTUNREACH (soft), parameter problem -> EPROTO (hard), source quench
 * -> 0 (ignored, RFC 6633).
 */
int icmp_err_convert(int type, int code, bool *fatal)
{
	*fatal = false;
	switch (type) {
	case ICMP_DEST_UNREACH:
		if (code < 0 || code > NR_ICMP_UNREACH)
			return EHOSTUNREACH;
		*fatal = icmp_unreach_err[code].fatal;
		return icmp_unreach_err[code].errno_;
	case ICMP_SOURCE_QUENCH:
		return 0;
	case ICMP_PARAMETERPROB:
		*fatal = true;
		return EPROTO;
	case ICMP_TIME_EXCEEDED:
	default:
		return EHOSTUNREACH;
	}
}

/* --- rate limiting --------------------------------------------------------- */

static struct icmp_state *icmp_state(struct net *net)
{
	return net->ipv4.icmp;
}

/* Types the rate limits apply to (Linux's icmpv4_mask_allow, inverted). */
static bool icmpv4_mask_limited(struct net *net, int type, int code)
{
	if (type > NR_ICMP_TYPES)
		return false;
	/* Frag-needed drives path MTU discovery (RFC 1191): a limited
	 * one would leave the sender blackholed, so it is always sent. */
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED)
		return false;
	return (1 << type) & READ_ONCE(net->ipv4.sysctl_icmp_ratemask);
}

/* The global bucket: refill at most once per 20 ms, up to the burst. */
static bool icmp_global_allow(struct net *net, struct icmp_state *st)
{
	s64 now, delta;
	int incr, burst;

	if (st->global_credit > 0)
		return true;
	now = icmp_jiffies(net);
	delta = min_t(s64, now - st->global_stamp, HZ);
	if (delta < HZ / 50)
		return false;
	incr = (int)(READ_ONCE(net->ipv4.sysctl_icmp_msgs_per_sec) * delta / HZ);
	if (!incr)
		return false;
	burst = READ_ONCE(net->ipv4.sysctl_icmp_msgs_burst);
	st->global_stamp = now;
	st->global_credit = min_t(int, st->global_credit + incr, burst);
	return true;
}

/* Spend 0, 1 or 2 credits at random, as Linux (one on average). */
static void icmp_global_consume(struct net *net, struct icmp_state *st)
{
	st->global_credit -= (int)(net_random_u32(net) % 3);
}

/*
 * Global check before routing. *@apply tells icmpv4_xrlim_allow whether
 * the per-destination limit applies. Counts IcmpOutRateLimitGlobal.
 */
static bool icmpv4_global_allow(struct net *net, int type, int code,
				bool *apply)
{
	struct icmp_state *st = icmp_state(net);
	bool ok;

	*apply = false;
	if (!icmpv4_mask_limited(net, type, code))
		return true;
	pthread_mutex_lock(&st->lock);
	ok = icmp_global_allow(net, st);
	pthread_mutex_unlock(&st->lock);
	if (ok) {
		*apply = true;
		return true;
	}
	ICMP_INC_STATS(net, ICMP_MIB_OUTRATELIMITGLOBAL);
	return false;
}

static struct icmp_peer *icmp_getpeer(struct icmp_state *st, __be32 daddr,
				      s64 now)
{
	u32 h = ntohl(daddr) * 2654435761u;
	struct icmp_peer *p = &st->peers[(h >> 16) % ICMP_PEER_SLOTS];

	if (!p->used || p->daddr != daddr) {
		/* A new (or evicted) peer starts with a full burst, as a
		 * fresh inet_peer does (rate_last = now - 60 s). */
		p->used = true;
		p->daddr = daddr;
		p->rate_tokens = 0;
		p->rate_last = now - 60 * HZ;
	}
	return p;
}

/* Linux's inet_peer_xrlim_allow: @timeout jiffies per message, burst 6. */
static bool inet_peer_xrlim_allow(struct icmp_peer *peer, s64 now, int timeout)
{
	s64 token = peer->rate_tokens;
	bool rc = false;

	token += now - peer->rate_last;
	peer->rate_last = now;
	if (token > (s64)XRLIM_BURST_FACTOR * timeout)
		token = (s64)XRLIM_BURST_FACTOR * timeout;
	if (token >= timeout) {
		token -= timeout;
		rc = true;
	}
	peer->rate_tokens = token;
	return rc;
}

/* Per-destination check after routing. Counts IcmpOutRateLimitHost. */
static bool icmpv4_xrlim_allow(struct net *net, struct rtable *rt,
			       __be32 daddr, bool apply)
{
	struct icmp_state *st = icmp_state(net);
	bool rc = true;
	s64 now;

	if (!apply)
		return true;
	pthread_mutex_lock(&st->lock);
	/* Errors to ourselves over lo cost no link: never limited. */
	if (!(rt->dst.dev && (rt->dst.dev->flags & IFF_LOOPBACK))) {
		now = icmp_jiffies(net);
		rc = inet_peer_xrlim_allow(icmp_getpeer(st, daddr, now), now,
					   READ_ONCE(net->ipv4.sysctl_icmp_ratelimit));
	}
	if (rc)
		icmp_global_consume(net, st);
	pthread_mutex_unlock(&st->lock);
	if (!rc)
		ICMP_INC_STATS(net, ICMP_MIB_OUTRATELIMITHOST);
	return rc;
}

/* --- output ---------------------------------------------------------------- */

/* Build the message of @param and send it through @rt. */
static void icmp_push_reply(struct net *net, struct icmp_bxm *param,
			    struct flowi4 *fl4, struct rtable *rt, u8 tos)
{
	unsigned int len = (unsigned int)(param->head_len + param->data_len);
	struct icmphdr *icmph;
	struct sk_buff *skb;

	skb = alloc_skb(net, SL_MAX_HEADER + len);
	if (!skb) {
		ICMP_INC_STATS(net, ICMP_MIB_OUTERRORS);
		return;
	}
	skb_reserve(skb, SL_MAX_HEADER);
	skb_reset_transport_header(skb);
	icmph = (struct icmphdr *)skb_put_data(skb, &param->head,
					       (unsigned int)param->head_len);
	if (param->data_len)
		skb_put_data(skb, param->data, (unsigned int)param->data_len);
	icmph->checksum = 0;
	icmph->checksum = csum_fold(csum_partial(skb->data, len, 0));

	/* Linux's ICMP socket uses IP_PMTUDISC_DONT: no DF. */
	ip_build_header(net, skb, fl4, IPPROTO_ICMP,
			(u8)READ_ONCE(net->ipv4.sysctl_ip_default_ttl), tos,
			false);
	icmp_out_count(net, param->head.icmph.type);
	ip_send_skb(net, skb, rt);
}

/*
 * Answer a request (echo, timestamp) from the address it was sent to
 * (RFC 1122 3.2.2.6), with the request's TOS.
 */
static void icmp_reply(struct icmp_bxm *param, struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct iphdr *iph = ip_hdr(skb);
	struct flowi4 fl4;
	struct rtable *rt;
	bool apply;

	if (!icmpv4_global_allow(net, param->head.icmph.type,
				 param->head.icmph.code, &apply))
		return;

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = iph->saddr;
	fl4.saddr = ip_spec_dst(skb);
	fl4.flowi4_tos = iph->tos & IPTOS_TOS_MASK;
	fl4.flowi4_proto = IPPROTO_ICMP;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return;
	if (icmpv4_xrlim_allow(net, rt, fl4.daddr, apply))
		icmp_push_reply(net, param, &fl4, rt, iph->tos);
	ip_rt_put(rt);
}

/* RFC 1122 3.2.2: the source of the offending datagram must be one host. */
static bool icmp_src_is_unicast(const struct sk_buff *skb, __be32 saddr)
{
	if (ipv4_is_zeronet(saddr) || ipv4_is_lbcast(saddr) ||
	    ipv4_is_multicast(saddr) ||
	    (ntohl(saddr) & 0xf0000000) == 0xf0000000)  /* class E */
		return false;
	if (skb->dev && inet_addr_is_broadcast(skb->dev, saddr))
		return false;
	return true;
}

/* RFC 1122 3.2.2: never send an error about an ICMP error. */
static bool icmp_quotes_icmp_error(const struct sk_buff *skb_in,
				   const struct iphdr *iph)
{
	const u8 *itp;

	if (iph->protocol != IPPROTO_ICMP)
		return false;
	itp = (const u8 *)iph + iph->ihl * 4;
	if (itp + 1 > skb_in->tail)
		return true;            /* cannot tell: be safe, stay silent */
	return *itp > NR_ICMP_TYPES || icmp_pointers[*itp].error;
}

/* Source address of an error (Linux's icmp_send rules). */
static __be32 icmp_error_saddr(struct net *net, const struct sk_buff *skb_in,
			       const struct rtable *rt)
{
	const struct iphdr *iph = ip_hdr(skb_in);
	struct net_device *dev;

	/* For us: answer from the address it was sent to. */
	if (rt->rt_type == RTN_LOCAL)
		return iph->daddr;
	/* Forwarded: the route picks, unless errors use the inbound one. */
	if (READ_ONCE(net->ipv4.sysctl_icmp_errors_use_inbound_ifaddr) &&
	    rt->rt_is_input) {
		dev = dev_get_by_index(net, IPCB(skb_in)->iif);
		if (dev)
			return inet_select_addr(dev, iph->saddr, RT_SCOPE_LINK);
	}
	return 0;
}

/*
 * Send an ICMP error about @skb_in (not consumed; its network header and
 * input route must be set). RFC 1122 3.2.2: nothing is sent about an ICMP
 * error, a datagram to a broadcast or multicast address (IP or link), a
 * non-first fragment, or a datagram whose source is not a single host.
 * The quote is the IP header and as much data as fits in 576 bytes.
 */
void icmp_send(struct sk_buff *skb_in, int type, int code, __be32 info)
{
	struct rtable *rt = skb_rtable(skb_in);
	struct icmp_bxm param;
	const struct iphdr *iph;
	struct rtable *rt2;
	struct flowi4 fl4;
	struct net *net;
	int room;
	bool apply;
	u8 tos;

	if (!rt || !skb_in->dev)
		return;
	net = dev_net(skb_in->dev);
	iph = ip_hdr(skb_in);
	if ((const u8 *)iph < skb_in->head ||
	    (const u8 *)(iph + 1) > skb_in->tail)
		return;
	if (skb_in->pkt_type != PACKET_HOST)
		return;
	if (rt->rt_type == RTN_BROADCAST || rt->rt_type == RTN_MULTICAST)
		return;
	/* RFC 1122 3.2.2: errors only about the first fragment. */
	if (iph->frag_off & htons(IP_OFFSET))
		return;
	if (!icmp_src_is_unicast(skb_in, iph->saddr))
		return;
	if (icmp_is_err(type) && icmp_quotes_icmp_error(skb_in, iph))
		return;

	if (!icmpv4_global_allow(net, type, code, &apply))
		return;

	tos = icmp_is_err(type) ?
		      (u8)((iph->tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL) :
		      iph->tos;
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = iph->saddr;
	fl4.saddr = icmp_error_saddr(net, skb_in, rt);
	fl4.flowi4_tos = tos & IPTOS_TOS_MASK;
	fl4.flowi4_proto = IPPROTO_ICMP;
	rt2 = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt2))
		return;
	if (!icmpv4_xrlim_allow(net, rt2, fl4.daddr, apply))
		goto out_put;

	memset(&param, 0, sizeof(param));
	param.head.icmph.type = (u8)type;
	param.head.icmph.code = (u8)code;
	param.head.icmph.un.gateway = info;
	param.head_len = sizeof(struct icmphdr);
	param.skb = skb_in;
	param.data = (const u8 *)iph;
	param.data_len = (int)(skb_in->tail - (const u8 *)iph);
	room = (int)min_t(u32, dst_mtu(&rt2->dst), ICMP_ERROR_MAX);
	room -= (int)(sizeof(struct iphdr) + sizeof(struct icmphdr));
	if (param.data_len > room)
		param.data_len = room;
	icmp_push_reply(net, &param, &fl4, rt2, tos);
out_put:
	ip_rt_put(rt2);
}

/* --- input handlers -------------------------------------------------------- */

/* Hand an error to raw sockets and to the quoted protocol's err_handler. */
static void icmp_socket_deliver(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct net_protocol *ipprot;
	int protocol = iph->protocol;

	/* RFC 1122 3.2.2: the quote holds the IP header and at least 8
	 * bytes of the datagram; the handlers rely on it. */
	if (!pskb_may_pull(skb, iph->ihl * 4u + 8)) {
		ICMP_INC_STATS(dev_net(skb->dev), ICMP_MIB_INERRORS);
		return;
	}
	raw_icmp_error(skb, protocol, info);
	ipprot = READ_ONCE(inet_protos[protocol]);
	if (ipprot && ipprot->err_handler)
		ipprot->err_handler(skb, info);
}

/*
 * Destination unreachable, source quench, time exceeded, parameter
 * problem. RFC 1122 3.2.2.1/3.2.2.2: MUST pass them to the transport
 * layer, which finds the socket from the quoted header.
 */
static enum skb_drop_reason icmp_unreach(struct sk_buff *skb)
{
	const struct icmphdr *icmph = icmp_hdr(skb);
	struct net *net = dev_net(skb->dev);
	const struct iphdr *iph;
	u32 info = 0;

	if (!pskb_may_pull(skb, sizeof(struct iphdr)))
		goto out_err;
	iph = (const struct iphdr *)skb->data;
	if (iph->ihl < 5)       /* quoted IHL below the minimum */
		goto out_err;

	if (icmph->type == ICMP_DEST_UNREACH) {
		if (icmph->code > NR_ICMP_UNREACH)
			return SKB_NOT_DROPPED_YET;
		if (icmph->code == ICMP_FRAG_NEEDED) {
			/* RFC 1191: the next-hop MTU; 0 from old routers. */
			info = ntohs(icmph->un.frag.mtu);
			if (info && !READ_ONCE(net->ipv4.sysctl_ip_no_pmtu_disc))
				ipv4_update_pmtu(net, iph->daddr, info);
		}
	} else if (icmph->type == ICMP_PARAMETERPROB) {
		info = ntohl(icmph->un.gateway) >> 24;
	}
	icmp_socket_deliver(skb, info);
	return SKB_NOT_DROPPED_YET;

out_err:
	ICMP_INC_STATS(net, ICMP_MIB_INERRORS);
	return SKB_DROP_REASON_ICMP_INVALID;
}

/* Redirects: we keep routes as configured; sockets are told (Linux
 * updates its route cache, our routing table does not learn). */
static enum skb_drop_reason icmp_redirect(struct sk_buff *skb)
{
	if (skb->len < sizeof(struct iphdr)) {
		ICMP_INC_STATS(dev_net(skb->dev), ICMP_MIB_INERRORS);
		return SKB_DROP_REASON_ICMP_INVALID;
	}
	if (!pskb_may_pull(skb, sizeof(struct iphdr)))
		return SKB_DROP_REASON_ICMP_INVALID;
	icmp_socket_deliver(skb, ntohl(icmp_hdr(skb)->un.gateway));
	return SKB_NOT_DROPPED_YET;
}

/*
 * RFC 1122 3.2.2.6: every host MUST implement an echo server; the reply
 * carries the request's data. Ignored with icmp_echo_ignore_all.
 */
static enum skb_drop_reason icmp_echo(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct icmp_bxm param;

	if (READ_ONCE(net->ipv4.sysctl_icmp_echo_ignore_all))
		return SKB_NOT_DROPPED_YET;
	memset(&param, 0, sizeof(param));
	param.head.icmph = *icmp_hdr(skb);
	param.head.icmph.type = ICMP_ECHOREPLY;
	param.head_len = sizeof(struct icmphdr);
	param.skb = skb;
	param.data = skb->data;
	param.data_len = (int)skb->len;
	icmp_reply(&param, skb);
	return SKB_NOT_DROPPED_YET;
}

/*
 * RFC 1122 3.2.2.8: timestamp reply, times in ms since midnight UT (here
 * on the stack's clock, so virtual time gives stable replies).
 */
static enum skb_drop_reason icmp_timestamp(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct icmp_bxm param;
	u32 now_ms;

	if (skb->len < 4) {
		ICMP_INC_STATS(net, ICMP_MIB_INERRORS);
		return SKB_DROP_REASON_ICMP_INVALID;
	}
	now_ms = (u32)((net_now(net) / NSEC_PER_MSEC) % 86400000ULL);
	memset(&param, 0, sizeof(param));
	memcpy(&param.head.times[0], skb->data, 4);
	param.head.times[1] = htonl(now_ms);
	param.head.times[2] = param.head.times[1];
	param.head.icmph = *icmp_hdr(skb);
	param.head.icmph.type = ICMP_TIMESTAMPREPLY;
	param.head.icmph.code = 0;
	param.head_len = sizeof(struct icmphdr) + 12;
	param.skb = skb;
	icmp_reply(&param, skb);
	return SKB_NOT_DROPPED_YET;
}

static enum skb_drop_reason icmp_echoreply(struct sk_buff *skb)
{
	return ping_rcv(skb) ? SKB_NOT_DROPPED_YET : SKB_DROP_REASON_NO_SOCKET;
}

static enum skb_drop_reason icmp_discard(struct sk_buff *skb)
{
	/* Obsolete or unhandled types: accepted and dropped silently. */
	return SKB_NOT_DROPPED_YET;
}

static const struct icmp_control icmp_pointers[NR_ICMP_TYPES + 1] = {
	[ICMP_ECHOREPLY] = { .handler = icmp_echoreply },
	[1] = { .handler = icmp_discard, .error = true },
	[2] = { .handler = icmp_discard, .error = true },
	[ICMP_DEST_UNREACH] = { .handler = icmp_unreach, .error = true },
	[ICMP_SOURCE_QUENCH] = { .handler = icmp_unreach, .error = true },
	[ICMP_REDIRECT] = { .handler = icmp_redirect, .error = true },
	[6] = { .handler = icmp_discard, .error = true },
	[7] = { .handler = icmp_discard, .error = true },
	[ICMP_ECHO] = { .handler = icmp_echo },
	[9] = { .handler = icmp_discard, .error = true },
	[10] = { .handler = icmp_discard, .error = true },
	[ICMP_TIME_EXCEEDED] = { .handler = icmp_unreach, .error = true },
	[ICMP_PARAMETERPROB] = { .handler = icmp_unreach, .error = true },
	[ICMP_TIMESTAMP] = { .handler = icmp_timestamp },
	[ICMP_TIMESTAMPREPLY] = { .handler = icmp_discard },
	[ICMP_INFO_REQUEST] = { .handler = icmp_discard },
	[ICMP_INFO_REPLY] = { .handler = icmp_discard },
	[ICMP_ADDRESS] = { .handler = icmp_discard },
	[ICMP_ADDRESSREPLY] = { .handler = icmp_discard },
};

static bool icmp_csum_ok(const struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_UNNECESSARY)
		return true;
	return csum_fold(csum_partial(skb->data, skb->len, 0)) == 0;
}

/*
 * inet_protos handler for IPPROTO_ICMP; skb->data at the ICMP header.
 * Consumes @skb on every path. Counts IcmpInMsgs, InCsumErrors, InErrors
 * and IcmpMsg InTypeN as Linux.
 */
int icmp_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct rtable *rt = skb_rtable(skb);
	enum skb_drop_reason reason = SKB_DROP_REASON_ICMP_INVALID;
	const struct icmphdr *icmph;

	skb_trace(skb);
	ICMP_INC_STATS(net, ICMP_MIB_INMSGS);
	skb_reset_transport_header(skb);

	/* RFC 792: the checksum covers the whole ICMP message. */
	if (!icmp_csum_ok(skb))
		goto csum_error;
	if (!skb_pull(skb, sizeof(*icmph)))
		goto error;
	icmph = icmp_hdr(skb);
	icmp_in_count(net, icmph->type);

	if (icmph->type > NR_ICMP_TYPES) {
		reason = SKB_DROP_REASON_UNHANDLED_PROTO;
		goto error;
	}

	if (rt && (rt->rt_type == RTN_BROADCAST || rt->rt_type == RTN_MULTICAST)) {
		/* RFC 1122 3.2.2.6: an echo request to a broadcast or
		 * multicast address MAY be silently discarded (Linux: per
		 * icmp_echo_ignore_broadcasts; counted as an error). */
		if ((icmph->type == ICMP_ECHO || icmph->type == ICMP_TIMESTAMP) &&
		    READ_ONCE(net->ipv4.sysctl_icmp_echo_ignore_broadcasts))
			goto error;
		if (icmph->type != ICMP_ECHO && icmph->type != ICMP_TIMESTAMP &&
		    icmph->type != ICMP_ADDRESS &&
		    icmph->type != ICMP_ADDRESSREPLY)
			goto error;
	}

	reason = icmp_pointers[icmph->type].handler(skb);
	if (reason == SKB_NOT_DROPPED_YET) {
		consume_skb(skb);
		return 0;
	}
	kfree_skb_reason(skb, reason);
	return 0;

csum_error:
	reason = SKB_DROP_REASON_ICMP_CSUM;
	ICMP_INC_STATS(net, ICMP_MIB_INCSUMERRORS);
error:
	ICMP_INC_STATS(net, ICMP_MIB_INERRORS);
	kfree_skb_reason(skb, reason);
	return 0;
}

/*
 * err_handler for IPPROTO_ICMP: an error about an ICMP message we sent.
 * Errors about echo requests go to the ping socket that sent them.
 */
static int icmp_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	int offset = iph->ihl << 2;
	const struct icmphdr *icmph =
		(const struct icmphdr *)(skb->data + offset);

	if (icmph->type != ICMP_ECHOREPLY)
		ping_err(skb, offset, info);
	return 0;
}

const struct net_protocol icmp_protocol = {
	.handler = icmp_rcv,
	.err_handler = icmp_err,
	.no_policy = 1,
};

/* --- per-stack state ------------------------------------------------------- */

static int icmp_net_init(struct net *net)
{
	struct icmp_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	pthread_mutex_init(&st->lock, NULL);
	/* As if the bucket was last refilled a second ago: Linux's jiffies
	 * start far from the stamp, so the first error refills it. */
	st->global_stamp = icmp_jiffies(net) - HZ;
	net->ipv4.icmp = st;
	return 0;
}

static void icmp_net_exit(struct net *net)
{
	struct icmp_state *st = net->ipv4.icmp;

	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st);
	net->ipv4.icmp = NULL;
}

const struct pernet_operations icmp_net_ops = {
	.name = "icmp",
	.init = icmp_net_init,
	.exit = icmp_net_exit,
};
