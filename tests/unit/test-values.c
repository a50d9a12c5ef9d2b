/* Typed value parsers of src/config/values.c.
 *
 * Each test proves what a user typing a vzctl parameter gets: the number a
 * size becomes in its unit, that a bad value is refused with a message that
 * quotes it, and that the output is not touched on failure. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/values.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define SENTINEL 0xdeadbeefULL

/* The call failed with @code and its message contains @needle. */
static void assert_error(const vz_error *err, int code, const char *needle)
{
	if (err->code != code || !strstr(err->msg, needle))
		fail_msg("expected code %d and message containing \"%s\", got code %d: \"%s\"",
			 code, needle, err->code, err->msg);
}

/* ---- sizes --------------------------------------------------------------- */

static uint64_t size_ok(const char *s, enum vz_size_unit unit)
{
	vz_error err = {0};
	uint64_t v = SENTINEL;

	if (vz_parse_size(s, unit, &v, &err) != 0)
		fail_msg("vz_parse_size(\"%s\", %d) failed: %s", s, (int)unit, err.msg);
	return v;
}

static void size_bad(const char *s, enum vz_size_unit unit, const char *needle)
{
	vz_error err = {0};
	uint64_t v = SENTINEL;

	if (vz_parse_size(s, unit, &v, &err) != -1)
		fail_msg("vz_parse_size(\"%s\", %d) accepted it as %llu", s ? s : "(null)",
			 (int)unit, (unsigned long long)v);
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, needle);
	assert_int_equal(v, SENTINEL); /* output untouched on failure */
}

/* A bare number is already in the parameter's unit. */
static void test_size_bare_number_is_in_unit(void **state)
{
	(void)state;
	assert_int_equal(size_ok("123", VZ_UNIT_BYTES), 123);
	assert_int_equal(size_ok("123", VZ_UNIT_KB), 123);
	assert_int_equal(size_ok("123", VZ_UNIT_PAGES), 123);
	assert_int_equal(size_ok("123", VZ_UNIT_COUNT), 123);
	assert_int_equal(size_ok("0", VZ_UNIT_PAGES), 0);
	assert_int_equal(size_ok("0", VZ_UNIT_COUNT), 0);
	assert_int_equal(size_ok("0G", VZ_UNIT_PAGES), 0);
	assert_int_equal(size_ok("007", VZ_UNIT_COUNT), 7);
}

/* Suffixed values are bytes converted to the unit. */
static void test_size_suffix_converts_to_unit(void **state)
{
	(void)state;
	assert_int_equal(size_ok("10G", VZ_UNIT_PAGES), 2621440);
	assert_int_equal(size_ok("10G", VZ_UNIT_KB), 10485760);
	assert_int_equal(size_ok("10G", VZ_UNIT_BYTES), 10737418240ULL);
	assert_int_equal(size_ok("512M", VZ_UNIT_PAGES), 131072);
	assert_int_equal(size_ok("1M", VZ_UNIT_KB), 1024);
	assert_int_equal(size_ok("2K", VZ_UNIT_BYTES), 2048);
	assert_int_equal(size_ok("1T", VZ_UNIT_BYTES), 1ULL << 40);
	assert_int_equal(size_ok("4K", VZ_UNIT_PAGES), 1);
	/* case and an optional trailing B do not matter */
	assert_int_equal(size_ok("1g", VZ_UNIT_PAGES), 262144);
	assert_int_equal(size_ok("1GB", VZ_UNIT_PAGES), 262144);
	assert_int_equal(size_ok("1gb", VZ_UNIT_PAGES), 262144);
}

/* Asking for less than a unit gives a whole unit, never zero. */
static void test_size_rounds_up(void **state)
{
	(void)state;
	assert_int_equal(size_ok("1K", VZ_UNIT_PAGES), 1);
	assert_int_equal(size_ok("5K", VZ_UNIT_PAGES), 2);
	assert_int_equal(size_ok("8K", VZ_UNIT_PAGES), 2);
	assert_int_equal(size_ok("9K", VZ_UNIT_PAGES), 3);
	assert_int_equal(size_ok("1K", VZ_UNIT_KB), 1);
}

