/*
 * The host side of real links: the TUN/TAP driver, AF_PACKET sockets and
 * the interface ioctls, behind the plain-C interface of hostif.h.
 *
 * TAP:     open /dev/net/tun -> TUNSETIFF (IFF_TAP | IFF_NO_PI, optionally
 *          IFF_VNET_HDR) -> TUNSETVNETHDRSZ, TUNSETVNETLE -> TUNSETOFFLOAD.
 * Packet:  socket(AF_PACKET, SOCK_RAW, 0) (protocol 0: nothing arrives
 *          before the bind) -> PACKET_VNET_HDR, PACKET_AUXDATA, buffers ->
 *          PACKET_ADD_MEMBERSHIP (promiscuous) -> bind(ifindex, ETH_P_ALL).
 *          Frames move in batches with recvmmsg/sendmmsg.
 *
 * Nothing here includes the stack's headers (see hostif.h for why).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "hostif.h"

/* Our mirror of struct virtio_net_hdr must be the kernel's, byte for byte. */
_Static_assert(sizeof(struct hostif_vnet_hdr) == sizeof(struct virtio_net_hdr),
	       "vnet header size");
_Static_assert(offsetof(struct hostif_vnet_hdr, gso_size) ==
		       offsetof(struct virtio_net_hdr, gso_size),
	       "vnet header layout");
_Static_assert(offsetof(struct hostif_vnet_hdr, csum_offset) ==
		       offsetof(struct virtio_net_hdr, csum_offset),
	       "vnet header layout");
_Static_assert(HOSTIF_VNET_F_NEEDS_CSUM == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
		       HOSTIF_VNET_F_DATA_VALID == VIRTIO_NET_HDR_F_DATA_VALID &&
		       HOSTIF_VNET_GSO_TCPV4 == VIRTIO_NET_HDR_GSO_TCPV4 &&
		       HOSTIF_VNET_GSO_ECN == VIRTIO_NET_HDR_GSO_ECN,
	       "vnet header constants");

/* Socket buffers of a packet link: room for a burst of 64 KiB frames. */
#define HOSTIF_PACKET_BUF (4 << 20)

/* --- host interfaces ------------------------------------------------------- */

int hostif_ifindex(const char *name)
{
	unsigned int idx;

	if (!name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	idx = if_nametoindex(name);
	return idx ? (int)idx : -ENODEV;
}

/* An interface ioctl through a throwaway AF_INET socket, as ip(8) does. */
static int hostif_ifreq(unsigned long req, const char *name, struct ifreq *ifr)
{
	int fd, err = 0;

	if (strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

int hostif_set_up(const char *name)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	err = hostif_ifreq(SIOCGIFFLAGS, name, &ifr);
	if (err || (ifr.ifr_flags & IFF_UP))
		return err;
	ifr.ifr_flags |= IFF_UP;
	return hostif_ifreq(SIOCSIFFLAGS, name, &ifr);
}

int hostif_get_mtu(const char *name, unsigned int *mtu)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	err = hostif_ifreq(SIOCGIFMTU, name, &ifr);
	if (!err)
		*mtu = (unsigned int)ifr.ifr_mtu;
	return err;
}

int hostif_set_mtu(const char *name, unsigned int mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = (int)mtu;
	return hostif_ifreq(SIOCSIFMTU, name, &ifr);
}

/* --- TAP ----------------------------------------------------------------- */

/*
 * The offload header: its size, little-endian fields (the virtio 1.0
 * layout on any host), and what we can take: partial checksums and IPv4
 * TSO (no ECN, no UDP, no IPv6: the kernel segments those itself).
 */
static int hostif_tap_offload(struct hostif_tap *t, int offload)
{
	int hdrsz = sizeof(struct virtio_net_hdr), le = 1;
	unsigned int feat = TUN_F_CSUM | TUN_F_TSO4;

	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdrsz) < 0 ||
	    ioctl(t->fd, TUNSETVNETLE, &le) < 0)
		return -errno;
	t->vnet_hdr = true;
	if (ioctl(t->fd, TUNSETOFFLOAD, feat) == 0) {
		t->offload = true;
		return 0;
	}
	if (offload > 0)
		return -errno;
	/* The header stays (all zero): plain frames, full checksums. */
	ioctl(t->fd, TUNSETOFFLOAD, 0);
	return 0;
}

int hostif_tap_open(const char *name, int offload, bool multi_queue,
		    struct hostif_tap *t)
{
	struct ifreq ifr;
	bool existed;
	int err;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	existed = if_nametoindex(name) != 0;
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0) |
			(multi_queue ? IFF_MULTI_QUEUE : 0);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		goto out_close;
	}
	t->created = !existed;
	if (offload) {
		err = hostif_tap_offload(t, offload);
		if (err)
			goto out_close;
	} else {
		/*
		 * A persistent device keeps the offloads a previous owner
		 * set: without a header we could not tell a partial
		 * checksum or a large segment, so turn them off.
		 */
		ioctl(t->fd, TUNSETOFFLOAD, 0);
	}
	return 0;

out_close:
	close(t->fd);
	t->fd = -1;
	return err;
}

/* --- AF_PACKET ------------------------------------------------------------- */

