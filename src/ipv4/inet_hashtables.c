/*
 * TCP socket lookup tables, per stack (Linux's net/ipv4/inet_hashtables.c).
 *
 *  ehash  4-tuple -> established socks, request socks (TCP_NEW_SYN_RECV)
 *         and timewait socks; a rwlock per bucket: the receive path reads,
 *         connect/accept/close write. Membership holds a reference.
 *  lhash  local port -> listeners; a rwlock per bucket; membership holds a
 *         reference. Listeners go at the tail so that a SO_REUSEPORT group
 *         keeps listen(2) order.
 *  bhash  local port -> inet_bind_bucket (owners: every sock and timewait
 *         sock using the port), under bhash_lock. Not on the data path.
 *
 * Receive: tcp_v4_rcv -> __inet_lookup -> __inet_lookup_established, else
 * __inet_lookup_listener (exact local address before the wildcard, the
 * highest score, then the SO_REUSEPORT member chosen by the flow hash).
 * Connect: tcp_v4_connect -> inet_hash_connect (RFC 6056 3.3.4 port
 * search, __inet_check_established, TIME_WAIT reuse).
 * Lock order: bhash_lock, then an ehash bucket lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "sl/inet_connection_sock.h"
#include "sl/inet_hashtables.h"
#include "sl/inet_sock.h"
#include "sl/inet_timewait_sock.h"
#include "sl/net_namespace.h"
#include "sl/snmp.h"
#include "sl/tcp.h"

/* --- tables ------------------------------------------------------------------ */

/* Allocate empty tables for one stack. NULL on ENOMEM. */
struct inet_hashinfo *inet_hashinfo_create(void)
{
	struct inet_hashinfo *h = calloc(1, sizeof(*h));
	u32 i;

	if (!h)
		return NULL;
	h->ehash = calloc(INET_EHASH_SIZE, sizeof(*h->ehash));
	h->lhash = calloc(INET_LHASH_SIZE, sizeof(*h->lhash));
	h->bhash = calloc(INET_BHASH_SIZE, sizeof(*h->bhash));
	h->bhash_perturb = calloc(INET_TABLE_PERTURB_SIZE, sizeof(u32));
	if (!h->ehash || !h->lhash || !h->bhash || !h->bhash_perturb) {
		inet_hashinfo_destroy(h);
		return NULL;
	}
	h->ehash_mask = INET_EHASH_SIZE - 1;
	h->lhash_mask = INET_LHASH_SIZE - 1;
	h->bhash_size = INET_BHASH_SIZE;
	for (i = 0; i < INET_EHASH_SIZE; i++)
		rwlock_init(&h->ehash[i].lock);
	for (i = 0; i < INET_LHASH_SIZE; i++)
		rwlock_init(&h->lhash[i].lock);
	pthread_mutex_init(&h->bhash_lock, NULL);
	return h;
}

/* Free the tables; every sock must be gone (tcp_net_exit purges). */
void inet_hashinfo_destroy(struct inet_hashinfo *h)
{
	u32 i;

	if (!h)
		return;
	if (h->ehash)
		for (i = 0; i <= h->ehash_mask && h->ehash_mask; i++)
			rwlock_destroy(&h->ehash[i].lock);
	if (h->lhash)
		for (i = 0; i <= h->lhash_mask && h->lhash_mask; i++)
			rwlock_destroy(&h->lhash[i].lock);
	if (h->bhash_size)
		pthread_mutex_destroy(&h->bhash_lock);
	free(h->ehash);
	free(h->lhash);
	free(h->bhash);
	free(h->bhash_perturb);
	free(h);
}

static struct inet_listen_hashbucket *inet_lhash_bucket(struct inet_hashinfo *h,
							u16 hnum)
{
	return &h->lhash[hnum & h->lhash_mask];
}

