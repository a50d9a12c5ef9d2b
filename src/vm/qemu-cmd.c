/* The QEMU command line and the kernel command line of a VM (pure
 * functions of its config, unit-tested in tests/unit/test-vm.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "netns/netns.h"
#include "vm/vm.h"

struct argv {
	char **v;
	size_t n;
};

static void add(struct argv *a, char *s)
{
	a->v = vz_xrealloc(a->v, (a->n + 2) * sizeof(char *));
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void add2(struct argv *a, const char *opt, char *val)
{
	add(a, vz_xstrdup(opt));
	add(a, val);
}

char **vz_vm_qemu_argv(const struct vz_vm_spec *s)
{
	struct argv a = {0};
	cleanup_free char *throttle = vz_xstrdup("");

	add(&a, vz_xstrdup(s->qemu));
	add2(&a, "-name", vz_strdup_printf("vz-%s,debug-threads=on", s->name));
	add2(&a, "-machine", vz_strdup_printf("q35,accel=%s", s->kvm ? "kvm" : "tcg"));
	if (s->kvm)
		add2(&a, "-cpu", vz_xstrdup("host"));
	add2(&a, "-smp", vz_strdup_printf("%u", s->cpus ? s->cpus : 1));
	add2(&a, "-m", vz_strdup_printf("%u", s->ram_mb));
	/* Nothing the config does not ask for: no default NIC, VGA, floppy. */
	add(&a, vz_xstrdup("-nodefaults"));
	add(&a, vz_xstrdup("-no-user-config"));
	add2(&a, "-display", vz_xstrdup("none"));
	/* A guest reboot ends QEMU like a poweroff; vz starts it again. */
	add(&a, vz_xstrdup("-no-reboot"));
	/* QEMU is unprivileged already (vz drops to VM_USER before exec) and
	 * never needs to fork, exec or change ids: deny all of it. */
	add2(&a, "-sandbox",
	     vz_xstrdup("on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"));
	add2(&a, "-kernel", vz_xstrdup(s->kernel));
	add2(&a, "-initrd", vz_xstrdup(s->initrd));
	add2(&a, "-append", vz_xstrdup(s->append));
	if (s->iolimit) {
		char *t = vz_strdup_printf("%s,throttling.bps-total=%llu", throttle,
					   (unsigned long long)s->iolimit);
		free(throttle);
		throttle = t;
	}
	if (s->iopslimit) {
		char *t = vz_strdup_printf("%s,throttling.iops-total=%llu", throttle,
					   (unsigned long long)s->iopslimit);
		free(throttle);
		throttle = t;
	}
	add2(&a, "-drive",
	     vz_strdup_printf("file=%s,if=none,id=disk0,format=raw,cache=none,aio=threads%s",
			      s->disk, throttle));
	add2(&a, "-device", vz_xstrdup("virtio-blk-pci,drive=disk0,id=vda"));
	for (size_t i = 0; i < s->n_nics; i++) {
		add2(&a, "-netdev",
		     vz_strdup_printf("tap,id=net%zu,fd=%d", i, VZ_VM_TAP_FD0 + (int)i));
		add2(&a, "-device",
		     vz_strdup_printf("virtio-net-pci,netdev=net%zu,mac=%s", i, s->nics[i].mac));
	}
	/* Serial console: a socket for `vzctl console`, everything logged. */
	add2(&a, "-chardev",
	     vz_strdup_printf("socket,id=con0,path=%s/console.sock,server=on,wait=off,"
			      "logfile=%s/console.log,logappend=on",
			      s->run_dir, s->run_dir));
	add2(&a, "-serial", vz_xstrdup("chardev:con0"));
	/* Guest agent channel (vzctl exec). */
	add2(&a, "-chardev",
	     vz_strdup_printf("socket,id=qga0,path=%s/qga.sock,server=on,wait=off", s->run_dir));
	add2(&a, "-device", vz_xstrdup("virtio-serial-pci"));
	add2(&a, "-device", vz_xstrdup("virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"));
	add2(&a, "-qmp", vz_strdup_printf("unix:%s/qmp.sock,server=on,wait=off", s->run_dir));
	add2(&a, "-pidfile", vz_strdup_printf("%s/qemu.pid", s->run_dir));
	if (s->incoming)
		add2(&a, "-incoming", vz_xstrdup("defer"));
	return a.v;
}

