/* Typed vz.conf and CTID.conf (src/config/conf.c).
 *
 * What a user cares about: every path and limit vz uses has a sane value
 * even when vz.conf is nearly empty; a bad value is reported with its file,
 * line and key; `vzctl set` refuses typos and bad values without touching
 * the file, and keeps the file's comments when it does change it; every
 * container gets its own user id range. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/conf.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define CT_SENTINEL ((struct vz_ct_conf *)(uintptr_t)0x1)
#define G_SENTINEL  ((struct vz_global_conf *)(uintptr_t)0x1)

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("\"%s\" should contain \"%s\"", haystack, needle);
}

static struct vz_global_conf *global_ok(const char *text)
{
	struct vz_global_conf *g = NULL;
	vz_error err = {0};

	if (vz_global_conf_parse("/etc/vz/vz.conf", text, &g, &err) != 0)
		fail_msg("vz.conf refused: %s\n%s", err.msg, text);
	return g;
}

static void global_bad(const char *text, const char *where, const char *key, const char *value)
{
	struct vz_global_conf *g = G_SENTINEL;
	vz_error err = {0};

	if (vz_global_conf_parse("/etc/vz/vz.conf", text, &g, &err) != -1)
		fail_msg("vz.conf accepted:\n%s", text);
	assert_true(g == G_SENTINEL);
	assert_int_equal(err.code, VZ_INVALID_PARAMETER_VALUE);
	assert_contains(err.msg, where);
	assert_contains(err.msg, key);
	assert_contains(err.msg, value);
}

static struct vz_ct_conf *ct_ok(const struct vz_global_conf *g, const char *ctid, const char *text)
{
	struct vz_ct_conf *c = NULL;
	vz_error err = {0};

	if (vz_ct_conf_parse(g, ctid, "/etc/vz/conf/test.conf", text, &c, &err) != 0)
		fail_msg("CTID.conf refused: %s\n%s", err.msg, text);
	return c;
}

static void ct_bad(const struct vz_global_conf *g, const char *ctid, const char *text, int code,
		   const char *needle)
{
	struct vz_ct_conf *c = CT_SENTINEL;
	vz_error err = {0};

	if (vz_ct_conf_parse(g, ctid, "/etc/vz/conf/test.conf", text, &c, &err) != -1)
		fail_msg("CTID.conf for %s accepted:\n%s", ctid, text);
	assert_true(c == CT_SENTINEL);
	assert_int_equal(err.code, code);
	assert_contains(err.msg, needle);
}

/* ---- vz.conf ------------------------------------------------------------- */

/* An empty vz.conf still yields a complete state root. */
static void test_global_defaults(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("# nothing set\n");
	cleanup_free char *ctp = NULL, *sample = NULL, *cache = NULL;

	(void)state;
	assert_string_equal(g->path, "/etc/vz/vz.conf");
	assert_string_equal(g->conf_dir, "/etc/vz/conf");
	assert_string_equal(g->ve_root, "/vz/root/$VEID");
	assert_string_equal(g->ve_private, "/vz/private/$VEID");
	assert_string_equal(g->template_dir, "/vz/template");
	assert_string_equal(g->dump_dir, "/vz/dump");
	assert_string_equal(g->lock_dir, "/vz/lock");
	assert_string_equal(g->run_dir, "/run/vz");
	assert_string_equal(g->socket_path, "/run/vz/vzd.sock");
	assert_string_equal(g->cgroup_root, "/sys/fs/cgroup");
	assert_string_equal(g->cgroup_parent, "vz");
	assert_int_equal(g->cgroup_version, 0);
	assert_string_equal(g->def_ostemplate, "busybox");
	assert_string_equal(g->configfile, "basic");
	assert_int_equal(g->userns_base, 100000);
	assert_int_equal(g->userns_size, 65536);
	assert_int_equal(g->stop_timeout, 60);
	assert_int_equal(g->lock_timeout, 60);
	assert_string_equal(g->bridge, "vzbr0");

	ctp = vz_ct_conf_path(g, "101");
	sample = vz_sample_conf_path(g, "basic");
	cache = vz_template_cache_dir(g);
	assert_string_equal(ctp, "/etc/vz/conf/101.conf");
	assert_string_equal(sample, "/etc/vz/conf/ve-basic.conf-sample");
	assert_string_equal(cache, "/vz/template/cache");
}

