/*
 * lwip_tap: Debian's lwIP (liblwip-dev) on a TAP device, serving what
 * bench/tap_bench.c measures against it: echo (7), discard (9), a one-shot
 * echo (13: one byte back, then close after the client's close) and an
 * endless source (19).
 *
 * A program of its own rather than part of tap_bench: liblwip.so exports
 * tcp_close, tcp_connect, tcp_poll, tcp_shutdown, ... as sockline does, and
 * in one process the dynamic linker would bind lwIP's own calls to
 * sockline's functions.
 *
 * Threads: lwIP's tcpip thread (timers, socket-API calls), a TAP reader
 * that takes the core lock and runs each frame through lwIP in place (as
 * LWIP_TCPIP_CORE_LOCKING_INPUT does: no hop through the tcpip thread's
 * mailbox), and, in socket mode, one blocking server thread per port.
 * Two ways to serve:
 *   raw     raw-API callbacks, run by whichever thread holds the core lock
 *           (the reader, for everything the kernel sends): lwIP at its
 *           fastest in most figures (tap_bench compares sockline with
 *           the better of the two modes, figure by figure);
 *   socket  lwIP's BSD socket API in blocking threads, as sockline's
 *           servers are measured.
 *
 * The TAP netif is ours, not the library's tapif: Debian's tapif (told the
 * TAP's name by PRECONFIGURED_TAPIF, else it creates tap0 and runs
 * ifconfig) overruns its receive pbuf with any frame above ~590 bytes
 * (valgrind: pbuf_take writing past a 616-byte PBUF_POOL block from the
 * tapif thread; glibc then aborts). Ours does what tapif does, one
 * blocking read(2) per frame and one write(2) per frame, with the frame in
 * a PBUF_RAM pbuf of its exact size.
 *
 * usage: lwip_tap TAPNAME A.B.C.D/P [raw|socket]
 *   attaches to TAPNAME (IFF_TAP | IFF_NO_PI; created if missing); the
 *   host side's address is the caller's to add. Prints "ready" once
 *   serving; exits when its standard input closes.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sockets.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/etharp.h"
#include "netif/ethernet.h"

/* <netinet/tcp.h> would clash with lwIP's TCP_MSS option; Linux's value. */
#ifndef TCP_NODELAY
#define TCP_NODELAY 1
#endif

enum srv_kind { SRV_ECHO = 7, SRV_DISCARD = 9, SRV_ONESHOT = 13, SRV_SOURCE = 19 };

static sem_t tcpip_ready, listening;
static char buf[4][65536];

/* --- the TAP netif --------------------------------------------------------- */

struct tapdev {
	int fd;
	const char *name;
};

/* netif->linkoutput, in the tcpip thread: the frame in one write. */
static err_t tapdev_output(struct netif *nif, struct pbuf *p)
{
	struct tapdev *t = nif->state;
	struct iovec iov[16];
	struct pbuf *q;
	int n = 0;

	for (q = p; q && n < 16; q = q->next)
		iov[n++] = (struct iovec){ q->payload, q->len };
	if (q || writev(t->fd, iov, n) != (ssize_t)p->tot_len)
		return ERR_IF;
	return ERR_OK;
}

/* The reader thread: one frame per read, through lwIP under the core lock. */
static void *tapdev_reader(void *arg)
{
	struct netif *nif = arg;
	struct tapdev *t = nif->state;
	static char frame[65536];
	struct pbuf *p;
	ssize_t n;

	for (;;) {
		n = read(t->fd, frame, sizeof(frame));
		if (n <= 0) {
			if (n < 0)
				usleep(1000);
			continue;
		}
		p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
		if (!p)
			continue;
		pbuf_take(p, frame, (u16_t)n);
		LOCK_TCPIP_CORE();
		if (nif->input(p, nif) != ERR_OK)
			pbuf_free(p);
		UNLOCK_TCPIP_CORE();
	}
	return NULL;
}

/* netif_add's init callback (tcpip thread, core locked). */
static err_t tapdev_init(struct netif *nif)
{
	static const u8_t mac[6] = { 0x02, 0x6c, 0x77, 0x69, 0x70, 0x01 };
	struct tapdev *t = nif->state;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };

	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	if (t->fd < 0 || ioctl(t->fd, TUNSETIFF, &ifr)) {
		perror("lwip_tap: /dev/net/tun");
		return ERR_IF;
	}
	nif->name[0] = 't';
	nif->name[1] = 'p';
	nif->output = etharp_output;
	nif->linkoutput = tapdev_output;
	nif->mtu = 1500;
	nif->hwaddr_len = 6;
	memcpy(nif->hwaddr, mac, 6);
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		     NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/* --- socket-API servers ------------------------------------------------------ */

static void tcpip_done(void *arg)
{
	(void)arg;
	sem_post(&tcpip_ready);
}

static void serve_one(enum srv_kind kind, int fd, char *b)
{
	int one = 1;
	ssize_t n;

	lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	switch (kind) {
	case SRV_ECHO:
		while ((n = lwip_recv(fd, b, 256, 0)) > 0)
			if (lwip_send(fd, b, (size_t)n, 0) != n)
				break;
		break;
	case SRV_ONESHOT:
		if (lwip_recv(fd, b, 1, 0) == 1 && lwip_send(fd, b, 1, 0) == 1)
			lwip_recv(fd, b, 1, 0);
		break;
	case SRV_DISCARD:
		while (lwip_recv(fd, b, sizeof(buf[0]), 0) > 0)
			;
		break;
	case SRV_SOURCE:
		while (lwip_send(fd, b, sizeof(buf[0]), 0) > 0)
			;
		break;
	}
}

