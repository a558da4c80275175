/*
 * SOL_SOCKET options, as Linux's sk_setsockopt/sk_getsockopt
 * (net/core/sock.c).
 *
 * The socket layer (sys.c) sends level SOL_SOCKET here and every other
 * level to sock->ops->setsockopt. One flat switch per direction, each case
 * doing what Linux's does. optval/optlen are the caller's memory.
 *
 * Capabilities: sockline's stacks belong to the calling user, who holds
 * every capability over them, so options that need CAP_NET_ADMIN or
 * CAP_NET_RAW on Linux (SO_SNDBUFFORCE, SO_RCVBUFFORCE, SO_PRIORITY > 6,
 * SO_MARK, SO_DEBUG) are allowed.
 *
 * Time: Linux keeps SO_RCVTIMEO/SO_SNDTIMEO/SO_LINGER in jiffies; we keep
 * nanoseconds on the stack's clock, so values read back exactly as set
 * (to the microsecond) instead of rounded to a jiffy.
 *
 * SO_TIMESTAMP/SO_TIMESTAMPNS set SOCK_RCVTSTAMP(NS); a receive path that
 * calls sock_recv_timestamp() gets the SCM_TIMESTAMP(NS) cmsg. The time is
 * skb->tstamp in wall-clock time, as Linux reports it (a stack on a
 * virtual clock has none: its virtual time is reported). SIOCGSTAMP is
 * not offered (-ENOTTY; Linux gives the last packet's stamp). SO_PEEK_OFF
 * is not offered (Linux supports it for UDP; here -EOPNOTSUPP as Linux
 * gives for families without set_peek_off). SO_NO_CHECK, SO_PASSCRED,
 * SO_ATTACH_FILTER and the other options not listed in the switches are
 * -ENOPROTOOPT.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/tcp_states.h"

/*
 * Smallest buffers (Linux's SOCK_MIN_SNDBUF/SOCK_MIN_RCVBUF on x86_64:
 * 2048 + SKB_TRUESIZE overhead, doubled for the send side).
 */
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304

#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif
#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#define SO_TIMESTAMPNS_NEW 64
#endif

#define SK_TIMEO_FOREVER INT64_MAX

static void sock_set_sndbuf(struct sock *sk, int val)
{
	/* Cap first so that the doubling below cannot overflow an int. */
	val = min_t(int, val, INT_MAX / 2);
	sk->sk_userlocks |= SOCK_SNDBUF_LOCK;
	WRITE_ONCE(sk->sk_sndbuf, max_t(int, val * 2, SOCK_MIN_SNDBUF));
	/* A larger buffer may let blocked writers go on: tell them. */
	if (sk->sk_write_space)
		sk->sk_write_space(sk);
}

/*
 * The stored limit is twice the request: the buffer is charged for skb
 * metadata as well as payload, and a program that asks for N bytes
 * expects room for about N bytes of data. getsockopt reports the doubled
 * figure, the limit really in force (socket(7), Linux's
 * __sock_set_rcvbuf).
 */
static void sock_set_rcvbuf(struct sock *sk, int val)
{
	val = min_t(int, val, INT_MAX / 2);
	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	WRITE_ONCE(sk->sk_rcvbuf, max_t(int, val * 2, SOCK_MIN_RCVBUF));
}

/* SO_RCVTIMEO/SO_SNDTIMEO (Linux's sock_set_timeout). */
static int sock_set_timeout(s64 *timeo_p, const void *optval,
			    socklen_t optlen)
{
	struct timeval tv;

	if (optlen < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, optval, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		/* Linux: a negative timeout means "don't wait" (and logs). */
		WRITE_ONCE(*timeo_p, 0);
		return 0;
	}
	if ((tv.tv_sec == 0 && tv.tv_usec == 0) ||
	    tv.tv_sec >= (INT64_MAX / (s64)NSEC_PER_SEC) - 1)
		WRITE_ONCE(*timeo_p, SK_TIMEO_FOREVER);
	else
		WRITE_ONCE(*timeo_p, (s64)tv.tv_sec * (s64)NSEC_PER_SEC +
					     (s64)tv.tv_usec * 1000);
	return 0;
}

static void sock_get_timeout(s64 timeo, struct timeval *tv)
{
	if (timeo == SK_TIMEO_FOREVER) {
		tv->tv_sec = 0;
		tv->tv_usec = 0;
		return;
	}
	tv->tv_sec = timeo / (s64)NSEC_PER_SEC;
	tv->tv_usec = (timeo % (s64)NSEC_PER_SEC) / 1000;
}

