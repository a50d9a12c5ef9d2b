/* Migration, source side: drives the stages and decides, at each failure,
 * how the container comes back to life here.
 *
 *   hello      the destination checks CTID, arch, CRIU, addresses (dry run: stop here)
 *   fs         the private area as a tar stream (incremental snapshot kept)
 *   offline:   stop; fs changes; "start" there
 *   online:    checkpoint (the container is frozen and dumped, then gone
 *              here); fs changes; images; "restore" there
 *   commit     the destination keeps it; we destroy our copy
 *
 * A VM (vm.c): offline it is stopped and its private area (the image,
 * sparse) copied once; online the destination prepares an incoming QEMU,
 * the disk is mirrored over NBD and memory follows, both through the
 * channel.  A failed online VM migration leaves the guest running here; only
 * when the destination fails after the source QEMU handed over (the guest
 * not resuming there) is it booted again here from its disk.
 *
 * Until the destination acknowledges the commit, every failure (an error
 * reply, a lost link, a dead peer) aborts: the destination cleans up (it
 * does so by itself when the link drops), and the container is started
 * again here, or restored from the local images for an online migration. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/util.h"
#include "migrate/migrate-lazy.h"
#include "migrate/migrate-vm.h"
#include "migrate/migrate.h"
#include "migrate/transport.h"
#include "vm/backend.h"
#include "vm/vm.h"

struct sender {
	const struct vz_global_conf *g;
	const char *ctid;
	const struct vz_migrate_opts *o;
	struct mig_chan chan;
	json_t *stages;
	uint64_t t0, stage_t0, frozen_t0, frozen_ms;
	char *dumpdir, *snar, *private_dir;
	bool stopped, dumped;
	bool postcopy;	  /* memory moves after the restore (lazy pages) */
	bool lazy_served; /* a lazy dump served pages: on failure CRIU resumed the tree */
	bool memory_gone; /* the lazy dump finished: only the destination has the memory */
	bool vm; /* a QEMU VM, not a container */
};

static void say(struct sender *s, const char *msg)
{
	if (s->o->progress)
		s->o->progress(s->o->pdata, msg);
}

static void stage_begin(struct sender *s, const char *msg)
{
	s->stage_t0 = vz_now_ms();
	say(s, msg);
}

static void stage_end(struct sender *s, const char *name)
{
	json_object_set_new(s->stages, name, json_integer((json_int_t)(vz_now_ms() - s->stage_t0)));
}

static const char *arch(void)
{
	static struct utsname u;
	uname(&u);
	return u.machine;
}

/* The private area as a tar stream; the snapshot file makes the second
 * pass carry only what changed (and the deletions). */
static int send_fs(struct sender *s, bool first, vz_error *err)
{
	cleanup_free char *snar_arg = vz_strdup_printf("--listed-incremental=%s", s->snar);
	cleanup_free char *script = vz_strdup_printf(
	    /* Files change under a running container: GNU tar says so with
	     * status 1 in the first pass; the second pass runs frozen. */
	    "tar -C '%s' --numeric-owner --xattrs --acls --sparse '%s' -cpf - . ; rc=$?; "
	    "[ $rc -eq 0 ] || { [ $rc -eq 1 ] && [ %d -eq 1 ]; }",
	    s->private_dir, snar_arg, first ? 1 : 0);
	char *argv[] = {"/bin/sh", "-c", script, NULL};

	if (first)
		unlink(s->snar);
	if (mig_send_json(&s->chan, json_pack("{s:s, s:b}", "op", "fs", "first", first), err) < 0 ||
	    mig_send_cmd_output(&s->chan, argv, "private area", err) < 0)
		return -1;
	return mig_expect_ok(&s->chan, NULL, err);
}

static int send_images(struct sender *s, vz_error *err)
{
	/* A lazy dump is still running and writing its log. */
	char *argv[] = {"/bin/tar", "-C", s->dumpdir, "--exclude=./vz-dump.log", "-cf", "-", ".",
			NULL};

	if (mig_send_json(&s->chan, json_pack("{s:s}", "op", "images"), err) < 0 ||
	    mig_send_cmd_output(&s->chan, argv, "checkpoint images", err) < 0)
		return -1;
	return mig_expect_ok(&s->chan, NULL, err);
}

