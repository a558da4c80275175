/*
 * Iterators over user buffers (src/core/iov.c): the one copy into and out
 * of a socket goes through these, optionally folding the checksum in.
 */
#ifndef SL_UIO_H
#define SL_UIO_H

#include <sys/uio.h>

#include "sl/types.h"

struct iov_iter {
	const struct iovec *iov;  /* current segment */
	size_t nr_segs;           /* segments left, including the current one */
	size_t iov_offset;        /* bytes consumed in the current segment */
	size_t count;             /* bytes left in total */
};

void iov_iter_init(struct iov_iter *i, const struct iovec *iov,
		   size_t nr_segs, size_t count);
static inline size_t iov_iter_count(const struct iov_iter *i)
{
	return i->count;
}
void iov_iter_advance(struct iov_iter *i, size_t bytes);
/* Returns bytes copied (less than @bytes only when the iterator ends). */
size_t copy_from_iter(void *to, size_t bytes, struct iov_iter *i);
size_t copy_to_iter(const void *from, size_t bytes, struct iov_iter *i);
/* Same, adding the Internet checksum of the copied bytes to *@csum. */
size_t csum_and_copy_from_iter(void *to, size_t bytes, __wsum *csum,
			       struct iov_iter *i);
size_t csum_and_copy_to_iter(const void *from, size_t bytes, __wsum *csum,
			     struct iov_iter *i);

/*
 * The stack's internal message header (Linux's kernel struct msghdr; the
 * name differs only because libc owns "struct msghdr").
 */
struct sl_msghdr {
	void *msg_name;           /* sockaddr, user memory */
	int msg_namelen;
	struct iov_iter msg_iter;
	void *msg_control;        /* cmsg buffer, user memory */
	size_t msg_controllen;    /* room left in msg_control */
	size_t msg_controlused;   /* bytes of cmsgs written (recvmsg) */
	unsigned int msg_flags;   /* flags out (recvmsg) / in (sendmsg) */
};

/* Append a control message (recvmsg). Sets MSG_CTRUNC when out of room. */
int put_cmsg(struct sl_msghdr *msg, int level, int type, int len,
	     const void *data);
/* Copy @len bytes from the message's iterator into @data. 0 or -EFAULT. */
static inline int memcpy_from_msg(void *data, struct sl_msghdr *msg, int len)
{
	return copy_from_iter(data, (size_t)len, &msg->msg_iter) == (size_t)len
		       ? 0
		       : -14; /* EFAULT */
}

#endif
