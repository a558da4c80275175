/*
 * Packet capture to classic pcap files (the format of tcpdump -w; magic
 * 0xa1b2c3d4, microsecond timestamps, LINKTYPE_ETHERNET, snaplen 262144).
 *
 * sl_pcap_start registers an ETH_P_ALL tap on the device: it sees every
 * transmitted frame (dev_queue_xmit_nit) and every received one
 * (netif_receive_skb, data at the MAC header), and appends a record with
 * buffered stdio. Timestamps are the wall clock at start plus the stack
 * clock's progress since, so virtual-clock captures read naturally.
 * sl_pcap_stop, and the device's unregistration (stack destroy), flush and
 * close the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sockline/sockline.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_SNAPLEN 262144u
#define LINKTYPE_ETHERNET 1u

struct pcap_file_header {
	u32 magic;
	u16 version_major;
	u16 version_minor;
	s32 thiszone;
	u32 sigfigs;
	u32 snaplen;
	u32 linktype;
};

struct pcap_rec_header {
	u32 ts_sec;
	u32 ts_usec;
	u32 incl_len;
	u32 orig_len;
};

struct pcap_capture {
	struct packet_type pt;         /* the tap, on one device */
	struct list_head list;         /* on pcap_list */
	struct net *net;
	struct net_device *dev;
	int id;
	FILE *f;
	pthread_mutex_t lock;          /* serialises writes to f */
	u64 wall_start;                /* ns, CLOCK_REALTIME at start */
	u64 clk_start;                 /* ns, stack clock at start */
	u64 frames;
};

/* Captures of every stack; touched on start/stop/unregister only. */
static LIST_HEAD(pcap_list);
static pthread_mutex_t pcap_list_lock = PTHREAD_MUTEX_INITIALIZER;
static int pcap_ids;
static pthread_once_t pcap_notifier_once = PTHREAD_ONCE_INIT;

static u64 wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + (u64)ts.tv_nsec;
}

/* Append one record for the frame at skb->data. Caller holds c->lock. */
static void pcap_write_frame(struct pcap_capture *c, const struct sk_buff *skb)
{
	u64 now = net_now(c->net);
	u64 t = c->wall_start + (now > c->clk_start ? now - c->clk_start : 0);
	struct pcap_rec_header rh;
	u32 len = skb->len;

	rh.ts_sec = (u32)(t / NSEC_PER_SEC);
	rh.ts_usec = (u32)((t % NSEC_PER_SEC) / NSEC_PER_USEC);
	rh.orig_len = len;
	rh.incl_len = len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN;
	fwrite(&rh, sizeof(rh), 1, c->f);
	fwrite(skb->data, 1, rh.incl_len, c->f);
	c->frames++;
}

/* The tap: record the frame (either direction), consume the reference. */
static int pcap_rcv(struct sk_buff *skb, struct net_device *dev,
		    struct packet_type *pt, struct net_device *orig_dev)
{
	struct pcap_capture *c = container_of(pt, struct pcap_capture, pt);

	pthread_mutex_lock(&c->lock);
	if (c->f)
		pcap_write_frame(c, skb);
	pthread_mutex_unlock(&c->lock);
	consume_skb(skb);
	return NET_RX_SUCCESS;
}

/* Remove the tap, flush and close. The capture is off pcap_list already. */
static void pcap_close(struct pcap_capture *c)
{
	dev_remove_pack(&c->pt);
	pthread_mutex_lock(&c->lock);
	if (c->f) {
		fflush(c->f);
		fclose(c->f);
		c->f = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* A captured device goes away (stack destroy): finish its files. */
static int pcap_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = ptr;
	struct pcap_capture *c, *tmp;
	LIST_HEAD(gone);

	if (event != NETDEV_UNREGISTER)
		return 0;
	pthread_mutex_lock(&pcap_list_lock);
	list_for_each_entry_safe(c, tmp, &pcap_list, list) {
		if (c->dev == dev) {
			list_del(&c->list);
			list_add_tail(&c->list, &gone);
		}
	}
	pthread_mutex_unlock(&pcap_list_lock);
	list_for_each_entry_safe(c, tmp, &gone, list)
		pcap_close(c);
	return 0;
}

static struct notifier_block pcap_netdev_notifier = {
	.notifier_call = pcap_netdev_event,
};

static void pcap_register_notifier(void)
{
	register_netdevice_notifier(&pcap_netdev_notifier);
}

static int pcap_write_header(FILE *f)
{
	struct pcap_file_header h = {
		.magic = PCAP_MAGIC_USEC,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = PCAP_SNAPLEN,
		.linktype = LINKTYPE_ETHERNET,
	};

	return fwrite(&h, sizeof(h), 1, f) == 1 ? 0 : -EIO;
}

static int sl_err(int err)
{
	errno = -err;
	return -1;
}

/*
 * Capture both directions of @net's device @ifname into a new pcap file at
 * @path. Returns a handle >= 0, or -1 and errno (ENODEV, EINVAL, ENOMEM,
 * or fopen's error).
 */
SL_EXPORT int sl_pcap_start(sl_net_t *net, const char *ifname, const char *path)
{
	struct pcap_capture *c;
	struct net_device *dev;
	int err;

	if (!net || !ifname || !path)
		return sl_err(-EINVAL);
	pthread_once(&pcap_notifier_once, pcap_register_notifier);
	dev = dev_get_by_name(net, ifname);
	if (!dev)
		return sl_err(-ENODEV);
	c = calloc(1, sizeof(*c));
	if (!c)
		return sl_err(-ENOMEM);
	c->f = fopen(path, "wb");
	if (!c->f) {
		err = -errno;
		free(c);
		return sl_err(err);
	}
	if (pcap_write_header(c->f)) {
		fclose(c->f);
		free(c);
		return sl_err(-EIO);
	}
	pthread_mutex_init(&c->lock, NULL);
	c->net = net;
	c->dev = dev;
	c->wall_start = wall_now();
	c->clk_start = net_now(net);
	c->pt.type = htons(ETH_P_ALL);
	c->pt.dev = dev;
	c->pt.af_packet_priv = c;
	c->pt.func = pcap_rcv;

	pthread_mutex_lock(&pcap_list_lock);
	c->id = pcap_ids++;
	list_add_tail(&c->list, &pcap_list);
	pthread_mutex_unlock(&pcap_list_lock);
	dev_add_pack(&c->pt);
	return c->id;
}

/* Stop capture @handle of @net: flush and close. 0, or -1 and ENOENT. */
SL_EXPORT int sl_pcap_stop(sl_net_t *net, int handle)
{
	struct pcap_capture *c, *found = NULL;

	pthread_mutex_lock(&pcap_list_lock);
	list_for_each_entry(c, &pcap_list, list) {
		if (c->net == net && c->id == handle) {
			found = c;
			list_del(&c->list);
			break;
		}
	}
	pthread_mutex_unlock(&pcap_list_lock);
	if (!found)
		return sl_err(-ENOENT);
	pcap_close(found);
	return 0;
}
