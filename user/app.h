/* SPDX-License-Identifier: GPL-2.0-only */
/* One run of leaktrace: the modules it wires together (attach -> collect ->
 * symbolize -> report), the target, and the state of its run. main.c sets it
 * up; target.c follows the traced process's life; loop.c runs the intervals;
 * each source's part of a process's life is its ops table (source.h). */
#ifndef LT_APP_H
#define LT_APP_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>
#include <linux/types.h>
#include "cost.h"
#include "options.h"
#include "pylayout.h"

struct lt_sample;

enum exit_status {
	EXIT_DONE = 0,
	EXIT_RUNTIME = 1,
	EXIT_INPUT = 2,
	EXIT_GROWTH = 3,
};

struct app {
	struct lt_settings settings;
	struct files *files; /* the registry of mapped files, which the modules share */
	struct tracer *tracer;
	struct collector *collector;
	struct symbolizer *symbolizer;
	struct unwinder *unwinder; /* NULL under --unwind fp */
	struct pyresolver *pyresolver;
	struct census *census; /* the target's Python objects by type; NULL: none */
	unsigned int py_major, py_minor;
	__u64 backrefs_done;		 /* the type whose chain was printed without --backrefs */
	struct census_keep *census_keep; /* src_python.c: the chains found, and this
					  * report's search, printed after it */
	FILE *dot_file;			 /* --backrefs-dot */
	struct report *report;
	struct launch *launch;
	struct procs *procs;	   /* --system: names, and processes to look at */
	struct exact *exact;	   /* growers traced exactly (exact.c) */
	struct focus *focus;	   /* --system under pages: whose stacks are walked (focus.c) */
	struct syssites *syssites; /* source fd: the syscall instructions found */
	struct pace *pace;	   /* when reports are due, what holds them back */
	FILE *json_file;
	FILE *folded_file; /* --folded */
	FILE *pprof_file;  /* --pprof */
	FILE *html_file;   /* --html */
	bool html_warned;  /* said that an interval's page could not be written */
	double html_next;  /* when the page is next rewritten (app_elapsed()) */
	pid_t pid;
	char comm[64];
	unsigned int sources; /* what is traced: settings' sources, as the target has them */
	__u64 py_runtime;     /* address of the target's _PyRuntime, when it runs CPython */
	__u64 py_held[2 * LT_PY_FREE_MAX]; /* objects on free lists, held this report */
	struct hashmap *py_procs;	   /* --system: tgid -> 1, the CPython processes traced */
	bool py_unsupported_said;	   /* --system: a CPython without a layout was named */
	int py_nr_held;
	struct timespec start;
	struct timespec start_wall; /* CLOCK_REALTIME beside start */
	bool exec_pending;	    /* the launched command exec'd and stopped itself */
	struct hashmap *gl_procs;   /* tgid -> what of its GL is probed (src_gl.c) */
	bool gl_warned;		    /* said why a GL driver's functions cannot be */
	bool gl_ahead;		    /* the system's EGL and GLX libraries are probed */
	bool command_ended;	    /* the command of -- COMMAND ended by itself */
	struct trap_cost trap;	    /* what a probe costs a call here, measured at start */
	struct cost_point cost_start, cost_last; /* the probes counted at start, last report */
	bool cost_said; /* the line on what exact tracing costs the target went out */
};

/* target.c: the traced process's life */

/* Checks that @pid names a user process leaktrace can trace; returns its
 * thread group id, or a negative errno after saying why not. */
pid_t app_check_pid(pid_t pid);
/* Reads /proc/@pid/comm into @buf ("?" when it cannot). */
void app_read_comm(pid_t pid, char *buf, size_t len);
/* Probes process a->pid (-p PID), before its report starts. */
int app_attach(struct app *a);
/* --system: attaches to every process, those there now and those to come,
 * once the sources made ready what the first probes use. */
int app_attach_system(struct app *a);
/* Runs the command of -- COMMAND up to its first instruction after exec,
 * then probes it and lets it go. */
int app_start_command(struct app *a);
/* The launched command exec'd again: probe its new image. */
int app_arm_after_exec(struct app *a);
/* The hooks the collector calls (collect.h's struct collector_hooks). */
void app_code_mapped(void *ctx, pid_t pid);
void app_exec(void *ctx, pid_t pid, const char *comm);
void app_exit(void *ctx, pid_t pid, const char *comm);
void app_gl_thread(void *ctx, pid_t pid, pid_t tid, __u64 tp);
/* --system: probes the processes that exec'd or mapped new code; notes as
 * exited those of @samples that are gone; releases what is kept of those
 * that exited. Each returns how many processes, where it says so. */
size_t app_look_at_new(struct app *a);
void app_sweep_gone(struct app *a, const struct lt_sample *samples, size_t n);
size_t app_release_exited(struct app *a);
/* exact.c: --system's growers (under --pages, the process of -p or --, if
 * asked) traced exactly for a while. app_exact_step()
 * after each interval report (at @t seconds): ends the phases due, starts
 * those of the processes whose pages keep growing most; app_exact_exited()
 * when one exited; app_exact_finish() before the final report (@reason is
 * its own). All do nothing where this is off (--exact, or
 * --exact-top 0). */
int app_exact_init(struct app *a);
void app_exact_free(struct app *a);
void app_exact_step(struct app *a, double t);
void app_exact_exited(struct app *a, pid_t pid, double t);
void app_exact_finish(struct app *a, double t, const char *reason);

/* focus.c: --system under pages, the processes whose pages' stacks are
 * walked: those that grew by enough in one interval (app_focus_step(),
 * after each interval report), and those traced exactly (app_focus()).
 * app_focus_forget() when one exits or exec's. app_focus_defers() says
 * whether what only stack walks need is to wait for @pid's focus. All do
 * nothing where this is off. app_focus() returns 0 or a negative errno
 * (-E2BIG: no room, counted). */
struct report_counter;
int app_focus_init(struct app *a);
void app_focus_free(struct app *a);
bool app_focus_defers(const struct app *a, pid_t pid);
int app_focus(struct app *a, pid_t pid);
void app_focus_forget(struct app *a, pid_t pid);
void app_focus_step(struct app *a);
size_t app_focus_counters(const struct app *a, struct report_counter *out, size_t max);

/* Whether the target is gone (never, under --system). */
bool app_target_gone(struct app *a);

/* loop.c: the intervals */

/* Seconds since tracing began. */
double app_elapsed(const struct app *a);
/* Runs until the target exits, the duration ends or a signal comes; then
 * prints the final report. Returns 0 or a negative errno. */
int app_run(struct app *a, int sig_fd);

#endif
