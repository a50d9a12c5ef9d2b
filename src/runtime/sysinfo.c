/* sysinfo() from inside a container: the container's memory, swap, process
 * count and uptime instead of the host's.
 *
 * lxcfs covers /proc files; sysinfo(2) is a system call, so it is caught
 * with a seccomp user-notification filter (SCMP_ACT_NOTIFY on sysinfo only,
 * stacked on whatever else is loaded) installed by the container's init and
 * by every process `vzctl exec`/`enter` starts, right before exec.  Each
 * sends its listener descriptor to one helper per container,
 * "vz-sysinfo CTID", which answers from the container's cgroup and writes
 * the result into the caller's memory.
 *
 * The helper is started by vzd at container start but does not depend on
 * it (a vzd restart changes nothing); it listens on VZ_RUN_DIR/CTID.sysinfo
 * and ends when the init's listener hangs up (the container is gone).  If
 * the helper is killed, listeners close and the kernel fails sysinfo() with
 * ENOSYS inside: the one way this can hurt, so the helper does nothing but
 * this.  A process whose filter cannot be installed (old kernel, helper not
 * running) simply sees the host's figures. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/fdpass.h"
#include "lib/util.h"
#include "runtime/internal.h"
#include "runtime/security.h"
#include "runtime/sysinfo.h"

#define MAX_LISTENERS 64
/* Until the init's listener arrives; a start that failed earlier never sends it. */
#define FIRST_LISTENER_TIMEOUT_MS 60000

static char *socket_path(const struct vz_global_conf *g, const char *ctid)
{
	return vz_strdup_printf("%s/%s.sysinfo", g->run_dir, ctid);
}

/* ---- the container side ------------------------------------------------------- */

/* The notify filter, the same for every container: generated once, in vzd
 * (ct_sysinfo_connect), and only loaded in the forked child, which must not
 * allocate (lib/child.h).  .filter NULL if it could not be made. */
static struct sock_fprog notify_prog;
static pthread_once_t notify_once = PTHREAD_ONCE_INIT;

static void make_notify_prog(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	/* No no_new_privs: that would also disarm set-uid programs of the
	 * container.  Its root holds CAP_SYS_ADMIN in its user namespace,
	 * which is what loading a filter without it takes. */
	/* Other architectures (i386, x32 on x86_64) pass untouched: killing
	 * them (libseccomp's default) would break 32-bit programs and the
	 * main profile's own answers; they see the host's figures. */
	if (ctx && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) == 0 &&
	    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW) == 0 &&
	    seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(sysinfo), 0) == 0)
		vz_seccomp_export(ctx, &notify_prog, NULL);
	if (ctx)
		seccomp_release(ctx);
}

void ct_sysinfo_install(int sock)
{
	char byte = 'L';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	int fd = -1;

	if (sock < 0)
		return;
	if (notify_prog.filter)
		fd = vz_seccomp_load_prog(&notify_prog, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	if (fd >= 0) {
		vz_sendmsg_fds(sock, &iov, 1, &fd, 1);
		close(fd);
	}
	close(sock);
}

int ct_sysinfo_connect(const struct vz_global_conf *g, const char *ctid)
{
	cleanup_free char *path = socket_path(g, ctid);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	pthread_once(&notify_once, make_notify_prog);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- the helper ----------------------------------------------------------------- */

struct helper {
	struct vz_cgroup *cg;
	uint64_t start_s;		      /* CLOCK_BOOTTIME at container start */
	struct pollfd pfd[MAX_LISTENERS + 1]; /* [0] the socket, then listeners */
	size_t n;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
};

static uint64_t boottime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

static unsigned long clamp_ul(uint64_t v, unsigned long host)
{
	return v == VZ_CG_MAX || v > host ? host : (unsigned long)v;
}

/* The host's figures, with memory, swap, processes and uptime replaced by
 * the container's where its cgroup has them. */
static void container_sysinfo(struct helper *h, struct sysinfo *si)
{
	struct vz_cg_stats s;
	uint64_t total, swap;

	sysinfo(si);
	if (h->cg->ops->stats(h->cg, &s, NULL) < 0)
		return;
	/* Report in bytes: mem_unit 1 fits every figure in 64 bits. */
	total = (uint64_t)si->totalram * si->mem_unit;
	swap = (uint64_t)si->totalswap * si->mem_unit;
	si->mem_unit = 1;
	si->totalram = clamp_ul(s.mem.limit, total);
	si->freeram = si->totalram > s.mem.held ? si->totalram - s.mem.held : 0;
	si->sharedram = 0;
	si->bufferram = 0;
	si->totalswap = clamp_ul(s.swap.limit, swap);
	si->freeswap = si->totalswap > s.swap.held ? si->totalswap - s.swap.held : 0;
	si->totalhigh = si->freehigh = 0;
	si->procs = (unsigned short)(s.numproc.held > 65535 ? 65535 : s.numproc.held);
	si->uptime = (long)(boottime_s() - h->start_s);
}

static void answer(struct helper *h, int fd)
{
	struct sysinfo si;
	struct iovec local = {.iov_base = &si, .iov_len = sizeof(si)}, remote;

	memset(h->req, 0, sizeof(*h->req));
	if (seccomp_notify_receive(fd, h->req) < 0)
		return; /* the caller died meanwhile (ENOENT), or EINTR */
	memset(h->resp, 0, sizeof(*h->resp));
	h->resp->id = h->req->id;
	if (h->req->data.nr != SCMP_SYS(sysinfo)) {
		h->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		container_sysinfo(h, &si);
		remote.iov_base = (void *)(uintptr_t)h->req->data.args[0];
		remote.iov_len = sizeof(si);
		/* The id check makes sure the pid still is the caller. */
		if (seccomp_notify_id_valid(fd, h->req->id) < 0)
			return;
		if (process_vm_writev(h->req->pid, &local, 1, &remote, 1, 0) != sizeof(si))
			h->resp->error = -EFAULT;
	}
	seccomp_notify_respond(fd, h->resp);
}

static void accept_listener(struct helper *h)
{
	int conn = accept4(h->pfd[0].fd, NULL, NULL, SOCK_CLOEXEC);
	int fd = -1;
	size_t n_fds = 0;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};

	if (conn < 0)
		return;
	/* A peer that connects and sends nothing must not stall the others. */
	if (poll(&(struct pollfd){.fd = conn, .events = POLLIN}, 1, 5000) == 1)
		vz_recvmsg_fds(conn, &iov, 1, &fd, 1, &n_fds);
	close(conn);
	if (n_fds == 1 && h->n < VZ_ARRAY_SIZE(h->pfd))
		h->pfd[h->n++] = (struct pollfd){.fd = fd, .events = POLLIN};
	else if (n_fds == 1)
		close(fd);
}

static void __attribute__((noreturn)) helper_main(struct helper *h, const char *path)
{
	for (;;) {
		int timeout = h->n == 1 ? FIRST_LISTENER_TIMEOUT_MS : -1;
		int r = poll(h->pfd, h->n, timeout);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break; /* the init never sent its listener */
		if (h->pfd[0].revents & POLLIN)
			accept_listener(h);
		for (size_t i = 1; i < h->n; i++) {
			if (h->pfd[i].revents & POLLIN)
				answer(h, h->pfd[i].fd);
			if (!(h->pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL)))
				continue;
			/* The init's listener going means the container is gone. */
			if (i == 1)
				goto out;
			close(h->pfd[i].fd);
			h->pfd[i--] = h->pfd[--h->n];
		}
	}
out:
	unlink(path);
	_exit(0);
}

