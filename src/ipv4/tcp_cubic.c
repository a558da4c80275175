/*
 * CUBIC congestion control (RFC 9438), the default as in Linux, with
 * HyStart (hybrid slow start: ACK-train and delay-increase detection).
 *
 * Per ACK (cubictcp_cong_avoid): slow start until ssthresh (HyStart may
 * set ssthresh = cwnd early), then bictcp_update computes how many ACKed
 * segments earn one more segment of cwnd (ca->cnt) so that cwnd follows
 *   W(t) = C * (t - K)^3 + W_max,   K = cbrt(W_max * (1 - beta) / C)
 * with Linux's constants: beta = 717/1024 (0.7), C = 0.4 (bic_scale 41),
 * fast convergence, and the TCP-friendly (Reno-emulating) region of RFC
 * 9438 4.3. Time runs in 1/1024 s units as Linux (BICTCP_HZ = 10), taken
 * from the stack clock in ms (Linux's jiffies at HZ = 1000).
 *
 * Loss (cubictcp_recalc_ssthresh): epoch restarts, W_max remembered
 * (reduced further under fast convergence, RFC 9438 4.7), ssthresh =
 * cwnd * beta. cubic_root is our own: a 64-entry table gives the first
 * estimate, integer Newton-Raphson steps converge to floor(cbrt(a)).
 *
 * The state (struct bictcp, 60 bytes) lives out of line, allocated by the
 * first ACK that needs it: icsk_ca_priv keeps a pointer and the two values
 * cubictcp_init gives HyStart (issue 3: at most 1 KB per idle connection;
 * an idle connection never needs more). Until then each hook reads the
 * state init left: zeros and HyStart's round start.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sl/tcp.h"

#define BICTCP_BETA_SCALE 1024U   /* scale factor for beta */
#define BICTCP_HZ 10              /* BIC HZ 2^10 = 1024 */

#define HYSTART_ACK_TRAIN 0x1
#define HYSTART_DELAY 0x2
#define HYSTART_MIN_SAMPLES 8
#define HYSTART_DELAY_MIN 4000U   /* us */
#define HYSTART_DELAY_MAX 16000U  /* us */

/* Linux's module parameters, fixed here. */
static const int fast_convergence = 1;
static const u32 beta = 717;                /* = 717/1024 (BICTCP_BETA_SCALE) */
static const u32 bic_scale = 41;
static const int tcp_friendliness = 1;
static const int hystart = 1;
static const int hystart_detect = HYSTART_ACK_TRAIN | HYSTART_DELAY;
static const u32 hystart_low_window = 16;
static const u32 hystart_ack_delta_us = 2000;

/* Derived as in Linux's cubictcp_register. */
#define CUBE_RTT_SCALE (bic_scale * 10U)                       /* 410 */
#define BETA_SCALE (8U * (BICTCP_BETA_SCALE + beta) / 3U /     \
		    (BICTCP_BETA_SCALE - beta))                 /* 15 */
#define CUBE_FACTOR ((1ULL << (10 + 3 * BICTCP_HZ)) / CUBE_RTT_SCALE)

/* BIC TCP parameters (Linux's struct bictcp), behind icsk_ca_priv. */
struct bictcp {
	u32 cnt;              /* ACKs per cwnd increment */
	u32 last_max_cwnd;    /* W_max (RFC 9438) */
	u32 last_cwnd;        /* cwnd when cnt was computed */
	u32 last_time;        /* when last_cwnd was set (ms) */
	u32 bic_origin_point; /* cwnd at the curve's plateau */
	u32 bic_K;            /* K, 1/1024 s */
	u32 delay_min;        /* min delay (us) */
	u32 epoch_start;      /* beginning of an epoch (ms), 0 = none */
	u32 ack_cnt;          /* ACKs for the Reno estimate */
	u32 tcp_cwnd;         /* W_est (RFC 9438 4.3) */
	u16 unused;
	u8 sample_cnt;        /* delay samples this round */
	u8 found;             /* HyStart ended slow start */
	u32 round_start;      /* round start (us) */
	u32 end_seq;          /* round ends when this is acked */
	u32 last_ack;         /* last closely spaced ACK (us) */
	u32 curr_rtt;         /* lowest delay this round (us) */
};
/* What icsk_ca_priv holds. */
struct bictcp_priv {
	struct bictcp *ca;    /* the state, NULL until first needed */
	u32 round_start;      /* HyStart round start set by init (us) */
	u32 end_seq;          /* snd_nxt at init */
};
_Static_assert(sizeof(struct bictcp_priv) <= sizeof(((struct inet_connection_sock *)0)->icsk_ca_priv),
	       "bictcp_priv does not fit icsk_ca_priv");

