/* Typed values of vzctl parameters: sizes, barrier:limit pairs, addresses.
 *
 * Pure functions with no I/O; each returns 0 or -1 with a message that says
 * what was expected (the caller adds file, line and key). */
#ifndef VZ_VALUES_H
#define VZ_VALUES_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/error.h"

#define VZ_UNLIMITED UINT64_MAX
#define VZ_PAGE_SIZE 4096ULL

/* barrier:limit, as in vzctl; a single value sets both. */
struct vz_pair {
	uint64_t barrier;
	uint64_t limit;
};

/* Unit a bare number is counted in, and what a K/M/G/T suffix converts to. */
enum vz_size_unit {
	VZ_UNIT_BYTES = 1,
	VZ_UNIT_KB = 1024,    /* DISKSPACE: 1 KiB blocks */
	VZ_UNIT_PAGES = 4096, /* PHYSPAGES, SWAPPAGES */
	VZ_UNIT_COUNT = 0,    /* NUMPROC, DISKINODES: no suffixes */
};

/* "123", "10G", "512M", "unlimited" -> value in @unit (suffixed values are
 * bytes converted to @unit, rounded up).  Overflow is an error. */
VZ_EXPORT int vz_parse_size(const char *s, enum vz_size_unit unit, uint64_t *ret, vz_error *err);
/* "B:L" or "V" (both B and L), each part as vz_parse_size; B <= L. */
VZ_EXPORT int vz_parse_pair(const char *s, enum vz_size_unit unit, struct vz_pair *ret,
			    vz_error *err);
/* Formatting back, canonical: numbers in @unit, "unlimited" for VZ_UNLIMITED. */
VZ_EXPORT char *vz_format_pair(const struct vz_pair *p);

VZ_EXPORT int vz_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *ret, vz_error *err);
/* "yes"/"no" (vzctl); also accepts on/off, true/false, 1/0. */
VZ_EXPORT int vz_parse_bool(const char *s, bool *ret, vz_error *err);
/* IPv4 or IPv6, optionally with "/prefix". */
VZ_EXPORT int vz_parse_ip(const char *s, vz_error *err);
/* RFC 1123 host name (labels of [a-z0-9-], dots, at most 253 chars). */
VZ_EXPORT int vz_parse_hostname(const char *s, vz_error *err);
/* A network interface name the kernel accepts (dev_valid_name). */
VZ_EXPORT int vz_parse_ifname(const char *s, vz_error *err);
/* cpuset list: "all", or comma-separated numbers and ranges "0-3,6"
 * (each number < 4096, ranges ascending). */
VZ_EXPORT int vz_parse_cpulist(const char *s, vz_error *err);
/* Absolute path; "$VEID" may appear. */
int vz_parse_path(const char *s, vz_error *err);
/* Split a blank-separated list into a NULL-terminated vector. */
VZ_EXPORT char **vz_split_words(const char *s);
/* Expand "$VEID" / "${VEID}" in @tmpl. */
VZ_EXPORT char *vz_expand_veid(const char *tmpl, const char *ctid);

/* One NETIF entry: "ifname=eth0,mac=..,host_ifname=..,host_mac=..,bridge=..". */
struct vz_netif {
	char *ifname, *mac, *host_ifname, *host_mac, *bridge;
	uint32_t mtu; /* mtu=: 68..65535; 0 takes the bridge's */
};
/* NETIF="entry;entry".  @ret_n entries returned in @ret (caller frees with
 * vz_netif_free). */
int vz_parse_netif(const char *s, struct vz_netif **ret, size_t *ret_n, vz_error *err);
void vz_netif_free(struct vz_netif *v, size_t n);
int vz_parse_mac(const char *s, vz_error *err);

#endif
