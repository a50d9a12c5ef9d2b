/* Test-only fault injection: kill the process at a named step.
 *
 * `VZ_FAULT=NAME` in vzd's environment makes the first vz_fault_point(NAME)
 * that runs send SIGKILL to the whole process, as a crash or an OOM kill
 * would, between two steps of a multi-step operation.  The crash tests
 * (tests/reliability/crash.sh) use it to check that vzd, restarted, finds
 * every container fully there or fully gone.  Never set it in production.
 * `vzd --list-faults` prints every known name; a name missing from the
 * table in fault.c is a programming error the tests catch. */
#ifndef VZ_FAULT_H
#define VZ_FAULT_H

#include "lib/error.h"

/* One line at each step; costs a getenv when VZ_FAULT is not set. */
#define vz_fault_point(name) vz_fault_hit(name)

VZ_EXPORT void vz_fault_hit(const char *name);

/* The NULL-terminated list of step names, in operation order. */
VZ_EXPORT const char *const *vz_fault_names(void);

#endif
