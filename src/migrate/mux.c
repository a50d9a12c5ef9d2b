/* Byte streams multiplexed over the migration channel ('S' frames).
 *
 * A VM migration needs two more connections between the hosts than the
 * control channel: the NBD connection of the disk mirror and QEMU's
 * migration stream.  They ride the one ssh channel vz already authenticated
 * (its forced command allows no port forwarding), framed with a stream id;
 * an empty frame says that direction ended, which becomes a shutdown of the
 * local socket, so each side sees the other's close as in a direct
 * connection. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/transport.h"

#define PUMP_CHUNK (256u << 10)

static bool all_ended(const struct mig_stream *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i].local_eof || !s[i].peer_eof || s[i].eof_held)
			return false;
	return true;
}

/* Local bytes (or the local end) of stream @id to the peer. */
static int pump_out(struct mig_chan *c, struct mig_stream *st, uint8_t id, char *buf, vz_error *err)
{
	ssize_t n = read(st->fd, buf + 1, PUMP_CHUNK);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	buf[0] = (char)id;
	if (n <= 0) {
		/* EOF or a reset: either way this direction is over. */
		st->local_eof = true;
		if (st->release_fd > 0 && !st->release_ok) {
			st->eof_held = true;
			return 0;
		}
		return mig_send_frame(c, 'S', buf, 1, err);
	}
	c->sent += (uint64_t)n;
	return mig_send_frame(c, 'S', buf, (size_t)n + 1, err);
}

static int pump_accept(struct mig_stream *st, vz_error *err);

/* The peer's end is connected before ours (its side connects at once, ours
 * when the local program gets to it): wait for our connection rather than
 * drop its first bytes, unless the channel is shut down meanwhile. */
static int wait_accept(struct mig_chan *c, struct mig_stream *st, vz_error *err)
{
	while (st->fd < 0) {
		struct pollfd p[2] = {{.fd = st->listen_fd, .events = POLLIN},
				      {.fd = c->in, .events = 0}};
		int r = poll(p, 2, c->timeout_ms > 0 ? c->timeout_ms : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || (p[1].revents & (POLLHUP | POLLERR)))
			return vz_fail(err, VZ_SYSTEM_ERROR,
				       "migration channel: no local connection for a stream");
		if (p[0].revents && pump_accept(st, err) < 0)
			return -1;
	}
	return 0;
}

