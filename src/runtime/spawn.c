/* Processes inside a running container: exec, enter and helpers (see container.h).
 *
 * A forked helper joins the container's cgroup, then all of its namespaces
 * at once through the init's pidfd (setns with a pidfd, Linux >= 5.8), and
 * forks the real process so that it lands in the container's pid namespace.
 * The helper stays outside and mirrors the process's exit status, which is
 * what vzd waits for.  For a pty session the master is opened from the
 * container's own devpts instance, so the pty belongs to the container, and
 * the session leaves the helper for the container's init (session_main):
 * its master goes to a holder (session.c), so a checkpoint takes it along.
 *
 *   vzd thread --fork--> helper (joins cgroup + namespaces) --fork--> process
 *        ^-- CT_SYNC_FD (pty master) / CT_SYNC_ERROR --------------'   |
 *        ^-- EOF once the process exec'd (CLOEXEC) ---------------------'
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/internal.h"
#include "runtime/security.h"
#include "runtime/sync.h"
#include "runtime/sysinfo.h"

#define SPAWN_TIMEOUT_MS 30000

static char *const default_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root",
    "TERM=dumb",
    "container=vz",
    NULL,
};

struct join {
	int pidfd;
	int sysinfo_sock; /* to the container's sysinfo helper, -1 without */
	bool privileged;
	struct vz_cgroup *cg;
	struct vz_cg_join cg_join; /* opened before the fork (lib/child.h) */
	struct ct_security sec; /* what the container's init has, no more */
};

/* Join the container: cgroup first (its files are host paths), then every
 * namespace, then become its root.  *@inside: the caller was reborn in
 * the container's pid namespace (vz_cgroup_join_reborn), no fork needed. */
static int join_container(const struct join *j, bool *inside, vz_error *err)
{
	/* CLONE_NEWTIME too: a container restored by CRIU lives in a time
	 * namespace of its own, and a process left in ours could not be
	 * checkpointed with it again. */
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		    CLONE_NEWCGROUP | CLONE_NEWTIME;

	if (!j->privileged)
		flags |= CLONE_NEWUSER;
	/* Not dumpable until exec: container root must not ptrace or read the
	 * memory of a copy of vzd inside its namespaces. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "prctl(PR_SET_DUMPABLE)");
	if (vz_cgroup_join_reborn(&j->cg_join, j->pidfd, inside, err) < 0)
		return -1;
	if (*inside)
		flags &= ~CLONE_NEWPID;
	if (setns(j->pidfd, flags) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "join the container's namespaces");
	if (!j->privileged &&
	    (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0))
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "become container root");
	/* Joined: from here the process outlives a killed helper, as a
	 * forked one did (and CRIU does not carry the setting along). */
	if (*inside && prctl(PR_SET_PDEATHSIG, 0) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "prctl(PR_SET_PDEATHSIG)");
	return 0;
}

static int open_pty(const struct vz_spawn_opts *o, int *ret_master, int *ret_slave, vz_error *err)
{
	cleanup_close int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct winsize ws = {.ws_row = o->rows ? o->rows : 24, .ws_col = o->cols ? o->cols : 80};
	int slave;

	if (master < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open the container's /dev/ptmx");
	if (unlockpt(master) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "unlockpt");
	/* TIOCGPTPEER opens the slave through the master, with no path lookup. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open pty slave");
	ioctl(slave, TIOCSWINSZ, &ws);
	*ret_master = take_fd(&master);
	*ret_slave = slave;
	return 0;
}

static int setup_stdio(const struct vz_spawn_opts *o, int slave, vz_error *err)
{
	if (slave >= 0) {
		if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR,
					     "make the pty the controlling terminal");
		for (int i = 0; i < 3; i++)
			if (dup2(slave, i) < 0)
				return vz_fail_errno(err, VZ_SYSTEM_ERROR, "dup2");
		return 0;
	}
	/* A session of its own, inside the container: in vzd's session a
	 * process left running (`daemon &`) blocks checkpointing (CRIU: "A
	 * session leader of ... is outside of its pid namespace"). */
	if (setsid() < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "setsid");
	for (int i = 0; i < 3; i++) {
		int fd = o->stdio[i] >= 0 ? o->stdio[i] : open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd < 0 || dup2(fd, i) < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "set up stdio");
	}
	return 0;
}

