/*
 * TCP socket calls (RFC 9293 3.10 "User/TCP interface"), as Linux's
 * net/ipv4/tcp.c.
 *
 * Lifetime: inet_create -> tcp_v4_init_sock -> tcp_init_sock (CLOSE, RTO
 *           1 s, cwnd 10, buffers from tcp_wmem[1]/tcp_rmem[1], nothing
 *           allocated) ... tcp_close (RFC 2525 RST on unread data, linger,
 *           FIN via tcp_close_state + tcp_send_fin, orphan until the
 *           protocol finishes) -> tcp_done / inet_csk_destroy_sock.
 * Send:     tcp_sendmsg -> sk_stream_wait_connect -> copy (checksum folded
 *           into the copy when the device has no HW_CSUM) into skbs of the
 *           size goal (MSS, or ~64 KiB on GSO routes) appended to
 *           sk_write_queue -> tcp_push (PSH on the last, MSG_MORE/TCP_CORK
 *           hold back) -> __tcp_push_pending_frames (tcp_output.c); waits
 *           for room with sk_stream_wait_memory.
 * Receive:  tcp_queue_rcv (softirq or backlog: header pulled, queued,
 *           rcv_nxt advanced) -> sk_data_ready ... tcp_recvmsg (copies
 *           from copied_seq, MSG_PEEK/WAITALL/TRUNC/OOB, SO_RCVLOWAT,
 *           waits with sk_wait_data) -> tcp_rcv_space_adjust ->
 *           tcp_cleanup_rbuf (window update ACK).
 * Also:     tcp_poll, tcp_ioctl (SIOCINQ/SIOCOUTQ/SIOCOUTQNSD/SIOCATMARK),
 *           tcp_setsockopt/tcp_getsockopt (SOL_TCP; other levels go to
 *           ip_setsockopt), tcp_get_info (struct tcp_info), tcp_shutdown,
 *           tcp_disconnect, tcp_set_state, tcp_done.
 *
 * Context: socket calls run in process context and own the socket
 * (lock_sock); tcp_queue_rcv runs with the socket bh-locked or owned.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "sl/checksum.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/snmp.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/tcp.h"
#include "sl/uio.h"

#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))

/* tp->ext->urg_data: the urgent byte and its state (Linux's TCP_URG_*). */
#define TCP_URG_VALID 0x0100
#define TCP_URG_NOTYET 0x0200
#define TCP_URG_READ 0x0400

/* Linux's limits of the socket options. */
#define MAX_TCP_KEEPIDLE 32767
#define MAX_TCP_KEEPINTVL 32767
#define MAX_TCP_KEEPCNT 127
#define MAX_TCP_SYNCNT 127
#define TCP_FIN_TIMEOUT_MAX_S 120
#define SOCK_MIN_RCVBUF 2304
#define TCP_PINGPONG_THRESH 1

#ifndef SOL_TCP
#define SOL_TCP IPPROTO_TCP
#endif

/* --- small helpers ------------------------------------------------------------ */

static inline bool tcp_rtx_and_write_queues_empty(const struct sock *sk)
{
	return skb_queue_empty(&sk->sk_write_queue) &&
	       skb_queue_empty(&tcp_sk(sk)->xfer->tcp_rtx_queue);
}

static inline void sk_set_nospace(struct sock *sk)
{
	struct socket *sock = READ_ONCE(sk->sk_socket);

	if (sock)
		__atomic_fetch_or(&sock->flags, 1U << SOCK_NOSPACE,
				  __ATOMIC_RELAXED);
}

static inline void sk_clear_nospace(struct sock *sk)
{
	struct socket *sock = READ_ONCE(sk->sk_socket);

	if (sock)
		__atomic_fetch_and(&sock->flags, ~(1U << SOCK_NOSPACE),
				   __ATOMIC_RELAXED);
}

/* TCP_NOTSENT_LOWAT, else the stack's sysctl (UINT_MAX: no limit). */
static u32 tcp_notsent_lowat(const struct tcp_sock *tp)
{
	u32 v = READ_ONCE(tp->ext->notsent_lowat);

	return v ? v : READ_ONCE(sock_net((const struct sock *)tp)
					 ->ipv4.sysctl_tcp_notsent_lowat);
}

/* Unsent bytes under the low-water mark (<< @wake: half for wakeups). */
static bool tcp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 notsent_bytes = READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_nxt);

	return ((u64)notsent_bytes << wake) < tcp_notsent_lowat(tp);
}

/**
 * sk_stream_memory_free - may the send queue take more data now?
 */
bool sk_stream_memory_free(const struct sock *sk)
{
	if (READ_ONCE(sk->sk_wmem_queued) >= READ_ONCE(sk->sk_sndbuf))
		return false;
	return tcp_stream_memory_free(sk, 0);
}

/* Writeable for poll: a third of the buffer free, and notsent_lowat. */
static bool __sk_stream_is_writeable(const struct sock *sk, int wake)
{
	int queued = READ_ONCE(sk->sk_wmem_queued);

	return READ_ONCE(sk->sk_sndbuf) - queued >= (queued >> 1) &&
	       queued < READ_ONCE(sk->sk_sndbuf) &&
	       tcp_stream_memory_free(sk, wake);
}

/**
 * sk_stream_write_space - TCP's sk_write_space: wake writers (EPOLLOUT)
 * once the stream is writeable again
 */
void sk_stream_write_space(struct sock *sk)
{
	struct socket *sock = READ_ONCE(sk->sk_socket);
	struct wait_queue_head *wq;

	if (!sock || !__sk_stream_is_writeable(sk, 1))
		return;
	sk_clear_nospace(sk);
	wq = READ_ONCE(sk->sk_wq);
	if (wq && waitqueue_active(wq))
		wake_up_interruptible_poll(wq, EPOLLOUT | EPOLLWRNORM |
						       EPOLLWRBAND);
}

static inline int sock_rcvlowat(const struct sock *sk, int waitall, int len)
{
	int v = waitall ? len : min(READ_ONCE(sk->sk_rcvlowat), len);

	return v ? v : 1;
}

/* --- init ------------------------------------------------------------------------ */

/**
 * tcp_sk_rcvbuf_default - the receive buffer a new TCP socket starts with
 * (net.ipv4.tcp_rmem[1])
 */
int tcp_sk_rcvbuf_default(const struct sock *sk)
{
	return READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_rmem[1]);
}

/**
 * tcp_init_sock - the state of a new TCP socket, as Linux's tcp_init_sock
 *
 * CLOSE; RTO 1 s (RFC 6298 2.1), minimum 200 ms; cwnd 10 (RFC 6928);
 * ssthresh infinite; MSS 536 (RFC 9293 3.7.1 default) until a route and
 * the peer's MSS say more; reordering from the sysctl; buffers
 * tcp_wmem[1] and tcp_rmem[1]; congestion control from
 * net.ipv4.tcp_congestion_control. Queues are empty heads: nothing is
 * allocated until data is queued. Called by tcp_prot's init.
 */
void tcp_init_sock(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	/* A first transfer state for the SYN or the first data; given back
	 * when the connection is first quiescent. If this fails, that first
	 * user allocates it (or fails as an skb allocation would). */
	tcp_xfer_init(tp);
	tcp_xfer_get(sk);
	tp->ext = (struct tcp_ext *)&tcp_ext_idle;
	sk->sk_destruct = tcp_sock_destruct;
	tcp_init_xmit_timers(sk);
	icsk->icsk_rto = TCP_TIMEOUT_INIT;
	icsk->icsk_delack_max = TCP_DELACK_MAX;
	tp->mdev_us = TCP_TIMEOUT_INIT;
	tp->rtt_min.rtt_us = ~0U;
	tp->rtt_min.stamp = tcp_time_stamp_ms(sk);
	tp->tsval_sent = tp->rtt_min.stamp;
	/* Initial congestion window (RFC 6928); tcp_init_transfer may still cut
	 * it to one segment after a lost SYN. */
	tcp_snd_cwnd_set(tp, TCP_INIT_CWND);
	/* No ACK has arrived yet, so delivery-rate samples start out
	 * application-limited. */
	tp->app_limited = ~0U;
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	tp->snd_cwnd_clamp = ~0U;
	tp->mss_cache = TCP_MSS_DEFAULT;
	tp->rx_opt.mss_clamp = TCP_MSS_DEFAULT;
	tp->tcp_header_len = sizeof(struct sl_tcphdr);
	tp->reordering = (u32)READ_ONCE(net->ipv4.sysctl_tcp_reordering);
	tcp_assign_congestion_control(sk);
	tp->tsoffset = 0;
	tp->rack.reo_wnd_steps = 1;
	icsk->icsk_ack.rcv_mss = TCP_MIN_MSS;
	sk->sk_write_space = sk_stream_write_space;
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
	WRITE_ONCE(sk->sk_sndbuf, READ_ONCE(net->ipv4.sysctl_tcp_wmem[1]));
	WRITE_ONCE(sk->sk_rcvbuf, READ_ONCE(net->ipv4.sysctl_tcp_rmem[1]));
}

/* --- state ------------------------------------------------------------------------ */

