/* SPDX-License-Identifier: GPL-2.0-only */
/* The report: keeps each stack's outstanding total over the trailing window,
 * ranks the stacks that keep growing, and prints the top-growth table and the
 * JSON lines of docs/json.md. It symbolizes only what it prints, through the
 * callbacks it is given. */
#ifndef LT_REPORT_H
#define LT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include "arena.h"
#include "backrefs.h"
#include "census.h"
#include "cost.h"
#include "sample.h"
#include "symbolize.h"

struct report;

/* What the report reads but does not own. */
struct report_source {
	void *ctx;
	/* Frames of @stack in process @tgid, innermost first; returns how many,
	 * 0 when unknown. *frames lives until the next call. */
	size_t (*stack_frames)(void *ctx, __u32 tgid, __u64 stack, const __u64 **frames);
	/* Symbolizes @addr of process @tgid into @out: the functions inlined
	 * there, innermost first, then the one that holds it, at most @max
	 * (1 or more) frames. Returns how many. */
	size_t (*resolve)(void *ctx, __u32 tgid, __u64 addr, struct lt_frame *out, size_t max);
	/* Names the Python frame @entry (LT_PY_FRAME set) of @tgid into @out. */
	void (*resolve_py)(void *ctx, __u32 tgid, __u64 entry, struct lt_frame *out);
	/* The name of the Python type at @type in @tgid, or NULL. */
	const char *(*type_name)(void *ctx, __u32 tgid, __u64 type);
	/* The process's name, for reports. */
	const char *(*comm)(void *ctx, __u32 tgid);
};

struct report_opts {
	bool verbose; /* the table header also shows leaktrace's own footprint */
	unsigned int top;
	unsigned int window;
	__u64 fail_on_growth; /* 0 = off */
	/* heap figures are estimates from one call in sample_every (when > 1),
	 * or from one per sample_bytes bytes (when not 0) */
	unsigned int sample_every;
	__u64 sample_bytes;
	FILE *text;		   /* table goes here; NULL = none */
	FILE *json[2];		   /* JSON lines go to each non-NULL one */
	const char *json_names[2]; /* their names in messages; NULL: stdout */
	bool system;		   /* every process: processes ranked first, pid on stacks */
	/* keep the totals, and the stacks once listed, over the whole run
	 * (bounded: downsampled past a few hundred points), for --html */
	bool history;
	/* The JSON lines are also a recording (`leaktrace report`): each stack
	 * once, in a "stack" record, the first time it has something
	 * outstanding, and with each sample a "samples" record of the stacks
	 * whose figures changed; a "forget" record when processes leave. */
	bool record;
};

struct report_start {
	pid_t pid;
	const char *comm;
	unsigned int sources; /* enum lt_source bits */
	double interval;
	double time; /* wall clock at t=0: seconds since the epoch */
	unsigned int stack_depth;
	const struct report_probe *probes;
	size_t nr_probes;
	unsigned int probe_failures;
	unsigned long long bpf_memory; /* kernel memory the BPF maps hold, bytes */
	const struct trap_cost *trap;  /* what a probe costs here; NULL: not measured */
	/* --system: growers traced exactly, at most this many at once (0:
	 * none), for exact_for seconds, once they grew by exact_min */
	unsigned int exact_top;
	double exact_for;
	__u64 exact_min;
};

/* The last chain found to an object of the type at @type_addr, and when:
 * the report whose search found it, each link read again then. */
struct report_chain {
	__u64 type_addr;
	double t;
	const struct backref_chain *ch;
};

/* The Python census of the target (census.h), as of this report; with the
 * chains found for some of its types, shown beside them and beside the
 * pyobj stacks of the same type (one view of type, line and chain). */
struct report_census {
	const struct census_row *rows; /* ranked */
	size_t nr;
	const struct census_stats *stats;
	unsigned int major, minor; /* the CPython version */
	const struct report_chain *chains;
	size_t nr_chains;
};

