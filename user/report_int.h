/* SPDX-License-Identifier: GPL-2.0-only */
/* The report's insides, shared by report.c (the series, their growth and
 * ranking), report_json.c (the JSON lines), report_text.c (the table),
 * report_backrefs.c and report_census.c: not for the rest of leaktrace, which
 * has report.h. */
#ifndef LT_REPORT_INT_H
#define LT_REPORT_INT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "escape.h"
#include "json.h"
#include "report.h"

/* A string a traced process controls, escaped into @buf, an array. */
#define TERM(buf, str) lt_escape_term(buf, sizeof(buf), str)

struct series_key {
	__u64 stack;
	__u64 aux; /* a pyobj's type */
	__u32 tgid;
	__u32 kind;
};

struct series {
	struct series_key key;
	__s64 bytes, count;
	__u64 allocs, frees;
	unsigned long seen; /* the last sample that had it (report.nr_samples) */
	/* bytes at interval i in ring[2 * (i % (window + 1))], count right after */
	__s64 *ring;
	__s64 peak[2];	      /* highest bytes, count up to the window's first interval */
	bool sized;	      /* had bytes once: grows in bytes, though its kind may not */
	struct history *hist; /* --html: its figures over the run, once listed */
	/* the recording: bytes, count, allocs, frees as last written */
	__s64 rec_last[4];
};

/* A series ranked for printing, with its growth figures. */
struct suspect {
	struct series *s;
	__s64 growth, growth_window, growth_total;
	unsigned int grown;	/* intervals of the window it grew in */
	unsigned int intervals; /* intervals in the window */
	bool suspect;		/* kept growing: in most intervals of the window */
};

/* --system: one process's figures (memory kinds only), for ranking them. */
struct proc_row {
	__u32 tgid;
	__s64 bytes, count, growth, growth_window;
};

/* A process that exited since the last emit, with what it had then. */
struct gone {
	__u32 tgid;
	char comm[24];
	__s64 bytes;
};

struct report {
	struct report_opts opts;
	struct report_source src;
	struct hashmap *series;	  /* struct series_key -> struct series */
	unsigned long k;	  /* intervals sampled; interval 0 is the start, all zero */
	unsigned long nr_samples; /* samples taken: k, and the final one */
	double t;
	__s64 kind_bytes[LT_KIND__NR], kind_count[LT_KIND__NR];
	__s64 kind_prev_bytes[LT_KIND__NR];
	bool kind_seen[LT_KIND__NR]; /* had something live at a sample of the run */
	unsigned int sources;	     /* what was traced at the start */
	bool tripped;
	int write_err;		  /* the first failed write's -errno */
	const char *write_failed; /* and the output it failed on */
	char trip_why[256];
	struct gone *gone; /* exited since the last emit */
	size_t nr_gone, cap_gone;
	struct proc_row *procs; /* --system: ranked, during an emit */
	size_t nr_procs;
	struct lt_frame *frames; /* MAX_SHOWN, for the stack being printed */
	bool said_no_symbols;	 /* the hint on debug symbols was given */
	/* what report__start() and the last emit said, for report__info() */
	pid_t pid;
	char comm[64];
	double interval, time;
	char reason[32];
	__u64 dropped;
	/* opts.history: the totals over the run, the time of each interval
	 * in the window, and how many series have a history */
	struct totals *totals;
	double *ring_t;
	size_t nr_hist;
	/* the recording (opts.record): struct series_key -> its stack record's
	 * id, for every stack written, until its process is forgotten */
	struct hashmap *rec_ids;
	__u64 rec_next_id;
};

/* Frames shown of one stack, native ones with the functions inlined at them
 * (7 a frame on average at the deepest --stack-depth) and Python ones: what
 * does not fit is left out at the outer end. */
#define MAX_SHOWN (LT_MAX_STACK_DEPTH * 8)

/* report.c */
const char *rp_kind_name(__u32 kind);
bool rp_in_bytes(const struct series *s);
const char *rp_count_noun(__u32 kind);
__u32 rp_arena_of(const struct series *s);
/* The mapping the pages of a "pages" stack are in ("anon", "heap",
 * "stack"), and in @what (may be NULL) that said for the table; NULL for
 * other kinds. */