/**
 * tcp_set_state - move @sk to @state with Linux's bookkeeping:
 * TcpCurrEstab (gauge), TcpEstabResets on ESTABLISHED/CLOSE_WAIT -> CLOSE,
 * unhash and release the port (unless bound explicitly) on CLOSE. The
 * state changes after unhashing, so no closed socket sits in the tables.
 */
void tcp_set_state(struct sock *sk, int state)
{
	int oldstate = sk->sk_state;
	struct net *net = sock_net(sk);

	switch (state) {
	case TCP_ESTABLISHED:
		if (oldstate != TCP_ESTABLISHED)
			TCP_INC_STATS(net, TCP_MIB_CURRESTAB);
		break;
	case TCP_CLOSE_WAIT:
		if (oldstate == TCP_SYN_RECV)
			TCP_INC_STATS(net, TCP_MIB_CURRESTAB);
		break;
	case TCP_CLOSE:
		if (oldstate == TCP_CLOSE_WAIT || oldstate == TCP_ESTABLISHED)
			TCP_INC_STATS(net, TCP_MIB_ESTABRESETS);
		if (sk->sk_prot && sk->sk_prot->unhash)
			sk->sk_prot->unhash(sk);
		if (inet_csk(sk)->icsk_bind_hash &&
		    !(sk->sk_userlocks & SOCK_BINDPORT_LOCK))
			inet_put_port(sk);
		__attribute__((fallthrough));
	default:
		if (oldstate == TCP_ESTABLISHED || oldstate == TCP_CLOSE_WAIT)
			TCP_DEC_STATS(net, TCP_MIB_CURRESTAB);
	}
	WRITE_ONCE(sk->sk_state, (unsigned char)state);
}

/*
 * State transition when a socket is closed or shut down for writing
 * (RFC 9293 3.10.4 CLOSE): the next state and whether a FIN goes out.
 * SYN-SENT closes without a RST, as Linux.
 */
#define TCP_STATE_MASK 0xF
#define TCP_ACTION_FIN (1 << TCP_CLOSE)

static const unsigned char new_state[16] = {
	/* index: state at close(); value: next state, plus TCP_ACTION_FIN when
	 * a FIN must be sent */
	[0] = TCP_CLOSE,
	[TCP_ESTABLISHED] = TCP_FIN_WAIT1 | TCP_ACTION_FIN,
	[TCP_SYN_SENT] = TCP_CLOSE,
	[TCP_SYN_RECV] = TCP_FIN_WAIT1 | TCP_ACTION_FIN,
	[TCP_FIN_WAIT1] = TCP_FIN_WAIT1,
	[TCP_FIN_WAIT2] = TCP_FIN_WAIT2,
	[TCP_TIME_WAIT] = TCP_CLOSE,
	[TCP_CLOSE] = TCP_CLOSE,
	[TCP_CLOSE_WAIT] = TCP_LAST_ACK | TCP_ACTION_FIN,
	[TCP_LAST_ACK] = TCP_LAST_ACK,
	[TCP_LISTEN] = TCP_CLOSE,
	[TCP_CLOSING] = TCP_CLOSING,
	[TCP_NEW_SYN_RECV] = TCP_CLOSE, /* request socks never reach close() */
};

static int tcp_close_state(struct sock *sk)
{
	int next = (int)new_state[sk->sk_state & TCP_STATE_MASK];
	int ns = next & TCP_STATE_MASK;

	tcp_set_state(sk, ns);
	return next & TCP_ACTION_FIN;
}

/**
 * tcp_done - the connection is over (RST, timeout, last ACK): CLOSE,
 * timers off, both directions shut; wake the owner, or destroy an orphan.
 * Counts TcpAttemptFails from SYN-SENT/SYN-RECEIVED.
 */
void tcp_done(struct sock *sk)
{
	if (sk->sk_state == TCP_SYN_SENT || sk->sk_state == TCP_SYN_RECV)
		TCP_INC_STATS(sock_net(sk), TCP_MIB_ATTEMPTFAILS);
	tcp_set_state(sk, TCP_CLOSE);
	tcp_clear_xmit_timers(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
	else
		inet_csk_destroy_sock(sk);
}

/**
 * tcp_write_queue_purge - free every unsent and unacknowledged skb (abort,
 * destroy); in-flight counts and retransmit hints are reset
 */
void tcp_write_queue_purge(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb;

	tcp_chrono_stop(sk, TCP_CHRONO_BUSY);
	while ((skb = __skb_dequeue(&sk->sk_write_queue)) != NULL) {
		sk->sk_wmem_queued -= (int)skb->truesize;
		kfree_skb_reason(skb, SKB_DROP_REASON_SHUTDOWN);
	}
	while ((skb = __skb_dequeue(&tp->xfer->tcp_rtx_queue)) != NULL) {
		sk->sk_wmem_queued -= (int)skb->truesize;
		kfree_skb_reason(skb, SKB_DROP_REASON_SHUTDOWN);
	}
	tp->packets_out = 0;
	inet_csk(sk)->icsk_backoff = 0;
}

/* --- sending ---------------------------------------------------------------------- */

/*
 * Wait until the connection is established (Linux's
 * sk_stream_wait_connect): 0, the socket error, -EPIPE when it is not
 * connecting (never connected or closed: Linux gives EPIPE here, and so a
 * write on a fresh TCP socket fails with EPIPE), -EAGAIN.
 */
static int sk_stream_wait_connect(struct sock *sk, s64 *timeo)
{
	int err;

	for (;;) {
		err = sock_error(sk);
		if (err)
			return err;
		if ((1 << sk->sk_state) & ~(TCPF_SYN_SENT | TCPF_SYN_RECV))
			return -EPIPE;
		if (*timeo <= 0)
			return -EAGAIN;
		if (sk_wait_event(sk, timeo,
				  READ_ONCE(sk->sk_err) ||
					  !((1 << READ_ONCE(sk->sk_state)) &
					    ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))))
			return 0;
	}
}

/*
 * Wait for room in the send queue (Linux's sk_stream_wait_memory): 0,
 * -EPIPE (error or SHUT_WR), -EAGAIN (timeout / non-blocking).
 */
static int sk_stream_wait_memory(struct sock *sk, s64 *timeo)
{
	for (;;) {
		if (READ_ONCE(sk->sk_err) ||
		    (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN))
			return -EPIPE;
		if (*timeo <= 0) {
			sk_set_nospace(sk);
			return -EAGAIN;
		}
		if (sk_stream_memory_free(sk))
			return 0;
		sk_set_nospace(sk);
		sk_wait_event(sk, timeo,
			      READ_ONCE(sk->sk_err) ||
				      (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN) ||
				      sk_stream_memory_free(sk));
	}
}

/* Linux's sk_stream_error: EPIPE becomes the pending error if any. No
 * signal is ever raised (MSG_NOSIGNAL or not): the caller sees EPIPE. */
static int sk_stream_error(struct sock *sk, int err)
{
	if (err == -EPIPE) {
		int e = sock_error(sk);

		err = e ? e : -EPIPE;
	}
	return err;
}

static inline bool forced_push(const struct tcp_sock *tp)
{
	return after(tp->write_seq, tp->pushed_seq + (tp->max_window >> 1));
}

static inline void tcp_mark_push(struct tcp_sock *tp, struct sk_buff *skb)
{
	TCP_SKB_CB(skb)->tcp_flags |= TCPHDR_PSH;
	tp->pushed_seq = tp->write_seq;
}

static inline void tcp_mark_urg(struct tcp_sock *tp, int flags)
{
	if (flags & MSG_OOB)
		tp->snd_up = tp->write_seq;
}

/*
 * Push what the write queue holds after a write: PSH on its last skb
 * unless MSG_MORE (RFC 9293 3.9.1 SEND with PUSH, as Linux sets it), and
 * Nagle corked for MSG_MORE.
 */
static void tcp_push(struct sock *sk, int flags, unsigned int mss_now,
		     int nonagle)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (!skb)
		return;
	if (!(flags & MSG_MORE) || forced_push(tp))
		tcp_mark_push(tp, skb);
	tcp_mark_urg(tp, flags);
	if (flags & MSG_MORE)
		nonagle = TCP_NAGLE_CORK;
	__tcp_push_pending_frames(sk, mss_now, nonagle);
}

/* Linux's tcp_bound_to_half_wnd (tcp_output.c has its own copy). */
static int tcp_bound_to_half_wnd_goal(const struct tcp_sock *tp, int pktsize)
{
	int cutoff = tp->max_window > TCP_MSS_DEFAULT ?
			     (int)(tp->max_window >> 1) : (int)tp->max_window;

	if (cutoff && pktsize > cutoff)
		return max(cutoff, 68 - tp->tcp_header_len);
	return pktsize;
}

/* The route's device: HW checksum and the largest GSO skb (0: none). */
static void tcp_route_caps(struct sock *sk, bool *hw_csum, u32 *gso_max)
{
	struct dst_entry *dst = __sk_dst_check(sk);
	u32 features = 0, max_size = 0;

	if (dst) {
		if (dst->dev) {
			features = dst->dev->features;
			max_size = dst->dev->gso_max_size;
		}
		dst_release(dst);
	}
	*hw_csum = features & NETIF_F_HW_CSUM;
	*gso_max = 0;
	if (features & NETIF_F_GSO)
		*gso_max = min(max_size ? max_size : 65536U, 65536U) - 1 -
			   MAX_TCP_HEADER;
}

