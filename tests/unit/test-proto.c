/* Protocol framing: length prefix, JSON bodies, descriptor passing, and
 * refusal of oversized, truncated and malformed messages. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/util.h"
#include "proto/proto.h"

static void socket_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_length_prefix_is_big_endian(void **state)
{
	unsigned char b[4];

	vz_proto_put_len(b, 0x01020304);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[3], 4);
	assert_int_equal(vz_proto_get_len(b), 0x01020304);
}

static void test_round_trip_keeps_the_object(void **state)
{
	int sv[2];
	json_t *in = json_pack("{s:s, s:s, s:{s:[s,s]}}", "op", "exec", "ctid", "101", "args",
			       "argv", "a", "b");
	json_t *out = NULL;
	vz_error err = {0};

	socket_pair(sv);
	assert_int_equal(vz_proto_send(sv[0], in, NULL, 0, &err), 0);
	assert_int_equal(vz_proto_recv(sv[1], &out, NULL, 0, NULL, &err), 0);
	assert_true(json_equal(in, out));
	json_decref(in);
	json_decref(out);
	close(sv[0]);
	close(sv[1]);
}

static void test_descriptors_travel_with_the_message(void **state)
{
	int sv[2], pipefd[2], got[VZ_PROTO_MAX_FDS];
	size_t n = 0;
	json_t *msg = json_pack("{s:b}", "pty", 1), *out = NULL;
	vz_error err = {0};
	char c = 0;

	socket_pair(sv);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(vz_proto_send(sv[0], msg, &pipefd[1], 1, &err), 0);
	assert_int_equal(vz_proto_recv(sv[1], &out, got, VZ_PROTO_MAX_FDS, &n, &err), 0);
	assert_int_equal(n, 1);
	/* The received descriptor is the pipe's write end: prove it by writing. */
	assert_int_equal(write(got[0], "x", 1), 1);
	assert_int_equal(read(pipefd[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	assert_true(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
	close(got[0]);
	close(pipefd[0]);
	close(pipefd[1]);
	json_decref(msg);
	json_decref(out);
	close(sv[0]);
	close(sv[1]);
}

static void send_raw(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void expect_recv_error(const void *raw, size_t len, const char *needle)
{
	int sv[2];
	json_t *out = NULL;
	vz_error err = {0};

	socket_pair(sv);
	send_raw(sv[0], raw, len);
	shutdown(sv[0], SHUT_WR);
	assert_int_equal(vz_proto_recv(sv[1], &out, NULL, 0, NULL, &err), -1);
	assert_null(out);
	if (!strstr(err.msg, needle))
		fail_msg("error `%s` lacks `%s`", err.msg, needle);
	close(sv[0]);
	close(sv[1]);
}

static void test_oversized_length_is_refused(void **state)
{
	unsigned char hdr[4];

	vz_proto_put_len(hdr, VZ_PROTO_MAX_MSG + 1);
	expect_recv_error(hdr, 4, "bad message length");
}

/* A reply of a few MiB (vzlist of thousands of containers): over the
 * request limit, within the reply limit. */
static void test_large_reply_passes_the_reply_limit_only(void **state)
{
	size_t big = 3 * (size_t)VZ_PROTO_MAX_MSG;
	char *s = vz_xcalloc(1, big + 1);
	json_t *msg, *out = NULL;
	vz_error err = {0};
	int sv[2];

	memset(s, 'x', big);
	msg = json_pack("{s:s}", "list", s);
	for (int limit_is_reply = 0; limit_is_reply < 2; limit_is_reply++) {
		pid_t writer;
		int rc;

		socket_pair(sv);
		writer = fork();
		assert_true(writer >= 0);
		if (writer == 0) {
			close(sv[1]);
			_exit(vz_proto_send(sv[0], msg, NULL, 0, &err) == 0 ? 0 : 1);
		}
		close(sv[0]);
		rc = limit_is_reply
			 ? vz_proto_recv_max(sv[1], VZ_PROTO_MAX_REPLY, &out, NULL, 0, NULL, &err)
			 : vz_proto_recv(sv[1], &out, NULL, 0, NULL, &err);
		close(sv[1]);
		waitpid(writer, NULL, 0);
		if (!limit_is_reply) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err.msg, "bad message length"));
			continue;
		}
		assert_int_equal(rc, 0);
		assert_true(json_equal(msg, out));
		json_decref(out);
	}
	json_decref(msg);
	free(s);
}

static void test_zero_length_is_refused(void **state)
{
	unsigned char hdr[4] = {0, 0, 0, 0};
	expect_recv_error(hdr, 4, "bad message length");
}

static void test_truncated_body_is_refused(void **state)
{
	unsigned char buf[8];

	vz_proto_put_len(buf, 100);
	memcpy(buf + 4, "{\"a\"", 4);
	expect_recv_error(buf, 8, "closed mid-message");
}

/* Found by fuzz-proto: a header and then EOF was taken for a clean close,
 * and vzd sent no error reply. */
static void test_header_then_eof_is_truncated(void **state)
{
	unsigned char hdr[4];

	vz_proto_put_len(hdr, 255);
	expect_recv_error(hdr, 4, "closed mid-message");
	expect_recv_error(hdr, 2, "closed mid-message");
}

static void test_malformed_json_is_refused(void **state)
{
	unsigned char buf[4 + 5];

	vz_proto_put_len(buf, 5);
	memcpy(buf + 4, "{oops", 5);
	expect_recv_error(buf, sizeof(buf), "malformed message");
}

static void test_non_object_is_refused(void **state)
{
	unsigned char buf[4 + 3];

	vz_proto_put_len(buf, 3);
	memcpy(buf + 4, "[1]", 3);
	expect_recv_error(buf, sizeof(buf), "not a JSON object");
}

static void test_duplicate_keys_are_refused(void **state)
{
	const char *body = "{\"op\":\"a\",\"op\":\"b\"}";
	unsigned char buf[64];

	vz_proto_put_len(buf, strlen(body));
	memcpy(buf + 4, body, strlen(body));
	expect_recv_error(buf, 4 + strlen(body), "malformed message");
}

static void test_error_reply_carries_code_and_message(void **state)
{
	vz_error in = {0}, out = {0};
	json_t *reply;

	vz_error_set(&in, VZ_VE_RUNNING, 0, "container %s is already running", "101");
	reply = vz_proto_error_reply(&in);
	assert_int_equal(vz_proto_reply_to_error(reply, &out), -1);
	assert_int_equal(out.code, 32);
	assert_string_equal(out.msg, "container 101 is already running");
	json_decref(reply);
	reply = vz_proto_ok_reply(NULL);
	assert_int_equal(vz_proto_reply_to_error(reply, &out), 0);
	json_decref(reply);
}

/* Found by fuzz-proto: a message quoting invalid UTF-8 made the reply NULL,
 * and vzd answered nothing. */
static void test_error_reply_survives_invalid_utf8(void **state)
{
	vz_error in = {0}, out = {0};
	json_t *reply;

	vz_error_set(&in, VZ_INVALID_PARAMETER_SYNTAX, 0, "unknown operation `a\xcf\xff\xdd`");
	reply = vz_proto_error_reply(&in);
	assert_non_null(reply);
	assert_int_equal(vz_proto_reply_to_error(reply, &out), -1);
	assert_int_equal(out.code, VZ_INVALID_PARAMETER_SYNTAX);
	assert_string_equal(out.msg, "unknown operation `a???`");
	json_decref(reply);
}

static void test_reply_without_ok_is_malformed(void **state)
{
	json_t *reply = json_pack("{s:s}", "result", "x");
	vz_error err = {0};

	assert_int_equal(vz_proto_reply_to_error(reply, &err), -1);
	assert_non_null(strstr(err.msg, "malformed reply"));
	json_decref(reply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_length_prefix_is_big_endian),
	    cmocka_unit_test(test_round_trip_keeps_the_object),
	    cmocka_unit_test(test_large_reply_passes_the_reply_limit_only),
	    cmocka_unit_test(test_descriptors_travel_with_the_message),
	    cmocka_unit_test(test_oversized_length_is_refused),
	    cmocka_unit_test(test_zero_length_is_refused),
	    cmocka_unit_test(test_truncated_body_is_refused),
	    cmocka_unit_test(test_header_then_eof_is_truncated),
	    cmocka_unit_test(test_malformed_json_is_refused),
	    cmocka_unit_test(test_non_object_is_refused),
	    cmocka_unit_test(test_duplicate_keys_are_refused),
	    cmocka_unit_test(test_error_reply_carries_code_and_message),
	    cmocka_unit_test(test_error_reply_survives_invalid_utf8),
	    cmocka_unit_test(test_reply_without_ok_is_malformed),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
