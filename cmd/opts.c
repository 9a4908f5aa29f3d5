/*
 * opts.c - option parsing for every command (see opts.h).
 */
#include "opts.h"
#include "../formats/msg.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line, not the usage: 40 lines of options push the one line that
 * matters off a terminal. `usage` stays in the signature so every caller
 * keeps passing its own, and --help prints it. */
void usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	(void)usage;
	fflush(stdout);
	fprintf(stderr, "%s: ", msg_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see '%s --help'\n", msg_prog);
	exit(2);
}

/* Optimal string alignment distance from a (typed) to b, with a cost for
 * each edit: swapping two neighbours, substituting, adding and deleting a
 * letter. Names are short (< 64 bytes); longer ones are "far". */
static int edit_distance(const char *a, size_t la, const char *b, int swap, int sub, int add,
			 int del)
{
	enum { MAXLEN = 64 };
	size_t lb = strlen(b);
	int d[MAXLEN + 1][MAXLEN + 1];
	if (la > MAXLEN || lb > MAXLEN)
		return 1000;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (int)i * del;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (int)j * add;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]) * sub;
			if (d[i - 1][j] + del < best)
				best = d[i - 1][j] + del;
			if (d[i][j - 1] + add < best)
				best = d[i][j - 1] + add;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    a[i - 1] != a[i - 2] && d[i - 2][j - 2] + swap < best)
				best = d[i - 2][j - 2] + swap;
			d[i][j] = best;
		}
	return d[la][lb];
}

void suggest_init(struct suggest *s, const char *word, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->word = word;
	s->len = len;
	s->best = INT_MAX;
}

void suggest_add(struct suggest *s, const char *name)
{
	size_t n = strlen(name);
	if (!s->len)
		return;
	/* close enough: one edit of any kind for short names, two from six
	 * letters on; or the start of a longer name ("--save") */
	int edits = edit_distance(s->word, s->len, name, 1, 1, 1, 1);
	int prefix = s->len >= 3 && s->len < n && !strncmp(name, s->word, s->len);
	if (edits > (n >= 6 ? 2 : 1) && !prefix)
		return;
	/* the nearest by git's weights (help.c): a swap is the likeliest
	 * slip, then a letter added, substituted, deleted ("--tpo" is --top
	 * rather than --to) */
	int cost = edit_distance(s->word, s->len, name, 0, 2, 1, 3);
	if (cost < s->best) {
		s->best = cost;
		s->n = 0;
	}
	if (cost == s->best && s->n < SUGGEST_MAX)
		s->names[s->n++] = name;
}

const char *suggest_text(const struct suggest *s, const char *dashes, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; i < s->n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s%s%s",
					 i ? (i == s->n - 1 ? " or " : ", ") : " (did you mean ",
					 dashes, s->names[i], i == s->n - 1 ? "?)" : "");
	return buf;
}

/* The end of a table: OPT_END (text entries have no name either). */
static int opt_end(const struct opt *o)
{
	return !o->name && o->type != OPT_GROUP_TEXT && o->type != OPT_NOTES_TEXT;
}

