/* Typed global (vz.conf) and per-container (CTID.conf) configuration.
 *
 * Each key is parsed once, through a table, into a typed field; nothing
 * downstream reads raw strings.  The kvfile is kept beside the struct so that
 * writing back preserves comments, ordering and unknown keys. */
#ifndef VZ_CONF_H
#define VZ_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "config/kvfile.h"
#include "config/values.h"

#define VZ_DEFAULT_CONF "/etc/vz/vz.conf"
#define VZ_CONF_ENV	"VZ_CONF"

/* vz.conf: the state root.  Every path vz uses derives from here. */
struct vz_global_conf {
	char *path;		 /* the vz.conf this came from */
	char *conf_dir;		 /* CONF_DIR: CTID.conf files, ve-NAME.conf-sample */
	char *ve_root;		 /* VE_ROOT template, with $VEID */
	char *ve_private;	 /* VE_PRIVATE template, with $VEID */
	char *template_dir;	 /* TEMPLATE: OS templates live in $TEMPLATE/cache */
	char *dump_dir;		 /* DUMPDIR: checkpoint images */
	char *lock_dir;		 /* LOCKDIR: per-container lock files */
	char *run_dir;		 /* VZ_RUN_DIR: runtime state (tmpfs) */
	char *socket_path;	 /* VZD_SOCKET */
	char *cgroup_root;	 /* CGROUP_ROOT: where cgroupfs is mounted */
	char *cgroup_parent;	 /* CGROUP_PARENT: containers' parent cgroup name */
	uint32_t cgroup_version; /* CGROUP_VERSION: 0 = detect, 1, 2 */
	char *def_ostemplate;	 /* DEF_OSTEMPLATE */
	char *configfile;	 /* CONFIGFILE: default sample for create */
	uint32_t userns_base;	 /* USERNS_BASE: host id of CTID 0's range */
	uint32_t userns_size;	 /* USERNS_SIZE: ids per container */
	uint32_t stop_timeout;	 /* STOP_TIMEOUT: seconds before a stop kills */
	uint32_t lock_timeout;	 /* LOCK_TIMEOUT: seconds to wait for a busy container */
	char *bridge;		 /* VZ_BRIDGE */
	char *seccomp_profile;	 /* SECCOMP_PROFILE: the default seccomp profile (JSON) */
	char *vzd_group;	 /* VZD_GROUP: group allowed on vzd's socket besides root */
	char **bridge_address;	 /* BRIDGE_ADDRESS: the bridge's own v4 and/or v6 CIDR */
	bool bridge_nat;	 /* BRIDGE_NAT: masquerade the bridge's IPv4 subnet */
	char **neighbour_devs;	 /* NEIGHBOUR_DEVS: proxy ARP/NDP for routed addresses */
	bool virt_sysinfo;	 /* VIRT_SYSINFO: container sysinfo() via seccomp notify */
	char *lxcfs_dir;	 /* LXCFS_DIR: where lxcfs is mounted */
	char *criu;		 /* CRIU: the criu binary (or its wrapper) */
	char *migrate_ssh;	 /* MIGRATE_SSH: ssh command line to reach a destination */
	char *qemu;		 /* QEMU: qemu-system binary for VMs */
	char *vm_user;		 /* VM_USER: the unprivileged user QEMU runs as */
	char *vm_accel;		 /* VM_ACCEL: auto, kvm or tcg */
	uint32_t vm_probe_timeout; /* VM_PROBE_TIMEOUT: seconds for the KVM probe */
	struct vz_kvfile *kv;
};

