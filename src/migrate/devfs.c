/* The container's /dev across a checkpoint.
 *
 * vz mounts each container's /dev tmpfs from the host (rootfs.c), so in the
 * container's user namespace it is a locked mount whose device-node binds
 * CRIU cannot unmount to dump the tmpfs alone: it would record the host's
 * device nodes, which cannot be made again inside a user namespace.  So the
 * /dev tmpfs is an external mount for CRIU: at dump time its layout (the
 * files, directories and symlinks the binds and child mounts sit on) goes
 * to vz-dev beside the images; at restore vz mounts a fresh tmpfs the same
 * way and hands it to CRIU, which puts the binds and devpts/shm/mqueue back
 * on top. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/devfs.h"

#define DEV_FILE "vz-dev"

/* One level of /dev (and below, for DEVNODES in subdirectories), not
 * crossing into child mounts (pts, shm, mqueue). */
static void walk(const char *base, const char *rel, dev_t devno, char **text, int depth)
{
	cleanup_free char *dir = vz_strdup_printf("%s/%s", base, rel);
	cleanup_closedir DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[PATH_MAX], sub[PATH_MAX], target[PATH_MAX], *next;
		struct stat st;
		ssize_t n;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", base, sub);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			next = vz_strdup_printf("%sl %s %s\n", *text, sub, target);
		} else if (S_ISDIR(st.st_mode)) {
			next = vz_strdup_printf("%sd %s\n", *text, sub);
			free(*text);
			*text = next;
			if (st.st_dev == devno && depth < 4)
				walk(base, sub, devno, text, depth + 1);
			continue;
		} else {
			next = vz_strdup_printf("%sf %s\n", *text, sub);
		}
		free(*text);
		*text = next;
	}
}

int mig_devfs_record(pid_t init, const char *dir, vz_error *err)
{
	cleanup_free char *base = vz_strdup_printf("/proc/%d/root/dev", (int)init);
	cleanup_free char *path = vz_strdup_printf("%s/" DEV_FILE, dir);
	char *text = vz_xstrdup("");
	struct stat st;
	int rc;

	if (stat(base, &st) < 0) {
		free(text);
		return vz_fail_errno(err, VZ_CHKPNT_ERROR, "stat `%s`", base);
	}
	walk(base, "", st.st_dev, &text, 0);
	rc = vz_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

bool mig_devfs_recorded(const char *dir)
{
	cleanup_free char *path = vz_strdup_printf("%s/" DEV_FILE, dir);
	return vz_path_exists(path);
}

int mig_devfs_prepare(const struct vz_global_conf *g, const struct vz_ct_conf *c, const char *dir,
		      char **ret_path, vz_error *err)
{
	cleanup_free char *list = vz_strdup_printf("%s/" DEV_FILE, dir), *buf = NULL;
	cleanup_free char *mnt = vz_strdup_printf("%s/%s.dev", g->run_dir, c->ctid);
	char opts[128], *save = NULL;
	size_t len;

	if (vz_read_file(list, 1 << 20, &buf, &len, err) < 0)
		return -1;
	/* The options of rootfs.c's /dev: CRIU checks them on the bind. */
	snprintf(opts, sizeof(opts), "mode=755,size=64k,uid=%u,gid=%u",
		 c->privileged ? 0u : (unsigned)c->local_uid,
		 c->privileged ? 0u : (unsigned)c->local_gid);
	mig_devfs_release(mnt);
	if (vz_mkdir_p(mnt, 0700, err) < 0)
		return -1;
	if (mount("vzdev", mnt, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, opts) < 0)
		return vz_fail_errno(err, VZ_RESTORE_ERROR, "mount a tmpfs on `%s`", mnt);
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char type = l[0], *name = l + 2, *target, path[PATH_MAX];
		int fd;
		if (strlen(l) < 3 || strstr(name, ".."))
			continue;
		target = type == 'l' ? strchr(name, ' ') : NULL;
		if (target)
			*target++ = '\0';
		snprintf(path, sizeof(path), "%s/%s", mnt, name);
		if (type == 'd')
			mkdir(path, 0755);
		else if (type == 'l' && target)
			symlink(target, path);
		else if (type == 'f' &&
			 (fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0)
			close(fd);
		if (!c->privileged)
			lchown(path, c->local_uid, c->local_gid);
	}
	*ret_path = steal_pointer(&mnt);
	return 0;
}

void mig_devfs_release(const char *path)
{
	/* CRIU bound it into the container: only our view goes. */
	umount2(path, MNT_DETACH);
	rmdir(path);
}
