/* SPDX-License-Identifier: GPL-2.0-only */
/* A hostile libglapi.so.0 for gl_fake_glapi: it looks like Mesa's enough for
 * a tracer to take it for the dispatch library (it exports
 * _glapi_tls_Dispatch as an initial-exec TLS variable, reached through a
 * TPOFF relocation, and _glapi_get_proc_offset), and its constructor leaves
 * a file named ran-as-root next to itself when it runs with euid 0. It runs
 * in the unprivileged program that maps it too, where it does nothing: only
 * a tracer that loads it (dlopen, as root) would make the file. */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

__thread const void *_glapi_tls_Dispatch __attribute__((tls_model("initial-exec")));

/* Referenced, so the TLS slot the tracer looks for is in .rela.dyn. */
const void *_glapi_get_dispatch(void)
{
	return _glapi_tls_Dispatch;
}

int _glapi_get_proc_offset(const char *name)
{
	(void)name;
	return -1;
}

__attribute__((constructor)) static void fake_glapi_init(void)
{
	char path[PATH_MAX];
	const char *slash;
	Dl_info info;
	int fd;

	if (geteuid() != 0 || !dladdr((void *)fake_glapi_init, &info) || !info.dli_fname)
		return;
	slash = strrchr(info.dli_fname, '/');
	if (!slash)
		return;
	snprintf(path, sizeof(path), "%.*s/ran-as-root", (int)(slash - info.dli_fname),
		 info.dli_fname);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}
