/* Container cgroups: one operations table, two backends.
 *
 * cgroup v1 (controllers mounted separately under CGROUP_ROOT, as on the
 * build machines) and cgroup v2 (one unified hierarchy, most modern hosts).
 * Each container gets CGROUP_ROOT/[controller/]CGROUP_PARENT/CTID; its
 * processes are counted, frozen and killed as a group through it.  Resource
 * limits are applied by a later layer through the same table. */
#ifndef VZ_CGROUP_H
#define VZ_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

struct vz_cgroup;
struct vz_dev_rule; /* config/seckeys.h */

struct vz_cgroup_ops {
	const char *name; /* "v1" or "v2" */
	/* Make the container's cgroup in every controller (and the parent
	 * cgroup with controllers delegated to it); existing ones are fine. */
	int (*create)(struct vz_cgroup *cg, vz_error *err);
	/* Move @pid (a whole process) into the container's cgroup. */
	int (*attach)(struct vz_cgroup *cg, pid_t pid, vz_error *err);
	/* Pids of every process in the cgroup and its descendants; an absent
	 * cgroup yields zero pids.  Caller frees *ret. */
	int (*procs)(struct vz_cgroup *cg, pid_t **ret, size_t *ret_n, vz_error *err);
	/* Freeze (true) or thaw (false) every process, waiting until the kernel
	 * reports the new state. */
	int (*freeze)(struct vz_cgroup *cg, bool frozen, vz_error *err);
	/* SIGKILL every process and wait until the cgroup is empty. */
	int (*kill)(struct vz_cgroup *cg, vz_error *err);
	/* Remove the container's cgroup everywhere; absent is fine, busy is an
	 * error naming the cgroup. */
	int (*destroy)(struct vz_cgroup *cg, vz_error *err);
	/* Whether the container's cgroup exists. */
	bool (*exists)(struct vz_cgroup *cg);
	/* Deny every device except the @n rules of @allow (v1: the devices
	 * controller; v2: a BPF_CGROUP_DEVICE program).  After create, before
	 * any process joins. */
	int (*devices)(struct vz_cgroup *cg, const struct vz_dev_rule *allow, size_t n,
		       vz_error *err);
};

struct vz_cgroup {
	const struct vz_cgroup_ops *ops;
	char *root;   /* cgroupfs mount point, e.g. /sys/fs/cgroup */
	char *parent; /* CGROUP_PARENT, a single path component */
	char *name;   /* the CTID */
};

extern const struct vz_cgroup_ops vz_cgroup_v1_ops;
extern const struct vz_cgroup_ops vz_cgroup_v2_ops;
/* The v2 backend's device filter (cgroup-v2-devices.c). */
int vz_cgroup_v2_devices(struct vz_cgroup *cg, const struct vz_dev_rule *allow, size_t n,
			 vz_error *err);

/* Pick the backend for @root: @version 1 or 2 forces it (CGROUP_VERSION; a
 * fake tree in tests is not a cgroupfs), 0 detects from the filesystem type
 * of @root (cgroup2 -> v2, tmpfs with v1 controllers -> v1). */
int vz_cgroup_detect(const char *root, unsigned version, const struct vz_cgroup_ops **ret,
		     vz_error *err);

/* Handle for container @name; no file system change. */
int vz_cgroup_new(const char *root, const char *parent, const char *name, unsigned version,
		  struct vz_cgroup **ret, vz_error *err);
void vz_cgroup_free(struct vz_cgroup *cg);

/* Names of the containers' cgroups that exist under @parent (for vzd to
 * reconcile at start-up).  NULL-terminated; caller frees with vz_strv_free. */
int vz_cgroup_list(const char *root, const char *parent, unsigned version, char ***ret,
		   vz_error *err);

static inline void vz_cgroup_freep(struct vz_cgroup **cg)
{
	vz_cgroup_free(*cg);
	*cg = NULL;
}
#define cleanup_cgroup __attribute__((cleanup(vz_cgroup_freep)))

#endif
