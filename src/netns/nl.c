/* rtnetlink requests through libmnl (see nl.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "netns/nl.h"

/* RFC 2863 "up", from <linux/if.h> (which clashes with <net/if.h>). */
#define VZ_IF_OPER_UP 6

int vz_nl_open(struct vz_nl *nl, int netns_fd, vz_error *err)
{
	cleanup_close int self = -1;

	nl->sock = NULL;
	if (netns_fd >= 0) {
		self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(netns_fd, CLONE_NEWNET) < 0)
			return vz_fail_errno(err, VZ_SYSTEM_ERROR, "enter network namespace");
	}
	/* The socket belongs to the namespace it was created in. */
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (nl->sock && mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
	}
	if (self >= 0 && setns(self, CLONE_NEWNET) < 0)
		abort(); /* a thread left in a container's namespace must not go on */
	if (!nl->sock)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open rtnetlink socket");
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void vz_nl_close(struct vz_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Send @nlh, run @cb over the replies until the ack/done.  -errno on failure. */
static int talk(struct vz_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;
	int r;

	nlh->nlmsg_seq = ++nl->seq;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		/* mnl_cb_run checks seq and portid and turns NLMSG_ERROR into errno. */
		r = mnl_cb_run(buf, (size_t)n, nl->seq, nl->portid, cb, data);
	} while (r == MNL_CB_OK);
	return r < 0 ? -errno : 0;
}

static int fail(vz_error *err, int r, const char *what, const char *obj)
{
	errno = -r;
	vz_fail_errno(err, VZ_SYSTEM_ERROR, "%s `%s`", what, obj);
	return r;
}

static struct nlmsghdr *link_msg(char *buf, int type, int flags, int index)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = (uint16_t)flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	return nlh;
}

struct link_info {
	int index;
	uint32_t mtu;
	uint8_t operstate;
	char *alias;
	size_t alias_len;
	const char *prefix;
	void (*fn)(void *, const char *, int, const char *);
	void *data;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *li = data;
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const char *name = NULL, *alias = "";
	struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(*ifm))
	{
		if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == IFLA_MTU && !mnl_attr_validate(a, MNL_TYPE_U32))
			li->mtu = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == IFLA_OPERSTATE &&
			 !mnl_attr_validate(a, MNL_TYPE_U8))
			li->operstate = mnl_attr_get_u8(a);
		else if (mnl_attr_get_type(a) == IFLA_IFALIAS &&
			 !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			alias = mnl_attr_get_str(a);
	}
	if (li->fn) {
		if (name && !strncmp(alias, li->prefix, strlen(li->prefix)))
			li->fn(li->data, name, ifm->ifi_index, alias);
		return MNL_CB_OK;
	}
	li->index = ifm->ifi_index;
	if (li->alias)
		snprintf(li->alias, li->alias_len, "%s", alias);
	return MNL_CB_OK;
}

static int link_get(struct vz_nl *nl, const char *name, struct link_info *li, vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, 0, 0);
	int r;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = talk(nl, nlh, link_cb, li);
	if (r == -ENODEV)
		return vz_fail(err, VZ_SYSTEM_ERROR, "no interface `%s`", name), -ENODEV;
	if (r < 0)
		return fail(err, r, "look up interface", name);
	return li->index;
}

int vz_nl_link_index(struct vz_nl *nl, const char *name, char *alias, size_t alias_len,
		     vz_error *err)
{
	struct link_info li = {.alias = alias, .alias_len = alias_len};

	return link_get(nl, name, &li, err);
}

bool vz_nl_link_oper_up(struct vz_nl *nl, const char *name, vz_error *err)
{
	struct link_info li = {0};

	return link_get(nl, name, &li, err) > 0 && li.operstate == VZ_IF_OPER_UP;
}

int vz_nl_link_mtu(struct vz_nl *nl, const char *name, uint32_t *ret, vz_error *err)
{
	struct link_info li = {0};
	int r = link_get(nl, name, &li, err);

	if (r > 0)
		*ret = li.mtu;
	return r;
}

