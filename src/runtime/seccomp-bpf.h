/* A container's seccomp filter as a compiled BPF program (seccomp-bpf.c).
 *
 * libseccomp turns the JSON profile into BPF once per container start; the
 * program is kept in the running marker after the profile snapshot, and
 * the init, every exec and every enter install those very instructions
 * with seccomp(2): no recompilation, and exactly the filter the init got. */
#ifndef VZ_SECCOMP_BPF_H
#define VZ_SECCOMP_BPF_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

/* The program is a struct sock_fprog (.filter owned, NULL without a
 * filter), exported by vz_seccomp_export() and loaded with
 * vz_seccomp_load_prog() (security.h), async-signal-safe in a forked child. */

/* The running marker's text: @snapshot (JSON), a NUL, then @p with a
 * header (magic, length, checksum).  Readers that only know the snapshot
 * stop at the NUL.  Returns the buffer (caller frees), its size in
 * *@ret_len. */
char *vz_seccomp_marker_pack(const char *snapshot, const struct sock_fprog *p, size_t *ret_len);

/* The program stored after the snapshot in @buf (@len bytes, as read from
 * the marker).  -1 if there is none or it is damaged (wrong magic, length
 * or checksum): the caller compiles from the snapshot instead. */
int vz_seccomp_marker_unpack(const char *buf, size_t len, struct sock_fprog *ret);

void vz_bpf_prog_release(struct sock_fprog *p);

/* A copy of the program this process compiled from @snapshot before, if
 * it still has it; vz_seccomp_cache_put keeps a copy of @p for @snapshot. */
bool vz_seccomp_cache_get(const char *snapshot, struct sock_fprog *ret);
void vz_seccomp_cache_put(const char *snapshot, const struct sock_fprog *p);

#endif
