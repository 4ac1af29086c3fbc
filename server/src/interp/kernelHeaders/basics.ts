/**
 * Base types, compiler helpers, errno, ERR_PTR and friends (include/linux/types.h,
 * compiler.h, kernel.h, minmax.h, err.h, bits.h, errno.h).
 */
import { errnoValues } from '../../preprocess/kernelConstants';
import type { HeaderModel } from './model';

/** errno values beyond the user-space ones in preprocess/kernelConstants (kernel-internal). */
const kernelOnlyErrno: Record<string, number> = {
  ERESTARTSYS: 512, ERESTARTNOINTR: 513, ENOIOCTLCMD: 515, EPROBE_DEFER: 517, ENOTSUPP: 524,
  ENOBUFS: 105, EALREADY: 114, EINPROGRESS: 115, ENOTCONN: 107, ECONNRESET: 104, ENOKEY: 126,
  EKEYREJECTED: 129, EOWNERDEAD: 130, EHWPOISON: 133, EADDRINUSE: 98, ENOSR: 63, ENOLINK: 67,
  EPROTO: 71, EBADMSG: 74, EILSEQ: 84, EUSERS: 87, ENOTSOCK: 88, EMSGSIZE: 90, ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93, EAFNOSUPPORT: 97, ENETDOWN: 100, ENETUNREACH: 101, ECONNREFUSED: 111,
  EHOSTUNREACH: 113, ESTALE: 116, EDQUOT: 122, ENOMEDIUM: 123, EKEYEXPIRED: 127, EKEYREVOKED: 128,
  ERFKILL: 132,
};

export const errnoTable: Readonly<Record<string, number>> = { ...errnoValues, ...kernelOnlyErrno };

