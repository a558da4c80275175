/*
 * IPPROTO_IP socket options and the IP-level control messages (Linux's
 * net/ipv4/ip_sockglue.c).
 *
 *   setsockopt(SOL_IP)  -> ip_setsockopt: IP_TTL, IP_TOS, IP_HDRINCL,
 *                          IP_RECVERR, IP_PKTINFO, IP_RECVTTL, IP_RECVTOS,
 *                          IP_MTU_DISCOVER, IP_MULTICAST_TTL/LOOP/IF,
 *                          IP_OPTIONS (empty only), IP_FREEBIND,
 *                          IP_BIND_ADDRESS_NO_PORT, IP_MINTTL.
 *   getsockopt(SOL_IP)  -> ip_getsockopt (the same, plus IP_MTU).
 *   sendmsg cmsgs       -> ip_cmsg_send (IP_PKTINFO, IP_TTL, IP_TOS).
 *   datagram receive    -> ipv4_pktinfo_prepare (at queue time) ->
 *                          ip_cmsg_recv (at recvmsg).
 *   IP_RECVERR          -> ip_icmp_error / ip_local_error queue the error;
 *                          ip_recv_error delivers it (MSG_ERRQUEUE).
 */
#include <errno.h>
#include <string.h>

#include "sl/icmp.h"
#include "sl/inet_dgram.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/sock.h"
#include "sl/tcp_states.h"

#define IPTOS_TOS_MASK 0x1E

/* --- receive-side control messages ---------------------------------------- */

/* Local address a reply to @skb should come from (fib_compute_spec_dst). */
__be32 ip_spec_dst(const struct sk_buff *skb)
{
	const struct rtable *rt = skb_rtable(skb);
	const struct iphdr *iph = ip_hdr(skb);

	if (!rt || rt->rt_type == RTN_LOCAL)
		return iph->daddr;
	if (rt->rt_spec_dst)
		return rt->rt_spec_dst;
	if (skb->dev)
		return inet_select_addr(skb->dev, iph->saddr, RT_SCOPE_UNIVERSE);
	return 0;
}

/*
 * Remember what IP_PKTINFO reports before the datagram waits on a socket
 * queue: the arrival interface and the local address. Overlays IPCB, as
 * Linux does, so it runs last on the receive path.
 */
void ipv4_pktinfo_prepare(const struct sock *sk, struct sk_buff *skb)
{
	struct in_pktinfo info;

	info.ipi_ifindex = IPCB(skb)->iif;
	if (!info.ipi_ifindex && skb->dev)
		info.ipi_ifindex = skb->dev->ifindex;
	info.ipi_spec_dst.s_addr = ip_spec_dst(skb);
	info.ipi_addr.s_addr = 0;
	memcpy(PKTINFO_SKB_CB(skb), &info, sizeof(info));
}

/*
 * Append the control messages the socket asked for (IP_PKTINFO, IP_TTL,
 * IP_TOS), in Linux's order. @skb is a queued datagram: skb->sk is its
 * socket and the network header is still valid.
 */
void ip_cmsg_recv(struct sl_msghdr *msg, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int flags;

	if (!skb->sk)
		return;
	flags = inet_sk(skb->sk)->cmsg_flags;

	if (flags & IP_CMSG_PKTINFO) {
		struct in_pktinfo info = *PKTINFO_SKB_CB(skb);

		info.ipi_addr.s_addr = iph->daddr;
		put_cmsg(msg, SOL_IP, IP_PKTINFO, sizeof(info), &info);
	}
	if (flags & IP_CMSG_TTL) {
		int ttl = iph->ttl;

		put_cmsg(msg, SOL_IP, IP_TTL, sizeof(int), &ttl);
	}
	if (flags & IP_CMSG_TOS)
		put_cmsg(msg, SOL_IP, IP_TOS, 1, &iph->tos);
}

