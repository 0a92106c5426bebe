/* SPDX-License-Identifier: GPL-2.0-only */
/* The library dlleak.c opens after leaktrace attached: dl_leak(n) leaks n
 * blocks of DL_LEAK_SIZE bytes from dl_leak_site(), in this library. */
#include <stdlib.h>

#define DL_LEAK_SIZE 128

void *volatile dl_sink;

__attribute__((noinline)) static void dl_leak_site(void)
{
	dl_sink = malloc(DL_LEAK_SIZE); /* LEAK:dl_leak_site */
}

__attribute__((visibility("default"))) long dl_leak(int n)
{
	for (int i = 0; i < n; i++)
		dl_leak_site();
	return (long)n * DL_LEAK_SIZE;
}
