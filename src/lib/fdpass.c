/* Passing file descriptors over unix sockets (see fdpass.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/fdpass.h"

union fd_control {
	char buf[CMSG_SPACE(sizeof(int) * VZ_FDPASS_MAX)];
	struct cmsghdr align;
};

ssize_t vz_sendmsg_fds(int sock, struct iovec *iov, size_t iovlen, const int *fds, size_t n_fds)
{
	union fd_control ctl;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = iovlen};
	ssize_t n;

	if (n_fds > VZ_FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (n_fds) {
		struct cmsghdr *cm;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
	}
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

static void take_fds(struct msghdr *mh, int *fds, size_t max, size_t *n_fds)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fds && *n_fds < max)
				fds[(*n_fds)++] = fd;
			else
				close(fd);
		}
	}
}

ssize_t vz_recvmsg_fds(int sock, struct iovec *iov, size_t iovlen, int *fds, size_t max,
		       size_t *n_fds)
{
	union fd_control ctl;
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = iovlen};
	ssize_t n;

	do {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		take_fds(&mh, fds, max, n_fds);
	return n;
}
