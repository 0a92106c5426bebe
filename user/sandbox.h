/* SPDX-License-Identifier: GPL-2.0-only */
/* Least privilege once setup is done: what leaktrace keeps of root to trace,
 * and the system calls it gives up, before it reads what targets control. */
#ifndef LT_SANDBOX_H
#define LT_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

/* What leaktrace still has to do once set up, beyond reading processes and
 * their files and the BPF maps. */
struct sandbox_needs {
	pid_t child;	   /* the launched command, to signal and end; 0: none */
	bool perf_uprobes; /* later probes are perf events (no uprobe_multi) */
	bool make_maps;	   /* BPF maps are made later (the unwind tables' rows) */
};

/* Drops every capability leaktrace does not need after setup from all its
 * sets (bounding, permitted, effective, inheritable, ambient) and in every
 * thread, sets no_new_privs, and installs a seccomp filter on every thread
 * that makes exec, opening files for writing, ptrace, writing other
 * processes' memory, mounts, modules, signals to anyone but the child and a
 * few more fail with EPERM (the list is in sandbox.c and README.md).
 * Call it once probes are attached and files opened, and after the launched
 * command has been forked: it keeps running with its own privileges.
 * Never fails the run: what cannot be done (no seccomp in the kernel, not
 * root to begin with) is said with -v. Returns 0 when both the capabilities
 * and the filter are in place, else the first negative errno. */
int sandbox__enter(const struct sandbox_needs *needs);

#endif
