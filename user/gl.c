// SPDX-License-Identifier: GPL-2.0-only
/* The GL and EGL functions the gl source probes, the texture formats it
 * sizes, and the discovery of the driver's implementations in a process.
 *
 * Why through the dispatch table: however a program reaches glGenTextures
 * (linked against libOpenGL or libGLESv2, or through eglGetProcAddress
 * pointers), glvnd's stubs and then Mesa's libglapi stubs jump through
 * thread-local dispatch tables to one function in the driver, which no
 * symbol names. Mesa's table is where libglapi's _glapi_tls_Dispatch points,
 * in a thread with a current context; the slot of each function is what
 * libglapi's _glapi_get_proc_offset() answers, read from the file's table of
 * names (glapi.c), never by running the target's libglapi. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "elfsym.h"
#include "gl.h"
#include "glapi.h"
#include "procmaps.h"
#include "procmem.h"

#define C(fn, kind, arg) LT_GL_COOKIE(LT_GL_##fn, LT_KIND_##kind, arg)

const struct gl_func gl_funcs[] = {
	{ "glGenTextures", C(GEN, GL_TEXTURE, 0), 2, true },
	{ "glCreateTextures", C(CREATE_TEX, GL_TEXTURE, 0), 3, true },
	{ "glDeleteTextures", C(DELETE, GL_TEXTURE, 0), 2, false },
	{ "glGenBuffers", C(GEN, GL_BUFFER, 0), 2, true },
	{ "glGenBuffersARB", C(GEN, GL_BUFFER, 0), 2, true },
	{ "glCreateBuffers", C(GEN, GL_BUFFER, 0), 2, true },
	{ "glDeleteBuffers", C(DELETE, GL_BUFFER, 0), 2, false },
	{ "glDeleteBuffersARB", C(DELETE, GL_BUFFER, 0), 2, false },
	{ "glGenFramebuffers", C(GEN, GL_FRAMEBUFFER, 0), 2, true },
	{ "glGenFramebuffersEXT", C(GEN, GL_FRAMEBUFFER, 0), 2, true },
	{ "glCreateFramebuffers", C(GEN, GL_FRAMEBUFFER, 0), 2, true },
	{ "glDeleteFramebuffers", C(DELETE, GL_FRAMEBUFFER, 0), 2, false },
	{ "glDeleteFramebuffersEXT", C(DELETE, GL_FRAMEBUFFER, 0), 2, false },
	{ "glGenRenderbuffers", C(GEN, GL_RENDERBUFFER, 0), 2, true },
	{ "glGenRenderbuffersEXT", C(GEN, GL_RENDERBUFFER, 0), 2, true },
	{ "glCreateRenderbuffers", C(GEN, GL_RENDERBUFFER, 0), 2, true },
	{ "glDeleteRenderbuffers", C(DELETE, GL_RENDERBUFFER, 0), 2, false },
	{ "glDeleteRenderbuffersEXT", C(DELETE, GL_RENDERBUFFER, 0), 2, false },
	{ "glGenVertexArrays", C(GEN, GL_VERTEX_ARRAY, 0), 2, true },
	{ "glGenVertexArraysOES", C(GEN, GL_VERTEX_ARRAY, 0), 2, true },
	{ "glCreateVertexArrays", C(GEN, GL_VERTEX_ARRAY, 0), 2, true },
	{ "glDeleteVertexArrays", C(DELETE, GL_VERTEX_ARRAY, 0), 2, false },
	{ "glDeleteVertexArraysOES", C(DELETE, GL_VERTEX_ARRAY, 0), 2, false },
	{ "glCreateShader", C(CREATE_RET, GL_SHADER, 0), 1, true },
	{ "glCreateShaderObjectARB", C(CREATE_RET, GL_SHADER, 0), 1, true },
	{ "glDeleteShader", C(DELETE_ONE, GL_SHADER, 0), 1, false },
	{ "glCreateProgram", C(CREATE_RET, GL_PROGRAM, 0), 0, true },
	{ "glCreateProgramObjectARB", C(CREATE_RET, GL_PROGRAM, 0), 0, true },
	{ "glCreateShaderProgramv", C(CREATE_RET, GL_PROGRAM, 0), 3, true },
	{ "glDeleteProgram", C(DELETE_ONE, GL_PROGRAM, 0), 1, false },
	{ "glBindTexture", C(BIND, GL_TEXTURE, 0), 2, false },
	{ "glBindBuffer", C(BIND, GL_BUFFER, 0), 2, false },
	{ "glBindBufferARB", C(BIND, GL_BUFFER, 0), 2, false },
	{ "glBindRenderbuffer", C(BIND, GL_RENDERBUFFER, 0), 2, false },
	{ "glBindRenderbufferEXT", C(BIND, GL_RENDERBUFFER, 0), 2, false },
	{ "glActiveTexture", C(ACTIVE_TEXTURE, GL_TEXTURE, 0), 1, false },
	{ "glActiveTextureARB", C(ACTIVE_TEXTURE, GL_TEXTURE, 0), 1, false },
	{ "glTexImage2D", C(TEX_IMAGE_2D, GL_TEXTURE, 0), 6, false },
	{ "glTexImage3D", C(TEX_IMAGE_3D, GL_TEXTURE, 0), 6, false },
	{ "glCompressedTexImage2D", C(COMPRESSED_2D, GL_TEXTURE, 0), 6, false },
	{ "glTexStorage2D", C(TEX_STORAGE_2D, GL_TEXTURE, 0), 5, false },
	{ "glTexStorage3D", C(TEX_STORAGE_3D, GL_TEXTURE, 0), 6, false },
	{ "glTextureStorage2D", C(TEXTURE_STORAGE_2D, GL_TEXTURE, 0), 5, false },
	{ "glBufferData", C(BUFFER_DATA, GL_BUFFER, 0), 4, false },
	{ "glBufferDataARB", C(BUFFER_DATA, GL_BUFFER, 0), 4, false },
	{ "glBufferStorage", C(BUFFER_DATA, GL_BUFFER, 0), 4, false },
	{ "glNamedBufferData", C(NAMED_BUFFER_DATA, GL_BUFFER, 0), 4, false },
	{ "glNamedBufferStorage", C(NAMED_BUFFER_DATA, GL_BUFFER, 0), 4, false },
	{ "glRenderbufferStorage", C(RB_STORAGE, GL_RENDERBUFFER, 0), 4, false },
	{ "glRenderbufferStorageEXT", C(RB_STORAGE, GL_RENDERBUFFER, 0), 4, false },
	{ "glRenderbufferStorageMultisample", C(RB_STORAGE_MS, GL_RENDERBUFFER, 0), 5, false },
	{ "glNamedRenderbufferStorage", C(NAMED_RB_STORAGE, GL_RENDERBUFFER, 0), 4, false },
};
const size_t gl_nr_funcs = sizeof(gl_funcs) / sizeof(gl_funcs[0]);

#undef C
#define C(fn, kind, arg) LT_GL_COOKIE(LT_##fn, LT_KIND_##kind, arg)

/* The argument after the kind is where the share (create) or the new
 * current context (make current) is. */