static int sock_set_linger(struct sock *sk, const void *optval,
			   socklen_t optlen)
{
	struct linger ling;

	if (optlen < sizeof(ling))
		return -EINVAL;
	memcpy(&ling, optval, sizeof(ling));
	if (!ling.l_onoff) {
		sock_reset_flag(sk, SOCK_LINGER);
		return 0;
	}
	/* As an unsigned number of seconds (UINT_MAX s still fits in ns). */
	sk->sk_lingertime = (s64)(unsigned int)ling.l_linger *
			    (s64)NSEC_PER_SEC;
	sock_set_flag(sk, SOCK_LINGER);
	return 0;
}

static void sock_set_timestamp(struct sock *sk, int optname, bool valbool)
{
	if (!valbool) {
		sock_reset_flag(sk, SOCK_RCVTSTAMP);
		sock_reset_flag(sk, SOCK_RCVTSTAMPNS);
		return;
	}
	if (optname == SO_TIMESTAMP || optname == SO_TIMESTAMP_NEW)
		sock_reset_flag(sk, SOCK_RCVTSTAMPNS);
	else
		sock_set_flag(sk, SOCK_RCVTSTAMPNS);
	sock_set_flag(sk, SOCK_RCVTSTAMP);
	sock_set_flag(sk, SOCK_TIMESTAMP);
}

/*
 * Linux's sock_bindtoindex_locked: any index >= 0 is stored as it is (the
 * device need not exist; SO_BINDTODEVICE resolves names and checks).
 */
static int sock_bindtoindex(struct sock *sk, int ifindex)
{
	if (ifindex < 0)
		return -EINVAL;
	lock_sock(sk);
	sk->sk_bound_dev_if = ifindex;
	if (sk->sk_prot->rehash)
		sk->sk_prot->rehash(sk);
	sk_dst_reset(sk);
	release_sock(sk);
	return 0;
}

/*
 * SO_BINDTODEVICE by name in the socket's stack; "" or length 0 unbinds
 * (Linux's sock_setbindtodevice).
 */
static int sock_setbindtodevice(struct sock *sk, const void *optval,
				socklen_t optlen)
{
	char devname[IFNAMSIZ];
	struct net_device *dev;
	int index = 0;

	if ((int)optlen < 0)
		return -EINVAL;
	if (optlen > IFNAMSIZ - 1)
		optlen = IFNAMSIZ - 1;
	memset(devname, 0, sizeof(devname));
	if (optlen && !optval)
		return -EFAULT;
	if (optlen)
		memcpy(devname, optval, optlen);
	if (devname[0]) {
		dev = dev_get_by_name(sock_net(sk), devname);
		if (!dev)
			return -ENODEV;
		index = dev->ifindex;
	}
	return sock_bindtoindex(sk, index);
}

/**
 * sock_setsockopt - setsockopt(SOL_SOCKET)
 * @optval: caller memory, @optlen: its size
 *
 * Returns 0 or -EINVAL (optlen shorter than an int, or a bad value),
 * -EFAULT (no buffer), -EDOM (timeval usec out of range), -ENODEV,
 * -ENOPROTOOPT (unknown or read-only option), -EOPNOTSUPP.
 */
