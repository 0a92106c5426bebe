// SPDX-License-Identifier: GPL-2.0-only
/* leaktrace: options, wiring the modules together (attach -> collect ->
 * symbolize -> report), and the exit status. The traced process's life is
 * target.c's, each source's part in it the source's own (source.h), the
 * event loop loop.c's. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "app.h"
#include "attach.h"
#include "check.h"
#include "collect.h"
#include "escape.h"
#include "files.h"
#include "hashmap.h"
#include "html.h"
#include "launch.h"
#include "log.h"
#include "options.h"
#include "folded.h"
#include "output.h"
#include "pprof.h"
#include "procs.h"
#include "progress.h"
#include "pyresolve.h"
#include "replay.h"
#include "report.h"
#include "sandbox.h"
#include "source.h"
#include "symbolize.h"
#include "unwind.h"

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

/* --- start and end --- */

/* -p and -- under --pages, with exact phases: when they come */
static const char *exact_phases(char *buf, size_t len, const char *min, double exact_for)
{
	snprintf(buf, len,
		 "; when its pages keep growing (by %s over the window), its allocations are "
		 "traced exactly for %gs at a time",
		 min, exact_for);
	return buf;
}

static int say_start(struct app *a)
{
	char comm[256];
	size_t nr;
	unsigned int failures;
	const struct report_probe *probes = tracer__probes(a->tracer, &nr, &failures);
	unsigned long long bpf = tracer__bpf_memory(a->tracer) + unwinder__bpf_memory(a->unwinder);
	char mem[32], trap[96], min[32], phases[160];
	double exact_for = a->settings.exact_for > 0 ? a->settings.exact_for
						     : a->settings.window * a->settings.interval;

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
					.trap = &a->trap,
					.exact_top = a->exact ? a->settings.exact_top : 0,
					.exact_for = exact_for,
					.exact_min = a->settings.exact_min,
				});
	lt_format_size(mem, sizeof(mem), bpf, false);
	lt_format_size(min, sizeof(min), a->settings.exact_min, false);
	if (a->trap.entry_ns > 0)
		snprintf(trap, sizeof(trap),
			 "a traced call traps for %.2g us here (%.2g us with a return probe)",
			 a->trap.entry_ns / 1000, (a->trap.entry_ns + a->trap.return_ns) / 1000);
	else
		snprintf(trap, sizeof(trap), "trap cost unknown");
	if (!a->settings.json && a->exact && a->procs)
		fprintf(stderr,
			"leaktrace: watching every process by the pages it faults in; up to %u "
			"whose pages keep growing (by %s over the window) get their allocations "
			"traced exactly for %gs at a time; %s of kernel memory in BPF maps; %s; a "
			"report every %gs, Ctrl-C to stop\n",
			a->settings.exact_top, min, exact_for, mem, trap, a->settings.interval);
	else if (!a->settings.json && a->procs)
		fprintf(stderr,
			"leaktrace: tracing every process: %zu probes%s, %s of kernel memory in "
			"BPF maps; %s; a report every %gs, Ctrl-C to stop\n",
			nr, failures ? " (some failed, see above)" : "", mem, trap,
			a->settings.interval);
	else if (!a->settings.json && !a->settings.sources)
		fprintf(stderr,
			"leaktrace: counting the Python objects of pid %d (%s), no probe; a report "
			"every %gs, Ctrl-C to stop\n",
			a->pid, lt_escape_term(comm, sizeof(comm), a->comm), a->settings.interval);
	else if (!a->settings.json)
		fprintf(stderr,
			"leaktrace: tracing pid %d (%s): %zu probes%s, %s of kernel memory in BPF "
			"maps; %s%s; a report every %gs, Ctrl-C to stop\n",
			a->pid, lt_escape_term(comm, sizeof(comm), a->comm), nr,
			failures ? " (some failed, see above)" : "", mem, trap,
			a->exact ? exact_phases(phases, sizeof(phases), min, exact_for) : "",
			a->settings.interval);
	return err;
}

/* --folded, --pprof and --html, of what is outstanding at the final report. */
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
		err = pprof__write(a->report, a->pprof_file, app_elapsed(a));
		if (err)
			lt_error("cannot write the pprof profile to %s: %s", s->pprof,
				 strerror(-err));
	}
