/* SPDX-License-Identifier: GPL-2.0-only */
/* What the sources say of themselves (user/srcdesc.h): the --sources names
 * and bits, the kinds with the names the table and JSON print, and the
 * programs and maps of the skeleton each owns, which attach.c loads and
 * makes for it alone. Opens the BPF object only: no privileges needed. */
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "leaktrace.h"
#include "leaktrace.skel.h"
#include "srcdesc.h"
#include "ut.h"

#define ALL_SOURCES (LT_SRC_LIBC | LT_SRC_MMAP | LT_SRC_PYTHON | LT_SRC_GL | LT_SRC_FD)

static void test_names(void)
{
	static const char *const names[] = { "libc", "mmap", "python", "gl", "fd" };
	unsigned int bit = 1;

	UT_CHECK((src_all() & ALL_SOURCES) == ALL_SOURCES && !(src_all() & (src_all() + 1)),
		 "every source, one bit each from the first on: %#x", src_all());
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++, bit <<= 1) {
		const struct src_desc *d = src_by_bit(bit);

		UT_CHECK(d && !strcmp(d->name, names[i]), "bit %#x is %s", bit, names[i]);
		if (d)
			UT_CHECK(d->on_request == (bit == LT_SRC_FD),
				 "%s: auto picks it unless it is fd", d->name);
	}
	for (bit = 1; bit & src_all(); bit <<= 1) {
		const struct src_desc *d = src_by_bit(bit);

		UT_CHECK(d && d->bit == bit && src_by_name(d->name) == d,
			 "bit %#x: its source, found by its name too", bit);
	}
	UT_CHECK(!src_by_bit(bit) && !src_by_bit(0) && !src_by_bit(LT_SRC_LIBC | LT_SRC_FD),
		 "no source past the last, of no bit or two");
	UT_CHECK(!src_by_name("heap") && !src_by_name("auto") && !src_by_name(""),
		 "no source named heap, auto or nothing");
}

/* The kinds' names are the JSON's "kind" and the table's KIND: a contract. */
static void test_kinds(void)
{
	static const struct {
		__u32 kind;
		const char *name;
		unsigned int source;
		bool bytes;
		const char *noun;
	} want[] = {
		{ LT_KIND_HEAP, "heap", LT_SRC_LIBC, true, NULL },
		{ LT_KIND_MMAP, "mmap", LT_SRC_MMAP, true, NULL },
		{ LT_KIND_PYOBJ, "pyobj", LT_SRC_PYTHON, true, NULL },
		{ LT_KIND_GL_TEXTURE, "gl.texture", LT_SRC_GL, false, NULL },
		{ LT_KIND_GL_BUFFER, "gl.buffer", LT_SRC_GL, false, NULL },
		{ LT_KIND_GL_FRAMEBUFFER, "gl.framebuffer", LT_SRC_GL, false, NULL },
		{ LT_KIND_GL_RENDERBUFFER, "gl.renderbuffer", LT_SRC_GL, false, NULL },
		{ LT_KIND_GL_SHADER, "gl.shader", LT_SRC_GL, false, NULL },
		{ LT_KIND_GL_PROGRAM, "gl.program", LT_SRC_GL, false, NULL },
		{ LT_KIND_GL_VERTEX_ARRAY, "gl.vertex_array", LT_SRC_GL, false, NULL },
		{ LT_KIND_EGL_CONTEXT, "egl.context", LT_SRC_GL, false, NULL },
		{ LT_KIND_EGL_SURFACE, "egl.surface", LT_SRC_GL, false, NULL },
		{ LT_KIND_FD, "fd", LT_SRC_FD, false, "fd" },
	};
	unsigned int times[LT_KIND__NR + 1] = { 0 };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct src_desc *d = NULL;
		const struct src_kind *k = src_kind(want[i].kind, &d);

		UT_CHECK(k && !strcmp(k->name, want[i].name), "kind %u is %s", want[i].kind,
			 want[i].name);
		if (!k)
			continue;
		UT_CHECK(d && d->bit == want[i].source, "%s is source %s's", want[i].name,
			 d ? d->name : "?");
		UT_CHECK(k->bytes == want[i].bytes, "%s: bytes %d", want[i].name, k->bytes);
		UT_CHECK(want[i].noun ? k->noun && !strcmp(k->noun, want[i].noun) : !k->noun,
			 "%s counts %s", want[i].name, want[i].noun ? want[i].noun : "obj");
	}
	UT_CHECK(!src_kind(LT_KIND__NR, NULL), "no source reports kind LT_KIND__NR");
	for (unsigned int bit = 1; bit & src_all(); bit <<= 1) {
		const struct src_desc *d = src_by_bit(bit);

		for (size_t i = 0; i < d->nr_kinds; i++)
			times[d->kinds[i].kind < LT_KIND__NR ? d->kinds[i].kind : LT_KIND__NR]++;
	}
	for (__u32 kind = 0; kind <= LT_KIND__NR; kind++)
		UT_EQ_INT(times[kind], kind < LT_KIND__NR, "each kind reported by one source");
}

