/* vzctl's checkpoint/restore and migration commands: chkpnt, restore,
 * suspend, resume, criu-check, migrate (vzmigrate) and migrate-receive.
 *
 * Like the rest of vzctl they only parse, send one request to vzd and
 * print; the work is in src/migrate. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/vzctl-migrate.h"
#include "lib/util.h"

struct mcommand {
	const char *name;
	int (*fn)(struct cli *cli, const struct mcommand *cmd, int argc, char **argv);
	const char *args;
	const char *help;
};

static int usage_error(struct cli *cli, const struct mcommand *cmd, const char *what)
{
	fprintf(stderr, "%s: %s\nUsage: vzctl %s %s\nTry `vzctl %s --help'.\n", cli->prog, what,
		cmd->name, cmd->args, cmd->name);
	return VZ_INVALID_PARAMETER_SYNTAX;
}

static void help(const struct mcommand *cmd)
{
	printf("Usage: vzctl [--vz-conf PATH] [-q|-v] %s %s\n%s", cmd->name, cmd->args, cmd->help);
}

static int call(struct cli *cli, json_t *req, const int *fds, size_t n_fds, json_t **ret_result)
{
	return vz_cli_call(cli, req, fds, n_fds, NULL, NULL, ret_result);
}

static int take_ctid(struct cli *cli, const struct mcommand *cmd, int argc, char **argv,
		     const char **ret)
{
	if (optind >= argc)
		return usage_error(cli, cmd, "missing CTID");
	if (!vz_ctid_valid(argv[optind])) {
		fprintf(stderr, "%s: invalid CTID `%s`: expected a number from 1 to 2147483647\n",
			cli->prog, argv[optind]);
		return VZ_INVALID_PARAMETER_VALUE;
	}
	*ret = argv[optind++];
	return 0;
}

/* chkpnt and restore: --dumpfile DIR and at most one stage flag. */
static int cmd_cpt(struct cli *cli, const struct mcommand *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dumpfile", required_argument, NULL, 'f'}, {"suspend", no_argument, NULL, 's'},
	    {"dump", no_argument, NULL, 'd'},		{"kill", no_argument, NULL, 'k'},
	    {"resume", no_argument, NULL, 'r'},		{"undump", no_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},		{NULL, 0, NULL, 0},
	};
	bool is_restore = !strcmp(cmd->name, "restore");
	const char *stage = NULL, *dumpfile = NULL, *ctid;
	json_t *args;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *s = NULL;
		switch (c) {
		case 'f':
			dumpfile = optarg;
			continue;
		case 's':
		case 'd':
		case 'k':
			if (is_restore)
				return usage_error(cli, cmd, "not a restore option");
			s = c == 's' ? "suspend" : c == 'd' ? "dump" : "kill";
			break;
		case 'u':
			if (!is_restore)
				return usage_error(cli, cmd, "--undump is a restore option");
			s = "undump";
			break;
		case 'r':
			s = "resume";
			break;
		case 'h':
			help(cmd);
			return 0;
		default:
			return usage_error(cli, cmd, "unknown option");
		}
		if (stage)
			return usage_error(cli, cmd, "give at most one stage option");
		stage = s;
	}
	if ((rc = take_ctid(cli, cmd, argc, argv, &ctid)))
		return rc;
	if (optind < argc)
		return usage_error(cli, cmd, "unexpected argument");
	if (dumpfile && dumpfile[0] != '/') {
		fprintf(stderr, "%s: --dumpfile `%s`: give an absolute directory path\n", cli->prog,
			dumpfile);
		return VZ_INVALID_PARAMETER_VALUE;
	}
	args = json_object();
	if (stage)
		json_object_set_new(args, "stage", json_string(stage));
	if (dumpfile)
		json_object_set_new(args, "dumpfile", json_string(dumpfile));
	return call(cli, vz_client_request(cmd->name, ctid, args), NULL, 0, NULL);
}

static int cmd_freeze(struct cli *cli, const struct mcommand *cmd, int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *ctid;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			help(cmd);
			return 0;
		}
		return usage_error(cli, cmd, "unknown option");
	}
	if ((rc = take_ctid(cli, cmd, argc, argv, &ctid)))
		return rc;
	if (optind < argc)
		return usage_error(cli, cmd, "unexpected argument");
	rc = call(cli, vz_client_request(cmd->name, ctid, NULL), NULL, 0, NULL);
	if (rc == 0 && !cli->quiet)
		printf("Container %s was %s\n", ctid,
		       !strcmp(cmd->name, "suspend") ? "suspended" : "resumed");
	return rc;
}

