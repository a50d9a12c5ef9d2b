/* vzd request handlers for checkpoint/restore and migration (src/migrate).
 *
 * chkpnt/restore/suspend/resume hold the container lock (server.c); the
 * request shapes are in README.md ("Checkpoint/restore and migration"). */
#include "config.h"

#include <string.h>

#include "daemon/server.h"
#include "lib/util.h"
#include "migrate/migrate.h"

static const char *arg_str(const struct request *r, const char *key)
{
	return json_string_value(json_object_get(r->args, key));
}

static void progress(void *data, const char *msg)
{
	struct request *r = data;
	json_t *p = json_pack("{s:s}", "progress", msg);
	vz_proto_send(r->sock, p, NULL, 0, NULL);
	json_decref(p);
}

static enum vz_cpt_stage stage_of(const struct request *r)
{
	static const struct {
		const char *name;
		enum vz_cpt_stage stage;
	} stages[] = {
	    {"suspend", VZ_CPT_SUSPEND}, {"dump", VZ_CPT_DUMP},	    {"kill", VZ_CPT_KILL},
	    {"resume", VZ_CPT_RESUME},	 {"undump", VZ_RST_UNDUMP},
	};
	const char *s = arg_str(r, "stage");

	for (size_t i = 0; s && i < sizeof(stages) / sizeof(stages[0]); i++)
		if (!strcmp(stages[i].name, s))
			return stages[i].stage;
	return VZ_CPT_ALL;
}

static int h_chkpnt(struct request *r, json_t **ret, vz_error *err)
{
	struct vz_cpt_opts o = {.dumpdir = arg_str(r, "dumpfile"), .stage = stage_of(r)};

	if (o.stage == VZ_RST_UNDUMP)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "--undump is a restore stage");
	progress(r, "Setting up checkpoint...");
	if (vz_ct_chkpnt(r->srv->g, r->ctid, &o, err) < 0)
		return -1;
	progress(r, o.stage == VZ_CPT_ALL ? "Checkpointing completed successfully"
					  : "Checkpoint stage completed");
	return 0;
}

static int h_restore(struct request *r, json_t **ret, vz_error *err)
{
	struct vz_restore_opts o = {.dumpdir = arg_str(r, "dumpfile"), .stage = stage_of(r)};
	const char *s = arg_str(r, "stage");

	if (s && !strcmp(s, "resume"))
		o.stage = VZ_RST_RESUME;
	else if (o.stage != VZ_CPT_ALL && o.stage != VZ_RST_UNDUMP)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "restore takes --undump or --resume");
	progress(r, "Restoring container ...");
	if (vz_ct_restore(r->srv->g, r->ctid, &o, err) < 0)
		return -1;
	vzd_monitor_watch(r->srv, r->ctid);
	progress(r, "Container restore completed successfully");
	return 0;
}

static int h_criu_check(struct request *r, json_t **ret, vz_error *err)
{
	struct vz_criu_info i;

	vz_criu_info(r->srv->g, &i, err);
	*ret = json_pack("{s:s, s:o, s:b, s:o, s:b, s:b, s:o}", "criu", i.path, "version",
			 i.version ? json_string(i.version) : json_null(), "check_ok", i.check_ok,
			 "check", i.check_output ? json_string(i.check_output) : json_null(),
			 "lazy_pages", i.lazy_pages, "dirty_track", i.dirty_track, "memory",
			 !i.postcopy_blocker
			     ? json_string("post-copy (lazy pages)")
			     : json_sprintf("stop-and-copy (post-copy unavailable: %s; pre-copy "
					    "unavailable: %s)",
					    i.postcopy_blocker,
					    i.dirty_track ? "not implemented"
							  : "no memory dirty tracking"));
	vz_criu_info_free(&i);
	return 0;
}

static int h_migrate(struct request *r, json_t **ret, vz_error *err)
{
	struct vz_migrate_opts o = {
	    .dest = arg_str(r, "dest"),
	    .new_id = arg_str(r, "new_id"),
	    .memory = arg_str(r, "memory"),
	    .online = json_is_true(json_object_get(r->args, "online")),
	    .dry_run = json_is_true(json_object_get(r->args, "dry_run")),
	    .keep_dst = json_is_true(json_object_get(r->args, "keep_dst")),
	    .progress = progress,
	    .pdata = r,
	};
	json_t *report = NULL;
	int rc;

	if (!o.dest)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "migrate needs a destination");
	rc = vz_ct_migrate(r->srv->g, r->ctid, &o, &report, err);
	/* A dry run's blockers are the answer, even when there are some. */
	if (rc < 0 && o.dry_run && json_array_size(json_object_get(report, "blockers"))) {
		json_object_set_new(report, "error", json_string(err->msg));
		json_object_set_new(report, "code", json_integer(err->code));
		vz_error_clear(err);
		rc = 0;
	}
	if (rc < 0) {
		json_decref(report);
		return -1;
	}
	*ret = report;
	return 0;
}

static void watch_started(void *data, const char *ctid)
{
	struct request *r = data;
	vzd_monitor_watch(r->srv, ctid);
}

static int h_migrate_receive(struct request *r, json_t **ret, vz_error *err)
{
	if (r->n_fds != 2)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "migrate-receive needs the channel's input and output descriptors");
	return vz_migrate_receive(r->srv->g, r->fds[0], r->fds[1], watch_started, r, err);
}

/* suspend and resume go through the backend table (handlers.c). */
static const struct handler handlers[] = {
    {"chkpnt", h_chkpnt, true, true},
    {"restore", h_restore, true, true},
    {"criu-check", h_criu_check, false, false},
    {"migrate", h_migrate, true, true},
    /* The receiver locks the incoming CTID itself, once it knows it. */
    {"migrate-receive", h_migrate_receive, false, false},
};

const struct handler *vzd_find_migrate_handler(const char *op)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (!strcmp(handlers[i].op, op))
			return &handlers[i];
	return NULL;
}
