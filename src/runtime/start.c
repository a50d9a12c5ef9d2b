/* Starting a container (see container.h).
 *
 * vzd's thread forks a single-threaded launcher, which joins the container's
 * cgroup, takes a private mount namespace and clones the init into new user,
 * pid, uts, ipc, net and cgroup namespaces (the cgroup namespace is rooted at
 * the container's cgroup because the launcher is already in it).  The
 * launcher writes the id maps, builds the container's mounts as host root
 * (build_rootfs, in the launcher's mount namespace, which the init shares
 * for now), reports the pid and lets the init go; the init copies the mount
 * namespace into its own user namespace (which locks the mounts), pivots
 * into its root, reports "exec", and execs /sbin/init.  The launcher exits,
 * so the init is reparented to vzd (a subreaper) and never depends on the
 * thread or the process that started it.
 *
 *   vzd thread --fork--> launcher --clone3--> init (pid 1 in the container)
 *        ^--- CT_SYNC_PID ----'                 |
 *        |--- network set up, then "go" ------->|
 *        ^--- CT_SYNC_ERROR or CT_SYNC_EXEC ----'  then EOF at exec
 *
 * The launcher and the init (until its exec) are children of threaded vzd:
 * they make system calls only (lib/child.h).  Everything they need (cgroup
 * files, seccomp programs, file contents, the "go" pipe) is made before the
 * fork, and the network, which needs netlink and nftables libraries, is
 * set up by vzd's thread once the launcher reported the init's pid.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/fault.h"
#include "lib/syscalls.h"
#include "lib/util.h"
#include "netns/netns.h"
#include "runtime/internal.h"
#include "runtime/resources.h"
#include "runtime/security.h"
#include "runtime/sysinfo.h"
#include "runtime/sync.h"
#include "storage/storage.h"

#define START_TIMEOUT_MS 30000

struct launch {
	const struct vz_global_conf *g;
	const struct vz_ct_conf *c;
	char *hosts, *resolv; /* name resolution files to write, or NULL */
	struct vz_cg_join cg_join; /* opened before the fork (lib/child.h) */
	struct vz_idmap map;
	struct ct_security sec;
	int sync_fd;
	int go[2]; /* vzd writes to go[1] when the init may go on */
	int sysinfo_sock; /* to the sysinfo helper, -1 without one */
};

static char *const init_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "TERM=linux",
    "container=vz",
    NULL,
};

static int become_root(bool privileged, vz_error *err)
{
	if (privileged)
		return 0;
	if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "become root of the user namespace");
	return 0;
}

static int stdio_to_devnull(vz_error *err)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open /dev/null");
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "dup2");
	if (fd > 2)
		close(fd);
	return 0;
}

static struct ct_rootfs_spec rootfs_spec(const struct launch *l)
{
	return (struct ct_rootfs_spec){
	    .root = l->c->ve_root,
	    .hostname = l->c->hostname,
	    .ctid = l->c->ctid,
	    .devnodes = l->c->devnodes,
	    .root_uid = l->c->privileged ? 0 : l->map.host_uid,
	    .root_gid = l->c->privileged ? 0 : l->map.host_gid,
	    .lxcfs_dir = l->g->lxcfs_dir,
	};
}

/* The container's init, before exec.  Never returns. */
static void __attribute__((noreturn)) init_main(const struct launch *l, int go_fd)
{
	struct ct_rootfs_spec spec = rootfs_spec(l);
	char *const argv[] = {"/sbin/init", NULL};
	vz_error err = {0};
	char go;

	/* Nothing to do until the launcher wrote our id maps and built our
	 * mounts. */
	if (read(go_fd, &go, 1) != 1)
		_exit(1);
	close(go_fd);
	if (become_root(l->c->privileged, &err) < 0 || ct_enter_rootfs(&spec, &err) < 0 ||
	    vz_netns_loopback_up(&err) < 0 || vz_net_write_files(l->hosts, l->resolv, &err) < 0 ||
	    stdio_to_devnull(&err) < 0)
		goto fail;
	if (setsid() < 0) {
		vz_fail_errno(&err, VZ_SYSTEM_ERROR, "setsid");
		goto fail;
	}
	/* Last before exec, so that setup itself runs unfiltered. */
	ct_sysinfo_install(l->sysinfo_sock);
	/* Whatever vzd had open (other clients' sockets) must not leak in. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (ct_security_apply(&l->sec, &err) < 0)
		goto fail;
	ct_sync_send(l->sync_fd, CT_SYNC_EXEC, 0);
	execve(argv[0], argv, init_env);
	vz_fail_errno(&err, VZ_FS_BAD_TMPL, "exec /sbin/init");
fail:
	ct_sync_send_error(l->sync_fd, &err);
	_exit(1);
}

static unsigned long clone_flags(bool privileged)
{
	/* No CLONE_NEWNS: the init starts in the launcher's mount namespace,
	 * where its mounts are built, and makes its own copy (ct_enter_rootfs). */
	unsigned long f =
	    CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
	return privileged ? f : f | CLONE_NEWUSER;
}

