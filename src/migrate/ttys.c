/* The pty sessions of `vzctl enter` across a checkpoint.
 *
 * A session's processes are in the container's tree, but the pty master
 * is held outside by a session holder (runtime/session.c), so for CRIU the
 * slave is an external tty: at dump each slave is named with
 * --external tty[RDEV:DEV] (CRIU still records its termios, window size,
 * session and foreground process group), and the sessions go to vz-ttys
 * beside the images ("pty ID RDEV DEV").  At restore vz makes each pty
 * again and passes the slave with --inherit-fd; CRIU applies the recorded
 * termios and window size to it and makes it the controlling terminal of
 * the session with the same foreground group.
 *
 * The new pty must be /dev/pts/ID of the restored container again (the
 * shell's `tty`, ttyname(3) and the next checkpoint see the same name), but
 * the container's devpts does not exist before CRIU rebuilds its mounts.
 * So with sessions /dev/pts is an external mount too, as /dev is
 * (devfs.c): vz mounts a devpts like the one start makes, opens each
 * session's pty there at its index, and CRIU binds that devpts in; the
 * container's other ptys are restored into it by CRIU at their indices,
 * which are still free. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/ttys.h"
#include "runtime/container.h"

#define TTYS_FILE     "vz-ttys"
#define MAX_PTY_INDEX 1000 /* CRIU's own limit */

int mig_ttys_dump_args(const struct vz_global_conf *g, const char *ctid, pid_t init,
		       const char *dir, struct argv_buf *a, vz_error *err)
{
	cleanup_free struct vz_session *v = NULL;
	cleanup_free char *path = vz_strdup_printf("%s/" TTYS_FILE, dir);
	cleanup_free char *devtty = vz_strdup_printf("/proc/%d/root/dev/tty", (int)init);
	cleanup_free char *text = NULL;
	struct stat st;
	size_t n = 0;

	if (vz_session_list(g, ctid, &v, &n, err) < 0)
		return -1;
	if (n == 0)
		return 0;
	/* CRIU files every external tty under one tty-info record (index 0),
	 * so two would be restored onto one terminal. */
	if (n > 1)
		return vz_fail(err, VZ_CHKPNT_ERROR,
			       "container %s has %zu enter sessions, CRIU can take one: close "
			       "the others (vzctl attach %s --list)",
			       ctid, n, ctid);
	/* The shell's own /dev/tty (job control opens it) is the same terminal:
	 * external too, or CRIU refuses a controlling tty without a pty peer. */
	if (stat(devtty, &st) < 0)
		return vz_fail_errno(err, VZ_CHKPNT_ERROR, "stat `%s`", devtty);
	text = vz_strdup_printf("pty %d %llx %llx\nctty %llx %llx\n", v[0].id, v[0].rdev, v[0].dev,
				(unsigned long long)st.st_rdev, (unsigned long long)st.st_dev);
	argv_add(a, "--external=tty[%llx:%llx]", v[0].rdev, v[0].dev);
	argv_add(a, "--external=tty[%llx:%llx]", (unsigned long long)st.st_rdev,
		 (unsigned long long)st.st_dev);
	argv_add(a, "--external=mnt[/dev/pts]:%s", MIG_DEVPTS_KEY);
	return vz_write_file_atomic(path, text, strlen(text), 0600, err);
}

/* Open @ptmx until the kernel hands out @index (it gives the lowest free
 * one); the lower ones opened on the way are closed again, free for CRIU. */
static int open_at_index(const char *ptmx, int index, vz_error *err)
{
	int fds[MAX_PTY_INDEX + 1], n = 0, got = -1, cur;

	while (n <= index) {
		int fd = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			vz_fail_errno(err, VZ_RESTORE_ERROR, "open `%s`", ptmx);
			break;
		}
		if (ioctl(fd, TIOCGPTN, &cur) < 0 || cur > index) {
			close(fd);
			vz_fail(err, VZ_RESTORE_ERROR, "pty %d is taken in the new devpts", index);
			break;
		}
		if (cur == index) {
			got = fd;
			break;
		}
		fds[n++] = fd;
	}
	while (n > 0)
		close(fds[--n]);
	return got;
}

/* One session: its pty again at @id, a holder for the master, the slave
 * for CRIU. */
