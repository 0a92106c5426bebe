// SPDX-License-Identifier: GPL-2.0-only
/* The intervals: an event loop on the ring buffer, the interval timer, the
 * signals and the target's exit; at each interval the maps are read and the
 * report made, every step timed against when it is due (pace.c). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "app.h"
#include "attach.h"
#include "cost.h"
#include "escape.h"
#include "html.h"
#include "collect.h"
#include "launch.h"
#include "log.h"
#include "pace.h"
#include "report.h"
#include "source.h"
#include "srcdesc.h"
#include "symbolize.h"
#include "syssites.h"
#include "unwind.h"

double app_elapsed(const struct app *a)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - a->start.tv_sec) + (now.tv_nsec - a->start.tv_nsec) * 1e-9;
}

enum wake {
	WAKE_RING,
	WAKE_TIMER,
	WAKE_SIGNAL,
	WAKE_TARGET,
	WAKE_DURATION,
	WAKE_COST,
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

/* --html, rewritten each interval so that a reload shows the latest, but
 * with at most a tenth of the time: the flame graph symbolizes every stack
 * outstanding, which under --system can take long. A failure here is said
 * once and tracing goes on: the final page, written at exit, says so again
 * if it fails too. */
static void update_html(struct app *a)
{
	double t0 = app_elapsed(a);
	int err;

	if (t0 < a->html_next)
		return;
	err = html__update(a->report, a->html_file, /*final=*/false);
	a->html_next = t0 + 10 * (app_elapsed(a) - t0);
	if (err && !a->html_warned) {
		lt_warn("cannot write the HTML report to %s: %s; tracing goes on", a->settings.html,
			strerror(-err));
		a->html_warned = true;
	}
}

/* Whether the probes' cost is reported: a source whose probes trap is
 * traced, and not with --floor's empty programs, which count nothing.
 * Under --pages the python source walks Python frames and probes nothing. */
static bool cost_shown(const struct app *a)
{
	unsigned int trapping = src_trapping() & ~(a->settings.pages ? LT_SRC_PYTHON : 0);

	return (a->settings.sources & trapping) && !a->settings.floor;
}

/* The probes counted so far, and the traced processes' CPU time. */
static void cost_point(struct app *a, struct cost_point *p)
{
	p->t = app_elapsed(a);
	p->calls = collector__counter(a->collector, LT_CNT_PROBE_CALLS);
	p->returns = collector__counter(a->collector, LT_CNT_PROBE_RETURNS);
	p->cpu_known = !cost__cpu_ns(a->procs ? 0 : a->pid, &p->cpu_ns);
}

/* Once exact tracing has run a second on one process (-p, --): what it
 * costs that process, and what costs next to nothing instead. */
static void say_cost(struct app *a)
{
	struct cost_point now;
	struct probe_cost c;
	char comm[256], what[256];

	a->cost_said = true;
	cost_point(a, &now);
	cost__between(&a->trap, &a->cost_start, &now, &c);
	fprintf(stderr,
		"leaktrace: pid %d (%s): %s; --pages traces growth by the pages it faults in "
		"instead, at near-zero cost\n",
		a->pid, lt_escape_term(comm, sizeof(comm), a->comm),
		cost__say(what, sizeof(what), &c));
}