int sock_setsockopt(struct socket *sock, int level, int optname,
		    const void *optval, socklen_t optlen)
{
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	int val, ret = 0;
	bool valbool;

	if (optname == SO_BINDTODEVICE)
		return sock_setbindtodevice(sk, optval, optlen);
	if (optlen < sizeof(int))
		return -EINVAL;
	if (!optval)
		return -EFAULT;
	memcpy(&val, optval, sizeof(val));
	valbool = val ? 1 : 0;

	switch (optname) {
	case SO_DEBUG:
		sock_valbool_flag(sk, SOCK_DBG, valbool);
		break;
	case SO_REUSEADDR:
		sk->sk_reuse = valbool ? SK_CAN_REUSE : SK_NO_REUSE;
		break;
	case SO_REUSEPORT:
		sk->sk_reuseport = valbool;
		break;
	case SO_DONTROUTE:
		sock_valbool_flag(sk, SOCK_LOCALROUTE, valbool);
		sk_dst_reset(sk);
		break;
	case SO_BROADCAST:
		sock_valbool_flag(sk, SOCK_BROADCAST, valbool);
		break;
	case SO_SNDBUF:
		/*
		 * A request above wmem_max is clamped, not refused: buffer
		 * sizes are advice to the stack, and a program should not
		 * have to probe for the largest accepted value. Read as
		 * unsigned, a negative value clamps to the maximum too.
		 */
		sock_set_sndbuf(sk, (int)min_t(u32, (u32)val,
			(u32)READ_ONCE(net->core.sysctl_wmem_max)));
		break;
	case SO_SNDBUFFORCE:
		/* Negative becomes 0 (then the minimum): doubling a negative
		 * value would give a nonsense limit. */
		sock_set_sndbuf(sk, val < 0 ? 0 : val);
		break;
	case SO_RCVBUF:
		sock_set_rcvbuf(sk, (int)min_t(u32, (u32)val,
			(u32)READ_ONCE(net->core.sysctl_rmem_max)));
		break;
	case SO_RCVBUFFORCE:
		sock_set_rcvbuf(sk, val < 0 ? 0 : val);
		break;
	case SO_KEEPALIVE:
		/* As Linux's sock_setsockopt: the protocol reacts first (TCP
		 * arms or stops its keepalive timer), then the flag changes. */
		if (sk->sk_prot->keepalive)
			sk->sk_prot->keepalive(sk, valbool);
		sock_valbool_flag(sk, SOCK_KEEPOPEN, valbool);
		break;
	case SO_OOBINLINE:
		sock_valbool_flag(sk, SOCK_URGINLINE, valbool);
		break;
	case SO_PRIORITY:
		WRITE_ONCE(sk->sk_priority, (u32)val);
		break;
	case SO_LINGER:
		ret = sock_set_linger(sk, optval, optlen);
		break;
	case SO_TIMESTAMP:
	case SO_TIMESTAMPNS:
	case SO_TIMESTAMP_NEW:
	case SO_TIMESTAMPNS_NEW:
		sock_set_timestamp(sk, optname, valbool);
		break;
	case SO_RCVLOWAT:
		if (val < 0)
			val = INT_MAX;
		WRITE_ONCE(sk->sk_rcvlowat, val ? val : 1);
		break;
	case SO_RCVTIMEO:
	case SO_RCVTIMEO_NEW:
		ret = sock_set_timeout(&sk->sk_rcvtimeo, optval, optlen);
		break;
	case SO_SNDTIMEO:
	case SO_SNDTIMEO_NEW:
		ret = sock_set_timeout(&sk->sk_sndtimeo, optval, optlen);
		break;
	case SO_MARK:
		if ((u32)val != sk->sk_mark) {
			WRITE_ONCE(sk->sk_mark, (u32)val);
			sk_dst_reset(sk);
		}
		break;
	case SO_RXQ_OVFL:
		sock_valbool_flag(sk, SOCK_RXQ_OVFL, valbool);
		break;
	case SO_SELECT_ERR_QUEUE:
		sock_valbool_flag(sk, SOCK_SELECT_ERR_QUEUE, valbool);
		break;
	case SO_BINDTOIFINDEX:
		ret = sock_bindtoindex(sk, val);
		break;
	case SO_PEEK_OFF:
		ret = -EOPNOTSUPP;
		break;
	default:
		/* SO_TYPE, SO_ERROR, SO_PROTOCOL... are read-only. */
		ret = -ENOPROTOOPT;
		break;
	}
	return ret;
}

/* SO_BINDTODEVICE read back (Linux's sock_getbindtodevice). */
static int sock_getbindtodevice(struct sock *sk, void *optval,
				socklen_t *optlen, int len)
{
	int ifindex = READ_ONCE(sk->sk_bound_dev_if);
	struct net_device *dev;

	if (ifindex == 0) {
		*optlen = 0;
		return 0;
	}
	if (len < IFNAMSIZ)
		return -EINVAL;
	dev = dev_get_by_index(sock_net(sk), ifindex);
	if (!dev)
		return -ENXIO;
	len = (int)strlen(dev->name) + 1;
	if (!optval)
		return -EFAULT;
	memcpy(optval, dev->name, (size_t)len);
	*optlen = (socklen_t)len;
	return 0;
}

/* SO_ERROR: the pending error, else the soft one; both cleared. */
static int sock_get_error(struct sock *sk)
{
	int err = -sock_error(sk);

	if (!err)
		err = __atomic_exchange_n(&sk->sk_err_soft, 0,
					  __ATOMIC_RELAXED);
	return err;
}

/**
 * sock_getsockopt - getsockopt(SOL_SOCKET)
 * @optlen: in: room at @optval; out: bytes written
 *
 * As Linux: a buffer shorter than the value gets the value's first bytes
 * (no error); a negative length is -EINVAL; unknown options -ENOPROTOOPT.
 */
