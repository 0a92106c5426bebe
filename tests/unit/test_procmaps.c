// SPDX-License-Identifier: GPL-2.0-only
/* Tests parsing /proc/PID/maps text, finding the mapping of an address, and
 * translating an address into a file offset. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>
#include "procmaps.h"
#include "ut.h"

static const char fixture[] =
	"08048000-08049000 r-xp 00000000 03:00 8312       /opt/old/app32\n"
	"55d0c0a00000-55d0c0a21000 r--p 00000000 fd:01 1048602                    /usr/bin/my "
	"server\n"
	"55d0c0a21000-55d0c0a80000 r-xp 00021000 fd:01 1048602                    /usr/bin/my "
	"server\n"
	"55d0c1e4f000-55d0c1e70000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 \n"
	"7f1c2b000000-7f1c2b100000 r-xs 00010000 103:02 77                        /tmp/jit "
	"(deleted)\n"
	"7f1c2c000000-7f1c2c001000 r--p 00000000 00:00 0                          "
	"[anon:scudo:primary]\n"
	"7ffd6a3e4000-7ffd6a405000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd6a5e0000-7ffd6a5e2000 r-xp 00000000 00:00 0                          [vdso]\n";

static struct procmaps *parse_text(const char *text)
{
	struct procmaps *m;
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	if (!f)
		return NULL;
	m = procmaps__parse(f);
	fclose(f);
	return m;
}

static void test_parse(void)
{
	struct procmaps *m = parse_text(fixture);
	const struct lt_mapping *map;

	UT_CHECK(m != NULL, "fixture parses");
	if (!m)
		return;
	UT_EQ_INT(m->nr, 9, "mappings");

	map = &m->maps[0];
	UT_EQ_INT(map->start, 0x08048000, "32-bit start");
	UT_EQ_INT(map->end, 0x08049000, "32-bit end");
	UT_EQ_INT(map->dev_major, 3, "dev major");
	UT_EQ_INT(map->inode, 8312, "inode");
	UT_EQ_STR(map->path, "/opt/old/app32", "32-bit path");
	UT_CHECK(map->read && !map->write && map->exec && !map->shared, "r-xp perms");

	map = &m->maps[2];
	UT_EQ_STR(map->path, "/usr/bin/my server", "path with a space");
	UT_EQ_INT(map->offset, 0x21000, "offset");
	UT_EQ_INT(map->dev_major, 0xfd, "hex dev major");
	UT_EQ_INT(map->dev_minor, 1, "dev minor");
	UT_CHECK(!map->deleted, "not deleted");
	UT_CHECK(lt_mapping__is_file(map), "a file");

	UT_EQ_STR(m->maps[3].path, "[heap]", "heap");
	UT_CHECK(!lt_mapping__is_file(&m->maps[3]), "heap is no file");

	map = &m->maps[4];
	UT_EQ_STR(map->path, "", "anonymous");
	UT_CHECK(!lt_mapping__is_file(map), "anonymous is no file");

	map = &m->maps[5];
	UT_EQ_STR(map->path, "/tmp/jit", "(deleted) stripped");
	UT_CHECK(map->deleted, "deleted");
	UT_CHECK(map->shared && map->exec, "r-xs perms");
	UT_EQ_INT(map->dev_major, 0x103, "three-digit dev major");
	UT_EQ_INT(map->dev_minor, 2, "dev minor");

	UT_EQ_STR(m->maps[6].path, "[anon:scudo:primary]", "named anonymous");
	UT_EQ_STR(m->maps[8].path, "[vdso]", "vdso");
	UT_CHECK(!lt_mapping__is_file(&m->maps[8]), "vdso is no file");
	procmaps__free(m);
}

static void test_invalid(void)
{
	static const char *const bad[] = {
		"00400000-00401000 r-xp 00000000 fd:01 12 /bin/x\nnot a mapping\n",
		"00400000 r-xp 00000000 fd:01 12 /bin/x\n",
		"00400000-00401000 rwxq 00000000 fd:01 12 /bin/x\n",
		"00400000-00401000 r-xp 00000000 fd01 12 /bin/x\n",
		"00401000-00400000 r-xp 00000000 fd:01 12 /bin/x\n",
		"00400000-00401000 r-xp 00000000 fd:01 -12 /bin/x\n",
		"00400000-00401000 r-xp 00000000 fd:01 12x /bin/x\n",
	};
	struct procmaps *m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		errno = 0;
		m = parse_text(bad[i]);
		UT_CHECK(!m && errno == EINVAL, "invalid line %zu: NULL, EINVAL (errno %d)", i,
			 errno);
		procmaps__free(m);
	}

	m = parse_text("");
	UT_CHECK(m && m->nr == 0, "empty text: no mappings");
	procmaps__free(m);
}

static void test_find(void)
{
	struct procmaps *m = parse_text(fixture);
	const struct lt_mapping *map;

	if (!m) {
		UT_CHECK(0, "fixture parses");
		return;
	}
	UT_CHECK(!procmaps__find(m, 0), "nothing at 0");
	UT_CHECK(!procmaps__find(m, 0x08047fff), "nothing below the first");
	UT_CHECK(procmaps__find(m, 0x08048000) == &m->maps[0], "start is inclusive");
	UT_CHECK(procmaps__find(m, 0x08048fff) == &m->maps[0], "last byte");
	UT_CHECK(!procmaps__find(m, 0x08049000), "end is exclusive");
	/* adjacent mappings: the end of one is the start of the next */
	UT_CHECK(procmaps__find(m, 0x55d0c0a20fff) == &m->maps[1], "before the boundary");
	UT_CHECK(procmaps__find(m, 0x55d0c0a21000) == &m->maps[2], "at the boundary");
	UT_CHECK(!procmaps__find(m, 0x55d0c0a80000), "gap after");
	UT_CHECK(procmaps__find(m, 0x7ffd6a5e1fff) == &m->maps[8], "last byte of the last");
	UT_CHECK(!procmaps__find(m, 0x7ffd6a5e2000), "past the last");
	UT_CHECK(!procmaps__find(m, UINT64_MAX), "nothing at the top");
	UT_CHECK(!procmaps__find(NULL, 0x08048000), "NULL maps");

	map = procmaps__find(m, 0x55d0c0a21234);
	UT_CHECK(map != NULL, "text mapping found");
	if (map)
		UT_EQ_INT(lt_mapping__file_offset(map, 0x55d0c0a21234), 0x21234, "file offset");
	map = procmaps__find(m, 0x7f1c2b000010);
	if (map)
		UT_EQ_INT(lt_mapping__file_offset(map, 0x7f1c2b000010), 0x10010,
			  "file offset with a mapping offset");
	procmaps__free(m);
}

