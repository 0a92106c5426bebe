// SPDX-License-Identifier: GPL-2.0-only
/* Least privilege once setup is done. leaktrace runs as root and then parses
 * what its targets control (their maps, ELF and DWARF files, memory): from
 * that point it keeps only the capabilities its later work needs, and a
 * seccomp filter makes the calls it never needs again fail with EPERM, so
 * that a bug in a parser cannot be turned into writing files, running
 * programs or changing other processes. Failing calls rather than killing:
 * a call missed here makes one feature fail, not the run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "caps.h"
#include "log.h"
#include "sandbox.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define CAP_BIT(cap) (1ULL << (cap))

/* The highest capability the kernel knows: the bounding set reads until
 * there, and says EINVAL past it. */
static int last_cap(void)
{
	int cap = 0;

	while (cap < 63 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0)
		cap++;
	return cap;
}

/* Whether bpf() wants CAP_BPF for the maps and links leaktrace already has
 * a descriptor of (@make_maps: and for making maps): before Linux 6.5 every
 * command does, when kernel.unprivileged_bpf_disabled is set; since, only
 * loading programs and making maps. Asked with CAP_BPF, CAP_PERFMON and
 * CAP_SYS_ADMIN out of the effective set for a moment: a map lookup on no
 * descriptor fails with EBADF where that check is gone, and EPERM where it
 * is not; making a one-entry array fails with EPERM where it is wanted. */
static bool bpf_wants_cap(bool make_maps)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {}, probe[2];
	union bpf_attr attr = { .map_fd = -1 };
	__u64 bpf = CAP_BIT(CAP_BPF) | CAP_BIT(CAP_PERFMON) | CAP_BIT(CAP_SYS_ADMIN);
	bool wants;

	if (syscall(SYS_capget, &hdr, data))
		return true;
	memcpy(probe, data, sizeof(probe));
	probe[0].effective &= ~(__u32)bpf;
	probe[1].effective &= ~(__u32)(bpf >> 32);
	if (syscall(SYS_capset, &hdr, probe))
		return true;
	wants = syscall(SYS_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr)) < 0 && errno == EPERM;
	if (!wants && make_maps) {
		union bpf_attr mk = { .map_type = BPF_MAP_TYPE_ARRAY,
				      .key_size = 4,
				      .value_size = 4,
				      .max_entries = 1 };
		int fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &mk, sizeof(mk));

		wants = fd < 0 && errno == EPERM;
		if (fd >= 0)
			close(fd);
	}
	syscall(SYS_capset, &hdr, data);
	return wants;
}

/* What leaktrace needs after setup, and why (README.md, "Privileges"):
 * - CAP_SYS_PTRACE: /proc/PID/maps, /proc/PID/mem, /proc/PID/root,
 *   process_vm_readv() and probes of other users' processes;
 * - CAP_DAC_READ_SEARCH: reading the files they map, whoever owns them;
 * - CAP_CHECKPOINT_RESTORE: /proc/PID/map_files, for deleted or replaced
 *   files (it replaced CAP_SYS_ADMIN there in Linux 5.9);
 * - CAP_KILL: only with a launched command, to end it even after it changed
 *   user (the filter lets signals reach no other process);
 * - CAP_BPF: only where bpf() wants it to read and write the maps (before
 *   Linux 6.5, see bpf_wants_cap()), or to make the unwind tables' maps as
 *   the tables grow (with kernel.unprivileged_bpf_disabled);
 * - CAP_SYS_ADMIN: only where later probes are perf-event uprobes (a kernel
 *   without uprobe_multi links, or --no-uprobe-multi): since the fix of
 *   CVE-2025-38466 they want it, and CAP_PERFMON is not enough. Probes come
 *   later with --system (a process maps a new allocator), -p (the GL driver
 *   is loaded) and -- (each exec of the command). A uprobe_multi link wants
 *   neither, nor CAP_PERFMON, which is never kept.
 * CAP_BPF (5.8) and CAP_CHECKPOINT_RESTORE (5.9) are older than the 5.17
 * that leaktrace needs. */
