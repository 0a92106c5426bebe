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
	__s64 peak[2]; /* highest bytes, count up to the window's first interval */
	bool sized;    /* had bytes once: grows in bytes, though its kind may not */
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
	unsigned int sources; /* what was traced at the start */
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
};

/* Frames shown of one stack, native ones with the functions inlined at them
 * (7 a frame on average at the deepest --stack-depth) and Python ones: what
 * does not fit is left out at the outer end. */
#define MAX_SHOWN (LT_MAX_STACK_DEPTH * 8)

static const char *const kind_names[LT_KIND__NR] = {
	[LT_KIND_HEAP] = "heap",
	[LT_KIND_MMAP] = "mmap",
	[LT_KIND_PYOBJ] = "pyobj",
	[LT_KIND_GL_TEXTURE] = "gl.texture",
	[LT_KIND_GL_BUFFER] = "gl.buffer",
	[LT_KIND_GL_FRAMEBUFFER] = "gl.framebuffer",
	[LT_KIND_GL_RENDERBUFFER] = "gl.renderbuffer",
	[LT_KIND_GL_SHADER] = "gl.shader",
	[LT_KIND_GL_PROGRAM] = "gl.program",
	[LT_KIND_GL_VERTEX_ARRAY] = "gl.vertex_array",
	[LT_KIND_EGL_CONTEXT] = "egl.context",
	[LT_KIND_EGL_SURFACE] = "egl.surface",
	[LT_KIND_FD] = "fd",
};

static const char *kind_name(__u32 kind)
{
	return kind < LT_KIND__NR ? kind_names[kind] : "?";
}

/* Kinds of memory, whose bytes are always known. */
static bool kind_has_bytes(__u32 kind)
{
	return kind == LT_KIND_HEAP || kind == LT_KIND_MMAP || kind == LT_KIND_PYOBJ;
}

/* Whether @s grows in bytes: memory, and GL objects whose size could be
 * derived (textures, buffers, renderbuffers); the others grow in count (a
 * framebuffer leaks as surely as a texture, with no bytes of its own). */
static bool in_bytes(const struct series *s)
{
	return kind_has_bytes(s->key.kind) || s->sized;
}

/* What a count of @kind counts, in the table. */
static const char *count_noun(__u32 kind)
{
	return kind == LT_KIND_FD ? "fd" : "obj";
}

/* The allocator whose arenas @s holds, 0 for a stack of the program's own. */
static __u32 arena_of(const struct series *s)
{
	return s->key.kind == LT_KIND_MMAP && s->key.aux < LT_ARENA__NR ? (__u32)s->key.aux : 0;
}

static unsigned int kind_source(__u32 kind)
{
	switch (kind) {
	case LT_KIND_HEAP:
		return LT_SRC_LIBC;
	case LT_KIND_MMAP:
		return LT_SRC_MMAP;
	case LT_KIND_PYOBJ:
		return LT_SRC_PYTHON;
	case LT_KIND_FD:
		return LT_SRC_FD;
	default:
		return LT_SRC_GL;
	}
}

/* Totals are shown for the kinds of the sources traced, and for any other
 * that has something (a source found later, as GL in a program that loads
 * it late). */
/* Whether the figures of @kind are estimates from sampled calls (--sample,
 * --sample-bytes: heap only). */
static bool estimated(const struct report *r, __u32 kind)
{
	return kind == LT_KIND_HEAP && (r->opts.sample_every > 1 || r->opts.sample_bytes);
}

/* "sampled":{"every":N} or {"bytes":SIZE}, when sampling. */
static void json_sampled(const struct report *r, struct jw *w)
{
	if (!estimated(r, LT_KIND_HEAP))
		return;
	jw__key(w, "sampled");
	jw__begin_object(w);
	if (r->opts.sample_bytes)
		jw__kuint(w, "bytes", r->opts.sample_bytes);
	else
		jw__kuint(w, "every", r->opts.sample_every);
	jw__end_object(w);
}

/* @figure, marked "~" when it is an estimate. */
static const char *mark(char *buf, size_t len, const char *figure, bool estimate)
{
	snprintf(buf, len, "%s%s", estimate ? "~" : "", figure);
	return buf;
}

