/*
 * ip_rcv / ip_local_deliver: every malformed header is dropped and counted
 * with the counter Linux bumps, good datagrams reach the protocol handler,
 * unknown protocols get ICMP protocol unreachable. Frames are injected on
 * stack b's "wire0" (10.0.0.2/24) of an sl_pair.
 */
#include "ip_test_util.h"

struct ctx {
	struct sl_pair p;
	struct net *b;
	struct net_device *dev;
};

static int setup(void **state)
{
	static struct ctx c;

	sl_pair_setup(&c.p, NULL);
	c.b = c.p.b;
	c.dev = devn(c.b, "wire0");
	rec_register();
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	rec_unregister();
	sl_pair_teardown(&c->p);
	return 0;
}

static struct frame_spec good(struct ctx *c)
{
	struct frame_spec fs = {
		.saddr = ipa("10.0.0.1"), .daddr = ipa("10.0.0.2"),
		.paylen = 32,
	};

	(void)c;
	return fs;
}

static void test_valid_datagram_delivered(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	u64 in = snmp(c->b, "IpInReceives");

	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.len[0], 32);
	assert_int_equal(rec.data[0][0], pat(0));
	assert_int_equal(rec.data[0][31], pat(31));
	assert_int_equal(snmp(c->b, "IpInReceives"), in + 1);
	assert_int_equal(snmp(c->b, "IpInDelivers"), 1);
}

static void expect_hdr_error(struct ctx *c, struct sk_buff *skb,
			     enum skb_drop_reason reason)
{
	u64 hdr = snmp(c->b, "IpInHdrErrors");
	u64 d = drops(c->b, reason);

	inject(skb);
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->b, "IpInHdrErrors"), hdr + 1);
	assert_int_equal(drops(c->b, reason), d + 1);
}

static void test_shorter_than_header_dropped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	struct sk_buff *skb = build_frame(c->dev, &fs);

	skb_trim(skb, ETH_HLEN + 19);
	expect_hdr_error(c, skb, SKB_DROP_REASON_IP_INHDR);
}

static void test_bad_version_dropped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);

	fs.version = 6;
	expect_hdr_error(c, build_frame(c->dev, &fs), SKB_DROP_REASON_IP_INHDR);
}

static void test_ihl_below_5_dropped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	struct sk_buff *skb = build_frame(c->dev, &fs);
	struct iphdr *iph = (struct iphdr *)(skb->data + ETH_HLEN);

	iph->ihl = 4;
	iph->check = 0;
	iph->check = ip_fast_csum(iph, 5);
	expect_hdr_error(c, skb, SKB_DROP_REASON_IP_INHDR);
}

static void test_frame_shorter_than_ihl_dropped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	struct sk_buff *skb;

	fs.ihl = 15;
	fs.paylen = 0;
	skb = build_frame(c->dev, &fs);
	skb_trim(skb, ETH_HLEN + 40); /* 40 of the 60 header bytes */
	expect_hdr_error(c, skb, SKB_DROP_REASON_IP_INHDR);
}

static void test_bad_checksum_dropped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	u64 cs = snmp(c->b, "IpInCsumErrors");

	fs.bad_csum = true;
	expect_hdr_error(c, build_frame(c->dev, &fs), SKB_DROP_REASON_IP_CSUM);
	assert_int_equal(snmp(c->b, "IpInCsumErrors"), cs + 1);
}

static void test_truncated_frame_dropped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	u64 tr = snmp(c->b, "IpInTruncatedPkts");
	u64 hdr = snmp(c->b, "IpInHdrErrors");

	fs.tot_len_delta = 10; /* claims 10 bytes more than the frame has */
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->b, "IpInTruncatedPkts"), tr + 1);
	assert_int_equal(snmp(c->b, "IpInHdrErrors"), hdr);
	assert_int_equal(drops(c->b, SKB_DROP_REASON_PKT_TOO_SMALL), 1);
}

static void test_tot_len_below_header_dropped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);

	fs.tot_len_delta = -(int)(fs.paylen + 4); /* 16 < 20 */
	expect_hdr_error(c, build_frame(c->dev, &fs), SKB_DROP_REASON_IP_INHDR);
}

static void test_link_padding_trimmed(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);

	fs.paylen = 6;
	fs.pad = 20; /* Ethernet minimum frame padding */
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.len[0], 6);
}

static void test_otherhost_dropped_uncounted(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	static const u8 other[ETH_ALEN] = { 0x02, 9, 9, 9, 9, 9 };
	u64 in = snmp(c->b, "IpInReceives");

	fs.dst_mac = other;
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->b, "IpInReceives"), in);
	assert_int_equal(drops(c->b, SKB_DROP_REASON_OTHERHOST), 1);
}

