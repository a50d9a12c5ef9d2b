/* Editing NETIF values for vzctl set (--netif_add, --netif_del, --ifname
 * with --mac/--host_ifname/--host_mac/--bridge).  Pure text in, text out;
 * every result goes through the NETIF parser, so it is valid. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "config/values.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "netns/netns.h"

struct netifs {
	struct vz_netif *v;
	size_t n;
};

static void netifs_free(struct netifs *l)
{
	vz_netif_free(l->v, l->n);
	l->v = NULL;
	l->n = 0;
}

static char *format(const struct vz_netif *v, size_t n)
{
	char *s = vz_xstrdup("");

	for (size_t i = 0; i < n; i++) {
		const char *names[] = {"mac", "host_ifname", "host_mac", "bridge"};
		const char *vals[] = {v[i].mac, v[i].host_ifname, v[i].host_mac, v[i].bridge};
		char *t = vz_strdup_printf("%s%sifname=%s", s, i ? ";" : "", v[i].ifname);
		free(s);
		s = t;
		for (size_t f = 0; f < 4; f++) {
			if (!vals[f])
				continue;
			t = vz_strdup_printf("%s,%s=%s", s, names[f], vals[f]);
			free(s);
			s = t;
		}
		if (v[i].mtu) {
			t = vz_strdup_printf("%s,mtu=%u", s, v[i].mtu);
			free(s);
			s = t;
		}
	}
	return s;
}

static ssize_t find(const struct netifs *l, const char *ifname)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].ifname, ifname))
			return (ssize_t)i;
	return -1;
}

/* "eth0,MAC,HOSTIF,HOSTMAC,BRIDGE" (vzctl --netif_add) -> "ifname=eth0,..." */
static char *positional_to_fields(const char *value)
{
	const char *names[] = {"ifname", "mac", "host_ifname", "host_mac", "bridge"};
	cleanup_free char *copy = vz_xstrdup(value);
	char *s = vz_xstrdup(""), *p = copy;

	for (size_t f = 0; f < 5 && p; f++) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p) {
			char *t = vz_strdup_printf("%s%s%s=%s", s, *s ? "," : "", names[f], p);
			free(s);
			s = t;
		}
		p = comma ? comma + 1 : NULL;
	}
	if (p) { /* a sixth field: let the parser name it */
		char *t = vz_strdup_printf("%s,%s", s, p);
		free(s);
		s = t;
	}
	return s;
}

static void merge(struct vz_netif *into, struct vz_netif *from)
{
	char **dst[] = {&into->mac, &into->host_ifname, &into->host_mac, &into->bridge};
	char **src[] = {&from->mac, &from->host_ifname, &from->host_mac, &from->bridge};

	for (size_t f = 0; f < 4; f++)
		if (*src[f]) {
			free(*dst[f]);
			*dst[f] = steal_pointer(src[f]);
		}
	if (from->mtu)
		into->mtu = from->mtu;
}

int vz_netif_edit(const char *current, bool add, const char *value, char **ret, vz_error *err)
{
	__attribute__((cleanup(netifs_free))) struct netifs cur = {0}, one = {0};
	bool edit = strchr(value, '=') != NULL;
	cleanup_free char *fields = NULL;
	ssize_t at;

	if (current && *current && vz_parse_netif(current, &cur.v, &cur.n, err) < 0)
		return -1;
	if (!add) {
		if (!strcmp(value, "all")) {
			*ret = vz_xstrdup("");
			return 0;
		}
		at = find(&cur, value);
		if (at < 0)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "no network interface `%s` to delete", value);
		free(cur.v[at].ifname);
		free(cur.v[at].mac);
		free(cur.v[at].host_ifname);
		free(cur.v[at].host_mac);
		free(cur.v[at].bridge);
		memmove(&cur.v[at], &cur.v[at + 1], (cur.n - (size_t)at - 1) * sizeof(*cur.v));
		cur.n--;
		*ret = format(cur.v, cur.n);
		return 0;
	}
	fields = edit ? vz_xstrdup(value) : positional_to_fields(value);
	if (vz_parse_netif(fields, &one.v, &one.n, err) < 0)
		return -1;
	if (one.n != 1)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "one interface expected in `%s`",
			       value);
	at = find(&cur, one.v[0].ifname);
	if (edit && at < 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "no network interface `%s`; add it with --netif_add",
			       one.v[0].ifname);
	if (!edit && at >= 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "network interface `%s` already exists", one.v[0].ifname);
	if (edit) {
		merge(&cur.v[at], &one.v[0]);
	} else {
		cur.v = vz_xrealloc(cur.v, (cur.n + 1) * sizeof(*cur.v));
		cur.v[cur.n++] = one.v[0];
		memset(&one.v[0], 0, sizeof(one.v[0]));
	}
	*ret = format(cur.v, cur.n);
	for (size_t i = 0; i < cur.n; i++)
		for (size_t j = i + 1; j < cur.n; j++)
			if (cur.v[i].host_ifname && cur.v[j].host_ifname &&
			    !strcmp(cur.v[i].host_ifname, cur.v[j].host_ifname)) {
				vz_freep(ret);
				return vz_fail(
				    err, VZ_INVALID_PARAMETER_VALUE,
				    "host interface `%s` is named for both `%s` and `%s`",
				    cur.v[i].host_ifname, cur.v[i].ifname, cur.v[j].ifname);
			}
	return 0;
}