/* Drop a lookup (or hash) reference on any kind of sock. */
void sock_gen_put(struct sock *sk)
{
	if (sk->sk_state == TCP_TIME_WAIT)
		inet_twsk_put(inet_twsk(sk));
	else if (sk->sk_state == TCP_NEW_SYN_RECV)
		reqsk_put((struct request_sock *)sk);
	else
		sock_put(sk);
}

/* Drop a reference that is known not to be the last (the hash's, while
 * the caller holds another): Linux's __sock_put. */
static void __sock_put(struct sock *sk)
{
	u32 left = __atomic_sub_fetch(&sk->sk_refcnt, 1, __ATOMIC_ACQ_REL);

	SL_BUG_ON(left == 0, "__sock_put dropped the last reference");
}

/* --- lookup ------------------------------------------------------------------ */

static bool inet_match(const struct sock *sk, u32 hash, __be32 saddr,
		       __be16 sport, __be32 daddr, u16 hnum, int dif)
{
	return sk->sk_hash == hash && sk->sk_daddr == saddr &&
	       sk->sk_rcv_saddr == daddr && sk->sk_dport == sport &&
	       sk->sk_num == hnum &&
	       (!sk->sk_bound_dev_if || sk->sk_bound_dev_if == dif);
}

/*
 * The established (or SYN_RECV request, or TIME_WAIT) sock for a segment
 * saddr:sport -> daddr:hnum. Referenced (sock_gen_put), or NULL.
 */
struct sock *__inet_lookup_established(struct net *net,
				       struct inet_hashinfo *h, __be32 saddr,
				       __be16 sport, __be32 daddr, u16 hnum,
				       int dif)
{
	u32 hash = inet_ehashfn(h, daddr, hnum, saddr, sport);
	struct inet_ehash_bucket *head = inet_ehash_bucket(h, hash);
	struct sock *sk, *found = NULL;

	read_lock(&head->lock);
	hlist_for_each_entry(sk, &head->chain, sk_node) {
		if (inet_match(sk, hash, saddr, sport, daddr, hnum, dif)) {
			sock_gen_hold(sk);
			found = sk;
			break;
		}
	}
	rwlock_unlock(&head->lock);
	return found;
}

/* Linux's compute_score for listeners: -1 = no match. */
static int compute_score(const struct sock *sk, u16 hnum, __be32 daddr,
			 int dif)
{
	int score;

	if (sk->sk_num != hnum || sk->sk_rcv_saddr != daddr)
		return -1;
	if (sk->sk_bound_dev_if && sk->sk_bound_dev_if != dif)
		return -1;
	score = sk->sk_bound_dev_if ? 2 : 1;
	if (sk->sk_family == AF_INET)
		score++;
	return score;
}

/* SO_REUSEPORT (Linux's reuseport_select_sock): the group member for this
 * flow, chosen by its hash among the group in listen(2) order. */
static struct sock *inet_lookup_reuseport(struct inet_listen_hashbucket *ilb,
					  struct sock *sk, u32 phash)
{
	struct sock *sk2, *members[64];
	u32 n = 0;

	hlist_for_each_entry(sk2, &ilb->head, sk_node) {
		if (sk2->sk_reuseport && sk2->sk_num == sk->sk_num &&
		    sk2->sk_rcv_saddr == sk->sk_rcv_saddr &&
		    sk2->sk_bound_dev_if == sk->sk_bound_dev_if &&
		    n < ARRAY_SIZE(members))
			members[n++] = sk2;
	}
	return n ? members[((u64)phash * n) >> 32] : sk;
}

static struct sock *inet_lhash_lookup(struct inet_hashinfo *h,
				      struct inet_listen_hashbucket *ilb,
				      __be32 saddr, __be16 sport, __be32 daddr,
				      u16 hnum, int dif)
{
	struct sock *sk, *result = NULL;
	int score, hiscore = 0;

	hlist_for_each_entry(sk, &ilb->head, sk_node) {
		score = compute_score(sk, hnum, daddr, dif);
		if (score > hiscore) {
			if (sk->sk_reuseport)
				return inet_lookup_reuseport(
					ilb, sk,
					inet_ehashfn(h, daddr, hnum, saddr, sport));
			result = sk;
			hiscore = score;
		}
	}
	return result;
}

