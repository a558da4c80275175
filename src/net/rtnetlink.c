/*
 * Configuring a stack from the application: links, addresses, routes and
 * listings. This is the role of rtnetlink in Linux (what `ip link`,
 * `ip addr`, `ip route` and `ip neigh` talk to): text in, calls into
 * dev.c, devinet.c and route.c, -1/errno out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockline/sockline.h"
#include "sl/ip.h"
#include "sl/neighbour.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/route.h"

static int sl_ret(int err)
{
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return err;
}

/* "A.B.C.D/P" (P defaults to 32) or "default" (0.0.0.0/0). */
static int parse_prefix(const char *s, __be32 *addr, int *plen)
{
	char buf[INET_ADDRSTRLEN + 4];
	char *slash, *end;
	long p = 32;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "default")) {
		*addr = 0;
		*plen = 0;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		p = strtol(slash, &end, 10);
		if (end == slash || *end || p < 0 || p > 32)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, addr) != 1)
		return -EINVAL;
	*plen = (int)p;
	return 0;
}

static struct net_device *dev_by_name_or_err(struct net *net, const char *ifname,
					     int *err)
{
	struct net_device *dev = ifname ? dev_get_by_name(net, ifname) : NULL;

	*err = dev ? 0 : -ENODEV;
	return dev;
}

SL_EXPORT int sl_link_set_up(struct net *net, const char *ifname, bool up)
{
	struct net_device *dev;
	int err;

	dev = dev_by_name_or_err(net, ifname, &err);
	if (dev)
		err = up ? dev_open(dev) : dev_close(dev);
	return sl_ret(err);
}

SL_EXPORT int sl_link_set_mtu(struct net *net, const char *ifname,
			      unsigned int mtu)
{
	struct net_device *dev;
	int err;

	dev = dev_by_name_or_err(net, ifname, &err);
	if (dev)
		err = mtu > 0x7fffffff ? -EINVAL : dev_set_mtu(dev, (int)mtu);
	return sl_ret(err);
}

SL_EXPORT int sl_link_index(struct net *net, const char *ifname)
{
	struct net_device *dev;
	int err;

	dev = dev_by_name_or_err(net, ifname, &err);
	return sl_ret(dev ? dev->ifindex : err);
}

SL_EXPORT int sl_addr_add(struct net *net, const char *ifname, const char *cidr)
{
	struct net_device *dev;
	__be32 addr;
	int plen, err;

	dev = dev_by_name_or_err(net, ifname, &err);
	if (dev)
		err = parse_prefix(cidr, &addr, &plen);
	if (!err)
		err = inet_addr_add(dev, addr, plen);
	return sl_ret(err);
}

SL_EXPORT int sl_addr_del(struct net *net, const char *ifname, const char *cidr)
{
	struct net_device *dev;
	__be32 addr;
	int plen, err;

	dev = dev_by_name_or_err(net, ifname, &err);
	if (dev)
		err = parse_prefix(cidr, &addr, &plen);
	if (!err)
		err = inet_addr_del(dev, addr, plen);
	return sl_ret(err);
}

/* Shared by route add and del: parse destination, gateway and device. */
static int route_args(struct net *net, const char *dst, const char *gw,
		      const char *ifname, __be32 *d, int *plen, __be32 *g,
		      int *oif)
{
	struct net_device *dev;
	int err;

	err = parse_prefix(dst, d, plen);
	if (err)
		return err;
	*g = 0;
	if (gw && inet_pton(AF_INET, gw, g) != 1)
		return -EINVAL;
	*oif = 0;
	if (ifname) {
		dev = dev_by_name_or_err(net, ifname, &err);
		if (!dev)
			return err;
		*oif = dev->ifindex;
	}
	if (!*g && !*oif)
		return -EINVAL; /* as `ip route add 10.0.0.0/8` with nothing else */
	/* Host bits set in the destination: Linux says "Invalid prefix". */
	if (*d & ~inet_make_mask(*plen))
		return -EINVAL;
	return 0;
}

