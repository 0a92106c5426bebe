/* SPDX-License-Identifier: GPL-2.0-only */
/* A module's call frame information (.eh_frame, .debug_frame), checked before
 * libdw runs any of it, and handed to libdw as a copy of only what was
 * checked; and the one decoder of the rules libdw finds in it. */
#ifndef LT_CFI_H
#define LT_CFI_H

#include <gelf.h>
#include <elfutils/libdw.h>
#include <linux/types.h>

struct cfi;

/* Checks the CFI sections of @elf (64-bit) and copies them. Returns NULL with
 * errno set: ENOENT when there are none, EINVAL when libdw must not run them
 * (a register number or a nesting of states past what any compiler writes,
 * an encoding or augmentation libdw would misread), E2BIG when they are too
 * big or following them row by row would take too long, ENOMEM. */
struct cfi *cfi__open(Elf *elf);
void cfi__free(struct cfi *c); /* accepts NULL */

/* libdw's view of the checked .eh_frame and .debug_frame; NULL for one the
 * module has not. Valid until cfi__free(). */
Dwarf_CFI *cfi__eh_frame(struct cfi *c);
Dwarf_CFI *cfi__debug_frame(struct cfi *c);

/* How the caller's frame is found: the canonical frame address (CFA). */
enum cfi_cfa_rule {
	CFI_CFA_OTHER, /* a rule not decoded here */
	CFI_CFA_REG,   /* register + offset */
	CFI_CFA_DEREF, /* the word at register + offset */
	CFI_CFA_PLT,   /* x86-64 .plt: rsp + 8, and 8 more where (rip & 15) >= offset */
};

/* Where a register of the caller's frame is. */
enum cfi_reg_rule {
	CFI_REG_OTHER,	   /* a rule not decoded here */
	CFI_REG_UNDEFINED, /* lost: for the return address, the outermost frame */
	CFI_REG_SAME,	   /* the register still holds it */
	CFI_REG_AT_CFA,	   /* saved at CFA + offset */
};

/* The rules for one range of addresses, as far as leaktrace follows them:
 * the CFA, the return address and the frame pointer. */
struct cfi_row {
	__u64 start, end; /* the addresses they hold for: [start, end) */
	int ra_reg;	  /* the return address's DWARF register, -1 if unknown */
	enum cfi_cfa_rule cfa;
	int cfa_reg;
	__s64 cfa_off; /* CFI_CFA_PLT: the threshold */
	enum cfi_reg_rule ra, fp;
	__s64 ra_off, fp_off; /* CFI_REG_AT_CFA: the offset */
};

/* The one decoder of CFA rules: the row of @cfi that covers @pc (an address
 * in @cfi's own ELF address space), with the rule for register @fp_reg (the
 * psABI's frame pointer) as .fp. Returns 0, or -ENOENT when @cfi covers no
 * @pc (or libdw cannot read its record). */
int cfi_row__find(Dwarf_CFI *cfi, __u64 pc, int fp_reg, struct cfi_row *row);

/* The same in @c's .eh_frame, then in its .debug_frame. */
int cfi__row(struct cfi *c, __u64 pc, int fp_reg, struct cfi_row *row);

/* The DWARF number of the stack pointer of the psABI of ELF machine
 * @machine, or -1 when unknown. */
int cfi_sp_regno(unsigned int machine);
/* The DWARF number of the frame pointer of the psABI whose stack pointer is
 * @sp, or -1. */
int cfi_fp_regno(int sp);
/* The offset from the stack pointer to the return address in @row (@sp:
 * the stack pointer's number): only "CFA = SP + k" and "RA saved at
 * CFA + n" are understood, and aarch64's leaf that keeps it in x30
 * (LT_RA_IN_LINK_REG). Returns 0 or -EINVAL. */
int cfi_row__ra_offset(const struct cfi_row *row, int sp, __u64 *sp_offset);
/* Where @row keeps the caller's frame pointer: *@fp_offset from the stack
 * pointer, or -1 if the register still holds it. Returns 0 or -EINVAL. */
int cfi_row__fp_offset(const struct cfi_row *row, int sp, __s64 *fp_offset);

#endif
