/*
 * What every real-link subcommand shares: the device options (--dev,
 * --addr, --gw, --mtu, --pcap, --offload, and their SOCKLINE_* environment
 * variables), bringing a threaded stack up on the link they name, the
 * control socket that `sockline ss` talks to, signals, and the parsers of
 * hosts, ports and sizes.
 *
 * Bring-up order (tool_stack_up): check the options -> sl_net_create
 * (threaded) -> sl_dev_attach (the driver creates or opens the link) ->
 * sl_addr_add (prefix route, gratuitous ARP) -> default route -> capture.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "tools.h"

#define IFNAMSIZ_MAX 15         /* Linux's IFNAMSIZ - 1 */
#define CTL_REQ_MAX 128

volatile sig_atomic_t tool_stop;

/* --- options -------------------------------------------------------------- */

void devopts_init(struct devopts *o)
{
	const char *mtu = getenv("SOCKLINE_MTU");

	memset(o, 0, sizeof(*o));
	o->offload = -1;
	o->dev = getenv("SOCKLINE_DEV");
	o->addr = getenv("SOCKLINE_ADDR");
	o->gw = getenv("SOCKLINE_GW");
	o->pcap = getenv("SOCKLINE_PCAP");
	/* A bad value here is reported by tool_stack_up (mtu = ~0U). */
	if (mtu && *mtu) {
		char *end;
		unsigned long v = strtoul(mtu, &end, 10);

		o->mtu = *end || v > 65535 ? ~0U : (unsigned int)v;
	}
}

int devopts_parse(struct devopts *o, const char *prog, int c, const char *arg)
{
	char *end;
	unsigned long v;

	switch (c) {
	case DEVOPT_DEV:
		o->dev = arg;
		return 1;
	case DEVOPT_ADDR:
		o->addr = arg;
		return 1;
	case DEVOPT_GW:
		o->gw = arg;
		return 1;
	case DEVOPT_PCAP:
		o->pcap = arg;
		return 1;
	case DEVOPT_MTU:
		v = strtoul(arg, &end, 10);
		if (end == arg || *end || v < 68 || v > 65535) {
			fprintf(stderr, "%s: bad --mtu '%s' (68..65535)\n", prog, arg);
			return -1;
		}
		o->mtu = (unsigned int)v;
		return 1;
	case DEVOPT_OFFLOAD:
		if (!strcmp(arg, "on")) {
			o->offload = 1;
		} else if (!strcmp(arg, "off")) {
			o->offload = 0;
		} else {
			fprintf(stderr, "%s: bad --offload '%s' (on or off)\n",
				prog, arg);
			return -1;
		}
		return 1;
	}
	return 0;
}

void devopts_usage(FILE *out)
{
	fprintf(out,
		"device options (also from SOCKLINE_DEV, SOCKLINE_ADDR, SOCKLINE_GW,\n"
		"SOCKLINE_MTU, SOCKLINE_PCAP; options win):\n"
		"      --dev DEV        tap:NAME (a TAP device, created if missing and\n"
		"                       brought up; add the host side's address with\n"
		"                       `ip addr add`) or packet:IFNAME (an existing\n"
		"                       interface, e.g. one end of a veth pair)\n"
		"      --addr A.B.C.D/P the stack's address (without /P: /32, as ip)\n"
		"      --gw G           default gateway\n"
		"      --mtu N          link MTU (default: the link's; TAP 1500)\n"
		"      --pcap FILE      capture the link's frames to FILE (pcap)\n"
		"      --offload on|off TAP offloads (IFF_VNET_HDR: TSO/GSO, partial\n"
		"                       checksums); default: the driver's choice\n");
}

/* "tap:NAME" or "packet:IFNAME": the name after the colon, or NULL. */
static const char *dev_spec_name(const char *spec)
{
	const char *colon = strchr(spec, ':');
	size_t kind = colon ? (size_t)(colon - spec) : 0;

	if (!colon || !((kind == 3 && !strncmp(spec, "tap", 3)) ||
			(kind == 6 && !strncmp(spec, "packet", 6))))
		return NULL;
	if (!colon[1] || strlen(colon + 1) > IFNAMSIZ_MAX ||
	    strpbrk(colon + 1, "/: \t"))
		return NULL;
	return colon + 1;
}

/* "A.B.C.D[/P]" (no /P: /32, as `ip addr add`). 0 or -1. */
static int parse_cidr(const char *s, struct in_addr *a, unsigned int *prefix)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	char *end;
	unsigned long p = 32;

	if (n >= sizeof(ip))
		return -1;
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, a) != 1)
		return -1;
	if (slash) {
		p = strtoul(slash + 1, &end, 10);
		if (end == slash + 1 || *end || p > 32)
			return -1;
	}
	*prefix = (unsigned int)p;
	return 0;
}

static int devopts_check(const struct devopts *o, const char *prog,
			 struct tool_stack *st)
{
	struct in_addr gw;
	const char *name;

