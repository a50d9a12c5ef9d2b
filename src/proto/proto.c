/* The vzd request/reply protocol: framing and descriptor passing (see proto.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fdpass.h"
#include "lib/util.h"
#include "proto/proto.h"

void vz_proto_put_len(unsigned char out[4], size_t len)
{
	out[0] = (unsigned char)(len >> 24);
	out[1] = (unsigned char)(len >> 16);
	out[2] = (unsigned char)(len >> 8);
	out[3] = (unsigned char)len;
}

size_t vz_proto_get_len(const unsigned char in[4])
{
	return ((size_t)in[0] << 24) | ((size_t)in[1] << 16) | ((size_t)in[2] << 8) | in[3];
}

/* Drop @n sent bytes from the front of @iov. */
static void iov_advance(struct iovec **iov, size_t *iovlen, size_t n)
{
	while (n > 0 && *iovlen > 0) {
		size_t step = n < (*iov)->iov_len ? n : (*iov)->iov_len;
		(*iov)->iov_base = (char *)(*iov)->iov_base + step;
		(*iov)->iov_len -= step;
		n -= step;
		if ((*iov)->iov_len == 0) {
			(*iov)++;
			(*iovlen)--;
		}
	}
}

int vz_proto_send(int sock, json_t *msg, const int *fds, size_t n_fds, vz_error *err)
{
	cleanup_free char *body = json_dumps(msg, JSON_COMPACT);
	unsigned char hdr[4];
	struct iovec vec[2], *iov = vec;
	size_t len, iovlen = 2;

	if (!body)
		return vz_fail(err, VZ_SYSTEM_ERROR, "cannot encode message");
	len = strlen(body);
	if (len > VZ_PROTO_MAX_REPLY || n_fds > VZ_PROTO_MAX_FDS)
		return vz_fail(err, VZ_SYSTEM_ERROR, "message too large (%zu bytes)", len);
	vz_proto_put_len(hdr, len);
	vec[0] = (struct iovec){hdr, 4};
	vec[1] = (struct iovec){body, len};
	/* The descriptors ride with the first sendmsg; the rest is plain data. */
	while (iovlen > 0) {
		ssize_t n = vz_sendmsg_fds(sock, iov, iovlen, fds, n_fds);
		if (n < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "send message");
		n_fds = 0;
		iov_advance(&iov, &iovlen, (size_t)n);
	}
	return 0;
}

/* Read exactly @len bytes; the first read may carry descriptors.  @got is
 * how much of the message came before (EOF then is a truncated message). */
static int recv_exact(int sock, void *buf, size_t len, size_t got_before, int *ret_fds,
		      size_t max_fds, size_t *ret_n, vz_error *err)
{
	size_t got = 0;

	while (got < len) {
		struct iovec iov = {(char *)buf + got, len - got};
		ssize_t n = vz_recvmsg_fds(sock, &iov, 1, ret_fds, max_fds, ret_n);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return vz_fail(err, VZ_SYSTEM_ERROR, "timed out waiting for the peer");
		if (n < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "receive message");
		if (n == 0)
			return vz_fail(err, VZ_SYSTEM_ERROR,
				       got + got_before ? "connection closed mid-message"
							: "connection closed");
		got += (size_t)n;
	}
	return 0;
}

int vz_proto_recv(int sock, json_t **ret, int *ret_fds, size_t max_fds, size_t *ret_n_fds,
		  vz_error *err)
{
	return vz_proto_recv_max(sock, VZ_PROTO_MAX_MSG, ret, ret_fds, max_fds, ret_n_fds, err);
}

int vz_proto_recv_max(int sock, size_t max_len, json_t **ret, int *ret_fds, size_t max_fds,
		      size_t *ret_n_fds, vz_error *err)
{
	unsigned char hdr[4];
	cleanup_free char *body = NULL;
	size_t len, n_fds = 0;
	json_error_t jerr;
	json_t *msg;

	if (recv_exact(sock, hdr, 4, 0, ret_fds, max_fds, &n_fds, err) < 0)
		goto fail;
	len = vz_proto_get_len(hdr);
	if (len == 0 || len > max_len) {
		vz_fail(err, VZ_SYSTEM_ERROR, "bad message length %zu (limit %zu)", len, max_len);
		goto fail;
	}
	body = vz_xcalloc(1, len + 1);
	if (recv_exact(sock, body, len, 4, ret_fds, max_fds, &n_fds, err) < 0)
		goto fail;
	msg = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!msg || !json_is_object(msg)) {
		json_decref(msg);
		vz_fail(err, VZ_SYSTEM_ERROR, "malformed message: %s",
			msg ? "not a JSON object" : jerr.text);
		goto fail;
	}
	*ret = msg;
	if (ret_n_fds)
		*ret_n_fds = n_fds;
	return 0;
fail:
	for (size_t i = 0; i < n_fds; i++)
		close(ret_fds[i]);
	if (ret_n_fds)
		*ret_n_fds = 0;
	return -1;
}

json_t *vz_proto_error_reply(const vz_error *err)
{
	char ascii[sizeof(err->msg)];
	const char *msg = err->msg[0] ? err->msg : "unknown error";
	json_t *r = json_pack("{s:b, s:i, s:i, s:s}", "ok", 0, "code",
			      err->code ? err->code : VZ_SYSTEM_ERROR, "errno", err->errnum,
			      "error", msg);

	if (r)
		return r;
	/* The message quotes hostile input that is not valid UTF-8 (or was cut
	 * inside a character), which JSON cannot carry: the reply must still
	 * go out, so send it with the non-ASCII bytes masked.  (fuzz-proto) */
	snprintf(ascii, sizeof(ascii), "%s", msg);
	for (char *p = ascii; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_pack("{s:b, s:i, s:i, s:s}", "ok", 0, "code",
			 err->code ? err->code : VZ_SYSTEM_ERROR, "errno", err->errnum, "error",
			 ascii);
}

json_t *vz_proto_ok_reply(json_t *result)
{
	json_t *r = json_pack("{s:b}", "ok", 1);
	if (result)
		json_object_set_new(r, "result", result);
	return r;
}

int vz_proto_reply_to_error(json_t *reply, vz_error *err)
{
	json_t *ok = json_object_get(reply, "ok");
	const char *msg;

	if (!json_is_boolean(ok))
		return vz_fail(err, VZ_SYSTEM_ERROR, "malformed reply from vzd: no \"ok\" field");
	if (json_is_true(ok))
		return 0;
	msg = json_string_value(json_object_get(reply, "error"));
	vz_error_set(err, (int)json_integer_value(json_object_get(reply, "code")), 0, "%s",
		     msg ? msg : "vzd reported an error without a message");
	if (err)
		err->errnum = (int)json_integer_value(json_object_get(reply, "errno"));
	return -1;
}
