/*
 * sl_ss_dump (src/ipv4/inet_diag.c): every kind of socket listed as
 * `ss -tuwani` lists it, with Linux's queue semantics, and the references
 * it takes all dropped (sl_pair_teardown checks for leaks).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_test.h"

/* The dump of @net, malloc'd. */
static char *dump(sl_net_t *net, bool info)
{
	/* open_memstream's pointers live on the heap: GCC would otherwise
	 * think a stack address escapes through the FILE. */
	struct { char *buf; size_t len; } *m = calloc(1, sizeof(*m));
	FILE *f;
	char *text;

	assert_non_null(m);
	f = open_memstream(&m->buf, &m->len);
	assert_non_null(f);
	sl_ss_dump(net, f, info);
	fclose(f);
	text = m->buf;
	free(m);
	return text;
}

/* The line of @text that contains @what (NULL if none), copied to @line. */
static const char *line_with(const char *text, const char *what, char *line,
			     size_t len)
{
	const char *hit = strstr(text, what), *start, *end;

	if (!hit)
		return NULL;
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(hit, '\n');
	end = end ? end : hit + strlen(hit);
	snprintf(line, len, "%.*s", (int)(end - start), start);
	return line;
}

/* Columns of a socket line: netid, state, Recv-Q, Send-Q, local, peer. */
struct ss_line {
	char netid[8], state[16], local[32], peer[32];
	unsigned int rq, sq;
};

static void parse_line(const char *line, struct ss_line *l)
{
	assert_int_equal(sscanf(line, "%7s %15s %u %u %31s %31s", l->netid,
				l->state, &l->rq, &l->sq, l->local, l->peer), 6);
}

static void find(const char *text, const char *what, struct ss_line *l)
{
	char line[256];

	if (!line_with(text, what, line, sizeof(line)))
		fail_msg("no line with '%s' in:\n%s", what, text);
	parse_line(line, l);
}

static int tcp_listener(sl_net_t *net, const char *ip, uint16_t port, int backlog)
{
	struct sockaddr_in sin = sl_sin(ip, port);
	int fd = sl_socket_net(net, AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(sl_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(sl_listen(fd, backlog), 0);
	return fd;
}

/* Datagram sockets: UDP bound and connected, ping, raw. */
static void test_datagram_sockets(void **state)
{
	struct sockaddr_in any7 = sl_sin("0.0.0.0", 7), peer = sl_sin("10.0.0.1", 9);
	struct sockaddr_in ping_id = sl_sin("0.0.0.0", 4242);
	struct ss_line l;
	struct sl_pair p;
	int u1, u2, pf, rf;
	char *text;

	(void)state;
	sl_pair_setup(&p, NULL);
	u1 = sl_socket_net(p.b, AF_INET, SOCK_DGRAM, 0);
	u2 = sl_socket_net(p.b, AF_INET, SOCK_DGRAM, 0);
	pf = sl_socket_net(p.b, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	rf = sl_socket_net(p.b, AF_INET, SOCK_RAW, IPPROTO_ICMP);
	assert_true(u1 >= 0 && u2 >= 0 && pf >= 0 && rf >= 0);
	assert_int_equal(sl_bind(u1, (struct sockaddr *)&any7, sizeof(any7)), 0);
	assert_int_equal(sl_connect(u2, (struct sockaddr *)&peer, sizeof(peer)), 0);
	assert_int_equal(sl_bind(pf, (struct sockaddr *)&ping_id, sizeof(ping_id)), 0);

	text = dump(p.b, false);
	assert_true(!strncmp(text, "Netid State", 11));
	find(text, "0.0.0.0:7 ", &l);
	assert_string_equal(l.netid, "udp");
	assert_string_equal(l.state, "UNCONN");
	assert_string_equal(l.peer, "0.0.0.0:*");
	/* A connected UDP socket is ESTAB, with its autobound port. */
	find(text, "10.0.0.1:9", &l);
	assert_string_equal(l.netid, "udp");
	assert_string_equal(l.state, "ESTAB");
	assert_true(!strncmp(l.local, "10.0.0.2:", 9));
	find(text, "0.0.0.0:4242", &l);
	assert_string_equal(l.netid, "icmp");
	/* A raw socket's "port" is its protocol, as ss -w shows it. */
	find(text, "raw ", &l);
	assert_string_equal(l.local, "0.0.0.0:1");
	free(text);

	sl_close(u1);
	sl_close(u2);
	sl_close(pf);
	sl_close(rf);
	text = dump(p.b, false);
	assert_null(strchr(strchr(text, '\n') + 1, '\n'));      /* header only */
	free(text);
	sl_pair_teardown(&p);
}

/* TCP: listener queues, a connection's unread and unacknowledged bytes,
 * the -i line, and TIME-WAIT after an active close. */
static void test_tcp_sockets(void **state)
{
	struct sockaddr_in sin = sl_sin("10.0.0.2", 80), local;
	socklen_t llen = sizeof(local);
	char data[100] = { 0 }, peer[32], line[1024], c;
	struct ss_line l;
	struct sl_pair p;
	int lfd, cfd, afd;
	char *text;

	(void)state;
	sl_pair_setup(&p, NULL);
	lfd = tcp_listener(p.b, "10.0.0.2", 80, 16);
	cfd = sl_socket_net(p.a, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(sl_connect(cfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	sl_pair_settle(&p);
	/* Not accepted yet: the listener's Recv-Q is its accept queue. */
	text = dump(p.b, false);
	find(text, "LISTEN", &l);
	assert_string_equal(l.local, "10.0.0.2:80");
	assert_int_equal(l.rq, 1);
	assert_int_equal(l.sq, 16);
	free(text);

	afd = sl_accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(sl_send(cfd, data, sizeof(data), 0), sizeof(data));
	sl_pair_settle(&p);
	sl_getsockname(cfd, (struct sockaddr *)&local, &llen);
	snprintf(peer, sizeof(peer), "10.0.0.1:%u", ntohs(local.sin_port));
	text = dump(p.b, true);
	find(text, "ESTAB", &l);
	assert_string_equal(l.netid, "tcp");
	assert_string_equal(l.local, "10.0.0.2:80");
	assert_string_equal(l.peer, peer);
	assert_int_equal(l.rq, sizeof(data));  /* unread by b */
	assert_int_equal(l.sq, 0);
	assert_non_null(line_with(text, "\t cubic", line, sizeof(line)));
	assert_non_null(strstr(line, " cwnd:10"));
	assert_non_null(strstr(line, " bytes_received:100 "));
	assert_non_null(strstr(line, " mss:"));
	free(text);

	/* b closes first, then a: b's end waits in TIME-WAIT. */
	assert_int_equal(sl_recv(afd, data, sizeof(data), MSG_WAITALL), sizeof(data));
	sl_close(afd);
	assert_int_equal(sl_recv(cfd, &c, 1, 0), 0);
	sl_close(cfd);
	sl_pair_settle(&p);
	text = dump(p.b, true);
	find(text, "TIME-WAIT", &l);
	assert_string_equal(l.peer, peer);
	assert_int_equal(l.rq, 0);
	assert_int_equal(l.sq, 0);
	assert_null(strstr(text, "\t "));       /* no -i line for timewait */
	free(text);
	sl_close(lfd);
	sl_pair_run(&p, 61ULL * 1000000000ULL);
	text = dump(p.b, false);
	assert_null(strstr(text, "TIME-WAIT"));
	free(text);
	sl_pair_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datagram_sockets),
		cmocka_unit_test(test_tcp_sockets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
