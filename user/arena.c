// SPDX-License-Identifier: GPL-2.0-only
/* Allocators' own mappings, by the function that maps them. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "arena.h"

/* The functions that call mmap for an allocator's arena. */
static const struct {
	const char *func;
	enum lt_arena arena;
} mappers[] = {
	/* CPython 3.4-3.11; 3.12 renamed it. Data stacks (3.11+) come
	 * through it too, by _PyObject_VirtualAlloc. */
	{ "_PyObject_ArenaMmap", LT_ARENA_PYMALLOC },
	{ "_PyMem_ArenaAlloc", LT_ARENA_PYMALLOC },
	/* glibc 2.35+ (malloc/arena.c), and new_heap before it */
	{ "alloc_new_heap", LT_ARENA_GLIBC },
	{ "new_heap", LT_ARENA_GLIBC },
};

static const char *const names[LT_ARENA__NR] = {
	[LT_ARENA_PYMALLOC] = "pymalloc",
	[LT_ARENA_GLIBC] = "glibc",
};

static const char *const whats[LT_ARENA__NR] = {
	[LT_ARENA_PYMALLOC] = "pymalloc arenas (CPython's object allocator)",
	[LT_ARENA_GLIBC] = "glibc malloc heaps (the arenas of threads)",
};

/* Whether @module is CPython's interpreter: python3.11, libpython3.11.so.1.0. */
static bool is_interpreter(const char *module)
{
	const char *base = module ? strrchr(module, '/') : NULL;

	base = base ? base + 1 : module;
	return base && (!strncmp(base, "python", 6) || !strncmp(base, "libpython", 9));
}

enum lt_arena lt_arena_of(const char *func, const char *module)
{
	if (!func) {
		/* A stripped interpreter (Debian's python3) names none of its
		 * static functions. The core calls mmap for its allocators
		 * alone (arenas, data stacks); the mmap module, where a program
		 * maps memory of its own, is an extension module there. */
		return is_interpreter(module) ? LT_ARENA_PYMALLOC : LT_ARENA_NONE;
	}
	for (size_t i = 0; i < sizeof(mappers) / sizeof(mappers[0]); i++)
		if (!strcmp(func, mappers[i].func))
			return mappers[i].arena;
	return LT_ARENA_NONE;
}

const char *lt_arena_name(enum lt_arena a)
{
	return a > LT_ARENA_NONE && a < LT_ARENA__NR ? names[a] : "none";
}

const char *lt_arena_what(enum lt_arena a)
{
	return a > LT_ARENA_NONE && a < LT_ARENA__NR ? whats[a] : "none";
}

static const char *const region_names[LT_REGION__NR] = {
	[LT_REGION_ANON] = "anon",
	[LT_REGION_HEAP] = "heap",
	[LT_REGION_STACK] = "stack",
};

static const char *const region_whats[LT_REGION__NR] = {
	[LT_REGION_ANON] = "pages of anonymous mappings (mmap, arenas, thread stacks)",
	[LT_REGION_HEAP] = "pages of the brk heap, [heap]",
	[LT_REGION_STACK] = "pages of the main thread's stack, [stack]",
};

const char *lt_region_name(unsigned int region)
{
	return region < LT_REGION__NR ? region_names[region] : NULL;
}

const char *lt_region_what(unsigned int region)
{
	return region < LT_REGION__NR ? region_whats[region] : NULL;
}
