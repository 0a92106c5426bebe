// SPDX-License-Identifier: GPL-2.0-only
/* Tests for unwind.c: the table of this machine's libc, as the BPF side looks
 * rows up (a function's entry, its body, the PLT, the signal trampoline),
 * CFI that libdw must not run, and what counts as a stack's start. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>

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

/* Makes section @name of the ELF file @path SHT_NOBITS, in place: what a
 * separate debug file has, and what a hostile one may. 0 or -1. */
static int set_nobits(const char *path, const char *name)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), err = -1;
	__u32 type = SHT_NOBITS;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Ehdr eh;
	Elf *elf;

	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strcmp(n, name))
			continue;
		/* sh_type follows sh_name */
		if (pwrite(fd, &type, sizeof(type),
			   eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize + 4) == sizeof(type))
			err = 0;
		break;
	}
out:
	elf_end(elf);
	close(fd);
	return err;
}

/* Builds a one-function library whose code and CFI go on with @body (lines
 * of assembly) after its first instruction, makes its section @nobits
 * SHT_NOBITS unless NULL, and returns unwind_table__build()'s answer, or 1
 * if it could not be built. */
static int build_cfi(const char *dir, const char *name, const char *body, const char *nobits)
{
	char src[256], lib[256], cmd[1024];
	struct lt_unw_row *rows = NULL;
	size_t nr = 0;
	FILE *f;
	int fd, err;

	snprintf(src, sizeof(src), "%s/%s.s", dir, name);
	snprintf(lib, sizeof(lib), "%s/%s.so", dir, name);
	f = fopen(src, "w");
	if (!f)
		return 1;
	fprintf(f,
		"\t.text\n\t.globl f\n\t.type f, @function\nf:\n\t.cfi_startproc\n\tnop\n"
		"%s\n\tnop\n\tret\n\t.cfi_endproc\n\t.size f, .-f\n",
		body);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gcc -shared -nostdlib -o %s %s", lib, src);
	if (system(cmd) || (nobits && set_nobits(lib, nobits)))
		return 1;
	fd = open(lib, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	err = unwind_table__build(fd, &rows, &nr);
	close(fd);
	free(rows);
	unlink(src);
	unlink(lib);
	return err;
}

/* A module's CFI is checked before libdw runs it (cfi.c): one that names a
 * register past any machine's, nests remembered states too deep or has FDEs
 * too long to follow row by row is refused, and its frames are walked with
 * frame pointers. libdw 0.188 grows each frame to the highest register
 * named: DW_CFA_undefined of register 2^27 - 2 made it allocate and clear
 * 2 GiB on every lookup, 16 s for this one function (found by
 * tests/fuzz/fuzz_unwind.c). An .eh_frame_hdr without bytes (SHT_NOBITS)
 * made the table builder read through a null pointer (found so too). */
static void test_hostile_cfi(void)
{
	char dir[] = "/tmp/lt-test-unwind-XXXXXX", deep[32 + 17 * 6], *lng;
	const char step[] =
		"\tnop\n\t.cfi_adjust_cfa_offset 8\n\tnop\n\t.cfi_adjust_cfa_offset -8\n";

	if (system("command -v gcc >/dev/null 2>&1") || !mkdtemp(dir)) {
		UT_CHECK(1, "# SKIP no gcc, or no temporary directory");
		return;
	}
	UT_EQ_INT(build_cfi(dir, "plain", "", NULL), 0, "plain CFI builds");
	UT_EQ_INT(build_cfi(dir, "nobits", "", ".eh_frame_hdr"), 0,
		  "an .eh_frame_hdr without bytes is no table, and the rest builds");
	UT_EQ_INT(build_cfi(dir, "reg", "\t.cfi_escape 0x05, 0x40, 0", NULL), 0,
		  "a register < 128 builds");
	UT_EQ_INT(build_cfi(dir, "huge",
			    "\t.cfi_escape 0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, "
			    "0xff, 0x01, 0",
			    NULL),
		  -EINVAL, "register 2^64 - 1 is refused");
	UT_EQ_INT(build_cfi(dir, "big", "\t.cfi_escape 0x07, 0xfe, 0xff, 0xff, 0x3f", NULL),
		  -EINVAL, "register 2^27 - 2 (2 GiB a frame) is refused");
	/* 17 DW_CFA_remember_state */
	strcpy(deep, "\t.cfi_escape ");
	for (int i = 0; i < 17; i++)
		strcat(deep, i ? ", 0x0a" : "0x0a");
	UT_EQ_INT(build_cfi(dir, "deep", deep, NULL), -EINVAL, "17 nested states are refused");
	/* 24000 rows of 3 bytes: libdw runs the FDE from its start for each
	 * (minutes); libLLVM's longest FDE has 2.4 KB */
	lng = calloc(12000, sizeof(step));
	for (int i = 0; lng && i < 12000; i++)
		memcpy(lng + i * (sizeof(step) - 1), step, sizeof(step));
	UT_EQ_INT(lng ? build_cfi(dir, "long", lng, NULL) : 1, -E2BIG, "a 72 KB FDE is refused");
	free(lng);
	rmdir(dir);
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
	test_hostile_cfi();
	test_starts();
	return ut_done();
}
