/* cgroup v2 backend: one unified hierarchy at the root; the container's
 * cgroup is ROOT/PARENT/CTID, with the controllers vz uses delegated down to
 * it.  Freezing uses cgroup.freeze, killing cgroup.kill where the kernel has
 * it (5.14+). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroup-internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

/* The controllers vz sets limits through. */
static const char *const wanted_controllers[] = {"cpu", "cpuset", "io", "memory", "pids"};

static char *leaf_path(struct vz_cgroup *cg)
{
	return vz_strdup_printf("%s/%s/%s", cg->root, cg->parent, cg->name);
}

/* ---- create ------------------------------------------------------------- */

/* Whether the blank-separated list @words holds @word. */
static bool has_word(const char *words, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = words; (p = strstr(p, word)); p += len) {
		bool starts = p == words || p[-1] == ' ' || p[-1] == '\n';
		bool ends = p[len] == '\0' || p[len] == ' ' || p[len] == '\n';
		if (starts && ends)
			return true;
	}
	return false;
}

/* One controller per write: the kernel applies a "+a +b" line all or
 * nothing, and one controller it refuses (cpu while a realtime task sits
 * outside the root, for one) must not cost the container the others.
 * O_APPEND does not matter to cgroupfs, which ignores the offset, but a
 * plain file standing in for it then keeps every write. */
static int enable_controller(int dirfd, const char *ctrl)
{
	cleanup_close int fd =
	    openat(dirfd, "cgroup.subtree_control", O_WRONLY | O_APPEND | O_CLOEXEC);
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "+%s", ctrl);

	if (fd < 0)
		return -1;
	return write(fd, buf, (size_t)len) == len ? 0 : -1;
}

/* Delegate the wanted controllers that @path offers to its children.  A
 * controller the kernel refuses is left out: the limits that need it fail
 * later, naming the missing file, which says more than failing here. */
static int delegate_controllers(const char *path, vz_error *err)
{
	cleanup_close int fd = vz_cg_open_dir(path, err);
	char available[512], enabled[512];

	if (fd < 0)
		return -1;
	if (vz_read_file_at(fd, "cgroup.controllers", available, sizeof(available), err) < 0 ||
	    vz_read_file_at(fd, "cgroup.subtree_control", enabled, sizeof(enabled), err) < 0)
		return vz_error_wrap(err, "cgroup `%s`", path);
	for (size_t i = 0; i < VZ_ARRAY_SIZE(wanted_controllers); i++) {
		const char *ctrl = wanted_controllers[i];
		if (has_word(available, ctrl) && !has_word(enabled, ctrl))
			enable_controller(fd, ctrl);
	}
	return 0;
}

static int mkdir_cgroup(const char *path, vz_error *err)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: mkdir", path);
	return 0;
}

static int v2_create(struct vz_cgroup *cg, vz_error *err)
{
	cleanup_free char *parent = vz_strdup_printf("%s/%s", cg->root, cg->parent);
	cleanup_free char *leaf = leaf_path(cg);

	/* Top-down: a level can only delegate what its parent delegated to
	 * it.  The parent holds no processes of its own, so the kernel's "no
	 * internal processes" rule does not get in the way. */
	if (delegate_controllers(cg->root, err) < 0 || mkdir_cgroup(parent, err) < 0 ||
	    delegate_controllers(parent, err) < 0 || mkdir_cgroup(leaf, err) < 0)
		return -1;
	return 0;
}

/* ---- attach, procs ------------------------------------------------------ */

static int v2_attach(struct vz_cgroup *cg, pid_t pid, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);
	cleanup_close int fd = vz_cg_open_dir(leaf, err);
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (fd < 0)
		return vz_error_wrap(err, "attach pid %d", (int)pid);
	if (vz_write_file_at(fd, "cgroup.procs", buf, (size_t)len, err) < 0)
		return vz_error_wrap(err, "cgroup `%s`: attach pid %d", leaf, (int)pid);
	return 0;
}

