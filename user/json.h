/* SPDX-License-Identifier: GPL-2.0-only */
/* Writing JSON: nesting, commas and string escaping. Output only; one value
 * per call, keys with jw__key() before values inside objects. */
#ifndef LT_JSON_H
#define LT_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool after_key;
};

void jw__init(struct jw *w, FILE *f);
void jw__begin_object(struct jw *w);
void jw__end_object(struct jw *w);
void jw__begin_array(struct jw *w);
void jw__end_array(struct jw *w);
void jw__key(struct jw *w, const char *key);
void jw__string(struct jw *w, const char *s); /* NULL writes null */
void jw__int(struct jw *w, long long v);
void jw__uint(struct jw *w, unsigned long long v);
void jw__double(struct jw *w, double v, int decimals);
void jw__bool(struct jw *w, bool v);
void jw__hex(struct jw *w, unsigned long long v); /* a string "0x..." */

/* A key and its value, inside an object. */
void jw__kstr(struct jw *w, const char *key, const char *s);
void jw__kint(struct jw *w, const char *key, long long v);
void jw__kuint(struct jw *w, const char *key, unsigned long long v);
void jw__khex(struct jw *w, const char *key, unsigned long long v);
void jw__kbool(struct jw *w, const char *key, bool v);

#endif
