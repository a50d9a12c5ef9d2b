/* The programs' side of the vzd protocol: connect, send, collect replies. */
#ifndef VZ_CLIENT_H
#define VZ_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "lib/error.h"

struct vz_client {
	int sock;
	bool quiet; /* do not print progress messages */
};

/* Connect to the vzd serving @vz_conf (NULL: $VZ_CONF or the default). */
int vz_client_connect(const char *vz_conf, struct vz_client *ret, vz_error *err);
void vz_client_close(struct vz_client *c);

/* Called for a message that is neither progress nor the final reply (a pty
 * hand-over); @fd is a descriptor that came with it or -1. */
typedef int (*vz_client_event_fn)(void *data, json_t *msg, int fd);

/* Send one request and wait for the final reply.  Progress messages are
 * printed to stdout unless quiet; an error reply becomes @err (its code is
 * the exit status).  *@ret_result (may be NULL) gets the "result" object. */
int vz_client_call(struct vz_client *c, json_t *req, const int *fds, size_t n_fds,
		   vz_client_event_fn on_event, void *data, json_t **ret_result, vz_error *err);

/* Build {"op": op, "ctid": ctid, "args": args(stolen, may be NULL)}. */
json_t *vz_client_request(const char *op, const char *ctid, json_t *args);

/* Print "prog: message" for @err to stderr and return its exit code. */
int vz_client_fail(const char *prog, const vz_error *err);

struct cli;
/* Connect as @cli says, send @req (consumed), wait for the reply and return
 * the command's exit status (errors printed).  *@ret_result optional. */
int vz_cli_call(struct cli *cli, json_t *req, const int *fds, size_t n_fds,
		vz_client_event_fn on_event, void *data, json_t **ret_result);

#endif
