/*
 * src/drivers/tap.c (and hostlink.c): a sockline stack on a TAP device,
 * facing the Linux kernel's stack in a network namespace of the test's
 * own. ARP and ping both ways (fragmented too), UDP both ways (larger than
 * the MTU too), TCP both ways with SHA-256, with the vnet-header offloads
 * on (large segments and partial checksums both ways, checked in the
 * device counters) and off (no frame above the MTU), on a threaded and a
 * polled stack; attaching to an existing TAP; the MTU agreed with the
 * host; the errors of sl_dev_attach; a blocked thread's sleep on the link;
 * the end of a busy poller's lease (before a sleep on kernel descriptors);
 * a busy poll's budget of frames; the transmit thread (data frames
 * through it, small ones inline, order kept) and a link without it.
 */
#include <net/if.h>

#include "hostlink_test.h"

#include "../../src/drivers/hostlink.h"

#define TAP_HOST_CIDR "10.7.0.1/24"
#define TAP_OUR_CIDR "10.7.0.2/24"

static void tap_link(struct hl_link *l, const char *name, const char *label,
		     bool polled)
{
	memset(l, 0, sizeof(*l));
	l->dev = name;
	l->host_if = name;
	l->our_ip = "10.7.0.2";
	l->host_ip = "10.7.0.1";
	l->label = label;
	l->polled = polled;
}

static void tap_up(struct hl_link *l, const char *spec, int offload)
{
	struct sl_dev_config cfg = { .spec = spec, .offload = offload,
				     .tx_inline = l->tx_inline };

	hl_link_up(l, &cfg, TAP_HOST_CIDR, TAP_OUR_CIDR);
}

/*
 * TAP @name up, without offloads, ARP resolved both ways (a ping), for
 * tests that count frames or wait for the link to stay silent: IPv6 off
 * on the kernel's side, or its router solicitations and MLD reports (sent
 * for seconds after the link comes up) arrive at any time.
 */
static void tap_quiet_link(struct hl_link *l, const char *name,
			   const char *label, bool polled)
{
	char spec[IFNAMSIZ + 8];

	tap_link(l, name, label, polled);
	snprintf(spec, sizeof(spec), "tap:%s", name);
	tap_up(l, spec, 0);
	assert_int_equal(hl_sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1",
			       l->host_if), 0);
	hl_check_ping(l);
}

/* Offloads on: the stack sends 64 KiB segments and receives the kernel's. */
static void test_tap_offload_threaded(void **state)
{
	struct sl_link_stats st0;
	struct hl_link l;
	double tx, rx;

	(void)state;
	tap_link(&l, "sltap1", "tap offload=1 threaded", false);
	tap_up(&l, "tap:sltap1", 1);
	assert_true(hl_dev(&l)->features & NETIF_F_GSO);
	assert_true(hl_dev(&l)->features & NETIF_F_HW_CSUM);
	hl_check_ping(&l);
	hl_check_udp(&l);

	assert_int_equal(sl_link_stats(l.net, l.dev, &st0), 0);
	hl_check_tcp_to_us(&l);
	hl_frame_sizes(&l, &st0, &tx, &rx);
	/* The kernel's TSO reached us as large segments. */
	assert_true(rx > 1514);

	assert_int_equal(sl_link_stats(l.net, l.dev, &st0), 0);
	hl_check_tcp_from_us(&l);
	hl_frame_sizes(&l, &st0, &tx, &rx);
	/* Ours went out as large segments the kernel cut. */
	assert_true(tx > 1514);
	hl_link_down(&l);
	/* A TAP we created is not persistent: it went with the stack. */
	assert_int_equal(if_nametoindex("sltap1"), 0);
}

/* Offloads off: plain frames, every checksum in software. */
static void test_tap_plain_threaded(void **state)
{
	struct sl_link_stats st0, st;
	struct hl_link l;
	double tx, rx;

	(void)state;
	tap_link(&l, "sltap2", "tap offload=0 threaded", false);
	tap_up(&l, "tap:sltap2", 0);
	assert_false(hl_dev(&l)->features & (NETIF_F_GSO | NETIF_F_HW_CSUM));
	assert_int_equal(sl_link_stats(l.net, l.dev, &st0), 0);
	hl_check_all(&l);
	hl_frame_sizes(&l, &st0, &tx, &rx);
	assert_true(tx <= 1514 && rx <= 1514);
	assert_int_equal(sl_link_stats(l.net, l.dev, &st), 0);
	assert_int_equal(st.rx_errors, 0);
	assert_int_equal(st.tx_errors, 0);
	hl_link_down(&l);
}

