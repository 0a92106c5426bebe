/* SPDX-License-Identifier: GPL-2.0-only */
/* The one header both sides include: map keys and values, sizes, the kinds of
 * resource, the drop counters and the event layout. It includes nothing: BPF
 * code includes vmlinux.h first, user space <linux/types.h>. */
#ifndef LEAKTRACE_H
#define LEAKTRACE_H

/* Frames a stack can hold; --stack-depth picks how many are kept, up to this. */
#define LT_MAX_STACK_DEPTH 127
#define LT_DEFAULT_STACK_DEPTH 32

/* The stack id given to allocations whose stack could not be stored: they are
 * still counted, under one "[stack lost]" entry, and LT_CNT_STACKS_FULL says so.
 * Real stack ids are hashes that are never 0. */
#define LT_STACK_LOST 0ULL

/* What kind of resource an entry is. The order is the order of reports. */
enum lt_kind {
	LT_KIND_HEAP, /* malloc family, bytes */
	LT_KIND_MMAP, /* anonymous mappings, bytes */
	LT_KIND__NR,
};

/* The function an entry probe sits on: its cookie, set by user space. */
enum lt_heap_fn {
	LT_FN_MALLOC,
	LT_FN_CALLOC,
	LT_FN_REALLOC,
	LT_FN_REALLOCARRAY,
	LT_FN_POSIX_MEMALIGN,
	LT_FN_MEMALIGN, /* and aligned_alloc */
	LT_FN_VALLOC,	/* and pvalloc */
	LT_FN_FREE,
};

/* Which allocator call is in progress on a thread; it decides how the return
 * probe reads the result. */
enum lt_op {
	LT_OP_MALLOC,	      /* result in the return register */
	LT_OP_REALLOC,	      /* also releases the old block */
	LT_OP_POSIX_MEMALIGN, /* result stored through the first argument */
};

enum lt_counter {
	LT_CNT_ALLOCS_FULL, /* allocs map had no room: allocation not recorded */
	LT_CNT_STATS_FULL,  /* per-stack totals map had no room: allocation not recorded */
	LT_CNT_STACKS_FULL, /* stacks map had no room: counted under LT_STACK_LOST */
	LT_CNT_EVENTS_LOST, /* ring buffer full: an mmap/munmap event was lost */
	LT_CNT_NO_THREAD,   /* no per-thread storage: a call could not be followed */
	LT_CNT_NO_ENTRY,    /* return probe fired without a matching entry */
	LT_CNT_MISSED_FREE, /* an address came back from malloc while still recorded */
	LT_CNT__NR,
};

/* Counters that mean the totals are incomplete; the others are diagnostics. */
#define LT_CNT_DROP_MASK                                                                           \
	((1u << LT_CNT_ALLOCS_FULL) | (1u << LT_CNT_STATS_FULL) | (1u << LT_CNT_STACKS_FULL) |     \
	 (1u << LT_CNT_EVENTS_LOST) | (1u << LT_CNT_NO_THREAD))

/* One outstanding resource: allocs map, keyed by where it lives. */
struct lt_alloc_key {
	__u64 addr;
	__u32 tgid;
	__u32 kind; /* enum lt_kind */
};

struct lt_alloc {
	__u64 size;
	__u64 stack; /* key into the stacks map */
};

/* Per-stack totals: stats map. Live count is allocs - frees. */
struct lt_stat_key {
	__u64 stack;
	__u32 tgid;
	__u32 kind;
};

struct lt_stat {
	__s64 bytes;  /* outstanding */
	__u64 allocs; /* recorded since attach */
	__u64 frees;
	__u64 pad;
};

/* Events for what user space tracks itself (rare, so one event each). */
enum lt_event_type {
	LT_EV_MMAP,	/* anonymous mapping made: addr, len, stack */
	LT_EV_MUNMAP,	/* range unmapped: addr, len */
	LT_EV_MREMAP,	/* old_addr/old_len moved or resized to addr/len */
	LT_EV_MAP_EXEC, /* a file was mapped executable: the module list changed */
	LT_EV_EXEC,	/* the process replaced its image */
};

/* Stack words above the user stack pointer at a syscall: user space finds the
 * syscall wrapper's return address among them with the wrapper's CFI. */
#define LT_SP_WORDS 4

struct lt_event {
	__u32 type; /* enum lt_event_type */
	__u32 tgid;
	__u64 addr;
	__u64 len;
	__u64 old_addr;
	__u64 old_len;
	__u64 sp;
	__u64 sp_words[LT_SP_WORDS];
	__u32 nr_frames;
	__u32 pad;
	__u64 frames[LT_MAX_STACK_DEPTH]; /* only nr_frames are sent */
};

/* Stack ids: a hash of the frames and the process, computed by the BPF side
 * as it walks, and again by user space to check a stack it read. The process
 * is part of the id: the same addresses mean different code in different
 * processes. Never LT_STACK_LOST. */
static inline __u64 lt_mix(__u64 h, __u64 v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 31);
}

static inline __u64 lt_stack_seed(__u32 tgid)
{
	return lt_mix(0x6c7472616365ULL, tgid);
}

static inline __u64 lt_stack_final(__u64 h)
{
	return h ? h : 1;
}

#ifndef __cplusplus
_Static_assert(sizeof(struct lt_alloc_key) == 16, "lt_alloc_key layout changed");
_Static_assert(sizeof(struct lt_alloc) == 16, "lt_alloc layout changed");
_Static_assert(sizeof(struct lt_stat_key) == 16, "lt_stat_key layout changed");
_Static_assert(sizeof(struct lt_stat) == 32, "lt_stat layout changed");
_Static_assert(sizeof(struct lt_event) == 88 + 8 * LT_MAX_STACK_DEPTH, "lt_event layout changed");
#endif

#endif /* LEAKTRACE_H */
