/*
 * trace.c - gradient tracing's paths of one batch on the unrolled grid:
 * steps across, per layer the gates' pre-activations, c and h upward, then
 * the logits and the loss; each edge drawn as thick as the number of paths
 * along it, and where the paths start (the parameter's uses) as dots.
 */
#include "views.h"

#include <math.h>

#define WIDTH_CLASSES 8

void view_trace(struct figure *f, const struct trace_view *v)
{
	int64_t most = 1, most_start = 1;
	for (int e = 0; e < v->nedges; e++)
		most = v->count[e] > most ? v->count[e] : most;
	for (int s = 0; s < v->nstarts; s++)
		most_start = v->scount[s] > most_start ? v->scount[s] : most_start;
	if (f->title) {
		fig_printf(f, "set title ");
		fig_quote(f, f->title);
		fig_printf(f, " noenhanced\n");
	}
	fig_printf(f, "unset key\nset border 3\nset tics nomirror\n"
		      "set xrange [-0.5:%d.5]\nset yrange [-0.5:%d.5]\n"
		      "set grid xtics ytics lc rgb \"#eeeeee\"\n",
		   v->n - 1, v->rows - 1);
	if (v->n <= 40) /* whole steps: fig_xtics would halve a short axis */
		fig_printf(f, "set xtics 1\n");
	else
		fig_xtics(f, 0, v->n - 1);
	fig_printf(f, "set ytics noenhanced (");
	for (int r = 0; r < v->rows; r++) {
		fig_printf(f, "%s", r ? ", " : "");
		fig_quote(f, v->row_names[r]);
		fig_printf(f, " %d", r);
	}
	fig_printf(f, ")\n");
	/* what is drawn, in the x axis's label (a column has room for less) */
	if (f->width_in < 5)
		fig_printf(f, "set xlabel \"step t (%lld paths)\"\n", (long long)v->paths);
	else
		fig_printf(f, "set xlabel \"step t   (%lld paths of %s, batch %lld; line width ~ "
			      "sqrt(paths); dots: where they start)\" noenhanced\n",
			   (long long)v->paths, v->param, (long long)v->batch);
	/* edges by width class, so a few line widths serve any count */
	for (int k = 1; k <= WIDTH_CLASSES; k++) {
		fig_printf(f, "$E%d << EOD\n", k);
		for (int e = 0; e < v->nedges; e++) {
			int cls = (int)ceil(WIDTH_CLASSES * sqrt((double)v->count[e] / most));
			if (cls == k)
				fig_printf(f, "%d %d %d %d\n", v->t0[e], v->r0[e], v->t1[e] - v->t0[e],
					   v->r1[e] - v->r0[e]);
		}
		fig_printf(f, "0 0 0 0\nEOD\n"); /* never empty: gnuplot refuses an empty block */
	}
	fig_printf(f, "$S << EOD\n");
	for (int s = 0; s < v->nstarts; s++)
		fig_printf(f, "%d %d %.4f\n", v->st[s], v->sr[s],
			   0.4 + 1.6 * sqrt((double)v->scount[s] / most_start));
	fig_printf(f, "EOD\nplot ");
	for (int k = 1; k <= WIDTH_CLASSES; k++)
		fig_printf(f, "$E%d using 1:2:3:4 with vectors nohead lw %.2f lc rgb \"#08519c\", ",
			   k, 0.6 * k);
	fig_printf(f, "$S using 1:2:3 with points pt 7 ps variable lc rgb \"#a50f15\"\n");
}
