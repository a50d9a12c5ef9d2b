/* VM disk images: a raw ext4 image made from an OS template's tree with
 * `mkfs.ext4 -d` (no loop device, no mount), grown offline with resize2fs.
 * Raw rather than qcow2: sparse files already give thin provisioning, and
 * block_resize/mirror work on either. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "vm/vm.h"

#define DEFAULT_DISK_BYTES (2ULL << 30)
#define MIN_DISK_BYTES	   (64ULL << 20)

uint64_t vz_vm_disk_bytes(const struct vz_ct_conf *c)
{
	uint64_t kb = c->diskspace.limit;

	if (kb == VZ_UNLIMITED || kb == 0)
		return DEFAULT_DISK_BYTES;
	return kb * 1024 < MIN_DISK_BYTES ? MIN_DISK_BYTES : kb * 1024;
}

static int make_sparse(const char *path, uint64_t bytes, vz_error *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "create `%s`", path);
	if (ftruncate(fd, (off_t)bytes) < 0)
		return vz_fail_errno(err, VZ_FS_NO_DISK_SPACE, "size `%s`", path);
	return 0;
}

int vz_vm_image_create(const struct vz_global_conf *g, const struct vz_ct_conf *c, vz_error *err)
{
	cleanup_free char *tree = vz_strdup_printf("%s.tree", c->ve_private);
	cleanup_free char *kit = vz_vm_kit_dir(g);
	cleanup_free char *guest = vz_strdup_printf("%s/guest/.", kit);
	cleanup_free char *img = vz_vm_disk_path(c);
	cleanup_free char *size = NULL;
	char *cp_argv[] = {"/bin/cp", "-a", guest, tree, NULL};
	char *mkfs_argv[] = {"/sbin/mkfs.ext4", "-q", "-F", "-L", "vzroot", "-d", tree, img, NULL};

	if (!vz_is_dir(guest))
		return vz_fail(err, VZ_OSTEMPLATE_NOT_FOUND,
			       "VM kit `%s` not found: build it with `%s/templates/vm/mkkit.sh %s`",
			       kit, PKGDATADIR, kit);
	vz_rm_rf(tree, NULL);
	if (rename(c->ve_private, tree) < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "rename `%s`", c->ve_private);
	if (mkdir(c->ve_private, 0700) < 0) {
		vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "create `%s`", c->ve_private);
		goto fail;
	}
	if (vz_run(cp_argv, err) < 0 || make_sparse(img, vz_vm_disk_bytes(c), err) < 0 ||
	    vz_run(mkfs_argv, err) < 0) {
		vz_error_wrap(err, "make disk image `%s`", img);
		goto fail;
	}
	return vz_rm_rf(tree, err);
fail:
	vz_rm_rf(c->ve_private, NULL);
	rename(tree, c->ve_private);
	return -1;
}

int vz_vm_image_grow(const char *disk, uint64_t bytes, vz_error *err)
{
	char *fsck_argv[] = {"/sbin/e2fsck", "-fp", (char *)disk, NULL};
	char *resize_argv[] = {"/sbin/resize2fs", (char *)disk, NULL};
	struct stat st;

	if (stat(disk, &st) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "stat `%s`", disk);
	if ((uint64_t)st.st_size > bytes)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "disk `%s` is %llu bytes; shrinking a VM disk is not supported",
			       disk, (unsigned long long)st.st_size);
	if ((uint64_t)st.st_size == bytes)
		return 0;
	if (truncate(disk, (off_t)bytes) < 0)
		return vz_fail_errno(err, VZ_FS_NO_DISK_SPACE, "grow `%s`", disk);
	if (vz_run(fsck_argv, err) < 0 || vz_run(resize_argv, err) < 0)
		return vz_error_wrap(err, "grow the file system in `%s`", disk);
	return 0;
}
