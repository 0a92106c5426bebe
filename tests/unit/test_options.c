/* SPDX-License-Identifier: GPL-2.0-only */
/* The defaults that depend on the machine: how many outstanding allocations
 * the maps hold on a board and on a desktop; the values options take; and
 * the command line as a whole: each option that takes a value, with one it
 * accepts and one it refuses, and each refusal's message and exit status. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "options.h"
#include "ut.h"

/* Every source there is: what auto,fd and --system trace. */
#define ALL_SOURCES (LT_SRC_LIBC | LT_SRC_MMAP | LT_SRC_PYTHON | LT_SRC_GL | LT_SRC_FD)

static void test_values(void)
{
	__u64 size = 0;
	double sec = 0;

	UT_EQ_INT(lt_parse_size("10M", &size), 0, "10M");
	UT_CHECK(size == 10ull << 20, "10M is %llu", (unsigned long long)size);
	UT_EQ_INT(lt_parse_size("1.5GiB", &size), 0, "1.5GiB");
	UT_EQ_INT(lt_parse_size("9223372036854775807", &size), -ERANGE,
		  "2^63-1 rounds to 2^63 as a double: out of range");
	UT_EQ_INT(lt_parse_size("9223372036854775808", &size), -ERANGE, "2^63: out of range");
	UT_EQ_INT(lt_parse_size("8E", &size), -EINVAL, "no exa unit");
	UT_EQ_INT(lt_parse_size("7T", &size), 0, "7T");
	UT_EQ_INT(lt_parse_size("0x10", &size), -EINVAL, "no hex size");
	UT_EQ_INT(lt_parse_size("1e3", &size), -EINVAL, "no exponent");
	UT_EQ_INT(lt_parse_seconds("1.5", &sec), 0, "1.5 s");
	UT_EQ_INT(lt_parse_seconds("0x10", &sec), -EINVAL, "no hex seconds");
	UT_EQ_INT(lt_parse_seconds("inf", &sec), -EINVAL, "no infinity");
	UT_EQ_INT(lt_parse_seconds("nan", &sec), -EINVAL, "no NaN");
	UT_EQ_INT(lt_parse_seconds(".5", &sec), 0, ".5 s");
}

