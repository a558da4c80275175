/*
 * Helpers shared by the IPv4 datagram protocols: UDP (src/ipv4/udp.c), ping
 * sockets (src/ipv4/ping.c) and raw sockets (src/ipv4/raw.c).
 *
 * Send side:  ip_cmsg_send (IP_PKTINFO/IP_TTL/IP_TOS control messages) ->
 *             ip_dgram_route (route, SO_BROADCAST check, cached route of a
 *             connected socket) -> ip_dgram_df (DF bit and EMSGSIZE per
 *             IP_MTU_DISCOVER) -> ip_build_header -> ip_send_skb.
 * Receive:    ipv4_pktinfo_prepare (remember IP_PKTINFO data in skb->cb
 *             before queueing) -> recvmsg -> ip_cmsg_recv, ip_dgram_put_name.
 * Errors:     ip_icmp_error / ip_local_error queue on sk_error_queue for
 *             IP_RECVERR; ip_recv_error hands them to recvmsg(MSG_ERRQUEUE).
 *
 * Everything here is implemented in src/ipv4/ip_sockglue.c and
 * src/ipv4/datagram.c.
 */
#ifndef SL_INET_DGRAM_H
#define SL_INET_DGRAM_H

#include <time.h>            /* struct timespec, for linux/errqueue.h */
#include <linux/errqueue.h>
#include <netinet/in.h>

#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/route.h"
#include "sl/tcp_states.h"

/* IP_PKTINFO data of a queued datagram, in skb->cb (Linux's PKTINFO_SKB_CB
 * overlays IPCB the same way once the datagram is on a socket queue). */
#define PKTINFO_SKB_CB(skb) ((struct in_pktinfo *)((skb)->cb))

/* IP_RECVERR state of an skb on sk_error_queue (Linux's sock_exterr_skb). */
struct sock_exterr_skb {
	struct inet_skb_parm h4;
	struct sock_extended_err ee;
	u16 addr_offset;            /* offending address, from network header */
	__be16 port;                /* its port (UDP), 0 for ping/raw */
};
#define SKB_EXT_ERR(skb) ((struct sock_exterr_skb *)((skb)->cb))

/* Largest UDP/raw payload in one IPv4 datagram: 65535 - 20 - 8 = 65507. */
#define IP_MAX_DGRAM 0xFFFF

/* --- src/ipv4/ip_sockglue.c ----------------------------------------------- */

/*
 * Parse sendmsg control messages of level SOL_IP (IP_PKTINFO, IP_TTL,
 * IP_TOS) into @ipc. SOL_SOCKET messages are skipped. 0, or -EINVAL for a
 * malformed message or an unknown IP-level type, as Linux.
 */
int ip_cmsg_send(struct sock *sk, struct sl_msghdr *msg,
		 struct ipcm_cookie *ipc);
/* Record iif and the local address of @skb in its cb for IP_PKTINFO. */
void ipv4_pktinfo_prepare(const struct sock *sk, struct sk_buff *skb);
/* Local address a reply to @skb comes from (Linux's fib_compute_spec_dst). */
__be32 ip_spec_dst(const struct sk_buff *skb);
/* IP_RECVERR for a local error (EMSGSIZE before sending). */
void ip_local_error(struct sock *sk, int err, __be32 daddr, __be16 port,
		    u32 info);
/* Write a sockaddr_in into msg_name (a sockaddr_storage, as Linux). */
void ip_dgram_put_name(struct sl_msghdr *msg, __be32 addr, __be16 port,
		       int *addr_len);

/* --- src/ipv4/datagram.c -------------------------------------------------- */

/* Report an ICMP error about a datagram @sk sent (IP_RECVERR, sk_err). */
void ip_dgram_icmp_err(struct sock *sk, struct sk_buff *skb, int type, int code,
		       u32 info, __be16 port, const u8 *payload);

/* ip4_datagram_connect with the socket already locked. */
int __ip4_datagram_connect(struct sock *sk, struct sockaddr *uaddr,
			   int addr_len);
/*
 * Route a datagram from @sk to @daddr: the cached route when @connected
 * and still valid, else ip_route_output_key (caching it for a connected
 * socket). Fills @fl4. Returns a referenced rtable or an error pointer
 * (-EACCES for a broadcast destination without SO_BROADCAST).
 */
struct rtable *ip_dgram_route(struct sock *sk, struct flowi4 *fl4,
			      __be32 daddr, __be16 dport,
			      const struct ipcm_cookie *ipc, bool connected);
/*
 * DF decision for a datagram of @len bytes (IP header included) on a path
 * of @mtu, as Linux's IP_PMTUDISC_* modes: DONT never sets DF; WANT sets
 * DF when the datagram fits and fragments otherwise; DO and PROBE always
 * set DF and refuse bigger datagrams. 0 and *@df, or -EMSGSIZE.
 */
int ip_dgram_df(const struct inet_sock *inet, unsigned int len,
		unsigned int mtu, unsigned int dev_mtu, bool *df);
/* Cached route of a connected socket, refreshed if stale (referenced). */
struct dst_entry *ip4_datagram_dst_get(struct sock *sk);
/* Assign a local port/identifier if the socket has none (inet_autobind). */
int ip_dgram_autobind(struct sock *sk);
/* Parse msg_name of a datagram sendmsg. 0, -EINVAL, -EAFNOSUPPORT. */
int ip_dgram_daddr(struct sock *sk, const struct sl_msghdr *msg,
		   __be32 *daddr, __be16 *dport, bool *connected);

#endif