/*
 * The listener for a SYN (or cookie ACK) to daddr:hnum: one bound to
 * daddr itself wins over one bound to INADDR_ANY (Linux looks lhash2 up
 * by address first). Referenced, or NULL.
 */
struct sock *__inet_lookup_listener(struct net *net, struct inet_hashinfo *h,
				    __be32 saddr, __be16 sport, __be32 daddr,
				    u16 hnum, int dif)
{
	struct inet_listen_hashbucket *ilb = inet_lhash_bucket(h, hnum);
	struct sock *result;

	read_lock(&ilb->lock);
	result = inet_lhash_lookup(h, ilb, saddr, sport, daddr, hnum, dif);
	if (!result)
		result = inet_lhash_lookup(h, ilb, saddr, sport, htonl(INADDR_ANY),
					   hnum, dif);
	if (result)
		sock_hold(result);
	rwlock_unlock(&ilb->lock);
	return result;
}

/* ehash first, then the listeners. Referenced (sock_gen_put), or NULL. */
struct sock *__inet_lookup(struct net *net, struct inet_hashinfo *h,
			   __be32 saddr, __be16 sport, __be32 daddr,
			   __be16 dport, int dif)
{
	u16 hnum = ntohs(dport);
	struct sock *sk;

	sk = __inet_lookup_established(net, h, saddr, sport, daddr, hnum, dif);
	if (sk)
		return sk;
	return __inet_lookup_listener(net, h, saddr, sport, daddr, hnum, dif);
}

/* --- ehash and lhash membership ---------------------------------------------- */

static bool inet_ehash_dup(struct inet_ehash_bucket *head,
			   const struct sock *sk)
{
	struct sock *sk2;

	hlist_for_each_entry(sk2, &head->chain, sk_node) {
		if (inet_match(sk2, sk->sk_hash, sk->sk_daddr, sk->sk_dport,
			       sk->sk_rcv_saddr, sk->sk_num, sk->sk_bound_dev_if))
			return true;
	}
	return false;
}

/*
 * Put @sk in ehash under its 4-tuple. With @osk (a request sock becoming
 * its child), @osk is removed in the same critical section and @sk goes
 * in only if @osk was still there; without, a sock with the same 4-tuple
 * makes it fail. 0 or -EADDRNOTAVAIL. The table takes a reference on @sk;
 * the caller drops @osk's hash reference on success.
 */
int inet_ehash_insert(struct sock *sk, struct sock *osk)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	struct inet_ehash_bucket *head;
	int err = 0;

	sk->sk_hash = inet_ehashfn(h, sk->sk_rcv_saddr, sk->sk_num,
				   sk->sk_daddr, sk->sk_dport);
	head = inet_ehash_bucket(h, sk->sk_hash);
	write_lock(&head->lock);
	if (osk) {
		if (sk_hashed(osk))
			hlist_del_init(&osk->sk_node);
		else
			err = -EADDRNOTAVAIL;
	} else if (inet_ehash_dup(head, sk)) {
		err = -EADDRNOTAVAIL;
	}
	if (!err) {
		sock_gen_hold(sk);
		hlist_add_head(&sk->sk_node, &head->chain);
		if (!osk)
			__atomic_fetch_add(&h->ehash_count, 1, __ATOMIC_RELAXED);
	}
	rwlock_unlock(&head->lock);
	return err;
}

/* Linux's inet_ehash_nolisten without the failure cleanup (the caller
 * closes the sock). */
bool inet_ehash_nolisten(struct sock *sk, struct sock *osk)
{
	return inet_ehash_insert(sk, osk) == 0;
}

