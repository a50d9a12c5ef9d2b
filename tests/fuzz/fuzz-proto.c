/* libFuzzer target for vzd's request path: framing, JSON, request shape
 * and each handler's argument validation.
 *
 * The input goes over a real unix socket pair into vzd_handle_connection,
 * the body of every vzd connection thread, against an empty state root in a
 * temporary directory (no templates, no containers: every operation that
 * passes validation fails on "does not exist", so nothing is created).  The
 * first byte picks the mode: odd sends the rest as raw bytes (framing
 * attacks: bad lengths, truncation), even frames the rest with a correct
 * length (so mutations reach the JSON and the handlers).  Checks:
 *   - every reply is a well-framed JSON object, and the last one carries a
 *     boolean "ok"; a refusal has a non-zero code and a message;
 *   - only an empty input (the peer closing at once) gets no reply;
 *   - no descriptor leaks across requests;
 *   - nothing appears in the state root's config, private or root areas.
 * See README.md for how to build and run it. */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include "daemon/server.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "invariant broken: %s: ", #cond);                          \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static struct server srv = {.listen_fd = -1, .allowed_gid = -1};
static char root[64];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cleanup_free char *conf = NULL;
	vz_error err = {0};

	signal(SIGPIPE, SIG_IGN);
	snprintf(root, sizeof(root), "/tmp/vz-fuzz-proto.XXXXXX");
	if (!mkdtemp(root))
		abort();
	conf = vz_strdup_printf("CONF_DIR=\"%s/conf\"\nVE_ROOT=\"%s/root/$VEID\"\n"
				"VE_PRIVATE=\"%s/private/$VEID\"\nTEMPLATE=\"%s/template\"\n"
				"LOCKDIR=\"%s/lock\"\nVZ_RUN_DIR=\"%s/run\"\n"
				"CGROUP_PARENT=\"vzfuzz-%d\"\nLOCK_TIMEOUT=\"1\"\n",
				root, root, root, root, root, root, (int)getpid());
	if (vz_global_conf_parse("fuzz-vz.conf", conf, &srv.g, &err) < 0 ||
	    vz_mkdir_p(srv.g->conf_dir, 0755, &err) < 0 ||
	    vz_mkdir_p(srv.g->lock_dir, 0700, &err) < 0 ||
	    vz_mkdir_p(srv.g->run_dir, 0755, &err) < 0) {
		fprintf(stderr, "fuzz-proto: setup: %s\n", err.msg);
		abort();
	}
	/* Only errors: a log line per refused request would drown libFuzzer's. */
	vzd_log_init(false, false);
	return 0;
}

/* Entries in @dir other than lock and temporary files. */
static size_t count_entries(const char *dir)
{
	cleanup_closedir DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	return n;
}

static void check_replies(int sock, bool expect_reply)
{
	bool last_ok_field = false;
	size_t n = 0;

	for (;;) {
		cleanup_json json_t *msg = NULL;
		vz_error err = {0};

		if (vz_proto_recv(sock, &msg, NULL, 0, NULL, &err) < 0) {
			CHECK(!strcmp(err.msg, "connection closed"), "bad reply framing: %s",
			      err.msg);
			break;
		}
		n++;
		last_ok_field = json_is_boolean(json_object_get(msg, "ok"));
		if (json_is_false(json_object_get(msg, "ok"))) {
			CHECK(json_integer_value(json_object_get(msg, "code")) != 0,
			      "refusal without a code");
			CHECK(json_string_length(json_object_get(msg, "error")) > 0,
			      "refusal without a message");
		}
	}
	if (expect_reply)
		CHECK(n > 0 && last_ok_field, "%zu messages, no final reply", n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], probe, fd_baseline, sndbuf = 4 * 1024 * 1024;
	bool raw = size > 0 && (data[0] & 1);
	unsigned char hdr[4];

	if (size == 0 || size > 1024 * 1024)
		return 0;
	data++, size--;
	/* The lowest free descriptor now, per input: between inputs libFuzzer
	 * itself opens some (the symbolizer's pipes when it prints NEW_FUNC). */
	fd_baseline = dup(0);
	close(fd_baseline);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	/* The whole input must fit in the socket: vzd reads it in one thread. */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUFFORCE, &sndbuf, sizeof(sndbuf));
	if (!raw) {
		vz_proto_put_len(hdr, size);
		CHECK(vz_write_all(sv[0], hdr, 4) == 0, "write header");
	}
	CHECK(size == 0 || vz_write_all(sv[0], data, size) == 0, "write input");
	shutdown(sv[0], SHUT_WR);
	vzd_handle_connection(&srv, sv[1]);
	check_replies(sv[0], !raw || size > 0);
	close(sv[0]);

	/* A leak is a descriptor that stays: look again before calling it one. */
	for (int i = 0; i < 50; i++) {
		probe = dup(0);
		close(probe);
		if (probe == fd_baseline)
			break;
		usleep(10000);
	}
	CHECK(probe == fd_baseline, "descriptor leak: next free fd %d, was %d", probe,
	      fd_baseline);
	CHECK(count_entries(srv.g->conf_dir) == 0, "something appeared in `%s`",
	      srv.g->conf_dir);
	return 0;
}
