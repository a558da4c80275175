/*
 * The socket calls. socket() decides who carries a new socket: IPv4 TCP,
 * UDP and ping sockets, and AF_INET6 stream and datagram sockets (as the
 * dual-stack facade, inet6.c), are sockline's; everything else (AF_UNIX,
 * AF_NETLINK, AF_PACKET, raw sockets, ICMPv6) stays with the kernel. The
 * other calls go to sockline when their fd is sockline's, else to libc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "preload.h"

/* --- socket ------------------------------------------------------------------ */

/* Does sockline carry socket(@domain, @type, @protocol)? */
static bool sl_carries(int domain, int type, int protocol)
{
	int t = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (domain == AF_INET) {
		if (t == SOCK_STREAM)
			return protocol == 0 || protocol == IPPROTO_TCP;
		if (t == SOCK_DGRAM)
			return protocol == 0 || protocol == IPPROTO_UDP ||
			       protocol == IPPROTO_ICMP;
		return false;
	}
	if (domain == AF_INET6) {
		if (t == SOCK_STREAM)
			return protocol == 0 || protocol == IPPROTO_TCP;
		if (t == SOCK_DGRAM)
			return protocol == 0 || protocol == IPPROTO_UDP;
	}
	return false;
}

PRELOAD_EXPORT int socket(int domain, int type, int protocol)
{
	sl_net_t *net;
	int fd;

	if (preload_depth || !sl_carries(domain, type, protocol))
		return REAL(socket)(domain, type, protocol);
	net = preload_net();
	if (!net) {
		fd = -1;
	} else {
		fd = SL_CALL(sl_socket_net(net, AF_INET, type, protocol));
		preload_new_fd(fd, domain == AF_INET6 ? PFD_INET6 : 0);
	}
	TRACE(fd, "socket(%s, %#x, %d)",
	      domain == AF_INET6 ? "AF_INET6" : "AF_INET", type, protocol);
	return fd;
}

/* AF_UNIX pairs are the kernel's; Linux has no AF_INET pairs either. */
PRELOAD_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	return REAL(socketpair)(domain, type, protocol, sv);
}

/* --- addresses ------------------------------------------------------------ */

/* "10.0.0.1:80" or "[::ffff:10.0.0.1]:80" for --trace. */
static const char *addr_str(const struct sockaddr *a, socklen_t len,
			    char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (!a || len < sizeof(sa_family_t)) {
		snprintf(buf, size, "NULL");
	} else if (a->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)a;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (a->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6) - sizeof(uint32_t)) {
		const struct sockaddr_in6 *s6 = (const void *)a;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else {
		snprintf(buf, size, "family %d", a->sa_family);
	}
	return buf;
}
#define ADDR(a, len) addr_str((a), (len), (char[64]){ 0 }, 64)

/* The address sockline gets for @ua on a facade: @tmp, the original, or
 * NULL with errno set. *@kernel: the facade met native IPv6 and is a
 * kernel socket now (inet6.c); the call is the kernel's. */
static const struct sockaddr *in_addr(int fd, unsigned int pfd,
				      const struct sockaddr *ua,
				      socklen_t *len, struct sockaddr_in *tmp,
				      enum inet6_use use, bool *kernel)
{
	int type = SOCK_STREAM, err;
	socklen_t tl = sizeof(type);

	*kernel = false;
	if (!(pfd & PFD_INET6) || (!ua && use == INET6_SENDTO))
		return ua;
	if (use != INET6_BIND)
		SL_CALL(sl_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl));
	err = inet6_addr_in(ua, *len, tmp, use, pfd, type);
	if (err == 2) {
		if (inet6_to_kernel(fd, use == INET6_BIND ? "bind" :
				    use == INET6_CONNECT ? "connect" : "sendto"))
			return NULL;
		*kernel = true;
		return ua;
	}
	if (err < 0) {
		errno = -err;
		return NULL;
	}
	if (err == 1)
		return ua;
	*len = sizeof(*tmp);
	return (const struct sockaddr *)tmp;
}

/* A facade that sockline has bound (or autobound) stays sockline's. */
static void facade_bound(int fd, unsigned int pfd, long r)
{
	if (r >= 0 && (pfd & PFD_INET6) && !(pfd & PFD_BOUND))
		fdt_set(fd, pfd | PFD_BOUND);
}

