// SPDX-License-Identifier: GPL-2.0-only
/* Messages and verbosity, and the libbpf print hook. */
#include <stdio.h>
#include <string.h>
#include "escape.h"
#include "log.h"

static int verbosity;
static char *capture;
static size_t capture_len;

void lt_log_capture(char *buf, size_t len)
{
	capture = buf;
	capture_len = len;
	if (buf && len)
		buf[0] = 0;
}

void lt_log_set_verbosity(int v)
{
	verbosity = v;
}

int lt_log_verbosity(void)
{
	return verbosity;
}

static void vlog(int min_verbosity, const char *prefix, const char *fmt, va_list args)
{
	char msg[1024], esc[2048];
	size_t len;

	if (verbosity < min_verbosity)
		return;
	if (capture && min_verbosity == 0) {
		vsnprintf(capture, capture_len, fmt, args);
		capture[strcspn(capture, "\n")] = 0;
		return;
	}
	/* Messages name what a traced process controls (paths it maps, its
	 * name): one line, escaped. */
	vsnprintf(msg, sizeof(msg), fmt, args);
	len = strlen(msg);
	if (len && msg[len - 1] == '\n')
		msg[len - 1] = 0;
	fprintf(stderr, "leaktrace: %s%s\n", prefix, lt_escape_term(esc, sizeof(esc), msg));
}

#define LOG_FN(name, min, prefix)                                                                  \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list args;                                                                      \
		va_start(args, fmt);                                                               \
		vlog(min, prefix, fmt, args);                                                      \
		va_end(args);                                                                      \
	}

LOG_FN(lt_error, 0, "")
LOG_FN(lt_warn, 0, "warning: ")
LOG_FN(lt_info, 1, "")
LOG_FN(lt_debug, 2, "debug: ")

int lt_log_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	int min = level == LIBBPF_DEBUG ? 2 : 1;

	if (verbosity < min)
		return 0;
	/* libbpf's messages carry their own "libbpf: " prefix. */
	return vfprintf(stderr, fmt, args);
}
