/* Small rtnetlink layer over libmnl, private to src/netns.
 *
 * One socket per network namespace: vz_nl_open() can open it inside another
 * namespace (setns there and back on the calling thread only), and the
 * socket keeps talking to that namespace afterwards.  Every request asks for
 * an ack; the ack's errno comes back as a negative return value and in the
 * error object, so callers can release recoverable cases (EEXIST, ENOENT)
 * by errno. */
#ifndef VZ_NETNS_NL_H
#define VZ_NETNS_NL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"
#include "netns/netns.h"

struct mnl_socket;
struct nlmsghdr;

struct vz_nl {
	struct mnl_socket *sock;
	unsigned int seq, portid;
};

/* @netns_fd < 0: the caller's namespace. */
int vz_nl_open(struct vz_nl *nl, int netns_fd, vz_error *err);
void vz_nl_close(struct vz_nl *nl);

/* Link attributes for vz_nl_link_set(); 0/NULL fields are left alone. */
struct vz_nl_link {
	int master; /* ifindex of a bridge */
	uint32_t mtu;
	bool up;
	const char *alias; /* IFLA_IFALIAS */
};

/* Index of @name (0 and -ENODEV if absent); its alias into @alias if given. */
int vz_nl_link_index(struct vz_nl *nl, const char *name, char *alias, size_t alias_len,
		     vz_error *err);
/* Whether @name's operational state is up (carrier processed). */
bool vz_nl_link_oper_up(struct vz_nl *nl, const char *name, vz_error *err);
/* MTU of @name (0 and -ENODEV if absent). */
int vz_nl_link_mtu(struct vz_nl *nl, const char *name, uint32_t *ret, vz_error *err);
int vz_nl_bridge_create(struct vz_nl *nl, const char *name, const uint8_t mac[6], vz_error *err);
/* A veth pair: @name here, @peer inside @peer_netns_fd, with an ifindex
 * that is free in this namespace (see nl.c). */
int vz_nl_veth_create(struct vz_nl *nl, const char *name, const uint8_t mac[6], const char *peer,
		      const uint8_t peer_mac[6], int peer_netns_fd, vz_error *err);
int vz_nl_link_set(struct vz_nl *nl, int index, const struct vz_nl_link *l, vz_error *err);
int vz_nl_link_del(struct vz_nl *nl, int index, vz_error *err);
/* Every link whose IFLA_IFALIAS starts with @prefix: @fn(name, index, alias). */
int vz_nl_link_foreach_alias(struct vz_nl *nl, const char *prefix,
			     void (*fn)(void *, const char *, int, const char *), void *data,
			     vz_error *err);

/* Interface indexes of the main table's default routes of @family (up to
 * @max into @ret); the count, or -errno. */
int vz_nl_default_oifs(struct vz_nl *nl, int family, int *ret, size_t max, vz_error *err);

int vz_nl_addr(struct vz_nl *nl, bool add, int index, const struct vz_inet *a, vz_error *err);
/* Route to @dst (NULL: default) of @family, via @gw (may be NULL) and/or
 * out of @oif; @onlink marks a gateway that is not in a connected subnet. */
int vz_nl_route(struct vz_nl *nl, bool add, int family, const struct vz_inet *dst,
		const struct vz_inet *gw, int oif, bool onlink, vz_error *err);
/* A permanent neighbour (@mac given) or a proxy entry (@mac NULL). */
int vz_nl_neigh(struct vz_nl *nl, bool add, int index, const struct vz_inet *ip,
		const uint8_t mac[6], vz_error *err);

#endif
