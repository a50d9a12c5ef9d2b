/* Security keys of CTID.conf: CAPABILITY, FEATURES, DEVICES, DEVNODES (see seckeys.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "config/seckeys.h"
#include "config/values.h"
#include "lib/cleanup.h"
#include "lib/util.h"

/* Why each is dropped: sys_module, sys_rawio (kernel and hardware), sys_time
 * and wake_alarm (host clocks), syslog (the host's kernel log),
 * mac_admin/mac_override (the host's LSM policy), block_suspend (host power
 * management), audit_control (the host's audit rules).  sys_boot stays: in a
 * pid namespace reboot(2) only ends the container, and its halt needs it. */
static const int default_drop[] = {
    CAP_SYS_MODULE, CAP_SYS_RAWIO,  CAP_SYS_TIME,      CAP_MAC_ADMIN,	  CAP_MAC_OVERRIDE,
    CAP_SYSLOG,	    CAP_WAKE_ALARM, CAP_BLOCK_SUSPEND, CAP_AUDIT_CONTROL,
};

uint64_t vz_caps_default_drop(void)
{
	uint64_t m = 0;

	for (size_t i = 0; i < VZ_ARRAY_SIZE(default_drop); i++)
		m |= 1ULL << default_drop[i];
	return m;
}

/* Split "NAME:VALUE" at the last colon; both parts must be non-empty. */
static int split_entry(const char *s, const char *what, char *name, size_t size,
		       const char **ret_value, vz_error *err)
{
	const char *colon = strrchr(s, ':');

	if (!colon || colon == s || !colon[1] || (size_t)(colon - s) >= size)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s`: expected %s", s, what);
	memcpy(name, s, colon - s);
	name[colon - s] = '\0';
	*ret_value = colon + 1;
	return 0;
}

static int parse_onoff(const char *entry, const char *v, bool *ret, vz_error *err)
{
	if (!strcmp(v, "on"))
		*ret = true;
	else if (!strcmp(v, "off"))
		*ret = false;
	else
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s`: expected on or off after `:`", entry);
	return 0;
}

static int cap_number(const char *entry, const char *name, int *ret, vz_error *err)
{
	char lower[64] = "cap_";
	size_t off = strncasecmp(name, "cap_", 4) ? 4 : 0;
	cap_value_t cap;

	if (strlen(name) + off >= sizeof(lower))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s`: unknown capability", entry);
	for (size_t i = 0; name[i]; i++)
		lower[off + i] = (char)tolower((unsigned char)name[i]);
	lower[off + strlen(name)] = '\0';
	if (cap_from_name(lower, &cap) < 0 || cap < 0 || cap > 63)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s`: unknown capability `%s` (names as in capabilities(7), e.g. "
			       "net_admin)",
			       entry, name);
	*ret = cap;
	return 0;
}

int vz_caps_drop_mask(char *const *words, uint64_t *ret, vz_error *err)
{
	uint64_t m = vz_caps_default_drop();

	for (char *const *w = words; w && *w; w++) {
		char name[64];
		const char *v;
		bool on = false;
		int cap = 0;

		if (split_entry(*w, "NAME:on or NAME:off", name, sizeof(name), &v, err) < 0 ||
		    parse_onoff(*w, v, &on, err) < 0 || cap_number(*w, name, &cap, err) < 0)
			return -1;
		if (on)
			m &= ~(1ULL << cap);
		else
			m |= 1ULL << cap;
	}
	*ret = m;
	return 0;
}

int vz_caps_check(const char *value, vz_error *err)
{
	cleanup_strv char **w = vz_split_words(value);
	uint64_t m;

	return vz_caps_drop_mask(w, &m, err);
}

const char *const vz_features[] = {"nesting", "bpf", "perf", "userfaultfd", "keyctl", NULL};

static bool feature_known(const char *name)
{
	for (const char *const *f = vz_features; *f; f++)
		if (!strcmp(*f, name))
			return true;
	return false;
}

int vz_features_check(const char *value, vz_error *err)
{
	cleanup_strv char **words = vz_split_words(value);

	for (char **w = words; *w; w++) {
		char name[64];
		const char *v;
		bool on;

		if (split_entry(*w, "NAME:on or NAME:off", name, sizeof(name), &v, err) < 0 ||
		    parse_onoff(*w, v, &on, err) < 0)
			return -1;
		if (!feature_known(name))
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`%s`: unknown feature `%s` (known: nesting, bpf, perf, "
				       "userfaultfd, keyctl)",
				       *w, name);
	}
	return 0;
}

bool vz_feature_on(char *const *words, const char *name)
{
	bool on = false;
	size_t n = strlen(name);

	for (char *const *w = words; w && *w; w++)
		if (!strncmp(*w, name, n) && (*w)[n] == ':')
			on = !strcmp(*w + n + 1, "on");
	return on;
}

