/* SPDX-License-Identifier: GPL-2.0-only */
/* What the gl source probes, and where: the GL functions that make, delete,
 * bind and size objects, found in the driver through the dispatch table of a
 * thread with a current context; the EGL and GLX functions that make and
 * destroy contexts and surfaces, at their exported entry points; and the
 * bytes a pixel of each texture format. */
#ifndef LT_GL_H
#define LT_GL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include "leaktrace.h"

struct gl_func {
	const char *name;
	__u64 cookie;	      /* LT_GL_COOKIE(fn, kind, arg) */
	unsigned int nr_args; /* in registers, left intact where the probe sits */
	bool ret;	      /* also gets the return probe */
};

extern const struct gl_func gl_funcs[]; /* in the driver, found through dispatch */
extern const size_t gl_nr_funcs;
extern const struct gl_func egl_funcs[]; /* exported by libEGL, libGLX, libGL */
extern const size_t egl_nr_funcs;

/* (key, bytes a pixel) for the BPF side's glformats map: sized internal
 * formats by value, unsized ones by (format << 16 | type). */
struct gl_format {
	__u32 key;
	__u32 bpp;
};

/* Fills @out (room for @max) and returns how many there are. */
size_t gl_formats(struct gl_format *out, size_t max);

/* Whether process @pid maps a GL, GLES or EGL library. */
bool gl_in_use(pid_t pid);

struct gl_impl {
	const struct gl_func *func;
	__u64 addr; /* runtime address in the process */
};

/* Finds the driver functions implementing gl_funcs in @pid, through the
 * current dispatch table of its thread whose thread pointer (fs base) is
 * @tp: Mesa's, reached through libglapi's _glapi_tls_Dispatch; the slot of
 * each function comes from the table of names in libglapi's file, which is
 * read, never loaded. Writes up to @max to @out and returns how many (0 when
 * the thread has no current context), or a negative errno (-ENOENT: the
 * process has no Mesa dispatch, -ENOTSUP: its libglapi has no table of
 * names that leaktrace can read). A slot that several different functions
 * share (a no-op) is left out. */
int gl_discover(pid_t pid, __u64 tp, struct gl_impl *out, size_t max);

#endif
