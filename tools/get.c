/*
 * sockline get: an HTTP/1.1 GET (RFC 9110, RFC 9112) from a stack on a
 * real link, the body to a file or stdout.
 *
 * get_url (http://HOST[:PORT]/PATH) -> connect -> one request with
 * "Connection: close" -> get_head (status line, fields; 1xx interim
 * answers skipped) -> the body by its framing (RFC 9112 6.3): none for
 * 204/304, chunked (get_chunked), Content-Length, or up to the close ->
 * exit 0 for 2xx, 1 for any other status or a short body.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"
#include "tools.h"

#define GET_BUF (64 * 1024)
#define GET_LINE_MAX 8192

struct get_opts {
	struct devopts dev;
	const char *url;
	const char *out;        /* NULL or "-": stdout */
	double timeout;         /* s: connect and each read */
	bool quiet;
};

/* The connection, read through a buffer. */
struct get_conn {
	int fd;
	char buf[GET_BUF];
	size_t off, len;
	bool eof;
};

struct get_resp {
	int status;
	char reason[128];
	char location[512];
	bool has_length, chunked, close;
	uint64_t length;
};

struct get {
	struct get_opts o;
	struct tool_stack st;
	struct sockaddr_in dst;
	char host[256];         /* Host field value */
	const char *path;
	struct get_conn c;
	int out_fd;
	uint64_t got;
	struct progress bar;
};

static void get_usage(FILE *out)
{
	fprintf(out,
		"usage: sockline get [device options] [options] URL\n\n"
		"Fetch URL (http://HOST[:PORT]/PATH) with HTTP/1.1 GET from a sockline\n"
		"stack on a real link. Bodies framed by Content-Length, chunked, or by\n"
		"the close. Exits 0 on a 2xx answer, 1 on any other status or a\n"
		"transfer error, 2 on usage errors.\n\n"
		"options:\n"
		"  -o, --output FILE    write the body to FILE (default, or -: stdout)\n"
		"  -m, --max-time S     seconds to wait for the connection and for each\n"
		"                       read (default 30)\n"
		"  -q, --quiet          no progress bar nor final line\n"
		"  -h, --help           this text\n\n");
	devopts_usage(out);
}

