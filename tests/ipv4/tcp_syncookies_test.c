/*
 * SYN cookies (src/ipv4/tcp_syncookies.c): the ISN encodes the MSS and
 * the minute; a valid cookie ACK creates the child directly; forged and
 * old cookies fail (SyncookiesFailed); without a recent SYN queue
 * overflow no ACK is even checked.
 */
#include "tcp_conn_test_util.h"

static struct seg peer_seg(uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct seg s = {
		.saddr = "10.0.0.2", .daddr = "10.0.0.1", .sport = 4000,
		.dport = 80, .seq = seq, .ack = ack, .flags = flags,
	};

	return s;
}

/* What the SYN's cookie is, and the MSS it encodes. */
static u32 cookie_of(sl_net_t *net, u16 *mss)
{
	struct seg syn = peer_seg(1000, 0, TCPHDR_SYN);
	struct sk_buff *skb = build_seg(net, &syn);
	u32 isn = cookie_v4_init_sequence(skb, mss);

	consume_skb(skb);
	return isn;
}

/* The listener's SYN queue overflowed just now. */
static void mark_overflow(struct sock *lsk)
{
	tcp_sk(lsk)->rx_opt.ts_recent_stamp = tcp_time_stamp_ms(lsk) | 1;
}

/* Run cookie_v4_check on an ACK; returns what it returned. */
static struct sock *check_ack(sl_net_t *net, struct sock *lsk, u32 ack)
{
	struct seg a = peer_seg(1001, ack, TCPHDR_ACK);
	struct sk_buff *skb = build_seg(net, &a);
	struct sock *ret;

	spin_lock(&net->softirq_lock);
	ret = cookie_v4_check(lsk, skb);
	spin_unlock(&net->softirq_lock);
	if (ret)
		consume_skb(skb);
	return ret;
}

static void test_mss_encoded_from_linux_table(void **state)
{
	struct sl_pair p;
	u16 mss;

	(void)state;
	sl_pair_setup(&p, NULL);
	mss = 1460;
	cookie_of(p.a, &mss);
	assert_int_equal(mss, 1460);
	mss = 1452;
	cookie_of(p.a, &mss);
	assert_int_equal(mss, 1440);
	mss = 1400;
	cookie_of(p.a, &mss);
	assert_int_equal(mss, 1300);
	mss = 1000;
	cookie_of(p.a, &mss);
	assert_int_equal(mss, 536);
	sl_pair_teardown(&p);
}

/* A valid cookie ACK: the child exists at once, in SYN_RECV, with the
 * sequence spaces and MSS the cookie carried. */
static void test_valid_cookie_creates_child(void **state)
{
	struct sock *lsk, *child;
	struct sl_pair p;
	u16 mss = 1460;
	u32 isn;
	int l;

	(void)state;
	sl_pair_setup(&p, NULL);
	l = tcp_listener(p.a, "0.0.0.0", 80, 0, 8);
	lsk = fd_sock(l);
	isn = cookie_of(p.a, &mss);
	mark_overflow(lsk);
	child = check_ack(p.a, lsk, isn + 1);
	assert_non_null(child);
	assert_ptr_not_equal(child, lsk);
	assert_int_equal(ctr(p.a, "SyncookiesRecv"), 1);
	assert_int_equal(child->sk_state, TCP_SYN_RECV);
	assert_int_equal(tcp_sk(child)->snd_una, isn + 1);
	assert_int_equal(tcp_sk(child)->rcv_nxt, 1001);
	assert_int_equal(tcp_sk(child)->rx_opt.mss_clamp, 1460);
	assert_int_equal(inet_sk(child)->inet_num, 80);
	assert_int_equal(lsk->sk_ack_backlog, 1);
	bh_unlock_sock(child);
	sock_put(child);
	sl_close(l);       /* the queued child is forgotten */
	sl_pair_settle(&p);
	sl_pair_teardown(&p);
}

/* Forged and old cookies fail; no overflow: not even checked. */
static void test_forged_old_and_unsolicited_cookies_fail(void **state)
{
	struct sl_pair p;
	struct sock *lsk;
	u16 mss = 1460;
	u32 isn;
	int l;

	(void)state;
	sl_pair_setup(&p, NULL);
	l = tcp_listener(p.a, "0.0.0.0", 80, 0, 8);
	lsk = fd_sock(l);
	isn = cookie_of(p.a, &mss);
	/* no recent overflow: the listener handles (resets) the ACK */
	assert_ptr_equal(check_ack(p.a, lsk, isn + 1), lsk);
	assert_int_equal(ctr(p.a, "SyncookiesFailed"), 0);
	mark_overflow(lsk);
	assert_ptr_equal(check_ack(p.a, lsk, isn + 2), lsk);
	assert_int_equal(ctr(p.a, "SyncookiesFailed"), 1);
	/* two minutes later the cookie is too old */
	sl_pair_run(&p, 121 * NSEC);
	mark_overflow(lsk);
	assert_ptr_equal(check_ack(p.a, lsk, isn + 1), lsk);
	assert_int_equal(ctr(p.a, "SyncookiesFailed"), 2);
	assert_int_equal(ctr(p.a, "SyncookiesRecv"), 0);
	sl_close(l);
	sl_pair_teardown(&p);
}

/* The options a cookie SYN-ACK's timestamp carries come back. */
static void test_timestamp_carries_options(void **state)
{
	struct tcp_options_received opt;
	struct request_sock req;
	struct sl_pair p;
	u32 ts;

	(void)state;
	sl_pair_setup(&p, NULL);
	memset(&req, 0, sizeof(req));
	req.wscale_ok = 1;
	req.snd_wscale = 7;
	req.sack_ok = 1;
	ts = cookie_init_timestamp(&req, 100000);
	assert_true(ts <= 100000 && ts > 100000 - 64);
	memset(&opt, 0, sizeof(opt));
	opt.saw_tstamp = 1;
	opt.rcv_tsecr = ts;
	assert_true(cookie_timestamp_decode(p.a, &opt));
	assert_int_equal(opt.wscale_ok, 1);
	assert_int_equal(opt.snd_wscale, 7);
	assert_int_equal(opt.sack_ok, 1);
	req.wscale_ok = 0;
	req.sack_ok = 0;
	opt.rcv_tsecr = cookie_init_timestamp(&req, 100000);
	opt.wscale_ok = opt.sack_ok = 0;
	assert_true(cookie_timestamp_decode(p.a, &opt));
	assert_int_equal(opt.wscale_ok, 0);
	assert_int_equal(opt.sack_ok, 0);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mss_encoded_from_linux_table),
		cmocka_unit_test(test_valid_cookie_creates_child),
		cmocka_unit_test(test_forged_old_and_unsolicited_cookies_fail),
		cmocka_unit_test(test_timestamp_carries_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
