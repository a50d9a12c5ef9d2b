/* Create, destroy and reconfigure containers (see container.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fault.h"
#include "lib/util.h"
#include "config/seckeys.h"
#include "netns/netns.h"
#include "runtime/internal.h"
#include "runtime/resources.h"
#include "storage/storage.h"
#include "vm/vm.h"

static void progress(vz_progress_fn fn, void *data, const char *msg)
{
	if (fn)
		fn(data, msg);
}

/* The sample config a new container starts from: --config NAME must exist;
 * the default CONFIGFILE may be absent (then the file starts empty). */
static int load_sample(const struct vz_global_conf *g, const char *name, bool explicit,
		       struct vz_kvfile **ret, vz_error *err)
{
	cleanup_free char *path = vz_sample_conf_path(g, name);

	if (vz_kvfile_load(path, ret, err) == 0)
		return 0;
	if (err->errnum == ENOENT && !explicit) {
		*ret = vz_kvfile_new(path);
		return 0;
	}
	if (err->errnum == ENOENT)
		return vz_fail(err, VZ_NOVECONFIG,
			       "sample configuration `%s` not found (--config %s)", path, name);
	return vz_error_wrap(err, "sample configuration");
}

/* Build the new CTID.conf text from the sample plus the create options, and
 * parse it back so every value is validated before anything is created. */
static int build_conf(const struct vz_global_conf *g, const char *ctid,
		      const struct vz_create_opts *o, const char *ostemplate,
		      struct vz_ct_conf **ret, vz_error *err)
{
	cleanup_kvfile struct vz_kvfile *kv = NULL;
	cleanup_free char *path = vz_ct_conf_path(g, ctid);
	cleanup_free char *text = NULL;
	cleanup_free char *ips = NULL;
	struct vz_ct_conf *c;
	char id[16];

	if (load_sample(g, o->config ? o->config : g->configfile, o->config != NULL, &kv, err) < 0)
		return -1;
	vz_kvfile_set(kv, "OSTEMPLATE", ostemplate);
	if (o->hostname)
		vz_kvfile_set(kv, "HOSTNAME", o->hostname);
	if (o->ipadd && o->ipadd[0]) {
		ips = vz_strv_join(o->ipadd, SIZE_MAX, " ");
		vz_kvfile_set(kv, "IP_ADDRESS", ips);
	}
	if (o->private_path)
		vz_kvfile_set(kv, "VE_PRIVATE", o->private_path);
	if (o->root_path)
		vz_kvfile_set(kv, "VE_ROOT", o->root_path);
	if (o->local_uid)
		vz_kvfile_set(kv, "LOCAL_UID", o->local_uid);
	if (o->local_gid)
		vz_kvfile_set(kv, "LOCAL_GID", o->local_gid);
	if (o->vmtype && !strcmp(o->vmtype, "vm"))
		vz_kvfile_set(kv, "VMTYPE", "vm");
	if (o->diskspace)
		vz_kvfile_set(kv, "DISKSPACE", o->diskspace);
	if (o->diskinodes)
		vz_kvfile_set(kv, "DISKINODES", o->diskinodes);
	text = vz_kvfile_format(kv);
	if (vz_ct_conf_parse(g, ctid, path, text, &c, err) < 0)
		return -1;
	/* Write the id range down, so the file says which host ids it owns. */
	snprintf(id, sizeof(id), "%u", c->local_uid);
	vz_kvfile_set(c->kv, "LOCAL_UID", id);
	snprintf(id, sizeof(id), "%u", c->local_gid);
	vz_kvfile_set(c->kv, "LOCAL_GID", id);
	*ret = c;
	return 0;
}

static int write_intent(const struct vz_ct_conf *c, const char *intent, vz_error *err);

static int check_new_ctid(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_free char *path = NULL;
	struct vz_ct_status st;

	if (!vz_ctid_valid(ctid))
		return vz_fail(err, VZ_INVALID_PARAMETER_VALUE,
			       "invalid CTID `%s`: expected a number from 1 to 2147483647", ctid);
	path = vz_ct_conf_path(g, ctid);
	if (vz_path_exists(path))
		return vz_fail(err, VZ_FS_PRVT_AREA_EXIST,
			       "container %s already exists (config `%s`)", ctid, path);
	if (vz_ct_status(g, ctid, &st, err) < 0)
		return -1;
	if (st.running)
		return vz_fail(err, VZ_VE_RUNNING, "container %s has no config but is running",
			       ctid);
	return 0;
}

