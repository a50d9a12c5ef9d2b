/* Joining a container's cgroup from a forked child (see cgroup.h).
 *
 * The parent opens every file the child writes to: each v1 hierarchy's
 * `tasks` (the child writes "0", moving itself, which the kernel does
 * without the global threadgroup lock) and the v2 hierarchy's directory
 * (the child goes on in a child born there through clone3
 * CLONE_INTO_CGROUP) and cgroup.procs (the fallback).  The child of
 * threaded vzd then only makes system calls: joining takes no lock and
 * allocates nothing (lib/child.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "lib/cleanup.h"
#include "lib/syscalls.h"
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

static int join_files(const struct vz_cg_join *j, bool v2, vz_error *err)
{
	for (size_t i = 0; i < j->n; i++) {
		if (((int)i == j->v2_index) != v2)
			continue;
		if (write(j->fd[i], "0", 1) != 1)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: join", j->dir[i]);
	}
	return 0;
}

int vz_cgroup_join(const struct vz_cg_join *j, vz_error *err)
{
	if (join_files(j, false, err) < 0 || join_files(j, true, err) < 0)
		return -1;
	return 0;
}

/* The original process after the rebirth: it holds nothing the caller's
 * peers wait on (sync sockets, pipes), and ends as its successor did. */
static void __attribute__((noreturn)) mirror(pid_t pid)
{
	int status;

	close_range(3, ~0U, 0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(255);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int vz_cgroup_join_reborn(const struct vz_cg_join *j, int pidns_fd, bool *ret_in_pidns,
			  vz_error *err)
{
	struct clone_args a = {.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD};
	bool in_pidns = false;
	int self;
	pid_t pid;

	if (ret_in_pidns)
		*ret_in_pidns = false;
	if (join_files(j, false, err) < 0)
		return -1;
	if (j->v2_index < 0)
		return 0;
	if (j->v2_dir >= 0) {
		a.cgroup = (uint64_t)j->v2_dir;
		/* The successor sees whether its parent died before the
		 * PDEATHSIG took effect through this, even from another pid
		 * namespace, where getppid() says 0. */
		self = vz_pidfd_open(getpid(), 0);
		in_pidns = pidns_fd >= 0 && self >= 0 && setns(pidns_fd, CLONE_NEWPID) == 0;
		/* Raw clone3 is safe here: this process is a single-threaded
		 * fork, so no lock of glibc's can be held by another thread. */
		pid = self >= 0 ? vz_clone3(&a) : -1;
		if (pid > 0)
			mirror(pid);
		if (pid == 0) {
			/* Readable once the original has died (poll works on a
			 * pidfd across pid namespaces, signals do not). */
			struct pollfd gone = {.fd = self, .events = POLLIN};
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || poll(&gone, 1, 0) != 0)
				_exit(255);
			close(self);
			if (ret_in_pidns)
				*ret_in_pidns = in_pidns;
			return 0;
		}
		if (self >= 0)
			close(self);
		/* A later fork lands in that pid namespace all the same. */
		if (ret_in_pidns)
			*ret_in_pidns = false;
	}
	return join_files(j, true, err);
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
