/* SPDX-License-Identifier: GPL-2.0-only */
/* A headless GL frame loop, for what tracing GL costs an application that
 * draws. EGL on Mesa's surfaceless platform (llvmpipe where there is no
 * GPU), a desktop GL context rendering into a 256x256 framebuffer object.
 * Every frame:
 *
 *   - clears, draws TRIANGLES triangles from a vertex buffer with a flat
 *     color shader, and QUADS textured quads (one draw call each) with a
 *     texture shader;
 *   - makes a 64x64 RGBA texture, uploads it, draws a quad with it, and
 *     deletes it (a create/delete pair per frame: the GL probes' hot path);
 *   - glFinish() (so a frame's time is its rendering, not a queue).
 *
 *   glbench [FRAMES [TRIANGLES [QUADS]]]   defaults 3000, 300, 16
 *                                          ($GB_FRAMES, $GB_TRIANGLES, $GB_QUADS)
 *
 * Prints "fps=F frames=N seconds=S triangles=T quads=Q textures=N" on stderr
 * at exit (textures: made and deleted, one per frame). Exits 0, 1 if EGL or
 * GL fails. Nothing leaks. */
#define EGL_EGLEXT_PROTOTYPES
#define GL_GLEXT_PROTOTYPES
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/gl.h>
#include <GL/glext.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define FB_SIZE 256
#define TEX_SIZE 64

static const char *const color_vs =
	"#version 330 core\n"
	"layout(location = 0) in vec2 pos;\n"
	"uniform float angle;\n"
	"void main() {\n"
	"  float c = cos(angle), s = sin(angle);\n"
	"  gl_Position = vec4(c * pos.x - s * pos.y, s * pos.x + c * pos.y, 0, 1);\n"
	"}\n";
static const char *const color_fs = "#version 330 core\n"
				    "out vec4 color;\n"
				    "void main() { color = vec4(0.2, 0.6, 0.9, 1.0); }\n";
static const char *const tex_vs = "#version 330 core\n"
				  "layout(location = 0) in vec2 pos;\n"
				  "uniform vec2 offset;\n"
				  "out vec2 uv;\n"
				  "void main() {\n"
				  "  uv = pos * 0.5 + 0.5;\n"
				  "  gl_Position = vec4(pos * 0.1 + offset, 0, 1);\n"
				  "}\n";
static const char *const tex_fs = "#version 330 core\n"
				  "in vec2 uv;\n"
				  "uniform sampler2D tex;\n"
				  "out vec4 color;\n"
				  "void main() { color = texture(tex, uv); }\n";

static void die(const char *what)
{
	fprintf(stderr, "glbench: %s failed (EGL 0x%x, GL 0x%x)\n", what, eglGetError(),
		glGetError());
	exit(1);
}

static unsigned long arg(int argc, char **argv, int i, const char *env, unsigned long def)
{
	const char *s = argc > i ? argv[i] : getenv(env);

	return s && *s ? strtoul(s, NULL, 10) : def;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static GLuint shader(GLenum type, const char *src)
{
	GLuint s = glCreateShader(type);
	GLint ok = 0;
	char log[512];

	glShaderSource(s, 1, &src, NULL);
	glCompileShader(s);
	glGetShaderiv(s, GL_COMPILE_STATUS, &ok);
	if (!ok) {
		glGetShaderInfoLog(s, sizeof(log), NULL, log);
		fprintf(stderr, "glbench: shader: %s\n", log);
		exit(1);
	}
	return s;
}

static GLuint program(const char *vs, const char *fs)
{
	GLuint p = glCreateProgram(), v = shader(GL_VERTEX_SHADER, vs),
	       f = shader(GL_FRAGMENT_SHADER, fs);
	GLint ok = 0;

	glAttachShader(p, v);
	glAttachShader(p, f);
	glLinkProgram(p);
	glGetProgramiv(p, GL_LINK_STATUS, &ok);
	if (!ok)
		die("glLinkProgram");
	glDetachShader(p, v);
	glDetachShader(p, f);
	glDeleteShader(v);
	glDeleteShader(f);
	return p;
}

static void context(void)
{
	EGLDisplay d = eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY,
					     NULL);
	EGLint major, minor;
	EGLContext c;

	if (d == EGL_NO_DISPLAY || !eglInitialize(d, &major, &minor))
		die("eglInitialize (surfaceless)");
	if (!eglBindAPI(EGL_OPENGL_API))
		die("eglBindAPI");
	c = eglCreateContext(d, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, NULL);
	if (c == EGL_NO_CONTEXT)
		die("eglCreateContext");
	if (!eglMakeCurrent(d, EGL_NO_SURFACE, EGL_NO_SURFACE, c))
		die("eglMakeCurrent");
}

