/* SPDX-License-Identifier: GPL-2.0-only */
/* Where exactly to put an entry probe in a function. A uprobe on an instruction
 * the kernel emulates costs one trap; any other is single-stepped out of line,
 * ten times dearer (see README's figures). So the probe goes on the first
 * instruction of the function's straight-line start that the kernel emulates,
 * provided that everything before it leaves the argument registers (and, for
 * a function that also gets a return probe, the stack pointer) as they were
 * at the entry, and that no branch in the function lands between the entry
 * and that instruction. Otherwise it goes on the entry. */
#ifndef LT_PROBEPOINT_H
#define LT_PROBEPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct probe_site {
	__u32 offset;  /* bytes from the function's start */
	bool emulated; /* the kernel emulates the instruction there */
	char insn[48]; /* that instruction, disassembled, for -v */
};

/* Chooses the probe site for the function whose code is @code (@len bytes,
 * the whole function when its size is known, else as many as available),
 * taking @nr_args integer arguments in registers. @keep_sp requires the stack
 * pointer to be unchanged at the site (a return probe there must find the
 * return address at the top of the stack). @machine is the ELF e_machine.
 * Falls back to offset 0 and never fails for lack of a better site. Returns
 * 0, or -EINVAL if the code cannot be decoded at all. */
int probepoint__choose(unsigned int machine, const void *code, size_t len, unsigned int nr_args,
		       bool keep_sp, struct probe_site *out);

#endif
