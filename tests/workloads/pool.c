/* SPDX-License-Identifier: GPL-2.0-only */
/* Frees that leaktrace never saw allocated. Before the ready line it allocates
 * a pool of 2000 blocks of 1 KiB; then it waits ATTACH_WAIT_MS (argv[1], else
 * $ATTACH_WAIT_MS, else 1500) or until SIGUSR1 (tests send it once leaktrace
 * wrote its start record), frees the whole pool, leaks 50 blocks of 300 bytes
 * from pool_leak_site(), holds HOLD_MS (argv[2], else $HOLD_MS, else 1500)
 * and exits 0. Under `leaktrace -p`: no total may go negative, and the
 * pool_leak_site stack holds exactly 15000 bytes in 50 blocks.
 *
 *   pool [ATTACH_WAIT_MS [HOLD_MS]] */
#include "wl.h"

#define POOL_BLOCKS 2000
#define POOL_BLOCK_SIZE 1024
#define LEAK_BLOCKS 50
#define LEAK_SIZE 300

static void *pool[POOL_BLOCKS];
static void *leaks[LEAK_BLOCKS];
static void *volatile sink;

__attribute__((noinline)) static void pool_fill(void)
{
	for (int i = 0; i < POOL_BLOCKS; i++) {
		sink = malloc(POOL_BLOCK_SIZE); /* LEAK:pool_fill */
		pool[i] = sink;
	}
}

__attribute__((noinline)) static void pool_free(void)
{
	for (int i = 0; i < POOL_BLOCKS; i++)
		free(pool[i]);
}

__attribute__((noinline)) static void pool_leak_site(int i)
{
	sink = malloc(LEAK_SIZE); /* LEAK:pool_leak_site */
	leaks[i] = sink;
}

int main(int argc, char **argv)
{
	long wait_ms = wl_ms(argc, argv, 1, "ATTACH_WAIT_MS", 1500);
	long hold_ms = wl_ms(argc, argv, 2, "HOLD_MS", 1500);

	wl_signals();
	pool_fill();
	wl_ready();
	wl_wait_kick(wait_ms);
	pool_free();
	for (int i = 0; i < LEAK_BLOCKS; i++)
		pool_leak_site(i);
	wl_sleep_ms(hold_ms);
	return 0;
}
