/*
 * TCP lookup tables (src/ipv4/inet_hashtables.c): ehash insert, lookup
 * and removal by 4-tuple; listener best match (exact address over the
 * wildcard); SO_REUSEPORT groups spreading flows by hash; connect's
 * source port choice (RFC 6056, even ports, inside the range).
 */
#include "tcp_conn_test_util.h"

/* A sock in ESTABLISHED with the given 4-tuple, not hashed. */
static struct sock *fake_estab(struct net *net, const char *l, uint16_t lp,
			       const char *r, uint16_t rp)
{
	struct sock *sk = sk_alloc(net, AF_INET, &tcp_prot);

	assert_non_null(sk);
	sock_init_data(NULL, sk);
	sk->sk_state = TCP_ESTABLISHED;
	sk->sk_rcv_saddr = ipa(l);
	sk->sk_num = lp;
	sk->sk_daddr = ipa(r);
	sk->sk_dport = htons(rp);
	return sk;
}

static void test_ehash_insert_lookup_remove(void **state)
{
	struct inet_hashinfo *h;
	struct sock *sk, *dup, *found;
	struct sl_pair p;

	(void)state;
	sl_pair_setup(&p, NULL);
	h = tcp_hashinfo(p.a);
	sk = fake_estab(p.a, "10.0.0.1", 5000, "10.0.0.2", 80);
	assert_int_equal(inet_ehash_insert(sk, NULL), 0);
	assert_int_equal(sk->sk_refcnt, 2);          /* ours + the table's */

	found = __inet_lookup_established(p.a, h, ipa("10.0.0.2"), htons(80),
					  ipa("10.0.0.1"), 5000, 0);
	assert_ptr_equal(found, sk);
	assert_int_equal(sk->sk_refcnt, 3);          /* + the lookup's */
	sock_gen_put(found);
	/* any field different: not found */
	assert_null(__inet_lookup_established(p.a, h, ipa("10.0.0.2"),
					      htons(81), ipa("10.0.0.1"), 5000,
					      0));
	assert_null(__inet_lookup_established(p.a, h, ipa("10.0.0.3"),
					      htons(80), ipa("10.0.0.1"), 5000,
					      0));
	assert_null(__inet_lookup_established(p.a, h, ipa("10.0.0.2"),
					      htons(80), ipa("10.0.0.1"), 5001,
					      0));
	/* the same 4-tuple twice: refused */
	dup = fake_estab(p.a, "10.0.0.1", 5000, "10.0.0.2", 80);
	assert_int_equal(inet_ehash_insert(dup, NULL), -EADDRNOTAVAIL);
	sock_put(dup);

	inet_unhash(sk);
	assert_int_equal(sk->sk_refcnt, 1);
	assert_null(__inet_lookup(p.a, h, ipa("10.0.0.2"), htons(80),
				  ipa("10.0.0.1"), htons(5000), 0));
	sock_put(sk);
	sl_pair_teardown(&p);
}

static struct sock *lookup_listener(struct net *net, const char *daddr,
				    uint16_t sport)
{
	struct sock *sk = __inet_lookup_listener(net, tcp_hashinfo(net),
						 ipa("10.0.0.2"), htons(sport),
						 ipa(daddr), 80, 0);

	if (sk)
		sock_put(sk);
	return sk;
}

/* Linux looks the listener up by exact address first, then INADDR_ANY. */
static void test_listener_exact_address_beats_wildcard(void **state)
{
	struct sl_pair p;
	int any, one;

	(void)state;
	sl_pair_setup(&p, NULL);
	any = tcp_listener(p.a, "0.0.0.0", 80, SO_REUSEPORT, 16);
	one = tcp_listener(p.a, "10.0.0.1", 80, SO_REUSEPORT, 16);
	assert_ptr_equal(lookup_listener(p.a, "10.0.0.1", 1000), fd_sock(one));
	assert_ptr_equal(lookup_listener(p.a, "127.0.0.1", 1000), fd_sock(any));
	sl_close(one);
	assert_ptr_equal(lookup_listener(p.a, "10.0.0.1", 1000), fd_sock(any));
	sl_close(any);
	assert_null(lookup_listener(p.a, "10.0.0.1", 1000));
	sl_pair_teardown(&p);
}

/* SO_REUSEPORT: the group shares flows by hash; one flow, one member. */
static void test_reuseport_group_spreads_flows(void **state)
{
	struct sock *sk, *members[4];
	int fds[4], hits[4] = { 0 };
	struct sl_pair p;
	int i, j;

	(void)state;
	sl_pair_setup(&p, NULL);
	for (i = 0; i < 4; i++) {
		fds[i] = tcp_listener(p.a, "0.0.0.0", 80, SO_REUSEPORT, 16);
		members[i] = fd_sock(fds[i]);
	}
	for (j = 0; j < 400; j++) {
		sk = lookup_listener(p.a, "10.0.0.1", (uint16_t)(20000 + j));
		for (i = 0; i < 4; i++)
			if (sk == members[i])
				hits[i]++;
		assert_ptr_equal(lookup_listener(p.a, "10.0.0.1",
						 (uint16_t)(20000 + j)), sk);
	}
	for (i = 0; i < 4; i++) {
		assert_true(hits[i] > 50);   /* about 100 each */
		sl_close(fds[i]);
	}
	sl_pair_teardown(&p);
}

/* RFC 6056 / Linux: connect picks even ports of ip_local_port_range,
 * distinct per 4-tuple; the same port serves another destination. */
static void test_connect_source_ports(void **state)
{
	int fds[6], i, j;
	uint16_t port[6];
	struct sl_pair p;

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.ip_local_port_range",
				       "40000 40009"), 0);
	for (i = 0; i < 6; i++) {
		fds[i] = tcp_socket(p.a);
		assert_true(sl_fcntl(fds[i], F_SETFL, O_NONBLOCK) == 0);
		assert_int_equal(try_connect(fds[i], "10.0.0.2", 80),
				 -EINPROGRESS);
		port[i] = local_port(fds[i]);
		assert_true(port[i] >= 40000 && port[i] <= 40009);
		if (i < 5)   /* the even half first */
			assert_int_equal(port[i] % 2, 0);
		for (j = 0; j < i; j++)
			assert_int_not_equal(port[i], port[j]);
	}
	assert_int_equal(ctr(p.a, "TcpActiveOpens"), 6);
	for (i = 0; i < 6; i++)
		sl_close(fds[i]);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ehash_insert_lookup_remove),
		cmocka_unit_test(test_listener_exact_address_beats_wildcard),
		cmocka_unit_test(test_reuseport_group_spreads_flows),
		cmocka_unit_test(test_connect_source_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
