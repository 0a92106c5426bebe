/* SPDX-License-Identifier: GPL-2.0-only */
/* The call chain of the unwind workload, across its executable (unwind.c) and
 * two shared libraries (unwind_a.c, unwind_b.c), all built -O2
 * -fomit-frame-pointer: each level calls the next and then uses its result,
 * so that no call is a tail call and every level is a frame on the stack. */
#ifndef UNW_H
#define UNW_H

#include <stddef.h>

/* libunwa.so */
long unwa_outer(long n);
long unwa_inner(long n);

/* libunwb.so */
long unwb_outer(long n);
long unwb_inner(long n);

#endif
