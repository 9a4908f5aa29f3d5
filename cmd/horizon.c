/*
 * horizon.c - rnnbow horizon: how far gradient reaches. The decay curve of
 * g[t,t-d] / g[t,t] by lag with a log-linear fit (default), k per recorded
 * batch (--per-batch), one k for a run (--overall), or the horizon of one
 * loss (--batch B --step t). Streams each run in blocks; the decay curve
 * and --overall keep fixed-size histograms. Definitions: docs/ANALYSIS.md.
 */
#include "commands.h"
#include "readers.h"
#include "../formats/msg.h"
#include "../formats/recread.h"
#include "../libcore/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: rnnbow horizon [OPTIONS] [RUN.h5...|-]\n"
	"\n"
	"How gradient decays with lag, and the truncation horizon k. Default: the\n"
	"decay curve, one row per lag: lag count median p10 p90 mean of\n"
	"g[t,t-d] / g[t,t], with a log-linear fit (decay_factor half_life fit_from\n"
	"fit_to). '-' or no file reads a run from stdin. See rnnbow-horizon(1).\n"
	"\n";

static const char *const decay_cols[] = {
	"run", "lag", "count", "median", "p10", "p90", "mean",
	"decay_factor", "half_life", "fit_from", "fit_to",
};
static const char *const batch_cols[] = {
	"run", "batch", "k_exact", "k_bound", "E0", "E1", "E2", "E4", "E8",
};
static const int e_columns[5] = { 0, 1, 2, 4, 8 };
static const char *const overall_cols[] = {
	"run", "records", "share", "eps", "k_exact", "count_exact", "k_bound", "count_bound",
};
static const char *const loss_cols[] = { "run", "lag", "j", "g", "share", "cumulative" };

enum mode { DECAY, PER_BATCH, OVERALL, ONE_LOSS };

struct horizon_opts {
	struct read_opts r;
	enum mode mode;
	double share, floor;
	int64_t batch, step;
};

static void run_cell(struct table *t, const char *file, int nfiles)
{
	if (nfiles > 1)
		table_str(t, file);
}

/* Decay curve and fit of one run. */
static int decay_run(struct table *t, struct recread *rr, const char *file, int nfiles,
		     const struct horizon_opts *o)
{
	struct decay d;
	const int n = rr->n;
	if (read_decay(&d, rr, &o->r) < 0)
		return -1;
	double *median = malloc((size_t)n * sizeof(double));
	if (!median) {
		decay_free(&d);
		return error("out of memory");
	}
	for (int lag = 0; lag < n; lag++)
		median[lag] = decay_quantile(&d, lag, 0.5);
	struct decay_fit fit;
	decay_fit(&fit, median, n, o->floor);
	/* no records (or no loss with g[t,t] > 0): an empty table */
	for (int lag = 0; lag < n && d.count[0]; lag++) {
		run_cell(t, file, nfiles);
		table_int(t, lag);
		table_int(t, d.count[lag]);
		table_num(t, median[lag]);
		table_num(t, decay_quantile(&d, lag, 0.1));
		table_num(t, decay_quantile(&d, lag, 0.9));
		table_num(t, d.count[lag] ? d.sum[lag] / (double)d.count[lag] : NAN);
		table_num(t, fit.factor);
		table_num(t, fit.half_life);
		table_int(t, fit.fit_from);
		table_int(t, fit.fit_to);
		table_end_row(t);
	}
	free(median);
	decay_free(&d);
	return 0;
}

