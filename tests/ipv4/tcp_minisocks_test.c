/*
 * Timewait socks (src/ipv4/tcp_minisocks.c, inet_timewait_sock.c): a
 * connection turned into a TIME_WAIT sock keeps its 4-tuple and port;
 * segments get RFC 9293 3.10.7.4 / Linux answers; 60 s later it is gone.
 */
#include "tcp_conn_test_util.h"

/* An orphaned ESTABLISHED-like sock of @net's, bound and hashed, as
 * tcp_fin would leave it before tcp_time_wait. */
static struct sock *closing_sock(struct net *net)
{
	struct sock *sk = sk_alloc(net, AF_INET, &tcp_prot);
	struct tcp_sock *tp;

	assert_non_null(sk);
	sock_init_data(NULL, sk);
	assert_int_equal(tcp_prot.init(sk), 0);
	tp = tcp_sk(sk);
	sk->sk_rcv_saddr = inet_sk(sk)->inet_saddr = ipa("10.0.0.1");
	sk->sk_daddr = ipa("10.0.0.2");
	sk->sk_dport = htons(80);
	assert_int_equal(inet_csk_get_port(sk, 5000), 0);
	inet_sk(sk)->inet_sport = htons(5000);
	sk->sk_state = TCP_FIN_WAIT2;
	assert_int_equal(inet_ehash_insert(sk, NULL), 0);
	tp->rcv_nxt = 1001;
	tp->snd_nxt = 2001;
	tp->rcv_wnd = 65535;
	tp->rcv_wup = 1001;
	sock_orphan(sk);
	return sk;
}

static struct sock *tw_lookup(struct net *net)
{
	return __inet_lookup_established(net, tcp_hashinfo(net),
					 ipa("10.0.0.2"), htons(80),
					 ipa("10.0.0.1"), 5000, 0);
}

static struct seg tw_seg(uint32_t seq, uint8_t flags)
{
	struct seg s = {
		.saddr = "10.0.0.2", .daddr = "10.0.0.1", .sport = 80,
		.dport = 5000, .seq = seq, .ack = 2001, .flags = flags,
	};

	return s;
}

static void make_time_wait(struct sl_pair *p)
{
	struct sock *sk = closing_sock(p->a);

	sock_hold(sk);      /* as tcp_close holds the orphan */
	bh_lock_sock(sk);
	tcp_time_wait(sk, TCP_TIME_WAIT, 0);
	bh_unlock_sock(sk);
	sock_put(sk);
}

/* The full socket is gone, a timewait sock holds the 4-tuple and the
 * port for 60 s, then TW counts it. */
static void test_time_wait_holds_tuple_and_port_for_60s(void **state)
{
	struct sl_pair p;
	struct sock *tw;
	int fd;

	(void)state;
	sl_pair_setup(&p, NULL);
	make_time_wait(&p);
	tw = tw_lookup(p.a);
	assert_non_null(tw);
	assert_int_equal(tw->sk_state, TCP_TIME_WAIT);
	assert_int_equal(inet_twsk(tw)->tw_substate, TCP_TIME_WAIT);
	sock_gen_put(tw);
	/* the port stays owned: bind without SO_REUSEADDR fails */
	fd = tcp_socket(p.a);
	assert_int_equal(try_bind(fd, "0.0.0.0", 5000), -EADDRINUSE);
	sl_pair_run(&p, 59 * NSEC);
	tw = tw_lookup(p.a);
	assert_non_null(tw);
	sock_gen_put(tw);
	sl_pair_run(&p, 2 * NSEC);
	assert_null(tw_lookup(p.a));
	assert_int_equal(ctr(p.a, "TW"), 1);
	assert_int_equal(try_bind(fd, "0.0.0.0", 5000), 0);
	sl_close(fd);
	sl_pair_teardown(&p);
}

