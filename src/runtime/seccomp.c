/* The seccomp profile: a JSON file compiled with libseccomp (see security.h).
 *
 * Format (etc/seccomp/default.json is the reference):
 *   default_action  "allow" (or "errno" with default_errno)
 *   arches          names libseccomp knows: "x86_64", "x86", "x32"
 *   syscalls[]      names[], action "errno" (errno: name or number) or
 *                   "allow", optional unless_feature (string or list) and
 *                   args[] of {index, op, value[, mask] | values} with op
 *                   eq ne lt le gt ge masked_eq not_in.
 * Actions that kill or trap are refused: a blocked call fails, and software
 * copes with a failing call, not with a dead init.  A name unknown on every
 * listed architecture is an error (a typo would silently allow the call);
 * one that exists only on some (stime on i386) applies where it exists. */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/security.h"

#define MAX_CUBES 512

static inline void seccomp_ctx_freep(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
	*c = NULL;
}
#define cleanup_seccomp __attribute__((cleanup(seccomp_ctx_freep)))

static void json_freep(json_t **j)
{
	json_decref(*j);
	*j = NULL;
}
#define cleanup_json __attribute__((cleanup(json_freep)))

/* Recursive trie walk, most significant bit first: @v (sorted, unique) all
 * share @datum under @mask; every branch holding none of them is a cube. */
static void cover(const uint32_t *v, size_t n, int bit, uint32_t mask, uint32_t datum,
		  uint32_t (*ret)[2], size_t max, size_t *count)
{
	uint32_t b;
	size_t zeros = 0;

	if (n == 0) {
		if (*count < max) {
			ret[*count][0] = mask;
			ret[*count][1] = datum;
		}
		(*count)++;
		return;
	}
	if (bit < 0)
		return;
	b = 1u << bit;
	while (zeros < n && !(v[zeros] & b))
		zeros++;
	cover(v, zeros, bit - 1, mask | b, datum, ret, max, count);
	cover(v + zeros, n - zeros, bit - 1, mask | b, datum | b, ret, max, count);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

size_t vz_seccomp_complement(const uint32_t *values, size_t n, uint32_t (*ret)[2], size_t max)
{
	cleanup_free uint32_t *v = vz_xcalloc(n ? n : 1, sizeof(*v));
	size_t u = 0, count = 0;

	memcpy(v, values, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || v[u - 1] != v[i])
			v[u++] = v[i];
	cover(v, u, 31, 0, 0, ret, max, &count);
	return count;
}

static const struct {
	const char *name;
	int value;
} errnos[] = {
    {"EPERM", EPERM},	{"ENOSYS", ENOSYS}, {"EACCES", EACCES},
    {"EINVAL", EINVAL}, {"ENOENT", ENOENT}, {"EOPNOTSUPP", EOPNOTSUPP},
};

static int parse_errno(const json_t *j, const char *where, int *ret, vz_error *err)
{
	if (json_is_integer(j) && json_integer_value(j) > 0 && json_integer_value(j) < 4096) {
		*ret = (int)json_integer_value(j);
		return 0;
	}
	for (size_t i = 0; json_is_string(j) && i < VZ_ARRAY_SIZE(errnos); i++)
		if (!strcmp(json_string_value(j), errnos[i].name)) {
			*ret = errnos[i].value;
			return 0;
		}
	return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
		       "%s: errno must be a number or one of EPERM, ENOSYS, EACCES, EINVAL, "
		       "ENOENT, EOPNOTSUPP",
		       where);
}

