/* VM lifecycle: start, stop, suspend/resume, status, set, cleanup (see vm.h).
 *
 * State comes from files and the kernel, never from vzd's memory: a VM runs
 * when the pid in VZ_RUN_DIR/CTID.vm/qemu.pid is alive and is the QEMU that
 * was started with that run dir. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/syscalls.h"
#include "lib/util.h"
#include "netns/netns.h"
#include "runtime/internal.h"
#include "runtime/resources.h"
#include "vm/qmp.h"
#include "vm/vm.h"

#define QMP_TIMEOUT_MS	 10000
#define START_TIMEOUT_MS 30000
#define QUIT_WAIT_MS	 5000

bool vz_conf_is_vm(const struct vz_ct_conf *c)
{
	return c && c->vmtype && !strcmp(c->vmtype, "vm");
}

char *vz_vm_run_dir(const struct vz_global_conf *g, const char *ctid)
{
	return vz_strdup_printf("%s/%s.vm", g->run_dir, ctid);
}

char *vz_vm_run_file(const struct vz_global_conf *g, const char *ctid, const char *name)
{
	return vz_strdup_printf("%s/%s.vm/%s", g->run_dir, ctid, name);
}

char *vz_vm_disk_path(const struct vz_ct_conf *c)
{
	return vz_strdup_printf("%s/root.img", c->ve_private);
}

char *vz_vm_kit_dir(const struct vz_global_conf *g)
{
	return vz_strdup_printf("%s/vm", g->template_dir);
}

/* The running QEMU's pid, 0 if none.  The pid must still be a process whose
 * command line names this VM's run dir: a recycled pid is not our QEMU. */
pid_t vz_vm_qemu_pid(const struct vz_global_conf *g, const char *ctid)
{
	cleanup_free char *pidfile = vz_vm_run_file(g, ctid, "qemu.pid");
	cleanup_free char *dir = vz_vm_run_dir(g, ctid);
	cleanup_free char *text = NULL, *cmdline = NULL, *cmdpath = NULL;
	size_t len = 0;
	long pid;

	if (vz_read_file(pidfile, 64, &text, NULL, NULL) < 0)
		return 0;
	pid = strtol(text, NULL, 10);
	if (pid <= 0)
		return 0;
	cmdpath = vz_strdup_printf("/proc/%ld/cmdline", pid);
	if (vz_read_file(cmdpath, 1 << 20, &cmdline, &len, NULL) < 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!cmdline[i])
			cmdline[i] = ' ';
	return strstr(cmdline, dir) ? (pid_t)pid : 0;
}

int vz_vm_status_of(const struct vz_global_conf *g, const struct vz_ct_conf *c,
		    struct vz_ct_status *ret, vz_error *err)
{
	pid_t pid = vz_vm_qemu_pid(g, c->ctid);

	*ret = (struct vz_ct_status){
	    .exists = true, .running = pid > 0, .init_pid = pid, .nproc = pid > 0};
	return 0;
}

static int open_qmp(const struct vz_global_conf *g, const char *ctid, struct vz_qmp *q,
		    vz_error *err)
{
	cleanup_free char *sock = vz_vm_run_file(g, ctid, "qmp.sock");

	if (!vz_vm_qemu_pid(g, ctid))
		return vz_fail(err, VZ_VE_NOT_RUNNING, "VM %s is not running", ctid);
	return vz_qmp_open(q, sock, QMP_TIMEOUT_MS, err);
}

/* ---- info ------------------------------------------------------------ */

int vz_vm_info(const struct vz_global_conf *g, const char *ctid, struct vz_vm_info *ret,
	       vz_error *err)
{
	cleanup_free char *accel_file = vz_vm_run_file(g, ctid, "accel");
	cleanup_free char *accel = NULL;
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	json_auto_t *st = NULL;
	char *nl;

	*ret = (struct vz_vm_info){.qemu_pid = vz_vm_qemu_pid(g, ctid)};
	if (!ret->qemu_pid)
		return 0;
	if (vz_read_file(accel_file, 4096, &accel, NULL, NULL) == 0) {
		nl = strchr(accel, '\n');
		if (nl) {
			*nl = '\0';
			snprintf(ret->notice, sizeof(ret->notice), "%s", nl + 1);
		}
		snprintf(ret->accel, sizeof(ret->accel), "%s", accel);
	}
	if (open_qmp(g, ctid, &q, err) < 0 ||
	    vz_qmp_call(&q, "query-status", NULL, &st, QMP_TIMEOUT_MS, err) < 0)
		return vz_error_wrap(err, "VM %s", ctid);
	snprintf(ret->state, sizeof(ret->state), "%s",
		 json_string_value(json_object_get(st, "status")) ?: "unknown");
	ret->paused = !json_is_true(json_object_get(st, "running"));
	return 0;
}

