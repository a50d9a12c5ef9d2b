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

#include <stdint.h>

struct vz_cgroup;
struct vz_dev_rule; /* config/seckeys.h */

/* "No limit" for every 64-bit value below. */
#define VZ_CG_MAX UINT64_MAX

/* Resource limits in backend-neutral units (src/runtime/resources.c makes
 * them from a CTID.conf); each backend turns them into its own files. */
struct vz_cg_limits {
	uint32_t cpuunits;	/* relative CPU share, 1000 = normal (8..500000) */
	uint64_t cpu_quota_us;	/* CPU time per period; VZ_CG_MAX: no cap */
	uint64_t cpu_period_us; /* CFS period */
	const char *cpus;	/* cpuset CPU list ("0-1,3"); NULL: the parent's */
	const char *mems;	/* cpuset memory nodes; NULL: the parent's */
	uint64_t mem_bytes;	/* RAM limit; VZ_CG_MAX: none */
	uint64_t swap_bytes;	/* swap on top of mem_bytes; VZ_CG_MAX: none */
	uint64_t pids;		/* processes and threads; VZ_CG_MAX: none */
	uint32_t io_weight;	/* proportional I/O weight 1..1000 (100 normal); 0: leave */
	bool io_dev;		/* whether io_major:io_minor names a device to throttle */
	unsigned io_major, io_minor;
	uint64_t io_bps;  /* read and write bytes/s each on that device; VZ_CG_MAX: none */
	uint64_t io_iops; /* read and write ops/s each on that device; VZ_CG_MAX: none */
};

/* One accounted resource, beancounter style.  VZ_CG_MAX: unknown/none. */
struct vz_cg_counter {
	uint64_t held;	  /* current use */
	uint64_t maxheld; /* highest use seen */
	uint64_t limit;	  /* the enforced limit */
	uint64_t failcnt; /* how often the limit refused a charge */
};

/* Usage of a container's cgroup (bytes for memory and swap). */
struct vz_cg_stats {
	struct vz_cg_counter numproc, mem, swap;
	uint64_t cpu_usage_ns;				 /* CPU time consumed */
	uint64_t io_rbytes, io_wbytes, io_rios, io_wios; /* block I/O, all devices */
};

struct vz_cgroup_ops {
	const char *name; /* "v1" or "v2" */
	/* Make the container's cgroup in every controller (and the parent
	 * cgroup with controllers delegated to it); existing ones are fine. */
	int (*create)(struct vz_cgroup *cg, vz_error *err);
	/* Move @pid (a whole process) into the container's cgroup. */
	int (*attach)(struct vz_cgroup *cg, pid_t pid, vz_error *err);
	/* The container's cgroup directories, one per hierarchy, in the
	 * order attach joins them.  NULL-terminated; caller frees. */
	int (*leaves)(struct vz_cgroup *cg, char ***ret, vz_error *err);
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
	/* CPU share and cap: cpuunits, cpu_quota_us, cpu_period_us. */
	int (*set_cpu)(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err);
	/* CPUs and memory nodes: cpus, mems (NULL restores the parent's). */
	int (*set_cpuset)(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err);
	/* RAM and swap: mem_bytes, swap_bytes; ordered so that the kernel's
	 * invariants between the two files hold at every step. */
	int (*set_memory)(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err);
	/* Process count: pids. */
	int (*set_pids)(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err);
	/* Block I/O: io_weight where the kernel has a proportional scheduler
	 * for it (skipped otherwise), io_bps/io_iops throttles on io_dev. */
	int (*set_io)(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err);
	/* Current use, peaks, limits and failure counters. */
	int (*stats)(struct vz_cgroup *cg, struct vz_cg_stats *ret, vz_error *err);
};

/* A container's cgroup files, opened before a fork so that the child joins
 * with system calls alone (see lib/child.h: nothing allocated, no lock).
 * cgroup-join.c.
 *
 * Joining is the cost of a start and of an exec: moving a process through
 * cgroup.procs takes the kernel's global cgroup_threadgroup_rwsem for
 * writing, which waits for an RCU grace period (5-30 ms on this kind of
 * host) unless another migration just paid for one.  So v1 hierarchies
 * are joined through their `tasks` file with "0", a move of the writing
 * thread alone, which the kernel does without that lock (Linux >= 6.0;
 * the joining child is single-threaded, so that is the whole process).
 * A v2 hierarchy (a unified host, or the hybrid host's cgroup2 mount) has
 * no such file for processes: vz_cgroup_join_reborn continues in a child
 * born there (clone3 CLONE_INTO_CGROUP, no migration at all). */
#define VZ_CG_JOIN_MAX 16
struct vz_cg_join {
	size_t n;
	int fd[VZ_CG_JOIN_MAX];
	char dir[VZ_CG_JOIN_MAX][256]; /* for error messages */
	int v2_index;		       /* index in fd of the v2 cgroup.procs, -1: none */
	int v2_dir;		       /* that cgroup's directory, for CLONE_INTO_CGROUP */
};

/* Open the files of every directory of @cg's container cgroup (which must
 * exist).  On failure nothing stays open. */
int vz_cgroup_join_open(struct vz_cgroup *cg, struct vz_cg_join *j, vz_error *err);
/* Move the calling process, which must be single-threaded (a fork of vzd),
 * into the cgroup (async-signal-safe). */
int vz_cgroup_join(const struct vz_cg_join *j, vz_error *err);
/* vz_cgroup_join for a child that need not keep its pid: the v1 part as
 * there, then, where there is a v2 part, the caller goes on in a child of
 * its own born in it, and the original closes its descriptors, waits and
 * exits with that child's exit code (128 + signal if it was killed).  The
 * new child dies with the original (PR_SET_PDEATHSIG), so a caller that
 * kills the pid it forked still ends the work.  With @pidns_fd >= 0 (a
 * pidfd) the new child is born in that process's pid namespace too, and
 * *@ret_in_pidns (may be NULL) says whether it was: then it needs no fork
 * of its own to get there.  Falls back to vz_cgroup_join where the kernel
 * refuses. */
int vz_cgroup_join_reborn(const struct vz_cg_join *j, int pidns_fd, bool *ret_in_pidns,
			  vz_error *err);
/* Close what vz_cgroup_join_open opened; idempotent. */
void vz_cgroup_join_close(struct vz_cg_join *j);

/* Apply every member of @l through the set_* operations, in an order that
 * works from any previous state. */
int vz_cgroup_apply(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err);

/* Value translation shared by the backends (pure). */
/* cpuunits (1000 normal) -> cgroup v1 cpu.shares (1024 normal), >= 2. */
uint64_t vz_cg_units_to_shares(uint32_t units);
/* cpuunits -> cgroup v2 cpu.weight (100 normal), clamped to 1..10000. */
uint64_t vz_cg_units_to_weight(uint32_t units);

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
