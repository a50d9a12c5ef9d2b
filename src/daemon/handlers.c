/* vzd request handlers: one per operation, each a thin call into libvz.
 *
 * Request and result shapes are documented in README.md ("Protocol"). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/server.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "runtime/container.h"
#include "vm/backend.h"
#include "vm/vm.h"

/* How long a "settled" status waits for a command on the container. */
#define SETTLED_WAIT_S 10

static const char *arg_str(const struct request *r, const char *key)
{
	return json_string_value(json_object_get(r->args, key));
}

static bool arg_bool(const struct request *r, const char *key)
{
	return json_is_true(json_object_get(r->args, key));
}

/* A JSON array of strings as a NULL-terminated vector of borrowed pointers. */
static int arg_strv(const struct request *r, const char *key, const char ***ret, vz_error *err)
{
	json_t *a = json_object_get(r->args, key);
	const char **v;
	size_t i;
	json_t *item;

	*ret = NULL;
	if (!a)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 4096)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "\"%s\" must be an array of strings", key);
	v = vz_xcalloc(json_array_size(a) + 1, sizeof(char *));
	json_array_foreach(a, i, item)
	{
		if (!json_is_string(item)) {
			free(v);
			return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
				       "\"%s\" must be an array of strings", key);
		}
		v[i] = json_string_value(item);
	}
	*ret = v;
	return 0;
}

static void send_progress(void *data, const char *msg)
{
	struct request *r = data;
	json_t *p = json_pack("{s:s}", "progress", msg);
	vz_proto_send(r->sock, p, NULL, 0, NULL);
	json_decref(p);
}

static int h_version(struct request *r, json_t **ret, vz_error *err)
{
	*ret = json_pack("{s:s, s:i}", "version", PACKAGE_VERSION, "protocol", VZ_PROTO_VERSION);
	return 0;
}

static int h_templates(struct request *r, json_t **ret, vz_error *err)
{
	cleanup_strv char **names = NULL;
	json_t *a;

	if (vz_template_list(r->srv->g, &names, err) < 0)
		return -1;
	a = json_array();
	for (char **p = names; *p; p++)
		json_array_append_new(a, json_string(*p));
	*ret = json_pack("{s:o}", "templates", a);
	return 0;
}

static int h_create(struct request *r, json_t **ret, vz_error *err)
{
	cleanup_free const char **ipadd = NULL;
	struct vz_create_opts o = {
	    .ostemplate = arg_str(r, "ostemplate"),
	    .config = arg_str(r, "config"),
	    .hostname = arg_str(r, "hostname"),
	    .private_path = arg_str(r, "private"),
	    .root_path = arg_str(r, "root"),
	    .local_uid = arg_str(r, "local_uid"),
	    .local_gid = arg_str(r, "local_gid"),
	    .vmtype = arg_str(r, "vmtype"),
	    .diskspace = arg_str(r, "diskspace"),
	    .diskinodes = arg_str(r, "diskinodes"),
	};

	if (arg_strv(r, "ipadd", &ipadd, err) < 0)
		return -1;
	o.ipadd = ipadd;
	return vz_ct_create(r->srv->g, r->ctid, &o, send_progress, r, err);
}

static int h_destroy(struct request *r, json_t **ret, vz_error *err)
{
	return vz_ct_destroy(r->srv->g, r->ctid, err);
}

static int h_mount(struct request *r, json_t **ret, vz_error *err)
{
	return vz_ct_mount(r->srv->g, r->ctid, err);
}

static int h_umount(struct request *r, json_t **ret, vz_error *err)
{
	return vz_ct_umount(r->srv->g, r->ctid, err);
}

/* Say how the VM runs: TCG instead of KVM is worth a line in the log. */
static int vm_started(struct request *r)
{
	struct vz_vm_info info;
	vz_error e = {0};

	if (vz_vm_info(r->srv->g, r->ctid, &info, &e) == 0 && info.notice[0]) {
		vzd_log(LOG_NOTICE, "VM %s: %s", r->ctid, info.notice);
		send_progress(r, info.notice);
	}
	send_progress(r, "VM start in progress...");
	return 0;
}

