/* Shared state of the command-line programs. */
#ifndef VZ_CLI_H
#define VZ_CLI_H

#include <stdbool.h>

struct cli {
	const char *prog;
	const char *vz_conf; /* --vz-conf, or NULL for $VZ_CONF / default */
	bool quiet;
	bool verbose;
};

#endif
