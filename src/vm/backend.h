/* Backends: what runs behind a CTID, a container or a QEMU virtual machine.
 *
 * vzd's handlers look the backend up from CTID.conf (VMTYPE) and call
 * through this table, so every command has one code path per kind and the
 * command-line interface stays the same for both. */
#ifndef VZ_BACKEND_H
#define VZ_BACKEND_H

#include "runtime/container.h"

struct vz_backend_ops {
	/* vzlist's TYPE column: "CT" or "VM". */
	const char *type;
	/* Start; VZ_VE_RUNNING if it runs. */
	int (*start)(const struct vz_global_conf *g, const char *ctid, vz_error *err);
	/* Stop gracefully (halt in the container; ACPI power button of the VM),
	 * wait up to the timeout, then force it; VZ_VE_NOT_RUNNING if down. */
	int (*stop)(const struct vz_global_conf *g, const char *ctid, const struct vz_stop_opts *o,
		    vz_error *err);
	/* Pause and continue every process (cgroup freezer) or vCPU (QMP
	 * stop/cont) in place. */
	int (*suspend)(const struct vz_global_conf *g, const char *ctid, vz_error *err);
	int (*resume)(const struct vz_global_conf *g, const char *ctid, vz_error *err);
	/* Run argv inside with the given stdio and wait for its exit code. */
	int (*exec)(const struct vz_global_conf *g, const char *ctid, char *const *argv,
		    const int stdio[3], int *ret_code, vz_error *err);
	/* A connection to the serial console (NULL: containers have none). */
	int (*console)(const struct vz_global_conf *g, const char *ctid, int *ret_fd,
		       vz_error *err);
};

VZ_EXPORT extern const struct vz_backend_ops vz_ct_backend;
VZ_EXPORT extern const struct vz_backend_ops vz_vm_backend;

/* The backend of @c. */
VZ_EXPORT const struct vz_backend_ops *vz_backend_of(const struct vz_ct_conf *c);
/* The backend of CTID @ctid; an unknown CTID gets the container backend, so
 * that its error ("container X does not exist") comes from there. */
VZ_EXPORT const struct vz_backend_ops *vz_backend_get(const struct vz_global_conf *g,
						      const char *ctid);

#endif
