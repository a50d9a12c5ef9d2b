/* The VM backend's pure parts (src/vm/qemu-cmd.c, src/vm/qmp.c).
 *
 * What a user cares about: the QEMU command line holds exactly what the
 * config asks for (vCPUs, memory, disk throttling, one NIC per interface,
 * the confinement), the guest gets HOSTNAME/IP_ADDRESS/NAMESERVER on its
 * kernel command line, MACs are stable and never vendor addresses, and the
 * agent's base64 output decodes to the bytes the guest wrote. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/conf.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "vm/qmp.h"
#include "vm/vm.h"

static struct vz_ct_conf *vm_conf(const char *ctid, const char *text)
{
	cleanup_global_conf struct vz_global_conf *g = NULL;
	struct vz_ct_conf *c = NULL;
	vz_error err = {0};

	if (vz_global_conf_parse("/etc/vz/vz.conf", "", &g, &err) < 0 ||
	    vz_ct_conf_parse(g, ctid, "/etc/vz/conf/x.conf", text, &c, &err) < 0)
		fail_msg("config refused: %s", err.msg);
	return c;
}

/* The argument after option @opt whose value starts with @prefix. */
static const char *opt_value(char **argv, const char *opt, const char *prefix)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		if (!strcmp(argv[i], opt) && !strncmp(argv[i + 1], prefix, strlen(prefix)))
			return argv[i + 1];
	return NULL;
}

