/* SPDX-License-Identifier: GPL-2.0-only */
/* Setting up the BPF side: open the skeleton, size the maps, load, and attach
 * the probes of each source to a process. Failures are reported here, where
 * it is known what was being attached to; callers get a negative errno
 * (-EPERM, -ENOENT, -ESRCH, -ENOEXEC: bad input, exit 2; others exit 1). */
#ifndef LT_ATTACH_H
#define LT_ATTACH_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "cost.h"
#include "options.h"
#include "sample.h"

struct tracer;
struct files;
struct leaktrace_bpf;
struct lt_sys_site;

/* What to do when BPF is not permitted, or the kernel has no BTF: the hints
 * of the errors tracer__open() reports, for --check to give the same. */
#define LT_HINT_PERM "run as root (or with CAP_BPF and CAP_PERFMON)"
#define LT_HINT_BTF "the kernel needs CONFIG_DEBUG_INFO_BTF=y (or pass its BTF with --btf FILE)"

/* Whether this process has the capabilities BPF tracing needs: CAP_SYS_ADMIN,
 * or CAP_BPF and CAP_PERFMON. */
bool tracer__may_trace(void);

/* Whether the kernel has uprobe_multi links (Linux 6.6), which carry every
 * probe of a file in one link; false also when BPF is not permitted. */
bool tracer__have_uprobe_multi(void);

/* Opens and loads the BPF object for @s; @files: the registry of mapped
 * files (files.h), where the tracer notes what it probed in each (one tracer
 * per registry; it outlives the tracer). Where the kernel rejects a
 * program of a source (the verifier's limits, a helper it lacks), the
 * others are loaded without that source, with a warning that says why.
 * Returns NULL with errno set. With -v, says the verifier's work on each
 * program. */
struct tracer *tracer__open(const struct lt_settings *s, struct files *files);

/* The sources loaded (enum lt_source bits), and those of @s left off, each
 * with why ("" if none). */
unsigned int tracer__sources(const struct tracer *t);
const char *tracer__sources_off(const struct tracer *t);
void tracer__destroy(struct tracer *t); /* detaches everything; accepts NULL */

struct leaktrace_bpf *tracer__skel(struct tracer *t);

/* Adds @tgid to the processes the tracepoints follow. */
int tracer__add_target(struct tracer *t, pid_t tgid);

/* Attaches the heap probes to every allocator process @tgid maps now (or to
 * --lib), filtered to that process, and the tracepoints if not yet done.
 * Allocator files already probed are skipped, so calling it again after an
 * exec picks up only what is new. */
int tracer__attach(struct tracer *t, pid_t tgid);

/* --system: probes every allocator file the processes running now map, for
 * every process, and the tracepoints. */
int tracer__attach_system(struct tracer *t);

/* --system: probes the allocator files @tgid maps that were not looked at
 * yet (it exec'd or loaded a library). Quiet when it maps none. */
int tracer__attach_new(struct tracer *t, pid_t tgid);

/* Pages (--system, or --pages with exact phases): probes the allocator
 * calls of @tgid alone, a process whose pages keep growing, until
 * tracer__detach_exact(). Returns 0, or a negative errno, not said: -ESRCH
 * (gone), -ENOENT (no allocator found), -EOPNOTSUPP (not pages, or no
 * allocator source loaded). */
int tracer__attach_exact(struct tracer *t, pid_t tgid);
void tracer__detach_exact(struct tracer *t, pid_t tgid);

/* Sources fd and mmap: tells the BPF side where the syscall wrapper whose
 * syscall instruction ends at @site (a file and offset) keeps its return
 * address (@ra_off bytes above the stack pointer) and its caller's frame
 * pointer (@fp_off, or negative: in its register). Returns 0, -E2BIG when
 * the map is full, or another negative errno. */
int tracer__add_sys_frame(struct tracer *t, const struct lt_sys_site *site, __u64 ra_off,
			  __s64 fp_off);

