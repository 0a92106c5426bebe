// SPDX-License-Identifier: GPL-2.0-only
/* What keeps an object alive (--backrefs): a few lines in the table, and a
 * "backrefs" JSON record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report_int.h"

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
		rp_check_sink(r, out, NULL);
	}
	if (rp_json_wanted(r)) {
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
		rp_json_flush(r, buf, len);
		free(buf);
	}
	return r->write_err;
}
