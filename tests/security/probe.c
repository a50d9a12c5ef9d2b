/* Escape attempts that a shell cannot express, run as container root.
 *
 *   probe NAME     make attempt NAME; exit 0 if it failed (as it must),
 *                  1 if it succeeded, 2 for a bad NAME
 *   probe -l       list the attempts
 *
 * Built static: the busybox template has no C library.  Each attempt prints
 * "NAME: blocked (errno text)" or "NAME: SUCCEEDED".  The 32-bit attempts go
 * through int $0x80 with i386 system call numbers, the entry point a 64-bit
 * seccomp filter forgets when it checks only the x86_64 numbers.
 *
 * Every attempt that changes something when it succeeds changes it to the
 * value it already has (the clock is set to the current time): a failing
 * confinement must not break the shared test machine.  And the probe
 * refuses to run anywhere but in a vz container (container=vz in the
 * environment of pid 1). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

static long sys_errno(long r)
{
	return r < 0 ? errno : 0;
}

/* An i386 system call from 64-bit code: the kernel runs it through the
 * compat entry with i386 numbers.  Returns -errno or the result. */
static long int80(long nr, long a, long b, long c, long d)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static long x_init_module(void)
{
	static char img[64];
	return sys_errno(syscall(SYS_init_module, img, sizeof(img), ""));
}
static long x_finit_module(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	return sys_errno(syscall(SYS_finit_module, fd, "", 0));
}
static long x_delete_module(void)
{
	return sys_errno(syscall(SYS_delete_module, "loop", O_NONBLOCK));
}
static long x_kexec_load(void)
{
	return sys_errno(syscall(SYS_kexec_load, 0, 0, NULL, 0));
}
static long x_kexec_file_load(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	return sys_errno(syscall(SYS_kexec_file_load, fd, fd, 1, "", 0));
}
static long x_reboot_kexec(void)
{
	/* Only the initial pid namespace may kexec or turn off ctrl-alt-del. */
	return sys_errno(reboot(RB_KEXEC));
}
static long x_reboot_cad(void)
{
	return sys_errno(reboot(RB_DISABLE_CAD));
}
static long x_settimeofday(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return sys_errno(settimeofday(&tv, NULL));
}
static long x_clock_settime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return sys_errno(clock_settime(CLOCK_REALTIME, &ts));
}
static long x_adjtimex(void)
{
	struct timex t = {.modes = ADJ_OFFSET_SINGLESHOT, .offset = 0};
	return sys_errno(adjtimex(&t));
}
static long x_clock_adjtime(void)
{
	struct timex t = {.modes = ADJ_SETOFFSET, .time = {.tv_sec = 0}};
	return sys_errno(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &t));
}
static long x_swapon(void)
{
	return sys_errno(swapon("/dev/null", 0));
}
static long x_swapoff(void)
{
	return sys_errno(swapoff("/dev/null"));
}
static long x_add_key(void)
{
	return sys_errno(syscall(SYS_add_key, "user", "vz-probe", "x", 1, -2 /* user keyring */));
}
static long x_keyctl(void)
{
	return sys_errno(syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3, 0));
}
static long x_request_key(void)
{
	return sys_errno(syscall(SYS_request_key, "user", "vz-probe", NULL, 0));
}
/* The "shocker" escape: guess a file handle of the host's root inode and
 * open it through any descriptor on the same file system. */
