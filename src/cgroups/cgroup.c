/* Container cgroups: choosing the backend, the handle, listing containers,
 * and the helpers both backends share (see cgroup-internal.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "cgroups/cgroup-internal.h"
#include "lib/cleanup.h"
#include "lib/util.h"

unsigned vz_cgroup_timeout_ms = 10000;

/* ---- bounded waits ------------------------------------------------------- */

void vz_cg_deadline_start(struct vz_cg_deadline *d)
{
	d->end_ms = vz_now_ms() + vz_cgroup_timeout_ms;
	d->delay_ms = 1;
}

bool vz_cg_deadline_sleep(struct vz_cg_deadline *d)
{
	uint64_t now = vz_now_ms();
	uint64_t delay = d->delay_ms;
	struct timespec ts;

	if (now >= d->end_ms)
		return false;
	if (delay > d->end_ms - now)
		delay = d->end_ms - now;
	ts.tv_sec = (time_t)(delay / 1000);
	ts.tv_nsec = (long)(delay % 1000) * 1000000L;
	/* An early wake-up (EINTR) only means one more poll. */
	nanosleep(&ts, NULL);
	if (d->delay_ms < 50)
		d->delay_ms *= 2;
	return true;
}

int vz_cg_fail_timeout(vz_error *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vz_fail(err, VZ_SYSTEM_ERROR, "%s", msg);
	if (err)
		err->errnum = ETIMEDOUT;
	return -1;
}

/* ---- walking cgroup directories ----------------------------------------- */

int vz_cg_open_dir(const char *path, vz_error *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		int saved = errno;
		vz_error_set(err, VZ_SYSTEM_ERROR, saved, "cgroup `%s`: open", path);
		errno = saved;
	}
	return fd;
}

/* Whether @de is a child cgroup: a real directory, not "." or "..".
 * cgroupfs and tmpfs fill d_type; other file systems may not. */
static bool is_subdir(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
		return false;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

DIR *vz_cg_opendir_at(int parentfd, const char *name)
{
	/* A child found while walking a tree must not lead elsewhere; a path
	 * from the configuration (CGROUP_ROOT) may well be a symlink. */
	int nofollow = parentfd == AT_FDCWD ? 0 : O_NOFOLLOW;
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | nofollow);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return d;
}

/* A removed cgroup whose directory we still hold answers ENOENT (its files
 * are gone) or ENODEV (an open file outlived it).  Either way it holds no
 * processes and needs no removal. */
static bool cgroup_vanished(int errnum)
{
	return errnum == ENOENT || errnum == ENODEV;
}

/* ---- pid lists ---------------------------------------------------------- */

struct pidv {
	pid_t *v;
	size_t n, cap;
};

static void pidv_push(struct pidv *p, pid_t pid)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = vz_xrealloc(p->v, p->cap * sizeof(*p->v));
	}
	p->v[p->n++] = pid;
}

static int parse_pid_line(const char *line, pid_t *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(line, &end, 10);
	if (errno || end == line || (*end && *end != '\n') || v < 0 || v > INT32_MAX)
		return -1;
	*ret = (pid_t)v;
	return 0;
}

static int read_procs_file(DIR *d, const char *path, struct pidv *out, vz_error *err)
{
	int fd = openat(dirfd(d), "cgroup.procs", O_RDONLY | O_CLOEXEC);
	cleanup_fclose FILE *f = NULL;
	cleanup_free char *line = NULL;
	size_t cap = 0;
	pid_t pid;

	if (fd < 0) {
		if (cgroup_vanished(errno))
			return 0;
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: open `cgroup.procs`",
				     path);
	}
	f = fdopen(fd, "r");
	if (!f) {
		int saved = errno;
		close(fd);
		return vz_error_set(err, VZ_SYSTEM_ERROR, saved, "cgroup `%s`: fdopen", path);
	}
	errno = 0;
	while (getline(&line, &cap, f) >= 0) {
		if (parse_pid_line(line, &pid) < 0)
			return vz_fail(err, VZ_SYSTEM_ERROR,
				       "cgroup `%s`: cgroup.procs: unexpected line `%.32s`", path,
				       line);
		/* 0 stands for a process outside our pid namespace: it cannot be
		 * signalled by number, and kill(0) would hit our own group. */
		if (pid > 0)
			pidv_push(out, pid);
	}
	if (ferror(f) && !cgroup_vanished(errno))
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: read `cgroup.procs`",
				     path);
	return 0;
}

