/* vzctl exec on a VM: the command runs through the QEMU guest agent
 * (guest-exec with captured output, then guest-exec-status until it has
 * exited).  The agent returns output only at the end, so it is not
 * interactive: `vzctl enter` has no VM equivalent but `vzctl console`. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "vm/qmp.h"
#include "vm/vm.h"

/* A booting guest needs a while before its agent answers (TCG: ~10 s). */
#define AGENT_WAIT_MS	120000
#define CALL_MS		30000
#define INPUT_MAX_BYTES (1 << 20)

/* stdin as input-data, when it is a file or a pipe: a terminal or socket
 * could block forever waiting for an end that never comes. */
static char *read_input(int fd)
{
	cleanup_free unsigned char *buf = NULL;
	struct stat st;
	size_t len = 0;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode)))
		return NULL;
	buf = vz_xcalloc(INPUT_MAX_BYTES, 1);
	while (len < INPUT_MAX_BYTES && (n = read(fd, buf + len, INPUT_MAX_BYTES - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return len ? vz_base64_encode(buf, len) : NULL;
}

static void write_data(json_t *st, const char *key, int fd)
{
	const char *b64 = json_string_value(json_object_get(st, key));
	cleanup_free unsigned char *data = NULL;
	size_t len = 0;

	if (!b64 || fd < 0)
		return;
	data = vz_base64_decode(b64, &len);
	if (data)
		vz_write_all(fd, data, len);
}

static int start_command(struct vz_qmp *q, char *const *argv, const int stdio[3],
			 json_int_t *ret_pid, vz_error *err)
{
	json_auto_t *args =
	    json_pack("{s:s, s:[], s:b}", "path", argv[0], "arg", "capture-output", 1);
	json_auto_t *rep = NULL;
	cleanup_free char *input = read_input(stdio[0]);

	for (size_t i = 1; argv[i]; i++)
		json_array_append_new(json_object_get(args, "arg"), json_string(argv[i]));
	json_object_set_new(
	    args, "env",
	    json_pack("[s, s]", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		      "HOME=/root"));
	if (input)
		json_object_set_new(args, "input-data", json_string(input));
	if (vz_qmp_call(q, "guest-exec", args, &rep, CALL_MS, err) < 0)
		return -1;
	*ret_pid = json_integer_value(json_object_get(rep, "pid"));
	return 0;
}

int vz_vm_exec(const struct vz_global_conf *g, const char *ctid, char *const *argv,
	       const int stdio[3], int *ret_code, vz_error *err)
{
	return vz_vm_exec_wait(g, ctid, argv, stdio, AGENT_WAIT_MS, ret_code, err);
}

int vz_vm_exec_wait(const struct vz_global_conf *g, const char *ctid, char *const *argv,
		    const int stdio[3], int agent_wait_ms, int *ret_code, vz_error *err)
{
	cleanup_free char *sock = vz_vm_run_file(g, ctid, "qga.sock");
	cleanup_qmp struct vz_qmp q = {.fd = -1};
	struct vz_ct_conf probe = {.ctid = (char *)ctid};
	struct vz_ct_status st;
	vz_error local = {0};
	json_int_t pid;

	if (!err)
		err = &local;
	if (vz_vm_status_of(g, &probe, &st, err) < 0 || !st.running)
		return vz_fail(err, VZ_VE_NOT_RUNNING, "VM %s is not running", ctid);
	if (vz_qga_open(&q, sock, agent_wait_ms, err) < 0 ||
	    start_command(&q, argv, stdio, &pid, err) < 0)
		return vz_error_wrap(err, "cannot exec in VM %s", ctid);
	for (unsigned delay = 10;; delay = delay < 200 ? delay * 2 : 200) {
		json_auto_t *args = json_pack("{s:I}", "pid", pid);
		json_auto_t *rep = NULL;
		if (vz_qmp_call(&q, "guest-exec-status", args, &rep, CALL_MS, err) < 0)
			return vz_error_wrap(err, "exec in VM %s", ctid);
		if (json_is_true(json_object_get(rep, "exited"))) {
			write_data(rep, "out-data", stdio[1]);
			write_data(rep, "err-data", stdio[2]);
			if (json_object_get(rep, "signal"))
				*ret_code =
				    128 + (int)json_integer_value(json_object_get(rep, "signal"));
			else
				*ret_code =
				    (int)json_integer_value(json_object_get(rep, "exitcode"));
			return 0;
		}
		usleep(delay * 1000);
	}
}