struct report_status {
	pid_t pid;
	const struct report_census *census; /* NULL: no census */
	const struct report_counter *counters;
	size_t nr_counters;
	/* leaktrace's own footprint: resident memory (now and peak) and the
	 * kernel memory its BPF maps hold, in bytes */
	unsigned long long rss, rss_peak, bpf_memory;
	/* the command of `-- COMMAND` ended by itself: its wait status */
	bool command_ended;
	int command_status;
	/* an interval report that goes out late: by how many seconds past its
	 * due time (0: on time), and what held it back */
	double late;
	const char *late_reason;
	/* the wall clock of this report, seconds since the epoch; 0: now */
	double when;
	/* what the probes cost the traced processes over the interval; NULL:
	 * no source traps, or not known (a recording made before) */
	const struct probe_cost *cost;
};

/* Returns NULL with errno set. */
struct report *report__new(const struct report_opts *opts, const struct report_source *src);
void report__free(struct report *r); /* accepts NULL */

/* Writes the "start" record, once tracing is set up. Returns 0, -ENOMEM, or
 * the -errno of a failed write (see report__failed_output()). */
int report__start(struct report *r, const struct report_start *info);

/* Takes the samples of the interval ending at @t seconds since start; stacks
 * absent from @samples have nothing outstanding. @final: the state at exit,
 * which ends the last interval (later) instead of making an interval of its
 * own, so that the final report's growth and trends are those of whole
 * intervals. Returns 0 or -ENOMEM. */
int report__sample(struct report *r, double t, const struct lt_sample *samples, size_t n,
		   bool final);

/* Prints the report for the last sample: an interval report when @reason is
 * NULL, else the final one ("target-exited", "duration", "signal").
 * Returns 0, or the -errno of the first write that failed, on any output,
 * since the report was made: what went there is incomplete. */
int report__emit(struct report *r, const struct report_status *status, const char *reason);

/* Prints what keeps an object of type @type of @pid alive: @ch, or, when
 * @err is not 0, why no chain was found; a "backrefs" JSON record, and a few
 * lines in the table. Returns 0 or the -errno of a failed write. */
int report__backrefs(struct report *r, pid_t pid, const char *type, const struct backref_chain *ch,
		     int err);

/* A report that is not printed (a recording replayed past it): what was to
 * be said in it (processes that exited) is done with. */
void report__skip(struct report *r);

/* The name of the output a write failed on ("stdout", a file), or NULL. */
const char *report__failed_output(const struct report *r);

/* Process @tgid (@comm) exited, or exec'd: its stacks leave the report,
 * which says so once, at the next emit, if @say. */
void report__forget(struct report *r, __u32 tgid, const char *comm, bool say);
/* The same for @n processes at once (one pass over the stacks), said of
 * with their names @comms, or not at all if @comms is NULL. */
void report__forget_many(struct report *r, const __u32 *tgids, const char *const *comms, size_t n);

/* True once any stack grew by more than fail_on_growth since tracing began;
 * @why then says which, for one line on stderr. */
bool report__tripped(const struct report *r, char *why, size_t len);

/* One stack with something outstanding at the last sample, for the exports
 * (--folded, --pprof). Strings are the traced process's, unescaped, and live
 * until the callback returns. */
struct report_live {
	__u32 tgid;
	const char *comm;
	const char *kind;   /* "heap", "gl.texture", ... */
	bool kind_in_bytes; /* growth is measured in bytes, else in count */
	const char *type;   /* a pyobj stack's Python type, else NULL */
	__s64 bytes, count; /* outstanding */
	__s64 growth_window;
	const struct lt_frame *frames; /* innermost first, at least one */
	size_t nr_frames;
};

typedef int (*report_live_fn)(void *ctx, const struct report_live *live);

/* Calls @fn for every stack with something outstanding at the last sample,
 * most live bytes first (then most live count). Returns 0, -ENOMEM, or the
 * first non-zero value @fn returned, which stops the walk. */
int report__each_live(struct report *r, report_live_fn fn, void *ctx);

/* --system: a process whose total of one kind kept growing over the window
 * (in most of its intervals, as a suspect stack does). */
struct report_grower {
	__u32 tgid;
	__s64 bytes;	     /* outstanding now */
	__s64 growth_window; /* over the window */
	unsigned int grown, intervals;
};

/* The processes whose total of @kind kept growing over the window, by at
 * least @min (bytes, or count for a kind without bytes), most first: up to
 * @max in @out; returns how many. None before two intervals. */