PRELOAD_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t ulen)
{
	unsigned int pfd = preload_fd(fd);
	socklen_t len = ulen;
	const struct sockaddr *a;
	struct sockaddr_in sin;
	bool kernel;
	int r = -1;

	if (!pfd)
		return REAL(bind)(fd, addr, ulen);
	a = in_addr(fd, pfd, addr, &len, &sin, INET6_BIND, &kernel);
	if (kernel)
		return REAL(bind)(fd, addr, ulen);
	if (a)
		r = SL_CALL(sl_bind(fd, a, len));
	facade_bound(fd, pfd, r);
	TRACE(r, "bind(%d, %s)", fd, ADDR(addr, ulen));
	return r;
}

PRELOAD_EXPORT int connect(int fd, const struct sockaddr *addr,
			   socklen_t ulen)
{
	unsigned int pfd = preload_fd(fd);
	socklen_t len = ulen;
	const struct sockaddr *a;
	struct sockaddr_in sin;
	bool kernel;
	int r = -1;

	if (!pfd)
		return REAL(connect)(fd, addr, ulen);
	a = in_addr(fd, pfd, addr, &len, &sin, INET6_CONNECT, &kernel);
	if (kernel)
		return REAL(connect)(fd, addr, ulen);
	if (a)
		r = SL_CALL(sl_connect(fd, a, len));
	facade_bound(fd, pfd, !r || errno == EINPROGRESS ? 0 : -1);
	TRACE(r, "connect(%d, %s)", fd, ADDR(addr, ulen));
	return r;
}

PRELOAD_EXPORT int listen(int fd, int backlog)
{
	unsigned int pfd = preload_fd(fd);
	int r;

	if (!pfd)
		return REAL(listen)(fd, backlog);
	r = SL_CALL(sl_listen(fd, backlog));
	facade_bound(fd, pfd, r);
	TRACE(r, "listen(%d, %d)", fd, backlog);
	return r;
}

/* accept4 on a sockline listener; a facade's children are facades. */
static int sl_accept_common(int fd, unsigned int pfd, struct sockaddr *addr,
			    socklen_t *len, int flags)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int nfd;

	if (!(pfd & PFD_INET6) || !addr) {
		nfd = SL_CALL(sl_accept4(fd, addr, len, flags));
	} else {
		nfd = SL_CALL(sl_accept4(fd, (struct sockaddr *)&sin, &sl, flags));
		if (nfd >= 0)
			inet6_addr_out(&sin, addr, len);
	}
	preload_new_fd(nfd, pfd & PFD_INET6 ? PFD_INET6 | PFD_BOUND : 0);
	TRACE(nfd, "accept4(%d, %#x)", fd, flags);
	return nfd;
}

PRELOAD_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	unsigned int pfd = preload_fd(fd);

	if (!pfd)
		return REAL(accept)(fd, addr, len);
	return sl_accept_common(fd, pfd, addr, len, 0);
}

PRELOAD_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len,
			   int flags)
{
	unsigned int pfd = preload_fd(fd);

	if (!pfd)
		return REAL(accept4)(fd, addr, len, flags);
	return sl_accept_common(fd, pfd, addr, len, flags);
}

static int sl_getname(int fd, unsigned int pfd, struct sockaddr *addr,
		      socklen_t *len, bool peer)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int r;

	if (!(pfd & PFD_INET6)) {
		r = peer ? SL_CALL(sl_getpeername(fd, addr, len))
			 : SL_CALL(sl_getsockname(fd, addr, len));
	} else {
		r = peer ? SL_CALL(sl_getpeername(fd, (struct sockaddr *)&sin, &sl))
			 : SL_CALL(sl_getsockname(fd, (struct sockaddr *)&sin, &sl));
		if (!r && (!addr || !len)) {
			errno = EFAULT;
			r = -1;
		}
		if (!r)
			inet6_addr_out(&sin, addr, len);
	}
	TRACE(r, "%s(%d)", peer ? "getpeername" : "getsockname", fd);
	return r;
}

PRELOAD_EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	unsigned int pfd = preload_fd(fd);

	if (!pfd)
		return REAL(getsockname)(fd, addr, len);
	return sl_getname(fd, pfd, addr, len, false);
}

PRELOAD_EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	unsigned int pfd = preload_fd(fd);

	if (!pfd)
		return REAL(getpeername)(fd, addr, len);
	return sl_getname(fd, pfd, addr, len, true);
}

/* --- options, shutdown ----------------------------------------------------- */

PRELOAD_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			      socklen_t len)
{
	unsigned int pfd = preload_fd(fd);
	int r;

	if (!pfd)
		return REAL(setsockopt)(fd, level, name, val, len);
	if (!(pfd & PFD_INET6) ||
	    !inet6_setsockopt(fd, pfd, level, name, val, len, &r))
		r = SL_CALL(sl_setsockopt(fd, level, name, val, len));
	TRACE(r, "setsockopt(%d, %d, %d, len %u)", fd, level, name,
	      (unsigned int)len);
	return r;
}

