/* The migration channel's framing (control messages, data streams, errors
 * from the peer, a lost peer, malformed frames) and the CRIU log summary. */
#include "config.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
