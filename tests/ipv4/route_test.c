/*
 * route.c: longest-prefix match over thousands of routes, metrics,
 * gateways, local/broadcast/unreachable results, source selection, the
 * cached rtables and socket route validation, PMTU exceptions and the
 * `ip route` dump. Stack a of an sl_pair (10.0.0.1/24 on wire0).
 */
#include <stdio.h>

#include "ip_test_util.h"

#include "sl/sock.h"

struct ctx {
	struct sl_pair p;
	struct net *a;
	struct net_device *dev;
};

static int setup(void **state)
{
	static struct ctx c;

	sl_pair_setup(&c.p, NULL);
	c.a = c.p.a;
	c.dev = devn(c.a, "wire0");
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	sl_pair_teardown(&c->p);
	return 0;
}

/* Route @dst and return the result (referenced) with @fl4 filled. */
static struct rtable *route(struct net *net, const char *dst, struct flowi4 *fl4)
{
	memset(fl4, 0, sizeof(*fl4));
	fl4->daddr = ipa(dst);
	return ip_route_output_key(net, fl4);
}

static long route_err(struct net *net, const char *dst)
{
	struct flowi4 fl4;
	struct rtable *rt = route(net, dst, &fl4);

	if (!IS_ERR(rt)) {
		ip_rt_put(rt);
		return 0;
	}
	return PTR_ERR(rt);
}

static __be32 gw_of(struct net *net, const char *dst)
{
	struct flowi4 fl4;
	struct rtable *rt = route(net, dst, &fl4);
	__be32 gw;

	assert_false(IS_ERR(rt));
	gw = rt->rt_gateway;
	ip_rt_put(rt);
	return gw;
}

static int add(struct net *net, const char *dst, int plen, const char *gw,
	       u32 metric)
{
	return fib_route_add(net, ipa(dst), plen, gw ? ipa(gw) : 0, 0,
			     RTN_UNICAST, RT_SCOPE_UNIVERSE, metric, 0);
}

static void test_connected_route_and_source(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4;
	struct rtable *rt = route(c->a, "10.0.0.2", &fl4);

	assert_false(IS_ERR(rt));
	assert_int_equal(rt->rt_type, RTN_UNICAST);
	assert_ptr_equal(rt->dst.dev, c->dev);
	assert_int_equal(rt->rt_gateway, 0);
	assert_int_equal(fl4.saddr, ipa("10.0.0.1"));
	assert_int_equal(dst_mtu(&rt->dst), 1500);
	ip_rt_put(rt);
}

static void test_no_route_is_enetunreach(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(route_err(c->a, "192.0.2.1"), -ENETUNREACH);
}

static void test_lpm_with_thousands_of_routes(void **state)
{
	struct ctx *c = *state;
	char dst[32], gw[32];
	int i;

	assert_int_equal(add(c->a, "0.0.0.0", 0, "10.0.0.254", 0), 0);
	assert_int_equal(add(c->a, "20.0.0.0", 8, "10.0.0.200", 0), 0);
	assert_int_equal(add(c->a, "20.1.0.0", 16, "10.0.0.201", 0), 0);
	for (i = 0; i < 4000; i++) {
		snprintf(dst, sizeof(dst), "20.%d.%d.0", 1 + i / 256, i % 256);
		snprintf(gw, sizeof(gw), "10.0.0.%d", 2 + i % 100);
		assert_int_equal(add(c->a, dst, 24, gw, 0), 0);
	}
	assert_int_equal(add(c->a, "20.1.5.77", 32, "10.0.0.202", 0), 0);

	for (i = 0; i < 4000; i += 37) {
		snprintf(dst, sizeof(dst), "20.%d.%d.9", 1 + i / 256, i % 256);
		snprintf(gw, sizeof(gw), "10.0.0.%d", 2 + i % 100);
		assert_int_equal(gw_of(c->a, dst), ipa(gw));
	}
	assert_int_equal(gw_of(c->a, "20.1.5.77"), ipa("10.0.0.202"));
	assert_int_equal(gw_of(c->a, "20.1.5.78"), ipa("10.0.0.7"));
	assert_int_equal(gw_of(c->a, "20.200.1.1"), ipa("10.0.0.200"));
	assert_int_equal(gw_of(c->a, "8.8.8.8"), ipa("10.0.0.254"));
	/* the connected route stays more specific than the default */
	assert_int_equal(gw_of(c->a, "10.0.0.9"), 0);

	/* deleting the /32 uncovers the /24 */
	assert_int_equal(fib_route_del(c->a, ipa("20.1.5.77"), 32, 0, 0), 0);
	assert_int_equal(gw_of(c->a, "20.1.5.77"), ipa("10.0.0.7"));
}

