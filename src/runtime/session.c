/* Pty sessions of `vzctl enter`: who holds the master, how a client
 * attaches, and the records that checkpoints read (see container.h).
 *
 * The session's processes live in the container (spawn.c reparents the
 * shell to the container's init), so CRIU dumps them with the rest of the
 * tree; only the pty master stays outside.  It is held by a small holder
 * process per session, forked by vzd (not in the container's cgroup, so a
 * dump never sees it) and independent of it, so a restarted vzd changes
 * nothing.  The holder listens on an abstract unix socket (autobound name,
 * root peers only) and hands the master to one client at a time:
 *
 *   client --"A"--> holder --"Y" + master (SCM_RIGHTS)--> client   attach
 *   client --"A"--> holder --"B"--> client                         busy
 *   client --"Q"--> holder --"a" | "d"--> client                   query
 *
 * The attached client keeps its connection for as long as it relays; when
 * it closes (vzctl ended, its terminal went away) the holder closes the
 * master, which hangs the session up as closing vzctl's terminal always
 * did.  When the last slave closes (the session ended, or the container was
 * checkpointed and killed) the holder exits.  A session that nobody has
 * attached yet (a restored one) waits, detached, for `vzctl attach`.
 *
 * Records: RUN_DIR/CTID.sessions/ID.HOLDER_PID, "HOLDER_PID NAME RDEV DEV", where ID
 * is the pty's index in the container's devpts (/dev/pts/ID) and RDEV:DEV
 * identify the slave as CRIU names it (tty[RDEV:DEV]). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/fdpass.h"
#include "lib/util.h"
#include "runtime/container.h"
#include "runtime/internal.h"

#define NAME_MAX_LEN  32
#define IO_TIMEOUT_MS 5000

static char *sessions_dir(const struct vz_global_conf *g, const char *ctid)
{
	return vz_strdup_printf("%s/%s.sessions", g->run_dir, ctid);
}

/* A record is named ID.HOLDER: after a restore the old holder of the same
 * pty index may still be on its way out, and must remove only its own. */
static char *record_path(const struct vz_global_conf *g, const char *ctid, const char *name)
{
	return vz_strdup_printf("%s/%s.sessions/%s", g->run_dir, ctid, name);
}

static bool record_id(const char *name, int *ret_id)
{
	int id, pid, n = 0;

	if (sscanf(name, "%d.%d%n", &id, &pid, &n) != 2 || name[n] || id < 0)
		return false;
	*ret_id = id;
	return true;
}

/* ---- the holder (a forked child of threaded vzd: system calls only) ---- */

static bool peer_is_root(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == 0;
}

/* Serve one connection; returns it if it became the attached client. */
static int holder_serve(int conn, int master, bool attached)
{
	struct pollfd p = {.fd = conn, .events = POLLIN};
	struct iovec iov;
	char op = 0, reply;

	if (!peer_is_root(conn) || poll(&p, 1, IO_TIMEOUT_MS) != 1 || read(conn, &op, 1) != 1) {
		close(conn);
		return -1;
	}
	if (op == 'A' && !attached) {
		reply = 'Y';
		iov = (struct iovec){.iov_base = &reply, .iov_len = 1};
		if (vz_sendmsg_fds(conn, &iov, 1, &master, 1) == 1)
			return conn;
	} else {
		reply = op == 'A' ? 'B' : attached ? 'a' : 'd';
		iov = (struct iovec){.iov_base = &reply, .iov_len = 1};
		vz_sendmsg_fds(conn, &iov, 1, NULL, 0);
	}
	close(conn);
	return -1;
}

/* Move @fds[] to 3, 4, ... and close everything else: nothing of vzd's
 * stays open (its clients must see EOF when vzd closes them). */
static void keep_only(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			fds[i] = fcntl(fds[i], F_DUPFD, 100);
	for (int i = 0; i < n; i++)
		fds[i] = fds[i] >= 0 ? dup2(fds[i], 3 + i) : (close(3 + i), -1);
	close_range(0, 2, 0);
	close_range(3 + (unsigned)n, ~0U, 0);
}

/* Append the decimal @v to @buf (of @size, NUL-terminated): no stdio in a
 * forked child of vzd. */
static void append_uint(char *buf, size_t size, unsigned v)
{
	char digits[16];
	size_t len = strlen(buf), n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(digits));
	while (n && len + 1 < size)
		buf[len++] = digits[--n];
	buf[len] = '\0';
}