/*
 * MSS and size goal of the skbs a write builds (Linux's tcp_send_mss and
 * tcp_xmit_size_goal): whole GSO skbs of up to ~64 KiB, a multiple of the
 * MSS, bounded by half the peer's largest window; one MSS otherwise and
 * for urgent data.
 */
static unsigned int tcp_send_mss(struct sock *sk, u32 *size_goal, int flags,
				 bool *hw_csum)
{
	struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mss_now = tcp_current_mss(sk);
	u32 gso_max, new_goal, goal;

	tcp_route_caps(sk, hw_csum, &gso_max);
	*size_goal = mss_now;
	if (!gso_max || (flags & MSG_OOB))
		return mss_now;
	new_goal = (u32)tcp_bound_to_half_wnd_goal(tp, (int)gso_max);
	goal = tp->gso_segs * mss_now;
	if (new_goal < goal || new_goal >= goal + mss_now) {
		tp->gso_segs = (u16)min(new_goal / mss_now, 0xffffU);
		goal = tp->gso_segs * mss_now;
	}
	*size_goal = max(goal, mss_now);
	return mss_now;
}

/* A new skb for @size bytes of stream data at the tail of the write queue
 * (Linux's tcp_stream_alloc_skb + tcp_skb_entail). */
static struct sk_buff *tcp_skb_entail_new(struct sock *sk, unsigned int size,
					  bool hw_csum)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct tcp_skb_cb *tcb;
	struct sk_buff *skb;

	/* Queued data needs the transfer state (retransmit queue, RACK...). */
	if (unlikely(tcp_xfer_get(sk)))
		return NULL;
	skb = alloc_skb_with_headroom(sock_net(sk), size);
	if (!skb)
		return NULL;
	memset(skb->cb, 0, sizeof(skb->cb));
	/* CHECKSUM_NONE: skb->csum holds the payload's sum (folded into the
	 * copy); CHECKSUM_PARTIAL: the device sums, no payload sum kept. */
	skb->ip_summed = hw_csum ? CHECKSUM_PARTIAL : CHECKSUM_NONE;
	skb->csum = 0;
	tcb = TCP_SKB_CB(skb);
	tcb->seq = tcb->end_seq = tp->write_seq;
	tcb->tcp_flags = TCPHDR_ACK;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk->sk_wmem_queued += (int)skb->truesize;
	if (tp->nonagle & TCP_NAGLE_PUSH)
		tp->nonagle &= ~TCP_NAGLE_PUSH;
	return skb;
}

/*
 * Room for a new tail skb: @left rounded up to whole MSS, at most the size
 * goal. Linux lets the tail grow to the size goal with page fragments;
 * our skbs are linear, so the room is given at once: a small write that
 * more writes will follow (TCP_CORK, MSG_MORE, Nagle) then shares its
 * segment with them instead of leaving a short segment mid-stream (a
 * 254-byte header then a 1 KiB body went out as 320 + 958 bytes, the
 * second held by Nagle for the peer's delayed ACK).
 */
static unsigned int tcp_new_skb_room(size_t left, unsigned int mss_now,
				     u32 size_goal)
{
	size_t room = ((left ? left : 1) + mss_now - 1) / mss_now * mss_now;

	return (unsigned int)min(room, (size_t)size_goal);
}

/* Copy @copy bytes of the message to the end of @skb (sum folded in). */
static void tcp_copy_to_skb(struct sk_buff *skb, struct sl_msghdr *msg,
			    unsigned int copy)
{
	unsigned int off = skb->len;
	unsigned char *to = skb_put(skb, copy);

	if (skb->ip_summed == CHECKSUM_NONE) {
		__wsum csum = 0;

		csum_and_copy_from_iter(to, copy, &csum, &msg->msg_iter);
		skb->csum = csum_block_add(skb->csum, csum, (int)off);
	} else {
		copy_from_iter(to, copy, &msg->msg_iter);
	}
}

/* Tail skb that more data of this write may join, or NULL. */
static struct sk_buff *tcp_write_tail(struct sock *sk, u32 size_goal,
				      unsigned int *copy)
{
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	int room;

	if (!skb || TCP_SKB_CB(skb)->eor ||
	    (TCP_SKB_CB(skb)->tcp_flags & (TCPHDR_FIN | TCPHDR_SYN)) ||
	    skb_cloned(skb))
		return NULL;
	room = min((int)size_goal - (int)skb->len, skb_tailroom(skb));
	if (room <= 0)
		return NULL;
	*copy = (unsigned int)room;
	return skb;
}

/* tcp_sendmsg with the socket owned (Linux's tcp_sendmsg_locked). */
static int tcp_sendmsg_locked(struct sock *sk, struct sl_msghdr *msg,
			      size_t size)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int flags = (int)msg->msg_flags;
	unsigned int mss_now;
	size_t copied = 0;
	bool hw_csum;
	u32 size_goal;
	s64 timeo;
	int err;

	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	/* Writes must wait until the handshake completes. */
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err != 0)
			goto out_err;
	}
	mss_now = tcp_send_mss(sk, &size_goal, flags, &hw_csum);
	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		goto do_error;

	while (iov_iter_count(&msg->msg_iter)) {
		size_t left = iov_iter_count(&msg->msg_iter);
		unsigned int copy = 0;
		struct sk_buff *skb;

		skb = tcp_write_tail(sk, size_goal, &copy);
		if (!skb) {
			if (!sk_stream_memory_free(sk))
				goto wait_for_space;
			skb = tcp_skb_entail_new(sk, tcp_new_skb_room(left,
								      mss_now,
								      size_goal),
						 hw_csum);
			if (!skb)
				goto wait_for_space;
			copy = min((unsigned int)skb_tailroom(skb), size_goal);
		}
		if (copy > left)
			copy = (unsigned int)left;
		if (!copied)
			TCP_SKB_CB(skb)->tcp_flags &= (u8)~TCPHDR_PSH;
		tcp_copy_to_skb(skb, msg, copy);
		WRITE_ONCE(tp->write_seq, tp->write_seq + copy);
		TCP_SKB_CB(skb)->end_seq += copy;
		skb_shinfo(skb)->gso_segs = 0; /* recount at transmit */
		copied += copy;
		if (!iov_iter_count(&msg->msg_iter)) {
			if (flags & MSG_EOR)
				TCP_SKB_CB(skb)->eor = 1;
			goto out;
		}
		if (skb->len < size_goal || (flags & MSG_OOB))
			continue;
		if (forced_push(tp)) {
			tcp_mark_push(tp, skb);
			__tcp_push_pending_frames(sk, mss_now, TCP_NAGLE_PUSH);
		} else if (skb == tcp_send_head(sk)) {
			tcp_push_one(sk, mss_now);
		}
		continue;

wait_for_space:
		sk_set_nospace(sk);
		if (copied)
			tcp_push(sk, flags & ~MSG_MORE, mss_now, TCP_NAGLE_PUSH);
		tcp_chrono_start(sk, TCP_CHRONO_SNDBUF_LIMITED);
		err = sk_stream_wait_memory(sk, &timeo);
		if (err != 0)
			goto do_error;
		mss_now = tcp_send_mss(sk, &size_goal, flags, &hw_csum);
	}
out:
	if (copied)
		tcp_push(sk, flags, mss_now, tp->nonagle);
	return (int)copied;

do_error:
	if (copied)
		goto out;
out_err:
	err = sk_stream_error(sk, err);
	/* Nothing was copied: signal writers anyway so edge-triggered epoll
	 * waiters are not left asleep. */
	if (unlikely(tcp_rtx_and_write_queues_empty(sk) && err == -EAGAIN)) {
		sk->sk_write_space(sk);
		tcp_chrono_stop(sk, TCP_CHRONO_SNDBUF_LIMITED);
	}
	return err;
}

/**
 * tcp_sendmsg - send(2) on a TCP socket (RFC 9293 3.10.2 SEND)
 *
 * Waits for the connection (SO_SNDTIMEO; EAGAIN when non-blocking), then
 * copies into the send queue, waiting for room as needed; a partial write
 * returns the bytes queued (Linux). EPIPE after shutdown/close (no signal
 * is ever raised: MSG_NOSIGNAL is accepted and changes nothing), the
 * socket error otherwise. MSG_MORE holds the last partial segment back
 * (as TCP_CORK), MSG_OOB sends urgent data (RFC 6093: the pointer to the
 * byte after it, as Linux).
 */
int tcp_sendmsg(struct sock *sk, struct sl_msghdr *msg, size_t size)
{
	int ret;

	lock_sock(sk);
	ret = tcp_sendmsg_locked(sk, msg, size);
	release_sock(sk);
	return ret;
}

/* --- receiving --------------------------------------------------------------------- */

