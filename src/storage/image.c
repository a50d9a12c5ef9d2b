/* Image-backed private areas: the hard disk-space limit.
 *
 * With a DISKSPACE limit, VE_PRIVATE is a directory holding one sparse ext4
 * image, VE_PRIVATE/root.img, of exactly the limit (DISKINODES sets its
 * inode count at mkfs time).  It is attached to a free loop device (with
 * LO_FLAGS_AUTOCLEAR, so unmounting also detaches it and nothing is left
 * behind) and mounted on VE_ROOT instead of the bind mount of a plain
 * directory.  This works on any host file system, needs no quota support,
 * and a full container sees ENOSPC in its own file system while the host
 * loses at most the image size.  The price: the image reserves ext4
 * metadata (a few percent), freed blocks inside are not returned to the
 * host (sparse on creation only), the inode count is fixed, and shrinking
 * needs the container stopped (not offered).  Growing works online:
 * extend the file, LOOP_SET_CAPACITY, resize2fs on the mounted device --
 * where vzd has CAP_SYS_RESOURCE, which ext4's resize ioctl demands.
 * Without it the file is extended at once and the file system grown
 * offline at the next mount.
 * CTID.conf records the layout as VE_LAYOUT="image" (else "simfs"). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "storage/storage.h"

#define IMAGE_NAME    "root.img"
#define LOOP_MAJOR_NR 7

char *vz_image_path(const char *private_dir)
{
	return vz_strdup_printf("%s/" IMAGE_NAME, private_dir);
}

bool vz_private_is_image(const char *private_dir)
{
	cleanup_free char *img = vz_image_path(private_dir);
	return vz_path_exists(img);
}

static int run_mkfs(const char *img, uint64_t inodes, vz_error *err)
{
	char n[32];
	char *argv[] = {"/sbin/mkfs.ext4", "-q", "-F", "-m", "0", "-N", n, (char *)img, NULL};

	snprintf(n, sizeof(n), "%" PRIu64, inodes);
	if (inodes == VZ_UNLIMITED) {
		/* mke2fs's own inode ratio. */
		argv[5] = (char *)img;
		argv[6] = NULL;
	}
	if (vz_run(argv, err) < 0)
		return vz_error_wrap(err, "mkfs.ext4 `%s`", img);
	return 0;
}

int vz_image_create(const char *dir, uint64_t kbytes, uint64_t inodes, vz_error *err)
{
	cleanup_free char *img = vz_image_path(dir);
	cleanup_close int fd = -1;

	if (kbytes == 0 || kbytes > (UINT64_C(1) << 40))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "DISKSPACE %" PRIu64 "K: expected 1K .. 1P", kbytes);
	fd = open(img, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "create `%s`", img);
	/* Sparse: the host pays for what the container writes, up to the limit. */
	if (ftruncate(fd, (off_t)(kbytes * 1024)) < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "size `%s`", img);
	return run_mkfs(img, inodes, err);
}

/* Attach @img to a free loop device; the fd of the device is returned. */
static int loop_attach(const char *img, vz_error *err)
{
	cleanup_close int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	cleanup_close int backing = open(img, O_RDWR | O_CLOEXEC);
	struct loop_config cfg = {.info = {.lo_flags = LO_FLAGS_AUTOCLEAR}};

	if (ctl < 0 || backing < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "open %s",
				     ctl < 0 ? "/dev/loop-control" : img);
	cfg.fd = (unsigned)backing;
	/* Another process may take the device between GET_FREE and CONFIGURE
	 * (EBUSY): ask again. */
	for (int tries = 0; tries < 20; tries++) {
		char dev[32];
		int nr = ioctl(ctl, LOOP_CTL_GET_FREE);
		int fd;

		if (nr < 0)
			return vz_fail_errno(err, VZ_FS_CANTMOUNT, "no free loop device");
		snprintf(dev, sizeof(dev), "/dev/loop%d", nr);
		fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return vz_fail_errno(err, VZ_FS_CANTMOUNT, "open `%s`", dev);
		if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0)
			return fd;
		close(fd);
		if (errno != EBUSY)
			return vz_fail_errno(err, VZ_FS_CANTMOUNT, "attach `%s` to `%s`", img, dev);
	}
	return vz_fail(err, VZ_FS_CANTMOUNT, "attach `%s`: every free loop device was taken", img);
}

/* How long a file system may take to let go of its loop device after the
 * unmount: the last reference can be a dying container's mount namespace,
 * released asynchronously by the kernel. */
#define RELEASE_TIMEOUT_MS 10000

static bool loop_attached(dev_t dev)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/loop/backing_file", major(dev),
		 minor(dev));
	return access(path, F_OK) == 0;
}

