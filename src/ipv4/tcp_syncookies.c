/*
 * SYN cookies (Linux's net/ipv4/syncookies.c, net.ipv4.tcp_syncookies=1):
 * when a listener's SYN queue is full, tcp_conn_request answers with a
 * SYN-ACK whose ISN encodes the connection instead of keeping a request
 * sock; the ACK that echoes it (cookie_v4_check) rebuilds the request and
 * creates the child directly.
 *
 * ISN = H0(4-tuple) + SEG.SEQ + (count << 24) + ((H1(4-tuple, count) +
 * mssind) mod 2^24), with count the minute on the stack clock and H0/H1
 * keyed SipHash; cookies older than MAX_SYNCOOKIE_AGE minutes fail. The
 * MSS is one of msstab's four values. With timestamps, the SYN-ACK's TSval
 * carries the window scale, SACK and ECN bits in its low 6 bits (the ACK
 * echoes them in TSecr), as Linux's cookie_init_timestamp.
 */
#include <stdlib.h>

#include "sl/inet_connection_sock.h"
#include "sl/inet_hashtables.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/snmp.h"
#include "sl/tcp.h"

#define COOKIEBITS 24 /* the minute counter sits above these */
#define COOKIEMASK (((u32)1 << COOKIEBITS) - 1)
#define MAX_SYNCOOKIE_AGE 2

#define TS_OPT_WSCALE_MASK 0xf
#define TS_OPT_SACK (1 << 4)
#define TS_OPT_ECN (1 << 5)
/* No bit for the timestamp option itself: a cookie ACK that carries
 * TSecr shows the peer agreed to timestamps (RFC 7323 3.2). */
#define TSBITS 6

/* MSS values a cookie can carry (Linux's msstab). */
static const u16 msstab[] = {
	536,
	1300,
	1440, /* covers PPPoE / tunnel paths just under 1460 */
	1460,
};

/* The cookie secrets: two keys derived from the stack's ISN key. */
static u32 cookie_hash(const struct net *net, __be32 saddr, __be32 daddr,
		       __be16 sport, __be16 dport, u32 count, int c)
{
	u32 w[4] = { saddr, daddr, (u32)sport << 16 | (u32)dport, count };
	u64 key[2] = {
		net->ipv4.tcp_isn_key[0] ^ (0x636f6f6b69653030ULL + (u64)c),
		net->ipv4.tcp_isn_key[1] ^ 0x73796e636f6f6b69ULL,
	};

	return (u32)siphash_u32s(w, 4, key);
}

/* Minutes on the stack clock (Linux's tcp_cookie_time). */
static u32 tcp_cookie_time(const struct net *net)
{
	return (u32)(net_now(net) / (60 * NSEC_PER_SEC));
}

static u32 secure_tcp_syn_cookie(const struct net *net, __be32 saddr,
				 __be32 daddr, __be16 sport, __be16 dport,
				 u32 sseq, u32 data)
{
	u32 count = tcp_cookie_time(net);

	return cookie_hash(net, saddr, daddr, sport, dport, 0, 0) + sseq +
	       (count << COOKIEBITS) +
	       ((cookie_hash(net, saddr, daddr, sport, dport, count, 1) + data) &
		COOKIEMASK);
}

/* The data (MSS index) a cookie carries, or (u32)-1 when too old. */
static u32 check_tcp_syn_cookie(const struct net *net, u32 cookie,
				__be32 saddr, __be32 daddr, __be16 sport,
				__be16 dport, u32 sseq)
{
	u32 diff, count = tcp_cookie_time(net);

	/* Subtract the parts the peer cannot vary: H0 and its ISN. */
	cookie -= cookie_hash(net, saddr, daddr, sport, dport, 0, 0) + sseq;
	/* Left: (count << 24) + ((H1 + mssind) mod 2^24). The top 8 bits
	 * give the cookie's age in minutes. */
	diff = (count - (cookie >> COOKIEBITS)) & ((u32)-1 >> COOKIEBITS);
	if (diff >= MAX_SYNCOOKIE_AGE)
		return (u32)-1;
	return (cookie - cookie_hash(net, saddr, daddr, sport, dport,
				     count - diff, 1)) &
	       COOKIEMASK; /* minus H1: the MSS index */
}

