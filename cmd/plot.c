/*
 * plot.c - rnnbow plot KIND: the paper's views as gnuplot figures (png,
 * svg with hover text, pdf), the same bytes for the same input. Reads a
 * run (or, for `horizon`, also the TSV of `rnnbow horizon` on stdin),
 * reduces it to what the figure shows (binning to the figure's width where
 * records outnumber pixels) and hands that to plots/views.h.
 */
#include "commands.h"
#include "plot.h"
#include "readers.h"
#include "../formats/msg.h"
#include "../formats/runread.h"
#include "../formats/recread.h"
#include "../libcore/analysis.h"
#include "../libcore/model.h"
#include "../plots/views.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
	"usage: rnnbow plot KIND [OPTIONS] RUN.h5|- -o FIG.png|FIG.svg|FIG.pdf\n"
	"\n"
	"KIND:\n"
	"  overview   max gradient per recorded batch (an envelope when they\n"
	"             outnumber the pixels); --mark B highlights a batch\n"
	"  batch      one batch (--batch B or --top 1): true over predicted bytes,\n"
	"             bars per step stacked by lag; --loss t adds that loss's horizon\n"
	"  horizon    decay curve with its p10-p90 band; several runs overlay; reads\n"
	"             rnnbow horizon's TSV on stdin too\n"
	"  k          k over training (k_exact from E, k_bound from g) at --eps\n"
	"  heatmap    g[t,j] of one batch (--batch B or --top 1), log colour scale\n"
	"  loss       training loss and gradient norm over all batches\n"
	"\n"
	"options:\n"
	"  -o, --output FIG      the figure; its extension picks the format (required)\n"
	"  --batch B             the recorded batch to show (batch, heatmap)\n"
	"  --top 1               the recorded batch with the largest max_grad\n"
	"  --loss t              batch: highlight loss t and draw its horizon\n"
	"  --lags K              batch: lag layers before the \"rest\" layer (default 4)\n"
	"  --mark B              overview: highlight training batch B\n"
	"  --eps X               k: tolerated relative error (default 0.1)\n"
	"  --from B, --to B      horizon, k: only records of batches in [B, B]\n"
	"  --layer L             g and E of layer L (0-based, default 0)\n"
	"  --gate NAME           g and E of one gate's block of the recurrent matrix\n"
	"                        (lstm: i f g o; gru: r z n; default: the whole matrix);\n"
	"                        horizon: --gate all draws one curve per gate\n"
	"  --yscale S            overview: auto (default: log when the bars span more\n"
	"                        than 3 decades), log or linear\n"
	"  --size S              column (3.3 in wide, 8 pt text), page (7 in wide,\n"
	"                        9 pt), WxH in inches (e.g. 3.3x2.5) or W,H in pixels\n"
	"                        (96 per inch); default: page for PDF, 1200 pixels\n"
	"                        wide for PNG and SVG; height from the kind when not\n"
	"                        given; PNG of inch sizes at 300 dpi\n"
	"  --font F              font name and size in points at the figure's size\n"
	"                        (default \"DejaVu Sans\", 10 pt; see --size)\n"
	"  --title T, --no-title the title (default: kind and run; none for sizes in\n"
	"                        inches, where a paper's caption is the title)\n"
	"  --keep-script DIR     also write DIR/FIG.gp, which re-renders the figure\n"
	"  -h, --help            show this help\n";

static const char *const kind_names[] = { "overview", "batch", "horizon", "k", "heatmap", "loss" };

/* Bins of about the figure's width: one per 2 pixels (CSS pixels for SVG
 * and PDF). */
