// SPDX-License-Identifier: GPL-2.0-only
/* The functions at an address, as DWARF says (dwinline.h). */
#include <dwarf.h>
#include "dwinline.h"

const char *dw_func_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;
	const char *name;

	name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
	if (!name)
		name = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
	return name ? name : dwarf_diename(die);
}

/* How deep DIEs are followed: a traced program's DWARF can nest anything. */
#define SYM_MAX_NEST 64

/* Looks under @parent for the function that holds @pc, and in it for the
 * inlined instances that do, outermost first, into @dies (SYM_MAX_NEST), *@n
 * of them. Functions can sit in namespaces and types (Rust's, C++'s class
 * bodies from clang), which dwarf_getscopes() of elfutils 0.188 does not
 * look into. Returns true once the function is found. */
static bool find_inlined(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *dies, size_t *n,
			 unsigned int depth)
{
	Dwarf_Die child;

	if (depth >= SYM_MAX_NEST || dwarf_child(parent, &child))
		return false;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_inlined_subroutine:
			if (dwarf_haspc(&child, pc) <= 0)
				break;
			dies[(*n)++] = child;
			find_inlined(&child, pc, dies, n, depth + 1);
			return true;
		case DW_TAG_subprogram:
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
			if (dwarf_haspc(&child, pc) <= 0)
				break;
			find_inlined(&child, pc, dies, n, depth + 1);
			return true;
		case DW_TAG_namespace:
		case DW_TAG_module:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
		case DW_TAG_enumeration_type:
		case DW_TAG_interface_type:
			if (find_inlined(&child, pc, dies, n, depth + 1))
				return true;
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

size_t dw_inlined_at(Dwarf_Die *cu, Dwarf_Addr pc, Dwarf_Die *dies)
{
	Dwarf_Die found[SYM_MAX_NEST];
	size_t n = 0, i;

	find_inlined(cu, pc, found, &n, 0);
	for (i = 0; i < n && i < SYM_MAX_INLINE; i++)
		dies[i] = found[n - 1 - i];
	return i;
}
