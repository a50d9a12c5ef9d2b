/* cgroup v1 backend: one hierarchy per mount directory under the root
 * (cpu, memory, freezer, ... or co-mounted ones such as cpu,cpuacct), and the
 * container's cgroup ROOT/HIERARCHY/PARENT/CTID in each of them.  Processes
 * are frozen through the freezer hierarchy and counted in the pids one. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroups/cgroup-internal.h"
#include "config/seckeys.h"
#include "lib/cleanup.h"
#include "lib/util.h"

/* ---- hierarchies -------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether the mount directory @path is a v1 hierarchy not yet seen.  The
 * file system type tells the unified (cgroup2) mount and stray directories
 * apart; the device number tells one hierarchy mounted twice. */
static bool new_hierarchy(const char *path, const dev_t *seen, size_t n_seen, dev_t *ret_dev)
{
	struct statfs sfs;
	struct stat st;

	if (statfs(path, &sfs) < 0 || sfs.f_type != CGROUP_SUPER_MAGIC || stat(path, &st) < 0)
		return false;
	for (size_t i = 0; i < n_seen; i++)
		if (seen[i] == st.st_dev)
			return false;
	*ret_dev = st.st_dev;
	return true;
}

int vz_cgroup_v1_hierarchies(const char *root, char ***ret, vz_error *err)
{
	cleanup_closedir DIR *d = vz_cg_opendir_at(AT_FDCWD, root);
	cleanup_strv char **paths = NULL;
	cleanup_free dev_t *devs = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!d)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup root `%s`: open", root);
	paths = vz_xcalloc(1, sizeof(char *));
	while ((de = readdir(d))) {
		cleanup_free char *path = NULL;
		dev_t dev;

		/* Symlinks (cpu -> cpu,cpuacct) name a co-mounted hierarchy
		 * that is listed under its real directory. */
		if (de->d_name[0] == '.' || de->d_type == DT_LNK)
			continue;
		path = vz_strdup_printf("%s/%s", root, de->d_name);
		if (de->d_type == DT_UNKNOWN && !vz_is_dir(path))
			continue;
		if (!new_hierarchy(path, devs, n, &dev))
			continue;
		paths = vz_xrealloc(paths, (n + 2) * sizeof(char *));
		devs = vz_xrealloc(devs, (n + 1) * sizeof(dev_t));
		devs[n] = dev;
		paths[n++] = steal_pointer(&path);
		paths[n] = NULL;
	}
	qsort(paths, n, sizeof(char *), cmp_str);
	*ret = steal_pointer(&paths);
	return 0;
}

/* Whether hierarchy @path carries controller @ctrl.  Mount directories are
 * named after their controllers ("cpu,cpuacct"), which is the convention of
 * systemd and cgroupfs-mount alike. */
static bool has_controller(const char *path, const char *ctrl)
{
	const char *base = strrchr(path, '/');
	size_t len = strlen(ctrl);

	for (const char *p = base ? base + 1 : path; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, ctrl, len) && (p[len] == '\0' || p[len] == ','))
			return true;
	}
	return false;
}

static const char *find_hierarchy(char **hierarchies, const char *ctrl)
{
	for (char **h = hierarchies; *h; h++)
		if (has_controller(*h, ctrl))
			return *h;
	return NULL;
}

/* On a hybrid host, the cgroup2 mount beside the v1 hierarchies
 * (ROOT/unified, as systemd mounts it).  The container gets a cgroup there
 * too, only so that its cgroup namespace is rooted at its own cgroup in that
 * hierarchy as well: otherwise mounting cgroup2 inside would show the host's
 * whole unified tree (other cgroups' names, host-wide pressure figures). */
static char *unified_mount(const char *root)
{
	char *path = vz_strdup_printf("%s/unified", root);
	struct statfs sfs;

	if (statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC && access(path, W_OK) == 0)
		return path;
	free(path);
	return NULL;
}

