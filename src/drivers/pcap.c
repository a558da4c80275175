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
 *
 * The file holds what the wire carries, as a capture on the far side of a
 * NIC would: a frame whose checksum is left to the device (CHECKSUM_PARTIAL)
 * is written with that checksum completed, and a large TCP segment (GSO,
 * TSO on the device) is written as the gso_size segments the device cuts
 * from it (headers copied, sequence numbers, IP ids, lengths, PSH/FIN/CWR
 * and checksums per segment). The skb itself is never touched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sockline/sockline.h"
#include "sl/checksum.h"
#include "sl/if_ether.h"
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
	u8 *buf;                       /* a frame being completed, buf_size */
	size_t buf_size;
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

static void pcap_record(struct pcap_capture *c, u64 t, const u8 *data, u32 len)
{
	struct pcap_rec_header rh;

	rh.ts_sec = (u32)(t / NSEC_PER_SEC);
	rh.ts_usec = (u32)((t % NSEC_PER_SEC) / NSEC_PER_USEC);
	rh.orig_len = len;
	rh.incl_len = len < PCAP_SNAPLEN ? len : PCAP_SNAPLEN;
	fwrite(&rh, sizeof(rh), 1, c->f);
	fwrite(data, 1, rh.incl_len, c->f);
	c->frames++;
}

/* c->buf of at least @len bytes; false when out of memory. */
static bool pcap_buf_reserve(struct pcap_capture *c, size_t len)
{
	u8 *nb;

	if (len <= c->buf_size)
		return true;
	nb = realloc(c->buf, len);
	if (!nb)
		return false;
	c->buf = nb;
	c->buf_size = len;
	return true;
}

static u16 get_be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static void put_be16(u8 *p, u16 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}

/*
 * Complete a partial checksum as the device would: the field holds the
 * pseudo-header sum, so the sum from csum_start to the end, folded and
 * inverted, is the checksum. UDP sends a computed 0 as 0xffff (RFC 768).
 */
static void pcap_csum_complete(u8 *frame, u32 len, u32 start, u32 off)
{
	__sum16 sum;

	if (start >= len || off + 2 > len - start)
		return;
	sum = csum_fold(csum_partial(frame + start, len - start, 0));
	if (!sum && off == 6)
		sum = (__sum16)0xffff;
	memcpy(frame + start + off, &sum, 2);
}

/*
 * The IPv4 TCP frame layout of a GSO skb: IP header at ETH_HLEN, TCP at
 * *thoff (csum_start), payload at *hlen. false if it is anything else.
 */
static bool pcap_tcp4_layout(const struct sk_buff *skb, u32 *thoff, u32 *hlen)
{
	const u8 *d = skb->data;
	u32 ihl, doff;

	if (skb->len < ETH_HLEN + 40 || get_be16(d + 12) != ETH_P_IP ||
	    d[ETH_HLEN] >> 4 != 4 || d[ETH_HLEN + 9] != 6)
		return false;
	ihl = (d[ETH_HLEN] & 0xfu) * 4u;
	if (ihl < 20 || skb->csum_start - skb_headroom(skb) != ETH_HLEN + ihl)
		return false;
	*thoff = ETH_HLEN + ihl;
	doff = (d[*thoff + 12] >> 4) * 4u;
	if (doff < 20 || *thoff + doff > skb->len)
		return false;
	*hlen = *thoff + doff;
	return true;
}

/*
 * Write a TCP GSO skb as its segments (what TSO puts on the wire): each
 * gets the headers with its own IP total length and id (the first's plus
 * its index), sequence number, and fresh IP and TCP checksums; FIN and
 * PSH stay on the last segment only, CWR on the first only (RFC 3168 6.1.2).
 */
static bool pcap_write_gso(struct pcap_capture *c, u64 t,
			   const struct sk_buff *skb)
{
	u32 thoff, hlen, mss = skb_shinfo(skb)->gso_size, off, n, seq, i;
	const u8 *d = skb->data;
	u8 *ip, *th;
	u16 id;
	__sum16 sum;
	__be32 saddr, daddr;

	if (!pcap_tcp4_layout(skb, &thoff, &hlen) ||
	    !pcap_buf_reserve(c, hlen + mss))
		return false;
	ip = c->buf + ETH_HLEN;
	th = c->buf + thoff;
	memcpy(&saddr, d + ETH_HLEN + 12, 4);
	memcpy(&daddr, d + ETH_HLEN + 16, 4);
	id = get_be16(d + ETH_HLEN + 4);
	seq = (u32)d[thoff + 4] << 24 | (u32)d[thoff + 5] << 16 |
	      (u32)d[thoff + 6] << 8 | d[thoff + 7];
	for (off = hlen, i = 0; off < skb->len; off += n, i++) {
		n = min_t(u32, mss, skb->len - off);
		memcpy(c->buf, d, hlen);
		memcpy(c->buf + hlen, d + off, n);
		put_be16(ip + 2, (u16)(hlen - ETH_HLEN + n));
		put_be16(ip + 4, (u16)(id + i));
		memset(ip + 10, 0, 2);
		sum = ip_fast_csum(ip, (thoff - ETH_HLEN) / 4);
		memcpy(ip + 10, &sum, 2);
		put_be16(th + 4, (u16)((seq + off - hlen) >> 16));
		put_be16(th + 6, (u16)(seq + off - hlen));
		if (off + n < skb->len)
			th[13] &= (u8)~0x09;            /* FIN, PSH */
		if (i)
			th[13] &= (u8)~0x80;            /* CWR */
		memset(th + 16, 0, 2);
		sum = csum_tcpudp_magic(saddr, daddr, hlen - thoff + n, 6,
					csum_partial(th, hlen - thoff + n, 0));
		memcpy(th + 16, &sum, 2);
		pcap_record(c, t, c->buf, hlen + n);
	}
	return true;
}

/* Append the record(s) for the frame at skb->data. Caller holds c->lock. */
static void pcap_write_frame(struct pcap_capture *c, const struct sk_buff *skb)
{
	u64 now = net_now(c->net);
	u64 t = c->wall_start + (now > c->clk_start ? now - c->clk_start : 0);
	u32 start;

	if (skb->ip_summed != CHECKSUM_PARTIAL) {
		pcap_record(c, t, skb->data, skb->len);
		return;
	}
	if (skb_is_gso(skb) && pcap_write_gso(c, t, skb))
		return;
	if (!pcap_buf_reserve(c, skb->len)) {
		pcap_record(c, t, skb->data, skb->len);
		return;
	}
	memcpy(c->buf, skb->data, skb->len);
	start = skb->csum_start - skb_headroom(skb);
	pcap_csum_complete(c->buf, skb->len, start, skb->csum_offset);
	pcap_record(c, t, c->buf, skb->len);
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
	free(c->buf);
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
