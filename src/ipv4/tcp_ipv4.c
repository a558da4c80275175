/*
 * TCP over IPv4: connection management (Linux's net/ipv4/tcp_ipv4.c).
 *
 * In:   ip_local_deliver_finish -> tcp_v4_rcv: PACKET_HOST, header and
 *       checksum checks, TCP_SKB_CB, lookup (__inet_lookup) ->
 *         TIME_WAIT        -> tcp_timewait_state_process (ACK/RST/new SYN)
 *         NEW_SYN_RECV     -> tcp_check_req -> child -> tcp_child_process
 *         LISTEN           -> tcp_v4_do_rcv (SYN cookies, tcp_conn_request
 *                             through tcp_rcv_state_process)
 *         the rest         -> bh_lock_sock; owned ? sk_add_backlog :
 *                             tcp_v4_do_rcv -> tcp_rcv_established /
 *                             tcp_rcv_state_process
 *       no socket -> tcp_v4_send_reset (RFC 9293 3.10.7.1).
 * Open: tcp_v4_connect (route, inet_hash_connect, ISN, tcp_connect);
 *       tcp_conn_request (SYN to a listener: request sock or SYN cookie,
 *       SYN-ACK) -> tcp_v4_syn_recv_sock (the child on the final ACK).
 * ICMP: tcp_v4_err (RFC 1122 4.2.3.9, RFC 5927, PMTU via tcp_v4_mtu_reduced).
 * Tables: tcp_prot, tcp_protocol, tcp_net_ops.
 */
#include <errno.h>
#include <stdlib.h>

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/inet_connection_sock.h"
#include "sl/inet_hashtables.h"
#include "sl/inet_sock.h"
#include "sl/inet_timewait_sock.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/protocol.h"
#include "sl/route.h"
#include "sl/snmp.h"
#include "sl/tcp.h"

/* MSS of a route: its MTU less the IPv4 and TCP headers. */
static u32 dst_metric_advmss(const struct dst_entry *dst)
{
	u32 mtu = dst_mtu(dst);

	return mtu > 40 + TCP_MIN_MSS ? mtu - 40 : TCP_MIN_MSS;
}

/* TCP_MAXSEG clamps what we advertise (Linux's tcp_mss_clamp). */
static u32 tcp_mss_clamp(const struct tcp_sock *tp, u32 mss)
{
	u16 user_mss = tp->rx_opt.user_mss;

	return (user_mss && user_mss < mss) ? user_mss : mss;
}

/* The cached route's caps for the socket (Linux's sk_setup_caps):
 * large segments when the device carries them. Takes @dst's reference. */
static void sk_setup_caps(struct sock *sk, struct dst_entry *dst)
{
	struct net_device *dev = dst->dev;

	sk_dst_set(sk, dst);
	if (dev && (dev->features & NETIF_F_GSO)) {
		sk->sk_gso_max_size = dev->gso_max_size ? dev->gso_max_size
							: 65536;
		sk->sk_gso_max_segs = 64;
	} else {
		sk->sk_gso_max_size = 0;
		sk->sk_gso_max_segs = 1;
	}
}

/* --- replies without a full socket ------------------------------------------------- */

/* tcp_v4_send_reset and tcp_v4_send_ack (RFC 9293 3.10.7.1 RSTs, bare
 * ACKs for timewait and request socks) are built in tcp_output.c, with
 * the other segment builders. */

/* The ACK a timewait sock sends (re-ACK of a FIN, out-of-window answer);
 * drops the lookup reference. */
static void tcp_v4_timewait_ack(struct sock *sk, struct sk_buff *skb)
{
	struct inet_timewait_sock *tw = inet_twsk(sk);

	tcp_v4_send_ack(sk, skb, tw->tw_snd_nxt, tw->tw_rcv_nxt,
			tw->tw_rcv_wnd >> tw->tw_rcv_wscale,
			tcp_time_stamp_ms(sk) + tw->tw_ts_offset,
			tw->tw_ts_recent, tw->tw_bound_dev_if);
	inet_twsk_put(tw);
}

/* --- active open ------------------------------------------------------------------- */

/*
 * Is @sktw's 4-tuple free for the connect(2) of @sk (Linux's
 * tcp_twsk_unique)? Only with timestamps on the old connection (PAWS then
 * protects the new one from its old duplicates), net.ipv4.tcp_tw_reuse
 * (2: loopback only), and at least a second after its last timestamp.
 * The new connection starts its sequence space above the old one's.
 */
int tcp_twsk_unique(struct sock *sk, struct sock *sktw)
{
	struct inet_timewait_sock *tw = inet_twsk(sktw);
	int reuse = READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_tw_reuse);
	struct tcp_sock *tp = tcp_sk(sk);
	u32 now = (u32)(net_now(sock_net(sk)) / NSEC_PER_SEC);
	u32 seq;

	if (reuse == 2 && !ipv4_is_loopback(tw->tw_daddr) &&
	    !ipv4_is_loopback(tw->tw_rcv_saddr))
		reuse = 0;
	if (!tw->tw_ts_recent_stamp || !reuse ||
	    (s32)(now - tw->tw_ts_recent_stamp) <= 0)
		return 0;
	seq = tw->tw_snd_nxt + 65535 + 2;
	if (!seq)
		seq = 1;
	tp->write_seq = seq;
	tp->rx_opt.ts_recent = tw->tw_ts_recent;
	tp->rx_opt.ts_recent_stamp = tw->tw_ts_recent_stamp;
	return 1;
}