/* "-o, --output RUN.h5" into buf; returns its length. */
static int option_label(const struct opt *o, char *buf, size_t size)
{
	char shorts[8] = "";
	if (o->short_name)
		snprintf(shorts, sizeof(shorts), "-%c, ", o->short_name);
	return snprintf(buf, size, "%s--%s%s%s", shorts, o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
}

/* One option of --help: its label, then its help from column col, each
 * further line of help indented to col. */
static void print_option(FILE *out, const char *label, const char *help, int col)
{
	fprintf(out, "  %-*s", col - 2, label);
	for (; *help; help++) {
		fputc(*help, out);
		if (*help == '\n')
			fprintf(out, "%*s", col, "");
	}
	fputc('\n', out);
}

/* --help: usage, the options of the table with their headings, -h, then
 * the notes. The help column is two spaces after the longest label. */
static void print_help(FILE *out, const struct opt *opts, const char *usage)
{
	static const char help_label[] = "-h, --help";
	char label[160];
	int col = (int)strlen(help_label);
	for (const struct opt *o = opts; !opt_end(o); o++)
		if (o->name && o->help) {
			int len = option_label(o, label, sizeof(label));
			col = len > col ? len : col;
		}
	col += 4;
	fputs(usage, out);
	for (const struct opt *o = opts; !opt_end(o); o++) {
		if (o->type == OPT_GROUP_TEXT)
			fprintf(out, "%s\n", o->help);
		if (!o->name || !o->help) /* hidden: test_cli.sh says so */
			continue;
		option_label(o, label, sizeof(label));
		print_option(out, label, o->help, col);
	}
	print_option(out, help_label, "show this help", col);
	for (const struct opt *o = opts; !opt_end(o); o++)
		if (o->type == OPT_NOTES_TEXT)
			fputs(o->help, out);
}

/* --completion-helper: the options, one a line. */
static void print_names(FILE *out, const struct opt *opts)
{
	for (const struct opt *o = opts; !opt_end(o); o++) {
		if (!o->name)
			continue;
		if (o->short_name)
			fprintf(out, "-%c\n", o->short_name);
		fprintf(out, "--%s\n", o->name);
	}
}

/* An unknown option: one line, with the nearest options if any are close. */
static _Noreturn void unknown_option(const struct opt *opts, const char *usage, const char *shown,
				     const char *name, size_t len)
{
	struct suggest s;
	char hint[256];
	suggest_init(&s, name, len);
	for (; !opt_end(opts); opts++)
		if (opts->name)
			suggest_add(&s, opts->name);
	usage_error(usage, "unknown option '%s'%s", shown, suggest_text(&s, "--", hint, sizeof(hint)));
}

static const struct opt *find_long(const struct opt *opts, const char *name, size_t len)
{
	for (; !opt_end(opts); opts++)
		if (opts->name && strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

static const struct opt *find_short(const struct opt *opts, char c)
{
	for (; !opt_end(opts); opts++)
		if (opts->name && opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

static void set_value(const struct opt *o, const char *arg, const char *usage)
{
	char *end;
	errno = 0;
	switch (o->type) {
	case OPT_INT: {
		long long v = strtoll(arg, &end, 10);
		if (!*arg || *end || errno || v < o->min || v > o->max)
			usage_error(usage, "--%s: expected a whole number from %.0f to %.0f, got '%s'",
				    o->name, o->min, o->max, arg);
		*(int64_t *)o->value = v;
		break;
	}
	case OPT_FLOAT: {
		double v = strtod(arg, &end);
		if (!*arg || *end || errno || !isfinite(v) || v < o->min || v > o->max)
			usage_error(usage, "--%s: expected a number from %g to %g, got '%s'", o->name,
				    o->min, o->max, arg);
		*(double *)o->value = v;
		break;
	}
	case OPT_STRING:
		*(const char **)o->value = arg;
		break;
	case OPT_FLAG:
		*(int *)o->value = 1;
		break;
	case OPT_GROUP_TEXT: /* not options: never found by name */
	case OPT_NOTES_TEXT:
		break;
	}
	if (o->seen)
		*o->seen = 1;
}

int opts_parse(int argc, char **argv, const struct opt *opts, const char *usage)
{
	int npos = 0, only_args = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct opt *o = NULL;
		const char *val = NULL;
		if (only_args || a[0] != '-' || !strcmp(a, "-")) {
			argv[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = 1;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_help(stdout, opts, usage);
			exit(finish_stdout());
		}
		if (!strcmp(a, "--completion-helper")) {
			print_names(stdout, opts);
			exit(finish_stdout());
		}
		if (a[1] == '-') {
			char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			o = find_long(opts, a + 2, len);
			if (eq)
				val = eq + 1;
			if (!o) {
				char shown[128];
				snprintf(shown, sizeof(shown), "--%.*s", (int)len, a + 2);
				unknown_option(opts, usage, shown, a + 2, len);
			}
		} else {
			o = a[2] ? NULL : find_short(opts, a[1]);
			if (!o) /* "-hiden" may be --hidden with one dash too few */
				unknown_option(opts, usage, a, a + 1, a[2] ? strlen(a + 1) : 0);
		}
		if (o->type == OPT_FLAG) {
			if (val)
				usage_error(usage, "--%s takes no value", o->name);
			set_value(o, "", usage);
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				usage_error(usage, "--%s needs a value", o->name);
			val = argv[++i];
		}
		set_value(o, val, usage);
	}
	return npos;
}

int finish_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		error("cannot write to stdout: %s", strerror(errno ? errno : EIO));
		return 1;
	}
	if (fclose(stdout) != 0) {
		error("cannot write to stdout: %s", strerror(errno));
		return 1;
	}
	return 0;
}
