/*
 * sockline run: start a program with its IPv4 sockets on a sockline stack
 * inside its own process (no daemon): the device options become the
 * SOCKLINE_* environment of libsockline-preload.so, which LD_PRELOAD puts
 * in front of libc, then the program is exec'd. The shim starts the stack
 * on the program's first IPv4 socket (docs/preload.md).
 *
 * The shim is looked for next to this program (a build directory), then
 * in ../lib, ../lib64 or ../lib/ARCH relative to it (an install), then
 * at $SOCKLINE_PRELOAD.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools.h"

#define PRELOAD_NAME "libsockline-preload.so"

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: sockline run --dev DEV --addr A.B.C.D/P [options] -- PROGRAM [ARGS...]\n\n"
		"Run PROGRAM with its IPv4 sockets (and AF_INET6 sockets used for\n"
		"IPv4) on a sockline stack in its own process, attached to DEV;\n"
		"files, pipes, UNIX sockets and everything else stay with the\n"
		"kernel. The stack starts on the program's first IPv4 socket, so\n"
		"wrappers (sh -c, timeout, env) work. `sockline ss` lists its\n"
		"sockets while it runs. Exits with PROGRAM's status (127: not found).\n\n"
		"options:\n"
		"      --trace          one stderr line per socket call sockline\n"
		"                       carries (SOCKLINE_TRACE=1)\n"
		"      --linger SECONDS at exit, wait up to SECONDS for TCP data and\n"
		"                       FINs to be acknowledged (default 5;\n"
		"                       SOCKLINE_EXIT_LINGER)\n"
		"  -h, --help           this text\n\n");
	devopts_usage(out);
	fprintf(out,
		"\nThe same settings work without `sockline run`:\n"
		"  LD_PRELOAD=%s SOCKLINE_DEV=tap:sl0 \\\n"
		"    SOCKLINE_ADDR=10.0.0.2/24 PROGRAM\n"
		"\nexample:\n"
		"  ip tuntap add dev sl0 mode tap multi_queue\n"
		"  ip addr add 10.0.0.1/24 dev sl0; ip link set sl0 up\n"
		"  sockline run --dev tap:sl0 --addr 10.0.0.2/24 -- python3 -m http.server 8000 &\n"
		"  curl http://10.0.0.2:8000/\n", PRELOAD_NAME);
}

/* The directory of the running sockline program, into @dir. 0 or -1. */
static int self_dir(char *dir, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", dir, len - 1);
	char *slash;

	if (n <= 0)
		return -1;
	dir[n] = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	return 0;
}

/* Where the shim is: see the file's comment. 0 with @path, or -1. */
static int find_preload(char *path, size_t len)
{
	static const char *const libdirs[] = { "lib", "lib64",
		"lib/x86_64-linux-gnu", "lib/aarch64-linux-gnu" };
	const char *env = getenv("SOCKLINE_PRELOAD");
	char dir[PATH_MAX];
	size_t i;
	int n;

	if (!self_dir(dir, sizeof(dir))) {
		n = snprintf(path, len, "%s/%s", dir, PRELOAD_NAME);
		if (n > 0 && (size_t)n < len && !access(path, R_OK))
			return 0;
		for (i = 0; i < sizeof(libdirs) / sizeof(libdirs[0]); i++) {
			n = snprintf(path, len, "%s/../%s/%s", dir, libdirs[i],
				     PRELOAD_NAME);
			if (n > 0 && (size_t)n < len && !access(path, R_OK))
				return 0;
		}
	}
	if (env && *env && !access(env, R_OK)) {
		snprintf(path, len, "%s", env);
		return 0;
	}
	return -1;
}

/* LD_PRELOAD=@lib, in front of what the environment already preloads. */
static int set_preload(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;
	int r;

	if (!old || !*old)
		return setenv("LD_PRELOAD", lib, 1);
	if (asprintf(&v, "%s:%s", lib, old) < 0)
		return -1;
	r = setenv("LD_PRELOAD", v, 1);
	free(v);
	return r;
}

static int set_env(const char *name, const char *value)
{
	if (!value)
		return 0;
	return setenv(name, value, 1);
}

struct run_opts {
	struct devopts dev;
	bool trace;
	const char *linger;
	char mtu[16];
	const char *offload;
};

static int run_parse(struct run_opts *ro, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trace", no_argument, NULL, 'T' },
		{ "linger", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		DEVOPTS_LONGOPTS,
		{ 0 },
	};
	char *end;
	int c, r;

	devopts_init(&ro->dev);
	optind = 1;
	/* '+': the options end at PROGRAM, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		r = devopts_parse(&ro->dev, "sockline run", c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r) {
			if (c == DEVOPT_OFFLOAD)
				ro->offload = optarg;
			continue;
		}
		switch (c) {
		case 'T':
			ro->trace = true;
			break;
		case 'L':
			if (strtod(optarg, &end) < 0 || end == optarg || *end) {
				fprintf(stderr, "sockline run: bad --linger '%s' "
					"(seconds, 0 or more)\n", optarg);
				return EXIT_USAGE;
			}
			ro->linger = optarg;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'sockline run --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "sockline run: no program to run: give "
			"-- PROGRAM [ARGS...]\nTry 'sockline run --help'.\n");
		return EXIT_USAGE;
	}
	if (devopts_validate(&ro->dev, "sockline run"))
		return EXIT_USAGE;
	return -1;
}

/* The shim's environment: SOCKLINE_* as the options say, and LD_PRELOAD. */
static int run_env(struct run_opts *ro, const char *lib)
{
	struct devopts *o = &ro->dev;

	if (o->mtu)
		snprintf(ro->mtu, sizeof(ro->mtu), "%u", o->mtu);
	if (set_env("SOCKLINE_DEV", o->dev) || set_env("SOCKLINE_ADDR", o->addr) ||
	    set_env("SOCKLINE_GW", o->gw) || set_env("SOCKLINE_PCAP", o->pcap) ||
	    set_env("SOCKLINE_MTU", o->mtu ? ro->mtu : NULL) ||
	    set_env("SOCKLINE_OFFLOAD", ro->offload) ||
	    set_env("SOCKLINE_EXIT_LINGER", ro->linger) ||
	    set_env("SOCKLINE_TRACE", ro->trace ? "1" : NULL))
		return -1;
	/* A fresh program: its first stack owns the capture file and picks
	 * the MAC its children share (src/preload/preload.c). */
	unsetenv("SOCKLINE_PCAP_PID");
	unsetenv("SOCKLINE_MAC");
	return set_preload(lib);
}

int run_main(int argc, char **argv)
{
	struct run_opts ro = { 0 };
	char lib[PATH_MAX];
	int err;

	err = run_parse(&ro, argc, argv);
	if (err >= 0)
		return err;
	if (find_preload(lib, sizeof(lib))) {
		fprintf(stderr, "sockline run: cannot find %s next to sockline, "
			"in ../lib*/, or at $SOCKLINE_PRELOAD\n", PRELOAD_NAME);
		return 1;
	}
	if (run_env(&ro, lib)) {
		fprintf(stderr, "sockline run: cannot set the environment: %s\n",
			strerror(errno));
		return 1;
	}
	execvp(argv[optind], argv + optind);
	err = errno;
	fprintf(stderr, "sockline run: cannot run %s: %s\n", argv[optind],
		strerror(err));
	return err == ENOENT ? 127 : 126;
}