static int request(struct sender *s, const char *op, json_t **ret, vz_error *err)
{
	if (mig_send_json(&s->chan, json_pack("{s:s}", "op", op), err) < 0)
		return -1;
	return mig_expect_ok(&s->chan, ret, err);
}

static int hello(struct sender *s, bool running, json_t **ret, vz_error *err)
{
	cleanup_free char *path = vz_ct_conf_path(s->g, s->ctid), *conf = NULL;
	struct vz_criu_info ci = {0};
	size_t len;
	json_t *m;

	if (vz_read_file(path, 1 << 20, &conf, &len, err) < 0)
		return -1;
	if (s->o->online && !s->vm)
		vz_criu_info(s->g, &ci, NULL);
	m = json_pack("{s:s, s:i, s:s, s:s, s:s, s:b, s:b, s:b, s:s?, s:b}", "op", "hello", "v", 1,
		      "ctid", s->ctid, "new_id", s->o->new_id ? s->o->new_id : s->ctid, "conf",
		      conf, "online", s->o->online, "running", running, "dry_run", s->o->dry_run,
		      "criu", ci.version, "keep_dst", s->o->keep_dst);
	json_object_set_new(m, "arch", json_string(arch()));
	json_object_set_new(m, "vm", json_boolean(s->vm));
	vz_criu_info_free(&ci);
	if (mig_send_json(&s->chan, m, err) < 0)
		return -1;
	return mig_expect_ok(&s->chan, ret, err);
}

/* Our own blockers for a dry run: CRIU, and a trial dump (left running)
 * that names what CRIU cannot checkpoint. */
static void local_blockers(struct sender *s, bool running, json_t *blockers)
{
	struct vz_criu_info ci;
	vz_error e = {0};

	if (!s->o->online)
		return;
	if (!running) {
		json_array_append_new(blockers,
				      json_string("source: the container is not running "
						  "(online migration needs a running container)"));
		return;
	}
	if (s->vm)
		return; /* QEMU migrates any running guest; the destination checks its QEMU */
	vz_criu_info(s->g, &ci, NULL);
	if (!ci.version || !ci.check_ok) {
		json_array_append_new(
		    blockers,
		    json_sprintf("source: CRIU `%s` is not usable (vzctl criu-check)", s->g->criu));
	} else {
		cleanup_free char *dir = vz_strdup_printf("%s.dryrun", s->dumpdir);
		struct vz_cpt_opts co = {.dumpdir = dir, .stage = VZ_CPT_ALL, .keep_running = true};
		if (vz_ct_chkpnt(s->g, s->ctid, &co, &e) < 0)
			json_array_append_new(blockers, json_sprintf("source: %s", e.msg));
		vz_rm_rf(dir, NULL);
	}
	vz_criu_info_free(&ci);
}

static int dry_run(struct sender *s, bool running, json_t *reply, json_t *report, vz_error *err)
{
	json_t *blockers = json_array(), *remote = json_object_get(reply, "blockers");
	size_t i;
	json_t *b;

	local_blockers(s, running, blockers);
	json_array_foreach(remote, i, b) json_array_append(blockers, b);
	json_object_set_new(report, "blockers", blockers);
	if (json_array_size(blockers) == 0)
		return 0;
	return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "%zu blocker(s) found",
		       json_array_size(blockers));
}

static int transfer_vm_online(struct sender *s, vz_error *err)
{
	struct mig_vm_send v = {.g = s->g,
				.ctid = s->ctid,
				.chan = &s->chan,
				.stages = s->stages,
				.progress = s->o->progress,
				.pdata = s->o->pdata};
	int rc = mig_vm_send_online(&v, err);

	/* From here a failure can only boot the guest again from its disk. */
	s->stopped = v.source_gone;
	s->frozen_ms = v.downtime_ms;
	return rc;
}

static int send_fs_sync(struct sender *s, vz_error *err)
{
	stage_begin(s, "Copying the changes of the private area");
	if (send_fs(s, false, err) < 0)
		return -1;
	stage_end(s, "fs_sync");
	return 0;
}

/* Post-copy: the dump leaves the memory on a page server here; the
 * destination restores without it and fetches it while the container runs
 * there (lazy.c). */
