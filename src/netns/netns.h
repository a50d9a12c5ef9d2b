/* Container networking: the host bridge, veth NICs, routed addresses,
 * anti-spoofing and NAT rules, name resolution files.
 *
 * What vz adds for a running container is recorded in
 * VZ_RUN_DIR/CTID.net, so that a stop, a crash recovery (vzd start) or a
 * live `vzctl set` undoes exactly that.  Interfaces are not deleted one by
 * one at stop: the container end lives in the container's network namespace
 * from its creation, and the kernel removes both ends when the namespace
 * dies.  All netlink goes through libmnl (nl.c), all rules through
 * libnftables into one table per vz instance (nft.c). */
#ifndef VZ_NETNS_H
#define VZ_NETNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"

/* ---- addresses (addr.c, pure) ------------------------------------------ */

struct vz_inet {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;
};
#define VZ_INET_STRLEN 64

/* "10.0.0.1", "10.0.0.1/24", "fd00::1/64"; no prefix means a host (32/128). */
int vz_inet_parse(const char *s, struct vz_inet *ret, vz_error *err);
void vz_inet_format(const struct vz_inet *a, char buf[VZ_INET_STRLEN], bool with_prefix);
/* Whether @ip lies in @net's prefix (same family). */
bool vz_inet_in_subnet(const struct vz_inet *ip, const struct vz_inet *net);
bool vz_inet_equal(const struct vz_inet *a, const struct vz_inet *b);

/* A stable, locally administered unicast MAC for @ctid's @ifname (@host: the
 * host end).  Same inputs, same address, across restarts and hosts. */
void vz_net_mac(const char *ctid, const char *ifname, bool host, uint8_t ret[6]);
int vz_mac_parse(const char *s, uint8_t ret[6]);
/* Default host end of NETIF entry @idx: "veth101.0" (OpenVZ's naming), or
 * "vz" + hash + ".N" when the CTID is too long for 15 characters. */
char *vz_net_host_ifname(const char *ctid, unsigned int idx);
/* Host end of the routed (venet) pair: "venet101". */
char *vz_net_routed_ifname(const char *ctid);

/* Contents of /etc/hosts and /etc/resolv.conf for a container; NULL when
 * the config does not ask for one.  @host_resolv is the host's resolv.conf
 * text, used for `inherit`. */
char *vz_net_hosts_text(const struct vz_ct_conf *c);
char *vz_net_resolv_text(const struct vz_ct_conf *c, const char *host_resolv);

/* NETIF editing (netif.c): @add with "eth0[,mac,host_ifname,host_mac,bridge]"
 * adds an interface (it must not exist), @add with "ifname=eth0,mac=..."
 * changes the fields given of an existing one, !@add removes "eth0" or
 * "all".  The new NETIF text goes to *@ret. */
int vz_netif_edit(const char *current, bool add, const char *value, char **ret, vz_error *err);

/* ---- container lifecycle (ct.c) ------------------------------------------ */

/* Bring up "lo" of the caller's network namespace. */
int vz_netns_loopback_up(vz_error *err);

/* Create the instance's bridge (VZ_BRIDGE) if missing, with BRIDGE_ADDRESS
 * and BRIDGE_ADDRESS6, up; an existing bridge is left as the admin set it.
 * Also installs the instance's nftables table (NAT if BRIDGE_NAT). */
int vz_net_host_setup(const struct vz_global_conf *g, vz_error *err);

/* Give a just-cloned container (init @pid, not yet running its init) its
 * NICs, addresses, routes and rules from @c. */
int vz_net_ct_setup(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		    vz_error *err);
/* Bring a running container's network in line with @c (live `vzctl set`:
 * --ipadd/--ipdel, --netif_add/--netif_del, --mac_filter). */
int vz_net_ct_update(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		     vz_error *err);
/* After CRIU restored the container @pid with its NICs: put back vz's host
 * side (alias, host routes, proxy entries, anti-spoofing rules). */
int vz_net_ct_reattach(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		       vz_error *err);
/* Undo what setup/update recorded for @ctid (proxy neighbours, rules, any
 * host end still present).  Idempotent; failures are ignored. */
void vz_net_ct_cleanup(const struct vz_global_conf *g, const char *ctid);
/* A warning to log when other tables' forward chains drop by default
 * (iptables FORWARD policy DROP), or NULL.  vz never edits those tables. */
VZ_EXPORT char *vz_net_forward_warning(const struct vz_global_conf *g);
/* At vzd start, after the stopped containers were cleaned up: delete host
 * interfaces of this instance (IFLA_IFALIAS "vz:TAG:CTID") whose container
 * has no network state any more. */
VZ_EXPORT int vz_net_sweep(const struct vz_global_conf *g, vz_error *err);
/* Write /etc/hosts and /etc/resolv.conf from @hosts/@resolv (either may be
 * NULL) in the caller's root: run inside the container. */
int vz_net_write_files(const char *hosts, const char *resolv, vz_error *err);

/* ---- for other backends (VMs, restore) ----------------------------------- */

/* Attach an existing host interface @ifname (a tap) to @bridge (NULL:
 * VZ_BRIDGE), up, with the same anti-spoofing rules as a container NIC:
 * only @mac and the addresses in @ips (may be NULL) may leave it. */
int vz_net_port_attach(const struct vz_global_conf *g, const char *ifname, const char *bridge,
		       const uint8_t mac[6], char *const *ips, bool filter, vz_error *err);
/* Remove @ifname's rules (the interface itself is left alone). */
void vz_net_port_detach(const struct vz_global_conf *g, const char *ifname);
/* After a restore or migration: from inside the network namespace of @pid,
 * send a gratuitous ARP for every IPv4 address of @c (and an unsolicited
 * neighbour advertisement for IPv6) so that peers update their caches. */
int vz_net_announce(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		    vz_error *err);

#endif
