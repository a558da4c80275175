/*
 * Generic datagram receive helpers (Linux's net/core/datagram.c), used by
 * UDP, ping and raw sockets:
 *
 *   recvmsg -> skb_recv_datagram (pending error first, then the queue head,
 *              waiting up to SO_RCVTIMEO unless MSG_DONTWAIT) ->
 *              skb_copy_datagram_msg / skb_copy_and_csum_datagram_msg ->
 *              skb_free_datagram.
 *   poll    -> datagram_poll.
 *
 * Datagram receive does not own the socket: the queue has its own lock, as
 * in Linux, so a reader only takes lock_sock to sleep.
 */
#include <errno.h>
#include <sys/socket.h>

#include "sl/checksum.h"
#include "sl/skbuff.h"
#include "sl/sock.h"
#include "sl/socket.h"
#include "sl/uio.h"

/* Take the queue head, or a reference to it when peeking. */
static struct sk_buff *__skb_try_recv_from_queue(struct sock *sk,
						 unsigned int flags)
{
	struct sk_buff_head *queue = &sk->sk_receive_queue;
	struct sk_buff *skb;

	skb_queue_lock(queue);
	skb = skb_peek(queue);
	if (skb) {
		if (flags & MSG_PEEK)
			skb_get(skb);
		else
			__skb_unlink(skb, queue);
	}
	skb_queue_unlock(queue);
	return skb;
}

static bool datagram_wait_cond(struct sock *sk)
{
	return !skb_queue_empty(&sk->sk_receive_queue) || READ_ONCE(sk->sk_err) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
}

/*
 * Sleep until data, an error or a shutdown (Linux's
 * __skb_wait_for_more_packets). Returns 0 to retry, or 1 with *@err set
 * (0 for end of file after shutdown).
 */
static int __skb_wait_for_more_packets(struct sock *sk, int *err, s64 *timeo)
{
	int error;

	error = sock_error(sk);
	if (error)
		goto out_err;
	if (!skb_queue_empty(&sk->sk_receive_queue))
		return 0;
	if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)
		goto out_noerr;

	lock_sock(sk);
	sk_wait_event(sk, timeo, datagram_wait_cond(sk));
	release_sock(sk);
	return 0;

out_noerr:
	*err = 0;
	return 1;
out_err:
	*err = error;
	return 1;
}

/*
 * Dequeue (MSG_PEEK: reference) the next datagram. A pending socket error
 * is reported first and cleared, as Linux. After shutdown(SHUT_RD) a
 * blocking call returns NULL with *err = 0 (end of file). The caller owns
 * the result and frees it with skb_free_datagram.
 */
struct sk_buff *skb_recv_datagram(struct sock *sk, unsigned int flags,
				  int *err)
{
	s64 timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	struct sk_buff *skb;
	int error;

	do {
		error = sock_error(sk);
		if (error)
			goto no_packet;
		skb = __skb_try_recv_from_queue(sk, flags);
		if (skb)
			return skb;
		error = -EAGAIN;
		if (timeo <= 0)
			goto no_packet;
	} while (!__skb_wait_for_more_packets(sk, &error, &timeo));
no_packet:
	*err = error;
	return NULL;
}

/* Free a datagram returned by skb_recv_datagram (normal end of life). */
void skb_free_datagram(struct sock *sk, struct sk_buff *skb)
{
	consume_skb(skb);
}

/* Copy @len bytes at @offset from data into the message. 0 or -EFAULT. */
int skb_copy_datagram_msg(const struct sk_buff *skb, int offset,
			  struct sl_msghdr *msg, int len)
{
	if (len <= 0)
		return 0;
	if ((unsigned int)(offset + len) > skb->len)
		return -EFAULT;
	if (copy_to_iter(skb->data + offset, (size_t)len, &msg->msg_iter) !=
	    (size_t)len)
		return -EFAULT;
	return 0;
}

/*
 * Copy the payload after @hlen bytes while summing it, and check the sum
 * of the whole skb (skb->csum holds the pseudo-header sum). -EINVAL on a
 * bad checksum (the caller counts and drops); -EFAULT on a short copy.
 */
int skb_copy_and_csum_datagram_msg(struct sk_buff *skb, int hlen,
				   struct sl_msghdr *msg)
{
	int chunk = (int)skb->len - hlen;
	__wsum csum;

	if (chunk <= 0)
		return 0;
	csum = csum_partial(skb->data, (size_t)hlen, skb->csum);
	if (iov_iter_count(&msg->msg_iter) < (size_t)chunk) {
		/* Short read: verify the whole datagram, then copy a part. */
		csum = csum_partial(skb->data + hlen, (size_t)chunk, csum);
		if (csum_fold(csum))
			return -EINVAL;
		return skb_copy_datagram_msg(skb, hlen, msg,
					     (int)iov_iter_count(&msg->msg_iter));
	}
	{
		struct iov_iter saved = msg->msg_iter;

		if (csum_and_copy_to_iter(skb->data + hlen, (size_t)chunk, &csum,
					  &msg->msg_iter) != (size_t)chunk)
			return -EFAULT;
		if (csum_fold(csum)) {
			msg->msg_iter = saved;
			return -EINVAL;
		}
	}
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	return 0;
}

/*
 * Poll mask of a datagram socket, as Linux's datagram_poll: EPOLLERR for a
 * pending error or a non-empty error queue, EPOLLRDHUP|EPOLLIN on
 * SHUT_RD, EPOLLHUP when both directions are shut, EPOLLIN with data,
 * EPOLLOUT while the send buffer has room.
 */
__poll_t datagram_poll(struct file *file, struct socket *sock,
		       struct poll_table_struct *wait)
{
	struct sock *sk = sock->sk;
	__poll_t mask = 0;
	u8 shutdown;

	poll_wait(file, sk_sleep(sk), wait);

	if (READ_ONCE(sk->sk_err) || !sk_error_queue_empty(sk))
		mask |= EPOLLERR |
			(sock_flag(sk, SOCK_SELECT_ERR_QUEUE) ? EPOLLPRI : 0);

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLRDHUP | EPOLLIN | EPOLLRDNORM;
	if (shutdown == SHUTDOWN_MASK)
		mask |= EPOLLHUP;

	if (!skb_queue_empty(&sk->sk_receive_queue))
		mask |= EPOLLIN | EPOLLRDNORM;

	if (sock_writeable(sk))
		mask |= EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;
	return mask;
}
