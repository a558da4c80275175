/*
 * Shared helpers for sockline's cmocka tests.
 *
 *   #include "sl_test.h"
 *   struct sl_pair p;
 *   sl_pair_setup(&p, NULL);        // two polled stacks on one virtual clock,
 *                                   // joined by a wire: a=10.0.0.1/24 "wire0",
 *                                   // b=10.0.0.2/24 "wire0"
 *   ... sl_pair_run(&p, 10 * NSEC) // advance virtual time, polling both
 *   sl_pair_teardown(&p);           // destroys both, then asserts no leaks
 */
#ifndef SL_TEST_H
#define SL_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"

struct sl_pair {
	sl_clock_t *clk;
	sl_net_t *a, *b;
	int ifindex_a, ifindex_b;
};

/* @cfg may be NULL for a clean 1500-byte wire. */
void sl_pair_setup(struct sl_pair *p, const struct sl_wire_config *cfg);
void sl_pair_teardown(struct sl_pair *p);
/* Poll both stacks until idle, then advance the clock by @ns in steps,
 * running timers and polling as it goes. */
void sl_pair_run(struct sl_pair *p, uint64_t ns);
/* Poll both stacks until neither has work (no clock movement). */
void sl_pair_settle(struct sl_pair *p);

/* Fail the test if any skb or sock is still alive. */
void sl_assert_no_leaks(void);

/* sockaddr_in from "A.B.C.D" and a port. */
struct sockaddr_in sl_sin(const char *ip, uint16_t port);

#endif
