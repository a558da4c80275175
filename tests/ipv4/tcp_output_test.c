/*
 * TCP output (src/ipv4/tcp_output.c) on its own: the initial window and
 * scale, the option layout of SYNs and established segments as Linux
 * sends them, a TSval that never goes back, RSTs for segments without a socket, and data segmentation
 * with PSH and checksums. A bare tcp_sock on stack a sends; a raw
 * IPPROTO_TCP socket on stack b captures what reaches the wire.
 */
#include <arpa/inet.h>

#include "sl_test.h"

#include "sl/checksum.h"
#include "sl/inet_sock.h"
#include "sl/ip.h"
#include "sl/sock.h"
#include "sl/tcp.h"

static struct proto test_tcp_prot = {
	.name = "TCP-test",
	.obj_size = sizeof(struct tcp_sock),
	.max_header = SL_MAX_HEADER,
};

/* Used only while tcp_timer.c is not there: timers that do nothing. */
static void noop_timer(struct timer_list *t)
{
	(void)t;
}

/* A tcp_sock on @net from 10.0.0.1:40000 to 10.0.0.2:80, not hashed. */
static struct sock *bare_tcp_sock(sl_net_t *net)
{
	struct sock *sk = sk_alloc(net, AF_INET, &test_tcp_prot);
	struct inet_sock *inet;

	assert_non_null(sk);
	sock_init_data(NULL, sk);
	inet = inet_sk(sk);
	sk->sk_protocol = IPPROTO_TCP;
	sk->sk_type = SOCK_STREAM;
	inet->uc_ttl = -1;
	inet->pmtudisc = IP_PMTUDISC_WANT;
	tcp_init_sock(sk);
	if (!sk->sk_timer.function)
		inet_csk_init_xmit_timers(sk, noop_timer);
	inet->inet_saddr = inet->inet_rcv_saddr = inet_addr("10.0.0.1");
	inet->inet_daddr = inet_addr("10.0.0.2");
	inet->inet_num = 40000;
	inet->inet_sport = htons(40000);
	inet->inet_dport = htons(80);
	return sk;
}

static void bare_tcp_sock_free(struct sl_pair *p, struct sock *sk)
{
	inet_csk_clear_xmit_timers(sk);
	tcp_write_queue_purge(sk);
	sk->sk_state = TCP_CLOSE;
	sl_pair_settle(p);
	sock_put(sk);
}

/* The next TCP segment that reached stack b (IP header included). */
static int capture(int raw, unsigned char *buf, size_t len)
{
	return (int)sl_recv(raw, buf, len, MSG_DONTWAIT);
}

static const struct sl_tcphdr *tcph_of(const unsigned char *buf)
{
	const struct iphdr *iph = (const void *)buf;

	return (const void *)(buf + iph->ihl * 4);
}

/* The TCP checksum of a captured datagram verifies. */
static void assert_tcp_csum_ok(const unsigned char *buf)
{
	const struct iphdr *iph = (const void *)buf;
	unsigned int tlen = ntohs(iph->tot_len) - iph->ihl * 4u;
	__wsum sum = csum_partial(buf + iph->ihl * 4, tlen, 0);

	assert_int_equal(csum_tcpudp_magic(iph->saddr, iph->daddr, tlen,
					   IPPROTO_TCP, sum), 0);
}

/* Linux: 131072-byte buffer at adv_win_scale 1 -> 65536 of window, MSS
 * multiples under 65535, scale from tcp_rmem[2] = 6 MiB -> 7. */
static void test_initial_window_as_linux(void **state)
{
	struct sl_pair p;
	struct sock *sk;
	u32 wnd = 0, clamp = 0;
	u8 ws = 0;

	(void)state;
	sl_pair_setup(&p, NULL);
	sk = bare_tcp_sock(p.a);
	tcp_select_initial_window(sk, 65536, 1460, &wnd, &clamp, 1, &ws, 0);
	assert_int_equal(wnd, 64240);
	assert_int_equal(ws, 7);
	assert_int_equal(clamp, 65535U << 7);
	clamp = 0;
	tcp_select_initial_window(sk, 65536, 1448, &wnd, &clamp, 1, &ws, 0);
	assert_int_equal(wnd, 65160);
	clamp = 0;
	tcp_select_initial_window(sk, 65536, 1460, &wnd, &clamp, 0, &ws, 0);
	assert_int_equal(ws, 0);
	assert_int_equal(clamp, 65535);
	bare_tcp_sock_free(&p, sk);
	sl_pair_teardown(&p);
}

