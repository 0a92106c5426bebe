/* SPDX-License-Identifier: GPL-2.0-only */
/* A program that embeds CPython through the shared libpython (Debian's
 * libpython3.11.so), as an application with a Python plug-in would: the
 * interpreter's runtime is in the library, not in the executable.
 *
 *   pyembed [PYTHON-OPTIONS] SCRIPT [ARG...]    the same as python3 SCRIPT ARG...
 *
 * Built without sanitizers, like every workload. */
#include <Python.h>

int main(int argc, char **argv)
{
	return Py_BytesMain(argc, argv);
}