/* k per record (--per-batch), or their histograms for --overall. */
static int k_run(struct table *t, struct recread *rr, const char *file, int nfiles,
		 const struct horizon_opts *o)
{
	const int n = rr->n;
	int *counts = malloc((size_t)n * sizeof(int));
	int64_t *hist = calloc(2 * (size_t)n, sizeof(int64_t)), got, records = 0;
	if (!counts || !hist) {
		free(counts);
		free(hist);
		return error("out of memory");
	}
	while ((got = recread_next(rr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			if (!in_window(&o->r, rr->batch[i]))
				continue;
			const float *E = rr->trunc + (size_t)i * n;
			int ke = k_exact(E, n, o->r.eps);
			int kb = k_from_g(rr->itemized + (size_t)i * n * n, n, o->r.eps,
					  o->r.loss_share, counts);
			records++;
			if (ke >= 0) /* a record that is not finite has no k */
				hist[ke]++;
			if (kb >= 0)
				hist[n + kb]++;
			if (o->mode != PER_BATCH)
				continue;
			run_cell(t, file, nfiles);
			table_int(t, rr->batch[i]);
			table_num(t, ke < 0 ? NAN : ke);
			table_num(t, kb < 0 ? NAN : kb);
			for (int c = 0; c < 5; c++)
				table_num(t, e_columns[c] < n ? E[e_columns[c]] : NAN);
			table_end_row(t);
		}
	if (got >= 0 && o->mode == OVERALL) {
		int64_t reached_e, reached_b;
		int ke = k_quantile(hist, n, o->share, &reached_e);
		int kb = k_quantile(hist + n, n, o->share, &reached_b);
		run_cell(t, file, nfiles);
		table_int(t, records);
		table_num(t, o->share);
		table_num(t, o->r.eps);
		table_num(t, ke < 0 ? NAN : ke);
		table_int(t, reached_e);
		table_num(t, kb < 0 ? NAN : kb);
		table_int(t, reached_b);
		table_end_row(t);
	}
	free(counts);
	free(hist);
	return got < 0 ? -1 : 0;
}

/* The horizon of one loss: g[t,t], g[t,t-1], ..., g[t,0] and its shares. */
static int loss_run(struct table *t, struct recread *rr, const char *file, int nfiles,
		    const struct horizon_opts *o)
{
	const int n = rr->n;
	int found = recread_find(rr, o->batch);
	if (found < 0)
		return -1;
	if (found > 0)
		return error("%s: batch %lld was not recorded (see rnnbow summarize %s)", file,
			     (long long)o->batch, file);
	if (o->step >= n)
		return error("%s: --step %lld is outside this run's steps 0..%d", file,
			     (long long)o->step, n - 1);
	const int ts = (int)o->step;
	const float *row = rr->itemized + (size_t)ts * n;
	double total = 0.0, cum = 0.0;
	for (int j = 0; j <= ts; j++)
		total += row[j];
	for (int lag = 0; lag <= ts; lag++) {
		int j = ts - lag;
		double share = total > 0 ? row[j] / total : 0.0;
		cum += share;
		run_cell(t, file, nfiles);
		table_int(t, lag);
		table_int(t, j);
		table_num(t, row[j]);
		table_num(t, share);
		table_num(t, cum);
		table_end_row(t);
	}
	return 0;
}

/* The columns a mode reads: E only for k. */
static unsigned mode_cols(enum mode mode)
{
	return RC_ITEMIZED | (mode == PER_BATCH || mode == OVERALL ? RC_TRUNC : 0);
}

static int horizon_file(struct table *t, const char *file, int nfiles,
			const struct horizon_opts *o)
{
	struct run run;
	struct recread rr;
	int rc = -1;
	if (run_open(&run, file) < 0)
		return -1;
	if (recread_open_source(&rr, &run, mode_cols(o->mode), &o->r.src) == 0) {
		switch (o->mode) {
		case DECAY: rc = decay_run(t, &rr, file, nfiles, o); break;
		case ONE_LOSS: rc = loss_run(t, &rr, file, nfiles, o); break;
		default: rc = k_run(t, &rr, file, nfiles, o);
		}
		recread_close(&rr);
	}
	run_close(&run);
	return rc;
}

int cmd_horizon(int argc, char **argv)
{
	struct horizon_opts o = { .share = 0.95, .floor = 1e-3, .batch = -1, .step = -1 };
	int per_batch = 0, overall = 0;
	read_opts_init(&o.r);
	const struct opt opts[] = {
		READ_OPTS(o.r),
		{ "per-batch", 0, OPT_FLAG, &per_batch,
		  .help = "k over training: batch k_exact k_bound E0 E1 E2 E4 E8" },
		{ "overall", 0, OPT_FLAG, &overall,
		  .help = "one k per run, met by a share of the records" },
		{ "batch", 0, OPT_INT, &o.batch, 0, 9.2e18, .arg = "B",
		  .help = "with --step t: the horizon of loss t of recorded batch B" },
		{ "step", 0, OPT_INT, &o.step, 0, 1e9, .arg = "t",
		  .help = "with --batch B: the loss whose horizon is shown" },
		{ "share", 0, OPT_FLOAT, &o.share, 1e-9, 1, .arg = "X",
		  .help = "--overall: share of records that must meet k (default 0.95)" },
		{ "floor", 0, OPT_FLOAT, &o.floor, 0, 1e30, .arg = "X",
		  .help = "the fit stops where the median falls to X (default 1e-3)" },
		OPT_END,
	};
	int nfiles = opts_parse(argc, argv, opts, usage);
	read_opts_check(&o.r, usage);
	char **files = reader_inputs(argv, &nfiles, usage);
	int one_loss = o.batch >= 0 || o.step >= 0;
	if (one_loss && (o.batch < 0 || o.step < 0))
		usage_error(usage, "--batch and --step go together");
	if (per_batch + overall + one_loss > 1)
		usage_error(usage, "choose one of --per-batch, --overall, --batch/--step");
	o.mode = per_batch ? PER_BATCH : overall ? OVERALL : one_loss ? ONE_LOSS : DECAY;

	const char *const *tabs[] = { decay_cols, batch_cols, overall_cols, loss_cols };
	int widths[] = { 11, 9, 8, 6 };
	int ncols = widths[o.mode];
	const char *const *names = with_run(tabs[o.mode], nfiles > 1, &ncols);
	struct table t;
	if (precheck_runs(files, nfiles, mode_cols(o.mode), &o.r.src) < 0)
		return 1;
	table_begin(&t, stdout, o.r.fmt, names, ncols);
	int rc = 0;
	for (int i = 0; i < nfiles && !rc; i++)
		rc = horizon_file(&t, files[i], nfiles, &o);
	if (!rc)
		table_finish(&t);
	return rc ? 1 : 0;
}
