/* The container's file system view, in two steps.
 *
 * ct_build_rootfs runs as host root in the launcher's private mount
 * namespace (owned by the host's user namespace), joined to the container's
 * pid, net and ipc namespaces so that proc, sysfs and mqueue are the
 * container's; host paths (/dev/null as a bind source) are reachable.
 * ct_enter_rootfs runs in the init, as container root: its unshare of the
 * mount namespace copies those mounts into one owned by the container's user
 * namespace, and the kernel locks them there (masks cannot be unmounted,
 * read-only mounts not made writable, no fresh proc mounted beside them).
 * Device nodes cannot be created in a user namespace: the standard ones are
 * bind-mounted from the host instead.
 *
 * Both run in children of threaded vzd before an exec: system calls and
 * fixed buffers only, nothing allocated (lib/child.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "config/seckeys.h"
#include "lib/cleanup.h"
#include "lib/syscalls.h"
#include "lib/util.h"
#include "runtime/internal.h"
#include "runtime/resources.h"

#define PROC_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* Host-sensitive /proc files hidden behind /dev/null. */
static const char *const proc_masked_files[] = {
    "kcore",	  "keys",	"key-users",   "timer_list",	"sched_debug", "latency_stats",
    "kpagecount", "kpageflags", "kpagecgroup", "sysrq-trigger", "kallsyms",    "config.gz",
};
/* /proc directories hidden behind an empty read-only tmpfs. */
static const char *const proc_masked_dirs[] = {"acpi", "scsi", "driver"};
/* /proc parts that stay visible but read-only. */
static const char *const proc_readonly[] = {"sys", "irq", "bus", "fs"};

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
		    const char *data, vz_error *err)
{
	if (mount(src, dst, type, flags, data) < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "mount %s on `%s`",
				     type ? type : (src ? src : "(remount)"), dst);
	return 0;
}

/* A mount point inside the root must be a real directory of the template:
 * a symlink planted by the container could aim the mount elsewhere. */
static int ensure_dir(const char *path, vz_error *err)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return vz_fail(err, VZ_FS_BAD_TMPL, "`%s` is not a directory", path);
		return 0;
	}
	if (mkdir(path, 0755) < 0)
		return vz_fail_errno(err, VZ_FS_BAD_TMPL, "create `%s`", path);
	return 0;
}

static int ensure_file(const char *path, mode_t mode, vz_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "create `%s`", path);
	close(fd);
	return 0;
}

static int bind_ro(const char *path, vz_error *err)
{
	if (do_mount(path, path, NULL, MS_BIND | MS_REC, NULL, err) < 0)
		return -1;
	/* The remount must repeat the locked flags of the proc mount. */
	return do_mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | PROC_FLAGS, NULL, err);
}

