// SPDX-License-Identifier: GPL-2.0-only
/* Tests for unwind.c: the table of this machine's libc, as the BPF side looks
 * rows up (a function's entry, its body, the PLT, the signal trampoline), and
 * what counts as a stack's start. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "elfsym.h"
#include "unwind.h"
#include "ut.h"

#define LIBC_PATH "/lib/x86_64-linux-gnu/libc.so.6"

/* The table of a file the tests build, with or without frame pointers. */
static void test_keeps_fp(const char *path, bool want)
{
	struct lt_unw_row *rows = NULL;
	size_t nr = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	UT_CHECK(fd >= 0, "%s is there (make workloads)", path);
	if (fd < 0)
		return;
	err = unwind_table__build(fd, &rows, &nr);
	close(fd);
	UT_EQ_INT(err, 0, "its table is built");
	UT_CHECK(unwind_table__keeps_fp(rows, nr) == want, "%s %s frame pointers", path,
		 want ? "keeps" : "does not keep");
	free(rows);
}

static void test_libc(void)
{
	struct lt_unw_row *rows = NULL;
	const struct lt_unw_row *r;
	struct elf_file *elf;
	struct elf_func fn;
	size_t nr = 0, i, kinds[LT_UNW_END + 1] = { 0 };
	bool sorted = true;
	int fd, err;

	fd = open(LIBC_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ut_skip("libc's unwind table", "cannot open %s: %s", LIBC_PATH, strerror(errno));
		return;
	}
	err = unwind_table__build(fd, &rows, &nr);
	close(fd);
	UT_EQ_INT(err, 0, "libc's table is built");
	UT_CHECK(nr > 1000, "libc's table has %zu rows", nr);
	for (i = 0; i < nr; i++) {
		if (i && rows[i].pc <= rows[i - 1].pc)
			sorted = false;
		if (rows[i].cfa <= LT_UNW_END)
			kinds[rows[i].cfa]++;
	}
	UT_CHECK(sorted, "rows strictly sorted by address");
	UT_CHECK(kinds[LT_UNW_SIGNAL] == 1, "one signal trampoline row (__restore_rt): %zu",
		 kinds[LT_UNW_SIGNAL]);
	UT_CHECK(kinds[LT_UNW_PLT] >= 1, "a .plt row");
	UT_CHECK(kinds[LT_UNW_NONE] >= 1, "gaps between functions are marked");
	UT_CHECK(!unwind_table__keeps_fp(rows, nr), "libc (built without) keeps no frame pointers");

	elf = elf_file__open(LIBC_PATH);
	UT_CHECK(elf && !elf_file__find_func(elf, "malloc", &fn), "malloc found in libc");
	if (elf && !elf_file__find_func(elf, "malloc", &fn)) {
		/* at the entry the return address is the word at rsp */
		r = unwind_table__find(rows, nr, fn.vaddr);
		UT_CHECK(r && r->cfa == LT_UNW_RSP && r->cfa_off == 1 && !r->rbp_off,
			 "malloc's entry: CFA = rsp + 8");
		/* glibc 2.36's malloc pushes r12, rbp, rbx and subtracts 0x10 first */
		r = unwind_table__find(rows, nr, fn.vaddr + 12);
		UT_CHECK(r && r->cfa == LT_UNW_RSP && r->cfa_off == 6,
			 "malloc's body: CFA = rsp + 48");
	}
	elf_file__free(elf);
	UT_CHECK(unwind_table__find(rows, nr, 0) == NULL || rows[0].pc == 0,
		 "nothing below the first row");
	free(rows);
}

static void test_not_elf(void)
{
	struct lt_unw_row *rows = NULL;
	size_t nr = 0;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	UT_CHECK(unwind_table__build(fd, &rows, &nr) < 0 && !rows, "a file that is no ELF fails");
	close(fd);
}

static void test_starts(void)
{
	UT_CHECK(unwind_is_start("main"), "main");
	UT_CHECK(unwind_is_start("__libc_start_main@@GLIBC_2.34"), "versioned libc start");
	UT_CHECK(unwind_is_start("__libc_start_call_main"), "__libc_start_call_main");
	UT_CHECK(unwind_is_start("start_thread"), "start_thread");
	UT_CHECK(unwind_is_start("__clone3"), "__clone3");
	UT_CHECK(!unwind_is_start("mainloop"), "not mainloop");
	UT_CHECK(!unwind_is_start("__clone_internal"), "not __clone_internal");
	UT_CHECK(!unwind_is_start(NULL), "not an unnamed frame");
}

int main(void)
{
	test_libc();
	/* run from the repository root, after make workloads */
	test_keeps_fp(".output/workloads/leaky", true);
	test_keeps_fp(".output/workloads/unwind", false);
	test_keeps_fp(".output/workloads/libunwa.so", false);
	test_not_elf();
	test_starts();
	return ut_done();
}
