/* vzlist: list containers, in vzctl's vzlist format or as JSON.
 *
 * vzd returns every field of every container; selecting, sorting and
 * formatting happen here, driven by the field table. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "lib/cleanup.h"
#include "lib/util.h"
#include "proto/proto.h"

enum align { LEFT, RIGHT };

struct field {
	const char *name; /* -o name */
	const char *header;
	int width;
	enum align align;
	const char *key; /* key in vzd's list entry */
	bool numeric;	 /* sort as a number */
};

/* Usage and limits, vzlist style: NAME is held, .m maxheld, .b barrier,
 * .l limit, .f failcnt (diskspace: .s soft, .h hard). */
/* clang-format off */
#define BC_FIELDS(n, h) \
	{n ".m", h ".M", 10, RIGHT, n "_maxheld", true}, \
	{n ".b", h ".B", 10, RIGHT, n "_barrier", true}, \
	{n ".l", h ".L", 10, RIGHT, n "_limit", true}, \
	{n ".f", h ".F", 10, RIGHT, n "_failcnt", true}
/* clang-format on */

static const struct field fields[] = {
    {"ctid", "CTID", 10, RIGHT, "ctid", true},
    {"nproc", "NPROC", 10, RIGHT, "nproc", true},
    {"status", "STATUS", 9, LEFT, "status", false},
    {"ip", "IP_ADDR", 15, LEFT, "ip", false},
    {"hostname", "HOSTNAME", 0, LEFT, "hostname", false},
    {"ostemplate", "OSTEMPLATE", 12, LEFT, "ostemplate", false},
    {"onboot", "ONBOOT", 6, LEFT, "onboot", false},
    {"private", "PRIVATE", 24, LEFT, "private", false},
    {"root", "ROOT", 24, LEFT, "root", false},
    {"description", "DESCRIPTION", 0, LEFT, "description", false},
    {"local_uid", "LOCAL_UID", 10, RIGHT, "local_uid", true},
    {"local_gid", "LOCAL_GID", 10, RIGHT, "local_gid", true},
    {"privileged", "PRIV", 4, LEFT, "privileged", false},
    {"type", "TYPE", 4, LEFT, "type", false},
    {"cpuunits", "CPUUNITS", 8, RIGHT, "cpuunits", true},
    {"cpulimit", "CPULIM", 6, RIGHT, "cpulimit", true},
    {"cpus", "CPUS", 4, RIGHT, "cpus", true},
    {"physpages", "PHYSPAGES", 10, RIGHT, "physpages_held", true},
    {"swappages", "SWAPPAGES", 10, RIGHT, "swappages_held", true},
    {"numproc", "NUMPROC", 10, RIGHT, "numproc_held", true},
    {"diskspace", "DISKSPACE", 10, RIGHT, "diskspace_held", true},
    BC_FIELDS("numproc", "NUMPROC"),
    BC_FIELDS("physpages", "PHYSPAGES"),
    BC_FIELDS("swappages", "SWAPPAGES"),
    {"diskspace.s", "DQBLOCKS.S", 10, RIGHT, "diskspace_barrier", true},
    {"diskspace.h", "DQBLOCKS.H", 10, RIGHT, "diskspace_limit", true},
    {"diskinodes", "DQINODES", 10, RIGHT, "diskinodes_held", true},
    {"diskinodes.s", "DQINODES.S", 10, RIGHT, "diskinodes_barrier", true},
    {"diskinodes.h", "DQINODES.H", 10, RIGHT, "diskinodes_limit", true},
    {"cpumask", "CPUMASK", 8, LEFT, "cpumask", false},
    {"ioprio", "IOPRIO", 6, RIGHT, "ioprio", true},
    {"iolimit", "IOLIMIT", 10, RIGHT, "iolimit", true},
    {"iopslimit", "IOPSLIMIT", 9, RIGHT, "iopslimit", true},
    {"cpuusage", "CPUUSAGE_MS", 11, RIGHT, "cpu_usage_ms", true},
    {"io.rb", "IO_READ_B", 12, RIGHT, "io_read_bytes", true},
    {"io.wb", "IO_WRITE_B", 12, RIGHT, "io_write_bytes", true},
    {"io.rops", "IO_READ_OPS", 11, RIGHT, "io_read_ops", true},
    {"io.wops", "IO_WRITE_OPS", 12, RIGHT, "io_write_ops", true},
};

static const struct field *find_field(const char *name)
{
	for (size_t i = 0; i < VZ_ARRAY_SIZE(fields); i++)
		if (!strcmp(fields[i].name, name) ||
		    (!strcmp(name, "veid") && !strcmp(fields[i].name, "ctid")))
			return &fields[i];
	return NULL;
}