/* The route of a connecting socket; RTN_BROADCAST/MULTICAST refused. */
static struct rtable *tcp_v4_connect_route(struct sock *sk, __be32 daddr,
					   __be16 dport, struct flowi4 *fl4)
{
	struct inet_sock *inet = inet_sk(sk);
	struct rtable *rt;

	memset(fl4, 0, sizeof(*fl4));
	fl4->daddr = daddr;
	fl4->saddr = inet->inet_saddr;
	fl4->flowi4_oif = sk->sk_bound_dev_if;
	fl4->flowi4_proto = IPPROTO_TCP;
	fl4->flowi4_tos = inet->tos;
	fl4->flowi4_mark = sk->sk_mark;
	fl4->fl4_sport = inet->inet_sport;
	fl4->fl4_dport = dport;
	rt = ip_route_output_key(sock_net(sk), fl4);
	if (IS_ERR(rt)) {
		if (PTR_ERR(rt) == -ENETUNREACH)
			IP_INC_STATS(sock_net(sk), IPSTATS_MIB_OUTNOROUTES);
		return rt;
	}
	if (rt->rt_type == RTN_MULTICAST || rt->rt_type == RTN_BROADCAST) {
		ip_rt_put(rt);
		return ERR_PTR(-ENETUNREACH);
	}
	return rt;
}

/**
 * tcp_v4_connect - proto->connect of TCP (the socket is owned)
 *
 * Routes (-ENETUNREACH...), takes the route's source address unless
 * bound, moves to SYN_SENT, picks the source port and hashes the socket
 * (inet_hash_connect, -EADDRNOTAVAIL), sets the ISN (RFC 6528) and the
 * timestamp offset, sends the SYN (tcp_connect) and counts
 * TcpActiveOpens. On error the socket is closed again, the port given
 * back unless bound by the user. -EINVAL for a short address,
 * -EAFNOSUPPORT for another family.
 */
int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	struct sockaddr_in *usin = (struct sockaddr_in *)uaddr;
	struct inet_sock *inet = inet_sk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	struct flowi4 fl4;
	struct rtable *rt;
	__be32 daddr;
	int err;

	if (addr_len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	rt = tcp_v4_connect_route(sk, usin->sin_addr.s_addr, usin->sin_port,
				  &fl4);
	if (IS_ERR(rt))
		return (int)PTR_ERR(rt);
	daddr = fl4.daddr;
	if (!inet->inet_saddr)
		inet->inet_saddr = fl4.saddr;
	inet->inet_rcv_saddr = inet->inet_saddr;
	if (tp->rx_opt.ts_recent_stamp && inet->inet_daddr != daddr) {
		/* A reused socket must not carry sequence or timestamp state
		 * over. */
		tp->rx_opt.ts_recent = 0;
		tp->rx_opt.ts_recent_stamp = 0;
		tp->write_seq = 0;
	}
	inet->inet_dport = usin->sin_port;
	inet->inet_daddr = daddr;
	inet_csk(sk)->icsk_ext_hdr_len = 0;
	tp->rx_opt.mss_clamp = TCP_MSS_DEFAULT;

	/* The source port may not be chosen yet. Entering SYN-SENT while we
	 * keep the socket lock lets inet_hash_connect pick a port and hash us
	 * without another connect slipping in. */
	tcp_set_state(sk, TCP_SYN_SENT);
	err = inet_hash_connect(sk);
	if (err)
		goto failure;
	/* The port is bound and hashed: attach the route to the socket. */
	sk_setup_caps(sk, &rt->dst);
	rt = NULL;
	if (!tp->write_seq)
		tp->write_seq = secure_tcp_seq(net, inet->inet_saddr,
					       inet->inet_daddr,
					       inet->inet_sport, usin->sin_port);
	tp->tsoffset = secure_tcp_ts_off(net, inet->inet_saddr,
					 inet->inet_daddr);
	inet->inet_id = (u16)net_random_u32(net);
	err = tcp_connect(sk);
	if (err)
		goto failure;
	/* RFC 1213 tcpActiveOpens: CLOSED -> SYN-SENT. */
	TCP_INC_STATS(net, TCP_MIB_ACTIVEOPENS);
	return 0;

failure:
	/* Undo the hashing and give back an automatically bound port. */
	tcp_set_state(sk, TCP_CLOSE);
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		inet->inet_saddr = inet->inet_rcv_saddr = 0;
	ip_rt_put(rt);
	sk_dst_reset(sk);
	inet->inet_dport = 0;
	return err;
}

/* --- passive open --------------------------------------------------------------------- */

/* Linux's tcp_synq_overflow: remember when the SYN queue last overflowed
 * (in the listener's unused ts_recent_stamp, as Linux), so that ACKs are
 * checked for cookies for two minutes. */
static void tcp_synq_overflow(struct sock *sk)
{
	u32 now = tcp_time_stamp_ms(sk) | 1;
	u32 last = READ_ONCE(tcp_sk(sk)->rx_opt.ts_recent_stamp);

	if (!last || (s32)(now - last) >= 1000)
		WRITE_ONCE(tcp_sk(sk)->rx_opt.ts_recent_stamp, now);
}

/* No overflow in the last two minutes: no cookie can be valid. */
bool tcp_synq_no_recent_overflow(const struct sock *sk)
{
	u32 last = READ_ONCE(tcp_sk(sk)->rx_opt.ts_recent_stamp);

	return !last || (s32)(tcp_time_stamp_ms(sk) - last) > 120 * 1000;
}

/* Linux's tcp_syn_flood_action: the SYN queue is full. */
static bool tcp_syn_flood_action(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (READ_ONCE(net->ipv4.sysctl_tcp_syncookies)) {
		NET_INC_STATS(net, LINUX_MIB_TCPREQQFULLDOCOOKIES);
		return true;
	}
	NET_INC_STATS(net, LINUX_MIB_TCPREQQFULLDROP);
	return false;
}

