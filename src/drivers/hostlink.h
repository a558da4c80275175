/*
 * Host links: Ethernet devices of a stack whose frames come and go through
 * a host descriptor (src/drivers/hostlink.c; the TAP driver in tap.c, the
 * AF_PACKET driver in af_packet.c; host calls in hostif.c).
 *
 * What the drivers share:
 *   receive   the stack's softirq polls the link's NAPI instance, which
 *             reads frames until the descriptor is empty or the budget is
 *             spent (ops->rx) and hands each to netif_receive_skb, after
 *             hostlink_rx_frame has applied the offload header;
 *   transmit  ndo_start_xmit queues the skb on hl->txq; ndo_xmit_flush
 *             (once per qdisc burst) writes the batch (ops->tx), or, in a
 *             threaded stack, hands it to the link's transmit thread
 *             unless it is only small frames and the thread is idle (see
 *             hostlink.c, "the transmit thread"). What the host refuses
 *             with EAGAIN stays queued, the link (or its thread) waits
 *             for POLLOUT, and a full queue answers NETDEV_TX_BUSY so that
 *             the qdisc holds the rest (netif_tx_wake_queue restarts it);
 *   waking    a threaded stack's thread sleeps in ppoll on every link's
 *             descriptor and on an eventfd that net_softirq_kick signals
 *             only while the thread is in ppoll (hostlink_sleep,
 *             hostlink_kick); a polled stack polls every link on each
 *             net_poll (hostlink_poll).
 */
#ifndef SL_DRIVERS_HOSTLINK_H
#define SL_DRIVERS_HOSTLINK_H

#include "sl/netdevice.h"
#include "sl/types.h"

#include <pthread.h>

#include "hostif.h"

struct net;
struct hostlink;
struct sl_dev_config;

/* Frames read per NAPI poll (also the AF_PACKET recvmmsg batch). */
#define HOSTLINK_RX_BATCH 32
/* Frames that may wait on hl->txq before the qdisc is told to hold. */
#define HOSTLINK_TXQ_MAX 256
/* Frames up to this size go out inline when the transmit thread is idle:
 * pure ACKs (66-118 bytes with timestamps and SACK blocks), small datagrams. */
#define HOSTLINK_TX_INLINE_LEN 128
/* Links per stack (the thread's ppoll set). */
#define HOSTLINK_MAX 16

struct hostlink_ops {
	/* Read up to @budget frames into the stack; returns how many. */
	int (*rx)(struct hostlink *hl, int budget);
	/*
	 * Write the frames of @q from its head, as many as the host takes.
	 * Each written or refused frame is unlinked and consumed; returns
	 * -EAGAIN when the host said to wait (the rest stays queued), else
	 * 0. @q is hl->txq (dev->tx_lock held) or the transmit thread's own.
	 */
	int (*tx)(struct hostlink *hl, struct sk_buff_head *q);
	/* Release the descriptor and the driver's state (ndo_uninit). */
	void (*close)(struct hostlink *hl);
};

/* One receive buffer: an skb to read into, and room for what overflows. */
struct hostlink_rx_slot {
	struct sk_buff *skb;        /* spare, read into its tailroom */
	unsigned char *overflow;    /* HOSTLINK_RX_OVERFLOW bytes, or NULL */
};
/* An IPv4 datagram in an Ethernet frame can never need more. */
#define HOSTLINK_RX_OVERFLOW (65536 + 64)