static void test_size_unlimited(void **state)
{
	(void)state;
	assert_true(size_ok("unlimited", VZ_UNIT_BYTES) == VZ_UNLIMITED);
	assert_true(size_ok("unlimited", VZ_UNIT_KB) == VZ_UNLIMITED);
	assert_true(size_ok("unlimited", VZ_UNIT_PAGES) == VZ_UNLIMITED);
	assert_true(size_ok("unlimited", VZ_UNIT_COUNT) == VZ_UNLIMITED);
	size_bad("unlimitedx", VZ_UNIT_PAGES, "unlimitedx");
	size_bad("unlim", VZ_UNIT_PAGES, "unlim");
}

/* 2^64 does not fit: refused as too large instead of wrapping around. */
static void test_size_overflow(void **state)
{
	(void)state;
	assert_true(size_ok("18446744073709551615", VZ_UNIT_COUNT) == UINT64_MAX);
	size_bad("18446744073709551616", VZ_UNIT_COUNT, "too large");
	size_bad("18446744073709551616", VZ_UNIT_PAGES, "too large");
	size_bad("99999999999999999999999", VZ_UNIT_BYTES, "too large");
	/* 2^24 T = 2^64 bytes */
	assert_int_equal(size_ok("16777215T", VZ_UNIT_BYTES), (16777215ULL << 40));
	size_bad("16777216T", VZ_UNIT_BYTES, "too large");
	size_bad("17179869184G", VZ_UNIT_KB, "too large");
}

static void test_size_bad_syntax(void **state)
{
	(void)state;
	size_bad("", VZ_UNIT_PAGES, "empty");
	size_bad(NULL, VZ_UNIT_PAGES, "empty");
	size_bad("10X", VZ_UNIT_PAGES, "unknown suffix `X`");
	size_bad("10KiB", VZ_UNIT_PAGES, "unknown suffix");
	size_bad("10GG", VZ_UNIT_PAGES, "unknown suffix");
	size_bad("10 G", VZ_UNIT_PAGES, "`10 G`");
	size_bad(" 10", VZ_UNIT_PAGES, "not a number");
	size_bad("10 ", VZ_UNIT_PAGES, "`10 `");
	size_bad("-1", VZ_UNIT_PAGES, "not a number");
	size_bad("+1", VZ_UNIT_PAGES, "not a number");
	size_bad("1.5G", VZ_UNIT_PAGES, "`1.5G`");
	size_bad("0x10", VZ_UNIT_BYTES, "`0x10`");
	size_bad("G", VZ_UNIT_PAGES, "not a number");
	/* counts (NUMPROC, DISKINODES) take no suffixes */
	size_bad("10K", VZ_UNIT_COUNT, "unknown suffix");
	size_bad("1G", VZ_UNIT_COUNT, "`1G`");
}

/* The error object is optional: a NULL one only signals the failure. */
static void test_size_null_error_object(void **state)
{
	uint64_t v = SENTINEL;

	(void)state;
	assert_int_equal(vz_parse_size("bogus", VZ_UNIT_PAGES, &v, NULL), -1);
	assert_int_equal(v, SENTINEL);
}

/* ---- barrier:limit ------------------------------------------------------- */

static struct vz_pair pair_ok(const char *s, enum vz_size_unit unit)
{
	vz_error err = {0};
	struct vz_pair p = {SENTINEL, SENTINEL};

	if (vz_parse_pair(s, unit, &p, &err) != 0)
		fail_msg("vz_parse_pair(\"%s\") failed: %s", s, err.msg);
	return p;
}

static void pair_bad(const char *s, enum vz_size_unit unit, const char *needle)
{
	vz_error err = {0};
	struct vz_pair p = {SENTINEL, SENTINEL};

	if (vz_parse_pair(s, unit, &p, &err) != -1)
		fail_msg("vz_parse_pair(\"%s\") accepted it", s ? s : "(null)");
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, needle);
	assert_int_equal(p.barrier, SENTINEL);
	assert_int_equal(p.limit, SENTINEL);
}

