/* Typed global and per-container configuration, parsed by table (see conf.h). */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "config/seckeys.h"
#include "lib/cleanup.h"
#include "lib/util.h"

enum field_type {
	F_STRING,   /* free text */
	F_PATH,	    /* absolute path, $VEID allowed */
	F_BOOL,	    /* yes/no */
	F_U32,	    /* whole number in [min, max] */
	F_PAIR,	    /* barrier:limit in `unit` */
	F_IPLIST,   /* blank-separated IP addresses */
	F_WORDS,    /* blank-separated words */
	F_NETIF,    /* NETIF entries */
	F_HOSTNAME, /* RFC 1123 host name */
	F_NAME,	    /* a template or sample name: no '/' and no leading '.' */
	F_IFNAME,   /* a network interface name */
	F_CPULIST,  /* CPU or node list "0-3,6" or "all" (cpuset syntax) */
	F_SIZE64,   /* size in `unit` with K/M/G/T suffixes, or "unlimited" */
};

struct conf_key {
	const char *key;
	enum field_type type;
	size_t offset;
	uint32_t min, max;
	enum vz_size_unit unit;
	const char *def; /* default, parsed like a file value; NULL: unset */
	int (*check)(const char *value, vz_error *err); /* extra validation; may be NULL */
};

#define G(k, t, f, ...)                                                                            \
	{                                                                                          \
		k, t, offsetof(struct vz_global_conf, f), __VA_ARGS__                              \
	}
#define C(k, t, f, ...)                                                                            \
	{                                                                                          \
		k, t, offsetof(struct vz_ct_conf, f), __VA_ARGS__                                  \
	}

static const struct conf_key global_keys[] = {
    G("CONF_DIR", F_PATH, conf_dir, .def = "/etc/vz/conf"),
    G("VE_ROOT", F_PATH, ve_root, .def = "/vz/root/$VEID"),
    G("VE_PRIVATE", F_PATH, ve_private, .def = "/vz/private/$VEID"),
    G("TEMPLATE", F_PATH, template_dir, .def = "/vz/template"),
    G("DUMPDIR", F_PATH, dump_dir, .def = "/vz/dump"),
    G("LOCKDIR", F_PATH, lock_dir, .def = "/vz/lock"),
    G("VZ_RUN_DIR", F_PATH, run_dir, .def = "/run/vz"),
    G("VZD_SOCKET", F_PATH, socket_path),
    G("CGROUP_ROOT", F_PATH, cgroup_root, .def = "/sys/fs/cgroup"),
    G("CGROUP_PARENT", F_NAME, cgroup_parent, .def = "vz"),
    G("CGROUP_VERSION", F_U32, cgroup_version, .min = 0, .max = 2, .def = "0"),
    G("DEF_OSTEMPLATE", F_NAME, def_ostemplate, .def = "busybox"),
    G("CONFIGFILE", F_NAME, configfile, .def = "basic"),
    G("USERNS_BASE", F_U32, userns_base, .min = 0, .max = UINT32_MAX, .def = "100000"),
    G("USERNS_SIZE", F_U32, userns_size, .min = 1, .max = UINT32_MAX, .def = "65536"),
    G("STOP_TIMEOUT", F_U32, stop_timeout, .min = 0, .max = 86400, .def = "60"),
    G("LOCK_TIMEOUT", F_U32, lock_timeout, .min = 0, .max = 86400, .def = "60"),
    G("VZ_BRIDGE", F_IFNAME, bridge, .def = "vzbr0"),
    G("SECCOMP_PROFILE", F_PATH, seccomp_profile, .def = SYSCONFDIR "/vz/seccomp/default.json"),
    G("VZD_GROUP", F_NAME, vzd_group),
    G("BRIDGE_ADDRESS", F_IPLIST, bridge_address),
    G("BRIDGE_NAT", F_BOOL, bridge_nat, .def = "no"),
    G("NEIGHBOUR_DEVS", F_WORDS, neighbour_devs),
    G("VIRT_SYSINFO", F_BOOL, virt_sysinfo, .def = "yes"),
    G("LXCFS_DIR", F_PATH, lxcfs_dir, .def = "/var/lib/lxcfs"),
    G("CRIU", F_PATH, criu, .def = "/usr/local/lib/vz/criu/criu"),
    G("MIGRATE_SSH", F_STRING, migrate_ssh, .def = "ssh -o BatchMode=yes"),
    G("QEMU", F_PATH, qemu, .def = "/usr/bin/qemu-system-x86_64"),
    G("VM_USER", F_NAME, vm_user, .def = "vz-qemu"),
    G("VM_ACCEL", F_NAME, vm_accel, .def = "auto"),
    G("VM_PROBE_TIMEOUT", F_U32, vm_probe_timeout, .min = 1, .max = 600, .def = "15"),
};

