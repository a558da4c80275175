/*
 * tcp_input.c: option parsing (RFC 9293 3.1/3.2, RFC 7323, RFC 2018)
 * including malformed options, PAWS, and end-to-end receive processing on
 * two stacks joined by the virtual wire: handshake RTT, bulk transfer with
 * loss and reordering (SACK recovery, D-SACK, out-of-order queue),
 * orderly close with FIN handling on both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <string.h>

#include "sl_test.h"

#include "sl/net_namespace.h"
#include "sl/skbuff.h"
#include "sl/tcp.h"

/* --- option parsing ---------------------------------------------------- */

/* An skb holding a TCP header with @opts (padded with EOL to 4 bytes). */
static struct sk_buff *tcp_opt_skb(struct net *net, u8 flags, const u8 *opts,
				   unsigned int optlen)
{
	unsigned int padded = (optlen + 3) & ~3U;
	struct sk_buff *skb = alloc_skb_with_headroom(net, 60);
	struct sl_tcphdr *th;

	assert_non_null(skb);
	th = (struct sl_tcphdr *)skb_put(skb, sizeof(*th) + padded);
	memset(th, 0, sizeof(*th) + padded);
	skb_reset_transport_header(skb);
	th->doff = (u16)((sizeof(*th) + padded) / 4);
	((u8 *)th)[13] = flags;
	memcpy(th + 1, opts, optlen);
	return skb;
}

static void parse(struct net *net, u8 flags, const u8 *opts, unsigned int len,
		  struct tcp_options_received *rx, int estab)
{
	struct sk_buff *skb = tcp_opt_skb(net, flags, opts, len);

	tcp_parse_options(net, skb, rx, estab);
	kfree_skb(skb);
}

static void test_parse_syn_options_linux_order(void **state)
{
	/* mss 1460, sackOK, TS val 7 ecr 0, nop, wscale 7 */
	static const u8 o[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 7,
				0, 0, 0, 0, 1, 3, 3, 7 };
	struct sl_pair p;
	struct tcp_options_received rx;

	sl_pair_setup(&p, NULL);
	memset(&rx, 0, sizeof(rx));
	rx.mss_clamp = TCP_MSS_DEFAULT;
	parse(p.a, TCPHDR_SYN, o, sizeof(o), &rx, 0);
	assert_int_equal(rx.mss_clamp, 1460);
	assert_true(rx.sack_ok);
	assert_true(rx.saw_tstamp);
	assert_int_equal(rx.rcv_tsval, 7);
	assert_int_equal(rx.rcv_tsecr, 0);
	assert_true(rx.wscale_ok);
	assert_int_equal(rx.snd_wscale, 7);
	sl_pair_teardown(&p);
}

static void test_parse_wscale_clamped_to_14_and_user_mss(void **state)
{
	static const u8 o[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 15 };
	struct sl_pair p;
	struct tcp_options_received rx;

	sl_pair_setup(&p, NULL);
	memset(&rx, 0, sizeof(rx));
	rx.user_mss = 1000;
	parse(p.a, TCPHDR_SYN, o, sizeof(o), &rx, 0);
	assert_int_equal(rx.snd_wscale, 14); /* RFC 7323 2.3 */
	assert_int_equal(rx.mss_clamp, 1000);
	sl_pair_teardown(&p);
}

static void test_parse_syn_only_options_ignored_without_syn(void **state)
{
	static const u8 o[] = { 2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7 };
	struct sl_pair p;
	struct tcp_options_received rx;

	sl_pair_setup(&p, NULL);
	memset(&rx, 0, sizeof(rx));
	rx.mss_clamp = 536;
	parse(p.a, TCPHDR_ACK, o, sizeof(o), &rx, 0);
	assert_int_equal(rx.mss_clamp, 536);
	assert_false(rx.sack_ok);
	assert_false(rx.wscale_ok);
	sl_pair_teardown(&p);
}

static void test_parse_malformed_lengths_stop_safely(void **state)
{
	/* length 0, length 1, length beyond the header: all stop parsing. */
	static const u8 zero[] = { 8, 0, 2, 4, 0x05, 0xb4 };
	static const u8 one[] = { 2, 1, 2, 4, 0x05, 0xb4 };
	static const u8 past[] = { 1, 1, 8, 40, 0, 0, 0, 1 };
	static const u8 badlen_ts[] = { 8, 6, 0, 0, 0, 1, 2, 4, 0x05, 0xb4 };
	struct sl_pair p;
	struct tcp_options_received rx;

	sl_pair_setup(&p, NULL);
	memset(&rx, 0, sizeof(rx));
	rx.mss_clamp = 536;
	parse(p.a, TCPHDR_SYN, zero, sizeof(zero), &rx, 0);
	assert_int_equal(rx.mss_clamp, 536);
	parse(p.a, TCPHDR_SYN, one, sizeof(one), &rx, 0);
	assert_int_equal(rx.mss_clamp, 536);
	parse(p.a, TCPHDR_SYN, past, sizeof(past), &rx, 0);
	assert_false(rx.saw_tstamp);
	/* A TS option of the wrong size is skipped, the next one read. */
	parse(p.a, TCPHDR_SYN, badlen_ts, sizeof(badlen_ts), &rx, 0);
	assert_false(rx.saw_tstamp);
	assert_int_equal(rx.mss_clamp, 1460);
	sl_pair_teardown(&p);
}

