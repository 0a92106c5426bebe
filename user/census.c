// SPDX-License-Identifier: GPL-2.0-only
/* The Python census: walks the garbage collector's lists (generations 0-2
 * and the permanent one) of a running CPython from outside, and counts the
 * objects on them by type.
 *
 * Nothing stops the process: the lists change while they are read. Each
 * list is a ring of PyGC_Head {_gc_next, _gc_prev} before each object, from
 * a head in the interpreter state back to it. The walk trusts nothing: a
 * link that is not aligned or not readable ends that list (counted in
 * lists_cut); a node whose back link does not name the node before it is
 * counted as relinked (the list moved under the reader) and followed on; a
 * cycle that misses the head is caught by Brent's method; the number of
 * objects and the time are bounded per read. An object counts only if its
 * ob_type is a type object, checked once per read and address: its own type
 * is PyType_Type (or a metatype whose type is), it is ready, and its sizes
 * are sane; the others are skipped and counted. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "array.h"
#include "census.h"
#include "hashmap.h"
#include "procmem.h"
#include "pymem.h"

#define CACHE_CHUNKS_LOG2 9 /* 512 chunks of 16 KiB: 8 MiB */
#define NAME_MAX_LEN 128    /* of a type name kept; longer ones are cut */
#define MAX_TYPES 65536	    /* distinct type objects per read */
#define META_DEPTH 4	    /* metatype levels checked above a type */
#define CLOCK_EVERY 4096    /* objects between looks at the clock */
#define MAX_REWALKS 64	    /* back links that disagree, before a read gives up on them */

struct ctype {
	__u64 addr;
	bool valid;
	char name[NAME_MAX_LEN];
	__u64 basicsize, itemsize, flags;
	/* this read */
	__s64 count, bytes;
	__u64 newest;
	__u64 seen;  /* the read that last counted it */
	__s64 *ring; /* counts, window + 1 */
	__s64 peak;  /* the most it held before the window */
	__s64 first; /* its count at the first read, if it was there */
};

struct census {
	pid_t pid;
	const struct py_layout *l;
	__u64 runtime, type_type;
	unsigned int window, top;
	struct census_limits lim;
	struct pymem *mem;
	struct hashmap *types; /* type address -> struct ctype */
	unsigned long k;       /* reads done, that went into the history */
	unsigned long pass;    /* reads tried */
	bool ranked;
	struct census_stats st, good; /* the last read, and the last that went in */
	struct census_row *rows;
	size_t nr_rows, cap_rows;
	struct timespec t0;
	__u64 heads[4]; /* this read's lists: generations 0-2, permanent */
};