/* The text of one cell; "-" when there is nothing to show. */
static char *cell(const struct field *f, json_t *ct)
{
	json_t *v = json_object_get(ct, f->key);
	bool running = json_is_true(json_object_get(ct, "running"));

	if (!strcmp(f->name, "nproc") && !running)
		return vz_xstrdup("-");
	if (json_is_object(v)) /* barrier/limit pair: show the limit */
		v = json_object_get(v, "limit");
	if (json_is_string(v))
		return vz_xstrdup(*json_string_value(v) ? json_string_value(v) : "-");
	if (json_is_integer(v))
		return vz_strdup_printf("%lld", (long long)json_integer_value(v));
	if (json_is_boolean(v))
		return vz_xstrdup(json_is_true(v) ? "yes" : "no");
	if (json_is_array(v) && json_array_size(v)) {
		cleanup_free const char **words =
		    vz_xcalloc(json_array_size(v) + 1, sizeof(char *));
		size_t i;
		json_t *item;
		json_array_foreach(v, i, item) words[i] =
		    json_string_value(item) ? json_string_value(item) : "";
		return vz_strv_join(words, i, " ");
	}
	return vz_xstrdup(json_is_null(v) && f->numeric && json_object_get(ct, f->key) ? "unlimited"
										       : "-");
}

static void print_row(const struct field **sel, size_t n, json_t *ct)
{
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *text = ct ? cell(sel[i], ct) : vz_xstrdup(sel[i]->header);
		bool last = i + 1 == n;
		if (i)
			putchar(' ');
		if (sel[i]->align == RIGHT)
			printf("%*s", sel[i]->width, text);
		else if (last)
			printf("%s", text);
		else
			printf("%-*s", sel[i]->width, text);
	}
	putchar('\n');
}

struct opts {
	bool all, stopped_only, no_header, json, reverse;
	const struct field *sel[VZ_ARRAY_SIZE(fields) * 2];
	size_t n_sel;
	const struct field *sort;
	char **ctids;
	int n_ctids;
};

static const struct field *sort_field;
static bool sort_reverse;

static int compare(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r;

	if (sort_field->numeric) {
		cleanup_free char *cx = cell(sort_field, x);
		cleanup_free char *cy = cell(sort_field, y);
		long long vx = strtoll(cx, NULL, 10), vy = strtoll(cy, NULL, 10);
		r = vx < vy ? -1 : vx > vy;
	} else {
		cleanup_free char *cx = cell(sort_field, x);
		cleanup_free char *cy = cell(sort_field, y);
		r = strcmp(cx, cy);
	}
	return sort_reverse ? -r : r;
}

static bool wanted(const struct opts *o, json_t *ct)
{
	const char *ctid = json_string_value(json_object_get(ct, "ctid"));
	bool running = json_is_true(json_object_get(ct, "running"));

	if (o->n_ctids) {
		for (int i = 0; i < o->n_ctids; i++)
			if (ctid && !strcmp(o->ctids[i], ctid))
				return true;
		return false;
	}
	if (o->stopped_only)
		return !running;
	return o->all || running;
}

static json_t *select_fields(const struct opts *o, json_t *ct)
{
	json_t *out;

	if (!o->n_sel)
		return json_incref(ct);
	out = json_object();
	for (size_t i = 0; i < o->n_sel; i++) {
		json_t *v = json_object_get(ct, o->sel[i]->key);
		json_object_set(out, o->sel[i]->key, v ? v : json_null());
	}
	return out;
}

/* Values vzd reads from the containers' cgroups, not from their configs. */
static bool field_needs_usage(const struct field *f)
{
	static const char *const suffixes[] = {"_held", "_maxheld", "_barrier", "_limit",
					       "_failcnt"};
	size_t len = strlen(f->key);

	if (!strncmp(f->key, "cpu_usage", 9) || !strncmp(f->key, "io_", 3))
		return true;
	for (size_t i = 0; i < VZ_ARRAY_SIZE(suffixes); i++) {
		size_t n = strlen(suffixes[i]);
		if (len > n && !strcmp(f->key + len - n, suffixes[i]))
			return true;
	}
	return false;
}

/* Whether this listing shows (or sorts by) any statistic: without, vzd
 * skips reading them, which is most of a listing's cost. */
static bool needs_usage(const struct opts *o)
{
	if (o->json && !o->n_sel)
		return true;
	if (o->sort && field_needs_usage(o->sort))
		return true;
	for (size_t i = 0; i < o->n_sel; i++)
		if (field_needs_usage(o->sel[i]))
			return true;
	return false;
}

