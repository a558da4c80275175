/*
 * struct net: one stack instance, the role of a Linux network namespace.
 *
 * Everything Linux keeps per namespace lives here: devices, addresses,
 * routes, the ARP cache, socket tables, counters and sysctl knobs. Several
 * stacks live in one process; nothing on the data path is process-global
 * except the registration tables filled once at library init (ptype_base,
 * inet_protos, inetsw, net_families).
 *
 * Subsystems attach their per-stack state through pernet_operations
 * (init at stack creation in table order, exit in reverse order), as
 * Linux's register_pernet_subsys does; the table is in
 * src/core/net_namespace.c.
 *
 * Softirq: a stack's receive processing and timers run either on its own
 * thread (threaded mode) or in whichever thread calls net_poll
 * (run-to-completion mode). softirq_lock makes them mutually exclusive, so
 * per-stack softirq state needs no other lock.
 */
#ifndef SL_NET_NAMESPACE_H
#define SL_NET_NAMESPACE_H

#include <pthread.h>

#include "sl/spinlock.h"
#include "sl/rwlock.h"
#include "sl/list.h"
#include "sl/skbuff.h"
#include "sl/snmp.h"
#include "sl/timer.h"
#include "sl/types.h"
#include "sl/wait.h"

struct net_device;
struct fib_table;
struct fqdir;
struct udp_table;
struct raw_hashinfo;
struct ping_table;
struct icmp_state;
struct neigh_table;
struct inet_hashinfo;

/* Per-stack ARP/neighbour parameters (Linux's net.ipv4.neigh.default.*). */
struct neigh_parms {
	u64 base_reachable_time;   /* ns, 30 s */
	u64 retrans_time;          /* ns, 1 s */
	u64 delay_probe_time;      /* ns, 5 s */
	u64 gc_stale_time;         /* ns, 60 s */
	u64 locktime;              /* ns, 1 s */
	int ucast_probes;          /* 3 */
	int mcast_probes;          /* 3 */
	int app_probes;            /* 0 */
	int unres_qlen_bytes;      /* 212992: bytes queued per unresolved entry */
	int gc_thresh1, gc_thresh2, gc_thresh3; /* 128, 512, 1024 */
};

struct netns_ipv4 {
	/* sysctls (net.ipv4.*), Linux defaults set in net_sysctl_defaults() */
	int sysctl_ip_default_ttl;         /* 64 */
	int sysctl_ip_forward;             /* 0 */
	int sysctl_ip_no_pmtu_disc;        /* 0 */
	int sysctl_ip_local_port_range[2]; /* 32768 60999 */
	int sysctl_ping_group_range[2];    /* 0 2147483647 (see README) */
	int sysctl_icmp_echo_ignore_all;   /* 0 */
	int sysctl_icmp_echo_ignore_broadcasts; /* 1 */
	int sysctl_icmp_ignore_bogus_error_responses; /* 1 */
	int sysctl_icmp_ratelimit;         /* 1000 (ms, per destination) */
	int sysctl_icmp_ratemask;          /* 0x1818 */
	int sysctl_icmp_msgs_per_sec;      /* 1000 (global bucket) */
	int sysctl_icmp_msgs_burst;        /* 50 */
	int sysctl_icmp_errors_use_inbound_ifaddr; /* 0 */
	long sysctl_ipfrag_high_thresh;    /* 4 MiB */
	long sysctl_ipfrag_low_thresh;     /* 3 MiB */
	int sysctl_ipfrag_time;            /* 30 s */
	int sysctl_ipfrag_max_dist;        /* 64 */
	int sysctl_ip_early_demux;         /* 1 */
	int sysctl_udp_rmem_min;           /* 4096 */
	int sysctl_udp_wmem_min;           /* 4096 */
	int sysctl_conf_all_accept_redirects; /* unused: we send none */
	int sysctl_conf_all_rp_filter;     /* 0 */
	int sysctl_conf_all_arp_ignore;    /* 0 */
	int sysctl_conf_all_arp_announce;  /* 0 */
	struct neigh_parms arp_parms;

