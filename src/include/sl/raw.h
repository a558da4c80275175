/*
 * Raw IPv4 sockets (src/ipv4/raw.c): SOCK_RAW with an IP protocol number.
 * Receive gets a clone of every datagram of that protocol, IP header
 * included (raw_local_deliver); send builds the IP header unless
 * IP_HDRINCL is on (always for IPPROTO_RAW).
 */
#ifndef SL_RAW_H
#define SL_RAW_H

#include "sl/inet_sock.h"
#include "sl/skbuff.h"

/* ICMP_FILTER (level SOL_RAW): bit n set = drop ICMP type n. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif
#ifndef SOL_RAW
#define SOL_RAW 255
#endif
struct icmp_filter {
	u32 data;
};

struct raw_sock {
	struct inet_sock inet;      /* must be first */
	struct icmp_filter filter;
};

static inline struct raw_sock *raw_sk(const struct sock *sk)
{
	return (struct raw_sock *)sk;
}

extern struct proto raw_prot;
/* An ICMP error about a datagram of @protocol: tell matching raw sockets
 * (skb->data at the quoted IP header). Does not consume. */
void raw_icmp_error(struct sk_buff *skb, int protocol, u32 info);

#endif