static void test_parse_respects_sysctls(void **state)
{
	static const u8 o[] = { 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 7 };
	struct sl_pair p;
	struct tcp_options_received rx;

	sl_pair_setup(&p, NULL);
	p.a->ipv4.sysctl_tcp_sack = 0;
	p.a->ipv4.sysctl_tcp_timestamps = 0;
	p.a->ipv4.sysctl_tcp_window_scaling = 0;
	memset(&rx, 0, sizeof(rx));
	parse(p.a, TCPHDR_SYN, o, sizeof(o), &rx, 0);
	assert_false(rx.sack_ok);
	assert_false(rx.saw_tstamp);
	assert_false(rx.wscale_ok);
	/* Established: TS only when negotiated. */
	parse(p.a, TCPHDR_ACK, o, sizeof(o), &rx, 1);
	assert_false(rx.saw_tstamp);
	rx.tstamp_ok = 1;
	parse(p.a, TCPHDR_ACK, o, sizeof(o), &rx, 1);
	assert_true(rx.saw_tstamp);
	sl_pair_teardown(&p);
}

static void test_paws_reject(void **state)
{
	struct tcp_options_received rx;
	struct sl_pair p;

	sl_pair_setup(&p, NULL);
	memset(&rx, 0, sizeof(rx));
	rx.ts_recent = 1000;
	rx.rcv_tsval = 999;
	rx.ts_recent_stamp = 0;
	assert_true(tcp_paws_reject_net(p.a, &rx, 0));
	rx.rcv_tsval = 1000;
	assert_false(tcp_paws_reject_net(p.a, &rx, 0));
	rx.rcv_tsval = 0x80000000U; /* far in the "past" of 1000 */
	assert_false(tcp_paws_reject_net(p.a, &rx, 0));
	rx.rcv_tsval = 999;
	rx.ts_recent = 0; /* nothing recorded yet */
	assert_false(tcp_paws_reject_net(p.a, &rx, 0));
	sl_pair_teardown(&p);
}

/* --- end to end on two stacks -------------------------------------------- */