/* ---- start ------------------------------------------------------------ */

/* The VM user, created as a system user on first use (no home, no shell). */
static int vm_user(const struct vz_global_conf *g, uid_t *ret_uid, gid_t *ret_gid, vz_error *err)
{
	char *argv[] = {"/usr/sbin/useradd", "--system",     "--no-create-home",
			"--home-dir",	     "/nonexistent", "--shell",
			"/usr/sbin/nologin", g->vm_user,     NULL};
	struct passwd *pw = getpwnam(g->vm_user);

	if (!pw) {
		if (vz_run(argv, err) < 0)
			return vz_error_wrap(err, "create the VM user `%s` (VM_USER)", g->vm_user);
		pw = getpwnam(g->vm_user);
		if (!pw)
			return vz_fail(err, VZ_SYSTEM_ERROR, "VM user `%s` not found", g->vm_user);
	}
	*ret_uid = pw->pw_uid;
	*ret_gid = pw->pw_gid;
	return 0;
}

static size_t nic_count(const struct vz_ct_conf *c)
{
	if (c->n_netif)
		return c->n_netif;
	return c->ip_address && c->ip_address[0] ? 1 : 0;
}

static void close_nics(struct vz_vm_nic *nics, size_t n)
{
	for (size_t i = 0; nics && i < n; i++)
		if (nics[i].fd >= 0)
			close(nics[i].fd);
}

static void delete_taps(const struct vz_global_conf *g, const struct vz_ct_conf *c)
{
	for (size_t i = 0; i < nic_count(c); i++) {
		char tap[16];
		vz_vm_tap_name(c, i, tap);
		vz_net_port_detach(g, tap);
		vz_tap_delete(tap, NULL);
	}
}

/* On the bridge with the same anti-spoofing rules as a container NIC: only
 * its MAC, and on the first NIC the VM's addresses, may leave it. */
static int attach_tap(const struct vz_global_conf *g, const struct vz_ct_conf *c, size_t i,
		      const struct vz_vm_nic *nic, vz_error *err)
{
	const char *bridge = i < c->n_netif && c->netif[i].bridge ? c->netif[i].bridge : NULL;
	uint8_t mac[6];

	if (vz_mac_parse(nic->mac, mac) < 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "bad MAC `%s`", nic->mac);
	return vz_net_port_attach(g, nic->ifname, bridge, mac, i == 0 ? c->ip_address : NULL,
				  c->mac_filter, err);
}

static int make_nics(const struct vz_global_conf *g, const struct vz_ct_conf *c, uid_t uid,
		     gid_t gid, struct vz_vm_nic **ret, vz_error *err)
{
	size_t n = nic_count(c);
	struct vz_vm_nic *nics = vz_xcalloc(n + 1, sizeof(*nics));

	for (size_t i = 0; i < n; i++) {
		int fd = -1;
		nics[i].fd = -1;
		vz_vm_tap_name(c, i, nics[i].ifname);
		vz_vm_mac(c, i, nics[i].mac);
		if (vz_tap_create(nics[i].ifname, uid, gid, err) < 0 ||
		    attach_tap(g, c, i, &nics[i], err) < 0 ||
		    vz_tap_open(nics[i].ifname, &fd, err) < 0) {
			close_nics(nics, i);
			delete_taps(g, c);
			free(nics);
			return -1;
		}
		/* Above the numbers the child moves them to (VZ_VM_TAP_FD0 + i). */
		nics[i].fd = fcntl(fd, F_DUPFD_CLOEXEC, VZ_VM_TAP_FD0 + (int)n + 16);
		close(fd);
		if (nics[i].fd < 0) {
			vz_fail_errno(err, VZ_SYSTEM_ERROR, "dup tap descriptor");
			close_nics(nics, i);
			delete_taps(g, c);
			free(nics);
			return -1;
		}
	}
	*ret = nics;
	return 0;
}

