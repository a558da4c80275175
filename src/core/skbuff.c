/*
 * sk_buff allocation, cloning, copying, freeing and queues.
 *
 * Memory: each stack owns a struct skb_pool (created with the stack,
 * released at destroy). A pool keeps freelists of sk_buff structs and of
 * data buffers in four size classes (small control packets, one MTU frame,
 * 16 KiB, 64 KiB GSO segments); larger requests fall back to malloc. Every
 * freelist has its own spinlock, so a free from another thread (the
 * virtual wire hands skbs across stacks) goes straight back to the pool
 * the skb came from. The pool holds one reference per live sk_buff plus
 * the stack's; its memory goes when the stack has released it AND the
 * last skb has come back.
 *
 * Life of an skb: alloc_skb -> (skb_clone shares the data: dataref + 1)
 * -> consume_skb / kfree_skb_reason -> last user: destructor (uncharge the
 * socket), drop the route, finish the trace, drop dataref (buffer back to
 * its class at zero), struct back to the pool.
 */
#include <errno.h>
#include <stdlib.h>

#include "core_priv.h"
#include "sl/netdevice.h"
#include "sl/net_namespace.h"
#include "sl/route.h"
#include "sl/skbuff.h"
#include "sl/sock.h"
#include "sockline/sockline.h"

#define SKB_CLASS_OVERSIZE 0xff

enum {
	SKB_CLASS_SMALL,
	SKB_CLASS_MTU,
	SKB_CLASS_16K,
	SKB_CLASS_64K,
	SKB_NR_CLASSES
};

/* Bytes from head to end per class (skb_shared_info follows). */
static const unsigned int skb_class_size[SKB_NR_CLASSES] = {
	[SKB_CLASS_SMALL] = 512,
	[SKB_CLASS_MTU] = 2048 + 256,
	[SKB_CLASS_16K] = 16384 + 256,
	[SKB_CLASS_64K] = 65536 + 512,
};

/* Objects a freelist keeps for reuse; beyond that they go back to libc. */
static const unsigned int skb_class_max_free[SKB_NR_CLASSES] = {
	4096, 4096, 256, 64
};
#define SKB_HEADS_MAX_FREE 8192

struct pool_free {
	struct pool_free *next;
};

struct pool_list {
	int lock;                 /* spinlock word */
	unsigned int nfree;
	unsigned int max_free;
	struct pool_free *free;
};

struct skb_pool {
	struct pool_list heads;                 /* struct sk_buff */
	struct pool_list data[SKB_NR_CLASSES];  /* data buffers */
	long refcnt;                            /* atomic: creator + live skbs */
	bool released;
};

static long skb_live;   /* atomic, process-wide */