/* One frame from the peer into its local socket. */
static int pump_in(struct mig_chan *c, struct mig_stream *s, size_t n, char *buf, vz_error *err)
{
	struct mig_stream *st;
	uint32_t len;
	char type;

	if (mig_recv_header(c, &type, &len, err) < 0)
		return -1;
	if (type == 'J') {
		/* The peer gave up (an error reply): that is the cause to report. */
		json_t *m = NULL;
		if (mig_recv_json_payload(c, len, &m, err) < 0)
			return -1;
		mig_reply_error(c, m, err);
		json_decref(m);
		return -1;
	}
	if (type != 'S' || len < 1 || len > PUMP_CHUNK + 1)
		return vz_fail(err, VZ_SYSTEM_ERROR,
			       "migration channel: unexpected frame in a "
			       "stream");
	if (mig_read_full(c, buf, len, err) < 0)
		return -1;
	if (len == 1 && ((uint8_t)buf[0] & 0x80) && ((uint8_t)buf[0] & 0x7f) < n) {
		/* The peer's end was reset: so is ours, both directions. */
		st = &s[(uint8_t)buf[0] & 0x7f];
		mig_close_reset(st->fd);
		st->fd = -1;
		st->local_eof = st->peer_eof = true;
		return 0;
	}
	if ((uint8_t)buf[0] >= n)
		return vz_fail(err, VZ_SYSTEM_ERROR, "migration channel: unknown stream %u",
			       (unsigned)(uint8_t)buf[0]);
	st = &s[(uint8_t)buf[0]];
	if (st->fd < 0 && st->listen_fd >= 0 && wait_accept(c, st, err) < 0)
		return -1;
	if (len == 1) {
		st->peer_eof = true;
		if (st->fd >= 0)
			shutdown(st->fd, SHUT_WR);
		return 0;
	}
	/* A local end that went away drops the bytes; its close travels back
	 * as our EOF and the peer's QEMU sees the failure. */
	for (size_t off = 1; st->fd >= 0 && off < len;) {
		ssize_t w = send(st->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	return 0;
}

void mig_close_reset(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int pump_accept(struct mig_stream *st, vz_error *err)
{
	int fd = accept4(st->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return errno == EINTR || errno == EAGAIN
			   ? 0
			   : vz_fail_errno(err, VZ_SYSTEM_ERROR, "accept a stream connection");
	close(st->listen_fd);
	st->listen_fd = -1;
	st->fd = fd;
	return 0;
}

/* The release eventfd of @st said how its local end's close goes out. */
static int pump_release(struct mig_chan *c, struct mig_stream *st, uint8_t id, vz_error *err)
{
	uint64_t v = 0;
	char b = (char)(id | 0x80);

	if (read(st->release_fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	st->release_fd = -1;
	if (v == 1) {
		st->release_ok = true;
		if (!st->eof_held)
			return 0;
		st->eof_held = false;
		b = (char)id;
		return mig_send_frame(c, 'S', &b, 1, err);
	}
	mig_close_reset(st->fd);
	if (st->listen_fd >= 0)
		close(st->listen_fd);
	st->fd = st->listen_fd = -1;
	st->local_eof = true;
	st->eof_held = false;
	return mig_send_frame(c, 'S', &b, 1, err);
}

int mig_pump(struct mig_chan *c, struct mig_stream *s, size_t n, vz_error *err)
{
	cleanup_free char *buf = vz_xcalloc(1, PUMP_CHUNK + 1);
	cleanup_free struct pollfd *p = vz_xcalloc(2 * n + 1, sizeof(*p));

	while (!all_ended(s, n)) {
		int r;
		p[0] = (struct pollfd){.fd = c->in, .events = POLLIN};
		for (size_t i = 0; i < n; i++) {
			int fd = s[i].listen_fd >= 0 ? s[i].listen_fd
				 : s[i].local_eof    ? -1
						     : s[i].fd;
			p[i + 1] = (struct pollfd){.fd = fd, .events = POLLIN};
			p[n + i + 1] = (struct pollfd){
			    .fd = s[i].release_fd > 0 ? s[i].release_fd : -1, .events = POLLIN};
		}
		r = poll(p, 2 * n + 1, c->timeout_ms > 0 ? c->timeout_ms : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "poll");
		if (r == 0)
			return vz_fail(err, VZ_SYSTEM_ERROR,
				       "migration channel: the streams stalled (timeout)");
		for (size_t i = 0; i < n; i++)
			if (p[n + i + 1].revents && pump_release(c, &s[i], (uint8_t)i, err) < 0)
				return -1;
		for (size_t i = 0; i < n; i++) {
			if (!p[i + 1].revents || (p[i + 1].fd != s[i].fd && p[i + 1].fd != s[i].listen_fd))
				continue;
			if (s[i].listen_fd >= 0 ? pump_accept(&s[i], err) < 0
						: pump_out(c, &s[i], (uint8_t)i, buf, err) < 0)
				return -1;
		}
		/* Read what the peer sent before writing more: both sides
		 * blocked writing to a full ssh channel would never wake. */
		for (int k = 0; p[0].revents && k < 64 && !all_ended(s, n); k++) {
			if (pump_in(c, s, n, buf, err) < 0)
				return -1;
			p[0] = (struct pollfd){.fd = c->in, .events = POLLIN};
			if (poll(p, 1, 0) <= 0)
				break;
		}
	}
	return 0;
}
