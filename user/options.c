// SPDX-License-Identifier: GPL-2.0-only
/* Command-line parsing with argp: defaults, value checks, and the checks that
 * span several options. Every usage error is one line and exit status 2. */
#include <argp.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "options.h"

const char *argp_program_version = "leaktrace " LT_VERSION;
const char *argp_program_bug_address = NULL;

static const char doc[] =
	"leaktrace -- find the allocations a running program keeps and never frees.\n"
	"\n"
	"Attaches eBPF probes to the functions that create and release resources in a\n"
	"live process, keeps what is outstanding keyed by the stack that made it, and\n"
	"every interval prints the stacks whose outstanding total keeps growing.\n"
	"\n"
	"Examples:\n"
	"  sudo leaktrace -p 1234                      trace a running process\n"
	"  sudo leaktrace -i 1 -d 60 -- ./server -v    start a command under tracing\n"
	"  sudo leaktrace -p 1234 --json -o leaks.jsonl\n"
	"  sudo leaktrace -d 60 --pprof live.pb.gz --folded live.folded -p 1234\n"
	"  sudo leaktrace -d 60 --html leaks.html -p 1234   (charts, flame graph)\n"
	"  sudo leaktrace --fail-on-growth 10M -d 30 -- ./test-suite   (exit 3 on a leak)\n"
	"  sudo leaktrace --lib /opt/app/lib/libjemalloc.so.2 -p 1234\n"
	"  sudo leaktrace --sources auto,fd -p 1234    (also descriptors never closed)\n"
	"  sudo leaktrace --sources none -p 1234       (a Python process's objects by\n"
	"                                               type, no probe: it runs at full\n"
	"                                               speed)\n"
	"  sudo leaktrace --sample-bytes 512K -p 1234  (a busy process: estimates)\n"
	"  sudo leaktrace --check                      (can leaktrace run here?)\n"
	"  leaktrace report -n 20 leaks.jsonl          (a report again, from -o FILE;\n"
	"                                               see leaktrace report --help)\n"
	"\v"
	"The manual page leaktrace(8) describes the report and every JSON field.\n"
	"Sizes take K, M, G (powers of 1024), optionally followed by B or iB.\n"
	"Exit status: 0 done; 1 runtime failure; 2 bad usage or input; 3 growth limit\n"
	"exceeded (--fail-on-growth).";

static const char args_doc[] = "-p PID\n-- COMMAND [ARG...]\n--system\n--check";

