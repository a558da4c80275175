/*
 * devinet.c: addresses on devices, the routes they bring and take away,
 * loopback's 127.0.0.1/8, address lookups and source selection.
 */
#include "ip_test_util.h"

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

static int rtype(struct net *net, const char *dst)
{
	struct flowi4 fl4 = { .daddr = ipa(dst) };
	struct rtable *rt = ip_route_output_key(net, &fl4);
	int type;

	if (IS_ERR(rt))
		return (int)PTR_ERR(rt);
	type = rt->rt_type;
	ip_rt_put(rt);
	return type;
}

static void test_loopback_gets_127_0_0_1(void **state)
{
	struct ctx *c = *state;
	struct net_device *lo = c->a->loopback_dev;

	assert_non_null(lo);
	assert_non_null(lo->ip_ptr);
	assert_true(inet_addr_is_local(c->a, ipa("127.0.0.1")));
	assert_true(inet_addr_is_local(c->a, ipa("127.1.2.3"))); /* all of /8 */
	assert_ptr_equal(ip_dev_find(c->a, ipa("127.0.0.1")), lo);
	assert_ptr_equal(ip_dev_find(c->a, ipa("127.9.9.9")), lo);
	assert_int_equal(inet_select_addr(lo, 0, RT_SCOPE_HOST), ipa("127.0.0.1"));
	/* host scope: never chosen for a global destination */
	assert_int_equal(inet_select_addr(lo, 0, RT_SCOPE_UNIVERSE), ipa("10.0.0.1"));
}

static void test_address_lookups(void **state)
{
	struct ctx *c = *state;

	assert_true(inet_addr_is_local(c->a, ipa("10.0.0.1")));
	assert_false(inet_addr_is_local(c->a, ipa("10.0.0.2")));
	assert_ptr_equal(ip_dev_find(c->a, ipa("10.0.0.1")), c->dev);
	assert_null(ip_dev_find(c->a, ipa("10.0.0.2")));
	assert_true(inet_addr_is_broadcast(c->dev, ipa("10.0.0.255")));
	assert_true(inet_addr_is_broadcast(c->dev, ipa("255.255.255.255")));
	assert_false(inet_addr_is_broadcast(c->dev, ipa("10.0.0.254")));
}

static void test_add_brings_routes_del_removes_them(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rtype(c->a, "172.16.5.9"), -ENETUNREACH);
	assert_int_equal(inet_addr_add(c->dev, ipa("172.16.5.1"), 16), 0);
	assert_int_equal(rtype(c->a, "172.16.5.1"), RTN_LOCAL);
	assert_int_equal(rtype(c->a, "172.16.5.9"), RTN_UNICAST);
	assert_int_equal(rtype(c->a, "172.16.255.255"), RTN_BROADCAST);
	assert_int_equal(inet_select_addr(c->dev, ipa("172.16.9.9"),
					  RT_SCOPE_UNIVERSE), ipa("172.16.5.1"));
	assert_int_equal(inet_select_addr(c->dev, ipa("10.0.0.9"),
					  RT_SCOPE_UNIVERSE), ipa("10.0.0.1"));

	assert_int_equal(inet_addr_add(c->dev, ipa("172.16.5.1"), 16), -EEXIST);
	assert_int_equal(inet_addr_add(c->dev, ipa("172.16.5.1"), 33), -EINVAL);
	assert_int_equal(inet_addr_add(c->dev, ipa("224.0.0.1"), 4), -EINVAL);
	assert_int_equal(inet_addr_add(NULL, ipa("172.16.5.1"), 16), -ENODEV);

	assert_int_equal(inet_addr_del(c->dev, ipa("172.16.5.1"), 16), 0);
	assert_int_equal(rtype(c->a, "172.16.5.1"), -ENETUNREACH);
	assert_int_equal(rtype(c->a, "172.16.5.9"), -ENETUNREACH);
	assert_false(inet_addr_is_local(c->a, ipa("172.16.5.1")));
	assert_int_equal(inet_addr_del(c->dev, ipa("172.16.5.1"), 16),
			 -EADDRNOTAVAIL);
	/* the other address is untouched */
	assert_int_equal(rtype(c->a, "10.0.0.1"), RTN_LOCAL);
	assert_int_equal(rtype(c->a, "10.0.0.2"), RTN_UNICAST);
}

static void test_secondary_takes_over_prefix_route(void **state)
{
	struct ctx *c = *state;
	struct flowi4 fl4 = { .daddr = ipa("10.0.0.2") };
	struct rtable *rt;

	assert_int_equal(inet_addr_add(c->dev, ipa("10.0.0.5"), 24), 0);
	/* secondary: sources stay the primary's */
	rt = ip_route_output_key(c->a, &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(fl4.saddr, ipa("10.0.0.1"));
	ip_rt_put(rt);
	assert_true(inet_addr_is_local(c->a, ipa("10.0.0.5")));

	assert_int_equal(inet_addr_del(c->dev, ipa("10.0.0.1"), 24), 0);
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = ipa("10.0.0.2");
	rt = ip_route_output_key(c->a, &fl4);
	assert_false(IS_ERR(rt));
	assert_int_equal(fl4.saddr, ipa("10.0.0.5"));
	ip_rt_put(rt);
	assert_int_equal(rtype(c->a, "10.0.0.255"), RTN_BROADCAST);
}

static void test_api_sl_addr(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(sl_addr_add(c->a, "wire0", "192.168.7.1/24"), 0);
	assert_true(inet_addr_is_local(c->a, ipa("192.168.7.1")));
	assert_int_equal(sl_addr_del(c->a, "wire0", "192.168.7.1/24"), 0);
	assert_false(inet_addr_is_local(c->a, ipa("192.168.7.1")));
	sl_pair_settle(&c->p);
}

static void test_down_up_keeps_addresses(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(sl_link_set_up(c->a, "wire0", false), 0);
	assert_int_equal(rtype(c->a, "10.0.0.2"), -ENETUNREACH);
	assert_int_equal(sl_link_set_up(c->a, "wire0", true), 0);
	assert_int_equal(rtype(c->a, "10.0.0.2"), RTN_UNICAST);
	assert_int_equal(rtype(c->a, "10.0.0.1"), RTN_LOCAL);
	assert_int_equal(rtype(c->a, "10.0.0.255"), RTN_BROADCAST);
	sl_pair_settle(&c->p);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_loopback_gets_127_0_0_1),
		T(test_address_lookups),
		T(test_add_brings_routes_del_removes_them),
		T(test_secondary_takes_over_prefix_route),
		T(test_api_sl_addr),
		T(test_down_up_keeps_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