PRELOAD_EXPORT int getsockopt(int fd, int level, int name, void *val,
			      socklen_t *len)
{
	unsigned int pfd = preload_fd(fd);
	int r;

	if (!pfd)
		return REAL(getsockopt)(fd, level, name, val, len);
	if (!(pfd & PFD_INET6) ||
	    !inet6_getsockopt(fd, pfd, level, name, val, len, &r))
		r = SL_CALL(sl_getsockopt(fd, level, name, val, len));
	TRACE(r, "getsockopt(%d, %d, %d)", fd, level, name);
	return r;
}

PRELOAD_EXPORT int shutdown(int fd, int how)
{
	int r;

	if (!preload_fd(fd))
		return REAL(shutdown)(fd, how);
	r = SL_CALL(sl_shutdown(fd, how));
	TRACE(r, "shutdown(%d, %d)", fd, how);
	return r;
}

/* --- sending ----------------------------------------------------------------- */

PRELOAD_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t r;

	if (!preload_fd(fd))
		return REAL(send)(fd, buf, len, flags);
	r = SL_CALL(sl_send(fd, buf, len, flags));
	TRACE(r, "send(%d, %zu, %#x)", fd, len, flags);
	return r;
}

PRELOAD_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			      const struct sockaddr *addr, socklen_t ualen)
{
	unsigned int pfd = preload_fd(fd);
	socklen_t alen = ualen;
	const struct sockaddr *a;
	struct sockaddr_in sin;
	bool kernel;
	ssize_t r = -1;

	if (!pfd)
		return REAL(sendto)(fd, buf, len, flags, addr, ualen);
	a = in_addr(fd, pfd, addr, &alen, &sin, INET6_SENDTO, &kernel);
	if (kernel)
		return REAL(sendto)(fd, buf, len, flags, addr, ualen);
	if (a || !addr)
		r = SL_CALL(sl_sendto(fd, buf, len, flags, a, alen));
	facade_bound(fd, pfd, r);
	TRACE(r, "sendto(%d, %zu, %#x, %s)", fd, len, flags, ADDR(addr, ualen));
	return r;
}

static ssize_t sl_sendmsg_common(int fd, unsigned int pfd,
				 const struct msghdr *msg, int flags)
{
	struct msghdr m;
	struct sockaddr_in sin;
	socklen_t alen;
	const struct sockaddr *a;
	bool kernel;
	ssize_t r;

	if (!(pfd & PFD_INET6) || !msg || !msg->msg_name) {
		r = SL_CALL(sl_sendmsg(fd, msg, flags));
		facade_bound(fd, pfd, r);
		return r;
	}
	m = *msg;
	alen = m.msg_namelen;
	a = in_addr(fd, pfd, m.msg_name, &alen, &sin, INET6_SENDTO, &kernel);
	if (kernel)
		return REAL(sendmsg)(fd, msg, flags);
	if (!a)
		return -1;
	m.msg_name = (void *)a;
	m.msg_namelen = alen;
	r = SL_CALL(sl_sendmsg(fd, &m, flags));
	facade_bound(fd, pfd, r);
	return r;
}

PRELOAD_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	unsigned int pfd = preload_fd(fd);
	ssize_t r;

	if (!pfd)
		return REAL(sendmsg)(fd, msg, flags);
	r = sl_sendmsg_common(fd, pfd, msg, flags);
	TRACE(r, "sendmsg(%d, %#x)", fd, flags);
	return r;
}

/* sendmmsg(2): messages one by one; an error after the first is reported
 * by the count, as Linux does. */
PRELOAD_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
			    int flags)
{
	unsigned int pfd = preload_fd(fd), i;
	ssize_t n;

	if (!pfd)
		return REAL(sendmmsg)(fd, vec, vlen, flags);
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	for (i = 0; i < vlen; i++) {
		/* A facade the first message handed to the kernel is its. */
		pfd = fdt_get(fd);
		n = pfd ? sl_sendmsg_common(fd, pfd, &vec[i].msg_hdr, flags)
			: REAL(sendmsg)(fd, &vec[i].msg_hdr, flags);
		if (n < 0)
			break;
		vec[i].msg_len = (unsigned int)n;
	}
	TRACE(i ? (long)i : -1, "sendmmsg(%d, %u, %#x)", fd, vlen, flags);
	return i ? (int)i : -1;
}

/* --- receiving ------------------------------------------------------------------ */

