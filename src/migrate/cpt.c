/* Checkpoint and restore of one container (vzctl chkpnt/restore/suspend/
 * resume) on top of the CRIU driver.
 *
 * A dump is taken of the container's init with the container's freezer
 * cgroup, so the whole tree is stopped at once and CRIU finds every task.
 * A restore recreates what vz_ct_start() sets up around the init (VE_ROOT
 * mount, running marker, cgroup) and then lets CRIU, started from inside
 * the new cgroup, rebuild the user/pid/mount/... namespaces from the
 * images.  The restored init is pid 1 of a pid namespace one level below
 * vzd and sits in the container's cgroup, so the status logic (cgroup +
 * NSpid) sees it running, and it reparents to vzd like a started one. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/criu.h"
#include "migrate/devfs.h"
#include "migrate/extfd.h"
#include "migrate/migrate.h"
#include "migrate/netif.h"
#include "migrate/ttys.h"
#include "runtime/internal.h"
#include "storage/storage.h"

char *vz_ct_dumpdir(const struct vz_global_conf *g, const char *ctid, const char *dumpdir)
{
	return dumpdir ? vz_xstrdup(dumpdir) : vz_strdup_printf("%s/%s", g->dump_dir, ctid);
}

/* The container's directory in the freezer hierarchy (CRIU's
 * --freeze-cgroup): v2 has one tree; v1 mounts freezer alone or co-mounted
 * ("freezer,devices"). */
static char *freezer_dir(const struct vz_global_conf *g, const char *ctid)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	char *p = vz_strdup_printf("%s/freezer", g->cgroup_root);

	if (vz_is_dir(p) || !(d = opendir(g->cgroup_root))) {
		char *full = vz_strdup_printf("%s/%s/%s", p, g->cgroup_parent, ctid);
		free(p);
		if (vz_is_dir(full) || !vz_path_exists(g->cgroup_root))
			return full;
		free(full);
		return vz_strdup_printf("%s/%s/%s", g->cgroup_root, g->cgroup_parent, ctid);
	}
	free(p);
	while ((de = readdir(d)))
		if (strstr(de->d_name, "freezer"))
			return vz_strdup_printf("%s/%s/%s/%s", g->cgroup_root, de->d_name,
						g->cgroup_parent, ctid);
	return vz_strdup_printf("%s/%s/%s", g->cgroup_root, g->cgroup_parent, ctid);
}

/* Old images of an earlier dump would mix with the new ones; only CRIU's
 * own files go (DIR may be a directory the admin named). */
static void clear_images(const char *dir)
{
	cleanup_closedir DIR *d = opendir(dir);
	struct dirent *de;
	size_t len;

	while (d && (de = readdir(d))) {
		len = strlen(de->d_name);
		if ((len > 4 && !strcmp(de->d_name + len - 4, ".img")) ||
		    !strncmp(de->d_name, "vz-", 3))
			unlinkat(dirfd(d), de->d_name, 0);
	}
}

/* CRIU opens some images (timens, tty info) from inside the restored user
 * namespace before its id maps exist, through a descriptor of the image
 * directory: the directory must be searchable by others (0711) and the
 * images (0644 by CRIU) readable.  Privacy comes from the parent: DUMPDIR
 * is 0700, and the descriptor path never looks at it. */
static int own_dumpdir(const struct vz_global_conf *g, const char *dir, vz_error *err)
{
	if (vz_mkdir_p(g->dump_dir, 0700, err) < 0 || vz_mkdir_p(dir, 0711, err) < 0)
		return -1;
	if (chmod(dir, 0711) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "chmod `%s`", dir);
	return 0;
}

static int need_running(const struct vz_global_conf *g, const char *ctid, pid_t *ret_init,
			vz_error *err)
{
	if (ct_find_init(g, ctid, ret_init, NULL, err) < 0)
		return -1;
	if (!*ret_init)
		return vz_fail(err, VZ_VE_NOT_RUNNING, "container %s is not running", ctid);
	return 0;
}

static int freeze(const struct vz_global_conf *g, const char *ctid, bool frozen, vz_error *err)
{
	cleanup_cgroup struct vz_cgroup *cg = NULL;

	if (ct_cgroup(g, ctid, &cg, err) < 0)
		return -1;
	return cg->ops->freeze(cg, frozen, err);
}

