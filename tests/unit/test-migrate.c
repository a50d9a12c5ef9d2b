/* The migration channel's framing (control messages, data streams, errors
 * from the peer, a lost peer, malformed frames), the stream multiplexer of
 * VM migration, and the CRIU log summary. */
#include "config.h"

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/criu.h"
#include "migrate/transport.h"

static void chan_pair(struct mig_chan *a, struct mig_chan *b)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	*a = (struct mig_chan){.in = sv[0], .out = sv[0], .timeout_ms = 2000};
	*b = (struct mig_chan){.in = sv[1], .out = sv[1], .timeout_ms = 2000};
}

static void test_control_message_round_trip(void **state)
{
	struct mig_chan a, b;
	json_t *got = NULL;
	vz_error err = {0};

	chan_pair(&a, &b);
	assert_int_equal(mig_send_json(&a, json_pack("{s:s, s:i}", "op", "hello", "v", 1), &err),
			 0);
	assert_int_equal(mig_recv_json(&b, &got, &err), 0);
	assert_string_equal(json_string_value(json_object_get(got, "op")), "hello");
	assert_int_equal(json_integer_value(json_object_get(got, "v")), 1);
	json_decref(got);
	mig_chan_close(&a);
	mig_chan_close(&b);
}

static void test_error_reply_carries_code_and_message(void **state)
{
	struct mig_chan a, b;
	vz_error err = {0};

	chan_pair(&a, &b);
	assert_int_equal(mig_send_json(&a,
				       json_pack("{s:b, s:i, s:s}", "ok", 0, "code", 44, "error",
						 "CTID 101 is already used"),
				       &err),
			 0);
	assert_int_equal(mig_expect_ok(&b, NULL, &err), -1);
	assert_int_equal(err.code, 44);
	assert_non_null(strstr(err.msg, "destination: CTID 101 is already used"));
	mig_chan_close(&a);
	mig_chan_close(&b);
}

static void test_lost_peer_is_reported(void **state)
{
	struct mig_chan a, b;
	json_t *got = NULL;
	vz_error err = {0};

	chan_pair(&a, &b);
	mig_chan_close(&a);
	assert_int_equal(mig_recv_json(&b, &got, &err), -1);
	assert_non_null(strstr(err.msg, "lost"));
	mig_chan_close(&b);
}

static void test_malformed_and_oversized_frames_are_refused(void **state)
{
	struct mig_chan a, b;
	unsigned char bad[5] = {'X', 0, 0, 0, 1};
	unsigned char big[5] = {'J'};
	uint32_t len = htonl(MIG_FRAME_MAX + 1);
	json_t *got = NULL;
	vz_error err = {0};

	chan_pair(&a, &b);
	assert_int_equal(write(a.out, bad, 5), 5);
	assert_int_equal(mig_recv_json(&b, &got, &err), -1);
	assert_non_null(strstr(err.msg, "malformed frame"));
	memcpy(big + 1, &len, 4);
	assert_int_equal(write(a.out, big, 5), 5);
	assert_int_equal(mig_recv_json(&b, &got, &err), -1);
	mig_chan_close(&a);
	mig_chan_close(&b);
}

/* A data stream from one command into another, as the private area goes. */
static void test_stream_reaches_the_consumer(void **state)
{
	char tmpl[] = "/tmp/vz-test-migrate-XXXXXX";
	cleanup_free char *out = NULL, *script = NULL, *buf = NULL;
	struct mig_chan a, b;
	vz_error err = {0};
	size_t len = 0;
	pid_t pid;

	assert_non_null(mkdtemp(tmpl));
	out = vz_strdup_printf("%s/out", tmpl);
	script = vz_strdup_printf("cat > %s", out);
	chan_pair(&a, &b);
	pid = fork();
	if (pid == 0) {
		char *argv[] = {"/bin/sh", "-c", "seq 1 100000", NULL};
		_exit(mig_send_cmd_output(&a, argv, "test", &err) == 0 ? 0 : 1);
	}
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	assert_int_equal(mig_recv_cmd_input(&b, argv, &err), 0);
	assert_int_equal(vz_read_file(out, 1 << 22, &buf, &len, &err), 0);
	assert_int_equal(len, 588895); /* bytes of `seq 1 100000` */
	assert_non_null(strstr(buf, "\n99999\n100000\n"));
	waitpid(pid, NULL, 0);
	unlink(out);
	rmdir(tmpl);
	mig_chan_close(&a);
	mig_chan_close(&b);
}

