/* What the two cgroup backends share: pid lists read through a cgroup
 * subtree, depth-first removal, listing child cgroups, bounded waits for the
 * kernel to report a new state, and the freeze-and-kill loop. */
#ifndef VZ_CGROUP_INTERNAL_H
#define VZ_CGROUP_INTERNAL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "lib/error.h"

/* How long one freeze, thaw or kill may take before it is reported as
 * failed.  A variable rather than a constant so that tests against a fake
 * tree, where the awaited state never comes, need not wait seconds. */
extern unsigned vz_cgroup_timeout_ms;

/* A deadline with a growing poll interval: the kernel usually settles within
 * a millisecond, so polls start short and back off to spare the CPU. */
struct vz_cg_deadline {
	uint64_t end_ms;
	unsigned delay_ms;
};

void vz_cg_deadline_start(struct vz_cg_deadline *d);
/* Sleep one interval; false (without sleeping) once the deadline passed. */
bool vz_cg_deadline_sleep(struct vz_cg_deadline *d);

/* Fill @err for a wait that ran out of time; errnum is ETIMEDOUT so callers
 * can tell a timeout from a failing system call. */
int vz_cg_fail_timeout(vz_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Open the cgroup directory @path.  On failure errno is kept, so a caller
 * can treat ENOENT (cgroup absent) as it sees fit. */
int vz_cg_open_dir(const char *path, vz_error *err);

/* Open the directory @name under @parentfd, O_CLOEXEC and, below a real
 * @parentfd, without following a symlink; with AT_FDCWD @name is a path.
 * NULL with errno set on failure. */
DIR *vz_cg_opendir_at(int parentfd, const char *name);

/* Pids in @path/cgroup.procs and in every descendant cgroup's.  An absent
 * @path yields zero pids.  *ret is always allocated; caller frees it. */
int vz_cg_read_procs(const char *path, pid_t **ret, size_t *ret_n, vz_error *err);

/* rmdir @path after its descendant cgroups, deepest first.  Absent is fine;
 * a cgroup still in use fails with an error naming it. */
int vz_cg_rmdir_tree(const char *path, vz_error *err);

/* Add the names of @path's subdirectories to the sorted, duplicate-free,
 * NULL-terminated *@names (which may start NULL).  Absent @path adds none. */
int vz_cg_list_children(const char *path, char ***names, vz_error *err);

/* SIGKILL everything under @procs_path (the container cgroup in the
 * hierarchy that is read for pids) until nothing is left.  With @can_freeze
 * the cgroup is frozen around each round through cg->ops->freeze, so a fork
 * bomb cannot outrun the loop. */
int vz_cg_kill_loop(struct vz_cgroup *cg, const char *procs_path, bool can_freeze, vz_error *err);

/* The mount directories of the cgroup v1 hierarchies under @root, each once
 * (symlinks to co-mounted ones and non-v1 mounts skipped), as full paths,
 * sorted; NULL-terminated, possibly empty. */
int vz_cgroup_v1_hierarchies(const char *root, char ***ret, vz_error *err);

/* Write printf-formatted text to control file @file of cgroup directory
 * @dir; errors name both. */
int vz_cg_write(const char *dir, const char *file, vz_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Whether @l asks controller @ctrl ("cpu", "cpuset", "memory", "pids", "io")
 * for more than its defaults.  A host without that controller can still
 * run containers that do not. */
bool vz_cg_limits_need(const struct vz_cg_limits *l, const char *ctrl);

/* Read control file @file of @dir as one number; "max" or "-1" (and
 * numbers at the v1 "unlimited" ceiling) read as VZ_CG_MAX.  A missing file
 * reads as @dflt (VZ_CG_MAX for "unknown"), so older kernels give "-". */
uint64_t vz_cg_read_u64(const char *dir, const char *file, uint64_t dflt);

/* The number after "@key " on a line of keyed control file @file of @dir
 * (pids.events "max 3", cpu.stat "usage_usec 10"); @dflt if absent. */
uint64_t vz_cg_read_key(const char *dir, const char *file, const char *key, uint64_t dflt);

#endif
