/*
 * IPv4 reassembly (RFC 791 3.2, RFC 815, RFC 1122 3.3.2), as Linux's
 * net/ipv4/ip_fragment.c:
 *
 *   ip_defrag        find or create the queue of (saddr, daddr, id, proto)
 *   ip_frag_queue    place the fragment (duplicates ignored, overlaps kill
 *                    the datagram), account its memory
 *   ip_frag_reasm    when first, last and every byte between are present:
 *                    copy everything into one new linear skb
 *   ip_expire        net.ipv4.ipfrag_time (30 s) after the first fragment:
 *                    ICMP time exceeded (fragment reassembly) if fragment 0
 *                    arrived, drop the rest
 *
 * Per stack: net->ipv4.fqdir holds the hash of queues and the bytes they
 * pin; above net.ipv4.ipfrag_high_thresh new fragments are refused. Queues
 * are touched from the softirq only (receive and timers), which the
 * stack's softirq_lock serialises; fqdir->lock guards them anyway for
 * callers outside it (tests, pernet exit).
 */
#include <errno.h>
#include <stdlib.h>

#include "sl/checksum.h"
#include "sl/icmp.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/route.h"
#include "sl/timer.h"

#define IPQ_HASHSZ 1024
#define IP_MAX_DATAGRAM 65535

/* Queue flags (Linux's INET_FRAG_*). */
#define INET_FRAG_FIRST_IN 0x01
#define INET_FRAG_LAST_IN 0x02
#define INET_FRAG_COMPLETE 0x04

/* Where a queued fragment's payload sits in the datagram. */
struct ipfrag_skb_cb {
	struct inet_skb_parm h;
	int offset;                  /* first payload byte */
	int end;                     /* one past the last */
};
#define FRAG_CB(skb) ((struct ipfrag_skb_cb *)((skb)->cb))

/* One datagram being reassembled (Linux's struct ipq). */
struct ipq {
	struct ipq *next;            /* hash chain */
	__be32 saddr;
	__be32 daddr;
	__be16 id;
	u8 protocol;
	u8 flags;                    /* INET_FRAG_* */
	int len;                     /* total payload length once known */
	int meat;                    /* payload bytes received */
	int max_size;                /* largest fragment (header included) */
	int max_df_size;             /* largest fragment with DF */
	int iif;
	long mem;                    /* truesize of the queued skbs */
	struct sk_buff_head frags;   /* sorted by offset, none overlapping */
	struct timer_list timer;
	struct net *net;
};

struct fqdir {
	pthread_mutex_t lock;
	struct ipq *hash[IPQ_HASHSZ];
	long mem;                    /* bytes pinned by every queue */
	u32 seed;
};

static struct fqdir *net_fqdir(const struct net *net)
{
	return net->ipv4.fqdir;
}

static long frag_truesize(const struct sk_buff *skb)
{
	return skb->truesize ? (long)skb->truesize :
			       (long)(skb->len + sizeof(struct sk_buff));
}

static u32 ipq_hash(const struct fqdir *fq, __be32 saddr, __be32 daddr,
		    __be16 id, u8 proto)
{
	u32 h = fq->seed ^ (u32)saddr;

	h = (h ^ (h >> 16)) * 0x45d9f3bu ^ (u32)daddr;
	h = (h ^ (h >> 16)) * 0x45d9f3bu ^ ((u32)id << 8 | proto);
	h ^= h >> 16;
	return h & (IPQ_HASHSZ - 1);
}

/* Bytes held in reassembly queues of @net. */
long ip_frag_mem(struct net *net)
{
	struct fqdir *fq = net_fqdir(net);

	return fq ? __atomic_load_n(&fq->mem, __ATOMIC_RELAXED) : 0;
}

/* --- queue lifetime ------------------------------------------------------- */

static void ipq_unlink(struct fqdir *fq, struct ipq *qp)
{
	struct ipq **pp = &fq->hash[ipq_hash(fq, qp->saddr, qp->daddr, qp->id,
					     qp->protocol)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == qp) {
			*pp = qp->next;
			return;
		}
	}
}

/* Free the queue and every fragment still in it (fq->lock held); the
 * fragments count as dropped for @reason, or as consumed when it is
 * SKB_NOT_DROPPED_YET (reassembled). */
static void ipq_destroy(struct fqdir *fq, struct ipq *qp,
			enum skb_drop_reason reason)
{
	struct sk_buff *skb;

