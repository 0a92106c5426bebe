/* SPDX-License-Identifier: GPL-2.0-only */
/* A module's call frame information (.eh_frame, .debug_frame), checked before
 * libdw runs any of it, and handed to libdw as a copy of only what was
 * checked. */
#ifndef LT_CFI_H
#define LT_CFI_H

#include <gelf.h>
#include <elfutils/libdw.h>

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

#endif
