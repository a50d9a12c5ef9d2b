/* The cgroup v2 device filter against the real kernel: the program built
 * from device rules is loaded, attached to a fresh cgroup in a cgroup2
 * hierarchy (through the v2 backend's ops), and a process moved there may
 * open exactly the allowed devices with exactly the allowed access.
 *
 * Needs root and a cgroup2 mount (on these hybrid hosts
 * /sys/fs/cgroup/unified, which holds no controllers but runs device
 * programs all the same); skips (exit 77) otherwise. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroups/cgroup-v2-devices.h"
#include "config/seckeys.h"
#include "lib/util.h"

static char cg_root[256];
static char parent[64];

static const char *find_cgroup2(void)
{
	static const char *const candidates[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
	struct statfs s;

	for (size_t i = 0; i < 2; i++)
		if (statfs(candidates[i], &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC)
			return candidates[i];
	return NULL;
}

/* In a child moved into @cg_dir: open @path with @flags; 0 or errno. */
static int open_in_cgroup(const char *cg_dir, const char *path, int flags)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		char procs[512];
		int fd;
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_dir);
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(200);
		close(fd);
		fd = open(path, flags | O_CLOEXEC);
		_exit(fd < 0 ? errno : 0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_program_shape(void **state)
{
	struct vz_dev_rule r[] = {{'c', 1, 3, VZ_DEV_READ | VZ_DEV_WRITE}, {'a', -1, -1, 0}};
	struct bpf_insn prog[64];
	size_t n = vz_devices_bpf(r, 2, prog, 64);

	/* header 6, one rule (type, access x3, major, minor, mov, exit) = 8,
	 * the grant-nothing rule is left out, deny tail 2 */
	assert_int_equal(n, 6 + 8 + 2);
	assert_int_equal(prog[n - 1].code, BPF_JMP | BPF_EXIT);
	assert_int_equal(prog[n - 2].imm, 0);
	assert_int_equal(vz_devices_bpf(r, 2, NULL, 0), n);
}

static void test_filter_in_kernel(void **state)
{
	struct vz_dev_rule r[] = {
	    {'c', 1, 3, VZ_DEV_READ | VZ_DEV_WRITE}, /* null */
	    {'c', 1, 5, VZ_DEV_READ},		     /* zero, read only */
	    {'b', -1, -1, VZ_DEV_READ},		     /* any block device, never char */
	};
	struct vz_cgroup cg = {
	    .ops = &vz_cgroup_v2_ops, .root = cg_root, .parent = parent, .name = "ct"};
	char dir[512];
	vz_error err = {0};

	snprintf(dir, sizeof(dir), "%s/%s/ct", cg_root, parent);
	assert_int_equal(vz_cgroup_v2_ops.devices(&cg, r, 3, &err), 0);
	assert_int_equal(open_in_cgroup(dir, "/dev/null", O_RDWR), 0);
	assert_int_equal(open_in_cgroup(dir, "/dev/zero", O_RDONLY), 0);
	assert_int_equal(open_in_cgroup(dir, "/dev/zero", O_WRONLY), EPERM);
	assert_int_equal(open_in_cgroup(dir, "/dev/full", O_RDONLY), EPERM);
	assert_int_equal(open_in_cgroup(dir, "/dev/urandom", O_RDONLY), EPERM);
	/* a second attach (a restart) replaces the program */
	r[2] = (struct vz_dev_rule){'c', 1, 7, VZ_DEV_READ};
	assert_int_equal(vz_cgroup_v2_ops.devices(&cg, r, 3, &err), 0);
	assert_int_equal(open_in_cgroup(dir, "/dev/full", O_RDONLY), 0);
	/* outside the cgroup nothing changed */
	assert_int_equal(access("/dev/full", R_OK), 0);
}

static int setup(void **state)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/%s", cg_root, parent);
	if (mkdir(dir, 0755) < 0)
		return -1;
	strncat(dir, "/ct", sizeof(dir) - strlen(dir) - 1);
	return mkdir(dir, 0755);
}

static int teardown(void **state)
{
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/%s/ct", cg_root, parent);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/%s", cg_root, parent);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_program_shape),
	    cmocka_unit_test(test_filter_in_kernel),
	};
	const char *root = find_cgroup2();

	if (geteuid() != 0 || !root) {
		printf("1..0 # SKIP %s\n",
		       geteuid() ? "needs root" : "no cgroup2 hierarchy mounted");
		return 77;
	}
	snprintf(cg_root, sizeof(cg_root), "%s", root);
	snprintf(parent, sizeof(parent), "vzt-devbpf-%d", (int)getpid());
	return cmocka_run_group_tests_name("devices-bpf", tests, setup, teardown);
}