/**
 * cookie_v4_init_sequence - the ISN of a cookie SYN-ACK for the SYN @skb
 * @mssp: in: the peer's MSS; out: the msstab value encoded (at most it)
 */
u32 cookie_v4_init_sequence(const struct sk_buff *skb, u16 *mssp)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct sl_tcphdr *th = tcp_hdr(skb);
	const struct net *net = dev_net(skb->dev);
	u32 mssind;

	for (mssind = ARRAY_SIZE(msstab) - 1; mssind; mssind--)
		if (*mssp >= msstab[mssind])
			break;
	*mssp = msstab[mssind];
	return secure_tcp_syn_cookie(net, iph->saddr, iph->daddr, th->source,
				     th->dest, ntohl(th->seq), mssind);
}

/* The MSS an ACK's cookie encodes (ack_seq - 1), 0 when invalid. */
static int __cookie_v4_check(const struct net *net, const struct iphdr *iph,
			     const struct sl_tcphdr *th)
{
	u32 cookie = ntohl(th->ack_seq) - 1;
	u32 seq = ntohl(th->seq) - 1;
	u32 mssind;

	mssind = check_tcp_syn_cookie(net, cookie, iph->saddr, iph->daddr,
				      th->source, th->dest, seq);
	return mssind < ARRAY_SIZE(msstab) ? msstab[mssind] : 0;
}

/* The SYN-ACK's timestamp: @now_ms rounded down to 64 ms, the options in
 * the low bits. */
u32 cookie_init_timestamp(const struct request_sock *req, u32 now_ms)
{
	u32 options, ts;

	options = req->wscale_ok ? req->snd_wscale : TS_OPT_WSCALE_MASK;
	if (req->sack_ok)
		options |= TS_OPT_SACK;
	if (req->ecn_ok)
		options |= TS_OPT_ECN;
	ts = (now_ms >> TSBITS) << TSBITS;
	ts |= options;
	if (after(ts, now_ms))
		ts -= 1U << TSBITS;
	return ts;
}

/* Options from the echoed timestamp (Linux's cookie_timestamp_decode). */
bool cookie_timestamp_decode(const struct net *net,
			     struct tcp_options_received *tcp_opt)
{
	/* TSecr echoes our SYN-ACK's TSval, options in its low bits */
	u32 options = tcp_opt->rcv_tsecr;

	if (!tcp_opt->saw_tstamp) {
		tcp_opt->tstamp_ok = tcp_opt->sack_ok = 0;
		tcp_opt->wscale_ok = tcp_opt->snd_wscale = 0;
		return true;
	}
	if (!READ_ONCE(net->ipv4.sysctl_tcp_timestamps))
		return false;
	tcp_opt->sack_ok = (options & TS_OPT_SACK) ? 1 : 0;
	if (tcp_opt->sack_ok && !READ_ONCE(net->ipv4.sysctl_tcp_sack))
		return false;
	if ((options & TS_OPT_WSCALE_MASK) == TS_OPT_WSCALE_MASK)
		return true; /* all-ones: the SYN had no wscale */
	tcp_opt->wscale_ok = 1;
	tcp_opt->snd_wscale = options & TS_OPT_WSCALE_MASK;
	return READ_ONCE(net->ipv4.sysctl_tcp_window_scaling) != 0;
}

/* A request sock rebuilt from a valid cookie ACK (Linux's
 * cookie_tcp_reqsk_alloc). */
static struct request_sock *
cookie_tcp_reqsk_alloc(struct sock *sk, struct sk_buff *skb,
		       const struct tcp_options_received *tcp_opt, int mss,
		       u32 tsoff)
{
	const struct sl_tcphdr *th = tcp_hdr(skb);
	struct request_sock *req = reqsk_alloc(sk);

	if (!req)
		return NULL;
	req->mss = (u16)mss;
	req->ts_recent = tcp_opt->saw_tstamp ? tcp_opt->rcv_tsval : 0;
	req->snd_wscale = tcp_opt->snd_wscale;
	req->tstamp_ok = tcp_opt->saw_tstamp;
	req->sack_ok = tcp_opt->sack_ok ? 1 : 0;
	req->wscale_ok = tcp_opt->wscale_ok;
	req->ecn_ok = (tcp_opt->rcv_tsecr & TS_OPT_ECN) ? 1 : 0;
	req->ir_loc_addr = ip_hdr(skb)->daddr;
	req->ir_rmt_addr = ip_hdr(skb)->saddr;
	req->ir_num = ntohs(th->dest);
	req->ir_rmt_port = th->source;
	req->rcv_isn = ntohl(th->seq) - 1;
	req->snt_isn = ntohl(th->ack_seq) - 1;
	req->ts_off = tsoff;
	req->syncookie = 1;
	return req;
}

