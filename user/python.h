/* SPDX-License-Identifier: GPL-2.0-only */
/* Finding CPython in a process: the mapped file that holds _PyRuntime (the
 * python executable itself, or libpython3.X.so), its version and layout, and
 * where the runtime lives in the process's memory. */
#ifndef LT_PYTHON_H
#define LT_PYTHON_H

#include <limits.h>
#include <sys/types.h>
#include <linux/types.h>
#include "pylayout.h"

struct py_target {
	const struct py_layout *layout;
	__u64 runtime;	      /* address of _PyRuntime in the process */
	__u64 type_type;      /* address of PyType_Type, 0 if not exported */
	char path[PATH_MAX];  /* the file, as leaktrace can open it */
	char shown[PATH_MAX]; /* the file, as the process maps it */
};

/* Looks for CPython in process @pid. Returns 0 and fills @out; -ENOENT if the
 * process runs no CPython; -ENOTSUP if it runs a version without a layout
 * (@out->shown then names the file and @major/@minor the version); another
 * negative errno if its mappings cannot be read. */
int py_target_find(pid_t pid, struct py_target *out, unsigned int *major, unsigned int *minor);

/* The same, skipping the files of the registry @known (files.h) marked
 * FILE_NO_CPYTHON and marking those found without _PyRuntime: under
 * --system every new process is looked at, and most map only files already
 * known to hold no CPython. */
struct files;
int py_target_find_known(pid_t pid, struct files *known, struct py_target *out, unsigned int *major,
			 unsigned int *minor);

#endif
