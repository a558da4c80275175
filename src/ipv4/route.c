/*
 * IPv4 routing: the per-stack FIB and the dst_entry/rtable results.
 *
 * Tables (as Linux's "local" and "main"): fib_table_insert puts RTN_LOCAL
 * and RTN_BROADCAST routes into the local table, everything else into
 * main. fib_lookup searches local first, then main; inside a table it is
 * a longest-prefix match (struct fib_tb: one hash over (prefix, length)
 * and a bitmap of the lengths in use), ties broken by the lowest metric,
 * then by age.
 *
 * Results: every FIB entry caches one rtable (fe_rt) that lookups hand
 * out by reference, so no route costs an allocation per packet. A
 * per-stack generation counter (fib_table.genid) is bumped by every
 * change; a cached rtable from an older generation is stale: the FIB
 * rebuilds its own cache lazily and __sk_dst_check makes sockets route
 * again. PMTU learned from ICMP (ipv4_update_pmtu) lives in per-destination
 * exceptions (fib_nh_exception) with their own rtable, expiring after 10
 * minutes as Linux's ip_rt_mtu_expires.
 *
 * Order of use: ip_route_output_key (sockets, ICMP) and
 * ip_route_input_noref (ip_rcv_finish) -> fib_lookup -> rt_cache_get.
 * Locking: see fib_internal.h (net->ipv4.fib_lock).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl/icmp.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/pernet.h"
#include "sl/route.h"
#include "sl/sock.h"

#include "fib_internal.h"

/*
 * Every rtable is allocated here, inside this wrapper: the generation it
 * was built in decides whether it is still valid.
 */
struct fib_rt {
	struct rtable rt;
	u32 genid;
	struct net *net;
};

static inline struct fib_rt *to_fib_rt(const struct dst_entry *dst)
{
	return container_of((struct rtable *)dst, struct fib_rt, rt);
}

static int ip_error(struct sk_buff *skb);

/* --- dst references --------------------------------------------------- */

/* Take a reference to @dst. */
void dst_hold(struct dst_entry *dst)
{
	__atomic_fetch_add(&dst->refcnt, 1, __ATOMIC_RELAXED);
}

/*
 * Drop a reference to @dst (NULL allowed); the last one frees the rtable.
 * Any thread, any context.
 */
