/* vzctl: manage containers through vzd.
 *
 * Parses the command line, sends one request per command and turns the
 * reply into output and a vzctl-compatible exit status.  One handler per
 * command, found through the table at the bottom. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/vzctl-migrate.h"
#include "cli/console.h"
#include "config/values.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "proto/proto.h"

struct command {
	const char *name;
	int (*fn)(struct cli *cli, const struct command *cmd, int argc, char **argv);
	const char *args; /* synopsis after "vzctl NAME" */
	const char *help; /* option descriptions */
};

static __attribute__((format(printf, 3, 4))) int
usage_error(struct cli *cli, const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nUsage: vzctl %s %s\nTry `vzctl %s --help'.\n", cmd->name, cmd->args,
		cmd->name);
	return VZ_INVALID_PARAMETER_SYNTAX;
}

static void command_help(const struct command *cmd)
{
	printf("Usage: vzctl [--vz-conf PATH] [-q|-v] %s %s\n%s", cmd->name, cmd->args, cmd->help);
}

/* An option loop met --help (print it, exit 0) or an unknown option (20). */
static int option_stop(struct cli *cli, const struct command *cmd, int c)
{
	if (c == 'h') {
		command_help(cmd);
		return 0;
	}
	return usage_error(cli, cmd, "unknown option");
}

/* Send @req (consumed) and return the exit status; *ret_result optional. */
static int call(struct cli *cli, json_t *req, const int *fds, size_t n_fds,
		vz_client_event_fn on_event, void *data, json_t **ret_result)
{
	return vz_cli_call(cli, req, fds, n_fds, on_event, data, ret_result);
}

static __attribute__((format(printf, 2, 3))) void say(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Common head of every container command: options parsed by the caller,
 * then exactly one CTID must remain (plus @extra_ok trailing words). */
static int take_ctid(struct cli *cli, const struct command *cmd, int argc, char **argv,
		     bool extra_ok, const char **ret)
{
	if (optind >= argc)
		return usage_error(cli, cmd, "missing CTID");
	if (!vz_ctid_valid(argv[optind])) {
		fprintf(stderr, "%s: invalid CTID `%s`: expected a number from 1 to 2147483647\n",
			cli->prog, argv[optind]);
		return VZ_INVALID_PARAMETER_VALUE;
	}
	*ret = argv[optind++];
	if (!extra_ok && optind < argc)
		return usage_error(cli, cmd, "unexpected argument `%s`", argv[optind]);
	return 0;
}

#define HELP_OPT                                                                                   \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}
#define END_OPT                                                                                    \
	{                                                                                          \
		NULL, 0, NULL, 0                                                                   \
	}

/* Parse no options but --help. */
static int simple_opts(struct cli *cli, const struct command *cmd, int argc, char **argv,
		       bool stop_at_ctid)
{
	static const struct option opts[] = {HELP_OPT, END_OPT};
	int c;

	/* vzctl puts options after the CTID; only a command line (exec) must
	 * be left alone from the CTID on. */
	while ((c = getopt_long(argc, argv, stop_at_ctid ? "+h" : "h", opts, NULL)) != -1) {
		if (c == 'h') {
			command_help(cmd);
			return -1;
		}
		return usage_error(cli, cmd, "unknown option");
	}
	return 0;
}

/* ---- create ----------------------------------------------------------- */

static int cmd_create(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ostemplate", required_argument, NULL, 't'},
	    {"config", required_argument, NULL, 'c'},
	    {"hostname", required_argument, NULL, 'n'},
	    {"ipadd", required_argument, NULL, 'i'},
	    {"private", required_argument, NULL, 'p'},
	    {"root", required_argument, NULL, 'r'},
	    {"local_uid", required_argument, NULL, 'u'},
	    {"local_gid", required_argument, NULL, 'g'},
	    {"vmtype", required_argument, NULL, 'T'},
	    {"diskspace", required_argument, NULL, 'D'},
	    {"diskinodes", required_argument, NULL, 'I'},
	    HELP_OPT,
	    END_OPT,
	};
	json_t *args = json_object(), *ips = json_array();
	const char *ctid;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 't':
			key = "ostemplate";
			break;
		case 'c':
			key = "config";
			break;
		case 'n':
			key = "hostname";
			break;
		case 'p':
			key = "private";
			break;
		case 'r':
			key = "root";
			break;
		case 'u':
			key = "local_uid";
			break;
		case 'g':
			key = "local_gid";
			break;
		case 'T':
			key = "vmtype";
			break;
		case 'D':
			key = "diskspace";
			break;
		case 'I':
			key = "diskinodes";
			break;
		case 'i':
			json_array_append_new(ips, json_string(optarg));
			continue;
		default:
			json_decref(args);
			json_decref(ips);
			return option_stop(cli, cmd, c);
		}
		json_object_set_new(args, key, json_string(optarg));
	}
	json_object_set_new(args, "ipadd", ips);
	rc = take_ctid(cli, cmd, argc, argv, false, &ctid);
	if (rc) {
		json_decref(args);
		return rc;
	}
	rc = call(cli, vz_client_request("create", ctid, args), NULL, 0, NULL, NULL, NULL);
	if (rc == 0)
		say(cli, "Container %s was created", ctid);
	return rc;
}

/* ---- simple lifecycle commands --------------------------------------- */

static int cmd_simple(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	const char *ctid;
	const char *op = strcmp(cmd->name, "delete") == 0 ? "destroy" : cmd->name;
	int rc = simple_opts(cli, cmd, argc, argv, false);

	if (rc)
		return rc < 0 ? 0 : rc;
	rc = take_ctid(cli, cmd, argc, argv, false, &ctid);
	if (rc)
		return rc;
	if (!strcmp(op, "destroy"))
		say(cli, "Destroying container %s ...", ctid);
	rc = call(cli, vz_client_request(op, ctid, NULL), NULL, 0, NULL, NULL, NULL);
	if (rc)
		return rc;
	if (!strcmp(op, "destroy"))
		say(cli, "Container %s was destroyed", ctid);
	else if (!strcmp(op, "mount"))
		say(cli, "Container %s is mounted", ctid);
	else if (!strcmp(op, "umount"))
		say(cli, "Container %s is unmounted", ctid);
	return 0;
}

static int cmd_stop(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"fast", no_argument, NULL, 'f'},
	    {"timeout", required_argument, NULL, 't'},
	    HELP_OPT,
	    END_OPT,
	};
	json_t *args = json_object(), *result = NULL;
	const char *ctid, *msg;
	vz_error err = {0};
	uint32_t timeout;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'f') {
			json_object_set_new(args, "fast", json_true());
		} else if (c == 't') {
			if (vz_parse_u32(optarg, 0, 86400, &timeout, &err) < 0) {
				json_decref(args);
				fprintf(stderr, "%s: --timeout: %s\n", cli->prog, err.msg);
				return VZ_INVALID_PARAMETER_VALUE;
			}
			json_object_set_new(args, "timeout", json_integer(timeout));
		} else {
			json_decref(args);
			return option_stop(cli, cmd, c);
		}
	}
	rc = take_ctid(cli, cmd, argc, argv, false, &ctid);
	if (rc) {
		json_decref(args);
		return rc;
	}
	rc = call(cli, vz_client_request(cmd->name, ctid, args), NULL, 0, NULL, NULL, &result);
	msg = json_string_value(json_object_get(result, "message"));
	if (rc == 0 && msg)
		say(cli, "%s", msg);
	json_decref(result);
	return rc;
}

/* A VM's status says how it runs: paused, and TCG instead of KVM. */
static void vm_status_lines(json_t *result)
{
	const char *accel = json_string_value(json_object_get(result, "accel"));
	const char *notice = json_string_value(json_object_get(result, "notice"));

	if (!accel)
		return;
	printf("VM acceleration %s%s\n", accel,
	       json_is_true(json_object_get(result, "paused")) ? ", suspended" : "");
	if (notice)
		printf("Notice: %s\n", notice);
}

/* ---- status ----------------------------------------------------------- */

/* The shape of the read-only commands with -j: parse it, take the CTID,
 * ask vzd for @op.  With -j the result is printed here and *ret_result is
 * NULL; otherwise the caller prints *ret_result and frees it. */
static int query(struct cli *cli, const struct command *cmd, int argc, char **argv,
		 const char *op, const char **ret_ctid, json_t **ret_result)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, HELP_OPT, END_OPT};
	json_t *result = NULL;
	bool as_json = false;
	int c, rc;

	*ret_result = NULL;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c != 'j')
			return option_stop(cli, cmd, c);
		as_json = true;
	}
	rc = take_ctid(cli, cmd, argc, argv, false, ret_ctid);
	if (rc ||
	    (rc = call(cli, vz_client_request(op, *ret_ctid, NULL), NULL, 0, NULL, NULL, &result)))
		return rc;
	if (!as_json) {
		*ret_result = result;
		return 0;
	}
	json_dumpf(result, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(result);
	return 0;
}

static int cmd_status(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	json_t *result;
	const char *ctid;
	int rc = query(cli, cmd, argc, argv, "status", &ctid, &result);

	if (rc || !result)
		return rc;
	printf("CTID %s %s %s %s\n", ctid,
	       json_is_true(json_object_get(result, "exist")) ? "exist" : "deleted",
	       json_is_true(json_object_get(result, "mounted")) ? "mounted" : "unmounted",
	       json_is_true(json_object_get(result, "running")) ? "running" : "down");
	vm_status_lines(result);
	json_decref(result);
	return 0;
}

/* ---- stats ------------------------------------------------------------ */

/* A beancounter figure: null is "-" (unknown) for use, "unlimited" for limits. */
static void print_bc_value(json_t *v, bool is_limit)
{
	if (json_is_integer(v))
		printf(" %14lld", (long long)json_integer_value(v));
	else
		printf(" %14s", is_limit ? "unlimited" : "-");
}

static int cmd_stats(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const char *const cols[] = {"held", "maxheld", "barrier", "limit", "failcnt"};
	json_t *result, *bc;
	const char *ctid;
	size_t i;
	int rc = query(cli, cmd, argc, argv, "stats", &ctid, &result);

	if (rc || !result)
		return rc;
	printf("%-11s %14s %14s %14s %14s %14s\n", "resource", "held", "maxheld", "barrier",
	       "limit", "failcnt");
	json_array_foreach(json_object_get(result, "beancounters"), i, bc)
	{
		printf("%-11s", json_string_value(json_object_get(bc, "resource")));
		for (size_t k = 0; k < VZ_ARRAY_SIZE(cols); k++)
			print_bc_value(json_object_get(bc, cols[k]), k == 2 || k == 3);
		putchar('\n');
	}
	json_decref(result);
	return 0;
}

/* ---- exec / exec2 ----------------------------------------------------- */

static json_t *shell_argv(int argc, char **argv)
{
	json_t *a = json_array();
	char *cmdline;

	json_array_append_new(a, json_string("/bin/sh"));
	/* "vzctl exec CTID -": the commands come on stdin. */
	if (argc == 1 && !strcmp(argv[0], "-"))
		return a;
	cmdline = vz_strv_join((const char *const *)argv, (size_t)argc, " ");
	json_array_append_new(a, json_string("-c"));
	json_array_append_new(a, json_string(cmdline));
	free(cmdline);
	return a;
}

static int cmd_exec(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const int stdio[3] = {0, 1, 2};
	json_t *result = NULL;
	const char *ctid;
	int rc = simple_opts(cli, cmd, argc, argv, true), status;

	if (rc)
		return rc < 0 ? 0 : rc;
	rc = take_ctid(cli, cmd, argc, argv, true, &ctid);
	if (rc)
		return rc;
	if (optind >= argc)
		return usage_error(cli, cmd, "missing command");
	rc = call(
	    cli,
	    vz_client_request("exec", ctid,
			      json_pack("{s:o}", "argv", shell_argv(argc - optind, argv + optind))),
	    stdio, 3, NULL, NULL, &result);
	if (rc)
		return rc;
	status = (int)json_integer_value(json_object_get(result, "status"));
	json_decref(result);
	/* exec2 returns the command's own status; exec says only "it failed". */
	if (!strcmp(cmd->name, "exec2"))
		return status;
	return status == 0 ? 0 : VZ_EXEC_ERROR;
}

/* ---- enter ------------------------------------------------------------ */

struct session {
	int master;
	struct termios saved;
	bool raw;
};

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static void pass_winsize(int master)
{
	struct winsize ws;
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

static void make_raw(struct session *s)
{
	struct termios t;

	if (!isatty(0) || tcgetattr(0, &s->saved) < 0)
		return;
	t = s->saved;
	cfmakeraw(&t);
	if (tcsetattr(0, TCSANOW, &t) == 0)
		s->raw = true;
}

/* Copy between our terminal and the container's pty until the shell is gone. */
static void relay(int master)
{
	bool in_open = true;
	char buf[8192];

	for (;;) {
		struct pollfd p[2] = {{.fd = master, .events = POLLIN},
				      {.fd = in_open ? 0 : -1, .events = POLLIN}};
		ssize_t n;
		if (winch) {
			winch = 0;
			pass_winsize(master);
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(master, buf, sizeof(buf));
			if (n <= 0)
				return; /* EIO: the last process on the pty is gone */
			vz_write_all(1, buf, (size_t)n);
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			n = read(0, buf, sizeof(buf));
			if (n <= 0) {
				/* End of our input: an EOF character ends the shell. */
				vz_write_all(master, "\x04", 1);
				in_open = false;
			} else {
				vz_write_all(master, buf, (size_t)n);
			}
		}
	}
}

static int on_pty(void *data, json_t *msg, int fd)
{
	struct session *s = data;

	if (!json_is_true(json_object_get(msg, "pty")) || fd < 0)
		return -1;
	s->master = fd;
	make_raw(s);
	signal(SIGWINCH, on_winch);
	relay(fd);
	if (s->raw)
		tcsetattr(0, TCSANOW, &s->saved);
	close(fd);
	return 0;
}

/* The pty went away under the session: say why when the container went
 * with it (stopped, or checkpointed: a restore brings the session back). */
static void session_ended(struct cli *cli, const char *ctid)
{
	struct vz_client c = {.sock = -1, .quiet = true};
	json_t *req = vz_client_request("status", ctid, json_pack("{s:b}", "settled", 1)),
	       *st = NULL;
	vz_error err = {0};

	/* Quietly: vzd may be gone too.  "settled": the answer comes once the
	 * command that took the pty away (a chkpnt still cleaning up) ended. */
	if (vz_client_connect(cli->vz_conf, &c, &err) == 0 &&
	    vz_client_call(&c, req, NULL, 0, NULL, NULL, &st, &err) == 0 &&
	    !json_is_true(json_object_get(st, "running")))
		fprintf(stderr,
			"%s: container %s is down (stopped, checkpointed or migrated); a restored "
			"session is taken up with `vzctl attach %s`\n",
			cli->prog, ctid, ctid);
	json_decref(req);
	json_decref(st);
	vz_client_close(&c);
}

/* Relay the pty session of @op (enter, attach) until it ends. */
static int relay_session(struct cli *cli, const char *op, const char *ctid, json_t *args,
			 struct session *s)
{
	json_t *result = NULL;
	int rc;

	fflush(stdout);
	rc = call(cli, vz_client_request(op, ctid, args), NULL, 0, on_pty, s, &result);
	json_decref(result);
	if (rc == 0) {
		session_ended(cli, ctid);
		say(cli, "exited from CT %s", ctid);
	}
	return rc;
}

static int cmd_enter(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {HELP_OPT, END_OPT};
	struct session s = {.master = -1};
	json_t *args = json_object(), *av = json_array();
	struct winsize ws = {0};
	const char *ctid, *term = getenv("TERM");
	bool exec_given = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		json_decref(args);
		json_decref(av);
		return option_stop(cli, cmd, c);
	}
	rc = take_ctid(cli, cmd, argc, argv, true, &ctid);
	if (!rc && optind < argc) {
		exec_given = !strcmp(argv[optind], "--exec");
		if (!exec_given || ++optind >= argc)
			rc = usage_error(cli, cmd,
					 exec_given ? "--exec needs a command"
						    : "unexpected argument `%s`",
					 argv[optind - (exec_given ? 1 : 0)]);
	}
	if (rc) {
		json_decref(args);
		json_decref(av);
		return rc;
	}
	for (int i = optind; i < argc; i++)
		json_array_append_new(av, json_string(argv[i]));
	ioctl(0, TIOCGWINSZ, &ws);
	json_object_set_new(args, "argv", av);
	json_object_set_new(args, "rows", json_integer(ws.ws_row));
	json_object_set_new(args, "cols", json_integer(ws.ws_col));
	json_object_set_new(args, "term", json_string(term ? term : "xterm"));
	say(cli, "entered into CT %s", ctid);
	return relay_session(cli, "enter", ctid, args, &s);
}

static int list_sessions(struct cli *cli, const char *ctid)
{
	json_t *result = NULL, *v;
	size_t i;
	int rc = call(cli, vz_client_request("sessions", ctid, NULL), NULL, 0, NULL, NULL, &result);

	if (rc)
		return rc;
	printf("SESSION TTY         STATE\n");
	json_array_foreach(json_object_get(result, "sessions"), i, v)
		printf("%7d /dev/pts/%-3d %s\n", (int)json_integer_value(json_object_get(v, "id")),
		       (int)json_integer_value(json_object_get(v, "id")),
		       json_is_true(json_object_get(v, "attached")) ? "attached" : "detached");
	json_decref(result);
	return 0;
}

/* vzctl attach CTID [SESSION] | --list: back onto an enter session that a
 * restore (or a migration) left detached. */
static int cmd_attach(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {HELP_OPT, {"list", no_argument, NULL, 'l'}, END_OPT};
	struct session s = {.master = -1};
	json_t *args;
	const char *ctid;
	bool list = false;
	long id = -1;
	char *end;
	int c, rc;

	while ((c = getopt_long(argc, argv, "hl", opts, NULL)) != -1) {
		if (c != 'l')
			return option_stop(cli, cmd, c);
		list = true;
	}
	rc = take_ctid(cli, cmd, argc, argv, true, &ctid);
	if (rc)
		return rc;
	if (optind < argc) {
		id = strtol(argv[optind], &end, 10);
		if (*end || end == argv[optind] || id < 0 || id > 100000 || list)
			return usage_error(cli, cmd, "unexpected argument `%s`", argv[optind]);
		if (++optind < argc)
			return usage_error(cli, cmd, "unexpected argument `%s`", argv[optind]);
	}
	if (list)
		return list_sessions(cli, ctid);
	args = json_object();
	if (id >= 0)
		json_object_set_new(args, "session", json_integer(id));
	say(cli, "attached to CT %s", ctid);
	return relay_session(cli, "attach", ctid, args, &s);
}

/* ---- console (VMs) ------------------------------------------------------ */

static int on_console(void *data, json_t *msg, int fd)
{
	if (!json_is_true(json_object_get(msg, "console")) || fd < 0)
		return -1;
	vz_console_relay(fd);
	close(fd);
	return 0;
}

static int cmd_console(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	const char *ctid;
	int rc = simple_opts(cli, cmd, argc, argv, false);

	if (rc)
		return rc < 0 ? 0 : rc;
	rc = take_ctid(cli, cmd, argc, argv, false, &ctid);
	if (rc)
		return rc;
	return call(cli, vz_client_request("console", ctid, NULL), NULL, 0, on_console, NULL, NULL);
}

/* ---- set -------------------------------------------------------------- */

/* How a vzctl option maps onto a CTID.conf key. */
struct set_option {
	const char *name;
	const char *key;
	const char *op;	    /* set, add, del */
	const char *prefix; /* prepended to the value ("0:" for --ram) */
};

static const struct set_option set_options[] = {
    {"hostname", "HOSTNAME", "set", ""},
    {"ipadd", "IP_ADDRESS", "add", ""},
    {"ipdel", "IP_ADDRESS", "del", ""},
    {"nameserver", "NAMESERVER", "add", ""},
    {"searchdomain", "SEARCHDOMAIN", "add", ""},
    {"netif_add", "NETIF", "add", ""},
    {"netif_del", "NETIF", "del", ""},
    {"ifname", "NETIF", "ifname", "ifname="}, /* starts an edit of one NIC... */
    {"mac", "NETIF", "field", "mac="},	      /* ...which these fields change */
    {"host_ifname", "NETIF", "field", "host_ifname="},
    {"host_mac", "NETIF", "field", "host_mac="},
    {"bridge", "NETIF", "field", "bridge="},
    {"mtu", "NETIF", "field", "mtu="},
    {"mac_filter", "MAC_FILTER", "set", ""},
    {"onboot", "ONBOOT", "set", ""},
    {"disabled", "DISABLED", "set", ""},
    {"description", "DESCRIPTION", "set", ""},
    {"cpuunits", "CPUUNITS", "set", ""},
    {"cpulimit", "CPULIMIT", "set", ""},
    {"cpus", "CPUS", "set", ""},
    {"ram", "PHYSPAGES", "set", "0:"},
    {"swap", "SWAPPAGES", "set", "0:"},
    {"physpages", "PHYSPAGES", "set", ""},
    {"swappages", "SWAPPAGES", "set", ""},
    {"numproc", "NUMPROC", "set", ""},
    {"diskspace", "DISKSPACE", "set", ""},
    {"diskinodes", "DISKINODES", "set", ""},
    {"capability", "CAPABILITY", "add", ""},
    {"features", "FEATURES", "add", ""},
    {"devices", "DEVICES", "add", ""},
    {"devnodes", "DEVNODES", "add", ""},
    {"seccomp-profile", "SECCOMP_PROFILE", "set", ""},
    {"no-new-privs", "NO_NEW_PRIVS", "set", ""},
    {"cpumask", "CPUMASK", "set", ""},
    {"nodemask", "NODEMASK", "set", ""},
    {"ioprio", "IOPRIO", "set", ""},
    {"iolimit", "IOLIMIT", "set", ""},
    {"iopslimit", "IOPSLIMIT", "set", ""},
};

static json_t *set_param(const struct set_option *o, const char *value)
{
	char *v = vz_strdup_printf("%s%s", o->prefix, value);
	size_t len = strlen(v);
	json_t *p;

	/* vzctl accepts --cpulimit 50%. */
	if (!strcmp(o->key, "CPULIMIT") && len && v[len - 1] == '%')
		v[len - 1] = '\0';
	p = json_pack("{s:s, s:s, s:s}", "key", o->key, "op", o->op, "value", v);
	free(v);
	return p;
}

/* --ifname eth0 --mac M ... becomes one NETIF edit "ifname=eth0,mac=M". */
static void flush_netif_edit(json_t *params, char **edit)
{
	if (!*edit)
		return;
	json_array_append_new(
	    params, json_pack("{s:s, s:s, s:s}", "key", "NETIF", "op", "add", "value", *edit));
	free(*edit);
	*edit = NULL;
}

static int cmd_set(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct option opts[VZ_ARRAY_SIZE(set_options) + 3];
	json_t *params = json_array(), *result = NULL;
	bool save = false;
	const char *ctid;
	char *nif_edit = NULL;
	int c, idx, rc;

	for (size_t i = 0; i < VZ_ARRAY_SIZE(set_options); i++)
		opts[i] =
		    (struct option){set_options[i].name, required_argument, NULL, 1000 + (int)i};
	opts[VZ_ARRAY_SIZE(set_options)] = (struct option){"save", no_argument, NULL, 's'};
	opts[VZ_ARRAY_SIZE(set_options) + 1] = (struct option)HELP_OPT;
	opts[VZ_ARRAY_SIZE(set_options) + 2] = (struct option)END_OPT;
	while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
		const struct set_option *o = c >= 1000 ? &set_options[c - 1000] : NULL;
		if (o && !strcmp(o->op, "ifname")) {
			flush_netif_edit(params, &nif_edit);
			nif_edit = vz_strdup_printf("ifname=%s", optarg);
		} else if (o && !strcmp(o->op, "field")) {
			char *t;
			if (!nif_edit) {
				json_decref(params);
				return usage_error(cli, cmd, "--%s needs --ifname NAME before it",
						   o->name);
			}
			t = vz_strdup_printf("%s,%s%s", nif_edit, o->prefix, optarg);
			free(nif_edit);
			nif_edit = t;
		} else if (o) {
			json_array_append_new(params, set_param(o, optarg));
		} else if (c == 's') {
			save = true;
		} else {
			json_decref(params);
			return option_stop(cli, cmd, c);
		}
	}
	flush_netif_edit(params, &nif_edit);
	rc = take_ctid(cli, cmd, argc, argv, false, &ctid);
	if (!rc && json_array_size(params) == 0)
		rc = usage_error(cli, cmd, "nothing to set");
	if (rc) {
		json_decref(params);
		return rc;
	}
	rc = call(
	    cli,
	    vz_client_request("set", ctid, json_pack("{s:o, s:b}", "params", params, "save", save)),
	    NULL, 0, NULL, NULL, &result);
	if (rc == 0 && save)
		say(cli, "Saved parameters for CT %s", ctid);
	if (rc == 0 && save && json_is_true(json_object_get(result, "pending")))
		say(cli, "Some settings take effect only when the container starts");
	else if (rc == 0 && !save && json_is_true(json_object_get(result, "pending")))
		fprintf(stderr, "WARNING: some settings take effect only when the container "
				"starts, and were not saved "
				"(use --save)\n");
	json_decref(result);
	return rc;
}

/* ---- table ------------------------------------------------------------ */

static int cmd_help(struct cli *cli, const struct command *cmd, int argc, char **argv);

static const struct command commands[] = {
    {"create", cmd_create,
     "CTID [--ostemplate NAME] [--config NAME] [--hostname NAME] [--ipadd ADDR]...\n"
     "       [--private PATH] [--root PATH] [--local_uid UID] [--local_gid GID]\n"
     "       [--diskspace B[:L]] [--diskinodes B[:L]]",
     "Create a container from an OS template in the template cache.\n"
     "  --ostemplate NAME  template (default DEF_OSTEMPLATE of vz.conf)\n"
     "  --config NAME      start from CONF_DIR/ve-NAME.conf-sample\n"
     "  --hostname NAME    host name\n"
     "  --ipadd ADDR       IP address (repeatable)\n"
     "  --private PATH     private area (default VE_PRIVATE)\n"
     "  --root PATH        mount point (default VE_ROOT)\n"
     "  --local_uid UID    host uid of container root (default USERNS_BASE + CTID*USERNS_SIZE)\n"
     "  --local_gid GID    host gid of container root\n"
     "  --vmtype ct|vm     vm: a QEMU virtual machine with a disk image from the template\n"
     "  --diskspace B[:L]  disk limit: a container's private area becomes an image of L\n"
     "                     (1K blocks or K/M/G/T); a VM's image size (default 2G)\n"
     "  --diskinodes B[:L] inodes of a container's image\n"},
    {"start", cmd_simple, "CTID", "Start a container.\n"},
    {"stop", cmd_stop, "CTID [--fast] [--timeout SECONDS]",
     "Stop a container: run /sbin/halt inside, wait, then kill what is left.\n"
     "  --fast             kill at once\n"
     "  --timeout SECONDS  how long to wait for halt (default STOP_TIMEOUT)\n"},
    {"restart", cmd_stop, "CTID [--fast] [--timeout SECONDS]", "Stop and start a container.\n"},
    {"destroy", cmd_simple, "CTID", "Remove a stopped container: private area, root and config.\n"},
    {"delete", cmd_simple, "CTID", "Same as destroy.\n"},
    {"mount", cmd_simple, "CTID", "Mount the private area on VE_ROOT.\n"},
    {"umount", cmd_simple, "CTID", "Unmount VE_ROOT of a stopped container.\n"},
    {"status", cmd_status, "CTID [-j|--json]",
     "Print `CTID N exist|deleted mounted|unmounted running|down`.\n"
     "  -j, --json  print the status as JSON\n"},
    {"exec", cmd_exec, "CTID COMMAND [ARG...]",
     "Run COMMAND with /bin/sh -c in the container; `-` reads commands from stdin.\n"
     "Exit status 0, or 8 if the command returned non-zero.\n"},
    {"exec2", cmd_exec, "CTID COMMAND [ARG...]",
     "As exec, but exit with the command's own status.\n"},
    {"enter", cmd_enter, "CTID [--exec COMMAND [ARG...]]",
     "Open an interactive shell (or COMMAND) in the container on a pty.\n"
     "Leave with `exit` or Ctrl-D; closing vzctl hangs the session up.  The session\n"
     "lives in the container: a checkpoint keeps it, and after a restore or migration\n"
     "`vzctl attach` takes it up again.\n"},
    {"attach", cmd_attach, "CTID [SESSION] | CTID --list",
     "Attach to an enter session left detached by a restore or migration (SESSION:\n"
     "its /dev/pts number; optional if only one is detached).\n"
     "  -l, --list  list the container's sessions and their state\n"},
    {"set", cmd_set, "CTID [--save] PARAMETER VALUE...",
     "Change container parameters; --save writes them to CTID.conf.\n"
     "  --hostname NAME --ipadd ADDR --ipdel ADDR|all --nameserver ADDR|inherit\n"
     "  --searchdomain NAME|inherit\n"
     "  --netif_add IFNAME[,MAC,HOST_IFNAME,HOST_MAC,BRIDGE] --netif_del IFNAME|all\n"
     "  --ifname IFNAME [--mac MAC] [--host_ifname NAME] [--host_mac MAC] [--bridge NAME]\n"
     "     [--mtu N]\n"
     "  --mac_filter on|off  (anti-spoofing rules on the container's NICs)\n"
     "  --onboot yes|no --disabled yes|no --description TEXT\n"
     "  --cpuunits N --cpulimit PERCENT --cpus N\n"
     "  --ram SIZE --swap SIZE --physpages B[:L] --swappages B[:L] --numproc B[:L]\n"
     "  --diskspace B[:L] --diskinodes B[:L]      (sizes take K/M/G/T or `unlimited`)\n"
     "  --capability NAME:on|off --features NAME:on|off (nesting bpf perf userfaultfd keyctl)\n"
     "  --devices c|b:MAJOR:MINOR:r|w|rw|none --devnodes NAME:r|w|rw|none\n"
     "  --seccomp-profile NAME|PATH --no-new-privs yes|no  (take effect at the next start)\n"
     "  --cpumask LIST|all --nodemask LIST|all --ioprio 0..7\n"
     "  --iolimit BYTES/s --iopslimit OPS/s       (0: no limit; VMs: QEMU throttling)\n"
     "Limits apply to a running container at once.\n"},
    {"stats", cmd_stats, "CTID [-j|--json]",
     "Resource usage, beancounter style: held, maxheld, barrier, limit and failcnt\n"
     "of numproc, physpages, swappages (pages), diskspace (KiB), diskinodes.\n"
     "  -j, --json  print as JSON (with CPU time and block I/O totals)\n"},
    {"console", cmd_console, "CTID",
     "Attach to a VM's serial console; type Esc then . to detach.\n"},
    {"help", cmd_help, "[COMMAND]", "Show help.\n"},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < VZ_ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: vzctl [--vz-conf PATH] [-q|--quiet] [-v|--verbose] COMMAND CTID [OPTIONS]\n"
		"       vzctl --version | --help | help COMMAND\n\nCommands:\n");
	for (size_t i = 0; i < VZ_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].args);
	vzctl_migrate_usage(out);
	fprintf(out,
		"\nThe global configuration is --vz-conf, else $VZ_CONF, else /etc/vz/vz.conf.\n"
		"`vzctl COMMAND --help` describes each command; see vzctl(8).\n");
}

static int cmd_help(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	const struct command *c = optind + 1 < argc + 1 && argc > 1 ? find_command(argv[1]) : NULL;

	if (c)
		command_help(c);
	else
		usage(stdout);
	return 0;
}

static int parse_global(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"vz-conf", required_argument, NULL, 'c'}, {"quiet", no_argument, NULL, 'q'},
	    {"verbose", no_argument, NULL, 'v'},       {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},	       END_OPT,
	};
	int c;

	while ((c = getopt_long(argc, argv, "+qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli->vz_conf = optarg;
			break;
		case 'q':
			cli->quiet = true;
			break;
		case 'v':
			cli->verbose = true;
			break;
		case 'V':
			printf("vzctl version %s\n", PACKAGE_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(VZ_INVALID_PARAMETER_SYNTAX);
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct cli cli = {.prog = "vzctl"};
	const struct command *cmd;
	int first, rc;

	/* vzmigrate is vzctl under another name: `vzmigrate [options] DEST CTID`. */
	if (!strcmp(basename(argv[0]), "vzmigrate")) {
		argv[0] = (char *)"vzmigrate";
		optind = 0;
		return vzctl_migrate_command(&cli, argc, argv, &rc) ? rc : VZ_INVALID_PARAMETER_SYNTAX;
	}
	first = parse_global(&cli, argc, argv);

	if (first >= argc) {
		usage(stderr);
		return VZ_INVALID_PARAMETER_SYNTAX;
	}
	cmd = find_command(argv[first]);
	optind = 0;
	if (!cmd && vzctl_migrate_command(&cli, argc - first, argv + first, &rc))
		return rc;
	if (!cmd) {
		fprintf(stderr, "vzctl: unknown command `%s`\n", argv[first]);
		usage(stderr);
		return VZ_INVALID_PARAMETER_SYNTAX;
	}
	/* Each command parses its own options from its name on; optind = 0
	 * makes glibc re-read the ordering mode ("+" or not) of the new call. */
	optind = 0;
	return cmd->fn(&cli, cmd, argc - first, argv + first);
}