	/* TCP sysctls (net.ipv4.tcp_*), Linux defaults in net_sysctl_defaults */
	int sysctl_tcp_rmem[3];            /* 4096 131072 6291456 */
	int sysctl_tcp_wmem[3];            /* 4096 16384 4194304 */
	int sysctl_tcp_timestamps;         /* 1 */
	int sysctl_tcp_sack;               /* 1 */
	int sysctl_tcp_dsack;              /* 1 */
	int sysctl_tcp_window_scaling;     /* 1 */
	int sysctl_tcp_syn_retries;        /* 6 */
	int sysctl_tcp_synack_retries;     /* 5 */
	int sysctl_tcp_retries1;           /* 3 */
	int sysctl_tcp_retries2;           /* 15 */
	int sysctl_tcp_orphan_retries;     /* 0 (means 8) */
	int sysctl_tcp_fin_timeout;        /* 60 s */
	int sysctl_tcp_keepalive_time;     /* 7200 s */
	int sysctl_tcp_keepalive_intvl;    /* 75 s */
	int sysctl_tcp_keepalive_probes;   /* 9 */
	int sysctl_tcp_early_retrans;      /* 3 */
	int sysctl_tcp_recovery;           /* 1 (RACK) */
	int sysctl_tcp_frto;               /* 2 */
	int sysctl_tcp_reordering;         /* 3 */
	int sysctl_tcp_max_reordering;     /* 300 */
	char sysctl_tcp_congestion_control[16]; /* "cubic" */
	int sysctl_tcp_slow_start_after_idle; /* 1 */
	int sysctl_tcp_syncookies;         /* 1 */
	unsigned int sysctl_tcp_notsent_lowat; /* UINT_MAX */
	int sysctl_max_syn_backlog;        /* 128 (Linux scales with memory) */
	int sysctl_tcp_abort_on_overflow;  /* 0 */
	int sysctl_tcp_rfc1337;            /* 0 */
	int sysctl_tcp_moderate_rcvbuf;    /* 1 */
	int sysctl_tcp_mtu_probing;        /* 0 */
	int sysctl_tcp_base_mss;           /* 1024 */
	int sysctl_tcp_min_snd_mss;        /* 48 */
	int sysctl_tcp_adv_win_scale;      /* 1 */
	int sysctl_tcp_app_win;            /* 31 */
	int sysctl_tcp_tw_reuse;           /* 2 */
	int sysctl_tcp_max_tw_buckets;     /* 262144 */
	int sysctl_tcp_ecn;                /* 2 (accept, don't ask) */
	int sysctl_tcp_invalid_ratelimit;  /* 500 ms */
	int sysctl_tcp_challenge_ack_limit;/* INT_MAX (per-socket limit only) */
	int sysctl_tcp_min_rtt_wlen;       /* 300 s */
	int sysctl_tcp_autocorking;        /* 1 */
	int sysctl_tcp_tso_win_divisor;    /* 3 */
	int sysctl_tcp_limit_output_bytes; /* 1048576 */
	int sysctl_tcp_min_tso_segs;       /* 2 */
	int sysctl_tcp_pacing_ss_ratio;    /* 200 */
	int sysctl_tcp_pacing_ca_ratio;    /* 120 */
	int sysctl_tcp_retrans_collapse;   /* 1 */
	int sysctl_tcp_stdurg;             /* 0 */
	int sysctl_tcp_fastopen;           /* 1 (not implemented: no TFO) */
	int sysctl_tcp_no_metrics_save;    /* 0 */
	int sysctl_tcp_workaround_signed_windows; /* 0 */
	int sysctl_tcp_thin_linear_timeouts;/* 0 */
	int sysctl_tcp_comp_sack_nr;       /* 44 */
	int sysctl_tcp_probe_threshold;    /* 8 */
	int sysctl_tcp_probe_interval;     /* 600 s */
	u32 tcp_challenge_timestamp;       /* state of the global limit */
	u32 tcp_challenge_count;
	u64 tcp_isn_key[2];                /* SipHash key for ISNs and ports */

	/* state owned by subsystems through their pernet_operations */
	struct fib_table *fib_main;        /* src/ipv4/route.c */
	rwlock_t fib_lock;
	struct fqdir *fqdir;               /* src/ipv4/ip_fragment.c */
	struct neigh_table *arp_tbl;       /* src/net/arp.c */
	struct icmp_state *icmp;           /* src/ipv4/icmp.c */
	struct udp_table *udp_table;       /* src/ipv4/udp.c */
	struct raw_hashinfo *raw;          /* src/ipv4/raw.c */
	struct ping_table *ping;           /* src/ipv4/ping.c */
	struct inet_hashinfo *tcp_hashinfo;/* TCP (issue 3) */
	/* Free struct tcp_xfer blocks (src/ipv4/tcp_xfer.c): a connection
	 * takes one when data moves and gives it back when quiet, so a
	 * request/response flow must not pay malloc+free per segment. */
	spinlock_t tcp_xfer_lock;
	u32 tcp_xfer_nfree;
	bool tcp_xfer_dead;                /* after tcp_sk_exit: free() */
	void *tcp_xfer_free;               /* singly linked through word 0 */
	u32 ip_id_seed;                    /* IP ID generator */
	u32 ip_ids;                        /* atomic */
};

struct netns_core {
	int sysctl_somaxconn;              /* 4096 */
	int sysctl_rmem_default;           /* 212992 */
	int sysctl_rmem_max;               /* 212992 */
	int sysctl_wmem_default;           /* 212992 */
	int sysctl_wmem_max;               /* 212992 */
	int sysctl_optmem_max;             /* 131072 */
	int sysctl_netdev_budget;          /* 300 */
	int sysctl_netdev_max_backlog;     /* 1000 */
	int sysctl_dev_weight;             /* 64 */
};