static void test_unsorted(void)
{
	struct procmaps *m = parse_text("00500000-00501000 r-xp 00000000 fd:01 12 /bin/b\n"
					"00400000-00401000 r-xp 00000000 fd:01 11 /bin/a\n");

	UT_CHECK(m && m->nr == 2 && m->maps[0].start == 0x400000, "unsorted input is sorted");
	UT_CHECK(m && procmaps__find(m, 0x500800) == &m->maps[1], "found after sorting");
	procmaps__free(m);
}

int main(void);

static void test_read_self(void)
{
	struct procmaps *m = procmaps__read(getpid());
	const struct lt_mapping *map;
	char exe[PATH_MAX];
	ssize_t len;

	UT_CHECK(m != NULL, "reads own maps (errno %d)", m ? 0 : errno);
	if (!m)
		return;
	map = procmaps__find(m, (uintptr_t)&main);
	UT_CHECK(map != NULL, "main is mapped");
	if (map) {
		UT_CHECK(map->exec, "main is in an executable mapping");
		len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[len > 0 ? len : 0] = '\0';
		UT_EQ_STR(map->path, exe, "main's mapping is the executable");
	}
	procmaps__free(m);

	errno = 0;
	m = procmaps__read(INT_MAX);
	UT_CHECK(!m && errno == ENOENT, "no such process: ENOENT (errno %d)", errno);
	procmaps__free(m);
}

/* One event, one read: what is held is what every reader gets, until the
 * hold ends; a read of another process, or after, reads again. */
static void test_hold(void)
{
	struct procmaps *prev = procmaps__hold(getpid());
	struct procmaps *a = procmaps__read(getpid()), *b = procmaps__read(getpid());
	struct procmaps *other = procmaps__read(getppid()), *inner, *c, *after;

	UT_CHECK(prev == NULL, "nothing held before");
	UT_CHECK(a && a == b, "two reads in one hold give the same maps");
	UT_CHECK(other && other != a, "another process's maps are read");
	inner = procmaps__hold(getppid());
	c = procmaps__read(getpid());
	UT_CHECK(inner == a && c != a, "a nested hold of another process: a read of ours reads");
	procmaps__free(c);
	procmaps__unhold(inner);
	c = procmaps__read(getpid());
	UT_CHECK(c == a, "the outer hold is back after the inner one ends");
	procmaps__free(c);
	procmaps__free(b);
	procmaps__free(other);
	/* @a outlives the hold: its reader still holds it */
	procmaps__unhold(prev);
	UT_CHECK(a->nr > 0 && procmaps__find(a, (uintptr_t)&main), "kept maps still readable");
	after = procmaps__read(getpid());
	UT_CHECK(after && after != a, "after the hold, a read reads again");
	procmaps__free(after);
	procmaps__free(a);
}

int main(void)
{
	test_parse();
	test_invalid();
	test_find();
	test_unsorted();
	test_read_self();
	test_hold();
	return ut_done();
}
