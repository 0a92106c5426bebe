/* SPDX-License-Identifier: GPL-2.0-only */
/* Collection: reads the kernel's per-stack totals each interval, consumes the
 * events for what user space keeps itself (anonymous mapping ranges), and
 * serves the frames of a stack id. */
#ifndef LT_COLLECT_H
#define LT_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "sample.h"

struct collector;
struct leaktrace_bpf;

struct collector_hooks {
	void *ctx;
	/* Offset from the stack pointer to the return address of the function
	 * at @ip in process @pid; 0 or a negative errno when unknown. */
	int (*ra_offset)(void *ctx, pid_t pid, __u64 ip, __u64 *sp_offset);
	/* Process @pid mapped new code (a library was loaded). */
	void (*code_mapped)(void *ctx, pid_t pid);
	/* Process @pid replaced its image with exec; @comm: its new name.
	 * What was recorded of the old image is forgotten, from the next
	 * collector__sample() on. */
	void (*exec)(void *ctx, pid_t pid, const char *comm);
	/* Process @pid (@comm) exited (--system only). What was recorded of it
	 * is forgotten from the next collector__sample() on. */
	void (*exit)(void *ctx, pid_t pid, const char *comm);
	/* Whether @addr of @pid is in executable code: 1, 0, or negative if
	 * unknown. Native frames that are not are dropped from stacks (walks
	 * through code without frame pointers pick up stack and data words),
	 * and stacks left the same are merged. */
	int (*code_at)(void *ctx, pid_t pid, __u64 addr);
	/* The allocator (enum lt_arena) whose arena an anonymous mapping of
	 * @pid is, made by the function that holds return address @ip (mmap's
	 * caller), or 0. The arenas of one allocator in a process are one
	 * stack, its frame that function's. */
	unsigned int (*arena)(void *ctx, pid_t pid, __u64 ip);
	/* Thread @tid of @pid made a GL context current; @tp: its thread pointer. */
	void (*gl_thread)(void *ctx, pid_t pid, pid_t tid, __u64 tp);
};

/* @stack_depth, @py_depth: native and Python frames a stack holds (the BPF
 * side's settings). Returns NULL with errno set. */
struct collector *collector__new(struct leaktrace_bpf *skel, unsigned int stack_depth,
				 unsigned int py_depth, const struct collector_hooks *hooks);
void collector__free(struct collector *c); /* accepts NULL */

/* The file descriptor to poll for events, and the call that consumes them.
 * Returns the number of events or a negative errno. */
int collector__fd(const struct collector *c);
int collector__consume(struct collector *c);

/* Current state of every stack. *samples lives until the next call. Returns 0
 * or a negative errno. The totals of processes that exited or exec'd since
 * the last call are deleted from the maps as they are read. */
int collector__sample(struct collector *c, const struct lt_sample **samples, size_t *n);

/* Resources a program keeps for reuse are freed as far as it is concerned,
 * though nothing saw them go (objects on CPython's free lists); they are taken
 * out of the samples in two steps around collector__sample(), since the
 * program goes on while the maps are read: collector__hold() notes the ones at
 * @addrs (of @kind, in @tgid) before, and collector__discount() takes those
 * still held after, by the same record, out of the samples just read. */
void collector__hold(struct collector *c, __u32 tgid, __u32 kind, const __u64 *addrs, size_t n);
void collector__discount(struct collector *c, __u32 tgid, __u32 kind, const __u64 *addrs, size_t n);

/* Frames of @stack, innermost first: returns how many, 0 if unknown.
 * *frames lives until the collector is freed. */
size_t collector__frames(struct collector *c, __u32 tgid, __u64 stack, const __u64 **frames);

/* Drop and diagnostic counters, kernel and user space; returns how many were
 * written to @out (at most @max). */
size_t collector__counters(struct collector *c, struct report_counter *out, size_t max);
/* Kernel counter @which (enum lt_counter), summed over the CPUs; 0 if it
 * cannot be read. */
__u64 collector__counter(struct collector *c, __u32 which);

/* Forgets everything recorded for each of @tgids, which exited, as after an
 * exit event (those whose event was seen are forgotten already; the others'
 * was lost, or came before the tracepoint): totals, mappings, stacks, in the
 * BPF maps and here, from the next collector__sample() on. */
void collector__forget_many(struct collector *c, const pid_t *tgids, size_t n);

/* Forgets what @tgid recorded of @kind until now, as for a process that
 * exited (its other kinds stay): a grower's heap once it is no longer
 * traced exactly, whose frees would go unseen. */
void collector__forget_kind(struct collector *c, pid_t tgid, __u32 kind);

/* Deletes the outstanding entries of the processes forgotten from the allocs
 * map, which is too big to walk at once: a batch at a time from where the
 * last call stopped, until @budget_s seconds have passed (one batch at
 * least). Returns true if there is more to do. */
bool collector__sweep(struct collector *c, double budget_s);

#endif