/* A polled stack: every blocking call and sl_net_poll reads the TAP. */
static void test_tap_polled(void **state)
{
	struct hl_link l;

	(void)state;
	tap_link(&l, "sltap3", "tap offload=-1 polled", true);
	tap_up(&l, "tap:sltap3", -1);
	hl_check_all(&l);
	hl_link_down(&l);
}

/* An existing persistent TAP: attached, used, and left in place. */
static void test_tap_existing(void **state)
{
	struct sl_dev_config cfg = { .spec = "tap:sltap4", .name = "eth7",
				     .offload = -1 };
	struct hl_link l;

	(void)state;
	assert_int_equal(hl_sh("ip tuntap add dev sltap4 mode tap"), 0);
	tap_link(&l, "eth7", "tap existing", false);
	l.host_if = "sltap4";
	hl_link_up(&l, &cfg, TAP_HOST_CIDR, TAP_OUR_CIDR);
	hl_check_ping(&l);
	hl_link_down(&l);
	assert_true(if_nametoindex("sltap4") > 0);
	assert_int_equal(hl_sh("ip tuntap del dev sltap4 mode tap"), 0);
}

static unsigned int host_mtu(const char *ifname)
{
	char cmd[96], out[32];

	snprintf(cmd, sizeof(cmd),
		 "ip -o link show dev %s | grep -o 'mtu [0-9]*' | cut -d' ' -f2",
		 ifname);
	hl_sh_read(out, sizeof(out), cmd);
	return (unsigned int)atoi(out);
}

/* Both ends agree on the MTU: from the config, and when it changes. */
static void test_tap_mtu(void **state)
{
	struct sl_dev_config cfg = { .spec = "tap:sltap5", .mtu = 9000,
				     .offload = 0 };
	struct hl_link l;

	(void)state;
	tap_link(&l, "sltap5", "tap mtu 9000", false);
	hl_link_up(&l, &cfg, TAP_HOST_CIDR, TAP_OUR_CIDR);
	assert_int_equal(host_mtu("sltap5"), 9000);
	assert_int_equal(hl_dev(&l)->mtu, 9000);
	/* 8000 bytes in one frame each way, DF set: no fragmentation. */
	assert_int_equal(hl_sh("ping -q -c 2 -i 0.2 -W 2 -M do -s 8000 10.7.0.2 "
			       ">/dev/null"), 0);
	hl_ping_from_us(&l, 8000, 3);
	assert_int_equal(sl_link_set_mtu(l.net, "sltap5", 1400), 0);
	assert_int_equal(host_mtu("sltap5"), 1400);
	hl_link_down(&l);
}

