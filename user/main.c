// SPDX-License-Identifier: GPL-2.0-only
/* leaktrace: options, wiring the modules together (attach -> collect ->
 * symbolize -> report), the event loop, and the exit status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "attach.h"
#include "backrefs.h"
#include "check.h"
#include "census.h"
#include "collect.h"
#include "arena.h"
#include "elfsym.h"
#include "escape.h"
#include "launch.h"
#include "log.h"
#include "options.h"
#include "folded.h"
#include "output.h"
#include "pprof.h"
#include "pace.h"
#include "procmaps.h"
#include "procs.h"
#include "pyresolve.h"
#include "python.h"
#include "gl.h"
#include "hashmap.h"
#include "report.h"
#include "sandbox.h"
#include "symbolize.h"
#include "syssites.h"
#include "unwind.h"

enum exit_status {
	EXIT_DONE = 0,
	EXIT_RUNTIME = 1,
	EXIT_INPUT = 2,
	EXIT_GROWTH = 3,
};

struct app {
	struct lt_settings settings;
	struct tracer *tracer;
	struct collector *collector;
	struct symbolizer *symbolizer;
	struct unwinder *unwinder; /* NULL under --unwind fp */
	struct pyresolver *pyresolver;
	struct census *census; /* the target's Python objects by type; NULL: none */
	unsigned int py_major, py_minor;
	__u64 backrefs_done; /* the type whose chain was printed without --backrefs */
	FILE *dot_file;	     /* --backrefs-dot */
	struct report *report;
	struct launch *launch;
	struct procs *procs;	   /* --system: names, and processes to look at */
	struct syssites *syssites; /* source fd: the syscall instructions found */
	struct pace *pace;	   /* when reports are due, what holds them back */
	FILE *json_file;
	FILE *folded_file; /* --folded */
	FILE *pprof_file;  /* --pprof */
	pid_t pid;
	char comm[64];
	unsigned int sources; /* what is traced: settings' sources, as the target has them */
	__u64 py_runtime;     /* address of the target's _PyRuntime, when it runs CPython */
	struct timespec start;
	struct timespec start_wall; /* CLOCK_REALTIME beside start */
	bool exec_pending;	    /* the launched command exec'd and stopped itself */
	bool gl_ready;		    /* the GL driver's functions are probed */
	bool gl_warned;		    /* said why they cannot be */
	bool gl_ahead;		    /* the system's EGL and GLX libraries are probed */
	bool command_ended;	    /* the command of -- COMMAND ended by itself */
};

/* Bounds of one census read: beyond them it is cut short, and said so. */
#define CENSUS_MAX_OBJECTS (50ULL * 1000 * 1000)
#define CENSUS_MAX_MS 2000.0
/* Bounds of one backrefs search */
#define BACKREFS_MAX_OBJECTS (1ULL << 20)
#define BACKREFS_MAX_MS 2000.0
#define BACKREFS_TRIES 3

/* Errors that come from what the user asked for (exit 2), not from a failure
 * while doing it (exit 1). */
static int status_of(int err)
{
	switch (-err) {
	case EPERM:
	case ENOENT:
	case ESRCH:
	case ENOEXEC:
		return EXIT_INPUT;
	default:
		return EXIT_RUNTIME;
	}
}

static double elapsed(const struct app *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - a->start.tv_sec) + (now.tv_nsec - a->start.tv_nsec) * 1e-9;
}

static void read_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "?");
	buf[strcspn(buf, "\n")] = 0;
	if (f)
		fclose(f);
}

/* Checks that @pid names a user process leaktrace can trace; returns its
 * thread group id, or a negative errno after saying why not. */
static pid_t check_pid(pid_t pid)
{
	char path[64], line[256], state = 0;
	pid_t tgid = 0;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f) {
		lt_error("cannot attach to pid %d: no such process", pid);
		return -ESRCH;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "State: %c", &state) == 1 || sscanf(line, "Tgid: %d", &tgid) == 1)
			if (state && tgid)
				break;
	fclose(f);

	if (lt_pid_is_kthread(pid) == 1) {
		lt_error("cannot trace pid %d: it is a kernel thread, which has no user space "
			 "to probe",
			 pid);
		return -EINVAL;
	}
	if (state == 'Z' || state == 'X') {
		lt_error("cannot trace pid %d: it has exited (a zombie until its parent reaps it)",
			 pid);
		return -ESRCH;
	}
	if (tgid == getpid()) {
		lt_error("cannot trace pid %d: it is leaktrace itself", pid);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f || fgetc(f) == EOF) {
		err = f && !ferror(f) ? ESRCH : errno;
		if (f)
			fclose(f);
		lt_error("cannot trace pid %d: cannot read %s: %s%s", pid, path, strerror(err),
			 err == EACCES || err == EPERM
				 ? "; run as root (with CAP_SYS_PTRACE, outside its user namespace)"
				 : "");
		return err == ESRCH ? -ESRCH : -EPERM;
	}
	fclose(f);
	if (tgid && tgid != pid)
		lt_info("pid %d is a thread of process %d: tracing the whole process", pid, tgid);
	return tgid ? tgid : pid;
}

static int setup_python(struct app *a, pid_t pid);
static void setup_census(struct app *a, pid_t pid);
static void setup_unwind(struct app *a, pid_t pid, bool later);
static int setup_gl(struct app *a, pid_t pid);
static void setup_fd(struct app *a, pid_t pid);
static void gl_found(struct app *a, pid_t pid, pid_t tid, __u64 tp, bool current);

/* --- callbacks between modules --- */

static size_t cb_frames(void *ctx, __u32 tgid, __u64 stack, const __u64 **frames)
{
	struct app *a = ctx;

	return collector__frames(a->collector, tgid, stack, frames);
}