int vz_ct_create(const struct vz_global_conf *g, const char *ctid, const struct vz_create_opts *o,
		 vz_progress_fn pfn, void *pdata, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	cleanup_free char *tarball = NULL;
	cleanup_free char *intent = NULL;
	const char *ostemplate = o->ostemplate ? o->ostemplate : g->def_ostemplate;
	struct vz_idmap map;

	if (o->vmtype && strcmp(o->vmtype, "vm") && strcmp(o->vmtype, "ct")) {
		vz_fail(err, VZ_INVALID_PARAMETER_VALUE, "--vmtype `%s`: expected ct or vm",
			o->vmtype);
		goto fail;
	}
	if (check_new_ctid(g, ctid, err) < 0 ||
	    vz_template_resolve(g, ostemplate, &tarball, err) < 0 ||
	    build_conf(g, ctid, o, ostemplate, &c, err) < 0)
		goto fail;
	ct_idmap(g, c, &map);
	if (!c->privileged && !vz_conf_is_vm(c) && vz_idmap_validate(&map, err) < 0)
		goto fail;
	/* A VM's files belong to its own kernel's root: no id shift. */
	if (c->privileged || vz_conf_is_vm(c))
		map = (struct vz_idmap){.host_uid = 0, .host_gid = 0, .size = UINT32_MAX};
	if (vz_mkdir_p(g->conf_dir, 0755, err) < 0)
		goto fail;
	/* The intent names what this create makes, so a vzd that crashes before
	 * the commit removes exactly that when it starts again. */
	intent = ct_create_intent_path(g, ctid);
	if (write_intent(c, intent, err) < 0)
		goto fail;
	vz_fault_point("create.after-intent");
	progress(pfn, pdata, "Creating container private area (from template)");
	/* The layout is written down for whoever moves the area (migration).
	 * A VM's DISKSPACE sizes its own disk image, made from a plain tree. */
	bool image = c->diskspace.limit != VZ_UNLIMITED && !vz_conf_is_vm(c);
	if ((!vz_conf_is_vm(c) &&
	     vz_ct_conf_set(c, "VE_LAYOUT", image ? "image" : "simfs", err) < 0) ||
	    vz_private_create(tarball, c->ve_private, &map,
			      image ? c->diskspace.limit : VZ_UNLIMITED,
			      image ? c->diskinodes.limit : VZ_UNLIMITED, err) < 0)
		goto fail_intent;
	if (vz_conf_is_vm(c)) {
		progress(pfn, pdata, "Creating VM disk image (mkfs.ext4 -d)");
		if (vz_vm_image_create(g, c, err) < 0)
			goto fail_private;
	}
	vz_fault_point("create.after-private");
	if (vz_mkdir_p(c->ve_root, 0755, err) < 0) {
		err->code = VZ_FS_NEW_VE_ROOT;
		goto fail_private;
	}
	/* The config is the commit point: until it exists there is no container. */
	if (vz_ct_conf_save(c, err) < 0) {
		/* A full disk keeps its own code (46): it says what to fix. */
		if (err->code != VZ_FS_NO_DISK_SPACE)
			err->code = VZ_SAVE_CONFIG;
		goto fail_root;
	}
	vz_fault_point("create.after-config");
	unlink(intent);
	progress(pfn, pdata, "Container private area was created");
	return 0;
fail_root:
	rmdir(c->ve_root);
fail_private:
	vz_private_destroy(c->ve_private, NULL);
fail_intent:
	unlink(intent);
fail:
	return vz_error_wrap(err, "cannot create container %s", ctid);
}

char *ct_create_intent_path(const struct vz_global_conf *g, const char *ctid)
{
	cleanup_free char *path = vz_ct_conf_path(g, ctid);

	return vz_strdup_printf("%s.creating", path);
}

/* The new config, under the intent name: it is only read back by
 * vz_ct_create_rollback, never taken for a container. */
static int write_intent(const struct vz_ct_conf *c, const char *intent, vz_error *err)
{
	cleanup_free char *text = vz_kvfile_format(c->kv);

	return vz_write_file_atomic(intent, text, strlen(text), 0644, err);
}

