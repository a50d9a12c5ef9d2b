/* Confinement beyond namespaces: the capability bounding set, no_new_privs,
 * the seccomp filter and the device filter of a container.
 *
 * The parent (a vzd thread) prepares everything that reads files or can
 * fail on bad input; the container's init and every exec'd or entered
 * process apply the same set right before exec, so that nothing run in a
 * container is stronger than its init. */
#ifndef VZ_SECURITY_H
#define VZ_SECURITY_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "config/seckeys.h"
#include "lib/error.h"
#include "runtime/seccomp-bpf.h"

/* Compile the JSON seccomp profile at @path (format in etc/seccomp/
 * default.json and the README) into a filter for x86_64, i386 and x32 whose
 * blocked calls fail with an errno, never kill.  Rules whose
 * "unless_feature" is on in @features are left out. */
int vz_seccomp_compile(const char *path, char *const *features, scmp_filter_ctx *ret,
		       vz_error *err);

/* The profile at @path with @features as one JSON text (the features in
 * "vz_features"): kept while a container runs, so that exec and enter
 * compile the very filter its init got, whatever changed since. */
int vz_seccomp_snapshot(const char *path, char *const *features, char **ret_text, vz_error *err);
int vz_seccomp_compile_snapshot(const char *text, scmp_filter_ctx *ret, vz_error *err);

/* Cover [0, 2^32) minus @values (n of them) with (x & mask) == datum cubes,
 * the only set test libseccomp can express with one comparison per
 * argument.  Writes at most @max pairs {mask, datum} to @ret and returns how
 * many there are in all.  Pure; for "not_in" rules. */
size_t vz_seccomp_complement(const uint32_t *values, size_t n, uint32_t (*ret)[2], size_t max);

/* The profile path a container uses: its SECCOMP_PROFILE (a path, or NAME
 * for NAME.json beside vz.conf's profile) or vz.conf's. */
char *vz_seccomp_profile_path(const struct vz_global_conf *g, const struct vz_ct_conf *c);

struct ct_security {
	uint64_t cap_drop; /* CAP_* bits removed from the bounding set */
	bool no_new_privs;
	/* The seccomp filter as BPF, generated in the parent: loading it in
	 * the forked child is one prctl, where seccomp_load() would allocate
	 * (lib/child.h).  Owned; .filter NULL without a filter. */
	struct sock_fprog prog;
};

/* The BPF program of @ctx into *@ret (ret->filter allocated; free it). */
int vz_seccomp_export(scmp_filter_ctx ctx, struct sock_fprog *ret, vz_error *err);
/* Load @prog into the calling process (async-signal-safe); @flags as for
 * seccomp(2) SECCOMP_SET_MODE_FILTER.  Returns what the system call
 * returns (a listener fd with SECCOMP_FILTER_FLAG_NEW_LISTENER), or -1. */
int vz_seccomp_load_prog(const struct sock_fprog *prog, unsigned flags);

/* Everything from the configs; no change to the calling process.  The
 * filter is compiled once, from the profile snapshot; *@ret_marker (caller
 * frees; may be NULL) gets the snapshot and the program for the running
 * marker (vz_seccomp_marker_pack), *@ret_marker_len its size. */
int ct_security_prepare(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			struct ct_security *ret, char **ret_marker, size_t *ret_marker_len,
			vz_error *err);
/* For exec and enter: the program stored in @marker, installed as is; if
 * it is missing or damaged, compiled from the marker's snapshot; if there
 * is none either (a restore writes an empty marker), from the config. */
int ct_security_prepare_exec(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			     const char *marker, struct ct_security *ret, vz_error *err);
/* In the container, as its root, right before exec. */
int ct_security_apply(const struct ct_security *s, vz_error *err);
/* For exec and enter: never more than the running init has, even when the
 * config changed since it started (its bounding set and no_new_privs are
 * read from /proc; @init_pidfd guards against pid reuse). */
int ct_security_bound_by(struct ct_security *s, pid_t init, int init_pidfd, vz_error *err);
void ct_security_release(struct ct_security *s);

/* The device rules of a container: the defaults, DEVICES, and for DEVNODES
 * the host nodes' numbers.  *@ret is allocated; caller frees. */
int ct_device_rules(const struct vz_ct_conf *c, struct vz_dev_rule **ret, size_t *ret_n,
		    vz_error *err);

/* Install those rules in the container's (created, still empty) cgroup. */
struct vz_cgroup;
int ct_apply_devices(const struct vz_ct_conf *c, struct vz_cgroup *cg, vz_error *err);

#endif
