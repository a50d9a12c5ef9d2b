/* Resource translation (src/runtime/resources.c, the value helpers of
 * src/cgroups/cgroup.c) and the cgroup v2 backend's limit files and
 * statistics against a fake cgroupfs tree. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroups/cgroup-internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/resources.h"

/* ---- pure translation ---------------------------------------------------- */

static struct vz_ct_conf *conf(const char *text)
{
	static const char *gtext = "VE_ROOT=\"/vz/root/$VEID\"\nVE_PRIVATE=\"/vz/private/$VEID\"\n";
	cleanup_global_conf struct vz_global_conf *g = NULL;
	struct vz_ct_conf *c = NULL;
	vz_error err;

	assert_int_equal(vz_global_conf_parse("vz.conf", gtext, &g, &err), 0);
	if (vz_ct_conf_parse(g, "101", "101.conf", text, &c, &err) < 0)
		fail_msg("%s", err.msg);
	return c;
}

static void test_defaults_are_unlimited(void **state)
{
	cleanup_ct_conf struct vz_ct_conf *c = conf("");
	struct vz_cg_limits l;

	(void)state;
	vz_res_limits(c, 0, &l);
	assert_int_equal(l.cpuunits, 1000);
	assert_true(l.cpu_quota_us == VZ_CG_MAX);
	assert_int_equal(l.cpu_period_us, 100000);
	assert_null(l.cpus);
	assert_null(l.mems);
	assert_true(l.mem_bytes == VZ_CG_MAX);
	assert_int_equal(l.swap_bytes, 0); /* SWAPPAGES defaults to 0: no swap */
	assert_true(l.pids == VZ_CG_MAX);
	assert_int_equal(l.io_weight, 100);
	assert_false(l.io_dev);
	assert_true(l.io_bps == VZ_CG_MAX && l.io_iops == VZ_CG_MAX);
}

static void test_limits_from_config(void **state)
{
	cleanup_ct_conf struct vz_ct_conf *c =
	    conf("CPUUNITS=\"2000\"\nCPULIMIT=\"50\"\nPHYSPAGES=\"0:64M\"\nSWAPPAGES=\"0:256\"\n"
		 "NUMPROC=\"100\"\nCPUMASK=\"0-1,3\"\nNODEMASK=\"all\"\nIOPRIO=\"7\"\n"
		 "IOLIMIT=\"10M\"\nIOPSLIMIT=\"500\"\n");
	struct vz_cg_limits l;

	(void)state;
	vz_res_limits(c, makedev(7, 3), &l);
	assert_int_equal(l.cpuunits, 2000);
	assert_int_equal(l.cpu_quota_us, 50000);
	assert_string_equal(l.cpus, "0-1,3");
	assert_null(l.mems); /* "all" is the parent's set */
	assert_int_equal(l.mem_bytes, 64 << 20);
	assert_int_equal(l.swap_bytes, 256 * 4096);
	assert_int_equal(l.pids, 100);
	assert_int_equal(l.io_weight, 1000);
	assert_true(l.io_dev);
	assert_int_equal(l.io_major, 7);
	assert_int_equal(l.io_minor, 3);
	assert_int_equal(l.io_bps, 10 << 20);
	assert_int_equal(l.io_iops, 500);
}

static void test_cpu_quota(void **state)
{
	(void)state;
	assert_true(vz_res_cpu_quota(0, 0) == VZ_CG_MAX);
	assert_int_equal(vz_res_cpu_quota(50, 0), 50000);
	assert_int_equal(vz_res_cpu_quota(250, 0), 250000);
	/* CPUS caps too, and the smaller cap wins. */
	assert_int_equal(vz_res_cpu_quota(0, 2), 200000);
	assert_int_equal(vz_res_cpu_quota(300, 2), 200000);
	assert_int_equal(vz_res_cpu_quota(50, 2), 50000);
	/* The kernel's floor is 1 ms. */
	assert_int_equal(vz_res_cpu_quota(1, 0), 1000);
}

static void test_units_shares_weight(void **state)
{
	(void)state;
	assert_int_equal(vz_cg_units_to_shares(1000), 1024);
	assert_int_equal(vz_cg_units_to_shares(2000), 2048);
	assert_int_equal(vz_cg_units_to_shares(8), 8);
	assert_int_equal(vz_cg_units_to_shares(1), 2);
	assert_int_equal(vz_cg_units_to_weight(1000), 100);
	assert_int_equal(vz_cg_units_to_weight(8), 1);
	assert_int_equal(vz_cg_units_to_weight(500000), 10000);
	assert_int_equal(vz_res_ioprio_weight(0), 10);
	assert_int_equal(vz_res_ioprio_weight(4), 100);
	assert_int_equal(vz_res_ioprio_weight(7), 1000);
}

