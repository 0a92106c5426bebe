/* SPDX-License-Identifier: GPL-2.0-only */
/* Naming Python frames and types: reads code objects (qualified name, file,
 * line table) and type objects (tp_name) from a CPython process's memory with
 * process_vm_readv(), and caches what it read per process and address, so a
 * stack seen again costs no read, and a process that has exited is still
 * named for what was read while it lived. */
#ifndef LT_PYRESOLVE_H
#define LT_PYRESOLVE_H

#include <sys/types.h>
#include <linux/types.h>
#include "pylayout.h"

struct pyresolver;

struct py_frame {
	const char *func; /* co_qualname (co_name before 3.11) */
	const char *file; /* co_filename */
	int line;	  /* 0 if unknown */
};

/* Returns NULL with errno set. */
struct pyresolver *pyresolver__new(void);
void pyresolver__free(struct pyresolver *r); /* accepts NULL */

/* Process @pid runs CPython with layout @l (a table entry; not copied). */
int pyresolver__add(struct pyresolver *r, pid_t pid, const struct py_layout *l);
/* Forgets @pid (exec'd, or gone and reported). */
void pyresolver__forget(struct pyresolver *r, pid_t pid);

/* Names the frame of code object @code at instruction @instr in @pid. Returns
 * 0 and fills @out (strings live until pyresolver__free), -ENOENT if @pid is
 * not a known CPython process, or another negative errno when the memory
 * could not be read (the process is gone, or the pointer is stale); a later
 * call may succeed. */
int pyresolver__frame(struct pyresolver *r, pid_t pid, __u64 code, unsigned int instr,
		      struct py_frame *out);

/* Starts a new generation: a code object cached before is checked again
 * against the process's memory when next asked for, since its address may
 * have been freed and taken by another. Call it once per report. */
void pyresolver__tick(struct pyresolver *r);

/* The objects on @pid's free lists of lists and dicts (CPython 3.10 to 3.12),
 * whose _PyRuntime is at @runtime: freed, though no tp_free ran and nothing
 * saw them go. Writes up to @max addresses to @out and returns how many (0
 * for versions without such lists), or a negative errno. */
int pyresolver__free_objects(struct pyresolver *r, pid_t pid, __u64 runtime, __u64 *out,
			     size_t max);

/* The name of the type object at @type in @pid, or NULL when it cannot be
 * read. The string lives until pyresolver__free. */
const char *pyresolver__type_name(struct pyresolver *r, pid_t pid, __u64 type);

#endif