static int transfer_postcopy(struct sender *s, vz_error *err)
{
	int port = mig_free_port(err);
	pid_t dump = -1;
	struct vz_cpt_opts co = {.dumpdir = s->dumpdir,
				 .stage = VZ_CPT_ALL,
				 .lazy = true,
				 .lazy_port = port,
				 .ret_lazy_pid = &dump};
	json_t *reply = NULL;
	uint64_t sent;
	int rc;

	if (port < 0 || mig_postcopy_prepare(err) < 0)
		return -1;
	stage_begin(s, "Checkpointing the container without its memory (frozen from here)");
	if (vz_ct_chkpnt(s->g, s->ctid, &co, err) < 0)
		return -1;
	s->lazy_served = true;
	stage_end(s, "dump");
	if (send_fs_sync(s, err) < 0)
		goto abort;
	stage_begin(s, "Copying the checkpoint images");
	if (send_images(s, err) < 0)
		goto abort;
	stage_end(s, "images");
	stage_begin(s, "Restoring at the destination; memory follows (post-copy)");
	sent = vz_now_ms();
	if (mig_send_json(&s->chan, json_pack("{s:s, s:b}", "op", "restore", "lazy", 1), err) < 0)
		goto abort;
	rc = mig_lazy_send(&s->chan, port, dump, &s->memory_gone, err);
	if (s->memory_gone) {
		/* CRIU killed the tree: release its cgroup and mount as a stop
		 * does. */
		vz_error e = {0};
		if (vz_ct_cleanup_stopped(s->g, s->ctid, &e) < 0)
			say(s, e.msg);
	}
	/* The destination's verdict first: it says why the transfer failed. */
	if (rc == 0)
		rc = mig_expect_ok(&s->chan, &reply, err);
	if (rc == 0 && !s->memory_gone)
		rc = vz_fail(err, VZ_CHKPNT_ERROR,
			     "criu dump --lazy-pages failed: the container was resumed here");
	else if (rc < 0 && s->memory_gone)
		vz_error_wrap(err, "every page reached the destination (the container runs there "
				   "unless it failed meanwhile), but it did not confirm");
	stage_end(s, "restore_postcopy");
	/* Frozen: until the restore returned there (the destination measured
	 * it from our request; the one-way delay is not counted). */
	s->frozen_ms = sent - s->frozen_t0 +
		       (uint64_t)json_integer_value(json_object_get(reply, "restored_ms"));
	json_object_set_new(s->stages, "restore",
			    json_integer(json_integer_value(json_object_get(reply, "restored_ms"))));
	json_decref(reply);
	return rc;
abort:
	/* A connection reset at once makes CRIU resume the tree. */
	mig_lazy_send_abort(port, dump);
	return -1;
}

static int transfer(struct sender *s, bool running, vz_error *err)
{
	struct vz_stop_opts so = {.fast = false, .timeout_s = -1};

	if (s->vm && s->o->online && running)
		return transfer_vm_online(s, err);
	/* A running VM's image changes as a whole: copy it once, stopped. */
	if (!(s->vm && running)) {
		stage_begin(s, "Copying the private area");
		if (send_fs(s, true, err) < 0)
			return -1;
		stage_end(s, "fs_copy");
	}
	if (!running) {
		stage_begin(s, "Registering the container at the destination");
		if (request(s, "finish", NULL, err) < 0)
			return -1;
		stage_end(s, "register");
		return 0;
	}
	s->frozen_t0 = vz_now_ms();
	if (s->o->online && s->postcopy)
		return transfer_postcopy(s, err);
	if (s->o->online) {
		struct vz_cpt_opts co = {.dumpdir = s->dumpdir, .stage = VZ_CPT_ALL};
		stage_begin(s, "Checkpointing the container (frozen from here)");
		if (vz_ct_chkpnt(s->g, s->ctid, &co, err) < 0)
			return -1;
		s->dumped = true;
		stage_end(s, "dump");
	} else {
		stage_begin(s, "Stopping the container");
		if (vz_backend_get(s->g, s->ctid)->stop(s->g, s->ctid, &so, err) < 0)
			return -1;
		s->stopped = true;
		stage_end(s, "stop");
	}
	stage_begin(s, "Copying the changes of the private area");
	if (send_fs(s, false, err) < 0)
		return -1;
	stage_end(s, "fs_sync");
	if (s->o->online) {
		stage_begin(s, "Copying the checkpoint images");
		if (send_images(s, err) < 0)
			return -1;
		stage_end(s, "images");
	}
	stage_begin(s,
		    s->o->online ? "Restoring at the destination" : "Starting at the destination");
	if (request(s, s->o->online ? "restore" : "start", NULL, err) < 0)
		return -1;
	stage_end(s, s->o->online ? "restore" : "start");
	s->frozen_ms = vz_now_ms() - s->frozen_t0;
	return 0;
}

