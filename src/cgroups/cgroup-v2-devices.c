/* cgroup v2 device filter: a BPF_CGROUP_DEVICE program built from the
 * container's device rules and attached to its cgroup.
 *
 * cgroup v2 has no devices controller; the kernel asks a BPF program
 * attached to the cgroup instead (and, on hybrid hosts, the v1 controller
 * as well: both must allow).  The program is a list of blocks, one per
 * rule, each jumping to the next on a mismatch and returning 1 (allow) on a
 * match; falling off the end returns 0 (deny). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups/cgroup-internal.h"
#include "cgroups/cgroup-v2-devices.h"
#include "config/seckeys.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o)	 INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV_REG(d, s)	 INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, i)	 INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define AND_IMM(d, i)	 INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH_IMM(d, i)	 INSN(BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT()		 INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* The kernel's access bits, from ours. */
static int32_t bpf_access(unsigned a)
{
	return (a & VZ_DEV_READ ? BPF_DEVCG_ACC_READ : 0) |
	       (a & VZ_DEV_WRITE ? BPF_DEVCG_ACC_WRITE : 0) |
	       (a & VZ_DEV_MKNOD ? BPF_DEVCG_ACC_MKNOD : 0);
}

/* One rule's block; the jumps are patched to its end once its length is
 * known.  Registers: r2 type, r3 requested access, r4 major, r5 minor. */
static size_t rule_block(const struct vz_dev_rule *r, struct bpf_insn *b)
{
	int32_t acc = bpf_access(r->access);
	size_t n = 0;

	if (r->type != 'a')
		b[n++] = JNE_IMM(2, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, 0);
	if (acc != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
		/* requested & ~allowed must be 0 */
		b[n++] = MOV_REG(1, 3);
		b[n++] = AND_IMM(1, ~acc);
		b[n++] = JNE_IMM(1, 0, 0);
	}
	if (r->major >= 0)
		b[n++] = JNE_IMM(4, (int32_t)r->major, 0);
	if (r->minor >= 0)
		b[n++] = JNE_IMM(5, (int32_t)r->minor, 0);
	b[n++] = MOV_IMM(0, 1);
	b[n++] = EXIT();
	for (size_t i = 0; i < n; i++)
		if (b[i].code == (BPF_JMP | BPF_JNE | BPF_K))
			b[i].off = (int16_t)(n - i - 1);
	return n;
}

size_t vz_devices_bpf(const struct vz_dev_rule *allow, size_t n, struct bpf_insn *out, size_t max)
{
	struct bpf_insn buf[16];
	size_t len = 0;

	/* header: load the context (struct bpf_cgroup_dev_ctx) */
	const struct bpf_insn head[] = {
	    LDX_W(2, 1, 0), AND_IMM(2, 0xffff), /* type */
	    LDX_W(3, 1, 0), RSH_IMM(3, 16),	/* access */
	    LDX_W(4, 1, 4), LDX_W(5, 1, 8),	/* major, minor */
	};
	for (size_t i = 0; i < VZ_ARRAY_SIZE(head); i++, len++)
		if (len < max)
			out[len] = head[i];
	for (size_t i = 0; i < n; i++) {
		size_t k;
		if (!allow[i].access)
			continue; /* grants nothing: deny is the default */
		k = rule_block(&allow[i], buf);
		for (size_t j = 0; j < k; j++, len++)
			if (len < max)
				out[len] = buf[j];
	}
	if (len < max)
		out[len] = MOV_IMM(0, 0);
	len++;
	if (len < max)
		out[len] = EXIT();
	return len + 1;
}

int vz_devices_bpf_load(const struct vz_dev_rule *allow, size_t n, vz_error *err)
{
	size_t len = vz_devices_bpf(allow, n, NULL, 0);
	cleanup_free struct bpf_insn *prog = vz_xcalloc(len, sizeof(*prog));
	char log[4096] = "";
	union bpf_attr a;
	int fd;

	vz_devices_bpf(allow, n, prog, len);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = (uint32_t)len;
	a.license = (uint64_t)(uintptr_t) "GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "load the device filter program%s%s",
				     log[0] ? ": " : "", log);
	return fd;
}

int vz_devices_bpf_attach(int cgroup_fd, int prog_fd, vz_error *err)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgroup_fd;
	a.attach_bpf_fd = (uint32_t)prog_fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	/* No flags: one program per cgroup, a second attach (a restart)
	 * replaces the first, and nothing below may override it. */
	a.attach_flags = 0;
	if (syscall(__NR_bpf, BPF_PROG_ATTACH, &a, sizeof(a)) < 0)
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "attach the device filter");
	return 0;
}

int vz_cgroup_v2_devices(struct vz_cgroup *cg, const struct vz_dev_rule *allow, size_t n,
			 vz_error *err)
{
	cleanup_free char *leaf = vz_strdup_printf("%s/%s/%s", cg->root, cg->parent, cg->name);
	cleanup_close int dir = -1, prog = -1;

	if ((dir = vz_cg_open_dir(leaf, err)) < 0 ||
	    (prog = vz_devices_bpf_load(allow, n, err)) < 0 ||
	    vz_devices_bpf_attach(dir, prog, err) < 0)
		return vz_error_wrap(err, "device filter of cgroup `%s`", leaf);
	return 0;
}
