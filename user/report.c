// SPDX-License-Identifier: GPL-2.0-only
/* Growth over the trailing window per stack, ranking of leak suspects, the
 * verdict on each (suspect, or recent growth), and the table and JSON lines.
 * Each stack keeps its bytes and count at the last window+1 intervals in a
 * ring, so the window growth and the trend cost nothing to compute in either
 * unit; its unit (bytes where they are known, else count) is chosen when it
 * is shown. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "array.h"
#include "escape.h"
#include "hashmap.h"
#include "json.h"
#include "log.h"
#include "options.h"
#include "report_int.h"
#include "srcdesc.h"

/* Each kind is its source's to describe (srcdesc.h). */
const char *rp_kind_name(__u32 kind)
{
	const struct src_kind *k = src_kind(kind, NULL);

	return k ? k->name : "?";
}

const char *report__kind_name(__u32 kind)
{
	return rp_kind_name(kind);
}

/* Kinds of memory, whose bytes are always known. */
static bool kind_has_bytes(__u32 kind)
{
	const struct src_kind *k = src_kind(kind, NULL);

	return k && k->bytes;
}

bool rp_kind_has_bytes(__u32 kind)
{
	return kind_has_bytes(kind);
}

/* Whether @s grows in bytes: memory, and GL objects whose size could be
 * derived (textures, buffers, renderbuffers); the others grow in count (a
 * framebuffer leaks as surely as a texture, with no bytes of its own). */
bool rp_in_bytes(const struct series *s)
{
	return kind_has_bytes(s->key.kind) || s->sized;
}

/* What a count of @kind counts, in the table. */
const char *rp_count_noun(__u32 kind)
{
	const struct src_kind *k = src_kind(kind, NULL);

	return k && k->noun ? k->noun : "obj";
}

/* The allocator whose arenas @s holds, 0 for a stack of the program's own. */
__u32 rp_arena_of(const struct series *s)
{
	return s->key.kind == LT_KIND_MMAP && s->key.aux < LT_ARENA__NR ? (__u32)s->key.aux : 0;
}

const char *rp_region_of(const struct series *s, const char **what)
{
	if (s->key.kind != LT_KIND_PAGES || s->key.aux >= LT_REGION__NR)
		return NULL;
	if (what)
		*what = lt_region_what(s->key.aux);
	return lt_region_name(s->key.aux);
}

static unsigned int kind_source(__u32 kind)
{
	const struct src_desc *d;

	return src_kind(kind, &d) ? d->bit : 0;
}

/* Whether the figures of @kind are estimates from sampled calls (--sample,
 * --sample-bytes: heap only). */
bool rp_estimated(const struct report *r, __u32 kind)
{
	return kind == LT_KIND_HEAP && (r->opts.sample_every > 1 || r->opts.sample_bytes);
}

/* @figure, marked "~" when it is an estimate. */
const char *rp_mark(char *buf, size_t len, const char *figure, bool estimate)
{
	snprintf(buf, len, "%s%s", estimate ? "~" : "", figure);
	return buf;
}

/* Totals are shown for the kinds of the sources traced, and for any other
 * that has something (a source found later, as GL in a program that loads
 * it late). */
bool rp_kind_shown(const struct report *r, __u32 kind)
{
	return (r->sources & kind_source(kind)) || r->kind_count[kind] || r->kind_bytes[kind] ||
	       r->kind_prev_bytes[kind];
}

/* The kind the run is about: pages where they are traced (--pages, and
 * --system's default), else the first kind of the first source traced. */
static __u32 main_kind(const struct report *r)
{
	if (r->sources & LT_SRC_PAGES)
		return LT_KIND_PAGES;
	for (unsigned int bit = 1; bit & src_all(); bit <<= 1) {
		const struct src_desc *d = src_by_bit(bit);

		if ((r->sources & bit) && d && d->nr_kinds)
			return d->kinds[0].kind;
	}
	return LT_KIND_HEAP;
}

/* The table header's live totals leave out, under --system, a kind that
 * has had nothing live in the run, but the run's main one: a source is
 * traced there in every process that may use it, and on most machines
 * none uses GL, whose nine kinds said "0 B in 0" in every header. With -p
 * and --, a kind of a traced source stays at 0 B: GL and Python are traced
 * only in a target that uses them, and nothing live there is news. The
 * JSON totals keep every kind shown, for readers that expect its keys. */
