/* Post-copy memory migration: CRIU lazy pages over userfaultfd.
 *
 * The source runs `criu dump --lazy-pages`: it writes every image but the
 * memory of private anonymous mappings, then serves those pages on a
 * 127.0.0.1 port while the tree stays frozen.  The destination runs
 * `criu lazy-pages --page-server` (a daemon that receives the
 * userfaultfds of the restored processes and fetches each page, on a fault
 * first, then all the rest in the background) and `criu restore
 * --lazy-pages`; the container runs there as soon as the restore returns,
 * so the frozen time does not grow with the memory.  The daemon's TCP
 * connection goes to a local socket of the receiver, whose bytes travel
 * as a multiplexed stream (mux.c) of the ssh channel to a connection to the
 * dump's page server: nothing but the channel crosses the network.
 *
 * The commit point is CRIU's: the dump returns success (and kills the
 * tree) only after the daemon asked for the last page and said goodbye;
 * if the stream breaks first, the dump fails, resumes the tree and unlocks
 * its network, and the destination kills its incomplete copy. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/syscalls.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/criu.h"
#include "migrate/migrate-lazy.h"
#include "migrate/migrate.h"
#include "runtime/internal.h"

#define PIPE_MAX_PATH "/proc/sys/fs/pipe-max-size"
#define UFFD_PATH     "/proc/sys/vm/unprivileged_userfaultfd"
/* CRIU 4.x: PIPE_MAX_SIZE (819) pages for the page reader's tee pipe. */
#define CRIU_TEE_PIPE (819u * 4096u)
#define PIPE_MAX_WANT (4u << 20)

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static long pipe_max(void)
{
	return read_long(PIPE_MAX_PATH);
}

static int write_long(const char *path, long v)
{
	char val[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), len = snprintf(val, sizeof(val), "%ld\n", v);
	int rc = fd >= 0 && write(fd, val, (size_t)len) == len ? 0 : -1, e = errno;

	if (fd >= 0)
		close(fd);
	errno = e;
	return rc;
}

/* The restored processes open their userfaultfd themselves, inside the
 * container's user namespace, where only vm.unprivileged_userfaultfd=1
 * allows it (CRIU asks for kernel-mode faults too).  It is raised only
 * while lazy restores run, and put back after the last one: the
 * descriptors stay valid. */
static pthread_mutex_t uffd_lock = PTHREAD_MUTEX_INITIALIZER;
static int uffd_users;
static long uffd_saved = -1;

static int uffd_allow(vz_error *err)
{
	int rc = 0;

	pthread_mutex_lock(&uffd_lock);
	if (uffd_users == 0) {
		uffd_saved = read_long(UFFD_PATH);
		if (uffd_saved == 0 && write_long(UFFD_PATH, 1) < 0)
			rc = vz_fail_errno(err, VZ_SYSTEM_ERROR,
					   "allow userfaultfd in the container's user namespace "
					   "(%s)",
					   UFFD_PATH);
	}
	if (rc == 0)
		uffd_users++;
	pthread_mutex_unlock(&uffd_lock);
	return rc;
}

static void uffd_release(void)
{
	pthread_mutex_lock(&uffd_lock);
	if (--uffd_users == 0 && uffd_saved == 0)
		write_long(UFFD_PATH, 0);
	pthread_mutex_unlock(&uffd_lock);
}

char *mig_postcopy_blocker(const struct vz_global_conf *g)
{
	struct vz_criu_info ci;
	char *why;

	vz_criu_info(g, &ci, NULL);
	why = steal_pointer(&ci.postcopy_blocker);
	vz_criu_info_free(&ci);
	return why;
}

char *mig_postcopy_blocker_of(const struct vz_global_conf *g, const struct vz_criu_info *i)
{
	const struct vz_criu_info ci = *i;
	char *why = NULL;
	long max = pipe_max();

	if (!ci.version || !ci.check_ok)
		why = vz_strdup_printf("CRIU `%s` is not usable", g->criu);
	else if (!ci.lazy_pages)
		why = vz_xstrdup("no userfaultfd (`criu check --feature uffd-noncoop` fails)");
	else if (max < (long)CRIU_TEE_PIPE && access(PIPE_MAX_PATH, W_OK) < 0)
		why = vz_strdup_printf("fs.pipe-max-size is %ld, CRIU needs %u and it cannot be "
				       "raised here",
				       max, CRIU_TEE_PIPE);
	else if (read_long(UFFD_PATH) == 0 && access(UFFD_PATH, W_OK) < 0)
		why = vz_xstrdup("vm.unprivileged_userfaultfd is 0 and cannot be raised here "
				 "(a container's processes open their own userfaultfd)");
	return why;
}

int mig_postcopy_prepare(vz_error *err)
{
	if (pipe_max() >= (long)CRIU_TEE_PIPE)
		return 0;
	/* Without it CRIU's page server fails at the first request with
	 * `page-pipe: splice: -1: Bad file descriptor` (its F_SETPIPE_SZ fails
	 * with EPERM, unchecked, and the sink stays -1). */
	if (write_long(PIPE_MAX_PATH, PIPE_MAX_WANT) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "raise %s to %u for CRIU's lazy pages",
				     PIPE_MAX_PATH, PIPE_MAX_WANT);
	return 0;
}

