/* SPDX-License-Identifier: GPL-2.0-only */
/* Reading an ELF file: function and data symbols by name, code bytes, the
 * entry point, and the translation between virtual addresses and file offsets.
 * Uses libelf. */
#ifndef LT_ELFSYM_H
#define LT_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <libelf.h>
#include <linux/types.h>

struct elf_file;

struct elf_func {
	__u64 vaddr;  /* st_value */
	__u64 size;   /* st_size, 0 if unknown */
	__u64 offset; /* file offset of the first byte: what uprobes attach to */
};

/* Opens the ELF file at @path, a regular file (the open never waits, should
 * the path name a FIFO). Returns NULL with errno set (ENOEXEC: not an ELF
 * file, or not a regular file; EISDIR: a directory). */
struct elf_file *elf_file__open(const char *path);
void elf_file__free(struct elf_file *f); /* accepts NULL */

/* Finds a defined function named @name (versioned names such as
 * "malloc@@GLIBC_2.2.5" match "malloc"), in .dynsym first, then .symtab.
 * GNU indirect functions are not returned: their address is the resolver.
 * Returns 0, -ENOENT if there is none, or another negative errno. */
int elf_file__find_func(struct elf_file *f, const char *name, struct elf_func *out);

/* Finds a defined data object (STT_OBJECT) named @name, global or weak, in
 * .dynsym first, then .symtab; versioned names match as for functions. Fills
 * @out->offset with the file offset of its first byte, or 0 when its bytes
 * are not in the file (.bss). Returns 0, -ENOENT if there is none, or another
 * negative errno. */
int elf_file__find_object(struct elf_file *f, const char *name, struct elf_func *out);

/* True if @name is a defined function in the dynamic symbol table: what the
 * dynamic linker can bind other objects' calls to. */
bool elf_file__exports(struct elf_file *f, const char *name);

/* Copies up to @len bytes at file offset @offset into @buf; returns the number
 * copied or a negative errno. */
long elf_file__read(struct elf_file *f, __u64 offset, void *buf, size_t len);

/* The entry point's virtual address (e_entry), and the file offset of a
 * virtual address inside a PT_LOAD segment (-ENOENT if none holds it). */
__u64 elf_file__entry(struct elf_file *f);
int elf_file__vaddr_to_offset(struct elf_file *f, __u64 vaddr, __u64 *offset);

/* The virtual address of the first PT_LOAD segment's first byte, rounded
 * down to its page: where the mapping at file offset 0 starts, minus the load
 * bias. Returns 0 and sets *@vaddr, or -ENOENT if there is no PT_LOAD. */
int elf_file__load_vaddr(struct elf_file *f, __u64 *vaddr);

struct elf_segment {
	__u64 vaddr;
	__u64 offset; /* of its first byte in the file */
	__u64 filesz; /* bytes in the file (p_filesz; .bss has none) */
	bool write;
	bool exec;
};

/* The @i-th PT_LOAD segment, counting from 0. Returns 0 and fills @out, or
 * -ENOENT past the last one. */
int elf_file__load_segment(struct elf_file *f, size_t i, struct elf_segment *out);

/* The PT_LOAD segments of @elf, in the order of its program headers, into
 * *@segs (malloc'd, the caller frees; NULL when there are none) and *@nr:
 * the one reader of them, for an ELF file opened here or by libdwfl.
 * Returns 0, -EINVAL when the program headers cannot be read, or -ENOMEM. */
int elf_segments__read(Elf *elf, struct elf_segment **segs, size_t *nr);

/* The segment of @segs that holds file offset @off in its bytes, or NULL. */
const struct elf_segment *elf_segments__at_offset(const struct elf_segment *segs, size_t nr,
						  __u64 off);

/* The virtual address of the GOT slot that the dynamic linker fills with the
 * thread-pointer offset of TLS variable @name (an initial-exec TPOFF
 * relocation): read it in a process to find the variable in any of its
 * threads. Returns 0 and sets *@vaddr, or -ENOENT. */
int elf_file__tls_slot(struct elf_file *f, const char *name, __u64 *vaddr);

/* True if the file names a program interpreter (PT_INTERP): it is linked
 * dynamically, and libraries are mapped before its entry point runs. */
bool elf_file__has_interp(struct elf_file *f);

/* e_machine, to check that a file is for the architecture we run on. */
unsigned int elf_file__machine(struct elf_file *f);

#endif
