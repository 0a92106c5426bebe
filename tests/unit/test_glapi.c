// SPDX-License-Identifier: GPL-2.0-only
/* Tests for glapi.c: the slots read from this machine's Mesa libglapi, checked
 * against the GL ABI's fixed slots and, for every slot, against what the
 * library's own _glapi_get_proc_offset() answers once loaded here (the test
 * may load it; leaktrace must not); then files made here with each layout of
 * Mesa's table, and files where no table must be found. */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#include "elfsym.h"
#include "gl.h"
#include "glapi.h"
#include "ut.h"

#define GLAPI_PATH "/usr/lib/x86_64-linux-gnu/libglapi.so.0"
#define LIBC_PATH "/lib/x86_64-linux-gnu/libc.so.6"

/* The dispatch slots that the libGL ABI fixes (Mesa's gl_API.xml, static
 * offsets), the same in every Mesa. */
static const struct {
	const char *name;
	int slot;
} abi_slots[] = {
	{ "glNewList", 0 },	  { "glEndList", 1 },	    { "glTexImage2D", 183 },
	{ "glAccum", 213 },	  { "glBindTexture", 307 }, { "glDeleteTextures", 327 },
	{ "glGenTextures", 328 },
};

/* Names no table holds, or that _glapi_get_proc_offset() refuses. */
static const char *const not_names[] = {
	"gl", "GenTextures", "glgenTextures", "glGenTexturesX", "glNoSuchFunction", "", "g",
};

static void test_system_glapi(void)
{
	int (*get_offset)(const char *name) = NULL;
	const char *(*get_name)(unsigned int slot) = NULL;
	unsigned int (*table_size)(void) = NULL;
	struct glapi_index *x = NULL;
	struct elf_file *f = NULL;
	unsigned int nr_slots = 0, named = 0, bad = 0;
	char real[PATH_MAX];
	void *lib;

	/* the file a mapping shows: elf_file__open() follows no symbolic link */
	if (realpath(GLAPI_PATH, real))
		f = elf_file__open(real);
	UT_CHECK(f, "open %s (errno %d): install libglapi-mesa", GLAPI_PATH, errno);
	if (!f)
		return;
	x = glapi_index__read(f);
	UT_CHECK(x, "the table of names in %s (errno %d)", GLAPI_PATH, errno);
	if (!x)
		goto cleanup;
	for (size_t i = 0; i < sizeof(abi_slots) / sizeof(abi_slots[0]); i++)
		UT_EQ_INT(glapi_index__slot(x, abi_slots[i].name), abi_slots[i].slot,
			  abi_slots[i].name);
	for (size_t i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++)
		UT_EQ_INT(glapi_index__slot(x, not_names[i]), -1, not_names[i]);

	/* Loaded here only, to compare: the file is the system's own. */
	lib = dlopen(GLAPI_PATH, RTLD_NOW | RTLD_LOCAL);
	UT_CHECK(lib, "dlopen %s: %s", GLAPI_PATH, lib ? "" : dlerror());
	if (!lib)
		goto cleanup;
	get_offset = (int (*)(const char *))dlsym(lib, "_glapi_get_proc_offset");
	get_name = (const char *(*)(unsigned int))dlsym(lib, "_glapi_get_proc_name");
	table_size = (unsigned int (*)(void))dlsym(lib, "_glapi_get_dispatch_table_size");
	UT_CHECK(get_offset && get_name && table_size, "libglapi's _glapi_* functions");
	if (!get_offset || !get_name || !table_size)
		goto cleanup;
	for (size_t i = 0; i < gl_nr_funcs; i++)
		UT_EQ_INT(glapi_index__slot(x, gl_funcs[i].name), get_offset(gl_funcs[i].name),
			  gl_funcs[i].name);
	for (size_t i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++)
		UT_EQ_INT(get_offset(not_names[i]), -1, "libglapi agrees: no slot");
	/* Every slot that has a name: the name's slot is that slot, as the
	 * library says (aliases share a slot; it names one of them). */
	nr_slots = table_size();
	for (unsigned int slot = 0; slot < nr_slots; slot++) {
		const char *name = get_name(slot);
		char full[160];
		int want, got;

		if (!name)
			continue;
		named++;
		snprintf(full, sizeof(full), "gl%s", name);
		want = get_offset(full);
		got = glapi_index__slot(x, full);
		if (got != want || want != (int)slot) {
			if (bad++ < 5)
				printf("# %s: read %d, libglapi says %d (slot %u)\n", full, got,
				       want, slot);
		}
	}
	UT_CHECK(named > 1000, "libglapi names %u of its %u slots", named, nr_slots);
	UT_EQ_INT(bad, 0, "names whose slot read from the file differs from libglapi's");
	/* kept loaded: unloading Mesa's libglapi is not what it is made for */
cleanup:
	glapi_index__free(x);
	elf_file__free(f);
}

/* Synthetic names: sorted, of varied lengths, as Mesa's pool is. Their
 * lengths repeat every 7 names, so that a pool read from the 8th name on
 * lines up with the table's offsets: the reader must not take it. */
static void synth_name(char *buf, size_t size, unsigned int i)
{
	snprintf(buf, size, "Fn%04u%.*s", i, (int)(i % 7), "ARBEXTX");
}

static int synth_slot(unsigned int i)
{
	return (int)((i * 7) % 1900);
}

/* A minimal ELF64 file at @path: its headers and @data in one read-only
 * PT_LOAD segment, which claims @more bytes than the file has. */