static int report_now(struct app *a, const char *reason)
{
	struct report_status st = { .pid = a->pid };
	struct report_census census_view = { 0 };
	struct report_counter counters[40];
	struct cost_point now;
	struct probe_cost cost;
	const struct lt_sample *samples;
	int err;
	double t0 = app_elapsed(a), t1, t_sample;
	char late_why[160];
	size_t n;

	err = collector__consume(a->collector);
	t1 = app_elapsed(a);
	pace__spent(a->pace, PACE_EVENTS, t0, t1, err > 0 ? err : 0);
	n = app_look_at_new(a);
	t0 = app_elapsed(a);
	pace__spent(a->pace, PACE_NEW, t1, t0, n);
	n = app_release_exited(a);
	t1 = app_elapsed(a);
	pace__spent(a->pace, PACE_RELEASE, t0, t1, n);
	sources_before_sample(a);
	err = collector__sample(a->collector, &samples, &n);
	if (err) {
		lt_error("cannot read the BPF maps: %s", strerror(-err));
		return err;
	}
	sources_after_sample(a, samples, n);
	app_sweep_gone(a, samples, n);
	t_sample = app_elapsed(a);
	/* said before the final report's records, as of the last interval's */
	if (reason)
		app_exact_finish(a, t_sample, reason);
	err = report__sample(a->report, t_sample, samples, n, reason != NULL);
	if (err)
		return err;
	st.counters = counters;
	st.nr_counters = collector__counters(a->collector, counters, 40);
	if (a->unwinder)
		st.nr_counters += unwinder__counters(a->unwinder, counters + st.nr_counters,
						     40 - st.nr_counters);
	if (a->settings.sources & (LT_SRC_FD | LT_SRC_MMAP) && !a->settings.floor)
		st.nr_counters += syssites__counters(a->syssites, counters + st.nr_counters,
						     40 - st.nr_counters);
	st.nr_counters += app_focus_counters(a, counters + st.nr_counters, 40 - st.nr_counters);
	if (cost_shown(a)) {
		cost_point(a, &now);
		cost__between(&a->trap, &a->cost_last, &now, &cost);
		a->cost_last = now;
		st.cost = &cost;
	}
	if (reason && a->settings.verbose)
		say_completeness(a, samples, n);
	t0 = app_elapsed(a);
	if (src_census_read(a, &census_view)) {
		st.census = &census_view;
		t1 = app_elapsed(a);
		pace__spent(a->pace, PACE_CENSUS, t0, t1, census_view.stats->objects);
		if (!reason) {
			/* before the report, which shows the chain beside its type */
			src_census_search(a, t_sample, &census_view);
			t0 = app_elapsed(a);
			pace__spent(a->pace, PACE_OUTPUT, t1, t0, 0);
			t1 = t0;
		}
	}
	st.bpf_memory = tracer__bpf_memory(a->tracer) + unwinder__bpf_memory(a->unwinder);
	self_rss(&st.rss, &st.rss_peak);
	if (!reason) {
		t0 = app_elapsed(a);
		pace__spent(a->pace, PACE_READ, t1, t0, 0);
		st.late = pace__late(a->pace, t0, late_why, sizeof(late_why));
		st.late_reason = late_why;
	}
	t0 = app_elapsed(a);
	a->command_ended = reason && !strcmp(reason, "target-exited") &&
			   launch__status(a->launch, &st.command_status);
	st.command_ended = a->command_ended;
	err = report__emit(a->report, &st, reason);
	if (!err && !reason)
		err = src_census_backrefs(a);
	if (!err && !reason)
		app_focus_step(a);
	if (!err && !reason)
		app_exact_step(a, t_sample);
	if (!err && !reason && a->html_file)
		update_html(a);
	t1 = app_elapsed(a);
	pace__spent(a->pace, PACE_OUTPUT, t0, t1, 0);
	if (!err && !reason) {
		/* after the report: the sweep of what exited processes left in
		 * the allocs map, for up to a quarter of an interval, and never
		 * into the half before the next report */
		double budget = pace__left(a->pace, t1) - a->settings.interval / 2;

		if (budget > a->settings.interval / 4)
			budget = a->settings.interval / 4;
		collector__sweep(a->collector, budget > 0 ? budget : 0);
		pace__spent(a->pace, PACE_SWEEP, t1, app_elapsed(a), 0);
	}
	return err;
}

/* Runs until the target exits, the duration ends or a signal comes; then
 * prints the final report. Returns 0 or a negative errno. */
/* What the loop waits on: the interval's timer, signals, the ring buffer,
 * the duration's timer (-d), the target's exit (-p: its pidfd). */
struct loop {
	int ep, tfd, dfd, pidfd, sig_fd;
	int cfd;	 /* the second after which the cost of exact tracing is said */
	__u64 ticks_all; /* intervals ended */
};

