/* User-namespace id maps: container ids 0..size-1 -> host base..base+size-1. */
#ifndef VZ_IDMAP_H
#define VZ_IDMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/error.h"

struct vz_idmap {
	uint32_t host_uid; /* LOCAL_UID: host uid of container root */
	uint32_t host_gid; /* LOCAL_GID */
	uint32_t size;	   /* ids mapped (USERNS_SIZE) */
};

/* Refuse ranges that wrap around 2^32 or include host root. */
int vz_idmap_validate(const struct vz_idmap *m, vz_error *err);

/* The text written to /proc/PID/uid_map (or gid_map): "0 BASE SIZE\n". */
int vz_idmap_format(uint32_t host_base, uint32_t size, char *buf, size_t buflen);

/* Host id of container id @ct_id, or (uint32_t)-1 if outside the range. */
uint32_t vz_idmap_to_host(uint32_t host_base, uint32_t size, uint32_t ct_id);

/* Write uid_map and gid_map of @pid. */
int vz_idmap_write(pid_t pid, const struct vz_idmap *m, vz_error *err);

/* Shift ownership of every file under @dirfd's tree from container ids to
 * host ids (files extracted as host root from a template), keeping setuid
 * and setgid bits.  Does not cross mount points or follow symlinks. */
int vz_idmap_shift_tree(const char *path, const struct vz_idmap *m, vz_error *err);

#endif
