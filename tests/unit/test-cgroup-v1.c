/* The cgroup v1 backend against the real kernel: a child process is put into
 * a throw-away container cgroup (parent vztest-cg-PID), frozen, thawed and
 * killed, and the cgroups are removed.  Needs root and v1 hierarchies under
 * /sys/fs/cgroup; skips (exit 77) otherwise. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroups/cgroup-internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define ROOT "/sys/fs/cgroup"
#define CTID "101"

struct fixture {
	char parent[64];
	struct vz_cgroup *cg;
	char **hierarchies;
	pid_t child;
	volatile unsigned long *counter; /* shared with the child, which counts */
	int go[2];			 /* the child forks grandchildren on a byte */
};

/* ---- the test's own cleanup, which runs even after a failed assertion -- */

static void reap_all(void)
{
	/* Grandchildren were reparented to us (a subreaper); reap them so no
	 * zombie outlives the test on hosts whose init does not reap. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void write_quiet(const char *path, const char *value)
{
	FILE *fp = fopen(path, "we");

	if (fp) {
		fputs(value, fp);
		fclose(fp);
	}
}

/* Kill whatever is left in @leaf (thawed first, or SIGKILL waits) and
 * remove it and the parent, retrying while dying tasks keep it busy. */
static void scrub_hierarchy(const char *hierarchy, const char *parent)
{
	cleanup_free char *pdir = vz_strdup_printf("%s/%s", hierarchy, parent);
	cleanup_free char *leaf = vz_strdup_printf("%s/%s", pdir, CTID);
	cleanup_free char *state = vz_strdup_printf("%s/freezer.state", leaf);
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	write_quiet(state, "THAWED");
	if (vz_cg_read_procs(leaf, &pids, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
	for (int i = 0; i < 200 && rmdir(leaf) < 0 && errno == EBUSY; i++) {
		reap_all();
		usleep(10000);
	}
	rmdir(pdir);
}

static void scrub(struct fixture *f)
{
	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
		f->child = 0;
	}
	for (char **h = f->hierarchies; h && *h; h++)
		scrub_hierarchy(*h, f->parent);
	/* A hybrid host gives the container a cgroup in the unified mount too. */
	if (vz_is_dir(ROOT "/unified/"))
		scrub_hierarchy(ROOT "/unified", f->parent);
	reap_all();
}

/* ---- fixture ------------------------------------------------------------ */

static void child_main(struct fixture *f)
{
	char byte;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(f->go[1]);
	for (;;) {
		(*f->counter)++;
		/* On a byte from the test: three grandchildren that only
		 * sleep, so the kill has a tree to take down. */
		if (read(f->go[0], &byte, 1) == 1)
			for (int i = 0; i < 3; i++)
				if (fork() == 0)
					for (;;)
						pause();
		usleep(1000);
	}
}

static int setup(void **state)
{
	struct fixture *f = vz_xcalloc(1, sizeof(*f));
	vz_error err;

	snprintf(f->parent, sizeof(f->parent), "vztest-cg-%d", (int)getpid());
	f->counter = mmap(NULL, sizeof(*f->counter), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f->counter == MAP_FAILED || pipe2(f->go, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	if (vz_cgroup_v1_hierarchies(ROOT, &f->hierarchies, &err) < 0 ||
	    vz_cgroup_new(ROOT, f->parent, CTID, 0, &f->cg, &err) < 0) {
		fprintf(stderr, "# %s\n", err.msg);
		return -1;
	}
	f->child = fork();
	if (f->child < 0)
		return -1;
	if (f->child == 0)
		child_main(f);
	close(f->go[0]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	scrub(f);
	close(f->go[1]);
	vz_cgroup_free(f->cg);
	vz_strv_free(f->hierarchies);
	munmap((void *)f->counter, sizeof(*f->counter));
	free(f);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static char *leaf_in(struct fixture *f, const char *hierarchy)
{
	return vz_strdup_printf("%s/%s/%s", hierarchy, f->parent, CTID);
}

static const char *hierarchy(struct fixture *f, const char *base)
{
	for (char **h = f->hierarchies; *h; h++)
		if (!strcmp(strrchr(*h, '/') + 1, base))
			return *h;
	return NULL;
}

static char *read_value(const char *dir, const char *file)
{
	cleanup_free char *path = vz_strdup_printf("%s/%s", dir, file);
	char *buf = NULL;
	vz_error err;

	assert_int_equal(vz_read_file(path, 65536, &buf, NULL, &err), 0);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void create_and_attach(struct fixture *f)
{
	vz_error err;

	if (f->cg->ops->create(f->cg, &err) < 0 || f->cg->ops->attach(f->cg, f->child, &err) < 0)
		fail_msg("%s", err.msg);
}

static unsigned long counter_after(struct fixture *f, unsigned ms)
{
	usleep(ms * 1000);
	return *f->counter;
}

/* What ps shows for a frozen task: reported as a TAP comment, not judged,
 * since it has changed across kernel versions. */
static void report_state(pid_t pid)
{
	cleanup_free char *path = vz_strdup_printf("/proc/%d/status", (int)pid);
	cleanup_free char *status = NULL;
	const char *line;
	vz_error err;

	assert_int_equal(vz_read_file(path, 65536, &status, NULL, &err), 0);
	line = strstr(status, "State:");
	assert_non_null(line);
	printf("# frozen child's %.*s\n", (int)strcspn(line, "\n"), line);
	fflush(stdout);
}

/* ---- tests -------------------------------------------------------------- */

static void test_detects_v1_hierarchies(void **state)
{
	struct fixture *f = *state;
	const struct vz_cgroup_ops *ops = NULL;
	vz_error err;

	assert_int_equal(vz_cgroup_detect(ROOT, 0, &ops, &err), 0);
	assert_ptr_equal(ops, &vz_cgroup_v1_ops);
	assert_string_equal(f->cg->ops->name, "v1");
	assert_non_null(hierarchy(f, "pids"));
	assert_non_null(hierarchy(f, "freezer"));
	/* The cgroup2 mount of a hybrid host is not a v1 hierarchy. */
	assert_null(hierarchy(f, "unified"));
	for (char **h = f->hierarchies; *h; h++) {
		struct stat st;
		assert_int_equal(lstat(*h, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
}

/* Runs in a child, in a mount namespace of its own so that nothing it
 * mounts outlives it: a tmpfs root holding one named (controller-less) v1
 * hierarchy mounted twice, a symlink to it, the cgroup2 mount and a plain
 * directory.  Writes what the backend found to @out. */
static int probe_private_root(const char *root, int out)
{
	cleanup_free char *a = vz_strdup_printf("%s/a", root);
	cleanup_free char *b = vz_strdup_printf("%s/b", root);
	cleanup_free char *unified = vz_strdup_printf("%s/unified", root);
	cleanup_free char *plain = vz_strdup_printf("%s/plain", root);
	cleanup_free char *link = vz_strdup_printf("%s/link", root);
	cleanup_free char *opts = vz_strdup_printf("none,name=vztest-%d", (int)getpid());
	cleanup_strv char **hierarchies = NULL;
	const struct vz_cgroup_ops *ops = NULL;
	vz_error err;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", root, "tmpfs", 0, "mode=0755") < 0 || mkdir(a, 0755) < 0 ||
	    mkdir(b, 0755) < 0 || mkdir(unified, 0755) < 0 || mkdir(plain, 0755) < 0 ||
	    symlink("a", link) < 0 || mount("cgroup", a, "cgroup", 0, opts) < 0 ||
	    mount("cgroup", b, "cgroup", 0, opts) < 0 ||
	    mount("cgroup2", unified, "cgroup2", 0, NULL) < 0) {
		dprintf(out, "setting up the private root: %m");
		return 1;
	}
	if (vz_cgroup_v1_hierarchies(root, &hierarchies, &err) < 0 ||
	    vz_cgroup_detect(root, 0, &ops, &err) < 0) {
		dprintf(out, "%s", err.msg);
		return 1;
	}
	dprintf(out, "%s", ops->name);
	for (char **h = hierarchies; *h; h++)
		dprintf(out, " %s", *h + strlen(root) + 1);
	return 0;
}

static void test_enumerates_each_hierarchy_once(void **state)
{
	char root[] = "/tmp/vz-test-cgroup-v1-XXXXXX";
	char found[512] = "";
	int out[2], status;
	ssize_t len;
	pid_t pid;

	assert_non_null(mkdtemp(root));
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(out[0]);
		_exit(probe_private_root(root, out[1]));
	}
	close(out[1]);
	len = vz_read_all(out[0], found, sizeof(found) - 1);
	close(out[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rmdir(root);
	found[len > 0 ? len : 0] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s", found);
	/* The symlink, the second mount of the same hierarchy, cgroup2 and
	 * the plain directory are all left out; which of the two mounts is
	 * kept depends on readdir order. */
	if (strcmp(found, "v1 a") && strcmp(found, "v1 b"))
		fail_msg("found `%s`, expected `v1 a` or `v1 b`", found);
}

static void test_create_makes_cgroup_in_every_hierarchy(void **state)
{
	struct fixture *f = *state;
	cleanup_strv char **names = NULL;
	vz_error err;

	assert_false(f->cg->ops->exists(f->cg));
	assert_int_equal(f->cg->ops->create(f->cg, &err), 0);
	for (char **h = f->hierarchies; *h; h++) {
		cleanup_free char *leaf = leaf_in(f, *h);
		assert_true(vz_is_dir(leaf));
	}
	assert_true(f->cg->ops->exists(f->cg));
	/* Existing cgroups are fine. */
	assert_int_equal(f->cg->ops->create(f->cg, &err), 0);

	assert_int_equal(vz_cgroup_list(ROOT, f->parent, 0, &names, &err), 0);
	assert_string_equal(names[0], CTID);
	assert_null(names[1]);
}

static void test_create_copies_cpuset_down(void **state)
{
	struct fixture *f = *state;
	const char *cpuset = hierarchy(f, "cpuset");
	cleanup_free char *leaf = NULL, *cpus = NULL, *mems = NULL, *root_cpus = NULL,
			  *root_mems = NULL;
	vz_error err;

	if (!cpuset)
		skip();
	assert_int_equal(f->cg->ops->create(f->cg, &err), 0);
	leaf = leaf_in(f, cpuset);
	cpus = read_value(leaf, "cpuset.cpus");
	mems = read_value(leaf, "cpuset.mems");
	root_cpus = read_value(cpuset, "cpuset.cpus");
	root_mems = read_value(cpuset, "cpuset.mems");
	assert_string_not_equal(cpus, "");
	assert_string_equal(cpus, root_cpus);
	assert_string_equal(mems, root_mems);
}

static void test_attach_moves_process_everywhere(void **state)
{
	struct fixture *f = *state;
	cleanup_free pid_t *pids = NULL;
	cleanup_free char *status_path = vz_strdup_printf("/proc/%d/cgroup", (int)f->child);
	cleanup_free char *cgroups = NULL;
	cleanup_free char *want = vz_strdup_printf(":/%s/%s\n", f->parent, CTID);
	size_t n = 0, members = 0, n_hier = 0;
	vz_error err;

	create_and_attach(f);
	assert_int_equal(f->cg->ops->procs(f->cg, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], f->child);

	/* Every v1 line of /proc/PID/cgroup names the container's cgroup. */
	assert_int_equal(vz_read_file(status_path, 65536, &cgroups, NULL, &err), 0);
	for (const char *p = cgroups; (p = strstr(p, want)); p++)
		members++;
	for (char **h = f->hierarchies; *h; h++)
		n_hier++;
	/* and the "0::" line too on a hybrid host: the backend places the
	 * container in the unified hierarchy as well (see unified_mount) */
	if (strstr(cgroups, "\n0::/") && access("/sys/fs/cgroup/unified", W_OK) == 0)
		n_hier++;
	assert_int_equal(members, n_hier);
}

/* What a child of vzd does: files opened before the fork, only write()
 * after it; the child ends up where attach would put it. */
static void test_join_from_child_matches_attach(void **state)
{
	struct fixture *f = *state;
	cleanup_free pid_t *pids = NULL;
	cleanup_strv char **leaves = NULL;
	struct vz_cg_join j;
	size_t n = 0, n_leaves = 0;
	int status;
	pid_t pid;
	vz_error err;

	assert_int_equal(f->cg->ops->create(f->cg, &err), 0);
	assert_int_equal(vz_cgroup_join_open(f->cg, &j, &err), 0);
	assert_int_equal(f->cg->ops->leaves(f->cg, &leaves, &err), 0);
	for (char **l = leaves; *l; l++)
		n_leaves++;
	assert_true(n_leaves >= 1);
	assert_int_equal(j.n, n_leaves);
	pid = fork();
	if (pid == 0) {
		vz_error e;
		if (vz_cgroup_join(&j, &e) < 0)
			_exit(1);
		pause(); /* until the parent looked */
		_exit(0);
	}
	vz_cgroup_join_close(&j);
	assert_int_equal(j.n, 0);
	assert_true(pid > 0);
	for (int i = 0; i < 100 && n == 0; i++) {
		free(pids);
		pids = NULL;
		assert_int_equal(f->cg->ops->procs(f->cg, &pids, &n, &err), 0);
		if (n == 0)
			usleep(10000);
	}
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* The file behind descriptor @fd of this process. */
static char *fd_path(int fd)
{
	cleanup_free char *link = vz_strdup_printf("/proc/self/fd/%d", fd);
	char buf[4096];
	ssize_t len = readlink(link, buf, sizeof(buf) - 1);

	assert_true(len > 0);
	buf[len] = '\0';
	return vz_xstrdup(buf);
}

/* The fast join of starts and execs: v1 hierarchies through `tasks` (no
 * global lock in the kernel), the hybrid host's cgroup2 mount by a child
 * born there (CLONE_INTO_CGROUP); that child ends up in every hierarchy
 * all the same, the unified one included, and the original mirrors its
 * exit. */
static void test_join_reborn_joins_every_hierarchy_without_procs(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *want = vz_strdup_printf(":/%s/%s\n", f->parent, CTID);
	cleanup_free char *cgroups = NULL, *status_path = NULL;
	struct vz_cg_join j;
	size_t members = 0, n_leaves;
	int status, report[2];
	pid_t pid, successor = 0;
	bool v2;
	vz_error err;

	assert_int_equal(f->cg->ops->create(f->cg, &err), 0);
	assert_int_equal(vz_cgroup_join_open(f->cg, &j, &err), 0);
	for (size_t i = 0; i < j.n; i++) {
		cleanup_free char *path = fd_path(j.fd[i]);
		const char *base = strrchr(path, '/') + 1;
		assert_string_equal(base, (int)i == j.v2_index ? "cgroup.procs" : "tasks");
	}
	assert_int_equal(pipe2(report, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		vz_error e;
		pid_t me;
		close(report[0]);
		if (vz_cgroup_join_reborn(&j, -1, NULL, &e) < 0)
			_exit(1);
		me = getpid();
		(void)!write(report[1], &me, sizeof(me));
		close(report[1]);
		pause(); /* until the parent looked */
		_exit(7);
	}
	assert_true(pid > 0);
	close(report[1]);
	assert_int_equal(read(report[0], &successor, sizeof(successor)), sizeof(successor));
	close(report[0]);
	n_leaves = j.n;
	v2 = j.v2_index >= 0;
	vz_cgroup_join_close(&j);
	/* Born in the cgroup2 mount wherever there is one (Linux >= 5.7). */
	if (v2)
		assert_int_not_equal(successor, pid);
	status_path = vz_strdup_printf("/proc/%d/cgroup", (int)successor);
	assert_int_equal(vz_read_file(status_path, 65536, &cgroups, NULL, &err), 0);
	/* One line per hierarchy joined names the container's cgroup (other
	 * hierarchies, such as a test's named one, may exist besides). */
	for (const char *p = cgroups; (p = strstr(p, want)); p++)
		members++;
	assert_int_equal(members, n_leaves);
	if (v2) {
		cleanup_free char *unified = vz_strdup_printf("\n0::/%s/%s\n", f->parent, CTID);
		assert_non_null(strstr(cgroups, unified));
	}
	/* The original ends as its successor did. */
	kill(successor, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (v2) {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 128 + SIGKILL);
	}
}

static void test_freeze_stops_and_thaw_resumes(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *leaf = leaf_in(f, hierarchy(f, "freezer"));
	cleanup_free char *frozen = NULL, *thawed = NULL;
	unsigned long before;
	vz_error err;

	create_and_attach(f);
	assert_true(counter_after(f, 20) > 0);

	assert_int_equal(f->cg->ops->freeze(f->cg, true, &err), 0);
	frozen = read_value(leaf, "freezer.state");
	assert_string_equal(frozen, "FROZEN");
	before = *f->counter;
	assert_int_equal(counter_after(f, 100), before);
	report_state(f->child);

	assert_int_equal(f->cg->ops->freeze(f->cg, false, &err), 0);
	thawed = read_value(leaf, "freezer.state");
	assert_string_equal(thawed, "THAWED");
	before = *f->counter;
	assert_true(counter_after(f, 100) > before);
}

static void test_kill_takes_down_the_tree(void **state)
{
	struct fixture *f = *state;
	cleanup_free pid_t *pids = NULL;
	cleanup_free char *leaf = leaf_in(f, hierarchy(f, "freezer"));
	cleanup_free char *fstate = NULL;
	size_t n = 0;
	int status;
	vz_error err;

	/* Grandchildren are reparented to us, not to an init that may not
	 * reap them. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	create_and_attach(f);
	assert_int_equal(write(f->go[1], "x", 1), 1);
	for (int i = 0; i < 500 && n < 4; i++) {
		free(pids);
		pids = NULL;
		assert_int_equal(f->cg->ops->procs(f->cg, &pids, &n, &err), 0);
		usleep(2000);
	}
	assert_int_equal(n, 4);

	assert_int_equal(f->cg->ops->kill(f->cg, &err), 0);
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	f->child = 0;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	free(pids);
	pids = NULL;
	assert_int_equal(f->cg->ops->procs(f->cg, &pids, &n, &err), 0);
	assert_int_equal(n, 0);
	/* Left thawed, or the next process to join would freeze at once. */
	fstate = read_value(leaf, "freezer.state");
	assert_string_equal(fstate, "THAWED");
	reap_all();
}

static void test_kill_of_absent_cgroup_is_fine(void **state)
{
	struct fixture *f = *state;
	vz_error err;

	assert_int_equal(f->cg->ops->kill(f->cg, &err), 0);
}

static void test_destroy_refuses_busy_then_removes(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *want =
	    vz_strdup_printf("/%s/%s`: rmdir: Device or resource busy", f->parent, CTID);
	vz_error err;

	create_and_attach(f);
	assert_int_equal(f->cg->ops->destroy(f->cg, &err), -1);
	assert_int_equal(err.errnum, EBUSY);
	assert_non_null(strstr(err.msg, want));
	assert_true(f->cg->ops->exists(f->cg));

	assert_int_equal(f->cg->ops->kill(f->cg, &err), 0);
	assert_int_equal(f->cg->ops->destroy(f->cg, &err), 0);
	for (char **h = f->hierarchies; *h; h++) {
		cleanup_free char *leaf = leaf_in(f, *h);
		cleanup_free char *parent = vz_strdup_printf("%s/%s", *h, f->parent);
		assert_false(vz_path_exists(leaf));
		/* The parent is shared by all containers and stays. */
		assert_true(vz_is_dir(parent));
	}
	assert_false(f->cg->ops->exists(f->cg));
	/* Absent is fine. */
	assert_int_equal(f->cg->ops->destroy(f->cg, &err), 0);
}

/* ---- main --------------------------------------------------------------- */

static const char *why_skip(void)
{
	struct statfs sfs;

	if (geteuid() != 0)
		return "needs root";
	if (statfs(ROOT "/pids", &sfs) < 0 || sfs.f_type != CGROUP_SUPER_MAGIC)
		return "no cgroup v1 pids hierarchy at " ROOT "/pids";
	if (statfs(ROOT "/freezer", &sfs) < 0 || sfs.f_type != CGROUP_SUPER_MAGIC)
		return "no cgroup v1 freezer hierarchy at " ROOT "/freezer";
	return NULL;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_detects_v1_hierarchies),
	    T(test_enumerates_each_hierarchy_once),
	    T(test_create_makes_cgroup_in_every_hierarchy),
	    T(test_create_copies_cpuset_down),
	    T(test_attach_moves_process_everywhere),
	    T(test_join_from_child_matches_attach),
	    T(test_join_reborn_joins_every_hierarchy_without_procs),
	    T(test_freeze_stops_and_thaw_resumes),
	    T(test_kill_takes_down_the_tree),
	    T(test_kill_of_absent_cgroup_is_fine),
	    T(test_destroy_refuses_busy_then_removes),
	};
	const char *skip_reason = why_skip();

	if (skip_reason) {
		printf("1..0 # SKIP %s\n", skip_reason);
		return 77;
	}
	return cmocka_run_group_tests_name("cgroup v1 on the real kernel", tests, NULL, NULL);
}
