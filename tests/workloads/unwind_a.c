// SPDX-License-Identifier: GPL-2.0-only
/* The unwind workload's first library: two levels of its call chain. */
#include "unw.h"

/* Locals kept on the stack, so that the frame's CFA moves with pushes and a
 * stack adjustment, as in real code. */
__attribute__((noinline)) long unwa_inner(long n)
{
	volatile long pad[6] = { n, n + 1, n + 2, n + 3, n + 4, n + 5 };
	long r = unwb_outer(n + pad[1]); /* CALL:unwa_inner */

	return r + pad[0] + pad[5];
}

__attribute__((noinline)) long unwa_outer(long n)
{
	long r = unwa_inner(n * 3); /* CALL:unwa_outer */

	return r ^ n;
}
