/* Host objects held open by a container's processes, across a checkpoint.
 *
 * `vzctl exec` hands the command vzctl's own stdin, stdout and stderr
 * (SCM_RIGHTS through vzd), so a process it leaves running (`vzctl exec 101
 * 'daemon &'`) keeps objects of the host: a pipe to a shell, the terminal
 * vzctl ran on, a log file or /dev/null of the host.  CRIU can dump none of
 * them as they are: a file or tty outside the container's mounts has no
 * path there, and a pipe whose reader is on the host would be restored with
 * no reader at all, so the process's next write would kill it (SIGPIPE).
 *
 * At dump time every descriptor of every process in the container's cgroup
 * is looked at.  Pipes that no process of the container reads (their reader
 * is on the host) and the host's /dev/null (or a character device like it)
 * are listed in vz-extfd beside the images, the files declared external to
 * CRIU.  At restore CRIU hands their holders a descriptor of vz's instead
 * (--inherit-fd): /dev/null, opened read-write, so reads see end of file and
 * writes succeed.  The processes keep running; what they write after the
 * dump goes nowhere.  A pipe the container reads from the host needs
 * nothing: CRIU restores it with the data it held, then end of file.
 *
 * Refused before CRIU runs, naming the process: a terminal of the host (CRIU
 * wants a live tty in its place, whose master someone would have to hold)
 * the host's regular files (CRIU wants one of the same size) and sockets of
 * another network namespace (CRIU finds only the container's). */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/syscalls.h"
#include "lib/util.h"
#include "migrate/extfd.h"
#include "runtime/internal.h"

#define EXTFD_FILE "vz-extfd"

struct pipe_seen {
	ino_t ino;
	bool read_end; /* some process of the container can read it */
};

struct scan {
	int *mnts; /* mount ids of the container's mount namespace */
	size_t n_mnts;
	struct pipe_seen *pipes;
	size_t n_pipes;
	char *ids; /* "\nID\nID\n...": CRIU ids found, one a line */
	mode_t devnull_mode; /* what vz hands over at restore */
	ino_t netns; /* the container's network namespace */
	struct argv_buf *a;
};

static int load_mounts(struct scan *s, pid_t init, vz_error *err)
{
	cleanup_free char *path = vz_strdup_printf("/proc/%d/mountinfo", (int)init), *buf = NULL;
	char *save = NULL;
	size_t len;

	if (vz_read_file(path, 16u << 20, &buf, &len, err) < 0)
		return -1;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		s->mnts = vz_xrealloc(s->mnts, (s->n_mnts + 1) * sizeof(*s->mnts));
		s->mnts[s->n_mnts++] = atoi(l);
	}
	return 0;
}

static bool container_mount(const struct scan *s, int mnt_id)
{
	for (size_t i = 0; i < s->n_mnts; i++)
		if (s->mnts[i] == mnt_id)
			return true;
	return false;
}

/* Access mode and mount id of /proc/PID/fdinfo/FD; false once it is gone. */
static bool fd_info(pid_t pid, const char *fd, unsigned *ret_flags, int *ret_mnt_id)
{
	cleanup_free char *path = vz_strdup_printf("/proc/%d/fdinfo/%s", (int)pid, fd);
	cleanup_free char *buf = NULL;
	char *p;
	size_t len;

	if (vz_read_file(path, 65536, &buf, &len, NULL) < 0)
		return false;
	*ret_flags = (p = strstr(buf, "flags:")) ? (unsigned)strtoul(p + 6, NULL, 8) : 0;
	*ret_mnt_id = (p = strstr(buf, "mnt_id:")) ? atoi(p + 7) : -1;
	return true;
}

/* The device numbers CRIU dumps as ttys (its is_tty()). */
static bool is_tty(const struct stat *st)
{
	unsigned maj = major(st->st_rdev);

	return S_ISCHR(st->st_mode) && (maj == 4 || maj == 5 || (maj >= 128 && maj <= 143));
}

static void add_id(struct scan *s, const char *id, bool external)
{
	cleanup_free char *line = vz_strdup_printf("\n%s\n", id);
	char *next;

	if (strstr(s->ids, line))
		return;
	next = vz_strdup_printf("%s%s\n", s->ids, id);
	free(s->ids);
	s->ids = next;
	if (external) {
		argv_add(s->a, "--external");
		argv_add(s->a, "%s", id);
	}
}

static void see_pipe(struct scan *s, ino_t ino, unsigned flags)
{
	bool reads = (flags & O_ACCMODE) != O_WRONLY;

	for (size_t i = 0; i < s->n_pipes; i++)
		if (s->pipes[i].ino == ino) {
			s->pipes[i].read_end |= reads;
			return;
		}
	s->pipes = vz_xrealloc(s->pipes, (s->n_pipes + 1) * sizeof(*s->pipes));
	s->pipes[s->n_pipes++] = (struct pipe_seen){.ino = ino, .read_end = reads};
}

