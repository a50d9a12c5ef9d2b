/* The vzd request/reply protocol: framing and descriptor passing.
 *
 * A message is a 4-byte big-endian length followed by that many bytes of
 * UTF-8 JSON holding one object.  Up to VZ_PROTO_MAX_FDS descriptors may
 * travel with a message as SCM_RIGHTS (the client's stdio for exec, a pty
 * master for enter).  vzd refuses requests over VZ_PROTO_MAX_MSG (they
 * come from clients); replies, which only vzd sends, may be up to
 * VZ_PROTO_MAX_REPLY (a list of thousands of containers is over 1 MiB).  The request and reply objects are described in README.md
 * ("Protocol"). */
#ifndef VZ_PROTO_H
#define VZ_PROTO_H

#include <jansson.h>
#include <stddef.h>

#include "lib/error.h"

#define VZ_PROTO_VERSION 1
#define VZ_PROTO_MAX_MSG	 (1024 * 1024)
#define VZ_PROTO_MAX_REPLY (64 * 1024 * 1024)
#define VZ_PROTO_MAX_FDS 4 /* VZ_FDPASS_MAX */

/* Send @msg (not consumed) with @n_fds descriptors. */
VZ_EXPORT int vz_proto_send(int sock, json_t *msg, const int *fds, size_t n_fds, vz_error *err);

/* Receive one message.  Descriptors that arrive are stored in @ret_fds (up to
 * @max_fds, O_CLOEXEC) and counted in *@ret_n_fds; extra ones are closed.
 * EOF before the first byte gives code VZ_SYSTEM_ERROR with errnum 0 and
 * *ret = NULL-free failure ("connection closed"). */
VZ_EXPORT int vz_proto_recv(int sock, json_t **ret, int *ret_fds, size_t max_fds, size_t *ret_n_fds,
			    vz_error *err);
/* vz_proto_recv() for messages up to @max_len bytes (a client reading vzd's
 * replies: VZ_PROTO_MAX_REPLY). */
VZ_EXPORT int vz_proto_recv_max(int sock, size_t max_len, json_t **ret, int *ret_fds,
				size_t max_fds, size_t *ret_n_fds, vz_error *err);

/* Encode/decode the length prefix (exposed for tests and the fuzzer). */
void vz_proto_put_len(unsigned char out[4], size_t len);
size_t vz_proto_get_len(const unsigned char in[4]);

/* Build the reply objects. */
VZ_EXPORT json_t *vz_proto_error_reply(const vz_error *err);
VZ_EXPORT json_t *vz_proto_ok_reply(json_t *result /* stolen, may be NULL */);
/* Turn an error reply into @err (code, errno, message); 0 for an ok reply. */
VZ_EXPORT int vz_proto_reply_to_error(json_t *reply, vz_error *err);

static inline void vz_json_decrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
	*j = NULL;
}
#define cleanup_json __attribute__((cleanup(vz_json_decrefp)))

#endif
