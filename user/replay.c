// SPDX-License-Identifier: GPL-2.0-only
/* Replays a recording (report_record.c writes it) through the report module,
 * record by record, as the live run fed it: the start record sets the report
 * up, "stack" records give each stack's identity and frames, "samples"
 * records the rows that changed, from which every stack's state at each
 * sample is rebuilt and handed to report__sample(), "forget" records the
 * processes that left, and each "interval" or "exit" record what its report
 * said besides the stacks (counters, census, lateness). The report asks for
 * frames through its callbacks, which serve the recorded ones: the output is
 * that of a live run with the same options. JSON is parsed with json-c. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "arena.h"
#include "array.h"
#include "hashmap.h"
#include "log.h"
#include "options.h"
#include "replay.h"

/* Frames kept of one stack: what a report shows at most. */
#define MAX_FRAMES (LT_MAX_STACK_DEPTH * 8)
/* The report asks for a stack's frames by address: stack index + 1 above
 * these bits, the frame's position below. */
#define FRAME_BITS 12

struct rstack {
	__u64 id, stack_id, aux;
	__u32 pid, kind;
	char *comm, *object_type;
	struct lt_frame *frames;
	size_t nr;
	__s64 cur[4]; /* bytes, count, allocs, frees as of the last row */
};

struct stack_at {
	__u64 stack;
	__u32 tgid, pad;
};

/* What an interval or exit record said besides its stacks. */
struct rstatus {
	char *reason; /* NULL: an interval report */
	struct report_counter counters[64];
	size_t nr_counters;
	double late;
	char *late_reason;
	bool command_ended;
	int command_status;
	unsigned long long rss, rss_peak, bpf_memory;
	bool census;
	struct census_row rows[256];
	size_t nr_rows;
	struct census_stats stats;
	unsigned int major, minor;
	bool has_cost; /* the probes' cost, in recordings made since it is said */
	struct probe_cost cost;
};

struct replay {
	char *path;
	FILE *f;
	unsigned long line;
	struct replay_opts opts;
	struct report *report;
	bool system;
	pid_t pid;
	char *comm;
	double time0;	   /* wall clock at t=0 */
	struct rstack **v; /* every stack record, in order */
	size_t nr, cap;
	struct hashmap *by_id;	  /* id -> index + 1 */
	struct hashmap *by_stack; /* struct stack_at -> index + 1 */
	struct hashmap *comms;	  /* pid -> its name (a stack's comm) */
	__u64 ips[MAX_FRAMES];
	/* forget records not yet applied: they belong to the next sample */
	__u32 *fpids;
	char **fcomms; /* NULL: not said (it exec'd) */
	size_t nr_f, cap_fpids, cap_fcomms;
	struct lt_sample *samples;
	size_t cap_samples;
	bool sampled;	       /* a sample was replayed */
	bool reported;	       /* and the record of its report read */
	unsigned long reports; /* report records read */
	double t;
	struct rstatus st;
	char *buf; /* the current line */
	size_t buf_len;
};

/* --- the report's callbacks: the recorded stacks --- */

static struct rstack *stack_of_addr(struct replay *rp, __u64 addr)
{
	__u64 i = (addr >> FRAME_BITS) - 1;

	return i < rp->nr ? rp->v[i] : NULL;
}

static size_t cb_frames(void *ctx, __u32 tgid, __u64 stack, const __u64 **frames)
{
	struct replay *rp = ctx;
	struct stack_at k = { .stack = stack, .tgid = tgid };
	uintptr_t at = (uintptr_t)hashmap__get(rp->by_stack, &k);
	const struct rstack *s = at ? rp->v[at - 1] : NULL;

	if (!s)
		return 0;
	for (size_t i = 0; i < s->nr; i++)
		rp->ips[i] = ((__u64)at << FRAME_BITS) | i;
	*frames = rp->ips;
	return s->nr;
}

static size_t cb_resolve(void *ctx, __u32 tgid, __u64 addr, struct lt_frame *out, size_t max)
{
	struct replay *rp = ctx;
	const struct rstack *s = stack_of_addr(rp, addr);
	size_t i = addr & ((1u << FRAME_BITS) - 1);

	if (!s || i >= s->nr || !max)
		return 0;
	*out = s->frames[i];
	return 1;
}

