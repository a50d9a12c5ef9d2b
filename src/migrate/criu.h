/* The CRIU driver (criu.c): builds CRIU command lines and runs them.
 * Internal to src/migrate. */
#ifndef VZ_MIGRATE_CRIU_H
#define VZ_MIGRATE_CRIU_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroups/cgroup.h"
#include "config/conf.h"
#include "lib/error.h"

/* A growing NULL-terminated argument vector. */
struct argv_buf {
	char **v;
	size_t n;
	int keep[16]; /* descriptors CRIU inherits (--inherit-fd) */
	size_t n_keep;
};
void argv_add(struct argv_buf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void argv_free(struct argv_buf *a);

/* "criu ACTION" with the options every vz dump or restore shares: images
 * in @dir, log at @log, the container root @root. */
void criu_argv_common(struct argv_buf *a, const struct vz_global_conf *g, const char *action,
		      const char *dir, const char *log, const char *root);

/* Run CRIU (@a->v[0] is the binary) and wait.  With @attach, the child
 * joins that cgroup first, so restored processes are born in it.  On
 * failure the error carries @code and CRIU's last error lines from @log. */
int criu_run(struct argv_buf *a, struct vz_cgroup *attach, const char *log, int code,
	     vz_error *err);

/* Start CRIU in the background (a lazy-pages daemon, a page server);
 * returns its pid (vz_child_wait / kill). */
pid_t criu_spawn(struct argv_buf *a, const char *log, vz_error *err);

/* Start CRIU in the background with --status-fd and wait until it says
 * it is ready (a lazy dump serving pages, a lazy-pages daemon); returns
 * its pid, or fails with @code and its log's errors if it ended first. */
pid_t criu_spawn_ready(struct argv_buf *a, const char *log, int code, vz_error *err);

/* Run @argv (absolute argv[0]) and return its stdout+stderr, trimmed; NULL
 * if it could not run.  *@ret_ok: exit status 0. */
char *mig_capture(char *const argv[], bool *ret_ok);

/* CRIU's last "Error" lines of @log, for messages (caller frees). */
char *criu_log_errors(const char *log);
/* Whether CRIU's log @log has a line containing @text. */
bool criu_log_has(const char *log, const char *text);

#endif
