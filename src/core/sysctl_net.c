/*
 * Per-stack sysctl knobs, by their Linux names ("net.ipv4.ip_default_ttl"
 * or "net/ipv4/ip_default_ttl"), with Linux's defaults.
 *
 * One table maps each name to a field of struct net; values are read and
 * written as text, as /proc/sys does, and checked against the same bounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl/net_namespace.h"
#include "sl/tcp.h"

enum ctl_type {
	CTL_INT,      /* int */
	CTL_INT_PAIR, /* int[2], "a b" */
	CTL_LONG,     /* long */
	CTL_NS_MS,    /* u64 ns shown in ms */
	CTL_NS_S,     /* u64 ns shown in seconds */
	CTL_INT_VEC3, /* int[3], "a b c" (tcp_rmem, tcp_wmem) */
	CTL_STRING,   /* char[16] */
	CTL_UINT,     /* unsigned int (tcp_notsent_lowat) */
};

struct ctl_table {
	const char *procname;
	size_t offset;
	enum ctl_type type;
	long min, max;
};

#define NET_OFF(field) offsetof(struct net, field)
#define INT_KNOB(name, field, lo, hi) { name, NET_OFF(field), CTL_INT, lo, hi }
#define NEIGH "net.ipv4.neigh.default."

static const struct ctl_table net_ctl_table[] = {
	INT_KNOB("net.core.somaxconn", core.sysctl_somaxconn, 0, 0x7fffffff),
	INT_KNOB("net.core.rmem_default", core.sysctl_rmem_default, 2304, 0x7fffffff),
	INT_KNOB("net.core.rmem_max", core.sysctl_rmem_max, 2304, 0x7fffffff),
	INT_KNOB("net.core.wmem_default", core.sysctl_wmem_default, 4608, 0x7fffffff),
	INT_KNOB("net.core.wmem_max", core.sysctl_wmem_max, 4608, 0x7fffffff),
	INT_KNOB("net.core.optmem_max", core.sysctl_optmem_max, 0, 0x7fffffff),
	INT_KNOB("net.core.netdev_budget", core.sysctl_netdev_budget, 1, 0x7fffffff),
	INT_KNOB("net.core.netdev_max_backlog", core.sysctl_netdev_max_backlog, 1, 0x7fffffff),
	INT_KNOB("net.core.dev_weight", core.sysctl_dev_weight, 1, 0x7fffffff),
	INT_KNOB("net.ipv4.ip_default_ttl", ipv4.sysctl_ip_default_ttl, 1, 255),
	INT_KNOB("net.ipv4.ip_forward", ipv4.sysctl_ip_forward, 0, 1),
	INT_KNOB("net.ipv4.ip_no_pmtu_disc", ipv4.sysctl_ip_no_pmtu_disc, 0, 3),
	{ "net.ipv4.ip_local_port_range", NET_OFF(ipv4.sysctl_ip_local_port_range),
	  CTL_INT_PAIR, 1, 65535 },
	{ "net.ipv4.ping_group_range", NET_OFF(ipv4.sysctl_ping_group_range),
	  CTL_INT_PAIR, 0, 0x7fffffff },
	INT_KNOB("net.ipv4.icmp_echo_ignore_all", ipv4.sysctl_icmp_echo_ignore_all, 0, 1),
	INT_KNOB("net.ipv4.icmp_echo_ignore_broadcasts",
		 ipv4.sysctl_icmp_echo_ignore_broadcasts, 0, 1),
	INT_KNOB("net.ipv4.icmp_ignore_bogus_error_responses",
		 ipv4.sysctl_icmp_ignore_bogus_error_responses, 0, 1),
	INT_KNOB("net.ipv4.icmp_ratelimit", ipv4.sysctl_icmp_ratelimit, 0, 0x7fffffff),
	INT_KNOB("net.ipv4.icmp_ratemask", ipv4.sysctl_icmp_ratemask, 0, 0x7fffffff),
	INT_KNOB("net.ipv4.icmp_msgs_per_sec", ipv4.sysctl_icmp_msgs_per_sec, 0, 0x7fffffff),
	INT_KNOB("net.ipv4.icmp_msgs_burst", ipv4.sysctl_icmp_msgs_burst, 0, 0x7fffffff),
	INT_KNOB("net.ipv4.icmp_errors_use_inbound_ifaddr",
		 ipv4.sysctl_icmp_errors_use_inbound_ifaddr, 0, 1),
	{ "net.ipv4.ipfrag_high_thresh", NET_OFF(ipv4.sysctl_ipfrag_high_thresh),
	  CTL_LONG, 0, 0x7fffffff },
	{ "net.ipv4.ipfrag_low_thresh", NET_OFF(ipv4.sysctl_ipfrag_low_thresh),
	  CTL_LONG, 0, 0x7fffffff },
	INT_KNOB("net.ipv4.ipfrag_time", ipv4.sysctl_ipfrag_time, 1, 0x7fffffff),
	INT_KNOB("net.ipv4.ipfrag_max_dist", ipv4.sysctl_ipfrag_max_dist, 0, 0x7fffffff),
	INT_KNOB("net.ipv4.ip_early_demux", ipv4.sysctl_ip_early_demux, 0, 1),
	INT_KNOB("net.ipv4.udp_rmem_min", ipv4.sysctl_udp_rmem_min, 1, 0x7fffffff),
	INT_KNOB("net.ipv4.udp_wmem_min", ipv4.sysctl_udp_wmem_min, 1, 0x7fffffff),
	INT_KNOB("net.ipv4.conf.all.rp_filter", ipv4.sysctl_conf_all_rp_filter, 0, 2),
	INT_KNOB("net.ipv4.conf.all.arp_ignore", ipv4.sysctl_conf_all_arp_ignore, 0, 8),
	INT_KNOB("net.ipv4.conf.all.arp_announce", ipv4.sysctl_conf_all_arp_announce, 0, 2),
	{ "net.ipv4.tcp_rmem", NET_OFF(ipv4.sysctl_tcp_rmem), CTL_INT_VEC3, 1, 0x7fffffff },
	{ "net.ipv4.tcp_wmem", NET_OFF(ipv4.sysctl_tcp_wmem), CTL_INT_VEC3, 1, 0x7fffffff },
	{ "net.ipv4.tcp_congestion_control", NET_OFF(ipv4.sysctl_tcp_congestion_control),
	  CTL_STRING, 0, 0 },
#define TCP_KNOB(n, lo, hi) INT_KNOB("net.ipv4." #n, ipv4.sysctl_##n, lo, hi)
	TCP_KNOB(tcp_timestamps, 0, 2),
	TCP_KNOB(tcp_sack, 0, 1),
	TCP_KNOB(tcp_dsack, 0, 1),
	TCP_KNOB(tcp_window_scaling, 0, 1),
	TCP_KNOB(tcp_syn_retries, 1, 127),
	TCP_KNOB(tcp_synack_retries, 0, 255),
	TCP_KNOB(tcp_retries1, 0, 255),
	TCP_KNOB(tcp_retries2, 0, 255),
	TCP_KNOB(tcp_orphan_retries, 0, 255),
	TCP_KNOB(tcp_fin_timeout, 0, 0x7fffffff),
	TCP_KNOB(tcp_keepalive_time, 1, 0x7fffffff),
	TCP_KNOB(tcp_keepalive_intvl, 1, 0x7fffffff),
	TCP_KNOB(tcp_keepalive_probes, 1, 127),
	TCP_KNOB(tcp_early_retrans, 0, 4),
	TCP_KNOB(tcp_recovery, 0, 0x7fffffff),
	TCP_KNOB(tcp_frto, 0, 2),
	TCP_KNOB(tcp_reordering, 1, 0x7fffffff),
	TCP_KNOB(tcp_max_reordering, 1, 0x7fffffff),
	TCP_KNOB(tcp_slow_start_after_idle, 0, 1),
	TCP_KNOB(tcp_syncookies, 0, 2),
	{ "net.ipv4.tcp_notsent_lowat", NET_OFF(ipv4.sysctl_tcp_notsent_lowat), CTL_UINT,
	  0, 0xffffffffL },
	INT_KNOB("net.ipv4.tcp_max_syn_backlog", ipv4.sysctl_max_syn_backlog, 1, 0x7fffffff),
	TCP_KNOB(tcp_abort_on_overflow, 0, 1),
	TCP_KNOB(tcp_rfc1337, 0, 1),
	TCP_KNOB(tcp_moderate_rcvbuf, 0, 1),
	TCP_KNOB(tcp_mtu_probing, 0, 2),
	TCP_KNOB(tcp_base_mss, 1, 65535),
	TCP_KNOB(tcp_min_snd_mss, 48, 65535),
	TCP_KNOB(tcp_adv_win_scale, -31, 31),
	TCP_KNOB(tcp_app_win, 0, 31),
	TCP_KNOB(tcp_tw_reuse, 0, 2),
	TCP_KNOB(tcp_max_tw_buckets, 0, 0x7fffffff),
	TCP_KNOB(tcp_ecn, 0, 2),
	TCP_KNOB(tcp_invalid_ratelimit, 0, 0x7fffffff),
	TCP_KNOB(tcp_challenge_ack_limit, 0, 0x7fffffff),
	TCP_KNOB(tcp_min_rtt_wlen, 0, 86400),
	TCP_KNOB(tcp_autocorking, 0, 1),
	TCP_KNOB(tcp_tso_win_divisor, 1, 0x7fffffff),
	TCP_KNOB(tcp_limit_output_bytes, 0, 0x7fffffff),
	TCP_KNOB(tcp_min_tso_segs, 1, 0x7fffffff),
	TCP_KNOB(tcp_pacing_ss_ratio, 0, 0x7fffffff),
	TCP_KNOB(tcp_pacing_ca_ratio, 0, 0x7fffffff),
	TCP_KNOB(tcp_retrans_collapse, 0, 1),
	TCP_KNOB(tcp_stdurg, 0, 1),
	TCP_KNOB(tcp_fastopen, 0, 0x7fffffff),
	TCP_KNOB(tcp_no_metrics_save, 0, 1),
	TCP_KNOB(tcp_workaround_signed_windows, 0, 1),
	TCP_KNOB(tcp_thin_linear_timeouts, 0, 1),
	TCP_KNOB(tcp_comp_sack_nr, 0, 255),
	TCP_KNOB(tcp_probe_threshold, 0, 0x7fffffff),
	TCP_KNOB(tcp_probe_interval, 0, 0x7fffffff),
	{ NEIGH "base_reachable_time_ms", NET_OFF(ipv4.arp_parms.base_reachable_time),
	  CTL_NS_MS, 1, 0x7fffffff },
	{ NEIGH "retrans_time_ms", NET_OFF(ipv4.arp_parms.retrans_time), CTL_NS_MS, 1,
	  0x7fffffff },
	{ NEIGH "delay_first_probe_time", NET_OFF(ipv4.arp_parms.delay_probe_time),
	  CTL_NS_S, 0, 0x7fffffff },
	{ NEIGH "gc_stale_time", NET_OFF(ipv4.arp_parms.gc_stale_time), CTL_NS_S, 0,
	  0x7fffffff },
	{ NEIGH "locktime", NET_OFF(ipv4.arp_parms.locktime), CTL_NS_MS, 0, 0x7fffffff },
	INT_KNOB(NEIGH "ucast_solicit", ipv4.arp_parms.ucast_probes, 0, 255),
	INT_KNOB(NEIGH "mcast_solicit", ipv4.arp_parms.mcast_probes, 0, 255),
	INT_KNOB(NEIGH "app_solicit", ipv4.arp_parms.app_probes, 0, 255),
	INT_KNOB(NEIGH "unres_qlen_bytes", ipv4.arp_parms.unres_qlen_bytes, 0, 0x7fffffff),
	INT_KNOB("net.ipv4.neigh.default.gc_thresh1", ipv4.arp_parms.gc_thresh1, 0, 0x7fffffff),
	INT_KNOB("net.ipv4.neigh.default.gc_thresh2", ipv4.arp_parms.gc_thresh2, 0, 0x7fffffff),
	INT_KNOB("net.ipv4.neigh.default.gc_thresh3", ipv4.arp_parms.gc_thresh3, 0, 0x7fffffff),
};

