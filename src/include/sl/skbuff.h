/*
 * struct sk_buff: one packet, from the socket to the driver and back.
 *
 * Layout of the data buffer (as Linux's):
 *
 *   head          data                 tail            end
 *   |  headroom   |   packet bytes     |   tailroom    | skb_shared_info
 *
 * Headroom is reserved once at allocation (skb_reserve); each layer going
 * down prepends its header with skb_push, each layer going up strips its
 * header with skb_pull. The buffer's bytes are shared between clones: the
 * shared info at the end holds the data reference count (dataref), so a
 * retransmission queue keeps the original while the clone goes to the wire.
 *
 * Ownership: every sk_buff has exactly one owner. A function that takes an
 * skb consumes it on every path (success or error) unless its head says
 * otherwise. End of life is consume_skb() (normal) or kfree_skb_reason()
 * (a drop, counted per reason in the stack that drops it).
 *
 * Buffers and sk_buff structs come from per-stack pools (skb_pool): no
 * malloc per packet on the data path. An skb remembers its pool, so it can
 * be freed by any thread and in any stack (the virtual wire hands skbs from
 * one stack to another without copying).
 */
#ifndef SL_SKBUFF_H
#define SL_SKBUFF_H

#include <string.h>
#include <sys/uio.h>

#include "sl/list.h"
#include "sl/types.h"

struct sock;
struct net_device;
struct net;
struct skb_pool;
struct dst_entry;

/* Why a packet was dropped: kfree_skb_reason() counts each in the stack. */
enum skb_drop_reason {
	SKB_NOT_DROPPED_YET = 0,
	SKB_DROP_REASON_NOT_SPECIFIED,
	SKB_DROP_REASON_NO_SOCKET,
	SKB_DROP_REASON_PKT_TOO_SMALL,
	SKB_DROP_REASON_PKT_TOO_BIG,
	SKB_DROP_REASON_TCP_CSUM,
	SKB_DROP_REASON_UDP_CSUM,
	SKB_DROP_REASON_ICMP_CSUM,
	SKB_DROP_REASON_IP_CSUM,
	SKB_DROP_REASON_IP_INHDR,
	SKB_DROP_REASON_IP_INADDRERRORS,
	SKB_DROP_REASON_IP_NOPROTO,
	SKB_DROP_REASON_IP_RPFILTER,
	SKB_DROP_REASON_IP_TTL_EXCEEDED,
	SKB_DROP_REASON_IP_FRAG,
	SKB_DROP_REASON_IP_FRAG_TIMEOUT,
	SKB_DROP_REASON_IP_FRAG_OVERLAP,
	SKB_DROP_REASON_IP_FRAG_MEM,
	SKB_DROP_REASON_IP_OUTNOROUTES,
	SKB_DROP_REASON_IP_FORWARDING_OFF,
	SKB_DROP_REASON_OTHERHOST,
	SKB_DROP_REASON_UNHANDLED_PROTO,
	SKB_DROP_REASON_SOCKET_RCVBUFF,
	SKB_DROP_REASON_SOCKET_FILTER,
	SKB_DROP_REASON_NEIGH_FAILED,
	SKB_DROP_REASON_NEIGH_QUEUEFULL,
	SKB_DROP_REASON_NEIGH_DEAD,
	SKB_DROP_REASON_QDISC_DROP,
	SKB_DROP_REASON_DEV_READY,
	SKB_DROP_REASON_FULL_RING,
	SKB_DROP_REASON_WIRE_LOSS,
	SKB_DROP_REASON_ARP_INVALID,
	SKB_DROP_REASON_ICMP_INVALID,
	SKB_DROP_REASON_ICMP_RATELIMIT,
	SKB_DROP_REASON_MAC_INVALID,
	SKB_DROP_REASON_FRAG_NEEDED,
	SKB_DROP_REASON_NOMEM,
	SKB_DROP_REASON_SHUTDOWN,
	SKB_DROP_REASON_MAX
};

/* Names for counters and traces, indexed by enum skb_drop_reason. */
extern const char *const skb_drop_reason_names[SKB_DROP_REASON_MAX];

/* skb->pkt_type: who the frame was for (Linux's PACKET_* values). */
#define PACKET_HOST 0
#define PACKET_BROADCAST 1
#define PACKET_MULTICAST 2
#define PACKET_OTHERHOST 3
#define PACKET_OUTGOING 4
#define PACKET_LOOPBACK 5