bool rp_kind_in_header(const struct report *r, __u32 kind)
{
	if (!rp_kind_shown(r, kind))
		return false;
	return !r->opts.system || r->kind_seen[kind] || kind == main_kind(r);
}

void lt_format_size(char *buf, size_t len, __s64 bytes, bool sign)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	const char *prefix = bytes < 0 ? "-" : sign && bytes > 0 ? "+" : "";
	double v = bytes < 0 ? -(double)bytes : (double)bytes;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, len, "%s%.0f B", prefix, v);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%s%.1f %s", prefix, v, units[u]);
}

struct report *report__new(const struct report_opts *opts, const struct report_source *src)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->opts = *opts;
	r->src = *src;
	r->series = hashmap__new(sizeof(struct series_key));
	r->frames = calloc(MAX_SHOWN, sizeof(*r->frames));
	r->rec_ids = hashmap__new(sizeof(struct series_key));
	if (!r->series || !r->frames || !r->rec_ids || (opts->history && rp_history_new(r))) {
		report__free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

static void series_free(struct report *r, struct series *s)
{
	if (!s)
		return;
	rp_history_drop(r, s);
	free(s->ring);
	free(s);
}

void report__free(struct report *r)
{
	size_t pos = 0;
	void *v;

	if (!r)
		return;
	while (r->series && hashmap__next(r->series, &pos, NULL, &v))
		series_free(r, v);
	hashmap__free(r->series);
	rp_history_free(r);
	hashmap__free(r->rec_ids);
	free(r->gone);
	free(r->frames);
	free(r);
}

static size_t ring_len(const struct report *r)
{
	return r->opts.window + 1;
}

/* @s's measure at interval @i: bytes, or count where it grows in count. */
static __s64 ring_at(const struct report *r, const struct series *s, unsigned long i)
{
	return s->ring[2 * (i % ring_len(r)) + !rp_in_bytes(s)];
}

int report__sample(struct report *r, double t, const struct lt_sample *samples, size_t n,
		   bool final)
{
	/* The state at exit ends the last interval late, rather than making
	 * one of its own: a fake interval, short, where little grew, would
	 * weaken every trend. Without an interval before it, it is the first. */
	bool extend = final && r->k > 0;
	size_t pos = 0;
	void *v;

	if (!extend)
		r->k++;
	r->nr_samples++;
	r->t = t;
	for (size_t i = 0; i < n; i++) {
		const struct lt_sample *x = &samples[i];
		struct series_key key = {
			.stack = x->stack, .aux = x->aux, .tgid = x->tgid, .kind = x->kind
		};
		struct series *s = hashmap__get(r->series, &key);

		if (x->kind >= LT_KIND__NR)
			continue;
		if (!s) {
			/* Nothing outstanding and never seen: no history worth starting. */
			if (!x->bytes && !x->count)
				continue;
			s = calloc(1, sizeof(*s));
			if (!s)
				return -ENOMEM;
			s->ring = calloc(2 * ring_len(r), sizeof(*s->ring));
			if (!s->ring || hashmap__put(r->series, &key, s)) {
				series_free(r, s);
				return -ENOMEM;
			}
			s->key = key;
		}
		s->bytes = x->bytes;
		s->count = x->count;
		s->allocs = x->allocs;
		s->frees = x->frees;
		s->seen = r->nr_samples;
		s->sized |= x->bytes != 0;
	}

	if (!extend)
		memcpy(r->kind_prev_bytes, r->kind_bytes, sizeof(r->kind_bytes));
	memset(r->kind_bytes, 0, sizeof(r->kind_bytes));
	memset(r->kind_count, 0, sizeof(r->kind_count));
	while (hashmap__next(r->series, &pos, NULL, &v)) {
		struct series *s = v;
		bool quiet = true;

		if (s->seen != r->nr_samples)
			s->bytes = s->count = 0;
		s->ring[2 * (r->k % ring_len(r))] = s->bytes;
		s->ring[2 * (r->k % ring_len(r)) + 1] = s->count;
		for (int u = 0; u < 2 && !extend && r->k >= r->opts.window; u++) {
			__s64 first = s->ring[2 * ((r->k - r->opts.window) % ring_len(r)) + u];

			if (first > s->peak[u])
				s->peak[u] = first;
		}
		r->kind_bytes[s->key.kind] += s->bytes;
		r->kind_count[s->key.kind] += s->count;
		r->kind_seen[s->key.kind] |= s->bytes > 0 || s->count > 0;
		/* the limit is a size: GL objects trip it by their estimated bytes */
		if (r->opts.fail_on_growth && !r->tripped &&
		    s->bytes > (__s64)r->opts.fail_on_growth) {
			char size[32];

			r->tripped = true;
			lt_format_size(size, sizeof(size), s->bytes, false);
			snprintf(r->trip_why, sizeof(r->trip_why),
				 "a %s stack of pid %u grew by %s since tracing began (limit %llu "
				 "bytes)",
				 rp_kind_name(s->key.kind), s->key.tgid, size,
				 (unsigned long long)r->opts.fail_on_growth);
		}
		/* Forget series that held nothing for a whole window (bytes and
		 * count, two entries an interval), once a recording has said
		 * so: its last row must not be left standing for something. */
		for (unsigned long i = 0; i < 2 * ring_len(r) && quiet; i++)
			quiet = !s->ring[i];
		quiet = quiet && !s->rec_last[0] && !s->rec_last[1];
		if (quiet && !s->count && r->k >= ring_len(r)) {
			hashmap__remove(r->series, &s->key);
			series_free(r, s);
		}
	}
	if (r->opts.history) {
		int err = rp_history_sample(r);

		if (err)
			return err;
	}
	return r->opts.record && rp_json_wanted(r) ? rp_record_samples(r, t, final) : 0;
}

void rp_suspect_fill(const struct report *r, struct series *s, struct suspect *out)
{
	unsigned long k = r->k, from = k > r->opts.window ? k - r->opts.window : 0;
	__s64 now = ring_at(r, s, k);

	out->s = s;
	out->growth = k ? now - ring_at(r, s, k - 1) : now;
	out->growth_window = now - ring_at(r, s, from);
	out->growth_total = now;
	out->grown = 0;
	for (unsigned long i = from + 1; i <= k; i++)
		out->grown += ring_at(r, s, i) > ring_at(r, s, i - 1);
	out->intervals = k - from;
	/* Grew in more than half the window's intervals, and in two at least:
	 * one interval cannot tell a leak from a one-off. */
	out->suspect = out->growth_window > 0 && out->grown >= 2 && 2 * out->grown > out->intervals;
}

/* Rows in the order listed: suspects, then recent growth; in each, the
 * program's stacks before the arenas of its allocators, whose growth is that
 * of the blocks and objects in them, shown at their own stacks. */
static int row_group(const struct suspect *x)
{
	return 2 * !x->suspect + !!rp_arena_of(x->s);
}

static int suspect_cmp(const void *a, const void *b)
{
	const struct suspect *x = a, *y = b;

	if (row_group(x) != row_group(y))
		return row_group(x) - row_group(y);
	if (x->growth_window != y->growth_window)
		return x->growth_window > y->growth_window ? -1 : 1;
	if (x->growth_total != y->growth_total)
		return x->growth_total > y->growth_total ? -1 : 1;
	if (x->s->key.stack != y->s->key.stack)
		return x->s->key.stack < y->s->key.stack ? -1 : 1;
	return (int)x->s->key.kind - (int)y->s->key.kind;
}

/* Interleaves the @n rows at @v, ranked, by unit: the i-th in bytes, then
 * the i-th in count, in their order. @tmp has room for @n. */
static void take_turns(struct suspect *v, size_t n, struct suspect *tmp)
{
	size_t ib = 0, ic = 0, k = 0;

	while (k < n) {
		while (ib < n && !rp_in_bytes(v[ib].s))
			ib++;
		if (ib < n)
			tmp[k++] = v[ib++];
		while (ic < n && rp_in_bytes(v[ic].s))
			ic++;
		if (ic < n)
			tmp[k++] = v[ic++];
	}
	memcpy(v, tmp, n * sizeof(*v));
}

/* The stacks listed, best first; returns how many (at most top). Suspects
 * come first, then recent growth (row_group()). Bytes and object counts do
 * not compare: in each group, rows measured in bytes and in count (GL
 * objects of no known size, descriptors) are ranked apart and take turns,
 * so that neither hides the other. */
size_t rp_rank(struct report *r, struct suspect **out)
{
	size_t n = 0, cap = hashmap__count(r->series), pos = 0;
	struct suspect *v = calloc(cap ? cap : 1, sizeof(*v));
	struct suspect *tmp = calloc(cap ? cap : 1, sizeof(*tmp));
	void *s;

	*out = v;
	if (!v || !tmp) {
		free(tmp);
		return 0;
	}
	while (hashmap__next(r->series, &pos, NULL, &s)) {
		rp_suspect_fill(r, s, &v[n]);
		/* Growing, and above anything it held before the window: a
		 * bounded cache caught mid-turnover at the window's start
		 * grows back only to where it was. */
		if (v[n].growth_window > 0 && v[n].growth_total > v[n].s->peak[!rp_in_bytes(s)])
			n++;
	}
	qsort(v, n, sizeof(*v), suspect_cmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && row_group(&v[j]) == row_group(&v[i]); j++)
			;
		take_turns(v + i, j - i, tmp);
	}
	free(tmp);
	return n < r->opts.top ? n : r->opts.top;
}

