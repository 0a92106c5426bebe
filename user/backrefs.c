// SPDX-License-Identifier: GPL-2.0-only
/* Backrefs: a breadth-first search from sys.modules through the containers a
 * CPython process's objects are kept in, read from outside, to the nearest
 * object of one type. The search follows module dicts, dicts, lists, tuples
 * and materialized instance __dict__s; newer items first (the end of a list,
 * the last entries of a dict), so that among chains as short, the one to a
 * newer object wins. Each node costs 32 bytes; names are read again only
 * for the chain found, whose links are all re-read (cache dropped) and
 * checked in place before it is returned: never a chain that is not real.
 *
 * Dict layouts (PyDictKeysObject), from Objects/dict-common.h (3.8-3.10)
 * and Include/internal/pycore_dict.h (3.11+):
 *   3.8-3.10  dk_size @8, dk_nentries @32, dk_indices @40, index width by
 *             size; entries {hash, key, value}
 *   3.11+     dk_log2_size @8, dk_log2_index_bytes @9, dk_kind @10,
 *             dk_nentries @24, dk_indices @32; entries {hash, key, value}
 *             for general keys, {key, value} for str-only keys
 * A split table keeps values apart, at ma_values (3.13: after 8 bytes of
 * counts). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "array.h"
#include "backrefs.h"
#include "escape.h"
#include "hashmap.h"
#include "pymem.h"

#define DICT_MA_KEYS 32
#define DICT_MA_VALUES 40
#define MODULE_MD_DICT 16
#define VAR_SIZE 16	     /* PyVarObject.ob_size */
#define LIST_ITEMS 24	     /* PyListObject.ob_item: a pointer */
#define TUPLE_ITEMS 24	     /* PyTupleObject.ob_item: inline */
#define MANAGED_DICT 24	     /* 3.11+: the dict pointer, 3 words before the object */
#define MAX_ITEMS (1u << 22) /* items of one container followed */
#define KEY_CHARS 48	     /* characters of a key shown */

enum tkind {
	T_OTHER,
	T_MODULE,
	T_DICT,
	T_LIST,
	T_TUPLE,
	T_STR,
	T_INSTANCE
};

struct tinfo {
	enum tkind kind;
	char name[96];
	__s64 dictoffset;
	__u64 flags;
};

struct node {
	__u64 addr;
	__u64 slot;   /* where the pointer to it was read */
	__u64 label;  /* key object (ATTR, KEY) or index (INDEX) */
	__u32 parent; /* index in nodes; itself for a root */
	__u8 kind;    /* enum backref_kind */
	__u8 pad[3];
};

struct search {
	struct census *c;
	const struct py_layout *l;
	struct pymem *mem;
	struct hashmap *types; /* type address -> struct tinfo */
	struct hashmap *seen;  /* object address -> 1 */
	struct node *nodes;
	size_t nr, cap;
	__u64 target, max_objects;
	double max_ms;
	struct timespec t0;
	long found; /* index of the node found, -1 */
};

static const struct tinfo *type_of(struct search *s, __u64 obj, __u64 *type_out)
{
	struct tinfo *t;
	__u64 type;

	if (!obj || obj & 7 || pymem__word(s->mem, obj + s->l->ob_type, &type))
		return NULL;
	if (type_out)
		*type_out = type;
	t = hashmap__get(s->types, &type);
	if (t)
		return t->name[0] ? t : NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (census__type_name(s->c, type, t->name, sizeof(t->name)) &&
	    !pymem__word(s->mem, type + LT_PY_TP_FLAGS, &t->flags) &&
	    !pymem__word(s->mem, type + LT_PY_TP_DICTOFFSET, (__u64 *)&t->dictoffset)) {
		if (!strcmp(t->name, "module"))
			t->kind = T_MODULE;
		else if (!strcmp(t->name, "dict"))
			t->kind = T_DICT;
		else if (!strcmp(t->name, "list"))
			t->kind = T_LIST;
		else if (!strcmp(t->name, "tuple"))
			t->kind = T_TUPLE;
		else if (!strcmp(t->name, "str"))
			t->kind = T_STR;
		else if (t->dictoffset > 0 ||
			 (s->l->tp_flags_preheader & t->flags & LT_PY_TPFLAGS_MANAGED_DICT))
			t->kind = T_INSTANCE;
	} else {
		t->name[0] = 0;
	}
	if (hashmap__put(s->types, &type, t)) {
		free(t);
		return NULL;
	}
	return t->name[0] ? t : NULL;
}