int main(int argc, char **argv)
{
	unsigned long frames = arg(argc, argv, 1, "GB_FRAMES", 3000);
	unsigned long ntri = arg(argc, argv, 2, "GB_TRIANGLES", 300);
	unsigned long nquads = arg(argc, argv, 3, "GB_QUADS", 16);
	static const float quad[] = { -1, -1, 1, -1, -1, 1, 1, 1 };
	static unsigned char pixels[TEX_SIZE * TEX_SIZE * 4];
	GLuint fbo, rb[2], vao[2], vbo[2], color_prog, tex_prog, atlas;
	GLint angle_at, offset_at;
	float *tri;
	double t0, secs;
	unsigned long f, made = 0;

	context();
	/* the render target */
	glGenFramebuffers(1, &fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, fbo);
	glGenRenderbuffers(2, rb);
	glBindRenderbuffer(GL_RENDERBUFFER, rb[0]);
	glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, FB_SIZE, FB_SIZE);
	glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, rb[0]);
	glBindRenderbuffer(GL_RENDERBUFFER, rb[1]);
	glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, FB_SIZE, FB_SIZE);
	glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, rb[1]);
	if (glCheckFramebufferStatus(GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
		die("framebuffer");
	glViewport(0, 0, FB_SIZE, FB_SIZE);

	/* ntri small triangles scattered over the target */
	tri = malloc(ntri * 6 * sizeof(*tri));
	if (!tri)
		die("malloc");
	for (unsigned long i = 0; i < ntri; i++) {
		float x = (float)((i * 37) % 100) / 50.0f - 1.0f;
		float y = (float)((i * 61) % 100) / 50.0f - 1.0f;
		float v[6] = { x, y, x + 0.08f, y, x, y + 0.08f };

		for (int k = 0; k < 6; k++)
			tri[i * 6 + k] = v[k];
	}
	glGenVertexArrays(2, vao);
	glGenBuffers(2, vbo);
	glBindVertexArray(vao[0]);
	glBindBuffer(GL_ARRAY_BUFFER, vbo[0]);
	glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(ntri * 6 * sizeof(*tri)), tri, GL_STATIC_DRAW);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
	glEnableVertexAttribArray(0);
	glBindVertexArray(vao[1]);
	glBindBuffer(GL_ARRAY_BUFFER, vbo[1]);
	glBufferData(GL_ARRAY_BUFFER, sizeof(quad), quad, GL_STATIC_DRAW);
	glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 0, NULL);
	glEnableVertexAttribArray(0);
	free(tri);

	color_prog = program(color_vs, color_fs);
	tex_prog = program(tex_vs, tex_fs);
	angle_at = glGetUniformLocation(color_prog, "angle");
	offset_at = glGetUniformLocation(tex_prog, "offset");
	glUseProgram(tex_prog);
	glUniform1i(glGetUniformLocation(tex_prog, "tex"), 0);

	for (size_t i = 0; i < sizeof(pixels); i++)
		pixels[i] = (unsigned char)(i * 7);
	glGenTextures(1, &atlas);
	glBindTexture(GL_TEXTURE_2D, atlas);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, TEX_SIZE, TEX_SIZE, 0, GL_RGBA, GL_UNSIGNED_BYTE,
		     pixels);
	glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
	if (glGetError() != GL_NO_ERROR)
		die("setup");

	t0 = now();
	for (f = 0; f < frames; f++) {
		GLuint t;

		glClearColor(0.1f, 0.1f, 0.1f, 1.0f);
		glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
		glUseProgram(color_prog);
		glUniform1f(angle_at, (float)f * 0.01f);
		glBindVertexArray(vao[0]);
		glDrawArrays(GL_TRIANGLES, 0, (GLsizei)(ntri * 3));

		glUseProgram(tex_prog);
		glBindVertexArray(vao[1]);
		glBindTexture(GL_TEXTURE_2D, atlas);
		for (unsigned long q = 0; q < nquads; q++) {
			glUniform2f(offset_at, sinf((float)(f + q)) * 0.8f,
				    cosf((float)(f * 3 + q)) * 0.8f);
			glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
		}

		/* one texture made, used and deleted per frame */
		pixels[f % sizeof(pixels)]++;
		glGenTextures(1, &t);
		glBindTexture(GL_TEXTURE_2D, t);
		glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, TEX_SIZE, TEX_SIZE, 0, GL_RGBA,
			     GL_UNSIGNED_BYTE, pixels);
		glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
		glUniform2f(offset_at, 0.0f, 0.0f);
		glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
		glBindTexture(GL_TEXTURE_2D, 0);
		glDeleteTextures(1, &t);
		made++;

		glFinish();
	}
	secs = now() - t0;
	if (glGetError() != GL_NO_ERROR)
		die("frame loop");
	fprintf(stderr, "fps=%.1f frames=%lu seconds=%.3f triangles=%lu quads=%lu textures=%lu\n",
		secs > 0 ? (double)frames / secs : 0.0, frames, secs, ntri, nquads, made);
	return 0;
}
