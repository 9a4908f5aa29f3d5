/*
 * trace.c - rnnbow trace: gradient tracing (SPEC 1, DuSell). For one
 * recorded batch, the greedy path of every entry of a parameter (or a
 * block of its rows and columns) from its use to the root loss, one row
 * per hop; with --summary, over every record with saved parameters, the
 * share of paths through each component and the lag from a path's start
 * to its loss. The batch is rebuilt from the run's saved parameters,
 * states and inputs (formats/batchread.c) and run forward and backward
 * once (libcore/trace.c). Definitions: docs/ANALYSIS.md.
 */
#include "commands.h"
#include "readers.h"
#include "../formats/batchread.h"
#include "../formats/msg.h"
#include "../libcore/trace.h"
#include "../libcore/trace_tally.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: rnnbow trace [OPTIONS] --batch B RUN.h5\n"
	"       rnnbow trace [OPTIONS] --summary RUN.h5\n"
	"\n"
	"Gradient tracing: from each entry of a parameter, the path its gradient\n"
	"takes through the unrolled network, hop by hop, choosing at each vertex\n"
	"the consumer with the largest |w g|. One row per hop: param row col hop\n"
	"step layer node unit term. --summary: the share of paths through each\n"
	"component and the lags, over every record (--per-record: record by\n"
	"record). Needs a run recorded with --save-params. See rnnbow-trace(1).\n"
	"\n";

static const char *const hop_cols[] = {
	"param", "row", "col", "hop", "step", "layer", "node", "unit", "term",
};
static const char *const summary_cols[] = {
	"component", "layer", "records", "paths", "share", "lag_mean",
};
static const char *const lag_cols[] = { "lag", "paths", "share", "cumulative" };
/* --per-record: the record's training batch first, no records column */
static const char *const record_cols[] = {
	"batch", "component", "layer", "paths", "share", "lag_mean",
};
static const char *const record_lag_cols[] = { "batch", "lag", "paths", "share", "cumulative" };

/* A half-open range of rows or columns, as given ("A:B", "A:", ":B", "A"). */
struct range {
	const char *text;
	int64_t lo, hi; /* hi -1: to the end */
};

struct trace_opts {
	struct read_opts r;
	const char *param;
	struct range rows, cols;
	int64_t batch;
	int summary, lags, per_record;
};

static int parse_bound(const char *s, const char *end, int64_t *v)
{
	char *e;
	if (s == end)
		return 0;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	long long x = strtoll(s, &e, 10);
	if (errno || e != end || x > 1000000000)
		return -1;
	*v = x;
	return 0;
}

static void range_parse(struct range *r, const char *opt)
{
	r->lo = 0;
	r->hi = -1;
	if (!r->text)
		return;
	const char *s = r->text, *colon = strchr(s, ':'), *end = s + strlen(s);
	int bad = !*s;
	if (colon) {
		bad |= parse_bound(s, colon, &r->lo) < 0 || parse_bound(colon + 1, end, &r->hi) < 0;
	} else {
		bad |= parse_bound(s, end, &r->lo) < 0;
		r->hi = r->lo + 1;
	}
	if (bad || (r->hi >= 0 && r->hi <= r->lo))
		usage_error(usage, "--%s: expected A:B with 0 <= A < B (either may be left out), "
			    "or one index, got '%s'", opt, r->text);
}

/* Clamps an open range to size; refuses one past it. */
static int range_fit(struct range *r, size_t size, const char *file, const char *param,
		     const char *what)
{
	if (r->hi < 0)
		r->hi = (int64_t)size;
	if (r->hi > (int64_t)size)
		return error("%s: --%s %s is outside %s's %s 0..%zu", file, what, r->text, param,
			     what, size - 1);
	return 0;
}

static int find_param(const struct model *m, const char *name, const char *file)
{
	char have[1024];
	size_t k = 0;
	for (int i = 0; i < m->ntab; i++)
		if (!strcmp(m->tab[i].name, name))
			return i;
	have[0] = 0;
	for (int i = 0; i < m->ntab && k < sizeof(have); i++)
		k += (size_t)snprintf(have + k, sizeof(have) - k, "%s%s", i ? ", " : "",
				      m->tab[i].name);
	return error("%s: no parameter '%s' (this run has %s)", file, name, have);
}

/* The parameter and entry block asked for, checked against the run. */
static int select_entries(const struct batchread *b, struct trace_opts *o, const char *file)
{
	int p = find_param(&b->m, o->param, file);
	if (p < 0)
		return -1;
	const struct param_info *pi = &b->m.tab[p];
	if (range_fit(&o->rows, pi->dims[0], file, pi->name, "rows") < 0 ||
	    range_fit(&o->cols, pi->dims[1], file, pi->name, "cols") < 0)
		return -1;
	return p;
}

