// SPDX-License-Identifier: GPL-2.0-only
/* One view of a Python type that grows: its census row, the pyobj stacks of
 * the same type that the report lists (the lines that make its objects, by
 * their rank) and the chain last found to one of its objects (what keeps
 * them), together: a short block after the census in the table, "sites" and
 * "chain" on the census row in JSON. A stack is of the type when its objects'
 * type pointer is the type object the census counted them under. */
#include <stdio.h>
#include "log.h"
#include "report_int.h"

#define SITES_SHOWN 3 /* stacks shown per type, the highest ranked */

/* The places in @top of the listed pyobj stacks of the type at @type, at
 * most @max, in rank order. */
static size_t sites_of(const struct suspect *top, size_t n, __u64 type, size_t *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++)
		if (top[i].s->key.kind == LT_KIND_PYOBJ && top[i].s->key.aux == type)
			out[k++] = i;
	return k;
}

/* Where a stack's objects are made: its innermost Python frame, else its
 * innermost frame; NULL if it has none. Rendered into r->frames. */
static const struct lt_frame *site_frame(struct report *r, const struct series *s)
{
	const __u64 *ips;
	size_t nr;

	if (!lt_stack_walked(s->key.stack))
		return NULL;
	nr = r->src.stack_frames(r->src.ctx, s->key.tgid, s->key.stack, &ips);
	nr = rp_render_frames(r, s->key.tgid, ips, nr, r->frames, MAX_SHOWN);
	for (size_t i = 0; i < nr; i++)
		if (r->frames[i].python)
			return &r->frames[i];
	return nr ? &r->frames[0] : NULL;
}

static const struct report_chain *chain_of(const struct report_census *c, __u64 type)
{
	for (size_t i = 0; i < c->nr_chains; i++)
		if (c->chains[i].type_addr == type && c->chains[i].ch->nr)
			return &c->chains[i];
	return NULL;
}

void rp_text_census_views(struct report *r, const struct report_census *c,
			  const struct suspect *top, size_t n)
{
	FILE *out = r->opts.text;
	char esc[160], func[512], file[512], win[32];

	for (size_t i = 0; i < c->nr; i++) {
		const struct census_row *row = &c->rows[i];
		const struct report_chain *ch = chain_of(c, row->type_addr);
		size_t at[SITES_SHOWN], k = sites_of(top, n, row->type_addr, at, SITES_SHOWN);

		if (!k && !ch)
			continue;
		fprintf(out, "    type %zu, %s:\n", i + 1, TERM(esc, row->type));
		for (size_t j = 0; j < k; j++) {
			const struct suspect *x = &top[at[j]];
			const struct lt_frame *f = site_frame(r, x->s);

			fputs("        made at ", out);
			if (f && f->func && f->file && f->line > 0)
				fprintf(out, "%s (%s:%d)", TERM(func, f->func),
					TERM(file, rp_base_name(f->file)), f->line);
			else
				fputs(f && f->func ? TERM(func, f->func) : "?", out);
			lt_format_size(win, sizeof(win), x->growth_window, true);
			fprintf(out, ": stack %zu, %s in the window\n", at[j] + 1, win);
		}
		if (ch) {
			fputs("        held by ", out);
			rp_text_chain(out, ch->ch);
			fprintf(out, "  (found at +%.1fs)\n", ch->t);
		}
	}
}

void rp_json_census_view(struct report *r, struct jw *w, const struct report_census *c,
			 const struct census_row *row, const struct suspect *top, size_t n)
{
	const struct report_chain *ch = chain_of(c, row->type_addr);
	size_t at[SITES_SHOWN], k = sites_of(top, n, row->type_addr, at, SITES_SHOWN);

	if (k) {
		jw__key(w, "sites");
		jw__begin_array(w);
		for (size_t j = 0; j < k; j++) {
			const struct suspect *x = &top[at[j]];
			const struct lt_frame *f = site_frame(r, x->s);

			jw__begin_object(w);
			jw__kuint(w, "rank", at[j] + 1);
			jw__kint(w, "bytes", x->s->bytes);
			jw__kint(w, "count", x->s->count);
			jw__kint(w, "growth_window", x->growth_window);
			if (f) {
				jw__key(w, "frame");
				rp_json_frame(w, f, false);
			}
			jw__end_object(w);
		}
		jw__end_array(w);
	}
	if (ch) {
		jw__key(w, "chain");
		rp_json_chain(w, ch->ch);
		jw__key(w, "chain_t");
		jw__double(w, ch->t, 3);
	}
}