static long x_open_by_handle_at(void)
{
	struct {
		struct file_handle fh;
		unsigned char bytes[128];
	} h = {.fh.handle_bytes = 128};
	int mount_id, fd;

	if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) < 0) {
		/* Forge the ext4 root handle: inode 2, generation 0. */
		h.fh.handle_bytes = 8;
		h.fh.handle_type = 1;
		memset(h.bytes, 0, 8);
		h.bytes[0] = 2;
	}
	fd = (int)syscall(SYS_open_by_handle_at, open("/", O_RDONLY | O_CLOEXEC), &h.fh, O_RDONLY);
	return fd < 0 ? errno : 0;
}
static long x_bpf(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	return sys_errno(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)));
}
static long x_perf_event_open(void)
{
	struct perf_event_attr a = {
	    .type = PERF_TYPE_SOFTWARE, .size = sizeof(a), .config = PERF_COUNT_SW_CPU_CLOCK};
	/* every process on cpu 0: the whole host */
	return sys_errno(syscall(SYS_perf_event_open, &a, -1, 0, -1, 0));
}
static long x_userfaultfd(void)
{
	return sys_errno(syscall(SYS_userfaultfd, O_CLOEXEC));
}
static long x_personality(void)
{
	return sys_errno(personality(PER_LINUX | ADDR_NO_RANDOMIZE));
}
static long x_personality_exec(void)
{
	return sys_errno(personality(PER_LINUX | READ_IMPLIES_EXEC));
}
static long x_acct(void)
{
	return sys_errno(acct("/tmp/acct"));
}
static long x_iopl(void)
{
	return sys_errno(syscall(SYS_iopl, 3));
}
static long x_ioperm(void)
{
	return sys_errno(syscall(SYS_ioperm, 0x80, 1, 1));
}
static long x_syslog(void)
{
	char buf[256];
	return sys_errno(syscall(SYS_syslog, 3 /* READ_ALL */, buf, sizeof(buf)));
}
static long x_rlimit(void)
{
	struct rlimit r;
	getrlimit(RLIMIT_NOFILE, &r);
	r.rlim_max = r.rlim_max * 2 + 1;
	r.rlim_cur = r.rlim_max;
	return sys_errno(setrlimit(RLIMIT_NOFILE, &r));
}
/* Unshare a fresh user namespace: full capabilities, but over nothing of
 * the host's. */
static long x_unshare_userns_time(void)
{
	struct timeval tv;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return errno;
	gettimeofday(&tv, NULL);
	return sys_errno(settimeofday(&tv, NULL));
}
static long x_unshare_userns_module(void)
{
	static char img[64];
	if (unshare(CLONE_NEWUSER) < 0)
		return errno;
	return sys_errno(syscall(SYS_init_module, img, sizeof(img), ""));
}
static long x_setns_host(void)
{
	/* pid 1 is our init: its namespaces are ours.  No path leads to the
	 * host's, so try the only candidates /proc offers. */
	int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (setns(fd, CLONE_NEWNS) < 0)
		return errno;
	/* joined our own mount namespace: still no host root above / */
	return access("/proc/1/root/../../etc/vz", F_OK) == 0 ? 0 : errno;
}

/* 32-bit entry points (i386 numbers). */
static long i_init_module(void)
{
	return -int80(128, 0, 0, 0, 0);
}
static long i_kexec_load(void)
{
	return -int80(283, 0, 0, 0, 0);
}
static long i_settimeofday(void)
{
	return -int80(79, 0, 0, 0, 0);
}
static long i_stime(void)
{
	return -int80(25, 0, 0, 0, 0);
}
static long i_clock_settime64(void)
{
	return -int80(404, 0, 0, 0, 0);
}
static long i_keyctl(void)
{
	return -int80(288, 0, (long)-3, 0, 0);
}
static long i_add_key(void)
{
	return -int80(286, 0, 0, 0, 0);
}
static long i_open_by_handle_at(void)
{
	return -int80(342, -100, 0, 0, 0);
}
static long i_bpf(void)
{
	return -int80(357, 0, 0, 0, 0);
}
static long i_perf_event_open(void)
{
	return -int80(336, 0, -1, 0, -1);
}
static long i_userfaultfd(void)
{
	return -int80(374, 0, 0, 0, 0);
}
static long i_personality(void)
{
	return -int80(136, 0x0040000, 0, 0, 0);
}
static long i_swapon(void)
{
	return -int80(87, 0, 0, 0, 0);
}
static long i_vm86(void)
{
	return -int80(166, 0, 0, 0, 0);
}
/* x32 numbers: x86_64 ones with bit 30; the kernel here has no x32 ABI, the
 * filter must say ENOSYS or EPERM either way. */
