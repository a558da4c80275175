/*
 * The packet-level test harness (see pkt_harness.h): a tiny packetdrill.
 *
 * Order of things in one test: pkt_new (adapter init through
 * packetdrill_interface_init, script time 0 = the first gettimeofday) ->
 * lines and calls, each first moving virtual time to its own instant with
 * the table's usleep (">" lines instead take the next datagram from
 * netdev_receive, which moves time itself, and compare its emission time)
 * -> pkt_free (ifc.free, then the leak check).
 *
 * Everything goes through struct packetdrill_interface, so the adapter is
 * what is tested here as much as the stack.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pkt_harness.h"

#define PKT_MAX_FLOWS 64
#define PKT_MAX_OPTS 16
#define PKT_BUF 70000

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

struct pkt_flow {
	uint16_t rport, lport;     /* host order; lport 0: not known yet */
	uint32_t risn, lisn;
	bool lisn_known;
	bool ts_base_known;
	uint32_t ts_base;          /* the stack's first TS val */
	uint32_t ts_last;          /* the stack's latest TS val */
};

struct pkt {
	struct packetdrill_interface ifc;
	char sysctl_dir[64];
	uint64_t t0;               /* gettimeofday at start, us */
	uint64_t last_us;          /* script time of the previous event */
	uint64_t tol_us;
	bool strict;
	uint32_t remote_isn;
	uint16_t ip_id;
	struct in_addr local, remote;
	struct pkt_flow flows[PKT_MAX_FLOWS];
	int nflows;
	int cur;                   /* current flow index */
	uint8_t last_out[PKT_BUF];
	size_t last_out_len;
	uint8_t scratch[PKT_BUF];
};

/* --- options ------------------------------------------------------------ */

enum { OPT_EOL, OPT_NOP, OPT_MSS, OPT_WSCALE, OPT_SACKOK, OPT_SACK, OPT_TS };

struct pkt_opt {
	int kind;
	uint32_t v[2 * 4];         /* mss/wscale: v[0]; TS: val, ecr; sack */
	bool any[2];               /* TS val/ecr "*" */
	int nsack;
};

struct pkt_spec {
	bool out;
	bool t_any;
	uint64_t t_lo, t_hi;       /* us, script time */
	int proto;                 /* IPPROTO_TCP/UDP/ICMP */
	uint8_t flags;
	uint32_t seq, end, len;
	bool has_ack, has_win, has_opts;
	uint32_t ack, win;
	int nopts;
	struct pkt_opt opts[PKT_MAX_OPTS];
	int icmp_type, icmp_code;
	uint32_t icmp_mtu, icmp_id, icmp_seq;
};

/* --- small helpers ------------------------------------------------------- */

