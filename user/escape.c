// SPDX-License-Identifier: GPL-2.0-only
/* Escaping for terminals, and the UTF-8 check the JSON writer shares. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "escape.h"

size_t lt_utf8_seq(const unsigned char *s, size_t max)
{
	unsigned int c;
	size_t n;

	if (!max)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n > max)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, past the last code point */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) || (c >= 0xd800 && c <= 0xdfff) ||
	    c > 0x10ffff)
		return 0;
	return n;
}

char *lt_escape_term(char *out, size_t len, const char *in)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t o = 0, rest = strlen((const char *)p);

	if (!len)
		return out;
	while (*p) {
		size_t n = lt_utf8_seq(p, rest);
		/* C1 controls: U+0080-U+009F, 0xc2 0x80-0x9f */
		bool raw = n > 1 ? !(n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
				 : n == 1 && *p >= 0x20 && *p != 0x7f && *p != '\\';
		size_t need = raw ? n : *p == '\\' ? 2 : 4;

		if (o + need >= len)
			break;
		if (raw) {
			memcpy(out + o, p, n);
		} else if (*p == '\\') {
			memcpy(out + o, "\\\\", 2);
			n = 1;
		} else {
			snprintf(out + o, 5, "\\x%02x", *p);
			n = 1;
		}
		o += need;
		p += n;
		rest -= n;
	}
	out[o] = 0;
	return out;
}