const char *const skb_drop_reason_names[SKB_DROP_REASON_MAX] = {
	[SKB_NOT_DROPPED_YET] = "NOT_DROPPED_YET",
	[SKB_DROP_REASON_NOT_SPECIFIED] = "NOT_SPECIFIED",
	[SKB_DROP_REASON_NO_SOCKET] = "NO_SOCKET",
	[SKB_DROP_REASON_PKT_TOO_SMALL] = "PKT_TOO_SMALL",
	[SKB_DROP_REASON_PKT_TOO_BIG] = "PKT_TOO_BIG",
	[SKB_DROP_REASON_TCP_CSUM] = "TCP_CSUM",
	[SKB_DROP_REASON_UDP_CSUM] = "UDP_CSUM",
	[SKB_DROP_REASON_ICMP_CSUM] = "ICMP_CSUM",
	[SKB_DROP_REASON_IP_CSUM] = "IP_CSUM",
	[SKB_DROP_REASON_IP_INHDR] = "IP_INHDR",
	[SKB_DROP_REASON_IP_INADDRERRORS] = "IP_INADDRERRORS",
	[SKB_DROP_REASON_IP_NOPROTO] = "IP_NOPROTO",
	[SKB_DROP_REASON_IP_RPFILTER] = "IP_RPFILTER",
	[SKB_DROP_REASON_IP_TTL_EXCEEDED] = "IP_TTL_EXCEEDED",
	[SKB_DROP_REASON_IP_FRAG] = "IP_FRAG",
	[SKB_DROP_REASON_IP_FRAG_TIMEOUT] = "IP_FRAG_TIMEOUT",
	[SKB_DROP_REASON_IP_FRAG_OVERLAP] = "IP_FRAG_OVERLAP",
	[SKB_DROP_REASON_IP_FRAG_MEM] = "IP_FRAG_MEM",
	[SKB_DROP_REASON_IP_OUTNOROUTES] = "IP_OUTNOROUTES",
	[SKB_DROP_REASON_IP_FORWARDING_OFF] = "IP_FORWARDING_OFF",
	[SKB_DROP_REASON_OTHERHOST] = "OTHERHOST",
	[SKB_DROP_REASON_UNHANDLED_PROTO] = "UNHANDLED_PROTO",
	[SKB_DROP_REASON_SOCKET_RCVBUFF] = "SOCKET_RCVBUFF",
	[SKB_DROP_REASON_SOCKET_FILTER] = "SOCKET_FILTER",
	[SKB_DROP_REASON_NEIGH_FAILED] = "NEIGH_FAILED",
	[SKB_DROP_REASON_NEIGH_QUEUEFULL] = "NEIGH_QUEUEFULL",
	[SKB_DROP_REASON_NEIGH_DEAD] = "NEIGH_DEAD",
	[SKB_DROP_REASON_QDISC_DROP] = "QDISC_DROP",
	[SKB_DROP_REASON_DEV_READY] = "DEV_READY",
	[SKB_DROP_REASON_FULL_RING] = "FULL_RING",
	[SKB_DROP_REASON_WIRE_LOSS] = "WIRE_LOSS",
	[SKB_DROP_REASON_ARP_INVALID] = "ARP_INVALID",
	[SKB_DROP_REASON_ICMP_INVALID] = "ICMP_INVALID",
	[SKB_DROP_REASON_ICMP_RATELIMIT] = "ICMP_RATELIMIT",
	[SKB_DROP_REASON_MAC_INVALID] = "MAC_INVALID",
	[SKB_DROP_REASON_FRAG_NEEDED] = "FRAG_NEEDED",
	[SKB_DROP_REASON_NOMEM] = "NOMEM",
	[SKB_DROP_REASON_SHUTDOWN] = "SHUTDOWN",
};

/* --- pool ------------------------------------------------------------------ */

static void *pool_list_pop(struct pool_list *l)
{
	struct pool_free *obj;

	sl_spin_lock(&l->lock);
	obj = l->free;
	if (obj) {
		l->free = obj->next;
		l->nfree--;
	}
	sl_spin_unlock(&l->lock);
	return obj;
}

/* Returns false when the list is full (the caller frees @p). */
static bool pool_list_push(struct pool_list *l, void *p)
{
	struct pool_free *obj = p;
	bool kept = false;

	sl_spin_lock(&l->lock);
	if (l->nfree < l->max_free) {
		obj->next = l->free;
		l->free = obj;
		l->nfree++;
		kept = true;
	}
	sl_spin_unlock(&l->lock);
	return kept;
}

static void pool_list_drain(struct pool_list *l)
{
	struct pool_free *obj;

	while ((obj = pool_list_pop(l)))
		free(obj);
}

/* Create an empty pool with the creator's reference. NULL on ENOMEM. */
struct skb_pool *skb_pool_create(void)
{
	struct skb_pool *pool = calloc(1, sizeof(*pool));
	int i;

	if (!pool)
		return NULL;
	pool->heads.max_free = SKB_HEADS_MAX_FREE;
	for (i = 0; i < SKB_NR_CLASSES; i++)
		pool->data[i].max_free = skb_class_max_free[i];
	pool->refcnt = 1;
	return pool;
}