static int cmd_criu_check(struct cli *cli, const struct mcommand *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	json_t *r = NULL;
	bool as_json = false;
	const char *version;
	int c, rc;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			as_json = true;
			continue;
		}
		if (c == 'h') {
			help(cmd);
			return 0;
		}
		return usage_error(cli, cmd, "unknown option");
	}
	if ((rc = call(cli, vz_client_request("criu-check", NULL, NULL), NULL, 0, &r)))
		return rc;
	version = json_string_value(json_object_get(r, "version"));
	if (as_json) {
		json_dumpf(r, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("CRIU:        %s\n", json_string_value(json_object_get(r, "criu")));
		printf("Version:     %s\n", version ? version : "(does not run)");
		printf("criu check:  %s\n",
		       json_is_true(json_object_get(r, "check_ok")) ? "Looks good" : "FAILED");
		if (json_string_value(json_object_get(r, "check")) &&
		    !json_is_true(json_object_get(r, "check_ok")))
			printf("%s\n", json_string_value(json_object_get(r, "check")));
		printf("Lazy pages:  %s\n",
		       json_is_true(json_object_get(r, "lazy_pages")) ? "yes (userfaultfd)" : "no");
		printf("Dirty track: %s\n",
		       json_is_true(json_object_get(r, "dirty_track")) ? "yes (soft-dirty)" : "no");
		printf("Migration memory transfer: %s\n",
		       json_string_value(json_object_get(r, "memory")));
	}
	rc = version && json_is_true(json_object_get(r, "check_ok")) ? 0 : VZ_CHKPNT_ERROR;
	json_decref(r);
	return rc;
}

static void print_timings(json_t *r)
{
	const char *k;
	json_t *v;

	printf("Migration timings (memory transfer: %s):\n",
	       json_string_value(json_object_get(r, "memory")));
	json_object_foreach(json_object_get(r, "stages"), k, v)
	    printf("  %-10s %8.3f s\n", k, (double)json_integer_value(v) / 1000);
	printf("  %-10s %8.3f s\n  %-10s %8.3f s\n", "frozen",
	       (double)json_integer_value(json_object_get(r, "frozen_ms")) / 1000, "total",
	       (double)json_integer_value(json_object_get(r, "total_ms")) / 1000);
}

static int print_dry_run(struct cli *cli, json_t *r)
{
	json_t *b = json_object_get(r, "blockers"), *item;
	size_t i;

	if (json_array_size(b) == 0) {
		printf("Dry run: no blockers found\n");
		return 0;
	}
	printf("Dry run: %zu blocker(s):\n", json_array_size(b));
	json_array_foreach(b, i, item) printf("  - %s\n", json_string_value(item));
	return json_integer_value(json_object_get(r, "code")) ?: VZ_INVALID_PARAMETER_VALUE;
}

/* vzctl migrate CTID DEST [options]; as vzmigrate, DEST comes first
 * (vzmigrate [options] DEST CTID) and either order is accepted. */
