/*
 * readers.c - shared options of the reading commands (see readers.h).
 */
#include "readers.h"
#include "../formats/msg.h"
#include "../formats/recread.h"
#include "../libcore/analysis.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

void read_opts_init(struct read_opts *o)
{
	o->format = "tsv";
	o->fmt = TABLE_TSV;
	o->from = 0;
	o->to = INT64_MAX;
	o->eps = 0.1;
	o->loss_share = 1.0;
	o->src = (struct rec_source){ .mix_ok = 1 };
}

void read_opts_check(struct read_opts *o, const char *usage)
{
	if (table_format_parse(o->format, &o->fmt))
		usage_error(usage, "--format: expected tsv, csv or json, got '%s'", o->format);
	if (o->from > o->to)
		usage_error(usage, "--from %lld is after --to %lld", (long long)o->from,
			    (long long)o->to);
	read_source_check(&o->src, usage);
}

void read_source_check(const struct rec_source *src, const char *usage)
{
	if (src->component && !src->component[0])
		usage_error(usage, "--component: expected a component's name or index");
	if (src->gate && !src->gate[0])
		usage_error(usage, "--gate: expected a gate name (i, f, g, o for lstm; r, z, n for gru)");
}

int read_decay(struct decay *d, struct recread *rr, const struct read_opts *o)
{
	const int n = rr->n;
	int64_t got;
	if (decay_init(d, n) < 0)
		return error("out of memory");
	while ((got = recread_next(rr)) > 0)
		for (int64_t i = 0; i < got; i++)
			if (in_window(o, rr->batch[i]) &&
			    decay_add(d, rr->itemized + (size_t)i * n * n) < 0) {
				decay_free(d);
				return error("out of memory");
			}
	if (got < 0) {
		decay_free(d);
		return -1;
	}
	return 0;
}

char **reader_inputs(char **argv, int *nfiles, const char *usage)
{
	static char *stdin_only[] = { "-" };
	char **files = *nfiles ? argv : stdin_only;
	if (!*nfiles)
		*nfiles = 1;
	for (int i = 0, dashes = 0; i < *nfiles; i++) {
		if (strcmp(files[i], "-"))
			continue;
		if (++dashes > 1)
			usage_error(usage, "stdin ('-') can be read once only");
		if (isatty(STDIN_FILENO))
			usage_error(usage, "no run file given, and stdin is a terminal");
	}
	return files;
}

int precheck_runs(char *const *files, int nfiles, unsigned cols, const struct rec_source *src)
{
	for (int i = 0; i < nfiles; i++) {
		struct run run;
		struct recread rr;
		if (!strcmp(files[i], "-"))
			continue;
		if (run_open(&run, files[i]) < 0)
			return -1;
		int rc = cols ? recread_open_source(&rr, &run, cols, src) : 0;
		if (cols && rc == 0)
			recread_close(&rr);
		run_close(&run);
		if (rc < 0)
			return -1;
	}
	return 0;
}