/* Write a sockaddr_in for recvmsg's msg_name. */
void ip_dgram_put_name(struct sl_msghdr *msg, __be32 addr, __be16 port,
		       int *addr_len)
{
	struct sockaddr_in sin;

	if (!msg->msg_name)
		return;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = port;
	sin.sin_addr.s_addr = addr;
	memcpy(msg->msg_name, &sin, sizeof(sin));
	if (addr_len)
		*addr_len = sizeof(sin);
}

/* --- send-side control messages ------------------------------------------- */

static int ip_cmsg_int(const struct cmsghdr *cmsg, int *val)
{
	if (cmsg->cmsg_len == CMSG_LEN(sizeof(int))) {
		memcpy(val, CMSG_DATA(cmsg), sizeof(int));
		return 0;
	}
	if (cmsg->cmsg_len == CMSG_LEN(sizeof(u8))) {
		*val = *(const u8 *)CMSG_DATA(cmsg);
		return 0;
	}
	return -EINVAL;
}

/* One SOL_IP control message of sendmsg. */
static int ip_cmsg_send_one(const struct cmsghdr *cmsg, struct ipcm_cookie *ipc)
{
	struct in_pktinfo info;
	int val;

	switch (cmsg->cmsg_type) {
	case IP_PKTINFO:
		if (cmsg->cmsg_len != CMSG_LEN(sizeof(info)))
			return -EINVAL;
		memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
		if (info.ipi_ifindex)
			ipc->oif = info.ipi_ifindex;
		ipc->addr = info.ipi_spec_dst.s_addr;
		return 0;
	case IP_TTL:
		if (cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
			return -EINVAL;
		memcpy(&val, CMSG_DATA(cmsg), sizeof(int));
		if (val < 1 || val > 255)
			return -EINVAL;
		ipc->ttl = (u8)val;
		return 0;
	case IP_TOS:
		if (ip_cmsg_int(cmsg, &val))
			return -EINVAL;
		if (val < 0 || val > 255)
			return -EINVAL;
		ipc->tos = (u8)val;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Parse sendmsg control messages into @ipc (Linux's ip_cmsg_send). Only
 * SOL_IP messages are interpreted; SOL_SOCKET ones (SO_MARK, timestamps)
 * are accepted and ignored. 0 or -EINVAL.
 */
int ip_cmsg_send(struct sock *sk, struct sl_msghdr *msg,
		 struct ipcm_cookie *ipc)
{
	struct msghdr m;
	struct cmsghdr *cmsg;
	int err;

	if (!msg->msg_control || !msg->msg_controllen)
		return 0;
	memset(&m, 0, sizeof(m));
	m.msg_control = msg->msg_control;
	m.msg_controllen = msg->msg_controllen;
	for (cmsg = CMSG_FIRSTHDR(&m); cmsg; cmsg = CMSG_NXTHDR(&m, cmsg)) {
		if (cmsg->cmsg_len < sizeof(*cmsg) ||
		    cmsg->cmsg_len > msg->msg_controllen)
			return -EINVAL;
		if (cmsg->cmsg_level != SOL_IP)
			continue;
		err = ip_cmsg_send_one(cmsg, ipc);
		if (err)
			return err;
	}
	return 0;
}

/* --- IP_RECVERR ----------------------------------------------------------- */

/*
 * Queue an ICMP error about one of @sk's datagrams on its error queue
 * (IP_RECVERR). @skb is the ICMP message (network header: outer IP,
 * transport header: ICMP); it is not consumed: a clone is queued, starting
 * at @payload (the quoted data after the transport header).
 */
void ip_icmp_error(struct sock *sk, struct sk_buff *skb, int err, __be16 port,
		   u32 info, const u8 *payload)
{
	struct sock_exterr_skb *serr;
	const struct iphdr *inner;

	skb = skb_clone(skb);
	if (!skb)
		return;

	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = (u32)err;
	serr->ee.ee_origin = SO_EE_ORIGIN_ICMP;
	serr->ee.ee_type = icmp_hdr(skb)->type;
	serr->ee.ee_code = icmp_hdr(skb)->code;
	serr->ee.ee_info = info;
	inner = (const struct iphdr *)(icmp_hdr(skb) + 1);
	serr->addr_offset =
		(u16)((const u8 *)&inner->daddr - skb_network_header(skb));
	serr->port = port;

	if (payload >= skb->data && payload <= skb->tail &&
	    skb_pull(skb, (unsigned int)(payload - skb->data))) {
		skb_reset_transport_header(skb);
		if (sock_queue_err_skb(sk, skb) == 0)
			return;
	}
	kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
}

/*
 * Queue a locally detected error (EMSGSIZE before sending) for
 * IP_RECVERR, as Linux's ip_local_error. Does nothing without IP_RECVERR.
 */
void ip_local_error(struct sock *sk, int err, __be32 daddr, __be16 port,
		    u32 info)
{
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;
	struct iphdr *iph;

	if (!inet_sk(sk)->recverr)
		return;
	skb = alloc_skb(sock_net(sk), sizeof(struct iphdr));
	if (!skb)
		return;
	iph = (struct iphdr *)skb_put(skb, sizeof(struct iphdr));
	memset(iph, 0, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->daddr = daddr;

	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = (u32)err;
	serr->ee.ee_origin = SO_EE_ORIGIN_LOCAL;
	serr->ee.ee_info = info;
	serr->addr_offset = (u16)((u8 *)&iph->daddr - skb_network_header(skb));
	serr->port = port;

	skb_pull(skb, skb->len);
	skb_reset_transport_header(skb);
	if (sock_queue_err_skb(sk, skb))
		kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
}

static bool is_icmp_err_skb(const struct sk_buff *skb)
{
	return skb && SKB_EXT_ERR(skb)->ee.ee_origin == SO_EE_ORIGIN_ICMP;
}

/*
 * Dequeue the oldest error; sk_err follows the next queued ICMP error, as
 * Linux's sock_dequeue_err_skb.
 */
static struct sk_buff *sock_dequeue_err_skb(struct sock *sk)
{
	struct sk_buff_head *q = sk_error_queue_get(sk);
	struct sk_buff *skb, *skb_next = NULL;
	bool icmp_next = false;

	if (!q)
		return NULL;
	skb_queue_lock(q);
	skb = __skb_dequeue(q);
	if (skb) {
		skb_next = skb_peek(q);
		icmp_next = is_icmp_err_skb(skb_next);
		if (icmp_next)
			WRITE_ONCE(sk->sk_err,
				   (int)SKB_EXT_ERR(skb_next)->ee.ee_errno);
	}
	skb_queue_unlock(q);

	if (is_icmp_err_skb(skb) && !icmp_next)
		WRITE_ONCE(sk->sk_err, 0);
	if (skb_next && sk->sk_error_report)
		sk->sk_error_report(sk);
	return skb;
}

/*
 * recvmsg(MSG_ERRQUEUE): the quoted payload as data, the offending
 * destination in msg_name, and an IP_RECVERR control message carrying
 * struct sock_extended_err followed by the ICMP sender's address.
 * Returns the bytes copied, or -EAGAIN when the queue is empty.
 */
int ip_recv_error(struct sock *sk, struct sl_msghdr *msg, int len,
		  int *addr_len)
{
	struct {
		struct sock_extended_err ee;
		struct sockaddr_in offender;
	} errhdr;
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;
	int copied, err;

	skb = sock_dequeue_err_skb(sk);
	if (!skb)
		return -EAGAIN;

	copied = (int)skb->len;
	if (copied > len) {
		msg->msg_flags |= MSG_TRUNC;
		copied = len;
	}
	err = skb_copy_datagram_msg(skb, 0, msg, copied);
	if (err) {
		kfree_skb(skb);
		return err;
	}

	serr = SKB_EXT_ERR(skb);
	ip_dgram_put_name(msg,
			  *(const __be32 *)(skb_network_header(skb) +
					    serr->addr_offset),
			  serr->port, addr_len);

	memset(&errhdr, 0, sizeof(errhdr));
	memcpy(&errhdr.ee, &serr->ee, sizeof(errhdr.ee));
	if (serr->ee.ee_origin == SO_EE_ORIGIN_ICMP) {
		errhdr.offender.sin_family = AF_INET;
		errhdr.offender.sin_addr.s_addr = ip_hdr(skb)->saddr;
		if (inet_sk(sk)->cmsg_flags) {
			struct sock *owner = skb->sk;

			/* ip_cmsg_recv reads the flags through skb->sk. */
			skb->sk = sk;
			ip_cmsg_recv(msg, skb);
			skb->sk = owner;
		}
	}
	put_cmsg(msg, SOL_IP, IP_RECVERR, sizeof(errhdr), &errhdr);
	msg->msg_flags |= MSG_ERRQUEUE;
	consume_skb(skb);
	return copied;
}

/* --- setsockopt / getsockopt ---------------------------------------------- */

/* Options whose value is an int (or a single byte, as Linux accepts). */
static bool ip_opt_is_int(int optname)
{
	switch (optname) {
	case IP_PKTINFO:
	case IP_RECVTTL:
	case IP_RECVOPTS:
	case IP_RECVTOS:
	case IP_RETOPTS:
	case IP_TOS:
	case IP_TTL:
	case IP_HDRINCL:
	case IP_MTU_DISCOVER:
	case IP_RECVERR:
	case IP_FREEBIND:
	case IP_MINTTL:
	case IP_BIND_ADDRESS_NO_PORT:
	case IP_MULTICAST_TTL:
	case IP_MULTICAST_LOOP:
		return true;
	default:
		return false;
	}
}

static void ip_set_cmsg_flag(struct inet_sock *inet, u16 flag, int val)
{
	if (val)
		inet->cmsg_flags |= flag;
	else
		inet->cmsg_flags &= (u16)~flag;
}

/* IP_MULTICAST_IF: struct in_addr, ip_mreq or ip_mreqn, as Linux. */
static int ip_set_mcast_if(struct sock *sk, const void *optval,
			   socklen_t optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net_device *dev = NULL;
	struct ip_mreqn mreq;

	if (sk->sk_type == SOCK_STREAM)
		return -EINVAL;
	if (optlen < sizeof(struct in_addr))
		return -EINVAL;
	memset(&mreq, 0, sizeof(mreq));
	if (optlen >= sizeof(struct ip_mreqn))
		memcpy(&mreq, optval, sizeof(mreq));
	else if (optlen >= sizeof(struct ip_mreq))
		memcpy(&mreq.imr_address,
		       (const u8 *)optval + offsetof(struct ip_mreq, imr_interface),
		       sizeof(struct in_addr));
	else
		memcpy(&mreq.imr_address, optval, sizeof(struct in_addr));

	if (!mreq.imr_ifindex) {
		if (mreq.imr_address.s_addr == htonl(INADDR_ANY)) {
			inet->mc_index = 0;
			inet->mc_addr = 0;
			return 0;
		}
		dev = ip_dev_find(sock_net(sk), mreq.imr_address.s_addr);
		if (dev)
			mreq.imr_ifindex = dev->ifindex;
	} else {
		dev = dev_get_by_index(sock_net(sk), mreq.imr_ifindex);
	}
	if (!dev)
		return -EADDRNOTAVAIL;
	if (sk->sk_bound_dev_if && mreq.imr_ifindex != sk->sk_bound_dev_if)
		return -EINVAL;
	inet->mc_index = mreq.imr_ifindex;
	inet->mc_addr = mreq.imr_address.s_addr;
	return 0;
}

/* Flag options: one bit each in the socket. */
static int ip_set_flag_opt(struct sock *sk, int optname, int val,
			   socklen_t optlen)
{
	struct inet_sock *inet = inet_sk(sk);

	switch (optname) {
	case IP_PKTINFO:
		ip_set_cmsg_flag(inet, IP_CMSG_PKTINFO, val);
		return 0;
	case IP_RECVTTL:
		ip_set_cmsg_flag(inet, IP_CMSG_TTL, val);
		return 0;
	case IP_RECVTOS:
		ip_set_cmsg_flag(inet, IP_CMSG_TOS, val);
		return 0;
	case IP_RECVOPTS:
		ip_set_cmsg_flag(inet, IP_CMSG_RECVOPTS, val);
		return 0;
	case IP_RETOPTS:
		ip_set_cmsg_flag(inet, IP_CMSG_RETOPTS, val);
		return 0;
	case IP_HDRINCL:
		if (sk->sk_type != SOCK_RAW)
			return -ENOPROTOOPT;
		inet->hdrincl = !!val;
		return 0;
	case IP_RECVERR:
		inet->recverr = !!val;
		if (!val)
			sk_error_queue_purge(sk);
		return 0;
	case IP_MULTICAST_LOOP:
		if (optlen < 1)
			return -EINVAL;
		inet->mc_loop = !!val;
		return 0;
	case IP_FREEBIND:
		if (optlen < 1)
			return -EINVAL;
		inet->freebind = !!val;
		return 0;
	case IP_BIND_ADDRESS_NO_PORT:
		inet->bind_address_no_port = !!val;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * setsockopt(SOL_IP). @optval is the caller's buffer of @optlen bytes.
 * Errors as Linux: -ENOPROTOOPT for another level or an unknown option,
 * -EINVAL for bad values or a short buffer.
 */
int ip_setsockopt(struct sock *sk, int level, int optname, const void *optval,
		  socklen_t optlen)
{
	struct inet_sock *inet = inet_sk(sk);
	int val = 0;

	if (level != SOL_IP)
		return -ENOPROTOOPT;
	if (ip_opt_is_int(optname)) {
		if (optlen >= sizeof(int))
			memcpy(&val, optval, sizeof(int));
		else if (optlen >= sizeof(char))
			val = *(const unsigned char *)optval;
		/* optlen == 0 means val == 0, as Linux. */
	}

	switch (optname) {
	case IP_OPTIONS:
		/* We send no IP options: clearing them is all we accept. */
		if (optlen > 40)
			return -EINVAL;
		return optlen ? -EOPNOTSUPP : 0;
	case IP_TOS:
		if (sk->sk_type == SOCK_STREAM) {
			val &= ~0x03;            /* keep ECN bits, RFC 3168 */
			val |= inet->tos & 0x03;
		}
		if (inet->tos != (u8)val) {
			inet->tos = (u8)val;
			sk_dst_reset(sk);
		}
		return 0;
	case IP_TTL:
		if (optlen < 1)
			return -EINVAL;
		if (val != -1 && (val < 1 || val > 255))
			return -EINVAL;
		inet->uc_ttl = (s16)val;
		return 0;
	case IP_MTU_DISCOVER:
		if (val < IP_PMTUDISC_DONT || val > IP_PMTUDISC_OMIT)
			return -EINVAL;
		inet->pmtudisc = (u8)val;
		return 0;
	case IP_MULTICAST_TTL:
		if (sk->sk_type == SOCK_STREAM || optlen < 1)
			return -EINVAL;
		if (val == -1)
			val = 1;
		if (val < 0 || val > 255)
			return -EINVAL;
		inet->mc_ttl = (u8)val;
		return 0;
	case IP_MINTTL:
		if (optlen < 1 || val < 0 || val > 255)
			return -EINVAL;
		inet->min_ttl = (u8)val;
		return 0;
	case IP_MULTICAST_IF:
		return ip_set_mcast_if(sk, optval, optlen);
	default:
		return ip_set_flag_opt(sk, optname, val, optlen);
	}
}

/* IP_MTU: the cached route's MTU; only a connected socket has one. */
static int ip_get_mtu(struct sock *sk, int *val)
{
	struct dst_entry *dst = ip4_datagram_dst_get(sk);

	*val = 0;
	if (dst) {
		*val = (int)dst_mtu(dst);
		dst_release(dst);
	}
	return *val ? 0 : -ENOTCONN;
}

/* Value of an int-like option. 0, or -ENOPROTOOPT / -ENOTCONN. */
static int ip_get_int_opt(struct sock *sk, int optname, int *val)
{
	struct inet_sock *inet = inet_sk(sk);

	switch (optname) {
	case IP_PKTINFO:
		*val = !!(inet->cmsg_flags & IP_CMSG_PKTINFO);
		return 0;
	case IP_RECVTTL:
		*val = !!(inet->cmsg_flags & IP_CMSG_TTL);
		return 0;
	case IP_RECVTOS:
		*val = !!(inet->cmsg_flags & IP_CMSG_TOS);
		return 0;
	case IP_RECVOPTS:
		*val = !!(inet->cmsg_flags & IP_CMSG_RECVOPTS);
		return 0;
	case IP_RETOPTS:
		*val = !!(inet->cmsg_flags & IP_CMSG_RETOPTS);
		return 0;
	case IP_TOS:
		*val = inet->tos;
		return 0;
	case IP_TTL:
		*val = inet->uc_ttl;
		if (*val < 0)
			*val = READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_default_ttl);
		return 0;
	case IP_MINTTL:
		*val = inet->min_ttl;
		return 0;
	case IP_HDRINCL:
		*val = inet->hdrincl;
		return 0;
	case IP_MTU_DISCOVER:
		*val = inet->pmtudisc;
		return 0;
	case IP_MTU:
		return ip_get_mtu(sk, val);
	case IP_RECVERR:
		*val = inet->recverr;
		return 0;
	case IP_MULTICAST_TTL:
		*val = inet->mc_ttl;
		return 0;
	case IP_MULTICAST_LOOP:
		*val = inet->mc_loop;
		return 0;
	case IP_FREEBIND:
		*val = inet->freebind;
		return 0;
	case IP_BIND_ADDRESS_NO_PORT:
		*val = inet->bind_address_no_port;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * getsockopt(SOL_IP). Small values go out as one byte when the caller's
 * buffer is shorter than an int, as Linux. -EOPNOTSUPP for another level
 * (Linux's choice for getsockopt), -EINVAL for a negative length.
 */
int ip_getsockopt(struct sock *sk, int level, int optname, void *optval,
		  socklen_t *optlen)
{
	int len, val, err;

	if (level != SOL_IP)
		return -EOPNOTSUPP;
	len = (int)*optlen;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case IP_OPTIONS:
		*optlen = 0;
		return 0;
	case IP_MULTICAST_IF: {
		struct in_addr addr = { .s_addr = inet_sk(sk)->mc_addr };

		len = min_t(int, len, (int)sizeof(addr));
		memcpy(optval, &addr, (size_t)len);
		*optlen = (socklen_t)len;
		return 0;
	}
	default:
		err = ip_get_int_opt(sk, optname, &val);
		if (err)
			return err;
	}

	if (len < (int)sizeof(int) && len > 0 && val >= 0 && val <= 255) {
		unsigned char ucval = (unsigned char)val;

		len = 1;
		memcpy(optval, &ucval, 1);
	} else {
		len = min_t(int, (int)sizeof(int), len);
		memcpy(optval, &val, (size_t)len);
	}
	*optlen = (socklen_t)len;
	return 0;
}