/* The request's identity from the SYN (Linux's tcp_openreq_init and
 * tcp_v4_init_req). */
static void tcp_openreq_init(struct request_sock *req,
			     const struct tcp_options_received *rx_opt,
			     struct sk_buff *skb)
{
	const struct sl_tcphdr *th = tcp_hdr(skb);

	req->rsk_rcv_wnd = 0;
	req->rcv_isn = TCP_SKB_CB(skb)->seq;
	req->snt_synack = 0;
	req->last_oow_ack_time = 0;
	req->mss = rx_opt->mss_clamp;
	req->ts_recent = rx_opt->saw_tstamp ? rx_opt->rcv_tsval : 0;
	req->tstamp_ok = rx_opt->tstamp_ok;
	req->sack_ok = rx_opt->sack_ok ? 1 : 0;
	req->snd_wscale = rx_opt->snd_wscale;
	req->wscale_ok = rx_opt->wscale_ok;
	req->acked = 0;
	req->ecn_ok = 0;
	req->ir_rmt_port = th->source;
	req->ir_num = ntohs(th->dest);
	req->ir_loc_addr = ip_hdr(skb)->daddr;
	req->ir_rmt_addr = ip_hdr(skb)->saddr;
}

/* The route a request's replies take (Linux's inet_csk_route_req). */
static struct rtable *inet_csk_route_req(const struct sock *sk,
					 const struct request_sock *req)
{
	struct flowi4 fl4 = {
		.flowi4_oif = sk->sk_bound_dev_if,
		.flowi4_proto = IPPROTO_TCP,
		.flowi4_mark = sk->sk_mark,
		.saddr = req->ir_loc_addr,
		.daddr = req->ir_rmt_addr,
		.fl4_sport = htons(req->ir_num),
		.fl4_dport = req->ir_rmt_port,
	};
	struct rtable *rt = ip_route_output_key(sock_net(sk), &fl4);

	return IS_ERR(rt) ? NULL : rt;
}

/* Linux's tcp_openreq_init_rwin: the window and scale the SYN-ACK offers. */
static void tcp_openreq_init_rwin(struct request_sock *req,
				  const struct sock *sk_listener,
				  const struct dst_entry *dst)
{
	const struct tcp_sock *tp = tcp_sk(sk_listener);
	int full_space = tcp_full_space(sk_listener);
	u32 mss = tcp_mss_clamp(tp, dst_metric_advmss(dst));
	u8 rcv_wscale = 0;

	req->rsk_window_clamp = tp->window_clamp;
	/* SO_RCVBUF set on the listener bounds the offered window. */
	if ((sk_listener->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    (req->rsk_window_clamp > (u32)full_space || !req->rsk_window_clamp))
		req->rsk_window_clamp = (u32)full_space;
	tcp_select_initial_window(sk_listener, full_space,
				  mss - (req->tstamp_ok ? TCPOLEN_TSTAMP_ALIGNED
							: 0),
				  &req->rsk_rcv_wnd, &req->rsk_window_clamp,
				  req->wscale_ok, &rcv_wscale, 0);
	req->rcv_wscale = rcv_wscale;
}

/* Cookie mode: encode the ISN (and the options in the timestamp), send
 * the SYN-ACK, keep no state. */
static void tcp_conn_request_cookie(struct sock *sk, struct sk_buff *skb,
				    struct request_sock *req)
{
	u16 mss = req->mss;

	req->snt_isn = cookie_v4_init_sequence(skb, &mss);
	req->mss = mss;
	req->syncookie = 1;
	tcp_synq_overflow(sk);
	NET_INC_STATS(sock_net(sk), LINUX_MIB_SYNCOOKIESSENT);
	/* With timestamps the options go in the TSval's low bits; the
	 * SYN-ACK encodes them once (tcp_make_synack calls
	 * cookie_init_timestamp) and ts_off stays the per-flow offset the
	 * cookie ACK's check subtracts again. */
	if (!req->tstamp_ok)
		req->ecn_ok = 0;
	tcp_send_synack(sk, req);
}

/**
 * tcp_conn_request - a SYN for listener @sk (RFC 9293 3.10.7.2)
 *
 * SYN queue full (or tcp_syncookies=2): answer with a SYN cookie when
 * tcp_syncookies allows (TCPReqQFullDoCookies, SyncookiesSent), else drop
 * (TCPReqQFullDrop). Accept queue full: drop (ListenOverflows). Otherwise
 * a request sock in ehash with the SYN's options, ISN secure_tcp_seq (or
 * the one TIME_WAIT chose), the SYN-ACK (tcp_send_synack) and its
 * retransmission timer. Every drop counts ListenDrops. Returns 0; the
 * caller still owns and frees @skb.
 */
int tcp_conn_request(struct sock *sk, struct sk_buff *skb)
{
	struct tcp_options_received tmp_opt;
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);
	u32 isn = TCP_SKB_CB(skb)->tcp_tw_isn;
	int syncookies = READ_ONCE(net->ipv4.sysctl_tcp_syncookies);
	int max_syn_backlog = READ_ONCE(net->ipv4.sysctl_max_syn_backlog);
	struct request_sock *req;
	bool want_cookie = false;
	struct rtable *rt;

	if ((syncookies == 2 || inet_csk_reqsk_queue_is_full(sk)) && !isn) {
		want_cookie = tcp_syn_flood_action(sk);
		if (!want_cookie)
			goto drop;
	}
	if (sk_acceptq_is_full(sk)) {
		NET_INC_STATS(net, LINUX_MIB_LISTENOVERFLOWS);
		goto drop;
	}
	req = reqsk_alloc(sk);
	if (!req)
		goto drop;

	memset(&tmp_opt, 0, sizeof(tmp_opt));
	tmp_opt.mss_clamp = TCP_MSS_DEFAULT;
	tmp_opt.user_mss = tp->rx_opt.user_mss;
	tcp_parse_options(net, skb, &tmp_opt, 0);
	if (want_cookie && !tmp_opt.saw_tstamp) {
		/* tcp_clear_options: no room for options without TS */
		tmp_opt.tstamp_ok = tmp_opt.sack_ok = tmp_opt.wscale_ok = 0;
		tmp_opt.snd_wscale = 0;
	}
	tmp_opt.tstamp_ok = tmp_opt.saw_tstamp;
	tcp_openreq_init(req, &tmp_opt, skb);

	rt = inet_csk_route_req(sk, req);
	if (!rt)
		goto drop_and_free;
	if (tmp_opt.tstamp_ok)
		req->ts_off = secure_tcp_ts_off(net, ip_hdr(skb)->daddr,
						ip_hdr(skb)->saddr);
	if (!want_cookie && !isn) {
		/* Without cookies, Linux keeps the last quarter of the backlog
		 * for peers known to be alive; we keep no metrics, so none
		 * qualify. */
		if (!syncookies &&
		    max_syn_backlog - inet_csk_reqsk_queue_len(sk) <
			    (max_syn_backlog >> 2))
			goto drop_and_release;
		isn = secure_tcp_seq(net, ip_hdr(skb)->daddr, ip_hdr(skb)->saddr,
				     tcp_hdr(skb)->dest, tcp_hdr(skb)->source);
	}
	req->snt_isn = isn;
	tcp_openreq_init_rwin(req, sk, &rt->dst);
	ip_rt_put(rt);

	if (want_cookie) {
		tcp_conn_request_cookie(sk, skb, req);
		reqsk_put(req);
		return 0;
	}
	req->snt_synack = tcp_clock_us(sk);
	if (!inet_csk_reqsk_queue_hash_add(sk, req,
					   (u64)TCP_TIMEOUT_INIT * NSEC_PER_USEC)) {
		reqsk_put(req);
		return 0;
	}
	tcp_send_synack(sk, req);
	reqsk_put(req);
	return 0;

drop_and_release:
	ip_rt_put(rt);
drop_and_free:
	reqsk_put(req);
drop:
	NET_INC_STATS(net, LINUX_MIB_LISTENDROPS);
	return 0;
}

