// SPDX-License-Identifier: GPL-2.0-only
/* The registry of mapped files: one entry per (dev, ino), by path when the
 * inode is 0; entries that stay put as the table grows; the modules' slots
 * and flags; release of a slot; lookups from several threads at once; and
 * the modules that keep their facts in it (the CPython search). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "files.h"
#include "procmaps.h"
#include "python.h"
#include "ut.h"

static void test_identity(void)
{
	struct files *r = files__new();
	struct mapped_file *a, *b, *c, *d, *e;

	UT_CHECK(r != NULL, "files__new");
	if (!r)
		return;
	a = files__get(r, 8, 1, 1234, "/usr/lib/libc.so.6");
	b = files__get(r, 8, 1, 1234, "/other/name/of/it");
	c = files__get(r, 8, 2, 1234, "/usr/lib/libc.so.6");
	d = files__get(r, 8, 1, 1235, "/usr/lib/libc.so.6");
	UT_CHECK(a && a == b, "the same device and inode: one entry, whatever the path");
	UT_CHECK(c && c != a, "another device: another entry");
	UT_CHECK(d && d != a && d != c, "another inode: another entry");
	UT_EQ_STR(mapped_file__path(a), "/usr/lib/libc.so.6", "the path of the first lookup");

	/* no inode: the path tells files apart, and the device does not */
	a = files__get(r, 0, 5, 0, "/memfd:x");
	b = files__get(r, 0, 6, 0, "/memfd:x");
	c = files__get(r, 0, 5, 0, "/memfd:y");
	e = files__get(r, 0, 5, 1, "/memfd:x");
	UT_CHECK(a && a == b, "inode 0: one entry per path");
	UT_CHECK(c && c != a, "inode 0: another path, another entry");
	UT_CHECK(e && e != a, "an inode and none are not the same file");
	UT_EQ_INT(files__count(r), 6, "six files known");
	a = files__get(r, 0, 0, 0, NULL);
	UT_CHECK(a && a == files__get(r, 0, 0, 0, ""), "no path: the empty one");
	files__free(r);
	files__free(NULL);
}

/* /proc/PID/maps and fstat name the same file alike (here, where no
 * overlayfs stands between them). */
static void test_mapping_and_stat(void)
{
	struct files *r = files__new();
	struct procmaps *maps = procmaps__read(getpid());
	struct mapped_file *by_map = NULL, *by_stat;
	char path[PATH_MAX];
	struct stat st;

	UT_CHECK(r && maps, "files__new, procmaps__read");
	if (!r || !maps)
		goto cleanup;
	for (size_t i = 0; i < maps->nr && !by_map; i++) {
		const struct lt_mapping *m = &maps->maps[i];

		if (!m->exec || !lt_mapping__is_file(m) || !m->inode)
			continue;
		lt_mapping__open_path(getpid(), m, path, sizeof(path));
		if (stat(path, &st) || st.st_ino != m->inode || major(st.st_dev) != m->dev_major ||
		    minor(st.st_dev) != m->dev_minor)
			continue;
		by_map = files__of_mapping(r, m);
		by_stat = files__of_stat(r, &st, "/elsewhere");
		UT_CHECK(by_map && by_map == by_stat, "%s: one entry by maps and by stat", m->path);
		UT_EQ_STR(mapped_file__path(by_stat), m->path, "the path maps gave");
	}
	if (!by_map)
		ut_skip("maps and stat agree", "no mapped file whose stat matches maps here");
cleanup:
	procmaps__free(maps);
	files__free(r);
}

static int nr_freed;

static void count_free(void *v)
{
	nr_freed++;
	free(v);
}

static void test_slots_and_flags(void)
{
	struct files *r = files__new();
	struct mapped_file *a, *b;
	void **slot;

	UT_CHECK(r != NULL, "files__new");
	if (!r)
		return;
	a = files__get(r, 1, 2, 3, "/a");
	b = files__get(r, 1, 2, 4, "/b");
	if (!a || !b) {
		UT_CHECK(0, "files__get");
		files__free(r);
		return;
	}
	for (int i = 0; i < FILE_SLOT__NR; i++)
		UT_CHECK(!*mapped_file__slot(a, i), "slot %d starts empty", i);
	slot = mapped_file__slot(a, FILE_SLOT_UNW);
	*slot = malloc(16);
	*mapped_file__slot(b, FILE_SLOT_UNW) = malloc(16);
	*mapped_file__slot(a, FILE_SLOT_SYM) = malloc(16);
	UT_CHECK(*mapped_file__slot(files__get(r, 1, 2, 3, "/a"), FILE_SLOT_UNW) == *slot,
		 "a slot stays with its entry");

	UT_CHECK(!mapped_file__has(a, FILE_NO_CPYTHON), "no flag set at first");
	UT_CHECK(!mapped_file__mark(a, FILE_NO_CPYTHON), "mark: was not set");
	UT_CHECK(mapped_file__mark(a, FILE_NO_CPYTHON), "mark again: was set");
	UT_CHECK(mapped_file__has(a, FILE_NO_CPYTHON), "has it");
	UT_CHECK(!mapped_file__has(a, FILE_HEAP_PROBED), "and no other");
	UT_CHECK(!mapped_file__has(b, FILE_NO_CPYTHON), "nor has another file");

	/* a module that ends hands back its slot, the others' stay */
	files__release(r, FILE_SLOT_UNW, count_free);
	UT_EQ_INT(nr_freed, 2, "each value of the slot freed once");
	UT_CHECK(!*mapped_file__slot(a, FILE_SLOT_UNW) && !*mapped_file__slot(b, FILE_SLOT_UNW),
		 "and cleared");
	UT_CHECK(*mapped_file__slot(a, FILE_SLOT_SYM) != NULL, "another module's slot stays");
	files__release(r, FILE_SLOT_UNW, count_free);
	UT_EQ_INT(nr_freed, 2, "a released slot frees nothing twice");
	files__release(r, FILE_SLOT_SYM, count_free);
	UT_EQ_INT(nr_freed, 3, "the other module's too");
	UT_CHECK(mapped_file__has(a, FILE_NO_CPYTHON), "flags outlive the slots");
	files__release(NULL, FILE_SLOT_SYM, count_free);
	files__free(r);
}

