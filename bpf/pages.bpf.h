/* SPDX-License-Identifier: GPL-2.0-only */
/* Source "pages": growth traced by the pages a process faults in and gives
 * back, not by its allocator calls. The page-fault software event (one per
 * CPU, every process) charges each anonymous private page of a traced
 * process, once, to the stack that first touched it: an allocs entry of
 * kind LT_KIND_PAGES keyed by the page's address, and its stack's totals.
 * Where the kernel may map a transparent huge page, the whole block is
 * charged at once, as one entry (see page_fault()).
 * The syscalls that give pages back uncharge them: munmap, madvise
 * (DONTNEED, FREE, REMOVE), mremap (a move re-keys them), brk shrinking,
 * mmap MAP_FIXED over them; exec drops them all. A process that exits is
 * dropped by user space as for every kind (collect_forget.c). In a steady
 * state nothing faults, and nothing here runs. Included once, by
 * leaktrace.bpf.c, after mmap.bpf.h. */

/* Ranges up to this many pages are walked page by page; larger ones by one
 * pass over the allocs map, which cannot hold more (set from user space:
 * --max-allocs, at most BPF_MAX_LOOPS). */
const volatile __u32 pages_walk_max = 1 << 20;
/* --system under pages: only the processes in the focus map have the stacks
 * of their pages walked; the others' pages are charged to LT_STACK_UNWALKED,
 * their process's, without the walk that is most of a page's cost. User
 * space puts in focus those that grow (user/focus.c). */
const volatile __u32 pages_focus;

/* The processes in focus (tgid -> 1). Sized from user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LT_FOCUS_MAX);
	__type(key, __u32);
	__type(value, __u8);
} focus SEC(".maps");

/* Transparent huge pages (/sys/kernel/mm/transparent_hugepage/enabled, read
 * by user space at the start): LT_THP_*. */
const volatile __u32 thp_mode;

#define LT_THP_NEVER 0
#define LT_THP_MADVISE 1
#define LT_THP_ALWAYS 2
#define LT_VM_HUGEPAGE 0x20000000
#define LT_VM_NOHUGEPAGE 0x40000000

#define LT_EBUSY 16
#define LT_VM_SHARED 0x8
#define LT_VM_GROWSDOWN 0x100
#define LT_MAP_FIXED 0x10
#define LT_MADV_FREE 8
#define LT_MADV_REMOVE 9
#define LT_MADV_DONTNEED 4
#define LT_MADV_DONTNEED_LOCKED 24

/* A huge block's entry: keyed by the block's address with this bit set
 * (page addresses are page-aligned: no page's key is a block's). Its size
 * packs the bytes still charged (low 32 bits: a block is at most 512 MiB,
 * with 64 KiB pages) and the part of the block they lie in, [lo, hi) in
 * pages from its start (16 bits each above), so that a block trimmed at an
 * end is told from the pages around it. User space reads neither. */
#define LT_PAGES_BLOCK 1ULL
#define LT_BLOCK_BYTES(size) ((size)&0xffffffffULL)
#define LT_BLOCK_LO(size) ((size) >> 32 & 0xffff)
#define LT_BLOCK_HI(size) ((size) >> 48 & 0xffff)
#define LT_BLOCK_SIZE(bytes, lo, hi) ((bytes) | (__u64)(lo) << 32 | (__u64)(hi) << 48)

/* log2 of a huge page's block: a PMD's worth of pages (2 MiB with 4 KiB
 * pages, 32 MiB with 16 KiB, 512 MiB with 64 KiB) */
static __always_inline __u32 pages_huge_shift(void)
{
	return page_shift + page_shift - 3;
}

/* What bpf_find_vma()'s callback learns of the faulting address's mapping. */
struct pages_vma {
	__u64 addr;		 /* the faulting page */
	__u32 region;		 /* enum lt_page_region; LT_REGION__NR: not charged */
	__u32 thp;		 /* the huge page around addr may be made at this fault */
	__u64 start, end, flags; /* the mapping's */
};