/* Build the container's mounts as host root from inside its pid, net and
 * ipc namespaces (proc, sysfs and mqueue belong to the mounter's): a child
 * joins them, and its own child, the first process of the new pid
 * namespace after the init, does the mounting.  Errors go straight to vzd
 * through the sync socket. */
static int build_rootfs(const struct launch *l, pid_t init)
{
	struct ct_rootfs_spec spec = rootfs_spec(l);
	int pidfd = vz_pidfd_open(init, 0), status;
	vz_error err = {0};
	pid_t pid;

	if (pidfd < 0) {
		vz_fail_errno(&err, VZ_SYSTEM_ERROR, "pidfd_open of the container init");
		ct_sync_send_error(l->sync_fd, &err);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		pid_t inner;
		if (setns(pidfd, CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC) < 0) {
			vz_fail_errno(&err, VZ_SYSTEM_ERROR, "join the container's namespaces");
			ct_sync_send_error(l->sync_fd, &err);
			_exit(1);
		}
		inner = fork();
		if (inner == 0) {
			if (ct_build_rootfs(&spec, &err) < 0) {
				ct_sync_send_error(l->sync_fd, &err);
				_exit(1);
			}
			_exit(0);
		}
		if (inner < 0 || waitpid(inner, &status, 0) < 0)
			_exit(1);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	close(pidfd);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		if (pid < 0) {
			vz_fail_errno(&err, VZ_RESOURCE_ERROR, "fork");
			ct_sync_send_error(l->sync_fd, &err);
		}
		return -1;
	}
	return 0;
}

/* The launcher: a fork of vzd, single-threaded.  Never returns. */
static void __attribute__((noreturn)) launcher_main(const struct launch *l)
{
	struct clone_args args = {.flags = clone_flags(l->c->privileged), .exit_signal = SIGCHLD};
	vz_error err = {0};
	pid_t pid;

	close(l->go[1]);
	if (vz_cgroup_join_reborn(&l->cg_join, -1, NULL, &err) < 0)
		goto fail;
	/* A mount namespace of our own, owned by the host's user namespace:
	 * the container's mounts are built here, and nothing propagates back
	 * to the host. */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		vz_fail_errno(&err, VZ_SYSTEM_ERROR, "private mount namespace for the launcher");
		goto fail;
	}
	pid = vz_clone3(&args);
	if (pid == 0)
		init_main(l, l->go[0]);
	close(l->go[0]);
	if (pid < 0) {
		vz_fail_errno(
		    &err, errno == ENOMEM || errno == EAGAIN ? VZ_RESOURCE_ERROR : VZ_SYSTEM_ERROR,
		    "clone the container init");
		goto fail;
	}
	if (!l->c->privileged && vz_idmap_write(pid, &l->map, &err) < 0) {
		kill(pid, SIGKILL);
		goto fail;
	}
	if (build_rootfs(l, pid) < 0) {
		kill(pid, SIGKILL);
		_exit(1);
	}
	/* vzd sets up the network and lets the init go. */
	ct_sync_send(l->sync_fd, CT_SYNC_PID, pid);
	_exit(0);
fail:
	ct_sync_send_error(l->sync_fd, &err);
	_exit(1);
}

/* Read the launcher's and the init's records; once the init's pid is
 * known, set up its network and let it go on (@go_fd, closed then).
 * *@ret_pid is set as soon as the init exists, so the caller can clean up
 * after a later failure. */