static int h_start(struct request *r, json_t **ret, vz_error *err)
{
	const struct vz_backend_ops *be = vz_backend_get(r->srv->g, r->ctid);

	send_progress(r, be == &vz_vm_backend ? "Starting VM ..." : "Starting container ...");
	if (be == &vz_ct_backend)
		vzd_lxcfs_notice(r->srv->g, r->ctid);
	if (be->start(r->srv->g, r->ctid, err) < 0)
		return -1;
	vzd_monitor_watch(r->srv, r->ctid);
	if (be == &vz_vm_backend)
		return vm_started(r);
	send_progress(r, "Container start in progress...");
	return 0;
}

static int stop_opts(const struct request *r, struct vz_stop_opts *o, vz_error *err)
{
	json_t *t = json_object_get(r->args, "timeout");

	o->fast = arg_bool(r, "fast");
	o->timeout_s = -1;
	if (t) {
		if (!json_is_integer(t) || json_integer_value(t) < 0 ||
		    json_integer_value(t) > 86400)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "timeout must be 0..86400 seconds");
		o->timeout_s = (int)json_integer_value(t);
	}
	return 0;
}

static int do_stop(struct request *r, const struct vz_stop_opts *o, json_t **ret, vz_error *err)
{
	send_progress(r, "Stopping container ...");
	if (vz_backend_get(r->srv->g, r->ctid)->stop(r->srv->g, r->ctid, o, err) == 0) {
		send_progress(r, "Container was stopped");
		return 0;
	}
	/* As vzctl: stopping a stopped container says so and succeeds. */
	if (err->code == VZ_VE_NOT_RUNNING) {
		*ret = json_pack("{s:s}", "message", "Unable to stop: container is not running");
		vz_error_clear(err);
		return 0;
	}
	return -1;
}

static int h_stop(struct request *r, json_t **ret, vz_error *err)
{
	struct vz_stop_opts o;

	if (stop_opts(r, &o, err) < 0)
		return -1;
	return do_stop(r, &o, ret, err);
}

static int h_restart(struct request *r, json_t **ret, vz_error *err)
{
	struct vz_stop_opts o;
	json_t *ignored = NULL;

	if (stop_opts(r, &o, err) < 0 || do_stop(r, &o, &ignored, err) < 0)
		return -1;
	json_decref(ignored);
	return h_start(r, ret, err);
}

static json_t *status_json(const char *ctid, const struct vz_ct_status *st)
{
	return json_pack("{s:s, s:b, s:b, s:b, s:s, s:I, s:I}", "ctid", ctid, "exist", st->exists,
			 "mounted", st->mounted, "running", st->running, "status",
			 st->running ? "running" : "stopped", "nproc", (json_int_t)st->nproc,
			 "init_pid", (json_int_t)st->init_pid);
}

static int h_status(struct request *r, json_t **ret, vz_error *err)
{
	struct vz_ct_status st;
	struct vz_vm_info info;

	/* "settled": once no command holds the container (a client whose
	 * session ended under a checkpoint asks for the outcome). */
	if (arg_bool(r, "settled")) {
		int lock_fd = vz_ct_lock(r->srv->g, r->ctid, SETTLED_WAIT_S, err);
		if (lock_fd < 0)
			return -1;
		vz_ct_unlock(r->srv->g, r->ctid, lock_fd);
	}
	if (vz_ct_status(r->srv->g, r->ctid, &st, err) < 0)
		return -1;
	*ret = status_json(r->ctid, &st);
	if (vz_backend_get(r->srv->g, r->ctid) != &vz_vm_backend)
		return 0;
	json_object_set_new(*ret, "type", json_string("VM"));
	if (st.running && vz_vm_info(r->srv->g, r->ctid, &info, err) == 0) {
		json_object_set_new(*ret, "accel", json_string(info.accel));
		json_object_set_new(*ret, "vm_state", json_string(info.state));
		json_object_set_new(*ret, "paused", json_boolean(info.paused));
		if (info.notice[0])
			json_object_set_new(*ret, "notice", json_string(info.notice));
	}
	vz_error_clear(err);
	return 0;
}