/* The child's route (Linux's inet_csk_route_child_sock). */
static struct rtable *inet_csk_route_child_sock(const struct sock *sk,
						const struct request_sock *req)
{
	return inet_csk_route_req(sk, req);
}

/* A child that cannot live (no port, 4-tuple taken): close and free it.
 * Locked, two references, none of them left afterwards. */
static void tcp_v4_forced_close(struct sock *newsk)
{
	newsk->sk_state = TCP_CLOSE;
	sock_set_flag(newsk, SOCK_DEAD);
	inet_csk_destroy_sock(newsk);
	bh_unlock_sock(newsk);
	sock_put(newsk);
}

/**
 * __tcp_v4_syn_recv_sock - the child socket for a completed handshake
 * @req_unhash: the request sock the child replaces in ehash, or NULL
 *              (SYN cookies: no request was hashed)
 *
 * Accept queue full: NULL (ListenOverflows). Otherwise a child cloned
 * from the listener with @req's addresses, route, MSS, port and options,
 * in ehash; returned locked with two references. Every NULL counts
 * ListenDrops.
 */
struct sock *__tcp_v4_syn_recv_sock(const struct sock *sk, struct sk_buff *skb,
				    struct request_sock *req,
				    struct request_sock *req_unhash)
{
	struct net *net = sock_net(sk);
	struct inet_sock *newinet;
	struct tcp_sock *newtp;
	struct rtable *rt;
	struct sock *newsk;

	if (sk_acceptq_is_full(sk)) {
		NET_INC_STATS(net, LINUX_MIB_LISTENOVERFLOWS);
		goto exit;
	}
	rt = inet_csk_route_child_sock(sk, req);
	if (!rt)
		goto exit;
	newsk = tcp_create_openreq_child(sk, req, skb);
	if (!newsk) {
		ip_rt_put(rt);
		goto exit;
	}
	newtp = tcp_sk(newsk);
	newinet = inet_sk(newsk);
	newinet->inet_daddr = req->ir_rmt_addr;
	newinet->inet_rcv_saddr = req->ir_loc_addr;
	newinet->inet_saddr = req->ir_loc_addr;
	newinet->mc_index = skb->dev ? skb->dev->ifindex : 0;
	newinet->mc_ttl = ip_hdr(skb)->ttl;
	newinet->rcv_tos = ip_hdr(skb)->tos;
	inet_csk(newsk)->icsk_ext_hdr_len = 0;
	newinet->inet_id = (u16)net_random_u32(net);

	sk_setup_caps(newsk, &rt->dst);
	tcp_sync_mss(newsk, dst_mtu(&rt->dst));
	newtp->advmss = tcp_mss_clamp(tcp_sk(sk), dst_metric_advmss(&rt->dst));
	tcp_initialize_rcv_mss(newsk);

	if (__inet_inherit_port(sk, newsk) < 0 ||
	    !inet_ehash_nolisten(newsk, (struct sock *)req_unhash)) {
		tcp_v4_forced_close(newsk);
		goto exit;
	}
	return newsk;
exit:
	NET_INC_STATS(net, LINUX_MIB_LISTENDROPS);
	return NULL;
}

