/* The container's veth NICs across checkpoint/restore (netif.c). */
#ifndef VZ_MIGRATE_NETIF_H
#define VZ_MIGRATE_NETIF_H

#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"
#include "migrate/criu.h"

/* Record the veth pairs of the container whose init is @init in @dir. */
int mig_netif_scan(pid_t init, const char *dir, vz_error *err);
/* Add CRIU's --external veth[...] options for the pairs recorded in @dir;
 * @bridge_override (may be NULL) replaces the recorded bridge. */
int mig_netif_restore_args(struct argv_buf *a, const char *dir, const char *bridge_override,
			   vz_error *err);
/* Delete the host ends of the recorded NICs (and so the pairs), so that
 * killing the container after a --leave-running dump sends no RST to its TCP
 * peers, and the orphaned sockets cannot keep the old pair alive. */
void mig_netif_cut(const char *dir);
/* After CRIU recreated the NICs of a vz-configured container (NETIF,
 * IP_ADDRESS): put back vz's host side (alias, routes, proxy entries,
 * anti-spoofing rules) and announce the container's addresses
 * (gratuitous ARP / unsolicited NA). */
int mig_netif_restored(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t init,
		       vz_error *err);
/* The recorded list as text (NULL if none), for dry-run reports. */
char *mig_netif_bridges(const char *dir);

#endif
