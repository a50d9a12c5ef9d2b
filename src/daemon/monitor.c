/* The container monitor: notices containers whose init ended on its own
 * (halt inside, a crash) and releases what their start set up.
 *
 * One thread waits on the inits' pidfds with epoll.  Cleanup takes the
 * container lock, so it never races a stop or start in progress, and it is
 * idempotent, so a stop that already cleaned up leaves it nothing to do. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "daemon/server.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/container.h"

struct watch {
	char ctid[16];
	int pidfd;
	struct watch *prev, *next;
};

static int epfd = -1;
/* Every watch is also on this list: epoll holds the pointers, but the
 * containers outlive vzd, so at exit the watches are live state, not leaks
 * (and LeakSanitizer can see them). */
static struct watch *watches;
static pthread_mutex_t watches_lock = PTHREAD_MUTEX_INITIALIZER;

static void watch_link(struct watch *w)
{
	pthread_mutex_lock(&watches_lock);
	w->next = watches;
	if (watches)
		watches->prev = w;
	watches = w;
	pthread_mutex_unlock(&watches_lock);
}

static void watch_free(struct watch *w)
{
	pthread_mutex_lock(&watches_lock);
	if (w->prev)
		w->prev->next = w->next;
	else if (watches == w)
		watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&watches_lock);
	free(w);
}

void vzd_monitor_watch(struct server *srv, const char *ctid)
{
	struct watch *w;
	struct epoll_event ev = {.events = EPOLLIN};
	vz_error err = {0};
	pid_t pid;
	int pidfd;

	if (epfd < 0 || vz_ct_init_pidfd(srv->g, ctid, &pid, &pidfd, &err) < 0)
		return;
	w = vz_xcalloc(1, sizeof(*w));
	snprintf(w->ctid, sizeof(w->ctid), "%s", ctid);
	w->pidfd = pidfd;
	ev.data.ptr = w;
	watch_link(w);
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
		close(pidfd);
		watch_free(w);
	}
}

static void cleanup_one(struct server *srv, struct watch *w)
{
	vz_error err = {0};
	struct vz_ct_status st;
	int lock_fd = vz_ct_lock(srv->g, w->ctid, srv->g->lock_timeout, &err);

	if (lock_fd < 0) {
		vzd_log(LOG_WARNING, "container %s ended, cleanup deferred: %s", w->ctid, err.msg);
		return;
	}
	/* A restart may already have started it again. */
	if (vz_ct_status(srv->g, w->ctid, &st, &err) == 0 && !st.running) {
		if (vz_ct_cleanup_stopped(srv->g, w->ctid, &err) < 0)
			vzd_log(LOG_WARNING, "container %s ended; cleanup failed: %s", w->ctid,
				err.msg);
		else
			vzd_log(LOG_INFO, "container %s ended; released its cgroup and mount",
				w->ctid);
	}
	vz_ct_unlock(srv->g, w->ctid, lock_fd);
}

static void *monitor_main(void *arg)
{
	struct server *srv = arg;

	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(epfd, ev, 16, -1);
		for (int i = 0; i < n; i++) {
			struct watch *w = ev[i].data.ptr;
			epoll_ctl(epfd, EPOLL_CTL_DEL, w->pidfd, NULL);
			close(w->pidfd);
			cleanup_one(srv, w);
			watch_free(w);
		}
		if (n < 0 && errno != EINTR)
			return NULL;
	}
}

int vzd_monitor_start(struct server *srv)
{
	pthread_t tid;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -1;
	if (pthread_create(&tid, NULL, monitor_main, srv) != 0)
		return -1;
	pthread_detach(tid);
	return 0;
}