/* Every program of the object is owned by one source, or is one of the
 * programs that attach.c loads for every run or a mode: a program nobody
 * owns would never be loaded. The maps that sources own are made only with
 * them; those every program uses belong to none. */
static void test_owned(void)
{
	static const char *const runs[] = { "process_exec", "entry_stop", "process_exit",
					    "floor_enter",  "floor_exit", "calib_enter",
					    "calib_exit" };
	struct leaktrace_bpf *skel = leaktrace_bpf__open();
	struct bpf_program *prog;
	struct bpf_map *map;

	UT_CHECK(skel, "the BPF object opens");
	if (!skel)
		return;
	bpf_object__for_each_program(prog, skel->obj)
	{
		unsigned int owners = 0, n = 0;
		bool run = false;

		for (unsigned int bit = 1; bit & src_all(); bit <<= 1) {
			const struct src_desc *d = src_by_bit(bit);
			struct src_owned own = { 0 };

			if (d->owns)
				d->owns(skel, &own);
			for (size_t i = 0; i < SRC_MAX_PROGS && own.progs[i]; i++)
				if (own.progs[i] == prog) {
					owners |= bit;
					n++;
				}
		}
		for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
			run |= !strcmp(bpf_program__name(prog), runs[i]);
		UT_CHECK(run ? !n : n == 1, "program %s: owned by %#x (%u times)%s",
			 bpf_program__name(prog), owners, n, run ? ", attach.c's own" : "");
	}
	bpf_object__for_each_map(map, skel->obj)
	{
		unsigned int owners = 0, want = 0;

		for (unsigned int bit = 1; bit & src_all(); bit <<= 1) {
			const struct src_desc *d = src_by_bit(bit);
			struct src_owned own = { 0 };

			if (d->owns)
				d->owns(skel, &own);
			for (size_t i = 0; i < SRC_MAX_MAPS && own.maps[i]; i++)
				owners |= own.maps[i] == map ? bit : 0;
		}
		if (!strcmp(bpf_map__name(map), "sysframes"))
			want = LT_SRC_MMAP | LT_SRC_FD;
		else if (!strncmp(bpf_map__name(map), "gl", 2))
			want = LT_SRC_GL;
		else if (strcmp(bpf_map__name(map), "allocs") &&
			 strcmp(bpf_map__name(map), "stacks") &&
			 strcmp(bpf_map__name(map), "counters"))
			continue; /* a map of a source to come may be its own */
		UT_CHECK(owners == want, "map %s: owned by %#x, want %#x", bpf_map__name(map),
			 owners, want);
	}
	leaktrace_bpf__destroy(skel);
}

int main(void)
{
	test_names();
	test_kinds();
	test_owned();
	return ut_done();
}
