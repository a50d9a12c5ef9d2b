/* Recovery after a crash of vzd: the part of vz_reconcile that finishes or
 * undoes multi-step operations on the state root.
 *
 * Every multi-step operation has one commit point (see README.md,
 * "Reliability guarantees"): a create commits when CTID.conf appears, a
 * destroy when CTID.conf becomes CTID.conf.destroyed, a config change when
 * the temporary file is renamed over CTID.conf.  What a crash leaves before
 * a commit point is rolled back here; after it, rolled forward (destroy, in
 * stop.c, and the cleanup of stopped containers). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/internal.h"

typedef void (*report_fn)(void *data, const char *ctid, const vz_error *err);

/* @name is "CTID@suffix" with a valid CTID: copy the CTID to @ctid. */
static bool ctid_with_suffix(const char *name, const char *suffix, char ctid[32])
{
	size_t len = strlen(name), slen = strlen(suffix);

	if (len <= slen || len - slen >= 32 || strcmp(name + len - slen, suffix) != 0)
		return false;
	memcpy(ctid, name, len - slen);
	ctid[len - slen] = '\0';
	return vz_ctid_valid(ctid);
}

static void rollback_creates(const struct vz_global_conf *g, report_fn report, void *data)
{
	cleanup_closedir DIR *d = opendir(g->conf_dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char ctid[32];
		vz_error e = {0};

		if (ctid_with_suffix(de->d_name, ".conf.creating", ctid) &&
		    vz_ct_create_rollback(g, ctid, &e) < 0 && report)
			report(data, ctid, &e);
	}
}

/* vz_write_file_atomic's temporary files are NAME.tmp.XXXXXX: a crash
 * between their creation and the rename leaves one, and the file it was
 * meant to replace is still whole. */
static bool is_atomic_tmp(const char *name)
{
	const char *t = strstr(name, ".tmp.");

	return t && t != name && strlen(t + 5) == 6 && !strchr(t + 5, '.');
}

static void remove_tmp_files(const char *dir, report_fn report, void *data)
{
	cleanup_closedir DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		vz_error e = {0};

		if (!is_atomic_tmp(de->d_name) || unlinkat(dirfd(d), de->d_name, 0) == 0 ||
		    errno == ENOENT)
			continue;
		vz_fail_errno(&e, VZ_SYSTEM_ERROR, "remove `%s/%s`", dir, de->d_name);
		if (report)
			report(data, NULL, &e);
	}
}

/* A vzd killed while it held a container lock leaves the lock file; for a
 * container that no longer exists nobody else would remove it.  At start-up
 * no request runs yet, so no one holds or waits for these locks. */
static void remove_stale_locks(const struct vz_global_conf *g)
{
	cleanup_closedir DIR *d = opendir(g->lock_dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		cleanup_free char *conf = NULL;
		char ctid[32];

		if (!ctid_with_suffix(de->d_name, ".lck", ctid))
			continue;
		conf = vz_ct_conf_path(g, ctid);
		if (!vz_path_exists(conf))
			unlinkat(dirfd(d), de->d_name, 0);
	}
}

void ct_recover_interrupted(const struct vz_global_conf *g, report_fn report, void *data)
{
	remove_tmp_files(g->conf_dir, report, data);
	remove_tmp_files(g->run_dir, report, data);
	rollback_creates(g, report, data);
	remove_stale_locks(g);
}