struct census *census__new(pid_t pid, const struct py_layout *l, __u64 runtime, __u64 type_type,
			   unsigned int window, unsigned int top, const struct census_limits *lim)
{
	struct census *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->pid = pid;
	c->l = l;
	c->runtime = runtime;
	c->type_type = type_type;
	c->window = window ? window : 1;
	c->top = top;
	c->lim = *lim;
	c->mem = pymem__new(pid, CACHE_CHUNKS_LOG2);
	c->types = hashmap__new(sizeof(__u64));
	if (!c->mem || !c->types) {
		census__free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void census__free(struct census *c)
{
	size_t pos = 0;
	void *v;

	if (!c)
		return;
	while (c->types && hashmap__next(c->types, &pos, NULL, &v)) {
		free(((struct ctype *)v)->ring);
		free(v);
	}
	hashmap__free(c->types);
	pymem__free(c->mem);
	free(c->rows);
	free(c);
}

/* The type object at @addr, read and checked: is its type PyType_Type, or a
 * metatype (a subclass of type) whose type is, within META_DEPTH levels? */
static bool is_type(struct census *c, __u64 addr, int depth)
{
	__u64 meta, flags;

	if (c->type_type && addr == c->type_type)
		return true;
	if (depth >= META_DEPTH || !addr || addr & 7)
		return false;
	if (pymem__word(c->mem, addr + c->l->ob_type, &meta) ||
	    pymem__word(c->mem, addr + LT_PY_TP_FLAGS, &flags))
		return false;
	if (!(flags & LT_PY_TPFLAGS_READY))
		return false;
	if (!c->type_type) {
		/* without the symbol: type is the type that is its own type */
		if (meta == addr)
			return (flags & LT_PY_TPFLAGS_TYPE_SUBCLASS) != 0;
	}
	if (meta == addr)
		return false;
	/* a metatype must itself be a subclass of type */
	if (depth > 0 && !(flags & LT_PY_TPFLAGS_TYPE_SUBCLASS))
		return false;
	if (c->type_type && meta == c->type_type)
		return true;
	return is_type(c, meta, depth + 1);
}

/* Reads what is kept of a type; false if @addr is not a type object. */
static bool read_type(struct census *c, __u64 addr, struct ctype *t)
{
	__u64 w[3], name;
	int len;

	if (!is_type(c, addr, 0) || pymem__read(c->mem, addr + c->l->tp_name, w, sizeof(w)) ||
	    pymem__word(c->mem, addr + LT_PY_TP_FLAGS, &t->flags))
		return false;
	name = w[0];
	t->basicsize = w[1];
	t->itemsize = w[2];
	if (t->basicsize < 16 || t->basicsize > (1u << 20) || t->itemsize > (1u << 16))
		return false;
	/* any bytes: a class may be named anything; printing escapes them */
	len = pymem__string(c->mem, name, t->name, sizeof(t->name));
	return len > 0;
}

bool census__type_name(struct census *c, __u64 type, char *name, size_t len)
{
	struct ctype t = { 0 };

	if (!len || !read_type(c, type, &t))
		return false;
	snprintf(name, len, "%s", t.name);
	return true;
}

/* The type at @addr as known in this read, read and checked once. NULL if
 * there is no room. */
static struct ctype *type_at(struct census *c, __u64 addr)
{
	struct ctype *t = hashmap__get(c->types, &addr), fresh = { 0 };

	if (t && t->seen == c->pass)
		return t;
	if (!t && hashmap__count(c->types) >= MAX_TYPES)
		return NULL;
	fresh.valid = read_type(c, addr, &fresh);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		t->addr = addr;
		t->ring = calloc(c->window + 1, sizeof(*t->ring));
		if (!t->ring || hashmap__put(c->types, &addr, t)) {
			free(t->ring);
			free(t);
			return NULL;
		}
	} else if (!fresh.valid || strcmp(fresh.name, t->name)) {
		/* another type (or none) now at the address: a history of its own */
		memset(t->ring, 0, (c->window + 1) * sizeof(*t->ring));
		t->peak = t->first = 0;
	}
	t->valid = fresh.valid;
	memcpy(t->name, fresh.name, sizeof(t->name));
	t->basicsize = fresh.basicsize;
	t->itemsize = fresh.itemsize;
	t->flags = fresh.flags;
	t->count = t->bytes = 0;
	t->newest = 0;
	t->seen = c->pass;
	return t;
}

/* The object's own block, as sys.getsizeof() counts it without what it
 * points to: basic size, items (a var-sized object's ob_size, a list's
 * allocated array), the GC header and the pre-header of 3.11+. */
static __s64 object_bytes(const struct census *c, const struct ctype *t, const __u64 *ob)
{
	__s64 n = (__s64)t->basicsize + LT_PY_GC_HEAD;
	__s64 size = (__s64)ob[2]; /* ob_size, if it is a var object */

	if (t->itemsize) {
		if (size < 0)
			size = -size;
		if (size < (1 << 28))
			n += size * (__s64)t->itemsize;
	} else if (!strcmp(t->name, "list") && ob[4] < (1u << 28)) {
		n += (__s64)ob[4] * 8; /* PyListObject.allocated */
	}
	if (t->flags & c->l->tp_flags_preheader)
		n += 16;
	return n;
}

/* Is @node among the first @steps nodes after @head? Follows the links
 * again, through the cache, so that it costs no copy. */
static bool seen_before(struct census *c, __u64 head, __u64 node, unsigned long steps)
{
	__u64 p;

	if (pymem__word(c->mem, head, &p))
		return false;
	for (unsigned long i = 0; i < steps && p != head; i++) {
		if (p == node)
			return true;
		if (!p || p & 7 || pymem__word(c->mem, p, &p))
			return false;
		p &= ~(__u64)1;
	}
	return false;
}

static bool is_head(const struct census *c, __u64 p)
{
	for (size_t i = 0; i < sizeof(c->heads) / sizeof(c->heads[0]); i++) {
		if (c->heads[i] == p)
			return true;
	}
	return false;
}

/* Walks one list whose head is at @head. Returns 0, or -ESRCH. */
static int walk(struct census *c, __u64 head)
{
	__u64 gc[2], prev = head, p, saved = head;
	unsigned long steps = 0, power = 1;
	int err;

	/* The head as it is now, not as cached: the heads of all the lists
	 * share one chunk, copied before the first list was walked, and by
	 * the time the young generation's turn comes its first object may
	 * be gone (3.12 clears a freed object's back link: one "relinked" a
	 * read for a program that churns). */
	err = procmem__read(c->pid, head, gc, sizeof(gc));
	if (err) {
		c->st.lists_cut++;
		return err == -ESRCH ? err : 0;
	}
	p = gc[0];
	while (p != head) {
		/* PyGC_Head, then ob_refcnt, ob_type, ob_size, and two more
		 * words (a list's ob_item and allocated) */
		__u64 buf[2 + 5];
		struct ctype *t;

		if (!p || p & 7) {
			c->st.lists_cut++;
			return 0;
		}
		err = pymem__read(c->mem, p, buf, sizeof(buf));
		if (err == -ESRCH)
			return err;
		if (err) {
			/* the end of a mapping after a small object: the header only */
			memset(buf, 0, sizeof(buf));
			err = pymem__read(c->mem, p, buf, 2 * 8 + 3 * 8);
		}
		if (err) {
			c->st.lists_cut++;
			return err == -ESRCH ? err : 0;
		}
		if ((buf[1] & ~(__u64)3) != prev) {
			/* the list moved under the reader, or it loops back:
			 * a node already counted ends this list */
			c->st.relinked++;
			if (c->st.relinked > MAX_REWALKS || seen_before(c, head, p, steps)) {
				c->st.lists_cut++;
				return 0;
			}
		}
		t = type_at(c, buf[2 + 1]);
		if (t && t->valid) {
			t->count++;
			t->bytes += object_bytes(c, t, buf + 2);
			t->newest = p + LT_PY_GC_HEAD;
			c->st.objects++;
		} else {
			c->st.skipped++;
		}
		prev = p;
		p = buf[0] & ~(__u64)1; /* NEXT_MASK_UNREACHABLE, during a collection */
		/* Another list's head: a collection merged this list into an
		 * older one while it was walked (gen 0 onto gen 1's tail).
		 * Going on would count that list twice. */
		if (p != head && is_head(c, p)) {
			c->st.lists_cut++;
			return 0;
		}
		/* Brent: a ring that does not come back to the head */
		if (p == saved) {
			c->st.lists_cut++;
			return 0;
		}
		if (++steps == power) {
			saved = p;
			power *= 2;
		}
		if (c->st.objects + c->st.skipped >= c->lim.max_objects ||
		    (!((c->st.objects + c->st.skipped) % CLOCK_EVERY) &&
		     lt_ms_since(&c->t0) > c->lim.max_ms)) {
			c->st.truncated = true;
			c->st.lists_cut++;
			return 0;
		}
	}
	return 0;
}

static void history(struct census *c)
{
	size_t pos = 0;
	void *v;

	while (hashmap__next(c->types, &pos, NULL, &v)) {
		struct ctype *t = v;
		bool quiet = true;

		if (t->seen != c->pass || !t->valid)
			t->count = t->bytes = 0;
		if (c->k == 1)
			t->first = t->count;
		t->ring[c->k % (c->window + 1)] = t->count;
		if (c->k >= c->window) {
			__s64 old = t->ring[(c->k - c->window) % (c->window + 1)];

			if (old > t->peak)
				t->peak = old;
		}
		if (t->count) {
			c->st.types++;
			c->st.bytes += t->bytes;
		}
		for (unsigned int i = 0; i <= c->window && quiet; i++)
			quiet = !t->ring[i];
		if (quiet && c->k > c->window) {
			hashmap__remove(c->types, &t->addr);
			free(t->ring);
			free(t);
		}
	}
}

int census__read(struct census *c)
{
	const struct py_layout *l = c->l;
	__u64 base = c->runtime, *heads = c->heads;
	__u64 copied = pymem__copied(c->mem);
	int err = 0;

	memset(&c->st, 0, sizeof(c->st));
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->pass++;
	pymem__reset(c->mem);

	if (!l->gc_in_runtime) {
		err = pymem__word(c->mem, c->runtime + l->bpf.rt_interp_main, &base);
		if (!err && !base)
			err = -EAGAIN;
	}
	for (int g = 0; g < 3; g++)
		heads[g] = base + l->gc_gens + (unsigned int)g * LT_PY_GC_GEN_SIZE;
	heads[3] = base + l->gc_perm;
	/* oldest first, so that the last object of a type seen is its newest */
	for (int i = 3; i >= 0 && !err; i--)
		err = walk(c, heads[i]);
	if (err == -EFAULT)
		err = -EAGAIN;
	if (!err && c->st.truncated)
		err = -ETIME;
	if (!err) {
		/* a read cut short would show a fall, then a rise: not kept */
		c->k++;
		c->ranked = false;
		history(c);
	}
	c->st.read_ms = lt_ms_since(&c->t0);
	c->st.memory_read = pymem__copied(c->mem) - copied;
	c->st.reads = (unsigned int)c->k;
	c->st.error = err;
	if (!err) {
		c->good = c->st;
	} else if (c->k) {
		/* the figures the ranking stands on, and why they are not new */
		bool truncated = c->st.truncated;

		c->st = c->good;
		c->st.error = err;
		c->st.truncated = truncated;
	}
	return err;
}

static int row_cmp(const void *a, const void *b)
{
	const struct census_row *x = a, *y = b;

	if (x->growth_window != y->growth_window)
		return x->growth_window > y->growth_window ? -1 : 1;
	if (x->growth_total != y->growth_total)
		return x->growth_total > y->growth_total ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->type_addr < y->type_addr ? -1 : x->type_addr > y->type_addr;
}

static void fill_row(const struct census *c, const struct ctype *t, struct census_row *r)
{
	unsigned long k = c->k, from = k > c->window ? k - c->window : 1;
	unsigned int len = c->window + 1;
	__s64 now = t->ring[k % len];

	r->type = t->name;
	r->type_addr = t->addr;
	r->count = t->count;
	r->bytes = t->bytes;
	r->newest = t->newest;
	/* the first read is the baseline: growth is measured from it */
	r->growth = k > 1 ? now - t->ring[(k - 1) % len] : 0;
	r->growth_window = k > 1 ? now - t->ring[from % len] : 0;
	r->growth_total = now - t->first;
	r->intervals_grown = 0;
	for (unsigned long i = from + 1; i <= k; i++)
		r->intervals_grown += t->ring[i % len] > t->ring[(i - 1) % len];
	r->suspect = r->intervals_grown * 2 > (k - from) && r->intervals_grown >= 2;
}

size_t census__rank(struct census *c, const struct census_row **rows)
{
	size_t pos = 0, n = 0;
	void *v;

	*rows = c->rows;
	if (c->ranked || !c->k)
		return c->ranked ? c->nr_rows : 0;
	if (ARRAY_RESERVE(c->rows, c->cap_rows, hashmap__count(c->types) + 1))
		return 0;
	*rows = c->rows;
	while (hashmap__next(c->types, &pos, NULL, &v)) {
		const struct ctype *t = v;
		struct census_row *r = &c->rows[n];

		if (t->seen != c->pass || !t->valid)
			continue;
		fill_row(c, t, r);
		if (r->growth_window > 0 && t->count > t->peak)
			n++;
	}
	qsort(c->rows, n, sizeof(*c->rows), row_cmp);
	c->nr_rows = n < c->top ? n : c->top;
	c->ranked = true;
	return c->nr_rows;
}

const struct census_row *census__find(struct census *c, const char *name)
{
	static struct census_row row;
	const struct ctype *best = NULL;
	size_t pos = 0;
	void *v;

	while (hashmap__next(c->types, &pos, NULL, &v)) {
		const struct ctype *t = v;

		if (t->seen == c->pass && t->valid && t->count && !strcmp(t->name, name) &&
		    (!best || t->count > best->count))
			best = t;
	}
	if (!best)
		return NULL;
	fill_row(c, best, &row);
	return &row;
}

const struct census_stats *census__stats(const struct census *c)
{
	return &c->st;
}

pid_t census__pid(const struct census *c)
{
	return c->pid;
}

const struct py_layout *census__layout(const struct census *c)
{
	return c->l;
}

__u64 census__runtime(const struct census *c)
{
	return c->runtime;
}
