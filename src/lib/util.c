/* Small helpers for files, strings and processes (see util.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cleanup.h"
#include "fault.h"
#include "util.h"

void *vz_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *vz_xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		abort();
	return q;
}

char *vz_xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		abort();
	return p;
}

char *vz_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

uint64_t vz_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int vz_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t vz_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int vz_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len, vz_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t len = 0, cap = 4096;

	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open `%s`", path);
	buf = vz_xcalloc(1, cap + 1);
	for (;;) {
		ssize_t n;
		if (len == cap) {
			/* Room for one byte past @max: a file of exactly @max bytes
			 * is fine, and only reading a byte more tells it from a
			 * larger one. */
			if (cap > max)
				return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
					       "`%s` is larger than %zu bytes", path, max);
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = vz_xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "read `%s`", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is larger than %zu bytes",
			       path, max);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret_buf = steal_pointer(&buf);
	return 0;
}

int vz_read_file_at(int dirfd, const char *name, char *buf, size_t size, vz_error *err)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open `%s`", name);
	n = vz_read_all(fd, buf, size - 1);
	if (n < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "read `%s`", name);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

int vz_write_file_at(int dirfd, const char *name, const char *data, size_t len, vz_error *err)
{
	cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open `%s`", name);
	/* Kernel interfaces (cgroup, /proc) take one write per value. */
	if (write(fd, data, len) != (ssize_t)len)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "write `%.*s` to `%s`",
				     (int)(len > 64 ? 64 : len), data, name);
	return 0;
}

int vz_fsync_parent(const char *path)
{
	cleanup_free char *dir = vz_xstrdup(path);
	char *slash = strrchr(dir, '/');
	cleanup_close int fd = -1;

	if (!slash)
		return 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return fsync(fd);
}

static int write_replace(const char *path, const char *data, size_t len, mode_t mode, bool durable,
			 vz_error *err)
{
	cleanup_free char *tmp = vz_strdup_printf("%s.tmp.XXXXXX", path);
	cleanup_close int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "create temporary file for `%s`", path);
	if (fchmod(fd, mode) < 0 || vz_write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
		int saved = errno;
		unlink(tmp);
		return vz_error_set(err, saved == ENOSPC ? VZ_FS_NO_DISK_SPACE : VZ_SYSTEM_ERROR,
				    saved, "write `%s`", tmp);
	}
	vz_fault_point("write.after-tmp");
	if (rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		return vz_error_set(err, VZ_SYSTEM_ERROR, saved, "rename `%s` to `%s`", tmp, path);
	}
	if (durable && vz_fsync_parent(path) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "fsync directory of `%s`", path);
	return 0;
}

int vz_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, vz_error *err)
{
	return write_replace(path, data, len, mode, true, err);
}

int vz_write_file_replace(const char *path, const char *data, size_t len, mode_t mode,
			  vz_error *err)
{
	return write_replace(path, data, len, mode, false, err);
}

int vz_mkdir_p(const char *path, mode_t mode, vz_error *err)
{
	cleanup_free char *p = vz_xstrdup(path);

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		/* Parents are shared (/vz holds lock, root and private areas):
		 * only the last component gets the caller's, maybe private, mode. */
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "mkdir `%s`", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "mkdir `%s`", p);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int vz_rm_rf(const char *path, vz_error *err)
{
	/* FTW_MOUNT: never descend into something mounted below @path. */
	if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 && errno != ENOENT)
		return vz_fail_errno(err, VZ_FS_DEL_PRVT, "remove `%s`", path);
	return 0;
}

bool vz_path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

bool vz_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_mountinfo(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* The kernel says whether @path is the root of a mount (Linux 5.8): one
 * statx instead of a scan of mountinfo, which has a line per running
 * container, so that listing N containers is not O(N^2).  1 yes, 0 no,
 * -1 the kernel cannot tell (then mountinfo decides). */
static int statx_mount_root(const char *path, bool *ret)
{
#ifdef STATX_ATTR_MOUNT_ROOT
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx) < 0) {
		if (errno != ENOENT)
			return -1;
		*ret = false;
		return 0;
	}
	if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return -1;
	*ret = (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	return 0;
#else
	(void)path;
	(void)ret;
	return -1;
#endif
}

int vz_is_mountpoint(const char *path, bool *ret, vz_error *err)
{
	if (statx_mount_root(path, ret) == 0)
		return 0;

	cleanup_fclose FILE *f = fopen("/proc/self/mountinfo", "re");
	cleanup_free char *line = NULL;
	char real[PATH_MAX];
	size_t cap = 0;
	bool found = false;

	if (!f)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open /proc/self/mountinfo");
	if (!realpath(path, real)) {
		if (errno == ENOENT) {
			*ret = false;
			return 0;
		}
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "resolve `%s`", path);
	}
	while (getline(&line, &cap, f) > 0) {
		char mnt[PATH_MAX];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		unescape_mountinfo(mnt);
		if (strcmp(mnt, real) == 0) {
			found = true;
			break;
		}
	}
	*ret = found;
	return 0;
}

int vz_proc_stat_field(pid_t pid, int field, unsigned long long *ret)
{
	char path[64], buf[1024];
	cleanup_close int fd = -1;
	ssize_t n;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || field < 3)
		return -1;
	n = vz_read_all(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: field 3 starts after the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p += 2;
	for (int f = 3; f < field; f++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	*ret = strtoull(p, NULL, 10);
	return 0;
}

int vz_run(char *const argv[], vz_error *err)
{
	int pipefd[2];
	char out[512];
	ssize_t n = 0, got = 0;
	int status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "pipe");
	pid = vz_child_fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork `%s`", argv[0]);
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execv(argv[0], argv);
		vz_child_exec_failed(argv[0]);
	}
	close(pipefd[1]);
	while ((size_t)got < sizeof(out) - 1 &&
	       (n = read(pipefd[0], out + got, sizeof(out) - 1 - (size_t)got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += n;
	}
	/* Drain the rest so the child never blocks on a full pipe. */
	while (n != 0) {
		char sink[4096];
		n = read(pipefd[0], sink, sizeof(sink));
		if (n < 0 && errno != EINTR)
			break;
	}
	close(pipefd[0]);
	out[got] = '\0';
	while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == ' '))
		out[--got] = '\0';
	if (vz_child_wait(pid, &status, -1) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "wait for `%s`", argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return vz_fail(err, VZ_SYSTEM_ERROR, "`%s` exited with status %d%s%s", argv[0],
			       WEXITSTATUS(status), got ? ": " : "", out);
	return vz_fail(err, VZ_SYSTEM_ERROR, "`%s` killed by signal %d", argv[0], WTERMSIG(status));
}

char *vz_strv_join(const char *const *v, size_t n, const char *sep)
{
	size_t len = 1, used = 0, seplen = strlen(sep);
	char *out;

	for (size_t i = 0; i < n && v && v[i]; i++)
		len += strlen(v[i]) + seplen;
	out = vz_xcalloc(1, len);
	for (size_t i = 0; i < n && v && v[i]; i++) {
		size_t l = strlen(v[i]);
		if (used) {
			memcpy(out + used, sep, seplen);
			used += seplen;
		}
		memcpy(out + used, v[i], l);
		used += l;
	}
	out[used] = '\0';
	return out;
}

bool vz_ctid_valid(const char *s)
{
	unsigned long long v = 0;

	if (!s || !*s || *s == '0' || strlen(s) > 10)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	return v >= 1 && v <= 2147483647ULL;
}
