/* Resource limits: from CTID.conf to the cgroup (see resources.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/resources.h"
#include "storage/storage.h"

uint32_t vz_res_ioprio_weight(uint32_t ioprio)
{
	/* Roughly geometric, as the CFQ priority classes were: each step is a
	 * clear difference, and 4 stays the normal weight. */
	static const uint32_t weight[] = {10, 25, 50, 75, 100, 250, 500, 1000};
	return weight[ioprio < 8 ? ioprio : 7];
}

uint64_t vz_res_cpu_quota(uint32_t cpulimit, uint32_t cpus)
{
	uint64_t pct = cpulimit ? cpulimit : UINT64_MAX;
	uint64_t quota;

	if (cpus && (uint64_t)cpus * 100 < pct)
		pct = (uint64_t)cpus * 100;
	if (pct == UINT64_MAX)
		return VZ_CG_MAX;
	quota = pct * VZ_RES_CPU_PERIOD_US / 100;
	/* The kernel's floor for cfs_quota_us is 1 ms. */
	return quota < 1000 ? 1000 : quota;
}

static uint64_t pages_to_bytes(uint64_t pages)
{
	if (pages == VZ_UNLIMITED || pages > UINT64_MAX / VZ_PAGE_SIZE)
		return VZ_CG_MAX;
	return pages * VZ_PAGE_SIZE;
}

static const char *cpulist_or_null(const char *s)
{
	return !s || !*s || !strcmp(s, "all") ? NULL : s;
}

void vz_res_limits(const struct vz_ct_conf *c, dev_t io_dev, struct vz_cg_limits *ret)
{
	*ret = (struct vz_cg_limits){
	    .cpuunits = c->cpuunits,
	    .cpu_quota_us = vz_res_cpu_quota(c->cpulimit, c->cpus),
	    .cpu_period_us = VZ_RES_CPU_PERIOD_US,
	    .cpus = cpulist_or_null(c->cpumask),
	    .mems = cpulist_or_null(c->nodemask),
	    .mem_bytes = pages_to_bytes(c->physpages.limit),
	    .swap_bytes = pages_to_bytes(c->swappages.limit),
	    .pids = c->numproc.limit == VZ_UNLIMITED ? VZ_CG_MAX : c->numproc.limit,
	    .io_weight = vz_res_ioprio_weight(c->ioprio),
	    .io_dev = io_dev != 0,
	    .io_major = major(io_dev),
	    .io_minor = minor(io_dev),
	    .io_bps = c->iolimit == 0 ? VZ_CG_MAX : c->iolimit,
	    .io_iops = c->iopslimit == 0 ? VZ_CG_MAX : c->iopslimit,
	};
}

bool vz_res_key(const char *key)
{
	static const char *const keys[] = {
	    "CPUUNITS",	 "CPULIMIT", "CPUS",   "CPUMASK", "NODEMASK",  "PHYSPAGES",
	    "SWAPPAGES", "NUMPROC",  "IOPRIO", "IOLIMIT", "IOPSLIMIT",
	};
	for (size_t i = 0; i < VZ_ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i], key))
			return true;
	return false;
}

int vz_res_apply_cpu(const struct vz_ct_conf *c, struct vz_cgroup *cg, vz_error *err)
{
	struct vz_cg_limits l;

	vz_res_limits(c, 0, &l);
	if (cg->ops->set_cpu(cg, &l, err) < 0 || cg->ops->set_cpuset(cg, &l, err) < 0)
		return vz_error_wrap(err, "apply CPU limits");
	return 0;
}

int vz_res_apply(const struct vz_ct_conf *c, struct vz_cgroup *cg, vz_error *err)
{
	bool io_limited = (c->iolimit && c->iolimit != VZ_UNLIMITED) || c->iopslimit;
	struct vz_cg_limits l;
	dev_t dev = 0;

	/* Throttles need a block device; a private area on tmpfs or overlay
	 * has none, and then IOLIMIT/IOPSLIMIT cannot be honoured.  The device
	 * is looked up without limits too, so that clearing them reaches it. */
	if (vz_storage_block_dev(c->ve_private, c->ve_root, &dev, err) < 0 && io_limited)
		return vz_error_wrap(err, "IOLIMIT/IOPSLIMIT");
	if (io_limited && dev == 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "IOLIMIT/IOPSLIMIT: private area `%s` is on no block device "
			       "(tmpfs or overlayfs?), nothing to throttle",
			       c->ve_private);
	vz_res_limits(c, dev, &l);
	if (vz_cgroup_apply(cg, &l, err) < 0) {
		/* The kernel refusing a value (CPUs or nodes the host lacks, a
		 * limit below current use) is the user's value, not a fault. */
		if (err && (err->errnum == EINVAL || err->errnum == ERANGE || err->errnum == EBUSY))
			err->code = VZ_INVALID_PARAMETER_VALUE;
		return vz_error_wrap(err, "apply resource limits");
	}
	return 0;
}

/* ---- disk space ------------------------------------------------------------ */

static bool pair_eq(const struct vz_pair *a, const struct vz_pair *b)
{
	return a->barrier == b->barrier && a->limit == b->limit;
}