	if (!o->dev || !*o->dev) {
		fprintf(stderr, "%s: no device: give --dev tap:NAME or "
			"--dev packet:IFNAME (or set SOCKLINE_DEV)\n", prog);
		return -1;
	}
	name = dev_spec_name(o->dev);
	if (!name) {
		fprintf(stderr, "%s: bad device '%s': expected tap:NAME or "
			"packet:IFNAME (NAME up to %d characters)\n", prog,
			o->dev, IFNAMSIZ_MAX);
		return -1;
	}
	if (!o->addr || !*o->addr) {
		fprintf(stderr, "%s: no address: give --addr A.B.C.D/P (or set "
			"SOCKLINE_ADDR)\n", prog);
		return -1;
	}
	if (parse_cidr(o->addr, &st->addr, &st->prefix)) {
		fprintf(stderr, "%s: bad address '%s': expected A.B.C.D/P\n",
			prog, o->addr);
		return -1;
	}
	if (o->gw && inet_pton(AF_INET, o->gw, &gw) != 1) {
		fprintf(stderr, "%s: bad gateway '%s': expected A.B.C.D\n",
			prog, o->gw);
		return -1;
	}
	if (o->mtu == ~0U || (o->mtu && o->mtu < 68)) {
		fprintf(stderr, "%s: bad MTU in SOCKLINE_MTU (68..65535)\n", prog);
		return -1;
	}
	snprintf(st->ifname, sizeof(st->ifname), "%s", name);
	return 0;
}

int devopts_validate(const struct devopts *o, const char *prog)
{
	struct tool_stack st;

	return devopts_check(o, prog, &st);
}

/* --- the stack ------------------------------------------------------------ */

static const char *dev_attach_hint(int err, const char *spec)
{
	bool tap = !strncmp(spec, "tap:", 4);

	switch (err) {
	case EPERM:
	case EACCES:
		return "permission denied: needs root or CAP_NET_ADMIN";
	case ENOENT:
		return tap ? "no /dev/net/tun (is the tun module loaded?)"
			   : "no such interface";
	case ENODEV:
	case ENXIO:
		return tap ? "no TUN/TAP support" : "no such interface";
	case EBUSY:
		return "the device is busy (another process attached to it?)";
	case EINVAL:
		return tap ? "the name is taken by a device that is not a TAP"
			   : "invalid device";
	}
	return strerror(err);
}

