// SPDX-License-Identifier: GPL-2.0-only
/* Call frame information from a module a traced process maps, checked before
 * libdw runs it. libdw (elfutils 0.188) runs CFI as it comes: an instruction
 * naming register N grows the frame's register array to N + 1 entries, up to
 * 2^27 of them (2 GiB, allocated and cleared on every lookup: one such
 * instruction in a 3-byte function made its table cost 16 s and 1 GiB), each
 * DW_CFA_remember_state copies the frame, and an FDE's program is run from
 * its start for each row, so a long FDE costs the square of its length (one
 * of 1 MiB: 13 minutes). So every record libdw can reach is checked the way
 * libdw reads it, and libdw is given a copy of the checked sections alone,
 * padded, in an ELF image of their own: not .eh_frame_hdr, whose table may
 * send libdw to any offset, in the middle of another record, nor anything
 * else of the module. The rules libdw finds are decoded here too, once for
 * every reader (cfi_row__find()): the unwind tables and the symbolizer's
 * syscall wrappers. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <dwarf.h>
#include <linux/types.h>
#include "array.h"
#include "cfi.h"
#include "leaktrace.h"

/* x86-64's DWARF register numbers end at 125 (k7), and compilers nest
 * DW_CFA_remember_state once or twice. */
#define CFI_MAX_REG 127
#define CFI_MAX_DEPTH 16
/* Bytes of one CFI section; libLLVM's .eh_frame has 5 MiB. */
#define CFI_MAX_SIZE (256u << 20)
/* What following every FDE row by row may cost. libdw runs an FDE's program
 * from its start for each row asked for, so a module costs about the sum of
 * its FDE programs' squared lengths: 3.6e8 (bytes^2) for libLLVM-14, whose
 * table takes 0.9 s in all; one FDE of 72 KB alone, 5.2e9 and 3.8 s. */
#define CFI_MAX_WORK (1ULL << 32)
/* Zeros after each copied section: what an advance (DW_CFA_advance_loc4,
 * DW_CFA_MIPS_advance_loc8) at the end of a program may read past it. */
#define CFI_PAD 16

struct cfi {
	char *image;
	Elf *elf;
	Dwarf *dw;
	Dwarf_CFI *eh_frame, *debug_frame;
};

/* A CIE of the record chain, and what its FDEs need of it. */
struct cfi_cie {
	Dwarf_Off off;
	__u8 fde_encoding;
	bool sized; /* augmentation "z...": FDEs have an augmentation length */
};

struct cfi_cies {
	struct cfi_cie *v;
	size_t nr, cap;
};

struct cfi_in {
	const __u8 *p, *end;
};

/* A LEB128 number, as libdw's get_uleb128() reads one: at most 10 bytes,
 * all ones (and nothing read) at the end of the input or when the 10th byte
 * is not the last: a register cut off by the end of a program is refused.
 * Signed numbers take the same bytes. */
static __u64 in__leb(struct cfi_in *in)
{
	size_t left = in->p < in->end ? (size_t)(in->end - in->p) : 0;
	size_t max = left < 10 ? left : 10;
	__u64 v = 0;

	for (size_t i = 0; i < max; i++) {
		__u8 b = *in->p++;

		v |= (__u64)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			return v;
	}
	return ~0ULL;
}

/* The bytes of a value in encoding @enc (DW_EH_PE_*) as libdw reads them
 * from an FDE or a DW_CFA_set_loc, or 0 when it can read it in no way a
 * compiler writes (then the module is refused). */
static size_t encoded_size(__u8 enc, const struct cfi_in *in)
{
	switch (enc & 0x70) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_pcrel:
	case DW_EH_PE_textrel:
	case DW_EH_PE_datarel:
		break;
	default:
		return 0;
	}
	if (enc & DW_EH_PE_indirect)
		return 0;
	switch (enc & 0x0f) {
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		return 2;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		return 4;
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		return 8;
	case DW_EH_PE_uleb128:
	case DW_EH_PE_sleb128: {
		struct cfi_in c = *in;

		in__leb(&c);
		return c.p > in->p ? (size_t)(c.p - in->p) : 1;
	}
	}
	return 0;
}

/* Walks an instruction stream as libdw's execute_cfi() does, to where it
 * would stop. -EINVAL for a register past CFI_MAX_REG or states nested past
 * CFI_MAX_DEPTH. */
