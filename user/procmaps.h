/* SPDX-License-Identifier: GPL-2.0-only */
/* A process's memory mappings, from /proc/PID/maps, and the translation of a
 * runtime address into a file offset. */
#ifndef LT_PROCMAPS_H
#define LT_PROCMAPS_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

struct lt_mapping {
	__u64 start; /* [start, end) */
	__u64 end;
	__u64 offset; /* file offset of start */
	__u64 inode;
	__u32 dev_major;
	__u32 dev_minor;
	bool read, write, exec, shared;
	bool deleted; /* the path ended in " (deleted)", which is stripped */
	char *path;   /* "" for anonymous; "[heap]", "[stack]", "[vdso]"... as given */
};

struct procmaps {
	struct lt_mapping *maps; /* sorted by start, as the kernel lists them */
	size_t nr;
	char *text; /* what was read: the paths point into it */
	pid_t pid;  /* whose: 0 for parsed text */
	int refs;   /* holders beyond the first: procmaps__free() drops one */
};

/* Reads /proc/@pid/maps, or gives the maps held for @pid (procmaps__hold()).
 * Read only: the same maps may be given to several callers. Returns NULL with
 * errno set (ENOENT: no such process). */
struct procmaps *procmaps__read(pid_t pid);

/* For the time of one event of process @pid (it is seen, it is ready, it
 * mapped new code), on this thread: reads its maps once, and every
 * procmaps__read(@pid) until procmaps__unhold() gives them, whichever
 * module asks. Holds nest: the one before comes back at unhold. */
struct procmaps *procmaps__hold(pid_t pid);
void procmaps__unhold(struct procmaps *prev);

/* Whether @pid is a kernel thread (PF_KTHREAD in /proc/PID/stat): no user
 * space to probe. 1, 0, or -ESRCH when there is no such process. */
int lt_pid_is_kthread(pid_t pid);
/* Parses maps text, for fixtures. Returns NULL with errno set (EINVAL: a line
 * could not be parsed). */
struct procmaps *procmaps__parse(FILE *f);
void procmaps__free(struct procmaps *m); /* accepts NULL */

/* The mapping covering @addr, or NULL. */
const struct lt_mapping *procmaps__find(const struct procmaps *m, __u64 addr);

/* True for a mapping backed by a file (a path starting with '/'). */
bool lt_mapping__is_file(const struct lt_mapping *map);

/* A path under which this process can open the file @pid maps at @map:
 * through the process's root (containers), or through map_files when the
 * file was deleted, replaced since, or does not open safely that way
 * (lt_open_untrusted(), which callers use to open the path). */
void lt_mapping__open_path(pid_t pid, const struct lt_mapping *map, char *buf, size_t len);

/* Offset in the mapped file of runtime address @addr, which @map covers. */
static inline __u64 lt_mapping__file_offset(const struct lt_mapping *map, __u64 addr)
{
	return addr - map->start + map->offset;
}

#endif
