/* SPDX-License-Identifier: GPL-2.0-only */
/* Opening the -o file as root without being turned against root: a symbolic
 * link, a hard link or a file another user planted in a world-writable
 * sticky directory (/tmp) is refused, as the kernel's protected_symlinks,
 * protected_hardlinks and protected_regular would; a FIFO never blocks. */
#ifndef LT_OUTPUT_H
#define LT_OUTPUT_H

#include <stdio.h>

/* Opens @path for writing (created 0644, truncated if a regular file).
 * Returns the stream, or NULL with errno set and a reason in @why (@len
 * bytes) for a message: ELOOP, EPERM (refused as above), ENXIO (a FIFO
 * nobody reads), EISDIR, or what open(2) said. */
FILE *output__open(const char *path, char *why, size_t len);

/* The same for an option's FILE, said once when it fails: opens @path (if
 * not NULL) into *@f. Returns 0, or -1 after saying why not. */
int output__open_said(const char *path, FILE **f);

#endif
