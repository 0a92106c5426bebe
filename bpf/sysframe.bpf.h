/* SPDX-License-Identifier: GPL-2.0-only */
/* Where a stack taken at a syscall starts: at the function that called the
 * libc wrapper, which keeps no frame pointer, so that a frame-pointer walk
 * would start inside it and miss its caller. User space finds the syscall
 * instructions of each mapped file once and, from the wrapper's CFI, where
 * the wrapper keeps its return address (user/syssites.c); the stacks of
 * sources fd and mmap look that up by the file and offset of the syscall,
 * so one entry serves every process that maps the file, from its first
 * syscall on, under --system too. */

#define LT_EBUSY 16

/* The kernel's page size, as a shift: vm_pgoff counts pages. */
const volatile __u32 page_shift = 12;

/* Syscall instructions of mapped files -> where their wrapper keeps its
 * return address and its caller's frame pointer. Filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LT_SYS_SITES_MAX);
	__type(key, struct lt_sys_site);
	__type(value, struct lt_sys_frame);
} sysframes SEC(".maps");

/* bpf_find_vma() callback: the file and file offset of the address in
 * @ctx's off; ino stays 0 where no file is mapped. */
static long sys_site_of(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	struct lt_sys_site *key = ctx;
	struct file *file = BPF_CORE_READ(vma, vm_file);

	(void)task;
	if (!file)
		return 0;
	/* the inode /proc/PID/maps shows: the file's own, not overlayfs's */
	key->ino = BPF_CORE_READ(file, f_inode, i_ino);
	key->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	key->off = key->off - BPF_CORE_READ(vma, vm_start) +
		   (BPF_CORE_READ(vma, vm_pgoff) << page_shift);
	return 0;
}

/* Moves @ip, @fp and @sp, a task's user registers @regs at a syscall, to the
 * caller of the wrapper that made it, where user space said where that
 * wrapper keeps its return address. Returns whether it did; else they stay,
 * and the stack starts inside the wrapper. */
static __always_inline bool lt_sys_caller(struct pt_regs *regs, __u64 *ip, __u64 *fp, __u64 *sp)
{
	struct lt_sys_site key = { .off = *ip };
	struct lt_sys_frame *f;
	__u64 ra = 0;
	long err;

	/* -EBUSY: another thread of the process holds its mmap lock */
	err = bpf_find_vma(bpf_get_current_task_btf(), *ip, sys_site_of, &key, 0);
	if (err == -LT_EBUSY)
		lt_count(LT_CNT_SYS_VMA_BUSY);
	if (err || !key.ino)
		return false;
	f = bpf_map_lookup_elem(&sysframes, &key);
	if (!f)
		return false;
#if defined(__TARGET_ARCH_arm64)
	/* a leaf wrapper: the return address in x30, the caller's frame
	 * pointer in x29, the stack as the caller left it */
	if (f->ra_off == LT_RA_IN_LINK_REG) {
		ra = BPF_CORE_READ(regs, regs[30]);
		if (!ra)
			return false;
		*ip = ra;
		return true;
	}
#else
	(void)regs;
#endif
	if (f->ra_off < 0 || bpf_probe_read_user(&ra, sizeof(ra), (void *)(*sp + f->ra_off)) || !ra)
		return false;
	if (f->fp_off >= 0)
		bpf_probe_read_user(fp, sizeof(*fp), (void *)(*sp + f->fp_off));
	*ip = ra;
	*sp += f->ra_off + sizeof(ra);
	return true;
}