static size_t cb_resolve(void *ctx, __u32 tgid, __u64 addr, struct lt_frame *out, size_t max)
{
	struct app *a = ctx;

	return symbolizer__resolve_inline(a->symbolizer, tgid, addr, out, max);
}

static void cb_resolve_py(void *ctx, __u32 tgid, __u64 entry, struct lt_frame *out)
{
	struct app *a = ctx;
	struct py_frame pf;
	__u64 code = entry & LT_PY_CODE_MASK;

	*out = (struct lt_frame){ .addr = code, .module = "[python]", .python = true };
	if (pyresolver__frame(a->pyresolver, tgid, code,
			      (entry >> LT_PY_INSTR_SHIFT) & LT_PY_INSTR_MAX, &pf))
		return;
	out->func = pf.func;
	out->file = pf.file;
	out->module = pf.file;
	out->line = pf.line;
}

static const char *cb_type_name(void *ctx, __u32 tgid, __u64 type)
{
	struct app *a = ctx;

	return pyresolver__type_name(a->pyresolver, tgid, type);
}

static const char *cb_comm(void *ctx, __u32 tgid)
{
	struct app *a = ctx;

	if (a->procs)
		return procs__comm(a->procs, tgid);
	return (pid_t)tgid == a->pid ? a->comm : NULL;
}

static int cb_ra_offset(void *ctx, pid_t pid, __u64 ip, __u64 *off)
{
	struct app *a = ctx;

	return symbolizer__ra_offset(a->symbolizer, pid, ip, off);
}

static unsigned int cb_arena(void *ctx, pid_t pid, __u64 ip)
{
	struct app *a = ctx;
	struct lt_frame f;

	/* a return address: the frame of the call, as a report shows it */
	symbolizer__resolve(a->symbolizer, pid, ip, &f);
	return lt_arena_of(f.func, f.module);
}

static int cb_code_at(void *ctx, pid_t pid, __u64 addr)
{
	struct app *a = ctx;

	return symbolizer__code_at(a->symbolizer, pid, addr);
}

static void cb_code_mapped(void *ctx, pid_t pid)
{
	struct app *a = ctx;

	if (a->procs) {
		/* looked at from the loop: a new allocator may have come; its
		 * mappings are read again when next needed */
		procs__touch(a->procs, pid);
		symbolizer__forget(a->symbolizer, pid);
		return;
	}
	symbolizer__refresh(a->symbolizer, pid);
	setup_fd(a, pid);
	setup_unwind(a, pid, true);
	/* a GL library may have come with it (SDL and Kivy load libGL late) */
	if (!a->exec_pending)
		setup_gl(a, pid);
}

/* A thread made a GL context current: probe the driver it dispatches to, and
 * let the launched command go on (it stopped itself for this). */
static void cb_gl_thread(void *ctx, pid_t pid, pid_t tid, __u64 tp)
{
	struct app *a = ctx;

	if (pid != a->pid)
		return;
	gl_found(a, pid, tid, tp, true);
	if (a->launch)
		kill(pid, SIGCONT);
}

static void cb_exec(void *ctx, pid_t pid, const char *comm)
{
	struct app *a = ctx;

	symbolizer__forget(a->symbolizer, pid);
	if (a->unwinder)
		unwinder__forget(a->unwinder, pid);
	if (a->syssites) {
		syssites__forget(a->syssites, pid);
		tracer__forget_sys_frames(a->tracer, pid);
	}
	if (a->procs) {
		/* the old image's stacks leave the report at the next one, as
		 * they leave the collector */
		procs__replaced(a->procs, pid);
		procs__named(a->procs, pid, comm);
		procs__touch(a->procs, pid);
		return;
	}
	census__free(a->census);
	a->census = NULL;
	if (a->launch) {
		pyresolver__forget(a->pyresolver, pid);
		a->gl_ready = false;
		/* It stopped itself at exec; the event loop arms the new image. */
		a->exec_pending = true;
		return;
	}
	read_comm(pid, a->comm, sizeof(a->comm));
	lt_info("pid %d exec'd %s: probing its new image", pid, a->comm);
	symbolizer__refresh(a->symbolizer, pid);
	setup_unwind(a, pid, true);
	pyresolver__forget(a->pyresolver, pid);
	a->gl_ready = false;
	setup_fd(a, pid);
	if (!tracer__attach(a->tracer, pid) && !setup_python(a, pid))
		setup_gl(a, pid);
	setup_census(a, pid);
}

static void cb_exit(void *ctx, pid_t pid, const char *comm)
{
	struct app *a = ctx;

	if (a->procs)
		procs__exited(a->procs, pid, comm);
}

/* --system: probes the allocators of the processes that exec'd or mapped
 * new code since last time, those not probed yet. Returns how many. */
static size_t look_at_new(struct app *a)
{
	pid_t pids[256];
	size_t n, all = 0;

	if (!a->procs)
		return 0;
	while ((n = procs__take_touched(a->procs, pids, 256))) {
		for (size_t i = 0; i < n; i++) {
			tracer__attach_new(a->tracer, pids[i]);
			unwinder__code_mapped(a->unwinder, pids[i]);
		}
		all += n;
	}
	return all;
}

/* --system: notes as exited the processes of @samples that are gone, should
 * their exit event have been missed (lost, or before the tracepoint). */
static void sweep_gone(struct app *a, const struct lt_sample *samples, size_t n)
{
	struct hashmap *seen;

	if (!a->procs || !(seen = hashmap__new(sizeof(__u32))))
		return;
	/* once a process, not once a stack */
	for (size_t i = 0; i < n; i++) {
		__u32 tgid = samples[i].tgid;

		if (hashmap__get(seen, &tgid) || hashmap__put(seen, &tgid, (void *)1))
			continue;
		if (kill(tgid, 0) && errno == ESRCH)
			procs__exited(a->procs, tgid, "?");
	}
	hashmap__free(seen);
}

