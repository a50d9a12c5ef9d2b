/* A container's network: plan from the config, apply through netlink in the
 * host's and the container's namespaces, record, undo (see netns.h).
 *
 * Where an IP_ADDRESS entry goes: an address inside the subnet of the
 * instance bridge's own address (BRIDGE_ADDRESS), for a container with a
 * NETIF on that bridge, is put on that NIC with the bridge's prefix and the
 * bridge address as default gateway.  Every other address is routed (OpenVZ
 * venet style): it sits as /32 or /128 on the container's `venet0`, whose
 * host end `venetCTID` gets a host route to it, and NEIGHBOUR_DEVS answer
 * ARP/NDP for it (proxy entries).  The container's default route on venet0
 * goes to 169.254.0.1 / fe80::1 with a permanent neighbour entry pointing at
 * the host end's MAC, so it works whatever addresses the host has. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fault.h"
#include "lib/util.h"
#include "netns/announce.h"
#include "netns/netns.h"
#include "netns/nft.h"
#include "netns/nl.h"

#define ROUTED_CT_IFNAME "venet0"
#define ALIAS_PREFIX	 "vz:"

struct port {
	char *host, *ct, *bridge; /* bridge NULL: the routed pair */
	uint8_t mac[6], host_mac[6];
	uint32_t mtu; /* 0: the kernel's default */
	struct vz_inet *ips;
	size_t n_ips;
	bool gw4, gw6; /* default route of that family through this port */
};

struct plan {
	struct port *ports;
	size_t n;
	struct vz_inet br4, br6; /* family 0 when BRIDGE_ADDRESS has none */
};

/* What a previous apply left (VZ_RUN_DIR/CTID.net). */
struct rec {
	char kind[8]; /* port, addr, proxy */
	char a[VZ_INET_STRLEN], b[VZ_INET_STRLEN], c[VZ_INET_STRLEN];
};
struct state {
	struct rec *r;
	size_t n;
	/* While apply() adds to the host: the record to keep on disk is
	 * @base plus this, written each time a record of something that
	 * outlives vzd is added (state_add), so that a crash of vzd never
	 * leaves a rule or proxy entry the record does not name. */
	const struct vz_global_conf *g;
	const char *ctid;
	const struct state *base;
};

static void nl_closep(struct vz_nl *nl)
{
	vz_nl_close(nl);
}
#define cleanup_nl __attribute__((cleanup(nl_closep)))

/* ---- naming -------------------------------------------------------------- */

static unsigned int instance_tag(const struct vz_global_conf *g)
{
	unsigned int h = 2166136261u;

	for (const char *p = g->run_dir; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h & 0xffff;
}

static char *table_name(const struct vz_global_conf *g)
{
	char *t = vz_strdup_printf("vz_%s_%04x", g->bridge, instance_tag(g));

	for (char *p = t; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			*p = '_';
	return t;
}

static char *alias_of(const struct vz_global_conf *g, const char *ctid)
{
	return vz_strdup_printf(ALIAS_PREFIX "%04x:%s", instance_tag(g), ctid);
}

static char *state_path(const struct vz_global_conf *g, const char *ctid)
{
	return vz_strdup_printf("%s/%s.net", g->run_dir, ctid);
}

/* ---- plan ---------------------------------------------------------------- */

static void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->ports[i].host);
		free(p->ports[i].ct);
		free(p->ports[i].bridge);
		free(p->ports[i].ips);
	}
	free(p->ports);
	p->ports = NULL;
	p->n = 0;
}
#define cleanup_plan __attribute__((cleanup(plan_free)))

static struct port *plan_add(struct plan *p)
{
	p->ports = vz_xrealloc(p->ports, (p->n + 1) * sizeof(*p->ports));
	memset(&p->ports[p->n], 0, sizeof(*p->ports));
	return &p->ports[p->n++];
}

static void port_add_ip(struct port *pt, const struct vz_inet *a)
{
	pt->ips = vz_xrealloc(pt->ips, (pt->n_ips + 1) * sizeof(*pt->ips));
	pt->ips[pt->n_ips++] = *a;
}

static void bridge_addrs(const struct vz_global_conf *g, struct plan *p)
{
	for (char **s = g->bridge_address; s && *s; s++) {
		struct vz_inet a;
		vz_error ignored = {0};
		if (vz_inet_parse(*s, &a, &ignored) < 0)
			continue;
		if (a.family == AF_INET && !p->br4.family)
			p->br4 = a;
		if (a.family == AF_INET6 && !p->br6.family)
			p->br6 = a;
	}
}

