/* SPDX-License-Identifier: GPL-2.0-only */
/* --system's view of the processes: their names (which outlive them until
 * the report says they exited), those to look at again for a new allocator
 * (they exec'd or mapped new code), and those that exited or exec'd, until
 * the next report releases what is kept of them. */
#ifndef LT_PROCS_H
#define LT_PROCS_H

#include <stddef.h>
#include <sys/types.h>

struct procs;

/* Returns NULL with errno set. */
struct procs *procs__new(void);
void procs__free(struct procs *p); /* accepts NULL */

/* The name of @pid: as last heard, else from /proc (NULL if it is gone). */
const char *procs__comm(struct procs *p, pid_t pid);
/* @pid is now called @comm (it exec'd). */
void procs__named(struct procs *p, pid_t pid, const char *comm);

/* @pid is to be looked at again; procs__take_touched() hands out and clears
 * those noted, up to @max. */
void procs__touch(struct procs *p, pid_t pid);
size_t procs__take_touched(struct procs *p, pid_t *out, size_t max);

/* @pid (@comm) exited; procs__take_exited() hands out and clears those noted,
 * up to @max, and forgets their names at the call after. */
void procs__exited(struct procs *p, pid_t pid, const char *comm);
size_t procs__take_exited(struct procs *p, pid_t *out, size_t max);

/* @pid exec'd: what the report kept of its old image is to go;
 * procs__take_replaced() hands out and clears those noted, up to @max. */
void procs__replaced(struct procs *p, pid_t pid);
size_t procs__take_replaced(struct procs *p, pid_t *out, size_t max);

/* Processes whose name is kept. */
size_t procs__count(const struct procs *p);

#endif