static void send_syn(struct sl_pair *p, struct sock *sk)
{
	sk->sk_state = TCP_SYN_SENT;
	tcp_sk(sk)->write_seq = 1000;
	assert_int_equal(tcp_connect(sk), 0);
	sl_pair_settle(p);
}

/* SYN: mss, sackOK, TS, nop, wscale; window 64240 unscaled; DF, TTL 64. */
static void test_syn_options_linux_order(void **state)
{
	static const u8 want[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10 };
	static const u8 tail[] = { 0, 0, 0, 0, 1, 3, 3, 7 };
	unsigned char buf[256];
	const struct iphdr *iph = (const void *)buf;
	const struct sl_tcphdr *th;
	struct sl_pair p;
	struct sock *sk;
	int raw, n;

	(void)state;
	sl_pair_setup(&p, NULL);
	raw = sl_socket_net(p.b, AF_INET, SOCK_RAW, IPPROTO_TCP);
	assert_true(raw >= 0);
	sk = bare_tcp_sock(p.a);
	send_syn(&p, sk);
	n = capture(raw, buf, sizeof(buf));
	assert_int_equal(n, 20 + 40);
	th = tcph_of(buf);
	assert_int_equal(iph->ttl, 64);
	assert_true(iph->frag_off & htons(IP_DF));
	assert_int_equal(th->doff, 10);
	assert_int_equal(tcp_flag_byte(th), TCPHDR_SYN);
	assert_int_equal(ntohl(th->seq), 1000);
	assert_int_equal(ntohs(th->window), 64240);
	assert_memory_equal((const u8 *)(th + 1), want, sizeof(want));
	/* TSval (4 bytes) then TSecr 0, nop, wscale 7. */
	assert_memory_equal((const u8 *)(th + 1) + 12, tail, sizeof(tail));
	assert_tcp_csum_ok(buf);
	assert_int_equal(tcp_sk(sk)->snd_nxt, 1001);
	assert_int_equal(tcp_sk(sk)->packets_out, 1);
	bare_tcp_sock_free(&p, sk);
	sl_close(raw);
	sl_pair_teardown(&p);
}

/* Timestamps off: mss, nop, nop, sackOK, nop, wscale. */
static void test_syn_options_without_timestamps(void **state)
{
	static const u8 want[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };
	unsigned char buf[256];
	const struct sl_tcphdr *th;
	struct sl_pair p;
	struct sock *sk;
	int raw;

	(void)state;
	sl_pair_setup(&p, NULL);
	assert_int_equal(sl_sysctl_set(p.a, "net.ipv4.tcp_timestamps", "0"), 0);
	raw = sl_socket_net(p.b, AF_INET, SOCK_RAW, IPPROTO_TCP);
	sk = bare_tcp_sock(p.a);
	send_syn(&p, sk);
	assert_int_equal(capture(raw, buf, sizeof(buf)), 20 + 32);
	th = tcph_of(buf);
	assert_int_equal(th->doff, 8);
	assert_memory_equal((const u8 *)(th + 1), want, sizeof(want));
	bare_tcp_sock_free(&p, sk);
	sl_close(raw);
	sl_pair_teardown(&p);
}

/* Make @sk an established connection (timestamps, window scale 7). */
static void establish(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	sk->sk_state = TCP_ESTABLISHED;
	tp->write_seq = tp->snd_una = tp->snd_nxt = tp->snd_sml = 5000;
	tp->snd_up = 5000;
	tp->rcv_nxt = tp->rcv_wup = tp->copied_seq = 9000;
	tp->snd_wnd = 1 << 20;
	tp->max_window = 1 << 20;
	tp->rx_opt.tstamp_ok = 1;
	tp->rx_opt.sack_ok = 1;
	tp->rx_opt.wscale_ok = 1;
	tp->rx_opt.rcv_wscale = 7;
	tp->rx_opt.ts_recent = 0x11223344;
	tp->rx_opt.mss_clamp = 1460;
	tp->tcp_header_len = 20 + 12;
	tp->rcv_wnd = 65536;
	tp->rcv_ssthresh = 65536;
	tp->window_clamp = 65535U << 7;
	tcp_sync_mss(sk, 1500);
	inet_csk(sk)->icsk_ack.rcv_mss = 1448;
}

/* Stack a's established tcp_sock (establish), and on stack b a raw socket
 * that captures what it sends. */
static struct sock *established_pair(struct sl_pair *p, int *raw)
{
	struct sock *sk;

	sl_pair_setup(p, NULL);
	*raw = sl_socket_net(p->b, AF_INET, SOCK_RAW, IPPROTO_TCP);
	sk = bare_tcp_sock(p->a);
	establish(sk);
	return sk;
}

