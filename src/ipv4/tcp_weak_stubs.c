/*
 * TEMPORARY: weak placeholders for every TCP function declared in sl/tcp.h,
 * sl/inet_connection_sock.h and sl/inet_hashtables.h, so the library links
 * while the TCP files are being written in parallel. A real (strong)
 * definition anywhere in the library replaces the placeholder. Each one
 * fails loudly (-EOPNOTSUPP / NULL) and this file is deleted once every
 * TCP function exists (the link without it is the check).
 */
#include <errno.h>
#include <stdlib.h>

#include "sl/socket.h"
#include "sl/tcp.h"

#define WEAK __attribute__((weak))

WEAK int tcp_register_congestion_control(struct tcp_congestion_ops *ca)
{
	return -EOPNOTSUPP;
}

WEAK const struct tcp_congestion_ops * tcp_ca_find(const char *name)
{
	return NULL;
}

WEAK int tcp_set_congestion_control(struct sock *sk, const char *name)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_init_congestion_control(struct sock *sk)
{
}

WEAK void tcp_cleanup_congestion_control(struct sock *sk)
{
}

WEAK u32 tcp_slow_start(struct tcp_sock *tp, u32 acked)
{
	return 0;
}

WEAK void tcp_cong_avoid_ai(struct tcp_sock *tp, u32 w, u32 acked)
{
}

WEAK void tcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
}

WEAK u32 tcp_reno_ssthresh(struct sock *sk)
{
	return 0;
}

WEAK u32 tcp_reno_undo_cwnd(struct sock *sk)
{
	return 0;
}

WEAK bool tcp_is_cwnd_limited(const struct sock *sk)
{
	return false;
}

WEAK void tcp_set_ca_state(struct sock *sk, u8 ca_state)
{
}

WEAK void tcp_init_sock(struct sock *sk)
{
}

WEAK int tcp_sendmsg(struct sock *sk, struct sl_msghdr *msg, size_t size)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_recvmsg(struct sock *sk, struct sl_msghdr *msg, size_t len, int flags, int *addr_len)
{
	return -EOPNOTSUPP;
}

WEAK __poll_t tcp_poll(struct file *file, struct socket *sock, struct poll_table_struct *wait)
{
	return 0;
}

WEAK void tcp_close(struct sock *sk, long timeout)
{
}

WEAK void tcp_shutdown(struct sock *sk, int how)
{
}

WEAK int tcp_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_ioctl(struct sock *sk, int cmd, int *karg)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_setsockopt(struct sock *sk, int level, int optname, const void *optval, socklen_t optlen)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_getsockopt(struct sock *sk, int level, int optname, void *optval, socklen_t *optlen)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_set_state(struct sock *sk, int state)
{
}

WEAK void tcp_done(struct sock *sk)
{
}

WEAK void tcp_cleanup_rbuf(struct sock *sk, int copied)
{
}

WEAK void tcp_get_info(struct sock *sk, struct tcp_info *info)
{
}

WEAK int tcp_queue_rcv(struct sock *sk, struct sk_buff *skb, bool *fragstolen)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_write_queue_purge(struct sock *sk)
{
}

WEAK int tcp_sk_rcvbuf_default(const struct sock *sk)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_transmit_skb(struct sock *sk, struct sk_buff *skb, int clone_it)
{
	return -EOPNOTSUPP;
}

WEAK bool tcp_write_xmit(struct sock *sk, unsigned int mss_now, int nonagle, int push_one)
{
	return false;
}

WEAK void __tcp_push_pending_frames(struct sock *sk, unsigned int cur_mss, int nonagle)
{
}

WEAK void tcp_push_one(struct sock *sk, unsigned int mss_now)
{
}

WEAK void tcp_send_ack(struct sock *sk)
{
}

WEAK void tcp_send_delayed_ack(struct sock *sk)
{
}

WEAK void tcp_send_fin(struct sock *sk)
{
}

WEAK void tcp_send_active_reset(struct sock *sk)
{
}

WEAK int tcp_connect(struct sock *sk)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_send_synack(const struct sock *listener, struct request_sock *req)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, int segs)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_xmit_retransmit_queue(struct sock *sk)
{
}

WEAK void tcp_send_probe0(struct sock *sk)
{
}