/* mm_struct's count of changes to its mappings (Linux 6.4+, with per-VMA
 * locks): an int bumped as each change ends before 6.13, a seqcount since,
 * odd while a change is under way. */
struct mm_struct___seqint {
	int mm_lock_seq;
} __attribute__((preserve_access_index));

struct mm_struct___seqcount {
	struct seqcount mm_lock_seq;
} __attribute__((preserve_access_index));

/* Before 6.4 the kernel keeps no such count: leaktrace keeps its own, set
 * from user space, from the syscalls that change a process's mappings
 * (pages_map_enter/exit, attached to each of them). */
const volatile __u32 pages_own_seq;

/* A process's own count, and the changes under way. Each change, as it
 * starts and as it ends, sets the count to the time (a fresh value on
 * every CPU: an entry the LRU evicted and made again repeats no value a
 * thread kept). */
struct pages_seq {
	__s64 busy; /* changes under way: nothing to go by while > 0 */
	__u64 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1); /* sized from user space */
	__type(key, __u64);	/* the mm */
	__type(value, struct pages_seq);
} map_seqs SEC(".maps");

/* Leaktrace's count of changes to @mm's mappings, or -1: a change under
 * way, or none counted yet (the entry is made for the next fault). */
static __always_inline __s64 pages_own_mm_seq(struct mm_struct *mm)
{
	__u64 key = (__u64)mm;
	struct pages_seq *s = bpf_map_lookup_elem(&map_seqs, &key), fresh = { 0 };

	if (!s) {
		fresh.seq = bpf_ktime_get_ns();
		bpf_map_update_elem(&map_seqs, &key, &fresh, BPF_NOEXIST);
		return -1;
	}
	return s->busy > 0 ? -1 : s->seq;
}

/* The count of changes to @mm's mappings, or -1: none to go by (a change
 * under way). */
static __always_inline __s64 pages_mm_seq(struct mm_struct *mm)
{
	struct mm_struct___seqcount *sc = (void *)mm;
	struct mm_struct___seqint *si = (void *)mm;
	__u32 seq;

	if (pages_own_seq)
		return pages_own_mm_seq(mm);
	if (bpf_core_field_exists(sc->mm_lock_seq)) {
		seq = BPF_CORE_READ(sc, mm_lock_seq.sequence);
		return seq & 1 ? -1 : seq;
	}
	if (bpf_core_field_exists(si->mm_lock_seq))
		return (__u32)BPF_CORE_READ(si, mm_lock_seq);
	return -1;
}

/* Whether a fault at @addr, in the mapping [@vm_start, @vm_end) with
 * @flags, may be served by a huge page: the kernel's setting allows it for
 * the mapping, and the aligned block around the address lies inside it
 * (mm/huge_memory.c, hugepage_vma_check() and transhuge_vma_suitable()).
 * A process that turned huge pages off with prctl(PR_SET_THP_DISABLE) is
 * not told apart: mm->flags changed type in Linux 6.18 (mm_flags_t), and
 * the prctl is rare. */
static __always_inline bool pages_thp(__u64 vm_start, __u64 vm_end, __u64 flags, __u64 addr)
{
	__u32 huge_shift = pages_huge_shift();
	__u64 start = addr >> huge_shift << huge_shift;

	if (thp_mode == LT_THP_NEVER || (flags & LT_VM_NOHUGEPAGE) ||
	    (thp_mode == LT_THP_MADVISE && !(flags & LT_VM_HUGEPAGE)))
		return false;
	return start >= vm_start && start + (1ULL << huge_shift) <= vm_end;
}

