/* The instance's nftables rules, through libnftables.
 *
 * One table name per vz instance (vz_net_table_name), in three families:
 *   bridge: chains on the bridge's forward and input hooks jump, by input
 *           port, to one chain per container NIC that drops frames from any
 *           other MAC and packets/ARP from any other address (anti-spoofing);
 *   inet:   the same per routed (venet) interface, on prerouting;
 *   ip:     masquerade of the bridge's IPv4 subnet when BRIDGE_NAT="yes".
 * Ports are entries of a verdict map (`ports`), so adding or removing a
 * container touches only its own chain and map entry, never other tables. */
#include "config.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "netns/nft.h"

static void nft_ctx_freep(struct nft_ctx **c)
{
	if (*c)
		nft_ctx_free(*c);
	*c = NULL;
}

/* Run @script as one transaction; the error text of nft goes into @err. */
static int run(const char *script, vz_error *err)
{
	__attribute__((cleanup(nft_ctx_freep))) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *msg;

	if (!ctx)
		return vz_fail(err, VZ_SYSTEM_ERROR, "cannot create nftables context");
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, script) == 0)
		return 0;
	msg = nft_ctx_get_error_buffer(ctx);
	return vz_fail(err, VZ_SYSTEM_ERROR, "nftables: %.*s", (int)strcspn(msg ? msg : "", "\n"),
		       msg ? msg : "failed");
}

static void add(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char **s, const char *fmt, ...)
{
	va_list ap;
	char *line, *joined;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	joined = vz_strdup_printf("%s%s\n", *s ? *s : "", line);
	free(line);
	free(*s);
	*s = joined;
}

/* Base chains: (re)created and flushed, the port maps are kept, so that
 * running containers stay filtered across a vzd restart. */
int vz_nft_setup(const char *table, const char *nat_subnet, vz_error *err)
{
	cleanup_free char *s = NULL;

	add(&s, "add table bridge %s", table);
	add(&s, "add map bridge %s ports { type ifname : verdict ; }", table);
	add(&s, "add chain bridge %s forward_ { type filter hook forward priority -200 ; }", table);
	add(&s, "add chain bridge %s input_ { type filter hook input priority -200 ; }", table);
	add(&s, "flush chain bridge %s forward_", table);
	add(&s, "flush chain bridge %s input_", table);
	add(&s, "add rule bridge %s forward_ iifname vmap @ports", table);
	add(&s, "add rule bridge %s input_ iifname vmap @ports", table);
	add(&s, "add table inet %s", table);
	add(&s, "add map inet %s ports { type ifname : verdict ; }", table);
	add(&s, "add chain inet %s prerouting_ { type filter hook prerouting priority -200 ; }",
	    table);
	add(&s, "flush chain inet %s prerouting_", table);
	add(&s, "add rule inet %s prerouting_ iifname vmap @ports", table);
	add(&s, "add table ip %s", table);
	add(&s, "add chain ip %s postrouting_ { type nat hook postrouting priority 100 ; }", table);
	add(&s, "flush chain ip %s postrouting_", table);
	if (nat_subnet)
		add(&s, "add rule ip %s postrouting_ ip saddr %s ip daddr != %s masquerade", table,
		    nat_subnet, nat_subnet);
	return run(s, err);
}

static char *chain_name(const char *port)
{
	char *c = vz_strdup_printf("p_%s", port);

	for (char *p = c; *p; p++)
		if (*p == '.' || *p == '-')
			*p = '_';
	return c;
}

/* "{ a, b }" of @v's addresses of @family plus @extra (may be NULL). */
static char *set_of(const struct vz_inet *v, size_t n, int family, const char *extra)
{
	char *s = vz_xstrdup("{ ");
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		char a[VZ_INET_STRLEN], *t;
		if (v[i].family != family)
			continue;
		vz_inet_format(&v[i], a, false);
		t = vz_strdup_printf("%s%s%s", s, first ? "" : ", ", a);
		free(s);
		s = t;
		first = false;
	}
	if (extra) {
		char *t = vz_strdup_printf("%s%s%s", s, first ? "" : ", ", extra);
		free(s);
		s = t;
	}
	char *t = vz_strdup_printf("%s }", s);
	free(s);
	return t;
}

/* fe80::/64 + EUI-64 of @mac: the link-local address a kernel gives it. */
static void eui64_lladdr(const uint8_t mac[6], char buf[VZ_INET_STRLEN])
{
	struct vz_inet ll = {.family = AF_INET6, .prefix = 128};

	ll.addr[0] = 0xfe;
	ll.addr[1] = 0x80;
	ll.addr[8] = mac[0] ^ 0x02;
	ll.addr[9] = mac[1];
	ll.addr[10] = mac[2];
	ll.addr[11] = 0xff;
	ll.addr[12] = 0xfe;
	ll.addr[13] = mac[3];
	ll.addr[14] = mac[4];
	ll.addr[15] = mac[5];
	vz_inet_format(&ll, buf, false);
}