static int mac_or_derived(const char *given, const char *ctid, const char *ifname, bool host,
			  uint8_t ret[6], vz_error *err)
{
	if (!given) {
		vz_net_mac(ctid, ifname, host, ret);
		return 0;
	}
	if (vz_mac_parse(given, ret) < 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not a MAC address", given);
	return 0;
}

/* The bridged port an address of the bridge's subnet goes to, or NULL. */
static struct port *bridged_port_for(const struct vz_global_conf *g, struct plan *p,
				     const struct vz_inet *a)
{
	const struct vz_inet *net = a->family == AF_INET ? &p->br4 : &p->br6;

	if (!net->family || !vz_inet_in_subnet(a, net))
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		if (p->ports[i].bridge && !strcmp(p->ports[i].bridge, g->bridge))
			return &p->ports[i];
	return NULL;
}

static int add_address(const struct vz_global_conf *g, const struct vz_ct_conf *c, struct plan *p,
		       const char *text, vz_error *err)
{
	struct vz_inet a;
	struct port *pt;
	bool explicit_prefix = strchr(text, '/') != NULL;

	if (vz_inet_parse(text, &a, err) < 0)
		return -1;
	pt = bridged_port_for(g, p, &a);
	if (pt) {
		if (!explicit_prefix)
			a.prefix = a.family == AF_INET ? p->br4.prefix : p->br6.prefix;
		if (a.family == AF_INET)
			pt->gw4 = true;
		else
			pt->gw6 = true;
		port_add_ip(pt, &a);
		return 0;
	}
	/* Routed: one venet pair, created with its first address. */
	pt = p->n && !p->ports[p->n - 1].bridge ? &p->ports[p->n - 1] : NULL;
	if (!pt) {
		pt = plan_add(p);
		pt->host = vz_net_routed_ifname(c->ctid);
		pt->ct = vz_xstrdup(ROUTED_CT_IFNAME);
		vz_net_mac(c->ctid, pt->ct, false, pt->mac);
		vz_net_mac(c->ctid, pt->ct, true, pt->host_mac);
	}
	a.prefix = a.family == AF_INET ? 32 : 128;
	port_add_ip(pt, &a);
	return 0;
}

static int make_plan(const struct vz_global_conf *g, const struct vz_ct_conf *c, struct plan *p,
		     vz_error *err)
{
	bool gw4 = false, gw6 = false;

	bridge_addrs(g, p);
	for (size_t i = 0; i < c->n_netif; i++) {
		const struct vz_netif *nif = &c->netif[i];
		struct port *pt = plan_add(p);
		pt->ct = vz_xstrdup(nif->ifname);
		pt->host = nif->host_ifname ? vz_xstrdup(nif->host_ifname)
					    : vz_net_host_ifname(c->ctid, (unsigned int)i);
		pt->bridge = vz_xstrdup(nif->bridge ? nif->bridge : g->bridge);
		pt->mtu = nif->mtu;
		if (mac_or_derived(nif->mac, c->ctid, nif->ifname, false, pt->mac, err) < 0 ||
		    mac_or_derived(nif->host_mac, c->ctid, nif->ifname, true, pt->host_mac, err) <
			0)
			return -1;
	}
	for (char **s = c->ip_address; s && *s; s++)
		if (add_address(g, c, p, *s, err) < 0)
			return -1;
	/* One default route per family: a bridge gateway wins over venet. */
	for (size_t i = 0; i < p->n; i++) {
		if (p->ports[i].gw4 && !gw4)
			gw4 = true;
		else
			p->ports[i].gw4 = false;
		if (p->ports[i].gw6 && !gw6)
			gw6 = true;
		else
			p->ports[i].gw6 = false;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct port *pt = &p->ports[i];
		if (pt->bridge)
			continue;
		for (size_t j = 0; j < pt->n_ips; j++) {
			if (pt->ips[j].family == AF_INET && !gw4)
				pt->gw4 = gw4 = true;
			if (pt->ips[j].family == AF_INET6 && !gw6)
				pt->gw6 = gw6 = true;
		}
	}
	return 0;
}

/* ---- state file ------------------------------------------------------------ */

static void state_free(struct state *s)
{
	free(s->r);
	s->r = NULL;
	s->n = 0;
}
#define cleanup_state __attribute__((cleanup(state_free)))

static void state_load(const struct vz_global_conf *g, const char *ctid, struct state *s)
{
	cleanup_free char *path = state_path(g, ctid);
	cleanup_fclose FILE *f = fopen(path, "re");
	struct rec r;

	while (f && fscanf(f, "%7s %63s %63s %63s", r.kind, r.a, r.b, r.c) == 4) {
		s->r = vz_xrealloc(s->r, (s->n + 1) * sizeof(*s->r));
		s->r[s->n++] = r;
	}
}

static int state_save(const struct vz_global_conf *g, const char *ctid, const struct state *s,
		      vz_error *err);

/* Write @base plus @s: the record while apply() is half way. */
static void state_checkpoint(const struct state *s)
{
	struct state both = {0};

	both.n = s->base->n + s->n;
	both.r = vz_xcalloc(both.n ? both.n : 1, sizeof(*both.r));
	memcpy(both.r, s->base->r, s->base->n * sizeof(*both.r));
	memcpy(both.r + s->base->n, s->r, s->n * sizeof(*both.r));
	state_save(s->g, s->ctid, &both, NULL);
	free(both.r);
}

static void state_add(struct state *s, const char *kind, const char *a, const char *b,
		      const char *c)
{
	struct rec *r;

	s->r = vz_xrealloc(s->r, (s->n + 1) * sizeof(*s->r));
	r = &s->r[s->n++];
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->a, sizeof(r->a), "%s", a);
	snprintf(r->b, sizeof(r->b), "%s", b);
	snprintf(r->c, sizeof(r->c), "%s", c);
	/* Addresses live in the container: nothing to undo on the host. */
	if (s->g && strcmp(kind, "addr"))
		state_checkpoint(s);
}

