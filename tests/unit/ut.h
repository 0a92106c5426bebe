/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal unit-test harness: each test binary prints one TAP-style line per
 * check ("ok N - what" / "not ok N - what: why") and exits non-zero if any
 * check failed. tests/run.py counts the lines. */
#ifndef LT_UT_H
#define LT_UT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ut_n, ut_failed;

#define UT_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		ut_n++;                                                                            \
		if (cond) {                                                                        \
			printf("ok %d - ", ut_n);                                                  \
		} else {                                                                           \
			ut_failed++;                                                               \
			printf("not ok %d - %s:%d: (%s) ", ut_n, __FILE__, __LINE__, #cond);       \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

#define UT_EQ_INT(a, b, what)                                                                      \
	do {                                                                                       \
		long long ut_a = (long long)(a), ut_b = (long long)(b);                            \
		UT_CHECK(ut_a == ut_b, "%s: got %lld, want %lld", what, ut_a, ut_b);               \
	} while (0)

#define UT_EQ_STR(a, b, what)                                                                      \
	do {                                                                                       \
		const char *ut_a = (a), *ut_b = (b);                                               \
		UT_CHECK(ut_a &&ut_b && !strcmp(ut_a, ut_b), "%s: got '%s', want '%s'", what,      \
			 ut_a ? ut_a : "(null)", ut_b ? ut_b : "(null)");                          \
	} while (0)

static inline int ut_done(void)
{
	printf("# %d checks, %d failed\n", ut_n, ut_failed);
	return ut_failed ? 1 : 0;
}

#endif