/**
 * tcp_queue_rcv - append in-order @skb to the receive queue
 * @skb: its data at the TCP header (pulled here) or already at the
 *       payload; TCP_SKB_CB seq/end_seq set (end_seq includes a FIN)
 *
 * Advances rcv_nxt to end_seq (bytes_received counted; idempotent, so the
 * caller may update rcv_nxt too), charges the receive memory and queues
 * @skb, which the receive queue then owns. Returns 0 (queued, never
 * coalesced: *@fragstolen false). The caller wakes the reader
 * (sk_data_ready). Context: socket bh-locked or owned.
 */
int tcp_queue_rcv(struct sock *sk, struct sk_buff *skb, bool *fragstolen)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 end_seq = TCP_SKB_CB(skb)->end_seq;

	if (fragstolen)
		*fragstolen = false;
	if (skb->transport_header != SKB_HDR_UNSET &&
	    skb->data == skb_transport_header(skb))
		skb_pull(skb, tcp_hdr(skb)->doff * 4u);
	if (after(end_seq, tp->rcv_nxt)) {
		TCP_EXT_ADD(sk, bytes_received, end_seq - tp->rcv_nxt);
		WRITE_ONCE(tp->rcv_nxt, end_seq);
	}
	skb_dst_drop(skb);
	skb->dev = NULL;
	skb_trace(skb);
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	skb_set_owner_r(skb, sk);
	return 0;
}

/* Bytes the reader can take (Linux's tcp_inq): up to the urgent mark. */
static int tcp_inq(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int answ;

	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
		return 0;
	if (sock_flag(sk, SOCK_URGINLINE) || !tp->ext->urg_data ||
	    before(tp->ext->urg_seq, tp->copied_seq) ||
	    !before(tp->ext->urg_seq, tp->rcv_nxt)) {
		answ = (int)(tp->rcv_nxt - tp->copied_seq);
		/* The FIN takes a sequence number but is not a readable byte.
		 */
		if (answ && sock_flag(sk, SOCK_DONE))
			answ--;
	} else {
		answ = (int)(tp->ext->urg_seq - tp->copied_seq);
	}
	return answ;
}

/**
 * tcp_cleanup_rbuf - after the reader took @copied bytes: send an ACK now
 * when one is owed and was held for the reader (RFC 1122 4.2.3.2 as
 * Linux: a second full segment, or the queue drained after a pushed small
 * segment), or when the window can grow to at least twice what was
 * offered (RFC 1122 4.2.3.3 window update)
 */
void tcp_cleanup_rbuf(struct sock *sk, int copied)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	bool time_to_ack = false;

	if (inet_csk_ack_scheduled(sk)) {
		/* __tcp_ack_snd_check held an ACK for two full segments
		 * because the window would have shrunk: the read made room. */
		bool held_for_reader =
			tp->rcv_nxt - tp->rcv_wup > icsk->icsk_ack.rcv_mss;
		/* A one-way flow whose last segment was a small pushed one:
		 * answer once the reader has emptied the queue. */
		bool pushed = (icsk->icsk_ack.pending & ICSK_ACK_PUSHED2) ||
			      ((icsk->icsk_ack.pending & ICSK_ACK_PUSHED) &&
			       !inet_csk_in_pingpong_mode(sk));

		if (held_for_reader ||
		    (copied > 0 && pushed && !sk_rmem_alloc_get(sk)))
			time_to_ack = true;
	}
	/* RFC 1122 4.2.3.3: a window update is worth a segment of its own
	 * when the window can at least double; none once the peer has
	 * finished sending. */
	if (copied > 0 && !time_to_ack && !(sk->sk_shutdown & RCV_SHUTDOWN)) {
		u32 rcv_window_now = tcp_receive_window(tp);

		if (2 * rcv_window_now <= tp->window_clamp) {
			u32 new_window = __tcp_select_window(sk);

			if (new_window && new_window >= 2 * rcv_window_now)
				time_to_ack = true;
		}
	}
	if (time_to_ack)
		tcp_send_ack(sk);
}

/* Free a consumed receive skb (Linux's tcp_eat_recv_skb). */
static void tcp_eat_recv_skb(struct sock *sk, struct sk_buff *skb)
{
	__skb_unlink(skb, &sk->sk_receive_queue);
	consume_skb(skb);
}

/* recv(MSG_OOB): the urgent byte (minimal, as Linux's tcp_recv_urg). */
static int tcp_recv_urg(struct sock *sk, struct sl_msghdr *msg, int len,
			int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* Nothing out of band to read: inline mode, none seen, or already read.
	 */
	if (sock_flag(sk, SOCK_URGINLINE) || !tp->ext->urg_data ||
	    tp->ext->urg_data == TCP_URG_READ)
		return -EINVAL; /* EINVAL, as Linux returns here */
	if (sk->sk_state == TCP_CLOSE && !sock_flag(sk, SOCK_DONE))
		return -ENOTCONN;
	if (tp->ext->urg_data & TCP_URG_VALID) {
		char c = (char)tp->ext->urg_data;

		if (!(flags & MSG_PEEK))
			WRITE_ONCE(tp->ext->urg_data, TCP_URG_READ);
		msg->msg_flags |= MSG_OOB;
		if (len > 0) {
			if (!(flags & MSG_TRUNC) &&
			    copy_to_iter(&c, 1, &msg->msg_iter) != 1)
				return -EFAULT;
			return 1;
		}
		msg->msg_flags |= MSG_TRUNC;
		return 0;
	}
	if (sk->sk_state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN))
		return 0;
	return -EAGAIN;
}

/* Nothing to copy and not enough yet: 1 to stop with @*copied set, 0 to
 * wait (Linux's checks in tcp_recvmsg_locked). */
static int tcp_recv_should_stop(struct sock *sk, int *copied, s64 timeo)
{
	if (*copied) {
		return !timeo || sk->sk_err || sk->sk_state == TCP_CLOSE ||
		       (sk->sk_shutdown & RCV_SHUTDOWN);
	}
	if (sock_flag(sk, SOCK_DONE))
		return 1;
	if (sk->sk_err) {
		*copied = sock_error(sk);
		return 1;
	}
	if (sk->sk_shutdown & RCV_SHUTDOWN)
		return 1;
	if (sk->sk_state == TCP_CLOSE) {
		/* recv on a socket that never connected */
		*copied = -ENOTCONN;
		return 1;
	}
	if (timeo <= 0) {
		*copied = -EAGAIN;
		return 1;
	}
	return 0;
}

/* Copy @used bytes at @offset of @skb unless MSG_TRUNC; handle the urgent
 * byte. Returns the bytes consumed from the stream or -EFAULT. */
static int tcp_recv_copy(struct sock *sk, struct sk_buff *skb, u32 offset,
			 size_t len, u32 *seq, struct sl_msghdr *msg, int flags,
			 int *copied_out)
{
	struct tcp_sock *tp = tcp_sk(sk);
	size_t used = skb->len - offset;

	*copied_out = 0;
	if (len < used)
		used = len;
	if (unlikely(tp->ext->urg_data)) {
		u32 urg_offset = tp->ext->urg_seq - *seq;

		if (urg_offset < used) {
			if (!urg_offset) {
				if (!sock_flag(sk, SOCK_URGINLINE)) {
					/* Skip the urgent byte (read out of
					 * band). */
					WRITE_ONCE(*seq, *seq + 1);
					offset++;
					used--;
					if (!used)
						return 0;
				}
			} else {
				used = urg_offset;
			}
		}
	}
	if (!(flags & MSG_TRUNC) &&
	    skb_copy_datagram_msg(skb, (int)offset, msg, (int)used))
		return -EFAULT;
	WRITE_ONCE(*seq, *seq + (u32)used);
	*copied_out = (int)used;
	return 0;
}

/* The receive-queue skb holding *@seq, or NULL; *@fin when only its FIN
 * is left. */
static struct sk_buff *tcp_recv_find(struct sock *sk, u32 seq, u32 *offset,
				     bool *fin)
{
	struct sk_buff *skb;

	*fin = false;
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		if (before(seq, TCP_SKB_CB(skb)->seq))
			return NULL;
		*offset = seq - TCP_SKB_CB(skb)->seq;
		if (*offset < skb->len)
			return skb;
		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN) {
			*fin = true;
			return skb;
		}
	}
	return NULL;
}

