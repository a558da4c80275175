/*
 * The shim's core: the real libc functions, the table of sockline fds,
 * starting the stack on the first socket sockline carries, --trace, the
 * exit linger and fork.
 *
 * Lazy start: loading the shim does nothing but resolve symbols and
 * register the fork handler, so that wrappers which exec the real program
 * (timeout, sh -c, env) and programs that never open an IPv4 socket never
 * touch the device. The first socket() sockline carries brings the stack
 * up from the environment (SOCKLINE_DEV, _ADDR, _GW, _MTU, _PCAP,
 * _OFFLOAD), with tools/devopts.c's checks and messages, the same as
 * `sockline serve`.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"
#include "tools.h"

struct preload_real preload_real;
__thread unsigned int preload_depth __attribute__((tls_model("initial-exec")));
bool preload_fds_live;
bool preload_tracing;

#define RESOLVE(fn) (*(void **)&preload_real.fn = dlsym(RTLD_NEXT, #fn))

void preload_resolve(void)
{
	RESOLVE(socket); RESOLVE(socketpair); RESOLVE(bind); RESOLVE(listen);
	RESOLVE(accept); RESOLVE(accept4); RESOLVE(connect);
	RESOLVE(getsockname); RESOLVE(getpeername);
	RESOLVE(send); RESOLVE(sendto); RESOLVE(sendmsg); RESOLVE(sendmmsg);
	RESOLVE(recv); RESOLVE(recvfrom); RESOLVE(recvmsg); RESOLVE(recvmmsg);
	RESOLVE(shutdown); RESOLVE(setsockopt); RESOLVE(getsockopt);
	RESOLVE(read); RESOLVE(write); RESOLVE(readv); RESOLVE(writev);
	RESOLVE(pread); RESOLVE(pwrite); RESOLVE(pread64); RESOLVE(pwrite64);
	RESOLVE(preadv); RESOLVE(pwritev);
	RESOLVE(close); RESOLVE(close_range); RESOLVE(closefrom);
	RESOLVE(dup); RESOLVE(dup2); RESOLVE(dup3);
	RESOLVE(fcntl); RESOLVE(fcntl64); RESOLVE(ioctl);
	RESOLVE(fstat); RESOLVE(fstat64);
	RESOLVE(sendfile); RESOLVE(sendfile64); RESOLVE(splice);
	RESOLVE(poll); RESOLVE(ppoll); RESOLVE(select); RESOLVE(pselect);
	RESOLVE(epoll_create); RESOLVE(epoll_create1); RESOLVE(epoll_ctl);
	RESOLVE(epoll_wait); RESOLVE(epoll_pwait); RESOLVE(epoll_pwait2);
	RESOLVE(sigaction); RESOLVE(_exit); RESOLVE(_Exit);
	/* glibc before 2.28 has no fcntl64: the same call. */
	if (!preload_real.fcntl64)
		preload_real.fcntl64 = preload_real.fcntl;
}

/* --- the fd table ------------------------------------------------------------ */

/*
 * Two levels, pages allocated on first use and never freed, so that the
 * lookup on every call is two loads and no lock (1M fds: Linux's default
 * nr_open).
 */
#define FDT_PAGE_SHIFT 12
#define FDT_PAGE_SIZE (1u << FDT_PAGE_SHIFT)
#define FDT_PAGES 256u

static uint8_t *fdt_pages[FDT_PAGES];
static pthread_mutex_t fdt_grow_lock = PTHREAD_MUTEX_INITIALIZER;
static int fdt_highest = -1;

unsigned int fdt_get(int fd)
{
	uint8_t *page;

	if ((unsigned int)fd >= FDT_PAGES * FDT_PAGE_SIZE)
		return 0;
	page = __atomic_load_n(&fdt_pages[(unsigned int)fd >> FDT_PAGE_SHIFT],
			       __ATOMIC_ACQUIRE);
	if (!page)
		return 0;
	return __atomic_load_n(&page[fd & (FDT_PAGE_SIZE - 1)],
				__ATOMIC_RELAXED);
}

