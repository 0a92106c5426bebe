/* SPDX-License-Identifier: GPL-2.0-only */
/* Finding the syscall instructions in the files processes map. A stack taken
 * at a syscall starts inside the libc wrapper that made it, which keeps no
 * frame pointer: the return address into its caller is somewhere above the
 * stack pointer, where the wrapper's CFI says. The BPF side is told that
 * place for each syscall instruction of each file (bpf/sysframe.bpf.h), once
 * per file for all the processes that map it. */
#ifndef LT_SYSSITES_H
#define LT_SYSSITES_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct lt_sys_site;
struct report_counter;

typedef void (*syssite_fn)(void *ctx, __u64 ip);

/* Calls @fn with the address right after each syscall instruction of this
 * machine in @code (@len bytes, at runtime address @addr). A byte pattern
 * that is not an instruction is found too: harmless, nothing jumps there. */
void lt_find_syscalls(const unsigned char *code, size_t len, __u64 addr, syssite_fn fn, void *ctx);

/* What a scan asks and tells. */
struct syssite_ops {
	void *ctx;
	/* Where the wrapper around the syscall that returns to @ip in @pid
	 * keeps its return address and its caller's frame pointer, as
	 * symbolizer__sys_frame() says; a negative errno when unknown. */
	int (*frame)(void *ctx, pid_t pid, __u64 ip, __u64 *ra_off, __s64 *fp_off);
	/* Hands @site to the BPF side: 0, -E2BIG when its map is full, or
	 * another negative errno. */
	int (*add)(void *ctx, const struct lt_sys_site *site, __u64 ra_off, __s64 fp_off);
};

struct syssites;
struct files;

/* @files: the registry of mapped files (files.h), where the ranges scanned
 * are kept (one syssites per registry; it outlives the syssites). Returns
 * NULL with errno set. */
struct syssites *syssites__new(struct files *files, const struct syssite_ops *ops);
void syssites__free(struct syssites *s); /* accepts NULL */

/* Scans the executable file mappings of @pid whose file range no scan has
 * read whole yet, in this process or another, and adds each syscall
 * instruction whose wrapper's frame is known. Returns how many syscall
 * instructions were found, or a negative errno (-ESRCH: no such process). */
int syssites__scan(struct syssites *s, pid_t pid);

/* Fills @out with up to @max counters: sites handed to the BPF side, and
 * those left out (its map full, or a mapping with too many). Returns how
 * many. @s may be NULL. */
size_t syssites__counters(const struct syssites *s, struct report_counter *out, size_t max);

#endif