static int await_init(const struct launch *l, int fd, int *go_fd, pid_t *ret_pid,
		      vz_error *err)
{
	bool exec_seen = false;
	struct ct_sync_msg m;
	int r;

	while ((r = ct_sync_recv(fd, &m, NULL, START_TIMEOUT_MS)) > 0) {
		if (m.type == CT_SYNC_PID && !*ret_pid && *go_fd >= 0) {
			*ret_pid = m.pid;
			if (vz_net_ct_setup(l->g, l->c, m.pid, err) < 0)
				return -1;
			vz_fault_point("start.after-net");
			if (write(*go_fd, "g", 1) != 1)
				return vz_fail_errno(err, VZ_START_ERROR,
						     "let the container init go on");
			close(*go_fd);
			*go_fd = -1;
		} else if (m.type == CT_SYNC_EXEC)
			exec_seen = true;
		else if (m.type == CT_SYNC_ERROR)
			return vz_error_set(err, m.code, 0, "%s", m.msg);
	}
	if (r < 0)
		return vz_fail_errno(err, VZ_START_ERROR, "wait for the container init");
	if (!exec_seen || !*ret_pid)
		return vz_fail(err, VZ_START_ERROR, "the container init died during setup");
	return 0;
}

static int launch(const struct vz_global_conf *g, const struct vz_ct_conf *c, struct vz_cgroup *cg,
		  pid_t *ret_pid, vz_error *err)
{
	cleanup_free char *host_resolv = NULL;
	struct launch l = {.g = g, .c = c, .sysinfo_sock = -1, .go = {-1, -1}};
	cleanup_close int parent_fd = -1, go_fd = -1;
	int sv[2] = {-1, -1}, status;
	cleanup_free char *snapshot = NULL, *marker = ct_running_marker(g, c->ctid);
	size_t snapshot_len = 0;
	pid_t launcher = -1;
	int rc = -1;

	ct_idmap(g, c, &l.map);
	/* The running marker keeps the seccomp profile and program the init
	 * gets, for exec and enter to apply the same (see security.h). */
	if (ct_security_prepare(g, c, &l.sec, &snapshot, &snapshot_len, err) < 0)
		return -1;
	if (vz_write_file_replace(marker, snapshot, snapshot_len, 0600, err) < 0 ||
	    vz_cgroup_join_open(cg, &l.cg_join, err) < 0)
		goto out;
	/* Best effort: without a readable host file, `inherit` adds nothing. */
	vz_read_file("/etc/resolv.conf", 65536, &host_resolv, NULL, NULL);
	l.hosts = vz_net_hosts_text(c);
	l.resolv = vz_net_resolv_text(c, host_resolv);
	if (ct_sync_socketpair(sv, err) < 0)
		goto out;
	parent_fd = sv[0];
	l.sync_fd = sv[1];
	if (pipe2(l.go, O_CLOEXEC) < 0) {
		vz_fail_errno(err, VZ_RESOURCE_ERROR, "pipe");
		goto out;
	}
	go_fd = l.go[1];
	l.sysinfo_sock = ct_sysinfo_connect(g, c->ctid, true);
	launcher = vz_child_fork();
	if (launcher == 0)
		launcher_main(&l);
	if (launcher < 0) {
		vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
		goto out;
	}
	close(l.go[0]);
	l.go[0] = -1;
	close(sv[1]);
	sv[1] = -1;
	rc = await_init(&l, parent_fd, &go_fd, ret_pid, err);
	/* A launcher that never reported (stuck, e.g. on a lock inherited
	 * through fork) must not hold this start, and the container lock,
	 * forever. */
	if (rc < 0)
		kill(launcher, SIGKILL);
	vz_child_wait(launcher, &status, -1);
out:
	if (sv[1] >= 0)
		close(sv[1]);
	if (l.go[0] >= 0)
		close(l.go[0]);
	if (l.sysinfo_sock >= 0)
		close(l.sysinfo_sock);
	vz_cgroup_join_close(&l.cg_join);
	ct_security_release(&l.sec);
	free(l.hosts);
	free(l.resolv);
	return rc;
}

