/*
 * The packet-level test harness: scripted tests on one sockline stack on a
 * virtual clock, driven through libsockline-packetdrill's function table
 * (struct packetdrill_interface), exactly as google/packetdrill drives it.
 *
 * A test reads like a packetdrill script:
 *
 *   struct pkt *h = pkt_new(NULL);
 *   int fd = pkt_listen(h, 8080, 1);                 // at the current time
 *   PKT(h, "0.100 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
 *   PKT(h, "0.100 > S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>");
 *   PKT(h, "0.200 < . 1:1(0) ack 1 win 502 <nop,nop,TS val 200 ecr *>");
 *   int c = PKT_OK(h, "0.200", pkt_accept(h, fd));
 *   pkt_free(h);                                     // also checks for leaks
 *
 * Packet lines: "<time> <dir> <what>".
 *   time: "0.1" (seconds after pkt_new), "+0.1" (after the previous event),
 *         "*" (any time), "A~B" (a range; B may be "+x", relative to A).
 *         Outbound times must match within the tolerance (pkt_tolerance,
 *         4 ms by default as packetdrill's --tolerance_usecs).
 *   dir:  "<" injected into the stack, ">" expected from it.
 *   TCP:  flags (F S R P . E W U, "." = ACK) "start:end(len)" [ack N]
 *         [win N] [<options>]. Sequence numbers are relative to the ISN of
 *         the side that sends them: the harness's fixed remote ISN, and the
 *         stack's ISN learned from its SYN or SYN-ACK (0 before that, so an
 *         RST to a closed port reads in absolute numbers of what we sent).
 *         Options: mss N, sackOK, TS val V ecr E, nop, eol, wscale N,
 *         sack A:B [C:D...] (relative to the ISN of the side whose data
 *         they acknowledge). In "<" lines "ecr *" echoes the stack's latest TS
 *         val; in ">" lines "*" matches anything and a numeric TS val is
 *         counted in ms from the stack's first TS val on the flow.
 *         In ">" lines an absent "win" or "<...>" is not checked; "<>"
 *         means no options at all.
 *   UDP:  "udp (len)"; ICMP: "icmp echo_request|echo_reply [id N seq N]
 *         (len)", "icmp unreachable port_unreachable|frag_needed mtu N|...".
 * Packets travel between remote_ip:rport and local_ip:lport of the current
 * flow (pkt_flow; 40000 -> 8080 by default).
 *
 * Strictness: a datagram the stack sent that no ">" line consumed makes the
 * next event fail (as an unexpected packet), unless pkt_strict(h, false).
 */
#ifndef SL_PKT_HARNESS_H
#define SL_PKT_HARNESS_H

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sl_test.h"

#include "packetdrill.h"

struct pkt;

/* Open the adapter with @flags appended to the harness's own (sysctl_dir
 * pointing at a private directory, see pkt_sysctl). Asserts success. */
struct pkt *pkt_new(const char *flags);
/* Free the adapter (every socket and the stack), then assert no leak. */
void pkt_free(struct pkt *h);
struct packetdrill_interface *pkt_ifc(struct pkt *h);
void *pkt_ud(struct pkt *h);

/* Like `sysctl -w net.ipv4.<name>=<value>` in packetdrill's namespace:
 * read by the adapter at the next socket(). */
void pkt_sysctl(struct pkt *h, const char *name, const char *value);
void pkt_tolerance(struct pkt *h, uint64_t usecs);
void pkt_strict(struct pkt *h, bool on);
/* Current flow's ports (host order); lport 0: learn it from the stack. */
void pkt_flow(struct pkt *h, uint16_t rport, uint16_t lport);
/* The harness's remote ISN for new flows (default 0). */
void pkt_remote_isn(struct pkt *h, uint32_t isn);

/* Run one packet line; fails the test (with both packets printed) on a
 * mismatch. */
void pkt_line(struct pkt *h, const char *file, int line, const char *text);
#define PKT(h, text) pkt_line((h), __FILE__, __LINE__, (text))
/* Expect nothing sent from now until @when (a time as in lines). */
void pkt_silent(struct pkt *h, const char *file, int line, const char *when);
#define PKT_SILENT(h, when) pkt_silent((h), __FILE__, __LINE__, (when))

/* Move to script time @when (runs the stack's timers on the way). */
void pkt_at(struct pkt *h, const char *when);
/* Script time now, in us since pkt_new. */
uint64_t pkt_now_us(struct pkt *h);

/* The last datagram a ">" line matched (IP header first). */
const uint8_t *pkt_last_out(struct pkt *h, size_t *len);
/* The stack's ISN on the current flow, and its latest TS val. */
uint32_t pkt_local_isn(struct pkt *h);

