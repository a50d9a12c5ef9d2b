/* The OS template cache: TEMPLATE/cache/NAME.tar.gz (see storage.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/container.h"
#include "storage/storage.h"

#define TEMPLATE_SUFFIX ".tar.gz"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vz_template_list(const struct vz_global_conf *g, char ***ret, vz_error *err)
{
	cleanup_free char *dir = vz_template_cache_dir(g);
	cleanup_closedir DIR *d = opendir(dir);
	char **v = vz_xcalloc(1, sizeof(char *));
	size_t n = 0, slen = strlen(TEMPLATE_SUFFIX);
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT) {
			*ret = v;
			return 0;
		}
		free(v);
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "list templates in `%s`", dir);
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= slen ||
		    strcmp(de->d_name + len - slen, TEMPLATE_SUFFIX))
			continue;
		v = vz_xrealloc(v, (n + 2) * sizeof(char *));
		v[n] = strndup(de->d_name, len - slen);
		if (!v[n])
			abort();
		v[++n] = NULL;
	}
	qsort(v, n, sizeof(char *), name_cmp);
	*ret = v;
	return 0;
}

int vz_template_resolve(const struct vz_global_conf *g, const char *name, char **ret, vz_error *err)
{
	cleanup_free char *dir = vz_template_cache_dir(g);
	cleanup_free char *path = NULL;
	cleanup_strv char **names = NULL;
	cleanup_free char *list = NULL;

	if (!*name || strchr(name, '/') || name[0] == '.')
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "invalid template name `%s`", name);
	path = vz_strdup_printf("%s/%s%s", dir, name, TEMPLATE_SUFFIX);
	if (vz_path_exists(path)) {
		*ret = steal_pointer(&path);
		return 0;
	}
	if (vz_template_list(g, &names, err) < 0)
		return -1;
	list = vz_strv_join((const char *const *)names, SIZE_MAX, ", ");
	return vz_fail(err, VZ_OSTEMPLATE_NOT_FOUND,
		       "OS template `%s` not found in `%s`; available: %s%s", name, dir,
		       names[0] ? list : "none",
		       names[0] ? "" : " (build one with vz-mktemplate busybox)");
}
