/* SPDX-License-Identifier: GPL-2.0-only */
/* A recording replayed (replay.c) prints what the live report printed: a
 * report fed by hand, under --system, with C and Python frames, an inlined
 * function, a Python type, an allocator's arena, a process that exits and a
 * stack whose figures stop changing, writes its JSON lines to a file; the
 * replay of that file, at the last interval and at an earlier one, prints
 * the same table and the same JSON record. Then the file cut mid-line, and
 * with a row that names no stack, which replay up to the line before. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "arena.h"
#include "replay.h"
#include "report.h"
#include "ut.h"

enum {
	LEAK = 0x1001,
	FLAT = 0x1002,
	PY = 0x1003,
	ARENA = 0x1004,
	GONE = 0x1005,
	CHURN = 0x1006
};

static const __u64 ips[] = { 0x1000, 0x2000, 0x3000 };

static size_t frames_of(void *ctx, __u32 tgid, __u64 stack, const __u64 **frames)
{
	(void)ctx, (void)tgid;
	*frames = ips;
	return stack == FLAT ? 2 : 3;
}

static size_t resolve(void *ctx, __u32 tgid, __u64 addr, struct lt_frame *out, size_t max)
{
	(void)ctx, (void)tgid;
	memset(out, 0, sizeof(*out) * (max < 2 ? max : 2));
	if (addr == 0x1000 && max >= 2) {
		out[0] = (struct lt_frame){ .addr = addr,
					    .module = "/bin/app",
					    .func = "put",
					    .file = "/src/cache.c",
					    .line = 12,
					    .inlined = true };
		out[1] = (struct lt_frame){ .addr = addr,
					    .offset = 0x100,
					    .module = "/bin/app",
					    .func = "main",
					    .symbol = "_Z4mainv",
					    .file = "/src/main.c",
					    .line = 40 };
		return 2;
	}
	if (addr == 0x2000) {
		out[0] = (struct lt_frame){ .addr = addr,
					    .offset = 0x2000,
					    .module = "/lib/libx.so",
					    .func = "helper",
					    .func_off = 0x1c };
		return 1;
	}
	out[0] = (struct lt_frame){ .addr = addr, .offset = 0x3000, .module = "/lib/liby.so" };
	return 1;
}

static void resolve_py(void *ctx, __u32 tgid, __u64 entry, struct lt_frame *out)
{
	(void)ctx, (void)tgid, (void)entry;
	*out = (struct lt_frame){ .module = "[python]", .python = true };
}

static const char *type_name(void *ctx, __u32 tgid, __u64 type)
{
	(void)ctx, (void)tgid;
	return type == 0x7700 ? "Session" : NULL;
}

static const char *comm(void *ctx, __u32 tgid)
{
	(void)ctx;
	return tgid == 7 ? "server" : tgid == 8 ? "worker" : NULL;
}

/* The last line of @buf (@len bytes, ending in a newline), in @out. */
static void last_line(const char *buf, size_t len, char *out, size_t size)
{
	size_t start = 0;

	for (size_t i = 0; i + 1 < len; i++)
		if (buf[i] == '\n')
			start = i + 1;
	snprintf(out, size, "%.*s", (int)(len - start), buf + start);
}

/* The table of the last report in @buf: from its last header on. */
static const char *last_table(const char *buf)
{
	const char *p = buf, *at = buf;

	while ((p = strstr(p, "\nleaktrace ")))
		at = p++;
	return at;
}

struct live {
	char *text, *json;
	size_t text_len, json_len;
	char text_at3[8192], json_at3[8192];
};

