/*
 * sockline: a user-space TCP/IP stack with Linux's socket architecture.
 *
 * This header manages stack instances (the role of Linux network
 * namespaces), their clocks, devices, addresses, routes, knobs, counters,
 * captures and traces. The socket calls themselves are in
 * <sockline/socket.h>.
 *
 * Conventions: functions returning int return 0 (or a count) on success
 * and -1 with errno set on failure, like system calls.
 */
#ifndef SOCKLINE_SOCKLINE_H
#define SOCKLINE_SOCKLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SOCKLINE_VERSION "0.1.0"

/* A stack instance (struct net inside). */
typedef struct net sl_net_t;
/* A clock shared by stacks that are driven together. */
typedef struct sl_clock sl_clock_t;

/* --- clocks --------------------------------------------------------------- */

/* A real (CLOCK_MONOTONIC) or virtual clock (moved only by sl_clock_advance). */
sl_clock_t *sl_clock_new(bool is_virtual);
void sl_clock_free(sl_clock_t *clk);
/* Nanoseconds since the clock's creation. */
uint64_t sl_clock_now_ns(const sl_clock_t *clk);
/* Virtual clocks: move to now + @ns, running every stack timer that expires
 * on the way, each at its own instant. */
void sl_clock_advance(sl_clock_t *clk, uint64_t ns);

/* --- stacks --------------------------------------------------------------- */

enum sl_net_mode {
	/* No thread: the application calls sl_net_poll (run to completion);
	 * blocking socket calls drive every stack on the same clock. */
	SL_NET_POLLED = 0,
	/* The stack's own thread does receive processing and timers;
	 * application threads block in socket calls. */
	SL_NET_THREADED = 1,
};

struct sl_net_config {
	const char *name;       /* for messages and traces; NULL: "netN" */
	enum sl_net_mode mode;
	sl_clock_t *clock;      /* NULL: a new real clock owned by the stack */
	uint64_t seed;          /* PRNG seed (MACs, IP IDs, ports); 0: random */
};

/* Create a stack with a loopback device (127.0.0.1/8). NULL + errno. */
sl_net_t *sl_net_create(const struct sl_net_config *cfg);
/* Close the stack's sockets, stop its thread, free everything. */
void sl_net_destroy(sl_net_t *net);
/* Run receive processing and expired timers once; returns work done. */
int sl_net_poll(sl_net_t *net);
/* Poll every stack on @clk until none has work left; returns work done. */
int sl_net_poll_all(sl_clock_t *clk);
sl_clock_t *sl_net_clock(sl_net_t *net);
const char *sl_net_name(const sl_net_t *net);
/*
 * The stack that sl_socket() uses in the calling thread (as setns(2) moves
 * a thread into a namespace). Initially the first stack created.
 */
int sl_net_enter(sl_net_t *net);
sl_net_t *sl_net_current(void);

/* --- devices, addresses, routes ------------------------------------------- */

/* Impairments of a virtual wire direction; all deterministic from seed. */
struct sl_wire_impair {
	double loss;            /* probability a frame is lost */
	double duplicate;       /* probability a frame is delivered twice */
	double reorder;         /* probability a frame is held back */
	double corrupt;         /* probability one random bit is flipped */
	uint64_t delay_ns;      /* one-way delay */
	uint64_t jitter_ns;     /* uniform extra delay in [0, jitter) */
	uint64_t rate_bps;      /* serialisation rate, 0 = unlimited */
	uint32_t queue_limit;   /* frames in flight on the wire (0: 10000) */
};

struct sl_wire_config {
	const char *name_a;     /* device names, NULL: "wire%d" */
	const char *name_b;
	unsigned int mtu;       /* 0: 1500 */
	bool gso;               /* carry segments up to 64 KiB whole (TSO-like) */
	uint64_t seed;          /* impairment PRNG seed */
	struct sl_wire_impair a_to_b;
	struct sl_wire_impair b_to_a;
};

/*
 * Join stacks @a and @b with an in-process virtual wire: creates an
 * Ethernet device in each, up. Returns 0 and the devices' ifindexes.
 */
int sl_wire_create(sl_net_t *a, sl_net_t *b, const struct sl_wire_config *cfg,
		   int *ifindex_a, int *ifindex_b);
/* Change a wire direction's impairments (from @net's device outwards). */
int sl_wire_set_impair(sl_net_t *net, const char *ifname,
		       const struct sl_wire_impair *imp);

/*
 * Real links (src/drivers/tap.c, src/drivers/af_packet.c). @spec names the
 * link as every command-line tool takes it:
 *   "tap:NAME"      a TAP device (IFF_TAP | IFF_NO_PI), created if it does
 *                   not exist and brought up on the host; the host side's
 *                   address is the user's to add (ip addr add);
 *   "packet:IFNAME" an existing host interface (one end of a veth pair,
 *                   say), reached through an AF_PACKET socket.
 * Creates an Ethernet device in @net named @cfg->name (NULL: NAME/IFNAME),
 * up, and returns its ifindex in @ifindex. Its frames are read in batches
 * by the stack's softirq (threaded mode: the stack thread also sleeps on
 * the link's descriptor; polled mode: every sl_net_poll polls it).
 */
