/*
 * ICMP (src/ipv4/icmp.c): the echo server, error generation rules of
 * RFC 1122 3.2.2, Linux's rate limits on a virtual clock, and counters.
 */

#include "dgram_test_util.h"

#include "sl/checksum.h"
#include "sl/if_ether.h"
#include "sl/icmp.h"
#include "sl/ip.h"
#include "sl/netdevice.h"
#include "sl/route.h"
#include "sl/skbuff.h"

/* Echo request from a raw ICMP socket; the reply is read back raw. */
static void test_echo_reply(void **state)
{
	struct {
		struct icmphdr h;
		char data[32];
	} req;
	unsigned char buf[256];
	const struct iphdr *iph = (const void *)buf;
	const struct icmphdr *rep = (const void *)(buf + 20);
	struct sl_pair p;
	int raw;

	(void)state;
	sl_pair_setup(&p, NULL);
	raw = sl_socket_net(p.a, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	assert_true(raw >= 0);
	memset(&req, 0, sizeof(req));
	req.h.type = ICMP_ECHO;
	req.h.un.echo.id = htons(77);
	req.h.un.echo.sequence = htons(5);
	memset(req.data, 'z', sizeof(req.data));
	req.h.checksum = csum_fold(csum_partial(&req, sizeof(req), 0));
	assert_int_equal(send_to(raw, &req, sizeof(req), "10.0.0.2", 0),
			 sizeof(req));
	sl_pair_settle(&p);

	assert_int_equal(recv_nb(raw, buf, sizeof(buf), 0), 20 + sizeof(req));
	assert_int_equal(iph->saddr, inet_addr("10.0.0.2"));
	assert_int_equal(iph->protocol, IPPROTO_ICMP);
	assert_int_equal(rep->type, ICMP_ECHOREPLY);
	assert_int_equal(ntohs(rep->un.echo.id), 77);
	assert_int_equal(ntohs(rep->un.echo.sequence), 5);
	assert_memory_equal(buf + 28, req.data, sizeof(req.data));
	assert_int_equal(csum_fold(csum_partial(rep, sizeof(req), 0)), 0);
	assert_int_equal(ctr(p.b, "IcmpInEchos"), 1);
	assert_int_equal(ctr(p.b, "IcmpOutEchoReps"), 1);
	assert_int_equal(ctr(p.a, "IcmpOutEchos"), 1);
	assert_int_equal(ctr(p.a, "IcmpInEchoReps"), 1);

	/* icmp_echo_ignore_all: no reply. */
	assert_int_equal(sl_sysctl_set(p.b, "net.ipv4.icmp_echo_ignore_all", "1"),
			 0);
	assert_int_equal(send_to(raw, &req, sizeof(req), "10.0.0.2", 0),
			 sizeof(req));
	sl_pair_settle(&p);
	assert_int_equal(recv_nb(raw, buf, sizeof(buf), 0), -EAGAIN);
	assert_int_equal(ctr(p.b, "IcmpOutEchoReps"), 1);
	sl_close(raw);
	sl_pair_teardown(&p);
}

static void test_bad_checksum_counted(void **state)
{
	struct icmphdr req;
	struct sl_pair p;
	int raw;

	(void)state;
	sl_pair_setup(&p, NULL);
	raw = sl_socket_net(p.a, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	memset(&req, 0, sizeof(req));
	req.type = ICMP_ECHO;
	req.checksum = htons(0xbeef);
	assert_int_equal(send_to(raw, &req, sizeof(req), "10.0.0.2", 0),
			 sizeof(req));
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.b, "IcmpInMsgs"), 1);
	assert_int_equal(ctr(p.b, "IcmpInCsumErrors"), 1);
	assert_int_equal(ctr(p.b, "IcmpInErrors"), 1);
	assert_int_equal(ctr(p.b, "IcmpOutMsgs"), 0);
	sl_close(raw);
	sl_pair_teardown(&p);
}

/*
 * 100 probes to a closed port within 1 ms: the global bucket (burst 50)
 * lets them through, the per-destination bucket allows a burst of 6 (new
 * peer: 6 x icmp_ratelimit of credit) and then one per second.
 */
