/* vzctl console: relay a VM's serial console (see console.h).
 *
 * The terminal goes raw so that control keys reach the guest; Esc . (as
 * OpenVZ's vzctl console) detaches and leaves the guest's shell running. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#include "cli/console.h"
#include "lib/util.h"

#define ESC	 0x1b
#define QUIET_MS 2000

/* Scan @buf for the detach sequence; *@state carries it across reads:
 * 0 = at line start, 1 = Esc seen at line start, 2 = mid-line. */
static bool wants_detach(const char *buf, size_t n, int *state)
{
	for (size_t i = 0; i < n; i++) {
		char ch = buf[i];
		if (*state == 1 && ch == '.')
			return true;
		if (ch == '\r' || ch == '\n')
			*state = 0;
		else if (*state == 0 && ch == ESC)
			*state = 1;
		else
			*state = 2;
	}
	return false;
}

static void relay(int fd, bool tty)
{
	bool in_open = true;
	int state = 0;
	char buf[4096];

	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = in_open ? 0 : -1, .events = POLLIN}};
		int r = poll(p, 2, in_open ? -1 : QUIET_MS);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return; /* input ended and the guest went quiet */
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				return;
			vz_write_all(1, buf, (size_t)n);
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				in_open = false;
				continue;
			}
			if (tty && wants_detach(buf, (size_t)n, &state))
				return;
			vz_write_all(fd, buf, (size_t)n);
		}
	}
}

void vz_console_relay(int fd)
{
	struct termios saved, raw;
	bool tty = isatty(0) && tcgetattr(0, &saved) == 0;

	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		fprintf(stderr, "Attached to the console; type Esc then . to detach\r\n");
	}
	relay(fd, tty);
	if (tty) {
		tcsetattr(0, TCSANOW, &saved);
		fprintf(stderr, "\nDetached from the console\n");
	}
}
