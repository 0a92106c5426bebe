# SPDX-License-Identifier: GPL-2.0-only
# The GL workloads (included by ../Makefile, paths relative to it). EGL on
# Mesa's surfaceless platform: headers from libegl-dev, libgl-dev,
# libgles-dev and libopengl-dev, rendering by llvmpipe (libegl-mesa0,
# libgl1-mesa-dri). gl_leak_gles is gl_leak.c on OpenGL ES 3 (same source,
# same markers); gl_leak_gpa is gl_leak.c again, linked with libEGL alone,
# taking every GL function from eglGetProcAddress. kivy_leak.py runs from the source tree.
# gl_fake_glapi maps libfake_glapi.so (renamed libglapi.so.0 by the test) and
# libEGL: a tracer must never run the code of a libglapi that a target names.

GL_PROGS := gl_leak gl_leak_gles gl_leak_gpa gl_ctx gl_fake_glapi
GL_BINS := $(addprefix $(OUT)/,$(GL_PROGS) libfake_glapi.so)
GL_DEPS := gl/glwl.h wl.h

all: $(GL_BINS)

$(OUT)/gl_leak: gl/gl_leak.c $(GL_DEPS) | $(OUT)
	@printf '  %-8s %s\n' CC $@
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@ -lEGL -lOpenGL

$(OUT)/gl_leak_gles: gl/gl_leak.c $(GL_DEPS) | $(OUT)
	@printf '  %-8s %s\n' CC $@
	$(Q)$(CC) $(WL_CFLAGS) -DGL_LEAK_GLES $< -o $@ -lEGL -lGLESv2

$(OUT)/gl_leak_gpa: gl/gl_leak.c $(GL_DEPS) | $(OUT)
	@printf '  %-8s %s\n' CC $@
	$(Q)$(CC) $(WL_CFLAGS) -DGL_LEAK_GPA $< -o $@ -lEGL

$(OUT)/gl_ctx: gl/gl_ctx.c $(GL_DEPS) | $(OUT)
	@printf '  %-8s %s\n' CC $@
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@ -lEGL -lOpenGL

$(OUT)/gl_fake_glapi: gl/gl_fake_glapi.c wl.h | $(OUT)
	@printf '  %-8s %s\n' CC $@
	$(Q)$(CC) $(WL_CFLAGS) $< -o $@ -ldl

$(OUT)/libfake_glapi.so: gl/fake_glapi.c | $(OUT)
	@printf '  %-8s %s\n' CC $@
	$(Q)$(CC) $(WL_CFLAGS) -shared -fPIC -Wl,-soname,libglapi.so.0 $< -o $@