void net_sysctl_defaults(struct net *net)
{
	struct netns_ipv4 *v4 = &net->ipv4;
	struct neigh_parms *p = &v4->arp_parms;

	net->core.sysctl_somaxconn = 4096;
	net->core.sysctl_rmem_default = 212992;
	net->core.sysctl_rmem_max = 212992;
	net->core.sysctl_wmem_default = 212992;
	net->core.sysctl_wmem_max = 212992;
	net->core.sysctl_optmem_max = 131072;
	net->core.sysctl_netdev_budget = 300;
	net->core.sysctl_netdev_max_backlog = 1000;
	net->core.sysctl_dev_weight = 64;

	v4->sysctl_ip_default_ttl = 64;
	v4->sysctl_ip_forward = 0;
	v4->sysctl_ip_no_pmtu_disc = 0;
	v4->sysctl_ip_local_port_range[0] = 32768;
	v4->sysctl_ip_local_port_range[1] = 60999;
	/* Linux's built-in default is "1 0" (nobody); distributions set
	 * "0 2147483647" at boot, and so do we, so ping sockets work. */
	v4->sysctl_ping_group_range[0] = 0;
	v4->sysctl_ping_group_range[1] = 2147483647;
	v4->sysctl_icmp_echo_ignore_all = 0;
	v4->sysctl_icmp_echo_ignore_broadcasts = 1;
	v4->sysctl_icmp_ignore_bogus_error_responses = 1;
	v4->sysctl_icmp_ratelimit = 1000;
	v4->sysctl_icmp_ratemask = 0x1818;
	v4->sysctl_icmp_msgs_per_sec = 1000;
	v4->sysctl_icmp_msgs_burst = 50;
	v4->sysctl_ipfrag_high_thresh = 4 * 1024 * 1024;
	v4->sysctl_ipfrag_low_thresh = 3 * 1024 * 1024;
	v4->sysctl_ipfrag_time = 30;
	v4->sysctl_ipfrag_max_dist = 64;
	v4->sysctl_ip_early_demux = 1;
	v4->sysctl_udp_rmem_min = 4096;
	v4->sysctl_udp_wmem_min = 4096;

	v4->sysctl_tcp_rmem[0] = 4096;
	v4->sysctl_tcp_rmem[1] = 131072;
	v4->sysctl_tcp_rmem[2] = 6291456;
	v4->sysctl_tcp_wmem[0] = 4096;
	v4->sysctl_tcp_wmem[1] = 16384;
	v4->sysctl_tcp_wmem[2] = 4194304;
	v4->sysctl_tcp_timestamps = 1;
	v4->sysctl_tcp_sack = 1;
	v4->sysctl_tcp_dsack = 1;
	v4->sysctl_tcp_window_scaling = 1;
	v4->sysctl_tcp_syn_retries = 6;
	v4->sysctl_tcp_synack_retries = 5;
	v4->sysctl_tcp_retries1 = 3;
	v4->sysctl_tcp_retries2 = 15;
	v4->sysctl_tcp_orphan_retries = 0;
	v4->sysctl_tcp_fin_timeout = 60;
	v4->sysctl_tcp_keepalive_time = 7200;
	v4->sysctl_tcp_keepalive_intvl = 75;
	v4->sysctl_tcp_keepalive_probes = 9;
	v4->sysctl_tcp_early_retrans = 3;
	v4->sysctl_tcp_recovery = 1;
	v4->sysctl_tcp_frto = 2;
	v4->sysctl_tcp_reordering = 3;
	v4->sysctl_tcp_max_reordering = 300;
	strcpy(v4->sysctl_tcp_congestion_control, "cubic");
	v4->sysctl_tcp_slow_start_after_idle = 1;
	v4->sysctl_tcp_syncookies = 1;
	v4->sysctl_tcp_notsent_lowat = 0xffffffffU;
	v4->sysctl_max_syn_backlog = 128;
	v4->sysctl_tcp_moderate_rcvbuf = 1;
	v4->sysctl_tcp_base_mss = 1024;
	v4->sysctl_tcp_min_snd_mss = 48;
	v4->sysctl_tcp_adv_win_scale = 1;
	v4->sysctl_tcp_app_win = 31;
	v4->sysctl_tcp_tw_reuse = 2;
	v4->sysctl_tcp_max_tw_buckets = 262144;
	v4->sysctl_tcp_ecn = 2;
	v4->sysctl_tcp_invalid_ratelimit = 500;
	v4->sysctl_tcp_challenge_ack_limit = 0x7fffffff;
	v4->sysctl_tcp_min_rtt_wlen = 300;
	v4->sysctl_tcp_autocorking = 1;
	v4->sysctl_tcp_tso_win_divisor = 3;
	v4->sysctl_tcp_limit_output_bytes = 1048576;
	v4->sysctl_tcp_min_tso_segs = 2;
	v4->sysctl_tcp_pacing_ss_ratio = 200;
	v4->sysctl_tcp_pacing_ca_ratio = 120;
	v4->sysctl_tcp_retrans_collapse = 1;
	v4->sysctl_tcp_fastopen = 1;
	v4->sysctl_tcp_comp_sack_nr = 44;
	v4->sysctl_tcp_probe_threshold = 8;
	v4->sysctl_tcp_probe_interval = 600;

	p->base_reachable_time = 30 * NSEC_PER_SEC;
	p->retrans_time = 1 * NSEC_PER_SEC;
	p->delay_probe_time = 5 * NSEC_PER_SEC;
	p->gc_stale_time = 60 * NSEC_PER_SEC;
	p->locktime = 1 * NSEC_PER_SEC;
	p->ucast_probes = 3;
	p->mcast_probes = 3;
	p->app_probes = 0;
	p->unres_qlen_bytes = 212992;
	p->gc_thresh1 = 128;
	p->gc_thresh2 = 512;
	p->gc_thresh3 = 1024;
}