const char *rp_region_of(const struct series *s, const char **what);
bool rp_estimated(const struct report *r, __u32 kind);
const char *rp_mark(char *buf, size_t len, const char *figure, bool estimate);
bool rp_kind_shown(const struct report *r, __u32 kind);
bool rp_kind_in_header(const struct report *r, __u32 kind);
const char *rp_base_name(const char *path);
const char *rp_comm_of(const struct report *r, __u32 tgid);
void rp_check_sink(struct report *r, FILE *f, const char *name);
/* The one frame said of a stack with none: "[stack lost]", "[stack not
 * walked]" or "[stack unavailable]". */
const char *rp_no_frames(__u64 stack);
bool rp_json_wanted(const struct report *r);
__u64 rp_dropped(const struct report_status *st);
bool rp_is_unnamed_frame(const struct lt_frame *f);
size_t rp_render_frames(struct report *r, __u32 tgid, const __u64 *ips, size_t nr,
			struct lt_frame *out, size_t max);
const char *rp_type_of(const struct report *r, const struct series *s);
bool rp_kind_has_bytes(__u32 kind);
size_t rp_rank(struct report *r, struct suspect **out);
void rp_suspect_fill(const struct report *r, struct series *s, struct suspect *out);

/* report_history.c: opts.history */
struct history;
struct totals;
/* Allocates what the history needs; returns 0 or -ENOMEM. */
int rp_history_new(struct report *r);
/* Takes the last sample into the histories, and starts one for each stack
 * listed that has none. Returns 0 or -ENOMEM. */
int rp_history_sample(struct report *r);
/* Frees @s's history (accepts a series without one). */
void rp_history_drop(struct report *r, struct series *s);
void rp_history_free(struct report *r);

/* report_record.c: the recording's own records (see report_opts.record) */
int rp_record_samples(struct report *r, double t, bool final);
void rp_record_forget(struct report *r, const __u32 *tgids, const char *const *comms, size_t n);
void rp_json_frame(struct jw *w, const struct lt_frame *f, bool full);

/* report_backrefs.c: a chain (at least one link) as the table shows it,
 * "module m -> X (dict) -> ['k'] -> T", and as a JSON array of links. */
void rp_text_chain(FILE *out, const struct backref_chain *ch);
void rp_json_chain(struct jw *w, const struct backref_chain *ch);

/* report_census.c: beside each type the census lists, the listed pyobj
 * stacks of that type and the chain last found to one of its objects. */
void rp_text_census_views(struct report *r, const struct report_census *c,
			  const struct suspect *top, size_t n);
void rp_json_census_view(struct report *r, struct jw *w, const struct report_census *c,
			 const struct census_row *row, const struct suspect *top, size_t n);

/* report_json.c: one JSON record, rendered in memory and then written whole
 * to every JSON output, so that no output holds half of one. */
struct rp_rec {
	struct jw *w;
	FILE *f;
	char *buf;
	size_t len;
};

/* Begins a record in @w, {"type":@type, and with rp_rec_begin_at() "t":@t
 * (seconds since tracing began) after it: the caller writes the rest of its
 * fields into @w. Returns 0, or -ENOMEM with nothing to end. */
int rp_rec_begin(struct rp_rec *rec, struct jw *w, const char *type);
int rp_rec_begin_at(struct rp_rec *rec, struct jw *w, const char *type, double t);
/* Ends @rec's object, writes the record to every JSON output (a failed write
 * shows in r->write_err) and frees it. */
void rp_rec_end(struct report *r, struct rp_rec *rec);

/* report_json.c and report_text.c: one report, to each output */
void rp_emit_json(struct report *r, const struct report_status *st, const char *reason,
		  const struct suspect *top, size_t n);
void rp_emit_text(struct report *r, const struct report_status *st, const char *reason,
		  const struct suspect *top, size_t n);

#endif
