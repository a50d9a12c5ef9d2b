/* Descriptors of the host held by processes of a container (extfd.c). */
#ifndef VZ_MIGRATE_EXTFD_H
#define VZ_MIGRATE_EXTFD_H

#include <stdbool.h>
#include <stdint.h>
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

/* Descriptors made for one restore (stand-ins CRIU inherits): closed by
 * mig_extfd_release once CRIU ran. */
struct mig_extfd_held {
	int fd[8];
	size_t n;
};

/* Add --inherit-fd options to the restore command @a that hand each recorded
 * object's holders a stand-in: CRIU's descriptor @null_fd (/dev/null), or
 * for a regular file of the host an unlinked file in the container's VE_ROOT
 * owned by its root, with the mode and size CRIU recorded, or for a terminal
 * a new pty whose master a keeper process holds.  The descriptors made go to
 * @a->keep and @held. */
int mig_extfd_restore_args(struct argv_buf *a, const struct vz_ct_conf *c, const char *dir,
			   int null_fd, struct mig_extfd_held *held, vz_error *err);
void mig_extfd_release(struct mig_extfd_held *held);

/* What CRIU recorded of the external regular file @id ("file[M:I]") in the
 * image @buf (files.img): its mode, and its size if CRIU checks it
 * (*@ret_has_size).  0 if found, -1 if not. */
int mig_extfd_image_lookup(const unsigned char *buf, size_t len, const char *id, uint32_t *ret_mode,
			   bool *ret_has_size, uint64_t *ret_size);

#endif
