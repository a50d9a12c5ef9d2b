/* Id maps: range validation, map text, and the ownership shift of a tree. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/idmap.h"

static void test_map_text(void **state)
{
	char buf[64];

	assert_int_equal(vz_idmap_format(6719136, 65536, buf, sizeof(buf)), 16);
	assert_string_equal(buf, "0 6719136 65536\n");
	assert_int_equal(vz_idmap_format(1, 1, buf, 4), -1);
}

static void test_to_host(void **state)
{
	assert_int_equal(vz_idmap_to_host(100000, 65536, 0), 100000);
	assert_int_equal(vz_idmap_to_host(100000, 65536, 65535), 165535);
	assert_int_equal(vz_idmap_to_host(100000, 65536, 65536), (uint32_t)-1);
}

static void test_validate(void **state)
{
	struct vz_idmap ok = {100000, 100000, 65536};
	struct vz_idmap root = {0, 100000, 65536};
	struct vz_idmap wraps = {4294967295U - 100, 100000, 65536};
	struct vz_idmap empty = {100000, 100000, 0};
	vz_error err = {0};

	assert_int_equal(vz_idmap_validate(&ok, &err), 0);
	assert_int_equal(vz_idmap_validate(&root, &err), -1);
	assert_non_null(strstr(err.msg, "host root"));
	assert_int_equal(vz_idmap_validate(&wraps, &err), -1);
	assert_non_null(strstr(err.msg, "does not fit"));
	assert_int_equal(vz_idmap_validate(&empty, &err), -1);
}

/* Needs root: chown to arbitrary ids. */
static void test_shift_tree(void **state)
{
	char dir[] = "/tmp/vz-idmap-XXXXXX", path[256];
	struct vz_idmap m = {500000, 600000, 65536};
	vz_error err = {0};
	struct stat st;
	FILE *f;

	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/suid", dir);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(chown(path, 5, 7), 0);
	assert_int_equal(chmod(path, 04755), 0);
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/far", dir);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(chown(path, 70000, 70000), 0);

	assert_int_equal(vz_idmap_shift_tree(dir, &m, &err), 0);

	snprintf(path, sizeof(path), "%s/suid", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 500005);
	assert_int_equal(st.st_gid, 600007);
	assert_int_equal(st.st_mode & 07777, 04755); /* set-id bit survived chown */
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, 500000); /* the link itself, not /etc/passwd */
	assert_int_equal(stat("/etc/passwd", &st), 0);
	assert_int_equal(st.st_uid, 0);
	snprintf(path, sizeof(path), "%s/far", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 500000); /* outside the range: container root */
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_uid, 500000);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_text),
	    cmocka_unit_test(test_to_host),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_shift_tree),
	};
	return cmocka_run_group_tests_name("idmap", tests, NULL, NULL);
}
