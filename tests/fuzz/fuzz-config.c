/* libFuzzer target for the configuration parsers (src/config/).
 *
 * The input, as a NUL-terminated string, is fed to every parser a user's
 * text reaches: vz.conf, CTID.conf (against a fixed vz.conf), the raw
 * kvfile, barrier:limit pairs, NETIF and the other value parsers, and as the
 * value of each settable CTID.conf key.  Besides memory errors (ASan) and
 * undefined behaviour (UBSan), it checks invariants and aborts when one
 * breaks:
 *   - a parsed kvfile, formatted, parses to the same keys and values; so
 *     does it after every assignment is rewritten by vz_kvfile_set (which
 *     exercises quoting and escaping);
 *   - a pair that parses has barrier <= limit and its canonical form
 *     parses back to the same pair;
 *   - what vz_ct_conf_set accepts can be saved and loaded back, with the
 *     same value;
 *   - a failure always comes with an error code and message.
 * See README.md for how to build and run it. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "config/kvfile.h"
#include "config/values.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant broken: %s: ", #cond);                          \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Every key vz_ct_conf_set accepts. */
static const char *const ct_keys[] = {
    "VE_ROOT",	  "VE_PRIVATE", "OSTEMPLATE", "ONBOOT",	      "DISABLED",    "HOSTNAME",
    "IP_ADDRESS", "NETIF",	"NAMESERVER", "SEARCHDOMAIN", "DESCRIPTION", "CPUUNITS",
    "CPULIMIT",	  "CPUS",	"PHYSPAGES",  "SWAPPAGES",    "NUMPROC",     "DISKSPACE",
    "DISKINODES", "LOCAL_UID",	"LOCAL_GID",  "PRIVILEGED",
};

static const char base_ct[] = "# fixed CTID.conf the input is set into\n"
			      "ONBOOT=\"yes\"\n"
			      "PHYSPAGES=\"0:262144\"\n"
			      "NETIF=\"ifname=eth0,mac=00:16:3e:00:00:01\"\n"
			      "UNKNOWN_KEY=\"kept\"\n";

static struct vz_global_conf *fixed_global(void)
{
	static struct vz_global_conf *g;
	vz_error err = {0};

	if (!g &&
	    vz_global_conf_parse("fuzz-vz.conf", "VE_ROOT=\"/vz/root/$VEID\"\n", &g, &err) < 0) {
		fprintf(stderr, "fixed vz.conf refused: %s\n", err.msg);
		abort();
	}
	return g;
}

static void check_failure(const vz_error *err, const char *what)
{
	CHECK(err->code != 0, "%s failed without an error code", what);
	CHECK(err->msg[0] != '\0', "%s failed without a message", what);
}

/* @a and @b hold the same lines with the same keys and values. */
static void check_same_assignments(const struct vz_kvfile *a, const struct vz_kvfile *b,
				   const char *when)
{
	CHECK(a->n_lines == b->n_lines, "%s: %zu lines became %zu", when, a->n_lines, b->n_lines);
	for (size_t i = 0; i < a->n_lines; i++) {
		const struct vz_kv_line *x = &a->lines[i], *y = &b->lines[i];
		CHECK(!x->key == !y->key, "%s: line %zu: key presence changed", when, i + 1);
		if (!x->key)
			continue;
		CHECK(!strcmp(x->key, y->key), "%s: line %zu: key `%s` became `%s`", when, i + 1,
		      x->key, y->key);
		CHECK(!strcmp(x->value, y->value), "%s: line %zu: %s=`%s` became `%s`", when, i + 1,
		      x->key, x->value, y->value);
	}
}

/* Format @kv and parse the result: it must parse, to the same assignments. */
static void check_reparses(const struct vz_kvfile *kv, const char *when)
{
	cleanup_free char *text = vz_kvfile_format(kv);
	cleanup_kvfile struct vz_kvfile *back = NULL;
	vz_error err = {0};

	CHECK(vz_kvfile_parse(kv->path, text, &back, &err) == 0, "%s: formatted file refused: %s",
	      when, err.msg);
	check_same_assignments(kv, back, when);
}

static void fuzz_kvfile(const char *text)
{
	cleanup_kvfile struct vz_kvfile *kv = NULL;
	vz_error err = {0};

	if (vz_kvfile_parse("fuzz.conf", text, &kv, &err) < 0) {
		check_failure(&err, "vz_kvfile_parse");
		CHECK(strncmp(err.msg, "fuzz.conf:", 10) == 0, "message does not name the file: %s",
		      err.msg);
		return;
	}
	check_reparses(kv, "format");
	/* rewrite every assignment in vz's own quoting */
	for (size_t i = 0; i < kv->n_lines; i++) {
		struct vz_kv_line *l = &kv->lines[i];
		if (l->key) {
			cleanup_free char *key = vz_xstrdup(l->key);
			cleanup_free char *value = vz_xstrdup(vz_kvfile_get(kv, key));
			vz_kvfile_set(kv, key, value);
			CHECK(!strcmp(vz_kvfile_get(kv, key), value), "set %s changed its value",
			      key);
		}
	}
	check_reparses(kv, "set and format");
}

static void fuzz_global(const char *text)
{
	cleanup_global_conf struct vz_global_conf *g = NULL;
	vz_error err = {0};

	if (vz_global_conf_parse("fuzz-vz.conf", text, &g, &err) < 0) {
		check_failure(&err, "vz_global_conf_parse");
		return;
	}
	CHECK(g->socket_path && g->run_dir && g->conf_dir && g->ve_root, "vz.conf without a path");
	CHECK(g->conf_dir[0] == '/' && g->ve_root[0] == '/', "relative state root");
	CHECK(g->userns_size >= 1 && g->cgroup_version <= 2, "out of range value");
}

