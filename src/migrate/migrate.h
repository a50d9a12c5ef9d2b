/* Checkpoint/restore and migration: the library's public entry points.
 *
 * CRIU does the process work (criu.c); cpt.c turns it into vzctl's
 * chkpnt/restore/suspend/resume on a container of the state root; the
 * migration sender (send.c) and receiver (receive.c) move a container
 * between two vzd over an authenticated channel (transport.c). */
#ifndef VZ_MIGRATE_H
#define VZ_MIGRATE_H

#include <stdbool.h>
#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"
#include "runtime/container.h"

/* ---- CRIU ------------------------------------------------------------- */

struct vz_criu_info {
	char *path;	    /* CRIU of vz.conf */
	char *version;	    /* "4.1.1", NULL if criu does not run */
	bool check_ok;	    /* `criu check` said "Looks good" */
	char *check_output; /* its output, trimmed */
	bool lazy_pages;    /* userfaultfd (uffd-noncoop): post-copy migration works */
	bool dirty_track;   /* soft-dirty: iterative pre-copy works */
	char *postcopy_blocker; /* NULL: post-copy migration works here; else why not */
};

/* Run CRIU's version and check commands; failing to run criu is reported
 * in the info (version NULL), not as an error. */
VZ_EXPORT int vz_criu_info(const struct vz_global_conf *g, struct vz_criu_info *ret, vz_error *err);
VZ_EXPORT void vz_criu_info_free(struct vz_criu_info *i);

/* ---- checkpoint / restore ---------------------------------------------- */

/* vzctl's staged flags; VZ_CPT_ALL does every stage in order. */
enum vz_cpt_stage {
	VZ_CPT_ALL = 0,
	VZ_CPT_SUSPEND, /* chkpnt --suspend: freeze */
	VZ_CPT_DUMP,	/* chkpnt --dump: write images, leave the container frozen */
	VZ_CPT_KILL,	/* chkpnt --kill: kill the dumped container */
	VZ_CPT_RESUME,	/* chkpnt --resume: thaw (cancel a checkpoint) */
	VZ_RST_UNDUMP,	/* restore --undump: recreate the processes, stopped */
	VZ_RST_RESUME,	/* restore --resume: let them run */
};

struct vz_cpt_opts {
	const char *dumpdir; /* NULL: DUMPDIR/CTID */
	enum vz_cpt_stage stage;
	bool lazy;	       /* dump: keep memory on the source for a lazy-pages daemon */
	const char *lazy_addr; /* dump --lazy: page server address (listen) */
	int lazy_port;
	pid_t *ret_lazy_pid; /* lazy: return once CRIU serves, with its pid here */
	bool keep_running; /* dump and leave the container running (copy) */
};

VZ_EXPORT int vz_ct_chkpnt(const struct vz_global_conf *g, const char *ctid,
			   const struct vz_cpt_opts *o, vz_error *err);

struct vz_restore_opts {
	const char *dumpdir;	 /* NULL: DUMPDIR/CTID */
	enum vz_cpt_stage stage; /* VZ_CPT_ALL, VZ_RST_UNDUMP or VZ_RST_RESUME */
	const char *lazy_addr;	 /* post-copy: pages come from this page server */
	int lazy_port;
	uint64_t *ret_frozen_ms; /* may be NULL: time the processes were not running */
};

VZ_EXPORT int vz_ct_restore(const struct vz_global_conf *g, const char *ctid,
			    const struct vz_restore_opts *o, vz_error *err);

/* Freeze / thaw every process of a running container (cgroup freezer). */
VZ_EXPORT int vz_ct_suspend(const struct vz_global_conf *g, const char *ctid, vz_error *err);
VZ_EXPORT int vz_ct_resume(const struct vz_global_conf *g, const char *ctid, vz_error *err);

/* ---- migration --------------------------------------------------------- */

struct vz_migrate_opts {
	const char *dest;   /* [user@]host, reached with MIGRATE_SSH */
	const char *new_id; /* CTID at the destination; NULL: the same */
	bool online;	    /* live: checkpoint, transfer, restore */
	bool dry_run;	    /* only list what would block it */
	bool keep_dst;	    /* on failure keep the copied private area at the destination */
	const char *memory; /* "auto" (NULL), "post-copy" or "stop-and-copy" */
	vz_progress_fn progress;
	void *pdata;
};

/* Move container @ctid to @o->dest.  On success the container exists (and
 * runs, if it ran) only at the destination; on failure only at the source,
 * running as before, and the destination holds nothing of it.  *@ret_report
 * (always set, caller decrefs) holds per-stage times in ms ("stages"),
 * "frozen_ms", "total_ms", "memory" (the transfer used) and, for a dry run,
 * "blockers" (one string each). */
VZ_EXPORT int vz_ct_migrate(const struct vz_global_conf *g, const char *ctid,
			    const struct vz_migrate_opts *o, json_t **ret_report, vz_error *err);

/* The destination side: serve one migration arriving on @in/@out (ssh's
 * stdin/stdout, through `vzctl migrate-receive`).  @started (may be NULL)
 * is called with the CTID once a container runs here (vzd watches it). */
VZ_EXPORT int vz_migrate_receive(const struct vz_global_conf *g, int in, int out,
				 void (*started)(void *data, const char *ctid), void *data,
				 vz_error *err);

/* vzd start-up: undo incoming migrations a killed vzd left unfinished. */
VZ_EXPORT void mig_reconcile(const struct vz_global_conf *g,
			     void (*report)(void *data, const char *ctid, const vz_error *err),
			     void *data);

/* DUMPDIR/CTID, or @dumpdir when given. */
VZ_EXPORT char *vz_ct_dumpdir(const struct vz_global_conf *g, const char *ctid,
			      const char *dumpdir);

#endif
