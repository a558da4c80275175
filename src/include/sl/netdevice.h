/*
 * Network devices, the transmit queue discipline, NAPI and packet taps
 * (src/net/dev.c, src/net/sch_generic.c).
 *
 * Transmit:  dev_queue_xmit -> __dev_xmit_skb (qdisc enqueue, or bypass when
 *            the qdisc is empty) -> sch_direct_xmit -> dev_hard_start_xmit
 *            -> taps (ptype_all) -> ops->ndo_start_xmit (the driver).
 * Receive:   driver -> napi_schedule; the stack's softirq runs
 *            net_rx_action -> napi->poll(budget) -> netif_receive_skb ->
 *            taps -> ptype_base[ethertype]->func (ip_rcv, arp_rcv).
 */
#ifndef SL_NETDEVICE_H
#define SL_NETDEVICE_H

#include <net/if.h>
#include <pthread.h>

#include "sl/spinlock.h"
#include "sl/if_ether.h"
#include "sl/list.h"
#include "sl/skbuff.h"
#include "sl/types.h"

struct net;
struct in_device;
struct Qdisc;

typedef enum {
	NETDEV_TX_OK = 0,
	NETDEV_TX_BUSY = 0x10,  /* driver full: skb NOT consumed, requeue */
} netdev_tx_t;

#define NET_RX_SUCCESS 0
#define NET_RX_DROP 1
#define NET_XMIT_SUCCESS 0
#define NET_XMIT_DROP 1
#define NET_XMIT_CN 2

/* dev->features */
#define NETIF_F_HW_CSUM (1u << 0)  /* driver/link needs no checksums filled */
#define NETIF_F_RXCSUM (1u << 1)   /* received checksums already verified */
#define NETIF_F_GSO (1u << 2)      /* link carries segments larger than MTU */
#define NETIF_F_TSO (1u << 3)
#define NETIF_F_SG (1u << 4)

/* ARPHRD_* device types */
#define ARPHRD_ETHER 1
#define ARPHRD_LOOPBACK 772
#define ARPHRD_NONE 0xFFFE

struct rtnl_link_stats64 {
	u64 rx_packets, tx_packets, rx_bytes, tx_bytes;
	u64 rx_errors, tx_errors, rx_dropped, tx_dropped;
	u64 multicast, collisions, rx_length_errors, rx_over_errors;
	u64 rx_crc_errors, rx_frame_errors, rx_fifo_errors, rx_missed_errors;
	u64 tx_aborted_errors, tx_carrier_errors, tx_fifo_errors;
	u64 rx_nohandler;
};

struct net_device;

struct net_device_ops {
	int (*ndo_init)(struct net_device *dev);
	void (*ndo_uninit)(struct net_device *dev);
	int (*ndo_open)(struct net_device *dev);
	int (*ndo_stop)(struct net_device *dev);
	/*
	 * Consumes @skb unless it returns NETDEV_TX_BUSY. Called with the
	 * device's tx lock held; a driver may batch frames until
	 * ndo_xmit_flush, which the qdisc calls after the last of a burst.
	 */
	netdev_tx_t (*ndo_start_xmit)(struct sk_buff *skb, struct net_device *dev);
	int (*ndo_change_mtu)(struct net_device *dev, int new_mtu);
	/* Optional: flush frames batched by ndo_start_xmit. */
	void (*ndo_xmit_flush)(struct net_device *dev);
};

struct header_ops {
	int (*create)(struct sk_buff *skb, struct net_device *dev, u16 type,
		      const void *daddr, const void *saddr, unsigned int len);
};

struct napi_struct {
	struct list_head poll_list;  /* on net->softnet.poll_list when scheduled */
	unsigned long state;         /* NAPI_STATE_* bits, atomic */
	int weight;                  /* budget per poll call */
	int (*poll)(struct napi_struct *napi, int budget);
	struct net_device *dev;
};
#define NAPI_STATE_SCHED 0
#define NAPI_POLL_WEIGHT 64