const struct gl_func egl_funcs[] = {
	{ "eglCreateContext", C(EGL_CREATE_CONTEXT, EGL_CONTEXT, 2), 4, true },
	{ "eglDestroyContext", C(EGL_DESTROY_CONTEXT, EGL_CONTEXT, 0), 2, false },
	{ "eglMakeCurrent", C(EGL_MAKE_CURRENT, EGL_CONTEXT, 3), 4, true },
	{ "eglCreateWindowSurface", C(EGL_CREATE_SURFACE, EGL_SURFACE, 0), 4, true },
	{ "eglCreatePbufferSurface", C(EGL_CREATE_SURFACE, EGL_SURFACE, 0), 3, true },
	{ "eglCreatePixmapSurface", C(EGL_CREATE_SURFACE, EGL_SURFACE, 0), 4, true },
	{ "eglCreatePlatformWindowSurface", C(EGL_CREATE_SURFACE, EGL_SURFACE, 0), 4, true },
	{ "eglCreatePlatformPixmapSurface", C(EGL_CREATE_SURFACE, EGL_SURFACE, 0), 4, true },
	{ "eglDestroySurface", C(EGL_DESTROY_SURFACE, EGL_SURFACE, 0), 2, false },
	{ "eglSwapBuffers", C(EGL_SWAP, EGL_SURFACE, 0), 2, false },
	{ "glXCreateContext", C(EGL_CREATE_CONTEXT, EGL_CONTEXT, 2), 4, true },
	{ "glXCreateNewContext", C(EGL_CREATE_CONTEXT, EGL_CONTEXT, 3), 5, true },
	{ "glXCreateContextAttribsARB", C(EGL_CREATE_CONTEXT, EGL_CONTEXT, 2), 5, true },
	{ "glXDestroyContext", C(EGL_DESTROY_CONTEXT, EGL_CONTEXT, 0), 2, false },
	{ "glXMakeCurrent", C(EGL_MAKE_CURRENT, EGL_CONTEXT, 2), 3, true },
	{ "glXMakeContextCurrent", C(EGL_MAKE_CURRENT, EGL_CONTEXT, 3), 4, true },
	{ "glXCreateWindow", C(EGL_CREATE_SURFACE, EGL_SURFACE, 0), 4, true },
	{ "glXCreatePbuffer", C(EGL_CREATE_SURFACE, EGL_SURFACE, 0), 3, true },
	{ "glXDestroyWindow", C(EGL_DESTROY_SURFACE, EGL_SURFACE, 0), 2, false },
	{ "glXDestroyPbuffer", C(EGL_DESTROY_SURFACE, EGL_SURFACE, 0), 2, false },
	{ "glXSwapBuffers", C(EGL_SWAP, EGL_SURFACE, 0), 2, false },
};
const size_t egl_nr_funcs = sizeof(egl_funcs) / sizeof(egl_funcs[0]);

