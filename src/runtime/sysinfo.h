/* sysinfo() virtualization through seccomp user notification (sysinfo.c). */
#ifndef VZ_RUNTIME_SYSINFO_H
#define VZ_RUNTIME_SYSINFO_H

#include <stdbool.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"

/* A connection to the instance's sysinfo helper for container @ctid, made
 * on the host side (before entering the container's mount namespace).
 * For the container's init (@init), the helper is started if none runs.
 * -1 if there is none (VIRT_SYSINFO=no, or it cannot start): sysinfo()
 * then shows the host's figures. */
int ct_sysinfo_connect(const struct vz_global_conf *g, const char *ctid, bool init);
/* In the process about to exec in the container: load the notify filter,
 * hand its listener over @sock (from ct_sysinfo_connect; -1: do nothing)
 * and close @sock.  Never fails loudly. */
void ct_sysinfo_install(int sock);
/* vzd --sysinfo-helper PATH CGROUP_ROOT CGROUP_PARENT CGROUP_VERSION: the
 * instance's helper itself, after its exec, with its listening socket on
 * fd 3 (@argc, @argv: what follows that option).  Returns only on bad
 * arguments or when it cannot set up. */
VZ_EXPORT int vz_sysinfo_helper_main(int argc, char **argv);

#endif
