/* vzd internals: the server, request handlers and the container monitor. */
#ifndef VZD_SERVER_H
#define VZD_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <syslog.h>

#include "config/conf.h"
#include "proto/proto.h"

struct server {
	struct vz_global_conf *g;
	int listen_fd;
	bool use_syslog;
	bool debug;
	long allowed_gid; /* VZD_GROUP's gid, -1 for root only */
};

/* access.c: the socket file's owner and mode for VZD_GROUP, and the check
 * of each peer (root or a member of that group). */
int vzd_socket_access(const char *path, const char *group, long *ret_gid, vz_error *err);
bool vzd_peer_allowed(int sock, long gid);

/* One request as received, with the descriptors that came with it. */
struct request {
	struct server *srv;
	int sock;
	json_t *msg;
	const char *op;
	const char *ctid; /* NULL for ops without a container */
	json_t *args;	  /* always an object */
	int fds[VZ_PROTO_MAX_FDS];
	size_t n_fds;
};

/* A handler fills *ret_result (may stay NULL) or fails with @err. */
typedef int (*handler_fn)(struct request *r, json_t **ret_result, vz_error *err);

struct handler {
	const char *op;
	handler_fn fn;
	bool needs_ctid;
	bool locks; /* hold the container lock for the whole request */
};

const struct handler *vzd_find_handler(const char *op);
/* Checkpoint/restore and migration ops (handlers-migrate.c); NULL if none. */
const struct handler *vzd_find_migrate_handler(const char *op);

/* Resource accounting (stats.c): the `stats` request, and the usage
 * fields (NAME_held, NAME_failcnt, cpu_usage_ms, ...) of a list entry. */
int vzd_h_stats(struct request *r, json_t **ret_result, vz_error *err);
void vzd_usage_into(const struct vz_global_conf *g, const struct vz_ct_conf *c, json_t *o);
/* Log a notice when lxcfs is not running: container @ctid then starts
 * with the host's /proc figures. */
void vzd_lxcfs_notice(const struct vz_global_conf *g, const char *ctid);

/* Logging: stderr, and syslog with --syslog. */
void vzd_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vzd_log_init(bool use_syslog, bool debug);

/* Read one request from @sock, run it, reply and close @sock (the body of
 * each connection thread; the protocol fuzzer calls it directly). */
void vzd_handle_connection(struct server *srv, int sock);

/* Serve connections until SIGTERM/SIGINT. */
int vzd_serve(struct server *srv);

/* The monitor cleans up after containers that end on their own. */
int vzd_monitor_start(struct server *srv);
void vzd_monitor_watch(struct server *srv, const char *ctid);

#endif
