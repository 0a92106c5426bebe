/* SPDX-License-Identifier: GPL-2.0-only */
/* The defaults that depend on the machine: how many outstanding allocations
 * the maps hold on a board and on a desktop. */
#include "options.h"
#include "ut.h"

int main(void)
{
	const unsigned long long mib = 1ull << 20;

	UT_EQ_INT(lt_default_max_allocs(256 * mib), 1 << 18, "256 MiB board: 256K");
	UT_EQ_INT(lt_default_max_allocs(128 * mib), 1 << 17, "128 MiB board: 128K");
	UT_EQ_INT(lt_default_max_allocs(32 * mib), 1 << 16, "never under 64K");
	UT_EQ_INT(lt_default_max_allocs(1024 * mib), 1 << 20, "1 GiB: the full 1M");
	UT_EQ_INT(lt_default_max_allocs(64 * 1024 * mib), 1 << 20, "never over 1M");
	UT_EQ_INT(lt_default_max_allocs(0), 1 << 16, "unknown memory: 64K");
	UT_EQ_INT(lt_default_unwind_rows(256 * mib), 1 << 19, "256 MiB board: 512K rows, 4 MiB");
	UT_EQ_INT(lt_default_unwind_rows(1024 * mib), 1 << 21, "1 GiB: 2M rows, 16 MiB");
	UT_EQ_INT(lt_default_unwind_rows(64 * 1024 * mib), 1 << 21, "never over 2M");
	UT_EQ_INT(lt_default_unwind_rows(0), 1 << 18, "unknown memory: 256K");
	UT_CHECK(lt_ram_bytes() > 64 * mib, "this machine's memory is read: %llu bytes",
		 lt_ram_bytes());
	return ut_done();
}