static const struct conf_key ct_keys[] = {
    C("VE_ROOT", F_PATH, ve_root),
    C("VE_PRIVATE", F_PATH, ve_private),
    C("OSTEMPLATE", F_NAME, ostemplate),
    C("ONBOOT", F_BOOL, onboot, .def = "no"),
    C("DISABLED", F_BOOL, disabled, .def = "no"),
    C("HOSTNAME", F_HOSTNAME, hostname),
    C("IP_ADDRESS", F_IPLIST, ip_address),
    C("NETIF", F_NETIF, netif),
    C("NAMESERVER", F_WORDS, nameserver),
    C("SEARCHDOMAIN", F_WORDS, searchdomain),
    C("DESCRIPTION", F_STRING, description),
    C("CPUUNITS", F_U32, cpuunits, .min = 8, .max = 500000, .def = "1000"),
    C("CPULIMIT", F_U32, cpulimit, .min = 0, .max = 100000, .def = "0"),
    C("CPUS", F_U32, cpus, .min = 0, .max = 4096, .def = "0"),
    C("PHYSPAGES", F_PAIR, physpages, .unit = VZ_UNIT_PAGES, .def = "unlimited"),
    C("SWAPPAGES", F_PAIR, swappages, .unit = VZ_UNIT_PAGES, .def = "0"),
    C("NUMPROC", F_PAIR, numproc, .unit = VZ_UNIT_COUNT, .def = "unlimited"),
    C("DISKSPACE", F_PAIR, diskspace, .unit = VZ_UNIT_KB, .def = "unlimited"),
    C("DISKINODES", F_PAIR, diskinodes, .unit = VZ_UNIT_COUNT, .def = "unlimited"),
    C("LOCAL_UID", F_U32, local_uid, .min = 0, .max = UINT32_MAX),
    C("LOCAL_GID", F_U32, local_gid, .min = 0, .max = UINT32_MAX),
    C("PRIVILEGED", F_BOOL, privileged, .def = "no"),
    C("CAPABILITY", F_WORDS, capability, .check = vz_caps_check),
    C("FEATURES", F_WORDS, features, .check = vz_features_check),
    C("DEVICES", F_WORDS, devices, .check = vz_devices_check),
    C("DEVNODES", F_WORDS, devnodes, .check = vz_devnodes_check),
    C("SECCOMP_PROFILE", F_STRING, seccomp_profile, .check = vz_seccomp_name_check),
    C("NO_NEW_PRIVS", F_BOOL, no_new_privs, .def = "no"),
    C("MAC_FILTER", F_BOOL, mac_filter, .def = "yes"),
    C("CPUMASK", F_CPULIST, cpumask),
    C("NODEMASK", F_CPULIST, nodemask),
    C("IOPRIO", F_U32, ioprio, .min = 0, .max = 7, .def = "4"),
    C("IOLIMIT", F_SIZE64, iolimit, .unit = VZ_UNIT_BYTES, .def = "0"),
    C("IOPSLIMIT", F_U32, iopslimit, .min = 0, .max = 1000000000, .def = "0"),
    C("VE_LAYOUT", F_NAME, ve_layout, .def = "simfs"),
    C("VMTYPE", F_NAME, vmtype),
};

static void free_field(void *base, const struct conf_key *k)
{
	void *field = (char *)base + k->offset;

	switch (k->type) {
	case F_STRING:
	case F_PATH:
	case F_HOSTNAME:
	case F_NAME:
	case F_IFNAME:
	case F_CPULIST:
		vz_freep(field);
		break;
	case F_IPLIST:
	case F_WORDS:
		vz_strv_freep(field);
		break;
	case F_NETIF: {
		struct vz_ct_conf *c = base;
		vz_netif_free(c->netif, c->n_netif);
		c->netif = NULL;
		c->n_netif = 0;
		break;
	}
	default:
		break;
	}
}

static int parse_name(const char *s, vz_error *err)
{
	if (!*s || strchr(s, '/') || s[0] == '.' || strlen(s) > 200)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "`%s` is not a valid name", s);
	return 0;
}

static int parse_iplist(const char *s, char ***ret, vz_error *err)
{
	cleanup_strv char **v = vz_split_words(s);

	for (char **p = v; *p; p++)
		if (vz_parse_ip(*p, err) < 0)
			return -1;
	*ret = steal_pointer(&v);
	return 0;
}

