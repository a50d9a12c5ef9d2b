/* Applying a container's confinement (see security.h): the capability
 * bounding set, no_new_privs, the seccomp filter, and the device rules the
 * cgroup backends enforce. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/cleanup.h"
#include "lib/syscalls.h"
#include "lib/util.h"
#include "cgroups/cgroup.h"
#include "runtime/seccomp-bpf.h"
#include "runtime/security.h"

/* libseccomp's work, done once per snapshot and vzd: the snapshot compiled
 * and exported as the BPF program every process of the container gets
 * (.filter NULL if the snapshot has no filter). */
static int program_from_snapshot(const char *snapshot, struct sock_fprog *ret, vz_error *err)
{
	scmp_filter_ctx ctx = NULL;
	int rc;

	if (vz_seccomp_cache_get(snapshot, ret))
		return 0;
	if (vz_seccomp_compile_snapshot(snapshot, &ctx, err) < 0)
		return -1;
	*ret = (struct sock_fprog){0};
	rc = ctx ? vz_seccomp_export(ctx, ret, err) : 0;
	if (ctx)
		seccomp_release(ctx);
	if (rc == 0)
		vz_seccomp_cache_put(snapshot, ret);
	return rc;
}

int ct_security_prepare(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			struct ct_security *ret, char **ret_marker, size_t *ret_marker_len,
			vz_error *err)
{
	cleanup_free char *profile = vz_seccomp_profile_path(g, c);
	cleanup_free char *snapshot = NULL;
	struct ct_security s = {.no_new_privs = c->no_new_privs};

	if (vz_caps_drop_mask(c->capability, &s.cap_drop, err) < 0)
		return vz_error_wrap(err, "CAPABILITY");
	if (vz_seccomp_snapshot(profile, c->features, &snapshot, err) < 0 ||
	    program_from_snapshot(snapshot, &s.prog, err) < 0)
		return vz_error_wrap(err, "seccomp profile `%s`", profile);
	if (ret_marker)
		*ret_marker = vz_seccomp_marker_pack(snapshot, &s.prog, ret_marker_len);
	*ret = s;
	return 0;
}

int ct_security_prepare_exec(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			     const char *marker, struct ct_security *ret, vz_error *err)
{
	cleanup_free char *text = NULL;
	struct ct_security s = {.no_new_privs = c->no_new_privs};
	size_t len = 0;

	if (vz_read_file(marker, 4 << 20, &text, &len, NULL) < 0 || !text[0])
		return ct_security_prepare(g, c, ret, NULL, NULL, err);
	if (vz_caps_drop_mask(c->capability, &s.cap_drop, err) < 0)
		return vz_error_wrap(err, "CAPABILITY");
	/* The program the init got; a marker without one (written by an older
	 * vz) or with a damaged one still has the snapshot it came from. */
	if (vz_seccomp_marker_unpack(text, len, &s.prog) < 0 &&
	    program_from_snapshot(text, &s.prog, err) < 0)
		return vz_error_wrap(err, "seccomp profile the container started with (`%s`)",
				     marker);
	*ret = s;
	return 0;
}

int ct_security_apply(const struct ct_security *s, vz_error *err)
{
	/* Bounding set first: dropping needs CAP_SETPCAP, which is still ours;
	 * the exec that follows recomputes the sets within the bound. */
	for (int cap = 0; cap < 64; cap++) {
		if (!(s->cap_drop & (1ULL << cap)))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return vz_fail_errno(err, VZ_SET_CAP,
					     "drop capability %d from the bounding set", cap);
	}
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return vz_fail_errno(err, VZ_SET_CAP, "set no_new_privs");
	/* Without no_new_privs this needs CAP_SYS_ADMIN in our user namespace,
	 * which container root has until the exec. */
	if (s->prog.filter && vz_seccomp_load_prog(&s->prog, 0) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "load the seccomp filter");
	return 0;
}

int ct_security_bound_by(struct ct_security *s, pid_t init, int init_pidfd, vz_error *err)
{
	cleanup_free char *text = NULL;
	char path[64];
	const char *p;
	unsigned long long bnd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)init);
	if (vz_read_file(path, 64 * 1024, &text, NULL, err) < 0)
		return vz_error_wrap(err, "capabilities of the container's init");
	/* The pid could have been reused between the read and now: the pidfd
	 * says whether it is still the same process. */
	if (vz_pidfd_send_signal(init_pidfd, 0, NULL, 0) < 0)
		return vz_fail(err, VZ_VE_NOT_RUNNING, "the container's init is gone");
	p = strstr(text, "\nCapBnd:");
	if (!p || sscanf(p + 8, "%llx", &bnd) != 1)
		return vz_fail(err, VZ_SYSTEM_ERROR, "no CapBnd in `%s`", path);
	s->cap_drop |= ~(uint64_t)bnd;
	p = strstr(text, "\nNoNewPrivs:");
	if (p && atoi(p + 12) == 1)
		s->no_new_privs = true;
	return 0;
}

void ct_security_release(struct ct_security *s)
{
	vz_bpf_prog_release(&s->prog);
}

static int devnode_rule(const char *entry, struct vz_dev_rule *ret, vz_error *err)
{
	char name[256], path[300];
	struct stat st;
	unsigned access;

	if (vz_devnode_parse(entry, name, sizeof(name), &access, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/dev/%s", name);
	if (stat(path, &st) < 0)
		return vz_fail_errno(err, VZ_INVALID_PARAMETER_VALUE, "DEVNODES: `%s`", path);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "DEVNODES: `%s` is not a device",
			       path);
	*ret = (struct vz_dev_rule){S_ISCHR(st.st_mode) ? 'c' : 'b', major(st.st_rdev),
				    minor(st.st_rdev), access};
	return 0;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

int ct_device_rules(const struct vz_ct_conf *c, struct vz_dev_rule **ret, size_t *ret_n,
		    vz_error *err)
{
	size_t n = vz_dev_default_n + strv_len(c->devices) + strv_len(c->devnodes), i = 0;
	cleanup_free struct vz_dev_rule *r = vz_xcalloc(n, sizeof(*r));

	for (; i < vz_dev_default_n; i++)
		r[i] = vz_dev_default[i];
	for (char **w = c->devices; w && *w; w++)
		if (vz_dev_rule_parse(*w, &r[i++], err) < 0)
			return vz_error_wrap(err, "DEVICES");
	for (char **w = c->devnodes; w && *w; w++)
		if (devnode_rule(*w, &r[i++], err) < 0)
			return -1;
	*ret = steal_pointer(&r);
	*ret_n = n;
	return 0;
}

int ct_apply_devices(const struct vz_ct_conf *c, struct vz_cgroup *cg, vz_error *err)
{
	cleanup_free struct vz_dev_rule *rules = NULL;
	size_t n;

	if (ct_device_rules(c, &rules, &n, err) < 0)
		return -1;
	return cg->ops->devices(cg, rules, n, err);
}