/* "errno" -> SCMP_ACT_ERRNO, "allow" -> SCMP_ACT_ALLOW; nothing else. */
static int parse_action(const json_t *o, const char *akey, const char *ekey, const char *where,
			uint32_t *ret, vz_error *err)
{
	const char *a = json_string_value(json_object_get(o, akey));
	int e = EPERM;

	if (a && !strcmp(a, "allow")) {
		*ret = SCMP_ACT_ALLOW;
		return 0;
	}
	if (!a || strcmp(a, "errno"))
		return vz_fail(
		    err, VZ_INVALID_PARAMETER_VALUE,
		    "%s: %s must be \"errno\" or \"allow\" (a blocked call fails, it never "
		    "kills the container)",
		    where, akey);
	if (json_object_get(o, ekey) && parse_errno(json_object_get(o, ekey), where, &e, err) < 0)
		return -1;
	*ret = SCMP_ACT_ERRNO(e);
	return 0;
}

static bool feature_lifts(const json_t *uf, char *const *features)
{
	size_t i;
	json_t *f;

	if (json_is_string(uf))
		return vz_feature_on(features, json_string_value(uf));
	json_array_foreach(uf, i, f)
	{
		if (json_is_string(f) && vz_feature_on(features, json_string_value(f)))
			return true;
	}
	return false;
}

static const struct {
	const char *name;
	enum scmp_compare op;
} ops[] = {
    {"eq", SCMP_CMP_EQ},
    {"ne", SCMP_CMP_NE},
    {"lt", SCMP_CMP_LT},
    {"le", SCMP_CMP_LE},
    {"gt", SCMP_CMP_GT},
    {"ge", SCMP_CMP_GE},
    {"masked_eq", SCMP_CMP_MASKED_EQ},
};

/* The comparisons of one rule.  A "not_in" comparison becomes cubes in
 * @notin (*ret_n_notin of them, its index in *ret_notin_arg). */
static int parse_args(const json_t *args, const char *where, struct scmp_arg_cmp *cmp,
		      unsigned *ret_n, uint32_t (*notin)[2], size_t *ret_n_notin,
		      unsigned *ret_notin_arg, vz_error *err)
{
	size_t i;
	json_t *a;

	*ret_n = 0;
	*ret_n_notin = 0;
	json_array_foreach(args, i, a)
	{
		json_int_t idx = json_integer_value(json_object_get(a, "index"));
		const char *op = json_string_value(json_object_get(a, "op"));
		size_t k;

		if (!json_is_integer(json_object_get(a, "index")) || idx < 0 || idx > 5 || !op)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "%s: args[%zu] needs an index 0..5 and an op", where, i);
		if (!strcmp(op, "not_in")) {
			json_t *vals = json_object_get(a, "values"), *v;
			uint32_t set[64];
			size_t j, n = json_array_size(vals);
			if (*ret_n_notin || n == 0 || n > VZ_ARRAY_SIZE(set))
				return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
					       "%s: one not_in per rule, with 1 to 64 values",
					       where);
			json_array_foreach(vals, j, v)
			{
				set[j] = (uint32_t)json_integer_value(v);
			}
			*ret_n_notin = vz_seccomp_complement(set, n, notin, MAX_CUBES);
			if (*ret_n_notin > MAX_CUBES)
				return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
					       "%s: not_in set needs too many rules", where);
			*ret_notin_arg = (unsigned)idx;
			continue;
		}
		for (k = 0; k < VZ_ARRAY_SIZE(ops) && strcmp(ops[k].name, op); k++)
			;
		if (k == VZ_ARRAY_SIZE(ops) || *ret_n >= 6)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "%s: unknown op `%s`",
				       where, op);
		cmp[*ret_n] = (struct scmp_arg_cmp){
		    .arg = (unsigned)idx,
		    .op = ops[k].op,
		    .datum_a = (scmp_datum_t)json_integer_value(
			json_object_get(a, ops[k].op == SCMP_CMP_MASKED_EQ ? "mask" : "value")),
		    .datum_b = (scmp_datum_t)json_integer_value(json_object_get(a, "value")),
		};
		(*ret_n)++;
	}
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, struct scmp_arg_cmp *cmp,
		    unsigned n, const uint32_t (*notin)[2], size_t n_notin, unsigned notin_arg)
{
	int r;

	if (!n_notin)
		return seccomp_rule_add_array(ctx, action, nr, n, cmp);
	for (size_t i = 0; i < n_notin; i++) {
		cmp[n] = (struct scmp_arg_cmp){.arg = notin_arg,
					       .op = SCMP_CMP_MASKED_EQ,
					       .datum_a = notin[i][0],
					       .datum_b = notin[i][1]};
		if ((r = seccomp_rule_add_array(ctx, action, nr, n + 1, cmp)) < 0)
			return r;
	}
	return 0;
}

