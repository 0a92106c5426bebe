// SPDX-License-Identifier: GPL-2.0-only
/* Fuzzes the unwind-table builder (unwind_table__build() in user/unwind.c),
 * which reads a module's .eh_frame, .eh_frame_hdr and .debug_frame through
 * libdw. An input that starts with "\177ELF" is a whole ELF file; any other
 * is call frame information, which the harness wraps into a minimal x86-64
 * ELF file, so that mutations go to the bytes that matter:
 *
 *	__le64 cfi_addr;	sh_addr of the CFI section (.eh_frame is pc-relative)
 *	__le64 hdr_addr;	sh_addr of .eh_frame_hdr
 *	__u8 flags;		bit 0: the CFI is .debug_frame, not .eh_frame
 *	__u8 nr_syms;		function symbols, the other source of start addresses
 *	__le16 hdr_len;		bytes of .eh_frame_hdr (0: none)
 *	__le32 syms[nr_syms];	their addresses
 *	__u8 hdr[hdr_len];
 *	__u8 cfi[];		the rest
 *
 * A table that builds must be what the BPF side's binary search needs: rows
 * in strictly increasing order of address, each found at its own address. */
#include <elf.h>
#include "unwind.h"
#include "fuzz.h"

#define MAX_SYMS 64
#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

enum {
	SEC_NULL,
	SEC_CFI,
	SEC_HDR,
	SEC_SYMTAB,
	SEC_STRTAB,
	SEC_SHSTRTAB,
	NR_SECS
};

/* Section names, at their offsets in .shstrtab. */
static const char shstrtab[] = "\0.eh_frame\0.debug_frame\0.eh_frame_hdr\0.symtab\0.strtab\0"
			       ".shstrtab";
enum {
	NAME_EH_FRAME = 1,
	NAME_DEBUG_FRAME = 11,
	NAME_EH_FRAME_HDR = 24,
	NAME_SYMTAB = 38,
	NAME_STRTAB = 46,
	NAME_SHSTRTAB = 54,
};
static const char strtab[] = "\0f";

/* Lays out the ELF file in @out (big enough: the input's size plus
 * wrap_slack()) and returns its size. */
static size_t wrap(const uint8_t *data, size_t size, uint8_t *out)
{
	__u64 cfi_addr = fuzz_take(&data, &size, 8);
	__u64 hdr_addr = fuzz_take(&data, &size, 8);
	unsigned int flags = fuzz_take(&data, &size, 1);
	size_t nr_syms = fuzz_take(&data, &size, 1) % (MAX_SYMS + 1);
	size_t hdr_len = fuzz_take(&data, &size, 2);
	Elf64_Shdr sh[NR_SECS] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)out;
	Elf64_Sym *syms;
	size_t off = sizeof(*eh);

	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = NR_SECS;
	eh->e_shstrndx = SEC_SHSTRTAB;

	sh[SEC_SHSTRTAB] = (Elf64_Shdr){ .sh_name = NAME_SHSTRTAB,
					 .sh_type = SHT_STRTAB,
					 .sh_offset = off,
					 .sh_size = sizeof(shstrtab),
					 .sh_addralign = 1 };
	memcpy(out + off, shstrtab, sizeof(shstrtab));
	off += sizeof(shstrtab);
	sh[SEC_STRTAB] = (Elf64_Shdr){ .sh_name = NAME_STRTAB,
				       .sh_type = SHT_STRTAB,
				       .sh_offset = off,
				       .sh_size = sizeof(strtab),
				       .sh_addralign = 1 };
	memcpy(out + off, strtab, sizeof(strtab));
	off = ALIGN8(off + sizeof(strtab));

	syms = (Elf64_Sym *)(out + off);
	memset(syms, 0, sizeof(*syms));
	for (size_t i = 1; i <= nr_syms; i++) {
		syms[i] = (Elf64_Sym){ .st_name = 1,
				       .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				       .st_shndx = SEC_CFI,
				       .st_value = fuzz_take(&data, &size, 4) };
	}
	sh[SEC_SYMTAB] = (Elf64_Shdr){ .sh_name = NAME_SYMTAB,
				       .sh_type = SHT_SYMTAB,
				       .sh_offset = off,
				       .sh_size = (nr_syms + 1) * sizeof(*syms),
				       .sh_link = SEC_STRTAB,
				       .sh_info = 1,
				       .sh_addralign = 8,
				       .sh_entsize = sizeof(*syms) };
	off += (nr_syms + 1) * sizeof(*syms);

	if (hdr_len > size)
		hdr_len = size;
	if (hdr_len) {
		sh[SEC_HDR] = (Elf64_Shdr){ .sh_name = NAME_EH_FRAME_HDR,
					    .sh_type = SHT_PROGBITS,
					    .sh_flags = SHF_ALLOC,
					    .sh_addr = hdr_addr,
					    .sh_offset = off,
					    .sh_size = hdr_len,
					    .sh_addralign = 4 };
		memcpy(out + off, data, hdr_len);
		data += hdr_len;
		size -= hdr_len;
		off = ALIGN8(off + hdr_len);
	} else {
		/* keeps the section numbers fixed */
		sh[SEC_HDR] = (Elf64_Shdr){ .sh_type = SHT_NULL };
	}

	sh[SEC_CFI] = (Elf64_Shdr){ .sh_name = flags & 1 ? NAME_DEBUG_FRAME : NAME_EH_FRAME,
				    .sh_type = SHT_PROGBITS,
				    .sh_flags = flags & 1 ? 0 : SHF_ALLOC,
				    .sh_addr = flags & 1 ? 0 : cfi_addr,
				    .sh_offset = off,
				    .sh_size = size,
				    .sh_addralign = 8 };
	memcpy(out + off, data, size);
	off = ALIGN8(off + size);

	eh->e_shoff = off;
	memcpy(out + off, sh, sizeof(sh));
	return off + sizeof(sh);
}

static size_t wrap_slack(void)
{
	return sizeof(Elf64_Ehdr) + sizeof(shstrtab) + sizeof(strtab) +
	       (MAX_SYMS + 1) * sizeof(Elf64_Sym) + NR_SECS * sizeof(Elf64_Shdr) + 4 * 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lt_unw_row *rows = NULL;
	uint8_t *elf = NULL;
	size_t nr = 0, len;
	int fd, err;

	if (size >= SELFMAG && !memcmp(data, ELFMAG, SELFMAG)) {
		fd = fuzz_memfd(data, size);
	} else {
		elf = malloc(size + wrap_slack());
		if (!elf)
			return 0;
		len = wrap(data, size, elf);
		fd = fuzz_memfd(elf, len);
		free(elf);
	}
	if (fd < 0)
		return 0;
	err = unwind_table__build(fd, &rows, &nr);
	if (err) {
		FUZZ_ASSERT(err < 0);
		return 0;
	}
	FUZZ_ASSERT(rows && nr);
	for (size_t i = 0; i < nr; i++) {
		FUZZ_ASSERT(!i || rows[i - 1].pc < rows[i].pc);
		FUZZ_ASSERT(unwind_table__find(rows, nr, rows[i].pc) == &rows[i]);
	}
	FUZZ_ASSERT(!unwind_table__find(rows, nr, rows[0].pc - 1) || !rows[0].pc);
	unwind_table__keeps_fp(rows, nr);
	free(rows);
	return 0;
}
