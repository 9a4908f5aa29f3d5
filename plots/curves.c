/*
 * curves.c - line views: the decay curve with its quantile band, k over
 * training, and loss with gradient norm over training.
 */
#include "views.h"

#include <math.h>
#include <string.h>

/* ten colours that stay apart in print: an LSTM and a GRU overlaid gate
 * by gate are seven curves */
static const char *const palette[] = { "#08519c", "#a50f15", "#006d2c", "#54278f",
				       "#d94801", "#252525", "#3690c0", "#c51b7d",
				       "#8c6d31", "#66a61e" };
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

static void title_line(struct figure *f)
{
	if (f->title) {
		fig_printf(f, "set title ");
		fig_quote(f, f->title);
		fig_printf(f, " noenhanced\n");
	}
}

void view_horizon(struct figure *f, const struct decay_curve *c, int ncurves)
{
	const int narrow = f->width_in < 5; /* a column: one legend entry a row */
	/* log y ticks a whole number of decades apart, as many as fit */
	double lo = INFINITY, hi = 0;
	for (int i = 0; i < ncurves; i++)
		for (int d = 0; d < c[i].n; d++)
			if (c[i].median[d] > 0 && isfinite(c[i].median[d])) {
				lo = fmin(lo, c[i].p10[d] > 0 ? c[i].p10[d] : c[i].median[d] * 1e-3);
				hi = fmax(hi, fmax(c[i].p90[d], c[i].median[d]));
			}
	title_line(f);
	if (hi > lo) {
		double decades = ceil(log10(hi)) - floor(log10(lo));
		fig_printf(f, "set ytics 10**%d\n",
			   (int)ceil(decades / fig_max_yticks(f)) > 1 ?
				   (int)ceil(decades / fig_max_yticks(f)) : 1);
	}
	/* the key below the plot: curves fall from the top left to the bottom
	 * right, and any corner inside meets a band */
	fig_printf(f, "set logscale y\nset format y \"10^{%%L}\"\nset xlabel \"lag d = t - j\"\n"
		      "set ylabel \"g[t,t-d] / g[t,t]\"\nset grid lc rgb \"#e0e0e0\"\n"
		      "set border 3\nset tics nomirror\n"
		      "set key outside below left Left reverse horizontal noenhanced samplen 2 "
		      "height 1.5 maxcols 2\n"); /* height: clear of the x label */
	/* the legend's rows are added to the figure, not taken from the plot */
	fig_grow(f, narrow ? ncurves - 1 : (ncurves + 1) / 2 - 1);
	if (narrow) /* one entry a row, in 7 pt (the least for print): a
		     * run's label is long for a column */
		fig_printf(f, "set key vertical maxcols 1 samplen 1 font \",%.4g\"\n"
			      /* the legend starts at the plot: a left margin no wider
			       * than the tick labels and the y label need */
			      "set lmargin at screen %.4f\nset ylabel offset 1,0\n",
			   fig_font_units(f, fmin(f->font_pt, 7)), f->font_pt * 5.4 / 72 / f->width_in);
	for (int i = 0; i < ncurves; i++) {
		fig_printf(f, "$C%d << EOD\n", i);
		for (int d = 0; d < c[i].n; d++)
			if (c[i].median[d] > 0 && isfinite(c[i].median[d]))
				fig_printf(f, "%d %.9g %.9g %.9g\n", d, c[i].median[d],
					   c[i].p10[d] > 0 ? c[i].p10[d] : c[i].median[d] * 1e-3,
					   c[i].p90[d]);
		fig_printf(f, "EOD\n");
	}
	/* overlapping bands blend to grey: the more curves, the lighter each
	 * band, none past four (7 gates at any alpha make a grey mass); the
	 * edges are drawn thin in the curve's colour, so each band is traced */
	double alpha = ncurves <= 2 ? 0.2 : 0.1;
	fig_printf(f, "plot ");
	for (int i = 0; i < ncurves; i++) {
		const char *col = palette[i % NPALETTE];
		int dt = 1 + (int)(i / NPALETTE) % 5; /* past ten colours, dashes */
		if (i)
			fig_printf(f, ", ");
		if (ncurves <= 4)
			fig_printf(f, "$C%d using 1:3:4 with filledcurves fs transparent solid %.2f "
				      "noborder lc rgb \"%s\" notitle, ", i, alpha, col);
		fig_printf(f, "$C%d using 1:3 with lines lw 0.6 dt %d lc rgb \"%s\" notitle, "
			      "$C%d using 1:4 with lines lw 0.6 dt %d lc rgb \"%s\" notitle, ",
			   i, dt, col, i, dt, col);
		fig_printf(f, "$C%d using 1:2 with linespoints pt 7 ps 0.6 lw 1.5 dt %d "
			      "lc rgb \"%s\" title ", i, dt, col);
		fig_quote(f, c[i].label);
	}
	fig_printf(f, "\n");
}