static int get_parse(struct get_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "max-time", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		DEVOPTS_LONGOPTS,
		{ 0 },
	};
	char *end;
	int c, r;

	devopts_init(&o->dev);
	o->timeout = 30;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:m:qh", longopts, NULL)) != -1) {
		r = devopts_parse(&o->dev, "sockline get", c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'q': o->quiet = true; break;
		case 'm':
			o->timeout = strtod(optarg, &end);
			if (end == optarg || *end || !(o->timeout > 0)) {
				fprintf(stderr, "sockline get: bad --max-time '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': get_usage(stdout); return 0;
		default:
			fprintf(stderr, "Try 'sockline get --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "sockline get: %s\nTry 'sockline get --help'.\n",
			optind < argc ? "one URL only" : "no URL given");
		return EXIT_USAGE;
	}
	o->url = argv[optind];
	return -1;
}

/* http://HOST[:PORT][/PATH]: the address, Host field and request target. */
static int get_url(struct get *g)
{
	const char *u = g->o.url, *auth, *slash, *colon;
	char hostport[sizeof(g->host) + 8];
	size_t n;

	if (strncasecmp(u, "http://", 7)) {
		fprintf(stderr, "sockline get: %s: only http:// URLs are "
			"supported\n", u);
		return -1;
	}
	auth = u + 7;
	slash = strchr(auth, '/');
	n = slash ? (size_t)(slash - auth) : strlen(auth);
	if (!n || n >= sizeof(g->host) || memchr(auth, '@', n)) {
		fprintf(stderr, "sockline get: %s: bad host\n", u);
		return -1;
	}
	memcpy(g->host, auth, n);
	g->host[n] = '\0';
	g->path = slash ? slash : "/";
	colon = strchr(g->host, ':');
	snprintf(hostport, sizeof(hostport), colon ? "%s" : "%s:80", g->host);
	if (tool_parse_hostport(hostport, &g->dst)) {
		fprintf(stderr, "sockline get: %s: bad host or port\n", u);
		return -1;
	}
	return 0;
}

/* --- reading -------------------------------------------------------------- */

/* Make bytes available: >0, 0 at EOF, -1 on error (errno). */
static ssize_t conn_fill(struct get_conn *c)
{
	ssize_t n;

	if (c->off < c->len)
		return (ssize_t)(c->len - c->off);
	if (c->eof)
		return 0;
	do {
		n = sl_recv(c->fd, c->buf, sizeof(c->buf), 0);
	} while (n < 0 && errno == EINTR && !tool_stop);
	if (n < 0)
		return -1;
	c->off = 0;
	c->len = (size_t)n;
	c->eof = !n;
	return n;
}

/* One line without its CR LF. 0, or -1 (EOF, error, too long). */
static int conn_line(struct get_conn *c, char *line, size_t max)
{
	size_t n = 0;
	char ch;

	for (;;) {
		if (conn_fill(c) <= 0)
			return -1;
		ch = c->buf[c->off++];
		if (ch == '\n')
			break;
		if (n + 1 >= max)
			return -1;
		line[n++] = ch;
	}
	if (n && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	return 0;
}

static void get_field(struct get_resp *r, char *line)
{
	char *colon = strchr(line, ':'), *v;
	char *end;

	if (!colon)
		return;
	*colon = '\0';
	v = colon + 1 + strspn(colon + 1, " \t");
	if (!strcasecmp(line, "content-length")) {
		r->length = strtoull(v, &end, 10);
		r->has_length = end != v;
	} else if (!strcasecmp(line, "transfer-encoding")) {
		r->chunked = strcasestr(v, "chunked") != NULL;
	} else if (!strcasecmp(line, "connection")) {
		r->close = strcasestr(v, "close") != NULL;
	} else if (!strcasecmp(line, "location")) {
		snprintf(r->location, sizeof(r->location), "%s", v);
	}
}

/* Status line and fields of the final answer (1xx interim ones skipped,
 * RFC 9110 15.2). 0 or -1. */
static int get_head(struct get *g, struct get_resp *r)
{
	char line[GET_LINE_MAX];
	int n;

	do {
		memset(r, 0, sizeof(*r));
		if (conn_line(&g->c, line, sizeof(line)))
			return -1;
		n = 0;
		if (sscanf(line, "HTTP/1.%*[0-9] %3d%n", &r->status, &n) != 1 ||
		    r->status < 100)
			return -1;
		snprintf(r->reason, sizeof(r->reason), "%s",
			 line + n + strspn(line + n, " "));
		for (;;) {
			if (conn_line(&g->c, line, sizeof(line)))
				return -1;
			if (!*line)
				break;
			get_field(r, line);
		}
	} while (r->status < 200);
	return 0;
}

/* --- the body ------------------------------------------------------------- */

static int get_write(struct get *g, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(g->out_fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "sockline get: write: %s\n", strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Up to @max bytes (UINT64_MAX: until EOF) to the output. 0 or -1. */
static int get_copy(struct get *g, uint64_t max, bool until_eof)
{
	struct get_conn *c = &g->c;
	ssize_t avail;
	size_t n;

	while (max) {
		avail = conn_fill(c);
		if (avail < 0) {
			fprintf(stderr, "sockline get: receive: %s\n",
				strerror(errno));
			return -1;
		}
		if (!avail)
			return until_eof ? 0 : -1;
		n = (uint64_t)avail < max ? (size_t)avail : (size_t)max;
		if (get_write(g, c->buf + c->off, n))
			return -1;
		c->off += n;
		max -= n;
		g->got += n;
		progress_update(&g->bar, g->got, false);
	}
	return 0;
}

/* chunked (RFC 9112 7.1): size line, data, CRLF, ...; 0; trailers. */
static int get_chunked(struct get *g)
{
	char line[GET_LINE_MAX], *end;
	unsigned long long size;

	for (;;) {
		if (conn_line(&g->c, line, sizeof(line)))
			return -1;
		size = strtoull(line, &end, 16);
		if (end == line || (*end && *end != ';' && *end != ' ' &&
				    *end != '\t'))
			return -1;
		if (!size)
			break;
		if (get_copy(g, size, false) || conn_line(&g->c, line, sizeof(line)) ||
		    *line)
			return -1;
	}
	do {                    /* trailer fields, up to the empty line */
		if (conn_line(&g->c, line, sizeof(line)))
			return -1;
	} while (*line);
	return 0;
}

static int get_body(struct get *g, const struct get_resp *r)
{
	if (r->status == 204 || r->status == 304)
		return 0;
	if (r->chunked)
		return get_chunked(g);
	if (r->has_length) {
		if (!get_copy(g, r->length, false))
			return 0;
		fprintf(stderr, "sockline get: the connection closed after %llu "
			"of %llu bytes\n", (unsigned long long)g->got,
			(unsigned long long)r->length);
		return -1;
	}
	return get_copy(g, UINT64_MAX, true);
}

/* --- the exchange --------------------------------------------------------- */

static int get_connect(struct get *g)
{
	struct timeval tv = { .tv_sec = (time_t)g->o.timeout,
			      .tv_usec = (suseconds_t)((g->o.timeout -
							(double)(time_t)g->o.timeout) * 1e6) };
	char ip[INET_ADDRSTRLEN];

	g->c.fd = sl_socket_net(g->st.net, AF_INET, SOCK_STREAM, 0);
	if (g->c.fd < 0)
		return -1;
	sl_setsockopt(g->c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sl_setsockopt(g->c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!sl_connect(g->c.fd, (struct sockaddr *)&g->dst, sizeof(g->dst)))
		return 0;
	inet_ntop(AF_INET, &g->dst.sin_addr, ip, sizeof(ip));
	fprintf(stderr, "sockline get: connect to %s port %u: %s\n", ip,
		ntohs(g->dst.sin_port),
		errno == EINPROGRESS ? "Connection timed out" : strerror(errno));
	return -1;
}

static int get_request(struct get *g)
{
	char req[GET_LINE_MAX + 512];
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sockline/%s\r\n"
			 "Accept: */*\r\nConnection: close\r\n\r\n", g->path,
			 g->host, SOCKLINE_VERSION);
	ssize_t w;
	int off = 0;

	if (n < 0 || (size_t)n >= sizeof(req)) {
		fprintf(stderr, "sockline get: URL too long\n");
		return -1;
	}
	while (off < n) {
		w = sl_send(g->c.fd, req + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w < 0) {
			fprintf(stderr, "sockline get: send: %s\n", strerror(errno));
			return -1;
		}
		off += (int)w;
	}
	return 0;
}

static int get_open_output(struct get *g)
{
	if (!g->o.out || !strcmp(g->o.out, "-")) {
		g->out_fd = STDOUT_FILENO;
		return 0;
	}
	g->out_fd = open(g->o.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (g->out_fd < 0) {
		fprintf(stderr, "sockline get: %s: %s\n", g->o.out, strerror(errno));
		return -1;
	}
	return 0;
}

static int get_run(struct get *g)
{
	struct get_resp r;

	if (get_connect(g) || get_request(g))
		return 1;
	if (get_head(g, &r)) {
		fprintf(stderr, "sockline get: %s\n", g->c.eof ?
			"the connection closed before an answer" :
			errno == EAGAIN ? "no answer (timed out)" :
			"malformed answer");
		return 1;
	}
	if (r.status < 200 || r.status > 299) {
		fprintf(stderr, "sockline get: HTTP %d %s%s%s\n", r.status,
			r.reason, *r.location ? ", Location: " : "", r.location);
		return 1;
	}
	if (get_open_output(g))
		return 1;
	progress_init(&g->bar, "get", r.has_length && !r.chunked ? r.length : 0,
		      !g->o.quiet);
	if (get_body(g, &r)) {
		progress_end(&g->bar);
		return 1;
	}
	progress_update(&g->bar, g->got, true);
	progress_end(&g->bar);
	if (g->out_fd != STDOUT_FILENO && close(g->out_fd)) {
		fprintf(stderr, "sockline get: %s: %s\n", g->o.out, strerror(errno));
		return 1;
	}
	g->out_fd = -1;
	if (!g->o.quiet)
		fprintf(stderr, "sockline get: HTTP %d, %llu bytes in %.3f s\n",
			r.status, (unsigned long long)g->got,
			tool_now() - g->bar.start);
	return 0;
}

int get_main(int argc, char **argv)
{
	struct get *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return 1;
	g->c.fd = g->out_fd = -1;
	err = get_parse(&g->o, argc, argv);
	if (err < 0 && get_url(g))
		err = EXIT_USAGE;
	if (err >= 0)
		goto out;
	tool_signals();
	err = tool_stack_up(&g->st, &g->o.dev, "sockline get");
	if (err)
		goto out;
	err = get_run(g);
	if (g->c.fd >= 0)
		sl_close(g->c.fd);
	tool_stack_down(&g->st);
out:
	if (g->out_fd > STDOUT_FILENO)
		close(g->out_fd);
	free(g);
	return err;
}