struct py_target;

/* Source pages: opens the page-fault software event on every CPU, for
 * every process (the BPF side keeps the traced ones), and attaches the
 * syscalls that give pages back. Once; again does nothing. Returns 0 or a
 * negative errno, said. */
int tracer__attach_pages(struct tracer *t);

/* Gives the BPF side the layout of the CPython that @py found in @tgid, so
 * that every stack of @tgid gets its Python frames, without probing its
 * allocator (--pages). Returns 0 or a negative errno, said. */
int tracer__python_frames(struct tracer *t, pid_t tgid, const struct py_target *py);

/* Probes the object allocation of the CPython that @py found in @tgid and
 * gives the BPF side its layout, so every stack of @tgid gets its Python
 * frames. Under --system the file's probes are shared by every process
 * that maps it, put there once. */
int tracer__attach_python(struct tracer *t, pid_t tgid, const struct py_target *py);
/* Forgets the layout of @tgid's CPython (it exited or exec'd). */
void tracer__forget_python(struct tracer *t, pid_t tgid);

/* Source gl: probes the EGL and GLX functions of the files @tgid maps that
 * were not looked at yet (call again when it maps more), and fills the
 * texture formats. */
int tracer__attach_gl(struct tracer *t, pid_t tgid);

/* Probes the EGL and GLX functions of the system's GL libraries (glvnd's
 * libEGL, libGLX, libGL in @tgid's library directories) before @tgid maps
 * them: a uprobe on a file takes effect when it is mapped, so the contexts a
 * program makes right after loading GL are seen. Returns 0 or -errno. */
int tracer__attach_gl_ahead(struct tracer *t, pid_t tgid);

/* The threads of @tgid and their thread pointers, through a BPF task
 * iterator: up to @max to @out; returns how many or a negative errno. */
struct tracer_thread {
	pid_t tid;
	__u64 tp;
};
int tracer__gl_threads(struct tracer *t, pid_t tgid, struct tracer_thread *out, size_t max);

/* Probes the GL implementations @impls found in @tgid (see gl_discover()),
 * those not probed yet; returns how many were new or a negative errno. */
struct gl_impl;
int tracer__attach_gl_impls(struct tracer *t, pid_t tgid, const struct gl_impl *impls, size_t n);

/* Whether a thread of a traced process stops itself when it first makes a
 * GL context current, until user space has probed the driver (and sends it
 * SIGCONT). */
int tracer__stop_on_gl(struct tracer *t, bool on);

/* Launch support: make @tgid stop itself at its next exec (and clear that),
 * and stop at the entry point of the executable it runs now. */
int tracer__stop_on_exec(struct tracer *t, bool on);
int tracer__attach_entry_stop(struct tracer *t, pid_t tgid);
void tracer__detach_entry_stop(struct tracer *t);

/* Whether probes are attached with uprobe_multi links: else with perf-event
 * uprobes, which want CAP_SYS_ADMIN since the fix of CVE-2025-38466 (Linux
 * 6.16 and the stable kernels it went to), where CAP_PERFMON was enough. */
bool tracer__uses_uprobe_multi(const struct tracer *t);

/* Measures what a probe costs a call on this host (attach_calib.c): a few
 * milliseconds with probes on a function of leaktrace's own, for its own
 * process only, which a thread then detaches; tracer__calibrated() waits
 * until they are gone (tracer__destroy() too). Returns 0 and fills @out, or
 * a negative errno with @out zeroed (the cost unknown; nothing else fails). */
int tracer__calibrate(struct tracer *t, struct trap_cost *out);
void tracer__calibrated(struct tracer *t);

/* Kernel memory held by the BPF maps, in bytes (what fdinfo's memlock says). */
unsigned long long tracer__bpf_memory(const struct tracer *t);

/* What was attached, for the report's start record; valid until destroy. */
const struct report_probe *tracer__probes(const struct tracer *t, size_t *nr,
					  unsigned int *failures);

#endif
