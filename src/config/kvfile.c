/* vzctl-style KEY="value" files, kept line for line (see kvfile.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config/kvfile.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define KV_MAX_FILE (1024 * 1024)

struct vz_kvfile *vz_kvfile_new(const char *path)
{
	struct vz_kvfile *kv = vz_xcalloc(1, sizeof(*kv));
	kv->path = vz_xstrdup(path ? path : "<memory>");
	return kv;
}

void vz_kvfile_free(struct vz_kvfile *kv)
{
	if (!kv)
		return;
	for (size_t i = 0; i < kv->n_lines; i++) {
		free(kv->lines[i].raw);
		free(kv->lines[i].key);
		free(kv->lines[i].value);
	}
	free(kv->lines);
	free(kv->path);
	free(kv);
}

static bool key_char(char c, bool first)
{
	return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

/* Parse the value part starting at @p (just after '=').  Accepts "..." with
 * \" \\ \$ \` escapes, '...' verbatim, or a bare word; then optional blanks
 * and an optional # comment.  As in the shell, '#' starts a comment only at
 * the start of a word: in `A=x#y` it belongs to the value, and `A="x"#y`
 * (which the shell reads as x#y) is refused rather than read as "x". */
static const char *parse_value(const char *p, char **ret)
{
	size_t cap = strlen(p) + 1, n = 0;
	cleanup_free char *out = vz_xcalloc(1, cap);

	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (!*p)
				return "unterminated double quote";
			if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
				p++;
			out[n++] = *p;
		}
		p++;
	} else if (*p == '\'') {
		for (p++; *p != '\''; p++) {
			if (!*p)
				return "unterminated single quote";
			out[n++] = *p;
		}
		p++;
	} else {
		for (; *p && !isspace((unsigned char)*p); p++) {
			if (*p == '"' || *p == '\'' || *p == ';' || *p == '`')
				return "unquoted value contains a quote or shell metacharacter";
			out[n++] = *p;
		}
	}
	if (*p && *p != ' ' && *p != '\t')
		return "unexpected text after the value";
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && *p != '#')
		return "unexpected text after the value";
	out[n] = '\0';
	*ret = steal_pointer(&out);
	return NULL;
}

/* Fill @line from @raw; returns NULL or a description of what is wrong. */
static const char *parse_line(const char *raw, struct vz_kv_line *line)
{
	const char *p = raw, *key_start;
	size_t key_len;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return NULL;
	if (strncmp(p, "export ", 7) == 0)
		p += 7;
	key_start = p;
	if (!key_char(*p, true))
		return "expected KEY=\"value\"";
	while (key_char(*p, false))
		p++;
	key_len = (size_t)(p - key_start);
	if (*p != '=')
		return "expected '=' after the key (no blanks around it)";
	line->key = strndup(key_start, key_len);
	if (!line->key)
		abort();
	return parse_value(p + 1, &line->value);
}

int vz_kvfile_parse(const char *path, const char *text, struct vz_kvfile **ret, vz_error *err)
{
	struct vz_kvfile *kv = vz_kvfile_new(path);
	const char *p = text;
	unsigned lineno = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct vz_kv_line *line;
		const char *why;

		lineno++;
		kv->lines = vz_xrealloc(kv->lines, (kv->n_lines + 1) * sizeof(*kv->lines));
		line = &kv->lines[kv->n_lines++];
		memset(line, 0, sizeof(*line));
		line->raw = strndup(p, len);
		if (!line->raw)
			abort();
		line->lineno = lineno;
		if (memchr(p, '\0', len) || (len && p[len - 1] == '\r'))
			why = "control character in line";
		else
			why = parse_line(line->raw, line);
		if (why) {
			vz_fail(err, VZ_INVALID_PARAMETER_SYNTAX, "%s:%u: %s%s%s: %s", kv->path,
				lineno, line->key ? "key " : "", line->key ? line->key : "",
				line->key ? "" : "malformed line", why);
			vz_kvfile_free(kv);
			return -1;
		}
		p += len + (nl ? 1 : 0);
	}
	*ret = kv;
	return 0;
}