static int add_entry(scmp_filter_ctx ctx, const json_t *e, size_t idx, uint32_t def_action,
		     char *const *features, vz_error *err)
{
	cleanup_free uint32_t(*notin)[2] = vz_xcalloc(MAX_CUBES, sizeof(*notin));
	struct scmp_arg_cmp cmp[7];
	char where[64];
	unsigned n_cmp, notin_arg = 0;
	size_t n_notin, i;
	uint32_t action;
	json_t *name;

	snprintf(where, sizeof(where), "syscalls[%zu]", idx);
	if (feature_lifts(json_object_get(e, "unless_feature"), features))
		return 0;
	if (parse_action(e, "action", "errno", where, &action, err) < 0 ||
	    parse_args(json_object_get(e, "args"), where, cmp, &n_cmp, notin, &n_notin, &notin_arg,
		       err) < 0)
		return -1;
	if (action == def_action)
		return 0; /* libseccomp refuses rules that repeat the default */
	if (!json_array_size(json_object_get(e, "names")))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "%s: no names", where);
	json_array_foreach(json_object_get(e, "names"), i, name)
	{
		const char *s = json_string_value(name);
		int nr = s ? seccomp_syscall_resolve_name(s) : __NR_SCMP_ERROR;
		int r;

		if (nr == __NR_SCMP_ERROR)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "%s: unknown system call `%s`", where,
				       s ? s : "(not a string)");
		r = add_rule(ctx, action, nr, cmp, n_cmp, (const uint32_t(*)[2])notin, n_notin,
			     notin_arg);
		if (r < 0)
			return vz_error_set(err, VZ_INVALID_PARAMETER_VALUE, -r,
					    "%s: rule for `%s`", where, s);
	}
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, const json_t *arches, vz_error *err)
{
	size_t i;
	json_t *a;

	json_array_foreach(arches, i, a)
	{
		const char *name = json_string_value(a);
		uint32_t token = name ? seccomp_arch_resolve_name(name) : 0;
		int r;

		if (!token)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "arches[%zu]: unknown `%s`",
				       i, name ? name : "(not a string)");
		r = seccomp_arch_add(ctx, token);
		if (r < 0 && r != -EEXIST)
			return vz_error_set(err, VZ_SYSTEM_ERROR, -r, "add architecture %s", name);
	}
	return 0;
}

static int compile(const json_t *root, char *const *features, scmp_filter_ctx *ret, vz_error *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = NULL;
	uint32_t def;
	size_t i;
	json_t *e;

	if (!json_is_object(root))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "not a JSON object");
	if (parse_action(root, "default_action", "default_errno", "profile", &def, err) < 0)
		return -1;
	ctx = seccomp_init(def);
	if (!ctx)
		return vz_fail(err, VZ_RESOURCE_ERROR, "seccomp_init failed");
	/* A call from an architecture the filter does not list fails with
	 * ENOSYS; libseccomp's default would kill.  no_new_privs is ours to set
	 * (libseccomp sets it by default). */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS)) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
		return vz_fail(err, VZ_SYSTEM_ERROR, "set seccomp filter attributes");
	if (add_arches(ctx, json_object_get(root, "arches"), err) < 0)
		return -1;
	json_array_foreach(json_object_get(root, "syscalls"), i, e)
	{
		if (add_entry(ctx, e, i, def, features, err) < 0)
			return -1;
	}
	*ret = steal_pointer(&ctx);
	return 0;
}