/* Sized internal formats, from the GL and GLES specifications. */
static const struct gl_format sized[] = {
	{ 0x8229, 1 },	/* R8 */
	{ 0x822B, 2 },	/* RG8 */
	{ 0x8051, 3 },	/* RGB8 */
	{ 0x8058, 4 },	/* RGBA8 */
	{ 0x8C41, 3 },	/* SRGB8 */
	{ 0x8C43, 4 },	/* SRGB8_ALPHA8 */
	{ 0x93A1, 4 },	/* BGRA8_EXT */
	{ 0x8056, 2 },	/* RGBA4 */
	{ 0x8057, 2 },	/* RGB5_A1 */
	{ 0x8D62, 2 },	/* RGB565 */
	{ 0x8059, 4 },	/* RGB10_A2 */
	{ 0x822A, 2 },	/* R16 */
	{ 0x822C, 4 },	/* RG16 */
	{ 0x805B, 8 },	/* RGBA16 */
	{ 0x822D, 2 },	/* R16F */
	{ 0x822F, 4 },	/* RG16F */
	{ 0x881B, 6 },	/* RGB16F */
	{ 0x881A, 8 },	/* RGBA16F */
	{ 0x822E, 4 },	/* R32F */
	{ 0x8230, 8 },	/* RG32F */
	{ 0x8815, 12 }, /* RGB32F */
	{ 0x8814, 16 }, /* RGBA32F */
	{ 0x8C3A, 4 },	/* R11F_G11F_B10F */
	{ 0x8C3D, 4 },	/* RGB9_E5 */
	{ 0x8232, 1 },	/* R8UI */
	{ 0x8234, 2 },	/* R16UI */
	{ 0x8236, 4 },	/* R32UI */
	{ 0x8D7C, 4 },	/* RGBA8UI */
	{ 0x8D76, 8 },	/* RGBA16UI */
	{ 0x8D70, 16 }, /* RGBA32UI */
	{ 0x81A5, 2 },	/* DEPTH_COMPONENT16 */
	{ 0x81A6, 4 },	/* DEPTH_COMPONENT24 */
	{ 0x81A7, 4 },	/* DEPTH_COMPONENT32 */
	{ 0x8CAC, 4 },	/* DEPTH_COMPONENT32F */
	{ 0x88F0, 4 },	/* DEPTH24_STENCIL8 */
	{ 0x8CAD, 8 },	/* DEPTH32F_STENCIL8 */
	{ 0x8D48, 1 },	/* STENCIL_INDEX8 */
	{ 0x803C, 1 },	/* ALPHA8 */
	{ 0x8040, 1 },	/* LUMINANCE8 */
	{ 0x8045, 2 },	/* LUMINANCE8_ALPHA8 */
};