static long pages_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *ctx)
{
	struct pages_vma *v = ctx;
	struct mm_struct *mm = vma->vm_mm;
	__u64 start = vma->vm_start, end = vma->vm_end, flags = vma->vm_flags;

	/* file-backed (even a private copy of its data) or shared: not the
	 * process's own anonymous memory */
	if (vma->vm_file || (flags & LT_VM_SHARED)) {
		v->region = LT_REGION__NR;
		return 0;
	}
	if (start <= BPF_CORE_READ(mm, brk) && end > BPF_CORE_READ(mm, start_brk))
		v->region = LT_REGION_HEAP;
	else if ((flags & LT_VM_GROWSDOWN) ||
		 (start <= BPF_CORE_READ(mm, start_stack) && end > BPF_CORE_READ(mm, start_stack)))
		v->region = LT_REGION_STACK;
	else
		v->region = LT_REGION_ANON;
	v->start = start;
	v->end = end;
	v->flags = flags;
	return 0;
}

/* Fills @v with the mapping of the page @v->addr of the current process.
 * bpf_find_vma() takes the process's mmap lock, and run where interrupts
 * are off (the page-fault event) leaves its unlock to an irq_work: an
 * interrupt the CPU sends itself, 9 us a page in a VM, most of what a page
 * cost. The mapping found is kept on the thread, with the count of changes
 * to the process's mappings (pages_mm_seq()): the next fault in it, while
 * the count stays, is classified from there. A growing heap or arena faults page
 * after page in one mapping. Returns bpf_find_vma()'s error, or 0. */
static __always_inline long pages_vma_find(struct pages_vma *v, struct lt_thread *t)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mm_struct *mm = task->mm;
	__s64 seq = pages_mm_seq(mm);
	long err;

	if (t && seq >= 0 && t->vma_mm == (__u64)mm && t->vma_seq == (__u64)seq &&
	    v->addr >= t->vma_start && v->addr < t->vma_end) {
		v->region = t->vma_region;
		v->start = t->vma_start;
		v->end = t->vma_end;
		v->flags = t->vma_flags;
		return 0;
	}
	lt_count(LT_CNT_PAGES_VMAS);
	err = bpf_find_vma(task, v->addr, pages_vma_cb, v, 0);
	if (err || !t || seq < 0)
		return err;
	t->vma_mm = (__u64)mm;
	t->vma_seq = seq;
	t->vma_start = v->start;
	t->vma_end = v->end;
	t->vma_flags = v->flags;
	t->vma_region = v->region;
	return 0;
}

/* Takes @bytes of the entry @a of process @tgid off its stack's totals:
 * that many bytes, and as many pages. */
static __always_inline void pages_unstat(__u32 tgid, const struct lt_alloc *a, __u64 bytes)
{
	struct lt_stat_key sk = {
		.stack = a->stack, .aux = a->aux, .tgid = tgid, .kind = LT_KIND_PAGES
	};
	struct lt_stat *s = bpf_map_lookup_elem(&stats, &sk);

	if (s)
		lt_stat_add(s, -(__s64)bytes, 0, bytes >> page_shift);
}

/* The bytes the entry @a at @k still charges: a page, or what is left of a
 * block. */
static __always_inline __u64 pages_bytes(const struct lt_alloc_key *k, const struct lt_alloc *a)
{
	return k->addr & LT_PAGES_BLOCK ? LT_BLOCK_BYTES(a->size) : a->size;
}

/* Uncharges the entry @a at @k (a page or a block), if it was still there
 * for this caller to delete (two uncharges may race). */
static __always_inline void pages_settle(struct lt_alloc_key *k, const struct lt_alloc *a)
{
	if (!bpf_map_delete_elem(&allocs, k))
		pages_unstat(k->tgid, a, pages_bytes(k, a));
}

/* A range of a process's pages being given back, or moved to @to. */
struct pages_range {
	__u32 tgid;
	__u32 pad;
	__u64 start, end; /* page-aligned */
	__u64 to;	  /* a move: where start goes; 0: uncharge */
};

/* Whether the page at @k is charged already, to a stack still counted:
 * on its own, or (@bk) within a charged huge block. An entry whose totals
 * went (user space dropped the image that exec replaced, or a process gone
 * that had the pid) is stale: deleted here. */
