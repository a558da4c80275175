/*
 * AF_INET6 dual-stack sockets carried as IPv4 (the facade).
 *
 * Servers that bind [::] with IPV6_V6ONLY off take IPv4 connections as
 * IPv4-mapped addresses (::ffff:a.b.c.d), and clients may connect to one.
 * sockline has no IPv6 yet, so a SOCK_STREAM or SOCK_DGRAM AF_INET6 socket
 * starts as a sockline AF_INET socket behind a facade: mapped addresses
 * and :: are translated both ways (bind, connect, sendto, accept,
 * getsockname, getpeername, recvfrom, msg names), SO_DOMAIN says AF_INET6
 * and IPV6_V6ONLY reads 0.
 *
 * Native IPv6 is the kernel's until sockline carries it: a facade that
 * turns IPv6-only (IPV6_V6ONLY=1), or is bound, connected or sent to with
 * a native IPv6 address before it was bound, is replaced by a kernel
 * AF_INET6 socket with the same number, options and flags (nginx's
 * default `listen [::]:80` is such a socket); the first time, one stderr
 * line says so. A facade already bound for IPv4 that meets a native
 * address fails as a host without IPv6 routes would (ENETUNREACH).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "preload.h"

/* Linux's SIN6_LEN_RFC2133: a sockaddr_in6 without sin6_scope_id. */
#define SIN6_LEN_RFC2133 24

static void inet6_kernel_note(const char *why)
{
	static bool said;

	if (__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
		return;
	preload_note("native IPv6 (%s) goes to the kernel's stack: sockline "
		     "carries IPv4 and IPv4-mapped addresses (docs/preload.md)",
		     why);
}

/* Options a program sets before bind that the kernel socket must keep. */
static const struct { int level, name; } inet6_kept_opts[] = {
	{ SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_REUSEPORT },
	{ SOL_SOCKET, SO_KEEPALIVE }, { SOL_SOCKET, SO_BROADCAST },
	{ SOL_SOCKET, SO_OOBINLINE }, { IPPROTO_TCP, TCP_NODELAY },
};

/*
 * Make the facade @fd a kernel AF_INET6 socket of the same type, with its
 * options, O_NONBLOCK and FD_CLOEXEC. Between sockline's close and the
 * kernel's dup3 the number is free: a program that opens fds in another
 * thread meanwhile could lose one (sockets turn IPv6-only before bind, in
 * practice while a server sets up). 0 or -1 with errno.
 */
int inet6_to_kernel(int fd, const char *why)
{
	int type = 0, proto = 0, fl, fdfl, v, k, i, err;
	socklen_t len = sizeof(int);

	if (SL_CALL(sl_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len)) ||
	    SL_CALL(sl_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len)))
		return -1;
	fl = SL_CALL(sl_fcntl(fd, F_GETFL));
	fdfl = SL_CALL(sl_fcntl(fd, F_GETFD));
	k = REAL(socket)(AF_INET6, type | ((fl & O_NONBLOCK) ? SOCK_NONBLOCK : 0),
			 proto);
	if (k < 0)
		return -1;
	for (i = 0; i < (int)(sizeof(inet6_kept_opts) / sizeof(inet6_kept_opts[0])); i++) {
		len = sizeof(v);
		v = 0;
		if (!SL_CALL(sl_getsockopt(fd, inet6_kept_opts[i].level,
					   inet6_kept_opts[i].name, &v, &len)) && v)
			REAL(setsockopt)(k, inet6_kept_opts[i].level,
					 inet6_kept_opts[i].name, &v, sizeof(v));
	}
	fdt_set(fd, 0);
	SL_CALL(sl_close(fd));
	err = REAL(dup3)(k, fd, (fdfl > 0 && (fdfl & FD_CLOEXEC)) ? O_CLOEXEC : 0);
	REAL(close)(k);
	if (err < 0)
		return -1;
	inet6_kernel_note(why);
	TRACE(0, "%s: fd %d to the kernel", why, fd);
	return 0;
}