static void skb_pool_put(struct skb_pool *pool)
{
	int i;

	if (__atomic_sub_fetch(&pool->refcnt, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pool_list_drain(&pool->heads);
	for (i = 0; i < SKB_NR_CLASSES; i++)
		pool_list_drain(&pool->data[i]);
	free(pool);
}

/* Drop the creator's reference: the memory goes with the last skb. */
void skb_pool_release(struct skb_pool *pool)
{
	if (!pool)
		return;
	__atomic_store_n(&pool->released, true, __ATOMIC_RELEASE);
	skb_pool_put(pool);
}

/* skbs allocated from @pool and not yet freed. */
long skb_pool_in_use(const struct skb_pool *pool)
{
	long refs = __atomic_load_n(&pool->refcnt, __ATOMIC_RELAXED);

	return __atomic_load_n(&pool->released, __ATOMIC_RELAXED) ? refs
								   : refs - 1;
}

/* Process-wide count of live skbs. */
long skb_live_count(void)
{
	return __atomic_load_n(&skb_live, __ATOMIC_RELAXED);
}

/* Public API (sockline.h): live skbs, for leak checks. */
SL_EXPORT long sl_skb_live(void)
{
	return skb_live_count();
}

static struct sk_buff *pool_get_head(struct skb_pool *pool)
{
	struct sk_buff *skb = pool_list_pop(&pool->heads);

	if (!skb) {
		skb = malloc(sizeof(*skb));
		if (!skb)
			return NULL;
	}
	__atomic_fetch_add(&pool->refcnt, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&skb_live, 1, __ATOMIC_RELAXED);
	return skb;
}

static void pool_put_head(struct skb_pool *pool, struct sk_buff *skb)
{
	__atomic_fetch_sub(&skb_live, 1, __ATOMIC_RELAXED);
	if (!pool_list_push(&pool->heads, skb))
		free(skb);
	skb_pool_put(pool);
}

static unsigned int skb_size_class(unsigned int need)
{
	unsigned int c;

	for (c = 0; c < SKB_NR_CLASSES; c++)
		if (need <= skb_class_size[c])
			return c;
	return SKB_CLASS_OVERSIZE;
}

/*
 * A data buffer with at least @need bytes before its skb_shared_info.
 * *@cap gets the usable size (the whole class), *@cls its class.
 */
static unsigned char *pool_get_data(struct skb_pool *pool, unsigned int need,
				    unsigned int *cap, unsigned int *cls)
{
	unsigned int c = skb_size_class(need);
	unsigned char *buf = NULL;
	size_t size;

	if (c == SKB_CLASS_OVERSIZE) {
		size = ALIGN_UP((size_t)need, 64);
	} else {
		size = skb_class_size[c];
		buf = pool_list_pop(&pool->data[c]);
	}
	if (!buf)
		buf = aligned_alloc(64, ALIGN_UP(size + sizeof(struct skb_shared_info), 64));
	if (!buf)
		return NULL;
	*cap = (unsigned int)size;
	*cls = c;
	return buf;
}

static void pool_put_data(struct skb_pool *pool, unsigned char *buf,
			  unsigned int cls)
{
	if (cls == SKB_CLASS_OVERSIZE || !pool_list_push(&pool->data[cls], buf))
		free(buf);
}

/* --- allocation -------------------------------------------------------------- */

static void skb_init_shinfo(struct sk_buff *skb, unsigned int cls)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	memset(shinfo, 0, sizeof(*shinfo));
	shinfo->dataref = 1;
	shinfo->size_class = (u8)cls;
}

/* A fresh skb with @size bytes of room and data at head + @headroom. */
static struct sk_buff *__alloc_skb(struct skb_pool *pool, unsigned int headroom,
				   unsigned int size)
{
	unsigned int cap, cls;
	struct sk_buff *skb;
	unsigned char *buf;

	if (unlikely(size > (1u << 30)))
		return NULL;
	skb = pool_get_head(pool);
	if (!skb)
		return NULL;
	buf = pool_get_data(pool, headroom + size, &cap, &cls);
	if (!buf) {
		pool_put_head(pool, skb);
		return NULL;
	}
	memset(skb, 0, sizeof(*skb));
	skb->users = 1;
	skb->pool = pool;
	skb->head = buf;
	skb->data = skb->tail = buf + headroom;
	skb->end = buf + cap;
	skb->mac_header = SKB_HDR_UNSET;
	skb->network_header = SKB_HDR_UNSET;
	skb->transport_header = SKB_HDR_UNSET;
	skb->truesize = cap + (unsigned int)sizeof(*skb);
	skb_init_shinfo(skb, cls);
	return skb;
}

/*
 * Allocate an skb with @size bytes of room after NET_SKB_PAD of headroom,
 * from @net's pool (net is required). The caller owns it. NULL when memory
 * is exhausted. Marks the skb traced while @net has trace budget.
 */
struct sk_buff *alloc_skb(struct net *net, unsigned int size)
{
	struct sk_buff *skb;

	SL_BUG_ON(!net || !net->pool, "alloc_skb without a stack");
	skb = __alloc_skb(net->pool, NET_SKB_PAD, size);
	if (skb && unlikely(READ_ONCE(net->trace_budget)))
		skb_trace_begin(skb, net);
	return skb;
}

/* alloc_skb with SL_MAX_HEADER more headroom reserved for the headers. */
struct sk_buff *alloc_skb_with_headroom(struct net *net, unsigned int size)
{
	struct sk_buff *skb = alloc_skb(net, size + SL_MAX_HEADER);

	if (skb)
		skb_reserve(skb, SL_MAX_HEADER);
	return skb;
}

/* Receive buffer for a driver: from the device's stack, skb->dev set. */
struct sk_buff *netdev_alloc_skb(struct net_device *dev, unsigned int len)
{
	struct sk_buff *skb = alloc_skb(dev_net(dev), len);

	if (skb)
		skb->dev = dev;
	return skb;
}

/* --- freeing ------------------------------------------------------------------ */

static bool skb_unref(struct sk_buff *skb)
{
	if (likely(__atomic_load_n(&skb->users, __ATOMIC_ACQUIRE) == 1))
		return true;
	return __atomic_sub_fetch(&skb->users, 1, __ATOMIC_ACQ_REL) == 0;
}

/* Drop this skb's hold on the data; the last one returns the buffer. */
static void skb_release_data(struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (skb->cloned &&
	    __atomic_sub_fetch(&shinfo->dataref, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	pool_put_data(skb->pool, skb->head, shinfo->size_class);
}

/* Socket uncharge (destructor) and route reference. */
static void skb_release_head_state(struct sk_buff *skb)
{
	if (skb->destructor) {
		skb->destructor(skb);
		skb->destructor = NULL;
	}
	skb->sk = NULL;
	if (skb->_skb_dst) {
		dst_release(skb->_skb_dst);
		skb->_skb_dst = NULL;
	}
}

static void __kfree_skb(struct sk_buff *skb)
{
	skb_release_head_state(skb);
	if (unlikely(skb->trace))
		skb_trace_end(skb);
	skb_release_data(skb);
	pool_put_head(skb->pool, skb);
}

/* The stack to count a drop in: the device's, else the socket's. */
static struct net *skb_net(const struct sk_buff *skb)
{
	if (skb->dev)
		return dev_net(skb->dev);
	if (skb->sk)
		return sock_net(skb->sk);
	return NULL;
}

/*
 * Normal end of life: drop one reference, and on the last one free the
 * skb (destructor, route, trace, data, struct). NULL is a no-op.
 */
void consume_skb(struct sk_buff *skb)
{
	if (!skb || !skb_unref(skb))
		return;
	__kfree_skb(skb);
}

/*
 * A drop: like consume_skb, and on the last reference count @reason in the
 * stack of skb->dev (or skb->sk). NULL is a no-op.
 */
void kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason)
{
	if (!skb || !skb_unref(skb))
		return;
	net_count_drop(skb_net(skb), reason);
	__kfree_skb(skb);
}

/* Free a ->next linked list of skbs (each with kfree_skb). */
void kfree_skb_list(struct sk_buff *segs)
{
	while (segs) {
		struct sk_buff *next = segs->next;

		kfree_skb(segs);
		segs = next;
	}
}

/* Another reference to the struct; each needs its own consume_skb. */
struct sk_buff *skb_get(struct sk_buff *skb)
{
	__atomic_fetch_add(&skb->users, 1, __ATOMIC_RELAXED);
	return skb;
}

/*
 * Run the destructor (the socket's uncharge) and forget the owner socket.
 * The skb stays alive and owned by the caller.
 */
void skb_orphan(struct sk_buff *skb)
{
	if (skb->destructor) {
		skb->destructor(skb);
		skb->destructor = NULL;
	}
	skb->sk = NULL;
}

/* --- clone and copy -------------------------------------------------------------- */

/*
 * A new sk_buff sharing @skb's data (dataref + 1); both become cloned. The
 * clone has no owner socket, no destructor and no trace, and holds its own
 * route reference. The caller owns the clone; @skb is untouched otherwise.
 */
struct sk_buff *skb_clone(struct sk_buff *skb)
{
	struct sk_buff *n = pool_get_head(skb->pool);

	if (!n)
		return NULL;
	memcpy(n, skb, sizeof(*n));
	n->next = n->prev = NULL;
	n->sk = NULL;
	n->destructor = NULL;
	n->users = 1;
	n->traced = 0;
	n->trace = NULL;
	if (n->_skb_dst)
		dst_hold(n->_skb_dst);
	__atomic_fetch_add(&skb_shinfo(skb)->dataref, 1, __ATOMIC_RELAXED);
	skb->cloned = 1;
	n->cloned = 1;
	return n;
}

static u16 shift_hdr(u16 off, long delta)
{
	return off == SKB_HDR_UNSET ? off : (u16)(off + delta);
}

/* Metadata of @old onto the private copy @n, header offsets moved by @delta. */
static void skb_copy_header(struct sk_buff *n, const struct sk_buff *old,
			    long delta)
{
	n->dev = old->dev;
	n->tstamp = old->tstamp;
	memcpy(n->cb, old->cb, sizeof(n->cb));
	n->mac_len = old->mac_len;
	n->mac_header = shift_hdr(old->mac_header, delta);
	n->network_header = shift_hdr(old->network_header, delta);
	n->transport_header = shift_hdr(old->transport_header, delta);
	n->protocol = old->protocol;
	n->pkt_type = old->pkt_type;
	n->ip_summed = old->ip_summed;
	n->csum_start = (u16)(old->csum_start + delta);
	n->csum_offset = old->csum_offset;
	n->csum = old->csum;
	n->priority = old->priority;
	n->mark = old->mark;
	n->hash = old->hash;
	n->_skb_dst = old->_skb_dst;
	if (n->_skb_dst)
		dst_hold(n->_skb_dst);
	skb_shinfo(n)->gso_size = skb_shinfo(old)->gso_size;
	skb_shinfo(n)->gso_segs = skb_shinfo(old)->gso_segs;
	skb_shinfo(n)->gso_type = skb_shinfo(old)->gso_type;
}

/*
 * A private copy of @skb with @headroom bytes before the data (the old
 * headroom bytes that fit are copied too, so headers already pushed stay
 * readable) and at least @tailroom after. The caller owns the copy; no
 * owner socket. NULL on ENOMEM.
 */
struct sk_buff *skb_copy_expand(const struct sk_buff *skb, unsigned int headroom,
				unsigned int tailroom)
{
	unsigned int old_head = skb_headroom(skb);
	unsigned int keep = min_t(unsigned int, old_head, headroom);
	struct sk_buff *n;

	n = __alloc_skb(skb->pool, headroom, skb->len + tailroom);
	if (!n)
		return NULL;
	memcpy(n->data - keep, skb->data - keep, keep + skb->len);
	skb_put(n, skb->len);
	skb_copy_header(n, skb, (long)headroom - (long)old_head);
	return n;
}

/* A full private copy: same headroom, tailroom and headers. */
struct sk_buff *skb_copy(const struct sk_buff *skb)
{
	int tail = skb_tailroom(skb);

	return skb_copy_expand(skb, skb_headroom(skb),
			       tail > 0 ? (unsigned int)tail : 0);
}

/*
 * Make @skb's data private. Returns @skb itself when not shared, else a
 * copy (and @skb is consumed); on ENOMEM @skb is freed and NULL returned.
 */
struct sk_buff *skb_unshare(struct sk_buff *skb)
{
	struct sk_buff *n;

	if (!skb_cloned(skb))
		return skb;
	n = skb_copy(skb);
	if (n)
		consume_skb(skb);
	else
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
	return n;
}

/*
 * Give @skb a private data buffer with @nhead more bytes before and @ntail
 * more after (Linux's pskb_expand_head). The struct stays the same; only
 * the data moves. 0 or -ENOMEM (the skb is unchanged then).
 */
static int pskb_expand_head(struct sk_buff *skb, unsigned int nhead,
			    unsigned int ntail)
{
	unsigned int old_size = (unsigned int)(skb->end - skb->head);
	struct skb_shared_info old_sh = *skb_shinfo(skb);
	unsigned int cap, cls;
	unsigned char *buf;
	long off;

	buf = pool_get_data(skb->pool, nhead + old_size + ntail, &cap, &cls);
	if (!buf)
		return -ENOMEM;
	memcpy(buf + nhead, skb->head, (size_t)(skb->tail - skb->head));
	skb_release_data(skb);
	off = (long)(buf + nhead - skb->head);
	skb->head = buf;
	skb->data += off;
	skb->tail += off;
	skb->end = buf + cap;
	skb->mac_header = shift_hdr(skb->mac_header, nhead);
	skb->network_header = shift_hdr(skb->network_header, nhead);
	skb->transport_header = shift_hdr(skb->transport_header, nhead);
	skb->csum_start = (u16)(skb->csum_start + nhead);
	skb->cloned = 0;
	skb_init_shinfo(skb, cls);
	skb_shinfo(skb)->gso_size = old_sh.gso_size;
	skb_shinfo(skb)->gso_segs = old_sh.gso_segs;
	skb_shinfo(skb)->gso_type = old_sh.gso_type;
	return 0;
}

/*
 * Make sure @headroom bytes are writable in front of data: reallocates
 * when there is too little room or the header is shared with a clone.
 * 0 or -ENOMEM (the skb is still valid and owned by the caller).
 */
int skb_cow_head(struct sk_buff *skb, unsigned int headroom)
{
	unsigned int have = skb_headroom(skb);
	unsigned int delta = headroom > have ? headroom - have : 0;

	if (!delta && !skb_cloned(skb))
		return 0;
	return pskb_expand_head(skb, ALIGN_UP(delta, (unsigned int)NET_SKB_PAD), 0);
}

/*
 * Copy @len bytes starting @offset bytes after data (negative: into the
 * headroom) to @to. 0, or -EFAULT when the range is not in the skb.
 */
int skb_copy_bits(const struct sk_buff *skb, int offset, void *to, int len)
{
	if (len < 0 || offset < -(int)skb_headroom(skb) ||
	    (long)offset + len > (long)skb->len)
		return -EFAULT;
	memcpy(to, skb->data + offset, (size_t)len);
	return 0;
}

/*
 * Copy up to @len bytes from @offset of @skb into the iovec array
 * *@iov (*@iovcnt entries left, *@iov_off bytes used in the first),
 * advancing all three. Returns the bytes copied.
 */
size_t skb_copy_datagram_iter(const struct sk_buff *skb, int offset,
			      struct iovec **iov, size_t *iovcnt, size_t *iov_off,
			      size_t len)
{
	const unsigned char *src;
	size_t done = 0;

	if (offset < 0 || (unsigned int)offset >= skb->len)
		return 0;
	src = skb->data + offset;
	len = min_t(size_t, len, skb->len - (unsigned int)offset);
	while (done < len && *iovcnt) {
		struct iovec *v = *iov;
		size_t n = min_t(size_t, v->iov_len - *iov_off, len - done);

		memcpy((char *)v->iov_base + *iov_off, src + done, n);
		done += n;
		*iov_off += n;
		if (*iov_off == v->iov_len) {
			(*iov)++;
			(*iovcnt)--;
			*iov_off = 0;
		}
	}
	return done;
}

/* --- queues --------------------------------------------------------------------- */

/* Take @list's spinlock (for callers that combine several __ operations). */
void skb_queue_lock(struct sk_buff_head *list)
{
	sl_spin_lock(&list->lock);
}

/* Release @list's spinlock. */
void skb_queue_unlock(struct sk_buff_head *list)
{
	sl_spin_unlock(&list->lock);
}

/* An empty queue with its lock free. */
void skb_queue_head_init(struct sk_buff_head *list)
{
	list->next = list->prev = (struct sk_buff *)list;
	list->qlen = 0;
	list->lock = 0;
}

static void __skb_insert(struct sk_buff *n, struct sk_buff *prev,
			 struct sk_buff *next, struct sk_buff_head *list)
{
	n->next = next;
	n->prev = prev;
	next->prev = n;
	prev->next = n;
	WRITE_ONCE(list->qlen, list->qlen + 1);
}

/* Insert @skb before @next (which is on @list, or @list itself). */
void __skb_queue_before(struct sk_buff_head *list, struct sk_buff *next,
			struct sk_buff *skb)
{
	__skb_insert(skb, next->prev, next, list);
}

/* Insert @skb after @prev (which is on @list, or @list itself). */
void __skb_queue_after(struct sk_buff_head *list, struct sk_buff *prev,
		       struct sk_buff *skb)
{
	__skb_insert(skb, prev, prev->next, list);
}

/* Append @skb (caller serialises); the queue owns it afterwards. */
void __skb_queue_tail(struct sk_buff_head *list, struct sk_buff *skb)
{
	__skb_queue_before(list, (struct sk_buff *)list, skb);
}

/* Prepend @skb (caller serialises); the queue owns it afterwards. */
void __skb_queue_head(struct sk_buff_head *list, struct sk_buff *skb)
{
	__skb_queue_after(list, (struct sk_buff *)list, skb);
}

/* Remove @skb from @list (the caller serialises). */
void __skb_unlink(struct sk_buff *skb, struct sk_buff_head *list)
{
	struct sk_buff *next = skb->next, *prev = skb->prev;

	WRITE_ONCE(list->qlen, list->qlen - 1);
	next->prev = prev;
	prev->next = next;
	skb->next = skb->prev = NULL;
}

/* First skb of @list, removed; NULL when empty. */
struct sk_buff *__skb_dequeue(struct sk_buff_head *list)
{
	struct sk_buff *skb = skb_peek(list);

	if (skb)
		__skb_unlink(skb, list);
	return skb;
}

static struct sk_buff *__skb_dequeue_tail(struct sk_buff_head *list)
{
	struct sk_buff *skb = skb_peek_tail(list);

	if (skb)
		__skb_unlink(skb, list);
	return skb;
}

/* Free every skb on @list (caller serialises). */
void __skb_queue_purge(struct sk_buff_head *list)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(list)))
		kfree_skb(skb);
}