/*
 * A protocol handler (ptype_base, by ethertype) or a tap (ETH_P_ALL: on one
 * device when .dev is set, else on every device of .af_packet_net).
 * .func consumes the skb it is given.
 */
struct packet_type {
	__be16 type;
	struct net_device *dev;
	struct net *af_packet_net;
	int (*func)(struct sk_buff *skb, struct net_device *dev,
		    struct packet_type *pt, struct net_device *orig_dev);
	void *af_packet_priv;
	struct list_head list;
};

struct net_device {
	char name[IFNAMSIZ];
	int ifindex;
	struct net *nd_net;
	struct list_head dev_list;      /* on net->dev_base_head */
	u32 refcnt;                     /* atomic */

	unsigned int flags;             /* IFF_UP, IFF_LOOPBACK, ... */
	unsigned int mtu, min_mtu, max_mtu;
	u16 type;                       /* ARPHRD_* */
	u16 hard_header_len;
	u16 needed_headroom;
	u8 addr_len;
	u8 dev_addr[ETH_ALEN];
	u8 broadcast[ETH_ALEN];
	u32 features;                   /* NETIF_F_* */
	unsigned int gso_max_size;

	const struct net_device_ops *netdev_ops;
	const struct header_ops *header_ops;

	struct Qdisc *qdisc;
	unsigned int tx_queue_len;      /* qdisc limit (Linux default 1000) */
	spinlock_t tx_lock;             /* serialises ndo_start_xmit */

	struct list_head ptype_all;     /* taps on this device */
	struct in_device *ip_ptr;       /* IPv4 state (src/ipv4/devinet.c) */

	struct rtnl_link_stats64 stats; /* updated with relaxed atomics */

	void *priv;                     /* driver state, see netdev_priv */
	void (*priv_destructor)(struct net_device *dev);
};

static inline void *netdev_priv(const struct net_device *dev)
{
	return dev->priv;
}
static inline struct net *dev_net(const struct net_device *dev)
{
	return dev->nd_net;
}
static inline bool netif_running(const struct net_device *dev)
{
	return dev->flags & IFF_UP;
}

#define DEV_STATS_INC(dev, field) \
	__atomic_fetch_add(&(dev)->stats.field, 1, __ATOMIC_RELAXED)
#define DEV_STATS_ADD(dev, field, v) \
	__atomic_fetch_add(&(dev)->stats.field, (v), __ATOMIC_RELAXED)

/* --- device lifetime (src/net/dev.c) ------------------------------------ */

/*
 * Allocate a device in @net with @sizeof_priv bytes of driver state and
 * run @setup (e.g. ether_setup). @name may contain "%d".
 */
struct net_device *alloc_netdev(struct net *net, size_t sizeof_priv,
				const char *name,
				void (*setup)(struct net_device *dev));
void free_netdev(struct net_device *dev);
/* Assign an ifindex, make the name unique, attach the default qdisc. */
int register_netdevice(struct net_device *dev);
/* Close, detach from the stack, notify, drop the stack's reference. */
void unregister_netdevice(struct net_device *dev);
int dev_open(struct net_device *dev);
int dev_close(struct net_device *dev);
int dev_set_mtu(struct net_device *dev, int new_mtu);
/* Lookups take no reference; valid while the stack is not unregistering it. */
struct net_device *dev_get_by_name(struct net *net, const char *name);
struct net_device *dev_get_by_index(struct net *net, int ifindex);
void dev_hold(struct net_device *dev);
void dev_put(struct net_device *dev);

/* Device events for other layers (ARP, routes, addresses). */
enum netdev_event {
	NETDEV_UP = 1,
	NETDEV_DOWN,
	NETDEV_CHANGEMTU,
	NETDEV_REGISTER,
	NETDEV_UNREGISTER,
	NETDEV_CHANGEADDR,
};
struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long event,
			     void *ptr);
	struct notifier_block *next;
	int priority;
};
int register_netdevice_notifier(struct notifier_block *nb);
int unregister_netdevice_notifier(struct notifier_block *nb);
void call_netdevice_notifiers(unsigned long event, struct net_device *dev);

/* --- transmit ------------------------------------------------------------ */

