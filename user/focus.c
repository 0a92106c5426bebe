// SPDX-License-Identifier: GPL-2.0-only
/* --system under pages: which processes have the stacks of their pages
 * walked. Walking a stack is most of what a page costs, and a process's
 * unwind tables and Python frames are made for its walks: on a busy
 * machine, for hundreds of short processes that never grow. So a process's
 * pages are charged to no stack (LT_STACK_UNWALKED, bpf/pages.bpf.h) until
 * it grows, in one interval, by as much as a process that can become a
 * grower must grow in some interval (--exact-min over the window, a page at
 * least); from then on, until it exits or exec's, its stacks are walked and
 * what walking needs is made (the sources' focused hook). A process traced
 * exactly (exact.c) is put in focus at the start of its phase. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "app.h"
#include "attach.h"
#include "hashmap.h"
#include "log.h"
#include "report.h"
#include "sample.h"
#include "source.h"

struct focus {
	struct hashmap *pids; /* tgid -> 1: in the focus map */
	int fd;		      /* the focus map */
	__u64 full;	      /* processes left out: the map was full */
	__u32 grew[LT_FOCUS_MAX];
};

int app_focus_init(struct app *a)
{
	struct focus *f;

	if (!a->settings.system || !(tracer__sources(a->tracer) & LT_SRC_PAGES))
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->pids = hashmap__new(sizeof(__u32)))) {
		free(f);
		return -ENOMEM;
	}
	f->fd = bpf_map__fd(tracer__skel(a->tracer)->maps.focus);
	a->focus = f;
	return 0;
}

void app_focus_free(struct app *a)
{
	if (!a->focus)
		return;
	hashmap__free(a->focus->pids);
	free(a->focus);
	a->focus = NULL;
}

bool app_focus_defers(const struct app *a, pid_t pid)
{
	__u32 key = pid;

	return a->focus && !hashmap__get(a->focus->pids, &key);
}

int app_focus(struct app *a, pid_t pid)
{
	struct focus *f = a->focus;
	__u32 key = pid;
	__u8 one = 1;
	int err;

	if (!f || hashmap__get(f->pids, &key))
		return 0;
	if (hashmap__put(f->pids, &key, (void *)1))
		return -ENOMEM;
	if (bpf_map_update_elem(f->fd, &key, &one, BPF_ANY)) {
		err = -errno;
		hashmap__remove(f->pids, &key);
		if (err == -E2BIG && !f->full++)
			lt_warn("pid %d: no room for more processes whose stacks are walked (%u): "
				"its pages are charged without a stack (focus_full counts such "
				"processes)",
				pid, LT_FOCUS_MAX);
		else if (err != -E2BIG)
			lt_debug("pid %d: cannot put it in focus: %s", pid, strerror(-err));
		return err;
	}
	lt_debug("pid %d grew: its pages' stacks are walked from now on", pid);
	sources_focused(a, pid);
	return 0;
}

void app_focus_forget(struct app *a, pid_t pid)
{
	__u32 key = pid;

	if (!a->focus || !hashmap__remove(a->focus->pids, &key))
		return;
	bpf_map_delete_elem(a->focus->fd, &key);
}

void app_focus_step(struct app *a)
{
	struct focus *f = a->focus;
	const struct lt_settings *s = &a->settings;
	__s64 min = s->window ? (__s64)(s->exact_min / s->window) : (__s64)s->exact_min;
	size_t n;

	if (!f)
		return;
	if (min < sysconf(_SC_PAGESIZE))
		min = sysconf(_SC_PAGESIZE);
	n = report__grew_last(a->report, LT_KIND_PAGES, min, f->grew, LT_FOCUS_MAX);
	for (size_t i = 0; i < n; i++)
		if (f->grew[i] != (__u32)getpid())
			app_focus(a, (pid_t)f->grew[i]);
}

size_t app_focus_counters(const struct app *a, struct report_counter *out, size_t max)
{
	size_t n = 0;

	if (!a->focus)
		return 0;
	const struct report_counter all[] = {
		{ "focused", hashmap__count(a->focus->pids), false },
		{ "focus_full", a->focus->full, false },
	};

	for (; n < sizeof(all) / sizeof(all[0]) && n < max; n++)
		out[n] = all[n];
	return n;
}