/* skb->ip_summed, as Linux. */
#define CHECKSUM_NONE 0
#define CHECKSUM_UNNECESSARY 1
#define CHECKSUM_COMPLETE 2
#define CHECKSUM_PARTIAL 3

/* Stored at the end of the data buffer, shared by all clones. */
struct skb_shared_info {
	u32 dataref;      /* atomic: skbs that point at this buffer */
	u16 gso_size;     /* MSS of a large segment the wire carries whole */
	u16 gso_segs;
	u16 gso_type;
	u8 size_class;    /* pool size class the buffer came from */
	u8 flags;
};

#define SKB_CB_SIZE 48

/* Maximum number of function names a traced packet records. */
#define SKB_TRACE_MAX 32

struct sk_buff {
	/* First, in sk_buff_head's order: a queue head is a list node. */
	struct sk_buff *next;
	struct sk_buff *prev;

	struct sock *sk;          /* owning socket, or NULL */
	struct net_device *dev;   /* device it arrived on / leaves through */
	struct dst_entry *_skb_dst; /* route, referenced (see skb_dst) */
	u64 tstamp;               /* ns on the stack's clock */

	/* Per-layer scratch space: parse results (TCP_SKB_CB, IPCB, ...). */
	char cb[SKB_CB_SIZE] __attribute__((aligned(8)));

	unsigned int len;         /* bytes from data to tail */
	u16 mac_len;
	u16 mac_header;           /* offsets from head; ~0 when unset */
	u16 network_header;
	u16 transport_header;
	__be16 protocol;          /* ethertype of the payload */
	u8 pkt_type;
	u8 ip_summed : 2;
	u8 cloned : 1;            /* data is shared with another skb */
	u8 traced : 1;            /* record the path (see skb_trace) */
	u8 pfmemalloc : 1;
	u16 csum_start;           /* CHECKSUM_PARTIAL: offset from head */
	u16 csum_offset;          /* ... and where to store the sum */
	__wsum csum;
	u32 priority;
	u32 mark;
	u32 hash;

	void (*destructor)(struct sk_buff *skb);
	unsigned int truesize;    /* memory charged to a socket */

	u32 users;                /* atomic: references to this struct */
	struct skb_pool *pool;    /* where the struct and buffer return */
	struct skb_trace *trace;  /* path record when traced, else NULL */

	unsigned char *head;
	unsigned char *data;
	unsigned char *tail;
	unsigned char *end;       /* skb_shared_info starts here */
};

/* The path a traced packet took: function names in call order. */
struct skb_trace {
	u32 id;
	u32 n;
	const char *fn[SKB_TRACE_MAX];
	struct net *net[SKB_TRACE_MAX];
};

/* A queue of skbs with its own lock (Linux's sk_buff_head). */
struct sk_buff_head {
	struct sk_buff *next;
	struct sk_buff *prev;
	u32 qlen;
	int lock;                 /* spinlock word; see skb_queue_lock() */
};

#define skb_shinfo(skb) ((struct skb_shared_info *)((skb)->end))

/* Headroom every allocation reserves for link + IP + TCP headers. */
#define SL_MAX_HEADER 128
#define NET_SKB_PAD 64

/* Drop a route reference (src/ipv4/route.c); freeing an skb calls it. */
void dst_release(struct dst_entry *dst);

/* --- allocation (src/core/skbuff.c) ------------------------------------ */

/*
 * Allocate an skb with at least @size bytes of data room from the stack's
 * pool. Returns NULL on exhaustion (callers count it and drop). The caller
 * owns the result. data == tail == head + NET_SKB_PAD.
 */
struct sk_buff *alloc_skb(struct net *net, unsigned int size);
/* alloc_skb + skb_reserve(SL_MAX_HEADER): room for headers below. */
struct sk_buff *alloc_skb_with_headroom(struct net *net, unsigned int size);
/* Net-less variant for drivers bound to a device. */
struct sk_buff *netdev_alloc_skb(struct net_device *dev, unsigned int len);

/* Drop one reference to @skb; at zero, run the destructor and free. */
void consume_skb(struct sk_buff *skb);
/* Same, counting a drop for @reason in the stack that owns skb->dev. */
void kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);
static inline void kfree_skb(struct sk_buff *skb)
{
	kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
}
/* Free every skb on a list linked through ->next (NULL terminated). */
void kfree_skb_list(struct sk_buff *segs);

