/*
 * TCP between two stacks on the virtual wire, through the public API:
 * bulk transfers each way with SHA-256 verified, clean and under every
 * impairment the wire offers (and all at once), 1,000 concurrent
 * connections, and 10,000 connect/transfer/close cycles, with nothing
 * leaked. Runs on a virtual clock: a 50 ms delay costs no real time.
 *
 * SL_BULK_MB (default 256) sets the size of each bulk transfer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "sl_test.h"

#define NSEC 1000000000ULL

static size_t bulk_bytes(void)
{
	const char *mb = getenv("SL_BULK_MB");

	return (size_t)(mb ? atol(mb) : 256) << 20;
}

/* A deterministic byte stream (xorshift), different per seed. */
struct stream {
	uint64_t x;
};

static void stream_fill(struct stream *s, unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t x = s->x;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		s->x = x;
		memcpy(buf + i, &x, len - i < 8 ? len - i : 8);
	}
}

struct conn {
	int cfd, afd;
};

static int tcp_listener(sl_net_t *net, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = sl_sin(ip, port);
	int one = 1,
	    fd = sl_socket_net(net, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(sl_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(sl_listen(fd, 4096), 0);
	return fd;
}

static struct conn tcp_connect_pair(struct sl_pair *p, int lfd, uint16_t port)
{
	struct sockaddr_in sin = sl_sin("10.0.0.2", port);
	struct conn c;
	int fl;

	c.cfd = sl_socket_net(p->a, AF_INET, SOCK_STREAM, 0);
	assert_true(c.cfd >= 0);
	fl = sl_fcntl(c.cfd, F_GETFL);
	assert_int_equal(sl_fcntl(c.cfd, F_SETFL, fl | O_NONBLOCK), 0);
	assert_int_equal(sl_connect(c.cfd, (struct sockaddr *)&sin, sizeof(sin)), -1);
	assert_int_equal(errno, EINPROGRESS);
	for (int i = 0; i < 100000; i++) {
		c.afd = sl_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (c.afd >= 0)
			break;
		sl_pair_run(p, 1000000);
	}
	assert_true(c.afd >= 0);
	sl_pair_settle(p);
	return c;
}

/*
 * Move @total bytes from @tx to @rx, both non-blocking, advancing the
 * virtual clock 1 ms whenever nothing moved (so timers run). Returns the
 * virtual time taken.
 */
static uint64_t pump(struct sl_pair *p, int tx, int rx, size_t total,
		     uint8_t sent_md[32], uint8_t got_md[32])
{
	static unsigned char out[65536], in[262144];
	struct sha256 hs, hr;
	struct stream st = { 0x9e3779b97f4a7c15ULL ^ total };
	size_t sent = 0, got = 0, pending = 0, off = 0;
	uint64_t t0 = sl_clock_now_ns(p->clk);
	ssize_t n;

	sha256_init(&hs);
	sha256_init(&hr);
	while (got < total) {
		bool moved = false;

		while (sent < total) {
			if (!pending) {
				pending = total - sent < sizeof(out) ? total - sent : sizeof(out);
				stream_fill(&st, out, pending);
				off = 0;
			}
			n = sl_send(tx, out + off, pending, 0);
			if (n <= 0) {
				assert_true(n < 0 && errno == EAGAIN);
				break;
			}
			sha256_update(&hs, out + off, (size_t)n);
			sent += (size_t)n;
			off += (size_t)n;
			pending -= (size_t)n;
			moved = true;
		}
		if (sl_net_poll_all(p->clk) > 0)
			moved = true;
		while ((n = sl_recv(rx, in, sizeof(in), 0)) > 0) {
			sha256_update(&hr, in, (size_t)n);
			got += (size_t)n;
			moved = true;
		}
		assert_true(n < 0 && errno == EAGAIN);
		if (!moved)
			sl_clock_advance(p->clk, 1000000);
		assert_true(sl_clock_now_ns(p->clk) - t0 < 36000 * NSEC);
	}
	sha256_final(&hs, sent_md);
	sha256_final(&hr, got_md);
	return sl_clock_now_ns(p->clk) - t0;
}

/* One bulk transfer each way on a wire with @imp both ways. */
static void bulk_both_ways(const struct sl_wire_impair *imp, bool gso)
{
	struct sl_wire_config wc = { .seed = 11, .gso = gso };
	uint8_t a[32], b[32];
	struct sl_pair p;
	struct conn c;
	int lfd;

	wc.a_to_b = *imp;
	wc.b_to_a = *imp;
	sl_pair_setup(&p, &wc);
	lfd = tcp_listener(p.b, "10.0.0.2", 5000);
	c = tcp_connect_pair(&p, lfd, 5000);
	pump(&p, c.cfd, c.afd, bulk_bytes(), a, b);
	assert_memory_equal(a, b, 32);
	pump(&p, c.afd, c.cfd, bulk_bytes(), a, b);
	assert_memory_equal(a, b, 32);
	sl_close(c.cfd);
	sl_close(c.afd);
	sl_close(lfd);
	sl_pair_run(&p, 70 * NSEC); /* FIN handshakes, TIME_WAIT expiry */
	sl_pair_teardown(&p);
}

static void test_bulk_clean(void **s)
{
	struct sl_wire_impair imp = { 0 };

	(void)s;
	bulk_both_ways(&imp, false);
}

static void test_bulk_clean_gso(void **s)
{
	struct sl_wire_impair imp = { 0 };

	(void)s;
	bulk_both_ways(&imp, true);
}

static void test_bulk_loss_1pct(void **s)
{
	struct sl_wire_impair imp = { .loss = 0.01 };

	(void)s;
	bulk_both_ways(&imp, false);
}

static void test_bulk_loss_10pct(void **s)
{
	struct sl_wire_impair imp = { .loss = 0.10 };

	(void)s;
	bulk_both_ways(&imp, false);
}

static void test_bulk_reorder_25pct(void **s)
{
	struct sl_wire_impair imp = { .reorder = 0.25, .delay_ns = 1000000 };

	(void)s;
	bulk_both_ways(&imp, false);
}

static void test_bulk_duplicate_5pct(void **s)
{
	struct sl_wire_impair imp = { .duplicate = 0.05 };

	(void)s;
	bulk_both_ways(&imp, false);
}

static void test_bulk_corrupt_1pct(void **s)
{
	struct sl_wire_impair imp = { .corrupt = 0.01 };

	(void)s;
	bulk_both_ways(&imp, false);
}

static void test_bulk_delay_50ms_jitter(void **s)
{
	struct sl_wire_impair imp = { .delay_ns = 50000000, .jitter_ns = 10000000 };

	(void)s;
	bulk_both_ways(&imp, false);
}

static void test_bulk_everything_at_once(void **s)
{
	struct sl_wire_impair imp = { .loss = 0.01, .reorder = 0.25, .duplicate = 0.05,
				      .corrupt = 0.01, .delay_ns = 50000000,
				      .jitter_ns = 10000000 };

	(void)s;
	bulk_both_ways(&imp, false);
}

/* 1,000 connections open at once, each echoing a message. */
static void test_thousand_concurrent_connections(void **s)
{
	enum { N = 1000 };
	static struct conn c[N];
	struct sl_pair p;
	char buf[32];
	int lfd, i;

	(void)s;
	sl_pair_setup(&p, NULL);
	lfd = tcp_listener(p.b, "10.0.0.2", 6000);
	for (i = 0; i < N; i++)
		c[i] = tcp_connect_pair(&p, lfd, 6000);
	for (i = 0; i < N; i++)
		assert_int_equal(sl_send(c[i].cfd, &i, sizeof(i), 0), (ssize_t)sizeof(i));
	sl_pair_run(&p, 100000000);
	for (i = 0; i < N; i++) {
		int v = -1;

		assert_int_equal(sl_recv(c[i].afd, &v, sizeof(v), 0), (ssize_t)sizeof(v));
		assert_int_equal(v, i);
		assert_int_equal(sl_send(c[i].afd, "ok", 2, 0), 2);
	}
	sl_pair_run(&p, 100000000);
	for (i = 0; i < N; i++) {
		assert_int_equal(sl_recv(c[i].cfd, buf, sizeof(buf), 0), 2);
		sl_close(c[i].cfd);
		sl_close(c[i].afd);
	}
	sl_close(lfd);
	sl_pair_run(&p, 70 * NSEC);
	sl_pair_teardown(&p);
}

/* 10,000 connect / 1 KiB each way / close cycles. */
static void test_connection_churn(void **s)
{
	static char out[1024], in[2048];
	struct sl_pair p;
	struct conn c;
	int lfd, i;

	(void)s;
	memset(out, 'c', sizeof(out));
	sl_pair_setup(&p, NULL);
	lfd = tcp_listener(p.b, "10.0.0.2", 7000);
	for (i = 0; i < 10000; i++) {
		c = tcp_connect_pair(&p, lfd, 7000);
		assert_int_equal(sl_send(c.cfd, out, sizeof(out), 0), (ssize_t)sizeof(out));
		sl_pair_settle(&p);
		assert_int_equal(sl_recv(c.afd, in, sizeof(in), 0), (ssize_t)sizeof(out));
		assert_int_equal(sl_send(c.afd, out, sizeof(out), 0), (ssize_t)sizeof(out));
		sl_pair_settle(&p);
		assert_int_equal(sl_recv(c.cfd, in, sizeof(in), 0), (ssize_t)sizeof(out));
		sl_close(c.cfd);
		sl_close(c.afd);
		sl_pair_settle(&p);
	}
	sl_close(lfd);
	sl_pair_run(&p, 70 * NSEC);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk_clean),
		cmocka_unit_test(test_bulk_clean_gso),
		cmocka_unit_test(test_bulk_loss_1pct),
		cmocka_unit_test(test_bulk_loss_10pct),
		cmocka_unit_test(test_bulk_reorder_25pct),
		cmocka_unit_test(test_bulk_duplicate_5pct),
		cmocka_unit_test(test_bulk_corrupt_1pct),
		cmocka_unit_test(test_bulk_delay_50ms_jitter),
		cmocka_unit_test(test_bulk_everything_at_once),
		cmocka_unit_test(test_thousand_concurrent_connections),
		cmocka_unit_test(test_connection_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
