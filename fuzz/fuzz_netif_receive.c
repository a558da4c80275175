/*
 * Fuzz target: any bytes as an Ethernet frame into netif_receive_skb on a
 * stack with an address, a UDP socket, a ping socket and a raw socket, so
 * that every parser on the receive path (Ethernet, ARP, IPv4 with options
 * and fragments, ICMP, UDP) sees arbitrary input. The first input byte picks
 * the frame's destination MAC (ours, broadcast, other) and whether the
 * EtherType is forced to IPv4, so the fuzzer reaches deep layers quickly.
 * After each input the stacks run their timers forward (reassembly and ARP
 * timeouts), and the live skb count must return to its baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"
#include "sl/if_ether.h"
#include "sl/net_namespace.h"
#include "sl/netdevice.h"
#include "sl/skbuff.h"

static sl_clock_t *clk;
static sl_net_t *net_a, *net_b;
static struct net_device *dev_b;

static void fuzz_setup(void)
{
	struct sl_net_config nc = { .mode = SL_NET_POLLED };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7) };
	struct sl_wire_config wc = { .seed = 1 };
	int fd;

	clk = sl_clock_new(true);
	nc.clock = clk;
	nc.seed = 1;
	net_a = sl_net_create(&nc);
	nc.seed = 2;
	net_b = sl_net_create(&nc);
	if (!net_a || !net_b || sl_wire_create(net_a, net_b, &wc, NULL, NULL) ||
	    sl_addr_add(net_a, "wire0", "10.0.0.1/24") ||
	    sl_addr_add(net_b, "wire0", "10.0.0.2/24"))
		abort();
	dev_b = dev_get_by_name(net_b, "wire0");
	fd = sl_socket_net(net_b, AF_INET, SOCK_DGRAM, 0);
	sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	sl_socket_net(net_b, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	sl_socket_net(net_b, AF_INET, SOCK_RAW, IPPROTO_UDP);
	while (sl_net_poll_all(clk) > 0)
		;
}

static void drain_sockets(void)
{
	char buf[2048];

	/* fds 3..5 are the sockets made in fuzz_setup. */
	for (int fd = 3; fd <= 5; fd++)
		while (sl_recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_buff *skb;
	struct ethhdr *eth;

	if (!clk)
		fuzz_setup();
	if (size < 1 || size > 9000)
		return 0;
	skb = netdev_alloc_skb(dev_b, (unsigned int)size + ETH_HLEN);
	if (!skb)
		return 0;
	skb_put_data(skb, data + 1, (unsigned int)size - 1);
	if ((data[0] & 0x3) != 0 && skb->len >= ETH_HLEN) {
		eth = (struct ethhdr *)skb->data;
		if ((data[0] & 0x3) == 1)
			memcpy(eth->h_dest, dev_b->dev_addr, ETH_ALEN);
		else if ((data[0] & 0x3) == 2)
			memset(eth->h_dest, 0xff, ETH_ALEN);
		if (data[0] & 0x4)
			eth->h_proto = htons(ETH_P_IP);
	}
	skb->dev = dev_b;
	netif_receive_skb(skb);
	while (sl_net_poll_all(clk) > 0)
		;
	drain_sockets();
	/* Run reassembly/ARP timers now and then, so queues do not pile up. */
	if ((data[0] & 0xf0) == 0xf0)
		sl_clock_advance(clk, 31ULL * 1000000000ULL);
	return 0;
}