static void test_failed_producer_fails_the_stream(void **state)
{
	struct mig_chan a, b;
	vz_error err = {0};
	pid_t pid;

	chan_pair(&a, &b);
	pid = fork();
	if (pid == 0) {
		char *argv[] = {"/bin/sh", "-c", "echo partial; exit 3", NULL};
		_exit(mig_send_cmd_output(&a, argv, "test", &err) == 0 ? 0 : 1);
	}
	char *argv[] = {"/bin/sh", "-c", "cat >/dev/null", NULL};
	assert_int_equal(mig_recv_cmd_input(&b, argv, &err), -1);
	assert_non_null(strstr(err.msg, "stream failed"));
	waitpid(pid, NULL, 0);
	mig_chan_close(&a);
	mig_chan_close(&b);
}

static void test_criu_log_summary_keeps_real_errors(void **state)
{
	char path[] = "/tmp/vz-test-criu-log-XXXXXX";
	int fd = mkstemp(path);
	const char *log = "(00.01) Error (criu/util.c:1533): rlimit: Can't setup RLIMIT_NOFILE\n"
			  "Error (criu/util.c:641): execvp(\"iptables-restore\", ...) failed\n"
			  "(00.02) Info: fine\n"
			  "(00.03) Error (criu/files-reg.c:1790): Can't lookup mount=24\n"
			  "(00.04) Error (criu/cr-dump.c:2111): Dumping FAILED.\n";
	cleanup_free char *sum = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, log, strlen(log)), (ssize_t)strlen(log));
	close(fd);
	sum = criu_log_errors(path);
	assert_null(strstr(sum, "RLIMIT"));
	assert_null(strstr(sum, "iptables"));
	assert_non_null(strstr(sum, "Can't lookup mount=24; "));
	assert_non_null(strstr(sum, "Dumping FAILED."));
	unlink(path);
}

/* A unix socket listening on a fresh path; *ret_path is kept for connect. */
static int listen_tmp(struct sockaddr_un *ret_addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*ret_addr = (struct sockaddr_un){.sun_family = AF_UNIX};
	snprintf(ret_addr->sun_path, sizeof(ret_addr->sun_path), "/tmp/vz-test-mux-%d.sock",
		 (int)getpid());
	unlink(ret_addr->sun_path);
	assert_int_equal(bind(fd, (struct sockaddr *)ret_addr, sizeof(*ret_addr)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static pid_t pump_child(struct mig_chan *c, struct mig_stream *s, int close_fds[], size_t n_close)
{
	pid_t pid = fork();

	if (pid == 0) {
		vz_error err = {0};
		for (size_t i = 0; i < n_close; i++)
			close(close_fds[i]);
		if (mig_pump(c, s, 2, &err) == 0)
			_exit(0);
		fprintf(stderr, "pump: %s\n", err.msg);
		_exit(1);
	}
	return pid;
}

static void read_exactly(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		assert_true(n > 0);
		got += (size_t)n;
	}
}

/* Stream 0 is connection-like (A listens, B's end is connected at once and
 * speaks first, as the NBD export does), stream 1 a one-way bulk stream
 * (the migration); both directions and the half-closes cross, and both
 * pumps end once everything is closed. */
static void test_mux_carries_streams_and_closes(void **state)
{
	struct mig_chan a, b;
	struct sockaddr_un addr;
	int s0[2], s1a[2], s1b[2], client, st, status;
	cleanup_free char *bulk = vz_xcalloc(1, 1 << 20), *got = vz_xcalloc(1, 1 << 20);
	char buf[8];
	pid_t pa, pb;

	chan_pair(&a, &b);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s0), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s1a), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s1b), 0);
	struct mig_stream sa[2] = {{.fd = -1, .listen_fd = listen_tmp(&addr)},
				   {.fd = s1a[0], .listen_fd = -1}};
	struct mig_stream sb[2] = {{.fd = s0[0], .listen_fd = -1}, {.fd = s1b[0], .listen_fd = -1}};
	int a_other[] = {b.in, s0[0], s0[1], s1a[1], s1b[0], s1b[1]};
	int b_other[] = {a.in, sa[0].listen_fd, s0[1], s1a[0], s1a[1], s1b[1]};

	/* B's side greets before A's side has even connected. */
	assert_int_equal(write(s0[1], "HELLO", 5), 5);
	pa = pump_child(&a, sa, a_other, 6);
	pb = pump_child(&b, sb, b_other, 6);
	close(a.in), close(b.in), close(sa[0].listen_fd), close(s0[0]), close(s1a[0]),
	    close(s1b[0]);
	usleep(100000);
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(client, (struct sockaddr *)&addr, sizeof(addr)), 0);
	read_exactly(client, buf, 5);
	assert_memory_equal(buf, "HELLO", 5);
	assert_int_equal(write(client, "REQ", 3), 3);
	read_exactly(s0[1], buf, 3);
	assert_memory_equal(buf, "REQ", 3);

	for (size_t i = 0; i < 1 << 20; i++)
		bulk[i] = (char)(i * 7);
	/* The writer runs apart from the reader, as two QEMUs do. */
	if (fork() == 0) {
		_exit(vz_write_all(s1a[1], bulk, 1 << 20) == 0 && shutdown(s1a[1], SHUT_WR) == 0
			  ? 0
			  : 1);
	}
	read_exactly(s1b[1], got, 1 << 20);
	assert_memory_equal(got, bulk, 1 << 20);
	assert_int_equal(read(s1b[1], buf, 1), 0); /* the sender's close arrived */
	close(s1b[1]);
	assert_int_equal(read(s1a[1], buf, 1), 0); /* and the receiver's came back */
	close(s1a[1]);

	close(client);
	assert_int_equal(read(s0[1], buf, 1), 0);
	close(s0[1]);
	for (int i = 0; i < 2; i++) {
		pid_t p = waitpid(i ? pb : pa, &status, 0);
		/* (the writer child is reaped below) */
		st = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
		assert_true(p > 0);
		assert_int_equal(st, 0);
	}
	while (wait(&status) > 0)
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(addr.sun_path);
}

