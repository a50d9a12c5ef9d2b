/* Virtual machines: the QEMU backend behind the same commands as containers.
 *
 * A VM is a CTID whose CTID.conf says VMTYPE="vm".  Its private area holds
 * one disk image (VE_PRIVATE/root.img, raw ext4 made from the OS template);
 * the kernel and initramfs come from the host's VM kit ($TEMPLATE/vm, built
 * by templates/vm/mkkit.sh).  QEMU runs as the unprivileged VM_USER under
 * -sandbox, in the CTID's cgroup, detached from vzd; everything about a
 * running VM is found again from VZ_RUN_DIR/CTID.vm/ (pidfile, QMP socket,
 * guest agent socket, serial console socket and log), so a restarted vzd
 * sees it like a container. */
#ifndef VZ_VM_H
#define VZ_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/conf.h"
#include "lib/error.h"
#include "runtime/container.h"

/* Whether @c describes a VM (VMTYPE="vm"). */
VZ_EXPORT bool vz_conf_is_vm(const struct vz_ct_conf *c);

/* ---- what the command line is made of (pure; qemu-cmd.c) -------------- */

struct vz_vm_nic {
	char ifname[16]; /* host tap device */
	char mac[18];	 /* guest MAC */
	int fd;		 /* open tap queue, handed to QEMU (vz opens /dev/net/tun) */
};

/* QEMU gets NIC i's tap as descriptor VZ_VM_TAP_FD0 + i: /dev/net/tun is
 * root-only on many hosts, and QEMU needs no right to it this way. */
#define VZ_VM_TAP_FD0 3

struct vz_vm_spec {
	const char *name;   /* CTID */
	const char *qemu;   /* qemu-system-x86_64 binary */
	bool kvm;	    /* -accel kvm, else tcg */
	unsigned cpus;	    /* vCPUs, >= 1 */
	unsigned ram_mb;    /* guest RAM */
	const char *kernel; /* kit's vmlinuz */
	const char *initrd; /* kit's initrd.img */
	const char *append; /* kernel command line (vz_vm_kernel_cmdline) */
	const char *disk;   /* raw image */
	uint64_t iolimit;   /* bytes/s, 0 = none */
	uint64_t iopslimit; /* operations/s, 0 = none */
	const struct vz_vm_nic *nics;
	size_t n_nics;
	const char *run_dir; /* VZ_RUN_DIR/CTID.vm: sockets, pidfile, logs */
	bool incoming;	     /* -incoming defer: wait for a migration stream */
};

/* argv for QEMU (NULL-terminated; free with vz_strv_free). */
char **vz_vm_qemu_argv(const struct vz_vm_spec *s);
/* The kernel command line carrying HOSTNAME, IP_ADDRESS and NAMESERVER to
 * the kit's initramfs (vz.hostname=, vz.ip=, vz.ns=; addresses in a
 * BRIDGE_ADDRESS subnet of @g (may be NULL) get its prefix and vz.gw=).
 * Caller frees. */
char *vz_vm_kernel_cmdline(const struct vz_global_conf *g, const struct vz_ct_conf *c);
/* Guest RAM: PHYSPAGES's limit (vzctl --ram), 256 MiB when unlimited. */
unsigned vz_vm_ram_mb(const struct vz_ct_conf *c);
/* The guest MAC of NIC @idx: NETIF's mac if given, else one derived from the
 * CTID (locally administered, so it never collides with real hardware). */
void vz_vm_mac(const struct vz_ct_conf *c, size_t idx, char ret[18]);
/* Host tap name of NIC @idx: NETIF's host_ifname if given, else vzCTIDtN. */
void vz_vm_tap_name(const struct vz_ct_conf *c, size_t idx, char ret[16]);

/* ---- paths ---------------------------------------------------------- */

/* VZ_RUN_DIR/CTID.vm and files in it; caller frees. */
char *vz_vm_run_dir(const struct vz_global_conf *g, const char *ctid);
char *vz_vm_run_file(const struct vz_global_conf *g, const char *ctid, const char *name);
/* VE_PRIVATE/root.img */
char *vz_vm_disk_path(const struct vz_ct_conf *c);
/* $TEMPLATE/vm: the kit (vmlinuz, initrd.img, guest/). */
char *vz_vm_kit_dir(const struct vz_global_conf *g);

/* ---- disk image (image.c) ------------------------------------------- */

/* Turn the unpacked template tree in @c's VE_PRIVATE into VE_PRIVATE/root.img
 * (ext4 made with mkfs.ext4 -d, no loop mount), with the kit's guest files
 * added.  Size: DISKSPACE's limit, else 2 GiB (sparse). */
int vz_vm_image_create(const struct vz_global_conf *g, const struct vz_ct_conf *c, vz_error *err);
/* Grow the image of a stopped VM to @bytes and its file system with it. */
int vz_vm_image_grow(const char *disk, uint64_t bytes, vz_error *err);
/* The image size DISKSPACE asks for (bytes). */
uint64_t vz_vm_disk_bytes(const struct vz_ct_conf *c);

/* ---- host tap devices (tap.c) ---------------------------------------- */

/* Create persistent tap @name owned by @uid (an existing one is reused);
 * the networking layer puts it on the bridge. */
int vz_tap_create(const char *name, uid_t uid, gid_t gid, vz_error *err);
/* Open a queue of existing tap @name (O_CLOEXEC) for QEMU. */
int vz_tap_open(const char *name, int *ret_fd, vz_error *err);
/* Delete tap @name; absent is fine. */
int vz_tap_delete(const char *name, vz_error *err);

/* ---- acceleration (accel.c) ------------------------------------------ */

