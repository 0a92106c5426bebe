/* SPDX-License-Identifier: GPL-2.0-only */
/* --check: what this machine offers for leaktrace, and what to do about what
 * is missing. */
#ifndef LT_CHECK_H
#define LT_CHECK_H

#include "options.h"

/* Checks every requirement for the run @s describes (its --btf, --sources,
 * --no-uprobe-multi), loads the BPF object without attaching anything, and
 * prints one line per item (one JSON object with --json) on stdout. Returns
 * the exit status: 0 if leaktrace can run here, 1 if something required is
 * missing. */
int check__run(const struct lt_settings *s);

#endif
