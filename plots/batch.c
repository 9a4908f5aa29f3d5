/*
 * batch.c - the paper's areas 2-4 for one recorded batch: labels (true over
 * predicted bytes), bars per step stacked by lag, and a loss's horizon.
 */
#include "views.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Layer colours from dark (own loss) to light (far lags). */
static void layer_colour(char buf[8], int layer, int layers)
{
	const int dark[3] = { 0x08, 0x30, 0x6b }, light[3] = { 0xde, 0xeb, 0xf7 };
	double s = layers > 1 ? (double)layer / (layers - 1) : 0;
	snprintf(buf, 8, "#%02x%02x%02x", (int)(dark[0] + s * (light[0] - dark[0])),
		 (int)(dark[1] + s * (light[1] - dark[1])), (int)(dark[2] + s * (light[2] - dark[2])));
}

/* A tick step of 1, 2 or 5 times a power of ten: at most most ticks
 * from 0 to top. */
static double nice_step(double top, double most)
{
	double raw = top / (most < 2 ? 2 : most), p = pow(10, floor(log10(raw)));
	return raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
}

/* Puts the next panel's plot area at these screen fractions. */
static void panel(struct figure *f, double l, double r, double b, double t)
{
	fig_printf(f, "set lmargin at screen %.4f\nset rmargin at screen %.4f\n"
		      "set bmargin at screen %.4f\nset tmargin at screen %.4f\n", l, r, b, t);
}

/* The label of step j's true (k = 0) or predicted (k = 1) token: a byte's
 * glyph, or a token's text (a one-byte text as its glyph); in_data: for
 * the data block, where it is quoted, '"' becomes a double prime. */
static const char *label(const struct batch_view *b, int j, int k, char *buf, size_t cap,
			 int in_data)
{
	const char *s = b->target_text ? (k ? b->predicted_text : b->target_text)[j] : NULL;
	uint8_t byte = k ? b->predicted[j] : b->target[j];
	if (s && strlen(s) == 1)
		byte = (uint8_t)s[0];
	if (!s || strlen(s) == 1) {
		if (byte == '"' && in_data)
			return "\xe2\x80\xb3";
		return fig_glyph(byte, buf);
	}
	size_t o = 0;
	for (; *s && o + 4 < cap; s++) {
		if (*s == '"' && in_data) {
			memcpy(buf + o, "\xe2\x80\xb3", 3);
			o += 3;
		} else {
			buf[o++] = (uint8_t)*s < 0x20 ? '?' : *s;
		}
	}
	buf[o] = '\0';
	return buf;
}

static void labels_panel(struct figure *f, const struct batch_view *b)
{
	char buf[96];
	fig_printf(f, "unset key\nunset xtics\nunset border\nset ytics nomirror scale 0 "
		      "(\"true\" 1, \"predicted\" 0)\nset yrange [-0.5:1.5]\nset xrange [-0.5:%d.5]\n",
		   b->n - 1);
	for (int j = 0; j < b->n; j++) {
		int right = b->target_text ? !strcmp(b->target_text[j], b->predicted_text[j])
					   : b->target[j] == b->predicted[j];
		fig_printf(f, "set label %d ", 2 * j + 1);
		fig_quote(f, label(b, j, 0, buf, sizeof(buf), 0));
		fig_printf(f, " at %d,1 center noenhanced front\n", j);
		fig_printf(f, "set label %d ", 2 * j + 2);
		fig_quote(f, label(b, j, 1, buf, sizeof(buf), 0));
		fig_printf(f, " at %d,0 center noenhanced front tc rgb \"%s\"\n", j,
			   right ? "#238b45" : "#cb181d");
	}
	fig_printf(f, "plot NaN notitle\nunset label\nunset ytics\nset border 3\n");
}

/* The chosen loss's name over its frame: centred on the step, unless half
 * of it (about 0.62 em a character) would pass the figure's edge; then it
 * ends at the frame's outer side, toward the plot (a last loss's label
 * centred on the last step ran off the right edge). */