/*
 * Queue @skb for transmission on skb->dev. skb->data is at the link header.
 * The caller gives @skb up on every outcome (a drop frees it), so it must
 * not touch or resend it afterwards. Returns NET_XMIT_SUCCESS,
 * NET_XMIT_DROP or -ENETDOWN.
 */
int dev_queue_xmit(struct sk_buff *skb);
/* Hand one skb to the driver after the taps; consumes unless TX_BUSY. */
netdev_tx_t dev_hard_start_xmit(struct sk_buff *skb, struct net_device *dev);
/* Deliver a reference of @skb to every transmit tap. Does not consume. */
void dev_queue_xmit_nit(struct sk_buff *skb, struct net_device *dev);
/*
 * Added by net: finish a CHECKSUM_PARTIAL checksum in software (store the
 * folded sum at csum_start + csum_offset, ip_summed becomes NONE). The data
 * must not be shared with a clone (skb_unshare first): -EINVAL then. Does
 * not consume @skb. 0 or -EINVAL.
 */
int skb_checksum_help(struct sk_buff *skb);

/* --- receive ------------------------------------------------------------- */

/*
 * Deliver one frame (skb->data at the link header, skb->dev set) to the
 * protocols. Consumes @skb. Called from NAPI poll in softirq context.
 * Returns NET_RX_SUCCESS or NET_RX_DROP.
 */
int netif_receive_skb(struct sk_buff *skb);
/* Queue @skb on the stack's backlog for the next net_rx_action. Consumes. */
int netif_rx(struct sk_buff *skb);

void netif_napi_add(struct net_device *dev, struct napi_struct *napi,
		    int (*poll)(struct napi_struct *, int), int weight);
void netif_napi_del(struct napi_struct *napi);
/* Ask the stack's softirq to call napi->poll. Safe from any thread. */
void napi_schedule(struct napi_struct *napi);
/* Poll done with @work_done < budget: leave the poll list. */
bool napi_complete_done(struct napi_struct *napi, int work_done);
/*
 * Busy polling (Linux's napi_busy_loop): poll @napi once, with @budget
 * (at most its weight), from a thread that holds the stack's softirq lock,
 * without scheduling it or waking anyone. An instance already scheduled is
 * left to the softirq. Returns the frames processed.
 */
int napi_busy_poll(struct napi_struct *napi, int budget);

/*
 * The softirq: poll every scheduled NAPI instance with a shared @budget.
 * Returns the number of frames processed.
 */
int net_rx_action(struct net *net, int budget);

/* ptype_base handlers (global) and ETH_P_ALL taps (per device or stack). */
void dev_add_pack(struct packet_type *pt);
void dev_remove_pack(struct packet_type *pt);

/* --- queue discipline (src/net/sch_generic.c) --------------------------- */

struct Qdisc {
	const char *id;
	/* Consumes skb; NET_XMIT_DROP when over limit. */
	int (*enqueue)(struct sk_buff *skb, struct Qdisc *q);
	struct sk_buff *(*dequeue)(struct Qdisc *q);
	struct sk_buff_head q;
	u32 limit;
	u32 running;          /* atomic: one thread dequeues at a time */
	struct net_device *dev;
	u64 drops;
	u64 requeues;
	u64 packets;
};

struct Qdisc *qdisc_create_dflt(struct net_device *dev);
void qdisc_destroy(struct Qdisc *q);
/* Drain the qdisc into the driver until empty or the driver is busy. */
void __qdisc_run(struct Qdisc *q);
/*
 * (added by drivers) A driver that answered NETDEV_TX_BUSY can take frames
 * again: send what the qdisc held back (Linux's netif_tx_wake_queue, whose
 * __netif_schedule runs the qdisc from net_tx_action; we run it at once).
 * Any context but under dev->tx_lock.
 */
void netif_tx_wake_queue(struct net_device *dev);

/* --- loopback (src/net/loopback.c) --------------------------------------- */

/* Create, register and open "lo" in @net (127.0.0.1/8 added by ipv4). */
struct net_device *loopback_dev_create(struct net *net);

#endif
