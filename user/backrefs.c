// SPDX-License-Identifier: GPL-2.0-only
/* Backrefs: a breadth-first search from sys.modules through the containers a
 * CPython process's objects are kept in, read from outside, to the nearest
 * object of one type. The search follows module dicts, dicts (and their
 * subclasses), lists, tuples, sets and frozensets, instance attributes (a
 * __dict__, or 3.11+'s values array when no dict was made; __slots__), class
 * attributes (tp_dict), closures (function -> __closure__ -> cell ->
 * contents), a function's defaults (__defaults__, __kwdefaults__), the
 * frames a traceback keeps (traceback -> tb_next... -> tb_frame -> the
 * frame's fast locals, through their cells), and the locals of a suspended
 * generator's or coroutine's frame. Newer items first (the end of a
 * list, the last entries of a dict), so that among chains as short, the one
 * to a newer object wins. Each node costs 40 bytes; names are read only for
 * the chain found, whose links are all walked again from their holder (cache
 * dropped: the dict's table, the list's array, the closure, the frame read
 * anew) and checked to lead to the same object before it is returned: never
 * a chain that is not real.
 *
 * Dict layouts (PyDictKeysObject), from Objects/dict-common.h (3.8-3.10)
 * and Include/internal/pycore_dict.h (3.11+):
 *   3.8-3.10  dk_size @8, dk_nentries @32, dk_indices @40, index width by
 *             size; entries {hash, key, value}
 *   3.11+     dk_log2_size @8, dk_log2_index_bytes @9, dk_kind @10,
 *             dk_nentries @24, dk_indices @32; entries {hash, key, value}
 *             for general keys, {key, value} for str-only and split keys
 * A split table keeps values apart, at ma_values: in entry order (3.8-3.10),
 * or a PyDictValues whose insertion order says which entries are used:
 * 3.11, 3.12 as bytes before the values (-1: prefix size, -2: used, -3 on:
 * the order), 3.13 after a 8-byte header {capacity, size, embedded, valid}
 * and the capacity's values. An instance with no dict made keeps such values
 * itself (pylayout.h, enum py_values), with its class's shared keys. */
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

/* Fixed in 3.8 to 3.13 (release builds, LP64) */
#define DICT_MA_KEYS 32
#define DICT_MA_VALUES 40
#define MODULE_MD_DICT 16
#define VAR_SIZE 16	     /* PyVarObject.ob_size */
#define LIST_ITEMS 24	     /* PyListObject.ob_item: a pointer */
#define TUPLE_ITEMS 24	     /* PyTupleObject.ob_item: inline */
#define SET_MASK 32	     /* PySetObject.mask */
#define SET_TABLE 40	     /* PySetObject.table: setentry {key, hash} */
#define SET_ENTRY 16	     /* sizeof(setentry) */
#define CELL_REF 16	     /* PyCellObject.ob_ref */
#define TB_NEXT 16	     /* PyTracebackObject.tb_next */
#define TB_FRAME 24	     /* PyTracebackObject.tb_frame */
#define MANAGED_DICT 24	     /* 3.11+: the dict pointer, 3 words before the object */
#define VALUES_311 32	     /* 3.11: the values pointer, 4 words before */
#define INLINE_VALUES 16     /* 3.13: sizeof(PyObject), where inline values start */
#define DICT_KEYS_SPLIT 2    /* 3.11+ dk_kind of a class's shared keys */
#define MAX_ITEMS (1u << 22) /* items of one container followed */
#define MAX_LOCALS 4096	     /* fast locals of one frame */
#define MAX_CLOSURE 1024     /* cells of one closure */
#define MAX_TB 64	     /* tracebacks followed down tb_next */
#define KEY_CHARS 48	     /* characters of a key shown */
/* __slots__: a class's members (PyMemberDef {name, type, offset, flags, doc},
 * 40 bytes, the list ended by a NULL name) at tp_members, its own and its
 * bases' (tp_base); a slot holds an object where the type is T_OBJECT or
 * T_OBJECT_EX (structmember.h; 3.12's Py_T_OBJECT, Py_T_OBJECT_EX) */
#define TP_BASICSIZE 32
#define TP_MEMBERS 240
#define TP_BASE 256
#define MEMBER_SIZE 40
#define MEMBER_TYPE 8
#define MEMBER_OFFSET 16
#define MEMBER_T_OBJECT 6
#define MEMBER_T_OBJECT_EX 16
#define MAX_MEMBERS 256 /* members of one class */
#define MAX_BASES 64	/* classes up tp_base */