static int remake_session(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			  struct mig_ttys *t, int id, struct argv_buf *a, unsigned long long rdev,
			  unsigned long long dev, vz_error *err)
{
	cleanup_free char *ptmx = vz_strdup_printf("%s/ptmx", t->pts);
	cleanup_close int master = -1, slave = -1;
	struct vz_session s;
	int unlock = 0;

	if (id < 0 || id > MAX_PTY_INDEX || t->n >= MIG_TTYS_MAX)
		return vz_fail(err, VZ_RESTORE_ERROR, "bad session %d in " TTYS_FILE, id);
	master = open_at_index(ptmx, id, err);
	if (master < 0)
		return -1;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
	    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return vz_fail_errno(err, VZ_RESTORE_ERROR, "open the slave of pty %d", id);
	/* As the container's root made it at enter (the group is devpts's). */
	if (!c->privileged && fchown(slave, c->local_uid, (gid_t)-1) < 0)
		return vz_fail_errno(err, VZ_RESTORE_ERROR, "chown pty %d", id);
	if (vz_session_start(g, c->ctid, master, NULL, &s, err) < 0)
		return -1;
	t->holder[t->n] = s.holder;
	t->slave[t->n++] = slave;
	a->keep[a->n_keep++] = slave;
	argv_add(a, "--inherit-fd=fd[%d]:tty[%llx:%llx]", take_fd(&slave), rdev, dev);
	return 0;
}

static int mount_devpts(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			struct mig_ttys *t, vz_error *err)
{
	char opts[128];

	/* The options of rootfs.c's /dev/pts. */
	snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0666,mode=0620,gid=%u",
		 (c->privileged ? 0u : (unsigned)c->local_gid) + 5);
	t->pts = vz_strdup_printf("%s/%s.pts", g->run_dir, c->ctid);
	umount2(t->pts, MNT_DETACH);
	if (vz_mkdir_p(t->pts, 0700, err) < 0)
		return -1;
	if (mount("devpts", t->pts, "devpts", MS_NOSUID | MS_NOEXEC, opts) < 0)
		return vz_fail_errno(err, VZ_RESTORE_ERROR, "mount a devpts on `%s`", t->pts);
	return 0;
}

int mig_ttys_prepare(const struct vz_global_conf *g, const struct vz_ct_conf *c, const char *dir,
		     struct argv_buf *a, struct mig_ttys *t, vz_error *err)
{
	cleanup_free char *path = vz_strdup_printf("%s/" TTYS_FILE, dir), *buf = NULL;
	char *save = NULL;
	size_t len;

	*t = (struct mig_ttys){0};
	if (!vz_path_exists(path))
		return 0;
	if (vz_read_file(path, 1 << 16, &buf, &len, err) < 0 || mount_devpts(g, c, t, err) < 0)
		goto fail;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long long rdev, dev;
		int id;
		if (sscanf(l, "ctty %llx %llx", &rdev, &dev) == 2 && t->n > 0) {
			/* /dev/tty descriptors: the session's new slave too. */
			if (t->n >= MIG_TTYS_MAX ||
			    (t->slave[t->n] = fcntl(t->slave[0], F_DUPFD_CLOEXEC, 3)) < 0) {
				vz_fail_errno(err, VZ_RESTORE_ERROR, "dup a pty slave");
				goto fail;
			}
			t->holder[t->n] = 0;
			a->keep[a->n_keep++] = t->slave[t->n];
			argv_add(a, "--inherit-fd=fd[%d]:tty[%llx:%llx]", t->slave[t->n++], rdev,
				 dev);
			continue;
		}
		if (sscanf(l, "pty %d %llx %llx", &id, &rdev, &dev) != 3) {
			vz_fail(err, VZ_RESTORE_ERROR, "bad line `%s` in `%s`", l, path);
			goto fail;
		}
		if (remake_session(g, c, t, id, a, rdev, dev, err) < 0)
			goto fail;
	}
	argv_add(a, "--external=mnt[%s]:%s", MIG_DEVPTS_KEY, t->pts);
	return 0;
fail:
	mig_ttys_release(t, false);
	return vz_error_wrap(err, "restore the enter sessions of container %s", c->ctid);
}

void mig_ttys_release(struct mig_ttys *t, bool restored)
{
	for (size_t i = 0; i < t->n; i++) {
		close(t->slave[i]);
		/* A holder ends by itself once no slave is left; do not wait. */
		if (!restored && t->holder[i] > 0)
			kill(t->holder[i], SIGKILL);
	}
	if (t->pts) {
		/* CRIU bound it into the container: only our view goes. */
		umount2(t->pts, MNT_DETACH);
		rmdir(t->pts);
		free(t->pts);
	}
	*t = (struct mig_ttys){0};
}