PRELOAD_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t r;

	if (!preload_fd(fd))
		return REAL(recv)(fd, buf, len, flags);
	r = SL_CALL(sl_recv(fd, buf, len, flags));
	TRACE(r, "recv(%d, %zu, %#x)", fd, len, flags);
	return r;
}

static ssize_t sl_recvfrom_common(int fd, unsigned int pfd, void *buf,
				  size_t len, int flags, struct sockaddr *addr,
				  socklen_t *alen)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	ssize_t r;

	if (!(pfd & PFD_INET6) || !addr || !alen)
		return SL_CALL(sl_recvfrom(fd, buf, len, flags, addr, alen));
	memset(&sin, 0, sizeof(sin));
	r = SL_CALL(sl_recvfrom(fd, buf, len, flags, (struct sockaddr *)&sin, &sl));
	if (r >= 0) {
		if (sin.sin_family == AF_INET)
			inet6_addr_out(&sin, addr, alen);
		else
			*alen = 0;      /* a stream socket names no sender */
	}
	return r;
}

PRELOAD_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
				struct sockaddr *addr, socklen_t *alen)
{
	unsigned int pfd = preload_fd(fd);
	ssize_t r;

	if (!pfd)
		return REAL(recvfrom)(fd, buf, len, flags, addr, alen);
	r = sl_recvfrom_common(fd, pfd, buf, len, flags, addr, alen);
	TRACE(r, "recvfrom(%d, %zu, %#x)", fd, len, flags);
	return r;
}

static ssize_t sl_recvmsg_common(int fd, unsigned int pfd, struct msghdr *msg,
				 int flags)
{
	struct sockaddr_in sin;
	void *name;
	socklen_t namelen;
	ssize_t r;

	if (!(pfd & PFD_INET6) || !msg || !msg->msg_name)
		return SL_CALL(sl_recvmsg(fd, msg, flags));
	name = msg->msg_name;
	namelen = msg->msg_namelen;
	memset(&sin, 0, sizeof(sin));
	msg->msg_name = &sin;
	msg->msg_namelen = sizeof(sin);
	r = SL_CALL(sl_recvmsg(fd, msg, flags));
	if (r >= 0 && msg->msg_namelen && sin.sin_family == AF_INET) {
		inet6_addr_out(&sin, name, &namelen);
	} else {
		namelen = r >= 0 ? 0 : namelen;
	}
	msg->msg_name = name;
	msg->msg_namelen = namelen;
	return r;
}

PRELOAD_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	unsigned int pfd = preload_fd(fd);
	ssize_t r;

	if (!pfd)
		return REAL(recvmsg)(fd, msg, flags);
	r = sl_recvmsg_common(fd, pfd, msg, flags);
	TRACE(r, "recvmsg(%d, %#x)", fd, flags);
	return r;
}

static bool ts_passed(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > end->tv_sec ||
	       (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

/*
 * recvmmsg(2): datagrams one by one. MSG_WAITFORONE makes all but the
 * first non-blocking; the timeout is looked at after each datagram, as
 * Linux does. An error after the first datagram is reported by the count.
 */
PRELOAD_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int vlen,
			    int flags, struct timespec *tmo)
{
	unsigned int pfd = preload_fd(fd), i;
	struct timespec end;
	ssize_t n;
	int f = flags & ~MSG_WAITFORONE;

	if (!pfd)
		return REAL(recvmmsg)(fd, vec, vlen, flags, tmo);
	if (tmo) {
		if (tmo->tv_sec < 0 || tmo->tv_nsec < 0 ||
		    tmo->tv_nsec >= 1000000000L) {
			errno = EINVAL;
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += tmo->tv_sec;
		end.tv_nsec += tmo->tv_nsec;
		if (end.tv_nsec >= 1000000000L) {
			end.tv_sec++;
			end.tv_nsec -= 1000000000L;
		}
	}
	if (vlen > UIO_MAXIOV)
		vlen = UIO_MAXIOV;
	for (i = 0; i < vlen; i++) {
		n = sl_recvmsg_common(fd, pfd, &vec[i].msg_hdr, f);
		if (n < 0)
			break;
		vec[i].msg_len = (unsigned int)n;
		if (flags & MSG_WAITFORONE)
			f |= MSG_DONTWAIT;
		if (tmo && ts_passed(&end)) {
			i++;
			break;
		}
		if (vec[i].msg_hdr.msg_flags & MSG_OOB)
			break;
	}
	TRACE(i ? (long)i : -1, "recvmmsg(%d, %u, %#x)", fd, vlen, flags);
	return i ? (int)i : -1;
}
