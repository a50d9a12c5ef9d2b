/* Descriptors of the host held by processes of a container (extfd.c). */
#ifndef VZ_MIGRATE_EXTFD_H
#define VZ_MIGRATE_EXTFD_H

#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"
#include "migrate/criu.h"

/* Find the host objects the processes of container @ctid (init @init) hold
 * open (a process started by `vzctl exec` keeps vzctl's stdin, stdout and
 * stderr), add CRIU's --external option for each file or tty among them to
 * the dump command @a, and record them all in @dir (vz-extfd). */
int mig_extfd_scan(const struct vz_global_conf *g, const char *ctid, pid_t init, const char *dir,
		   struct argv_buf *a, vz_error *err);

/* Add --inherit-fd options to the restore command @a that hand each recorded
 * object's holders CRIU's descriptor @fd instead (vz gives /dev/null). */
int mig_extfd_restore_args(struct argv_buf *a, const char *dir, int fd, vz_error *err);

#endif
