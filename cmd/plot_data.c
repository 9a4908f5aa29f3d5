/*
 * plot_data.c - what each figure of `rnnbow plot` shows, read from runs (or
 * rnnbow horizon's TSV on stdin) and reduced to the figure's size: records
 * binned to about one per 2 pixels where they outnumber them, decay curves
 * as quantiles per lag. Each reducer hands its series to plots/views.h.
 * Workload: one pass over the records of a run, a chunk at a time
 * (recread_next), keeping only the bins.
 */
#include "plot.h"
#include "readers.h"
#include "../formats/msg.h"
#include "../formats/runread.h"
#include "../formats/recread.h"
#include "../formats/tsvread.h"
#include "../formats/validread.h"
#include "../libcore/analysis.h"
#include "../libcore/model.h"
#include "../plots/envelope.h"
#include "../plots/views.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bins of about the figure's width: one per 2 pixels (CSS pixels for SVG
 * and PDF). */
static int64_t max_bins(const struct plot_opts *o)
{
	int64_t px = (int64_t)(o->width_in * (o->fmt == FIG_PNG ? o->dpi : 96.0));
	return px / 2 > 10 ? px / 2 : 10;
}

int64_t plot_max_bins(const struct plot_opts *o)
{
	return max_bins(o);
}

/* --- overview --------------------------------------------------------- */

/* --yscale: log when asked, or (auto) when the bars span more than 3
 * decades (envelope_wants_log). y: (n) bar heights. */
static int use_log(const char *yscale, const double *y, int64_t n, double top)
{
	if (yscale && strcmp(yscale, "auto"))
		return !strcmp(yscale, "log");
	return envelope_wants_log(y, n, top);
}

double plot_frame_height(const struct plot_opts *o, double v)
{
	if (!o->frame_log)
		return v / o->frame_ymax;
	return v > o->frame_ymin ? log(v / o->frame_ymin) / log(o->frame_ymax / o->frame_ymin) : 0;
}

/* --from/--to: how many records (or /train rows) of the run lie in the
 * window, counted first from the batch column alone, so that the figures
 * that bin choose their bins for the rows they draw. -1 on a read error. */
static int64_t records_in_window(const struct run *run, const struct plot_opts *o)
{
	struct recread rr;
	if (recread_open(&rr, run, RC_BATCH) < 0)
		return -1;
	int64_t got, count = 0;
	while ((got = recread_next(&rr)) > 0)
		for (int64_t i = 0; i < got; i++)
			count += in_window(&o->r, rr.batch[i]);
	recread_close(&rr);
	return got < 0 ? -1 : count;
}

static int64_t train_rows_in_window(const struct run *run, const struct plot_opts *o)
{
	struct trainread tr;
	if (trainread_open(&tr, run) < 0)
		return -1;
	int64_t got, count = 0;
	while ((got = trainread_next(&tr)) > 0)
		for (int64_t i = 0; i < got; i++)
			count += in_window(&o->r, tr.batch[i]);
	trainread_close(&tr);
	return got < 0 ? -1 : count;
}

/* " in --from/--to" when a window was given, for "nothing to plot". */
static const char *window_words(const struct plot_opts *o)
{
	return o->r.from > 0 || o->r.to < INT64_MAX ? " in --from/--to" : "";
}