	del_timer(&qp->timer);
	ipq_unlink(fq, qp);
	while ((skb = __skb_dequeue(&qp->frags))) {
		/* Queued fragments keep no device pointer (it may be gone by
		 * now), so the drop is counted in the queue's stack here. */
		skb->dev = NULL;
		if (reason == SKB_NOT_DROPPED_YET) {
			consume_skb(skb);
		} else {
			net_count_drop(qp->net, reason);
			kfree_skb_reason(skb, reason);
		}
	}
	fq->mem -= qp->mem;
	free(qp);
}

/* Reassembly failed for good: count and destroy (fq->lock held). */
static void ipq_kill(struct fqdir *fq, struct ipq *qp,
		     enum skb_drop_reason reason)
{
	IP_INC_STATS(qp->net, IPSTATS_MIB_REASMFAILS);
	ipq_destroy(fq, qp, reason);
}

/*
 * Timer: the datagram did not complete in ipfrag_time. RFC 1122 3.3.2:
 * SHOULD send ICMP time exceeded (code 1) when fragment 0 was received
 * (RFC 792: only then can the sender tell which datagram died).
 */
static void ip_expire(struct timer_list *t)
{
	struct ipq *qp = from_timer(qp, t, timer);
	struct net *net = qp->net;
	struct fqdir *fq = net_fqdir(net);
	struct sk_buff *head;
	struct net_device *dev;

	pthread_mutex_lock(&fq->lock);
	IP_INC_STATS(net, IPSTATS_MIB_REASMTIMEOUT);
	head = skb_peek(&qp->frags);
	dev = dev_get_by_index(net, qp->iif);
	if ((qp->flags & INET_FRAG_FIRST_IN) && head && dev) {
		/* Restore the first fragment as received (data at the IP
		 * header, routed) to quote it in the ICMP error. */
		skb_push(head, (unsigned int)(head->data -
					      skb_network_header(head)));
		head->dev = dev;
		if (!ip_route_input_noref(head, ip_hdr(head)->daddr,
					  ip_hdr(head)->saddr, ip_hdr(head)->tos,
					  dev) &&
		    skb_rtable(head)->rt_type == RTN_LOCAL)
			icmp_send(head, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, 0);
	}
	ipq_kill(fq, qp, SKB_DROP_REASON_IP_FRAG_TIMEOUT);
	pthread_mutex_unlock(&fq->lock);
}

static struct ipq *ip_find(struct net *net, struct fqdir *fq,
			   const struct iphdr *iph)
{
	u32 h = ipq_hash(fq, iph->saddr, iph->daddr, iph->id, iph->protocol);
	struct ipq *qp;

	for (qp = fq->hash[h]; qp; qp = qp->next)
		if (qp->saddr == iph->saddr && qp->daddr == iph->daddr &&
		    qp->id == iph->id && qp->protocol == iph->protocol)
			return qp;
	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return NULL;
	qp->saddr = iph->saddr;
	qp->daddr = iph->daddr;
	qp->id = iph->id;
	qp->protocol = iph->protocol;
	qp->net = net;
	skb_queue_head_init(&qp->frags);
	timer_setup(&qp->timer, ip_expire, net->timers);
	mod_timer(&qp->timer, net_now(net) +
		  (u64)READ_ONCE(net->ipv4.sysctl_ipfrag_time) * NSEC_PER_SEC);
	qp->next = fq->hash[h];
	fq->hash[h] = qp;
	return qp;
}

/* --- placing a fragment ------------------------------------------------- */

enum { IPFRAG_OK, IPFRAG_DUP, IPFRAG_OVERLAP };

/*
 * Insert @skb covering [offset, end) in offset order. RFC 5722 (IPv6,
 * applied to IPv4 by Linux since 4.19): an overlapping fragment makes the
 * whole datagram invalid; a fragment entirely inside data we already hold
 * (with no gap) is a duplicate and only the fragment is dropped.
 */
static int ip_frag_insert(struct ipq *qp, struct sk_buff *skb, int offset,
			  int end)
{
	struct sk_buff *cur, *prev = NULL;
	int covered = offset;
	bool overlap = false;

	skb_queue_walk(&qp->frags, cur) {
		if (FRAG_CB(cur)->end <= offset) {
			prev = cur;
			continue;
		}
		if (FRAG_CB(cur)->offset >= end)
			break;
		overlap = true;
		if (FRAG_CB(cur)->offset <= covered)
			covered = max_t(int, covered, FRAG_CB(cur)->end);
	}
	if (overlap)
		return covered >= end ? IPFRAG_DUP : IPFRAG_OVERLAP;
	FRAG_CB(skb)->offset = offset;
	FRAG_CB(skb)->end = end;
	if (prev)
		__skb_queue_after(&qp->frags, prev, skb);
	else
		__skb_queue_head(&qp->frags, skb);
	return IPFRAG_OK;
}

