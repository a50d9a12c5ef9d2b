/* Stopping containers, mount/umount, and cleaning up after ones that ended
 * on their own (see container.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/fault.h"
#include "lib/syscalls.h"
#include "lib/util.h"
#include "migrate/migrate.h"
#include "netns/netns.h"
#include "runtime/internal.h"
#include "storage/storage.h"
#include "vm/vm.h"

#define KILL_WAIT_MS 10000

int vz_ct_mount(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	bool mounted;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0 ||
	    vz_is_mountpoint(c->ve_root, &mounted, err) < 0)
		return -1;
	if (mounted)
		return vz_fail(err, VZ_VE_MOUNTED, "container %s is already mounted", ctid);
	if (vz_root_mount(c->ve_private, c->ve_root, err) < 0)
		return vz_error_wrap(err, "cannot mount container %s", ctid);
	return 0;
}

int vz_ct_umount(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	struct vz_ct_status st;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0 || vz_ct_status_of(g, c, &st, err) < 0)
		return -1;
	if (st.running)
		return vz_fail(err, VZ_VE_RUNNING, "container %s is running; stop it first", ctid);
	if (!st.mounted)
		return vz_fail(err, VZ_VE_NOT_MOUNTED, "container %s is not mounted", ctid);
	if (vz_root_umount(c->ve_root, err) < 0)
		return vz_error_wrap(err, "cannot unmount container %s", ctid);
	return 0;
}

/* Ask the guest to shut down: /sbin/halt is what vzctl runs too, and every
 * init we ship (busybox, sysvinit) ends itself through it. */
static void request_halt(const struct vz_global_conf *g, const char *ctid)
{
	char *const argv[] = {"/sbin/halt", NULL};
	struct vz_spawn_opts o = {.argv = argv, .stdio = {-1, -1, -1}};
	pid_t helper;
	vz_error ignored = {0};

	if (vz_ct_spawn(g, ctid, &o, &helper, NULL, &ignored) == 0) {
		int code;
		vz_ct_spawn_wait(helper, &code, &ignored);
	}
}

/* "Stopped" means gone from the process table, not a zombie still showing
 * the tenant's uid: when vzd is the init's parent, wait for its reaper
 * (woken by each reap, rather than polling: that cost up to 5 ms a stop). */
static void wait_reaped(pid_t pid)
{
	unsigned long long ppid;

	for (int i = 0; i < 100; i++) {
		unsigned seen = vz_child_reap_count();
		if (vz_proc_stat_field(pid, 4, &ppid) < 0 || (pid_t)ppid != getpid())
			return;
		vz_child_reap_wait(seen, 5);
	}
}

static int kill_all(const struct vz_global_conf *g, const char *ctid, pid_t pid, int pidfd,
		    vz_error *err)
{
	cleanup_cgroup struct vz_cgroup *cg = NULL;

	/* SIGKILL to a pid namespace's init kills every process in it. */
	if (vz_pidfd_send_signal(pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		return vz_fail_errno(err, VZ_STOP_ERROR, "kill the container init");
	if (ct_pidfd_wait(pidfd, KILL_WAIT_MS) != 1)
		return vz_fail(err, VZ_STOP_ERROR, "the container init did not die within %d s",
			       KILL_WAIT_MS / 1000);
	wait_reaped(pid);
	/* Processes that joined the cgroup but not the pid namespace (a helper
	 * between attach and setns) die here. */
	if (ct_cgroup(g, ctid, &cg, err) < 0 || cg->ops->kill(cg, err) < 0)
		return -1;
	return 0;
}

int vz_ct_cleanup_stopped(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	cleanup_free char *marker = ct_running_marker(g, ctid);

	if (vz_ct_conf_load(g, ctid, &c, NULL) == 0 && vz_conf_is_vm(c))
		return vz_vm_cleanup_stopped(g, c, err);
	vz_ct_conf_freep(&c);
	if (ct_cgroup(g, ctid, &cg, err) < 0)
		return -1;
	if (cg->ops->exists(cg) && (cg->ops->kill(cg, err) < 0 || cg->ops->destroy(cg, err) < 0))
		return vz_error_wrap(err, "container %s", ctid);
	vz_net_ct_cleanup(g, ctid);
	vz_fault_point("stop.after-cgroup");
	/* Only unmount what a start mounted: the marker says a start did. */
	if (vz_path_exists(marker)) {
		if (vz_ct_conf_load(g, ctid, &c, err) == 0 && vz_root_umount(c->ve_root, err) < 0)
			return vz_error_wrap(err, "container %s", ctid);
		unlink(marker);
	}
	ct_sessions_cleanup(g, ctid);
	return 0;
}

int vz_ct_stop(const struct vz_global_conf *g, const char *ctid, const struct vz_stop_opts *o,
	       vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_close int pidfd = -1;
	int timeout_s = o->timeout_s < 0 ? (int)g->stop_timeout : o->timeout_s;
	pid_t pid;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0)
		return -1;
	if (vz_ct_init_pidfd(g, ctid, &pid, &pidfd, err) < 0) {
		if (err->code == VZ_VE_NOT_RUNNING)
			vz_ct_cleanup_stopped(g, ctid, NULL);
		return -1;
	}
	if (!o->fast) {
		request_halt(g, ctid);
		ct_pidfd_wait(pidfd, timeout_s * 1000);
	}
	vz_fault_point("stop.after-halt");
	if (kill_all(g, ctid, pid, pidfd, err) < 0)
		return vz_error_wrap(err, "cannot stop container %s", ctid);
	vz_fault_point("stop.after-kill");
	if (vz_ct_cleanup_stopped(g, ctid, err) < 0)
		return vz_error_wrap(err, "cannot stop container %s", ctid);
	return 0;
}

static void sweep_destroyed(const struct vz_global_conf *g,
			    void (*report)(void *, const char *, const vz_error *), void *data)
{
	cleanup_closedir DIR *d = opendir(g->conf_dir);
	const char *suffix = ".conf.destroyed";
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name), slen = strlen(suffix);
		char ctid[32];
		vz_error e = {0};
		if (len <= slen || len - slen >= sizeof(ctid) ||
		    strcmp(de->d_name + len - slen, suffix))
			continue;
		memcpy(ctid, de->d_name, len - slen);
		ctid[len - slen] = '\0';
		if (!vz_ctid_valid(ctid))
			continue;
		/* vz_ct_destroy on a missing config would refuse; finish by hand. */
		if (vz_ct_destroy_finish(g, ctid, &e) < 0 && report)
			report(data, ctid, &e);
	}
}

void vz_reconcile(const struct vz_global_conf *g,
		  void (*report)(void *, const char *, const vz_error *), void *data)
{
	cleanup_strv char **ids = NULL;
	vz_error e = {0};

	sweep_destroyed(g, report, data);
	mig_reconcile(g, report, data);
	ct_recover_interrupted(g, report, data);
	if (vz_ct_list(g, &ids, &e) < 0) {
		if (report)
			report(data, NULL, &e);
		return;
	}
	for (char **id = ids; *id; id++) {
		struct vz_ct_status st;
		vz_error_clear(&e);
		if (vz_ct_status(g, *id, &st, &e) < 0 ||
		    (!st.running && vz_ct_cleanup_stopped(g, *id, &e) < 0)) {
			if (report)
				report(data, *id, &e);
		}
	}
}