static int scan_hierarchies(const char *root, char ***ret, vz_error *err)
{
	char *unified;
	size_t n = 0;

	if (vz_cgroup_v1_hierarchies(root, ret, err) < 0)
		return -1;
	if (!(*ret)[0]) {
		vz_strv_freep(ret);
		return vz_fail(err, VZ_SYSTEM_ERROR, "no cgroup v1 hierarchy under `%s`", root);
	}
	if ((unified = unified_mount(root))) {
		while ((*ret)[n])
			n++;
		*ret = vz_xrealloc(*ret, (n + 2) * sizeof(char *));
		(*ret)[n] = unified;
		(*ret)[n + 1] = NULL;
	}
	return 0;
}

static char **strv_copy(char **v)
{
	size_t n = 0;
	char **copy;

	while (v[n])
		n++;
	copy = vz_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		copy[i] = vz_xstrdup(v[i]);
	return copy;
}

/* The hierarchies of the last root scanned.  Every cgroup operation needs
 * them (a start about eight times, a stop five), and a scan is two system
 * calls per mount directory; vzd keeps using one root.  The root's inode
 * and times tell a changed root (a hierarchy's directory made or removed,
 * another tmpfs in another mount namespace) from the same one; a hierarchy
 * mounted later onto an existing directory is seen once the root changes
 * or vzd restarts. */
static struct {
	pthread_mutex_t lock;
	char *root;
	struct stat st;
	char **list;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool same_root(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static int list_hierarchies(struct vz_cgroup *cg, char ***ret, vz_error *err)
{
	struct stat st;
	bool known = stat(cg->root, &st) == 0;

	if (known) {
		pthread_mutex_lock(&cache.lock);
		*ret = cache.root && !strcmp(cache.root, cg->root) && same_root(&cache.st, &st)
			   ? strv_copy(cache.list)
			   : NULL;
		pthread_mutex_unlock(&cache.lock);
		if (*ret)
			return 0;
	}
	if (scan_hierarchies(cg->root, ret, err) < 0)
		return -1;
	if (known) {
		char **list = strv_copy(*ret);
		char *root = vz_xstrdup(cg->root);
		pthread_mutex_lock(&cache.lock);
		vz_strv_free(cache.list);
		free(cache.root);
		cache.list = list;
		cache.root = root;
		cache.st = st;
		pthread_mutex_unlock(&cache.lock);
	}
	return 0;
}

static char *leaf_path(struct vz_cgroup *cg, const char *hierarchy)
{
	return vz_strdup_printf("%s/%s/%s", hierarchy, cg->parent, cg->name);
}

/* ---- create ------------------------------------------------------------- */

static int mkdir_cgroup(const char *path, vz_error *err)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: mkdir", path);
	return 0;
}

/* A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and
 * the kernel refuses to attach a process to it (ENOSPC).  Copy them down
 * from @from; a value already set (by an administrator) is kept. */
static int cpuset_copy_down(const char *from, const char *to, vz_error *err)
{
	static const char *const keys[] = {"cpuset.cpus", "cpuset.mems"};
	cleanup_close int from_fd = vz_cg_open_dir(from, err);
	cleanup_close int to_fd = -1;
	char value[4096];

	if (from_fd < 0)
		return -1;
	to_fd = vz_cg_open_dir(to, err);
	if (to_fd < 0)
		return -1;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(keys); i++) {
		if (vz_read_file_at(to_fd, keys[i], value, sizeof(value), err) < 0)
			return vz_error_wrap(err, "cgroup `%s`", to);
		if (value[0])
			continue;
		if (vz_read_file_at(from_fd, keys[i], value, sizeof(value), err) < 0)
			return vz_error_wrap(err, "cgroup `%s`", from);
		if (vz_write_file_at(to_fd, keys[i], value, strlen(value), err) < 0)
			return vz_error_wrap(err, "cgroup `%s`", to);
	}
	return 0;
}

