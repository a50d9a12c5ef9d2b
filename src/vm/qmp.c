/* QMP and guest agent client (see qmp.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fdpass.h"
#include "lib/util.h"
#include "vm/qmp.h"

static int connect_unix(const char *path, int *ret, vz_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return vz_fail(err, VZ_SYSTEM_ERROR, "socket path `%s` is too long", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "connect to `%s`", path);
	}
	*ret = fd;
	return 0;
}

bool vz_qmp_alive(const char *path)
{
	vz_error e = {0};
	int fd;

	if (connect_unix(path, &fd, &e) < 0)
		return false;
	close(fd);
	return true;
}

void vz_qmp_close(struct vz_qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	vz_freep(&q->path);
}

/* The next JSON object from the stream (one per line), waiting until
 * @deadline (vz_now_ms).  Bytes that are not JSON (the agent's 0xff sync
 * marker) are dropped. */
static int read_msg(struct vz_qmp *q, uint64_t deadline, json_t **ret, vz_error *err)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		if (nl) {
			size_t n = (size_t)(nl - q->buf) + 1;
			char *start = q->buf;
			json_t *j;
			while (start < nl && *start != '{')
				start++;
			j = start < nl ? json_loadb(start, (size_t)(nl - start), 0, NULL) : NULL;
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (j && json_is_object(j)) {
				*ret = j;
				return 0;
			}
			json_decref(j);
			continue;
		}
		if (q->len == sizeof(q->buf))
			return vz_fail(err, VZ_SYSTEM_ERROR, "`%s`: message too long", q->path);
		uint64_t now = vz_now_ms();
		if (now >= deadline)
			return vz_fail(err, VZ_EXEC_TIMEOUT, "`%s` did not answer in time",
				       q->path);
		struct pollfd p = {.fd = q->fd, .events = POLLIN};
		int r = poll(&p, 1, (int)(deadline - now));
		if (r < 0 && errno != EINTR)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "poll `%s`", q->path);
		if (r <= 0)
			continue;
		ssize_t got = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "read `%s`", q->path);
		if (got == 0)
			return vz_fail(err, VZ_SYSTEM_ERROR, "`%s` closed the connection", q->path);
		q->len += (size_t)got;
	}
}

static int send_msg(struct vz_qmp *q, json_t *msg, vz_error *err)
{
	cleanup_free char *s = json_dumps(msg, JSON_COMPACT);
	cleanup_free char *line = vz_strdup_printf("%s\n", s);

	if (vz_write_all(q->fd, line, strlen(line)) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "write to `%s`", q->path);
	return 0;
}

/* Send and wait for the reply that carries @id ("return" or "error"). */
static int transact(struct vz_qmp *q, json_t *req, json_int_t id, json_t **ret, uint64_t deadline,
		    vz_error *err)
{
	if (send_msg(q, req, err) < 0)
		return -1;
	for (;;) {
		json_t *m = NULL, *rid;
		if (read_msg(q, deadline, &m, err) < 0)
			return -1;
		rid = json_object_get(m, "id");
		/* Events, and replies to an earlier client's requests, are not ours. */
		if (json_object_get(m, "event") || !rid || json_integer_value(rid) != id) {
			json_decref(m);
			continue;
		}
		*ret = m;
		return 0;
	}
}

int vz_qmp_call(struct vz_qmp *q, const char *cmd, json_t *args, json_t **ret, int timeout_ms,
		vz_error *err)
{
	static json_int_t next_id = 1;
	json_int_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	json_auto_t *req = json_pack("{s:s, s:I}", "execute", cmd, "id", id);
	json_auto_t *rep = NULL;
	json_t *e;

	if (args)
		json_object_set(req, "arguments", args);
	if (transact(q, req, id, &rep, vz_now_ms() + (uint64_t)timeout_ms, err) < 0)
		return vz_error_wrap(err, "%s", cmd);
	e = json_object_get(rep, "error");
	if (e)
		return vz_fail(err, VZ_SYSTEM_ERROR, "%s: %s", cmd,
			       json_string_value(json_object_get(e, "desc"))
				   ?: "QEMU reported an error");
	if (ret)
		*ret = json_incref(json_object_get(rep, "return"));
	return 0;
}

