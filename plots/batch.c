/*
 * batch.c - the paper's areas 2-4 for one recorded batch: labels (true over
 * predicted bytes), bars per step stacked by lag, and a loss's horizon.
 */
#include "views.h"

#include <stdio.h>

/* Layer colours from dark (own loss) to light (far lags). */
static void layer_colour(char buf[8], int layer, int layers)
{
	const int dark[3] = { 0x08, 0x30, 0x6b }, light[3] = { 0xde, 0xeb, 0xf7 };
	double s = layers > 1 ? (double)layer / (layers - 1) : 0;
	snprintf(buf, 8, "#%02x%02x%02x", (int)(dark[0] + s * (light[0] - dark[0])),
		 (int)(dark[1] + s * (light[1] - dark[1])), (int)(dark[2] + s * (light[2] - dark[2])));
}

static void labels_panel(struct figure *f, const struct batch_view *b)
{
	char buf[2];
	fig_printf(f, "unset key\nunset xtics\nunset border\nset ytics nomirror scale 0 "
		      "(\"true\" 1, \"predicted\" 0)\nset yrange [-0.6:1.6]\nset xrange [-0.5:%d.5]\n",
		   b->n - 1);
	fig_printf(f, "set label 990 \"batch %lld, corpus offset %lld\" at graph 0, graph 0.98 "
		      "left noenhanced\n", (long long)b->batch, (long long)b->position);
	for (int j = 0; j < b->n; j++) {
		int right = b->target[j] == b->predicted[j];
		fig_printf(f, "set label %d ", 2 * j + 1);
		fig_quote(f, fig_glyph(b->target[j], buf));
		fig_printf(f, " at %d,1 center noenhanced front\n", j);
		fig_printf(f, "set label %d ", 2 * j + 2);
		fig_quote(f, fig_glyph(b->predicted[j], buf));
		fig_printf(f, " at %d,0 center noenhanced front tc rgb \"%s\"\n", j,
			   right ? "#238b45" : "#cb181d");
	}
	fig_printf(f, "plot NaN notitle\nunset label\nunset ytics\nset border 3\n");
}

void view_batch(struct figure *f, const struct batch_view *b)
{
	const int n = b->n, layers = b->lags + 1;
	const int rows = b->loss >= 0 ? 3 : 2;
	char colour[8];

	fig_printf(f, "$B << EOD\n");
	for (int j = 0; j < n; j++) { /* one row per step: lags 0..K-1, rest */
		fig_printf(f, "%d", j);
		double rest = 0;
		for (int t = j; t < n; t++) {
			double v = b->g[(size_t)t * n + j];
			if (t - j < b->lags)
				continue;
			rest += v;
		}
		for (int d = 0; d < b->lags; d++)
			fig_printf(f, " %.9g", j + d < n ? b->g[(size_t)(j + d) * n + j] : 0.0);
		fig_printf(f, " %.9g", rest);
		/* the bytes, for hover text: quoted, with " shown as a double prime */
		char buf[2];
		const uint8_t bytes[2] = { b->target[j], b->predicted[j] };
		for (int k = 0; k < 2; k++)
			fig_printf(f, " \"%s\"", bytes[k] == '"' ? "\xe2\x80\xb3" : fig_glyph(bytes[k], buf));
		double bar = 0;
		for (int t = j; t < n; t++)
			bar += b->g[(size_t)t * n + j];
		fig_printf(f, " %.9g\n", bar);
	}
	fig_printf(f, "EOD\n");
	if (b->loss >= 0) {
		fig_printf(f, "$L << EOD\n");
		for (int j = 0; j <= b->loss; j++)
			fig_printf(f, "%d %.9g\n", j, b->g[(size_t)b->loss * n + j]);
		fig_printf(f, "EOD\n");
	}

	/* the right margin leaves room for the key of the bars */
	fig_printf(f, "set multiplot layout %d,1 margins 0.1,0.86,0.1,%s spacing 0,0.04\n", rows,
		   f->title ? "0.9" : "0.97");
	if (f->title) {
		fig_printf(f, "set label 999 ");
		fig_quote(f, f->title);
		fig_printf(f, " at screen 0.5, screen 0.96 center noenhanced\n");
	}
	fig_printf(f, "set size 1,0.18\n");
	labels_panel(f, b);
	fig_printf(f, "unset label 999\n");

	/* stacked bars by lag */
	fig_printf(f, "set size 1,%s\nset style data histograms\nset style histogram rowstacked\n"
		      "set style fill solid 1.0 border rgb \"#ffffff\"\nset boxwidth 0.8\n"
		      "set xrange [-0.5:%d.5]\nset yrange [0:*]\nset ylabel \"g summed over losses\"\n"
		      "set key outside right top title \"lag t-j\" box\nset grid ytics lc rgb "
		      "\"#e0e0e0\"\nset tics nomirror\nset format y \"%%g\"\nset border 3\n",
		   rows == 3 ? "0.45" : "0.75", n - 1);
	fig_printf(f, "set xtics 1 nomirror format \"\"\nset ytics nomirror\n");
	if (b->loss >= 0) /* the chosen loss: a dashed frame around its step */
		fig_printf(f, "set object 1 rect from %d.5-1, graph 0 to %d.5, graph 1 fs empty "
			      "border rgb \"#de2d26\" dt 2 lw 1.5 front\nset label 991 \"loss t = %d\" "
			      "at %d, graph 1.04 center tc rgb \"#de2d26\"\n",
			   b->loss, b->loss, b->loss, b->loss);
	if (rows == 2)
		fig_printf(f, "set xtics 1 nomirror format \"%%g\"\nset xlabel \"step j\"\n");
	fig_printf(f, "plot ");
	for (int layer = 0; layer < layers; layer++) {
		layer_colour(colour, layer, layers);
		if (layer)
			fig_printf(f, ", ");
		fig_printf(f, "$B using %d lc rgb \"%s\" title \"%s%d\"", layer + 2, colour,
			   layer < b->lags ? "" : ">=", layer < b->lags ? layer : b->lags);
	}
	if (f->fmt == FIG_SVG) /* hover: batch, step, bytes, values */
		fig_printf(f, ", $B using 1:%d:(sprintf(\"batch %lld, step %%d: true %%s, predicted %%s; "
			      "own loss %%.3g, bar %%.3g\", $1, strcol(%d), strcol(%d), $2, $%d)) with labels "
			      "hypertext point pt 7 ps 0.3 lc rgb \"#08306b\" notitle",
			   layers + 4, (long long)b->batch, layers + 2, layers + 3, layers + 4);
	fig_printf(f, "\n");

	if (b->loss >= 0) { /* the horizon of loss t, aligned with the bars */
		fig_printf(f, "unset object 1\nunset label 991\n");
		fig_printf(f, "set size 1,0.3\nunset style\nset style fill solid 1.0 noborder\n"
			      "set boxwidth 0.8\nset xtics 1 format \"%%g\"\nset xlabel \"step j\"\n"
			      "set ylabel \"g[%d,j]\"\nunset key\n", b->loss);
		fig_printf(f, "plot $L using 1:2 with boxes lc rgb \"#de2d26\"\n");
	}
	fig_printf(f, "unset multiplot\n");
}