static void test_cpulist_syntax(void **state)
{
	static const char *good[] = {"all", "0", "0-3", "0,2,4-7", "4095"};
	static const char *bad[] = {"", "-1", "3-1", "0,", "a", "4096", "0-", "1 2", ",0"};
	vz_error err;

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(good); i++)
		assert_int_equal(vz_parse_cpulist(good[i], &err), 0);
	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		assert_int_equal(vz_parse_cpulist(bad[i], &err), -1);
		assert_int_equal(err.code, VZ_INVALID_PARAMETER_VALUE);
	}
}

static void test_bad_values_refused(void **state)
{
	static const char *bad[] = {"IOPRIO=\"8\"", "IOPSLIMIT=\"-1\"", "IOLIMIT=\"10X\"",
				    "CPUMASK=\"0-\"", "NODEMASK=\"x\""};
	cleanup_global_conf struct vz_global_conf *g = NULL;
	vz_error err;

	(void)state;
	assert_int_equal(vz_global_conf_parse("vz.conf", "", &g, &err), 0);
	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		struct vz_ct_conf *c = NULL;
		assert_int_equal(vz_ct_conf_parse(g, "101", "101.conf", bad[i], &c, &err), -1);
		assert_null(c);
	}
}

/* ---- the v2 backend against a fake tree ----------------------------------- */

struct fixture {
	char root[64];
	struct vz_cgroup *cg;
};

static void put(struct fixture *f, const char *rel, const char *content)
{
	cleanup_free char *path = vz_strdup_printf("%s/vz/101/%s", f->root, rel);
	FILE *fp = fopen(path, "we");

	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
}

static char *get(struct fixture *f, const char *rel)
{
	cleanup_free char *path = vz_strdup_printf("%s/vz/101/%s", f->root, rel);
	char *buf = NULL;
	vz_error err;

	assert_int_equal(vz_read_file(path, 4096, &buf, NULL, &err), 0);
	return buf;
}

static int setup(void **state)
{
	static const char *files[] = {
	    "cpu.weight",      "cpu.max",  "cpuset.cpus", "cpuset.mems",   "memory.max",
	    "memory.swap.max", "pids.max", "io.max",	  "io.bfq.weight",
	};
	struct fixture *f = vz_xcalloc(1, sizeof(*f));
	cleanup_free char *leaf = NULL;
	vz_error err;

	strcpy(f->root, "/tmp/vz-test-resources-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	leaf = vz_strdup_printf("%s/vz/101", f->root);
	if (vz_mkdir_p(leaf, 0755, &err) < 0 ||
	    vz_cgroup_new(f->root, "vz", "101", 2, &f->cg, &err) < 0)
		return -1;
	*state = f;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(files); i++)
		put(f, files[i], "");
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vz_rm_rf(f->root, NULL);
	vz_cgroup_free(f->cg);
	free(f);
	return 0;
}

#define ASSERT_FILE(f, rel, want)                                                                  \
	do {                                                                                       \
		cleanup_free char *got_ = get(f, rel);                                             \
		assert_string_equal(got_, want);                                                   \
	} while (0)

static void test_v2_apply_limits(void **state)
{
	struct fixture *f = *state;
	struct vz_cg_limits l = {.cpuunits = 2000,
				 .cpu_quota_us = 50000,
				 .cpu_period_us = 100000,
				 .cpus = "0-1",
				 .mems = NULL,
				 .mem_bytes = 64 << 20,
				 .swap_bytes = 0,
				 .pids = 100,
				 .io_weight = 250,
				 .io_dev = true,
				 .io_major = 7,
				 .io_minor = 3,
				 .io_bps = 2 << 20,
				 .io_iops = VZ_CG_MAX};
	vz_error err;

	assert_int_equal(vz_cgroup_apply(f->cg, &l, &err), 0);
	ASSERT_FILE(f, "cpu.weight", "200");
	ASSERT_FILE(f, "cpu.max", "50000 100000");
	ASSERT_FILE(f, "cpuset.cpus", "0-1");
	ASSERT_FILE(f, "cpuset.mems", "");
	ASSERT_FILE(f, "memory.max", "67108864");
	ASSERT_FILE(f, "memory.swap.max", "0");
	ASSERT_FILE(f, "pids.max", "100");
	ASSERT_FILE(f, "io.bfq.weight", "default 250");
	ASSERT_FILE(f, "io.max", "7:3 rbps=2097152 wbps=2097152 riops=max wiops=max");
}