#define ANY (-1)
#define RW  (VZ_DEV_READ | VZ_DEV_WRITE)
const struct vz_dev_rule vz_dev_default[] = {
    {'c', 1, 3, RW},	 /* null (and /dev/console, bound to it) */
    {'c', 1, 5, RW},	 /* zero */
    {'c', 1, 7, RW},	 /* full */
    {'c', 1, 8, RW},	 /* random */
    {'c', 1, 9, RW},	 /* urandom */
    {'c', 5, 0, RW},	 /* tty */
    {'c', 5, 1, RW},	 /* console */
    {'c', 5, 2, RW},	 /* ptmx */
    {'c', 136, ANY, RW}, /* pty slaves of the container's devpts */
};
const size_t vz_dev_default_n = VZ_ARRAY_SIZE(vz_dev_default);

static int parse_access(const char *entry, const char *s, unsigned *ret, vz_error *err)
{
	if (!strcmp(s, "none")) {
		*ret = 0;
		return 0;
	}
	*ret = 0;
	for (; *s; s++) {
		if (*s == 'r')
			*ret |= VZ_DEV_READ;
		else if (*s == 'w')
			*ret |= VZ_DEV_WRITE;
		else if (*s == 'm')
			*ret |= VZ_DEV_MKNOD;
		else
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "`%s`: access must be r, w, rw or none", entry);
	}
	return 0;
}

static int parse_devnum(const char *entry, const char *s, bool star_ok, int64_t *ret, vz_error *err)
{
	uint32_t v;

	if (star_ok && !strcmp(s, "*")) {
		*ret = ANY;
		return 0;
	}
	if (vz_parse_u32(s, 0, 4095 * 256 + 255, &v, NULL) < 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s`: bad device number `%s`",
			       entry, s);
	*ret = v;
	return 0;
}

int vz_dev_rule_parse(const char *s, struct vz_dev_rule *ret, vz_error *err)
{
	cleanup_free char *copy = vz_xstrdup(s);
	char *parts[4] = {0}, *save = NULL, *p = copy;
	size_t n = 0;
	struct vz_dev_rule r = {0};

	while (n < 4 && (parts[n] = strtok_r(p, ":", &save)))
		p = NULL, n++;
	if (n == 2 && !strcmp(parts[0], "all")) {
		r = (struct vz_dev_rule){'a', ANY, ANY, 0};
		if (parse_access(s, parts[1], &r.access, err) < 0)
			return -1;
		*ret = r;
		return 0;
	}
	if (n != 4 || strtok_r(NULL, ":", &save) ||
	    (strcmp(parts[0], "c") && strcmp(parts[0], "b")))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s`: expected c|b:MAJOR:MINOR:r|w|rw|none or all:ACCESS", s);
	r.type = parts[0][0];
	if (parse_devnum(s, parts[1], false, &r.major, err) < 0 ||
	    parse_devnum(s, parts[2], true, &r.minor, err) < 0 ||
	    parse_access(s, parts[3], &r.access, err) < 0)
		return -1;
	*ret = r;
	return 0;
}

int vz_devices_check(const char *value, vz_error *err)
{
	cleanup_strv char **words = vz_split_words(value);
	struct vz_dev_rule r;

	for (char **w = words; *w; w++)
		if (vz_dev_rule_parse(*w, &r, err) < 0)
			return -1;
	return 0;
}

int vz_devnode_parse(const char *s, char *name, size_t name_size, unsigned *ret_access,
		     vz_error *err)
{
	const char *v;

	if (split_entry(s, "NAME:r|w|rw|none", name, name_size, &v, err) < 0)
		return -1;
	if (name[0] == '/' || strstr(name, "..") ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz"
			 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./") != strlen(name))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s`: device name must be a path below /dev (e.g. net/tun)", s);
	return parse_access(s, v, ret_access, err);
}

int vz_devnodes_check(const char *value, vz_error *err)
{
	cleanup_strv char **words = vz_split_words(value);
	char name[256];
	unsigned a;

	for (char **w = words; *w; w++)
		if (vz_devnode_parse(*w, name, sizeof(name), &a, err) < 0)
			return -1;
	return 0;
}

int vz_seccomp_name_check(const char *value, vz_error *err)
{
	if (value[0] == '/')
		return vz_parse_path(value, err);
	if (!value[0] || value[0] == '.' || strlen(value) > 200 ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
		strlen(value))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "`%s`: expected an absolute path or a profile name (NAME.json next "
			       "to vz.conf's SECCOMP_PROFILE)",
			       value);
	return 0;
}

bool vz_keyed_list(const char *key)
{
	return !strcmp(key, "CAPABILITY") || !strcmp(key, "FEATURES") || !strcmp(key, "DEVICES") ||
	       !strcmp(key, "DEVNODES");
}

bool vz_same_entry(const char *a, const char *b)
{
	const char *ca = strrchr(a, ':'), *cb = strrchr(b, ':');

	return ca && cb && ca - a == cb - b && !strncasecmp(a, b, (size_t)(ca - a));
}