/* tcp_check_req's child: it takes @req's place in ehash. */
struct sock *tcp_v4_syn_recv_sock(const struct sock *sk, struct sk_buff *skb,
				  struct request_sock *req)
{
	return __tcp_v4_syn_recv_sock(sk, skb, req, req);
}

/* --- receive ---------------------------------------------------------------------- */

/* A segment for a listener that is not a SYN may carry a SYN cookie. */
static struct sock *tcp_v4_cookie_check(struct sock *sk, struct sk_buff *skb)
{
	if (!tcp_hdr(skb)->syn)
		sk = cookie_v4_check(sk, skb);
	return sk;
}

/**
 * tcp_v4_do_rcv - a segment for a full socket (sk->sk_backlog_rcv)
 *
 * Softirq with bh_lock_sock held and the socket not owned, or
 * release_sock's backlog run. ESTABLISHED -> tcp_rcv_established; a
 * listener checks SYN cookies first; every other state ->
 * tcp_rcv_state_process, whose non-zero answer means "reset". Consumes
 * @skb; returns 0.
 */
int tcp_v4_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct sock *rsk, *nsk;

	if (sk->sk_state == TCP_ESTABLISHED) { /* the common case */
		tcp_rcv_established(sk, skb);
		/* Quiescent again: give the transfer state back. */
		tcp_xfer_put_idle(sk);
		return 0;
	}
	if (sk->sk_state == TCP_LISTEN) {
		nsk = tcp_v4_cookie_check(sk, skb);
		if (!nsk)
			return 0;    /* dropped by cookie_v4_check */
		if (nsk != sk) {
			if (tcp_child_process(sk, nsk, skb)) {
				rsk = nsk;
				goto reset;
			}
			return 0;
		}
	}
	if (tcp_rcv_state_process(sk, skb)) {
		rsk = sk;
		goto reset;
	}
	tcp_xfer_put_idle(sk);
	return 0;

reset:
	tcp_v4_send_reset(rsk, skb);
	kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
	return 0;
}

/* Linux's tcp_v4_fill_cb: the header's numbers into TCP_SKB_CB (it
 * overlays IPCB, so the input interface moves first). */
static void tcp_v4_fill_cb(struct sk_buff *skb, const struct iphdr *iph,
			   const struct sl_tcphdr *th)
{
	struct tcp_skb_cb *tcb = TCP_SKB_CB(skb);
	int iif = IPCB(skb)->iif;

	memset(tcb, 0, sizeof(*tcb));
	tcb->seq = ntohl(th->seq);
	tcb->end_seq = tcb->seq + th->syn + th->fin + skb->len - th->doff * 4u;
	tcb->ack_seq = ntohl(th->ack_seq);
	tcb->tcp_flags = tcp_flag_byte(th);
	tcb->ip_dsfield = iph->tos;
	tcb->iif = iif ? iif : (skb->dev ? skb->dev->ifindex : 0);
}

/* RFC 9293 3.1 / RFC 1122 4.2.2.7: the checksum covers the pseudo
 * header, the header and the data. Segments a local device produced or
 * verified need no sum. */
static bool tcp_v4_csum_ok(const struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);

	if (skb->ip_summed == CHECKSUM_UNNECESSARY ||
	    skb->ip_summed == CHECKSUM_PARTIAL)
		return true;
	return csum_tcpudp_magic(iph->saddr, iph->daddr, skb->len, IPPROTO_TCP,
				 csum_partial(skb->data, skb->len, 0)) == 0;
}

/* Linux's tcp_segs_in. */
static void tcp_segs_in(struct tcp_sock *tp, const struct sk_buff *skb)
{
	u16 segs = skb_shinfo(skb)->gso_segs ? skb_shinfo(skb)->gso_segs : 1;

	tp->segs_in += segs;
	if (skb->len > tcp_hdr(skb)->doff * 4u)
		TCP_EXT_ADD((struct sock *)tp, data_segs_in, segs);
}

/* Linux's tcp_add_backlog: queue for the owner; the limit leaves room
 * for a full receive buffer plus what the sender may have in flight. */
static bool tcp_add_backlog(struct sock *sk, struct sk_buff *skb)
{
	u32 limit = (u32)READ_ONCE(sk->sk_rcvbuf) +
		    (u32)READ_ONCE(sk->sk_sndbuf) + 64 * 1024;

	if (sk_add_backlog(sk, skb, limit)) {
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPBACKLOGDROP);
		return true;   /* dropped (consumed) */
	}
	return false;
}

/* A full socket (not a listener): process now or leave to its owner. */
static int tcp_v4_rcv_established(struct sock *sk, struct sk_buff *skb)
{
	int ret = 0;

	bh_lock_sock(sk);
	tcp_segs_in(tcp_sk(sk), skb);
	if (!sock_owned_by_user(sk))
		ret = tcp_v4_do_rcv(sk, skb);
	else
		tcp_add_backlog(sk, skb);
	bh_unlock_sock(sk);
	return ret;
}

/*
 * A segment for a request sock (SYN_RECV). Returns the listener to
 * process it with (referenced), or NULL when handled here (skb consumed).
 * *relookup: the listener went away, look the 4-tuple up again.
 */
static struct sock *tcp_v4_rcv_req(struct sock *sk, struct sk_buff *skb,
				   bool *relookup)
{
	struct request_sock *req = inet_reqsk(sk);
	struct sock *listener = req->rsk_listener;
	struct sock *nsk;

	*relookup = false;
	if (listener->sk_state != TCP_LISTEN) {
		inet_csk_reqsk_queue_drop_and_put(listener, req);
		*relookup = true;
		return NULL;
	}
	sock_hold(listener);
	nsk = tcp_check_req(listener, skb, req);
	if (!nsk) {
		reqsk_put(req);
		kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
		sock_put(listener);
		return NULL;
	}
	if (nsk == listener) {
		reqsk_put(req);
		return listener;
	}
	if (tcp_child_process(listener, nsk, skb)) {
		tcp_v4_send_reset(nsk, skb);
		kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
	}
	sock_put(listener);
	return NULL;
}

