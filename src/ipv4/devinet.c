/*
 * IPv4 addresses on devices (Linux's net/ipv4/devinet.c + fib_frontend.c's
 * address hooks).
 *
 * Each device that carries IPv4 has an in_device (dev->ip_ptr) with its
 * address list. inet_addr_add links the address, then (device up) adds the
 * routes Linux's fib_add_ifaddr adds: "local ADDR" and the broadcast
 * addresses in table local, the prefix route in table main, and announces
 * the address with a gratuitous ARP. inet_addr_del undoes it.
 *
 * Device events (ip_netdev_notifier, registered by ip_init): loopback UP
 * gets 127.0.0.1/8; DOWN flushes the device's routes, UP re-adds them;
 * UNREGISTER frees the in_device; CHANGEMTU invalidates cached routes.
 *
 * Address lists are guarded by net->ipv4.fib_lock (see fib_internal.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sl/ip.h"
#include "sl/neighbour.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/route.h"

#include "fib_internal.h"

/* An in_device and its place on the stack's list (fib_table.in_devs). */
struct in_dev_node {
	struct in_device idev;
	struct list_head list;
};

static struct in_dev_node *to_node(struct in_device *idev)
{
	return container_of(idev, struct in_dev_node, idev);
}

static bool inet_ifa_match(__be32 addr, const struct in_ifaddr *ifa)
{
	return !((addr ^ ifa->ifa_address) & ifa->ifa_mask);
}

/*
 * Secondary: another address of the same subnet came first (Linux's
 * IFA_F_SECONDARY). Only primaries are chosen as source addresses and
 * own the prefix route.
 */
static bool ifa_is_secondary(const struct in_ifaddr *ifa)
{
	const struct in_ifaddr *p;

	for (p = ifa->ifa_dev->ifa_list; p && p != ifa; p = p->ifa_next)
		if (p->ifa_mask == ifa->ifa_mask && inet_ifa_match(ifa->ifa_address, p))
			return true;
	return false;
}

/* fib_lock held for writing. */
static struct in_device *inetdev_init(struct fib_table *ft,
				      struct net_device *dev)
{
	struct in_dev_node *node;

	if (dev->ip_ptr)
		return dev->ip_ptr;
	node = calloc(1, sizeof(*node));
	if (!node)
		return NULL;
	node->idev.dev = dev;
	node->idev.refcnt = 1;
	list_add_tail(&node->list, &ft->in_devs);
	dev->ip_ptr = &node->idev;
	return &node->idev;
}

/* fib_lock held for writing. */
static void inetdev_destroy(struct in_device *idev)
{
	struct in_dev_node *node = to_node(idev);

	while (idev->ifa_list) {
		struct in_ifaddr *ifa = idev->ifa_list;

		idev->ifa_list = ifa->ifa_next;
		free(ifa);
	}
	idev->dev->ip_ptr = NULL;
	list_del(&node->list);
	free(node);
}

/* Stack exit: free the in_devices of devices still registered. */
void devinet_exit_net(struct net *net)
{
	struct fib_table *ft = net_fib(net);
	struct in_dev_node *node, *tmp;

	list_for_each_entry_safe(node, tmp, &ft->in_devs, list)
		inetdev_destroy(&node->idev);
}

/* --- routes of an address (Linux's fib_add_ifaddr / fib_del_ifaddr) --- */

static void fib_magic(struct net *net, bool add, u8 type, __be32 dst, int plen,
		      u8 scope, struct net_device *dev, __be32 prefsrc)
{
	struct fib_config cfg = {
		.fc_dst = dst, .fc_plen = (u8)plen, .fc_type = type,
		.fc_scope = scope, .fc_proto = RTPROT_KERNEL,
		.fc_oif = dev->ifindex, .fc_prefsrc = prefsrc,
	};

	/* -EEXIST (a second address of the subnet) and -ESRCH are normal. */
	if (add)
		fib_table_insert(net, &cfg);
	else
		fib_table_delete(net, &cfg);
}