static void fuzz_ct(const char *text)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	vz_error err = {0};

	if (vz_ct_conf_parse(fixed_global(), "101", "fuzz/101.conf", text, &c, &err) < 0) {
		check_failure(&err, "vz_ct_conf_parse");
		return;
	}
	CHECK(c->ve_root && c->ve_root[0] == '/' && !strstr(c->ve_root, "$VEID"), "VE_ROOT `%s`",
	      c->ve_root ? c->ve_root : "(null)");
	CHECK(c->privileged || (uint64_t)c->local_uid + c->userns_size - 1 <= UINT32_MAX,
	      "uid range past 32 bits");
	CHECK(c->physpages.barrier <= c->physpages.limit, "PHYSPAGES barrier > limit");
	for (size_t i = 0; i < c->n_netif; i++)
		CHECK(c->netif[i].ifname != NULL, "NETIF entry %zu without ifname", i);
}

/* Whatever vz_ct_conf_set accepts must survive a save and a load. */
static void fuzz_ct_set(const char *text)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	vz_error err = {0};

	CHECK(vz_ct_conf_parse(fixed_global(), "101", "fuzz/101.conf", base_ct, &c, &err) == 0,
	      "base CTID.conf refused: %s", err.msg);
	for (size_t i = 0; i < sizeof(ct_keys) / sizeof(ct_keys[0]); i++) {
		cleanup_free char *before = vz_kvfile_format(c->kv);
		cleanup_free char *after = NULL;
		cleanup_ct_conf struct vz_ct_conf *back = NULL;

		CHECK(vz_ct_conf_key_known(ct_keys[i]), "%s not known", ct_keys[i]);
		if (vz_ct_conf_set(c, ct_keys[i], text, &err) < 0) {
			check_failure(&err, "vz_ct_conf_set");
			after = vz_kvfile_format(c->kv);
			CHECK(!strcmp(before, after), "refused set of %s changed the file",
			      ct_keys[i]);
			continue;
		}
		after = vz_kvfile_format(c->kv);
		CHECK(vz_ct_conf_parse(fixed_global(), "101", "fuzz/101.conf", after, &back,
				       &err) == 0,
		      "after set %s: saved file refused: %s", ct_keys[i], err.msg);
		CHECK(!strcmp(vz_kvfile_get(back->kv, ct_keys[i]), text), "set %s: value changed",
		      ct_keys[i]);
		CHECK(!strcmp(vz_kvfile_get(back->kv, "UNKNOWN_KEY"), "kept"), "unknown key lost");
	}
}

static void fuzz_values(const char *text)
{
	static const enum vz_size_unit units[] = {VZ_UNIT_BYTES, VZ_UNIT_KB, VZ_UNIT_PAGES,
						  VZ_UNIT_COUNT};
	vz_error err = {0};
	struct vz_netif *nif = NULL;
	size_t n = 0;
	uint64_t size;
	uint32_t u32;
	bool b;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		struct vz_pair p, back;
		cleanup_free char *canon = NULL;

		if (vz_parse_pair(text, units[i], &p, &err) < 0) {
			check_failure(&err, "vz_parse_pair");
			continue;
		}
		CHECK(p.barrier <= p.limit, "`%s`: barrier > limit", text);
		/* the canonical form is in the unit already: parse it back as is */
		canon = vz_format_pair(&p);
		CHECK(vz_parse_pair(canon, units[i], &back, &err) == 0, "`%s` -> `%s` refused: %s",
		      text, canon, err.msg);
		CHECK(back.barrier == p.barrier && back.limit == p.limit, "`%s` -> `%s` changed",
		      text, canon);
	}
	if (vz_parse_netif(text, &nif, &n, &err) == 0) {
		for (size_t i = 0; i < n; i++) {
			CHECK(nif[i].ifname && *nif[i].ifname && strlen(nif[i].ifname) < 16,
			      "bad ifname accepted");
			CHECK(!nif[i].mac || vz_parse_mac(nif[i].mac, NULL) == 0,
			      "bad mac accepted");
			CHECK(!nif[i].host_mac || vz_parse_mac(nif[i].host_mac, NULL) == 0,
			      "bad host_mac accepted");
		}
		vz_netif_free(nif, n);
	} else {
		check_failure(&err, "vz_parse_netif");
	}
	(void)vz_parse_size(text, VZ_UNIT_PAGES, &size, NULL);
	(void)vz_parse_u32(text, 0, UINT32_MAX, &u32, NULL);
	(void)vz_parse_bool(text, &b, NULL);
	(void)vz_parse_ip(text, NULL);
	(void)vz_parse_hostname(text, NULL);
	(void)vz_parse_path(text, NULL);
	(void)vz_parse_mac(text, NULL);
	{
		cleanup_free char *expanded = vz_expand_veid(text, "2147483647");
		cleanup_strv char **words = vz_split_words(text);
		(void)expanded;
		(void)words;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cleanup_free char *text = vz_xcalloc(1, size + 1);

	memcpy(text, data, size);
	fuzz_kvfile(text);
	fuzz_global(text);
	fuzz_ct(text);
	fuzz_ct_set(text);
	fuzz_values(text);
	return 0;
}