/* --system: releases what is kept of the processes that exited, in the
 * report, the collector (BPF maps included) and the symbolizer, and what the
 * report kept of the images that processes replaced with exec. Returns how
 * many processes. */
static size_t release_exited(struct app *a)
{
	const char *comms[1024];
	__u32 tgids[1024];
	pid_t pids[1024];
	size_t n, all = 0;

	if (!a->procs)
		return 0;
	/* exited first: one that exec'd and exited is said to exit */
	while ((n = procs__take_exited(a->procs, pids, 1024))) {
		for (size_t i = 0; i < n; i++) {
			tgids[i] = pids[i];
			comms[i] = procs__comm(a->procs, pids[i]);
			symbolizer__forget(a->symbolizer, pids[i]);
			unwinder__forget(a->unwinder, pids[i]);
		}
		report__forget_many(a->report, tgids, comms, n);
		collector__forget_many(a->collector, pids, n);
		all += n;
	}
	while ((n = procs__take_replaced(a->procs, pids, 1024))) {
		for (size_t i = 0; i < n; i++)
			tgids[i] = pids[i];
		report__forget_many(a->report, tgids, NULL, n);
		all += n;
	}
	return all;
}

/* Gives the BPF side the unwind tables of what @pid maps now; @later: from
 * the unwinder's thread, while the event loop goes on (a program that
 * loaded a library runs on meanwhile, and may stop itself for the loop). */
static void setup_unwind(struct app *a, pid_t pid, bool later)
{
	int err;

	if (!a->unwinder)
		return;
	if (later) {
		unwinder__refresh_later(a->unwinder, pid);
		return;
	}
	err = unwinder__refresh(a->unwinder, pid);
	if (err && err != -ESRCH)
		lt_warn("pid %d: cannot load its unwind tables: %s; its stacks are walked with "
			"frame pointers",
			pid, strerror(-err));
}

/* Traces the CPython that process @pid runs, if any, and if the python source
 * is on: its objects, and Python frames in its stacks. */
static int setup_python(struct app *a, pid_t pid)
{
	struct py_target py;
	unsigned int major, minor;
	int err;

	if (!(a->settings.sources & LT_SRC_PYTHON))
		return 0;
	a->sources &= ~LT_SRC_PYTHON;
	err = py_target_find(pid, &py, &major, &minor);
	if (err == -ENOTSUP) {
		lt_warn("pid %d runs CPython %u.%u (%s), for which leaktrace has no layout: no "
			"Python frames or objects",
			pid, major, minor, py.shown);
		return 0;
	}
	if (err) {
		if (!a->settings.sources_auto)
			lt_warn("pid %d runs no CPython that leaktrace can find: no Python frames "
				"or objects",
				pid);
		return 0;
	}
	err = tracer__attach_python(a->tracer, pid, &py);
	if (err)
		return err;
	err = pyresolver__add(a->pyresolver, pid, py.layout);
	if (err)
		return err;
	lt_info("pid %d runs CPython %u.%u in %s", pid, py.layout->major, py.layout->minor,
		py.shown);
	a->py_runtime = py.runtime;
	a->sources |= LT_SRC_PYTHON;
	return 0;
}

/* Counts the objects of the CPython that process @pid runs, if any, every
 * interval (census.c): no probe, so on by default. */
static void setup_census(struct app *a, pid_t pid)
{
	const struct census_limits lim = {
		.max_objects = CENSUS_MAX_OBJECTS,
		.max_ms = CENSUS_MAX_MS,
	};
	struct py_target py;
	unsigned int major, minor;
	int err;

	if (a->settings.census == LT_CENSUS_OFF || a->settings.system || a->census)
		return;
	err = py_target_find(pid, &py, &major, &minor);
	if (err) {
		if (a->settings.census == LT_CENSUS_ON || a->settings.backrefs) {
			if (err == -ENOTSUP)
				lt_warn("pid %d runs CPython %u.%u (%s), for which leaktrace has "
					"no "
					"layout: no census",
					pid, major, minor, py.shown);
			else
				lt_warn("pid %d runs no CPython that leaktrace can find: no census",
					pid);
		}
		return;
	}
	a->census = census__new(pid, py.layout, py.runtime, py.type_type, a->settings.window,
				a->settings.top, &lim);
	if (!a->census) {
		lt_warn("cannot count pid %d's Python objects: %s", pid, strerror(errno));
		return;
	}
	a->py_major = py.layout->major;
	a->py_minor = py.layout->minor;
	lt_info("pid %d: census of CPython %u.%u objects, read every interval", pid, a->py_major,
		a->py_minor);
}

/* Probes the driver's GL functions, which the dispatch table of thread @tid
 * of @pid leads to (@tp: its thread pointer), if not done yet. @current: the
 * thread has just made a context current, so failing to find them is worth a
 * warning; any thread may be tried otherwise (at attach, before any context
 * exists or Mesa is even loaded). */
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
	a->gl_ready = true;
}

/* Traces the GL, GLES and EGL objects of process @pid, if the gl source is
 * on and it maps a GL library: probes the EGL and GLX functions, and the
 * driver's GL functions as soon as a thread has a current context (now, or
 * when one makes a context current). Called at attach, when new code is
 * mapped, and at each report until the driver is found. */
