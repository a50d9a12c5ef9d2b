/* The container's veth NICs across a checkpoint: which inner interface is
 * paired with which host interface on which bridge.
 *
 * CRIU recreates a veth pair on restore, but only knows where the outer end
 * belongs when told (--external veth[IN]:OUT@BRIDGE).  At dump time the
 * pairs are read from the live container and kept beside the images in
 * vz-netif ("IN OUT BRIDGE" per line), so a restore on this or another host
 * puts each NIC back on its bridge with the same names, MACs and addresses.
 * A NIC whose outer end is not in vzd's network namespace cannot be
 * recreated: that is reported as a blocker. */
#include "config.h"

#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/criu.h"
#include "migrate/netif.h"
#include "netns/netns.h"

#define NETIF_FILE "vz-netif"

/* The bridge a host interface is enslaved to ("" if none).  Asked of
 * rtnetlink through ip(8): /sys/class/net shows the namespace sysfs was
 * mounted in, not necessarily vzd's. */
static void master_of(const char *ifname, char *buf, size_t size)
{
	char *argv[] = {"/usr/sbin/ip", "-o", "link", "show", "dev", (char *)ifname, NULL};
	cleanup_free char *out = NULL;
	bool ok = false;
	char *m;

	buf[0] = '\0';
	out = mig_capture(argv, &ok);
	if (out && ok && (m = strstr(out, " master ")))
		snprintf(buf, size, "%.*s", (int)strcspn(m + 8, " "), m + 8);
}

int mig_netif_scan(pid_t init, const char *dir, vz_error *err)
{
	cleanup_free char *netns = vz_strdup_printf("--net=/proc/%d/ns/net", (int)init);
	char *argv[] = {
	    "/usr/bin/nsenter", netns, "/usr/sbin/ip", "-o", "link", "show", "type", "veth", NULL};
	cleanup_free char *out = NULL, *text = vz_xstrdup(""), *path = NULL;
	char *save = NULL;
	bool ok = false;

	out = mig_capture(argv, &ok);
	if (!out || !ok)
		return vz_fail(err, VZ_CHKPNT_ERROR, "cannot list the container's NICs: %s",
			       out ? out : "nsenter/ip do not run");
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char inner[IF_NAMESIZE + 1], outer[IF_NAMESIZE], bridge[IF_NAMESIZE + 1], *next;
		unsigned peer;
		if (sscanf(l, "%*u: %16[^@:]@if%u:", inner, &peer) != 2)
			continue;
		if (!if_indextoname(peer, outer))
			return vz_fail(err, VZ_CHKPNT_ERROR,
				       "NIC %s of the container has its peer outside vzd's network "
				       "namespace; it cannot be recreated on restore",
				       inner);
		master_of(outer, bridge, sizeof(bridge));
		next =
		    vz_strdup_printf("%s%s %s %s\n", text, inner, outer, bridge[0] ? bridge : "-");
		free(text);
		text = next;
	}
	path = vz_strdup_printf("%s/" NETIF_FILE, dir);
	return vz_write_file_atomic(path, text, strlen(text), 0600, err);
}

int mig_netif_restore_args(struct argv_buf *a, const char *dir, const char *bridge_override,
			   vz_error *err)
{
	cleanup_free char *path = vz_strdup_printf("%s/" NETIF_FILE, dir), *buf = NULL;
	char *save = NULL;
	size_t len;

	if (!vz_path_exists(path))
		return 0;
	if (vz_read_file(path, 65536, &buf, &len, err) < 0)
		return -1;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char inner[IF_NAMESIZE + 1], outer[IF_NAMESIZE + 1], bridge[IF_NAMESIZE + 1];
		if (sscanf(l, "%16s %16s %16s", inner, outer, bridge) != 3)
			continue;
		if (bridge_override && bridge_override[0])
			snprintf(bridge, sizeof(bridge), "%s", bridge_override);
		/* A killed container's network namespace is torn down by a
		 * kernel worker: its veth may linger for a moment. */
		for (int i = 0; i < 150 && if_nametoindex(outer); i++)
			usleep(100000);
		if (if_nametoindex(outer))
			return vz_fail(err, VZ_RESTORE_ERROR,
				       "host interface %s (peer of the container's %s) already "
				       "exists",
				       outer, inner);
		if (strcmp(bridge, "-"))
			argv_add(a, "--external=veth[%s]:%s@%s", inner, outer, bridge);
		else
			argv_add(a, "--external=veth[%s]:%s", inner, outer);
	}
	return 0;
}

char *mig_netif_bridges(const char *dir)
{
	cleanup_free char *path = vz_strdup_printf("%s/" NETIF_FILE, dir), *buf = NULL;
	size_t len;

	if (vz_read_file(path, 65536, &buf, &len, NULL) < 0)
		return NULL;
	return steal_pointer(&buf);
}

void mig_netif_cut(const char *dir)
{
	cleanup_free char *path = vz_strdup_printf("%s/" NETIF_FILE, dir), *buf = NULL;
	char *save = NULL;
	size_t len;

	if (vz_read_file(path, 65536, &buf, &len, NULL) < 0)
		return;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char outer[IF_NAMESIZE + 1];
		char *argv[] = {"/usr/sbin/ip", "link", "del", "dev", outer, NULL};
		cleanup_free char *out = NULL;
		bool ok;
		if (sscanf(l, "%*s %16s", outer) == 1 && if_nametoindex(outer))
			out = mig_capture(argv, &ok);
	}
}

int mig_netif_restored(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t init,
		       vz_error *err)
{
	if (vz_net_ct_reattach(g, c, init, err) < 0)
		return -1;
	/* Peers and the bridges on the way learn the new place at once. */
	return vz_net_announce(g, c, init, err);
}
