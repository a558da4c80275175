/*
 * UDP (RFC 768) (src/ipv4/udp.c).
 */
#ifndef SL_UDP_H
#define SL_UDP_H

#include "sl/inet_sock.h"
#include "sl/protocol.h"
#include "sl/skbuff.h"
#include "sl/types.h"

struct udphdr {
	__be16 source;
	__be16 dest;
	__be16 len;
	__sum16 check;
} __packed;

static inline struct udphdr *udp_hdr(const struct sk_buff *skb)
{
	return (struct udphdr *)skb_transport_header(skb);
}

struct udp_sock {
	struct inet_sock inet;      /* must be first */
	int pending;
	unsigned int corkflag;
	u8 no_check6_tx : 1, no_check6_rx : 1;
	u16 len;
	int forward_deficit;
};

static inline struct udp_sock *udp_sk(const struct sock *sk)
{
	return (struct udp_sock *)sk;
}

extern struct proto udp_prot;
int udp_rcv(struct sk_buff *skb);
int udp_err(struct sk_buff *skb, u32 info);
/* Added by transport: inet_protos entry for IPPROTO_UDP (registered by
 * inet_init), and connect(AF_UNSPEC) for datagram sockets (udp, ping, raw). */
extern const struct net_protocol udp_protocol;
int udp_disconnect(struct sock *sk, int flags);

#endif