/* "net/ipv4/x" and "net.ipv4.x" name the same knob. */
static const struct ctl_table *ctl_find(const char *name)
{
	char norm[128];
	size_t i;

	if (strlen(name) >= sizeof(norm))
		return NULL;
	for (i = 0; name[i]; i++)
		norm[i] = name[i] == '/' ? '.' : name[i];
	norm[i] = '\0';
	for (i = 0; i < ARRAY_SIZE(net_ctl_table); i++)
		if (!strcmp(net_ctl_table[i].procname, norm))
			return &net_ctl_table[i];
	return NULL;
}

static int parse_long(const char **s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(*s, &end, 10);
	if (end == *s || errno)
		return -EINVAL;
	*s = end;
	return 0;
}

static bool in_range(const struct ctl_table *t, long v)
{
	return v >= t->min && v <= t->max;
}

/*
 * A name of up to 15 characters, surrounding white space ignored. As
 * Linux, tcp_congestion_control only takes a registered algorithm
 * (-ENOENT otherwise).
 */
static int ctl_write_string(const struct ctl_table *t, char *field,
			    const char *s)
{
	char name[16];
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strcspn(s, " \t\n");
	if (!n || n >= sizeof(name) || s[n + strspn(s + n, " \t\n")])
		return -EINVAL;
	memcpy(name, s, n);
	name[n] = '\0';
	if (t->offset == NET_OFF(ipv4.sysctl_tcp_congestion_control) &&
	    !tcp_ca_find(name))
		return -ENOENT;
	memcpy(field, name, n + 1);
	return 0;
}

