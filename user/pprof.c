// SPDX-License-Identifier: GPL-2.0-only
/* The pprof profile: each live stack a sample, each native frame address
 * a location (its inlined functions the location's first lines, the
 * function that holds the address the last, as profile.proto has it), each
 * Python frame a location of its own, with function, file and line. Strings
 * go into the profile's table once each, escaped (they come from the traced
 * process); the message is packed by protobuf-c and gzipped by zlib. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "array.h"
#include "escape.h"
#include "hashmap.h"
#include "options.h"
#include "pprof.h"
#include "symbolize.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

enum {
	V_LIVE_BYTES,
	V_LIVE_COUNT,
	V_GROWTH_BYTES,
	V_GROWTH_COUNT,
	V__NR
};
#define MAX_LABELS 4

struct str_key {
	__u64 hash; /* FNV-1a of the string, probed on +1 where two collide */
};

struct func_key {
	__s64 name, system_name, filename;
};

/* A native address (with its inlined functions), a Python frame or a
 * placeholder, in one process: what one location stands for. */
struct loc_key {
	__u64 addr;
	__s64 name; /* of the last function, which tells placeholders apart */
	__s64 line; /* a Python frame's: its addr is its code object's */
	__u32 tgid;
	__u32 python;
};

struct pprof {
	struct hashmap *strings, *funcs, *locs, *maps;
	char **strtab;
	size_t nr_str, cap_str;
	pb_function **functions;
	size_t nr_functions, cap_functions;
	pb_location **locations;
	size_t nr_locations, cap_locations;
	pb_mapping **mappings;
	size_t nr_mappings, cap_mappings;
	pb_sample **samples;
	size_t nr_samples, cap_samples;
	__s64 k_kind, k_pid, k_comm, k_type; /* label keys */
};

static __u64 fnv1a(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The index of @s (escaped) in the string table, added if new; -1 when out
 * of memory. NULL is "". */
static __s64 intern(struct pprof *p, const char *s)
{
	char buf[1024];
	struct str_key key;
	void *at;

	s = lt_escape_term(buf, sizeof(buf), s);
	for (key.hash = fnv1a(s);; key.hash++) {
		at = hashmap__get(p->strings, &key);
		if (!at)
			break;
		if (!strcmp(p->strtab[(uintptr_t)at - 1], s))
			return (__s64)((uintptr_t)at - 1);
	}
	if (ARRAY_RESERVE(p->strtab, p->cap_str, p->nr_str + 1))
		return -1;
	p->strtab[p->nr_str] = strdup(s);
	if (!p->strtab[p->nr_str] ||
	    hashmap__put(p->strings, &key, (void *)(uintptr_t)(p->nr_str + 1))) {
		free(p->strtab[p->nr_str]);
		return -1;
	}
	return (__s64)p->nr_str++;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* The id of the function of frame @f; 0 when out of memory. */
static __u64 function_id(struct pprof *p, const struct lt_frame *f)
{
	char unnamed[512];
	const char *name = f->func;
	struct func_key key;
	pb_function *fn;
	void *at;

	if (!name) {
		/* no symbol: the module and the offset, as addr2line takes them */
		snprintf(unnamed, sizeof(unnamed), "%s+0x%" PRIx64,
			 f->module ? base_name(f->module) : "?", (uint64_t)f->offset);
		name = unnamed;
	}
	key = (struct func_key){
		.name = intern(p, name),
		.system_name = intern(p, f->symbol ? f->symbol : name),
		.filename = intern(p, f->file ? f->file : ""),
	};
	if (key.name < 0 || key.system_name < 0 || key.filename < 0)
		return 0;
	at = hashmap__get(p->funcs, &key);
	if (at)
		return (uintptr_t)at;
	fn = malloc(sizeof(*fn));
	if (!fn || ARRAY_RESERVE(p->functions, p->cap_functions, p->nr_functions + 1)) {
		free(fn);
		return 0;
	}
	perftools__profiles__function__init(fn);
	fn->id = p->nr_functions + 1;
	fn->name = key.name;
	fn->system_name = key.system_name;
	fn->filename = key.filename;
	if (hashmap__put(p->funcs, &key, (void *)(uintptr_t)fn->id)) {
		free(fn);
		return 0;
	}
	p->functions[p->nr_functions++] = fn;
	return fn->id;
}

/* The id of the mapping of @module; 0 for none or when out of memory. */
static __u64 mapping_id(struct pprof *p, const char *module)
{
	__s64 name = module ? intern(p, module) : -1;
	pb_mapping *m;
	void *at;

	if (name <= 0)
		return 0;
	at = hashmap__get(p->maps, &name);
	if (at)
		return (uintptr_t)at;
	m = malloc(sizeof(*m));
	if (!m || ARRAY_RESERVE(p->mappings, p->cap_mappings, p->nr_mappings + 1)) {
		free(m);
		return 0;
	}
	perftools__profiles__mapping__init(m);
	m->id = p->nr_mappings + 1;
	m->filename = name;
	/* symbolized here: readers must not look the addresses up again */
	m->has_functions = m->has_filenames = m->has_line_numbers = m->has_inline_frames = 1;
	if (hashmap__put(p->maps, &name, (void *)(uintptr_t)m->id)) {
		free(m);
		return 0;
	}
	p->mappings[p->nr_mappings++] = m;
	return m->id;
}

static void location_free(pb_location *loc)
{
	if (!loc)
		return;
	for (size_t i = 0; i < loc->n_line; i++)
		free(loc->line[i]);
	free(loc->line);
	free(loc);
}

/* The id of the location of frames @f[0..n-1] (the functions inlined at one
 * address, then the one that holds it; or one Python frame) in @tgid; 0
 * when out of memory. */
static __u64 location_id(struct pprof *p, __u32 tgid, const struct lt_frame *f, size_t n)
{
	const struct lt_frame *last = &f[n - 1];
	struct loc_key key = {
		.addr = last->addr,
		.name = intern(p, last->func ? last->func : ""),
		.line = last->python ? last->line : 0,
		.tgid = tgid,
		.python = last->python,
	};
	pb_location *loc;
	void *at = hashmap__get(p->locs, &key);

	if (at)
		return (uintptr_t)at;
	loc = calloc(1, sizeof(*loc));
	if (!loc)
		return 0;
	perftools__profiles__location__init(loc);
	loc->line = calloc(n, sizeof(*loc->line));
	if (!loc->line)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		pb_line *line = malloc(sizeof(*line));

		if (!line)
			goto fail;
		perftools__profiles__line__init(line);
		loc->line[loc->n_line++] = line;
		line->function_id = function_id(p, &f[i]);
		line->line = f[i].line > 0 ? f[i].line : 0;
		if (!line->function_id)
			goto fail;
	}
	loc->id = p->nr_locations + 1;
	loc->address = last->addr;
	loc->mapping_id = last->python ? 0 : mapping_id(p, last->module);
	if (ARRAY_RESERVE(p->locations, p->cap_locations, p->nr_locations + 1) ||
	    hashmap__put(p->locs, &key, (void *)(uintptr_t)loc->id))
		goto fail;
	p->locations[p->nr_locations++] = loc;
	return loc->id;
fail:
	location_free(loc);
	return 0;
}

static void sample_free(pb_sample *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_label; i++)
		free(s->label[i]);
	free(s->label);
	free(s->location_id);
	free(s->value);
	free(s);
}

