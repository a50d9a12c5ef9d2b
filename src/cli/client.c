/* The programs' side of the vzd protocol (see client.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "config/conf.h"
#include "lib/cleanup.h"
#include "proto/proto.h"

int vz_client_connect(const char *vz_conf, struct vz_client *ret, vz_error *err)
{
	cleanup_global_conf struct vz_global_conf *g = NULL;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (vz_global_conf_load(vz_conf, &g, err) < 0)
		return -1;
	if (strlen(g->socket_path) >= sizeof(addr.sun_path))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "socket path `%s` is too long",
			       g->socket_path);
	strcpy(addr.sun_path, g->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int saved = errno;
		close(fd);
		return vz_error_set(err, saved == EACCES ? VZ_PERM_DENIED : VZ_SYSTEM_ERROR, saved,
				    "cannot connect to vzd at `%s` (is vzd running? see vzd(8))",
				    g->socket_path);
	}
	ret->sock = fd;
	return 0;
}

void vz_client_close(struct vz_client *c)
{
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
}

json_t *vz_client_request(const char *op, const char *ctid, json_t *args)
{
	json_t *req = json_pack("{s:s, s:i}", "op", op, "v", VZ_PROTO_VERSION);

	if (ctid)
		json_object_set_new(req, "ctid", json_string(ctid));
	json_object_set_new(req, "args", args ? args : json_object());
	return req;
}

int vz_client_call(struct vz_client *c, json_t *req, const int *fds, size_t n_fds,
		   vz_client_event_fn on_event, void *data, json_t **ret_result, vz_error *err)
{
	if (vz_proto_send(c->sock, req, fds, n_fds, err) < 0) {
		/* vzd may refuse a connection before reading it (busy, out of
		 * threads): then its reply, saying why, is already waiting. */
		vz_error send_err = *err;
		cleanup_json json_t *msg = NULL;

		if ((err->errnum != EPIPE && err->errnum != ECONNRESET) ||
		    vz_proto_recv_max(c->sock, VZ_PROTO_MAX_REPLY, &msg, NULL, 0, NULL, err) < 0 ||
		    !json_object_get(msg, "ok")) {
			*err = send_err;
			return vz_error_wrap(err, "send request to vzd");
		}
		return vz_proto_reply_to_error(msg, err) < 0 ? -1
			: vz_fail(err, VZ_SYSTEM_ERROR, "vzd did not read the request");
	}
	for (;;) {
		cleanup_json json_t *msg = NULL;
		int fd[VZ_PROTO_MAX_FDS];
		size_t n = 0;
		const char *progress;

		if (vz_proto_recv_max(c->sock, VZ_PROTO_MAX_REPLY, &msg, fd, VZ_PROTO_MAX_FDS, &n, err) < 0)
			return vz_error_wrap(err, "no reply from vzd");
		progress = json_string_value(json_object_get(msg, "progress"));
		if (progress) {
			if (!c->quiet)
				printf("%s\n", progress);
			fflush(stdout);
			continue;
		}
		if (!json_object_get(msg, "ok")) {
			int rc = on_event ? on_event(data, msg, n ? fd[0] : -1) : 0;
			for (size_t i = on_event ? 1 : 0; i < n; i++)
				close(fd[i]);
			if (rc < 0)
				return vz_fail(err, VZ_SYSTEM_ERROR, "session failed");
			continue;
		}
		if (vz_proto_reply_to_error(msg, err) < 0)
			return -1;
		if (ret_result) {
			json_t *r = json_object_get(msg, "result");
			*ret_result = r ? json_incref(r) : json_object();
		}
		return 0;
	}
}

int vz_client_fail(const char *prog, const vz_error *err)
{
	fprintf(stderr, "%s: %s\n", prog, err->msg[0] ? err->msg : "unknown error");
	return err->code ? err->code : VZ_SYSTEM_ERROR;
}

int vz_cli_call(struct cli *cli, json_t *req, const int *fds, size_t n_fds,
		vz_client_event_fn on_event, void *data, json_t **ret_result)
{
	struct vz_client c = {.sock = -1, .quiet = cli->quiet};
	vz_error err = {0};
	int rc;

	if (vz_client_connect(cli->vz_conf, &c, &err) < 0) {
		json_decref(req);
		return vz_client_fail(cli->prog, &err);
	}
	rc = vz_client_call(&c, req, fds, n_fds, on_event, data, ret_result, &err);
	json_decref(req);
	vz_client_close(&c);
	return rc < 0 ? vz_client_fail(cli->prog, &err) : 0;
}
