/* Subcommands of the sockline program. */
#ifndef SOCKLINE_TOOLS_H
#define SOCKLINE_TOOLS_H

#include <stdbool.h>
#include <stddef.h>

#include "sockline/sockline.h"

int demo_main(int argc, char **argv);
/* The demo's TCP part (tools/demo_tcp.c). */
void demo_tcp(sl_net_t *a, sl_net_t *b, sl_clock_t *clk, bool polled,
	      bool virtual_clock, size_t total);
/* Print an `ss -ti`-like line for a connected TCP socket. */
void demo_tcp_ss(int fd);

#endif
