// SPDX-License-Identifier: GPL-2.0-only
/* What grew between two reports: every stack outstanding in either (from
 * report__each_live), keyed by what it shows, with its bytes and count in
 * both; the table and the JSON record list those that grew. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "array.h"
#include "compare.h"
#include "escape.h"
#include "hashmap.h"
#include "json.h"

/* A stack, as keyed: its identity, one buffer of it, hashed by value. */
struct centry {
	char *key;
	char kind[32];
	char *type, *comm;
	__u32 pid;
	bool in_bytes;
	__s64 bytes[2], count[2]; /* before, after */
	struct lt_frame *frames;
	size_t nr;
};

struct ctotal {
	char kind[32];
	__s64 bytes[2], count[2];
};

struct cmp {
	struct hashmap *index; /* FNV-1a of the key -> first entry index + 1 */
	struct centry *v;
	size_t nr, cap;
	struct ctotal totals[LT_KIND__NR + 1];
	size_t nr_totals;
	bool per_process;
	int side;
};

static const char *base(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* The stack's identity: what a person reading two reports would match. */
static char *identity(const struct report_live *l, bool per_process)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "%s\x1f%s\x1f%s", l->kind, l->type ? l->type : "", per_process ? l->comm : "");
	for (size_t i = 0; i < l->nr_frames; i++) {
		const struct lt_frame *fr = &l->frames[i];

		if (fr->func)
			fprintf(f, "\x1e%s\x1f%s\x1f%d\x1f%d", fr->func,
				fr->file ? base(fr->file) : "", fr->line, fr->inlined);
		else
			fprintf(f, "\x1e%s+%" PRIx64, fr->module ? base(fr->module) : "?",
				(uint64_t)fr->offset);
	}
	fclose(f);
	return buf;
}

static __u64 fnv(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int copy_frames(struct centry *e, const struct lt_frame *frames, size_t n)
{
	e->frames = calloc(n ? n : 1, sizeof(*e->frames));
	if (!e->frames)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++, e->nr++) {
		e->frames[i] = frames[i];
		e->frames[i].module = dup_or_null(frames[i].module);
		e->frames[i].func = dup_or_null(frames[i].func);
		e->frames[i].symbol = dup_or_null(frames[i].symbol);
		e->frames[i].file = dup_or_null(frames[i].file);
	}
	return 0;
}

static struct ctotal *total_of(struct cmp *c, const char *kind)
{
	for (size_t i = 0; i < c->nr_totals; i++)
		if (!strcmp(c->totals[i].kind, kind))
			return &c->totals[i];
	if (c->nr_totals == LT_KIND__NR + 1)
		return NULL;
	snprintf(c->totals[c->nr_totals].kind, sizeof(c->totals[0].kind), "%s", kind);
	return &c->totals[c->nr_totals++];
}

static int add_live(void *ctx, const struct report_live *l)
{
	struct cmp *c = ctx;
	char *key = identity(l, c->per_process);
	__u64 h;
	uintptr_t at;
	struct centry *e;
	struct ctotal *t = total_of(c, l->kind);

	if (!key)
		return -ENOMEM;
	if (t) {
		t->bytes[c->side] += l->bytes;
		t->count[c->side] += l->count;
	}
	/* the map holds the first entry of each hash; one of another key
	 * with the same hash (rare) is looked for among all */
	h = fnv(key);
	at = (uintptr_t)hashmap__get(c->index, &h);
	for (size_t i = at ? at - 1 : c->nr; i < c->nr; i = i == at - 1 ? 0 : i + 1) {
		if (!strcmp(c->v[i].key, key)) {
			c->v[i].bytes[c->side] += l->bytes;
			c->v[i].count[c->side] += l->count;
			free(key);
			return 0;
		}
	}
	if (ARRAY_RESERVE(c->v, c->cap, c->nr + 1)) {
		free(key);
		return -ENOMEM;
	}
	e = &c->v[c->nr];
	*e = (struct centry){
		.key = key,
		.type = dup_or_null(l->type),
		.comm = dup_or_null(l->comm),
		.pid = l->tgid,
		.in_bytes = l->kind_in_bytes || l->bytes,
	};
	snprintf(e->kind, sizeof(e->kind), "%s", l->kind);
	e->bytes[c->side] = l->bytes;
	e->count[c->side] = l->count;
	c->nr++;
	if (!at && hashmap__put(c->index, &h, (void *)(uintptr_t)c->nr))
		return -ENOMEM;
	return copy_frames(e, l->frames, l->nr_frames);
}