/* The softirq's work list (Linux's per-CPU softnet_data). */
struct softnet_data {
	spinlock_t lock;                   /* guards poll_list and input_pkt_queue */
	struct list_head poll_list;        /* scheduled napi_structs */
	struct sk_buff_head input_pkt_queue; /* netif_rx() backlog */
	struct napi_struct *backlog;       /* polls input_pkt_queue */
	u64 processed, dropped, time_squeeze;
};

struct net {
	struct list_head list;             /* on the process-wide stack list */
	char name[32];
	u32 id;
	u32 refcnt;                        /* atomic */

	struct sl_clock *clock;
	struct timer_base *timers;
	struct skb_pool *pool;
	u64 rng_state;                     /* per-stack PRNG (seeded) */

	/* devices: dev_lock plays rtnl_lock's role for configuration */
	pthread_mutex_t dev_lock;
	struct list_head dev_base_head;
	int ifindex;                       /* last assigned */
	struct net_device *loopback_dev;
	struct list_head ptype_all;        /* taps on every device here */
	rwlock_t ptype_lock;

	/* softirq: receive processing and timers */
	struct softnet_data softnet;
	spinlock_t softirq_lock;
	pthread_t thread;
	bool threaded;
	bool thread_stop;                  /* atomic */
	struct sl_waiter softirq_waiter;   /* the thread sleeps here */
	/* Stack clock time the sleeping thread will wake at by itself (0
	 * while it runs): a timer armed later than that needs no kick. */
	u64 softirq_wake_at;               /* atomic */
	struct timer_list wake_timer;      /* internal */

	struct netns_core core;
	struct netns_ipv4 ipv4;
	struct netns_mib mib;
	u64 drops[SKB_DROP_REASON_MAX];    /* kfree_skb_reason counts */

	u32 sockets;                       /* atomic: live socks in this stack */
	u32 trace_budget;                  /* atomic: packets still to trace */
	void (*trace_done)(struct net *net, const struct skb_trace *t, void *arg);
	void *trace_arg;
	u32 trace_ids;

	/* (added by drivers) devices on host descriptors, NULL until the
	 * first: src/drivers/hostlink.c */
	struct hostlink_set *hostlinks;
};

struct pernet_operations {
	const char *name;
	int (*init)(struct net *net);
	void (*exit)(struct net *net);
};

static inline struct net *get_net(struct net *net)
{
	__atomic_fetch_add(&net->refcnt, 1, __ATOMIC_RELAXED);
	return net;
}
void put_net(struct net *net);

/*
 * The time of the current softirq round or socket call, read once: a
 * real clock costs a clock_gettime per read and the data path reads it
 * dozens of times per segment, so (as Linux stamps a softirq round with
 * tcp_mstamp_refresh) __net_poll and sockfd_lookup take one reading that
 * every net_now() of the same clock in that thread returns until the
 * round or call ends, or the thread sleeps (net_wait drops it). Virtual
 * clocks are never cached: timers move them while they run.
 */
struct net_clock_cache {
	const struct sl_clock *clk;        /* NULL: nothing cached */
	u64 now;
};
extern __thread struct net_clock_cache net_clock_cache
	__attribute__((tls_model("initial-exec")));

/* Now on the stack's clock, in ns. */
static inline u64 net_now(const struct net *net)
{
	if (net_clock_cache.clk == net->clock)
		return net_clock_cache.now;
	return sl_clock_now(net->clock);
}

/* Take a reading of @net's clock for this thread; returns the old cache
 * for net_clock_restore. */
static inline struct net_clock_cache net_clock_stamp(const struct net *net)
{
	struct net_clock_cache old = net_clock_cache;

	if (net->clock->is_virtual) {
		net_clock_cache.clk = NULL;
	} else {
		net_clock_cache.clk = net->clock;
		net_clock_cache.now = sl_clock_now(net->clock);
	}
	return old;
}

static inline void net_clock_restore(struct net_clock_cache old)
{
	net_clock_cache = old;
}

/* xorshift64*; callers hold no lock (a rare race only costs randomness). */
u64 net_random_u64(struct net *net);
static inline u32 net_random_u32(struct net *net)
{
	return (u32)(net_random_u64(net) >> 32);
}

/*
 * The softirq entry: process received frames (net_rx_action) and expired
 * timers once. Returns the work done (frames + timers). Takes softirq_lock;
 * returns 0 at once if another thread is already in the softirq.
 */
int net_poll(struct net *net);
/*
 * (added by pkt) Like net_poll, but when another thread is in the softirq,
 * wait for it and then run once more: on return, work queued before the
 * call has been processed. Process context. Returns the work done here.
 */
