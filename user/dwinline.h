/* SPDX-License-Identifier: GPL-2.0-only */
/* What DWARF says about the functions at an address: the name of a function's
 * DIE, and the instances inlined at a pc, through namespaces and types, with
 * bounded nesting (a traced program's DWARF is hostile input). */
#ifndef LT_DWINLINE_H
#define LT_DWINLINE_H

#include <stddef.h>
#include <elfutils/libdw.h>

/* Inlined instances kept for one address, the innermost ones */
#define SYM_MAX_INLINE 16

/* The name of the function @die (a subprogram or an inlined instance of
 * one): its linkage name where it has one (C++, Rust), else its name. */
const char *dw_func_name(Dwarf_Die *die);

/* The inlined instances that hold @pc in unit @cu, innermost first, into
 * @dies (at most SYM_MAX_INLINE, the innermost ones). Returns how many. */
size_t dw_inlined_at(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *dies);

#endif