static void cb_resolve_py(void *ctx, __u32 tgid, __u64 entry, struct lt_frame *out)
{
	/* recorded frames never carry LT_PY_FRAME */
	*out = (struct lt_frame){ .module = "[python]", .python = true };
}

static const char *cb_type_name(void *ctx, __u32 tgid, __u64 type)
{
	struct replay *rp = ctx;

	return type && type <= rp->nr ? rp->v[type - 1]->object_type : NULL;
}

static const char *cb_comm(void *ctx, __u32 tgid)
{
	struct replay *rp = ctx;
	const char *c = hashmap__get(rp->comms, &tgid);

	return c ? c : (pid_t)tgid == rp->pid ? rp->comm : NULL;
}

/* --- reading records --- */

static void bad(struct replay *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad(struct replay *rp, const char *fmt, ...)
{
	char msg[256];
	va_list args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	lt_error("%s:%lu: %s", rp->path, rp->line, msg);
}

static struct json_object *get(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

static bool get_int(struct json_object *o, const char *key, __s64 *out)
{
	struct json_object *v = get(o, key, json_type_int);

	if (!v)
		return false;
	*out = json_object_get_int64(v);
	return true;
}

static bool get_num(struct json_object *o, const char *key, double *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	*out = json_object_get_double(v);
	return isfinite(*out);
}

static bool get_hex(struct json_object *o, const char *key, __u64 *out)
{
	const char *s = get_str(o, key);
	char *end;

	if (!s || strncmp(s, "0x", 2))
		return false;
	errno = 0;
	*out = strtoull(s + 2, &end, 16);
	return end != s + 2 && !*end && !errno;
}

static bool get_bool(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key, json_type_boolean);

	return v && json_object_get_boolean(v);
}

/* A string kept for the whole replay; NULL stays NULL. */
static char *keep(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int kind_of(const char *name)
{
	for (__u32 k = 0; name && k < LT_KIND__NR; k++)
		if (!strcmp(name, report__kind_name(k)))
			return (int)k;
	return -1;
}

static void frame_free(struct lt_frame *f)
{
	free((char *)f->module);
	free((char *)f->func);
	free((char *)f->symbol);
	free((char *)f->file);
}

static void rstack_free(struct rstack *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr; i++)
		frame_free(&s->frames[i]);
	free(s->frames);
	free(s->comm);
	free(s->object_type);
	free(s);
}

static int read_frame(struct replay *rp, struct json_object *o, struct lt_frame *f)
{
	const char *lang = get_str(o, "lang");
	__s64 line = 0;

	if (!json_object_is_type(o, json_type_object) || !lang) {
		bad(rp, "a frame without \"lang\"");
		return -EINVAL;
	}
	f->python = !strcmp(lang, "python");
	f->inlined = get_bool(o, "inline");
	get_hex(o, "addr", &f->addr);
	get_hex(o, "offset", &f->offset);
	get_hex(o, "func_off", &f->func_off);
	if (get_int(o, "line", &line) && line > 0 && line < INT32_MAX)
		f->line = (int)line;
	f->module = keep(get_str(o, "module") ?: "[unknown]");
	f->func = keep(get_str(o, "func"));
	f->symbol = keep(get_str(o, "symbol"));
	f->file = keep(get_str(o, "file"));
	return f->module ? 0 : -ENOMEM;
}

static int read_stack(struct replay *rp, struct json_object *o)
{
	struct json_object *frames = get(o, "frames", json_type_array);
	const char *arena = get_str(o, "arena"), *region = get_str(o, "region");
	struct rstack *s = calloc(1, sizeof(*s));
	__s64 id, pid;
	int kind = kind_of(get_str(o, "kind")), err = -EINVAL;
	struct stack_at at;
	size_t n;

	if (!s)
		return -ENOMEM;
	if (!get_int(o, "id", &id) || id <= 0 || !get_int(o, "pid", &pid) || pid < 0 ||
	    pid > UINT32_MAX || kind < 0 || !frames || !get_hex(o, "stack_id", &s->stack_id)) {
		bad(rp, "a stack record needs id, kind, pid, stack_id and frames");
		goto fail;
	}
	if (hashmap__get(rp->by_id, &id)) {
		bad(rp, "stack id %lld written twice", (long long)id);
		goto fail;
	}
	n = json_object_array_length(frames);
	if (n > MAX_FRAMES) {
		bad(rp, "%zu frames in a stack, more than leaktrace writes (%d)", n, MAX_FRAMES);
		goto fail;
	}
	s->id = id;
	s->pid = pid;
	s->kind = kind;
	s->comm = keep(get_str(o, "comm"));
	s->object_type = keep(get_str(o, "object_type"));
	s->frames = calloc(n ? n : 1, sizeof(*s->frames));
	if (!s->frames)
		goto nomem;
	for (size_t i = 0; i < n; i++, s->nr++) {
		err = read_frame(rp, json_object_array_get_idx(frames, i), &s->frames[i]);
		if (err)
			goto fail;
	}
	for (enum lt_arena a = LT_ARENA_NONE + 1; arena && a < LT_ARENA__NR; a++)
		if (!strcmp(arena, lt_arena_name(a)))
			s->aux = a;
	for (unsigned int g = 0; region && kind == LT_KIND_PAGES && lt_region_name(g); g++)
		if (!strcmp(region, lt_region_name(g)))
			s->aux = g;
	if (ARRAY_RESERVE(rp->v, rp->cap, rp->nr + 1))
		goto nomem;
	if (kind == LT_KIND_PYOBJ)
		s->aux = rp->nr + 1; /* its type: cb_type_name() */
	at = (struct stack_at){ .stack = s->stack_id, .tgid = s->pid };
	if (hashmap__put(rp->by_id, &s->id, (void *)(uintptr_t)(rp->nr + 1)) ||
	    hashmap__put(rp->by_stack, &at, (void *)(uintptr_t)(rp->nr + 1)))
		goto nomem;
	if (s->comm && hashmap__put(rp->comms, &s->pid, s->comm))
		goto nomem;
	rp->v[rp->nr++] = s;
	return 0;
nomem:
	err = -ENOMEM;
fail:
	if (s && s->id)
		hashmap__remove(rp->by_id, &s->id);
	rstack_free(s);
	return err;
}

static int read_forget(struct replay *rp, struct json_object *o)
{
	struct json_object *pids = get(o, "pids", json_type_array);
	struct json_object *comms = get(o, "comms", json_type_array);
	size_t n = pids ? json_object_array_length(pids) : 0;

	if (!pids || (comms && json_object_array_length(comms) != n)) {
		bad(rp, "a forget record needs pids (and as many comms, if any)");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(pids, i);
		struct json_object *c = comms ? json_object_array_get_idx(comms, i) : NULL;
		__s64 pid = json_object_is_type(p, json_type_int) ? json_object_get_int64(p) : -1;

		if (pid < 0 || pid > UINT32_MAX) {
			bad(rp, "a forget record's pids are numbers");
			return -EINVAL;
		}
		if (ARRAY_RESERVE(rp->fpids, rp->cap_fpids, rp->nr_f + 1) ||
		    ARRAY_RESERVE(rp->fcomms, rp->cap_fcomms, rp->nr_f + 1))
			return -ENOMEM;
		rp->fpids[rp->nr_f] = pid;
		rp->fcomms[rp->nr_f++] = comms ? keep(json_object_get_string(c) ?: "?") : NULL;
	}
	return 0;
}

/* The forget records read since the last sample, now that the next one is
 * replayed: the processes leave the report (said so, or not), and their
 * stacks hold nothing from here on. */
static void apply_forgets(struct replay *rp)
{
	for (size_t i = 0; i < rp->nr_f; i++) {
		const char *c = rp->fcomms[i];

		report__forget_many(rp->report, &rp->fpids[i], c ? &c : NULL, 1);
		for (size_t j = 0; j < rp->nr; j++)
			if (rp->v[j]->pid == rp->fpids[i])
				memset(rp->v[j]->cur, 0, sizeof(rp->v[j]->cur));
		free(rp->fcomms[i]);
	}
	rp->nr_f = 0;
}

static int read_samples(struct replay *rp, struct json_object *o, double t)
{
	struct json_object *rows = get(o, "rows", json_type_array);
	size_t n = rows ? json_object_array_length(rows) : 0, k = 0;
	int err;

	if (!rows) {
		bad(rp, "a samples record needs rows");
		return -EINVAL;
	}
	/* checked whole before any of it counts */
	for (size_t i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);
		__s64 id;

		if (!json_object_is_type(row, json_type_array) ||
		    json_object_array_length(row) != 5) {
			bad(rp, "row %zu is not [id, bytes, count, allocs, frees]", i + 1);
			return -EINVAL;
		}
		for (size_t j = 0; j < 5; j++) {
			if (!json_object_is_type(json_object_array_get_idx(row, j),
						 json_type_int)) {
				bad(rp, "row %zu is not [id, bytes, count, allocs, frees]", i + 1);
				return -EINVAL;
			}
		}
		id = json_object_get_int64(json_object_array_get_idx(row, 0));
		if (!hashmap__get(rp->by_id, &id)) {
			bad(rp, "row %zu: no stack record has id %lld before it", i + 1,
			    (long long)id);
			return -EINVAL;
		}
	}
	if (rp->sampled)
		report__skip(rp->report);
	apply_forgets(rp);
	for (size_t i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i);
		__s64 id = json_object_get_int64(json_object_array_get_idx(row, 0));
		struct rstack *s = rp->v[(uintptr_t)hashmap__get(rp->by_id, &id) - 1];

		for (size_t j = 0; j < 4; j++)
			s->cur[j] = json_object_get_int64(json_object_array_get_idx(row, j + 1));
	}
	if (ARRAY_RESERVE(rp->samples, rp->cap_samples, rp->nr + 1))
		return -ENOMEM;
	for (size_t i = 0; i < rp->nr; i++) {
		const struct rstack *s = rp->v[i];

		if (!s->cur[0] && !s->cur[1])
			continue;
		rp->samples[k++] = (struct lt_sample){
			.stack = s->stack_id,
			.aux = s->aux,
			.tgid = s->pid,
			.kind = s->kind,
			.bytes = s->cur[0],
			.count = s->cur[1],
			.allocs = s->cur[2],
			.frees = s->cur[3],
		};
	}
	rp->sampled = true;
	rp->reported = false;
	rp->t = t;
	err = report__sample(rp->report, t, rp->samples, k, get_bool(o, "final"));
	if (!err && rp->opts.sampled)
		rp->opts.sampled(rp->opts.ctx, rp->report, t);
	return err;
}