static uint16_t csum_fold32(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add_bytes(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

static uint64_t pkt_tod_us(struct pkt *h)
{
	struct timeval tv;

	assert_int_equal(h->ifc.gettimeofday(h->ifc.userdata, &tv, NULL), 0);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static bool pktdev_queued_hint(struct pkt *h)
{
	return sockline_packetdrill_queued(h->ifc.userdata) > 0;
}

uint64_t pkt_now_us(struct pkt *h)
{
	return pkt_tod_us(h) - h->t0;
}

static struct pkt_flow *flow_cur(struct pkt *h)
{
	return &h->flows[h->cur];
}

/* --- lifetime ------------------------------------------------------------ */

struct pkt *pkt_new(const char *flags)
{
	struct pkt *h = calloc(1, sizeof(*h));
	char all[512];

	assert_non_null(h);
	snprintf(h->sysctl_dir, sizeof(h->sysctl_dir), "/tmp/sl-pkt-XXXXXX");
	assert_non_null(mkdtemp(h->sysctl_dir));
	snprintf(all, sizeof(all), "sysctl_dir=%s%s%s", h->sysctl_dir,
		 flags ? "," : "", flags ? flags : "");
	packetdrill_interface_init(all, &h->ifc);
	assert_non_null(h->ifc.userdata);
	inet_pton(AF_INET, "192.168.0.1", &h->local);
	inet_pton(AF_INET, "192.0.2.1", &h->remote);
	if (flags) {
		const char *l = strstr(flags, "local_ip="), *r = strstr(flags, "remote_ip=");
		char ip[32];

		if (l && sscanf(l, "local_ip=%31[0-9.]", ip) == 1)
			inet_pton(AF_INET, ip, &h->local);
		if (r && sscanf(r, "remote_ip=%31[0-9.]", ip) == 1)
			inet_pton(AF_INET, ip, &h->remote);
	}
	h->tol_us = 4000;
	h->strict = true;
	h->ip_id = 1;
	h->t0 = pkt_tod_us(h);
	pkt_flow(h, 40000, 8080);
	return h;
}

static void pkt_rm_sysctl_dir(struct pkt *h)
{
	char path[400];
	struct dirent *de;
	DIR *d = opendir(h->sysctl_dir);

	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", h->sysctl_dir,
				 de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(h->sysctl_dir);
}

void pkt_free(struct pkt *h)
{
	h->ifc.free(h->ifc.userdata);
	pkt_rm_sysctl_dir(h);
	free(h);
	sl_assert_no_leaks();
}

struct packetdrill_interface *pkt_ifc(struct pkt *h)
{
	return &h->ifc;
}

void *pkt_ud(struct pkt *h)
{
	return h->ifc.userdata;
}

void pkt_sysctl(struct pkt *h, const char *name, const char *value)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", h->sysctl_dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", value);
	fclose(f);
}

void pkt_tolerance(struct pkt *h, uint64_t usecs)
{
	h->tol_us = usecs;
}

void pkt_strict(struct pkt *h, bool on)
{
	h->strict = on;
}

void pkt_remote_isn(struct pkt *h, uint32_t isn)
{
	h->remote_isn = isn;
}

void pkt_flow(struct pkt *h, uint16_t rport, uint16_t lport)
{
	int i;

	for (i = 0; i < h->nflows; i++) {
		if (h->flows[i].rport == rport &&
		    (h->flows[i].lport == lport || !lport)) {
			h->cur = i;
			return;
		}
	}
	assert_true(h->nflows < PKT_MAX_FLOWS);
	memset(&h->flows[h->nflows], 0, sizeof(h->flows[0]));
	h->flows[h->nflows].rport = rport;
	h->flows[h->nflows].lport = lport;
	h->flows[h->nflows].risn = h->remote_isn;
	h->cur = h->nflows++;
}

uint32_t pkt_local_isn(struct pkt *h)
{
	return flow_cur(h)->lisn;
}

const uint8_t *pkt_last_out(struct pkt *h, size_t *len)
{
	*len = h->last_out_len;
	return h->last_out;
}

uint64_t pkt_counter(struct pkt *h, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(sl_snmp_get(sockline_packetdrill_net(pkt_ud(h)), name,
				     &v), 0);
	return v;
}

/* --- decoding what the stack sent, for messages ------------------------- */

static void fmt_opts(const uint8_t *o, size_t n, char *out, size_t room,
		     const struct pkt_flow *f)
{
	size_t i = 0, w = 0;
	int k;

	w += (size_t)snprintf(out + w, room - w, "<");
	while (i < n && w < room) {
		const char *sep = i ? "," : "";
		uint8_t kind = o[i], len = i + 1 < n ? o[i + 1] : 0;

		if (kind == 0) {
			w += (size_t)snprintf(out + w, room - w, "%seol", sep);
			i++;
			continue;
		}
		if (kind == 1) {
			w += (size_t)snprintf(out + w, room - w, "%snop", sep);
			i++;
			continue;
		}
		if (len < 2 || i + len > n) {
			w += (size_t)snprintf(out + w, room - w, "%sBAD", sep);
			break;
		}
		if (kind == 2 && len == 4)
			w += (size_t)snprintf(out + w, room - w, "%smss %u", sep,
					      get16(o + i + 2));
		else if (kind == 3 && len == 3)
			w += (size_t)snprintf(out + w, room - w, "%swscale %u",
					      sep, o[i + 2]);
		else if (kind == 4 && len == 2)
			w += (size_t)snprintf(out + w, room - w, "%ssackOK", sep);
		else if (kind == 8 && len == 10)
			w += (size_t)snprintf(out + w, room - w,
					      "%sTS val %u(+%u) ecr %u", sep,
					      get32(o + i + 2),
					      get32(o + i + 2) - f->ts_base,
					      get32(o + i + 6));
		else if (kind == 5 && (len - 2) % 8 == 0) {
			w += (size_t)snprintf(out + w, room - w, "%ssack", sep);
			for (k = 0; k < (len - 2) / 8 && w < room; k++)
				w += (size_t)snprintf(
					out + w, room - w, " %u:%u",
					get32(o + i + 2 + 8 * k) - f->risn,
					get32(o + i + 6 + 8 * k) - f->risn);
		} else
			w += (size_t)snprintf(out + w, room - w, "%sopt%u/%u",
					      sep, kind, len);
		i += len;
	}
	if (w < room)
		snprintf(out + w, room - w, ">");
}

static void fmt_flags(uint8_t fl, char *s)
{
	if (fl & TH_FIN)
		*s++ = 'F';
	if (fl & TH_SYN)
		*s++ = 'S';
	if (fl & TH_RST)
		*s++ = 'R';
	if (fl & TH_PSH)
		*s++ = 'P';
	if (fl & TH_ACK)
		*s++ = '.';
	if (fl & TH_URG)
		*s++ = 'U';
	if (fl & TH_ECE)
		*s++ = 'E';
	if (fl & TH_CWR)
		*s++ = 'W';
	*s = '\0';
}

/* What the stack sent, in line syntax (relative to the current flow). */
static void fmt_out(struct pkt *h, const uint8_t *p, size_t n, uint64_t t_us,
		    char *out, size_t room)
{
	const struct pkt_flow *f = flow_cur(h);
	size_t ihl, thl, plen;
	char fl[12], opts[512];
	const uint8_t *th;

	if (n < 20 || (p[0] >> 4) != 4) {
		snprintf(out, room, "%.6f > (not IPv4, %zu bytes)",
			 (double)t_us / 1e6, n);
		return;
	}
	ihl = (size_t)(p[0] & 15) * 4;
	th = p + ihl;
	if (p[9] == IPPROTO_UDP && n >= ihl + 8) {
		snprintf(out, room, "%.6f > udp %u>%u (%u)", (double)t_us / 1e6,
			 get16(th), get16(th + 2), get16(th + 4) - 8);
		return;
	}
	if (p[9] == IPPROTO_ICMP && n >= ihl + 8) {
		snprintf(out, room, "%.6f > icmp type %u code %u (%zu)",
			 (double)t_us / 1e6, th[0], th[1], n - ihl - 8);
		return;
	}
	if (p[9] != IPPROTO_TCP || n < ihl + 20) {
		snprintf(out, room, "%.6f > proto %u (%zu bytes)",
			 (double)t_us / 1e6, p[9], n);
		return;
	}
	thl = (size_t)(th[12] >> 4) * 4;
	plen = n - ihl - thl;
	fmt_flags(th[13], fl);
	fmt_opts(th + 20, thl > 20 ? thl - 20 : 0, opts, sizeof(opts), f);
	snprintf(out, room,
		 "%.6f > %u>%u %s %u:%u(%zu) ack %u win %u %s",
		 (double)t_us / 1e6, get16(th), get16(th + 2), fl,
		 get32(th + 4) - f->lisn,
		 get32(th + 4) - f->lisn + (uint32_t)plen, plen,
		 get32(th + 8) - f->risn, get16(th + 14), opts);
}

/* --- parsing lines -------------------------------------------------------- */

struct pkt_lex {
	const char *s;
	char tok[256];
};

/* Next token: a word, or a whole "<...>" option list. */
static bool lex_next(struct pkt_lex *lx)
{
	const char *s = lx->s;
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s) {
		lx->s = s;
		return false;
	}
	if (*s == '<' && s[1] && !isspace((unsigned char)s[1])) {
		while (*s && *s != '>' && n < sizeof(lx->tok) - 2)
			lx->tok[n++] = *s++;
		if (*s == '>')
			lx->tok[n++] = *s++;
	} else {
		while (*s && !isspace((unsigned char)*s) &&
		       n < sizeof(lx->tok) - 1)
			lx->tok[n++] = *s++;
	}
	lx->tok[n] = '\0';
	lx->s = s;
	return true;
}

