/* VM live migration, the QEMU side: block mirror + migration stream.
 *
 * No shared storage: the destination QEMU starts with -incoming defer on an
 * empty image of the same size and exports it over NBD; the source mirrors
 * its disk there (blockdev-add nbd + blockdev-mirror, sync=full), and once
 * the mirror is ready (in sync, writes mirrored) it migrates RAM and device
 * state over a descriptor handed to QEMU with getfd ("fd:" URI), so the
 * stream can ride any channel vz authenticated.  At the end the source is
 * paused (postmigrate), the mirror job is cancelled (after ready that means
 * "done, consistent") and the source QEMU quits.  Any failure before that
 * cancels both and resumes the source: the VM keeps running there.
 *
 * What carries the two channels between hosts (vzd to vzd, authenticated) is
 * the migration transport's job; here the NBD channel is a unix socket path,
 * which works between instances on one host and through a forwarded socket
 * between hosts. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "vm/qmp.h"
#include "vm/vm.h"

#define QMP_MS	  10000
#define POLL_MS	  100
#define MIRROR_ID "vz-mirror"
#define TARGET	  "vz-mirror-target"

static int open_running_qmp(const struct vz_global_conf *g, const char *ctid, struct vz_qmp *q,
			    vz_error *err)
{
	cleanup_free char *sock = vz_vm_run_file(g, ctid, "qmp.sock");

	if (!vz_vm_qemu_pid(g, ctid))
		return vz_fail(err, VZ_VE_NOT_RUNNING, "VM %s is not running", ctid);
	return vz_qmp_open(q, sock, QMP_MS, err);
}

/* The empty image the source's mirror fills. */
static int make_target_image(const struct vz_global_conf *g, const char *ctid, uint64_t bytes,
			     vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_free char *disk = NULL;
	cleanup_close int fd = -1;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0)
		return -1;
	disk = vz_vm_disk_path(c);
	if (vz_path_exists(disk))
		return 0;
	if (vz_mkdir_p(c->ve_private, 0700, err) < 0)
		return -1;
	fd = open(disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "create `%s`", disk);
	return 0;
}

int vz_vm_migrate_prepare(const struct vz_global_conf *g, const char *ctid, uint64_t disk_bytes,
			  char **ret_nbd_path, vz_error *err)
{
	cleanup_free char *nbd = vz_vm_run_file(g, ctid, "nbd.sock");
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	json_auto_t *addr =
	    json_pack("{s:{s:s, s:{s:s}}}", "addr", "type", "unix", "data", "path", nbd);
	json_auto_t *exp = json_pack("{s:s, s:b}", "device", "disk0", "writable", 1);

	if (make_target_image(g, ctid, disk_bytes, err) < 0 ||
	    vz_vm_start_mode(g, ctid, true, err) < 0)
		return vz_error_wrap(err, "prepare VM %s for an incoming migration", ctid);
	if (open_running_qmp(g, ctid, &q, err) < 0 ||
	    vz_qmp_call(&q, "nbd-server-start", addr, NULL, QMP_MS, err) < 0 ||
	    vz_qmp_call(&q, "nbd-server-add", exp, NULL, QMP_MS, err) < 0) {
		struct vz_stop_opts o = {.fast = true, .timeout_s = 0};
		vz_vm_stop(g, ctid, &o, NULL);
		return vz_error_wrap(err, "prepare VM %s for an incoming migration", ctid);
	}
	*ret_nbd_path = steal_pointer(&nbd);
	return 0;
}

int vz_vm_migrate_incoming(const struct vz_global_conf *g, const char *ctid, int fd, vz_error *err)
{
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	json_auto_t *uri = json_pack("{s:s}", "uri", "fd:vzmig");

	if (open_running_qmp(g, ctid, &q, err) < 0 || vz_qmp_pass_fd(&q, "vzmig", fd, err) < 0 ||
	    vz_qmp_call(&q, "migrate-incoming", uri, NULL, QMP_MS, err) < 0)
		return vz_error_wrap(err, "incoming migration of VM %s", ctid);
	return 0;
}

/* query-migrate's status string into @buf. */
static int migrate_status(struct vz_qmp *q, char *buf, size_t size, vz_error *err)
{
	json_auto_t *st = NULL;

	if (vz_qmp_call(q, "query-migrate", NULL, &st, QMP_MS, err) < 0)
		return -1;
	snprintf(buf, size, "%s", json_string_value(json_object_get(st, "status")) ?: "none");
	return 0;
}

/* Gratuitous ARP / RARP from every NIC, so that switches learn the guest's
 * MAC on this port at once (QEMU announces too, this repeats it after the
 * NBD export is gone and the guest surely runs). */
static void announce(struct vz_qmp *q)
{
	json_auto_t *a = json_pack("{s:i, s:i, s:i, s:i}", "initial", 50, "max", 550, "rounds", 5,
				   "step", 100);
	vz_qmp_call(q, "announce-self", a, NULL, QMP_MS, NULL);
}

int vz_vm_migrate_finish(const struct vz_global_conf *g, const char *ctid, int timeout_ms,
			 vz_error *err)
{
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	uint64_t deadline = vz_now_ms() + (uint64_t)timeout_ms;

	if (open_running_qmp(g, ctid, &q, err) < 0)
		return -1;
	for (;;) {
		json_auto_t *st = NULL;
		if (vz_qmp_call(&q, "query-status", NULL, &st, QMP_MS, err) < 0)
			return -1;
		if (json_is_true(json_object_get(st, "running")))
			break;
		if (vz_now_ms() > deadline)
			return vz_fail(err, VZ_SYSTEM_ERROR,
				       "VM %s: the migrated guest did not resume (state %s)", ctid,
				       json_string_value(json_object_get(st, "status")) ?: "?");
		usleep(POLL_MS * 1000);
	}
	vz_qmp_call(&q, "nbd-server-stop", NULL, NULL, QMP_MS, NULL);
	announce(&q);
	return 0;
}