static int64_t max_bins(const struct plot_opts *o)
{
	int64_t px = (int64_t)(o->width_in * (o->fmt == FIG_PNG ? o->dpi : 96.0));
	return px / 2 > 10 ? px / 2 : 10;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* --- overview --------------------------------------------------------- */

/* --yscale: log when asked, or (auto) when the bars span more than 3
 * decades: the largest bar over the 10th percentile of the positive ones,
 * so one tiny first batch does not turn a run's figure to log, while a
 * run whose gradient falls away for good does. y: (n) bar heights. */
static int use_log(const char *yscale, const double *y, int64_t n, double top)
{
	if (yscale && strcmp(yscale, "auto"))
		return !strcmp(yscale, "log");
	double *pos = malloc((size_t)n * sizeof(double));
	int64_t m = 0;
	if (!pos)
		return 0;
	for (int64_t i = 0; i < n; i++)
		if (y[i] > 0)
			pos[m++] = y[i];
	int log = 0;
	if (m > 0) {
		qsort(pos, (size_t)m, sizeof(double), cmp_double);
		log = top / pos[m / 10] > 1e3;
	}
	free(pos);
	return log;
}

double plot_frame_height(const struct plot_opts *o, double v)
{
	if (!o->frame_log)
		return v / o->frame_ymax;
	return v > o->frame_ymin ? log(v / o->frame_ymin) / log(o->frame_ymax / o->frame_ymin) : 0;
}

static int plot_overview(struct figure *f, struct recread *rr, struct plot_opts *o)
{
	const int n = rr->n;
	int64_t bins = max_bins(o), R = rr->rows, per = 1, got, k = 0, nb = 0;
	int binned = R > bins;
	if (binned)
		per = (R + bins - 1) / bins;
	int64_t cap = binned ? (R + per - 1) / per : R;
	double *x = calloc((size_t)cap + 1, sizeof(double)), *y = calloc((size_t)cap + 1, sizeof(double));
	double *lo = calloc((size_t)cap + 1, sizeof(double)), *hi = calloc((size_t)cap + 1, sizeof(double));
	double *vals = malloc((size_t)per * sizeof(double)), xsum = 0;
	int *step = calloc((size_t)cap + 1, sizeof(int)), rc = -1;
	struct overview ov = { .binned = binned, .records = R };
	if (!x || !y || !lo || !hi || !vals || !step) {
		error("out of memory");
		goto out;
	}
	while ((got = recread_next(rr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			int at;
			double best = max_gradient(rr->itemized + (size_t)i * n * n, n, &at);
			if (rr->batch[i] == o->mark) {
				ov.has_mark = 1;
				ov.mark_x = (double)rr->batch[i];
				ov.mark_y = best;
			}
			if (isnan(best)) /* a batch that was not finite: nothing to draw */
				continue;
			if (!binned) {
				x[nb] = (double)rr->batch[i];
				y[nb] = best;
				step[nb++] = at;
				continue;
			}
			vals[k++] = best;
			xsum += (double)rr->batch[i];
			if (k == per || rr->first + i == R - 1) { /* close the bin */
				qsort(vals, (size_t)k, sizeof(double), cmp_double);
				x[nb] = xsum / (double)k;
				lo[nb] = vals[0];
				hi[nb] = vals[k - 1];
				y[nb++] = k % 2 ? vals[k / 2] : 0.5 * (vals[k / 2 - 1] + vals[k / 2]);
				k = 0;
				xsum = 0;
			}
		}
	if (got < 0)
		goto out;
	if (nb == 0) {
		error("%s: no records to plot", rr->run->path);
		goto out;
	}
	if (o->mark >= 0 && !ov.has_mark) {
		error("%s: --mark %lld: that batch was not recorded", rr->run->path,
		      (long long)o->mark);
		goto out;
	}
	ov.n = nb;
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
	ov.step = step;
	view_overview(f, &ov);
	rc = 0;
out:
	free(x);
	free(y);
	free(lo);
	free(hi);
	free(vals);
	free(step);
	return rc;
}

/* --- batch and heatmap ------------------------------------------------ */

/* Loads the record to show (--batch B, or --top 1) into row 0 of rr. */
static int pick_record(struct recread *rr, const struct plot_opts *o)
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
	if (pick_record(rr, o) < 0)
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
	for (int j = 0; j < n; j++) {
		int32_t ty = rr->target[j], py = rr->predicted[j];
		tb[j] = ty >= 0 && ty < rr->V ? rr->vocab[ty] : '?';
		pb[j] = py >= 0 && py < rr->V ? rr->vocab[py] : '?';
	}
	int lags = o->lags < n ? (int)o->lags : (n > 1 ? n - 1 : 1);
	struct batch_view b = { .n = n, .lags = lags, .batch = rr->batch[0],
				.position = rr->position[0], .g = rr->itemized, .target = tb,
				.predicted = pb, .loss = (int)o->loss };
	if (o->kind == K_BATCH)
		view_batch(f, &b);
	else
		view_heatmap(f, rr->itemized, n, rr->batch[0]);
	free(tb);
	free(pb);
	return 0;
}

/* --- k over training -------------------------------------------------- */

static int plot_k(struct figure *f, struct recread *rr, const struct plot_opts *o)
{
	const int n = rr->n;
	int64_t bins = max_bins(o), R = rr->rows, per = R > bins ? (R + bins - 1) / bins : 1;
	int64_t cap = (R + per - 1) / per + 1, nb = 0, k = 0, got;
	double *x = calloc((size_t)cap, sizeof(double)), *ke = calloc((size_t)cap, sizeof(double));
	double *kb = calloc((size_t)cap, sizeof(double)), sx = 0, se = 0, sb = 0;
	int *counts = malloc((size_t)n * sizeof(int)), rc = -1;
	if (!x || !ke || !kb || !counts) {
		error("out of memory");
		goto out;
	}
	while ((got = recread_next(rr)) > 0)
		for (int64_t i = 0; i < got; i++) {
			int last = rr->first + i == R - 1;
			int k_e = k_exact(rr->trunc + (size_t)i * n, n, o->r.eps);
			int k_b = k_from_g(rr->itemized + (size_t)i * n * n, n, o->r.eps, 1.0, counts);
			if (in_window(&o->r, rr->batch[i]) && k_e >= 0 && k_b >= 0) {
				sx += (double)rr->batch[i];
				se += k_e;
				sb += k_b;
				k++;
			}
			if (k && (k == per || last)) {
				x[nb] = sx / (double)k;
				ke[nb] = se / (double)k;
				kb[nb++] = sb / (double)k;
				k = 0;
				sx = se = sb = 0;
			}
		}
	if (got < 0)
		goto out;
	if (nb == 0) {
		error("%s: no records to plot%s", rr->run->path,
		      o->r.from > 0 || o->r.to < INT64_MAX ? " in --from/--to" : "");
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

static int plot_loss(struct figure *f, const struct run *run, const struct plot_opts *o)
{
	struct trainread tr;
	if (trainread_open(&tr, run) < 0)
		return -1;
	int64_t bins = max_bins(o), R = tr.rows, per = R > bins ? (R + bins - 1) / bins : 1;
	int64_t cap = (R + per - 1) / per + 1, nb = 0, k = 0, got, seen = 0;
	double *x = calloc((size_t)cap, sizeof(double)), *l = calloc((size_t)cap, sizeof(double));
	double *g = calloc((size_t)cap, sizeof(double)), sx = 0, sl = 0, sg = 0;
	int rc = -1;
	if (!x || !l || !g) {
		error("out of memory");
		goto out;
	}
	while ((got = trainread_next(&tr)) > 0)
		for (int64_t i = 0; i < got; i++, seen++) {
			sx += (double)tr.batch[i];
			sl += tr.loss[i];
			sg += tr.grad_norm[i];
			if (++k == per || seen == R - 1) {
				x[nb] = sx / (double)k;
				l[nb] = sl / (double)k;
				g[nb++] = sg / (double)k;
				k = 0;
				sx = sl = sg = 0;
			}
		}
	if (got < 0)
		goto out;
	if (nb == 0) {
		error("%s: no training rows to plot", run->path);
		goto out;
	}
	struct loss_series ls = { .n = nb, .x = x, .loss = l, .grad_norm = g, .binned = per > 1 };
	view_loss(f, &ls);
	rc = 0;
out:
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

/* Parses `rnnbow horizon` TSV: columns lag median p10 p90, and run when
 * several runs are in it. */
static int curves_from_tsv(struct curves *cs, char *text)
{
	int col_run = -1, col_lag = -1, col_med = -1, col_p10 = -1, col_p90 = -1, ncol = 0;
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	if (!line)
		return error("-: empty input: expected a run file or rnnbow horizon's table");
	for (char *s2 = NULL, *name = strtok_r(line, "\t", &s2); name;
	     name = strtok_r(NULL, "\t", &s2), ncol++) {
		if (!strcmp(name, "run"))
			col_run = ncol;
		else if (!strcmp(name, "lag"))
			col_lag = ncol;
		else if (!strcmp(name, "median"))
			col_med = ncol;
		else if (!strcmp(name, "p10"))
			col_p10 = ncol;
		else if (!strcmp(name, "p90"))
			col_p90 = ncol;
	}
	if (col_lag < 0 || col_med < 0 || col_p10 < 0 || col_p90 < 0)
		return error("-: not a run file, nor a table with columns lag median p10 p90 "
			     "(rnnbow horizon's output)");
	char current[512] = "";
	const int maxlag = 1 << 16;
	int lineno = 1;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *cells[64] = { 0 }, *s2 = NULL;
		int nc = 0;
		lineno++;
		for (char *c = strtok_r(line, "\t", &s2); c && nc < 64; c = strtok_r(NULL, "\t", &s2))
			cells[nc++] = c;
		if (nc < ncol)
			return error("-: line %d has %d of %d columns", lineno, nc, ncol);
		const char *run = col_run >= 0 ? cells[col_run] : "rnnbow horizon table";
		if (!cs->count || strcmp(run, current)) {
			snprintf(current, sizeof(current), "%s", run);
			if (add_curve(cs, run, maxlag) < 0)
				return -1;
		}
		char *end;
		long lag = strtol(cells[col_lag], &end, 10);
		if (*end || lag < 0 || lag >= maxlag)
			return error("-: line %d: lag '%s' is not a lag", lineno, cells[col_lag]);
		struct decay_curve *c = &cs->c[cs->count - 1];
		((double *)c->median)[lag] = strtod(cells[col_med], NULL);
		((double *)c->p10)[lag] = strtod(cells[col_p10], NULL);
		((double *)c->p90)[lag] = strtod(cells[col_p90], NULL);
		if (lag + 1 > c->n || c->n == maxlag)
			c->n = (int)lag + 1;
	}
	return 0;
}

/* --- the command ------------------------------------------------------ */

void plot_opts_init(struct plot_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->font = "DejaVu Sans";
	o->batch = o->loss = o->mark = -1;
	o->lags = 4;
	read_opts_init(&o->r);
}

/* Figure sizes: on screen (pixels at 96 per inch), a paper's column and
 * a page. Without a height the kind sets it, as a ratio of the width: a
 * column's figure is taller for its width, its text being larger. */
enum size_class { SZ_SCREEN, SZ_COLUMN, SZ_PAGE, SZ_INCHES };
static const double height_ratio[3][6] = {
	/* overview batch horizon k    heatmap loss */
	{ 0.5,      0.542, 0.5,   0.5,  0.75,   0.5 },  /* screen */
	{ 0.68,     0.85,  0.8,   0.68, 1.0,    0.85 }, /* column */
	{ 0.45,     0.55,  0.5,   0.45, 0.78,   0.6 },  /* page */
};

struct fig_size {
	double w, h; /* inches; h 0: from the kind */
	double dpi;  /* PNG pixels per inch */
	double pt;   /* text size unless --font gives one */
	enum size_class cls;
};

/* Parses --size S (NULL: the format's default) into z. Returns 0, or -1
 * when S is none of column, page, WxH (inches, 1 to 50) and W,H (pixels,
 * 100 to 20000). */
static int size_of(const char *s, enum fig_format fmt, struct fig_size *z)
{
	char *end;
	memset(z, 0, sizeof(*z));
	if (!s && fmt != FIG_PDF) { /* PNG and SVG for a screen, 1200 pixels */
		*z = (struct fig_size){ 12.5, 0, 96, 10, SZ_SCREEN };
		return 0;
	}
	if (!s) /* a PDF is made for print */
		s = "page";
	if (!strcmp(s, "column") || !strcmp(s, "page")) {
		z->cls = s[0] == 'c' ? SZ_COLUMN : SZ_PAGE;
		z->w = z->cls == SZ_COLUMN ? 3.3 : 7.0;
		z->pt = z->cls == SZ_COLUMN ? 8 : 9;
		z->dpi = 300;
		return 0;
	}
	double a = strtod(s, &end), b;
	if (*end == ',') { /* pixels */
		b = strtod(end + 1, &end);
		if (*end || a < 100 || a > 20000 || b < 100 || b > 20000 || a != floor(a) ||
		    b != floor(b))
			return -1;
		*z = (struct fig_size){ a / 96, b / 96, 96, 10, SZ_SCREEN };
		return 0;
	}
	if (*end != 'x' || end == s)
		return -1;
	b = strtod(end + 1, &end);
	if (!strcmp(end, "in"))
		end += 2;
	if (*end || !(a >= 1 && a <= 50 && b >= 1 && b <= 50))
		return -1;
	/* text for its width: 8 pt in a column, 9 pt on a page, 10 beyond */
	*z = (struct fig_size){ a, b, 300, a <= 4 ? 8 : a <= 8 ? 9 : 10, SZ_INCHES };
	return 0;
}

static int render_kind(struct figure *f, char **files, int nfiles, struct plot_opts *o)
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
			if (o->kind == K_HORIZON && (len < 8 || memcmp(buf, "\211HDF", 4))) {
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
			if (o->kind != K_HORIZON && (len < 8 || memcmp(buf, "\211HDF", 4))) {
				free(buf); /* a table, most likely: say what reads one */
				error("-: %splot %s needs a run file, not a table (only plot horizon "
				      "reads a table: rnnbow horizon's output)",
				      len ? "" : "empty input: ", kind_names[o->kind]);
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
			error("no decay to plot: no records%s", o->r.from > 0 || o->r.to < INT64_MAX ?
			      " in --from/--to" : "");
			goto out;
		}
		view_horizon(f, cs.c, cs.count);
	}
	rc = 0;
out:
	free_curves(&cs);
	return rc;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_opts o;
	plot_opts_init(&o);
	const struct opt opts[] = {
		{ "output", 'o', OPT_STRING, &o.output },
		{ "batch", 0, OPT_INT, &o.batch, 0, 9.2e18 },
		{ "top", 0, OPT_INT, &o.top, 1, 1 },
		{ "loss", 0, OPT_INT, &o.loss, 0, 1e9 },
		{ "lags", 0, OPT_INT, &o.lags, 1, 32 },
		{ "mark", 0, OPT_INT, &o.mark, 0, 9.2e18 },
		{ "eps", 0, OPT_FLOAT, &o.r.eps, 0, 1e30 },
		{ "from", 0, OPT_INT, &o.r.from, 0, 9.2e18 },
		{ "to", 0, OPT_INT, &o.r.to, 0, 9.2e18 },
		READ_SOURCE_OPTS(o.r),
		{ "size", 0, OPT_STRING, &o.size },
		{ "yscale", 0, OPT_STRING, &o.yscale },
		{ "font", 0, OPT_STRING, &o.font },
		{ "title", 0, OPT_STRING, &o.title },
		{ "no-title", 0, OPT_FLAG, &o.no_title },
		{ "keep-script", 0, OPT_STRING, &o.keep },
		OPT_END,
	};
	int nargs = opts_parse(argc, argv, opts, usage);
	if (nargs < 1)
		usage_error(usage, "no KIND given (overview, batch, horizon, k, heatmap, loss)");
	int kind = -1;
	for (int i = 0; i < 6; i++)
		if (!strcmp(argv[0], kind_names[i]))
			kind = i;
	if (kind < 0)
		usage_error(usage, "unknown KIND '%s' (overview, batch, horizon, k, heatmap, loss)",
			    argv[0]);
	o.kind = (enum kind)kind;
	char **files = argv + 1;
	int nfiles = nargs - 1;
	if (!o.output)
		usage_error(usage, "no output file: give -o FIG.png, FIG.svg or FIG.pdf");
	enum fig_format fmt;
	if (fig_format_of(o.output, &fmt) < 0)
		usage_error(usage, "%s: unknown extension (use .png, .svg or .pdf)", o.output);
	if (nfiles < 1)
		usage_error(usage, "no run file given (use - for stdin)");
	if (nfiles > 1 && o.kind != K_HORIZON)
		usage_error(usage, "%s shows one run; only horizon overlays several", argv[0]);
	for (int i = 0, dashes = 0; i < nfiles; i++)
		if (!strcmp(files[i], "-") && ++dashes > 1)
			usage_error(usage, "stdin ('-') can be read once only");
	if ((o.kind == K_BATCH || o.kind == K_HEATMAP) && (o.batch < 0) == !o.top)
		usage_error(usage, "%s needs --batch B or --top 1 (one of them)", argv[0]);
	if (o.loss >= 0 && o.kind != K_BATCH)
		usage_error(usage, "--loss goes with plot batch");
	if (o.r.from > o.r.to)
		usage_error(usage, "--from is after --to");
	read_source_check(&o.r.src, usage);
	if (o.kind == K_LOSS && (o.r.src.layer_given || o.r.src.gate))
		usage_error(usage, "--layer and --gate choose itemized gradients; loss shows /train");
	if (gate_all(&o.r.src) && o.kind != K_HORIZON)
		usage_error(usage, "--gate all overlays every gate's decay curve: plot horizon only");
	o.fmt = fmt;
	struct fig_size z;
	if (o.size && size_of(o.size, fmt, &z) < 0)
		usage_error(usage, "--size: expected column, page, WxH in inches (1 to 50) or W,H "
			    "in pixels (100 to 20000), got '%s'", o.size);
	if (o.yscale && strcmp(o.yscale, "auto") && strcmp(o.yscale, "log") &&
	    strcmp(o.yscale, "linear"))
		usage_error(usage, "--yscale: expected auto, log or linear, got '%s'", o.yscale);
	if (o.yscale && o.kind != K_OVERVIEW)
		usage_error(usage, "--yscale goes with plot overview (the other kinds have "
			    "fixed scales)");
	{ /* the folder of the figure must exist: say so before any work */
		char *slash = strrchr(o.output, '/');
		struct stat st;
		if (slash) {
			*slash = '\0';
			int ok = stat(*o.output ? o.output : "/", &st) == 0 && S_ISDIR(st.st_mode);
			*slash = '/';
			if (!ok)
				return error("%s: no such folder for the figure", o.output), 1;
		}
	}
	if (o.keep) {
		struct stat st;
		if (stat(o.keep, &st) < 0 || !S_ISDIR(st.st_mode))
			usage_error(usage, "--keep-script %s: not a directory", o.keep);
	}

	return plot_make(&o, files, nfiles) < 0 ? 1 : 0;
}

/* Adds " (layer 1, gate f)" to a default title when --layer or --gate
 * chose what is shown. */
static void source_title(char *title, size_t len, const struct rec_source *src)
{
	char source[96];
	struct rec_source each = *src;
	if (gate_all(src))
		each.gate = NULL;
	rec_source_name(source, sizeof(source), &each);
	if (gate_all(src))
		snprintf(source + strlen(source), sizeof(source) - strlen(source), "%sgate by gate",
			 source[0] ? ", " : "");
	if (source[0])
		snprintf(title + strlen(title), len - strlen(title), " (%s)", source);
}

int plot_make(struct plot_opts *o, char **files, int nfiles)
{
	char title[1024];
	const char *t = o->title;
	struct fig_size z;
	if (size_of(o->size, o->fmt, &z) < 0)
		return error("--size %s: not a size", o->size);
	int may_grow = z.h == 0;
	if (z.h == 0) { /* the kind's height; a batch's loss panel adds a third */
		double r = height_ratio[z.cls == SZ_INCHES ? SZ_PAGE : z.cls][o->kind];
		z.h = z.w * r * (o->kind == K_BATCH && o->loss >= 0 ? 1.23 : 1);
	}
	o->width_in = z.w;
	o->height_in = z.h;
	o->dpi = z.dpi;
	/* a paper's figure has a caption for its title: none by default */
	if (!t && !o->no_title && z.cls == SZ_SCREEN) {
		const char *what[] = { "max gradient per recorded batch", "one batch",
				       "gradient decay with lag", "truncation horizon k",
				       "g[t,j]", "training loss" };
		if (o->kind == K_BATCH || o->kind == K_HEATMAP)
			snprintf(title, sizeof(title), "%s: %s%s", files[0], what[o->kind],
				 o->top ? " (the largest max gradient)" : "");
		else
			snprintf(title, sizeof(title), "%s%s%s", what[o->kind], nfiles == 1 ? ": " : "",
				 nfiles == 1 ? files[0] : "");
		if ((o->kind == K_BATCH || o->kind == K_HEATMAP) && o->batch >= 0)
			snprintf(title + strlen(title), sizeof(title) - strlen(title), " %lld",
				 (long long)o->batch);
		source_title(title, sizeof(title), &o->r.src);
		t = title;
	}
	struct figure f;
	if (fig_begin(&f, o->fmt, o->width_in, o->height_in, o->dpi, o->font, z.pt, t) < 0)
		return error("out of memory");
	f.may_grow = may_grow;
	if (render_kind(&f, files, nfiles, o) < 0) {
		fig_discard(&f);
		return -1;
	}
	return fig_render(&f, o->output, o->keep);
}