static void *server(void *arg)
{
	enum srv_kind kind = (enum srv_kind)(long)arg;
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons((uint16_t)kind),
	};
	char *b = buf[kind == SRV_ECHO ? 0 : kind == SRV_DISCARD ? 1 :
		      kind == SRV_ONESHOT ? 2 : 3];
	int lfd, fd;

	lfd = lwip_socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || lwip_bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    lwip_listen(lfd, 64)) {
		perror("lwip_tap: listen");
		exit(1);
	}
	sem_post(&listening);
	for (;;) {
		fd = lwip_accept(lfd, NULL, NULL);
		if (fd < 0) {
			usleep(1000);
			continue;
		}
		serve_one(kind, fd, b);
		lwip_close(fd);
	}
	return NULL;
}

/* --- raw-API servers (callbacks, core lock held) ------------------------------ */

/* Detach our callbacks and close; abort if lwIP cannot queue the FIN. */
static err_t raw_close(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

/* Source: keep the send buffer full of a static block (no copy). */
static void raw_fill(struct tcp_pcb *pcb)
{
	u16_t room;

	while ((room = tcp_sndbuf(pcb)) > 0 &&
	       tcp_write(pcb, buf[3], room > 16384 ? 16384 : room,
			 0) == ERR_OK)
		;
	tcp_output(pcb);
}

static err_t raw_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	(void)arg;
	(void)len;
	raw_fill(pcb);
	return ERR_OK;
}

static err_t raw_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	enum srv_kind kind = (enum srv_kind)(long)arg;
	struct pbuf *q;

	(void)err;
	if (!p)
		return raw_close(pcb);  /* the peer's FIN */
	tcp_recved(pcb, p->tot_len);
	switch (kind) {
	case SRV_ECHO:
		for (q = p; q; q = q->next)
			tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY);
		tcp_output(pcb);
		break;
	case SRV_ONESHOT:
		/* one byte back; the client's FIN (p == NULL) closes */
		tcp_write(pcb, p->payload, 1, TCP_WRITE_FLAG_COPY);
		tcp_output(pcb);
		break;
	default:
		break;
	}
	pbuf_free(p);
	return ERR_OK;
}

static err_t raw_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_arg(pcb, arg);
	tcp_nagle_disable(pcb);
	tcp_recv(pcb, raw_recv);
	if ((enum srv_kind)(long)arg == SRV_SOURCE) {
		tcp_sent(pcb, raw_sent);
		raw_fill(pcb);
	}
	return ERR_OK;
}

static void raw_listen(enum srv_kind kind)
{
	struct tcp_pcb *pcb = tcp_new(), *l;

	if (!pcb || tcp_bind(pcb, IP_ADDR_ANY, (u16_t)kind) != ERR_OK ||
	    !(l = tcp_listen_with_backlog(pcb, 255))) {
		fprintf(stderr, "lwip_tap: raw listen on %d failed\n", kind);
		exit(1);
	}
	tcp_arg(l, (void *)(long)kind);
	tcp_accept(l, raw_accept);
}

int main(int argc, char **argv)
{
	static const enum srv_kind kinds[] = {
		SRV_ECHO, SRV_DISCARD, SRV_ONESHOT, SRV_SOURCE,
	};
	ip4_addr_t addr, mask, gw;
	struct in_addr a;
	bool raw = argc < 4 || !strcmp(argv[3], "raw");
	static struct tapdev tap;
	static struct netif nif;
	char ip[32], *slash;
	pthread_t th;
	int prefix;

	if (argc < 3 || argc > 4 || !strchr(argv[2], '/') ||
	    (!raw && strcmp(argv[3], "socket"))) {
		fprintf(stderr, "usage: lwip_tap TAPNAME A.B.C.D/P [raw|socket]\n");
		return 2;
	}
	snprintf(ip, sizeof(ip), "%s", argv[2]);
	slash = strchr(ip, '/');
	*slash = '\0';
	prefix = atoi(slash + 1);
	if (inet_pton(AF_INET, ip, &a) != 1 || prefix < 1 || prefix > 32) {
		fprintf(stderr, "lwip_tap: bad address %s\n", argv[2]);
		return 2;
	}
	tap.name = argv[1];
	memset(buf, 'x', sizeof(buf));

	sem_init(&tcpip_ready, 0, 0);
	sem_init(&listening, 0, 0);
	tcpip_init(tcpip_done, NULL);
	sem_wait(&tcpip_ready);

	addr.addr = a.s_addr;
	mask.addr = htonl(~0u << (32 - prefix));
	gw.addr = 0;
	LOCK_TCPIP_CORE();
	if (!netif_add(&nif, &addr, &mask, &gw, &tap, tapdev_init, ethernet_input)) {
		UNLOCK_TCPIP_CORE();
		fprintf(stderr, "lwip_tap: netif_add failed\n");
		return 1;
	}
	netif_set_default(&nif);
	netif_set_up(&nif);
	UNLOCK_TCPIP_CORE();
	pthread_create(&th, NULL, tapdev_reader, &nif);
	pthread_detach(th);

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (raw) {
			LOCK_TCPIP_CORE();
			raw_listen(kinds[i]);
			UNLOCK_TCPIP_CORE();
			continue;
		}
		pthread_create(&th, NULL, server, (void *)(long)kinds[i]);
		pthread_detach(th);
		sem_wait(&listening);
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, ip, sizeof(ip)) > 0)
		;
	return 0;
}
