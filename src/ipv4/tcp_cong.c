/*
 * Congestion control framework (Linux's net/ipv4/tcp_cong.c) and Reno.
 *
 * The registry is a process-wide list of struct tcp_congestion_ops filled
 * once (reno and cubic, registered lazily on first use through
 * pthread_once, so no init hook is needed); lookups take a read lock.
 * Per socket: tcp_assign_congestion_control picks the stack's default
 * (net.ipv4.tcp_congestion_control) when the socket is created,
 * TCP_CONGESTION replaces it (tcp_set_congestion_control), and
 * tcp_init_congestion_control runs the module's init when the connection
 * is established (tcp_init_transfer). tcp_ack calls ->cong_avoid through
 * tcp_cong_avoid only when the flow is cwnd-limited.
 *
 * Reno (RFC 5681): slow start grows cwnd by the number of segments each
 * ACK covers (RFC 5681 3.1 with RFC 3465's byte counting, as Linux's
 * tcp_slow_start), congestion avoidance by one segment per cwnd of ACKed
 * segments (tcp_cong_avoid_ai), ssthresh = max(cwnd/2, 2).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "sl/tcp.h"

static LIST_HEAD(tcp_cong_list);
static rwlock_t tcp_cong_lock = RWLOCK_UNLOCKED;
static pthread_once_t tcp_cong_once = PTHREAD_ONCE_INIT;

static const struct tcp_congestion_ops *__tcp_ca_find(const char *name)
{
	struct tcp_congestion_ops *e;

	list_for_each_entry(e, &tcp_cong_list, list) {
		if (strcmp(e->name, name) == 0)
			return e;
	}
	return NULL;
}

static int __tcp_register_congestion_control(struct tcp_congestion_ops *ca)
{
	int err = 0;

	/* All algorithms must implement ssthresh, undo_cwnd and one of
	 * cong_avoid / cong_control (as Linux checks). */
	if (!ca->ssthresh || !ca->undo_cwnd ||
	    !(ca->cong_avoid || ca->cong_control))
		return -EINVAL;
	write_lock(&tcp_cong_lock);
	if (__tcp_ca_find(ca->name))
		err = -EEXIST;
	else
		list_add_tail(&ca->list, &tcp_cong_list);
	rwlock_unlock(&tcp_cong_lock);
	return err;
}

/* Library init, once: reno first (the fallback), then cubic. */
static void tcp_cong_init_once(void)
{
	__tcp_register_congestion_control(&tcp_reno);
	__tcp_register_congestion_control(&cubictcp);
}

static void tcp_cong_init(void)
{
	pthread_once(&tcp_cong_once, tcp_cong_init_once);
}

/*
 * Add @ca to the registry (Linux's tcp_register_congestion_control).
 * -EEXIST when the name is taken, -EINVAL when a mandatory op is missing.
 * @ca must stay alive for the life of the process.
 */
int tcp_register_congestion_control(struct tcp_congestion_ops *ca)
{
	tcp_cong_init();
	return __tcp_register_congestion_control(ca);
}

/* Registered algorithm called @name, or NULL. */
const struct tcp_congestion_ops *tcp_ca_find(const char *name)
{
	const struct tcp_congestion_ops *ca;

	tcp_cong_init();
	read_lock(&tcp_cong_lock);
	ca = __tcp_ca_find(name);
	rwlock_unlock(&tcp_cong_lock);
	return ca;
}

/*
 * A new socket takes the stack's default (net.ipv4.tcp_congestion_control),
 * or reno when that name is not registered (Linux falls back the same
 * way). Process context, socket not yet connected.
 */
void tcp_assign_congestion_control(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_congestion_ops *ca;
	char name[TCP_CA_NAME_MAX];

	memcpy(name, sock_net(sk)->ipv4.sysctl_tcp_congestion_control,
	       sizeof(name));
	name[sizeof(name) - 1] = '\0';
	ca = tcp_ca_find(name);
	icsk->icsk_ca_ops = ca ? ca : &tcp_reno;
	memset(icsk->icsk_ca_priv, 0, sizeof(icsk->icsk_ca_priv));
}

/*
 * The connection starts (tcp_init_transfer): run the algorithm's init.
 * A socket that never got one (no tcp_assign_congestion_control) gets the
 * default here.
 */
void tcp_init_congestion_control(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (!icsk->icsk_ca_ops)
		tcp_assign_congestion_control(sk);
	if (icsk->icsk_ca_ops->init)
		icsk->icsk_ca_ops->init(sk);
	icsk->icsk_ca_initialized = 1;
}

/* The socket goes away or changes algorithm: run ->release. */
void tcp_cleanup_congestion_control(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ca_ops && icsk->icsk_ca_ops->release &&
	    icsk->icsk_ca_initialized)
		icsk->icsk_ca_ops->release(sk);
	icsk->icsk_ca_initialized = 0;
}

/*
 * TCP_CONGESTION: switch @sk to the algorithm called @name. -ENOENT when
 * no such algorithm is registered (Linux's answer without module
 * autoloading). An established connection re-initialises the new
 * algorithm at once, as Linux's tcp_reinit_congestion_control. Socket
 * owned by the caller.
 */
