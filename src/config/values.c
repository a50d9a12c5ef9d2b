/* Typed values of vzctl parameters (see values.h). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/values.h"
#include "lib/cleanup.h"
#include "lib/util.h"

/* Leading decimal digits of @s; -EINVAL if there are none, -ERANGE if they
 * do not fit in 64 bits (so the caller can say "too large", not "not a
 * number"). */
static int parse_u64(const char *s, const char **ret_end, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret_end = p;
	*ret = v;
	return 0;
}

static uint64_t suffix_multiplier(char c)
{
	switch (toupper((unsigned char)c)) {
	case 'K':
		return 1ULL << 10;
	case 'M':
		return 1ULL << 20;
	case 'G':
		return 1ULL << 30;
	case 'T':
		return 1ULL << 40;
	case 'P':
		return 1ULL << 50;
	default:
		return 0;
	}
}

int vz_parse_size(const char *s, enum vz_size_unit unit, uint64_t *ret, vz_error *err)
{
	const char *end;
	uint64_t v, mult;
	int r;

	if (!s || !*s)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "empty value");
	if (strcmp(s, "unlimited") == 0) {
		*ret = VZ_UNLIMITED;
		return 0;
	}
	r = parse_u64(s, &end, &v);
	if (r == -ERANGE)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is too large", s);
	if (r < 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s` is not a number%s or \"unlimited\"", s,
			       unit == VZ_UNIT_COUNT ? "" : " with optional K/M/G/T suffix");
	if (!*end) {
		*ret = v;
		return 0;
	}
	mult = suffix_multiplier(*end);
	if (unit == VZ_UNIT_COUNT || !mult ||
	    (end[1] && !((end[1] == 'B' || end[1] == 'b') && !end[2])))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` has an unknown suffix `%s`",
			       s, end);
	if (v > UINT64_MAX / mult)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is too large", s);
	v *= mult;
	/* Round up to whole units: asking for 1K of pages gives one page. */
	*ret = v / (uint64_t)unit + (v % (uint64_t)unit ? 1 : 0);
	return 0;
}

int vz_parse_pair(const char *s, enum vz_size_unit unit, struct vz_pair *ret, vz_error *err)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	struct vz_pair p;

	if (!colon) {
		if (vz_parse_size(s, unit, &p.barrier, err) < 0)
			return -1;
		p.limit = p.barrier;
	} else {
		cleanup_free char *b = strndup(s, (size_t)(colon - s));
		if (!b)
			abort();
		if (strchr(colon + 1, ':'))
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`%s`: expected barrier:limit", s);
		if (vz_parse_size(b, unit, &p.barrier, err) < 0 ||
		    vz_parse_size(colon + 1, unit, &p.limit, err) < 0)
			return vz_error_wrap(err, "`%s`: expected barrier:limit", s);
		if (p.barrier > p.limit)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`%s`: barrier is greater than limit", s);
	}
	*ret = p;
	return 0;
}

static void format_u64(char *buf, size_t size, uint64_t v)
{
	if (v == VZ_UNLIMITED)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
}

char *vz_format_pair(const struct vz_pair *p)
{
	char b[32], l[32];

	format_u64(b, sizeof(b), p->barrier);
	format_u64(l, sizeof(l), p->limit);
	return vz_strdup_printf("%s:%s", b, l);
}

int vz_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret, vz_error *err)
{
	const char *end;
	uint64_t v;

	if (!s || parse_u64(s, &end, &v) < 0 || *end)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not a whole number",
			       s ? s : "");
	if (v < min || v > max)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "%llu is out of range %u..%u",
			       (unsigned long long)v, min, max);
	*ret = (uint32_t)v;
	return 0;
}