static bool kind_shown(const struct report *r, __u32 kind)
{
	return (r->sources & kind_source(kind)) || r->kind_count[kind] || r->kind_bytes[kind] ||
	       r->kind_prev_bytes[kind];
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
	if (!r->series || !r->frames) {
		hashmap__free(r->series);
		free(r->frames);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

static void series_free(struct series *s)
{
	if (!s)
		return;
	free(s->ring);
	free(s);
}

void report__free(struct report *r)
{
	size_t pos = 0;
	void *v;

	if (!r)
		return;
	while (hashmap__next(r->series, &pos, NULL, &v))
		series_free(v);
	hashmap__free(r->series);
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
	return s->ring[2 * (i % ring_len(r)) + !in_bytes(s)];
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
				series_free(s);
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
		/* the limit is a size: GL objects trip it by their estimated bytes */
		if (r->opts.fail_on_growth && !r->tripped &&
		    s->bytes > (__s64)r->opts.fail_on_growth) {
			char size[32];

			r->tripped = true;
			lt_format_size(size, sizeof(size), s->bytes, false);
			snprintf(r->trip_why, sizeof(r->trip_why),
				 "a %s stack of pid %u grew by %s since tracing began (limit %llu "
				 "bytes)",
				 kind_name(s->key.kind), s->key.tgid, size,
				 (unsigned long long)r->opts.fail_on_growth);
		}
		/* Forget series that held nothing for a whole window. */
		for (unsigned long i = 0; i < ring_len(r) && quiet; i++)
			quiet = !s->ring[i];
		if (quiet && !s->count && r->k >= ring_len(r)) {
			hashmap__remove(r->series, &s->key);
			series_free(s);
		}
	}
	return 0;
}

static void suspect_fill(const struct report *r, struct series *s, struct suspect *out)
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
	return 2 * !x->suspect + !!arena_of(x->s);
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
		while (ib < n && !in_bytes(v[ib].s))
			ib++;
		if (ib < n)
			tmp[k++] = v[ib++];
		while (ic < n && in_bytes(v[ic].s))
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
static size_t rank(struct report *r, struct suspect **out)
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
		suspect_fill(r, s, &v[n]);
		/* Growing, and above anything it held before the window: a
		 * bounded cache caught mid-turnover at the window's start
		 * grows back only to where it was. */
		if (v[n].growth_window > 0 && v[n].growth_total > v[n].s->peak[!in_bytes(s)])
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

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static const char *comm_of(const struct report *r, __u32 tgid)
{
	const char *c = r->src.comm ? r->src.comm(r->src.ctx, tgid) : NULL;

	return c ? c : "?";
}

/* Notes the first sink that a write failed on: its output is incomplete. */
static void check_sink(struct report *r, FILE *f, const char *name)
{
	if (fflush(f) == 0 && !ferror(f))
		return;
	if (!r->write_err) {
		r->write_err = errno ? -errno : -EIO;
		r->write_failed = name ? name : "stdout";
	}
}

/* Writes a record (already rendered into @buf) to every JSON sink. */
static void json_flush(struct report *r, const char *buf, size_t len)
{
	for (int i = 0; i < 2; i++) {
		if (!r->opts.json[i])
			continue;
		errno = 0;
		fwrite(buf, 1, len, r->opts.json[i]);
		fputc('\n', r->opts.json[i]);
		check_sink(r, r->opts.json[i], r->opts.json_names[i]);
	}
}

static bool json_wanted(const struct report *r)
{
	return r->opts.json[0] || r->opts.json[1];
}

int report__start(struct report *r, const struct report_start *info)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct jw w;

	r->sources = info->sources;
	if (!json_wanted(r))
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	jw__init(&w, f);
	jw__begin_object(&w);
	jw__kstr(&w, "type", "start");
	jw__kstr(&w, "version", LT_VERSION);
	if (!r->opts.system) {
		jw__kint(&w, "pid", info->pid);
		jw__kstr(&w, "comm", info->comm);
	} else {
		jw__kbool(&w, "system", true);
	}
	jw__key(&w, "sources");
	jw__begin_array(&w);
	for (unsigned int bit = 1; bit <= LT_SRC_FD; bit <<= 1)
		if (info->sources & bit)
			jw__string(&w, lt_source_name(bit));
	jw__end_array(&w);
	jw__key(&w, "interval");
	jw__double(&w, info->interval, 3);
	jw__key(&w, "time");
	jw__double(&w, info->time, 3);
	jw__kuint(&w, "window", r->opts.window);
	jw__kuint(&w, "top", r->opts.top);
	jw__kuint(&w, "stack_depth", info->stack_depth);
	json_sampled(r, &w);
	jw__key(&w, "probes");
	jw__begin_array(&w);
	for (size_t i = 0; i < info->nr_probes; i++) {
		const struct report_probe *p = &info->probes[i];

		jw__begin_object(&w);
		jw__kstr(&w, "func", p->func);
		jw__kstr(&w, "module", p->module);
		jw__khex(&w, "offset", p->offset);
		jw__kuint(&w, "site", p->site);
		jw__kbool(&w, "emulated", p->emulated);
		jw__end_object(&w);
	}
	jw__end_array(&w);
	jw__kuint(&w, "probe_failures", info->probe_failures);
	jw__kuint(&w, "bpf_memory", info->bpf_memory);
	jw__end_object(&w);
	fclose(f);
	json_flush(r, buf, len);
	free(buf);
	return r->write_err;
}