export const basics: HeaderModel = {
  name: 'linux/types.h, linux/compiler.h, linux/kernel.h, linux/err.h',
  text: () => `
typedef unsigned char u8;
typedef signed char s8;
typedef unsigned short u16;
typedef short s16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;
typedef u8 __u8;
typedef s8 __s8;
typedef u16 __u16;
typedef s16 __s16;
typedef u32 __u32;
typedef s32 __s32;
typedef u64 __u64;
typedef s64 __s64;
typedef u16 __le16;
typedef u32 __le32;
typedef u64 __le64;
typedef u16 __be16;
typedef u32 __be32;
typedef u64 __be64;
typedef unsigned long ulong;
typedef unsigned int uint;
typedef unsigned short ushort;
typedef unsigned char uchar;
typedef unsigned int gfp_t;
typedef unsigned int fmode_t;
typedef unsigned short umode_t;
typedef int pid_t;
typedef long long loff_t;
typedef long long ktime_t;
typedef long long time64_t;
typedef unsigned long long phys_addr_t;
typedef unsigned long long resource_size_t;
typedef unsigned long long sector_t;
typedef unsigned long irq_hw_number_t;
typedef struct { int counter; } atomic_t;
typedef struct { long long counter; } atomic64_t;
typedef atomic64_t atomic_long_t;
typedef struct refcount_struct { atomic_t refs; } refcount_t;

#define NULL ((void *)0)
#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : (c)))
#define __always_inline
#define inline
#define noinline
#define asmlinkage
#define __user
#define __iomem
#define __rcu
#define __percpu
#define __force
#define __bitwise
#define __must_check
#define __pure
#define __cold
#define __hot
#define __weak
#define __used
#define __maybe_unused
#define __always_unused
#define __read_mostly
#define __ro_after_init
#define __init
#define __exit
#define __initdata
#define __exitdata
#define __initconst
#define __noreturn
#define __packed
#define __aligned(x)
#define __printf(a, b)
#define __scanf(a, b)
#define __section(s)
#define __counted_by(m)
#define __nonstring
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define notrace
#define noinstr
#define __visible
#define __cacheline_aligned
#define ____cacheline_aligned
#define __cacheline_aligned_in_smp
#define ____cacheline_aligned_in_smp
#define __randomize_layout
#define __latent_entropy
#define __sched
#define fallthrough do {} while (0)

#define likely(x) (!!(x))
#define unlikely(x) (!!(x))
#define __builtin_expect(x, y) (x)
#define __builtin_constant_p(x) 0
#define __same_type(a, b) 1
#define __must_be_array(a) 0
#define barrier() do { } while (0)
#define cpu_relax() do { } while (0)
#define smp_mb() do { } while (0)
#define smp_rmb() do { } while (0)
#define smp_wmb() do { } while (0)
#define mb() do { } while (0)
#define rmb() do { } while (0)
#define wmb() do { } while (0)
#define smp_mb__before_atomic() do { } while (0)
#define smp_mb__after_atomic() do { } while (0)
#define smp_store_release(p, v) (*(p) = (v))
#define smp_load_acquire(p) (*(p))
#define READ_ONCE(x) (x)
#define WRITE_ONCE(x, val) ((x) = (val))
#define data_race(expr) (expr)
#define BUILD_BUG_ON(cond) do { } while (0)
#define BUILD_BUG_ON_MSG(cond, msg) do { } while (0)
#define BUILD_BUG_ON_ZERO(e) 0
#define static_assert(...)
#define _Static_assert(...)
#define might_sleep() do { } while (0)
#define might_sleep_if(c) do { } while (0)
#define might_fault() do { } while (0)
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#define ___PASTE(a, b) a##b
#define __PASTE(a, b) ___PASTE(a, b)

#define offsetof(TYPE, MEMBER) ((size_t)&((TYPE *)0)->MEMBER)
#define __builtin_offsetof(TYPE, MEMBER) ((size_t)&((TYPE *)0)->MEMBER)
#define offsetofend(TYPE, MEMBER) (offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))
#define sizeof_field(TYPE, MEMBER) sizeof((((TYPE *)0)->MEMBER))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define container_of_const(ptr, type, member) container_of(ptr, type, member)
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))

/* min/max evaluate their arguments twice (the kernel's versions do not): modules rarely rely on it. */
#define min(x, y) ((x) < (y) ? (x) : (y))
#define max(x, y) ((x) > (y) ? (x) : (y))
#define min3(x, y, z) min((typeof(x))min(x, y), z)
#define max3(x, y, z) max((typeof(x))max(x, y), z)
#define min_t(type, x, y) ((type)(x) < (type)(y) ? (type)(x) : (type)(y))
#define max_t(type, x, y) ((type)(x) > (type)(y) ? (type)(x) : (type)(y))
#define min_not_zero(x, y) ((x) == 0 ? (y) : ((y) == 0 ? (x) : min(x, y)))
#define clamp(val, lo, hi) min((typeof(val))max(val, lo), hi)
#define clamp_t(type, val, lo, hi) min_t(type, max_t(type, val, lo), hi)
#define clamp_val(val, lo, hi) clamp_t(typeof(val), val, lo, hi)
#define swap(a, b) do { typeof(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)
#define abs(x) ((x) < 0 ? -(x) : (x))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define DIV_ROUND_CLOSEST(x, d) (((x) + ((d) / 2)) / (d))
#define roundup(x, y) ((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y) ((x) - ((x) % (y)))
#define round_up(x, y) ((((x) - 1) | ((typeof(x))((y) - 1))) + 1)
#define round_down(x, y) ((x) & ~((typeof(x))((y) - 1)))
#define ALIGN(x, a) (((x) + ((typeof(x))(a) - 1)) & ~((typeof(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))
#define BIT_MASK(nr) (1UL << ((nr) % 64))
#define BIT_WORD(nr) ((nr) / 64)
#define GENMASK(h, l) (((~0UL) - (1UL << (l)) + 1) & (~0UL >> (64 - 1 - (h))))
#define GENMASK_ULL(h, l) (((~0ULL) - (1ULL << (l)) + 1) & (~0ULL >> (64 - 1 - (h))))
#define BITS_PER_BYTE 8
#define U8_MAX ((u8)~0U)
#define S8_MAX ((s8)(U8_MAX >> 1))
#define S8_MIN ((s8)(-S8_MAX - 1))
#define U16_MAX ((u16)~0U)
#define S16_MAX ((s16)(U16_MAX >> 1))
#define S16_MIN ((s16)(-S16_MAX - 1))
#define U32_MAX ((u32)~0U)
#define S32_MAX ((s32)(U32_MAX >> 1))
#define S32_MIN ((s32)(-S32_MAX - 1))
#define U64_MAX ((u64)~0ULL)
#define S64_MAX ((s64)(U64_MAX >> 1))
#define S64_MIN ((s64)(-S64_MAX - 1))
#define INT_MAX ((int)(~0U >> 1))
#define INT_MIN (-INT_MAX - 1)
#define UINT_MAX (~0U)
#define LONG_MAX ((long)(~0UL >> 1))
#define LONG_MIN (-LONG_MAX - 1)
#define ULONG_MAX (~0UL)
#define LLONG_MAX ((long long)(~0ULL >> 1))
#define LLONG_MIN (-LLONG_MAX - 1)
#define ULLONG_MAX (~0ULL)
#define SIZE_MAX (~(size_t)0)
#define SHRT_MAX ((short)(USHRT_MAX >> 1))
#define SHRT_MIN ((short)(-SHRT_MAX - 1))
#define USHRT_MAX ((unsigned short)~0U)
#define PAGE_SIZE 4096UL
#define PAGE_SHIFT 12

#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *) error; }
static inline long PTR_ERR(const void *ptr) { return (long) ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR_VALUE((unsigned long)ptr); }
static inline void *ERR_CAST(const void *ptr) { return (void *) ptr; }
static inline int PTR_ERR_OR_ZERO(const void *ptr) { if (IS_ERR(ptr)) return PTR_ERR(ptr); else return 0; }

${Object.entries(errnoTable).map(([name, value]) => `#define ${name} ${value}`).join('\n')}
`,
};
