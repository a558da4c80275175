/*
 * Helpers for the connection-management tests (tests/ipv4/
 * inet_hashtables_test.c, tcp_ipv4_test.c, tcp_minisocks_test.c,
 * tcp_syncookies_test.c, tcp_conn_test.c): TCP sockets through the public
 * API on the two-stack pair of sl_test.h, and hand-built segments.
 * Internal headers: no <netinet/tcp.h> here (it clashes with
 * sl/tcp_states.h).
 */
#ifndef SL_TESTS_TCP_CONN_TEST_UTIL_H
#define SL_TESTS_TCP_CONN_TEST_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sl_test.h"

#include "sl/checksum.h"
#include "sl/inet_connection_sock.h"
#include "sl/inet_hashtables.h"
#include "sl/inet_timewait_sock.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/socket.h"
#include "sl/tcp.h"

#define NSEC 1000000000ULL
#define MSEC 1000000ULL

static inline uint64_t ctr(sl_net_t *net, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(sl_snmp_get(net, name, &v), 0);
	return v;
}

static inline int tcp_socket(sl_net_t *net)
{
	int fd = sl_socket_net(net, AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	return fd;
}

static inline void set_int_opt(int fd, int level, int name, int v)
{
	assert_int_equal(sl_setsockopt(fd, level, name, &v, sizeof(v)), 0);
}

static inline int try_bind(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);

	return sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ? -errno : 0;
}

static inline int try_listen(int fd, int backlog)
{
	return sl_listen(fd, backlog) ? -errno : 0;
}

static inline int try_connect(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);

	return sl_connect(fd, (struct sockaddr *)&sin, sizeof(sin)) ? -errno
								     : 0;
}

static inline uint16_t local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(sl_getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* A listener on @ip:@port with @opt (SO_REUSEADDR/SO_REUSEPORT or 0). */
static inline int tcp_listener(sl_net_t *net, const char *ip, uint16_t port,
			       int opt, int backlog)
{
	int fd = tcp_socket(net);

	if (opt)
		set_int_opt(fd, SOL_SOCKET, opt, 1);
	assert_int_equal(try_bind(fd, ip, port), 0);
	assert_int_equal(try_listen(fd, backlog), 0);
	return fd;
}

/* The struct sock behind @fd. */
static inline struct sock *fd_sock(int fd)
{
	int err;
	struct socket *sock = sockfd_lookup(fd, &err);
	struct sock *sk;

	assert_non_null(sock);
	sk = sock->sk;
	sockfd_put(sock);
	return sk;
}

static inline __be32 ipa(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* A segment as tcp_v4_rcv sees it (data at the TCP header, IP header in
 * front, TCP_SKB_CB filled), received on @net's wire0. */
struct seg {
	const char *saddr, *daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	unsigned int len;      /* payload bytes */
	bool ts;               /* add NOP NOP TS */
	uint32_t tsval, tsecr;
};

static inline struct sk_buff *build_seg(sl_net_t *net, const struct seg *s)
{
	unsigned int thlen = sizeof(struct sl_tcphdr) + (s->ts ? 12 : 0);
	struct sk_buff *skb = alloc_skb_with_headroom(net, thlen + s->len);
	struct sl_tcphdr *th;
	struct iphdr *iph;
	u8 *opt;

	assert_non_null(skb);
	th = (struct sl_tcphdr *)skb_put(skb, thlen);
	memset(th, 0, thlen);
	th->source = htons(s->sport);
	th->dest = htons(s->dport);
	th->seq = htonl(s->seq);
	th->ack_seq = htonl(s->ack);
	th->doff = (u16)(thlen / 4);
	((u8 *)th)[13] = s->flags;
	th->window = htons(s->win ? s->win : 65535);
	if (s->ts) {
		opt = (u8 *)(th + 1);
		opt[0] = TCPOPT_NOP;
		opt[1] = TCPOPT_NOP;
		opt[2] = TCPOPT_TIMESTAMP;
		opt[3] = TCPOLEN_TIMESTAMP;
		*(__be32 *)(opt + 4) = htonl(s->tsval);
		*(__be32 *)(opt + 8) = htonl(s->tsecr);
	}
	memset(skb_put(skb, s->len), 'x', s->len);
	skb_reset_transport_header(skb);
	iph = (struct iphdr *)skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_TCP;
	iph->tot_len = htons((u16)skb->len);
	iph->saddr = ipa(s->saddr);
	iph->daddr = ipa(s->daddr);
	skb_pull(skb, sizeof(*iph));
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->pkt_type = PACKET_HOST;
	skb->dev = dev_get_by_name(net, "wire0");
	assert_non_null(skb->dev);
	TCP_SKB_CB(skb)->seq = s->seq;
	TCP_SKB_CB(skb)->end_seq = s->seq + s->len +
				   !!(s->flags & TCPHDR_SYN) +
				   !!(s->flags & TCPHDR_FIN);
	TCP_SKB_CB(skb)->ack_seq = s->ack;
	TCP_SKB_CB(skb)->tcp_flags = s->flags;
	return skb;
}

/* Feed a hand-built segment to tcp_v4_rcv in @net's softirq. */
static inline void inject_seg(sl_net_t *net, const struct seg *s)
{
	struct sk_buff *skb = build_seg(net, s);

	spin_lock(&net->softirq_lock);
	tcp_v4_rcv(skb);
	spin_unlock(&net->softirq_lock);
}

#endif
