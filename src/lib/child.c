/* Child processes and their exit statuses (see child.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "child.h"
#include "cleanup.h"

struct child_slot {
	pid_t pid;
	bool done;
	int status;
	struct child_slot *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static struct child_slot *slots;
static bool reaper_running;
static unsigned reap_count; /* children reaped so far */
static struct rlimit nofile_orig; /* before vz_child_raise_nofile(), if it raised */
static bool nofile_raised;

static struct child_slot *slot_find(pid_t pid)
{
	for (struct child_slot *s = slots; s; s = s->next)
		if (s->pid == pid)
			return s;
	return NULL;
}

static void slot_remove(struct child_slot *victim)
{
	for (struct child_slot **p = &slots; *p; p = &(*p)->next) {
		if (*p == victim) {
			*p = victim->next;
			free(victim);
			return;
		}
	}
}

static int siginfo_to_status(const siginfo_t *si)
{
	switch (si->si_code) {
	case CLD_EXITED:
		return (si->si_status & 0xff) << 8;
	case CLD_KILLED:
		return si->si_status & 0x7f;
	case CLD_DUMPED:
		return (si->si_status & 0x7f) | 0x80;
	default:
		return 0;
	}
}

static void reap_all(void)
{
	for (;;) {
		siginfo_t si;
		struct child_slot *s;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
			return;
		pthread_mutex_lock(&lock);
		s = slot_find(si.si_pid);
		/* Unregistered children are orphaned container inits: reaping them
		 * is all there is to do; the monitor sees their pidfd close, a
		 * stop waits for the count (vz_child_reap_wait). */
		if (s) {
			s->done = true;
			s->status = siginfo_to_status(&si);
		}
		reap_count++;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&lock);
	}
}

static void *reaper_main(void *arg)
{
	sigset_t chld;

	(void)arg;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		reap_all();
		sigwaitinfo(&chld, NULL);
	}
	return NULL;
}

int vz_child_reaper_start(void)
{
	sigset_t chld;
	pthread_t tid;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (pthread_sigmask(SIG_BLOCK, &chld, NULL) < 0)
		return -1;
	reaper_running = true;
	if (pthread_create(&tid, NULL, reaper_main, NULL) != 0) {
		reaper_running = false;
		return -1;
	}
	pthread_detach(tid);
	return 0;
}

void vz_child_exec_failed(const char *prog)
{
	const char *why = vz_strerror(errno);
	struct iovec v[] = {
	    {.iov_base = (void *)"exec `", .iov_len = 6},
	    {.iov_base = (void *)prog, .iov_len = strlen(prog)},
	    {.iov_base = (void *)"`: ", .iov_len = 3},
	    {.iov_base = (void *)why, .iov_len = strlen(why)},
	    {.iov_base = (void *)"\n", .iov_len = 1},
	};

	(void)!writev(2, v, VZ_ARRAY_SIZE(v));
	_exit(127);
}

void vz_child_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	nofile_orig = rl;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile_raised = true;
}

/* In a new child (single-threaded): no reaper and a fresh registry. */
static void child_reset(void)
{
	sigset_t none;

	sigemptyset(&none);
	/* A blocked signal mask survives exec: children start unblocked. */
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	/* Ignored signals survive exec: give children the default back (vzd
	 * ignores SIGPIPE; started in the background of a shell it ignores
	 * SIGINT and SIGQUIT too, and neither a container's init nor a
	 * session's Ctrl-C may inherit that). */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	/* The descriptor limit vzd raised for itself is not the children's. */
	if (nofile_raised)
		setrlimit(RLIMIT_NOFILE, &nofile_orig);
	reaper_running = false;
	slots = NULL;
	pthread_mutex_init(&lock, NULL);
	pthread_cond_init(&changed, NULL);
}

pid_t vz_child_fork_unwaited(void)
{
	pid_t pid = fork();

	if (pid == 0)
		child_reset();
	return pid;
}

pid_t vz_child_fork(void)
{
	struct child_slot *s = calloc(1, sizeof(*s));
	pid_t pid;

	if (!s)
		return -1;
	pthread_mutex_lock(&lock);
	pid = fork();
	if (pid == 0) {
		child_reset();
		/* @s is not freed: free() could wait for an allocator lock
		 * that another thread held at the fork (see child.h). */
		return 0;
	}
	if (pid < 0) {
		int saved = errno;
		pthread_mutex_unlock(&lock);
		free(s);
		errno = saved;
		return -1;
	}
	s->pid = pid;
	s->next = slots;
	slots = s;
	pthread_mutex_unlock(&lock);
	return pid;
}

/* The CLOCK_REALTIME time @ms from now, for pthread_cond_timedwait. */
static struct timespec deadline_in(int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static int wait_direct(pid_t pid, int *ret_status, int timeout_ms)
{
	int status, waited = 0;

	for (;;) {
		pid_t r = waitpid(pid, &status, timeout_ms < 0 ? 0 : WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0) {
			if (waited >= timeout_ms) {
				errno = ETIMEDOUT;
				return -1;
			}
			usleep(10000);
			waited += 10;
		}
	}
	if (ret_status)
		*ret_status = status;
	return 0;
}

int vz_child_wait(pid_t pid, int *ret_status, int timeout_ms)
{
	struct child_slot *s;
	struct timespec deadline;
	int rc = 0;

	if (!reaper_running)
		return wait_direct(pid, ret_status, timeout_ms);
	if (timeout_ms >= 0)
		deadline = deadline_in(timeout_ms);
	pthread_mutex_lock(&lock);
	s = slot_find(pid);
	if (!s) {
		pthread_mutex_unlock(&lock);
		errno = ECHILD;
		return -1;
	}
	while (!s->done && rc == 0) {
		if (timeout_ms < 0)
			rc = pthread_cond_wait(&changed, &lock);
		else
			rc = pthread_cond_timedwait(&changed, &lock, &deadline);
	}
	if (!s->done) {
		pthread_mutex_unlock(&lock);
		errno = ETIMEDOUT;
		return -1;
	}
	if (ret_status)
		*ret_status = s->status;
	slot_remove(s);
	pthread_mutex_unlock(&lock);
	return 0;
}

unsigned vz_child_reap_count(void)
{
	unsigned n;

	pthread_mutex_lock(&lock);
	n = reap_count;
	pthread_mutex_unlock(&lock);
	return n;
}

void vz_child_reap_wait(unsigned seen, int timeout_ms)
{
	struct timespec deadline;
	int rc = 0;

	if (!reaper_running) {
		usleep((useconds_t)timeout_ms * 1000);
		return;
	}
	deadline = deadline_in(timeout_ms);
	pthread_mutex_lock(&lock);
	while (reap_count == seen && rc == 0)
		rc = pthread_cond_timedwait(&changed, &lock, &deadline);
	pthread_mutex_unlock(&lock);
}

int vz_child_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}
