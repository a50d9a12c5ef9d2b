/* Bring up "lo" in a fresh network namespace.
 *
 * Called in the container's init before its exec, a child of threaded vzd
 * (lib/child.h): so with the SIOCSIFFLAGS ioctl, which allocates nothing,
 * rather than through a netlink library. */
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns/netns.h"

int vz_netns_loopback_up(vz_error *err)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "socket to set lo up");
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rc = vz_fail_errno(err, VZ_SYSTEM_ERROR, "find loopback device");
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			rc = vz_fail_errno(err, VZ_SYSTEM_ERROR, "set lo up");
	}
	close(fd);
	return rc;
}