static int setup_gl(struct app *a, pid_t pid)
{
	struct tracer_thread threads[256];
	int n, err;

	if (!(a->settings.sources & LT_SRC_GL))
		return 0;
	if (!a->gl_ahead) {
		a->gl_ahead = true;
		err = tracer__attach_gl_ahead(a->tracer, pid);
		if (err)
			lt_warn("pid %d: cannot probe the system's EGL and GLX libraries: %s; "
				"contexts made right after GL is loaded may be missed",
				pid, strerror(-err));
	}
	if (!gl_in_use(pid))
		return 0;
	if (!(a->sources & LT_SRC_GL))
		lt_info("pid %d uses GL: tracing its GL and EGL objects", pid);
	a->sources |= LT_SRC_GL;
	err = tracer__attach_gl(a->tracer, pid);
	if (err) {
		lt_warn("pid %d: cannot probe its EGL and GLX functions: %s", pid, strerror(-err));
		return err;
	}
	if (a->gl_ready)
		return 0;
	n = tracer__gl_threads(a->tracer, pid, threads, sizeof(threads) / sizeof(threads[0]));
	if (n < 0)
		lt_debug("pid %d: cannot list its threads: %s", pid, strerror(-n));
	for (int i = 0; i < n && !a->gl_ready; i++)
		gl_found(a, pid, threads[i].tid, threads[i].tp, false);
	return 0;
}

struct fd_scan {
	struct app *a;
	pid_t pid;
	int known; /* sites whose wrapper's CFI says where its caller is */
};

static void fd_site(void *ctx, __u64 ip)
{
	struct fd_scan *sc = ctx;
	__u64 ra_off;
	__s64 fp_off;

	if (symbolizer__sys_frame(sc->a->symbolizer, sc->pid, ip, &ra_off, &fp_off))
		return;
	if (!tracer__add_sys_frame(sc->a->tracer, sc->pid, ip, ra_off, fp_off))
		sc->known++;
}

/* Source fd: tells the BPF side, for each syscall instruction in the code of
 * @pid not seen yet, where its wrapper keeps the return address into its
 * caller, so that a descriptor's stack starts at the function that called
 * open() or socket(). Called at attach, before a launched command runs, and
 * when new code is mapped. */
static void setup_fd(struct app *a, pid_t pid)
{
	struct fd_scan sc = { .a = a, .pid = pid };
	int n;

	if (!(a->settings.sources & LT_SRC_FD) || a->settings.floor)
		return;
	if (!a->syssites)
		a->syssites = syssites__new();
	if (!a->syssites)
		return;
	n = syssites__scan(a->syssites, pid, fd_site, &sc);
	if (n < 0)
		lt_debug("pid %d: cannot scan its code for syscalls: %s", pid, strerror(-n));
	else if (n)
		lt_debug("pid %d: %d syscall sites, %d with a known caller", pid, n, sc.known);
}

/* Names the Python frames and types of every stack sampled, while the process
 * can still be read: what is named now is named after it exits too. */
static void prefetch_python(struct app *a, const struct lt_sample *samples, size_t n)
{
	struct py_frame pf;

	if (!(a->sources & LT_SRC_PYTHON))
		return;
	for (size_t i = 0; i < n; i++) {
		const __u64 *ips;
		size_t nr = collector__frames(a->collector, samples[i].tgid, samples[i].stack,
					      &ips);

		for (size_t j = 0; j < nr; j++)
			if (ips[j] & LT_PY_FRAME)
				pyresolver__frame(
					a->pyresolver, samples[i].tgid, ips[j] & LT_PY_CODE_MASK,
					(ips[j] >> LT_PY_INSTR_SHIFT) & LT_PY_INSTR_MAX, &pf);
		if (samples[i].kind == LT_KIND_PYOBJ)
			pyresolver__type_name(a->pyresolver, samples[i].tgid, samples[i].aux);
	}
}

/* --- launching a command --- */

/* The launched command has exec'd and stopped itself before its first
 * instruction. A dynamically linked program's libraries are not mapped yet:
 * let it run to its entry point, where they are, and stop it there. Then
 * probe what it maps and let it go. */
static int arm_after_exec(struct app *a)
{
	pid_t pid = a->pid;
	char exe[64];
	struct elf_file *elf;
	bool dynamic;
	int err, exec_err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	elf = elf_file__open(exe);
	dynamic = elf && elf_file__has_interp(elf);
	elf_file__free(elf);
	if (dynamic) {
		err = tracer__attach_entry_stop(a->tracer, pid);
		if (err) {
			lt_error("cannot stop pid %d at its entry point: %s", pid, strerror(-err));
			return err;
		}
		kill(pid, SIGCONT);
		err = launch__wait_stop(a->launch, &exec_err);
		tracer__detach_entry_stop(a->tracer);
		if (err < 0)
			return err;
		if (err == 0) {
			lt_error("the command exited before its main function ran");
			return -ESRCH;
		}
	}
	read_comm(pid, a->comm, sizeof(a->comm));
	symbolizer__refresh(a->symbolizer, pid);
	setup_fd(a, pid);
	setup_unwind(a, pid, false);
	err = tracer__attach(a->tracer, pid);
	if (!err)
		err = setup_python(a, pid);
	if (!err)
		setup_gl(a, pid);
	if (err)
		return err;
	setup_census(a, pid);
	kill(pid, SIGCONT);
	return 0;
}

static int start_command(struct app *a)
{
	int err, exec_err;

	tracer__stop_on_exec(a->tracer, true);
	/* it stops when it first makes a GL context current, for the driver
	 * to be probed before it makes any object */
	tracer__stop_on_gl(a->tracer, true);
	err = launch__release(a->launch);
	if (err)
		return err;
	err = launch__wait_stop(a->launch, &exec_err);
	if (err < 0)
		return err;
	if (err == 0) {
		lt_error("cannot run '%s': %s", a->settings.command[0],
			 exec_err ? strerror(exec_err) : "it exited at once");
		return exec_err ? -ENOENT : -ESRCH;
	}
	/* The exec event comes through the ring buffer; the stop is what counts. */
	collector__consume(a->collector);
	a->exec_pending = false;
	return arm_after_exec(a);
}