const char *rp_base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

const char *rp_comm_of(const struct report *r, __u32 tgid)
{
	const char *c = r->src.comm ? r->src.comm(r->src.ctx, tgid) : NULL;

	return c ? c : "?";
}

/* Notes the first sink that a write failed on: its output is incomplete. */
void rp_check_sink(struct report *r, FILE *f, const char *name)
{
	if (fflush(f) == 0 && !ferror(f))
		return;
	if (!r->write_err) {
		r->write_err = errno ? -errno : -EIO;
		r->write_failed = name ? name : "stdout";
	}
}

const char *rp_no_frames(__u64 stack)
{
	return stack == LT_STACK_LOST	    ? "[stack lost]"
	       : stack == LT_STACK_UNWALKED ? "[stack not walked]"
					    : "[stack unavailable]";
}

bool rp_json_wanted(const struct report *r)
{
	return r->opts.json[0] || r->opts.json[1];
}

__u64 rp_dropped(const struct report_status *st)
{
	__u64 sum = 0;

	for (size_t i = 0; i < st->nr_counters; i++)
		if (st->counters[i].drop)
			sum += st->counters[i].value;
	return sum;
}

/* The native frame of the interpreter's eval loop, which runs Python frames. */
static bool is_eval_frame(const struct lt_frame *f)
{
	return f->func && !strncmp(f->func, "_PyEval_EvalFrameDefault", 24);
}