/* What sl_dev_attach refuses, with Linux's errno. */
static void test_attach_errors(void **state)
{
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	struct sl_dev_config cfg = { .offload = -1 };
	sl_net_t *net = hl_stack(false, "errs");
	int ifindex;

	(void)state;
	cfg.spec = "tap";
	assert_int_equal(sl_dev_attach(net, &cfg, &ifindex), -1);
	assert_int_equal(errno, EINVAL);
	cfg.spec = "tap:";
	assert_int_equal(sl_dev_attach(net, &cfg, &ifindex), -1);
	assert_int_equal(errno, EINVAL);
	cfg.spec = "ether:eth0";
	assert_int_equal(sl_dev_attach(net, &cfg, &ifindex), -1);
	assert_int_equal(errno, EINVAL);
	cfg.spec = "tap:a-name-far-too-long-for-ifnamsiz";
	assert_int_equal(sl_dev_attach(net, &cfg, &ifindex), -1);
	assert_int_equal(errno, EINVAL);
	cfg.spec = "tap:sltap6";
	cfg.mtu = 40;
	assert_int_equal(sl_dev_attach(net, &cfg, &ifindex), -1);
	assert_int_equal(errno, EINVAL);
	cfg.mtu = 0;
	cfg.mac = mcast;
	assert_int_equal(sl_dev_attach(net, &cfg, &ifindex), -1);
	assert_int_equal(errno, EINVAL);
	cfg.mac = NULL;
	cfg.spec = "packet:nosuchif0";
	assert_int_equal(sl_dev_attach(net, &cfg, &ifindex), -1);
	assert_int_equal(errno, ENODEV);
	/* The name is taken in the stack: EEXIST, and the TAP is gone again. */
	cfg.spec = "tap:sltap6";
	cfg.name = "lo";
	assert_int_equal(sl_dev_attach(net, &cfg, &ifindex), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(if_nametoindex("sltap6"), 0);
	sl_net_destroy(net);
	sl_assert_no_leaks();
}

/* --- a blocked thread's sleep on the link (hostlink_busy_sleep) ---------- */

static u64 bs_now(void)
{
	return (u64)(hl_now() * 1e9);
}

struct bs_helper {
	struct net *net;
	struct sl_waiter *w;
	int second;                 /* what a second sleeper got */
};

/* While the test sleeps on the link: a second sleeper is refused, then
 * the test's waiter is woken. */
static void *bs_helper_fn(void *arg)
{
	struct bs_helper *b = arg;
	struct sl_waiter w2;

	usleep(20000);
	sl_waiter_init(&w2);
	b->second = hostlink_busy_sleep(b->net, &w2, bs_now() + 100000000ull);
	sl_waiter_destroy(&w2);
	sl_waiter_wake(b->w);
	return NULL;
}

/* A datagram from the kernel to us (the stack answers port unreachable). */
static void bs_send_to_us(struct hl_link *l)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(HL_OUR_PORT) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, l->our_ip, &to.sin_addr), 1);
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&to,
				sizeof(to)), 1);
	close(fd);
}

/*
 * The sleep ends at its deadline (0), when the waiter is woken (WOKEN;
 * meanwhile a second sleeper gets -EBUSY), and when a frame comes (READY).
 * The stack's thread may have been asleep on the link too when a frame
 * came and read it first: a few tries.
 */
static void test_tap_busy_sleep(void **state)
{
	struct bs_helper b = { .second = 1 };
	struct sl_waiter w;
	struct hl_link l;
	pthread_t th;
	int r, i;
	u64 t0;

	(void)state;
	tap_quiet_link(&l, "sltap7", "tap busy sleep", false);
	sl_waiter_init(&w);

	t0 = bs_now();
	assert_int_equal(hostlink_busy_sleep(l.net, &w, t0 + 20000000ull), 0);
	assert_true(bs_now() - t0 >= 19000000ull);

	b.net = l.net;
	b.w = &w;
	assert_int_equal(pthread_create(&th, NULL, bs_helper_fn, &b), 0);
	t0 = bs_now();
	r = hostlink_busy_sleep(l.net, &w, t0 + 5000000000ull);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(r & HOSTLINK_SLEEP_WOKEN);
	assert_true(bs_now() - t0 < 4000000000ull);
	assert_int_equal(b.second, -EBUSY);

	for (i = 0, r = 0; i < 20 && !(r & HOSTLINK_SLEEP_READY); i++) {
		bs_send_to_us(&l);
		r = hostlink_busy_sleep(l.net, &w, bs_now() + 200000000ull);
		assert_true(r >= 0);
	}
	assert_true(r & HOSTLINK_SLEEP_READY);

	sl_waiter_destroy(&w);
	hl_link_down(&l);
}

/* Sleeps on the links until woken (holding the lease meanwhile); a
 * stray frame only makes it sleep again. */
static void *lr_sleeper_fn(void *arg)
{
	struct bs_helper *b = arg;

	do {
		b->second = hostlink_busy_sleep(b->net, b->w,
						bs_now() + 5000000000ull);
	} while (b->second > 0 && !(b->second & HOSTLINK_SLEEP_WOKEN));
	return NULL;
}

/*
 * net_busy_poll_release (called before a sleep on kernel descriptors)
 * ends the lease a socket call's busy poll took, so that the stack's
 * thread reads the link meanwhile; the lease of a thread that sleeps on
 * the link itself is not ended.
 */