/* --- the loop --- */

enum wake {
	WAKE_RING,
	WAKE_TIMER,
	WAKE_SIGNAL,
	WAKE_TARGET,
	WAKE_DURATION,
};

static int add_fd(int ep, int fd, enum wake what)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = what };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int timer_fd(double first, double every)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	struct itimerspec its = { 0 };

	if (fd < 0)
		return -errno;
	its.it_value.tv_sec = (time_t)first;
	its.it_value.tv_nsec = (long)((first - (time_t)first) * 1e9);
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;
	its.it_interval.tv_sec = (time_t)every;
	its.it_interval.tv_nsec = (long)((every - (time_t)every) * 1e9);
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Resident memory now and at peak, from /proc/self/status. */
static void self_rss(unsigned long long *rss, unsigned long long *peak)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	unsigned long long kib;

	*rss = *peak = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
			*rss = kib * 1024;
		else if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
			*peak = kib * 1024;
	}
	if (f)
		fclose(f);
}

/* With -v, at the end: how many of the stacks recorded reach the program's
 * or a thread's start (one of their three outermost native frames is main,
 * __libc_start_main, start_thread...), the measure of how well stacks are
 * walked. Stacks cut at --stack-depth are told apart. */
static void say_completeness(struct app *a, const struct lt_sample *samples, size_t n)
{
	size_t stacks = 0, complete = 0, cut = 0;
	struct lt_frame fr;

	for (size_t i = 0; i < n; i++) {
		const __u64 *ips;
		size_t nr = collector__frames(a->collector, samples[i].tgid, samples[i].stack,
					      &ips),
		       native = 0;

		/* the same stack comes once per kind and type */
		if (!nr || (i && samples[i].stack == samples[i - 1].stack &&
			    samples[i].tgid == samples[i - 1].tgid))
			continue;
		while (native < nr && native < a->settings.stack_depth && ips[native] &&
		       !(ips[native] & LT_PY_FRAME))
			native++;
		if (!native)
			continue;
		stacks++;
		/* _start of a stripped executable has no name: look at the
		 * libc frames before it too */
		for (size_t j = native; j > 0 && j + 3 > native; j--) {
			symbolizer__resolve(a->symbolizer, samples[i].tgid, ips[j - 1], &fr);
			if (unwind_is_start(fr.func)) {
				complete++;
				break;
			}
			if (j == native && native == a->settings.stack_depth) {
				cut++;
				break;
			}
		}
	}
	lt_info("stacks: %zu of %zu reach main or a thread start (%.1f%%), %zu cut at "
		"--stack-depth",
		complete, stacks, stacks ? 100.0 * complete / stacks : 0.0, cut);
}

/* The chain that keeps an object of the type asked for (--backrefs TYPE,
 * each report), or else of the top growing type once it is a suspect over
 * a whole window (once per type), after the interval's report. */
static int backrefs_now(struct app *a)
{
	const char *want = a->settings.backrefs;
	const struct census_row *rows, *row = NULL;
	struct backref_chain ch;
	char name[128];
	int err;

	if (!a->census || census__stats(a->census)->error)
		return 0;
	if (want) {
		row = census__find(a->census, want);
		if (!row)
			return 0;
	} else if (census__stats(a->census)->reads > a->settings.window &&
		   census__rank(a->census, &rows) && rows[0].suspect &&
		   rows[0].type_addr != a->backrefs_done) {
		/* only once a whole window is read: at the start, a type
		 * caught twice between its churn's allocations and frees would
		 * look like one that keeps growing (2 of 3 intervals) */
		row = &rows[0];
	}
	if (!row)
		return 0;
	snprintf(name, sizeof(name), "%s", row->type);
	/* a link that moved before it was read again (a dict that grew and
	 * moved its entries): search again, a few times */
	for (int try = 0; try < BACKREFS_TRIES; try++) {
		err = backrefs__find(a->census, row->type_addr, BACKREFS_MAX_MS,
				     BACKREFS_MAX_OBJECTS, &ch);
		if (err != -EAGAIN)
			break;
	}
	if (err == -ESRCH)
		return 0;
	if (!want)
		a->backrefs_done = row->type_addr;
	if (!err && a->dot_file) {
		rewind(a->dot_file);
		if (ftruncate(fileno(a->dot_file), 0) == 0) {
			backrefs__dot(&ch, a->dot_file);
			fflush(a->dot_file);
		}
	}
	return report__backrefs(a->report, a->pid, name, &ch, err);
}

