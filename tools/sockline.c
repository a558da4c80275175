/*
 * sockline: the command-line program. One subcommand per job:
 *   sockline demo [options]    two stacks on an in-process virtual wire
 * (serve, ping, get, send, recv, ss and run come with real links.)
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
	fprintf(out, "\n'sockline COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
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
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].main(argc - 1, argv + 1);
	fprintf(stderr, "sockline: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
