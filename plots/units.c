/*
 * units.c - per-unit views of one record: its units' gradient flow by lag
 * (plot units) and its hidden states under the batch's text (plot hidden,
 * LSTMVis's pattern view, static). Both are images, one row per unit.
 */
#include "views.h"
#include "toklabel.h"

#include <math.h>

static void title_line(struct figure *f)
{
	if (f->title) {
		fig_printf(f, "set title ");
		fig_quote(f, f->title);
		fig_printf(f, " noenhanced\n");
	}
}

/* y tics: every unit's number when they fit (a row per line of text at
 * most), else none: the rows are a ranking, the hover text names them. */
static void unit_tics(struct figure *f, const int *unit, int H)
{
	double rows_fit = f->height_in * 0.75 * 72 / (f->font_pt * 1.2);
	if (H > rows_fit) {
		fig_printf(f, "unset ytics\n");
		return;
	}
	fig_printf(f, "set ytics (");
	for (int i = 0; i < H; i++)
		fig_printf(f, "%s\"%d\" %d", i ? ", " : "", unit[i], i);
	fig_printf(f, ") scale 0\n");
}

void view_units(struct figure *f, const struct units_view *v)
{
	const int n = v->n, H = v->H;
	const double floor_log = log10(v->eps) - 3;
	title_line(f);
	fig_printf(f, "$M << EOD\n");
	for (int i = 0; i < H; i++) { /* row i: the unit ranked i-th */
		int u = v->unit[i];
		double f0 = v->flow[u];
		for (int d = 0; d < n; d++) {
			double x = v->flow[(size_t)d * H + u];
			if (f0 > 0 && x > 0 && isfinite(x / f0))
				fig_printf(f, "%s%.6g", d ? " " : "", fmax(log10(x / f0), floor_log));
			else
				fig_printf(f, "%sNaN", d ? " " : "");
		}
		fig_printf(f, "\n");
	}
	fig_printf(f, "EOD\n");
	/* the reach of each unit as one staircase down the ranking: the left
	 * edge of lag reach (reach n: the right edge; no line past a NaN) */
	fig_printf(f, "$R << EOD\n");
	for (int i = 0; i < H; i++) {
		if (v->reach[i] < 0) {
			fig_printf(f, "\n");
			continue;
		}
		fig_printf(f, "%.1f %.1f\n%.1f %.1f\n", v->reach[i] - 0.5, i - 0.5,
			   v->reach[i] - 0.5, i + 0.5);
	}
	fig_printf(f, "EOD\n");
	fig_printf(f, "set xlabel \"lag d\"\nset ylabel \"unit, by reach (furthest at the top)\"\n"
		      "set xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\n"
		      "set cblabel \"log_{10} F[d,u] / F[0,u]\"\nset cbrange [%.6g:0]\n"
		      "set palette defined (0 \"#f7fbff\", 1 \"#9ecae1\", 2 \"#08306b\")\n"
		      "set tics out nomirror\n",
		   n - 1, H - 1, floor_log);
	unit_tics(f, v->unit, H);
	fig_printf(f, "set tmargin %s\n", f->title ? "4" : "2.5");
	/* the note stands on the frame; a column has room for its start only */
	fig_printf(f, "set label 990 \"batch %lld, layer %d", (long long)v->batch, v->layer);
	if (f->width_in >= 5)
		fig_printf(f, "; line: reach at eps = %g; dashed: k_exact = %d; blank: no flow",
			   v->eps, v->k);
	else
		fig_printf(f, "; k_exact = %d", v->k);
	fig_printf(f, "\" at graph 0, graph 1 left offset 0,0.8 noenhanced\n");
	if (v->k >= 0 && v->k < n - 1)
		fig_printf(f, "set arrow 991 from %.1f, graph 0 to %.1f, graph 1 nohead dt 2 "
			      "lc rgb \"#cb181d\" lw 1.5 front\n", v->k + 0.5, v->k + 0.5);
	fig_printf(f, "set key off\n");
	/* SVG of a small record: cells as pixels, and hover text on transparent
	 * points naming the unit (from U, the ranking as words) */
	const int hover = f->fmt == FIG_SVG && (size_t)n * H <= 4096; /* as plot heatmap: 64 x 64 */
	if (hover) {
		fig_printf(f, "U = \"");
		for (int i = 0; i < H; i++)
			fig_printf(f, "%s%d", i ? " " : "", v->unit[i]);
		fig_printf(f, "\"\n");
	}
	fig_printf(f, "plot $M matrix with %s, $R with lines lc rgb \"#000000\" lw 1.5",
		   hover ? "image pixels" : "image");
	if (hover)
		fig_printf(f, ", $M matrix using 1:($3 == $3 ? $2 : NaN):(sprintf(\"unit %%s, lag "
			      "%%d: log10 F/F0 = %%.3g\", word(U, int($2) + 1), int($1), $3)) with "
			      "labels hypertext point pt 5 ps 0.5 lc rgb \"#ff000000\"");
	fig_printf(f, "\n");
}

