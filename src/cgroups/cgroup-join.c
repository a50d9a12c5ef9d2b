/* Joining a container's cgroup from a forked child (see cgroup.h).
 *
 * The parent opens every file the child writes to: each v1 hierarchy's
 * `tasks` (the child writes "0", moving itself, which the kernel does
 * without the global threadgroup lock) and the v2 hierarchy's cgroup.procs
 * and directory (the child is born there through clone3 CLONE_INTO_CGROUP,
 * or writes "0" to cgroup.procs where the kernel refused that).  The child
 * of threaded vzd then only makes system calls: joining takes no lock and
 * allocates nothing (lib/child.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/util.h"

/* Whether leaf @dir of @cg lives in a cgroup v2 hierarchy: the whole of a
 * v2 backend, or the cgroup2 mount a v1 backend lists beside its
 * hierarchies on a hybrid host. */
static bool leaf_is_v2(struct vz_cgroup *cg, const char *dir)
{
	struct statfs sfs;

	if (cg->ops == &vz_cgroup_v2_ops)
		return true;
	return statfs(dir, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* The file of @dir the child writes "0" to: v1 `tasks` where it exists
 * (a fake tree in tests may lack it), else cgroup.procs. */
static int open_join_file(const char *dir, bool v2)
{
	cleanup_free char *tasks = v2 ? NULL : vz_strdup_printf("%s/tasks", dir);
	cleanup_free char *procs = vz_strdup_printf("%s/cgroup.procs", dir);
	int fd = tasks ? open(tasks, O_WRONLY | O_CLOEXEC) : -1;

	if (fd < 0 && (!tasks || errno == ENOENT))
		fd = open(procs, O_WRONLY | O_CLOEXEC);
	return fd;
}

int vz_cgroup_join_open(struct vz_cgroup *cg, struct vz_cg_join *j, vz_error *err)
{
	cleanup_strv char **leaves = NULL;

	j->n = 0;
	j->v2_index = -1;
	j->v2_dir = -1;
	j->v2_born = false;
	if (cg->ops->leaves(cg, &leaves, err) < 0)
		return -1;
	for (char **l = leaves; *l; l++) {
		bool v2 = j->v2_index < 0 && leaf_is_v2(cg, *l);
		int fd;

		if (j->n == VZ_CG_JOIN_MAX) {
			vz_cgroup_join_close(j);
			return vz_fail(err, VZ_SYSTEM_ERROR, "more than %d cgroup hierarchies",
				       VZ_CG_JOIN_MAX);
		}
		fd = open_join_file(*l, v2);
		if (fd < 0) {
			vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: open", *l);
			vz_cgroup_join_close(j);
			return -1;
		}
		snprintf(j->dir[j->n], sizeof(j->dir[j->n]), "%s", *l);
		if (v2) {
			j->v2_index = (int)j->n;
			/* Without it the child joins by cgroup.procs. */
			j->v2_dir = open(*l, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		j->fd[j->n++] = fd;
	}
	return 0;
}

pid_t vz_cgroup_join_fork(struct vz_cg_join *j)
{
	bool born;
	pid_t pid = vz_child_fork_into(j->v2_dir, &born);

	/* The child's copy only: the parent's handle stays reusable. */
	if (pid == 0)
		j->v2_born = born;
	return pid;
}

int vz_cgroup_join(const struct vz_cg_join *j, vz_error *err)
{
	for (size_t i = 0; i < j->n; i++) {
		if (j->v2_born && (int)i == j->v2_index)
			continue;
		if (write(j->fd[i], "0", 1) != 1)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: join", j->dir[i]);
	}
	return 0;
}

void vz_cgroup_join_close(struct vz_cg_join *j)
{
	/* Nothing is open before the first file (a zeroed handle too). */
	if (j->n > 0 && j->v2_dir >= 0)
		close(j->v2_dir);
	for (size_t i = 0; i < j->n; i++)
		close(j->fd[i]);
	j->n = 0;
	j->v2_dir = -1;
	j->v2_index = -1;
}
