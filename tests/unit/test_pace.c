// SPDX-License-Identifier: GPL-2.0-only
/* Tests the pace of the reports: on time within the slack, late by the time
 * past the first interval not reported, and the reason: the work that ran
 * past the due time and explains most of the delay, or waiting for a CPU. */
#include <string.h>
#include "pace.h"
#include "ut.h"

#define NEAR(a, b) ((a) - (b) < 1e-9 && (b) - (a) < 1e-9)

static void test_on_time(void)
{
	struct pace *p = pace__new(/*interval=*/1, /*origin=*/0, /*slack=*/0.5);
	char why[128] = "";

	UT_CHECK(p != NULL, "pace__new");
	if (!p)
		return;
	UT_CHECK(NEAR(pace__left(p, 0.25), 0.75), "first report due at 1");
	/* work before the due time delays nothing */
	pace__spent(p, PACE_EVENTS, 0.1, 0.9, 100);
	pace__due(p, 1);
	UT_CHECK(pace__late(p, 1.4, why, sizeof(why)) == 0, "0.4s past due: within the slack");
	UT_CHECK(NEAR(pace__left(p, 1.5), 0.5), "next due at 2");
	pace__due(p, 1);
	UT_CHECK(pace__late(p, 2.01, why, sizeof(why)) == 0, "on time");
	pace__free(p);
}

static void test_late_work(void)
{
	struct pace *p = pace__new(1, 0, 0.5);
	char why[128] = "";
	double late;

	UT_CHECK(p != NULL, "pace__new");
	if (!p)
		return;
	/* events handled from 0.5 to 4.2: past the due time from 1 on */
	pace__spent(p, PACE_EVENTS, 0.5, 4.2, 5000);
	pace__due(p, 4);
	pace__spent(p, PACE_READ, 4.2, 4.5, 0);
	late = pace__late(p, 4.5, why, sizeof(why));
	UT_CHECK(NEAR(late, 3.5), "late since the first tick: %g", late);
	UT_CHECK(strstr(why, "5000 events") && strstr(why, "3.20s"), "why: %s", why);
	/* the four ticks went to that one report: the next is due at 5 */
	UT_CHECK(NEAR(pace__left(p, 4.5), 0.5), "next due at 5");
	pace__due(p, 1);
	UT_CHECK(pace__late(p, 5.1, why, sizeof(why)) == 0, "and on time again");

	pace__due(p, 1);
	pace__spent(p, PACE_READ, 6.0, 8.0, 0);
	late = pace__late(p, 8.0, why, sizeof(why));
	UT_CHECK(NEAR(late, 2.0), "late 2s: %g", late);
	UT_CHECK(!strcmp(why, "reading the BPF maps took 2.00s"), "why: %s", why);
	pace__free(p);
}

static void test_late_cpu(void)
{
	struct pace *p = pace__new(0.5, 0, 0.25);
	char why[128] = "";
	double late;

	UT_CHECK(p != NULL, "pace__new");
	if (!p)
		return;
	/* woken 1.5s late, then a short report */
	pace__due(p, 3);
	pace__spent(p, PACE_READ, 2.0, 2.1, 0);
	late = pace__late(p, 2.1, why, sizeof(why));
	UT_CHECK(NEAR(late, 1.6), "late 1.6s: %g", late);
	UT_CHECK(!strcmp(why, "leaktrace waited 1.50s to run (the CPUs are busy)"), "why: %s", why);
	/* work of the last report, past the next one's due time */
	pace__spent(p, PACE_OUTPUT, 2.1, 3.0, 0);
	pace__spent(p, PACE_SWEEP, 3.0, 3.1, 0);
	pace__due(p, 1);
	late = pace__late(p, 3.2, why, sizeof(why));
	UT_CHECK(NEAR(late, 1.2), "late 1.2s: %g", late);
	UT_CHECK(strstr(why, "writing the last report took 0.90s") != NULL, "why: %s", why);
	pace__free(p);
}

int main(void)
{
	test_on_time();
	test_late_work();
	test_late_cpu();
	return ut_done();
}