static void loss_label(struct figure *f, int loss, int n, double left, double right)
{
	char text[32];
	snprintf(text, sizeof(text), "loss t = %d", loss);
	const double half = strlen(text) * 0.62 / 2 * f->font_pt / 72 / f->width_in;
	const double mid = left + (right - left) * (loss + 0.5) / n; /* x range -0.5 .. n-0.5 */
	if (mid + half > 1)
		fig_printf(f, "set label 991 \"%s\" at %d.5, graph 1.04 right", text, loss);
	else if (mid - half < 0)
		fig_printf(f, "set label 991 \"%s\" at %d.5-1, graph 1.04 left", text, loss);
	else
		fig_printf(f, "set label 991 \"%s\" at %d, graph 1.04 center", text, loss);
	fig_printf(f, " tc rgb \"#de2d26\"\n");
}

void view_batch(struct figure *f, const struct batch_view *b)
{
	const int n = b->n, layers = b->lags + 1;
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
		char buf[96];
		for (int k = 0; k < 2; k++)
			fig_printf(f, " \"%s\"", label(b, j, k, buf, sizeof(buf), 1));
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

	/* The layout, top down, in lines of text (the font's size over the
	 * figure's height): the title; the batch on the left and the key of
	 * the lags on the right; the bytes, true over predicted; a line for
	 * the chosen loss's mark; the bars; and the loss's horizon. Fixed
	 * rows for text, the rest for bars, so nothing sits in empty bands
	 * and the key stays clear of the bars at any size. */
	const double line = f->font_pt * 1.3 / 72 / f->height_in;
	const double em_x = f->font_pt / 72 / f->width_in;
	const double left = em_x * (2.2 + 9 * 0.62), right = 1 - em_x;
	double y = 1 - line * 0.5;
	if (f->title) {
		fig_printf(f, "set label 999 ");
		fig_quote(f, f->title);
		fig_printf(f, " at screen 0.5, screen %.4f center noenhanced\n", y - line * 0.5);
		y -= line * 1.3;
	}
	/* the batch and the key on one row when both fit (about 0.6 em a
	 * character, 11 for a key entry), else on two; narrower than 5 in,
	 * the key's entries are bare lags and may wrap to two rows */
	const int narrow = f->width_in < 5;
	char note[128];
	/* narrow: the short form, from the figure's left edge (the long one ran
	 * past the right edge of a column-wide figure) */
	snprintf(note, sizeof(note), narrow ? "batch %lld, offset %lld%s" :
		 "batch %lld, corpus offset %lld%s", (long long)b->batch,
		 (long long)b->position, narrow ? "" : "; lag = t - j");
	const double note_x = narrow ? em_x : left;
	const int apart = narrow || (strlen(note) + 11.0 * layers) * 0.6 * f->font_pt / 72 >
					    (right - left) * f->width_in;
	const double info = y - line * 0.5, key = apart ? info - line * 1.1 : info;
	y -= line * (narrow ? 3.4 : apart ? 2.3 : 1.2);
	const double labels_top = y, labels_bottom = y - line * 2.4;
	const double bars_top = labels_bottom - line * (b->loss >= 0 ? 1.3 : 0.4);
	const double bottom = line * 4; /* x tick labels and "step j" */
	const double bars_bottom = b->loss >= 0 ? bottom + (bars_top - bottom) * 0.42 : bottom;
	fig_printf(f, "set multiplot\n");
	fig_printf(f, "set label 990 \"%s\" at screen %.4f, screen %.4f left noenhanced\n", note,
		   note_x, info);
	if (narrow) /* the key's entries are bare lags: say what they are */
		fig_printf(f, "set label 989 \"lag t - j:\" at screen %.4f, screen %.4f left\n",
			   left, key);
	panel(f, left, right, labels_bottom, labels_top);
	labels_panel(f, b);
	fig_printf(f, "unset label 999\n");
	panel(f, left, right, bars_bottom, bars_top);

	/* stacked bars by lag */
	fig_printf(f, "set style data histograms\nset style histogram rowstacked\n"
		      "set style fill solid 1.0 border rgb \"#ffffff\"\nset boxwidth 0.8\n"
		      "set xrange [-0.5:%d.5]\nset yrange [0:*]\nset ylabel \"%s\"\n"
		      "set key at screen %.4f, screen %.4f right top horizontal samplen 1 "
		      "noenhanced\nset grid ytics lc rgb \"#e0e0e0\"\nset tics nomirror\n"
		      "set format y \"%%g\"\nset border 3\n", n - 1,
		   narrow ? "g, summed" : "g summed over losses", right, key + line * 0.5);
	fig_xtics(f, 0, n - 1); /* every step where the labels fit */
	/* y ticks two lines apart at least: a short panel gets few */
	double top_bar = 0, top_loss = 0;
	for (int j = 0; j < n; j++) {
		double bar = 0;
		for (int t = j; t < n; t++)
			bar += b->g[(size_t)t * n + j];
		top_bar = fmax(top_bar, bar);
		if (b->loss >= 0 && j <= b->loss)
			top_loss = fmax(top_loss, b->g[(size_t)b->loss * n + j]);
	}
	if (top_bar > 0)
		fig_printf(f, "set ytics %.9g\n", nice_step(top_bar, (bars_top - bars_bottom) / line / 2));
	fig_printf(f, "set xtics nomirror format \"\"\nset ytics nomirror\n");
	if (b->loss >= 0) { /* the chosen loss: a dashed frame around its step */
		fig_printf(f, "set object 1 rect from %d.5-1, graph 0 to %d.5, graph 1 fs empty "
			      "border rgb \"#de2d26\" dt 2 lw 1.5 front\n", b->loss, b->loss);
		loss_label(f, b->loss, n, left, right);
	}
	if (b->loss < 0)
		fig_printf(f, "set xtics nomirror format \"%%g\"\nset xlabel \"step j\"\n");
	fig_printf(f, "plot ");
	for (int layer = 0; layer < layers; layer++) {
		layer_colour(colour, layer, layers);
		if (layer)
			fig_printf(f, ", ");
		/* "lag 0" .. "lag 3", "lag >= 4" with one glyph: entries of one
		 * width, as gnuplot spaces a horizontal key by the longest */
		fig_printf(f, "$B using %d lc rgb \"%s\" title \"%s%s%d\"", layer + 2, colour,
			   narrow ? "" : "lag ", layer < b->lags ? "" : "\xe2\x89\xa5",
			   layer < b->lags ? layer : b->lags);
	}
	if (f->fmt == FIG_SVG) /* hover: batch, step, bytes, values */
		fig_printf(f, ", $B using 1:%d:(sprintf(\"batch %lld, step %%d: true %%s, predicted %%s; "
			      "own loss %%.3g, bar %%.3g\", $1, strcol(%d), strcol(%d), $2, $%d)) with labels "
			      "hypertext point pt 7 ps 0.3 lc rgb \"#08306b\" notitle",
			   layers + 4, (long long)b->batch, layers + 2, layers + 3, layers + 4);
	fig_printf(f, "\n");

	if (b->loss >= 0) { /* the horizon of loss t, aligned with the bars */
		fig_printf(f, "unset object 1\nunset label 991\n");
		panel(f, left, right, bottom, bars_bottom - line);
		fig_printf(f, "unset style\nset style fill solid 1.0 noborder\n"
			      "set boxwidth 0.8\nset xtics format \"%%g\"\nset xlabel \"step j\"\n"
			      "set ylabel \"g[%d,j]\"\nunset key\n", b->loss);
		if (top_loss > 0)
			fig_printf(f, "set ytics %.9g\n", nice_step(top_loss, (bars_bottom - bottom) /
								       line / 2 - 0.5));
		fig_printf(f, "plot $L using 1:2 with boxes lc rgb \"#de2d26\"\n");
	}
	fig_printf(f, "unset multiplot\n");
}
