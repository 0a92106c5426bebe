// SPDX-License-Identifier: GPL-2.0-only
/* The JSON writer, by its exact output: commas and nesting (deeper than it
 * keeps state for, too), string escaping of controls, quotes and
 * backslashes, invalid UTF-8 as U+FFFD (README: "Strings are valid UTF-8"),
 * numbers at their precision, NaN and infinities as null, hex, booleans. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "ut.h"

/* One document written into memory. */
struct doc {
	struct jw w;
	FILE *f;
	char *buf;
	size_t len;
};

static struct jw *doc_open(struct doc *d)
{
	d->buf = NULL;
	d->len = 0;
	d->f = open_memstream(&d->buf, &d->len);
	if (!d->f)
		return NULL;
	jw__init(&d->w, d->f);
	return &d->w;
}

/* Checks what was written against @want, and frees it. */
static void doc_check(struct doc *d, const char *want, const char *what)
{
	fclose(d->f);
	UT_EQ_STR(d->buf, want, what);
	free(d->buf);
}

/* The JSON string jw__string() makes of @s. */
static void check_string(const char *s, const char *want, const char *what)
{
	struct doc d;
	struct jw *w = doc_open(&d);

	if (!w) {
		UT_CHECK(0, "open_memstream");
		return;
	}
	jw__string(w, s);
	doc_check(&d, want, what);
}

static void test_nesting(void)
{
	struct doc d;
	struct jw *w = doc_open(&d);

	if (!w) {
		UT_CHECK(0, "open_memstream");
		return;
	}
	jw__begin_object(w);
	jw__key(w, "a");
	jw__begin_array(w);
	jw__int(w, 1);
	jw__int(w, 2);
	jw__begin_object(w);
	jw__kbool(w, "b", true);
	jw__kbool(w, "c", false);
	jw__end_object(w);
	jw__begin_array(w);
	jw__end_array(w);
	jw__end_array(w);
	jw__key(w, "d");
	jw__begin_object(w);
	jw__end_object(w);
	jw__kstr(w, "e", NULL);
	jw__kstr(w, "f", "x");
	jw__kint(w, "g", -3);
	jw__kuint(w, "h", 4);
	jw__khex(w, "i", 255);
	jw__end_object(w);
	doc_check(&d,
		  "{\"a\":[1,2,{\"b\":true,\"c\":false},[]],\"d\":{},\"e\":null,\"f\":\"x\","
		  "\"g\":-3,\"h\":4,\"i\":\"0xff\"}",
		  "objects in arrays in objects, commas only between values");

	w = doc_open(&d);
	if (!w)
		return;
	jw__begin_array(w);
	jw__end_array(w);
	doc_check(&d, "[]", "an empty array");

	w = doc_open(&d);
	if (!w)
		return;
	jw__begin_array(w);
	jw__string(w, NULL);
	jw__string(w, "");
	jw__begin_object(w);
	jw__end_object(w);
	jw__end_array(w);
	doc_check(&d, "[null,\"\",{}]", "null, the empty string and an empty object");

	/* deeper than JW_MAX_DEPTH: values after each close still need their
	 * comma, the first in each container none */
	w = doc_open(&d);
	if (!w)
		return;
	for (int i = 0; i < JW_MAX_DEPTH + 4; i++) {
		jw__begin_array(w);
		jw__int(w, i);
	}
	for (int i = 0; i < JW_MAX_DEPTH + 4; i++) {
		jw__end_array(w);
		if (i < JW_MAX_DEPTH + 3)
			jw__int(w, -i);
	}
	doc_check(
		&d,
		"[0,[1,[2,[3,[4,[5,[6,[7,[8,[9,[10,[11,[12,[13,[14,[15,[16,[17,[18,[19],0],-1],-2],"
		"-3],-4],-5],-6],-7],-8],-9],-10],-11],-12],-13],-14],-15],-16],-17],-18]",
		"20 levels deep");

	w = doc_open(&d);
	if (!w)
		return;
	for (int i = 0; i < JW_MAX_DEPTH + 2; i++) {
		jw__begin_object(w);
		jw__key(w, "k");
	}
	jw__begin_array(w);
	jw__end_array(w);
	jw__begin_array(w);
	jw__end_array(w);
	for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
		jw__end_object(w);
	fclose(d.f);
	{
		char want[256] = "";

		for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
			strcat(want, "{\"k\":");
		strcat(want, "[],[]");
		for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
			strcat(want, "}");
		UT_EQ_STR(d.buf, want,
			  "two arrays after one key, 18 objects deep: a comma between");
	}
	free(d.buf);
}

