/*
 * The AF_PACKET driver: a stack device on an existing host interface
 * ("packet:IFNAME", one end of a veth pair say), reached through a raw
 * packet socket, the way a user-space switch or DPDK's af_packet PMD is.
 *
 * packet_attach: hostif_packet_open (SOCK_RAW, ETH_P_ALL, bound to the
 *   ifindex, promiscuous because our MAC is not the interface's, with
 *   PACKET_AUXDATA and, offload permitting, PACKET_VNET_HDR) -> host
 *   interface up -> MTU (the config's, else the interface's) ->
 *   hostlink_alloc -> hostlink_register.
 * Receive (NAPI poll): recvmmsg batches of up to HOSTLINK_RX_BATCH frames,
 *   each straight into an skb. Frames the host itself sends out of the
 *   interface come back to packet sockets as PACKET_OUTGOING: skipped
 *   (ours never do: the kernel does not loop a frame to its sender).
 *   Without a vnet header the kernel still hands up what a veth peer's
 *   offloads made: partial checksums (auxdata CSUMNOTREADY, finished or
 *   kept partial as for TAP) and large segments (taken whole, without a
 *   segment size). Frames whose VLAN tag the kernel stripped are not ours.
 * Transmit (ndo_xmit_flush): sendmmsg batches of the queued frames, each
 *   with its ethertype; EAGAIN (socket buffer full) waits for POLLOUT,
 *   ENOBUFS means the host dropped the frame (counted, as a NIC would).
 *
 * Why not a TPACKET_V3 ring: a V3 block reaches user space only when it
 *   is full or its retire timer fires (milliseconds), which is the RTT
 *   we would add to every ping; recvmmsg reads what is there now.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"

#include "hostlink.h"

struct packet_priv {
	struct hostlink hl;         /* first: netdev_priv() is the hostlink */
	struct hostif_packet host;
	char host_name[IFNAMSIZ];
};

static struct packet_priv *packet_priv(struct hostlink *hl)
{
	return container_of(hl, struct packet_priv, hl);
}

/* Receive one recvmmsg batch of up to @want frames: frames read, or -errno. */
static int packet_rx_batch(struct hostlink *hl, int want)
{
	struct hostif_rxmsg m[HOSTLINK_RX_BATCH];
	int i, got;

	for (i = 0; i < want; i++) {
		m[i].iovcnt = hostlink_rx_iov(hl, i, m[i].iov);
		if (!m[i].iovcnt)
			break;
	}
	if (!i)
		return 0;
	got = hostif_packet_recv(&packet_priv(hl)->host, m, (unsigned int)i);
	for (i = 0; i < got; i++) {
		if (m[i].outgoing)
			continue;
		if (m[i].vlan || m[i].truncated) {
			DEV_STATS_INC(hl->dev, rx_dropped);
			continue;
		}
		hostlink_rx_frame(hl, i, m[i].len, m[i].csum_partial,
				  m[i].csum_valid);
	}
	return got;
}

/* ops->rx: batches until the socket is empty or @budget is spent. */
static int packet_rx(struct hostlink *hl, int budget)
{
	int work = 0, want, got;

	while (work < budget) {
		want = budget - work < HOSTLINK_RX_BATCH ? budget - work
							 : HOSTLINK_RX_BATCH;
		got = packet_rx_batch(hl, want);
		if (got < 0) {
			if (got == -EINTR)
				continue;
			hostlink_rx_error(hl, got);
			break;
		}
		work += got;
		if (got < want)
			break;
	}
	return work;
}

/*
 * Build up to HOSTIF_BATCH_MAX messages from the head of @q in
 * @skbs/@m/@vh; frames that cannot be offered are dropped on the way.
 */
static unsigned int packet_tx_build(struct hostlink *hl, struct sk_buff_head *q,
				    struct sk_buff **skbs,
				    struct hostif_txmsg *m,
				    struct hostif_vnet_hdr *vh)
{
	struct sk_buff *skb, *tmp;
	unsigned int n = 0;