static void status_clear(struct rstatus *st)
{
	for (size_t i = 0; i < st->nr_counters; i++)
		free((char *)st->counters[i].name);
	for (size_t i = 0; i < st->nr_rows; i++)
		free((char *)st->rows[i].type);
	free(st->reason);
	free(st->late_reason);
	memset(st, 0, sizeof(*st));
}

/* The errno whose strerror() is @msg, for a census error; EIO if none. */
static int errno_named(const char *msg)
{
	for (int e = 1; msg && e < 200; e++)
		if (!strcmp(strerror(e), msg))
			return e;
	return EIO;
}

static void read_census(struct rstatus *st, struct json_object *o)
{
	struct json_object *rows = get(o, "census", json_type_array);
	struct json_object *cs = get(o, "census_stats", json_type_object);
	const char *version = cs ? get_str(cs, "python") : NULL;
	__s64 v;

	if (!rows || !cs)
		return;
	st->census = true;
	for (size_t i = 0; i < json_object_array_length(rows) && st->nr_rows < 256; i++) {
		struct json_object *x = json_object_array_get_idx(rows, i);
		struct census_row *c = &st->rows[st->nr_rows];

		if (!json_object_is_type(x, json_type_object))
			continue;
		c->type = keep(get_str(x, "type") ?: "?");
		get_int(x, "count", &c->count);
		get_int(x, "bytes", &c->bytes);
		get_int(x, "growth", &c->growth);
		get_int(x, "growth_window", &c->growth_window);
		get_int(x, "growth_total", &c->growth_total);
		if (get_int(x, "intervals_grown", &v))
			c->intervals_grown = v;
		c->suspect = get_bool(x, "suspect");
		get_hex(x, "type_addr", &c->type_addr);
		st->nr_rows++;
	}
	if (version)
		sscanf(version, "%u.%u", &st->major, &st->minor);
	if (!get_bool(cs, "ok"))
		st->stats.error = -errno_named(get_str(cs, "error"));
#define STAT(name)                                                                                 \
	if (get_int(cs, #name, &v))                                                                \
		st->stats.name = v;
	STAT(objects)
	STAT(types)
	STAT(bytes)
	STAT(memory_read)
	STAT(skipped)
	STAT(relinked)
	STAT(lists_cut)
	STAT(reads)
#undef STAT
	st->stats.truncated = get_bool(cs, "truncated");
	get_num(cs, "read_ms", &st->stats.read_ms);
}

static void read_report(struct replay *rp, struct json_object *o, const char *type)
{
	struct rstatus *st = &rp->st;
	struct json_object *counters = get(o, "counters", json_type_object);
	struct json_object *drops = get(o, "drop_counters", json_type_array);
	struct json_object *cmd = get(o, "command", json_type_object);
	struct json_object *self = get(o, "self", json_type_object);
	__s64 v;

	status_clear(st);
	rp->reported = true;
	rp->reports++;
	if (!strcmp(type, "exit"))
		st->reason = keep(get_str(o, "reason") ?: "?");
	if (!counters)
		counters = json_object_new_object(); /* none: an empty one */
	else
		json_object_get(counters);
	json_object_object_foreach(counters, name, val)
	{
		struct report_counter *c = &st->counters[st->nr_counters];

		if (st->nr_counters == 64 || !json_object_is_type(val, json_type_int))
			continue;
		c->name = keep(name);
		c->value = json_object_get_int64(val);
		for (size_t i = 0; drops && i < json_object_array_length(drops); i++)
			c->drop |= !strcmp(
				json_object_get_string(json_object_array_get_idx(drops, i)), name);
		st->nr_counters++;
	}
	json_object_put(counters);
	if (get_num(o, "late", &st->late))
		st->late_reason = keep(get_str(o, "late_reason"));
	if (cmd) {
		st->command_ended = true;
		if (get_int(cmd, "signal", &v))
			st->command_status = (v & 0x7f) | (get_bool(cmd, "core_dumped") ? 0x80 : 0);
		else if (get_int(cmd, "exit_code", &v))
			st->command_status = (v & 0xff) << 8;
	}
	if (self) {
		if (get_int(self, "rss", &v))
			st->rss = v;
		if (get_int(self, "rss_peak", &v))
			st->rss_peak = v;
		if (get_int(self, "bpf_memory", &v))
			st->bpf_memory = v;
	}
	read_census(st, o);
	if (get_num(o, "probe_calls_per_s", &st->cost.calls_per_s)) {
		st->has_cost = true;
		st->cost.trap_known = get_num(o, "probe_cpu", &st->cost.cpu) &&
				      get_num(o, "probe_ns_per_call", &st->cost.ns_per_call);
		st->cost.share_known = st->cost.trap_known &&
				       get_num(o, "probe_share", &st->cost.share);
	}
}

/* The next line, parsed: 1, 0 at the end, or a negative errno after saying
 * what is wrong with it. */
static int next_record(struct replay *rp, struct json_object **out)
{
	struct json_tokener *tok;
	ssize_t len = getline(&rp->buf, &rp->buf_len, rp->f);
	struct json_object *o;

	*out = NULL;
	if (len < 0)
		return ferror(rp->f) ? -EIO : 0;
	rp->line++;
	if (rp->buf[len - 1] != '\n') {
		bad(rp, "the line is cut short: the recording ends inside it");
		return -EINVAL;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, rp->buf, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    strspn(rp->buf + json_tokener_get_parse_end(tok), " \t\r\n") !=
		    len - json_tokener_get_parse_end(tok)) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		bad(rp, "not a JSON object (%s)%s",
		    o				 ? "more after it"
		    : e == json_tokener_continue ? "it ends before it is closed"
						 : json_tokener_error_desc(e),
		    rp->line == 1 ? ": not a recording (leaktrace -o FILE writes one)" : "");
		json_object_put(o);
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object) || !get_str(o, "type")) {
		bad(rp, "not a leaktrace record (no \"type\")");
		json_object_put(o);
		return -EINVAL;
	}
	*out = o;
	return 1;
}

