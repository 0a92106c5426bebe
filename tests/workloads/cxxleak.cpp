// SPDX-License-Identifier: GPL-2.0-only
/* C++ names: make<Record>(), a function template in namespace app::store,
 * leaks one Record through operator new every ~20 ms; a std::map of strings
 * churns next to it (bounded). Built -O2 as release C++ is, so main() goes
 * to .text.startup, ahead of crt1.o's _start, which has no DWARF: the unit's
 * last lines (stl_tree.h) must not become _start's.
 *
 *   cxxleak [--iterations N | --seconds S]    default: until SIGTERM/SIGINT
 *
 * Prints "ready <pid>" once the loop starts; exits 0. */
#include <map>
#include <string>
#include "wl.h"

#define PERIOD_MS 20

namespace app
{
namespace store
{
struct Record {
	long id;
	char payload[56];
};

template <typename T> __attribute__((noinline)) T *make(long id)
{
	T *r = new T(); /* LEAK:make */

	r->id = id;
	return r;
}
} // namespace store
} // namespace app

static app::store::Record *volatile sink;

int main(int argc, char **argv)
{
	std::map<long, std::string> names;
	struct wl_loop loop;
	long done = 0;

	wl_loop_args(argc, argv, &loop);
	wl_signals();
	wl_ready();
	while (wl_loop_more(&loop, done)) {
		sink = app::store::make<app::store::Record>(done); /* CALL:main */
		names[done % 8] = std::string(40, 'a' + done % 26);
		wl_sleep_ms(PERIOD_MS);
		done++;
	}
	return 0;
}