static void test_pair_valid(void **state)
{
	struct vz_pair p;

	(void)state;
	p = pair_ok("100:200", VZ_UNIT_COUNT);
	assert_int_equal(p.barrier, 100);
	assert_int_equal(p.limit, 200);
	/* a single value sets both */
	p = pair_ok("5", VZ_UNIT_COUNT);
	assert_int_equal(p.barrier, 5);
	assert_int_equal(p.limit, 5);
	p = pair_ok("unlimited", VZ_UNIT_PAGES);
	assert_true(p.barrier == VZ_UNLIMITED && p.limit == VZ_UNLIMITED);
	p = pair_ok("1G:2G", VZ_UNIT_PAGES);
	assert_int_equal(p.barrier, 262144);
	assert_int_equal(p.limit, 524288);
	p = pair_ok("0:unlimited", VZ_UNIT_KB);
	assert_int_equal(p.barrier, 0);
	assert_true(p.limit == VZ_UNLIMITED);
	p = pair_ok("7:7", VZ_UNIT_COUNT);
	assert_int_equal(p.barrier, 7);
	assert_int_equal(p.limit, 7);
	/* suffix and bare number mixed: 1M is 256 pages */
	p = pair_ok("1M:300", VZ_UNIT_PAGES);
	assert_int_equal(p.barrier, 256);
	assert_int_equal(p.limit, 300);
}

static void test_pair_invalid(void **state)
{
	(void)state;
	pair_bad("200:100", VZ_UNIT_COUNT, "barrier is greater than limit");
	pair_bad("unlimited:5", VZ_UNIT_COUNT, "barrier is greater than limit");
	pair_bad("2G:1G", VZ_UNIT_PAGES, "`2G:1G`");
	pair_bad("1:2:3", VZ_UNIT_COUNT, "`1:2:3`: expected barrier:limit");
	pair_bad(":5", VZ_UNIT_COUNT, "empty");
	pair_bad("5:", VZ_UNIT_COUNT, "empty");
	pair_bad(":", VZ_UNIT_COUNT, "expected barrier:limit");
	pair_bad("", VZ_UNIT_COUNT, "empty");
	pair_bad(NULL, VZ_UNIT_COUNT, "empty");
	pair_bad("1K:2K", VZ_UNIT_COUNT, "unknown suffix");
	pair_bad("a:b", VZ_UNIT_COUNT, "`a:b`");
	pair_bad("1:18446744073709551616", VZ_UNIT_COUNT, "too large");
}

/* What vz writes back parses to the same pair. */
static void test_pair_format_round_trip(void **state)
{
	const struct vz_pair cases[] = {
	    {0, 0},
	    {5, VZ_UNLIMITED},
	    {VZ_UNLIMITED, VZ_UNLIMITED},
	    {262144, 524288},
	    {UINT64_MAX - 1, UINT64_MAX - 1},
	};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(cases); i++) {
		cleanup_free char *s = vz_format_pair(&cases[i]);
		struct vz_pair back = pair_ok(s, VZ_UNIT_PAGES);
		assert_true(back.barrier == cases[i].barrier);
		assert_true(back.limit == cases[i].limit);
	}
	{
		cleanup_free char *s = vz_format_pair(&cases[1]);
		assert_string_equal(s, "5:unlimited");
	}
}

/* ---- u32 ----------------------------------------------------------------- */