static void test_rate_limit_port_unreachable(void **state)
{
	struct sl_pair p;
	int fa, i;

	(void)state;
	sl_pair_setup(&p, NULL);
	fa = udp_sock(p.a);
	for (i = 0; i < 100; i++)
		assert_int_equal(send_to(fa, "p", 1, "10.0.0.2", 9), 1);
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.b, "UdpNoPorts"), 100);
	assert_int_equal(ctr(p.b, "IcmpOutDestUnreachs"), 6);
	assert_int_equal(ctr(p.b, "IcmpOutRateLimitHost"), 94);
	assert_int_equal(ctr(p.b, "IcmpOutRateLimitGlobal"), 0);
	assert_int_equal(ctr(p.a, "IcmpInDestUnreachs"), 6);

	/* 500 ms later: half a token, still limited. */
	sl_pair_run(&p, 500 * MSEC);
	assert_int_equal(send_to(fa, "p", 1, "10.0.0.2", 9), 1);
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.b, "IcmpOutDestUnreachs"), 6);
	/* A second after the burst: one more. */
	sl_pair_run(&p, 500 * MSEC);
	assert_int_equal(send_to(fa, "p", 1, "10.0.0.2", 9), 1);
	assert_int_equal(send_to(fa, "p", 1, "10.0.0.2", 9), 1);
	sl_pair_settle(&p);
	assert_int_equal(ctr(p.b, "IcmpOutDestUnreachs"), 7);
	assert_int_equal(ctr(p.b, "IcmpOutRateLimitHost"), 96);
	sl_close(fa);
	sl_pair_teardown(&p);
}

/* The global bucket: burst 3, then nothing until it refills. */
static void test_rate_limit_global(void **state)
{
	struct sl_pair p;
	int fa, i;

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(sl_sysctl_set(p.b, "net.ipv4.icmp_msgs_burst", "1"), 0);
	assert_int_equal(sl_sysctl_set(p.b, "net.ipv4.icmp_ratelimit", "0"), 0);
	fa = udp_sock(p.a);
	for (i = 0; i < 10; i++)
		assert_int_equal(send_to(fa, "p", 1, "10.0.0.2", 9), 1);
	sl_pair_settle(&p);
	/* Credit 1 after the first refill; each message spends 0..2 of it,
	 * so at least one and at most a few get through before it is gone
	 * and the 20 ms refill interval blocks the rest. */
	assert_true(ctr(p.b, "IcmpOutDestUnreachs") >= 1);
	assert_int_equal(ctr(p.b, "IcmpOutDestUnreachs") +
				 ctr(p.b, "IcmpOutRateLimitGlobal"),
			 10);
	assert_true(ctr(p.b, "IcmpOutRateLimitGlobal") >= 1);
	sl_close(fa);
	sl_pair_teardown(&p);
}

/* --- RFC 1122 3.2.2 rules, on hand-made packets through icmp_send ------- */

static struct sk_buff *make_in_skb(sl_net_t *net, u8 proto, __be32 saddr,
				   __be16 frag_off, u8 inner_type)
{
	struct net_device *dev = dev_get_by_name(net, "wire0");
	struct sk_buff *skb;
	struct iphdr *iph;
	u8 *l4;

	assert_non_null(dev);
	skb = alloc_skb(net, 256);
	assert_non_null(skb);
	skb_reserve(skb, 64);
	iph = (struct iphdr *)skb_put(skb, sizeof(*iph) + 16);
	memset(iph, 0, sizeof(*iph) + 16);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->tot_len = htons(36);
	iph->frag_off = frag_off;
	iph->saddr = saddr;
	iph->daddr = inet_addr("10.0.0.2");
	iph->check = ip_fast_csum(iph, 5);
	l4 = (u8 *)(iph + 1);
	l4[0] = inner_type;
	skb_reset_network_header(skb);
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	skb->protocol = htons(ETH_P_IP);
	/* Route as if from a valid host, then put the source under test in
	 * (routing refuses martian sources before ICMP would see them). */
	assert_int_equal(ip_route_input_noref(skb, iph->daddr,
					      inet_addr("10.0.0.1"), 0, dev), 0);
	skb_pull(skb, sizeof(*iph));
	skb_reset_transport_header(skb);
	return skb;
}