/* In the forked child: join the cgroup, detach, drop to the VM user and
 * exec QEMU in a grandchild that reparents to vzd (a subreaper) and so
 * outlives neither more nor less than a container init does. */
static void __attribute__((noreturn)) exec_qemu(const struct vz_cg_join *join, char **argv,
						const char *log, const struct vz_vm_spec *spec,
						uid_t uid, gid_t gid)
{
	gid_t groups[1];
	int ngroups = 0, fd;
	struct stat st;

	if (vz_cgroup_join(join, NULL) < 0 || setsid() < 0)
		_exit(126);
	if (fork() != 0)
		_exit(0);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || fchown(fd, uid, gid) < 0)
		_exit(126);
	dup2(fd, 1);
	dup2(fd, 2);
	fd = open("/dev/null", O_RDONLY);
	dup2(fd, 0);
	for (size_t i = 0; i < spec->n_nics; i++)
		if (dup2(spec->nics[i].fd, VZ_VM_TAP_FD0 + (int)i) < 0)
			_exit(126);
	close_range(VZ_VM_TAP_FD0 + (unsigned)spec->n_nics, ~0U, 0);
	if (spec->kvm && stat("/dev/kvm", &st) == 0)
		groups[ngroups++] = st.st_gid;
	if (setgroups((size_t)ngroups, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		_exit(126);
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	execve(argv[0], argv, envp);
	vz_child_exec_failed(argv[0]);
}

/* The last line QEMU wrote to its log, for an error message. */
static void qemu_log_tail(const char *log, char *buf, size_t size)
{
	cleanup_free char *text = NULL;
	char *end, *start;

	buf[0] = '\0';
	if (vz_read_file(log, 1 << 20, &text, NULL, NULL) < 0)
		return;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(text, '\n');
	snprintf(buf, size, "%s", start ? start + 1 : text);
}

static int launch(const struct vz_global_conf *g, const struct vz_ct_conf *c,
		  const struct vz_vm_spec *spec, struct vz_cgroup *cg, uid_t uid, gid_t gid,
		  vz_error *err)
{
	cleanup_strv char **argv = vz_vm_qemu_argv(spec);
	cleanup_free char *log = vz_vm_run_file(g, c->ctid, "qemu.log");
	cleanup_free char *qmp_path = vz_vm_run_file(g, c->ctid, "qmp.sock");
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	uint64_t deadline = vz_now_ms() + START_TIMEOUT_MS;
	struct vz_cg_join join;
	char tail[512];
	int status;
	pid_t pid;

	/* The child only makes system calls (lib/child.h). */
	if (vz_cgroup_join_open(cg, &join, err) < 0)
		return -1;
	pid = vz_child_fork();
	if (pid == 0)
		exec_qemu(&join, argv, log, spec, uid, gid);
	vz_cgroup_join_close(&join);
	if (pid < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	if (vz_child_wait(pid, &status, -1) < 0 || vz_child_exit_code(status) != 0)
		return vz_fail(err, VZ_START_ERROR, "cannot launch QEMU (helper status %d)",
			       vz_child_exit_code(status));
	/* QEMU is up when its QMP socket answers; a QEMU that exits first
	 * (bad option, missing file) says why in its log. */
	while (vz_now_ms() < deadline) {
		if (vz_path_exists(qmp_path) && vz_vm_qemu_pid(g, c->ctid) &&
		    vz_qmp_open(&q, qmp_path, 2000, NULL) == 0)
			return 0;
		if (vz_path_exists(qmp_path) && !vz_vm_qemu_pid(g, c->ctid) &&
		    vz_path_exists(log)) {
			usleep(200 * 1000);
			if (!vz_vm_qemu_pid(g, c->ctid))
				break;
		}
		usleep(50 * 1000);
	}
	qemu_log_tail(log, tail, sizeof(tail));
	return vz_fail(err, VZ_START_ERROR, "QEMU did not come up: %s",
		       tail[0] ? tail : "no message (see qemu.log)");
}

static int prepare_files(const struct vz_global_conf *g, const struct vz_ct_conf *c, uid_t uid,
			 gid_t gid, const struct vz_vm_accel *accel, vz_error *err)
{
	cleanup_free char *dir = vz_vm_run_dir(g, c->ctid);
	cleanup_free char *disk = vz_vm_disk_path(c);
	cleanup_free char *accel_file = vz_vm_run_file(g, c->ctid, "accel");
	cleanup_free char *text =
	    vz_strdup_printf("%s\n%s", accel->kvm ? "kvm" : "tcg", accel->notice);

	if (!vz_path_exists(disk))
		return vz_fail(err, VZ_VE_PRIVATE_NOTEXIST, "disk image `%s` does not exist", disk);
	if (vz_mkdir_p(dir, 0700, err) < 0 || chown(dir, uid, gid) < 0 ||
	    chown(c->ve_private, uid, gid) < 0 || chown(disk, uid, gid) < 0)
		return err->code
			   ? -1
			   : vz_fail_errno(err, VZ_SYSTEM_ERROR, "give `%s` to VM_USER", disk);
	return vz_write_file_atomic(accel_file, text, strlen(text), 0644, err);
}

int vz_vm_start(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	return vz_vm_start_mode(g, ctid, false, err);
}

int vz_vm_start_mode(const struct vz_global_conf *g, const char *ctid, bool incoming, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	cleanup_free struct vz_vm_nic *nics = NULL;
	cleanup_free char *kit = vz_vm_kit_dir(g);
	cleanup_free char *kernel = vz_strdup_printf("%s/vmlinuz", kit);
	cleanup_free char *initrd = vz_strdup_printf("%s/initrd.img", kit);
	cleanup_free char *append = NULL, *disk = NULL, *dir = vz_vm_run_dir(g, ctid);
	struct vz_vm_accel accel;
	uid_t uid = 0;
	gid_t gid = 0;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0)
		goto fail;
	if (c->disabled) {
		vz_fail(err, VZ_START_DISABLED, "start disabled (DISABLED=yes)");
		goto fail;
	}
	if (vz_vm_qemu_pid(g, ctid)) {
		vz_fail(err, VZ_VE_RUNNING, "VM is already running");
		goto fail;
	}
	if (!vz_path_exists(kernel) || !vz_path_exists(initrd)) {
		vz_fail(err, VZ_OSTEMPLATE_NOT_FOUND, "VM kit `%s` is missing vmlinuz/initrd.img",
			kit);
		goto fail;
	}
	/* What an earlier run that ended by itself left behind. */
	vz_vm_cleanup_stopped(g, c, NULL);
	append = vz_vm_kernel_cmdline(g, c);
	disk = vz_vm_disk_path(c);
	if (vm_user(g, &uid, &gid, err) < 0 || vz_vm_accel_get(g, &accel, err) < 0 ||
	    prepare_files(g, c, uid, gid, &accel, err) < 0 || ct_cgroup(g, ctid, &cg, err) < 0 ||
	    cg->ops->create(cg, err) < 0 || vz_res_apply_cpu(c, cg, err) < 0)
		goto fail_cleanup;
	if (make_nics(g, c, uid, gid, &nics, err) < 0)
		goto fail_cleanup;
	struct vz_vm_spec spec = {
	    .name = ctid,
	    .qemu = g->qemu,
	    .kvm = accel.kvm,
	    .cpus = c->cpus ? c->cpus : 1,
	    .ram_mb = vz_vm_ram_mb(c),
	    .kernel = kernel,
	    .initrd = initrd,
	    .append = append,
	    .disk = disk,
	    .iolimit = c->iolimit,
	    .iopslimit = c->iopslimit,
	    .nics = nics,
	    .n_nics = nic_count(c),
	    .run_dir = dir,
	    .incoming = incoming,
	};
	if (launch(g, c, &spec, cg, uid, gid, err) < 0) {
		close_nics(nics, spec.n_nics);
		goto fail_cleanup;
	}
	close_nics(nics, spec.n_nics);
	return 0;
fail_cleanup : {
	pid_t pid = vz_vm_qemu_pid(g, ctid);
	if (pid)
		kill(pid, SIGKILL);
}
	vz_vm_cleanup_stopped(g, c, NULL);
fail:
	return vz_error_wrap(err, "cannot start VM %s", ctid);
}

/* ---- stop ------------------------------------------------------------- */

/* Wait for QEMU @pid to end, up to @timeout_ms; true if it did. */
static bool wait_gone(int pidfd, int timeout_ms)
{
	return pidfd < 0 || ct_pidfd_wait(pidfd, timeout_ms) == 1;
}

int vz_vm_cleanup_stopped(const struct vz_global_conf *g, const struct vz_ct_conf *c, vz_error *err)
{
	cleanup_free char *dir = vz_vm_run_dir(g, c->ctid);
	cleanup_cgroup struct vz_cgroup *cg = NULL;

	if (vz_vm_qemu_pid(g, c->ctid))
		return 0;
	delete_taps(g, c);
	if (ct_cgroup(g, c->ctid, &cg, err) < 0 ||
	    (cg->ops->exists(cg) && (cg->ops->kill(cg, err) < 0 || cg->ops->destroy(cg, err) < 0)))
		return vz_error_wrap(err, "VM %s", c->ctid);
	return vz_rm_rf(dir, err);
}

int vz_vm_stop(const struct vz_global_conf *g, const char *ctid, const struct vz_stop_opts *o,
	       vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	cleanup_close int pidfd = -1;
	int timeout_s = o->timeout_s < 0 ? (int)g->stop_timeout : o->timeout_s;
	pid_t pid;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0)
		return -1;
	pid = vz_vm_qemu_pid(g, ctid);
	if (!pid) {
		vz_vm_cleanup_stopped(g, c, NULL);
		return vz_fail(err, VZ_VE_NOT_RUNNING, "VM %s is not running", ctid);
	}
	pidfd = vz_pidfd_open(pid, 0);
	if (open_qmp(g, ctid, &q, err) == 0) {
		if (!o->fast) {
			/* A suspended guest cannot see the power button. */
			vz_qmp_call(&q, "cont", NULL, NULL, QMP_TIMEOUT_MS, NULL);
			if (vz_qmp_call(&q, "system_powerdown", NULL, NULL, QMP_TIMEOUT_MS, NULL) ==
			    0)
				wait_gone(pidfd, timeout_s * 1000);
		}
		if (!wait_gone(pidfd, 0)) {
			vz_qmp_call(&q, "quit", NULL, NULL, QMP_TIMEOUT_MS, NULL);
			wait_gone(pidfd, QUIT_WAIT_MS);
		}
	}
	if (!wait_gone(pidfd, 0)) {
		kill(pid, SIGKILL);
		if (!wait_gone(pidfd, QUIT_WAIT_MS))
			return vz_fail(err, VZ_STOP_ERROR,
				       "cannot stop VM %s: QEMU %d survives SIGKILL", ctid, pid);
	}
	vz_error_clear(err);
	if (vz_vm_cleanup_stopped(g, c, err) < 0)
		return vz_error_wrap(err, "cannot stop VM %s", ctid);
	return 0;
}