int vz_ct_create_rollback(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_free char *intent = ct_create_intent_path(g, ctid);
	cleanup_free char *path = vz_ct_conf_path(g, ctid);
	cleanup_free char *text = NULL;
	cleanup_free char *partial = NULL;
	cleanup_free char *mnt = NULL;
	cleanup_ct_conf struct vz_ct_conf *c = NULL;

	/* Committed: the config exists, only the intent was not removed yet. */
	if (vz_path_exists(path))
		goto done;
	if (vz_read_file(intent, 1024 * 1024, &text, NULL, err) < 0 ||
	    vz_ct_conf_parse(g, ctid, intent, text, &c, err) < 0)
		return vz_error_wrap(err, "roll back the creation of container %s", ctid);
	partial = vz_strdup_printf("%s.partial", c->ve_private);
	/* An image-backed area is filled through a mount inside .partial (its
	 * loop device goes with the unmount): never remove files through it. */
	mnt = vz_strdup_printf("%s/.mnt", partial);
	umount2(mnt, MNT_DETACH);
	if (vz_rm_rf(partial, err) < 0 || vz_private_destroy(c->ve_private, err) < 0)
		return vz_error_wrap(err, "roll back the creation of container %s", ctid);
	if (rmdir(c->ve_root) < 0 && errno != ENOENT)
		return vz_fail_errno(err, VZ_FS_DEL_PRVT, "remove `%s`", c->ve_root);
done:
	if (unlink(intent) < 0 && errno != ENOENT)
		return vz_fail_errno(err, VZ_FS_DEL_PRVT, "remove `%s`", intent);
	return 0;
}

static int finish_destroy(const struct vz_global_conf *g, const char *ctid, const char *destroyed,
			  vz_error *err);

/* Remove what a destroyed container left; @c comes from its (renamed) config. */
static int remove_container_files(const struct vz_global_conf *g, const struct vz_ct_conf *c,
				  vz_error *err)
{
	cleanup_free char *marker = ct_running_marker(g, c->ctid);
	struct vz_cgroup *cg = NULL;

	if (vz_conf_is_vm(c) && vz_vm_cleanup_stopped(g, c, err) < 0)
		return -1;
	if (vz_root_umount(c->ve_root, err) < 0 || vz_private_destroy(c->ve_private, err) < 0)
		return -1;
	vz_fault_point("destroy.after-private");
	if (rmdir(c->ve_root) < 0 && errno != ENOENT)
		return vz_fail_errno(err, VZ_FS_DEL_PRVT, "remove `%s`", c->ve_root);
	if (ct_cgroup(g, c->ctid, &cg, err) == 0) {
		int rc = cg->ops->destroy(cg, err);
		vz_cgroup_free(cg);
		if (rc < 0)
			return -1;
	}
	unlink(marker);
	return 0;
}

int vz_ct_destroy_finish(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_free char *path = vz_ct_conf_path(g, ctid);
	cleanup_free char *destroyed = vz_strdup_printf("%s.destroyed", path);

	return finish_destroy(g, ctid, destroyed, err);
}

static int finish_destroy(const struct vz_global_conf *g, const char *ctid, const char *destroyed,
			  vz_error *err)
{
	cleanup_free char *text = NULL;
	cleanup_ct_conf struct vz_ct_conf *c = NULL;

	if (vz_read_file(destroyed, 1024 * 1024, &text, NULL, err) < 0 ||
	    vz_ct_conf_parse(g, ctid, destroyed, text, &c, err) < 0 ||
	    remove_container_files(g, c, err) < 0)
		return -1;
	if (unlink(destroyed) < 0 && errno != ENOENT)
		return vz_fail_errno(err, VZ_FS_DEL_PRVT, "remove `%s`", destroyed);
	return 0;
}