void view_hidden(struct figure *f, const struct hidden_view *v)
{
	const int n = v->n, H = v->H;
	double top = 0;
	for (size_t i = 0; i < (size_t)n * H; i++)
		if (isfinite(v->h[i]))
			top = fmax(top, fabs(v->h[i]));
	if (top == 0)
		top = 1;
	title_line(f);
	fig_printf(f, "$M << EOD\n");
	for (int u = 0; u < H; u++) { /* row u: unit u over the steps */
		for (int t = 0; t < n; t++)
			fig_printf(f, "%s%.6g", t ? " " : "", v->h[(size_t)t * H + u]);
		fig_printf(f, "\n");
	}
	fig_printf(f, "EOD\n");
	fig_printf(f, "set ylabel \"unit\"\nset xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\n"
		      "set cblabel \"h_t\"\nset cbrange [%.6g:%.6g]\n"
		      "set palette defined (0 \"#2166ac\", 1 \"#f7f7f7\", 2 \"#b2182b\")\n"
		      "set tics out nomirror\nunset xtics\nset key off\n",
		   n - 1, H - 1, -top, top);
	/* the text under the image: one glyph per step, every step when they
	 * fit on the width, else every k-th */
	double fit = f->width_in * 0.8 * 72 / (f->font_pt * 0.9);
	/* tokens: labels of up to TOK_GLYPHS code points, as many as fit with
	 * a space between */
	enum { TOK_GLYPHS = 8 };
	char buf[4 * TOK_GLYPHS + 1];
	size_t wide = 1, glyphs;
	for (int t = 0; v->tokens && t < n; t++) {
		tok_label(v->tokens[t], TOK_GLYPHS, buf, sizeof(buf), &glyphs);
		wide = glyphs > wide ? glyphs : wide;
	}
	double per = v->tokens && wide > 1 ? (double)wide + 1 : 1;
	int every = n * per <= fit ? 1 : (int)ceil(n * per / fit);
	for (int t = 0; t < n; t += every) {
		fig_printf(f, "set label %d ", t + 1);
		fig_quote(f, v->tokens ? tok_label(v->tokens[t], TOK_GLYPHS, buf, sizeof(buf), &glyphs) :
			  fig_glyph(v->text[t], buf));
		fig_printf(f, " at %d, graph 0 center offset 0,-0.9 noenhanced\n", t);
	}
	fig_printf(f, "set xlabel \"input x_t, steps 0..%d", n - 1);
	if (every > 1)
		fig_printf(f, " (every %d-th shown)", every);
	fig_printf(f, "\" offset 0,-1.2 noenhanced\n");
	fig_printf(f, "set bmargin 5\nset tmargin %s\n", f->title ? "4" : "2.5");
	fig_printf(f, "set label 990 \"batch %lld, layer %d: h_t (%s)\" at graph 0, graph 1 left "
		      "offset 0,0.8 noenhanced\n", (long long)v->batch, v->layer, v->what);
	if (H <= f->height_in * 0.75 * 72 / (f->font_pt * 1.2))
		fig_printf(f, "set ytics 1\n");
	fig_printf(f, "plot $M matrix with image\n");
}