/* tcp_recvmsg with the socket owned (Linux's tcp_recvmsg_locked). */
static int tcp_recvmsg_locked(struct sock *sk, struct sl_msghdr *msg,
			      size_t len, int flags)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 peek_seq, *seq, offset = 0;
	int copied = 0, target, err;
	s64 timeo;

	if (sk->sk_state == TCP_LISTEN)
		return -ENOTCONN;
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	if (flags & MSG_OOB)
		return tcp_recv_urg(sk, msg, (int)len, flags);
	seq = &tp->copied_seq;
	if (flags & MSG_PEEK) {
		peek_seq = tp->copied_seq;
		seq = &peek_seq;
	}
	target = sock_rcvlowat(sk, flags & MSG_WAITALL,
			       (int)min(len, (size_t)INT_MAX));
	do {
		struct sk_buff *skb, *last;
		bool fin;
		int used;

		/* Reached the urgent mark: return what was read before it, so
		 * the reader can fetch the mark separately. */
		if (unlikely(tp->ext->urg_data) && tp->ext->urg_seq == *seq && copied)
			break;
		last = skb_peek_tail(&sk->sk_receive_queue);
		skb = tcp_recv_find(sk, *seq, &offset, &fin);
		if (skb && fin)
			goto found_fin_ok;
		if (skb) {
			err = tcp_recv_copy(sk, skb, offset, len, seq, msg,
					    flags, &used);
			if (err) {
				if (!copied)
					copied = -EFAULT;
				break;
			}
			copied += used;
			len -= (size_t)used;
			tcp_rcv_space_adjust(sk);
			if (unlikely(tp->ext->urg_data) &&
			    after(tp->copied_seq, tp->ext->urg_seq))
				WRITE_ONCE(tp->ext->urg_data, 0);
			if (offset + (u32)used < skb->len)
				continue;
			if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN)
				goto found_fin_ok;
			if (!(flags & MSG_PEEK))
				tcp_eat_recv_skb(sk, skb);
			continue;
		}
		/* Nothing queued at *seq. */
		if (copied >= target && !READ_ONCE(sk->sk_backlog.tail))
			break;
		if (tcp_recv_should_stop(sk, &copied, timeo))
			break;
		if (copied >= target) {
			/* Enough already read: let segments queued while we
			 * held the socket in, without blocking. */
			release_sock(sk);
			lock_sock(sk);
		} else {
			tcp_cleanup_rbuf(sk, copied);
			sk_wait_data(sk, &timeo, last);
		}
		if ((flags & MSG_PEEK) && peek_seq - (u32)copied != tp->copied_seq)
			peek_seq = tp->copied_seq + (u32)copied;
		continue;

found_fin_ok:
		/* Process the FIN: it ends the stream for the reader. */
		WRITE_ONCE(*seq, *seq + 1);
		if (!(flags & MSG_PEEK))
			tcp_eat_recv_skb(sk, skb);
		break;
	} while (len > 0);
	/* Release consumed buffers; may send a window update ACK. */
	tcp_cleanup_rbuf(sk, copied);
	return copied;
}

/**
 * tcp_recvmsg - recv(2) on a TCP socket (RFC 9293 3.10.3 RECEIVE)
 *
 * Copies from the receive queue in sequence (MSG_PEEK leaves it), waits
 * (SO_RCVTIMEO) until SO_RCVLOWAT bytes (all of @len with MSG_WAITALL) or
 * the end; 0 at EOF, ENOTCONN on a listener or a never-connected socket,
 * the socket error (ECONNRESET, ETIMEDOUT...) when nothing was copied,
 * EAGAIN when non-blocking. MSG_TRUNC discards, MSG_OOB reads the urgent
 * byte. Returns bytes or -errno. No address is returned (*@addr_len 0).
 */
int tcp_recvmsg(struct sock *sk, struct sl_msghdr *msg, size_t len, int flags,
		int *addr_len)
{
	int ret;

	if (flags & MSG_ERRQUEUE)
		return ip_recv_error(sk, msg, (int)len, addr_len);
	*addr_len = 0;
	/*
	 * Before taking the socket, so what we read is not backlogged. With
	 * data already queued this call will not wait, so read one frame at
	 * most: a server taking one request per call (nginx) finds the next
	 * one there, and reading on to learn that the link is empty would
	 * cost a failed read(2) per request. What else waits is read by the
	 * next call, or by the stack's thread when the lease ends.
	 */
	net_busy_poll_once(sock_net(sk),
			   skb_queue_len(&sk->sk_receive_queue) ? 1 : 0);
	lock_sock(sk);
	ret = tcp_recvmsg_locked(sk, msg, len, flags);
	release_sock(sk);
	return ret;
}

/* --- poll -------------------------------------------------------------------------- */

/* Readable for poll at @target bytes (Linux's tcp_stream_is_readable). */
static bool tcp_stream_is_readable(struct sock *sk, int target)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int avail = (int)(READ_ONCE(tp->rcv_nxt) - READ_ONCE(tp->copied_seq));

	if (avail <= 0)
		return false;
	return avail >= target ||
	       sk_rmem_alloc_get(sk) > (READ_ONCE(sk->sk_rcvbuf) >> 3) * 7 ||
	       tcp_receive_window(tp) <= inet_csk(sk)->icsk_ack.rcv_mss;
}

/* Readiness of a connected (or connecting) socket. */
static __poll_t tcp_poll_stream(struct sock *sk, u8 shutdown)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int target = sock_rcvlowat(sk, 0, INT_MAX);
	u32 urg_data = READ_ONCE(tp->ext->urg_data);
	__poll_t mask = 0;

	if (unlikely(urg_data) &&
	    READ_ONCE(tp->ext->urg_seq) == READ_ONCE(tp->copied_seq) &&
	    !sock_flag(sk, SOCK_URGINLINE))
		target++;
	if (tcp_stream_is_readable(sk, target))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!(shutdown & SEND_SHUTDOWN)) {
		if (__sk_stream_is_writeable(sk, 1)) {
			mask |= EPOLLOUT | EPOLLWRNORM;
		} else {
			sk_set_nospace(sk);
			/* Re-check after setting SOCK_NOSPACE: room freed in
			 * between would otherwise never wake us. */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__sk_stream_is_writeable(sk, 1))
				mask |= EPOLLOUT | EPOLLWRNORM;
		}
	} else {
		mask |= EPOLLOUT | EPOLLWRNORM;
	}
	if (urg_data & TCP_URG_VALID)
		mask |= EPOLLPRI;
	return mask;
}

/**
 * tcp_poll - readiness exactly as Linux reports it
 *
 * LISTEN: EPOLLIN when a child waits in the accept queue. Otherwise
 * EPOLLHUP when both directions are shut or the socket is closed;
 * EPOLLIN|EPOLLRDNORM|EPOLLRDHUP after the peer's FIN; while connecting
 * (SYN-SENT, SYN-RECEIVED) nothing but errors; then readable at
 * SO_RCVLOWAT bytes, writeable while a third of the send buffer is free
 * and unsent data is under TCP_NOTSENT_LOWAT (else SOCK_NOSPACE is set so
 * the ACK path wakes us); EPOLLPRI with urgent data; EPOLLERR with a
 * pending error.
 */
__poll_t tcp_poll(struct file *file, struct socket *sock,
		  struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	poll_wait(file, sk_sleep(sk), wait);
	state = READ_ONCE(sk->sk_state);
	if (state == TCP_LISTEN)
		return READ_ONCE(inet_csk(sk)->icsk_accept_queue->rskq_accept_head) ?
			       (EPOLLIN | EPOLLRDNORM) : 0;
	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV)
		mask |= tcp_poll_stream(sk, shutdown);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (READ_ONCE(sk->sk_err) || !sk_error_queue_empty(sk))
		mask |= EPOLLERR;
	return mask;
}

/* --- ioctl --------------------------------------------------------------------- */

/**
 * tcp_ioctl - SIOCINQ/FIONREAD (bytes readable), SIOCATMARK, SIOCOUTQ
 * (sent but unacknowledged plus unsent), SIOCOUTQNSD (unsent); EINVAL on
 * a listener, 0 while connecting, as Linux. -ENOIOCTLCMD otherwise.
 */
int tcp_ioctl(struct sock *sk, int cmd, int *karg)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int answ;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		answ = tcp_inq(sk);
		release_sock(sk);
		break;
	case SIOCATMARK:
		answ = READ_ONCE(tp->ext->urg_data) &&
		       READ_ONCE(tp->ext->urg_seq) == READ_ONCE(tp->copied_seq);
		break;
	case SIOCOUTQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			answ = 0;
		else
			answ = (int)(READ_ONCE(tp->write_seq) - tp->snd_una);
		break;
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			answ = 0;
		else
			answ = (int)(READ_ONCE(tp->write_seq) -
				     READ_ONCE(tp->snd_nxt));
		break;
	default:
		return -ENOIOCTLCMD;
	}
	*karg = answ;
	return 0;
}

/* --- close, shutdown, disconnect --------------------------------------------------- */

static bool tcp_need_reset(int state)
{
	return (1 << state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
			       TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | TCPF_SYN_RECV);
}

/**
 * tcp_shutdown - shutdown(SHUT_WR) (RFC 9293 3.10.4): the FIN follows the
 * queued data; nothing to do when a FIN went already or for SHUT_RD
 * (inet_shutdown set sk_shutdown)
 */
void tcp_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	/* Nothing to do when our FIN is already out or the connection is gone.
	 */
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_SYN_SENT |
				   TCPF_SYN_RECV | TCPF_CLOSE_WAIT)) {
		if (tcp_close_state(sk))
			tcp_send_fin(sk);
	}
}

