/* Drive the QEMU side of VM live migration between two vz instances on
 * this host, the way the migration transport will: the destination gets
 * the config (copied by the caller), prepares an empty image and an
 * incoming QEMU, and the stream goes over a socketpair standing in for the
 * authenticated vzd-to-vzd channel.
 *
 *   vm-migrate-local SRC_VZ_CONF DST_VZ_CONF CTID [--break-nbd]
 *
 * --break-nbd points the source's mirror at a socket that does not exist, to
 * show that a failed migration leaves the VM running on the source (the
 * prepared destination is stopped again, as the transport would).
 *
 * Exit 0 when the guest runs on the destination and no longer on the
 * source; otherwise the error on stderr and a vzctl exit code. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/conf.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "vm/vm.h"

static int fail(const vz_error *err)
{
	fprintf(stderr, "vm-migrate-local: %s\n", err->msg);
	return err->code ? err->code : 1;
}

int main(int argc, char **argv)
{
	cleanup_global_conf struct vz_global_conf *src = NULL, *dst = NULL;
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_free char *disk = NULL, *nbd = NULL;
	vz_error err = {0};
	int sv[2];
	struct stat st;

	bool broken = argc == 5 && !strcmp(argv[4], "--break-nbd");
	struct vz_stop_opts quit = {.fast = true, .timeout_s = 0};

	if (argc != 4 && !broken) {
		fprintf(stderr,
			"usage: vm-migrate-local SRC_VZ_CONF DST_VZ_CONF CTID [--break-nbd]\n");
		return 2;
	}
	if (vz_global_conf_load(argv[1], &src, &err) < 0 ||
	    vz_global_conf_load(argv[2], &dst, &err) < 0 ||
	    vz_ct_conf_load(src, argv[3], &c, &err) < 0)
		return fail(&err);
	disk = vz_vm_disk_path(c);
	if (stat(disk, &st) < 0) {
		perror(disk);
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	if (vz_vm_migrate_prepare(dst, argv[3], (uint64_t)st.st_size, &nbd, &err) < 0 ||
	    vz_vm_migrate_incoming(dst, argv[3], sv[1], &err) < 0)
		return fail(&err);
	close(sv[1]);
	if (vz_vm_migrate_send(src, argv[3], broken ? "/nonexistent/nbd.sock" : nbd, sv[0], 300000,
			       NULL, &err) < 0 ||
	    vz_vm_migrate_finish(dst, argv[3], 60000, &err) < 0) {
		vz_vm_stop(dst, argv[3], &quit, NULL);
		return fail(&err);
	}
	return 0;
}