int vz_nl_link_foreach_alias(struct vz_nl *nl, const char *prefix,
			     void (*fn)(void *, const char *, int, const char *), void *data,
			     vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_GETLINK, NLM_F_DUMP, 0);
	struct link_info li = {.prefix = prefix, .fn = fn, .data = data};
	int r = talk(nl, nlh, link_cb, &li);

	return r < 0 ? fail(err, r, "list interfaces with alias", prefix) : 0;
}

int vz_nl_bridge_create(struct vz_nl *nl, const char *name, const uint8_t mac[6], vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *info;
	int r;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	r = talk(nl, nlh, NULL, NULL);
	return r < 0 ? fail(err, r, "create bridge", name) : 0;
}

/* Move link @index into @netns_fd, renamed to @name there, with the
 * interface index @new_index (0: keep its index). */
static int link_move(struct vz_nl *nl, int index, int netns_fd, const char *name, int new_index)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, index);

	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (new_index > 0)
		mnl_attr_put_u32(nlh, IFLA_NEW_IFINDEX, (uint32_t)new_index);
	return talk(nl, nlh, NULL, NULL);
}

/* An interface index far above what any host's counter reaches (hosts
 * count up from 1): 2^28 .. 2^29-1, at random. */
static int high_ifindex(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
	return (int)((1u << 28) | (r & ((1u << 28) - 1)));
}

/* The container end's interface index matters to CRIU: it recreates a
 * container's veth with its dumped index through a request sent in the
 * host's namespace (usernsd), and the kernel first looks that index up in
 * the host's namespace.  If the host has an interface with that index, the
 * request turns into a change of that interface and fails with EOPNOTSUPP
 * ("couldn't restore veth interface eth0 via usernsd: -95").  A peer made
 * directly in a fresh namespace gets a small index (2 for the first NIC),
 * which every host has.  So both ends are made here, the peer under a
 * temporary name, and the peer is moved in with a high random index that
 * no host (this one, or a migration's destination) uses; a kernel without
 * IFLA_NEW_IFINDEX keeps the index this namespace gave it. */
int vz_nl_veth_create(struct vz_nl *nl, const char *name, const uint8_t mac[6], const char *peer,
		      const uint8_t peer_mac[6], int peer_netns_fd, vz_error *err)
{
	static unsigned int serial;
	char buf[MNL_SOCKET_BUFFER_SIZE], tmp[IF_NAMESIZE];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *info, *data, *peer_nest;
	struct ifinfomsg *pifm;
	vz_error ignored = {0};
	int r, index;

	snprintf(tmp, sizeof(tmp), "vzp%x.%x", (unsigned)getpid() & 0xffffff,
		 __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED) & 0xffff);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer_nest = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow its own ifinfomsg. */
	pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm));
	memset(pifm, 0, sizeof(*pifm));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, tmp);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
	mnl_attr_nest_end(nlh, peer_nest);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	r = talk(nl, nlh, NULL, NULL);
	if (r < 0)
		return fail(err, r, "create veth pair", name);
	index = vz_nl_link_index(nl, tmp, NULL, 0, err);
	if (index > 0) {
		r = link_move(nl, index, peer_netns_fd, peer, high_ifindex());
		if (r == -EBUSY) /* taken in the container already: try another */
			r = link_move(nl, index, peer_netns_fd, peer, high_ifindex());
		if (r == -EINVAL || r == -EOPNOTSUPP)
			r = link_move(nl, index, peer_netns_fd, peer, 0);
	}
	if (index <= 0 || r < 0) {
		/* Deleting one end takes the other along. */
		index = vz_nl_link_index(nl, name, NULL, 0, &ignored);
		if (index > 0)
			vz_nl_link_del(nl, index, &ignored);
		return r < 0 ? fail(err, r, "move veth end into the container as", peer) : -1;
	}
	return 0;
}

int vz_nl_link_set(struct vz_nl *nl, int index, const struct vz_nl_link *l, vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[32];
	struct nlmsghdr *nlh = link_msg(buf, RTM_NEWLINK, 0, index);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	int r;

	if (l->up) {
		ifm->ifi_flags = IFF_UP;
		ifm->ifi_change = IFF_UP;
	}
	if (l->master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)l->master);
	if (l->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, l->mtu);
	if (l->alias)
		mnl_attr_put_strz(nlh, IFLA_IFALIAS, l->alias);
	r = talk(nl, nlh, NULL, NULL);
	snprintf(what, sizeof(what), "%d", index);
	return r < 0 ? fail(err, r, "configure interface index", what) : 0;
}