int net_poll_wait(struct net *net);
/* Wake the stack's thread (threaded mode) or nothing (polled mode). */
void net_softirq_kick(struct net *net);
/*
 * Frames are waiting for @net's softirq (napi_schedule). Inside a socket
 * call (net_syscall_enter/exit) the calling thread runs a threaded stack's
 * softirq itself when the call ends, instead of waking its thread.
 */
void net_rx_kick(struct net *net);
void net_syscall_enter(struct net *net);
void net_syscall_exit(void);
void net_flush_deferred_rx(void);
/*
 * Wait helper for a thread blocked on @net: in threaded mode sleep on @w
 * until woken; in run-to-completion mode drive every stack on the same
 * clock (net_poll) until woken, advancing a virtual clock to the next timer
 * when nothing else is left to do. @deadline is on the stack clock
 * (UINT64_MAX = none). Returns true when woken, false at the deadline.
 */
bool net_wait(struct net *net, struct sl_waiter *w, u64 deadline);
/*
 * A socket call about to look at its queue: on a threaded stack with host
 * links (and busy polling on), read the links once first, so that a
 * reader that keeps calling takes in the frames that came since its last
 * call itself, and the stack's thread neither reads them nor wakes it.
 * @budget: at most that many frames per link (0: the link's NAPI weight,
 * which reads until the link is empty, one more read to learn it).
 */
void net_busy_poll_once(struct net *net, int budget);
/*
 * The calling thread is about to sleep in the kernel on other descriptors
 * (a poll set with kernel fds): a lease its socket calls took would keep
 * the stack's thread off the links meanwhile, so end it.
 */
void net_busy_poll_release(struct net *net);
/* Wait for every stack's softirq in progress to finish (grace period). */
void synchronize_net(void);
/* Iterate every live stack sharing @clk (used by net_wait). */
int net_poll_group(struct sl_clock *clk);

/* Counting drops by reason: kfree_skb_reason calls this. */
static inline void net_count_drop(struct net *net, enum skb_drop_reason r)
{
	if (net && r < SKB_DROP_REASON_MAX)
		__atomic_fetch_add(&net->drops[r], 1, __ATOMIC_RELAXED);
}

/*
 * (added by drivers) Host links (src/drivers/hostlink.c), for a stack with
 * devices on host descriptors (TAP, AF_PACKET). Threaded: the thread
 * sleeps in hostlink_sleep (ppoll on the descriptors and an eventfd, until
 * CLOCK_MONOTONIC @abs_ns, 0: no deadline) instead of on softirq_waiter,
 * and hostlink_kick wakes it there (a no-op unless it is in ppoll).
 * Polled: hostlink_poll makes every net_poll read every link.
 */
void hostlink_sleep(struct net *net, u64 abs_ns);
void hostlink_kick(struct net *net);
void hostlink_poll(struct net *net);
/*
 * Busy polling of host links by an application thread blocked in a socket
 * call (net_wait). hostlink_busy_poll (softirq lock held) reads every link
 * once and takes a short lease during which the threaded stack's thread
 * leaves the links' receive side to the poller (it does not ppoll them),
 * so a round trip wakes no thread of ours. hostlink_busy_poll_end gives
 * the links back at once, before the poller goes to sleep;
 * hostlink_busy_poll_release does so if a lease runs and no poller
 * sleeps on the links.
 */
void hostlink_busy_poll(struct net *net, int budget);
void hostlink_busy_poll_end(struct net *net);
void hostlink_busy_poll_release(struct net *net);
bool hostlink_busy_leased(struct net *net);
/*
 * hostlink_busy_sleep: the poller sleeps on the links instead of on its
 * waiter @w (woken through its doorbell) until CLOCK_MONOTONIC @abs_ns,
 * holding the lease meanwhile. Returns HOSTLINK_SLEEP_WOKEN if @w was
 * woken, | HOSTLINK_SLEEP_READY if a link has frames (the caller reads
 * them: hostlink_busy_poll); 0 at @abs_ns; -EBUSY when another thread
 * sleeps on the links already; -errno (no doorbell).
 */
#define HOSTLINK_SLEEP_WOKEN 1
#define HOSTLINK_SLEEP_READY 2
int hostlink_busy_sleep(struct net *net, struct sl_waiter *w, u64 abs_ns);

/* Free the trace callbacks of sl_trace_start (src/core/trace_ctl.c). */
void trace_sinks_free(struct net *net);

/* Sysctl knobs by Linux name ("net.ipv4.ip_default_ttl"). */
int net_sysctl_set(struct net *net, const char *name, const char *value);
int net_sysctl_get(struct net *net, const char *name, char *buf, size_t len);
void net_sysctl_defaults(struct net *net);

#endif