static int output(const struct opts *o, json_t *list)
{
	size_t n = 0, i;
	json_t *ct, **rows = vz_xcalloc(json_array_size(list) + 1, sizeof(json_t *));
	static const char *defaults[] = {"ctid", "type", "nproc", "status", "ip", "hostname"};
	const struct field *def[VZ_ARRAY_SIZE(defaults)];
	const struct field **sel = (const struct field **)o->sel;
	size_t n_sel = o->n_sel;

	json_array_foreach(list, i, ct) if (wanted(o, ct)) rows[n++] = ct;
	sort_field = o->sort ? o->sort : find_field("ctid");
	sort_reverse = o->reverse;
	qsort(rows, n, sizeof(json_t *), compare);
	if (o->json) {
		json_t *out = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(out, select_fields(o, rows[i]));
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(out);
		free(rows);
		return 0;
	}
	if (!n_sel) {
		for (i = 0; i < VZ_ARRAY_SIZE(defaults); i++)
			def[i] = find_field(defaults[i]);
		sel = def;
		n_sel = VZ_ARRAY_SIZE(defaults);
	}
	if (!o->no_header)
		print_row(sel, n_sel, NULL);
	for (i = 0; i < n; i++)
		print_row(sel, n_sel, rows[i]);
	free(rows);
	/* As vzlist: nothing to show is worth a message, not an error. */
	if (n == 0 && !o->no_header && !o->n_ctids)
		fprintf(stderr, "Container(s) not found\n");
	return 0;
}

static int parse_fields(struct opts *o, const char *list)
{
	cleanup_free char *copy = vz_xstrdup(list);
	char *save = NULL;

	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		const struct field *f = find_field(name);
		if (!f) {
			fprintf(stderr, "vzlist: unknown field `%s` (vzlist -L lists them)\n",
				name);
			return -1;
		}
		if (o->n_sel < VZ_ARRAY_SIZE(o->sel))
			o->sel[o->n_sel++] = f;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: vzlist [--vz-conf PATH] [-a|-S] [-H] [-o FIELD[,FIELD...]] [-s "
		     "[-]FIELD] [-j] [CTID...]\n"
		     "       vzlist -L | --help | --version\n\n"
		     "  -a, --all          all containers (default: running ones)\n"
		     "  -S, --stopped      stopped containers only\n"
		     "  -H, --no-header    no header line\n"
		     "  -o, --output LIST  fields to show (default ctid,nproc,status,ip,hostname)\n"
		     "  -s, --sort FIELD   sort by FIELD; -FIELD sorts in reverse\n"
		     "  -j, --json         JSON output\n"
		     "  -L, --list         list the field names\n");
}

static int parse_args(int argc, char **argv, struct cli *cli, struct opts *o)
{
	static const struct option lopts[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"stopped", no_argument, NULL, 'S'},
	    {"no-header", no_argument, NULL, 'H'},
	    {"output", required_argument, NULL, 'o'},
	    {"sort", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"list", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {"vz-conf", required_argument, NULL, 'c'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "aSHo:s:jLh", lopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->all = true;
			break;
		case 'S':
			o->stopped_only = true;
			break;
		case 'H':
			o->no_header = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'c':
			cli->vz_conf = optarg;
			break;
		case 'o':
			if (parse_fields(o, optarg) < 0)
				return VZ_INVALID_PARAMETER_VALUE;
			break;
		case 's':
			o->reverse = optarg[0] == '-';
			o->sort = find_field(optarg + (o->reverse ? 1 : 0));
			if (!o->sort) {
				fprintf(stderr, "vzlist: unknown sort field `%s`\n", optarg);
				return VZ_INVALID_PARAMETER_VALUE;
			}
			break;
		case 'L':
			for (size_t i = 0; i < VZ_ARRAY_SIZE(fields); i++)
				printf("%-12s %s\n", fields[i].name, fields[i].header);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("vzlist version %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return VZ_INVALID_PARAMETER_SYNTAX;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (!vz_ctid_valid(argv[i])) {
			fprintf(stderr, "vzlist: invalid CTID `%s`\n", argv[i]);
			return VZ_INVALID_PARAMETER_VALUE;
		}
	}
	o->ctids = argv + optind;
	o->n_ctids = argc - optind;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {.prog = "vzlist", .quiet = true};
	struct vz_client c = {.sock = -1, .quiet = true};
	struct opts o = {0};
	json_t *result = NULL;
	vz_error err = {0};
	int rc = parse_args(argc, argv, &cli, &o);

	if (rc)
		return rc;
	if (vz_client_connect(cli.vz_conf, &c, &err) < 0)
		return vz_client_fail(cli.prog, &err);
	{
		json_t *req = vz_client_request("list", NULL,
						json_pack("{s:b}", "usage", needs_usage(&o)));
		rc = vz_client_call(&c, req, NULL, 0, NULL, NULL, &result, &err);
		json_decref(req);
	}
	vz_client_close(&c);
	if (rc < 0)
		return vz_client_fail(cli.prog, &err);
	rc = output(&o, json_object_get(result, "containers"));
	json_decref(result);
	return rc;
}