static uint64_t parse_secs(const char *s, bool *ok)
{
	char *end;
	double v = strtod(s, &end);

	*ok = end != s && v >= 0;
	return (uint64_t)(v * 1e6 + 0.5);
}

/* "*", "[+]A", "[+]A~[+]B" -> [lo, hi] in script us. */
static void parse_time(struct pkt *h, const char *tok, struct pkt_spec *sp)
{
	const char *tilde = strchr(tok, '~');
	uint64_t base = h->last_us;
	bool ok = true;

	sp->t_any = !strcmp(tok, "*");
	if (sp->t_any)
		return;
	if (*tok == '+')
		sp->t_lo = base + parse_secs(tok + 1, &ok);
	else
		sp->t_lo = parse_secs(tok, &ok);
	if (!ok)
		fail_msg("bad time '%s'", tok);
	sp->t_hi = sp->t_lo;
	if (tilde) {
		if (tilde[1] == '+')
			sp->t_hi = sp->t_lo + parse_secs(tilde + 2, &ok);
		else
			sp->t_hi = parse_secs(tilde + 1, &ok);
		if (!ok || sp->t_hi < sp->t_lo)
			fail_msg("bad time range '%s'", tok);
	}
}

static uint32_t parse_u32(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (end == s || *end)
		fail_msg("bad number '%s'", s);
	return (uint32_t)v;
}

/* One option of an option list ("mss 1460", "TS val * ecr 100", ...). */
static void parse_opt(char *text, struct pkt_opt *o)
{
	char *w[12], *save = NULL, *t;
	int n = 0, i;

	memset(o, 0, sizeof(*o));
	for (t = strtok_r(text, " ", &save); t && n < 12; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	if (!n)
		fail_msg("empty option");
	if (!strcmp(w[0], "nop")) {
		o->kind = OPT_NOP;
	} else if (!strcmp(w[0], "eol")) {
		o->kind = OPT_EOL;
	} else if (!strcmp(w[0], "sackOK")) {
		o->kind = OPT_SACKOK;
	} else if (!strcmp(w[0], "mss") && n == 2) {
		o->kind = OPT_MSS;
		o->v[0] = parse_u32(w[1]);
	} else if (!strcmp(w[0], "wscale") && n == 2) {
		o->kind = OPT_WSCALE;
		o->v[0] = parse_u32(w[1]);
	} else if (!strcmp(w[0], "TS") && n == 5 && !strcmp(w[1], "val") &&
		   !strcmp(w[3], "ecr")) {
		o->kind = OPT_TS;
		for (i = 0; i < 2; i++) {
			o->any[i] = !strcmp(w[2 + 2 * i], "*");
			if (!o->any[i])
				o->v[i] = parse_u32(w[2 + 2 * i]);
		}
	} else if (!strcmp(w[0], "sack") && n >= 2 && n <= 5) {
		o->kind = OPT_SACK;
		for (i = 1; i < n; i++) {
			if (sscanf(w[i], "%u:%u", &o->v[2 * (i - 1)],
				   &o->v[2 * (i - 1) + 1]) != 2)
				fail_msg("bad sack block '%s'", w[i]);
		}
		o->nsack = n - 1;
	} else {
		fail_msg("unknown option '%s'", w[0]);
	}
}

static void parse_opts(const char *tok, struct pkt_spec *sp)
{
	char buf[256], *save = NULL, *t;
	size_t n = strlen(tok);

	if (n < 2 || tok[n - 1] != '>')
		fail_msg("bad option list '%s'", tok);
	memcpy(buf, tok + 1, n - 2);
	buf[n - 2] = '\0';
	sp->has_opts = true;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (sp->nopts == PKT_MAX_OPTS)
			fail_msg("too many options");
		parse_opt(t, &sp->opts[sp->nopts++]);
	}
}

static uint8_t parse_flags(const char *tok)
{
	uint8_t fl = 0;

	for (; *tok; tok++) {
		switch (*tok) {
		case 'F': fl |= TH_FIN; break;
		case 'S': fl |= TH_SYN; break;
		case 'R': fl |= TH_RST; break;
		case 'P': fl |= TH_PSH; break;
		case '.': fl |= TH_ACK; break;
		case 'U': fl |= TH_URG; break;
		case 'E': fl |= TH_ECE; break;
		case 'W': fl |= TH_CWR; break;
		default: fail_msg("bad flags '%s'", tok);
		}
	}
	return fl;
}