static struct bictcp_priv *bictcp_priv(const struct sock *sk)
{
	return inet_csk_ca(sk);
}

/* @ca as cubictcp_init left it (bictcp_reset + bictcp_hystart_reset). */
static void bictcp_init_state(const struct bictcp_priv *p, struct bictcp *ca)
{
	memset(ca, 0, sizeof(*ca));
	ca->round_start = ca->last_ack = p->round_start;
	ca->end_seq = p->end_seq;
	ca->curr_rtt = ~0U;
}

/*
 * The state, allocated on first use. NULL before init (Linux's hooks then
 * work on state that init clears anyway) or when memory is short: the
 * caller works on a copy of the initial state instead.
 */
static struct bictcp *bictcp_ca(struct sock *sk)
{
	struct bictcp_priv *p = bictcp_priv(sk);

	if (likely(p->ca))
		return p->ca;
	if (!inet_csk(sk)->icsk_ca_initialized)
		return NULL;
	p->ca = malloc(sizeof(*p->ca));
	if (p->ca)
		bictcp_init_state(p, p->ca);
	return p->ca;
}

/* The ms clock CUBIC runs on (Linux: tcp_jiffies32 at HZ = 1000). */
static u32 bictcp_clock_ms(const struct sock *sk)
{
	return tcp_time_stamp_ms(sk);
}

static u32 bictcp_clock_us(const struct sock *sk)
{
	return (u32)tcp_clock_us(sk);
}

static void bictcp_reset(struct bictcp *ca)
{
	memset(ca, 0, offsetof(struct bictcp, unused));
	ca->found = 0;
}

static void bictcp_hystart_reset(struct sock *sk, struct bictcp *ca)
{
	struct tcp_sock *tp = tcp_sk(sk);

	ca->round_start = ca->last_ack = bictcp_clock_us(sk);
	ca->end_seq = tp->snd_nxt;
	ca->curr_rtt = ~0U;
	ca->sample_cnt = 0;
}

/* Reset the state (init, Loss): in place, or by noting what a fresh one
 * starts from. */
static void bictcp_restart(struct sock *sk)
{
	struct bictcp_priv *p = bictcp_priv(sk);

	if (p->ca) {
		bictcp_reset(p->ca);
		if (hystart)
			bictcp_hystart_reset(sk, p->ca);
		return;
	}
	p->round_start = bictcp_clock_us(sk);
	p->end_seq = tcp_sk(sk)->snd_nxt;
}

static void cubictcp_init(struct sock *sk)
{
	bictcp_restart(sk);
}

static void cubictcp_release(struct sock *sk)
{
	struct bictcp_priv *p = bictcp_priv(sk);

	free(p->ca);
	p->ca = NULL;
}

/* Sending resumes after idle: shift the epoch by the idle time so the
 * cubic curve does not jump (Linux's CA_EVENT_TX_START handling). */
