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

#include "sl/rwlock.h"
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
	rwlock_t lock;
	struct hlist_head chain;        /* sock_common via skc_node */
};

struct inet_listen_hashbucket {
	rwlock_t lock;
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
	/* Added by conn: */
	u32 hash_secret;                /* keys inet_ehashfn */
	u32 tw_count;                   /* atomic: timewait socks alive */
	u32 *bhash_perturb;             /* RFC 6056 3.3.4 table_perturb[] */
};

/* Added by conn: bucket sizes (powers of two). */
#define INET_EHASH_SIZE 16384
#define INET_LHASH_SIZE 512
#define INET_BHASH_SIZE 4096
#define INET_TABLE_PERTURB_SIZE 256

/* Added by conn: hash of a 4-tuple, local part first (Linux's
 * inet_ehashfn); the value goes in sk_hash. */
static inline u32 inet_ehashfn(const struct inet_hashinfo *h, __be32 laddr,
			       u16 lport, __be32 faddr, __be16 fport)
{
	u32 x = h->hash_secret ^ (u32)ntohl(laddr) * 0x9E3779B1u;

	x ^= ((u32)lport << 16 | ntohs(fport)) * 0x85EBCA6Bu;
	x = (x ^ (x >> 15)) * 0x2C1B3C6Du;
	x ^= (u32)ntohl(faddr) * 0xC2B2AE35u;
	x = (x ^ (x >> 13)) * 0x297A2D39u;
	return x ^ (x >> 16);
}
static inline struct inet_ehash_bucket *
inet_ehash_bucket(const struct inet_hashinfo *h, u32 hash)
{
	return &h->ehash[hash & h->ehash_mask];
}
/* Added by conn: the stack's TCP tables. */
static inline struct inet_hashinfo *tcp_hashinfo(const struct net *net)
{
	return net->ipv4.tcp_hashinfo;
}
/* Added by conn: take a reference on any hashed sock_common (full sock,
 * request sock or timewait sock). */
static inline void sock_gen_hold(struct sock *sk)
{
	__atomic_fetch_add(&sk->sk_refcnt, 1, __ATOMIC_RELAXED);
}
/* Added by conn: drop a reference taken by a lookup, whatever the kind of
 * sock (TCP_TIME_WAIT: inet_twsk_put, TCP_NEW_SYN_RECV: reqsk_put, else
 * sock_put), as Linux's sock_gen_put. */
void sock_gen_put(struct sock *sk);
/* Added by conn: proto->hash of TCP: listeners into lhash, the rest into
 * ehash. 0 or -errno. */
int inet_hash(struct sock *sk);
/* Added by conn: hash a non-listening @sk in ehash, replacing @osk when
 * given. True when @sk is now hashed (with @osk, only if @osk was). The
 * caller drops @osk's hash reference on success. */
bool inet_ehash_nolisten(struct sock *sk, struct sock *osk);
/* Added by conn: the listener's port into a child: the child joins the
 * listener's bind bucket. 0 or -ENOMEM. */
int __inet_inherit_port(const struct sock *sk, struct sock *child);
/* Added by conn: bind bucket of @port, created when missing (bhash_lock
 * held by the caller). NULL on ENOMEM. */
struct inet_bind_bucket *inet_bind_bucket_get(struct inet_hashinfo *h,
					      u16 port, bool create);
void inet_bind_hash(struct sock *sk, struct inet_bind_bucket *tb, u16 port);
/* Added by conn: free @tb if it has no owners left (bhash_lock held). */
void inet_bind_bucket_destroy(struct inet_bind_bucket *tb);

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