enum tkind {
	T_OTHER,
	T_MODULE,
	T_DICT,
	T_LIST,
	T_TUPLE,
	T_STR,
	T_SET,
	T_FUNCTION,
	T_CELL,
	T_TRACEBACK,
	T_FRAME,
	T_GEN, /* a generator or coroutine: the frame it is suspended in */
	T_CLASS,
	T_INSTANCE,
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
	__u64 label;  /* key object (MODULE, ATTR, KEY) or index (INDEX) */
	__u32 aux;    /* where in its holder: entry, item, cell, traceback or local */
	__u32 parent; /* index in nodes; itself for a root */
	__u8 kind;    /* enum backref_kind */
	__u8 pad[7];
};

struct search {
	struct census *c;
	const struct py_layout *l;
	struct pymem *mem;
	struct hashmap *types; /* type address -> struct tinfo */
	struct hashmap *seen;  /* object address -> 1 */
	struct node *nodes;
	size_t nr, cap;
	__u64 modules; /* sys.modules, the roots' holder */
	__u64 target, max_objects;
	double max_ms;
	struct timespec t0;
	long found; /* index of the node found, -1 */
};

/* Where the items of a dict, or of an instance's values, are. */
struct view {
	__u64 entries, esize, koff, voff; /* the keys' entries */
	__u64 nkeys;			  /* entries in use or deleted */
	__u64 vbase;			  /* split: the values, 0 for a combined table */
	__u64 n;			  /* items: entries, or values in insertion order */
	__u64 order;			  /* 3.11+ values: where the order's bytes are, or 0 */
	int step;			  /* +1, or -1 where the order runs backwards */
};

static const struct {
	const char *name;
	enum tkind kind;
} builtin_kinds[] = {
	{ "module", T_MODULE },	      { "dict", T_DICT },	  { "list", T_LIST },
	{ "tuple", T_TUPLE },	      { "str", T_STR },		  { "set", T_SET },
	{ "frozenset", T_SET },	      { "function", T_FUNCTION }, { "cell", T_CELL },
	{ "traceback", T_TRACEBACK }, { "frame", T_FRAME },	  { "generator", T_GEN },
	{ "coroutine", T_GEN },
};

/* What an object of type @t holds, as the search follows it. Builtins by
 * name, only where the type is not a class made by the program (which may
 * be named anything). */
static enum tkind kind_of(const struct search *s, const struct tinfo *t)
{
	if (!(t->flags & LT_PY_TPFLAGS_HEAPTYPE)) {
		for (size_t i = 0; i < sizeof(builtin_kinds) / sizeof(builtin_kinds[0]); i++) {
			if (!strcmp(t->name, builtin_kinds[i].name))
				return builtin_kinds[i].kind;
		}
	}
	if (t->flags & LT_PY_TPFLAGS_TYPE_SUBCLASS)
		return T_CLASS;
	/* collections.defaultdict, OrderedDict, Counter: a dict first */
	if (t->flags & LT_PY_TPFLAGS_DICT_SUBCLASS)
		return T_DICT;
	if (t->flags & LT_PY_TPFLAGS_LIST_SUBCLASS)
		return T_LIST;
	if (t->flags & LT_PY_TPFLAGS_TUPLE_SUBCLASS)
		return T_TUPLE;
	/* a class of the program's: its instances keep attributes in a dict,
	 * values or __slots__ */
	if (t->dictoffset > 0 ||
	    (s->l->tp_flags_preheader & t->flags & LT_PY_TPFLAGS_MANAGED_DICT) ||
	    (t->flags & LT_PY_TPFLAGS_HEAPTYPE))
		return T_INSTANCE;
	return T_OTHER;
}

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
	    !pymem__word(s->mem, type + LT_PY_TP_DICTOFFSET, (__u64 *)&t->dictoffset))
		t->kind = kind_of(s, t);
	else
		t->name[0] = 0;
	if (hashmap__put(s->types, &type, t)) {
		free(t);
		return NULL;
	}
	return t->name[0] ? t : NULL;
}

static enum tkind tkind_at(struct search *s, __u64 obj)
{
	const struct tinfo *t = type_of(s, obj, NULL);

