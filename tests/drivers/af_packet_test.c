/*
 * src/drivers/af_packet.c (and hostlink.c): a sockline stack on one end
 * of a veth pair, through an AF_PACKET socket, facing the Linux kernel's
 * stack on the other end, in a network namespace of the test's own. ARP
 * and ping both ways (fragmented too), UDP both ways, TCP both ways with
 * SHA-256: with the vnet header (large segments and partial checksums
 * both ways), without it while the kernel's veth still offloads (partial
 * checksums and large frames arrive anyway), with the kernel's offloads
 * switched off by ethtool, and on a polled stack.
 */
#include <net/if.h>

#include "hostlink_test.h"

#include "../../src/drivers/hostlink.h"

#define PK_HOST_CIDR "10.8.0.1/24"
#define PK_OUR_CIDR "10.8.0.2/24"

/* A veth pair: slv0 is the kernel's (10.8.0.1), slv1 ours. */
static void veth_make(const char *offloads)
{
	/* What a failed test before us may have left. */
	hl_sh("ip link del slv0 2>/dev/null");
	assert_int_equal(hl_sh("ip link add slv0 type veth peer name slv1"), 0);
	assert_int_equal(hl_sh("ip link set slv0 up"), 0);
	if (offloads)
		assert_int_equal(hl_sh("ethtool -K slv0 %s >/dev/null", offloads), 0);
}

static void veth_del(void)
{
	assert_int_equal(hl_sh("ip link del slv0"), 0);
}

static void pk_link(struct hl_link *l, const char *label, bool polled)
{
	memset(l, 0, sizeof(*l));
	l->dev = "slv1";
	l->host_if = "slv0";
	l->our_ip = "10.8.0.2";
	l->host_ip = "10.8.0.1";
	l->label = label;
	l->polled = polled;
}

static void pk_up(struct hl_link *l, int offload)
{
	struct sl_dev_config cfg = { .spec = "packet:slv1", .offload = offload,
				     .tx_inline = l->tx_inline };
	int i;

	hl_link_up(l, &cfg, PK_HOST_CIDR, PK_OUR_CIDR);
	/* The attach brought slv1 up: wait for the pair's carrier, or the
	 * first frames (ARP) die with ENETDOWN as they would on Linux. */
	for (i = 0; i < 300; i++) {
		if (!hl_sh("ip -o link show dev slv0 | grep -q LOWER_UP"))
			return;
		usleep(10000);
	}
	fail_msg("veth carrier never came up");
}

/* The vnet header: large segments and partial checksums both ways. */
static void test_packet_offload(void **state)
{
	struct sl_link_stats st0;
	struct hl_link l;
	double tx, rx;

	(void)state;
	veth_make(NULL);
	pk_link(&l, "packet offload=1 threaded", false);
	pk_up(&l, 1);
	assert_true(hl_dev(&l)->features & NETIF_F_GSO);
	hl_check_ping(&l);
	hl_check_udp(&l);
	assert_int_equal(sl_link_stats(l.net, l.dev, &st0), 0);
	hl_check_tcp_to_us(&l);
	hl_frame_sizes(&l, &st0, &tx, &rx);
	assert_true(rx > 1514);
	assert_int_equal(sl_link_stats(l.net, l.dev, &st0), 0);
	hl_check_tcp_from_us(&l);
	hl_frame_sizes(&l, &st0, &tx, &rx);
	assert_true(tx > 1514);
	hl_link_down(&l);
	veth_del();
}

/*
 * No vnet header, but the kernel's veth keeps its offloads: what it
 * sends us arrives with partial checksums (auxdata) and as large frames.
 */
static void test_packet_plain_kernel_offloads(void **state)
{
	struct sl_link_stats st0, st;
	struct hl_link l;
	double tx, rx;

	(void)state;
	veth_make(NULL);
	pk_link(&l, "packet offload=0 veth offloads on", false);
	pk_up(&l, 0);
	assert_false(hl_dev(&l)->features & (NETIF_F_GSO | NETIF_F_HW_CSUM));
	assert_int_equal(sl_link_stats(l.net, l.dev, &st0), 0);
	hl_check_all(&l);
	hl_frame_sizes(&l, &st0, &tx, &rx);
	assert_true(tx <= 1514);
	assert_int_equal(sl_link_stats(l.net, l.dev, &st), 0);
	assert_int_equal(st.rx_errors, 0);
	hl_link_down(&l);
	veth_del();
}

/* Everything in software on both sides: frames never exceed the MTU. */
static void test_packet_plain(void **state)
{
	struct sl_link_stats st0;
	struct hl_link l;
	double tx, rx;

	(void)state;
	veth_make("tx off rx off tso off gso off gro off");
	pk_link(&l, "packet offload=0 veth offloads off", false);
	pk_up(&l, 0);
	assert_int_equal(sl_link_stats(l.net, l.dev, &st0), 0);
	hl_check_all(&l);
	hl_frame_sizes(&l, &st0, &tx, &rx);
	assert_true(tx <= 1514 && rx <= 1514);
	hl_link_down(&l);
	veth_del();
}

/* A polled stack reads the packet socket on every poll. */
static void test_packet_polled(void **state)
{
	struct hl_link l;

	(void)state;
	veth_make(NULL);
	pk_link(&l, "packet offload=-1 polled", true);
	pk_up(&l, -1);
	hl_check_all(&l);
	hl_link_down(&l);
	veth_del();
}

/*
 * The host refuses frames (EAGAIN: a tiny socket buffer behind a slow
 * tbf qdisc): they wait for POLLOUT, the qdisc holds the rest, and a TCP
 * transfer still delivers every byte. @tx_inline: the stack's thread
 * waits for POLLOUT, else the link's transmit thread does.
 */
static void pk_tx_backpressure(bool tx_inline)
{
	struct hl_link l;
	struct hostlink *hl;
	int sndbuf = 16384;

	veth_make(NULL);
	pk_link(&l, tx_inline ? "packet tx backpressure (tbf 200mbit), inline"
			      : "packet tx backpressure (tbf 200mbit)", false);
	l.tx_inline = tx_inline;
	pk_up(&l, 0);
	hl = hostlink_of(hl_dev(&l));
	assert_int_equal(hl->xt.on, !tx_inline);
	assert_int_equal(setsockopt(hl->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	assert_int_equal(hl_sh("tc qdisc add dev slv1 root tbf rate 200mbit "
			       "burst 16kb latency 1s"), 0);
	hl_check_tcp_from_us(&l);
	assert_true(hl->tx_waits > 0);
	if (tx_inline)
		assert_int_equal(hl->xt.frames, 0);
	else
		assert_true(hl->xt.frames > 0);
	hl_link_down(&l);
	veth_del();
}

static void test_packet_tx_backpressure(void **state)
{
	(void)state;
	pk_tx_backpressure(false);
}

static void test_packet_tx_backpressure_inline(void **state)
{
	(void)state;
	pk_tx_backpressure(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_offload),
		cmocka_unit_test(test_packet_plain_kernel_offloads),
		cmocka_unit_test(test_packet_plain),
		cmocka_unit_test(test_packet_polled),
		cmocka_unit_test(test_packet_tx_backpressure),
		cmocka_unit_test(test_packet_tx_backpressure_inline),
	};

	return cmocka_run_group_tests(tests, hl_unshare, NULL);
}
