/* Migration, destination side: one incoming container per channel.
 *
 * Nothing is visible under the final names until the container is complete:
 * the private area arrives in VE_PRIVATE.migrating, images in
 * DUMPDIR/CTID.incoming; "start"/"restore" renames the area, writes the
 * config and brings the container up; only "commit" makes it stay.  A lost
 * channel, an "abort" or any error undoes everything (with keep_dst the
 * copied private area stays, without config, for a faster retry). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "config/kvfile.h"
#include "config/values.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/migrate-lazy.h"
#include "migrate/migrate-vm.h"
#include "migrate/migrate.h"
#include "migrate/netif.h"
#include "migrate/transport.h"
#include "storage/storage.h"
#include "vm/backend.h"
#include "vm/vm.h"

/* Failure injection for the tests (VZ_MIGRATE_FAULT in vzd's environment):
 * "kill:OP" kills vzd, "fail:OP" fails and "sleep:OP" stalls 5 s when
 * request OP (hello, fs, images, start, restore, vm_prepare, vm_stream,
 * commit) arrives, or at "pages": a post-copy restore returned and the
 * memory is still coming (lazy.c). */
int mig_fault(const char *op, vz_error *err)
{
	const char *f = getenv("VZ_MIGRATE_FAULT"), *colon = f ? strchr(f, ':') : NULL;

	if (!colon || strcmp(colon + 1, op))
		return 0;
	if (!strncmp(f, "kill:", 5))
		kill(getpid(), SIGKILL);
	if (!strncmp(f, "sleep:", 6))
		sleep(5);
	if (!strncmp(f, "fail:", 5))
		return vz_fail(err, strcmp(op, "restore") ? VZ_SYSTEM_ERROR : VZ_RESTORE_ERROR,
			       "injected failure at %s", op);
	return 0;
}

struct receiver {
	const struct vz_global_conf *g;
	struct mig_chan chan;
	json_t *hello;
	const char *ctid; /* the CTID here */
	char *private_dir, *partial, *dumpdir, *marker;
	bool created, keep_dst;
	bool owned;	      /* post-copy: every page arrived, the container stays here */
	uint64_t restored_ms; /* post-copy: the restore took this long */
	int lock_fd;
};

static int reply_ok(struct receiver *r, json_t *extra, vz_error *err)
{
	json_t *m = extra ? extra : json_object();
	json_object_set_new(m, "ok", json_true());
	return mig_send_json(&r->chan, m, err);
}

static void reply_error(struct receiver *r, const vz_error *e)
{
	mig_send_json(&r->chan,
		      json_pack("{s:b, s:i, s:s}", "ok", 0, "code", e->code ? e->code : 1, "error",
				e->msg[0] ? e->msg : "failed"),
		      NULL);
}

static bool ip_in_use(const struct vz_global_conf *g, const char *ctid, const char *ip)
{
	cleanup_strv char **ids = NULL;

	if (vz_ct_list(g, &ids, NULL) < 0)
		return false;
	for (char **id = ids; *id; id++) {
		cleanup_ct_conf struct vz_ct_conf *c = NULL;
		if (!strcmp(*id, ctid) || vz_ct_conf_load(g, *id, &c, NULL) < 0)
			continue;
		for (char **a = c->ip_address; a && *a; a++)
			if (!strcmp(*a, ip))
				return true;
	}
	return false;
}

