/* SPDX-License-Identifier: GPL-2.0-only */
/* Which allocator an anonymous mapping belongs to: pymalloc's arenas and
 * glibc's heaps are mapped by the allocator for whatever it serves next, so
 * the line that happened to need a new one is no more to blame than any
 * other. Told by the function that called mmap. */
#ifndef LT_ARENA_H
#define LT_ARENA_H

enum lt_arena {
	LT_ARENA_NONE,
	LT_ARENA_PYMALLOC, /* CPython's object allocator, and its data stacks */
	LT_ARENA_GLIBC,	   /* glibc malloc's heaps for the arenas of threads */
	LT_ARENA__NR,
};

/* The allocator whose function @func (NULL: no symbol covers it) in the file
 * @module (a path, or NULL) maps its arenas, or LT_ARENA_NONE. */
enum lt_arena lt_arena_of(const char *func, const char *module);

/* Its short name for JSON ("pymalloc"), and what its mappings are, for the
 * table. */
const char *lt_arena_name(enum lt_arena a);
const char *lt_arena_what(enum lt_arena a);

/* The mapping a "pages" stack's pages are in (enum lt_page_region): its
 * short name for JSON ("heap"), NULL past the last, and what it is, for the
 * table. */
const char *lt_region_name(unsigned int region);
const char *lt_region_what(unsigned int region);

#endif
