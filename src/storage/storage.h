/* Storage: the template cache and container private areas.
 *
 * A private area (VE_PRIVATE) is a plain directory holding the container's
 * root file system, owned by the container's id range; VE_ROOT is where it is
 * bind-mounted while the container is mounted or running (as OpenVZ's simfs). */
#ifndef VZ_STORAGE_H
#define VZ_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"
#include "runtime/idmap.h"

/* Path of template @name in the cache; VZ_OSTEMPLATE_NOT_FOUND lists the
 * available ones when it is not there. */
int vz_template_resolve(const struct vz_global_conf *g, const char *name, char **ret,
			vz_error *err);

/* Unpack template tarball @tarball into a new private area @private_dir and
 * give its files to @map.  Atomic: the area appears complete or not at all.
 * With @kbytes other than VZ_UNLIMITED the area is an image of that size
 * with @inodes inodes (image.c), else a plain directory. */
int vz_private_create(const char *tarball, const char *private_dir, const struct vz_idmap *map,
		      uint64_t kbytes, uint64_t inodes, vz_error *err);

/* Remove a private area (does not cross mount points). */
int vz_private_destroy(const char *private_dir, vz_error *err);

/* Bind-mount @private_dir onto @root_dir (created if missing). */
int vz_root_mount(const char *private_dir, const char *root_dir, vz_error *err);
/* Unmount @root_dir; not mounted is fine. */
int vz_root_umount(const char *root_dir, vz_error *err);

/* ---- image-backed private areas (image.c) ------------------------------ */

/* VE_PRIVATE/root.img */
char *vz_image_path(const char *private_dir);
/* Whether @private_dir holds an image (VE_LAYOUT="image"). */
bool vz_private_is_image(const char *private_dir);
/* Make a sparse ext4 image of @kbytes KiB (and @inodes inodes, or mke2fs's
 * choice for VZ_UNLIMITED) in directory @dir. */
int vz_image_create(const char *dir, uint64_t kbytes, uint64_t inodes, vz_error *err);
/* Wait (a bounded while) until loop device @dev has let go of its image;
 * anything but a loop device returns at once. */
void vz_loop_wait_released(dev_t dev);
/* Attach the image of @private_dir to a loop device and mount it on @target. */
int vz_image_mount(const char *private_dir, const char *target, vz_error *err);
/* Grow the image to @kbytes KiB, online when @mounted on @root; shrinking
 * is refused.  *@ret_deferred: mounted, but the host does not allow an
 * online resize (no CAP_SYS_RESOURCE): it happens at the next mount. */
int vz_image_resize(const char *private_dir, const char *root, bool mounted, uint64_t kbytes,
		    bool *ret_deferred, vz_error *err);

struct vz_disk_usage {
	uint64_t kb_used, kb_total, inodes_used, inodes_total;
};
/* Use of the file system mounted on @root. */
int vz_image_usage(const char *root, struct vz_disk_usage *ret, vz_error *err);

/* The block device whose I/O the container's private area causes: the loop
 * device of a mounted image, else the disk holding @private_dir; 0 when
 * there is none (tmpfs, overlayfs). */
int vz_storage_block_dev(const char *private_dir, const char *root, dev_t *ret, vz_error *err);

#endif