static void __attribute__((noreturn))
holder_main(int master, int lsock, int client, char *record, size_t record_size)
{
	int fds[3] = {master, lsock, client};

	/* Its own session: nothing aimed at vzd's process group reaches it. */
	setsid();
	append_uint(record, record_size, (unsigned)getpid());
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	keep_only(fds, 3);
	master = fds[0];
	lsock = fds[1];
	client = fds[2];
	for (;;) {
		/* The master is polled for nothing but hang-up: its data is the
		 * attached client's to read. */
		struct pollfd p[3] = {{.fd = master},
				      {.fd = lsock, .events = POLLIN},
				      {.fd = client, .events = POLLIN}};
		char c;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & (POLLHUP | POLLERR))
			break; /* no slave left: the session is over */
		if (p[2].revents && read(client, &c, 1) <= 0)
			break; /* the client left: hang the session up */
		if (p[1].revents & POLLIN) {
			int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
			if (conn >= 0 && (conn = holder_serve(conn, master, client >= 0)) >= 0)
				client = conn;
		}
	}
	/* The record goes before the master: the pty index (the session id)
	 * cannot be reused while we still hold it. */
	unlink(record);
	/* The last holder of a stopped container removes the directory too
	 * (not empty: other sessions still run). */
	char *slash = strrchr(record, '/');
	if (slash) {
		*slash = '\0';
		rmdir(record);
	}
	_exit(0);
}

/* ---- records ------------------------------------------------------------ */

static int write_record(const struct vz_global_conf *g, const char *ctid,
			const struct vz_session *s, const char *name, vz_error *err)
{
	cleanup_free char *dir = sessions_dir(g, ctid);
	cleanup_free char *path = vz_strdup_printf("%s/%d.%d", dir, s->id, (int)s->holder);
	char buf[128];
	int n =
	    snprintf(buf, sizeof(buf), "%d %s %llx %llx\n", (int)s->holder, name, s->rdev, s->dev);

	if (vz_mkdir_p(dir, 0700, err) < 0)
		return -1;
	if (vz_write_file_atomic(path, buf, (size_t)n, 0600, NULL) == 0)
		return 0;
	/* The last holder of an ending session may have removed the empty
	 * directory in between: once more. */
	if (vz_mkdir_p(dir, 0700, err) < 0)
		return -1;
	return vz_write_file_atomic(path, buf, (size_t)n, 0600, err);
}

static int read_record(const struct vz_global_conf *g, const char *ctid, const char *file,
		       struct vz_session *ret, char name[NAME_MAX_LEN])
{
	cleanup_free char *path = record_path(g, ctid, file), *buf = NULL;
	size_t len;
	int pid, id;

	if (!record_id(file, &id) || vz_read_file(path, 4096, &buf, &len, NULL) < 0)
		return -1;
	*ret = (struct vz_session){.id = id};
	if (sscanf(buf, "%d %31s %llx %llx", &pid, name, &ret->rdev, &ret->dev) != 4)
		return -1;
	ret->holder = pid;
	return 0;
}

/* Connect to the holder of session @id and send @op; the connection, or -1
 * (no such holder: its record is stale and goes). */
