// SPDX-License-Identifier: GPL-2.0-only
/* Fuzzes the ELF symbol and TLS reader (user/elfsym.c) and, over it, the
 * CPython version check (py_version_of() in user/pylayout.c): the input is an
 * ELF file, given to elf_file__open() as a memory file. A traced process
 * chooses the files it maps, so their headers, tables and strings are all
 * hostile. The lookups are the ones leaktrace makes. */
#include <stdio.h>
#include "elfsym.h"
#include "pylayout.h"
#include "fuzz.h"

static const char *const funcs[] = { "malloc", "free", "calloc", "PyObject_Malloc" };

static void check_func(struct elf_file *f, const struct elf_func *fn)
{
	unsigned char code[16];
	__u64 offset;

	FUZZ_ASSERT(!elf_file__vaddr_to_offset(f, fn->vaddr, &offset) && offset == fn->offset);
	elf_file__read(f, fn->offset, code, sizeof(code));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int major, minor;
	struct elf_file *f;
	struct elf_func fn;
	char path[64];
	__u64 vaddr;
	int fd;

	fd = fuzz_memfd(data, size);
	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	f = elf_file__open(path);
	if (!f)
		return 0;
	for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		if (!elf_file__find_func(f, funcs[i], &fn))
			check_func(f, &fn);
		elf_file__exports(f, funcs[i]);
	}
	if (!elf_file__find_object(f, "_PyRuntime", &fn) && fn.offset) {
		__u64 offset;

		FUZZ_ASSERT(!elf_file__vaddr_to_offset(f, fn.vaddr, &offset) &&
			    offset == fn.offset);
	}
	elf_file__tls_slot(f, "_glapi_tls_Dispatch", &vaddr);
	elf_file__load_vaddr(f, &vaddr);
	elf_file__vaddr_to_offset(f, elf_file__entry(f), &vaddr);
	elf_file__has_interp(f);
	elf_file__machine(f);
	elf_file__free(f);

	if (!py_version_of(path, NULL, &major, &minor))
		FUZZ_ASSERT(major && major <= 255 && minor <= 255);
	return 0;
}
