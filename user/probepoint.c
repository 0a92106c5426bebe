// SPDX-License-Identifier: GPL-2.0-only
/* Choosing where in a function an entry uprobe goes: on x86-64, the first
 * instruction of the straight-line start that the kernel emulates instead of
 * single-stepping, when moving there is provably harmless. Decodes with
 * capstone; every other architecture gets the function's entry. */
#ifdef LT_HAVE_CAPSTONE
#include <capstone/capstone.h>
#endif
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "probepoint.h"

/* Built with the decoder where leaktrace runs on x86-64, the only place
 * where it traces x86-64 code: elsewhere (make ARCH=arm64) capstone's tables
 * for every architecture it knows would be most of a static board binary. */
#ifdef LT_HAVE_CAPSTONE

/* How far the straight-line start reaches: past a few pushes and a check or
 * two, compilers have done what they do before the first branch. */
#define START_MAX_INSNS 16
#define START_MAX_BYTES 64

/* SysV x86-64 integer argument registers, in order. */
static const x86_reg arg_regs[] = {
	X86_REG_RDI, X86_REG_RSI, X86_REG_RDX, X86_REG_RCX, X86_REG_R8, X86_REG_R9,
};

/* Each row: a register we watch, then its parts. Writing %dil or %ecx
 * clobbers the argument in %rdi or %rcx just as well. */
static const x86_reg reg_families[][5] = {
	{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL },
	{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL },
	{ X86_REG_RDX, X86_REG_EDX, X86_REG_DX, X86_REG_DL, X86_REG_DH },
	{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
	{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B },
	{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B },
	{ X86_REG_RSP, X86_REG_ESP, X86_REG_SP, X86_REG_SPL },
	{ X86_REG_RIP, X86_REG_EIP, X86_REG_IP },
};

/* The 64-bit register that @reg is part of, for the registers in
 * reg_families; X86_REG_INVALID (0, which also pads the rows) for others. */
static x86_reg reg__full(unsigned int reg)
{
	size_t i, j;

	if (reg == X86_REG_INVALID)
		return X86_REG_INVALID;
	for (i = 0; i < sizeof(reg_families) / sizeof(reg_families[0]); i++) {
		for (j = 0; j < sizeof(reg_families[0]) / sizeof(reg_families[0][0]); j++) {
			if (reg_families[i][j] == reg)
				return reg_families[i][0];
		}
	}
	return X86_REG_INVALID;
}

/* The instructions arch/x86/kernel/uprobes.c emulates: push reg (optionally
 * with REX.B alone), the one-byte nop, call rel32, jmp rel8/rel32 and jcc
 * rel8/rel32. It refuses branches with a 0x66 prefix; we go further and take
 * none with any prefix, since what each kernel accepts there has changed
 * over the years and a wrong guess only costs speed. */
static bool insn__emulated(const cs_insn *insn)
{
	const __u8 *b = insn->bytes;

	switch (insn->size) {
	case 1:
		return (b[0] >= 0x50 && b[0] <= 0x57) || b[0] == 0x90;
	case 2:
		return (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57) || b[0] == 0xeb ||
		       (b[0] >= 0x70 && b[0] <= 0x7f);
	case 5:
		return b[0] == 0xe8 || b[0] == 0xe9;
	case 6:
		return b[0] == 0x0f && b[1] >= 0x80 && b[1] <= 0x8f;
	default:
		return false;
	}
}

static bool insn__in_group(csh cs, const cs_insn *insn, const cs_group_type *groups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (cs_insn_group(cs, insn, groups[i]))
			return true;
	}
	return false;
}

static bool insn__changes_flow(csh cs, const cs_insn *insn)
{
	static const cs_group_type groups[] = {
		CS_GRP_JUMP, CS_GRP_CALL, CS_GRP_RET,
		CS_GRP_INT,  CS_GRP_IRET, CS_GRP_BRANCH_RELATIVE,
	};

	if (insn__in_group(cs, insn, groups, sizeof(groups) / sizeof(groups[0])))
		return true;
	/* Not in any of those groups, yet execution does not go on after them. */
	switch (insn->id) {
	case X86_INS_UD2:
	case X86_INS_HLT:
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_SYSEXIT:
	case X86_INS_SYSRET:
		return true;
	default:
		return false;
	}
}

/* Whether a probe moved past @insn would see the argument registers (and,
 * with @keep_sp, the stack pointer) as they were at the entry. Unknown
 * effects count as harmful. */
