// SPDX-License-Identifier: GPL-2.0-only
/* The report over the whole run, for --html: the totals of each kind at each
 * interval, and the figures of each stack listed, from the window before it
 * was first listed on (its ring holds that far back). Bounded in memory
 * whatever the length of the run: a history holds at most HIST_POINTS
 * points, and when full keeps every other one and takes every other
 * interval from then on (plus the latest); at most HIST_SERIES stacks have
 * one at a time. Also the rows of the table and what the run was, as the
 * exports read them: from the report's state alone, so a recording replayed
 * through the report renders as a live run does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "report_int.h"

#define HIST_POINTS 256
#define HIST_SERIES 512

/* Which intervals the points of a history are of. */
struct hist_index {
	size_t n;
	unsigned long stride; /* points are of intervals that are multiples of it */
	unsigned long k[HIST_POINTS];
};

struct history {
	struct hist_index ix;
	struct report_point p[HIST_POINTS];
};

struct totals_point {
	double t;
	__s64 bytes[LT_KIND__NR], count[LT_KIND__NR];
};

struct totals {
	struct hist_index ix;
	struct totals_point p[HIST_POINTS];
};

/* Whether the last point is one between two of the stride, which the
 * next interval's takes the place of. The first point stays. */
static bool tail_between(const struct hist_index *ix)
{
	return ix->n > 1 && ix->k[ix->n - 1] % ix->stride;
}

/* The index of the point of interval @k among @p (points of @elem bytes):
 * the last one again for the same interval (the final sample ends the last
 * interval), else a new one, made room for by halving the points. */
static size_t hist_slot(struct hist_index *ix, unsigned long k, void *p, size_t elem)
{
	char *base = p;
	size_t j = 0;

	if (ix->n && ix->k[ix->n - 1] == k)
		return ix->n - 1;
	if (ix->n == HIST_POINTS) {
		ix->stride *= 2;
		for (size_t i = 0; i < ix->n; i++) {
			if (i && i != ix->n - 1 && ix->k[i] % ix->stride)
				continue;
			ix->k[j] = ix->k[i];
			memmove(base + j * elem, base + i * elem, elem);
			j++;
		}
		ix->n = j;
	}
	if (tail_between(ix)) {
		ix->k[ix->n - 1] = k;
		return ix->n - 1;
	}
	ix->k[ix->n] = k;
	return ix->n++;
}

static size_t ring_len(const struct report *r)
{
	return r->opts.window + 1;
}

static void hist_put(struct history *h, unsigned long k, double t, __s64 bytes, __s64 count)
{
	size_t i = hist_slot(&h->ix, k, h->p, sizeof(h->p[0]));

	h->p[i] = (struct report_point){ .t = t, .bytes = bytes, .count = count };
}

/* Starts @s's history with what its ring holds: the last window. */
static int hist_start(struct report *r, struct series *s)
{
	unsigned long k = r->k, from = k > r->opts.window ? k - r->opts.window : 0;
	struct history *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->ix.stride = 1;
	for (unsigned long i = from; i <= k; i++) {
		size_t at = i % ring_len(r);

		hist_put(h, i, r->ring_t[at], s->ring[2 * at], s->ring[2 * at + 1]);
	}
	s->hist = h;
	r->nr_hist++;
	return 0;
}

int rp_history_new(struct report *r)
{
	r->totals = calloc(1, sizeof(*r->totals));
	r->ring_t = calloc(ring_len(r), sizeof(*r->ring_t));
	if (!r->totals || !r->ring_t)
		return -ENOMEM;
	r->totals->ix.stride = 1;
	return 0;
}

int rp_history_sample(struct report *r)
{
	struct totals *tt = r->totals;
	struct suspect *top;
	size_t i, n, pos = 0;
	void *v;
	int err = 0;

	r->ring_t[r->k % ring_len(r)] = r->t;
	if (!tt->ix.n && r->k)
		hist_slot(&tt->ix, 0, tt->p, sizeof(tt->p[0])); /* the start: all zero */
	i = hist_slot(&tt->ix, r->k, tt->p, sizeof(tt->p[0]));
	tt->p[i].t = r->t;
	memcpy(tt->p[i].bytes, r->kind_bytes, sizeof(tt->p[i].bytes));
	memcpy(tt->p[i].count, r->kind_count, sizeof(tt->p[i].count));
	while (hashmap__next(r->series, &pos, NULL, &v)) {
		struct series *s = v;

		if (s->hist)
			hist_put(s->hist, r->k, r->t, s->bytes, s->count);
	}
	/* the stacks listed now: their history starts */
	n = rp_rank(r, &top);
	if (!top)
		return -ENOMEM;
	for (i = 0; i < n && !err && r->nr_hist < HIST_SERIES; i++)
		if (!top[i].s->hist)
			err = hist_start(r, top[i].s);
	free(top);
	return err;
}