/* Everything that would make this migration fail here. */
static json_t *blockers(struct receiver *r, struct vz_kvfile *kv)
{
	json_t *b = json_array();
	cleanup_free char *conf = vz_ct_conf_path(r->g, r->ctid);
	const char *a = json_string_value(json_object_get(r->hello, "arch"));
	const char *ips = vz_kvfile_get(kv, "IP_ADDRESS");
	struct utsname u;

	uname(&u);
	if (vz_path_exists(conf))
		json_array_append_new(
		    b, json_sprintf("destination: CTID %s is already used (%s)", r->ctid, conf));
	if (vz_path_exists(r->private_dir))
		json_array_append_new(
		    b, json_sprintf("destination: private area `%s` exists", r->private_dir));
	if (a && strcmp(a, u.machine))
		json_array_append_new(
		    b, json_sprintf("destination: architecture %s, source %s", u.machine, a));
	if (json_is_true(json_object_get(r->hello, "vm"))) {
		cleanup_free char *kit = vz_vm_kit_dir(r->g);
		cleanup_free char *kernel = vz_strdup_printf("%s/vmlinuz", kit);
		if (!r->g->qemu || access(r->g->qemu, X_OK) < 0)
			json_array_append_new(b, json_sprintf("destination: QEMU `%s` is not "
							      "installed",
							      r->g->qemu ? r->g->qemu : ""));
		if (!vz_path_exists(kernel))
			json_array_append_new(
			    b, json_sprintf("destination: no VM kit in `%s` (templates/vm/mkkit.sh)",
					    kit));
	} else if (json_is_true(json_object_get(r->hello, "online"))) {
		struct vz_criu_info ci;
		vz_criu_info(r->g, &ci, NULL);
		if (!ci.version || !ci.check_ok)
			json_array_append_new(
			    b, json_sprintf("destination: CRIU `%s` is not usable", r->g->criu));
		vz_criu_info_free(&ci);
	}
	if (ips) {
		cleanup_free char *copy = vz_xstrdup(ips);
		char *save = NULL;
		for (char *ip = strtok_r(copy, " \t", &save); ip; ip = strtok_r(NULL, " \t", &save))
			if (ip_in_use(r->g, r->ctid, ip))
				json_array_append_new(
				    b, json_sprintf("destination: address %s is used by another "
						    "container",
						    ip));
	}
	return b;
}

/* RUN_DIR/CTID.incoming names what this migration may leave behind, so
 * that a vzd killed half way cleans up when it starts (mig_reconcile). */
static int write_marker(struct receiver *r, vz_error *err)
{
	cleanup_free char *text = vz_strdup_printf("%s\n%s\n%d\n%d\n", r->partial, r->dumpdir,
						   r->created, r->owned);
	if (vz_mkdir_p(r->g->run_dir, 0755, err) < 0)
		return -1;
	return vz_write_file_atomic(r->marker, text, strlen(text), 0600, err);
}

/* Whether this host can take the memory post-copy (an online container
 * migration); the source decides. */
static json_t *postcopy_offer(struct receiver *r)
{
	cleanup_free char *why = NULL;

	if (!json_is_true(json_object_get(r->hello, "online")) ||
	    json_is_true(json_object_get(r->hello, "vm")))
		return NULL;
	why = mig_postcopy_blocker(r->g);
	return why ? json_pack("{s:b, s:s}", "post_copy", 0, "post_copy_blocker", why)
		   : json_pack("{s:b}", "post_copy", 1);
}

static int on_hello(struct receiver *r, bool *ret_dry, vz_error *err)
{
	const char *conf = json_string_value(json_object_get(r->hello, "conf"));
	struct vz_kvfile *kv = NULL;
	json_t *b;

	r->ctid = json_string_value(json_object_get(r->hello, "new_id"));
	if (!r->ctid || !vz_ctid_valid(r->ctid) || !conf ||
	    json_integer_value(json_object_get(r->hello, "v")) != 1)
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "malformed migration request");
	r->keep_dst = json_is_true(json_object_get(r->hello, "keep_dst"));
	r->private_dir = vz_expand_veid(r->g->ve_private, r->ctid);
	r->partial = vz_strdup_printf("%s.migrating", r->private_dir);
	r->dumpdir = vz_strdup_printf("%s/%s.incoming", r->g->dump_dir, r->ctid);
	r->marker = vz_strdup_printf("%s/%s.incoming", r->g->run_dir, r->ctid);
	r->lock_fd = vz_ct_lock(r->g, r->ctid, r->g->lock_timeout, err);
	if (r->lock_fd < 0)
		return -1;
	if (vz_kvfile_parse("migrated", conf, &kv, err) < 0)
		return -1;
	b = blockers(r, kv);
	vz_kvfile_free(kv);
	*ret_dry = json_is_true(json_object_get(r->hello, "dry_run"));
	if (*ret_dry)
		return reply_ok(r, json_pack("{s:o}", "blockers", b), err);
	if (json_array_size(b)) {
		int rc = vz_fail(err, VZ_FS_PRVT_AREA_EXIST, "%s",
				 json_string_value(json_array_get(b, 0)));
		json_decref(b);
		return rc;
	}
	json_decref(b);
	vz_rm_rf(r->partial, NULL);
	if (write_marker(r, err) < 0)
		return -1;
	return reply_ok(r, postcopy_offer(r), err);
}

static int on_fs(struct receiver *r, vz_error *err)
{
	char *argv[] = {"/bin/tar",
			"-C",
			r->partial,
			"--numeric-owner",
			"--xattrs",
			"--acls",
			"--listed-incremental=/dev/null",
			"-xpf",
			"-",
			NULL};

	if (vz_mkdir_p(r->partial, 0755, err) < 0 || mig_recv_cmd_input(&r->chan, argv, err) < 0)
		return vz_error_wrap(err, "receive the private area");
	return 0;
}