static int report_now(struct app *a, const char *reason)
{
	struct report_status st = { .pid = a->pid };
	struct report_census census_view = { 0 };
	struct report_counter counters[32];
	const struct lt_sample *samples;
	__u64 freed[2 * LT_PY_FREE_MAX];
	int nfreed = 0, err;
	double t0 = elapsed(a), t1;
	char late_why[160];
	size_t n;

	err = collector__consume(a->collector);
	t1 = elapsed(a);
	pace__spent(a->pace, PACE_EVENTS, t0, t1, err > 0 ? err : 0);
	n = look_at_new(a);
	t0 = elapsed(a);
	pace__spent(a->pace, PACE_NEW, t1, t0, n);
	n = release_exited(a);
	t1 = elapsed(a);
	pace__spent(a->pace, PACE_RELEASE, t0, t1, n);
	if (a->sources & LT_SRC_PYTHON) {
		nfreed = pyresolver__free_objects(a->pyresolver, a->pid, a->py_runtime, freed,
						  2 * LT_PY_FREE_MAX);
		if (nfreed > 0)
			collector__hold(a->collector, a->pid, LT_KIND_PYOBJ, freed, nfreed);
	}
	err = collector__sample(a->collector, &samples, &n);
	if (err) {
		lt_error("cannot read the BPF maps: %s", strerror(-err));
		return err;
	}
	if (nfreed > 0) {
		nfreed = pyresolver__free_objects(a->pyresolver, a->pid, a->py_runtime, freed,
						  2 * LT_PY_FREE_MAX);
		collector__discount(a->collector, a->pid, LT_KIND_PYOBJ, freed,
				    nfreed > 0 ? nfreed : 0);
	}
	pyresolver__tick(a->pyresolver);
	prefetch_python(a, samples, n);
	sweep_gone(a, samples, n);
	/* New GL libraries come with new code (cb_code_mapped); here only the
	 * driver is looked for again, until it is found. */
	if (!a->exec_pending && !a->gl_ready && !a->procs)
		setup_gl(a, a->pid);
	err = report__sample(a->report, elapsed(a), samples, n, reason != NULL);
	if (err)
		return err;
	st.counters = counters;
	st.nr_counters = collector__counters(a->collector, counters, 32);
	if (a->unwinder)
		st.nr_counters += unwinder__counters(a->unwinder, counters + st.nr_counters,
						     32 - st.nr_counters);
	if (reason && a->settings.verbose)
		say_completeness(a, samples, n);
	if (a->census) {
		t0 = elapsed(a);
		census__read(a->census);
		census_view.stats = census__stats(a->census);
		census_view.nr = census__rank(a->census, &census_view.rows);
		census_view.major = a->py_major;
		census_view.minor = a->py_minor;
		st.census = &census_view;
		t1 = elapsed(a);
		pace__spent(a->pace, PACE_CENSUS, t0, t1, census_view.stats->objects);
	}
	st.bpf_memory = tracer__bpf_memory(a->tracer) + unwinder__bpf_memory(a->unwinder);
	self_rss(&st.rss, &st.rss_peak);
	if (!reason) {
		t0 = elapsed(a);
		pace__spent(a->pace, PACE_READ, t1, t0, 0);
		st.late = pace__late(a->pace, t0, late_why, sizeof(late_why));
		st.late_reason = late_why;
	}
	t0 = elapsed(a);
	a->command_ended = reason && !strcmp(reason, "target-exited") &&
			   launch__status(a->launch, &st.command_status);
	st.command_ended = a->command_ended;
	err = report__emit(a->report, &st, reason);
	if (!err && !reason)
		err = backrefs_now(a);
	t1 = elapsed(a);
	pace__spent(a->pace, PACE_OUTPUT, t0, t1, 0);
	if (!err && !reason) {
		/* after the report: the sweep of what exited processes left in
		 * the allocs map, for up to a quarter of an interval, and never
		 * into the half before the next report */
		double budget = pace__left(a->pace, t1) - a->settings.interval / 2;

		if (budget > a->settings.interval / 4)
			budget = a->settings.interval / 4;
		collector__sweep(a->collector, budget > 0 ? budget : 0);
		pace__spent(a->pace, PACE_SWEEP, t1, elapsed(a), 0);
	}
	return err;
}

static bool target_gone(struct app *a)
{
	if (a->procs)
		return false;
	if (a->launch)
		return launch__reap(a->launch);
	return kill(a->pid, 0) && errno == ESRCH;
}

/* Runs until the target exits, the duration ends or a signal comes; then
 * prints the final report. Returns 0 or a negative errno. */
static int run(struct app *a, int sig_fd)
{
	const struct lt_settings *s = &a->settings;
	int ep = epoll_create1(EPOLL_CLOEXEC), tfd = -1, dfd = -1, pidfd = -1, err = 0;
	const char *reason = NULL;
	__u64 ticks_all = 0; /* intervals ended */

	if (ep < 0)
		return -errno;
	/* late past half an interval, or a second */
	a->pace = pace__new(s->interval, elapsed(a), s->interval / 2 < 1 ? s->interval / 2 : 1);
	if (!a->pace) {
		err = -errno;
		goto cleanup;
	}
	tfd = timer_fd(s->interval, s->interval);
	if (tfd < 0) {
		err = tfd;
		goto cleanup;
	}
	err = add_fd(ep, tfd, WAKE_TIMER);
	err = err ?: add_fd(ep, sig_fd, WAKE_SIGNAL);
	err = err ?: add_fd(ep, collector__fd(a->collector), WAKE_RING);
	if (!err && s->duration > 0) {
		dfd = timer_fd(s->duration, 0);
		err = dfd < 0 ? dfd : add_fd(ep, dfd, WAKE_DURATION);
	}
	if (!err && !a->launch && !a->procs) {
		/* A pidfd becomes readable when the process exits (Linux 5.3). */
		pidfd = syscall(SYS_pidfd_open, a->pid, 0);
		if (pidfd >= 0)
			err = add_fd(ep, pidfd, WAKE_TARGET);
	}
	if (err)
		goto cleanup;

	while (!reason) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, pidfd >= 0 || a->launch ? -1 : 1000);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (!n && target_gone(a))
			reason = "target-exited";
		for (int i = 0; i < n && !reason; i++) {
			__u64 ticks;
			struct signalfd_siginfo si;

			switch (evs[i].data.u32) {
			case WAKE_RING: {
				double t0 = elapsed(a), t1;
				int nr = collector__consume(a->collector);
				size_t looked;

				t1 = elapsed(a);
				pace__spent(a->pace, PACE_EVENTS, t0, t1, nr > 0 ? nr : 0);
				looked = look_at_new(a);
				pace__spent(a->pace, PACE_NEW, t1, elapsed(a), looked);
				break;
			}
			case WAKE_TIMER:
				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					break;
				pace__due(a->pace, ticks);
				ticks_all += ticks;
				if (target_gone(a)) {
					reason = "target-exited";
					break;
				}
				/* The interval that ends with the duration (-d 40 -i 5)
				 * is the final report's, not a report of its own just
				 * before it; the duration's timer, armed after this
				 * one, would fire a moment later. */
				if (s->duration > 0 &&
				    ticks_all * s->interval >= s->duration - /*slack_s=*/1e-3) {
					reason = "duration";
					break;
				}
				err = report_now(a, NULL);
				if (err)
					goto cleanup;
				break;
			case WAKE_DURATION:
				reason = "duration";
				break;
			case WAKE_TARGET:
				reason = "target-exited";
				break;
			case WAKE_SIGNAL:
				if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
					break;
				if (si.ssi_signo != SIGCHLD) {
					reason = "signal";
					break;
				}
				collector__consume(a->collector);
				if (launch__reap(a->launch)) {
					reason = "target-exited";
				} else if (a->exec_pending) {
					a->exec_pending = false;
					err = arm_after_exec(a);
					if (err)
						goto cleanup;
				}
				break;
			}
		}
	}

	if (a->launch && strcmp(reason, "target-exited"))
		launch__terminate(a->launch, SIGTERM, 3000);
	err = report_now(a, reason);
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	if (dfd >= 0)
		close(dfd);
	if (tfd >= 0)
		close(tfd);
	close(ep);
	pace__free(a->pace);
	a->pace = NULL;
	return err;
}

