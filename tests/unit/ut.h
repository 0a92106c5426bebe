/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal unit-test harness: each test binary prints one TAP-style line per
 * check ("ok N - what" / "not ok N - what: why", or "ok N - what # SKIP why"
 * for a check that cannot run here) and exits non-zero if any check failed.
 * tests/run.py counts the lines. */
#ifndef LT_UT_H
#define LT_UT_H

#include <stdarg.h>
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

static inline void ut_skip_line(const char *tag, const char *what, const char *fmt, va_list ap)
{
	printf("ok %d - %s # %s ", ++ut_n, what, tag);
	vprintf(fmt, ap);
	printf("\n");
}

/* A check that cannot run here because something it needs is not installed
 * (a tool, a package, a permission): "# SKIP". tests/run.py counts it as a
 * skip, and under CI (CI=true), where scripts/deps.sh installs everything and
 * tests run as root, as a failure, as it does a skipped e2e test. */
__attribute__((format(printf, 2, 3), unused)) static void ut_skip(const char *what, const char *fmt,
								  ...)
{
	va_list ap;

	va_start(ap, fmt);
	ut_skip_line("SKIP", what, fmt, ap);
	va_end(ap);
}

/* A check whose subject cannot exist on this system at all (another libc or
 * architecture, an interpreter version the distribution does not ship):
 * "# SKIP-ALWAYS", a skip that CI accepts too (common.SkipAlways for e2e). */
__attribute__((format(printf, 2, 3), unused)) static void ut_skip_always(const char *what,
									 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ut_skip_line("SKIP-ALWAYS", what, fmt, ap);
	va_end(ap);
}

static inline int ut_done(void)
{
	printf("# %d checks, %d failed\n", ut_n, ut_failed);
	return ut_failed ? 1 : 0;
}

#endif
