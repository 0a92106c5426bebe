/* SPDX-License-Identifier: GPL-2.0-only */
/* The tracer's insides, shared by attach.c (the skeleton, its links and
 * memory), attach_probes.c (allocators, tracepoints, the launched command's
 * stops) and attach_gl.c (EGL, GLX and GL drivers): not for the rest of
 * leaktrace, which has attach.h. */
#ifndef LT_ATTACH_INT_H
#define LT_ATTACH_INT_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>
#include "leaktrace.h"
#include "attach.h"
#include "elfsym.h"
#include "probepoint.h"

#define MAX_SITES 64 /* probes one file gets at most */

/* One function to probe: its probes and their cookie. */
struct probe_func {
	const char *name;
	unsigned int nr_args; /* in registers, to be left intact where the probe sits */
	bool ret;	      /* also gets the return probe */
	bool required;
	__u64 cookie;
	bool keep_sp; /* the stack pointer must be the entry's where the probe sits */
};

/* The programs one kind of probe runs. */
struct progs {
	struct bpf_program *entry, *ret;
};

/* Links attached together, detached together. */
struct linkset {
	struct bpf_link **links;
	size_t nr_links, cap_links;
	int *link_fds; /* uprobe_multi links, which libbpf 1.1 cannot hold */
	size_t nr_link_fds, cap_link_fds;
};

/* --system: the allocator probes of one process traced exactly for a while. */
struct exact_group {
	pid_t tgid;
	struct linkset set;
};

struct tracer {
	const struct lt_settings *settings;
	struct leaktrace_bpf *skel;
	struct linkset links; /* kept until the end */
	struct linkset *into; /* where keep_link() puts a link: links, or a group's */
	struct exact_group *groups;
	size_t nr_groups, cap_groups;
	bool multi; /* the kernel has uprobe_multi links (Linux 6.6) */
	struct bpf_link *entry_stop;
	int entry_stop_fd; /* or its uprobe_multi link; -1: none */
	/* the registry of mapped files: what is probed (or was looked at) in
	 * each, by fstat's identity, in its flags; the GL implementations
	 * probed by address, in FILE_SLOT_GLSITES */
	struct files *files;
	size_t nr_heap_files; /* allocator files probed */
	bool gl_formats;      /* the glformats map is filled */
	struct report_probe *probes;
	size_t nr_probes, cap_probes;
	char **strings; /* module paths the probes point at */
	size_t nr_strings, cap_strings;
	unsigned int failures;
	bool tracepoints, exec_tp, exit_tp;
	bool fd_tracepoints;
	bool pages_attached;  /* the page-fault events and the pages source's tracepoints */
	bool pages_own_seq;   /* ... and its count of changes to the mappings (pre-6.4) */
	unsigned int sources; /* what is loaded: the settings' less what the kernel refused */
	char off_why[512];    /* the sources off, and why */
	char *vlogs;	      /* the verifier's log of each program, VLOG_SIZE each */
	bool open_failed;
	struct calib *calib; /* the calibration's probes, being detached */
};

/* One probe site: a function, where its probe goes. */
struct heap_site {
	const struct probe_func *hf;
	struct probe_site site;
	__u64 off; /* file offset of the probed instruction */
};

struct progs heap_progs(struct tracer *t);
struct progs gl_progs(struct tracer *t);
int link_uprobe_multi(int prog_fd, const char *path, const __u64 *offsets, const __u64 *cookies,
		      __u32 cnt, bool ret, pid_t pid);
int keep_link_fd(struct tracer *t, int fd);
int keep_link(struct tracer *t, struct bpf_link *link);
/* Detaches every link of @set, at once, and empties it. */
void linkset_destroy(struct linkset *set);
int add_probe(struct tracer *t, const struct report_probe *p);
void choose_site(struct tracer *t, struct elf_file *elf, const struct probe_func *pf, __u64 offset,
		 __u64 size, struct probe_site *site);
int attach_sites(struct tracer *t, pid_t tgid, const char *path, const char *shown,
		 const struct heap_site *hs, size_t nr, struct progs progs);
int attach_allocator(struct tracer *t, pid_t tgid, const char *path, const char *shown,
		     struct elf_file *elf, const struct probe_func *funcs, size_t nr_funcs,
		     struct progs progs);
/* The registry's entry of the file the tracer opens at @path, which a
 * process names @shown; NULL with errno set (stat's, or ENOMEM). */
struct mapped_file *tracer_file(struct tracer *t, const char *path, const char *shown);

#endif
