/* SPDX-License-Identifier: GPL-2.0-only */
/* Messages on stderr: one line each, "leaktrace: " first. Errors and warnings
 * always show; info with -v, debug (libbpf's included) with -vv. */
#ifndef LT_LOG_H
#define LT_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <bpf/libbpf.h>

void lt_log_set_verbosity(int verbosity);
int lt_log_verbosity(void);

void lt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lt_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* While @buf is not NULL, errors and warnings go to @buf (the last one, its
 * "leaktrace: " left out) instead of stderr: --check reports them in its
 * own lines. */
void lt_log_capture(char *buf, size_t len);

/* The libbpf print hook: its warnings show with -v, its debug lines with -vv. */
int lt_log_libbpf(enum libbpf_print_level level, const char *fmt, va_list args);

#endif
