/* Subcommands of the sockline program. */
#ifndef SOCKLINE_TOOLS_H
#define SOCKLINE_TOOLS_H

#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockline/sockline.h"

int demo_main(int argc, char **argv);
/* The demo's TCP part (tools/demo_tcp.c). */
void demo_tcp(sl_net_t *a, sl_net_t *b, sl_clock_t *clk, bool polled,
	      bool virtual_clock, size_t total);
/* Print an `ss -ti`-like line for a connected TCP socket. */
void demo_tcp_ss(int fd);

/* --- real links (tools/devopts.c) ----------------------------------------- */

int serve_main(int argc, char **argv);
int ping_main(int argc, char **argv);
int get_main(int argc, char **argv);
int send_main(int argc, char **argv);
int recv_main(int argc, char **argv);
int ss_main(int argc, char **argv);
/* tools/run.c: a program on sockline through libsockline-preload.so. */
int run_main(int argc, char **argv);

/* Exit status of a usage error (bad option, bad address, missing --dev). */
#define EXIT_USAGE 2

/* The device options of every real-link subcommand. */
struct devopts {
	const char *dev;        /* "tap:NAME" or "packet:IFNAME" */
	const char *addr;       /* "A.B.C.D/P" */
	const char *gw;         /* default gateway, or NULL */
	const char *pcap;       /* capture file, or NULL */
	unsigned int mtu;       /* 0: the link's */
	int offload;            /* -1 default, 0 off, 1 on */
	bool multi_queue;       /* TAP: a queue others may share (the shim) */
	const uint8_t *mac;     /* the stack's MAC, NULL: random */
};

/* getopt_long codes of the device options (DEVOPTS_LONGOPTS). */
enum {
	DEVOPT_DEV = 0x1000,
	DEVOPT_ADDR,
	DEVOPT_GW,
	DEVOPT_MTU,
	DEVOPT_PCAP,
	DEVOPT_OFFLOAD,
};
#define DEVOPTS_LONGOPTS                                                 \
	{ "dev", required_argument, NULL, DEVOPT_DEV },                   \
	{ "addr", required_argument, NULL, DEVOPT_ADDR },                 \
	{ "gw", required_argument, NULL, DEVOPT_GW },                     \
	{ "mtu", required_argument, NULL, DEVOPT_MTU },                   \
	{ "pcap", required_argument, NULL, DEVOPT_PCAP },                 \
	{ "offload", required_argument, NULL, DEVOPT_OFFLOAD }

/* Defaults, then SOCKLINE_DEV, _ADDR, _GW, _MTU, _PCAP (flags parsed later
 * win). */
void devopts_init(struct devopts *o);
/* A getopt_long result: 1 if it was a device option (0 if not); -1 after
 * printing why its value is bad. */
int devopts_parse(struct devopts *o, const char *prog, int c, const char *arg);
/* The device options' lines of a --help text. */
void devopts_usage(FILE *out);
/* Check @o as tool_stack_up does, without bringing anything up: 0, or -1
 * after printing why (`sockline run` checks before it execs). */
int devopts_validate(const struct devopts *o, const char *prog);

/* A stack brought up on a real link. */
struct tool_stack {
	sl_net_t *net;
	const char *prog;       /* "sockline serve", for messages */
	const char *spec;       /* the --dev value */
	char ifname[32];        /* the device in the stack */
	struct in_addr addr;    /* --addr */
	unsigned int prefix;
	int pcap;               /* capture handle, -1 none */
	/* `sockline ss` control socket (tool_ctl_start) */
	int ctl_fd;
	char ctl_path[108];
	pthread_t ctl_thread;
	bool ctl_running;
};
/*
 * Check @o, create a threaded stack, attach the link, set MTU, address,
 * default route and capture. Prints why on failure and returns the exit
 * status to use (EXIT_USAGE for bad options, 1 when the link fails); 0 on
 * success.
 */
int tool_stack_up(struct tool_stack *st, const struct devopts *o,
		  const char *prog);
void tool_stack_down(struct tool_stack *st);
/* Listen on /run/sockline/<pid>.sock (or /tmp/sockline-<uid>/) for
 * `sockline ss`, answered from a thread of its own. 0 or -1 (warned). */
int tool_ctl_start(struct tool_stack *st);
/* The control socket directories, in search order. */
int tool_ctl_dir(char *buf, size_t len, int which);

/* Set by SIGINT/SIGTERM once tool_signals() installed the handlers. */
extern volatile sig_atomic_t tool_stop;
void tool_signals(void);
/* CLOCK_MONOTONIC, in seconds. */
double tool_now(void);
/* "A.B.C.D" (or a name from /etc/hosts) into @a. 0 or -1. */
int tool_parse_host(const char *s, struct in_addr *a);
/* "HOST:PORT" into @sin. 0 or -1. */
int tool_parse_hostport(const char *s, struct sockaddr_in *sin);
/* "123", "64K", "64M", "1G" (powers of 1024). 0 or -1. */
int tool_parse_size(const char *s, uint64_t *out);

/* A progress bar on stderr (tools/xfer.c). */
struct progress {
	const char *label;
	uint64_t total;         /* 0: unknown */
	double start, last;
	bool show;
};
void progress_init(struct progress *p, const char *label, uint64_t total,
		   bool show);
void progress_update(struct progress *p, uint64_t done, bool force);
void progress_end(struct progress *p);

#endif