static int v2_leaves(struct vz_cgroup *cg, char ***ret, vz_error *err)
{
	(void)err;
	*ret = vz_xcalloc(2, sizeof(char *));
	(*ret)[0] = leaf_path(cg);
	return 0;
}

static int v2_procs(struct vz_cgroup *cg, pid_t **ret, size_t *ret_n, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);

	return vz_cg_read_procs(leaf, ret, ret_n, err);
}

/* ---- freeze ------------------------------------------------------------- */

/* The value of the "frozen" line of cgroup.events. */
static int read_frozen(int fd, const char *path, bool *ret, vz_error *err)
{
	char events[512];
	const char *p;

	if (vz_read_file_at(fd, "cgroup.events", events, sizeof(events), err) < 0)
		return vz_error_wrap(err, "cgroup `%s`", path);
	for (p = events; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, "frozen ", 7)) {
			*ret = p[7] == '1';
			return 0;
		}
	}
	return vz_fail(err, VZ_SYSTEM_ERROR,
		       "cgroup `%s`: cgroup.events has no `frozen` line (kernel older than 5.2?)",
		       path);
}

/* cgroup.freeze only asks; cgroup.events says when every task has stopped
 * (or, thawing, runs again). */
static int wait_frozen(int fd, const char *path, bool want, vz_error *err)
{
	struct vz_cg_deadline d;
	bool frozen;

	vz_cg_deadline_start(&d);
	for (;;) {
		if (read_frozen(fd, path, &frozen, err) < 0)
			return -1;
		if (frozen == want)
			return 0;
		if (!vz_cg_deadline_sleep(&d))
			return vz_cg_fail_timeout(err, "cgroup `%s`: not %s after %u ms", path,
						  want ? "frozen" : "thawed", vz_cgroup_timeout_ms);
	}
}

static int set_frozen(int fd, const char *path, bool frozen, vz_error *err)
{
	if (vz_write_file_at(fd, "cgroup.freeze", frozen ? "1" : "0", 1, err) < 0)
		return vz_error_wrap(err, "cgroup `%s`", path);
	return wait_frozen(fd, path, frozen, err);
}

static int v2_freeze(struct vz_cgroup *cg, bool frozen, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);
	cleanup_close int fd = vz_cg_open_dir(leaf, err);
	vz_error undo_err;

	if (fd < 0)
		return -1;
	if (set_frozen(fd, leaf, frozen, err) < 0) {
		/* A freeze that does not complete is withdrawn, so the
		 * container is not left with some tasks stopped. */
		if (frozen)
			set_frozen(fd, leaf, false, &undo_err);
		return -1;
	}
	return 0;
}

/* ---- kill --------------------------------------------------------------- */

static int wait_empty(const char *path, vz_error *err)
{
	struct vz_cg_deadline d;

	vz_cg_deadline_start(&d);
	for (;;) {
		cleanup_free pid_t *pids = NULL;
		size_t n;

		if (vz_cg_read_procs(path, &pids, &n, err) < 0)
			return -1;
		if (n == 0)
			return 0;
		if (!vz_cg_deadline_sleep(&d))
			return vz_cg_fail_timeout(
			    err,
			    "cgroup `%s`: %zu process(es) still alive %u ms after "
			    "cgroup.kill (pid %d)",
			    path, n, vz_cgroup_timeout_ms, (int)pids[0]);
	}
}

static int v2_kill(struct vz_cgroup *cg, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);
	cleanup_close int fd = vz_cg_open_dir(leaf, NULL);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0; /* no cgroup, nothing to kill */
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: open", leaf);
	}
	/* cgroup.kill (5.14+) kills the whole subtree at once, forks in
	 * flight included; older kernels need the freeze-and-kill loop. */
	if (faccessat(fd, "cgroup.kill", F_OK, 0) < 0)
		return vz_cg_kill_loop(cg, leaf, true, err);
	if (vz_write_file_at(fd, "cgroup.kill", "1", 1, err) < 0)
		return vz_error_wrap(err, "cgroup `%s`", leaf);
	return wait_empty(leaf, err);
}

