// SPDX-License-Identifier: GPL-2.0-only
/* Source gl's probes: the EGL and GLX functions of the libraries a process
 * maps, and its GL driver's functions, found through Mesa's dispatch table
 * (gl.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "leaktrace.skel.h"
#include "array.h"
#include "attach_int.h"
#include "files.h"
#include "gl.h"
#include "hashmap.h"
#include "log.h"
#include "procmaps.h"
#include "python.h"

/* Whose calls the probes of @tgid's files see: under --system, every
 * process's that maps the same file. */
static pid_t probe_pid(const struct tracer *t, pid_t tgid)
{
	return t->settings->system ? -1 : tgid;
}

static struct probe_func gl_probe_func(const struct gl_func *f)
{
	/* keep_sp: some arguments are on the stack */
	return (struct probe_func){ .name = f->name,
				    .nr_args = f->nr_args,
				    .ret = f->ret,
				    .cookie = f->cookie,
				    .keep_sp = true };
}

static int fill_gl_formats(struct tracer *t)
{
	struct gl_format formats[512];
	size_t n = gl_formats(formats, 512);
	int fd = bpf_map__fd(t->skel->maps.glformats);

	if (t->gl_formats)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &formats[i].key, &formats[i].bpp, BPF_ANY))
			return -errno;
	t->gl_formats = true;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *base = strrchr(path, '/');

	return base ? base + 1 : path;
}

static bool has_base_name(const char *path, const char *prefix)
{
	return !strncmp(base_name(path), prefix, strlen(prefix));
}

/* Probes the EGL and GLX functions @elf (at @path, @shown in reports) exports. glvnd's
 * libGL forwards its glX functions to libGLX: where both are mapped, only
 * libGLX's are probed, lest a call count twice. */
static int probe_egl_file(struct tracer *t, pid_t tgid, const char *path, const char *shown,
			  struct elf_file *elf, bool have_libglx)
{
	struct probe_func funcs[MAX_SITES];
	size_t nr = 0;

	for (size_t i = 0; i < egl_nr_funcs && nr < MAX_SITES; i++) {
		bool glx = !strncmp(egl_funcs[i].name, "glX", 3);

		if (glx && have_libglx && !has_base_name(shown, "libGLX.so"))
			continue;
		if (elf_file__exports(elf, egl_funcs[i].name))
			funcs[nr++] = gl_probe_func(&egl_funcs[i]);
	}
	if (!nr)
		return 0;
	lt_debug("pid %d: %zu EGL/GLX functions in %s", tgid, nr, shown);
	return attach_allocator(t, probe_pid(t, tgid), path, shown, elf, funcs, nr, gl_progs(t));
}

int tracer__attach_gl(struct tracer *t, pid_t tgid)
{
	struct procmaps *maps;
	bool have_libglx = false;
	char path[PATH_MAX];
	int err;

	if (!(t->sources & LT_SRC_GL) || t->settings->floor)
		return 0;
	err = fill_gl_formats(t);
	if (err) {
		lt_error("cannot set up the GL texture formats: %s", strerror(-err));
		return err;
	}
	maps = procmaps__read(tgid);
	if (!maps)
		return errno == ENOENT ? -ESRCH : -errno;
	for (size_t i = 0; i < maps->nr; i++)
		have_libglx |= lt_mapping__is_file(&maps->maps[i]) &&
			       has_base_name(maps->maps[i].path, "libGLX.so");
	for (size_t i = 0; i < maps->nr && !err; i++) {
		const struct lt_mapping *m = &maps->maps[i];
		struct mapped_file *f;
		struct elf_file *elf;

		if (!m->exec || !lt_mapping__is_file(m))
			continue;
		lt_mapping__open_path(tgid, m, path, sizeof(path));
		f = tracer_file(t, path, m->path);
		if (!f)
			err = errno == ENOMEM ? -ENOMEM : 0;
		if (!f || mapped_file__mark(f, FILE_GL_LOOKED))
			continue;
		elf = elf_file__open(path);
		if (!elf)
			continue;
		err = probe_egl_file(t, tgid, path, m->path, elf, have_libglx);
		elf_file__free(elf);
	}
	procmaps__free(maps);
	return err;
}

/* Where a process finds its libraries, below its root. */
static const char *const lib_dirs[] = {
#if defined(__x86_64__)
	"/usr/lib/x86_64-linux-gnu",
	"/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
	"/usr/lib/aarch64-linux-gnu",
	"/lib/aarch64-linux-gnu",
#endif
	"/usr/lib64",
	"/lib64",
	"/usr/lib",
	"/lib",
};

/* The first @name in the library directories of @tgid's root: its path
 * from here in @path, and as the process names it in @shown. A library's
 * name is a symbolic link to the file (libEGL.so.1 -> libEGL.so.1.1.0): the
 * links are followed by hand within the directory, as files of a process's
 * root are opened without following any. */
static bool find_lib(pid_t tgid, const char *name, char *path, char *shown, size_t len)
{
	char file[NAME_MAX + 1], link[NAME_MAX + 1];

	for (size_t i = 0; i < sizeof(lib_dirs) / sizeof(lib_dirs[0]); i++) {
		ssize_t n = 0;

		snprintf(file, sizeof(file), "%s", name);
		for (int hops = 0; hops < 8; hops++) {
			snprintf(path, len, "/proc/%d/root%s/%s", tgid, lib_dirs[i], file);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				break;
			link[n] = 0;
			if (strchr(link, '/'))
				break;
			memcpy(file, link, (size_t)n + 1);
		}
		if (n > 0 || access(path, R_OK))
			continue;
		return snprintf(shown, len, "%s/%s", lib_dirs[i], file) < (int)len;
	}
	return false;
}

