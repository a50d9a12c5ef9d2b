/* Name resolution files inside a container: /etc/hosts, /etc/resolv.conf.
 *
 * Written from inside the container (its root, its ids), never by the host
 * through VE_ROOT: a tenant's symlink at /etc/resolv.conf must not point a
 * host-root write anywhere. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "netns/netns.h"

static int write_one(const char *path, const char *text, vz_error *err)
{
	cleanup_close int fd = -1;

	if (!text)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return vz_fail_errno(err, VZ_SYSTEM_ERROR, "write `%s`", path);
	return 0;
}

int vz_net_write_files(const char *hosts, const char *resolv, vz_error *err)
{
	if (write_one("/etc/hosts", hosts, err) < 0 ||
	    write_one("/etc/resolv.conf", resolv, err) < 0)
		return -1;
	return 0;
}
