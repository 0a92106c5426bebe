// SPDX-License-Identifier: GPL-2.0-only
/* Mesa's GL dispatch numbering, read as data from a libglapi file.
 *
 * Why data: the file is the one a traced process maps, and anyone may have
 * written it; loading it to ask _glapi_get_proc_offset() would run its code
 * as root. Why this table: Debian's libglapi (Mesa 22.3, built for glvnd)
 * exports no GL entry point whose code could be decoded, only _glapi_*
 * functions; its static entry stubs are nameless. The names are in two
 * static arrays of mapi/stub.c, from the generated mapi_tmp.h, which a
 * stripped file keeps without symbols:
 *
 *	static const char public_string_pool[] = "Accum\0ActiveProgramEXT\0...";
 *	static const struct mapi_stub {
 *		size_t name_offset;	(a const void * holding the offset, before)
 *		int slot;
 *		mapi_func addr;		(in older Mesa only: 24 bytes, else 16)
 *	} public_stubs[] = { { 0, 213 }, { 6, 1310 }, ... };
 *
 * sorted by name for bsearch(), names without their "gl", the pool laid out
 * in the same order. Both are found by that shape, without symbols or code:
 * a run of entries whose name offsets start at 0 and grow by one name each,
 * then a pool whose strings have exactly those lengths, are identifiers and
 * sort strictly. Other data does not have that shape by accident; a file
 * made to have it only chooses which of its own process's dispatch entries
 * are probed. LP64 layouts only, as leaktrace traces 64-bit processes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"
#include "glapi.h"
#include "log.h"

/* libglapi's read-only data is ~100 KiB (Mesa 22.3): a segment or a file
 * much larger is something else. */
#define GLAPI_MAX_SEGMENT (16u << 20)
#define GLAPI_MAX_READ (32u << 20)
#define GLAPI_MAX_SEGMENTS 8
/* PT_LOAD headers looked at: files have 2 to 5, and each lookup walks them. */
#define GLAPI_MAX_LOADS 64
/* Mesa has named well over a thousand GL functions since 2010: a shorter
 * run is another array. */
#define GLAPI_MIN_NAMES 256
/* How many names must line up in a pool before the whole table is checked. */
#define GLAPI_PROBE_NAMES 32
/* GL function names are under 64 characters. */
#define GLAPI_MAX_NAME 127
/* Mesa has ~1700 static slots and 256 dynamic ones. */
#define GLAPI_MAX_SLOT 65536
/* Bytes and entries looked at in all: ~100 times what Mesa's file takes,
 * so that a file shaped to nearly match everywhere costs tens of ms. */
#define GLAPI_WORK (1u << 25)

/* The layouts of struct mapi_stub: the size of an entry. The name offset is
 * at 0 and the slot at 8 in both. */
static const size_t strides[] = { 24, 16 };

struct glapi_name {
	__u32 name; /* offset in the pool */
	__s32 slot;
};

struct glapi_index {
	char *pool;
	struct glapi_name *names; /* sorted by name */
	size_t nr;
};

struct segment {
	__u8 *bytes;
	size_t len;
};

/* A candidate public_stubs: @nr entries of @stride bytes from @at. */
struct run {
	const __u8 *at;
	size_t stride;
	size_t nr;
};

struct scan {
	struct segment segs[GLAPI_MAX_SEGMENTS];
	size_t nr_segs;
	size_t work; /* left */
};

static __u64 run__offset(const struct run *r, size_t i)
{
	__u64 v;

	memcpy(&v, r->at + i * r->stride, sizeof(v));
	return v;
}

static __s32 run__slot(const struct run *r, size_t i)
{
	__s32 v;

	memcpy(&v, r->at + i * r->stride + 8, sizeof(v));
	return v;
}

static bool scan__spend(struct scan *s)
{
	if (!s->work)
		return false;
	s->work--;
	return true;
}

/* How many of the @max entries from @r->at look like public_stubs: the
 * first name at offset 0, each next one a name further, slots in range. */
static size_t scan__run_length(struct scan *s, struct run *r, size_t max)
{
	__u64 prev = 0, off;
	__s32 slot;
	size_t i;

	for (i = 0; i < max && scan__spend(s); i++) {
		off = run__offset(r, i);
		slot = run__slot(r, i);
		if (slot < 0 || slot >= GLAPI_MAX_SLOT)
			break;
		if (i ? off <= prev || off - prev < 2 || off - prev > GLAPI_MAX_NAME + 1 : off)
			break;
		prev = off;
	}
	return i;
}