	skb_queue_walk_safe(q, skb, tmp) {
		if (n == HOSTIF_BATCH_MAX)
			break;
		m[n].iovcnt = 0;
		if (hl->vnet_hdr) {
			if (hostlink_tx_vnet_hdr(hl, skb, &vh[n])) {
				__skb_unlink(skb, q);
				hostlink_tx_drop(hl, skb, true);
				continue;
			}
			m[n].iov[m[n].iovcnt++] =
				(struct iovec){ &vh[n], sizeof(vh[n]) };
		} else if (skb_is_gso(skb)) {
			/* No header, no segmentation by the host. */
			__skb_unlink(skb, q);
			hostlink_tx_drop(hl, skb, true);
			continue;
		}
		m[n].iov[m[n].iovcnt++] = (struct iovec){ skb->data, skb->len };
		m[n].proto_be = ((const struct ethhdr *)skb->data)->h_proto;
		skbs[n++] = skb;
	}
	return n;
}

/* ops->tx: sendmmsg batches of @q; stop at EAGAIN. */
static int packet_tx(struct hostlink *hl, struct sk_buff_head *q)
{
	struct sk_buff *skbs[HOSTIF_BATCH_MAX];
	struct hostif_txmsg m[HOSTIF_BATCH_MAX];
	struct hostif_vnet_hdr vh[HOSTIF_BATCH_MAX];
	unsigned int n, i;
	int sent;

	while (!skb_queue_empty(q)) {
		n = packet_tx_build(hl, q, skbs, m, vh);
		if (!n)
			continue;
		sent = hostif_packet_send(&packet_priv(hl)->host, m, n);
		if (sent == -EAGAIN || sent == -EWOULDBLOCK)
			return -EAGAIN;
		if (sent == -EINTR)
			continue;
		if (sent < 0) {
			/* The first frame was refused: ENOBUFS (a queue on
			 * the host's side was full) and ENETDOWN (no carrier
			 * yet) are drops, as on a NIC; anything else an error. */
			__skb_unlink(skbs[0], q);
			hostlink_tx_drop(hl, skbs[0],
					 sent != -ENOBUFS && sent != -ENETDOWN);
			continue;
		}
		for (i = 0; i < (unsigned int)sent; i++) {
			__skb_unlink(skbs[i], q);
			consume_skb(skbs[i]);
		}
	}
	return 0;
}

static void packet_close(struct hostlink *hl)
{
	if (hl->fd >= 0)
		close(hl->fd);
}

static const struct hostlink_ops packet_ops = {
	.rx = packet_rx,
	.tx = packet_tx,
	.close = packet_close,
};

static const struct net_device_ops packet_netdev_ops = {
	.ndo_uninit = hostlink_uninit,
	.ndo_start_xmit = hostlink_start_xmit,
	.ndo_xmit_flush = hostlink_xmit_flush,
};

/*
 * "packet:@name": a packet socket on host interface @name, then a stack
 * device on it, registered and up. Returns the device, or NULL and
 * -errno in *@err (-ENODEV: no such interface).
 */
struct net_device *packet_attach(struct net *net, const char *name,
				 const struct sl_dev_config *cfg, int *err)
{
	struct hostif_packet host;
	struct packet_priv *pp;
	struct hostlink *hl;
	unsigned int mtu = cfg->mtu;

	/* Up first: a packet socket bound to a down interface starts with
	 * a pending ENETDOWN. */
	*err = hostif_set_up(name);
	if (!*err && !mtu)
		*err = hostif_get_mtu(name, &mtu);
	if (*err)
		return NULL;
	*err = hostif_packet_open(name, cfg->offload, &host);
	if (*err)
		return NULL;
	hl = hostlink_alloc(net, cfg, name, sizeof(struct packet_priv),
			    &packet_netdev_ops, mtu, host.vnet_hdr);
	if (!hl) {
		*err = -ENOMEM;
		goto out_close;
	}
	pp = packet_priv(hl);
	pp->host = host;
	snprintf(pp->host_name, sizeof(pp->host_name), "%s", name);
	hl->ops = &packet_ops;
	hl->fd = host.fd;
	hl->vnet_hdr = host.vnet_hdr;
	*err = hostlink_register(hl);
	return *err ? NULL : hl->dev;

out_close:
	close(host.fd);
	return NULL;
}
