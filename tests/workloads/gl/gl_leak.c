/* SPDX-License-Identifier: GPL-2.0-only */
/* GL objects leaked from known functions, next to objects made and deleted
 * every frame. An EGL surfaceless display and one context (desktop GL, or
 * OpenGL ES 3 when built with -DGL_LEAK_GLES, linked with -lGLESv2 instead
 * of -lOpenGL), GL called directly through the link; or, built with
 * -DGL_LEAK_GPA and linked with -lEGL alone, every GL function called through
 * a pointer from eglGetProcAddress, as toolkits and game engines do. Every
 * frame (~20 ms):
 *
 *   leak_texture()       1 texture, 64x32 RGBA8 (8192 bytes)    leaked
 *   churn_textures()     2 textures 64x32 RGBA8                 deleted
 *   churn_buffers()      2 buffers of 4096 bytes                deleted
 *   churn_shader()       1 vertex shader, compiled              deleted
 * every 5th frame:
 *   leak_buffer()        1 buffer, glBufferData 4096 bytes      leaked
 *   leak_framebuffer()   1 framebuffer (no storage, 0 bytes)    leaked
 *   leak_renderbuffer()  1 renderbuffer RGBA8 16x16 (1024 B)    leaked
 * every 10th frame:
 *   leak_program()       1 program (glCreateProgram)            leaked
 *   leak_vertex_array()  1 vertex array object                  leaked
 *   leak_tex_levels()    1 texture, levels 0 and 1 of 32x32 RGBA8 by
 *                        glTexImage2D (4096 + 1024 = 5120 bytes) leaked
 *   leak_tex_storage()   1 texture, glTexStorage2D 3 levels RGBA8 16x16
 *                        (1024 + 256 + 64 = 1344 bytes)          leaked
 *   leak_tex_3d()        1 texture, glTexImage3D 8x8x4 RGBA8 (1024 B) leaked
 *   leak_tex_compressed() 1 texture, glCompressedTexImage2D ETC2 RGB8
 *                        16x16, imageSize 128                    leaked
 *   leak_tex_respec()    1 texture, level 0 made 64x64 RGBA8, then made
 *                        again 32x32 (as on a window resize): 4096 bytes
 *                                                                leaked
 *   leak_tex_cube()      1 cube map texture, glTexImage2D on each of its six
 *                        faces, 8x8 RGBA8 (6 * 256 = 1536 bytes)  leaked
 *
 *   gl_leak [--seconds S | --iterations N] [--hold H]     (glwl.h)
 *
 * Prints "ready <pid>" once its context is current, and at exit, on stderr,
 * "leaked textures=N buffers=N fbos=N rbs=N programs=N vaos=N tex_levels=N
 * tex_storage=N tex_3d=N tex_compressed=N tex_respec=N tex_cube=N frames=N".
 * Exits 0,
 * 1 if EGL or GL fails. */
#if defined(GL_LEAK_GLES)
#include <GLES3/gl3.h>
#define GL_LEAK_API EGL_OPENGL_ES_API
#define GL_LEAK_ES 1
#elif defined(GL_LEAK_GPA)
/* The core-profile header declares no functions without GL_GLEXT_PROTOTYPES:
 * each one called here is a pointer of its name, filled by gl_load(). */
#include <GL/glcorearb.h>
#define GL_LEAK_API EGL_OPENGL_API
#define GL_LEAK_ES 0
#define GL_LEAK_FUNCS(X)                                                                           \
	X(PFNGLGETERRORPROC, glGetError)                                                           \
	X(PFNGLFINISHPROC, glFinish)                                                               \
	X(PFNGLGENTEXTURESPROC, glGenTextures)                                                     \
	X(PFNGLBINDTEXTUREPROC, glBindTexture)                                                     \
	X(PFNGLTEXIMAGE2DPROC, glTexImage2D)                                                       \
	X(PFNGLTEXIMAGE3DPROC, glTexImage3D)                                                       \
	X(PFNGLTEXSTORAGE2DPROC, glTexStorage2D)                                                   \
	X(PFNGLCOMPRESSEDTEXIMAGE2DPROC, glCompressedTexImage2D)                                   \
	X(PFNGLDELETETEXTURESPROC, glDeleteTextures)                                               \
	X(PFNGLGENBUFFERSPROC, glGenBuffers)                                                       \
	X(PFNGLBINDBUFFERPROC, glBindBuffer)                                                       \
	X(PFNGLBUFFERDATAPROC, glBufferData)                                                       \
	X(PFNGLDELETEBUFFERSPROC, glDeleteBuffers)                                                 \
	X(PFNGLCREATESHADERPROC, glCreateShader)                                                   \
	X(PFNGLSHADERSOURCEPROC, glShaderSource)                                                   \
	X(PFNGLCOMPILESHADERPROC, glCompileShader)                                                 \
	X(PFNGLDELETESHADERPROC, glDeleteShader)                                                   \
	X(PFNGLCREATEPROGRAMPROC, glCreateProgram)                                                 \
	X(PFNGLGENFRAMEBUFFERSPROC, glGenFramebuffers)                                             \
	X(PFNGLBINDFRAMEBUFFERPROC, glBindFramebuffer)                                             \
	X(PFNGLGENRENDERBUFFERSPROC, glGenRenderbuffers)                                           \
	X(PFNGLBINDRENDERBUFFERPROC, glBindRenderbuffer)                                           \
	X(PFNGLRENDERBUFFERSTORAGEPROC, glRenderbufferStorage)                                     \
	X(PFNGLGENVERTEXARRAYSPROC, glGenVertexArrays)                                             \
	X(PFNGLBINDVERTEXARRAYPROC, glBindVertexArray)