/* A tick step for integers 0..top: 1, 2 or 5 times a power of ten, with
 * at most most steps, never below 1. */
static int integer_step(double top, int most)
{
	for (int p = 1;; p *= 10)
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3)
			if (top / (m * p) <= most || p > 100000000)
				return m * p;
}

void view_k(struct figure *f, const struct k_series *k)
{
	double top = 1;
	for (int64_t i = 0; i < k->n; i++)
		top = fmax(top, fmax(k->k_exact[i], k->k_bound[i]));
	int step = integer_step(top, fig_max_yticks(f));
	title_line(f);
	/* k counts steps: integer ticks; the key below the plot, where no
	 * line runs (k = 1 for a whole run lies along the top otherwise) */
	fig_printf(f, "set xlabel \"training batch\"\nset ylabel \"k, eps = %g\" "
		      "noenhanced\n", k->eps);
	if (k->n)
		fig_xtics(f, 0, k->x[k->n - 1]);
	fig_printf(f, 
		      "set grid lc rgb \"#e0e0e0\"\nset border 3\nset tics nomirror\n"
		      "set ytics 0, %d\nset mytics 1\nset format y \"%%.0f\"\n"
		      "set yrange [0:%d]\n", step, ((int)ceil(top) / step + 1) * step);
	fig_printf(f, "set key outside below left Left reverse horizontal samplen 2 height 1.5\n");
	fig_printf(f, "$K << EOD\n");
	for (int64_t i = 0; i < k->n; i++)
		fig_printf(f, "%.9g %.9g %.9g\n", k->x[i], k->k_exact[i], k->k_bound[i]);
	fig_printf(f, "EOD\n");
	const char *style = k->binned ? "lines lw 1.5" : "steps lw 1.5";
	fig_printf(f, "plot $K using 1:2 with %s lc rgb \"#08519c\" title \"k exact (from E)%s\", "
		      "$K using 1:3 with %s dt 2 lc rgb \"#a50f15\" title \"k bound (from g)%s\"\n",
		   style, k->binned ? ", bin mean" : "", style, k->binned ? ", bin mean" : "");
}

