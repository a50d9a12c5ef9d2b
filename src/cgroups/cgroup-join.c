/* Joining a container's cgroup from a forked child (see cgroup.h).
 *
 * The parent opens every cgroup.procs file of the container's cgroup; the
 * child of threaded vzd then only writes "0" (the writer itself) to each, so
 * joining takes no lock and allocates nothing (lib/child.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "lib/cleanup.h"
#include "lib/util.h"

int vz_cgroup_join_open(struct vz_cgroup *cg, struct vz_cg_join *j, vz_error *err)
{
	cleanup_strv char **leaves = NULL;

	j->n = 0;
	if (cg->ops->leaves(cg, &leaves, err) < 0)
		return -1;
	for (char **l = leaves; *l; l++) {
		cleanup_free char *procs = vz_strdup_printf("%s/cgroup.procs", *l);
		int fd;

		if (j->n == VZ_CG_JOIN_MAX) {
			vz_cgroup_join_close(j);
			return vz_fail(err, VZ_SYSTEM_ERROR, "more than %d cgroup hierarchies",
				       VZ_CG_JOIN_MAX);
		}
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: open", *l);
			vz_cgroup_join_close(j);
			return -1;
		}
		snprintf(j->dir[j->n], sizeof(j->dir[j->n]), "%s", *l);
		j->fd[j->n++] = fd;
	}
	return 0;
}

int vz_cgroup_join(const struct vz_cg_join *j, vz_error *err)
{
	for (size_t i = 0; i < j->n; i++)
		if (write(j->fd[i], "0", 1) != 1)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: join", j->dir[i]);
	return 0;
}

void vz_cgroup_join_close(struct vz_cg_join *j)
{
	for (size_t i = 0; i < j->n; i++)
		close(j->fd[i]);
	j->n = 0;
}