/* Bring the container back here after a failure. */
static void recover(struct sender *s, bool running)
{
	vz_error e = {0};

	if (s->memory_gone) {
		/* The destination holds the only copy of the memory and keeps
		 * the container (receive.c): no abort, nothing to restart. */
		mig_chan_close(&s->chan);
		say(s, "Migration: the memory moved to the destination, the container stays "
		       "there; its stopped copy here is left for inspection");
		return;
	}
	mig_send_json(&s->chan, json_pack("{s:s}", "op", "abort"), NULL);
	mig_chan_close(&s->chan);
	if (s->lazy_served) {
		/* CRIU resumed the tree when the page stream failed. */
		say(s, "Migration failed: the container resumed on the source");
		vz_ct_resume(s->g, s->ctid, NULL);
		mig_lazy_unlock(s->g, s->ctid);
	} else if (s->dumped) {
		struct vz_restore_opts ro = {.dumpdir = s->dumpdir, .stage = VZ_CPT_ALL};
		say(s, "Migration failed: restoring the container on the source");
		if (vz_ct_restore(s->g, s->ctid, &ro, &e) < 0)
			say(s, e.msg);
	} else if (s->stopped && running) {
		say(s, "Migration failed: starting the container on the source again");
		if (vz_backend_get(s->g, s->ctid)->start(s->g, s->ctid, &e) < 0)
			say(s, e.msg);
	}
}

/* Post-copy where both hosts support it, unless overridden; the report
 * says which, and why not post-copy. */
static int choose_memory(struct sender *s, json_t *reply, json_t *report, vz_error *err)
{
	const char *m = s->o->memory ? s->o->memory : "auto";
	const char *remote = json_string_value(json_object_get(reply, "post_copy_blocker"));
	cleanup_free char *local = NULL, *why = NULL;

	if (!strcmp(m, "stop-and-copy")) {
		json_object_set_new(report, "memory", json_string("stop-and-copy (requested)"));
		return 0;
	}
	local = mig_postcopy_blocker(s->g);
	if (local)
		why = vz_strdup_printf("source: %s", local);
	else if (remote)
		why = vz_strdup_printf("destination: %s", remote);
	else if (!json_object_get(reply, "post_copy_blocker") &&
		 !json_is_true(json_object_get(reply, "post_copy")))
		why = vz_xstrdup("destination: its vz does not offer post-copy");
	if (why && !strcmp(m, "post-copy"))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "--memory post-copy: not available (%s)", why);
	s->postcopy = !why;
	json_object_set_new(report, "memory",
			    why ? json_sprintf("stop-and-copy (post-copy unavailable: %s)", why)
				: json_string("post-copy (lazy pages)"));
	return 0;
}