void view_heatmap(struct figure *f, const float *g, int n, int64_t batch)
{
	title_line(f);
	fig_printf(f, "set xlabel \"step j\"\nset ylabel \"loss t\"\nset yrange [%d.5:-0.5]\n"
		      "set xrange [-0.5:%d.5]\nset cblabel \"log_{10} g[t,j]\"\n"
		      "set palette defined (0 \"#e3eef9\", 1 \"#9ecae1\", 2 \"#08306b\")\n"
		      "set tics out nomirror\nunset key\nset size ratio -1\n", n - 1, n - 1);
	/* the note stands on the frame, in a top margin made for it */
	fig_printf(f, "set tmargin %s\n", f->title ? "4" : "2.5");
	fig_printf(f, "set label 990 \"batch %lld; blank: g = 0\" at graph 0, graph 1 left "
		      "offset 0,0.8\n",
		   (long long)batch);
	fig_printf(f, "$M << EOD\n");
	for (int t = 0; t < n; t++) {
		for (int j = 0; j < n; j++) {
			float v = g[(size_t)t * n + j];
			if (v > 0)
				fig_printf(f, "%s%.9g", j ? " " : "", log10((double)v));
			else
				fig_printf(f, "%sNaN", j ? " " : "");
		}
		fig_printf(f, "\n");
	}
	fig_printf(f, "EOD\n");
	/* SVG: small matrices as pixels (rectangles), which browsers draw
	 * crisp; `with image` embeds a bitmap they smooth when scaling */
	const char *image = f->fmt == FIG_SVG && n <= 64 ? "image pixels" : "image";
	if (f->fmt == FIG_SVG)
		/* hover points on the cells that hold a value (j <= t): a blank
		 * cell's y is NaN, which gnuplot skips; the points themselves
		 * are transparent (gnuplot's alpha: ff = clear) */
		fig_printf(f, "plot $M matrix with %s, $M matrix using 1:($3 == $3 ? $2 : NaN):"
			      "(sprintf(\"batch %lld, t=%%d, j=%%d: log10 g = %%.3g\", $2, $1, $3)) "
			      "with labels hypertext point pt 5 ps 0.5 lc rgb \"#ff000000\"\n", image,
			   (long long)batch);
	else
		fig_printf(f, "plot $M matrix with image\n");
}

/* The characters of the widest of gnuplot's "%g" labels for ticks every
 * step from lo to hi, the range widened to whole steps as autoscaling does. */
static int widest_ticks(double lo, double hi, double step)
{
	char buf[32];
	int most = 1;
	if (!(step > 0) || !(hi >= lo))
		return most;
	double first = floor(lo / step), last = ceil(hi / step);
	for (double k = first; k <= last && k - first < 100; k++) {
		int len = snprintf(buf, sizeof(buf), "%g", k * step + 0.0);
		most = len > most ? len : most;
	}
	return most;
}

/* The same for a log axis, ticked at whole decades around lo..hi (> 0). */
static int widest_log_ticks(double lo, double hi)
{
	char buf[32];
	int a = snprintf(buf, sizeof(buf), "%g", pow(10, floor(log10(lo))));
	int b = snprintf(buf, sizeof(buf), "%g", pow(10, ceil(log10(hi))));
	return a > b ? a : b;
}

