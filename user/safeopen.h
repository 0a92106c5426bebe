/* SPDX-License-Identifier: GPL-2.0-only */
/* Opening the files a traced process names (what it maps, the debug files its
 * ELF points to), which any user controls: leaktrace runs as root, so such a
 * file must not be able to block it, redirect it or make it read without end. */
#ifndef LT_SAFEOPEN_H
#define LT_SAFEOPEN_H

/* The largest file read as ELF or debug information. */
#define LT_MAX_FILE_SIZE (8ULL << 30)

/* Opens @path for reading, without blocking: the open runs on a thread of its
 * own and is given up after a few seconds (a FIFO, a stalled FUSE daemon), a
 * symbolic link in the last component is refused (the kernel's own links
 * under /proc, exe, map_files and fd, are followed), and the result must be a
 * regular file of at most LT_MAX_FILE_SIZE bytes on a file system that is not
 * FUSE. Once an open under /proc/N/ (or in a directory) times out, later
 * ones there fail at once. Returns a file descriptor (O_CLOEXEC) or a
 * negative errno: -ELOOP a symbolic link, -EINVAL not a regular file, -EFBIG
 * too large, -EREMOTE on FUSE, -ETIMEDOUT the open did not return in time,
 * or what open(2) said. */
int lt_open_untrusted(const char *path);

/* Why lt_open_untrusted() refused: a phrase for messages, or strerror's. */
const char *lt_open_strerror(int err);

#endif