/* ---- suspend / resume ------------------------------------------------- */

static int qmp_simple(const struct vz_global_conf *g, const char *ctid, const char *cmd,
		      const char *what, vz_error *err)
{
	cleanup_qmp struct vz_qmp q = {.fd = -1};

	if (open_qmp(g, ctid, &q, err) < 0 ||
	    vz_qmp_call(&q, cmd, NULL, NULL, QMP_TIMEOUT_MS, err) < 0)
		return vz_error_wrap(err, "cannot %s VM %s", what, ctid);
	return 0;
}

int vz_vm_suspend(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	return qmp_simple(g, ctid, "stop", "suspend", err);
}

int vz_vm_resume(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	return qmp_simple(g, ctid, "cont", "resume", err);
}

/* ---- set -------------------------------------------------------------- */

static int set_throttle(struct vz_qmp *q, const struct vz_ct_conf *c, vz_error *err)
{
	json_auto_t *args = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "device", "disk0",
				      "bps", (json_int_t)c->iolimit, "bps_rd", (json_int_t)0,
				      "bps_wr", (json_int_t)0, "iops", (json_int_t)c->iopslimit,
				      "iops_rd", (json_int_t)0, "iops_wr", (json_int_t)0);

	return vz_qmp_call(q, "block_set_io_throttle", args, NULL, QMP_TIMEOUT_MS, err);
}