static int read_procs_tree(DIR *d, const char *path, struct pidv *out, vz_error *err)
{
	struct dirent *de;

	if (read_procs_file(d, path, out, err) < 0)
		return -1;
	while ((de = readdir(d))) {
		cleanup_closedir DIR *child = NULL;
		cleanup_free char *child_path = NULL;

		if (!is_subdir(d, de))
			continue;
		child_path = vz_strdup_printf("%s/%s", path, de->d_name);
		child = vz_cg_opendir_at(dirfd(d), de->d_name);
		if (!child) {
			if (cgroup_vanished(errno))
				continue;
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: open", child_path);
		}
		if (read_procs_tree(child, child_path, out, err) < 0)
			return -1;
	}
	return 0;
}

int vz_cg_read_procs(const char *path, pid_t **ret, size_t *ret_n, vz_error *err)
{
	cleanup_closedir DIR *d = vz_cg_opendir_at(AT_FDCWD, path);
	struct pidv pids = {0};

	if (!d && !cgroup_vanished(errno))
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: open", path);
	if (d && read_procs_tree(d, path, &pids, err) < 0) {
		free(pids.v);
		return -1;
	}
	*ret = pids.v ? pids.v : vz_xcalloc(1, sizeof(pid_t));
	*ret_n = pids.n;
	return 0;
}

/* ---- removal ------------------------------------------------------------ */

static int rmdir_tree_at(int parentfd, const char *name, const char *path, vz_error *err)
{
	cleanup_closedir DIR *d = vz_cg_opendir_at(parentfd, name);
	struct dirent *de;

	if (!d) {
		if (cgroup_vanished(errno))
			return 0;
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: open", path);
	}
	while ((de = readdir(d))) {
		cleanup_free char *child_path = NULL;

		if (!is_subdir(d, de))
			continue;
		child_path = vz_strdup_printf("%s/%s", path, de->d_name);
		if (rmdir_tree_at(dirfd(d), de->d_name, child_path, err) < 0)
			return -1;
	}
	/* The control files inside are the kernel's: rmdir takes them along,
	 * and refuses (EBUSY) while processes or child cgroups remain. */
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: rmdir", path);
	return 0;
}

int vz_cg_rmdir_tree(const char *path, vz_error *err)
{
	return rmdir_tree_at(AT_FDCWD, path, path, err);
}

/* ---- listing ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Sort @v (of @n entries) and drop duplicates; returns the new length. */
static size_t strv_sort_unique(char **v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && !strcmp(v[out - 1], v[i])) {
			free(v[i]);
			continue;
		}
		v[out++] = v[i];
	}
	v[out] = NULL;
	return out;
}

int vz_cg_list_children(const char *path, char ***names, vz_error *err)
{
	cleanup_closedir DIR *d = vz_cg_opendir_at(AT_FDCWD, path);
	size_t n = strv_len(*names), cap = n + 1;
	struct dirent *de;

	if (!d) {
		if (cgroup_vanished(errno))
			return 0;
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: open", path);
	}
	*names = vz_xrealloc(*names, cap * sizeof(char *));
	(*names)[n] = NULL;
	while ((de = readdir(d))) {
		if (!is_subdir(d, de))
			continue;
		if (n + 1 == cap) {
			cap *= 2;
			*names = vz_xrealloc(*names, cap * sizeof(char *));
		}
		(*names)[n++] = vz_xstrdup(de->d_name);
		(*names)[n] = NULL;
	}
	strv_sort_unique(*names, n);
	return 0;
}

/* ---- the freeze-and-kill loop -------------------------------------------- */

static int kill_pids(const char *path, const pid_t *pids, size_t n, vz_error *err)
{
	for (size_t i = 0; i < n; i++) {
		/* ESRCH: it exited between the read and the kill. */
		if (kill(pids[i], SIGKILL) < 0 && errno != ESRCH)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup `%s`: kill pid %d", path,
					     (int)pids[i]);
	}
	return 0;
}