static int on_images(struct receiver *r, vz_error *err)
{
	char *argv[] = {"/bin/tar", "-C", r->dumpdir, "-xf", "-", NULL};

	if (vz_mkdir_p(r->g->dump_dir, 0700, err) < 0 || vz_mkdir_p(r->dumpdir, 0711, err) < 0 ||
	    mig_recv_cmd_input(&r->chan, argv, err) < 0)
		return vz_error_wrap(err, "receive the checkpoint images");
	return 0;
}

/* Move the private area into place and write the config (VE_ROOT and
 * VE_PRIVATE follow this host's vz.conf). */
static int install(struct receiver *r, vz_error *err)
{
	const char *conf = json_string_value(json_object_get(r->hello, "conf"));
	cleanup_free char *root = vz_expand_veid(r->g->ve_root, r->ctid);
	cleanup_free char *path = vz_ct_conf_path(r->g, r->ctid);
	struct vz_kvfile *kv = NULL;
	int rc;

	r->created = true;
	if (write_marker(r, err) < 0)
		return -1;
	if (rename(r->partial, r->private_dir) < 0)
		return vz_fail_errno(err, VZ_FS_NEW_VE_PRVT, "rename `%s`", r->partial);
	if (vz_kvfile_parse(path, conf, &kv, err) < 0)
		return -1;
	vz_kvfile_set(kv, "VE_ROOT", root);
	vz_kvfile_set(kv, "VE_PRIVATE", r->private_dir);
	rc = vz_kvfile_save(kv, path, err);
	vz_kvfile_free(kv);
	return rc;
}

static int on_bringup(struct receiver *r, const char *op, bool lazy, vz_error *err)
{
	if (install(r, err) < 0)
		return -1;
	if (lazy && !strcmp(op, "restore")) {
		int rc = mig_lazy_restore_in(&r->chan, r->g, r->ctid, r->dumpdir, &r->restored_ms,
					     &r->owned, err);
		/* A vzd restarted from here on keeps the container. */
		if (r->owned)
			write_marker(r, NULL);
		return rc;
	}
	if (!strcmp(op, "finish"))
		return 0;
	if (!strcmp(op, "start"))
		return vz_backend_get(r->g, r->ctid)->start(r->g, r->ctid, err);
	struct vz_restore_opts ro = {.dumpdir = r->dumpdir, .stage = VZ_CPT_ALL};
	return vz_ct_restore(r->g, r->ctid, &ro, err);
}

/* Undo everything of this migration here. */
static void rollback(struct receiver *r)
{
	vz_error e = {0};

	if (r->created) {
		struct vz_stop_opts so = {.fast = true};
		cleanup_free char *path = vz_ct_conf_path(r->g, r->ctid);
		/* A restored copy's TCP sockets would reset the connections
		 * the source's copy keeps: its NICs go first. */
		if (r->dumpdir)
			mig_netif_cut(r->dumpdir);
		vz_backend_get(r->g, r->ctid)->stop(r->g, r->ctid, &so, &e);
		if (r->keep_dst) {
			unlink(path);
			rename(r->private_dir, r->partial);
		} else if (vz_ct_destroy(r->g, r->ctid, &e) < 0) {
			unlink(path);
			vz_rm_rf(r->private_dir, NULL);
		}
	}
	if (r->partial && !r->keep_dst)
		vz_rm_rf(r->partial, NULL);
}

void mig_reconcile(const struct vz_global_conf *g,
		   void (*report)(void *data, const char *ctid, const vz_error *err), void *data)
{
	cleanup_closedir DIR *d = opendir(g->run_dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char ctid[32], partial[4096], dumpdir[4096];
		cleanup_free char *path = NULL, *buf = NULL;
		struct receiver r = {.g = g};
		int created = 0, owned = 0;
		size_t n;
		if (len <= 9 || len - 9 >= sizeof(ctid) ||
		    strcmp(de->d_name + len - 9, ".incoming"))
			continue;
		memcpy(ctid, de->d_name, len - 9);
		ctid[len - 9] = '\0';
		path = vz_strdup_printf("%s/%s", g->run_dir, de->d_name);
		if (!vz_ctid_valid(ctid) || vz_read_file(path, 16384, &buf, &n, NULL) < 0 ||
		    sscanf(buf, "%4095[^\n]\n%4095[^\n]\n%d\n%d", partial, dumpdir, &created, &owned) <
			3)
			continue;
		if (owned) {
			/* Post-copy: every page had arrived, no other copy. */
			vz_rm_rf(dumpdir, NULL);
			unlink(path);
			continue;
		}
		/* An unfinished incoming migration: the source took its
		 * container back, so nothing of it may stay here. */
		r.ctid = ctid;
		r.partial = partial;
		r.dumpdir = dumpdir;
		r.created = created;
		r.private_dir = vz_expand_veid(g->ve_private, ctid);
		rollback(&r);
		vz_rm_rf(dumpdir, NULL);
		free(r.private_dir);
		unlink(path);
		if (report) {
			vz_error e = {0};
			vz_fail(&e, 0, "removed an unfinished incoming migration");
			report(data, ctid, &e);
		}
	}
}

