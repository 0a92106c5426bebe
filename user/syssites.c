// SPDX-License-Identifier: GPL-2.0-only
/* Finding the syscall instructions in a process's code: its executable file
 * mappings are read from /proc/PID/mem, each once, and searched for the
 * instruction's bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "array.h"
#include "procmaps.h"
#include "syssites.h"

#define CHUNK (1u << 20)

struct scanned {
	pid_t pid;
	__u64 start;
	__u64 inode;
};

struct syssites {
	struct scanned *v; /* mappings scanned */
	size_t nr, cap;
	unsigned char *buf; /* one chunk */
};

void lt_find_syscalls(const unsigned char *code, size_t len, __u64 addr, syssite_fn fn, void *ctx)
{
#if defined(__x86_64__)
	/* syscall: 0f 05, at any byte */
	for (const unsigned char *p = code; len >= 2 && p < code + len - 1; p++) {
		p = memchr(p, 0x0f, code + len - 1 - p);
		if (!p)
			break;
		if (p[1] == 0x05)
			fn(ctx, addr + (p - code) + 2);
	}
#elif defined(__aarch64__)
	/* svc #0: d4000001, aligned */
	for (size_t i = (4 - addr % 4) % 4; i + 4 <= len; i += 4)
		if (code[i] == 0x01 && code[i + 1] == 0 && code[i + 2] == 0 && code[i + 3] == 0xd4)
			fn(ctx, addr + i + 4);
#else
	(void)code, (void)len, (void)addr, (void)fn, (void)ctx;
#endif
}

struct syssites *syssites__new(void)
{
	struct syssites *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->buf = malloc(CHUNK);
	if (!s->buf) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void syssites__free(struct syssites *s)
{
	if (!s)
		return;
	free(s->v);
	free(s->buf);
	free(s);
}

void syssites__forget(struct syssites *s, pid_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nr; i++)
		if (s->v[i].pid != pid)
			s->v[n++] = s->v[i];
	s->nr = n;
}

static bool seen(const struct syssites *s, pid_t pid, const struct lt_mapping *m)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->v[i].pid == pid && s->v[i].start == m->start && s->v[i].inode == m->inode)
			return true;
	return false;
}

struct counting {
	syssite_fn fn;
	void *ctx;
	int n;
};

static void count_one(void *ctx, __u64 ip)
{
	struct counting *c = ctx;

	c->n++;
	c->fn(c->ctx, ip);
}

/* Scans [start, end) of @mem. An x86 syscall may straddle two chunks: the
 * last byte of a chunk is read again with the next (arm64's are aligned). */
static void scan_range(struct syssites *s, int mem, __u64 start, __u64 end, struct counting *c)
{
	const size_t overlap = 1;

	for (__u64 at = start; at < end;) {
		size_t want = end - at < CHUNK ? end - at : CHUNK;
		ssize_t got = pread(mem, s->buf, want, at);

		if (got <= 0)
			return;
		lt_find_syscalls(s->buf, got, at, count_one, c);
		if (at + got >= end || (size_t)got <= overlap)
			return;
		at += got - overlap;
	}
}

int syssites__scan(struct syssites *s, pid_t pid, syssite_fn fn, void *ctx)
{
	struct counting c = { .fn = fn, .ctx = ctx };
	struct procmaps *maps;
	char path[64];
	int mem, err;

	maps = procmaps__read(pid);
	if (!maps)
		return errno == ENOENT ? -ESRCH : -errno;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (mem < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		procmaps__free(maps);
		return err;
	}
	for (size_t i = 0; i < maps->nr; i++) {
		const struct lt_mapping *m = &maps->maps[i];

		if (!m->exec || !lt_mapping__is_file(m) || seen(s, pid, m))
			continue;
		if (ARRAY_RESERVE(s->v, s->cap, s->nr + 1))
			break;
		s->v[s->nr++] = (struct scanned){ .pid = pid,
						  .start = m->start,
						  .inode = m->inode };
		scan_range(s, mem, m->start, m->end, &c);
	}
	close(mem);
	procmaps__free(maps);
	return c.n;
}
