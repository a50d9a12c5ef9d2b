/* The cgroup v2 device filter's program (see cgroup-v2-devices.c); exposed
 * for tests that load it into a real cgroup2 hierarchy. */
#ifndef VZ_CGROUP_V2_DEVICES_H
#define VZ_CGROUP_V2_DEVICES_H

#include <linux/bpf.h>
#include <stddef.h>

#include "cgroups/cgroup.h"
#include "config/seckeys.h"

/* Write the program allowing exactly @allow to @out (at most @max
 * instructions); returns its full length.  Pure. */
size_t vz_devices_bpf(const struct vz_dev_rule *allow, size_t n, struct bpf_insn *out, size_t max);
/* Load it; returns the program fd. */
int vz_devices_bpf_load(const struct vz_dev_rule *allow, size_t n, vz_error *err);
/* Attach @prog_fd to the cgroup directory @cgroup_fd as its device filter. */
int vz_devices_bpf_attach(int cgroup_fd, int prog_fd, vz_error *err);

#endif
