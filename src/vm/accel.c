/* Acceleration: KVM only when it really runs a guest.
 *
 * /dev/kvm can exist and still be useless: on the build machines it is
 * nested PVM, where stock kernels hang at boot.  So the kit's own kernel is
 * booted under -accel kvm with vz.probe=1, which makes the initramfs print
 * VZ-PROBE-OK on the serial port and power off; if that line does not come
 * within VM_PROBE_TIMEOUT seconds, VMs use TCG and say why. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "vm/vm.h"

#define PROBE_MARK "VZ-PROBE-OK"

static int probe_kvm(const struct vz_global_conf *g, struct vz_vm_accel *ret, vz_error *err)
{
	cleanup_free char *kit = vz_vm_kit_dir(g);
	cleanup_free char *kernel = vz_strdup_printf("%s/vmlinuz", kit);
	cleanup_free char *initrd = vz_strdup_printf("%s/initrd.img", kit);
	cleanup_free char *log = vz_strdup_printf("%s/vm-accel.log", g->run_dir);
	cleanup_free char *serial = vz_strdup_printf("file:%s", log);
	cleanup_free char *errlog = vz_strdup_printf("%s/vm-accel.err", g->run_dir);
	cleanup_free char *out = NULL, *errtext = NULL;
	bool timed_out = false;
	char *argv[] = {g->qemu,
			"-machine",
			"q35,accel=kvm",
			"-cpu",
			"host",
			"-m",
			"128",
			"-nodefaults",
			"-display",
			"none",
			"-no-reboot",
			"-kernel",
			kernel,
			"-initrd",
			initrd,
			"-append",
			"console=ttyS0 panic=-1 vz.probe=1",
			"-serial",
			serial,
			NULL};
	int status = 0, fd;
	pid_t pid;

	unlink(log);
	pid = vz_child_fork();
	if (pid < 0)
		return vz_fail_errno(err, VZ_RESOURCE_ERROR, "fork the KVM probe");
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		fd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (vz_child_wait(pid, &status, (int)g->vm_probe_timeout * 1000) < 0) {
		kill(pid, SIGKILL);
		vz_child_wait(pid, &status, -1);
		timed_out = true;
	}
	vz_read_file(log, 1 << 20, &out, NULL, NULL);
	ret->kvm = out && strstr(out, PROBE_MARK);
	if (!ret->kvm && timed_out)
		snprintf(ret->notice, sizeof(ret->notice),
			 "KVM unusable: a probe guest did not reach its check point within %u s "
			 "under /dev/kvm (nested or paravirtual KVM?); using TCG (slow emulation)",
			 g->vm_probe_timeout);
	else if (!ret->kvm) {
		char *line;
		vz_read_file(errlog, 1 << 16, &errtext, NULL, NULL);
		line = errtext ? strtok(errtext, "\n") : NULL;
		snprintf(ret->notice, sizeof(ret->notice),
			 "KVM unusable: a probe guest under /dev/kvm failed (exit %d: %s); using "
			 "TCG (slow emulation)",
			 vz_child_exit_code(status), line ? line : "no message");
	}
	unlink(errlog);
	return 0;
}

static int detect(const struct vz_global_conf *g, struct vz_vm_accel *ret, vz_error *err)
{
	int fd;

	*ret = (struct vz_vm_accel){0};
	if (!strcmp(g->vm_accel, "tcg")) {
		snprintf(ret->notice, sizeof(ret->notice), "TCG (VM_ACCEL=tcg in vz.conf)");
		return 0;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(ret->notice, sizeof(ret->notice),
			 "KVM unusable: cannot open /dev/kvm (%s); using TCG (slow emulation)",
			 strerror(errno));
		return 0;
	}
	close(fd);
	if (!strcmp(g->vm_accel, "kvm")) {
		ret->kvm = true;
		return 0;
	}
	return probe_kvm(g, ret, err);
}

int vz_vm_accel_get(const struct vz_global_conf *g, struct vz_vm_accel *ret, vz_error *err)
{
	cleanup_free char *cache = vz_strdup_printf("%s/vm-accel", g->run_dir);
	cleanup_free char *text = NULL;
	char *nl;

	if (strcmp(g->vm_accel, "auto") && strcmp(g->vm_accel, "kvm") && strcmp(g->vm_accel, "tcg"))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "VM_ACCEL=`%s` in vz.conf: expected auto, kvm or tcg", g->vm_accel);
	/* The answer holds until the host reboots (VZ_RUN_DIR is a tmpfs) or
	 * VM_ACCEL changes; the file starts with the setting it answers. */
	if (vz_read_file(cache, 4096, &text, NULL, NULL) == 0 && (nl = strchr(text, '\n')) &&
	    !strncmp(text, g->vm_accel, (size_t)(nl - text)) &&
	    (size_t)(nl - text) == strlen(g->vm_accel)) {
		char *rest = nl + 1, *nl2 = strchr(rest, '\n');
		*ret = (struct vz_vm_accel){.kvm = !strncmp(rest, "kvm", 3)};
		if (nl2)
			snprintf(ret->notice, sizeof(ret->notice), "%s", nl2 + 1);
		return 0;
	}
	if (detect(g, ret, err) < 0)
		return -1;
	vz_freep(&text);
	text = vz_strdup_printf("%s\n%s\n%s", g->vm_accel, ret->kvm ? "kvm" : "tcg", ret->notice);
	vz_mkdir_p(g->run_dir, 0755, NULL);
	vz_write_file_atomic(cache, text, strlen(text), 0644, NULL);
	return 0;
}