static void parse_tcp(struct pkt_lex *lx, struct pkt_spec *sp)
{
	sp->proto = IPPROTO_TCP;
	sp->flags = parse_flags(lx->tok);
	if (!lex_next(lx) ||
	    sscanf(lx->tok, "%u:%u(%u)", &sp->seq, &sp->end, &sp->len) != 3 ||
	    sp->end - sp->seq != sp->len)
		fail_msg("bad sequence range '%s'", lx->tok);
	while (lex_next(lx)) {
		if (!strcmp(lx->tok, "ack") && lex_next(lx)) {
			sp->has_ack = true;
			sp->ack = parse_u32(lx->tok);
		} else if (!strcmp(lx->tok, "win") && lex_next(lx)) {
			sp->has_win = true;
			sp->win = parse_u32(lx->tok);
		} else if (lx->tok[0] == '<') {
			parse_opts(lx->tok, sp);
		} else {
			fail_msg("unexpected '%s'", lx->tok);
		}
	}
}

static const struct { const char *name; int type, code; } icmp_names[] = {
	{ "echo_reply", 0, 0 },
	{ "echo_request", 8, 0 },
	{ "net_unreachable", 3, 0 },
	{ "host_unreachable", 3, 1 },
	{ "protocol_unreachable", 3, 2 },
	{ "port_unreachable", 3, 3 },
	{ "frag_needed", 3, 4 },
	{ "time_exceeded", 11, 0 },
};

static void parse_icmp(struct pkt_lex *lx, struct pkt_spec *sp)
{
	size_t i;

	sp->proto = IPPROTO_ICMP;
	sp->icmp_type = -1;
	while (lex_next(lx)) {
		if (!strcmp(lx->tok, "unreachable"))
			continue;
		for (i = 0; i < sizeof(icmp_names) / sizeof(icmp_names[0]); i++)
			if (!strcmp(lx->tok, icmp_names[i].name))
				break;
		if (i < sizeof(icmp_names) / sizeof(icmp_names[0])) {
			sp->icmp_type = icmp_names[i].type;
			sp->icmp_code = icmp_names[i].code;
		} else if (!strcmp(lx->tok, "mtu") && lex_next(lx)) {
			sp->icmp_mtu = parse_u32(lx->tok);
		} else if (!strcmp(lx->tok, "id") && lex_next(lx)) {
			sp->icmp_id = parse_u32(lx->tok);
		} else if (!strcmp(lx->tok, "seq") && lex_next(lx)) {
			sp->icmp_seq = parse_u32(lx->tok);
		} else if (sscanf(lx->tok, "(%u)", &sp->len) != 1) {
			fail_msg("unexpected '%s'", lx->tok);
		}
	}
	if (sp->icmp_type < 0)
		fail_msg("icmp line without a type");
}

static void parse_line(struct pkt *h, const char *text, struct pkt_spec *sp)
{
	struct pkt_lex lx = { .s = text };

	memset(sp, 0, sizeof(*sp));
	if (!lex_next(&lx))
		fail_msg("empty line");
	parse_time(h, lx.tok, sp);
	if (!lex_next(&lx) || (strcmp(lx.tok, "<") && strcmp(lx.tok, ">")))
		fail_msg("line '%s': direction '<' or '>' expected", text);
	sp->out = lx.tok[0] == '>';
	if (!lex_next(&lx))
		fail_msg("line '%s': nothing after the direction", text);
	if (!strcmp(lx.tok, "udp")) {
		sp->proto = IPPROTO_UDP;
		if (!lex_next(&lx) || sscanf(lx.tok, "(%u)", &sp->len) != 1)
			fail_msg("line '%s': udp (len) expected", text);
	} else if (!strcmp(lx.tok, "icmp")) {
		parse_icmp(&lx, sp);
	} else {
		parse_tcp(&lx, sp);
	}
}

/* --- building what we inject ------------------------------------------------ */

static size_t build_opts(struct pkt *h, const struct pkt_spec *sp, uint8_t *o)
{
	const struct pkt_flow *f = flow_cur(h);
	size_t n = 0;
	int i, k;

	for (i = 0; i < sp->nopts; i++) {
		const struct pkt_opt *op = &sp->opts[i];

		switch (op->kind) {
		case OPT_EOL: o[n++] = 0; break;
		case OPT_NOP: o[n++] = 1; break;
		case OPT_SACKOK: o[n++] = 4; o[n++] = 2; break;
		case OPT_MSS:
			o[n++] = 2; o[n++] = 4; put16(o + n, op->v[0]); n += 2;
			break;
		case OPT_WSCALE:
			o[n++] = 3; o[n++] = 3; o[n++] = (uint8_t)op->v[0];
			break;
		case OPT_TS:
			o[n++] = 8; o[n++] = 10;
			put32(o + n, op->v[0]);
			/* "ecr *": echo the stack's latest TS val; a number
			 * counts ms from its first (0 before we know it). */
			if (op->any[1])
				put32(o + n + 4, f->ts_last);
			else
				put32(o + n + 4, op->v[1] + (f->ts_base_known && op->v[1]
							       ? f->ts_base : 0));
			n += 8;
			break;
		case OPT_SACK:
			o[n++] = 5; o[n++] = (uint8_t)(2 + 8 * op->nsack);
			for (k = 0; k < 2 * op->nsack; k++, n += 4)
				put32(o + n, op->v[k] + f->lisn);
			break;
		}
	}
	while (n % 4)
		o[n++] = 0;   /* pad with EOL to a 32-bit boundary */
	return n;
}

