/*
 * sl_ss_dump: every socket of a stack as `ss -tuwani` lists them, the data
 * that Linux's inet_diag hands to ss over netlink, printed directly.
 *
 * Order of the listing, as ss prints it: raw sockets, ping sockets, UDP,
 * then TCP (listeners from lhash first, then ehash: SYN_SENT and
 * established connections, request socks in SYN-RECV, orphans, timewait
 * socks). Each table is walked under its read lock only long enough to
 * take a reference to every socket in it (sk_diag_collect); the lines are
 * printed after the locks are gone, so a slow FILE never stalls the
 * receive path. For -i lines, tcp_get_info takes the socket lock as a
 * getsockopt(TCP_INFO) would.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sl/inet_connection_sock.h"
#include "sl/inet_diag.h"
#include "sl/inet_hashtables.h"
#include "sl/inet_sock.h"
#include "sl/inet_timewait_sock.h"
#include "sl/net_namespace.h"
#include "sl/sock.h"
#include "sl/tcp.h"
#include "sl/tcp_states.h"
#include "sl/types.h"

/* ss's names of the TCP states (ss.c sstate_name), UNCONN for TCP_CLOSE. */
static const char *const sk_state_name[] = {
	[TCP_ESTABLISHED] = "ESTAB",      [TCP_SYN_SENT] = "SYN-SENT",
	[TCP_SYN_RECV] = "SYN-RECV",      [TCP_FIN_WAIT1] = "FIN-WAIT-1",
	[TCP_FIN_WAIT2] = "FIN-WAIT-2",   [TCP_TIME_WAIT] = "TIME-WAIT",
	[TCP_CLOSE] = "UNCONN",           [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	[TCP_LAST_ACK] = "LAST-ACK",      [TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",        [TCP_NEW_SYN_RECV] = "SYN-RECV",
};

/* Referenced sockets of one table, printed once its lock is released. */
struct sk_diag_list {
	struct sock **sk;
	size_t n, cap;
};

static void sk_diag_collect(struct sock *sk, void *arg)
{
	struct sk_diag_list *l = arg;
	struct sock **grown;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;

		grown = realloc(l->sk, cap * sizeof(*grown));
		if (!grown)
			return;         /* a shorter listing, not a failure */
		l->sk = grown;
		l->cap = cap;
	}
	/* Any sock_common: full, request or timewait sock alike. */
	sock_gen_hold(sk);
	l->sk[l->n++] = sk;
}

static void sk_diag_release(struct sk_diag_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		sock_gen_put(l->sk[i]);
	free(l->sk);
	l->sk = NULL;
	l->n = l->cap = 0;
}

static const char *sk_diag_state(const struct sock *sk)
{
	unsigned int state = READ_ONCE(sk->sk_state);

	/* A timewait sock shows the state it stands for (ss's tw_substate). */
	if (state == TCP_TIME_WAIT)
		state = READ_ONCE(inet_twsk(sk)->tw_substate);
	if (state < sizeof(sk_state_name) / sizeof(*sk_state_name) &&
	    sk_state_name[state])
		return sk_state_name[state];
	return "UNKNOWN";
}

static void sk_diag_addr(char *buf, size_t len, __be32 addr, u16 port,
			 bool wild)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = addr };

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (wild)
		snprintf(buf, len, "%s:*", ip);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

/* One line: Netid State Recv-Q Send-Q Local:Port Peer:Port. */
static void sk_diag_line(FILE *out, const char *netid, const struct sock *sk,
			 u32 rq, u32 sq)
{
	const struct sock_common *c = &sk->__sk_common;
	char l[32], p[32];

	sk_diag_addr(l, sizeof(l), c->skc_rcv_saddr, c->skc_num, false);
	sk_diag_addr(p, sizeof(p), c->skc_daddr, ntohs(c->skc_dport),
		     !c->skc_daddr && !c->skc_dport);
	fprintf(out, "%-5s %-10s %-6u %-6u %21s %-21s\n", netid,
		sk_diag_state(sk), rq, sq, l, p);
}

/* Recv-Q and Send-Q as Linux's tcp_diag_get_info fills idiag_rqueue and
 * idiag_wqueue: the accept queue and backlog of a listener, else unread
 * and unacknowledged bytes. */
static void tcp_diag_queues(const struct sock *sk, u32 *rq, u32 *sq)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	int unread;

	*rq = *sq = 0;
	switch (READ_ONCE(sk->sk_state)) {
	case TCP_LISTEN:
		*rq = (u32)READ_ONCE(sk->sk_ack_backlog);
		*sq = (u32)READ_ONCE(sk->sk_max_ack_backlog);
		return;
	case TCP_TIME_WAIT:
	case TCP_NEW_SYN_RECV:
		return;
	}
	unread = (int)(READ_ONCE(tp->rcv_nxt) - READ_ONCE(tp->copied_seq));
	*rq = unread > 0 ? (u32)unread : 0;
	*sq = READ_ONCE(tp->write_seq) - READ_ONCE(tp->snd_una);
}

