/* File and string helpers: mkdir -p modes, atomic replace, CTID syntax. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/cleanup.h"
#include "lib/util.h"

static void test_mkdir_p_gives_parents_0755(void **state)
{
	char base[] = "/tmp/vz-util-XXXXXX", path[256], cmd[300];
	vz_error err = {0};
	struct stat st;
	mode_t old = umask(0);

	assert_non_null(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/vz/lock", base);
	assert_int_equal(vz_mkdir_p(path, 0700, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* The shared parent must stay enterable by containers' ids. */
	snprintf(path, sizeof(path), "%s/vz", base);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	umask(old);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	assert_int_equal(system(cmd), 0);
}

static void test_atomic_write_replaces_whole_file(void **state)
{
	char base[] = "/tmp/vz-util-XXXXXX", path[256], cmd[300];
	cleanup_free char *text = NULL;
	vz_error err = {0};
	size_t len;

	assert_non_null(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/101.conf", base);
	assert_int_equal(vz_write_file_atomic(path, "A=\"1\"\n", 6, 0644, &err), 0);
	assert_int_equal(vz_write_file_atomic(path, "B=\"2\"\n", 6, 0644, &err), 0);
	assert_int_equal(vz_read_file(path, 1024, &text, &len, &err), 0);
	assert_string_equal(text, "B=\"2\"\n");
	/* No temporary file is left beside it. */
	snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) -eq 1", base);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	assert_int_equal(system(cmd), 0);
}

/* The running marker's write: the same replace, without the fsyncs. */
static void test_replace_write_replaces_whole_file_with_its_mode(void **state)
{
	char base[] = "/tmp/vz-util-XXXXXX", path[256], cmd[300];
	cleanup_free char *text = NULL;
	vz_error err = {0};
	struct stat st;
	size_t len;

	assert_non_null(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/101.running", base);
	assert_int_equal(vz_write_file_replace(path, "", 0, 0644, &err), 0);
	assert_int_equal(vz_write_file_replace(path, "snapshot", 8, 0600, &err), 0);
	assert_int_equal(vz_read_file(path, 1024, &text, &len, &err), 0);
	assert_string_equal(text, "snapshot");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) -eq 1", base);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(vz_write_file_replace("/nonexistent-vz/x.running", "x", 1, 0644, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent-vz/x.running"));
}

static void test_atomic_write_into_missing_dir_fails_cleanly(void **state)
{
	vz_error err = {0};

	assert_int_equal(vz_write_file_atomic("/nonexistent-vz/x.conf", "x", 1, 0644, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent-vz/x.conf"));
}

static void test_ctid_syntax(void **state)
{
	assert_true(vz_ctid_valid("1"));
	assert_true(vz_ctid_valid("101"));
	assert_true(vz_ctid_valid("2147483647"));
	assert_false(vz_ctid_valid("0"));
	assert_false(vz_ctid_valid("0101"));
	assert_false(vz_ctid_valid("2147483648"));
	assert_false(vz_ctid_valid("12a"));
	assert_false(vz_ctid_valid(""));
	assert_false(vz_ctid_valid("-1"));
	assert_false(vz_ctid_valid("../1"));
}

static void test_strv_join(void **state)
{
	const char *words[] = {"10.0.0.1", "10.0.0.2", "fe80::1", NULL};
	const char *none[] = {NULL};
	cleanup_free char *all = vz_strv_join(words, SIZE_MAX, " ");
	cleanup_free char *two = vz_strv_join(words, 2, ", ");
	cleanup_free char *empty = vz_strv_join(none, SIZE_MAX, " ");
	cleanup_free char *null = vz_strv_join(NULL, SIZE_MAX, " ");

	assert_string_equal(all, "10.0.0.1 10.0.0.2 fe80::1");
	assert_string_equal(two, "10.0.0.1, 10.0.0.2");
	assert_string_equal(empty, "");
	assert_string_equal(null, "");
}

static void test_proc_stat_field(void **state)
{
	unsigned long long v = 0;

	assert_int_equal(vz_proc_stat_field(getpid(), 4, &v), 0);
	assert_int_equal((pid_t)v, getppid());
	assert_int_equal(vz_proc_stat_field(getpid(), 22, &v), 0);
	assert_true(v > 0);
	/* A pid that cannot exist (above pid_max's ceiling). */
	assert_int_equal(vz_proc_stat_field(0x7ffffff0, 4, &v), -1);
	assert_int_equal(vz_proc_stat_field(getpid(), 2, &v), -1);
}

/* Mount roots are told from plain directories (and from a symlink to a
 * mount root, which counts as the mount, like realpath did). */
static void test_is_mountpoint(void **state)
{
	char dir[] = "/tmp/vz-test-mnt.XXXXXX";
	cleanup_free char *link = NULL;
	bool m = true;

	(void)state;
	assert_int_equal(vz_is_mountpoint("/proc", &m, NULL), 0);
	assert_true(m);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(vz_is_mountpoint(dir, &m, NULL), 0);
	assert_false(m);
	link = vz_strdup_printf("%s/proc", dir);
	assert_int_equal(symlink("/proc", link), 0);
	assert_int_equal(vz_is_mountpoint(link, &m, NULL), 0);
	assert_true(m);
	unlink(link);
	rmdir(dir);
	assert_int_equal(vz_is_mountpoint(dir, &m, NULL), 0);
	assert_false(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mkdir_p_gives_parents_0755),
	    cmocka_unit_test(test_atomic_write_replaces_whole_file),
	    cmocka_unit_test(test_atomic_write_into_missing_dir_fails_cleanly),
	    cmocka_unit_test(test_replace_write_replaces_whole_file_with_its_mode),
	    cmocka_unit_test(test_ctid_syntax),
	    cmocka_unit_test(test_strv_join),
	    cmocka_unit_test(test_proc_stat_field),
	    cmocka_unit_test(test_is_mountpoint),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
