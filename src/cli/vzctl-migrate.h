/* vzctl's checkpoint/restore and migration commands (vzctl-migrate.c). */
#ifndef VZ_CLI_VZCTL_MIGRATE_H
#define VZ_CLI_VZCTL_MIGRATE_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"

/* Run argv[0] if it is one of these commands (*ret_rc its exit status). */
bool vzctl_migrate_command(struct cli *cli, int argc, char **argv, int *ret_rc);
/* Lines for vzctl's command list. */
void vzctl_migrate_usage(FILE *out);

#endif