int vz_qmp_pass_fd(struct vz_qmp *q, const char *name, int fd, vz_error *err)
{
	static json_int_t next_id = 1000000;
	json_int_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	json_auto_t *req = json_pack("{s:s, s:{s:s}, s:I}", "execute", "getfd", "arguments",
				     "fdname", name, "id", id);
	json_auto_t *rep = NULL;
	cleanup_free char *s = json_dumps(req, JSON_COMPACT);
	cleanup_free char *line = vz_strdup_printf("%s\n", s);
	struct iovec iov = {.iov_base = line, .iov_len = strlen(line)};

	/* The descriptor rides on the first byte of the command. */
	if (vz_sendmsg_fds(q->fd, &iov, 1, &fd, 1) != (ssize_t)strlen(line))
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "getfd %s: send", name);
	for (;;) {
		json_t *m = NULL;
		if (read_msg(q, vz_now_ms() + 10000, &m, err) < 0)
			return vz_error_wrap(err, "getfd %s", name);
		if (json_integer_value(json_object_get(m, "id")) == id) {
			rep = m;
			break;
		}
		json_decref(m);
	}
	if (json_object_get(rep, "error"))
		return vz_fail(
		    err, VZ_SYSTEM_ERROR, "getfd %s: %s", name,
		    json_string_value(json_object_get(json_object_get(rep, "error"), "desc"))
			?: "error");
	return 0;
}

static int connect_deadline(const char *path, uint64_t deadline, int *ret_fd, vz_error *err)
{
	for (;;) {
		vz_error_clear(err);
		if (connect_unix(path, ret_fd, err) == 0)
			return 0;
		if (vz_now_ms() >= deadline)
			return -1;
		usleep(50 * 1000);
	}
}

int vz_unix_connect(const char *path, int timeout_ms, int *ret_fd, vz_error *err)
{
	return connect_deadline(path, vz_now_ms() + (uint64_t)timeout_ms, ret_fd, err);
}

static int connect_until(struct vz_qmp *q, const char *path, uint64_t deadline, vz_error *err)
{
	q->fd = -1;
	q->len = 0;
	q->path = vz_xstrdup(path);
	return connect_deadline(path, deadline, &q->fd, err);
}

int vz_qmp_open(struct vz_qmp *q, const char *path, int timeout_ms, vz_error *err)
{
	uint64_t deadline = vz_now_ms() + (uint64_t)timeout_ms;
	json_auto_t *greeting = NULL;

	if (connect_until(q, path, deadline, err) < 0 || read_msg(q, deadline, &greeting, err) < 0)
		goto fail;
	if (!json_object_get(greeting, "QMP")) {
		vz_fail(err, VZ_SYSTEM_ERROR, "`%s` is not a QMP socket", path);
		goto fail;
	}
	if (vz_qmp_call(q, "qmp_capabilities", NULL, NULL, timeout_ms, err) < 0)
		goto fail;
	return 0;
fail:
	vz_qmp_close(q);
	return -1;
}

int vz_qga_open(struct vz_qmp *q, const char *path, int timeout_ms, vz_error *err)
{
	uint64_t deadline = vz_now_ms() + (uint64_t)timeout_ms;

	if (connect_until(q, path, deadline, err) < 0)
		goto fail;
	/* The agent may still be booting: ask again every 2 s until it answers
	 * with our id (guest-sync returns its argument). */
	for (;;) {
		json_int_t id = (json_int_t)(vz_now_ms() & 0x3fffffff) + getpid();
		json_auto_t *req =
		    json_pack("{s:s, s:{s:I}}", "execute", "guest-sync", "arguments", "id", id);
		uint64_t step = vz_now_ms() + 2000;
		if (send_msg(q, req, err) < 0)
			goto fail;
		for (;;) {
			json_auto_t *m = NULL;
			if (read_msg(q, step < deadline ? step : deadline, &m, err) < 0)
				break;
			if (json_integer_value(json_object_get(m, "return")) == id)
				return 0;
		}
		if (err->code != VZ_EXEC_TIMEOUT || vz_now_ms() >= deadline)
			goto fail;
	}
fail:
	vz_qmp_close(q);
	err->code = VZ_EXEC_TIMEOUT;
	return vz_error_wrap(err, "the guest agent does not answer within %d s", timeout_ms / 1000);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *vz_base64_encode(const unsigned char *in, size_t len)
{
	char *out = vz_xcalloc((len + 2) / 3 * 4 + 1, 1), *o = out;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*o++ = b64[(v >> 18) & 63];
		*o++ = b64[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	return out;
}

unsigned char *vz_base64_decode(const char *in, size_t *ret_len)
{
	size_t n = strlen(in), len = 0;
	unsigned char *out = vz_xcalloc(n / 4 * 3 + 3, 1);
	unsigned v = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p;
		if (in[i] == '=')
			break;
		if (in[i] == '\n' || in[i] == '\r')
			continue;
		p = strchr(b64, in[i]);
		if (!p || !in[i]) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(p - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(v >> bits);
		}
	}
	*ret_len = len;
	return out;
}
