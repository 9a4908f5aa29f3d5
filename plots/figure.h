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

struct figure {
	enum fig_format fmt;
	int width, height;     /* pixels (PDF: at 96 per inch) */
	const char *font;      /* "DejaVu Sans,10" */
	const char *title;     /* NULL: no title */
	FILE *body;            /* the script after the terminal lines */
	char *text;
	size_t len;
};

/* Sets the format from the output's extension (.png .svg .pdf). Returns 0,
 * or -1 for another extension. */
int fig_format_of(const char *path, enum fig_format *fmt);

/* Starts an empty script. Returns 0 or -1 (out of memory). */
int fig_begin(struct figure *f, enum fig_format fmt, int width, int height,
	      const char *font, const char *title);

/* Prints into the script body. */
void fig_printf(struct figure *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A gnuplot double-quoted string literal of s (escapes \ and "). */
void fig_quote(struct figure *f, const char *s);

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
