/*
 * TCP socket lookup tables (src/ipv4/inet_hashtables.c), per stack:
 *  - ehash: established, SYN_RECV request socks and TIME_WAIT socks, by
 *    the 4-tuple;
 *  - lhash: listeners, by local port;
 *  - bhash: bind buckets (port owners), by local port.
 * Lookups on the receive path take a bucket's read lock only; the socket
 * returned is referenced.
 */
#ifndef SL_INET_HASHTABLES_H
#define SL_INET_HASHTABLES_H

#include <pthread.h>

#include "sl/list.h"
#include "sl/sock.h"
#include "sl/types.h"

struct net;

/* Owners of one local port (Linux's inet_bind_bucket). */
struct inet_bind_bucket {
	struct hlist_node node;
	u16 port;
	s8 fastreuse;
	s8 fastreuseport;
	struct hlist_head owners;       /* socks (via sk_bind_node) */
};

struct inet_ehash_bucket {
	pthread_rwlock_t lock;
	struct hlist_head chain;        /* sock_common via skc_node */
};

struct inet_listen_hashbucket {
	pthread_rwlock_t lock;
	struct hlist_head head;
};

struct inet_hashinfo {
	struct inet_ehash_bucket *ehash;
	u32 ehash_mask;
	struct inet_listen_hashbucket *lhash;
	u32 lhash_mask;
	struct hlist_head *bhash;
	pthread_mutex_t bhash_lock;
	u32 bhash_size;
	u32 ehash_count;                /* atomic */
};

/* Find the socket for a segment: established/SYN_RECV/TIME_WAIT first,
 * then a listener. Referenced; NULL when none. */
struct sock *__inet_lookup(struct net *net, struct inet_hashinfo *h,
			   __be32 saddr, __be16 sport, __be32 daddr,
			   __be16 dport, int dif);
struct sock *__inet_lookup_established(struct net *net,
				       struct inet_hashinfo *h, __be32 saddr,
				       __be16 sport, __be32 daddr, u16 hnum,
				       int dif);
struct sock *__inet_lookup_listener(struct net *net, struct inet_hashinfo *h,
				    __be32 saddr, __be16 sport, __be32 daddr,
				    u16 hnum, int dif);
/* Insert into ehash (connect, child creation); -EADDRNOTAVAIL when the
 * 4-tuple is taken. */
int inet_ehash_insert(struct sock *sk, struct sock *osk);
void inet_unhash(struct sock *sk);
/* connect(2): pick a source port for the 4-tuple (RFC 6056), bind, hash. */
int inet_hash_connect(struct sock *sk);
void inet_put_port(struct sock *sk);

struct inet_hashinfo *inet_hashinfo_create(void);
void inet_hashinfo_destroy(struct inet_hashinfo *h);

#endif
