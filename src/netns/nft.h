/* nftables rules of one vz instance (see nft.c).  Private to src/netns. */
#ifndef VZ_NETNS_NFT_H
#define VZ_NETNS_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "netns/netns.h"

/* Create the table's base chains; masquerade @nat_subnet (IPv4 CIDR) if set. */
int vz_nft_setup(const char *table, const char *nat_subnet, vz_error *err);

struct vz_nft_port {
	const char *ifname; /* host end */
	bool routed;	    /* venet (inet family) rather than a bridge port */
	uint8_t mac[6];	    /* the container end's MAC */
	const struct vz_inet *ips;
	size_t n_ips;
};
/* Install or replace the anti-spoofing chain of one port. */
int vz_nft_port_add(const char *table, const struct vz_nft_port *p, vz_error *err);
/* Remove it; missing pieces are fine. */
void vz_nft_port_del(const char *table, const char *ifname, bool routed);

/* Other tables' forward-hook chains with policy drop, as text, or NULL. */
int vz_nft_forward_drops(const char *own_table, char **ret);

#endif
