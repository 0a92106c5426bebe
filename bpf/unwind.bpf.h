/* SPDX-License-Identifier: GPL-2.0-only */
/* Native stacks through code built without frame pointers: each frame's caller
 * is found with the unwind table user space derived from its module's
 * .eh_frame or .debug_frame (user/unwind.c). Tables live in one array of rows
 * shared by every module and process; a process's executable mappings say
 * which rows are whose. Where a frame's code has no table, the frame-pointer
 * walk of record.bpf.h goes on from the registers recovered so far.
 * Included once, by leaktrace.bpf.c. */

/* Whether stacks are walked with the tables at all (--unwind). */
const volatile __u32 unwind_tables = 0;

/* Steps of the binary searches: over LT_UNW_MAX_MAPS mappings, and over the
 * rows of one module (user space keeps modules below 1 << LT_UNW_ROW_STEPS). */
#define LT_UNW_MAP_STEPS 9
#define LT_UNW_ROW_STEPS 24

/* The largest frame believed (default stacks are 8 MiB): past it, a rule
 * applied to the wrong code. */
#define LT_UNW_MAX_FRAME (8ULL << 20)

/* Offsets in a signal frame's ucontext (at rsp in the trampoline) of the
 * interrupted rbp, rsp and rip: uc_mcontext is at 40, and its rbp, rsp and
 * rip are general registers 10, 15 and 16 (asm/sigcontext.h). */
#define LT_UC_RBP 120
#define LT_UC_RSP 160
#define LT_UC_RIP 168

/* The rows, in chunks made and filled by user space as modules come; the
 * number of chunks is set from --unwind-rows. */
struct unw_chunk {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LT_UNW_CHUNK_ROWS);
	/* sizes, not types: clang gives an inner map's value type no more
	 * than a forward declaration */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct lt_unw_row));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct unw_chunk);
} unwrows SEC(".maps");

/* Row @i, or NULL where its chunk is not there. */
static __always_inline const struct lt_unw_row *unw_row(__u32 i)
{
	__u32 chunk = i >> LT_UNW_CHUNK_SHIFT, off = i & (LT_UNW_CHUNK_ROWS - 1);
	void *rows = bpf_map_lookup_elem(&unwrows, &chunk);

	return rows ? bpf_map_lookup_elem(rows, &off) : NULL;
}

/* Executable mappings per process, with their modules' rows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LT_UNW_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct lt_unw_proc);
} unwprocs SEC(".maps");

/* --system: the processes whose stacks wanted tables they do not have yet
 * (tgid -> 0), each put here once; user space makes their tables, a thread
 * of its own polling this map (user/unwind.c), and removes them. Full: the
 * next stack asks again. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, LT_UNW_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u32);
} unwwant SEC(".maps");

/* The frames of the walk in progress: the per-frame step runs under bpf_loop,
 * whose callback has no pointer into the caller's destination. */
struct unw_frames {
	__u64 ips[LT_MAX_STACK_DEPTH + 1]; /* a power of two, for the mask below */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unw_frames);
} unwframes SEC(".maps");

#define UNW_EXACT 1   /* ip is where the frame is, not a return address */
#define UNW_FP_ONLY 2 /* no tables: every frame through its frame pointer */

struct unw_state {
	__u64 ip, sp, bp, h;
	struct lt_uret uret;
	__u32 tgid;
	__u32 n;   /* frames so far, ip's included */
	__u32 max; /* frames wanted */
	__u32 flags;
};

/* One binary search: the first index in [lo, hi) whose address is past
 * key ends in lo. Each step is a bpf_loop round: unrolled, the searches'
 * branches multiply past what the verifier explores. */
struct unw_search {
	const struct lt_unw_proc *p; /* searching its mappings, else rows */
	__u64 key;
	__u32 lo, hi;
};

static long unw_map_step(__u32 index, struct unw_search *s)
{
	__u32 mid;

	if (s->lo >= s->hi)
		return 1;
	mid = (s->lo + s->hi) / 2;
	if (s->p->maps[mid & (LT_UNW_MAX_MAPS - 1)].start <= s->key)
		s->lo = mid + 1;
	else
		s->hi = mid;
	return 0;
}