static int create_in(struct vz_cgroup *cg, const char *hierarchy, vz_error *err)
{
	cleanup_free char *parent = vz_strdup_printf("%s/%s", hierarchy, cg->parent);
	cleanup_free char *leaf = leaf_path(cg, hierarchy);
	bool cpuset = has_controller(hierarchy, "cpuset");

	if (mkdir_cgroup(parent, err) < 0)
		return -1;
	if (cpuset && cpuset_copy_down(hierarchy, parent, err) < 0)
		return -1;
	if (mkdir_cgroup(leaf, err) < 0)
		return -1;
	if (cpuset && cpuset_copy_down(parent, leaf, err) < 0)
		return -1;
	return 0;
}

static int v1_create(struct vz_cgroup *cg, vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;

	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return -1;
	for (char **h = hierarchies; *h; h++)
		if (create_in(cg, *h, err) < 0)
			return -1;
	return 0;
}

/* ---- attach, procs ------------------------------------------------------ */

static int v1_attach(struct vz_cgroup *cg, pid_t pid, vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return -1;
	for (char **h = hierarchies; *h; h++) {
		cleanup_free char *leaf = leaf_path(cg, *h);
		cleanup_close int fd = vz_cg_open_dir(leaf, err);

		if (fd < 0)
			return vz_error_wrap(err, "attach pid %d", (int)pid);
		if (vz_write_file_at(fd, "cgroup.procs", buf, (size_t)len, err) < 0)
			return vz_error_wrap(err, "cgroup `%s`: attach pid %d", leaf, (int)pid);
	}
	return 0;
}

static int v1_leaves(struct vz_cgroup *cg, char ***ret, vz_error *err)
{
	char **hierarchies = NULL;

	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return -1;
	for (char **h = hierarchies; *h; h++) {
		char *leaf = leaf_path(cg, *h);
		free(*h);
		*h = leaf;
	}
	*ret = hierarchies;
	return 0;
}

/* The hierarchy whose cgroup.procs is read: every process is attached to
 * all of them, so any will do; pids is meant for counting. */
static const char *procs_hierarchy(char **hierarchies)
{
	const char *h = find_hierarchy(hierarchies, "pids");
	return h ? h : hierarchies[0];
}

static int v1_procs(struct vz_cgroup *cg, pid_t **ret, size_t *ret_n, vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;
	cleanup_free char *leaf = NULL;
	cleanup_free char *pids = vz_strdup_printf("%s/pids", cg->root);
	struct statfs sfs;

	/* The usual layout has pids at ROOT/pids: one statfs confirms it,
	 * where the scan of the root costs two dozen calls for every
	 * container that vzlist shows. */
	if (statfs(pids, &sfs) == 0 && sfs.f_type == CGROUP_SUPER_MAGIC) {
		leaf = leaf_path(cg, pids);
		return vz_cg_read_procs(leaf, ret, ret_n, err);
	}
	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return -1;
	leaf = leaf_path(cg, procs_hierarchy(hierarchies));
	return vz_cg_read_procs(leaf, ret, ret_n, err);
}

/* ---- freeze, kill ------------------------------------------------------- */

static int wait_freezer_state(int fd, const char *path, const char *want, vz_error *err)
{
	struct vz_cg_deadline d;
	char state[32];

	vz_cg_deadline_start(&d);
	for (;;) {
		/* The state is recomputed on read: FREEZING turns into FROZEN
		 * once the last task entered the refrigerator. */
		if (vz_read_file_at(fd, "freezer.state", state, sizeof(state), err) < 0)
			return vz_error_wrap(err, "cgroup `%s`", path);
		if (!strcmp(state, want))
			return 0;
		if (!vz_cg_deadline_sleep(&d))
			return vz_cg_fail_timeout(
			    err,
			    "cgroup `%s`: freezer.state still reads %s, not %s, "
			    "after %u ms",
			    path, state, want, vz_cgroup_timeout_ms);
	}
}

static int set_freezer_state(int fd, const char *path, const char *state, vz_error *err)
{
	if (vz_write_file_at(fd, "freezer.state", state, strlen(state), err) < 0)
		return vz_error_wrap(err, "cgroup `%s`", path);
	return wait_freezer_state(fd, path, state, err);
}