static bool strv_has(char **v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

static void strv_add(char ***v, const char *s)
{
	size_t n = 0;

	while ((*v)[n])
		n++;
	*v = vz_xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = vz_xstrdup(s);
	(*v)[n + 1] = NULL;
}

/* "a b c" -> "a,b,c" for one kernel parameter. */
static char *commas(char **v)
{
	cleanup_free char *s = vz_strv_join((const char *const *)v, SIZE_MAX, ",");
	return vz_xstrdup(s);
}

/* An address inside one of the bridge's subnets (BRIDGE_ADDRESS) takes that
 * prefix, and the bridge address becomes a gateway, as for a container NIC;
 * any other address stays a host address on the link. */
static char *guest_addr(const struct vz_global_conf *g, const char *ip, char ***gws)
{
	struct vz_inet a, net;
	char buf[VZ_INET_STRLEN];

	if (!g || strchr(ip, '/') || vz_inet_parse(ip, &a, NULL) < 0)
		return vz_xstrdup(ip);
	for (char **b = g->bridge_address; b && *b; b++) {
		if (vz_inet_parse(*b, &net, NULL) < 0 || !vz_inet_in_subnet(&a, &net))
			continue;
		a.prefix = net.prefix;
		vz_inet_format(&net, buf, false);
		if (!strv_has(*gws, buf))
			strv_add(gws, buf);
		vz_inet_format(&a, buf, true);
		return vz_xstrdup(buf);
	}
	return vz_xstrdup(ip);
}

char *vz_vm_kernel_cmdline(const struct vz_global_conf *g, const struct vz_ct_conf *c)
{
	char *s = vz_xstrdup("console=ttyS0 panic=-1 quiet");
	char *t;
	cleanup_strv char **ips = vz_xcalloc(1, sizeof(char *));
	cleanup_strv char **gws = vz_xcalloc(1, sizeof(char *));

	for (char **ip = c->ip_address; ip && *ip; ip++) {
		char *one = guest_addr(g, *ip, &gws);
		strv_add(&ips, one);
		free(one);
	}

	if (c->hostname) {
		t = vz_strdup_printf("%s vz.hostname=%s", s, c->hostname);
		free(s);
		s = t;
	}
	if (ips[0]) {
		cleanup_free char *v = commas(ips);
		t = vz_strdup_printf("%s vz.ip=%s", s, v);
		free(s);
		s = t;
	}
	if (gws[0]) {
		cleanup_free char *v = commas(gws);
		t = vz_strdup_printf("%s vz.gw=%s", s, v);
		free(s);
		s = t;
	}
	if (c->nameserver && c->nameserver[0]) {
		cleanup_free char *ns = commas(c->nameserver);
		t = vz_strdup_printf("%s vz.ns=%s", s, ns);
		free(s);
		s = t;
	}
	return s;
}

#define DEFAULT_RAM_MB 256
#define MIN_RAM_MB     64

unsigned vz_vm_ram_mb(const struct vz_ct_conf *c)
{
	uint64_t mb;

	if (c->physpages.limit == VZ_UNLIMITED)
		return DEFAULT_RAM_MB;
	mb = c->physpages.limit * VZ_PAGE_SIZE >> 20;
	if (mb < MIN_RAM_MB)
		return MIN_RAM_MB;
	return mb > 1U << 20 ? 1U << 20 : (unsigned)mb;
}

void vz_vm_mac(const struct vz_ct_conf *c, size_t idx, char ret[18])
{
	unsigned long id = strtoul(c->ctid, NULL, 10);

	if (idx < c->n_netif && c->netif[idx].mac) {
		snprintf(ret, 18, "%s", c->netif[idx].mac);
		return;
	}
	/* 02:... is locally administered: never a vendor's address. */
	snprintf(ret, 18, "02:%02lx:%02lx:%02lx:%02lx:%02zx", (id >> 24) & 0xff, (id >> 16) & 0xff,
		 (id >> 8) & 0xff, id & 0xff, idx & 0xff);
}

void vz_vm_tap_name(const struct vz_ct_conf *c, size_t idx, char ret[16])
{
	if (idx < c->n_netif && c->netif[idx].host_ifname) {
		snprintf(ret, 16, "%s", c->netif[idx].host_ifname);
		return;
	}
	snprintf(ret, 16, "vz%.10st%zu", c->ctid, idx % 10);
}
