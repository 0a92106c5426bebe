// SPDX-License-Identifier: GPL-2.0-only
/* The kernel side of leaktrace: the maps every source shares, then the probes
 * of each source, one included file each. It records; user space analyses.
 * Map sizes are set from user space before load. Hash maps are not
 * preallocated: the kernel holds their buckets and the entries in use, not
 * max_entries of them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leaktrace.h"

char LICENSE[] SEC("license") = "GPL";

/* Settings, written through the skeleton before load. */
const volatile __u32 stack_depth = LT_DEFAULT_STACK_DEPTH;
/* --system: every process is traced but leaktrace itself (self_tgid); the
 * uprobes, attached for every process, must then skip it too. */
const volatile __u32 trace_all;
const volatile __u32 self_tgid;
/* Heap sampling: record one call in sample_every, or each call with
 * probability size/sample_bytes; both 0: every call (see heap_sampled()). */
const volatile __u32 sample_every = 0;
const volatile __u64 sample_bytes = 0;
/* The pages source is loaded: exec drops a process's charged pages. */
const volatile __u32 pages_on;

/* Drop and diagnostic counters, one set per CPU (user space sums them): every
 * stack bumps some, and an atomic add on one shared line from every CPU at
 * once was a cost of its own under --system. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_CNT__NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Processes being traced (tgid -> 1), for the probes that see every process:
 * syscall and scheduler tracepoints. Uprobes are filtered by the kernel.
 * Unused with trace_all. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} targets SEC(".maps");

/* Outstanding resources: where it lives -> size and stack. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20);
	__type(key, struct lt_alloc_key);
	__type(value, struct lt_alloc);
} allocs SEC(".maps");

/* Per-stack totals, so user space reads aggregates rather than events. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 16);
	__type(key, struct lt_stat_key);
	__type(value, struct lt_stat);
} stats SEC(".maps");

/* Stack id -> return addresses, innermost first, zero-terminated when shorter
 * than the value. The value size is stack_depth frames, set before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 15);
	/* Sizes without BTF types: the value is resized before load. */
	__uint(key_size, sizeof(__u64));
	__uint(value_size, LT_DEFAULT_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/* Events for what user space tracks itself: mappings, new code, exec. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

#include "thread.bpf.h"
#include "python.bpf.h"
#include "uret.bpf.h"
#include "unwind.bpf.h"
#include "record.bpf.h"
#include "heap.bpf.h"
#include "sysframe.bpf.h"
#include "mmap.bpf.h"
#include "pages.bpf.h"
#include "fd.bpf.h"
#include "launch.bpf.h"
#include "gl.bpf.h"
