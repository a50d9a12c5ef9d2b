/* The CRIU driver: runs the CRIU binary named by CRIU= in vz.conf (by
 * default the private install of scripts/install-criu.sh), builds its
 * command lines and turns its log into error messages.
 *
 * CRIU runs as a child of vzd in the host's namespaces.  vzd is a child
 * subreaper, so a tree restored with --restore-detached reparents to vzd
 * when CRIU exits, exactly as a started container's init does. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/criu.h"
#include "migrate/migrate-lazy.h"
#include "migrate/migrate.h"

void argv_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	a->v = vz_xrealloc(a->v, (a->n + 2) * sizeof(char *));
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void argv_free(struct argv_buf *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
	a->n_keep = 0;
}

void criu_argv_common(struct argv_buf *a, const struct vz_global_conf *g, const char *action,
		      const char *dir, const char *log, const char *root)
{
	argv_add(a, "%s", g->criu);
	argv_add(a, "%s", action);
	argv_add(a, "--images-dir=%s", dir);
	argv_add(a, "--log-file=%s", log);
	argv_add(a, "-v4");
	argv_add(a, "--root=%s", root);
	/* The container's cgroup namespace and its paths are kept; restore
	 * runs from inside the new container cgroup, and CRIU restores the
	 * paths relative to its own, so another CGROUP_PARENT works. */
	argv_add(a, "--manage-cgroups=soft");
	argv_add(a, "--tcp-established");
	argv_add(a, "--skip-in-flight");
	argv_add(a, "--file-locks");
	argv_add(a, "--link-remap");
	/* /dev/null, /dev/zero, ... and the /proc masks are bind mounts of
	 * host files: CRIU finds the same paths on the restoring host. */
	argv_add(a, "--ext-mount-map=auto");
	argv_add(a, "--enable-external-sharing");
	argv_add(a, "--enable-external-masters");
	/* No iptables on a vz host; nftables is what the kernel offers. */
	argv_add(a, "--network-lock=nftables");
}

char *criu_log_errors(const char *log)
{
	cleanup_free char *buf = NULL;
	char *lines[4] = {0}, *save = NULL, *out;
	size_t len = 0, n = 0;

	if (!log || vz_read_file(log, 64u << 20, &buf, &len, NULL) < 0)
		return vz_xstrdup("");
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* Root lacks CAP_SYS_RESOURCE on some hosts: CRIU carries on. */
		if (!strstr(l, "Error") || strstr(l, "RLIMIT_NOFILE") || strstr(l, "tables"))
			continue;
		lines[n++ % 4] = l;
	}
	out = vz_xstrdup("");
	for (size_t i = n > 4 ? n - 4 : 0; i < n; i++) {
		char *next = vz_strdup_printf("%s%s%s", out, *out ? "; " : "", lines[i % 4]);
		free(out);
		out = next;
	}
	return out;
}

bool criu_log_has(const char *log, const char *text)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;

	return log && vz_read_file(log, 64u << 20, &buf, &len, NULL) == 0 && strstr(buf, text);
}

/* In the forked child (lib/child.h: system calls only). */
static void __attribute__((noreturn)) exec_criu(const struct argv_buf *a,
						const struct vz_cg_join *join)
{
	char **argv = a->v;
	int devnull = open("/dev/null", O_RDWR);
	vz_error err = {0};

	if (join && vz_cgroup_join(join, &err) < 0) {
		(void)!write(2, err.msg, strlen(err.msg));
		(void)!write(2, "\n", 1);
		_exit(126);
	}
	dup2(devnull, 0);
	dup2(devnull, 1);
	/* stderr stays: a failure to exec shows in vzd's log. */
	for (size_t i = 0; i < a->n_keep; i++)
		fcntl(a->keep[i], F_SETFD, 0);
	execv(argv[0], argv);
	vz_child_exec_failed(argv[0]);
}

int criu_run(struct argv_buf *a, struct vz_cgroup *attach, const char *log, int code, vz_error *err)
{
	cleanup_free char *why = NULL, *cmd = NULL, *cmdfile = NULL;
	struct vz_cg_join join = {0};
	int status;
	pid_t pid;

	/* The exact command beside the log: to rerun it by hand (bench/cr.sh). */
	if (log) {
		cmd = vz_strv_join((const char *const *)a->v, SIZE_MAX, " ");
		cmdfile = vz_strdup_printf("%s.cmd", log);
		vz_write_file_atomic(cmdfile, cmd, strlen(cmd), 0600, NULL);
	}
	if (attach && vz_cgroup_join_open(attach, &join, err) < 0)
		return -1;
	pid = vz_child_fork();
	if (pid == 0)
		exec_criu(a, attach ? &join : NULL);
	vz_cgroup_join_close(&join);
	if (pid < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	if (vz_child_wait(pid, &status, -1) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "wait for criu");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return vz_fail(err, code,
			       "cannot run CRIU `%s` (CRIU= in vz.conf; see "
			       "scripts/install-criu.sh)",
			       a->v[0]);
	why = criu_log_errors(log);
	return vz_fail(err, code, "criu %s failed (%s %d)%s%s; log `%s`", a->v[1],
		       WIFEXITED(status) ? "exit" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), *why ? ": " : "",
		       why, log ? log : "-");
}