#endif
	if (!err && a->html_file) {
		err = html__update(a->report, a->html_file, /*final=*/true);
		if (err)
			lt_error("cannot write the HTML report to %s: %s", s->html, strerror(-err));
	}
	return err;
}

/* A closed standard descriptor would be the number the next open gets: the
 * report would go into that file, or into a BPF map. Returns 0, or the exit
 * status after saying why not. */
static int check_stdio(void)
{
	for (int fd = 0; fd < 3; fd += 2)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return EXIT_RUNTIME;
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0) {
		lt_error("cannot write the report: standard output is closed; redirect it (to "
			 "/dev/null to keep only -o FILE)");
		return EXIT_RUNTIME;
	}
	return 0;
}

/* -o, --folded, --pprof, --html and --backrefs-dot, opened now: once set up,
 * leaktrace opens nothing for writing. */
static int open_outputs(struct app *a)
{
	const struct lt_settings *s = &a->settings;

	if (output__open_said(s->output, &a->json_file) ||
	    output__open_said(s->folded, &a->folded_file) ||
	    output__open_said(s->pprof, &a->pprof_file) ||
	    output__open_said(s->html, &a->html_file) ||
	    output__open_said(s->backrefs_dot, &a->dot_file))
		return -1;
	return 0;
}

/* Signals are read from a signalfd; the launched child resets its mask.
 * Returns it, or a negative errno after saying why not. */
static int signals_fd(void)
{
	sigset_t mask;
	int fd, err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		lt_error("cannot read signals: %s", strerror(-err));
		return err;
	}
	return fd;
}

/* The modules, wired to each other through the callbacks above. Returns 0
 * or a negative errno after saying why not. */
static int wire(struct app *a)
{
	const struct lt_settings *s = &a->settings;
	int err;

	if (s->command) {
		a->launch = launch__new(s->command);
		if (!a->launch) {
			err = -errno;
			lt_error("cannot start '%s': %s", s->command[0], strerror(-err));
			return err;
		}
		a->pid = launch__pid(a->launch);
		snprintf(a->comm, sizeof(a->comm), "%s", s->command[0]);
	}
	a->sources = s->sources;
	if (s->sources_auto && !s->system)
		a->sources &= ~LT_SRC_GL; /* until the target is seen to use GL */
	a->symbolizer = symbolizer__new(a->files, s->debug_dir);
	/* --sources none walks no stack: no module's tables to make */
	if (!s->unwind_fp && s->sources)
		a->unwinder = unwinder__new(a->files, tracer__skel(a->tracer), s->unwind_rows,
					    s->system);
	a->pyresolver = pyresolver__new();
	a->collector = collector__new(tracer__skel(a->tracer), s->stack_depth,
				      s->sources & LT_SRC_PYTHON ? s->stack_depth : 0,
				      &(struct collector_hooks){
					      .ctx = a,
					      .ra_offset = s->system ? NULL : cb_ra_offset,
					      .arena = s->system ? NULL : cb_arena,
					      .code_mapped = app_code_mapped,
					      .exec = app_exec,
					      .exit = app_exit,
					      .code_at = cb_code_at,
					      .gl_thread = app_gl_thread,
				      });
	a->report = report__new(
		&(struct report_opts){
			.verbose = s->verbose > 0,
			.top = s->top,
			.window = s->window,
			.fail_on_growth = s->fail_on_growth,
			.sample_every = s->sample_every,
			.sample_bytes = s->sample_bytes,
			.text = s->json ? NULL : stdout,
			.json = { s->json ? stdout : NULL, a->json_file },
			.json_names = { NULL, s->output },
			.system = s->system,
			.history = s->html != NULL,
			.record = true,
		},
		&(struct report_source){
			.ctx = a,
			.stack_frames = cb_frames,
			.resolve = cb_resolve,
			.resolve_py = cb_resolve_py,
			.type_name = cb_type_name,
			.comm = cb_comm,
		});
	if (!a->symbolizer || (!s->unwind_fp && s->sources && !a->unwinder) || !a->pyresolver ||
	    !a->collector || !a->report) {
		err = -errno;
		lt_error("cannot set up: %s", strerror(-err));
		return err;
	}
	return 0;
}

/* Attaches to what is traced: every process, the command (run up to where
 * its libraries are mapped), or the process of -p. */
