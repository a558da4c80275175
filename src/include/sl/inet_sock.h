/*
 * struct inet_sock: the IPv4 part of every AF_INET socket, and the inetsw
 * protocol switch (src/ipv4/af_inet.c).
 */
#ifndef SL_INET_SOCK_H
#define SL_INET_SOCK_H

#include <netinet/in.h>

#include "sl/list.h"
#include "sl/sock.h"
#include "sl/socket.h"

struct inet_sock {
	struct sock sk;             /* must be first */
#define inet_daddr sk.__sk_common.skc_daddr
#define inet_rcv_saddr sk.__sk_common.skc_rcv_saddr
#define inet_dport sk.__sk_common.skc_dport
#define inet_num sk.__sk_common.skc_num
	__be32 inet_saddr;          /* source address used for sending */
	__be16 inet_sport;          /* source port, network order */
	s16 uc_ttl;                 /* unicast TTL, -1 = net default */
	u16 cmsg_flags;             /* IP_CMSG_* */
	__be16 inet_id;             /* IP ID counter for connected sockets */
	u8 tos;
	u8 min_ttl;
	u8 mc_ttl;
	u8 pmtudisc;                /* IP_PMTUDISC_* */
	u8 hdrincl : 1;             /* raw: user supplies the IP header */
	u8 recverr : 1;             /* IP_RECVERR */
	u8 freebind : 1;
	u8 transparent : 1;
	u8 mc_loop : 1;
	u8 bind_address_no_port : 1;
	u8 defer_connect : 1;
	int mc_index;
	__be32 mc_addr;
	u32 rcv_tos;
};

#define IP_CMSG_PKTINFO (1 << 0)
#define IP_CMSG_TTL (1 << 1)
#define IP_CMSG_TOS (1 << 2)
#define IP_CMSG_RECVOPTS (1 << 3)
#define IP_CMSG_RETOPTS (1 << 4)
#define IP_CMSG_PASSSEC (1 << 5)
#define IP_CMSG_ORIGDSTADDR (1 << 6)
#define IP_CMSG_CHECKSUM (1 << 7)
#define IP_CMSG_RECVFRAGSIZE (1 << 8)

static inline struct inet_sock *inet_sk(const struct sock *sk)
{
	return (struct inet_sock *)sk;
}

/* One entry of the inetsw switch: (type, protocol) -> proto + proto_ops. */
struct inet_protosw {
	struct list_head list;
	unsigned short type;        /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW */
	unsigned short protocol;    /* IPPROTO_*, or IPPROTO_IP = wildcard */
	struct proto *prot;
	const struct proto_ops *ops;
	unsigned char flags;        /* INET_PROTOSW_* */
};
#define INET_PROTOSW_REUSE 0x01
#define INET_PROTOSW_PERMANENT 0x02
#define INET_PROTOSW_ICSK 0x04

void inet_register_protosw(struct inet_protosw *p);
void inet_unregister_protosw(struct inet_protosw *p);

extern const struct proto_ops inet_stream_ops;
extern const struct proto_ops inet_dgram_ops;
extern const struct proto_ops inet_sockraw_ops;

/* Generic AF_INET proto_ops members, shared by the ops tables. */
int inet_release(struct socket *sock);
int inet_bind(struct socket *sock, struct sockaddr *uaddr, int addr_len);
int __inet_bind(struct sock *sk, struct sockaddr *uaddr, int addr_len,
		u32 flags);
int inet_dgram_connect(struct socket *sock, struct sockaddr *uaddr,
		       int addr_len, int flags);
int inet_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
int inet_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
int inet_shutdown(struct socket *sock, int how);
int inet_sendmsg(struct socket *sock, struct sl_msghdr *msg, size_t size);
int inet_recvmsg(struct socket *sock, struct sl_msghdr *msg, size_t size,
		 int flags);
int inet_setsockopt(struct socket *sock, int level, int optname,
		    const void *optval, socklen_t optlen);
int inet_getsockopt(struct socket *sock, int level, int optname, void *optval,
		    socklen_t *optlen);
/* Connect a datagram socket: route, pick source address. */
int ip4_datagram_connect(struct sock *sk, struct sockaddr *uaddr,
			 int addr_len);
/* IPPROTO_IP level options (src/ipv4/ip_sockglue.c). */
int ip_setsockopt(struct sock *sk, int level, int optname, const void *optval,
		  socklen_t optlen);
int ip_getsockopt(struct sock *sk, int level, int optname, void *optval,
		  socklen_t *optlen);
/* Append IP_PKTINFO/IP_TTL/IP_TOS cmsgs for a received datagram. */
void ip_cmsg_recv(struct sl_msghdr *msg, struct sk_buff *skb);
/* IP_RECVERR: queue an ICMP error for recvmsg(MSG_ERRQUEUE). */
void ip_icmp_error(struct sock *sk, struct sk_buff *skb, int err, __be16 port,
		   u32 info, const u8 *payload);
int ip_recv_error(struct sock *sk, struct sl_msghdr *msg, int len,
		  int *addr_len);

/* One-time registration of AF_INET (family, inetsw, protocols, ip_rcv). */
int inet_init(void);

#endif
