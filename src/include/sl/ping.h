/*
 * Ping sockets: SOCK_DGRAM/IPPROTO_ICMP, as Linux's (src/ipv4/ping.c).
 * The stack owns the echo identifier: it is the socket's "port" in the
 * per-stack ping table.
 */
#ifndef SL_PING_H
#define SL_PING_H

#include "sl/inet_sock.h"
#include "sl/skbuff.h"

extern struct proto ping_prot;
/* icmp_rcv's handler for ICMP_ECHOREPLY; skb->data after the ICMP header.
 * Does not consume @skb (queues a clone). True when a socket took it. */
bool ping_rcv(struct sk_buff *skb);
/* An ICMP error quoting one of our echo requests (skb->data at the quoted
 * IP header, as err_handler). Does not consume. */
void ping_err(struct sk_buff *skb, int offset, u32 info);

#endif