/*
 * System calls at a script time: move to @when, run @expr (a call through
 * the function table: the helpers below), check the result and errno.
 */
/* Move to @when; fail on a datagram sent and not expected before it. */
void pkt_call_begin(struct pkt *h, const char *file, int line,
		    const char *when);
long pkt_call_check(struct pkt *h, const char *file, int line,
		    const char *text, long ret, int err, long want_ret,
		    int want_err, bool any_ok);
#define PKT_CALL__(h, when, expr, want, e, any)                                \
	({                                                                     \
		long r__;                                                      \
		int e__;                                                       \
		pkt_call_begin((h), __FILE__, __LINE__, (when));               \
		errno = 0;                                                     \
		r__ = (long)(expr);                                            \
		e__ = errno;                                                   \
		pkt_call_check((h), __FILE__, __LINE__, #expr, r__, e__,       \
			       (want), (e), (any));                            \
	})
/* Expect success (>= 0); returns the value. */
#define PKT_OK(h, when, expr) PKT_CALL__(h, when, expr, 0, 0, true)
/* Expect exactly @ret. */
#define PKT_RET(h, when, expr, ret) PKT_CALL__(h, when, expr, ret, 0, false)
/* Expect -1 with errno @e. */
#define PKT_ERR(h, when, expr, e) PKT_CALL__(h, when, expr, -1, e, false)

/* --- calls through the function table ------------------------------------ */

int pkt_socket(struct pkt *h, int type);
int pkt_bind_port(struct pkt *h, int fd, uint16_t port);
/* socket(SOCK_STREAM [|flags]) + SO_REUSEADDR + bind(0.0.0.0:@port) +
 * listen(@backlog), at the current time; sets the flow's lport. */
int pkt_listen(struct pkt *h, uint16_t port, int backlog);
int pkt_accept(struct pkt *h, int fd);
/* connect to remote_ip:rport of the current flow (lport learned). */
int pkt_connect(struct pkt *h, int fd);
int pkt_setsockopt_int(struct pkt *h, int fd, int level, int name, int val);
int pkt_getsockopt_int(struct pkt *h, int fd, int level, int name, int *val);
/* Write/send @len bytes of a pattern; read/recv up to @len bytes. */
long pkt_write(struct pkt *h, int fd, size_t len);
long pkt_send(struct pkt *h, int fd, size_t len, int flags);
long pkt_read(struct pkt *h, int fd, size_t len);
long pkt_recv(struct pkt *h, int fd, size_t len, int flags);
int pkt_close(struct pkt *h, int fd);
int pkt_shutdown(struct pkt *h, int fd, int how);
int pkt_fcntl_nonblock(struct pkt *h, int fd);
/* poll one fd for @events with @timeout_ms; returns poll's result, and
 * the revents in *@revents. */
int pkt_poll(struct pkt *h, int fd, short events, int timeout_ms,
	     short *revents);
/* getsockopt(SO_ERROR) value (the call must succeed). */
int pkt_so_error(struct pkt *h, int fd);
struct sockaddr_in pkt_remote_sin(struct pkt *h, uint16_t port);

/*
 * Blocking calls from a second thread, as packetdrill's syscall thread:
 * pkt_async starts @fn at @when and returns once the thread sleeps in the
 * call (or finished); pkt_async_end joins it and checks its result, errno
 * and completion time (a time as in lines, e.g. "0.300" or "*").
 */
struct pkt_async;
typedef long (*pkt_async_fn)(struct pkt *h, void *arg);
struct pkt_async *pkt_async(struct pkt *h, const char *when, pkt_async_fn fn,
			    void *arg);
void pkt_async_end(struct pkt *h, const char *file, int line,
		   struct pkt_async *a, const char *when, long want_ret,
		   int want_err);
#define PKT_ASYNC_END(h, a, when, ret, err)                                    \
	pkt_async_end((h), __FILE__, __LINE__, (a), (when), (ret), (err))

/* pkt_new for a TCP test: checks that a TCP socket can be made. */
struct pkt *pkt_new_tcp(const char *flags);
#define PKT_NEW_TCP(h, flags) ((h) = pkt_new_tcp(flags))
/*
 * The usual start of a server-side test, as packetdrill scripts open: at
 * 0 listen on 8080; the peer's SYN (mss 1460, SACK, wscale 7, timestamps
 * when @ts) at 0; the SYN-ACK at 0; the ACK at 0.100 (RTT 100 ms, peer
 * window 1000 << 7); accept. Returns the accepted fd; *@lfd the listener.
 */
int pkt_server_established(struct pkt *h, bool ts, int *lfd);

/* A counter of the stack ("TcpOutRsts", "TCPTimeouts", ...). */
uint64_t pkt_counter(struct pkt *h, const char *name);

#endif
