/* SPDX-License-Identifier: GPL-2.0-only */
/* Starting the command of `leaktrace -- COMMAND`: forked first and held before
 * exec, so the tracer can be set up for its pid; released to exec; then
 * waited on. The stops at exec and at the entry point come from BPF (see
 * bpf/launch.bpf.h); this module only waits for them. */
#ifndef LT_LAUNCH_H
#define LT_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct launch;

/* Forks a child that will run @argv (looked up in PATH) once released.
 * Returns NULL with errno set. */
struct launch *launch__new(char **argv);
/* Kills a child still held or running, reaps it, frees. Accepts NULL. */
void launch__free(struct launch *l);

pid_t launch__pid(const struct launch *l);

/* Lets the child exec. Returns 0, or a negative errno. */
int launch__release(struct launch *l);

/* Waits until the child stops or exits. Returns 1 if it stopped, 0 if it
 * exited (then *exec_err is the errno of a failed exec, or 0), or a negative
 * errno. */
int launch__wait_stop(struct launch *l, int *exec_err);

/* Reaps the child if it has exited, without blocking: returns true then. */
bool launch__reap(struct launch *l);

/* True once the child was reaped; *@wstatus is then how it ended (a wait
 * status). */
bool launch__status(const struct launch *l, int *wstatus);

/* Asks the child to end with @sig, waits up to @grace_ms, then kills it. */
void launch__terminate(struct launch *l, int sig, int grace_ms);

#endif