static int add_label(struct pprof *p, pb_sample *s, __s64 key, const char *str, __s64 num)
{
	pb_label *l = malloc(sizeof(*l));

	if (!l)
		return -ENOMEM;
	perftools__profiles__label__init(l);
	l->key = key;
	if (str) {
		l->str = intern(p, str);
		if (l->str < 0) {
			free(l);
			return -ENOMEM;
		}
	} else {
		l->num = num;
	}
	s->label[s->n_label++] = l;
	return 0;
}

static int add_sample(void *ctx, const struct report_live *live)
{
	struct pprof *p = ctx;
	pb_sample *s = calloc(1, sizeof(*s));
	int err = -ENOMEM;

	if (!s)
		return -ENOMEM;
	perftools__profiles__sample__init(s);
	s->location_id = calloc(live->nr_frames, sizeof(*s->location_id));
	s->value = calloc(V__NR, sizeof(*s->value));
	s->label = calloc(MAX_LABELS, sizeof(*s->label));
	if (!s->location_id || !s->value || !s->label)
		goto fail;
	/* one location per address: the inlined frames go with the next */
	for (size_t i = 0, first = 0; i < live->nr_frames; i++) {
		const struct lt_frame *f = &live->frames[i];

		if (f->inlined && !f->python && i + 1 < live->nr_frames)
			continue;
		s->location_id[s->n_location_id] = location_id(p, live->tgid, &live->frames[first],
							       i - first + 1);
		if (!s->location_id[s->n_location_id++])
			goto fail;
		first = i + 1;
	}
	s->n_value = V__NR;
	s->value[V_LIVE_BYTES] = live->bytes;
	s->value[V_LIVE_COUNT] = live->count;
	s->value[live->kind_in_bytes ? V_GROWTH_BYTES : V_GROWTH_COUNT] = live->growth_window;
	if (add_label(p, s, p->k_kind, live->kind, 0) ||
	    add_label(p, s, p->k_pid, NULL, live->tgid) ||
	    add_label(p, s, p->k_comm, live->comm ? live->comm : "?", 0) ||
	    (live->type && add_label(p, s, p->k_type, live->type, 0)))
		goto fail;
	if (ARRAY_RESERVE(p->samples, p->cap_samples, p->nr_samples + 1))
		goto fail;
	p->samples[p->nr_samples++] = s;
	return 0;
fail:
	sample_free(s);
	return err;
}