/* Growth in the stack's unit: bytes, or count where it has none. */
static __s64 growth(const struct centry *e)
{
	return e->in_bytes ? e->bytes[1] - e->bytes[0] : e->count[1] - e->count[0];
}

static int entry_cmp(const void *a, const void *b)
{
	const struct centry *x = *(struct centry *const *)a, *y = *(struct centry *const *)b;

	if (x->in_bytes != y->in_bytes)
		return x->in_bytes ? -1 : 1;
	if (growth(x) != growth(y))
		return growth(x) > growth(y) ? -1 : 1;
	if (x->bytes[1] != y->bytes[1])
		return x->bytes[1] > y->bytes[1] ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void print_text(FILE *out, const struct compare_side *sd[2], struct cmp *c,
		       struct centry **rows, size_t n, bool per_process)
{
	char a[32], b[32], g[32], esc[512], esc2[512];

	fprintf(out, "\nleaktrace report: what grew from %s +%.1fs to %s +%.1fs\n",
		lt_escape_term(esc, sizeof(esc), sd[0]->name), sd[0]->t,
		lt_escape_term(esc2, sizeof(esc2), sd[1]->name), sd[1]->t);
	fputs("  live:", out);
	for (size_t i = 0; i < c->nr_totals; i++) {
		const struct ctotal *t = &c->totals[i];

		lt_format_size(a, sizeof(a), t->bytes[0], false);
		lt_format_size(b, sizeof(b), t->bytes[1], false);
		lt_format_size(g, sizeof(g), t->bytes[1] - t->bytes[0], true);
		fprintf(out, "%s %s %s in %" PRId64 " -> %s in %" PRId64 " (%s)", i ? "," : "",
			t->kind, a, (int64_t)t->count[0], b, (int64_t)t->count[1], g);
	}
	fputc('\n', out);
	if (!n) {
		fputs("  nothing grew\n", out);
		return;
	}
	fprintf(out, "  %3s %-10s %10s %10s %10s %9s %9s\n", "#", "KIND", "BEFORE", "AFTER",
		"GROWTH", "COUNT", "GROWN");
	for (size_t i = 0; i < n; i++) {
		const struct centry *e = rows[i];
		char cnt[32], cg[32];

		if (e->in_bytes) {
			lt_format_size(a, sizeof(a), e->bytes[0], false);
			lt_format_size(b, sizeof(b), e->bytes[1], false);
			lt_format_size(g, sizeof(g), e->bytes[1] - e->bytes[0], true);
		} else {
			snprintf(a, sizeof(a), "%" PRId64, (int64_t)e->count[0]);
			snprintf(b, sizeof(b), "%" PRId64, (int64_t)e->count[1]);
			snprintf(g, sizeof(g), "%+" PRId64, (int64_t)(e->count[1] - e->count[0]));
		}
		snprintf(cnt, sizeof(cnt), "%" PRId64, (int64_t)e->count[1]);
		snprintf(cg, sizeof(cg), "%+" PRId64, (int64_t)(e->count[1] - e->count[0]));
		fprintf(out, "  %3zu %-10s %10s %10s %10s %9s %9s\n", i + 1, e->kind, a, b, g, cnt,
			cg);
		if (per_process)
			fprintf(out, "        in %s\n",
				lt_escape_term(esc, sizeof(esc), e->comm ? e->comm : "?"));
		if (e->type)
			fprintf(out, "        objects of type %s\n",
				lt_escape_term(esc, sizeof(esc), e->type));
		report__print_frames(out, e->frames, e->nr);
	}
}

static void put_side(struct jw *w, const char *key, const struct compare_side *sd)
{
	jw__key(w, key);
	jw__begin_object(w);
	jw__kstr(w, "file", sd->name);
	jw__key(w, "t");
	jw__double(w, sd->t, 3);
	jw__end_object(w);
}

static void print_json(FILE *out, const struct compare_side *sd[2], struct cmp *c,
		       struct centry **rows, size_t n, bool per_process)
{
	struct jw w;

	jw__init(&w, out);
	jw__begin_object(&w);
	jw__kstr(&w, "type", "compare");
	put_side(&w, "from", sd[0]);
	put_side(&w, "to", sd[1]);
	jw__key(&w, "totals");
	jw__begin_object(&w);
	for (size_t i = 0; i < c->nr_totals; i++) {
		const struct ctotal *t = &c->totals[i];

		jw__key(&w, t->kind);
		jw__begin_object(&w);
		jw__kint(&w, "bytes_before", t->bytes[0]);
		jw__kint(&w, "bytes", t->bytes[1]);
		jw__kint(&w, "count_before", t->count[0]);
		jw__kint(&w, "count", t->count[1]);
		jw__kint(&w, "growth", t->bytes[1] - t->bytes[0]);
		jw__end_object(&w);
	}
	jw__end_object(&w);
	jw__key(&w, "stacks");
	jw__begin_array(&w);
	for (size_t i = 0; i < n; i++) {
		const struct centry *e = rows[i];

		jw__begin_object(&w);
		jw__kuint(&w, "rank", i + 1);
		jw__kstr(&w, "kind", e->kind);
		if (e->type)
			jw__kstr(&w, "type", e->type);
		if (per_process)
			jw__kstr(&w, "comm", e->comm);
		jw__kstr(&w, "unit", e->in_bytes ? "bytes" : "count");
		jw__kint(&w, "bytes_before", e->bytes[0]);
		jw__kint(&w, "bytes", e->bytes[1]);
		jw__kint(&w, "count_before", e->count[0]);
		jw__kint(&w, "count", e->count[1]);
		jw__kint(&w, "growth", growth(e));
		jw__kint(&w, "growth_bytes", e->bytes[1] - e->bytes[0]);
		jw__kint(&w, "growth_count", e->count[1] - e->count[0]);
		jw__key(&w, "frames");
		jw__begin_array(&w);
		for (size_t j = 0; j < e->nr; j++)
			report__json_frame(&w, &e->frames[j]);
		jw__end_array(&w);
		jw__end_object(&w);
	}
	jw__end_array(&w);
	jw__end_object(&w);
	fputc('\n', out);
}

static int check_write(FILE *f)
{
	if (!f)
		return 0;
	if (fflush(f) == 0 && !ferror(f))
		return 0;
	return errno ? -errno : -EIO;
}

int compare__print(const struct compare_side *before, const struct compare_side *after,
		   unsigned int top, bool per_process, FILE *text, FILE *json)
{
	const struct compare_side *sd[2] = { before, after };
	struct cmp c = { .per_process = per_process };
	struct centry **rows = NULL;
	size_t n = 0;
	int err = -ENOMEM;

	c.index = hashmap__new(sizeof(__u64));
	if (!c.index)
		goto cleanup;
	for (c.side = 0; c.side < 2; c.side++) {
		err = report__each_live(sd[c.side]->report, add_live, &c);
		if (err)
			goto cleanup;
	}
	err = -ENOMEM;
	rows = calloc(c.nr ? c.nr : 1, sizeof(*rows));
	if (!rows)
		goto cleanup;
	for (size_t i = 0; i < c.nr; i++)
		if (growth(&c.v[i]) > 0)
			rows[n++] = &c.v[i];
	qsort(rows, n, sizeof(*rows), entry_cmp);
	if (n > top)
		n = top;
	errno = 0;
	if (text)
		print_text(text, sd, &c, rows, n, per_process);
	if (json)
		print_json(json, sd, &c, rows, n, per_process);
	err = check_write(text) ?: check_write(json);
cleanup:
	for (size_t i = 0; i < c.nr; i++) {
		for (size_t j = 0; j < c.v[i].nr; j++) {
			free((char *)c.v[i].frames[j].module);
			free((char *)c.v[i].frames[j].func);
			free((char *)c.v[i].frames[j].symbol);
			free((char *)c.v[i].frames[j].file);
		}
		free(c.v[i].frames);
		free(c.v[i].key);
		free(c.v[i].type);
		free(c.v[i].comm);
	}
	free(c.v);
	free(rows);
	hashmap__free(c.index);
	return err;
}
