// SPDX-License-Identifier: GPL-2.0-only
/* Source python (bpf/python.bpf.h): a CPython target's object allocators
 * probed, Python frames in its stacks, and the objects its free lists hold
 * discounted at each report. And the census, which probes nothing: the
 * target's live objects counted by type from outside, each interval, and
 * the chain of references that keeps one of the top growing type. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "app.h"
#include "attach.h"
#include "backrefs.h"
#include "census.h"
#include "collect.h"
#include "hashmap.h"
#include "log.h"
#include "progress.h"
#include "pyresolve.h"
#include "python.h"
#include "report.h"
#include "source.h"
#include "srcdesc.h"

/* Bounds of one census read: beyond them it is cut short, and said so. */
#define CENSUS_MAX_OBJECTS (50ULL * 1000 * 1000)
#define CENSUS_MAX_MS 2000.0
/* Bounds of one backrefs search */
#define BACKREFS_MAX_OBJECTS (1ULL << 20)
#define BACKREFS_MAX_MS 2000.0
#define BACKREFS_TRIES 3

/* Traces the CPython that process @pid runs, if any, and if the python source
 * is on: its objects, and Python frames in its stacks; under --pages only
 * the frames, with no probe. */
static int python_ready(struct app *a, pid_t pid, bool later)
{
	struct py_target py;
	unsigned int major, minor;
	int err, step;

	(void)later;
	if (!(a->settings.sources & LT_SRC_PYTHON))
		return 0;
	a->sources &= ~LT_SRC_PYTHON;
	step = progress__begin("looking for CPython in pid %d", pid);
	err = py_target_find(pid, &py, &major, &minor);
	progress__end(step);
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
	step = progress__begin("probing CPython's object allocators in %s", py.shown);
	err = a->settings.pages ? tracer__python_frames(a->tracer, pid, &py)
				: tracer__attach_python(a->tracer, pid, &py);
	progress__end(step);
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
static int census_ready(struct app *a, pid_t pid, bool later)
{
	const struct census_limits lim = {
		.max_objects = CENSUS_MAX_OBJECTS,
		.max_ms = CENSUS_MAX_MS,
	};
	struct py_target py;
	unsigned int major, minor;
	int err, step;

	(void)later;
	if (a->settings.census == LT_CENSUS_OFF || a->settings.system || a->census)
		return 0;
	step = progress__begin("looking for CPython in pid %d", pid);
	err = py_target_find(pid, &py, &major, &minor);
	progress__end(step);
	if (err && !a->settings.sources && !a->settings.sources_auto && !a->launch) {
		/* --sources none: without the census there is nothing to trace */
		if (err == -ENOTSUP)
			lt_error("pid %d runs CPython %u.%u (%s), for which leaktrace has no "
				 "layout: --sources none has no census to read; name a source "
				 "(--sources auto)",
				 pid, major, minor, py.shown);
		else
			lt_error("pid %d runs no CPython that leaktrace can find: --sources none "
				 "has no census to read; name a source (--sources auto)",
				 pid);
		return -ENOEXEC;
	}
	if (err) {
		if (a->settings.census == LT_CENSUS_ON || a->settings.backrefs ||
		    !a->settings.sources) {
			if (err == -ENOTSUP)
				lt_warn("pid %d runs CPython %u.%u (%s), for which leaktrace has "
					"no "
					"layout: no census",
					pid, major, minor, py.shown);
			else
				lt_warn("pid %d runs no CPython that leaktrace can find: no census",
					pid);
		}
		return 0;
	}
	a->census = census__new(pid, py.layout, py.runtime, py.type_type, a->settings.window,
				a->settings.top, &lim);
	if (!a->census) {
		lt_warn("cannot count pid %d's Python objects: %s", pid, strerror(errno));
		return 0;
	}
	a->py_major = py.layout->major;
	a->py_minor = py.layout->minor;
	lt_info("pid %d: census of CPython %u.%u objects, read every interval", pid, a->py_major,
		a->py_minor);
	return 0;
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

/* The chains found, a few types' last each (the oldest replaced), for the
 * census's rows to show; and this report's search, printed after it. */
#define CHAINS_KEPT 8

struct census_keep {
	struct backref_chain found[CHAINS_KEPT];
	struct report_chain chains[CHAINS_KEPT];
	size_t nr, next;
	bool searched;
	int err;
	char type[128];
	struct backref_chain ch;
};

static void keep_chain(struct census_keep *k, __u64 type, double t, const struct backref_chain *ch)
{
	size_t i = 0;

	while (i < k->nr && k->chains[i].type_addr != type)
		i++;
	if (i == CHAINS_KEPT) {
		i = k->next;
		k->next = (k->next + 1) % CHAINS_KEPT;
	} else if (i == k->nr) {
		k->nr++;
	}
	k->found[i] = *ch;
	k->chains[i] = (struct report_chain){ .type_addr = type, .t = t, .ch = &k->found[i] };
}

/* Searches for the chain that keeps an object of the type asked for
 * (--backrefs TYPE, each report), or else of the top growing type once it is
 * a suspect over a whole window (once per type), for the report made at @t:
 * @view shows the chains found so far beside their types. */
void src_census_search(struct app *a, double t, struct report_census *view)
{
	const char *want = a->settings.backrefs;
	const struct census_row *rows, *row = NULL;
	struct census_keep *k = a->census_keep;
	int err;

	if (!a->census || census__stats(a->census)->error)
		return;
	if (!k) {
		k = a->census_keep = calloc(1, sizeof(*k));
		if (!k)
			return;
	}
	if (want) {
		row = census__find(a->census, want);
	} else if (census__stats(a->census)->reads > a->settings.window &&
		   census__rank(a->census, &rows) && rows[0].suspect &&
		   rows[0].type_addr != a->backrefs_done) {
		/* only once a whole window is read: at the start, a type
		 * caught twice between its churn's allocations and frees would
		 * look like one that keeps growing (2 of 3 intervals) */
		row = &rows[0];
	}
	if (row) {
		/* a link that moved before it was read again (a dict that
		 * grew and moved its entries): search again, a few times */
		for (int try = 0; try < BACKREFS_TRIES; try++) {
			err = backrefs__find(a->census, row->type_addr, BACKREFS_MAX_MS,
					     BACKREFS_MAX_OBJECTS, &k->ch);
			if (err != -EAGAIN)
				break;
		}
		if (err != -ESRCH) {
			snprintf(k->type, sizeof(k->type), "%s", row->type);
			k->searched = true;
			k->err = err;
			/* a heap that moved under every try is searched again
			 * at the next report */
			if (!want && err != -EAGAIN)
				a->backrefs_done = row->type_addr;
			if (!err)
				keep_chain(k, row->type_addr, t, &k->ch);
		}
	}
	view->chains = k->chains;
	view->nr_chains = k->nr;
}

/* Prints this report's search, after the report: a record of its own. */
int src_census_backrefs(struct app *a)
{
	struct census_keep *k = a->census_keep;

	if (!k || !k->searched)
		return 0;
	k->searched = false;
	if (!k->err && a->dot_file) {
		rewind(a->dot_file);
		if (ftruncate(fileno(a->dot_file), 0) == 0) {
			backrefs__dot(&k->ch, a->dot_file);
			fflush(a->dot_file);
		}
	}
	return report__backrefs(a->report, a->pid, k->type, &k->ch, k->err);
}

/* The objects on CPython's free lists are freed to it, not to the
 * allocator: held out of the collector's totals while the maps are read,
 * those still on the lists after are discounted. */
static void python_before_sample(struct app *a)
{
	a->py_nr_held = 0;
	/* one target's free lists (not under --system: see README, Limits) */
	if (!(a->sources & LT_SRC_PYTHON) || a->procs || a->settings.pages)
		return;
	a->py_nr_held = pyresolver__free_objects(a->pyresolver, a->pid, a->py_runtime, a->py_held,
						 2 * LT_PY_FREE_MAX);
	if (a->py_nr_held > 0)
		collector__hold(a->collector, a->pid, LT_KIND_PYOBJ, a->py_held, a->py_nr_held);
}

static void python_after_sample(struct app *a, const struct lt_sample *samples, size_t n)
{
	int nr;

	if (a->py_nr_held > 0) {
		nr = pyresolver__free_objects(a->pyresolver, a->pid, a->py_runtime, a->py_held,
					      2 * LT_PY_FREE_MAX);
		collector__discount(a->collector, a->pid, LT_KIND_PYOBJ, a->py_held,
				    nr > 0 ? nr : 0);
	}
	pyresolver__tick(a->pyresolver);
	prefetch_python(a, samples, n);
}

static void python_exec(struct app *a, pid_t pid)
{
	__u32 key = pid;

	pyresolver__forget(a->pyresolver, pid);
	if (a->py_procs && hashmap__remove(a->py_procs, &key))
		tracer__forget_python(a->tracer, pid);
}

/* --system: traces the CPython that process @pid runs, if any, and if not
 * done yet; quietly, as every process is looked at. Under pages its frames
 * serve only stack walks: not before @pid is in focus. */
static void python_setup(struct app *a, pid_t pid)
{
	__u32 key = pid;
	struct py_target py;
	unsigned int major, minor;
	int err;

	if (!(a->sources & LT_SRC_PYTHON))
		return;
	if (!a->py_procs)
		a->py_procs = hashmap__new(sizeof(__u32));
	if (!a->py_procs || hashmap__get(a->py_procs, &key))
		return;
	err = py_target_find_known(pid, a->files, &py, &major, &minor);
	if (err == -ENOTSUP && !a->py_unsupported_said) {
		a->py_unsupported_said = true;
		lt_warn("pid %d runs CPython %u.%u (%s), for which leaktrace has no layout: no "
			"Python frames or objects for it, nor for others like it",
			pid, major, minor, py.shown);
	}
	if (err)
		return;
	err = a->settings.pages ? tracer__python_frames(a->tracer, pid, &py)
				: tracer__attach_python(a->tracer, pid, &py);
	if (!err)
		err = pyresolver__add(a->pyresolver, pid, py.layout);
	if (!err)
		err = hashmap__put(a->py_procs, &key, (void *)1);
	if (err) {
		lt_debug("pid %d: cannot trace its CPython: %s", pid, strerror(-err));
		tracer__forget_python(a->tracer, pid);
		return;
	}
	lt_debug("pid %d runs CPython %u.%u in %s", pid, py.layout->major, py.layout->minor,
		 py.shown);
}

static void python_seen(struct app *a, pid_t pid)
{
	if (!app_focus_defers(a, pid))
		python_setup(a, pid);
}

static void python_done(struct app *a)
{
	hashmap__free(a->py_procs);
	a->py_procs = NULL;
}

/* Python's probes are the allocators' programs, which walk Python frames
 * too where the source is on (attach.c's py_depth): no program of its own. */
static const struct src_kind python_kinds[] = {
	{ .kind = LT_KIND_PYOBJ, .name = "pyobj", .bytes = true },
};

static const struct src_desc python = {
	.name = "python",
	.bit = LT_SRC_PYTHON,
	.traps = true,
	.kinds = python_kinds,
	.nr_kinds = sizeof(python_kinds) / sizeof(python_kinds[0]),
};

const struct source_ops src_python = {
	.name = "python",
	.descs = (const struct src_desc *const[]){ &python, NULL },
	.ready = python_ready,
	.exec = python_exec,
	.seen = python_seen,
	.exited = python_exec,
	.focused = python_setup,
	.before_sample = python_before_sample,
	.after_sample = python_after_sample,
	.done = python_done,
};

/* Reads the census for this report into @view; false when there is none. */
bool src_census_read(struct app *a, struct report_census *view)
{
	if (!a->census)
		return false;
	census__read(a->census);
	view->stats = census__stats(a->census);
	view->nr = census__rank(a->census, &view->rows);
	view->major = a->py_major;
	view->minor = a->py_minor;
	if (a->census_keep) {
		view->chains = a->census_keep->chains;
		view->nr_chains = a->census_keep->nr;
	}
	return true;
}

static void census_exec(struct app *a, pid_t pid)
{
	(void)pid;
	census__free(a->census);
	a->census = NULL;
	/* the chains were of the old image's objects */
	free(a->census_keep);
	a->census_keep = NULL;
}

static void census_done(struct app *a)
{
	census_exec(a, 0);
}

const struct source_ops src_census = {
	.name = "census",
	.ready = census_ready,
	.exec = census_exec,
	.done = census_done,
};