static int v1_freeze(struct vz_cgroup *cg, bool frozen, vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;
	cleanup_free char *leaf = NULL;
	cleanup_close int fd = -1;
	const char *freezer;
	vz_error undo_err;

	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return -1;
	freezer = find_hierarchy(hierarchies, "freezer");
	if (!freezer)
		return vz_fail(err, VZ_SYSTEM_ERROR, "no freezer hierarchy under `%s`", cg->root);
	leaf = leaf_path(cg, freezer);
	fd = vz_cg_open_dir(leaf, err);
	if (fd < 0)
		return -1;
	if (!frozen)
		return set_freezer_state(fd, leaf, "THAWED", err);
	if (set_freezer_state(fd, leaf, "FROZEN", err) < 0) {
		/* Do not leave it half-frozen (FREEZING): that stops some of
		 * the container's tasks and not others. */
		set_freezer_state(fd, leaf, "THAWED", &undo_err);
		return -1;
	}
	return 0;
}

static int v1_kill(struct vz_cgroup *cg, vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;
	cleanup_free char *frozen_leaf = NULL, *leaf = NULL;
	const char *freezer;

	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return -1;
	/* Read the pids where they are frozen, so that the set that cannot
	 * fork any more is exactly the set that is killed.  A container made
	 * before the freezer was mounted is killed without freezing. */
	freezer = find_hierarchy(hierarchies, "freezer");
	frozen_leaf = freezer ? leaf_path(cg, freezer) : NULL;
	if (frozen_leaf && vz_is_dir(frozen_leaf))
		return vz_cg_kill_loop(cg, frozen_leaf, true, err);
	leaf = leaf_path(cg, procs_hierarchy(hierarchies));
	return vz_cg_kill_loop(cg, leaf, false, err);
}

/* ---- destroy, exists ---------------------------------------------------- */

static int v1_destroy(struct vz_cgroup *cg, vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;
	vz_error later;
	int r = 0;

	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return -1;
	/* Go on after a failure: the less is left behind, the less the next
	 * attempt has to do.  The first failure is the one reported. */
	for (char **h = hierarchies; *h; h++) {
		cleanup_free char *leaf = leaf_path(cg, *h);

		if (vz_cg_rmdir_tree(leaf, r < 0 ? &later : err) < 0)
			r = -1;
	}
	return r;
}

static bool v1_exists(struct vz_cgroup *cg)
{
	cleanup_strv char **hierarchies = NULL;

	if (list_hierarchies(cg, &hierarchies, NULL) < 0)
		return false;
	for (char **h = hierarchies; *h; h++) {
		cleanup_free char *leaf = leaf_path(cg, *h);
		if (vz_is_dir(leaf))
			return true;
	}
	return false;
}

/* "c 1:3 rw" for devices.allow; NULL for a rule that grants nothing. */
static char *dev_rule_line(const struct vz_dev_rule *r)
{
	char maj[24] = "*", min[24] = "*", acc[4] = "";
	size_t n = 0;

	if (!r->access)
		return NULL;
	if (r->major >= 0)
		snprintf(maj, sizeof(maj), "%lld", (long long)r->major);
	if (r->minor >= 0)
		snprintf(min, sizeof(min), "%lld", (long long)r->minor);
	if (r->access & VZ_DEV_READ)
		acc[n++] = 'r';
	if (r->access & VZ_DEV_WRITE)
		acc[n++] = 'w';
	if (r->access & VZ_DEV_MKNOD)
		acc[n++] = 'm';
	return vz_strdup_printf("%c %s:%s %s", r->type, maj, min, acc);
}

