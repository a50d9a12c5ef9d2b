/* The container's /dev tmpfs as an external mount of CRIU (devfs.c). */
#ifndef VZ_MIGRATE_DEVFS_H
#define VZ_MIGRATE_DEVFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"

/* CRIU's key for the /dev mount. */
#define MIG_DEVFS_KEY "vzdev"

/* Record the layout of the running container's /dev in @dir (vz-dev). */
int mig_devfs_record(pid_t init, const char *dir, vz_error *err);
/* Whether the images in @dir were taken with /dev external. */
bool mig_devfs_recorded(const char *dir);
/* Mount a tmpfs like the container's /dev under RUN_DIR with the recorded
 * layout; *@ret_path is where (release it after the restore). */
int mig_devfs_prepare(const struct vz_global_conf *g, const struct vz_ct_conf *c, const char *dir,
		      char **ret_path, vz_error *err);
void mig_devfs_release(const char *path);

#endif
