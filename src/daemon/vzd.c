/* vzd: the daemon that owns the host's containers.
 *
 * Parses its options, loads the state root, takes the instance lock,
 * reconciles what the kernel shows with the state root, starts ONBOOT
 * containers and serves requests.  Everything else lives in libvz. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/server.h"
#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/fault.h"
#include "lib/util.h"
#include "netns/netns.h"
#include "runtime/container.h"
#include "runtime/sysinfo.h"
#include "vm/backend.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vzd [OPTIONS]\n"
		"The vz daemon: owns this host's containers and serves vzctl and vzlist.\n\n"
		"  -c, --vz-conf PATH  global configuration (default $VZ_CONF or " VZ_DEFAULT_CONF
		")\n"
		"  -d, --debug         log every request\n"
		"  -s, --syslog        also log to syslog\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"      --list-faults   list the fault-injection steps (VZ_FAULT, tests only)\n\n"
		"vzd runs in the foreground; stopping it never stops containers.\n");
}

/* One vzd per state root: the lock lives beside the socket. */
static int take_instance_lock(const struct vz_global_conf *g, vz_error *err)
{
	cleanup_free char *path = vz_strdup_printf("%s.lock", g->socket_path);
	cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open `%s`", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return vz_fail(err, VZ_LOCKED,
			       "another vzd already serves `%s` (lock `%s` is held)",
			       g->socket_path, path);
	return take_fd(&fd);
}

static int listen_socket(const char *path, const char *group, long *ret_gid, vz_error *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof(addr.sun_path))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "socket path `%s` is too long",
			       path);
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socket");
	/* The instance lock is held: a socket file left here is stale. */
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "bind `%s`", path);
	if (vzd_socket_access(path, group, ret_gid, err) < 0)
		return -1;
	if (listen(fd, 128) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "listen on `%s`", path);
	return take_fd(&fd);
}

static int make_dirs(const struct vz_global_conf *g, vz_error *err)
{
	cleanup_free char *sockdir = vz_xstrdup(g->socket_path);
	char *slash = strrchr(sockdir, '/');

	if (slash && slash != sockdir)
		*slash = '\0';
	if (vz_mkdir_p(g->run_dir, 0755, err) < 0 || vz_mkdir_p(sockdir, 0755, err) < 0 ||
	    vz_mkdir_p(g->lock_dir, 0700, err) < 0 || vz_mkdir_p(g->conf_dir, 0755, err) < 0)
		return -1;
	return 0;
}

static void report_reconcile(void *data, const char *ctid, const vz_error *err)
{
	(void)data;
	vzd_log(LOG_WARNING, "reconcile %s: %s", ctid ? ctid : "", err->msg);
}

static void watch_running(struct server *srv)
{
	cleanup_strv char **ids = NULL;
	vz_error err = {0};
	size_t running = 0;

	if (vz_ct_list(srv->g, &ids, &err) < 0)
		return;
	for (char **id = ids; *id; id++) {
		struct vz_ct_status st;
		if (vz_ct_status(srv->g, *id, &st, &err) == 0 && st.running) {
			vzd_monitor_watch(srv, *id);
			running++;
		}
	}
	vzd_log(LOG_NOTICE, "found %zu running container(s)", running);
}

static void *onboot_main(void *arg)
{
	struct server *srv = arg;
	cleanup_strv char **ids = NULL;
	vz_error err = {0};

	if (vz_ct_list(srv->g, &ids, &err) < 0)
		return NULL;
	for (char **id = ids; *id; id++) {
		cleanup_ct_conf struct vz_ct_conf *c = NULL;
		struct vz_ct_status st;
		int lock_fd;

		vz_error_clear(&err);
		if (vz_ct_conf_load(srv->g, *id, &c, &err) < 0 || !c->onboot)
			continue;
		lock_fd = vz_ct_lock(srv->g, *id, srv->g->lock_timeout, &err);
		if (lock_fd < 0)
			continue;
		if (vz_ct_status(srv->g, *id, &st, &err) == 0 && !st.running) {
			if (vz_backend_of(c)->start(srv->g, *id, &err) < 0)
				vzd_log(LOG_ERR, "ONBOOT: %s", err.msg);
			else {
				vzd_log(LOG_INFO, "ONBOOT: started container %s", *id);
				vzd_monitor_watch(srv, *id);
			}
		}
		vz_ct_unlock(srv->g, *id, lock_fd);
	}
	return NULL;
}