static __u64 needed_caps(const struct sandbox_needs *needs)
{
	__u64 keep = CAP_BIT(CAP_SYS_PTRACE) | CAP_BIT(CAP_DAC_READ_SEARCH) |
		     CAP_BIT(CAP_CHECKPOINT_RESTORE);

	if (bpf_wants_cap(needs->make_maps))
		keep |= CAP_BIT(CAP_BPF);
	if (needs->perf_uprobes)
		keep |= CAP_BIT(CAP_SYS_ADMIN);
	if (needs->child > 0)
		keep |= CAP_BIT(CAP_KILL);
	return keep;
}

/* Drops the capabilities of the calling thread but @keep, from all its
 * sets: the bounding set first, while CAP_SETPCAP is still effective. A
 * process started with only some capabilities (CAP_BPF and CAP_PERFMON)
 * has no CAP_SETPCAP: its bounding set stays, and matters less, as it
 * cannot exec to use it. Runs in a signal handler too: system calls only.
 * Returns 0 or the first negative errno, @what saying where. */
static int drop_thread_caps(__u64 keep, int last, const char **what)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 permitted;
	int err = 0;

	for (int cap = 0; cap <= last; cap++) {
		if (keep & CAP_BIT(cap) || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) <= 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && !err) {
			err = -errno;
			*what = "the bounding set";
		}
	}
	/* Linux 4.3: EINVAL before, where there is no ambient set */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL && !err) {
		err = -errno;
		*what = "the ambient set";
	}
	if (syscall(SYS_capget, &hdr, data))
		goto fail;
	permitted = (data[0].permitted | (__u64)data[1].permitted << 32) & keep;
	for (int i = 0; i < 2; i++) {
		data[i].permitted = data[i].effective = (__u32)(permitted >> (32 * i));
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data))
		goto fail;
	return err;
fail:
	*what = "the permitted set";
	return -errno;
}

/* What the other threads are told to keep, and how they answer. */
static struct {
	__u64 keep;
	int last;
	int err;
	sem_t done;
} others;

static void drop_in_handler(int sig)
{
	const char *what;
	int saved = errno, err = drop_thread_caps(others.keep, others.last, &what);

	if (err)
		__atomic_store_n(&others.err, err, __ATOMIC_RELAXED);
	sem_post(&others.done);
	errno = saved;
}

/* Capabilities belong to each thread, and a thread started before this call
 * (the unwinder's, once a launched command exec'd) keeps its own: each other
 * thread drops them in a signal handler, as libcap's psx library does.
 * Returns how many threads did not, or a negative errno. */
static int drop_in_other_threads(__u64 keep, int last)
{
	struct sigaction sa = { .sa_handler = drop_in_handler, .sa_flags = SA_RESTART }, old;
	struct timespec deadline;
	pid_t self = gettid();
	int sent = 0, err;
	struct dirent *e;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	others.keep = keep;
	others.last = last;
	others.err = 0;
	sem_init(&others.done, /*pshared=*/0, 0);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, &old)) {
		err = -errno;
		closedir(d);
		return err;
	}
	while ((e = readdir(d))) {
		pid_t tid = atoi(e->d_name);

		if (tid > 0 && tid != self && !syscall(SYS_tgkill, getpid(), tid, SIGRTMIN))
			sent++;
	}
	closedir(d);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 2;
	while (sent > 0) {
		if (!sem_timedwait(&others.done, &deadline))
			sent--;
		else if (errno != EINTR)
			break;
	}
	/* a thread that has not answered may still: its handler stays */
	if (!sent)
		sigaction(SIGRTMIN, &old, NULL);
	if (others.err)
		lt_debug("a thread could not drop its capabilities: %s", strerror(-others.err));
	return sent + !!others.err;
}