static void fib_add_ifaddr(struct net *net, const struct in_ifaddr *ifa,
			   bool secondary)
{
	struct net_device *dev = ifa->ifa_dev->dev;
	bool lo = dev->flags & IFF_LOOPBACK;
	__be32 prefix = ifa->ifa_local & ifa->ifa_mask;
	__be32 brd = prefix | ~ifa->ifa_mask;

	fib_magic(net, true, RTN_LOCAL, ifa->ifa_local, 32, RT_SCOPE_HOST, dev,
		  ifa->ifa_local);
	if (ifa->ifa_broadcast && !ipv4_is_lbcast(ifa->ifa_broadcast))
		fib_magic(net, true, RTN_BROADCAST, ifa->ifa_broadcast, 32,
			  RT_SCOPE_LINK, dev, ifa->ifa_local);
	if (secondary || ipv4_is_zeronet(prefix) || ifa->ifa_prefixlen == 32)
		return;
	/* On loopback the whole prefix is local (127.0.0.0/8). */
	fib_magic(net, true, lo ? RTN_LOCAL : RTN_UNICAST, prefix,
		  ifa->ifa_prefixlen, lo ? RT_SCOPE_HOST : RT_SCOPE_LINK, dev,
		  ifa->ifa_local);
	if (ifa->ifa_prefixlen < 31)
		fib_magic(net, true, RTN_BROADCAST, brd, 32, RT_SCOPE_LINK, dev,
			  ifa->ifa_local);
	/* Limited broadcast through this device (not loopback: it would
	 * capture 255.255.255.255 for the first device created). */
	if (!lo)
		fib_magic(net, true, RTN_BROADCAST, htonl(INADDR_BROADCAST), 32,
			  RT_SCOPE_LINK, dev, ifa->ifa_local);
}

static void fib_del_ifaddr(struct net *net, const struct in_ifaddr *ifa,
			   bool subnet_left, bool dev_left)
{
	struct net_device *dev = ifa->ifa_dev->dev;
	__be32 prefix = ifa->ifa_local & ifa->ifa_mask;

	fib_magic(net, false, RTN_LOCAL, ifa->ifa_local, 32, 0, dev, 0);
	if (subnet_left)
		return;
	fib_magic(net, false, 0, prefix, ifa->ifa_prefixlen, 0, dev, 0);
	if (ifa->ifa_broadcast)
		fib_magic(net, false, RTN_BROADCAST, ifa->ifa_broadcast, 32, 0,
			  dev, 0);
	fib_magic(net, false, RTN_BROADCAST, prefix | ~ifa->ifa_mask, 32, 0,
		  dev, 0);
	if (!dev_left)
		fib_magic(net, false, RTN_BROADCAST, htonl(INADDR_BROADCAST), 32,
			  0, dev, 0);
}

/*
 * Add every address's routes (device came up). The list is copied under
 * the lock, then routes are added without it (fib_table_insert locks).
 */
static void fib_add_dev_addrs(struct net *net, struct net_device *dev)
{
	struct in_ifaddr *ifa;
	struct in_ifaddr copy[16];
	bool sec[16];
	int n = 0, i;

	read_lock(&net->ipv4.fib_lock);
	for (ifa = dev->ip_ptr ? dev->ip_ptr->ifa_list : NULL; ifa && n < 16;
	     ifa = ifa->ifa_next) {
		copy[n] = *ifa;
		sec[n++] = ifa_is_secondary(ifa);
	}
	rwlock_unlock(&net->ipv4.fib_lock);
	for (i = 0; i < n; i++)
		fib_add_ifaddr(net, &copy[i], sec[i]);
}

/* --- configuration ------------------------------------------------------ */

/*
 * Add @addr/@prefix_len to @dev: routes (when the device is up) and a
 * gratuitous ARP. 0, -EEXIST (same address and prefix), -EINVAL, -ENODEV,
 * -ENOMEM. Process context, any thread.
 */
int inet_addr_add(struct net_device *dev, __be32 addr, int prefix_len)
{
	struct net *net;
	struct in_ifaddr *ifa, **pp, copy;
	struct in_device *idev;
	bool secondary = false;
	int err;

	if (!dev)
		return -ENODEV;
	if (prefix_len < 0 || prefix_len > 32 || ipv4_is_multicast(addr) ||
	    ipv4_is_lbcast(addr) || !addr)
		return -EINVAL;
	net = dev_net(dev);
	if (!net_fib(net))
		return -ENODEV;
	ifa = calloc(1, sizeof(*ifa));
	if (!ifa)
		return -ENOMEM;
	ifa->ifa_local = ifa->ifa_address = addr;
	ifa->ifa_prefixlen = (u8)prefix_len;
	ifa->ifa_mask = inet_make_mask(prefix_len);
	if (prefix_len < 31) /* as `ip addr add ... brd +` */
		ifa->ifa_broadcast = addr | ~ifa->ifa_mask;
	ifa->ifa_scope = ipv4_is_loopback(addr) ? RT_SCOPE_HOST :
						  RT_SCOPE_UNIVERSE;

	write_lock(&net->ipv4.fib_lock);
	err = -ENOMEM;
	idev = inetdev_init(net_fib(net), dev);
	if (!idev)
		goto out_unlock;
	err = -EEXIST;
	for (pp = &idev->ifa_list; *pp; pp = &(*pp)->ifa_next)
		if ((*pp)->ifa_local == addr && (*pp)->ifa_mask == ifa->ifa_mask)
			goto out_unlock;
	ifa->ifa_dev = idev;
	*pp = ifa;
	secondary = ifa_is_secondary(ifa);
	copy = *ifa; /* for the routes, added without the lock */
	err = 0;
out_unlock:
	rwlock_unlock(&net->ipv4.fib_lock);
	if (err) {
		free(ifa);
		return err;
	}
	if (netif_running(dev)) {
		fib_add_ifaddr(net, &copy, secondary);
		if (!(dev->flags & (IFF_LOOPBACK | IFF_NOARP)))
			arp_announce(dev, addr);
	}
	fib_genid_bump(net);
	return 0;
}

