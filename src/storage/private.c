/* Container private areas and their VE_ROOT mounts (see storage.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fault.h"
#include "lib/util.h"
#include "storage/storage.h"

static int parent_dir(const char *path, vz_error *err)
{
	cleanup_free char *dir = vz_xstrdup(path);
	char *slash = strrchr(dir, '/');

	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return vz_mkdir_p(dir, 0755, err);
}

/* Unpack @tarball into @dir and shift its owners into @map. */
static int unpack(const char *tarball, const char *dir, const struct vz_idmap *map, vz_error *err)
{
	char *tar_argv[] = {"/bin/tar", "--numeric-owner", "-xpzf", (char *)tarball,
			    "-C",	(char *)dir,	   NULL};

	if (vz_run(tar_argv, err) < 0)
		return vz_error_wrap(err, "unpack template `%s`", tarball);
	return vz_idmap_shift_tree(dir, map, err);
}

/* Fill a new image in @partial through a temporary mount inside it. */
static int unpack_image(const char *tarball, const char *partial, const struct vz_idmap *map,
			uint64_t kbytes, uint64_t inodes, vz_error *err)
{
	cleanup_free char *mnt = vz_strdup_printf("%s/.mnt", partial);
	int r;

	if (vz_image_create(partial, kbytes, inodes, err) < 0)
		return -1;
	if (mkdir(mnt, 0755) < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "create `%s`", mnt);
	if (vz_image_mount(partial, mnt, err) < 0)
		return -1;
	r = unpack(tarball, mnt, map, err);
	/* The loop device goes with the unmount (autoclear). */
	if (umount2(mnt, 0) < 0 && r == 0)
		r = vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "unmount `%s`", mnt);
	if (r == 0 && rmdir(mnt) < 0)
		r = vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "remove `%s`", mnt);
	if (r < 0)
		umount2(mnt, MNT_DETACH);
	return r;
}

/* tar does not fsync: flush the unpacked tree before the rename publishes
 * it, so a power cut never leaves a private area with empty files. */
static int sync_tree(const char *dir, vz_error *err)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || syncfs(fd) < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "sync `%s`", dir);
	return 0;
}

int vz_private_create(const char *tarball, const char *private_dir, const struct vz_idmap *map,
		      uint64_t kbytes, uint64_t inodes, vz_error *err)
{
	cleanup_free char *partial = vz_strdup_printf("%s.partial", private_dir);
	int r;

	if (vz_path_exists(private_dir))
		return vz_fail(err, VZ_FS_PRVT_AREA_EXIST, "private area `%s` already exists",
			       private_dir);
	if (parent_dir(private_dir, err) < 0)
		return vz_error_wrap(err, "create private area");
	/* A .partial left by a crash mid-create is ours and incomplete. */
	if (vz_rm_rf(partial, err) < 0)
		return -1;
	if (mkdir(partial, 0755) < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "create `%s`", partial);
	if (kbytes == VZ_UNLIMITED)
		r = unpack(tarball, partial, map, err);
	else
		r = unpack_image(tarball, partial, map, kbytes, inodes, err);
	if (r < 0 || sync_tree(partial, err) < 0)
		goto fail;
	vz_fault_point("create.after-unpack");
	if (rename(partial, private_dir) < 0 || vz_fsync_parent(private_dir) < 0) {
		vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "rename `%s` to `%s`", partial, private_dir);
		goto fail;
	}
	return 0;
fail:
	vz_rm_rf(partial, NULL);
	return -1;
}

int vz_private_destroy(const char *private_dir, vz_error *err)
{
	return vz_rm_rf(private_dir, err);
}

int vz_root_mount(const char *private_dir, const char *root_dir, vz_error *err)
{
	if (!vz_is_dir(private_dir))
		return vz_fail(err, VZ_VE_PRIVATE_NOTEXIST, "private area `%s` does not exist",
			       private_dir);
	if (vz_mkdir_p(root_dir, 0755, err) < 0) {
		err->code = VZ_FS_NEW_VE_ROOT;
		return -1;
	}
	if (vz_private_is_image(private_dir)) {
		if (vz_image_mount(private_dir, root_dir, err) < 0)
			return -1;
	} else if (mount(private_dir, root_dir, NULL, MS_BIND, NULL) < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "bind-mount `%s` on `%s`", private_dir,
				     root_dir);
	/* Private: nothing mounted inside VE_ROOT later leaks to other mount
	 * namespaces, and host mounts do not appear inside it. */
	if (mount(NULL, root_dir, NULL, MS_PRIVATE, NULL) < 0) {
		int saved = errno;
		umount2(root_dir, MNT_DETACH);
		return vz_error_set(err, VZ_FS_CANTMOUNT, saved, "make `%s` private", root_dir);
	}
	return 0;
}

int vz_root_umount(const char *root_dir, vz_error *err)
{
	struct stat st;
	bool mounted;

	if (vz_is_mountpoint(root_dir, &mounted, err) < 0)
		return -1;
	if (!mounted)
		return 0;
	if (stat(root_dir, &st) < 0)
		st.st_dev = 0;
	if (umount2(root_dir, 0) < 0) {
		/* Something (a shell with its cwd inside, a late helper) still holds it;
		 * detach so the name is free, the kernel finishes when it is released. */
		if (errno != EBUSY || umount2(root_dir, MNT_DETACH) < 0)
			return vz_fail_errno(err, VZ_FS_CANTUMOUNT, "unmount `%s`", root_dir);
	}
	/* An image area's file system outlives this unmount while a dying
	 * container's mount namespace still holds it: a stop returns once it is
	 * closed, so that what follows (a copy, a resize) sees a clean image. */
	vz_loop_wait_released(st.st_dev);
	return 0;
}
