// SPDX-License-Identifier: GPL-2.0-only
/* The unwind workload's second library: the innermost levels of its call
 * chain, the last of which allocates and leaks. */
#include <stdlib.h>
#include "unw.h"

void *volatile unwb_sink;

__attribute__((noinline)) long unwb_inner(long n)
{
	volatile char buf[40];
	char *p = malloc(48); /* LEAK:unwb_inner */

	buf[n & 31] = (char)n;
	unwb_sink = p;
	return (long)(p != NULL) + buf[n & 31];
}

__attribute__((noinline)) long unwb_outer(long n)
{
	long r = unwb_inner(n + 7); /* CALL:unwb_outer */

	return r * 2 + 1;
}