static __u64 dropped(const struct report_status *st)
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
static bool is_unnamed_frame(const struct lt_frame *f)
{
	return !f->python && !f->func && f->module &&
	       (f->module[0] == '/' || !strcmp(f->module, "[vdso]"));
}

/* Once a run, on stderr: how to name the frames that have no name. */
static void say_no_symbols(struct report *r, const struct lt_frame *f)
{
	char module[256];

	if (r->said_no_symbols || !is_unnamed_frame(f) || f->module[0] != '/')
		return;
	r->said_no_symbols = true;
	lt_warn("%s has no symbol for some frames (shown as module+offset): install its debug "
		"symbols (Debian's -dbgsym package of it, Fedora's -debuginfo) or pass "
		"--debug-dir DIR",
		lt_escape_term(module, sizeof(module), base_name(f->module)));
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
static size_t render_frames(struct report *r, __u32 tgid, const __u64 *ips, size_t nr,
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

static void json_frame(struct jw *w, const struct lt_frame *f)
{
	jw__begin_object(w);
	if (f->func) {
		jw__kstr(w, "func", f->func);
	}
	if (f->func && f->symbol) {
		jw__kstr(w, "symbol", f->symbol);
	}
	if (f->inlined)
		jw__kbool(w, "inline", true);
	jw__kstr(w, "module", f->module);
	if (f->file) {
		jw__kstr(w, "file", f->file);
	}
	if (f->line > 0) {
		jw__kint(w, "line", f->line);
	}
	jw__kstr(w, "lang", f->python ? "python" : "c");
	jw__khex(w, "addr", f->addr);
	if (!f->python)
		jw__khex(w, "offset", f->offset);
	jw__end_object(w);
}

static const char *type_of(const struct report *r, const struct series *s)
{
	const char *name = r->src.type_name ? r->src.type_name(r->src.ctx, s->key.tgid, s->key.aux)
					    : NULL;

	return name ? name : "?";
}

static void json_stack(struct report *r, struct jw *w, const struct suspect *x, size_t rank_no)
{
	const struct series *s = x->s;
	struct lt_frame *frames = r->frames;
	const __u64 *ips;
	size_t nr = r->src.stack_frames(r->src.ctx, s->key.tgid, s->key.stack, &ips);

	nr = render_frames(r, s->key.tgid, ips, nr, frames, MAX_SHOWN);
	jw__begin_object(w);
	jw__kuint(w, "rank", rank_no);
	jw__kstr(w, "kind", kind_name(s->key.kind));
	if (s->key.kind == LT_KIND_PYOBJ)
		jw__kstr(w, "type", type_of(r, s));
	jw__kint(w, "bytes", s->bytes);
	jw__kint(w, "count", s->count);
	jw__kbool(w, "suspect", x->suspect);
	jw__kstr(w, "unit", in_bytes(s) ? "bytes" : "count");
	if (arena_of(s))
		jw__kstr(w, "arena", lt_arena_name(arena_of(s)));
	jw__kint(w, "growth", x->growth);
	jw__kint(w, "growth_window", x->growth_window);
	jw__kint(w, "growth_total", x->growth_total);
	jw__kuint(w, "intervals_grown", x->grown);
	if (estimated(r, s->key.kind))
		jw__kbool(w, "estimate", true);
	jw__kuint(w, "allocs", s->allocs);
	jw__kuint(w, "frees", s->frees);
	jw__kuint(w, "pid", s->key.tgid);
	jw__kstr(w, "comm", comm_of(r, s->key.tgid));
	jw__khex(w, "stack_id", s->key.stack);
	if (s->key.stack == LT_STACK_LOST)
		jw__kbool(w, "stack_lost", true);
	jw__key(w, "frames");
	jw__begin_array(w);
	for (size_t i = 0; i < nr; i++)
		json_frame(w, &frames[i]);
	if (!nr) {
		/* SPEC.md wants frames; say plainly that there are none. */
		struct lt_frame f = {
			.module = "[leaktrace]",
			.func = s->key.stack == LT_STACK_LOST ? "[stack lost]"
							      : "[stack unavailable]",
		};

		json_frame(w, &f);
	}
	jw__end_array(w);
	jw__end_object(w);
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
		series_free(s);
	}
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

		if (!kind_has_bytes(s->key.kind))
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

static void emit_procs_text(struct report *r, const struct proc_row *rows, size_t n)
{
	FILE *out = r->opts.text;

	for (size_t i = 0; i < r->nr_gone; i++) {
		char live[32], esc[64];

		lt_format_size(live, sizeof(live), r->gone[i].bytes, false);
		fprintf(out, "  pid %u (%s) exited with %s live: left the table\n", r->gone[i].tgid,
			TERM(esc, r->gone[i].comm), live);
	}
	if (!n)
		return;
	fprintf(out, "  %7s %-16s %10s %9s %10s %10s\n", "PID", "COMM", "LIVE", "COUNT", "LAST",
		"WINDOW");
	for (size_t i = 0; i < n; i++) {
		char live[32], last[32], win[32], esc[64];

		lt_format_size(live, sizeof(live), rows[i].bytes, false);
		lt_format_size(last, sizeof(last), rows[i].growth, true);
		lt_format_size(win, sizeof(win), rows[i].growth_window, true);
		fprintf(out, "  %7u %-16.16s %10s %9" PRId64 " %10s %10s\n", rows[i].tgid,
			TERM(esc, comm_of(r, rows[i].tgid)), live, (int64_t)rows[i].count, last,
			win);
	}
	fputc('\n', out);
}

static void json_procs(struct report *r, struct jw *w, const struct proc_row *rows, size_t n)
{
	jw__key(w, "processes");
	jw__begin_array(w);
	for (size_t i = 0; i < n; i++) {
		jw__begin_object(w);
		jw__kuint(w, "rank", i + 1);
		jw__kuint(w, "pid", rows[i].tgid);
		jw__kstr(w, "comm", comm_of(r, rows[i].tgid));
		jw__kint(w, "bytes", rows[i].bytes);
		jw__kint(w, "count", rows[i].count);
		jw__kint(w, "growth", rows[i].growth);
		jw__kint(w, "growth_window", rows[i].growth_window);
		jw__end_object(w);
	}
	jw__end_array(w);
	jw__key(w, "exited");
	jw__begin_array(w);
	for (size_t i = 0; i < r->nr_gone; i++) {
		jw__begin_object(w);
		jw__kuint(w, "pid", r->gone[i].tgid);
		jw__kstr(w, "comm", r->gone[i].comm);
		jw__kint(w, "bytes", r->gone[i].bytes);
		jw__end_object(w);
	}
	jw__end_array(w);
}

static void json_census(struct jw *w, const struct report_census *c)
{
	const struct census_stats *cs = c->stats;
	char version[16];

	jw__key(w, "census");
	jw__begin_array(w);
	for (size_t i = 0; i < c->nr; i++) {
		const struct census_row *x = &c->rows[i];

		jw__begin_object(w);
		jw__kuint(w, "rank", i + 1);
		jw__kstr(w, "type", x->type);
		jw__kint(w, "count", x->count);
		jw__kint(w, "bytes", x->bytes);
		jw__kint(w, "growth", x->growth);
		jw__kint(w, "growth_window", x->growth_window);
		jw__kint(w, "growth_total", x->growth_total);
		jw__kuint(w, "intervals_grown", x->intervals_grown);
		jw__kbool(w, "suspect", x->suspect);
		jw__khex(w, "type_addr", x->type_addr);
		jw__end_object(w);
	}
	jw__end_array(w);
	jw__key(w, "census_stats");
	jw__begin_object(w);
	snprintf(version, sizeof(version), "%u.%u", c->major, c->minor);
	jw__kstr(w, "python", version);
	jw__kbool(w, "ok", !cs->error);
	if (cs->error)
		jw__kstr(w, "error", strerror(-cs->error));
	jw__kuint(w, "objects", cs->objects);
	jw__kuint(w, "types", cs->types);
	jw__kuint(w, "bytes", cs->bytes);
	jw__key(w, "read_ms");
	jw__double(w, cs->read_ms, 3);
	jw__kuint(w, "memory_read", cs->memory_read);
	jw__kuint(w, "skipped", cs->skipped);
	jw__kuint(w, "relinked", cs->relinked);
	jw__kuint(w, "lists_cut", cs->lists_cut);
	jw__kbool(w, "truncated", cs->truncated);
	jw__kuint(w, "reads", cs->reads);
	jw__end_object(w);
}

static void emit_json(struct report *r, const struct report_status *st, const char *reason,
		      const struct suspect *top, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jw w;

	if (!f)
		return;
	jw__init(&w, f);
	jw__begin_object(&w);
	jw__kstr(&w, "type", reason ? "exit" : "interval");
	jw__key(&w, "t");
	jw__double(&w, r->t, 3);
	if (reason) {
		jw__kstr(&w, "reason", reason);
	}
	if (st->command_ended) {
		jw__key(&w, "command");
		jw__begin_object(&w);
		if (WIFSIGNALED(st->command_status)) {
			char name[32];

			snprintf(name, sizeof(name), "SIG%s",
				 sigabbrev_np(WTERMSIG(st->command_status)) ?: "?");
			jw__kint(&w, "signal", WTERMSIG(st->command_status));
			jw__kstr(&w, "signal_name", name);
			jw__kbool(&w, "core_dumped", WCOREDUMP(st->command_status));
		} else {
			jw__kint(&w, "exit_code", WEXITSTATUS(st->command_status));
		}
		jw__end_object(&w);
	}
	if (st->late > 0) {
		jw__key(&w, "late");
		jw__double(&w, st->late, 3);
		jw__kstr(&w, "late_reason", st->late_reason ? st->late_reason : "?");
	}
	if (r->opts.system) {
		json_procs(r, &w, r->procs, r->nr_procs);
	} else {
		jw__kint(&w, "pid", st->pid);
		jw__kstr(&w, "comm", comm_of(r, st->pid));
	}
	jw__key(&w, "totals");
	jw__begin_object(&w);
	for (__u32 kind = 0; kind < LT_KIND__NR; kind++) {
		if (!kind_shown(r, kind))
			continue;
		jw__key(&w, kind_name(kind));
		jw__begin_object(&w);
		jw__kint(&w, "bytes", r->kind_bytes[kind]);
		jw__kint(&w, "count", r->kind_count[kind]);
		jw__kint(&w, "growth", r->kind_bytes[kind] - r->kind_prev_bytes[kind]);
		if (estimated(r, kind))
			jw__kbool(&w, "estimate", true);
		jw__end_object(&w);
	}
	jw__end_object(&w);
	json_sampled(r, &w);
	jw__kuint(&w, "dropped", dropped(st));
	jw__key(&w, "counters");
	jw__begin_object(&w);
	for (size_t i = 0; i < st->nr_counters; i++) {
		jw__kuint(&w, st->counters[i].name, st->counters[i].value);
	}
	jw__end_object(&w);
	jw__key(&w, "self");
	jw__begin_object(&w);
	jw__kuint(&w, "rss", st->rss);
	jw__kuint(&w, "rss_peak", st->rss_peak);
	jw__kuint(&w, "bpf_memory", st->bpf_memory);
	jw__end_object(&w);
	if (r->opts.fail_on_growth) {
		jw__key(&w, "fail_on_growth");
		jw__begin_object(&w);
		jw__kuint(&w, "limit", r->opts.fail_on_growth);
		jw__kbool(&w, "tripped", r->tripped);
		jw__end_object(&w);
	}
	jw__key(&w, "stacks");
	jw__begin_array(&w);
	for (size_t i = 0; i < n; i++)
		json_stack(r, &w, &top[i], i + 1);
	jw__end_array(&w);
	if (st->census)
		json_census(&w, st->census);
	jw__end_object(&w);
	fclose(f);
	json_flush(r, buf, len);
	free(buf);
}

static void text_header(struct report *r, const struct report_status *st, const char *reason)
{
	FILE *out = r->opts.text;
	char when[16], live[32], growth[32], esc[64];
	time_t now = time(NULL);
	struct tm tm;
	__u64 drops = dropped(st);

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (r->opts.system)
		fprintf(out, "\nleaktrace %s  +%.1fs  all processes", when, r->t);
	else
		fprintf(out, "\nleaktrace %s  +%.1fs  pid %d (%s)", when, r->t, st->pid,
			TERM(esc, comm_of(r, st->pid)));
	if (reason)
		fprintf(out, "  final report (%s)", reason);
	if (st->command_ended && WIFSIGNALED(st->command_status))
		fprintf(out, "  command killed by SIG%s%s",
			sigabbrev_np(WTERMSIG(st->command_status)) ?: "?",
			WCOREDUMP(st->command_status) ? " (core dumped)" : "");
	else if (st->command_ended)
		fprintf(out, "  command exited with status %d", WEXITSTATUS(st->command_status));
	if (r->opts.sample_bytes) {
		lt_format_size(live, sizeof(live), r->opts.sample_bytes, false);
		fprintf(out, "  heap sampled per %s (~: estimates)", live);
	} else if (r->opts.sample_every > 1) {
		fprintf(out, "  heap sampled 1/%u (~: estimates)", r->opts.sample_every);
	}
	fputc('\n', out);
	if (st->late > 0)
		fprintf(out, "  late by %.1fs: %s\n", st->late,
			st->late_reason ? st->late_reason : "?");
	fputs("  live:", out);
	for (__u32 kind = 0, shown = 0; kind < LT_KIND__NR; kind++) {
		if (!kind_shown(r, kind))
			continue;
		lt_format_size(live, sizeof(live), r->kind_bytes[kind], false);
		lt_format_size(growth, sizeof(growth),
			       r->kind_bytes[kind] - r->kind_prev_bytes[kind], true);
		fprintf(out, "%s %s %s%s in %s%" PRId64 " (%s%s)", shown++ ? "," : "",
			kind_name(kind), estimated(r, kind) ? "~" : "", live,
			estimated(r, kind) ? "~" : "", (int64_t)r->kind_count[kind],
			estimated(r, kind) ? "~" : "", growth);
	}
	fprintf(out, "; dropped %llu", (unsigned long long)drops);
	if (drops) {
		const char *sep = " (";

		for (size_t i = 0; i < st->nr_counters; i++) {
			if (!st->counters[i].drop || !st->counters[i].value)
				continue;
			fprintf(out, "%s%s %llu", sep, st->counters[i].name,
				(unsigned long long)st->counters[i].value);
			sep = ", ";
		}
		fputs(": totals are incomplete)", out);
	}
	fputc('\n', out);
	if (r->opts.verbose) {
		char rss[32], peak[32], bpf[32];

		lt_format_size(rss, sizeof(rss), st->rss, false);
		lt_format_size(peak, sizeof(peak), st->rss_peak, false);
		lt_format_size(bpf, sizeof(bpf), st->bpf_memory, false);
		fprintf(out, "  leaktrace itself: %s resident (peak %s), %s in BPF maps\n", rss,
			peak, bpf);
	}
}

/* One frame: "func (file:line)", "func+0xOFF" without a line, an inlined
 * function marked so; without a name, "module+0xOFF" (the ELF address, what
 * addr2line -e module takes), or the address where there is no module. */
static void text_frame(FILE *out, const struct lt_frame *f, const char **last_module)
{
	char func[1024], file[512], module[512];
	bool named_module = false;

	fputs("        ", out);
	if (f->func && f->file && f->line > 0) {
		fprintf(out, "%s (%s:%d)", TERM(func, f->func), TERM(file, base_name(f->file)),
			f->line);
	} else if (f->func && !f->inlined) {
		fprintf(out, "%s+0x%" PRIx64, TERM(func, f->func), (uint64_t)f->func_off);
	} else if (f->func) {
		fputs(TERM(func, f->func), out);
	} else if (is_unnamed_frame(f)) {
		fprintf(out, "%s+0x%" PRIx64, TERM(module, base_name(f->module)),
			(uint64_t)f->offset);
		named_module = true;
	} else {
		fprintf(out, "0x%" PRIx64, (uint64_t)f->addr);
	}
	if (f->inlined)
		fputs(" [inlined]", out);
	if (!f->python && !named_module && (!*last_module || strcmp(*last_module, f->module)))
		fprintf(out, "  in %s", TERM(module, base_name(f->module)));
	*last_module = f->python ? NULL : f->module;
	fputc('\n', out);
}

/* The width of the KIND column: its longest name. */
static int kind_width(const struct suspect *top, size_t n)
{
	size_t w = 5;

	for (size_t i = 0; i < n; i++)
		if (strlen(kind_name(top[i].s->key.kind)) > w)
			w = strlen(kind_name(top[i].s->key.kind));
	return (int)w;
}

static void text_census(struct report *r, const struct report_census *c)
{
	const struct census_stats *cs = c->stats;
	FILE *out = r->opts.text;
	char bytes[32], last[32], win[32], total[32], trend[16], esc[160];
	unsigned int shown_window = cs->reads < 1		     ? 0
				    : cs->reads - 1 < r->opts.window ? cs->reads - 1
								     : r->opts.window;

	lt_format_size(bytes, sizeof(bytes), (__s64)cs->bytes, false);
	fprintf(out, "  python objects (census, CPython %u.%u): ", c->major, c->minor);
	if (cs->error && !cs->reads)
		fprintf(out, "not read: %s", strerror(-cs->error));
	else
		fprintf(out, "%llu of %llu types, %s, read in %.1f ms",
			(unsigned long long)cs->objects, (unsigned long long)cs->types, bytes,
			cs->read_ms);
	if (cs->error && cs->reads)
		fprintf(out, " (as of the last read: the latest failed: %s)", strerror(-cs->error));
	if (cs->skipped || cs->relinked || cs->truncated)
		fprintf(out, " (moving heap: %llu skipped, %llu relinked%s)",
			(unsigned long long)cs->skipped, (unsigned long long)cs->relinked,
			cs->truncated ? ", cut at its bound" : "");
	fputc('\n', out);
	if (!c->nr) {
		fputs("    no growing types\n", out);
		return;
	}
	fprintf(out, "    %3s %-28s %9s %10s %8s %8s %8s %6s\n", "#", "TYPE", "COUNT", "BYTES",
		"LAST", "WINDOW", "TOTAL", "TREND");
	for (size_t i = 0; i < c->nr; i++) {
		const struct census_row *x = &c->rows[i];

		lt_format_size(bytes, sizeof(bytes), x->bytes, false);
		snprintf(last, sizeof(last), "%+lld", (long long)x->growth);
		snprintf(win, sizeof(win), "%+lld", (long long)x->growth_window);
		snprintf(total, sizeof(total), "%+lld", (long long)x->growth_total);
		snprintf(trend, sizeof(trend), "%u/%u", x->intervals_grown, shown_window);
		fprintf(out, "    %3zu %-28s %9lld %10s %8s %8s %8s %6s%s\n", i + 1,
			TERM(esc, x->type), (long long)x->count, bytes, last, win, total, trend,
			x->suspect ? "  suspect" : "");
	}
}

static void emit_text(struct report *r, const struct report_status *st, const char *reason,
		      const struct suspect *top, size_t n)
{
	FILE *out = r->opts.text;
	/* a column wider for the "~" of estimates */
	int wd = estimated(r, LT_KIND_HEAP) ? 12 : 10;

	errno = 0;
	text_header(r, st, reason);
	if (r->opts.system)
		emit_procs_text(r, r->procs, r->nr_procs);
	if (st->census)
		text_census(r, st->census);
	if (!n) {
		fputs("  no growing stacks\n", out);
		check_sink(r, out, NULL);
		return;
	}
	fprintf(out, "  %3s %-*s %*s %*s %*s %*s %*s %6s\n", "#", kind_width(top, n), "KIND", wd,
		"LIVE", wd - 1, "COUNT", wd, "LAST", wd, "WINDOW", wd, "TOTAL", "TREND");
	for (size_t i = 0; i < n; i++) {
		const struct suspect *x = &top[i];
		const struct series *s = x->s;
		bool bytes = in_bytes(s), est = estimated(r, s->key.kind);
		char live[32], count[32], last[32], win[32], total[32], trend[16], m[5][40],
			esc[512];
		const char *last_module = NULL;
		struct lt_frame *frames = r->frames;
		const __u64 *ips;
		size_t nr;

		lt_format_size(live, sizeof(live), s->bytes, false);
		if (bytes) {
			lt_format_size(last, sizeof(last), x->growth, true);
			lt_format_size(win, sizeof(win), x->growth_window, true);
			lt_format_size(total, sizeof(total), x->growth_total, true);
		} else {
			const char *noun = count_noun(s->key.kind);

			snprintf(last, sizeof(last), "%+" PRId64 " %s", (int64_t)x->growth, noun);
			snprintf(win, sizeof(win), "%+" PRId64 " %s", (int64_t)x->growth_window,
				 noun);
			snprintf(total, sizeof(total), "%+" PRId64 " %s", (int64_t)x->growth_total,
				 noun);
		}
		if (!i || x->suspect != top[i - 1].suspect)
			fputs(x->suspect ? "  leak suspects: grew in most intervals of the window\n"
					 : "  recent growth: grew in few intervals (a one-off, a "
					   "cache filling)\n",
			      out);
		snprintf(trend, sizeof(trend), "%u/%u", x->grown, x->intervals);
		snprintf(count, sizeof(count), "%" PRId64, (int64_t)s->count);
		fprintf(out, "  %3zu %-*s %*s %*s %*s %*s %*s %6s\n", i + 1, kind_width(top, n),
			kind_name(s->key.kind), wd, mark(m[0], sizeof(m[0]), live, est), wd - 1,
			mark(m[1], sizeof(m[1]), count, est), wd,
			mark(m[2], sizeof(m[2]), last, est), wd, mark(m[3], sizeof(m[3]), win, est),
			wd, mark(m[4], sizeof(m[4]), total, est), trend);
		if (r->opts.system)
			fprintf(out, "        in pid %u (%s)\n", s->key.tgid,
				TERM(esc, comm_of(r, s->key.tgid)));
		if (s->key.stack == LT_STACK_LOST) {
			fputs("        [stack lost: the stack map was full; see --max-stacks]\n",
			      out);
			continue;
		}
		if (s->key.kind == LT_KIND_PYOBJ)
			fprintf(out, "        objects of type %s\n", TERM(esc, type_of(r, s)));
		if (arena_of(s))
			fprintf(out, "        %s: the allocator's mappings, not a line's\n",
				lt_arena_what(arena_of(s)));
		nr = r->src.stack_frames(r->src.ctx, s->key.tgid, s->key.stack, &ips);
		nr = render_frames(r, s->key.tgid, ips, nr, frames, MAX_SHOWN);
		if (!nr)
			fputs("        [stack not available]\n", out);
		for (size_t j = 0; j < nr; j++)
			text_frame(out, &frames[j], &last_module);
	}
	check_sink(r, out, NULL);
}

int report__emit(struct report *r, const struct report_status *status, const char *reason)
{
	struct suspect *top;
	size_t n = rank(r, &top);

	if (r->opts.system)
		r->nr_procs = rank_procs(r, &r->procs);
	if (r->opts.text)
		emit_text(r, status, reason, top, n);
	if (json_wanted(r))
		emit_json(r, status, reason, top, n);
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
			suspect_fill(r, s, &v[n++]);
	}
	qsort(v, n, sizeof(*v), live_cmp);
	for (size_t i = 0; i < n && !err; i++) {
		const struct series *x = v[i].s;
		struct lt_frame none = {
			.module = "[leaktrace]",
			.func = x->key.stack == LT_STACK_LOST ? "[stack lost]"
							      : "[stack unavailable]",
		};
		struct report_live live = {
			.tgid = x->key.tgid,
			.comm = comm_of(r, x->key.tgid),
			.kind = kind_name(x->key.kind),
			.kind_in_bytes = kind_has_bytes(x->key.kind),
			.type = x->key.kind == LT_KIND_PYOBJ ? type_of(r, x) : NULL,
			.bytes = x->bytes,
			.count = x->count,
			.growth_window = v[i].growth_window,
			.frames = r->frames,
		};
		const __u64 *ips;
		size_t nr = x->key.stack == LT_STACK_LOST
				    ? 0
				    : r->src.stack_frames(r->src.ctx, x->key.tgid, x->key.stack,
							  &ips);

		live.nr_frames = nr ? render_frames(r, x->key.tgid, ips, nr, r->frames, MAX_SHOWN)
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

/* One link as the table shows it: "module auth.sessions", "_ACTIVE",
 * "['u-48213']", "[3]". */
static void text_link(FILE *out, const struct backref_link *l)
{
	char esc[400];

	switch (l->kind) {
	case BACKREF_MODULE:
		fprintf(out, "module %s", TERM(esc, l->name));
		break;
	case BACKREF_ATTR:
		fputs(TERM(esc, l->name), out);
		break;
	case BACKREF_KEY:
	case BACKREF_INDEX:
		fprintf(out, "[%s]", TERM(esc, l->name));
		break;
	}
}

static const char *const link_kinds[] = {
	[BACKREF_MODULE] = "module",
	[BACKREF_ATTR] = "attr",
	[BACKREF_KEY] = "key",
	[BACKREF_INDEX] = "index",
};

int report__backrefs(struct report *r, pid_t pid, const char *type, const struct backref_chain *ch,
		     int err)
{
	char esc[400];

	if (r->opts.text) {
		FILE *out = r->opts.text;

		fprintf(out, "  backrefs of %s: ", TERM(esc, type));
		if (err) {
			fprintf(out,
				"no chain from a module found (%s; %llu objects read in %.1f ms)\n",
				err == -ENOENT	 ? "none within the bounds"
				: err == -EAGAIN ? "the heap moved under every try"
						 : strerror(-err),
				(unsigned long long)ch->visited, ch->search_ms);
		} else {
			for (unsigned int i = 0; i < ch->nr; i++) {
				const struct backref_link *l = &ch->links[i];

				if (i)
					fputs(" -> ", out);
				text_link(out, l);
				if (i && i + 1 < ch->nr)
					fprintf(out, " (%s)", TERM(esc, l->type));
			}
			fprintf(out,
				" -> %s  (%llu objects read in %.1f ms, each link read again)\n",
				TERM(esc, ch->links[ch->nr - 1].type),
				(unsigned long long)ch->visited, ch->search_ms);
		}
		check_sink(r, out, NULL);
	}
	if (json_wanted(r)) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		struct jw w;

		if (!f)
			return r->write_err;
		jw__init(&w, f);
		jw__begin_object(&w);
		jw__kstr(&w, "type", "backrefs");
		jw__key(&w, "t");
		jw__double(&w, r->t, 3);
		jw__kint(&w, "pid", pid);
		jw__kstr(&w, "object_type", type);
		if (err)
			jw__kstr(&w, "error", err == -ENOENT ? "no chain found" : strerror(-err));
		jw__kbool(&w, "verified", !err && ch->verified);
		jw__kuint(&w, "visited", ch->visited);
		jw__key(&w, "search_ms");
		jw__double(&w, ch->search_ms, 3);
		jw__key(&w, "chain");
		jw__begin_array(&w);
		for (unsigned int i = 0; !err && i < ch->nr; i++) {
			const struct backref_link *l = &ch->links[i];

			jw__begin_object(&w);
			jw__kstr(&w, "kind", link_kinds[l->kind]);
			jw__kstr(&w, l->kind == BACKREF_KEY ? "key" : "name", l->name);
			jw__kstr(&w, "type", l->type);
			jw__khex(&w, "addr", l->addr);
			jw__end_object(&w);
		}
		jw__end_array(&w);
		jw__end_object(&w);
		fclose(f);
		json_flush(r, buf, len);
		free(buf);
	}
	return r->write_err;
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