static bool state_has(const struct state *s, const char *kind, const char *a, const char *b)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->r[i].kind, kind) && !strcmp(s->r[i].a, a) &&
		    (!b || !strcmp(s->r[i].b, b)))
			return true;
	return false;
}

static int state_save(const struct vz_global_conf *g, const char *ctid, const struct state *s,
		      vz_error *err)
{
	cleanup_free char *path = state_path(g, ctid);
	cleanup_free char *text = vz_xstrdup("");

	for (size_t i = 0; i < s->n; i++) {
		char *t = vz_strdup_printf("%s%s %s %s %s\n", text, s->r[i].kind, s->r[i].a,
					   s->r[i].b, s->r[i].c);
		free(text);
		text = t;
	}
	return vz_write_file_atomic(path, text, strlen(text), 0644, err);
}

/* ---- host side ------------------------------------------------------------- */

static int write_sysctl(const char *path, const char *value, vz_error *err)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "write %s to `%s`", value, path);
	return 0;
}

static int bridge_ensure(struct vz_nl *nl, const struct vz_global_conf *g, const char *name,
			 vz_error *err)
{
	struct plan p = {0};
	uint8_t mac[6];
	int index = vz_nl_link_index(nl, name, NULL, 0, err);

	if (index > 0)
		return index; /* the admin's, or ours from before: left as it is */
	if (index != -ENODEV)
		return -1;
	if (strcmp(name, g->bridge))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "bridge `%s` does not exist (vz creates only VZ_BRIDGE `%s`)", name,
			       g->bridge);
	vz_error_clear(err);
	/* A fixed MAC: a bridge would otherwise take its lowest port's and
	 * change it whenever ports come and go. */
	vz_net_mac("bridge", name, false, mac);
	if (vz_nl_bridge_create(nl, name, mac, err) < 0 && err->errnum != EEXIST)
		return -1;
	index = vz_nl_link_index(nl, name, NULL, 0, err);
	if (index <= 0)
		return -1;
	bridge_addrs(g, &p);
	/* An MTU set through a change is "set by the user": the bridge then
	 * keeps it instead of dropping to its smallest port's (a NIC with a
	 * small mtu= must not shrink everyone's).  Setting the current value is
	 * no change to the kernel, hence the detour. */
	if ((p.br4.family && vz_nl_addr(nl, true, index, &p.br4, err) < 0) ||
	    (p.br6.family && vz_nl_addr(nl, true, index, &p.br6, err) < 0) ||
	    vz_nl_link_set(nl, index, &(struct vz_nl_link){.mtu = 1499}, err) < 0 ||
	    vz_nl_link_set(nl, index, &(struct vz_nl_link){.mtu = 1500, .up = true}, err) < 0)
		return -1;
	return index;
}

/* The instance's base tables and chains, once per vzd (as at a vzd
 * restart, their port maps are kept).  Every nftables command fetches all
 * tables of the host, which costs milliseconds per command; a start with
 * a NIC made them again each time. */
static struct {
	pthread_mutex_t lock;
	char *done; /* "TABLE SUBNET" last set up */
} nft_once = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int nft_setup_once(const char *table, const char *nat_subnet, vz_error *err)
{
	cleanup_free char *key = vz_strdup_printf("%s %s", table, nat_subnet ? nat_subnet : "-");
	int rc = 0;

	pthread_mutex_lock(&nft_once.lock);
	if (!nft_once.done || strcmp(nft_once.done, key)) {
		rc = vz_nft_setup(table, nat_subnet, err);
		free(nft_once.done);
		nft_once.done = rc == 0 ? steal_pointer(&key) : NULL;
	}
	pthread_mutex_unlock(&nft_once.lock);
	return rc;
}