int vz_nl_link_del(struct vz_nl *nl, int index, vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[32];
	int r = talk(nl, link_msg(buf, RTM_DELLINK, 0, index), NULL, NULL);

	snprintf(what, sizeof(what), "%d", index);
	return r < 0 ? fail(err, r, "delete interface index", what) : 0;
}

struct oifs {
	int *v;
	size_t n, max;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct oifs *o = data;
	struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;

	if (rtm->rtm_dst_len != 0 || rtm->rtm_table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(a) == RTA_OIF && !mnl_attr_validate(a, MNL_TYPE_U32) &&
		    o->n < o->max)
			o->v[o->n++] = (int)mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

int vz_nl_default_oifs(struct vz_nl *nl, int family, int *ret, size_t max, vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	struct oifs o = {.v = ret, .max = max};
	int r;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	r = talk(nl, nlh, route_cb, &o);
	return r < 0 ? fail(err, r, "list routes of family", family == AF_INET ? "inet" : "inet6")
		     : (int)o.n;
}

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* A request that adds (create or replace) or removes one object. */
static struct nlmsghdr *put_change(char *buf, bool add, uint16_t new_type, uint16_t del_type)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = add ? new_type : del_type;
	nlh->nlmsg_flags = add ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	return nlh;
}

int vz_nl_addr(struct vz_nl *nl, bool add, int index, const struct vz_inet *a, vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], text[VZ_INET_STRLEN];
	struct nlmsghdr *nlh = put_change(buf, add, RTM_NEWADDR, RTM_DELADDR);
	struct ifaddrmsg *ifa;
	int r;

	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = (uint32_t)index;
	/* No duplicate address detection: vz hands out the address, and DAD
	 * would hold it "tentative" for a second after every start. */
	ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	mnl_attr_put(nlh, IFA_LOCAL, alen(a->family), a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen(a->family), a->addr);
	r = talk(nl, nlh, NULL, NULL);
	vz_inet_format(a, text, true);
	return r < 0 ? fail(err, r, add ? "add address" : "remove address", text) : 0;
}

int vz_nl_route(struct vz_nl *nl, bool add, int family, const struct vz_inet *dst,
		const struct vz_inet *gw, int oif, bool onlink, vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], text[VZ_INET_STRLEN] = "default";
	struct nlmsghdr *nlh = put_change(buf, add, RTM_NEWROUTE, RTM_DELROUTE);
	struct rtmsg *rtm;
	int r;

	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = dst ? dst->prefix : 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_flags = onlink ? RTNH_F_ONLINK : 0;
	if (dst)
		mnl_attr_put(nlh, RTA_DST, alen(family), dst->addr);
	if (gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen(family), gw->addr);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)oif);
	r = talk(nl, nlh, NULL, NULL);
	if (dst)
		vz_inet_format(dst, text, true);
	return r < 0 ? fail(err, r, add ? "add route to" : "remove route to", text) : 0;
}

int vz_nl_neigh(struct vz_nl *nl, bool add, int index, const struct vz_inet *ip,
		const uint8_t mac[6], vz_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], text[VZ_INET_STRLEN];
	struct nlmsghdr *nlh = put_change(buf, add, RTM_NEWNEIGH, RTM_DELNEIGH);
	struct ndmsg *nd;
	int r;

	nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
	nd->ndm_family = (uint8_t)ip->family;
	nd->ndm_ifindex = index;
	nd->ndm_state = NUD_PERMANENT;
	nd->ndm_flags = mac ? 0 : NTF_PROXY;
	mnl_attr_put(nlh, NDA_DST, alen(ip->family), ip->addr);
	if (mac)
		mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	r = talk(nl, nlh, NULL, NULL);
	vz_inet_format(ip, text, false);
	return r < 0 ? fail(err, r, mac ? "set neighbour" : "set proxy neighbour", text) : 0;
}
