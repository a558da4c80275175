/* Subcommands of the sockline program. */
#ifndef SOCKLINE_TOOLS_H
#define SOCKLINE_TOOLS_H

int demo_main(int argc, char **argv);

#endif