	return t ? t->kind : T_OTHER;
}

static int read_int(struct search *s, __u64 addr, __u64 *out)
{
	__s32 v;
	int err = pymem__read(s->mem, addr, &v, sizeof(v));

	*out = !err && v > 0 ? (__u64)v : 0;
	return err;
}

/* Item @i of the tuple at @tuple, bounds checked. */
static bool tuple_item(struct search *s, __u64 tuple, __u64 i, __u64 *item)
{
	__u64 n;

	return tuple && !pymem__word(s->mem, tuple + VAR_SIZE, &n) && i < n && n <= MAX_ITEMS &&
	       !pymem__word(s->mem, tuple + TUPLE_ITEMS + 8 * i, item) && *item;
}

/* The entries of the keys at @keys, into @v (no values yet). */
static bool keys_view(struct search *s, __u64 keys, struct view *v)
{
	memset(v, 0, sizeof(*v));
	if (!keys)
		return false;
	if (s->l->minor <= 10) {
		__u64 size, width;

		if (pymem__word(s->mem, keys + 8, &size) ||
		    pymem__word(s->mem, keys + 32, &v->nkeys) || size > MAX_ITEMS * 2ULL)
			return false;
		width = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
		v->entries = keys + 40 + size * width;
		v->esize = 24;
		v->koff = 8;
		v->voff = 16;
	} else {
		__u8 hdr[3];

		if (pymem__read(s->mem, keys + 8, hdr, sizeof(hdr)) ||
		    pymem__word(s->mem, keys + 24, &v->nkeys) || hdr[1] > 40)
			return false;
		v->entries = keys + 32 + (1ULL << hdr[1]);
		v->esize = hdr[2] == 0 ? 24 : 16;
		v->koff = hdr[2] == 0 ? 8 : 0;
		v->voff = v->koff + 8;
	}
	if (v->nkeys > MAX_ITEMS)
		v->nkeys = MAX_ITEMS;
	v->n = v->nkeys;
	return true;
}

/* Adds the split values at @values to @v, a view of their keys. */
static bool values_view(struct search *s, __u64 values, struct view *v)
{
	__u8 hdr[4];

	if (!values)
		return false;
	switch (s->l->refs.values) {
	case PY_VALUES_NONE:
		v->vbase = values; /* a plain array, in entry order */
		return true;
	case PY_VALUES_311:
	case PY_VALUES_312:
		/* [-1] prefix size, [-2] used, [-3 - k] the k-th entry used */
		if (pymem__read(s->mem, values - 2, hdr, 2) || hdr[0] + 2u > hdr[1])
			return false;
		v->vbase = values;
		v->n = hdr[0];
		v->order = values - 3;
		v->step = -1;
		return true;
	case PY_VALUES_313:
		/* {capacity, size, embedded, valid}, padding, values[capacity],
		 * then the order */
		if (pymem__read(s->mem, values, hdr, sizeof(hdr)) || !hdr[3] || hdr[1] > hdr[0])
			return false;
		v->vbase = values + 8;
		v->n = hdr[1];
		v->order = v->vbase + 8ULL * hdr[0];
		v->step = 1;
		return true;
	}
	return false;
}

static bool dict_view(struct search *s, __u64 dict, struct view *v)
{
	__u64 keys, values;

	if (!dict || pymem__word(s->mem, dict + DICT_MA_KEYS, &keys) ||
	    pymem__word(s->mem, dict + DICT_MA_VALUES, &values) || !keys_view(s, keys, v))
		return false;
	return !values || values_view(s, values, v);
}

/* The attributes of the instance at @obj, of type @type: its __dict__, or
 * the values it keeps itself (3.11+) with its class's shared keys. */
static bool instance_view(struct search *s, __u64 obj, __u64 type, const struct tinfo *t,
			  struct view *v)
{
	const struct py_refs *r = &s->l->refs;
	__u64 dict = 0, values = 0, keys;