static __always_inline bool pages_charged(struct lt_alloc_key *k, struct lt_alloc_key *bk,
					  bool *in_block)
{
	struct lt_stat_key sk = { .tgid = k->tgid, .kind = LT_KIND_PAGES };
	__u64 off = (k->addr - bk->addr) >> page_shift;
	struct lt_alloc *a;

	a = bpf_map_lookup_elem(&allocs, k);
	if (a) {
		sk.stack = a->stack;
		sk.aux = a->aux;
		/* a write after a read, a refault after reclaim */
		if (bpf_map_lookup_elem(&stats, &sk))
			return true;
		bpf_map_delete_elem(&allocs, k);
	}
	bk->addr |= LT_PAGES_BLOCK;
	a = bpf_map_lookup_elem(&allocs, bk);
	if (!a)
		return false;
	sk.stack = a->stack;
	sk.aux = a->aux;
	if (!bpf_map_lookup_elem(&stats, &sk)) {
		bpf_map_delete_elem(&allocs, bk);
		return false;
	}
	/* outside the part of the block still charged: a page given back
	 * and touched again, charged on its own */
	*in_block = true;
	return off >= LT_BLOCK_LO(a->size) && off < LT_BLOCK_HI(a->size);
}

/* Settles the page @i of a block (@ctx: struct pages_range) charged on its
 * own. */
static long pages_fold_step(__u32 i, void *ctx)
{
	struct pages_range *r = ctx;
	struct lt_alloc_key k = { .addr = r->start + ((__u64)i << page_shift),
				  .tgid = r->tgid,
				  .kind = LT_KIND_PAGES };
	struct lt_alloc *a = bpf_map_lookup_elem(&allocs, &k), copy;

	if (a) {
		copy = *a;
		pages_settle(&k, &copy);
	}
	return 0;
}

SEC("perf_event")
int page_fault(struct bpf_perf_event_data *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct lt_alloc_key k = { .tgid = tgid, .kind = LT_KIND_PAGES }, bk;
	struct lt_stat_key sk = { .tgid = tgid, .kind = LT_KIND_PAGES };
	struct pages_vma v = { .region = LT_REGION__NR };
	__u32 huge_shift = pages_huge_shift();
	struct lt_thread *thread;
	struct lt_alloc val = {};
	bool in_block = false;
	__u64 bytes, pages;
	struct pt_regs *regs;
	struct lt_stat *s;
	long err;

	if (!lt_is_target(tgid))
		return 0;
	k.addr = ctx->addr >> page_shift << page_shift;
	bk = k;
	bk.addr = k.addr >> huge_shift << huge_shift;
	/* charged once: on its own, or with its block */
	if (pages_charged(&k, &bk, &in_block))
		return 0;
	v.addr = k.addr;
	thread = lt_thread_get(true);
	err = pages_vma_find(&v, thread);
	if (err == -LT_EBUSY)
		lt_count(LT_CNT_PAGES_BUSY);
	if (err || v.region >= LT_REGION__NR)
		return 0;
	v.thp = pages_thp(v.start, v.end, v.flags, v.addr);
	val.size = bytes = 1ULL << page_shift;
	pages = 1;
	/* The kernel may map a whole huge page here: the block is charged,
	 * unless part of it is charged as a block already, as one entry of
	 * its bytes and pages. The software page-fault event fires before the
	 * kernel decides: where it falls back to small pages (no huge page
	 * free, or the block's page table made already) the block is charged
	 * whole all the same, an over-count bounded by the block and gone once
	 * the block is all touched (a growing heap touches all of it). Pages
	 * of the block charged on their own before (touched before the mapping
	 * covered the block) are folded into it: uncharged, so that none
	 * counts twice. All before the stack is walked, and alike on both
	 * paths (the key's address alone is set: a copy of the whole key
	 * types its stack slots otherwise), so that the verifier walks the
	 * unwinder once for both, not twice. */
	if (v.thp && !in_block) {
		struct pages_range r = { .tgid = tgid };

		r.start = bk.addr & ~LT_PAGES_BLOCK;
		pages = 1ULL << (huge_shift - page_shift);
		bpf_loop(pages, pages_fold_step, &r, 0);
		bytes = 1ULL << huge_shift;
		val.size = LT_BLOCK_SIZE(bytes, 0, pages);
		k.addr = bk.addr;
		lt_count(LT_CNT_PAGES_HUGE);
	}
	/* A fault in the kernel (copy_to_user) has the user's registers there
	 * too, where the task entered the kernel. */
	if (pages_focus && !bpf_map_lookup_elem(&focus, &tgid)) {
		sk.stack = LT_STACK_UNWALKED;
	} else {
		regs = lt_user_regs();
		sk.stack = lt_stack_id(PT_REGS_IP_CORE(regs), PT_REGS_FP_CORE(regs),
				       PT_REGS_SP_CORE(regs), tgid, thread);
	}
	sk.aux = v.region;
	s = lt_stat_get(&sk);
	if (!s) {
		lt_count(LT_CNT_STATS_FULL);
		return 0;
	}
	val.stack = sk.stack;
	val.aux = sk.aux;
	err = bpf_map_update_elem(&allocs, &k, &val, BPF_NOEXIST);
	if (err == -LT_EEXIST)
		return 0; /* another thread charged it (or its block) first */
	if (err) {
		lt_count(LT_CNT_PAGES_FULL);
		return 0;
	}
	lt_stat_add(s, bytes, pages, 0);
	return 0;
}

