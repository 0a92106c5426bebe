/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading a process's memory in many small pieces, cheaply: a bounded cache
 * of aligned chunks copied with process_vm_readv(), so that walking a heap of
 * small objects costs a system call per chunk, not per object. What is cached
 * may go stale as the process runs: callers check what they read, and start
 * a new pass with pymem__reset(). */
#ifndef LT_PYMEM_H
#define LT_PYMEM_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct pymem;

/* A cache of 2^@chunks_log2 chunks for process @pid. NULL with errno set. */
struct pymem *pymem__new(pid_t pid, unsigned int chunks_log2);
void pymem__free(struct pymem *m); /* accepts NULL */

/* Forgets every cached chunk. */
void pymem__reset(struct pymem *m);

/* Copies @len bytes at @addr into @buf. Returns 0, -ESRCH if the process is
 * gone, or -EFAULT if any byte is not mapped. */
int pymem__read(struct pymem *m, __u64 addr, void *buf, size_t len);

/* A pointer-sized word at @addr into *@out: 0 or a negative errno. */
int pymem__word(struct pymem *m, __u64 addr, __u64 *out);

/* A NUL-terminated string at @addr, at most @len - 1 bytes (cut there),
 * into @buf. Returns its length, or a negative errno. */
int pymem__string(struct pymem *m, __u64 addr, char *buf, size_t len);

/* Bytes copied from the process since pymem__new(). */
__u64 pymem__copied(const struct pymem *m);

#endif
