// SPDX-License-Identifier: GPL-2.0-only
/* Fuzzes the /proc/PID/maps parser (user/procmaps.c): the input is maps text.
 * The kernel writes the numbers, but a traced process names the files in it
 * (and anonymous mappings, with prctl(PR_SET_VMA_ANON_NAME)). What parses
 * must hold the promises the rest of leaktrace builds on: sorted by start,
 * start <= end, a path always set, and a lookup that only returns a mapping
 * covering the address. */
#include "procmaps.h"
#include "fuzz.h"

static void check_find(const struct procmaps *m, __u64 addr)
{
	const struct lt_mapping *map = procmaps__find(m, addr);

	if (!map)
		return;
	FUZZ_ASSERT(map->start <= addr && addr < map->end);
	FUZZ_ASSERT(lt_mapping__file_offset(map, addr) - map->offset == addr - map->start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procmaps *m;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	m = procmaps__parse(f);
	fclose(f);
	if (!m)
		return 0;
	for (size_t i = 0; i < m->nr; i++) {
		const struct lt_mapping *map = &m->maps[i];

		FUZZ_ASSERT(map->start <= map->end);
		FUZZ_ASSERT(!i || m->maps[i - 1].start <= map->start);
		FUZZ_ASSERT(map->path);
		FUZZ_ASSERT(!lt_mapping__is_file(map) || map->path[0] == '/');
		check_find(m, map->start);
		check_find(m, map->end - 1);
		check_find(m, map->end);
	}
	check_find(m, 0);
	check_find(m, ~0ULL);
	procmaps__free(m);
	return 0;
}