/* Listener into lhash, at the tail of its port's bucket. */
static void inet_lhash_add(struct inet_hashinfo *h, struct sock *sk)
{
	struct inet_listen_hashbucket *ilb = inet_lhash_bucket(h, sk->sk_num);
	struct hlist_node **pprev;

	write_lock(&ilb->lock);
	pprev = &ilb->head.first;
	while (*pprev)
		pprev = &(*pprev)->next;
	sk->sk_node.next = NULL;
	sk->sk_node.pprev = pprev;
	*pprev = &sk->sk_node;
	sock_hold(sk);
	rwlock_unlock(&ilb->lock);
}

/* proto->hash: listeners into lhash, anything else (not closed) into ehash. */
int inet_hash(struct sock *sk)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));

	if (sk->sk_state == TCP_CLOSE)
		return 0;
	if (sk->sk_state != TCP_LISTEN)
		return inet_ehash_insert(sk, NULL);
	inet_lhash_add(h, sk);
	return 0;
}

/*
 * proto->unhash: out of lhash or ehash, dropping the table's reference
 * (never the last: the caller holds one). Request and timewait socks
 * leave through their own paths (inet_csk_reqsk_queue_drop,
 * inet_twsk_kill).
 */
void inet_unhash(struct sock *sk)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	rwlock_t *lock;
	bool was_hashed = false;

	if (sk_unhashed(sk))
		return;
	if (sk->sk_state == TCP_LISTEN)
		lock = &inet_lhash_bucket(h, sk->sk_num)->lock;
	else
		lock = &inet_ehash_bucket(h, sk->sk_hash)->lock;
	write_lock(lock);
	if (sk_hashed(sk)) {
		hlist_del_init(&sk->sk_node);
		was_hashed = true;
	}
	rwlock_unlock(lock);
	if (!was_hashed)
		return;
	if (sk->sk_state != TCP_LISTEN)
		__atomic_fetch_sub(&h->ehash_count, 1, __ATOMIC_RELAXED);
	__sock_put(sk);
}

/* --- bind buckets -------------------------------------------------------------- */

/* The bucket of @port, or a new empty one when @create. bhash_lock held. */
struct inet_bind_bucket *inet_bind_bucket_get(struct inet_hashinfo *h,
					      u16 port, bool create)
{
	struct hlist_head *head = &h->bhash[port & (h->bhash_size - 1)];
	struct inet_bind_bucket *tb;

	hlist_for_each_entry(tb, head, node) {
		if (tb->port == port)
			return tb;
	}
	if (!create)
		return NULL;
	tb = calloc(1, sizeof(*tb));
	if (!tb)
		return NULL;
	tb->port = port;
	tb->fastreuse = 0;
	tb->fastreuseport = 0;
	hlist_add_head(&tb->node, head);
	return tb;
}

/* Free @tb once nobody owns its port. bhash_lock held. */
void inet_bind_bucket_destroy(struct inet_bind_bucket *tb)
{
	if (tb->owners.first)
		return;
	hlist_del_init(&tb->node);
	free(tb);
}

/* Make @sk an owner of @port (bhash_lock held). */
void inet_bind_hash(struct sock *sk, struct inet_bind_bucket *tb, u16 port)
{
	inet_sk(sk)->inet_num = port;
	hlist_add_head(&sk->sk_bind_node, &tb->owners);
	inet_csk(sk)->icsk_bind_hash = tb;
}

/* Give the port up (close, failed connect): leave the owners, free an
 * empty bucket, forget the local port. */
void inet_put_port(struct sock *sk)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	struct inet_bind_bucket *tb;

	pthread_mutex_lock(&h->bhash_lock);
	tb = inet_csk(sk)->icsk_bind_hash;
	if (tb) {
		hlist_del_init(&sk->sk_bind_node);
		inet_csk(sk)->icsk_bind_hash = NULL;
		inet_sk(sk)->inet_num = 0;
		inet_bind_bucket_destroy(tb);
	}
	pthread_mutex_unlock(&h->bhash_lock);
}

/* An accepted child shares its listener's port (Linux's
 * __inet_inherit_port). 0, or -ENOMEM. */