static int check_program(const __u8 *p, const __u8 *end, __u8 fde_encoding)
{
	struct cfi_in in = { p, end };
	unsigned int depth = 0;

	while (in.p < in.end) {
		__u8 op = *in.p++;
		__u64 reg = 0, len;
		size_t n;

		switch (op & 0xc0) {
		case DW_CFA_advance_loc:
		case DW_CFA_restore:
			continue;
		case DW_CFA_offset:
			in__leb(&in);
			continue;
		}
		switch (op) {
		case DW_CFA_nop:
		case DW_CFA_GNU_window_save: /* registers 8 to 31 */
			continue;
		case DW_CFA_advance_loc1:
		case DW_CFA_advance_loc2:
		case DW_CFA_advance_loc4:
		case DW_CFA_MIPS_advance_loc8:
			n = op == DW_CFA_advance_loc1	? 1
			    : op == DW_CFA_advance_loc2 ? 2
			    : op == DW_CFA_advance_loc4 ? 4
							: 8;
			/* libdw reads past the end (into the padding) and stops */
			if ((size_t)(in.end - in.p) < n)
				return 0;
			in.p += n;
			continue;
		case DW_CFA_set_loc:
			n = encoded_size(fde_encoding, &in);
			if (!n)
				return -EINVAL;
			if ((size_t)(in.end - in.p) < n)
				return 0;
			in.p += n;
			continue;
		case DW_CFA_remember_state:
			if (++depth > CFI_MAX_DEPTH)
				return -EINVAL;
			continue;
		case DW_CFA_restore_state:
			if (!depth)
				return 0; /* libdw stops: nothing to restore */
			depth--;
			continue;
		case DW_CFA_def_cfa_offset:
		case DW_CFA_def_cfa_offset_sf:
		case DW_CFA_GNU_args_size:
			in__leb(&in);
			continue;
		case DW_CFA_def_cfa_expression:
			len = in__leb(&in);
			if (len > (__u64)(in.end - in.p))
				return 0;
			in.p += len;
			continue;
		case DW_CFA_undefined:
		case DW_CFA_same_value:
		case DW_CFA_restore_extended:
		case DW_CFA_def_cfa_register:
			reg = in__leb(&in);
			break;
		case DW_CFA_offset_extended:
		case DW_CFA_offset_extended_sf:
		case DW_CFA_GNU_negative_offset_extended:
		case DW_CFA_val_offset:
		case DW_CFA_val_offset_sf:
		case DW_CFA_def_cfa:
		case DW_CFA_def_cfa_sf:
			reg = in__leb(&in);
			in__leb(&in);
			break;
		case DW_CFA_register:
			reg = in__leb(&in);
			if (in__leb(&in) > CFI_MAX_REG)
				return -EINVAL;
			break;
		case DW_CFA_expression:
		case DW_CFA_val_expression:
			reg = in__leb(&in);
			if (reg > CFI_MAX_REG)
				return -EINVAL;
			len = in__leb(&in);
			if (len > (__u64)(in.end - in.p))
				return 0;
			in.p += len;
			continue;
		default:
			return 0; /* libdw stops at an instruction it does not know */
		}
		if (reg > CFI_MAX_REG)
			return -EINVAL;
	}
	return 0;
}

/* Checks a CIE's augmentation as libdw's intern_new_cie() reads it, and its
 * initial instructions, and notes it in @cies. */
static int check_cie(struct cfi_cies *cies, Dwarf_Off off, const Dwarf_CIE *cie)
{
	struct cfi_cie c = { .off = off, .fde_encoding = DW_EH_PE_absptr };
	const char *a = cie->augmentation;
	size_t used = 0;
	int err;

	if (cie->return_address_register > CFI_MAX_REG)
		return -EINVAL;
	/* Without "z" libdw can only guess where the instructions start. */
	if (a[0] && a[0] != 'z')
		return -EINVAL;
	for (; *a; a++) {
		__u8 enc;

		if (*a == 'z') {
			c.sized = true;
			continue;
		}
		if (*a != 'R' && *a != 'L' && *a != 'P')
			continue; /* 'S', or one libdw skips (after "z") */
		/* libdw reads the data without checking its size */
		if (used >= cie->augmentation_data_size)
			return -EINVAL;
		enc = cie->augmentation_data[used++];
		if (*a == 'R')
			c.fde_encoding = enc;
		if (*a != 'P' || enc == DW_EH_PE_omit)
			continue;
		/* the personality routine's pointer, sized as libdw sizes it */
		switch (enc & 0x07) {
		case DW_EH_PE_udata2:
			used += 2;
			break;
		case DW_EH_PE_udata4:
			used += 4;
			break;
		case DW_EH_PE_absptr:
		case DW_EH_PE_udata8:
			used += 8;
			break;
		case DW_EH_PE_uleb128:
			return -EINVAL; /* libdw's size of it is not the value's */
		}
		if (used > cie->augmentation_data_size)
			return -EINVAL;
	}
	/* libdw reads absptr as 8 bytes in a 64-bit file */
	if ((c.fde_encoding & 0x0f) == DW_EH_PE_absptr)
		c.fde_encoding |= DW_EH_PE_udata8;
	if (!encoded_size(c.fde_encoding, &(struct cfi_in){ NULL, NULL }))
		return -EINVAL;
	err = check_program(cie->initial_instructions, cie->initial_instructions_end,
			    c.fde_encoding);
	if (err)
		return err;
	if (ARRAY_RESERVE(cies->v, cies->cap, cies->nr + 1))
		return -ENOMEM;
	cies->v[cies->nr++] = c;
	return 0;
}