/* IPv4 header for @plen bytes of @proto from remote to local. */
static size_t build_ip(struct pkt *h, uint8_t *p, int proto, size_t plen)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, (uint32_t)(20 + plen));
	put16(p + 4, h->ip_id++);
	put16(p + 6, 0x4000);   /* DF */
	p[8] = 64;
	p[9] = (uint8_t)proto;
	memcpy(p + 12, &h->remote, 4);
	memcpy(p + 16, &h->local, 4);
	put16(p + 10, csum_fold32(csum_add_bytes(0, p, 20)));
	return 20;
}

static uint16_t l4_csum(struct pkt *h, int proto, const uint8_t *l4, size_t n)
{
	uint32_t sum = 0;

	sum = csum_add_bytes(sum, (const uint8_t *)&h->remote, 4);
	sum = csum_add_bytes(sum, (const uint8_t *)&h->local, 4);
	sum += (uint32_t)proto + (uint32_t)n;
	return csum_fold32(csum_add_bytes(sum, l4, n));
}

static size_t build_tcp(struct pkt *h, const struct pkt_spec *sp, uint8_t *p)
{
	const struct pkt_flow *f = flow_cur(h);
	uint8_t *th = p + 20;
	size_t olen = build_opts(h, sp, th + 20), tlen = 20 + olen + sp->len;
	uint16_t sum;

	memset(th, 0, 20);
	put16(th, f->rport);
	put16(th + 2, f->lport);
	put32(th + 4, sp->seq + f->risn);
	put32(th + 8, sp->has_ack ? sp->ack + f->lisn : 0);
	th[12] = (uint8_t)(((20 + olen) / 4) << 4);
	th[13] = sp->flags | (sp->has_ack ? TH_ACK : 0);
	put16(th + 14, sp->has_win ? sp->win : 65535);
	memset(th + 20 + olen, 'x', sp->len);
	sum = l4_csum(h, IPPROTO_TCP, th, tlen);
	put16(th + 16, sum);
	return build_ip(h, p, IPPROTO_TCP, tlen) + tlen;
}

static size_t build_udp(struct pkt *h, const struct pkt_spec *sp, uint8_t *p)
{
	const struct pkt_flow *f = flow_cur(h);
	uint8_t *uh = p + 20;
	size_t ulen = 8 + sp->len;
	uint16_t sum;

	put16(uh, f->rport);
	put16(uh + 2, f->lport);
	put16(uh + 4, (uint32_t)ulen);
	put16(uh + 6, 0);
	memset(uh + 8, 'u', sp->len);
	sum = l4_csum(h, IPPROTO_UDP, uh, ulen);
	put16(uh + 6, sum ? sum : 0xffff);
	return build_ip(h, p, IPPROTO_UDP, ulen) + ulen;
}

static size_t build_icmp(struct pkt *h, const struct pkt_spec *sp, uint8_t *p)
{
	uint8_t *ih = p + 20;
	size_t ilen = 8 + sp->len;

	memset(ih, 0, ilen);
	ih[0] = (uint8_t)sp->icmp_type;
	ih[1] = (uint8_t)sp->icmp_code;
	if (sp->icmp_type == 0 || sp->icmp_type == 8) {
		put16(ih + 4, sp->icmp_id);
		put16(ih + 6, sp->icmp_seq);
		memset(ih + 8, 'i', sp->len);
	} else if (sp->icmp_code == 4) {
		put16(ih + 6, sp->icmp_mtu);
	}
	put16(ih + 2, csum_fold32(csum_add_bytes(0, ih, ilen)));
	return build_ip(h, p, IPPROTO_ICMP, ilen) + ilen;
}

/* --- events ----------------------------------------------------------------- */

/* Strict mode: nothing may have been sent that no line consumed. */
static void pkt_check_quiet(struct pkt *h, const char *file, int line)
{
	long long t;
	size_t n;
	char desc[1024];

	if (!h->strict)
		return;
	/* netdev_receive would move time: only look at what is queued. */
	if (!pktdev_queued_hint(h))
		return;
	n = sizeof(h->scratch);
	assert_int_equal(h->ifc.netdev_receive(h->ifc.userdata, h->scratch, &n,
					       &t), 0);
	fmt_out(h, h->scratch, n, (uint64_t)t - h->t0, desc, sizeof(desc));
	fail_msg("%s:%d: unexpected packet: %s", file, line, desc);
}

void pkt_at(struct pkt *h, const char *when)
{
	struct pkt_spec sp;
	uint64_t now;

	memset(&sp, 0, sizeof(sp));
	parse_time(h, when, &sp);
	if (!sp.t_any) {
		now = pkt_now_us(h);
		if (sp.t_lo > now)
			assert_int_equal(h->ifc.usleep(h->ifc.userdata,
						       (useconds_t)(sp.t_lo - now)), 0);
		h->last_us = sp.t_lo;
	}
}

static void pkt_inject(struct pkt *h, const char *file, int line,
		       const struct pkt_spec *sp)
{
	size_t n;

	if (!sp->t_any) {
		uint64_t now = pkt_now_us(h);

		if (sp->t_lo > now)
			assert_int_equal(h->ifc.usleep(h->ifc.userdata,
						       (useconds_t)(sp->t_lo - now)), 0);
		h->last_us = sp->t_lo;
	}
	pkt_check_quiet(h, file, line);
	if (sp->proto == IPPROTO_TCP)
		n = build_tcp(h, sp, h->scratch);
	else if (sp->proto == IPPROTO_UDP)
		n = build_udp(h, sp, h->scratch);
	else
		n = build_icmp(h, sp, h->scratch);
	if (h->ifc.netdev_send(h->ifc.userdata, h->scratch, n))
		fail_msg("%s:%d: netdev_send: %s", file, line, strerror(errno));
}