static void test_u32_bounds(void **state)
{
	vz_error err = {0};
	uint32_t v = 0;

	(void)state;
	assert_int_equal(vz_parse_u32("0", 0, 10, &v, &err), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vz_parse_u32("10", 0, 10, &v, &err), 0);
	assert_int_equal(v, 10);
	assert_int_equal(vz_parse_u32("8", 8, 500000, &v, &err), 0);
	assert_int_equal(v, 8);
	assert_int_equal(vz_parse_u32("4294967295", 0, UINT32_MAX, &v, &err), 0);
	assert_true(v == UINT32_MAX);

	v = 42;
	assert_int_equal(vz_parse_u32("11", 0, 10, &v, &err), -1);
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "11 is out of range 0..10");
	assert_int_equal(vz_parse_u32("7", 8, 500000, &v, &err), -1);
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "out of range 8..500000");
	assert_int_equal(vz_parse_u32("4294967296", 0, UINT32_MAX, &v, &err), -1);
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "4294967296");
	assert_int_equal(vz_parse_u32("18446744073709551616", 0, UINT32_MAX, &v, &err), -1);
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "18446744073709551616");
	assert_int_equal(v, 42);
}

static void test_u32_bad_syntax(void **state)
{
	const char *bad[] = {"", "-1", "+1", " 1", "1 ", "1a", "0x10", "1K", "unlimited", "1.0"};
	vz_error err = {0};
	uint32_t v = 42;

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		if (vz_parse_u32(bad[i], 0, UINT32_MAX, &v, &err) != -1)
			fail_msg("vz_parse_u32 accepted \"%s\"", bad[i]);
		assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "is not a whole number");
		assert_non_null(strstr(err.msg, bad[i]));
	}
	assert_int_equal(vz_parse_u32(NULL, 0, 10, &v, &err), -1);
	assert_int_equal(v, 42);
}

/* ---- bool ---------------------------------------------------------------- */

static void test_bool_spellings(void **state)
{
	const char *yes[] = {"yes", "YES", "Yes", "on", "ON", "true", "True", "1"};
	const char *no[] = {"no", "NO", "No", "off", "OFF", "false", "FALSE", "0"};
	const char *bad[] = {"", "y", "n", "2", "yess", "nope", " yes", "yes ", "enabled"};
	vz_error err = {0};
	bool b;

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(yes); i++) {
		b = false;
		assert_int_equal(vz_parse_bool(yes[i], &b, &err), 0);
		assert_true(b);
	}
	for (size_t i = 0; i < VZ_ARRAY_SIZE(no); i++) {
		b = true;
		assert_int_equal(vz_parse_bool(no[i], &b, &err), 0);
		assert_false(b);
	}
	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		b = true;
		if (vz_parse_bool(bad[i], &b, &err) != -1)
			fail_msg("vz_parse_bool accepted \"%s\"", bad[i]);
		assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "is not yes or no");
		assert_true(b);
	}
	assert_int_equal(vz_parse_bool(NULL, &b, &err), -1);
}

/* ---- IP addresses -------------------------------------------------------- */

static void test_ip_valid(void **state)
{
	const char *good[] = {
	    "10.0.0.1",
	    "10.0.0.1/24",
	    "10.0.0.1/0",
	    "10.0.0.1/32",
	    "0.0.0.0",
	    "255.255.255.255",
	    "::1",
	    "::",
	    "fe80::1/64",
	    "2001:db8::/128",
	    "2001:db8::1/0",
	    "::ffff:10.0.0.1",
	    "2001:0db8:0000:0000:0000:ff00:0042:8329",
	};
	vz_error err = {0};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(good); i++)
		if (vz_parse_ip(good[i], &err) != 0)
			fail_msg("vz_parse_ip refused \"%s\": %s", good[i], err.msg);
}

