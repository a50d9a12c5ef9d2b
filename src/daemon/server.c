/* vzd's socket, connections and request dispatch.
 *
 * One thread per connection: a client that connects and stalls only holds
 * its own thread (and times out), and requests on different containers run
 * in parallel; requests on one container are serialized by its lock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/server.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/container.h"

#define MAX_CLIENTS	  512
#define REQUEST_TIMEOUT_S 30
#define DRAIN_TIMEOUT_MS  2000
#define DRAIN_MAX_BYTES	  (4 * VZ_PROTO_MAX_MSG)

static bool log_syslog, log_debug;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int n_clients;

void vzd_log_init(bool use_syslog, bool debug)
{
	log_syslog = use_syslog;
	log_debug = debug;
	if (use_syslog)
		openlog("vzd", LOG_PID, LOG_DAEMON);
}

void vzd_log(int prio, const char *fmt, ...)
{
	static const char *names[] = {"emerg",	 "alert",  "crit", "error",
				      "warning", "notice", "info", "debug"};
	char msg[2048], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;

	if (prio == LOG_DEBUG && !log_debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s vzd[%d]: %s: %s\n", stamp, (int)getpid(), names[prio & 7], msg);
	pthread_mutex_unlock(&log_lock);
	if (log_syslog)
		syslog(prio, "%s", msg);
}

static int send_reply(int sock, json_t *reply)
{
	vz_error err = {0};
	int rc = vz_proto_send(sock, reply, NULL, 0, &err);

	if (rc < 0)
		vzd_log(LOG_DEBUG, "reply not delivered: %s", err.msg);
	json_decref(reply);
	return rc;
}

/* Check the request's shape; fills r->op, r->ctid, r->args. */
static int parse_request(struct request *r, const struct handler **ret_h, vz_error *err)
{
	json_t *op = json_object_get(r->msg, "op");
	json_t *ctid = json_object_get(r->msg, "ctid");
	json_t *args = json_object_get(r->msg, "args");
	const struct handler *h;

	if (!json_is_string(op))
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "request without an \"op\" string");
	r->op = json_string_value(op);
	h = vzd_find_handler(r->op);
	if (!h)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "unknown operation `%.64s`",
			       r->op);
	if (args && !json_is_object(args))
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "\"args\" must be an object");
	r->args = args ? args : json_object();
	if (!args)
		json_object_set_new(r->msg, "args", r->args);
	if (h->needs_ctid) {
		if (!json_is_string(ctid))
			return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
				       "operation %s needs a CTID", r->op);
		r->ctid = json_string_value(ctid);
		if (!vz_ctid_valid(r->ctid))
			return vz_fail(
			    err, VZ_INVALID_PARAMETER_VALUE,
			    "invalid CTID `%.32s`: expected a number from 1 to 2147483647",
			    r->ctid);
	}
	*ret_h = h;
	return 0;
}

static json_t *dispatch(struct request *r)
{
	const struct handler *h = NULL;
	json_t *result = NULL;
	vz_error err = {0};
	int lock_fd = -1, rc;

	if (parse_request(r, &h, &err) < 0)
		return vz_proto_error_reply(&err);
	if (h->locks) {
		lock_fd = vz_ct_lock(r->srv->g, r->ctid, r->srv->g->lock_timeout, &err);
		if (lock_fd < 0)
			return vz_proto_error_reply(&err);
	}
	rc = h->fn(r, &result, &err);
	vz_ct_unlock(r->srv->g, r->ctid, lock_fd);
	if (rc < 0) {
		vzd_log(LOG_WARNING, "%s%s%s failed (%d): %s", r->op, r->ctid ? " " : "",
			r->ctid ? r->ctid : "", err.code, err.msg);
		json_decref(result);
		return vz_proto_error_reply(&err);
	}
	vzd_log(r->ctid ? LOG_INFO : LOG_DEBUG, "%s%s%s: ok", r->op, r->ctid ? " " : "",
		r->ctid ? r->ctid : "");
	return vz_proto_ok_reply(result);
}

static void *connection_main(void *arg)
{
	struct request *r = arg;

	vzd_handle_connection(r->srv, r->sock);
	free(r);
	atomic_fetch_sub(&n_clients, 1);
	return NULL;
}