/* Parse @value as @k's type into the field at @base; the old value is
 * released only on success, so a failed parse changes nothing. */
static int apply_key(void *base, const struct conf_key *k, const char *value, vz_error *err)
{
	void *field = (char *)base + k->offset;

	if (k->check && k->check(value, err) < 0)
		return -1;
	switch (k->type) {
	case F_STRING:
		free_field(base, k);
		*(char **)field = vz_xstrdup(value);
		return 0;
	case F_PATH:
	case F_HOSTNAME:
	case F_NAME:
	case F_IFNAME:
		if ((k->type == F_PATH && vz_parse_path(value, err) < 0) ||
		    (k->type == F_HOSTNAME && vz_parse_hostname(value, err) < 0) ||
		    (k->type == F_NAME && parse_name(value, err) < 0) ||
		    (k->type == F_IFNAME && vz_parse_ifname(value, err) < 0))
			return -1;
		free_field(base, k);
		*(char **)field = vz_xstrdup(value);
		return 0;
	case F_BOOL:
		return vz_parse_bool(value, field, err);
	case F_U32:
		return vz_parse_u32(value, k->min, k->max, field, err);
	case F_PAIR:
		return vz_parse_pair(value, k->unit, field, err);
	case F_SIZE64:
		return vz_parse_size(value, k->unit, field, err);
	case F_CPULIST:
		if (vz_parse_cpulist(value, err) < 0)
			return -1;
		free_field(base, k);
		*(char **)field = vz_xstrdup(value);
		return 0;
	case F_IPLIST:
	case F_WORDS: {
		char **v = NULL;
		if (k->type == F_IPLIST && parse_iplist(value, &v, err) < 0)
			return -1;
		if (k->type == F_WORDS)
			v = vz_split_words(value);
		free_field(base, k);
		*(char ***)field = v;
		return 0;
	}
	case F_NETIF: {
		struct vz_ct_conf *c = base;
		struct vz_netif *v;
		size_t n;
		if (vz_parse_netif(value, &v, &n, err) < 0)
			return -1;
		free_field(base, k);
		c->netif = v;
		c->n_netif = n;
		return 0;
	}
	}
	return vz_fail(err, VZ_SYSTEM_ERROR, "internal: unknown field type");
}

static const struct conf_key *find_key(const struct conf_key *table, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

/* Defaults first, then every key the file assigns; errors name file:line:key. */
static int apply_table(void *base, const struct conf_key *table, size_t n,
		       const struct vz_kvfile *kv, uint64_t *ret_mask, vz_error *err)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < n; i++) {
		const char *value = vz_kvfile_get(kv, table[i].key);
		const char *what = value ? value : table[i].def;

		if (!what)
			continue;
		if (apply_key(base, &table[i], what, err) < 0) {
			if (!value)
				return vz_error_wrap(err, "internal default of %s", table[i].key);
			return vz_error_wrap(err, "%s:%u: %s", kv->path,
					     vz_kvfile_lineno(kv, table[i].key), table[i].key);
		}
		if (value)
			mask |= 1ULL << i;
	}
	if (ret_mask)
		*ret_mask = mask;
	return 0;
}

static void free_table(void *base, const struct conf_key *table, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_field(base, &table[i]);
}

void vz_global_conf_free(struct vz_global_conf *g)
{
	if (!g)
		return;
	free_table(g, global_keys, VZ_ARRAY_SIZE(global_keys));
	vz_kvfile_free(g->kv);
	free(g->path);
	free(g);
}

static int global_from_kv(struct vz_kvfile *kv, struct vz_global_conf **ret, vz_error *err)
{
	struct vz_global_conf *g = vz_xcalloc(1, sizeof(*g));

	g->kv = kv;
	g->path = vz_xstrdup(kv->path);
	if (apply_table(g, global_keys, VZ_ARRAY_SIZE(global_keys), kv, NULL, err) < 0) {
		vz_global_conf_free(g);
		return -1;
	}
	if (!g->socket_path)
		g->socket_path = vz_strdup_printf("%s/vzd.sock", g->run_dir);
	*ret = g;
	return 0;
}

int vz_global_conf_parse(const char *path, const char *text, struct vz_global_conf **ret,
			 vz_error *err)
{
	struct vz_kvfile *kv;

	if (vz_kvfile_parse(path, text, &kv, err) < 0)
		return -1;
	return global_from_kv(kv, ret, err);
}