static void test_gateway_source_is_outgoing_device_address(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4;
	struct rtable *rt;

	assert_int_equal(add(c->a, "0.0.0.0", 0, "10.0.0.2", 0), 0);
	rt = route(c->a, "198.51.100.1", &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(rt->rt_gateway, ipa("10.0.0.2"));
	assert_true(rt->rt_uses_gateway);
	assert_int_equal(rt_nexthop(rt, fl4.daddr), ipa("10.0.0.2"));
	assert_int_equal(fl4.saddr, ipa("10.0.0.1"));
	ip_rt_put(rt);
}

static void test_metric_breaks_ties(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(add(c->a, "30.0.0.0", 8, "10.0.0.5", 200), 0);
	assert_int_equal(add(c->a, "30.0.0.0", 8, "10.0.0.6", 100), 0);
	assert_int_equal(gw_of(c->a, "30.1.1.1"), ipa("10.0.0.6"));
	assert_int_equal(fib_route_del(c->a, ipa("30.0.0.0"), 8, ipa("10.0.0.6"), 0), 0);
	assert_int_equal(gw_of(c->a, "30.1.1.1"), ipa("10.0.0.5"));
}

static void test_configuration_errors(void **state)
{
	struct ctx *c = *state;

	/* the gateway must be on a link route (Linux: -ENETUNREACH) */
	assert_int_equal(add(c->a, "40.0.0.0", 8, "172.16.0.1", 0), -ENETUNREACH);
	/* nor may it be one of our addresses */
	assert_int_equal(add(c->a, "40.0.0.0", 8, "10.0.0.1", 0), -EINVAL);
	/* host bits set */
	assert_int_equal(add(c->a, "40.0.0.1", 8, "10.0.0.2", 0), -EINVAL);
	assert_int_equal(add(c->a, "40.0.0.0", 33, "10.0.0.2", 0), -EINVAL);
	assert_int_equal(add(c->a, "40.0.0.0", 8, "10.0.0.2", 0), 0);
	assert_int_equal(add(c->a, "40.0.0.0", 8, "10.0.0.3", 0), -EEXIST);
	/* no gateway and no device */
	assert_int_equal(add(c->a, "41.0.0.0", 8, NULL, 0), -EINVAL);
	assert_int_equal(fib_route_add(c->a, ipa("41.0.0.0"), 8, 0, 999,
				       RTN_UNICAST, 0, 0, 0), -ENODEV);
	assert_int_equal(fib_route_del(c->a, ipa("42.0.0.0"), 8, 0, 0), -ESRCH);
}

static void test_unreachable_route(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(fib_route_add(c->a, ipa("50.0.0.0"), 8, 0, 0,
				       RTN_UNREACHABLE, 0, 0, 0), 0);
	assert_int_equal(route_err(c->a, "50.1.2.3"), -EHOSTUNREACH);
	assert_int_equal(fib_route_add(c->a, ipa("51.0.0.0"), 8, 0, 0,
				       RTN_PROHIBIT, 0, 0, 0), 0);
	assert_int_equal(route_err(c->a, "51.1.2.3"), -EACCES);
}

static void test_local_destination_loops_through_lo(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4;
	struct rtable *rt;

	rt = route(c->a, "10.0.0.1", &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(rt->rt_type, RTN_LOCAL);
	assert_ptr_equal(rt->dst.dev, c->a->loopback_dev);
	assert_int_equal(fl4.saddr, ipa("10.0.0.1"));
	ip_rt_put(rt);

	rt = route(c->a, "127.0.0.53", &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(rt->rt_type, RTN_LOCAL);
	assert_int_equal(fl4.saddr, ipa("127.0.0.1"));
	ip_rt_put(rt);

	/* Linux: no destination at all means 127.0.0.1 */
	rt = route(c->a, "0.0.0.0", &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(rt->rt_type, RTN_LOCAL);
	assert_int_equal(fl4.daddr, ipa("127.0.0.1"));
	ip_rt_put(rt);
}

static void test_broadcast_routes(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4;
	struct rtable *rt;

	rt = route(c->a, "10.0.0.255", &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(rt->rt_type, RTN_BROADCAST);
	assert_ptr_equal(rt->dst.dev, c->dev);
	ip_rt_put(rt);

	rt = route(c->a, "255.255.255.255", &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(rt->rt_type, RTN_BROADCAST);
	assert_ptr_equal(rt->dst.dev, c->dev);
	assert_int_equal(fl4.saddr, ipa("10.0.0.1"));
	ip_rt_put(rt);

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = ipa("255.255.255.255");
	fl4.flowi4_oif = c->dev->ifindex;
	rt = ip_route_output_key(c->a, &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(rt->rt_type, RTN_BROADCAST);
	ip_rt_put(rt);
}

static void test_source_and_oif_constraints(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4 = { .daddr = ipa("10.0.0.2"), .saddr = ipa("10.9.9.9") };
	struct rtable *rt;

	/* Linux: a source address that is not ours -> -ENETUNREACH */
	rt = ip_route_output_key(c->a, &fl4);
	assert_true(IS_ERR(rt));
	assert_int_equal(PTR_ERR(rt), -ENETUNREACH);
	fl4.saddr = ipa("224.0.0.1");
	assert_int_equal(PTR_ERR(ip_route_output_key(c->a, &fl4)), -EINVAL);

	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = ipa("10.0.0.2");
	fl4.flowi4_oif = 4242;
	assert_int_equal(PTR_ERR(ip_route_output_key(c->a, &fl4)), -ENODEV);

	/* With a device and no route, Linux assumes the destination on link. */
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = ipa("192.0.2.99");
	fl4.flowi4_oif = c->dev->ifindex;
	rt = ip_route_output_key(c->a, &fl4);
	assert_false(IS_ERR(rt));
	assert_ptr_equal(rt->dst.dev, c->dev);
	assert_int_equal(rt->rt_gateway, 0);
	assert_int_equal(fl4.saddr, ipa("10.0.0.1"));
	ip_rt_put(rt);
}

static void test_results_are_cached_not_allocated(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4;
	struct rtable *r1 = route(c->a, "10.0.0.2", &fl4);
	struct rtable *r2 = route(c->a, "10.0.0.77", &fl4);

	assert_ptr_equal(r1, r2); /* one rtable per FIB entry, referenced */
	assert_true(r1->dst.refcnt >= 3);
	ip_rt_put(r1);
	ip_rt_put(r2);
}

static void test_socket_route_invalidated_by_changes(void **state)
{
	struct ctx *c = *state;
	struct sock sk;
	struct flowi4 fl4;
	struct rtable *rt = route(c->a, "60.0.0.1", &fl4);
	struct dst_entry *d;

	assert_true(IS_ERR(rt));
	assert_int_equal(add(c->a, "60.0.0.0", 8, "10.0.0.2", 0), 0);
	memset(&sk, 0, sizeof(sk));
	sk.sk_net = c->a;
	rt = route(c->a, "60.0.0.1", &fl4);
	assert_false(IS_ERR(rt));
	sk_dst_set(&sk, &rt->dst);

	d = __sk_dst_check(&sk);
	assert_ptr_equal(d, &rt->dst);
	dst_release(d);

	/* A more specific route appears: the cached route is stale. */
	assert_int_equal(add(c->a, "60.0.0.0", 24, "10.0.0.3", 0), 0);
	assert_null(__sk_dst_check(&sk));
	assert_null(sk.sk_dst_cache);
	assert_int_equal(gw_of(c->a, "60.0.0.1"), ipa("10.0.0.3"));

	/* Deleting a route makes its rtable obsolete. */
	rt = route(c->a, "60.0.0.1", &fl4);
	sk_dst_set(&sk, &rt->dst);
	assert_int_equal(fib_route_del(c->a, ipa("60.0.0.0"), 24, 0, 0), 0);
	assert_null(__sk_dst_check(&sk));
	sk_dst_reset(&sk);
}

static void test_pmtu_exception(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4;
	struct rtable *rt;
	struct sock sk;

	assert_int_equal(add(c->a, "70.0.0.0", 8, "10.0.0.2", 0), 0);
	memset(&sk, 0, sizeof(sk));
	sk.sk_net = c->a;
	rt = route(c->a, "70.0.0.1", &fl4);
	sk_dst_set(&sk, &rt->dst);

	ipv4_update_pmtu(c->a, ipa("70.0.0.1"), 1200);
	assert_null(__sk_dst_check(&sk)); /* the socket must pick it up */
	rt = route(c->a, "70.0.0.1", &fl4);
	assert_int_equal(dst_mtu(&rt->dst), 1200);
	assert_int_equal(rt->rt_gateway, ipa("10.0.0.2"));
	ip_rt_put(rt);
	rt = route(c->a, "70.0.0.2", &fl4); /* other destinations keep 1500 */
	assert_int_equal(dst_mtu(&rt->dst), 1500);
	ip_rt_put(rt);

	/* increases are ignored; tiny values clamp to ip_rt_min_pmtu (552) */
	ipv4_update_pmtu(c->a, ipa("70.0.0.1"), 1400);
	rt = route(c->a, "70.0.0.1", &fl4);
	assert_int_equal(dst_mtu(&rt->dst), 1200);
	ip_rt_put(rt);
	ipv4_update_pmtu(c->a, ipa("70.0.0.1"), 300);
	rt = route(c->a, "70.0.0.1", &fl4);
	assert_int_equal(dst_mtu(&rt->dst), 552);
	sk_dst_set(&sk, &rt->dst);

	/* ip_rt_mtu_expires: 10 minutes later the device MTU is back */
	sl_clock_advance(c->p.clk, 599ULL * NSEC_PER_SEC);
	rt = route(c->a, "70.0.0.1", &fl4);
	assert_int_equal(dst_mtu(&rt->dst), 552);
	ip_rt_put(rt);
	sl_clock_advance(c->p.clk, 2ULL * NSEC_PER_SEC);
	assert_null(__sk_dst_check(&sk));
	rt = route(c->a, "70.0.0.1", &fl4);
	assert_int_equal(dst_mtu(&rt->dst), 1500);
	ip_rt_put(rt);
}

static char dump_buf[4096];

static void emit(void *arg, const char *line)
{
	(void)arg;
	strncat(dump_buf, line, sizeof(dump_buf) - strlen(dump_buf) - 2);
	strcat(dump_buf, "\n");
}

static void test_dump_in_ip_route_form(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(add(c->a, "0.0.0.0", 0, "10.0.0.254", 0), 0);
	assert_int_equal(add(c->a, "80.0.0.0", 8, "10.0.0.2", 100), 0);
	dump_buf[0] = 0;
	fib_dump(c->a, emit, NULL);
	assert_non_null(strstr(dump_buf, "default via 10.0.0.254 dev wire0\n"));
	assert_non_null(strstr(dump_buf, "80.0.0.0/8 via 10.0.0.2 dev wire0 metric 100\n"));
	assert_non_null(strstr(dump_buf,
		"10.0.0.0/24 dev wire0 proto kernel scope link src 10.0.0.1\n"));
	assert_non_null(strstr(dump_buf,
		"local 10.0.0.1 dev wire0 table local proto kernel scope host src 10.0.0.1\n"));
	assert_non_null(strstr(dump_buf,
		"broadcast 10.0.0.255 dev wire0 table local proto kernel scope link src 10.0.0.1\n"));
	assert_non_null(strstr(dump_buf,
		"local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1\n"));
	/* `ip route` order: default first */
	assert_ptr_equal(strstr(dump_buf, "default"), dump_buf);
}

static void test_link_down_flushes_and_up_restores(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(sl_link_set_up(c->a, "wire0", false), 0);
	assert_int_equal(route_err(c->a, "10.0.0.2"), -ENETUNREACH);
	/* Linux drops the local routes too; the address stays configured. */
	assert_int_equal(route_err(c->a, "10.0.0.1"), -ENETUNREACH);
	assert_ptr_equal(ip_dev_find(c->a, ipa("10.0.0.1")), c->dev);
	assert_int_equal(sl_link_set_up(c->a, "wire0", true), 0);
	assert_int_equal(route_err(c->a, "10.0.0.2"), 0);
	sl_pair_settle(&c->p);
}

static void test_input_route_results(void **state)
{
	struct ctx *c = *state;
	struct sk_buff *skb = alloc_skb(c->a, 64);

	skb->dev = c->dev;
	assert_int_equal(ip_route_input_noref(skb, ipa("10.0.0.1"), ipa("10.0.0.2"),
					      0, c->dev), 0);
	assert_int_equal(skb_rtable(skb)->rt_type, RTN_LOCAL);
	assert_ptr_equal(skb_dst(skb)->input, ip_local_deliver);
	skb_dst_drop(skb);

	assert_int_equal(ip_route_input_noref(skb, ipa("10.0.0.255"),
					      ipa("10.0.0.2"), 0, c->dev), 0);
	assert_int_equal(skb_rtable(skb)->rt_type, RTN_BROADCAST);
	skb_dst_drop(skb);

	/* not ours: ip_forward only once forwarding is on */
	assert_int_equal(ip_route_input_noref(skb, ipa("10.0.0.9"),
					      ipa("10.0.0.2"), 0, c->dev), 0);
	assert_ptr_not_equal(skb_dst(skb)->input, ip_forward);
	skb_dst_drop(skb);
	assert_int_equal(sl_sysctl_set(c->a, "net.ipv4.ip_forward", "1"), 0);
	assert_int_equal(ip_route_input_noref(skb, ipa("10.0.0.9"),
					      ipa("10.0.0.2"), 0, c->dev), 0);
	assert_ptr_equal(skb_dst(skb)->input, ip_forward);
	skb_dst_drop(skb);

	assert_int_equal(ip_route_input_noref(skb, ipa("10.0.0.1"),
					      ipa("224.1.1.1"), 0, c->dev), -EINVAL);
	consume_skb(skb);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_connected_route_and_source),
		T(test_no_route_is_enetunreach),
		T(test_lpm_with_thousands_of_routes),
		T(test_gateway_source_is_outgoing_device_address),
		T(test_metric_breaks_ties),
		T(test_configuration_errors),
		T(test_unreachable_route),
		T(test_local_destination_loops_through_lo),
		T(test_broadcast_routes),
		T(test_source_and_oif_constraints),
		T(test_results_are_cached_not_allocated),
		T(test_socket_route_invalidated_by_changes),
		T(test_pmtu_exception),
		T(test_dump_in_ip_route_form),
		T(test_link_down_flushes_and_up_restores),
		T(test_input_route_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
