// SPDX-License-Identifier: GPL-2.0-only
/* Source gl (bpf/gl.bpf.h): the GL, GLES and EGL objects of a process that
 * maps a GL library. EGL and GLX functions are probed as soon as the library
 * is mapped; the driver's GL functions once a thread has a current context,
 * found through its dispatch table (gl.c). */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "app.h"
#include "attach.h"
#include "gl.h"
#include "hashmap.h"
#include "launch.h"
#include <linux/types.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "log.h"
#include "source.h"
#include "srcdesc.h"

/* What is known of a process that maps a GL library (a->gl_procs: its
 * tgid -> these bits): under --system each such process's, else the
 * target's. */
#define GL_EGL 1UL    /* its EGL and GLX functions are probed */
#define GL_DRIVER 2UL /* its driver's GL functions are probed */

static unsigned long gl_state(const struct app *a, pid_t pid)
{
	__u32 key = pid;

	return a->gl_procs ? (unsigned long)hashmap__get(a->gl_procs, &key) : 0;
}

static void gl_set(struct app *a, pid_t pid, unsigned long bits)
{
	__u32 key = pid;

	if (!a->gl_procs)
		a->gl_procs = hashmap__new(sizeof(key));
	if (a->gl_procs)
		hashmap__put(a->gl_procs, &key, (void *)(gl_state(a, pid) | bits));
}

/* Probes the driver's GL functions, which the dispatch table of thread @tid
 * of @pid leads to (@tp: its thread pointer), if not done yet. @current: the
 * thread has just made a context current, so failing to find them is worth a
 * warning (once a run); any thread may be tried otherwise (at attach, before
 * any context exists or Mesa is even loaded). Under --system the probes
 * serve every process that maps the same driver: for those after the first,
 * none is new. */
static void gl_found(struct app *a, pid_t pid, pid_t tid, __u64 tp, bool current)
{
	struct gl_impl impls[128];
	int n, added;

	n = gl_discover(pid, tp, impls, sizeof(impls) / sizeof(impls[0]));
	if (n < 0 && n != -ESRCH && current && !a->gl_warned) {
		a->gl_warned = true;
		lt_warn("pid %d: cannot find its GL driver's functions: %s; only EGL and GLX "
			"objects are traced",
			pid,
			n == -ENOENT	? "it does not use Mesa's dispatch (libglapi)"
			: n == -ENOTSUP ? "its libglapi has no table of GL names leaktrace can read"
					: strerror(-n));
	}
	if (n <= 0)
		return;
	added = tracer__attach_gl_impls(a->tracer, pid, impls, n);
	if (added < 0) {
		lt_warn("pid %d: cannot probe its GL driver: %s; GL objects are not traced", pid,
			strerror(-added));
		return;
	}
	if (added)
		lt_info("pid %d: %d GL functions probed in its driver (found through thread %d)",
			pid, added, tid);
	a->sources |= LT_SRC_GL;
	gl_set(a, pid, GL_EGL | GL_DRIVER);
}

/* The EGL and GLX functions of the system's GL libraries, probed once, before
 * any process is seen to use them: a program that loads GL and makes its
 * context right away is seen before its first report (under --system, for
 * every process: those of the system's root, pid 1's). */
static void gl_ahead(struct app *a, pid_t pid)
{
	int err;

	if (a->gl_ahead)
		return;
	a->gl_ahead = true;
	err = tracer__attach_gl_ahead(a->tracer, a->procs ? 1 : pid);
	if (err)
		lt_warn("cannot probe the system's EGL and GLX libraries: %s; contexts made "
			"right after GL is loaded may be missed",
			strerror(-err));
}

/* Traces the GL, GLES and EGL objects of process @pid, if the gl source is
 * on and it maps a GL library: probes the EGL and GLX functions, and the
 * driver's GL functions as soon as a thread has a current context (now, or
 * when one makes a context current). Called at attach, when new code is
 * mapped, and at each report until the driver is found; under --system,
 * when the process is seen to exec or map new code. */
static int setup_gl(struct app *a, pid_t pid)
{
	struct tracer_thread threads[256];
	int n, err;

	if (!(a->settings.sources & LT_SRC_GL))
		return 0;
	gl_ahead(a, pid);
	if (!gl_in_use(pid))
		return 0;
	if (!(a->sources & LT_SRC_GL))
		lt_info(a->procs ? "pid %d uses GL: tracing the GL and EGL objects of each process "
				   "that does"
				 : "pid %d uses GL: tracing its GL and EGL objects",
			pid);
	a->sources |= LT_SRC_GL;
	err = tracer__attach_gl(a->tracer, pid);
	if (err == -ESRCH && a->procs)
		return 0;
	if (err) {
		lt_warn("pid %d: cannot probe its EGL and GLX functions: %s", pid, strerror(-err));
		/* one process of the system is not worth ending the run */
		return a->procs ? 0 : err;
	}
	gl_set(a, pid, GL_EGL);
	if (gl_state(a, pid) & GL_DRIVER)
		return 0;
	n = tracer__gl_threads(a->tracer, pid, threads, sizeof(threads) / sizeof(threads[0]));
	if (n < 0)
		lt_debug("pid %d: cannot list its threads: %s", pid, strerror(-n));
	for (int i = 0; i < n && !(gl_state(a, pid) & GL_DRIVER); i++)
		gl_found(a, pid, threads[i].tid, threads[i].tp, false);
	return 0;
}

