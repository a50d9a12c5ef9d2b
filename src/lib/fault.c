/* Test-only fault injection (see fault.h). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fault.h"

/* Every step a test may kill vzd at, grouped by operation.  A new
 * vz_fault_point() gets its row here, so `vzd --list-faults` shows it. */
static const char *const names[] = {
    "create.after-intent",   /* CTID.conf.creating written, nothing else */
    "create.after-unpack",   /* template unpacked into VE_PRIVATE.partial */
    "create.after-private",  /* VE_PRIVATE renamed into place, no CTID.conf */
    "create.after-config",   /* CTID.conf written (committed), intent left */
    "start.after-marker",    /* CTID.running written, nothing mounted */
    "start.after-mount",     /* VE_ROOT mounted, no cgroup */
    "start.after-cgroup",    /* cgroups created, no init */
    "start.after-net",	     /* init cloned, network up and recorded, init held */
    "start.after-launch",    /* init running, reply not sent */
    "stop.after-halt",	     /* halt requested, maybe still running */
    "stop.after-kill",	     /* every process killed, cgroup and mount left */
    "stop.after-cgroup",     /* cgroup removed, VE_ROOT still mounted */
    "destroy.after-rename",  /* CTID.conf renamed to .destroyed, all files left */
    "destroy.after-private", /* private area removed, .destroyed left */
    "set.after-apply",	     /* live change applied, config not saved */
    "write.after-tmp",	     /* atomic write: temp file written, not renamed */
    "net.before-record",     /* interfaces, routes, rules added; CTID.net not written */
    NULL,
};

const char *const *vz_fault_names(void)
{
	return names;
}

void vz_fault_hit(const char *name)
{
	const char *want = getenv("VZ_FAULT");

	if (!want || strcmp(want, name) != 0)
		return;
	/* stderr is unbuffered: the test's log shows where the crash was. */
	fprintf(stderr, "vz: fault injection: killing pid %d at %s\n", (int)getpid(), name);
	kill(getpid(), SIGKILL);
	_exit(137);
}
