/* The migration channel (transport.c): a byte stream between the source
 * and destination vzd (ssh's stdin/stdout), carrying frames:
 *
 *   'J' + u32 length + JSON object      control messages
 *   'D' + u32 length + bytes            a chunk of the current data stream
 *   'E' + u32 length + JSON object      end of a data stream, with its status
 *   'S' + u32 length + id byte + bytes  bytes of multiplexed stream id (mux.c);
 *                                       no bytes: that direction ended;
 *                                       id | 0x80, no bytes: reset it
 *
 * ssh authenticates the peer (a key the destination accepts, with a forced
 * command running `vzctl migrate-receive`) and encrypts the stream. */
#ifndef VZ_MIGRATE_TRANSPORT_H
#define VZ_MIGRATE_TRANSPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

#define MIG_FRAME_MAX (1u << 20)

struct mig_chan {
	int in, out;	/* read / write ends (may be the same socket) */
	pid_t ssh;	/* the ssh process on the source, 0 on the destination */
	int timeout_ms; /* for each read; a dead peer is noticed */
	uint64_t sent;	/* data bytes sent, for progress */
	bool peer_failed; /* the last error is the peer's {"ok": false} reply */
	void (*progress)(void *data, const char *msg);
	void *pdata;
};

/* Start `MIGRATE_SSH DEST vzctl migrate-receive` with a socket pair as its
 * stdin/stdout. */
int mig_chan_ssh(struct mig_chan *c, const char *ssh_cmd, const char *dest, vz_error *err);
void mig_chan_close(struct mig_chan *c);

/* Raw framing, for the stream multiplexer (mux.c). */
int mig_read_full(struct mig_chan *c, void *buf, size_t len, vz_error *err);
int mig_send_frame(struct mig_chan *c, char type, const void *data, size_t len, vz_error *err);
int mig_recv_header(struct mig_chan *c, char *ret_type, uint32_t *ret_len, vz_error *err);
int mig_recv_json_payload(struct mig_chan *c, uint32_t len, json_t **ret, vz_error *err);
/* The peer's {"ok": false, "code", "error"} reply @m as @err; returns -1. */
int mig_reply_error(struct mig_chan *c, json_t *m, vz_error *err);

/* One byte stream carried over the channel by mig_pump: a local socket
 * whose bytes go to the peer's stream of the same index and back. */
struct mig_stream {
	int fd;	       /* connected local socket, -1 until accepted */
	int listen_fd; /* >= 0: accept fd from here first (one connection) */
	bool local_eof, peer_eof;
	/* > 0: an eventfd that decides how the local end's close reaches the
	 * peer (CRIU's page server takes a clean EOF for a finished
	 * transfer): the EOF is held until it reads 1; 2 or more sends a
	 * reset instead, at once (the peer closes its socket with a reset). */
	int release_fd;
	bool eof_held, release_ok;
};

/* Close @fd with a reset (SO_LINGER 0), not a FIN. */
void mig_close_reset(int fd);

/* Carry @n streams both ways until each has ended in both directions (the
 * local side closed and the peer said so).  Shutting the channel down from
 * another thread ends it with an error. */
int mig_pump(struct mig_chan *c, struct mig_stream *s, size_t n, vz_error *err);

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