/* Entries do not move as the table grows: modules keep pointers to them. */
static void test_growth(void)
{
	enum {
		N = 20000
	};
	struct mapped_file **seen = calloc(N, sizeof(*seen));
	struct files *r = files__new();
	size_t same = 0;

	UT_CHECK(r && seen, "files__new");
	if (!r || !seen)
		goto cleanup;
	for (size_t i = 0; i < N; i++)
		seen[i] = files__get(r, 8, (__u32)(i % 7), i + 1, "/f");
	for (size_t i = 0; i < N; i++)
		same += seen[i] && files__get(r, 8, (__u32)(i % 7), i + 1, "/g") == seen[i];
	UT_EQ_INT(same, N, "every entry found again, where it was");
	UT_EQ_INT(files__count(r), N, "one entry each");
cleanup:
	free(seen);
	files__free(r);
}

/* The unwinder's thread looks files up while the main thread does. */
enum {
	THREADS = 4,
	KEYS = 3000
};

struct racer {
	struct files *r;
	struct mapped_file *got[KEYS];
	unsigned int seed;
};

static void *race(void *arg)
{
	struct racer *rc = arg;

	for (int round = 0; round < 3; round++) {
		for (size_t k = 0; k < KEYS; k++) {
			size_t i = (k * 7 + rc->seed) % KEYS;
			struct mapped_file *f = files__get(rc->r, 1, 1, i + 1, "/r");

			if (!rc->got[i])
				rc->got[i] = f;
			else if (rc->got[i] != f)
				rc->got[i] = (void *)1;
		}
	}
	return NULL;
}

static void test_threads(void)
{
	static struct racer rcs[THREADS];
	struct files *r = files__new();
	pthread_t th[THREADS];
	size_t agree = 0;
	int started = 0;

	UT_CHECK(r != NULL, "files__new");
	if (!r)
		return;
	for (int i = 0; i < THREADS; i++) {
		rcs[i] = (struct racer){ .r = r, .seed = (unsigned int)i * 977 };
		started += !pthread_create(&th[i], NULL, race, &rcs[i]);
	}
	UT_EQ_INT(started, THREADS, "threads started");
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (size_t k = 0; k < KEYS; k++) {
		bool ok = rcs[0].got[k] && rcs[0].got[k] != (void *)1;

		for (int i = 1; i < started; i++)
			ok &= rcs[i].got[k] == rcs[0].got[k];
		agree += ok;
	}
	UT_EQ_INT(agree, KEYS, "every thread got the one entry of each file");
	UT_EQ_INT(files__count(r), KEYS, "none made twice");
	files__free(r);
}

/* The CPython search marks the files that hold none, for the next process
 * that maps them; this test program runs no CPython. */
static void test_no_cpython(void)
{
	struct files *r = files__new();
	struct procmaps *maps = procmaps__read(getpid());
	unsigned int major, minor;
	struct py_target py;
	size_t marked = 0, files = 0;

	UT_CHECK(r && maps, "files__new, procmaps__read");
	if (!r || !maps)
		goto cleanup;
	UT_EQ_INT(py_target_find_known(getpid(), r, &py, &major, &minor), -ENOENT,
		  "no CPython here");
	for (size_t i = 0; i < maps->nr; i++) {
		const struct lt_mapping *m = &maps->maps[i];
		struct mapped_file *f;

		if (!m->exec || !lt_mapping__is_file(m) || !m->inode)
			continue;
		f = files__of_mapping(r, m);
		files++;
		marked += f && mapped_file__has(f, FILE_NO_CPYTHON);
	}
	UT_CHECK(files > 0, "this process maps files with code (%zu)", files);
	UT_EQ_INT(marked, files, "each marked as holding no CPython");
	UT_EQ_INT(py_target_find_known(getpid(), r, &py, &major, &minor), -ENOENT,
		  "and skipped the second time, with the same answer");
cleanup:
	procmaps__free(maps);
	files__free(r);
}

int main(void)
{
	test_identity();
	test_mapping_and_stat();
	test_slots_and_flags();
	test_growth();
	test_threads();
	test_no_cpython();
	return ut_done();
}
