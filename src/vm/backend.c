/* The container and VM backend tables (see backend.h). */
#include "config.h"

#include "lib/cleanup.h"
#include "migrate/migrate.h"
#include "vm/backend.h"
#include "vm/vm.h"

const struct vz_backend_ops vz_ct_backend = {
    .type = "CT",
    .start = vz_ct_start,
    .stop = vz_ct_stop,
    .suspend = vz_ct_suspend,
    .resume = vz_ct_resume,
    .exec = vz_ct_exec,
};

const struct vz_backend_ops vz_vm_backend = {
    .type = "VM",
    .start = vz_vm_start,
    .stop = vz_vm_stop,
    .suspend = vz_vm_suspend,
    .resume = vz_vm_resume,
    .exec = vz_vm_exec,
    .console = vz_vm_console_open,
};

const struct vz_backend_ops *vz_backend_of(const struct vz_ct_conf *c)
{
	return vz_conf_is_vm(c) ? &vz_vm_backend : &vz_ct_backend;
}

const struct vz_backend_ops *vz_backend_get(const struct vz_global_conf *g, const char *ctid)
{
	cleanup_ct_conf struct vz_ct_conf *c = NULL;

	if (vz_ct_conf_load(g, ctid, &c, NULL) < 0)
		return &vz_ct_backend;
	return vz_backend_of(c);
}
