/* SPDX-License-Identifier: GPL-2.0-only */
/* Strings that a traced process controls (its name, its symbols, DWARF file
 * names, Python code objects), made safe for a terminal: no control
 * character, no invalid UTF-8, nothing a terminal would act on. */
#ifndef LT_ESCAPE_H
#define LT_ESCAPE_H

#include <stddef.h>

/* The length of the valid UTF-8 sequence at @s (1 to 4, at most @max bytes):
 * shortest form, no surrogate, at most U+10FFFF. 0 if @s starts none. */
size_t lt_utf8_seq(const unsigned char *s, size_t max);

/* Copies @in to @out (@len bytes, always terminated), with every byte below
 * 0x20, DEL, every C1 control (U+0080-U+009F) and every byte of invalid
 * UTF-8 written as \xNN, and a backslash as \\. Cuts at a whole character.
 * Returns @out; NULL @in gives "". */
char *lt_escape_term(char *out, size_t len, const char *in);

#endif
