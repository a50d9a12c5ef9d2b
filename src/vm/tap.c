/* Host tap devices of VMs: made with the tun ioctls (persistent, owned by
 * the VM user so that the unprivileged QEMU can open them by name) and put
 * on the bridge with rtnetlink (libmnl: caller-owned buffer, seq and port id
 * checked by mnl_cb_run).
 *
 * The bridge and its anti-spoofing rules are the networking layer's
 * (vz_net_port_attach), exactly as for a container's veth. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "vm/vm.h"

static void mnl_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
	*nl = NULL;
}

/* One rtnetlink request on link @index, acknowledged. */
static int link_request(uint16_t type, int index, unsigned flags, const char *what, vz_error *err)
{
	__attribute__((cleanup(mnl_closep))) struct mnl_socket *nl = NULL;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned seq = (unsigned)time(NULL), portid;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	ssize_t n;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	ifm->ifi_flags = flags;
	ifm->ifi_change = flags;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open rtnetlink socket");
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "send rtnetlink request");
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0 || mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "%s", what);
	return 0;
}

int vz_tap_create(const char *name, uid_t uid, gid_t gid, vz_error *err)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	cleanup_close int fd = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open /dev/net/tun");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "create tap `%s`", name);
	/* Owned by the VM user and kept after we close it: QEMU reopens it
	 * by name without any capability. */
	if (ioctl(fd, TUNSETOWNER, (unsigned long)uid) < 0 ||
	    ioctl(fd, TUNSETGROUP, (unsigned long)gid) < 0 || ioctl(fd, TUNSETPERSIST, 1UL) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "make tap `%s` persistent", name);
	return 0;
}

int vz_tap_open(const char *name, int *ret_fd, vz_error *err)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	cleanup_close int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open /dev/net/tun");
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open tap `%s`", name);
	*ret_fd = take_fd(&fd);
	return 0;
}

int vz_tap_delete(const char *name, vz_error *err)
{
	int index = (int)if_nametoindex(name);

	if (!index)
		return 0;
	if (link_request(RTM_DELLINK, index, 0, "delete tap", err) < 0 && errno != ENODEV)
		return vz_error_wrap(err, "tap `%s`", name);
	return 0;
}
