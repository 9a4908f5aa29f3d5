/*
 * diagview.c - plot diagnose: stacked panels over training (see
 * diagview.h). One multiplot, margins from the font as in plot loss, the
 * x tick labels on the bottom panel only.
 */
#include "diagview.h"

#include <math.h>

static const char *const palette[] = { "#08519c", "#a50f15", "#006d2c", "#d94801",
				       "#54278f" };

/* Whether any of the n values is finite (and positive, for a log axis). */
static int any_value(const double *v, int64_t n, int positive)
{
	for (int64_t i = 0; v && i < n; i++)
		if (isfinite(v[i]) && (!positive || v[i] > 0))
			return 1;
	return 0;
}

/* "NaN" for gnuplot to skip, else the value. */
static void put(struct figure *f, double v)
{
	if (isfinite(v))
		fig_printf(f, " %.9g", v);
	else
		fig_printf(f, " NaN");
}

/* A tick step of 1, 2 or 5 times a power of ten that puts at most `most`
 * steps on 0..top: a panel is a fifth of the figure, and gnuplot's own
 * choice crowds it. */
static double nice_step(double top, int most)
{
	double raw = top / most, p = pow(10, floor(log10(raw)));
	return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

static void panel_head(struct figure *f, const char *ylabel, int last)
{
	fig_printf(f, "set ylabel \"%s\" noenhanced\n", ylabel);
	if (last)
		fig_printf(f, "set format x \"%%g\"\nset xlabel \"training batch\"\n");
}

void view_diagnose(struct figure *f, const struct diag_series *s)
{
	const int panels = 4 + (s->relu != 0);
	const double line = f->font_pt * 1.3 / 72 / f->height_in;
	const double em_x = f->font_pt / 72 / f->width_in;
	int p = 0;

	/* the records: x, sat per act, dead, rho and sigma per block, lambda, k */
	fig_printf(f, "$R << EOD\n");
	for (int64_t i = 0; i < s->nr; i++) {
		fig_printf(f, "%.9g", s->x[i]);
		for (int a = 0; a < s->nacts; a++)
			put(f, s->sat[a][i]);
		put(f, s->relu ? s->dead_share[i] : NAN);
		for (int q = 0; q < s->nblocks; q++) {
			put(f, s->rho[q][i]);
			put(f, s->sigma[q][i]);
		}
		put(f, s->lambda[i]);
		put(f, s->k[i]);
		fig_printf(f, "\n");
	}
	fig_printf(f, "EOD\n$B << EOD\n");
	for (int64_t i = 0; i < s->nb; i++) {
		fig_printf(f, "%.9g", s->bx[i]);
		put(f, s->clip[i]);
		fig_printf(f, "\n");
	}
	fig_printf(f, "EOD\n");
	const int c_dead = 2 + s->nacts, c_block = c_dead + 1;
	const int c_lambda = c_block + 2 * s->nblocks, c_k = c_lambda + 1;
	double xmax = s->nr ? s->x[s->nr - 1] : 1;
	if (s->nb && s->bx[s->nb - 1] > xmax)
		xmax = s->bx[s->nb - 1];
	fig_xtics(f, 0, xmax);

	/* on a screen the key of each panel sits right of it, outside the
	 * lines; in a paper's column there is no room: inside, in a row, on
	 * a white box, in 7 pt at most */
	const int narrow = f->width_in < 5;
	fig_printf(f, "set multiplot layout %d,1 margins %.4f,%.4f,%.4f,%.4f spacing 0,%.4f\n",
		   panels, em_x * (narrow ? 7 : 9), 1 - em_x * (narrow ? 1.5 : 11), line * 3.4,
		   1 - line * (f->title ? 2 : 0.6), line * 1.2);
	if (f->title) {
		fig_printf(f, "set label 999 ");
		fig_quote(f, f->title);
		fig_printf(f, " at screen 0.5, screen %.4f center noenhanced\n", 1 - line);
	}
	fig_printf(f, "set grid lc rgb \"#e0e0e0\"\nset border 3\nset tics nomirror\n");
	if (narrow)
		fig_printf(f, "set key inside top left horizontal Left reverse opaque noenhanced "
			      "samplen 1 width -1 font \",%.4g\"\n", fig_font_units(f, fmin(f->font_pt, 7)));
	else
		fig_printf(f, "set key outside right top Left reverse noenhanced samplen 1.5\n");
	fig_printf(f, "set format x \"\"\nunset xlabel\nset xrange [0:%.9g]\nset ytics 0.5\n"
		      "set yrange [-0.04:1.02]\n", xmax); /* a line at 0 clear of the axis */
	const char *style = s->binned ? "lines" : "linespoints pt 7 ps 0.4";

	/* saturation, one line per activation */
	panel_head(f, "saturated share", ++p == panels);
	fig_printf(f, "plot ");
	for (int a = 0; a < s->nacts; a++)
		fig_printf(f, "%s$R using 1:%d with %s lw 1.5 lc rgb \"%s\" title \"%s\"",
			   a ? ", " : "", 2 + a, style, palette[a % 5], s->act_names[a]);
	fig_printf(f, "\nunset label 999\n");

	if (s->relu) {
		panel_head(f, "dead units (share)", ++p == panels);
		fig_printf(f, "plot $R using 1:%d with %s lw 1.5 lc rgb \"#252525\" title "
			      "\"dead\"\n", c_dead, style);
	}

	/* the spectrum: log y, the line 1 where gradient neither grows nor
	 * shrinks */
	panel_head(f, "W_hh spectrum", ++p == panels);
	int spectrum = 0;
	for (int q = 0; q < s->nblocks; q++)
		spectrum |= any_value(s->rho[q], s->nr, 1) | any_value(s->sigma[q], s->nr, 1);
	spectrum |= any_value(s->lambda, s->nr, 1);
	fig_printf(f, "set logscale y\nset ytics autofreq\nset format y \"%%g\"\n%s\n",
		   spectrum ? "set autoscale y" : "set yrange [0.1:10]");
	if (narrow) /* the values of a trained W_hh lie above 1: the key below */
		fig_printf(f, "set key bottom right\n");
	/* a gate's colour is its colour in the saturation panel; the key
	 * says which line style is which value, not each gate again */
	fig_printf(f, "plot 1 with lines dt 2 lc rgb \"#737373\" title \"1\"");
	for (int q = 0; q < s->nblocks; q++) {
		const char *col = s->nblocks > 1 ? palette[q % 5] : palette[0];
		fig_printf(f, ", $R using 1:%d with %s lw 1.5 lc rgb \"%s\" notitle",
			   c_block + 2 * q + 1, style, col);
		fig_printf(f, ", $R using 1:%d with lines dt 3 lw 1.5 lc rgb \"%s\" notitle",
			   c_block + 2 * q, col);
	}
	const char *key_col = s->nblocks > 1 ? "#969696" : palette[0];
	fig_printf(f, ", NaN with lines lw 1.5 lc rgb \"%s\" title \"sigma_max\", NaN with "
		      "lines dt 3 lw 1.5 lc rgb \"%s\" title \"rho\"", key_col, key_col);
	fig_printf(f, ", $R using 1:%d with lines lw 2 lc rgb \"#252525\" title \"lambda\"\n",
		   c_lambda);
	fig_printf(f, "unset logscale y\nset format y \"%%g\"\n%s", narrow ? "set key top left\n" : "");

	/* clipping, per training batch */
	panel_head(f, "clip share", ++p == panels);
	double cmax = 0;
	for (int64_t i = 0; i < s->nb; i++)
		if (isfinite(s->clip[i]) && s->clip[i] > cmax)
			cmax = s->clip[i];
	double ctop = cmax > 0 ? cmax * 1.1 : 1;
	fig_printf(f, "set yrange [%.9g:%.9g]\nset ytics 0, %.9g\n", -0.04 * ctop, ctop,
		   nice_step(ctop, 3));
	fig_printf(f, "plot $B using 1:2 with lines lw 1.2 lc rgb \"#a50f15\" title "
		      "\"clipped%s\"\n", s->binned_b ? ", bin mean" : "");

	/* k */
	double kmax = 1;
	for (int64_t i = 0; i < s->nr; i++)
		if (isfinite(s->k[i]) && s->k[i] > kmax)
			kmax = s->k[i];
	panel_head(f, "k", ++p == panels);
	double ktop = ceil(kmax * 1.15);
	fig_printf(f, "set yrange [%.9g:%.9g]\nset ytics 0, %.9g\n", -0.04 * ktop, ktop,
		   fmax(1, nice_step(ktop, 3)));
	fig_printf(f, "plot $R using 1:%d with %s lw 1.5 lc rgb \"#08519c\" title "
		      "\"k exact, eps %g\"\nunset multiplot\n", c_k, s->binned ? "lines" : "steps",
		   s->eps);
}
