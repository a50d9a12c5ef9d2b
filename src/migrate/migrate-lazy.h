/* Post-copy memory migration (lazy.c): CRIU lazy pages over userfaultfd,
 * the page stream carried by the migration channel.  Used by send.c and
 * receive.c. */
#ifndef VZ_MIGRATE_LAZY_H
#define VZ_MIGRATE_LAZY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"
#include "migrate/migrate.h"
#include "migrate/transport.h"

/* The test failpoint of VZ_MIGRATE_FAULT for step @op (receive.c). */
int mig_fault(const char *op, vz_error *err);

/* NULL if this host can migrate memory post-copy, else why not (caller
 * frees).  Does not change anything. */
char *mig_postcopy_blocker(const struct vz_global_conf *g);
/* The same from CRIU's info @i (vz_criu_info). */
char *mig_postcopy_blocker_of(const struct vz_global_conf *g, const struct vz_criu_info *i);

/* Make the host able to: CRIU's page reader asks for 3.2 MiB pipes, above
 * the default fs.pipe-max-size (1 MiB), which root without CAP_SYS_RESOURCE
 * may not exceed; raise the limit to 4 MiB if it is lower. */
int mig_postcopy_prepare(vz_error *err);

/* A TCP port on 127.0.0.1 free at the time of the call. */
int mig_free_port(vz_error *err);

/* Source: carry the page stream between the lazy dump @dump (serving on
 * 127.0.0.1:@port) and the destination until it ends, then wait for the
 * dump (fails only if the stream did; the dump's outcome is @ret_gone).  *@ret_gone: the dump
 * succeeded, so every page left and CRIU killed the tree here (the destination holds the only copy
 * of its memory); otherwise CRIU resumed the tree here. */
int mig_lazy_send(struct mig_chan *c, int port, pid_t dump, bool *ret_gone, vz_error *err);

/* Source, before the page stream started: make the lazy dump @dump give
 * up (CRIU resumes the tree) and wait for it. */
void mig_lazy_send_abort(int port, pid_t dump);

/* Source, after a lazy dump failed and CRIU resumed the tree: CRIU 4.2
 * unlocks the network before it serves pages, so a failure then leaves its
 * lock (an nftables table in the container's network namespace) and the
 * TCP sockets in repair mode; undo both. */
void mig_lazy_unlock(const struct vz_global_conf *g, const char *ctid);

/* Destination: restore container @ctid from @dumpdir with its memory
 * fetched through the channel, while the stream runs.  *@ret_restored_ms:
 * from the call until the container ran here.  *@ret_complete: every page
 * arrived, so the container is whole here, even if this returns an error
 * (the channel dropped afterwards): it must then be kept. */
int mig_lazy_restore_in(struct mig_chan *c, const struct vz_global_conf *g, const char *ctid,
			const char *dumpdir, uint64_t *ret_restored_ms, bool *ret_complete,
			vz_error *err);

#endif
