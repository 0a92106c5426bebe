// SPDX-License-Identifier: GPL-2.0-only
/* Finds CPython in a process: of the files it maps, the one defining
 * _PyRuntime, whatever its name (python3.11, libpython3.12.so.1.0, an
 * application embedding CPython statically). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "elfsym.h"
#include "files.h"
#include "procmaps.h"
#include "python.h"

/* The address of @vaddr of the file @file maps, given the address its first
 * PT_LOAD segment (@load_vaddr, at file offset 0) is mapped at. Works for data
 * in .bss, which no file offset holds (3.8 keeps _PyRuntime there). */
static __u64 runtime_address(const struct procmaps *maps, const struct lt_mapping *file,
			     __u64 load_vaddr, __u64 vaddr)
{
	for (size_t i = 0; i < maps->nr; i++) {
		const struct lt_mapping *m = &maps->maps[i];

		if (m->inode == file->inode && m->dev_major == file->dev_major &&
		    m->dev_minor == file->dev_minor && m->offset == 0)
			return m->start + (vaddr - load_vaddr);
	}
	return 0;
}

int py_target_find(pid_t pid, struct py_target *out, unsigned int *major, unsigned int *minor)
{
	return py_target_find_known(pid, NULL, out, major, minor);
}

int py_target_find_known(pid_t pid, struct files *known, struct py_target *out, unsigned int *major,
			 unsigned int *minor)
{
	struct procmaps *maps = procmaps__read(pid);
	int err = -ENOENT;

	if (!maps)
		return errno == ENOENT ? -ESRCH : -errno;
	for (size_t i = 0; i < maps->nr && err == -ENOENT; i++) {
		const struct lt_mapping *m = &maps->maps[i];
		struct mapped_file *entry = NULL;
		struct elf_file *elf;
		struct elf_func sym, type;
		bool have_type;
		__u64 load;

		if (!m->exec || !lt_mapping__is_file(m))
			continue;
		/* without memory for an entry, the file is read again */
		if (known && m->inode)
			entry = files__of_mapping(known, m);
		if (entry && mapped_file__has(entry, FILE_NO_CPYTHON))
			continue;
		lt_mapping__open_path(pid, m, out->path, sizeof(out->path));
		elf = elf_file__open(out->path);
		if (!elf)
			continue;
		if (elf_file__find_object(elf, "_PyRuntime", &sym) ||
		    elf_file__load_vaddr(elf, &load)) {
			elf_file__free(elf);
			/* the file itself holds none, whichever process maps it */
			if (entry)
				mapped_file__mark(entry, FILE_NO_CPYTHON);
			continue;
		}
		have_type = !elf_file__find_object(elf, "PyType_Type", &type);
		elf_file__free(elf);
		snprintf(out->shown, sizeof(out->shown), "%s", m->path);
		if (py_version_of(out->path, m->path, major, minor)) {
			err = -ENOTSUP;
			*major = *minor = 0;
			break;
		}
		out->layout = py_layout_find(*major, *minor);
		out->runtime = runtime_address(maps, m, load, sym.vaddr);
		out->type_type = have_type ? runtime_address(maps, m, load, type.vaddr) : 0;
		err = !out->layout ? -ENOTSUP : out->runtime ? 0 : -ENOENT;
	}
	procmaps__free(maps);
	return err;
}