/*
 * A segment for a timewait sock. Returns a listener (referenced) when a
 * new SYN reopens the 4-tuple (the ISN to use is in TCP_SKB_CB's
 * tcp_tw_isn), else NULL with @skb consumed.
 */
static struct sock *tcp_v4_rcv_tw(struct sock *sk, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct sl_tcphdr *th = tcp_hdr(skb);
	struct inet_timewait_sock *tw = inet_twsk(sk);
	struct sock *sk2;
	u32 isn = 0;

	switch (tcp_timewait_state_process(tw, skb, th, &isn)) {
	case TCP_TW_SYN:
		sk2 = __inet_lookup_listener(sock_net(sk),
					     tcp_hashinfo(sock_net(sk)),
					     iph->saddr, th->source, iph->daddr,
					     ntohs(th->dest), TCP_SKB_CB(skb)->iif);
		if (sk2) {
			inet_twsk_deschedule_put(tw);
			TCP_SKB_CB(skb)->tcp_tw_isn = isn;
			return sk2;
		}
		/* to ACK */
		__attribute__((fallthrough));
	case TCP_TW_ACK:
		tcp_v4_timewait_ack(sk, skb);
		break;
	case TCP_TW_RST:
		tcp_v4_send_reset(sk, skb);
		inet_twsk_deschedule_put(tw);
		break;
	case TCP_TW_SUCCESS:
		break;
	}
	consume_skb(skb);
	return NULL;
}

/* No socket: RFC 9293 3.10.7.1, answer with a RST. */
static int tcp_v4_no_socket(struct sk_buff *skb)
{
	tcp_v4_send_reset(NULL, skb);
	kfree_skb_reason(skb, SKB_DROP_REASON_NO_SOCKET);
	return 0;
}

/* Header checks: PACKET_HOST, a whole header (doff >= 5, within the
 * segment), a valid checksum. Counters as Linux; false = @skb dropped. */
static bool tcp_v4_rcv_validate(struct net *net, struct sk_buff *skb)
{
	const struct sl_tcphdr *th;

	if (skb->pkt_type != PACKET_HOST) {
		kfree_skb_reason(skb, SKB_DROP_REASON_OTHERHOST);
		return false;
	}
	/* InSegs counts every segment, valid or not. */
	TCP_INC_STATS(net, TCP_MIB_INSEGS);
	if (!pskb_may_pull(skb, sizeof(struct sl_tcphdr))) {
		kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
		return false;
	}
	th = tcp_hdr(skb);
	if (th->doff < sizeof(struct sl_tcphdr) / 4 ||
	    !pskb_may_pull(skb, th->doff * 4u)) {
		TCP_INC_STATS(net, TCP_MIB_INERRS);
		kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_SMALL);
		return false;
	}
	/* RFC 1122 4.2.2.7: silently discard a segment with a bad checksum. */
	if (!tcp_v4_csum_ok(skb)) {
		TCP_INC_STATS(net, TCP_MIB_INCSUMERRORS);
		TCP_INC_STATS(net, TCP_MIB_INERRS);
		kfree_skb_reason(skb, SKB_DROP_REASON_TCP_CSUM);
		return false;
	}
	return true;
}

/**
 * tcp_v4_rcv - inet_protos handler for IPPROTO_TCP
 *
 * skb->data at the TCP header. Validates, fills TCP_SKB_CB, finds the
 * socket and dispatches (see the file head). Softirq. Consumes @skb on
 * every path; returns 0.
 */
int tcp_v4_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct inet_hashinfo *h = tcp_hashinfo(net);
	const struct sl_tcphdr *th;
	const struct iphdr *iph;
	bool relookup;
	struct sock *sk;

	skb_trace(skb);
	skb_reset_transport_header(skb);
	if (!tcp_v4_rcv_validate(net, skb))
		return 0;
	th = tcp_hdr(skb);
	iph = ip_hdr(skb);
	tcp_v4_fill_cb(skb, iph, th);
lookup:
	sk = __inet_lookup(net, h, iph->saddr, th->source, iph->daddr,
			   th->dest, TCP_SKB_CB(skb)->iif);
	if (!sk)
		return tcp_v4_no_socket(skb);
process:
	if (sk->sk_state == TCP_TIME_WAIT) {
		sk = tcp_v4_rcv_tw(sk, skb);
		if (!sk)
			return 0;
		goto process;
	}
	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		sk = tcp_v4_rcv_req(sk, skb, &relookup);
		if (relookup)
			goto lookup;
		if (!sk)
			return 0;
	}
	if (inet_sk(sk)->min_ttl > iph->ttl) {
		NET_INC_STATS(net, LINUX_MIB_TCPMINTTLDROP);
		kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
		sock_put(sk);
		return 0;
	}
	if (sk->sk_state == TCP_LISTEN) {
		/* the listener path needs the device's stack (cookies) */
		tcp_v4_do_rcv(sk, skb);
	} else {
		/* queued skbs must not point at a device that may go */
		skb->dev = NULL;
		tcp_v4_rcv_established(sk, skb);
	}
	sock_put(sk);
	return 0;
}

/* --- ICMP errors ------------------------------------------------------------------ */