static void loop_close(struct loop *l)
{
	int fds[] = { l->cfd, l->pidfd, l->dfd, l->tfd, l->ep };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Opens what @l waits on; loop_close() closes what was opened, whatever
 * the outcome. */
static int loop_open(struct app *a, struct loop *l, int sig_fd)
{
	const struct lt_settings *s = &a->settings;
	int err;

	l->sig_fd = sig_fd;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	if (l->ep < 0)
		return -errno;
	l->tfd = timer_fd(s->interval, s->interval);
	err = l->tfd < 0 ? l->tfd : add_fd(l->ep, l->tfd, WAKE_TIMER);
	err = err ?: add_fd(l->ep, sig_fd, WAKE_SIGNAL);
	err = err ?: add_fd(l->ep, collector__fd(a->collector), WAKE_RING);
	if (!err && s->duration > 0) {
		l->dfd = timer_fd(s->duration, 0);
		err = l->dfd < 0 ? l->dfd : add_fd(l->ep, l->dfd, WAKE_DURATION);
	}
	/* under --pages, exact tracing is not what runs */
	if (!err && !s->json && !a->procs && !s->pages && cost_shown(a)) {
		l->cfd = timer_fd(/*first=*/1.0, 0);
		err = l->cfd < 0 ? l->cfd : add_fd(l->ep, l->cfd, WAKE_COST);
	}
	if (!err && !a->launch && !a->procs) {
		/* A pidfd becomes readable when the process exits (Linux 5.3). */
		l->pidfd = syscall(SYS_pidfd_open, a->pid, 0);
		if (l->pidfd >= 0)
			err = add_fd(l->ep, l->pidfd, WAKE_TARGET);
	}
	return err;
}

/* The processes' events: exec, exit, new code, GL threads */
static void on_ring(struct app *a)
{
	double t0 = app_elapsed(a), t1;
	int nr = collector__consume(a->collector);
	size_t looked;

	t1 = app_elapsed(a);
	pace__spent(a->pace, PACE_EVENTS, t0, t1, nr > 0 ? nr : 0);
	looked = app_look_at_new(a);
	pace__spent(a->pace, PACE_NEW, t1, app_elapsed(a), looked);
}

/* An interval ended: its report, unless the run ends with it (@reason). */
static int on_timer(struct app *a, struct loop *l, const char **reason)
{
	const struct lt_settings *s = &a->settings;
	__u64 ticks;

	if (read(l->tfd, &ticks, sizeof(ticks)) < 0)
		return 0;
	pace__due(a->pace, ticks);
	l->ticks_all += ticks;
	if (app_target_gone(a)) {
		*reason = "target-exited";
		return 0;
	}
	/* The interval that ends with the duration (-d 40 -i 5) is the final
	 * report's, not a report of its own just before it; the duration's
	 * timer, armed after this one, would fire a moment later. */
	if (s->duration > 0 && l->ticks_all * s->interval >= s->duration - /*slack_s=*/1e-3) {
		*reason = "duration";
		return 0;
	}
	return report_now(a, NULL);
}

/* A signal: one that ends the run, or SIGCHLD from the launched command
 * (it exited, or stopped itself after an exec). */
static int on_signal(struct app *a, struct loop *l, const char **reason)
{
	struct signalfd_siginfo si;

	if (read(l->sig_fd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo != SIGCHLD) {
		*reason = "signal";
		return 0;
	}
	collector__consume(a->collector);
	if (launch__reap(a->launch)) {
		*reason = "target-exited";
	} else if (a->exec_pending) {
		a->exec_pending = false;
		return app_arm_after_exec(a);
	}
	return 0;
}

static int on_wake(struct app *a, struct loop *l, __u32 what, const char **reason)
{
	switch (what) {
	case WAKE_RING:
		on_ring(a);
		return 0;
	case WAKE_TIMER:
		return on_timer(a, l, reason);
	case WAKE_DURATION:
		*reason = "duration";
		return 0;
	case WAKE_COST: {
		__u64 ticks;

		/* one shot: read, it is not readable again */
		if (read(l->cfd, &ticks, sizeof(ticks)) > 0 && !a->cost_said)
			say_cost(a);
		return 0;
	}
	case WAKE_TARGET:
		*reason = "target-exited";
		return 0;
	case WAKE_SIGNAL:
		return on_signal(a, l, reason);
	}
	return 0;
}

int app_run(struct app *a, int sig_fd)
{
	const struct lt_settings *s = &a->settings;
	const char *reason = NULL;
	struct loop l = { .ep = -1, .tfd = -1, .dfd = -1, .pidfd = -1, .sig_fd = -1, .cfd = -1 };
	int err;

	cost_point(a, &a->cost_start);
	a->cost_last = a->cost_start;
	/* late past half an interval, or a second */
	a->pace = pace__new(s->interval, app_elapsed(a), s->interval / 2 < 1 ? s->interval / 2 : 1);
	err = a->pace ? loop_open(a, &l, sig_fd) : -errno;
	while (!err && !reason) {
		struct epoll_event evs[8];
		int n = epoll_wait(l.ep, evs, 8, l.pidfd >= 0 || a->launch ? -1 : 1000);

		if (n < 0) {
			if (errno != EINTR)
				err = -errno;
			continue;
		}
		if (!n && app_target_gone(a))
			reason = "target-exited";
		for (int i = 0; i < n && !reason && !err; i++)
			err = on_wake(a, &l, evs[i].data.u32, &reason);
	}
	/* The final report first, then the command ends: what it frees as it
	 * exits (an interpreter frees all it holds) is not the state that
	 * -d or Ctrl-C asked about. */
	if (!err)
		err = report_now(a, reason);
	if (a->launch && reason && strcmp(reason, "target-exited"))
		launch__terminate(a->launch, SIGTERM, 3000);
	loop_close(&l);
	pace__free(a->pace);
	a->pace = NULL;
	return err;
}