/* The process in the container.  Never returns. */
static void __attribute__((noreturn))
process_main(const struct join *j, const struct vz_spawn_opts *o, int slave, int sync_fd)
{
	vz_error err = {0};

	if (setup_stdio(o, slave, &err) < 0)
		goto fail;
	if (chdir("/root") < 0 && chdir("/") < 0) {
		vz_fail_errno(&err, VZ_SYSTEM_ERROR, "chdir /");
		goto fail;
	}
	ct_sysinfo_install(j->sysinfo_sock);
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (ct_security_apply(&j->sec, &err) < 0)
		goto fail;
	/* execvp searches the PATH of environ, so install the container's first. */
	environ = (char **)(o->envp ? o->envp : default_env);
	execvp(o->argv[0], o->argv);
	vz_error_set(&err, errno == ENOENT ? VZ_EXEC_ERROR : VZ_SYSTEM_ERROR, errno, "exec `%s`",
		     o->argv[0]);
fail:
	ct_sync_send_error(sync_fd, &err);
	_exit(errno == ENOENT ? 127 : 126);
}

/* A pty session must belong to the container's process tree, or CRIU could
 * not dump it: this intermediate process forks the session and ends at
 * once, so the session reparents to the container's init (a subreaper
 * outside the pid namespace is never chosen).  Its exit status is then the
 * init's to collect; the helper reports 0 once the session runs. */
static void __attribute__((noreturn))
session_main(const struct join *j, const struct vz_spawn_opts *o, int slave, int sync_fd)
{
	vz_error err = {0};
	pid_t pid = fork();

	if (pid == 0)
		process_main(j, o, slave, sync_fd);
	if (pid < 0) {
		vz_fail_errno(&err, VZ_RESOURCE_ERROR, "fork in the container");
		ct_sync_send_error(sync_fd, &err);
		_exit(255);
	}
	_exit(0);
}

/* The helper: joins, forks the process, mirrors its exit status. */
static void __attribute__((noreturn))
helper_main(const struct join *j, const struct vz_spawn_opts *o, int sync_fd)
{
	vz_error err = {0};
	int master = -1, slave = -1, status;
	bool inside = false;
	pid_t pid;

	if (join_container(j, &inside, &err) < 0 ||
	    (o->pty && open_pty(o, &master, &slave, &err) < 0))
		goto fail;
	if (master >= 0) {
		ct_sync_send_fd(sync_fd, master);
		close(master);
	}
	/* Reborn inside, this is the process; the original mirrors it. */
	pid = inside ? 0 : fork();
	if (pid < 0) {
		vz_fail_errno(&err, VZ_RESOURCE_ERROR, "fork in the container");
		goto fail;
	}
	if (pid == 0 && o->pty)
		session_main(j, o, slave, sync_fd);
	if (pid == 0)
		process_main(j, o, slave, sync_fd);
	/* The helper may live as long as the session: it must not keep the
	 * sync socket, the client's stdio, or descriptors that other vzd threads
	 * had open when it was forked (their clients would never see EOF). */
	close_range(3, ~0U, 0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(255);
	_exit(vz_child_exit_code(status));
fail:
	ct_sync_send_error(sync_fd, &err);
	_exit(255);
}

/* Collect the pty master (if any) and errors until the helper and the
 * process let go of the socket. */
static int await_spawn(int fd, bool pty, int *ret_master, vz_error *err)
{
	cleanup_close int master = -1;
	struct ct_sync_msg m;
	int r;

	while ((r = ct_sync_recv(fd, &m, &master, SPAWN_TIMEOUT_MS)) > 0) {
		if (m.type == CT_SYNC_ERROR)
			return vz_error_set(err, m.code, 0, "%s", m.msg);
	}
	if (r < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "wait for the process to start");
	if (pty) {
		if (master < 0)
			return vz_fail(err, VZ_SYSTEM_ERROR, "no pty master from the container");
		*ret_master = take_fd(&master);
	}
	return 0;
}

static int load_join(const struct vz_global_conf *g, const char *ctid, bool with_security,
		     struct join *j, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	pid_t pid;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0)
		return -1;
	j->privileged = c->privileged;
	if (with_security) {
		cleanup_free char *marker = ct_running_marker(g, ctid);
		if (ct_security_prepare_exec(g, c, marker, &j->sec, err) < 0)
			return -1;
	}
	if (vz_ct_init_pidfd(g, ctid, &pid, &j->pidfd, err) < 0) {
		ct_security_release(&j->sec);
		return -1;
	}
	if (with_security && ct_security_bound_by(&j->sec, pid, j->pidfd, err) < 0) {
		close(j->pidfd);
		ct_security_release(&j->sec);
		return vz_error_wrap(err, "container %s", ctid);
	}
	if (ct_cgroup(g, ctid, &j->cg, err) < 0 || vz_cgroup_join_open(j->cg, &j->cg_join, err) < 0) {
		close(j->pidfd);
		vz_cgroup_free(j->cg);
		j->cg = NULL;
		ct_security_release(&j->sec);
		return -1;
	}
	/* Made here, on the host side: inside, the socket path is out of reach. */
	j->sysinfo_sock = with_security ? ct_sysinfo_connect(g, ctid, false) : -1;
	return 0;
}