int vz_parse_bool(const char *s, bool *ret, vz_error *err)
{
	static const char *yes[] = {"yes", "on", "true", "1"};
	static const char *no[] = {"no", "off", "false", "0"};

	for (size_t i = 0; s && i < VZ_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not yes or no", s ? s : "");
}

int vz_parse_ip(const char *s, vz_error *err)
{
	char addr[INET6_ADDRSTRLEN + 8];
	unsigned char buf[sizeof(struct in6_addr)];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	int family;

	if (len == 0 || len >= INET6_ADDRSTRLEN)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not an IP address", s);
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, buf) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, addr, buf) == 1)
		family = AF_INET6;
	else
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not an IP address", s);
	if (slash) {
		uint32_t prefix;
		if (vz_parse_u32(slash + 1, 0, family == AF_INET ? 32 : 128, &prefix, err) < 0)
			return vz_error_wrap(err, "`%s`: bad prefix length", s);
	}
	return 0;
}

int vz_parse_hostname(const char *s, vz_error *err)
{
	size_t label = 0, len = strlen(s);

	if (len == 0 || len > 253)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "host name must have 1 to 253 characters");
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
					       "`%s` is not a valid host name", s);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && !(*p == '-' && label > 0))
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`%s` is not a valid host name", s);
		if (++label > 63)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`%s`: a label is longer than 63 characters", s);
	}
	if (label == 0 || s[len - 1] == '-')
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not a valid host name", s);
	return 0;
}

static bool parse_cpu_number(const char **p, unsigned long *ret)
{
	char *end;

	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*ret = strtoul(*p, &end, 10);
	if (errno || *ret >= 4096)
		return false;
	*p = end;
	return true;
}

int vz_parse_cpulist(const char *s, vz_error *err)
{
	const char *p = s;

	if (!strcmp(s, "all"))
		return 0;
	for (;;) {
		unsigned long lo, hi;
		if (!parse_cpu_number(&p, &lo))
			break;
		hi = lo;
		if (*p == '-' && (p++, !parse_cpu_number(&p, &hi)))
			break;
		if (hi < lo)
			break;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			break;
	}
	return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
		       "`%s` is not a CPU list: expected `all` or numbers and ranges below "
		       "4096 such as `0-3,6`",
		       s);
}

int vz_parse_path(const char *s, vz_error *err)
{
	if (!s || s[0] != '/')
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not an absolute path",
			       s ? s : "");
	if (strstr(s, "/../") || (strlen(s) >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` contains `..`", s);
	return 0;
}

char **vz_split_words(const char *s)
{
	size_t n = 0;
	char **v = vz_xcalloc(1, sizeof(char *));
	const char *p = s ? s : "";

	for (;;) {
		size_t len;
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		/* end the word where the skip above would resume */
		for (len = 0; p[len] && !isspace((unsigned char)p[len]); len++)
			;
		v = vz_xrealloc(v, (n + 2) * sizeof(char *));
		v[n] = strndup(p, len);
		if (!v[n])
			abort();
		v[++n] = NULL;
		p += len;
	}
	return v;
}

char *vz_expand_veid(const char *tmpl, const char *ctid)
{
	size_t cap = strlen(tmpl) + 1, n = 0;
	char *out;
	const char *p = tmpl;

	for (const char *q = tmpl; (q = strstr(q, "VEID")); q++)
		cap += strlen(ctid);
	out = vz_xcalloc(1, cap);
	while (*p) {
		if (strncmp(p, "$VEID", 5) == 0) {
			n += (size_t)sprintf(out + n, "%s", ctid);
			p += 5;
		} else if (strncmp(p, "${VEID}", 7) == 0) {
			n += (size_t)sprintf(out + n, "%s", ctid);
			p += 7;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

/* Exactly xx:xx:xx:xx:xx:xx.  sscanf("%2x") would also take blanks, signs
 * and "0x" inside a byte, letting typos through to the kernel. */
int vz_parse_mac(const char *s, vz_error *err)
{
	bool zero = true;

	for (size_t i = 0; i < 17; i++) {
		bool colon = i % 3 == 2;
		if (colon ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`%s` is not a MAC address (xx:xx:xx:xx:xx:xx)", s);
		if (!colon && s[i] != '0')
			zero = false;
	}
	if (s[17])
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s` is not a MAC address (xx:xx:xx:xx:xx:xx)", s);
	/* the I/G (multicast) bit is the low bit of the first byte's second digit */
	if ((isdigit((unsigned char)s[1]) ? s[1] - '0' : toupper((unsigned char)s[1]) - 'A' + 10) &
	    1)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is a multicast MAC address",
			       s);
	if (zero)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s` cannot be an interface address", s);
	return 0;
}

void vz_netif_free(struct vz_netif *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].ifname);
		free(v[i].mac);
		free(v[i].host_ifname);
		free(v[i].host_mac);
		free(v[i].bridge);
	}
	free(v);
}

/* As the kernel's dev_valid_name(): the name becomes a sysfs directory. */
static int valid_ifname(const char *s)
{
	if (!*s || strlen(s) >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return 0;
	return 1;
}

int vz_parse_ifname(const char *s, vz_error *err)
{
	if (!valid_ifname(s))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s` is not a valid interface name (1-15 characters, no '/', ':' "
			       "or blanks)",
			       s);
	return 0;
}