/* Frames the interpreter makes for itself, which run no code of the program:
 * 3.13's __init__ cleanup frame, named and filed "__init__", with no lines. */
static bool is_shim_frame(const struct lt_frame *f)
{
	return f->python && !f->line && f->func && f->file && !strcmp(f->func, f->file);
}

/* A native frame shown as its module and offset: one in a file (or the
 * vDSO, an ELF image of its own) that has no symbol there. */
bool rp_is_unnamed_frame(const struct lt_frame *f)
{
	return !f->python && !f->func && f->module &&
	       (f->module[0] == '/' || !strcmp(f->module, "[vdso]"));
}

/* Once a run, on stderr: how to name the frames that have no name. */
static void say_no_symbols(struct report *r, const struct lt_frame *f)
{
	char module[256];

	if (r->said_no_symbols || !rp_is_unnamed_frame(f) || f->module[0] != '/')
		return;
	r->said_no_symbols = true;
	lt_warn("%s has no symbol for some frames (shown as module+offset): install its debug "
		"symbols (Debian's -dbgsym package of it, Fedora's -debuginfo) or pass "
		"--debug-dir DIR",
		lt_escape_term(module, sizeof(module), rp_base_name(f->module)));
}

/* Appends Python frame @entry to @out unless it is a shim; returns the count. */
static size_t add_py_frame(struct report *r, __u32 tgid, __u64 entry, struct lt_frame *out,
			   size_t n)
{
	r->src.resolve_py(r->src.ctx, tgid, entry, &out[n]);
	return is_shim_frame(&out[n]) ? n : n + 1;
}

/* The frames of a stack as shown, innermost first: native ones symbolized,
 * each after the functions inlined at its address (--stack-depth counts the
 * native frames alone), and each native frame of the eval loop replaced by
 * the Python frames it ran (those up to the next entry mark); Python frames
 * left over, where the native walk ended early, come last. Past the first
 * Python frame, the interpreter's own native frames are its calls between
 * Python frames, and past the last, its start (unwind tables walk that far):
 * the Python frames stand for them. Native frames of other modules between
 * Python frames (a C extension that calls back into Python) stay. Returns
 * how many went into @out. */