int vz_global_conf_load(const char *path, struct vz_global_conf **ret, vz_error *err)
{
	struct vz_kvfile *kv;

	if (!path || !*path)
		path = getenv(VZ_CONF_ENV);
	if (!path || !*path)
		path = VZ_DEFAULT_CONF;
	if (vz_kvfile_load(path, &kv, err) < 0) {
		if (err && err->errnum == ENOENT)
			err->code = VZ_NOCONFIG;
		return vz_error_wrap(err, "global configuration");
	}
	return global_from_kv(kv, ret, err);
}

char *vz_ct_conf_path(const struct vz_global_conf *g, const char *ctid)
{
	return vz_strdup_printf("%s/%s.conf", g->conf_dir, ctid);
}

char *vz_sample_conf_path(const struct vz_global_conf *g, const char *name)
{
	return vz_strdup_printf("%s/ve-%s.conf-sample", g->conf_dir, name);
}

char *vz_template_cache_dir(const struct vz_global_conf *g)
{
	return vz_strdup_printf("%s/cache", g->template_dir);
}

void vz_ct_conf_free(struct vz_ct_conf *c)
{
	if (!c)
		return;
	free_table(c, ct_keys, VZ_ARRAY_SIZE(ct_keys));
	vz_kvfile_free(c->kv);
	free(c->ctid);
	free(c->path);
	free(c->inherit_ve_root);
	free(c->inherit_ve_private);
	free(c);
}

static int check_ctid(const char *ctid, vz_error *err)
{
	if (!vz_ctid_valid(ctid))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "invalid CTID `%s`: expected a number from 1 to 2147483647", ctid);
	return 0;
}

/* VE_ROOT and VE_PRIVATE: the file's value or vz.conf's, with $VEID expanded. */
static void derive_ct_paths(struct vz_ct_conf *c)
{
	char *root = vz_expand_veid(c->ve_root ? c->ve_root : c->inherit_ve_root, c->ctid);
	char *priv = vz_expand_veid(c->ve_private ? c->ve_private : c->inherit_ve_private, c->ctid);

	free(c->ve_root);
	free(c->ve_private);
	c->ve_root = root;
	c->ve_private = priv;
}

/* LOCAL_UID or LOCAL_GID (@key, stored in @field).  The default is
 * USERNS_BASE + CTID * USERNS_SIZE, so every CTID has its own range without
 * any allocation state to keep consistent.  The range must fit in 32-bit
 * ids: a default that does not must be an error, not a silent 0, which
 * would map the container's root to the host's. */
static int derive_ct_id(struct vz_ct_conf *c, const char *key, uint32_t *field, vz_error *err)
{
	uint64_t bit = 1ULL << (size_t)(find_key(ct_keys, VZ_ARRAY_SIZE(ct_keys), key) - ct_keys);
	bool explicit = c->set_mask & bit;
	unsigned long long first, last;

	/* at most 2^31 * 2^32 + 2^32: no overflow in 64 bits */
	first = explicit ? *field : c->userns_base + strtoull(c->ctid, NULL, 10) * c->userns_size;
	last = first + c->userns_size - 1;
	if (last <= UINT32_MAX) {
		*field = (uint32_t)first;
		return 0;
	}
	if (c->privileged) /* no user namespace: no range to map */
		return 0;
	if (explicit) {
		/* a key just set has no line in the file as read */
		unsigned lineno = vz_kvfile_lineno(c->kv, key);
		char line[16] = "";
		if (lineno)
			snprintf(line, sizeof(line), ":%u", lineno);
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "%s%s: %s: ids %llu..%llu (USERNS_SIZE %u) go past 4294967295",
			       c->kv->path, line, key, first, last, c->userns_size);
	}
	return vz_fail(
	    err, VZ_INVALID_PARAMETER_VALUE,
	    "container %s: default %s range USERNS_BASE + CTID * USERNS_SIZE = %llu..%llu "
	    "goes past 4294967295; set %s in %s or lower USERNS_SIZE in vz.conf",
	    c->ctid, key, first, last, key, c->path);
}

/* (Re)build every typed field of @c from @c->kv, as a load does: table
 * values and defaults, expanded paths, id ranges.  @c's ctid, path, kv and
 * inherited values must be set.  All or nothing: on failure @c is unchanged. */