static int load_profile(const char *path, json_t **ret, vz_error *err)
{
	json_error_t jerr;

	if (access(path, R_OK) < 0)
		return vz_fail_errno(
		    err, VZ_INVALID_PARAMETER_VALUE,
		    "seccomp profile `%s` (containers never start unfiltered: install "
		    "etc/seccomp/default.json there or point SECCOMP_PROFILE at one)",
		    path);
	*ret = json_load_file(path, 0, &jerr);
	if (!*ret)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "seccomp profile `%s`:%d: %s", path,
			       jerr.line, jerr.text);
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "seccomp profile `%s`: not a JSON object", path);
	}
	return 0;
}

int vz_seccomp_compile(const char *path, char *const *features, scmp_filter_ctx *ret, vz_error *err)
{
	cleanup_json json_t *root = NULL;

	if (load_profile(path, &root, err) < 0)
		return -1;
	if (compile(root, features, ret, err) < 0)
		return vz_error_wrap(err, "seccomp profile `%s`", path);
	return 0;
}

int vz_seccomp_snapshot(const char *path, char *const *features, char **ret_text, vz_error *err)
{
	cleanup_json json_t *root = NULL;
	json_t *f = json_array();

	if (load_profile(path, &root, err) < 0) {
		json_decref(f);
		return -1;
	}
	for (char *const *w = features; w && *w; w++)
		json_array_append_new(f, json_string(*w));
	json_object_set_new(root, "vz_features", f);
	*ret_text = json_dumps(root, JSON_COMPACT);
	if (!*ret_text)
		return vz_fail(err, VZ_RESOURCE_ERROR, "seccomp profile `%s`: cannot serialize",
			       path);
	return 0;
}

int vz_seccomp_compile_snapshot(const char *text, scmp_filter_ctx *ret, vz_error *err)
{
	cleanup_json json_t *root = json_loads(text, 0, NULL);
	cleanup_strv char **features = NULL;
	json_t *f, *w;
	size_t i, n = 0;

	if (!json_is_object(root) || !json_is_array(f = json_object_get(root, "vz_features")))
		return vz_fail(err, VZ_SYSTEM_ERROR, "not a seccomp profile snapshot");
	features = vz_xcalloc(json_array_size(f) + 1, sizeof(char *));
	json_array_foreach(f, i, w)
	{
		if (json_is_string(w))
			features[n++] = vz_xstrdup(json_string_value(w));
	}
	return compile(root, features, ret, err);
}

char *vz_seccomp_profile_path(const struct vz_global_conf *g, const struct vz_ct_conf *c)
{
	cleanup_free char *dir = NULL;

	if (!c->seccomp_profile)
		return vz_xstrdup(g->seccomp_profile);
	if (c->seccomp_profile[0] == '/')
		return vz_xstrdup(c->seccomp_profile);
	dir = vz_xstrdup(g->seccomp_profile);
	return vz_strdup_printf("%s/%s.json", dirname(dir), c->seccomp_profile);
}

int vz_seccomp_export(scmp_filter_ctx ctx, struct sock_fprog *ret, vz_error *err)
{
	cleanup_close int fd = memfd_create("vz-seccomp-bpf", MFD_CLOEXEC);
	struct stat st;
	void *buf;
	int r;

	if (fd < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "memfd for the seccomp filter");
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return vz_error_set(err, VZ_SYSTEM_ERROR, -r, "generate the seccomp filter");
	if (fstat(fd, &st) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "seccomp filter size");
	if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return vz_fail(err, VZ_SYSTEM_ERROR, "seccomp filter of %lld bytes",
			       (long long)st.st_size);
	buf = vz_xcalloc(1, (size_t)st.st_size);
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "read the seccomp filter back");
	}
	*ret = (struct sock_fprog){.len = (unsigned short)(st.st_size / sizeof(struct sock_filter)),
				   .filter = buf};
	return 0;
}

int vz_seccomp_load_prog(const struct sock_fprog *prog, unsigned flags)
{
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
}