size_t rp_render_frames(struct report *r, __u32 tgid, const __u64 *ips, size_t nr,
			struct lt_frame *out, size_t max)
{
	size_t n = 0, py = 0, py_first;
	const char *interp = NULL; /* the module of the eval loop */

	while (py < nr && !(ips[py] & LT_PY_FRAME))
		py++;
	py_first = py;
	for (size_t i = 0; i < nr && !(ips[i] & LT_PY_FRAME) && n < max; i++) {
		size_t k = r->src.resolve(r->src.ctx, tgid, ips[i], &out[n], max - n);
		const struct lt_frame *f;

		if (!k)
			break;
		/* the function that holds the address, after those inlined */
		f = &out[n + k - 1];
		if (!is_eval_frame(f) || py == nr) {
			if (py == py_first ||
			    (py < nr && !(interp && f->module && !strcmp(f->module, interp)))) {
				say_no_symbols(r, f);
				n += k;
			}
			continue;
		}
		interp = f->module;
		while (py < nr && n < max) {
			bool entry = ips[py] & LT_PY_ENTRY;

			n = add_py_frame(r, tgid, ips[py++], out, n);
			if (entry)
				break;
		}
	}
	while (py < nr && n < max)
		n = add_py_frame(r, tgid, ips[py++], out, n);
	return n;
}

const char *rp_type_of(const struct report *r, const struct series *s)
{
	const char *name = r->src.type_name ? r->src.type_name(r->src.ctx, s->key.tgid, s->key.aux)
					    : NULL;

	return name ? name : "?";
}

void report__forget_many(struct report *r, const __u32 *tgids, const char *const *comms, size_t n)
{
	struct hashmap *which = hashmap__new(sizeof(__u32));
	__s64 *bytes = calloc(n ? n : 1, sizeof(*bytes));
	bool *shown = calloc(n ? n : 1, sizeof(*shown));
	size_t pos = 0;
	void *v;

	if (!which || !bytes || !shown)
		goto cleanup;
	for (size_t i = 0; i < n; i++)
		hashmap__put(which, &tgids[i], (void *)(uintptr_t)(i + 1));
	/* one pass over the series, whatever the number of processes */
	while (hashmap__next(r->series, &pos, NULL, &v)) {
		struct series *s = v;
		void *at = hashmap__get(which, &s->key.tgid);
		size_t i = (uintptr_t)at - 1;

		if (!at)
			continue;
		if (kind_has_bytes(s->key.kind))
			bytes[i] += s->bytes;
		shown[i] = true;
		hashmap__remove(r->series, &s->key);
		series_free(r, s);
	}
	if (r->opts.record && rp_json_wanted(r))
		rp_record_forget(r, tgids, comms, n);
	/* said only of processes the report had something of */
	for (size_t i = 0; i < n && comms; i++) {
		if (!shown[i] || ARRAY_RESERVE(r->gone, r->cap_gone, r->nr_gone + 1))
			continue;
		r->gone[r->nr_gone] = (struct gone){ .tgid = tgids[i], .bytes = bytes[i] };
		snprintf(r->gone[r->nr_gone].comm, sizeof(r->gone[0].comm), "%s",
			 comms[i] ? comms[i] : "?");
		r->nr_gone++;
	}
cleanup:
	hashmap__free(which);
	free(bytes);
	free(shown);
}

void report__forget(struct report *r, __u32 tgid, const char *comm, bool say)
{
	report__forget_many(r, &tgid, say ? &comm : NULL, 1);
}