static bool dev_has_subnet(const struct in_device *idev,
			   const struct in_ifaddr *ifa)
{
	const struct in_ifaddr *p;

	for (p = idev->ifa_list; p; p = p->ifa_next)
		if (p->ifa_mask == ifa->ifa_mask &&
		    inet_ifa_match(ifa->ifa_address, p))
			return true;
	return false;
}

/*
 * Remove @addr/@prefix_len from @dev and its routes; a secondary of the
 * same subnet takes over the prefix route (Linux's promote_secondaries).
 * 0 or -EADDRNOTAVAIL (Linux's answer for an unknown address), -ENODEV.
 */
int inet_addr_del(struct net_device *dev, __be32 addr, int prefix_len)
{
	struct net *net;
	struct in_ifaddr *ifa = NULL, **pp;
	struct in_ifaddr promote = { 0 };
	bool subnet_left = false, dev_left = false, have_promote = false;

	if (!dev)
		return -ENODEV;
	net = dev_net(dev);
	if (!net_fib(net))
		return -ENODEV;
	write_lock(&net->ipv4.fib_lock);
	for (pp = dev->ip_ptr ? &dev->ip_ptr->ifa_list : NULL; pp && *pp;
	     pp = &(*pp)->ifa_next) {
		if ((*pp)->ifa_local == addr &&
		    (*pp)->ifa_prefixlen == prefix_len) {
			ifa = *pp;
			*pp = ifa->ifa_next;
			break;
		}
	}
	if (ifa) {
		subnet_left = dev_has_subnet(dev->ip_ptr, ifa);
		dev_left = dev->ip_ptr->ifa_list != NULL;
	}
	rwlock_unlock(&net->ipv4.fib_lock);
	if (!ifa)
		return -EADDRNOTAVAIL;

	/* Routes carry the old address as source: rebuild them. */
	fib_del_ifaddr(net, ifa, false, dev_left);
	if (subnet_left && netif_running(dev)) {
		read_lock(&net->ipv4.fib_lock);
		for (pp = &dev->ip_ptr->ifa_list; *pp; pp = &(*pp)->ifa_next) {
			if ((*pp)->ifa_mask == ifa->ifa_mask &&
			    inet_ifa_match(ifa->ifa_address, *pp)) {
				promote = **pp;
				have_promote = true;
				break;
			}
		}
		rwlock_unlock(&net->ipv4.fib_lock);
		if (have_promote)
			fib_add_ifaddr(net, &promote, false);
	}
	free(ifa);
	fib_genid_bump(net);
	return 0;
}

/* --- lookups --------------------------------------------------------- */

/* Is @addr one of the stack's local addresses (table local says so)? */
bool inet_addr_is_local(struct net *net, __be32 addr)
{
	return ip_dev_find(net, addr) != NULL;
}

/*
 * Device owning @addr (Linux's __ip_dev_find): an exact address first,
 * else the device of a local route covering it (127.0.0.0/8 on lo).
 * No reference taken.
 */
struct net_device *ip_dev_find(struct net *net, __be32 addr)
{
	struct fib_table *ft = net_fib(net);
	struct net_device *dev = NULL;
	struct in_dev_node *node;
	struct in_ifaddr *ifa;
	struct flowi4 fl4 = { .daddr = addr };
	struct rtable *rt;

	if (!ft)
		return NULL;
	read_lock(&net->ipv4.fib_lock);
	list_for_each_entry(node, &ft->in_devs, list)
		for (ifa = node->idev.ifa_list; ifa; ifa = ifa->ifa_next)
			if (ifa->ifa_local == addr && !dev)
				dev = node->idev.dev;
	rwlock_unlock(&net->ipv4.fib_lock);
	if (dev || !ipv4_is_loopback(addr))
		return dev;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return NULL;
	if (rt->rt_type == RTN_LOCAL)
		dev = rt->dst.dev;
	ip_rt_put(rt);
	return dev;
}