/* Linux's checks on where the fragment ends (ip_frag_queue). */
static int ip_frag_check_end(struct ipq *qp, struct sk_buff *skb, int offset,
			     int *end)
{
	bool more = ip_hdr(skb)->frag_off & htons(IP_MF);

	if (!more) {
		/* Last fragment: nothing may lie beyond it, and a second
		 * "last" must end at the same place. */
		if (*end < qp->len ||
		    ((qp->flags & INET_FRAG_LAST_IN) && *end != qp->len))
			return -EINVAL;
		qp->flags |= INET_FRAG_LAST_IN;
		qp->len = *end;
	} else {
		/* RFC 791: fragment data comes in 8-byte units; Linux trims
		 * a ragged tail instead of refusing the fragment. */
		if (*end & 7) {
			*end &= ~7;
			if (skb->ip_summed != CHECKSUM_UNNECESSARY)
				skb->ip_summed = CHECKSUM_NONE;
		}
		if (*end > qp->len) {
			if (qp->flags & INET_FRAG_LAST_IN)
				return -EINVAL; /* bytes beyond the end */
			qp->len = *end;
		}
	}
	/* Empty fragments and ones ending beyond 64 KiB (Linux finds the
	 * latter at reassembly: the datagram can never be valid). */
	if (*end == offset || *end + ip_hdrlen(skb) > IP_MAX_DATAGRAM)
		return -EINVAL;
	return 0;
}

static int ip_frag_reasm(struct net *net, struct fqdir *fq, struct ipq *qp,
			 struct sk_buff **skbp, struct dst_entry *dst,
			 struct net_device *dev);

/* Queue @skb on @qp (fq->lock held). Consumes skb unless it completes the
 * datagram (then *skbp is the reassembled one and 0 is returned). */
static int ip_frag_queue(struct net *net, struct fqdir *fq, struct ipq *qp,
			 struct sk_buff **skbp)
{
	struct sk_buff *skb = *skbp;
	const struct iphdr *iph = ip_hdr(skb);
	int ihl = (int)ip_hdrlen(skb), offset, end, err = -EINVAL;
	struct net_device *dev = skb->dev;
	struct dst_entry *dst;

	if (qp->flags & INET_FRAG_COMPLETE)
		goto err;
	offset = (ntohs(iph->frag_off) & IP_OFFSET) << 3;
	end = offset + (int)skb->len - skb_network_offset(skb) - ihl;
	if (ip_frag_check_end(qp, skb, offset, &end))
		goto discard_qp;

	skb_pull(skb, (unsigned int)(skb_network_offset(skb) + ihl));
	pskb_trim_rcsum(skb, (unsigned int)(end - offset));
	switch (ip_frag_insert(qp, skb, offset, end)) {
	case IPFRAG_DUP:
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG);
		return -EINVAL;
	case IPFRAG_OVERLAP:
		ipq_kill(fq, qp, SKB_DROP_REASON_IP_FRAG_OVERLAP);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG_OVERLAP);
		return -EINVAL;
	}
	/* Queued fragments hold no route; the one completing the datagram
	 * hands its route to the result (Linux's orefdst). */
	dst = skb_dst(skb);
	skb->_skb_dst = NULL;
	/* Nor a device: ip_expire finds it again by index (Linux reuses the
	 * dev field for the fragment tree). */
	if (dev)
		qp->iif = dev->ifindex;
	skb->dev = NULL;
	qp->meat += (int)skb->len;
	qp->mem += frag_truesize(skb);
	fq->mem += frag_truesize(skb);
	if (offset == 0)
		qp->flags |= INET_FRAG_FIRST_IN;
	qp->max_size = max_t(int, qp->max_size, (int)skb->len + ihl);
	if (iph->frag_off & htons(IP_DF))
		qp->max_df_size = max_t(int, qp->max_df_size,
					(int)skb->len + ihl);
	if (qp->flags == (INET_FRAG_FIRST_IN | INET_FRAG_LAST_IN) &&
	    qp->meat == qp->len)
		return ip_frag_reasm(net, fq, qp, skbp, dst, dev);
	dst_release(dst);
	return -EINPROGRESS;

discard_qp:
	ipq_kill(fq, qp, SKB_DROP_REASON_IP_FRAG);
err:
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG);
	return err;
}

/* --- reassembly --------------------------------------------------------- */

/*
 * Copy the complete datagram into one linear skb (the one copy
 * reassembly makes), routed like the fragment that completed it. The
 * queue is destroyed. fq->lock held.
 */
