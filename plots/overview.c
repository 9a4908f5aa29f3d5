/*
 * overview.c - the paper's area 1: max gradient per recorded batch.
 */
#include "views.h"

#include <math.h>

void view_overview(struct figure *f, const struct overview *o)
{
	if (f->title) {
		fig_printf(f, "set title ");
		fig_quote(f, f->title);
		fig_printf(f, " noenhanced\n");
	}
	fig_printf(f, "set xlabel \"training batch\"\nset ylabel \"max gradient (max_j bar[j])\"\n"
		      "set grid ytics lc rgb \"#e0e0e0\"\nset border 3\nset tics nomirror\n"
		      "set key at graph 1, graph 1 right bottom horizontal samplen 2\n");
	/* the key stands on the frame, under the title: bars reach the top */
	if (!o->framed)
		fig_printf(f, "set tmargin %s\n", f->title ? "4" : "2.5");
	/* log: one run's gradient can fall from 1 to 1e-9, a flat line on a
	 * linear axis; the boxes then stand on the bottom of the frame */
	if (o->log)
		fig_printf(f, "set logscale y\nset format y \"10^{%%L}\"\n"
			      "set yrange [%.9g:%.9g]\n", o->ymin, o->ymax);
	else
		fig_printf(f, "set format y \"%%g\"\nset yrange [0:%.9g]\n", o->ymax);
	fig_xtics(f, o->xmin, o->xmax);
	if (o->framed) /* cmd/plot.h FRAME_*: a page lays links over the bars */
		fig_printf(f, "set lmargin at screen 0.08\nset rmargin at screen 0.97\n"
			      "set bmargin at screen 0.12\nset tmargin at screen 0.90\n"
			      "set xrange [%.9g:%.9g]\n", o->xmin, o->xmax);
	fig_printf(f, "$D << EOD\n");
	for (int64_t i = 0; i < o->n; i++) {
		if (o->binned)
			fig_printf(f, "%.9g %.9g %.9g %.9g\n", o->x[i], o->lo[i], o->y[i], o->hi[i]);
		else
			fig_printf(f, "%.9g %.9g %d\n", o->x[i], o->y[i], o->step[i]);
	}
	fig_printf(f, "EOD\n");
	if (o->has_mark)
		fig_printf(f, "$M << EOD\n%.9g %.9g\nEOD\n", o->mark_x, o->mark_y);

	if (o->binned) {
		fig_printf(f, "plot $D using 1:2:4 with filledcurves lc rgb \"#9ecae1\" "
			      "title \"min-max of %lld records per bin\", "
			      "'' using 1:3 with lines lw 1.5 lc rgb \"#08519c\" title \"median\"",
			   (long long)((o->records + o->n - 1) / o->n));
	} else {
		/* bars: boxes as wide as the spacing between records */
		double w = o->n > 1 ? (o->x[o->n - 1] - o->x[0]) / (double)(o->n - 1) * 0.8 : 1.0;
		fig_printf(f, "set boxwidth %.9g absolute\nset style fill solid 1.0 noborder\n", w);
		if (o->n && !o->framed)
			fig_printf(f, "set xrange [%.9g:%.9g]\n", o->x[0] - w, o->x[o->n - 1] + w);
		fig_printf(f, "plot $D using 1:2 with boxes lc rgb \"#3182bd\" title \"max gradient\"");
		if (f->fmt == FIG_SVG)
			fig_printf(f, ", '' using 1:2:(sprintf(\"batch %%d: max gradient %%.3g "
				      "at step %%d\", $1, $2, $3)) with labels hypertext point pt 7 "
				      "ps 0.4 lc rgb \"#3182bd\" notitle");
	}
	if (o->has_mark)
		fig_printf(f, ", $M using 1:2 with impulses lw 2 lc rgb \"#de2d26\" "
			      "title \"batch %lld\", '' using 1:2 with points pt 7 lc rgb \"#de2d26\" "
			      "notitle", (long long)llround(o->mark_x));
	fig_printf(f, "\n");
}
