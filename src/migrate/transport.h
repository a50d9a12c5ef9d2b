/* The migration channel (transport.c): a byte stream between the source
 * and destination vzd (ssh's stdin/stdout), carrying frames:
 *
 *   'J' + u32 length + JSON object      control messages
 *   'D' + u32 length + bytes            a chunk of the current data stream
 *   'E' + u32 length + JSON object      end of a data stream, with its status
 *
 * ssh authenticates the peer (a key the destination accepts, with a forced
 * command running `vzctl migrate-receive`) and encrypts the stream. */
#ifndef VZ_MIGRATE_TRANSPORT_H
#define VZ_MIGRATE_TRANSPORT_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

#define MIG_FRAME_MAX (1u << 20)

struct mig_chan {
	int in, out;	/* read / write ends (may be the same socket) */
	pid_t ssh;	/* the ssh process on the source, 0 on the destination */
	int timeout_ms; /* for each read; a dead peer is noticed */
	uint64_t sent;	/* data bytes sent, for progress */
	void (*progress)(void *data, const char *msg);
	void *pdata;
};

/* Start `MIGRATE_SSH DEST vzctl migrate-receive` with a socket pair as its
 * stdin/stdout. */
int mig_chan_ssh(struct mig_chan *c, const char *ssh_cmd, const char *dest, vz_error *err);
void mig_chan_close(struct mig_chan *c);

int mig_send_json(struct mig_chan *c, json_t *msg, vz_error *err); /* consumes msg */
/* Next control message; a data frame here is a protocol error. */
int mig_recv_json(struct mig_chan *c, json_t **ret, vz_error *err);
/* Wait for {"ok": true, ...}; an {"ok": false, "code", "error"} reply
 * becomes @err. *@ret (may be NULL) keeps the reply. */
int mig_expect_ok(struct mig_chan *c, json_t **ret, vz_error *err);

/* Stream the stdout of @argv as data frames, then 'E' with its status. */
int mig_send_cmd_output(struct mig_chan *c, char *const argv[], const char *what, vz_error *err);
/* Receive one data stream into the stdin of @argv; fails if the sender's
 * command or @argv failed (the rest of the stream is drained). */
int mig_recv_cmd_input(struct mig_chan *c, char *const argv[], vz_error *err);

#endif