size_t report__growers(const struct report *r, __u32 kind, __s64 min, struct report_grower *out,
		       size_t max);

/* The processes whose total of @kind grew by at least @min (and by more
 * than nothing) in the last interval: up to @max tgids in @out, in no
 * order; returns how many. */
size_t report__grew_last(const struct report *r, __u32 kind, __s64 min, __u32 *out, size_t max);

/* --system: process @tgid's allocations are traced exactly from now on
 * (@start, for one of report__growers()), or no longer; a line in the
 * table, an "exact" JSON record. */
struct report_exact {
	bool start;
	__u32 tgid;
	const struct report_grower *grower; /* start: why */
	double until;			    /* start: when it ends, seconds since start */
	double lasted;			    /* end: how long it was traced exactly */
	const char *why;		    /* end: "time", "exited", "run-ended" */
	const char *error;		    /* start: it could not be traced, and why; or NULL */
};
int report__exact(struct report *r, const struct report_exact *e);

/* One point of a history: the figures at @t seconds since start. */
struct report_point {
	double t;
	__s64 bytes, count;
};

/* A row of the table, as ranked at the last sample (the ranking of the
 * table and the JSON "stacks"). Strings as in struct report_live. */
struct report_row {
	unsigned int rank; /* from 1 */
	__u32 tgid;
	const char *comm;
	const char *kind;
	const char *type;    /* a pyobj stack's Python type, else NULL */
	const char *arena;   /* the allocator whose mappings it holds, else NULL */
	bool in_bytes;	     /* growth in bytes, else in count */
	bool estimated;	     /* figures estimated from sampled calls */
	bool suspect;	     /* kept growing, else recent growth */
	bool stack_lost;     /* no frames: the stack map was full */
	bool stack_unwalked; /* no frames: --system, the process was not in focus */
	__s64 bytes, count;  /* outstanding */
	__s64 growth, growth_window, growth_total;
	unsigned int grown, intervals;
	const struct lt_frame *frames; /* innermost first; 0 when unknown */
	size_t nr_frames;
	/* with opts.history: outstanding over the run, oldest first, from
	 * the last window before it was first listed; else NULL */
	const struct report_point *history;
	size_t nr_history;
};

typedef int (*report_row_fn)(void *ctx, const struct report_row *row);

/* Calls @fn for each row of the table, best first. Returns 0, -ENOMEM, or
 * the first non-zero value @fn returned. */
int report__each_row(struct report *r, report_row_fn fn, void *ctx);

/* The totals of one kind over the run (opts.history). */
struct report_total {
	const char *kind;
	bool in_bytes; /* bytes are known, else only the count */
	bool estimated;
	__s64 bytes, count; /* at the last sample */
	const struct report_point *points;
	size_t nr_points;
};

typedef int (*report_total_fn)(void *ctx, const struct report_total *total);

/* Calls @fn for each kind the table's header shows. Returns 0, -ENOMEM, or
 * the first non-zero value @fn returned. */
int report__each_total(struct report *r, report_total_fn fn, void *ctx);

/* What the run was, as the report knows it. */
struct report_info {
	bool system;	       /* every process */
	pid_t pid;	       /* 0 under --system */
	const char *comm;      /* the target's name, "" under --system */
	double t;	       /* seconds since start of the last sample */
	double interval, time; /* report_start's */
	unsigned int window, top;
	unsigned int sample_every;
	__u64 sample_bytes;
	const char *reason; /* the final report's, else "" */
	__u64 dropped;	    /* events dropped, as of the last emit */
};

void report__info(const struct report *r, struct report_info *out);
/* The name of enum lt_kind @kind in reports ("heap", "gl.texture"), "?"
 * past the last. */
const char *report__kind_name(__u32 kind);

/* The frames of a stack as the table prints them, innermost first, to
 * @out; and one frame as the JSON lines write it (json.h). */
void report__print_frames(FILE *out, const struct lt_frame *frames, size_t n);
struct jw;
void report__json_frame(struct jw *w, const struct lt_frame *f);

/* Human units: "512 B", "1.5 KiB", "+2.0 MiB" with @sign. */
void lt_format_size(char *buf, size_t len, __s64 bytes, bool sign);

#endif