static uint8_t *fdt_page(unsigned int idx)
{
	uint8_t *page = __atomic_load_n(&fdt_pages[idx], __ATOMIC_ACQUIRE);

	if (page)
		return page;
	pthread_mutex_lock(&fdt_grow_lock);
	page = fdt_pages[idx];
	if (!page) {
		page = calloc(1, FDT_PAGE_SIZE);
		if (page)
			__atomic_store_n(&fdt_pages[idx], page, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&fdt_grow_lock);
	return page;
}

void fdt_set(int fd, unsigned int flags)
{
	uint8_t *page;
	int hi;

	if ((unsigned int)fd >= FDT_PAGES * FDT_PAGE_SIZE)
		return;
	page = flags ? fdt_page((unsigned int)fd >> FDT_PAGE_SHIFT)
		     : __atomic_load_n(&fdt_pages[(unsigned int)fd >>
						  FDT_PAGE_SHIFT],
				       __ATOMIC_ACQUIRE);
	if (!page)
		return;
	__atomic_store_n(&page[fd & (FDT_PAGE_SIZE - 1)], (uint8_t)flags,
			 __ATOMIC_RELAXED);
	hi = __atomic_load_n(&fdt_highest, __ATOMIC_RELAXED);
	while (flags && fd > hi &&
	       !__atomic_compare_exchange_n(&fdt_highest, &hi, fd, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

int fdt_max(void)
{
	return __atomic_load_n(&fdt_highest, __ATOMIC_RELAXED);
}

/* fork child: nothing inherited is sockline's any more. */
static void fdt_clear(void)
{
	unsigned int i;

	for (i = 0; i < FDT_PAGES; i++)
		if (fdt_pages[i])
			memset(fdt_pages[i], 0, FDT_PAGE_SIZE);
	fdt_highest = -1;
}

int preload_new_fd(int fd, unsigned int flags)
{
	if (fd >= 0) {
		fdt_set(fd, flags | PFD_SL);
		__atomic_store_n(&preload_fds_live, true, __ATOMIC_RELEASE);
	}
	return fd;
}

/* --- tracing ----------------------------------------------------------------- */

/* "sockline: " and the formatted text in @line; returns its length,
 * which may exceed @cap - 1 when the text was cut. */
static size_t trace_format(char *line, size_t cap, const char *fmt,
			   va_list ap)
{
	size_t n = (size_t)snprintf(line, cap, "sockline: ");

	return n + (size_t)vsnprintf(line + n, cap - n, fmt, ap);
}

/* One write(2) per line, so that threads' lines do not mix. */
static void trace_emit(char *line, size_t n, size_t cap)
{
	if (n >= cap - 1)
		n = cap - 2;
	line[n++] = '\n';
	REAL(write)(STDERR_FILENO, line, n);
}

/* One trace line: the text, then " = RET" or " = -1 ENAME (text)" when
 * @with_ret (errno @saved). */
static void trace_vline(bool with_ret, long ret, int saved, const char *fmt,
			va_list ap)
{
	char line[512];
	size_t n = trace_format(line, sizeof(line), fmt, ap);

	if (with_ret && n < sizeof(line)) {
		if (ret < 0)
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      " = -1 %s (%s)",
					      strerrorname_np(saved),
					      strerror(saved));
		else
			n += (size_t)snprintf(line + n, sizeof(line) - n,
					      " = %ld", ret);
	}
	trace_emit(line, n, sizeof(line));
}

void preload_trace(long ret, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	trace_vline(true, ret, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void preload_note(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	trace_vline(false, 0, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* --- starting the stack --------------------------------------------------------- */

enum preload_state { STACK_IDLE, STACK_UP, STACK_FAILED };

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static enum preload_state stack_state;
static struct tool_stack stack;
static pid_t stack_pid;         /* the process the stack belongs to */
static uint8_t stack_mac[6];
static char pcap_path[4096];

/* "xx:xx:xx:xx:xx:xx" into @mac: 0 or -1. */
static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return (mac[0] & 1) ? -1 : 0;   /* not a multicast address */
}

/*
 * One MAC for every process of the program: a fork or exec child that
 * starts a stack of its own on the same TAP (another queue of it) answers
 * for the same address with the same MAC, so the kernel's ARP entry stays
 * right for all of them. The first process to start picks it and leaves
 * it in SOCKLINE_MAC for the children it execs.
 */
static void stack_pick_mac(void)
{
	const char *env = getenv("SOCKLINE_MAC");
	char buf[24];

	if (env && !parse_mac(env, stack_mac))
		return;
	if (getrandom(stack_mac, sizeof(stack_mac), 0) != sizeof(stack_mac)) {
		unsigned int seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
		int i;

		for (i = 0; i < 6; i++)
			stack_mac[i] = (uint8_t)rand_r(&seed);
	}
	stack_mac[0] = (uint8_t)((stack_mac[0] & 0xfe) | 0x02);
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", stack_mac[0],
		 stack_mac[1], stack_mac[2], stack_mac[3], stack_mac[4],
		 stack_mac[5]);
	setenv("SOCKLINE_MAC", buf, 1);
}

/*
 * SOCKLINE_PCAP belongs to the first process that starts a stack (it
 * leaves its pid in SOCKLINE_PCAP_PID); any other, a fork or an exec
 * child, captures to FILE.PID instead of overwriting it.
 */
static const char *stack_pcap(const char *pcap)
{
	const char *owner = getenv("SOCKLINE_PCAP_PID");
	char pid[16];

	if (!pcap || !*pcap)
		return NULL;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (!owner || !*owner) {
		setenv("SOCKLINE_PCAP_PID", pid, 1);
		return pcap;
	}
	if (!strcmp(owner, pid))
		return pcap;
	snprintf(pcap_path, sizeof(pcap_path), "%s.%s", pcap, pid);
	return pcap_path;
}

static int stack_offload(void)
{
	const char *s = getenv("SOCKLINE_OFFLOAD");

	if (s && !strcmp(s, "off"))
		return 0;
	if (s && !strcmp(s, "on"))
		return 1;
	return -1;
}

/* Bring the stack up (start_lock held, the guard up). */
static void stack_start(void)
{
	struct devopts o;
	int err;

	if (sl_fd_host_mode(true)) {
		fprintf(stderr, "%s: cannot use host fd numbers: %s\n",
			PRELOAD_PROG, strerror(errno));
		stack_state = STACK_FAILED;
		return;
	}
	devopts_init(&o);
	o.offload = stack_offload();
	/* A TAP that forked children can open again (another queue). */
	o.multi_queue = true;
	stack_pick_mac();
	o.mac = stack_mac;
	o.pcap = stack_pcap(o.pcap);
	err = tool_stack_up(&stack, &o, PRELOAD_PROG);
	if (err) {
		fprintf(stderr, "%s: sockets of %s (pid %d) fail with ENETDOWN\n",
			PRELOAD_PROG, program_invocation_short_name,
			(int)getpid());
		stack_state = STACK_FAILED;
		return;
	}
	stack_pid = getpid();
	__atomic_store_n(&stack_state, STACK_UP, __ATOMIC_RELEASE);
	/* `sockline ss` finds the program's sockets as a serve's. */
	if (!getenv("SOCKLINE_NO_CTL"))
		tool_ctl_start(&stack);
	if (preload_tracing)
		preload_note("stack up on %s, %s (pid %d)", o.dev, o.addr,
			     (int)getpid());
}

sl_net_t *preload_net(void)
{
	enum preload_state state = __atomic_load_n(&stack_state,
						   __ATOMIC_ACQUIRE);

	if (state == STACK_IDLE) {
		pthread_mutex_lock(&start_lock);
		if (stack_state == STACK_IDLE) {
			preload_depth++;
			stack_start();
			preload_depth--;
		}
		state = stack_state;
		pthread_mutex_unlock(&start_lock);
	}
	if (state != STACK_UP) {
		errno = ENETDOWN;
		return NULL;
	}
	return stack.net;
}

/* --- exit ------------------------------------------------------------------- */

/* What @dump writes about @net, in a string to free. */
static char *stack_text(sl_net_t *net, void (*dump)(sl_net_t *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	dump(net, f);
	fclose(f);
	return buf;
}

static void ss_dump(sl_net_t *net, FILE *f)
{
	sl_ss_dump(net, f, false);
}

/*
 * What the stack still owes the network: TCP sockets with unacknowledged
 * data or FIN (ss's FIN-WAIT-1, CLOSING, LAST-ACK, or a Send-Q), and
 * neighbours still being resolved (their queue holds datagrams sent just
 * before exit), and frames the link has taken but not yet written.
 */
static int stack_draining(sl_net_t *net)
{
	char *ss = stack_text(net, ss_dump), *ip = stack_text(net, sl_net_dump);
	char *line, *save = NULL;
	unsigned int rq, sq;
	char netid[16], state[24];
	int n = 0;

	for (line = ss ? strtok_r(ss, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%15s %23s %u %u", netid, state, &rq, &sq) != 4 ||
		    strcmp(netid, "tcp") || !strcmp(state, "LISTEN"))
			continue;
		if (sq || !strcmp(state, "FIN-WAIT-1") ||
		    !strcmp(state, "CLOSING") || !strcmp(state, "LAST-ACK"))
			n++;
	}
	for (line = ip ? strtok_r(ip, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, " lladdr ") && strstr(line, " INCOMPLETE"))
			n++;
	free(ss);
	free(ip);
	return n + sl_net_tx_pending(net);
}

static double linger_seconds(void)
{
	const char *s = getenv("SOCKLINE_EXIT_LINGER");
	char *end;
	double v;

	if (!s || !*s)
		return 5.0;
	v = strtod(s, &end);
	return (*end || v < 0) ? 5.0 : v;
}

/*
 * The kernel finishes a dead process's connections for it; here the stack
 * dies with the process. So at exit: close the fds still open (a FIN after
 * the data, or a RST when data was left unread, as close(2)), then keep
 * the process until every connection's data and FIN are acknowledged, at
 * most SOCKLINE_EXIT_LINGER seconds (default 5). The stack is not torn
 * down: other threads may still be inside it.
 */
void preload_exit_linger(void)
{
	static bool done;
	double linger, end, left;
	int fd, hi;

	if (__atomic_load_n(&stack_state, __ATOMIC_ACQUIRE) != STACK_UP ||
	    stack_pid != getpid() || preload_in_handler ||
	    __atomic_exchange_n(&done, true, __ATOMIC_ACQ_REL))
		return;
	preload_depth++;
	linger = linger_seconds();
	end = tool_now() + linger;
	hi = linger > 0 ? fdt_max() : -1;
	for (fd = 0; fd <= hi; fd++) {
		if (!fdt_get(fd))
			continue;
		fdt_set(fd, 0);
		sl_close(fd);
	}
	while (linger > 0 && stack_draining(stack.net) &&
	       (left = end - tool_now()) > 0) {
		struct timespec ts = { 0, left > 0.005 ? 5000000 : 1000000 };

		nanosleep(&ts, NULL);
	}
	if (stack.pcap >= 0)
		sl_pcap_stop(stack.net, stack.pcap);
	stack.pcap = -1;
	if (stack.ctl_fd >= 0)
		unlink(stack.ctl_path);
	preload_depth--;
}

__attribute__((destructor)) static void preload_fini(void)
{
	preload_exit_linger();
}

PRELOAD_EXPORT void _exit(int status)
{
	preload_exit_linger();
	REAL(_exit)(status);
}

PRELOAD_EXPORT void _Exit(int status)
{
	preload_exit_linger();
	REAL(_Exit)(status);
}

/* --- fork ------------------------------------------------------------------- */

static void atfork_prepare(void)
{
	pthread_mutex_lock(&start_lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&start_lock);
}

/*
 * The child has none of the stack's threads. sockline forgets what it
 * inherited (closing the child's copies of placeholders and links), the
 * shim forgets its table: the inherited sockline fds are closed numbers
 * in the child (EBADF). The child's first socket starts a stack of its
 * own, on another queue of the same TAP.
 */
static void atfork_child(void)
{
	pthread_mutex_init(&start_lock, NULL);
	if (stack_state != STACK_UP)
		return;
	preload_depth++;
	sl_atfork_child();
	preload_depth--;
	fdt_clear();
	__atomic_store_n(&preload_fds_live, false, __ATOMIC_RELEASE);
	memset(&stack, 0, sizeof(stack));
	stack.pcap = -1;
	stack.ctl_fd = -1;
	stack_state = STACK_IDLE;
}

__attribute__((constructor)) static void preload_init(void)
{
	const char *t = getenv("SOCKLINE_TRACE");

	preload_resolve();
	preload_tracing = t && *t && strcmp(t, "0");
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}
