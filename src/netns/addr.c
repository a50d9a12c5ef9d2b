/* Pure helpers of the networking code: address parsing, stable MAC
 * addresses and interface names, the text of /etc/hosts and resolv.conf. */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "netns/netns.h"

int vz_inet_parse(const char *s, struct vz_inet *ret, vz_error *err)
{
	char buf[VZ_INET_STRLEN];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	struct vz_inet a = {0};
	int max;

	if (len >= sizeof(buf))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not an IP address", s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a.addr) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a.addr) == 1)
		a.family = AF_INET6;
	else
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not an IP address", s);
	max = a.family == AF_INET ? 32 : 128;
	a.prefix = (uint8_t)max;
	if (slash) {
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || p < 0 || p > max)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`%s`: prefix length must be 0..%d", s, max);
		a.prefix = (uint8_t)p;
	}
	*ret = a;
	return 0;
}

void vz_inet_format(const struct vz_inet *a, char buf[VZ_INET_STRLEN], bool with_prefix)
{
	size_t n;

	if (!inet_ntop(a->family, a->addr, buf, VZ_INET_STRLEN)) {
		snprintf(buf, VZ_INET_STRLEN, "?");
		return;
	}
	n = strlen(buf);
	if (with_prefix)
		snprintf(buf + n, VZ_INET_STRLEN - n, "/%u", a->prefix);
}

bool vz_inet_in_subnet(const struct vz_inet *ip, const struct vz_inet *net)
{
	unsigned int full = net->prefix / 8, rest = net->prefix % 8;

	if (ip->family != net->family || memcmp(ip->addr, net->addr, full))
		return false;
	return !rest || ((ip->addr[full] ^ net->addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

bool vz_inet_equal(const struct vz_inet *a, const struct vz_inet *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

/* FNV-1a: small, stable across versions and hosts. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL; /* separator: "1"+"23" != "12"+"3" */
}

void vz_net_mac(const char *ctid, const char *ifname, bool host, uint8_t ret[6])
{
	uint64_t h = fnv1a(fnv1a(0xcbf29ce484222325ULL, ctid), ifname);

	for (int i = 1; i < 6; i++)
		ret[i] = (uint8_t)(h >> (8 * i));
	/* Locally administered unicast.  Host ends start with 0xfe, so that a
	 * bridge whose MAC the admin did not fix would rather take a container's
	 * neighbour's lower address... and vz fixes its own bridge's MAC anyway. */
	ret[0] = host ? 0xfe : 0x02;
}

int vz_mac_parse(const char *s, uint8_t ret[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		ret[i] = (uint8_t)b[i];
	return 0;
}

char *vz_net_host_ifname(const char *ctid, unsigned int idx)
{
	char *name = vz_strdup_printf("veth%s.%u", ctid, idx);

	if (strlen(name) > 15) {
		free(name);
		name = vz_strdup_printf("vz%08x.%u",
					(unsigned int)fnv1a(0xcbf29ce484222325ULL, ctid), idx);
	}
	return name;
}

char *vz_net_routed_ifname(const char *ctid)
{
	char *name = vz_strdup_printf("venet%s", ctid);

	if (strlen(name) > 15) {
		free(name);
		name =
		    vz_strdup_printf("vzr%08x", (unsigned int)fnv1a(0xcbf29ce484222325ULL, ctid));
	}
	return name;
}

static void __attribute__((format(printf, 2, 3))) append(char **buf, const char *fmt, ...)
{
	va_list ap;
	char *more, *joined;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0)
		abort();
	va_end(ap);
	joined = vz_strdup_printf("%s%s", *buf ? *buf : "", more);
	free(more);
	free(*buf);
	*buf = joined;
}

char *vz_net_hosts_text(const struct vz_ct_conf *c)
{
	char *text = NULL;
	const char *ip = c->ip_address && c->ip_address[0] ? c->ip_address[0] : "127.0.1.1";
	char addr[VZ_INET_STRLEN];
	const char *dot;

	if (!c->hostname)
		return NULL;
	snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(ip, "/"), ip);
	append(&text, "%s%s", "127.0.0.1\tlocalhost\n",
	       "::1\tlocalhost ip6-localhost ip6-loopback\n");
	dot = strchr(c->hostname, '.');
	if (dot) {
		char *shortname = vz_strdup_printf("%.*s", (int)(dot - c->hostname), c->hostname);
		char *line = vz_strdup_printf("%s\t%s %s\n", addr, c->hostname, shortname);
		append(&text, "%s%s", line, "");
		free(line);
		free(shortname);
	} else {
		char *line = vz_strdup_printf("%s\t%s\n", addr, c->hostname);
		append(&text, "%s%s", line, "");
		free(line);
	}
	return text;
}

static bool has_inherit(char **v)
{
	for (; v && *v; v++)
		if (!strcmp(*v, "inherit"))
			return true;
	return false;
}

/* The host's values of @key ("nameserver", "search") as lines. */
static void inherit_lines(char **text, const char *host, const char *key)
{
	cleanup_free char *copy = vz_xstrdup(host ? host : "");
	size_t klen = strlen(key);
	char *save = NULL;

	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!strncmp(l, key, klen) && (l[klen] == ' ' || l[klen] == '\t'))
			append(text, "%s%s\n", l, "");
}

char *vz_net_resolv_text(const struct vz_ct_conf *c, const char *host_resolv)
{
	char *text = NULL;
	bool any_search = false;

	if (!(c->nameserver && c->nameserver[0]) && !(c->searchdomain && c->searchdomain[0]))
		return NULL;
	append(&text, "%s%s", "# written by vz from NAMESERVER and SEARCHDOMAIN\n", "");
	if (has_inherit(c->searchdomain))
		inherit_lines(&text, host_resolv, "search");
	for (char **s = c->searchdomain; s && *s; s++) {
		if (!strcmp(*s, "inherit"))
			continue;
		append(&text, any_search ? " %s%s" : "search %s%s", *s, "");
		any_search = true;
	}
	if (any_search)
		append(&text, "%s%s", "\n", "");
	if (has_inherit(c->nameserver))
		inherit_lines(&text, host_resolv, "nameserver");
	for (char **s = c->nameserver; s && *s; s++)
		if (strcmp(*s, "inherit"))
			append(&text, "nameserver %s\n%s", *s, "");
	return text;
}