static int parse_args(int argc, char **argv, const char **conf, bool *debug, bool *use_syslog)
{
	static const struct option opts[] = {
	    {"vz-conf", required_argument, NULL, 'c'}, {"debug", no_argument, NULL, 'd'},
	    {"syslog", no_argument, NULL, 's'},	       {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},       {"list-faults", no_argument, NULL, 'F'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:dshV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*conf = optarg;
			break;
		case 'd':
			*debug = true;
			break;
		case 's':
			*use_syslog = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("vzd %s\n", PACKAGE_VERSION);
			exit(0);
		case 'F':
			for (const char *const *f = vz_fault_names(); *f; f++)
				puts(*f);
			exit(0);
		default:
			usage(stderr);
			exit(VZ_INVALID_PARAMETER_SYNTAX);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vzd: unexpected argument `%s`\n", argv[optind]);
		exit(VZ_INVALID_PARAMETER_SYNTAX);
	}
	return 0;
}

static int setup(struct server *srv, const char *conf, vz_error *err)
{
	sigset_t term;
	pthread_t tid;

	if (geteuid() != 0)
		return vz_fail(err, VZ_PERM_DENIED, "vzd must run as root");
	if (vz_global_conf_load(conf, &srv->g, err) < 0 || make_dirs(srv->g, err) < 0 ||
	    take_instance_lock(srv->g, err) < 0)
		return -1;
	/* The cgroup layout cannot change under a running vzd: detect it once. */
	vz_ct_pin_cgroup_version(srv->g);
	/* Before any thread exists: signals are taken by signalfd (TERM, INT)
	 * and by the reaper (CHLD) only. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A pidfd per running container (the monitor): 1024 would stop a
	 * dense host near a thousand containers. */
	vz_child_raise_nofile();
	if (vz_child_reaper_start() < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "start the child reaper");
	vz_reconcile(srv->g, report_reconcile, NULL);
	/* The bridge and the rules come with the first container that needs
	 * them (vz_net_ct_setup): an instance without networking leaves the
	 * host's network as it is. */
	if (vz_net_sweep(srv->g, err) < 0)
		vzd_log(LOG_WARNING, "%s, ignoring", err->msg);
	{
		char *w = vz_net_forward_warning(srv->g);
		if (w)
			vzd_log(LOG_WARNING, "%s", w);
		free(w);
	}
	if (vzd_monitor_start(srv) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "start the monitor");
	watch_running(srv);
	srv->listen_fd =
	    listen_socket(srv->g->socket_path, srv->g->vzd_group, &srv->allowed_gid, err);
	if (srv->listen_fd < 0)
		return -1;
	if (pthread_create(&tid, NULL, onboot_main, srv) == 0)
		pthread_detach(tid);
	return 0;
}

/* Static: detached connection threads borrow srv.g until the process ends,
 * so it must outlive main's frame (and is then not a leak). */
static struct server srv = {.listen_fd = -1};

int main(int argc, char **argv)
{
	const char *conf = NULL;
	vz_error err = {0};
	int rc;

	/* Internal: vzd re-executed as the instance's sysinfo helper. */
	if (argc > 1 && !strcmp(argv[1], "--sysinfo-helper"))
		return vz_sysinfo_helper_main(argc - 2, argv + 2);
	parse_args(argc, argv, &conf, &srv.debug, &srv.use_syslog);
	vzd_log_init(srv.use_syslog, srv.debug);
	if (setup(&srv, conf, &err) < 0) {
		vzd_log(LOG_ERR, "%s", err.msg);
		return err.code ? err.code : 1;
	}
	vzd_log(LOG_NOTICE, "vzd %s listening on %s (state root %s)", PACKAGE_VERSION,
		srv.g->socket_path, srv.g->path);
	rc = vzd_serve(&srv);
	unlink(srv.g->socket_path);
	close(srv.listen_fd);
	return rc < 0 ? VZ_SYSTEM_ERROR : 0;
}
