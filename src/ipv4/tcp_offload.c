/*
 * Software segmentation of TCP/IPv4 large segments (Linux's
 * tcp4_gso_segment and skb_segment, for the one GSO type sockline makes
 * or receives: SKB_GSO_TCPV4).
 *
 * A GSO skb reaches a device that cannot carry it when the stack forwards
 * a large segment it received (a TAP with offloads hands out up to 64 KiB)
 * to a link without NETIF_F_GSO: ip_finish_output cuts it here into
 * gso_size pieces, each a complete packet, as the host's segmentation
 * would have done:
 *   - IP: its own total length and checksum, the ID counting up from the
 *     large segment's (what Linux does unless the ID is fixed);
 *   - TCP: sequence number advanced by the payload before it; CWR only on
 *     the first piece (RFC 3168 6.1.2: once per window), FIN and PSH only
 *     on the last; the checksum left partial for a device that fills it
 *     (NETIF_F_HW_CSUM), else computed here.
 */
#include <string.h>

#include "sl/checksum.h"
#include "sl/ip.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/tcp.h"

/* One piece: headers of @skb, then @len payload bytes from @off. */
static struct sk_buff *tcp_gso_piece(struct sk_buff *skb, unsigned int hdrlen,
				     unsigned int off, unsigned int len)
{
	struct sk_buff *n;
	unsigned char *p;

	n = alloc_skb_with_headroom(dev_net(skb->dev), hdrlen + len);
	if (!n)
		return NULL;
	p = skb_put(n, hdrlen + len);
	if (skb_copy_bits(skb, 0, p, (int)hdrlen) ||
	    skb_copy_bits(skb, (int)off, p + hdrlen, (int)len)) {
		kfree_skb(n);
		return NULL;
	}
	n->dev = skb->dev;
	n->protocol = skb->protocol;
	n->priority = skb->priority;
	n->mark = skb->mark;
	n->hash = skb->hash;
	n->tstamp = skb->tstamp;
	memcpy(n->cb, skb->cb, sizeof(n->cb));
	skb_reset_network_header(n);
	skb_set_transport_header(n, (int)(hdrlen - tcp_hdr(skb)->doff * 4u));
	if (skb_dst(skb)) {
		dst_hold(skb_dst(skb));
		skb_dst_set(n, skb_dst(skb));
	}
	return n;
}

/* Headers of piece @n: lengths, IDs, flags, checksums. */
static void tcp_gso_fix(struct sk_buff *n, unsigned int i, bool last,
			u32 seq, u32 features)
{
	struct iphdr *iph = ip_hdr(n);
	struct sl_tcphdr *th = tcp_hdr(n);
	unsigned int ihl = iph->ihl * 4u, thl = th->doff * 4u;

	iph->tot_len = htons((u16)n->len);
	iph->id = htons((u16)(ntohs(iph->id) + i));
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);
	th->seq = htonl(seq);
	if (i)
		th->cwr = 0;
	if (!last)
		th->fin = th->psh = 0;
	th->check = 0;
	/* The transmit path's checksum, on the piece's TCP segment. */
	n->ip_summed = CHECKSUM_UNNECESSARY;  /* payload sum not kept */
	skb_pull(n, ihl);
	tcp_v4_send_check(n, iph->saddr, iph->daddr, thl,
			  features & NETIF_F_HW_CSUM);
	skb_push(n, ihl);
}

/**
 * tcp_gso_segment - cut a TCP/IPv4 GSO skb into MSS-sized packets
 * @skb: data at the IPv4 header; not consumed
 * @features: the output device's, for the checksum
 *
 * Returns the pieces linked through ->next, or NULL when @skb's headers
 * are not what a TCPV4 GSO skb carries or memory ran out (nothing is
 * left allocated then).
 */
struct sk_buff *tcp_gso_segment(struct sk_buff *skb, u32 features)
{
	struct sk_buff *segs = NULL, **tail = &segs, *n;
	unsigned int ihl, hdrlen, mss, off, len, i;
	struct sl_tcphdr th;
	u32 seq;

	mss = skb_shinfo(skb)->gso_size;
	if (skb->len < sizeof(struct iphdr) || !mss)
		return NULL;
	ihl = ip_hdr(skb)->ihl * 4u;
	if (ip_hdr(skb)->protocol != IPPROTO_TCP || ihl < 20 ||
	    skb_copy_bits(skb, (int)ihl, &th, sizeof(th)))
		return NULL;
	hdrlen = ihl + th.doff * 4u;
	if (th.doff < 5 || hdrlen > skb->len)
		return NULL;
	skb_set_transport_header(skb, (int)ihl);
	seq = ntohl(th.seq);
	for (off = hdrlen, i = 0; off < skb->len; off += len, i++) {
		len = skb->len - off < mss ? skb->len - off : mss;
		n = tcp_gso_piece(skb, hdrlen, off, len);
		if (!n) {
			kfree_skb_list(segs);
			return NULL;
		}
		tcp_gso_fix(n, i, off + len == skb->len, seq + (off - hdrlen),
			    features);
		*tail = n;
		tail = &n->next;
	}
	return segs;
}

/* The network length of the largest piece (Linux's skb_gso_network_seglen). */
unsigned int skb_gso_network_seglen(const struct sk_buff *skb)
{
	struct sl_tcphdr th;
	unsigned int ihl = ip_hdr(skb)->ihl * 4u;

	if (skb_copy_bits(skb, (int)ihl, &th, sizeof(th)))
		return skb->len;
	return ihl + th.doff * 4u + skb_shinfo(skb)->gso_size;
}