/* Unsized formats: components, and component types by size. */
static const struct {
	__u32 format, comps;
} formats[] = {
	{ 0x1903, 1 }, /* RED */
	{ 0x8227, 2 }, /* RG */
	{ 0x1907, 3 }, /* RGB */
	{ 0x80E0, 3 }, /* BGR */
	{ 0x1908, 4 }, /* RGBA */
	{ 0x80E1, 4 }, /* BGRA */
	{ 0x1909, 1 }, /* LUMINANCE */
	{ 0x190A, 2 }, /* LUMINANCE_ALPHA */
	{ 0x1906, 1 }, /* ALPHA */
	{ 0x1902, 1 }, /* DEPTH_COMPONENT */
	{ 0x84F9, 1 }, /* DEPTH_STENCIL, with a packed type */
};

static const struct {
	__u32 type, size;
	bool packed; /* the size is the whole pixel's */
} types[] = {
	{ 0x1400, 1, false }, { 0x1401, 1, false }, /* BYTE, UNSIGNED_BYTE */
	{ 0x1402, 2, false }, { 0x1403, 2, false }, /* SHORT, UNSIGNED_SHORT */
	{ 0x1404, 4, false }, { 0x1405, 4, false }, /* INT, UNSIGNED_INT */
	{ 0x1406, 4, false },			    /* FLOAT */
	{ 0x140B, 2, false }, { 0x8D61, 2, false }, /* HALF_FLOAT, HALF_FLOAT_OES */
	{ 0x8363, 2, true },			    /* UNSIGNED_SHORT_5_6_5 */
	{ 0x8033, 2, true },			    /* UNSIGNED_SHORT_4_4_4_4 */
	{ 0x8034, 2, true },			    /* UNSIGNED_SHORT_5_5_5_1 */
	{ 0x8035, 4, true },			    /* UNSIGNED_INT_8_8_8_8 */
	{ 0x8367, 4, true },			    /* UNSIGNED_INT_8_8_8_8_REV */
	{ 0x8368, 4, true },			    /* UNSIGNED_INT_2_10_10_10_REV */
	{ 0x84FA, 4, true },			    /* UNSIGNED_INT_24_8 */
};

size_t gl_formats(struct gl_format *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(sized) / sizeof(sized[0]) && n < max; i++)
		out[n++] = sized[i];
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]) && n < max; t++)
			out[n++] = (struct gl_format){
				.key = formats[f].format << 16 | types[t].type,
				.bpp = types[t].packed ? types[t].size
						       : types[t].size * formats[f].comps,
			};
	return n;
}

static bool is_gl_library(const char *path)
{
	static const char *const names[] = { "libGL.so", "libEGL.so", "libGLESv2.so",
					     "libGLESv1_CM.so", "libOpenGL.so" };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(base, names[i], strlen(names[i])))
			return true;
	return false;
}