static long unw_row_step(__u32 index, struct unw_search *s)
{
	const struct lt_unw_row *r;
	__u32 mid;

	if (s->lo >= s->hi)
		return 1;
	mid = s->lo + (s->hi - s->lo) / 2;
	r = unw_row(mid);
	if (!r) {
		s->lo = s->hi = 0;
		return 1;
	}
	if (r->pc <= s->key)
		s->lo = mid + 1;
	else
		s->hi = mid;
	return 0;
}

static __always_inline const struct lt_unw_map *unw_find_map(const struct lt_unw_proc *p, __u64 pc)
{
	struct unw_search s = { .p = p, .key = pc, .lo = 0, .hi = p->nr };
	const struct lt_unw_map *m;

	if (s.hi > LT_UNW_MAX_MAPS)
		s.hi = LT_UNW_MAX_MAPS;
	bpf_loop(LT_UNW_MAP_STEPS, unw_map_step, &s, 0);
	if (!s.lo)
		return NULL;
	m = &p->maps[(s.lo - 1) & (LT_UNW_MAX_MAPS - 1)];
	return pc < m->end ? m : NULL;
}

/* The row covering @pc in @m, or NULL. */
static __always_inline const struct lt_unw_row *unw_find_row(const struct lt_unw_map *m, __u64 pc)
{
	struct unw_search s = { .key = pc - m->bias, .lo = m->row, .hi = m->row + m->nr_rows };
	__u32 first = m->row;

	if (!m->nr_rows || s.key > 0xffffffffULL)
		return NULL;
	bpf_loop(LT_UNW_ROW_STEPS, unw_row_step, &s, 0);
	if (s.lo <= first)
		return NULL;
	s.lo--;
	return unw_row(s.lo);
}

/* Moves @st from its frame to the caller's; returns 1 to end the walk. */
static long unw_step(__u32 index, struct unw_state *st)
{
	const struct lt_unw_proc *p;
	const struct lt_unw_map *m;
	const struct lt_unw_row *r;
	struct unw_frames *f;
	__u64 pc, cfa, ra = 0, regs[7];
	__u32 zero = 0, n = st->n;
	bool fp;

	if (n >= st->max || n >= LT_MAX_STACK_DEPTH)
		return 1;
	/* a return address is past its call: look up the call itself */
	pc = st->flags & UNW_EXACT ? st->ip : st->ip - 1;
	p = st->flags & UNW_FP_ONLY ? NULL : bpf_map_lookup_elem(&unwprocs, &st->tgid);
	m = p ? unw_find_map(p, pc) : NULL;
	/* code that keeps frame pointers, at a return address (so past its
	 * prologue): the fast path, no row to look up */
	fp = m && m->row == LT_UNW_ROW_FP && !(st->flags & UNW_EXACT);
	r = m && !fp ? unw_find_row(m, pc) : NULL;
	if (!r || r->cfa == LT_UNW_NONE) {
		/* no table: this frame's caller through its frame pointer, as
		 * record.bpf.h's walk does; tables again from the caller on */
		if (!fp && !(st->flags & UNW_FP_ONLY))
			lt_count(LT_CNT_UNW_NO_TABLE);
		if (st->bp < st->sp || st->bp - st->sp > LT_UNW_MAX_FRAME || st->bp & 7 ||
		    bpf_probe_read_user(regs, 2 * sizeof(__u64), (void *)st->bp) || !regs[1])
			return 1;
		st->sp = st->bp + 2 * sizeof(__u64);
		st->bp = regs[0];
		st->ip = lt_uret_fix(&st->uret, regs[1]);
		st->flags &= ~UNW_EXACT;
		goto push;
	}
	switch (r->cfa) {
	case LT_UNW_RSP:
		cfa = st->sp + (__s64)r->cfa_off * 8;
		break;
	case LT_UNW_RBP:
		cfa = st->bp + (__s64)r->cfa_off * 8;
		break;
	case LT_UNW_RBP_DEREF:
		if (bpf_probe_read_user(&cfa, sizeof(cfa),
					(void *)(st->bp + (__s64)r->cfa_off * 8)))
			goto bad;
		break;
	case LT_UNW_PLT:
		cfa = st->sp + 8 + ((st->ip & 15) >= (__u64)r->rbp_off ? 8 : 0);
		break;
	case LT_UNW_SIGNAL:
		/* The interrupted code's registers; its pc is no return address. */
		if (bpf_probe_read_user(regs, sizeof(regs), (void *)(st->sp + LT_UC_RBP)) ||
		    !regs[(LT_UC_RIP - LT_UC_RBP) / 8])
			goto bad;
		st->bp = regs[0];
		st->sp = regs[(LT_UC_RSP - LT_UC_RBP) / 8];
		st->ip = regs[(LT_UC_RIP - LT_UC_RBP) / 8];
		st->flags |= UNW_EXACT;
		goto push;
	default: /* LT_UNW_END: the outermost frame */
		return 1;
	}
	/* a caller's frame is above its callee's */
	if (cfa <= st->sp || cfa - st->sp > LT_UNW_MAX_FRAME ||
	    bpf_probe_read_user(&ra, sizeof(ra), (void *)(cfa - 8)))
		goto bad;
	if (r->rbp_off && r->cfa != LT_UNW_PLT &&
	    bpf_probe_read_user(&st->bp, sizeof(st->bp), (void *)(cfa + (__s64)r->rbp_off * 8)))
		goto bad;
	if (!ra)
		return 1;
	st->ip = lt_uret_fix(&st->uret, ra);
	st->sp = cfa;
	st->flags &= ~UNW_EXACT;
push:
	f = bpf_map_lookup_elem(&unwframes, &zero);
	if (!f)
		return 1;
	f->ips[n & LT_MAX_STACK_DEPTH] = st->ip;
	st->h = lt_mix(st->h, st->ip);
	st->n = n + 1;
	return 0;
bad:
	lt_count(LT_CNT_UNW_BAD_READ);
	return 1;
}