static int nb(int fd)
{
	return sl_fcntl(fd, F_SETFL, sl_fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Listener on b:5000, connected client on a, accepted server on b. */
static void tcp_connect_pair(struct sl_pair *p, int *cfd, int *sfd, int *lfd)
{
	struct sockaddr_in sin = sl_sin("10.0.0.2", 5000);
	int one = 1;

	sl_net_enter(p->b);
	*lfd = sl_socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*lfd >= 0);
	sl_setsockopt(*lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(sl_bind(*lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(sl_listen(*lfd, 16), 0);
	nb(*lfd);
	sl_net_enter(p->a);
	*cfd = sl_socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*cfd >= 0);
	nb(*cfd);
	assert_int_equal(sl_connect(*cfd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EINPROGRESS);
	for (int i = 0; i < 200; i++) {
		sl_pair_run(p, 10 * 1000 * 1000ULL);
		sl_net_enter(p->b);
		*sfd = sl_accept(*lfd, NULL, NULL);
		if (*sfd >= 0)
			break;
	}
	assert_true(*sfd >= 0);
	nb(*sfd);
}

static u8 pattern(size_t i)
{
	return (u8)(i * 7 + (i >> 11));
}

/* Send @total bytes a -> b, reading as it goes; checks every byte. */
static void transfer(struct sl_pair *p, int cfd, int sfd, size_t total)
{
	static u8 buf[65536];
	size_t sent = 0, got = 0;
	int rounds = 0;

	while (got < total) {
		ssize_t n;

		assert_true(++rounds < 200000);
		sl_net_enter(p->a);
		while (sent < total) {
			size_t len = total - sent < sizeof(buf) ? total - sent : sizeof(buf);

			for (size_t i = 0; i < len; i++)
				buf[i] = pattern(sent + i);
			n = sl_send(cfd, buf, len, 0);
			if (n <= 0)
				break;
			sent += (size_t)n;
		}
		sl_pair_run(p, 1000 * 1000ULL);
		sl_net_enter(p->b);
		while ((n = sl_recv(sfd, buf, sizeof(buf), 0)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				assert_int_equal(buf[i], pattern(got + (size_t)i));
			got += (size_t)n;
		}
	}
	assert_int_equal(got, total);
}

static u64 counter(sl_net_t *net, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(sl_snmp_get(net, name, &v), 0);
	return v;
}

/* Both sides close: FIN/ACK exchange, the client ends in TIME_WAIT, the
 * server's socket is gone; recv sees EOF first. */
static void close_pair(struct sl_pair *p, int cfd, int sfd, int lfd)
{
	char c;

	sl_net_enter(p->a);
	assert_int_equal(sl_close(cfd), 0);
	sl_pair_run(p, 50 * 1000 * 1000ULL);
	sl_net_enter(p->b);
	assert_int_equal(sl_recv(sfd, &c, 1, 0), 0); /* EOF: tcp_fin */
	assert_int_equal(sl_close(sfd), 0);
	assert_int_equal(sl_close(lfd), 0);
	/* TIME_WAIT lasts 60 s. */
	sl_pair_run(p, 61ULL * 1000 * 1000 * 1000);
}

static void test_clean_transfer_and_close(void **state)
{
	struct sl_pair p;
	int cfd, sfd, lfd;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	/* 50 us each way: on a virtual clock without delay every sample would
	 * be taken at time 0, which is no sample at all. */
	struct sl_wire_config w = { .seed = 42, .a_to_b.delay_ns = 50000,
				    .b_to_a.delay_ns = 50000 };

	sl_pair_setup(&p, &w);
	tcp_connect_pair(&p, &cfd, &sfd, &lfd);
	transfer(&p, cfd, sfd, 2 * 1024 * 1024);
	sl_net_enter(p.a);
	assert_int_equal(sl_getsockopt(cfd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	/* An RTT sample was taken and the RTO has Linux's 200 ms floor. */
	assert_true(ti.tcpi_rtt > 0);
	assert_true(ti.tcpi_rto >= 200000 && ti.tcpi_rto < 1000000);
	assert_int_equal(counter(p.a, "TcpRetransSegs"), 0);
	close_pair(&p, cfd, sfd, lfd);
	sl_pair_teardown(&p);
}

static void test_transfer_under_loss_and_reordering(void **state)
{
	struct sl_wire_config cfg = { .seed = 42 };
	struct sl_pair p;
	int cfd, sfd, lfd;

	cfg.a_to_b.loss = 0.02;
	cfg.a_to_b.reorder = 0.05;
	cfg.a_to_b.delay_ns = 2 * 1000 * 1000ULL;
	cfg.b_to_a.delay_ns = 2 * 1000 * 1000ULL;
	cfg.b_to_a.loss = 0.01;
	sl_pair_setup(&p, &cfg);
	tcp_connect_pair(&p, &cfd, &sfd, &lfd);
	transfer(&p, cfd, sfd, 2 * 1024 * 1024);
	/* Losses were repaired by SACK-based recovery, not only by RTOs;
	 * the receiver queued out-of-order data and SACKed it. */
	assert_true(counter(p.a, "TcpRetransSegs") > 0);
	assert_true(counter(p.a, "TCPSackRecovery") > 0);
	assert_true(counter(p.b, "TCPOFOQueue") > 0);
	close_pair(&p, cfd, sfd, lfd);
	sl_pair_teardown(&p);
}

static void test_transfer_with_duplication_sends_dsack(void **state)
{
	struct sl_wire_config cfg = { .seed = 7 };
	struct sl_pair p;
	int cfd, sfd, lfd;

	cfg.a_to_b.duplicate = 0.05;
	cfg.a_to_b.delay_ns = 1000 * 1000ULL;
	sl_pair_setup(&p, &cfg);
	tcp_connect_pair(&p, &cfd, &sfd, &lfd);
	transfer(&p, cfd, sfd, 1024 * 1024);
	/* RFC 2883: duplicates are reported, the sender counts them. */
	assert_true(counter(p.b, "TCPDSACKOldSent") > 0);
	assert_true(counter(p.a, "TCPDSACKRecv") > 0);
	close_pair(&p, cfd, sfd, lfd);
	sl_pair_teardown(&p);
}

static void test_gso_wire_transfer_with_loss(void **state)
{
	struct sl_wire_config cfg = { .seed = 3, .gso = true };
	struct sl_pair p;
	int cfd, sfd, lfd;

	/* Large segments are SACKed and acknowledged in parts: the sender
	 * splits (tcp_fragment) and trims (partial ACK) them. */
	cfg.a_to_b.loss = 0.01;
	cfg.a_to_b.delay_ns = 1000 * 1000ULL;
	cfg.b_to_a.delay_ns = 1000 * 1000ULL;
	sl_pair_setup(&p, &cfg);
	tcp_connect_pair(&p, &cfd, &sfd, &lfd);
	transfer(&p, cfd, sfd, 8 * 1024 * 1024);
	assert_true(counter(p.a, "TcpRetransSegs") > 0);
	close_pair(&p, cfd, sfd, lfd);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_syn_options_linux_order),
		cmocka_unit_test(test_parse_wscale_clamped_to_14_and_user_mss),
		cmocka_unit_test(test_parse_syn_only_options_ignored_without_syn),
		cmocka_unit_test(test_parse_malformed_lengths_stop_safely),
		cmocka_unit_test(test_parse_respects_sysctls),
		cmocka_unit_test(test_paws_reject),
		cmocka_unit_test(test_clean_transfer_and_close),
		cmocka_unit_test(test_transfer_under_loss_and_reordering),
		cmocka_unit_test(test_transfer_with_duplication_sends_dsack),
		cmocka_unit_test(test_gso_wire_transfer_with_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