static void cubictcp_cwnd_event(struct sock *sk, enum tcp_ca_event event)
{
	if (event == CA_EVENT_TX_START) {
		struct bictcp *ca = bictcp_priv(sk)->ca;  /* none: no epoch */
		u32 now = bictcp_clock_ms(sk);
		s32 delta = (s32)(now - tcp_sk(sk)->lsndtime);

		/* After an idle spell, move the epoch forward by its length so
		 * growth resumes on the same curve (RFC 9438 5.8). */
		if (ca && ca->epoch_start && delta > 0) {
			ca->epoch_start += (u32)delta;
			if (after(ca->epoch_start, now))
				ca->epoch_start = now;
		}
	}
}

/* floor(cbrt(i)) */
static const u8 cbrt_table[64] = {
	0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

static int fls64(u64 x)
{
	return x ? 64 - __builtin_clzll(x) : 0;
}

/*
 * floor(cbrt(a)) for any 64-bit @a. The table gives cbrt of the top bits
 * (rounded up, so the estimate starts at or above the root); Newton's
 * iteration x' = (2x + a/x^2) / 3 then decreases monotonically to the
 * floor of the cube root, usually in two or three steps.
 */
u32 cubic_root(u64 a)
{
	u64 x, y;
	int b, shift;

	if (a < 64)
		return cbrt_table[a];
	b = fls64(a);
	/* a < 2^b: the top 6 bits (a >> shift < 64), shift a multiple of 3. */
	shift = ((b - 6 + 2) / 3) * 3;
	x = ((u64)cbrt_table[a >> shift] + 1) << (shift / 3);
	for (;;) {
		y = (2 * x + a / (x * x)) / 3;
		if (y >= x)
			break;
		x = y;
	}
	/* Newton on integers can stop one above the floor; above 2642245
	 * the cube does not fit in 64 bits (and exceeds any u64). */
	while (x > 2642245 || x * x * x > a)
		x--;
	return (u32)x;
}

/* Compute the congestion window increment (ca->cnt) for this ACK. */
static void bictcp_update(struct sock *sk, struct bictcp *ca, u32 cwnd,
			  u32 acked)
{
	u32 delta, bic_target, max_cnt, now = bictcp_clock_ms(sk);
	u64 offs, t;

	ca->ack_cnt += acked;   /* ACKs for W_est */

	if (ca->last_cwnd == cwnd && (s32)(now - ca->last_time) <= 1000 / 32)
		return;
	/* Recompute the curve at most once per ms; other ACKs in the same ms
	 * only advance the Reno estimate. */
	if (ca->epoch_start && now == ca->last_time)
		goto tcp_friendliness;

	ca->last_cwnd = cwnd;
	ca->last_time = now;

	if (ca->epoch_start == 0) {
		ca->epoch_start = now ? now : 1;  /* new epoch starts now */
		ca->ack_cnt = acked;              /* fresh W_est count */
		ca->tcp_cwnd = cwnd;              /* W_est starts at cwnd */
		if (ca->last_max_cwnd <= cwnd) {
			ca->bic_K = 0;
			ca->bic_origin_point = cwnd;
		} else {
			/* RFC 9438 4.2: K = cubic_root(W_max * (1 - beta) / C),
			 * in 1/1024 s (CUBE_FACTOR folds the scalings). */
			ca->bic_K = cubic_root(CUBE_FACTOR *
					       (ca->last_max_cwnd - cwnd));
			ca->bic_origin_point = ca->last_max_cwnd;
		}
	}

	/* cubic function - calc: t = now - epoch + min RTT (RFC 9438 4.2
	 * targets one RTT ahead), in 1/1024 s. */
	t = (u64)(s32)(now - ca->epoch_start) * 1000;    /* us */
	t += ca->delay_min;
	t = (t << BICTCP_HZ) / 1000000ULL;

	if (t < ca->bic_K)        /* t - K */
		offs = ca->bic_K - t;
	else
		offs = t - ca->bic_K;

	/* C * (t - K)^3 in segments */
	delta = (u32)((CUBE_RTT_SCALE * offs * offs * offs) >>
		      (10 + 3 * BICTCP_HZ));
	if (t < ca->bic_K)        /* before K: concave */
		bic_target = ca->bic_origin_point - delta;
	else                      /* after K: convex */
		bic_target = ca->bic_origin_point + delta;

	/* ACKs per increment from target vs cwnd */
	if (bic_target > cwnd)
		ca->cnt = cwnd / (bic_target - cwnd);
	else
		ca->cnt = 100 * cwnd;     /* grow very slowly */

	/* With no W_max yet the curve can be too cautious while the path
	 * capacity is unknown. */
	if (ca->last_max_cwnd == 0 && ca->cnt > 20)
		ca->cnt = 20;   /* about 5% per RTT */

tcp_friendliness:
	/* RFC 9438 4.3: the Reno-friendly region, W_est grows by
	 * 3 (1 - beta) / (1 + beta) segments per RTT. */
	if (tcp_friendliness) {
		u32 scale = BETA_SCALE;

		delta = (cwnd * scale) >> 3;
		if (delta == 0)
			delta = 1;
		while (ca->ack_cnt > delta) {   /* advance W_est */
			ca->ack_cnt -= delta;
			ca->tcp_cwnd++;
		}
		if (ca->tcp_cwnd > cwnd) {      /* Reno would be faster */
			delta = ca->tcp_cwnd - cwnd;
			max_cnt = cwnd / delta;
			if (ca->cnt > max_cnt)
				ca->cnt = max_cnt;
		}
	}
	/* Cap growth at one segment per two ACKed, i.e. at most 1.5x cwnd per
	 * RTT. */
	if (ca->cnt < 2)
		ca->cnt = 2;
}

static void cubictcp_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct bictcp *ca, tmp;

	(void)ack;
	if (!tcp_is_cwnd_limited(sk))
		return;
	if (tcp_in_slow_start(tp)) {
		acked = tcp_slow_start(tp, acked);
		if (!acked)
			return;
	}
	ca = bictcp_ca(sk);
	if (unlikely(!ca)) {
		bictcp_init_state(bictcp_priv(sk), &tmp);
		ca = &tmp;
	}
	bictcp_update(sk, ca, tcp_snd_cwnd(tp), acked);
	tcp_cong_avoid_ai(tp, ca->cnt, acked);
}