static int drop_caps(const struct sandbox_needs *needs)
{
	int last = last_cap(), err, unanswered;
	__u64 keep = needed_caps(needs);
	const char *what = "";

	/* no exec may gain anything back (setuid, file capabilities); the
	 * threads get it from the seccomp filter (TSYNC) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	err = drop_thread_caps(keep, last, &what);
	if (err)
		lt_info("cannot drop capabilities from %s: %s", what, strerror(-err));
	unanswered = drop_in_other_threads(keep, last);
	if (unanswered < 0)
		lt_info("cannot tell the other threads to drop their capabilities: %s",
			strerror(-unanswered));
	else if (unanswered)
		lt_info("capabilities dropped in the main thread, not in %d other threads",
			unanswered);
	lt_debug("capabilities kept: %#llx", (unsigned long long)keep);
	return err;
}

static const char *const denied_calls[] = {
	/* running anything */
	"execve",
	"execveat",
	/* changing other processes (reading them stays) */
	"process_vm_writev",
	"pidfd_getfd",
	"process_madvise",
	"pidfd_send_signal",
#ifndef __SANITIZE_ADDRESS__
	/* LeakSanitizer stops the threads with ptrace() to look for leaks at
	 * exit: the ASan build (tests) keeps it */
	"ptrace",
#endif
	/* writing files, or opening them past the path checks */
	"creat",
	"open_by_handle_at",
	"name_to_handle_at",
	"truncate",
	"rename",
	"renameat",
	"renameat2",
	"unlink",
	"unlinkat",
	"rmdir",
	"mkdir",
	"mkdirat",
	"mknod",
	"mknodat",
	"link",
	"linkat",
	"symlink",
	"symlinkat",
	"chmod",
	"fchmod",
	"fchmodat",
	"fchmodat2",
	"chown",
	"fchown",
	"lchown",
	"fchownat",
	"utime",
	"utimes",
	"futimesat",
	"utimensat",
	"setxattr",
	"lsetxattr",
	"fsetxattr",
	"setxattrat",
	"removexattr",
	"lremovexattr",
	"fremovexattr",
	"removexattrat",
	/* mounts and namespaces */
	"mount",
	"umount",
	"umount2",
	"pivot_root",
	"chroot",
	"open_tree",
	"open_tree_attr",
	"move_mount",
	"fsopen",
	"fsconfig",
	"fsmount",
	"fspick",
	"mount_setattr",
	"setns",
	"unshare",
	/* the kernel and the machine */
	"init_module",
	"finit_module",
	"delete_module",
	"kexec_load",
	"kexec_file_load",
	"reboot",
	"swapon",
	"swapoff",
	"acct",
	"quotactl",
	"quotactl_fd",
	"sethostname",
	"setdomainname",
	"settimeofday",
	"clock_settime",
	"clock_adjtime",
	"adjtimex",
	"iopl",
	"ioperm",
	"syslog",
	"keyctl",
	"add_key",
	"request_key",
	/* what exploits like, or what escapes this filter */
	"userfaultfd",
	"io_uring_setup",
	"io_uring_enter",
	"io_uring_register",
	/* no network: nothing read from a target leaves the machine */
	"socket",
};

/* Calls newer than bookworm's libseccomp 2.5.4: numbers from 424 on are the
 * same on x86-64 and arm64 (and most others). */
static const struct {
	const char *name;
	int nr;
} newer_calls[] = {
	{ "fchmodat2", 452 },
	{ "setxattrat", 463 },
	{ "removexattrat", 466 },
	{ "open_tree_attr", 467 },
};

static int syscall_nr(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

#if defined(__x86_64__) || defined(__aarch64__)
	for (size_t i = 0;
	     nr == __NR_SCMP_ERROR && i < sizeof(newer_calls) / sizeof(newer_calls[0]); i++)
		if (!strcmp(name, newer_calls[i].name))
			nr = newer_calls[i].nr;
#endif
	return nr;
}

/* Adds a rule for @name; a call that this architecture lacks is no rule. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned int nr_args,
		    const struct scmp_arg_cmp *args)
{
	int sys = syscall_nr(name), err;

	if (sys < 0)
		return 0;
	err = seccomp_rule_add_array(ctx, action, sys, nr_args, args);
	if (err)
		lt_debug("seccomp: cannot add the rule for %s: %s", name, strerror(-err));
	return err;
}

#define DENY SCMP_ACT_ERRNO(EPERM)
#define ARG(i, cmp, a, b) ((struct scmp_arg_cmp){ .arg = i, .op = cmp, .datum_a = a, .datum_b = b })
#define NE(i, val) ARG(i, SCMP_CMP_NE, val, 0)
#define HAS_BIT(i, bit) ARG(i, SCMP_CMP_MASKED_EQ, bit, bit)
/* an int argument: the filter sees all 64 bits of the register, the kernel
 * the low 32, so the high ones must not make a call pass */
#define INT_EQ(i, val) ARG(i, SCMP_CMP_MASKED_EQ, 0xffffffffu, val)