static int serve(struct receiver *r, void (*started)(void *, const char *), void *data,
		 vz_error *err)
{
	for (;;) {
		json_t *m = NULL;
		const char *op;
		int rc;

		if (mig_recv_json(&r->chan, &m, err) < 0)
			return -1;
		op = json_string_value(json_object_get(m, "op"));
		if (!op)
			op = "";
		if (mig_fault(op, err) < 0) {
			json_decref(m);
			reply_error(r, err);
			return -1;
		}
		if (!strcmp(op, "fs"))
			rc = on_fs(r, err);
		else if (!strcmp(op, "images"))
			rc = on_images(r, err);
		else if (!strcmp(op, "vm_prepare"))
			rc = vz_mkdir_p(r->partial, 0755, err) < 0 || install(r, err) < 0
				 ? -1
				 : mig_vm_prepare_in(r->g, r->ctid, m, err);
		else if (!strcmp(op, "vm_stream")) {
			rc = mig_vm_stream_in(&r->chan, r->g, r->ctid, err);
			if (rc == 0 && started)
				started(data, r->ctid);
		} else if (!strcmp(op, "start") || !strcmp(op, "restore") || !strcmp(op, "finish")) {
			rc = on_bringup(r, op, json_is_true(json_object_get(m, "lazy")), err);
			if ((rc == 0 || r->owned) && started && strcmp(op, "finish"))
				started(data, r->ctid);
		} else if (!strcmp(op, "commit")) {
			json_decref(m);
			return reply_ok(r, NULL, err);
		} else {
			/* The source decided (it runs the container again):
			 * even a complete post-copy container goes. */
			r->owned = false;
			rc = vz_fail(err, VZ_SYSTEM_ERROR, "migration aborted by the source (%s)",
				     op);
			json_decref(m);
			return rc;
		}
		json_decref(m);
		if (rc < 0) {
			reply_error(r, err);
			return -1;
		}
		if (reply_ok(r,
			     r->restored_ms ? json_pack("{s:I}", "restored_ms",
							(json_int_t)r->restored_ms)
					    : NULL,
			     err) < 0)
			return -1;
	}
}

int vz_migrate_receive(const struct vz_global_conf *g, int in, int out,
		       void (*started)(void *data, const char *ctid), void *data, vz_error *err)
{
	struct receiver r = {
	    .g = g, .chan = {.in = in, .out = out, .timeout_ms = 120000}, .lock_fd = -1};
	bool dry = false;
	int rc;

	rc = mig_recv_json(&r.chan, &r.hello, err);
	if (rc == 0 && strcmp(json_string_value(json_object_get(r.hello, "op")) ?: "", "hello"))
		rc = vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "expected a migration hello");
	if (rc == 0 && (rc = mig_fault("hello", err)) < 0)
		reply_error(&r, err);
	if (rc == 0 && (rc = on_hello(&r, &dry, err)) < 0)
		reply_error(&r, err);
	/* A post-copy container whose memory all arrived has no other copy:
	 * it stays, whatever happens to the channel now. */
	if (rc == 0 && !dry && (rc = serve(&r, started, data, err)) < 0 && !r.owned)
		rollback(&r);
	if (r.dumpdir)
		vz_rm_rf(r.dumpdir, NULL);
	if (r.marker)
		unlink(r.marker);
	if (r.lock_fd >= 0)
		vz_ct_unlock(g, r.ctid, r.lock_fd);
	json_decref(r.hello);
	free(r.private_dir);
	free(r.partial);
	free(r.dumpdir);
	free(r.marker);
	if (rc < 0)
		return vz_error_wrap(err, "incoming migration");
	return 0;
}