int tracer__attach_gl_ahead(struct tracer *t, pid_t tgid)
{
	/* libGL last: glvnd's forwards to libGLX, probed where libGLX is */
	static const char *const libs[] = { "libEGL.so.1", "libGLX.so.0", "libGL.so.1" };
	char path[PATH_MAX], shown[PATH_MAX];
	bool have_libglx;
	int err = 0;

	if (!(t->sources & LT_SRC_GL) || t->settings->floor)
		return 0;
	err = fill_gl_formats(t);
	if (err)
		return err;
	have_libglx = find_lib(tgid, "libGLX.so.0", path, shown, sizeof(path));
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]) && !err; i++) {
		struct mapped_file *f = NULL;
		struct elf_file *elf;

		if (find_lib(tgid, libs[i], path, shown, sizeof(path))) {
			f = tracer_file(t, path, shown);
			if (!f)
				err = errno == ENOMEM ? -ENOMEM : 0;
		}
		if (!f || mapped_file__mark(f, FILE_GL_LOOKED))
			continue;
		elf = elf_file__open(path);
		if (!elf)
			continue;
		err = probe_egl_file(t, tgid, path, shown, elf, have_libglx);
		elf_file__free(elf);
	}
	return err;
}

int tracer__gl_threads(struct tracer *t, pid_t tgid, struct tracer_thread *out, size_t max)
{
	struct bpf_link *link;
	__u64 buf[256];
	size_t n = 0;
	ssize_t got;
	int fd, err = 0;

	t->skel->bss->iter_tgid = tgid;
	link = bpf_program__attach_iter(t->skel->progs.gl_threads, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		for (size_t i = 0; i + 1 < (size_t)got / 8 && n < max; i += 2)
			out[n++] = (struct tracer_thread){ .tid = buf[i], .tp = buf[i + 1] };
	if (got < 0)
		err = -errno;
	close(fd);
cleanup:
	bpf_link__destroy(link);
	return err ? err : (int)n;
}

/* Whether @f makes objects: those probes go in last, so that no object is
 * seen made whose binding or storage calls are not probed yet (attaching to
 * a program that is drawing). */
static bool gl_func_makes(const struct gl_func *f)
{
	__u32 fn = LT_GL_COOKIE_FN(f->cookie);

	return fn == LT_GL_GEN || fn == LT_GL_CREATE_TEX || fn == LT_GL_CREATE_RET;
}

/* The file offsets of the GL implementations probed in @f: made the first
 * time; NULL without memory. */
static struct hashmap *gl_sites_of(struct mapped_file *f)
{
	void **slot = mapped_file__slot(f, FILE_SLOT_GLSITES);

	if (!*slot)
		*slot = hashmap__new(sizeof(__u64));
	return *slot;
}

/* Probes the implementations of @impls that lie in the file mapped at @m,
 * those that make objects (@makers) or the others, skipping those already
 * probed; returns how many were new. */
static int probe_gl_impls(struct tracer *t, pid_t tgid, const struct lt_mapping *m,
			  const struct gl_impl *impls, size_t n, bool makers)
{
	struct probe_func funcs[MAX_SITES];
	struct heap_site hs[MAX_SITES];
	struct mapped_file *f;
	struct hashmap *probed;
	struct elf_file *elf;
	char path[PATH_MAX];
	size_t nr = 0;
	int err;

	lt_mapping__open_path(tgid, m, path, sizeof(path));
	f = tracer_file(t, path, m->path);
	if (!f)
		return -errno;
	probed = gl_sites_of(f);
	if (!probed)
		return -ENOMEM;
	elf = elf_file__open(path);
	if (!elf)
		return -errno;
	for (size_t i = 0; i < n && nr < MAX_SITES; i++) {
		__u64 off;

		if (impls[i].addr < m->start || impls[i].addr >= m->end ||
		    gl_func_makes(impls[i].func) != makers)
			continue;
		off = lt_mapping__file_offset(m, impls[i].addr);
		if (hashmap__get(probed, &off))
			continue;
		err = hashmap__put(probed, &off, (void *)1);
		if (err)
			goto cleanup;
		funcs[nr] = gl_probe_func(impls[i].func);
		hs[nr].hf = &funcs[nr];
		choose_site(t, elf, &funcs[nr], off, 0, &hs[nr].site);
		hs[nr].off = off + hs[nr].site.offset;
		nr++;
	}
	err = attach_sites(t, probe_pid(t, tgid), path, m->path, hs, nr, gl_progs(t));
cleanup:
	elf_file__free(elf);
	return err ? err : (int)nr;
}

int tracer__attach_gl_impls(struct tracer *t, pid_t tgid, const struct gl_impl *impls, size_t n)
{
	struct procmaps *maps = procmaps__read(tgid);
	int err = 0, added = 0;

	if (!maps)
		return errno == ENOENT ? -ESRCH : -errno;
	/* one file at a time (the drivers the implementations lie in); the
	 * functions that make objects after all the others */
	for (int makers = 0; makers < 2 && err >= 0; makers++) {
		for (size_t i = 0; i < n && err >= 0; i++) {
			const struct lt_mapping *m = procmaps__find(maps, impls[i].addr);
			bool first = true;

			if (!m || !lt_mapping__is_file(m))
				continue;
			for (size_t j = 0; j < i && first; j++)
				first = !(impls[j].addr >= m->start && impls[j].addr < m->end);
			if (!first)
				continue;
			err = probe_gl_impls(t, tgid, m, impls, n, makers);
			if (err > 0)
				added += err;
		}
	}
	procmaps__free(maps);
	return err < 0 ? err : added;
}

int tracer__stop_on_gl(struct tracer *t, bool on)
{
	t->skel->bss->stop_on_gl = on;
	return 0;
}
