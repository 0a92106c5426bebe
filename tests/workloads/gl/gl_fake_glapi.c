/* SPDX-License-Identifier: GPL-2.0-only */
/* Maps a libglapi.so.0 of its own (fake_glapi.c, from a directory its
 * unprivileged user owns) and the system's libEGL, then sleeps: a tracer
 * that switches the gl source on for it looks for Mesa's dispatch in that
 * libglapi, and must read it as data, never load it.
 *
 *   gl_fake_glapi PATH_TO_LIBGLAPI    until SIGTERM/SIGINT
 *
 * Prints "ready <pid>" once both are mapped; exits 0, or 1 if one cannot be
 * loaded. */
#include <dlfcn.h>
#include "../wl.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH_TO_LIBGLAPI\n", argv[0]);
		return 2;
	}
	wl_signals();
	if (!dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) || !dlopen("libEGL.so.1", RTLD_NOW)) {
		fprintf(stderr, "gl_fake_glapi: %s\n", dlerror());
		return 1;
	}
	wl_ready();
	while (!wl_stop)
		wl_sleep_ms(50);
	return 0;
}
