/*
 * figure.h - a gnuplot figure: a script built in memory (data inline as
 * datablocks, so it re-renders alone), run by gnuplot into a temporary
 * file that is renamed over the output only when gnuplot succeeded, so a
 * failure never leaves an empty or partial figure. PDF creation dates are
 * normalised (cairo ignores SOURCE_DATE_EPOCH), so the same input gives
 * the same bytes in every format.
 *
 * Workload: one figure per command; data blocks of up to a few thousand
 * rows (callers bin larger inputs down to the figure's width).
 */
#ifndef RNNBOW_FIGURE_H
#define RNNBOW_FIGURE_H

#include <stdio.h>

enum fig_format { FIG_PNG, FIG_SVG, FIG_PDF };

/* A figure has a size in inches and its text a size in points, the same
 * in every format: a PDF is that many inches, an SVG that many CSS pixels
 * (96 per inch), a PNG that many inches at dpi dots per inch, with its
 * fonts, lines and points scaled to match (pngcairo draws a font of size N
 * N pixels high, the svg terminal N CSS pixels: both are corrected here).
 * So text printed at the figure's size is font_pt points in all three. */
struct figure {
	enum fig_format fmt;
	double width_in, height_in; /* inches */
	double dpi;                 /* PNG pixels per inch (96 on screen, 300 for print) */
	char font_name[128];        /* "DejaVu Sans" ("" for gnuplot's default) */
	double font_pt;             /* points at the figure's size */
	const char *title;          /* NULL: no title */
	int may_grow;               /* the height is the kind's: a view may add rows */
	FILE *body;            /* the script after the terminal lines */
	char *text;
	size_t len;
};

/* Sets the format from the output's extension (.png .svg .pdf). Returns 0,
 * or -1 for another extension. */
int fig_format_of(const char *path, enum fig_format *fmt);

/* Starts an empty script. font is "NAME,SIZE" (SIZE in points; without
 * it, or with a SIZE that is not a number, default_pt). Returns 0 or -1
 * (out of memory). */
int fig_begin(struct figure *f, enum fig_format fmt, double width_in, double height_in,
	      double dpi, const char *font, double default_pt, const char *title);

/* Prints into the script body. */
void fig_printf(struct figure *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A gnuplot double-quoted string literal of s (escapes \ and "). */
void fig_quote(struct figure *f, const char *s);

/* Prints "set xtics STEP" for an x axis from lo to hi as wide as the
 * figure: a step of 1, 2 or 5 times a power of ten that leaves room for
 * every label at the figure's font size (gnuplot's own choice ignores
 * the font, and labels run together in a column-wide figure). */
void fig_xtics(struct figure *f, double lo, double hi);

/* A font size of pt points in the terminal's units, for "font \",N\"" in
 * a script (pixel terminals take pixels). */
double fig_font_units(const struct figure *f, double pt);

/* Adds lines of text to the figure's height when it may grow (a legend
 * of many entries below the plot keeps the plot's height). */
void fig_grow(struct figure *f, double lines);

/* How many y tick labels fit on the figure's height at its font size
 * (3 to 8). */
int fig_max_yticks(const struct figure *f);

/* Renders to path: runs gnuplot on the script, renames the result over
 * path. With keep_dir, also writes KEEP_DIR/<name of path>.gp, a script
 * that re-creates the same figure (as <name of path>) when run by gnuplot
 * in that folder. Returns 0, or -1 after one message (gnuplot missing,
 * gnuplot's own error). Frees the script either way. */
int fig_render(struct figure *f, const char *path, const char *keep_dir);

/* Ends a figure without rendering it. */
void fig_discard(struct figure *f);

/* Shows a byte as a one-glyph label: space as the open box, newline and
 * tab as arrows, other non-printables as a middle dot (UTF-8). */
const char *fig_glyph(unsigned char b, char buf[2]);

#endif