static void test_tap_lease_release(void **state)
{
	struct bs_helper b = { .second = 1 };
	struct sl_waiter w;
	struct hl_link l;
	pthread_t th;
	int i;

	(void)state;
	tap_quiet_link(&l, "sltap8", "tap lease release", false);

	/* The lease lasts 50 us: retry if the test was descheduled. */
	for (i = 0; i < 1000; i++) {
		net_busy_poll_once(l.net, 0);
		if (hostlink_busy_leased(l.net))
			break;
	}
	assert_true(i < 1000);
	net_busy_poll_release(l.net);
	assert_false(hostlink_busy_leased(l.net));

	/* A thread asleep on the link keeps its lease. */
	sl_waiter_init(&w);
	b.net = l.net;
	b.w = &w;
	assert_int_equal(pthread_create(&th, NULL, lr_sleeper_fn, &b), 0);
	for (i = 0; i < 5000 && !hostlink_busy_leased(l.net); i++)
		usleep(1000);
	assert_true(hostlink_busy_leased(l.net));
	net_busy_poll_release(l.net);
	assert_true(hostlink_busy_leased(l.net));
	sl_waiter_wake(&w);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(b.second & HOSTLINK_SLEEP_WOKEN);
	sl_waiter_destroy(&w);
	hl_link_down(&l);
}

/* Frames the stack has read from its link so far. */
static uint64_t bp_rx(struct hl_link *l)
{
	struct sl_link_stats st;

	assert_int_equal(sl_link_stats(l->net, l->dev, &st), 0);
	return st.rx_packets;
}

static void bp_poll(struct hl_link *l, int budget)
{
	spin_lock(&l->net->softirq_lock);
	hostlink_busy_poll(l->net, budget);
	spin_unlock(&l->net->softirq_lock);
}

/*
 * A busy poll reads at most its budget of frames (one, when a socket call
 * already has data: tcp_recvmsg), and the rest stays in the TAP until a
 * poll with the link's weight reads it all. A polled stack, so that no
 * thread of the stack's reads the TAP meanwhile.
 */
static void test_tap_busy_poll_budget(void **state)
{
	struct hl_link l;
	uint64_t rx0;
	int i;

	(void)state;
	tap_quiet_link(&l, "sltap9", "tap busy poll budget", true);
	bp_poll(&l, 0);
	rx0 = bp_rx(&l);

	for (i = 0; i < 3; i++)
		bs_send_to_us(&l);
	for (i = 0; i < 2000 && bp_rx(&l) == rx0; i++) {
		usleep(1000);
		bp_poll(&l, 1);
	}
	assert_int_equal(bp_rx(&l), rx0 + 1);
	usleep(20000);  /* the other two are in the TAP by now */
	bp_poll(&l, 1);
	assert_int_equal(bp_rx(&l), rx0 + 2);
	bp_poll(&l, 0);
	assert_int_equal(bp_rx(&l), rx0 + 3);
	bp_poll(&l, 0);
	assert_int_equal(bp_rx(&l), rx0 + 3);
	hl_link_down(&l);
}

/* --- the transmit thread --------------------------------------------------- */

#define XT_BURST 400

static u64 xt_frames(struct hostlink *hl)
{
	return __atomic_load_n(&hl->xt.frames, __ATOMIC_RELAXED);
}

/* The thread counts a frame after its write returns: wait for it. */
static void xt_wait_frames(struct hostlink *hl, u64 want)
{
	int i;

	for (i = 0; i < 2000 && xt_frames(hl) < want; i++)
		usleep(1000);
	assert_int_equal(xt_frames(hl), want);
}

/* Wait until the thread holds nothing: its count is final then. */
static void xt_wait_idle(struct hostlink *hl)
{
	bool busy = true;
	int i;

	for (i = 0; i < 2000 && busy; i++) {
		spin_lock(&hl->dev->tx_lock);
		busy = hl->xt.busy || !skb_queue_empty(&hl->txq);
		spin_unlock(&hl->dev->tx_lock);
		if (busy)
			usleep(1000);
	}
	assert_false(busy);
}

/* Datagram @seq, @len bytes (>= 4): the sequence number, then filler. */
static void xt_send(int sfd, const struct sockaddr_in *to, uint32_t seq,
		    size_t len)
{
	unsigned char buf[1000];

	memset(buf, (int)seq, len);
	memcpy(buf, &seq, sizeof(seq));
	assert_int_equal(sl_sendto(sfd, buf, len, 0, (const struct sockaddr *)to,
				   sizeof(*to)), (ssize_t)len);
}