static void established_pair_free(struct sl_pair *p, struct sock *sk, int raw)
{
	bare_tcp_sock_free(p, sk);
	sl_close(raw);
	sl_pair_teardown(p);
}

/* Established ACK: nop nop TS, then nop nop SACK with the D-SACK first;
 * the D-SACK goes out once; the window is scaled. */
static void test_ack_options_dsack_first(void **state)
{
	unsigned char buf[256];
	const struct sl_tcphdr *th;
	const u8 *o;
	struct tcp_sock *tp;
	struct sl_pair p;
	struct sock *sk;
	int raw, n;

	(void)state;
	sk = established_pair(&p, &raw);
	tp = tcp_sk(sk);
	tp->rx_opt.dsack = 1;
	tp->xfer->duplicate_sack[0] = (struct tcp_sack_block){ 8000, 8100 };
	tp->rx_opt.num_sacks = 1;
	tp->xfer->selective_acks[0] = (struct tcp_sack_block){ 10000, 11000 };
	tcp_send_ack(sk);
	sl_pair_settle(&p);
	n = capture(raw, buf, sizeof(buf));
	assert_int_equal(n, 20 + 20 + 12 + 4 + 16);
	th = tcph_of(buf);
	o = (const u8 *)(th + 1);
	assert_int_equal(tcp_flag_byte(th), TCPHDR_ACK);
	assert_int_equal(ntohl(th->ack_seq), 9000);
	assert_int_equal(ntohl(th->seq), 5000);
	/* 65536 free... offered as rcv_ssthresh, scaled by 7. */
	assert_int_equal(ntohs(th->window), 65536 >> 7);
	assert_int_equal(o[0], 1);
	assert_int_equal(o[1], 1);
	assert_int_equal(o[2], 8);
	assert_int_equal(o[3], 10);
	assert_int_equal(ntohl(*(const __be32 *)(o + 8)), 0x11223344);
	assert_int_equal(o[12], 1);
	assert_int_equal(o[13], 1);
	assert_int_equal(o[14], 5);
	assert_int_equal(o[15], 18);
	assert_int_equal(ntohl(*(const __be32 *)(o + 16)), 8000);
	assert_int_equal(ntohl(*(const __be32 *)(o + 20)), 8100);
	assert_int_equal(ntohl(*(const __be32 *)(o + 24)), 10000);
	assert_int_equal(ntohl(*(const __be32 *)(o + 28)), 11000);
	assert_tcp_csum_ok(buf);
	assert_int_equal(tp->rx_opt.dsack, 0);
	/* Next ACK: only the SACK block. */
	tcp_send_ack(sk);
	sl_pair_settle(&p);
	assert_int_equal(capture(raw, buf, sizeof(buf)), 20 + 20 + 12 + 4 + 8);
	established_pair_free(&p, sk, raw);
}

/* The TSval of the next ACK @sk sends (no SACK blocks). */
static u32 sent_tsval(struct sl_pair *p, struct sock *sk, int raw)
{
	unsigned char buf[256];
	const u8 *o;

	tcp_send_ack(sk);
	sl_pair_settle(p);
	assert_int_equal(capture(raw, buf, sizeof(buf)), 20 + 20 + 12);
	o = (const u8 *)(tcph_of(buf) + 1);
	assert_int_equal(o[2], 8);
	return ntohl(*(const __be32 *)(o + 4));
}

/*
 * RFC 7323 5.4: TSval never goes back on a connection. A segment sent on
 * a clock reading older than the last TSval (another thread's, taken
 * later) carries that TSval again, and a receiver's PAWS check keeps it;
 * one more than a second ahead of the clock is no cached reading, and
 * the clock wins.
 */
static void test_tsval_never_goes_back(void **state)
{
	struct tcp_sock *tp;
	struct sl_pair p;
	struct sock *sk;
	int raw;
	u32 now;

	(void)state;
	sk = established_pair(&p, &raw);
	tp = tcp_sk(sk);
	tp->tsoffset = 0x10000;

	now = tcp_time_stamp_ms(sk);
	assert_int_equal(sent_tsval(&p, sk, raw), now + 0x10000);
	assert_int_equal(tp->tsval_sent, now);

	now = tcp_time_stamp_ms(sk);
	tp->tsval_sent = now + 5;
	assert_int_equal(sent_tsval(&p, sk, raw), now + 5 + 0x10000);
	assert_int_equal(tp->tsval_sent, now + 5);

	now = tcp_time_stamp_ms(sk);
	tp->tsval_sent = now + 5000;
	assert_int_equal(sent_tsval(&p, sk, raw), now + 0x10000);
	assert_int_equal(tp->tsval_sent, now);

	established_pair_free(&p, sk, raw);
}

