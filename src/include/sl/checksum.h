/*
 * The Internet checksum (RFC 1071), in the Linux helper vocabulary:
 * csum_partial accumulates a 32-bit one's-complement sum (__wsum), csum_fold
 * folds it to 16 bits and inverts it (__sum16, ready for the header), and the
 * pseudo-header helpers add the TCP/UDP pseudo header (RFC 793 3.1, RFC 768).
 * Copies from and to user memory fold the sum into the copy
 * (csum_and_copy_*), so payload bytes are touched once.
 */
#ifndef SL_CHECKSUM_H
#define SL_CHECKSUM_H

#include "sl/types.h"

__wsum csum_partial(const void *buf, size_t len, __wsum sum);
/* Copy @len bytes and return the sum of what was copied, added to @sum. */
__wsum csum_partial_copy(const void *src, void *dst, size_t len, __wsum sum);
__sum16 csum_fold(__wsum sum);
/* Sum of the IPv4 header of @ihl 32-bit words, folded (0 when valid). */
__sum16 ip_fast_csum(const void *iph, unsigned int ihl);
__wsum csum_tcpudp_nofold(__be32 saddr, __be32 daddr, u32 len, u8 proto,
			  __wsum sum);
__sum16 csum_tcpudp_magic(__be32 saddr, __be32 daddr, u32 len, u8 proto,
			  __wsum sum);
/* Add two partial sums with end-around carry. */
__wsum csum_add(__wsum a, __wsum b);
__wsum csum_sub(__wsum a, __wsum b);
/* Sum of a block that starts at odd offset @offset within the whole. */
__wsum csum_block_add(__wsum csum, __wsum csum2, int offset);
/* RFC 1624 incremental update of a folded checksum when 16 bits change. */
void csum_replace2(__sum16 *sum, __be16 old, __be16 new_);
void csum_replace4(__sum16 *sum, __be32 from, __be32 to);

#endif
