/* crw: the checkpoint/restore workload run inside test containers.
 *
 * One process tree holding the state C/R must keep: a tick counter, a
 * file written through one descriptor (its offset must survive), a pipe to
 * a child, a unix socket pair to another child that echoes, a /dev/shm
 * mapping, and a TCP server that streams the tick to each client.  Any
 * inconsistency is appended to /tmp/crw.errors; /tmp/crw.state holds the
 * last tick seen by each part.  Static, so it runs in any template.
 *
 *   crw PORT      (daemonizes; the tests check the files)
 *   crw client HOST PORT   (prints each line received; exits on EOF)
 *   crw mem MIB   (daemonizes holding MIB of touched memory; for bench/cr.sh)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what, long a, long b)
{
	FILE *f = fopen("/tmp/crw.errors", "a");
	if (f) {
		fprintf(f, "%s: %ld != %ld\n", what, a, b);
		fclose(f);
	}
}

static void pipe_child(int rfd)
{
	long v, last = 0;
	while (read(rfd, &v, sizeof(v)) == sizeof(v)) {
		if (v != last + 1)
			fail("pipe order", v, last + 1);
		last = v;
		/* Replaced whole (as crw.state is): a reader must never see
		 * the file truncated and not yet written. */
		FILE *f = fopen("/tmp/crw.pipe.new", "w");
		if (f) {
			fprintf(f, "%ld\n", v);
			fclose(f);
			rename("/tmp/crw.pipe.new", "/tmp/crw.pipe");
		}
	}
	_exit(0);
}

static void echo_child(int s)
{
	long v;
	while (read(s, &v, sizeof(v)) == sizeof(v)) {
		v += 1000000;
		if (write(s, &v, sizeof(v)) != sizeof(v))
			break;
	}
	_exit(0);
}

static int client(const char *host, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	char buf[256];
	ssize_t n;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, host, &a.sin_addr);
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("connect");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((n = read(s, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}

static int hold_memory(unsigned long mib)
{
	size_t len = mib << 20;
	char *p;

	if (fork() > 0)
		return 0;
	setsid();
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	/* Distinct bytes per page, so no page is a zero page. */
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)(i >> 12);
	FILE *f = fopen("/tmp/crw.mem", "w");
	if (f) {
		fprintf(f, "%lu\n", mib);
		fclose(f);
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int p[2], sv[2], lfd, logfd, shmfd, one = 1, nclients = 0, clients[64];
	struct sockaddr_in a = {.sin_family = AF_INET};
	long tick = 0, *shm;

	if (argc == 4 && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "mem"))
		return hold_memory(strtoul(argv[2], NULL, 10));
	if (argc != 2)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	if (fork() > 0)
		return 0;
	setsid();
	if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	if (fork() == 0) {
		close(p[1]);
		pipe_child(p[0]);
	}
	if (fork() == 0) {
		close(sv[0]);
		echo_child(sv[1]);
	}
	close(p[0]);
	close(sv[1]);
	logfd = open("/tmp/crw.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	shmfd = open("/dev/shm/crw", O_RDWR | O_CREAT, 0644);
	if (logfd < 0 || shmfd < 0 || ftruncate(shmfd, 4096) < 0)
		return 1;
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons(atoi(argv[1]));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 16) < 0)
		return 1;
	for (;;) {
		char line[64];
		long echo = 0;
		int c, len;

		while ((c = accept(lfd, NULL, NULL)) >= 0 && nclients < 64)
			clients[nclients++] = c;
		tick++;
		/* One line per tick at offset (tick-1)*16: a lost offset shows. */
		len = snprintf(line, sizeof(line), "tick %10ld\n", tick);
		if (write(logfd, line, (size_t)len) != len)
			fail("log write", len, 0);
		if (lseek(logfd, 0, SEEK_CUR) != tick * 16)
			fail("log offset", lseek(logfd, 0, SEEK_CUR), tick * 16);
		if (write(p[1], &tick, sizeof(tick)) != sizeof(tick))
			fail("pipe write", tick, 0);
		if (write(sv[0], &tick, sizeof(tick)) != sizeof(tick) ||
		    read(sv[0], &echo, sizeof(echo)) != sizeof(echo) || echo != tick + 1000000)
			fail("unix echo", echo, tick + 1000000);
		if (shm[0] != tick - 1)
			fail("shm", shm[0], tick - 1);
		shm[0] = tick;
		for (int i = 0; i < nclients; i++)
			if (clients[i] >= 0 && write(clients[i], line, (size_t)len) != len) {
				close(clients[i]);
				clients[i] = -1;
			}
		FILE *f = fopen("/tmp/crw.state.new", "w");
		if (f) {
			fprintf(f, "%ld %ld %d\n", tick, shm[0], nclients);
			fclose(f);
			rename("/tmp/crw.state.new", "/tmp/crw.state");
		}
		usleep(100000);
	}
}
