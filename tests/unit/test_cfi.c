// SPDX-License-Identifier: GPL-2.0-only
/* Tests for cfi.c's decoder of CFA rules, the one that the unwind tables and
 * the symbolizer's syscall wrappers read: the rules of this machine's libc
 * at known places (a function's entry and body, the PLT, the signal
 * trampoline), a program built with frame pointers, and the checked copy
 * against libdw's own view of the same file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gelf.h>

#include "cfi.h"
#include "elfsym.h"
#include "unwind.h"
#include "ut.h"

#define LIBC_PATH "/lib/x86_64-linux-gnu/libc.so.6"
#define FP_PATH ".output/workloads/leaky" /* built with frame pointers */

/* x86-64's DWARF register numbers */
#define RBP 6
#define RSP 7
#define RIP 16

struct module {
	int fd;
	Elf *elf;
	struct cfi *cfi;
};

static bool module__open(struct module *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		return false;
	elf_version(EV_CURRENT);
	m->elf = elf_begin(m->fd, ELF_C_READ_MMAP, NULL);
	m->cfi = m->elf ? cfi__open(m->elf) : NULL;
	return m->cfi;
}

static void module__close(struct module *m)
{
	cfi__free(m->cfi);
	elf_end(m->elf);
	if (m->fd >= 0)
		close(m->fd);
}

static bool row__same(const struct cfi_row *a, const struct cfi_row *b)
{
	return a->start == b->start && a->end == b->end && a->ra_reg == b->ra_reg &&
	       a->cfa == b->cfa && a->cfa_reg == b->cfa_reg && a->cfa_off == b->cfa_off &&
	       a->ra == b->ra && a->fp == b->fp && a->ra_off == b->ra_off && a->fp_off == b->fp_off;
}

/* The first row of @rows of kind @cfa, or NULL. */
static const struct lt_unw_row *row_of_kind(const struct lt_unw_row *rows, size_t nr, int cfa)
{
	for (size_t i = 0; i < nr; i++) {
		if (rows[i].cfa == cfa)
			return &rows[i];
	}
	return NULL;
}

static void test_libc(void)
{
	struct lt_unw_row *rows = NULL;
	const struct lt_unw_row *u;
	struct elf_file *ef;
	struct cfi_row row;
	struct elf_func fn;
	struct module m;
	size_t nr = 0;
	int err;

	if (!module__open(&m, LIBC_PATH)) {
		ut_skip("libc's CFI", "cannot read %s: %s", LIBC_PATH, strerror(errno));
		module__close(&m);
		return;
	}
	ef = elf_file__open(LIBC_PATH);
	UT_CHECK(ef && !elf_file__find_func(ef, "malloc", &fn), "malloc found in libc");
	if (ef && !elf_file__find_func(ef, "malloc", &fn)) {
		err = cfi__row(m.cfi, fn.vaddr, RBP, &row);
		UT_EQ_INT(err, 0, "a row at malloc's entry");
		UT_CHECK(row.start <= fn.vaddr && fn.vaddr < row.end, "it covers the address");
		UT_EQ_INT(row.ra_reg, RIP, "the return address is rip's");
		UT_CHECK(row.cfa == CFI_CFA_REG && row.cfa_reg == RSP && row.cfa_off == 8,
			 "malloc's entry: CFA = rsp + 8");
		UT_CHECK(row.ra == CFI_REG_AT_CFA && row.ra_off == -8, "return address at CFA - 8");
		UT_EQ_INT(row.fp, CFI_REG_SAME, "rbp still holds the caller's frame pointer");

		/* glibc 2.36's malloc pushes r12, rbp, rbx and subtracts 0x10 first */
		err = cfi__row(m.cfi, fn.vaddr + 12, RBP, &row);
		UT_CHECK(!err && row.cfa == CFI_CFA_REG && row.cfa_reg == RSP && row.cfa_off == 48,
			 "malloc's body: CFA = rsp + 48");
		UT_CHECK(row.fp == CFI_REG_AT_CFA && row.fp_off == -24, "rbp saved at CFA - 24");
		err = cfi__row(m.cfi, fn.vaddr + 12, /*fp_reg=*/-1, &row);
		UT_CHECK(!err && row.fp == CFI_REG_OTHER, "no frame pointer register: no rule");
	}
	elf_file__free(ef);

	/* the places that have rules of their own, found by the unwind table */
	lseek(m.fd, 0, SEEK_SET);
	err = unwind_table__build(m.fd, &rows, &nr);
	UT_EQ_INT(err, 0, "libc's unwind table is built");
	u = row_of_kind(rows, nr, LT_UNW_SIGNAL);
	err = u ? cfi__row(m.cfi, u->pc, RBP, &row) : -ENOENT;
	UT_CHECK(!err && row.cfa == CFI_CFA_DEREF && row.cfa_reg == RSP && row.cfa_off == 160,
		 "__restore_rt: CFA = *(rsp + 160)");
	u = row_of_kind(rows, nr, LT_UNW_PLT);
	err = u ? cfi__row(m.cfi, u->pc, RBP, &row) : -ENOENT;
	UT_CHECK(!err && row.cfa == CFI_CFA_PLT && row.cfa_reg == RSP &&
			 row.cfa_off == u->rbp_off && row.cfa_off >= 0 && row.cfa_off < 16,
		 ".plt: the rule binutils writes, threshold %lld", (long long)row.cfa_off);
	free(rows);

	UT_EQ_INT(cfi__row(m.cfi, 0xffffffff00000000ULL, RBP, &row), -ENOENT,
		  "no rule for an address outside the module");
	UT_EQ_INT(cfi_row__find(NULL, 0, RBP, &row), -ENOENT, "no CFI: no rule");
	module__close(&m);
}

