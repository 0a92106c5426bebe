// SPDX-License-Identifier: GPL-2.0-only
/* Names Python frames and types of traced CPython processes: reads code and
 * type objects with process_vm_readv(), decodes their str and bytes fields,
 * and caches the result per process and address, with one shared copy of
 * each string. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "hashmap.h"
#include "procmem.h"
#include "pyresolve.h"

/* Caps on what one object may cost: past them a name is cut short and a
 * line table is not read (the frame is named, without a line). */
#define PY_NAME_MAX 1024	/* characters of a function or type name */
#define PY_FILE_MAX 4096	/* characters of a file name */
#define PY_TABLE_MAX (1u << 20) /* bytes of a line table */

/* Bytes of a code object read at once: every field we need lies in them. */
#define PY_CODE_HEAD 256
/* Bytes of a str object's header, the longest of all versions. */
#define PY_STR_HEAD 48

/* Reads never cross a 4 KiB boundary when the length is unknown: the
 * smallest page size, so a C string that ends near a page's end is read
 * without touching the next page, which may be unmapped. */
#define PY_CHUNK 4096

struct py_istr {
	struct py_istr *next; /* same hash */
	char s[];
};

struct py_code {
	const char *func; /* interned */
	const char *file; /* interned */
	int firstlineno;
	unsigned char *table; /* NULL: too long, or empty */
	size_t table_len;
	/* What it was read from: a freed code object's address can be taken by
	 * another, and these tell them apart. */
	__u64 seen_file, seen_name, seen_table;
	unsigned long checked; /* generation of the last check against memory */
	__u32 version;	       /* of the code at this address; keys its memoized lines */
};

struct py_line_key {
	__u64 code;
	__u32 instr;
	__u32 version; /* struct py_code's */
};

struct py_proc {
	const struct py_layout *l;
	bool gone;	       /* its memory can no longer be read: trust what was read */
	struct hashmap *codes; /* code address -> struct py_code */
	struct hashmap *lines; /* struct py_line_key -> line + 1, so never NULL */
	struct hashmap *types; /* type address -> interned name */
};

struct pyresolver {
	unsigned long gen;     /* pyresolver__tick() count */
	struct hashmap *procs; /* pid_t -> struct py_proc */
	struct hashmap *strs;  /* 64-bit hash -> chain of struct py_istr */
};

/* One str object to read: its header first, then its characters. */
struct py_str {
	__u64 addr;
	unsigned char head[PY_STR_HEAD];
	__u64 data; /* where the characters are */
	size_t len; /* characters to read, after the cap */
	unsigned int kind;
	bool ascii;
	unsigned char *buf; /* len * kind bytes */
};

struct pyresolver *pyresolver__new(void)
{
	struct pyresolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->procs = hashmap__new(sizeof(pid_t));
	r->strs = hashmap__new(sizeof(__u64));
	if (!r->procs || !r->strs) {
		pyresolver__free(r);
		errno = ENOMEM;
		return NULL;
	}
	return r;
}

static void py_code__free(struct py_code *c)
{
	if (!c)
		return;
	free(c->table);
	free(c);
}

static void py_proc__free(struct py_proc *p)
{
	struct py_code *c;
	size_t pos = 0;

	if (!p)
		return;
	while (p->codes && hashmap__next(p->codes, &pos, NULL, (void **)&c))
		py_code__free(c);
	hashmap__free(p->codes);
	hashmap__free(p->lines);
	hashmap__free(p->types);
	free(p);
}

void pyresolver__free(struct pyresolver *r)
{
	struct py_istr *s, *next;
	struct py_proc *p;
	size_t pos = 0;

	if (!r)
		return;
	while (r->procs && hashmap__next(r->procs, &pos, NULL, (void **)&p))
		py_proc__free(p);
	hashmap__free(r->procs);
	pos = 0;
	while (r->strs && hashmap__next(r->strs, &pos, NULL, (void **)&s)) {
		for (; s; s = next) {
			next = s->next;
			free(s);
		}
	}
	hashmap__free(r->strs);
	free(r);
}

int pyresolver__add(struct pyresolver *r, pid_t pid, const struct py_layout *l)
{
	struct py_proc *p = hashmap__get(r->procs, &pid);
	int err;

	if (!l)
		return -EINVAL;
	if (p && p->l == l)
		return 0;
	/* Another layout: the process exec'd another CPython, and what was
	 * read of the old one means nothing now. */
	pyresolver__forget(r, pid);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->l = l;
	p->codes = hashmap__new(sizeof(__u64));
	p->lines = hashmap__new(sizeof(struct py_line_key));
	p->types = hashmap__new(sizeof(__u64));
	if (!p->codes || !p->lines || !p->types) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = hashmap__put(r->procs, &pid, p);
	if (err)
		goto cleanup;
	return 0;
cleanup:
	py_proc__free(p);
	return err;
}