int tcp_set_congestion_control(struct sock *sk, const char *name)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_congestion_ops *ca = tcp_ca_find(name);

	if (!ca)
		return -ENOENT;
	icsk->icsk_ca_setsockopt = 1;
	if (ca == icsk->icsk_ca_ops)
		return 0;
	if (icsk->icsk_ca_initialized) {
		tcp_cleanup_congestion_control(sk);
		icsk->icsk_ca_ops = ca;
		memset(icsk->icsk_ca_priv, 0, sizeof(icsk->icsk_ca_priv));
		if (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN)
			tcp_init_congestion_control(sk);
	} else {
		icsk->icsk_ca_ops = ca;
		memset(icsk->icsk_ca_priv, 0, sizeof(icsk->icsk_ca_priv));
	}
	return 0;
}

/*
 * Enter @ca_state (TCP_CA_Open ... TCP_CA_Loss), telling the algorithm
 * first (Linux's tcp_set_ca_state).
 */
void tcp_set_ca_state(struct sock *sk, u8 ca_state)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (icsk->icsk_ca_ops && icsk->icsk_ca_ops->set_state)
		icsk->icsk_ca_ops->set_state(sk, ca_state);
	icsk->icsk_ca_state = ca_state & 0x1f;
}

/*
 * Is the sender limited by cwnd (rather than by the application or the
 * receive window)? RFC 7661 / Linux: growth is only earned when cwnd was
 * the limit; in slow start, while cwnd is below twice what was in flight
 * (so that it can double each round). is_cwnd_limited and
 * max_packets_out are maintained by tcp_output.c (tcp_cwnd_validate).
 */
bool tcp_is_cwnd_limited(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	if (tp->is_cwnd_limited)
		return true;
	if (tcp_in_slow_start(tp))
		return tcp_snd_cwnd(tp) < 2 * tp->max_packets_out;
	return false;
}

/*
 * Slow start (RFC 5681 3.1, RFC 3465 byte counting in segments): cwnd
 * grows by the number of newly ACKed segments, but not past ssthresh.
 * Returns the segments left over for congestion avoidance.
 */
u32 tcp_slow_start(struct tcp_sock *tp, u32 acked)
{
	u32 cwnd = tcp_snd_cwnd(tp) + acked;

	if (cwnd > tp->snd_ssthresh)
		cwnd = tp->snd_ssthresh;
	acked -= cwnd - tcp_snd_cwnd(tp);
	if (cwnd > tp->snd_cwnd_clamp && tp->snd_cwnd_clamp)
		cwnd = tp->snd_cwnd_clamp;
	tcp_snd_cwnd_set(tp, cwnd);
	return acked;
}

/*
 * Additive increase: one segment per @w segments ACKed (RFC 5681 3.1,
 * "cwnd += SMSS*SMSS/cwnd" in segment counting, as Linux's
 * tcp_cong_avoid_ai with its catch-up when w shrank).
 */
void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked)
{
	u32 clamp = tp->snd_cwnd_clamp ? tp->snd_cwnd_clamp : ~0U;

	if (w == 0)
		w = 1;
	/* w shrank since the credit was earned: turn the surplus into one
	 * segment and clear it. */
	if (tp->snd_cwnd_cnt >= w) {
		tp->snd_cwnd_cnt = 0;
		tcp_snd_cwnd_set(tp, tcp_snd_cwnd(tp) + 1);
	}
	tp->snd_cwnd_cnt += acked;
	if (tp->snd_cwnd_cnt >= w) {
		u32 delta = tp->snd_cwnd_cnt / w;

		tp->snd_cwnd_cnt -= delta * w;
		tcp_snd_cwnd_set(tp, tcp_snd_cwnd(tp) + delta);
	}
	if (tcp_snd_cwnd(tp) > clamp)
		tcp_snd_cwnd_set(tp, clamp);
}

/* Reno's cong_avoid: slow start, then one segment per window (RFC 5681). */
void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	struct tcp_sock *tp = tcp_sk(sk);

	(void)ack;
	if (!tcp_is_cwnd_limited(sk))
		return;
	/* below ssthresh: slow start */
	if (tcp_in_slow_start(tp)) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	/* at or above ssthresh: congestion avoidance */
	tcp_cong_avoid_ai(tp, tcp_snd_cwnd(tp), acked);
}

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS), as Linux uses cwnd. */
u32 tcp_reno_ssthresh(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 half = tcp_snd_cwnd(tp) >> 1;

	return half > 2U ? half : 2U;
}

/* Undo a reduction found spurious: back to the cwnd before it. */
u32 tcp_reno_undo_cwnd(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return tcp_snd_cwnd(tp) > tp->prior_cwnd ? tcp_snd_cwnd(tp) :
						   tp->prior_cwnd;
}

struct tcp_congestion_ops tcp_reno = {
	.ssthresh = tcp_reno_ssthresh,
	.cong_avoid = tcp_reno_cong_avoid,
	.undo_cwnd = tcp_reno_undo_cwnd,
	.name = "reno",
};
