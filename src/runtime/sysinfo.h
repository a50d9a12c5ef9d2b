/* sysinfo() virtualization through seccomp user notification (sysinfo.c). */
#ifndef VZ_RUNTIME_SYSINFO_H
#define VZ_RUNTIME_SYSINFO_H

#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"

/* Start the container's sysinfo helper (before its init); it ends with the
 * container.  Failure only means sysinfo() shows the host's figures. */
int ct_sysinfo_helper_start(const struct vz_global_conf *g, const char *ctid, pid_t *ret_pid,
			    vz_error *err);
/* vzd --sysinfo-helper ARGS...: the helper itself, after its exec (@argc,
 * @argv: what follows that option).  Returns only on bad arguments. */
VZ_EXPORT int vz_sysinfo_helper_main(int argc, char **argv);
/* A connection to the container's helper, made on the host side (before
 * entering the container's mount namespace); -1 if it does not run. */
int ct_sysinfo_connect(const struct vz_global_conf *g, const char *ctid);
/* In the process about to exec in the container: load the notify filter,
 * hand its listener over @sock (from ct_sysinfo_connect; -1: do nothing)
 * and close @sock.  Never fails loudly. */
void ct_sysinfo_install(int sock);

#endif
