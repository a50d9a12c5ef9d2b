/* Container lifecycle: the library's public entry points.
 *
 * Every function takes the global configuration (the state root) and a CTID,
 * works out the container's state from the kernel and the files under the
 * state root (never from daemon memory, so a restarted vzd sees the same
 * truth), and reports failure through a vz_error whose code is a vzctl exit
 * status.  Callers serialize commands on one container with vz_ct_lock(). */
#ifndef VZ_CONTAINER_H
#define VZ_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"

/* ---- locking ---------------------------------------------------------- */

/* Take the container's lock (LOCKDIR/CTID.lck), waiting up to @timeout_s
 * seconds; VZ_LOCKED if it stays busy.  Returns the lock fd (>= 0). */
VZ_EXPORT int vz_ct_lock(const struct vz_global_conf *g, const char *ctid, unsigned timeout_s,
			 vz_error *err);
/* Release the lock.  When no such container exists (a command on an
 * unknown CTID, or a destroy) the lock file is removed first, so failed
 * commands leave nothing behind; waiters notice and retry on a new file. */
VZ_EXPORT void vz_ct_unlock(const struct vz_global_conf *g, const char *ctid, int lock_fd);

/* ---- state ------------------------------------------------------------ */

struct vz_ct_status {
	bool exists;	/* CTID.conf is there */
	bool mounted;	/* VE_ROOT is a mount point */
	bool running;	/* its init is alive */
	pid_t init_pid; /* host pid of the container's init, 0 if down */
	size_t nproc;	/* processes in its cgroup */
};

VZ_EXPORT int vz_ct_status(const struct vz_global_conf *g, const char *ctid,
			   struct vz_ct_status *ret, vz_error *err);
/* The same for a container whose config the caller already loaded. */
VZ_EXPORT int vz_ct_status_of(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			      struct vz_ct_status *ret, vz_error *err);

/* Resolve CGROUP_VERSION=0 (detect) to the host's 1 or 2 once, for a
 * long-lived caller (vzd): otherwise every cgroup operation detects it again,
 * which scans the cgroup root, two dozen statfs/stat calls per container
 * that vzlist shows.  If detection fails, @g is left as it was and each
 * operation still tries and reports why. */
VZ_EXPORT void vz_ct_pin_cgroup_version(struct vz_global_conf *g);

/* CTIDs with a config file under CONF_DIR, in numeric order. */
VZ_EXPORT int vz_ct_list(const struct vz_global_conf *g, char ***ret, vz_error *err);

/* Open a pidfd of the running container's init; VZ_VE_NOT_RUNNING if down. */
VZ_EXPORT int vz_ct_init_pidfd(const struct vz_global_conf *g, const char *ctid, pid_t *ret_pid,
			       int *ret_pidfd, vz_error *err);

/* ---- create / destroy / set ------------------------------------------- */

struct vz_create_opts {
	const char *ostemplate; /* NULL: DEF_OSTEMPLATE */
	const char *config;	/* sample name; NULL: CONFIGFILE */
	const char *hostname;
	const char *const *ipadd;	   /* NULL-terminated, may be NULL */
	const char *private_path;	   /* VE_PRIVATE override */
	const char *root_path;		   /* VE_ROOT override */
	const char *local_uid, *local_gid; /* overrides of the default id range */
	const char *vmtype;		   /* "vm": a QEMU virtual machine (src/vm) */
	const char *diskspace, *diskinodes; /* DISKSPACE/DISKINODES overrides */
};

/* Progress messages for long operations; may be NULL. */
typedef void (*vz_progress_fn)(void *data, const char *msg);

VZ_EXPORT int vz_ct_create(const struct vz_global_conf *g, const char *ctid,
			   const struct vz_create_opts *o, vz_progress_fn progress, void *pdata,
			   vz_error *err);
VZ_EXPORT int vz_ct_destroy(const struct vz_global_conf *g, const char *ctid, vz_error *err);

/* Template names available in the cache, sorted. */
VZ_EXPORT int vz_template_list(const struct vz_global_conf *g, char ***ret, vz_error *err);

enum vz_param_op { VZ_PARAM_SET, VZ_PARAM_ADD, VZ_PARAM_DEL };
struct vz_param {
	const char *key;     /* CTID.conf key */
	enum vz_param_op op; /* ADD/DEL for list keys (IP_ADDRESS, NAMESERVER, ...) */
	const char *value;   /* for DEL of IP_ADDRESS, "all" removes every address */
};

