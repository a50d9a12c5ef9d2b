/* VM live migration over the migration channel: both ends of the
 * conversation that wraps src/vm/migrate.c.
 *
 *   source                              destination
 *   vm_prepare {disk_bytes}       ->    config in place, empty sparse image,
 *                                       QEMU -incoming defer, NBD export
 *   vm_stream                     ->    connect the NBD export, hand QEMU
 *                                       its migration socket, pump
 *   pump: stream 0 = NBD, stream 1 = migration (mux.c), while the source's
 *   QEMU mirrors the disk and then migrates; the streams end when both
 *   QEMUs close them
 *                                 <-    ok once the guest runs here
 *
 * Both connections ride the authenticated ssh channel: the destination's
 * forced command forbids port forwarding, and one channel means one thing
 * to authenticate, to time out and to tear down.  On the source the pump
 * runs in a thread while this thread drives QEMU; a failure shuts the
 * channel down, which ends the pump here and, at the destination, the
 * receiver (it stops its QEMU and removes the VM). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/migrate-vm.h"
#include "migrate/transport.h"
#include "vm/vm.h"

#define STREAM_NBD 0
#define STREAM_MIG 1
#define MIGRATE_MS 600000 /* mirror + migration, at most */
#define RESUME_MS  60000

static int unix_socket(const char *path, bool listening, vz_error *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(a.sun_path))
		return vz_fail(err, VZ_SYSTEM_ERROR, "socket path `%s` is too long", path);
	strcpy(a.sun_path, path);
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socket");
	if (!listening) {
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "connect to `%s`", path);
		return take_fd(&fd);
	}
	unlink(path);
	/* QEMU runs as VM_USER; the VM's run dir (0700, its own) guards it. */
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 1) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "listen on `%s`", path);
	return take_fd(&fd);
}

static void streams_close(struct mig_stream *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].fd >= 0)
			close(s[i].fd);
		if (s[i].listen_fd >= 0)
			close(s[i].listen_fd);
		s[i].fd = s[i].listen_fd = -1;
	}
}

/* ---- destination --------------------------------------------------- */

int mig_vm_prepare_in(const struct vz_global_conf *g, const char *ctid, json_t *msg, vz_error *err)
{
	json_int_t bytes = json_integer_value(json_object_get(msg, "disk_bytes"));
	cleanup_free char *nbd = NULL;

	if (bytes <= 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "vm_prepare without a disk size");
	return vz_vm_migrate_prepare(g, ctid, (uint64_t)bytes, &nbd, err);
}

int mig_vm_stream_in(struct mig_chan *c, const struct vz_global_conf *g, const char *ctid,
		     vz_error *err)
{
	cleanup_free char *nbd = vz_vm_run_file(g, ctid, "nbd.sock");
	struct mig_stream s[2] = {{.fd = -1, .listen_fd = -1}, {.fd = -1, .listen_fd = -1}};
	int sv[2], rc;

	s[STREAM_NBD].fd = unix_socket(nbd, false, err);
	if (s[STREAM_NBD].fd < 0)
		return vz_error_wrap(err, "VM %s: NBD export", ctid);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		streams_close(s, 2);
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socketpair");
	}
	s[STREAM_MIG].fd = sv[0];
	rc = vz_vm_migrate_incoming(g, ctid, sv[1], err);
	close(sv[1]);
	if (rc == 0)
		rc = mig_pump(c, s, 2, err);
	streams_close(s, 2);
	if (rc < 0)
		return -1;
	return vz_vm_migrate_finish(g, ctid, RESUME_MS, err);
}

/* ---- source ---------------------------------------------------------- */

struct pump_thread {
	pthread_t tid;
	struct mig_chan *chan;
	struct mig_stream s[2];
	int rc;
	vz_error err;
};

static void *pump_main(void *data)
{
	struct pump_thread *p = data;

	p->rc = mig_pump(p->chan, p->s, 2, &p->err);
	/* Closing makes a QEMU still waiting on a stream fail now. */
	streams_close(p->s, 2);
	return NULL;
}

static int pump_start(struct pump_thread *p, vz_error *err)
{
	int e = pthread_create(&p->tid, NULL, pump_main, p);

	if (e != 0) {
		errno = e;
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "start the stream pump thread");
	}
	return 0;
}