/* suspend/resume: pause every vCPU in place (VMs; QMP stop/cont). */
static int h_pause(struct request *r, json_t **ret, vz_error *err)
{
	const struct vz_backend_ops *be = vz_backend_get(r->srv->g, r->ctid);
	bool suspend = !strcmp(r->op, "suspend");
	int (*fn)(const struct vz_global_conf *, const char *, vz_error *) =
	    suspend ? be->suspend : be->resume;

	if (!fn)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "%s %s: not offered for a %s",
			       r->op, r->ctid, be->type);
	return fn(r->srv->g, r->ctid, err);
}

static json_t *strv_json(char **v)
{
	json_t *a = json_array();
	for (char **p = v; p && *p; p++)
		json_array_append_new(a, json_string(*p));
	return a;
}

static json_t *pair_json(const struct vz_pair *p)
{
	json_t *b = p->barrier == VZ_UNLIMITED ? json_null() : json_integer((json_int_t)p->barrier);
	json_t *l = p->limit == VZ_UNLIMITED ? json_null() : json_integer((json_int_t)p->limit);
	return json_pack("{s:o, s:o}", "barrier", b, "limit", l);
}

/* Everything vzlist can show about one container. */
static json_t *list_entry(const struct vz_global_conf *g, const char *ctid, bool usage,
			  vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	struct vz_ct_status st;
	json_t *o;

	if (vz_ct_conf_load(g, ctid, &c, err) < 0 || vz_ct_status_of(g, c, &st, err) < 0)
		return NULL;
	o = status_json(ctid, &st);
	json_object_set_new(o, "type", json_string(vz_conf_is_vm(c) ? "VM"
						   : c->privileged    ? "CT-privileged"
								      : "CT"));
	json_object_set_new(o, "hostname", c->hostname ? json_string(c->hostname) : json_null());
	json_object_set_new(o, "ip", strv_json(c->ip_address));
	json_object_set_new(o, "ostemplate",
			    c->ostemplate ? json_string(c->ostemplate) : json_null());
	json_object_set_new(o, "onboot", json_boolean(c->onboot));
	json_object_set_new(o, "private", json_string(c->ve_private));
	json_object_set_new(o, "root", json_string(c->ve_root));
	json_object_set_new(o, "description",
			    c->description ? json_string(c->description) : json_null());
	json_object_set_new(o, "local_uid", json_integer(c->local_uid));
	json_object_set_new(o, "local_gid", json_integer(c->local_gid));
	json_object_set_new(o, "privileged", json_boolean(c->privileged));
	json_object_set_new(o, "cpuunits", json_integer(c->cpuunits));
	json_object_set_new(o, "cpulimit", json_integer(c->cpulimit));
	json_object_set_new(o, "cpus", json_integer(c->cpus));
	json_object_set_new(o, "physpages", pair_json(&c->physpages));
	json_object_set_new(o, "swappages", pair_json(&c->swappages));
	json_object_set_new(o, "numproc", pair_json(&c->numproc));
	json_object_set_new(o, "diskspace", pair_json(&c->diskspace));
	json_object_set_new(o, "cpumask", json_string(c->cpumask ? c->cpumask : "all"));
	json_object_set_new(o, "ioprio", json_integer(c->ioprio));
	json_object_set_new(o, "iolimit",
			    json_integer(c->iolimit == VZ_UNLIMITED ? 0 : (json_int_t)c->iolimit));
	json_object_set_new(o, "iopslimit", json_integer(c->iopslimit));
	if (usage)
		vzd_usage_into(g, c, o);
	return o;
}