	if (t->dictoffset > 0) {
		if (pymem__word(s->mem, obj + (__u64)t->dictoffset, &dict))
			return false;
		return dict_view(s, dict, v);
	}
	if (!(s->l->tp_flags_preheader & t->flags & LT_PY_TPFLAGS_MANAGED_DICT) ||
	    pymem__word(s->mem, obj - MANAGED_DICT, &dict))
		return false;
	switch (r->values) {
	case PY_VALUES_NONE:
		return false;
	case PY_VALUES_311:
		if (!dict && pymem__word(s->mem, obj - VALUES_311, &values))
			return false;
		break;
	case PY_VALUES_312:
		/* values - 1, tagged by bit 0; else the dict */
		if (dict & 1) {
			values = dict + 1;
			dict = 0;
		}
		break;
	case PY_VALUES_313:
		if (!dict && t->flags & LT_PY_TPFLAGS_INLINE_VALUES)
			values = obj + INLINE_VALUES;
		break;
	}
	if (dict)
		return dict_view(s, dict, v);
	if (!values || r->ht_cached_keys == LT_PY_NONE ||
	    pymem__word(s->mem, type + r->ht_cached_keys, &keys) || !keys_view(s, keys, v) ||
	    v->esize != 16)
		return false;
	return values_view(s, values, v);
}

/* Entry @i of @v: its key, and the slot that holds its value. */
static bool view_at(struct search *s, const struct view *v, __u64 i, __u64 *key, __u64 *slot)
{
	__u64 ix = i;

	if (i >= v->n)
		return false;
	if (v->order) {
		__u8 b;

		if (pymem__read(s->mem, v->order + (__u64)((__s64)v->step * (__s64)i), &b, 1))
			return false;
		ix = b;
	}
	if (ix >= v->nkeys || pymem__word(s->mem, v->entries + ix * v->esize + v->koff, key) ||
	    !*key)
		return false;
	*slot = v->vbase ? v->vbase + 8 * ix : v->entries + ix * v->esize + v->voff;
	return true;
}

/* The attribute table of @obj, a module, dict, class, instance or function. */
static bool holder_view(struct search *s, __u64 obj, struct view *v)
{
	__u64 type, dict;
	const struct tinfo *t = type_of(s, obj, &type);

	if (!t)
		return false;
	switch (t->kind) {
	case T_MODULE:
		return !pymem__word(s->mem, obj + MODULE_MD_DICT, &dict) && dict_view(s, dict, v);
	case T_DICT:
		return dict_view(s, obj, v);
	case T_CLASS:
		/* 3.12+: NULL for static builtin types, which keep it elsewhere */
		return !pymem__word(s->mem, obj + LT_PY_TP_DICT, &dict) && dict_view(s, dict, v);
	case T_INSTANCE:
	case T_FUNCTION:
		return instance_view(s, obj, type, t, v);
	default:
		return false;
	}
}

static bool add(struct search *s, __u64 obj, __u32 parent, __u64 slot, enum backref_kind kind,
		__u64 label, __u64 aux);

/* Whether the member at @def holds an object (a slot), in an instance of
 * @size bytes: at *@off. */
static bool member_at(struct search *s, __u64 def, __u64 size, __u64 *off)
{
	__s32 type;

	return !pymem__read(s->mem, def + MEMBER_TYPE, &type, sizeof(type)) &&
	       (type == MEMBER_T_OBJECT || type == MEMBER_T_OBJECT_EX) &&
	       !pymem__word(s->mem, def + MEMBER_OFFSET, off) && *off >= 16 && !(*off & 7) &&
	       *off + 8 <= size;
}

/* The object slots of @obj (its class's and its bases' __slots__): adds
 * what each holds, with the member's address as label. True when the search
 * is over; with @want, instead only looks for member @want and sets @found. */
static bool slots_of(struct search *s, __u64 obj, __u32 parent, __u64 want, bool *found)
{
	__u64 type, size, members, def, name, off, p;

	if (!type_of(s, obj, &type) || pymem__word(s->mem, type + TP_BASICSIZE, &size))
		return false;
	for (unsigned int k = 0; type && k < MAX_BASES; k++) {
		if (pymem__word(s->mem, type + TP_MEMBERS, &members))
			return false;
		for (unsigned int j = 0; members && j < MAX_MEMBERS; j++) {
			def = members + MEMBER_SIZE * j;
			if (pymem__word(s->mem, def, &name) || !name)
				break;
			if (want) {
				if (def == want)
					return (*found = true);
				continue;
			}
			if (!member_at(s, def, size, &off) || pymem__word(s->mem, obj + off, &p))
				continue;
			if (add(s, p, parent, obj + off, BACKREF_SLOT, def, off))
				return true;
		}
		if (pymem__word(s->mem, type + TP_BASE, &type))
			return false;
	}
	return false;
}

