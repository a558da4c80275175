/*
 * Several processes of one program on one TAP (a fork or exec child with
 * sockets of its own): each has a stack of its own on a queue of its own
 * (IFF_MULTI_QUEUE), with the same address and MAC. Linux's tun picks the
 * queue of a frame from the kernel by its flow: the queue that last wrote
 * a frame of that flow, else a hash of it.
 *
 * tun learns a flow after it has delivered the written frame, and the
 * kernel answers a SYN at once, inside that delivery: a SYN-ACK would
 * still go by the hash, half the time to another process, whose stack
 * has no such connection and resets it. So before a TCP connect on a
 * multi-queue TAP the shim writes one frame of the flow on the stack's
 * queue itself: addressed to our own MAC, which the kernel drops as
 * another host's (PACKET_OTHERHOST), but which tun has learned from by
 * the time the SYN goes out.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "preload.h"

static int steer_fd = -1;       /* the stack's queue, when multi-queue */
static int steer_hdr;           /* bytes of vnet header before a frame */
static uint8_t steer_mac[6];

/* The /dev/net/tun descriptors open now, as a bitmap over fds < 1024. */
static void tun_fds(unsigned long *set, size_t words)
{
	char path[64], link[32];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	ssize_t n;
	long fd;

	memset(set, 0, words * sizeof(*set));
	if (!d)
		return;
	while ((de = readdir(d))) {
		fd = strtol(de->d_name, NULL, 10);
		if (de->d_name[0] == '.' || fd < 0 ||
		    (size_t)fd >= words * 8 * sizeof(*set))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%ld", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "/dev/net/tun"))
			set[fd / (8 * sizeof(*set))] |= 1UL << (fd % (8 * sizeof(*set)));
	}
	closedir(d);
}

void preload_steer_before(unsigned long *set, size_t words)
{
	tun_fds(set, words);
}

/*
 * After the stack came up: the TAP descriptor it opened (the one that was
 * not there before), if the device is multi-queue.
 */
void preload_steer_after(const unsigned long *before, size_t words,
			 const uint8_t *mac)
{
	unsigned long now[words];
	struct ifreq ifr;
	size_t w;
	int fd = -1, sz;

	tun_fds(now, words);
	for (w = 0; w < words && fd < 0; w++) {
		unsigned long fresh = now[w] & ~before[w];

		if (fresh)
			fd = (int)(w * 8 * sizeof(long)) + __builtin_ctzl(fresh);
	}
	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	if (REAL(ioctl)(fd, TUNGETIFF, &ifr) < 0 ||
	    !(ifr.ifr_flags & IFF_MULTI_QUEUE))
		return;
	sz = 0;
	if ((ifr.ifr_flags & IFF_VNET_HDR) &&
	    REAL(ioctl)(fd, TUNGETVNETHDRSZ, &sz) < 0)
		return;
	if (sz < 0 || sz > 12)
		return;         /* a header size we did not ask for */
	steer_hdr = sz;
	memcpy(steer_mac, mac, 6);
	steer_fd = fd;
}

void preload_steer_forget(void)
{
	steer_fd = -1;
}

static uint16_t ip_csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * One frame of the flow @local -> @peer (TCP), written on our queue so
 * that tun steers the flow's answers to it. Not an error if it fails:
 * the connection then takes its chance with the hash.
 */
static void steer_learn(const struct sockaddr_in *local,
			const struct sockaddr_in *peer)
{
	uint8_t f[12 + 14 + 20 + 20];
	uint8_t *eth = f + steer_hdr, *ip = eth + 14, *tcp = ip + 20;
	size_t len = (size_t)steer_hdr + 14 + 20 + 20;

	memset(f, 0, sizeof(f));
	memcpy(eth, steer_mac, 6);              /* to ourselves: OTHERHOST */
	memcpy(eth + 6, steer_mac, 6);
	eth[12] = 0x08;                         /* ETH_P_IP */
	ip[0] = 0x45;
	ip[3] = 40;                             /* total length */
	ip[8] = 1;                              /* TTL */
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &local->sin_addr, 4);
	memcpy(ip + 16, &peer->sin_addr, 4);
	memcpy(ip + 10, &(uint16_t){ ip_csum(ip, 20) }, 2);
	memcpy(tcp, &local->sin_port, 2);
	memcpy(tcp + 2, &peer->sin_port, 2);
	tcp[12] = 5 << 4;
	tcp[13] = 0x04;                         /* RST: never answered */
	(void)!REAL(write)(steer_fd, f, len);
}

/*
 * Before sl_connect on the TCP socket @fd to @addr: bind it if it is not
 * (so that its port is known), then teach tun the flow.
 */
void preload_steer_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_in local = { .sin_family = AF_INET }, peer;
	socklen_t ll = sizeof(local);
	int type = 0;
	socklen_t tl = sizeof(type);

	if (steer_fd < 0 || !addr || len < sizeof(peer) ||
	    addr->sa_family != AF_INET)
		return;
	memcpy(&peer, addr, sizeof(peer));
	/* Loopback stays in the stack. */
	if ((ntohl(peer.sin_addr.s_addr) >> 24) == 127)
		return;
	if (SL_CALL(sl_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl)) ||
	    type != SOCK_STREAM ||
	    SL_CALL(sl_getsockname(fd, (struct sockaddr *)&local, &ll)))
		return;
	if (!local.sin_port) {
		struct sockaddr_in any = { .sin_family = AF_INET };

		if (SL_CALL(sl_bind(fd, (struct sockaddr *)&any, sizeof(any))) ||
		    SL_CALL(sl_getsockname(fd, (struct sockaddr *)&local, &ll)))
			return;
	}
	if (local.sin_addr.s_addr == htonl(INADDR_ANY)) {
		/* The source the route will pick: our one address. */
		if (preload_stack_addr(&local.sin_addr))
			return;
	}
	steer_learn(&local, &peer);
}