static int h_list(struct request *r, json_t **ret, vz_error *err)
{
	cleanup_strv char **ids = NULL;
	/* "usage": false leaves out the cgroup statistics (about 30 files
	 * read per running container) when the caller shows none. */
	bool usage = !json_is_false(json_object_get(r->args, "usage"));
	json_t *a;

	if (vz_ct_list(r->srv->g, &ids, err) < 0)
		return -1;
	a = json_array();
	for (char **id = ids; *id; id++) {
		vz_error e = {0};
		json_t *o = list_entry(r->srv->g, *id, usage, &e);
		/* A container destroyed meanwhile simply drops out of the list. */
		if (!o && e.code != VZ_CT_NOT_EXIST)
			o = json_pack("{s:s, s:s, s:s}", "ctid", *id, "status", "broken", "error",
				      e.msg);
		if (o)
			json_array_append_new(a, o);
	}
	*ret = json_pack("{s:o}", "containers", a);
	return 0;
}

static int parse_params(const struct request *r, struct vz_param **ret, size_t *ret_n,
			vz_error *err)
{
	json_t *a = json_object_get(r->args, "params");
	struct vz_param *p;
	size_t i;
	json_t *item;

	if (!json_is_array(a) || json_array_size(a) > 1024)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "\"params\" must be an array");
	p = vz_xcalloc(json_array_size(a) + 1, sizeof(*p));
	json_array_foreach(a, i, item)
	{
		const char *key = json_string_value(json_object_get(item, "key"));
		const char *op = json_string_value(json_object_get(item, "op"));
		const char *value = json_string_value(json_object_get(item, "value"));
		if (!key || !value ||
		    (op && strcmp(op, "set") && strcmp(op, "add") && strcmp(op, "del"))) {
			free(p);
			return vz_fail(
			    err, VZ_INVALID_PARAMETER_SYNTAX,
			    "each param needs \"key\", \"value\" and an op of set/add/del");
		}
		p[i] = (struct vz_param){.key = key,
					 .value = value,
					 .op = !op || !strcmp(op, "set") ? VZ_PARAM_SET
					       : !strcmp(op, "add")	 ? VZ_PARAM_ADD
									 : VZ_PARAM_DEL};
	}
	*ret = p;
	*ret_n = json_array_size(a);
	return 0;
}

static int h_set(struct request *r, json_t **ret, vz_error *err)
{
	cleanup_free struct vz_param *params = NULL;
	bool pending = false, save = arg_bool(r, "save");
	size_t n = 0;

	if (parse_params(r, &params, &n, err) < 0 ||
	    vz_ct_set(r->srv->g, r->ctid, params, n, save, &pending, err) < 0)
		return -1;
	*ret = json_pack("{s:b, s:b}", "saved", save, "pending", pending);
	return 0;
}

/* ---- exec / enter ---------------------------------------------------- */

static int spawn_locked(struct request *r, struct vz_spawn_opts *o, pid_t *ret_pid, int *ret_master,
			vz_error *err)
{
	/* Serialize the spawn with other commands (a concurrent stop), but not
	 * the whole session: a long exec must not block a stop. */
	int lock_fd = vz_ct_lock(r->srv->g, r->ctid, r->srv->g->lock_timeout, err);
	int rc;

	if (lock_fd < 0)
		return -1;
	rc = vz_ct_spawn(r->srv->g, r->ctid, o, ret_pid, ret_master, err);
	vz_ct_unlock(r->srv->g, r->ctid, lock_fd);
	return rc;
}

static char **env_for(const struct request *r, const char *term)
{
	char **env = vz_xcalloc(6, sizeof(char *));
	env[0] = vz_xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	env[1] = vz_xstrdup("HOME=/root");
	env[2] = vz_strdup_printf("TERM=%s", term ? term : "dumb");
	env[3] = vz_xstrdup("container=vz");
	env[4] = vz_xstrdup("LANG=C.UTF-8");
	return env;
}

/* The guest agent runs the command; it needs no lock (nothing on the host
 * changes) and holds none while it runs. */