static const struct cfi_cie *cies__find(const struct cfi_cies *cies, Dwarf_Off off)
{
	size_t lo = 0, hi = cies->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cies->v[mid].off == off)
			return &cies->v[mid];
		if (cies->v[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Checks an FDE's instructions, found as libdw's intern_fde() finds them,
 * and adds the square of their length to *@work. An FDE whose CIE is not one
 * of the chain's is refused: a linker never writes one, and libdw would read
 * a record the chain walk has not checked. */
static int check_fde(const struct cfi_cies *cies, const Dwarf_FDE *fde, const Elf_Data *d,
		     __u64 *work)
{
	const struct cfi_cie *cie = cies__find(cies, fde->CIE_pointer);
	const __u8 *end = (const __u8 *)d->d_buf + d->d_size;
	struct cfi_in in = { fde->start, end };
	size_t n;
	__u64 len;

	if (!cie)
		return -EINVAL;
	/* initial_location and address_range, read up to the section's end */
	n = encoded_size(cie->fde_encoding, &in);
	if ((size_t)(in.end - in.p) < n)
		return 0; /* libdw cannot read the FDE, and skips it */
	in.p += n;
	n = encoded_size(cie->fde_encoding & 0x0f, &in);
	if (!n || (size_t)(in.end - in.p) < n)
		return 0;
	in.p += n;
	/* past the record's end: libdw runs nothing of it */
	if (in.p >= fde->end)
		return 0;
	in.end = fde->end;
	if (cie->sized) {
		len = in__leb(&in);
		if (len > (__u64)(in.end - in.p))
			return 0;
		in.p += len;
	}
	if (in.p < in.end) {
		len = in.end - in.p;
		*work += len * len;
	}
	return check_program(in.p, in.end, cie->fde_encoding);
}

/* Walks the records of @d as libdw's linear search does (dwarf_next_cfi()
 * from offset 0, past a record it cannot read if it can), checking each:
 * the CIEs first, so that an FDE may name a later one. Adds the cost of
 * following its FDEs to *@work. */
static int check_section(const unsigned char *ident, Elf_Data *d, bool eh, __u64 *work)
{
	struct cfi_cies cies = { 0 };
	int err = 0;

	for (int pass = 0; pass < 2 && !err; pass++) {
		Dwarf_Off off = 0, next;
		Dwarf_CFI_Entry e;
		int r;

		for (;;) {
			next = off;
			r = dwarf_next_cfi(ident, d, eh, off, &next, &e);
			if (r > 0 || (r < 0 && (next == off || next == (Dwarf_Off)-1)))
				break;
			if (r == 0 && dwarf_cfi_cie_p(&e) && !pass)
				err = check_cie(&cies, off, &e.cie);
			else if (r == 0 && !dwarf_cfi_cie_p(&e) && pass)
				err = check_fde(&cies, &e.fde, d, work);
			if (err)
				break;
			/* records come in order; anything else loops */
			if (next <= off)
				break;
			off = next;
		}
	}
	free(cies.v);
	return err;
}

/* The data of CFI section @scn as libdw reads it, decompressed. */
static Elf_Data *section_data(Elf_Scn *scn, const GElf_Shdr *sh)
{
	GElf_Chdr ch;

	if (sh->sh_type == SHT_NOBITS)
		return NULL;
	if (sh->sh_flags & SHF_COMPRESSED) {
		if (!gelf_getchdr(scn, &ch) || ch.ch_size > CFI_MAX_SIZE ||
		    elf_compress(scn, 0, 0) < 0)
			return NULL;
	}
	return elf_getdata(scn, NULL);
}

struct cfi_sec {
	bool eh; /* .eh_frame, else .debug_frame */
	GElf_Shdr sh;
	Elf_Data *d;
};

/* The image's section names, and where each starts in it. */
static const char shstrtab[] = "\0.shstrtab\0.eh_frame\0.debug_frame";
enum {
	NAME_SHSTRTAB = 1,
	NAME_EH_FRAME = 11,
	NAME_DEBUG_FRAME = 21,
};

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* Lays out an ELF image holding @secs (the checked sections, at their
 * addresses, each followed by CFI_PAD zeros) and opens it. */
static int cfi__make_image(struct cfi *c, const unsigned char *ident, const struct cfi_sec *secs,
			   size_t nr)
{
	Elf64_Shdr *sh;
	Elf64_Ehdr *eh;
	size_t len = ALIGN8(sizeof(*eh) + sizeof(shstrtab)), off, i;

	for (i = 0; i < nr; i++)
		len = ALIGN8(len + secs[i].d->d_size + CFI_PAD);
	c->image = calloc(1, len + (nr + 2) * sizeof(*sh));
	if (!c->image)
		return -ENOMEM;
	eh = (Elf64_Ehdr *)c->image;
	sh = (Elf64_Shdr *)(c->image + len);
	memcpy(eh->e_ident, ident, EI_NIDENT);
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shoff = len;
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = nr + 2;
	eh->e_shstrndx = 1;
	memcpy(c->image + sizeof(*eh), shstrtab, sizeof(shstrtab));
	sh[1] = (Elf64_Shdr){ .sh_name = NAME_SHSTRTAB,
			      .sh_type = SHT_STRTAB,
			      .sh_offset = sizeof(*eh),
			      .sh_size = sizeof(shstrtab),
			      .sh_addralign = 1 };
	off = ALIGN8(sizeof(*eh) + sizeof(shstrtab));
	for (i = 0; i < nr; i++) {
		const struct cfi_sec *s = &secs[i];

		memcpy(c->image + off, s->d->d_buf, s->d->d_size);
		sh[i + 2] = (Elf64_Shdr){
			.sh_name = s->eh ? NAME_EH_FRAME : NAME_DEBUG_FRAME,
			.sh_type = SHT_PROGBITS,
			.sh_flags = s->sh.sh_flags & SHF_ALLOC,
			.sh_addr = s->sh.sh_addr,
			.sh_offset = off,
			.sh_size = s->d->d_size,
			.sh_addralign = 8,
		};
		off = ALIGN8(off + s->d->d_size + CFI_PAD);
	}
	c->elf = elf_memory(c->image, len + (nr + 2) * sizeof(*sh));
	return c->elf ? 0 : -ENOMEM;
}

struct cfi *cfi__open(Elf *elf)
{
	struct cfi_sec secs[2];
	const unsigned char *ident = (const unsigned char *)elf_getident(elf, NULL);
	bool have_eh = false, have_df = false;
	__u64 work = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx, nr = 0;
	struct cfi *c;
	int err = 0;

	/* the image is written in this machine's order, x86-64's */
	if (!ident || ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB ||
	    elf_getshdrstrndx(elf, &shstrndx)) {
		errno = EINVAL;
		return NULL;
	}
	/* libdw takes the first section of each name */
	while ((scn = elf_nextscn(elf, scn)) && nr < 2) {
		struct cfi_sec *s = &secs[nr];
		const char *name;
		bool eh;

		if (!gelf_getshdr(scn, &s->sh))
			continue;
		name = elf_strptr(elf, shstrndx, s->sh.sh_name);
		if (!name)
			continue;
		eh = !strcmp(name, ".eh_frame");
		if (!(eh && !have_eh) && !(!strcmp(name, ".debug_frame") && !have_df))
			continue;
		have_eh |= eh;
		have_df |= !eh;
		s->eh = eh;
		if (s->sh.sh_size > CFI_MAX_SIZE) {
			err = -E2BIG;
			break;
		}
		s->d = section_data(scn, &s->sh);
		if (!s->d || !s->d->d_buf || s->d->d_size > CFI_MAX_SIZE)
			continue;
		err = check_section(ident, s->d, eh, &work);
		if (!err && work > CFI_MAX_WORK)
			err = -E2BIG;
		if (err)
			break;
		nr++;
	}
	if (!err && !nr)
		err = -ENOENT;
	if (err) {
		errno = -err;
		return NULL;
	}

	c = calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	err = cfi__make_image(c, ident, secs, nr);
	if (err)
		goto cleanup;
	for (size_t i = 0; i < nr; i++) {
		if (secs[i].eh) {
			c->eh_frame = dwarf_getcfi_elf(c->elf);
		} else {
			c->dw = dwarf_begin_elf(c->elf, DWARF_C_READ, NULL);
			c->debug_frame = c->dw ? dwarf_getcfi(c->dw) : NULL;
		}
	}
	if (!c->eh_frame && !c->debug_frame) {
		err = -ENOENT;
		goto cleanup;
	}
	return c;
cleanup:
	cfi__free(c);
	errno = -err;
	return NULL;
}

void cfi__free(struct cfi *c)
{
	if (!c)
		return;
	if (c->eh_frame)
		dwarf_cfi_end(c->eh_frame);
	if (c->dw)
		dwarf_end(c->dw);
	elf_end(c->elf);
	free(c->image);
	free(c);
}

Dwarf_CFI *cfi__eh_frame(struct cfi *c)
{
	return c->eh_frame;
}

Dwarf_CFI *cfi__debug_frame(struct cfi *c)
{
	return c->debug_frame;
}

/* x86-64's DWARF numbers of the registers in the .plt rule */
#define X86_64_RSP 7
#define X86_64_RIP 16

/* "register + offset" as libdw writes it; false for anything else. */
static bool op__breg(const Dwarf_Op *op, int *reg, __s64 *off)
{
	if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg31) {
		*reg = op->atom - DW_OP_breg0;
		*off = (__s64)op->number;
		return true;
	}
	if (op->atom == DW_OP_bregx) {
		*reg = (int)op->number;
		*off = (__s64)op->number2;
		return true;
	}
	return false;
}

/* The x86-64 PLT rule binutils writes for .plt: CFA = rsp + 8, + 8 once the
 * entry's push is done, "rsp + 8 + ((rip & 15) >= N) << 3". Returns N or -1. */
static int plt_threshold(const Dwarf_Op *ops, size_t nops)
{
	int reg;
	__s64 off;

	if (nops != 9 || !op__breg(&ops[0], &reg, &off) || reg != X86_64_RSP || off != 8 ||
	    !op__breg(&ops[1], &reg, &off) || reg != X86_64_RIP || ops[2].atom != DW_OP_lit15 ||
	    ops[3].atom != DW_OP_and || ops[4].atom < DW_OP_lit0 || ops[4].atom > DW_OP_lit31 ||
	    ops[5].atom != DW_OP_ge || ops[6].atom != DW_OP_lit3 || ops[7].atom != DW_OP_shl ||
	    ops[8].atom != DW_OP_plus)
		return -1;
	return ops[4].atom - DW_OP_lit0;
}

static void frame__cfa(Dwarf_Frame *fr, struct cfi_row *row)
{
	Dwarf_Op *ops;
	size_t nops;
	int plt;

	if (dwarf_frame_cfa(fr, &ops, &nops) || !nops)
		return;
	if (nops == 1 && op__breg(&ops[0], &row->cfa_reg, &row->cfa_off)) {
		row->cfa = CFI_CFA_REG;
	} else if (nops == 2 && ops[1].atom == DW_OP_deref &&
		   op__breg(&ops[0], &row->cfa_reg, &row->cfa_off)) {
		row->cfa = CFI_CFA_DEREF;
	} else if ((plt = plt_threshold(ops, nops)) >= 0) {
		row->cfa = CFI_CFA_PLT;
		row->cfa_reg = X86_64_RSP;
		row->cfa_off = plt;
	}
}

/* The rule for register @reg in @fr, and its offset for CFI_REG_AT_CFA. */
static enum cfi_reg_rule frame__reg(Dwarf_Frame *fr, int reg, __s64 *off)
{
	Dwarf_Op mem[3], *ops;
	size_t nops;

	*off = 0;
	if (reg < 0 || dwarf_frame_register(fr, reg, mem, &ops, &nops))
		return CFI_REG_OTHER;
	/* no operations: libdw points at @mem for "undefined", gives NULL for
	 * "same value" */
	if (!nops)
		return ops == mem ? CFI_REG_UNDEFINED : CFI_REG_SAME;
	if (!ops || nops > 2 || ops[0].atom != DW_OP_call_frame_cfa)
		return CFI_REG_OTHER;
	if (nops == 1)
		return CFI_REG_AT_CFA;
	/* libdw keeps the rule's signed offset in .number */
	if (ops[1].atom != DW_OP_plus_uconst)
		return CFI_REG_OTHER;
	*off = (__s64)ops[1].number;
	return CFI_REG_AT_CFA;
}

int cfi_row__find(Dwarf_CFI *cfi, __u64 pc, int fp_reg, struct cfi_row *row)
{
	Dwarf_Addr start, end;
	Dwarf_Frame *fr;

	memset(row, 0, sizeof(*row));
	row->ra_reg = -1;
	if (!cfi || dwarf_cfi_addrframe(cfi, pc, &fr))
		return -ENOENT;
	row->ra_reg = dwarf_frame_info(fr, &start, &end, NULL);
	if (row->ra_reg < 0) {
		/* found, but with no rules to say: a range of no length */
		row->ra_reg = -1;
		row->start = row->end = pc;
		free(fr);
		return 0;
	}
	row->start = start;
	row->end = end;
	frame__cfa(fr, row);
	row->ra = frame__reg(fr, row->ra_reg, &row->ra_off);
	row->fp = frame__reg(fr, fp_reg, &row->fp_off);
	free(fr);
	return 0;
}

int cfi__row(struct cfi *c, __u64 pc, int fp_reg, struct cfi_row *row)
{
	if (!cfi_row__find(c->eh_frame, pc, fp_reg, row))
		return 0;
	return cfi_row__find(c->debug_frame, pc, fp_reg, row);
}

/* --- what a row says of the stack pointer, the return address and the
 * frame pointer --- */

int cfi_sp_regno(unsigned int machine)
{
	/* the DWARF register numbers of each psABI */
	switch (machine) {
	case EM_X86_64:
		return 7;
	case EM_386:
		return 4;
	case EM_AARCH64:
		return 31;
	case EM_ARM:
		return 13;
	case EM_RISCV:
		return 2;
	case EM_PPC:
	case EM_PPC64:
		return 1;
	case EM_S390:
		return 15;
	default:
		return -1;
	}
}

/* The DWARF number of the frame pointer of the psABI whose stack pointer is
 * @sp, or -1. */
int cfi_fp_regno(int sp)
{
	switch (sp) {
	case 7: /* x86-64: rbp */
		return 6;
	case 31: /* aarch64: x29 */
		return 29;
	default:
		return -1;
	}
}

/* The offset from the stack pointer to the return address in @row; only
 * the rules "CFA = SP + k" and "RA saved at CFA + n" are understood, and
 * where the return address has a register of its own (aarch64's x30) and
 * a leaf keeps it there ("same value"), LT_RA_IN_LINK_REG. */
int cfi_row__ra_offset(const struct cfi_row *row, int sp, __u64 *sp_offset)
{
	if (row->ra_reg < 0 || sp < 0 || row->cfa != CFI_CFA_REG || row->cfa_reg != sp)
		return -EINVAL;
	/* "same value", or no rule (libdw says undefined), which for
	 * aarch64's x30 at a leaf's CFA = SP means the same */
	if (sp == 31 && row->ra_reg == 30 && row->cfa_off == 0 &&
	    (row->ra == CFI_REG_SAME || row->ra == CFI_REG_UNDEFINED)) {
		*sp_offset = (__u64)(__s64)LT_RA_IN_LINK_REG;
		return 0;
	}
	if (row->ra != CFI_REG_AT_CFA || row->cfa_off + row->ra_off < 0)
		return -EINVAL;
	*sp_offset = row->cfa_off + row->ra_off;
	return 0;
}

/* Where @row keeps the caller's frame pointer: *@fp_offset from the stack
 * pointer, or -1 if the register still holds it. Only "CFA = SP + k" and
 * "saved at CFA + n" or "same value" are understood. */
int cfi_row__fp_offset(const struct cfi_row *row, int sp, __s64 *fp_offset)
{
	if (cfi_fp_regno(sp) < 0 || row->cfa != CFI_CFA_REG || row->cfa_reg != sp)
		return -EINVAL;
	/* "same value" (or undefined, which callee-saved registers are not
	 * in code that follows the psABI) */
	if (row->fp == CFI_REG_SAME || row->fp == CFI_REG_UNDEFINED) {
		*fp_offset = -1;
		return 0;
	}
	if (row->fp != CFI_REG_AT_CFA || row->cfa_off + row->fp_off < 0)
		return -EINVAL;
	*fp_offset = row->cfa_off + row->fp_off;
	return 0;
}