static int dump(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t init,
		const struct vz_cpt_opts *o, const char *dir, vz_error *err)
{
	cleanup_free char *log = vz_strdup_printf("%s/vz-dump.log", dir);
	cleanup_free char *fz = freezer_dir(g, c->ctid);
	struct argv_buf a = {0};
	int rc;

	if (own_dumpdir(g, dir, err) < 0)
		return -1;
	clear_images(dir);
	if (mig_netif_scan(init, dir, err) < 0 || mig_devfs_record(init, dir, err) < 0)
		return -1;
	criu_argv_common(&a, g, "dump", dir, log, c->ve_root);
	if (mig_extfd_scan(g, c->ctid, init, dir, &a, err) < 0) {
		argv_free(&a);
		return -1;
	}
	argv_add(&a, "--external=mnt[/dev]:%s", MIG_DEVFS_KEY);
	if (mig_ttys_dump_args(g, c->ctid, init, dir, &a, err) < 0) {
		argv_free(&a);
		return -1;
	}
	argv_add(&a, "--tree=%d", (int)init);
	argv_add(&a, "--freeze-cgroup=%s", fz);
	if (o->stage == VZ_CPT_DUMP || o->keep_running)
		argv_add(&a, "--leave-running");
	if (o->lazy) {
		argv_add(&a, "--lazy-pages");
		argv_add(&a, "--address=%s", o->lazy_addr ? o->lazy_addr : "127.0.0.1");
		argv_add(&a, "--port=%d", o->lazy_port);
	}
	if (o->lazy && o->ret_lazy_pid) {
		/* Post-copy: CRIU returns only when the pages are gone; it runs
		 * on, serving them, once the images are written. */
		pid_t pid = criu_spawn_ready(&a, log, VZ_CHKPNT_ERROR, err);
		argv_free(&a);
		if (pid < 0)
			return -1;
		*o->ret_lazy_pid = pid;
		return 0;
	}
	rc = criu_run(&a, NULL, log, VZ_CHKPNT_ERROR, err);
	/* A task caught by the freezer in the middle of a vfork (its parent
	 * waits uninterruptibly) cannot be seized, and CRIU gives up after its
	 * timeout; a boot forks a lot.  CRIU resumed the tree: try once more. */
	if (rc < 0 && criu_log_has(log, "Unseizable non-zombie")) {
		vz_error_clear(err);
		rc = criu_run(&a, NULL, log, VZ_CHKPNT_ERROR, err);
	}
	argv_free(&a);
	return rc;
}

int vz_ct_chkpnt(const struct vz_global_conf *g, const char *ctid, const struct vz_cpt_opts *o,
		 vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_free char *dir = vz_ct_dumpdir(g, ctid, o->dumpdir);
	pid_t init = 0;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0 || need_running(g, ctid, &init, err) < 0)
		goto fail;
	switch (o->stage) {
	case VZ_CPT_SUSPEND:
		if (freeze(g, ctid, true, err) < 0)
			goto fail;
		return 0;
	case VZ_CPT_RESUME:
		if (freeze(g, ctid, false, err) < 0)
			goto fail;
		return 0;
	case VZ_CPT_KILL:
		/* The kernel would reset the dumped TCP connections as their
		 * sockets close: no NIC, no reset, and the peers wait for the
		 * restored sockets. */
		mig_netif_cut(dir);
		if (vz_ct_cleanup_stopped(g, ctid, err) < 0)
			goto fail;
		return 0;
	case VZ_CPT_DUMP:
		if (dump(g, c, init, o, dir, err) < 0)
			goto fail;
		return 0;
	case VZ_CPT_ALL:
		if (dump(g, c, init, o, dir, err) < 0) {
			/* CRIU resumes the tree when a dump fails; make sure. */
			freeze(g, ctid, false, NULL);
			goto fail;
		}
		/* CRIU killed the tree; release the cgroup and the mount as a stop
		 * does.  A copy (keep_running) leaves it all in place. */
		if (!o->keep_running && !o->lazy && vz_ct_cleanup_stopped(g, ctid, err) < 0)
			goto fail;
		return 0;
	default:
		vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "not a checkpoint stage");
		goto fail;
	}
fail:
	return vz_error_wrap(err, "cannot checkpoint container %s", ctid);
}

/* SIGCONT every process of a container restored with --undump. */
static int continue_all(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	if (ct_cgroup(g, ctid, &cg, err) < 0 || cg->ops->procs(cg, &pids, &n, err) < 0)
		return -1;
	if (n == 0)
		return vz_fail(err, VZ_VE_NOT_RUNNING, "container %s is not running", ctid);
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGCONT);
	return 0;
}

static void restore_rollback(const struct vz_ct_conf *c, struct vz_cgroup *cg, bool mounted_here,
			     const char *marker)
{
	cg->ops->kill(cg, NULL);
	cg->ops->destroy(cg, NULL);
	if (mounted_here)
		vz_root_umount(c->ve_root, NULL);
	unlink(marker);
}

