// SPDX-License-Identifier: GPL-2.0-only
/* Linked into the static build (STATIC=1) only, in place of libdw's
 * debuginfod client (debuginfod-client.o in libdw.a, elfutils 0.178 and
 * later): that one dlopens libdebuginfod.so.1 the first time a file has no
 * local debug info, which a static glibc cannot do safely, and leaktrace
 * never goes to the network anyway (main.c unsets DEBUGINFOD_URLS). With
 * these defined, the linker never pulls that member in. The signatures are
 * elfutils' internal ones (libdwflP.h). */
#include <stddef.h>

struct Dwfl;
struct debuginfod_client;

int __libdwfl_debuginfod_find_executable(struct Dwfl *dwfl, const unsigned char *build_id,
					 size_t build_id_len);
int __libdwfl_debuginfod_find_debuginfo(struct Dwfl *dwfl, const unsigned char *build_id,
					size_t build_id_len);
void __libdwfl_debuginfod_end(struct debuginfod_client *c);

/* No file descriptor: libdw goes on as when no server has the file. */
int __libdwfl_debuginfod_find_executable(struct Dwfl *dwfl, const unsigned char *build_id,
					 size_t build_id_len)
{
	return -1;
}

int __libdwfl_debuginfod_find_debuginfo(struct Dwfl *dwfl, const unsigned char *build_id,
					size_t build_id_len)
{
	return -1;
}

void __libdwfl_debuginfod_end(struct debuginfod_client *c)
{
}