static __be32 in_dev_select(const struct in_device *idev, __be32 dst,
			    int scope)
{
	const struct in_ifaddr *ifa;
	__be32 addr = 0;

	for (ifa = idev->ifa_list; ifa; ifa = ifa->ifa_next) {
		if (ifa->ifa_scope > scope || ifa_is_secondary(ifa))
			continue;
		if (!dst || inet_ifa_match(dst, ifa))
			return ifa->ifa_local;
		if (!addr)
			addr = ifa->ifa_local;
	}
	return addr;
}

/*
 * Linux's inet_select_addr with fib_lock held: a primary address of @dev
 * of scope <= @scope, preferring one on @dst's subnet; failing that, a
 * non-link-scope address of any device.
 */
__be32 __inet_select_addr(struct fib_table *ft, const struct net_device *dev,
			  __be32 dst, int scope)
{
	struct in_dev_node *node;
	const struct in_ifaddr *ifa;
	__be32 addr = 0;

	if (dev && dev->ip_ptr)
		addr = in_dev_select(dev->ip_ptr, dst, scope);
	if (addr)
		return addr;
	list_for_each_entry(node, &ft->in_devs, list) {
		for (ifa = node->idev.ifa_list; ifa; ifa = ifa->ifa_next) {
			if (ifa->ifa_scope != RT_SCOPE_LINK &&
			    ifa->ifa_scope <= scope && !ifa_is_secondary(ifa))
				return ifa->ifa_local;
		}
	}
	return 0;
}

/* Primary address of @dev in @scope or narrower (0 when none). */
__be32 inet_select_addr(const struct net_device *dev, __be32 dst, int scope)
{
	struct net *net = dev_net(dev);
	__be32 addr;

	if (!net_fib(net))
		return 0;
	read_lock(&net->ipv4.fib_lock);
	addr = __inet_select_addr(net_fib(net), dev, dst, scope);
	rwlock_unlock(&net->ipv4.fib_lock);
	return addr;
}

/* Is @addr 255.255.255.255 or a directed broadcast address of @dev? */
bool inet_addr_is_broadcast(const struct net_device *dev, __be32 addr)
{
	struct net *net = dev_net(dev);
	const struct in_ifaddr *ifa;
	bool ret = false;

	if (ipv4_is_lbcast(addr))
		return true;
	if (!net_fib(net))
		return false;
	read_lock(&net->ipv4.fib_lock);
	for (ifa = dev->ip_ptr ? dev->ip_ptr->ifa_list : NULL; ifa && !ret;
	     ifa = ifa->ifa_next) {
		if (ifa->ifa_broadcast == addr)
			ret = true;
		else if (ifa->ifa_prefixlen < 31 &&
			 addr == ((ifa->ifa_local & ifa->ifa_mask) | ~ifa->ifa_mask))
			ret = true;
	}
	rwlock_unlock(&net->ipv4.fib_lock);
	return ret;
}

/* --- device events ----------------------------------------------------- */

static bool dev_has_addr(struct net *net, struct net_device *dev, __be32 addr)
{
	const struct in_ifaddr *ifa;
	bool ret = false;

	read_lock(&net->ipv4.fib_lock);
	for (ifa = dev->ip_ptr ? dev->ip_ptr->ifa_list : NULL; ifa;
	     ifa = ifa->ifa_next)
		ret |= ifa->ifa_local == addr;
	rwlock_unlock(&net->ipv4.fib_lock);
	return ret;
}

static void inetdev_up(struct net *net, struct net_device *dev)
{
	__be32 lo_addr = htonl(INADDR_LOOPBACK);

	if ((dev->flags & IFF_LOOPBACK) && !dev_has_addr(net, dev, lo_addr)) {
		inet_addr_add(dev, lo_addr, 8);
		return;
	}
	fib_add_dev_addrs(net, dev);
	fib_genid_bump(net);
}

static void inetdev_unregister(struct net *net, struct net_device *dev)
{
	fib_flush_dev(net, dev);
	write_lock(&net->ipv4.fib_lock);
	if (dev->ip_ptr)
		inetdev_destroy(dev->ip_ptr);
	rwlock_unlock(&net->ipv4.fib_lock);
}

static int inetdev_event(struct notifier_block *nb, unsigned long event,
			 void *ptr)
{
	struct net_device *dev = ptr;
	struct net *net = dev_net(dev);

	if (!net || !net_fib(net))
		return 0;
	switch (event) {
	case NETDEV_UP:
		inetdev_up(net, dev);
		break;
	case NETDEV_DOWN:
		fib_flush_dev(net, dev);
		break;
	case NETDEV_CHANGEMTU:
		fib_genid_bump(net);
		break;
	case NETDEV_UNREGISTER:
		inetdev_unregister(net, dev);
		break;
	default:
		break;
	}
	return 0;
}

struct notifier_block ip_netdev_notifier = {
	.notifier_call = inetdev_event,
};