static int ctl_write(struct net *net, const struct ctl_table *t, const char *s)
{
	void *field = (char *)net + t->offset;
	long a, b;

	if (t->type == CTL_STRING)
		return ctl_write_string(t, field, s);
	if (parse_long(&s, &a) || !in_range(t, a))
		return -EINVAL;
	switch (t->type) {
	case CTL_STRING:
		break;
	case CTL_UINT:
		WRITE_ONCE(*(unsigned int *)field, (unsigned int)a);
		break;
	case CTL_INT_VEC3: {
		long c;

		if (parse_long(&s, &b) || parse_long(&s, &c) || !in_range(t, b) ||
		    !in_range(t, c))
			return -EINVAL;
		WRITE_ONCE(((int *)field)[0], (int)a);
		WRITE_ONCE(((int *)field)[1], (int)b);
		WRITE_ONCE(((int *)field)[2], (int)c);
		break;
	}
	case CTL_INT:
		WRITE_ONCE(*(int *)field, (int)a);
		break;
	case CTL_INT_PAIR:
		if (parse_long(&s, &b) || !in_range(t, b))
			return -EINVAL;
		/* Linux rejects an inverted port range, takes any group range. */
		if (t->offset == NET_OFF(ipv4.sysctl_ip_local_port_range) && a >= b)
			return -EINVAL;
		WRITE_ONCE(((int *)field)[0], (int)a);
		WRITE_ONCE(((int *)field)[1], (int)b);
		break;
	case CTL_LONG:
		WRITE_ONCE(*(long *)field, a);
		break;
	case CTL_NS_MS:
		WRITE_ONCE(*(u64 *)field, (u64)a * NSEC_PER_MSEC);
		break;
	case CTL_NS_S:
		WRITE_ONCE(*(u64 *)field, (u64)a * NSEC_PER_SEC);
		break;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return *s ? -EINVAL : 0;
}

static int ctl_read(struct net *net, const struct ctl_table *t, char *buf,
		    size_t len)
{
	const void *field = (const char *)net + t->offset;
	int n = 0;

	switch (t->type) {
	case CTL_STRING:
		n = snprintf(buf, len, "%s", (const char *)field);
		break;
	case CTL_UINT:
		n = snprintf(buf, len, "%u", READ_ONCE(*(const unsigned int *)field));
		break;
	case CTL_INT_VEC3:
		n = snprintf(buf, len, "%d\t%d\t%d", ((const int *)field)[0],
			     ((const int *)field)[1], ((const int *)field)[2]);
		break;
	case CTL_INT:
		n = snprintf(buf, len, "%d", READ_ONCE(*(const int *)field));
		break;
	case CTL_INT_PAIR:
		n = snprintf(buf, len, "%d\t%d", ((const int *)field)[0],
			     ((const int *)field)[1]);
		break;
	case CTL_LONG:
		n = snprintf(buf, len, "%ld", READ_ONCE(*(const long *)field));
		break;
	case CTL_NS_MS:
		n = snprintf(buf, len, "%llu",
			     (unsigned long long)(*(const u64 *)field / NSEC_PER_MSEC));
		break;
	case CTL_NS_S:
		n = snprintf(buf, len, "%llu",
			     (unsigned long long)(*(const u64 *)field / NSEC_PER_SEC));
		break;
	}
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int net_sysctl_set(struct net *net, const char *name, const char *value)
{
	const struct ctl_table *t = ctl_find(name);

	if (!t)
		return -ENOENT;
	return ctl_write(net, t, value);
}

int net_sysctl_get(struct net *net, const char *name, char *buf, size_t len)
{
	const struct ctl_table *t = ctl_find(name);

	if (!t)
		return -ENOENT;
	return ctl_read(net, t, buf, len);
}

SL_EXPORT int sl_sysctl_set(struct net *net, const char *name, const char *value)
{
	int err = net && name && value ? net_sysctl_set(net, name, value) : -EINVAL;

	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

SL_EXPORT int sl_sysctl_get(struct net *net, const char *name, char *buf,
			    size_t len)
{
	int err = net && name && buf ? net_sysctl_get(net, name, buf, len) : -EINVAL;

	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}