static unsigned int sources_of(struct json_object *o)
{
	struct json_object *a = get(o, "sources", json_type_array);
	unsigned int bits = 0;

	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		for (unsigned int bit = 1; bit <= LT_SRC_FD; bit <<= 1)
			if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)),
				    lt_source_name(bit)))
				bits |= bit;
	return bits;
}

static int read_start(struct replay *rp, struct json_object *o)
{
	struct json_object *sampled = get(o, "sampled", json_type_object);
	struct json_object *probes = get(o, "probes", json_type_array);
	struct report_probe *pv = NULL;
	size_t np = probes ? json_object_array_length(probes) : 0;
	__s64 v = 0, top = 10, window = 6, depth = LT_DEFAULT_STACK_DEPTH, pid = 0;
	struct report_opts ro = {
		.verbose = rp->opts.verbose,
		.history = rp->opts.history,
		.text = rp->opts.text,
		.json = { rp->opts.json },
	};
	struct report_start info = { 0 };
	struct trap_cost trap = { 0 };
	int err;

	rp->system = get_bool(o, "system");
	if (!get_num(o, "interval", &info.interval) || !get_num(o, "time", &info.time) ||
	    (!rp->system && (!get_int(o, "pid", &pid) || pid <= 0 || pid > INT32_MAX))) {
		bad(rp, "the start record needs interval, time, and pid unless system");
		return -EINVAL;
	}
	get_int(o, "top", &top);
	get_int(o, "window", &window);
	get_int(o, "stack_depth", &depth);
	ro.top = rp->opts.top ?: (top > 0 && top <= 100000 ? top : 10);
	ro.window = rp->opts.window ?: (window > 0 && window <= 100000 ? window : 6);
	ro.system = rp->system;
	if (sampled && get_int(sampled, "every", &v) && v > 0 && v <= LT_SAMPLE_EVERY_MAX)
		ro.sample_every = v;
	if (sampled && get_int(sampled, "bytes", &v) && v > 0 && v <= (__s64)LT_SAMPLE_BYTES_MAX)
		ro.sample_bytes = v;
	rp->pid = pid;
	rp->comm = keep(get_str(o, "comm") ?: "?");
	rp->time0 = info.time;
	rp->report = report__new(&ro, &(struct report_source){
					      .ctx = rp,
					      .stack_frames = cb_frames,
					      .resolve = cb_resolve,
					      .resolve_py = cb_resolve_py,
					      .type_name = cb_type_name,
					      .comm = cb_comm,
				      });
	pv = calloc(np ? np : 1, sizeof(*pv));
	if (!rp->report || !rp->comm || !pv) {
		free(pv);
		return -ENOMEM;
	}
	for (size_t i = 0; i < np; i++) {
		struct json_object *p = json_object_array_get_idx(probes, i);

		if (!json_object_is_type(p, json_type_object))
			continue;
		pv[info.nr_probes] = (struct report_probe){
			.func = get_str(p, "func") ?: "?",
			.module = get_str(p, "module") ?: "?",
			.emulated = get_bool(p, "emulated"),
		};
		get_hex(p, "offset", &pv[info.nr_probes].offset);
		if (get_int(p, "site", &v))
			pv[info.nr_probes].site = v;
		info.nr_probes++;
	}
	info.pid = pid;
	info.comm = rp->comm;
	info.sources = sources_of(o);
	info.stack_depth = depth > 0 && depth <= LT_MAX_STACK_DEPTH ? depth : 32;
	info.probes = pv;
	if (get_int(o, "probe_failures", &v))
		info.probe_failures = v;
	if (get_int(o, "bpf_memory", &v))
		info.bpf_memory = v;
	if (get_num(o, "trap_ns", &trap.entry_ns) && trap.entry_ns > 0) {
		get_num(o, "trap_return_ns", &trap.return_ns);
		info.trap = &trap;
	}
	err = report__start(rp->report, &info);
	free(pv);
	return err;
}

