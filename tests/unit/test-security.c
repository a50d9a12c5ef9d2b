/* Security keys and the seccomp profile compiler: CAPABILITY, FEATURES,
 * DEVICES/DEVNODES parsing, the not_in complement, and compiling
 * etc/seccomp/default.json and broken profiles. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/seckeys.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/seccomp-bpf.h"
#include "runtime/security.h"

static void test_caps(void **state)
{
	char *on[] = {"net_raw:off", "CAP_SYS_TIME:on", "Sys_Module:on", "net_raw:on", NULL};
	char *bad_name[] = {"warp:on", NULL};
	vz_error err = {0};
	uint64_t m;

	m = vz_caps_default_drop();
	assert_true(m & (1ULL << CAP_SYS_MODULE));
	assert_true(m & (1ULL << CAP_AUDIT_CONTROL));
	assert_false(m & (1ULL << CAP_SYS_BOOT));
	assert_false(m & (1ULL << CAP_NET_RAW));
	assert_int_equal(vz_caps_drop_mask(on, &m, &err), 0);
	assert_false(m & (1ULL << CAP_SYS_TIME));
	assert_false(m & (1ULL << CAP_SYS_MODULE));
	assert_false(m & (1ULL << CAP_NET_RAW)); /* the last entry wins */
	assert_true(m & (1ULL << CAP_SYSLOG));
	assert_int_equal(vz_caps_drop_mask(bad_name, &m, &err), -1);
	assert_int_equal(err.code, VZ_INVALID_PARAMETER_VALUE);
	assert_non_null(strstr(err.msg, "warp"));
	assert_int_equal(vz_caps_check("chown:yes", &err), -1);
	assert_int_equal(vz_caps_check(":on", &err), -1);
	assert_int_equal(vz_caps_check("chown", &err), -1);
	assert_int_equal(vz_caps_check("", &err), 0);
}

static void test_features(void **state)
{
	char *w[] = {"bpf:on", "userfaultfd:on", "bpf:off", NULL};
	vz_error err = {0};

	assert_false(vz_feature_on(w, "bpf"));
	assert_true(vz_feature_on(w, "userfaultfd"));
	assert_false(vz_feature_on(w, "nesting"));
	assert_false(vz_feature_on(NULL, "bpf"));
	assert_int_equal(vz_features_check("nesting:on keyctl:off", &err), 0);
	assert_int_equal(vz_features_check("nest:on", &err), -1);
	assert_non_null(strstr(err.msg, "unknown feature"));
}

static void test_devices(void **state)
{
	struct vz_dev_rule r;
	char name[64];
	unsigned a;
	vz_error err = {0};

	assert_int_equal(vz_dev_rule_parse("c:10:200:rw", &r, &err), 0);
	assert_int_equal(r.type, 'c');
	assert_int_equal(r.major, 10);
	assert_int_equal(r.minor, 200);
	assert_int_equal(r.access, VZ_DEV_READ | VZ_DEV_WRITE);
	assert_int_equal(vz_dev_rule_parse("b:8:*:r", &r, &err), 0);
	assert_int_equal(r.minor, -1);
	assert_int_equal(r.access, VZ_DEV_READ);
	assert_int_equal(vz_dev_rule_parse("all:none", &r, &err), 0);
	assert_int_equal(r.type, 'a');
	assert_int_equal(r.access, 0);
	assert_int_equal(vz_dev_rule_parse("x:1:3:rw", &r, &err), -1);
	assert_int_equal(vz_dev_rule_parse("c:1:3", &r, &err), -1);
	assert_int_equal(vz_dev_rule_parse("c:*:3:rw", &r, &err), -1);
	assert_int_equal(vz_dev_rule_parse("c:1:3:rx", &r, &err), -1);
	assert_int_equal(vz_dev_rule_parse("c:1:3:rw:x", &r, &err), -1);
	assert_int_equal(vz_devnode_parse("net/tun:rw", name, sizeof(name), &a, &err), 0);
	assert_string_equal(name, "net/tun");
	assert_int_equal(vz_devnode_parse("../sda:rw", name, sizeof(name), &a, &err), -1);
	assert_int_equal(vz_devnode_parse("/sda:rw", name, sizeof(name), &a, &err), -1);
	assert_int_equal(vz_devnode_parse("sd a:rw", name, sizeof(name), &a, &err), -1);
	assert_true(vz_same_entry("NET_RAW:on", "net_raw:off"));
	assert_true(vz_same_entry("c:1:3:rw", "c:1:3:none"));
	assert_false(vz_same_entry("c:1:3:rw", "c:1:5:rw"));
}