/* RFC 9438 4.6/4.7: multiplicative decrease with fast convergence. */
static u32 cubictcp_recalc_ssthresh(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct bictcp *ca = bictcp_ca(sk), tmp;
	u32 ss;

	if (unlikely(!ca)) {
		bictcp_init_state(bictcp_priv(sk), &tmp);
		ca = &tmp;
	}
	ca->epoch_start = 0;    /* curve restarts at next ACK */
	/* RFC 9438 4.7: lower W_max further when losses come earlier than last
	 * time */
	if (tcp_snd_cwnd(tp) < ca->last_max_cwnd && fast_convergence)
		ca->last_max_cwnd = (tcp_snd_cwnd(tp) *
				     (BICTCP_BETA_SCALE + beta)) /
				    (2 * BICTCP_BETA_SCALE);
	else
		ca->last_max_cwnd = tcp_snd_cwnd(tp);
	ss = (tcp_snd_cwnd(tp) * beta) / BICTCP_BETA_SCALE;
	return ss > 2U ? ss : 2U;
}

static void cubictcp_state(struct sock *sk, u8 new_state)
{
	if (new_state == TCP_CA_Loss)
		bictcp_restart(sk);
}

/* Account for TSO/GSO delays: an ACK train may legitimately be spread
 * by the time a 64 KB burst takes at the pacing rate (Linux's
 * hystart_ack_delay). No pacing here: 0 unless a rate is set. */
static u32 hystart_ack_delay(const struct sock *sk)
{
	u64 rate = READ_ONCE(sk->sk_pacing_rate);
	u64 d;

	if (!rate || rate == ~0U)
		return 0;
	d = (u64)(sk->sk_gso_max_size ? sk->sk_gso_max_size : 65536) * 4 *
	    1000000ULL / rate;
	return (u32)(d < 1000 ? d : 1000);
}