static uint64_t try_icmp_send(struct sl_pair *p, u8 proto, const char *src,
			      __be16 frag_off, u8 inner, u8 pkt_type)
{
	uint64_t before = ctr(p->b, "IcmpOutMsgs");
	struct sk_buff *skb = make_in_skb(p->b, proto, inet_addr(src),
					  frag_off, inner);

	skb->pkt_type = pkt_type;
	icmp_send(skb, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0);
	kfree_skb(skb);
	sl_pair_settle(p);
	return ctr(p->b, "IcmpOutMsgs") - before;
}

static void test_no_error_about_errors_broadcasts_fragments(void **state)
{
	struct sl_pair p;

	(void)state;
	sl_pair_setup(&p, NULL);
	/* The baseline: a UDP datagram earns an error. */
	assert_int_equal(try_icmp_send(&p, IPPROTO_UDP, "10.0.0.1", 0, 0,
				       PACKET_HOST), 1);
	/* Never about an ICMP error... */
	assert_int_equal(try_icmp_send(&p, IPPROTO_ICMP, "10.0.0.1", 0,
				       ICMP_DEST_UNREACH, PACKET_HOST), 0);
	assert_int_equal(try_icmp_send(&p, IPPROTO_ICMP, "10.0.0.1", 0,
				       ICMP_TIME_EXCEEDED, PACKET_HOST), 0);
	/* ...but about an ICMP query it may. */
	assert_int_equal(try_icmp_send(&p, IPPROTO_ICMP, "10.0.0.1", 0,
				       ICMP_ECHO, PACKET_HOST), 1);
	/* Never about a link-layer broadcast or multicast. */
	assert_int_equal(try_icmp_send(&p, IPPROTO_UDP, "10.0.0.1", 0, 0,
				       PACKET_BROADCAST), 0);
	assert_int_equal(try_icmp_send(&p, IPPROTO_UDP, "10.0.0.1", 0, 0,
				       PACKET_MULTICAST), 0);
	/* Never about a non-first fragment; the first one is fine. */
	assert_int_equal(try_icmp_send(&p, IPPROTO_UDP, "10.0.0.1",
				       htons(100), 0, PACKET_HOST), 0);
	assert_int_equal(try_icmp_send(&p, IPPROTO_UDP, "10.0.0.1",
				       htons(IP_MF), 0, PACKET_HOST), 1);
	/* Never to a source that is not one host. */
	assert_int_equal(try_icmp_send(&p, IPPROTO_UDP, "10.0.0.255", 0, 0,
				       PACKET_HOST), 0);
	assert_int_equal(try_icmp_send(&p, IPPROTO_UDP, "0.0.0.0", 0, 0,
				       PACKET_HOST), 0);
	assert_int_equal(try_icmp_send(&p, IPPROTO_UDP, "224.0.0.1", 0, 0,
				       PACKET_HOST), 0);
	/* And the quote: IP header + 8 bytes (+ the rest up to 576). */
	assert_int_equal(ctr(p.a, "IcmpInDestUnreachs"), 3);
	sl_pair_teardown(&p);
}

static void test_err_convert(void **state)
{
	bool fatal;

	(void)state;
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH,
					  &fatal), ECONNREFUSED);
	assert_true(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_NET_UNREACH,
					  &fatal), ENETUNREACH);
	assert_false(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH,
					  &fatal), EHOSTUNREACH);
	assert_false(fatal);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED,
					  &fatal), EMSGSIZE);
	assert_int_equal(icmp_err_convert(ICMP_DEST_UNREACH, ICMP_PROT_UNREACH,
					  &fatal), ENOPROTOOPT);
	assert_true(fatal);
	assert_int_equal(icmp_err_convert(ICMP_TIME_EXCEEDED, 0, &fatal),
			 EHOSTUNREACH);
	assert_false(fatal);
	assert_int_equal(icmp_err_convert(ICMP_PARAMETERPROB, 0, &fatal),
			 EPROTO);
	assert_true(fatal);
	sl_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_reply),
		cmocka_unit_test(test_bad_checksum_counted),
		cmocka_unit_test(test_rate_limit_port_unreachable),
		cmocka_unit_test(test_rate_limit_global),
		cmocka_unit_test(test_no_error_about_errors_broadcasts_fragments),
		cmocka_unit_test(test_err_convert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