void pyresolver__forget(struct pyresolver *r, pid_t pid)
{
	py_proc__free(hashmap__remove(r->procs, &pid));
}

static __u64 str_hash(const char *s, size_t len)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* The one copy of @s (@len bytes, no NUL needed), or NULL on ENOMEM. */
static const char *pyresolver__intern(struct pyresolver *r, const char *s, size_t len)
{
	__u64 h = str_hash(s, len);
	struct py_istr *head = hashmap__get(r->strs, &h), *n;

	for (n = head; n; n = n->next) {
		if (!strncmp(n->s, s, len) && !n->s[len])
			return n->s;
	}
	n = malloc(sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	memcpy(n->s, s, len);
	n->s[len] = '\0';
	n->next = head;
	if (hashmap__put(r->strs, &h, n)) {
		free(n);
		return NULL;
	}
	return n->s;
}

/* Reads @nr ranges of @pid in one call. A range that is not mapped ends the
 * read short: that is -EFAULT, as a bad address is for the first range. */
/* A NUL-terminated string at @addr, cut at @size - 1 bytes. */
static int mem_read_cstr(pid_t pid, __u64 addr, char *buf, size_t size)
{
	size_t have = 0, chunk;
	int err;

	while (have + 1 < size) {
		chunk = PY_CHUNK - ((addr + have) & (PY_CHUNK - 1));
		if (chunk > size - 1 - have)
			chunk = size - 1 - have;
		err = procmem__read(pid, addr + have, buf + have, chunk);
		if (err)
			return err;
		if (memchr(buf + have, '\0', chunk))
			return 0;
		have += chunk;
	}
	buf[have] = '\0';
	return 0;
}

static __u64 field_u64(const unsigned char *buf, __u16 off)
{
	__u64 v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static const char *py_proc__type_name(struct pyresolver *r, struct py_proc *p, pid_t pid,
				      __u64 type, int *err)
{
	char name[PY_NAME_MAX + 1];
	const char *s = hashmap__get(p->types, &type);
	__u64 ptr;

	if (s)
		return s;
	*err = procmem__read(pid, type + p->l->tp_name, &ptr, sizeof(ptr));
	if (*err)
		return NULL;
	*err = mem_read_cstr(pid, ptr, name, sizeof(name));
	if (*err)
		return NULL;
	s = pyresolver__intern(r, name, strlen(name));
	if (!s || hashmap__put(p->types, &type, (void *)s)) {
		*err = -ENOMEM;
		return NULL;
	}
	return s;
}

/* Whether the object whose header is @head has the type named @name: what
 * tells a stale pointer from a live object of the kind expected. */
static int py_proc__check_type(struct pyresolver *r, struct py_proc *p, pid_t pid,
			       const unsigned char *head, const char *name)
{
	int err = 0;
	const char *s = py_proc__type_name(r, p, pid, field_u64(head, p->l->ob_type), &err);

	if (!s)
		return err == -ESRCH ? err : -EINVAL;
	return strcmp(s, name) ? -EINVAL : 0;
}

/* Where @str's characters are and how many to read, from its header. */
static int py_str__plan(struct py_str *str, const struct py_layout *l, size_t cap)
{
	__u32 state;
	__s64 len;
	bool compact;

	memcpy(&state, str->head + l->str_state, sizeof(state));
	memcpy(&len, str->head + l->str_length, sizeof(len));
	if (!py_str_state(l, state, &str->kind, &compact, &str->ascii) || len < 0)
		return -EINVAL;
	/* A legacy string keeps its characters elsewhere; CPython makes
	 * every name and file name compact. */
	if (!compact)
		return -EINVAL;
	str->data = str->addr + (str->ascii ? l->str_ascii_data : l->str_compact_data);
	str->len = (size_t)len < cap ? (size_t)len : cap;
	return 0;
}

/* Appends code point @c as UTF-8. CPython allows lone surrogates in a str,
 * UTF-8 does not: they, and anything past U+10FFFF, become U+FFFD. */
static size_t utf8_put(char *out, __u32 c)
{
	if (c < 0x80) {
		out[0] = c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = 0xc0 | c >> 6;
		out[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x10000) {
		out[0] = 0xe0 | c >> 12;
		out[1] = 0x80 | (c >> 6 & 0x3f);
		out[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | c >> 18;
	out[1] = 0x80 | (c >> 12 & 0x3f);
	out[2] = 0x80 | (c >> 6 & 0x3f);
	out[3] = 0x80 | (c & 0x3f);
	return 4;
}

/* @str's characters as an interned UTF-8 string; NULL with *err set. */
static const char *py_str__intern(struct py_str *str, struct pyresolver *r, int *err)
{
	const unsigned char *in = str->buf;
	const char *s;
	size_t n = 0;
	char *out;

	if (str->ascii) {
		for (size_t i = 0; i < str->len; i++) {
			if (in[i] >= 0x80) {
				*err = -EINVAL; /* not what an ASCII string holds */
				return NULL;
			}
		}
		s = pyresolver__intern(r, (const char *)in, str->len);
		*err = s ? 0 : -ENOMEM;
		return s;
	}
	out = malloc(str->len * 4 + 1);
	if (!out) {
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < str->len; i++) {
		__u32 c;

		if (str->kind == 1) {
			c = in[i];
		} else if (str->kind == 2) {
			__u16 c16;

			memcpy(&c16, in + 2 * i, 2);
			c = c16;
		} else {
			memcpy(&c, in + 4 * i, 4);
		}
		n += utf8_put(out + n, c);
	}
	s = pyresolver__intern(r, out, n);
	free(out);
	*err = s ? 0 : -ENOMEM;
	return s;
}

/* Reads code object @addr: its names, first line and line table. */
static int py_proc__read_code(struct pyresolver *r, struct py_proc *p, pid_t pid, __u64 addr,
			      struct py_code **out)
{
	const struct py_layout *l = p->l;
	__u16 name_off = l->co_qualname != LT_PY_NONE ? l->co_qualname : l->co_name;
	unsigned char head[PY_CODE_HEAD], table_head[64];
	struct py_str strs[2] = { 0 }; /* file, func */
	struct iovec local[3], remote[3];
	struct py_code *c = NULL;
	unsigned long nr = 0;
	__u64 table = 0;
	__s64 table_len;
	int err, i;

	if (!addr)
		return -EFAULT;
	err = procmem__read(pid, addr, head, sizeof(head));
	if (err)
		return err;
	err = py_proc__check_type(r, p, pid, head, "code");
	if (err)
		return err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(&c->firstlineno, head + l->co_firstlineno, sizeof(int));
	strs[0].addr = field_u64(head, l->co_filename);
	strs[1].addr = field_u64(head, name_off);
	table = field_u64(head, l->co_linetable);
	c->seen_file = strs[0].addr;
	c->seen_name = strs[1].addr;
	c->seen_table = table;
	c->checked = r->gen;

	/* The three headers in one read, then the three contents in one. */
	for (i = 0; i < 2; i++) {
		local[i] = (struct iovec){ strs[i].head, l->str_ascii_data };
		remote[i] = (struct iovec){ (void *)(uintptr_t)strs[i].addr, l->str_ascii_data };
	}
	local[2] = (struct iovec){ table_head, l->bytes_data };
	remote[2] = (struct iovec){ (void *)(uintptr_t)table, l->bytes_data };
	err = procmem__readv(pid, local, remote, 3);
	if (err)
		goto cleanup;
	for (i = 0; i < 2 && !err; i++)
		err = py_proc__check_type(r, p, pid, strs[i].head, "str");
	if (!err)
		err = py_proc__check_type(r, p, pid, table_head, "bytes");
	if (!err)
		err = py_str__plan(&strs[0], l, PY_FILE_MAX);
	if (!err)
		err = py_str__plan(&strs[1], l, PY_NAME_MAX);
	if (err)
		goto cleanup;
	memcpy(&table_len, table_head + l->bytes_size, sizeof(table_len));
	if (table_len < 0) {
		err = -EINVAL;
		goto cleanup;
	}

	for (i = 0; i < 2; i++) {
		size_t len = strs[i].len * strs[i].kind;

		/* +1: malloc(0) may return NULL */
		strs[i].buf = malloc(len + 1);
		if (!strs[i].buf) {
			err = -ENOMEM;
			goto cleanup;
		}
		if (!len)
			continue;
		local[nr] = (struct iovec){ strs[i].buf, len };
		remote[nr++] = (struct iovec){ (void *)(uintptr_t)strs[i].data, len };
	}
	if (table_len && table_len <= PY_TABLE_MAX) {
		c->table = malloc(table_len);
		if (!c->table) {
			err = -ENOMEM;
			goto cleanup;
		}
		c->table_len = table_len;
		local[nr] = (struct iovec){ c->table, table_len };
		remote[nr++] = (struct iovec){ (void *)(uintptr_t)(table + l->bytes_data),
					       table_len };
	}
	err = procmem__readv(pid, local, remote, nr);
	if (err)
		goto cleanup;

	c->file = py_str__intern(&strs[0], r, &err);
	if (!err)
		c->func = py_str__intern(&strs[1], r, &err);
	if (!err)
		err = hashmap__put(p->codes, &addr, c);
cleanup:
	for (i = 0; i < 2; i++)
		free(strs[i].buf);
	if (err) {
		free(c->table);
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

static int py_proc__line(struct py_proc *p, const struct py_code *c, __u64 addr, unsigned int instr)
{
	struct py_line_key key = { .code = addr, .instr = instr, .version = c->version };
	void *v = hashmap__get(p->lines, &key);
	int line;

	if (v)
		return (int)(uintptr_t)v - 1;
	line = c->table ? py_line_of(p->l->linetable, c->table, c->table_len, c->firstlineno, instr)
			: -1;
	if (line < 0)
		line = 0;
	/* Without room to remember it, the line is still right: just not kept. */
	hashmap__put(p->lines, &key, (void *)(uintptr_t)(line + 1));
	return line;
}

/* Whether the code object @c read at @addr is still there: checked against
 * the process's memory once a generation, while the process can be read. */
static bool py_proc__still(struct pyresolver *r, struct py_proc *p, pid_t pid, __u64 addr,
			   struct py_code *c)
{
	const struct py_layout *l = p->l;
	__u16 name_off = l->co_qualname != LT_PY_NONE ? l->co_qualname : l->co_name;
	unsigned char head[PY_CODE_HEAD];
	int err;

	if (p->gone || c->checked == r->gen)
		return true;
	err = procmem__read(pid, addr, head, sizeof(head));
	if (err == -ESRCH) {
		p->gone = true;
		return true;
	}
	if (err || field_u64(head, l->co_filename) != c->seen_file ||
	    field_u64(head, name_off) != c->seen_name ||
	    field_u64(head, l->co_linetable) != c->seen_table)
		return false;
	c->checked = r->gen;
	return true;
}

void pyresolver__tick(struct pyresolver *r)
{
	r->gen++;
}

int pyresolver__frame(struct pyresolver *r, pid_t pid, __u64 code, unsigned int instr,
		      struct py_frame *out)
{
	struct py_proc *p = hashmap__get(r->procs, &pid);
	struct py_code *c;
	int err;

	if (!p)
		return -ENOENT;
	c = hashmap__get(p->codes, &code);
	if (c && !py_proc__still(r, p, pid, code, c)) {
		__u32 version = c->version + 1;

		hashmap__remove(p->codes, &code);
		py_code__free(c);
		c = NULL;
		err = py_proc__read_code(r, p, pid, code, &c);
		if (err)
			return err;
		c->version = version;
	}
	if (!c) {
		err = py_proc__read_code(r, p, pid, code, &c);
		if (err)
			return err;
	}
	out->func = c->func;
	out->file = c->file;
	out->line = py_proc__line(p, c, code, instr);
	return 0;
}

const char *pyresolver__type_name(struct pyresolver *r, pid_t pid, __u64 type)
{
	struct py_proc *p = hashmap__get(r->procs, &pid);
	int err;

	if (!p || !type)
		return NULL;
	return py_proc__type_name(r, p, pid, type, &err);
}

int pyresolver__free_objects(struct pyresolver *r, pid_t pid, __u64 runtime, __u64 *out, size_t max)
{
	struct py_proc *p = hashmap__get(r->procs, &pid);
	__u64 interp, lists[LT_PY_FREE_MAX], dicts[LT_PY_FREE_MAX];
	int nlists = 0, ndicts = 0, err;
	struct iovec local[4], remote[4];
	const struct py_layout *l;
	size_t n = 0;

	if (!p)
		return -ENOENT;
	l = p->l;
	if (l->interp_list_free == LT_PY_NONE || p->gone)
		return 0;
	err = procmem__read(pid, runtime + l->bpf.rt_interp_main, &interp, sizeof(interp));
	if (err)
		return err;
	local[0] = (struct iovec){ lists, sizeof(lists) };
	remote[0] = (struct iovec){ (void *)(uintptr_t)(interp + l->interp_list_free),
				    sizeof(lists) };
	local[1] = (struct iovec){ &nlists, sizeof(nlists) };
	remote[1] = (struct iovec){ (void *)(uintptr_t)(interp + l->interp_list_numfree),
				    sizeof(nlists) };
	local[2] = (struct iovec){ dicts, sizeof(dicts) };
	remote[2] = (struct iovec){ (void *)(uintptr_t)(interp + l->interp_dict_free),
				    sizeof(dicts) };
	local[3] = (struct iovec){ &ndicts, sizeof(ndicts) };
	remote[3] = (struct iovec){ (void *)(uintptr_t)(interp + l->interp_dict_numfree),
				    sizeof(ndicts) };
	err = procmem__readv(pid, local, remote, 4);
	if (err)
		return err;
	for (int i = 0; i < nlists && i < LT_PY_FREE_MAX && n < max; i++)
		out[n++] = lists[i];
	for (int i = 0; i < ndicts && i < LT_PY_FREE_MAX && n < max; i++)
		out[n++] = dicts[i];
	return n;
}