static void nft_setup_forget(void)
{
	pthread_mutex_lock(&nft_once.lock);
	free(nft_once.done);
	nft_once.done = NULL;
	pthread_mutex_unlock(&nft_once.lock);
}

int vz_net_host_setup(const struct vz_global_conf *g, vz_error *err)
{
	cleanup_nl struct vz_nl nl = {0};
	cleanup_free char *table = table_name(g);
	struct plan p = {0};
	char net[VZ_INET_STRLEN] = "";

	if (vz_nl_open(&nl, -1, err) < 0 || bridge_ensure(&nl, g, g->bridge, err) < 0)
		goto fail;
	bridge_addrs(g, &p);
	if (g->bridge_nat && p.br4.family) {
		struct vz_inet n = p.br4;
		unsigned int full = n.prefix / 8;
		/* The subnet: host bits cleared. */
		if (full < 4)
			n.addr[full] &= (uint8_t)(0xff00 >> (n.prefix % 8));
		for (unsigned int i = full + 1; i < 4; i++)
			n.addr[i] = 0;
		vz_inet_format(&n, net, true);
		if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1", err) < 0)
			goto fail;
	}
	if (nft_setup_once(table, *net ? net : NULL, err) < 0)
		goto fail;
	return 0;
fail:
	return vz_error_wrap(err, "cannot set up the host network (bridge `%s`)", g->bridge);
}

/* A container's filter chain; where that fails, the tables may be gone
 * since this vzd made them (`nft flush ruleset`): made again, once. */
static int port_add(const struct vz_global_conf *g, const char *table,
		    const struct vz_nft_port *np, vz_error *err)
{
	if (vz_nft_port_add(table, np, err) == 0)
		return 0;
	nft_setup_forget();
	if (vz_net_host_setup(g, err) < 0)
		return -1;
	return vz_nft_port_add(table, np, err);
}

char *vz_net_forward_warning(const struct vz_global_conf *g)
{
	cleanup_free char *table = table_name(g);
	cleanup_free char *drops = NULL;

	if (vz_nft_forward_drops(table, &drops) < 0 || !drops)
		return NULL;
	return vz_strdup_printf(
	    "forwarding chain(s) %s drop by default: routed, NATed and (with br_netfilter) "
	    "bridged container traffic stops there; vz does not edit other tables, allow it "
	    "there, e.g. `iifname \"%s\" accept` and `oifname \"%s\" ct state "
	    "established,related accept` (the same for venet* with routed addresses)",
	    drops, g->bridge, g->bridge);
}

/* The devices that answer ARP/NDP for routed addresses of @family:
 * NEIGHBOUR_DEVS, where "detect" stands for the interfaces that hold the
 * host's default route of that family (OpenVZ's meaning). */
static char **neighbour_devs(struct vz_nl *nl, const struct vz_global_conf *g, int family)
{
	char **v = vz_xcalloc(1, sizeof(char *));
	size_t n = 0;

	for (char **d = g->neighbour_devs; d && *d; d++) {
		int oifs[16], k = 0;
		vz_error ignored = {0};
		char name[IF_NAMESIZE];
		if (strcmp(*d, "detect")) {
			v = vz_xrealloc(v, (n + 2) * sizeof(char *));
			v[n++] = vz_xstrdup(*d);
			v[n] = NULL;
			continue;
		}
		k = vz_nl_default_oifs(nl, family, oifs, VZ_ARRAY_SIZE(oifs), &ignored);
		for (int i = 0; i < k; i++) {
			if (!if_indextoname((unsigned int)oifs[i], name))
				continue;
			v = vz_xrealloc(v, (n + 2) * sizeof(char *));
			v[n++] = vz_xstrdup(name);
			v[n] = NULL;
		}
	}
	return v;
}

