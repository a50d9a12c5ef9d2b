/* Scope-bound ownership: cleanup attributes and explicit hand-over.
 *
 * Every cleanup accepts NULL / -1 and is safe to run twice.  Ownership leaves
 * a scope only through steal_pointer() / take_fd(), so a reader sees where it
 * goes. */
#ifndef VZ_CLEANUP_H
#define VZ_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

static inline void vz_freep(void *p)
{
	free(*(void **)p);
	*(void **)p = NULL;
}

static inline void vz_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
	*fd = -1;
}

static inline void vz_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

static inline void vz_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
	*d = NULL;
}

static inline void vz_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static inline void vz_strv_freep(char ***v)
{
	vz_strv_free(*v);
	*v = NULL;
}

#define cleanup_free	 __attribute__((cleanup(vz_freep)))
#define cleanup_close	 __attribute__((cleanup(vz_closep)))
#define cleanup_fclose	 __attribute__((cleanup(vz_fclosep)))
#define cleanup_closedir __attribute__((cleanup(vz_closedirp)))
#define cleanup_strv	 __attribute__((cleanup(vz_strv_freep)))

static inline void *vz_steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp)))vz_steal_ptr(pp))

static inline int take_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#define VZ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