static void test_v2_unlimited_writes_max(void **state)
{
	struct fixture *f = *state;
	struct vz_cg_limits l = {.cpuunits = 1000,
				 .cpu_quota_us = VZ_CG_MAX,
				 .cpu_period_us = 100000,
				 .mem_bytes = VZ_CG_MAX,
				 .swap_bytes = VZ_CG_MAX,
				 .pids = VZ_CG_MAX};
	vz_error err;

	assert_int_equal(vz_cgroup_apply(f->cg, &l, &err), 0);
	ASSERT_FILE(f, "cpu.weight", "100");
	ASSERT_FILE(f, "cpu.max", "max 100000");
	ASSERT_FILE(f, "memory.max", "max");
	ASSERT_FILE(f, "memory.swap.max", "max");
	ASSERT_FILE(f, "pids.max", "max");
	ASSERT_FILE(f, "io.max", ""); /* no device: no throttle written */
}

static void test_v2_missing_file_names_it(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = vz_strdup_printf("%s/vz/101/pids.max", f->root);
	struct vz_cg_limits l = {.pids = 5};
	vz_error err;

	unlink(path);
	assert_int_equal(f->cg->ops->set_pids(f->cg, &l, &err), -1);
	assert_non_null(strstr(err.msg, "pids.max"));
}

static void test_v2_absent_controller_only_when_needed(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *cpus = vz_strdup_printf("%s/vz/101/cpuset.cpus", f->root);
	cleanup_free char *mems = vz_strdup_printf("%s/vz/101/cpuset.mems", f->root);
	struct vz_cg_limits l = {.cpuunits = 1000,
				 .cpu_quota_us = VZ_CG_MAX,
				 .cpu_period_us = 100000,
				 .mem_bytes = VZ_CG_MAX,
				 .swap_bytes = 0,
				 .pids = VZ_CG_MAX};
	vz_error err;

	/* cpuset not delegated: its files are missing. */
	unlink(cpus);
	unlink(mems);
	assert_int_equal(vz_cgroup_apply(f->cg, &l, &err), 0);
	l.cpus = "0";
	assert_int_equal(vz_cgroup_apply(f->cg, &l, &err), -1);
	assert_non_null(strstr(err.msg, "cpuset.cpus"));
}

static void test_v2_stats(void **state)
{
	struct fixture *f = *state;
	struct vz_cg_stats s;
	vz_error err;

	put(f, "pids.current", "42\n");
	put(f, "pids.peak", "100\n");
	put(f, "pids.max", "100\n");
	put(f, "pids.events", "max 7\n");
	put(f, "memory.current", "1048576\n");
	put(f, "memory.peak", "67108864\n");
	put(f, "memory.max", "max\n");
	put(f, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
	put(f, "memory.swap.current", "4096\n");
	put(f, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
	put(f, "io.stat",
	    "7:3 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n"
	    "8:0 rbytes=1000 wbytes=2000 rios=10 wios=20 dbytes=0 dios=0\n");
	assert_int_equal(f->cg->ops->stats(f->cg, &s, &err), 0);
	assert_int_equal(s.numproc.held, 42);
	assert_int_equal(s.numproc.maxheld, 100);
	assert_int_equal(s.numproc.limit, 100);
	assert_int_equal(s.numproc.failcnt, 7);
	assert_int_equal(s.mem.held, 1048576);
	assert_int_equal(s.mem.maxheld, 67108864);
	assert_true(s.mem.limit == VZ_CG_MAX);
	assert_int_equal(s.mem.failcnt, 3);
	assert_int_equal(s.swap.held, 4096);
	assert_true(s.swap.maxheld == VZ_CG_MAX); /* no memory.swap.peak: unknown */
	assert_int_equal(s.cpu_usage_ns, 1500000);
	assert_int_equal(s.io_rbytes, 1100);
	assert_int_equal(s.io_wbytes, 2200);
	assert_int_equal(s.io_rios, 11);
	assert_int_equal(s.io_wios, 22);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_are_unlimited),
	    cmocka_unit_test(test_limits_from_config),
	    cmocka_unit_test(test_cpu_quota),
	    cmocka_unit_test(test_units_shares_weight),
	    cmocka_unit_test(test_cpulist_syntax),
	    cmocka_unit_test(test_bad_values_refused),
	    T(test_v2_apply_limits),
	    T(test_v2_unlimited_writes_max),
	    T(test_v2_missing_file_names_it),
	    T(test_v2_absent_controller_only_when_needed),
	    T(test_v2_stats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