struct vz_vm_accel {
	bool kvm;	  /* use -accel kvm */
	char notice[256]; /* why not, when not (for status and the log) */
};
/* KVM when /dev/kvm boots the kit's kernel to its probe point within
 * VM_PROBE_TIMEOUT, TCG otherwise.  VM_ACCEL=kvm/tcg forces it.  The answer
 * is cached in VZ_RUN_DIR/vm-accel (one probe per boot and instance). */
int vz_vm_accel_get(const struct vz_global_conf *g, struct vz_vm_accel *ret, vz_error *err);

/* ---- lifecycle (vm.c) ------------------------------------------------ */

VZ_EXPORT int vz_vm_start(const struct vz_global_conf *g, const char *ctid, vz_error *err);
/* Start; with @incoming, QEMU waits for a migration (see migrate.c). */
int vz_vm_start_mode(const struct vz_global_conf *g, const char *ctid, bool incoming,
		     vz_error *err);
/* ACPI power-down, wait @o->timeout_s (STOP_TIMEOUT), then quit/kill. */
VZ_EXPORT int vz_vm_stop(const struct vz_global_conf *g, const char *ctid,
			 const struct vz_stop_opts *o, vz_error *err);
/* QMP stop / cont. */
VZ_EXPORT int vz_vm_suspend(const struct vz_global_conf *g, const char *ctid, vz_error *err);
VZ_EXPORT int vz_vm_resume(const struct vz_global_conf *g, const char *ctid, vz_error *err);
/* The pid of the VM's running QEMU, 0 if none (no config needed). */
VZ_EXPORT pid_t vz_vm_qemu_pid(const struct vz_global_conf *g, const char *ctid);
/* Container-style status (running = QEMU alive; nproc = 1 then). */
VZ_EXPORT int vz_vm_status_of(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			      struct vz_ct_status *ret, vz_error *err);

struct vz_vm_info {
	pid_t qemu_pid;	  /* 0 if not running */
	bool paused;	  /* QMP query-status says paused */
	char accel[8];	  /* "kvm" / "tcg" of the running QEMU */
	char notice[256]; /* acceleration notice, "" if none */
	char state[32];	  /* QMP status, e.g. "running", "paused" */
};
VZ_EXPORT int vz_vm_info(const struct vz_global_conf *g, const char *ctid, struct vz_vm_info *ret,
			 vz_error *err);
/* Remove what a VM that ended left (taps, run dir, cgroup).  Idempotent. */
VZ_EXPORT int vz_vm_cleanup_stopped(const struct vz_global_conf *g, const struct vz_ct_conf *c,
				    vz_error *err);
/* vzctl set on a VM, after @c took the new values: IOLIMIT/IOPSLIMIT apply
 * live (block_set_io_throttle), DISKSPACE growth live (block_resize, then
 * resize2fs in the guest through the agent) or offline (the image and its
 * file system); *@ret_pending when some keys only apply at the next start
 * (CPUS, RAM, network, host name). */
int vz_vm_set(const struct vz_global_conf *g, const struct vz_ct_conf *c,
	      const struct vz_param *params, size_t n, bool running, bool *ret_pending,
	      vz_error *err);

/* ---- live migration, QEMU side (migrate.c) ---------------------------- */

/* Destination: make an empty sparse disk image of @disk_bytes (the
 * source's size) unless there is one, start the VM (its CTID.conf is already
 * here) in -incoming defer mode and export its
 * disk over NBD on the unix socket VZ_RUN_DIR/CTID.vm/nbd.sock, for the
 * source's block mirror.  *@ret_nbd_path names the socket (caller frees). */
int vz_vm_migrate_prepare(const struct vz_global_conf *g, const char *ctid, uint64_t disk_bytes,
			  char **ret_nbd_path, vz_error *err);
/* Destination: take the migration stream from @fd (connected to the
 * source's QEMU through vz's transport). */
int vz_vm_migrate_incoming(const struct vz_global_conf *g, const char *ctid, int fd, vz_error *err);
/* Destination: wait until the guest runs here, then stop the NBD export and
 * announce the guest's NICs (announce-self). */
int vz_vm_migrate_finish(const struct vz_global_conf *g, const char *ctid, int timeout_ms,
			 vz_error *err);
/* Source: mirror the disk to the destination's NBD export at @nbd_path,
 * and once the mirror is in sync send memory and device state over
 * @stream_fd; on success QEMU is stopped and its host resources released.
 * On any failure the mirror and migration are cancelled and the VM keeps
 * running here.  *@ret_downtime_ms (may be NULL): QEMU's downtime. */
int vz_vm_migrate_send(const struct vz_global_conf *g, const char *ctid, const char *nbd_path,
		       int stream_fd, int timeout_ms, uint64_t *ret_downtime_ms, vz_error *err);

/* ---- inside the guest (agent.c, console) ----------------------------- */

/* Run @argv in the guest through the QEMU guest agent; its output goes to
 * @stdio[1]/@stdio[2], @stdio[0] is passed as input when it is a file or
 * pipe.  *@ret_code is the command's exit status. */
VZ_EXPORT int vz_vm_exec(const struct vz_global_conf *g, const char *ctid, char *const *argv,
			 const int stdio[3], int *ret_code, vz_error *err);
/* The same, waiting at most @agent_wait_ms for the agent to answer. */
int vz_vm_exec_wait(const struct vz_global_conf *g, const char *ctid, char *const *argv,
		    const int stdio[3], int agent_wait_ms, int *ret_code, vz_error *err);
/* A connection to the VM's serial console (QEMU holds one at a time). */
VZ_EXPORT int vz_vm_console_open(const struct vz_global_conf *g, const char *ctid, int *ret_fd,
				 vz_error *err);

#endif