static void test_ip_invalid(void **state)
{
	const char *bad[] = {
	    "",
	    "abc",
	    "10.0.0",
	    "10.0.0.256",
	    "10.0.0.1.2",
	    "10.0.0.1 ",
	    " 10.0.0.1",
	    "/24",
	    "fe80::1%eth0",
	    ":::1",
	    "1::2::3",
	    "10.0.0.1/24/1",
	    /* longer than any address: must be refused, not copied into a buffer */
	    "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee:ffff:0000",
	};
	vz_error err = {0};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		if (vz_parse_ip(bad[i], &err) != -1)
			fail_msg("vz_parse_ip accepted \"%s\"", bad[i]);
		assert_int_equal(err.code, VZ_INVALID_PARAMETER_VALUE);
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

static void test_ip_bad_prefix(void **state)
{
	const char *bad[] = {"10.0.0.1/33", "10.0.0.1/", "10.0.0.1/-1",	 "10.0.0.1/a",
			     "::1/129",	    "fe80::1/",	 "10.0.0.1/ 24", "10.0.0.1/4294967320"};
	vz_error err = {0};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		if (vz_parse_ip(bad[i], &err) != -1)
			fail_msg("vz_parse_ip accepted \"%s\"", bad[i]);
		assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "bad prefix length");
		assert_non_null(strstr(err.msg, bad[i]));
	}
	/* an IPv4 prefix is bounded by 32, an IPv6 one by 128 */
	assert_int_equal(vz_parse_ip("::1/33", &err), 0);
	assert_int_equal(vz_parse_ip("::1/128", &err), 0);
}

/* ---- host names ---------------------------------------------------------- */

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void hostname_bad(const char *s, const char *needle)
{
	vz_error err = {0};

	if (vz_parse_hostname(s, &err) != -1)
		fail_msg("vz_parse_hostname accepted \"%s\"", s);
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, needle);
}

static void test_hostname_valid(void **state)
{
	const char *good[] = {"a",     "ct101", "web-1.example.com", "123", "a-b-c.d-e",
			      "x.y.z", "0a.1b"};
	vz_error err = {0};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(good); i++)
		if (vz_parse_hostname(good[i], &err) != 0)
			fail_msg("vz_parse_hostname refused \"%s\": %s", good[i], err.msg);
}

static void test_hostname_invalid(void **state)
{
	(void)state;
	hostname_bad("", "1 to 253 characters");
	hostname_bad("-a", "`-a` is not a valid host name");
	hostname_bad("a-", "`a-`");
	hostname_bad("a-.b", "`a-.b`");
	hostname_bad("a.-b", "`a.-b`");
	hostname_bad("a..b", "`a..b`");
	hostname_bad(".a", "`.a`");
	hostname_bad("under_score", "`under_score`");
	hostname_bad("a b", "`a b`");
	hostname_bad("a/b", "`a/b`");
	hostname_bad("-", "`-`");
	hostname_bad(".", "`.`");
}

/* Labels of 63 characters are fine, 64 are not; 253 in all is the maximum. */
static void test_hostname_lengths(void **state)
{
	vz_error err = {0};
	cleanup_free char *l63 = repeat('a', 63);
	cleanup_free char *l64 = repeat('b', 64);
	cleanup_free char *l61 = repeat('c', 61);
	cleanup_free char *l62 = repeat('c', 62);
	cleanup_free char *in_middle = NULL, *total253 = NULL, *total254 = NULL;

	(void)state;
	assert_int_equal(vz_parse_hostname(l63, &err), 0);
	hostname_bad(l64, "longer than 63");
	in_middle = vz_strdup_printf("x.%s.y", l64);
	hostname_bad(in_middle, "longer than 63");

	total253 = vz_strdup_printf("%s.%s.%s.%s", l63, l63, l63, l61);
	assert_int_equal(strlen(total253), 253);
	if (vz_parse_hostname(total253, &err) != 0)
		fail_msg("253-character host name refused: %s", err.msg);
	total254 = vz_strdup_printf("%s.%s.%s.%s", l63, l63, l63, l62);
	assert_int_equal(strlen(total254), 254);
	hostname_bad(total254, "1 to 253 characters");
}

/* ---- paths --------------------------------------------------------------- */

