/*
 * iov_iter: walking a user's iovec array, the one place where payload is
 * copied between application memory and skbs (sendmsg copies in,
 * recvmsg copies out). The csum_and_copy_* variants fold the Internet
 * checksum into the copy so UDP payload is read once.
 *
 * Also put_cmsg, which appends a control message to recvmsg's buffer.
 */
#include <string.h>
#include <sys/socket.h>

#include "sl/checksum.h"
#include "sl/uio.h"

/* Start iterating @count bytes over @nr_segs segments of @iov. */
void iov_iter_init(struct iov_iter *i, const struct iovec *iov,
		   size_t nr_segs, size_t count)
{
	i->iov = iov;
	i->nr_segs = nr_segs;
	i->iov_offset = 0;
	i->count = count;
}

/* Skip exhausted (and empty) segments so i->iov has room, if any remains. */
static void iov_iter_settle(struct iov_iter *i)
{
	while (i->nr_segs && i->iov_offset >= i->iov->iov_len) {
		i->iov++;
		i->nr_segs--;
		i->iov_offset = 0;
	}
}

/* Next contiguous chunk: at most @bytes, within the current segment. */
static size_t iov_iter_chunk(struct iov_iter *i, size_t bytes, char **base)
{
	size_t n;

	iov_iter_settle(i);
	if (!i->nr_segs || !i->count)
		return 0;
	n = i->iov->iov_len - i->iov_offset;
	n = min_t(size_t, n, bytes);
	n = min_t(size_t, n, i->count);
	*base = (char *)i->iov->iov_base + i->iov_offset;
	return n;
}

static void iov_iter_consume(struct iov_iter *i, size_t n)
{
	i->iov_offset += n;
	i->count -= n;
}

/* Move forward @bytes (or to the end, whichever comes first). */
void iov_iter_advance(struct iov_iter *i, size_t bytes)
{
	char *base;
	size_t n;

	while (bytes && (n = iov_iter_chunk(i, bytes, &base)) > 0) {
		iov_iter_consume(i, n);
		bytes -= n;
	}
}

/* Copy up to @bytes from the user's segments into @to; returns the count. */
size_t copy_from_iter(void *to, size_t bytes, struct iov_iter *i)
{
	size_t done = 0, n;
	char *base;

	while (done < bytes && (n = iov_iter_chunk(i, bytes - done, &base))) {
		memcpy((char *)to + done, base, n);
		iov_iter_consume(i, n);
		done += n;
	}
	return done;
}

/* Copy up to @bytes from @from into the user's segments. */
size_t copy_to_iter(const void *from, size_t bytes, struct iov_iter *i)
{
	size_t done = 0, n;
	char *base;

	while (done < bytes && (n = iov_iter_chunk(i, bytes - done, &base))) {
		memcpy(base, (const char *)from + done, n);
		iov_iter_consume(i, n);
		done += n;
	}
	return done;
}

/*
 * copy_from_iter that adds the checksum of the copied bytes to *@csum. The
 * bytes are summed as one block starting at offset 0 of this copy, each
 * segment's partial sum shifted for its offset (csum_block_add).
 */
size_t csum_and_copy_from_iter(void *to, size_t bytes, __wsum *csum,
			       struct iov_iter *i)
{
	size_t done = 0, n;
	__wsum sum = *csum;
	char *base;

	while (done < bytes && (n = iov_iter_chunk(i, bytes - done, &base))) {
		__wsum part = csum_partial_copy(base, (char *)to + done, n, 0);

		sum = csum_block_add(sum, part, (int)done);
		iov_iter_consume(i, n);
		done += n;
	}
	*csum = sum;
	return done;
}

/* copy_to_iter that adds the checksum of the copied bytes to *@csum. */
size_t csum_and_copy_to_iter(const void *from, size_t bytes, __wsum *csum,
			     struct iov_iter *i)
{
	size_t done = 0, n;
	__wsum sum = *csum;
	char *base;

	while (done < bytes && (n = iov_iter_chunk(i, bytes - done, &base))) {
		__wsum part = csum_partial_copy((const char *)from + done, base,
						n, 0);

		sum = csum_block_add(sum, part, (int)done);
		iov_iter_consume(i, n);
		done += n;
	}
	*csum = sum;
	return done;
}

/*
 * Append a control message (@level, @type, @len bytes of @data) for
 * recvmsg. As Linux's put_cmsg: with no room even for a header it only
 * sets MSG_CTRUNC; with room for part of it, it writes a truncated message
 * (cmsg_len says how much was written) and sets MSG_CTRUNC. Returns 0.
 */
int put_cmsg(struct sl_msghdr *msg, int level, int type, int len,
	     const void *data)
{
	size_t cmlen = CMSG_LEN((size_t)len);
	struct cmsghdr cm;

	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr)) {
		msg->msg_flags |= MSG_CTRUNC;
		return 0;
	}
	if (msg->msg_controllen < cmlen) {
		msg->msg_flags |= MSG_CTRUNC;
		cmlen = msg->msg_controllen;
	}
	cm.cmsg_len = cmlen;
	cm.cmsg_level = level;
	cm.cmsg_type = type;
	memcpy(msg->msg_control, &cm, sizeof(cm));
	memcpy(CMSG_DATA((struct cmsghdr *)msg->msg_control), data,
	       cmlen - sizeof(struct cmsghdr));
	cmlen = min_t(size_t, CMSG_SPACE((size_t)len), msg->msg_controllen);
	msg->msg_control = (char *)msg->msg_control + cmlen;
	msg->msg_controllen -= cmlen;
	msg->msg_controlused += cmlen;
	return 0;
}