/* The init runs as an unprivileged host uid and reaches VE_ROOT by path:
 * every directory above it must be searchable by others (as for LXC's
 * unprivileged containers).  Say so before the kernel says EACCES. */
static int check_root_reachable(const char *root, vz_error *err)
{
	cleanup_free char *dir = vz_xstrdup(root);
	char *slash;

	while ((slash = strrchr(dir, '/')) && slash != dir) {
		struct stat st;
		*slash = '\0';
		if (stat(dir, &st) == 0 && !(st.st_mode & S_IXOTH))
			return vz_fail(
			    err, VZ_FS_CANTMOUNT,
			    "VE_ROOT `%s` is below `%s`, which the container's unprivileged ids "
			    "cannot enter (mode %o); allow it with chmod o+x",
			    root, dir, st.st_mode & 07777);
	}
	return 0;
}

static int check_startable(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			   vz_error *err)
{
	struct vz_ct_status st;
	struct vz_idmap map;

	if (c->disabled)
		return vz_fail(err, VZ_START_DISABLED, "start is disabled (DISABLED=\"yes\")");
	if (vz_ct_status_of(g, c, &st, err) < 0)
		return -1;
	if (st.running)
		return vz_fail(err, VZ_VE_RUNNING, "container is already running");
	if (!vz_is_dir(c->ve_private))
		return vz_fail(err, VZ_VE_PRIVATE_NOTEXIST, "private area `%s` does not exist",
			       c->ve_private);
	ct_idmap(g, c, &map);
	if (!c->privileged &&
	    (vz_idmap_validate(&map, err) < 0 || check_root_reachable(c->ve_root, err) < 0))
		return -1;
	return 0;
}

static int check_init(const struct vz_ct_conf *c, vz_error *err)
{
	cleanup_free char *init = vz_strdup_printf("%s/sbin/init", c->ve_root);
	struct stat st;

	if (lstat(init, &st) < 0)
		return vz_fail(err, VZ_FS_BAD_TMPL, "bad container: `%s` not found", init);
	return 0;
}

/* Undo a start that failed half way. */
static void rollback(const struct vz_global_conf *g, const struct vz_ct_conf *c,
		     struct vz_cgroup *cg, pid_t init, bool mounted_here, const char *marker)
{
	if (init > 0)
		kill(init, SIGKILL);
	cg->ops->kill(cg, NULL);
	cg->ops->destroy(cg, NULL);
	vz_net_ct_cleanup(g, c->ctid);
	if (mounted_here)
		vz_root_umount(c->ve_root, NULL);
	unlink(marker);
}

int vz_ct_start(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	cleanup_free char *marker = ct_running_marker(g, ctid);
	bool mounted = false, mounted_here = false;
	pid_t init = 0;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0 || check_startable(g, c, err) < 0 ||
	    ct_cgroup(g, ctid, &cg, err) < 0 || vz_is_mountpoint(c->ve_root, &mounted, err) < 0)
		goto fail;
	/* The marker comes before the mount: a vzd that crashes in between
	 * finds it and unmounts (vz_reconcile), instead of leaking the mount. */
	if (vz_mkdir_p(g->run_dir, 0755, err) < 0 ||
	    vz_write_file_replace(marker, "", 0, 0644, err) < 0)
		goto fail;
	vz_fault_point("start.after-marker");
	if (!mounted) {
		if (vz_root_mount(c->ve_private, c->ve_root, err) < 0) {
			unlink(marker);
			goto fail;
		}
		mounted_here = true;
	}
	vz_fault_point("start.after-mount");
	if (check_init(c, err) < 0 || cg->ops->create(cg, err) < 0 ||
	    ct_apply_devices(c, cg, err) < 0 || vz_res_apply(c, cg, err) < 0)
		goto fail_rollback;
	vz_fault_point("start.after-cgroup");
	if (launch(g, c, cg, &init, err) < 0)
		goto fail_rollback;
	vz_fault_point("start.after-launch");
	/* Neighbours follow a changed MAC at once; best effort. */
	vz_net_announce(g, c, init, NULL);
	return 0;
fail_rollback:
	rollback(g, c, cg, init, mounted_here, marker);
	goto fail;
fail:
	return vz_error_wrap(err, "cannot start container %s", ctid);
}