static void test_path(void **state)
{
	const char *good[] = {"/",	"/vz/root/$VEID", "/vz/root/${VEID}",
			      "/a/..b", "/a/b..",	  "/a/./b",
			      "/a/...", "/..a",		  "/a/b/"};
	const char *dotdot[] = {"/..", "/a/..", "/a/../b", "/../etc", "/vz/root/$VEID/../../etc"};
	const char *relative[] = {"", "relative", "vz/root", "./x", "../x", "~/x", "$VEID"};
	vz_error err = {0};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(good); i++)
		if (vz_parse_path(good[i], &err) != 0)
			fail_msg("vz_parse_path refused \"%s\": %s", good[i], err.msg);
	for (size_t i = 0; i < VZ_ARRAY_SIZE(dotdot); i++) {
		if (vz_parse_path(dotdot[i], &err) != -1)
			fail_msg("vz_parse_path accepted \"%s\"", dotdot[i]);
		assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "contains `..`");
	}
	for (size_t i = 0; i < VZ_ARRAY_SIZE(relative); i++) {
		if (vz_parse_path(relative[i], &err) != -1)
			fail_msg("vz_parse_path accepted \"%s\"", relative[i]);
		assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "is not an absolute path");
	}
	assert_int_equal(vz_parse_path(NULL, &err), -1);
}

/* ---- $VEID and word lists ------------------------------------------------ */

static void expand_is(const char *tmpl, const char *ctid, const char *want)
{
	cleanup_free char *got = vz_expand_veid(tmpl, ctid);
	assert_string_equal(got, want);
}

static void test_expand_veid(void **state)
{
	(void)state;
	expand_is("/vz/root/$VEID", "101", "/vz/root/101");
	expand_is("/vz/root/${VEID}", "101", "/vz/root/101");
	expand_is("/d/$VEID/${VEID}-$VEID", "2147483647", "/d/2147483647/2147483647-2147483647");
	expand_is("$VEID$VEID$VEID$VEID", "2147483647", "2147483647214748364721474836472147483647");
	expand_is("/vz/root", "101", "/vz/root");
	expand_is("/VEID/$VE/$ VEID", "101", "/VEID/$VE/$ VEID");
	expand_is("/x/${VEID", "101", "/x/${VEID");
	expand_is("", "101", "");
	expand_is("$VEID", "1", "1");
}

static void words_are(const char *s, const char *const *want, size_t n)
{
	cleanup_strv char **v = vz_split_words(s);
	size_t i;

	for (i = 0; v[i]; i++) {
		if (i >= n)
			fail_msg("split \"%s\": extra word \"%s\"", s ? s : "(null)", v[i]);
		assert_string_equal(v[i], want[i]);
	}
	assert_int_equal(i, n);
}

static void test_split_words(void **state)
{
	const char *abcd[] = {"a", "b", "c", "d"};
	const char *ns[] = {"8.8.8.8", "1.1.1.1"};

	(void)state;
	words_are("a b\tc\n d", abcd, 4);
	words_are("  a  b c d  ", abcd, 4);
	words_are("a\rb\vc\fd", abcd, 4);
	words_are("8.8.8.8 1.1.1.1", ns, 2);
	words_are("", NULL, 0);
	words_are("  \t ", NULL, 0);
	words_are(NULL, NULL, 0);
}

/* ---- MAC addresses ------------------------------------------------------- */

static void test_mac_valid(void **state)
{
	const char *good[] = {"00:16:3e:00:00:01", "00:16:3E:AA:BB:CC", "02:00:00:00:00:00",
			      "fe:ff:ff:ff:ff:ff", "aa:bb:cc:dd:ee:ff"};
	vz_error err = {0};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(good); i++)
		if (vz_parse_mac(good[i], &err) != 0)
			fail_msg("vz_parse_mac refused \"%s\": %s", good[i], err.msg);
}

/* A multicast (or broadcast) address cannot be an interface's address. */
static void test_mac_multicast_refused(void **state)
{
	const char *mc[] = {"01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "03:16:3e:00:00:01",
			    "33:33:00:00:00:01"};
	vz_error err = {0};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(mc); i++) {
		if (vz_parse_mac(mc[i], &err) != -1)
			fail_msg("vz_parse_mac accepted multicast \"%s\"", mc[i]);
		assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "multicast");
		assert_non_null(strstr(err.msg, mc[i]));
	}
}

