/* The pty sessions of `vzctl enter` across a checkpoint (ttys.c). */
#ifndef VZ_MIGRATE_TTYS_H
#define VZ_MIGRATE_TTYS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"
#include "migrate/criu.h"

/* CRIU's key for the container's /dev/pts when it has sessions. */
#define MIG_DEVPTS_KEY "vzdevpts"
#define MIG_TTYS_MAX   16

/* At dump: record the container's sessions in @dir (vz-ttys) and add the
 * CRIU options that make their slaves and /dev/pts external to @a. */
int mig_ttys_dump_args(const struct vz_global_conf *g, const char *ctid, pid_t init,
		       const char *dir, struct argv_buf *a, vz_error *err);

/* What a restore prepared for the sessions recorded in its images. */
struct mig_ttys {
	char *pts; /* the fresh devpts CRIU binds on /dev/pts, NULL if none */
	size_t n;
	int slave[MIG_TTYS_MAX];
	pid_t holder[MIG_TTYS_MAX];
};

/* At restore: mount a devpts like the container's, make each recorded
 * session's pty again at its index with a holder for its master, and add
 * the slaves (--inherit-fd) and the devpts (--external) to @a. */
int mig_ttys_prepare(const struct vz_global_conf *g, const struct vz_ct_conf *c, const char *dir,
		     struct argv_buf *a, struct mig_ttys *t, vz_error *err);
/* After CRIU ran: drop our copies; if it failed, end the holders too. */
void mig_ttys_release(struct mig_ttys *t, bool restored);

#endif