WEAK int tcp_write_wakeup(struct sock *sk)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_send_loss_probe(struct sock *sk)
{
}

WEAK unsigned int tcp_sync_mss(struct sock *sk, u32 pmtu)
{
	return 0;
}

WEAK unsigned int tcp_current_mss(struct sock *sk)
{
	return 0;
}

WEAK int tcp_mtu_to_mss(struct sock *sk, int pmtu)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_mss_to_mtu(struct sock *sk, int mss)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_select_initial_window(const struct sock *sk, int space, u32 mss, u32 *rcv_wnd, u32 *window_clamp, int wscale_ok, u8 *rcv_wscale, u32 init_rcv_wnd)
{
}

WEAK u32 __tcp_select_window(struct sock *sk)
{
	return 0;
}

WEAK int tcp_fragment(struct sock *sk, struct sk_buff_head *queue, struct sk_buff *skb, u32 len, unsigned int mss_now)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_mtup_init(struct sock *sk)
{
}

WEAK void tcp_chrono_start(struct sock *sk, int type)
{
}

WEAK void tcp_chrono_stop(struct sock *sk, int type)
{
}

WEAK void tcp_v4_send_reset(const struct sock *sk, struct sk_buff *skb)
{
}

WEAK void tcp_v4_send_ack(const struct sock *sk, struct sk_buff *skb, u32 seq, u32 ack, u32 win, u32 tsval, u32 tsecr, int oif)
{
}

WEAK void tcp_rcv_established(struct sock *sk, struct sk_buff *skb)
{
}

WEAK int tcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_parse_options(const struct net *net, const struct sk_buff *skb, struct tcp_options_received *opt_rx, int estab)
{
}

WEAK void tcp_init_transfer(struct sock *sk, int bpf_op, struct sk_buff *skb)
{
}

WEAK void tcp_finish_connect(struct sock *sk, struct sk_buff *skb)
{
}

WEAK void tcp_reset(struct sock *sk, struct sk_buff *skb)
{
}

WEAK void tcp_fin(struct sock *sk)
{
}

WEAK void tcp_enter_loss(struct sock *sk)
{
}

WEAK void tcp_clear_retrans(struct tcp_sock *tp)
{
}

WEAK void tcp_rearm_rto(struct sock *sk)
{
}

WEAK void tcp_init_buffer_space(struct sock *sk)
{
}

WEAK void tcp_rcv_space_adjust(struct sock *sk)
{
}

WEAK void tcp_enter_quickack_mode(struct sock *sk, unsigned int max_quickacks)
{
}

WEAK bool tcp_paws_reject(const struct tcp_options_received *rx_opt, int rst)
{
	return false;
}

WEAK void tcp_update_metrics(struct sock *sk)
{
}

WEAK void tcp_set_rto(struct sock *sk)
{
}

WEAK void tcp_rack_mark_lost(struct sock *sk)
{
}

WEAK void tcp_rack_reo_timeout(struct sock *sk)
{
}

WEAK bool tcp_schedule_loss_probe(struct sock *sk, bool advancing_rto)
{
	return false;
}

WEAK void tcp_check_space(struct sock *sk)
{
}

WEAK void tcp_send_challenge_ack(struct sock *sk)
{
}

WEAK void tcp_init_xmit_timers(struct sock *sk)
{
}

WEAK void tcp_clear_xmit_timers(struct sock *sk)
{
}

WEAK void tcp_set_keepalive(struct sock *sk, int val)
{
}

WEAK void tcp_retransmit_timer(struct sock *sk)
{
}

WEAK void tcp_delack_timer_handler(struct sock *sk)
{
}

WEAK void tcp_write_timer_handler(struct sock *sk)
{
}

WEAK void tcp_reset_keepalive_timer(struct sock *sk, u64 len_ns)
{
}

WEAK u64 tcp_rto_ns(const struct sock *sk)
{
	return 0;
}

WEAK int tcp_v4_rcv(struct sk_buff *skb)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_v4_err(struct sk_buff *skb, u32 info)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_v4_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	return -EOPNOTSUPP;
}

WEAK int tcp_conn_request(struct sock *sk, struct sk_buff *skb)
{
	return -EOPNOTSUPP;
}