/* Grow the disk under a running guest: QEMU resizes the device at once; the
 * guest's file system follows through the agent when it has resize2fs. */
static int grow_live(const struct vz_global_conf *g, struct vz_qmp *q, const struct vz_ct_conf *c,
		     vz_error *err)
{
	json_auto_t *args =
	    json_pack("{s:s, s:I}", "device", "disk0", "size", (json_int_t)vz_vm_disk_bytes(c));
	cleanup_free char *disk = vz_vm_disk_path(c);
	char *argv[] = {"/sbin/resize2fs", "/dev/vda", NULL};
	int null[3] = {-1, -1, -1}, code;
	struct stat st;

	if (stat(disk, &st) == 0 && (uint64_t)st.st_size > vz_vm_disk_bytes(c))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "DISKSPACE is below the disk's size; shrinking is not supported");
	if (vz_qmp_call(q, "block_resize", args, NULL, QMP_TIMEOUT_MS, err) < 0)
		return -1;
	vz_vm_exec_wait(g, c->ctid, argv, null, 5000, &code, NULL);
	return 0;
}

static bool is_key(const struct vz_param *p, const char *key)
{
	return !strcmp(p->key, key);
}

/* CPU share, cap and cpuset of a running VM: its QEMU's cgroup. */
static int apply_cpu_live(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			  vz_error *err)
{
	cleanup_cgroup struct vz_cgroup *cg = NULL;

	if (ct_cgroup(g, c->ctid, &cg, err) < 0)
		return -1;
	return vz_res_apply_cpu(c, cg, err);
}

