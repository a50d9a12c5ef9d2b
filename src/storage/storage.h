/* Storage: the template cache and container private areas.
 *
 * A private area (VE_PRIVATE) is a plain directory holding the container's
 * root file system, owned by the container's id range; VE_ROOT is where it is
 * bind-mounted while the container is mounted or running (as OpenVZ's simfs). */
#ifndef VZ_STORAGE_H
#define VZ_STORAGE_H

#include "config/conf.h"
#include "lib/error.h"
#include "runtime/idmap.h"

/* Path of template @name in the cache; VZ_OSTEMPLATE_NOT_FOUND lists the
 * available ones when it is not there. */
int vz_template_resolve(const struct vz_global_conf *g, const char *name, char **ret,
			vz_error *err);

/* Unpack template tarball @tarball into a new private area @private_dir and
 * give its files to @map.  Atomic: the area appears complete or not at all. */
int vz_private_create(const char *tarball, const char *private_dir, const struct vz_idmap *map,
		      vz_error *err);

/* Remove a private area (does not cross mount points). */
int vz_private_destroy(const char *private_dir, vz_error *err);

/* Bind-mount @private_dir onto @root_dir (created if missing). */
int vz_root_mount(const char *private_dir, const char *root_dir, vz_error *err);
/* Unmount @root_dir; not mounted is fine. */
int vz_root_umount(const char *root_dir, vz_error *err);

#endif
