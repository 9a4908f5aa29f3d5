/*
 * readers.c - shared options of the reading commands (see readers.h).
 */
#include "readers.h"

#include <stdint.h>

void read_opts_init(struct read_opts *o)
{
	o->format = "tsv";
	o->fmt = TABLE_TSV;
	o->from = 0;
	o->to = INT64_MAX;
	o->eps = 0.1;
	o->loss_share = 1.0;
}

void read_opts_check(struct read_opts *o, const char *usage)
{
	if (table_format_parse(o->format, &o->fmt))
		usage_error(usage, "--format: expected tsv, csv or json, got '%s'", o->format);
	if (o->from > o->to)
		usage_error(usage, "--from %lld is after --to %lld", (long long)o->from,
			    (long long)o->to);
}
