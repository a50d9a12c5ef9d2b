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
 * is looked at, and what is of the host is listed in vz-extfd beside the
 * images (files declared external to CRIU), with what stands for it at
 * restore, here or on a migration's destination (--inherit-fd):
 *   - a pipe no process of the container reads (its reader is on the host),
 *     and the host's /dev/null or a character device like it: vz's
 *     /dev/null, read-write, so reads see end of file and writes succeed;
 *   - a regular file of the host: an unlinked file vz makes in VE_ROOT,
 *     owned by the container's root, with the mode and size CRIU recorded
 *     (CRIU checks both; mig_extfd_image_lookup reads them from files.img).
 *     The process writes on at its offset; the space counts against the
 *     container and is freed when the process closes it.  At the next dump
 *     that file is again one outside the container's mounts.
 * The processes keep running; what they write after the dump stays away
 * from the host.  A pipe the container reads from the host needs nothing:
 * CRIU restores it with the data it held, then end of file.
 *
 * Refused before CRIU runs, naming the process: a terminal of the host (CRIU
 * wants a live tty in its place, whose master someone would have to hold
 * for as long as the process lives), other files of the host (directories,
 * devices) and sockets of another network namespace (CRIU finds only the
 * container's). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/syscalls.h"
#include "lib/util.h"
#include "migrate/extfd.h"
#include "runtime/container.h"
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
	char *ids;	     /* "\nID KIND\n...": CRIU ids found and their stand-ins */
	mode_t devnull_mode; /* what vz hands over at restore */
	ino_t netns;	     /* the container's network namespace */
	dev_t ptsdev;	     /* the container's devpts: its ptys are CRIU's (or ttys.c's) */
	size_t n_ttys;	     /* terminals of the host found */
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

/* Record @id with what stands for it at restore (@kind: "null", "file" or
 * "tty"); @external: CRIU must be told (files and ttys, not pipes).  False
 * if it was recorded already. */
static bool add_id(struct scan *s, const char *id, const char *kind, bool external)
{
	cleanup_free char *line = vz_strdup_printf("\n%s %s\n", id, kind);
	char *next;

	if (strstr(s->ids, line))
		return false;
	next = vz_strdup_printf("%s%s %s\n", s->ids, id, kind);
	free(s->ids);
	s->ids = next;
	if (external) {
		argv_add(s->a, "--external");
		argv_add(s->a, "%s", id);
	}
	return true;
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
	if (is_tty(&st)) {
		if (st.st_dev == s->ptsdev)
			return 0; /* the container's own (an enter session's, after a restore) */
		/* Hung up (its master closed): CRIU dumps it but cannot restore it. */
		if (strstr(link, " (deleted)"))
			return refuse(pid, fd, link, "the closed terminal", err);
		snprintf(id, sizeof(id), "tty[%x:%x]", (unsigned)st.st_rdev, (unsigned)st.st_dev);
		if (add_id(s, id, "tty", true))
			s->n_ttys++;
		return 0;
	}
	if (st.st_mode != s->devnull_mode && !S_ISREG(st.st_mode))
		return refuse(pid, fd, link, "the file", err);
	snprintf(id, sizeof(id), "file[%x:%" PRIx64 "]", (unsigned)mnt_id, (uint64_t)st.st_ino);
	add_id(s, id, S_ISREG(st.st_mode) ? "file" : "null", true);
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

/* CRIU files every external tty under one record, so two terminals would
 * come back as one: the terminals of the host and an enter session's
 * (ttys.c) must be one in all. */
static int one_terminal(const struct vz_global_conf *g, const char *ctid, size_t n_ttys,
			vz_error *err)
{
	cleanup_free struct vz_session *v = NULL;
	size_t n = 0;

	if (vz_session_list(g, ctid, &v, &n, err) < 0)
		return -1;
	if (n_ttys + n > 1)
		return vz_fail(err, VZ_CHKPNT_ERROR,
			       "processes of container %s hold %zu terminals of the host%s; CRIU "
			       "can take one: stop the others or restart them with their stdio "
			       "redirected inside the container",
			       ctid, n_ttys, n ? " and an enter session is open" : "");
	return 0;
}

int mig_extfd_scan(const struct vz_global_conf *g, const char *ctid, pid_t init, const char *dir,
		   struct argv_buf *a, vz_error *err)
{
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	cleanup_free pid_t *pids = NULL;
	cleanup_free char *path = vz_strdup_printf("%s/" EXTFD_FILE, dir);
	cleanup_free char *netns = vz_strdup_printf("/proc/%d/ns/net", (int)init);
	cleanup_free char *pts = vz_strdup_printf("/proc/%d/root/dev/pts", (int)init);
	struct stat null_st, ns_st;
	struct scan s = {.a = a};
	size_t n = 0;
	int rc = -1;

	if (stat("/dev/null", &null_st) < 0 || stat(netns, &ns_st) < 0)
		return vz_fail_errno(err, VZ_CHKPNT_ERROR, "stat /dev/null and `%s`", netns);
	s.devnull_mode = null_st.st_mode;
	s.netns = ns_st.st_ino;
	if (stat(pts, &ns_st) == 0)
		s.ptsdev = ns_st.st_dev;
	s.ids = vz_xstrdup("\n");
	if (load_mounts(&s, init, err) < 0 || ct_cgroup(g, ctid, &cg, err) < 0 ||
	    cg->ops->procs(cg, &pids, &n, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (scan_pid(&s, pids[i], err) < 0)
			goto out;
	if (s.n_ttys && one_terminal(g, ctid, s.n_ttys, err) < 0)
		goto out;
	/* A pipe only written to from inside: its reader is on the host. */
	for (size_t i = 0; i < s.n_pipes; i++) {
		char id[48];
		if (s.pipes[i].read_end)
			continue;
		snprintf(id, sizeof(id), "pipe:[%" PRIu64 "]", (uint64_t)s.pipes[i].ino);
		add_id(&s, id, "null", false);
	}
	rc = vz_write_file_atomic(path, s.ids + 1, strlen(s.ids + 1), 0600, err);
out:
	free(s.mnts);
	free(s.pipes);
	free(s.ids);
	return rc < 0 ? vz_error_wrap(err, "scan the open files of container %s", ctid) : 0;
}

/* ---- CRIU's image of the files (files.img: protobuf file_entry) ---------- */

static bool pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *ret)
{
	uint64_t v = 0;

	for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
		unsigned char b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return true;
		}
	}
	return false;
}

/* The next field of a message: its number, wire type, and for a varint its
 * value, for a length-delimited field its bytes. */
struct pb_field {
	unsigned num, type;
	uint64_t v;
	const unsigned char *data;
};

static bool pb_next(const unsigned char **p, const unsigned char *end, struct pb_field *f)
{
	uint64_t key;

	if (*p >= end || !pb_varint(p, end, &key))
		return false;
	f->num = (unsigned)(key >> 3);
	f->type = (unsigned)(key & 7);
	switch (f->type) {
	case 0:
		return pb_varint(p, end, &f->v);
	case 1:
	case 5:
		f->v = f->type == 1 ? 8 : 4;
		break;
	case 2:
		if (!pb_varint(p, end, &f->v))
			return false;
		break;
	default:
		return false;
	}
	if (f->v > (uint64_t)(end - *p))
		return false;
	f->data = *p;
	*p += f->v;
	return true;
}

/* reg_file_entry: name = 6, size = 8, mode = 10. */
static bool reg_entry_match(const unsigned char *p, const unsigned char *end, const char *id,
			    uint32_t *ret_mode, bool *ret_has_size, uint64_t *ret_size)
{
	struct pb_field f;
	bool named = false, has_size = false;
	uint64_t size = 0, mode = 0;

	while (pb_next(&p, end, &f)) {
		if (f.num == 6 && f.type == 2)
			named = f.v == strlen(id) && !memcmp(f.data, id, f.v);
		else if (f.num == 8 && f.type == 0)
			has_size = true, size = f.v;
		else if (f.num == 10 && f.type == 0)
			mode = f.v;
	}
	if (!named)
		return false;
	*ret_mode = (uint32_t)mode;
	*ret_has_size = has_size;
	*ret_size = size;
	return true;
}

int mig_extfd_image_lookup(const unsigned char *buf, size_t len, const char *id, uint32_t *ret_mode,
			   bool *ret_has_size, uint64_t *ret_size)
{
	const unsigned char *p = buf, *end = buf + len;
	uint32_t magic, n;

	/* Two magics (CRIU's common one, then the image's), or one. */
	if (len < 4)
		return -1;
	memcpy(&magic, p, 4);
	p += magic == 0x54564319 ? 8 : 4;
	while (p + 4 <= end) {
		const unsigned char *entry_end, *q;
		struct pb_field f;

		memcpy(&n, p, 4);
		p += 4;
		if (n > (size_t)(end - p))
			return -1;
		entry_end = p + n;
		/* file_entry: reg = 3 */
		for (q = p; pb_next(&q, entry_end, &f);)
			if (f.num == 3 && f.type == 2 &&
			    reg_entry_match(f.data, f.data + f.v, id, ret_mode, ret_has_size,
					    ret_size))
				return 0;
		p = entry_end;
	}
	return -1;
}

/* An unlinked file in @root like the one CRIU dumped as @id: its mode, and
 * its size where CRIU checks it.  Made in the container's own file system,
 * owned by its root, so what the process writes counts against the
 * container and CRIU, restoring as container root, may reopen it. */
static int replacement_file(const unsigned char *img, size_t img_len, const char *id,
			    const char *root, uid_t uid, gid_t gid, int *ret_fd, vz_error *err)
{
	cleanup_close int fd = -1;
	uint32_t mode;
	uint64_t size;
	bool has_size;

	if (mig_extfd_image_lookup(img, img_len, id, &mode, &has_size, &size) < 0)
		return vz_fail(err, VZ_RESTORE_ERROR, "the images do not describe the file %s", id);
	fd = open(root, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* No O_TMPFILE on this file system: a name, gone at once. */
		cleanup_free char *tmpl = vz_strdup_printf("%s/.vz-extfd.XXXXXX", root);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	if (fd < 0)
		return vz_fail_errno(err, VZ_RESTORE_ERROR, "make a file in `%s` to stand for %s",
				     root, id);
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode & 07777) < 0 ||
	    (has_size && ftruncate(fd, (off_t)size) < 0))
		return vz_fail_errno(err, VZ_RESTORE_ERROR, "prepare the file standing for %s", id);
	*ret_fd = take_fd(&fd);
	return 0;
}