static int host_port_create(struct vz_nl *nl, const struct vz_global_conf *g,
			    const struct vz_ct_conf *c, const struct port *pt, int nsfd,
			    vz_error *err)
{
	cleanup_free char *alias = alias_of(g, c->ctid);
	char have[128];
	int index, master = 0;

	uint32_t mtu = pt->mtu;

	if (pt->bridge && (master = bridge_ensure(nl, g, pt->bridge, err)) < 0)
		return -1;
	/* A NIC without mtu= follows its bridge (jumbo frames need no config). */
	if (pt->bridge && !mtu && vz_nl_link_mtu(nl, pt->bridge, &mtu, err) < 0)
		return -1;
	/* A host end of ours may outlive its container for a moment: the kernel
	 * frees a dead namespace's devices asynchronously.  Wait for it, or
	 * remove a leftover; never touch an interface that is not ours. */
	for (int tries = 0;; tries++) {
		index = vz_nl_link_index(nl, pt->host, have, sizeof(have), err);
		if (index == -ENODEV)
			break;
		if (index < 0)
			return -1;
		if (strcmp(have, alias) || tries >= 100)
			return vz_fail(err, VZ_SYSTEM_ERROR,
				       "host interface `%s` already exists%s; name another with "
				       "--host_ifname",
				       pt->host,
				       strcmp(have, alias) ? "" : " and does not go away");
		if (tries == 50)
			vz_nl_link_del(nl, index, err);
		usleep(10000);
	}
	vz_error_clear(err);
	if (vz_nl_veth_create(nl, pt->host, pt->host_mac, pt->ct, pt->mac, nsfd, err) < 0)
		return -1;
	index = vz_nl_link_index(nl, pt->host, NULL, 0, err);
	if (index <= 0 ||
	    vz_nl_link_set(
		nl, index,
		&(struct vz_nl_link){.master = master, .mtu = mtu, .up = true, .alias = alias},
		err) < 0)
		return -1;
	return index;
}

static int routed_host(struct vz_nl *nl, const struct vz_global_conf *g, const char *ctid,
		       int index, const struct vz_inet *a, bool add, struct state *st,
		       vz_error *err)
{
	char text[VZ_INET_STRLEN];

	vz_inet_format(a, text, false);
	if (add && vz_nl_route(nl, true, a->family, a, NULL, index, false, err) < 0)
		return -1;
	if (add && write_sysctl(a->family == AF_INET ? "/proc/sys/net/ipv4/ip_forward"
						     : "/proc/sys/net/ipv6/conf/all/forwarding",
				"1", err) < 0)
		return -1;
	cleanup_strv char **devs = neighbour_devs(nl, g, a->family);

	for (char **d = devs; *d; d++) {
		int di = vz_nl_link_index(nl, *d, NULL, 0, err);
		if (di <= 0)
			return vz_error_wrap(err, "NEIGHBOUR_DEVS");
		if (add && a->family == AF_INET6) {
			cleanup_free char *p =
			    vz_strdup_printf("/proc/sys/net/ipv6/conf/%s/proxy_ndp", *d);
			if (write_sysctl(p, "1", err) < 0)
				return -1;
		}
		if (add) {
			/* Answer proxied ARP/NDP at once, not after the default
			 * random delay of up to 0.8 s. */
			cleanup_free char *p =
			    vz_strdup_printf("/proc/sys/net/%s/neigh/%s/proxy_delay",
					     a->family == AF_INET ? "ipv4" : "ipv6", *d);
			write_sysctl(p, "0", NULL);
		}
		/* Recorded first: removing an entry that is not there is
		 * harmless, one that is there and unrecorded is a leak. */
		if (add)
			state_add(st, "proxy", text, *d, ctid);
		if (vz_nl_neigh(nl, add, di, a, NULL, err) < 0 && add)
			return -1;
	}
	return 0;
}

/* ---- container side ------------------------------------------------------- */

static int ct_port_config(struct vz_nl *host, struct vz_nl *ct, const struct plan *p,
			  const struct port *pt, vz_error *err)
{
	static const struct vz_inet gw4 = {AF_INET, {169, 254, 0, 1}, 32};
	static const struct vz_inet gw6 = {AF_INET6, {0xfe, 0x80, [15] = 1}, 128};
	int index = vz_nl_link_index(ct, pt->ct, NULL, 0, err);
	uint32_t mtu = pt->mtu;

	/* The same MTU on both ends: the host end's was set from the bridge. */
	if (index > 0 && pt->bridge && !mtu && vz_nl_link_mtu(host, pt->host, &mtu, err) < 0)
		return -1;
	if (index <= 0 ||
	    vz_nl_link_set(ct, index, &(struct vz_nl_link){.mtu = mtu, .up = true}, err) < 0)
		return -1;
	for (size_t i = 0; i < pt->n_ips; i++)
		if (vz_nl_addr(ct, true, index, &pt->ips[i], err) < 0)
			return -1;
	if (pt->bridge) {
		if ((pt->gw4 &&
		     vz_nl_route(ct, true, AF_INET, NULL, &p->br4, index, false, err) < 0) ||
		    (pt->gw6 &&
		     vz_nl_route(ct, true, AF_INET6, NULL, &p->br6, index, false, err) < 0))
			return -1;
		return 0;
	}
	/* Routed: the gateway is the host end, found without ARP/NDP. */
	if ((pt->gw4 && (vz_nl_neigh(ct, true, index, &gw4, pt->host_mac, err) < 0 ||
			 vz_nl_route(ct, true, AF_INET, NULL, &gw4, index, true, err) < 0)) ||
	    (pt->gw6 && (vz_nl_neigh(ct, true, index, &gw6, pt->host_mac, err) < 0 ||
			 vz_nl_route(ct, true, AF_INET6, NULL, &gw6, index, false, err) < 0)))
		return -1;
	return 0;
}