static void join_release(struct join *j)
{
	if (j->pidfd >= 0)
		close(j->pidfd);
	if (j->sysinfo_sock >= 0)
		close(j->sysinfo_sock);
	vz_cgroup_join_close(&j->cg_join);
	vz_cgroup_free(j->cg);
	ct_security_release(&j->sec);
}

int vz_ct_spawn(const struct vz_global_conf *g, const char *ctid, const struct vz_spawn_opts *o,
		pid_t *ret_pid, int *ret_master, vz_error *err)
{
	struct join j = {.pidfd = -1, .sysinfo_sock = -1};
	cleanup_close int parent_fd = -1;
	int sv[2], status;
	pid_t helper;

	if (!o->argv || !o->argv[0])
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "no command given");
	if (load_join(g, ctid, true, &j, err) < 0)
		return -1;
	if (ct_sync_socketpair(sv, err) < 0) {
		join_release(&j);
		return -1;
	}
	parent_fd = sv[0];
	helper = vz_child_fork();
	if (helper == 0) {
		close(sv[0]);
		helper_main(&j, o, sv[1]);
	}
	close(sv[1]);
	join_release(&j);
	if (helper < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	if (await_spawn(parent_fd, o->pty, ret_master, err) < 0) {
		/* A helper that never reported (stuck) must not hold the client
		 * forever, as start does with its launcher. */
		kill(helper, SIGKILL);
		vz_child_wait(helper, &status, -1);
		return vz_error_wrap(err, "container %s", ctid);
	}
	*ret_pid = helper;
	return 0;
}

int vz_ct_spawn_wait(pid_t pid, int *ret_code, vz_error *err)
{
	int status;

	if (vz_child_wait(pid, &status, -1) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "wait for process %d", (int)pid);
	*ret_code = vz_child_exit_code(status);
	return 0;
}

int vz_ct_exec(const struct vz_global_conf *g, const char *ctid, char *const *argv,
	       const int stdio[3], int *ret_code, vz_error *err)
{
	struct vz_spawn_opts o = {.argv = argv, .stdio = {stdio[0], stdio[1], stdio[2]}};
	pid_t pid;

	if (vz_ct_spawn(g, ctid, &o, &pid, NULL, err) < 0)
		return -1;
	return vz_ct_spawn_wait(pid, ret_code, err);
}

/* Run @fn in a helper that joined the container (no fork into its pid
 * namespace: for work such as sethostname that needs none). */
int ct_run_fn(const struct vz_global_conf *g, const char *ctid, int (*fn)(void *), void *arg,
	      vz_error *err)
{
	struct join j = {.pidfd = -1, .sysinfo_sock = -1};
	int status;
	pid_t pid;

	if (load_join(g, ctid, false, &j, err) < 0)
		return -1;
	pid = vz_child_fork();
	if (pid == 0) {
		vz_error e = {0};
		bool inside;
		_exit(join_container(&j, &inside, &e) < 0 ? 254 : fn(arg));
	}
	join_release(&j);
	if (pid < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	if (vz_child_wait(pid, &status, -1) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "wait for helper");
	if (vz_child_exit_code(status) != 0)
		return vz_fail(err, VZ_SYSTEM_ERROR, "helper in container %s failed (status %d)",
			       ctid, vz_child_exit_code(status));
	return 0;
}