static int say_start(struct app *a)
{
	char comm[256];
	size_t nr;
	unsigned int failures;
	const struct report_probe *probes = tracer__probes(a->tracer, &nr, &failures);
	unsigned long long bpf = tracer__bpf_memory(a->tracer) + unwinder__bpf_memory(a->unwinder);
	char mem[32];

	int err = report__start(a->report,
				&(struct report_start){
					.pid = a->pid,
					.comm = a->comm,
					.sources = a->sources,
					.interval = a->settings.interval,
					.time = a->start_wall.tv_sec + a->start_wall.tv_nsec * 1e-9,
					.stack_depth = a->settings.stack_depth,
					.probes = probes,
					.nr_probes = nr,
					.probe_failures = failures,
					.bpf_memory = bpf,
				});
	lt_format_size(mem, sizeof(mem), bpf, false);
	if (!a->settings.json && a->procs)
		fprintf(stderr,
			"leaktrace: tracing every process: %zu probes%s, %s of kernel memory in "
			"BPF "
			"maps; a report every %gs, Ctrl-C to stop\n",
			nr, failures ? " (some failed, see above)" : "", mem, a->settings.interval);
	else if (!a->settings.json)
		fprintf(stderr,
			"leaktrace: tracing pid %d (%s): %zu probes%s, %s of kernel memory in BPF "
			"maps; a report every %gs, Ctrl-C to stop\n",
			a->pid, lt_escape_term(comm, sizeof(comm), a->comm), nr,
			failures ? " (some failed, see above)" : "", mem, a->settings.interval);
	return err;
}

/* Opens @path (if not NULL) for writing into *@f; says why not. */
static int open_output(const char *path, FILE **f)
{
	char why[256];

	if (!path)
		return 0;
	*f = output__open(path, why, sizeof(why));
	if (*f)
		return 0;
	lt_error("cannot write %s: %s", path, why[0] ? why : strerror(errno));
	return -1;
}