/* Any of the container's addresses may leave through any of its NICs: they
 * are all its own, and its routing may pick a source from another NIC. */
static int port_rules(const struct vz_global_conf *g, const struct vz_ct_conf *c,
		      const struct plan *p, const struct port *pt, vz_error *err)
{
	cleanup_free char *table = table_name(g);
	cleanup_free struct vz_inet *all = NULL;
	struct vz_nft_port np = {.ifname = pt->host, .routed = !pt->bridge};

	for (size_t i = 0; i < p->n; i++)
		for (size_t j = 0; j < p->ports[i].n_ips; j++) {
			all = vz_xrealloc(all, (np.n_ips + 1) * sizeof(*all));
			all[np.n_ips++] = p->ports[i].ips[j];
		}
	/* A NIC the tenant configures itself (no address from vz) keeps only
	 * its MAC check. */
	np.ips = all;
	if (!pt->n_ips && pt->bridge)
		np.n_ips = 0;
	memcpy(np.mac, pt->mac, 6);
	if (!c->mac_filter) {
		vz_nft_port_del(table, pt->host, !pt->bridge);
		return 0;
	}
	return port_add(g, table, &np, err);
}

static const struct port *plan_find(const struct plan *p, const char *host)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->ports[i].host, host))
			return &p->ports[i];
	return NULL;
}

static bool port_has_ip(const struct port *pt, const char *text)
{
	for (size_t i = 0; i < pt->n_ips; i++) {
		char t[VZ_INET_STRLEN];
		vz_inet_format(&pt->ips[i], t, true);
		if (!strcmp(t, text))
			return true;
	}
	return false;
}

/* Remove what @old recorded and @p no longer wants. */
static void drop_stale(struct vz_nl *host, struct vz_nl *ct, const struct vz_global_conf *g,
		       const struct plan *p, const struct state *old)
{
	cleanup_free char *table = table_name(g);
	vz_error ignored = {0};

	for (size_t i = 0; i < old->n; i++) {
		const struct rec *r = &old->r[i];
		const struct port *pt = plan_find(p, r->a);
		struct vz_inet a;
		if (!strcmp(r->kind, "port") && !pt) {
			int index = vz_nl_link_index(host, r->a, NULL, 0, &ignored);
			vz_nft_port_del(table, r->a, !strcmp(r->c, "routed"));
			if (index > 0)
				vz_nl_link_del(host, index, &ignored);
		} else if (!strcmp(r->kind, "addr") && pt && !port_has_ip(pt, r->b) &&
			   vz_inet_parse(r->b, &a, &ignored) == 0) {
			int index = vz_nl_link_index(ct, pt->ct, NULL, 0, &ignored);
			int hindex = vz_nl_link_index(host, pt->host, NULL, 0, &ignored);
			if (index > 0)
				vz_nl_addr(ct, false, index, &a, &ignored);
			if (!pt->bridge && hindex > 0)
				vz_nl_route(host, false, a.family, &a, NULL, hindex, false,
					    &ignored);
		} else if (!strcmp(r->kind, "proxy") && vz_inet_parse(r->a, &a, &ignored) == 0) {
			int index = vz_nl_link_index(host, r->b, NULL, 0, &ignored);
			if (index > 0)
				vz_nl_neigh(host, false, index, &a, NULL, &ignored);
		}
	}
}

/* A bridge port forwards only once the kernel processed the carrier change
 * of the veth (asynchronously, in its linkwatch work): wait for the host
 * end's operational state, a few ms at most in practice. */
static void wait_oper_up(struct vz_nl *host, const char *ifname)
{
	vz_error ignored = {0};

	/* Polls of 0.5 ms, then growing to 5 ms (500 ms in all): a start
	 * waits here, and the state usually comes within a millisecond. */
	for (unsigned us = 500, waited = 0;
	     waited < 500000 && !vz_nl_link_oper_up(host, ifname, &ignored); waited += us) {
		usleep(us);
		if (us < 5000)
			us *= 2;
	}
}

