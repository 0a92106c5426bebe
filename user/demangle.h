/* SPDX-License-Identifier: GPL-2.0-only */
/* Readable function names from ELF symbols and DWARF linkage names: the
 * symbol version cut off, C++ (Itanium ABI) and Rust (legacy and v0) names
 * demangled, by libiberty, the demangler of binutils and GCC. */
#ifndef LT_DEMANGLE_H
#define LT_DEMANGLE_H

#include <stddef.h>

/* The longest mangled name demangled: libiberty's C++ demangler keeps arrays
 * on the stack in proportion to the name's length, and the name is a traced
 * program's. Longer names are shown as they are. */
#define LT_DEMANGLE_MAX 4096

/* The length of @raw without its ELF symbol version ("memcpy@@GLIBC_2.14",
 * "realpath@GLIBC_2.2.5" as .symtab spells them). */
size_t lt_symbol_unversioned_len(const char *raw);

/* The readable name of symbol @raw: unversioned, and demangled when it is a
 * C++ or Rust name. Returns a string to free(), or NULL when the readable
 * name is @raw itself, or when out of memory (then @raw is the best there
 * is). */
char *lt_demangle(const char *raw);

#endif