static bool insn__harmless(csh cs, const cs_insn *insn, unsigned int nr_args, bool keep_sp)
{
	uint8_t nr_read, nr_written, i;
	cs_regs read, written;
	unsigned int a;
	x86_reg full;

	if (insn__changes_flow(cs, insn))
		return false;
	if (cs_regs_access(cs, insn, read, &nr_read, written, &nr_written) != CS_ERR_OK)
		return false;
	for (i = 0; i < nr_written; i++) {
		full = reg__full(written[i]);
		if (full == X86_REG_RIP || (keep_sp && full == X86_REG_RSP))
			return false;
		for (a = 0; a < nr_args && a < sizeof(arg_regs) / sizeof(arg_regs[0]); a++) {
			if (full == arg_regs[a])
				return false;
		}
	}
	return true;
}

/* Whether a direct branch anywhere in the function lands in (0, @site]: there
 * a probe would fire twice on one call, or be skipped. Undecodable bytes are
 * stepped over one at a time rather than ending the scan, because a branch
 * missed is a wrong count while a bogus target only costs a cheaper site. */
static bool code__branches_into(csh cs, cs_insn *insn, const __u8 *code, size_t len, __u64 site)
{
	const __u8 *p = code;
	size_t left = len;
	uint64_t addr = 0;
	cs_x86_op *op;
	__u8 i;

	while (left) {
		if (!cs_disasm_iter(cs, &p, &left, &addr, insn)) {
			p++;
			left--;
			addr++;
			continue;
		}
		if (!cs_insn_group(cs, insn, CS_GRP_JUMP) && !cs_insn_group(cs, insn, CS_GRP_CALL))
			continue;
		for (i = 0; i < insn->detail->x86.op_count; i++) {
			op = &insn->detail->x86.operands[i];
			/* Capstone resolves relative targets against addr, which
			 * counts from the function's start. */
			if (op->type == X86_OP_IMM && op->imm > 0 && (__u64)op->imm <= site)
				return true;
		}
	}
	return false;
}

static void probe_site__describe(struct probe_site *out, const cs_insn *insn)
{
	size_t size = sizeof(out->insn);
	int n;

	n = snprintf(out->insn, size, "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
		     insn->op_str);
	/* Long AVX-512 operand lists do not fit; show that the line is cut. */
	if (n >= (int)size)
		memcpy(out->insn + size - 4, "...", 4);
}

static int probepoint__choose_x86_64(const __u8 *code, size_t len, unsigned int nr_args,
				     bool keep_sp, struct probe_site *out)
{
	const __u8 *p = code;
	cs_insn *insn = NULL;
	size_t left = len;
	uint64_t addr = 0;
	__u64 site = 0;
	unsigned int n;
	csh cs;
	int err;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -EINVAL;
	/* AT&T, so that -v output reads like objdump's. */
	if (cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK ||
	    cs_option(cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT) != CS_ERR_OK) {
		err = -EINVAL;
		goto cleanup;
	}
	insn = cs_malloc(cs);
	if (!insn) {
		err = -ENOMEM;
		goto cleanup;
	}

	for (n = 0; n < START_MAX_INSNS && addr < START_MAX_BYTES; n++) {
		if (!cs_disasm_iter(cs, &p, &left, &addr, insn)) {
			if (!n) {
				err = -EINVAL;
				goto cleanup;
			}
			break;
		}
		if (insn__emulated(insn)) {
			site = insn->address;
			break;
		}
		if (!insn__harmless(cs, insn, nr_args, keep_sp))
			break;
	}
	if (site && code__branches_into(cs, insn, code, len, site))
		site = 0;

	/* Decode the chosen instruction again: the scan above reused insn. */
	p = code + site;
	left = len - site;
	addr = site;
	if (!cs_disasm_iter(cs, &p, &left, &addr, insn)) {
		err = -EINVAL;
		goto cleanup;
	}
	out->offset = (__u32)site;
	out->emulated = insn__emulated(insn);
	probe_site__describe(out, insn);
	err = 0;

cleanup:
	if (insn)
		cs_free(insn, 1);
	cs_close(&cs);
	return err;
}

#endif /* LT_HAVE_CAPSTONE */

int probepoint__choose(unsigned int machine, const void *code, size_t len, unsigned int nr_args,
		       bool keep_sp, struct probe_site *out)
{
	memset(out, 0, sizeof(*out));
	/* Elsewhere, we do not know what the kernel emulates: the entry is
	 * always correct. */
	if (machine != EM_X86_64)
		return 0;
	if (!code || !len)
		return -EINVAL;
#ifdef LT_HAVE_CAPSTONE
	return probepoint__choose_x86_64(code, len, nr_args, keep_sp, out);
#else
	return 0;
#endif
}