/* The checked copy and libdw's own CFI of the file decode alike at every
 * function the dynamic symbol table names. */
static void test_copy_as_original(void)
{
	struct cfi_row a, b;
	struct module m;
	size_t n = 0, same = 0, found = 0;
	Elf_Scn *scn = NULL;
	Dwarf_CFI *orig;

	if (!module__open(&m, LIBC_PATH)) {
		ut_skip("libc's CFI", "cannot read %s: %s", LIBC_PATH, strerror(errno));
		module__close(&m);
		return;
	}
	orig = dwarf_getcfi_elf(m.elf);
	UT_CHECK(orig, "libdw reads libc's .eh_frame");
	while (orig && (scn = elf_nextscn(m.elf, scn))) {
		Elf_Data *d = elf_getdata(scn, NULL);
		GElf_Shdr sh;
		GElf_Sym sym;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			if (!gelf_getsym(d, (int)i, &sym) ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF)
				continue;
			for (__u64 off = 0; off < 16 && off < sym.st_size; off += 4) {
				int ea = cfi__row(m.cfi, sym.st_value + off, RBP, &a);
				int eb = cfi_row__find(orig, sym.st_value + off, RBP, &b);

				n++;
				found += !ea;
				same += ea == eb && (ea || row__same(&a, &b));
			}
		}
	}
	UT_CHECK(n > 1000 && found * 10 > n * 9, "rules found at %zu of %zu addresses", found, n);
	UT_EQ_INT(same, n, "the checked copy decodes as the file's own CFI");
	if (orig)
		dwarf_cfi_end(orig);
	module__close(&m);
}

/* Code built with frame pointers: between prologue and epilogue, CFA =
 * rbp + 16 with rbp saved at CFA - 16. */
static void test_frame_pointers(void)
{
	struct elf_file *ef = elf_file__open(FP_PATH);
	struct cfi_row row;
	struct elf_func fn;
	struct module m;
	bool seen = false, right = true, ok = module__open(&m, FP_PATH) && ef;

	UT_CHECK(ok, "%s is there (make workloads)", FP_PATH);
	if (ok && !elf_file__find_func(ef, "main", &fn)) {
		for (__u64 pc = fn.vaddr; pc < fn.vaddr + fn.size; pc++) {
			if (cfi__row(m.cfi, pc, RBP, &row) || row.cfa != CFI_CFA_REG ||
			    row.cfa_reg != RBP)
				continue;
			seen = true;
			if (row.cfa_off != 16 || row.fp != CFI_REG_AT_CFA || row.fp_off != -16 ||
			    row.ra != CFI_REG_AT_CFA || row.ra_off != -8)
				right = false;
		}
	}
	UT_CHECK(seen && right, "main's body: CFA = rbp + 16, rbp at CFA - 16, RA at CFA - 8");
	module__close(&m);
	elf_file__free(ef);
}

int main(void)
{
	test_libc();
	test_copy_as_original();
	test_frame_pointers();
	return ut_done();
}