/* Compare one expected option with the actual bytes at @o. */
static bool opt_match(struct pkt_flow *f, const struct pkt_opt *e,
		      const uint8_t *o, size_t room, size_t *used)
{
	static const int kinds[] = { 0, 1, 2, 3, 4, 5, 8 };
	int k;

	if (!room || o[0] != kinds[e->kind])
		return false;
	if (e->kind == OPT_EOL || e->kind == OPT_NOP) {
		*used = 1;
		return true;
	}
	if (room < 2 || o[1] < 2 || o[1] > room)
		return false;
	*used = o[1];
	switch (e->kind) {
	case OPT_SACKOK:
		return o[1] == 2;
	case OPT_MSS:
		return o[1] == 4 && get16(o + 2) == e->v[0];
	case OPT_WSCALE:
		return o[1] == 3 && o[2] == e->v[0];
	case OPT_TS:
		if (o[1] != 10)
			return false;
		if (!f->ts_base_known) {
			f->ts_base_known = true;
			f->ts_base = get32(o + 2);
		}
		f->ts_last = get32(o + 2);
		return (e->any[0] || get32(o + 2) - f->ts_base == e->v[0]) &&
		       (e->any[1] || get32(o + 6) == e->v[1]);
	case OPT_SACK:
		if (o[1] != 2 + 8 * e->nsack)
			return false;
		for (k = 0; k < 2 * e->nsack; k++)
			if (get32(o + 2 + 4 * k) - f->risn != e->v[k])
				return false;
		return true;
	}
	return false;
}

/* Learn from an outbound TCP segment: the flow's ports, ISN, TS val. */
static void pkt_learn(struct pkt *h, const uint8_t *th, size_t thl)
{
	struct pkt_flow *f = flow_cur(h);
	size_t i = 20;

	if (!f->lport)
		f->lport = (uint16_t)get16(th);
	if ((th[13] & TH_SYN) && !f->lisn_known) {
		f->lisn = get32(th + 4);
		f->lisn_known = true;
	}
	while (i + 1 < thl) {
		if (th[i] <= 1) {
			i++;
			continue;
		}
		if (th[i] == 8 && th[i + 1] == 10 && i + 10 <= thl) {
			if (!f->ts_base_known) {
				f->ts_base_known = true;
				f->ts_base = get32(th + i + 2);
			}
			f->ts_last = get32(th + i + 2);
		}
		if (th[i + 1] < 2)
			break;
		i += th[i + 1];
	}
}

static const char *tcp_mismatch(struct pkt *h, const struct pkt_spec *sp,
				const uint8_t *p, size_t n)
{
	struct pkt_flow *f = flow_cur(h);
	size_t ihl = (size_t)(p[0] & 15) * 4, thl, plen, i = 0, used;
	const uint8_t *th = p + ihl;
	int k;

	if (p[9] != IPPROTO_TCP || n < ihl + 20)
		return "not TCP";
	thl = (size_t)(th[12] >> 4) * 4;
	if (thl < 20 || ihl + thl > n)
		return "bad TCP header length";
	if (get16(th + 2) != f->rport || (f->lport && get16(th) != f->lport))
		return "ports";
	pkt_learn(h, th, thl);
	plen = n - ihl - thl;
	if (th[13] != sp->flags)
		return "flags";
	if (get32(th + 4) - f->lisn != sp->seq)
		return "sequence number";
	if (plen != sp->len)
		return "payload length";
	if (sp->has_ack && get32(th + 8) - f->risn != sp->ack)
		return "ack number";
	if (sp->has_win && get16(th + 14) != sp->win)
		return "window";
	if (!sp->has_opts)
		return NULL;
	for (k = 0; k < sp->nopts; k++) {
		if (!opt_match(f, &sp->opts[k], th + 20 + i, thl - 20 - i, &used))
			return "options";
		i += used;
	}
	if (20 + i != thl)
		return "options (extra bytes)";
	return NULL;
}

static const char *udp_icmp_mismatch(struct pkt *h, const struct pkt_spec *sp,
				     const uint8_t *p, size_t n)
{
	struct pkt_flow *f = flow_cur(h);
	size_t ihl = (size_t)(p[0] & 15) * 4;
	const uint8_t *l4 = p + ihl;

	if (p[9] != sp->proto || n < ihl + 8)
		return "protocol";
	if (sp->proto == IPPROTO_UDP) {
		if (get16(l4 + 2) != f->rport ||
		    (f->lport && get16(l4) != f->lport))
			return "ports";
		if (!f->lport)
			f->lport = (uint16_t)get16(l4);
		return get16(l4 + 4) - 8 == sp->len ? NULL : "udp length";
	}
	if (l4[0] != sp->icmp_type || l4[1] != sp->icmp_code)
		return "icmp type/code";
	if (sp->icmp_code == 4 && sp->icmp_type == 3 && sp->icmp_mtu &&
	    get16(l4 + 6) != sp->icmp_mtu)
		return "icmp mtu";
	if ((sp->icmp_type == 0 || sp->icmp_type == 8) && sp->len &&
	    n - ihl - 8 != sp->len)
		return "icmp length";
	return NULL;
}

