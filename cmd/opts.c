/*
 * opts.c - option parsing for every command (see opts.h).
 */
#include "opts.h"
#include "../formats/msg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "%s: ", msg_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", usage);
	exit(2);
}

static const struct opt *find_long(const struct opt *opts, const char *name, size_t len)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

static const struct opt *find_short(const struct opt *opts, char c)
{
	for (; opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
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
			fputs(usage, stdout);
			exit(finish_stdout());
		}
		if (a[1] == '-') {
			char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			o = find_long(opts, a + 2, len);
			if (eq)
				val = eq + 1;
			if (!o)
				usage_error(usage, "unknown option '--%.*s'", (int)len, a + 2);
		} else {
			o = a[2] ? NULL : find_short(opts, a[1]);
			if (!o)
				usage_error(usage, "unknown option '%s'", a);
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
