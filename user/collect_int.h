/* SPDX-License-Identifier: GPL-2.0-only */
/* The collector's insides, shared by collect.c (events, the reads of the
 * maps, samples) and collect_forget.c (objects held for reuse, exited
 * processes forgotten, the sweep of the allocs map): not for the rest of
 * leaktrace, which has collect.h. */
#ifndef LT_COLLECT_INT_H
#define LT_COLLECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "collect.h"
#include "hashmap.h"

/* Totals of one (process, stack) for the kinds kept in user space. */
struct utotal {
	struct lt_sample s;
	__u64 seq; /* collector's event count when made */
};

struct stack_key {
	__u64 stack;
	__u32 tgid;
	__u32 pad;
};

/* What samples are merged by. */
struct sample_key {
	__u64 stack;
	__u64 aux;
	__u32 tgid;
	__u32 kind;
};

struct frames {
	size_t nr;
	__u64 ips[];
};

/* A process whose records are being forgotten: those made before before_ns,
 * all of them once it exited, those of its old image after an exec (a new
 * process that got its pid later is left alone). Its stats entries go in the
 * next read of the stats map, their allocs entries in the sweep, done by the
 * end of sweep pass @until. */
struct forget {
	__u64 before_ns; /* kernel time (CLOCK_MONOTONIC) */
	__u64 seq;	 /* user-space totals made before this event go */
	bool exited;
	__u32 kinds;	     /* 1 << LT_KIND_*: the kinds to forget (all but for a grower's heap) */
	bool read;	     /* the stats map was read since it was noted */
	bool user_done;	     /* the state kept here was forgotten */
	unsigned long until; /* 0: nothing to sweep */
	struct hashmap *stats; /* struct lt_stat_key -> 1: the totals dropped */
};

enum user_counter {
	UCNT_STACKS_UNREADABLE, /* a stack id whose frames could not be read */
	UCNT_EVENTS_BAD,	/* an event too short or of an unknown type */
	UCNT_STATS_TORN,	/* totals read while an update was half-way through */
	UCNT__NR,
};

struct collector {
	struct leaktrace_bpf *skel;
	struct collector_hooks hooks;
	struct ring_buffer *rb;
	unsigned int stack_depth; /* native frames a stack holds, at [0, stack_depth) */
	unsigned int py_depth;	  /* Python frames, at [stack_depth, stack_depth + py_depth) */
	__u64 page_size;
	struct hashmap *regions; /* tgid -> struct ranges, tagged with the stack */
	struct hashmap *utotals; /* struct stack_key (+kind in pad) -> struct utotal */
	struct hashmap *stacks;	 /* struct stack_key -> struct frames */
	struct hashmap *canon;	 /* struct stack_key -> its stack id as shown, + 1 */
	struct hashmap *merge;	 /* struct sample_key -> index + 1 of its merged sample */
	struct hashmap *forget;	 /* tgid -> struct forget */
	__u64 seq;		 /* events handled */
	bool forget_new;	 /* a process to forget since the last sample */
	/* the sweep of the allocs map: the pass in progress, the last done */
	unsigned long sweep_pass, sweep_done;
	bool sweeping, sweep_first;
	__u32 sweep_token;
	struct lt_alloc_key *sweep_keys; /* BATCH of them */
	struct lt_sample *samples;
	size_t nr_samples, cap_samples;
	struct held *held; /* what collector__hold() saw */
	size_t nr_held, cap_held;
	__u64 ucounters[UCNT__NR];
	bool no_batch;		   /* the kernel lacks batched map lookups */
	struct lt_stat_key *drops; /* totals to delete after a read */
	size_t nr_drops, cap_drops;
	/* batch buffers */
	struct lt_stat_key *bkeys;
	struct lt_stat *bvals;
	__u64 *stack_buf;
	__u64 *cpu_vals; /* one counter's value on each possible CPU */
	int nr_cpus;
};

#define BATCH 4096

/* Mixed into the id of the stack of an allocator's arenas (+ enum lt_arena),
 * as if a frame: no stack of the program has it. */
#define LT_ARENA_MARK 0xa7e4a00000000000ULL

/* A resource the program keeps for reuse, with its record when last seen. */
struct held {
	__u64 addr;
	struct lt_alloc a;
};

/* Notes that what @tgid recorded before @before_ns is to be forgotten (all
 * of it if it @exited). Costs no pass over anything: the mappings kept here
 * go now (the new image's replace them), the rest in the next sample and
 * the sweep. */
void forget_note(struct collector *c, __u32 tgid, __u64 before_ns, bool exited, __u32 kinds);
#define FORGET_ALL (~0u)
/* Deletes the @n keys (of @key_size) at @keys from @fd, in batches where the
 * kernel has them; a key already gone is passed over. */
void delete_keys(struct collector *c, int fd, const void *keys, size_t n, size_t key_size);
/* Retires the processes forgotten for good: read since they were noted, and
 * their allocs entries swept, or none to sweep. */
void forget_retire(struct collector *c);
/* The stack id that stack @stack of @tgid is shown as: its own, or, if some
 * native frames are not code, the id of the stack without them. */
__u64 canonical(struct collector *c, __u32 tgid, __u64 stack);

#endif
