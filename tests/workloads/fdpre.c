/* SPDX-License-Identifier: GPL-2.0-only */
/* Closes that leaktrace never saw opened. Before the ready line it opens 64
 * descriptors; then it waits ATTACH_WAIT_MS (argv[1], else $ATTACH_WAIT_MS,
 * else 1500) or until SIGUSR1 (tests send it once leaktrace wrote its start
 * record), closes them all (half with close(), half with one close_range()),
 * opens 5 from fd_after_site(), holds HOLD_MS (argv[2], else $HOLD_MS, else
 * 1500) and exits 0. Under `leaktrace -p --sources fd`: no total may go
 * negative, and the fd_after_site stack holds exactly 5.
 *
 *   fdpre [ATTACH_WAIT_MS [HOLD_MS]] */
#include <fcntl.h>
#include <sys/syscall.h>
#include "wl.h"

#define PRE_FDS 64
#define AFTER_FDS 5

static int pre[PRE_FDS];

__attribute__((noinline)) static void fd_pre_site(void)
{
	for (int i = 0; i < PRE_FDS; i++)
		pre[i] = open("/dev/null", O_RDONLY); /* LEAK:fd_pre_site */
}

__attribute__((noinline)) static void fd_after_site(void)
{
	for (int i = 0; i < AFTER_FDS; i++)
		if (open("/dev/null", O_RDONLY) < 0) /* LEAK:fd_after_site */
			exit(1);
}

int main(int argc, char **argv)
{
	long wait_ms = wl_ms(argc, argv, 1, "ATTACH_WAIT_MS", 1500);
	long hold_ms = wl_ms(argc, argv, 2, "HOLD_MS", 1500);

	wl_signals();
	fd_pre_site();
	for (int i = 0; i < PRE_FDS; i++)
		if (pre[i] < 0)
			return 1;
	wl_ready();
	wl_wait_kick(wait_ms);
	for (int i = 0; i < PRE_FDS / 2; i++)
		close(pre[i]);
	/* the rest are the highest numbers open: one call closes them */
	syscall(SYS_close_range, pre[PRE_FDS / 2], ~0U, 0);
	fd_after_site();
	wl_sleep_ms(hold_ms);
	return 0;
}