/* The `ss -i` line of a connection: what tcp_get_info reports. */
static void tcp_diag_info(FILE *out, struct sock *sk)
{
	const struct tcp_congestion_ops *ca = READ_ONCE(inet_csk(sk)->icsk_ca_ops);
	struct tcp_info ti;

	tcp_get_info(sk, &ti);
	fprintf(out, "\t %s%s%s", ca ? ca->name : "-",
		ti.tcpi_options & TCPI_OPT_SACK ? " sack" : "",
		ti.tcpi_options & TCPI_OPT_TIMESTAMPS ? " ts" : "");
	if (ti.tcpi_options & TCPI_OPT_WSCALE)
		fprintf(out, " wscale:%u,%u", ti.tcpi_snd_wscale,
			ti.tcpi_rcv_wscale);
	fprintf(out, " rto:%u rtt:%.3f/%.3f ato:%u mss:%u pmtu:%u rcvmss:%u "
		"advmss:%u cwnd:%u", ti.tcpi_rto / 1000, ti.tcpi_rtt / 1000.0,
		ti.tcpi_rttvar / 1000.0, ti.tcpi_ato / 1000, ti.tcpi_snd_mss,
		ti.tcpi_pmtu, ti.tcpi_rcv_mss, ti.tcpi_advmss,
		ti.tcpi_snd_cwnd);
	/* ss leaves ssthresh out while it is still "infinite". */
	if (ti.tcpi_snd_ssthresh < 0xffff)
		fprintf(out, " ssthresh:%u", ti.tcpi_snd_ssthresh);
	fprintf(out, " bytes_sent:%llu bytes_retrans:%llu bytes_acked:%llu "
		"bytes_received:%llu segs_out:%u segs_in:%u data_segs_out:%u "
		"data_segs_in:%u retrans:%u/%u lost:%u sacked:%u reordering:%u "
		"rcv_space:%u minrtt:%.3f snd_wnd:%u\n",
		(unsigned long long)ti.tcpi_bytes_sent,
		(unsigned long long)ti.tcpi_bytes_retrans,
		(unsigned long long)ti.tcpi_bytes_acked,
		(unsigned long long)ti.tcpi_bytes_received, ti.tcpi_segs_out,
		ti.tcpi_segs_in, ti.tcpi_data_segs_out, ti.tcpi_data_segs_in,
		ti.tcpi_retrans, ti.tcpi_total_retrans, ti.tcpi_lost,
		ti.tcpi_sacked, ti.tcpi_reordering, ti.tcpi_rcv_space,
		ti.tcpi_min_rtt / 1000.0, ti.tcpi_snd_wnd);
}

static void tcp_diag_collect(struct inet_hashinfo *h, struct sk_diag_list *l)
{
	struct sock *sk;
	u32 i;

	for (i = 0; i <= h->lhash_mask; i++) {
		read_lock(&h->lhash[i].lock);
		hlist_for_each_entry(sk, &h->lhash[i].head, sk_node)
			sk_diag_collect(sk, l);
		rwlock_unlock(&h->lhash[i].lock);
	}
	for (i = 0; i <= h->ehash_mask; i++) {
		if (!READ_ONCE(h->ehash[i].chain.first))
			continue;       /* most buckets are empty: skip the lock */
		read_lock(&h->ehash[i].lock);
		hlist_for_each_entry(sk, &h->ehash[i].chain, sk_node)
			sk_diag_collect(sk, l);
		rwlock_unlock(&h->ehash[i].lock);
	}
}

static void tcp_diag_dump(struct net *net, FILE *out, bool info)
{
	struct inet_hashinfo *h = tcp_hashinfo(net);
	struct sk_diag_list l = { 0 };
	unsigned int state;
	size_t i;
	u32 rq, sq;

	if (!h)
		return;
	tcp_diag_collect(h, &l);
	for (i = 0; i < l.n; i++) {
		tcp_diag_queues(l.sk[i], &rq, &sq);
		sk_diag_line(out, "tcp", l.sk[i], rq, sq);
		state = READ_ONCE(l.sk[i]->sk_state);
		/* Only full connections carry TCP_INFO data. */
		if (info && state != TCP_LISTEN && state != TCP_TIME_WAIT &&
		    state != TCP_NEW_SYN_RECV)
			tcp_diag_info(out, l.sk[i]);
	}
	sk_diag_release(&l);
}

/* Datagram sockets: Recv-Q and Send-Q are the memory charged to them
 * (sk_rmem_alloc, sk_wmem_alloc), as udp_diag reports. */
static void dgram_diag_dump(struct net *net, FILE *out, const char *netid,
			    void (*walk)(struct net *, sk_diag_fn, void *))
{
	struct sk_diag_list l = { 0 };
	size_t i;

	walk(net, sk_diag_collect, &l);
	for (i = 0; i < l.n; i++)
		sk_diag_line(out, netid, l.sk[i],
			     (u32)sk_rmem_alloc_get(l.sk[i]),
			     (u32)sk_wmem_alloc_get(l.sk[i]));
	sk_diag_release(&l);
}

/*
 * Print every socket of @net (see sockline.h). Process context: takes the
 * tables' read locks briefly and, with @info, each connection's socket
 * lock; never holds a lock while writing to @out.
 */
SL_EXPORT void sl_ss_dump(struct net *net, FILE *out, bool info)
{
	fprintf(out, "%-5s %-10s %-6s %-6s %21s %-21s\n", "Netid", "State",
		"Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port");
	dgram_diag_dump(net, out, "raw", raw_diag_walk);
	dgram_diag_dump(net, out, "icmp", ping_diag_walk);
	dgram_diag_dump(net, out, "udp", udp_diag_walk);
	tcp_diag_dump(net, out, info);
}