/* Move all of @list to the tail of @head; @list is left empty. */
void skb_queue_splice_tail_init(struct sk_buff_head *list,
				struct sk_buff_head *head)
{
	struct sk_buff *first = list->next, *last = list->prev;
	struct sk_buff *at = head->prev;

	if (skb_queue_empty(list))
		return;
	first->prev = at;
	at->next = first;
	last->next = (struct sk_buff *)head;
	head->prev = last;
	WRITE_ONCE(head->qlen, head->qlen + list->qlen);
	list->next = list->prev = (struct sk_buff *)list;
	WRITE_ONCE(list->qlen, 0);
}

/* Locked append; @list owns @skb afterwards. */
void skb_queue_tail(struct sk_buff_head *list, struct sk_buff *skb)
{
	skb_queue_lock(list);
	__skb_queue_tail(list, skb);
	skb_queue_unlock(list);
}

/* Locked prepend. */
void skb_queue_head(struct sk_buff_head *list, struct sk_buff *skb)
{
	skb_queue_lock(list);
	__skb_queue_head(list, skb);
	skb_queue_unlock(list);
}

/* Locked removal of the first skb (the caller owns it), NULL when empty. */
struct sk_buff *skb_dequeue(struct sk_buff_head *list)
{
	struct sk_buff *skb;

	skb_queue_lock(list);
	skb = __skb_dequeue(list);
	skb_queue_unlock(list);
	return skb;
}

/* Locked removal of the last skb. */
struct sk_buff *skb_dequeue_tail(struct sk_buff_head *list)
{
	struct sk_buff *skb;

	skb_queue_lock(list);
	skb = __skb_dequeue_tail(list);
	skb_queue_unlock(list);
	return skb;
}

/* Free every skb on @list, taking the lock per skb (frees run unlocked). */
void skb_queue_purge(struct sk_buff_head *list)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(list)))
		kfree_skb(skb);
}