#define GL_LEAK_DECLARE(type, name) static type name;
GL_LEAK_FUNCS(GL_LEAK_DECLARE)
#else
#define GL_GLEXT_PROTOTYPES
#include <GL/gl.h>
#include <GL/glext.h>
#define GL_LEAK_API EGL_OPENGL_API
#define GL_LEAK_ES 0
#endif
#include "glwl.h"

#define FRAME_MS 20
#define TEX_W 64
#define TEX_H 32

static const char *const vs_src = "void main() { gl_Position = vec4(0.0); }\n";
static const char *const vs_src_es = "#version 300 es\nvoid main() { gl_Position = vec4(0.0); }\n";
static unsigned char pixels[64 * 64 * 4];

static struct {
	long textures, buffers, fbos, rbs, programs, vaos;
	long tex_levels, tex_storage, tex_3d, tex_compressed, tex_respec, tex_cube;
} leaked;

/* Fills the function pointers (GL_LEAK_GPA) once a context is current. */
static void gl_load(void)
{
#ifdef GL_LEAK_GPA
#define GL_LEAK_LOAD(type, name)                                                                   \
	name = (type)eglGetProcAddress(#name);                                                     \
	if (!name) {                                                                               \
		fprintf(stderr, "gl_leak: eglGetProcAddress(%s) failed\n", #name);                 \
		exit(1);                                                                           \
	}
	GL_LEAK_FUNCS(GL_LEAK_LOAD)
#endif
}

static void check(const char *where)
{
	GLenum e = glGetError();

	if (e != GL_NO_ERROR) {
		fprintf(stderr, "gl_leak: %s: GL error 0x%x\n", where, e);
		exit(1);
	}
}

__attribute__((noinline)) static void leak_texture(void)
{
	GLuint t;

	glGenTextures(1, &t); /* LEAK:leak_texture */
	glBindTexture(GL_TEXTURE_2D, t);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, TEX_W, TEX_H, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	leaked.textures++;
}

__attribute__((noinline)) static void churn_textures(void)
{
	GLuint t[2];

	glGenTextures(2, t); /* LEAK:churn_textures */
	for (int i = 0; i < 2; i++) {
		glBindTexture(GL_TEXTURE_2D, t[i]);
		glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, TEX_W, TEX_H, 0, GL_RGBA, GL_UNSIGNED_BYTE,
			     pixels);
	}
	glBindTexture(GL_TEXTURE_2D, 0);
	glDeleteTextures(2, t);
}

__attribute__((noinline)) static void churn_buffers(void)
{
	GLuint b[2];

	glGenBuffers(2, b); /* LEAK:churn_buffers */
	for (int i = 0; i < 2; i++) {
		glBindBuffer(GL_ARRAY_BUFFER, b[i]);
		glBufferData(GL_ARRAY_BUFFER, 4096, pixels, GL_STATIC_DRAW);
	}
	glBindBuffer(GL_ARRAY_BUFFER, 0);
	glDeleteBuffers(2, b);
}

__attribute__((noinline)) static void churn_shader(void)
{
	GLuint s = glCreateShader(GL_VERTEX_SHADER); /* LEAK:churn_shader */

	glShaderSource(s, 1, GL_LEAK_ES ? &vs_src_es : &vs_src, NULL);
	glCompileShader(s);
	glDeleteShader(s);
}

__attribute__((noinline)) static void leak_buffer(void)
{
	GLuint b;

	glGenBuffers(1, &b); /* LEAK:leak_buffer */
	glBindBuffer(GL_ARRAY_BUFFER, b);
	glBufferData(GL_ARRAY_BUFFER, 4096, NULL, GL_DYNAMIC_DRAW);
	glBindBuffer(GL_ARRAY_BUFFER, 0);
	leaked.buffers++;
}

__attribute__((noinline)) static void leak_framebuffer(void)
{
	GLuint f;

	glGenFramebuffers(1, &f); /* LEAK:leak_framebuffer */
	glBindFramebuffer(GL_FRAMEBUFFER, f);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	leaked.fbos++;
}

__attribute__((noinline)) static void leak_renderbuffer(void)
{
	GLuint r;

	glGenRenderbuffers(1, &r); /* LEAK:leak_renderbuffer */
	glBindRenderbuffer(GL_RENDERBUFFER, r);
	glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, 16, 16);
	glBindRenderbuffer(GL_RENDERBUFFER, 0);
	leaked.rbs++;
}