int vz_kvfile_load(const char *path, struct vz_kvfile **ret, vz_error *err)
{
	cleanup_free char *text = NULL;

	if (vz_read_file(path, KV_MAX_FILE, &text, NULL, err) < 0)
		return -1;
	return vz_kvfile_parse(path, text, ret, err);
}

static struct vz_kv_line *find_last(const struct vz_kvfile *kv, const char *key)
{
	for (size_t i = kv->n_lines; i-- > 0;)
		if (kv->lines[i].key && strcmp(kv->lines[i].key, key) == 0)
			return &kv->lines[i];
	return NULL;
}

const char *vz_kvfile_get(const struct vz_kvfile *kv, const char *key)
{
	struct vz_kv_line *line = find_last(kv, key);
	return line ? line->value : NULL;
}

unsigned vz_kvfile_lineno(const struct vz_kvfile *kv, const char *key)
{
	struct vz_kv_line *line = find_last(kv, key);
	return line ? line->lineno : 0;
}

struct vz_kvfile *vz_kvfile_dup(const struct vz_kvfile *kv)
{
	struct vz_kvfile *copy = vz_kvfile_new(kv->path);

	copy->lines = vz_xcalloc(kv->n_lines, sizeof(*copy->lines));
	for (size_t i = 0; i < kv->n_lines; i++) {
		const struct vz_kv_line *l = &kv->lines[i];
		copy->lines[i] = (struct vz_kv_line){
		    .raw = vz_xstrdup(l->raw),
		    .key = l->key ? vz_xstrdup(l->key) : NULL,
		    .value = l->value ? vz_xstrdup(l->value) : NULL,
		    .lineno = l->lineno,
		};
	}
	copy->n_lines = kv->n_lines;
	return copy;
}

static char *format_assignment(const char *key, const char *value)
{
	size_t n = 0;
	char *out = vz_xcalloc(1, strlen(key) + 2 * strlen(value) + 4);

	n += (size_t)sprintf(out, "%s=\"", key);
	for (const char *p = value; *p; p++) {
		if (strchr("\"\\$`", *p))
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

static void remove_key(struct vz_kvfile *kv, const char *key)
{
	size_t w = 0;

	for (size_t r = 0; r < kv->n_lines; r++) {
		struct vz_kv_line *l = &kv->lines[r];
		if (l->key && strcmp(l->key, key) == 0) {
			free(l->raw);
			free(l->key);
			free(l->value);
			continue;
		}
		kv->lines[w++] = *l;
	}
	kv->n_lines = w;
}

void vz_kvfile_set(struct vz_kvfile *kv, const char *key, const char *value)
{
	struct vz_kv_line *line;

	if (!value) {
		remove_key(kv, key);
		return;
	}
	line = find_last(kv, key);
	if (!line) {
		kv->lines = vz_xrealloc(kv->lines, (kv->n_lines + 1) * sizeof(*kv->lines));
		line = &kv->lines[kv->n_lines++];
		memset(line, 0, sizeof(*line));
		line->key = vz_xstrdup(key);
	}
	free(line->raw);
	free(line->value);
	line->raw = format_assignment(key, value);
	line->value = vz_xstrdup(value);
}

char *vz_kvfile_format(const struct vz_kvfile *kv)
{
	size_t total = 1, n = 0;
	char *out;

	for (size_t i = 0; i < kv->n_lines; i++)
		total += strlen(kv->lines[i].raw) + 1;
	out = vz_xcalloc(1, total);
	for (size_t i = 0; i < kv->n_lines; i++) {
		size_t len = strlen(kv->lines[i].raw);
		memcpy(out + n, kv->lines[i].raw, len);
		n += len;
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}

int vz_kvfile_save(const struct vz_kvfile *kv, const char *path, vz_error *err)
{
	cleanup_free char *text = vz_kvfile_format(kv);

	if (vz_write_file_atomic(path, text, strlen(text), 0644, err) < 0)
		return vz_error_wrap(err, "save config");
	return 0;
}