struct tracer {
	struct trace_graph g;
	size_t *ids;
	double *terms;
};

static int tracer_init(struct tracer *tr, const struct batchread *b)
{
	if (trace_graph_init(&tr->g, &b->m, b->n) < 0)
		return error("out of memory");
	int cap = trace_max_hops(&tr->g);
	tr->ids = malloc((size_t)cap * sizeof(size_t));
	tr->terms = malloc((size_t)cap * sizeof(double));
	if (!tr->ids || !tr->terms) {
		trace_graph_free(&tr->g);
		free(tr->ids);
		free(tr->terms);
		return error("out of memory");
	}
	return 0;
}

static void tracer_free(struct tracer *tr)
{
	trace_graph_free(&tr->g);
	free(tr->ids);
	free(tr->terms);
}

static void tracer_run(struct tracer *tr, const struct batchread *b)
{
	trace_graph_run(&tr->g, b->x, b->y, b->h0, b->c0);
}

/* One batch: every path of the block, one row per hop. */
static int trace_batch(struct table *t, struct batchread *b, struct trace_opts *o,
		       const char *file)
{
	int64_t row = batchread_row(b, o->batch);
	if (row < 0)
		return error("%s: batch %lld was not recorded (see rnnbow summarize %s)", file,
			     (long long)o->batch, file);
	int p = select_entries(b, o, file);
	struct tracer tr;
	if (p < 0 || batchread_load(b, row) < 0 || tracer_init(&tr, b) < 0)
		return -1;
	tracer_run(&tr, b);
	char buf[8];
	for (int64_t r = o->rows.lo; r < o->rows.hi; r++)
		for (int64_t c = o->cols.lo; c < o->cols.hi; c++) {
			int hops = trace_path(&tr.g, p, (size_t)r, (size_t)c, tr.ids, tr.terms);
			for (int k = 0; k < hops; k++) {
				struct trace_vertex v;
				trace_vertex_of(&tr.g, tr.ids[k], &v);
				table_str(t, b->m.tab[p].name);
				table_int(t, r);
				table_int(t, c);
				table_int(t, k);
				table_int(t, v.step);
				table_int(t, v.layer);
				table_str(t, trace_node_name(&tr.g, &v, buf));
				table_int(t, v.unit);
				table_num(t, tr.terms[k]);
				table_end_row(t);
			}
		}
	tracer_free(&tr);
	return 0;
}

/* The component rows of tally a (batch >= 0: prefixed by the record's
 * training batch, --per-record; else with the records counted). */
static void summary_rows(struct table *t, const struct model *m, const struct trace_tally *a,
			 int64_t batch)
{
	for (int k = -1; k < a->nc; k++) {
		int layer = -1;
		const char *name = k < 0 ? "all" : trace_component_name(m, k, &layer);
		if (batch >= 0)
			table_int(t, batch);
		table_str(t, name);
		table_int(t, layer);
		if (batch < 0)
			table_int(t, a->records);
		table_int(t, trace_tally_paths(a, k));
		table_num(t, trace_tally_share(a, k));
		table_num(t, trace_tally_lag_mean(a, k));
		table_end_row(t);
	}
}

/* The lag rows of tally a (batch >= 0: prefixed by it). */
static void lag_rows(struct table *t, const struct trace_tally *a, int64_t batch)
{
	int64_t cum = 0;
	for (int d = 0; a->paths && d < a->n; d++) {
		cum += a->lag[d];
		if (batch >= 0)
			table_int(t, batch);
		table_int(t, d);
		table_int(t, a->lag[d]);
		table_num(t, (double)a->lag[d] / (double)a->paths);
		table_num(t, (double)cum / (double)a->paths);
		table_end_row(t);
	}
}

/* Every record in the window: component counts and the lag histogram,
 * over them all, or (--per-record) one table per record. */