/* Exactly six two-digit hex bytes separated by colons: sscanf-style leniency
 * (blanks, signs, 0x) would let typos through to `ip link`. */
static void test_mac_invalid(void **state)
{
	const char *bad[] = {
	    "",
	    "00:16:3e:00:00",
	    "00:16:3e:00:00:01:02",
	    "00-16-3e-00-00-01",
	    "0:16:3e:00:00:01",
	    "00:16:3e:00:00:0g",
	    "0016.3e00.0001",
	    "00:16:3e:00:00:01 ",
	    " 00:16:3e:00:00:01",
	    "+2:02:03:04:05:06",
	    " 2:02:03:04:05:06",
	    "02:02:03:04:05: 6",
	    "0x:02:03:04:05:06",
	    "02:02:03:04:05:0x",
	    "02:02:03:04:05:+6",
	    "02::02:03:04:05:6",
	    "002:02:03:04:05:6",
	};
	vz_error err = {0};

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		if (vz_parse_mac(bad[i], &err) != -1)
			fail_msg("vz_parse_mac accepted \"%s\"", bad[i]);
		assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "is not a MAC address");
	}
}

/* The all-zero address is refused by the kernel for an interface. */
static void test_mac_zero_refused(void **state)
{
	vz_error err = {0};

	(void)state;
	assert_int_equal(vz_parse_mac("00:00:00:00:00:00", &err), -1);
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, "00:00:00:00:00:00");
}

/* ---- NETIF --------------------------------------------------------------- */

static void test_netif_full_entry(void **state)
{
	struct vz_netif *v = NULL;
	size_t n = 0;
	vz_error err = {0};

	(void)state;
	assert_int_equal(vz_parse_netif("ifname=eth0,mac=00:16:3e:00:00:01,host_ifname=veth101.0,"
					"host_mac=00:16:3e:00:00:02,bridge=vzbr0",
					&v, &n, &err),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].ifname, "eth0");
	assert_string_equal(v[0].mac, "00:16:3e:00:00:01");
	assert_string_equal(v[0].host_ifname, "veth101.0");
	assert_string_equal(v[0].host_mac, "00:16:3e:00:00:02");
	assert_string_equal(v[0].bridge, "vzbr0");
	vz_netif_free(v, n);
}

static void test_netif_several_entries(void **state)
{
	struct vz_netif *v = NULL;
	size_t n = 0;
	vz_error err = {0};

	(void)state;
	assert_int_equal(vz_parse_netif("ifname=eth0;ifname=eth1,bridge=br1;", &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].ifname, "eth0");
	assert_null(v[0].mac);
	assert_null(v[0].bridge);
	assert_string_equal(v[1].ifname, "eth1");
	assert_string_equal(v[1].bridge, "br1");
	vz_netif_free(v, n);

	/* an empty NETIF means no interfaces */
	v = NULL;
	n = 42;
	assert_int_equal(vz_parse_netif("", &v, &n, &err), 0);
	assert_int_equal(n, 0);
	vz_netif_free(v, n);
}

static void netif_bad(const char *s, const char *needle)
{
	struct vz_netif *v = (struct vz_netif *)(uintptr_t)SENTINEL;
	size_t n = 42;
	vz_error err = {0};

	if (vz_parse_netif(s, &v, &n, &err) != -1)
		fail_msg("vz_parse_netif accepted \"%s\"", s);
	assert_error(&err, VZ_INVALID_PARAMETER_VALUE, needle);
	assert_true(v == (struct vz_netif *)(uintptr_t)SENTINEL);
	assert_int_equal(n, 42);
}

