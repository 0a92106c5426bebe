/* SPDX-License-Identifier: GPL-2.0-only */
/* --html FILE: the report as one self-contained page, with nothing to fetch
 * when it is viewed (inline CSS and SVG, no script): the totals of each kind
 * over the run, the table with a growth chart and the frames of each stack,
 * and a flame graph (an icicle) of everything outstanding by stack. */
#ifndef LT_HTML_H
#define LT_HTML_H

#include <stdbool.h>
#include <stdio.h>
#include "report.h"

/* Writes the page of the report as of its last sample; made from the
 * report's state alone (report__each_row, report__each_total,
 * report__each_live, report__info), with its history when it keeps one
 * (report_opts.history). Every string from the traced process is escaped.
 * Returns 0 or a negative errno (a failed write: -EIO where errno says
 * nothing). */
int html__write(struct report *r, FILE *f);

/* Writes the page to @f again: a regular file is rewritten in place (made
 * in memory, written over the old page, then cut to its length, so that a
 * reader sees no empty file: leaktrace cannot rename once sandboxed); a
 * pipe or a device gets the page only when @final. Returns 0 or a negative
 * errno. */
int html__update(struct report *r, FILE *f, bool final);

#endif
