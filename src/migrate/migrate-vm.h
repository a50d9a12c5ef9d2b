/* VM live migration over the migration channel (vm.c), used by send.c and
 * receive.c. */
#ifndef VZ_MIGRATE_VM_H
#define VZ_MIGRATE_VM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/conf.h"
#include "lib/error.h"
#include "migrate/transport.h"
#include "runtime/container.h"

struct mig_vm_send {
	const struct vz_global_conf *g;
	const char *ctid;
	struct mig_chan *chan;
	json_t *stages; /* gets "prepare", "mirror_migrate", "resume" (ms) */
	vz_progress_fn progress;
	void *pdata;
	uint64_t downtime_ms; /* out: QEMU's downtime */
	bool source_gone;     /* out: the source QEMU quit (migration completed) */
};

/* Source: refuse what online VM migration cannot do (a suspended guest). */
int mig_vm_check_online(const struct vz_global_conf *g, const char *ctid, vz_error *err);
/* Source: prepare the destination, mirror the disk and migrate the running
 * VM; on success it runs only at the destination (not yet committed).  On
 * a failure before the migration completed the VM runs here as before. */
int mig_vm_send_online(struct mig_vm_send *v, vz_error *err);

/* Destination, request vm_prepare {disk_bytes}: CTID.conf is in place. */
int mig_vm_prepare_in(const struct vz_global_conf *g, const char *ctid, json_t *msg, vz_error *err);
/* Destination, request vm_stream: carry the streams, wait for the guest. */
int mig_vm_stream_in(struct mig_chan *c, const struct vz_global_conf *g, const char *ctid,
		     vz_error *err);

#endif