static long x32_kexec_load(void)
{
	return sys_errno(syscall(0x40000000 | SYS_kexec_load, 0, 0, 0, 0));
}
static long x32_init_module(void)
{
	return sys_errno(syscall(0x40000000 | SYS_init_module, 0, 0, 0));
}

/* Must keep working: a filter that blocks these breaks ordinary software. */
static long ok_personality_query(void)
{
	return personality(0xffffffff) == -1 ? 0 : 1;
}
static long ok_personality_linux32(void)
{
	int r = personality(PER_LINUX32);
	personality(PER_LINUX);
	return r == -1 ? 0 : 1;
}
static long ok_sysinfo(void)
{
	return syscall(SYS_sysinfo, &(char[256]){0}) == 0;
}

static const struct {
	const char *name;
	long (*fn)(void);
	bool must_work; /* the attempt must succeed (returns 1) */
} attempts[] = {
#define A(n)                                                                                       \
	{                                                                                          \
#n, x_##n, false                                                                   \
	}
#define I(n)                                                                                       \
	{                                                                                          \
		"i386_" #n, i_##n, false                                                           \
	}
    A(init_module),
    A(finit_module),
    A(delete_module),
    A(kexec_load),
    A(kexec_file_load),
    A(reboot_kexec),
    A(reboot_cad),
    A(settimeofday),
    A(clock_settime),
    A(adjtimex),
    A(clock_adjtime),
    A(swapon),
    A(swapoff),
    A(add_key),
    A(keyctl),
    A(request_key),
    A(open_by_handle_at),
    A(bpf),
    A(perf_event_open),
    A(userfaultfd),
    A(personality),
    A(personality_exec),
    A(acct),
    A(iopl),
    A(ioperm),
    A(syslog),
    A(rlimit),
    A(unshare_userns_time),
    A(unshare_userns_module),
    A(setns_host),
    I(init_module),
    I(kexec_load),
    I(settimeofday),
    I(stime),
    I(clock_settime64),
    I(keyctl),
    I(add_key),
    I(open_by_handle_at),
    I(bpf),
    I(perf_event_open),
    I(userfaultfd),
    I(personality),
    I(swapon),
    I(vm86),
    {"x32_kexec_load", x32_kexec_load, false},
    {"x32_init_module", x32_init_module, false},
    {"ok_personality_query", ok_personality_query, true},
    {"ok_personality_linux32", ok_personality_linux32, true},
    {"ok_sysinfo", ok_sysinfo, true},
};

static bool in_vz_container(void)
{
	char env[8192];
	ssize_t n;
	int fd = open("/proc/1/environ", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, env, sizeof(env) - 1);
	close(fd);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(env + i) + 1) {
		env[n] = '\0';
		if (!strcmp(env + i, "container=vz"))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "-l")) {
		for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++)
			puts(attempts[i].name);
		return 0;
	}
	if (!in_vz_container()) {
		fprintf(stderr,
			"probe: not in a vz container (no container=vz in /proc/1/environ); "
			"refusing to try escapes on the host\n");
		return 3;
	}
	for (size_t i = 0; argc == 2 && i < sizeof(attempts) / sizeof(attempts[0]); i++) {
		long r;
		if (strcmp(argv[1], attempts[i].name))
			continue;
		r = attempts[i].fn();
		if (attempts[i].must_work) {
			printf("%s: %s\n", argv[1], r ? "works" : "FAILS");
			return r ? 0 : 1;
		}
		if (r > 0) {
			printf("%s: blocked (%s)\n", argv[1], strerror((int)r));
			return 0;
		}
		printf("%s: SUCCEEDED\n", argv[1]);
		return 1;
	}
	fprintf(stderr, "usage: probe NAME | -l\n");
	return 2;
}