int inet6_addr_in(const struct sockaddr *ua, socklen_t ulen,
		  struct sockaddr_in *sin, enum inet6_use use, unsigned int pfd,
		  int type)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ua;

	if (!ua)
		return -EFAULT;
	if (ulen < sizeof(sa_family_t))
		return -EINVAL;
	if (use == INET6_CONNECT && ua->sa_family == AF_UNSPEC)
		return 1;       /* disconnect */
	/* udpv6_sendmsg and ip6_datagram_connect take AF_INET too. */
	if (ua->sa_family == AF_INET && use != INET6_BIND &&
	    type == SOCK_DGRAM)
		return 1;
	if (ua->sa_family != AF_INET6)
		return use == INET6_BIND && ulen < SIN6_LEN_RFC2133 ? -EINVAL
								   : -EAFNOSUPPORT;
	if (ulen < SIN6_LEN_RFC2133)
		return -EINVAL;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = s6->sin6_port;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(&sin->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) {
		/* bind: any address; connect: Linux's "this host". */
		sin->sin_addr.s_addr = htonl(use == INET6_BIND ? INADDR_ANY
							       : INADDR_LOOPBACK);
		return 0;
	}
	/* Native IPv6: the kernel's, if the socket is still free to go. */
	if (!(pfd & PFD_BOUND))
		return 2;
	return use == INET6_BIND ? -EINVAL : -ENETUNREACH;
}

void inet6_addr_out(const struct sockaddr_in *sin, struct sockaddr *ua,
		    socklen_t *ulen)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	size_t n;

	s6.sin6_port = sin->sin_port;
	if (sin->sin_addr.s_addr != htonl(INADDR_ANY)) {
		s6.sin6_addr.s6_addr[10] = 0xff;
		s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &sin->sin_addr, 4);
	}
	if (!ua || !ulen)
		return;
	n = *ulen < sizeof(s6) ? *ulen : sizeof(s6);
	memcpy(ua, &s6, n);
	*ulen = sizeof(s6);
}

static int opt_int(const void *val, socklen_t len, int *v)
{
	if (!val)
		return -EFAULT;
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(int));
	return 0;
}

/* An IPv6 option with an IPv4 twin: the mapped socket's packets are IPv4. */
static int inet6_twin(int name)
{
	switch (name) {
	case IPV6_UNICAST_HOPS: return IP_TTL;
	case IPV6_TCLASS: return IP_TOS;
	case IPV6_MTU_DISCOVER: return IP_MTU_DISCOVER;
	case IPV6_MTU: return IP_MTU;
	case IPV6_RECVERR: return IP_RECVERR;
	}
	return -1;
}

int inet6_setsockopt(int fd, unsigned int pfd, int level, int name,
		     const void *val, socklen_t len, int *ret)
{
	int v, err, twin;

	if (level != IPPROTO_IPV6)
		return 0;
	if (name == IPV6_V6ONLY) {
		err = opt_int(val, len, &v);
		/* Fixed once bound, as Linux's (inet_num set: EINVAL). */
		if (!err && (pfd & PFD_BOUND))
			err = -EINVAL;
		if (err) {
			errno = -err;
			*ret = -1;
		} else if (!v) {
			*ret = 0;       /* dual-stack: what the facade is */
		} else {
			/* IPv6 only: a socket for the kernel's IPv6. */
			*ret = inet6_to_kernel(fd, "IPV6_V6ONLY");
			if (!*ret)
				*ret = REAL(setsockopt)(fd, level, name, val, len);
		}
		return 1;
	}
	twin = inet6_twin(name);
	if (twin >= 0 && !opt_int(val, len, &v)) {
		/* -1: the route's default (64 hops, class 0). */
		if (v == -1 && name == IPV6_UNICAST_HOPS)
			v = 64;
		if (v == -1 && name == IPV6_TCLASS)
			v = 0;
		*ret = SL_CALL(sl_setsockopt(fd, IPPROTO_IP, twin, &v, sizeof(v)));
		return 1;
	}
	/* What makes no sense for IPv4 packets is accepted and ignored, as
	 * Linux does on a mapped socket (IPV6_RECVPKTINFO, multicast hops). */
	*ret = 0;
	return 1;
}

int inet6_getsockopt(int fd, unsigned int pfd, int level, int name, void *val,
		     socklen_t *len, int *ret)
{
	int v = 0, twin;

	if (level == SOL_SOCKET && name == SO_DOMAIN)
		v = AF_INET6;
	else if (level != IPPROTO_IPV6)
		return 0;
	else if (name == IPV6_V6ONLY)
		v = 0;
	else if ((twin = inet6_twin(name)) >= 0) {
		*ret = SL_CALL(sl_getsockopt(fd, IPPROTO_IP, twin, val, len));
		return 1;
	}
	if (!val || !len) {
		errno = EFAULT;
		*ret = -1;
		return 1;
	}
	if (*len < sizeof(int)) {
		errno = EINVAL;
		*ret = -1;
		return 1;
	}
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	*ret = 0;
	return 1;
}