void vz_loop_wait_released(dev_t dev)
{
	for (int ms = 0; major(dev) == LOOP_MAJOR_NR && loop_attached(dev) &&
			 ms < RELEASE_TIMEOUT_MS;
	     ms += 20)
		usleep(20000);
}

/* The loop device @img is attached to, or 0. */
static dev_t image_loop(const char *img)
{
	cleanup_free char *real = realpath(img, NULL);
	cleanup_closedir DIR *d = opendir("/sys/block");
	struct dirent *e;

	if (!real || !d)
		return 0;
	while ((e = readdir(d))) {
		cleanup_free char *path = NULL, *backing = NULL, *devno = NULL;
		unsigned maj, min;

		if (strncmp(e->d_name, "loop", 4))
			continue;
		path = vz_strdup_printf("/sys/block/%s/loop/backing_file", e->d_name);
		if (vz_read_file(path, 4096, &backing, NULL, NULL) < 0)
			continue;
		backing[strcspn(backing, "\n")] = '\0';
		if (strcmp(backing, real))
			continue;
		free(path);
		path = vz_strdup_printf("/sys/block/%s/dev", e->d_name);
		if (vz_read_file(path, 64, &devno, NULL, NULL) == 0 &&
		    sscanf(devno, "%u:%u", &maj, &min) == 2)
			return makedev(maj, min);
	}
	return 0;
}

/* Fail unless @img is free: a file system still on it (a stop a moment
 * ago whose mount the kernel has not released yet) must not be checked,
 * resized or mounted a second time. */
static int image_wait_unused(const char *img, vz_error *err)
{
	dev_t dev = image_loop(img);

	if (dev == 0)
		return 0;
	vz_loop_wait_released(dev);
	if (loop_attached(dev) && image_loop(img) == dev)
		return vz_fail(err, VZ_FS_CANTMOUNT,
			       "image `%s` is still in use on /dev/loop%u (its file system was not "
			       "released within %d s)",
			       img, minor(dev), RELEASE_TIMEOUT_MS / 1000);
	return 0;
}

static char *loop_name(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return vz_xstrdup("/dev/loop?");
	return vz_strdup_printf("/dev/loop%u", minor(st.st_rdev));
}

/* Size in bytes of the ext4 file system in @img, from its superblock; 0 if
 * it cannot be read. */
static uint64_t fs_bytes(const char *img)
{
	cleanup_close int fd = open(img, O_RDONLY | O_CLOEXEC);
	unsigned char sb[1024];
	uint64_t blocks;

	if (fd < 0 || pread(fd, sb, sizeof(sb), 1024) != (ssize_t)sizeof(sb) ||
	    (sb[0x38] | sb[0x39] << 8) != 0xEF53)
		return 0;
#define LE32(o)                                                                                    \
	((uint32_t)sb[o] | (uint32_t)sb[(o) + 1] << 8 | (uint32_t)sb[(o) + 2] << 16 |              \
	 (uint32_t)sb[(o) + 3] << 24)
	blocks = LE32(0x04);
	if (LE32(0x60) & 0x80) /* INCOMPAT_64BIT: the high half counts */
		blocks |= (uint64_t)LE32(0x150) << 32;
	return blocks << (10 + LE32(0x18));
#undef LE32
}

static int grow_offline(const char *img, vz_error *err);

/* An image file larger than its file system was grown while the online
 * resize was not possible: finish it now, before the mount, and trim the
 * file to what the file system uses so the check is quiet next time. */
static int finish_pending_grow(const char *img, vz_error *err)
{
	struct stat st;
	uint64_t fs = fs_bytes(img);

	if (fs == 0 || stat(img, &st) < 0 || fs >= (uint64_t)st.st_size)
		return 0;
	if (grow_offline(img, err) < 0)
		return -1;
	fs = fs_bytes(img);
	if (fs && fs < (uint64_t)st.st_size && truncate(img, (off_t)fs) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "trim `%s`", img);
	return 0;
}

int vz_image_mount(const char *private_dir, const char *target, vz_error *err)
{
	cleanup_free char *img = vz_image_path(private_dir);
	cleanup_close int loop = -1;
	cleanup_free char *dev = NULL;

	if (image_wait_unused(img, err) < 0 || finish_pending_grow(img, err) < 0)
		return -1;
	loop = loop_attach(img, err);
	if (loop < 0)
		return -1;
	dev = loop_name(loop);
	/* Closing @loop after a failed mount detaches it (autoclear). */
	if (mount(dev, target, "ext4", MS_NODEV, NULL) < 0)
		return vz_fail_errno(err, VZ_FS_CANTMOUNT, "mount `%s` (%s) on `%s`", img, dev,
				     target);
	return 0;
}