/* Walks the stack at (@ip, @fp, @sp) of @tgid: with the tables where the
 * process has them (and unwind_tables is on), through frame pointers for
 * frames whose code has none, or for every frame: frames 1... (frame 0 is
 * @ip) into @ips unless NULL, at most @max in all, each mixed into *@h; the
 * entries of @ips past the last frame, up to stack_depth, are zeroed.
 * Return addresses under pending return probes are taken from @uret.
 * Returns the frames in the stack, @ip's included.
 *
 * One walk is one bpf_loop, whatever the depth and whichever way: the
 * verifier checks its step once, where a loop in line would be checked
 * once per frame, and everything after it once per way out of it (a walk
 * can end at any frame), which multiplied past the limit of Linux 6.1's
 * verifier once the Python frames came after. */
static __always_inline __u32 unw_walk(__u64 ip, __u64 fp, __u64 sp, __u32 tgid, __u64 *h,
				      const struct lt_uret *uret, __u64 *ips, __u32 max)
{
	struct unw_state st = {
		.ip = ip,
		.sp = sp,
		.bp = fp,
		.h = *h,
		.uret = *uret,
		.tgid = tgid,
		.n = 1,
		.max = max,
	};
	const struct lt_unw_proc *p = NULL;
	struct unw_frames *f;
	__u32 zero = 0;

	if (unwind_tables)
		p = bpf_map_lookup_elem(&unwprocs, &tgid);
	if (!unwind_tables) {
		st.flags = UNW_FP_ONLY;
	} else if (!p && trace_all) {
		/* its tables are asked for, once (a lookup first: an update
		 * takes the bucket's lock); meanwhile, frame pointers */
		lt_count(LT_CNT_UNW_WAITING);
		if (!bpf_map_lookup_elem(&unwwant, &tgid))
			bpf_map_update_elem(&unwwant, &tgid, &zero, BPF_NOEXIST);
		st.flags = UNW_FP_ONLY;
	} else if (!p) {
		lt_count(LT_CNT_UNW_NO_TABLE);
		st.flags = UNW_FP_ONLY;
	} else if (p->flags & LT_UNW_PROC_FP) {
		st.flags = UNW_FP_ONLY;
	}
	f = bpf_map_lookup_elem(&unwframes, &zero);
	if (!f)
		return 1;
	/* what the walk leaves of an earlier one past its frames must be 0 */
	if (ips)
		__builtin_memset(f->ips, 0, sizeof(f->ips));
	bpf_loop(LT_MAX_STACK_DEPTH, unw_step, &st, 0);
	*h = st.h;
	/* One copy, no loop: a loop that can end at any frame would leave
	 * the verifier one state after it per frame, each checked on. */
	if (ips && stack_depth > 1)
		bpf_probe_read_kernel(&ips[1], (stack_depth - 1) * sizeof(__u64), &f->ips[1]);
	return st.n;
}