static int ct_derive(struct vz_ct_conf *c, vz_error *err)
{
	struct vz_ct_conf n = {
	    .ctid = c->ctid,
	    .path = c->path,
	    .kv = c->kv,
	    .inherit_ve_root = c->inherit_ve_root,
	    .inherit_ve_private = c->inherit_ve_private,
	    .userns_base = c->userns_base,
	    .userns_size = c->userns_size,
	};

	if (apply_table(&n, ct_keys, VZ_ARRAY_SIZE(ct_keys), n.kv, &n.set_mask, err) < 0 ||
	    derive_ct_id(&n, "LOCAL_UID", &n.local_uid, err) < 0 ||
	    derive_ct_id(&n, "LOCAL_GID", &n.local_gid, err) < 0) {
		free_table(&n, ct_keys, VZ_ARRAY_SIZE(ct_keys));
		return -1;
	}
	derive_ct_paths(&n);
	/* n borrowed everything that is not a table field: swap in place */
	free_table(c, ct_keys, VZ_ARRAY_SIZE(ct_keys));
	*c = n;
	return 0;
}

/* Takes @kv, also on failure. */
static int ct_from_kv(const struct vz_global_conf *g, const char *ctid, struct vz_kvfile *kv,
		      struct vz_ct_conf **ret, vz_error *err)
{
	struct vz_ct_conf *c = vz_xcalloc(1, sizeof(*c));

	c->kv = kv;
	c->ctid = vz_xstrdup(ctid);
	c->path = vz_xstrdup(kv->path);
	c->inherit_ve_root = vz_xstrdup(g->ve_root);
	c->inherit_ve_private = vz_xstrdup(g->ve_private);
	c->userns_base = g->userns_base;
	c->userns_size = g->userns_size;
	if (ct_derive(c, err) < 0) {
		vz_ct_conf_free(c);
		return -1;
	}
	*ret = c;
	return 0;
}

int vz_ct_conf_parse(const struct vz_global_conf *g, const char *ctid, const char *path,
		     const char *text, struct vz_ct_conf **ret, vz_error *err)
{
	struct vz_kvfile *kv;

	if (check_ctid(ctid, err) < 0)
		return -1;
	if (vz_kvfile_parse(path, text, &kv, err) < 0)
		return -1;
	return ct_from_kv(g, ctid, kv, ret, err);
}

int vz_ct_conf_load(const struct vz_global_conf *g, const char *ctid, struct vz_ct_conf **ret,
		    vz_error *err)
{
	cleanup_free char *path = NULL;
	struct vz_kvfile *kv;

	if (check_ctid(ctid, err) < 0)
		return -1;
	path = vz_ct_conf_path(g, ctid);
	if (vz_kvfile_load(path, &kv, err) < 0) {
		if (err && err->errnum == ENOENT)
			return vz_fail(err, VZ_CT_NOT_EXIST,
				       "container %s does not exist (no config file `%s`)", ctid,
				       path);
		return vz_error_wrap(err, "container %s", ctid);
	}
	if (ct_from_kv(g, ctid, kv, ret, err) < 0)
		return vz_error_wrap(err, "container %s", ctid);
	return 0;
}

bool vz_ct_conf_key_known(const char *key)
{
	return find_key(ct_keys, VZ_ARRAY_SIZE(ct_keys), key) != NULL;
}

/* Whether @value parses as @k's type, without touching any conf. */
static int check_value(const struct conf_key *k, const char *value, vz_error *err)
{
	struct vz_ct_conf scratch = {0};
	int r = apply_key(&scratch, k, value, err);

	free_table(&scratch, ct_keys, VZ_ARRAY_SIZE(ct_keys));
	return r;
}

int vz_ct_conf_set(struct vz_ct_conf *c, const char *key, const char *value, vz_error *err)
{
	const struct conf_key *k = find_key(ct_keys, VZ_ARRAY_SIZE(ct_keys), key);
	struct vz_kvfile *old;

	if (!k)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "unknown parameter %s", key);
	/* the file is line based: a newline would end the value early */
	if (value && strchr(value, '\n'))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "%s: the value must be a single line", key);
	if (value && check_value(k, value, err) < 0)
		return vz_error_wrap(err, "%s", key);
	/* Re-derive from the changed file, so that a removed key gets its
	 * default back, VE_ROOT is expanded and id ranges are re-checked; on
	 * failure the old file is put back. */
	old = vz_kvfile_dup(c->kv);
	vz_kvfile_set(c->kv, key, value);
	if (ct_derive(c, err) < 0) {
		vz_kvfile_free(c->kv);
		c->kv = old;
		return vz_error_wrap(err, "%s", key);
	}
	vz_kvfile_free(old);
	return 0;
}

int vz_ct_conf_save(const struct vz_ct_conf *c, vz_error *err)
{
	if (vz_kvfile_save(c->kv, c->path, err) < 0)
		return vz_error_wrap(err, "container %s: %s", c->ctid, c->path);
	return 0;
}
