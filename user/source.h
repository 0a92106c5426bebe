/* SPDX-License-Identifier: GPL-2.0-only */
/* What each source does over a traced process's life, one ops table each,
 * beside its bpf/<source>.bpf.h: src_native.c (heap, mmap and the unwind
 * tables their stacks use), src_fd.c, src_python.c (probes, and the census),
 * src_gl.c, src_pages.c. target.c and loop.c call them in the order of sources[] at each
 * moment of that life; what each is (srcdesc.h) hangs off its ops, so a new
 * source is its own file plus its line in sources[] and its name below. */
#ifndef LT_SOURCE_H
#define LT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct app;
struct lt_sample;
struct src_desc;

/* Every hook may be NULL. */
struct source_ops {
	const char *name;
	/* What it traces, as --sources names it (srcdesc.h); NULL ends the
	 * list, and a source that probes nothing (the census) has none. */
	const struct src_desc *const *descs;
	/* Process @pid is ready to be probed: at attach (-p), once a launched
	 * command's libraries are mapped, after an exec. @later: what takes
	 * long may be done while the event loop goes on. An error ends the
	 * run; a source that cannot trace this process says so and returns 0. */
	int (*ready)(struct app *a, pid_t pid, bool later);
	/* @pid mapped new code (a library was loaded), not under --system. */
	void (*code_mapped)(struct app *a, pid_t pid);
	/* @pid replaced its image with exec: forget what was known of the old
	 * one (every mode, --system included). */
	void (*exec)(struct app *a, pid_t pid);
	/* --system: before any probe is attached; then @pid exec'd or mapped
	 * new code (once per report at most); and @pid exited. */
	void (*system_start)(struct app *a);
	void (*seen)(struct app *a, pid_t pid);
	void (*exited)(struct app *a, pid_t pid);
	/* --system under pages: @pid's stacks are walked from now on (focus.c):
	 * what only walks need, deferred by seen until then. */
	void (*focused)(struct app *a, pid_t pid);
	/* Each report, before the BPF maps are read, and after with what was
	 * read (@samples, @n). */
	void (*before_sample)(struct app *a);
	void (*after_sample)(struct app *a, const struct lt_sample *samples, size_t n);
	/* The run ends: free what the source keeps. */
	void (*done)(struct app *a);
};

extern const struct source_ops src_native, src_fd, src_python, src_census, src_gl, src_pages;

/* The ops of the sources, in the order they act at each moment. */
int sources_ready(struct app *a, pid_t pid, bool later);
void sources_code_mapped(struct app *a, pid_t pid);
void sources_exec(struct app *a, pid_t pid);
void sources_system_start(struct app *a);
void sources_seen(struct app *a, pid_t pid);
void sources_exited(struct app *a, pid_t pid);
void sources_focused(struct app *a, pid_t pid);
void sources_before_sample(struct app *a);
void sources_after_sample(struct app *a, const struct lt_sample *samples, size_t n);
void sources_done(struct app *a);

/* src_python.c: the census's part of a report, and the chain that keeps an
 * object of the type asked for (--backrefs), or of the top growing one:
 * searched for after the read, for the report made at @t to show it beside
 * its type (@view's chains), and printed on its own after that report. */
struct report_census;
bool src_census_read(struct app *a, struct report_census *view);
void src_census_search(struct app *a, double t, struct report_census *view);
int src_census_backrefs(struct app *a);

#endif
