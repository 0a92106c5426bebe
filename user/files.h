/* SPDX-License-Identifier: GPL-2.0-only */
/* The one registry of the files traced processes map: a file is looked up by
 * device and inode (by path when the inode is 0) and has one entry for as
 * long as the registry lives, in which each module keeps what it knows of
 * the file (the symbolizer its Dwfl, the unwinder its rows, the syscall
 * scan the ranges read, the tracer what it probed), instead of a table of
 * its own. Lookups may come from any thread. A slot belongs to one module,
 * which orders its own accesses to it (the unwinder's thread holds its lock);
 * flags are set atomically. */
#ifndef LT_FILES_H
#define LT_FILES_H

#include <stdbool.h>
#include <sys/stat.h>
#include <linux/types.h>

struct lt_mapping;
struct files;
struct mapped_file;

/* What one module keeps of a file: a pointer, NULL until it sets one; the
 * module owns it, and hands it back with files__release(). */
enum file_slot {
	FILE_SLOT_SYM,	     /* symbolize.c: the Dwfl of the file */
	FILE_SLOT_UNW,	     /* unwind.c: its segments and rows */
	FILE_SLOT_SYSRANGES, /* syssites.c: the ranges of it scanned */
	FILE_SLOT_GLSITES,   /* attach_gl.c: the offsets in it probed */
	FILE_SLOT__NR,
};

/* What is known of a file in one bit. */
enum file_flag {
	FILE_NO_CPYTHON = 1u << 0,  /* defines no _PyRuntime (--system) */
	FILE_HEAP_LOOKED = 1u << 1, /* looked at for an allocator (--system) */
	FILE_HEAP_PROBED = 1u << 2, /* its allocator is probed */
	FILE_GL_LOOKED = 1u << 3,   /* looked at for EGL and GLX functions */
	FILE_PY_PROBED = 1u << 4,   /* its CPython probed for every process (--system) */
};

/* Returns NULL with errno set. */
struct files *files__new(void);
/* Accepts NULL. The modules must have released their slots first. */
void files__free(struct files *r);

/* The entry of the file @ino on device @dev_major:@dev_minor, or when @ino
 * is 0 (no inode to tell files apart) of the file named @path; made the
 * first time, and the same pointer for as long as @r lives. @path is kept
 * from the first lookup, for messages. Returns NULL with errno set. */
struct mapped_file *files__get(struct files *r, __u32 dev_major, __u32 dev_minor, __u64 ino,
			       const char *path);
/* The same, for the file @map maps (/proc/PID/maps' identity of it). */
struct mapped_file *files__of_mapping(struct files *r, const struct lt_mapping *map);
/* The same, for the file @st describes (fstat's identity of it, which on
 * overlayfs need not be the one maps gives: a module keys by one of them),
 * @path as the process names it. */
struct mapped_file *files__of_stat(struct files *r, const struct stat *st, const char *path);

/* Hands the value of @slot in every entry to @free_fn (unless NULL), and
 * clears it: for a module that ends before the registry. */
void files__release(struct files *r, enum file_slot slot, void (*free_fn)(void *v));
/* How many files are known. */
size_t files__count(struct files *r);

/* The module's slot of @f: *slot is NULL until the module sets it. */
void **mapped_file__slot(struct mapped_file *f, enum file_slot slot);
/* Sets @flag on @f; returns whether it was set before. */
bool mapped_file__mark(struct mapped_file *f, enum file_flag flag);
bool mapped_file__has(const struct mapped_file *f, enum file_flag flag);
/* The path of the first lookup. */
const char *mapped_file__path(const struct mapped_file *f);

#endif