static void test_sizes(void)
{
	static const struct {
		const char *str;
		__u64 want;
	} good[] = {
		{ "1", 1 },
		{ "100", 100 },
		{ "512k", 512ull << 10 },
		{ "512K", 512ull << 10 },
		{ "1KB", 1ull << 10 },
		{ "1kib", 1ull << 10 },
		{ "1KiB", 1ull << 10 },
		{ "3M", 3ull << 20 },
		{ "3MiB", 3ull << 20 },
		{ "1.5GiB", 3ull << 29 },
		{ "1g", 1ull << 30 },
		{ ".5K", 512 },
		{ "0.25M", 1ull << 18 },
		{ "2.0", 2 },
		{ "7T", 7ull << 40 },
		{ "8388607T", 8388607ull << 40 },
	};
	static const struct {
		const char *str;
		int err;
	} bad[] = {
		{ "", -EINVAL },
		{ "K", -EINVAL },
		{ "-1", -EINVAL },
		{ "+1", -EINVAL },
		{ " 1", -EINVAL },
		{ "10 ", -EINVAL },
		{ "1 B", -EINVAL },
		{ "1 K", -EINVAL },
		{ "1.5", -EINVAL },
		{ "1B", -EINVAL },
		{ "1Ki", -EINVAL },
		{ "1KiBs", -EINVAL },
		{ "1KK", -EINVAL },
		{ "1P", -EINVAL },
		{ "1X", -EINVAL },
		{ "1,5M", -EINVAL },
		{ "inf", -EINVAL },
		{ "nan", -EINVAL },
		{ "0", -ERANGE },
		{ "0K", -ERANGE },
		{ "0.0001K", -ERANGE },
		{ "8388608T", -ERANGE },
		{ "100000000000000000000000", -ERANGE },
		{ "0.5", -EINVAL },
	};
	char huge[400];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		__u64 v = 0;
		int err = lt_parse_size(good[i].str, &v);

		UT_CHECK(err == 0 && v == good[i].want, "size '%s': %d, %llu (want %llu)",
			 good[i].str, err, (unsigned long long)v, (unsigned long long)good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		__u64 v = 12345;
		int err = lt_parse_size(bad[i].str, &v);

		UT_CHECK(err == bad[i].err && v == 12345,
			 "size '%s' refused: %d (want %d), left %llu", bad[i].str, err, bad[i].err,
			 (unsigned long long)v);
	}
	/* more digits than a double holds: out of range, not malformed */
	memset(huge, '9', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	{
		__u64 v;

		UT_EQ_INT(lt_parse_size(huge, &v), -ERANGE, "a size of 399 digits");
	}
}

static void test_seconds(void)
{
	static const struct {
		const char *str;
		double want;
	} good[] = {
		{ "5", 5 }, { "0.5", 0.5 }, { "5.", 5 }, { "0.01", 0.01 }, { "1000000000", 1e9 },
	};
	static const struct {
		const char *str;
		int err;
	} bad[] = {
		{ "", -EINVAL },
		{ ".", -EINVAL },
		{ "-1", -EINVAL },
		{ "+1", -EINVAL },
		{ " 1", -EINVAL },
		{ "1 ", -EINVAL },
		{ "5s", -EINVAL },
		{ "1e3", -EINVAL },
		{ "1,5", -EINVAL },
		{ "0", -ERANGE },
		{ "0.0", -ERANGE },
		{ "1000000000.5", -ERANGE },
		{ "99999999999", -ERANGE },
	};
	char huge[400];
	double d;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int err;

		d = -1;
		err = lt_parse_seconds(good[i].str, &d);
		UT_CHECK(err == 0 && d == good[i].want, "seconds '%s': %d, %g (want %g)",
			 good[i].str, err, d, good[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err;

		d = -1;
		err = lt_parse_seconds(bad[i].str, &d);
		UT_CHECK(err == bad[i].err && d == -1, "seconds '%s' refused: %d (want %d)",
			 bad[i].str, err, bad[i].err);
	}
	memset(huge, '9', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	UT_EQ_INT(lt_parse_seconds(huge, &d), -ERANGE, "399 digits of seconds");
}

static void test_uints(void)
{
	unsigned long v;

	UT_EQ_INT(lt_parse_uint("0", 0, 10, &v), 0, "0 from 0");
	UT_EQ_INT(v, 0, "0 read");
	UT_EQ_INT(lt_parse_uint("10", 0, 10, &v), 0, "the upper bound");
	UT_EQ_INT(v, 10, "10 read");
	UT_EQ_INT(lt_parse_uint("007", 1, 10, &v), 0, "leading zeros, decimal still");
	UT_EQ_INT(v, 7, "007 is 7, not octal");
	UT_EQ_INT(lt_parse_uint("18446744073709551615", 0, ~0UL, &v), 0, "2^64-1");
	UT_CHECK(v == ~0UL, "2^64-1 read");
	v = 99;
	UT_EQ_INT(lt_parse_uint("11", 0, 10, &v), -ERANGE, "above the upper bound");
	UT_EQ_INT(lt_parse_uint("0", 1, 10, &v), -ERANGE, "below the lower bound");
	UT_EQ_INT(lt_parse_uint("18446744073709551616", 0, ~0UL, &v), -ERANGE, "2^64");
	UT_EQ_INT(lt_parse_uint("", 0, 10, &v), -EINVAL, "empty");
	UT_EQ_INT(lt_parse_uint("-1", 0, 10, &v), -EINVAL, "negative");
	UT_EQ_INT(lt_parse_uint("+1", 0, 10, &v), -EINVAL, "a plus sign");
	UT_EQ_INT(lt_parse_uint(" 1", 0, 10, &v), -EINVAL, "a leading space");
	UT_EQ_INT(lt_parse_uint(" -1", 0, 10, &v), -EINVAL,
		  "a space before a minus: malformed, not out of range");
	UT_EQ_INT(lt_parse_uint("1 ", 0, 10, &v), -EINVAL, "a trailing space");
	UT_EQ_INT(lt_parse_uint("0x5", 0, 10, &v), -EINVAL, "hex");
	UT_EQ_INT(lt_parse_uint("1.0", 0, 10, &v), -EINVAL, "a fraction");
	UT_EQ_INT(lt_parse_uint("1k", 0, 10000, &v), -EINVAL, "a unit");
	UT_EQ_INT(v, 99, "nothing refused is stored");
}

static void test_sources(void)
{
	unsigned int src = 0;
	bool is_auto = true;

	UT_EQ_INT(lt_parse_sources("libc,fd", &src, &is_auto), 0, "libc,fd");
	UT_CHECK(src == (LT_SRC_LIBC | LT_SRC_FD) && !is_auto, "libc,fd: %#x, auto %d", src,
		 is_auto);
	UT_EQ_INT(lt_parse_sources("auto,fd", &src, &is_auto), 0, "auto,fd");
	UT_CHECK(src == LT_SRC_FD && is_auto, "auto,fd: %#x, auto %d", src, is_auto);
	UT_EQ_INT(lt_parse_sources("auto", &src, &is_auto), 0, "auto");
	UT_CHECK(src == 0 && is_auto, "auto: %#x, auto %d", src, is_auto);
	UT_EQ_INT(lt_parse_sources("mmap,python,gl,mmap", &src, &is_auto), 0, "a name twice");
	UT_CHECK(src == (LT_SRC_MMAP | LT_SRC_PYTHON | LT_SRC_GL) && !is_auto, "%#x", src);
	UT_EQ_INT(lt_parse_sources("none", &src, &is_auto), 0, "none");
	UT_CHECK(src == 0 && !is_auto, "none: %#x, auto %d", src, is_auto);
	src = 0x55;
	UT_EQ_INT(lt_parse_sources("none,libc", &src, &is_auto), -EINVAL, "none beside a source");
	UT_EQ_INT(lt_parse_sources("auto,none", &src, &is_auto), -EINVAL, "none beside auto");
	UT_EQ_INT(lt_parse_sources("libc,heap", &src, &is_auto), -EINVAL, "an unknown name");
	UT_EQ_INT(lt_parse_sources("LIBC", &src, &is_auto), -EINVAL, "names are lower case");
	UT_EQ_INT(lt_parse_sources("", &src, &is_auto), -EINVAL, "nothing");
	UT_EQ_INT(lt_parse_sources(",", &src, &is_auto), -EINVAL, "only a comma");
	UT_EQ_INT(src, 0x55, "nothing refused is stored");
	UT_EQ_STR(lt_source_name(LT_SRC_PYTHON), "python", "a source's name");
	UT_EQ_STR(lt_source_name(LT_SRC_LIBC | LT_SRC_FD), "?", "two sources have no one name");
}

/* What the child sends back when lt_settings_parse() returned. */
struct parsed {
	struct lt_settings s; /* its command is NULL: it pointed into the child */
	char lib[PATH_MAX];   /* s.lib, which pointed into the child too */
	int command_at;	      /* s.command was argv + this; or -1 */
};

/* What lt_settings_parse() made of a command line, run in a child, since it
 * exits on bad usage. */
struct outcome {
	int status;	/* exit status; -1: it returned, and p is what it made */
	char err[1024]; /* its stderr, less the last newline, others as '|' */
	bool one_line;	/* which was one line, newline-terminated */
	struct parsed p;
};

#define RETURNED 100

static void parse_child(int err_fd, int out_fd, int argc, char **argv)
{
	static struct parsed out;
	int null = open("/dev/null", O_WRONLY);

	if (null < 0 || dup2(null, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(99);
	lt_settings_parse(&out.s, argc, argv);
	if (out.s.lib)
		snprintf(out.lib, sizeof(out.lib), "%s", out.s.lib);
	out.command_at = out.s.command ? (int)(out.s.command - argv) : -1;
	if (write(out_fd, &out, sizeof(out)) != (ssize_t)sizeof(out))
		_exit(98);
	_exit(RETURNED);
}

/* Parses "leaktrace" and the arguments up to NULL into @o. */
static void parse(struct outcome *o, ...)
{
	char *argv[16] = { "leaktrace" };
	int argc = 1, err_pipe[2], out_pipe[2], status;
	size_t got = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	o->status = 97;
	va_start(ap, o);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (pipe(err_pipe))
		return;
	if (pipe(out_pipe)) {
		close(err_pipe[0]);
		close(err_pipe[1]);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		close(err_pipe[0]);
		close(out_pipe[0]);
		parse_child(err_pipe[1], out_pipe[1], argc, argv);
	}
	close(err_pipe[1]);
	close(out_pipe[1]);
	while (pid > 0 && got < sizeof(o->err) - 1 &&
	       (n = read(err_pipe[0], o->err + got, sizeof(o->err) - 1 - got)) > 0)
		got += n;
	o->err[got] = 0;
	if (got && o->err[got - 1] == '\n')
		o->err[got - 1] = 0;
	o->one_line = got && !o->err[got - 1] && !strchr(o->err, '\n');
	for (char *nl = strchr(o->err, '\n'); nl; nl = strchr(nl, '\n'))
		*nl = '|';
	got = 0;
	while (pid > 0 && got < sizeof(o->p) &&
	       (n = read(out_pipe[0], (char *)&o->p + got, sizeof(o->p) - got)) > 0)
		got += n;
	close(err_pipe[0]);
	close(out_pipe[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return;
	o->p.s.command = NULL;
	if (!WIFEXITED(status))
		o->status = 128 + WTERMSIG(status);
	else if (WEXITSTATUS(status) == RETURNED && got == sizeof(o->p))
		o->status = -1;
	else
		o->status = WEXITSTATUS(status);
}

/* Checks that the line was accepted: it returned and said nothing. */
static bool accepted(const struct outcome *o, const char *what)
{
	UT_CHECK(o->status == -1 && !o->err[0], "%s: accepted (status %d, '%s')", what, o->status,
		 o->err);
	return o->status == -1;
}

/* Checks that the line was refused with status 2 and one line, @msg. */
static void refused(const struct outcome *o, const char *msg, const char *what)
{
	UT_CHECK(o->status == 2 && o->one_line, "%s: refused with status %d (want 2) and one line",
		 what, o->status);
	UT_EQ_STR(o->err, msg, what);
}

#define ARGS(...) __VA_ARGS__, (char *)NULL

static const struct {
	const char *args[8];
	const char *msg;
} refusals[] = {
	{ { "-p", "0" }, "invalid pid '0': expected a whole number from 1 to 2147483647" },
	{ { "-p", "2147483648" },
	  "invalid pid '2147483648': expected a whole number from 1 to 2147483647" },
	{ { "-p", "12abc" }, "invalid pid '12abc': expected a whole number from 1 to 2147483647" },
	{ { "-p", " 5" }, "invalid pid ' 5': expected a whole number from 1 to 2147483647" },
	{ { "-p", "1", "-i", "0.001" },
	  "invalid interval '0.001': expected seconds, at least 0.01 (decimals allowed)" },
	{ { "-p", "1", "-i", "5m" },
	  "invalid interval '5m': expected seconds, at least 0.01 (decimals allowed)" },
	{ { "-p", "1", "-d", "0" }, "invalid duration '0': expected a positive number of seconds" },
	{ { "-p", "1", "-d", "-5" },
	  "invalid duration '-5': expected a positive number of seconds" },
	{ { "-p", "1", "-n", "0" }, "invalid --top '0': expected a whole number from 1 to 100000" },
	{ { "-p", "1", "--top", "100001" },
	  "invalid --top '100001': expected a whole number from 1 to 100000" },
	{ { "-p", "1", "-w", "0" },
	  "invalid --window '0': expected a whole number from 1 to 100000" },
	{ { "-p", "1", "--sources", "heap" },
	  "invalid --sources 'heap': expected a comma list of auto, libc, mmap, python, gl, fd, "
	  "pages; or none, alone" },
	{ { "-p", "1", "--sources", "" },
	  "invalid --sources '': expected a comma list of auto, libc, mmap, python, gl, fd, pages; "
	  "or none, alone" },
	{ { "-p", "1", "--sources", "none,libc" },
	  "invalid --sources 'none,libc': expected a comma list of auto, libc, mmap, python, gl, "
	  "fd, pages; or none, alone" },
	{ { "-p", "1", "--sources", "none", "--no-census" },
	  "--sources none with --no-census traces nothing: drop one of them" },
	{ { "--system", "--sources", "none" },
	  "--sources none leaves only the census, which reads one CPython process: use -p PID "
	  "or -- COMMAND, or name a source" },
	{ { "-p", "1", "--pages", "--sources", "libc" },
	  "--pages replaces the libc, mmap and python sources: give --sources auto, gl or fd with "
	  "it, or drop --pages" },
	{ { "-p", "1", "--sources", "pages,mmap" },
	  "--pages replaces the libc, mmap and python sources: give --sources auto, gl or fd with "
	  "it, or drop --pages" },
	{ { "-p", "1", "--pages", "--sample", "8" },
	  "--sample sets how allocator calls are probed, and --pages probes none: drop --sample or "
	  "--pages" },
	{ { "-p", "1", "--lib", "/nonexistent/libx.so" },
	  "invalid --lib '/nonexistent/libx.so': No such file or directory" },
	{ { "-p", "1", "--stack-depth", "0" },
	  "invalid --stack-depth '0': expected a whole number from 1 to 127" },
	{ { "-p", "1", "--stack-depth", "128" },
	  "invalid --stack-depth '128': expected a whole number from 1 to 127" },
	{ { "-p", "1", "--fail-on-growth", "0" },
	  "invalid --fail-on-growth '0': expected a size such as 512K, 10M or 1G" },
	{ { "-p", "1", "--fail-on-growth", "10 " },
	  "invalid --fail-on-growth '10 ': expected a size such as 512K, 10M or 1G" },
	{ { "-p", "1", "--fail-on-growth", "1.5" },
	  "invalid --fail-on-growth '1.5': expected a size such as 512K, 10M or 1G" },
	{ { "-p", "1", "--max-allocs", "1023" },
	  "invalid --max-allocs '1023': expected a whole number from 1024 to 134217728" },
	{ { "-p", "1", "--max-allocs", "134217729" },
	  "invalid --max-allocs '134217729': expected a whole number from 1024 to 134217728" },
	{ { "-p", "1", "--max-stacks", "63" },
	  "invalid --max-stacks '63': expected a whole number from 64 to 16777216" },
	{ { "-p", "1", "--probe-at", "start" },
	  "invalid --probe-at 'start': expected auto or entry" },
	{ { "-p", "1", "--unwind", "dwarf" }, "invalid --unwind 'dwarf': expected tables or fp" },
	{ { "-p", "1", "--unwind-rows", "0" },
	  "invalid --unwind-rows '0': expected a whole number from 1 to 16777216" },
	{ { "-p", "1", "--unwind-rows", "16777217" },
	  "invalid --unwind-rows '16777217': expected a whole number from 1 to 16777216" },
	{ { "-p", "1", "--sample", "0" },
	  "invalid --sample '0': expected a whole number from 1 to 16777216" },
	{ { "-p", "1", "--sample", "16777217" },
	  "invalid --sample '16777217': expected a whole number from 1 to 16777216" },
	{ { "-p", "1", "--sample-bytes", "1025M" },
	  "invalid --sample-bytes '1025M': expected a size from 1 to 1G, such as 512K" },
	{ { "-p", "1", "--sample-bytes", "0" },
	  "invalid --sample-bytes '0': expected a size from 1 to 1G, such as 512K" },
	{ { "-p", "1", "--backrefs", "" },
	  "invalid --backrefs '': expected a type name, such as dict or Session" },
	{ { "-p", "1", "--debug-dir", "/nonexistent" },
	  "invalid --debug-dir '/nonexistent': No such file or directory" },
	{ { "-p", "1", "--backrefs-dot", "g.dot", "--no-census" },
	  "--backrefs needs the census: drop --no-census" },
	{ { "-p", "1", "--sample", "2", "--sample-bytes", "1K" },
	  "--sample and --sample-bytes exclude each other: give one" },
	{ { "-p", "1", "extra" },
	  "unexpected argument 'extra': to start a command, put it after --, as in: leaktrace -- "
	  "extra" },
	{ { "-p", "1", "--" },
	  "nothing after --: give the command to start, as in: leaktrace -- ./server" },
	{ { "-p", "1", "--system" }, "-p, -- COMMAND and --system exclude each other: give one" },
	{ { "-p", "1", "--exact" },
	  "--exact is for --system: -p and -- trace every allocation already (--pages traces pages "
	  "instead)" },
	{ { "--system", "--exact", "--pages" },
	  "--exact and --pages exclude each other: give one" },
	{ { "--system", "--exact", "--exact-top", "3" },
	  "--exact-top, --exact-for and --exact-min shape the exact tracing of --system's top "
	  "growers: give them without --exact (or a --sources list naming libc, mmap or python)" },
	{ { "-p", "1", "--exact-min", "1M" },
	  "--exact-top, --exact-for and --exact-min shape the exact tracing of a process whose "
	  "pages keep growing: give them with --pages (without it every allocation is traced)" },
	{ { "-p", "1", "--pages", "--floor", "--exact-for", "5" },
	  "--floor sets how allocator calls are probed, and --pages probes none: drop --floor or "
	  "--pages" },
	{ { "--system", "--exact-top", "65" },
	  "invalid --exact-top '65': expected a whole number from 0 to 64" },
	{ { "--system", "--exact-for", "0" },
	  "invalid --exact-for '0': expected a positive number of seconds" },
	{ { "-i", "1" }, "nothing to trace: give -p PID, -- COMMAND or --system (see --help)" },
#ifndef LT_HAVE_PPROF
	{ { "-p", "1", "--pprof", "p.pb.gz" },
	  "--pprof: this leaktrace was built without protobuf-c; rebuild it with "
	  "libprotobuf-c-dev and protobuf-c-compiler installed" },
#endif
};

static void test_refusals(void)
{
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const char *const *a = refusals[i].args;
		char msg[512], what[256];
		struct outcome o;

		snprintf(msg, sizeof(msg), "leaktrace: %s", refusals[i].msg);
		what[0] = 0;
		for (size_t j = 0; j < 6 && a[j]; j++)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s'%s'",
				 j ? " " : "", a[j]);
		parse(&o, a[0], a[1], a[2], a[3], a[4], a[5], (char *)NULL);
		refused(&o, msg, what);
	}
}

/* The options whose value is a file name take any, but not none: argp says
 * so, with status 2. */
static void test_missing_values(void)
{
	static const char *const opts[] = {
		"-o",	 "--output", "--folded",  "--pprof",	"--html", "--btf", "--backrefs-dot",
		"--lib", "-i",	     "--sources", "--backrefs",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct outcome o;

		parse(&o, ARGS("-p", "1", opts[i]));
		UT_CHECK(o.status == 2 && strstr(o.err, "requires an argument") &&
				 strstr(o.err, opts[i] + (opts[i][1] == '-' ? 2 : 1)),
			 "%s with no value: status %d, '%s'", opts[i], o.status, o.err);
	}
}

static void test_accepted(const char *dir)
{
	char path[PATH_MAX], link[PATH_MAX], want[PATH_MAX], name127[128], name128[129];
	struct outcome o;

	parse(&o, ARGS("-p", "1"));
	if (accepted(&o, "-p 1"))
		UT_CHECK(o.p.s.pid == 1 && o.p.s.interval == 5 && o.p.s.duration == 0 &&
				 o.p.s.top == 10 && o.p.s.window == 6 && o.p.s.stack_depth == 32 &&
				 o.p.s.max_stacks == 1u << 17 && o.p.s.sources_auto &&
				 o.p.s.sources ==
					 (LT_SRC_LIBC | LT_SRC_MMAP | LT_SRC_PYTHON | LT_SRC_GL) &&
				 !o.p.s.json && !o.p.s.output && !o.p.s.lib &&
				 !o.p.s.sample_every && !o.p.s.sample_bytes &&
				 !o.p.s.fail_on_growth && o.p.s.probe_at == LT_PROBE_AT_DEFAULT &&
				 !o.p.s.unwind_fp && o.p.s.census == LT_CENSUS_AUTO,
			 "the defaults");

	parse(&o, ARGS("-p", "2147483647", "-i", "0.01", "-d", "2.5", "-n", "100000", "-w", "1"));
	if (accepted(&o, "-p -i -d -n -w at their limits"))
		UT_CHECK(o.p.s.pid == 2147483647 && o.p.s.interval == 0.01 &&
				 o.p.s.duration == 2.5 && o.p.s.top == 100000 && o.p.s.window == 1,
			 "pid %d, interval %g, duration %g, top %u, window %u", o.p.s.pid,
			 o.p.s.interval, o.p.s.duration, o.p.s.top, o.p.s.window);

	parse(&o, ARGS("-p", "1", "-o", "out.jsonl", "--folded", "f.folded", "--btf", "/x.btf",
		       "--backrefs-dot", "g.dot"));
	if (accepted(&o, "file names"))
		UT_CHECK(o.p.s.output && !strcmp(o.p.s.output, "out.jsonl") && o.p.s.folded &&
				 !strcmp(o.p.s.folded, "f.folded") && o.p.s.btf &&
				 !strcmp(o.p.s.btf, "/x.btf") && o.p.s.backrefs_dot &&
				 !strcmp(o.p.s.backrefs_dot, "g.dot"),
			 "-o, --folded, --btf, --backrefs-dot kept");
#ifdef LT_HAVE_PPROF
	parse(&o, ARGS("-p", "1", "--pprof", "p.pb.gz"));
	if (accepted(&o, "--pprof"))
		UT_CHECK(o.p.s.pprof && !strcmp(o.p.s.pprof, "p.pb.gz"), "--pprof kept");
#endif

	parse(&o, ARGS("-p", "1", "--sources", "libc,fd"));
	if (accepted(&o, "--sources libc,fd"))
		UT_CHECK(o.p.s.sources == (LT_SRC_LIBC | LT_SRC_FD) && !o.p.s.sources_auto,
			 "libc and fd only: %#x", o.p.s.sources);
	parse(&o, ARGS("-p", "1", "--sources", "none"));
	if (accepted(&o, "--sources none"))
		UT_CHECK(o.p.s.sources == 0 && !o.p.s.sources_auto, "no source: %#x",
			 o.p.s.sources);
	parse(&o, ARGS("-p", "1", "--sources", "auto,fd"));
	if (accepted(&o, "--sources auto,fd"))
		UT_CHECK(o.p.s.sources == ALL_SOURCES && o.p.s.sources_auto,
			 "auto and fd: all of them, %#x", o.p.s.sources);
	parse(&o, ARGS("-p", "1", "--pages"));
	if (accepted(&o, "--pages"))
		UT_CHECK(o.p.s.pages &&
				 o.p.s.sources == (LT_SRC_PAGES | LT_SRC_PYTHON | LT_SRC_GL) &&
				 o.p.s.exact_top == 0,
			 "--pages: pages, Python frames, gl as auto picks it, no exact phase: %#x",
			 o.p.s.sources);
	parse(&o, ARGS("-p", "1", "--pages", "--sources", "fd"));
	if (accepted(&o, "--pages --sources fd"))
		UT_CHECK(o.p.s.pages && o.p.s.sources == (LT_SRC_PAGES | LT_SRC_FD),
			 "--pages --sources fd: pages and fd, %#x", o.p.s.sources);
	parse(&o, ARGS("-p", "1", "--pages", "--exact-for", "5", "--sample", "4"));
	if (accepted(&o, "--pages --exact-for 5 --sample 4"))
		UT_CHECK(o.p.s.exact_top == 1 && o.p.s.exact_for == 5 && o.p.s.sample_every == 4 &&
				 (o.p.s.sources & LT_SRC_LIBC),
			 "-p --pages --exact-for: the process exactly for 5 s at a time, sampled, "
			 "its allocator loaded: top %u, %#x",
			 o.p.s.exact_top, o.p.s.sources);
	parse(&o, ARGS("-p", "1", "--pages", "--exact-top", "3"));
	if (accepted(&o, "--pages --exact-top 3"))
		UT_CHECK(o.p.s.exact_top == 1, "-p: one process, exact_top %u", o.p.s.exact_top);
	parse(&o, ARGS("-p", "1", "--pages", "--exact-top", "0", "--exact-min", "4M"));
	if (accepted(&o, "--pages --exact-top 0"))
		UT_CHECK(o.p.s.exact_top == 0 && !(o.p.s.sources & LT_SRC_LIBC),
			 "--exact-top 0: pages alone: top %u, %#x", o.p.s.exact_top, o.p.s.sources);
	parse(&o, ARGS("-p", "1", "--sources", "pages"));
	if (accepted(&o, "--sources pages"))
		UT_CHECK(o.p.s.pages && o.p.s.sources == LT_SRC_PAGES,
			 "--sources pages is --pages: %#x", o.p.s.sources);
	parse(&o, ARGS("--system", "--exact", "--sources", "auto,fd"));
	if (accepted(&o, "--system --exact --sources auto,fd"))
		UT_CHECK(o.p.s.system && !o.p.s.pages && o.p.s.sources == ALL_SOURCES,
			 "--system --exact keeps every source, gl included: %#x", o.p.s.sources);
	parse(&o, ARGS("--system", "--sources", "auto,fd"));
	if (accepted(&o, "--system --sources auto,fd"))
		UT_CHECK(o.p.s.system && o.p.s.pages && !o.p.s.exact &&
				 o.p.s.sources == (LT_SRC_PAGES | LT_SRC_LIBC | LT_SRC_PYTHON |
						   LT_SRC_GL | LT_SRC_FD),
			 "--system: pages, libc for its growers, the rest as auto: %#x",
			 o.p.s.sources);
	parse(&o, ARGS("--system"));
	if (accepted(&o, "--system"))
		UT_CHECK(o.p.s.pages && o.p.s.exact_top == 2 && o.p.s.exact_for == 0 &&
				 o.p.s.exact_min == 1u << 20,
			 "--system: pages, 2 growers exactly for the window once they grow 1M: "
			 "top %u for %g min %llu",
			 o.p.s.exact_top, o.p.s.exact_for, (unsigned long long)o.p.s.exact_min);
	parse(&o, ARGS("--system", "--exact-top", "0", "--exact-for", "30", "--exact-min", "8M"));
	if (accepted(&o, "--system --exact-top 0"))
		UT_CHECK(o.p.s.pages && !(o.p.s.sources & LT_SRC_LIBC) && o.p.s.exact_for == 30 &&
				 o.p.s.exact_min == 8u << 20,
			 "--exact-top 0: pages alone, no allocator loaded: %#x", o.p.s.sources);
	parse(&o, ARGS("--system", "--sources", "libc"));
	if (accepted(&o, "--system --sources libc"))
		UT_CHECK(o.p.s.exact && !o.p.s.pages && o.p.s.sources == LT_SRC_LIBC,
			 "--system naming libc traces it everywhere: %#x", o.p.s.sources);
	parse(&o, ARGS("--system", "--sample", "10"));
	if (accepted(&o, "--system --sample 10"))
		UT_CHECK(o.p.s.pages && o.p.s.sample_every == 10,
			 "--system --sample: the growers' exact tracing is sampled");

	snprintf(path, sizeof(path), "%s/libfake.so.1", dir);
	snprintf(link, sizeof(link), "%s/libfake.so", dir);
	if (realpath(path, want)) {
		parse(&o, ARGS("-p", "1", "--lib", link));
		if (accepted(&o, "--lib through a symbolic link"))
			UT_EQ_STR(o.p.lib, want, "--lib is the file the link names");
	} else {
		UT_CHECK(0, "realpath %s", path);
	}

	parse(&o, ARGS("-p", "1", "--stack-depth", "127", "--fail-on-growth", "10M", "--max-allocs",
		       "1024", "--max-stacks", "16777216"));
	if (accepted(&o, "--stack-depth, --fail-on-growth, --max-allocs, --max-stacks"))
		UT_CHECK(o.p.s.stack_depth == 127 && o.p.s.fail_on_growth == 10ull << 20 &&
				 o.p.s.max_allocs == 1024 && o.p.s.max_stacks == 1u << 24,
			 "depth %u, growth %llu, allocs %u, stacks %u", o.p.s.stack_depth,
			 (unsigned long long)o.p.s.fail_on_growth, o.p.s.max_allocs,
			 o.p.s.max_stacks);

	parse(&o, ARGS("-p", "1", "--probe-at", "entry", "--unwind", "fp", "--unwind-rows",
		       "16777216"));
	if (accepted(&o, "--probe-at entry --unwind fp --unwind-rows"))
		UT_CHECK(o.p.s.probe_at == LT_PROBE_AT_ENTRY && o.p.s.unwind_fp &&
				 o.p.s.unwind_rows == 1u << 24,
			 "entry, fp, 16M rows");
	parse(&o, ARGS("-p", "1", "--probe-at", "auto", "--unwind", "tables"));
	if (accepted(&o, "--probe-at auto --unwind tables"))
		UT_CHECK(o.p.s.probe_at == LT_PROBE_AT_AUTO && !o.p.s.unwind_fp, "auto, tables");

	parse(&o, ARGS("-p", "1", "--sample", "16777216"));
	if (accepted(&o, "--sample at its limit"))
		UT_EQ_INT(o.p.s.sample_every, LT_SAMPLE_EVERY_MAX, "--sample");
	parse(&o, ARGS("-p", "1", "--sample-bytes", "1G"));
	if (accepted(&o, "--sample-bytes at its limit"))
		UT_EQ_INT(o.p.s.sample_bytes, LT_SAMPLE_BYTES_MAX, "--sample-bytes");

	memset(name127, 'T', sizeof(name127) - 1);
	name127[sizeof(name127) - 1] = 0;
	memset(name128, 'T', sizeof(name128) - 1);
	name128[sizeof(name128) - 1] = 0;
	parse(&o, ARGS("-p", "1", "--backrefs", name127));
	if (accepted(&o, "--backrefs of 127 characters"))
		UT_CHECK(o.p.s.backrefs && !strcmp(o.p.s.backrefs, name127), "--backrefs kept");
	parse(&o, ARGS("-p", "1", "--backrefs", name128));
	{
		char msg[512];

		snprintf(
			msg, sizeof(msg),
			"leaktrace: invalid --backrefs '%s': expected a type name, such as dict or "
			"Session",
			name128);
		refused(&o, msg, "--backrefs of 128 characters");
	}

	parse(&o, ARGS("-p", "1", "--debug-dir", dir));
	if (accepted(&o, "--debug-dir, a directory"))
		UT_CHECK(o.p.s.debug_dir && !strcmp(o.p.s.debug_dir, dir), "--debug-dir kept");
	parse(&o, ARGS("-p", "1", "--debug-dir", path));
	{
		char msg[PATH_MAX + 64];

		snprintf(msg, sizeof(msg), "leaktrace: invalid --debug-dir '%s': not a directory",
			 path);
		refused(&o, msg, "--debug-dir, a file");
	}

	parse(&o, ARGS("-v", "-v", "--", "./server", "-p", "80"));
	if (accepted(&o, "-- COMMAND"))
		UT_CHECK(o.p.command_at == 4 && !o.p.s.pid && o.p.s.verbose == 2,
			 "the command starts after --, its -p is its own: argv + %d",
			 o.p.command_at);
}

/* A directory with a file and a symbolic link to it, for --lib and
 * --debug-dir; returns its name, or NULL. */
static char *make_dir(char *dir)
{
	char path[PATH_MAX];
	int fd;

	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, sizeof(path), "%s/libfake.so.1", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		return NULL;
	close(fd);
	snprintf(path, sizeof(path), "%s/libfake.so", dir);
	if (symlink("libfake.so.1", path))
		return NULL;
	return dir;
}

static void remove_dir(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/libfake.so", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/libfake.so.1", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const unsigned long long mib = 1ull << 20;
	char dir[] = "/tmp/lt_test_options.XXXXXX";

	test_values();
	test_sizes();
	test_seconds();
	test_uints();
	test_sources();
	test_refusals();
	test_missing_values();
	if (make_dir(dir))
		test_accepted(dir);
	else
		UT_CHECK(0, "a directory in /tmp for --lib and --debug-dir");
	remove_dir(dir);
	UT_EQ_INT(lt_default_max_allocs(256 * mib), 1 << 18, "256 MiB board: 256K");
	UT_EQ_INT(lt_default_max_allocs(128 * mib), 1 << 17, "128 MiB board: 128K");
	UT_EQ_INT(lt_default_max_allocs(32 * mib), 1 << 16, "never under 64K");
	UT_EQ_INT(lt_default_max_allocs(1024 * mib), 1 << 20, "1 GiB: the full 1M");
	UT_EQ_INT(lt_default_max_allocs(64 * 1024 * mib), 1 << 20, "never over 1M");
	UT_EQ_INT(lt_default_max_allocs(0), 1 << 16, "unknown memory: 64K");
	UT_EQ_INT(lt_default_unwind_rows(256 * mib), 1 << 19, "256 MiB board: 512K rows, 4 MiB");
	UT_EQ_INT(lt_default_unwind_rows(1024 * mib), 1 << 21, "1 GiB: 2M rows, 16 MiB");
	UT_EQ_INT(lt_default_unwind_rows(64 * 1024 * mib), 1 << 21, "never over 2M");
	UT_EQ_INT(lt_default_unwind_rows(0), 1 << 18, "unknown memory: 256K");
	UT_CHECK(lt_ram_bytes() > 64 * mib, "this machine's memory is read: %llu bytes",
		 lt_ram_bytes());
	return ut_done();
}