/* New skb struct sharing @skb's data (dataref + 1). Both become cloned. */
struct sk_buff *skb_clone(struct sk_buff *skb);
/* Full private copy of header and data. */
struct sk_buff *skb_copy(const struct sk_buff *skb);
/* Copy with at least @headroom in front and @tailroom after. */
struct sk_buff *skb_copy_expand(const struct sk_buff *skb, unsigned int headroom,
				unsigned int tailroom);
/* Make the data private to @skb (copy if shared). Consumes on failure (NULL). */
struct sk_buff *skb_unshare(struct sk_buff *skb);
/* Take an extra reference to the struct itself. */
struct sk_buff *skb_get(struct sk_buff *skb);
/* Ensure @headroom bytes before data; may reallocate. 0 or -ENOMEM. */
int skb_cow_head(struct sk_buff *skb, unsigned int headroom);
/* Release skb->sk ownership (runs the destructor). */
void skb_orphan(struct sk_buff *skb);

/* --- data area helpers (inline, no checks beyond SL_BUG_ON) ---------- */

static inline bool skb_cloned(const struct sk_buff *skb)
{
	return skb->cloned &&
	       __atomic_load_n(&skb_shinfo(skb)->dataref, __ATOMIC_ACQUIRE) != 1;
}

static inline unsigned int skb_headroom(const struct sk_buff *skb)
{
	return (unsigned int)(skb->data - skb->head);
}

static inline int skb_tailroom(const struct sk_buff *skb)
{
	return (int)(skb->end - skb->tail);
}

static inline void skb_reserve(struct sk_buff *skb, int len)
{
	skb->data += len;
	skb->tail += len;
}

static inline unsigned char *skb_put(struct sk_buff *skb, unsigned int len)
{
	unsigned char *tmp = skb->tail;

	SL_BUG_ON(skb->tail + len > skb->end, "skb_put over end");
	skb->tail += len;
	skb->len += len;
	return tmp;
}

static inline unsigned char *skb_put_data(struct sk_buff *skb, const void *d,
					  unsigned int len)
{
	unsigned char *tmp = skb_put(skb, len);

	memcpy(tmp, d, len);
	return tmp;
}

static inline unsigned char *skb_push(struct sk_buff *skb, unsigned int len)
{
	SL_BUG_ON(skb->data - len < skb->head, "skb_push under head");
	skb->data -= len;
	skb->len += len;
	return skb->data;
}

/* Returns NULL (and changes nothing) when fewer than @len bytes remain. */
static inline unsigned char *skb_pull(struct sk_buff *skb, unsigned int len)
{
	if (unlikely(len > skb->len))
		return NULL;
	skb->len -= len;
	skb->data += len;
	return skb->data;
}

/* True when at least @len bytes are present at data (linear skbs only). */
static inline bool pskb_may_pull(const struct sk_buff *skb, unsigned int len)
{
	return len <= skb->len;
}

static inline void skb_trim(struct sk_buff *skb, unsigned int len)
{
	if (skb->len > len) {
		skb->len = len;
		skb->tail = skb->data + len;
	}
}

/* skb_trim that also drops a CHECKSUM_COMPLETE sum (it no longer matches). */
static inline int pskb_trim_rcsum(struct sk_buff *skb, unsigned int len)
{
	if (skb->len > len) {
		if (skb->ip_summed == CHECKSUM_COMPLETE)
			skb->ip_summed = CHECKSUM_NONE;
		skb_trim(skb, len);
	}
	return 0;
}

#define SKB_HDR_UNSET 0xffff

static inline void skb_reset_mac_header(struct sk_buff *skb)
{
	skb->mac_header = (u16)(skb->data - skb->head);
}
static inline void skb_reset_network_header(struct sk_buff *skb)
{
	skb->network_header = (u16)(skb->data - skb->head);
}
static inline void skb_reset_transport_header(struct sk_buff *skb)
{
	skb->transport_header = (u16)(skb->data - skb->head);
}
static inline void skb_set_network_header(struct sk_buff *skb, int off)
{
	skb->network_header = (u16)(skb->data - skb->head + off);
}
static inline void skb_set_transport_header(struct sk_buff *skb, int off)
{
	skb->transport_header = (u16)(skb->data - skb->head + off);
}
static inline unsigned char *skb_mac_header(const struct sk_buff *skb)
{
	return skb->head + skb->mac_header;
}
static inline unsigned char *skb_network_header(const struct sk_buff *skb)
{
	return skb->head + skb->network_header;
}
static inline unsigned char *skb_transport_header(const struct sk_buff *skb)
{
	return skb->head + skb->transport_header;
}
static inline int skb_network_offset(const struct sk_buff *skb)
{
	return (int)(skb_network_header(skb) - skb->data);
}
static inline int skb_transport_offset(const struct sk_buff *skb)
{
	return (int)(skb_transport_header(skb) - skb->data);
}
static inline bool skb_mac_header_was_set(const struct sk_buff *skb)
{
	return skb->mac_header != SKB_HDR_UNSET;
}

