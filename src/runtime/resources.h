/* Resource limits: CTID.conf values -> cgroup limits, applied at start and
 * live by `vzctl set`, and the usage statistics behind vzlist and
 * `vzctl stats`.
 *
 * The translation (vz_res_limits) is pure, so that it is unit tested; the
 * rest reads the host (block device of the private area) and writes through
 * the cgroup ops table. */
#ifndef VZ_RUNTIME_RESOURCES_H
#define VZ_RUNTIME_RESOURCES_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "config/conf.h"
#include "lib/error.h"

/* CFS period every CPU cap is expressed in. */
#define VZ_RES_CPU_PERIOD_US 100000

/* Translate @c into cgroup limits.  @io_dev is the block device the
 * private area lives on (0: none known: no I/O throttle).  The string
 * members of *@ret point into @c. */
void vz_res_limits(const struct vz_ct_conf *c, dev_t io_dev, struct vz_cg_limits *ret);

/* IOPRIO 0..7 -> proportional weight 1..1000 (4 -> 100, the normal weight). */
uint32_t vz_res_ioprio_weight(uint32_t ioprio);

/* CPULIMIT (percent of one CPU, 0: none) and CPUS (0: all) -> quota per
 * VZ_RES_CPU_PERIOD_US; VZ_CG_MAX when neither caps. */
uint64_t vz_res_cpu_quota(uint32_t cpulimit, uint32_t cpus);

/* Whether @key is a CTID.conf key this file applies to the cgroup. */
bool vz_res_key(const char *key);

/* Apply @c's limits to the container's cgroup @cg (at start, before the
 * init runs, and on every live set). */
int vz_res_apply(const struct vz_ct_conf *c, struct vz_cgroup *cg, vz_error *err);

/* Apply only @c's CPU share, cap and cpuset to @cg: a VM's QEMU process
 * (its memory is the guest's RAM plus QEMU's own, not PHYSPAGES). */
int vz_res_apply_cpu(const struct vz_ct_conf *c, struct vz_cgroup *cg, vz_error *err);

/* DISKSPACE/DISKINODES changed from @old_space/@old_inodes to @c's: grow
 * the image (online when @mounted); refuse what the layout cannot do
 * (limits on a plain directory, shrinking, new inode counts).  *@ret_pending
 * is set when the file system grows only at the next mount. */
int vz_res_set_disk(const struct vz_ct_conf *c, const struct vz_pair *old_space,
		    const struct vz_pair *old_inodes, bool mounted, bool *ret_pending,
		    vz_error *err);

/* ---- the view from inside ------------------------------------------------ */

/* Whether lxcfs serves @dir (LXCFS_DIR), so that containers' /proc/meminfo,
 * cpuinfo, stat, uptime, loadavg, ... can show their own figures. */
VZ_EXPORT bool vz_lxcfs_available(const char *dir);

/* ---- accounting ---------------------------------------------------------- */

/* One beancounter-style line; VZ_CG_MAX: unknown (held, maxheld, failcnt)
 * or unlimited (barrier, limit). */
struct vz_bc {
	const char *name; /* numproc, physpages, swappages, diskspace, diskinodes */
	uint64_t held, maxheld, barrier, limit, failcnt;
};

enum {
	VZ_BC_NUMPROC,
	VZ_BC_PHYSPAGES,
	VZ_BC_SWAPPAGES,
	VZ_BC_DISKSPACE,
	VZ_BC_DISKINODES,
	VZ_BC_N
};

struct vz_ct_usage {
	struct vz_bc bc[VZ_BC_N]; /* in vzctl units: pages, 1 KiB blocks, counts */
	bool cgroup;		  /* the cgroup figures below are known (running) */
	uint64_t cpu_usage_ns;
	uint64_t io_rbytes, io_wbytes, io_rios, io_wios;
};

/* Usage of container @c: cgroup figures when @running, disk figures when
 * its image is mounted; limits from @c. */
VZ_EXPORT int vz_ct_usage(const struct vz_global_conf *g, const struct vz_ct_conf *c, bool running,
			  struct vz_ct_usage *ret, vz_error *err);

#endif