/**
 * tcp_v4_mtu_reduced - apply tp->ext->mtu_info (ICMP fragmentation needed)
 *
 * RFC 1191: the route learns the smaller path MTU; when it is below what
 * the MSS was built for, tcp_sync_mss shrinks the MSS and the lost
 * segment goes again at once (Linux's "fast" PMTU discovery). The socket
 * is owned or locked.
 */
void tcp_v4_mtu_reduced(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	struct net *net = sock_net(sk);
	struct dst_entry *dst;
	struct rtable *rt;
	struct flowi4 fl4;
	u32 mtu;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		return;
	mtu = READ_ONCE(tcp_sk(sk)->ext->mtu_info);
	ipv4_update_pmtu(net, inet->inet_daddr, mtu);
	sk_dst_reset(sk);
	rt = tcp_v4_connect_route(sk, inet->inet_daddr, inet->inet_dport, &fl4);
	if (IS_ERR(rt))
		return;
	dst = &rt->dst;
	dst_hold(dst);
	sk_dst_set(sk, dst);
	/* Record a soft error: reported only if the connection later fails. */
	if (mtu < dst_mtu(dst) && inet->pmtudisc != IP_PMTUDISC_DONT)
		sk->sk_err_soft = EMSGSIZE;
	mtu = dst_mtu(dst);
	if (inet->pmtudisc != IP_PMTUDISC_DONT &&
	    inet_csk(sk)->icsk_pmtu_cookie > mtu) {
		tcp_sync_mss(sk, mtu);
		tcp_simple_retransmit(sk);
	}
	ip_rt_put(rt);
}

/* An ICMP error about a SYN-ACK of a request sock (Linux's tcp_req_err):
 * hard errors drop the request silently (accept(2) reports no network
 * errors). Drops the lookup reference. */
static void tcp_req_err(struct sock *sk, u32 seq, bool abort)
{
	struct request_sock *req = inet_reqsk(sk);
	struct net *net = sock_net(sk);

	if (seq != req->snt_isn) {
		NET_INC_STATS(net, LINUX_MIB_OUTOFWINDOWICMPS);
	} else if (abort) {
		inet_csk_reqsk_queue_drop(req->rsk_listener, req);
		NET_INC_STATS(net, LINUX_MIB_LISTENDROPS);
	}
	reqsk_put(req);
}

/* Which errno an ICMP error gives; -1 to ignore it. Frag-needed handled
 * by the caller. */
static int tcp_v4_icmp_errno(int type, int code)
{
	bool fatal;

	switch (type) {
	case ICMP_SOURCE_QUENCH:          /* RFC 6633: ignore */
		return -1;
	case ICMP_PARAMETERPROB:
		return EPROTO;
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH)
			return -1;
		return icmp_err_convert(type, code, &fatal);
	case ICMP_TIME_EXCEEDED:
		return EHOSTUNREACH;
	default:
		return -1;
	}
}

/* Deliver @err to a full socket (bh_lock_sock held). */
static void tcp_v4_err_deliver(struct sock *sk, struct sk_buff *skb,
			       const struct sl_tcphdr *th, int err, u32 info)
{
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		/* RFC 1122 4.2.3.9 leaves a choice; Linux aborts a connection
		 * attempt on any error: ECONNREFUSED for port unreachable. */
		ip_icmp_error(sk, skb, err, th->dest, info, (const u8 *)th);
		if (!sock_owned_by_user(sk)) {
			sk->sk_err = err;
			sk->sk_error_report(sk);
			tcp_done(sk);
		} else {
			sk->sk_err_soft = err;
		}
		return;
	}
	/* RFC 1122 4.2.3.9: an established connection only records a soft
	 * error (reported on timeout), unless IP_RECVERR asks for all. */
	if (!sock_owned_by_user(sk) && inet_sk(sk)->recverr) {
		sk->sk_err = err;
		sk->sk_error_report(sk);
	} else {
		sk->sk_err_soft = err;
	}
}

/* ICMP fragmentation needed for a connection: PMTU now or when released. */
static void tcp_v4_err_frag_needed(struct sock *sk, u32 info)
{
	/* tcp_ext keeps it: without memory, the ICMP is lost. */
	if (sk->sk_state == TCP_LISTEN || !tcp_ext_get(sk))
		return;
	WRITE_ONCE(tcp_sk(sk)->ext->mtu_info, info);
	if (!sock_owned_by_user(sk)) {
		tcp_v4_mtu_reduced(sk);
	} else if (!(__atomic_fetch_or(&tcp_sk(sk)->tsq_flags,
				       TCPF_MTU_REDUCED_DEFERRED,
				       __ATOMIC_RELAXED) &
		     TCPF_MTU_REDUCED_DEFERRED)) {
		sock_hold(sk);
	}
}

/**
 * tcp_v4_err - err_handler: an ICMP error quoting one of our segments
 * @skb: data at the quoted IP header (8 bytes of TCP header present)
 * @info: the next-hop MTU for fragmentation needed
 *
 * The quoted sequence number must lie in snd_una..snd_nxt (RFC 5927 4.1,
 * else OutOfWindowIcmps). Connection attempts abort on any error; an
 * established connection keeps a soft error (RFC 1122 4.2.3.9);
 * fragmentation needed updates the path MTU (RFC 1191). Does not consume.
 */