static int netif_field(struct vz_netif *nif, const char *kv, vz_error *err)
{
	const char *eq = strchr(kv, '=');
	const char *val = eq ? eq + 1 : NULL;
	size_t klen = eq ? (size_t)(eq - kv) : 0;
	char **slot = NULL;
	bool is_mac = false, is_if = false;

	if (!eq)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s`: expected name=value", kv);
	if (klen == 3 && !strncmp(kv, "mtu", 3)) {
		if (nif->mtu)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`mtu` given twice in one NETIF entry");
		return vz_parse_u32(val, 68, 65535, &nif->mtu, err) < 0
			   ? vz_error_wrap(err, "NETIF mtu")
			   : 0;
	}
	if (klen == 6 && !strncmp(kv, "ifname", 6))
		slot = &nif->ifname, is_if = true;
	else if (klen == 3 && !strncmp(kv, "mac", 3))
		slot = &nif->mac, is_mac = true;
	else if (klen == 11 && !strncmp(kv, "host_ifname", 11))
		slot = &nif->host_ifname, is_if = true;
	else if (klen == 8 && !strncmp(kv, "host_mac", 8))
		slot = &nif->host_mac, is_mac = true;
	else if (klen == 6 && !strncmp(kv, "bridge", 6))
		slot = &nif->bridge, is_if = true;
	else
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%.*s`: unknown NETIF field",
			       (int)klen, kv);
	if (is_mac && vz_parse_mac(val, err) < 0)
		return -1;
	if (is_if && vz_parse_ifname(val, err) < 0)
		return -1;
	if (*slot)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%.*s` given twice in one NETIF entry", (int)klen, kv);
	*slot = vz_xstrdup(val);
	return 0;
}

int vz_parse_netif(const char *s, struct vz_netif **ret, size_t *ret_n, vz_error *err)
{
	cleanup_free char *copy = vz_xstrdup(s);
	struct vz_netif *v = NULL;
	size_t n = 0;
	char *save = NULL;

	for (char *ent = strtok_r(copy, ";", &save); ent; ent = strtok_r(NULL, ";", &save)) {
		char *save2 = NULL;
		v = vz_xrealloc(v, (n + 1) * sizeof(*v));
		memset(&v[n], 0, sizeof(*v));
		n++;
		for (char *f = strtok_r(ent, ",", &save2); f; f = strtok_r(NULL, ",", &save2)) {
			if (netif_field(&v[n - 1], f, err) < 0)
				goto fail;
		}
		if (!v[n - 1].ifname) {
			vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "NETIF entry without ifname=");
			goto fail;
		}
		/* two interfaces of one container cannot share a name */
		for (size_t i = 0; i + 1 < n; i++) {
			if (strcmp(v[i].ifname, v[n - 1].ifname) == 0) {
				vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
					"interface `%s` is in two NETIF entries", v[i].ifname);
				goto fail;
			}
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	vz_netif_free(v, n);
	return -1;
}
