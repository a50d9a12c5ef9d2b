/* Who may talk to vzd: root, and members of VZD_GROUP when vz.conf names
 * one.  The socket file's owner and mode say the same to the kernel (0600
 * root, or 0660 root:VZD_GROUP), and each connection's credentials are
 * checked again with SO_PEERCRED / SO_PEERGROUPS, so a descriptor passed to
 * an outsider does not open the door either.  VZD_GROUP members are as
 * strong as root on the host (they can create PRIVILEGED containers). */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/server.h"
#include "lib/cleanup.h"
#include "lib/util.h"

int vzd_socket_access(const char *path, const char *group, long *ret_gid, vz_error *err)
{
	struct group gr, *res = NULL;
	char buf[4096];
	int r;

	*ret_gid = -1;
	if (!group)
		return chmod(path, 0600) < 0
			   ? vz_fail_errno(err, VZ_SYSTEM_ERROR, "chmod `%s`", path)
			   : 0;
	r = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
	if (r || !res)
		return vz_error_set(err, VZ_INVALID_PARAMETER_VALUE, r, "VZD_GROUP: no group `%s`",
				    group);
	if (chown(path, 0, gr.gr_gid) < 0 || chmod(path, 0660) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "give `%s` to group %s", path, group);
	*ret_gid = gr.gr_gid;
	return 0;
}

bool vzd_peer_allowed(int sock, long gid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[256];

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	if (cred.uid == 0)
		return true;
	if (gid < 0)
		return false;
	if (cred.gid == (gid_t)gid)
		return true;
	len = sizeof(groups);
	if (getsockopt(sock, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == (gid_t)gid)
			return true;
	return false;
}