void dst_release(struct dst_entry *dst)
{
	if (!dst)
		return;
	if (__atomic_sub_fetch(&dst->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		free(to_fib_rt(dst));
}

static u32 fib_genid(const struct net *net)
{
	return __atomic_load_n(&net_fib(net)->genid, __ATOMIC_ACQUIRE);
}

/* Invalidate every cached route of @net (sockets re-route on next use). */
void fib_genid_bump(struct net *net)
{
	struct fib_table *ft = net_fib(net);

	if (ft)
		__atomic_fetch_add(&ft->genid, 1, __ATOMIC_RELEASE);
}

static bool rt_is_valid(const struct net *net, const struct rtable *rt)
{
	const struct fib_rt *frt = to_fib_rt(&rt->dst);

	if (READ_ONCE(rt->dst.obsolete))
		return false;
	if (frt->genid != fib_genid(net))
		return false;
	return !rt->dst.expires || net_now(net) < rt->dst.expires;
}

static struct rtable *rt_dst_alloc(struct net *net, struct net_device *dev,
				   u16 type)
{
	struct fib_rt *frt = calloc(1, sizeof(*frt));
	struct rtable *rt;

	if (!frt)
		return NULL;
	frt->net = net;
	frt->genid = fib_genid(net);
	rt = &frt->rt;
	rt->dst.refcnt = 1;
	rt->dst.dev = dev;
	rt->dst.mtu = dev ? dev->mtu : 0;
	rt->dst.output = ip_output;
	rt->rt_type = type;
	rt->rt_iif = 0;
	return rt;
}

/* Drop the table's reference to a cached rtable and mark it obsolete, so
 * that sockets still holding it route again. */
static void rt_cache_drop(struct rtable **slot)
{
	struct rtable *rt = *slot;

	if (!rt)
		return;
	*slot = NULL;
	WRITE_ONCE(rt->dst.obsolete, true);
	dst_release(&rt->dst);
}

/* --- tables -------------------------------------------------------------- */

static u32 fib_hash(const struct fib_table *ft, __be32 key, u8 plen)
{
	u32 h = (u32)key ^ ft->hash_seed ^ ((u32)plen * 0x9e3779b1u);

	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static int fib_tb_init(struct fib_tb *tb, bool is_local)
{
	memset(tb, 0, sizeof(*tb));
	tb->nbuckets = 64;
	tb->buckets = calloc(tb->nbuckets, sizeof(*tb->buckets));
	tb->is_local = is_local;
	return tb->buckets ? 0 : -ENOMEM;
}

static struct hlist_head *fib_bucket(const struct fib_table *ft,
				     const struct fib_tb *tb, __be32 key,
				     u8 plen)
{
	return &tb->buckets[fib_hash(ft, key, plen) & (tb->nbuckets - 1)];
}

/* Double the bucket array when the chains grow past 2 on average. */
static void fib_tb_grow(struct fib_table *ft, struct fib_tb *tb)
{
	u32 n = tb->nbuckets * 2, i;
	struct hlist_head *nb;
	struct fib_entry *fe;
	struct hlist_node *tmp;

	if (tb->count <= tb->nbuckets * 2)
		return;
	nb = calloc(n, sizeof(*nb));
	if (!nb)
		return; /* keep the old array: slower, still correct */
	for (i = 0; i < tb->nbuckets; i++) {
		hlist_for_each_entry_safe(fe, tmp, &tb->buckets[i], hnode) {
			hlist_del_init(&fe->hnode);
			hlist_add_head(&fe->hnode,
				       &nb[fib_hash(ft, fe->fe_dst, fe->fe_plen) &
					   (n - 1)]);
		}
	}
	free(tb->buckets);
	tb->buckets = nb;
	tb->nbuckets = n;
}

static void fib_entry_free(struct fib_entry *fe)
{
	rt_cache_drop(&fe->fe_rt);
	free(fe);
}

static void fib_tb_unlink(struct fib_tb *tb, struct fib_entry *fe)
{
	hlist_del_init(&fe->hnode);
	tb->count--;
	if (--tb->plen_count[fe->fe_plen] == 0)
		tb->plen_mask &= ~(1ULL << fe->fe_plen);
}

static void fib_tb_destroy(struct fib_tb *tb)
{
	struct fib_entry *fe;
	struct hlist_node *tmp;
	u32 i;

	for (i = 0; tb->buckets && i < tb->nbuckets; i++) {
		hlist_for_each_entry_safe(fe, tmp, &tb->buckets[i], hnode) {
			fib_tb_unlink(tb, fe);
			fib_entry_free(fe);
		}
	}
	free(tb->buckets);
	tb->buckets = NULL;
}

static bool fe_better(const struct fib_entry *a, const struct fib_entry *b)
{
	if (!b)
		return true;
	if (a->fe_metric != b->fe_metric)
		return a->fe_metric < b->fe_metric;
	return a->fe_seq < b->fe_seq;
}

/*
 * Longest-prefix match in one table; @oif (when non-zero) restricts the
 * result to routes through that device, as Linux's fib_table_lookup does.
 */
static struct fib_entry *fib_tb_lookup(const struct fib_table *ft,
				       const struct fib_tb *tb, __be32 daddr,
				       int oif)
{
	u64 mask = tb->plen_mask;

	while (mask) {
		int plen = 63 - __builtin_clzll(mask);
		__be32 key = daddr & inet_make_mask(plen);
		struct fib_entry *fe, *best = NULL;

		mask &= ~(1ULL << plen);
		hlist_for_each_entry(fe, fib_bucket(ft, tb, key, (u8)plen),
				     hnode) {
			if (fe->fe_dst != key || fe->fe_plen != plen)
				continue;
			if (oif && (!fe->fe_dev || fe->fe_dev->ifindex != oif))
				continue;
			if (fe_better(fe, best))
				best = fe;
		}
		if (best)
			return best;
	}
	return NULL;
}

/* Linux's fib_lookup with the default rules: table local, then main. */
static struct fib_entry *fib_lookup(const struct fib_table *ft, __be32 daddr,
				    int oif)
{
	struct fib_entry *fe = fib_tb_lookup(ft, &ft->tb_local, daddr, oif);

	return fe ? fe : fib_tb_lookup(ft, &ft->tb_main, daddr, oif);
}

static bool fib_is_local_addr(const struct fib_table *ft, __be32 addr)
{
	struct fib_entry *fe = fib_tb_lookup(ft, &ft->tb_local, addr, 0);

	return fe && fe->fe_type == RTN_LOCAL;
}

/* Errors of the route types that forbid traffic (Linux's fib_props). */
static int fib_type_error(u8 type)
{
	switch (type) {
	case RTN_UNREACHABLE:
		return -EHOSTUNREACH;
	case RTN_BLACKHOLE:
		return -EINVAL;
	case RTN_PROHIBIT:
		return -EACCES;
	default:
		return 0;
	}
}

/* --- configuration --------------------------------------------------------- */

static bool fib_type_is_local_table(u8 type)
{
	return type == RTN_LOCAL || type == RTN_BROADCAST;
}

static struct fib_entry *fib_find_exact(const struct fib_table *ft,
					const struct fib_tb *tb,
					const struct fib_config *cfg,
					const struct net_device *dev)
{
	struct fib_entry *fe;

	hlist_for_each_entry(fe, fib_bucket(ft, tb, cfg->fc_dst, cfg->fc_plen),
			     hnode) {
		if (fe->fe_dst != cfg->fc_dst || fe->fe_plen != cfg->fc_plen ||
		    fe->fe_metric != cfg->fc_metric)
			continue;
		/* The local table may hold one broadcast route per device. */
		if (tb->is_local && fe->fe_dev != dev)
			continue;
		return fe;
	}
	return NULL;
}

/*
 * The gateway must be reachable through a directly connected (link)
 * route, as Linux's fib_check_nh_v4_gw: otherwise -ENETUNREACH, and a
 * local address as gateway is -EINVAL. Returns the device to use.
 */
static int fib_check_gw(const struct fib_table *ft, const struct fib_config *cfg,
			struct net_device **dev)
{
	struct fib_entry *fe;

	if (fib_is_local_addr(ft, cfg->fc_gw))
		return -EINVAL;
	fe = fib_tb_lookup(ft, &ft->tb_main, cfg->fc_gw, cfg->fc_oif);
	if (!fe || fe->fe_type != RTN_UNICAST || fe->fe_gw || !fe->fe_dev)
		return -ENETUNREACH;
	*dev = fe->fe_dev;
	return 0;
}

/* fib_lock held; *@dev is the device of cfg->fc_oif (or NULL). */
static int fib_config_check(struct net *net, const struct fib_config *cfg,
			    struct net_device **dev)
{
	if (cfg->fc_plen > FIB_PLEN_MAX)
		return -EINVAL;
	/* The prefix must have no bits set beyond its length. */
	if (cfg->fc_dst & ~inet_make_mask(cfg->fc_plen))
		return -EINVAL;
	if (cfg->fc_oif && !*dev)
		return -ENODEV;
	if (fib_type_error(cfg->fc_type))
		return 0;
	if (cfg->fc_gw)
		return fib_check_gw(net_fib(net), cfg, dev);
	/* Without gateway the route needs a device to reach the
	 * destination on: no next hop at all is -EINVAL (as Linux). */
	return *dev ? 0 : -EINVAL;
}

/*
 * Add a route described by @cfg (fib_lock not held). -EEXIST when the
 * same prefix and metric exist already, -ENETUNREACH for an unreachable
 * gateway, -ENODEV, -EINVAL, -ENOMEM.
 */
int fib_table_insert(struct net *net, const struct fib_config *cfg)
{
	struct fib_table *ft = net_fib(net);
	struct net_device *dev = NULL;
	struct fib_entry *fe;
	struct fib_tb *tb;
	int err;

	if (!ft)
		return -ENODEV;
	/* Device lookups take dev_lock: never under fib_lock. */
	if (cfg->fc_oif)
		dev = dev_get_by_index(net, cfg->fc_oif);
	write_lock(&net->ipv4.fib_lock);
	err = fib_config_check(net, cfg, &dev);
	if (err)
		goto out_unlock;
	tb = fib_type_is_local_table(cfg->fc_type) ? &ft->tb_local : &ft->tb_main;
	err = -EEXIST;
	if (fib_find_exact(ft, tb, cfg, dev))
		goto out_unlock;
	err = -ENOMEM;
	fe = calloc(1, sizeof(*fe));
	if (!fe)
		goto out_unlock;
	fe->fe_dst = cfg->fc_dst;
	fe->fe_plen = cfg->fc_plen;
	fe->fe_type = cfg->fc_type;
	fe->fe_scope = cfg->fc_scope;
	fe->fe_proto = cfg->fc_proto;
	fe->fe_metric = cfg->fc_metric;
	fe->fe_gw = cfg->fc_gw;
	fe->fe_prefsrc = cfg->fc_prefsrc;
	fe->fe_dev = dev;
	fe->fe_seq = ft->seq++;
	hlist_add_head(&fe->hnode, fib_bucket(ft, tb, fe->fe_dst, fe->fe_plen));
	tb->count++;
	tb->plen_count[fe->fe_plen]++;
	tb->plen_mask |= 1ULL << fe->fe_plen;
	fib_tb_grow(ft, tb);
	fib_genid_bump(net);
	err = 0;
out_unlock:
	rwlock_unlock(&net->ipv4.fib_lock);
	return err;
}

static bool fe_matches(const struct fib_entry *fe, const struct fib_config *cfg)
{
	if (fe->fe_dst != cfg->fc_dst || fe->fe_plen != cfg->fc_plen)
		return false;
	if (cfg->fc_type && fe->fe_type != cfg->fc_type)
		return false;
	if (cfg->fc_gw && fe->fe_gw != cfg->fc_gw)
		return false;
	if (cfg->fc_oif && (!fe->fe_dev || fe->fe_dev->ifindex != cfg->fc_oif))
		return false;
	if (cfg->fc_prefsrc && fe->fe_prefsrc != cfg->fc_prefsrc)
		return false;
	return true;
}

static struct fib_entry *fib_tb_find_match(const struct fib_table *ft,
					   const struct fib_tb *tb,
					   const struct fib_config *cfg)
{
	struct fib_entry *fe, *best = NULL;

	hlist_for_each_entry(fe, fib_bucket(ft, tb, cfg->fc_dst, cfg->fc_plen),
			     hnode)
		if (fe_matches(fe, cfg) && fe_better(fe, best))
			best = fe;
	return best;
}

/* Delete the best entry matching @cfg (main table first). 0 or -ESRCH. */
int fib_table_delete(struct net *net, const struct fib_config *cfg)
{
	struct fib_table *ft = net_fib(net);
	struct fib_tb *tb;
	struct fib_entry *fe;

	if (!ft)
		return -ESRCH;
	if (cfg->fc_plen > FIB_PLEN_MAX)
		return -EINVAL;
	write_lock(&net->ipv4.fib_lock);
	tb = &ft->tb_main;
	fe = fib_tb_find_match(ft, tb, cfg);
	if (!fe) {
		tb = &ft->tb_local;
		fe = fib_tb_find_match(ft, tb, cfg);
	}
	if (fe) {
		fib_tb_unlink(tb, fe);
		fib_entry_free(fe);
		fib_genid_bump(net);
	}
	rwlock_unlock(&net->ipv4.fib_lock);
	return fe ? 0 : -ESRCH;
}

/*
 * Add a route (the stack API's `ip route add`). Type 0 means unicast; a
 * unicast route without gateway gets scope link, as iproute2 gives it.
 * 0, -EEXIST, -ENETUNREACH (gateway not on a link route), -ENODEV, -EINVAL.
 */
int fib_route_add(struct net *net, __be32 dst, int prefix_len, __be32 gw,
		  int oif, u8 type, u8 scope, u32 metric, __be32 prefsrc)
{
	struct fib_config cfg = {
		.fc_dst = dst, .fc_gw = gw, .fc_oif = oif,
		.fc_type = type ? type : RTN_UNICAST, .fc_scope = scope,
		.fc_proto = RTPROT_BOOT, .fc_metric = metric,
		.fc_prefsrc = prefsrc,
	};

	if (prefix_len < 0 || prefix_len > FIB_PLEN_MAX)
		return -EINVAL;
	cfg.fc_plen = (u8)prefix_len;
	if (cfg.fc_type == RTN_UNICAST && !gw && scope == RT_SCOPE_UNIVERSE)
		cfg.fc_scope = RT_SCOPE_LINK;
	return fib_table_insert(net, &cfg);
}

/* Delete a route (`ip route del`): 0 or -ESRCH. */
int fib_route_del(struct net *net, __be32 dst, int prefix_len, __be32 gw,
		  int oif)
{
	struct fib_config cfg = { .fc_dst = dst, .fc_gw = gw, .fc_oif = oif };

	if (prefix_len < 0 || prefix_len > FIB_PLEN_MAX)
		return -EINVAL;
	cfg.fc_plen = (u8)prefix_len;
	return fib_table_delete(net, &cfg);
}

static void fib_tb_flush_dev(struct fib_tb *tb, const struct net_device *dev)
{
	struct fib_entry *fe;
	struct hlist_node *tmp;
	u32 i;

	for (i = 0; i < tb->nbuckets; i++) {
		hlist_for_each_entry_safe(fe, tmp, &tb->buckets[i], hnode) {
			if (fe->fe_dev != dev)
				continue;
			fib_tb_unlink(tb, fe);
			fib_entry_free(fe);
		}
	}
}

/* Remove every route through @dev, local ones included (device down). */
void fib_flush_dev(struct net *net, struct net_device *dev)
{
	struct fib_table *ft = net_fib(net);

	if (!ft)
		return;
	write_lock(&net->ipv4.fib_lock);
	fib_tb_flush_dev(&ft->tb_local, dev);
	fib_tb_flush_dev(&ft->tb_main, dev);
	fib_genid_bump(net);
	rwlock_unlock(&net->ipv4.fib_lock);
}

/* --- cached results ----------------------------------------------------- */

/* Fill a fresh rtable for @fe (the output and input result alike). */
static struct rtable *fib_make_rt(struct net *net, const struct fib_entry *fe)
{
	struct net_device *dev = fe->fe_dev;
	struct rtable *rt;

	if (fe->fe_type == RTN_LOCAL && net->loopback_dev)
		dev = net->loopback_dev; /* local traffic loops through lo */
	rt = rt_dst_alloc(net, dev, fe->fe_type);
	if (!rt)
		return NULL;
	rt->rt_gateway = fe->fe_gw;
	rt->rt_uses_gateway = fe->fe_gw != 0;
	rt->rt_spec_dst = fe->fe_prefsrc;
	switch (fe->fe_type) {
	case RTN_LOCAL:
	case RTN_BROADCAST:
		rt->dst.input = ip_local_deliver;
		break;
	case RTN_UNICAST:
		rt->dst.input = ip_forward;
		break;
	default:
		rt->dst.input = ip_error;
		rt->dst.error = fib_type_error(fe->fe_type);
		break;
	}
	return rt;
}

/*
 * The cached rtable of @fe, referenced. Under the read lock a stale cache
 * cannot be replaced: returns -EAGAIN and the caller retries with the
 * write lock (@may_build).
 */
static struct rtable *rt_cache_get(struct net *net, struct fib_entry *fe,
				   bool may_build)
{
	struct rtable *rt = fe->fe_rt;

	if (rt && rt_is_valid(net, rt)) {
		dst_hold(&rt->dst);
		return rt;
	}
	if (!may_build)
		return ERR_PTR(-EAGAIN);
	rt = fib_make_rt(net, fe);
	if (!rt)
		return ERR_PTR(-ENOBUFS);
	rt_cache_drop(&fe->fe_rt);
	fe->fe_rt = rt;
	dst_hold(&rt->dst);
	return rt;
}

/* --- PMTU exceptions ---------------------------------------------------- */

static struct fib_nh_exception **fnhe_bucket(struct fib_table *ft,
					     __be32 daddr)
{
	return &ft->fnhe_hash[fib_hash(ft, daddr, 33) & (FNHE_HASH_SIZE - 1)];
}

static struct fib_nh_exception *fnhe_find(struct fib_table *ft, __be32 daddr)
{
	struct fib_nh_exception *e;

	for (e = *fnhe_bucket(ft, daddr); e; e = e->fnhe_next)
		if (e->fnhe_daddr == daddr)
			return e;
	return NULL;
}

static void fnhe_free(struct fib_nh_exception *e)
{
	rt_cache_drop(&e->fnhe_rt);
	free(e);
}

static void fnhe_remove(struct fib_table *ft, struct fib_nh_exception *victim)
{
	struct fib_nh_exception **pp;

	for (pp = fnhe_bucket(ft, victim->fnhe_daddr); *pp; pp = &(*pp)->fnhe_next) {
		if (*pp == victim) {
			*pp = victim->fnhe_next;
			fnhe_free(victim);
			return;
		}
	}
}

/*
 * The route for @daddr through @fe with the learned PMTU, referenced;
 * NULL when there is no live exception; -EAGAIN under the read lock when
 * the exception must be rebuilt or has expired.
 */
static struct rtable *fnhe_rt_get(struct net *net, struct fib_entry *fe,
				  __be32 daddr, bool may_build)
{
	struct fib_table *ft = net_fib(net);
	struct fib_nh_exception *e = fnhe_find(ft, daddr);
	struct rtable *rt;

	if (!e)
		return NULL;
	if (net_now(net) >= e->fnhe_expires) {
		if (!may_build)
			return ERR_PTR(-EAGAIN);
		fnhe_remove(ft, e);
		return NULL;
	}
	rt = e->fnhe_rt;
	if (rt && rt_is_valid(net, rt)) {
		dst_hold(&rt->dst);
		return rt;
	}
	if (!may_build)
		return ERR_PTR(-EAGAIN);
	rt = fib_make_rt(net, fe);
	if (!rt)
		return ERR_PTR(-ENOBUFS);
	if (e->fnhe_pmtu < rt->dst.mtu) {
		rt->dst.mtu = e->fnhe_pmtu;
		rt->rt_pmtu = e->fnhe_pmtu;
	}
	rt->dst.expires = e->fnhe_expires;
	rt_cache_drop(&e->fnhe_rt);
	e->fnhe_rt = rt;
	dst_hold(&rt->dst);
	return rt;
}

static struct fib_nh_exception *fnhe_create(struct fib_table *ft,
					    __be32 daddr)
{
	struct fib_nh_exception **head = fnhe_bucket(ft, daddr);
	struct fib_nh_exception *e, *oldest = NULL;
	int depth = 0;

	for (e = *head; e; e = e->fnhe_next) {
		depth++;
		if (!oldest || e->fnhe_expires < oldest->fnhe_expires)
			oldest = e;
	}
	if (depth >= FNHE_CHAIN_MAX)
		fnhe_remove(ft, oldest); /* reclaim, as Linux's fnhe_oldest */
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fnhe_daddr = daddr;
	e->fnhe_next = *head;
	*head = e;
	return e;
}

/*
 * Record a path MTU of @mtu towards @daddr (ICMP fragmentation needed,
 * RFC 1191). As Linux's __ip_rt_update_pmtu: only a decrease counts,
 * values below ip_rt_min_pmtu (552) are raised to it, the entry expires
 * after ip_rt_mtu_expires (10 min). Cached socket routes become stale.
 */
void ipv4_update_pmtu(struct net *net, __be32 daddr, u32 mtu)
{
	struct fib_table *ft = net_fib(net);
	struct fib_nh_exception *e;
	struct fib_entry *fe;
	u32 old_mtu;

	if (!ft)
		return;
	write_lock(&net->ipv4.fib_lock);
	fe = fib_lookup(ft, daddr, 0);
	if (!fe || fe->fe_type != RTN_UNICAST || !fe->fe_dev)
		goto out_unlock;
	e = fnhe_find(ft, daddr);
	old_mtu = fe->fe_dev->mtu;
	if (e && net_now(net) < e->fnhe_expires && e->fnhe_pmtu < old_mtu)
		old_mtu = e->fnhe_pmtu;
	if (old_mtu < mtu)
		goto out_unlock;
	if (mtu < IP_RT_MIN_PMTU)
		mtu = min_t(u32, old_mtu, IP_RT_MIN_PMTU);
	if (!e)
		e = fnhe_create(ft, daddr);
	if (!e)
		goto out_unlock;
	e->fnhe_pmtu = mtu;
	e->fnhe_expires = net_now(net) + IP_RT_MTU_EXPIRES;
	rt_cache_drop(&e->fnhe_rt);
	fib_genid_bump(net);
out_unlock:
	rwlock_unlock(&net->ipv4.fib_lock);
}

/* --- output routing ---------------------------------------------------- */

/* Source address for a route through @fe (Linux's fib_result_prefsrc). */
static __be32 fib_result_prefsrc(struct fib_table *ft,
				 const struct fib_entry *fe, __be32 daddr)
{
	if (fe->fe_prefsrc)
		return fe->fe_prefsrc;
	return __inet_select_addr(ft, fe->fe_dev, fe->fe_gw ? fe->fe_gw : daddr,
				  fe->fe_scope);
}

/*
 * A route that needs no FIB entry (limited broadcast through a chosen
 * device, on-link fallback with oif): built per call like Linux's
 * uncached routes. Rare; never on a connected socket's per-packet path.
 */
static struct rtable *rt_make_uncached(struct net *net, struct net_device *dev,
				       u16 type)
{
	struct rtable *rt = rt_dst_alloc(net, dev, type);

	if (!rt)
		return ERR_PTR(-ENOBUFS);
	rt->dst.input = ip_local_deliver;
	return rt;
}

static bool ip_bad_saddr(__be32 saddr)
{
	return ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr) ||
	       ipv4_is_zeronet(saddr);
}

/* The device @fl4 asks for (found by the caller), checked (Linux:
 * -ENODEV, -ENETUNREACH). */
static int rt_output_dev(const struct flowi4 *fl4, struct net_device *dev)
{
	if (!fl4->flowi4_oif)
		return 0;
	if (!dev)
		return -ENODEV;
	if (!netif_running(dev) || !dev->ip_ptr)
		return -ENETUNREACH;
	return 0;
}

static struct rtable *rt_output_fe(struct net *net, struct fib_table *ft,
				   struct fib_entry *fe, struct flowi4 *fl4,
				   bool may_build)
{
	struct rtable *rt;
	int err = fib_type_error(fe->fe_type);

	if (err)
		return ERR_PTR(err);
	if (fe->fe_type == RTN_LOCAL) {
		if (!fl4->saddr)
			fl4->saddr = fe->fe_prefsrc ? fe->fe_prefsrc : fl4->daddr;
		return rt_cache_get(net, fe, may_build);
	}
	if (!fl4->saddr)
		fl4->saddr = fib_result_prefsrc(ft, fe, fl4->daddr);
	if (fe->fe_type == RTN_UNICAST) {
		rt = fnhe_rt_get(net, fe, fl4->daddr, may_build);
		if (rt)
			return rt;
	}
	return rt_cache_get(net, fe, may_build);
}

static struct rtable *__ip_route_output_key(struct net *net,
					    struct flowi4 *fl4,
					    struct net_device *dev_out,
					    bool may_build)
{
	struct fib_table *ft = net_fib(net);
	struct fib_entry *fe;
	int err;

	/* Linux: a source that is not one of ours cannot be routed. */
	if (fl4->saddr && !fib_is_local_addr(ft, fl4->saddr))
		return ERR_PTR(-ENETUNREACH);
	err = rt_output_dev(fl4, dev_out);
	if (err)
		return ERR_PTR(err);
	if (dev_out && ipv4_is_lbcast(fl4->daddr)) {
		if (!fl4->saddr)
			fl4->saddr = __inet_select_addr(ft, dev_out, 0,
							RT_SCOPE_LINK);
		return rt_make_uncached(net, dev_out, RTN_BROADCAST);
	}
	if (!fl4->daddr) {
		/* Linux: no destination means ourselves (127.0.0.1). */
		fl4->daddr = fl4->saddr;
		if (!fl4->daddr)
			fl4->daddr = fl4->saddr = htonl(INADDR_LOOPBACK);
	}
	fe = fib_lookup(ft, fl4->daddr, fl4->flowi4_oif);
	if (!fe && dev_out) {
		/* Linux: with an explicit device and no route, assume the
		 * destination is on link. */
		if (!fl4->saddr)
			fl4->saddr = __inet_select_addr(ft, dev_out, 0,
							RT_SCOPE_LINK);
		return rt_make_uncached(net, dev_out, RTN_UNICAST);
	}
	if (!fe)
		return ERR_PTR(-ENETUNREACH);
	return rt_output_fe(net, ft, fe, fl4, may_build);
}

/*
 * Route an outgoing flow (Linux's ip_route_output_key_hash_rcu). Fills
 * fl4->saddr when 0 and fl4->daddr when 0. Returns a referenced rtable or
 * ERR_PTR(-ENETUNREACH / -EHOSTUNREACH / -EINVAL / -ENODEV / -EACCES).
 * Any thread.
 */
struct rtable *ip_route_output_key(struct net *net, struct flowi4 *fl4)
{
	struct net_device *dev_out = NULL;
	struct rtable *rt;
	struct flowi4 orig = *fl4;

	if (!net_fib(net))
		return ERR_PTR(-ENETUNREACH);
	if (fl4->saddr && ip_bad_saddr(fl4->saddr))
		return ERR_PTR(-EINVAL);
	if (ipv4_is_zeronet(fl4->daddr) && fl4->daddr)
		return ERR_PTR(-EINVAL);
	/* Device lookups take dev_lock: never under fib_lock. */
	if (fl4->flowi4_oif)
		dev_out = dev_get_by_index(net, fl4->flowi4_oif);
	read_lock(&net->ipv4.fib_lock);
	rt = __ip_route_output_key(net, fl4, dev_out, false);
	rwlock_unlock(&net->ipv4.fib_lock);
	if (rt == ERR_PTR(-EAGAIN)) {
		/* A stale cache or expired PMTU: rebuild it exclusively. */
		*fl4 = orig;
		write_lock(&net->ipv4.fib_lock);
		rt = __ip_route_output_key(net, fl4, dev_out, true);
		rwlock_unlock(&net->ipv4.fib_lock);
	}
	return rt;
}

/* --- socket route cache ---------------------------------------------- */

/* Cache @dst on @sk, taking over the caller's reference (NULL clears). */
void sk_dst_set(struct sock *sk, struct dst_entry *dst)
{
	struct dst_entry *old;

	old = __atomic_exchange_n(&sk->sk_dst_cache, dst, __ATOMIC_ACQ_REL);
	dst_release(old);
}

/* Forget @sk's cached route. */
void sk_dst_reset(struct sock *sk)
{
	sk_dst_set(sk, NULL);
}

/*
 * @sk's cached route, referenced, if still valid (not obsolete, same
 * routing generation, PMTU not expired); otherwise drops it and returns
 * NULL. Caller owns the socket (lock_sock).
 */
struct dst_entry *__sk_dst_check(struct sock *sk)
{
	struct dst_entry *dst = READ_ONCE(sk->sk_dst_cache);

	if (!dst)
		return NULL;
	if (!net_fib(sock_net(sk)) ||
	    !rt_is_valid(sock_net(sk), (struct rtable *)dst)) {
		sk_dst_reset(sk);
		return NULL;
	}
	dst_hold(dst);
	return dst;
}

/* --- input routing ----------------------------------------------------- */

/*
 * dst.input of unreachable results (Linux's ip_error): count and drop.
 * With forwarding on, Linux also tells the sender (ICMP unreachable).
 * Consumes skb.
 */
static int ip_error(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	struct rtable *rt = skb_rtable(skb);
	enum skb_drop_reason reason = SKB_DROP_REASON_IP_INADDRERRORS;
	int code;

	if (!READ_ONCE(net->ipv4.sysctl_ip_forward)) {
		/* Not a router: nothing is forwarded, nothing reported. */
		IP_INC_STATS(net, rt->dst.error == -ENETUNREACH ?
					  IPSTATS_MIB_INNOROUTES :
					  IPSTATS_MIB_INADDRERRORS);
		reason = SKB_DROP_REASON_IP_FORWARDING_OFF;
		goto out;
	}
	switch (rt->dst.error) {
	case -ENETUNREACH:
		code = ICMP_NET_UNREACH;
		IP_INC_STATS(net, IPSTATS_MIB_INNOROUTES);
		reason = SKB_DROP_REASON_IP_OUTNOROUTES;
		break;
	case -EACCES:
		code = ICMP_PKT_FILTERED;
		break;
	default:
		code = ICMP_HOST_UNREACH;
		IP_INC_STATS(net, IPSTATS_MIB_INADDRERRORS);
		break;
	}
	icmp_send(skb, ICMP_DEST_UNREACH, code, 0);
out:
	kfree_skb_reason(skb, reason);
	return NET_RX_DROP;
}

/* A per-stack result without FIB entry, referenced for the skb. */
static void skb_set_static_rt(struct net *net, struct sk_buff *skb,
			      struct rtable *rt)
{
	if (!READ_ONCE(rt->dst.dev))
		WRITE_ONCE(rt->dst.dev, net->loopback_dev);
	dst_hold(&rt->dst);
	skb_dst_set(skb, &rt->dst);
}

static int ip_route_martian(struct net *net)
{
	IP_INC_STATS(net, IPSTATS_MIB_INADDRERRORS);
	return -EINVAL;
}

/*
 * Route a received packet (Linux's ip_route_input_slow): local or
 * broadcast -> ip_local_deliver, elsewhere -> ip_forward when
 * net.ipv4.ip_forward is set, else an unreachable result (ip_error).
 * Martian addresses return -EINVAL (counted InAddrErrors). skb not
 * consumed; on 0 its dst is set (referenced).
 */
int ip_route_input_noref(struct sk_buff *skb, __be32 daddr, __be32 saddr,
			 u8 tos, struct net_device *dev)
{
	struct net *net = dev_net(dev);
	struct fib_table *ft = net_fib(net);
	bool lo = dev->flags & IFF_LOOPBACK;
	struct fib_entry *fe;
	struct rtable *rt;
	int err = 0;

	if (!ft)
		return -ENODEV;
	/* RFC 1122 3.2.1.3: a source must be a unicast address. */
	if (ipv4_is_multicast(saddr) || ipv4_is_lbcast(saddr))
		return ip_route_martian(net);
	/* Limited broadcast, and 0 -> 0 (BOOTP/DHCP clients), as Linux. */
	if (ipv4_is_lbcast(daddr) || (!saddr && !daddr))
		goto brd_input;
	/* RFC 1122 3.2.1.3 (a): 0.x.x.x only as a source while booting;
	 * 127.x.x.x never outside the host. */
	if (ipv4_is_zeronet(saddr) || ipv4_is_zeronet(daddr))
		return ip_route_martian(net);
	if (!lo && (ipv4_is_loopback(saddr) || ipv4_is_loopback(daddr)))
		return ip_route_martian(net);
	/* Multicast: we join no group, so no datagram is for us (Linux
	 * drops what ip_check_mc_rcu rejects the same way). */
	if (ipv4_is_multicast(daddr))
		return -EINVAL;

	read_lock(&net->ipv4.fib_lock);
	if (!lo && fib_is_local_addr(ft, saddr)) {
		/* Linux fib_validate_source: our own address from outside. */
		rwlock_unlock(&net->ipv4.fib_lock);
		return ip_route_martian(net);
	}
	fe = fib_lookup(ft, daddr, 0);
	if (!fe) {
		rt = READ_ONCE(net->ipv4.sysctl_ip_forward) ? ft->rt_err_net :
							      ft->rt_err_host;
	} else if (fe->fe_type == RTN_BROADCAST) {
		rwlock_unlock(&net->ipv4.fib_lock);
		goto brd_input;
	} else if (fe->fe_type != RTN_LOCAL &&
		   !READ_ONCE(net->ipv4.sysctl_ip_forward)) {
		/* Linux: not local and not a router -> -EHOSTUNREACH. */
		rt = ft->rt_err_host;
	} else {
		rt = rt_cache_get(net, fe, false);
		if (rt == ERR_PTR(-EAGAIN)) {
			rwlock_unlock(&net->ipv4.fib_lock);
			write_lock(&net->ipv4.fib_lock);
			fe = fib_lookup(ft, daddr, 0);
			rt = fe ? rt_cache_get(net, fe, true) : ERR_PTR(-EAGAIN);
		}
		if (IS_ERR(rt))
			err = PTR_ERR(rt);
		else
			skb_dst_set(skb, &rt->dst);
		rwlock_unlock(&net->ipv4.fib_lock);
		return err;
	}
	rwlock_unlock(&net->ipv4.fib_lock);
	skb_set_static_rt(net, skb, rt);
	return 0;

brd_input:
	if (saddr && !lo) {
		read_lock(&net->ipv4.fib_lock);
		err = fib_is_local_addr(ft, saddr);
		rwlock_unlock(&net->ipv4.fib_lock);
		if (err)
			return ip_route_martian(net);
	}
	skb_set_static_rt(net, skb, ft->rt_brd_input);
	return 0;
}

/* --- dump -------------------------------------------------------------- */

static const char *fib_type_name(u8 type)
{
	switch (type) {
	case RTN_LOCAL: return "local ";
	case RTN_BROADCAST: return "broadcast ";
	case RTN_UNREACHABLE: return "unreachable ";
	case RTN_BLACKHOLE: return "blackhole ";
	case RTN_PROHIBIT: return "prohibit ";
	default: return "";
	}
}

static const char *fib_scope_name(u8 scope)
{
	switch (scope) {
	case RT_SCOPE_LINK: return " scope link";
	case RT_SCOPE_HOST: return " scope host";
	case RT_SCOPE_NOWHERE: return " scope nowhere";
	default: return "";
	}
}

static void fib_format(const struct fib_entry *fe, bool local, char *buf,
		       size_t len)
{
	char dst[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN], src[INET_ADDRSTRLEN];
	char pfx[32], via[48] = "", dev[48] = "", srcs[48] = "", metric[24] = "";

	inet_ntop(AF_INET, &fe->fe_dst, dst, sizeof(dst));
	if (!fe->fe_plen && !fe->fe_dst)
		snprintf(pfx, sizeof(pfx), "default");
	else if (fe->fe_plen == 32)
		snprintf(pfx, sizeof(pfx), "%s", dst);
	else
		snprintf(pfx, sizeof(pfx), "%s/%u", dst, fe->fe_plen);
	if (fe->fe_gw) {
		inet_ntop(AF_INET, &fe->fe_gw, gw, sizeof(gw));
		snprintf(via, sizeof(via), " via %s", gw);
	}
	if (fe->fe_dev)
		snprintf(dev, sizeof(dev), " dev %s", fe->fe_dev->name);
	if (fe->fe_prefsrc) {
		inet_ntop(AF_INET, &fe->fe_prefsrc, src, sizeof(src));
		snprintf(srcs, sizeof(srcs), " src %s", src);
	}
	if (fe->fe_metric)
		snprintf(metric, sizeof(metric), " metric %u", fe->fe_metric);
	snprintf(buf, len, "%s%s%s%s%s%s%s%s%s", fib_type_name(fe->fe_type),
		 pfx, via, dev, local ? " table local" : "",
		 fe->fe_proto == RTPROT_KERNEL ? " proto kernel" : "",
		 fib_scope_name(fe->fe_scope), srcs, metric);
}

static int fib_entry_cmp(const void *a, const void *b)
{
	const struct fib_entry *x = *(struct fib_entry *const *)a;
	const struct fib_entry *y = *(struct fib_entry *const *)b;
	u32 kx = ntohl(x->fe_dst), ky = ntohl(y->fe_dst);

	if (kx != ky)
		return kx < ky ? -1 : 1;
	if (x->fe_plen != y->fe_plen)
		return x->fe_plen > y->fe_plen ? -1 : 1;
	if (x->fe_metric != y->fe_metric)
		return x->fe_metric < y->fe_metric ? -1 : 1;
	return x->fe_seq < y->fe_seq ? -1 : 1;
}

static void fib_tb_dump(const struct fib_tb *tb, bool local,
			void (*emit)(void *arg, const char *line), void *arg)
{
	struct fib_entry **v, *fe;
	char line[256];
	u32 i, n = 0;

	v = calloc(tb->count + 1, sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < tb->nbuckets; i++)
		hlist_for_each_entry(fe, &tb->buckets[i], hnode)
			v[n++] = fe;
	qsort(v, n, sizeof(*v), fib_entry_cmp);
	for (i = 0; i < n; i++) {
		fib_format(v[i], local, line, sizeof(line));
		emit(arg, line);
	}
	free(v);
}

/*
 * Print the routes in `ip route` form, one line each: table main, then
 * table local (as `ip route show table all` prints them).
 */
void fib_dump(struct net *net, void (*emit)(void *arg, const char *line),
	      void *arg)
{
	struct fib_table *ft = net_fib(net);

	if (!ft)
		return;
	read_lock(&net->ipv4.fib_lock);
	fib_tb_dump(&ft->tb_main, false, emit, arg);
	fib_tb_dump(&ft->tb_local, true, emit, arg);
	rwlock_unlock(&net->ipv4.fib_lock);
}

/* --- per stack ---------------------------------------------------------- */

static struct rtable *fib_static_rt(struct net *net, u16 type, int error)
{
	struct rtable *rt = rt_dst_alloc(net, NULL, type);

	if (!rt)
		return NULL;
	rt->dst.error = error;
	rt->dst.input = error ? ip_error : ip_local_deliver;
	return rt;
}

static void fib_static_rt_put(struct rtable *rt)
{
	if (rt)
		dst_release(&rt->dst);
}

static void fib_net_exit(struct net *net)
{
	struct fib_table *ft = net_fib(net);
	u32 i;

	if (!ft)
		return;
	write_lock(&net->ipv4.fib_lock);
	devinet_exit_net(net);
	fib_tb_destroy(&ft->tb_local);
	fib_tb_destroy(&ft->tb_main);
	for (i = 0; i < FNHE_HASH_SIZE; i++) {
		while (ft->fnhe_hash[i]) {
			struct fib_nh_exception *e = ft->fnhe_hash[i];

			ft->fnhe_hash[i] = e->fnhe_next;
			fnhe_free(e);
		}
	}
	fib_static_rt_put(ft->rt_brd_input);
	fib_static_rt_put(ft->rt_err_host);
	fib_static_rt_put(ft->rt_err_net);
	net->ipv4.fib_main = NULL;
	rwlock_unlock(&net->ipv4.fib_lock);
	rwlock_destroy(&net->ipv4.fib_lock);
	free(ft);
}

static int fib_net_init(struct net *net)
{
	struct fib_table *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return -ENOMEM;
	rwlock_init(&net->ipv4.fib_lock);
	net->ipv4.fib_main = ft;
	ft->hash_seed = net_random_u32(net);
	INIT_LIST_HEAD(&ft->in_devs);
	if (!net->ipv4.ip_id_seed)
		net->ipv4.ip_id_seed = net_random_u32(net) | 1;
	ft->rt_brd_input = fib_static_rt(net, RTN_BROADCAST, 0);
	ft->rt_err_host = fib_static_rt(net, RTN_UNREACHABLE, -EHOSTUNREACH);
	ft->rt_err_net = fib_static_rt(net, RTN_UNREACHABLE, -ENETUNREACH);
	if (fib_tb_init(&ft->tb_local, true) || fib_tb_init(&ft->tb_main, false) ||
	    !ft->rt_brd_input || !ft->rt_err_host || !ft->rt_err_net) {
		fib_net_exit(net);
		return -ENOMEM;
	}
	return 0;
}

const struct pernet_operations fib_net_ops = {
	.name = "fib",
	.init = fib_net_init,
	.exit = fib_net_exit,
};
