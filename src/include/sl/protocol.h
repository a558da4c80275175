/*
 * Transport protocol handlers above IPv4 (Linux's inet_protos):
 * ip_local_deliver_finish looks the handler up by the IP protocol number.
 */
#ifndef SL_PROTOCOL_H
#define SL_PROTOCOL_H

#include "sl/skbuff.h"
#include "sl/types.h"

struct net_protocol {
	/* Consumes skb; skb->data at the transport header. */
	int (*handler)(struct sk_buff *skb);
	/*
	 * An ICMP error about a datagram of this protocol: skb->data at the
	 * quoted inner IP header (at least 8 bytes of transport header
	 * present), @info = MTU for fragmentation needed. Does not consume.
	 */
	int (*err_handler)(struct sk_buff *skb, u32 info);
	unsigned int no_policy : 1;
	unsigned int icmp_strict_tag_validation : 1;
};

#define MAX_INET_PROTOS 256
extern const struct net_protocol *inet_protos[MAX_INET_PROTOS];

int inet_add_protocol(const struct net_protocol *prot, unsigned char num);
int inet_del_protocol(const struct net_protocol *prot, unsigned char num);

#endif