static void hystart_update(struct sock *sk, struct bictcp *ca, u32 delay)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 threshold;

	if (after(tp->snd_una, ca->end_seq))
		bictcp_hystart_reset(sk, ca);

	if (hystart_detect & HYSTART_ACK_TRAIN) {
		u32 now = bictcp_clock_us(sk);

		/* HyStart ACK-train test */
		if ((s32)(now - ca->last_ack) <= (s32)hystart_ack_delta_us) {
			ca->last_ack = now;
			threshold = ca->delay_min + hystart_ack_delay(sk);
			/* Closely spaced ACKs spanning more than delay_min/2
			 * mean the pipe is full. */
			threshold >>= 1;
			if ((s32)(now - ca->round_start) > (s32)threshold) {
				ca->found = 1;
				NET_INC_STATS(sock_net(sk),
					      LINUX_MIB_TCPHYSTARTTRAINDETECT);
				NET_ADD_STATS(sock_net(sk),
					      LINUX_MIB_TCPHYSTARTTRAINCWND,
					      tcp_snd_cwnd(tp));
				tp->snd_ssthresh = tcp_snd_cwnd(tp);
			}
		}
	}

	if (hystart_detect & HYSTART_DELAY) {
		/* take the smallest of the first samples of the round */
		if (ca->curr_rtt > delay)
			ca->curr_rtt = delay;
		if (ca->sample_cnt < HYSTART_MIN_SAMPLES) {
			ca->sample_cnt++;
		} else {
			u32 thresh = ca->delay_min >> 3;

			if (thresh < HYSTART_DELAY_MIN)
				thresh = HYSTART_DELAY_MIN;
			if (thresh > HYSTART_DELAY_MAX)
				thresh = HYSTART_DELAY_MAX;
			if (ca->curr_rtt > ca->delay_min + thresh) {
				ca->found = 1;
				NET_INC_STATS(sock_net(sk),
					      LINUX_MIB_TCPHYSTARTDELAYDETECT);
				NET_ADD_STATS(sock_net(sk),
					      LINUX_MIB_TCPHYSTARTDELAYCWND,
					      tcp_snd_cwnd(tp));
				tp->snd_ssthresh = tcp_snd_cwnd(tp);
			}
		}
	}
}

static void cubictcp_acked(struct sock *sk, const struct ack_sample *sample)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct bictcp *ca;
	u32 delay;

	/* no RTT sample on this ACK */
	if (sample->rtt_us < 0)
		return;
	/* Before init (the SYN's ACK) Linux's samples go to state that init
	 * clears; and without memory there is nowhere to keep one. */
	ca = bictcp_ca(sk);
	if (!ca)
		return;
	/* Delays just after recovery include queue drain time: skip them. */
	if (ca->epoch_start && (s32)(bictcp_clock_ms(sk) - ca->epoch_start) < 1000)
		return;
	delay = (u32)sample->rtt_us;
	if (delay == 0)
		delay = 1;
	/* first sample, or a new minimum */
	if (ca->delay_min == 0 || ca->delay_min > delay)
		ca->delay_min = delay;
	if (!ca->found && tcp_in_slow_start(tp) && hystart &&
	    tcp_snd_cwnd(tp) >= hystart_low_window)
		hystart_update(sk, ca, delay);
}

struct tcp_congestion_ops cubictcp = {
	.init = cubictcp_init,
	.release = cubictcp_release,
	.ssthresh = cubictcp_recalc_ssthresh,
	.cong_avoid = cubictcp_cong_avoid,
	.set_state = cubictcp_state,
	.undo_cwnd = tcp_reno_undo_cwnd,
	.cwnd_event = cubictcp_cwnd_event,
	.pkts_acked = cubictcp_acked,
	.name = "cubic",
};
