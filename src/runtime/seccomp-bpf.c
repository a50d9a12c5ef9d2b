/* The compiled seccomp program of a container (see seccomp-bpf.h): export
 * from libseccomp, store after the profile snapshot in the running marker,
 * read back with its integrity checked (export and load: seccomp.c).
 *
 * Stored layout after the snapshot's NUL (host byte order: the marker
 * never leaves this host; migration carries the config, not the marker):
 *   char     magic[8]   "VZBPF\0\0\1"
 *   uint64_t count      instructions, 1..BPF_MAXINSNS
 *   uint64_t checksum   FNV-1a 64 over the instructions
 *   struct sock_filter  insns[count]
 * Anything else (an empty marker written by a restore, a marker of an older
 * vz, a torn or edited file) is "no program", and the caller compiles. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "runtime/seccomp-bpf.h"

static const char magic[8] = {'V', 'Z', 'B', 'P', 'F', 0, 0, 1};

struct header {
	char magic[8];
	uint64_t count;
	uint64_t checksum;
};

static uint64_t fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

char *vz_seccomp_marker_pack(const char *snapshot, const struct sock_fprog *p, size_t *ret_len)
{
	size_t slen = strlen(snapshot) + 1, plen = (size_t)p->len * sizeof(*p->filter);
	struct header h = {.count = p->len, .checksum = fnv1a(p->filter, plen)};
	char *buf = vz_xcalloc(1, slen + sizeof(h) + plen);

	if (!p->filter) { /* no filter: the snapshot alone */
		memcpy(buf, snapshot, slen);
		*ret_len = slen - 1;
		return buf;
	}
	memcpy(h.magic, magic, sizeof(magic));
	memcpy(buf, snapshot, slen);
	memcpy(buf + slen, &h, sizeof(h));
	memcpy(buf + slen + sizeof(h), p->filter, plen);
	*ret_len = slen + sizeof(h) + plen;
	return buf;
}

int vz_seccomp_marker_unpack(const char *buf, size_t len, struct sock_fprog *ret)
{
	const char *nul = memchr(buf, '\0', len);
	struct header h;
	size_t off, plen;

	if (!nul)
		return -1;
	off = (size_t)(nul - buf) + 1;
	if (len - off < sizeof(h))
		return -1;
	memcpy(&h, buf + off, sizeof(h));
	off += sizeof(h);
	if (memcmp(h.magic, magic, sizeof(magic)) || h.count == 0 || h.count > BPF_MAXINSNS)
		return -1;
	plen = h.count * sizeof(*ret->filter);
	if (len - off != plen || fnv1a(buf + off, plen) != h.checksum)
		return -1;
	ret->filter = vz_xcalloc(h.count, sizeof(*ret->filter));
	memcpy(ret->filter, buf + off, plen);
	ret->len = (unsigned short)h.count;
	return 0;
}

void vz_bpf_prog_release(struct sock_fprog *p)
{
	free(p->filter);
	*p = (struct sock_fprog){0};
}

/* ---- programs already compiled by this process --------------------------- */

/* The program depends on the snapshot text alone (profile, features; the
 * architecture is this host's), so vzd compiles each snapshot once: a
 * start then copies the instructions instead of running libseccomp
 * (milliseconds of CPU).  A few entries: hosts use one profile or two. */
#define CACHE_SLOTS 4

static struct {
	pthread_mutex_t lock;
	struct {
		char *snapshot;
		struct sock_fprog prog;
	} slot[CACHE_SLOTS];
	unsigned next; /* the slot replaced next (round robin) */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct sock_fprog prog_copy(const struct sock_fprog *p)
{
	struct sock_fprog c = {.len = p->len};

	if (p->filter) {
		c.filter = vz_xcalloc(p->len, sizeof(*p->filter));
		memcpy(c.filter, p->filter, p->len * sizeof(*p->filter));
	}
	return c;
}

bool vz_seccomp_cache_get(const char *snapshot, struct sock_fprog *ret)
{
	bool found = false;

	pthread_mutex_lock(&cache.lock);
	for (unsigned i = 0; i < CACHE_SLOTS && !found; i++) {
		if (cache.slot[i].snapshot && !strcmp(cache.slot[i].snapshot, snapshot)) {
			*ret = prog_copy(&cache.slot[i].prog);
			found = true;
		}
	}
	pthread_mutex_unlock(&cache.lock);
	return found;
}

void vz_seccomp_cache_put(const char *snapshot, const struct sock_fprog *p)
{
	char *copy = vz_xstrdup(snapshot);
	struct sock_fprog prog = prog_copy(p);
	unsigned i;

	pthread_mutex_lock(&cache.lock);
	i = cache.next++ % CACHE_SLOTS;
	free(cache.slot[i].snapshot);
	vz_bpf_prog_release(&cache.slot[i].prog);
	cache.slot[i].snapshot = copy;
	cache.slot[i].prog = prog;
	pthread_mutex_unlock(&cache.lock);
}
