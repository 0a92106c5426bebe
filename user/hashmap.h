/* SPDX-License-Identifier: GPL-2.0-only */
/* A hash map from fixed-size keys (compared bytewise, so zero any padding) to
 * pointers. Open addressing; the map copies keys and never owns values. */
#ifndef LT_HASHMAP_H
#define LT_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>

/* libbpf.a defines hashmap__new, hashmap__free and hashmap__clear for its own
 * hashmap: a static link (STATIC=1) sees both. Ours are linked under other
 * names, and keep these in the code. */
#define hashmap__new lt_hashmap__new
#define hashmap__free lt_hashmap__free
#define hashmap__get lt_hashmap__get
#define hashmap__put lt_hashmap__put
#define hashmap__remove lt_hashmap__remove
#define hashmap__count lt_hashmap__count
#define hashmap__clear lt_hashmap__clear
#define hashmap__next lt_hashmap__next

struct hashmap;

/* Returns NULL with errno set. */
struct hashmap *hashmap__new(size_t key_size);
void hashmap__free(struct hashmap *m); /* accepts NULL; values are the caller's */

void *hashmap__get(const struct hashmap *m, const void *key);
/* Inserts or replaces. Returns 0 or -ENOMEM; @value must not be NULL. */
int hashmap__put(struct hashmap *m, const void *key, void *value);
/* Removes @key and returns its value, or NULL if absent. */
void *hashmap__remove(struct hashmap *m, const void *key);
size_t hashmap__count(const struct hashmap *m);
/* Removes every entry, keeping the memory for reuse. */
void hashmap__clear(struct hashmap *m);

/* Iteration: start with *pos = 0; returns false at the end. Removing the entry
 * just returned is allowed; inserting during iteration is not. */
bool hashmap__next(const struct hashmap *m, size_t *pos, const void **key, void **value);

#endif