static void pprof_free(struct pprof *p)
{
	for (size_t i = 0; i < p->nr_str; i++)
		free(p->strtab[i]);
	free(p->strtab);
	for (size_t i = 0; i < p->nr_functions; i++)
		free(p->functions[i]);
	free(p->functions);
	for (size_t i = 0; i < p->nr_locations; i++)
		location_free(p->locations[i]);
	free(p->locations);
	for (size_t i = 0; i < p->nr_mappings; i++)
		free(p->mappings[i]);
	free(p->mappings);
	for (size_t i = 0; i < p->nr_samples; i++)
		sample_free(p->samples[i]);
	free(p->samples);
	hashmap__free(p->strings);
	hashmap__free(p->funcs);
	hashmap__free(p->locs);
	hashmap__free(p->maps);
}

/* Writes @len bytes of @buf to @f gzipped. */
static int write_gzip(FILE *f, const uint8_t *buf, size_t len)
{
	unsigned char out[1 << 16];
	z_stream z = { 0 };
	int zerr;

	/* 15 bits of window, +16: a gzip header and trailer, not zlib's */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY))
		return -ENOMEM;
	z.next_in = (Bytef *)buf;
	z.avail_in = len;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		zerr = deflate(&z, Z_FINISH);
		if (zerr == Z_STREAM_ERROR)
			break;
		fwrite(out, 1, sizeof(out) - z.avail_out, f);
	} while (zerr != Z_STREAM_END);
	deflateEnd(&z);
	if (zerr != Z_STREAM_END)
		return -EIO;
	errno = 0;
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

int pprof__write(struct report *r, FILE *f, double duration)
{
	static const char *const types[V__NR][2] = {
		[V_LIVE_BYTES] = { "live_bytes", "bytes" },
		[V_LIVE_COUNT] = { "live_count", "count" },
		[V_GROWTH_BYTES] = { "growth_bytes", "bytes" },
		[V_GROWTH_COUNT] = { "growth_count", "count" },
	};
	pb_profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_value_type vt[V__NR], *vtp[V__NR];
	struct pprof p = { 0 };
	struct timespec now;
	int64_t comment;
	uint8_t *buf = NULL;
	size_t len;
	int err = -ENOMEM;

	p.strings = hashmap__new(sizeof(struct str_key));
	p.funcs = hashmap__new(sizeof(struct func_key));
	p.locs = hashmap__new(sizeof(struct loc_key));
	p.maps = hashmap__new(sizeof(__s64));
	if (!p.strings || !p.funcs || !p.locs || !p.maps || intern(&p, "") != 0)
		goto cleanup;
	for (int i = 0; i < V__NR; i++) {
		perftools__profiles__value_type__init(&vt[i]);
		vt[i].type = intern(&p, types[i][0]);
		vt[i].unit = intern(&p, types[i][1]);
		vtp[i] = &vt[i];
	}
	p.k_kind = intern(&p, "kind");
	p.k_pid = intern(&p, "pid");
	p.k_comm = intern(&p, "comm");
	p.k_type = intern(&p, "type");
	comment = intern(&p, "leaktrace " LT_VERSION ": what is outstanding, by the stack that "
			     "made it; growth over the trailing window");
	if (p.k_kind < 0 || p.k_pid < 0 || p.k_comm < 0 || p.k_type < 0 || comment < 0)
		goto cleanup;
	err = report__each_live(r, add_sample, &p);
	if (err)
		goto cleanup;
	clock_gettime(CLOCK_REALTIME, &now);
	prof.n_sample_type = V__NR;
	prof.sample_type = vtp;
	prof.default_sample_type = vt[V_LIVE_BYTES].type;
	prof.n_sample = p.nr_samples;
	prof.sample = p.samples;
	prof.n_mapping = p.nr_mappings;
	prof.mapping = p.mappings;
	prof.n_location = p.nr_locations;
	prof.location = p.locations;
	prof.n_function = p.nr_functions;
	prof.function = p.functions;
	prof.n_string_table = p.nr_str;
	prof.string_table = p.strtab;
	prof.duration_nanos = (int64_t)(duration * 1e9);
	prof.time_nanos = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - prof.duration_nanos;
	prof.n_comment = 1;
	prof.comment = &comment;
	len = perftools__profiles__profile__get_packed_size(&prof);
	buf = malloc(len ? len : 1);
	err = -ENOMEM;
	if (!buf)
		goto cleanup;
	perftools__profiles__profile__pack(&prof, buf);
	err = write_gzip(f, buf, len);
cleanup:
	free(buf);
	pprof_free(&p);
	return err;
}