int __inet_inherit_port(const struct sock *sk, struct sock *child)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	u16 port = inet_sk(child)->inet_num;
	struct inet_bind_bucket *tb;

	pthread_mutex_lock(&h->bhash_lock);
	tb = inet_csk(sk)->icsk_bind_hash;
	if (!tb || tb->port != port)
		tb = inet_bind_bucket_get(h, port, true);
	if (!tb) {
		pthread_mutex_unlock(&h->bhash_lock);
		return -ENOMEM;
	}
	inet_bind_hash(child, tb, port);
	pthread_mutex_unlock(&h->bhash_lock);
	return 0;
}

/* --- connect: source port and 4-tuple (RFC 6056) ------------------------------ */

/*
 * Can @sk use local port @lport towards its peer (Linux's
 * __inet_check_established)? The 4-tuple must be free, or held by a
 * TIME_WAIT sock that tcp_twsk_unique lets us take over (*twp, returned
 * referenced and already out of ehash). On success @sk is hashed.
 * 0 or -EADDRNOTAVAIL. bhash_lock held.
 */
static int __inet_check_established(struct sock *sk, u16 lport,
				    struct inet_timewait_sock **twp)
{
	struct inet_hashinfo *h = tcp_hashinfo(sock_net(sk));
	struct inet_timewait_sock *tw = NULL;
	struct inet_ehash_bucket *head;
	struct sock *sk2;
	u32 hash;

	hash = inet_ehashfn(h, sk->sk_rcv_saddr, lport, sk->sk_daddr,
			    sk->sk_dport);
	head = inet_ehash_bucket(h, hash);
	write_lock(&head->lock);
	hlist_for_each_entry(sk2, &head->chain, sk_node) {
		if (!inet_match(sk2, hash, sk->sk_daddr, sk->sk_dport,
				sk->sk_rcv_saddr, lport, sk->sk_bound_dev_if))
			continue;
		if (sk2->sk_state == TCP_TIME_WAIT && tcp_twsk_unique(sk, sk2)) {
			tw = inet_twsk(sk2);
			sock_gen_hold(sk2);
			break;
		}
		rwlock_unlock(&head->lock);
		return -EADDRNOTAVAIL;
	}
	/* The ehash key includes the local port: set it before hashing,
	 * or lookups would meet this sock under a port it does not use. */
	inet_sk(sk)->inet_num = lport;
	inet_sk(sk)->inet_sport = htons(lport);
	sk->sk_hash = hash;
	if (tw) {
		/* Out of ehash now, in the same critical section as @sk goes
		 * in; its hash reference goes with inet_twsk_deschedule_put. */
		hlist_del_init(&tw->tw_node);
	} else {
		__atomic_fetch_add(&h->ehash_count, 1, __ATOMIC_RELAXED);
	}
	sock_gen_hold(sk);
	hlist_add_head(&sk->sk_node, &head->chain);
	rwlock_unlock(&head->lock);
	if (tw)
		NET_INC_STATS(sock_net(sk), LINUX_MIB_TWRECYCLED);
	*twp = tw;
	return 0;
}

/* connect(2) after bind(2): the port is ours; share it only if the
 * 4-tuple is free. */
static int inet_hash_connect_bound(struct inet_hashinfo *h, struct sock *sk)
{
	struct inet_bind_bucket *tb = inet_csk(sk)->icsk_bind_hash;
	struct inet_timewait_sock *tw = NULL;
	int err;

	pthread_mutex_lock(&h->bhash_lock);
	if (tb && tb->owners.first == &sk->sk_bind_node &&
	    !sk->sk_bind_node.next) {
		err = inet_ehash_insert(sk, NULL);
		pthread_mutex_unlock(&h->bhash_lock);
		return err;
	}
	err = __inet_check_established(sk, inet_sk(sk)->inet_num, &tw);
	if (tw)
		inet_twsk_unbind_locked(tw);
	pthread_mutex_unlock(&h->bhash_lock);
	if (tw)
		inet_twsk_deschedule_put(tw);
	return err;
}

