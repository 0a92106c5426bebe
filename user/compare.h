/* SPDX-License-Identifier: GPL-2.0-only */
/* `leaktrace report --from T --to T`, and of two recordings: what grew
 * between two reports (tracemalloc's Snapshot.compare_to). Stacks are
 * matched by what they show (kind, Python type, frames by function, file
 * and line, and the process's name under --system), not by addresses or
 * pids, so that two runs of a program compare. */
#ifndef LT_COMPARE_H
#define LT_COMPARE_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

struct compare_side {
	struct report *report;
	const char *name; /* the recording's file */
	double t;	  /* the report's time, seconds since its tracing began */
};

/* Prints the stacks that grew from @before to @after, most first, at most
 * @top: a table to @text and one "compare" JSON record to @json (either may
 * be NULL). @per_process: match stacks by process name as well. Returns 0,
 * -ENOMEM, or the -errno of a failed write. */
int compare__print(const struct compare_side *before, const struct compare_side *after,
		   unsigned int top, bool per_process, FILE *text, FILE *json);

#endif