/* Grow the file system of a mounted image (@root is its mount point). */
static int grow_online(const char *img, const char *root, vz_error *err)
{
	struct stat st;
	cleanup_free char *dev = NULL;
	cleanup_close int fd = -1;
	char *argv[] = {"/sbin/resize2fs", NULL, NULL};

	if (stat(root, &st) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "stat `%s`", root);
	if (major(st.st_dev) != LOOP_MAJOR_NR)
		return vz_fail(err, VZ_SYSTEM_ERROR, "`%s` is not mounted from `%s`", root, img);
	dev = vz_strdup_printf("/dev/loop%u", minor(st.st_dev));
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, LOOP_SET_CAPACITY, 0) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "%s: update the size", dev);
	argv[1] = dev;
	if (vz_run(argv, err) < 0)
		return vz_error_wrap(err, "resize2fs `%s`", dev);
	return 0;
}

static int grow_offline(const char *img, vz_error *err)
{
	char *fsck[] = {"/sbin/e2fsck", "-f", "-p", (char *)img, NULL};
	char *resize[] = {"/sbin/resize2fs", (char *)img, NULL};

	/* resize2fs insists on a freshly checked file system when unmounted. */
	if (image_wait_unused(img, err) < 0 || vz_run(fsck, err) < 0 || vz_run(resize, err) < 0)
		return vz_error_wrap(err, "resize `%s`", img);
	return 0;
}

/* ext4's online resize ioctls want CAP_SYS_RESOURCE (in the initial user
 * namespace); some hosts (these build machines) withhold it even from root. */
static bool can_resize_online(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[CAP_SYS_RESOURCE / 32].effective & (1U << (CAP_SYS_RESOURCE % 32));
}

int vz_image_resize(const char *private_dir, const char *root, bool mounted, uint64_t kbytes,
		    bool *ret_deferred, vz_error *err)
{
	cleanup_free char *img = vz_image_path(private_dir);
	struct stat st;

	if (stat(img, &st) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "stat `%s`", img);
	if (kbytes > (UINT64_C(1) << 40))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "DISKSPACE %" PRIu64 "K is too large", kbytes);
	if (kbytes * 1024 < (uint64_t)st.st_size)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "DISKSPACE %" PRIu64 "K is below the current %" PRIu64
			       "K: the image cannot shrink",
			       kbytes, (uint64_t)st.st_size / 1024);
	if (kbytes * 1024 == (uint64_t)st.st_size)
		return 0;
	*ret_deferred = mounted && !can_resize_online();
	if (truncate(img, (off_t)(kbytes * 1024)) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "extend `%s`", img);
	/* Deferred: the file is already larger, the next mount grows the file
	 * system (finish_pending_grow). */
	if (*ret_deferred)
		return 0;
	return mounted ? grow_online(img, root, err) : grow_offline(img, err);
}

int vz_image_usage(const char *root, struct vz_disk_usage *ret, vz_error *err)
{
	struct statvfs sv;

	if (statvfs(root, &sv) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "statvfs `%s`", root);
	ret->kb_used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize / 1024;
	ret->kb_total = (uint64_t)sv.f_blocks * sv.f_frsize / 1024;
	ret->inodes_used = sv.f_files - sv.f_ffree;
	ret->inodes_total = sv.f_files;
	return 0;
}

/* A partition has no request queue of its own: throttles go to its disk. */
static dev_t whole_disk(dev_t dev)
{
	cleanup_free char *part =
	    vz_strdup_printf("/sys/dev/block/%u:%u/partition", major(dev), minor(dev));
	cleanup_free char *parent =
	    vz_strdup_printf("/sys/dev/block/%u:%u/../dev", major(dev), minor(dev));
	cleanup_free char *text = NULL;
	unsigned maj, min;

	if (!vz_path_exists(part) || vz_read_file(parent, 64, &text, NULL, NULL) < 0 ||
	    sscanf(text, "%u:%u", &maj, &min) != 2)
		return dev;
	return makedev(maj, min);
}

int vz_storage_block_dev(const char *private_dir, const char *root, dev_t *ret, vz_error *err)
{
	const char *path = vz_private_is_image(private_dir) ? root : private_dir;
	struct stat st;

	if (stat(path, &st) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "stat `%s`", path);
	/* Major 0: tmpfs, overlayfs, ... no block device to throttle. */
	*ret = major(st.st_dev) == 0 ? 0 : whole_disk(st.st_dev);
	return 0;
}