static bool is_ident(__u8 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* The length of the identifier at @p, if a NUL within @left bytes ends it;
 * else 0. */
static size_t scan__name_length(struct scan *s, const __u8 *p, size_t left)
{
	size_t n;

	for (n = 0; n < left && n <= GLAPI_MAX_NAME && scan__spend(s); n++) {
		if (!p[n])
			return n;
		if (!is_ident(p[n]))
			return 0;
	}
	return 0;
}

/* How many of the first @nr entries of @r name strings of the pool at @pool
 * (@left bytes to the end of its segment), in order: an identifier at the
 * entry's offset, sorted after the one before, and ending right where the
 * next entry's name starts. The count includes the first entry whose next
 * offset is wrong (the run may have gone one entry past the table's end),
 * and stops there. */
static size_t scan__pool_match(struct scan *s, const struct run *r, size_t nr, const __u8 *pool,
			       size_t left)
{
	const char *prev = NULL;
	size_t i, len;
	__u64 off;

	for (i = 0; i < nr; i++) {
		off = run__offset(r, i);
		len = off < left ? scan__name_length(s, pool + off, left - off) : 0;
		if (!len || (prev && strcmp(prev, (const char *)pool + off) >= 0))
			break;
		prev = (const char *)pool + off;
		if (i + 1 < r->nr && off + len + 1 != run__offset(r, i + 1))
			return i + 1;
	}
	return i;
}

/* The index from run @r and its pool at @pool, with @nr names. */
static struct glapi_index *glapi_index__new(const struct run *r, size_t nr, const __u8 *pool)
{
	struct glapi_index *x = calloc(1, sizeof(*x));
	__u64 last = run__offset(r, nr - 1);
	size_t pool_len = last + strlen((const char *)pool + last) + 1;

	if (!x)
		return NULL;
	x->pool = malloc(pool_len);
	x->names = calloc(nr, sizeof(*x->names));
	if (!x->pool || !x->names) {
		glapi_index__free(x);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(x->pool, pool, pool_len);
	for (size_t i = 0; i < nr; i++)
		x->names[i] = (struct glapi_name){ .name = run__offset(r, i),
						   .slot = run__slot(r, i) };
	x->nr = nr;
	return x;
}

/* The pool of run @r, in any segment: where its first names line up, and
 * then all of them do, but for one entry past the table's end. All, since a
 * pool that lacks the first few names could still line up with the lengths
 * of those after them. */
static struct glapi_index *scan__pool(struct scan *s, const struct run *r)
{
	size_t probe = r->nr < GLAPI_PROBE_NAMES ? r->nr : GLAPI_PROBE_NAMES;
	size_t first = run__offset(r, 1) - 1; /* the first name's length */

	for (size_t g = 0; g < s->nr_segs; g++) {
		const struct segment *seg = &s->segs[g];

		for (size_t p = 0; p + first < seg->len && scan__spend(s); p++) {
			size_t nr;

			if (seg->bytes[p + first] || !is_ident(seg->bytes[p]) ||
			    scan__pool_match(s, r, probe, seg->bytes + p, seg->len - p) < probe)
				continue;
			nr = scan__pool_match(s, r, r->nr, seg->bytes + p, seg->len - p);
			if (nr + 1 >= r->nr)
				return glapi_index__new(r, nr, seg->bytes + p);
		}
	}
	errno = ENOENT;
	return NULL;
}

/* Every run long enough to be the table, tried in turn. */
static struct glapi_index *scan__tables(struct scan *s)
{
	struct glapi_index *x;

	for (size_t g = 0; g < s->nr_segs; g++) {
		const struct segment *seg = &s->segs[g];

		for (size_t k = 0; k < sizeof(strides) / sizeof(strides[0]); k++) {
			for (size_t t = 0; t + 12 <= seg->len && scan__spend(s); t += 8) {
				struct run r = { .at = seg->bytes + t, .stride = strides[k] };

				if (run__offset(&r, 0))
					continue;
				r.nr = scan__run_length(s, &r, (seg->len - t - 12) / r.stride + 1);
				if (r.nr < GLAPI_MIN_NAMES)
					continue;
				x = scan__pool(s, &r);
				if (x || errno != ENOENT)
					return x;
			}
		}
	}
	if (!s->work)
		lt_debug("glapi: gave up looking for the table of GL names after %u steps",
			 GLAPI_WORK);
	errno = ENOENT;
	return NULL;
}

/* The file's read-only loaded segments, where both arrays are (.rodata):
 * writable ones are left out, code is kept for layouts that put .rodata in
 * the code segment. */
static int scan__read(struct scan *s, struct elf_file *f)
{
	struct elf_segment es;
	size_t total = 0;
	long got;

	for (size_t i = 0; i < GLAPI_MAX_LOADS && s->nr_segs < GLAPI_MAX_SEGMENTS; i++) {
		struct segment *seg = &s->segs[s->nr_segs];

		if (elf_file__load_segment(f, i, &es))
			break;
		if (es.write || !es.filesz || es.filesz > GLAPI_MAX_SEGMENT ||
		    total + es.filesz > GLAPI_MAX_READ)
			continue;
		seg->bytes = malloc(es.filesz);
		if (!seg->bytes)
			return -ENOMEM;
		got = elf_file__read(f, es.offset, seg->bytes, es.filesz);
		/* the file is shorter than its headers say, or they are wrong */
		if (got < 0 || (__u64)got != es.filesz) {
			free(seg->bytes);
			seg->bytes = NULL;
			continue;
		}
		seg->len = es.filesz;
		total += es.filesz;
		s->nr_segs++;
	}
	return 0;
}

struct glapi_index *glapi_index__read(struct elf_file *f)
{
	struct scan s = { .work = GLAPI_WORK };
	struct glapi_index *x = NULL;
	int err;

	err = scan__read(&s, f);
	if (!err) {
		x = scan__tables(&s);
		err = x ? 0 : -errno;
	}
	for (size_t i = 0; i < GLAPI_MAX_SEGMENTS; i++)
		free(s.segs[i].bytes);
	errno = -err;
	return x;
}

int glapi_index__slot(const struct glapi_index *x, const char *name)
{
	size_t lo = 0, hi = x->nr, mid;
	int cmp;

	/* _glapi_get_proc_offset() answers only for "gl" names, and its pool
	 * holds them without the prefix. */
	if (strncmp(name, "gl", 2))
		return -1;
	name += 2;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strcmp(name, x->pool + x->names[mid].name);
		if (!cmp)
			return x->names[mid].slot;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

void glapi_index__free(struct glapi_index *x)
{
	if (!x)
		return;
	free(x->pool);
	free(x->names);
	free(x);
}