/* A received segment from 10.0.0.2:1234 to 10.0.0.1:80 with @flags. */
static struct sk_buff *fake_rx(sl_net_t *net, u8 flags, u32 seq, u32 ack,
			       unsigned int datalen)
{
	struct sk_buff *skb = alloc_skb_with_headroom(net, 60 + datalen);
	struct sl_tcphdr *th;
	struct iphdr *iph;

	iph = (void *)skb_put(skb, 20);
	memset(iph, 0, 20);
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons((u16)(40 + datalen));
	iph->protocol = IPPROTO_TCP;
	iph->saddr = inet_addr("10.0.0.2");
	iph->daddr = inet_addr("10.0.0.1");
	skb_reset_network_header(skb);
	th = (void *)skb_put(skb, 20);
	memset(th, 0, 20);
	skb_set_transport_header(skb, 20);
	th->source = htons(1234);
	th->dest = htons(80);
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = 5;
	((u8 *)th)[13] = flags;
	memset(skb_put(skb, datalen), 'x', datalen);
	skb->pkt_type = PACKET_HOST;
	return skb;
}

/* RFC 9293 3.10.7.1: no ACK -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>;
 * with ACK -> <SEQ=SEG.ACK><RST>; never for a RST. */
static void test_reset_for_segment_without_socket(void **state)
{
	unsigned char buf[256];
	const struct sl_tcphdr *th;
	struct sk_buff *in;
	struct sl_pair p;
	struct sock *sk;
	uint64_t rsts = 0;
	int raw;

	(void)state;
	sl_pair_setup(&p, NULL);
	raw = sl_socket_net(p.b, AF_INET, SOCK_RAW, IPPROTO_TCP);
	sk = bare_tcp_sock(p.a);
	in = fake_rx(p.a, TCPHDR_SYN, 777, 0, 0);
	tcp_v4_send_reset(sk, in);
	kfree_skb(in);
	in = fake_rx(p.a, TCPHDR_ACK | TCPHDR_PSH, 100, 4242, 10);
	tcp_v4_send_reset(sk, in);
	kfree_skb(in);
	in = fake_rx(p.a, TCPHDR_RST, 100, 0, 0);
	tcp_v4_send_reset(sk, in);
	kfree_skb(in);
	sl_pair_settle(&p);

	assert_int_equal(capture(raw, buf, sizeof(buf)), 40);
	th = tcph_of(buf);
	assert_int_equal(tcp_flag_byte(th), TCPHDR_RST | TCPHDR_ACK);
	assert_int_equal(ntohl(th->seq), 0);
	assert_int_equal(ntohl(th->ack_seq), 778);
	assert_int_equal(ntohs(th->source), 80);
	assert_int_equal(ntohs(th->dest), 1234);
	assert_int_equal(ntohs(th->window), 0);
	assert_tcp_csum_ok(buf);
	assert_int_equal(capture(raw, buf, sizeof(buf)), 40);
	th = tcph_of(buf);
	assert_int_equal(tcp_flag_byte(th), TCPHDR_RST);
	assert_int_equal(ntohl(th->seq), 4242);
	assert_true(capture(raw, buf, sizeof(buf)) < 0);
	assert_int_equal(sl_snmp_get(p.a, "TcpOutRsts", &rsts), 0);
	assert_int_equal(rsts, 2);
	bare_tcp_sock_free(&p, sk);
	sl_close(raw);
	sl_pair_teardown(&p);
}

/* 3000 bytes at MSS 1448 (timestamps): 1448, 1448, 104; PSH on the last
 * only; checksums folded from the copy verify; then on the rtx queue. */