int tcp_v4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const struct sl_tcphdr *th =
		(const struct sl_tcphdr *)(skb->data + iph->ihl * 4u);
	const int type = icmp_hdr(skb)->type;
	const int code = icmp_hdr(skb)->code;
	struct net *net = dev_net(skb->dev);
	struct tcp_sock *tp;
	struct sock *sk;
	u32 seq;
	int err;

	sk = __inet_lookup_established(net, tcp_hashinfo(net), iph->daddr,
				       th->dest, iph->saddr, ntohs(th->source),
				       skb->dev->ifindex);
	if (!sk) {
		ICMP_INC_STATS(net, ICMP_MIB_INERRORS);
		return -ENOENT;
	}
	if (sk->sk_state == TCP_TIME_WAIT) {
		inet_twsk_put(inet_twsk(sk));
		return 0;
	}
	seq = ntohl(th->seq);
	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		tcp_req_err(sk, seq,
			    type == ICMP_PARAMETERPROB ||
				    type == ICMP_TIME_EXCEEDED ||
				    (type == ICMP_DEST_UNREACH &&
				     (code == ICMP_NET_UNREACH ||
				      code == ICMP_HOST_UNREACH)));
		return 0;
	}
	bh_lock_sock(sk);
	/* The ICMP is dropped while the socket is owned; on busy servers this
	 * could lose useful errors. */
	if (sock_owned_by_user(sk) &&
	    !(type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED))
		NET_INC_STATS(net, LINUX_MIB_LOCKDROPPEDICMPS);
	if (sk->sk_state == TCP_CLOSE)
		goto out;
	tp = tcp_sk(sk);
	if (sk->sk_state != TCP_LISTEN &&
	    !between(seq, tp->snd_una, tp->snd_nxt)) {
		NET_INC_STATS(net, LINUX_MIB_OUTOFWINDOWICMPS);
		goto out;
	}
	if (type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED) {
		tcp_v4_err_frag_needed(sk, info);
		goto out;
	}
	err = tcp_v4_icmp_errno(type, code);
	if (err > 0)
		tcp_v4_err_deliver(sk, skb, th, err, info);
out:
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}

/* --- struct proto ------------------------------------------------------------------ */

/* proto->init: io's tcp_init_sock does the generic part. */
static int tcp_v4_init_sock(struct sock *sk)
{
	tcp_init_sock(sk);
	return 0;
}

/**
 * tcp_v4_destroy_sock - proto->destroy: timers, congestion control,
 * queues and the port of a TCP socket that is going away
 */
void tcp_v4_destroy_sock(struct sock *sk)
{
	tcp_clear_xmit_timers(sk);
	tcp_cleanup_congestion_control(sk);
	/* free unsent and unacknowledged data */
	tcp_write_queue_purge(sk);
	/* free data held out of order (normally none by now) */
	tcp_xfer_free(sk);
	/* release the bound port */
	if (inet_csk(sk)->icsk_bind_hash)
		inet_put_port(sk);
}

struct proto tcp_prot = {
	.name = "TCP",
	.close = tcp_close,
	.connect = tcp_v4_connect,
	.disconnect = tcp_disconnect,
	.accept = inet_csk_accept,
	.ioctl = tcp_ioctl,
	.init = tcp_v4_init_sock,
	.destroy = tcp_v4_destroy_sock,
	.shutdown = tcp_shutdown,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.backlog_rcv = tcp_v4_do_rcv,
	.release_cb = tcp_release_cb,
	.keepalive = tcp_set_keepalive,
	.hash = inet_hash,
	.unhash = inet_unhash,
	.get_port = inet_csk_get_port,
	.obj_size = sizeof(struct tcp_sock),
	.max_header = MAX_TCP_HEADER,
};

const struct net_protocol tcp_protocol = {
	.handler = tcp_v4_rcv,
	.err_handler = tcp_v4_err,
	.no_policy = 1,
};

/* --- per stack --------------------------------------------------------------------- */

static int tcp_sk_init(struct net *net)
{
	struct inet_hashinfo *h = inet_hashinfo_create();

	if (!h)
		return -ENOMEM;
	h->hash_secret = net_random_u32(net);
	net->ipv4.tcp_isn_key[0] = net_random_u64(net);
	net->ipv4.tcp_isn_key[1] = net_random_u64(net);
	net->ipv4.tcp_hashinfo = h;
	return 0;
}

/* The next full socket still in ehash, referenced. */
static struct sock *tcp_next_full_sock(struct inet_hashinfo *h, u32 bucket)
{
	struct sock *sk, *found = NULL;

	read_lock(&h->ehash[bucket].lock);
	hlist_for_each_entry(sk, &h->ehash[bucket].chain, sk_node) {
		if (sk->sk_state != TCP_TIME_WAIT &&
		    sk->sk_state != TCP_NEW_SYN_RECV) {
			sock_hold(sk);
			found = sk;
			break;
		}
	}
	rwlock_unlock(&h->ehash[bucket].lock);
	return found;
}

/* Stack teardown: every descriptor is closed; what is left are orphans
 * finishing their close. They end now, as on a namespace's exit. */
static void tcp_sk_exit_orphans(struct inet_hashinfo *h)
{
	struct sock *sk;
	u32 i;

	for (i = 0; i <= h->ehash_mask; i++) {
		while ((sk = tcp_next_full_sock(h, i)) != NULL) {
			bh_lock_sock(sk);
			tcp_done(sk);
			bh_unlock_sock(sk);
			if (sk_hashed(sk))
				inet_unhash(sk);
			sock_put(sk);
		}
	}
}

static void tcp_sk_exit(struct net *net)
{
	struct inet_hashinfo *h = net->ipv4.tcp_hashinfo;

	if (!h)
		return;
	inet_csk_reqsk_purge(h, NULL);
	inet_twsk_purge(h);
	tcp_sk_exit_orphans(h);
	inet_hashinfo_destroy(h);
	net->ipv4.tcp_hashinfo = NULL;
	tcp_xfer_cache_exit(net);
}

const struct pernet_operations tcp_net_ops = {
	.name = "tcp",
	.init = tcp_sk_init,
	.exit = tcp_sk_exit,
};