enum {
	OPT_SYSTEM = 0x100,
	OPT_SOURCES,
	OPT_JSON,
	OPT_LIB,
	OPT_STACK_DEPTH,
	OPT_FAIL_ON_GROWTH,
	OPT_BTF,
	OPT_DEBUG_DIR,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_PROBE_AT,
	OPT_FLOOR,
	OPT_NO_UPROBE_MULTI,
	OPT_SAMPLE,
	OPT_SAMPLE_BYTES,
	OPT_CHECK,
	OPT_UNWIND,
	OPT_UNWIND_ROWS,
	OPT_FOLDED,
	OPT_PPROF,
	OPT_HTML,
	OPT_CENSUS,
	OPT_NO_CENSUS,
	OPT_BACKREFS,
	OPT_BACKREFS_DOT,
	OPT_PAGES,
	OPT_EXACT,
	OPT_EXACT_TOP,
	OPT_EXACT_FOR,
	OPT_EXACT_MIN,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "What to trace:", 1 },
	{ "pid", 'p', "PID", 0, "Trace this process, all its threads", 1 },
	{ "system", OPT_SYSTEM, NULL, 0,
	  "Watch every process, including ones started later, by the pages it faults in, and "
	  "trace the allocations of the top growers exactly for a while (--exact: every "
	  "process exactly)",
	  1 },
	{ "pages", OPT_PAGES, NULL, 0,
	  "Trace growth by the pages a process faults in and gives back, instead of every "
	  "allocation (near-zero cost in a steady state; no probe on malloc; the default of "
	  "--system)",
	  1 },
	{ "exact", OPT_EXACT, NULL, 0,
	  "With --system: trace every process's allocations exactly, all the time (each "
	  "malloc traps)",
	  1 },
	{ "exact-top", OPT_EXACT_TOP, "N", 0,
	  "With --system: trace at most N of the processes whose pages keep growing exactly "
	  "at once (default 2; 0: pages only). With --pages for -p or --: 1 traces that "
	  "process exactly for a while when its pages keep growing (the default when "
	  "--exact-for or --exact-min is given), 0 never (the default)",
	  1 },
	{ "exact-for", OPT_EXACT_FOR, "SEC", 0,
	  "With --system, or --pages: how long a grower is traced exactly before leaktrace "
	  "steps back (default: the window, --window times --interval)",
	  1 },
	{ "exact-min", OPT_EXACT_MIN, "SIZE", 0,
	  "With --system, or --pages: the page growth over the window that makes a process "
	  "a grower (default 1M)",
	  1 },
	{ "check", OPT_CHECK, NULL, 0,
	  "Trace nothing: say what this machine offers for leaktrace and what to do about what "
	  "is missing; exit 1 if leaktrace cannot run here (--json: one JSON object)",
	  1 },
	{ NULL, 0, NULL, 0, "Reports:", 2 },
	{ "interval", 'i', "SEC", 0, "Seconds between reports, decimals allowed (default 5)", 2 },
	{ "duration", 'd', "SEC", 0,
	  "Stop after SEC and print the final report (default: until the target exits, or "
	  "SIGINT/SIGTERM)",
	  2 },
	{ "top", 'n', "N", 0, "Stacks per report (default 10)", 2 },
	{ "window", 'w', "N", 0,
	  "Intervals in the trailing window that ranks leak suspects (default 6)", 2 },
	{ "json", OPT_JSON, NULL, 0, "JSON lines on stdout instead of the table", 2 },
	{ "output", 'o', "FILE", 0, "Also write the JSON lines to FILE", 2 },
	{ "folded", OPT_FOLDED, "FILE", 0,
	  "At the end, write what is outstanding as folded stacks (flamegraph.pl) to FILE", 2 },
	{ "pprof", OPT_PPROF, "FILE", 0,
	  "At the end, write what is outstanding as a pprof profile (gzipped profile.proto) "
	  "to FILE",
	  2 },
	{ "html", OPT_HTML, "FILE", 0,
	  "Write the report as one self-contained HTML page to FILE: growth charts, the "
	  "table with its stacks, a flame graph; rewritten each interval",
	  2 },
	{ "fail-on-growth", OPT_FAIL_ON_GROWTH, "SIZE", 0,
	  "Exit with status 3 if any stack grew by more than SIZE since tracing began "
	  "(e.g. 10M)",
	  2 },
	{ NULL, 0, NULL, 0, "Python objects (read from outside, no probe):", 3 },
	{ "census", OPT_CENSUS, NULL, 0,
	  "Count a CPython target's live objects by type every interval, and rank the types "
	  "that grow (default: on when the target runs CPython)",
	  3 },
	{ "no-census", OPT_NO_CENSUS, NULL, 0, "No census", 3 },
	{ "backrefs", OPT_BACKREFS, "TYPE", 0,
	  "Print the shortest chain of references from a module to one of the newest objects "
	  "of TYPE (default: the top growing type, once it is a suspect)",
	  3 },
	{ "backrefs-dot", OPT_BACKREFS_DOT, "FILE", 0,
	  "Also write that chain as a Graphviz DOT graph to FILE", 3 },
	{ NULL, 0, NULL, 0, "Probes:", 4 },
	{ "sources", OPT_SOURCES, "LIST", 0,
	  "Comma list of libc, mmap, python, gl, fd (default auto: libc and mmap, python "
	  "if the target runs CPython, gl if it maps libGL, libEGL or libGLES; fd only if "
	  "named: auto,fd); or none: no probe, a CPython target's census alone",
	  4 },
	{ "lib", OPT_LIB, "PATH", 0,
	  "Trace the allocator in PATH (a static binary, jemalloc, musl) instead of the "
	  "ones the target maps",
	  4 },
	{ "stack-depth", OPT_STACK_DEPTH, "N", 0, "Frames kept per stack, 1-127 (default 32)", 4 },
	{ "max-allocs", OPT_MAX_ALLOCS, "N", 0,
	  "Outstanding allocations tracked at most; more are counted as dropped (default "
	  "1048576, less on machines with under 1 GiB of RAM: about 1/8 of it in BPF maps)",
	  4 },
	{ "max-stacks", OPT_MAX_STACKS, "N", 0,
	  "Distinct stacks stored at most; more are counted under [stack lost] (default "
	  "131072)",
	  4 },
	{ "sample", OPT_SAMPLE, "N", 0,
	  "Record one heap allocation in N, drawn at random, and report estimates (N times "
	  "what was recorded); for busy processes (default 1: every one)",
	  4 },
	{ "sample-bytes", OPT_SAMPLE_BYTES, "SIZE", 0,
	  "Record a heap allocation of s bytes with probability s/SIZE (about one per SIZE "
	  "bytes allocated; larger ones always) and report estimates; SIZE at most 1G",
	  4 },
	{ "unwind", OPT_UNWIND, "HOW", 0,
	  "tables (default): walk native stacks with unwind tables from each module's "
	  ".eh_frame/.debug_frame, frame pointers where a module has none; fp: frame "
	  "pointers only",
	  4 },
	{ "unwind-rows", OPT_UNWIND_ROWS, "N", 0,
	  "Unwind table rows kept, 8 bytes each, for all modules; a module that does not fit "
	  "is walked with frame pointers and counted (default 2097152, less on machines with "
	  "under 1 GiB of RAM: a 64th of it)",
	  4 },
	{ "btf", OPT_BTF, "FILE", 0,
	  "Kernel BTF to use instead of /sys/kernel/btf/vmlinux (for kernels built without "
	  "it)",
	  4 },
	{ "debug-dir", OPT_DEBUG_DIR, "DIR", 0,
	  "Also look for separate debug files in DIR (DIR/.build-id/xx/... or by debuglink)", 4 },
	{ NULL, 0, NULL, 0, "Diagnostics:", 5 },
	{ "probe-at", OPT_PROBE_AT, "WHERE", 0,
	  "auto (default): put each probe on the first instruction the kernel can emulate; "
	  "entry: on the function's first instruction",
	  5 },
	{ "floor", OPT_FLOOR, NULL, 0,
	  "Attach the same probes with programs that do nothing, at the function entries "
	  "unless --probe-at says otherwise: the cost of the probes alone, for benchmarks",
	  5 },
	{ "no-uprobe-multi", OPT_NO_UPROBE_MULTI, NULL, 0,
	  "Attach probe by probe, as on kernels before 6.6, even where one link can carry them "
	  "all",
	  5 },
	{ "verbose", 'v', NULL, 0, "Say more (probe sites, libbpf); twice for debug output", 5 },
	/* -h as well as argp's own -? and --help, listed beside them */
	{ NULL, 'h', NULL, 0, "Give this help list", -1 },
	{},
};

