/* Records a child sends to its parent over a SOCK_SEQPACKET socketpair while
 * it sets a container process up: its pid, an error, or "about to exec".
 * One record per packet, so a short read never splits one. */
#ifndef VZ_RUNTIME_SYNC_H
#define VZ_RUNTIME_SYNC_H

#include <sys/types.h>

#include "lib/error.h"

enum ct_sync_type {
	CT_SYNC_PID = 1, /* the launcher cloned the container init: pid */
	CT_SYNC_ERROR,	 /* setup failed: code, errnum, message */
	CT_SYNC_EXEC,	 /* setup done, exec follows */
	CT_SYNC_FD,	 /* a descriptor rides along (SCM_RIGHTS) */
};

struct ct_sync_msg {
	int type;
	int code;
	int errnum;
	int pid;
	char msg[sizeof(((vz_error *)0)->msg)];
};

int ct_sync_socketpair(int sv[2], vz_error *err);
/* Child side: these never fail loudly, a lost record reads as EOF. */
void ct_sync_send(int fd, int type, int pid);
void ct_sync_send_error(int fd, const vz_error *e);
void ct_sync_send_fd(int fd, int passfd);
/* Parent side: 1 record read, 0 EOF, -1 error.  @ret_fd gets a passed fd. */
int ct_sync_recv(int fd, struct ct_sync_msg *ret, int *ret_fd, int timeout_ms);

#endif