void view_loss(struct figure *f, const struct loss_series *l)
{
	fig_printf(f, "$T << EOD\n");
	for (int64_t i = 0; i < l->n; i++)
		fig_printf(f, "%.9g %.9g %.9g\n", l->x[i], l->loss[i], l->grad_norm[i]);
	fig_printf(f, "EOD\n");
	if (l->vn) {
		fig_printf(f, "$V << EOD\n");
		for (int64_t i = 0; i < l->vn; i++)
			fig_printf(f, "%.9g %.9g\n", l->vx[i], l->vloss[i]);
		fig_printf(f, "EOD\n");
	}
	if (l->n)
		fig_xtics(f, 0, l->x[l->n - 1]);
	/* margins from the font: tick labels and a y label on the left, the
	 * x labels below, the title above */
	const double line = f->font_pt * 1.3 / 72 / f->height_in;
	const double em_x = f->font_pt / 72 / f->width_in;
	const int narrow = f->width_in < 5;
	double lo = INFINITY, hi = -INFINITY;
	for (int64_t i = 0; i < l->n; i++)
		if (isfinite(l->loss[i])) {
			lo = fmin(lo, l->loss[i]);
			hi = fmax(hi, l->loss[i]);
		}
	for (int64_t i = 0; i < l->vn; i++)
		if (isfinite(l->vloss[i])) {
			lo = fmin(lo, l->vloss[i]);
			hi = fmax(hi, l->vloss[i]);
		}
	/* the left margin holds the widest tick label of either panel and
	 * the y label beside it: 6.5 em held up to three characters, and a
	 * gradient norm of thousands pushed its label off the figure */
	double step = 0, nlo = INFINITY, nhi = 0;
	if (hi > lo) { /* as many loss ticks as half the height holds */
		double raw = (hi - lo) / (fig_max_yticks(f) / 2.0 + 0.5), p = pow(10, floor(log10(raw)));
		step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
	}
	for (int64_t i = 0; i < l->n; i++)
		if (isfinite(l->grad_norm[i]) && l->grad_norm[i] > 0) {
			nlo = fmin(nlo, l->grad_norm[i]);
			nhi = fmax(nhi, l->grad_norm[i]);
		}
	int chars = widest_ticks(lo, hi, step);
	if (nhi > 0)
		chars = fmax(chars, widest_log_ticks(nlo, nhi));
	const double lmargin = em_x * (6.5 + 0.9 * fmax(0, chars - 3));
	const double top = 1 - line * (f->title ? 2 : 0.6), bottom = line * 3.6;
	fig_printf(f, "set multiplot layout 2,1 margins %.4f,%.4f,%.4f,%.4f spacing 0,%.4f\n",
		   lmargin, 1 - em_x * 2, bottom, top, line);
	/* a y label runs along its panel, a line past it at most (about 0.65
	 * em a character): the long forms ran off the top and into each
	 * other on the 7 x 4.2 in PDF, so a short panel takes the short ones */
	const double along = ((top - bottom - line) / 2 + line) * f->height_in * 72 /
			     (0.65 * f->font_pt);
	const int short_loss = narrow || strlen(l->binned ? "loss (nats/step), bin mean" :
						       "loss (nats/step)") > along;
	const int short_norm = narrow || strlen("gradient norm before clipping") > along;
	if (f->title) {
		fig_printf(f, "set label 999 ");
		fig_quote(f, f->title);
		fig_printf(f, " at screen 0.5, screen %.4f center noenhanced\n", 1 - line);
	}
	fig_printf(f, "set grid lc rgb \"#e0e0e0\"\nset border 3\nset tics nomirror\nunset key\n"
		      "set format x \"\"\nset ylabel \"loss%s%s\"\n", short_loss ? "" : " (nats/step)",
		   l->binned ? ", bin mean" : "");
	if (step > 0)
		fig_printf(f, "set ytics %.9g\n", step);
	/* a panel with nothing to draw on its axis (no finite loss; no
	 * positive gradient norm, as a run written by a trainer that does
	 * not give one holds) gets a fixed range: gnuplot refuses to
	 * autoscale an axis without a point */
	int positive_norm = 0;
	for (int64_t i = 0; i < l->n && !positive_norm; i++)
		positive_norm = isfinite(l->grad_norm[i]) && l->grad_norm[i] > 0;
	if (!(hi >= lo))
		fig_printf(f, "set yrange [0:1]\n");
	if (l->vn) /* the held-out loss: points and a line, its own key */
		fig_printf(f, "set key top right\nplot $T using 1:2 with lines lc rgb \"#08519c\" "
			      "title \"training\", $V using 1:2 with linespoints pt 7 ps 0.5 "
			      "lc rgb \"#e6550d\" title \"held-out\"\nunset key\nunset label 999\n");
	else
		fig_printf(f, "plot $T using 1:2 with lines lc rgb \"#08519c\"\nunset label 999\n");
	fig_printf(f, "set format x \"%%g\"\nset xlabel \"training batch\"\n"
		      "set ylabel \"%s\"\n%s\nset ytics autofreq\n",
		   short_norm ? "gradient norm" : "gradient norm before clipping",
		   positive_norm ? "set logscale y\nset autoscale y" : "set yrange [0:1]");
	fig_printf(f, "plot $T using 1:3 with lines lc rgb \"#a50f15\"\nunset multiplot\n");
}
