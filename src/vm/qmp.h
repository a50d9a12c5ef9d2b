/* A JSON-lines client for QEMU's two machine protocols over unix sockets:
 * QMP (the monitor: greeting, qmp_capabilities, then commands; asynchronous
 * events are skipped) and the guest agent protocol (no greeting; guest-sync
 * discards what an earlier, interrupted client left in the channel).
 *
 * Never the human monitor: every reply is a JSON object, parsed by jansson. */
#ifndef VZ_VM_QMP_H
#define VZ_VM_QMP_H

#include <jansson.h>

#include "lib/error.h"

struct vz_qmp {
	int fd;
	char *path; /* for messages */
	char buf[65536];
	size_t len; /* bytes buffered in buf */
};

/* Connect to the QMP socket at @path and leave capabilities negotiation
 * done; waits at most @timeout_ms for QEMU to answer. */
int vz_qmp_open(struct vz_qmp *q, const char *path, int timeout_ms, vz_error *err);
/* Connect to a guest agent socket and synchronize (guest-sync) within
 * @timeout_ms: VZ_EXEC_TIMEOUT when the agent does not answer. */
int vz_qga_open(struct vz_qmp *q, const char *path, int timeout_ms, vz_error *err);
void vz_qmp_close(struct vz_qmp *q);

/* Run @cmd with @args (borrowed, may be NULL); *@ret gets the "return"
 * value (new reference; may be NULL when the caller does not want it).  A
 * QEMU "error" reply becomes VZ_SYSTEM_ERROR with QEMU's description. */
int vz_qmp_call(struct vz_qmp *q, const char *cmd, json_t *args, json_t **ret, int timeout_ms,
		vz_error *err);

/* Connect to a unix stream socket, retrying until @timeout_ms passed. */
int vz_unix_connect(const char *path, int timeout_ms, int *ret_fd, vz_error *err);

/* getfd: hand @fd to QEMU under @name (SCM_RIGHTS on the QMP socket), for
 * commands that take "fd:NAME" (migrate, migrate-incoming). */
int vz_qmp_pass_fd(struct vz_qmp *q, const char *name, int fd, vz_error *err);

/* Whether a QMP socket answers at all (connect succeeds). */
bool vz_qmp_alive(const char *path);

static inline void vz_qmp_closep(struct vz_qmp *q)
{
	vz_qmp_close(q);
}
#define cleanup_qmp __attribute__((cleanup(vz_qmp_closep)))

/* Decode base64 (the guest agent's out-data/err-data); NULL on bad input. */
unsigned char *vz_base64_decode(const char *in, size_t *ret_len);
/* Encode @len bytes as base64 (input-data).  Caller frees. */
char *vz_base64_encode(const unsigned char *in, size_t len);

#endif