static int holder_connect(const struct vz_global_conf *g, const char *ctid, const char *file,
			  char op, struct vz_session *ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[NAME_MAX_LEN];
	cleanup_close int fd = -1;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	size_t n;

	if (read_record(g, ctid, file, ret, name) < 0)
		return -1;
	n = strlen(name);
	if (n + 1 > sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path + 1, name, n);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A holder that is gone, or a name somebody else took since: stale.
	 * (SO_PEERCRED names whoever called listen(), vzd, so only the uid
	 * tells: abstract names are open to every user.) */
	if (connect(fd, (struct sockaddr *)&sa,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0 ||
	    write(fd, &op, 1) != 1) {
		cleanup_free char *path = record_path(g, ctid, file);
		unlink(path);
		return -1;
	}
	return take_fd(&fd);
}

static int recv_reply(int fd, char *ret, int *ret_fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct iovec iov = {.iov_base = ret, .iov_len = 1};
	size_t n = 0;

	*ret_fd = -1;
	if (poll(&p, 1, IO_TIMEOUT_MS) != 1 || vz_recvmsg_fds(fd, &iov, 1, ret_fd, 1, &n) != 1)
		return -1;
	return 0;
}

/* ---- public ------------------------------------------------------------- */

/* After a stop: the holders exit with the container and remove their
 * records; the directory goes with the last (rmdir leaves a directory a
 * holder on its way out still writes in). */
void ct_sessions_cleanup(const struct vz_global_conf *g, const char *ctid)
{
	cleanup_free char *dir = sessions_dir(g, ctid);

	rmdir(dir);
}


int vz_session_start(const struct vz_global_conf *g, const char *ctid, int master, int *ret_conn,
		     struct vz_session *ret, vz_error *err)
{
	int sp[2] = {-1, -1};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t salen = sizeof(sa);
	cleanup_close int lsock = -1, slave = -1;
	cleanup_free char *record = NULL;
	char name[NAME_MAX_LEN];
	struct vz_session s = {0};
	size_t record_size;
	struct stat st;
	int index;
	pid_t pid;

	if (ioctl(master, TIOCGPTN, &index) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "not a pty master");
	/* The slave as CRIU will see it in the session's descriptors. */
	slave = ioctl(master, TIOCGPTPEER, O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 || fstat(slave, &st) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open pty %d's slave", index);
	s.id = index;
	s.rdev = (unsigned long long)st.st_rdev;
	s.dev = (unsigned long long)st.st_dev;
	lsock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	/* Autobind: the kernel picks a free abstract name. */
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof(sa_family_t)) < 0 ||
	    listen(lsock, 8) < 0 || getsockname(lsock, (struct sockaddr *)&sa, &salen) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "session socket");
	snprintf(name, sizeof(name), "%.*s",
		 (int)(salen - offsetof(struct sockaddr_un, sun_path) - 1), sa.sun_path + 1);
	/* A client attached from the start (enter): a session that ends at
	 * once still has its output read, and is never seen detached. */
	if (ret_conn && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "session socket pair");
	/* The holder appends its pid: room for it. */
	record = vz_strdup_printf("%s/%s.sessions/%d.%*s", g->run_dir, ctid, index, 16, "");
	record_size = strlen(record) + 1;
	record[record_size - 17] = '\0';
	pid = vz_child_fork_unwaited();
	if (pid == 0)
		holder_main(master, lsock, sp[1], record, record_size);
	if (sp[1] >= 0)
		close(sp[1]);
	if (pid < 0) {
		vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork a session holder");
		goto fail;
	}
	s.holder = pid;
	if (write_record(g, ctid, &s, name, err) < 0) {
		kill(pid, SIGKILL);
		vz_error_wrap(err, "session %d of container %s", index, ctid);
		goto fail;
	}
	if (ret)
		*ret = s;
	if (ret_conn)
		*ret_conn = sp[0];
	return 0;
fail:
	if (sp[0] >= 0)
		close(sp[0]);
	return -1;
}

int vz_session_attach(const struct vz_global_conf *g, const char *ctid, int id, int *ret_master,
		      int *ret_conn, vz_error *err)
{
	cleanup_free char *dir = sessions_dir(g, ctid);
	cleanup_closedir DIR *d = opendir(dir);
	cleanup_close int fd = -1;
	struct vz_session s;
	struct dirent *de;
	int master = -1, rid;
	char reply;

	while (fd < 0 && d && (de = readdir(d)))
		if (record_id(de->d_name, &rid) && rid == id)
			fd = holder_connect(g, ctid, de->d_name, 'A', &s);
	if (fd < 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "container %s has no session %d",
			       ctid, id);
	if (recv_reply(fd, &reply, &master) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR,
				     "no answer from session %d of container %s", id, ctid);
	if (reply == 'B')
		return vz_fail(err, VZ_LOCKED, "session %d of container %s is attached elsewhere",
			       id, ctid);
	if (reply != 'Y' || master < 0) {
		if (master >= 0)
			close(master);
		return vz_fail(err, VZ_SYSTEM_ERROR, "session %d of container %s sent no pty", id,
			       ctid);
	}
	*ret_master = master;
	*ret_conn = take_fd(&fd);
	return 0;
}

static int cmp_session(const void *a, const void *b)
{
	return ((const struct vz_session *)a)->id - ((const struct vz_session *)b)->id;
}

int vz_session_list(const struct vz_global_conf *g, const char *ctid, struct vz_session **ret,
		    size_t *ret_n, vz_error *err)
{
	cleanup_free char *dir = sessions_dir(g, ctid);
	cleanup_closedir DIR *d = opendir(dir);
	cleanup_free struct vz_session *v = NULL;
	struct dirent *de;
	size_t n = 0;

	(void)err;
	while (d && (de = readdir(d))) {
		struct vz_session s;
		int fd, none, id;
		char reply;

		if (!record_id(de->d_name, &id))
			continue;
		fd = holder_connect(g, ctid, de->d_name, 'Q', &s);
		if (fd < 0)
			continue;
		if (recv_reply(fd, &reply, &none) == 0) {
			s.attached = reply == 'a';
			v = vz_xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = s;
		}
		if (none >= 0)
			close(none);
		close(fd);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_session);
	*ret = steal_pointer(&v);
	*ret_n = n;
	return 0;
}