/* Adds @obj, reached from node @parent through @slot; true once the target
 * is found or a bound is reached (the search is over). */
static bool add(struct search *s, __u64 obj, __u32 parent, __u64 slot, enum backref_kind kind,
		__u64 label, bool root)
{
	__u64 type;

	if (!obj || obj & 7 || hashmap__get(s->seen, &obj))
		return false;
	if (s->nr >= s->max_objects || ARRAY_RESERVE(s->nodes, s->cap, s->nr + 1) ||
	    hashmap__put(s->seen, &obj, (void *)1))
		return true;
	s->nodes[s->nr] = (struct node){
		.addr = obj,
		.slot = slot,
		.label = label,
		.parent = root ? (__u32)s->nr : parent,
		.kind = kind,
	};
	s->nr++;
	if (!root && type_of(s, obj, &type) && type == s->target) {
		s->found = (long)s->nr - 1;
		return true;
	}
	return false;
}

/* The entries of the dict at @dict, last first: adds each value (with its
 * key as label). True when the search is over. */
static bool dict_items(struct search *s, __u64 dict, __u32 parent, enum backref_kind kind)
{
	const struct py_layout *l = s->l;
	__u64 keys, values, n, entries, esize, koff, voff, vbase = 0;

	if (pymem__word(s->mem, dict + DICT_MA_KEYS, &keys) ||
	    pymem__word(s->mem, dict + DICT_MA_VALUES, &values) || !keys)
		return false;
	if (l->minor <= 10) {
		__u64 size, width;

		if (pymem__word(s->mem, keys + 8, &size) || pymem__word(s->mem, keys + 32, &n) ||
		    size > MAX_ITEMS * 2ULL)
			return false;
		width = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
		entries = keys + 40 + size * width;
		esize = 24;
		koff = 8;
		voff = 16;
	} else {
		__u8 hdr[3];

		if (pymem__read(s->mem, keys + 8, hdr, sizeof(hdr)) ||
		    pymem__word(s->mem, keys + 24, &n) || hdr[1] > 40)
			return false;
		entries = keys + 32 + (1ULL << hdr[1]);
		esize = hdr[2] == 0 ? 24 : 16;
		koff = hdr[2] == 0 ? 8 : 0;
		voff = koff + 8;
	}
	if (values)
		vbase = values + (l->minor >= 13 ? 8 : 0);
	if (n > MAX_ITEMS)
		n = MAX_ITEMS;
	for (__u64 i = n; i-- > 0;) {
		__u64 key, value, slot = values ? vbase + 8 * i : entries + i * esize + voff;

		if (pymem__word(s->mem, entries + i * esize + koff, &key) || !key ||
		    pymem__word(s->mem, slot, &value) || !value)
			continue;
		if (add(s, value, parent, slot, kind, key, false))
			return true;
	}
	return false;
}

/* Follows what node @i refers to. True when the search is over. */
static bool expand(struct search *s, __u32 i)
{
	__u64 obj = s->nodes[i].addr, n, items, dict;
	const struct tinfo *t = type_of(s, obj, NULL);

	if (!t)
		return false;
	switch (t->kind) {
	case T_MODULE:
		if (pymem__word(s->mem, obj + MODULE_MD_DICT, &dict) || !dict)
			return false;
		return dict_items(s, dict, i, BACKREF_ATTR);
	case T_DICT:
		return dict_items(s, obj, i, BACKREF_KEY);
	case T_LIST:
	case T_TUPLE:
		if (pymem__word(s->mem, obj + VAR_SIZE, &n) || n > MAX_ITEMS)
			return false;
		items = obj + TUPLE_ITEMS;
		if (t->kind == T_LIST && pymem__word(s->mem, obj + LIST_ITEMS, &items))
			return false;
		for (__u64 j = n; j-- > 0;) {
			__u64 item;

			if (pymem__word(s->mem, items + 8 * j, &item))
				return false;
			if (add(s, item, i, items + 8 * j, BACKREF_INDEX, j, false))
				return true;
		}
		return false;
	case T_INSTANCE:
		if (t->dictoffset > 0) {
			if (pymem__word(s->mem, obj + (__u64)t->dictoffset, &dict))
				return false;
		} else if (pymem__word(s->mem, obj - MANAGED_DICT, &dict)) {
			return false;
		}
		/* 3.12 tags a pointer to values (no dict made yet) with bit 0 */
		if (!dict || dict & 7)
			return false;
		return dict_items(s, dict, i, BACKREF_ATTR);
	default:
		return false;
	}
}