static int trace_summary(struct table *t, struct batchread *b, struct trace_opts *o,
			 const char *file)
{
	int p = select_entries(b, o, file);
	struct trace_graph g;
	struct trace_tally all, one;
	if (p < 0)
		return -1;
	if (trace_graph_init(&g, &b->m, b->n) < 0)
		return error("out of memory");
	if (trace_tally_init(&all, &g) < 0) {
		trace_graph_free(&g);
		return error("out of memory");
	}
	if (trace_tally_init(&one, &g) < 0) {
		trace_tally_free(&all);
		trace_graph_free(&g);
		return error("out of memory");
	}
	int rc = 0;
	for (int64_t row = 0; row < b->rows; row++) {
		if (!in_window(&o->r, b->batch[row]))
			continue;
		if ((rc = batchread_load(b, row)) < 0)
			break;
		trace_graph_run(&g, b->x, b->y, b->h0, b->c0);
		trace_tally_clear(&one);
		trace_tally_record(&one, &g, p, (size_t)o->rows.lo, (size_t)o->rows.hi,
				   (size_t)o->cols.lo, (size_t)o->cols.hi);
		trace_tally_add(&all, &one);
		if (o->per_record && o->lags)
			lag_rows(t, &one, b->batch[row]);
		else if (o->per_record)
			summary_rows(t, &b->m, &one, b->batch[row]);
	}
	if (!rc && !o->per_record && o->lags)
		lag_rows(t, &all, -1);
	else if (!rc && !o->per_record)
		summary_rows(t, &b->m, &all, -1);
	trace_tally_free(&one);
	trace_tally_free(&all);
	trace_graph_free(&g);
	return rc < 0 ? -1 : 0;
}

int cmd_trace(int argc, char **argv)
{
	struct trace_opts o = { .param = "weight_hh_l0", .batch = -1 };
	read_opts_init(&o.r);
	const struct opt opts[] = {
		{ "format", 0, OPT_STRING, &o.r.format, .arg = "F",
		  .help = "tsv (default), csv or json (one object per line)" },
		{ "batch", 0, OPT_INT, &o.batch, 0, 9.2e18, .arg = "B",
		  .help = "the recorded training batch whose paths are printed" },
		{ "param", 0, OPT_STRING, &o.param, .arg = "NAME",
		  .help = "the parameter traced from (default weight_hh_l0)" },
		{ "rows", 0, OPT_STRING, &o.rows.text, .arg = "R0:R1",
		  .help = "only its rows R0..R1-1 (either bound may be left out;\n"
			  "one number: that row)" },
		{ "cols", 0, OPT_STRING, &o.cols.text, .arg = "C0:C1",
		  .help = "only its columns C0..C1-1 (as --rows)" },
		{ "summary", 0, OPT_FLAG, &o.summary,
		  .help = "every record: share of paths through each component" },
		{ "lags", 0, OPT_FLAG, &o.lags,
		  .help = "with --summary: the lag from a path's start to its loss,\n"
			  "one row per lag" },
		{ "per-record", 0, OPT_FLAG, &o.per_record,
		  .help = "with --summary: one table per record, each row led by\n"
			  "the record's training batch" },
		{ "from", 0, OPT_INT, &o.r.from, 0, 9.2e18, .arg = "B",
		  .help = "--summary: only records of training batch B or later" },
		{ "to", 0, OPT_INT, &o.r.to, 0, 9.2e18, .arg = "B",
		  .help = "--summary: only records of training batch B or earlier" },
		OPT_END,
	};
	int nfiles = opts_parse(argc, argv, opts, usage);
	read_opts_check(&o.r, usage);
	if (nfiles != 1)
		usage_error(usage, nfiles ? "one run file at a time" : "no run file given");
	reader_inputs(argv, &nfiles, usage);
	if (o.summary == (o.batch >= 0))
		usage_error(usage, "choose one of --batch B and --summary");
	if (o.lags && !o.summary)
		usage_error(usage, "--lags goes with --summary");
	if (o.per_record && !o.summary)
		usage_error(usage, "--per-record goes with --summary");
	range_parse(&o.rows, "rows");
	range_parse(&o.cols, "cols");

	struct run run;
	struct batchread b;
	struct table t;
	int rc = -1;
	if (run_open(&run, argv[0]) < 0)
		return 1;
	if (batchread_open(&b, &run) == 0) {
		const char *const *names = hop_cols;
		int ncols = 9;
		if (o.summary && o.per_record) {
			names = o.lags ? record_lag_cols : record_cols;
			ncols = o.lags ? 5 : 6;
		} else if (o.summary) {
			names = o.lags ? lag_cols : summary_cols;
			ncols = o.lags ? 4 : 6;
		}
		table_begin(&t, stdout, o.r.fmt, names, ncols);
		rc = o.summary ? trace_summary(&t, &b, &o, argv[0]) : trace_batch(&t, &b, &o, argv[0]);
		if (!rc)
			table_finish(&t);
		batchread_close(&b);
	}
	run_close(&run);
	return rc ? 1 : 0;
}