struct pump_arg {
	struct mig_chan *c;
	struct mig_stream *s;
	int rc;
	vz_error err;
};

static void *pump_thread(void *data)
{
	struct pump_arg *p = data;
	p->rc = mig_pump(p->c, p->s, 2, &p->err);
	return NULL;
}

/* Bytes for a stream nobody connected to yet wait for the connection; a
 * channel shut down meanwhile (a failed migration on the source) ends the
 * pump with an error instead of a hang. */
static void test_mux_ends_when_the_channel_is_shut_down(void **state)
{
	struct mig_chan a, b;
	struct sockaddr_un addr;
	int sv[2];
	pthread_t t;

	chan_pair(&a, &b);
	a.timeout_ms = 20000;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	struct mig_stream sa[2] = {{.fd = -1, .listen_fd = listen_tmp(&addr)},
				   {.fd = sv[0], .listen_fd = -1}};
	struct pump_arg arg = {.c = &a, .s = sa};
	uint64_t t0 = vz_now_ms();

	assert_int_equal(mig_send_frame(&b, 'S', "\0x", 2, NULL), 0);
	assert_int_equal(pthread_create(&t, NULL, pump_thread, &arg), 0);
	usleep(200000);
	shutdown(a.in, SHUT_RDWR);
	pthread_join(t, NULL);
	assert_int_equal(arg.rc, -1);
	assert_true(vz_now_ms() - t0 < 5000);
	assert_non_null(strstr(arg.err.msg, "no local connection"));
	close(sa[0].listen_fd), close(sv[0]), close(sv[1]), close(a.in), close(b.in);
	unlink(addr.sun_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_control_message_round_trip),
	    cmocka_unit_test(test_error_reply_carries_code_and_message),
	    cmocka_unit_test(test_lost_peer_is_reported),
	    cmocka_unit_test(test_malformed_and_oversized_frames_are_refused),
	    cmocka_unit_test(test_stream_reaches_the_consumer),
	    cmocka_unit_test(test_failed_producer_fails_the_stream),
	    cmocka_unit_test(test_criu_log_summary_keeps_real_errors),
	    cmocka_unit_test(test_mux_carries_streams_and_closes),
	    cmocka_unit_test(test_mux_ends_when_the_channel_is_shut_down),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
