// SPDX-License-Identifier: GPL-2.0-only
/* What keeps an object alive (--backrefs): a few lines in the table, and a
 * "backrefs" JSON record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report_int.h"

/* One link as the table shows it, after @prev (NULL for the first):
 * "module auth.sessions", "_ACTIVE" (a module global), ".entries" (an
 * instance or class attribute), "['u-48213']", "[3]", "{Session}" (a set
 * member), "closure cell 'items'", "frame f()", "local 'batch'",
 * "__defaults__[0]", "__kwdefaults__['cache']". */
static void text_link(FILE *out, const struct backref_link *l, const struct backref_link *prev)
{
	char esc[400];

	switch (l->kind) {
	case BACKREF_MODULE:
		fprintf(out, "module %s", TERM(esc, l->name));
		break;
	case BACKREF_ATTR:
		fprintf(out, "%s%s", prev && prev->kind == BACKREF_MODULE ? "" : ".",
			TERM(esc, l->name));
		break;
	case BACKREF_SLOT:
		fprintf(out, ".%s", TERM(esc, l->name));
		break;
	case BACKREF_KEY:
	case BACKREF_INDEX:
		fprintf(out, "[%s]", TERM(esc, l->name));
		break;
	case BACKREF_ITEM:
		fprintf(out, "{%s}", TERM(esc, l->type));
		break;
	case BACKREF_CELL:
		fprintf(out, "closure cell '%s'", TERM(esc, l->name));
		break;
	case BACKREF_FRAME:
		fprintf(out, "frame %s", TERM(esc, l->name));
		break;
	case BACKREF_LOCAL:
		fprintf(out, "local '%s'", TERM(esc, l->name));
		break;
	case BACKREF_DEFAULT:
		fputs(TERM(esc, l->name), out);
		break;
	}
}

/* Whether the table says what a link leads to, after it: not where the link
 * says so itself (a set member, a frame). */
static bool text_shows_type(const struct backref_link *l)
{
	return l->kind != BACKREF_ITEM && l->kind != BACKREF_FRAME;
}

static const char *const link_kinds[] = {
	[BACKREF_MODULE] = "module", [BACKREF_ATTR] = "attr",	[BACKREF_KEY] = "key",
	[BACKREF_INDEX] = "index",   [BACKREF_ITEM] = "item",	[BACKREF_CELL] = "cell",
	[BACKREF_FRAME] = "frame",   [BACKREF_LOCAL] = "local", [BACKREF_DEFAULT] = "default",
	[BACKREF_SLOT] = "slot",
};

void rp_text_chain(FILE *out, const struct backref_chain *ch)
{
	const struct backref_link *last = &ch->links[ch->nr - 1];
	char esc[400];

	for (unsigned int i = 0; i < ch->nr; i++) {
		const struct backref_link *l = &ch->links[i];
		const struct backref_link *prev = i ? l - 1 : NULL;

		/* "frame f() local 'batch'": one step to read */
		if (i)
			fputs(l->kind == BACKREF_LOCAL && prev->kind == BACKREF_FRAME ? " "
										      : " -> ",
			      out);
		text_link(out, l, prev);
		if (i && i + 1 < ch->nr && text_shows_type(l))
			fprintf(out, " (%s)", l->is_class ? "class" : TERM(esc, l->type));
	}
	if (text_shows_type(last))
		fprintf(out, " -> %s", TERM(esc, last->type));
}

void rp_json_chain(struct jw *w, const struct backref_chain *ch)
{
	jw__begin_array(w);
	for (unsigned int i = 0; i < ch->nr; i++) {
		const struct backref_link *l = &ch->links[i];

		jw__begin_object(w);
		jw__kstr(w, "kind", link_kinds[l->kind]);
		if (l->kind != BACKREF_ITEM)
			jw__kstr(w, l->kind == BACKREF_KEY ? "key" : "name", l->name);
		jw__kstr(w, "type", l->type);
		jw__khex(w, "addr", l->addr);
		jw__end_object(w);
	}
	jw__end_array(w);
}

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
			rp_text_chain(out, ch);
			fprintf(out, "  (%llu objects read in %.1f ms, each link read again)\n",
				(unsigned long long)ch->visited, ch->search_ms);
		}
		rp_check_sink(r, out, NULL);
	}
	if (rp_json_wanted(r)) {
		struct rp_rec rec;
		struct jw w;

		if (rp_rec_begin_at(&rec, &w, "backrefs", r->t))
			return r->write_err;
		jw__kint(&w, "pid", pid);
		jw__kstr(&w, "object_type", type);
		if (err)
			jw__kstr(&w, "error", err == -ENOENT ? "no chain found" : strerror(-err));
		jw__kbool(&w, "verified", !err && ch->verified);
		jw__kuint(&w, "visited", ch->visited);
		jw__key(&w, "search_ms");
		jw__double(&w, ch->search_ms, 3);
		jw__key(&w, "chain");
		if (err) {
			jw__begin_array(&w);
			jw__end_array(&w);
		} else {
			rp_json_chain(&w, ch);
		}
		rp_rec_end(r, &rec);
	}
	return r->write_err;
}