/* Validate all @params first (nothing changes if one is bad), apply what can
 * change live to a running container, and with @save write CTID.conf.
 * *@ret_pending (may be NULL) is set when some saved values only take
 * effect at the next start. */
VZ_EXPORT int vz_ct_set(const struct vz_global_conf *g, const char *ctid,
			const struct vz_param *params, size_t n, bool save, bool *ret_pending,
			vz_error *err);

/* ---- mount / start / stop --------------------------------------------- */

VZ_EXPORT int vz_ct_mount(const struct vz_global_conf *g, const char *ctid, vz_error *err);
VZ_EXPORT int vz_ct_umount(const struct vz_global_conf *g, const char *ctid, vz_error *err);
VZ_EXPORT int vz_ct_start(const struct vz_global_conf *g, const char *ctid, vz_error *err);

struct vz_stop_opts {
	bool fast;     /* kill at once, no /sbin/halt */
	int timeout_s; /* < 0: STOP_TIMEOUT */
};
VZ_EXPORT int vz_ct_stop(const struct vz_global_conf *g, const char *ctid,
			 const struct vz_stop_opts *o, vz_error *err);

/* Release what a container that ended by itself left behind (cgroup, the
 * VE_ROOT mount made by start).  Nothing to do is not an error. */
VZ_EXPORT int vz_ct_cleanup_stopped(const struct vz_global_conf *g, const char *ctid,
				    vz_error *err);

/* Finish interrupted destroys and clean up containers that ended while no
 * vzd was watching.  For vzd start-up; per-container failures are reported
 * through @report and do not stop the sweep. */
VZ_EXPORT void vz_reconcile(const struct vz_global_conf *g,
			    void (*report)(void *data, const char *ctid, const vz_error *err),
			    void *data);

/* ---- processes inside a running container ----------------------------- */

struct vz_spawn_opts {
	char *const *argv;	   /* argv[0] is looked up in the container's PATH */
	char *const *envp;	   /* NULL: a minimal default environment */
	int stdio[3];		   /* used when !pty; -1 means /dev/null */
	bool pty;		   /* allocate a pty in the container's devpts */
	unsigned short rows, cols; /* initial pty size */
	const char *term;	   /* TERM for a pty session */
};

/* Start a process in the container's namespaces and cgroup, as container
 * root.  Returns the pid of a host-side helper whose exit status mirrors the
 * process's (vz_child_wait); with @o->pty, *@ret_master is the pty master. */
VZ_EXPORT int vz_ct_spawn(const struct vz_global_conf *g, const char *ctid,
			  const struct vz_spawn_opts *o, pid_t *ret_pid, int *ret_master,
			  vz_error *err);

/* Wait for a helper from vz_ct_spawn; *@ret_code is a shell-style exit code. */
VZ_EXPORT int vz_ct_spawn_wait(pid_t pid, int *ret_code, vz_error *err);

/* Shortcut: run @argv with stdio from @stdio and wait. */
VZ_EXPORT int vz_ct_exec(const struct vz_global_conf *g, const char *ctid, char *const *argv,
			 const int stdio[3], int *ret_code, vz_error *err);

/* ---- pty sessions of vzctl enter (session.c) ---------------------------- */

struct vz_session {
	int id;			 /* the pty's index: /dev/pts/ID in the container */
	pid_t holder;		 /* host pid of the process holding the master */
	bool attached;		 /* a client relays it now */
	unsigned long long rdev; /* the slave as CRIU names it: tty[RDEV:DEV] */
	unsigned long long dev;
};

/* Make the pty behind @master (the caller keeps its descriptor) a session
 * of container @ctid: a holder process outside the container keeps the
 * master until the last slave closes or an attached client leaves.  With
 * @ret_conn the caller is that client from the start (see
 * vz_session_attach); without, the session starts detached. */
VZ_EXPORT int vz_session_start(const struct vz_global_conf *g, const char *ctid, int master,
			       int *ret_conn, struct vz_session *ret, vz_error *err);

/* Attach to session @id: *@ret_master is the pty master, *@ret_conn the
 * connection to its holder, to be kept open while relaying (closing it
 * hangs the session up).  VZ_LOCKED if another client is attached. */
VZ_EXPORT int vz_session_attach(const struct vz_global_conf *g, const char *ctid, int id,
				int *ret_master, int *ret_conn, vz_error *err);

/* The container's live sessions in id order (stale records are dropped). */
VZ_EXPORT int vz_session_list(const struct vz_global_conf *g, const char *ctid,
			      struct vz_session **ret, size_t *ret_n, vz_error *err);

#endif
