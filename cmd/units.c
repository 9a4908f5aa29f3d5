/*
 * units.c - rnnbow units: which hidden units carry gradient far back. For
 * each recorded batch, every unit of every layer (or of --layer L) ranked
 * by reach, the lag where its unit_flow falls below eps of its lag-0
 * value, then by its share of flow beyond the record's k_exact.
 * Definitions: docs/ANALYSIS.md "units". Reads one record at a time.
 */
#include "commands.h"
#include "readers.h"
#include "../formats/msg.h"
#include "../formats/unitread.h"
#include "../libcore/analysis.h"
#include "../libcore/units.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: rnnbow units [OPTIONS] [RUN.h5...|-]\n"
	"\n"
	"Hidden units ranked by how far back their gradient reaches, from\n"
	"/record/unit_flow: per recorded batch one row per unit, columns batch\n"
	"layer unit reach share_beyond_k k_exact flow. '-' or no file reads a run\n"
	"from stdin. See rnnbow-units(1).\n"
	"\n";

static const char *const cols[] = {
	"run", "batch", "layer", "unit", "reach", "share_beyond_k", "k_exact", "flow",
};

struct units_opts {
	struct read_opts r;
	int64_t batch, top;
};

/* The ranked units of record `row`: every layer's (or src's layer's)
 * units together. st: (layers H), flow (n H), E (n). */
static int rank_record(struct unitread *u, int64_t row, const struct units_opts *o,
		       struct unit_stat *st, size_t *count, int *kl, float *flow, float *E)
{
	const int n = u->n, H = u->H;
	int first = o->r.src.layer_given ? (int)o->r.src.layer : 0;
	int last = o->r.src.layer_given ? first : u->layers - 1;
	*count = 0;
	for (int l = first; l <= last; l++) {
		if (unitread_flow(u, row, l, flow, E) < 0)
			return -1;
		int k = k_exact(E, n, o->r.eps);
		kl[l] = k;
		unit_stats(st + *count, flow, n, H, l, k, o->r.eps);
		*count += (size_t)H;
	}
	unit_rank(st, *count);
	return 0;
}

static void print_units(struct table *t, const char *file, int nfiles, int64_t batch,
			const struct unit_stat *st, size_t count, const int *kl, int64_t top)
{
	for (size_t i = 0; i < count && (top <= 0 || (int64_t)i < top); i++) {
		const struct unit_stat *s = &st[i];
		if (nfiles > 1)
			table_str(t, file);
		table_int(t, batch);
		table_int(t, s->layer);
		table_int(t, s->unit);
		table_num(t, s->reach < 0 ? NAN : s->reach);
		table_num(t, s->share_beyond_k);
		table_num(t, kl[s->layer] < 0 ? NAN : kl[s->layer]);
		table_num(t, s->flow);
		table_end_row(t);
	}
}

/* The rows of one open run. */
static int units_run(struct table *t, struct unitread *u, const char *file, int nfiles,
		     const struct units_opts *o)
{
	const size_t n = (size_t)u->n, H = (size_t)u->H, L = (size_t)u->layers;
	struct unit_stat *st = malloc(L * H * sizeof(*st));
	float *flow = malloc(n * H * sizeof(float)), *E = malloc(n * sizeof(float));
	int *kl = malloc(L * sizeof(int)), rc = 0;
	size_t count;
	if (!st || !flow || !E || !kl) {
		rc = error("out of memory");
		goto out;
	}
	if (o->batch >= 0) {
		int64_t row = unitread_find(u, o->batch);
		if (row < 0) {
			rc = error("%s: batch %lld was not recorded (see rnnbow summarize %s)", file,
				   (long long)o->batch, file);
			goto out;
		}
		rc = rank_record(u, row, o, st, &count, kl, flow, E);
		if (rc == 0)
			print_units(t, file, nfiles, u->batch[row], st, count, kl, o->top);
		goto out;
	}
	for (int64_t row = 0; row < u->rows && rc == 0; row++) {
		if (!in_window(&o->r, u->batch[row]))
			continue;
		rc = rank_record(u, row, o, st, &count, kl, flow, E);
		if (rc == 0)
			print_units(t, file, nfiles, u->batch[row], st, count, kl, o->top);
	}
out:
	free(st);
	free(flow);
	free(E);
	free(kl);
	return rc;
}