static bool in_cubes(uint32_t v, uint32_t (*c)[2], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((v & c[i][0]) == c[i][1])
			return true;
	return false;
}

/* Every value outside the set is covered, none inside is. */
static void test_complement(void **state)
{
	uint32_t set[] = {0xffffffff, 8, 0, 0x20008, 0x20000, 8};
	uint32_t cubes[256][2];
	size_t n = vz_seccomp_complement(set, VZ_ARRAY_SIZE(set), cubes, 256);
	uint32_t probes[] = {1,	      7,	  9,	      0x40000,	  0x20001,   0x1ffff,
			     0x20009, 0xfffffffe, 0x7fffffff, 0x80000000, 0x0400000, 0x0100000 | 8};

	assert_true(n > 0 && n <= 256);
	for (size_t i = 0; i < VZ_ARRAY_SIZE(set); i++)
		assert_false(in_cubes(set[i], cubes, n));
	for (size_t i = 0; i < VZ_ARRAY_SIZE(probes); i++)
		assert_true(in_cubes(probes[i], cubes, n));
	for (uint32_t v = 0; v < 0x30000; v++) /* exhaustive over the low range */
		assert_true(in_cubes(v, cubes, n) ==
			    (v != 0 && v != 8 && v != 0x20000 && v != 0x20008));
	/* the empty set: one cube covering everything */
	assert_int_equal(vz_seccomp_complement(NULL, 0, cubes, 256), 1);
	assert_int_equal(cubes[0][0], 0);
}

