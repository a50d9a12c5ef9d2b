/* Per-container locks: flock on LOCKDIR/CTID.lck.
 *
 * flock belongs to an open file description, so two threads of vzd that open
 * the file separately exclude each other exactly like two processes do.  A
 * destroy unlinks the lock file; a waiter that then wins the lock on the
 * unlinked inode must retry on the new file, hence the inode check. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/container.h"

static int lock_path_is_fd(const char *path, int fd)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

int vz_ct_lock(const struct vz_global_conf *g, const char *ctid, unsigned timeout_s, vz_error *err)
{
	cleanup_free char *path = NULL;
	uint64_t deadline = vz_now_ms() + (uint64_t)timeout_s * 1000;

	if (!vz_ctid_valid(ctid))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "invalid CTID `%s`", ctid);
	if (vz_mkdir_p(g->lock_dir, 0700, err) < 0)
		return vz_error_wrap(err, "lock container %s", ctid);
	path = vz_strdup_printf("%s/%s.lck", g->lock_dir, ctid);
	for (useconds_t pause_us = 500;;) {
		cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "lock container %s: open `%s`",
					     ctid, path);
		while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK && errno != EINTR)
				return vz_fail_errno(err, VZ_SYSTEM_ERROR, "lock container %s",
						     ctid);
			if (vz_now_ms() >= deadline)
				return vz_fail(
				    err, VZ_LOCKED,
				    "container %s is locked: another command on it did not "
				    "finish within %u s",
				    ctid, timeout_s);
			/* Most holders finish within a millisecond or two (the
			 * monitor tidying after a stop): poll briskly first. */
			usleep(pause_us);
			if (pause_us < 5000)
				pause_us *= 2;
		}
		if (lock_path_is_fd(path, fd))
			return take_fd(&fd);
	}
}

void vz_ct_unlock(const struct vz_global_conf *g, const char *ctid, int lock_fd)
{
	cleanup_free char *conf = NULL;
	cleanup_free char *path = NULL;

	if (lock_fd < 0)
		return;
	conf = vz_ct_conf_path(g, ctid);
	if (!vz_path_exists(conf)) {
		path = vz_strdup_printf("%s/%s.lck", g->lock_dir, ctid);
		/* Only our own file: a waiter may already have made a new one. */
		if (lock_path_is_fd(path, lock_fd))
			unlink(path);
	}
	close(lock_fd);
}