static int v1_devices(struct vz_cgroup *cg, const struct vz_dev_rule *allow, size_t n,
		      vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;
	cleanup_free char *leaf = NULL;
	cleanup_close int fd = -1;
	const char *h;

	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return -1;
	/* Fail closed: without the controller the container would see every
	 * device its ids can open. */
	if (!(h = find_hierarchy(hierarchies, "devices")))
		return vz_fail(err, VZ_SYSTEM_ERROR, "no devices cgroup controller under `%s`",
			       cg->root);
	leaf = leaf_path(cg, h);
	if ((fd = vz_cg_open_dir(leaf, err)) < 0 ||
	    vz_write_file_at(fd, "devices.deny", "a", 1, err) < 0)
		return vz_error_wrap(err, "device cgroup `%s`", leaf);
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *line = dev_rule_line(&allow[i]);
		if (line && vz_write_file_at(fd, "devices.allow", line, strlen(line), err) < 0)
			return vz_error_wrap(err, "device cgroup `%s`: allow `%s`", leaf, line);
	}
	return 0;
}

/* ---- limits ------------------------------------------------------------- */

/* The container's cgroup in the hierarchy carrying @ctrl; NULL (with @err
 * set) when no hierarchy has it. */
static char *ctrl_leaf(struct vz_cgroup *cg, const char *ctrl, vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;
	const char *h;

	if (list_hierarchies(cg, &hierarchies, err) < 0)
		return NULL;
	h = find_hierarchy(hierarchies, ctrl);
	if (!h) {
		vz_fail(err, VZ_SYSTEM_ERROR, "no cgroup v1 `%s` hierarchy under `%s`", ctrl,
			cg->root);
		return NULL;
	}
	return leaf_path(cg, h);
}

/* ctrl_leaf for a setter: 1 with *@ret set, 0 when the host lacks the
 * hierarchy and @l needs nothing of it (@want names the neutral part), -1. */
static int setter_leaf(struct vz_cgroup *cg, const char *ctrl, const char *want,
		       const struct vz_cg_limits *l, char **ret, vz_error *err)
{
	vz_error absent;

	*ret = ctrl_leaf(cg, ctrl, &absent);
	if (*ret)
		return 1;
	if (!vz_cg_limits_need(l, want))
		return 0;
	if (err)
		*err = absent;
	return -1;
}

static int v1_set_cpu(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = NULL;
	int found = setter_leaf(cg, "cpu", "cpu", l, &leaf, err);

	if (found <= 0)
		return found;
	if (vz_cg_write(leaf, "cpu.shares", err, "%" PRIu64, vz_cg_units_to_shares(l->cpuunits)) <
		0 ||
	    vz_cg_write(leaf, "cpu.cfs_period_us", err, "%" PRIu64, l->cpu_period_us) < 0)
		return -1;
	if (l->cpu_quota_us == VZ_CG_MAX)
		return vz_cg_write(leaf, "cpu.cfs_quota_us", err, "-1");
	return vz_cg_write(leaf, "cpu.cfs_quota_us", err, "%" PRIu64, l->cpu_quota_us);
}

static int v1_set_cpuset(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = NULL;
	int found = setter_leaf(cg, "cpuset", "cpuset", l, &leaf, err);
	cleanup_free char *parent = NULL;
	char value[4096];
	const struct {
		const char *file, *want;
	} keys[] = {{"cpuset.cpus", l->cpus}, {"cpuset.mems", l->mems}};

	if (found <= 0)
		return found;
	parent = vz_xstrdup(leaf);
	*strrchr(parent, '/') = '\0';
	for (size_t i = 0; i < VZ_ARRAY_SIZE(keys); i++) {
		const char *want = keys[i].want;
		if (!want) {
			cleanup_close int fd = vz_cg_open_dir(parent, err);
			if (fd < 0 ||
			    vz_read_file_at(fd, keys[i].file, value, sizeof(value), err) < 0)
				return vz_error_wrap(err, "cgroup `%s`", parent);
			want = value;
		}
		if (vz_cg_write(leaf, keys[i].file, err, "%s", want) < 0)
			return -1;
	}
	return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a == VZ_CG_MAX || b == VZ_CG_MAX || a + b < a ? VZ_CG_MAX : a + b;
}

static int write_limit(const char *leaf, const char *file, uint64_t v, vz_error *err)
{
	if (v == VZ_CG_MAX)
		return vz_cg_write(leaf, file, err, "-1");
	return vz_cg_write(leaf, file, err, "%" PRIu64, v);
}