struct replay *replay__open(const char *path, const struct replay_opts *opts)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	struct json_object *o = NULL;
	struct stat st;
	int err;

	if (!rp)
		return NULL;
	rp->opts = *opts;
	rp->path = strdup(path);
	rp->by_id = hashmap__new(sizeof(__u64));
	rp->by_stack = hashmap__new(sizeof(struct stack_at));
	rp->comms = hashmap__new(sizeof(__u32));
	if (!rp->path || !rp->by_id || !rp->by_stack || !rp->comms) {
		err = -ENOMEM;
		goto fail;
	}
	rp->f = fopen(path, "re");
	if (!rp->f || fstat(fileno(rp->f), &st) || S_ISDIR(st.st_mode)) {
		err = rp->f && S_ISDIR(st.st_mode) ? -EISDIR : -errno;
		lt_error("cannot read %s: %s", path, strerror(-err));
		goto fail;
	}
	err = next_record(rp, &o);
	if (err == 0) {
		lt_error("%s is empty: not a recording (leaktrace -o FILE writes one)", path);
		err = -EINVAL;
	} else if (err == -EIO) {
		lt_error("cannot read %s: %s", path, strerror(errno ?: EIO));
	}
	if (err < 0)
		goto fail;
	if (strcmp(get_str(o, "type"), "start")) {
		lt_error("%s: not a recording: its first record is not leaktrace's start record "
			 "(leaktrace -o FILE writes one)",
			 path);
		err = -EINVAL;
		goto fail;
	}
	err = read_start(rp, o);
	if (err == -ENOMEM)
		lt_error("cannot read %s: %s", path, strerror(ENOMEM));
	if (err)
		goto fail;
	json_object_put(o);
	return rp;
