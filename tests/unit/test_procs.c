// SPDX-License-Identifier: GPL-2.0-only
/* Tests the process table of --system: taking from sets that were never
 * filled (the state at the first report of a quiet system), names kept until
 * the take after the one that handed out their exit, and pids noted twice. */
#include <sys/types.h>
#include "procs.h"
#include "ut.h"

static void test_empty(void)
{
	struct procs *p = procs__new();
	pid_t out[4];

	UT_CHECK(p != NULL, "procs__new");
	if (!p)
		return;
	UT_EQ_INT(procs__take_touched(p, out, 4), 0, "nothing touched yet");
	UT_EQ_INT(procs__take_replaced(p, out, 4), 0, "nothing exec'd yet");
	UT_EQ_INT(procs__take_exited(p, out, 4), 0, "nothing exited yet");
	UT_EQ_INT(procs__take_exited(p, out, 4), 0, "still nothing exited");
	UT_EQ_INT(procs__count(p), 0, "no names");
	procs__free(p);
}

static void test_exited(void)
{
	struct procs *p = procs__new();
	pid_t out[4];

	UT_CHECK(p != NULL, "procs__new");
	if (!p)
		return;
	procs__exited(p, 0x7ffffff0, "gone");
	procs__exited(p, 0x7ffffff0, "gone");
	procs__exited(p, 0x7ffffff1, "also");
	UT_EQ_INT(procs__take_exited(p, out, 1), 1, "one at a time");
	UT_EQ_INT(out[0], 0x7ffffff0, "first noted first");
	UT_EQ_STR(procs__comm(p, 0x7ffffff0), "gone", "name kept while it is reported");
	UT_EQ_INT(procs__take_exited(p, out, 4), 1, "noted twice, handed out once");
	UT_EQ_INT(out[0], 0x7ffffff1, "then the other");
	UT_CHECK(procs__comm(p, 0x7ffffff0) == NULL, "name forgotten at the next take");
	UT_EQ_INT(procs__take_exited(p, out, 4), 0, "none left");
	UT_EQ_INT(procs__count(p), 0, "no names left");
	procs__touch(p, 0x7ffffff2);
	UT_EQ_INT(procs__take_touched(p, out, 4), 1, "touched");
	UT_EQ_INT(procs__take_touched(p, out, 4), 0, "touched once");
	procs__replaced(p, 0x7ffffff3);
	procs__replaced(p, 0x7ffffff3);
	UT_EQ_INT(procs__take_replaced(p, out, 4), 1, "exec'd twice, handed out once");
	UT_EQ_INT(out[0], 0x7ffffff3, "the one exec'd");
	procs__free(p);
}

int main(void)
{
	test_empty();
	test_exited();
	return ut_done();
}