static int v1_set_memory(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = NULL;
	int found = setter_leaf(cg, "memory", "memory", l, &leaf, err);
	cleanup_free char *memsw = NULL;
	uint64_t total = sat_add(l->mem_bytes, l->swap_bytes);
	vz_error first;

	if (found <= 0)
		return found;
	memsw = vz_strdup_printf("%s/memory.memsw.limit_in_bytes", leaf);
	/* Without swap accounting (swapaccount=0) only RAM can be limited. */
	if (!vz_path_exists(memsw))
		return write_limit(leaf, "memory.limit_in_bytes", l->mem_bytes, err);
	/* The kernel keeps limit_in_bytes <= memsw.limit_in_bytes at every
	 * step: growing goes memsw first, shrinking RAM first.  Which one this
	 * is depends on the old values, so try one order, then the other. */
	if (write_limit(leaf, "memory.memsw.limit_in_bytes", total, &first) == 0)
		return write_limit(leaf, "memory.limit_in_bytes", l->mem_bytes, err);
	if (write_limit(leaf, "memory.limit_in_bytes", l->mem_bytes, err) < 0)
		return -1;
	return write_limit(leaf, "memory.memsw.limit_in_bytes", total, err);
}

static int v1_set_pids(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = NULL;
	int found = setter_leaf(cg, "pids", "pids", l, &leaf, err);

	if (found <= 0)
		return found;
	if (l->pids == VZ_CG_MAX)
		return vz_cg_write(leaf, "pids.max", err, "max");
	return vz_cg_write(leaf, "pids.max", err, "%" PRIu64, l->pids);
}

/* v1 throttle files take "MAJ:MIN VALUE"; 0 removes the rule. */
static int throttle(const char *leaf, const struct vz_cg_limits *l, const char *file, uint64_t v,
		    vz_error *err)
{
	return vz_cg_write(leaf, file, err, "%u:%u %" PRIu64, l->io_major, l->io_minor,
			   v == VZ_CG_MAX ? 0 : v);
}

static int v1_set_io(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	cleanup_free char *leaf = NULL;
	int found = setter_leaf(cg, "blkio", "io", l, &leaf, err);

	if (found <= 0)
		return found;
	/* A proportional weight needs BFQ (blkio.bfq.weight) or the old CFQ
	 * (blkio.weight); with neither there is nothing to set. */
	if (l->io_weight) {
		static const char *const files[] = {"blkio.bfq.weight", "blkio.weight"};
		for (size_t i = 0; i < VZ_ARRAY_SIZE(files); i++) {
			cleanup_free char *p = vz_strdup_printf("%s/%s", leaf, files[i]);
			if (!vz_path_exists(p))
				continue;
			if (vz_cg_write(leaf, files[i], err, "%u", l->io_weight) < 0)
				return -1;
			break;
		}
	}
	if (!l->io_dev)
		return 0;
	if (throttle(leaf, l, "blkio.throttle.read_bps_device", l->io_bps, err) < 0 ||
	    throttle(leaf, l, "blkio.throttle.write_bps_device", l->io_bps, err) < 0 ||
	    throttle(leaf, l, "blkio.throttle.read_iops_device", l->io_iops, err) < 0 ||
	    throttle(leaf, l, "blkio.throttle.write_iops_device", l->io_iops, err) < 0)
		return -1;
	return 0;
}

/* Sum the "MAJ:MIN Read N" and "MAJ:MIN Write N" lines of a blkio file. */
static void sum_blkio(const char *leaf, const char *file, uint64_t *rd, uint64_t *wr)
{
	cleanup_free char *path = vz_strdup_printf("%s/%s", leaf, file);
	cleanup_free char *text = NULL;
	char dev[32], op[16];
	unsigned long long v;
	int used;

	*rd = *wr = 0;
	if (vz_read_file(path, 1 << 20, &text, NULL, NULL) < 0)
		return;
	for (const char *p = text; sscanf(p, "%31s %15s %llu%n", dev, op, &v, &used) == 3;
	     p += used) {
		if (!strcmp(op, "Read"))
			*rd += v;
		else if (!strcmp(op, "Write"))
			*wr += v;
	}
}

