/* The migration channel: frames over ssh (see transport.h). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/transport.h"

#define CHUNK (256u << 10)

static int chan_fail(vz_error *err, const char *what)
{
	return vz_fail(err, VZ_SYSTEM_ERROR, "migration channel: %s", what);
}

/* Read exactly @len bytes, waiting at most the channel timeout for each. */
int mig_read_full(struct mig_chan *c, void *buf, size_t len, vz_error *err)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = c->in, .events = POLLIN};
		ssize_t n;
		int r = poll(&p, 1, c->timeout_ms > 0 ? c->timeout_ms : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return chan_fail(err, "the peer stopped answering (timeout)");
		n = read(c->in, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "migration channel: read");
		if (n == 0)
			return chan_fail(err, "the connection to the peer was lost");
		got += (size_t)n;
	}
	return 0;
}

int mig_send_frame(struct mig_chan *c, char type, const void *data, size_t len, vz_error *err)
{
	unsigned char hdr[5] = {(unsigned char)type};
	uint32_t be = htonl((uint32_t)len);

	memcpy(hdr + 1, &be, 4);
	if (vz_write_all(c->out, hdr, 5) < 0 || (len && vz_write_all(c->out, data, len) < 0))
		return vz_fail_errno(err, VZ_SYSTEM_ERROR,
				     "migration channel: the connection to the peer was lost");
	return 0;
}

/* Next frame header; the payload is left to the caller. */
int mig_recv_header(struct mig_chan *c, char *ret_type, uint32_t *ret_len, vz_error *err)
{
	unsigned char hdr[5];
	uint32_t be;

	if (mig_read_full(c, hdr, 5, err) < 0)
		return -1;
	memcpy(&be, hdr + 1, 4);
	*ret_type = (char)hdr[0];
	*ret_len = ntohl(be);
	if (!strchr("JDES", *ret_type) || *ret_len > MIG_FRAME_MAX)
		return chan_fail(err, "malformed frame (is the peer a vz receiver?)");
	return 0;
}

int mig_recv_json_payload(struct mig_chan *c, uint32_t len, json_t **ret, vz_error *err)
{
	cleanup_free char *buf = vz_xcalloc(1, len + 1);
	json_error_t je;

	if (mig_read_full(c, buf, len, err) < 0)
		return -1;
	*ret = json_loadb(buf, len, 0, &je);
	if (!*ret || !json_is_object(*ret))
		return chan_fail(err, "malformed control message");
	return 0;
}

int mig_send_json(struct mig_chan *c, json_t *msg, vz_error *err)
{
	cleanup_free char *s = json_dumps(msg, JSON_COMPACT);
	int rc;

	json_decref(msg);
	rc = mig_send_frame(c, 'J', s, strlen(s), err);
	return rc;
}

int mig_recv_json(struct mig_chan *c, json_t **ret, vz_error *err)
{
	char type;
	uint32_t len;

	if (mig_recv_header(c, &type, &len, err) < 0)
		return -1;
	if (type != 'J')
		return chan_fail(err, "unexpected data frame");
	return mig_recv_json_payload(c, len, ret, err);
}

int mig_reply_error(struct mig_chan *c, json_t *m, vz_error *err)
{
	const char *e = json_string_value(json_object_get(m, "error"));
	int code = (int)json_integer_value(json_object_get(m, "code"));

	c->peer_failed = true;
	return vz_fail(err, code ? code : VZ_SYSTEM_ERROR, "destination: %s",
		       e ? e : "unknown error");
}

int mig_expect_ok(struct mig_chan *c, json_t **ret, vz_error *err)
{
	json_t *m = NULL;

	if (mig_recv_json(c, &m, err) < 0)
		return -1;
	if (!json_is_true(json_object_get(m, "ok"))) {
		mig_reply_error(c, m, err);
		json_decref(m);
		return -1;
	}
	if (ret)
		*ret = m;
	else
		json_decref(m);
	return 0;
}

static pid_t spawn_piped(char *const argv[], int in_fd, int out_fd)
{
	pid_t pid = vz_child_fork();

	if (pid != 0)
		return pid;
	if (in_fd >= 0)
		dup2(in_fd, 0);
	else
		dup2(open("/dev/null", O_RDONLY), 0);
	if (out_fd >= 0)
		dup2(out_fd, 1);
	execv(argv[0], argv);
	vz_child_exec_failed(argv[0]);
}

static json_t *status_json(int status)
{
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return json_pack("{s:b, s:i}", "ok", ok, "status", vz_child_exit_code(status));
}