static int ip_frag_reasm(struct net *net, struct fqdir *fq, struct ipq *qp,
			 struct sk_buff **skbp, struct dst_entry *dst,
			 struct net_device *dev)
{
	struct sk_buff *last = *skbp, *head = skb_peek(&qp->frags), *frag, *skb;
	unsigned int ihl = (unsigned int)(head->data - skb_network_header(head));
	struct iphdr *iph;

	skb = alloc_skb(net, ihl + (unsigned int)qp->len);
	if (!skb) {
		dst_release(dst);
		ipq_kill(fq, qp, SKB_DROP_REASON_NOMEM);
		return -ENOMEM;
	}
	skb_dst_set(skb, dst);
	skb_reset_network_header(skb);
	skb_put_data(skb, skb_network_header(head), ihl);
	skb_queue_walk(&qp->frags, frag)
		skb_put_data(skb, frag->data, frag->len);
	skb->transport_header = (u16)(skb->network_header + ihl);
	skb->dev = dev;
	skb->protocol = htons(ETH_P_IP);
	skb->pkt_type = last->pkt_type;
	skb->tstamp = last->tstamp;
	skb->mark = last->mark;
	skb->ip_summed = CHECKSUM_NONE;
	memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
	IPCB(skb)->iif = qp->iif;
	IPCB(skb)->frag_max_size = (u16)qp->max_size;

	iph = ip_hdr(skb);
	iph->tot_len = htons((u16)skb->len);
	/* Linux keeps DF when every fragment had it: the sender wanted path
	 * MTU discovery, a forwarder must not fragment differently. */
	if (qp->max_df_size == qp->max_size) {
		IPCB(skb)->flags |= IPSKB_FRAG_PMTU;
		iph->frag_off = htons(IP_DF);
	} else {
		iph->frag_off = 0;
	}
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);

	IP_INC_STATS(net, IPSTATS_MIB_REASMOKS);
	qp->flags |= INET_FRAG_COMPLETE;
	ipq_destroy(fq, qp, SKB_NOT_DROPPED_YET);
	*skbp = skb;
	return 0;
}

/*
 * Feed one fragment (data at the IP header, routed). 0 with *@skbp
 * replaced by the reassembled datagram (data at its IP header, with the
 * completing fragment's dst, CHECKSUM_NONE) when this fragment completed it; -EINPROGRESS when it was
 * queued; another -errno when dropped. The fragment is consumed in every
 * case. Softirq context.
 */
int ip_defrag(struct net *net, struct sk_buff **skbp)
{
	struct fqdir *fq = net_fqdir(net);
	struct sk_buff *skb = *skbp;
	struct ipq *qp;
	int ret;

	skb_trace(skb);
	IP_INC_STATS(net, IPSTATS_MIB_REASMREQDS);
	skb_orphan(skb);
	pthread_mutex_lock(&fq->lock);
	/* Linux's inet_frag_find: over the high threshold, no fragment is
	 * accepted until queues complete or expire. */
	if (fq->mem > READ_ONCE(net->ipv4.sysctl_ipfrag_high_thresh)) {
		qp = NULL;
	} else {
		qp = ip_find(net, fq, ip_hdr(skb));
	}
	if (!qp) {
		pthread_mutex_unlock(&fq->lock);
		IP_INC_STATS(net, IPSTATS_MIB_REASMFAILS);
		kfree_skb_reason(skb, SKB_DROP_REASON_IP_FRAG_MEM);
		return -ENOMEM;
	}
	ret = ip_frag_queue(net, fq, qp, skbp);
	pthread_mutex_unlock(&fq->lock);
	return ret;
}

/* --- per stack ---------------------------------------------------------- */

static int ipfrag_net_init(struct net *net)
{
	struct fqdir *fq = calloc(1, sizeof(*fq));

	if (!fq)
		return -ENOMEM;
	pthread_mutex_init(&fq->lock, NULL);
	fq->seed = net_random_u32(net);
	net->ipv4.fqdir = fq;
	return 0;
}

static void ipfrag_net_exit(struct net *net)
{
	struct fqdir *fq = net_fqdir(net);
	int i;

	if (!fq)
		return;
	pthread_mutex_lock(&fq->lock);
	for (i = 0; i < IPQ_HASHSZ; i++)
		while (fq->hash[i])
			ipq_destroy(fq, fq->hash[i], SKB_DROP_REASON_SHUTDOWN);
	pthread_mutex_unlock(&fq->lock);
	pthread_mutex_destroy(&fq->lock);
	net->ipv4.fqdir = NULL;
	free(fq);
}

const struct pernet_operations ipfrag_net_ops = {
	.name = "ipfrag",
	.init = ipfrag_net_init,
	.exit = ipfrag_net_exit,
};
