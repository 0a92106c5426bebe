// SPDX-License-Identifier: GPL-2.0-only
/* Readable names: symbol versions cut off, C++ and Rust names demangled with
 * libiberty (Debian's libiberty-dev, a static library, so the static and
 * cross builds link it too). */
#include <stdlib.h>
#include <string.h>
#include <libiberty/demangle.h>
#include "demangle.h"

size_t lt_symbol_unversioned_len(const char *raw)
{
	const char *at = strchr(raw, '@');

	/* "@@" is the default version, "@" a hidden one; both name a version
	 * after them, and no symbol starts with one */
	if (!at || at == raw)
		return strlen(raw);
	if (at[1] == '@')
		return at[2] ? (size_t)(at - raw) : strlen(raw);
	return at[1] ? (size_t)(at - raw) : strlen(raw);
}

/* Demangles @name (unversioned), or returns NULL. */
static char *demangle(const char *name)
{
	/* types and qualifiers, as c++filt shows them; no implementation
	 * details (DMGL_VERBOSE: Rust's hashes and crate disambiguators) */
	const int opts = DMGL_PARAMS | DMGL_ANSI;
	char *out;

	if (strlen(name) > LT_DEMANGLE_MAX)
		return NULL;
	if (!strncmp(name, "_R", 2))
		return rust_demangle(name, opts);
	if (strncmp(name, "_Z", 2))
		return NULL;
	/* Rust's legacy names are Itanium names with a hash: Rust first, as
	 * libiberty's own cplus_demangle does */
	out = rust_demangle(name, opts);
	return out ? out : cplus_demangle_v3(name, opts);
}

char *lt_demangle(const char *raw)
{
	size_t len = lt_symbol_unversioned_len(raw);
	char *name, *out;

	if (!raw[len])
		return demangle(raw);
	name = strndup(raw, len);
	if (!name)
		return NULL;
	out = demangle(name);
	if (out) {
		free(name);
		return out;
	}
	return name;
}