static int check_source(struct sender *s, bool *ret_running, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	struct vz_ct_status st;

	if (vz_ct_conf_load(s->g, s->ctid, &c, err) < 0 || vz_ct_status_of(s->g, c, &st, err) < 0)
		return -1;
	if (s->o->new_id && !vz_ctid_valid(s->o->new_id))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "invalid --new-id `%s`",
			       s->o->new_id);
	if (s->o->memory && strcmp(s->o->memory, "auto") && strcmp(s->o->memory, "stop-and-copy") &&
	    strcmp(s->o->memory, "post-copy") && strcmp(s->o->memory, "pre-copy"))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "--memory `%s`: expected auto, post-copy, pre-copy or stop-and-copy",
			       s->o->memory);
	if (s->o->memory && !strcmp(s->o->memory, "pre-copy"))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "--memory pre-copy: iterative pre-copy is not implemented (it needs "
			       "memory dirty tracking, soft-dirty, which these kernels lack)");
	if (s->o->online && !st.running && !s->o->dry_run)
		return vz_fail(err, VZ_VE_NOT_RUNNING,
			       "online migration needs a running container");
	/* A VM's MACs derive from its CTID: under a new one the migrated guest
	 * would keep the old MAC behind taps filtered for the new. */
	if (vz_conf_is_vm(c) && s->o->online && s->o->new_id && strcmp(s->o->new_id, s->ctid))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "VM %s: --new-id needs an offline migration (its MACs follow the "
			       "CTID)",
			       s->ctid);
	if (vz_conf_is_vm(c) && s->o->online && st.running &&
	    mig_vm_check_online(s->g, s->ctid, err) < 0)
		return -1;
	s->private_dir = vz_xstrdup(c->ve_private);
	s->vm = vz_conf_is_vm(c);
	*ret_running = st.running;
	return 0;
}

int vz_ct_migrate(const struct vz_global_conf *g, const char *ctid, const struct vz_migrate_opts *o,
		  json_t **ret_report, vz_error *err)
{
	struct sender s = {.g = g, .ctid = ctid, .o = o, .chan = {.in = -1, .out = -1}};
	json_t *report = json_object(), *reply = NULL;
	bool running = false;
	int rc = -1;

	s.stages = json_object();
	s.t0 = vz_now_ms();
	s.dumpdir = vz_strdup_printf("%s/%s.migrate", g->dump_dir, ctid);
	s.snar = vz_strdup_printf("%s/%s.migrate.snar", g->dump_dir, ctid);
	s.chan.timeout_ms = 120000;
	s.chan.progress = o->progress;
	s.chan.pdata = o->pdata;
	json_object_set_new(report, "stages", s.stages);
	json_object_set_new(report, "memory",
			    json_string(o->online ? "stop-and-copy" : "none (offline)"));
	if (check_source(&s, &running, err) < 0 || vz_mkdir_p(g->dump_dir, 0700, err) < 0)
		goto out;
	if (s.vm)
		json_object_set_new(report, "memory",
				    json_string(o->online ? "QEMU pre-copy, disk by block mirror"
							  : "none (offline)"));
	stage_begin(&s, "Connecting to the destination");
	if (mig_chan_ssh(&s.chan, g->migrate_ssh, o->dest, err) < 0 ||
	    hello(&s, running, &reply, err) < 0)
		goto abort;
	stage_end(&s, "connect");
	if (o->online && running && !s.vm && !o->dry_run &&
	    choose_memory(&s, reply, report, err) < 0)
		goto abort;
	if (o->dry_run) {
		rc = dry_run(&s, running, reply, report, err);
		mig_chan_close(&s.chan);
		goto out;
	}
	if (transfer(&s, running, err) < 0)
		goto abort;
	stage_begin(&s, "Committing");
	if (request(&s, "commit", NULL, err) < 0)
		goto abort;
	stage_end(&s, "commit");
	mig_chan_close(&s.chan);
	/* The destination owns the container now: remove ours. */
	stage_begin(&s, "Removing the container from the source");
	{
		vz_error e = {0};
		if (running && !s.stopped && !s.dumped && !s.memory_gone)
			vz_backend_get(g, ctid)->stop(g, ctid, &(struct vz_stop_opts){.fast = true},
						      &e);
		if (vz_ct_destroy(g, ctid, &e) < 0)
			say(&s, e.msg);
	}
	stage_end(&s, "cleanup");
	rc = 0;
	goto out;
abort:
	vz_error_wrap(err, "migration of container %s to %s failed", ctid, o->dest);
	recover(&s, running);
out:
	if (!o->dry_run)
		vz_rm_rf(s.dumpdir, NULL);
	unlink(s.snar);
	json_decref(reply);
	json_object_set_new(report, "frozen_ms", json_integer((json_int_t)s.frozen_ms));
	json_object_set_new(report, "total_ms", json_integer((json_int_t)(vz_now_ms() - s.t0)));
	free(s.dumpdir);
	free(s.snar);
	free(s.private_dir);
	*ret_report = report;
	return rc;
}