static void record(const char *path, struct live *lv)
{
	struct report_source src = { .stack_frames = frames_of,
				     .resolve = resolve,
				     .resolve_py = resolve_py,
				     .type_name = type_name,
				     .comm = comm };
	FILE *text = open_memstream(&lv->text, &lv->text_len);
	FILE *json = open_memstream(&lv->json, &lv->json_len);
	FILE *file = fopen(path, "w");
	struct report_counter counters[] = { { "allocs_full", 0, true },
					     { "lost", 3, true },
					     { "stats", 9, false } };
	struct report *r;

	r = report__new(&(struct report_opts){ .top = 10,
					       .window = 3,
					       .system = true,
					       .text = text,
					       .json = { json, file },
					       .record = true },
			&src);
	UT_CHECK(r && text && json && file, "a report to record made");
	if (!r || !text || !json || !file)
		return;
	report__start(r, &(struct report_start){
				 .sources = 3, .interval = 1, .time = 1000, .stack_depth = 32 });
	for (int k = 1; k <= 6; k++) {
		struct lt_sample s[] = {
			{ .stack = LEAK,
			  .tgid = 7,
			  .kind = LT_KIND_HEAP,
			  .bytes = 100 * k,
			  .count = k,
			  .allocs = 2 * k,
			  .frees = k },
			{ .stack = FLAT,
			  .tgid = 7,
			  .kind = LT_KIND_HEAP,
			  .bytes = 64,
			  .count = 1,
			  .allocs = 1 },
			{ .stack = PY,
			  .tgid = 7,
			  .aux = 0x7700,
			  .kind = LT_KIND_PYOBJ,
			  .bytes = 56 * k * (k % 2 + 1),
			  .count = k * (k % 2 + 1) },
			{ .stack = ARENA,
			  .tgid = 7,
			  .aux = LT_ARENA_PYMALLOC,
			  .kind = LT_KIND_MMAP,
			  .bytes = 262144 * k,
			  .count = k },
			/* one block in flight at the third sample only: the live
			 * report drops the series at the fourth, and the recording
			 * must still say that it went back to nothing */
			{ .stack = CHURN,
			  .tgid = 7,
			  .kind = LT_KIND_HEAP,
			  .bytes = k == 3 ? 2003 : 0,
			  .count = k == 3,
			  .allocs = 10 * k,
			  .frees = 10 * k - (k == 3) },
			{ .stack = GONE,
			  .tgid = 8,
			  .kind = LT_KIND_HEAP,
			  .bytes = 1000 * k,
			  .count = k },
		};
		struct report_status st = { .counters = counters,
					    .nr_counters = 3,
					    .when = 1000 + k,
					    .late = k == 2 ? 0.5 : 0,
					    .late_reason = "slow" };

		if (k == 5)
			report__forget(r, 8, "worker", true);
		report__sample(r, k, s, k >= 5 ? 5 : 6, k == 6);
		report__emit(r, &st, k == 6 ? "duration" : NULL);
		fflush(text);
		fflush(json);
		if (k == 3) {
			snprintf(lv->text_at3, sizeof(lv->text_at3), "%s", last_table(lv->text));
			last_line(lv->json, lv->json_len, lv->json_at3, sizeof(lv->json_at3));
		}
	}
	report__free(r);
	fclose(text);
	fclose(json);
	fclose(file);
}

/* The replay of @path at @at, its table in *@text and its JSON in *@json. */
static int replay(const char *path, double at, char **text, char **json, double *t)
{
	size_t tl = 0, jl = 0;
	FILE *ft = open_memstream(text, &tl), *fj = open_memstream(json, &jl);
	struct replay *rp = NULL;
	int err = -ENOMEM;

	if (!ft || !fj)
		goto out;
	/* one for the table, one for the JSON: as `leaktrace report` does */
	rp = replay__open(path, &(struct replay_opts){ .text = ft });
	err = rp ? replay__run(rp, at) : -errno;
	if (rp && replay__t(rp) >= 0)
		replay__emit(rp);
	*t = rp ? replay__t(rp) : -1;
	replay__free(rp);
	rp = replay__open(path, &(struct replay_opts){ .json = fj });
	if (rp && replay__run(rp, at) != -ENODATA && replay__t(rp) >= 0)
		replay__emit(rp);
	replay__free(rp);
out:
	if (ft)
		fclose(ft);
	if (fj)
		fclose(fj);
	return err;
}