static int local_socket(int port, bool listening, vz_error *err)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "socket");
	if (listening ? bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, 1) < 0
		      : connect(fd, (struct sockaddr *)&a, len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "%s 127.0.0.1:%d",
				     listening ? "listen on" : "connect to", port);
	}
	return fd;
}

static int bound_port(int fd, vz_error *err)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "getsockname");
	return ntohs(a.sin_port);
}

int mig_free_port(vz_error *err)
{
	int fd = local_socket(0, true, err), port;

	if (fd < 0)
		return -1;
	port = bound_port(fd, err);
	close(fd);
	return port;
}

int mig_lazy_send(struct mig_chan *c, int port, pid_t dump, bool *ret_gone, vz_error *err)
{
	struct mig_stream st = {.fd = local_socket(port, false, err), .listen_fd = -1};
	int status = 0, rc = -1;

	*ret_gone = false;
	if (st.fd < 0) {
		/* Not serving: it cannot have resumed anything yet. */
		kill(dump, SIGKILL);
		vz_child_wait(dump, &status, -1);
		return -1;
	}
	rc = mig_pump(c, &st, 1, err);
	/* A reset before the last page makes CRIU fail the transfer and
	 * resume the tree (a FIN would look like a finished transfer; the
	 * destination sends one only when its daemon has every page). */
	mig_close_reset(st.fd);
	if (vz_child_wait(dump, &status, -1) < 0)
		return rc < 0 ? -1 : vz_fail_errno(err, VZ_SYSTEM_ERROR, "wait for criu dump");
	*ret_gone = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return rc;
}

void mig_lazy_send_abort(int port, pid_t dump)
{
	int fd = local_socket(port, false, NULL), status;

	if (fd < 0)
		kill(dump, SIGKILL);
	else
		mig_close_reset(fd);
	vz_child_wait(dump, &status, -1);
}

/* Destination: the restore and the daemon, on a thread beside the pump. */
struct lazy_in {
	const struct vz_global_conf *g;
	const char *ctid, *dumpdir;
	char *log;
	int port, release; /* release: the pump's eventfd (mux.c) */
	pid_t daemon;
	uint64_t t0, restored_ms;
	bool restored, complete, done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	vz_error err;
};

static pid_t spawn_daemon(struct lazy_in *l, vz_error *err)
{
	struct argv_buf a = {0};
	pid_t pid;

	argv_add(&a, "%s", l->g->criu);
	argv_add(&a, "lazy-pages");
	argv_add(&a, "--page-server");
	argv_add(&a, "--address=127.0.0.1");
	argv_add(&a, "--port=%d", l->port);
	argv_add(&a, "--images-dir=%s", l->dumpdir);
	argv_add(&a, "--log-file=%s", l->log);
	argv_add(&a, "-v4");
	pid = criu_spawn_ready(&a, l->log, VZ_RESTORE_ERROR, err);
	argv_free(&a);
	return pid;
}

