/* SPDX-License-Identifier: GPL-2.0-only */
/* Which mappings are an allocator's own: by the function that called mmap,
 * and, in a stripped interpreter, by its module. */
#include "arena.h"
#include "ut.h"

int main(void)
{
	UT_EQ_INT(lt_arena_of("_PyObject_ArenaMmap", "/usr/lib/libpython3.11.so.1.0"),
		  LT_ARENA_PYMALLOC, "CPython 3.11's arena mapper");
	UT_EQ_INT(lt_arena_of("_PyMem_ArenaAlloc", "/opt/py/bin/python3.13"), LT_ARENA_PYMALLOC,
		  "CPython 3.12+'s arena mapper");
	UT_EQ_INT(lt_arena_of("alloc_new_heap", "/usr/lib/x86_64-linux-gnu/libc.so.6"),
		  LT_ARENA_GLIBC, "glibc's heap for a thread arena");
	UT_EQ_INT(lt_arena_of(NULL, "/usr/bin/python3.11"), LT_ARENA_PYMALLOC,
		  "an unnamed function of a stripped interpreter");
	UT_EQ_INT(lt_arena_of(NULL, "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0"),
		  LT_ARENA_PYMALLOC, "an unnamed function of a stripped libpython");
	UT_EQ_INT(lt_arena_of("new_mmap_object", "/usr/bin/python3.11"), LT_ARENA_NONE,
		  "the mmap module maps for the program, not for an allocator");
	UT_EQ_INT(lt_arena_of(NULL, "/usr/bin/app"), LT_ARENA_NONE,
		  "an unnamed function of a program");
	UT_EQ_INT(lt_arena_of("make_pool", "/usr/bin/app"), LT_ARENA_NONE, "a program's mapping");
	UT_EQ_INT(lt_arena_of(NULL, NULL), LT_ARENA_NONE, "nothing known");
	UT_EQ_INT(lt_arena_of(NULL, "python3"), LT_ARENA_PYMALLOC, "a module named without a path");
	UT_EQ_STR(lt_arena_name(LT_ARENA_PYMALLOC), "pymalloc", "JSON name");
	UT_EQ_STR(lt_arena_name(LT_ARENA__NR), "none", "out of range");
	return ut_done();
}