/* Opens a run for units: its unit_flow and, with --layer, that layer.
 * Returns 0 or -1 (message). */
static int open_run(struct run *run, struct unitread *u, const char *file,
		    const struct units_opts *o)
{
	if (run_open(run, file) < 0)
		return -1;
	if (unitread_open_comp(u, run, UR_FLOW, o->r.src.component) < 0) {
		run_close(run);
		return -1;
	}
	if (o->r.src.layer_given && o->r.src.layer >= u->layers) {
		if (u->layers == 1)
			error("%s: no layer %lld (the run has one layer, 0)", file,
			      (long long)o->r.src.layer);
		else
			error("%s: no layer %lld (the run has layers 0 to %d)", file,
			      (long long)o->r.src.layer, u->layers - 1);
		unitread_close(u);
		run_close(run);
		return -1;
	}
	return 0;
}

static int units_file(struct table *t, const char *file, int nfiles, const struct units_opts *o)
{
	struct run run;
	struct unitread u;
	if (open_run(&run, &u, file, o) < 0)
		return -1;
	int rc = units_run(t, &u, file, nfiles, o);
	unitread_close(&u);
	run_close(&run);
	return rc;
}

int cmd_units(int argc, char **argv)
{
	struct units_opts o = { .batch = -1 };
	read_opts_init(&o.r);
	const struct opt opts[] = {
		{ "format", 0, OPT_STRING, &o.r.format, .arg = "F",
		  .help = "tsv (default), csv or json (one object per line)" },
		{ "batch", 0, OPT_INT, &o.batch, 0, 9.2e18, .arg = "B",
		  .help = "only the record of training batch B" },
		{ "from", 0, OPT_INT, &o.r.from, 0, 9.2e18, .arg = "B",
		  .help = "only records of training batch B or later" },
		{ "to", 0, OPT_INT, &o.r.to, 0, 9.2e18, .arg = "B",
		  .help = "only records of training batch B or earlier" },
		{ "top", 0, OPT_INT, &o.top, 1, 9.2e18, .arg = "N",
		  .help = "the N units of each record that reach furthest" },
		{ "layer", 0, OPT_INT, &o.r.src.layer, 0, 1023, &o.r.src.layer_given, .arg = "L",
		  .help = "only the units of layer L (default: every layer,\nranked together)" },
		{ "component", 0, OPT_STRING, &o.r.src.component, .arg = "C",
		  .help = "a mix's component whose units are ranked: a name\n"
			  "(rnn, lstm0, ...) or an index (default: the first)" },
		{ "eps", 0, OPT_FLOAT, &o.r.eps, 0, 1e30, .arg = "X",
		  .help = "reach: where flow falls below X times its lag-0\nvalue; k_exact: "
			  "E[k] <= X (default 0.1)" },
		OPT_END,
	};
	int nfiles = opts_parse(argc, argv, opts, usage);
	read_opts_check(&o.r, usage);
	char **files = reader_inputs(argv, &nfiles, usage);
	for (int i = 0; i < nfiles; i++) { /* every file checked before the first row */
		struct run run;
		struct unitread u;
		if (strcmp(files[i], "-") == 0)
			continue;
		if (open_run(&run, &u, files[i], &o) < 0)
			return 1;
		unitread_close(&u);
		run_close(&run);
	}
	int ncols = 8;
	const char *const *names = with_run(cols, nfiles > 1, &ncols);
	struct table t;
	table_begin(&t, stdout, o.r.fmt, names, ncols);
	int rc = 0;
	for (int i = 0; i < nfiles && !rc; i++)
		rc = units_file(&t, files[i], nfiles, &o);
	if (!rc)
		table_finish(&t);
	return rc ? 1 : 0;
}
