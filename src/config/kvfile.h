/* vzctl-style KEY="value" files, kept line for line.
 *
 * The file is held as its lines: comments, blank lines, ordering and keys vz
 * does not know survive a load/modify/save cycle unchanged; only the lines
 * whose value was set are rewritten. */
#ifndef VZ_KVFILE_H
#define VZ_KVFILE_H

#include <stddef.h>

#include "lib/error.h"

struct vz_kv_line {
	char *raw;   /* the line as read or last written, without '\n' */
	char *key;   /* NULL for comments and blank lines */
	char *value; /* unquoted, unescaped */
	unsigned lineno;
};

struct vz_kvfile {
	char *path; /* for messages; may be "<memory>" */
	struct vz_kv_line *lines;
	size_t n_lines;
};

/* Parse @text; a malformed line fails with "PATH:LINE: ..." and code
 * VZ_INVALID_PARAMETER_SYNTAX. */
VZ_EXPORT int vz_kvfile_parse(const char *path, const char *text, struct vz_kvfile **ret,
			      vz_error *err);
VZ_EXPORT int vz_kvfile_load(const char *path, struct vz_kvfile **ret, vz_error *err);
VZ_EXPORT struct vz_kvfile *vz_kvfile_new(const char *path);
VZ_EXPORT void vz_kvfile_free(struct vz_kvfile *kv);

/* The value of the last assignment of @key (as the shell would see it). */
VZ_EXPORT const char *vz_kvfile_get(const struct vz_kvfile *kv, const char *key);
/* Line number of that assignment, 0 if absent. */
unsigned vz_kvfile_lineno(const struct vz_kvfile *kv, const char *key);

/* Set @key: rewrite its last line in place, or append a line.  @value NULL
 * removes every assignment of @key.  The file is line based: @key must be a
 * valid name and @value must not contain a newline (callers validate, as
 * vz_ct_conf_set does), or the saved file will not parse. */
VZ_EXPORT void vz_kvfile_set(struct vz_kvfile *kv, const char *key, const char *value);

/* Deep copy, e.g. to undo a change. */
struct vz_kvfile *vz_kvfile_dup(const struct vz_kvfile *kv);

/* Serialize (caller frees) and save atomically. */
VZ_EXPORT char *vz_kvfile_format(const struct vz_kvfile *kv);
VZ_EXPORT int vz_kvfile_save(const struct vz_kvfile *kv, const char *path, vz_error *err);

static inline void vz_kvfile_freep(struct vz_kvfile **kv)
{
	vz_kvfile_free(*kv);
	*kv = NULL;
}
#define cleanup_kvfile __attribute__((cleanup(vz_kvfile_freep)))

#endif