/* The code object a frame runs, and where its fast locals are (how many). */
static bool frame_locals(struct search *s, __u64 frame, __u64 *code, __u64 *base, __u64 *n)
{
	const struct py_refs *r = &s->l->refs;
	__u64 a, b, c;

	if (r->fr_iframe == LT_PY_NONE) {
		if (pymem__word(s->mem, frame + r->fr_code, code) || !*code ||
		    read_int(s, *code + r->co_nlocals, &a) ||
		    pymem__word(s->mem, *code + r->co_cellvars, &b) ||
		    pymem__word(s->mem, *code + r->co_freevars, &c) ||
		    (b && pymem__word(s->mem, b + VAR_SIZE, &b)) ||
		    (c && pymem__word(s->mem, c + VAR_SIZE, &c)) || a > MAX_LOCALS ||
		    b > MAX_LOCALS || c > MAX_LOCALS)
			return false;
		*base = frame + r->fr_localsplus;
		*n = a + b + c;
	} else {
		__u64 iframe, back;

		/* the frame's data: its own copy once the function returned,
		 * else where it runs, whose frame object points back */
		if (pymem__word(s->mem, frame + r->fr_iframe, &iframe) || !iframe ||
		    pymem__word(s->mem, iframe + r->if_frame_obj, &back) ||
		    (iframe != frame + r->fr_data && back != frame) ||
		    pymem__word(s->mem, iframe + s->l->bpf.fr_code, code) || !*code ||
		    read_int(s, *code + r->co_nlocalsplus, n))
			return false;
		*base = iframe + r->if_localsplus;
	}
	return *n <= MAX_LOCALS;
}

/* The same for a frame object or a generator's (or coroutine's) frame:
 * 3.8-3.10 its frame object, 3.11+ the frame data it holds itself. */
static bool locals_of(struct search *s, __u64 obj, __u64 *code, __u64 *base, __u64 *n)
{
	const struct py_refs *r = &s->l->refs;
	__u64 frame, iframe;

	if (tkind_at(s, obj) != T_GEN)
		return frame_locals(s, obj, code, base, n);
	if (r->gen_frame != LT_PY_NONE)
		return !pymem__word(s->mem, obj + r->gen_frame, &frame) &&
		       tkind_at(s, frame) == T_FRAME && frame_locals(s, frame, code, base, n);
	iframe = obj + r->gen_iframe;
	if (pymem__word(s->mem, iframe + s->l->bpf.fr_code, code) || !*code ||
	    read_int(s, *code + r->co_nlocalsplus, n))
		return false;
	*base = iframe + r->if_localsplus;
	return *n <= MAX_LOCALS;
}

/* The holder at @obj (of kind @kind) and what node @nd says of where it
 * keeps the next object: the slot that holds it now, read again. */