static char *write_tmp(const char *text)
{
	char *path = vz_xstrdup("/tmp/vz-test-seccomp-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int compile_text(const char *text, vz_error *err)
{
	cleanup_free char *path = write_tmp(text);
	scmp_filter_ctx ctx = NULL;
	int r = vz_seccomp_compile(path, NULL, &ctx, err);

	unlink(path);
	if (ctx)
		seccomp_release(ctx);
	return r;
}

static void test_default_profile(void **state)
{
	const char *src = getenv("VZ_SRCDIR");
	cleanup_free char *path = vz_strdup_printf("%s/etc/seccomp/default.json", src ? src : ".");
	char *features[] = {"bpf:on", "userfaultfd:on", "nesting:on", NULL};
	scmp_filter_ctx ctx = NULL;
	vz_error err = {0};

	assert_int_equal(vz_seccomp_compile(path, NULL, &ctx, &err), 0);
	assert_non_null(ctx);
	seccomp_release(ctx);
	ctx = NULL;
	assert_int_equal(vz_seccomp_compile(path, features, &ctx, &err), 0);
	seccomp_release(ctx);
}

static void test_snapshot(void **state)
{
	const char *src = getenv("VZ_SRCDIR");
	cleanup_free char *path = vz_strdup_printf("%s/etc/seccomp/default.json", src ? src : ".");
	char *features[] = {"bpf:on", NULL};
	cleanup_free char *text = NULL;
	scmp_filter_ctx ctx = NULL;
	vz_error err = {0};

	assert_int_equal(vz_seccomp_snapshot(path, features, &text, &err), 0);
	assert_non_null(strstr(text, "\"vz_features\":[\"bpf:on\"]"));
	assert_int_equal(vz_seccomp_compile_snapshot(text, &ctx, &err), 0);
	seccomp_release(ctx);
	ctx = NULL;
	assert_int_equal(vz_seccomp_compile_snapshot("{\"default_action\": \"allow\"}", &ctx, &err),
			 -1);
	assert_int_equal(vz_seccomp_compile_snapshot("", &ctx, &err), -1);
	assert_null(ctx);
}

static void test_bad_profiles(void **state)
{
	vz_error err = {0};

	assert_int_equal(compile_text("{\"default_action\": \"kill\"}", &err), -1);
	assert_non_null(strstr(err.msg, "never kills"));
	assert_int_equal(
	    compile_text("{\"default_action\": \"allow\", \"syscalls\": [{\"names\": [\"reboot\"], "
			 "\"action\": \"trap\"}]}",
			 &err),
	    -1);
	assert_non_null(strstr(err.msg, "syscalls[0]"));
	assert_int_equal(compile_text("{\"default_action\": \"allow\", \"syscalls\": [{\"names\": "
				      "[\"no_such_call\"], \"action\": \"errno\"}]}",
				      &err),
			 -1);
	assert_non_null(strstr(err.msg, "no_such_call"));
	assert_int_equal(
	    compile_text("{\"default_action\": \"allow\", \"arches\": [\"vax\"]}", &err), -1);
	assert_int_equal(compile_text("{\"default_action\": \"allow\", \"syscalls\": [{\"names\": "
				      "[\"bpf\"], \"action\": \"errno\", \"errno\": \"EWHAT\"}]}",
				      &err),
			 -1);
	assert_int_equal(compile_text("{\"default_action\": \"allow\",", &err), -1);
	assert_non_null(strstr(err.msg, "/tmp/vz-test-seccomp-"));
	assert_int_equal(compile_text("{\"default_action\": \"allow\", \"syscalls\": [{\"names\": "
				      "[\"personality\"], \"action\": \"errno\", \"args\": "
				      "[{\"index\": 0, \"op\": \"gt\", \"value\": 7}]}]}",
				      &err),
			 0);
}

/* The keys in CTID.conf: typed once, bad values named by file, line and key. */
static void test_conf_keys(void **state)
{
	struct vz_global_conf *g = NULL;
	struct vz_ct_conf *c = NULL;
	vz_error err = {0};

	assert_int_equal(
	    vz_global_conf_parse("/etc/vz/vz.conf", "VZD_GROUP=\"vzadmin\"\n", &g, &err), 0);
	assert_string_equal(g->vzd_group, "vzadmin");
	assert_non_null(strstr(g->seccomp_profile, "/vz/seccomp/default.json"));
	assert_int_equal(vz_ct_conf_parse(g, "101", "/x/101.conf",
					  "CAPABILITY=\"net_raw:off\"\nFEATURES=\"bpf:on\"\n"
					  "SECCOMP_PROFILE=\"strict\"\nNO_NEW_PRIVS=\"yes\"\n",
					  &c, &err),
			 0);
	assert_string_equal(c->capability[0], "net_raw:off");
	assert_true(vz_feature_on(c->features, "bpf"));
	assert_true(c->no_new_privs);
	{
		char *path = vz_seccomp_profile_path(g, c);
		assert_non_null(strstr(path, "/vz/seccomp/strict.json"));
		free(path);
	}
	vz_ct_conf_free(c);
	c = NULL;
	assert_int_equal(vz_ct_conf_parse(g, "101", "/x/101.conf",
					  "HOSTNAME=\"a\"\nCAPABILITY=\"net_raw:maybe\"\n", &c,
					  &err),
			 -1);
	assert_non_null(strstr(err.msg, "/x/101.conf:2: CAPABILITY"));
	assert_int_equal(
	    vz_ct_conf_parse(g, "101", "/x/101.conf", "DEVNODES=\"../sda:rw\"\n", &c, &err), -1);
	vz_global_conf_free(g);
}

/* The program stored in the running marker: exported from the default
 * profile, packed after the snapshot, read back identical; any damage
 * (a flipped byte, a cut, a marker of an older vz) reads as "none". */
static void test_marker_program(void **state)
{
	const char *src = getenv("VZ_SRCDIR");
	cleanup_free char *path = vz_strdup_printf("%s/etc/seccomp/default.json", src ? src : ".");
	cleanup_free char *text = NULL, *marker = NULL;
	struct sock_fprog p = {0}, q = {0};
	scmp_filter_ctx ctx = NULL;
	vz_error err = {0};
	size_t len;

	assert_int_equal(vz_seccomp_snapshot(path, NULL, &text, &err), 0);
	assert_int_equal(vz_seccomp_compile_snapshot(text, &ctx, &err), 0);
	assert_int_equal(vz_seccomp_export(ctx, &p, &err), 0);
	seccomp_release(ctx);
	assert_true(p.len > 10);
	marker = vz_seccomp_marker_pack(text, &p, &len);
	/* Readers of the snapshot alone stop at the NUL. */
	assert_string_equal(marker, text);
	assert_int_equal(vz_seccomp_marker_unpack(marker, len, &q), 0);
	assert_int_equal(q.len, p.len);
	assert_memory_equal(q.filter, p.filter, p.len * sizeof(*p.filter));
	vz_bpf_prog_release(&q);
	marker[len - 3] ^= 0x40;
	assert_int_equal(vz_seccomp_marker_unpack(marker, len, &q), -1);
	marker[len - 3] ^= 0x40;
	assert_int_equal(vz_seccomp_marker_unpack(marker, len - 8, &q), -1);
	assert_int_equal(vz_seccomp_marker_unpack(marker, strlen(text) + 1, &q), -1);
	assert_int_equal(vz_seccomp_marker_unpack(text, strlen(text), &q), -1);
	assert_int_equal(vz_seccomp_marker_unpack("", 0, &q), -1);
	assert_null(q.filter);
	vz_bpf_prog_release(&p);
}

/* vzd compiles a snapshot once: later starts get a copy of the program. */
static void test_program_cache(void **state)
{
	struct sock_filter insns[2] = {{.code = 0x06, .k = 0x7fff0000}, {.code = 0x06, .k = 0}};
	struct sock_fprog p = {.len = 2, .filter = insns}, got = {0};
	char snap_a[] = "{\"vz_features\":[],\"cache\":\"a\"}";
	char snap_b[] = "{\"vz_features\":[],\"cache\":\"b\"}";

	(void)state;
	assert_false(vz_seccomp_cache_get(snap_a, &got));
	vz_seccomp_cache_put(snap_a, &p);
	assert_false(vz_seccomp_cache_get(snap_b, &got));
	assert_true(vz_seccomp_cache_get(snap_a, &got));
	assert_int_equal(got.len, 2);
	assert_true(got.filter != insns);
	assert_memory_equal(got.filter, insns, sizeof(insns));
	vz_bpf_prog_release(&got);
	/* A profile without a filter is remembered as such. */
	vz_seccomp_cache_put(snap_b, &(struct sock_fprog){0});
	assert_true(vz_seccomp_cache_get(snap_b, &got));
	assert_null(got.filter);
	assert_int_equal(got.len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_features),
	    cmocka_unit_test(test_devices),
	    cmocka_unit_test(test_complement),
	    cmocka_unit_test(test_default_profile),
	    cmocka_unit_test(test_bad_profiles),
	    cmocka_unit_test(test_conf_keys),
	    cmocka_unit_test(test_snapshot),
	    cmocka_unit_test(test_marker_program),
	    cmocka_unit_test(test_program_cache),
	};
	return cmocka_run_group_tests_name("security", tests, NULL, NULL);
}