/* The socket follows VZ_RUN_DIR unless VZD_SOCKET says otherwise. */
static void test_global_socket_follows_run_dir(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("VZ_RUN_DIR=\"/tmp/vzrun\"\n");
	cleanup_global_conf struct vz_global_conf *g2 =
	    global_ok("VZ_RUN_DIR=\"/tmp/vzrun\"\nVZD_SOCKET=\"/srv/vzd.sock\"\n");

	(void)state;
	assert_string_equal(g->run_dir, "/tmp/vzrun");
	assert_string_equal(g->socket_path, "/tmp/vzrun/vzd.sock");
	assert_string_equal(g2->socket_path, "/srv/vzd.sock");
}

static void test_global_values_and_unknown_keys(void **state)
{
	cleanup_global_conf struct vz_global_conf *g =
	    global_ok("# vz.conf\n"
		      "VE_ROOT=\"/data/root/$VEID\"\n"
		      "CONF_DIR=/srv/vz/conf\n"
		      "CGROUP_VERSION=2\n"
		      "USERNS_BASE=200000\n"
		      "USERNS_SIZE=1000\n"
		      "STOP_TIMEOUT=5\n"
		      "VZ_TOOLS_BCID=2 # a vzctl key vz does not use\n");

	(void)state;
	assert_string_equal(g->ve_root, "/data/root/$VEID");
	assert_string_equal(g->conf_dir, "/srv/vz/conf");
	assert_int_equal(g->cgroup_version, 2);
	assert_int_equal(g->userns_base, 200000);
	assert_int_equal(g->userns_size, 1000);
	assert_int_equal(g->stop_timeout, 5);
	/* an unknown key is not an error, and it is kept */
	assert_string_equal(vz_kvfile_get(g->kv, "VZ_TOOLS_BCID"), "2");
}

/* A bad value is reported as FILE:LINE: KEY: what is wrong. */
static void test_global_bad_value_names_file_line_key(void **state)
{
	(void)state;
	global_bad("# vz.conf\nVZ_RUN_DIR=/run/vz\nSTOP_TIMEOUT=abc\n",
		   "/etc/vz/vz.conf:3: STOP_TIMEOUT", "STOP_TIMEOUT", "`abc`");
	global_bad("TEMPLATE=vz/template\n", "/etc/vz/vz.conf:1: TEMPLATE", "TEMPLATE",
		   "vz/template");
	global_bad("\n\nCGROUP_VERSION=3\n", "/etc/vz/vz.conf:3: CGROUP_VERSION", "CGROUP_VERSION",
		   "out of range 0..2");
	global_bad("USERNS_SIZE=0\n", "/etc/vz/vz.conf:1: USERNS_SIZE", "USERNS_SIZE",
		   "out of range");
	global_bad("VE_ROOT=/vz/../etc/$VEID\n", "/etc/vz/vz.conf:1: VE_ROOT", "VE_ROOT", "`..`");
	global_bad("CGROUP_PARENT=a/b\n", "/etc/vz/vz.conf:1: CGROUP_PARENT", "CGROUP_PARENT",
		   "`a/b`");
	global_bad("VZ_BRIDGE=\"br 0\"\n", "/etc/vz/vz.conf:1: VZ_BRIDGE", "VZ_BRIDGE",
		   "`br 0` is not a valid interface name");
	global_bad("VZ_BRIDGE=averylongbridgename\n", "/etc/vz/vz.conf:1: VZ_BRIDGE", "VZ_BRIDGE",
		   "not a valid interface name");
	/* the last assignment counts, and is the line reported */
	global_bad("LOCK_TIMEOUT=1\n#\nLOCK_TIMEOUT=100000\n", "/etc/vz/vz.conf:3: LOCK_TIMEOUT",
		   "LOCK_TIMEOUT", "100000");
}

static void test_global_syntax_error(void **state)
{
	struct vz_global_conf *g = G_SENTINEL;
	vz_error err = {0};

	(void)state;
	assert_int_equal(vz_global_conf_parse("/etc/vz/vz.conf", "A=1\nVE_ROOT=\"/x\n", &g, &err),
			 -1);
	assert_true(g == G_SENTINEL);
	assert_int_equal(err.code, VZ_INVALID_PARAMETER_SYNTAX);
	assert_contains(err.msg, "/etc/vz/vz.conf:2:");
}

/* ---- files: a temporary state root ---------------------------------------- */