static void expect_martian(struct ctx *c, const char *src, const char *dst)
{
	struct frame_spec fs = good(c);
	u64 ae = snmp(c->b, "IpInAddrErrors");

	fs.saddr = ipa(src);
	fs.daddr = ipa(dst);
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->b, "IpInAddrErrors"), ae + 1);
}

static void test_martian_sources_dropped(void **state)
{
	struct ctx *c = *state;

	expect_martian(c, "224.0.0.1", "10.0.0.2");   /* multicast */
	expect_martian(c, "255.255.255.255", "10.0.0.2");
	expect_martian(c, "0.1.2.3", "10.0.0.2");     /* this network */
	expect_martian(c, "127.0.0.1", "10.0.0.2");   /* loopback outside lo */
	expect_martian(c, "10.0.0.2", "10.0.0.2");    /* our own address */
	expect_martian(c, "10.0.0.1", "127.0.0.1");   /* loopback destination */
	assert_int_equal(drops(c->b, SKB_DROP_REASON_IP_INADDRERRORS), 6);
}

static void test_dhcp_style_zero_source_broadcast_accepted(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	static const u8 bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	fs.saddr = 0;
	fs.daddr = ipa("255.255.255.255");
	fs.dst_mac = bcast;
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 1);
}

static void test_broadcasts_delivered_locally(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	static const u8 bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	fs.dst_mac = bcast;
	fs.daddr = ipa("10.0.0.255");
	inject(build_frame(c->dev, &fs));
	fs.daddr = ipa("255.255.255.255");
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 2);
}

static void test_options_accepted_and_skipped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);

	fs.ihl = 7; /* 8 bytes of NOP options */
	fs.paylen = 12;
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.len[0], 12);
	assert_int_equal(rec.data[0][0], pat(0));
}

static void test_unknown_protocol_gets_icmp(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	u64 out = snmp(c->b, "IcmpOutDestUnreachs");

	fs.proto = 254;
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->b, "IpInUnknownProtos"), 1);
	assert_int_equal(drops(c->b, SKB_DROP_REASON_IP_NOPROTO), 1);
	assert_int_equal(snmp(c->b, "IcmpOutDestUnreachs"), out + 1);
	sl_pair_settle(&c->p);
	assert_int_equal(snmp(c->p.a, "IcmpInDestUnreachs"), 1);
}

static void test_not_ours_forwarding_off_dropped(void **state)
{
	struct ctx *c = *state;
	struct frame_spec fs = good(c);
	u64 ae = snmp(c->b, "IpInAddrErrors");

	fs.daddr = ipa("192.0.2.7");
	inject(build_frame(c->dev, &fs));
	assert_int_equal(rec.n, 0);
	assert_int_equal(snmp(c->b, "IpInAddrErrors"), ae + 1);
	assert_int_equal(snmp(c->b, "IpForwDatagrams"), 0);
	assert_int_equal(drops(c->b, SKB_DROP_REASON_IP_FORWARDING_OFF), 1);
}

static void test_loopback_delivery(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(send_test_dgram(c->b, ipa("127.0.0.1"), 100, false, 0), 0);
	assert_int_equal(send_test_dgram(c->b, ipa("10.0.0.2"), 100, false, 0), 0);
	sl_pair_settle(&c->p);
	assert_int_equal(rec.n, 2);
	assert_ptr_equal(rec.net[0], c->b);
	assert_int_equal(rec.saddr[0], ipa("127.0.0.1"));
	assert_int_equal(rec.saddr[1], ipa("10.0.0.2"));
	assert_int_equal(rec.len[1], 100);
}

static void test_protocol_table(void **state)
{
	static const struct net_protocol other = { .handler = rec_handler };

	(void)state;
	/* The slot is taken by rec_protocol: a second handler is refused. */
	assert_int_equal(inet_add_protocol(&other, TEST_PROTO), -1);
	assert_int_equal(inet_del_protocol(&other, TEST_PROTO), -1);
	assert_int_equal(inet_add_protocol(&other, 252), 0);
	assert_int_equal(inet_del_protocol(&other, 252), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_valid_datagram_delivered),
		T(test_shorter_than_header_dropped),
		T(test_bad_version_dropped),
		T(test_ihl_below_5_dropped),
		T(test_frame_shorter_than_ihl_dropped),
		T(test_bad_checksum_dropped),
		T(test_truncated_frame_dropped),
		T(test_tot_len_below_header_dropped),
		T(test_link_padding_trimmed),
		T(test_otherhost_dropped_uncounted),
		T(test_martian_sources_dropped),
		T(test_dhcp_style_zero_source_broadcast_accepted),
		T(test_broadcasts_delivered_locally),
		T(test_options_accepted_and_skipped),
		T(test_unknown_protocol_gets_icmp),
		T(test_not_ours_forwarding_off_dropped),
		T(test_loopback_delivery),
		T(test_protocol_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
