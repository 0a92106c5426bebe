// SPDX-License-Identifier: GPL-2.0-only
/* Folded stacks: one line per stack, its frames from the root down joined
 * by ';', then a space and its value. The value is live bytes, so that a
 * flame graph of the file is one of outstanding memory; stacks that hold
 * no bytes (descriptors, GL objects of unknown size) are left out. Names
 * come from the traced process: escaped, and ';' too, which would split a
 * frame in two. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "escape.h"
#include "folded.h"
#include "symbolize.h"

struct folded {
	FILE *f;
	bool per_process;
};

/* @s escaped for a terminal, and ';' written as \x3b. */
static void put_name(FILE *f, const char *s)
{
	char buf[1024];

	for (const char *p = lt_escape_term(buf, sizeof(buf), s); *p; p++) {
		if (*p == ';')
			fputs("\\x3b", f);
		else
			fputc(*p, f);
	}
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

static void put_frame(FILE *f, const struct lt_frame *fr)
{
	char num[64];

	if (fr->func) {
		put_name(f, fr->func);
	} else {
		put_name(f, base_name(fr->module));
		snprintf(num, sizeof(num), "+0x%" PRIx64, (uint64_t)fr->offset);
		fputs(num, f);
	}
	if (fr->file && fr->line > 0) {
		fputs(" (", f);
		put_name(f, base_name(fr->file));
		fprintf(f, ":%d)", fr->line);
	}
	if (fr->inlined)
		fputs(" [inlined]", f);
}

static int put_stack(void *ctx, const struct report_live *l)
{
	struct folded *st = ctx;
	FILE *f = st->f;

	if (l->bytes <= 0)
		return 0;
	if (st->per_process) {
		put_name(f, l->comm);
		fprintf(f, " %u;", l->tgid);
	}
	put_name(f, l->kind);
	if (l->type) {
		fputc(' ', f);
		put_name(f, l->type);
	}
	for (size_t i = l->nr_frames; i-- > 0;) {
		fputc(';', f);
		put_frame(f, &l->frames[i]);
	}
	fprintf(f, " %" PRId64 "\n", (int64_t)l->bytes);
	return ferror(f) ? -EIO : 0;
}

int folded__write(struct report *r, FILE *f, bool per_process)
{
	struct folded st = { .f = f, .per_process = per_process };
	int err;

	errno = 0;
	err = report__each_live(r, put_stack, &st);
	if (!err && (fflush(f) || ferror(f)))
		err = errno ? -errno : -EIO;
	return err;
}
