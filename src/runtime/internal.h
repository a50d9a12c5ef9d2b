/* Helpers shared by the runtime's files; not part of the library API. */
#ifndef VZ_RUNTIME_INTERNAL_H
#define VZ_RUNTIME_INTERNAL_H

#include "cgroups/cgroup.h"
#include "runtime/container.h"
#include "runtime/idmap.h"

/* The container's cgroup handle, from the state root. */
int ct_cgroup(const struct vz_global_conf *g, const char *ctid, struct vz_cgroup **ret,
	      vz_error *err);

/* VZ_RUN_DIR/CTID.running: present from a start until its cleanup, so that a
 * container which ended while no vzd watched can be told from one the admin
 * merely mounted. */
char *ct_running_marker(const struct vz_global_conf *g, const char *ctid);
/* Remove RUN_DIR/CTID.sessions once its holders are gone (session.c). */
void ct_sessions_cleanup(const struct vz_global_conf *g, const char *ctid);

/* The id map of a container config. */
void ct_idmap(const struct vz_global_conf *g, const struct vz_ct_conf *c, struct vz_idmap *ret);

/* Find the container's init among its cgroup's processes: the one that is
 * pid 1 in a pid namespace one level below ours. */
int ct_find_init(const struct vz_global_conf *g, const char *ctid, pid_t *ret_pid,
		 size_t *ret_nproc, vz_error *err);

/* Wait up to @timeout_ms for a pidfd to report exit; 1 exited, 0 timeout. */
int ct_pidfd_wait(int pidfd, int timeout_ms);

/* The container's file system view (rootfs.c), in two steps. */
struct ct_rootfs_spec {
	const char *root;     /* VE_ROOT on the host */
	const char *hostname; /* may be NULL */
	const char *ctid;
	char *const *devnodes; /* DEVNODES entries: host /dev nodes to bind in */
	uid_t root_uid;	       /* host ids of the container's root (0: privileged) */
	gid_t root_gid;
	const char *lxcfs_dir; /* LXCFS_DIR: lxcfs's /proc views to bind over ours */
};
/* Build every mount of the view under VE_ROOT, as host root, in the
 * launcher's private mount namespace but inside the container's pid, net
 * and ipc namespaces (proc, sysfs and mqueue take theirs from the mounter). */
int ct_build_rootfs(const struct ct_rootfs_spec *spec, vz_error *err);
/* In the container's init, as its root: take a (locked) copy of that mount
 * namespace, pivot_root into VE_ROOT, set the host name. */
int ct_enter_rootfs(const struct ct_rootfs_spec *spec, vz_error *err);
/* Write @hostname to /etc/hostname (of the caller's root), best effort;
 * async-signal-safe (lib/child.h). */
void ct_write_hostname_file(const char *hostname);

/* CTID.conf.creating: a create's intent, from its start to its commit. */
char *ct_create_intent_path(const struct vz_global_conf *g, const char *ctid);

/* Undo a create that a crash interrupted before its commit (see recover.c). */
int vz_ct_create_rollback(const struct vz_global_conf *g, const char *ctid, vz_error *err);

/* Roll back interrupted creates and remove temporary files of interrupted
 * atomic writes (recover.c); part of vz_reconcile. */
void ct_recover_interrupted(const struct vz_global_conf *g,
			    void (*report)(void *data, const char *ctid, const vz_error *err),
			    void *data);

/* Complete a destroy whose config was already renamed to CTID.conf.destroyed. */
int vz_ct_destroy_finish(const struct vz_global_conf *g, const char *ctid, vz_error *err);

/* Run @fn(@arg) in a helper that joined the container's namespaces as its
 * root; the helper's return value is its exit status. */
int ct_run_fn(const struct vz_global_conf *g, const char *ctid, int (*fn)(void *), void *arg,
	      vz_error *err);

#endif
