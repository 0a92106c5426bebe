/* SPDX-License-Identifier: GPL-2.0-only */
/* The exports of what is outstanding (--folded, --pprof) from a report fed
 * with names a hostile target could have: a ';' that would split a folded
 * frame, control characters, invalid UTF-8. The folded file must keep one
 * line per stack and one frame per frame; the pprof profile, unpacked again
 * with protobuf-c after gunzip, must hold the stacks, their values, the
 * inlined function as a line of the address's location, and only strings
 * that are valid UTF-8 without control characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "escape.h"
#include "folded.h"
#include "leaktrace.h"
#include "report.h"
#include "ut.h"
#ifdef LT_HAVE_PPROF
#include "pprof.h"
#include "profile.pb-c.h"
#endif

enum {
	LEAK = 0x2001,
	FDS = 0x2002,
	LOST = 0x2003,
	PY_A = 0x2004,
	PY_B = 0x2005
};
enum {
	IP_INLINE = 0x1000,
	IP_EVIL = 0x2000,
	IP_NONAME = 0x3000
};

static const __u64 leak_ips[] = { IP_INLINE, IP_EVIL, IP_NONAME };

/* Python frames: the code object in the low 16 bits, the line above. Both
 * stacks run in main (code 3), called from two lines of it. */
#define PY(code, line) (LT_PY_FRAME | (__u64)(line) << 16 | (code))
static const __u64 py_a[] = { PY(1, 5), PY(3, 10) }, py_b[] = { PY(2, 7), PY(3, 20) };

static size_t frames_of(void *ctx, __u32 tgid, __u64 stack, const __u64 **frames)
{
	(void)ctx, (void)tgid;
	*frames = stack == PY_A ? py_a : stack == PY_B ? py_b : leak_ips;
	if (stack == PY_A || stack == PY_B)
		return 2;
	return stack == LEAK || stack == FDS ? 3 : 0;
}

static void resolve_py(void *ctx, __u32 tgid, __u64 entry, struct lt_frame *out)
{
	static const char *const names[] = { "?", "a", "b", "main" };

	(void)ctx, (void)tgid;
	*out = (struct lt_frame){ .addr = 0x7000 + (entry & 0xffff),
				  .module = "app.py",
				  .func = names[entry & 3],
				  .file = "app.py",
				  .line = (int)((entry >> 16) & 0xffff),
				  .python = true };
}

/* IP_INLINE: "inner" inlined into "outer"; IP_EVIL: a hostile name and
 * file; IP_NONAME: no symbol, in a module with an invalid UTF-8 name. */
static size_t resolve(void *ctx, __u32 tgid, __u64 addr, struct lt_frame *out, size_t max)
{
	(void)ctx, (void)tgid;
	memset(out, 0, sizeof(*out) * (max < 2 ? max : 2));
	out[0].addr = addr;
	out[0].module = "/usr/bin/server";
	switch (addr) {
	case IP_INLINE:
		if (max < 2)
			break;
		out[0] = (struct lt_frame){ .addr = addr,
					    .module = "/usr/bin/server",
					    .func = "inner",
					    .file = "/src/a.c",
					    .line = 10,
					    .inlined = true };
		out[1] = (struct lt_frame){ .addr = addr,
					    .module = "/usr/bin/server",
					    .func = "outer",
					    .file = "/src/a.c",
					    .line = 20 };
		return 2;
	case IP_EVIL:
		out[0].func = "evil;name\n\x1b[31mred";
		out[0].file = "/src/b;c.c";
		out[0].line = 5;
		break;
	default:
		out[0].module = "/lib/x\xff\xfe.so";
		out[0].offset = 0x1234;
		break;
	}
	return 1;
}

static const char *comm(void *ctx, __u32 tgid)
{
	(void)ctx, (void)tgid;
	return "serv\x01;er";
}

static struct report *fed(void)
{
	struct report_source src = { .stack_frames = frames_of,
				     .resolve = resolve,
				     .resolve_py = resolve_py,
				     .comm = comm };
	struct report_opts opts = { .top = 10, .window = 4 };
	struct report *r = report__new(&opts, &src);

