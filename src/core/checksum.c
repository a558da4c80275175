/*
 * The Internet checksum (RFC 1071).
 *
 * All sums are kept "in memory order": 16-bit words are loaded in the
 * host's byte order straight from the packet, which RFC 1071 section 2(B)
 * shows gives the same one's complement sum, byte-swapped on little-endian
 * hosts; storing the folded result back in host order therefore puts the
 * right bytes in the header. This is Linux's __wsum convention.
 *
 * csum_partial accumulates 64-bit words with end-around carry (RFC 1071
 * section 4.1 suggests summing in wider words and folding, section 2(C)
 * "deferred carries"), then folds to 32 bits. 2^64 - 1 is a multiple of
 * 2^16 - 1, so the wide sum folds to the same 16-bit result.
 */
#include <string.h>

#include "sl/checksum.h"

static inline u64 add64_carry(u64 a, u64 b)
{
	u64 s = a + b;

	return s + (s < b);
}

static inline u32 fold64_to_32(u64 s)
{
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffffffffULL) + (s >> 32);
	return (u32)s;
}

static inline u32 fold32_to_16(u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s;
}

/* The trailing odd byte is the first byte of a 16-bit word padded with 0
 * (RFC 1071 section 4.1: "Add left-over byte, if any"). */
static inline u64 odd_byte(u8 b)
{
	u8 w[2] = { b, 0 };
	u16 v;

	memcpy(&v, w, sizeof(v));
	return v;
}

/* Sum @len bytes at @p, 32 bytes per round, then the tail. */
static u64 do_csum64(const u8 *p, size_t len, u64 s)
{
	u64 w0, w1, w2, w3;

	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		s = add64_carry(s, w0);
		s = add64_carry(s, w1);
		s = add64_carry(s, w2);
		s = add64_carry(s, w3);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		memcpy(&w0, p, 8);
		s = add64_carry(s, w0);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		u32 w;

		memcpy(&w, p, 4);
		s = add64_carry(s, w);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		u16 w;

		memcpy(&w, p, 2);
		s = add64_carry(s, w);
		p += 2;
		len -= 2;
	}
	if (len)
		s = add64_carry(s, odd_byte(*p));
	return s;
}

/*
 * One's complement sum of @len bytes at @buf added to @sum, unfolded
 * (32 bits). Any alignment, any length.
 */
__wsum csum_partial(const void *buf, size_t len, __wsum sum)
{
	return fold64_to_32(do_csum64(buf, len, sum));
}

/* Copy and sum in one pass over the bytes (they are touched once). */
__wsum csum_partial_copy(const void *src, void *dst, size_t len, __wsum sum)
{
	const u8 *s = src;
	u8 *d = dst;
	u64 acc = sum, w;

	while (len >= 8) {
		memcpy(&w, s, 8);
		memcpy(d, &w, 8);
		acc = add64_carry(acc, w);
		s += 8;
		d += 8;
		len -= 8;
	}
	memcpy(d, s, len);
	return fold64_to_32(do_csum64(s, len, acc));
}

/* Fold a 32-bit sum to 16 bits and complement it (RFC 1071 section 1). */
__sum16 csum_fold(__wsum sum)
{
	return (__sum16)~fold32_to_16(sum);
}

/* Header checksum of an IPv4 header of @ihl words: 0 when it verifies
 * (RFC 791 section 3.1, "Header Checksum"). */
__sum16 ip_fast_csum(const void *iph, unsigned int ihl)
{
	return csum_fold(csum_partial(iph, (size_t)ihl * 4, 0));
}

/*
 * Add the TCP/UDP pseudo header (RFC 793 section 3.1, RFC 768): source and
 * destination address, zero + protocol, and the TCP/UDP length, to @sum.
 * @saddr/@daddr are in network order; @len and @proto in host order.
 */
__wsum csum_tcpudp_nofold(__be32 saddr, __be32 daddr, u32 len, u8 proto,
			  __wsum sum)
{
	u64 s = sum;

	s += saddr;
	s += daddr;
	s += htonl(len);
	s += htons(proto);
	return fold64_to_32(s);
}

/* Folded pseudo-header checksum, ready to store (or 0 when verifying). */
__sum16 csum_tcpudp_magic(__be32 saddr, __be32 daddr, u32 len, u8 proto,
			  __wsum sum)
{
	return csum_fold(csum_tcpudp_nofold(saddr, daddr, len, proto, sum));
}

/* a + b with end-around carry. */
__wsum csum_add(__wsum a, __wsum b)
{
	u32 s = a + b;

	return s + (s < b);
}

/* a - b in one's complement: add the complement of b. */
__wsum csum_sub(__wsum a, __wsum b)
{
	return csum_add(a, ~b);
}

/*
 * Add the sum @csum2 of a block that starts at byte @offset of the whole:
 * a block at an odd offset has its bytes in the other halves of the 16-bit
 * words, which is the sum rotated by 8 bits (RFC 1071 section 2(B)).
 */
__wsum csum_block_add(__wsum csum, __wsum csum2, int offset)
{
	if (offset & 1)
		csum2 = (csum2 >> 8) | (csum2 << 24);
	return csum_add(csum, csum2);
}

/*
 * RFC 1624 section 3, eqn. 3: HC' = ~(~HC + ~m + m'), for a 16-bit field
 * changing from @old to @new_ (both in network order, as in the header).
 */
void csum_replace2(__sum16 *sum, __be16 old, __be16 new_)
{
	u32 s = (u16)~*sum;

	s += (u16)~old;
	s += new_;
	*sum = (__sum16)~fold32_to_16(s);
}

/* RFC 1624 eqn. 3 for a 32-bit field (an address): two 16-bit updates. */
void csum_replace4(__sum16 *sum, __be32 from, __be32 to)
{
	u64 s = (u16)~*sum;

	s += (u32)~from;
	s += to;
	*sum = (__sum16)~fold32_to_16(fold64_to_32(s));
}