int sock_getsockopt(struct socket *sock, int level, int optname, void *optval,
		    socklen_t *optlen)
{
	struct sock *sk = sock->sk;
	union {
		int val;
		struct linger ling;
		struct timeval tm;
	} v;
	int lv = sizeof(int);
	int len;

	if (!optlen)
		return -EFAULT;
	len = (int)*optlen;
	if (len < 0)
		return -EINVAL;
	memset(&v, 0, sizeof(v));

	switch (optname) {
	case SO_DEBUG:
		v.val = sock_flag(sk, SOCK_DBG);
		break;
	case SO_DONTROUTE:
		v.val = sock_flag(sk, SOCK_LOCALROUTE);
		break;
	case SO_BROADCAST:
		v.val = sock_flag(sk, SOCK_BROADCAST);
		break;
	case SO_SNDBUF:
		v.val = READ_ONCE(sk->sk_sndbuf);
		break;
	case SO_RCVBUF:
		v.val = READ_ONCE(sk->sk_rcvbuf);
		break;
	case SO_REUSEADDR:
		v.val = sk->sk_reuse;
		break;
	case SO_REUSEPORT:
		v.val = sk->sk_reuseport;
		break;
	case SO_KEEPALIVE:
		v.val = sock_flag(sk, SOCK_KEEPOPEN);
		break;
	case SO_TYPE:
		v.val = sk->sk_type;
		break;
	case SO_PROTOCOL:
		v.val = sk->sk_protocol;
		break;
	case SO_DOMAIN:
		v.val = sk->sk_family;
		break;
	case SO_ERROR:
		v.val = sock_get_error(sk);
		break;
	case SO_OOBINLINE:
		v.val = sock_flag(sk, SOCK_URGINLINE);
		break;
	case SO_PRIORITY:
		v.val = (int)READ_ONCE(sk->sk_priority);
		break;
	case SO_LINGER:
		lv = sizeof(v.ling);
		v.ling.l_onoff = sock_flag(sk, SOCK_LINGER);
		v.ling.l_linger = (int)(sk->sk_lingertime / (s64)NSEC_PER_SEC);
		break;
	case SO_TIMESTAMP:
		v.val = sock_flag(sk, SOCK_RCVTSTAMP) &&
			!sock_flag(sk, SOCK_RCVTSTAMPNS);
		break;
	case SO_TIMESTAMPNS:
		v.val = sock_flag(sk, SOCK_RCVTSTAMPNS);
		break;
	case SO_RCVTIMEO:
	case SO_RCVTIMEO_NEW:
		lv = sizeof(v.tm);
		sock_get_timeout(READ_ONCE(sk->sk_rcvtimeo), &v.tm);
		break;
	case SO_SNDTIMEO:
	case SO_SNDTIMEO_NEW:
		lv = sizeof(v.tm);
		sock_get_timeout(READ_ONCE(sk->sk_sndtimeo), &v.tm);
		break;
	case SO_RCVLOWAT:
		v.val = READ_ONCE(sk->sk_rcvlowat);
		break;
	case SO_SNDLOWAT:
		v.val = 1;
		break;
	case SO_ACCEPTCONN:
		v.val = sk->sk_state == TCP_LISTEN;
		break;
	case SO_MARK:
		v.val = (int)READ_ONCE(sk->sk_mark);
		break;
	case SO_RXQ_OVFL:
		v.val = sock_flag(sk, SOCK_RXQ_OVFL);
		break;
	case SO_SELECT_ERR_QUEUE:
		v.val = sock_flag(sk, SOCK_SELECT_ERR_QUEUE);
		break;
	case SO_BINDTOIFINDEX:
		v.val = READ_ONCE(sk->sk_bound_dev_if);
		break;
	case SO_BINDTODEVICE:
		return sock_getbindtodevice(sk, optval, optlen, len);
	case SO_PEEK_OFF:
		return -EOPNOTSUPP;
	default:
		/* Not an option this layer knows (see the file head). */
		return -ENOPROTOOPT;
	}

	if (len > lv)
		len = lv;
	if (len && !optval)
		return -EFAULT;
	memcpy(optval, &v, (size_t)len);
	*optlen = (socklen_t)len;
	return 0;
}

/**
 * sock_recv_timestamp - SCM_TIMESTAMP(NS) for a received skb
 * @msg: the recvmsg message (its control buffer takes the cmsg)
 *
 * Nothing when the socket did not ask. The stamp is the skb's arrival
 * time (now when the skb carries none) in CLOCK_REALTIME, or on the
 * stack's clock when that is virtual.
 */
void sock_recv_timestamp(struct sl_msghdr *msg, struct sock *sk,
			 const struct sk_buff *skb)
{
	const struct net *net = sock_net(sk);
	u64 t;

	if (!sock_flag(sk, SOCK_RCVTSTAMP))
		return;
	t = sl_clock_realtime(net->clock,
			      skb->tstamp ? skb->tstamp : net_now(net));
	if (sock_flag(sk, SOCK_RCVTSTAMPNS)) {
		struct timespec ts = {
			.tv_sec = (time_t)(t / NSEC_PER_SEC),
			.tv_nsec = (long)(t % NSEC_PER_SEC),
		};

		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMPNS, sizeof(ts), &ts);
	} else {
		struct timeval tv = {
			.tv_sec = (time_t)(t / NSEC_PER_SEC),
			.tv_usec = (suseconds_t)((t % NSEC_PER_SEC) / 1000),
		};

		put_cmsg(msg, SOL_SOCKET, SO_TIMESTAMP, sizeof(tv), &tv);
	}
}
