/*
 * sockline: the command-line program. One subcommand per job, one file
 * each under tools/:
 *   sockline demo [options]    two stacks on an in-process virtual wire
 *   sockline serve|ping|get|send|recv [device options] ...
 *                              a stack on a real link (tap:NAME,
 *                              packet:IFNAME; tools/devopts.c)
 *   sockline ss                a running stack's sockets and counters
 *   sockline run [device options] -- PROGRAM ARGS...
 *                              PROGRAM's sockets on sockline (tools/run.c)
 */
#include <stdio.h>
#include <string.h>

#include "sockline/sockline.h"
#include "tools.h"

static const struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *help;
} subcommands[] = {
	{ "serve", serve_main,
	  "serve echo, discard and HTTP on a real link until SIGINT" },
	{ "ping", ping_main, "ICMP echo from a stack on a real link, as ping" },
	{ "get", get_main, "HTTP/1.1 GET a URL into a file" },
	{ "send", send_main, "bulk TCP transfer to HOST:PORT, with figures" },
	{ "recv", recv_main, "accept one TCP transfer on HOST:PORT" },
	{ "ss", ss_main, "sockets and counters of a running stack" },
	{ "run", run_main,
	  "run a program with its IPv4 sockets on sockline (LD_PRELOAD)" },
	{ "demo", demo_main,
	  "two stacks on an in-process virtual wire: ARP, ping, UDP, a traced path" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: sockline COMMAND [options]\n\n"
		     "sockline %s: a user-space TCP/IP stack with Linux's socket "
		     "architecture.\n\ncommands:\n", SOCKLINE_VERSION);
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].help);
	fprintf(out,
		"\nThe real-link commands take the device options\n"
		"  --dev tap:NAME|packet:IFNAME --addr A.B.C.D/P [--gw G] [--mtu N]\n"
		"  [--pcap FILE] [--offload on|off]\n"
		"or SOCKLINE_DEV, SOCKLINE_ADDR, SOCKLINE_GW, SOCKLINE_MTU, SOCKLINE_PCAP.\n"
		"\nexample:\n"
		"  sockline serve --dev tap:sl0 --addr 10.0.0.2/24 &\n"
		"  ip addr add 10.0.0.1/24 dev sl0\n"
		"  ping 10.0.0.2; sockline ss\n"
		"\n'sockline COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	static char prog[32];
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("sockline %s\n", SOCKLINE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name))
			continue;
		/* getopt's messages then name the command: "sockline serve: ..." */
		snprintf(prog, sizeof(prog), "sockline %s", subcommands[i].name);
		argv[1] = prog;
		return subcommands[i].main(argc - 1, argv + 1);
	}
	fprintf(stderr, "sockline: unknown command '%s'\n"
		"Try 'sockline --help'.\n", argv[1]);
	return 2;
}
