/* SPDX-License-Identifier: GPL-2.0-only */
/* Setting up the BPF side: open the skeleton, size the maps, load, and attach
 * the probes of each source to a process. Failures are reported here, where
 * it is known what was being attached to; callers get a negative errno
 * (-EPERM, -ENOENT, -ESRCH, -ENOEXEC: bad input, exit 2; others exit 1). */
#ifndef LT_ATTACH_H
#define LT_ATTACH_H

#include <stdbool.h>
#include <sys/types.h>
#include "options.h"
#include "report.h"

struct tracer;
struct leaktrace_bpf;

/* Opens and loads the BPF object for @s. Returns NULL with errno set. */
struct tracer *tracer__open(const struct lt_settings *s);
void tracer__destroy(struct tracer *t); /* detaches everything; accepts NULL */

struct leaktrace_bpf *tracer__skel(struct tracer *t);

/* Adds @tgid to the processes the tracepoints follow. */
int tracer__add_target(struct tracer *t, pid_t tgid);

/* Attaches the heap probes to every allocator process @tgid maps now (or to
 * --lib), filtered to that process, and the tracepoints if not yet done.
 * Allocator files already probed are skipped, so calling it again after an
 * exec picks up only what is new. */
int tracer__attach(struct tracer *t, pid_t tgid);

/* Probes the object allocation of the CPython that @py found in @tgid and
 * gives the BPF side its layout, so every stack of @tgid gets its Python
 * frames. */
struct py_target;
int tracer__attach_python(struct tracer *t, pid_t tgid, const struct py_target *py);

/* Launch support: make @tgid stop itself at its next exec (and clear that),
 * and stop at the entry point of the executable it runs now. */
int tracer__stop_on_exec(struct tracer *t, bool on);
int tracer__attach_entry_stop(struct tracer *t, pid_t tgid);
void tracer__detach_entry_stop(struct tracer *t);

/* Kernel memory held by the BPF maps, in bytes (what fdinfo's memlock says). */
unsigned long long tracer__bpf_memory(const struct tracer *t);

/* What was attached, for the report's start record; valid until destroy. */
const struct report_probe *tracer__probes(const struct tracer *t, size_t *nr,
					  unsigned int *failures);

#endif