/* ---- destroy, exists ---------------------------------------------------- */

static int v2_destroy(struct vz_cgroup *cg, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);

	return vz_cg_rmdir_tree(leaf, err);
}

static bool v2_exists(struct vz_cgroup *cg)
{
	cleanup_free char *leaf = leaf_path(cg);

	return vz_is_dir(leaf);
}

/* ---- limits ------------------------------------------------------------- */

/* A controller that is not enabled for the cgroup has no files there; that
 * is only an error when @l needs it (the write then names the file). */
static bool skip_absent(const char *leaf, const char *file, const struct vz_cg_limits *l,
			const char *ctrl)
{
	cleanup_free char *path = vz_strdup_printf("%s/%s", leaf, file);

	return !vz_cg_limits_need(l, ctrl) && !vz_path_exists(path);
}

static int write_max(const char *leaf, const char *file, uint64_t v, vz_error *err)
{
	if (v == VZ_CG_MAX)
		return vz_cg_write(leaf, file, err, "max");
	return vz_cg_write(leaf, file, err, "%" PRIu64, v);
}

static int v2_set_cpu(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);

	if (skip_absent(leaf, "cpu.weight", l, "cpu"))
		return 0;
	if (vz_cg_write(leaf, "cpu.weight", err, "%" PRIu64, vz_cg_units_to_weight(l->cpuunits)) <
	    0)
		return -1;
	if (l->cpu_quota_us == VZ_CG_MAX)
		return vz_cg_write(leaf, "cpu.max", err, "max %" PRIu64, l->cpu_period_us);
	return vz_cg_write(leaf, "cpu.max", err, "%" PRIu64 " %" PRIu64, l->cpu_quota_us,
			   l->cpu_period_us);
}
static int v2_set_cpuset(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);

	if (skip_absent(leaf, "cpuset.cpus", l, "cpuset"))
		return 0;
	/* In v2 an empty cpuset.cpus means "the parent's effective set". */
	if (vz_cg_write(leaf, "cpuset.cpus", err, "%s", l->cpus ? l->cpus : "") < 0 ||
	    vz_cg_write(leaf, "cpuset.mems", err, "%s", l->mems ? l->mems : "") < 0)
		return -1;
	return 0;
}
static int v2_set_memory(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);
	cleanup_free char *swap = vz_strdup_printf("%s/memory.swap.max", leaf);

	if (skip_absent(leaf, "memory.max", l, "memory"))
		return 0;
	/* v2 limits swap on its own, not RAM+swap: no ordering to respect.
	 * memory.swap.max is absent without swap accounting. */
	if (write_max(leaf, "memory.max", l->mem_bytes, err) < 0)
		return -1;
	if (!vz_path_exists(swap))
		return 0;
	return write_max(leaf, "memory.swap.max", l->swap_bytes, err);
}

static int v2_set_pids(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);

	if (skip_absent(leaf, "pids.max", l, "pids"))
		return 0;
	return write_max(leaf, "pids.max", l->pids, err);
}
static void io_value(char *buf, size_t size, uint64_t v)
{
	if (v == VZ_CG_MAX)
		snprintf(buf, size, "max");
	else
		snprintf(buf, size, "%" PRIu64, v);
}

static int v2_set_io(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);
	char bps[32], iops[32];

	if (skip_absent(leaf, "io.max", l, "io"))
		return 0;
	/* io.bfq.weight with BFQ, io.weight with the io.cost controller
	 * (1..10000, so the 1..1000 BFQ scale fits as is); neither: skip. */
	if (l->io_weight) {
		static const char *const files[] = {"io.bfq.weight", "io.weight"};
		for (size_t i = 0; i < VZ_ARRAY_SIZE(files); i++) {
			cleanup_free char *p = vz_strdup_printf("%s/%s", leaf, files[i]);
			if (!vz_path_exists(p))
				continue;
			if (vz_cg_write(leaf, files[i], err, "default %u", l->io_weight) < 0)
				return -1;
			break;
		}
	}
	if (!l->io_dev)
		return 0;
	io_value(bps, sizeof(bps), l->io_bps);
	io_value(iops, sizeof(iops), l->io_iops);
	return vz_cg_write(leaf, "io.max", err, "%u:%u rbps=%s wbps=%s riops=%s wiops=%s",
			   l->io_major, l->io_minor, bps, bps, iops, iops);
}