static uint32_t xt_recv(int kfd, size_t len)
{
	unsigned char buf[2048];
	uint32_t seq;

	assert_int_equal(recv(kfd, buf, sizeof(buf), 0), (ssize_t)len);
	memcpy(&seq, buf, sizeof(seq));
	return seq;
}

/* The kernel's UDP socket facing us, with room for the whole burst. */
static int xt_kernel_socket(struct hl_link *l)
{
	struct sockaddr_in host = sl_sin(l->host_ip, HL_HOST_PORT);
	int kfd = socket(AF_INET, SOCK_DGRAM, 0), rcvbuf = 16 << 20;

	assert_true(kfd >= 0);
	hl_timeouts(kfd, false);
	assert_int_equal(setsockopt(kfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				    sizeof(rcvbuf)), 0);
	assert_int_equal(bind(kfd, (struct sockaddr *)&host, sizeof(host)), 0);
	return kfd;
}

/*
 * A threaded stack's link has a transmit thread: a data frame goes out
 * through it, a small one (60 bytes) inline while it is idle. A burst of
 * data frames and small ones reaches the kernel in the order sent: a
 * small frame never overtakes data the thread still holds.
 */
static void test_tap_xmit_thread(void **state)
{
	struct sockaddr_in ours, host;
	struct hostlink *hl;
	struct hl_link l;
	int kfd, sfd;
	uint32_t i;
	u64 f0;

	(void)state;
	tap_quiet_link(&l, "sltap10", "tap xmit thread", false);
	hl = hostlink_of(hl_dev(&l));
	assert_true(hl->xt.on);
	ours = sl_sin(l.our_ip, HL_OUR_PORT);
	host = sl_sin(l.host_ip, HL_HOST_PORT);
	kfd = xt_kernel_socket(&l);
	sfd = sl_socket_net(l.net, AF_INET, SOCK_DGRAM, 0);
	assert_true(sfd >= 0);
	hl_timeouts(sfd, true);
	assert_int_equal(sl_bind(sfd, (struct sockaddr *)&ours, sizeof(ours)), 0);

	xt_wait_idle(hl);
	f0 = xt_frames(hl);
	xt_send(sfd, &host, 1, 18);          /* 60-byte frame: inline */
	assert_int_equal(xt_recv(kfd, 18), 1);
	assert_int_equal(xt_frames(hl), f0);
	xt_send(sfd, &host, 2, 1000);        /* data: the thread writes it */
	assert_int_equal(xt_recv(kfd, 1000), 2);
	xt_wait_frames(hl, f0 + 1);

	for (i = 0; i < XT_BURST; i++)
		xt_send(sfd, &host, i, i % 3 ? 18 : 1000);
	for (i = 0; i < XT_BURST; i++)
		assert_int_equal(xt_recv(kfd, i % 3 ? 18 : 1000), i);
	assert_true(xt_frames(hl) > f0 + XT_BURST / 3);
	xt_wait_idle(hl);
	assert_int_equal(sl_net_tx_pending(l.net), 0);

	close(kfd);
	assert_int_equal(sl_close(sfd), 0);
	hl_link_down(&l);
}

/* tx_inline: no thread; every frame is written by the thread sending it. */
static void test_tap_xmit_inline(void **state)
{
	struct hl_link l;

	(void)state;
	tap_link(&l, "sltap11", "tap tx_inline", false);
	l.tx_inline = true;
	tap_up(&l, "tap:sltap11", -1);
	assert_false(hostlink_of(hl_dev(&l))->xt.on);
	hl_check_all(&l);
	assert_int_equal(xt_frames(hostlink_of(hl_dev(&l))), 0);
	hl_link_down(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_errors),
		cmocka_unit_test(test_tap_offload_threaded),
		cmocka_unit_test(test_tap_plain_threaded),
		cmocka_unit_test(test_tap_polled),
		cmocka_unit_test(test_tap_existing),
		cmocka_unit_test(test_tap_mtu),
		cmocka_unit_test(test_tap_busy_sleep),
		cmocka_unit_test(test_tap_lease_release),
		cmocka_unit_test(test_tap_busy_poll_budget),
		cmocka_unit_test(test_tap_xmit_thread),
		cmocka_unit_test(test_tap_xmit_inline),
	};

	return cmocka_run_group_tests(tests, hl_unshare, NULL);
}