/* Reset the sequence, RTT and congestion state after an abort. */
static void tcp_disconnect_reset(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	u16 user_mss = tp->rx_opt.user_mss;
	u32 seq;

	tp->srtt_us = 0;
	tp->mdev_us = TCP_TIMEOUT_INIT;
	seq = tp->write_seq + tp->max_window + 2;
	if (!seq)
		seq = 1;
	WRITE_ONCE(tp->write_seq, seq);
	icsk->icsk_backoff = 0;
	icsk->icsk_probes_out = 0;
	icsk->icsk_probes_tstamp = 0;
	icsk->icsk_rto = TCP_TIMEOUT_INIT;
	icsk->icsk_delack_max = TCP_DELACK_MAX;
	tp->snd_ssthresh = TCP_INFINITE_SSTHRESH;
	tcp_snd_cwnd_set(tp, TCP_INIT_CWND);
	tp->snd_cwnd_cnt = 0;
	tp->is_cwnd_limited = 0;
	tp->max_packets_out = 0;
	tp->window_clamp = 0;
	tp->delivered = 0;
	if (icsk->icsk_ca_ops && icsk->icsk_ca_ops->release)
		icsk->icsk_ca_ops->release(sk);
	memset(icsk->icsk_ca_priv, 0, sizeof(icsk->icsk_ca_priv));
	icsk->icsk_ca_initialized = 0;
	tcp_set_ca_state(sk, TCP_CA_Open);
	tp->is_sack_reneg = 0;
	tcp_clear_retrans(tp);
	tp->total_retrans = 0;
	memset(&icsk->icsk_ack, 0, sizeof(icsk->icsk_ack));
	/* rcv_mss TCP_MIN_MSS avoids a division by 0 in window selection. */
	icsk->icsk_ack.rcv_mss = TCP_MIN_MSS;
	memset(&tp->rx_opt, 0, sizeof(tp->rx_opt));
	tp->rx_opt.user_mss = user_mss;
	tp->rx_opt.mss_clamp = TCP_MSS_DEFAULT;
	sk_dst_reset(sk);
	tp->segs_in = tp->segs_out = 0;
	tcp_ext_reset_stats(sk);
	tp->bytes_acked = 0;
	tp->dsack_dups = 0;
	tp->reord_seen = 0;
	tp->retrans_out = tp->sacked_out = tp->lost_out = 0;
	tp->last_oow_ack_time = 0;
	/* No ACK has arrived yet, so delivery-rate samples start out
	 * application-limited. */
	tp->app_limited = ~0U;
	memset(&tp->rack, 0, sizeof(tp->rack));
	tp->rack.reo_wnd_steps = 1;
	if (tcp_ext_active(tp))
		tp->ext->urg_data = 0;
}

/**
 * tcp_disconnect - abort (RFC 9293 3.10.5 ABORT; connect(AF_UNSPEC),
 * SO_LINGER 0, shutdown of a connecting socket): RST when the peer knows
 * the connection, CLOSE, every queue purged and the state reset so the
 * socket may connect again. Sets sk_err ECONNRESET when a RST went out or
 * a connect was pending. Always 0. Context: socket owned.
 */
int tcp_disconnect(struct sock *sk, int flags)
{
	struct inet_sock *inet = inet_sk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	int old_state = sk->sk_state;

	if (old_state != TCP_CLOSE)
		tcp_set_state(sk, TCP_CLOSE);
	if (old_state == TCP_LISTEN) {
		inet_csk_listen_stop(sk);
	} else if (tcp_need_reset(old_state) ||
		   (tp->snd_nxt != tp->write_seq &&
		    ((1 << old_state) & (TCPF_CLOSING | TCPF_LAST_ACK)))) {
		/* RFC 9293 3.10.5 sends nothing on abort in CLOSING or
		 * LAST-ACK; like Linux we still reset there when queued data
		 * never went out. */
		tcp_send_active_reset(sk);
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	} else if (old_state == TCP_SYN_SENT) {
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	}
	tcp_clear_xmit_timers(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	WRITE_ONCE(tp->copied_seq, tp->rcv_nxt);
	tcp_write_queue_purge(sk);
	tcp_xfer_free(sk);     /* the out-of-order queue, SACK and TLP state */
	inet->inet_dport = 0;
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	tcp_disconnect_reset(sk);
	sk->sk_error_report(sk);
	return 0;
}

static bool sk_stream_closing(const struct sock *sk)
{
	return (1 << READ_ONCE(sk->sk_state)) &
	       (TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK);
}

/* SO_LINGER with a time: wait until our FIN is acknowledged or time out. */
static void sk_stream_wait_close(struct sock *sk, s64 timeout)
{
	while (timeout > 0) {
		if (sk_wait_event(sk, &timeout, !sk_stream_closing(sk)))
			break;
	}
}

/*
 * The user's part of close (socket owned): flush unread data, then RST
 * (RFC 2525 2.17: data was lost), abort (linger 0) or FIN, and linger.
 * Returns the state before the socket is orphaned.
 */
static int __tcp_close_user(struct sock *sk, long timeout)
{
	struct sk_buff *skb;
	u32 data_was_unread = 0;

	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sk->sk_state == TCP_LISTEN) {
		tcp_set_state(sk, TCP_CLOSE);
		inet_csk_listen_stop(sk);
		return TCP_CLOSE;
	}
	/* Flush the receive queue, counting what the reader never saw. */
	while ((skb = __skb_dequeue(&sk->sk_receive_queue)) != NULL) {
		u32 len = TCP_SKB_CB(skb)->end_seq - TCP_SKB_CB(skb)->seq;

		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN)
			len--;
		data_was_unread += len;
		consume_skb(skb);
	}
	/* Already reset (tcp_reset): nothing to close gracefully. */
	if (sk->sk_state == TCP_CLOSE)
		return TCP_CLOSE;
	if (data_was_unread) {
		/* RFC 2525 2.17: closing with unread data loses it, so the peer
		 * must learn of the loss through a RST rather than a FIN. */
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTONCLOSE);
		tcp_set_state(sk, TCP_CLOSE);
		tcp_send_active_reset(sk);
	} else if (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime) {
		/* Zero linger aborts; it is tested only after unread data,
		 * which gets its own RST path above. */
		tcp_disconnect(sk, 0);
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTONDATA);
	} else if (tcp_close_state(sk)) {
		/* The reader consumed everything: an orderly close with a FIN.
		 */
		tcp_send_fin(sk);
	}
	sk_stream_wait_close(sk, timeout);
	return sk->sk_state;
}

/*
 * The orphan's fate (bh-locked, no longer owned): FIN_WAIT2 goes to a
 * timewait sock (or lingers on the keepalive timer when TCP_LINGER2 is
 * longer than TIME_WAIT, or is reset when TCP_LINGER2 < 0); CLOSE is
 * destroyed; other states live on until the protocol finishes.
 */
static void tcp_close_orphan(struct sock *sk, int state)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* A softirq or backlog segment may have finished the socket already. */
	if (state != TCP_CLOSE && sk->sk_state == TCP_CLOSE)
		return;
	if (sk->sk_state == TCP_FIN_WAIT2) {
		if (READ_ONCE(tp->ext->linger2) < 0) {
			tcp_set_state(sk, TCP_CLOSE);
			tcp_send_active_reset(sk);
			NET_INC_STATS(sock_net(sk), LINUX_MIB_TCPABORTONLINGER);
		} else {
			u64 tmo = tcp_fin_time(sk);

			if (tmo > TCP_TIMEWAIT_LEN) {
				tcp_reset_keepalive_timer(sk,
							  tmo - TCP_TIMEWAIT_LEN);
			} else {
				tcp_time_wait(sk, TCP_FIN_WAIT2, tmo);
				return;
			}
		}
	}
	if (sk->sk_state == TCP_CLOSE)
		inet_csk_destroy_sock(sk);
	/* Still closing: the protocol timers finish it later. */
}

/**
 * tcp_close - close(2) of a TCP socket (RFC 9293 3.10.4 CLOSE)
 * @timeout: SO_LINGER time in ns (0: do not wait)
 *
 * RST instead of FIN when unread data is discarded (RFC 2525 2.17,
 * TCPAbortOnClose) or with SO_LINGER 0 (TCPAbortOnData); otherwise the
 * FIN follows the queued data. The sock becomes an orphan that lives on
 * until FIN_WAIT2/TIME_WAIT/CLOSE; the socket layer's reference is
 * dropped here.
 */
void tcp_close(struct sock *sk, long timeout)
{
	int state;

	lock_sock(sk);
	state = __tcp_close_user(sk, timeout);
	sock_hold(sk);
	sock_orphan(sk);
	/* Run the backlog and deferred work, then decide under the spinlock
	 * so that no softirq runs on the socket meanwhile. */
	release_sock(sk);
	bh_lock_sock(sk);
	tcp_close_orphan(sk, state);
	bh_unlock_sock(sk);
	sock_put(sk);
}

/* --- socket options ----------------------------------------------------------------- */

/* Linux's secs_to_retrans / retrans_to_secs (TCP_DEFER_ACCEPT). */
static u8 secs_to_retrans(int seconds, int timeout, int rto_max)
{
	u8 res = 0;

	if (seconds > 0) {
		int period = timeout;

		res = 1;
		while (seconds > period && res < 255) {
			res++;
			timeout <<= 1;
			if (timeout > rto_max)
				timeout = rto_max;
			period += timeout;
		}
	}
	return res;
}

static int retrans_to_secs(u8 retrans, int timeout, int rto_max)
{
	int period = 0;

	if (retrans > 0) {
		period = timeout;
		while (--retrans) {
			timeout <<= 1;
			if (timeout > rto_max)
				timeout = rto_max;
			period += timeout;
		}
	}
	return period;
}