static bool slot_now(struct search *s, __u64 obj, const struct node *nd, __u64 *slot)
{
	struct view v;
	__u64 key, n, items, p, code, base;

	switch (nd->kind) {
	case BACKREF_MODULE:
	case BACKREF_ATTR:
	case BACKREF_KEY:
		return holder_view(s, obj, &v) && view_at(s, &v, nd->aux, &key, slot) &&
		       key == nd->label;
	case BACKREF_INDEX:
		items = obj + TUPLE_ITEMS;
		if (pymem__word(s->mem, obj + VAR_SIZE, &n) || nd->aux >= n ||
		    (tkind_at(s, obj) == T_LIST && pymem__word(s->mem, obj + LIST_ITEMS, &items)))
			return false;
		*slot = items + 8ULL * nd->aux;
		return true;
	case BACKREF_ITEM:
		if (pymem__word(s->mem, obj + SET_MASK, &n) || nd->aux > n ||
		    pymem__word(s->mem, obj + SET_TABLE, &items))
			return false;
		*slot = items + SET_ENTRY * (__u64)nd->aux;
		return true;
	case BACKREF_CELL:
		if (pymem__word(s->mem, obj + s->l->refs.func_closure, &items) ||
		    !tuple_item(s, items, nd->aux, &p))
			return false;
		*slot = p + CELL_REF;
		return true;
	case BACKREF_FRAME:
		for (__u32 k = 0; k < nd->aux; k++) {
			if (pymem__word(s->mem, obj + TB_NEXT, &obj) || !obj)
				return false;
		}
		*slot = obj + TB_FRAME;
		return true;
	case BACKREF_DEFAULT:
		/* label 0: __defaults__[aux]; else __kwdefaults__'s entry aux,
		 * of that key */
		if (nd->label)
			return !pymem__word(s->mem, obj + s->l->refs.func_kwdefaults, &p) &&
			       tkind_at(s, p) == T_DICT && dict_view(s, p, &v) &&
			       view_at(s, &v, nd->aux, &key, slot) && key == nd->label;
		if (pymem__word(s->mem, obj + s->l->refs.func_defaults, &items) ||
		    !tuple_item(s, items, nd->aux, &p))
			return false;
		*slot = items + TUPLE_ITEMS + 8ULL * nd->aux;
		return true;
	case BACKREF_SLOT: {
		bool found = false;

		/* the member is still one of its class's, at the same offset */
		slots_of(s, obj, 0, nd->label, &found);
		if (!found || !type_of(s, obj, &p) || pymem__word(s->mem, p + TP_BASICSIZE, &n) ||
		    !member_at(s, nd->label, n, &items) || items != nd->aux)
			return false;
		*slot = obj + items;
		return true;
	}
	case BACKREF_LOCAL:
		if (!locals_of(s, obj, &code, &base, &n) || nd->aux >= n ||
		    pymem__word(s->mem, base + 8ULL * nd->aux, &p))
			return false;
		*slot = base + 8ULL * nd->aux;
		if (tkind_at(s, p) == T_CELL)
			*slot = p + CELL_REF;
		return true;
	}
	return false;
}

/* Adds @obj, reached from node @parent through @slot; true once the target
 * is found or a bound is reached (the search is over). */
