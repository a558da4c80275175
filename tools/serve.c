/*
 * sockline serve: bring a stack up on a real link and serve until SIGINT or
 * SIGTERM: echo (RFC 862) on port 7 and discard (RFC 863) on port 9, over
 * TCP and UDP, and a small HTTP/1.1 static-file server (RFC 9110, 9112) on
 * port 80.
 *
 * One event loop (sl_epoll_wait, level-triggered) serves every socket, non
 * blocking: listeners accept in batches, each connection is a small state
 * machine (struct conn) and reads into the loop's one shared buffer, so an
 * idle connection costs a few hundred bytes whatever its service. Output a
 * peer does not take at once is kept on the connection, and the
 * connection then waits for EPOLLOUT instead of EPOLLIN: a slow reader is
 * never sent more than it accepts (flow control end to end).
 *
 * HTTP: http_read (collect request heads) -> http_serve_requests ->
 * http_respond (http_parse: request line and fields; method, framing) ->
 * http_respond_file (http_normalize the path, http_open under the root) or
 * http_respond_error -> conn_flush (the head, then the file 64 KiB at a
 * time) -> the next request on the connection (keep-alive, pipelining) or
 * a graceful close (conn_linger).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sockline/sockline.h"
#include "sockline/socket.h"
#include "tools.h"

#define SERVE_BUF (64 * 1024)          /* shared read buffer, file chunks */
#define UDP_BUF 65536                  /* largest datagram + 1 */
#define HTTP_HEAD_MAX (16 * 1024)      /* request line + headers */
#define LINGER_SECONDS 5               /* wait for the peer's FIN, then close */
#define ACCEPT_BATCH 64
#define EVENTS_MAX 256

enum serve_kind {
	EV_LISTEN_ECHO,
	EV_LISTEN_DISCARD,
	EV_LISTEN_HTTP,
	EV_UDP_ECHO,
	EV_UDP_DISCARD,
	EV_CONN,
};

/* What a TCP connection does with the bytes it reads. */
enum conn_state {
	CONN_ECHO,
	CONN_DISCARD,
	CONN_HTTP,
	CONN_LINGER,    /* our side shut down: read and drop until EOF */
};

/* A listener or UDP socket: epoll data points at one of these. */
struct serve_sock {
	enum serve_kind kind;
	int fd;
};

struct conn {
	struct serve_sock ev;           /* kind EV_CONN; must be first */
	enum conn_state state;
	struct conn *prev, *next;       /* all connections, for shutdown */
	uint32_t events;               /* current epoll interest */
	/* output not taken by the peer yet */
	char *out;
	size_t out_len, out_off, out_cap;
	/* HTTP */
	char *in;                       /* request head being collected */
	size_t in_len;
	int file_fd;                    /* body being sent, -1 none */
	uint64_t file_left;
	off_t file_off;
	uint64_t body_skip;             /* request body bytes to drop */
	bool close_after;               /* after this response */
	bool eof;                       /* peer sent FIN */
	double deadline;                /* CONN_LINGER: close at this time */
};

struct serve {
	struct tool_stack st;
	int ep;
	bool echo, discard;
	const char *http_dir;
	char http_root[PATH_MAX];       /* realpath of http_dir */
	struct serve_sock socks[5];
	int nsocks;
	struct conn *conns;
	long nconns;
	char *buf;                      /* SERVE_BUF + 1, shared */
};

static void serve_usage(FILE *out)
{
	fprintf(out,
		"usage: sockline serve --dev DEV --addr A.B.C.D/P [options]\n\n"
		"Bring a sockline stack up on a real link and serve until SIGINT or\n"
		"SIGTERM: TCP and UDP echo on port 7 (RFC 862), discard on port 9\n"
		"(RFC 863), and an HTTP/1.1 server of static files on port 80 (GET,\n"
		"HEAD, keep-alive). Without --echo, --discard or --http, serves echo\n"
		"and discard. Prints one line when ready:\n"
		"  sockline: serving on A.B.C.D (DEV): ...\n"
		"`sockline ss` lists its sockets while it runs.\n\n"
		"options:\n"
		"      --echo           serve echo on port 7 (TCP and UDP)\n"
		"      --discard        serve discard on port 9 (TCP and UDP)\n"
		"      --http DIR       serve the files under DIR on port 80\n"
		"  -h, --help           this text\n\n");
	devopts_usage(out);
	fprintf(out, "\nexample:\n"
		"  sockline serve --dev tap:sl0 --addr 10.0.0.2/24 --http /srv/www &\n"
		"  ip addr add 10.0.0.1/24 dev sl0; curl http://10.0.0.2/\n");
}