/* Wait until the mirror job is in sync. */
static int wait_mirror_ready(struct vz_qmp *q, uint64_t deadline, vz_error *err)
{
	for (;;) {
		json_auto_t *jobs = NULL;
		json_t *job;
		size_t i;
		bool found = false;
		if (vz_qmp_call(q, "query-block-jobs", NULL, &jobs, QMP_MS, err) < 0)
			return -1;
		json_array_foreach(jobs, i, job)
		{
			if (strcmp(json_string_value(json_object_get(job, "device")) ?: "",
				   MIRROR_ID))
				continue;
			found = true;
			if (json_is_true(json_object_get(job, "ready")))
				return 0;
		}
		if (!found)
			return vz_fail(err, VZ_SYSTEM_ERROR, "the disk mirror job ended early");
		if (vz_now_ms() > deadline)
			return vz_fail(err, VZ_SYSTEM_ERROR, "the disk mirror did not get in sync");
		usleep(POLL_MS * 1000);
	}
}

/* Wait for completion; *@ret_downtime_ms (may be NULL) gets QEMU's
 * measure of the time the guest ran nowhere. */
static int wait_migrated(struct vz_qmp *q, uint64_t deadline, uint64_t *ret_downtime_ms,
			 vz_error *err)
{
	char st[32];

	for (;;) {
		if (migrate_status(q, st, sizeof(st), err) < 0)
			return -1;
		if (!strcmp(st, "completed")) {
			json_auto_t *info = NULL;
			if (ret_downtime_ms &&
			    vz_qmp_call(q, "query-migrate", NULL, &info, QMP_MS, NULL) == 0)
				*ret_downtime_ms = (uint64_t)json_integer_value(
				    json_object_get(info, "downtime"));
			return 0;
		}
		if (!strcmp(st, "failed") || !strcmp(st, "cancelled"))
			return vz_fail(err, VZ_SYSTEM_ERROR, "migration %s", st);
		if (vz_now_ms() > deadline)
			return vz_fail(err, VZ_SYSTEM_ERROR, "migration did not complete in time");
		usleep(POLL_MS * 1000);
	}
}

/* Undo a failed attempt: the VM goes on running here. */
static void roll_back(struct vz_qmp *q)
{
	json_auto_t *job = json_pack("{s:s, s:b}", "device", MIRROR_ID, "force", 1);
	json_auto_t *node = json_pack("{s:s}", "node-name", TARGET);

	vz_qmp_call(q, "migrate_cancel", NULL, NULL, QMP_MS, NULL);
	vz_qmp_call(q, "block-job-cancel", job, NULL, QMP_MS, NULL);
	/* The job must be gone before its target can be removed. */
	for (int i = 0; i < 50; i++) {
		if (vz_qmp_call(q, "blockdev-del", node, NULL, QMP_MS, NULL) == 0)
			break;
		usleep(POLL_MS * 1000);
	}
	vz_qmp_call(q, "cont", NULL, NULL, QMP_MS, NULL);
}

int vz_vm_migrate_send(const struct vz_global_conf *g, const char *ctid, const char *nbd_path,
		       int stream_fd, int timeout_ms, uint64_t *ret_downtime_ms, vz_error *err)
{
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	uint64_t deadline = vz_now_ms() + (uint64_t)timeout_ms;
	json_auto_t *target =
	    json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "driver", "nbd", "node-name", TARGET,
		      "server", "type", "unix", "path", nbd_path, "export", "disk0");
	json_auto_t *mirror = json_pack("{s:s, s:s, s:s, s:s}", "job-id", MIRROR_ID, "device",
					"disk0", "target", TARGET, "sync", "full");
	json_auto_t *uri = json_pack("{s:s}", "uri", "fd:vzmig");
	json_auto_t *done = json_pack("{s:s}", "device", MIRROR_ID);
	struct vz_stop_opts quit = {.fast = true, .timeout_s = 0};

	if (open_running_qmp(g, ctid, &q, err) < 0)
		return vz_error_wrap(err, "cannot migrate VM %s", ctid);
	if (vz_qmp_call(&q, "blockdev-add", target, NULL, QMP_MS, err) < 0)
		return vz_error_wrap(err, "cannot migrate VM %s: NBD target `%s`", ctid, nbd_path);
	if (vz_qmp_call(&q, "blockdev-mirror", mirror, NULL, QMP_MS, err) < 0 ||
	    wait_mirror_ready(&q, deadline, err) < 0 ||
	    vz_qmp_pass_fd(&q, "vzmig", stream_fd, err) < 0 ||
	    vz_qmp_call(&q, "migrate", uri, NULL, QMP_MS, err) < 0 ||
	    wait_migrated(&q, deadline, ret_downtime_ms, err) < 0) {
		roll_back(&q);
		return vz_error_wrap(err, "cannot migrate VM %s (it keeps running here)", ctid);
	}
	/* Paused in postmigrate: the mirror is complete and nothing writes. */
	vz_qmp_call(&q, "block-job-cancel", done, NULL, QMP_MS, NULL);
	vz_qmp_close(&q);
	return vz_vm_stop(g, ctid, &quit, err);
}