static int write_elf(const char *path, const __u8 *data, size_t len, size_t more)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	size_t head = sizeof(eh) + sizeof(ph);
	FILE *out = fopen(path, "wb");
	int ok;

	if (!out)
		return -errno;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R;
	ph.p_filesz = ph.p_memsz = head + len + more;
	ph.p_align = 0x1000;
	ok = fwrite(&eh, sizeof(eh), 1, out) == 1 && fwrite(&ph, sizeof(ph), 1, out) == 1 &&
	     fwrite(data, 1, len, out) == len;
	return fclose(out) || !ok ? -EIO : 0;
}

enum synth_flags {
	POOL_FIRST = 1, /* the pool before the table */
	TRAILING = 2,	/* an entry-like word pair right after the table */
	UNSORTED = 4,	/* the first name made to sort last */
	TRUNCATED = 8,	/* the segment ends past the end of the file */
};

/* Writes a file with @nr synthetic names in a table of @stride-byte entries
 * and reads it. Returns the index, or NULL with errno set. */
static struct glapi_index *synth_read(const char *path, unsigned int nr, size_t stride,
				      unsigned int flags)
{
	size_t cap = 64 + (size_t)nr * (stride + 16) + 64, pool_at, table_at, len, off = 0;
	__u8 *buf = calloc(1, cap);
	struct glapi_index *x = NULL;
	struct elf_file *f = NULL;
	char name[32];
	int err;

	if (!buf)
		return NULL;
	memset(buf, 0xa5, 40); /* something before, neither names nor a table */
	table_at = flags & POOL_FIRST ? 0 : 40;
	pool_at = 40;
	if (flags & POOL_FIRST) {
		for (unsigned int i = 0; i < nr; i++) {
			synth_name(name, sizeof(name), i);
			off += strlen(name) + 1;
		}
		table_at = (pool_at + off + 64) & ~(size_t)7;
	} else {
		pool_at = table_at + (size_t)nr * stride + 8 + 32;
	}
	off = 0;
	for (unsigned int i = 0; i < nr; i++) {
		__u8 *e = buf + table_at + (size_t)i * stride;
		__u64 name_off = off;
		__s32 slot = synth_slot(i);

		synth_name(name, sizeof(name), i);
		memcpy(buf + pool_at + off, name, strlen(name) + 1);
		memcpy(e, &name_off, sizeof(name_off));
		memcpy(e + 8, &slot, sizeof(slot));
		off += strlen(name) + 1;
	}
	if (flags & TRAILING) {
		__u64 after = off + 3;
		__s32 slot = 5;

		memcpy(buf + table_at + (size_t)nr * stride, &after, sizeof(after));
		memcpy(buf + table_at + (size_t)nr * stride + 8, &slot, sizeof(slot));
	}
	if (flags & UNSORTED)
		buf[pool_at] = 'Z';
	len = (flags & POOL_FIRST ? table_at + (size_t)(nr + 1) * stride : pool_at + off) + 16;
	err = write_elf(path, buf, len, flags & TRUNCATED ? 4096 : 0);
	free(buf);
	if (err) {
		errno = -err;
		return NULL;
	}
	f = elf_file__open(path);
	if (f)
		x = glapi_index__read(f);
	err = x ? 0 : errno;
	elf_file__free(f);
	errno = err;
	return x;
}

static void test_synthetic(void)
{
	static const struct {
		const char *what;
		size_t stride;
		unsigned int flags;
	} layouts[] = {
		{ "16-byte entries (name offset, slot)", 16, 0 },
		{ "24-byte entries (name, slot, addr)", 24, 0 },
		{ "16-byte entries, pool first, a word pair after", 16, POOL_FIRST | TRAILING },
		{ "24-byte entries, a word pair after", 24, TRAILING },
	};
	char path[] = "/tmp/lt_glapi_XXXXXX";
	struct glapi_index *x;
	char name[40];
	int fd = mkstemp(path);

	UT_CHECK(fd >= 0, "make a temporary file");
	if (fd < 0)
		return;
	close(fd);
	for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		unsigned int bad = 0;

		x = synth_read(path, 1200, layouts[l].stride, layouts[l].flags);
		UT_CHECK(x, "%s: found (errno %d)", layouts[l].what, errno);
		if (!x)
			continue;
		for (unsigned int i = 0; i < 1200; i++) {
			name[0] = 'g';
			name[1] = 'l';
			synth_name(name + 2, sizeof(name) - 2, i);
			bad += glapi_index__slot(x, name) != synth_slot(i);
		}
		UT_EQ_INT(bad, 0, "names whose slot is not the one written");
		UT_EQ_INT(glapi_index__slot(x, "glFn9999"), -1, "a name not written");
		glapi_index__free(x);
	}

	errno = 0;
	x = synth_read(path, 100, 16, 0);
	UT_CHECK(!x && errno == ENOENT, "100 names: too few for Mesa's table (errno %d)", errno);
	glapi_index__free(x);
	errno = 0;
	x = synth_read(path, 1200, 16, UNSORTED);
	UT_CHECK(!x && errno == ENOENT, "names out of order: not a table (errno %d)", errno);
	glapi_index__free(x);
	errno = 0;
	x = synth_read(path, 1200, 16, TRUNCATED);
	UT_CHECK(!x && errno == ENOENT, "a segment past the end of the file: not read (errno %d)",
		 errno);
	glapi_index__free(x);
	unlink(path);
}

static void test_not_glapi(void)
{
	struct elf_file *f = elf_file__open(LIBC_PATH);
	struct glapi_index *x;

	UT_CHECK(f, "open %s", LIBC_PATH);
	if (!f)
		return;
	errno = 0;
	x = glapi_index__read(f);
	UT_CHECK(!x && errno == ENOENT, "libc has no table of GL names (errno %d)", errno);
	glapi_index__free(x);
	elf_file__free(f);
	glapi_index__free(NULL);
}

int main(void)
{
	test_system_glapi();
	test_synthetic();
	test_not_glapi();
	return ut_done();
}
