/* SPDX-License-Identifier: GPL-2.0-only */
/* A leak in code that is not mapped yet when leaktrace attaches. Prints
 * "ready <pid>", idles until DLOPEN_DELAY_MS have passed (argv[1], else
 * $DLOPEN_DELAY_MS, else 1500) or SIGUSR1 arrives (tests send it once
 * leaktrace wrote its start record), then dlopens libdlleak.so from the
 * directory of this executable and calls dl_leak(4) every 10 ms (4 x 128
 * bytes leaked from dl_leak_site in libdlleak.c) until SIGTERM/SIGINT.
 *
 *   dlleak [DLOPEN_DELAY_MS]
 *
 * Exits 0 on SIGTERM/SIGINT, 1 if the library cannot be loaded. */
#include <dlfcn.h>
#include <limits.h>
#include "wl.h"

#define PER_CALL 4
#define PERIOD_MS 10

int main(int argc, char **argv)
{
	long delay_ms = wl_ms(argc, argv, 1, "DLOPEN_DELAY_MS", 1500);
	char path[PATH_MAX];
	ssize_t n;
	char *slash;
	long (*dl_leak)(int);
	void *lib;

	wl_signals();
	n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	if (n <= 0)
		return 1;
	path[n] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "libdlleak.so");
	wl_ready();
	wl_wait_kick(delay_ms);
	if (wl_stop)
		return 0;
	lib = dlopen(path, RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "dlleak: %s\n", dlerror());
		return 1;
	}
	dl_leak = (long (*)(int))dlsym(lib, "dl_leak");
	if (!dl_leak)
		return 1;
	while (!wl_stop) {
		dl_leak(PER_CALL);
		wl_sleep_ms(PERIOD_MS);
	}
	return 0;
}