static int kill_round(struct vz_cgroup *cg, const char *procs_path, bool can_freeze, vz_error *err)
{
	cleanup_free pid_t *pids = NULL;
	vz_error ignored, thaw_err;
	bool frozen;
	size_t n;
	int r;

	/* Freezing only closes the race with fork(); a cgroup that will not
	 * freeze (a task stuck in the kernel) still gets its SIGKILLs, so a
	 * failure here is not fatal. */
	frozen = can_freeze && cg->ops->freeze(cg, true, &ignored) == 0;
	r = vz_cg_read_procs(procs_path, &pids, &n, err);
	if (r == 0)
		r = kill_pids(procs_path, pids, n, err);
	/* A frozen task acts on SIGKILL only once thawed (cgroup v1), and a
	 * cgroup left frozen would freeze whatever joins it next. */
	if (frozen && cg->ops->freeze(cg, false, r < 0 ? &thaw_err : err) < 0 && r == 0)
		r = -1;
	return r;
}

int vz_cg_kill_loop(struct vz_cgroup *cg, const char *procs_path, bool can_freeze, vz_error *err)
{
	struct vz_cg_deadline d;

	vz_cg_deadline_start(&d);
	for (bool first = true;; first = false) {
		cleanup_free pid_t *pids = NULL;
		size_t n;

		if (vz_cg_read_procs(procs_path, &pids, &n, err) < 0)
			return -1;
		if (n == 0)
			return 0;
		if (!first && !vz_cg_deadline_sleep(&d))
			return vz_cg_fail_timeout(
			    err,
			    "cgroup `%s`: %zu process(es) still alive %u ms after "
			    "SIGKILL (pid %d)",
			    procs_path, n, vz_cgroup_timeout_ms, (int)pids[0]);
		if (kill_round(cg, procs_path, can_freeze, err) < 0)
			return -1;
	}
}

/* ---- backend choice and handles ------------------------------------------ */

int vz_cgroup_detect(const char *root, unsigned version, const struct vz_cgroup_ops **ret,
		     vz_error *err)
{
	cleanup_strv char **hierarchies = NULL;
	struct statfs sfs;

	if (version == 1 || version == 2) {
		*ret = version == 1 ? &vz_cgroup_v1_ops : &vz_cgroup_v2_ops;
		return 0;
	}
	if (version != 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "cgroup version %u: expected 0 (detect), 1 or 2", version);
	if (statfs(root, &sfs) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "cgroup root `%s`: statfs", root);
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		*ret = &vz_cgroup_v2_ops;
		return 0;
	}
	if (sfs.f_type == TMPFS_MAGIC) {
		if (vz_cgroup_v1_hierarchies(root, &hierarchies, err) < 0)
			return -1;
		if (hierarchies[0]) {
			*ret = &vz_cgroup_v1_ops;
			return 0;
		}
	}
	return vz_fail(err, VZ_SYSTEM_ERROR,
		       "cgroup root `%s` is neither a cgroup2 mount nor a tmpfs holding cgroup v1 "
		       "hierarchies (set CGROUP_ROOT, or CGROUP_VERSION to force one)",
		       root);
}

/* CGROUP_PARENT and the CTID become single directory names: anything that
 * could climb out of or into another cgroup is refused. */
static int check_component(const char *what, const char *s, vz_error *err)
{
	if (!s || !*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "cgroup %s `%s` must be a single path component", what, s ? s : "");
	return 0;
}

/* "/sys/fs/cgroup/" -> "/sys/fs/cgroup", so messages show clean paths. */
static char *normalize_root(const char *root)
{
	char *r = vz_xstrdup(root);
	size_t len = strlen(r);

	while (len > 1 && r[len - 1] == '/')
		r[--len] = '\0';
	return r;
}

int vz_cgroup_new(const char *root, const char *parent, const char *name, unsigned version,
		  struct vz_cgroup **ret, vz_error *err)
{
	const struct vz_cgroup_ops *ops;
	struct vz_cgroup *cg;

	if (check_component("parent", parent, err) < 0 || check_component("name", name, err) < 0)
		return -1;
	if (vz_cgroup_detect(root, version, &ops, err) < 0)
		return -1;
	cg = vz_xcalloc(1, sizeof(*cg));
	cg->ops = ops;
	cg->root = normalize_root(root);
	cg->parent = vz_xstrdup(parent);
	cg->name = vz_xstrdup(name);
	*ret = cg;
	return 0;
}

void vz_cgroup_free(struct vz_cgroup *cg)
{
	if (!cg)
		return;
	free(cg->root);
	free(cg->parent);
	free(cg->name);
	free(cg);
}

