/*
 * Shared helpers for sockline's tests (see sl_test.h).
 */
#include <arpa/inet.h>
#include <string.h>

#include "sl_test.h"

void sl_pair_setup(struct sl_pair *p, const struct sl_wire_config *cfg)
{
	struct sl_wire_config def = { 0 };
	struct sl_net_config nc = { 0 };

	memset(p, 0, sizeof(*p));
	p->clk = sl_clock_new(true);
	assert_non_null(p->clk);
	nc.mode = SL_NET_POLLED;
	nc.clock = p->clk;
	nc.seed = 1;
	nc.name = "a";
	p->a = sl_net_create(&nc);
	nc.name = "b";
	nc.seed = 2;
	p->b = sl_net_create(&nc);
	assert_non_null(p->a);
	assert_non_null(p->b);
	if (!cfg) {
		def.seed = 42;
		cfg = &def;
	}
	assert_int_equal(sl_wire_create(p->a, p->b, cfg, &p->ifindex_a,
					&p->ifindex_b), 0);
	assert_int_equal(sl_addr_add(p->a, cfg->name_a ? cfg->name_a : "wire0",
				     "10.0.0.1/24"), 0);
	assert_int_equal(sl_addr_add(p->b, cfg->name_b ? cfg->name_b : "wire0",
				     "10.0.0.2/24"), 0);
	sl_pair_settle(p);
}

void sl_pair_settle(struct sl_pair *p)
{
	int guard = 0;

	while (sl_net_poll_all(p->clk) > 0 && ++guard < 100000)
		;
}

void sl_pair_run(struct sl_pair *p, uint64_t ns)
{
	const uint64_t step = 1000000; /* 1 ms */
	uint64_t done = 0;

	sl_pair_settle(p);
	while (done < ns) {
		uint64_t d = ns - done < step ? ns - done : step;

		sl_clock_advance(p->clk, d);
		sl_pair_settle(p);
		done += d;
	}
}

void sl_pair_teardown(struct sl_pair *p)
{
	sl_net_destroy(p->a);
	sl_net_destroy(p->b);
	sl_clock_free(p->clk);
	memset(p, 0, sizeof(*p));
	sl_assert_no_leaks();
}

void sl_assert_no_leaks(void)
{
	assert_int_equal(sl_skb_live(), 0);
	assert_int_equal(sl_sock_live(), 0);
}

struct sockaddr_in sl_sin(const char *ip, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	return sin;
}