SL_EXPORT int sl_route_add(struct net *net, const char *dst, const char *gw,
			   const char *ifname)
{
	__be32 d, g;
	int plen, oif, err;

	err = route_args(net, dst, gw, ifname, &d, &plen, &g, &oif);
	if (!err)
		err = fib_route_add(net, d, plen, g, oif, RTN_UNICAST,
				    g ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK, 0, 0);
	return sl_ret(err);
}

SL_EXPORT int sl_route_del(struct net *net, const char *dst, const char *gw,
			   const char *ifname)
{
	__be32 d, g;
	int plen, oif, err;

	err = parse_prefix(dst, &d, &plen);
	if (!err) {
		err = route_args(net, dst, gw, ifname, &d, &plen, &g, &oif);
		if (err == -EINVAL && !gw && !ifname)
			err = 0, g = 0, oif = 0; /* `ip route del PREFIX` */
	}
	if (!err)
		err = fib_route_del(net, d, plen, g, oif);
	return sl_ret(err);
}

/* --- listings ------------------------------------------------------------- */

static void dump_link(struct net_device *dev, FILE *out)
{
	const u8 *m = dev->dev_addr;

	fprintf(out, "%d: %s: <%s%s%s> mtu %u qlen %u\n", dev->ifindex, dev->name,
		dev->flags & IFF_LOOPBACK ? "LOOPBACK," : "BROADCAST,",
		dev->flags & IFF_UP ? "UP," : "", "LOWER_UP", dev->mtu,
		dev->tx_queue_len);
	fprintf(out, "    link/%s %02x:%02x:%02x:%02x:%02x:%02x\n",
		dev->flags & IFF_LOOPBACK ? "loopback" : "ether", m[0], m[1], m[2],
		m[3], m[4], m[5]);
	fprintf(out, "    RX: %llu packets %llu bytes %llu dropped  TX: %llu packets "
		     "%llu bytes %llu dropped\n",
		(unsigned long long)dev->stats.rx_packets,
		(unsigned long long)dev->stats.rx_bytes,
		(unsigned long long)dev->stats.rx_dropped,
		(unsigned long long)dev->stats.tx_packets,
		(unsigned long long)dev->stats.tx_bytes,
		(unsigned long long)dev->stats.tx_dropped);
}

static void dump_addrs(struct net_device *dev, FILE *out)
{
	char a[INET_ADDRSTRLEN];
	struct in_ifaddr *ifa;

	if (!dev->ip_ptr)
		return;
	for (ifa = dev->ip_ptr->ifa_list; ifa; ifa = ifa->ifa_next) {
		inet_ntop(AF_INET, &ifa->ifa_local, a, sizeof(a));
		fprintf(out, "    inet %s/%u scope %s\n", a, ifa->ifa_prefixlen,
			ifa->ifa_scope == RT_SCOPE_HOST ? "host" : "global");
	}
}

static void emit_line(void *arg, const char *line)
{
	fprintf((FILE *)arg, "%s\n", line);
}

static void dump_neigh(struct neighbour *n, void *arg)
{
	char a[INET_ADDRSTRLEN];
	const u8 *m = n->ha;

	inet_ntop(AF_INET, &n->primary_key, a, sizeof(a));
	fprintf((FILE *)arg, "%s dev %s lladdr %02x:%02x:%02x:%02x:%02x:%02x %s\n", a,
		n->dev->name, m[0], m[1], m[2], m[3], m[4], m[5],
		neigh_state_name(n->nud_state));
}

SL_EXPORT void sl_net_dump(struct net *net, FILE *out)
{
	struct net_device *dev;

	fprintf(out, "# stack %s: links and addresses\n", net->name);
	pthread_mutex_lock(&net->dev_lock);
	list_for_each_entry(dev, &net->dev_base_head, dev_list) {
		dump_link(dev, out);
		dump_addrs(dev, out);
	}
	pthread_mutex_unlock(&net->dev_lock);
	fprintf(out, "# routes\n");
	fib_dump(net, emit_line, out);
	fprintf(out, "# neighbours\n");
	if (net->ipv4.arp_tbl)
		neigh_for_each(net->ipv4.arp_tbl, dump_neigh, out);
}