fail:
	json_object_put(o);
	replay__free(rp);
	errno = -err;
	return NULL;
}

int replay__run(struct replay *rp, double at)
{
	struct json_object *o = NULL;
	int err;

	while ((err = next_record(rp, &o)) > 0) {
		const char *type = get_str(o, "type");
		double t = 0;

		err = 0;
		if (!strcmp(type, "stack")) {
			err = read_stack(rp, o);
		} else if (!strcmp(type, "forget")) {
			err = read_forget(rp, o);
		} else if (!strcmp(type, "samples")) {
			if (!get_num(o, "t", &t) || t < rp->t) {
				bad(rp, "a samples record needs t, never before the last one's");
				err = -EINVAL;
			} else if (t > at && rp->reports) {
				json_object_put(o);
				return 0;
			} else {
				err = read_samples(rp, o, t);
			}
		} else if (!strcmp(type, "interval") || !strcmp(type, "exit")) {
			/* a report without its sample is one of a recording
			 * made before samples were recorded */
			if (rp->sampled && !rp->reported)
				read_report(rp, o, type);
		} else if (!strcmp(type, "start")) {
			bad(rp, "a second start record: give each recording as a file of its own");
			err = -EINVAL;
		}
		/* other records (backrefs, and those of later versions) say
		 * nothing of the stacks */
		json_object_put(o);
		o = NULL;
		if (err)
			break;
	}
	if (err == -ENOMEM || err == -EIO)
		lt_error("cannot read %s: %s", rp->path, strerror(-err));
	if (!rp->sampled && err != -EINVAL) {
		lt_error("%s holds no samples: it is not a recording, or one cut before its "
			 "first report, or written by a leaktrace older than `leaktrace report`",
			 rp->path);
		return -ENODATA;
	}
	return err;
}

