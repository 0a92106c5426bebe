// SPDX-License-Identifier: GPL-2.0-only
/* Finding the syscall instructions in the files processes map: each range of
 * each executable file is read once, from /proc/PID/mem of the first process
 * seen to map it, searched for the instruction's bytes, and its sites are
 * handed to the BPF side by file and offset, for every process that maps it.
 * The ranges scanned are kept in the file's entry of the registry (files.h).
 * What a process maps is the kernel's to say (/proc/PID/maps); the bytes are
 * its own, and a process that changed its copy of a file's code before it
 * was read hides sites or adds some that no syscall of any other process
 * returns to: stacks then start inside the wrapper, as they would without. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "files.h"
#include "hashmap.h"
#include "leaktrace.h"
#include "log.h"
#include "procmaps.h"
#include "sample.h"
#include "syssites.h"

#define CHUNK (1u << 20)
/* Syscall instructions looked at in one mapping, at most: each costs a CFI
 * lookup, and a mapped file (the process's to choose) may be all 0f 05.
 * glibc has a few hundred. */
#define SITES_PER_MAPPING (1u << 14)

/* A range of a file scanned, in whichever process, as /proc/PID/maps gives
 * it: the key of the hashmap in the file's FILE_SLOT_SYSRANGES. Every
 * mapping of the same range of the same file holds the same code; a file may
 * be mapped at as many offsets as its process likes, hence a hashmap. */
struct range_key {
	__u64 off;
	__u64 len;
};

struct syssites {
	struct syssite_ops ops;
	struct files *files; /* the registry, whose FILE_SLOT_SYSRANGES is ours */
	unsigned char *buf;  /* one chunk */
	__u64 added;	     /* sites handed to the BPF side */
	__u64 left_out;	     /* sites not handed over: the map full, or past a mapping's cap */
	bool full_said;
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

struct syssites *syssites__new(struct files *files, const struct syssite_ops *ops)
{
	struct syssites *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ops = *ops;
	s->files = files;
	s->buf = malloc(CHUNK);
	if (!s->buf) {
		syssites__free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static void ranges__free(void *v)
{
	hashmap__free(v);
}

void syssites__free(struct syssites *s)
{
	if (!s)
		return;
	files__release(s->files, FILE_SLOT_SYSRANGES, ranges__free);
	free(s->buf);
	free(s);
}

/* One mapping being scanned in one process. */
struct scan {
	struct syssites *s;
	pid_t pid;
	const struct lt_mapping *m;
	struct lt_sys_site key; /* the mapping's file */
	int n;			/* syscall instructions found */
};

static void one_site(void *ctx, __u64 ip)
{
	struct scan *sc = ctx;
	struct syssites *s = sc->s;
	__u64 ra_off;
	__s64 fp_off;
	int err;

	if (sc->n++ >= (int)SITES_PER_MAPPING) {
		s->left_out++;
		return;
	}
	if (s->ops.frame(s->ops.ctx, sc->pid, ip, &ra_off, &fp_off))
		return;
	sc->key.off = lt_mapping__file_offset(sc->m, ip);
	err = s->ops.add(s->ops.ctx, &sc->key, ra_off, fp_off);
	if (!err) {
		s->added++;
		return;
	}
	s->left_out++;
	if (err == -E2BIG && !s->full_said) {
		s->full_said = true;
		lt_warn("the map of syscall sites is full (%u): stacks at the syscalls of "
			"files mapped from now on start inside the libc wrapper (sys_sites_full "
			"counts them)",
			LT_SYS_SITES_MAX);
	}
}

/* Scans [start, end) of @mem; returns whether all of it was read. An x86
 * syscall may straddle two chunks: the last byte of a chunk is read again
 * with the next (arm64's are aligned). */
static bool scan_range(struct syssites *s, int mem, __u64 start, __u64 end, struct scan *sc)
{
	const size_t overlap = 1;

	for (__u64 at = start; at < end && sc->n < (int)SITES_PER_MAPPING;) {
		size_t want = end - at < CHUNK ? end - at : CHUNK;
		ssize_t got = pread(mem, s->buf, want, at);

		if (got <= 0)
			return false;
		lt_find_syscalls(s->buf, got, at, one_site, sc);
		if (at + got >= end || (size_t)got <= overlap)
			return at + got >= end;
		at += got - overlap;
	}
	return true;
}

/* The ranges of the file @m maps that were scanned, made the first time;
 * NULL without memory. */
static struct hashmap *ranges_of(struct syssites *s, const struct lt_mapping *m)
{
	struct mapped_file *entry = files__of_mapping(s->files, m);
	void **slot;

	if (!entry)
		return NULL;
	slot = mapped_file__slot(entry, FILE_SLOT_SYSRANGES);
	if (!*slot)
		*slot = hashmap__new(sizeof(struct range_key));
	return *slot;
}

int syssites__scan(struct syssites *s, pid_t pid)
{
	struct procmaps *maps;
	int mem = -1, n = 0;
	char path[64];

	maps = procmaps__read(pid);
	if (!maps)
		return errno == ENOENT ? -ESRCH : -errno;
	for (size_t i = 0; i < maps->nr; i++) {
		const struct lt_mapping *m = &maps->maps[i];
		struct range_key range = { .off = m->offset, .len = m->end - m->start };
		struct scan sc = { .s = s, .pid = pid, .m = m };
		struct hashmap *ranges;

		/* no inode: nothing the BPF side could find the file by */
		if (!m->exec || !lt_mapping__is_file(m) || !m->inode)
			continue;
		ranges = ranges_of(s, m);
		if (ranges && hashmap__get(ranges, &range))
			continue;
		if (mem < 0) {
			snprintf(path, sizeof(path), "/proc/%d/mem", pid);
			mem = open(path, O_RDONLY | O_CLOEXEC);
			if (mem < 0) {
				n = errno == ENOENT ? -ESRCH : -errno;
				break;
			}
		}
		sc.key.ino = m->inode;
		sc.key.dev = LT_KERNEL_DEV(m->dev_major, m->dev_minor);
		/* a range cut short (the process unmapped it) is left for
		 * another process to show whole; without memory, it is
		 * scanned again next time, for the same sites */
		if (scan_range(s, mem, m->start, m->end, &sc) && ranges)
			hashmap__put(ranges, &range, (void *)1);
		n += sc.n;
	}
	if (mem >= 0)
		close(mem);
	procmaps__free(maps);
	return n;
}

size_t syssites__counters(const struct syssites *s, struct report_counter *out, size_t max)
{
	const struct report_counter all[] = {
		{ "sys_sites", s ? s->added : 0, false },
		{ "sys_sites_full", s ? s->left_out : 0, false },
	};
	size_t n = 0;

	for (; n < sizeof(all) / sizeof(all[0]) && n < max; n++)
		out[n] = all[n];
	return n;
}