static int mount_proc(const char *root, vz_error *err)
{
	char proc[4096], path[4096];

	snprintf(proc, sizeof(proc), "%s/proc", root);
	if (ensure_dir(proc, err) < 0 || do_mount("proc", proc, "proc", PROC_FLAGS, NULL, err) < 0)
		return -1;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(proc_masked_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", proc, proc_masked_files[i]);
		if (access(path, F_OK) == 0 &&
		    do_mount("/dev/null", path, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < VZ_ARRAY_SIZE(proc_masked_dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", proc, proc_masked_dirs[i]);
		if (vz_is_dir(path) &&
		    do_mount("tmpfs", path, "tmpfs", MS_RDONLY | PROC_FLAGS, "mode=555", err) < 0)
			return -1;
	}
	for (size_t i = 0; i < VZ_ARRAY_SIZE(proc_readonly); i++) {
		snprintf(path, sizeof(path), "%s/%s", proc, proc_readonly[i]);
		if (vz_is_dir(path) && bind_ro(path, err) < 0)
			return -1;
	}
	/* /proc/sys/net belongs to the container's network namespace: writable
	 * again (ip_forward, rp_filter, ...).  Its few host-wide files stay
	 * owned by host root, which container root cannot override. */
	snprintf(path, sizeof(path), "%s/sys/net", proc);
	if (vz_is_dir(path) &&
	    (do_mount(path, path, NULL, MS_BIND | MS_REC, NULL, err) < 0 ||
	     do_mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | PROC_FLAGS, NULL, err) < 0))
		return -1;
	return 0;
}

static int mount_sys(const char *root, vz_error *err)
{
	char sys[4096];

	snprintf(sys, sizeof(sys), "%s/sys", root);
	if (ensure_dir(sys, err) < 0)
		return -1;
	return do_mount("sysfs", sys, "sysfs", MS_RDONLY | PROC_FLAGS, NULL, err);
}

/* lxcfs's views (the reader's cgroup limits and usage) laid over the
 * kernel's host-wide figures.  Only what lxcfs serves is bound; without
 * lxcfs (vz_lxcfs_available) the container keeps the host's figures. */
static const char *const lxcfs_files[] = {
    "proc/meminfo", "proc/cpuinfo",   "proc/stat",  "proc/uptime",
    "proc/loadavg", "proc/diskstats", "proc/swaps", "sys/devices/system/cpu/online",
};

static int mount_lxcfs(const char *root, const char *lxcfs_dir, vz_error *err)
{
	char src[4096], dst[4096];

	if (!vz_lxcfs_available(lxcfs_dir))
		return 0;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(lxcfs_files); i++) {
		snprintf(src, sizeof(src), "%s/%s", lxcfs_dir, lxcfs_files[i]);
		snprintf(dst, sizeof(dst), "%s/%s", root, lxcfs_files[i]);
		if (access(src, R_OK) < 0 || access(dst, F_OK) < 0)
			continue;
		if (do_mount(src, dst, NULL, MS_BIND, NULL, err) < 0)
			return vz_error_wrap(err, "lxcfs view");
	}
	return 0;
}

static int dev_symlinks(const char *dev, vz_error *err)
{
	static const char *const links[][2] = {
	    {"pts/ptmx", "ptmx"},	   {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},  {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"},
	};
	char path[4096];

	for (size_t i = 0; i < VZ_ARRAY_SIZE(links); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, links[i][1]);
		if (symlink(links[i][0], path) < 0)
			return vz_fail_errno(err, VZ_FS_CANTMOUNT, "symlink `%s`", path);
	}
	return 0;
}

/* DEVNODES: host nodes bound in at the same path below /dev; the device
 * cgroup (set up by vzd) is what grants their use. */
static int bind_devnodes(const char *dev, char *const *devnodes, vz_error *err)
{
	for (char *const *w = devnodes; w && *w; w++) {
		char name[256], path[4096], src[300], *slash;
		unsigned access;

		if (vz_devnode_parse(*w, name, sizeof(name), &access, err) < 0)
			return -1;
		if (!access)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dev, name);
		snprintf(src, sizeof(src), "/dev/%s", name);
		for (slash = strchr(path + strlen(dev) + 1, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			if (ensure_dir(path, err) < 0)
				return -1;
			*slash = '/';
		}
		if (ensure_file(path, 0600, err) < 0 ||
		    do_mount(src, path, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	}
	return 0;
}

static int mount_dev(const struct ct_rootfs_spec *spec, vz_error *err)
{
	char dev[4096], path[4096], src[64], opts[128];

	snprintf(dev, sizeof(dev), "%s/dev", spec->root);
	/* Mounted by host root: the ids below are host ids, those of the
	 * container's root and of its tty group. */
	snprintf(opts, sizeof(opts), "mode=755,size=64k,uid=%u,gid=%u", (unsigned)spec->root_uid,
		 (unsigned)spec->root_gid);
	if (ensure_dir(dev, err) < 0 ||
	    do_mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, opts, err) < 0)
		return -1;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(dev_nodes); i++) {
		snprintf(path, sizeof(path), "%s/%s", dev, dev_nodes[i]);
		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
		if (ensure_file(path, 0666, err) < 0 ||
		    do_mount(src, path, NULL, MS_BIND, NULL, err) < 0)
			return -1;
	}
	/* No console yet: /dev/console is /dev/null, so nothing in the container
	 * holds a tty whose master vz does not own (that would block CRIU). */
	snprintf(path, sizeof(path), "%s/console", dev);
	if (ensure_file(path, 0600, err) < 0 ||
	    do_mount("/dev/null", path, NULL, MS_BIND, NULL, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/pts", dev);
	snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0666,mode=0620,gid=%u",
		 (unsigned)spec->root_gid + 5);
	if (ensure_dir(path, err) < 0 ||
	    do_mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, opts, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/shm", dev);
	snprintf(opts, sizeof(opts), "mode=1777,uid=%u,gid=%u", (unsigned)spec->root_uid,
		 (unsigned)spec->root_gid);
	if (ensure_dir(path, err) < 0 ||
	    do_mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/mqueue", dev);
	if (ensure_dir(path, err) < 0 ||
	    do_mount("mqueue", path, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
		return -1;
	return dev_symlinks(dev, err) < 0 ? -1 : bind_devnodes(dev, spec->devnodes, err);
}

static int enter_root(const char *root, vz_error *err)
{
	if (chdir(root) < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "chdir `%s`", root);
	/* pivot_root(".", "."): the old root ends up stacked on "/" and is
	 * detached right away, leaving no path back to the host. */
	if (vz_pivot_root(".", ".") < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "pivot_root into `%s`", root);
	if (umount2(".", MNT_DETACH) < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "detach the host root");
	if (chdir("/") < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "chdir /");
	return 0;
}

/* A fresh tmpfs on /run before the init starts, mounted by container root
 * (so the guest may remount it with its own options).  A guest that mounts
 * /run itself at boot (Debian's mountkernfs.sh) would otherwise hide what
 * its init already made there: sysvinit keeps /run/initctl open, and an open
 * FIFO under a mount cannot be checkpointed (CRIU: "Can't link remap to
 * /run/initctl").  Guests find /run mounted and leave it.  Skipped when the
 * template has no /run directory. */
static int mount_run(vz_error *err)
{
	struct stat st;

	if (lstat("/run", &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return do_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=10%", err);
}

void ct_write_hostname_file(const char *hostname)
{
	/* After pivot_root: paths resolve inside the container only. */
	int fd = open("/etc/hostname", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct iovec v[] = {{.iov_base = (void *)hostname, .iov_len = strlen(hostname)},
			    {.iov_base = (void *)"\n", .iov_len = 1}};

	if (fd < 0)
		return;
	(void)!writev(fd, v, 2);
	close(fd);
}

int ct_build_rootfs(const struct ct_rootfs_spec *spec, vz_error *err)
{
	if (do_mount(spec->root, spec->root, NULL, MS_BIND | MS_REC, NULL, err) < 0 ||
	    mount_proc(spec->root, err) < 0 || mount_sys(spec->root, err) < 0 ||
	    mount_lxcfs(spec->root, spec->lxcfs_dir, err) < 0 || mount_dev(spec, err) < 0)
		return vz_error_wrap(err, "set up root file system");
	return 0;
}

int ct_enter_rootfs(const struct ct_rootfs_spec *spec, vz_error *err)
{
	/* Our own copy of the launcher's mount namespace.  Made by container
	 * root, in its user namespace, from one owned by the host's: the kernel
	 * locks every mount in the copy, so the masks over /proc cannot be
	 * unmounted, the read-only mounts not made writable, and no fresh proc
	 * or sysfs mounted (a fully visible one would have to exist).  For a
	 * privileged container nothing is locked: its root is the host's. */
	if (unshare(CLONE_NEWNS) < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "unshare the mount namespace");
	/* pivot_root refuses a locked new root: bind it once more (the top of a
	 * fresh bind is never locked, the mounts below it stay locked). */
	if (do_mount(spec->root, spec->root, NULL, MS_BIND | MS_REC, NULL, err) < 0 ||
	    enter_root(spec->root, err) < 0 || mount_run(err) < 0)
		return vz_error_wrap(err, "enter root file system");
	/* Without HOSTNAME the new uts namespace would still carry the host's
	 * name: never show a tenant the host's name, use the CTID instead. */
	if (sethostname(spec->hostname ? spec->hostname : spec->ctid,
			strlen(spec->hostname ? spec->hostname : spec->ctid)) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "set host name");
	if (spec->hostname)
		ct_write_hostname_file(spec->hostname);
	return 0;
}