struct report *replay__report(struct replay *rp)
{
	return rp->report;
}

double replay__t(const struct replay *rp)
{
	return rp->sampled ? rp->t : -1;
}

const char *replay__path(const struct replay *rp)
{
	return rp->path;
}

bool replay__system(const struct replay *rp)
{
	return rp->system;
}

static int emit_status(struct replay *rp, struct rstatus *st)
{
	struct report_census census = {
		.rows = st->rows,
		.nr = st->nr_rows,
		.stats = &st->stats,
		.major = st->major,
		.minor = st->minor,
	};
	struct report_status status = {
		.pid = rp->pid,
		.census = st->census ? &census : NULL,
		.counters = st->counters,
		.nr_counters = st->nr_counters,
		.rss = st->rss,
		.rss_peak = st->rss_peak,
		.bpf_memory = st->bpf_memory,
		.command_ended = st->command_ended,
		.command_status = st->command_status,
		.late = st->late,
		.late_reason = st->late_reason,
		.when = rp->time0 + rp->t,
		.cost = st->has_cost ? &st->cost : NULL,
	};

	return report__emit(rp->report, &status, rp->reported ? st->reason : NULL);
}

int replay__emit(struct replay *rp)
{
	struct rstatus *st = &rp->st;

	/* a sample whose report record was cut off: what it said is unknown */
	if (!rp->reported)
		status_clear(st);
	return emit_status(rp, st);
}

void replay__free(struct replay *rp)
{
	if (!rp)
		return;
	if (rp->f)
		fclose(rp->f);
	report__free(rp->report);
	for (size_t i = 0; i < rp->nr; i++)
		rstack_free(rp->v[i]);
	for (size_t i = 0; i < rp->nr_f; i++)
		free(rp->fcomms[i]);
	status_clear(&rp->st);
	free(rp->v);
	free(rp->fpids);
	free(rp->fcomms);
	free(rp->samples);
	free(rp->buf);
	free(rp->comm);
	free(rp->path);
	hashmap__free(rp->by_id);
	hashmap__free(rp->by_stack);
	hashmap__free(rp->comms);
	free(rp);
}