/* The keeper of a stand-in terminal: reads and drops what the restored
 * process writes, until no process holds the other end (read fails with
 * EIO).  A forked child of threaded vzd: system calls only. */
static void __attribute__((noreturn)) tty_keeper(int master)
{
	char buf[4096];
	ssize_t n;

	setsid();
	prctl(PR_SET_NAME, "vz-tty-keeper", 0, 0, 0);
	if (master != 0 && dup2(master, 0) < 0)
		_exit(1);
	close_range(1, ~0U, 0);
	while ((n = read(0, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	_exit(0);
}

/* A fresh pty of the host for a restored process that held a terminal of
 * the host: CRIU wants a live tty in its place.  Its master stays with a
 * keeper process (not in the container, so not dumped with it), which ends
 * when the process closes the tty or dies; at the next dump the tty is again
 * a live one of the host. */
static int tty_standin(const char *id, int *ret_fd, vz_error *err)
{
	cleanup_close int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), slave = -1;
	int unlock = 0;
	pid_t pid;

	if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
	    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return vz_fail_errno(err, VZ_RESTORE_ERROR, "open a pty to stand for %s", id);
	pid = vz_child_fork_unwaited();
	if (pid < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork the keeper of the pty for %s",
				     id);
	if (pid == 0)
		tty_keeper(master);
	*ret_fd = take_fd(&slave);
	return 0;
}

/* Hand @fd to CRIU (it inherits it) and keep it for mig_extfd_release. */
static int hold(struct argv_buf *a, struct mig_extfd_held *held, int fd, vz_error *err)
{
	if (held->n == VZ_ARRAY_SIZE(held->fd) || a->n_keep == VZ_ARRAY_SIZE(a->keep)) {
		close(fd);
		return vz_fail(err, VZ_RESTORE_ERROR,
			       "too many files of the host to stand in for (at most %zu)",
			       VZ_ARRAY_SIZE(held->fd));
	}
	held->fd[held->n++] = fd;
	a->keep[a->n_keep++] = fd;
	return 0;
}

void mig_extfd_release(struct mig_extfd_held *held)
{
	while (held->n)
		close(held->fd[--held->n]);
}

int mig_extfd_restore_args(struct argv_buf *a, const struct vz_ct_conf *c, const char *dir,
			   int null_fd, struct mig_extfd_held *held, vz_error *err)
{
	cleanup_free char *path = vz_strdup_printf("%s/" EXTFD_FILE, dir), *buf = NULL;
	cleanup_free char *img_path = vz_strdup_printf("%s/files.img", dir), *img = NULL;
	uid_t uid = c->privileged ? 0 : c->local_uid;
	gid_t gid = c->privileged ? 0 : c->local_gid;
	char *save = NULL;
	size_t len, img_len = 0;

	if (!vz_path_exists(path))
		return 0;
	if (vz_read_file(path, 1u << 20, &buf, &len, err) < 0)
		return -1;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *kind = strchr(l, ' ');
		int fd = null_fd;

		if (kind)
			*kind++ = '\0';
		if (kind && !strcmp(kind, "file")) {
			if (!img && vz_read_file(img_path, 256u << 20, &img, &img_len, err) < 0)
				return -1;
			if (replacement_file((const unsigned char *)img, img_len, l, c->ve_root,
					     uid, gid, &fd, err) < 0 ||
			    hold(a, held, fd, err) < 0)
				return -1;
		} else if (kind && !strcmp(kind, "tty")) {
			if (tty_standin(l, &fd, err) < 0 || hold(a, held, fd, err) < 0)
				return -1;
		}
		argv_add(a, "--inherit-fd");
		argv_add(a, "fd[%d]:%s", fd, l);
	}
	return 0;
}
