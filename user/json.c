// SPDX-License-Identifier: GPL-2.0-only
/* The JSON writer: separators between values and RFC 8259 string escaping. */
#include <math.h>
#include <string.h>
#include "escape.h"
#include "json.h"

void jw__init(struct jw *w, FILE *f)
{
	*w = (struct jw){ .f = f };
}

/* Writes the comma a value needs before it, if any. */
static void before_value(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		fputc(',', w->f);
	w->need_comma[w->depth] = true;
}

static void nest(struct jw *w, char c)
{
	before_value(w);
	fputc(c, w->f);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void unnest(struct jw *w, char c)
{
	fputc(c, w->f);
	if (w->depth > 0)
		w->depth--;
}

void jw__begin_object(struct jw *w)
{
	nest(w, '{');
}

void jw__end_object(struct jw *w)
{
	unnest(w, '}');
}

void jw__begin_array(struct jw *w)
{
	nest(w, '[');
}

void jw__end_array(struct jw *w)
{
	unnest(w, ']');
}

/* RFC 8259 escaping. Valid UTF-8 passes, but for the C1 controls, which a
 * terminal showing the JSON would act on; each byte of invalid UTF-8 (a
 * traced program's strings are any bytes) becomes U+FFFD. */
static void write_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t rest = strlen(s);

	fputc('"', f);
	while (*p) {
		size_t n = lt_utf8_seq(p, rest);

		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			fprintf(f, "\\u%04x", p[1]);
		} else if (!n) {
			fputs("\\ufffd", f);
			n = 1;
		} else {
			fwrite(p, 1, n, f);
		}
		if (n < 1)
			n = 1;
		p += n;
		rest -= n;
	}
	fputc('"', f);
}

void jw__key(struct jw *w, const char *key)
{
	before_value(w);
	write_string(w->f, key);
	fputc(':', w->f);
	w->after_key = true;
}

void jw__string(struct jw *w, const char *s)
{
	before_value(w);
	if (s)
		write_string(w->f, s);
	else
		fputs("null", w->f);
}

void jw__int(struct jw *w, long long v)
{
	before_value(w);
	fprintf(w->f, "%lld", v);
}

void jw__uint(struct jw *w, unsigned long long v)
{
	before_value(w);
	fprintf(w->f, "%llu", v);
}

void jw__double(struct jw *w, double v, int decimals)
{
	before_value(w);
	if (isfinite(v))
		fprintf(w->f, "%.*f", decimals, v);
	else
		fputs("null", w->f);
}

void jw__bool(struct jw *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->f);
}

void jw__hex(struct jw *w, unsigned long long v)
{
	before_value(w);
	fprintf(w->f, "\"0x%llx\"", v);
}

void jw__kstr(struct jw *w, const char *key, const char *s)
{
	jw__key(w, key);
	jw__string(w, s);
}

void jw__kint(struct jw *w, const char *key, long long v)
{
	jw__key(w, key);
	jw__int(w, v);
}

void jw__kuint(struct jw *w, const char *key, unsigned long long v)
{
	jw__key(w, key);
	jw__uint(w, v);
}

void jw__khex(struct jw *w, const char *key, unsigned long long v)
{
	jw__key(w, key);
	jw__hex(w, v);
}

void jw__kbool(struct jw *w, const char *key, bool v)
{
	jw__key(w, key);
	jw__bool(w, v);
}