static bool has_family(const struct vz_inet *v, size_t n, int family)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].family == family)
			return true;
	return false;
}

int vz_nft_port_add(const char *table, const struct vz_nft_port *p, vz_error *err)
{
	cleanup_free char *s = NULL, *chain = chain_name(p->ifname);
	const char *fam = p->routed ? "inet" : "bridge";
	char mac[18], ll[VZ_INET_STRLEN];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", p->mac[0], p->mac[1], p->mac[2],
		 p->mac[3], p->mac[4], p->mac[5]);
	eui64_lladdr(p->mac, ll);
	add(&s, "add chain %s %s %s", fam, table, chain);
	add(&s, "flush chain %s %s %s", fam, table, chain);
	if (!p->routed) {
		add(&s, "add rule bridge %s %s ether saddr != %s drop", table, chain, mac);
		add(&s, "add rule bridge %s %s arp saddr ether != %s drop", table, chain, mac);
	}
	/* Addresses are enforced once vz knows any for this port; a NIC the
	 * tenant configures itself is held to its MAC only. */
	if (p->n_ips || p->routed) {
		cleanup_free char *v4 = set_of(p->ips, p->n_ips, AF_INET, "0.0.0.0");
		cleanup_free char *v6 = set_of(p->ips, p->n_ips, AF_INET6, ll);
		cleanup_free char *v6r = set_of(p->ips, p->n_ips, AF_INET6, "fe80::/10");
		if (!p->routed)
			add(&s, "add rule bridge %s %s arp saddr ip != %s drop", table, chain, v4);
		if (has_family(p->ips, p->n_ips, AF_INET))
			add(&s, "add rule %s %s %s ip saddr != %s drop", fam, table, chain, v4);
		else
			add(&s, "add rule %s %s %s meta protocol ip drop", fam, table, chain);
		/* "::" is the source of duplicate address detection probes. */
		add(&s, "add rule %s %s %s ip6 saddr != %s ip6 saddr != :: drop", fam, table, chain,
		    p->routed ? v6r : v6);
	}
	add(&s, "add element %s %s ports { \"%s\" : jump %s }", fam, table, p->ifname, chain);
	return run(s, err);
}

void vz_nft_port_del(const char *table, const char *ifname, bool routed)
{
	cleanup_free char *chain = chain_name(ifname);
	cleanup_free char *el = NULL, *ch = NULL, *both = NULL;
	const char *fam = routed ? "inet" : "bridge";
	vz_error ignored = {0};

	add(&el, "delete element %s %s ports { \"%s\" }", fam, table, ifname);
	add(&ch, "delete chain %s %s %s", fam, table, chain);
	both = vz_strdup_printf("%s%s", el, ch);
	/* One transaction where both exist (each command fetches every table
	 * of the host first); else separately: a missing element must not
	 * keep the chain. */
	if (run(both, &ignored) == 0)
		return;
	run(el, &ignored);
	run(ch, &ignored);
}

/* Base chains on the forward hook of other tables (iptables' FORWARD among
 * them) whose policy is drop: a packet vz routes, NATs, or (with
 * br_netfilter) bridges meets them after vz's own table and no accept of
 * ours can overrule them.  Names them in *@ret ("ip filter FORWARD, ..."). */
int vz_nft_forward_drops(const char *own_table, char **ret)
{
	__attribute__((cleanup(nft_ctx_freep))) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	cleanup_free char *copy = NULL;
	char *found = NULL, *save = NULL, fam[16] = "", table[128] = "", chain[128] = "";

	*ret = NULL;
	if (!ctx)
		return -1;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	if (nft_run_cmd_from_buffer(ctx, "list chains") != 0)
		return -1;
	copy = vz_xstrdup(nft_ctx_get_output_buffer(ctx));
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (sscanf(l, " table %15s %127s", fam, table) == 2)
			continue;
		if (sscanf(l, " chain %127s", chain) == 1)
			continue;
		if (strstr(l, "hook forward") && strstr(l, "policy drop") &&
		    strcmp(table, own_table) &&
		    (!strcmp(fam, "ip") || !strcmp(fam, "inet") || !strcmp(fam, "ip6"))) {
			char *t = vz_strdup_printf("%s%s%s %s %s", found ? found : "",
						   found ? ", " : "", fam, table, chain);
			free(found);
			found = t;
		}
	}
	*ret = found;
	return 0;
}
