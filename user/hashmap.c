// SPDX-License-Identifier: GPL-2.0-only
/* Open-addressing hash map with linear probing and tombstones; grows at 70%
 * occupancy (tombstones included), so probe sequences stay short. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include "hashmap.h"

/* A removed entry: an address no caller's value can have. */
static char tombstone;
#define TOMBSTONE ((void *)&tombstone)

struct hashmap {
	size_t key_size;
	size_t cap;    /* power of two */
	size_t count;  /* live entries */
	size_t used;   /* live entries + tombstones */
	void **values; /* NULL: empty; TOMBSTONE: removed */
	unsigned char *keys;
};

static uint64_t hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		h = (h ^ v) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	h ^= h >> 32;
	return h * 0xd6e8feb86659fd93ULL;
}

struct hashmap *hashmap__new(size_t key_size)
{
	struct hashmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->key_size = key_size;
	return m;
}

void hashmap__free(struct hashmap *m)
{
	if (!m)
		return;
	free(m->values);
	free(m->keys);
	free(m);
}

/* The slot holding @key, or the slot where it would go (-1 if the map has no
 * room at all). */
static ssize_t find_slot(const struct hashmap *m, const void *key, bool *found)
{
	ssize_t insert_at = -1;
	size_t i;

	*found = false;
	if (!m->cap)
		return -1;
	for (i = hash_bytes(key, m->key_size) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		void *v = m->values[i];

		if (!v)
			return insert_at >= 0 ? insert_at : (ssize_t)i;
		if (v == TOMBSTONE) {
			if (insert_at < 0)
				insert_at = i;
			continue;
		}
		if (!memcmp(m->keys + i * m->key_size, key, m->key_size)) {
			*found = true;
			return i;
		}
	}
}

static int grow(struct hashmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16, i;
	struct hashmap n = { .key_size = m->key_size, .cap = cap };

	/* Only tombstones: rehashing at the same size is enough. */
	if (m->count * 2 < m->cap)
		n.cap = cap = m->cap;
	n.values = calloc(cap, sizeof(*n.values));
	n.keys = malloc(cap * m->key_size);
	if (!n.values || !n.keys) {
		free(n.values);
		free(n.keys);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		void *v = m->values[i];
		bool found;
		ssize_t slot;

		if (!v || v == TOMBSTONE)
			continue;
		slot = find_slot(&n, m->keys + i * m->key_size, &found);
		n.values[slot] = v;
		memcpy(n.keys + slot * m->key_size, m->keys + i * m->key_size, m->key_size);
		n.count++;
	}
	n.used = n.count;
	free(m->values);
	free(m->keys);
	*m = n;
	return 0;
}

void *hashmap__get(const struct hashmap *m, const void *key)
{
	bool found;
	ssize_t slot = find_slot(m, key, &found);

	return found ? m->values[slot] : NULL;
}

int hashmap__put(struct hashmap *m, const void *key, void *value)
{
	bool found;
	ssize_t slot;

	if ((m->used + 1) * 10 > m->cap * 7 && grow(m))
		return -ENOMEM;
	slot = find_slot(m, key, &found);
	if (!found) {
		if (m->values[slot] != TOMBSTONE)
			m->used++;
		m->count++;
		memcpy(m->keys + slot * m->key_size, key, m->key_size);
	}
	m->values[slot] = value;
	return 0;
}

void *hashmap__remove(struct hashmap *m, const void *key)
{
	bool found;
	ssize_t slot = find_slot(m, key, &found);
	void *v;

	if (!found)
		return NULL;
	v = m->values[slot];
	m->values[slot] = TOMBSTONE;
	m->count--;
	return v;
}

void hashmap__clear(struct hashmap *m)
{
	if (m->cap)
		memset(m->values, 0, m->cap * sizeof(*m->values));
	m->count = m->used = 0;
}

size_t hashmap__count(const struct hashmap *m)
{
	return m->count;
}

bool hashmap__next(const struct hashmap *m, size_t *pos, const void **key, void **value)
{
	for (; *pos < m->cap; (*pos)++) {
		void *v = m->values[*pos];

		if (!v || v == TOMBSTONE)
			continue;
		if (key)
			*key = m->keys + *pos * m->key_size;
		if (value)
			*value = v;
		(*pos)++;
		return true;
	}
	return false;
}
