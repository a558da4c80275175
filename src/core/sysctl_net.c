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

enum ctl_type {
	CTL_INT,      /* int */
	CTL_INT_PAIR, /* int[2], "a b" */
	CTL_LONG,     /* long */
	CTL_NS_MS,    /* u64 ns shown in ms */
	CTL_NS_S,     /* u64 ns shown in seconds */
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

static int ctl_write(struct net *net, const struct ctl_table *t, const char *s)
{
	void *field = (char *)net + t->offset;
	long a, b;

	if (parse_long(&s, &a) || !in_range(t, a))
		return -EINVAL;
	switch (t->type) {
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