int vz_ct_destroy(const struct vz_global_conf *g, const char *ctid, vz_error *err)
{
	cleanup_free char *path = NULL;
	cleanup_free char *destroyed = NULL;
	struct vz_ct_status st;

	if (vz_ct_status(g, ctid, &st, err) < 0)
		goto fail;
	if (!st.exists) {
		vz_fail(err, VZ_CT_NOT_EXIST, "container %s does not exist", ctid);
		goto fail;
	}
	if (st.running) {
		vz_fail(err, VZ_VE_RUNNING, "container %s is running; stop it first", ctid);
		goto fail;
	}
	path = vz_ct_conf_path(g, ctid);
	destroyed = vz_strdup_printf("%s.destroyed", path);
	/* Renaming the config is the commit point: from here the container is
	 * gone for every command, and vzd finishes the removal after a crash. */
	if (rename(path, destroyed) < 0 || vz_fsync_parent(destroyed) < 0) {
		vz_fail_errno(err, VZ_FS_DEL_PRVT, "rename `%s`", path);
		goto fail;
	}
	vz_fault_point("destroy.after-rename");
	if (finish_destroy(g, ctid, destroyed, err) < 0)
		goto fail;
	return 0;
fail:
	return vz_error_wrap(err, "cannot destroy container %s", ctid);
}

/* ---- set ------------------------------------------------------------- */

static bool is_list_key(const char *key)
{
	return !strcmp(key, "IP_ADDRESS") || !strcmp(key, "NAMESERVER") ||
	       !strcmp(key, "SEARCHDOMAIN") || vz_keyed_list(key);
}

static bool is_fixed_key(const char *key)
{
	static const char *fixed[] = {"VE_ROOT",   "VE_PRIVATE", "OSTEMPLATE", "LOCAL_UID",
				      "LOCAL_GID", "PRIVILEGED", "VE_LAYOUT"};
	for (size_t i = 0; i < VZ_ARRAY_SIZE(fixed); i++)
		if (!strcmp(key, fixed[i]))
			return true;
	return false;
}

/* New text of list key after adding or removing one word. */
static char *edit_list(const char *key, const char *current, enum vz_param_op op, const char *word)
{
	cleanup_strv char **v = vz_split_words(current);
	cleanup_free const char **kept = vz_xcalloc(1, sizeof(char *));
	size_t n = 0;

	for (char **p = v; *p; p++) {
		if (!strcmp(*p, word) || (op == VZ_PARAM_DEL && !strcmp(word, "all")) ||
		    (vz_keyed_list(key) && vz_same_entry(*p, word)))
			continue;
		kept = vz_xrealloc(kept, (n + 2) * sizeof(char *));
		kept[n++] = *p;
	}
	kept = vz_xrealloc(kept, (n + 2) * sizeof(char *));
	if (op == VZ_PARAM_ADD)
		kept[n++] = word;
	kept[n] = NULL;
	return vz_strv_join(kept, n, " ");
}

static int apply_param(struct vz_ct_conf *c, const struct vz_param *p, vz_error *err)
{
	cleanup_free char *value = NULL;

	if (!vz_ct_conf_key_known(p->key))
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "unknown parameter %s", p->key);
	if (is_fixed_key(p->key))
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "%s cannot be changed after the container was created", p->key);
	if (!strcmp(p->key, "NETIF") && p->op != VZ_PARAM_SET) {
		if (vz_netif_edit(vz_kvfile_get(c->kv, p->key), p->op == VZ_PARAM_ADD, p->value,
				  &value, err) < 0)
			return -1;
	} else if (p->op != VZ_PARAM_SET) {
		if (!is_list_key(p->key))
			return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "%s is not a list",
				       p->key);
		value = edit_list(p->key, vz_kvfile_get(c->kv, p->key), p->op, p->value);
	} else {
		value = vz_xstrdup(p->value);
	}
	return vz_ct_conf_set(c, p->key, value, err);
}

static int set_hostname_fn(void *arg)
{
	const char *name = arg;

	/* In a forked child: system calls only (lib/child.h). */
	if (sethostname(name, strlen(name)) < 0)
		return 1;
	ct_write_hostname_file(name);
	return 0;
}

static int write_resolv_fn(void *arg)
{
	vz_error ignored = {0};

	return vz_net_write_files(NULL, arg, &ignored) < 0;
}

/* Addresses, NICs and name servers of a running container. */
static int apply_live_net(const struct vz_global_conf *g, const struct vz_ct_conf *c,
			  const char *key, vz_error *err)
{
	cleanup_free char *host = NULL, *resolv = NULL;
	pid_t pid;

	if (!strcmp(key, "NAMESERVER") || !strcmp(key, "SEARCHDOMAIN")) {
		vz_read_file("/etc/resolv.conf", 65536, &host, NULL, NULL);
		resolv = vz_net_resolv_text(c, host);
		if (resolv && ct_run_fn(g, c->ctid, write_resolv_fn, resolv, err) < 0)
			return vz_error_wrap(err, "write resolv.conf");
		return 0;
	}
	if (ct_find_init(g, c->ctid, &pid, NULL, err) < 0)
		return -1;
	return vz_net_ct_update(g, c, pid, err);
}