static inline bool skb_is_gso(const struct sk_buff *skb)
{
	return skb_shinfo(skb)->gso_size != 0;
}

/* Copy @len bytes at @offset from data into @to. 0 or -EFAULT if short. */
int skb_copy_bits(const struct sk_buff *skb, int offset, void *to, int len);
/* Copy to an iovec array, advancing it; returns bytes copied. */
size_t skb_copy_datagram_iter(const struct sk_buff *skb, int offset,
			      struct iovec **iov, size_t *iovcnt, size_t *iov_off,
			      size_t len);

/* --- queues (src/core/skbuff.c) ----------------------------------------- */

void skb_queue_head_init(struct sk_buff_head *list);
/* Locked variants: safe between threads. */
void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *skb);
void skb_queue_head(struct sk_buff_head *list, struct sk_buff *skb);
struct sk_buff *skb_dequeue(struct sk_buff_head *list);
struct sk_buff *skb_dequeue_tail(struct sk_buff_head *list);
void skb_queue_purge(struct sk_buff_head *list);
/* Unlocked variants: the caller serialises access. */
void __skb_queue_tail(struct sk_buff_head *list, struct sk_buff *skb);
void __skb_queue_head(struct sk_buff_head *list, struct sk_buff *skb);
void __skb_queue_before(struct sk_buff_head *list, struct sk_buff *next,
			struct sk_buff *skb);
void __skb_queue_after(struct sk_buff_head *list, struct sk_buff *prev,
		       struct sk_buff *skb);
struct sk_buff *__skb_dequeue(struct sk_buff_head *list);
void __skb_unlink(struct sk_buff *skb, struct sk_buff_head *list);
void __skb_queue_purge(struct sk_buff_head *list);
/* Move every skb of @list to the tail of @head; @list becomes empty. */
void skb_queue_splice_tail_init(struct sk_buff_head *list,
				struct sk_buff_head *head);
void skb_queue_lock(struct sk_buff_head *list);
void skb_queue_unlock(struct sk_buff_head *list);

static inline u32 skb_queue_len(const struct sk_buff_head *list)
{
	return READ_ONCE(list->qlen);
}
static inline bool skb_queue_empty(const struct sk_buff_head *list)
{
	return list->next == (const struct sk_buff *)list;
}
static inline struct sk_buff *skb_peek(const struct sk_buff_head *list)
{
	struct sk_buff *skb = list->next;

	return skb == (const struct sk_buff *)list ? NULL : skb;
}
static inline struct sk_buff *skb_peek_tail(const struct sk_buff_head *list)
{
	struct sk_buff *skb = list->prev;

	return skb == (const struct sk_buff *)list ? NULL : skb;
}
static inline bool skb_queue_is_last(const struct sk_buff_head *list,
				     const struct sk_buff *skb)
{
	return skb->next == (const struct sk_buff *)list;
}
#define skb_queue_walk(queue, skb)                                  \
	for (skb = (queue)->next; skb != (struct sk_buff *)(queue); \
	     skb = skb->next)
#define skb_queue_walk_safe(queue, skb, tmp)                        \
	for (skb = (queue)->next, tmp = skb->next;                  \
	     skb != (struct sk_buff *)(queue); skb = tmp, tmp = skb->next)

/* --- pools (src/core/skbuff.c) ------------------------------------------ */

struct skb_pool *skb_pool_create(void);
/* Drops the creator's reference; memory goes when the last skb returns. */
void skb_pool_release(struct skb_pool *pool);
/* skbs currently allocated from @pool and not yet freed. */
long skb_pool_in_use(const struct skb_pool *pool);
/* Process-wide count of live skbs (every test ends with it at zero). */
long skb_live_count(void);

/* --- tracing (src/core/trace.c) ----------------------------------------- */

void __skb_trace(struct sk_buff *skb, const char *fn);
/* Record that @skb passed through the calling function, when traced. */
#define skb_trace(skb)                            \
	do {                                      \
		if (unlikely((skb)->traced))      \
			__skb_trace((skb), __func__); \
	} while (0)

#endif
