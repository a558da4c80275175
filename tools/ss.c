/*
 * sockline ss: the sockets and counters of a running stack (a serve, send
 * or recv process), as `ss -tuan[i]` and /proc/net/snmp show the kernel's.
 *
 * Every such process listens on a kernel AF_UNIX socket named after its
 * pid (tools/devopts.c tool_ctl_start): /run/sockline/<pid>.sock, or
 * /tmp/sockline-<uid>/<pid>.sock when /run is not writable. ss finds it
 * (--socket PATH, --pid PID, or the only live one), sends one request line
 * ("ss [info] [sockets] [counters]") and copies the answer to stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tools.h"

struct ss_opts {
	bool info, sockets, counters;
	long pid;               /* 0: find the only one */
	const char *path;
};

static void ss_usage(FILE *out)
{
	fprintf(out,
		"usage: sockline ss [-i] [-s | -S] [--pid PID | --socket PATH]\n\n"
		"List the sockets of a running sockline stack (sockline serve, send\n"
		"or recv) as `ss -tuan` lists the kernel's: netid, state, queues,\n"
		"addresses; then its counters (/proc/net/snmp layout). It asks the\n"
		"process over its control socket, /run/sockline/PID.sock (or\n"
		"/tmp/sockline-UID/PID.sock).\n\n"
		"options:\n"
		"  -i, --info           TCP details: cwnd, rtt, rto, retransmits, bytes\n"
		"  -S, --sockets        sockets only\n"
		"  -s, --counters       counters only\n"
		"  -p, --pid PID        the stack of process PID (default: the only\n"
		"                       one running)\n"
		"      --socket PATH    the control socket at PATH\n"
		"  -h, --help           this text\n");
}

static int ss_parse(struct ss_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "info", no_argument, NULL, 'i' },
		{ "sockets", no_argument, NULL, 'S' },
		{ "counters", no_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "iSsp:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->info = true; break;
		case 'S': o->sockets = true; break;
		case 's': o->counters = true; break;
		case 'U': o->path = optarg; break;
		case 'p':
			o->pid = strtol(optarg, &end, 10);
			if (end == optarg || *end || o->pid <= 0) {
				fprintf(stderr, "sockline ss: bad pid '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': ss_usage(stdout); return 0;
		default:
			fprintf(stderr, "Try 'sockline ss --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sockline ss: unexpected argument '%s'\n"
			"Try 'sockline ss --help'.\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->pid && o->path) {
		fprintf(stderr, "sockline ss: --pid or --socket, not both\n");
		return EXIT_USAGE;
	}
	if (!o->sockets && !o->counters)
		o->sockets = o->counters = true;
	return -1;
}

/* The control socket of @pid, if it exists. */
static int ss_pid_path(long pid, char *path, size_t len)
{
	char dir[64];
	int which;

	for (which = 0; !tool_ctl_dir(dir, sizeof(dir), which); which++) {
		snprintf(path, len, "%s/%ld.sock", dir, pid);
		if (!access(path, F_OK))
			return 0;
	}
	return -1;
}

/* The only control socket of a live process. 0, or -1 (said why). */
static int ss_find(char *path, size_t len)
{
	char dir[64];
	struct dirent *de;
	long pids[16], pid;
	int which, n = 0, i;
	char *end;
	DIR *d;

	for (which = 0; !tool_ctl_dir(dir, sizeof(dir), which); which++) {
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			pid = strtol(de->d_name, &end, 10);
			if (pid <= 0 || strcmp(end, ".sock"))
				continue;
			/* A stale socket of a process that died. */
			if (kill((pid_t)pid, 0) && errno == ESRCH)
				continue;
			if (!n)
				snprintf(path, len, "%.63s/%.40s", dir, de->d_name);
			if (n < (int)(sizeof(pids) / sizeof(pids[0])))
				pids[n] = pid;
			n++;
		}
		closedir(d);
	}
	if (n == 1)
		return 0;
	if (!n) {
		fprintf(stderr, "sockline ss: no running sockline stack found "
			"(sockline serve, send and recv answer ss)\n");
		return -1;
	}
	fprintf(stderr, "sockline ss: %d stacks run; choose one with --pid:", n);
	for (i = 0; i < n && i < (int)(sizeof(pids) / sizeof(pids[0])); i++)
		fprintf(stderr, " %ld", pids[i]);
	fprintf(stderr, "\n");
	return -1;
}

static int ss_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send the request, copy the answer to stdout. 0 or -1. */
static int ss_ask(int fd, const struct ss_opts *o)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[8192];
	ssize_t n;
	int len;

	len = snprintf(buf, sizeof(buf), "ss%s%s%s\n", o->info ? " info" : "",
		       o->sockets ? " sockets" : "", o->counters ? " counters" : "");
	if (write(fd, buf, (size_t)len) != len)
		return -1;
	for (;;) {
		if (poll(&pfd, 1, 5000) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0)
			return -1;
		if (!n)
			return 0;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -1;
	}
}

int ss_main(int argc, char **argv)
{
	struct ss_opts o = { 0 };
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int err, fd;

	err = ss_parse(&o, argc, argv);
	if (err >= 0)
		return err;
	if (o.path) {
		snprintf(path, sizeof(path), "%s", o.path);
	} else if (o.pid) {
		if (ss_pid_path(o.pid, path, sizeof(path))) {
			fprintf(stderr, "sockline ss: no sockline stack in process "
				"%ld (no control socket)\n", o.pid);
			return 1;
		}
	} else if (ss_find(path, sizeof(path))) {
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = ss_connect(path);
	if (fd < 0) {
		fprintf(stderr, "sockline ss: %s: %s\n", path, strerror(errno));
		return 1;
	}
	err = ss_ask(fd, &o);
	if (err)
		fprintf(stderr, "sockline ss: %s: %s\n", path, strerror(errno));
	close(fd);
	return err ? 1 : 0;
}