/* Sum rbytes=, wbytes=, rios=, wios= over the device lines of io.stat. */
static void sum_io_stat(const char *leaf, struct vz_cg_stats *s)
{
	cleanup_free char *path = vz_strdup_printf("%s/io.stat", leaf);
	cleanup_free char *text = NULL;
	static const char *const keys[] = {"rbytes=", "wbytes=", "rios=", "wios="};
	uint64_t *dst[] = {&s->io_rbytes, &s->io_wbytes, &s->io_rios, &s->io_wios};

	s->io_rbytes = s->io_wbytes = s->io_rios = s->io_wios = 0;
	if (vz_read_file(path, 1 << 20, &text, NULL, NULL) < 0)
		return;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(keys); i++)
		for (const char *p = text; (p = strstr(p, keys[i])); p += strlen(keys[i]))
			if (p == text || p[-1] == ' ')
				*dst[i] += strtoull(p + strlen(keys[i]), NULL, 10);
}

static int v2_stats(struct vz_cgroup *cg, struct vz_cg_stats *ret, vz_error *err)
{
	cleanup_free char *leaf = leaf_path(cg);
	struct vz_cg_stats s;

	if (!vz_is_dir(leaf))
		return vz_fail(err, VZ_SYSTEM_ERROR, "cgroup `%s` does not exist", leaf);
	s.numproc =
	    (struct vz_cg_counter){.held = vz_cg_read_u64(leaf, "pids.current", 0),
				   .maxheld = vz_cg_read_u64(leaf, "pids.peak", VZ_CG_MAX),
				   .limit = vz_cg_read_u64(leaf, "pids.max", VZ_CG_MAX),
				   .failcnt = vz_cg_read_key(leaf, "pids.events", "max", 0)};
	s.mem = (struct vz_cg_counter){.held = vz_cg_read_u64(leaf, "memory.current", 0),
				       .maxheld = vz_cg_read_u64(leaf, "memory.peak", VZ_CG_MAX),
				       .limit = vz_cg_read_u64(leaf, "memory.max", VZ_CG_MAX),
				       .failcnt = vz_cg_read_key(leaf, "memory.events", "max", 0)};
	s.swap =
	    (struct vz_cg_counter){.held = vz_cg_read_u64(leaf, "memory.swap.current", 0),
				   .maxheld = vz_cg_read_u64(leaf, "memory.swap.peak", VZ_CG_MAX),
				   .limit = vz_cg_read_u64(leaf, "memory.swap.max", VZ_CG_MAX),
				   .failcnt = vz_cg_read_key(leaf, "memory.swap.events", "max", 0)};
	s.cpu_usage_ns = vz_cg_read_key(leaf, "cpu.stat", "usage_usec", 0) * 1000;
	sum_io_stat(leaf, &s);
	*ret = s;
	return 0;
}

const struct vz_cgroup_ops vz_cgroup_v2_ops = {
    .name = "v2",
    .create = v2_create,
    .attach = v2_attach,
    .leaves = v2_leaves,
    .procs = v2_procs,
    .freeze = v2_freeze,
    .kill = v2_kill,
    .destroy = v2_destroy,
    .exists = v2_exists,
    .devices = vz_cgroup_v2_devices,
    .set_cpu = v2_set_cpu,
    .set_cpuset = v2_set_cpuset,
    .set_memory = v2_set_memory,
    .set_pids = v2_set_pids,
    .set_io = v2_set_io,
    .stats = v2_stats,
};