static __always_inline void pages_move(struct lt_alloc_key *k, const struct lt_alloc *a, __u64 to)
{
	struct lt_alloc_key nk = { .addr = to, .tgid = k->tgid, .kind = LT_KIND_PAGES };
	struct lt_alloc copy = *a;

	struct lt_alloc *old, gone;

	if (bpf_map_delete_elem(&allocs, k))
		return;
	/* its totals stay: the page lives on at its new address. A page
	 * charged there before went when the move replaced it
	 * (MREMAP_FIXED). */
	if (!bpf_map_update_elem(&allocs, &nk, &copy, BPF_NOEXIST))
		return;
	old = bpf_map_lookup_elem(&allocs, &nk);
	if (old) {
		gone = *old;
		pages_settle(&nk, &gone);
	}
	if (bpf_map_update_elem(&allocs, &nk, &copy, BPF_NOEXIST)) {
		lt_count(LT_CNT_PAGES_FULL);
		pages_unstat(k->tgid, &copy, pages_bytes(k, &copy));
	}
}

static long pages_step(__u32 i, void *ctx)
{
	struct pages_range *r = ctx;
	struct lt_alloc_key k = { .addr = r->start + ((__u64)i << page_shift),
				  .tgid = r->tgid,
				  .kind = LT_KIND_PAGES };
	struct lt_alloc *a, copy;

	if (k.addr >= r->end)
		return 1;
	a = bpf_map_lookup_elem(&allocs, &k);
	if (!a)
		return 0;
	copy = *a;
	if (r->to)
		pages_move(&k, &copy, r->to + ((__u64)i << page_shift));
	else
		pages_settle(&k, &copy);
	return 0;
}

/* Takes what lies in [@r->start, @r->end) out of the huge block @a at @k:
 * its bytes and pages, and its charged part where the range covers an end
 * of it; at zero the entry goes. A range in the middle of the charged part
 * leaves it whole: the same range given back twice (a second munmap of a
 * hole, which succeeds) is taken twice, and a page of the hole touched
 * again is not charged; both bounded by the block. A move (@r->to) takes
 * the block along, re-keyed, where all its charged part moves and lands
 * on an aligned block, which is where the kernel can keep a huge page huge
 * (move_huge_pmd()); a block moved in part or to an unaligned address was
 * split into small pages, which cannot be charged one by one here (a
 * burst of new entries would find the map's allocation cache dry):
 * uncharged, and its pages, resident, are not charged again. */
