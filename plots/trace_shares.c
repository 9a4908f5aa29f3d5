/*
 * trace_shares.c - gradient tracing over training: the share of each
 * record's traced paths that go through each component, one line a
 * component against the training batch (the shares overlap, a path
 * taking several components, so they are lines, not a stack). A point
 * per record and, in SVG, its numbers as hover text.
 */
#include "views.h"

/* as curves.c's: an LSTM has eight components, two layers of one fifteen */
static const char *const palette[] = { "#08519c", "#a50f15", "#006d2c", "#54278f",
				       "#d94801", "#252525", "#3690c0", "#c51b7d",
				       "#8c6d31", "#66a61e" };
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

void view_trace_shares(struct figure *f, const struct trace_shares_view *v)
{
	const int narrow = f->width_in < 5;
	if (f->title) {
		fig_printf(f, "set title ");
		fig_quote(f, f->title);
		fig_printf(f, " noenhanced\n");
	}
	fig_printf(f, "set xlabel \"training batch\"\nset ylabel \"share of traced paths\"\n"
		      "set yrange [0:1.02]\nset ytics 0, 0.2\nset grid lc rgb \"#e0e0e0\"\n"
		      "set border 3\nset tics nomirror\n"
		      "set key outside below left Left reverse horizontal noenhanced samplen 2 "
		      "height 1.5 maxcols %d\n", narrow ? 2 : 4);
	fig_grow(f, (v->ncomp + (narrow ? 1 : 3)) / (narrow ? 2 : 4) - 1);
	if (v->nrec)
		fig_xtics(f, v->batch[0], v->batch[v->nrec - 1]);
	if (v->nrec == 1) /* gnuplot refuses an empty x range */
		fig_printf(f, "set xrange [%lld:%lld]\n", (long long)v->batch[0] - 1,
			   (long long)v->batch[0] + 1);
	if (!narrow)
		fig_printf(f, "set label 990 \"%lld paths of %s a record\" at graph 0, graph 1 "
			      "left offset 0,0.8 noenhanced\n", (long long)v->paths, v->param);
	/* one block: batch, then the components' shares in their order */
	fig_printf(f, "$S << EOD\n");
	for (int64_t r = 0; r < v->nrec; r++) {
		fig_printf(f, "%lld", (long long)v->batch[r]);
		for (int c = 0; c < v->ncomp; c++)
			fig_printf(f, " %.9g", v->share[(size_t)c * v->nrec + r]);
		fig_printf(f, "\n");
	}
	fig_printf(f, "EOD\nplot ");
	const char *style = v->nrec <= 60 ? "linespoints pt 7 ps 0.5" : "lines";
	for (int c = 0; c < v->ncomp; c++) {
		const char *col = palette[c % NPALETTE];
		int dt = 1 + (int)(c / NPALETTE) % 5; /* past ten colours, dashes */
		fig_printf(f, "%s$S using 1:%d with %s lw 1.5 dt %d lc rgb \"%s\" title ",
			   c ? ", " : "", c + 2, style, dt, col);
		fig_quote(f, v->names[c]);
		if (f->fmt == FIG_SVG) {
			fig_printf(f, ", $S using 1:%d:(sprintf(\"batch %%d: %%s %%.4g\", $1, ", c + 2);
			fig_quote(f, v->names[c]);
			fig_printf(f, ", $%d)) with labels hypertext point pt 7 ps 0.3 "
				      "lc rgb \"%s\" notitle", c + 2, col);
		}
	}
	fig_printf(f, "\n");
}
