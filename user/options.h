/* SPDX-License-Identifier: GPL-2.0-only */
/* The command line: one settings struct with its defaults, one parse function,
 * and the value parsers it uses (public for the unit tests). */
#ifndef LT_OPTIONS_H
#define LT_OPTIONS_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "srcdesc.h"

#define LT_VERSION "0.1.0"

enum lt_probe_at {
	LT_PROBE_AT_DEFAULT, /* auto, or entry under --floor */
	LT_PROBE_AT_AUTO,    /* where the kernel emulates the instruction */
	LT_PROBE_AT_ENTRY,   /* always the function's first byte */
};

enum lt_census {
	LT_CENSUS_AUTO, /* when the target runs CPython */
	LT_CENSUS_ON,	/* --census: say so if it cannot */
	LT_CENSUS_OFF,	/* --no-census */
};

struct lt_settings {
	pid_t pid;	/* -p; 0 if not given */
	char **command; /* after --; NULL if not given */
	bool system;
	bool pages; /* --pages: the pages source instead of libc, mmap and python's probes */
	/* --system: every process exactly (--exact); else pages, and up to
	 * exact_top growers (0: none) traced exactly for exact_for seconds (0:
	 * the window) once their pages grew by exact_min over the window.
	 * -p and -- under --pages: the same for the one process, if one of
	 * the --exact-* options asks for it (exact_top 0 or 1). */
	bool exact;
	bool exact_given;     /* one of --exact-top, --exact-for, --exact-min */
	bool exact_top_given; /* --exact-top */
	unsigned int exact_top;
	double exact_for;
	__u64 exact_min;
	double interval; /* seconds */
	double duration; /* seconds; 0 = until the target exits or a signal */
	unsigned int top;
	unsigned int window;
	unsigned int sources; /* enum lt_source bits */
	bool sources_auto;    /* no --sources: decide from the target */
	bool sources_given;   /* --sources was given */
	bool json;
	const char *output;
	const char *folded; /* --folded FILE */
	const char *pprof;  /* --pprof FILE */
	const char *html;   /* --html FILE */
	const char *lib;
	unsigned int stack_depth;
	__u64 fail_on_growth; /* bytes; 0 = off */
	int verbose;
	const char *btf; /* kernel BTF file; NULL = the kernel's own */
	const char *debug_dir;
	unsigned int max_allocs;
	unsigned int max_stacks;
	enum lt_probe_at probe_at;
	bool floor;		   /* attach the probes with empty programs */
	bool no_uprobe_multi;	   /* attach probe by probe even where uprobe_multi exists */
	unsigned int sample_every; /* --sample: record one heap call in N; 0 or 1 = all */
	__u64 sample_bytes;	   /* --sample-bytes: one per SIZE bytes; 0 = off */
	bool check;		   /* --check: report what the machine offers, trace nothing */
	bool unwind_fp;		   /* --unwind fp: frame pointers only, no unwind tables */
	unsigned int unwind_rows;
	enum lt_census census;
	const char *backrefs;	  /* --backrefs TYPE; NULL: the top growing type */
	const char *backrefs_dot; /* --backrefs-dot FILE */
};

/* `leaktrace report [OPTIONS] FILE.jsonl...` */
struct lt_report_settings {
	char **files; /* one recording, or two to compare */
	size_t nr_files;
	unsigned int top, window; /* 0: the recording's own */
	bool json;
	int verbose;
	double at, from, to; /* seconds since tracing began; INFINITY: the end */
	bool has_at, has_from, has_to;
	const char *folded; /* --folded FILE */
	const char *pprof;  /* --pprof FILE */
	const char *html;   /* --html FILE */
};

/* Bounds of the sampling options: the BPF side's draw multiplies a 32-bit
 * random number by them, in 64 bits. */
#define LT_SAMPLE_EVERY_MAX (1u << 24)
#define LT_SAMPLE_BYTES_MAX (1ULL << 30)
/* --exact-top at most */
#define LT_EXACT_TOP_MAX 64

/* Parses the command line into @s. Exits with status 2 and one line on stderr
 * on bad usage, with 0 after --help or --version. */
void lt_settings_parse(struct lt_settings *s, int argc, char **argv);

/* Parses the command line of `leaktrace report` (@argv[0] is "report") into
 * @s, as lt_settings_parse() does. */
void lt_report_settings_parse(struct lt_report_settings *s, int argc, char **argv);

/* Value parsers: return 0, or -EINVAL (malformed) / -ERANGE (out of range). */
int lt_parse_seconds(const char *str, double *out); /* "5", "0.5"; > 0 */
int lt_parse_size(const char *str, __u64 *out);	    /* "10M", "512k", "1.5GiB", "100" */
int lt_parse_uint(const char *str, unsigned long min, unsigned long max, unsigned long *out);
int lt_parse_sources(const char *str, unsigned int *sources, bool *sources_auto);

/* The --sources name of one source bit. */
const char *lt_source_name(unsigned int source);

/* The default of --max-allocs for a machine with @ram bytes of memory: 1M
 * outstanding allocations, fewer where their maps would take more than an
 * eighth of the memory (a 256 MiB board: 256K); never under 64K. */
unsigned long lt_default_max_allocs(unsigned long long ram);
/* The default of --unwind-rows: 2M rows (16 MiB, room for a GL driver with
 * LLVM besides libc and the program), fewer where that is more than a 64th
 * of the memory (512K on a 256 MiB board); never under 256K. */
unsigned long lt_default_unwind_rows(unsigned long long ram);
unsigned long long lt_ram_bytes(void); /* physical memory, 0 if unknown */

#endif