	for (int k = 1; r && k <= 3; k++) {
		struct lt_sample s[] = {
			{ .stack = LEAK,
			  .tgid = 42,
			  .kind = LT_KIND_HEAP,
			  .bytes = 100 * k,
			  .count = k },
			{ .stack = FDS, .tgid = 42, .kind = LT_KIND_FD, .count = 2 * k },
			{ .stack = LOST,
			  .tgid = 42,
			  .kind = LT_KIND_MMAP,
			  .bytes = 4096,
			  .count = 1 },
			{ .stack = PY_A,
			  .tgid = 42,
			  .kind = LT_KIND_PYOBJ,
			  .bytes = 56,
			  .count = 1 },
			{ .stack = PY_B,
			  .tgid = 42,
			  .kind = LT_KIND_PYOBJ,
			  .bytes = 64,
			  .count = 1 },
		};

		report__sample(r, k, s, 5, false);
	}
	return r;
}

static bool clean_utf8(const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len;) {
		size_t n = lt_utf8_seq((const unsigned char *)s + i, len - i);

		if (!n || (n == 1 && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)))
			return false;
		i += n;
	}
	return true;
}

static void folded(struct report *r, bool per_process)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int lines = 0;

	UT_EQ_INT(folded__write(r, f, per_process), 0, "folded stacks written");
	fclose(f);
	UT_CHECK(clean_utf8(buf) || strchr(buf, '\n'), "folded: no control characters but lines");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int semis = 0;

		lines++;
		UT_CHECK(clean_utf8(line), "folded line is clean: %s", line);
		for (char *p = line; *p; p++)
			semis += *p == ';';
		if (strstr(line, "outer")) {
			/* [process;] kind; 4 frames, outermost first */
			UT_EQ_INT(semis, per_process ? 5 : 4, "one ';' between frames");
			UT_CHECK(strstr(line, "evil\\x3bname") != NULL, "';' in a name escaped: %s",
				 line);
			UT_CHECK(strstr(line,
					per_process
						? "serv\\x01\\x3ber 42;heap;x\\xff\\xfe.so+0x1234;"
						: "heap;x\\xff\\xfe.so+0x1234;") == line,
				 "root first, the unnamed frame as module+offset: %s", line);
			UT_CHECK(strstr(line, ";outer (a.c:20);inner (a.c:10) [inlined] 300") !=
					 NULL,
				 "innermost last, then live bytes: %s", line);
		} else if (strstr(line, "pyobj")) {
			/* the type unknown to this report: "?" */
			UT_CHECK(strstr(line, "pyobj ?;main (app.py:10);a (app.py:5) 56") ||
					 strstr(line, "pyobj ?;main (app.py:20);b (app.py:7) 64"),
				 "Python frames with their lines: %s", line);
		} else {
			UT_CHECK(strstr(line, "mmap;[stack unavailable] 4096") != NULL,
				 "a stack without frames is named so: %s", line);
		}
	}
	UT_EQ_INT(lines, 4, "one line per stack with bytes (not the descriptors)");
	free(buf);
}

#ifdef LT_HAVE_PPROF
static const Perftools__Profiles__Location *location(const Perftools__Profiles__Profile *p,
						     __u64 id)
{
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	return NULL;
}

/* The two Python stacks: main's location differs by the line it calls
 * from, though its code object (the address) is the same. */
static void python_lines(const Perftools__Profiles__Profile *p)
{
	int seen = 0;

	for (size_t i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		const Perftools__Profiles__Location *caller;
		int want = s->value[0] == 56 ? 10 : s->value[0] == 64 ? 20 : 0;

		if (!want || s->n_location_id != 2)
			continue;
		caller = location(p, s->location_id[1]);
		seen++;
		UT_CHECK(caller && caller->n_line == 1 && caller->line[0]->line == want,
			 "main's location in the %lld B stack has line %d", (long long)s->value[0],
			 want);
	}
	UT_EQ_INT(seen, 2, "both Python stacks are samples of two locations");
}

