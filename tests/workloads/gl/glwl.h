/* SPDX-License-Identifier: GPL-2.0-only */
/* What the GL workloads share, on top of ../wl.h: their options, an EGL
 * display on Mesa's surfaceless platform (no window system, no GPU needed:
 * llvmpipe renders), and contexts made current without a surface.
 *
 *   WORKLOAD [--seconds S] [--hold H] [--iterations N]
 *
 * --seconds / --iterations: how long the main loop runs (default: until
 * SIGUSR2, SIGTERM or SIGINT). --hold: then H seconds more, leaking nothing,
 * before the counts go out on stderr and the program exits: a tracer's last
 * report before the exit sees the leaks with nothing in flight. SIGUSR2
 * ends the loop as --seconds running out would, and "holding" on stdout
 * says the hold has begun; SIGTERM and SIGINT end the loop and the hold (as
 * py/wl.py: a test lets the loop run until the reports show enough). The
 * workloads never destroy their context or terminate the display at exit
 * (the driver would free the leaks with them): the process just exits. */
#ifndef GLWL_H
#define GLWL_H

#define EGL_EGLEXT_PROTOTYPES
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include "../wl.h"

struct glwl_opts {
	struct wl_loop loop;
	double hold;
};

static volatile sig_atomic_t glwl_enough; /* set by SIGUSR2: end the main loop */

static void glwl_on_enough(int sig)
{
	(void)sig;
	glwl_enough = 1;
}

/* wl_signals(), and SIGUSR2 for glwl_enough. */
static inline void glwl_signals(void)
{
	struct sigaction sa;

	wl_signals();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = glwl_on_enough;
	sigaction(SIGUSR2, &sa, NULL);
}

/* Whether the main loop goes on after @done iterations. */
static inline int glwl_more(struct glwl_opts *o, long done)
{
	return !glwl_enough && wl_loop_more(&o->loop, done);
}

static inline void glwl_usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--seconds S | --iterations N] [--hold H]\n", argv0);
	exit(2);
}

static inline void glwl_args(int argc, char **argv, struct glwl_opts *o)
{
	o->loop.iterations = -1;
	o->loop.end = 0;
	o->hold = 0;
	if (argc % 2 == 0)
		glwl_usage(argv[0]);
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--iterations"))
			o->loop.iterations = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			o->loop.end = wl_now() + atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--hold"))
			o->hold = atof(argv[i + 1]);
		else
			glwl_usage(argv[0]);
	}
}

/* Says "holding T" (T: the wall clock, seconds since the epoch), then
 * sleeps the --hold time, unless SIGTERM or SIGINT ended the loop or ends
 * the hold. */
static inline void glwl_hold(const struct glwl_opts *o)
{
	double end = wl_now() + o->hold;
	struct timespec ts;
	char line[64];
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(line, sizeof(line), "holding %lld.%03ld\n", (long long)ts.tv_sec,
		     ts.tv_nsec / 1000000);
	wl_write(STDOUT_FILENO, line, n);
	while (!wl_stop && wl_now() < end)
		wl_sleep_ms(20);
}

static inline void glwl_die(const char *what)
{
	fprintf(stderr, "%s failed: EGL error 0x%x\n", what, eglGetError());
	exit(1);
}

/* The surfaceless display, initialized; @api is EGL_OPENGL_API or EGL_OPENGL_ES_API. */
__attribute__((noinline, unused)) static EGLDisplay glwl_display(EGLenum api)
{
	EGLDisplay d = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY,
					     NULL);
	EGLint major, minor;

	if (d == EGL_NO_DISPLAY || !eglInitialize(d, &major, &minor))
		glwl_die("eglInitialize (surfaceless)");
	if (!eglBindAPI(api))
		glwl_die("eglBindAPI");
	return d;
}

/* A context without config (EGL_KHR_no_config_context); ES 3 when @es. */
__attribute__((noinline, unused)) static EGLContext glwl_context(EGLDisplay d, EGLContext share,
								 int es)
{
	static const EGLint es3[] = { EGL_CONTEXT_CLIENT_VERSION, 3, EGL_NONE };
	const EGLint *attrs = es ? es3 : NULL;
	EGLContext c;

	c = eglCreateContext(d, EGL_NO_CONFIG_KHR, share, attrs); /* LEAK:glwl_context */

	if (c == EGL_NO_CONTEXT)
		glwl_die("eglCreateContext");
	return c;
}

static inline void glwl_current(EGLDisplay d, EGLContext c)
{
	if (!eglMakeCurrent(d, EGL_NO_SURFACE, EGL_NO_SURFACE, c))
		glwl_die("eglMakeCurrent");
}

#endif /* GLWL_H */
