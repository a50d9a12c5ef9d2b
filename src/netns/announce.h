/* Gratuitous ARP / unsolicited NA (see announce.c).  Private to src/netns. */
#ifndef VZ_NETNS_ANNOUNCE_H
#define VZ_NETNS_ANNOUNCE_H

#include <stdint.h>

#include "netns/netns.h"

/* Announce @a at @mac on interface @ifindex of the namespace @nsfd. */
int vz_announce(int nsfd, int ifindex, const uint8_t mac[6], const struct vz_inet *a,
		vz_error *err);

#endif