static int undump(const struct vz_global_conf *g, const struct vz_ct_conf *c,
		  const struct vz_restore_opts *o, const char *dir, struct vz_cgroup *cg,
		  vz_error *err)
{
	cleanup_free char *log = vz_strdup_printf("%s/vz-restore.log", dir);
	cleanup_free char *pidfile = vz_strdup_printf("%s/vz-restore.pid", dir);
	cleanup_free char *devfs = NULL;
	struct mig_ttys ttys = {0};
	struct mig_extfd_held held = {0};
	struct argv_buf a = {0};
	pid_t init = 0;
	int rc;

	unlink(pidfile);
	if (own_dumpdir(g, dir, err) < 0)
		return -1;
	criu_argv_common(&a, g, "restore", dir, log, c->ve_root);
	argv_add(&a, "--restore-detached");
	/* CRIU restores cgroup paths as they were: put the dumped root cgroup
	 * at this host's CGROUP_PARENT/CTID (another instance, another CTID). */
	argv_add(&a, "--cgroup-root=/%s/%s", g->cgroup_parent, c->ctid);
	argv_add(&a, "--pidfile=%s", pidfile);
	if (o->stage == VZ_RST_UNDUMP)
		argv_add(&a, "--leave-stopped");
	if (o->lazy_port > 0)
		argv_add(&a, "--lazy-pages");
	if (mig_devfs_recorded(dir)) {
		if (mig_devfs_prepare(g, c, dir, &devfs, err) < 0) {
			argv_free(&a);
			return -1;
		}
		argv_add(&a, "--external=mnt[%s]:%s", MIG_DEVFS_KEY, devfs);
	}
	/* CRIU's stdin is /dev/null (criu.c): what the dumped processes held
	 * of the host becomes that, or a file in the container's own. */
	if (mig_extfd_restore_args(&a, c, dir, 0, &held, err) < 0 ||
	    mig_netif_restore_args(&a, dir, NULL, err) < 0 ||
	    mig_ttys_prepare(g, c, dir, &a, &ttys, err) < 0) {
		argv_free(&a);
		mig_extfd_release(&held);
		if (devfs)
			mig_devfs_release(devfs);
		return -1;
	}
	rc = criu_run(&a, cg, log, VZ_RESTORE_ERROR, err);
	argv_free(&a);
	mig_ttys_release(&ttys, rc == 0);
	mig_extfd_release(&held);
	if (devfs)
		mig_devfs_release(devfs);
	if (rc < 0)
		return -1;
	if (ct_find_init(g, c->ctid, &init, NULL, err) < 0)
		return -1;
	if (!init)
		return vz_fail(err, VZ_RESTORE_ERROR,
			       "criu restore succeeded but no container init is running");
	if (mig_netif_restored(g, c, init, err) < 0)
		return vz_error_wrap(err, "restore the network of container %s", c->ctid);
	return 0;
}

int vz_ct_restore(const struct vz_global_conf *g, const char *ctid, const struct vz_restore_opts *o,
		  vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	cleanup_free char *dir = vz_ct_dumpdir(g, ctid, o->dumpdir);
	cleanup_free char *inventory = vz_strdup_printf("%s/inventory.img", dir);
	cleanup_free char *marker = ct_running_marker(g, ctid);
	bool mounted = false, mounted_here = false;
	struct vz_ct_status st;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0)
		goto fail;
	if (o->stage == VZ_RST_RESUME) {
		if (continue_all(g, ctid, err) < 0)
			goto fail;
		return 0;
	}
	if (vz_ct_status_of(g, c, &st, err) < 0)
		goto fail;
	if (st.running) {
		vz_fail(err, VZ_VE_RUNNING, "container is already running");
		goto fail;
	}
	if (!vz_path_exists(inventory)) {
		vz_fail(err, VZ_RESTORE_ERROR, "no checkpoint images in `%s`", dir);
		goto fail;
	}
	if (ct_cgroup(g, ctid, &cg, err) < 0 || vz_is_mountpoint(c->ve_root, &mounted, err) < 0)
		goto fail;
	if (!mounted) {
		if (vz_root_mount(c->ve_private, c->ve_root, err) < 0)
			goto fail;
		mounted_here = true;
	}
	if (vz_mkdir_p(g->run_dir, 0755, err) < 0 ||
	    vz_write_file_atomic(marker, "", 0, 0644, err) < 0 || cg->ops->create(cg, err) < 0 ||
	    undump(g, c, o, dir, cg, err) < 0) {
		restore_rollback(c, cg, mounted_here, marker);
		goto fail;
	}
	return 0;
fail:
	return vz_error_wrap(err, "cannot restore container %s", ctid);
}

int vz_ct_suspend(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	pid_t init;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0 || need_running(g, ctid, &init, err) < 0 ||
	    freeze(g, ctid, true, err) < 0)
		return vz_error_wrap(err, "cannot suspend container %s", ctid);
	return 0;
}

int vz_ct_resume(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	pid_t init;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0 || need_running(g, ctid, &init, err) < 0 ||
	    freeze(g, ctid, false, err) < 0)
		return vz_error_wrap(err, "cannot resume container %s", ctid);
	return 0;
}