int vz_res_set_disk(const struct vz_ct_conf *c, const struct vz_pair *old_space,
		    const struct vz_pair *old_inodes, bool mounted, bool *ret_pending,
		    vz_error *err)
{
	bool image = vz_private_is_image(c->ve_private);

	if (!image) {
		if (c->diskspace.limit == VZ_UNLIMITED && c->diskinodes.limit == VZ_UNLIMITED)
			return 0;
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "DISKSPACE/DISKINODES need an image-backed private area; `%s` is a "
			       "plain directory (VE_LAYOUT=\"simfs\": the container was created "
			       "without a DISKSPACE limit)",
			       c->ve_private);
	}
	if (!pair_eq(old_inodes, &c->diskinodes))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "DISKINODES of an image-backed private area is fixed when the image "
			       "is made");
	if (pair_eq(old_space, &c->diskspace))
		return 0;
	if (c->diskspace.limit == VZ_UNLIMITED)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "DISKSPACE of an image-backed private area cannot be unlimited");
	return vz_image_resize(c->ve_private, c->ve_root, mounted, c->diskspace.limit, ret_pending,
			       err);
}

/* ---- the view from inside ---------------------------------------------------- */

bool vz_lxcfs_available(const char *dir)
{
	char proc[4096];
	struct statfs sfs;

	/* Also called in a forked child (rootfs.c): nothing allocated. */
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	/* A FUSE mount that answers: a dead lxcfs leaves its mount point
	 * behind, and statfs on it fails with ENOTCONN. */
	return statfs(proc, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC;
}

/* ---- accounting ------------------------------------------------------------ */

static uint64_t to_pages(uint64_t bytes)
{
	return bytes == VZ_CG_MAX ? VZ_CG_MAX : bytes / VZ_PAGE_SIZE;
}

static void bc_from_conf(struct vz_bc *bc, const char *name, const struct vz_pair *p)
{
	*bc = (struct vz_bc){.name = name,
			     .held = VZ_CG_MAX,
			     .maxheld = VZ_CG_MAX,
			     .barrier = p->barrier,
			     .limit = p->limit,
			     .failcnt = VZ_CG_MAX};
}

static void bc_from_cgroup(struct vz_bc *bc, const struct vz_cg_counter *cnt, bool bytes)
{
	bc->held = bytes ? to_pages(cnt->held) : cnt->held;
	bc->maxheld = bytes ? to_pages(cnt->maxheld) : cnt->maxheld;
	bc->failcnt = cnt->failcnt;
	/* What the kernel enforces, which a `set` without --save changed
	 * while CTID.conf still has the old value. */
	bc->limit = bytes ? to_pages(cnt->limit) : cnt->limit;
}

static void usage_from_cgroup(struct vz_ct_usage *u, const struct vz_cg_stats *s)
{
	bc_from_cgroup(&u->bc[VZ_BC_NUMPROC], &s->numproc, false);
	bc_from_cgroup(&u->bc[VZ_BC_PHYSPAGES], &s->mem, true);
	bc_from_cgroup(&u->bc[VZ_BC_SWAPPAGES], &s->swap, true);
	u->cgroup = true;
	u->cpu_usage_ns = s->cpu_usage_ns;
	u->io_rbytes = s->io_rbytes;
	u->io_wbytes = s->io_wbytes;
	u->io_rios = s->io_rios;
	u->io_wios = s->io_wios;
}

int vz_ct_usage(const struct vz_global_conf *g, const struct vz_ct_conf *c, bool running,
		struct vz_ct_usage *ret, vz_error *err)
{
	struct vz_ct_usage u = {0};
	struct vz_disk_usage d;
	bool mounted = false;

	bc_from_conf(&u.bc[VZ_BC_NUMPROC], "numproc", &c->numproc);
	bc_from_conf(&u.bc[VZ_BC_PHYSPAGES], "physpages", &c->physpages);
	bc_from_conf(&u.bc[VZ_BC_SWAPPAGES], "swappages", &c->swappages);
	bc_from_conf(&u.bc[VZ_BC_DISKSPACE], "diskspace", &c->diskspace);
	bc_from_conf(&u.bc[VZ_BC_DISKINODES], "diskinodes", &c->diskinodes);
	if (running) {
		cleanup_cgroup struct vz_cgroup *cg = NULL;
		struct vz_cg_stats s;
		if (vz_cgroup_new(g->cgroup_root, g->cgroup_parent, c->ctid, g->cgroup_version, &cg,
				  err) < 0 ||
		    cg->ops->stats(cg, &s, err) < 0)
			return vz_error_wrap(err, "statistics of container %s", c->ctid);
		usage_from_cgroup(&u, &s);
	}
	/* Disk use is the image's file system; a plain directory would need a
	 * walk of the tree (du), which a listing should not cost. */
	if (vz_private_is_image(c->ve_private) &&
	    vz_is_mountpoint(c->ve_root, &mounted, NULL) == 0 && mounted &&
	    vz_image_usage(c->ve_root, &d, NULL) == 0) {
		u.bc[VZ_BC_DISKSPACE].held = d.kb_used;
		u.bc[VZ_BC_DISKINODES].held = d.inodes_used;
	}
	*ret = u;
	return 0;
}