static int plot_overview(struct figure *f, struct recread *rr, struct plot_opts *o)
{
	const int n = rr->n;
	int64_t got, R = records_in_window(rr->run, o);
	if (R < 0)
		return -1;
	int rc = -1;
	struct envelope e;
	struct overview ov = { .records = R };
	if (envelope_init(&e, R, max_bins(o)) < 0) {
		error("out of memory");
		goto out;
	}
	while ((got = recread_next(rr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			if (!in_window(&o->r, rr->batch[i]))
				continue;
			int at;
			double best = max_gradient(rr->itemized + (size_t)i * n * n, n, &at);
			if (rr->batch[i] == o->mark) {
				ov.has_mark = 1;
				ov.mark_x = (double)rr->batch[i];
				ov.mark_y = best;
			}
			if (!isnan(best)) /* a batch that was not finite: nothing to draw */
				envelope_add(&e, rr->batch[i], best, at);
		}
	envelope_finish(&e);
	if (got < 0)
		goto out;
	const int64_t nb = e.nb;
	const int binned = e.binned;
	const double *x = e.x, *y = e.y, *lo = e.lo, *hi = e.hi;
	if (nb == 0) {
		error("%s: no records to plot%s", rr->run->path, window_words(o));
		goto out;
	}
	if (o->mark >= 0 && !ov.has_mark) {
		error("%s: --mark %lld: that batch was not recorded%s", rr->run->path,
		      (long long)o->mark, *window_words(o) ? " or is outside --from/--to" : "");
		goto out;
	}
	ov.n = nb;
	ov.binned = binned;
	ov.framed = o->framed;
	{ /* the frame: x from the first to the last bar, y from 0 (log: from
	   * below the smallest bar) */
		double w = nb > 1 ? (x[nb - 1] - x[0]) / (double)(nb - 1) : 1.0, top = 0;
		double low = INFINITY;
		for (int64_t i = 0; i < nb; i++) {
			top = fmax(top, binned ? hi[i] : y[i]);
			if ((binned ? lo[i] : y[i]) > 0)
				low = fmin(low, binned ? lo[i] : y[i]);
		}
		ov.log = use_log(o->yscale, y, nb, top);
		ov.xmin = x[0] - w;
		ov.xmax = x[nb - 1] + w;
		ov.ymin = ov.log ? low / 1.5 : 0;
		ov.ymax = ov.log ? top * 1.5 : top > 0 ? top * 1.08 : 1.0;
		o->frame_xmin = ov.xmin;
		o->frame_xmax = ov.xmax;
		o->frame_ymin = ov.ymin;
		o->frame_ymax = ov.ymax;
		o->frame_log = ov.log;
	}
	ov.x = x;
	ov.y = y;
	ov.lo = lo;
	ov.hi = hi;
	ov.step = e.step;
	view_overview(f, &ov);
	rc = 0;
out:
	envelope_free(&e);
	return rc;
}

/* --- batch and heatmap ------------------------------------------------ */

int plot_pick_record(struct recread *rr, const struct plot_opts *o)
{
	int64_t want = o->batch;
	if (o->top) { /* the record with the largest max_grad */
		double best = -1;
		int64_t got;
		const int n = rr->n;
		while ((got = recread_next(rr)) > 0)
			for (int64_t i = 0; i < got; i++) {
				int at;
				double m = max_gradient(rr->itemized + (size_t)i * n * n, n, &at);
				if (m > best) { /* NaN never wins */
					best = m;
					want = rr->batch[i];
				}
			}
		if (got < 0)
			return -1;
		if (best < 0)
			return error("%s: no records to choose from", rr->run->path);
	}
	int found = recread_find(rr, want);
	if (found > 0)
		return error("%s: batch %lld was not recorded (see rnnbow summarize %s)",
			     rr->run->path, (long long)want, rr->run->path);
	return found;
}

static int plot_batch(struct figure *f, struct recread *rr, const struct plot_opts *o)
{
	const int n = rr->n;
	if (plot_pick_record(rr, o) < 0)
		return -1;
	if (o->loss >= n)
		return error("%s: --loss %lld is outside this run's steps 0..%d", rr->run->path,
			     (long long)o->loss, n - 1);
	uint8_t *tb = malloc((size_t)n), *pb = malloc((size_t)n);
	if (!tb || !pb) {
		free(tb);
		free(pb);
		return error("out of memory");
	}
	const char **tt = NULL, **pt = NULL; /* other tokens: their texts */
	if (rr->tokens.kind != TOKENS_BYTES &&
	    (!(tt = calloc((size_t)n, sizeof(char *))) || !(pt = calloc((size_t)n, sizeof(char *))))) {
		free(tt);
		free(tb);
		free(pb);
		return error("out of memory");
	}
	for (int j = 0; j < n; j++) {
		int32_t ty = rr->target[j], py = rr->predicted[j];
		size_t len;
		tb[j] = recread_byte(rr, ty);
		pb[j] = recread_byte(rr, py);
		if (tt) {
			tt[j] = recread_text(rr, ty, &len);
			pt[j] = recread_text(rr, py, &len);
		}
	}
	int lags = o->lags < n ? (int)o->lags : (n > 1 ? n - 1 : 1);
	struct batch_view b = { .n = n, .lags = lags, .batch = rr->batch[0],
				.position = rr->position[0], .g = rr->itemized, .target = tb,
				.predicted = pb, .loss = (int)o->loss, .target_text = tt,
				.predicted_text = pt };
	if (o->kind == K_BATCH)
		view_batch(f, &b);
	else
		view_heatmap(f, rr->itemized, n, rr->batch[0]);
	free(tt);
	free(pt);
	free(tb);
	free(pb);
	return 0;
}

/* Means of three series over bins of `per` rows, for plot k and plot
 * loss (plot overview bins to an envelope instead). A value that is not
 * finite is left out of its series' mean (a batch that blew up says
 * nothing of the loss); a bin with none left is NaN, which gnuplot skips. */
struct mean_bins {
	int64_t per, rows, nb; /* rows in the bin being filled; bins done */
	double sum[3];
	int64_t count[3];
	double *out[3];        /* (bins) the means */
};

static void mean_bins_close(struct mean_bins *b)
{
	if (!b->rows)
		return;
	for (int s = 0; s < 3; s++) {
		b->out[s][b->nb] = b->count[s] ? b->sum[s] / (double)b->count[s] : NAN;
		b->sum[s] = 0;
		b->count[s] = 0;
	}
	b->nb++;
	b->rows = 0;
}

static void mean_bins_add(struct mean_bins *b, double v0, double v1, double v2)
{
	const double v[3] = { v0, v1, v2 };
	for (int s = 0; s < 3; s++)
		if (isfinite(v[s])) {
			b->sum[s] += v[s];
			b->count[s]++;
		}
	if (++b->rows == b->per)
		mean_bins_close(b);
}

/* --- k over training -------------------------------------------------- */

static int plot_k(struct figure *f, struct recread *rr, const struct plot_opts *o)
{
	const int n = rr->n;
	int64_t bins = max_bins(o), R = records_in_window(rr->run, o);
	if (R < 0)
		return -1;
	int64_t per = R > bins ? (R + bins - 1) / bins : 1, cap = (R + per - 1) / per + 1, got;
	double *x = calloc((size_t)cap, sizeof(double)), *ke = calloc((size_t)cap, sizeof(double));
	double *kb = calloc((size_t)cap, sizeof(double));
	int *counts = malloc((size_t)n * sizeof(int)), rc = -1;
	struct mean_bins mb = { .per = per, .out = { x, ke, kb } };
	if (!x || !ke || !kb || !counts) {
		error("out of memory");
		goto out;
	}
	while ((got = recread_next(rr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			if (!in_window(&o->r, rr->batch[i]))
				continue;
			int k_e = k_exact(rr->trunc + (size_t)i * n, n, o->r.eps);
			int k_b = k_from_g(rr->itemized + (size_t)i * n * n, n, o->r.eps, 1.0, counts);
			if (k_e >= 0 && k_b >= 0)
				mean_bins_add(&mb, (double)rr->batch[i], k_e, k_b);
		}
	mean_bins_close(&mb);
	int64_t nb = mb.nb;
	if (got < 0)
		goto out;
	if (nb == 0) {
		error("%s: no records to plot%s", rr->run->path, window_words(o));
		goto out;
	}
	struct k_series ks = { .n = nb, .x = x, .k_exact = ke, .k_bound = kb, .eps = o->r.eps,
			       .binned = per > 1 };
	view_k(f, &ks);
	rc = 0;
out:
	free(x);
	free(ke);
	free(kb);
	free(counts);
	return rc;
}

/* --- loss over training ----------------------------------------------- */

/* The held-out loss of the batches in the window, when the run has
 * /valid: into ls (*vx, *vl to free). Returns 0 or -1 (said why). */
static int valid_series(struct loss_series *ls, double **vx, double **vl,
			const struct run *run, const struct plot_opts *o)
{
	struct valid_rows v;
	if (valid_rows_read(&v, run) < 0)
		return error("%s: cannot read /valid", run->path);
	*vx = calloc((size_t)v.n + 1, sizeof(double));
	*vl = calloc((size_t)v.n + 1, sizeof(double));
	if (!*vx || !*vl) {
		valid_rows_free(&v);
		return error("out of memory");
	}
	for (int64_t i = 0; i < v.n; i++)
		if (in_window(&o->r, v.batch[i])) {
			(*vx)[ls->vn] = (double)v.batch[i];
			(*vl)[ls->vn++] = v.loss[i];
		}
	ls->vx = *vx;
	ls->vloss = *vl;
	valid_rows_free(&v);
	return 0;
}

static int plot_loss(struct figure *f, const struct run *run, const struct plot_opts *o)
{
	struct trainread tr;
	int64_t bins = max_bins(o), R = train_rows_in_window(run, o);
	if (R < 0 || trainread_open(&tr, run) < 0)
		return -1;
	int64_t per = R > bins ? (R + bins - 1) / bins : 1;
	int64_t cap = (R + per - 1) / per + 1, got;
	double *x = calloc((size_t)cap, sizeof(double)), *l = calloc((size_t)cap, sizeof(double));
	double *g = calloc((size_t)cap, sizeof(double));
	struct mean_bins mb = { .per = per, .out = { x, l, g } };
	double *vx = NULL, *vl = NULL;
	int rc = -1;
	if (!x || !l || !g) {
		error("out of memory");
		goto out;
	}
	while ((got = trainread_next(&tr)) > 0)
		for (int64_t i = 0; i < got; i++) /* a flagged batch's numbers are overflow */
			if (in_window(&o->r, tr.batch[i]))
				mean_bins_add(&mb, (double)tr.batch[i],
					      tr.nonfinite[i] ? NAN : tr.loss[i],
					      tr.nonfinite[i] ? NAN : tr.grad_norm[i]);
	mean_bins_close(&mb);
	int64_t nb = mb.nb;
	if (got < 0)
		goto out;
	if (nb == 0) {
		error("%s: no training rows to plot%s", run->path, window_words(o));
		goto out;
	}
	struct loss_series ls = { .n = nb, .x = x, .loss = l, .grad_norm = g, .binned = per > 1 };
	if (valid_series(&ls, &vx, &vl, run, o) < 0)
		goto out;
	view_loss(f, &ls);
	rc = 0;
out:
	free(vx);
	free(vl);
	free(x);
	free(l);
	free(g);
	trainread_close(&tr);
	return rc;
}

/* --- horizon: runs, or rnnbow horizon's TSV --------------------------- */

struct curves {
	struct decay_curve *c;
	double **bufs;
	char **labels;
	int count;
};

static int add_curve(struct curves *cs, const char *label, int n)
{
	struct decay_curve *c = realloc(cs->c, (size_t)(cs->count + 1) * sizeof(*c));
	char **labels = realloc(cs->labels, (size_t)(cs->count + 1) * sizeof(char *));
	double **bufs = realloc(cs->bufs, (size_t)(cs->count + 1) * sizeof(double *));
	if (c)
		cs->c = c;
	if (labels)
		cs->labels = labels;
	if (bufs)
		cs->bufs = bufs;
	double *buf = calloc(3 * (size_t)n, sizeof(double));
	char *copy = strdup(label);
	if (!c || !labels || !bufs || !buf || !copy) {
		free(buf);
		free(copy);
		return error("out of memory");
	}
	for (int d = 0; d < 3 * n; d++)
		buf[d] = NAN;
	cs->bufs[cs->count] = buf;
	cs->labels[cs->count] = copy;
	cs->c[cs->count] = (struct decay_curve){ copy, n, buf, buf + n, buf + 2 * n };
	cs->count++;
	return 0;
}

static void free_curves(struct curves *cs)
{
	for (int i = 0; i < cs->count; i++) {
		free(cs->bufs[i]);
		free(cs->labels[i]);
	}
	free(cs->c);
	free(cs->bufs);
	free(cs->labels);
}

/* A run's legend: its name, architecture and the source read, e.g.
 * "a.h5 (lstm, 2x100, n=25, layer 1, gate f)", "b.h5 (rnn tanh, H=100,
 * n=25)". Gated cells have no activation to name (always tanh). */
static void run_label(char *buf, size_t len, const char *path, const struct recread *rr,
		      const struct rec_source *src)
{
	char act[32] = "", size[48], source[96];
	if (!strcmp(rr->cell, cell_name(CELL_RNN)))
		snprintf(act, sizeof(act), "%s", rr->activation);
	if (rr->layers > 1)
		snprintf(size, sizeof(size), "%dx%d", rr->layers, rr->H);
	else
		snprintf(size, sizeof(size), "H=%d", rr->H);
	rec_source_name(source, sizeof(source), src);
	snprintf(buf, len, "%s (%s%s%s, %s, n=%d%s%s)", path, rr->cell, act[0] ? " " : "", act,
		 size, rr->n, source[0] ? ", " : "", source);
}

static int curve_from_run(struct curves *cs, struct run *run, const struct plot_opts *o)
{
	struct recread rr;
	struct decay d;
	char label[512];
	if (recread_open_source(&rr, run, RC_ITEMIZED, &o->r.src) < 0)
		return -1;
	int rc = read_decay(&d, &rr, &o->r);
	if (rc == 0) {
		run_label(label, sizeof(label), run->path, &rr, &o->r.src);
		rc = add_curve(cs, label, rr.n);
		if (rc == 0) {
			struct decay_curve *c = &cs->c[cs->count - 1];
			for (int lag = 0; lag < rr.n; lag++) {
				((double *)c->median)[lag] = decay_quantile(&d, lag, 0.5);
				((double *)c->p10)[lag] = decay_quantile(&d, lag, 0.1);
				((double *)c->p90)[lag] = decay_quantile(&d, lag, 0.9);
			}
		}
		decay_free(&d);
	}
	recread_close(&rr);
	return rc;
}

/* --gate all: one curve per gate of the run's cell, in PyTorch's order. */
static int gate_curves(struct curves *cs, struct run *run, const struct plot_opts *o)
{
	struct recread rr;
	struct plot_opts each = *o;
	char names[sizeof(rr.gate_names)], cell[sizeof(rr.cell)];
	each.r.src.gate = NULL; /* the whole matrix, to learn the gate names */
	if (recread_open_source(&rr, run, RC_ITEMIZED, &each.r.src) < 0)
		return -1;
	int G = rr.G;
	memcpy(names, rr.gate_names, sizeof(names));
	memcpy(cell, rr.cell, sizeof(cell));
	recread_close(&rr);
	if (G < 2)
		return error("%s: --gate all: cell %s has no gates", run->path, cell);
	char *save = NULL;
	for (char *g = strtok_r(names, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		each.r.src.gate = g;
		if (curve_from_run(cs, run, &each) < 0)
			return -1;
	}
	return 0;
}

/* Reads `rnnbow horizon` TSV (text, written into): columns lag median p10
 * p90, and run when several runs are in it; one curve per run. */
static int curves_from_tsv(struct curves *cs, char *text)
{
	enum { C_RUN, C_LAG, C_MED, C_P10, C_P90, NCOLS };
	static const char *const names[NCOLS] = { "run", "lag", "median", "p10", "p90" };
	struct tsvread t;
	int col[NCOLS];
	if (tsvread_header(&t, text, names, col, NCOLS) < 0)
		return error("-: empty input: expected a run file or rnnbow horizon's table");
	if (col[C_LAG] < 0 || col[C_MED] < 0 || col[C_P10] < 0 || col[C_P90] < 0)
		return error("-: not a run file, nor a table with columns lag median p10 p90 "
			     "(rnnbow horizon's output)");
	char current[512] = "";
	const int maxlag = 1 << 16;
	if (t.ncol > TSV_MAX_CELLS)
		return error("-: %d columns: a table of at most %d is read", t.ncol, TSV_MAX_CELLS);
	while (tsvread_row(&t)) {
		if (t.nc != t.ncol)
			return error("-: line %d has %d of %d columns", t.lineno, t.nc, t.ncol);
		const char *run = col[C_RUN] >= 0 ? t.cells[col[C_RUN]] : "rnnbow horizon table";
		if (!cs->count || strcmp(run, current)) {
			snprintf(current, sizeof(current), "%s", run);
			if (add_curve(cs, run, maxlag) < 0)
				return -1;
		}
		char *end;
		const char *lagtext = t.cells[col[C_LAG]];
		long lag = strtol(lagtext, &end, 10);
		if (*end || lag < 0 || lag >= maxlag)
			return error("-: line %d: lag '%s' is not a lag", t.lineno, lagtext);
		struct decay_curve *c = &cs->c[cs->count - 1];
		double *dst[3] = { (double *)c->median, (double *)c->p10, (double *)c->p90 };
		for (int q = 0; q < 3; q++) {
			const char *cell = t.cells[col[C_MED + q]];
			dst[q][lag] = strtod(cell, &end);
			if (end == cell || *end)
				return error("-: line %d: %s '%s' is not a number", t.lineno,
					     names[C_MED + q], cell);
		}
		if (lag + 1 > c->n || c->n == maxlag)
			c->n = (int)lag + 1;
	}
	return 0;
}

int plot_render(struct figure *f, char **files, int nfiles, struct plot_opts *o)
{
	struct curves cs = { 0 };
	int rc = -1;
	for (int i = 0; i < nfiles; i++) {
		struct run run;
		if (!strcmp(files[i], "-")) {
			void *buf;
			size_t len;
			if (read_all_stdin(&buf, &len) < 0)
				goto out;
			const int is_run = run_image_is_hdf5(buf, len);
			if (o->kind == K_HORIZON && !is_run) {
				char *text = realloc(buf, len + 1);
				if (!text) {
					free(buf);
					error("out of memory");
					goto out;
				}
				text[len] = '\0';
				int r = curves_from_tsv(&cs, text);
				free(text);
				if (r < 0)
					goto out;
				continue;
			}
			if (!is_run) {
				free(buf); /* a table, most likely: say what reads one */
				error("-: %splot %s needs a run file, not a table (only plot horizon "
				      "reads a table: rnnbow horizon's output)",
				      len ? "" : "empty input: ", plot_kind_names[o->kind]);
				goto out;
			}
			if (run_open_image(&run, buf, len, "-") < 0)
				goto out;
		} else if (run_open(&run, files[i]) < 0) {
			goto out;
		}
		int r = 0;
		if (o->kind == K_HORIZON) {
			r = gate_all(&o->r.src) ? gate_curves(&cs, &run, o) : curve_from_run(&cs, &run, o);
		} else if (o->kind == K_LOSS) {
			r = plot_loss(f, &run, o);
		} else if (o->kind == K_UNITS || o->kind == K_HIDDEN) {
			r = plot_units(f, &run, o);
		} else if (o->kind == K_TRACE) {
			r = plot_trace(f, &run, o);
		} else if (o->kind == K_DIAGNOSE) {
			r = plot_diagnose(f, &run, o);
		} else {
			struct recread rr;
			unsigned cols = RC_ITEMIZED | RC_POSITION | RC_TARGET | RC_PREDICTED |
					(o->kind == K_K ? RC_TRUNC : 0);
			r = recread_open_source(&rr, &run, cols, &o->r.src);
			if (r == 0) {
				if (o->kind == K_OVERVIEW)
					r = plot_overview(f, &rr, o);
				else if (o->kind == K_K)
					r = plot_k(f, &rr, o);
				else
					r = plot_batch(f, &rr, o);
				recread_close(&rr);
			}
		}
		run_close(&run);
		if (r < 0)
			goto out;
	}
	if (o->kind == K_HORIZON) {
		int any = 0;
		for (int i = 0; i < cs.count; i++)
			for (int d = 0; d < cs.c[i].n; d++)
				any |= cs.c[i].median[d] > 0;
		if (!any) {
			error("no decay to plot: no records%s", window_words(o));
			goto out;
		}
		view_horizon(f, cs.c, cs.count);
	}
	rc = 0;
out:
	free_curves(&cs);
	return rc;
}

