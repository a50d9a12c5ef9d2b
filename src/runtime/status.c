/* Container state, read from the kernel and the state root (see container.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/syscalls.h"
#include "lib/util.h"
#include "runtime/internal.h"
#include "vm/vm.h"

int ct_cgroup(const struct vz_global_conf *g, const char *ctid, struct vz_cgroup **ret,
	      vz_error *err)
{
	return vz_cgroup_new(g->cgroup_root, g->cgroup_parent, ctid, g->cgroup_version, ret, err);
}

void vz_ct_pin_cgroup_version(struct vz_global_conf *g)
{
	const struct vz_cgroup_ops *ops;

	if (g->cgroup_version == 0 && vz_cgroup_detect(g->cgroup_root, 0, &ops, NULL) == 0)
		g->cgroup_version = strcmp(ops->name, "v1") == 0 ? 1 : 2;
}

char *ct_running_marker(const struct vz_global_conf *g, const char *ctid)
{
	return vz_strdup_printf("%s/%s.running", g->run_dir, ctid);
}

void ct_idmap(const struct vz_global_conf *g, const struct vz_ct_conf *c, struct vz_idmap *ret)
{
	ret->host_uid = c->local_uid;
	ret->host_gid = c->local_gid;
	ret->size = g->userns_size;
}

/* Number of pid namespace levels a process sees ("NSpid:" fields). */
static int nspid_levels(const char *status_path, pid_t *ret_innermost)
{
	cleanup_fclose FILE *f = fopen(status_path, "re");
	cleanup_free char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		int levels = 0;
		char *save = NULL;
		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		for (char *tok = strtok_r(line + 6, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			levels++;
			*ret_innermost = (pid_t)atoi(tok);
		}
		return levels;
	}
	return -1;
}

/* Our own pid namespace depth never changes: read it once, not per
 * container (vzlist asks for every container). */
static pthread_once_t self_levels_once = PTHREAD_ONCE_INIT;
static int self_levels;

static void find_self_levels(void)
{
	pid_t ignored;
	self_levels = nspid_levels("/proc/self/status", &ignored);
}

int ct_find_init(const struct vz_global_conf *g, const char *ctid, pid_t *ret_pid,
		 size_t *ret_nproc, vz_error *err)
{
	cleanup_free pid_t *pids = NULL;
	struct vz_cgroup *cg = NULL;
	size_t n = 0;
	pid_t found = 0;

	pthread_once(&self_levels_once, find_self_levels);
	if (ct_cgroup(g, ctid, &cg, err) < 0)
		return -1;
	if (cg->ops->procs(cg, &pids, &n, err) < 0) {
		vz_cgroup_free(cg);
		return vz_error_wrap(err, "container %s", ctid);
	}
	vz_cgroup_free(cg);
	for (size_t i = 0; i < n && !found; i++) {
		char path[64];
		pid_t inner = 0;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		if (nspid_levels(path, &inner) == self_levels + 1 && inner == 1)
			found = pids[i];
	}
	*ret_pid = found;
	if (ret_nproc)
		*ret_nproc = n;
	return 0;
}

int ct_pidfd_wait(int pidfd, int timeout_ms)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
	uint64_t deadline = vz_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);

	for (;;) {
		int left = timeout_ms < 0
			       ? -1
			       : (int)(deadline > vz_now_ms() ? deadline - vz_now_ms() : 0);
		int r = poll(&pfd, 1, left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* What the kernel shows of container @ctid whose VE_ROOT is @root (NULL
 * when it has no config at all). */
static int kernel_status(const struct vz_global_conf *g, const char *ctid, const char *root,
			 struct vz_ct_status *ret, vz_error *err)
{
	struct vz_ct_status st = {.exists = root != NULL};

	if (root && vz_is_mountpoint(root, &st.mounted, err) < 0)
		return -1;
	if (ct_find_init(g, ctid, &st.init_pid, &st.nproc, err) < 0)
		return -1;
	st.running = st.init_pid > 0;
	*ret = st;
	return 0;
}

int vz_ct_status_of(const struct vz_global_conf *g, const struct vz_ct_conf *c,
		    struct vz_ct_status *ret, vz_error *err)
{
	if (vz_conf_is_vm(c))
		return vz_vm_status_of(g, c, ret, err);
	return kernel_status(g, c->ctid, c->ve_root, ret, err);
}

int vz_ct_status(const struct vz_global_conf *g, const char *ctid, struct vz_ct_status *ret,
		 vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_free char *root = NULL;
	vz_error sub = {0};

	if (!vz_ctid_valid(ctid))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "invalid CTID `%s`: expected a number from 1 to 2147483647", ctid);
	if (vz_ct_conf_load(g, ctid, &c, &sub) == 0)
		return vz_ct_status_of(g, c, ret, err);
	/* No config: a container whose config was removed by hand may still
	 * run, so the kernel is asked anyway.  A broken config: VE_ROOT comes
	 * from vz.conf, so status still shows what to fix. */
	if (sub.code != VZ_CT_NOT_EXIST)
		root = vz_expand_veid(g->ve_root, ctid);
	return kernel_status(g, ctid, root, ret, err);
}

int vz_ct_init_pidfd(const struct vz_global_conf *g, const char *ctid, pid_t *ret_pid,
		     int *ret_pidfd, vz_error *err)
{
	pid_t pid;
	int fd;

	/* A VM's "init" is its QEMU (so vzd's monitor notices a power-off). */
	pid = vz_vm_qemu_pid(g, ctid);
	if (!pid && ct_find_init(g, ctid, &pid, NULL, err) < 0)
		return -1;
	if (!pid)
		return vz_fail(err, VZ_VE_NOT_RUNNING, "container %s is not running", ctid);
	fd = vz_pidfd_open(pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return vz_fail(err, VZ_VE_NOT_RUNNING, "container %s is not running", ctid);
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "container %s: pidfd_open(%d)", ctid,
				     (int)pid);
	}
	*ret_pid = pid;
	*ret_pidfd = fd;
	return 0;
}

static int ctid_cmp(const void *a, const void *b)
{
	unsigned long x = strtoul(*(char *const *)a, NULL, 10),
		      y = strtoul(*(char *const *)b, NULL, 10);
	return x < y ? -1 : x > y;
}

int vz_ct_list(const struct vz_global_conf *g, char ***ret, vz_error *err)
{
	cleanup_closedir DIR *d = opendir(g->conf_dir);
	char **v = vz_xcalloc(1, sizeof(char *));
	size_t n = 0;
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT) {
			*ret = v;
			return 0;
		}
		free(v);
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "list containers in `%s`", g->conf_dir);
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char id[16];
		if (len < 6 || len > 15 || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		memcpy(id, de->d_name, len - 5);
		id[len - 5] = '\0';
		if (!vz_ctid_valid(id))
			continue;
		v = vz_xrealloc(v, (n + 2) * sizeof(char *));
		v[n++] = vz_xstrdup(id);
		v[n] = NULL;
	}
	qsort(v, n, sizeof(char *), ctid_cmp);
	*ret = v;
	return 0;
}