static int stack_link_up(struct tool_stack *st, const struct devopts *o)
{
	struct sl_dev_config cfg = {
		.spec = o->dev,
		.mtu = o->mtu,
		.offload = o->offload,
		.multi_queue = o->multi_queue,
		.mac = o->mac,
	};
	int ifindex;

	if (sl_dev_attach(st->net, &cfg, &ifindex) < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", st->prog, o->dev,
			dev_attach_hint(errno, o->dev));
		return -1;
	}
	if (sl_addr_add(st->net, st->ifname, o->addr) < 0) {
		fprintf(stderr, "%s: cannot add address %s: %s\n", st->prog,
			o->addr, strerror(errno));
		return -1;
	}
	if (o->gw && sl_route_add(st->net, "default", o->gw, st->ifname) < 0) {
		fprintf(stderr, "%s: cannot add default route via %s: %s%s\n",
			st->prog, o->gw, strerror(errno),
			errno == ENETUNREACH ? " (not in --addr's subnet)" : "");
		return -1;
	}
	if (o->pcap) {
		st->pcap = sl_pcap_start(st->net, st->ifname, o->pcap);
		if (st->pcap < 0) {
			fprintf(stderr, "%s: cannot capture to %s: %s\n",
				st->prog, o->pcap, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int tool_stack_up(struct tool_stack *st, const struct devopts *o,
		  const char *prog)
{
	struct sl_net_config cfg = { .mode = SL_NET_THREADED };

	memset(st, 0, sizeof(*st));
	st->prog = prog;
	st->spec = o->dev;
	st->pcap = -1;
	st->ctl_fd = -1;
	if (devopts_check(o, prog, st))
		return EXIT_USAGE;
	cfg.name = st->ifname;
	st->net = sl_net_create(&cfg);
	if (!st->net) {
		fprintf(stderr, "%s: cannot create a stack: %s\n", prog,
			strerror(errno));
		return 1;
	}
	if (stack_link_up(st, o)) {
		tool_stack_down(st);
		return 1;
	}
	return 0;
}

static void tool_ctl_stop(struct tool_stack *st)
{
	if (!st->ctl_running)
		return;
	__atomic_store_n(&st->ctl_running, false, __ATOMIC_RELAXED);
	pthread_join(st->ctl_thread, NULL);
	close(st->ctl_fd);
	unlink(st->ctl_path);
	st->ctl_fd = -1;
}

void tool_stack_down(struct tool_stack *st)
{
	tool_ctl_stop(st);
	if (!st->net)
		return;
	if (st->pcap >= 0)
		sl_pcap_stop(st->net, st->pcap);
	sl_net_destroy(st->net);
	st->net = NULL;
}

/* --- the control socket of `sockline ss` ---------------------------------- */

/* @which 0: /run/sockline, 1: /tmp/sockline-<uid>. 0, or -1 past the end. */
int tool_ctl_dir(char *buf, size_t len, int which)
{
	if (which == 0)
		snprintf(buf, len, "/run/sockline");
	else if (which == 1)
		snprintf(buf, len, "/tmp/sockline-%u", (unsigned int)getuid());
	else
		return -1;
	return 0;
}

/* Read the one-line request: "ss [info] [sockets] [counters]". */
static int ctl_read_request(int fd, char *req, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len) {
		if (poll(&pfd, 1, 2000) <= 0)
			return -1;
		r = read(fd, req + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = '\0';
	return n ? 0 : -1;
}

static void ctl_answer(struct tool_stack *st, int fd)
{
	char req[CTL_REQ_MAX], ip[INET_ADDRSTRLEN];
	bool info, sockets, counters;
	FILE *f;

	if (ctl_read_request(fd, req, sizeof(req)) || strncmp(req, "ss", 2)) {
		close(fd);
		return;
	}
	info = strstr(req, " info") != NULL;
	counters = strstr(req, " counters") != NULL;
	sockets = strstr(req, " sockets") != NULL || !counters;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return;
	}
	inet_ntop(AF_INET, &st->addr, ip, sizeof(ip));
	fprintf(f, "# sockline pid %d on %s, %s/%u\n", (int)getpid(), st->spec,
		ip, st->prefix);
	if (sockets)
		sl_ss_dump(st->net, f, info);
	if (counters) {
		if (sockets)
			fputc('\n', f);
		sl_snmp_dump(st->net, f);
	}
	fclose(f);
}

static void *ctl_thread(void *arg)
{
	struct tool_stack *st = arg;
	struct pollfd pfd = { .fd = st->ctl_fd, .events = POLLIN };
	int fd;

	/* A short poll, so that tool_ctl_stop is seen within 200 ms. */
	while (__atomic_load_n(&st->ctl_running, __ATOMIC_RELAXED)) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		fd = accept4(st->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			ctl_answer(st, fd);
	}
	return NULL;
}

/* Make @dir (mode @mode) unless it is there; 0 when usable. */
static int ctl_mkdir(const char *dir, mode_t mode)
{
	if (mkdir(dir, mode) && errno != EEXIST)
		return -1;
	return access(dir, W_OK | X_OK);
}

static int ctl_bind(struct tool_stack *st)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[64];
	int which, fd;

	for (which = 0; !tool_ctl_dir(dir, sizeof(dir), which); which++) {
		if (ctl_mkdir(dir, which ? 0700 : 0755))
			continue;
		snprintf(st->ctl_path, sizeof(st->ctl_path), "%s/%d.sock", dir,
			 (int)getpid());
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		unlink(st->ctl_path);   /* a stale one of a dead process */
		memcpy(sun.sun_path, st->ctl_path, strlen(st->ctl_path) + 1);
		if (!bind(fd, (struct sockaddr *)&sun, sizeof(sun)) &&
		    !listen(fd, 8))
			return fd;
		close(fd);
	}
	return -1;
}

int tool_ctl_start(struct tool_stack *st)
{
	st->ctl_fd = ctl_bind(st);
	if (st->ctl_fd < 0) {
		fprintf(stderr, "%s: warning: no control socket for `sockline ss`: "
			"%s\n", st->prog, strerror(errno));
		return -1;
	}
	st->ctl_running = true;
	if (pthread_create(&st->ctl_thread, NULL, ctl_thread, st)) {
		st->ctl_running = false;
		close(st->ctl_fd);
		unlink(st->ctl_path);
		st->ctl_fd = -1;
		return -1;
	}
	return 0;
}

/* --- signals, clocks, parsers --------------------------------------------- */

static void on_stop_signal(int sig)
{
	tool_stop = 1;
}

void tool_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	/* No SA_RESTART: a blocked host call returns EINTR and sees the flag. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Writes to a closed pipe or control client fail with EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
}

double tool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int tool_parse_host(const char *s, struct in_addr *a)
{
	struct addrinfo hints = { .ai_family = AF_INET };
	struct addrinfo *res;

	if (inet_pton(AF_INET, s, a) == 1)
		return 0;
	/* A name goes to the host's resolver (/etc/hosts first). */
	if (!*s || getaddrinfo(s, NULL, &hints, &res))
		return -1;
	*a = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

int tool_parse_hostport(const char *s, struct sockaddr_in *sin)
{
	const char *colon = strrchr(s, ':');
	char host[256], *end;
	unsigned long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port > 65535)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return tool_parse_host(host, &sin->sin_addr);
}

int tool_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B')
		end++;
	if (*end || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}