WEAK struct sock * tcp_v4_syn_recv_sock(const struct sock *sk, struct sk_buff *skb, struct request_sock *req)
{
	return NULL;
}

WEAK struct sock * tcp_check_req(struct sock *sk, struct sk_buff *skb, struct request_sock *req)
{
	return NULL;
}

WEAK int tcp_child_process(struct sock *parent, struct sock *child, struct sk_buff *skb)
{
	return -EOPNOTSUPP;
}

WEAK void tcp_time_wait(struct sock *sk, int state, u64 timeo_ns)
{
}

WEAK u32 secure_tcp_seq(struct net *net, __be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	return 0;
}

WEAK u32 secure_tcp_ts_off(struct net *net, __be32 saddr, __be32 daddr)
{
	return 0;
}

WEAK u64 secure_ipv4_port_ephemeral(struct net *net, __be32 saddr, __be32 daddr, __be16 dport)
{
	return 0;
}

WEAK u32 cookie_v4_init_sequence(const struct sk_buff *skb, u16 *mssp)
{
	return 0;
}

WEAK struct sock * cookie_v4_check(struct sock *sk, struct sk_buff *skb)
{
	return NULL;
}

WEAK int inet_stream_connect(struct socket *sock, struct sockaddr *uaddr, int addr_len, int flags)
{
	return -EOPNOTSUPP;
}

WEAK int inet_listen(struct socket *sock, int backlog)
{
	return -EOPNOTSUPP;
}

WEAK int inet_accept(struct socket *sock, struct socket *newsock, int flags, bool kern)
{
	return -EOPNOTSUPP;
}

WEAK int inet_csk_get_port(struct sock *sk, unsigned short snum)
{
	return -EOPNOTSUPP;
}

WEAK int inet_csk_listen_start(struct sock *sk)
{
	return -EOPNOTSUPP;
}

WEAK void inet_csk_listen_stop(struct sock *sk)
{
}

WEAK struct sock * inet_csk_accept(struct sock *sk, int flags, int *err, bool kern)
{
	return NULL;
}

WEAK struct sock * inet_csk_reqsk_queue_add(struct sock *sk, struct request_sock *req, struct sock *child)
{
	return NULL;
}

WEAK struct sock * inet_csk_clone_lock(const struct sock *sk, const struct request_sock *req)
{
	return NULL;
}

WEAK void inet_csk_destroy_sock(struct sock *sk)
{
}

WEAK void inet_csk_init_xmit_timers(struct sock *sk, void (*retransmit_handler)(struct timer_list *), void (*delack_handler)(struct timer_list *), void (*keepalive_handler)(struct timer_list *))
{
}

WEAK void inet_csk_clear_xmit_timers(struct sock *sk)
{
}

WEAK void inet_csk_reset_xmit_timer(struct sock *sk, int what, u64 when, u64 max_when)
{
}

WEAK void inet_csk_clear_xmit_timer(struct sock *sk, int what)
{
}

WEAK struct request_sock * reqsk_alloc(struct sock *listener)
{
	return NULL;
}

WEAK void reqsk_put(struct request_sock *req)
{
}

WEAK struct sock * __inet_lookup(struct net *net, struct inet_hashinfo *h, __be32 saddr, __be16 sport, __be32 daddr, __be16 dport, int dif)
{
	return NULL;
}

WEAK struct sock * __inet_lookup_established(struct net *net, struct inet_hashinfo *h, __be32 saddr, __be16 sport, __be32 daddr, u16 hnum, int dif)
{
	return NULL;
}

WEAK struct sock * __inet_lookup_listener(struct net *net, struct inet_hashinfo *h, __be32 saddr, __be16 sport, __be32 daddr, u16 hnum, int dif)
{
	return NULL;
}

WEAK int inet_ehash_insert(struct sock *sk, struct sock *osk)
{
	return -EOPNOTSUPP;
}

WEAK void inet_unhash(struct sock *sk)
{
}

WEAK int inet_hash_connect(struct sock *sk)
{
	return -EOPNOTSUPP;
}

WEAK void inet_put_port(struct sock *sk)
{
}

WEAK struct inet_hashinfo * inet_hashinfo_create(void)
{
	return NULL;
}

WEAK void inet_hashinfo_destroy(struct inet_hashinfo *h)
{
}
