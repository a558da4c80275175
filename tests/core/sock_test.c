/*
 * Tests for src/core/sock.c on a hand-built stack (core_test_net.h):
 * defaults, receive-buffer limits, the lock_sock/backlog hand-off between
 * a "softirq" thread and the owner, waiters woken by data or by their
 * timeout on the virtual clock, send-buffer accounting and blocking.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "sl_test.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/tcp_states.h"
#include "core_test_net.h"

static struct net net;
static struct socket sock;
static struct sock *sk;

#define NBACKLOG 200
static int backlog_seen;
static u32 backlog_marks[NBACKLOG];
static pthread_t backlog_thread;

static int test_backlog_rcv(struct sock *s, struct sk_buff *skb)
{
	if (backlog_seen < NBACKLOG)
		backlog_marks[backlog_seen] = skb->mark;
	backlog_seen++;
	backlog_thread = pthread_self();
	consume_skb(skb);
	return 0;
}

static struct proto test_prot = {
	.name = "TEST",
	.obj_size = sizeof(struct sock),
	.backlog_rcv = test_backlog_rcv,
};

static int setup(void **state)
{
	core_net_init(&net, true);
	memset(&sock, 0, sizeof(sock));
	init_waitqueue_head(&sock.wq.wait);
	sock.type = SOCK_DGRAM;
	sk = sk_alloc(&net, AF_INET, &test_prot);
	assert_non_null(sk);
	sock_init_data(&sock, sk);
	backlog_seen = 0;
	return 0;
}

static int teardown(void **state)
{
	if (sk)
		sk_common_release(sk);
	destroy_waitqueue_head(&sock.wq.wait);
	core_net_fini(&net);
	return 0;
}

static void close_sk(void)
{
	sk_common_release(sk);
	sk = NULL;
}

static struct sk_buff *data_skb(u32 mark)
{
	struct sk_buff *skb = alloc_skb(&net, 100);

	skb_put(skb, 100);
	skb->mark = mark;
	return skb;
}

static void test_init_defaults(void **state)
{
	assert_int_equal(sk->sk_rcvbuf, 212992);
	assert_int_equal(sk->sk_sndbuf, 212992);
	assert_int_equal(sk->sk_rcvlowat, 1);
	assert_true(sk->sk_rcvtimeo == INT64_MAX);
	assert_true(sk->sk_sndtimeo == INT64_MAX);
	assert_int_equal(sk->sk_state, TCP_CLOSE);
	assert_int_equal(sk->sk_type, SOCK_DGRAM);
	assert_int_equal(sk->sk_family, AF_INET);
	assert_ptr_equal(sk->sk_wq, &sock.wq.wait);
	assert_ptr_equal(sock.sk, sk);
	assert_ptr_equal(sk->sk_socket, &sock);
	assert_ptr_equal(sk->sk_data_ready, sock_def_readable);
	assert_ptr_equal(sk->sk_write_space, sock_def_write_space);
	assert_ptr_equal(sk->sk_state_change, sock_def_wakeup);
	assert_ptr_equal(sk->sk_backlog_rcv, test_backlog_rcv);
	assert_ptr_equal(sock_net(sk), &net);
	assert_int_equal(net.sockets, 1);
	assert_int_equal(sk_live_count(), 1);
	assert_int_equal(net.refcnt, 2);
	assert_true(sk_unhashed(sk));

	sock_hold(sk);
	sock_put(sk);
	assert_int_equal(sk_live_count(), 1);
	close_sk();
	assert_int_equal(net.sockets, 0);
	assert_int_equal(net.refcnt, 1);
	sl_assert_no_leaks();
}

/* Linux: queueing fails once rmem_alloc >= rcvbuf (so one skb may overshoot). */
static void test_rcvbuf_limit(void **state)
{
	struct sk_buff *skb;
	int queued = 0, total = 0;

	sk->sk_rcvbuf = 3 * 2500;
	for (;;) {
		skb = data_skb((u32)queued);
		if (sock_queue_rcv_skb(sk, skb) < 0)
			break;
		total += (int)skb->truesize;
		queued++;
	}
	/* The caller still owns the refused skb. */
	kfree_skb_reason(skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
	assert_true(queued >= 1);
	assert_int_equal(sk_rmem_alloc_get(sk), total);
	assert_true(total >= sk->sk_rcvbuf);
	assert_true(total - (int)skb_peek(&sk->sk_receive_queue)->truesize <
		    sk->sk_rcvbuf);
	assert_int_equal(sk->sk_drops, 1);
	assert_int_equal(skb_queue_len(&sk->sk_receive_queue), queued);
	/* Reading frees the memory. */
	consume_skb(skb_dequeue(&sk->sk_receive_queue));
	assert_true(sk_rmem_alloc_get(sk) < total);
	/* The rest is freed with the socket. */
	close_sk();
	sl_assert_no_leaks();
}

struct softirq_arg {
	int n;
	int direct;      /* delivered directly (socket not owned) */
	int done;
};

/* Plays the receive path: owned -> backlog, else process at once. */
static void *softirq_fn(void *arg)
{
	struct softirq_arg *a = arg;
	int i;

	for (i = 0; i < a->n; i++) {
		struct sk_buff *skb = data_skb((u32)i);

		bh_lock_sock(sk);
		if (sock_owned_by_user(sk)) {
			assert_int_equal(sk_add_backlog(sk, skb, 1 << 30), 0);
		} else {
			a->direct++;
			sk->sk_backlog_rcv(sk, skb);
		}
		bh_unlock_sock(sk);
	}
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

struct locker_arg {
	int started;
	int seen_at_lock;  /* backlog_seen when ownership arrived */
};

static void *locker_fn(void *arg)
{
	struct locker_arg *a = arg;

	__atomic_store_n(&a->started, 1, __ATOMIC_SEQ_CST);
	lock_sock(sk);
	a->seen_at_lock = backlog_seen;
	release_sock(sk);
	return NULL;
}

static void test_backlog_handoff(void **state)
{
	struct softirq_arg sa = { .n = NBACKLOG };
	struct locker_arg la = { 0 };
	pthread_t soft, locker;
	int i;

	lock_sock(sk);
	assert_true(sock_owned_by_user(sk));
	pthread_create(&soft, NULL, softirq_fn, &sa);
	pthread_create(&locker, NULL, locker_fn, &la);
	pthread_join(soft, NULL);
	while (!__atomic_load_n(&la.started, __ATOMIC_SEQ_CST))
		sched_yield();
	/* While we own it, nothing was processed: all went to the backlog. */
	assert_int_equal(sa.direct, 0);
	assert_int_equal(backlog_seen, 0);
	assert_true(sk->sk_backlog.len > 0);

	release_sock(sk);
	/* The releasing thread processed the whole backlog, in order. */
	assert_int_equal(backlog_seen, NBACKLOG);
	assert_true(pthread_equal(backlog_thread, pthread_self()));
	for (i = 0; i < NBACKLOG; i++)
		assert_int_equal(backlog_marks[i], (u32)i);
	assert_null(sk->sk_backlog.head);
	assert_int_equal(sk->sk_backlog.len, 0);

	/* The waiting locker got ownership only after the backlog ran. */
	pthread_join(locker, NULL);
	assert_int_equal(la.seen_at_lock, NBACKLOG);
	assert_false(sock_owned_by_user(sk));
	close_sk();
	sl_assert_no_leaks();
}

static void test_add_backlog_limit(void **state)
{
	struct sk_buff *skb = data_skb(0);

	lock_sock(sk);
	bh_lock_sock(sk);
	/* Linux admits while backlog + rmem <= limit, before adding. */
	assert_int_equal(sk_add_backlog(sk, skb, 1), 0);
	/* Over the limit: refused and freed. */
	assert_int_equal(sk_add_backlog(sk, data_skb(1), 1), -ENOBUFS);
	bh_unlock_sock(sk);
	assert_int_equal(skb_live_count(), 1);
	release_sock(sk);
	assert_int_equal(backlog_seen, 1);
	close_sk();
	sl_assert_no_leaks();
}

struct waiter_arg {
	s64 timeo;
	int rc;
	int done;
};

static void *wait_data_fn(void *arg)
{
	struct waiter_arg *a = arg;

	lock_sock(sk);
	a->rc = sk_wait_data(sk, &a->timeo, NULL);
	release_sock(sk);
	__atomic_store_n(&a->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A reader blocked in sk_wait_data is woken by sk_data_ready. */
static void test_wait_data_woken_by_data(void **state)
{
	struct waiter_arg wa = { .timeo = INT64_MAX };
	pthread_t th;

	pthread_create(&th, NULL, wait_data_fn, &wa);
	while (!waitqueue_active(sk->sk_wq))
		sched_yield();
	/* No timer for an infinite timeout. */
	assert_true(timer_base_next_expiry(net.timers) == UINT64_MAX);
	assert_int_equal(sock_queue_rcv_skb(sk, data_skb(9)), 0);
	pthread_join(th, NULL);
	assert_int_equal(wa.rc, 1);
	assert_false(waitqueue_active(sk->sk_wq));
	close_sk();
	sl_assert_no_leaks();
}

/* The timeout is a timer on the stack: it fires at exactly now + timeo. */
static void test_wait_data_times_out(void **state)
{
	struct waiter_arg wa = { .timeo = 5 * NSEC_PER_MSEC };
	pthread_t th;

	sl_clock_set(net.clock, 1000);
	pthread_create(&th, NULL, wait_data_fn, &wa);
	while (timer_base_next_expiry(net.timers) == UINT64_MAX)
		sched_yield();
	assert_true(timer_base_next_expiry(net.timers) == 1000 + 5 * NSEC_PER_MSEC);
	/* 1 ns early: still asleep. */
	run_timers(net.timers, 1000 + 5 * NSEC_PER_MSEC - 1);
	assert_false(__atomic_load_n(&wa.done, __ATOMIC_SEQ_CST));
	run_timers(net.timers, 1000 + 5 * NSEC_PER_MSEC);
	pthread_join(th, NULL);
	assert_int_equal(wa.rc, 0);
	assert_true(wa.timeo == 0);
	assert_true(timer_base_next_expiry(net.timers) == UINT64_MAX);
	close_sk();
	sl_assert_no_leaks();
}

static int write_space_calls;
static void count_write_space(struct sock *s)
{
	write_space_calls++;
	sock_def_write_space(s);
}

/* A sent skb holds its sock; freeing it uncharges and signals space. */
static void test_owner_w_keeps_sock(void **state)
{
	struct sk_buff *skb = alloc_skb(&net, 100);

	write_space_calls = 0;
	sk->sk_write_space = count_write_space;
	skb_set_owner_w(skb, sk);
	assert_int_equal(sk_wmem_alloc_get(sk), (int)skb->truesize);
	assert_int_equal(sk->sk_refcnt, 2);
	close_sk();
	assert_int_equal(sk_live_count(), 1);   /* still referenced by skb */
	consume_skb(skb);
	assert_int_equal(write_space_calls, 1);
	sl_assert_no_leaks();
}

static void test_alloc_send_skb_errors(void **state)
{
	struct sk_buff *a;
	int err = 0;

	sk->sk_sndbuf = 1;
	a = sock_alloc_send_skb(sk, 100, 1, &err);
	assert_non_null(a);
	assert_ptr_equal(a->sk, sk);
	assert_int_equal(sk_wmem_alloc_get(sk), (int)a->truesize);
	/* Full and not blocking. */
	assert_null(sock_alloc_send_skb(sk, 100, 1, &err));
	assert_int_equal(err, -EAGAIN);
	/* A zero send timeout behaves as non-blocking. */
	sk->sk_sndtimeo = 0;
	assert_null(sock_alloc_send_skb(sk, 100, 0, &err));
	assert_int_equal(err, -EAGAIN);
	/* A pending error is reported once, and cleared. */
	sk->sk_err = ECONNREFUSED;
	assert_null(sock_alloc_send_skb(sk, 100, 1, &err));
	assert_int_equal(err, -ECONNREFUSED);
	assert_int_equal(sk->sk_err, 0);
	assert_int_equal(sock_error(sk), 0);
	sk->sk_shutdown |= SEND_SHUTDOWN;
	assert_null(sock_alloc_send_skb(sk, 100, 1, &err));
	assert_int_equal(err, -EPIPE);
	consume_skb(a);
	assert_int_equal(sk_wmem_alloc_get(sk), 0);
	close_sk();
	sl_assert_no_leaks();
}

static void *blocking_send_fn(void *arg)
{
	struct waiter_arg *a = arg;
	struct sk_buff *skb;
	int err = 0;

	skb = sock_alloc_send_skb(sk, 100, 0, &err);
	a->rc = skb ? 0 : err;
	consume_skb(skb);
	return NULL;
}

/* A writer blocked on a full send buffer wakes when an skb is freed. */
static void test_alloc_send_skb_blocks(void **state)
{
	struct waiter_arg wa = { 0 };
	struct sk_buff *a;
	pthread_t th;
	int err;

	sk->sk_sndbuf = 1;
	a = sock_alloc_send_skb(sk, 100, 1, &err);
	wa.rc = 1;
	pthread_create(&th, NULL, blocking_send_fn, &wa);
	while (!waitqueue_active(sk->sk_wq))
		sched_yield();
	consume_skb(a);
	pthread_join(th, NULL);
	assert_int_equal(wa.rc, 0);
	close_sk();
	sl_assert_no_leaks();
}

static void test_wait_wspace(void **state)
{
	s64 timeo = 0;

	lock_sock(sk);
	assert_int_equal(sk_wait_wspace(sk, &timeo), 0);
	sk->sk_wmem_queued = sk->sk_sndbuf;
	assert_int_equal(sk_wait_wspace(sk, &timeo), -EAGAIN);
	sk->sk_shutdown |= SEND_SHUTDOWN;
	assert_int_equal(sk_wait_wspace(sk, &timeo), -EPIPE);
	sk->sk_wmem_queued = 0;
	release_sock(sk);
	close_sk();
	sl_assert_no_leaks();
}

static int error_reports;
static void count_error_report(struct sock *s)
{
	error_reports++;
}

static void test_err_queue(void **state)
{
	struct sk_buff *skb = data_skb(1);

	error_reports = 0;
	sk->sk_error_report = count_error_report;
	assert_int_equal(sock_queue_err_skb(sk, skb), 0);
	assert_int_equal(error_reports, 1);
	assert_int_equal(sk_rmem_alloc_get(sk), (int)skb->truesize);
	/* Does not fit: refused, still ours. */
	sk->sk_rcvbuf = 1;
	skb = data_skb(2);
	assert_int_equal(sock_queue_err_skb(sk, skb), -ENOMEM);
	kfree_skb(skb);
	/* A dead socket queues without waking. */
	sk->sk_rcvbuf = 1 << 20;
	sock_orphan(sk);
	assert_null(sk->sk_wq);
	assert_int_equal(sock_queue_err_skb(sk, data_skb(3)), 0);
	assert_int_equal(error_reports, 1);
	sock_put(sk);
	sk = NULL;
	sl_assert_no_leaks();
}

/*
 * On a real polled stack (sl_net_create) on a virtual clock: the waiting
 * thread drives the stack itself, net_wait moves the clock to our timeout
 * timer, and the wait ends at exactly now + timeo.
 */
static void test_polled_stack_timeout(void **state)
{
	struct sl_net_config cfg = { 0 };
	struct socket psock;
	struct sl_clock *vclk = sl_clock_new(true);
	struct net *pnet;
	struct sock *psk;
	s64 timeo = 3 * NSEC_PER_MSEC;
	u64 start;

	cfg.name = "polled";
	cfg.mode = SL_NET_POLLED;
	cfg.clock = vclk;
	cfg.seed = 7;
	pnet = sl_net_create(&cfg);
	assert_non_null(pnet);
	memset(&psock, 0, sizeof(psock));
	init_waitqueue_head(&psock.wq.wait);
	psock.type = SOCK_DGRAM;
	psk = sk_alloc(pnet, AF_INET, &test_prot);
	sock_init_data(&psock, psk);

	sl_clock_advance(vclk, 12345);
	start = sl_clock_now_ns(vclk);
	lock_sock(psk);
	assert_int_equal(sk_wait_data(psk, &timeo, NULL), 0);
	release_sock(psk);
	assert_true(timeo == 0);
	assert_int_equal(sl_clock_now_ns(vclk), start + 3 * NSEC_PER_MSEC);

	sk_common_release(psk);
	destroy_waitqueue_head(&psock.wq.wait);
	sl_net_destroy(pnet);
	sl_clock_free(vclk);
	sl_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rcvbuf_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_handoff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_backlog_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_data_woken_by_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_data_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_w_keeps_sock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_send_skb_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_send_skb_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_wspace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_err_queue, setup, teardown),
		cmocka_unit_test(test_polled_stack_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
