/* Small helpers for files, strings and processes shared by every subsystem. */
#ifndef VZ_UTIL_H
#define VZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Read a whole file (at most @max bytes) into a NUL-terminated buffer. */
VZ_EXPORT int vz_read_file(const char *path, size_t max, char **ret_buf, size_t *ret_len,
			   vz_error *err);

/* Read a small file relative to @dirfd (e.g. a cgroup or /proc entry);
 * trailing newline stripped. */
int vz_read_file_at(int dirfd, const char *name, char *buf, size_t size, vz_error *err);

/* Write @len bytes to @name relative to @dirfd (O_WRONLY, no create). */
int vz_write_file_at(int dirfd, const char *name, const char *data, size_t len, vz_error *err);

/* Replace @path atomically: write a temp file beside it, fsync, rename,
 * fsync the directory.  A crash leaves either the old or the new file. */
VZ_EXPORT int vz_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
				   vz_error *err);
/* vz_write_file_atomic without the fsyncs: atomic for every reader and
 * across a crash of vzd (the page cache survives it), not across a crash
 * of the host.  For state that describes the running kernel only (a
 * container's running marker), which a host crash ends anyway: the two
 * fsyncs cost about a millisecond per write. */
VZ_EXPORT int vz_write_file_replace(const char *path, const char *data, size_t len, mode_t mode,
				    vz_error *err);

/* mkdir -p: missing parents get 0755, @path itself @mode; existing
 * directories are fine and keep their mode. */
/* fsync the directory holding @path (after a rename or unlink in it). */
int vz_fsync_parent(const char *path);

VZ_EXPORT int vz_mkdir_p(const char *path, mode_t mode, vz_error *err);

/* rm -rf that does not cross mount points (a mounted VE_ROOT is refused). */
int vz_rm_rf(const char *path, vz_error *err);

VZ_EXPORT bool vz_path_exists(const char *path);
VZ_EXPORT bool vz_is_dir(const char *path);

/* Whether @path is a mount point in this mount namespace (mountinfo). */
int vz_is_mountpoint(const char *path, bool *ret, vz_error *err);

/* asprintf that aborts on OOM: a daemon that cannot allocate 100 bytes is
 * beyond saving, and checking every small string hides the real logic. */
VZ_EXPORT char *vz_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
VZ_EXPORT char *vz_xstrdup(const char *s);
VZ_EXPORT void *vz_xcalloc(size_t n, size_t size);
VZ_EXPORT void *vz_xrealloc(void *p, size_t size);

/* Monotonic time in milliseconds. */
VZ_EXPORT uint64_t vz_now_ms(void);

/* Full write/read loops that retry on EINTR. */
VZ_EXPORT int vz_write_all(int fd, const void *buf, size_t len);
VZ_EXPORT ssize_t vz_read_all(int fd, void *buf, size_t len);

/* Numeric field @field (1-based, as in proc(5); >= 3) of /proc/PID/stat:
 * 4 is the parent pid, 22 the start time.  -1 once the process is gone. */
int vz_proc_stat_field(pid_t pid, int field, unsigned long long *ret);

/* Run @argv (absolute path in argv[0]) and wait; stdout/stderr are captured
 * into @err's message on failure. */
int vz_run(char *const argv[], vz_error *err);

/* Join at most @n strings of @v with @sep between them; a NULL entry ends
 * @v (pass SIZE_MAX for a NULL-terminated vector).  Caller frees. */
VZ_EXPORT char *vz_strv_join(const char *const *v, size_t n, const char *sep);

/* Validate a CTID: decimal 1..2147483647 without leading zeros. */
VZ_EXPORT bool vz_ctid_valid(const char *s);

#endif