int vz_vm_set(const struct vz_global_conf *g, const struct vz_ct_conf *c,
	      const struct vz_param *params, size_t n, bool running, bool *ret_pending,
	      vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *old = NULL;
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	cleanup_free char *disk = vz_vm_disk_path(c);
	bool io = false, grow = false, cpu = false;

	/* The saved config is what the VM runs with (or will start with). */
	if (vz_ct_conf_load(g, c->ctid, &old, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (is_key(&params[i], "IOLIMIT") || is_key(&params[i], "IOPSLIMIT"))
			io = true;
		else if (is_key(&params[i], "CPUUNITS") || is_key(&params[i], "CPULIMIT") ||
			 is_key(&params[i], "CPUMASK") || is_key(&params[i], "NODEMASK"))
			cpu = true;
		else if (is_key(&params[i], "DISKSPACE"))
			grow = vz_vm_disk_bytes(old) != vz_vm_disk_bytes(c);
		else if (!is_key(&params[i], "ONBOOT") && !is_key(&params[i], "DESCRIPTION") &&
			 !is_key(&params[i], "DISABLED"))
			*ret_pending = true; /* CPUS, RAM, network, host name: next start */
	}
	if (!running)
		return grow ? vz_vm_image_grow(disk, vz_vm_disk_bytes(c), err) : 0;
	if (cpu && apply_cpu_live(g, c, err) < 0)
		return -1;
	if ((io || grow) && open_qmp(g, c->ctid, &q, err) < 0)
		return -1;
	if (io && set_throttle(&q, c, err) < 0)
		return -1;
	if (grow && grow_live(g, &q, c, err) < 0)
		return -1;
	return 0;
}

/* ---- console ---------------------------------------------------------- */

int vz_vm_console_open(const struct vz_global_conf *g, const char *ctid, int *ret_fd, vz_error *err)
{
	cleanup_free char *sock = vz_vm_run_file(g, ctid, "console.sock");

	if (!vz_vm_qemu_pid(g, ctid))
		return vz_fail(err, VZ_VE_NOT_RUNNING, "VM %s is not running", ctid);
	/* Raw bytes, not JSON.  QEMU serves one console client at a time; a
	 * second one waits in the listen queue until the first detaches. */
	if (vz_unix_connect(sock, 5000, ret_fd, err) < 0)
		return vz_error_wrap(err, "console of VM %s", ctid);
	return 0;
}
