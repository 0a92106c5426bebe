/* SPDX-License-Identifier: GPL-2.0-only */
/* What exact tracing costs the traced processes: the probes the BPF side
 * counts, times what a trap costs on this host (measured at start, see
 * tracer__calibrate()), against the CPU time the processes spend. The
 * arithmetic, the words for it, and the reads of /proc it needs. */
#ifndef LT_COST_H
#define LT_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

/* What a probe costs the probed thread on this host, in nanoseconds. */
struct trap_cost {
	double entry_ns;  /* a call through an entry probe (one trap); 0: unknown */
	double return_ns; /* what a return probe adds to such a call */
};

/* The counts at one moment. */
struct cost_point {
	double t;	/* seconds, from any fixed origin */
	__u64 calls;	/* entry probes run in the traced processes */
	__u64 returns;	/* return probes run there */
	__u64 cpu_ns;	/* CPU time (user and system) the processes have spent */
	bool cpu_known; /* cpu_ns could be read */
};

/* What the probes cost between two moments. */
struct probe_cost {
	double calls_per_s; /* entry probes a second */
	bool trap_known;    /* the trap's cost was measured: the two below are set */
	double cpu;	    /* time in probes a second: the CPUs it takes (1.0: one) */
	double ns_per_call; /* time in probes per call, returns included; 0: no call */
	bool share_known;   /* the processes' CPU time is known: share is set */
	double share;	    /* time in probes over the processes' CPU time */
};

/* The cost between @a and @b (later). A process's CPU time that did not
 * advance makes the share unknown, unless no probe ran (then it is 0). */
void cost__between(const struct trap_cost *trap, const struct cost_point *a,
		   const struct cost_point *b, struct probe_cost *out);

/* "182K calls/s ~0.87 CPU (61% of its CPU time; 4.8 us a call)", for the
 * table's header and stderr; @all: the share is of the whole machine's CPU
 * time (--system), not the process's. Returns @buf. */
const char *cost__describe(char *buf, size_t len, const struct probe_cost *c, bool all);

/* The same as a sentence about one process, for stderr: "exact tracing
 * costs it ~0.87 CPU, 61% of its CPU time: 182K calls/s at 4.8 us a call".
 * Returns @buf. */
const char *cost__say(char *buf, size_t len, const struct probe_cost *c);

/* The user and system time in the text of /proc/PID/stat (@len bytes), in
 * clock ticks. The name field may hold anything, parentheses, spaces and
 * newlines included: the fields are read after its last ')'. Returns 0 or
 * -EINVAL. */
int cost__parse_pid_stat(const char *buf, size_t len, __u64 *ticks);

/* The time every CPU spent busy (user, nice, system, irq, softirq: not idle,
 * iowait or steal) in the text of /proc/stat, in clock ticks. Returns 0 or
 * -EINVAL. */
int cost__parse_stat(const char *buf, size_t len, __u64 *ticks);

/* The CPU time of process @pid so far, in ns; @pid 0: of every process but
 * this one (the machine's busy time less leaktrace's own). Returns 0 or a
 * negative errno (-ESRCH: no such process). */
int cost__cpu_ns(pid_t pid, __u64 *ns);

#endif