/* One candidate port of the search: 1 = taken, 0 = ours (hashed and bound),
 * -ENOMEM. bhash_lock held. */
static int inet_hash_connect_try(struct inet_hashinfo *h, struct sock *sk,
				 u16 port, struct inet_timewait_sock **tw)
{
	struct inet_bind_bucket *tb = inet_bind_bucket_get(h, port, false);

	if (tb) {
		/* A port bound with bind(2) is never shared by connect. */
		if (tb->fastreuse >= 0 || tb->fastreuseport >= 0)
			return 1;
		if (__inet_check_established(sk, port, tw))
			return 1;
	} else {
		tb = inet_bind_bucket_get(h, port, true);
		if (!tb)
			return -ENOMEM;
		tb->fastreuse = -1;
		tb->fastreuseport = -1;
		if (__inet_check_established(sk, port, tw)) {
			inet_bind_bucket_destroy(tb);
			return 1;
		}
	}
	inet_bind_hash(sk, tb, port);
	return 0;
}

/*
 * Choose the source port of a connecting @sk (state SYN_SENT, addresses
 * and peer port set) and hash it (Linux's __inet_hash_connect): RFC 6056
 * 3.3.4 Algorithm 4 — start at F(saddr, daddr, dport) plus a perturbation
 * table entry, walk the even ports of ip_local_port_range first (odd ones
 * are where bind(0) looks first), then the odd ones; skip ports that
 * bind(2) owns and 4-tuples in use, take a TIME_WAIT 4-tuple over when
 * tcp_tw_reuse allows. 0, or -EADDRNOTAVAIL when every port is taken.
 */
int inet_hash_connect(struct sock *sk)
{
	struct net *net = sock_net(sk);
	struct inet_hashinfo *h = tcp_hashinfo(net);
	struct inet_sock *inet = inet_sk(sk);
	struct inet_timewait_sock *tw = NULL;
	u32 remaining, offset, index, i, step;
	int low, high, port, rc;
	u64 port_offset;

	if (inet->inet_num)
		return inet_hash_connect_bound(h, sk);

	port_offset = secure_ipv4_port_ephemeral(net, inet->inet_rcv_saddr,
						 inet->inet_daddr,
						 inet->inet_dport);
	low = READ_ONCE(net->ipv4.sysctl_ip_local_port_range[0]);
	high = READ_ONCE(net->ipv4.sysctl_ip_local_port_range[1]) + 1;
	if (high <= low)
		return -EADDRNOTAVAIL;
	remaining = (u32)(high - low);
	if (remaining > 1)
		remaining &= ~1U;
	index = (u32)port_offset & (INET_TABLE_PERTURB_SIZE - 1);
	offset = READ_ONCE(h->bhash_perturb[index]) + (u32)(port_offset >> 32);
	offset %= remaining;
	offset &= ~1U;

	pthread_mutex_lock(&h->bhash_lock);
other_parity_scan:
	port = low + (int)offset;
	for (i = 0; i < remaining; i += 2, port += 2) {
		if (port >= high)
			port -= (int)remaining;
		rc = inet_hash_connect_try(h, sk, (u16)port, &tw);
		if (rc < 0)
			break;
		if (rc == 0)
			goto ok;
	}
	offset++;
	if ((offset & 1) && remaining > 1)
		goto other_parity_scan;
	pthread_mutex_unlock(&h->bhash_lock);
	return -EADDRNOTAVAIL;

ok:
	/* A little randomness for the next search: maximal at low
	 * contention, none at high (Linux's table_perturb update). */
	step = (u32)(net_random_u32(net) % 8) * 2;
	if (step < i)
		step = i;
	WRITE_ONCE(h->bhash_perturb[index], h->bhash_perturb[index] + step + 2);
	if (tw)
		inet_twsk_unbind_locked(tw);
	pthread_mutex_unlock(&h->bhash_lock);
	if (tw)
		inet_twsk_deschedule_put(tw);
	return 0;
}
