/* SPDX-License-Identifier: GPL-2.0-only */
/* --folded FILE: everything outstanding, as the folded stacks that
 * flamegraph.pl, inferno and speedscope read. */
#ifndef LT_FOLDED_H
#define LT_FOLDED_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

/* Writes one line per stack with live bytes, "kind;outermost;...;innermost
 * BYTES", the frames as "func (file:line)"; with @per_process, the process
 * ("comm pid") before the kind. Returns 0 or a negative errno (a failed
 * write: -EIO where errno says nothing). */
int folded__write(struct report *r, FILE *f, bool per_process);

#endif