/* Time since the peer was last heard from, in s (keepalive_time_elapsed). */
static u32 keepalive_time_elapsed_s(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 now = tcp_time_stamp_ms(sk);
	u32 a = now - inet_csk(sk)->icsk_ack.lrcvtime, b = now - tp->rcv_tstamp;

	return min(a, b) / 1000;
}

/* TCP_KEEPIDLE: re-arm a running keepalive timer for the new idle time. */
static int tcp_sock_set_keepidle(struct sock *sk, int val)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (val < 1 || val > MAX_TCP_KEEPIDLE)
		return -EINVAL;
	if (!tcp_ext_get(sk))
		return -ENOMEM;
	WRITE_ONCE(tp->ext->keepalive_time, (u32)val);
	if (sock_flag(sk, SOCK_KEEPOPEN) &&
	    !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))) {
		u32 elapsed = keepalive_time_elapsed_s(sk);

		elapsed = (u32)val > elapsed ? (u32)val - elapsed : 0;
		tcp_reset_keepalive_timer(sk, (u64)elapsed * NSEC_PER_SEC);
	}
	return 0;
}

/* TCP_NODELAY / TCP_CORK: Nagle state, pushing what is held on release. */
static void tcp_sock_set_nagle(struct sock *sk, int optname, int val)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (optname == TCP_NODELAY) {
		if (val) {
			tp->nonagle |= TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
			tcp_push_pending_frames(sk);
		} else {
			tp->nonagle &= ~TCP_NAGLE_OFF;
		}
		return;
	}
	if (val) {
		tp->nonagle |= TCP_NAGLE_CORK;
	} else {
		tp->nonagle &= ~TCP_NAGLE_CORK;
		if (tp->nonagle & TCP_NAGLE_OFF)
			tp->nonagle |= TCP_NAGLE_PUSH;
		tcp_push_pending_frames(sk);
	}
}

/* TCP_QUICKACK (Linux's __tcp_sock_set_quickack). */
static void tcp_sock_set_quickack(struct sock *sk, int val)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (!val) {
		icsk->icsk_ack.pingpong = TCP_PINGPONG_THRESH;
		return;
	}
	icsk->icsk_ack.pingpong = 0;
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT) &&
	    inet_csk_ack_scheduled(sk)) {
		icsk->icsk_ack.pending |= ICSK_ACK_PUSHED;
		tcp_cleanup_rbuf(sk, 1);
		if (!(val & 1))
			icsk->icsk_ack.pingpong = TCP_PINGPONG_THRESH;
	}
}

/* TCP_WINDOW_CLAMP (Linux's tcp_set_window_clamp). */
static int tcp_set_window_clamp(struct sock *sk, int val)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 old_clamp = tp->window_clamp, new_clamp;

	if (!val) {
		if (sk->sk_state != TCP_CLOSE)
			return -EINVAL;
		WRITE_ONCE(tp->window_clamp, 0);
		return 0;
	}
	new_clamp = (u32)max(SOCK_MIN_RCVBUF / 2, val);
	if (new_clamp == old_clamp)
		return 0;
	WRITE_ONCE(tp->window_clamp, new_clamp);
	if (new_clamp < old_clamp)
		tp->rcv_ssthresh = min(tp->rcv_wnd, new_clamp);
	else
		tp->rcv_ssthresh = max(min(tp->rcv_wnd, new_clamp),
				       tp->rcv_ssthresh);
	return 0;
}

/* TCP_CONGESTION: a name of up to TCP_CA_NAME_MAX - 1 bytes. */
static int tcp_sock_set_congestion(struct sock *sk, const void *optval,
				   socklen_t optlen)
{
	char name[TCP_CA_NAME_MAX];
	size_t n;

	if ((int)optlen < 1)
		return -EINVAL;
	n = min((size_t)optlen, sizeof(name) - 1);
	memcpy(name, optval, n);
	name[n] = 0;
	return tcp_set_congestion_control(sk, name);
}