static void pkt_expect(struct pkt *h, const char *file, int line,
		       const char *text, const struct pkt_spec *sp)
{
	char desc[1024];
	const char *why = NULL;
	uint64_t t;
	long long tus;
	size_t n = sizeof(h->scratch);

	assert_int_equal(h->ifc.netdev_receive(h->ifc.userdata, h->scratch, &n,
					       &tus), 0);
	if (!n)
		fail_msg("%s:%d: expected '%s', but the stack sent nothing",
			 file, line, text);
	t = (uint64_t)tus - h->t0;
	if (n < 20 || (h->scratch[0] >> 4) != 4)
		why = "not IPv4";
	else if (sp->proto == IPPROTO_TCP)
		why = tcp_mismatch(h, sp, h->scratch, n);
	else
		why = udp_icmp_mismatch(h, sp, h->scratch, n);
	fmt_out(h, h->scratch, n, t, desc, sizeof(desc));
	if (why)
		fail_msg("%s:%d: %s differs\n  expected: %s\n  actual:   %s",
			 file, line, why, text, desc);
	if (!sp->t_any &&
	    (t + h->tol_us < sp->t_lo || t > sp->t_hi + h->tol_us))
		fail_msg("%s:%d: timing: expected at %.6f~%.6f (+-%.3f ms)\n"
			 "  expected: %s\n  actual:   %s",
			 file, line, (double)sp->t_lo / 1e6,
			 (double)sp->t_hi / 1e6, (double)h->tol_us / 1e3, text,
			 desc);
	memcpy(h->last_out, h->scratch, n);
	h->last_out_len = n;
	h->last_us = sp->t_any ? t : sp->t_lo;
}

void pkt_line(struct pkt *h, const char *file, int line, const char *text)
{
	struct pkt_spec sp;

	parse_line(h, text, &sp);
	if (sp.out)
		pkt_expect(h, file, line, text, &sp);
	else
		pkt_inject(h, file, line, &sp);
}

void pkt_silent(struct pkt *h, const char *file, int line, const char *when)
{
	struct pkt_spec sp;
	uint64_t now;
	char desc[1024];
	long long t;
	size_t n;

	memset(&sp, 0, sizeof(sp));
	parse_time(h, when, &sp);
	now = pkt_now_us(h);
	if (sp.t_lo > now)
		assert_int_equal(h->ifc.usleep(h->ifc.userdata,
					       (useconds_t)(sp.t_lo - now)), 0);
	h->last_us = sp.t_lo;
	if (!pktdev_queued_hint(h))
		return;
	n = sizeof(h->scratch);
	assert_int_equal(h->ifc.netdev_receive(h->ifc.userdata, h->scratch, &n,
					       &t), 0);
	fmt_out(h, h->scratch, n, (uint64_t)t - h->t0, desc, sizeof(desc));
	fail_msg("%s:%d: expected silence until %s, got: %s", file, line, when,
		 desc);
}

/* --- system calls ------------------------------------------------------------ */

long pkt_call_check(struct pkt *h, const char *file, int line,
		    const char *text, long ret, int err, long want_ret,
		    int want_err, bool any_ok)
{
	if (any_ok) {
		if (ret < 0)
			fail_msg("%s:%d: %s = %ld (%s), expected success", file,
				 line, text, ret, strerror(err));
		return ret;
	}
	if (ret != want_ret || (want_ret == -1 && err != want_err))
		fail_msg("%s:%d: %s = %ld (errno %d %s), expected %ld (errno %d %s)",
			 file, line, text, ret, ret < 0 ? err : 0,
			 ret < 0 ? strerror(err) : "", want_ret, want_err,
			 want_ret == -1 ? strerror(want_err) : "");
	return ret;
}

void pkt_call_begin(struct pkt *h, const char *file, int line,
		    const char *when)
{
	pkt_at(h, when);
	pkt_check_quiet(h, file, line);
}

struct sockaddr_in pkt_remote_sin(struct pkt *h, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr = h->remote;
	return sin;
}

int pkt_socket(struct pkt *h, int type)
{
	int proto = (type & 0xf) == SOCK_STREAM ? IPPROTO_TCP :
		    (type & 0xf) == SOCK_DGRAM ? IPPROTO_UDP : 0;

	return h->ifc.socket(h->ifc.userdata, AF_INET, type, proto);
}

int pkt_bind_port(struct pkt *h, int fd, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	return h->ifc.bind(h->ifc.userdata, fd, (struct sockaddr *)&sin,
			   sizeof(sin));
}

int pkt_listen(struct pkt *h, uint16_t port, int backlog)
{
	int fd = pkt_socket(h, SOCK_STREAM), one = 1;

	if (fd < 0)
		fail_msg("socket(SOCK_STREAM): %s", strerror(errno));
	assert_int_equal(h->ifc.setsockopt(h->ifc.userdata, fd, SOL_SOCKET,
					   SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(pkt_bind_port(h, fd, port), 0);
	assert_int_equal(h->ifc.listen(h->ifc.userdata, fd, backlog), 0);
	flow_cur(h)->lport = port;
	return fd;
}

int pkt_accept(struct pkt *h, int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	return h->ifc.accept(h->ifc.userdata, fd, (struct sockaddr *)&sin, &len);
}

int pkt_connect(struct pkt *h, int fd)
{
	struct sockaddr_in sin = pkt_remote_sin(h, flow_cur(h)->rport);

	return h->ifc.connect(h->ifc.userdata, fd, (struct sockaddr *)&sin,
			      sizeof(sin));
}

int pkt_setsockopt_int(struct pkt *h, int fd, int level, int name, int val)
{
	return h->ifc.setsockopt(h->ifc.userdata, fd, level, name, &val,
				 sizeof(val));
}

int pkt_getsockopt_int(struct pkt *h, int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);

	return h->ifc.getsockopt(h->ifc.userdata, fd, level, name, val, &len);
}

static char pkt_pattern[PKT_BUF];

long pkt_write(struct pkt *h, int fd, size_t len)
{
	if (len > sizeof(pkt_pattern))
		len = sizeof(pkt_pattern);
	memset(pkt_pattern, 'w', len);
	return h->ifc.write(h->ifc.userdata, fd, pkt_pattern, len);
}

long pkt_send(struct pkt *h, int fd, size_t len, int flags)
{
	if (len > sizeof(pkt_pattern))
		len = sizeof(pkt_pattern);
	memset(pkt_pattern, 'w', len);
	return h->ifc.send(h->ifc.userdata, fd, pkt_pattern, len, flags);
}

long pkt_read(struct pkt *h, int fd, size_t len)
{
	static char buf[PKT_BUF];

	return h->ifc.read(h->ifc.userdata, fd, buf,
			   len < sizeof(buf) ? len : sizeof(buf));
}

long pkt_recv(struct pkt *h, int fd, size_t len, int flags)
{
	static char buf[PKT_BUF];

	return h->ifc.recv(h->ifc.userdata, fd, buf,
			   len < sizeof(buf) ? len : sizeof(buf), flags);
}

int pkt_close(struct pkt *h, int fd)
{
	return h->ifc.close(h->ifc.userdata, fd);
}

int pkt_shutdown(struct pkt *h, int fd, int how)
{
	return h->ifc.shutdown(h->ifc.userdata, fd, how);
}

int pkt_fcntl_nonblock(struct pkt *h, int fd)
{
	int fl = h->ifc.fcntl(h->ifc.userdata, fd, F_GETFL, 0L);

	if (fl < 0)
		return fl;
	return h->ifc.fcntl(h->ifc.userdata, fd, F_SETFL, (long)(fl | O_NONBLOCK));
}

int pkt_poll(struct pkt *h, int fd, short events, int timeout_ms,
	     short *revents)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = h->ifc.poll(h->ifc.userdata, &p, 1, timeout_ms);

	if (revents)
		*revents = p.revents;
	return r;
}