static void hostif_sockbuf(int fd, int force, int plain, int bytes)
{
	/* The FORCE variants pass net.core.[rw]mem_max (CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof(bytes));
}

static int hostif_packet_setup(struct hostif_packet *p, int offload)
{
	struct packet_mreq mreq = {
		.mr_ifindex = p->ifindex,
		.mr_type = PACKET_MR_PROMISC,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = p->ifindex,
	};
	int one = 1;

	if (offload) {
		if (setsockopt(p->fd, SOL_PACKET, PACKET_VNET_HDR, &one,
			       sizeof(one)) == 0)
			p->vnet_hdr = true;
		else if (offload > 0)
			return -errno;
	}
	if (setsockopt(p->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0)
		return -errno;
	hostif_sockbuf(p->fd, SO_RCVBUFFORCE, SO_RCVBUF, HOSTIF_PACKET_BUF);
	hostif_sockbuf(p->fd, SO_SNDBUFFORCE, SO_SNDBUF, HOSTIF_PACKET_BUF);
	if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq,
		       sizeof(mreq)) < 0)
		return -errno;
	if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

int hostif_packet_open(const char *ifname, int offload, struct hostif_packet *p)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	err = hostif_ifindex(ifname);
	if (err < 0)
		return err;
	p->ifindex = err;
	p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	err = hostif_packet_setup(p, offload);
	if (err) {
		close(p->fd);
		p->fd = -1;
	}
	return err;
}

union hostif_auxbuf {
	char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	struct cmsghdr align;
};

/* What the kernel said about the frame's checksum and VLAN tag. */
static void hostif_rx_aux(struct msghdr *mh, struct hostif_rxmsg *m)
{
	struct tpacket_auxdata aux;
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
		    c->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(c), sizeof(aux));
		m->csum_partial = aux.tp_status & TP_STATUS_CSUMNOTREADY;
		m->csum_valid = aux.tp_status & TP_STATUS_CSUM_VALID;
		m->vlan = (aux.tp_status & TP_STATUS_VLAN_VALID) && aux.tp_vlan_tci;
	}
}

int hostif_packet_recv(const struct hostif_packet *p, struct hostif_rxmsg *m,
		       unsigned int n)
{
	struct mmsghdr mm[HOSTIF_BATCH_MAX];
	struct sockaddr_ll sll[HOSTIF_BATCH_MAX];
	union hostif_auxbuf ctl[HOSTIF_BATCH_MAX];
	unsigned int i;
	int r;

	if (n > HOSTIF_BATCH_MAX)
		n = HOSTIF_BATCH_MAX;
	memset(mm, 0, n * sizeof(mm[0]));
	for (i = 0; i < n; i++) {
		mm[i].msg_hdr.msg_name = &sll[i];
		mm[i].msg_hdr.msg_namelen = sizeof(sll[i]);
		mm[i].msg_hdr.msg_iov = m[i].iov;
		mm[i].msg_hdr.msg_iovlen = (size_t)m[i].iovcnt;
		mm[i].msg_hdr.msg_control = ctl[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
	}
	r = recvmmsg(p->fd, mm, n, MSG_DONTWAIT, NULL);
	if (r < 0)
		return -errno;
	for (i = 0; i < (unsigned int)r; i++) {
		m[i].len = mm[i].msg_len;
		m[i].outgoing = sll[i].sll_pkttype == PACKET_OUTGOING;
		m[i].truncated = mm[i].msg_hdr.msg_flags & MSG_TRUNC;
		m[i].csum_partial = m[i].csum_valid = m[i].vlan = false;
		hostif_rx_aux(&mm[i].msg_hdr, &m[i]);
	}
	return r;
}

int hostif_packet_send(const struct hostif_packet *p, struct hostif_txmsg *m,
		       unsigned int n)
{
	struct mmsghdr mm[HOSTIF_BATCH_MAX];
	struct sockaddr_ll sll[HOSTIF_BATCH_MAX];
	unsigned int i;
	int r;

	if (n > HOSTIF_BATCH_MAX)
		n = HOSTIF_BATCH_MAX;
	memset(mm, 0, n * sizeof(mm[0]));
	memset(sll, 0, n * sizeof(sll[0]));
	for (i = 0; i < n; i++) {
		/* The ethertype tells the kernel what the frame carries (GSO
		 * and checksum offsets are checked against it). */
		sll[i].sll_family = AF_PACKET;
		sll[i].sll_protocol = m[i].proto_be;
		sll[i].sll_ifindex = p->ifindex;
		mm[i].msg_hdr.msg_name = &sll[i];
		mm[i].msg_hdr.msg_namelen = sizeof(sll[i]);
		mm[i].msg_hdr.msg_iov = m[i].iov;
		mm[i].msg_hdr.msg_iovlen = (size_t)m[i].iovcnt;
	}
	r = sendmmsg(p->fd, mm, n, MSG_DONTWAIT);
	return r < 0 ? -errno : r;
}

/* --- the stack thread's wakeup ---------------------------------------------- */

int hostif_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void hostif_eventfd_signal(int fd)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is huge: the sleeper wakes anyway. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

void hostif_eventfd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		return;
}