int vz_cgroup_list(const char *root, const char *parent, unsigned version, char ***ret,
		   vz_error *err)
{
	const struct vz_cgroup_ops *ops;
	cleanup_strv char **hierarchies = NULL;
	cleanup_strv char **names = vz_xcalloc(1, sizeof(char *));
	cleanup_free char *croot = normalize_root(root);

	if (check_component("parent", parent, err) < 0 ||
	    vz_cgroup_detect(root, version, &ops, err) < 0)
		return -1;
	if (ops == &vz_cgroup_v2_ops) {
		cleanup_free char *path = vz_strdup_printf("%s/%s", croot, parent);
		if (vz_cg_list_children(path, &names, err) < 0)
			return -1;
		*ret = steal_pointer(&names);
		return 0;
	}
	/* v1: the union over every hierarchy, so that a container whose
	 * removal stopped half-way is still found and can be cleaned up. */
	if (vz_cgroup_v1_hierarchies(croot, &hierarchies, err) < 0)
		return -1;
	for (char **h = hierarchies; *h; h++) {
		cleanup_free char *path = vz_strdup_printf("%s/%s", *h, parent);
		if (vz_cg_list_children(path, &names, err) < 0)
			return -1;
	}
	*ret = steal_pointer(&names);
	return 0;
}

/* ---- limits: shared helpers ---------------------------------------------- */

int vz_cg_write(const char *dir, const char *file, vz_error *err, const char *fmt, ...)
{
	cleanup_close int fd = vz_cg_open_dir(dir, err);
	char buf[256];
	va_list ap;
	int len;

	if (fd < 0)
		return -1;
	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return vz_fail(err, VZ_SYSTEM_ERROR, "cgroup `%s`: value for %s too long", dir,
			       file);
	if (vz_write_file_at(fd, file, buf, (size_t)len, err) < 0)
		return vz_error_wrap(err, "cgroup `%s`: set %s to `%s`", dir, file, buf);
	return 0;
}

/* v1 reports "no limit" as the largest page-aligned signed 64-bit number. */
#define V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)

uint64_t vz_cg_read_u64(const char *dir, const char *file, uint64_t dflt)
{
	cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[64], *end;
	unsigned long long v;

	if (fd < 0 || vz_read_file_at(fd, file, buf, sizeof(buf), NULL) < 0)
		return dflt;
	if (!strcmp(buf, "max") || !strcmp(buf, "-1"))
		return VZ_CG_MAX;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return dflt;
	return v >= V1_UNLIMITED_FLOOR ? VZ_CG_MAX : v;
}

uint64_t vz_cg_read_key(const char *dir, const char *file, const char *key, uint64_t dflt)
{
	cleanup_free char *path = vz_strdup_printf("%s/%s", dir, file);
	cleanup_free char *text = NULL;
	size_t klen = strlen(key);

	if (vz_read_file(path, 65536, &text, NULL, NULL) < 0)
		return dflt;
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
	return dflt;
}

bool vz_cg_limits_need(const struct vz_cg_limits *l, const char *ctrl)
{
	if (!strcmp(ctrl, "cpu"))
		return l->cpuunits != 1000 || l->cpu_quota_us != VZ_CG_MAX;
	if (!strcmp(ctrl, "cpuset"))
		return l->cpus || l->mems;
	if (!strcmp(ctrl, "memory"))
		return l->mem_bytes != VZ_CG_MAX;
	if (!strcmp(ctrl, "pids"))
		return l->pids != VZ_CG_MAX;
	return (l->io_weight && l->io_weight != 100) ||
	       (l->io_dev && (l->io_bps != VZ_CG_MAX || l->io_iops != VZ_CG_MAX));
}

uint64_t vz_cg_units_to_shares(uint32_t units)
{
	uint64_t shares = (uint64_t)units * 1024 / 1000;
	return shares < 2 ? 2 : shares;
}

uint64_t vz_cg_units_to_weight(uint32_t units)
{
	uint64_t weight = ((uint64_t)units + 5) / 10;
	return weight < 1 ? 1 : weight > 10000 ? 10000 : weight;
}

int vz_cgroup_apply(struct vz_cgroup *cg, const struct vz_cg_limits *l, vz_error *err)
{
	/* cpuset before the rest: the others do not depend on it, but a
	 * bad CPU list is the likeliest refusal and should change nothing. */
	if (cg->ops->set_cpuset(cg, l, err) < 0 || cg->ops->set_cpu(cg, l, err) < 0 ||
	    cg->ops->set_pids(cg, l, err) < 0 || cg->ops->set_memory(cg, l, err) < 0 ||
	    cg->ops->set_io(cg, l, err) < 0)
		return -1;
	return 0;
}
