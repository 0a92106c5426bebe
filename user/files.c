// SPDX-License-Identifier: GPL-2.0-only
/* The registry of mapped files: one chained hash table of entries that never
 * move, under one mutex, held only for a lookup or an insert (the unwinder's
 * thread looks files up while the main thread symbolizes). What a module
 * keeps in its slot is its own business, done outside the lock. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "files.h"
#include "htab.h"
#include "procmaps.h"

struct mapped_file {
	struct hnode node; /* in files.tab */
	__u64 ino;
	__u32 dev_major, dev_minor;
	unsigned int flags; /* enum file_flag, set atomically */
	void *slots[FILE_SLOT__NR];
	char path[];
};

struct files {
	pthread_mutex_t lock;
	struct htab tab;
};

struct files *files__new(void)
{
	struct files *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

static void entry__free(struct hnode *n)
{
	free(container_of(n, struct mapped_file, node));
}

void files__free(struct files *r)
{
	if (!r)
		return;
	htab__clear(&r->tab, entry__free);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static __u64 key_hash(__u32 dev_major, __u32 dev_minor, __u64 ino, const char *path)
{
	if (!ino)
		return hash_str(path);
	return hash_u64(ino ^ ((__u64)dev_major << 44) ^ ((__u64)dev_minor << 24));
}

static bool entry__matches(const struct mapped_file *f, __u32 dev_major, __u32 dev_minor, __u64 ino,
			   const char *path)
{
	if (!ino)
		return !f->ino && !strcmp(f->path, path);
	return f->ino == ino && f->dev_major == dev_major && f->dev_minor == dev_minor;
}

struct mapped_file *files__get(struct files *r, __u32 dev_major, __u32 dev_minor, __u64 ino,
			       const char *path)
{
	__u64 hash;
	struct mapped_file *f = NULL;
	struct hnode *n;
	size_t len;

	if (!path)
		path = "";
	hash = key_hash(dev_major, dev_minor, ino, path);
	pthread_mutex_lock(&r->lock);
	for (n = htab__first(&r->tab, hash); n; n = htab__match(n->next, hash)) {
		f = container_of(n, struct mapped_file, node);
		if (entry__matches(f, dev_major, dev_minor, ino, path))
			goto out;
	}
	len = strlen(path);
	f = calloc(1, sizeof(*f) + len + 1);
	if (!f)
		goto out;
	f->node.hash = hash;
	f->ino = ino;
	f->dev_major = dev_major;
	f->dev_minor = dev_minor;
	memcpy(f->path, path, len + 1);
	if (htab__insert(&r->tab, &f->node)) {
		free(f);
		f = NULL;
	}
out:
	pthread_mutex_unlock(&r->lock);
	if (!f)
		errno = ENOMEM;
	return f;
}

struct mapped_file *files__of_mapping(struct files *r, const struct lt_mapping *map)
{
	return files__get(r, map->dev_major, map->dev_minor, map->inode, map->path);
}

struct mapped_file *files__of_stat(struct files *r, const struct stat *st, const char *path)
{
	return files__get(r, major(st->st_dev), minor(st->st_dev), st->st_ino, path);
}

void files__release(struct files *r, enum file_slot slot, void (*free_fn)(void *v))
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->tab.nr_buckets; i++) {
		for (struct hnode *n = r->tab.buckets[i]; n; n = n->next) {
			struct mapped_file *f = container_of(n, struct mapped_file, node);

			if (f->slots[slot] && free_fn)
				free_fn(f->slots[slot]);
			f->slots[slot] = NULL;
		}
	}
	pthread_mutex_unlock(&r->lock);
}

size_t files__count(struct files *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->tab.nr;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void **mapped_file__slot(struct mapped_file *f, enum file_slot slot)
{
	return &f->slots[slot];
}

bool mapped_file__mark(struct mapped_file *f, enum file_flag flag)
{
	return __atomic_fetch_or(&f->flags, flag, __ATOMIC_RELAXED) & flag;
}

bool mapped_file__has(const struct mapped_file *f, enum file_flag flag)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED) & flag;
}

const char *mapped_file__path(const struct mapped_file *f)
{
	return f->path;
}
