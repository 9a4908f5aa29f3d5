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
#include "../libcore/mixtrace.h"
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

/* --param input: the one-hot input of each step (rows: steps) */
#define PARAM_INPUT (-2)

static int find_param(const struct model *m, const char *name, const char *file)
{
	char have[1024];
	size_t k = 0;
	if (!strcmp(name, "input"))
		return PARAM_INPUT;
	for (int i = 0; i < m->ntab; i++)
		if (!strcmp(m->tab[i].name, name))
			return i;
	have[0] = 0;
	for (int i = 0; i < m->ntab && k < sizeof(have); i++)
		k += (size_t)snprintf(have + k, sizeof(have) - k, "%s%s", i ? ", " : "",
				      m->tab[i].name);
	return error("%s: no parameter '%s' (this run has input, %s)", file, name, have);
}

/* The name --param means: a mix's parameters are its components', so a
 * name without a component's prefix is --component's (default the first). */
static int param_name(char *buf, size_t len, const struct batchread *b,
		      const struct trace_opts *o, const char *file)
{
	snprintf(buf, len, "%s", o->param);
	if (!b->mx || !strcmp(o->param, "input") || strchr(o->param, '.'))
		return 0;
	int k = o->r.src.component ? mix_find(b->mx, o->r.src.component) : 0;
	if (k < 0) {
		char list[MIX_MAX * MIX_NAME * 2] = "";
		for (int i = 0; i < b->mx->K; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", b->mx->name[i]);
		return error("%s: no component '%s' (the run has %s)", file, o->r.src.component,
			     list);
	}
	snprintf(buf, len, "%s.%s", b->mx->name[k], o->param);
	return 0;
}

/* The parameter and entry block asked for, checked against the run. */
static int select_entries(const struct batchread *b, struct trace_opts *o, const char *file)
{
	char name[64];
	if (param_name(name, sizeof(name), b, o, file) < 0)
		return -1;
	int p = find_param(&b->m, name, file);
	if (p == PARAM_INPUT) { /* rows: the steps; one column, x_t */
		if (range_fit(&o->rows, (size_t)b->n, file, "input", "rows") < 0 ||
		    range_fit(&o->cols, 1, file, "input", "cols") < 0)
			return -1;
		return p;
	}
	if (p < 0)
		return -1;
	const struct param_info *pi = &b->m.tab[p];
	if (range_fit(&o->rows, pi->dims[0], file, pi->name, "rows") < 0 ||
	    range_fit(&o->cols, pi->dims[1], file, pi->name, "cols") < 0)
		return -1;
	return p;
}

/* One graph per model: a single model's, or each component's of a mix
 * (libcore/mixtrace.h), where the components compete for the input. */
struct tracer {
	const struct batchread *b;
	int K;
	struct trace_graph one;
	struct mix_trace mt;
	size_t *ids;
	double *terms;
};

static struct trace_graph *graph(struct tracer *tr, int k)
{
	return tr->b->mx ? &tr->mt.g[k] : &tr->one;
}

static int tracer_init(struct tracer *tr, const struct batchread *b)
{
	memset(tr, 0, sizeof(*tr));
	tr->b = b;
	tr->K = b->mx ? b->mx->K : 1;
	if (b->mx ? mix_trace_init(&tr->mt, b->mx, b->n) < 0 : trace_graph_init(&tr->one, &b->m, b->n) < 0)
		return error("out of memory");
	int cap = 0;
	for (int k = 0; k < tr->K; k++)
		cap = trace_max_hops(graph(tr, k)) > cap ? trace_max_hops(graph(tr, k)) : cap;
	tr->ids = malloc((size_t)cap * sizeof(size_t));
	tr->terms = malloc((size_t)cap * sizeof(double));
	if (!tr->ids || !tr->terms) {
		free(tr->ids);
		free(tr->terms);
		if (b->mx)
			mix_trace_free(&tr->mt);
		else
			trace_graph_free(&tr->one);
		return error("out of memory");
	}
	return 0;
}

static void tracer_free(struct tracer *tr)
{
	if (tr->b->mx)
		mix_trace_free(&tr->mt);
	else
		trace_graph_free(&tr->one);
	free(tr->ids);
	free(tr->terms);
}

static void tracer_run(struct tracer *tr, const struct batchread *b)
{
	if (b->mx)
		mix_trace_run(&tr->mt, b->x, b->y, b->h0, b->c0);
	else
		trace_graph_run(&tr->one, b->x, b->y, b->h0, b->c0);
}

/* The component of a mix's table entry p and p's index in its table. */
static int param_component(const struct batchread *b, int p, int *local)
{
	*local = p;
	for (int k = 0; b->mx && k < b->mx->K; k++) {
		if (*local < b->mx->comp[k].ntab)
			return k;
		*local -= b->mx->comp[k].ntab;
	}
	return 0;
}

/* The path of entry (r, c) of p: into tr->ids, terms; its graph's
 * component in *comp. Returns the hop count. */
static int path_of(struct tracer *tr, int p, int64_t r, int64_t c, int *comp)
{
	if (p == PARAM_INPUT && tr->b->mx)
		return mix_trace_input(&tr->mt, (int)r, comp, tr->ids, tr->terms);
	if (p == PARAM_INPUT) {
		double term;
		size_t first = trace_first_input(&tr->one, (int)r, &term);
		*comp = 0;
		return trace_walk(&tr->one, first, term, tr->ids, tr->terms);
	}
	int local;
	*comp = param_component(tr->b, p, &local);
	return trace_path(graph(tr, *comp), local, (size_t)r, (size_t)c, tr->ids, tr->terms);
}

/* A vertex's node name; a mix's are its component's, "lstm.z_f", but for
 * the loss and the root, which the components share. */
static const char *node_name(struct tracer *tr, int k, const struct trace_vertex *v,
			     char *buf, size_t len)
{
	char nb[8];
	const char *name = trace_node_name(graph(tr, k), v, nb);
	if (!tr->b->mx || v->node == TN_LOSS || v->node == TN_ROOT)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s.%s", tr->b->mx->name[k], name);
	return buf;
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
	if (p == -1 || batchread_load(b, row) < 0 || tracer_init(&tr, b) < 0)
		return -1;
	tracer_run(&tr, b);
	char buf[32];
	for (int64_t r = o->rows.lo; r < o->rows.hi; r++)
		for (int64_t c = o->cols.lo; c < o->cols.hi; c++) {
			int k;
			int hops = path_of(&tr, p, r, c, &k);
			for (int h = 0; h < hops; h++) {
				struct trace_vertex v;
				trace_vertex_of(graph(&tr, k), tr.ids[h], &v);
				table_str(t, p == PARAM_INPUT ? "input" : b->m.tab[p].name);
				table_int(t, r);
				table_int(t, p == PARAM_INPUT ? b->x[r] : c);
				table_int(t, h);
				table_int(t, v.step);
				table_int(t, v.layer);
				table_str(t, node_name(&tr, k, &v, buf, sizeof(buf)));
				table_int(t, v.unit);
				table_num(t, tr.terms[h]);
				table_end_row(t);
			}
		}
	tracer_free(&tr);
	return 0;
}

/* The summary's components: per model (a mix: per component, first the
 * component itself) trace_components'. base[k]: model k's first; returns
 * the count. */
static int summary_components(const struct batchread *b, int *base)
{
	int nc = 0;
	if (!b->mx) {
		base[0] = 0;
		return trace_components(&b->m);
	}
	for (int k = 0; k < b->mx->K; k++) {
		base[k] = nc;
		nc += 1 + trace_components(&b->mx->comp[k]);
	}
	return nc;
}

/* Name and layer of summary component c. */
static const char *summary_name(const struct batchread *b, const int *base, int c, int *layer,
				char *buf, size_t len)
{
	if (!b->mx)
		return trace_component_name(&b->m, c, layer);
	int k = b->mx->K - 1;
	while (k > 0 && base[k] > c)
		k--;
	*layer = -1;
	if (c == base[k])
		return b->mx->name[k];
	snprintf(buf, len, "%s.%s", b->mx->name[k],
		 trace_component_name(&b->mx->comp[k], c - base[k] - 1, layer));
	return buf;
}

/* The component rows of tally a (batch >= 0: prefixed by the record's
 * training batch, --per-record; else with the records counted). */
static void summary_rows(struct table *t, const struct batchread *b, const int *base,
			 const struct trace_tally *a, int64_t batch)
{
	char buf[64];
	for (int k = -1; k < a->nc; k++) {
		int layer = -1;
		const char *name = k < 0 ? "all" : summary_name(b, base, k, &layer, buf, sizeof(buf));
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

/* One record's paths into tally a. */
static void summary_record(struct trace_tally *a, struct tracer *tr, const struct batchread *b,
			   const struct trace_opts *o, int p, const int *base, uint8_t *flags)
{
	a->records++;
	for (int64_t r = o->rows.lo; r < o->rows.hi; r++)
		for (int64_t c = o->cols.lo; c < o->cols.hi; c++) {
			int k;
			int hops = path_of(tr, p, r, c, &k);
			memset(flags, 0, (size_t)a->nc);
			uint8_t *f = flags + base[k];
			if (b->mx)
				*f++ = 1; /* the component itself */
			trace_tally_count(a, flags,
					  trace_path_components(graph(tr, k), tr->ids, hops, f));
		}
}

/* Every record in the window: component counts and the lag histogram,
 * over them all, or (--per-record) one table per record. */
static int trace_summary(struct table *t, struct batchread *b, struct trace_opts *o,
			 const char *file)
{
	int p = select_entries(b, o, file);
	struct tracer tr;
	if (p == -1 || tracer_init(&tr, b) < 0)
		return -1;
	int base[MIX_MAX];
	const int nc = summary_components(b, base);
	struct trace_tally all, one;
	uint8_t *flags = malloc((size_t)nc);
	int rc = 0, have_all = trace_tally_init(&all, nc, b->n) == 0;
	int have_one = have_all && trace_tally_init(&one, nc, b->n) == 0;
	if (!flags || !have_one)
		rc = error("out of memory");
	for (int64_t row = 0; !rc && row < b->rows; row++) {
		if (!in_window(&o->r, b->batch[row]))
			continue;
		if ((rc = batchread_load(b, row)) < 0)
			break;
		tracer_run(&tr, b);
		trace_tally_clear(&one);
		summary_record(&one, &tr, b, o, p, base, flags);
		trace_tally_add(&all, &one);
		if (o->per_record && o->lags)
			lag_rows(t, &one, b->batch[row]);
		else if (o->per_record)
			summary_rows(t, b, base, &one, b->batch[row]);
	}
	if (!rc && !o->per_record && o->lags)
		lag_rows(t, &all, -1);
	else if (!rc && !o->per_record)
		summary_rows(t, b, base, &all, -1);
	if (have_one)
		trace_tally_free(&one);
	if (have_all)
		trace_tally_free(&all);
	free(flags);
	tracer_free(&tr);
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
		  .help = "the parameter traced from (default weight_hh_l0), or\n"
			  "input: each step's one-hot input (rows: steps), where\n"
			  "a mix's components compete" },
		{ "component", 0, OPT_STRING, &o.r.src.component, .arg = "C",
		  .help = "a mix: --param names component C's parameter (a name\n"
			  "or an index; default: the first)" },
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