static void test_sendmsg_segments_with_psh_on_last(void **state)
{
	unsigned char data[3000], buf[2048];
	const struct sl_tcphdr *th;
	struct sl_msghdr msg;
	struct iovec iov;
	struct tcp_sock *tp;
	struct sl_pair p;
	struct sock *sk;
	int raw, i;
	static const int want[] = { 1448, 1448, 104 };

	(void)state;
	sk = established_pair(&p, &raw);
	tp = tcp_sk(sk);
	tp->nonagle = TCP_NAGLE_OFF;
	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = (unsigned char)(i * 7);
	iov.iov_base = data;
	iov.iov_len = sizeof(data);
	memset(&msg, 0, sizeof(msg));
	iov_iter_init(&msg.msg_iter, &iov, 1, sizeof(data));
	assert_int_equal(tcp_sendmsg(sk, &msg, sizeof(data)), 3000);
	sl_pair_settle(&p);
	for (i = 0; i < 3; i++) {
		int n = capture(raw, buf, sizeof(buf));

		assert_int_equal(n, 20 + 32 + want[i]);
		th = tcph_of(buf);
		assert_int_equal(ntohl(th->seq), 5000 + 1448 * i);
		assert_int_equal(!!(tcp_flag_byte(th) & TCPHDR_PSH), i == 2);
		assert_memory_equal(buf + 52, data + 1448 * i, want[i]);
		assert_tcp_csum_ok(buf);
	}
	assert_int_equal(tp->snd_nxt, 8000);
	assert_int_equal(tp->packets_out, 3);
	assert_int_equal(skb_queue_len(&tp->xfer->tcp_rtx_queue), 3);
	assert_true(skb_queue_empty(&sk->sk_write_queue));
	established_pair_free(&p, sk, raw);
}

/* Nagle (RFC 896, Minshall): a second small write waits while the first
 * small segment is unacknowledged; TCP_NODELAY sends it at once. */
static void test_nagle_holds_second_small_segment(void **state)
{
	unsigned char buf[256];
	struct sl_msghdr msg;
	struct iovec iov;
	struct sl_pair p;
	struct sock *sk;
	int raw;

	(void)state;
	sk = established_pair(&p, &raw);
	for (int i = 0; i < 2; i++) {
		iov.iov_base = "hello";
		iov.iov_len = 5;
		memset(&msg, 0, sizeof(msg));
		iov_iter_init(&msg.msg_iter, &iov, 1, 5);
		assert_int_equal(tcp_sendmsg(sk, &msg, 5), 5);
	}
	sl_pair_settle(&p);
	assert_int_equal(capture(raw, buf, sizeof(buf)), 20 + 32 + 5);
	assert_true(capture(raw, buf, sizeof(buf)) < 0);
	assert_int_equal(skb_queue_len(&sk->sk_write_queue), 1);
	tcp_sk(sk)->nonagle |= TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
	tcp_push_pending_frames(sk);
	sl_pair_settle(&p);
	assert_int_equal(capture(raw, buf, sizeof(buf)), 20 + 32 + 5);
	established_pair_free(&p, sk, raw);
}

/* TCP_CORK: a 254-byte header and a 1024-byte body written separately
 * leave, at uncork, as one 1278-byte segment (as Linux: the tail skb
 * grows), not as a short segment sent at once and a rest held back. */
static void test_cork_coalesces_small_writes(void **state)
{
	static const int len[] = { 254, 1024 };
	unsigned char data[1278], buf[2048];
	struct sl_msghdr msg;
	struct iovec iov;
	struct sl_pair p;
	struct sock *sk;
	int raw, i, off = 0;

	(void)state;
	sk = established_pair(&p, &raw);
	tcp_sk(sk)->nonagle |= TCP_NAGLE_CORK;
	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = (unsigned char)(i * 11);
	for (i = 0; i < 2; i++) {
		iov.iov_base = data + off;
		iov.iov_len = (size_t)len[i];
		memset(&msg, 0, sizeof(msg));
		iov_iter_init(&msg.msg_iter, &iov, 1, (size_t)len[i]);
		assert_int_equal(tcp_sendmsg(sk, &msg, (size_t)len[i]), len[i]);
		off += len[i];
	}
	sl_pair_settle(&p);
	assert_true(capture(raw, buf, sizeof(buf)) < 0);   /* corked */
	tcp_sk(sk)->nonagle = TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
	tcp_push_pending_frames(sk);
	sl_pair_settle(&p);
	assert_int_equal(capture(raw, buf, sizeof(buf)), 20 + 32 + 1278);
	assert_memory_equal(buf + 52, data, sizeof(data));
	assert_tcp_csum_ok(buf);
	assert_true(capture(raw, buf, sizeof(buf)) < 0);
	established_pair_free(&p, sk, raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_window_as_linux),
		cmocka_unit_test(test_syn_options_linux_order),
		cmocka_unit_test(test_syn_options_without_timestamps),
		cmocka_unit_test(test_ack_options_dsack_first),
		cmocka_unit_test(test_tsval_never_goes_back),
		cmocka_unit_test(test_reset_for_segment_without_socket),
		cmocka_unit_test(test_sendmsg_segments_with_psh_on_last),
		cmocka_unit_test(test_nagle_holds_second_small_segment),
		cmocka_unit_test(test_cork_coalesces_small_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