static void usage_error(struct argp_state *state, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static char lib_path[PATH_MAX]; /* --lib, resolved */

/* A path option names a directory, or exit 2. */
static void check_dir(const char *opt, const char *path)
{
	struct stat st;

	if (!path)
		return;
	if (stat(path, &st)) {
		fprintf(stderr, "leaktrace: invalid %s '%s': %s\n", opt, path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "leaktrace: invalid %s '%s': not a directory\n", opt, path);
		exit(2);
	}
}

static void usage_error(struct argp_state *state, const char *fmt, ...)
{
	va_list args;

	(void)state;
	fputs("leaktrace: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputs("\n", stderr);
	exit(2);
}

/* The end of the plain decimal number at @str (digits, and a fraction
 * after a point): what strtod() reads beyond that (hex, "inf", "nan",
 * exponents) is refused. */
static const char *decimal_end(const char *str)
{
	const char *p = str;

	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	return p;
}

int lt_parse_seconds(const char *str, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(str, &end);
	if (end == str || *end || end != decimal_end(str) || isnan(v))
		return -EINVAL;
	/* ERANGE: more digits than a double holds */
	if (errno == ERANGE || v <= 0 || v > 1e9 || isinf(v))
		return -ERANGE;
	*out = v;
	return 0;
}

int lt_parse_uint(const char *str, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long long v;
	char *end;

	/* strtoull() would take leading blanks and a sign, even a minus */
	if (*str < '0' || *str > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (end == str || *end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Sizes are compared with signed byte counts: below 2^63. */
#define SIZE_LIMIT 9223372036854775808.0

int lt_parse_size(const char *str, __u64 *out)
{
	static const char units[] = "KMGT";
	double v, mult = 1;
	bool too_long;
	char *end;

	if (!*str || *str == '-' || *str == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(str, &end);
	if (end == str || end != decimal_end(str) || isnan(v))
		return -EINVAL;
	/* more digits than a double holds */
	too_long = errno == ERANGE || isinf(v);
	if (*end) {
		/* upper case, and a space is 0, which strchr() finds at the end */
		char c = *end & ~0x20;
		const char *u = c ? strchr(units, c) : NULL;

		if (!u)
			return -EINVAL;
		mult = (double)(1ULL << (10 * (u - units + 1)));
		end++;
		if ((end[0] | 0x20) == 'i' && (end[1] & ~0x20) == 'B')
			end += 2;
		else if ((end[0] & ~0x20) == 'B')
			end++;
		if (*end)
			return -EINVAL;
	} else if (!too_long && v < SIZE_LIMIT && v != (double)(__u64)v) {
		/* "1.5" bytes means nothing (and a double past 2^64 is no __u64) */
		return -EINVAL;
	}
	v *= mult;
	if (too_long || v < 1 || v >= SIZE_LIMIT)
		return -ERANGE;
	*out = (__u64)v;
	return 0;
}

/* The BPF memory one outstanding allocation costs: its allocs entry, with
 * the hash map's own overhead (~123 MiB measured at 1M outstanding). */
#define ALLOC_ENTRY_BYTES 128

unsigned long lt_default_max_allocs(unsigned long long ram)
{
	unsigned long long want = ram / 8 / ALLOC_ENTRY_BYTES;
	unsigned long n = 1ul << 16;

	while (n < (1ul << 20) && 2ull * n <= want)
		n *= 2;
	return n;
}

unsigned long lt_default_unwind_rows(unsigned long long ram)
{
	unsigned long long want = ram / 64 / 8; /* 8 bytes a row */
	unsigned long n = 1ul << 18;

	while (n < (1ul << 21) && 2ull * n <= want)
		n *= 2;
	return n;
}

unsigned long long lt_ram_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (unsigned long long)pages * size : 0;
}

const char *lt_source_name(unsigned int source)
{
	const struct src_desc *d = src_by_bit(source);

	return d ? d->name : "?";
}

/* ", libc, mmap, ...": every source's name, in the order of their bits. */
static const char *source_names(char *buf, size_t len)
{
	size_t n = 0;

	*buf = 0;
	for (unsigned int bit = 1; bit & src_all(); bit <<= 1) {
		int w = snprintf(buf + n, len - n, ", %s", lt_source_name(bit));

		if (w < 0 || (size_t)w >= len - n) {
			buf[n] = 0; /* whole names only */
			break;
		}
		n += w;
	}
	return buf;
}

/* The sources traced only when named: auto never picks them. */
static unsigned int on_request(void)
{
	unsigned int bits = 0;

	for (unsigned int bit = 1; bit & src_all(); bit <<= 1)
		if (src_by_bit(bit)->on_request)
			bits |= bit;
	return bits;
}

int lt_parse_sources(const char *str, unsigned int *sources, bool *sources_auto)
{
	char *copy = strdup(str), *tok, *save = NULL;
	unsigned int mask = 0;
	bool is_auto = false, is_none = false;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const struct src_desc *d;

		if (!strcmp(tok, "auto")) {
			is_auto = true;
			continue;
		}
		if (!strcmp(tok, "none")) {
			is_none = true;
			continue;
		}
		d = src_by_name(tok);
		if (!d) {
			err = -EINVAL;
			goto cleanup;
		}
		mask |= d->bit;
	}
	/* none: no probe at all, for the census alone; it means nothing beside
	 * a source */
	if (is_none ? mask || is_auto : !mask && !is_auto) {
		err = -EINVAL;
		goto cleanup;
	}
	*sources = mask;
	*sources_auto = is_auto;
cleanup:
	free(copy);
	return err;
}

static unsigned long parse_count(struct argp_state *state, const char *opt, const char *arg,
				 unsigned long min, unsigned long max)
{
	unsigned long v;

	if (lt_parse_uint(arg, min, max, &v))
		usage_error(state, "invalid %s '%s': expected a whole number from %lu to %lu", opt,
			    arg, min, max);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct lt_settings *s = state->input;
	int err;

	switch (key) {
	case 'p':
		s->pid = parse_count(state, "pid", arg, 1, 0x7fffffff);
		break;
	case OPT_SYSTEM:
		s->system = true;
		break;
	case 'i':
		if (lt_parse_seconds(arg, &s->interval) || s->interval < 0.01)
			usage_error(state,
				    "invalid interval '%s': expected seconds, at least 0.01 "
				    "(decimals allowed)",
				    arg);
		break;
	case 'd':
		if (lt_parse_seconds(arg, &s->duration))
			usage_error(state,
				    "invalid duration '%s': expected a positive number of seconds",
				    arg);
		break;
	case 'n':
		s->top = parse_count(state, "--top", arg, 1, 100000);
		break;
	case 'w':
		s->window = parse_count(state, "--window", arg, 1, 100000);
		break;
	case OPT_JSON:
		s->json = true;
		break;
	case 'o':
		s->output = arg;
		break;
	case OPT_FOLDED:
		s->folded = arg;
		break;
	case OPT_PPROF:
#ifndef LT_HAVE_PPROF
		usage_error(state,
			    "--pprof: this leaktrace was built without protobuf-c; rebuild it with "
			    "libprotobuf-c-dev and protobuf-c-compiler installed");
#endif
		s->pprof = arg;
		break;
	case OPT_HTML:
		s->html = arg;
		break;
	case OPT_SOURCES: {
		char names[128];

		s->sources_given = true;
		err = lt_parse_sources(arg, &s->sources, &s->sources_auto);
		if (err == -ENOMEM)
			usage_error(state, "out of memory");
		if (err)
			usage_error(state,
				    "invalid --sources '%s': expected a comma list of auto%s; or "
				    "none, alone",
				    arg, source_names(names, sizeof(names)));
		if (s->sources & ~src_all())
			usage_error(state, "--sources '%s': this version cannot trace it", arg);
		break;
	}
	case OPT_LIB:
		/* the user's own path: its symbolic links are followed here, as
		 * files that traced processes name are opened without them */
		s->lib = realpath(arg, lib_path);
		if (!s->lib)
			usage_error(state, "invalid --lib '%s': %s", arg, strerror(errno));
		break;
	case OPT_STACK_DEPTH:
		s->stack_depth = parse_count(state, "--stack-depth", arg, 1, 127);
		break;
	case OPT_FAIL_ON_GROWTH:
		if (lt_parse_size(arg, &s->fail_on_growth))
			usage_error(state,
				    "invalid --fail-on-growth '%s': expected a size such as 512K, "
				    "10M or 1G",
				    arg);
		break;
	case OPT_BTF:
		s->btf = arg;
		break;
	case OPT_DEBUG_DIR:
		s->debug_dir = arg;
		break;
	case OPT_MAX_ALLOCS:
		s->max_allocs = parse_count(state, "--max-allocs", arg, 1024, 1UL << 27);
		break;
	case OPT_MAX_STACKS:
		s->max_stacks = parse_count(state, "--max-stacks", arg, 64, 1UL << 24);
		break;
	case OPT_PROBE_AT:
		if (!strcmp(arg, "auto"))
			s->probe_at = LT_PROBE_AT_AUTO;
		else if (!strcmp(arg, "entry"))
			s->probe_at = LT_PROBE_AT_ENTRY;
		else
			usage_error(state, "invalid --probe-at '%s': expected auto or entry", arg);
		break;
	case OPT_UNWIND:
		if (!strcmp(arg, "tables"))
			s->unwind_fp = false;
		else if (!strcmp(arg, "fp"))
			s->unwind_fp = true;
		else
			usage_error(state, "invalid --unwind '%s': expected tables or fp", arg);
		break;
	case OPT_UNWIND_ROWS:
		s->unwind_rows = parse_count(state, "--unwind-rows", arg, 1, 1UL << 24);
		break;
	case OPT_FLOOR:
		s->floor = true;
		break;
	case OPT_NO_UPROBE_MULTI:
		s->no_uprobe_multi = true;
		break;
	case OPT_SAMPLE:
		s->sample_every = parse_count(state, "--sample", arg, 1, LT_SAMPLE_EVERY_MAX);
		break;
	case OPT_SAMPLE_BYTES:
		if (lt_parse_size(arg, &s->sample_bytes) || s->sample_bytes > LT_SAMPLE_BYTES_MAX)
			usage_error(
				state,
				"invalid --sample-bytes '%s': expected a size from 1 to 1G, such "
				"as 512K",
				arg);
		break;
	case OPT_CHECK:
		s->check = true;
		break;
	case OPT_PAGES:
		s->pages = true;
		break;
	case OPT_EXACT:
		s->exact = true;
		break;
	case OPT_EXACT_TOP:
		s->exact_top = parse_count(state, "--exact-top", arg, 0, LT_EXACT_TOP_MAX);
		s->exact_given = s->exact_top_given = true;
		break;
	case OPT_EXACT_FOR:
		if (lt_parse_seconds(arg, &s->exact_for))
			usage_error(state,
				    "invalid --exact-for '%s': expected a positive number of "
				    "seconds",
				    arg);
		s->exact_given = true;
		break;
	case OPT_EXACT_MIN:
		if (lt_parse_size(arg, &s->exact_min))
			usage_error(state, "invalid --exact-min '%s': expected a size, such as 1M",
				    arg);
		s->exact_given = true;
		break;
	case OPT_CENSUS:
		s->census = LT_CENSUS_ON;
		break;
	case OPT_NO_CENSUS:
		s->census = LT_CENSUS_OFF;
		break;
	case OPT_BACKREFS:
		if (!*arg || strlen(arg) > 127)
			usage_error(state,
				    "invalid --backrefs '%s': expected a type name, such as "
				    "dict or Session",
				    arg);
		s->backrefs = arg;
		break;
	case OPT_BACKREFS_DOT:
		s->backrefs_dot = arg;
		break;
	case 'v':
		s->verbose++;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP); /* exits 0 */
		break;
	case ARGP_KEY_ARG:
		usage_error(state,
			    "unexpected argument '%s': to start a command, put it after --, as "
			    "in: leaktrace -- %s",
			    arg, arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* --pages replaces the sources that probe allocations (libc, mmap, python's
 * object allocators): a list that names one of them, or an option that
 * only they use, makes no sense with it, unless exact phases use it
 * (--sample, --sample-bytes, --probe-at). gl and fd keep their probes. */
static void check_pages(const struct lt_settings *s)
{
	const char *what = s->lib				? "--lib"
			   : s->floor				? "--floor"
			   : s->system || s->exact_top		? NULL
			   : s->sample_every			? "--sample"
			   : s->sample_bytes			? "--sample-bytes"
			   : s->probe_at != LT_PROBE_AT_DEFAULT ? "--probe-at"
								: NULL;

	if (s->sources_given && (s->sources & (LT_SRC_LIBC | LT_SRC_MMAP | LT_SRC_PYTHON))) {
		fputs("leaktrace: --pages replaces the libc, mmap and python sources: give "
		      "--sources auto, gl or fd with it, or drop --pages\n",
		      stderr);
		exit(2);
	}
	if (what) {
		fprintf(stderr,
			"leaktrace: %s sets how allocator calls are probed, and --pages probes "
			"none: drop %s or --pages\n",
			what, what);
		exit(2);
	}
}

/* --system watches pages and traces its top growers exactly for a while,
 * unless --exact asks for every process exactly: as does a --sources list
 * that names an allocator source, or --floor (the probes' cost alone).
 * -p and -- under --pages step into exact tracing of the one process the
 * same way when an --exact-* option asks for it. */
static void check_exact(struct lt_settings *s)
{
	if (s->exact && !s->system) {
		fputs("leaktrace: --exact is for --system: -p and -- trace every allocation "
		      "already (--pages traces pages instead)\n",
		      stderr);
		exit(2);
	}
	if (s->exact && s->pages) {
		fputs("leaktrace: --exact and --pages exclude each other: give one\n", stderr);
		exit(2);
	}
	if (s->system && !s->pages &&
	    (s->floor ||
	     (s->sources_given && (s->sources & (LT_SRC_LIBC | LT_SRC_MMAP | LT_SRC_PYTHON)))))
		s->exact = true;
	if (s->exact_given && (s->system ? s->exact : !s->pages)) {
		fputs(s->system ? "leaktrace: --exact-top, --exact-for and --exact-min shape the "
				  "exact tracing of --system's top growers: give them without "
				  "--exact (or a --sources list naming libc, mmap or python)\n"
				: "leaktrace: --exact-top, --exact-for and --exact-min shape the "
				  "exact tracing of a process whose pages keep growing: give them "
				  "with --pages (without it every allocation is traced)\n",
		      stderr);
		exit(2);
	}
	if (s->system && !s->exact)
		s->pages = true;
	/* -p, --: pages alone unless asked; one process, so 0 or 1 */
	if (!s->system)
		s->exact_top = !s->exact_given ? 0 : s->exact_top_given ? !!s->exact_top : 1;
}

void lt_settings_parse(struct lt_settings *s, int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, args_doc, doc, NULL, NULL, NULL };
	int nopts = argc, modes;

	*s = (struct lt_settings){
		.interval = 5,
		.top = 10,
		.window = 6,
		.sources = src_all() & ~on_request(),
		.sources_auto = true,
		.stack_depth = 32,
		.max_allocs = lt_default_max_allocs(lt_ram_bytes()),
		.max_stacks = 1u << 17,
		.unwind_rows = lt_default_unwind_rows(lt_ram_bytes()),
		.exact_top = 2,
		.exact_min = 1u << 20,
	};

	/* Everything after the first "--" is the command, untouched by argp. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--"))
			continue;
		if (i + 1 == argc) {
			fputs("leaktrace: nothing after --: give the command to start, as in: "
			      "leaktrace -- ./server\n",
			      stderr);
			exit(2);
		}
		nopts = i;
		s->command = &argv[i + 1];
		break;
	}

	argp_err_exit_status = 2;
	argp_parse(&argp, nopts, argv, 0, NULL, s);

	if (s->sample_every && s->sample_bytes) {
		fputs("leaktrace: --sample and --sample-bytes exclude each other: give one\n",
		      stderr);
		exit(2);
	}
	modes = !!s->pid + !!s->command + s->system;
	if (s->check && modes) {
		fputs("leaktrace: --check traces nothing: give it without -p, -- COMMAND or "
		      "--system\n",
		      stderr);
		exit(2);
	}
	if (modes == 0 && !s->check) {
		fputs("leaktrace: nothing to trace: give -p PID, -- COMMAND or --system (see "
		      "--help)\n",
		      stderr);
		exit(2);
	}
	if (modes > 1) {
		fputs("leaktrace: -p, -- COMMAND and --system exclude each other: give one\n",
		      stderr);
		exit(2);
	}
	if (s->census == LT_CENSUS_OFF && (s->backrefs || s->backrefs_dot)) {
		fputs("leaktrace: --backrefs needs the census: drop --no-census\n", stderr);
		exit(2);
	}
	if (s->system && (s->census == LT_CENSUS_ON || s->backrefs || s->backrefs_dot)) {
		fputs("leaktrace: --census and --backrefs read one CPython process: use -p PID or "
		      "-- COMMAND\n",
		      stderr);
		exit(2);
	}
	if (!s->sources && !s->sources_auto && (s->census == LT_CENSUS_OFF || s->system)) {
		fputs(s->system ? "leaktrace: --sources none leaves only the census, which reads "
				  "one CPython process: use -p PID or -- COMMAND, or name a "
				  "source\n"
				: "leaktrace: --sources none with --no-census traces nothing: drop "
				  "one of them\n",
		      stderr);
		exit(2);
	}
	if (s->system && s->lib) {
		fputs("leaktrace: --lib names one process's allocator; --system finds each "
		      "process's own: drop --lib\n",
		      stderr);
		exit(2);
	}
	check_dir("--debug-dir", s->debug_dir);
	/* --sources pages is --pages */
	s->pages |= !!(s->sources & LT_SRC_PAGES);
	check_exact(s);
	if (s->pages)
		check_pages(s);
	if (s->sources_auto)
		s->sources |= src_all() & ~on_request();
	/* --pages: Python frames in the pages' stacks, no probe */
	if (s->pages)
		s->sources = (s->sources & ~(LT_SRC_LIBC | LT_SRC_MMAP)) | LT_SRC_PAGES;
	/* exact phases probe the allocator of one process at a time */
	if (s->pages && s->exact_top)
		s->sources |= LT_SRC_LIBC;
}

/* --- leaktrace report --- */

static const char report_doc[] =
	"leaktrace report -- print a report again from a recording.\n"
	"\n"
	"Reads the JSON lines that leaktrace -o FILE (or --json) wrote, which hold\n"
	"every stack with something outstanding at each interval, and prints the\n"
	"report of its last interval (or of the one at --at SEC) as the live run\n"
	"printed it, with other -n and -w if given. With --from (and --to), or two\n"
	"recordings, it prints what grew between two reports instead: each stack's\n"
	"bytes and count at both, stacks matched by kind, type and frames.\n"
	"\n"
	"Examples:\n"
	"  leaktrace report leaks.jsonl               the last report again\n"
	"  leaktrace report -n 50 -w 12 leaks.jsonl   more rows, a longer window\n"
	"  leaktrace report --at 60 leaks.jsonl       the report at 60 s\n"
	"  leaktrace report --from 60 --to 600 leaks.jsonl\n"
	"                                             what grew from 60 s to 600 s\n"
	"  leaktrace report before.jsonl after.jsonl  what grew from one run to the\n"
	"                                             next\n"
	"  leaktrace report --pprof leaks.pb.gz leaks.jsonl\n"
	"\v"
	"Times are seconds since tracing began, as in a report's +SEC; a time between\n"
	"two reports means the earlier one (before the first: the first).\n"
	"Exit status: 0 done; 1 runtime failure; 2 bad usage, or a recording that\n"
	"cannot be read (a bad line is named FILE:LINE, and what came before it is\n"
	"reported).";

enum {
	ROPT_JSON = 0x100,
	ROPT_AT,
	ROPT_FROM,
	ROPT_TO,
	ROPT_FOLDED,
	ROPT_PPROF,
	ROPT_HTML,
};

static const struct argp_option report_options[] = {
	{ "top", 'n', "N", 0, "Stacks per report (default: the recording's)", 1 },
	{ "window", 'w', "N", 0,
	  "Intervals in the trailing window that ranks leak suspects (default: the "
	  "recording's)",
	  1 },
	{ "at", ROPT_AT, "SEC", 0, "The report at SEC (default: the last)", 1 },
	{ "from", ROPT_FROM, "SEC", 0,
	  "Print what grew from the report at SEC (default with two recordings: the first's "
	  "last)",
	  1 },
	{ "to", ROPT_TO, "SEC", 0,
	  "... to the report at SEC (default: the last; with two recordings, of the second)", 1 },
	{ "json", ROPT_JSON, NULL, 0, "JSON lines on stdout instead of the table", 1 },
	{ "folded", ROPT_FOLDED, "FILE", 0,
	  "Write what is outstanding at the report (--to's when comparing) as folded stacks "
	  "to FILE",
	  1 },
	{ "pprof", ROPT_PPROF, "FILE", 0,
	  "Write what is outstanding at the report (--to's when comparing) as a pprof profile "
	  "to FILE",
	  1 },
	{ "html", ROPT_HTML, "FILE", 0,
	  "Write the report (--to's when comparing) as a self-contained HTML page to FILE, "
	  "with the charts of the recording up to it",
	  1 },
	{ "verbose", 'v', NULL, 0, "Say more", 1 },
	{ NULL, 'h', NULL, 0, "Give this help list", -1 },
	{},
};

static double parse_time(struct argp_state *state, const char *opt, const char *arg)
{
	double v;

	if (!strcmp(arg, "0"))
		return 0;
	if (lt_parse_seconds(arg, &v))
		usage_error(state, "invalid %s '%s': expected seconds since tracing began", opt,
			    arg);
	return v;
}

static error_t parse_report_opt(int key, char *arg, struct argp_state *state)
{
	struct lt_report_settings *s = state->input;

	switch (key) {
	case 'n':
		s->top = parse_count(state, "--top", arg, 1, 100000);
		break;
	case 'w':
		s->window = parse_count(state, "--window", arg, 1, 100000);
		break;
	case ROPT_AT:
		s->at = parse_time(state, "--at", arg);
		s->has_at = true;
		break;
	case ROPT_FROM:
		s->from = parse_time(state, "--from", arg);
		s->has_from = true;
		break;
	case ROPT_TO:
		s->to = parse_time(state, "--to", arg);
		s->has_to = true;
		break;
	case ROPT_JSON:
		s->json = true;
		break;
	case ROPT_FOLDED:
		s->folded = arg;
		break;
	case ROPT_PPROF:
#ifndef LT_HAVE_PPROF
		usage_error(state,
			    "--pprof: this leaktrace was built without protobuf-c; rebuild it with "
			    "libprotobuf-c-dev and protobuf-c-compiler installed");
#endif
		s->pprof = arg;
		break;
	case ROPT_HTML:
		s->html = arg;
		break;
	case 'v':
		s->verbose++;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP); /* exits 0 */
		break;
	case ARGP_KEY_ARG:
		if (s->nr_files == 2)
			usage_error(state,
				    "too many recordings: give one, or two to compare ('%s' is "
				    "the third)",
				    arg);
		s->files[s->nr_files++] = arg;
		break;
	case ARGP_KEY_NO_ARGS:
		usage_error(state, "no recording: give the FILE that leaktrace -o FILE wrote");
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

void lt_report_settings_parse(struct lt_report_settings *s, int argc, char **argv)
{
	static const struct argp argp = {
		report_options,
		parse_report_opt,
		"FILE.jsonl\nBEFORE.jsonl AFTER.jsonl",
		report_doc,
		NULL,
		NULL,
		NULL,
	};
	static char *files[2];

	*s = (struct lt_report_settings){
		.files = files, .at = INFINITY, .from = INFINITY, .to = INFINITY
	};
	argp_err_exit_status = 2;
	argp_parse(&argp, argc, argv, 0, NULL, s);
	if (s->has_at && (s->has_from || s->has_to || s->nr_files == 2)) {
		fputs("leaktrace: --at picks one report; --from and --to, or two recordings, "
		      "compare two: give one or the other\n",
		      stderr);
		exit(2);
	}
	if (s->has_to && !s->has_from && s->nr_files == 1) {
		fputs("leaktrace: --to needs --from: what grew from when?\n", stderr);
		exit(2);
	}
	if (s->nr_files == 1 && s->has_from && s->has_to && s->to < s->from) {
		fputs("leaktrace: --to is before --from: give the earlier time to --from\n",
		      stderr);
		exit(2);
	}
}
