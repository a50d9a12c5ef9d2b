/* Bring up "lo" in a fresh network namespace through rtnetlink.
 *
 * Done with libmnl the usual way: caller-owned buffer, the sequence number
 * and port id of the reply checked, the ack's error code returned. */
#include "config.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

#include "netns/netns.h"

static void mnl_socket_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
	*nl = NULL;
}

int vz_netns_loopback_up(vz_error *err)
{
	__attribute__((cleanup(mnl_socket_closep))) struct mnl_socket *nl = NULL;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned int seq = (unsigned int)time(NULL), portid;
	int index = (int)if_nametoindex("lo");
	ssize_t n;

	if (index == 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "find loopback device");
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open rtnetlink socket");
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "send RTM_NEWLINK for lo");
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "receive ack for lo");
	/* mnl_cb_run checks seq and portid and turns an NLMSG_ERROR into errno. */
	if (mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "set lo up");
	return 0;
}
