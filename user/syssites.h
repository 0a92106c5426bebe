/* SPDX-License-Identifier: GPL-2.0-only */
/* Finding the syscall instructions in a process's code. A stack taken at a
 * syscall starts inside the libc wrapper that made it, which keeps no frame
 * pointer: the return address into its caller is somewhere above the stack
 * pointer, where the wrapper's CFI says. Source fd gives the BPF side that
 * place for each syscall instruction before the process reaches it. */
#ifndef LT_SYSSITES_H
#define LT_SYSSITES_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

typedef void (*syssite_fn)(void *ctx, __u64 ip);

/* Calls @fn with the address right after each syscall instruction of this
 * machine in @code (@len bytes, at runtime address @addr). A byte pattern
 * that is not an instruction is found too: harmless, nothing jumps there. */
void lt_find_syscalls(const unsigned char *code, size_t len, __u64 addr, syssite_fn fn, void *ctx);

struct syssites;

/* Returns NULL with errno set. */
struct syssites *syssites__new(void);
void syssites__free(struct syssites *s); /* accepts NULL */

/* Scans the executable file mappings of @pid that were not scanned yet,
 * calling @fn for each syscall instruction. Returns how many were found, or
 * a negative errno (-ESRCH: no such process). */
int syssites__scan(struct syssites *s, pid_t pid, syssite_fn fn, void *ctx);

/* Forgets what was scanned in @pid (it exec'd). */
void syssites__forget(struct syssites *s, pid_t pid);

#endif