static __always_inline void pages_block_cut(struct lt_alloc_key *k, struct lt_alloc *a,
					    const struct pages_range *r)
{
	__u64 base = k->addr & ~LT_PAGES_BLOCK, size = a->size;
	__u64 lo = base + (LT_BLOCK_LO(size) << page_shift);
	__u64 hi = base + (LT_BLOCK_HI(size) << page_shift);
	__u64 s = r->start > lo ? r->start : lo, e = r->end < hi ? r->end : hi;
	__u64 bytes = LT_BLOCK_BYTES(size), cut, dst;
	struct lt_alloc copy = *a;

	if (s >= e)
		return;
	if (s == lo && e == hi) {
		dst = r->to + (base - r->start);
		if (r->to && !(dst & ((1ULL << pages_huge_shift()) - 1)))
			pages_move(k, &copy, dst | LT_PAGES_BLOCK);
		else
			pages_settle(k, &copy);
		return;
	}
	cut = e - s < bytes ? e - s : bytes;
	if (cut == bytes) {
		pages_settle(k, &copy);
		return;
	}
	if (s == lo)
		lo = e;
	else if (e == hi)
		hi = s;
	/* in place: two threads giving back parts of one block at once may
	 * lose one's write (its pages stay charged to the block) */
	a->size = LT_BLOCK_SIZE(bytes - cut, (lo - base) >> page_shift, (hi - base) >> page_shift);
	pages_unstat(k->tgid, &copy, cut);
}

/* The huge block @i of a range: pages_range() walks the blocks that meet
 * it beside its pages. */
static long pages_block_step(__u32 i, void *ctx)
{
	struct pages_range *r = ctx;
	__u32 huge_shift = pages_huge_shift();
	struct lt_alloc_key k = { .addr = ((r->start >> huge_shift) + i) << huge_shift,
				  .tgid = r->tgid,
				  .kind = LT_KIND_PAGES };
	struct lt_alloc *a;

	if (k.addr >= r->end)
		return 1;
	k.addr |= LT_PAGES_BLOCK;
	a = bpf_map_lookup_elem(&allocs, &k);
	if (a)
		pages_block_cut(&k, a, r);
	return 0;
}

static long pages_scan_cb(struct bpf_map *map, struct lt_alloc_key *key, struct lt_alloc *val,
			  struct pages_range *r)
{
	struct lt_alloc_key k;
	struct lt_alloc copy;

	if (key->kind != LT_KIND_PAGES || key->tgid != r->tgid)
		return 0;
	k = *key;
	if (k.addr & LT_PAGES_BLOCK) {
		pages_block_cut(&k, val, r);
		return 0;
	}
	if (k.addr < r->start || k.addr >= r->end)
		return 0;
	copy = *val;
	pages_settle(&k, &copy);
	return 0;
}

/* Uncharges the pages of process @tgid in [@start, @end), or moves them to
 * @to: page by page and block by block, or for a range larger than the map
 * can hold, in one pass over the map (a move that large is uncharged:
 * re-keyed entries would come up again in the pass). */
static __always_inline void pages_range(__u32 tgid, __u64 start, __u64 end, __u64 to)
{
	__u64 mask = (1ULL << page_shift) - 1;
	struct pages_range r = { .tgid = tgid, .to = to };
	__u32 huge_shift;
	__u64 n;

	r.start = start & ~mask;
	r.end = (end + mask) & ~mask;
	if (r.end <= r.start)
		return;
	n = (r.end - r.start) >> page_shift;
	if (n <= pages_walk_max) {
		bpf_loop(n, pages_step, &r, 0);
		huge_shift = pages_huge_shift();
		n = ((r.end - 1) >> huge_shift) - (r.start >> huge_shift) + 1;
		bpf_loop(n, pages_block_step, &r, 0);
		return;
	}
	r.to = 0;
	bpf_for_each_map_elem(&allocs, pages_scan_cb, &r, 0);
}

