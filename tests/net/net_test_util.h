/*
 * Helpers shared by the device-layer tests (tests/net, tests/drivers): a
 * polled stack on a virtual clock, a fake Ethernet driver that keeps what
 * it is given, frame builders and a recording protocol handler.
 */
#ifndef SL_NET_TEST_UTIL_H
#define SL_NET_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "sl_test.h"

#include "sl/if_ether.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/skbuff.h"

#define ETH_P_TEST 0x88b5 /* IEEE local experimental ethertype */

static inline struct net *test_net_create(sl_clock_t *clk, const char *name,
					  uint64_t seed)
{
	struct sl_net_config nc = { 0 };
	struct net *net;

	nc.name = name;
	nc.mode = SL_NET_POLLED;
	nc.clock = clk;
	nc.seed = seed;
	net = sl_net_create(&nc);
	assert_non_null(net);
	return net;
}

/* --- a fake driver ---------------------------------------------------- */

struct fake_priv {
	struct sk_buff_head txq;  /* what the driver was handed */
	int busy_next;            /* answer NETDEV_TX_BUSY this many times */
	int xmits;
	int flushes;
};

static __maybe_unused netdev_tx_t fake_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct fake_priv *p = netdev_priv(dev);

	if (p->busy_next > 0) {
		p->busy_next--;
		return NETDEV_TX_BUSY;
	}
	p->xmits++;
	skb_queue_tail(&p->txq, skb);
	return NETDEV_TX_OK;
}

static __maybe_unused void fake_flush(struct net_device *dev)
{
	((struct fake_priv *)netdev_priv(dev))->flushes++;
}

static __maybe_unused void fake_uninit(struct net_device *dev)
{
	skb_queue_purge(&((struct fake_priv *)netdev_priv(dev))->txq);
}

static const struct net_device_ops fake_ops __maybe_unused = {
	.ndo_uninit = fake_uninit,
	.ndo_start_xmit = fake_xmit,
	.ndo_xmit_flush = fake_flush,
};

static __maybe_unused void fake_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &fake_ops;
	skb_queue_head_init(&((struct fake_priv *)netdev_priv(dev))->txq);
}

static inline struct net_device *fake_dev_add(struct net *net, const char *name)
{
	struct net_device *dev = alloc_netdev(net, sizeof(struct fake_priv),
					      name, fake_setup);
	u64 seed = 7;

	assert_non_null(dev);
	eth_random_addr(dev->dev_addr, &seed);
	assert_int_equal(register_netdevice(dev), 0);
	assert_int_equal(dev_open(dev), 0);
	return dev;
}

static inline struct fake_priv *fake_priv(struct net_device *dev)
{
	return netdev_priv(dev);
}

/* --- frames ------------------------------------------------------------ */

/*
 * An Ethernet frame to @dst (NULL: broadcast) of @proto with @len payload
 * bytes of @fill, data at the Ethernet header, skb->dev = @dev.
 */
static inline struct sk_buff *test_frame(struct net_device *dev, const u8 *dst,
					 u16 proto, unsigned int len, u8 fill)
{
	struct sk_buff *skb = alloc_skb(dev_net(dev), len + 128);

	assert_non_null(skb);
	skb_reserve(skb, 32);
	memset(skb_put(skb, len), fill, len);
	skb_reset_network_header(skb);
	eth_header(skb, dev, proto, dst ? dst : dev->broadcast, NULL, len);
	skb->dev = dev;
	skb->protocol = htons(proto);
	return skb;
}

/* --- a recording protocol handler ------------------------------------- */

#define REC_MAX 4096

struct rec {
	int n;
	u64 t[REC_MAX];           /* arrival time, stack clock */
	u32 seq[REC_MAX];         /* first 4 payload bytes */
	u8 pkt_type[REC_MAX];
	u8 ip_summed[REC_MAX];
	struct net_device *dev[REC_MAX];
	u8 first[REC_MAX][64];    /* first bytes at skb->data */
	unsigned int len[REC_MAX];
};

static struct rec rec_buf __maybe_unused;

static __maybe_unused int rec_func(struct sk_buff *skb, struct net_device *dev,
		    struct packet_type *pt, struct net_device *orig_dev)
{
	struct rec *r = pt->af_packet_priv ? pt->af_packet_priv : &rec_buf;

	if (r->n < REC_MAX) {
		r->t[r->n] = net_now(dev_net(dev));
		memcpy(&r->seq[r->n], skb->data, skb->len >= 4 ? 4 : 0);
		r->pkt_type[r->n] = skb->pkt_type;
		r->ip_summed[r->n] = skb->ip_summed;
		r->dev[r->n] = dev;
		memcpy(r->first[r->n], skb->data, skb->len < 64 ? skb->len : 64);
		r->len[r->n] = skb->len;
		r->n++;
	}
	consume_skb(skb);
	return NET_RX_SUCCESS;
}

#endif