static bool is_net_key(const char *key)
{
	return !strcmp(key, "IP_ADDRESS") || !strcmp(key, "NETIF") || !strcmp(key, "MAC_FILTER") ||
	       !strcmp(key, "NAMESERVER") || !strcmp(key, "SEARCHDOMAIN");
}

static int apply_live(const struct vz_global_conf *g, const struct vz_ct_conf *c,
		      const struct vz_param *params, size_t n, bool *pending, vz_error *err)
{
	bool net_done = false, limits = false;

	for (size_t i = 0; i < n; i++) {
		if (vz_res_key(params[i].key)) {
			limits = true;
		} else if (!strcmp(params[i].key, "DISKSPACE") ||
			   !strcmp(params[i].key, "DISKINODES")) {
			/* vz_res_set_disk did it, running or not. */
		} else if (is_net_key(params[i].key)) {
			/* One update covers every address and NIC change. */
			bool ns = !strcmp(params[i].key, "NAMESERVER") ||
				  !strcmp(params[i].key, "SEARCHDOMAIN");
			if ((ns || !net_done) && apply_live_net(g, c, params[i].key, err) < 0)
				return vz_error_wrap(err, "apply %s", params[i].key);
			net_done = net_done || !ns;
			/* --ifname edits (MAC, names, bridge) of an existing NIC
			 * need a new pair: they take effect at the next start. */
			if (!strcmp(params[i].key, "NETIF") && strchr(params[i].value, '='))
				*pending = true;
		} else if (!strcmp(params[i].key, "HOSTNAME")) {
			if (ct_run_fn(g, c->ctid, set_hostname_fn, c->hostname, err) < 0)
				return vz_error_wrap(err, "set host name");
		} else if (strcmp(params[i].key, "ONBOOT") &&
			   strcmp(params[i].key, "DESCRIPTION") &&
			   strcmp(params[i].key, "DISABLED")) {
			/* Resource limits and networking are applied live by the
			 * subsystems that own them; until then they wait for a start. */
			*pending = true;
		}
	}
	if (limits) {
		cleanup_cgroup struct vz_cgroup *cg = NULL;
		if (ct_cgroup(g, c->ctid, &cg, err) < 0 || vz_res_apply(c, cg, err) < 0)
			return -1;
	}
	return 0;
}

int vz_ct_set(const struct vz_global_conf *g, const char *ctid, const struct vz_param *params,
	      size_t n, bool save, bool *ret_pending, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	struct vz_pair old_space, old_inodes;
	struct vz_ct_status st;
	bool pending = false;

	if (n == 0)
		return vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX,
			       "no parameters to set for container %s", ctid);
	if (vz_ct_conf_load(g, ctid, &c, err) < 0)
		return -1;
	old_space = c->diskspace;
	old_inodes = c->diskinodes;
	for (size_t i = 0; i < n; i++)
		if (apply_param(c, &params[i], err) < 0)
			return vz_error_wrap(err, "container %s", ctid);
	if (vz_ct_status_of(g, c, &st, err) < 0)
		return -1;
	if (vz_conf_is_vm(c)) {
		if (vz_vm_set(g, c, params, n, st.running, &pending, err) < 0)
			return vz_error_wrap(err, "VM %s", ctid);
	} else {
		if (vz_res_set_disk(c, &old_space, &old_inodes, st.mounted, &pending, err) < 0)
			return vz_error_wrap(err, "container %s", ctid);
		if (st.running && apply_live(g, c, params, n, &pending, err) < 0)
			return vz_error_wrap(err, "container %s", ctid);
	}
	vz_fault_point("set.after-apply");
	if (!st.running)
		pending = true;
	if (save && vz_ct_conf_save(c, err) < 0) {
		/* A full disk keeps its own code (46): it says what to fix. */
		if (err->code != VZ_FS_NO_DISK_SPACE)
			err->code = VZ_SAVE_CONFIG;
		return -1;
	}
	if (ret_pending)
		*ret_pending = pending;
	return 0;
}