int pkt_so_error(struct pkt *h, int fd)
{
	int v = -1;

	assert_int_equal(pkt_getsockopt_int(h, fd, SOL_SOCKET, SO_ERROR, &v), 0);
	return v;
}


struct pkt *pkt_new_tcp(const char *flags)
{
	struct pkt *h = pkt_new(flags);
	int fd = pkt_socket(h, SOCK_STREAM);

	assert_true(fd >= 0);
	assert_int_equal(pkt_close(h, fd), 0);
	return h;
}

int pkt_server_established(struct pkt *h, bool ts, int *lfd)
{
	int l, fd;

	pkt_at(h, "0");
	l = pkt_listen(h, 8080, 1);
	if (ts) {
		PKT(h, "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>");
		PKT(h, "0.000 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val * ecr 100,nop,wscale 7>");
		PKT(h, "0.100 < . 1:1(0) ack 1 win 1000 <nop,nop,TS val 200 ecr *>");
	} else {
		PKT(h, "0.000 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>");
		PKT(h, "0.000 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
		PKT(h, "0.100 < . 1:1(0) ack 1 win 1000");
	}
	fd = PKT_OK(h, "0.100", pkt_accept(h, l));
	if (lfd)
		*lfd = l;
	return fd;
}

/* --- blocking calls in a second thread --------------------------------------- */

struct pkt_async {
	struct pkt *h;
	pkt_async_fn fn;
	void *arg;
	pthread_t thread;
	pid_t tid;                 /* atomic */
	bool done;                 /* atomic */
	long ret;
	int err;
	uint64_t end_us;
};

static void *pkt_async_main(void *p)
{
	struct pkt_async *a = p;

	__atomic_store_n(&a->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	errno = 0;
	a->ret = a->fn(a->h, a->arg);
	a->err = errno;
	/* As packetdrill's syscall thread: the end time is read when the
	 * call returns. */
	a->end_us = pkt_now_us(a->h);
	__atomic_store_n(&a->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Is thread @tid asleep in the kernel ("S" in /proc), as packetdrill asks? */
static bool pkt_thread_sleeping(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'S';
}

struct pkt_async *pkt_async(struct pkt *h, const char *when, pkt_async_fn fn,
			    void *arg)
{
	struct pkt_async *a = calloc(1, sizeof(*a));
	struct timespec ts = { 0, 200000 };
	int settled = 0;
	pid_t tid;

	assert_non_null(a);
	pkt_at(h, when);
	a->h = h;
	a->fn = fn;
	a->arg = arg;
	assert_int_equal(pthread_create(&a->thread, NULL, pkt_async_main, a), 0);
	/* Wait until the call sleeps (several consecutive looks, so a
	 * passing lock wait is not taken for the call blocking) or ends. */
	while (!__atomic_load_n(&a->done, __ATOMIC_ACQUIRE) && settled < 5) {
		nanosleep(&ts, NULL);
		tid = __atomic_load_n(&a->tid, __ATOMIC_ACQUIRE);
		settled = tid && pkt_thread_sleeping(tid) ? settled + 1 : 0;
	}
	return a;
}

void pkt_async_end(struct pkt *h, const char *file, int line,
		   struct pkt_async *a, const char *when, long want_ret,
		   int want_err)
{
	struct pkt_spec sp;
	char what[64];

	assert_int_equal(pthread_join(a->thread, NULL), 0);
	memset(&sp, 0, sizeof(sp));
	parse_time(h, when, &sp);
	snprintf(what, sizeof(what), "blocking call ending at %s", when);
	pkt_call_check(h, file, line, what, a->ret, a->err, want_ret, want_err,
		       false);
	if (!sp.t_any && (a->end_us + h->tol_us < sp.t_lo ||
			  a->end_us > sp.t_hi + h->tol_us))
		fail_msg("%s:%d: blocking call ended at %.6f, expected %.6f~%.6f",
			 file, line, (double)a->end_us / 1e6,
			 (double)sp.t_lo / 1e6, (double)sp.t_hi / 1e6);
	if (!sp.t_any && sp.t_lo > h->last_us)
		h->last_us = sp.t_lo;
	free(a);
}
