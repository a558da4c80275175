/*
 * The host side of real links (src/drivers/hostif.c): every call into the
 * host kernel's TUN/TAP driver, AF_PACKET sockets and interface ioctls.
 *
 * The interface uses plain C types only. The stack's headers reuse
 * Linux's names (struct ethhdr, PACKET_HOST, ...), so they and the
 * kernel's uapi headers never meet in one file: tap.c, af_packet.c and
 * hostlink.c include this header, hostif.c includes the uapi ones.
 *
 * Every function returns 0 (or a count) or a negative errno, as the rest
 * of the stack does inside.
 */
#ifndef SL_DRIVERS_HOSTIF_H
#define SL_DRIVERS_HOSTIF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * struct virtio_net_hdr, the offload header that a TAP opened with
 * IFF_VNET_HDR and an AF_PACKET socket with PACKET_VNET_HDR put before
 * each frame. Fields are little-endian (hostif asks for TUNSETVNETLE);
 * hostif.c checks this layout against the kernel's at compile time.
 */
struct hostif_vnet_hdr {
	uint8_t flags;          /* HOSTIF_VNET_F_* */
	uint8_t gso_type;       /* HOSTIF_VNET_GSO_* */
	uint16_t hdr_len;       /* Ethernet + IP + TCP headers of a GSO frame */
	uint16_t gso_size;      /* payload bytes per segment */
	uint16_t csum_start;    /* from the frame's start */
	uint16_t csum_offset;   /* from csum_start: where the sum goes */
};
#define HOSTIF_VNET_F_NEEDS_CSUM 1   /* checksum partial: finish it */
#define HOSTIF_VNET_F_DATA_VALID 2   /* checksum already verified */
#define HOSTIF_VNET_GSO_NONE 0
#define HOSTIF_VNET_GSO_TCPV4 1
#define HOSTIF_VNET_GSO_ECN 0x80

/* --- host interfaces ------------------------------------------------------- */

/* ifindex of host interface @name, or -ENODEV. */
int hostif_ifindex(const char *name);
/* Set IFF_UP on host interface @name if it is down. */
int hostif_set_up(const char *name);
int hostif_get_mtu(const char *name, unsigned int *mtu);
int hostif_set_mtu(const char *name, unsigned int mtu);

/* --- TAP ----------------------------------------------------------------- */

struct hostif_tap {
	int fd;                 /* non-blocking */
	bool created;           /* we made it: non-persistent, goes with fd */
	bool vnet_hdr;          /* frames carry struct hostif_vnet_hdr */
	bool offload;           /* TUN_F_CSUM | TUN_F_TSO4 accepted */
};

/*
 * Open TAP @name (IFF_TAP | IFF_NO_PI), creating it when it does not
 * exist. @offload: 0 plain frames; 1 IFF_VNET_HDR and TUNSETOFFLOAD
 * (CSUM, TSO4) or fail; -1 try them and fall back. @multi_queue:
 * IFF_MULTI_QUEUE, one queue of a device that other descriptors may open
 * too. 0 or -errno (-EPERM without CAP_NET_ADMIN, -EBUSY when another
 * process has a single-queue device, -EINVAL when a persistent device has
 * other flags, a single-queue one when @multi_queue).
 */
int hostif_tap_open(const char *name, int offload, bool multi_queue,
		    struct hostif_tap *t);

/* --- AF_PACKET ------------------------------------------------------------- */

struct hostif_packet {
	int fd;                 /* non-blocking, bound to ifindex, ETH_P_ALL */
	int ifindex;
	bool vnet_hdr;          /* PACKET_VNET_HDR: frames carry the header */
};

/*
 * An AF_PACKET SOCK_RAW socket on host interface @ifname: bound to it for
 * every protocol, promiscuous (our MAC is not the interface's), with
 * PACKET_AUXDATA; @offload as for hostif_tap_open, with PACKET_VNET_HDR.
 * 0 or -errno (-ENODEV: no such interface).
 */
int hostif_packet_open(const char *ifname, int offload, struct hostif_packet *p);

/* One received frame: the caller's buffers in, what arrived out. */
struct hostif_rxmsg {
	struct iovec iov[3];
	int iovcnt;
	unsigned int len;       /* bytes received into the iovecs */
	bool outgoing;          /* PACKET_OUTGOING: sent by this host */
	bool csum_partial;      /* TP_STATUS_CSUMNOTREADY */
	bool csum_valid;        /* TP_STATUS_CSUM_VALID */
	bool vlan;              /* a VLAN tag was stripped: not ours */
	bool truncated;         /* larger than the iovecs */
};
#define HOSTIF_BATCH_MAX 64

/*
 * Receive up to @n (<= HOSTIF_BATCH_MAX) frames without blocking, one
 * recvmmsg. Returns the number received (>= 1) or -errno (-EAGAIN: none).
 */
int hostif_packet_recv(const struct hostif_packet *p, struct hostif_rxmsg *m,
		       unsigned int n);

/* One frame to send: its buffers and ethertype (network order). */
struct hostif_txmsg {
	struct iovec iov[2];
	int iovcnt;
	uint16_t proto_be;
};

/*
 * Send up to @n (<= HOSTIF_BATCH_MAX) frames without blocking, one
 * sendmmsg. Returns how many the kernel took, or -errno when the first
 * was refused (-EAGAIN: socket buffer full, try again on POLLOUT).
 */
int hostif_packet_send(const struct hostif_packet *p, struct hostif_txmsg *m,
		       unsigned int n);

/* --- the stack thread's wakeup ---------------------------------------------- */

/* A non-blocking eventfd, or -errno. */
int hostif_eventfd(void);
void hostif_eventfd_signal(int fd);
void hostif_eventfd_drain(int fd);

#endif