int vz_net_announce(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		    vz_error *err)
{
	cleanup_plan struct plan p = {0};
	cleanup_nl struct vz_nl ct = {0}, host = {0};
	cleanup_free char *nspath = vz_strdup_printf("/proc/%d/ns/net", (int)pid);
	cleanup_close int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);

	if (nsfd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open `%s`", nspath);
	if (make_plan(g, c, &p, err) < 0 || vz_nl_open(&ct, nsfd, err) < 0 ||
	    vz_nl_open(&host, -1, err) < 0)
		return -1;
	for (size_t i = 0; i < p.n; i++) {
		int index = vz_nl_link_index(&ct, p.ports[i].ct, NULL, 0, err);
		if (index <= 0)
			return -1;
		wait_oper_up(&host, p.ports[i].host);
		for (size_t j = 0; j < p.ports[i].n_ips; j++)
			if (vz_announce(nsfd, index, p.ports[i].mac, &p.ports[i].ips[j], err) < 0)
				return -1;
	}
	return 0;
}

static int apply(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		 const struct state *old, vz_error *err)
{
	cleanup_plan struct plan p = {0};
	cleanup_state struct state st = {.g = g, .ctid = c->ctid, .base = old};
	cleanup_nl struct vz_nl host = {0}, ct = {0};
	cleanup_free char *nspath = vz_strdup_printf("/proc/%d/ns/net", (int)pid);
	cleanup_close int nsfd = open(nspath, O_RDONLY | O_CLOEXEC);

	if (make_plan(g, c, &p, err) < 0)
		return -1;
	if (nsfd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "open `%s`", nspath);
	if (vz_nl_open(&host, -1, err) < 0 || vz_nl_open(&ct, nsfd, err) < 0)
		return -1;
	drop_stale(&host, &ct, g, &p, old);
	for (size_t i = 0; i < p.n; i++) {
		const struct port *pt = &p.ports[i];
		int index;
		if (state_has(old, "port", pt->host, NULL))
			index = vz_nl_link_index(&host, pt->host, NULL, 0, err);
		else
			index = host_port_create(&host, g, c, pt, nsfd, err);
		/* Recorded before it is configured: a failure from here on
		 * still gets undone. */
		state_add(&st, "port", pt->host, pt->ct, pt->bridge ? "bridged" : "routed");
		if (index <= 0 || ct_port_config(&host, &ct, &p, pt, err) < 0)
			goto fail;
		for (size_t j = 0; j < pt->n_ips; j++) {
			char text[VZ_INET_STRLEN];
			vz_inet_format(&pt->ips[j], text, true);
			state_add(&st, "addr", pt->host, text, "-");
			if (!pt->bridge &&
			    routed_host(&host, g, c->ctid, index, &pt->ips[j], true, &st, err) < 0)
				goto fail;
		}
		if (port_rules(g, c, &p, pt, err) < 0)
			goto fail;
	}
	vz_fault_point("net.before-record");
	return state_save(g, c->ctid, &st, err);
fail:
	state_save(g, c->ctid, &st, NULL);
	return -1;
}

int vz_net_ct_setup(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		    vz_error *err)
{
	struct state none = {0};

	if (c->n_netif == 0 && !(c->ip_address && c->ip_address[0]))
		return 0;
	if (vz_net_host_setup(g, err) < 0 || apply(g, c, pid, &none, err) < 0)
		return vz_error_wrap(err, "set up the network");
	return 0;
}

int vz_net_ct_update(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		     vz_error *err)
{
	cleanup_state struct state old = {0};

	state_load(g, c->ctid, &old);
	if (vz_net_host_setup(g, err) < 0 || apply(g, c, pid, &old, err) < 0)
		return vz_error_wrap(err, "update the network");
	return 0;
}

/* After CRIU restored a container: its NICs exist again with their names,
 * MACs and addresses, the host ends on their bridges, but none of what vz
 * adds on the host side (the alias marking a host end as ours, host routes
 * and proxy entries of routed addresses, the anti-spoofing chains).  The
 * ports are taken as existing and everything else is applied again (every
 * step replaces, so what CRIU brought back is left as it is). */
