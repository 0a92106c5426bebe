// SPDX-License-Identifier: GPL-2.0-only
/* --system's exact phases as the report says them: a line in the table and
 * an "exact" JSON record when a process whose pages kept growing is traced
 * exactly, and when it no longer is, with the stacks its heap grew most at
 * meanwhile (they leave the report at the next sample). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "hashmap.h"
#include "report_int.h"

#define EXACT_SITES 3 /* stacks said when a phase ends */

/* The heap stacks of @tgid that grew most over the window, up to
 * EXACT_SITES, in @out; returns how many. */
static size_t top_heap(struct report *r, __u32 tgid, struct suspect *out)
{
	size_t n = 0, pos = 0;
	void *v;

	while (hashmap__next(r->series, &pos, NULL, &v)) {
		struct series *s = v;
		struct suspect x;
		size_t at;

		if (s->key.tgid != tgid || s->key.kind != LT_KIND_HEAP)
			continue;
		rp_suspect_fill(r, s, &x);
		if (x.growth_window <= 0)
			continue;
		/* insertion into the few kept, most growth first */
		for (at = n; at > 0 && out[at - 1].growth_window < x.growth_window; at--)
			if (at < EXACT_SITES)
				out[at] = out[at - 1];
		if (at < EXACT_SITES)
			out[at] = x;
		n += n < EXACT_SITES;
	}
	return n;
}

/* The first frame of @s's stack worth naming, rendered into r->frames:
 * returns it, or NULL. */
static const struct lt_frame *site_of(struct report *r, const struct series *s)
{
	const __u64 *ips;
	size_t nr = !lt_stack_walked(s->key.stack)
			    ? 0
			    : r->src.stack_frames(r->src.ctx, s->key.tgid, s->key.stack, &ips);

	nr = nr ? rp_render_frames(r, s->key.tgid, ips, nr, r->frames, MAX_SHOWN) : 0;
	return nr ? &r->frames[0] : NULL;
}

static void text_site(FILE *out, const struct lt_frame *f)
{
	char func[512], file[256];

	if (!f)
		fputs("[stack unavailable]", out);
	else if (f->func && f->file && f->line > 0)
		fprintf(out, "%s (%s:%d)", TERM(func, f->func), TERM(file, rp_base_name(f->file)),
			f->line);
	else if (f->func)
		fputs(TERM(func, f->func), out);
	else
		fprintf(out, "%s+0x%" PRIx64, TERM(file, rp_base_name(f->module)),
			(uint64_t)f->offset);
}

static void exact_text(struct report *r, const struct report_exact *e, const struct suspect *top,
		       size_t n)
{
	FILE *out = r->opts.text;
	char esc[64], size[32];

	fprintf(out, "  exact: pid %u (%s): ", e->tgid, TERM(esc, rp_comm_of(r, e->tgid)));
	if (e->start && e->error) {
		fprintf(out, "its pages keep growing, but its allocations cannot be traced: %s\n",
			e->error);
	} else if (e->start) {
		lt_format_size(size, sizeof(size), e->grower->growth_window, true);
		fprintf(out,
			"its pages grew %s over the window (in %u of %u intervals): its "
			"allocations are traced exactly until +%.1fs\n",
			size, e->grower->grown, e->grower->intervals, e->until);
	} else {
		if (!strcmp(e->why, "stopped"))
			fprintf(out, "traced exactly for %.1f s when leaktrace stopped", e->lasted);
		else
			fprintf(out, "back to pages after %.1f s of exact tracing%s", e->lasted,
				!strcmp(e->why, "exited") ? " (it exited)" : "");
		for (size_t i = 0; i < n; i++) {
			lt_format_size(size, sizeof(size), top[i].growth_window, true);
			fputs(i ? "; " : "; its heap grew most at ", out);
			text_site(out, site_of(r, top[i].s));
			fprintf(out, " %s", size);
		}
		fputc('\n', out);
	}
	rp_check_sink(r, out, NULL);
}

static void exact_json(struct report *r, const struct report_exact *e, const struct suspect *top,
		       size_t n)
{
	struct rp_rec rec;
	struct jw w;

	if (rp_rec_begin_at(&rec, &w, "exact", r->t))
		return;
	jw__kstr(&w, "state", e->start && !e->error ? "start" : e->start ? "failed" : "end");
	jw__kint(&w, "pid", e->tgid);
	jw__kstr(&w, "comm", rp_comm_of(r, e->tgid));
	if (e->start) {
		jw__kint(&w, "growth_window", e->grower->growth_window);
		jw__kuint(&w, "intervals_grown", e->grower->grown);
		jw__kuint(&w, "intervals", e->grower->intervals);
		if (e->error) {
			jw__kstr(&w, "error", e->error);
		} else {
			jw__key(&w, "until");
			jw__double(&w, e->until, 3);
		}
	} else {
		jw__kstr(&w, "reason", e->why);
		jw__key(&w, "lasted");
		jw__double(&w, e->lasted, 3);
		jw__key(&w, "sites");
		jw__begin_array(&w);
		for (size_t i = 0; i < n; i++) {
			const struct lt_frame *fr = site_of(r, top[i].s);

			jw__begin_object(&w);
			jw__kint(&w, "bytes", top[i].s->bytes);
			jw__kint(&w, "count", top[i].s->count);
			jw__kint(&w, "growth_window", top[i].growth_window);
			jw__kbool(&w, "suspect", top[i].suspect);
			if (fr) {
				jw__key(&w, "frame");
				rp_json_frame(&w, fr, true);
			}
			jw__end_object(&w);
		}
		jw__end_array(&w);
	}
	rp_rec_end(r, &rec);
}

int report__exact(struct report *r, const struct report_exact *e)
{
	struct suspect top[EXACT_SITES];
	size_t n = e->start ? 0 : top_heap(r, e->tgid, top);

	if (r->opts.text)
		exact_text(r, e, top, n);
	if (rp_json_wanted(r))
		exact_json(r, e, top, n);
	return r->write_err;
}