/* RFC 9293 3.10.7.4: a retransmitted FIN is ACKed again (and the 2 MSL
 * restart); an in-window RST kills TIME_WAIT (RFC 1337 off, as Linux). */
static void test_time_wait_reacks_fin_and_dies_on_rst(void **state)
{
	struct seg fin = tw_seg(1000, TCPHDR_FIN | TCPHDR_ACK);
	struct seg rst = tw_seg(1001, TCPHDR_RST);
	struct sl_pair p;
	struct sock *tw;
	uint64_t out;

	(void)state;
	sl_pair_setup(&p, NULL);
	make_time_wait(&p);
	out = ctr(p.a, "TcpOutSegs");
	inject_seg(p.a, &fin);
	assert_int_equal(ctr(p.a, "TcpOutSegs"), out + 1);
	tw = tw_lookup(p.a);
	assert_non_null(tw);
	sock_gen_put(tw);
	inject_seg(p.a, &rst);
	assert_null(tw_lookup(p.a));
	assert_int_equal(ctr(p.a, "TcpOutRsts"), 0);
	sl_pair_teardown(&p);
}

/* RFC 1122 4.2.2.13 as Linux: a SYN above the old sequence space may
 * reopen; tcp_timewait_state_process hands out the new ISN. */
static void test_time_wait_accepts_newer_syn(void **state)
{
	struct seg syn = tw_seg(5000, TCPHDR_SYN);
	struct sk_buff *skb;
	struct sl_pair p;
	struct sock *tw;
	u32 isn = 0;

	(void)state;
	sl_pair_setup(&p, NULL);
	make_time_wait(&p);
	tw = tw_lookup(p.a);
	skb = build_seg(p.a, &syn);
	assert_int_equal(tcp_timewait_state_process(inet_twsk(tw), skb,
						    tcp_hdr(skb), &isn),
			 TCP_TW_SYN);
	assert_int_equal(isn, 2001 + 65535 + 2);
	consume_skb(skb);
	/* an old SYN (below rcv_nxt) is answered with an ACK instead */
	syn.seq = 10;
	skb = build_seg(p.a, &syn);
	assert_int_equal(tcp_timewait_state_process(inet_twsk(tw), skb,
						    tcp_hdr(skb), &isn),
			 TCP_TW_ACK);
	consume_skb(skb);
	inet_twsk_put(inet_twsk(tw));
	sl_pair_teardown(&p);
}

/* An orphan's FIN_WAIT2 as a timewait sock: its FIN turns it into a real
 * TIME_WAIT; after the timeout (tcp_fin_timeout) it is gone. */
static void test_fin_wait2_timewait_becomes_time_wait_on_fin(void **state)
{
	struct seg fin = tw_seg(1001, TCPHDR_FIN | TCPHDR_ACK);
	struct sl_pair p;
	struct sock *sk, *tw;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = closing_sock(p.a);
	sock_hold(sk);
	bh_lock_sock(sk);
	tcp_time_wait(sk, TCP_FIN_WAIT2, 60 * NSEC);
	bh_unlock_sock(sk);
	sock_put(sk);
	tw = tw_lookup(p.a);
	assert_int_equal(inet_twsk(tw)->tw_substate, TCP_FIN_WAIT2);
	sock_gen_put(tw);
	inject_seg(p.a, &fin);
	tw = tw_lookup(p.a);
	assert_int_equal(inet_twsk(tw)->tw_substate, TCP_TIME_WAIT);
	assert_int_equal(inet_twsk(tw)->tw_rcv_nxt, 1002);
	sock_gen_put(tw);
	sl_pair_run(&p, 61 * NSEC);
	assert_null(tw_lookup(p.a));
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_wait_holds_tuple_and_port_for_60s),
		cmocka_unit_test(test_time_wait_reacks_fin_and_dies_on_rst),
		cmocka_unit_test(test_time_wait_accepts_newer_syn),
		cmocka_unit_test(test_fin_wait2_timewait_becomes_time_wait_on_fin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
