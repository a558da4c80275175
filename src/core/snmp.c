/*
 * Reading the per-stack counters: by netstat name, or all of them in the
 * layout of /proc/net/snmp ("Ip: InReceives ..." then "Ip: 42 ...") and
 * /proc/net/netstat ("TcpExt: ..."), followed by drops by reason.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockline/sockline.h"
#include "sl/net_namespace.h"
#include "sl/snmp.h"

struct snmp_group {
	const char *name;        /* "Ip", "Icmp", "Udp", "Tcp", "TcpExt" */
	const char *const *names;
	size_t off;              /* of the u64 array in struct netns_mib */
	int max;
};

static const struct snmp_group snmp_groups[] = {
	{ "Ip", snmp_ip_names, offsetof(struct netns_mib, ip), IPSTATS_MIB_MAX },
	{ "Icmp", snmp_icmp_names, offsetof(struct netns_mib, icmp), ICMP_MIB_MAX },
	{ "Tcp", snmp_tcp_names, offsetof(struct netns_mib, tcp), TCP_MIB_MAX },
	{ "Udp", snmp_udp_names, offsetof(struct netns_mib, udp), UDP_MIB_MAX },
	{ "TcpExt", snmp_ext_names, offsetof(struct netns_mib, ext), LINUX_MIB_MAX },
};

static u64 snmp_read(struct net *net, const struct snmp_group *g, int i)
{
	const u64 *arr = (const u64 *)((const char *)&net->mib + g->off);

	return __atomic_load_n(&arr[i], __ATOMIC_RELAXED);
}

static int snmp_find(const struct snmp_group *g, const char *field)
{
	int i;

	for (i = 0; i < g->max; i++)
		if (g->names[i] && !strcmp(g->names[i], field))
			return i;
	return -1;
}

/* "IcmpMsg" per-type counters: "IcmpMsgInType8", "IcmpMsgOutType0". */
static int icmpmsg_get(struct net *net, const char *name, u64 *val)
{
	int type, out = 0;

	if (!strncmp(name, "OutType", 7))
		out = 1;
	else if (strncmp(name, "InType", 6))
		return -ENOENT;
	type = atoi(name + (out ? 7 : 6));
	if (type < 0 || type > 255)
		return -ENOENT;
	*val = __atomic_load_n(&net->mib.icmpmsg[out * 256 + type], __ATOMIC_RELAXED);
	return 0;
}

int snmp_get_by_name(struct net *net, const char *name, u64 *val)
{
	const struct snmp_group *g;
	size_t i, len;
	int idx;

	if (!strncmp(name, "IcmpMsg", 7))
		return icmpmsg_get(net, name + 7 + (name[7] == '.'), val);
	/* Longest group prefix first: "TcpExt" before "Tcp". */
	for (i = ARRAY_SIZE(snmp_groups); i-- > 0;) {
		g = &snmp_groups[i];
		len = strlen(g->name);
		if (strncmp(name, g->name, len))
			continue;
		idx = snmp_find(g, name + len + (name[len] == '.'));
		if (idx >= 0) {
			*val = snmp_read(net, g, idx);
			return 0;
		}
	}
	/* A bare TcpExt name ("ListenOverflows"). */
	idx = snmp_find(&snmp_groups[4], name);
	if (idx >= 0) {
		*val = snmp_read(net, &snmp_groups[4], idx);
		return 0;
	}
	return -ENOENT;
}

static void snmp_group_show(struct net *net, const struct snmp_group *g, FILE *f)
{
	int i;

	fprintf(f, "%s:", g->name);
	for (i = 0; i < g->max; i++)
		fprintf(f, " %s", g->names[i]);
	fprintf(f, "\n%s:", g->name);
	for (i = 0; i < g->max; i++)
		fprintf(f, " %llu", (unsigned long long)snmp_read(net, g, i));
	fputc('\n', f);
}

void snmp_seq_show(struct net *net, FILE *f)
{
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(snmp_groups); i++)
		snmp_group_show(net, &snmp_groups[i], f);
	fprintf(f, "Drops:");
	for (r = 1; r < SKB_DROP_REASON_MAX; r++)
		if (net->drops[r])
			fprintf(f, " %s=%llu", skb_drop_reason_names[r],
				(unsigned long long)net->drops[r]);
	fputc('\n', f);
}

SL_EXPORT int sl_snmp_get(struct net *net, const char *name, uint64_t *value)
{
	int err = net && name && value ? snmp_get_by_name(net, name, value) : -EINVAL;

	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

SL_EXPORT void sl_snmp_dump(struct net *net, FILE *out)
{
	snmp_seq_show(net, out);
}

SL_EXPORT uint64_t sl_drops_get(struct net *net, const char *reason)
{
	int r;

	for (r = 1; r < SKB_DROP_REASON_MAX; r++)
		if (skb_drop_reason_names[r] && !strcmp(skb_drop_reason_names[r], reason))
			return __atomic_load_n(&net->drops[r], __ATOMIC_RELAXED);
	return 0;
}
