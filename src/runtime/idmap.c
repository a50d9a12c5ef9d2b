/* User-namespace id maps and ownership shifting (see idmap.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/idmap.h"

int vz_idmap_validate(const struct vz_idmap *m, vz_error *err)
{
	if (m->size == 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "id range size is 0");
	if (m->host_uid == 0 || m->host_gid == 0)
		return vz_fail(
		    err, VZ_INVALID_PARAMETER_VALUE,
		    "container root must not map to host root (LOCAL_UID/LOCAL_GID is 0); "
		    "use PRIVILEGED=\"yes\" to run without a user namespace");
	if ((uint64_t)m->host_uid + m->size - 1 > UINT32_MAX - 1 ||
	    (uint64_t)m->host_gid + m->size - 1 > UINT32_MAX - 1)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "id range %u+%u does not fit below 2^32-1; set LOCAL_UID/LOCAL_GID",
			       m->host_uid, m->size);
	return 0;
}

int vz_idmap_format(uint32_t host_base, uint32_t size, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "0 %u %u\n", host_base, size);
	return n < 0 || (size_t)n >= buflen ? -1 : n;
}

uint32_t vz_idmap_to_host(uint32_t host_base, uint32_t size, uint32_t ct_id)
{
	if (ct_id >= size)
		return (uint32_t)-1;
	return host_base + ct_id;
}

static int write_map(pid_t pid, const char *file, uint32_t base, uint32_t size, vz_error *err)
{
	char path[64], buf[64];
	cleanup_close int fd = -1;
	int n = vz_idmap_format(base, size, buf, sizeof(buf));

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open `%s`", path);
	if (write(fd, buf, (size_t)n) != n)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "write `%.*s` to `%s`", n - 1, buf,
				     path);
	return 0;
}

int vz_idmap_write(pid_t pid, const struct vz_idmap *m, vz_error *err)
{
	if (write_map(pid, "uid_map", m->host_uid, m->size, err) < 0 ||
	    write_map(pid, "gid_map", m->host_gid, m->size, err) < 0)
		return -1;
	return 0;
}

/* nftw() has no user pointer: the walk is single-threaded per process and
 * this state lives only for the duration of one vz_idmap_shift_tree(). */
static __thread const struct vz_idmap *shift_map;
static __thread int shift_errno;
static __thread char shift_path[512];

static int shift_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	uint32_t uid = vz_idmap_to_host(shift_map->host_uid, shift_map->size, st->st_uid);
	uint32_t gid = vz_idmap_to_host(shift_map->host_gid, shift_map->size, st->st_gid);

	(void)type;
	(void)ftw;
	/* Ids outside the range (a template file owned by uid 70000) have no
	 * container id: give them to container root rather than leave host ids. */
	if (uid == (uint32_t)-1)
		uid = shift_map->host_uid;
	if (gid == (uint32_t)-1)
		gid = shift_map->host_gid;
	if (lchown(path, uid, gid) < 0)
		goto fail;
	/* chown clears set-id bits on non-directories: put them back. */
	if (!S_ISLNK(st->st_mode) && !S_ISDIR(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) &&
	    chmod(path, st->st_mode & 07777) < 0)
		goto fail;
	return 0;
fail:
	shift_errno = errno;
	snprintf(shift_path, sizeof(shift_path), "%s", path);
	return 1;
}

int vz_idmap_shift_tree(const char *path, const struct vz_idmap *m, vz_error *err)
{
	int rc;

	shift_map = m;
	shift_errno = 0;
	rc = nftw(path, shift_one, 64, FTW_PHYS | FTW_MOUNT);
	if (rc < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "walk `%s`", path);
	if (rc > 0)
		return vz_error_set(err, VZ_FS_NEW_VE_PRVT, shift_errno, "change owner of `%s`",
				    shift_path);
	return 0;
}
