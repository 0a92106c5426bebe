// SPDX-License-Identifier: GPL-2.0-only
/* --system's way of working: every process is watched through the pages it
 * faults in (no trap on malloc), and the few whose pages keep growing have
 * their allocator probed, for that process alone, for a while (--exact-for):
 * long enough for the report to rank their allocation sites, short enough
 * that no process pays the traps for long. Then leaktrace steps back: the
 * probes go, the heap records of the phase are forgotten (frees would go
 * unseen), and the process rests as long before it may be chosen again.
 * -p and -- under --pages work the same way for their one process when an
 * --exact-* option asks for it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "app.h"
#include "array.h"
#include "attach.h"
#include "collect.h"
#include "log.h"
#include "report.h"

#define MAX_GROWERS 64 /* looked at a report */

/* A process traced exactly (on), or resting after that (or after a try
 * that failed) until @until. */
struct phase {
	pid_t pid;
	bool on;
	double since, until;
};

struct exact {
	struct phase *v;
	size_t nr, cap;
};

static bool exact_on(const struct app *a)
{
	return a->settings.pages && a->settings.exact_top &&
	       (tracer__sources(a->tracer) & LT_SRC_LIBC);
}

static double phase_length(const struct app *a)
{
	const struct lt_settings *s = &a->settings;

	return s->exact_for > 0 ? s->exact_for : s->window * s->interval;
}

static struct phase *phase_of(struct exact *x, pid_t pid)
{
	for (size_t i = 0; x && i < x->nr; i++)
		if (x->v[i].pid == pid)
			return &x->v[i];
	return NULL;
}

static void phase_end(struct app *a, struct phase *p, double t, const char *why)
{
	struct report_exact e = { .tgid = p->pid, .lasted = t - p->since, .why = why };

	tracer__detach_exact(a->tracer, p->pid);
	report__exact(a->report, &e);
	/* what it recorded: frees are no longer seen */
	collector__forget_kind(a->collector, p->pid, LT_KIND_HEAP);
	lt_info("pid %d: exact tracing ends after %.1f s (%s)", p->pid, e.lasted, why);
	p->on = false;
	p->since = t;
	p->until = t + phase_length(a);
}

/* Starts the exact tracing of @g, or notes why it cannot be: a rest either
 * way, not to try again at every report. */
static void phase_start(struct app *a, const struct report_grower *g, double t)
{
	struct exact *x = a->exact;
	struct report_exact e = { .start = true, .tgid = g->tgid, .grower = g };
	int err;

	if (ARRAY_RESERVE(x->v, x->cap, x->nr + 1))
		return;
	/* its heap stacks are walked, with its Python frames */
	app_focus(a, g->tgid);
	err = tracer__attach_exact(a->tracer, g->tgid);
	if (err == -ESRCH)
		return; /* gone: its exit is on its way */
	x->v[x->nr++] = (struct phase){ .pid = g->tgid, .on = !err, .since = t };
	x->v[x->nr - 1].until = t + phase_length(a);
	if (err == -ENOENT)
		e.error = "no allocator found in it (malloc and free)";
	else if (err)
		e.error = strerror(-err);
	e.until = x->v[x->nr - 1].until;
	report__exact(a->report, &e);
	lt_info("pid %d: %s", g->tgid, err ? e.error : "traced exactly");
}

int app_exact_init(struct app *a)
{
	if (!exact_on(a))
		return 0;
	a->exact = calloc(1, sizeof(*a->exact));
	return a->exact ? 0 : -ENOMEM;
}

void app_exact_free(struct app *a)
{
	if (!a->exact)
		return;
	free(a->exact->v);
	free(a->exact);
	a->exact = NULL;
}

void app_exact_step(struct app *a, double t)
{
	struct exact *x = a->exact;
	struct report_grower g[MAX_GROWERS];
	/* a phase due at this report ends at it, not one interval later */
	double slack = a->settings.interval / 4;
	size_t on = 0, n;

	if (!x)
		return;
	for (size_t i = 0; i < x->nr; i++) {
		struct phase *p = &x->v[i];

		if (p->on && t + slack >= p->until)
			phase_end(a, p, t, "time");
		else if (!p->on && t + slack >= p->until)
			x->v[i--] = x->v[--x->nr]; /* rested: may be chosen again */
		else
			on += p->on;
	}
	if (on >= a->settings.exact_top)
		return;
	n = report__growers(a->report, LT_KIND_PAGES, (__s64)a->settings.exact_min, g, MAX_GROWERS);
	for (size_t i = 0; i < n && on < a->settings.exact_top; i++) {
		if (phase_of(x, g[i].tgid) || g[i].tgid == (__u32)getpid())
			continue;
		phase_start(a, &g[i], t);
		on += phase_of(x, g[i].tgid) && phase_of(x, g[i].tgid)->on;
	}
}

void app_exact_exited(struct app *a, pid_t pid, double t)
{
	struct phase *p = phase_of(a->exact, pid);

	if (!p)
		return;
	if (p->on)
		phase_end(a, p, t, "exited");
	*p = a->exact->v[--a->exact->nr];
}

/* The final report: the phases still on end with it, said before its
 * records (the sites are those of the last interval's report); the probes
 * go with the rest. */
void app_exact_finish(struct app *a, double t, const char *reason)
{
	struct exact *x = a->exact;

	for (size_t i = 0; x && i < x->nr; i++) {
		struct phase *p = &x->v[i];
		struct report_exact e = { .tgid = p->pid, .lasted = t - p->since };

		if (!p->on)
			continue;
		e.why = !strcmp(reason, "target-exited") ? "exited" : "stopped";
		report__exact(a->report, &e);
		p->on = false;
	}
}