struct fixture {
	char dir[64];
	char *vzconf;
	struct vz_global_conf *g;
};

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
	char *buf = NULL;
	vz_error err = {0};

	if (vz_read_file(path, 1 << 20, &buf, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return buf;
}

static int setup_root(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	cleanup_free char *text = NULL;
	vz_error err = {0};

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test-conf.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->vzconf = vz_strdup_printf("%s/vz.conf", f->dir);
	text = vz_strdup_printf("# test state root\nCONF_DIR=\"%s\"\nVE_ROOT=\"%s/root/$VEID\"\n",
				f->dir, f->dir);
	write_text(f->vzconf, text);
	if (vz_global_conf_load(f->vzconf, &f->g, &err) < 0) {
		fprintf(stderr, "# %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown_root(void **state)
{
	struct fixture *f = *state;

	vz_global_conf_free(f->g);
	vz_rm_rf(f->dir, NULL);
	free(f->vzconf);
	free(f);
	return 0;
}

static char *write_ct(const struct fixture *f, const char *ctid, const char *text)
{
	char *path = vz_ct_conf_path(f->g, ctid);
	write_text(path, text);
	return path;
}

static void test_global_load(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *root = vz_strdup_printf("%s/root/$VEID", f->dir);
	cleanup_global_conf struct vz_global_conf *from_env = NULL;
	vz_error err = {0};

	assert_string_equal(f->g->path, f->vzconf);
	assert_string_equal(f->g->conf_dir, f->dir);
	assert_string_equal(f->g->ve_root, root);

	/* with no path, $VZ_CONF names the file */
	assert_int_equal(setenv(VZ_CONF_ENV, f->vzconf, 1), 0);
	assert_int_equal(vz_global_conf_load(NULL, &from_env, &err), 0);
	unsetenv(VZ_CONF_ENV);
	assert_string_equal(from_env->path, f->vzconf);
	assert_string_equal(from_env->conf_dir, f->dir);
}

/* No vz.conf at all is its own exit status, and the message names it. */
static void test_global_load_missing(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = vz_strdup_printf("%s/nope/vz.conf", f->dir);
	struct vz_global_conf *g = G_SENTINEL;
	vz_error err = {0};

	assert_int_equal(vz_global_conf_load(path, &g, &err), -1);
	assert_true(g == G_SENTINEL);
	assert_int_equal(err.code, VZ_NOCONFIG);
	assert_int_equal(err.errnum, ENOENT);
	assert_contains(err.msg, path);
}

/* ---- CTID.conf ------------------------------------------------------------ */

static void test_ct_defaults(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_ct_conf struct vz_ct_conf *c = ct_ok(g, "101", "# empty\n");

	(void)state;
	assert_string_equal(c->ctid, "101");
	assert_string_equal(c->path, "/etc/vz/conf/test.conf");
	assert_string_equal(c->ve_root, "/vz/root/101");
	assert_string_equal(c->ve_private, "/vz/private/101");
	assert_false(c->onboot);
	assert_false(c->disabled);
	assert_false(c->privileged);
	assert_null(c->hostname);
	assert_null(c->ostemplate);
	assert_int_equal(c->n_netif, 0);
	assert_int_equal(c->cpuunits, 1000);
	assert_int_equal(c->cpulimit, 0);
	assert_int_equal(c->cpus, 0);
	assert_true(c->physpages.barrier == VZ_UNLIMITED && c->physpages.limit == VZ_UNLIMITED);
	assert_true(c->swappages.barrier == 0 && c->swappages.limit == 0);
	assert_true(c->numproc.limit == VZ_UNLIMITED);
	assert_true(c->diskspace.limit == VZ_UNLIMITED);
	assert_true(c->diskinodes.limit == VZ_UNLIMITED);
	assert_int_equal(c->set_mask, 0);
}

static void test_ct_typed_values(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_ct_conf struct vz_ct_conf *c =
	    ct_ok(g, "101",
		  "ONBOOT=\"yes\"\n"
		  "OSTEMPLATE=\"debian-12-x86_64\"\n"
		  "HOSTNAME=\"ct101.example.com\"\n"
		  "IP_ADDRESS=\"10.0.0.101/24 fd00::101\"\n"
		  "NETIF=\"ifname=eth0,mac=00:16:3e:00:01:01,bridge=vzbr0\"\n"
		  "NAMESERVER=\"8.8.8.8 1.1.1.1\"\n"
		  "DESCRIPTION=\"my \\\"test\\\" box\"\n"
		  "CPUUNITS=\"2000\"\n"
		  "PHYSPAGES=\"0:1G\"\n"
		  "SWAPPAGES=\"512M\"\n"
		  "NUMPROC=\"100:200\"\n"
		  "DISKSPACE=\"10G:11G\"\n");

	(void)state;
	assert_true(c->onboot);
	assert_string_equal(c->ostemplate, "debian-12-x86_64");
	assert_string_equal(c->hostname, "ct101.example.com");
	assert_string_equal(c->ip_address[0], "10.0.0.101/24");
	assert_string_equal(c->ip_address[1], "fd00::101");
	assert_null(c->ip_address[2]);
	assert_int_equal(c->n_netif, 1);
	assert_string_equal(c->netif[0].ifname, "eth0");
	assert_string_equal(c->netif[0].bridge, "vzbr0");
	assert_string_equal(c->nameserver[1], "1.1.1.1");
	assert_string_equal(c->description, "my \"test\" box");
	assert_int_equal(c->cpuunits, 2000);
	assert_int_equal(c->physpages.barrier, 0);
	assert_int_equal(c->physpages.limit, 262144);
	assert_int_equal(c->swappages.barrier, 131072);
	assert_int_equal(c->swappages.limit, 131072);
	assert_int_equal(c->numproc.barrier, 100);
	assert_int_equal(c->numproc.limit, 200);
	assert_int_equal(c->diskspace.barrier, 10485760);
	assert_int_equal(c->diskspace.limit, 11534336);
}

/* VE_ROOT/VE_PRIVATE: the file's template or vz.conf's, with $VEID expanded. */
static void test_ct_ve_root_expansion(void **state)
{
	/* USERNS_SIZE=1 so that the largest CTID has a default id range */
	cleanup_global_conf struct vz_global_conf *g = global_ok(
	    "VE_ROOT=\"/g/root/${VEID}\"\nVE_PRIVATE=\"/g/private/$VEID\"\nUSERNS_SIZE=1\n");
	cleanup_ct_conf struct vz_ct_conf *own =
	    ct_ok(g, "101", "VE_ROOT=\"/data/$VEID/root\"\nVE_PRIVATE=\"/data/${VEID}/private\"\n");
	cleanup_ct_conf struct vz_ct_conf *inherited = ct_ok(g, "2147483647", "");

	(void)state;
	assert_string_equal(own->ve_root, "/data/101/root");
	assert_string_equal(own->ve_private, "/data/101/private");
	/* the file keeps the template */
	assert_string_equal(vz_kvfile_get(own->kv, "VE_ROOT"), "/data/$VEID/root");
	assert_string_equal(inherited->ve_root, "/g/root/2147483647");
	assert_string_equal(inherited->ve_private, "/g/private/2147483647");
}

/* Without LOCAL_UID, each CTID gets USERNS_BASE + CTID * USERNS_SIZE, so
 * ranges of different containers never overlap. */
static void test_ct_default_local_uid(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_global_conf struct vz_global_conf *small =
	    global_ok("USERNS_BASE=200000\nUSERNS_SIZE=1000\n");
	cleanup_ct_conf struct vz_ct_conf *c101 = ct_ok(g, "101", "");
	cleanup_ct_conf struct vz_ct_conf *c102 = ct_ok(g, "102", "");
	cleanup_ct_conf struct vz_ct_conf *s = ct_ok(small, "101", "");
	/* the largest CTID whose default range still fits in 32-bit ids */
	cleanup_ct_conf struct vz_ct_conf *last = ct_ok(g, "65533", "");

	(void)state;
	assert_int_equal(c101->local_uid, 100000 + 101 * 65536);
	assert_int_equal(c101->local_gid, 100000 + 101 * 65536);
	assert_int_equal(c102->local_uid, c101->local_uid + 65536);
	assert_int_equal(s->local_uid, 200000 + 101 * 1000);
	assert_int_equal(s->local_gid, 200000 + 101 * 1000);
	assert_int_equal(last->local_uid, 100000ULL + 65533ULL * 65536ULL);
}

static void test_ct_explicit_local_uid_kept(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_ct_conf struct vz_ct_conf *c = ct_ok(g, "101", "LOCAL_UID=\"5000000\"\n");
	cleanup_ct_conf struct vz_ct_conf *both =
	    ct_ok(g, "101", "LOCAL_UID=\"5000000\"\nLOCAL_GID=\"6000000\"\n");

	(void)state;
	assert_int_equal(c->local_uid, 5000000);
	/* the other one still takes the default */
	assert_int_equal(c->local_gid, 100000 + 101 * 65536);
	assert_int_equal(both->local_uid, 5000000);
	assert_int_equal(both->local_gid, 6000000);
}

/* A CTID whose default range does not fit in 32-bit ids must not silently
 * get id 0: that would make the container's root the host's root. */
static void test_ct_default_range_overflow_refused(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_ct_conf struct vz_ct_conf *expl = NULL, *priv = NULL;

	(void)state;
	ct_bad(g, "65534", "", VZ_INVALID_PARAMETER_VALUE, "LOCAL_UID");
	ct_bad(g, "2147483647", "ONBOOT=yes\n", VZ_INVALID_PARAMETER_VALUE, "2147483647");
	ct_bad(g, "70000", "LOCAL_UID=5000000\n", VZ_INVALID_PARAMETER_VALUE, "LOCAL_GID");
	/* an explicit range must fit as well */
	ct_bad(g, "101", "LOCAL_UID=4294967295\n", VZ_INVALID_PARAMETER_VALUE,
	       "/etc/vz/conf/test.conf:1: LOCAL_UID");
	ct_bad(g, "101", "LOCAL_GID=4294901761\n", VZ_INVALID_PARAMETER_VALUE, "LOCAL_GID");
	/* explicit ids make any CTID usable */
	expl = ct_ok(g, "70000", "LOCAL_UID=5000000\nLOCAL_GID=5000000\n");
	assert_int_equal(expl->local_uid, 5000000);
	assert_int_equal(expl->local_gid, 5000000);
	/* the last range that fits exactly */
	vz_ct_conf_free(expl);
	expl = ct_ok(g, "101", "LOCAL_UID=4294901760\nLOCAL_GID=4294901760\n");
	assert_int_equal(expl->local_uid, 4294901760U);
	/* a privileged container has no user namespace, so no range is needed */
	priv = ct_ok(g, "70000", "PRIVILEGED=yes\n");
	assert_true(priv->privileged);
}

/* A bad value is reported as FILE:LINE: KEY: what is wrong. */
static void test_ct_bad_value_names_file_line_key(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");

	(void)state;
	ct_bad(g, "101", "# c\nONBOOT=\"maybe\"\n", VZ_INVALID_PARAMETER_VALUE,
	       "/etc/vz/conf/test.conf:2: ONBOOT: `maybe` is not yes or no");
	ct_bad(g, "101", "\n\n\nPHYSPAGES=\"2G:1G\"\n", VZ_INVALID_PARAMETER_VALUE,
	       "/etc/vz/conf/test.conf:4: PHYSPAGES");
	ct_bad(g, "101", "HOSTNAME=\"-bad\"\n", VZ_INVALID_PARAMETER_VALUE,
	       "/etc/vz/conf/test.conf:1: HOSTNAME");
	ct_bad(g, "101", "IP_ADDRESS=\"10.0.0.1 10.0.0.300\"\n", VZ_INVALID_PARAMETER_VALUE,
	       "/etc/vz/conf/test.conf:1: IP_ADDRESS: `10.0.0.300`");
	ct_bad(g, "101", "NETIF=\"ifname=eth0,mac=01:00:5e:00:00:01\"\n",
	       VZ_INVALID_PARAMETER_VALUE, "/etc/vz/conf/test.conf:1: NETIF");
	ct_bad(g, "101", "CPUUNITS=\"7\"\n", VZ_INVALID_PARAMETER_VALUE,
	       "/etc/vz/conf/test.conf:1: CPUUNITS");
	ct_bad(g, "101", "OSTEMPLATE=\"../../etc\"\n", VZ_INVALID_PARAMETER_VALUE, "OSTEMPLATE");
	ct_bad(g, "101", "A=1\nB=\"x\" y\n", VZ_INVALID_PARAMETER_SYNTAX,
	       "/etc/vz/conf/test.conf:2:");
}

/* A CTID.conf may carry keys vz does not know: they are kept, not refused. */
static void test_ct_unknown_keys_kept(void **state)
{
	const char *text = "# from vzctl\nORIGIN_SAMPLE=\"vswap-256m\"\nONBOOT=\"yes\"\n";
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_ct_conf struct vz_ct_conf *c = ct_ok(g, "101", text);
	cleanup_free char *out = vz_kvfile_format(c->kv);

	(void)state;
	assert_string_equal(vz_kvfile_get(c->kv, "ORIGIN_SAMPLE"), "vswap-256m");
	assert_string_equal(out, text);
	assert_true(vz_ct_conf_key_known("ONBOOT"));
	assert_true(vz_ct_conf_key_known("PHYSPAGES"));
	assert_false(vz_ct_conf_key_known("ORIGIN_SAMPLE"));
	assert_false(vz_ct_conf_key_known("onboot"));
	assert_false(vz_ct_conf_key_known(""));
}

static void test_ct_invalid_ctid_refused_by_parse(void **state)
{
	const char *bad[] = {"0", "abc", "0101", "2147483648", "", "-1", "1 ", "+1", "99999999999"};
	cleanup_global_conf struct vz_global_conf *g = global_ok("");

	(void)state;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		cleanup_free char *quoted = vz_strdup_printf("`%s`", bad[i]);
		ct_bad(g, bad[i], "", VZ_INVALID_PARAMETER_VALUE, quoted);
	}
	assert_true(vz_ctid_valid("1"));
	assert_true(vz_ctid_valid("2147483647"));
}

/* ---- vz_ct_conf_set -------------------------------------------------------- */

static const char ct_text[] = "# CT 101, hand edited\n"
			      "ONBOOT=\"yes\"\n"
			      "\n"
			      "# resources\n"
			      "CPUUNITS=\"1000\"   # default\n"
			      "PHYSPAGES=\"0:262144\"\n"
			      "MY_NOTE=\"kept\"\n";

/* Setting @key to @value fails with @code and a message containing @needle,
 * and neither the file text nor the typed struct change. */
static void set_refused(struct vz_ct_conf *c, const char *key, const char *value, int code,
			const char *needle)
{
	cleanup_free char *before = vz_kvfile_format(c->kv);
	cleanup_free char *after = NULL;
	uint32_t cpuunits = c->cpuunits;
	struct vz_pair phys = c->physpages;
	vz_error err = {0};

	if (vz_ct_conf_set(c, key, value, &err) != -1)
		fail_msg("vz_ct_conf_set(%s, \"%s\") accepted", key, value ? value : "(null)");
	assert_int_equal(err.code, code);
	assert_contains(err.msg, needle);
	after = vz_kvfile_format(c->kv);
	assert_string_equal(after, before);
	assert_int_equal(c->cpuunits, cpuunits);
	assert_true(c->physpages.barrier == phys.barrier && c->physpages.limit == phys.limit);
}

static void set_ok(struct vz_ct_conf *c, const char *key, const char *value)
{
	vz_error err = {0};

	if (vz_ct_conf_set(c, key, value, &err) != 0)
		fail_msg("vz_ct_conf_set(%s, \"%s\") failed: %s", key, value ? value : "(null)",
			 err.msg);
}

static void test_set_refuses_unknown_key(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_ct_conf struct vz_ct_conf *c = ct_ok(g, "101", ct_text);

	(void)state;
	set_refused(c, "CPUUNIS", "2000", VZ_INVALID_PARAMETER_SYNTAX, "CPUUNIS");
	set_refused(c, "cpuunits", "2000", VZ_INVALID_PARAMETER_SYNTAX, "cpuunits");
	/* known in the file but not to vz: kept there, still not settable */
	set_refused(c, "MY_NOTE", "x", VZ_INVALID_PARAMETER_SYNTAX, "MY_NOTE");
	set_refused(c, "MY_NOTE", NULL, VZ_INVALID_PARAMETER_SYNTAX, "MY_NOTE");
}

static void test_set_refuses_invalid_value(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_ct_conf struct vz_ct_conf *c = ct_ok(g, "101", ct_text);

	(void)state;
	set_refused(c, "CPUUNITS", "abc", VZ_INVALID_PARAMETER_VALUE, "CPUUNITS: `abc`");
	set_refused(c, "CPUUNITS", "7", VZ_INVALID_PARAMETER_VALUE, "CPUUNITS");
	set_refused(c, "PHYSPAGES", "2:1", VZ_INVALID_PARAMETER_VALUE, "PHYSPAGES");
	set_refused(c, "PHYSPAGES", "1:2:3", VZ_INVALID_PARAMETER_VALUE, "PHYSPAGES");
	set_refused(c, "HOSTNAME", "bad_name", VZ_INVALID_PARAMETER_VALUE, "HOSTNAME");
	set_refused(c, "IP_ADDRESS", "10.0.0.1 bogus", VZ_INVALID_PARAMETER_VALUE, "`bogus`");
	set_refused(c, "NETIF", "ifname=eth0,mac=01:00:5e:00:00:01", VZ_INVALID_PARAMETER_VALUE,
		    "multicast");
	set_refused(c, "VE_ROOT", "relative/$VEID", VZ_INVALID_PARAMETER_VALUE, "VE_ROOT");
	set_refused(c, "ONBOOT", "maybe", VZ_INVALID_PARAMETER_VALUE, "ONBOOT");
	set_refused(c, "LOCAL_UID", "4294967295", VZ_INVALID_PARAMETER_VALUE, "LOCAL_UID");
	/* a value on two lines could not be read back from the file */
	set_refused(c, "DESCRIPTION", "two\nlines", VZ_INVALID_PARAMETER_VALUE, "DESCRIPTION");
	assert_true(c->onboot);
	assert_null(c->hostname);
	assert_null(c->description);
	assert_string_equal(c->ve_root, "/vz/root/101");
}

/* A successful set changes the typed field and only its line of the file;
 * comments, blank lines and unknown keys stay. */
static void test_set_keeps_comments(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("");
	cleanup_ct_conf struct vz_ct_conf *c = ct_ok(g, "101", ct_text);
	cleanup_free char *out = NULL;

	(void)state;
	set_ok(c, "CPUUNITS", "2000");
	set_ok(c, "HOSTNAME", "ct101.example.com");
	set_ok(c, "DESCRIPTION", "say \"hi\" for $5");
	set_ok(c, "PHYSPAGES", "1G");
	assert_int_equal(c->cpuunits, 2000);
	assert_string_equal(c->hostname, "ct101.example.com");
	assert_string_equal(c->description, "say \"hi\" for $5");
	assert_int_equal(c->physpages.barrier, 262144);
	assert_int_equal(c->physpages.limit, 262144);
	out = vz_kvfile_format(c->kv);
	assert_string_equal(out, "# CT 101, hand edited\n"
				 "ONBOOT=\"yes\"\n"
				 "\n"
				 "# resources\n"
				 "CPUUNITS=\"2000\"\n"
				 "PHYSPAGES=\"1G\"\n"
				 "MY_NOTE=\"kept\"\n"
				 "HOSTNAME=\"ct101.example.com\"\n"
				 "DESCRIPTION=\"say \\\"hi\\\" for \\$5\"\n");
}

/* Derived fields follow a set: VE_ROOT is expanded, LOCAL_UID recomputed. */
static void test_set_rederives(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("VE_ROOT=/g/$VEID\n");
	cleanup_ct_conf struct vz_ct_conf *c = ct_ok(g, "101", ct_text);

	(void)state;
	set_ok(c, "VE_ROOT", "/data/$VEID/root");
	assert_string_equal(c->ve_root, "/data/101/root");
	assert_string_equal(vz_kvfile_get(c->kv, "VE_ROOT"), "/data/$VEID/root");
	set_ok(c, "LOCAL_UID", "5000000");
	assert_int_equal(c->local_uid, 5000000);
	assert_int_equal(c->local_gid, 100000 + 101 * 65536);
}

/* Removing a key (NULL) brings back the default, not the last value. */
static void test_set_null_restores_default(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = global_ok("VE_ROOT=/g/$VEID\n");
	cleanup_ct_conf struct vz_ct_conf *c = ct_ok(g, "101", ct_text);
	cleanup_free char *out = NULL;

	(void)state;
	set_ok(c, "CPUUNITS", "5000");
	set_ok(c, "VE_ROOT", "/data/$VEID");
	set_ok(c, "LOCAL_UID", "5000000");
	set_ok(c, "HOSTNAME", "h");

	set_ok(c, "CPUUNITS", NULL);
	set_ok(c, "VE_ROOT", NULL);
	set_ok(c, "LOCAL_UID", NULL);
	set_ok(c, "HOSTNAME", NULL);
	set_ok(c, "ONBOOT", NULL);
	assert_int_equal(c->cpuunits, 1000);
	assert_string_equal(c->ve_root, "/g/101");
	assert_int_equal(c->local_uid, 100000 + 101 * 65536);
	assert_null(c->hostname);
	assert_false(c->onboot);
	out = vz_kvfile_format(c->kv);
	assert_string_equal(out, "# CT 101, hand edited\n"
				 "\n"
				 "# resources\n"
				 "PHYSPAGES=\"0:262144\"\n"
				 "MY_NOTE=\"kept\"\n");
	/* removing a key that is not there is fine */
	set_ok(c, "CPUUNITS", NULL);
}

/* set, save, load again: what was saved is what is read. */
static void test_set_save_load(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = write_ct(f, "101", ct_text);
	cleanup_ct_conf struct vz_ct_conf *c = NULL, *back = NULL;
	cleanup_free char *saved = NULL, *formatted = NULL;
	cleanup_free char *root = vz_strdup_printf("%s/root/101", f->dir);
	vz_error err = {0};

	assert_int_equal(vz_ct_conf_load(f->g, "101", &c, &err), 0);
	assert_string_equal(c->path, path);
	assert_string_equal(c->ve_root, root);
	set_ok(c, "CPUUNITS", "3000");
	set_ok(c, "IP_ADDRESS", "10.1.1.1 10.1.1.2");
	assert_int_equal(vz_ct_conf_save(c, &err), 0);

	saved = read_text(path);
	formatted = vz_kvfile_format(c->kv);
	assert_string_equal(saved, formatted);
	assert_non_null(strstr(saved, "# CT 101, hand edited\n"));
	assert_non_null(strstr(saved, "MY_NOTE=\"kept\"\n"));

	assert_int_equal(vz_ct_conf_load(f->g, "101", &back, &err), 0);
	assert_int_equal(back->cpuunits, 3000);
	assert_string_equal(back->ip_address[1], "10.1.1.2");
	assert_true(back->onboot);
}

/* An unknown CTID is "container does not exist", exit status 14. */
static void test_load_missing_ct(void **state)
{
	struct fixture *f = *state;
	struct vz_ct_conf *c = CT_SENTINEL;
	vz_error err = {0};

	assert_int_equal(vz_ct_conf_load(f->g, "4242", &c, &err), -1);
	assert_true(c == CT_SENTINEL);
	assert_int_equal(err.code, VZ_CT_NOT_EXIST);
	assert_int_equal(err.code, 14);
	assert_contains(err.msg, "4242");
	assert_contains(err.msg, "does not exist");
}

static void test_load_invalid_ctid(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"0", "abc", "0101", "2147483648", "", "../101", "101/../../x"};

	for (size_t i = 0; i < VZ_ARRAY_SIZE(bad); i++) {
		struct vz_ct_conf *c = CT_SENTINEL;
		vz_error err = {0};
		cleanup_free char *quoted = vz_strdup_printf("`%s`", bad[i]);

		if (vz_ct_conf_load(f->g, bad[i], &c, &err) != -1)
			fail_msg("CTID \"%s\" accepted", bad[i]);
		assert_true(c == CT_SENTINEL);
		assert_int_equal(err.code, VZ_INVALID_PARAMETER_VALUE);
		assert_contains(err.msg, quoted);
		assert_contains(err.msg, "invalid CTID");
	}
}

/* A broken CTID.conf names the container and the file, line and key. */
static void test_load_bad_ct_file(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = write_ct(f, "102", "# c\nCPUUNITS=\"lots\"\n");
	cleanup_free char *where = vz_strdup_printf("%s:2: CPUUNITS", path);
	struct vz_ct_conf *c = CT_SENTINEL;
	vz_error err = {0};

	assert_int_equal(vz_ct_conf_load(f->g, "102", &c, &err), -1);
	assert_true(c == CT_SENTINEL);
	assert_int_equal(err.code, VZ_INVALID_PARAMETER_VALUE);
	assert_contains(err.msg, "container 102");
	assert_contains(err.msg, where);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_global_defaults),
	    cmocka_unit_test(test_global_socket_follows_run_dir),
	    cmocka_unit_test(test_global_values_and_unknown_keys),
	    cmocka_unit_test(test_global_bad_value_names_file_line_key),
	    cmocka_unit_test(test_global_syntax_error),
	    cmocka_unit_test_setup_teardown(test_global_load, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_global_load_missing, setup_root, teardown_root),
	    cmocka_unit_test(test_ct_defaults),
	    cmocka_unit_test(test_ct_typed_values),
	    cmocka_unit_test(test_ct_ve_root_expansion),
	    cmocka_unit_test(test_ct_default_local_uid),
	    cmocka_unit_test(test_ct_explicit_local_uid_kept),
	    cmocka_unit_test(test_ct_default_range_overflow_refused),
	    cmocka_unit_test(test_ct_bad_value_names_file_line_key),
	    cmocka_unit_test(test_ct_unknown_keys_kept),
	    cmocka_unit_test(test_ct_invalid_ctid_refused_by_parse),
	    cmocka_unit_test(test_set_refuses_unknown_key),
	    cmocka_unit_test(test_set_refuses_invalid_value),
	    cmocka_unit_test(test_set_keeps_comments),
	    cmocka_unit_test(test_set_rederives),
	    cmocka_unit_test(test_set_null_restores_default),
	    cmocka_unit_test_setup_teardown(test_set_save_load, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_load_missing_ct, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_load_invalid_ctid, setup_root, teardown_root),
	    cmocka_unit_test_setup_teardown(test_load_bad_ct_file, setup_root, teardown_root),
	};

	return cmocka_run_group_tests_name("config conf", tests, NULL, NULL);
}
