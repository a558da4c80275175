/*
 * The loopback device "lo" (Linux's drivers/net/loopback.c).
 *
 * Transmit is receive: loopback_xmit orphans the skb and queues it on the
 * stack's backlog with netif_rx; the next softirq runs netif_receive_skb
 * on it. The frame keeps an Ethernet header with zero MACs, as Linux's lo.
 *
 * loopback_net_ops: init creates the stack's backlog NAPI instance, then
 * creates, registers and opens lo (devinet's NETDEV_UP notifier adds
 * 127.0.0.1/8); exit unregisters lo and frees the backlog.
 */
#include <errno.h>

#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/route.h"

#include "dev_priv.h"

/*
 * Loop @skb back (data at the link header). Always consumes it: queued on
 * the backlog, or dropped there when the backlog is full.
 */
static netdev_tx_t loopback_xmit(struct sk_buff *skb, struct net_device *dev)
{
	skb_trace(skb);
	skb_orphan(skb);
	/*
	 * Linux keeps the output route on the skb; we drop it so that input
	 * routing always runs on the receive side (our output routes carry
	 * no input handler).
	 */
	skb_dst_drop(skb);
	/* The checksum was never needed on this "wire": treat it as verified. */
	if (skb->ip_summed == CHECKSUM_PARTIAL)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->tstamp = net_now(dev_net(dev));
	skb->dev = dev;
	netif_rx(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops loopback_ops = {
	.ndo_start_xmit = loopback_xmit,
};

static void loopback_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->type = ARPHRD_LOOPBACK;
	dev->mtu = 64 * 1024;
	dev->min_mtu = 68;
	dev->max_mtu = 64 * 1024;
	dev->flags = IFF_LOOPBACK | IFF_NOARP;
	dev->features = NETIF_F_HW_CSUM | NETIF_F_RXCSUM | NETIF_F_GSO |
			NETIF_F_TSO | NETIF_F_SG;
	dev->gso_max_size = 65536;
	dev->tx_queue_len = 1000;
	memset(dev->dev_addr, 0, ETH_ALEN);
	dev->netdev_ops = &loopback_ops;
}

/* Create, register and open "lo" in @net. NULL on failure. */
struct net_device *loopback_dev_create(struct net *net)
{
	struct net_device *dev;

	dev = alloc_netdev(net, 0, "lo", loopback_setup);
	if (!dev)
		return NULL;
	if (register_netdevice(dev)) {
		free_netdev(dev);
		return NULL;
	}
	net->loopback_dev = dev;
	if (dev_open(dev)) {
		unregister_netdevice(dev);
		return NULL;
	}
	return dev;
}

static int loopback_net_init(struct net *net)
{
	int err;

	err = netdev_backlog_init(net);
	if (err)
		return err;
	if (!loopback_dev_create(net)) {
		netdev_backlog_exit(net);
		return -ENOMEM;
	}
	return 0;
}

static void loopback_net_exit(struct net *net)
{
	if (net->loopback_dev)
		unregister_netdevice(net->loopback_dev);
	netdev_backlog_exit(net);
}

const struct pernet_operations loopback_net_ops = {
	.name = "loopback",
	.init = loopback_net_init,
	.exit = loopback_net_exit,
};