static int gl_on_ready(struct app *a, pid_t pid, bool later)
{
	(void)later;
	setup_gl(a, pid);
	return 0;
}

/* a GL library may have come with new code (SDL and Kivy load libGL late) */
static void gl_code_mapped(struct app *a, pid_t pid)
{
	if (!a->exec_pending)
		setup_gl(a, pid);
}

/* --system: a process exec'd or mapped new code */
static void gl_seen(struct app *a, pid_t pid)
{
	setup_gl(a, pid);
}

/* the process replaced its image, or exited: its driver is found again */
static void gl_forget(struct app *a, pid_t pid)
{
	__u32 key = pid;

	if (a->gl_procs)
		hashmap__remove(a->gl_procs, &key);
}

/* New GL libraries come with new code; here only the target's driver is
 * looked for again, until it is found. Under --system, a process that makes
 * a context current later says so (app_gl_thread()). */
static void gl_after_sample(struct app *a, const struct lt_sample *samples, size_t n)
{
	(void)samples;
	(void)n;
	if (!a->exec_pending && !a->procs && !(gl_state(a, a->pid) & GL_DRIVER))
		setup_gl(a, a->pid);
}

static void gl_done(struct app *a)
{
	hashmap__free(a->gl_procs);
	a->gl_procs = NULL;
}

/* The GL and EGL functions' probes, the iterator that finds each thread's
 * dispatch table, and what the programs keep of share groups, bindings and
 * texture levels and formats: no map of them is made in a run without GL. */
static void gl_owns(const struct leaktrace_bpf *p, struct src_owned *o)
{
	*o = (struct src_owned){
		.progs = { p->progs.gl_enter, p->progs.gl_exit, p->progs.gl_threads },
		.maps = { p->maps.glgroups, p->maps.glbinds, p->maps.glunits, p->maps.gllevels,
			  p->maps.glformats },
	};
}

/* Counted, in objects: a texture's, buffer's or renderbuffer's bytes where
 * the report could derive them. */
static const struct src_kind gl_kinds[] = {
	{ .kind = LT_KIND_GL_TEXTURE, .name = "gl.texture" },
	{ .kind = LT_KIND_GL_BUFFER, .name = "gl.buffer" },
	{ .kind = LT_KIND_GL_FRAMEBUFFER, .name = "gl.framebuffer" },
	{ .kind = LT_KIND_GL_RENDERBUFFER, .name = "gl.renderbuffer" },
	{ .kind = LT_KIND_GL_SHADER, .name = "gl.shader" },
	{ .kind = LT_KIND_GL_PROGRAM, .name = "gl.program" },
	{ .kind = LT_KIND_GL_VERTEX_ARRAY, .name = "gl.vertex_array" },
	{ .kind = LT_KIND_EGL_CONTEXT, .name = "egl.context" },
	{ .kind = LT_KIND_EGL_SURFACE, .name = "egl.surface" },
};

static const struct src_desc gl = {
	.name = "gl",
	.bit = LT_SRC_GL,
	.traps = true,
	.owns = gl_owns,
	.kinds = gl_kinds,
	.nr_kinds = sizeof(gl_kinds) / sizeof(gl_kinds[0]),
};

const struct source_ops src_gl = {
	.name = "gl",
	.descs = (const struct src_desc *const[]){ &gl, NULL },
	.ready = gl_on_ready,
	.code_mapped = gl_code_mapped,
	.exec = gl_forget,
	.seen = gl_seen,
	.exited = gl_forget,
	.after_sample = gl_after_sample,
	.done = gl_done,
};

/* A thread made a GL context current: probe the driver it dispatches to, and
 * let the launched command go on (it stopped itself for this). Under
 * --system, any process's thread. */
void app_gl_thread(void *ctx, pid_t pid, pid_t tid, __u64 tp)
{
	struct app *a = ctx;

	if (!a->procs && pid != a->pid)
		return;
	gl_found(a, pid, tid, tp, true);
	if (a->launch)
		kill(pid, SIGCONT);
}