pid_t criu_spawn(struct argv_buf *a, const char *log, vz_error *err)
{
	pid_t pid = vz_child_fork();

	if (pid < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	if (pid == 0)
		exec_criu(a, NULL);
	return pid;
}

pid_t criu_spawn_ready(struct argv_buf *a, const char *log, int code, vz_error *err)
{
	int p[2], status;
	char c;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "pipe");
	argv_add(a, "--status-fd=%d", p[1]);
	if (a->n_keep < sizeof(a->keep) / sizeof(a->keep[0]))
		a->keep[a->n_keep++] = p[1];
	if (log) {
		cleanup_free char *cmd = vz_strv_join((const char *const *)a->v, SIZE_MAX, " ");
		cleanup_free char *cmdfile = vz_strdup_printf("%s.cmd", log);
		vz_write_file_atomic(cmdfile, cmd, strlen(cmd), 0600, NULL);
	}
	pid = vz_child_fork();
	if (pid == 0)
		exec_criu(a, NULL);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	}
	/* CRIU writes one byte once it serves; EOF means it ended. */
	do
		n = read(p[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == 1)
		return pid;
	if (vz_child_wait(pid, &status, -1) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "wait for criu");
	{
		cleanup_free char *why = criu_log_errors(log);
		return vz_fail(err, code, "criu %s failed before it was ready (%s %d)%s%s; log `%s`",
			       a->v[1], WIFEXITED(status) ? "exit" : "signal",
			       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			       *why ? ": " : "", why, log ? log : "-");
	}
}

char *mig_capture(char *const argv[], bool *ret_ok)
{
	cleanup_free char *out = vz_xstrdup("");
	int p[2], status;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	pid = vz_child_fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (len < 65536) {
			out = vz_xrealloc(out, len + (size_t)n + 1);
			memcpy(out + len, buf, (size_t)n);
			len += (size_t)n;
			out[len] = '\0';
		}
	}
	close(p[0]);
	if (vz_child_wait(pid, &status, -1) < 0 ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 127))
		return NULL;
	*ret_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	return steal_pointer(&out);
}

static char *criu_output(const char *criu, const char *const *args, bool *ret_ok)
{
	char *argv[8] = {(char *)criu};

	for (size_t i = 0; args[i] && i < 6; i++)
		argv[i + 1] = (char *)args[i];
	return mig_capture(argv, ret_ok);
}

int vz_criu_info(const struct vz_global_conf *g, struct vz_criu_info *ret, vz_error *err)
{
	struct vz_criu_info i = {.path = vz_xstrdup(g->criu)};
	static const char *const a_version[] = {"--version", NULL};
	static const char *const a_check[] = {"check", NULL};
	static const char *const a_uffd[] = {"check", "--feature", "uffd-noncoop", NULL};
	static const char *const a_dirty[] = {"check", "--feature", "mem_dirty_track", NULL};
	cleanup_free char *v = NULL, *u = NULL, *d = NULL;
	bool ok = false;
	char *p;

	v = criu_output(g->criu, a_version, &ok);
	if (v && ok && (p = strstr(v, "Version: "))) {
		p += 9;
		i.version = strndup(p, strcspn(p, "\n "));
		i.check_output = criu_output(g->criu, a_check, &i.check_ok);
		if (i.check_output && !strstr(i.check_output, "Looks good"))
			i.check_ok = false;
		u = criu_output(g->criu, a_uffd, &i.lazy_pages);
		d = criu_output(g->criu, a_dirty, &i.dirty_track);
		/* CRIU says "Dirty tracking is OFF" as a warning, exit 0. */
		if (d && strstr(d, "OFF"))
			i.dirty_track = false;
	}
	i.postcopy_blocker = mig_postcopy_blocker_of(g, &i);
	*ret = i;
	return 0;
}

void vz_criu_info_free(struct vz_criu_info *i)
{
	free(i->path);
	free(i->version);
	free(i->check_output);
	free(i->postcopy_blocker);
	*i = (struct vz_criu_info){0};
}
