/*
 * pktdev: an L3 test device (src/drivers/pktdev.c), the role of the TUN
 * device packetdrill runs Linux's TCP against.
 *
 * No link header (ARPHRD_NONE, IFF_NOARP | IFF_POINTOPOINT), no offloads:
 * the stack fills every checksum and never hands it a segment larger than
 * the MTU. What the stack transmits is queued on the device with its
 * emission time (the stack clock at ndo_start_xmit) until the harness pops
 * it; what the harness injects is one IP datagram, processed to completion
 * (every consequence, replies included) before pktdev_inject returns.
 */
#ifndef SL_PKTDEV_H
#define SL_PKTDEV_H

#include "sl/types.h"

struct net;
struct net_device;

/*
 * Create, register and open an L3 test device "@name" (may hold "%d") with
 * @mtu (0: 1500) in @net. Returns the device (owned by @net: unregistered
 * by sl_net_destroy) or NULL with -errno in *@err.
 */
struct net_device *pktdev_create(struct net *net, const char *name,
				 unsigned int mtu, int *err);
/*
 * Hand one IP datagram (@len bytes at @buf, no link header) to @dev's
 * stack as if it arrived on the device now, and run the stack's softirq
 * until it has processed it and everything it caused. The bytes are
 * copied; the caller keeps @buf. Process context (never from a softirq of
 * the same stack). 0, -EINVAL (empty or larger than 65535), -ENOMEM,
 * -ENETDOWN (device down).
 */
int pktdev_inject(struct net_device *dev, const void *buf, size_t len);
/*
 * Take the oldest datagram @dev's stack sent: copy it (IP header first,
 * checksums finished) to @buf of *@len bytes, set *@len to its length and
 * *@tstamp to its emission time (ns on the stack clock). A datagram larger
 * than the buffer is truncated to it. 0, or -EAGAIN when none is queued.
 * Safe from any thread.
 */
int pktdev_pop(struct net_device *dev, void *buf, size_t *len, u64 *tstamp);
/* Datagrams sent and not yet popped. */
unsigned int pktdev_queued(struct net_device *dev);
/* Drop every queued datagram (counted as tx_dropped). */
void pktdev_purge(struct net_device *dev);

#endif