/* The integer-valued SOL_TCP options (socket owned). */
static int do_tcp_setsockopt_int(struct sock *sk, int optname, int val)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	switch (optname) {
	case TCP_MAXSEG:
		/* The route MTU still caps the MSS in use; only Linux's range
		 * is checked here. */
		if (val && (val < (int)TCP_MIN_MSS || val > (int)MAX_TCP_WINDOW))
			return -EINVAL;
		tp->rx_opt.user_mss = (u16)val;
		return 0;
	case TCP_NODELAY:
	case TCP_CORK:
		tcp_sock_set_nagle(sk, optname, val);
		return 0;
	case TCP_KEEPIDLE:
		return tcp_sock_set_keepidle(sk, val);
	case TCP_KEEPINTVL:
		if (val < 1 || val > MAX_TCP_KEEPINTVL)
			return -EINVAL;
		if (!tcp_ext_get(sk))
			return -ENOMEM;
		WRITE_ONCE(tp->ext->keepalive_intvl, (u32)val);
		return 0;
	case TCP_KEEPCNT:
		if (val < 1 || val > MAX_TCP_KEEPCNT)
			return -EINVAL;
		if (!tcp_ext_get(sk))
			return -ENOMEM;
		WRITE_ONCE(tp->ext->keepalive_probes, (u8)val);
		return 0;
	case TCP_SYNCNT:
		if (val < 1 || val > MAX_TCP_SYNCNT)
			return -EINVAL;
		WRITE_ONCE(icsk->icsk_syn_retries, (u8)val);
		return 0;
	case TCP_LINGER2:
		if (!tcp_ext_get(sk))
			return -ENOMEM;
		if (val < 0)
			WRITE_ONCE(tp->ext->linger2, -1);
		else if (val > TCP_FIN_TIMEOUT_MAX_S)
			WRITE_ONCE(tp->ext->linger2, TCP_FIN_TIMEOUT_MAX_S);
		else
			WRITE_ONCE(tp->ext->linger2, val);
		return 0;
	case TCP_DEFER_ACCEPT:
		/* seconds -> SYN-ACK retransmissions that cover them */
		if (!tcp_ext_get(sk))
			return -ENOMEM;
		tp->ext->defer_accept = secs_to_retrans(val, 1,
							TCP_RTO_MAX / 1000000);
		return 0;
	case TCP_WINDOW_CLAMP:
		return tcp_set_window_clamp(sk, val);
	case TCP_QUICKACK:
		tcp_sock_set_quickack(sk, val);
		return 0;
	case TCP_USER_TIMEOUT:
		/* TCP_USER_TIMEOUT: ms of unacknowledged data (or unanswered
		 * probes) before ETIMEDOUT (RFC 9293 3.8.3 USER TIMEOUT). */
		if (val < 0)
			return -EINVAL;
		if (!tcp_ext_get(sk))
			return -ENOMEM;
		WRITE_ONCE(tcp_sk(sk)->ext->user_timeout, (u32)val);
		return 0;
	case TCP_NOTSENT_LOWAT:
		if (!tcp_ext_get(sk))
			return -ENOMEM;
		WRITE_ONCE(tp->ext->notsent_lowat, (u32)val);
		sk->sk_write_space(sk);
		return 0;
	case TCP_SAVE_SYN:
		/* Accepted; the SYN itself is not kept (TCP_SAVED_SYN is
		 * empty). */
		if (val < 0 || val > 1)
			return -EINVAL;
		tp->save_syn = (u8)val;
		return 0;
	case TCP_THIN_LINEAR_TIMEOUTS:
		if (val < 0 || val > 1)
			return -EINVAL;
		tp->thin_lto = (u8)val;
		return 0;
	case TCP_INQ:
		if (val > 1 || val < 0)
			return -EINVAL;
		tp->recvmsg_inq = (u8)val;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/**
 * tcp_setsockopt - setsockopt(2): SOL_TCP options with Linux's numbers,
 * bounds and errno (-EINVAL for a short value, -ENOPROTOOPT for an
 * unknown option); every other level goes to ip_setsockopt.
 */
int tcp_setsockopt(struct sock *sk, int level, int optname, const void *optval,
		   socklen_t optlen)
{
	int val, err;

	if (level != SOL_TCP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	if (optname == TCP_CONGESTION) {
		lock_sock(sk);
		err = tcp_sock_set_congestion(sk, optval, optlen);
		release_sock(sk);
		return err;
	}
	if (optlen < sizeof(int))
		return -EINVAL;
	memcpy(&val, optval, sizeof(val));
	lock_sock(sk);
	err = do_tcp_setsockopt_int(sk, optname, val);
	release_sock(sk);
	return err;
}

/* The integer-valued SOL_TCP options for getsockopt; -ENOPROTOOPT. */
static int do_tcp_getsockopt_int(struct sock *sk, int optname, int *val)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	struct net *net = sock_net(sk);

	switch (optname) {
	case TCP_MAXSEG:
		*val = (int)tp->mss_cache;
		if (tp->rx_opt.user_mss &&
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
			*val = tp->rx_opt.user_mss;
		return 0;
	case TCP_NODELAY:
		*val = !!(tp->nonagle & TCP_NAGLE_OFF);
		return 0;
	case TCP_CORK:
		*val = !!(tp->nonagle & TCP_NAGLE_CORK);
		return 0;
	case TCP_KEEPIDLE:
		*val = (int)(keepalive_time_when(tp) / NSEC_PER_SEC);
		return 0;
	case TCP_KEEPINTVL:
		*val = (int)(keepalive_intvl_when(tp) / NSEC_PER_SEC);
		return 0;
	case TCP_KEEPCNT:
		*val = keepalive_probes(tp);
		return 0;
	case TCP_SYNCNT:
		*val = icsk->icsk_syn_retries ?
			       icsk->icsk_syn_retries :
			       READ_ONCE(net->ipv4.sysctl_tcp_syn_retries);
		return 0;
	case TCP_LINGER2:
		*val = READ_ONCE(tp->ext->linger2);
		if (*val >= 0)
			*val = *val ? *val :
				      READ_ONCE(net->ipv4.sysctl_tcp_fin_timeout);
		return 0;
	case TCP_DEFER_ACCEPT:
		*val = retrans_to_secs(tp->ext->defer_accept, 1,
				       TCP_RTO_MAX / 1000000);
		return 0;
	case TCP_WINDOW_CLAMP:
		*val = (int)READ_ONCE(tp->window_clamp);
		return 0;
	case TCP_QUICKACK:
		*val = !inet_csk_in_pingpong_mode(sk);
		return 0;
	case TCP_USER_TIMEOUT:
		*val = (int)READ_ONCE(tcp_sk(sk)->ext->user_timeout);
		return 0;
	case TCP_NOTSENT_LOWAT:
		*val = (int)READ_ONCE(tp->ext->notsent_lowat);
		return 0;
	case TCP_SAVE_SYN:
		*val = tp->save_syn;
		return 0;
	case TCP_THIN_LINEAR_TIMEOUTS:
		*val = tp->thin_lto;
		return 0;
	case TCP_INQ:
		*val = tp->recvmsg_inq;
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/**
 * tcp_getsockopt - getsockopt(2) for SOL_TCP (other levels:
 * ip_getsockopt). TCP_INFO fills Linux's struct tcp_info truncated to
 * *@optlen; TCP_CONGESTION the algorithm's name; TCP_SAVED_SYN nothing.
 */
int tcp_getsockopt(struct sock *sk, int level, int optname, void *optval,
		   socklen_t *optlen)
{
	const struct tcp_congestion_ops *ca;
	struct tcp_info info;
	socklen_t len;
	int val, err;

	if (level != SOL_TCP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if ((int)*optlen < 0)
		return -EINVAL;
	switch (optname) {
	case TCP_INFO:
		tcp_get_info(sk, &info);
		len = min(*optlen, (socklen_t)sizeof(info));
		memcpy(optval, &info, len);
		*optlen = len;
		return 0;
	case TCP_CONGESTION:
		ca = READ_ONCE(inet_csk(sk)->icsk_ca_ops);
		len = min(*optlen, (socklen_t)TCP_CA_NAME_MAX);
		memset(optval, 0, len);
		if (ca)
			memcpy(optval, ca->name, min(len, (socklen_t)strnlen(ca->name, TCP_CA_NAME_MAX)));
		*optlen = len;
		return 0;
	case TCP_SAVED_SYN:
		*optlen = 0;
		return 0;
	}
	lock_sock(sk);
	err = do_tcp_getsockopt_int(sk, optname, &val);
	release_sock(sk);
	if (err)
		return err;
	len = min(*optlen, (socklen_t)sizeof(int));
	memcpy(optval, &val, len);
	*optlen = len;
	return 0;
}

/* --- TCP_INFO -------------------------------------------------------------------- */

/* tcpi_busy_time, rwnd_limited, sndbuf_limited (us, from the ms the
 * chronographs count, as Linux's from jiffies), the running one included
 * (Linux's tcp_get_info_chrono_stats). */
static void tcp_get_info_chrono_stats(const struct sock *sk,
				      struct tcp_info *info)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u64 stats[__TCP_CHRONO_MAX], total = 0;

	for (int i = TCP_CHRONO_BUSY; i < __TCP_CHRONO_MAX; ++i) {
		stats[i] = tp->ext->chrono_stat[i - 1];
		if (i == (int)tp->ext->chrono_type)
			stats[i] += (u32)(tcp_time_stamp_ms(sk) -
					  tp->ext->chrono_start);
		total += stats[i];
	}
	info->tcpi_busy_time = total * 1000;   /* ms -> us */
	info->tcpi_rwnd_limited = stats[TCP_CHRONO_RWND_LIMITED] * 1000;
	info->tcpi_sndbuf_limited = stats[TCP_CHRONO_SNDBUF_LIMITED] * 1000;
}

/* The fields of a connection (not a listener). */
static void tcp_get_info_conn(struct sock *sk, struct tcp_info *info)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 now = tcp_time_stamp_ms(sk);

	info->tcpi_ca_state = icsk->icsk_ca_state;
	info->tcpi_retransmits = icsk->icsk_retransmits;
	info->tcpi_probes = icsk->icsk_probes_out;
	info->tcpi_backoff = icsk->icsk_backoff;
	if (tp->rx_opt.tstamp_ok)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (tp->rx_opt.sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (tp->rx_opt.wscale_ok) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = tp->rx_opt.snd_wscale;
		info->tcpi_rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	info->tcpi_rto = icsk->icsk_rto;
	info->tcpi_ato = min(icsk->icsk_ack.ato, icsk->icsk_delack_max ?
							 icsk->icsk_delack_max :
							 TCP_DELACK_MAX);
	info->tcpi_snd_mss = tp->mss_cache;
	info->tcpi_rcv_mss = icsk->icsk_ack.rcv_mss;
	info->tcpi_unacked = tp->packets_out;
	info->tcpi_sacked = tp->sacked_out;
	info->tcpi_lost = tp->lost_out;
	info->tcpi_retrans = tp->retrans_out;
	info->tcpi_last_data_sent = now - tp->lsndtime;
	info->tcpi_last_data_recv = now - icsk->icsk_ack.lrcvtime;
	info->tcpi_last_ack_recv = now - tp->rcv_tstamp;
	info->tcpi_pmtu = icsk->icsk_pmtu_cookie;
	info->tcpi_rcv_ssthresh = tp->rcv_ssthresh;
	info->tcpi_rtt = tp->srtt_us >> 3;
	info->tcpi_rttvar = tp->mdev_us >> 2;
	info->tcpi_snd_ssthresh = tp->snd_ssthresh;
	info->tcpi_advmss = tp->advmss;
	info->tcpi_rcv_rtt = tp->rcv_rtt_est.rtt_us >> 3;
	info->tcpi_rcv_space = tp->rcvq_space.space;
	info->tcpi_total_retrans = tp->total_retrans;
	info->tcpi_bytes_acked = tp->bytes_acked;
	info->tcpi_bytes_received = tp->ext->bytes_received;
	info->tcpi_notsent_bytes = (u32)max(0, (int)(tp->write_seq - tp->snd_nxt));
	tcp_get_info_chrono_stats(sk, info);
	info->tcpi_segs_out = tp->segs_out;
	info->tcpi_segs_in = READ_ONCE(tp->segs_in);
	info->tcpi_data_segs_in = READ_ONCE(tp->ext->data_segs_in);
	info->tcpi_min_rtt = tp->rtt_min.rtt_us;
	info->tcpi_data_segs_out = tp->ext->data_segs_out;
	info->tcpi_delivery_rate_app_limited = tp->app_limited ? 1 : 0;
	info->tcpi_delivered = tp->delivered;
	info->tcpi_bytes_sent = tp->ext->bytes_sent;
	info->tcpi_bytes_retrans = tp->ext->bytes_retrans;
	info->tcpi_dsack_dups = tp->dsack_dups;
	info->tcpi_reord_seen = tp->reord_seen;
	info->tcpi_rcv_ooopack = tp->ext->rcv_ooopack;
	info->tcpi_snd_wnd = tp->snd_wnd;
}

/**
 * tcp_get_info - TCP_INFO as Linux fills struct tcp_info (<linux/tcp.h>):
 * times in us (rto, ato, rtt) and ms (last_*), a listener's unacked and
 * sacked aliased to its accept queue length and backlog. Not computed:
 * the pacing and delivery rates (no pacing: ~0 and 0 as Linux shows
 * without fq).
 */
void tcp_get_info(struct sock *sk, struct tcp_info *info)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 rate = READ_ONCE(sk->sk_pacing_rate);

	memset(info, 0, sizeof(*info));
	if (sk->sk_type != SOCK_STREAM)
		return;
	info->tcpi_state = READ_ONCE(sk->sk_state);
	info->tcpi_pacing_rate = rate != ~0U ? rate : ~0ULL;
	info->tcpi_max_pacing_rate = ~0ULL;
	info->tcpi_reordering = tp->reordering;
	info->tcpi_snd_cwnd = tcp_snd_cwnd(tp);
	if (info->tcpi_state == TCP_LISTEN) {
		/* Listeners alias: unacked = children ready for accept(),
		 * sacked = max backlog. */
		info->tcpi_unacked = (u32)READ_ONCE(sk->sk_ack_backlog);
		info->tcpi_sacked = (u32)READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}
	lock_sock(sk);
	tcp_get_info_conn(sk, info);
	release_sock(sk);
}
