/*
 * ICMP (RFC 792, RFC 1122 3.2.2) (src/ipv4/icmp.c).
 */
#ifndef SL_ICMP_H
#define SL_ICMP_H

#include "sl/protocol.h"
#include "sl/skbuff.h"
#include "sl/types.h"

struct net;

struct icmphdr {
	u8 type;
	u8 code;
	__sum16 checksum;
	union {
		struct {
			__be16 id;
			__be16 sequence;
		} echo;
		__be32 gateway;
		struct {
			__be16 __unused;
			__be16 mtu;
		} frag;
		u8 reserved[4];
	} un;
} __packed;

#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT 5
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_TIMESTAMP 13
#define ICMP_TIMESTAMPREPLY 14
#define ICMP_INFO_REQUEST 15
#define ICMP_INFO_REPLY 16
#define ICMP_ADDRESS 17
#define ICMP_ADDRESSREPLY 18
#define NR_ICMP_TYPES 18

/* ICMP_DEST_UNREACH codes */
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_SR_FAILED 5
#define ICMP_NET_UNKNOWN 6
#define ICMP_HOST_UNKNOWN 7
#define ICMP_HOST_ISOLATED 8
#define ICMP_NET_ANO 9
#define ICMP_HOST_ANO 10
#define ICMP_NET_UNR_TOS 11
#define ICMP_HOST_UNR_TOS 12
#define ICMP_PKT_FILTERED 13
#define ICMP_PREC_VIOLATION 14
#define ICMP_PREC_CUTOFF 15
#define NR_ICMP_UNREACH 15

/* ICMP_TIME_EXCEEDED codes */
#define ICMP_EXC_TTL 0
#define ICMP_EXC_FRAGTIME 1

static inline struct icmphdr *icmp_hdr(const struct sk_buff *skb)
{
	return (struct icmphdr *)skb_transport_header(skb);
}

/* inet_protos handler for IPPROTO_ICMP. Consumes skb. */
int icmp_rcv(struct sk_buff *skb);
/*
 * Send an ICMP error about @skb_in (network header set; not consumed),
 * subject to RFC 1122 3.2.2 rules (never about ICMP errors, broadcasts,
 * non-first fragments) and to icmp_ratelimit. @info: MTU for
 * ICMP_FRAG_NEEDED, pointer for parameter problems.
 */
void icmp_send(struct sk_buff *skb_in, int type, int code, __be32 info);
/* Map an ICMP error to the errno a socket reports; *fatal for hard ones. */
int icmp_err_convert(int type, int code, bool *fatal);
/* Added by transport: inet_protos entry for IPPROTO_ICMP (registered by
 * inet_init); its err_handler passes errors about echo requests to ping. */
extern const struct net_protocol icmp_protocol;
/* Count one sent ICMP message of @type (IcmpOutMsgs + per type). */
void icmp_out_count(struct net *net, unsigned char type);

#endif