int mig_send_cmd_output(struct mig_chan *c, char *const argv[], const char *what, vz_error *err)
{
	cleanup_free char *buf = vz_xcalloc(1, CHUNK);
	cleanup_free char *s = NULL;
	json_t *end;
	uint64_t next_report = 64u << 20, start = c->sent;
	int p[2], status = 0, rc = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "pipe");
	pid = spawn_piped(argv, -1, p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	}
	while ((n = read(p[0], buf, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || mig_send_frame(c, 'D', buf, (size_t)n, err) < 0) {
			rc = n < 0 ? vz_fail_errno(err, VZ_SYSTEM_ERROR, "read `%s`", argv[0]) : -1;
			kill(pid, SIGKILL);
			break;
		}
		c->sent += (uint64_t)n;
		if (c->progress && c->sent - start >= next_report) {
			char msg[128];
			snprintf(msg, sizeof(msg), "  %s: %.1f MiB sent", what,
				 (double)(c->sent - start) / (1 << 20));
			c->progress(c->pdata, msg);
			next_report += 64u << 20;
		}
	}
	close(p[0]);
	vz_child_wait(pid, &status, -1);
	if (rc < 0)
		return rc;
	end = status_json(status);
	s = json_dumps(end, JSON_COMPACT);
	json_decref(end);
	if (mig_send_frame(c, 'E', s, strlen(s), err) < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return vz_fail(err, VZ_SYSTEM_ERROR, "`%s` (%s) failed with status %d", argv[0],
			       what, vz_child_exit_code(status));
	return 0;
}

int mig_recv_cmd_input(struct mig_chan *c, char *const argv[], vz_error *err)
{
	cleanup_free char *buf = vz_xcalloc(1, MIG_FRAME_MAX);
	json_t *end = NULL;
	int p[2], status = 0, rc = 0;
	bool sink_ok = true;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "pipe");
	pid = spawn_piped(argv, p[0], -1);
	close(p[0]);
	if (pid < 0) {
		close(p[1]);
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	}
	for (;;) {
		char type;
		uint32_t len;
		if (mig_recv_header(c, &type, &len, err) < 0) {
			rc = -1;
			break;
		}
		if (type == 'E') {
			rc = mig_recv_json_payload(c, len, &end, err);
			break;
		}
		if (type != 'D' || mig_read_full(c, buf, len, err) < 0) {
			rc = type != 'D' ? chan_fail(err, "unexpected control message in a stream")
					 : -1;
			break;
		}
		/* A failed sink (disk full) is reported once the stream ends,
		 * so both sides stay in step. */
		if (sink_ok && vz_write_all(p[1], buf, len) < 0)
			sink_ok = false;
	}
	close(p[1]);
	if (rc < 0)
		kill(pid, SIGKILL);
	vz_child_wait(pid, &status, -1);
	if (rc < 0) {
		json_decref(end);
		return rc;
	}
	if (!json_is_true(json_object_get(end, "ok"))) {
		json_decref(end);
		return vz_fail(err, VZ_SYSTEM_ERROR, "the sender's `%s` stream failed", argv[0]);
	}
	json_decref(end);
	if (!sink_ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return vz_fail(err, VZ_FS_NO_DISK_SPACE, "`%s` failed with status %d (disk full?)",
			       argv[0], vz_child_exit_code(status));
	return 0;
}

/* Split MIGRATE_SSH on blanks (no quoting: it holds options, not data). */
static char **split_words(const char *s, size_t extra)
{
	cleanup_free char *copy = vz_xstrdup(s);
	char **v = vz_xcalloc(strlen(s) + extra + 2, sizeof(char *));
	char *save = NULL;
	size_t n = 0;

	for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		v[n++] = vz_xstrdup(w);
	return v;
}

int mig_chan_ssh(struct mig_chan *c, const char *ssh_cmd, const char *dest, vz_error *err)
{
	cleanup_strv char **argv = split_words(ssh_cmd, 3);
	cleanup_free char *path = NULL;
	int sv[2];
	size_t n = 0;
	pid_t pid;

	while (argv[n])
		n++;
	if (n == 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "MIGRATE_SSH is empty");
	if (dest[0] == '-')
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "bad destination `%s`", dest);
	argv[n++] = vz_xstrdup(dest);
	argv[n++] = vz_xstrdup("vzctl migrate-receive");
	/* Resolve a bare program name through PATH once, for execv. */
	if (!strchr(argv[0], '/')) {
		path = vz_strdup_printf("/usr/bin/%s", argv[0]);
		free(argv[0]);
		argv[0] = vz_xstrdup(path);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socketpair");
	pid = spawn_piped(argv, sv[1], sv[1]);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork");
	}
	c->in = c->out = sv[0];
	c->ssh = pid;
	return 0;
}

void mig_chan_close(struct mig_chan *c)
{
	int status;

	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0 && c->out != c->in)
		close(c->out);
	c->in = c->out = -1;
	if (c->ssh > 0) {
		/* Closing our end ends ssh; a hung one is killed after 5 s. */
		if (vz_child_wait(c->ssh, &status, 5000) < 0) {
			kill(c->ssh, SIGKILL);
			vz_child_wait(c->ssh, &status, -1);
		}
		c->ssh = 0;
	}
}