/* Validate the cookie an ACK echoes: a request sock, or NULL (not a
 * cookie: the listener resets it). Counts SyncookiesRecv/Failed. */
static struct request_sock *cookie_tcp_check(struct net *net, struct sock *sk,
					     struct sk_buff *skb)
{
	struct tcp_options_received tcp_opt;
	u32 tsoff = 0;
	int mss;

	if (tcp_synq_no_recent_overflow(sk))
		return NULL;
	mss = __cookie_v4_check(net, ip_hdr(skb), tcp_hdr(skb));
	if (!mss) {
		NET_INC_STATS(net, LINUX_MIB_SYNCOOKIESFAILED);
		return NULL;
	}
	NET_INC_STATS(net, LINUX_MIB_SYNCOOKIESRECV);
	/* Recover the SYN's options from the echoed timestamp; TSecr is
	 * on the offset clock, so remove the offset first. */
	memset(&tcp_opt, 0, sizeof(tcp_opt));
	tcp_parse_options(net, skb, &tcp_opt, 0);
	if (tcp_opt.saw_tstamp && tcp_opt.rcv_tsecr) {
		tsoff = secure_tcp_ts_off(net, ip_hdr(skb)->daddr,
					  ip_hdr(skb)->saddr);
		tcp_opt.rcv_tsecr -= tsoff;
	}
	if (!cookie_timestamp_decode(net, &tcp_opt))
		return NULL;
	return cookie_tcp_reqsk_alloc(sk, skb, &tcp_opt, mss, tsoff);
}

/* No request sock was kept: derive again the receive window and scale
 * the cookie SYN-ACK announced, from the same inputs. */
static void cookie_init_rwin(struct sock *sk, struct request_sock *req)
{
	int full_space = tcp_full_space(sk);
	u8 rcv_wscale = 0;

	req->rsk_window_clamp = tcp_sk(sk)->window_clamp;
	/* A fixed SO_RCVBUF caps the window at what the buffer holds. */
	if ((sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    (req->rsk_window_clamp > (u32)full_space || !req->rsk_window_clamp))
		req->rsk_window_clamp = (u32)full_space;
	tcp_select_initial_window(sk, full_space, req->mss, &req->rsk_rcv_wnd,
				  &req->rsk_window_clamp, req->wscale_ok,
				  &rcv_wscale, 0);
	req->rcv_wscale = rcv_wscale;
}

/* Linux's tcp_get_cookie_sock: the child, queued for accept(2). */
static struct sock *tcp_get_cookie_sock(struct sock *sk, struct sk_buff *skb,
					struct request_sock *req)
{
	struct sock *child = __tcp_v4_syn_recv_sock(sk, skb, req, NULL);

	if (child) {
		if (inet_csk_reqsk_queue_add(sk, req, child))
			return child;
		bh_unlock_sock(child);
		sock_put(child);
	}
	reqsk_put(req);
	return NULL;
}

/**
 * cookie_v4_check - a non-SYN segment for listener @sk: a cookie ACK?
 *
 * Returns @sk (no cookie to check, or not a valid one: the listener
 * processes the segment, which resets an ACK), the new child (locked,
 * referenced, queued for accept; the caller runs tcp_child_process), or
 * NULL when the segment was dropped here (consumed).
 */
struct sock *cookie_v4_check(struct sock *sk, struct sk_buff *skb)
{
	const struct sl_tcphdr *th = tcp_hdr(skb);
	struct net *net = sock_net(sk);
	struct request_sock *req;
	struct sock *ret;

	if (!READ_ONCE(net->ipv4.sysctl_tcp_syncookies) || !th->ack || th->rst)
		return sk;
	req = cookie_tcp_check(net, sk, skb);
	if (!req)
		return sk;
	cookie_init_rwin(sk, req);
	ret = tcp_get_cookie_sock(sk, skb, req);
	if (!ret)
		kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	return ret;
}