/* A descriptor CRIU cannot restore in any form vz could hand over. */
static int refuse(pid_t pid, const char *fd, const char *link, const char *what, vz_error *err)
{
	char comm[64] = "?", path[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	vz_read_file_at(AT_FDCWD, path, comm, sizeof(comm), NULL);
	return vz_fail(err, VZ_CHKPNT_ERROR,
		       "process %d (%s) holds %s `%s` of the host on fd %s (the stdio of the "
		       "`vzctl exec` that started it?); restart it with its stdio redirected "
		       "inside the container or from a pipe",
		       (int)pid, comm, what, link, fd);
}

/* Whether socket @fd of @pid belongs to another network namespace than the
 * container's (a socket of the host, as vzctl's stdio may be). */
static bool foreign_socket(const struct scan *s, pid_t pid, const char *fd)
{
	cleanup_close int pidfd = vz_pidfd_open(pid, 0), sock = -1, ns = -1;
	struct stat st;

	if (pidfd < 0 || (sock = vz_pidfd_getfd(pidfd, atoi(fd), 0)) < 0 ||
	    (ns = ioctl(sock, SIOCGSKNS)) < 0 || fstat(ns, &st) < 0)
		return false; /* gone, or not a network socket: CRIU decides */
	return st.st_ino != s->netns;
}

static int scan_fd(struct scan *s, pid_t pid, const char *fd, vz_error *err)
{
	cleanup_free char *path = vz_strdup_printf("/proc/%d/fd/%s", (int)pid, fd);
	char link[PATH_MAX] = "", id[96];
	struct stat st;
	unsigned flags;
	int mnt_id;

	if (stat(path, &st) < 0 || readlink(path, link, sizeof(link) - 1) < 0 ||
	    !fd_info(pid, fd, &flags, &mnt_id))
		return 0; /* closed meanwhile */
	if (S_ISFIFO(st.st_mode) && !strncmp(link, "pipe:[", 6)) {
		see_pipe(s, st.st_ino, flags);
		return 0;
	}
	if (S_ISSOCK(st.st_mode) && foreign_socket(s, pid, fd))
		return refuse(pid, fd, link, "the socket", err);
	/* Only objects with a path can be outside the container's mounts;
	 * sockets, anonymous inodes, memfds and namespace files live on
	 * internal kernel mounts that CRIU handles by type. */
	if (link[0] != '/' || !strncmp(link, "/memfd:", 7) || container_mount(s, mnt_id))
		return 0;
	/* CRIU checks what it is handed against the dumped file: a tty must
	 * get a live tty (whose master someone holds), a regular file one of
	 * the same size.  /dev/null passes only for character devices like it. */
	if (is_tty(&st))
		return refuse(pid, fd, link, "the terminal", err);
	if (st.st_mode != s->devnull_mode)
		return refuse(pid, fd, link, "the file", err);
	snprintf(id, sizeof(id), "file[%x:%" PRIx64 "]", (unsigned)mnt_id, (uint64_t)st.st_ino);
	add_id(s, id, true);
	return 0;
}

static int scan_pid(struct scan *s, pid_t pid, vz_error *err)
{
	cleanup_free char *path = vz_strdup_printf("/proc/%d/fd", (int)pid);
	cleanup_closedir DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && scan_fd(s, pid, de->d_name, err) < 0)
			return -1;
	return 0;
}

int mig_extfd_scan(const struct vz_global_conf *g, const char *ctid, pid_t init, const char *dir,
		   struct argv_buf *a, vz_error *err)
{
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	cleanup_free pid_t *pids = NULL;
	cleanup_free char *path = vz_strdup_printf("%s/" EXTFD_FILE, dir);
	cleanup_free char *netns = vz_strdup_printf("/proc/%d/ns/net", (int)init);
	struct stat null_st, ns_st;
	struct scan s = {.a = a};
	size_t n = 0;
	int rc = -1;

	if (stat("/dev/null", &null_st) < 0 || stat(netns, &ns_st) < 0)
		return vz_fail_errno(err, VZ_CHKPNT_ERROR, "stat /dev/null and `%s`", netns);
	s.devnull_mode = null_st.st_mode;
	s.netns = ns_st.st_ino;
	s.ids = vz_xstrdup("\n");
	if (load_mounts(&s, init, err) < 0 || ct_cgroup(g, ctid, &cg, err) < 0 ||
	    cg->ops->procs(cg, &pids, &n, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (scan_pid(&s, pids[i], err) < 0)
			goto out;
	/* A pipe only written to from inside: its reader is on the host. */
	for (size_t i = 0; i < s.n_pipes; i++) {
		char id[48];
		if (s.pipes[i].read_end)
			continue;
		snprintf(id, sizeof(id), "pipe:[%" PRIu64 "]", (uint64_t)s.pipes[i].ino);
		add_id(&s, id, false);
	}
	rc = vz_write_file_atomic(path, s.ids + 1, strlen(s.ids + 1), 0600, err);
out:
	free(s.mnts);
	free(s.pipes);
	free(s.ids);
	return rc < 0 ? vz_error_wrap(err, "scan the open files of container %s", ctid) : 0;
}

int mig_extfd_restore_args(struct argv_buf *a, const char *dir, int fd, vz_error *err)
{
	cleanup_free char *path = vz_strdup_printf("%s/" EXTFD_FILE, dir), *buf = NULL;
	char *save = NULL;
	size_t len;

	if (!vz_path_exists(path))
		return 0;
	if (vz_read_file(path, 1u << 20, &buf, &len, err) < 0)
		return -1;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		argv_add(a, "--inherit-fd");
		argv_add(a, "fd[%d]:%s", fd, l);
	}
	return 0;
}
