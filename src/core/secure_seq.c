/*
 * Keyed hashes for TCP's initial sequence numbers, timestamp offsets and
 * ephemeral port offsets (Linux's net/core/secure_seq.c and lib/siphash.c).
 *
 * RFC 6528 (ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey)): F is SipHash-2-4 keyed with the stack's random
 * net->ipv4.tcp_isn_key, M a clock. As Linux's seq_scale, M ticks every
 * 64 ns (ns >> 6), which wraps the 32-bit space in 274 s, more than one
 * MSL. The clock is the stack's, so a virtual clock gives reproducible
 * ISNs.
 *
 * RFC 6056 3.3.4 (Algorithm 4, Linux's __inet_hash_connect): the
 * ephemeral port search starts at a keyed hash of (saddr, daddr, dport).
 * RFC 7323 5.4: the timestamp clock of each (saddr, daddr) pair starts at
 * a keyed random offset (secure_tcp_ts_off).
 *
 * Order: tcp_net_ops init fills the key (src/ipv4/tcp_ipv4.c); these run
 * in any context, lock-free.
 */
#include "sl/net_namespace.h"
#include "sl/tcp.h"

/* --- SipHash-2-4 (Aumasson & Bernstein), on 32-bit words -------------------- */

#define SIPROUND(v0, v1, v2, v3)                                          \
	do {                                                              \
		v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32); \
		v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;                   \
		v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;                   \
		v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32); \
	} while (0)

static inline u64 rol64(u64 w, unsigned int s)
{
	return (w << s) | (w >> (64 - s));
}

/*
 * SipHash-2-4 of @n 32-bit words (n <= 4) with the 128-bit @key: the
 * words form a little-endian message of 4 * n bytes, as Linux's
 * siphash_{1,2,3,4}u32 build it.
 */
u64 siphash_u32s(const u32 *w, unsigned int n, const u64 key[2])
{
	u64 v0 = 0x736f6d6570736575ULL ^ key[0];
	u64 v1 = 0x646f72616e646f6dULL ^ key[1];
	u64 v2 = 0x6c7967656e657261ULL ^ key[0];
	u64 v3 = 0x7465646279746573ULL ^ key[1];
	u64 b = (u64)(n * 4) << 56;
	unsigned int i;
	u64 m;

	for (i = 0; i + 2 <= n; i += 2) {
		m = (u64)w[i] | ((u64)w[i + 1] << 32);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	if (i < n)
		b |= w[i];
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return (v0 ^ v1) ^ (v2 ^ v3);
}

/* --- users ------------------------------------------------------------------ */

/*
 * RFC 6528: ISN for the connection (saddr, sport) -> (daddr, dport): the
 * keyed hash plus the 64 ns clock (Linux's seq_scale).
 */
u32 secure_tcp_seq(struct net *net, __be32 saddr, __be32 daddr, __be16 sport,
		   __be16 dport)
{
	u32 w[3] = { saddr, daddr, (u32)sport << 16 | (u32)dport };
	u32 hash = (u32)siphash_u32s(w, 3, net->ipv4.tcp_isn_key);

	return hash + (u32)(net_now(net) >> 6);
}

/*
 * RFC 7323 5.4: random per-pair offset of the timestamp clock; 0 unless
 * net.ipv4.tcp_timestamps is 1 (Linux: 2 means timestamps without
 * offsets). A different input length separates it from secure_tcp_seq.
 */
u32 secure_tcp_ts_off(struct net *net, __be32 saddr, __be32 daddr)
{
	u32 w[2] = { saddr, daddr };

	if (READ_ONCE(net->ipv4.sysctl_tcp_timestamps) != 1)
		return 0;
	return (u32)siphash_u32s(w, 2, net->ipv4.tcp_isn_key);
}

/* RFC 6056 3.3.4: where the ephemeral port search starts for this peer. */
u64 secure_ipv4_port_ephemeral(struct net *net, __be32 saddr, __be32 daddr,
			       __be16 dport)
{
	u32 w[4] = { saddr, daddr, dport, 0x706f7274 /* "port" */ };

	return siphash_u32s(w, 4, net->ipv4.tcp_isn_key);
}