/* CTID.conf.  `set_mask` tells which keys the file assigns (by table index). */
struct vz_ct_conf {
	char *ctid;
	char *path;
	char *ve_root;	  /* expanded */
	char *ve_private; /* expanded */
	char *ostemplate;
	bool onboot;
	bool disabled;
	char *hostname;
	char **ip_address;
	struct vz_netif *netif;
	size_t n_netif;
	char **nameserver;
	char **searchdomain;
	char *description;
	uint32_t cpuunits;
	uint32_t cpulimit;
	uint32_t cpus;
	struct vz_pair physpages;
	struct vz_pair swappages;
	struct vz_pair numproc;
	struct vz_pair diskspace;
	struct vz_pair diskinodes;
	uint32_t local_uid;
	uint32_t local_gid;
	bool privileged; /* PRIVILEGED="yes": no user namespace (explicit only) */
	char **capability;     /* CAPABILITY: NAME:on|off, adjusts the bounding set */
	char **features;       /* FEATURES: NAME:on|off, seccomp feature switches */
	char **devices;	       /* DEVICES: c|b:MAJOR:MINOR:ACCESS device-cgroup grants */
	char **devnodes;       /* DEVNODES: NAME:ACCESS host /dev nodes bound in */
	char *seccomp_profile; /* SECCOMP_PROFILE: a profile name or path (NULL: vz.conf's) */
	bool no_new_privs;     /* NO_NEW_PRIVS: set no_new_privs on init and exec'd processes */
	bool mac_filter; /* MAC_FILTER: anti-spoofing rules on the NICs (default yes) */
	char *cpumask;	    /* CPUMASK: cpuset CPU list, NULL or "all": every CPU */
	char *nodemask;	    /* NODEMASK: cpuset memory nodes, NULL or "all": every node */
	uint32_t ioprio;    /* IOPRIO: 0..7, I/O weight (4 normal) */
	uint64_t iolimit;   /* IOLIMIT: bytes/s on the private area's disk, 0: none */
	uint32_t iopslimit; /* IOPSLIMIT: ops/s on the private area's disk, 0: none */
	char *ve_layout;    /* VE_LAYOUT: "simfs" (directory) or "image" (loop image) */
	char *vmtype;	    /* VMTYPE: "vm" for a QEMU virtual machine, else a container */
	uint64_t set_mask;
	struct vz_kvfile *kv;
	/* What the fields above inherit from vz.conf, copied so that
	 * vz_ct_conf_set can re-derive them without it.  Private to conf.c. */
	char *inherit_ve_root;	  /* vz.conf's VE_ROOT template */
	char *inherit_ve_private; /* vz.conf's VE_PRIVATE template */
	uint32_t userns_base, userns_size;
};

/* Load vz.conf from @path, or $VZ_CONF, or /etc/vz/vz.conf (in that order).
 * Missing keys take the built-in defaults; a missing file is VZ_NOCONFIG. */
VZ_EXPORT int vz_global_conf_load(const char *path, struct vz_global_conf **ret, vz_error *err);
VZ_EXPORT void vz_global_conf_free(struct vz_global_conf *g);
/* Parse from text (for tests and fuzzing); @path names it in messages. */
int vz_global_conf_parse(const char *path, const char *text, struct vz_global_conf **ret,
			 vz_error *err);

/* Path helpers, all derived from the state root. */
VZ_EXPORT char *vz_ct_conf_path(const struct vz_global_conf *g, const char *ctid);
VZ_EXPORT char *vz_sample_conf_path(const struct vz_global_conf *g, const char *name);
VZ_EXPORT char *vz_template_cache_dir(const struct vz_global_conf *g);

/* Load CTID.conf; unknown CTID is VZ_CT_NOT_EXIST.  Values not in the file
 * come from vz.conf (VE_ROOT, VE_PRIVATE) or defaults.  Unless PRIVILEGED,
 * the user id range LOCAL_UID (default USERNS_BASE + CTID * USERNS_SIZE)
 * plus USERNS_SIZE ids must fit in 32 bits, and likewise LOCAL_GID. */
VZ_EXPORT int vz_ct_conf_load(const struct vz_global_conf *g, const char *ctid,
			      struct vz_ct_conf **ret, vz_error *err);
int vz_ct_conf_parse(const struct vz_global_conf *g, const char *ctid, const char *path,
		     const char *text, struct vz_ct_conf **ret, vz_error *err);
VZ_EXPORT void vz_ct_conf_free(struct vz_ct_conf *c);

/* Validate @value for @key, store it in @c's kvfile and re-derive the typed
 * fields (NULL removes the key: the default comes back).  Unknown keys are
 * refused (VZ_INVALID_PARAMETER_SYNTAX) so a typo on the command line is
 * caught; unknown keys already in a file are kept.  On failure neither the
 * kvfile nor the typed fields change. */
VZ_EXPORT int vz_ct_conf_set(struct vz_ct_conf *c, const char *key, const char *value,
			     vz_error *err);
VZ_EXPORT int vz_ct_conf_save(const struct vz_ct_conf *c, vz_error *err);
/* Whether @key is a known CTID.conf key. */
VZ_EXPORT bool vz_ct_conf_key_known(const char *key);

static inline void vz_ct_conf_freep(struct vz_ct_conf **c)
{
	vz_ct_conf_free(*c);
	*c = NULL;
}
static inline void vz_global_conf_freep(struct vz_global_conf **g)
{
	vz_global_conf_free(*g);
	*g = NULL;
}
#define cleanup_ct_conf	    __attribute__((cleanup(vz_ct_conf_freep)))
#define cleanup_global_conf __attribute__((cleanup(vz_global_conf_freep)))

#endif