static __always_inline __u32 pages_target(void)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return lt_is_target(tgid) ? tgid : 0;
}

/* At the exits: a call that failed gave nothing back. The arguments are
 * read from the registers saved at the syscall's entry. */
SEC("tracepoint/syscalls/sys_exit_munmap")
int pages_munmap(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = lt_user_regs();
	__u32 tgid = pages_target();
	__u64 start;

	if (!tgid || ctx->ret)
		return 0;
	start = PT_REGS_PARM1_CORE_SYSCALL(regs);
	pages_range(tgid, start, start + PT_REGS_PARM2_CORE_SYSCALL(regs), 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int pages_madvise(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = lt_user_regs();
	__u32 tgid = pages_target();
	__u64 start, advice;

	if (!tgid || ctx->ret)
		return 0;
	advice = PT_REGS_PARM3_CORE_SYSCALL(regs);
	/* MADV_FREE'd pages stay until reclaimed, and a write keeps them
	 * without a fault: uncharged now, they may be counted short, never
	 * as growth that is not there */
	if (advice != LT_MADV_DONTNEED && advice != LT_MADV_FREE && advice != LT_MADV_REMOVE &&
	    advice != LT_MADV_DONTNEED_LOCKED)
		return 0;
	start = PT_REGS_PARM1_CORE_SYSCALL(regs);
	pages_range(tgid, start, start + PT_REGS_PARM2_CORE_SYSCALL(regs), 0);
	return 0;
}

/* mremap(old, old_len, new_len, flags, new): a shrink in place gives back
 * the tail; a move takes the pages along, charged where they were first
 * touched (a buffer grown by moving keeps its history). */
SEC("tracepoint/syscalls/sys_exit_mremap")
int pages_mremap(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct pt_regs *regs = lt_user_regs();
	__u32 tgid = pages_target();
	__u64 old, old_len, new_len, to = ret;

	if (!tgid || (ret < 0 && ret >= -LT_MAX_ERRNO))
		return 0;
	old = PT_REGS_PARM1_CORE_SYSCALL(regs);
	old_len = PT_REGS_PARM2_CORE_SYSCALL(regs);
	new_len = PT_REGS_PARM3_CORE_SYSCALL(regs);
	if (!old_len)
		return 0; /* a second mapping of shared memory: nothing moves */
	if (new_len < old_len)
		pages_range(tgid, old + new_len, old + old_len, 0);
	if (to == old)
		return 0;
	/* what MREMAP_FIXED replaced there (a huge block too) */
	pages_range(tgid, to, to + new_len, 0);
	pages_range(tgid, old, old + (new_len < old_len ? new_len : old_len), to);
	return 0;
}

/* mmap(addr, len, prot, MAP_FIXED...) replaces what was mapped there. */
SEC("tracepoint/syscalls/sys_exit_mmap")
int pages_mmap(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct pt_regs *regs = lt_user_regs();
	__u32 tgid = pages_target();

	if (!tgid || (ret < 0 && ret >= -LT_MAX_ERRNO) ||
	    !(PT_REGS_PARM4_CORE_SYSCALL(regs) & LT_MAP_FIXED))
		return 0;
	pages_range(tgid, ret, ret + PT_REGS_PARM2_CORE_SYSCALL(regs), 0);
	return 0;
}

/* brk(addr) below the current break gives back what is above: at the
 * entry, where the old break is still the mm's (no thread touches the
 * top of a heap being trimmed). */
SEC("tracepoint/syscalls/sys_enter_brk")
int pages_brk(struct trace_event_raw_sys_enter *ctx)
{
	struct mm_struct *mm = BPF_CORE_READ((struct task_struct *)bpf_get_current_task_btf(), mm);
	__u64 want = ctx->args[0], brk = BPF_CORE_READ(mm, brk);
	__u32 tgid = pages_target();

	if (!tgid || !want || want >= brk || want < BPF_CORE_READ(mm, start_brk))
		return 0;
	pages_range(tgid, want, brk, 0);
	return 0;
}

/* The count of @mm's changes as a syscall that may change its mappings
 * starts (@start: one more under way) or ends. Only where the kernel keeps
 * no count (pages_own_seq); the traced processes' alone. A call under way
 * when the programs went in ends unseen started: not counted below 0. */
static __always_inline void pages_map_change(bool start)
{
	struct mm_struct *mm = BPF_CORE_READ((struct task_struct *)bpf_get_current_task_btf(), mm);
	__u64 key = (__u64)mm;
	struct pages_seq *s, fresh = { 0 };

	if (!pages_own_seq || !mm || !pages_target())
		return;
	s = bpf_map_lookup_elem(&map_seqs, &key);
	if (!s) {
		fresh.busy = start;
		fresh.seq = bpf_ktime_get_ns();
		if (!bpf_map_update_elem(&map_seqs, &key, &fresh, BPF_NOEXIST))
			return;
		s = bpf_map_lookup_elem(&map_seqs, &key);
		if (!s)
			return;
	}
	if (start) {
		__sync_fetch_and_add(&s->busy, 1);
		s->seq = bpf_ktime_get_ns();
		return;
	}
	/* the new count before the end: a fault between the two still sees
	 * the change under way */
	s->seq = bpf_ktime_get_ns();
	if (s->busy > 0)
		__sync_fetch_and_add(&s->busy, -1);
}

/* Attached to the entry and the exit of each syscall that may change the
 * mappings (user/attach_probes.c): mmap, munmap, mremap, brk, mprotect,
 * mlock...; to the exit of exec alone, where the new image's mm is current
 * (an mm at the address of one gone has its count set afresh). */
SEC("tracepoint")
int pages_map_enter(void *ctx)
{
	pages_map_change(true);
	return 0;
}

SEC("tracepoint")
int pages_map_exit(void *ctx)
{
	pages_map_change(false);
	return 0;
}

/* Whether madvise's @advice leaves the mappings as they are: what gives
 * pages back or brings them in, as allocators call all the time. The
 * others set flags on a range (MADV_HUGEPAGE, MADV_DONTFORK...), which may
 * split a mapping. */
static __always_inline bool pages_advice_keeps(__u64 advice)
{
	return advice == 3 /* WILLNEED */ || advice == LT_MADV_DONTNEED || advice == LT_MADV_FREE ||
	       advice == LT_MADV_REMOVE || (advice >= 20 && advice <= 25);
	/* COLD, PAGEOUT, POPULATE_READ/WRITE, DONTNEED_LOCKED, COLLAPSE */
}

SEC("tracepoint/syscalls/sys_enter_madvise")
int pages_madv_enter(struct trace_event_raw_sys_enter *ctx)
{
	if (!pages_advice_keeps(ctx->args[2]))
		pages_map_change(true);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int pages_madv_exit(void *ctx)
{
	if (!pages_advice_keeps(PT_REGS_PARM3_CORE_SYSCALL(lt_user_regs())))
		pages_map_change(false);
	return 0;
}

/* A new image has none of the old one's pages: charged again as they are
 * touched. One pass over the map per exec of a traced process; not under
 * --system, where every exec of the machine would walk every process's
 * pages (200 execs a second made a load 1.2x slower): there the old image's
 * totals go at the next read of the maps (user space forgets them), and
 * its entries are found stale then. A page of the new image at the very
 * address of one of the old image's (address randomization makes it rare),
 * touched before that read, is not charged. */
static __always_inline void pages_exec(__u32 tgid)
{
	struct pages_range r = { .tgid = tgid, .end = ~0ULL };

	if (pages_on && !trace_all)
		bpf_for_each_map_elem(&allocs, pages_scan_cb, &r, 0);
}