__attribute__((noinline)) static void leak_program(void)
{
	GLuint p = glCreateProgram(); /* LEAK:leak_program */

	if (p)
		leaked.programs++;
}

__attribute__((noinline)) static void leak_vertex_array(void)
{
	GLuint v;

	glGenVertexArrays(1, &v); /* LEAK:leak_vertex_array */
	glBindVertexArray(v);
	glBindVertexArray(0);
	leaked.vaos++;
}

__attribute__((noinline)) static void leak_tex_levels(void)
{
	GLuint t;

	glGenTextures(1, &t); /* LEAK:leak_tex_levels */
	glBindTexture(GL_TEXTURE_2D, t);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 32, 32, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	glTexImage2D(GL_TEXTURE_2D, 1, GL_RGBA8, 16, 16, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	leaked.tex_levels++;
}

__attribute__((noinline)) static void leak_tex_storage(void)
{
	GLuint t;

	glGenTextures(1, &t); /* LEAK:leak_tex_storage */
	glBindTexture(GL_TEXTURE_2D, t);
	glTexStorage2D(GL_TEXTURE_2D, 3, GL_RGBA8, 16, 16);
	leaked.tex_storage++;
}

__attribute__((noinline)) static void leak_tex_3d(void)
{
	GLuint t;

	glGenTextures(1, &t); /* LEAK:leak_tex_3d */
	glBindTexture(GL_TEXTURE_3D, t);
	glTexImage3D(GL_TEXTURE_3D, 0, GL_RGBA8, 8, 8, 4, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	glBindTexture(GL_TEXTURE_3D, 0);
	leaked.tex_3d++;
}

__attribute__((noinline)) static void leak_tex_compressed(void)
{
	GLuint t;

	glGenTextures(1, &t); /* LEAK:leak_tex_compressed */
	glBindTexture(GL_TEXTURE_2D, t);
	/* ETC2 RGB8: 8 bytes per 4x4 block, 4x4 blocks; the bytes do not matter */
	glCompressedTexImage2D(GL_TEXTURE_2D, 0, GL_COMPRESSED_RGB8_ETC2, 16, 16, 0, 128, pixels);
	leaked.tex_compressed++;
}

__attribute__((noinline)) static void leak_tex_respec(void)
{
	GLuint t;

	glGenTextures(1, &t); /* LEAK:leak_tex_respec */
	glBindTexture(GL_TEXTURE_2D, t);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 64, 64, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, 32, 32, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	leaked.tex_respec++;
}

__attribute__((noinline)) static void leak_tex_cube(void)
{
	GLuint t;

	glGenTextures(1, &t); /* LEAK:leak_tex_cube */
	glBindTexture(GL_TEXTURE_CUBE_MAP, t);
	for (GLenum f = 0; f < 6; f++)
		glTexImage2D(GL_TEXTURE_CUBE_MAP_POSITIVE_X + f, 0, GL_RGBA8, 8, 8, 0, GL_RGBA,
			     GL_UNSIGNED_BYTE, pixels);
	glBindTexture(GL_TEXTURE_CUBE_MAP, 0);
	leaked.tex_cube++;
}

static void frame(long n)
{
	leak_texture();
	churn_textures();
	churn_buffers();
	churn_shader();
	if (n % 5 == 0) {
		leak_buffer();
		leak_framebuffer();
		leak_renderbuffer();
	}
	if (n % 10 == 0) {
		leak_program();
		leak_vertex_array();
		leak_tex_levels();
		leak_tex_storage();
		leak_tex_3d();
		leak_tex_compressed();
		leak_tex_respec();
		leak_tex_cube();
	}
	glBindTexture(GL_TEXTURE_2D, 0);
	glFinish();
	check("frame");
}

int main(int argc, char **argv)
{
	struct glwl_opts o;
	EGLDisplay d;
	long n = 0;

	glwl_args(argc, argv, &o);
	glwl_signals();
	for (size_t i = 0; i < sizeof(pixels); i++)
		pixels[i] = (unsigned char)i;
	d = glwl_display(GL_LEAK_API);
	glwl_current(d, glwl_context(d, EGL_NO_CONTEXT, GL_LEAK_ES));
	gl_load();
	check("context");
	wl_ready();
	while (glwl_more(&o, n)) {
		frame(n++);
		wl_sleep_ms(FRAME_MS);
	}
	glwl_hold(&o);
	fprintf(stderr,
		"leaked textures=%ld buffers=%ld fbos=%ld rbs=%ld programs=%ld vaos=%ld "
		"tex_levels=%ld tex_storage=%ld tex_3d=%ld tex_compressed=%ld tex_respec=%ld "
		"tex_cube=%ld frames=%ld\n",
		leaked.textures, leaked.buffers, leaked.fbos, leaked.rbs, leaked.programs,
		leaked.vaos, leaked.tex_levels, leaked.tex_storage, leaked.tex_3d,
		leaked.tex_compressed, leaked.tex_respec, leaked.tex_cube, n);
	return 0;
}
