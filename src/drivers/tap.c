/*
 * The TAP driver: a stack device whose frames go through a host TAP
 * interface ("tap:NAME"), the way a virtual machine's NIC does.
 *
 * tap_attach: hostif_tap_open (create or attach, non-blocking, optionally
 *   IFF_VNET_HDR + TUNSETOFFLOAD, IFF_MULTI_QUEUE when the config asks:
 *   the preload shim's forked children open queues of their own, and
 *   tap_steer_syn teaches tun which queue a flow is on) ->
 *   host side up, MTU agreed (ours from the config, else the host's) ->
 *   hostlink_alloc (offload: GSO, TSO, HW_CSUM, RXCSUM) ->
 *   hostlink_register.
 * Receive (NAPI poll): one readv per frame, straight into an skb (vnet
 *   header first when present), until EAGAIN or the budget; a TAP offers
 *   no batched read.
 * Transmit (ndo_xmit_flush): one writev per queued frame, its vnet header
 *   in front. The kernel processes each write before returning, so EAGAIN
 *   is rare; it is still honoured (the frame waits for POLLOUT).
 * Lifetime: ndo_uninit closes the descriptor: a TAP we created is not
 *   persistent and disappears with it; one that existed stays.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "sl/checksum.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/tcp.h"

#include "hostlink.h"

struct tap_priv {
	struct hostlink hl;         /* first: netdev_priv() is the hostlink */
	char host_name[IFNAMSIZ];
	bool created;
	bool multi_queue;           /* one queue of several (IFF_MULTI_QUEUE) */
};

static struct tap_priv *tap_priv(struct hostlink *hl)
{
	return container_of(hl, struct tap_priv, hl);
}

/* ops->rx: one frame per readv, until the TAP is empty or @budget. */
static int tap_rx(struct hostlink *hl, int budget)
{
	struct iovec iov[3];
	int work = 0, cnt;
	ssize_t n;

	while (work < budget) {
		cnt = hostlink_rx_iov(hl, 0, iov);
		if (!cnt)
			break;  /* out of memory: the frame waits in the TAP */
		n = readv(hl->fd, iov, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			hostlink_rx_error(hl, -errno);
			break;
		}
		work++;
		hostlink_rx_frame(hl, 0, (size_t)n, false, false);
	}
	return work;
}