/* A str's characters as UTF-8, cut at KEY_CHARS, into @out; false if @obj
 * is not a str that can be read. */
static bool read_str(struct search *s, __u64 obj, char *out, size_t len)
{
	const struct py_layout *l = s->l;
	const struct tinfo *t = type_of(s, obj, NULL);
	unsigned char data[KEY_CHARS * 4];
	unsigned int kind;
	bool compact, ascii;
	__u64 length;
	__u32 state;
	size_t o = 0;

	if (!t || t->kind != T_STR || pymem__word(s->mem, obj + l->str_length, &length) ||
	    pymem__read(s->mem, obj + l->str_state, &state, sizeof(state)) ||
	    !py_str_state(l, state, &kind, &compact, &ascii) || !compact)
		return false;
	if (length > KEY_CHARS)
		length = KEY_CHARS;
	if (pymem__read(s->mem, obj + (ascii ? l->str_ascii_data : l->str_compact_data), data,
			length * kind))
		return false;
	for (__u64 i = 0; i < length && o + 5 < len; i++) {
		__u32 cp = kind == 1   ? data[i]
			   : kind == 2 ? ((__u16 *)data)[i]
				       : ((__u32 *)data)[i];

		if (cp < 0x80) {
			out[o++] = (char)cp;
		} else if (cp < 0x800) {
			out[o++] = (char)(0xc0 | cp >> 6);
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			out[o++] = (char)(0xe0 | cp >> 12);
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x110000) {
			out[o++] = (char)(0xf0 | cp >> 18);
			out[o++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((cp >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (cp & 0x3f));
		}
	}
	out[o] = 0;
	if (length == KEY_CHARS && o + 4 < len)
		strcat(out, "...");
	return true;
}

/* The link to node @i, named: re-reads its slot and checks it still holds
 * the object. */
static bool fill_link(struct search *s, const struct node *nd, struct backref_link *out)
{
	const struct tinfo *t;
	char key[KEY_CHARS * 4 + 8];
	__u64 now;

	memset(out, 0, sizeof(*out));
	out->addr = nd->addr;
	out->kind = nd->kind;
	if (pymem__word(s->mem, nd->slot, &now) || now != nd->addr)
		return false;
	t = type_of(s, nd->addr, NULL);
	if (!t)
		return false;
	snprintf(out->type, sizeof(out->type), "%s", t->name);
	switch (nd->kind) {
	case BACKREF_MODULE:
	case BACKREF_ATTR:
		if (!read_str(s, nd->label, out->name, sizeof(out->name)))
			snprintf(out->name, sizeof(out->name), "?");
		break;
	case BACKREF_KEY:
		if (read_str(s, nd->label, key, sizeof(key))) {
			snprintf(out->name, sizeof(out->name), "'%s'", key);
		} else {
			t = type_of(s, nd->label, NULL);
			snprintf(out->name, sizeof(out->name), "<%s key>", t ? t->name : "?");
		}
		break;
	case BACKREF_INDEX:
		snprintf(out->name, sizeof(out->name), "%llu", (unsigned long long)nd->label);
		break;
	}
	return true;
}

static void search_free(struct search *s)
{
	size_t pos = 0;
	void *v;

	while (s->types && hashmap__next(s->types, &pos, NULL, &v))
		free(v);
	hashmap__free(s->types);
	hashmap__free(s->seen);
	pymem__free(s->mem);
	free(s->nodes);
}

int backrefs__find(struct census *c, __u64 type, double max_ms, __u64 max_objects,
		   struct backref_chain *out)
{
	struct search s = {
		.c = c,
		.l = census__layout(c),
		.target = type,
		.max_ms = max_ms,
		.max_objects = max_objects,
		.found = -1,
	};
	__u64 interp, modules;
	__u32 chain[BACKREFS_MAX_LINKS];
	unsigned int nr = 0;
	int err = 0;
	long i;

	memset(out, 0, sizeof(*out));
	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	s.mem = pymem__new(census__pid(c), 8);
	s.types = hashmap__new(sizeof(__u64));
	s.seen = hashmap__new(sizeof(__u64));
	if (!s.mem || !s.types || !s.seen) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = pymem__word(s.mem, census__runtime(c) + s.l->bpf.rt_interp_main, &interp);
	if (!err)
		err = pymem__word(s.mem, interp + s.l->interp_modules, &modules);
	if (err)
		goto cleanup;
	/* the roots: sys.modules' values, named by their keys */
	dict_items(&s, modules, 0, BACKREF_MODULE);
	for (size_t k = 0; k < s.nr; k++)
		s.nodes[k].parent = (__u32)k;
	for (size_t k = 0; k < s.nr && s.found < 0; k++) {
		if (expand(&s, (__u32)k))
			break;
		if (!(k % 1024) && lt_ms_since(&s.t0) > max_ms)
			break;
	}
	out->visited = s.nr;
	out->search_ms = lt_ms_since(&s.t0);
	if (s.found < 0) {
		err = -ENOENT;
		goto cleanup;
	}
	for (i = s.found; nr < BACKREFS_MAX_LINKS; i = s.nodes[i].parent) {
		chain[nr++] = (__u32)i;
		if (s.nodes[i].parent == (__u32)i)
			break;
	}
	if (s.nodes[i].parent != (__u32)i) {
		err = -ENOENT; /* longer than a chain is kept */
		goto cleanup;
	}
	/* read every link again, from the process, not the cache */
	pymem__reset(s.mem);
	out->verified = true;
	for (unsigned int k = 0; k < nr; k++) {
		__u64 now_type;

		if (!fill_link(&s, &s.nodes[chain[nr - 1 - k]], &out->links[k]))
			out->verified = false;
		if (k == nr - 1 &&
		    (!type_of(&s, out->links[k].addr, &now_type) || now_type != type))
			out->verified = false;
	}
	out->nr = nr;
	if (!out->verified)
		err = -EAGAIN;
cleanup:
	search_free(&s);
	return err;
}

/* A DOT string: quotes and backslashes escaped, controls as \xNN. */
static void dot_str(FILE *f, const char *s)
{
	char esc[512];

	lt_escape_term(esc, sizeof(esc), s);
	for (const char *p = esc; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
}

void backrefs__dot(const struct backref_chain *ch, FILE *f)
{
	fputs("digraph backrefs {\n\tnode [shape=box, fontname=\"monospace\"];\n", f);
	for (unsigned int i = 0; i < ch->nr; i++) {
		const struct backref_link *l = &ch->links[i];

		fprintf(f, "\tn%u [label=\"", i);
		if (l->kind == BACKREF_MODULE) {
			fputs("module ", f);
			dot_str(f, l->name);
		} else {
			dot_str(f, l->type);
		}
		fprintf(f, "\\n0x%llx\"%s];\n", (unsigned long long)l->addr,
			i + 1 == ch->nr ? ", style=filled, fillcolor=\"#f4cccc\"" : "");
		if (i) {
			fprintf(f, "\tn%u -> n%u [label=\"", i - 1, i);
			if (l->kind == BACKREF_INDEX)
				fputc('[', f);
			else if (l->kind == BACKREF_KEY)
				fputc('[', f);
			dot_str(f, l->name);
			if (l->kind == BACKREF_INDEX || l->kind == BACKREF_KEY)
				fputc(']', f);
			fputs("\"];\n", f);
		}
	}
	fputs("}\n", f);
}