/* Stop the pump (if it still runs) and collect its result: its error,
 * or on @abort the destination's own error reply when that is what ended
 * it (it explains why QEMU's side failed). */
static int pump_stop(struct pump_thread *p, bool abort, vz_error *err)
{
	if (abort)
		shutdown(p->chan->in, SHUT_RDWR);
	pthread_join(p->tid, NULL);
	if (p->rc < 0 && (!abort || p->chan->peer_failed)) {
		*err = p->err;
		return -1;
	}
	return 0;
}

static int disk_bytes(const struct vz_global_conf *g, const char *ctid, uint64_t *ret,
		      vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_free char *disk = NULL;
	struct stat st;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0)
		return -1;
	disk = vz_vm_disk_path(c);
	if (stat(disk, &st) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "VM %s: disk image `%s`", ctid, disk);
	*ret = (uint64_t)st.st_size;
	return 0;
}

static void stage(struct mig_vm_send *v, const char *name, uint64_t t0)
{
	json_object_set_new(v->stages, name, json_integer((json_int_t)(vz_now_ms() - t0)));
}

static void say(struct mig_vm_send *v, const char *msg)
{
	if (v->progress)
		v->progress(v->pdata, msg);
}

/* Mirror and migrate with the pump running; the source QEMU is gone on
 * success. */
static int mirror_and_migrate(struct mig_vm_send *v, vz_error *err)
{
	cleanup_free char *fwd = vz_vm_run_file(v->g, v->ctid, "nbd-fwd.sock");
	struct pump_thread p = {.chan = v->chan,
				.s = {{.fd = -1, .listen_fd = -1}, {.fd = -1, .listen_fd = -1}}};
	int sv[2], rc;

	p.s[STREAM_NBD].listen_fd = unix_socket(fwd, true, err);
	if (p.s[STREAM_NBD].listen_fd < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		streams_close(p.s, 1);
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socketpair");
	}
	p.s[STREAM_MIG] = (struct mig_stream){.fd = sv[0], .listen_fd = -1};
	if (mig_send_json(v->chan, json_pack("{s:s}", "op", "vm_stream"), err) < 0 ||
	    pump_start(&p, err) < 0) {
		streams_close(p.s, 2);
		close(sv[1]);
		unlink(fwd);
		return -1;
	}
	rc = vz_vm_migrate_send(v->g, v->ctid, fwd, sv[1], MIGRATE_MS, &v->downtime_ms, err);
	close(sv[1]);
	if (rc == 0)
		v->source_gone = true;
	/* After success the pump ends by itself once both QEMUs closed the
	 * streams; before it, the channel is torn down under it. */
	if (pump_stop(&p, rc < 0, err) < 0)
		rc = -1;
	unlink(fwd);
	return rc;
}

int mig_vm_check_online(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	struct vz_vm_info info;

	if (vz_vm_info(g, ctid, &info, err) < 0)
		return -1;
	/* The destination would take over a paused guest and keep it paused,
	 * which the hand-over cannot tell from a guest that failed to resume. */
	if (info.paused)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "VM %s is suspended: resume it (vzctl resume) or migrate it offline",
			       ctid);
	return 0;
}

int mig_vm_send_online(struct mig_vm_send *v, vz_error *err)
{
	uint64_t bytes = 0, t0 = vz_now_ms();

	if (disk_bytes(v->g, v->ctid, &bytes, err) < 0)
		return -1;
	say(v, "Preparing the VM at the destination (incoming QEMU, NBD export)");
	if (mig_send_json(
		v->chan,
		json_pack("{s:s, s:I}", "op", "vm_prepare", "disk_bytes", (json_int_t)bytes),
		err) < 0 ||
	    mig_expect_ok(v->chan, NULL, err) < 0)
		return -1;
	stage(v, "prepare", t0);
	t0 = vz_now_ms();
	say(v, "Mirroring the disk, then migrating memory and devices");
	if (mirror_and_migrate(v, err) < 0)
		return -1;
	stage(v, "mirror_migrate", t0);
	t0 = vz_now_ms();
	say(v, "Waiting for the VM to run at the destination");
	if (mig_expect_ok(v->chan, NULL, err) < 0)
		return -1;
	stage(v, "resume", t0);
	return 0;
}