static int vm_exec(struct request *r, char *const *argv, json_t **ret, vz_error *err)
{
	int stdio[3] = {r->fds[0], r->fds[1], r->fds[2]}, code;

	if (vz_vm_exec(r->srv->g, r->ctid, argv, stdio, &code, err) < 0)
		return -1;
	*ret = json_pack("{s:i}", "status", code);
	return 0;
}

static int h_exec(struct request *r, json_t **ret, vz_error *err)
{
	cleanup_free const char **argv = NULL;
	cleanup_strv char **env = env_for(r, NULL);
	struct vz_spawn_opts o = {.stdio = {-1, -1, -1}};
	pid_t pid;
	int code;

	if (arg_strv(r, "argv", &argv, err) < 0)
		return -1;
	if (!argv || !argv[0])
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "exec needs a non-empty \"argv\"");
	if (r->n_fds != 3)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "exec needs stdin, stdout and stderr descriptors");
	if (vz_backend_get(r->srv->g, r->ctid) == &vz_vm_backend)
		return vm_exec(r, (char *const *)argv, ret, err);
	o.argv = (char *const *)argv;
	o.envp = env;
	for (int i = 0; i < 3; i++)
		o.stdio[i] = r->fds[i];
	if (spawn_locked(r, &o, &pid, NULL, err) < 0)
		return -1;
	/* The client's descriptors now live in the container process only, so
	 * the client sees EOF on its pipes when that process is done. */
	for (size_t i = 0; i < r->n_fds; i++) {
		close(r->fds[i]);
		r->fds[i] = -1;
	}
	if (vz_ct_spawn_wait(pid, &code, err) < 0)
		return -1;
	*ret = json_pack("{s:i}", "status", code);
	return 0;
}

/* Hand session @id to the client: its pty master and the connection to
 * its holder, which the client keeps while it relays (client.c closes the
 * second descriptor after the event), so a client that goes away hangs the
 * session up. */
static int send_pty(struct request *r, int id, int master, int conn, vz_error *err)
{
	json_t *ev = json_pack("{s:b, s:i}", "pty", 1, "session", id);
	int rc = vz_proto_send(r->sock, ev, (int[]){master, conn}, 2, err);

	json_decref(ev);
	return rc;
}

static int send_session(struct request *r, int id, vz_error *err)
{
	cleanup_close int master = -1, conn = -1;

	if (vz_session_attach(r->srv->g, r->ctid, id, &master, &conn, err) < 0)
		return -1;
	return send_pty(r, id, master, conn, err);
}

/* Tell the user about sessions a restore left detached. */
static void note_detached(struct request *r)
{
	cleanup_free struct vz_session *v = NULL;
	size_t n = 0;

	if (vz_session_list(r->srv->g, r->ctid, &v, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (v[i].attached)
			continue;
		cleanup_free char *msg = vz_strdup_printf(
		    "Container %s has a detached session on /dev/pts/%d: vzctl attach %s %d",
		    r->ctid, v[i].id, r->ctid, v[i].id);
		json_t *p = json_pack("{s:s}", "progress", msg);
		vz_proto_send(r->sock, p, NULL, 0, NULL);
		json_decref(p);
	}
}

static int h_enter(struct request *r, json_t **ret, vz_error *err)
{
	cleanup_free const char **argv = NULL;
	const char *term = arg_str(r, "term");
	cleanup_strv char **env = env_for(r, term ? term : "xterm");
	const char *shell_argv[] = {"/bin/sh", "-l", NULL};
	struct vz_spawn_opts o = {.stdio = {-1, -1, -1}, .pty = true, .term = term};
	cleanup_close int master = -1, conn = -1;
	struct vz_session s;
	pid_t pid;
	int code;

	if (vz_backend_get(r->srv->g, r->ctid) == &vz_vm_backend)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "%s is a VM: use vzctl console (or exec)", r->ctid);
	if (arg_strv(r, "argv", &argv, err) < 0)
		return -1;
	o.argv = (char *const *)(argv && argv[0] ? argv : shell_argv);
	o.envp = env;
	o.rows = (unsigned short)json_integer_value(json_object_get(r->args, "rows"));
	o.cols = (unsigned short)json_integer_value(json_object_get(r->args, "cols"));
	note_detached(r);
	/* The helper ends once the session runs (reparented to the init). */
	if (spawn_locked(r, &o, &pid, &master, err) < 0 || vz_ct_spawn_wait(pid, &code, err) < 0 ||
	    vz_session_start(r->srv->g, r->ctid, master, &conn, &s, err) < 0 ||
	    send_pty(r, s.id, master, conn, err) < 0)
		return -1;
	*ret = json_pack("{s:i, s:i}", "status", 0, "session", s.id);
	return 0;
}