/* Write one frame: 0, or -errno from writev. */
static int tap_write_one(struct hostlink *hl, struct sk_buff *skb)
{
	struct hostif_vnet_hdr vh;
	struct iovec iov[2];
	int cnt = 0;

	if (hl->vnet_hdr) {
		if (hostlink_tx_vnet_hdr(hl, skb, &vh))
			return -EINVAL;
		iov[cnt++] = (struct iovec){ &vh, sizeof(vh) };
	} else if (skb_is_gso(skb)) {
		return -EINVAL;  /* no header, no segmentation by the host */
	}
	iov[cnt++] = (struct iovec){ skb->data, skb->len };
	while (writev(hl->fd, iov, cnt) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

/*
 * Several processes on one multi-queue TAP (the preload shim's fork
 * children, each with a stack on a queue of its own, same address and
 * MAC): tun sends a flow's frames to the queue that last wrote one of it,
 * but learns the flow only after it has delivered the written frame, and
 * the kernel answers a SYN within that delivery, so the SYN-ACK would go
 * by hash, maybe to another process. So before an active open's SYN we
 * write a copy of its headers that the kernel drops at once (addressed to
 * our own MAC: PACKET_OTHERHOST; a bare RST besides): tun has learned the
 * flow from it by the time the SYN goes out. Best effort.
 */
static void tap_steer_syn(struct hostlink *hl, const struct sk_buff *skb)
{
	struct {
		struct hostif_vnet_hdr vh;  /* zero: no offload */
		u8 frame[ETH_HLEN + 60 + sizeof(struct sl_tcphdr)];
	} f;
	unsigned int ihl, len;
	struct sl_tcphdr *th;
	struct iphdr *iph;
	struct iovec iov[2];
	int cnt = 0;

	if (skb->len < ETH_HLEN + sizeof(*iph) + sizeof(*th) ||
	    skb->data[12] != 0x08 || skb->data[13] != 0x00 ||   /* ETH_P_IP */
	    skb_copy_bits(skb, 0, f.frame, ETH_HLEN + sizeof(*iph)))
		return;
	iph = (struct iphdr *)(f.frame + ETH_HLEN);
	ihl = iph->ihl * 4u;
	len = ETH_HLEN + ihl + sizeof(*th);
	if (iph->protocol != IPPROTO_TCP || ihl < sizeof(*iph) ||
	    len > skb->len || skb_copy_bits(skb, 0, f.frame, (int)len))
		return;
	th = (struct sl_tcphdr *)(f.frame + ETH_HLEN + ihl);
	if (!th->syn || th->ack)
		return;
	memcpy(f.frame, hl->dev->dev_addr, ETH_ALEN);
	iph->tot_len = htons((u16)(ihl + sizeof(*th)));
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
	th->doff = sizeof(*th) / 4;
	th->syn = 0;
	th->rst = 1;
	memset(&f.vh, 0, sizeof(f.vh));
	if (hl->vnet_hdr)
		iov[cnt++] = (struct iovec){ &f.vh, sizeof(f.vh) };
	iov[cnt++] = (struct iovec){ f.frame, len };
	(void)!writev(hl->fd, iov, cnt);
}

/* ops->tx: write @q in order; stop at EAGAIN. */
static int tap_tx(struct hostlink *hl, struct sk_buff_head *q)
{
	bool steer = tap_priv(hl)->multi_queue;
	struct sk_buff *skb;
	int err;

	while ((skb = skb_peek(q))) {
		if (unlikely(steer))
			tap_steer_syn(hl, skb);
		err = tap_write_one(hl, skb);
		if (err == -EAGAIN || err == -EWOULDBLOCK)
			return -EAGAIN;
		__skb_unlink(skb, q);
		if (err)
			hostlink_tx_drop(hl, skb, true);
		else
			consume_skb(skb);
	}
	return 0;
}

static void tap_close(struct hostlink *hl)
{
	if (hl->fd >= 0)
		close(hl->fd);
}

static const struct hostlink_ops tap_ops = {
	.rx = tap_rx,
	.tx = tap_tx,
	.close = tap_close,
};

/* The host side follows: both ends of the link have one MTU. */
static int tap_change_mtu(struct net_device *dev, int new_mtu)
{
	struct tap_priv *tp = tap_priv(hostlink_of(dev));
	int err;

	err = hostif_set_mtu(tp->host_name, (unsigned int)new_mtu);
	if (err)
		return err;
	WRITE_ONCE(dev->mtu, (unsigned int)new_mtu);
	return 0;
}

static const struct net_device_ops tap_netdev_ops = {
	.ndo_uninit = hostlink_uninit,
	.ndo_start_xmit = hostlink_start_xmit,
	.ndo_xmit_flush = hostlink_xmit_flush,
	.ndo_change_mtu = tap_change_mtu,
};

/* Host side: up, and the MTU we agree on (@cfg's, else the host's). */
static int tap_host_setup(const char *name, const struct sl_dev_config *cfg,
			  unsigned int *mtu)
{
	int err;

	if (cfg->mtu) {
		err = hostif_set_mtu(name, cfg->mtu);
		*mtu = cfg->mtu;
	} else {
		err = hostif_get_mtu(name, mtu);
	}
	if (!err)
		err = hostif_set_up(name);
	return err;
}

/*
 * "tap:@name": open (or create) the host TAP, then a stack device on it,
 * registered and up. Returns the device, or NULL and -errno in *@err.
 */
struct net_device *tap_attach(struct net *net, const char *name,
			      const struct sl_dev_config *cfg, int *err)
{
	struct hostif_tap t;
	struct hostlink *hl;
	struct tap_priv *tp;
	unsigned int mtu = ETH_DATA_LEN;

	bool mq = cfg->multi_queue;

	*err = hostif_tap_open(name, cfg->offload, mq, &t);
	/* A TAP made single-queue (ip tuntap add without multi_queue) takes
	 * no second queue: its one queue is ours. */
	if (*err == -EINVAL && mq) {
		mq = false;
		*err = hostif_tap_open(name, cfg->offload, false, &t);
	}
	if (*err)
		return NULL;
	*err = tap_host_setup(name, cfg, &mtu);
	if (*err)
		goto out_close;
	hl = hostlink_alloc(net, cfg, name, sizeof(struct tap_priv),
			    &tap_netdev_ops, mtu, t.offload);
	if (!hl) {
		*err = -ENOMEM;
		goto out_close;
	}
	tp = tap_priv(hl);
	snprintf(tp->host_name, sizeof(tp->host_name), "%s", name);
	tp->created = t.created;
	tp->multi_queue = mq;
	hl->ops = &tap_ops;
	hl->fd = t.fd;
	hl->vnet_hdr = t.vnet_hdr;
	*err = hostlink_register(hl);
	return *err ? NULL : hl->dev;

out_close:
	close(t.fd);
	return NULL;
}
