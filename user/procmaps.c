// SPDX-License-Identifier: GPL-2.0-only
/* Parses /proc/PID/maps into an array of mappings sorted by address, and finds
 * the mapping that covers an address. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "procmaps.h"
#include "safeopen.h"

#define DELETED_SUFFIX " (deleted)"

/* Parses an unsigned number in @base followed by @sep ('\0': by anything) and
 * moves *@p past both. */
static int parse_num(char **p, int base, char sep, __u64 *out)
{
	unsigned char c = **p;
	char *end;

	/* strtoull() would also take leading blanks and a sign */
	if (base == 16 ? !isxdigit(c) : !isdigit(c))
		return -EINVAL;
	errno = 0;
	*out = strtoull(*p, &end, base);
	if (errno)
		return -EINVAL;
	if (sep) {
		if (*end != sep)
			return -EINVAL;
		end++;
	}
	*p = end;
	return 0;
}

static int parse_perms(char **p, struct lt_mapping *map)
{
	const char *s = *p;

	if ((s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') ||
	    (s[2] != 'x' && s[2] != '-') || (s[3] != 'p' && s[3] != 's') || s[4] != ' ')
		return -EINVAL;
	map->read = s[0] == 'r';
	map->write = s[1] == 'w';
	map->exec = s[2] == 'x';
	map->shared = s[3] == 's';
	*p += 5;
	return 0;
}

/* Parses one line, without its newline, into @map; map->path points into
 * the line, which is cut after it. */
static int parse_line(char *line, struct lt_mapping *map)
{
	__u64 major, minor;
	size_t len;
	char *p = line;

	memset(map, 0, sizeof(*map));
	if (parse_num(&p, 16, '-', &map->start) || parse_num(&p, 16, ' ', &map->end) ||
	    map->start > map->end || parse_perms(&p, map) || parse_num(&p, 16, ' ', &map->offset) ||
	    parse_num(&p, 16, ':', &major) || parse_num(&p, 16, ' ', &minor) ||
	    parse_num(&p, 10, '\0', &map->inode))
		return -EINVAL;
	if (major > 0xffffffffu || minor > 0xffffffffu)
		return -EINVAL;
	map->dev_major = major;
	map->dev_minor = minor;

	if (*p && *p != ' ')
		return -EINVAL;
	/* the kernel pads to a column; the path itself may contain spaces */
	while (*p == ' ')
		p++;
	len = strlen(p);
	if (len >= sizeof(DELETED_SUFFIX) - 1 &&
	    !strcmp(p + len - (sizeof(DELETED_SUFFIX) - 1), DELETED_SUFFIX)) {
		map->deleted = true;
		len -= sizeof(DELETED_SUFFIX) - 1;
	}
	p[len] = '\0';
	map->path = p;
	return 0;
}

static int cmp_start(const void *a, const void *b)
{
	const struct lt_mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static bool is_sorted(const struct procmaps *m)
{
	size_t i;

	for (i = 1; i < m->nr; i++)
		if (m->maps[i - 1].start > m->maps[i].start)
			return false;
	return true;
}

/* Reads all of @f into m->text, NUL-terminated; *@len: its length. */
static int read_text(FILE *f, struct procmaps *m, size_t *len)
{
	size_t cap = 0, n;

	*len = 0;
	do {
		if (*len + 4096 + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *t = realloc(m->text, ncap);

			if (!t)
				return -ENOMEM;
			m->text = t;
			cap = ncap;
		}
		errno = 0;
		n = fread(m->text + *len, 1, cap - *len - 1, f);
		*len += n;
	} while (n);
	m->text[*len] = '\0';
	/* a process that exits while we read makes read() fail with ESRCH */
	return ferror(f) ? (errno ? -errno : -EIO) : 0;
}

/* The paths point into one copy of the whole text: reading the maps costs a
 * few allocations, not one a line (in --system each is a trap, since
 * leaktrace's own malloc is probed too). */
struct procmaps *procmaps__parse(FILE *f)
{
	struct procmaps *m;
	size_t cap = 0, len;
	char *line, *end, *next;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	err = read_text(f, m, &len);
	end = m->text + len;
	for (line = m->text; !err && line < end; line = next) {
		char *nl = memchr(line, '\n', end - line);

		next = nl ? nl + 1 : end;
		if (nl)
			*nl = '\0';
		if (line == (nl ? nl : end))
			continue;
		if (m->nr == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct lt_mapping *n = realloc(m->maps, ncap * sizeof(*n));

			if (!n) {
				err = -ENOMEM;
				break;
			}
			m->maps = n;
			cap = ncap;
		}
		err = parse_line(line, &m->maps[m->nr]);
		if (!err)
			m->nr++;
	}
	if (err) {
		procmaps__free(m);
		errno = -err;
		return NULL;
	}
	/* fixtures may come in any order; the kernel's are sorted already */
	if (!is_sorted(m))
		qsort(m->maps, m->nr, sizeof(*m->maps), cmp_start);
	return m;
}

/* The maps of the event this thread is handling (procmaps__hold()). */
static __thread struct procmaps *held;

static struct procmaps *read_maps(pid_t pid)
{
	struct procmaps *m;
	char path[64];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	m = procmaps__parse(f);
	err = errno;
	fclose(f);
	if (!m && err == ESRCH)
		err = ENOENT;
	if (m)
		m->pid = pid;
	errno = err;
	return m;
}

struct procmaps *procmaps__read(pid_t pid)
{
	if (held && held->pid == pid) {
		held->refs++;
		return held;
	}
	return read_maps(pid);
}

struct procmaps *procmaps__hold(pid_t pid)
{
	struct procmaps *prev = held;

	/* NULL (gone, unreadable): each caller reads, and says why */
	held = read_maps(pid);
	return prev;
}

void procmaps__unhold(struct procmaps *prev)
{
	procmaps__free(held);
	held = prev;
}

void procmaps__free(struct procmaps *m)
{
	if (!m)
		return;
	if (m->refs) {
		m->refs--;
		return;
	}
	free(m->maps);
	free(m->text);
	free(m);
}

const struct lt_mapping *procmaps__find(const struct procmaps *m, __u64 addr)
{
	size_t lo = 0, hi;

	if (!m)
		return NULL;
	/* find the last mapping that starts at or below @addr */
	hi = m->nr;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= m->maps[lo - 1].end)
		return NULL;
	return &m->maps[lo - 1];
}

bool lt_mapping__is_file(const struct lt_mapping *map)
{
	return map->path && map->path[0] == '/';
}

void lt_mapping__open_path(pid_t pid, const struct lt_mapping *map, char *buf, size_t len)
{
	struct stat st;
	int fd = -1;

	/* The path as the process sees it, if it still names the file mapped
	 * (an upgrade may have replaced it) and opens safely; else the
	 * kernel's link to the mapped file itself. */
	snprintf(buf, len, "/proc/%d/root%s", pid, map->path);
	if (!map->deleted)
		fd = lt_open_untrusted(buf);
	if (fd >= 0 && !fstat(fd, &st) && st.st_ino == map->inode) {
		close(fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	snprintf(buf, len, "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)map->start,
		 (unsigned long long)map->end);
}

int lt_pid_is_kthread(pid_t pid)
{
	char path[64], line[512];
	unsigned long flags = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -ESRCH;
	if (fgets(line, sizeof(line), f)) {
		/* past the name, which may hold spaces and parentheses */
		const char *p = strrchr(line, ')');

		if (p)
			sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags);
	}
	fclose(f);
	return !!(flags & 0x00200000); /* PF_KTHREAD */
}