/* --folded and --pprof, of what is outstanding at the final report. */
static int write_exports(struct app *a)
{
	const struct lt_settings *s = &a->settings;
	int err = 0;

	if (a->folded_file) {
		err = folded__write(a->report, a->folded_file, s->system);
		if (err) {
			lt_error("cannot write the folded stacks to %s: %s", s->folded,
				 strerror(-err));
			return err;
		}
	}
#ifdef LT_HAVE_PPROF
	if (a->pprof_file) {
		err = pprof__write(a->report, a->pprof_file, elapsed(a));
		if (err)
			lt_error("cannot write the pprof profile to %s: %s", s->pprof,
				 strerror(-err));
	}
#endif
	return err;
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	struct lt_settings *s = &a.settings;
	sigset_t mask;
	int sig_fd = -1, err = 0, status = EXIT_DONE, wstatus;
	char why[256];

	lt_settings_parse(s, argc, argv);
	lt_log_set_verbosity(s->verbose);
	libbpf_set_print(lt_log_libbpf);
	/* Debian sets this in profile.d; with no network every lookup would
	 * hang before timing out. Debug files are looked up locally. */
	unsetenv("DEBUGINFOD_URLS");
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A closed standard descriptor would be the number the next open gets:
	 * the report would go into that file, or into a BPF map. */
	for (int fd = 0; fd < 3; fd += 2)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return EXIT_RUNTIME;
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0) {
		lt_error("cannot write the report: standard output is closed; redirect it (to "
			 "/dev/null to keep only -o FILE)");
		return EXIT_RUNTIME;
	}
	if (s->check)
		return check__run(s);

	if (s->pid) {
		a.pid = check_pid(s->pid);
		if (a.pid < 0)
			return EXIT_INPUT;
		read_comm(a.pid, a.comm, sizeof(a.comm));
	}
	/* opened now: once set up, leaktrace opens nothing for writing */
	if (open_output(s->output, &a.json_file) || open_output(s->folded, &a.folded_file) ||
	    open_output(s->pprof, &a.pprof_file)) {
		status = EXIT_INPUT;
		goto cleanup;
	}
	if (s->backrefs_dot) {
		/* opened now: once set up, leaktrace opens nothing for writing */
		a.dot_file = output__open(s->backrefs_dot, why, sizeof(why));
		if (!a.dot_file) {
			lt_error("cannot write %s: %s", s->backrefs_dot,
				 why[0] ? why : strerror(errno));
			if (a.json_file)
				fclose(a.json_file);
			return EXIT_INPUT;
		}
	}

	a.tracer = tracer__open(s);
	if (!a.tracer) {
		err = -errno;
		goto cleanup;
	}
	/* what the kernel took, from here on */
	s->sources = tracer__sources(a.tracer);

	/* Signals are read from a signalfd; the launched child resets its mask. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sig_fd < 0) {
		err = -errno;
		lt_error("cannot read signals: %s", strerror(-err));
		goto cleanup;
	}

	if (s->command) {
		a.launch = launch__new(s->command);
		if (!a.launch) {
			err = -errno;
			lt_error("cannot start '%s': %s", s->command[0], strerror(-err));
			goto cleanup;
		}
		a.pid = launch__pid(a.launch);
		snprintf(a.comm, sizeof(a.comm), "%s", s->command[0]);
	}

	a.sources = s->sources;
	if (s->sources_auto)
		a.sources &= ~LT_SRC_GL; /* until the target is seen to use GL */
	a.symbolizer = symbolizer__new(s->debug_dir);
	if (!s->unwind_fp) {
		a.unwinder = unwinder__new(tracer__skel(a.tracer), s->unwind_rows, s->system);
		if (!a.unwinder) {
			err = -errno;
			lt_error("cannot set up: %s", strerror(-err));
			goto cleanup;
		}
	}
	a.pyresolver = pyresolver__new();
	a.collector = collector__new(tracer__skel(a.tracer), s->stack_depth,
				     s->sources & LT_SRC_PYTHON ? s->stack_depth : 0,
				     &(struct collector_hooks){
					     .ctx = &a,
					     .ra_offset = s->system ? NULL : cb_ra_offset,
					     .arena = s->system ? NULL : cb_arena,
					     .code_mapped = cb_code_mapped,
					     .exec = cb_exec,
					     .exit = cb_exit,
					     .code_at = cb_code_at,
					     .gl_thread = cb_gl_thread,
				     });
	a.report = report__new(
		&(struct report_opts){
			.verbose = s->verbose > 0,
			.top = s->top,
			.window = s->window,
			.fail_on_growth = s->fail_on_growth,
			.sample_every = s->sample_every,
			.sample_bytes = s->sample_bytes,
			.text = s->json ? NULL : stdout,
			.json = { s->json ? stdout : NULL, a.json_file },
			.json_names = { NULL, s->output },
			.system = s->system,
		},
		&(struct report_source){
			.ctx = &a,
			.stack_frames = cb_frames,
			.resolve = cb_resolve,
			.resolve_py = cb_resolve_py,
			.type_name = cb_type_name,
			.comm = cb_comm,
		});
	if (!a.symbolizer || !a.pyresolver || !a.collector || !a.report) {
		err = -errno;
		lt_error("cannot set up: %s", strerror(-err));
		goto cleanup;
	}

	if (s->system) {
		a.procs = procs__new();
		err = a.procs ? tracer__attach_system(a.tracer) : -ENOMEM;
		if (err)
			goto cleanup;
	} else {
		err = tracer__add_target(a.tracer, a.pid);
		if (err)
			goto cleanup;
	}
	if (s->system) {
		/* attached above */
	} else if (a.launch) {
		err = start_command(&a);
	} else {
		symbolizer__refresh(a.symbolizer, a.pid);
		setup_fd(&a, a.pid);
		setup_unwind(&a, a.pid, false);
		err = tracer__attach(a.tracer, a.pid);
		if (!err)
			err = setup_python(&a, a.pid);
		if (!err)
			setup_gl(&a, a.pid);
		if (!err)
			setup_census(&a, a.pid);
	}
	if (err)
		goto cleanup;
	/* set up: what targets control is read from now on */
	sandbox__enter(&(struct sandbox_needs){
		.child = a.launch ? a.pid : 0,
		.perf_uprobes = !tracer__uses_uprobe_multi(a.tracer),
		.make_maps = a.unwinder != NULL,
	});

	clock_gettime(CLOCK_MONOTONIC, &a.start);
	clock_gettime(CLOCK_REALTIME, &a.start_wall);
	err = say_start(&a);
	if (!err)
		err = run(&a, sig_fd);
	if (!err)
		err = write_exports(&a);
	if (report__failed_output(a.report)) {
		lt_error("cannot write the report to %s: %s; what it holds is incomplete",
			 report__failed_output(a.report), strerror(-err));
		status = EXIT_RUNTIME;
		goto cleanup;
	}
	if (!err && report__tripped(a.report, why, sizeof(why))) {
		lt_error("growth limit exceeded: %s", why);
		status = EXIT_GROWTH;
	} else if (!err && a.command_ended) {
		/* as a shell passes it on: 128 + the signal that killed it */
		launch__status(a.launch, &wstatus);
		status = WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
	}
cleanup:
	if (err && status == EXIT_DONE)
		status = status_of(err);
	launch__free(a.launch);
	procs__free(a.procs);
	report__free(a.report);
	collector__free(a.collector);
	pyresolver__free(a.pyresolver);
	census__free(a.census);
	if (a.dot_file)
		fclose(a.dot_file);
	symbolizer__free(a.symbolizer);
	syssites__free(a.syssites);
	unwinder__free(a.unwinder);
	tracer__destroy(a.tracer);
	if (a.json_file)
		fclose(a.json_file);
	if (a.folded_file)
		fclose(a.folded_file);
	if (a.pprof_file)
		fclose(a.pprof_file);
	if (sig_fd >= 0)
		close(sig_fd);
	return status;
}
