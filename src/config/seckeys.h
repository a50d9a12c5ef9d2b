/* Security keys of CTID.conf: CAPABILITY, FEATURES and DEVICES.
 *
 * Pure parsing (names through libcap, no process state), shared by the
 * config tables (validation when a value is set) and the runtime (which
 * turns the parsed values into a bounding set, a seccomp profile selection
 * and device-cgroup rules). */
#ifndef VZ_SECKEYS_H
#define VZ_SECKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"

/* Capabilities dropped from every container's bounding set unless
 * CAPABILITY turns them on: each acts on host-global state (see the README's
 * security model).  A bit mask of CAP_* numbers. */
uint64_t vz_caps_default_drop(void);

/* CAPABILITY="NAME:on|off ...": NAME with or without CAP_, any case.  The
 * drop mask is the default one with each entry applied in order. */
int vz_caps_check(const char *value, vz_error *err);
int vz_caps_drop_mask(char *const *words, uint64_t *ret, vz_error *err);

/* FEATURES="NAME:on|off ...": switches the seccomp profile's
 * "unless_feature" rules off for known needs.  vz_features lists them. */
extern const char *const vz_features[];
int vz_features_check(const char *value, vz_error *err);
/* Whether @name is on in the parsed FEATURES words (last entry wins). */
bool vz_feature_on(char *const *words, const char *name);

/* One device-cgroup rule: type 'c', 'b' or 'a' (all), -1 for a `*` number. */
struct vz_dev_rule {
	char type;
	int64_t major, minor;
	unsigned access; /* VZ_DEV_READ | VZ_DEV_WRITE | VZ_DEV_MKNOD; 0 = none */
};
#define VZ_DEV_READ  1u
#define VZ_DEV_WRITE 2u
#define VZ_DEV_MKNOD 4u

/* The devices every container may use: null, zero, full, random, urandom,
 * tty, console, ptmx and the pty slaves. */
extern const struct vz_dev_rule vz_dev_default[];
extern const size_t vz_dev_default_n;

/* DEVICES="c:MAJOR:MINOR:r|w|rw|none b:..." (vzctl's --devices; MINOR may
 * be `*`, "all" stands for every device).  One entry per call. */
int vz_dev_rule_parse(const char *s, struct vz_dev_rule *ret, vz_error *err);
int vz_devices_check(const char *value, vz_error *err);

/* DEVNODES="NAME:r|w|rw|none ..." (vzctl's --devnodes): NAME is a path
 * below /dev without `..`.  Access as above. */
int vz_devnode_parse(const char *s, char *name, size_t name_size, unsigned *ret_access,
		     vz_error *err);
int vz_devnodes_check(const char *value, vz_error *err);

/* SECCOMP_PROFILE of a container: an absolute path, or NAME for
 * NAME.json in the directory of vz.conf's SECCOMP_PROFILE. */
int vz_seccomp_name_check(const char *value, vz_error *err);

/* CAPABILITY, FEATURES, DEVICES and DEVNODES are lists of NAME:VALUE
 * entries in which a new entry replaces the one with the same NAME (as
 * vzctl's --capability net_admin:off undoes net_admin:on). */
bool vz_keyed_list(const char *key);
bool vz_same_entry(const char *a, const char *b);

#endif