static void test_argv(void **state)
{
	struct vz_vm_nic nics[2] = {{"vz101t0", "02:00:00:00:65:00", 7},
				    {"vz101t1", "02:00:00:00:65:01", 8}};
	struct vz_vm_spec s = {.name = "101",
			       .qemu = "/usr/bin/qemu-system-x86_64",
			       .cpus = 2,
			       .ram_mb = 512,
			       .kernel = "/k",
			       .initrd = "/i",
			       .append = "console=ttyS0",
			       .disk = "/p/root.img",
			       .iolimit = 1048576,
			       .iopslimit = 100,
			       .nics = nics,
			       .n_nics = 2,
			       .run_dir = "/run/vz/101.vm"};
	cleanup_strv char **argv = vz_vm_qemu_argv(&s);

	assert_string_equal(argv[0], "/usr/bin/qemu-system-x86_64");
	assert_non_null(opt_value(argv, "-machine", "q35,accel=tcg"));
	assert_null(opt_value(argv, "-cpu", "host"));
	assert_non_null(opt_value(argv, "-smp", "2"));
	assert_non_null(opt_value(argv, "-m", "512"));
	assert_non_null(
	    opt_value(argv, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny"));
	assert_non_null(strstr(opt_value(argv, "-drive", "file=/p/root.img"),
			       "throttling.bps-total=1048576,throttling.iops-total=100"));
	/* Taps come as descriptors 3 and 4, in NIC order, with their MACs. */
	assert_non_null(opt_value(argv, "-netdev", "tap,id=net0,fd=3"));
	assert_non_null(opt_value(argv, "-netdev", "tap,id=net1,fd=4"));
	assert_non_null(
	    opt_value(argv, "-device", "virtio-net-pci,netdev=net1,mac=02:00:00:00:65:01"));
	assert_non_null(opt_value(argv, "-qmp", "unix:/run/vz/101.vm/qmp.sock,server=on"));
	assert_non_null(opt_value(argv, "-pidfile", "/run/vz/101.vm/qemu.pid"));
	assert_non_null(
	    opt_value(argv, "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"));

	s.kvm = true;
	s.iolimit = s.iopslimit = 0;
	s.n_nics = 0;
	vz_strv_freep(&argv);
	argv = vz_vm_qemu_argv(&s);
	assert_non_null(opt_value(argv, "-machine", "q35,accel=kvm"));
	assert_non_null(opt_value(argv, "-cpu", "host"));
	assert_null(strstr(opt_value(argv, "-drive", "file="), "throttling"));
	assert_null(opt_value(argv, "-netdev", "tap"));
}

static void test_cmdline(void **state)
{
	cleanup_ct_conf struct vz_ct_conf *c =
	    vm_conf("101", "VMTYPE=\"vm\"\nHOSTNAME=\"web.example\"\n"
			   "IP_ADDRESS=\"10.0.0.5 fd00::5/64\"\nNAMESERVER=\"1.1.1.1 8.8.8.8\"\n");
	cleanup_ct_conf struct vz_ct_conf *bare = vm_conf("102", "VMTYPE=\"vm\"\n");
	cleanup_free char *s = vz_vm_kernel_cmdline(NULL, c);
	cleanup_free char *b = vz_vm_kernel_cmdline(NULL, bare);

	assert_true(vz_conf_is_vm(c));
	assert_non_null(strstr(s, "console=ttyS0"));
	assert_non_null(strstr(s, " vz.hostname=web.example"));
	assert_non_null(strstr(s, " vz.ip=10.0.0.5,fd00::5/64"));
	assert_non_null(strstr(s, " vz.ns=1.1.1.1,8.8.8.8"));
	assert_null(strstr(b, "vz."));
}

/* With BRIDGE_ADDRESS, an address in the bridge's subnet gets its prefix and
 * the bridge as gateway (as a container NIC would); others stay host routes. */
static void test_cmdline_bridge(void **state)
{
	cleanup_global_conf struct vz_global_conf *g = NULL;
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_free char *s = NULL;
	vz_error err = {0};

	if (vz_global_conf_parse("/etc/vz/vz.conf", "BRIDGE_ADDRESS=\"10.77.0.1/24 fd77::1/64\"\n",
				 &g, &err) < 0 ||
	    vz_ct_conf_parse(g, "101", "/x.conf",
			     "VMTYPE=\"vm\"\nIP_ADDRESS=\"10.77.0.5 192.0.2.9 fd77::5\"\n", &c,
			     &err) < 0)
		fail_msg("config refused: %s", err.msg);
	s = vz_vm_kernel_cmdline(g, c);
	assert_non_null(strstr(s, " vz.ip=10.77.0.5/24,192.0.2.9,fd77::5/64"));
	assert_non_null(strstr(s, " vz.gw=10.77.0.1,fd77::1"));
}

static void test_mac_tap_ram(void **state)
{
	cleanup_ct_conf struct vz_ct_conf *c = vm_conf("258", "VMTYPE=\"vm\"\n");
	cleanup_ct_conf struct vz_ct_conf *ram =
	    vm_conf("259", "VMTYPE=\"vm\"\nPHYSPAGES=\"0:1G\"\n");
	cleanup_ct_conf struct vz_ct_conf *ct = vm_conf("260", "");
	char mac[18], tap[16];

	vz_vm_mac(c, 1, mac);
	/* Locally administered (02:), from the CTID (258 = 0x102), per NIC. */
	assert_string_equal(mac, "02:00:00:01:02:01");
	vz_vm_tap_name(c, 0, tap);
	assert_string_equal(tap, "vz258t0");
	assert_int_equal(vz_vm_ram_mb(c), 256);
	assert_int_equal(vz_vm_ram_mb(ram), 1024);
	assert_false(vz_conf_is_vm(ct));
}

static void test_disk_bytes(void **state)
{
	cleanup_ct_conf struct vz_ct_conf *d = vm_conf("101", "VMTYPE=\"vm\"\nDISKSPACE=\"1G\"\n");
	cleanup_ct_conf struct vz_ct_conf *u = vm_conf("102", "VMTYPE=\"vm\"\n");

	assert_int_equal(vz_vm_disk_bytes(d), 1ULL << 30);
	assert_int_equal(vz_vm_disk_bytes(u), 2ULL << 30);
}

static void test_base64(void **state)
{
	const char *samples[] = {"", "a", "ab", "abc", "hello, guest\n", "\xff\x00\x10"};
	size_t lens[] = {0, 1, 2, 3, 13, 3};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		cleanup_free char *enc =
		    vz_base64_encode((const unsigned char *)samples[i], lens[i]);
		size_t n = 99;
		cleanup_free unsigned char *dec = vz_base64_decode(enc, &n);
		assert_int_equal(n, lens[i]);
		assert_memory_equal(dec, samples[i], n);
	}
	{
		cleanup_free char *enc = vz_base64_encode((const unsigned char *)"abc", 3);
		assert_string_equal(enc, "YWJj");
	}
	assert_null(vz_base64_decode("YW*j", &(size_t){0}));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_argv),	   cmocka_unit_test(test_cmdline),
	    cmocka_unit_test(test_cmdline_bridge), cmocka_unit_test(test_mac_tap_ram),
	    cmocka_unit_test(test_disk_bytes),	   cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