struct hostlink {
	struct list_head list;      /* on the stack's hostlink_set */
	struct net *net;
	struct net_device *dev;
	const struct hostlink_ops *ops;
	int fd;
	bool vnet_hdr;              /* frames carry struct hostif_vnet_hdr */
	bool rx_big;                /* read into 64 KiB skbs (large segments) */
	u32 tx_blocked;             /* atomic: the host said EAGAIN */
	u64 tx_waits;               /* atomic: times it did */
	bool tx_inline;             /* no transmit thread (cfg->tx_inline) */
	bool failed;                /* atomic: a read failed for good */
	bool closed;                /* hostlink_uninit ran */
	struct napi_struct napi;
	struct sk_buff_head txq;    /* batch and backlog (dev->tx_lock) */
	struct hostlink_xmit_thread {
		pthread_t thread;
		bool on;                /* running: ndo_xmit_flush hands it frames */
		bool stop;              /* atomic: hostlink_uninit ends it */
		bool busy;              /* dev->tx_lock: it holds unwritten frames */
		bool held;              /* atomic: the qdisc holds frames (TX_BUSY) */
		u32 kick;               /* futex word: 1 work may wait, 0 asleep */
		u64 frames;             /* atomic: frames it wrote (or the
		                         * host refused) */
		struct sk_buff_head q;  /* what it writes now (its own) */
	} xt;
	struct hostlink_rx_slot rx[HOSTLINK_RX_BATCH]; /* softirq only */
	struct hostif_vnet_hdr rx_vh[HOSTLINK_RX_BATCH];
};

/*
 * Allocate an Ethernet device in @net for a host link: named @cfg->name or
 * @dflt_name, MTU @mtu, MAC from @cfg or random (locally administered),
 * with @priv_size bytes of driver state whose first member is the struct
 * hostlink (returned, with hl->dev set). @offload: large segments and
 * partial checksums both ways (frames carry the vnet header). NULL when
 * out of memory.
 */
struct hostlink *hostlink_alloc(struct net *net, const struct sl_dev_config *cfg,
				const char *dflt_name, size_t priv_size,
				const struct net_device_ops *netdev_ops,
				unsigned int mtu, bool offload);
/*
 * Register and open the device of @hl (its fd, ops and vnet_hdr set) and
 * make the stack poll the link. On failure the device is freed and the
 * driver's close op has run. 0 or -errno.
 */
int hostlink_register(struct hostlink *hl);
/* ndo_uninit of every host link driver: stop polling, close, purge. */
void hostlink_uninit(struct net_device *dev);

/* ndo_start_xmit / ndo_xmit_flush of every host link driver. */
netdev_tx_t hostlink_start_xmit(struct sk_buff *skb, struct net_device *dev);
void hostlink_xmit_flush(struct net_device *dev);

static inline struct hostlink *hostlink_of(const struct net_device *dev)
{
	return netdev_priv(dev);
}

/*
 * Receive helpers for ops->rx, in softirq context. hostlink_rx_iov fills
 * @iov with where the next frame of slot @i goes (the vnet header first
 * when the link has one, then the spare skb, then the overflow) and
 * returns the count, 0 when out of memory. hostlink_rx_frame takes the
 * @len bytes that arrived (header included) and delivers them to the
 * stack; @csum_partial / @csum_valid describe a frame without a header
 * (AF_PACKET's auxdata).
 */
int hostlink_rx_iov(struct hostlink *hl, int i, struct iovec *iov);
void hostlink_rx_frame(struct hostlink *hl, int i, size_t len,
		       bool csum_partial, bool csum_valid);
/* A read failed with @err: one that means the descriptor is dead stops
 * polling the link (counted in rx_errors); the others pass. */
void hostlink_rx_error(struct hostlink *hl, int err);

/*
 * The vnet header a frame needs in front of it on the host: NEEDS_CSUM for
 * a partial checksum, GSO_TCPV4 for a large segment. -EINVAL when the skb
 * wants an offload the link does not give (it is then dropped).
 */
int hostlink_tx_vnet_hdr(const struct hostlink *hl, const struct sk_buff *skb,
			 struct hostif_vnet_hdr *vh);
/* Drop a frame the host refused: counted, consumed. */
void hostlink_tx_drop(struct hostlink *hl, struct sk_buff *skb, bool error);

/* --- the stack side: attach by name, wait, poll ----------------------------- */

/* Drivers' attach functions ("tap:NAME", "packet:IFNAME"). */
struct net_device *tap_attach(struct net *net, const char *name,
			      const struct sl_dev_config *cfg, int *err);
struct net_device *packet_attach(struct net *net, const char *name,
				 const struct sl_dev_config *cfg, int *err);

#endif
