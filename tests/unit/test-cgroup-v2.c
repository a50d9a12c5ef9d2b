/* The cgroup v2 backend against a fake cgroupfs: a temporary directory where
 * the test puts the control files the kernel would create, and reads back
 * what the backend wrote.  (No cgroup2 mount with controllers exists on the
 * build machines; the v1 backend is tested against the real kernel.) */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroups/cgroup-internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

struct fixture {
	char root[64];
	struct vz_cgroup *cg;
};

/* Create @rel (and its directories) under the fake root with @content. */
static void put(struct fixture *f, const char *rel, const char *content)
{
	cleanup_free char *path = vz_strdup_printf("%s/%s", f->root, rel);
	cleanup_free char *dir = vz_xstrdup(path);
	FILE *fp;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(vz_mkdir_p(dir, 0755, NULL), 0);
	fp = fopen(path, "we");
	assert_non_null(fp);
	fputs(content, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Contents of @rel under the fake root; caller frees. */
static char *get(struct fixture *f, const char *rel)
{
	cleanup_free char *path = vz_strdup_printf("%s/%s", f->root, rel);
	char *buf = NULL;
	vz_error err;

	assert_int_equal(vz_read_file(path, 4096, &buf, NULL, &err), 0);
	return buf;
}

static void mkdirs(struct fixture *f, const char *rel)
{
	cleanup_free char *path = vz_strdup_printf("%s/%s", f->root, rel);
	assert_int_equal(vz_mkdir_p(path, 0755, NULL), 0);
}

static bool has(struct fixture *f, const char *rel)
{
	cleanup_free char *path = vz_strdup_printf("%s/%s", f->root, rel);
	return vz_path_exists(path);
}

/* The kernel's view of a cgroup2 root with some controllers, one of them
 * (memory) already delegated, and io missing. */
static void fake_root(struct fixture *f)
{
	put(f, "cgroup.controllers", "cpuset cpu memory pids rdma\n");
	put(f, "cgroup.subtree_control", "memory\n");
}

/* What the kernel puts into every new cgroup, here the container's. */
static void fake_leaf(struct fixture *f, const char *events)
{
	put(f, "vz/101/cgroup.procs", "");
	put(f, "vz/101/cgroup.freeze", "0");
	put(f, "vz/101/cgroup.events", events);
}

static int setup(void **state)
{
	struct fixture *f = vz_xcalloc(1, sizeof(*f));
	vz_error err;

	strcpy(f->root, "/tmp/vz-test-cgroup-v2-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	if (vz_cgroup_new(f->root, "vz", "101", 2, &f->cg, &err) < 0)
		return -1;
	vz_cgroup_timeout_ms = 200;
	*state = f;
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

static void test_create_delegates_offered_controllers(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *root_sc = NULL, *parent_sc = NULL;
	vz_error err;

	fake_root(f);
	/* The parent as the kernel makes it once root delegated cpu, cpuset,
	 * memory, pids: here it offers only three of them. */
	put(f, "vz/cgroup.controllers", "cpu memory pids\n");
	put(f, "vz/cgroup.subtree_control", "");
	assert_string_equal(f->cg->ops->name, "v2");
	assert_false(f->cg->ops->exists(f->cg));

	assert_int_equal(f->cg->ops->create(f->cg, &err), 0);

	/* Each controller written on its own; memory was on already, io and
	 * rdma are not offered or not wanted. */
	root_sc = get(f, "cgroup.subtree_control");
	assert_string_equal(root_sc, "memory\n+cpu+cpuset+pids");
	parent_sc = get(f, "vz/cgroup.subtree_control");
	assert_string_equal(parent_sc, "+cpu+memory+pids");
	assert_true(has(f, "vz/101"));
	assert_true(f->cg->ops->exists(f->cg));
}

static void test_create_accepts_existing_cgroup(void **state)
{
	struct fixture *f = *state;
	vz_error err;

	fake_root(f);
	put(f, "vz/cgroup.controllers", "");
	put(f, "vz/cgroup.subtree_control", "");
	fake_leaf(f, "frozen 0\n");

	assert_int_equal(f->cg->ops->create(f->cg, &err), 0);
	assert_true(f->cg->ops->exists(f->cg));
}

static void test_attach_writes_pid(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *procs = NULL;
	vz_error err;

	fake_leaf(f, "frozen 0\n");
	assert_int_equal(f->cg->ops->attach(f->cg, 4242, &err), 0);
	procs = get(f, "vz/101/cgroup.procs");
	assert_string_equal(procs, "4242");
}

/* On v2 the join is a birth in the cgroup (vz_cgroup_join_reborn): the
 * handle holds the cgroup's directory for CLONE_INTO_CGROUP, and its
 * cgroup.procs for the fallback, which a plain join writes "0" to. */
static void test_join_holds_the_directory_for_clone_into_cgroup(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *procs = NULL, *leaf = vz_strdup_printf("%s/vz/101", f->root);
	struct vz_cg_join j;
	struct stat a, b;
	vz_error err;

	fake_leaf(f, "frozen 0\n");
	assert_int_equal(vz_cgroup_join_open(f->cg, &j, &err), 0);
	assert_int_equal(j.n, 1);
	assert_int_equal(j.v2_index, 0);
	assert_true(j.v2_dir >= 0);
	assert_int_equal(fstat(j.v2_dir, &a), 0);
	assert_int_equal(stat(leaf, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_int_equal(vz_cgroup_join(&j, &err), 0);
	vz_cgroup_join_close(&j);
	assert_int_equal(j.n, 0);
	assert_int_equal(j.v2_dir, -1);
	procs = get(f, "vz/101/cgroup.procs");
	assert_string_equal(procs, "0");
}

static void test_attach_to_absent_cgroup_names_it(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *leaf = vz_strdup_printf("cgroup `%s/vz/101`", f->root);
	vz_error err;

	assert_int_equal(f->cg->ops->attach(f->cg, 4242, &err), -1);
	assert_int_equal(err.errnum, ENOENT);
	assert_non_null(strstr(err.msg, leaf));
	assert_non_null(strstr(err.msg, "attach pid 4242"));
}

static void test_freeze_waits_for_events(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *freeze = NULL;
	vz_error err;

	/* The kernel would flip cgroup.events once every task stopped. */
	fake_leaf(f, "populated 1\nfrozen 1\n");
	assert_int_equal(f->cg->ops->freeze(f->cg, true, &err), 0);
	freeze = get(f, "vz/101/cgroup.freeze");
	assert_string_equal(freeze, "1");
}

static void test_thaw_waits_for_events(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *freeze = NULL;
	vz_error err;

	fake_leaf(f, "populated 1\nfrozen 0\n");
	put(f, "vz/101/cgroup.freeze", "1");
	assert_int_equal(f->cg->ops->freeze(f->cg, false, &err), 0);
	freeze = get(f, "vz/101/cgroup.freeze");
	assert_string_equal(freeze, "0");
}

static void test_freeze_that_never_completes_times_out(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *leaf = vz_strdup_printf("cgroup `%s/vz/101`: not frozen", f->root);
	cleanup_free char *freeze = NULL;
	uint64_t start = vz_now_ms();
	vz_error err;

	fake_leaf(f, "populated 1\nfrozen 0\n");
	assert_int_equal(f->cg->ops->freeze(f->cg, true, &err), -1);
	assert_true(vz_now_ms() - start >= 200);
	assert_int_equal(err.errnum, ETIMEDOUT);
	assert_non_null(strstr(err.msg, leaf));
	/* The freeze is withdrawn, not left pending. */
	freeze = get(f, "vz/101/cgroup.freeze");
	assert_string_equal(freeze, "0");
}

static void test_freeze_without_frozen_key_fails(void **state)
{
	struct fixture *f = *state;
	vz_error err;

	fake_leaf(f, "populated 1\n");
	assert_int_equal(f->cg->ops->freeze(f->cg, true, &err), -1);
	assert_non_null(strstr(err.msg, "no `frozen` line"));
}

static int cmp_pid(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

static void test_procs_reads_descendants(void **state)
{
	struct fixture *f = *state;
	cleanup_free pid_t *pids = NULL;
	size_t n = 99;
	vz_error err;

	put(f, "vz/101/cgroup.procs", "10\n11\n");
	put(f, "vz/101/init.scope/cgroup.procs", "12\n");
	put(f, "vz/101/system.slice/sshd.service/cgroup.procs", "13\n");
	put(f, "vz/101/system.slice/cgroup.procs", "");
	/* A sibling container's processes are not ours. */
	put(f, "vz/102/cgroup.procs", "20\n");

	assert_int_equal(f->cg->ops->procs(f->cg, &pids, &n, &err), 0);
	assert_int_equal(n, 4);
	qsort(pids, n, sizeof(*pids), cmp_pid);
	assert_int_equal(pids[0], 10);
	assert_int_equal(pids[1], 11);
	assert_int_equal(pids[2], 12);
	assert_int_equal(pids[3], 13);
}

static void test_procs_of_absent_cgroup_is_empty(void **state)
{
	struct fixture *f = *state;
	cleanup_free pid_t *pids = NULL;
	size_t n = 99;
	vz_error err;

	assert_int_equal(f->cg->ops->procs(f->cg, &pids, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void test_procs_rejects_garbage(void **state)
{
	struct fixture *f = *state;
	cleanup_free pid_t *pids = NULL;
	size_t n = 99;
	vz_error err;

	put(f, "vz/101/cgroup.procs", "10\nbogus\n");
	assert_int_equal(f->cg->ops->procs(f->cg, &pids, &n, &err), -1);
	assert_non_null(strstr(err.msg, "unexpected line `bogus"));
	assert_int_equal(n, 99);
}

static void test_kill_uses_cgroup_kill(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *kill = NULL;
	vz_error err;

	fake_leaf(f, "populated 0\nfrozen 0\n");
	put(f, "vz/101/cgroup.kill", "");
	assert_int_equal(f->cg->ops->kill(f->cg, &err), 0);
	kill = get(f, "vz/101/cgroup.kill");
	assert_string_equal(kill, "1");
}

static void test_kill_waits_until_empty(void **state)
{
	struct fixture *f = *state;
	vz_error err;

	/* The fake never empties, as if the process were stuck. */
	fake_leaf(f, "populated 1\nfrozen 0\n");
	put(f, "vz/101/sub/cgroup.procs", "4242\n");
	put(f, "vz/101/cgroup.kill", "");
	assert_int_equal(f->cg->ops->kill(f->cg, &err), -1);
	assert_int_equal(err.errnum, ETIMEDOUT);
	assert_non_null(strstr(err.msg, "1 process(es) still alive"));
	assert_non_null(strstr(err.msg, "pid 4242"));
}

static void test_kill_of_absent_or_empty_cgroup(void **state)
{
	struct fixture *f = *state;
	vz_error err;

	assert_int_equal(f->cg->ops->kill(f->cg, &err), 0);
	/* Without cgroup.kill (before 5.14): the freeze-and-kill loop, which
	 * finds nothing to kill. */
	fake_leaf(f, "populated 0\nfrozen 0\n");
	assert_int_equal(f->cg->ops->kill(f->cg, &err), 0);
}

static void test_destroy_removes_descendants_first(void **state)
{
	struct fixture *f = *state;
	vz_error err;

	/* Control files vanish with rmdir on cgroupfs; a plain directory
	 * would refuse, so the fake has none. */
	mkdirs(f, "vz/101/system.slice/sshd.service");
	mkdirs(f, "vz/101/init.scope");
	mkdirs(f, "vz/102");

	assert_int_equal(f->cg->ops->destroy(f->cg, &err), 0);
	assert_false(has(f, "vz/101"));
	assert_false(f->cg->ops->exists(f->cg));
	assert_true(has(f, "vz"));
	assert_true(has(f, "vz/102"));
	/* Absent is fine. */
	assert_int_equal(f->cg->ops->destroy(f->cg, &err), 0);
}

static void test_destroy_failure_names_cgroup(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *want = vz_strdup_printf("cgroup `%s/vz/101/init.scope`: rmdir", f->root);
	vz_error err;

	/* A file the kernel would not let go stands for a busy cgroup. */
	put(f, "vz/101/init.scope/cgroup.procs", "1\n");
	assert_int_equal(f->cg->ops->destroy(f->cg, &err), -1);
	assert_non_null(strstr(err.msg, want));
	assert_true(has(f, "vz/101"));
}

static void test_list_names_containers(void **state)
{
	struct fixture *f = *state;
	cleanup_strv char **names = NULL;
	cleanup_strv char **none = NULL;
	vz_error err;

	put(f, "vz/cgroup.procs", "");
	put(f, "vz/102/cgroup.procs", "");
	put(f, "vz/101/cgroup.procs", "");
	assert_int_equal(vz_cgroup_list(f->root, "vz", 2, &names, &err), 0);
	assert_string_equal(names[0], "101");
	assert_string_equal(names[1], "102");
	assert_null(names[2]);

	assert_int_equal(vz_cgroup_list(f->root, "other", 2, &none, &err), 0);
	assert_null(none[0]);
}

static void test_detect(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *want = vz_strdup_printf("cgroup root `%s` is neither", f->root);
	const struct vz_cgroup_ops *ops = NULL;
	vz_error err;

	assert_int_equal(vz_cgroup_detect(f->root, 2, &ops, &err), 0);
	assert_ptr_equal(ops, &vz_cgroup_v2_ops);

	ops = NULL;
	assert_int_equal(vz_cgroup_detect(f->root, 0, &ops, &err), -1);
	assert_null(ops);
	assert_non_null(strstr(err.msg, want));

	assert_int_equal(vz_cgroup_detect(f->root, 3, &ops, &err), -1);
	assert_int_equal(err.code, VZ_INVALID_PARAMETER_VALUE);

	assert_int_equal(vz_cgroup_detect("/nonexistent/cgroup", 0, &ops, &err), -1);
	assert_string_equal(err.msg,
			    "cgroup root `/nonexistent/cgroup`: statfs: No such file or directory");
}

static void test_new_rejects_path_tricks(void **state)
{
	struct fixture *f = *state;
	struct vz_cgroup *cg = NULL;
	vz_error err;

	assert_int_equal(vz_cgroup_new(f->root, "../etc", "101", 2, &cg, &err), -1);
	assert_int_equal(err.code, VZ_INVALID_PARAMETER_VALUE);
	assert_string_equal(err.msg, "cgroup parent `../etc` must be a single path component");
	assert_int_equal(vz_cgroup_new(f->root, "vz", "..", 2, &cg, &err), -1);
	assert_int_equal(vz_cgroup_new(f->root, "", "101", 2, &cg, &err), -1);
	assert_int_equal(vz_cgroup_new(f->root, "vz", "1/2", 2, &cg, &err), -1);
	assert_null(cg);
}

static void test_new_strips_trailing_slash(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *root = vz_strdup_printf("%s//", f->root);
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	vz_error err;

	assert_int_equal(vz_cgroup_new(root, "vz", "101", 2, &cg, &err), 0);
	assert_string_equal(cg->root, f->root);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_create_delegates_offered_controllers),
	    T(test_create_accepts_existing_cgroup),
	    T(test_attach_writes_pid),
	    T(test_attach_to_absent_cgroup_names_it),
	    T(test_join_holds_the_directory_for_clone_into_cgroup),
	    T(test_freeze_waits_for_events),
	    T(test_thaw_waits_for_events),
	    T(test_freeze_that_never_completes_times_out),
	    T(test_freeze_without_frozen_key_fails),
	    T(test_procs_reads_descendants),
	    T(test_procs_of_absent_cgroup_is_empty),
	    T(test_procs_rejects_garbage),
	    T(test_kill_uses_cgroup_kill),
	    T(test_kill_waits_until_empty),
	    T(test_kill_of_absent_or_empty_cgroup),
	    T(test_destroy_removes_descendants_first),
	    T(test_destroy_failure_names_cgroup),
	    T(test_list_names_containers),
	    T(test_detect),
	    T(test_new_rejects_path_tricks),
	    T(test_new_strips_trailing_slash),
	};

	return cmocka_run_group_tests_name("cgroup v2 on a fake cgroupfs", tests, NULL, NULL);
}