static void test_netif_invalid(void **state)
{
	(void)state;
	netif_bad("mac=00:16:3e:00:00:01", "without ifname");
	netif_bad("ifname=eth0;bridge=br0", "without ifname");
	netif_bad("ifname=eth0,foo=1", "`foo`: unknown NETIF field");
	netif_bad("ifname=eth0,bridge", "`bridge`: expected name=value");
	netif_bad("ifname=eth0,=x", "unknown NETIF field");
	netif_bad("ifname=eth0,mac=00:16:3e:00:00", "is not a MAC address");
	netif_bad("ifname=eth0,mac=zz:16:3e:00:00:01", "`zz:16:3e:00:00:01`");
	netif_bad("ifname=eth0,host_mac=01:00:5e:00:00:01", "multicast");
	netif_bad("ifname=eth0,mac=ff:ff:ff:ff:ff:ff", "multicast");
	netif_bad("ifname=", "is not a valid interface name");
	netif_bad("ifname=0123456789abcdef", "`0123456789abcdef` is not a valid interface name");
	netif_bad("ifname=eth/0", "`eth/0`");
	netif_bad("ifname=eth:0", "`eth:0`");
	netif_bad("ifname=eth 0", "`eth 0`");
	netif_bad("ifname=eth0,host_ifname=veth:1", "`veth:1`");
	netif_bad("ifname=eth0,bridge=br 0", "`br 0`");
	/* names the kernel refuses for a device */
	netif_bad("ifname=.", "`.` is not a valid interface name");
	netif_bad("ifname=..", "`..` is not a valid interface name");
}

/* Two interfaces of one container cannot share a name, and a field given
 * twice in one entry is a typo, not an override. */
static void test_netif_duplicates_refused(void **state)
{
	(void)state;
	netif_bad("ifname=eth0;ifname=eth0", "eth0");
	netif_bad("ifname=eth0,bridge=br0;ifname=eth1;ifname=eth0,bridge=br1", "eth0");
	netif_bad("ifname=eth0,ifname=eth1", "given twice");
	netif_bad("ifname=eth0,mac=00:16:3e:00:00:01,mac=00:16:3e:00:00:02", "given twice");
}

static void test_netif_name_lengths(void **state)
{
	struct vz_netif *v = NULL;
	size_t n = 0;
	vz_error err = {0};

	(void)state;
	/* IFNAMSIZ is 16 with the NUL: 15 characters is the longest name */
	assert_int_equal(vz_parse_netif("ifname=0123456789abcde", &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].ifname, "0123456789abcde");
	vz_netif_free(v, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_size_bare_number_is_in_unit),
	    cmocka_unit_test(test_size_suffix_converts_to_unit),
	    cmocka_unit_test(test_size_rounds_up),
	    cmocka_unit_test(test_size_unlimited),
	    cmocka_unit_test(test_size_overflow),
	    cmocka_unit_test(test_size_bad_syntax),
	    cmocka_unit_test(test_size_null_error_object),
	    cmocka_unit_test(test_pair_valid),
	    cmocka_unit_test(test_pair_invalid),
	    cmocka_unit_test(test_pair_format_round_trip),
	    cmocka_unit_test(test_u32_bounds),
	    cmocka_unit_test(test_u32_bad_syntax),
	    cmocka_unit_test(test_bool_spellings),
	    cmocka_unit_test(test_ip_valid),
	    cmocka_unit_test(test_ip_invalid),
	    cmocka_unit_test(test_ip_bad_prefix),
	    cmocka_unit_test(test_hostname_valid),
	    cmocka_unit_test(test_hostname_invalid),
	    cmocka_unit_test(test_hostname_lengths),
	    cmocka_unit_test(test_path),
	    cmocka_unit_test(test_expand_veid),
	    cmocka_unit_test(test_split_words),
	    cmocka_unit_test(test_mac_valid),
	    cmocka_unit_test(test_mac_multicast_refused),
	    cmocka_unit_test(test_mac_invalid),
	    cmocka_unit_test(test_mac_zero_refused),
	    cmocka_unit_test(test_netif_full_entry),
	    cmocka_unit_test(test_netif_several_entries),
	    cmocka_unit_test(test_netif_invalid),
	    cmocka_unit_test(test_netif_duplicates_refused),
	    cmocka_unit_test(test_netif_name_lengths),
	};

	return cmocka_run_group_tests_name("config values", tests, NULL, NULL);
}
