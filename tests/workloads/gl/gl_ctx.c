/* SPDX-License-Identifier: GPL-2.0-only */
/* Contexts destroyed with live objects, and EGL objects leaked. On the EGL
 * surfaceless display (desktop GL), every iteration (~50 ms):
 *
 *   temp_context()    a context of its own share group: 10 textures 64x32
 *                     RGBA8 made in temp_textures() and never deleted, then
 *                     the context is destroyed (eglDestroyContext), which
 *                     frees them: none of them is live afterwards
 *   leak_pbuffer()    1 EGL pbuffer surface 16x16, leaked
 *
 * and once, at the 3rd iteration:
 *
 *   keep_context()    a context kept current to the end (the one live
 *                     egl.context), with 5 textures of keep_textures() leaked
 *   shared_context()  a context sharing keep_context's objects: 3 textures
 *                     of shared_textures(), then the context is destroyed;
 *                     its textures live on in the share group (keep_context
 *                     still uses it)
 *
 *   gl_ctx [--seconds S | --iterations N] [--hold H]     (glwl.h)
 *
 * Expected while it holds: 8 live textures (keep_textures 5, shared_textures
 * 3), 1 live context, as many live pbuffers as iterations. Prints "ready
 * <pid>" once the display is up, and at exit, on stderr, "leaked textures=8
 * contexts=1 surfaces=N freed_textures=N iterations=N" (freed_textures: made
 * in contexts destroyed since). Exits 0, 1 if EGL or GL fails. */
#define GL_GLEXT_PROTOTYPES
#include <GL/gl.h>
#include "glwl.h"

#define ITER_MS 50
#define TEX_W 64
#define TEX_H 32

static unsigned char pixels[TEX_W * TEX_H * 4];
static EGLDisplay dpy;
static EGLConfig pbuffer_config;
static EGLContext kept = EGL_NO_CONTEXT;
static struct {
	long textures, contexts, surfaces, freed_textures;
} leaked;

static void check(const char *where)
{
	GLenum e = glGetError();

	if (e != GL_NO_ERROR) {
		fprintf(stderr, "gl_ctx: %s: GL error 0x%x\n", where, e);
		exit(1);
	}
}

static void texture(GLuint t)
{
	glBindTexture(GL_TEXTURE_2D, t);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, TEX_W, TEX_H, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	glBindTexture(GL_TEXTURE_2D, 0);
}

__attribute__((noinline)) static void temp_textures(void)
{
	GLuint t[10];

	glGenTextures(10, t); /* LEAK:temp_textures */
	for (int i = 0; i < 10; i++)
		texture(t[i]);
	glFinish();
	check("temp_textures");
}

__attribute__((noinline)) static void temp_context(void)
{
	EGLContext c;

	c = eglCreateContext(dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, NULL); /* LEAK:temp_context */
	if (c == EGL_NO_CONTEXT)
		glwl_die("eglCreateContext");
	glwl_current(dpy, c);
	temp_textures();
	/* not current any more when destroyed: freed at once, with its objects */
	glwl_current(dpy, kept);
	if (!eglDestroyContext(dpy, c))
		glwl_die("eglDestroyContext");
	leaked.freed_textures += 10;
}

__attribute__((noinline)) static void keep_textures(void)
{
	GLuint t[5];

	glGenTextures(5, t); /* LEAK:keep_textures */
	for (int i = 0; i < 5; i++)
		texture(t[i]);
	leaked.textures += 5;
	check("keep_textures");
}

__attribute__((noinline)) static void shared_textures(void)
{
	GLuint t[3];

	glGenTextures(3, t); /* LEAK:shared_textures */
	for (int i = 0; i < 3; i++)
		texture(t[i]);
	glFinish();
	leaked.textures += 3;
	check("shared_textures");
}

__attribute__((noinline)) static void keep_context(void)
{
	EGLContext c;

	c = eglCreateContext(dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, NULL); /* LEAK:keep_context */
	if (c == EGL_NO_CONTEXT)
		glwl_die("eglCreateContext");
	kept = c;
	leaked.contexts++;
	glwl_current(dpy, kept);
	keep_textures();
}

__attribute__((noinline)) static void shared_context(void)
{
	EGLContext c;

	c = eglCreateContext(dpy, EGL_NO_CONFIG_KHR, kept, NULL); /* LEAK:shared_context */
	if (c == EGL_NO_CONTEXT)
		glwl_die("eglCreateContext (shared)");
	glwl_current(dpy, c);
	shared_textures();
	glwl_current(dpy, kept);
	if (!eglDestroyContext(dpy, c))
		glwl_die("eglDestroyContext (shared)");
}

__attribute__((noinline)) static void leak_pbuffer(void)
{
	static const EGLint attrs[] = { EGL_WIDTH, 16, EGL_HEIGHT, 16, EGL_NONE };
	EGLSurface s = eglCreatePbufferSurface(dpy, pbuffer_config, attrs); /* LEAK:leak_pbuffer */

	if (s == EGL_NO_SURFACE)
		glwl_die("eglCreatePbufferSurface");
	leaked.surfaces++;
}

int main(int argc, char **argv)
{
	static const EGLint want[] = {
		EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE,
	};
	struct glwl_opts o;
	EGLint n = 0;
	long i = 0;

	glwl_args(argc, argv, &o);
	glwl_signals();
	dpy = glwl_display(EGL_OPENGL_API);
	if (!eglChooseConfig(dpy, want, &pbuffer_config, 1, &n) || n < 1)
		glwl_die("eglChooseConfig (pbuffer)");
	wl_ready();
	while (glwl_more(&o, i)) {
		temp_context();
		leak_pbuffer();
		if (i == 2) {
			keep_context();
			shared_context();
		}
		i++;
		wl_sleep_ms(ITER_MS);
	}
	glwl_hold(&o);
	fprintf(stderr,
		"leaked textures=%ld contexts=%ld surfaces=%ld freed_textures=%ld "
		"iterations=%ld\n",
		leaked.textures, leaked.contexts, leaked.surfaces, leaked.freed_textures, i);
	return 0;
}