/* --- connections ---------------------------------------------------------- */

static int serve_watch(struct serve *s, int op, int fd, uint32_t events,
		       void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	return sl_epoll_ctl(s->ep, op, fd, &ev);
}

static void conn_set_events(struct serve *s, struct conn *c, uint32_t events)
{
	if (c->events == events)
		return;
	c->events = events;
	serve_watch(s, EPOLL_CTL_MOD, c->ev.fd, events, c);
}

static void conn_close(struct serve *s, struct conn *c)
{
	sl_close(c->ev.fd);     /* also leaves the epoll set */
	if (c->file_fd >= 0)
		close(c->file_fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->out);
	free(c->in);
	free(c);
}

static struct conn *conn_new(struct serve *s, int fd, enum conn_state state)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ev.kind = EV_CONN;
	c->ev.fd = fd;
	c->state = state;
	c->file_fd = -1;
	c->events = EPOLLIN | EPOLLRDHUP;
	if (serve_watch(s, EPOLL_CTL_ADD, fd, c->events, c) < 0) {
		free(c);
		return NULL;
	}
	c->next = s->conns;
	if (c->next)
		c->next->prev = c;
	s->conns = c;
	s->nconns++;
	return c;
}

/* Keep @len bytes of @data to send later. 0, or -1 out of memory. */
static int conn_queue(struct conn *c, const char *data, size_t len)
{
	size_t need = c->out_len - c->out_off + len;
	char *grown;

	if (c->out_off) {       /* compact what is left to the front */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (need > c->out_cap) {
		grown = realloc(c->out, need);
		if (!grown)
			return -1;
		c->out = grown;
		c->out_cap = need;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

/* Send @data; what the socket does not take is queued. 0 or -1 (close). */
static int conn_send(struct conn *c, const char *data, size_t len)
{
	ssize_t n = 0;

	if (c->out_len == c->out_off) {
		n = sl_send(c->ev.fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN)
			return -1;
		if (n < 0)
			n = 0;
	}
	return (size_t)n == len ? 0 : conn_queue(c, data + n, len - (size_t)n);
}

/* Refill the output from the open file (HTTP body), one chunk. */
static int conn_refill(struct serve *s, struct conn *c)
{
	size_t want = c->file_left < SERVE_BUF ? (size_t)c->file_left : SERVE_BUF;
	ssize_t n = pread(c->file_fd, s->buf, want, c->file_off);

	if (n <= 0)
		return -1;      /* the file shrank: the length is a lie now */
	c->file_off += n;
	c->file_left -= (uint64_t)n;
	if (!c->file_left) {
		close(c->file_fd);
		c->file_fd = -1;
	}
	return conn_queue(c, s->buf, (size_t)n);
}

/*
 * Send queued output (and the rest of a file). 1 when all is sent, 0 when
 * the socket is full (wait for EPOLLOUT), -1 on error.
 */
static int conn_flush(struct serve *s, struct conn *c)
{
	ssize_t n;

	for (;;) {
		if (c->out_off == c->out_len) {
			c->out_off = c->out_len = 0;
			if (c->file_fd < 0)
				return 1;
			if (conn_refill(s, c))
				return -1;
		}
		n = sl_send(c->ev.fd, c->out + c->out_off, c->out_len - c->out_off,
			    MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->out_off += (size_t)n;
	}
}

/*
 * Close gracefully: FIN now, then read and drop until the peer's FIN (or
 * LINGER_SECONDS), so that a close with unread input does not reset the
 * connection before the peer read our last response (RFC 9112 9.6; nginx
 * calls this lingering close).
 */
static void conn_linger(struct serve *s, struct conn *c)
{
	if (c->eof || sl_shutdown(c->ev.fd, SHUT_WR) < 0) {
		conn_close(s, c);
		return;
	}
	c->state = CONN_LINGER;
	c->deadline = tool_now() + LINGER_SECONDS;
	conn_set_events(s, c, EPOLLIN | EPOLLRDHUP);
}

/* Read what is there into the shared buffer. >0 bytes, 0 at EOF, -1 when
 * nothing is left (EAGAIN), -2 on error. */
static ssize_t conn_read(struct serve *s, struct conn *c, size_t max)
{
	ssize_t n = sl_recv(c->ev.fd, s->buf, max, 0);

	if (n == 0)
		c->eof = true;
	if (n < 0)
		return errno == EAGAIN ? -1 : -2;
	return n;
}

/* --- echo and discard (RFC 862, RFC 863) ---------------------------------- */

static void echo_event(struct serve *s, struct conn *c, uint32_t events)
{
	int i, r;
	ssize_t n;

	if (c->out_len > c->out_off) {
		r = conn_flush(s, c);
		if (r < 0)
			goto close;
		if (!r)
			return;
		if (c->eof)
			goto close;
		conn_set_events(s, c, EPOLLIN | EPOLLRDHUP);
	}
	/* A few reads per event: fairness between connections. */
	for (i = 0; i < 4; i++) {
		n = conn_read(s, c, SERVE_BUF);
		if (n == -1)
			return;
		if (n <= 0)
			goto close;
		if (conn_send(c, s->buf, (size_t)n))
			goto close;
		if (c->out_len > c->out_off) {
			/* The peer reads slower than it writes: stop reading
			 * until it took our output (RFC 862 leaves it to us). */
			conn_set_events(s, c, EPOLLOUT);
			return;
		}
	}
	return;
close:
	conn_close(s, c);
}

static void discard_event(struct serve *s, struct conn *c, uint32_t events)
{
	ssize_t n;
	int i;

	for (i = 0; i < 16; i++) {
		n = conn_read(s, c, SERVE_BUF);
		if (n == -1)
			break;
		if (n <= 0) {
			conn_close(s, c);
			return;
		}
	}
	if (c->state == CONN_LINGER && tool_now() > c->deadline)
		conn_close(s, c);
}

/* --- HTTP/1.1 static files (RFC 9110, RFC 9112) --------------------------- */

struct http_req {
	char method[16];
	char *target;                   /* in the connection's input */
	int minor;                      /* HTTP/1.minor */
	int hosts;                      /* Host header fields seen */
	bool close, keep_alive;         /* Connection: tokens */
	bool has_length, chunked;
	uint64_t length;                /* Content-Length */
};

static const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

static const char *http_mime(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ "html", "text/html" }, { "htm", "text/html" },
		{ "txt", "text/plain" }, { "css", "text/css" },
		{ "js", "text/javascript" }, { "json", "application/json" },
		{ "xml", "application/xml" }, { "svg", "image/svg+xml" },
		{ "png", "image/png" }, { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" }, { "gif", "image/gif" },
		{ "ico", "image/x-icon" }, { "pdf", "application/pdf" },
		{ "gz", "application/gzip" }, { "tar", "application/x-tar" },
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot && !strchr(dot, '/'))
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

/* IMF-fixdate (RFC 9110 5.6.7). */
static void http_date(char *buf, size_t len, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Queue a response head: status line, Date, Server, then @extra lines. */
static int http_head(struct conn *c, int status, const char *type,
		     uint64_t length, const char *extra)
{
	char head[1024], date[64];
	int n;

	http_date(date, sizeof(date), time(NULL));
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: sockline/%s\r\n"
		     "Content-Type: %s\r\nContent-Length: %llu\r\n%s"
		     "Connection: %s\r\n\r\n", status, http_reason(status), date,
		     SOCKLINE_VERSION, type, (unsigned long long)length,
		     extra ? extra : "", c->close_after ? "close" : "keep-alive");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	return conn_queue(c, head, (size_t)n);
}

/* An error page; 4xx/5xx that leave the stream unparseable close it. */
static int http_respond_error(struct conn *c, int status, bool head_only,
			      const char *extra)
{
	char body[256];
	int n;

	if (status == 400 || status == 431 || status >= 500)
		c->close_after = true;
	n = snprintf(body, sizeof(body),
		     "<html><head><title>%d %s</title></head>\n"
		     "<body><h1>%d %s</h1></body></html>\n", status,
		     http_reason(status), status, http_reason(status));
	if (http_head(c, status, "text/html", (uint64_t)n, extra))
		return -1;
	return head_only ? 0 : conn_queue(c, body, (size_t)n);
}

static bool http_tchar(int ch)
{
	/* RFC 9110 5.6.2 token characters. */
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Comma-separated Connection options (RFC 9110 7.6.1). */
static void http_connection(struct http_req *r, const char *v)
{
	const char *p = v;
	size_t n;

	while (*p) {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 5 && !strncasecmp(p, "close", 5))
			r->close = true;
		if (n == 10 && !strncasecmp(p, "keep-alive", 10))
			r->keep_alive = true;
		p += n;
	}
}

/* One header field line. 0, or the status to answer with. */
static int http_field(struct http_req *r, char *line)
{
	char *colon = strchr(line, ':'), *v, *end;
	unsigned long long len;
	size_t i;

	/* RFC 9112 5.1: no whitespace between name and colon; 5.2: obs-fold
	 * lines are rejected with 400. */
	if (!colon || colon == line)
		return 400;
	for (i = 0; line + i < colon; i++)
		if (!http_tchar((unsigned char)line[i]))
			return 400;
	*colon = '\0';
	v = colon + 1 + strspn(colon + 1, " \t");
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (!strcasecmp(line, "host")) {
		r->hosts++;
	} else if (!strcasecmp(line, "connection")) {
		http_connection(r, v);
	} else if (!strcasecmp(line, "transfer-encoding")) {
		r->chunked = true;
	} else if (!strcasecmp(line, "content-length")) {
		/* RFC 9112 6.3 (5): an invalid or conflicting length is an
		 * unrecoverable error. */
		if (!isdigit((unsigned char)*v))
			return 400;
		errno = 0;
		len = strtoull(v, &end, 10);
		if (*end || errno || (r->has_length && r->length != len))
			return 400;
		r->has_length = true;
		r->length = len;
	}
	return 0;
}

/* "HTTP/1.x": 0 and @minor; 505 for another major; 400 for garbage. */
static int http_version(const char *v, int *minor)
{
	if (strncmp(v, "HTTP/", 5) || !isdigit((unsigned char)v[5]) ||
	    v[6] != '.' || !isdigit((unsigned char)v[7]) || v[8])
		return 400;
	if (v[5] != '1')
		return 505;
	*minor = v[7] - '0';
	return 0;
}

/* Request line "METHOD SP target SP HTTP/1.x" (RFC 9112 3). */
static int http_request_line(struct http_req *r, char *line)
{
	char *sp1 = strchr(line, ' '), *sp2;
	size_t n;

	if (!sp1)
		return 400;
	n = (size_t)(sp1 - line);
	if (!n || n >= sizeof(r->method))
		return n ? 501 : 400;
	memcpy(r->method, line, n);
	r->method[n] = '\0';
	for (n = 0; r->method[n]; n++)
		if (!http_tchar((unsigned char)r->method[n]))
			return 400;
	r->target = sp1 + 1;
	sp2 = strchr(r->target, ' ');
	if (!sp2 || sp2 == r->target)
		return 400;
	*sp2 = '\0';
	return http_version(sp2 + 1, &r->minor);
}

/*
 * Split the head (NUL-terminated, CR LF or bare LF line ends: RFC 9112 2.2
 * lets a recipient take LF alone) into the request line and fields.
 * 0, or the status of the error to answer with.
 */
static int http_parse(struct http_req *r, char *head)
{
	char *line = head, *nl;
	int err;

	memset(r, 0, sizeof(*r));
	/* RFC 9112 2.2: SHOULD ignore empty lines before the request line. */
	line += strspn(line, "\r\n");
	nl = strchr(line, '\n');
	if (!nl)
		return 400;
	*nl = '\0';
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	err = http_request_line(r, line);
	if (err)
		return err;
	for (line = nl + 1; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (!*line)
			break;
		if (*line == ' ' || *line == '\t')
			return 400;
		err = http_field(r, line);
		if (err)
			return err;
	}
	/* RFC 9112 3.2: a 1.1 request without exactly one Host is a 400. */
	if (r->minor >= 1 && r->hosts != 1)
		return 400;
	return 0;
}

/* The path part of an origin-form or absolute-form target (RFC 9112
 * 3.2.1, 3.2.2: a server MUST accept the absolute form). */
static int http_target_path(const char *target, const char **path,
			    size_t *len)
{
	const char *p = target;

	if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8)) {
		p = strchr(p + 7 + (p[4] == 's' || p[4] == 'S'), '/');
		if (!p)
			p = "/";
	}
	if (*p != '/')
		return 400;
	*path = p;
	*len = strcspn(p, "?#");
	return 0;
}

static int hexval(int ch)
{
	if (isdigit(ch))
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/*
 * Percent-decode @path (@len bytes) and resolve "." and ".." segments into
 * @out, which starts with '/'. A ".." above the root is a 400, as nginx
 * answers: the request can never name a file outside the served tree.
 */
static int http_normalize(const char *path, size_t len, char *out,
			  size_t outlen)
{
	size_t o = 0, i, seg;
	int hi, lo;
	char ch;

	for (i = 0; i < len;) {
		while (i < len && path[i] == '/')
			i++;
		if (i == len)
			break;
		seg = o;
		if (o + 1 >= outlen)
			return 414;
		out[o++] = '/';
		for (; i < len && path[i] != '/'; i++) {
			ch = path[i];
			if (ch == '%') {
				hi = i + 2 < len ? hexval((unsigned char)path[i + 1]) : -1;
				lo = i + 2 < len ? hexval((unsigned char)path[i + 2]) : -1;
				if (hi < 0 || lo < 0 || !(hi | lo))
					return 400;     /* bad escape, or NUL */
				ch = (char)(hi << 4 | lo);
				i += 2;
			}
			/* An encoded '/' stays inside its segment name, where
			 * no file name can hold it: refuse it. */
			if (ch == '/')
				return 404;
			if (o + 1 >= outlen)
				return 414;
			out[o++] = ch;
		}
		if (o - seg == 2 && out[seg + 1] == '.') {
			o = seg;                        /* "." */
		} else if (o - seg == 3 && out[seg + 1] == '.' &&
			   out[seg + 2] == '.') {
			if (!seg)
				return 400;             /* above the root */
			o = seg;
			while (o > 0 && out[--o] != '/')
				;                       /* drop the parent */
		}
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

/* realpath errors to a status. */
static int http_errno_status(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
	case ELOOP:
		return 404;
	case EACCES:
	case EPERM:
		return 403;
	}
	return 500;
}

/*
 * Map @rel (normalised) under the root to an open file: 0 with @fd and
 * @st and its path in @real (PATH_MAX bytes), a 301 (directory without
 * the trailing '/'), or an error status.
 * realpath() checks that symbolic links do not lead out of the root.
 */
static int http_open(struct serve *s, const char *rel, bool dir_slash,
		     int *fd, struct stat *st, char *real)
{
	char full[PATH_MAX * 2];
	size_t rootlen = strlen(s->http_root);

	snprintf(full, sizeof(full), "%s%s", s->http_root, rel);
	if (!realpath(full, real))
		return http_errno_status(errno);
	if (strncmp(real, s->http_root, rootlen) ||
	    (real[rootlen] && real[rootlen] != '/' && rootlen > 1))
		return 403;
	if (stat(real, st))
		return http_errno_status(errno);
	if (S_ISDIR(st->st_mode)) {
		if (!dir_slash)
			return 301;
		/* An index file or nothing: no listings (nginx's default). */
		if (strlen(real) + sizeof("/index.html") > PATH_MAX)
			return 404;
		strcat(real, "/index.html");
		if (stat(real, st))
			return errno == ENOENT ? 403 : http_errno_status(errno);
	}
	if (!S_ISREG(st->st_mode))
		return 403;
	*fd = open(real, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? http_errno_status(errno) : 0;
}

/* Answer a GET or HEAD for @r's target: a file, a redirect or an error. */
static int http_respond_file(struct serve *s, struct conn *c,
			     const struct http_req *r, bool head_only)
{
	char rel[PATH_MAX], real[PATH_MAX], extra[PATH_MAX + 64], date[64];
	const char *path;
	struct stat st;
	size_t len;
	int status, fd = -1;

	status = http_target_path(r->target, &path, &len);
	if (!status)
		status = http_normalize(path, len, rel, sizeof(rel));
	if (!status)
		status = http_open(s, rel, len && path[len - 1] == '/', &fd, &st,
				   real);
	if (status == 301) {
		snprintf(extra, sizeof(extra), "Location: %.*s/\r\n", (int)len,
			 path);
		return http_respond_error(c, 301, head_only, extra);
	}
	if (status)
		return http_respond_error(c, status, head_only, NULL);
	http_date(date, sizeof(date), st.st_mtime);
	snprintf(extra, sizeof(extra), "Last-Modified: %s\r\n", date);
	if (http_head(c, 200, http_mime(real), (uint64_t)st.st_size, extra)) {
		close(fd);
		return -1;
	}
	if (head_only || !st.st_size) {
		close(fd);
		return 0;
	}
	c->file_fd = fd;
	c->file_off = 0;
	c->file_left = (uint64_t)st.st_size;
	return 0;
}

/* One request head (@head, NUL-terminated): queue the whole answer. */
static int http_respond(struct serve *s, struct conn *c, char *head)
{
	struct http_req r;
	bool head_only;
	int status;

	status = http_parse(&r, head);
	if (status)
		return http_respond_error(c, status, false, NULL);
	head_only = !strcmp(r.method, "HEAD");
	/* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only on request. */
	c->close_after = r.close || (r.minor == 0 && !r.keep_alive);
	if (strlen(r.target) > 4000)
		return http_respond_error(c, 414, head_only, NULL);
	if (!head_only && strcmp(r.method, "GET"))
		return http_respond_error(c, 405, false,
					  "Allow: GET, HEAD\r\n");
	/* A body we cannot delimit (RFC 9112 6.1: an unknown transfer
	 * coding) leaves the stream unreadable: answer and close. */
	if (r.chunked)
		return http_respond_error(c, 501, head_only, NULL);
	c->body_skip = r.length;
	return http_respond_file(s, c, &r, head_only);
}

/* Length of the head at the start of @in (through its empty line), 0 if
 * it is not complete yet. */
static size_t http_head_len(const char *in, size_t len)
{
	size_t i = 0;

	while (i < len && (in[i] == '\r' || in[i] == '\n'))
		i++;
	for (; i < len; i++) {
		if (in[i] != '\n')
			continue;
		if (i + 1 < len && in[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Drop @n bytes of input, then as much of a request body as is there. */
static void http_consume(struct conn *c, size_t n)
{
	size_t skip;

	skip = c->in_len - n < c->body_skip ? c->in_len - n : (size_t)c->body_skip;
	n += skip;
	c->body_skip -= skip;
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Answer every complete request in the input while the output is empty. */
static int http_serve_requests(struct serve *s, struct conn *c)
{
	size_t hl;
	char save;
	int r;

	while (c->out_len == c->out_off && c->file_fd < 0 && !c->close_after) {
		hl = http_head_len(c->in, c->in_len);
		if (!hl && c->in_len < HTTP_HEAD_MAX)
			return 0;
		if (!hl) {
			r = http_respond_error(c, 431, false, NULL);
			c->in_len = 0;
		} else if (memchr(c->in, '\0', hl)) {
			r = http_respond_error(c, 400, false, NULL);
			c->in_len = 0;
		} else {
			save = c->in[hl];
			c->in[hl] = '\0';
			r = http_respond(s, c, c->in);
			c->in[hl] = save;
			http_consume(c, hl);
		}
		if (r || conn_flush(s, c) < 0)
			return -1;
	}
	return 0;
}

/* Read input: request bytes into the connection's buffer, body bytes to
 * drop into the shared one. 0, or -1 on a connection error. */
static int http_read(struct serve *s, struct conn *c)
{
	ssize_t n;

	if (!c->in && !(c->in = malloc(HTTP_HEAD_MAX + 1)))
		return -1;
	for (;;) {
		if (c->body_skip) {
			n = conn_read(s, c, c->body_skip < SERVE_BUF ?
						    (size_t)c->body_skip : SERVE_BUF);
			if (n > 0)
				c->body_skip -= (uint64_t)n;
		} else {
			if (c->in_len == HTTP_HEAD_MAX)
				return 0;
			n = sl_recv(c->ev.fd, c->in + c->in_len,
				    HTTP_HEAD_MAX - c->in_len, 0);
			if (n > 0)
				c->in_len += (size_t)n;
			else if (!n)
				c->eof = true;
			else
				n = errno == EAGAIN ? -1 : -2;
		}
		if (n == 0 || n == -1)
			return 0;
		if (n < 0)
			return -1;
	}
}

static void http_event(struct serve *s, struct conn *c, uint32_t events)
{
	int r;

	if (c->out_len > c->out_off || c->file_fd >= 0) {
		r = conn_flush(s, c);
		if (r < 0)
			goto close;
		if (!r)
			return;
	}
	if (!c->close_after && !c->eof && http_read(s, c))
		goto close;
	if (http_serve_requests(s, c))
		goto close;
	if (c->out_len > c->out_off || c->file_fd >= 0) {
		/* Wait until the peer took the answer before reading on. */
		conn_set_events(s, c, EPOLLOUT);
		return;
	}
	if (c->close_after) {
		conn_linger(s, c);
		return;
	}
	if (c->eof)
		goto close;
	conn_set_events(s, c, EPOLLIN | EPOLLRDHUP);
	if (!c->in_len) {       /* idle: give the buffer back */
		free(c->in);
		c->in = NULL;
	}
	return;
close:
	conn_close(s, c);
}

/* --- UDP echo and discard ------------------------------------------------- */

static void udp_event(struct serve *s, struct serve_sock *us)
{
	struct sockaddr_in from;
	socklen_t flen;
	ssize_t n;
	int i;

	for (i = 0; i < 64; i++) {
		flen = sizeof(from);
		n = sl_recvfrom(us->fd, s->buf, UDP_BUF, 0,
				(struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		/* RFC 862: send back the data of each datagram received. A
		 * full send queue loses the echo, as UDP may. */
		if (us->kind == EV_UDP_ECHO)
			sl_sendto(us->fd, s->buf, (size_t)n, MSG_DONTWAIT,
				  (struct sockaddr *)&from, flen);
	}
}

/* --- listeners and the loop ----------------------------------------------- */

static void accept_event(struct serve *s, struct serve_sock *ls)
{
	static const enum conn_state state[] = {
		[EV_LISTEN_ECHO] = CONN_ECHO,
		[EV_LISTEN_DISCARD] = CONN_DISCARD,
		[EV_LISTEN_HTTP] = CONN_HTTP,
	};
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		fd = sl_accept4(ls->fd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM)
				fprintf(stderr, "sockline serve: accept: %s\n",
					strerror(errno));
			return;
		}
		if (!conn_new(s, fd, state[ls->kind]))
			sl_close(fd);
	}
}

static void conn_event(struct serve *s, struct conn *c, uint32_t events)
{
	switch (c->state) {
	case CONN_ECHO:
		echo_event(s, c, events);
		break;
	case CONN_DISCARD:
	case CONN_LINGER:
		discard_event(s, c, events);
		break;
	case CONN_HTTP:
		http_event(s, c, events);
		break;
	}
}

/* Close lingering connections whose peer never sent its FIN. */
static void serve_expire(struct serve *s)
{
	struct conn *c, *next;
	double now = tool_now();

	for (c = s->conns; c; c = next) {
		next = c->next;
		if (c->state == CONN_LINGER && now > c->deadline)
			conn_close(s, c);
	}
}

static void serve_loop(struct serve *s)
{
	struct epoll_event ev[EVENTS_MAX];
	struct serve_sock *ss;
	double next_expire = tool_now() + 1;
	int i, n;

	while (!tool_stop) {
		/* A timeout, so that a signal is seen within 200 ms. */
		n = sl_epoll_wait(s->ep, ev, EVENTS_MAX, 200);
		for (i = 0; i < n; i++) {
			ss = ev[i].data.ptr;
			switch (ss->kind) {
			case EV_LISTEN_ECHO:
			case EV_LISTEN_DISCARD:
			case EV_LISTEN_HTTP:
				accept_event(s, ss);
				break;
			case EV_UDP_ECHO:
			case EV_UDP_DISCARD:
				udp_event(s, ss);
				break;
			case EV_CONN:
				conn_event(s, (struct conn *)ss, ev[i].events);
				break;
			}
		}
		if (tool_now() > next_expire) {
			serve_expire(s);
			next_expire = tool_now() + 1;
		}
	}
}

/* A socket bound to the stack's address (any address: the stack has one
 * link) and @port, listening when TCP, non-blocking, in the epoll set. */
static int serve_open(struct serve *s, enum serve_kind kind, int type,
		      uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	struct serve_sock *ss = &s->socks[s->nsocks];
	int one = 1, fd;

	fd = sl_socket_net(s->st.net, AF_INET, type | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	sl_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (type == SOCK_STREAM && sl_listen(fd, 4096) < 0))
		goto fail;
	ss->kind = kind;
	ss->fd = fd;
	if (serve_watch(s, EPOLL_CTL_ADD, fd, EPOLLIN, ss) < 0)
		goto fail;
	s->nsocks++;
	return 0;
fail:
	fprintf(stderr, "sockline serve: %s port %u: %s\n",
		type == SOCK_STREAM ? "TCP" : "UDP", port, strerror(errno));
	if (fd >= 0)
		sl_close(fd);
	return -1;
}

static int serve_open_all(struct serve *s)
{
	if (s->echo && (serve_open(s, EV_LISTEN_ECHO, SOCK_STREAM, 7) ||
			serve_open(s, EV_UDP_ECHO, SOCK_DGRAM, 7)))
		return -1;
	if (s->discard && (serve_open(s, EV_LISTEN_DISCARD, SOCK_STREAM, 9) ||
			   serve_open(s, EV_UDP_DISCARD, SOCK_DGRAM, 9)))
		return -1;
	if (s->http_dir && serve_open(s, EV_LISTEN_HTTP, SOCK_STREAM, 80))
		return -1;
	return 0;
}

static void serve_close_all(struct serve *s)
{
	int i;

	while (s->conns)
		conn_close(s, s->conns);
	for (i = 0; i < s->nsocks; i++)
		sl_close(s->socks[i].fd);
	s->nsocks = 0;
	if (s->ep >= 0)
		sl_close(s->ep);
	s->ep = -1;
}

/* Many connections, each a sockline fd (bounded by RLIMIT_NOFILE as
 * Linux bounds a process): take the hard limit. */
static void serve_raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void serve_ready(struct serve *s)
{
	char ip[INET_ADDRSTRLEN];
	const char *sep = "";

	inet_ntop(AF_INET, &s->st.addr, ip, sizeof(ip));
	printf("sockline: serving on %s (%s):", ip, s->st.spec);
	if (s->echo) {
		printf(" echo 7/tcp 7/udp");
		sep = ",";
	}
	if (s->discard) {
		printf("%s discard 9/tcp 9/udp", sep);
		sep = ",";
	}
	if (s->http_dir)
		printf("%s http 80/tcp (%s)", sep, s->http_root);
	printf("\n");
	fflush(stdout);
}

static int serve_parse(struct serve *s, struct devopts *o, int argc,
		       char **argv)
{
	static const struct option longopts[] = {
		{ "echo", no_argument, NULL, 'E' },
		{ "discard", no_argument, NULL, 'D' },
		{ "http", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		DEVOPTS_LONGOPTS,
		{ 0 },
	};
	int c, r;

	devopts_init(o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		r = devopts_parse(o, "sockline serve", c, optarg);
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		switch (c) {
		case 'E': s->echo = true; break;
		case 'D': s->discard = true; break;
		case 'H': s->http_dir = optarg; break;
		case 'h': serve_usage(stdout); return 0;
		default:
			fprintf(stderr, "Try 'sockline serve --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sockline serve: unexpected argument '%s'\n"
			"Try 'sockline serve --help'.\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!s->echo && !s->discard && !s->http_dir)
		s->echo = s->discard = true;
	if (s->http_dir && !realpath(s->http_dir, s->http_root)) {
		fprintf(stderr, "sockline serve: --http %s: %s\n", s->http_dir,
			strerror(errno));
		return EXIT_USAGE;
	}
	return -1;
}

int serve_main(int argc, char **argv)
{
	struct serve s = { .ep = -1 };
	struct devopts o;
	int err;

	err = serve_parse(&s, &o, argc, argv);
	if (err >= 0)
		return err;
	serve_raise_nofile();
	tool_signals();
	err = tool_stack_up(&s.st, &o, "sockline serve");
	if (err)
		return err;
	s.buf = malloc(SERVE_BUF > UDP_BUF ? SERVE_BUF : UDP_BUF);
	s.ep = sl_epoll_create1(0);
	if (!s.buf || s.ep < 0 || serve_open_all(&s)) {
		err = 1;
		goto out;
	}
	tool_ctl_start(&s.st);
	serve_ready(&s);
	serve_loop(&s);
	fprintf(stderr, "sockline serve: stopping (%ld connections open)\n",
		s.nconns);
out:
	serve_close_all(&s);
	tool_stack_down(&s.st);
	free(s.buf);
	return err;
}