static void round_trip(const char *path, struct live *lv)
{
	char *text = NULL, *json = NULL, line[8192], want[8192];
	double t;
	int err;

	err = replay(path, INFINITY, &text, &json, &t);
	UT_EQ_INT(err, 0, "the whole recording replays");
	UT_CHECK(t == 6, "up to its last report: t=%g", t);
	UT_CHECK(!strcmp(last_table(text), last_table(lv->text)),
		 "the last table, as printed live");
	last_line(json, strlen(json), line, sizeof(line));
	last_line(lv->json, lv->json_len, want, sizeof(want));
	UT_CHECK(!strcmp(line, want), "the last JSON record, as written live");
	free(text);
	free(json);

	err = replay(path, 3.5, &text, &json, &t);
	UT_CHECK(!err && t == 3, "--at 3.5 replays up to the report at 3: t=%g", t);
	UT_CHECK(!strcmp(last_table(text), lv->text_at3), "the table at 3, as printed live");
	last_line(json, strlen(json), line, sizeof(line));
	UT_CHECK(!strcmp(line, lv->json_at3), "the JSON record at 3, as written live");
	UT_CHECK(strstr(text, "worker") != NULL, "the process that exits later is there at 3");
	free(text);
	free(json);
}

/* Cuts @src's copy at @dst after its @nth line starting with @prefix,
 * @extra bytes into the next line; returns that line's number. */
static int cut_after(const char *src, const char *dst, const char *prefix, int nth,
		     const char *replace, size_t extra)
{
	FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
	char *line = NULL;
	size_t cap = 0;
	int n = 0, seen = 0, at = -1;

	while (in && out && getline(&line, &cap, in) > 0) {
		n++;
		if (at > 0) {
			if (replace)
				fputs(replace, out);
			else
				fwrite(line, 1, extra, out);
			break;
		}
		fputs(line, out);
		if (!strncmp(line, prefix, strlen(prefix)) && ++seen == nth)
			at = n + 1;
	}
	free(line);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	return at;
}

static void bad_lines(const char *path)
{
	char bad[] = "/tmp/lt-test-replay-bad-XXXXXX";
	int fd = mkstemp(bad), line;
	char *text = NULL, *json = NULL;
	double t;
	int err;

	if (fd < 0)
		return;
	close(fd);
	/* after the 4th interval record, 10 bytes of the next line */
	line = cut_after(path, bad, "{\"type\":\"interval\"", 4, NULL, 10);
	err = replay(bad, INFINITY, &text, &json, &t);
	UT_CHECK(line > 0 && err == -EINVAL, "a line cut short is bad input (line %d)", line);
	UT_CHECK(t == 4, "and what came before it replays: t=%g", t);
	UT_CHECK(strstr(text, "+4.0s") != NULL, "the report at 4 is printed");
	free(text);
	free(json);

	line = cut_after(path, bad, "{\"type\":\"interval\"", 2,
			 "{\"type\":\"samples\",\"t\":3.0,\"rows\":[[999,1,1,1,0]]}\n", 0);
	err = replay(bad, INFINITY, &text, &json, &t);
	UT_CHECK(err == -EINVAL && t == 2, "a row of no stack stops at the report before: t=%g", t);
	free(text);
	free(json);
	unlink(bad);
}

int main(void)
{
	char path[] = "/tmp/lt-test-replay-XXXXXX";
	int fd = mkstemp(path);
	struct live lv = { 0 };

	UT_CHECK(fd >= 0, "a temporary file");
	if (fd < 0)
		return 1;
	close(fd);
	record(path, &lv);
	round_trip(path, &lv);
	bad_lines(path);
	unlink(path);
	free(lv.text);
	free(lv.json);
	return ut_failed ? 1 : 0;
}
