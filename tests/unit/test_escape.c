/* SPDX-License-Identifier: GPL-2.0-only */
/* Escaping for terminals and the JSON writer's strings: what a traced
 * process names must come out with no control character and as valid UTF-8. */
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "json.h"
#include "ut.h"

static void test_term(void)
{
	char buf[64];

	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "plain_name"), "plain_name", "plain");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "a\x1b[2Jb"), "a\\x1b[2Jb", "ESC");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "t\x07\n\x7f"), "t\\x07\\x0a\\x7f",
		  "BEL, newline, DEL");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "caf\xc3\xa9"), "caf\xc3\xa9", "UTF-8 kept");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf),
				 "\xc2\x9b"
				 "31m"),
		  "\\xc2\\x9b31m", "C1 CSI escaped");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "\xff\xfe"), "\\xff\\xfe", "invalid bytes");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "\xe2\x82"), "\\xe2\\x82", "cut sequence");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "\xc0\xaf"), "\\xc0\\xaf", "overlong");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "\xed\xa0\x80"), "\\xed\\xa0\\x80", "surrogate");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), "a\\b"), "a\\\\b", "backslash doubled");
	UT_EQ_STR(lt_escape_term(buf, sizeof(buf), NULL), "", "NULL");
	UT_EQ_STR(lt_escape_term(buf, 6, "\x1b\x1b"), "\\x1b", "cut at a whole escape");
	UT_EQ_STR(lt_escape_term(buf, 3, "\xc3\xa9\xc3\xa9"), "\xc3\xa9", "cut at a character");
}

static void test_json(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct jw w;

	if (!f) {
		UT_CHECK(0, "open_memstream");
		return;
	}
	jw__init(&w, f);
	jw__begin_array(&w);
	jw__string(&w, "q\"\\\x1b\xc2\x85\xff\xe2\x82\xac");
	jw__end_array(&w);
	fclose(f);
	UT_EQ_STR(out, "[\"q\\\"\\\\\\u001b\\u0085\\ufffd\xe2\x82\xac\"]",
		  "quote, backslash, ESC, C1, invalid byte, euro sign");
	free(out);
}

int main(void)
{
	test_term();
	test_json();
	return ut_done();
}