static void test_escaping(void)
{
	check_string("plain text / slash", "\"plain text / slash\"", "nothing to escape");
	check_string("say \"hi\"", "\"say \\\"hi\\\"\"", "quotes");
	check_string("C:\\dir\\", "\"C:\\\\dir\\\\\"", "backslashes, one at the end");
	check_string("a\nb\tc", "\"a\\nb\\tc\"", "newline and tab");
	check_string("\x01\x08\x0c\r\x1b\x1f", "\"\\u0001\\u0008\\u000c\\u000d\\u001b\\u001f\"",
		     "the other controls as \\u00XX");
	check_string("del\x7f", "\"del\\u007f\"", "DEL");
	check_string("\xc2\x80\xc2\x9f\xc2\xa0", "\"\\u0080\\u009f\xc2\xa0\"",
		     "C1 controls escaped, U+00A0 kept");
	check_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
		     "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"",
		     "valid UTF-8 of 2, 3 and 4 bytes, up to U+10FFFF, kept");
}

static void test_invalid_utf8(void)
{
	check_string("\x80", "\"\\ufffd\"", "a lone continuation byte");
	check_string("\xff\xfe", "\"\\ufffd\\ufffd\"", "bytes never in UTF-8");
	check_string("\xc0\xaf", "\"\\ufffd\\ufffd\"", "an overlong '/'");
	check_string("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", "an overlong of 3 bytes");
	check_string("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "a surrogate");
	check_string("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "past U+10FFFF");
	check_string("\xf5\x80", "\"\\ufffd\\ufffd\"", "a lead byte past U+10FFFF");
	check_string("ab\xe2\x82", "\"ab\\ufffd\\ufffd\"", "a sequence cut by the end");
	check_string("\xe2\x82x\xe2\x82\xac", "\"\\ufffd\\ufffdx\xe2\x82\xac\"",
		     "a cut sequence, then a whole one");
	check_string("\xc3\n", "\"\\ufffd\\n\"", "a lead byte before a control");
	check_string("\xc3\"", "\"\\ufffd\\\"\"", "a lead byte before a quote");
}

static void test_keys(void)
{
	struct doc d;
	struct jw *w = doc_open(&d);

	if (!w) {
		UT_CHECK(0, "open_memstream");
		return;
	}
	jw__begin_object(w);
	jw__kint(w, "q\"\n\xff", 1);
	jw__end_object(w);
	doc_check(&d, "{\"q\\\"\\n\\ufffd\":1}", "keys are escaped as strings are");
}

static void test_numbers(void)
{
	struct doc d;
	struct jw *w = doc_open(&d);

	if (!w) {
		UT_CHECK(0, "open_memstream");
		return;
	}
	jw__begin_array(w);
	jw__int(w, 0);
	jw__int(w, -1);
	jw__int(w, LLONG_MAX);
	jw__int(w, LLONG_MIN);
	jw__uint(w, ULLONG_MAX);
	jw__end_array(w);
	doc_check(&d, "[0,-1,9223372036854775807,-9223372036854775808,18446744073709551615]",
		  "integers at their limits");

	w = doc_open(&d);
	if (!w)
		return;
	jw__begin_array(w);
	jw__double(w, 3.14159, 2);
	jw__double(w, 3.14159, 0);
	jw__double(w, 1.0 / 3, 3);
	jw__double(w, -0.26, 1);
	jw__double(w, 2.0 / 3, 4);
	jw__double(w, 1e20, 1);
	jw__double(w, 0, 3);
	jw__end_array(w);
	doc_check(&d, "[3.14,3,0.333,-0.3,0.6667,100000000000000000000.0,0.000]",
		  "doubles with the decimals asked for");

	w = doc_open(&d);
	if (!w)
		return;
	jw__begin_array(w);
	jw__double(w, NAN, 2);
	jw__double(w, INFINITY, 2);
	jw__double(w, -INFINITY, 2);
	jw__double(w, DBL_MAX / DBL_MIN, 2);
	jw__end_array(w);
	doc_check(&d, "[null,null,null,null]", "NaN and infinities, which JSON lacks, are null");

	w = doc_open(&d);
	if (!w)
		return;
	jw__begin_array(w);
	jw__hex(w, 0);
	jw__hex(w, 0xdeadbeef);
	jw__hex(w, ULLONG_MAX);
	jw__bool(w, true);
	jw__bool(w, false);
	jw__end_array(w);
	doc_check(&d, "[\"0x0\",\"0xdeadbeef\",\"0xffffffffffffffff\",true,false]",
		  "hex as strings, booleans");
}

int main(void)
{
	test_nesting();
	test_escaping();
	test_invalid_utf8();
	test_keys();
	test_numbers();
	return ut_done();
}
