/*
 * Basic types and compiler helpers shared by every layer.
 *
 * Header fields in network byte order are typed __be16/__be32 so that a reader
 * sees which values must go through htons()/ntohs(); the compiler does not
 * enforce it (no sparse here), the naming does.
 */
#ifndef SL_TYPES_H
#define SL_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef uint16_t __be16;
typedef uint32_t __be32;
typedef uint16_t __sum16;
typedef uint32_t __wsum;

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __always_unused __attribute__((unused))
#define __maybe_unused __attribute__((unused))
#define __packed __attribute__((packed))
#define SL_EXPORT __attribute__((visibility("default")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((typeof(x))(a) - 1))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* Time on a stack's clock is in nanoseconds. */
#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL
#define MSEC_PER_SEC 1000U

/*
 * Invariant check that never compiles out: a broken invariant in a network
 * stack corrupts memory later, far from the cause, so we stop at once with
 * where and why.
 */
void sl_bug(const char *file, int line, const char *func, const char *msg)
	__attribute__((noreturn));
#define SL_BUG_ON(cond, msg)                                        \
	do {                                                        \
		if (unlikely(cond))                                 \
			sl_bug(__FILE__, __LINE__, __func__, (msg)); \
	} while (0)

#endif
