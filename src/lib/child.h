/* Child processes and their exit statuses.
 *
 * vzd is a child subreaper: container inits are cloned by a short-lived
 * launcher and reparent to vzd, so vzd must reap them (PID 1 of some hosts,
 * such as the build machines, never reaps orphans).  One reaper thread owns
 * waitid(); a thread that forks registers the pid under a lock held across
 * fork(), so the reaper can never reap a child before its waiter is known.
 * Without vz_child_reaper_start() (the CLI, tests, a forked helper) waits
 * fall back to plain waitpid(). */
#ifndef VZ_CHILD_H
#define VZ_CHILD_H

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

/* Start the reaper thread; blocks SIGCHLD in the calling thread, which must
 * be the main thread before any other thread exists. */
VZ_EXPORT int vz_child_reaper_start(void);

/* Raise the soft RLIMIT_NOFILE to the hard limit: a daemon holds a
 * descriptor per running container (1024 is too few for a dense host).
 * Children forked with vz_child_fork*() get the original limit back. */
VZ_EXPORT void vz_child_raise_nofile(void);
/* fork() that registers the child for vz_child_wait().  Returns 0 in the
 * child (signals unblocked, reaper state reset), the pid in the parent, -1
 * on failure with errno set. */
VZ_EXPORT pid_t vz_child_fork(void);

/* vz_child_fork() for a child nobody will vz_child_wait() for (a helper
 * that outlives the request that started it): not registered, so nothing
 * stays behind when it ends; the reaper reaps it like an orphaned init. */
VZ_EXPORT pid_t vz_child_fork_unwaited(void);

/* Between vz_child_fork() and exec or _exit, the child of threaded vzd may
 * only make async-signal-safe calls: another thread may have held the
 * allocator's or any library's lock at the fork, and the child's copy of
 * that lock stays taken forever (ASan's allocator does not reset its lock
 * in the child at all).  So such a child allocates nothing and takes no
 * lock: paths, buffers, descriptors and filters are made before the fork
 * (vz_cgroup_join_open, ct_security_prepare), the child only makes system
 * calls, formats into fixed buffers (vz_error) and reports with write().
 * Work that needs more than that execs a program first. */

/* In a forked child whose execve/execv of @prog failed: say so on stderr
 * (async-signal-safe) and _exit(127). */
VZ_EXPORT void __attribute__((noreturn)) vz_child_exec_failed(const char *prog);

/* Wait for a child forked by vz_child_fork(); fills the wait(2)-style status.
 * @timeout_ms < 0 waits forever; returns -1 with errno=ETIMEDOUT on timeout. */
VZ_EXPORT int vz_child_wait(pid_t pid, int *ret_status, int timeout_ms);

/* How many children the reaper has reaped so far (registered or not). */
VZ_EXPORT unsigned vz_child_reap_count(void);

/* Wait until the reaper reaped another child after vz_child_reap_count()
 * returned @seen, or @timeout_ms passed (a plain sleep without a reaper):
 * for a thread that waits for an orphaned init to leave the process table. */
VZ_EXPORT void vz_child_reap_wait(unsigned seen, int timeout_ms);

/* Turn a wait status into a shell-style exit code (128+signal if killed). */
VZ_EXPORT int vz_child_exit_code(int status);

#endif