static int cmd_migrate(struct cli *cli, const struct mcommand *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"online", no_argument, NULL, 'o'},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"keep-dst", no_argument, NULL, 'k'},
	    {"timings", no_argument, NULL, 't'},
	    {"json", no_argument, NULL, 'j'},
	    {"new-id", required_argument, NULL, 'i'},
	    {"memory", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	json_t *args = json_object(), *r = NULL;
	bool timings = false, as_json = false, dry = false;
	const char *ctid, *dest;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			json_object_set_new(args, "online", json_true());
			break;
		case 'n':
			dry = true;
			json_object_set_new(args, "dry_run", json_true());
			break;
		case 'k':
			json_object_set_new(args, "keep_dst", json_true());
			break;
		case 't':
			timings = true;
			break;
		case 'j':
			as_json = true;
			break;
		case 'i':
		case 'm':
			json_object_set_new(args, c == 'i' ? "new_id" : "memory",
					    json_string(optarg));
			break;
		case 'h':
			json_decref(args);
			help(cmd);
			return 0;
		default:
			json_decref(args);
			return usage_error(cli, cmd, "unknown option");
		}
	}
	if (argc - optind != 2) {
		json_decref(args);
		return usage_error(cli, cmd, "expected a CTID and a destination");
	}
	if (!vz_ctid_valid(argv[optind]) && vz_ctid_valid(argv[optind + 1]))
		optind++, ctid = argv[optind], dest = argv[optind - 1];
	else if ((rc = take_ctid(cli, cmd, argc, argv, &ctid))) {
		json_decref(args);
		return rc;
	} else
		dest = argv[optind];
	json_object_set_new(args, "dest", json_string(dest));
	rc = call(cli, vz_client_request("migrate", ctid, args), NULL, 0, &r);
	if (rc)
		return rc;
	if (as_json) {
		json_dumpf(r, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	if (dry && !as_json)
		rc = print_dry_run(cli, r);
	else if (dry)
		rc = json_array_size(json_object_get(r, "blockers")) ? VZ_INVALID_PARAMETER_VALUE
								     : 0;
	else if (timings && !as_json)
		print_timings(r);
	if (!dry && !cli->quiet && !as_json)
		printf("Container %s was migrated to %s\n", ctid, dest);
	json_decref(r);
	return rc;
}

/* Run on the destination by ssh: hand our stdin/stdout to vzd. */
static int cmd_migrate_receive(struct cli *cli, const struct mcommand *cmd, int argc, char **argv)
{
	static const int fds[2] = {0, 1};
	struct cli quiet = *cli;

	/* stdout is the channel: nothing else may be written to it. */
	quiet.quiet = true;
	return call(&quiet, vz_client_request("migrate-receive", NULL, NULL), fds, 2, NULL);
}

static const struct mcommand commands[] = {
    {"chkpnt", cmd_cpt, "CTID [--dumpfile DIR] [--suspend|--dump|--kill|--resume]",
     "Checkpoint a running container into DIR (default DUMPDIR/CTID) and stop it.\n"
     "  --dumpfile DIR  image directory\n"
     "  --suspend       only freeze the container\n"
     "  --dump          only write the images (of a suspended container); it stays frozen\n"
     "  --kill          only kill the (dumped) container\n"
     "  --resume        thaw a suspended container (cancel the checkpoint)\n"},
    {"restore", cmd_cpt, "CTID [--dumpfile DIR] [--undump|--resume]",
     "Restore a container from the images in DIR (default DUMPDIR/CTID).\n"
     "  --dumpfile DIR  image directory\n"
     "  --undump        recreate the processes, stopped\n"
     "  --resume        let processes restored with --undump run\n"},
    {"suspend", cmd_freeze, "CTID",
     "Freeze every process of a container (cgroup freezer), or pause a VM (QMP stop).\n"},
    {"resume", cmd_freeze, "CTID", "Thaw a suspended container, or continue a paused VM.\n"},
    {"criu-check", cmd_criu_check, "[-j|--json]",
     "Report the CRIU binary (CRIU= of vz.conf), its version, `criu check`, and\n"
     "which migration memory transfer this host supports.  Exit 16 if CRIU is unusable.\n"},
    {"migrate", cmd_migrate,
     "CTID DEST [--online] [--dry-run] [--keep-dst] [--timings] [--json] [--new-id N]\n"
     "       [--memory auto|post-copy|stop-and-copy|pre-copy]",
     "Move a container to the vzd on host DEST, reached with MIGRATE_SSH of vz.conf\n"
     "(DEST runs `vzctl migrate-receive`).  Also `vzmigrate [options] DEST CTID`.\n"
     "  --online     live: checkpoint, copy, restore (otherwise stop, copy, start)\n"
     "  --dry-run    list every blocker, change nothing\n"
     "  --keep-dst   on failure keep the copied private area at the destination\n"
     "  --timings    print per-stage and frozen times; --json prints the report as JSON\n"
     "  --new-id N   CTID at the destination\n"
     "  --memory M   memory transfer (auto: post-copy where both hosts support it,\n"
     "               else stop-and-copy; pre-copy is refused: no dirty tracking)\n"},
    {"migrate-receive", cmd_migrate_receive, "",
     "Destination side of a migration on stdin/stdout (run by ssh).\n"},
};

void vzctl_migrate_usage(FILE *out)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].args);
}

bool vzctl_migrate_command(struct cli *cli, int argc, char **argv, int *ret_rc)
{
	if (!strcmp(argv[0], "vzmigrate"))
		argv[0] = (char *)"migrate";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, argv[0])) {
			if (argc > 1 && !strcmp(argv[1], "--help")) {
				help(&commands[i]);
				*ret_rc = 0;
				return true;
			}
			*ret_rc = commands[i].fn(cli, &commands[i], argc, argv);
			return true;
		}
	return false;
}
