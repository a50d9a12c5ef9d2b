/* vzd's resource accounting: the `stats` request (beancounter view) and the
 * usage fields of every `list` entry, both from vz_ct_usage. */
#include "config.h"

#include <stdio.h>

#include "daemon/server.h"
#include "lib/cleanup.h"
#include "runtime/container.h"
#include "runtime/resources.h"

/* Unknown or unlimited figures are null. */
static json_t *num(uint64_t v)
{
	return v == VZ_CG_MAX ? json_null() : json_integer((json_int_t)v);
}

void vzd_usage_into(const struct vz_global_conf *g, const struct vz_ct_conf *c, json_t *o)
{
	static const char *const parts[] = {"held", "maxheld", "barrier", "limit", "failcnt"};
	bool running = json_is_true(json_object_get(o, "running"));
	struct vz_ct_usage u;
	char key[64];

	/* A listing shows what it can: statistics that cannot be read (the
	 * container stopped meanwhile) leave their fields out ("-"). */
	if (vz_ct_usage(g, c, running, &u, NULL) < 0)
		return;
	for (size_t i = 0; i < VZ_BC_N; i++) {
		const struct vz_bc *bc = &u.bc[i];
		uint64_t v[] = {bc->held, bc->maxheld, bc->barrier, bc->limit, bc->failcnt};
		for (size_t k = 0; k < 5; k++) {
			/* held, maxheld, failcnt: absent when unknown. */
			if (v[k] == VZ_CG_MAX && k != 2 && k != 3)
				continue;
			snprintf(key, sizeof(key), "%s_%s", bc->name, parts[k]);
			json_object_set_new(o, key, num(v[k]));
		}
	}
	if (!u.cgroup)
		return;
	json_object_set_new(o, "cpu_usage_ms",
			    json_integer((json_int_t)(u.cpu_usage_ns / 1000000)));
	json_object_set_new(o, "io_read_bytes", json_integer((json_int_t)u.io_rbytes));
	json_object_set_new(o, "io_write_bytes", json_integer((json_int_t)u.io_wbytes));
	json_object_set_new(o, "io_read_ops", json_integer((json_int_t)u.io_rios));
	json_object_set_new(o, "io_write_ops", json_integer((json_int_t)u.io_wios));
}

int vzd_h_stats(struct request *r, json_t **ret, vz_error *err)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;
	struct vz_ct_status st;
	struct vz_ct_usage u;
	json_t *bcs, *o;

	if (vz_ct_conf_load(r->srv->g, r->ctid, &c, err) < 0 ||
	    vz_ct_status_of(r->srv->g, c, &st, err) < 0 ||
	    vz_ct_usage(r->srv->g, c, st.running, &u, err) < 0)
		return -1;
	bcs = json_array();
	for (size_t i = 0; i < VZ_BC_N; i++) {
		const struct vz_bc *bc = &u.bc[i];
		json_array_append_new(bcs, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "resource",
						     bc->name, "held", num(bc->held), "maxheld",
						     num(bc->maxheld), "barrier", num(bc->barrier),
						     "limit", num(bc->limit), "failcnt",
						     num(bc->failcnt)));
	}
	o = json_pack("{s:s, s:b, s:o}", "ctid", r->ctid, "running", u.cgroup, "beancounters", bcs);
	if (u.cgroup)
		json_object_set_new(o, "usage",
				    json_pack("{s:I, s:I, s:I, s:I, s:I}", "cpu_usage_ms",
					      (json_int_t)(u.cpu_usage_ns / 1000000),
					      "io_read_bytes", (json_int_t)u.io_rbytes,
					      "io_write_bytes", (json_int_t)u.io_wbytes,
					      "io_read_ops", (json_int_t)u.io_rios, "io_write_ops",
					      (json_int_t)u.io_wios));
	*ret = o;
	return 0;
}

void vzd_lxcfs_notice(const struct vz_global_conf *g, const char *ctid)
{
	if (!vz_lxcfs_available(g->lxcfs_dir))
		vzd_log(LOG_NOTICE,
			"container %s: lxcfs is not mounted on %s; its /proc/meminfo, cpuinfo, "
			"stat, uptime and loadavg show the host's figures (start lxcfs, see "
			"scripts/lxcfs.sh)",
			ctid, g->lxcfs_dir);
}
