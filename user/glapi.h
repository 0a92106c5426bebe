/* SPDX-License-Identifier: GPL-2.0-only */
/* The numbering of Mesa's GL dispatch table, read as data from a libglapi
 * file: the slot of each GL function, from the table of names that the
 * library's own _glapi_get_proc_offset() searches. Nothing in the file is
 * run, so the file may be anyone's. */
#ifndef LT_GLAPI_H
#define LT_GLAPI_H

struct elf_file;
struct glapi_index;

/* Finds the table of names and slots in libglapi @f. Returns NULL with errno
 * set: ENOENT if @f holds no such table that can be read (not Mesa's
 * libglapi, or a layout this reader does not know), or ENOMEM. */
struct glapi_index *glapi_index__read(struct elf_file *f);

/* The dispatch slot of GL function @name ("glGenTextures"), as the file's
 * _glapi_get_proc_offset() answers for it: -1 if the table has no such name.
 * Functions that drivers add at run time are not in the file: -1 too. */
int glapi_index__slot(const struct glapi_index *x, const char *name);

void glapi_index__free(struct glapi_index *x); /* accepts NULL */

#endif
