/* Passing file descriptors over unix sockets (SCM_RIGHTS), for the vzd
 * protocol and for the setup records between vzd and its helpers. */
#ifndef VZ_FDPASS_H
#define VZ_FDPASS_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#define VZ_FDPASS_MAX 4

/* sendmsg of @iov with @n_fds (<= VZ_FDPASS_MAX) descriptors attached,
 * retried on EINTR, never raising SIGPIPE.  Returns bytes sent or -1. */
ssize_t vz_sendmsg_fds(int sock, struct iovec *iov, size_t iovlen, const int *fds, size_t n_fds);

/* recvmsg into @iov, retried on EINTR.  Descriptors that arrive (O_CLOEXEC)
 * are appended to @fds while *@n_fds < @max and closed beyond that.
 * Returns bytes received (0 at EOF) or -1. */
ssize_t vz_recvmsg_fds(int sock, struct iovec *iov, size_t iovlen, int *fds, size_t max,
		       size_t *n_fds);

#endif
