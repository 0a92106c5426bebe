/* SPDX-License-Identifier: GPL-2.0-only */
/* Readable names: symbol versions cut off; C++ and Rust (legacy and v0)
 * names demangled; plain C names, broken and overlong mangled names left as
 * they are. */
#include <stdlib.h>
#include <string.h>
#include "demangle.h"
#include "ut.h"

/* lt_demangle(@raw) is @want, or NULL when @want is NULL. */
static void expect(const char *raw, const char *want, const char *what)
{
	char *got = lt_demangle(raw);

	if (want)
		UT_EQ_STR(got, want, what);
	else
		UT_CHECK(!got, "%s: left as it is, got '%.80s'", what, got);
	free(got);
}

static void test_versions(void)
{
	UT_EQ_INT(lt_symbol_unversioned_len("__libc_start_main@@GLIBC_2.34"), 17,
		  "default version");
	UT_EQ_INT(lt_symbol_unversioned_len("realpath@GLIBC_2.2.5"), 8, "hidden version");
	UT_EQ_INT(lt_symbol_unversioned_len("main"), 4, "no version");
	UT_EQ_INT(lt_symbol_unversioned_len("odd@"), 4, "an '@' and nothing after it");
	UT_EQ_INT(lt_symbol_unversioned_len("odd@@"), 5, "'@@' and nothing after it");
	UT_EQ_INT(lt_symbol_unversioned_len("@GLIBC_2.2.5"), 12, "no name before the version");
	expect("__libc_start_main@@GLIBC_2.34", "__libc_start_main", "C symbol, default version");
	expect("realpath@GLIBC_2.2.5", "realpath", "C symbol, hidden version");
	expect("_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_createERmm@@GLIBCXX_3.4."
	       "21",
	       "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> "
	       ">::_M_create(unsigned long&, unsigned long)",
	       "C++ symbol with a version");
}

static void test_cxx(void)
{
	expect("_Znwm", "operator new(unsigned long)", "operator new");
	expect("_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE12_M_constructEmc",
	       "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> "
	       ">::_M_construct(unsigned long, char)",
	       "std::string member");
	expect("_ZN3app5store4makeIiEEPT_v", "int* app::store::make<int>()",
	       "templated function in namespaces");
	expect("_Z4workv.constprop.0", "work() [clone .constprop.0]", "gcc clone");
	expect("_ZN9__gnu_cxx13new_allocatorIcE8allocateEmPKv.isra.0",
	       "__gnu_cxx::new_allocator<char>::allocate(unsigned long, void const*) "
	       "[clone .isra.0]",
	       "member clone");
}

static void test_rust(void)
{
	/* legacy: Itanium-like, with a hash that is left out */
	expect("_ZN2rs5store5Cache3put17h30da29dc44a1bb60E", "rs::store::Cache::put",
	       "Rust legacy");
	expect("_ZN4core3ptr70drop_in_place$LT$alloc..boxed..Box$LT$$u5b$u8$u3b$$u20$64$u5d$"
	       "$GT$$GT$17h0123456789abcdefE",
	       "core::ptr::drop_in_place<alloc::boxed::Box<[u8; 64]>>", "Rust legacy, escapes");
	/* v0: crate disambiguators left out */
	expect("_RNvMNtCs1YDQuSXGT83_2rs5storeNtB2_5Cache3put", "<rs::store::Cache>::put",
	       "Rust v0 method");
	expect("_RINvNtCs6IL9ONYDOZW_4core3ptr13drop_in_placeNtNtCs1YDQuSXGT83_2rs5store5CacheEBK_",
	       "core::ptr::drop_in_place::<rs::store::Cache>", "Rust v0 generic");
}

static void test_left_alone(void)
{
	char *longname;
	size_t n = LT_DEMANGLE_MAX + 100;

	expect("main", NULL, "C function");
	expect("work.constprop.0", NULL, "C clone");
	expect("_Zgarbage", NULL, "broken C++ name");
	expect("_RNvgarbage", NULL, "broken Rust name");
	expect("_Z", NULL, "just the prefix");
	expect("", NULL, "empty");
	/* _ZN 1a 1a ... E: valid, but longer than the demangler is given */
	longname = malloc(n + 1);
	if (!longname)
		return;
	memcpy(longname, "_ZN", 3);
	for (size_t i = 3; i + 3 < n; i += 2)
		memcpy(longname + i, "1a", 2);
	n = 3 + (n - 6) / 2 * 2;
	longname[n] = 'E';
	longname[n + 1] = '\0';
	expect(longname, NULL, "overlong name");
	free(longname);
}

int main(void)
{
	test_versions();
	test_cxx();
	test_rust();
	test_left_alone();
	return ut_done();
}