static void *restore_thread(void *data)
{
	struct lazy_in *l = data;
	struct vz_restore_opts ro = {.dumpdir = l->dumpdir,
				     .stage = VZ_CPT_ALL,
				     .lazy_addr = "127.0.0.1",
				     .lazy_port = l->port};
	int status = 0, rc = uffd_allow(&l->err);

	if (rc == 0) {
		rc = vz_ct_restore(l->g, l->ctid, &ro, &l->err);
		uffd_release();
	}
	if (rc == 0) {
		l->restored = true;
		l->restored_ms = vz_now_ms() - l->t0;
		if (mig_fault("pages", &l->err) < 0)
			kill(l->daemon, SIGKILL);
	} else {
		kill(l->daemon, SIGKILL);
	}
	if (vz_child_wait(l->daemon, &status, -1) == 0 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0)
		l->complete = l->restored;
	else if (l->restored) {
		cleanup_free char *why = criu_log_errors(l->log);
		vz_fail(&l->err, VZ_RESTORE_ERROR, "criu lazy-pages failed%s%s; log `%s`",
			*why ? ": " : "", why, l->log);
	}
	{
		/* The daemon's close reaches the source's CRIU as a clean EOF
		 * (done) only now that it is known to have every page; else as
		 * a reset, and that CRIU resumes the tree there. */
		uint64_t v = l->complete ? 1 : 2;
		(void)!write(l->release, &v, sizeof(v));
	}
	pthread_mutex_lock(&l->lock);
	l->done = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* The stream failed: stop the daemon, and a restore stuck waiting for it
 * (CRIU's restore can hang when its daemon dies) with the container's
 * processes, unless every page had arrived. */
static void stop_restore(struct lazy_in *l)
{
	struct timespec ts;
	int rc = 0;

	kill(l->daemon, SIGKILL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 15;
	pthread_mutex_lock(&l->lock);
	while (!l->done && rc == 0)
		rc = pthread_cond_timedwait(&l->cond, &l->lock, &ts);
	pthread_mutex_unlock(&l->lock);
	if (!l->done) {
		cleanup_cgroup struct vz_cgroup *cg = NULL;
		if (ct_cgroup(l->g, l->ctid, &cg, NULL) == 0)
			cg->ops->kill(cg, NULL);
	}
}

int mig_lazy_restore_in(struct mig_chan *c, const struct vz_global_conf *g, const char *ctid,
			const char *dumpdir, uint64_t *ret_restored_ms, bool *ret_complete,
			vz_error *err)
{
	struct lazy_in l = {.g = g, .ctid = ctid, .dumpdir = dumpdir, .t0 = vz_now_ms()};
	struct mig_stream st = {.fd = -1, .listen_fd = -1};
	pthread_t th;
	int rc;

	*ret_complete = false;
	if (mig_postcopy_prepare(err) < 0)
		return -1;
	st.listen_fd = local_socket(0, true, err);
	if (st.listen_fd < 0)
		return -1;
	l.port = bound_port(st.listen_fd, err);
	l.log = vz_strdup_printf("%s/vz-lazy.log", dumpdir);
	l.release = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	st.release_fd = l.release;
	if (l.port < 0 || l.release < 0 || (l.daemon = spawn_daemon(&l, err)) < 0) {
		if (l.release < 0)
			vz_fail_errno(err, VZ_RESOURCE_ERROR, "eventfd");
		close(st.listen_fd);
		if (l.release >= 0)
			close(l.release);
		free(l.log);
		return -1;
	}
	pthread_mutex_init(&l.lock, NULL);
	pthread_cond_init(&l.cond, NULL);
	if (pthread_create(&th, NULL, restore_thread, &l) != 0) {
		kill(l.daemon, SIGKILL);
		vz_child_wait(l.daemon, &rc, -1);
		close(st.listen_fd);
		close(l.release);
		free(l.log);
		return vz_fail(err, VZ_RESOURCE_ERROR, "cannot start a thread");
	}
	rc = mig_pump(c, &st, 1, err);
	if (rc < 0)
		stop_restore(&l);
	pthread_join(th, NULL);
	if (st.fd >= 0)
		close(st.fd);
	if (st.listen_fd >= 0)
		close(st.listen_fd);
	close(l.release);
	pthread_mutex_destroy(&l.lock);
	pthread_cond_destroy(&l.cond);
	free(l.log);
	*ret_complete = l.complete;
	*ret_restored_ms = l.restored_ms;
	if (rc < 0)
		return -1;
	if (!l.complete) {
		if (err)
			*err = l.err;
		return -1;
	}
	return 0;
}

/* ---- after a failed lazy transfer ------------------------------------ */

#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#endif

/* Take every TCP socket of @pid out of repair mode (a no-op for one that
 * is not in it). */
static void tcp_repair_off(pid_t pid)
{
	cleanup_free char *dir = vz_strdup_printf("/proc/%d/fd", (int)pid);
	cleanup_closedir DIR *d = opendir(dir);
	int pidfd = vz_pidfd_open(pid, 0), off = 0, proto;
	socklen_t len = sizeof(proto);
	struct dirent *de;

	while (pidfd >= 0 && d && (de = readdir(d))) {
		char link[64] = "";
		int fd;
		if (readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1) < 0 ||
		    strncmp(link, "socket:", 7))
			continue;
		fd = (int)syscall(__NR_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		if (fd < 0)
			continue;
		len = sizeof(proto);
		if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) == 0 &&
		    proto == IPPROTO_TCP)
			setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
		close(fd);
	}
	if (pidfd >= 0)
		close(pidfd);
}

/* Delete the nftables tables CRIU's network lock left ("CRIU-PID") in the
 * network namespace of @pid. */
static void drop_criu_tables(pid_t pid)
{
	cleanup_free char *target = vz_strdup_printf("--target=%d", (int)pid), *out = NULL;
	char *list[] = {"/usr/bin/nsenter", target, "--net", "nft", "list", "tables", NULL};
	char *save = NULL;
	bool ok = false;

	out = mig_capture(list, &ok);
	for (char *l = out ? strtok_r(out, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char fam[16], name[64];
		if (sscanf(l, "table %15s %63s", fam, name) != 2 || strncmp(name, "CRIU-", 5))
			continue;
		char *del[] = {
		    "/usr/bin/nsenter", target, "--net", "nft", "delete", "table", fam, name, NULL};
		free(mig_capture(del, &ok));
	}
}

void mig_lazy_unlock(const struct vz_global_conf *g, const char *ctid)
{
	cleanup_cgroup struct vz_cgroup *cg = NULL;
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	if (ct_cgroup(g, ctid, &cg, NULL) < 0 || cg->ops->procs(cg, &pids, &n, NULL) < 0 || !n)
		return;
	drop_criu_tables(pids[0]);
	for (size_t i = 0; i < n; i++)
		tcp_repair_off(pids[i]);
}