static bool add(struct search *s, __u64 obj, __u32 parent, __u64 slot, enum backref_kind kind,
		__u64 label, __u64 aux)
{
	bool root = kind == BACKREF_MODULE;
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
		.aux = (__u32)aux,
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

/* The items of @v, last first: adds each value (with its key as label).
 * True when the search is over. */
static bool view_items(struct search *s, const struct view *v, __u32 parent, enum backref_kind kind)
{
	for (__u64 i = v->n; i-- > 0;) {
		__u64 key, slot, value;

		if (!view_at(s, v, i, &key, &slot) || pymem__word(s->mem, slot, &value) || !value)
			continue;
		if (add(s, value, parent, slot, kind, key, i))
			return true;
	}
	return false;
}

/* Follows what node @i refers to. True when the search is over. */
static bool expand(struct search *s, __u32 i)
{
	__u64 obj = s->nodes[i].addr, n, items, p, code, base;
	const struct tinfo *t = type_of(s, obj, NULL);
	struct view v;

	if (!t)
		return false;
	switch (t->kind) {
	case T_INSTANCE:
		if (slots_of(s, obj, i, 0, NULL))
			return true;
		return holder_view(s, obj, &v) && view_items(s, &v, i, BACKREF_ATTR);
	case T_MODULE:
	case T_CLASS:
		return holder_view(s, obj, &v) && view_items(s, &v, i, BACKREF_ATTR);
	case T_DICT:
		return holder_view(s, obj, &v) && view_items(s, &v, i, BACKREF_KEY);
	case T_LIST:
	case T_TUPLE:
		if (pymem__word(s->mem, obj + VAR_SIZE, &n) || n > MAX_ITEMS)
			return false;
		items = obj + TUPLE_ITEMS;
		if (t->kind == T_LIST && pymem__word(s->mem, obj + LIST_ITEMS, &items))
			return false;
		for (__u64 j = n; j-- > 0;) {
			if (pymem__word(s->mem, items + 8 * j, &p))
				return false;
			if (add(s, p, i, items + 8 * j, BACKREF_INDEX, j, j))
				return true;
		}
		return false;
	case T_SET:
		/* mask + 1 entries; a deleted one holds a dummy key, added as
		 * any object (it leads nowhere) */
		if (pymem__word(s->mem, obj + SET_MASK, &n) || n >= MAX_ITEMS ||
		    pymem__word(s->mem, obj + SET_TABLE, &items))
			return false;
		for (__u64 j = n + 1; j-- > 0;) {
			if (pymem__word(s->mem, items + SET_ENTRY * j, &p))
				return false;
			if (add(s, p, i, items + SET_ENTRY * j, BACKREF_ITEM, 0, j))
				return true;
		}
		return false;
	case T_FUNCTION:
		/* its defaults (def f(x, seen=[]), def f(*, cache={})) */
		if (!pymem__word(s->mem, obj + s->l->refs.func_defaults, &items) && items &&
		    tkind_at(s, items) == T_TUPLE && !pymem__word(s->mem, items + VAR_SIZE, &n) &&
		    n <= MAX_CLOSURE)
			for (__u64 j = n; j-- > 0;)
				if (tuple_item(s, items, j, &p) &&
				    add(s, p, i, items + TUPLE_ITEMS + 8 * j, BACKREF_DEFAULT, 0,
					j))
					return true;
		if (!pymem__word(s->mem, obj + s->l->refs.func_kwdefaults, &p) && p &&
		    tkind_at(s, p) == T_DICT && dict_view(s, p, &v) &&
		    view_items(s, &v, i, BACKREF_DEFAULT))
			return true;
		/* its closure's cells, then its __dict__ (f.cache = {}) */
		if (pymem__word(s->mem, obj + s->l->refs.func_closure, &items) || !items ||
		    tkind_at(s, items) != T_TUPLE || pymem__word(s->mem, items + VAR_SIZE, &n) ||
		    n > MAX_CLOSURE)
			n = 0;
		for (__u64 j = n; j-- > 0;) {
			__u64 cell;

			if (!tuple_item(s, items, j, &cell) ||
			    pymem__word(s->mem, cell + CELL_REF, &p))
				continue;
			if (add(s, p, i, cell + CELL_REF, BACKREF_CELL, 0, j))
				return true;
		}
		return holder_view(s, obj, &v) && view_items(s, &v, i, BACKREF_ATTR);
	case T_TRACEBACK:
		/* the frame it was caught in, then each one down to the raise */
		p = obj;
		for (__u32 k = 0; p && k < MAX_TB; k++) {
			__u64 frame;

			if (pymem__word(s->mem, p + TB_FRAME, &frame))
				return false;
			if (add(s, frame, i, p + TB_FRAME, BACKREF_FRAME, 0, k))
				return true;
			if (pymem__word(s->mem, p + TB_NEXT, &p) || tkind_at(s, p) != T_TRACEBACK)
				return false;
		}
		return false;
	case T_FRAME:
	case T_GEN:
		if (!locals_of(s, obj, &code, &base, &n))
			return false;
		for (__u64 j = 0; j < n; j++) {
			__u64 slot = base + 8 * j;

			if (pymem__word(s->mem, slot, &p))
				return false;
			if (tkind_at(s, p) == T_CELL) {
				slot = p + CELL_REF;
				if (pymem__word(s->mem, slot, &p))
					continue;
			}
			if (add(s, p, i, slot, BACKREF_LOCAL, 0, j))
				return true;
		}
		return false;
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

/* The name of fast local @i of @code into @out (3.8-3.10: co_varnames,
 * then co_cellvars, then co_freevars; 3.11+: co_localsplusnames). */
static bool local_name(struct search *s, __u64 code, __u64 i, char *out, size_t len)
{
	const struct py_refs *r = &s->l->refs;
	__u64 names, n, name;

	if (r->co_localsplusnames != LT_PY_NONE) {
		if (pymem__word(s->mem, code + r->co_localsplusnames, &names))
			return false;
	} else {
		const __u16 offs[] = { r->co_varnames, r->co_cellvars, r->co_freevars };

		/* co_varnames has co_nlocals names */
		for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
			if (pymem__word(s->mem, code + offs[k], &names) || !names ||
			    pymem__word(s->mem, names + VAR_SIZE, &n))
				return false;
			if (i < n)
				break;
			i -= n;
		}
	}
	return tuple_item(s, names, i, &name) && read_str(s, name, out, len);
}

/* The name of free variable @i of @code (closure cell @i of a function). */
static bool free_name(struct search *s, __u64 code, __u64 i, char *out, size_t len)
{
	const struct py_refs *r = &s->l->refs;
	__u64 nlp, nfree, names, name;

	if (r->co_localsplusnames == LT_PY_NONE)
		return !pymem__word(s->mem, code + r->co_freevars, &names) &&
		       tuple_item(s, names, i, &name) && read_str(s, name, out, len);
	if (read_int(s, code + r->co_nlocalsplus, &nlp) ||
	    read_int(s, code + r->co_nfreevars, &nfree) || i >= nfree || nfree > nlp)
		return false;
	return local_name(s, code, nlp - nfree + i, out, len);
}

/* The link to node @nd, named: walks again from its holder, as it is now,
 * to the slot that keeps it, and checks that it still holds the object. */
static bool fill_link(struct search *s, const struct node *nd, struct backref_link *out)
{
	const struct node *up = &s->nodes[nd->parent];
	__u64 holder = nd->kind == BACKREF_MODULE ? s->modules : up->addr;
	char key[KEY_CHARS * 4 + 8];
	__u64 slot, now, code, base, n;
	const struct tinfo *t;

	memset(out, 0, sizeof(*out));
	out->addr = nd->addr;
	out->kind = nd->kind;
	if (!slot_now(s, holder, nd, &slot) || pymem__word(s->mem, slot, &now) || now != nd->addr)
		return false;
	t = type_of(s, nd->addr, NULL);
	if (!t)
		return false;
	snprintf(out->type, sizeof(out->type), "%s", t->name);
	out->is_class = t->kind == T_CLASS;
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
	case BACKREF_ITEM:
		break;
	case BACKREF_CELL:
		if (pymem__word(s->mem, up->addr + s->l->refs.func_code, &code) ||
		    !free_name(s, code, nd->aux, out->name, sizeof(out->name)))
			snprintf(out->name, sizeof(out->name), "?");
		break;
	case BACKREF_FRAME:
		if (!frame_locals(s, nd->addr, &code, &base, &n) ||
		    pymem__word(s->mem,
				code + (s->l->co_qualname != LT_PY_NONE ? s->l->co_qualname
									: s->l->co_name),
				&now) ||
		    !read_str(s, now, key, sizeof(key)))
			snprintf(key, sizeof(key), "?");
		snprintf(out->name, sizeof(out->name), "%s()", key);
		break;
	case BACKREF_DEFAULT:
		if (!nd->label)
			snprintf(out->name, sizeof(out->name), "__defaults__[%u]", nd->aux);
		else if (read_str(s, nd->label, key, sizeof(key)))
			snprintf(out->name, sizeof(out->name), "__kwdefaults__['%s']", key);
		else
			snprintf(out->name, sizeof(out->name), "__kwdefaults__[?]");
		break;
	case BACKREF_SLOT:
		if (pymem__word(s->mem, nd->label, &now) ||
		    pymem__string(s->mem, now, out->name, sizeof(out->name)) <= 0)
			snprintf(out->name, sizeof(out->name), "?");
		break;
	case BACKREF_LOCAL:
		if (!locals_of(s, up->addr, &code, &base, &n) ||
		    !local_name(s, code, nd->aux, out->name, sizeof(out->name)))
			snprintf(out->name, sizeof(out->name), "?");
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
	__u64 interp;
	__u32 chain[BACKREFS_MAX_LINKS];
	unsigned int nr = 0;
	struct view roots;
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
		err = pymem__word(s.mem, interp + s.l->interp_modules, &s.modules);
	if (err)
		goto cleanup;
	/* the roots: sys.modules' values, named by their keys */
	if (dict_view(&s, s.modules, &roots))
		view_items(&s, &roots, 0, BACKREF_MODULE);
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
	/* walk every link again, from the process, not the cache */
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
			static const char *const before[] = {
				[BACKREF_KEY] = "[",	    [BACKREF_INDEX] = "[",
				[BACKREF_ITEM] = "{}",	    [BACKREF_CELL] = "closure cell '",
				[BACKREF_FRAME] = "frame ", [BACKREF_LOCAL] = "local '",
			};
			static const char *const after[] = {
				[BACKREF_KEY] = "]",
				[BACKREF_INDEX] = "]",
				[BACKREF_CELL] = "'",
				[BACKREF_LOCAL] = "'",
			};

			fprintf(f, "\tn%u -> n%u [label=\"%s", i - 1, i,
				before[l->kind] ? before[l->kind] : "");
			dot_str(f, l->name);
			fprintf(f, "%s\"];\n", after[l->kind] ? after[l->kind] : "");
		}
	}
	fputs("}\n", f);
}
