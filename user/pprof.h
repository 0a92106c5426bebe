/* SPDX-License-Identifier: GPL-2.0-only */
/* --pprof FILE: everything outstanding as a pprof profile (profile.proto,
 * gzipped), which go tool pprof, Pyroscope, Parca, Grafana and speedscope
 * read. Built with protobuf-c; a build without it (LT_HAVE_PPROF unset)
 * has no --pprof. */
#ifndef LT_PPROF_H
#define LT_PPROF_H

#include <stdio.h>
#include "report.h"

/* Writes the profile of the stacks outstanding at the report's last sample,
 * @duration seconds after tracing began: sample types live_bytes,
 * live_count, growth_bytes and growth_count (growth over the trailing
 * window: bytes for the kinds measured in bytes, count for the others),
 * labels kind, pid, comm and type. Returns 0 or a negative errno. */
int pprof__write(struct report *r, FILE *f, double duration);

#endif