static int start_tracing(struct app *a)
{
	int err;

	if (a->settings.system) {
		a->procs = procs__new();
		if (!a->procs || app_exact_init(a) || app_focus_init(a))
			return -ENOMEM;
		return app_attach_system(a);
	}
	err = tracer__add_target(a->tracer, a->pid) ?: app_exact_init(a);
	if (err)
		return err;
	return a->launch ? app_start_command(a) : app_attach(a);
}

/* The exit status of a run that ended with @err (README.md and leaktrace(8): "Exit status"). */
static int run_status(struct app *a, int err)
{
	char why[256];
	int wstatus;

	if (a->report && report__failed_output(a->report)) {
		lt_error("cannot write the report to %s: %s; what it holds is incomplete",
			 report__failed_output(a->report), strerror(-err));
		return EXIT_RUNTIME;
	}
	if (err)
		return status_of(err);
	if (a->report && report__tripped(a->report, why, sizeof(why))) {
		lt_error("growth limit exceeded: %s", why);
		return EXIT_GROWTH;
	}
	if (a->command_ended) {
		/* as a shell passes it on: 128 + the signal that killed it */
		launch__status(a->launch, &wstatus);
		return WIFSIGNALED(wstatus) ? 128 + WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
	}
	return EXIT_DONE;
}

static void teardown(struct app *a)
{
	FILE *files[] = { a->dot_file, a->json_file, a->folded_file, a->pprof_file, a->html_file };

	progress__stop();
	launch__free(a->launch);
	procs__free(a->procs);
	app_exact_free(a);
	app_focus_free(a);
	report__free(a->report);
	collector__free(a->collector);
	pyresolver__free(a->pyresolver);
	sources_done(a);
	symbolizer__free(a->symbolizer);
	unwinder__free(a->unwinder);
	tracer__destroy(a->tracer);
	files__free(a->files);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (files[i])
			fclose(files[i]);
}

int main(int argc, char **argv)
{
	struct app a = { 0 };
	struct lt_settings *s = &a.settings;
	int sig_fd = -1, err, status;

	if (argc > 1 && !strcmp(argv[1], "report")) {
		status = check_stdio();
		return status ? status : cmd_report(argc - 1, argv + 1);
	}
	lt_settings_parse(s, argc, argv);
	lt_log_set_verbosity(s->verbose);
	libbpf_set_print(lt_log_libbpf);
	/* Debian sets this in profile.d; with no network every lookup would
	 * hang before timing out. Debug files are looked up locally. */
	unsetenv("DEBUGINFOD_URLS");
	setvbuf(stdout, NULL, _IOLBF, 0);
	status = check_stdio();
	if (status)
		return status;
	if (s->check)
		return check__run(s);
	if (s->pid) {
		a.pid = app_check_pid(s->pid);
		if (a.pid < 0)
			return EXIT_INPUT;
		app_read_comm(a.pid, a.comm, sizeof(a.comm));
	}
	if (open_outputs(&a)) {
		teardown(&a);
		return EXIT_INPUT;
	}
	a.files = files__new();
	a.tracer = a.files ? tracer__open(s, a.files) : NULL;
	if (!a.tracer) {
		err = -errno;
		goto out;
	}
	/* what the kernel took, from here on */
	s->sources = tracer__sources(a.tracer);
	/* before any probe of a target: nothing else traps meanwhile */
	tracer__calibrate(a.tracer, &a.trap);
	sig_fd = signals_fd();
	err = sig_fd < 0 ? sig_fd : wire(&a);
	err = err ?: start_tracing(&a);
	/* what is slow from here on, reports show going on */
	progress__stop();
	if (err)
		goto out;
	/* the calibration's probes gone: no thread but leaktrace's own */
	tracer__calibrated(a.tracer);
	/* set up: what targets control is read from now on */
	sandbox__enter(&(struct sandbox_needs){
		.child = a.launch ? a.pid : 0,
		.perf_uprobes = !tracer__uses_uprobe_multi(a.tracer),
		.make_maps = a.unwinder != NULL,
	});
	clock_gettime(CLOCK_MONOTONIC, &a.start);
	clock_gettime(CLOCK_REALTIME, &a.start_wall);
	err = say_start(&a);
	err = err ?: app_run(&a, sig_fd);
	err = err ?: write_exports(&a);
out:
	status = run_status(&a, err);
	teardown(&a);
	if (sig_fd >= 0)
		close(sig_fd);
	return status;
}
