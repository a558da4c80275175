/*
 * src/drivers/pcap.c: captures both directions of a device to a pcap file
 * that tcpdump and tshark read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../net/net_test_util.h"

static void tmp_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/sl_pcap_%s_%d.pcap", tag, (int)getpid());
}

/* Run @cmd and return the number of output lines (-1 if it failed). */
static int count_lines(const char *cmd)
{
	char line[512];
	FILE *f = popen(cmd, "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	if (pclose(f) != 0)
		return -1;
	return n;
}

static bool have_tool(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* UDP to a closed port of b: ARP request/reply, UDP out, ICMP back. */
static void make_traffic(struct sl_pair *p)
{
	struct sockaddr_in sin = sl_sin("10.0.0.2", 9);
	int fd = sl_socket_net(p->a, AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(sl_sendto(fd, "hi", 2, 0, (struct sockaddr *)&sin,
				   sizeof(sin)), 2);
	sl_pair_settle(p);
	sl_close(fd);
}

static void test_capture_readable_by_tcpdump_and_tshark(void **state)
{
	struct sl_pair p;
	char path[128], cmd[512];
	int h, n;

	tmp_path(path, sizeof(path), "arp_icmp");
	sl_pair_setup(&p, NULL);
	h = sl_pcap_start(p.a, "wire0", path);
	assert_true(h >= 0);
	make_traffic(&p);
	assert_int_equal(sl_pcap_stop(p.a, h), 0);
	assert_int_equal(sl_pcap_stop(p.a, h), -1);
	assert_int_equal(errno, ENOENT);

	if (have_tool("tcpdump")) {
		snprintf(cmd, sizeof(cmd), "tcpdump -nr %s 2>/dev/null", path);
		assert_int_equal(count_lines(cmd), 4);
		snprintf(cmd, sizeof(cmd), "tcpdump -nr %s arp 2>/dev/null", path);
		assert_int_equal(count_lines(cmd), 2);
		snprintf(cmd, sizeof(cmd), "tcpdump -nr %s icmp 2>/dev/null", path);
		assert_int_equal(count_lines(cmd), 1);
	}
	if (have_tool("tshark")) {
		snprintf(cmd, sizeof(cmd), "tshark -r %s 2>/dev/null", path);
		n = count_lines(cmd);
		assert_int_equal(n, 4);
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -Y 'arp.opcode == 1 || arp.opcode == 2' 2>/dev/null",
			 path);
		assert_int_equal(count_lines(cmd), 2);
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -Y 'icmp.type == 3 && icmp.code == 3' 2>/dev/null",
			 path);
		assert_int_equal(count_lines(cmd), 1);
	}
	sl_pair_teardown(&p);
	unlink(path);
}

struct pcap_hdr {
	uint32_t magic;
	uint16_t major, minor;
	int32_t zone;
	uint32_t sigfigs, snaplen, linktype;
};

struct rec_hdr {
	uint32_t sec, usec, incl, orig;
};

static void test_file_format_and_timestamps(void **state)
{
	struct sl_pair p;
	struct pcap_hdr fh;
	struct rec_hdr r1, r2;
	char path[128];
	unsigned char frame[2048];
	FILE *f;
	int h;
	u64 t1, t2;

	tmp_path(path, sizeof(path), "fmt");
	sl_pair_setup(&p, NULL);
	h = sl_pcap_start(p.b, "wire0", path);
	assert_true(h >= 0);
	make_traffic(&p);
	/* Stack destroy flushes and closes a capture still running. */
	sl_pair_teardown(&p);

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(&fh, sizeof(fh), 1, f), 1);
	assert_int_equal(fh.magic, 0xa1b2c3d4u);
	assert_int_equal(fh.major, 2);
	assert_int_equal(fh.minor, 4);
	assert_int_equal(fh.snaplen, 262144);
	assert_int_equal(fh.linktype, 1);
	assert_int_equal(fread(&r1, sizeof(r1), 1, f), 1);
	/* First frame at b: a's broadcast ARP request, 42 bytes. */
	assert_int_equal(r1.incl, 42);
	assert_int_equal(r1.orig, 42);
	assert_int_equal(fread(frame, 1, r1.incl, f), r1.incl);
	assert_true(is_broadcast_ether_addr(frame));
	assert_int_equal(frame[12], 0x08);
	assert_int_equal(frame[13], 0x06);
	/* Wall-clock timestamps, within a minute of now. */
	assert_true(llabs((long long)r1.sec - (long long)time(NULL)) < 60);
	assert_true(r1.usec < 1000000);
	assert_int_equal(fread(&r2, sizeof(r2), 1, f), 1);
	t1 = (u64)r1.sec * 1000000 + r1.usec;
	t2 = (u64)r2.sec * 1000000 + r2.usec;
	assert_true(t2 >= t1);
	fclose(f);
	unlink(path);
}

static void test_start_errors(void **state)
{
	sl_clock_t *clk = sl_clock_new(true);
	struct net *net = test_net_create(clk, "pc", 1);

	assert_int_equal(sl_pcap_start(net, "nope0", "/tmp/x.pcap"), -1);
	assert_int_equal(errno, ENODEV);
	assert_int_equal(sl_pcap_start(net, "lo", "/nonexistent/dir/x.pcap"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(sl_pcap_stop(net, 12345), -1);
	sl_net_destroy(net);
	sl_clock_free(clk);
	sl_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_readable_by_tcpdump_and_tshark),
		cmocka_unit_test(test_file_format_and_timestamps),
		cmocka_unit_test(test_start_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
