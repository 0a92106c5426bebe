/* SPDX-License-Identifier: GPL-2.0-only */
/* Unwind tables for the BPF stack walk (bpf/unwind.bpf.h): per module file,
 * the rules of its .eh_frame (and .debug_frame) reduced to one compact row per
 * address range, made when a process is first seen to map the file and shared
 * by every process that maps it; per process, its executable mappings and
 * where their rows are. The rows live in one BPF array of fixed size: a
 * module that does not fit, or whose tables cannot be read, is walked with
 * frame pointers, and counted. */
#ifndef LT_UNWIND_H
#define LT_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "leaktrace.h"

struct unwinder;
struct leaktrace_bpf;
struct report_counter;
struct files;

/* Builds the rows of the ELF file open at @fd (x86-64 only), sorted by
 * address, into *@rows (malloc'd, the caller frees) and *@nr. Returns 0,
 * -ENOENT when the file has no call frame information, -ENOTSUP for another
 * architecture, or another negative errno. */
int unwind_table__build(int fd, struct lt_unw_row **rows, size_t *nr);

/* Whether the code @rows describe keeps frame pointers throughout: such a
 * module is walked with them (the fast path), and needs no table. */
bool unwind_table__keeps_fp(const struct lt_unw_row *rows, size_t nr);

/* The row covering ELF virtual address @pc in @rows, or NULL: the lookup the
 * BPF side makes, for tests. */
const struct lt_unw_row *unwind_table__find(const struct lt_unw_row *rows, size_t nr, __u64 pc);

/* @files: the registry of mapped files (files.h), where the unwinder keeps
 * each module's rows (one unwinder per registry; it outlives the unwinder).
 * @max_rows: the rows the tables may take in all, within the chunks the
 * skeleton's unwrows map of maps has room for (each made when the rows
 * reach it). @on_demand (--system): a process gets its tables when the BPF
 * side first walks one of its stacks without them (the unwwant map, polled
 * by the unwinder's thread), not when it is refreshed. Returns NULL with
 * errno set. */
struct unwinder *unwinder__new(struct files *files, struct leaktrace_bpf *skel,
			       unsigned int max_rows, bool on_demand);
void unwinder__free(struct unwinder *u); /* accepts NULL */

/* Kernel memory held by the rows' chunks, in bytes (fdinfo's memlock). */
unsigned long long unwinder__bpf_memory(const struct unwinder *u);

/* Reads the mappings of @pid, makes the tables of the files it maps that have
 * none yet, and hands the BPF side the process's mappings. Call it when
 * tracing starts and whenever the process maps new code. Returns 0 or a
 * negative errno (-ESRCH: the process is gone). */
int unwinder__refresh(struct unwinder *u, pid_t pid);

/* unwinder__refresh(), done by a thread of the unwinder's own, so that
 * making a big module's table (0.4 s for libLLVM) holds nothing up; until it
 * is done, the new modules are walked with frame pointers. */
void unwinder__refresh_later(struct unwinder *u, pid_t pid);

/* Forgets process @pid's mappings (it exec'd, or exited), in order with the
 * refreshes asked for later. Accepts NULL. */
void unwinder__forget(struct unwinder *u, pid_t pid);

/* @pid mapped new code: with @on_demand, its tables are made again (by the
 * unwinder's thread) if it has asked for them; else nothing. Accepts NULL. */
void unwinder__code_mapped(struct unwinder *u, pid_t pid);

/* Fills @out with up to @max counters: modules with tables, rows used and
 * available, modules without (no CFI, or no room). Returns how many. */
size_t unwinder__counters(const struct unwinder *u, struct report_counter *out, size_t max);

/* Whether a stack whose outermost frame is in @func is complete: it reached
 * the program's or a thread's start. */
bool unwind_is_start(const char *func);

#endif