int vz_net_ct_reattach(const struct vz_global_conf *g, const struct vz_ct_conf *c, pid_t pid,
		       vz_error *err)
{
	cleanup_plan struct plan p = {0};
	cleanup_state struct state have = {0};
	cleanup_nl struct vz_nl host = {0};
	cleanup_free char *alias = alias_of(g, c->ctid);

	if (c->n_netif == 0 && !(c->ip_address && c->ip_address[0]))
		return 0;
	if (make_plan(g, c, &p, err) < 0 || vz_nl_open(&host, -1, err) < 0)
		return vz_error_wrap(err, "reattach the network");
	for (size_t i = 0; i < p.n; i++) {
		const struct port *pt = &p.ports[i];
		int index = vz_nl_link_index(&host, pt->host, NULL, 0, err);
		if (index <= 0)
			return vz_error_wrap(err, "host end `%s` of %s did not come back", pt->host,
					     pt->ct);
		if (vz_nl_link_set(&host, index,
				   &(struct vz_nl_link){.up = true, .alias = alias}, err) < 0)
			return -1;
		state_add(&have, "port", pt->host, pt->ct, pt->bridge ? "bridged" : "routed");
	}
	if (vz_net_host_setup(g, err) < 0 || apply(g, c, pid, &have, err) < 0)
		return vz_error_wrap(err, "reattach the network");
	return 0;
}

void vz_net_ct_cleanup(const struct vz_global_conf *g, const char *ctid)
{
	cleanup_state struct state old = {0};
	cleanup_free char *path = state_path(g, ctid);
	cleanup_free char *table = table_name(g);
	cleanup_nl struct vz_nl host = {0};
	vz_error ignored = {0};

	state_load(g, ctid, &old);
	if (old.n == 0 || vz_nl_open(&host, -1, &ignored) < 0) {
		unlink(path);
		return;
	}
	/* Interfaces are not deleted here: their container's namespace takes
	 * both ends along when it dies (and a leftover is replaced at the next
	 * start or swept by vzd at startup). */
	for (size_t i = 0; i < old.n; i++) {
		const struct rec *r = &old.r[i];
		struct vz_inet a;
		if (!strcmp(r->kind, "port")) {
			vz_nft_port_del(table, r->a, !strcmp(r->c, "routed"));
		} else if (!strcmp(r->kind, "proxy") && vz_inet_parse(r->a, &a, &ignored) == 0) {
			int index = vz_nl_link_index(&host, r->b, NULL, 0, &ignored);
			if (index > 0)
				vz_nl_neigh(&host, false, index, &a, NULL, &ignored);
		}
	}
	unlink(path);
}

/* ---- vzd startup: interfaces whose container has no state are orphans ---- */

struct sweep {
	const struct vz_global_conf *g;
	struct vz_nl *nl;
	size_t alias_len;
};

static void sweep_one(void *data, const char *name, int index, const char *alias)
{
	struct sweep *s = data;
	const char *ctid = alias + s->alias_len;
	cleanup_free char *path = state_path(s->g, ctid);
	vz_error ignored = {0};

	if (!vz_path_exists(path))
		vz_nl_link_del(s->nl, index, &ignored);
}

int vz_net_sweep(const struct vz_global_conf *g, vz_error *err)
{
	cleanup_nl struct vz_nl nl = {0};
	cleanup_free char *prefix = vz_strdup_printf(ALIAS_PREFIX "%04x:", instance_tag(g));
	struct sweep s = {.g = g, .nl = &nl, .alias_len = strlen(prefix)};

	if (vz_nl_open(&nl, -1, err) < 0)
		return -1;
	return vz_nl_link_foreach_alias(&nl, prefix, sweep_one, &s, err);
}

/* ---- other backends ---------------------------------------------------------- */

int vz_net_port_attach(const struct vz_global_conf *g, const char *ifname, const char *bridge,
		       const uint8_t mac[6], char *const *ips, bool filter, vz_error *err)
{
	cleanup_nl struct vz_nl nl = {0};
	cleanup_free char *table = table_name(g);
	cleanup_free struct vz_inet *v = NULL;
	struct vz_nft_port np = {.ifname = ifname};
	size_t n = 0;
	int master, index;

	if (vz_nl_open(&nl, -1, err) < 0 || vz_net_host_setup(g, err) < 0 ||
	    (master = bridge_ensure(&nl, g, bridge ? bridge : g->bridge, err)) < 0 ||
	    (index = vz_nl_link_index(&nl, ifname, NULL, 0, err)) <= 0 ||
	    vz_nl_link_set(&nl, index, &(struct vz_nl_link){.master = master, .up = true}, err) < 0)
		return vz_error_wrap(err, "cannot attach `%s` to the bridge", ifname);
	for (char *const *s = ips; s && *s; s++) {
		v = vz_xrealloc(v, (n + 1) * sizeof(*v));
		if (vz_inet_parse(*s, &v[n], err) < 0)
			return -1;
		n++;
	}
	if (!filter)
		return 0;
	memcpy(np.mac, mac, 6);
	np.ips = v;
	np.n_ips = n;
	return port_add(g, table, &np, err);
}

void vz_net_port_detach(const struct vz_global_conf *g, const char *ifname)
{
	cleanup_free char *table = table_name(g);

	vz_nft_port_del(table, ifname, false);
}
