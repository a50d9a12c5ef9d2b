/* Telling the neighbours where a container's addresses now live: a
 * gratuitous ARP per IPv4 address and an unsolicited neighbour advertisement
 * per IPv6 address, sent from inside the container's network namespace on
 * the interface holding the address.  Used at start (a restarted container
 * may have a new MAC) and by restore/migration. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "netns/announce.h"

/* A socket of the network namespace @nsfd (the calling thread returns to
 * its own namespace before this returns). */
static int socket_in(int nsfd, int domain, int type, int proto)
{
	cleanup_close int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd, saved;

	if (self < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		return -1;
	fd = socket(domain, type | SOCK_CLOEXEC, proto);
	saved = errno;
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* a thread left in a container's namespace must not go on */
	errno = saved;
	return fd;
}

struct garp {
	uint16_t hrd, pro;
	uint8_t hln, pln;
	uint16_t op;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

static int send_garp(int nsfd, int ifindex, const uint8_t mac[6], const struct vz_inet *a)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ARP),
				  .sll_ifindex = ifindex,
				  .sll_halen = 6,
				  .sll_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct garp p = {.hrd = htons(ARPHRD_ETHER),
			 .pro = htons(ETH_P_IP),
			 .hln = 6,
			 .pln = 4,
			 .op = htons(ARPOP_REQUEST)};
	cleanup_close int fd = socket_in(nsfd, AF_PACKET, SOCK_DGRAM, 0);

	memcpy(p.sha, mac, 6);
	memcpy(p.spa, a->addr, 4);
	memcpy(p.tpa, a->addr, 4); /* sender = target: "this address is at sha" */
	if (fd < 0 || sendto(fd, &p, sizeof(p), 0, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;
	return 0;
}

static int send_na(int nsfd, int ifindex, const uint8_t mac[6], const struct vz_inet *a)
{
	struct {
		struct nd_neighbor_advert na;
		uint8_t opt_type, opt_len, lladdr[6];
	} __attribute__((packed)) m = {0};
	struct sockaddr_in6 all = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
	cleanup_close int fd = socket_in(nsfd, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	int hops = 255;

	m.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	m.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	memcpy(&m.na.nd_na_target, a->addr, 16);
	m.opt_type = ND_OPT_TARGET_LINKADDR;
	m.opt_len = 1;
	memcpy(m.lladdr, mac, 6);
	inet_pton(AF_INET6, "ff02::1", &all.sin6_addr);
	/* NDP is only believed with hop limit 255; the kernel fills the checksum. */
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof(ifindex)) < 0 ||
	    sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&all, sizeof(all)) < 0)
		return -1;
	return 0;
}

int vz_announce(int nsfd, int ifindex, const uint8_t mac[6], const struct vz_inet *a, vz_error *err)
{
	char text[VZ_INET_STRLEN];
	int r = a->family == AF_INET ? send_garp(nsfd, ifindex, mac, a)
				     : send_na(nsfd, ifindex, mac, a);

	if (r < 0) {
		vz_inet_format(a, text, false);
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "announce `%s`", text);
	}
	return 0;
}