int vz_sysinfo_helper_main(int argc, char **argv)
{
	struct helper h = {.n = 1, .pfd[0] = {.fd = 3, .events = POLLIN}};
	char *end;

	/* PATH CGROUP_ROOT CGROUP_PARENT CTID CGROUP_VERSION START_S, the
	 * listening socket on fd 3 (ct_sysinfo_helper_start). */
	if (argc != 6)
		return 2;
	h.start_s = strtoull(argv[5], &end, 10);
	if (*end || vz_cgroup_new(argv[1], argv[2], argv[3], (unsigned)atoi(argv[4]), &h.cg,
				  NULL) < 0)
		return 2;
	prctl(PR_SET_NAME, "vz-sysinfo");
	signal(SIGPIPE, SIG_IGN);
	if (seccomp_notify_alloc(&h.req, &h.resp) < 0)
		return 1;
	helper_main(&h, argv[0]);
}

static int listen_at(const char *path, vz_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vz_fail(err, VZ_SYSTEM_ERROR, "socket path `%s` is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socket");
	/* A helper of an earlier run of this container has ended with it. */
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 16) < 0) {
		int saved = errno;
		close(fd);
		return vz_error_set(err, VZ_SYSTEM_ERROR, saved, "listen on `%s`", path);
	}
	return fd;
}

int ct_sysinfo_helper_start(const struct vz_global_conf *g, const char *ctid, pid_t *ret_pid,
			    vz_error *err)
{
	cleanup_free char *path = socket_path(g, ctid);
	struct vz_cgroup *cg = NULL;
	char start_s[32], version[8], **argv;
	int fd;
	pid_t pid;

	if (!g->virt_sysinfo) {
		unlink(path); /* no stale socket for exec to find */
		*ret_pid = 0;
		return 0;
	}
	if (ct_cgroup(g, ctid, &cg, err) < 0)
		return -1;
	/* The helper runs for as long as the container: a fork of threaded
	 * vzd may not allocate (lib/child.h), so it execs vzd itself in helper
	 * mode (vzd --sysinfo-helper, vz_sysinfo_helper_main). */
	snprintf(start_s, sizeof(start_s), "%llu", (unsigned long long)boottime_s());
	snprintf(version, sizeof(version), "%d", strcmp(cg->ops->name, "v1") ? 2 : 1);
	argv = (char *[]){"vzd", "--sysinfo-helper", path, cg->root, cg->parent, cg->name,
			  version, start_s, NULL};
	fd = listen_at(path, err);
	if (fd < 0) {
		vz_cgroup_free(cg);
		return -1;
	}
	/* Nobody waits for it: a registered child would leave its slot in
	 * vzd's child registry at every container start. */
	pid = vz_child_fork_unwaited();
	if (pid == 0) {
		/* Its own session, out of vzd's signals; only the socket kept. */
		setsid();
		if (dup2(fd, 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		execv("/proc/self/exe", argv);
		vz_child_exec_failed("/proc/self/exe");
	}
	close(fd);
	vz_cgroup_free(cg);
	if (pid < 0) {
		unlink(path);
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork the sysinfo helper");
	}
	*ret_pid = pid;
	return 0;
}