static int v1_stats(struct vz_cgroup *cg, struct vz_cg_stats *ret, vz_error *err)
{
	cleanup_free char *pids = ctrl_leaf(cg, "pids", err);
	cleanup_free char *mem = pids ? ctrl_leaf(cg, "memory", err) : NULL;
	cleanup_free char *acct = NULL, *blkio = NULL;
	struct vz_cg_stats s;
	uint64_t memsw, memsw_limit;

	if (!mem)
		return -1;
	s.numproc =
	    (struct vz_cg_counter){.held = vz_cg_read_u64(pids, "pids.current", 0),
				   .maxheld = vz_cg_read_u64(pids, "pids.peak", VZ_CG_MAX),
				   .limit = vz_cg_read_u64(pids, "pids.max", VZ_CG_MAX),
				   .failcnt = vz_cg_read_key(pids, "pids.events", "max", 0)};
	s.mem = (struct vz_cg_counter){
	    .held = vz_cg_read_u64(mem, "memory.usage_in_bytes", 0),
	    .maxheld = vz_cg_read_u64(mem, "memory.max_usage_in_bytes", VZ_CG_MAX),
	    .limit = vz_cg_read_u64(mem, "memory.limit_in_bytes", VZ_CG_MAX),
	    .failcnt = vz_cg_read_u64(mem, "memory.failcnt", 0)};
	memsw = vz_cg_read_u64(mem, "memory.memsw.usage_in_bytes", VZ_CG_MAX);
	memsw_limit = vz_cg_read_u64(mem, "memory.memsw.limit_in_bytes", VZ_CG_MAX);
	/* With no swap allowed the RAM+swap limit is the one that refuses
	 * charges first; either refusal is a hit of the container's memory. */
	s.mem.failcnt += vz_cg_read_u64(mem, "memory.memsw.failcnt", 0);
	/* Recent kernels keep v1's memory failcnt at 0 (only kmem/memsw
	 * track it, and not always); an OOM kill surely was a hit. */
	if (s.mem.failcnt == 0)
		s.mem.failcnt = vz_cg_read_key(mem, "memory.oom_control", "oom_kill", 0);
	s.swap = (struct vz_cg_counter){
	    .held = memsw == VZ_CG_MAX || memsw < s.mem.held ? 0 : memsw - s.mem.held,
	    .maxheld = VZ_CG_MAX,
	    .limit = memsw_limit == VZ_CG_MAX || s.mem.limit == VZ_CG_MAX
			 ? VZ_CG_MAX
			 : memsw_limit - s.mem.limit,
	    .failcnt = vz_cg_read_u64(mem, "memory.memsw.failcnt", 0)};
	acct = ctrl_leaf(cg, "cpuacct", NULL);
	s.cpu_usage_ns = acct ? vz_cg_read_u64(acct, "cpuacct.usage", 0) : 0;
	blkio = ctrl_leaf(cg, "blkio", NULL);
	s.io_rbytes = s.io_wbytes = s.io_rios = s.io_wios = 0;
	if (blkio) {
		sum_blkio(blkio, "blkio.throttle.io_service_bytes_recursive", &s.io_rbytes,
			  &s.io_wbytes);
		sum_blkio(blkio, "blkio.throttle.io_serviced_recursive", &s.io_rios, &s.io_wios);
	}
	*ret = s;
	return 0;
}

const struct vz_cgroup_ops vz_cgroup_v1_ops = {
    .name = "v1",
    .create = v1_create,
    .attach = v1_attach,
    .leaves = v1_leaves,
    .procs = v1_procs,
    .freeze = v1_freeze,
    .kill = v1_kill,
    .destroy = v1_destroy,
    .exists = v1_exists,
    .devices = v1_devices,
    .set_cpu = v1_set_cpu,
    .set_cpuset = v1_set_cpuset,
    .set_memory = v1_set_memory,
    .set_pids = v1_set_pids,
    .set_io = v1_set_io,
    .stats = v1_stats,
};
