/*
 * Private to the IPv4 routing and address code (route.c, devinet.c and
 * their tests): the per-stack routing state behind net->ipv4.fib_main.
 *
 * net->ipv4.fib_lock (rwlock) guards everything here AND the address lists
 * of every in_device of the stack (dev->ip_ptr->ifa_list), so that a route
 * lookup and the source address it selects see one consistent state.
 * Readers (route lookups, address queries) take it for reading; table and
 * address changes take it for writing. The lock is never held while
 * calling into another layer (ARP, devices), so it has no ordering rule
 * against net->dev_lock except "fib_lock innermost".
 */
#ifndef SL_IPV4_FIB_INTERNAL_H
#define SL_IPV4_FIB_INTERNAL_H

#include "sl/ip.h"
#include "sl/list.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/route.h"

/* Route origin (rtm_protocol), printed by fib_dump as `ip route` does. */
#define RTPROT_KERNEL 2   /* added by the address code */
#define RTPROT_BOOT 3     /* added by the administrator (not printed) */

#define FIB_PLEN_MAX 32
#define FNHE_HASH_SIZE 256
#define FNHE_CHAIN_MAX 8  /* Linux's FNHE_RECLAIM_DEPTH-like bound */
/* Linux's ip_rt_mtu_expires (10 min) and ip_rt_min_pmtu (512 + 20 + 20). */
#define IP_RT_MTU_EXPIRES (600ULL * NSEC_PER_SEC)
#define IP_RT_MIN_PMTU 552

/* One route: a (table, prefix, metric[, device]) key and its next hop. */
struct fib_entry {
	struct hlist_node hnode;     /* in fib_tb.buckets */
	__be32 fe_dst;               /* prefix, host bits zero */
	u8 fe_plen;
	u8 fe_type;                  /* RTN_* */
	u8 fe_scope;                 /* RT_SCOPE_* */
	u8 fe_proto;                 /* RTPROT_* */
	u32 fe_metric;
	u32 fe_seq;                  /* insertion order: tie-break */
	__be32 fe_gw;                /* 0: directly connected */
	__be32 fe_prefsrc;
	struct net_device *fe_dev;   /* NULL for unreachable/blackhole/... */
	/* Cached result handed out by reference (Linux's nhc_rth_output). */
	struct rtable *fe_rt;
};

/*
 * One table: every prefix length in one hash keyed by (prefix, length),
 * plus a bitmap of the lengths present. Longest-prefix match probes only
 * the lengths in the bitmap, from /32 down: at most 33 O(1) probes
 * whatever the number of routes.
 */
struct fib_tb {
	struct hlist_head *buckets;
	u32 nbuckets;                /* power of two */
	u32 count;
	u32 plen_count[FIB_PLEN_MAX + 1];
	u64 plen_mask;               /* bit p: some entry has length p */
	bool is_local;
};

/* A learned path MTU for one destination (Linux's fib_nh_exception). */
struct fib_nh_exception {
	struct fib_nh_exception *fnhe_next;
	__be32 fnhe_daddr;
	u32 fnhe_pmtu;
	u64 fnhe_expires;            /* ns on the stack clock */
	struct rtable *fnhe_rt;      /* cached route carrying the PMTU */
};

/* net->ipv4.fib_main: the stack's routing state. */
struct fib_table {
	struct fib_tb tb_local;      /* RTN_LOCAL / RTN_BROADCAST (table local) */
	struct fib_tb tb_main;       /* everything else (table main) */
	u32 genid;                   /* atomic: bumped on every change */
	u32 seq;                     /* next fe_seq */
	u32 hash_seed;
	struct fib_nh_exception *fnhe_hash[FNHE_HASH_SIZE];
	/* Input results that have no FIB entry, one per stack. */
	struct rtable *rt_brd_input; /* limited broadcast, 0.0.0.0 */
	struct rtable *rt_err_host;  /* dst.error -EHOSTUNREACH */
	struct rtable *rt_err_net;   /* dst.error -ENETUNREACH */
	/* devinet.c: every in_device of the stack (struct in_dev_node). */
	struct list_head in_devs;
};

static inline struct fib_table *net_fib(const struct net *net)
{
	return net->ipv4.fib_main;
}

/* A route to add or delete (Linux's fib_config). */
struct fib_config {
	__be32 fc_dst;
	u8 fc_plen;
	u8 fc_type;
	u8 fc_scope;
	u8 fc_proto;
	__be32 fc_gw;
	int fc_oif;
	u32 fc_metric;
	__be32 fc_prefsrc;
};

/* route.c: add/delete; the table follows from the type. 0 or -errno. */
int fib_table_insert(struct net *net, const struct fib_config *cfg);
/* Deletes the first entry matching every non-zero field of @cfg
 * (fc_type/fc_oif/fc_gw/fc_prefsrc optional). 0 or -ESRCH. */
int fib_table_delete(struct net *net, const struct fib_config *cfg);
/* Invalidate every cached route (sockets re-route on next use). */
void fib_genid_bump(struct net *net);

/* devinet.c: caller holds fib_lock (read or write). */
__be32 __inet_select_addr(struct fib_table *ft, const struct net_device *dev,
			  __be32 dst, int scope);
/* devinet.c: free the in_devices left at stack exit (fib_lock held w). */
void devinet_exit_net(struct net *net);
/* devinet.c: the device notifier ip_init registers. */
extern struct notifier_block ip_netdev_notifier;

#endif