static int proc_cmp(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	if (x->growth_window != y->growth_window)
		return x->growth_window > y->growth_window ? -1 : 1;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

/* Whether the memory of @kind is in the pages the report also has (a
 * --system grower traced exactly): counted once, as pages. */
static bool paged_over(const struct report *r, __u32 kind)
{
	return (r->sources & LT_SRC_PAGES) &&
	       (kind == LT_KIND_HEAP || kind == LT_KIND_MMAP || kind == LT_KIND_PYOBJ);
}

/* --system: the processes, most growing first (by their memory kinds, then
 * live bytes); returns how many, at most top, in *out (to free). */
static size_t rank_procs(const struct report *r, struct proc_row **out)
{
	unsigned long k = r->k, from = k > r->opts.window ? k - r->opts.window : 0;
	struct hashmap *by_tgid = hashmap__new(sizeof(__u32));
	struct proc_row *rows = NULL;
	size_t n = 0, cap = 0, pos = 0;
	void *v;

	*out = NULL;
	if (!by_tgid)
		return 0;
	while (hashmap__next(r->series, &pos, NULL, &v)) {
		const struct series *s = v;
		void *at = hashmap__get(by_tgid, &s->key.tgid);
		struct proc_row *row;

		if (!kind_has_bytes(s->key.kind) || paged_over(r, s->key.kind))
			continue;
		if (!at) {
			if (ARRAY_RESERVE(rows, cap, n + 1) ||
			    hashmap__put(by_tgid, &s->key.tgid, (void *)(uintptr_t)(n + 1)))
				break;
			rows[n] = (struct proc_row){ .tgid = s->key.tgid };
			at = (void *)(uintptr_t)(++n);
		}
		row = &rows[(uintptr_t)at - 1];
		row->bytes += s->bytes;
		row->count += s->count;
		row->growth += ring_at(r, s, k) - (k ? ring_at(r, s, k - 1) : 0);
		row->growth_window += ring_at(r, s, k) - ring_at(r, s, from);
	}
	hashmap__free(by_tgid);
	if (rows)
		qsort(rows, n, sizeof(*rows), proc_cmp);
	*out = rows;
	return n < r->opts.top ? n : r->opts.top;
}

static int grower_cmp(const void *a, const void *b)
{
	const struct report_grower *x = a, *y = b;

	if (x->growth_window != y->growth_window)
		return x->growth_window > y->growth_window ? -1 : 1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

size_t report__grew_last(const struct report *r, __u32 kind, __s64 min, __u32 *out, size_t max)
{
	struct hashmap *by_tgid;
	__s64 *sums = NULL;
	size_t n = 0, cap = 0, kept = 0, pos = 0;
	const void *key;
	void *v;

	if (!r->k || !max || !(by_tgid = hashmap__new(sizeof(__u32))))
		return 0;
	/* each process's growth, summed over its stacks of @kind */
	while (hashmap__next(r->series, &pos, NULL, &v)) {
		const struct series *s = v;
		void *at;

		if (s->key.kind != kind)
			continue;
		at = hashmap__get(by_tgid, &s->key.tgid);
		if (!at) {
			if (ARRAY_RESERVE(sums, cap, n + 1) ||
			    hashmap__put(by_tgid, &s->key.tgid, (void *)(uintptr_t)(n + 1)))
				goto out;
			sums[n] = 0;
			at = (void *)(uintptr_t)++n;
		}
		sums[(uintptr_t)at - 1] += ring_at(r, s, r->k) - ring_at(r, s, r->k - 1);
	}
	pos = 0;
	while (kept < max && hashmap__next(by_tgid, &pos, &key, &v)) {
		size_t i = (uintptr_t)v - 1;

		if (sums[i] > 0 && sums[i] >= min)
			memcpy(&out[kept++], key, sizeof(*out));
	}
out:
	hashmap__free(by_tgid);
	free(sums);
	return kept;
}

size_t report__growers(const struct report *r, __u32 kind, __s64 min, struct report_grower *out,
		       size_t max)
{
	unsigned long k = r->k, from = k > r->opts.window ? k - r->opts.window : 0;
	size_t w = k - from, n = 0, cap = 0, kept = 0, pos = 0;
	struct hashmap *by_tgid;
	struct report_grower *rows = NULL;
	__s64 *sums = NULL; /* w + 1 totals a process, oldest first */
	void *v;

	if (w < 2 || !(by_tgid = hashmap__new(sizeof(__u32))))
		return 0;
	/* the processes, then their totals at each interval of the window */
	while (hashmap__next(r->series, &pos, NULL, &v)) {
		const struct series *s = v;

		if (s->key.kind != kind || hashmap__get(by_tgid, &s->key.tgid))
			continue;
		if (ARRAY_RESERVE(rows, cap, n + 1) ||
		    hashmap__put(by_tgid, &s->key.tgid, (void *)(uintptr_t)(n + 1)))
			goto out;
		rows[n++] = (struct report_grower){ .tgid = s->key.tgid, .intervals = w };
	}
	sums = n ? calloc(n * (w + 1), sizeof(*sums)) : NULL;
	if (!sums)
		goto out;
	pos = 0;
	while (hashmap__next(r->series, &pos, NULL, &v)) {
		const struct series *s = v;
		void *at = s->key.kind == kind ? hashmap__get(by_tgid, &s->key.tgid) : NULL;
		size_t i = (uintptr_t)at - 1;

		if (!at)
			continue;
		rows[i].bytes += s->bytes;
		for (size_t j = 0; j <= w; j++)
			sums[i * (w + 1) + j] += ring_at(r, s, from + j);
	}
	/* kept growing, as a suspect stack does, by at least @min */
	for (size_t i = 0; i < n; i++) {
		const __s64 *t = sums + i * (w + 1);

		rows[i].growth_window = t[w] - t[0];
		for (size_t j = 1; j <= w; j++)
			rows[i].grown += t[j] > t[j - 1];
		if (rows[i].growth_window > 0 && rows[i].growth_window >= min &&
		    rows[i].grown >= 2 && 2 * rows[i].grown > w)
			rows[kept++] = rows[i];
	}
	if (kept)
		qsort(rows, kept, sizeof(*rows), grower_cmp);
	kept = kept < max ? kept : max;
	if (kept)
		memcpy(out, rows, kept * sizeof(*out));
out:
	hashmap__free(by_tgid);
	free(rows);
	free(sums);
	return kept;
}

int report__emit(struct report *r, const struct report_status *status, const char *reason)
{
	struct suspect *top;
	size_t n = rp_rank(r, &top);

	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	r->dropped = rp_dropped(status);
	if (r->opts.system)
		r->nr_procs = rank_procs(r, &r->procs);
	if (r->opts.text)
		rp_emit_text(r, status, reason, top, n);
	if (rp_json_wanted(r))
		rp_emit_json(r, status, reason, top, n);
	free(top);
	free(r->procs);
	r->procs = NULL;
	r->nr_procs = 0;
	r->nr_gone = 0;
	return r->write_err;
}

static int live_cmp(const void *a, const void *b)
{
	const struct suspect *x = a, *y = b;

	if (x->s->bytes != y->s->bytes)
		return x->s->bytes > y->s->bytes ? -1 : 1;
	if (x->s->count != y->s->count)
		return x->s->count > y->s->count ? -1 : 1;
	return suspect_cmp(a, b);
}

int report__each_live(struct report *r, report_live_fn fn, void *ctx)
{
	size_t n = 0, pos = 0;
	struct suspect *v = calloc(hashmap__count(r->series) + 1, sizeof(*v));
	void *s;
	int err = 0;

	if (!v)
		return -ENOMEM;
	while (hashmap__next(r->series, &pos, NULL, &s)) {
		const struct series *x = s;

		if (x->bytes || x->count)
			rp_suspect_fill(r, s, &v[n++]);
	}
	qsort(v, n, sizeof(*v), live_cmp);
	for (size_t i = 0; i < n && !err; i++) {
		const struct series *x = v[i].s;
		struct lt_frame none = {
			.module = "[leaktrace]",
			.func = rp_no_frames(x->key.stack),
		};
		struct report_live live = {
			.tgid = x->key.tgid,
			.comm = rp_comm_of(r, x->key.tgid),
			.kind = rp_kind_name(x->key.kind),
			.kind_in_bytes = kind_has_bytes(x->key.kind),
			.type = x->key.kind == LT_KIND_PYOBJ ? rp_type_of(r, x) : NULL,
			.bytes = x->bytes,
			.count = x->count,
			.growth_window = v[i].growth_window,
			.frames = r->frames,
		};
		const __u64 *ips;
		size_t nr = !lt_stack_walked(x->key.stack)
				    ? 0
				    : r->src.stack_frames(r->src.ctx, x->key.tgid, x->key.stack,
							  &ips);

		live.nr_frames = nr ? rp_render_frames(r, x->key.tgid, ips, nr, r->frames,
						       MAX_SHOWN)
				    : 0;
		if (!live.nr_frames) {
			live.frames = &none;
			live.nr_frames = 1;
		}
		err = fn(ctx, &live);
	}
	free(v);
	return err;
}

void report__skip(struct report *r)
{
	r->nr_gone = 0;
}

const char *report__failed_output(const struct report *r)
{
	return r->write_err ? r->write_failed : NULL;
}

bool report__tripped(const struct report *r, char *why, size_t len)
{
	if (r->tripped && why && len)
		snprintf(why, len, "%s", r->trip_why);
	return r->tripped;
}