static int add_rules(scmp_filter_ctx ctx, const struct sandbox_needs *needs)
{
	/* flags that open a file for writing, or change it on open */
	static const int write_flags[] = { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC };
	/* clone()'s flags that make a namespace; CLONE_NEWTIME shares its bit
	 * with the exit signal there, and comes only through clone3() */
	static const unsigned long ns_flags[] = { CLONE_NEWNS,	CLONE_NEWCGROUP, CLONE_NEWUTS,
						  CLONE_NEWIPC, CLONE_NEWUSER,	 CLONE_NEWPID,
						  CLONE_NEWNET };
	/* what leaktrace does with bpf() after setup is read and write maps,
	 * make links, and (with unwind tables) make the arrays of their rows
	 * as they grow: loading programs, with CAP_BPF and CAP_PERFMON kept,
	 * would read kernel memory; a map reads nothing */
	static const int bpf_cmds[] = { BPF_PROG_LOAD, BPF_BTF_LOAD, BPF_OBJ_PIN, BPF_MAP_CREATE };
	size_t nr_bpf_cmds = sizeof(bpf_cmds) / sizeof(bpf_cmds[0]) - needs->make_maps;
	pid_t child = needs->child;
	/* pushing input into the terminal leaktrace was started from, or
	 * into a virtual console's selection */
	static const unsigned long tty_ioctls[] = { TIOCSTI, TIOCLINUX };
	int err = 0;

	for (size_t i = 0; i < sizeof(denied_calls) / sizeof(denied_calls[0]); i++)
		err = add_rule(ctx, DENY, denied_calls[i], 0, NULL) ?: err;
	for (size_t i = 0; i < sizeof(write_flags) / sizeof(write_flags[0]); i++) {
		err = add_rule(ctx, DENY, "open", 1, &HAS_BIT(1, write_flags[i])) ?: err;
		err = add_rule(ctx, DENY, "openat", 1, &HAS_BIT(2, write_flags[i])) ?: err;
	}
	/* openat2() has its flags in a struct, which a filter cannot read:
	 * glibc falls back to openat() when it is missing */
	err = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "openat2", 0, NULL) ?: err;
	/* clone3() too: glibc makes threads with clone() then */
	err = add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL) ?: err;
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		err = add_rule(ctx, DENY, "clone", 1, &HAS_BIT(0, ns_flags[i])) ?: err;
	for (size_t i = 0; i < nr_bpf_cmds; i++)
		err = add_rule(ctx, DENY, "bpf", 1, &INT_EQ(0, bpf_cmds[i])) ?: err;
	for (size_t i = 0; i < sizeof(tty_ioctls) / sizeof(tty_ioctls[0]); i++)
		err = add_rule(ctx, DENY, "ioctl", 1, &INT_EQ(1, tty_ioctls[i])) ?: err;
	/* Signals: probing that a process exists (signal 0) goes to anyone,
	 * the rest only to the launched command (leaktrace is uid 0 still,
	 * and may signal any root process without CAP_KILL). */
	if (child > 0) {
		const struct scmp_arg_cmp other_pid[] = { NE(0, (__u64)child), NE(1, 0) };

		err = add_rule(ctx, DENY, "kill", 2, other_pid) ?: err;
	} else {
		err = add_rule(ctx, DENY, "kill", 1, &NE(1, 0)) ?: err;
	}
	/* other processes' resource limits */
	err = add_rule(ctx, DENY, "prlimit64", 1, &NE(0, 0)) ?: err;
	return err;
}

static int install_filter(const struct sandbox_needs *needs)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int err;

	if (!ctx)
		return -ENOMEM;
	/* Every thread (the unwinder's may run); another ABI (i386 or x32
	 * calls on x86-64) would go round the rules: it fails as a whole. */
	err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	err = err ?: seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, DENY);
	if (err)
		goto cleanup;
	err = add_rules(ctx, needs);
	if (err)
		lt_info("seccomp: some rules could not be added (-vv says which); the others "
			"apply");
	err = seccomp_load(ctx);
cleanup:
	seccomp_release(ctx);
	return err;
}

int sandbox__enter(const struct sandbox_needs *needs)
{
	int caps = drop_caps(needs), filter;

	if (caps)
		lt_info("cannot drop the capabilities not needed any more: %s; going on with them",
			strerror(-caps));
	filter = install_filter(needs);
	if (filter)
		lt_info("cannot install the seccomp filter: %s; going on without it",
			strerror(-filter));
	if (!caps && !filter)
		lt_debug("sandbox: capabilities dropped, seccomp filter installed");
	return caps ?: filter;
}