/* Closing a unix socket with unread input resets the connection, and the
 * peer's read then fails with ECONNRESET before it sees our reply (the
 * error telling it why its request was refused).  So: end our side, read
 * what the peer still sends (a refused oversized request, trailing bytes)
 * for at most @wait_ms, then close. */
static void close_gracefully(int sock, int wait_ms)
{
	static char sink[64 * 1024];
	uint64_t deadline = vz_now_ms() + (uint64_t)wait_ms;
	size_t total = 0;

	shutdown(sock, SHUT_WR);
	while (total < DRAIN_MAX_BYTES) {
		struct pollfd p = {.fd = sock, .events = POLLIN};
		uint64_t now = vz_now_ms();
		ssize_t n;

		if (poll(&p, 1, now < deadline ? (int)(deadline - now) : 0) <= 0)
			break;
		n = recv(sock, sink, sizeof(sink), MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	close(sock);
}

void vzd_handle_connection(struct server *srv, int sock)
{
	struct request r = {.srv = srv, .sock = sock};
	struct timeval tv = {.tv_sec = REQUEST_TIMEOUT_S};
	vz_error err = {0};

	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!vzd_peer_allowed(sock, srv->allowed_gid)) {
		vz_fail(&err, VZ_PERM_DENIED,
			"permission denied: vzd serves root and VZD_GROUP only");
		send_reply(sock, vz_proto_error_reply(&err));
	} else if (vz_proto_recv(sock, &r.msg, r.fds, VZ_PROTO_MAX_FDS, &r.n_fds, &err) < 0) {
		/* A malformed or stalled request gets an answer if it can take one. */
		vzd_log(LOG_DEBUG, "bad request: %s", err.msg);
		if (strcmp(err.msg, "connection closed") != 0) {
			send_reply(sock, vz_proto_error_reply(&err));
			close_gracefully(sock, DRAIN_TIMEOUT_MS);
			sock = -1;
		}
	} else {
		send_reply(sock, dispatch(&r));
		close_gracefully(sock, 0);
		sock = -1;
	}
	for (size_t i = 0; i < r.n_fds; i++)
		if (r.fds[i] >= 0)
			close(r.fds[i]);
	json_decref(r.msg);
	if (sock >= 0)
		close(sock);
}

static void accept_one(struct server *srv)
{
	struct request *r;
	pthread_attr_t attr;
	pthread_t tid;
	int rc;
	int sock = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (sock < 0) {
		/* Out of descriptors: the connection stays queued and poll would
		 * report it at once again; back off instead of spinning. */
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			vzd_log(LOG_WARNING, "accept: %s; retrying", strerror(errno));
			usleep(100 * 1000);
		}
		return;
	}
	if (atomic_fetch_add(&n_clients, 1) >= MAX_CLIENTS) {
		vz_error err = {0};
		vz_fail(&err, VZ_RESOURCE_ERROR, "vzd is busy: %d clients connected", MAX_CLIENTS);
		send_reply(sock, vz_proto_error_reply(&err));
		close(sock);
		atomic_fetch_sub(&n_clients, 1);
		return;
	}
	r = vz_xcalloc(1, sizeof(*r));
	r->srv = srv;
	r->sock = sock;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Small stacks: the daemon's RSS must stay low with many clients. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&tid, &attr, connection_main, r);
	if (rc != 0) {
		/* Out of threads (a pids limit, RLIMIT_NPROC): say so. */
		vz_error err = {0};
		vz_error_set(&err, VZ_RESOURCE_ERROR, rc, "vzd cannot start a thread for the request");
		send_reply(sock, vz_proto_error_reply(&err));
		close(sock);
		free(r);
		atomic_fetch_sub(&n_clients, 1);
	}
	pthread_attr_destroy(&attr);
}

int vzd_serve(struct server *srv)
{
	sigset_t term;
	cleanup_close int sfd = -1;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sfd = signalfd(-1, &term, SFD_CLOEXEC);
	if (sfd < 0)
		return -1;
	for (;;) {
		struct pollfd pfd[2] = {{.fd = srv->listen_fd, .events = POLLIN},
					{.fd = sfd, .events = POLLIN}};
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				vzd_log(LOG_NOTICE, "signal %u: exiting; containers keep running",
					si.ssi_signo);
			return 0;
		}
		if (pfd[0].revents & POLLIN)
			accept_one(srv);
	}
}
