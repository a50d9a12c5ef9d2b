/* Setup records between a container process and its parent (see sync.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/fdpass.h"
#include "runtime/sync.h"

int ct_sync_socketpair(int sv[2], vz_error *err)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "socketpair");
	return 0;
}

static void send_msg(int fd, const struct ct_sync_msg *m, int passfd)
{
	struct iovec iov = {(void *)m, sizeof(*m)};

	/* Best effort: a lost record reads as EOF on the other side. */
	vz_sendmsg_fds(fd, &iov, 1, &passfd, passfd >= 0 ? 1 : 0);
}

void ct_sync_send(int fd, int type, int pid)
{
	struct ct_sync_msg m = {.type = type, .pid = pid};
	send_msg(fd, &m, -1);
}

void ct_sync_send_error(int fd, const vz_error *e)
{
	struct ct_sync_msg m = {.type = CT_SYNC_ERROR, .code = e->code, .errnum = e->errnum};
	memcpy(m.msg, e->msg, sizeof(m.msg));
	m.msg[sizeof(m.msg) - 1] = '\0';
	send_msg(fd, &m, -1);
}

void ct_sync_send_fd(int fd, int passfd)
{
	struct ct_sync_msg m = {.type = CT_SYNC_FD};
	send_msg(fd, &m, passfd);
}

int ct_sync_recv(int fd, struct ct_sync_msg *ret, int *ret_fd, int timeout_ms)
{
	struct iovec iov = {ret, sizeof(*ret)};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t n_fds = 0;
	int passed = -1;
	ssize_t n;
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = vz_recvmsg_fds(fd, &iov, 1, &passed, ret_fd ? 1 : 0, &n_fds);
	if (n <= 0)
		return n < 0 ? -1 : 0;
	if ((size_t)n != sizeof(*ret)) {
		if (n_fds)
			close(passed);
		errno = EPROTO;
		return -1;
	}
	if (n_fds)
		*ret_fd = passed;
	ret->msg[sizeof(ret->msg) - 1] = '\0';
	return 1;
}