bool gl_in_use(pid_t pid)
{
	struct procmaps *maps = procmaps__read(pid);
	bool used = false;

	for (size_t i = 0; maps && i < maps->nr && !used; i++)
		used = lt_mapping__is_file(&maps->maps[i]) && is_gl_library(maps->maps[i].path);
	procmaps__free(maps);
	return used;
}

/* Mesa's shared dispatch library among @maps, and the mapping of its start. */
static const struct lt_mapping *find_glapi(const struct procmaps *maps)
{
	for (size_t i = 0; i < maps->nr; i++) {
		const struct lt_mapping *m = &maps->maps[i];
		const char *base = strrchr(m->path, '/');

		if (m->offset == 0 && base && !strncmp(base + 1, "libglapi.so", 11))
			return m;
	}
	return NULL;
}

int gl_discover(pid_t pid, __u64 tp, struct gl_impl *out, size_t max)
{
	struct procmaps *maps = procmaps__read(pid);
	const struct lt_mapping *glapi, *m;
	char path[PATH_MAX];
	struct elf_file *elf = NULL;
	struct glapi_index *index = NULL;
	__u64 slot_vaddr, load, table;
	__s64 tpoff;
	int err, n = 0, kept;
	bool *drop = NULL;

	if (!maps) {
		err = -ESRCH;
		goto cleanup;
	}
	glapi = find_glapi(maps);
	if (!glapi) {
		err = -ENOENT;
		goto cleanup;
	}
	lt_mapping__open_path(pid, glapi, path, sizeof(path));
	elf = elf_file__open(path);
	err = elf ? 0 : -errno;
	if (!err && (elf_file__tls_slot(elf, "_glapi_tls_Dispatch", &slot_vaddr) ||
		     elf_file__load_vaddr(elf, &load)))
		err = -ENOENT;
	if (!err)
		err = procmem__read(pid, glapi->start + slot_vaddr - load, &tpoff, sizeof(tpoff));
	if (!err)
		err = procmem__read(pid, tp + tpoff, &table, sizeof(table));
	if (err)
		goto cleanup;
	/* libglapi's own no-op table: the thread has no current context, and
	 * every entry would be left out below, so the names need no reading */
	m = procmaps__find(maps, table);
	if (m && m->inode == glapi->inode)
		goto cleanup;
	index = glapi_index__read(elf);
	if (!index) {
		err = errno == ENOENT ? -ENOTSUP : -errno;
		goto cleanup;
	}

	for (size_t i = 0; i < gl_nr_funcs && (size_t)n < max; i++) {
		int slot = glapi_index__slot(index, gl_funcs[i].name);
		__u64 impl;

		if (slot < 0 || procmem__read(pid, table + 8 * (__u64)slot, &impl, sizeof(impl)))
			continue;
		m = procmaps__find(maps, impl);
		/* no-op entries live in libglapi itself */
		if (!impl || !m || !m->exec || m->inode == glapi->inode)
			continue;
		out[n++] = (struct gl_impl){ .func = &gl_funcs[i], .addr = impl };
	}
	/* One function for several of different meaning is a generic stub
	 * (Mesa's no-op for what the context lacks): not probed. Aliases of one
	 * meaning (glGenFramebuffersEXT) keep one probe. */
	drop = calloc(n ? n : 1, sizeof(*drop));
	if (!drop) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (i != j && out[j].addr == out[i].addr)
				drop[i] |= out[j].func->cookie != out[i].func->cookie || j < i;
	kept = 0;
	for (int i = 0; i < n; i++)
		if (!drop[i])
			out[kept++] = out[i];
	n = kept;
cleanup:
	glapi_index__free(index);
	elf_file__free(elf);
	procmaps__free(maps);
	free(drop);
	return err < 0 ? err : n;
}