struct sl_dev_config {
	const char *spec;       /* "tap:NAME" or "packet:IFNAME" */
	const char *name;       /* device name in the stack; NULL: from spec */
	unsigned int mtu;       /* 0: the link's own MTU (TAP: 1500) */
	int offload;            /* -1 default, 0 off, 1 on: TAP IFF_VNET_HDR
	                         * (packet: PACKET_VNET_HDR) with TSO/GSO and
	                         * partial checksums; -1 is on when it works */
	const uint8_t *mac;     /* 6 bytes; NULL: random, locally administered */
	bool multi_queue;       /* TAP: IFF_MULTI_QUEUE, so that other
	                         * processes (a forked child's stack) can
	                         * open queues of their own; falls back to a
	                         * single queue on a TAP made without it */
	bool tx_inline;         /* write every frame in the thread that sends
	                         * it; false: a threaded stack gives the link
	                         * a transmit thread for its data frames */
};
int sl_dev_attach(sl_net_t *net, const struct sl_dev_config *cfg, int *ifindex);

int sl_link_set_up(sl_net_t *net, const char *ifname, bool up);
int sl_link_set_mtu(sl_net_t *net, const char *ifname, unsigned int mtu);
int sl_link_index(sl_net_t *net, const char *ifname);
/* "A.B.C.D/P" on a device; adds the prefix route, announces with ARP. */
int sl_addr_add(sl_net_t *net, const char *ifname, const char *cidr);
int sl_addr_del(sl_net_t *net, const char *ifname, const char *cidr);
/* "A.B.C.D/P" or "default"; @gw may be NULL; @ifname may be NULL. */
int sl_route_add(sl_net_t *net, const char *dst, const char *gw,
		 const char *ifname);
int sl_route_del(sl_net_t *net, const char *dst, const char *gw,
		 const char *ifname);
/* Print `ip link`, `ip addr`, `ip route` and `ip neigh` style listings. */
void sl_net_dump(sl_net_t *net, FILE *out);

/* --- knobs and counters ---------------------------------------------------- */

/* Linux sysctl names: "net.ipv4.ip_default_ttl", "net.core.somaxconn". */
int sl_sysctl_set(sl_net_t *net, const char *name, const char *value);
int sl_sysctl_get(sl_net_t *net, const char *name, char *buf, size_t len);
/* A counter by its netstat name ("IpInReceives", "UdpNoPorts",
 * "IcmpInEchos"); -1/ENOENT for an unknown name. */
int sl_snmp_get(sl_net_t *net, const char *name, uint64_t *value);
/* All counters in /proc/net/snmp layout, plus drops by reason. */
void sl_snmp_dump(sl_net_t *net, FILE *out);
/* Packets dropped for @reason name ("NO_SOCKET", ...); 0 if unknown. */
uint64_t sl_drops_get(sl_net_t *net, const char *reason);
/* Device statistics. */
struct sl_link_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
};
int sl_link_stats(sl_net_t *net, const char *ifname, struct sl_link_stats *st);
/* Frames the stack's host links (TAP, AF_PACKET) have taken and not yet
 * written to the host. A link's transmit thread writes data frames after
 * the call that sent them returned: a process about to exit without
 * sl_net_destroy waits for 0, or they die with it. */
int sl_net_tx_pending(sl_net_t *net);

/* --- capture and tracing --------------------------------------------------- */

/* Capture every frame of @ifname (both directions) to a pcap file that
 * tcpdump -r and tshark -r read. Returns a handle id >= 0. */
int sl_pcap_start(sl_net_t *net, const char *ifname, const char *path);
int sl_pcap_stop(sl_net_t *net, int handle);

/*
 * Trace the next @count packets that @net originates: each records the
 * chain of stack functions it passes through, in every stack it reaches.
 * @done is called (in stack context) when a traced packet's life ends,
 * with the chain as "fn@stack" names.
 */
typedef void (*sl_trace_fn)(void *arg, unsigned int n, const char *const *fn,
			    const char *const *stack);
int sl_trace_start(sl_net_t *net, unsigned int count, sl_trace_fn done,
		   void *arg);

/*
 * Every socket of @net as `ss -tuani` lists them (src/ipv4/inet_diag.c):
 * netid, state, Recv-Q, Send-Q, local and peer address; with @info, TCP
 * lines add what `ss -i` shows (cwnd, srtt/rttvar, rto, retransmits,
 * bytes sent/acked/received, mss). Listeners, established, timewait,
 * UDP/ping/raw sockets alike.
 */
void sl_ss_dump(sl_net_t *net, FILE *out, bool info);

/* Live object counts for leak checks (process-wide). */
long sl_skb_live(void);
long sl_sock_live(void);

#ifdef __cplusplus
}
#endif

#endif