/* Attach to a session: the one given, or the only detached one. */
static int h_attach(struct request *r, json_t **ret, vz_error *err)
{
	json_t *jid = json_object_get(r->args, "session");
	cleanup_free struct vz_session *v = NULL;
	size_t n = 0, detached = 0;
	int id = -1;

	if (json_is_integer(jid)) {
		id = (int)json_integer_value(jid);
	} else {
		if (vz_session_list(r->srv->g, r->ctid, &v, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (!v[i].attached && detached++ == 0)
				id = v[i].id;
		if (detached == 0)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "container %s has no detached session", r->ctid);
		if (detached > 1)
			return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
				       "container %s has %zu detached sessions: name one", r->ctid,
				       detached);
	}
	if (send_session(r, id, err) < 0)
		return -1;
	*ret = json_pack("{s:i, s:i}", "status", 0, "session", id);
	return 0;
}

static int h_sessions(struct request *r, json_t **ret, vz_error *err)
{
	cleanup_free struct vz_session *v = NULL;
	json_t *a = json_array();
	size_t n = 0;

	if (vz_session_list(r->srv->g, r->ctid, &v, &n, err) < 0) {
		json_decref(a);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:i, s:b, s:i}", "id", v[i].id, "attached",
						   v[i].attached, "holder", (int)v[i].holder));
	*ret = json_pack("{s:o}", "sessions", a);
	return 0;
}

/* The VM's serial console: the socket goes to the client, which relays it
 * to its terminal until the user detaches. */
static int h_console(struct request *r, json_t **ret, vz_error *err)
{
	const struct vz_backend_ops *be = vz_backend_get(r->srv->g, r->ctid);
	cleanup_close int fd = -1;
	json_t *hello;
	int rc;

	if (!be->console)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "container %s has no console: use vzctl enter", r->ctid);
	if (be->console(r->srv->g, r->ctid, &fd, err) < 0)
		return -1;
	hello = json_pack("{s:b}", "console", 1);
	rc = vz_proto_send(r->sock, hello, &fd, 1, err);
	json_decref(hello);
	return rc;
}

static const struct handler handlers[] = {
    {"version", h_version, false, false}, {"templates", h_templates, false, false},
    {"list", h_list, false, false},	  {"status", h_status, true, false},
    {"create", h_create, true, true},	  {"destroy", h_destroy, true, true},
    {"mount", h_mount, true, true},	  {"umount", h_umount, true, true},
    {"start", h_start, true, true},	  {"stop", h_stop, true, true},
    {"restart", h_restart, true, true},	  {"set", h_set, true, true},
    {"exec", h_exec, true, false},	  {"enter", h_enter, true, false},
    {"attach", h_attach, true, false},	  {"sessions", h_sessions, true, false},
    {"stats", vzd_h_stats, true, false},
    /* resume takes no lock: a command that entered a frozen container (an
     * exec spawning into it) holds the lock until the container thaws. */
    {"suspend", h_pause, true, true},	  {"resume", h_pause, true, false},
    {"console", h_console, true, false},
};

const struct handler *vzd_find_handler(const char *op)
{
	for (size_t i = 0; i < VZ_ARRAY_SIZE(handlers); i++)
		if (!strcmp(handlers[i].op, op))
			return &handlers[i];
	return vzd_find_migrate_handler(op);
}