void rp_history_drop(struct report *r, struct series *s)
{
	if (!s->hist)
		return;
	free(s->hist);
	s->hist = NULL;
	r->nr_hist--;
}

void rp_history_free(struct report *r)
{
	free(r->totals);
	free(r->ring_t);
}

int report__each_row(struct report *r, report_row_fn fn, void *ctx)
{
	struct suspect *top;
	size_t n = rp_rank(r, &top);
	int err = 0;

	if (!top)
		return -ENOMEM;
	for (size_t i = 0; i < n && !err; i++) {
		const struct suspect *x = &top[i];
		const struct series *s = x->s;
		__u32 arena = rp_arena_of(s);
		struct report_row row = {
			.rank = i + 1,
			.tgid = s->key.tgid,
			.comm = rp_comm_of(r, s->key.tgid),
			.kind = rp_kind_name(s->key.kind),
			.type = s->key.kind == LT_KIND_PYOBJ ? rp_type_of(r, s) : NULL,
			.arena = arena ? lt_arena_what(arena) : NULL,
			.in_bytes = rp_in_bytes(s),
			.estimated = rp_estimated(r, s->key.kind),
			.suspect = x->suspect,
			.stack_lost = s->key.stack == LT_STACK_LOST,
			.stack_unwalked = s->key.stack == LT_STACK_UNWALKED,
			.bytes = s->bytes,
			.count = s->count,
			.growth = x->growth,
			.growth_window = x->growth_window,
			.growth_total = x->growth_total,
			.grown = x->grown,
			.intervals = x->intervals,
			.frames = r->frames,
			.history = s->hist ? s->hist->p : NULL,
			.nr_history = s->hist ? s->hist->ix.n : 0,
		};
		const __u64 *ips;

		if (!row.stack_lost && !row.stack_unwalked) {
			size_t nr = r->src.stack_frames(r->src.ctx, s->key.tgid, s->key.stack,
							&ips);

			row.nr_frames = rp_render_frames(r, s->key.tgid, ips, nr, r->frames,
							 MAX_SHOWN);
		}
		err = fn(ctx, &row);
	}
	free(top);
	return err;
}

int report__each_total(struct report *r, report_total_fn fn, void *ctx)
{
	const struct totals *tt = r->totals;
	struct report_point *pts = calloc(HIST_POINTS, sizeof(*pts));
	int err = 0;

	if (!pts)
		return -ENOMEM;
	for (__u32 kind = 0; kind < LT_KIND__NR && !err; kind++) {
		struct report_total total = {
			.kind = rp_kind_name(kind),
			.in_bytes = rp_kind_has_bytes(kind) || r->kind_bytes[kind],
			.estimated = rp_estimated(r, kind),
			.bytes = r->kind_bytes[kind],
			.count = r->kind_count[kind],
			.points = pts,
			.nr_points = tt ? tt->ix.n : 0,
		};

		if (!rp_kind_shown(r, kind))
			continue;
		for (size_t i = 0; i < total.nr_points; i++) {
			pts[i] = (struct report_point){ .t = tt->p[i].t,
							.bytes = tt->p[i].bytes[kind],
							.count = tt->p[i].count[kind] };
			total.in_bytes |= pts[i].bytes != 0;
		}
		err = fn(ctx, &total);
	}
	free(pts);
	return err;
}

void report__info(const struct report *r, struct report_info *out)
{
	*out = (struct report_info){
		.system = r->opts.system,
		.pid = r->opts.system ? 0 : r->pid,
		.comm = r->opts.system ? "" : r->comm,
		.t = r->t,
		.interval = r->interval,
		.time = r->time,
		.window = r->opts.window,
		.top = r->opts.top,
		.sample_every = r->opts.sample_every,
		.sample_bytes = r->opts.sample_bytes,
		.reason = r->reason,
		.dropped = r->dropped,
	};
}