static void pprof(struct report *r)
{
	FILE *f = tmpfile();
	unsigned char in[1 << 16], out[1 << 18];
	size_t n;
	z_stream z = { 0 };
	Perftools__Profiles__Profile *p;
	const Perftools__Profiles__Sample *leak = NULL, *fds = NULL;

	UT_EQ_INT(pprof__write(r, f, 3.0), 0, "profile written");
	rewind(f);
	n = fread(in, 1, sizeof(in), f);
	fclose(f);
	UT_CHECK(n > 2 && in[0] == 0x1f && in[1] == 0x8b, "gzipped");
	inflateInit2(&z, 15 + 16);
	z.next_in = in;
	z.avail_in = n;
	z.next_out = out;
	z.avail_out = sizeof(out);
	UT_EQ_INT(inflate(&z, Z_FINISH), Z_STREAM_END, "gunzipped whole");
	inflateEnd(&z);
	p = perftools__profiles__profile__unpack(NULL, sizeof(out) - z.avail_out, out);
	UT_CHECK(p, "protobuf-c unpacks the profile");
	if (!p)
		return;
	UT_CHECK(p->n_string_table > 0 && !strcmp(p->string_table[0], ""), "string 0 is \"\"");
	for (size_t i = 0; i < p->n_string_table; i++)
		UT_CHECK(clean_utf8(p->string_table[i]), "string %zu is clean UTF-8: %s", i,
			 p->string_table[i]);
	UT_EQ_INT(p->n_sample_type, 4, "four sample types");
	UT_EQ_STR(p->string_table[p->sample_type[0]->type], "live_bytes", "first type");
	UT_EQ_STR(p->string_table[p->default_sample_type], "live_bytes", "default type");
	UT_EQ_INT(p->n_sample, 5, "every live stack a sample, the descriptors too");
	python_lines(p);
	for (size_t i = 0; i < p->n_sample; i++) {
		if (p->sample[i]->n_location_id == 3 && p->sample[i]->value[0] == 300)
			leak = p->sample[i];
		if (p->sample[i]->value[1] == 6)
			fds = p->sample[i];
	}
	UT_CHECK(leak && fds, "the leak (300 B, 3 locations) and the descriptors (6) are samples");
	if (leak) {
		const Perftools__Profiles__Location *loc = NULL;

		UT_EQ_INT(leak->value[1], 3, "live count");
		UT_EQ_INT(leak->value[2], 300, "growth over the window, in bytes");
		UT_EQ_INT(leak->value[3], 0, "no growth in count for a heap stack");
		for (size_t i = 0; i < p->n_location; i++)
			if (p->location[i]->id == leak->location_id[0])
				loc = p->location[i];
		UT_CHECK(loc && loc->n_line == 2 && loc->address == IP_INLINE,
			 "the leaf location holds the inlined function and its caller");
		if (loc && loc->n_line == 2) {
			for (size_t j = 0; j < 2; j++)
				for (size_t i = 0; i < p->n_function; i++)
					if (p->function[i]->id == loc->line[j]->function_id)
						UT_EQ_STR(p->string_table[p->function[i]->name],
							  j ? "outer" : "inner",
							  "inlined function first, caller last");
			UT_EQ_INT(loc->line[0]->line, 10, "line of the inlined function");
		}
	}
	if (fds)
		UT_EQ_INT(fds->value[3], 6, "descriptors grow in count");
	perftools__profiles__profile__free_unpacked(p, NULL);
}
#endif

int main(void)
{
	struct report *r = fed();

	UT_CHECK(r, "report made");
	if (!r)
		return ut_done();
	folded(r, false);
	folded(r, true);
#ifdef LT_HAVE_PPROF
	pprof(r);
#else
	ut_skip("pprof",
		"built without protobuf-c: install libprotobuf-c-dev and protobuf-c-compiler");
#endif
	report__free(r);
	return ut_done();
}
